//===- Importer.h - ONNX importer internals ---------------------*- C++ -*-===//
//
// Private to lib/Import/ONNX: the Importer class (Importer.cpp drives it,
// OpImporters.cpp holds one handler per ONNX operator) and the tensor decoding
// helpers of Tensors.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_LIB_IMPORT_ONNX_IMPORTER_H
#define MELD_LIB_IMPORT_ONNX_IMPORTER_H

#include "meld/Import/ONNX.h"

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <onnx/onnx_pb.h>

#include <functional>

namespace meld::onnx_import {

//===----------------------------------------------------------------------===//
// Tensors (Tensors.cpp)
//===----------------------------------------------------------------------===//

/// The element type of ONNX data type `dataType` if Meld supports it (f32,
/// i64, i32, i1), else null.
mlir::Type convertElementType(mlir::MLIRContext &context, int32_t dataType);
/// The ONNX data type of a supported element type, or 0.
int32_t getONNXDataType(mlir::Type type);
/// Bytes of one element of `type` in memory (booleans: one byte).
uint64_t getElementByteSize(mlir::Type type);
/// Bytes of a tensor of `type` in memory.
uint64_t getByteSize(mlir::RankedTensorType type);
/// "FLOAT", "INT64", ... for messages.
std::string getDataTypeName(int32_t dataType);
/// "[2, 3]" for messages.
std::string formatShape(llvm::ArrayRef<int64_t> shape);
/// The number of elements of `shape`, or nullopt when a dimension is negative
/// or the count is implausibly large (over 2^40).
std::optional<int64_t> getCheckedNumElements(llvm::ArrayRef<int64_t> shape);

/// A TensorProto's type and where its bytes are.
struct TensorSource {
  mlir::RankedTensorType type;
  uint64_t byteSize = 0;
  /// Bytes in the protobuf (raw_data), or `converted` when the data came from
  /// typed fields.
  llvm::ArrayRef<uint8_t> memory;
  std::vector<uint8_t> converted;
  /// External data file (already resolved against the model's folder).
  std::string filePath;
  uint64_t fileOffset = 0;

  bool isExternal() const { return !filePath.empty(); }
  int64_t getNumElements() const { return type.getNumElements(); }
};

/// Reads the file at `path`, which must be a regular file: a directory, FIFO,
/// device or socket is refused before it is opened, so that none can block
/// the compiler or feed it endless bytes. The error reads
/// "cannot open 'PATH': WHY".
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readRegularFile(llvm::StringRef path);

/// Resolves external data `location` against the model's folder `baseDir`
/// (the working directory when empty), as onnxruntime and the ONNX checker do
/// since CVE-2024-27318 and CVE-2024-5187: the location must be relative and
/// free of '..' components, and the file, symbolic links followed, must be a
/// regular file inside the (resolved) folder. Returns the resolved path and
/// the file's size, or an error saying why the location is refused.
llvm::Expected<std::pair<std::string, uint64_t>>
resolveExternalData(llvm::StringRef location, llvm::StringRef baseDir);

/// Describes `tensor` (named `what` in messages, e.g. "initializer 'w'"):
/// checks its element type, shape, data size and external file. External
/// data must be a regular file inside `baseDir` (symbolic links resolved),
/// named by a relative location without '..'. Emits an error at `loc` on
/// failure.
mlir::LogicalResult describeTensor(const onnx::TensorProto &tensor,
                                   mlir::MLIRContext &context,
                                   llvm::StringRef baseDir, mlir::Location loc,
                                   const llvm::Twine &what, TensorSource &out);

/// Reads the bytes of `source` (from the external file if there) into a
/// constant. Emits an error at `loc` on failure.
mlir::DenseElementsAttr readTensorSource(const TensorSource &source,
                                         mlir::Location loc,
                                         const llvm::Twine &what);

/// Builds a constant of `type` from little-endian bytes (one byte per bool).
/// `bytes` must hold exactly the tensor.
mlir::DenseElementsAttr makeElementsAttr(mlir::RankedTensorType type,
                                         llvm::ArrayRef<uint8_t> bytes);

//===----------------------------------------------------------------------===//
// The importer
//===----------------------------------------------------------------------===//

/// Kinds of ONNX attributes, for checking nodes before their handler runs.
enum class AttrKind { Int, Float, String, Ints, Floats, Tensor };

/// One ONNX node being imported.
struct Node {
  const onnx::NodeProto *proto = nullptr;
  mlir::Location loc;
  /// The node's name, or its first output's when it has none.
  std::string name;
  std::string opType;
  /// One per node input; null where an optional input is absent ("").
  llvm::SmallVector<mlir::Value> inputs;
  /// One per node output, set by the handler (null: not produced).
  llvm::SmallVector<mlir::Value> results;

