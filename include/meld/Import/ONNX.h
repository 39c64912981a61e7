//===- ONNX.h - Importing ONNX models into the graph dialect ----*- C++ -*-===//
//
// The ONNX importer: reads a model file (protobuf, opsets 13 to 22, optional
// external data) and builds a module in the graph dialect:
//
//   func.func @main(%arg0: tensor<1x41xi64> {meld.name = "input_ids"})
//       -> (tensor<1x41x50257xf32> {meld.name = "logits"})
//
// Weights (large initializers) become `graph.weight "handle"` ops whose bytes
// stay outside the IR, in a WeightStore. Every op made for an ONNX node carries
// a location naming the node and its op type (see getNodeLoc).
//
//===----------------------------------------------------------------------===//

#ifndef MELD_IMPORT_ONNX_H
#define MELD_IMPORT_ONNX_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llvm {
class MemoryBuffer;
class MemoryBufferRef;
class raw_ostream;
} // namespace llvm

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace meld {

/// Argument and result attribute of `@main` holding the ONNX input or output
/// name.
inline constexpr llvm::StringLiteral kMeldNameAttr = "meld.name";
/// Name of the function the importer creates.
inline constexpr llvm::StringLiteral kMainFunctionName = "main";

class WeightStore;

/// The bytes of one tensor: little-endian, row-major, booleans one byte each.
using TensorBytes = std::vector<uint8_t>;

/// Computes `values`, results of graph ops whose operands are, transitively,
/// all known at compile time (`graph.constant`, and `graph.weight` whose bytes
/// `weights` holds), with the semantics of the ops' kernels. Returns the bytes
/// of each value; on failure it has emitted a diagnostic (naming the node at
/// fault, when there is one). The driver's evaluator compiles the values' ops
/// with Meld's own pipeline and runs the kernels on the CPU runtime
/// (meld/Driver/ConstantEvaluator.h), so folding and running a model agree.
using ConstantEvaluator =
    std::function<mlir::FailureOr<std::vector<TensorBytes>>(
        llvm::ArrayRef<mlir::Value> values, const WeightStore &weights)>;

/// The most bytes one compile-time evaluation may produce (its results and
/// the intermediate tensors it computes): larger computations stay kernels.
inline constexpr uint64_t kDefaultMaxFoldBytes = uint64_t(256) << 20;

/// What the importer needs besides the model.
struct ImportOptions {
  /// Graph inputs frozen to a tensor (`meldc --const NAME=FILE`): the file is
  /// a NumPy .npy or a serialized ONNX TensorProto (.pb). The input becomes a
  /// `graph.constant` and leaves the function signature.
  llvm::StringMap<std::string> constInputs;
  /// Shapes of graph inputs (`meldc --shape NAME=1x41`), replacing the
  /// model's declared shape (needed where it has symbolic dimensions). A key
  /// may instead name a symbolic dimension (an ONNX dim_param) with one value
  /// (`--shape seq=37`): every input dimension of that name takes it. A name
  /// that is both an input and a dimension is an error.
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Initializers (and Constant nodes) with at most this many elements become
  /// `graph.constant`; larger ones become `graph.weight`. Tensors whose values
  /// an op needs at compile time (shapes, axes, indices...) are always read.
  int64_t maxInlineConstantElements = 64;
  /// Floating-point initializers of more than one element always become
  /// weights, whatever their size (meldc --weights=external: their values
  /// come from the weights file at run time). One-element ones (a softmax
  /// scale, an epsilon, a power's exponent: what recognizers and folders must
  /// know) are baked as constants and recorded in WeightStore::getBaked, so
  /// the runtime refuses a weights file that changes them. Integer and
  /// boolean initializers, which shape computations read, still follow
  /// maxInlineConstantElements.
  bool floatInitializersAsWeights = false;
  /// Evaluates the ops whose operands are all known at compile time: those an
  /// importer handler needs as constants (a Reshape's shape computed by a
  /// subgraph the folders do not evaluate), and, once every node is imported,
  /// every other such op, whatever its kind. Without one, only the graph
  /// ops' folders evaluate constants.
  ConstantEvaluator evaluator;
  /// The most bytes one evaluation may materialize; a value computed from
  /// constants but larger stays a kernel.
  uint64_t maxFoldBytes = kDefaultMaxFoldBytes;
  /// The most multiply-adds a matrix product evaluated at compile time may
  /// take (2^30: about a second on the CPU kernels); a larger one stays a
  /// kernel, so no model makes the compiler compute for long.
  uint64_t maxFoldMatmulWork = uint64_t(1) << 30;

  /// Records `shape` for `name` in `inputShapes`; false, changing nothing,
  /// when `name` already has another shape.
  bool addInputShape(llvm::StringRef name, llvm::ArrayRef<int64_t> shape) {
    auto [it, inserted] = inputShapes.try_emplace(name, shape);
    return inserted || llvm::ArrayRef<int64_t>(it->second) == shape;
  }
};

/// The bytes of the weights a module references by handle. Entries point into
/// the parsed model (which the store keeps alive), into memory the store owns
/// (data converted from typed protobuf fields), or at a slice of an external
/// data file, read lazily.
class WeightStore {
public:
  struct Entry {
    /// The `graph.weight` handle (the ONNX initializer name).
    std::string handle;
    /// Shape and element type.
    mlir::RankedTensorType type;
    /// Size in bytes (little-endian, row-major; booleans one byte each).
    uint64_t byteSize = 0;
    /// Bytes in memory, when the data is not in an external file.
    llvm::ArrayRef<uint8_t> memory;
    /// The external data file (absolute or relative to the working
    /// directory) and the offset of the bytes in it, when `memory` is unset.
    std::string filePath;
    uint64_t fileOffset = 0;
    /// An ONNX initializer (found by name in a weights file when weights are
    /// external), rather than a tensor the graph defines (a Constant node).
    bool isInitializer = false;

    bool isExternal() const { return !filePath.empty(); }
  };

  WeightStore();
  ~WeightStore();
  WeightStore(const WeightStore &) = delete;
  WeightStore &operator=(const WeightStore &) = delete;

  /// The entries in the order they were added.
  llvm::ArrayRef<std::unique_ptr<Entry>> getEntries() const { return entries; }
  /// The entry named `handle`, or null.
  const Entry *lookup(llvm::StringRef handle) const;
  size_t size() const { return entries.size(); }
  /// Total size in bytes of all entries.
  uint64_t getTotalBytes() const;

  /// The bytes of `entry`. External slices are mapped (or read) on first use
  /// and stay valid as long as the store.
  llvm::Expected<llvm::ArrayRef<uint8_t>> getBytes(const Entry &entry) const;
  /// Streams the bytes of `entry` to `os` (external data in chunks, without
  /// mapping the whole slice).
  llvm::Error writeBytes(const Entry &entry, llvm::raw_ostream &os) const;

  /// Adders used by the importer. `handle` must be new.
  Entry &addInMemory(llvm::StringRef handle, mlir::RankedTensorType type,
                     llvm::ArrayRef<uint8_t> bytes);
  Entry &addOwned(llvm::StringRef handle, mlir::RankedTensorType type,
                  std::vector<uint8_t> bytes);
  Entry &addExternal(llvm::StringRef handle, mlir::RankedTensorType type,
                     uint64_t byteSize, llvm::StringRef filePath,
                     uint64_t fileOffset);
  /// A one-element float initializer baked into the module as a constant
  /// although the weights are external (see
  /// ImportOptions::floatInitializersAsWeights): the artifact records it so
  /// the runtime refuses a weights file that gives it another value.
  struct Baked {
    std::string name;
    mlir::RankedTensorType type;
    std::vector<uint8_t> bytes;
  };
  void addBaked(llvm::StringRef name, mlir::RankedTensorType type,
                llvm::ArrayRef<uint8_t> bytes) {
    baked.push_back({name.str(), type, bytes.vec()});
  }
  llvm::ArrayRef<Baked> getBaked() const { return baked; }

  /// Removes the entry named `handle` (a weight the module no longer uses).
  void erase(llvm::StringRef handle);
  /// Keeps `object` (the parsed model) alive as long as the store.
  void keepAlive(std::shared_ptr<void> object);

private:
  std::vector<std::unique_ptr<Entry>> entries;
  llvm::StringMap<size_t> index;
  std::vector<std::vector<uint8_t>> owned;
  std::vector<std::shared_ptr<void>> keptAlive;
  mutable llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> mapped;
  std::vector<Baked> baked;
};

/// Imports the ONNX model at `path` into a new module in `context`. Weights go
/// to `weights`. On failure emits diagnostics (through the context's
/// diagnostic engine, every unsupported node reported) and returns null. The
/// path must name a regular file; external data is looked up in its folder.
mlir::OwningOpRef<mlir::ModuleOp> importONNXModel(llvm::StringRef path,
                                                  mlir::MLIRContext &context,
                                                  const ImportOptions &options,
                                                  WeightStore &weights);

/// Imports the serialized ONNX model in `model` (its identifier names the
/// model in locations and messages). External data files are looked up in
/// `baseDir` and must lie inside it (see docs/Importer.md); an empty
/// `baseDir` means the working directory. The bytes need not outlive the
/// call: the store keeps what the weights point into.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXModel(llvm::MemoryBufferRef model, llvm::StringRef baseDir,
                mlir::MLIRContext &context, const ImportOptions &options,
                WeightStore &weights);