  explicit Node(mlir::Location loc) : loc(loc) {}

  mlir::Value input(unsigned i) const {
    return i < inputs.size() ? inputs[i] : mlir::Value();
  }
  mlir::RankedTensorType inputType(unsigned i) const {
    return llvm::cast<mlir::RankedTensorType>(inputs[i].getType());
  }
  unsigned getNumOutputs() const { return proto->output_size(); }
  const onnx::AttributeProto *getAttr(llvm::StringRef attrName) const;
  int64_t getInt(llvm::StringRef attrName, int64_t defaultValue) const;
  float getFloat(llvm::StringRef attrName, float defaultValue) const;
  std::string getString(llvm::StringRef attrName,
                        llvm::StringRef defaultValue) const;
  std::optional<llvm::SmallVector<int64_t>>
  getInts(llvm::StringRef attrName) const;
};

class Importer;

/// How to import one ONNX operator.
struct OpSpec {
  std::function<mlir::LogicalResult(Node &)> handler;
  unsigned minInputs = 1, maxInputs = 1;
  unsigned minOutputs = 1, maxOutputs = 1;
  /// The attributes the handler understands; any other is reported.
  llvm::SmallVector<std::pair<llvm::StringRef, AttrKind>> attrs;
};

class Importer {
public:
  /// `modelPath` names the model in locations and messages; external data
  /// files must lie in `modelDir`.
  Importer(mlir::MLIRContext &context, llvm::StringRef modelPath,
           llvm::StringRef modelDir, const ImportOptions &options,
           WeightStore &weights);

  /// Imports the serialized model `bytes`.
  mlir::OwningOpRef<mlir::ModuleOp> run(llvm::MemoryBufferRef bytes);

  //===--------------------------------------------------------------------===//
  // Helpers for the op handlers
  //===--------------------------------------------------------------------===//

  mlir::MLIRContext &getContext() { return context; }
  /// The folder external data files must lie in.
  llvm::StringRef getModelDir() const { return modelDir; }
  mlir::OpBuilder &getBuilder() { return builder; }

  /// Emits an error at `loc`.
  mlir::InFlightDiagnostic emitError(mlir::Location loc);

  /// Builds `OpTy` (with `numResults` results) with inferred result types,
  /// verifies it and folds it. On an invalid combination emits an error at
  /// `loc` and fails; never crashes (ODS builders abort when inference fails).
  template <typename OpTy, typename... Args>
  mlir::FailureOr<llvm::SmallVector<mlir::Value>>
  createInferred(mlir::Location loc, unsigned numResults, Args &&...args) {
    mlir::OperationState state(loc, OpTy::getOperationName());
    // Placeholder result types, replaced by the inferred ones below.
    llvm::SmallVector<mlir::Type> placeholders(numResults,
                                               builder.getNoneType());
    OpTy::build(builder, state, mlir::TypeRange(placeholders),
                std::forward<Args>(args)...);
    llvm::SmallVector<mlir::Type> types;
    if (mlir::failed(OpTy::inferReturnTypes(
            &context, loc, state.operands,
            state.attributes.getDictionary(&context), state.getRawProperties(),
            state.regions, types)))
      return mlir::failure();
    state.types.assign(types.begin(), types.end());
    return finishOp(state);
  }
  template <typename OpTy, typename... Args>
  mlir::FailureOr<mlir::Value> createInferred1(mlir::Location loc,
                                               Args &&...args) {
    auto results = createInferred<OpTy>(loc, /*numResults=*/1,
                                        std::forward<Args>(args)...);
    if (mlir::failed(results))
      return mlir::failure();
    return results->front();
  }

  /// Builds `OpTy` with result type `type`, verifies it and folds it.
  template <typename OpTy, typename... Args>
  mlir::FailureOr<mlir::Value> createTyped(mlir::Location loc, mlir::Type type,
                                           Args &&...args) {
    mlir::OperationState state(loc, OpTy::getOperationName());
    OpTy::build(builder, state, type, std::forward<Args>(args)...);
    auto results = finishOp(state);
    if (mlir::failed(results))
      return mlir::failure();
    return results->front();
  }

  /// A `graph.constant`.
  mlir::Value createConstant(mlir::Location loc, mlir::ElementsAttr value);