/// The location of the ops made for ONNX node `nodeName` of type `opType`:
///   NameLoc(nodeName, NameLoc(opType, FileLineColLoc(modelPath, 0, 0)))
/// printed `loc("name"("OpType"("model.onnx":0:0)))`.
mlir::Location getNodeLoc(mlir::MLIRContext &context, llvm::StringRef nodeName,
                          llvm::StringRef opType, llvm::StringRef modelPath);

/// The ONNX node (name, op type) of a location made by getNodeLoc, looking
/// through fused and call-site locations (the first node found wins).
std::optional<std::pair<llvm::StringRef, llvm::StringRef>>
getNodeInfo(mlir::Location loc);

/// Every ONNX node (name, op type) of a location made by getNodeLoc or fused
/// from several (a fused kernel's), in order, each once.
llvm::SmallVector<std::pair<llvm::StringRef, llvm::StringRef>>
getNodeInfos(mlir::Location loc);

/// Reads a tensor file (.npy, or a serialized ONNX TensorProto otherwise) as a
/// constant of element type f32, i64, i32 or i1. Emits an error at `loc`
/// naming the file and returns null on failure. The path must name a regular
/// file; a TensorProto's external data must lie in the file's folder.
mlir::DenseElementsAttr readTensorFile(llvm::StringRef path,
                                       mlir::MLIRContext &context,
                                       mlir::Location loc);

/// Same, for the bytes of such a file (`bytes`' identifier names it in
/// messages and decides, by a ".npy" suffix, how bytes without the .npy magic
/// are read), with external data looked up in `baseDir`.
mlir::DenseElementsAttr readTensorBuffer(llvm::MemoryBufferRef bytes,
                                         llvm::StringRef baseDir,
                                         mlir::MLIRContext &context,
                                         mlir::Location loc);

} // namespace meld

#endif // MELD_IMPORT_ONNX_H