  /// A reshape of `value` to `shape` (folded when possible).
  mlir::FailureOr<mlir::Value> createReshape(mlir::Location loc,
                                             mlir::Value value,
                                             llvm::ArrayRef<int64_t> shape);

  /// The values of input `index` of `node`, which must be a constant
  /// (`operandName` names it in messages). Emits an error naming the node and
  /// the operand (and the graph inputs it depends on) when it is not.
  mlir::FailureOr<mlir::DenseElementsAttr>
  getConstantInput(Node &node, unsigned index, llvm::StringRef operandName);
  /// Same, for an integer tensor, as int64 values.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  getConstantInts(Node &node, unsigned index, llvm::StringRef operandName);
  /// Same, for a tensor holding one number.
  mlir::FailureOr<double> getConstantScalar(Node &node, unsigned index,
                                            llvm::StringRef operandName);

  /// Materializes `tensor` (an initializer or a Constant node's value) as a
  /// constant when small or `forceInline`, else as a weight named `handle`.
  mlir::FailureOr<mlir::Value>
  materializeTensor(const onnx::TensorProto &tensor, llvm::StringRef handle,
                    mlir::Location loc, const llvm::Twine &what,
                    bool isInitializer = false);

  /// Whether `value` is known at compile time: a constant, a weight whose
  /// bytes are known (not one the runtime provides), or the result of an op
  /// whose operands all are.
  bool isKnown(mlir::Value value) const;

  /// Whether value `name` is used by a node or is a graph output.
  bool isUsed(llvm::StringRef name) const { return usedValues.contains(name); }

  int64_t getOpsetVersion() const { return opsetVersion; }

private:
  mlir::FailureOr<llvm::SmallVector<mlir::Value>>
  finishOp(mlir::OperationState &state);

  mlir::LogicalResult loadModel(llvm::MemoryBufferRef bytes);
  mlir::LogicalResult checkOpsets();
  void registerOps();
  mlir::LogicalResult buildSignature(mlir::func::FuncOp &func);
  mlir::FailureOr<mlir::RankedTensorType>
  getInputType(const onnx::ValueInfoProto &info);
  mlir::LogicalResult sortNodes(llvm::SmallVectorImpl<int> &order);
  void importNode(const onnx::NodeProto &proto);
  mlir::LogicalResult checkAttributes(Node &node, const OpSpec &spec);
  /// The value of ONNX value `name` (materializing an initializer on first
  /// use), or null.
  mlir::Value lookupValue(llvm::StringRef name);
  /// The graph inputs `value` is computed from.
  llvm::SmallVector<std::string> getGraphInputsOf(mlir::Value value);
  /// Whether the bytes of weight `op` are known at compile time.
  bool isKnownWeight(graph::WeightOp op) const;
  /// Evaluates `roots` (known values) with the options' evaluator and
  /// replaces every use of each by a constant, or a weight when large.
  /// Errors are emitted at `loc`.
  mlir::LogicalResult evaluateAndReplace(llvm::ArrayRef<mlir::Value> roots,
                                         mlir::Location loc);
  /// Evaluates, once every node is imported, the known ops left (in batches
  /// of at most options.maxFoldBytes).
  mlir::LogicalResult foldKnownOps(mlir::func::FuncOp func);

  mlir::MLIRContext &context;
  mlir::OpBuilder builder;
  std::string modelPath, modelDir;
  const ImportOptions &options;
  WeightStore &weights;
  mlir::Location fileLoc;
  std::shared_ptr<onnx::ModelProto> model;
  int64_t opsetVersion = 0;
  unsigned errorCount = 0;

  llvm::StringMap<OpSpec> ops;
  llvm::StringMap<mlir::Value> values;
  llvm::StringMap<const onnx::TensorProto *> initializers;
  /// Symbolic dimensions fixed by name (--shape seq=37).
  llvm::StringMap<int64_t> dimValues;
  /// Values of nodes that failed to import: their users are skipped silently.
  llvm::StringSet<> failedValues;
  llvm::StringSet<> usedValues;
  /// ONNX names of the function arguments.
  llvm::SmallVector<std::string> argNames;
  /// Ops (not constants or weights) whose operands are all known.
  llvm::DenseSet<mlir::Operation *> knownOps;
  /// Values replaced by their evaluated constants (lookupValue follows).
  llvm::DenseMap<mlir::Value, mlir::Value> replacements;
  /// Evaluated tensors stored as weights, for unique handles.
  unsigned numFoldedWeights = 0;
};

} // namespace meld::onnx_import

#endif // MELD_LIB_IMPORT_ONNX_IMPORTER_H
