//===- Importer.cpp - ONNX model to graph dialect -------------------------===//
//
// Loads the model, checks its opsets, builds the signature of @main, sorts the
// nodes topologically and imports them one by one through the handlers of
// OpImporters.cpp. Errors are collected: a node that cannot be imported is
// reported at its location, its outputs get no value, and the nodes that
// depend on them are skipped without further errors.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <queue>

using namespace mlir;
using namespace meld;
using namespace meld::onnx_import;

/// Default-domain opsets the importer supports. The handlers implement the
/// operator definitions of opsets 13 to 22; older models load too, because
/// every older definition either means the same for the cases the handlers
/// accept or carries attributes the handlers reject (legacy `broadcast`,
/// `consumed_inputs`, Slice/Clip/Reshape attributes...). The one silent
/// difference, Softmax before 13, is checked by its handler.
static constexpr int64_t kMinOpset = 1, kMaxOpset = 22;

//===----------------------------------------------------------------------===//
// Node
//===----------------------------------------------------------------------===//

const onnx::AttributeProto *Node::getAttr(StringRef attrName) const {
  for (const onnx::AttributeProto &attr : proto->attribute())
    if (attr.name() == attrName)
      return &attr;
  return nullptr;
}

int64_t Node::getInt(StringRef attrName, int64_t defaultValue) const {
  const onnx::AttributeProto *attr = getAttr(attrName);
  return attr ? attr->i() : defaultValue;
}

float Node::getFloat(StringRef attrName, float defaultValue) const {
  const onnx::AttributeProto *attr = getAttr(attrName);
  return attr ? attr->f() : defaultValue;
}

std::string Node::getString(StringRef attrName, StringRef defaultValue) const {
  const onnx::AttributeProto *attr = getAttr(attrName);
  return attr ? attr->s() : defaultValue.str();
}

std::optional<SmallVector<int64_t>> Node::getInts(StringRef attrName) const {
  const onnx::AttributeProto *attr = getAttr(attrName);
  if (!attr)
    return std::nullopt;
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

/// The kind of `attr`, when it is one the importer reads.
static std::optional<AttrKind> getAttrKind(const onnx::AttributeProto &attr) {
  switch (attr.type()) {
  case onnx::AttributeProto::INT:
    return AttrKind::Int;
  case onnx::AttributeProto::FLOAT:
    return AttrKind::Float;
  case onnx::AttributeProto::STRING:
    return AttrKind::String;
  case onnx::AttributeProto::INTS:
    return AttrKind::Ints;
  case onnx::AttributeProto::FLOATS:
    return AttrKind::Floats;
  case onnx::AttributeProto::TENSOR:
    return AttrKind::Tensor;
  default:
    return std::nullopt;
  }
}

static StringRef getAttrKindName(AttrKind kind) {
  switch (kind) {
  case AttrKind::Int:
    return "an integer";
  case AttrKind::Float:
    return "a float";
  case AttrKind::String:
    return "a string";
  case AttrKind::Ints:
    return "a list of integers";
  case AttrKind::Floats:
    return "a list of floats";
  case AttrKind::Tensor:
    return "a tensor";
  }
  llvm_unreachable("unknown attribute kind");
}

/// The value of `attr` as written in messages: `1`, `0.5`, `"tanh"`, `[0, 1]`.
static std::string formatAttrValue(const onnx::AttributeProto &attr) {
  std::string result;
  llvm::raw_string_ostream os(result);
  auto list = [&](const auto &values) {
    os << "[";
    llvm::interleaveComma(values, os);
    os << "]";
  };
  switch (attr.type()) {
  case onnx::AttributeProto::INT:
    os << attr.i();
    break;
  case onnx::AttributeProto::FLOAT:
    os << attr.f();
    break;
  case onnx::AttributeProto::STRING:
    os << "\"" << attr.s() << "\"";
    break;
  case onnx::AttributeProto::INTS:
    list(attr.ints());
    break;
  case onnx::AttributeProto::FLOATS:
    list(attr.floats());
    break;
  case onnx::AttributeProto::STRINGS:
    os << "[";
    llvm::interleaveComma(attr.strings(), os, [&](const std::string &s) {
      os << "\"" << s << "\"";
    });
    os << "]";
    break;
  case onnx::AttributeProto::TENSOR:
    os << "<tensor>";
    break;
  case onnx::AttributeProto::GRAPH:
  case onnx::AttributeProto::GRAPHS:
    os << "<graph>";
    break;
  default:
    os << "<" << onnx::AttributeProto::AttributeType_Name(attr.type()) << ">";
    break;
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Importer
//===----------------------------------------------------------------------===//

Importer::Importer(MLIRContext &context, StringRef modelPath,
                   StringRef modelDir, const ImportOptions &options,
                   WeightStore &weights)
    : context(context), builder(&context), modelPath(modelPath.str()),
      modelDir(modelDir.str()), options(options), weights(weights),
      fileLoc(FileLineColLoc::get(&context, modelPath, 0, 0)) {
  context.loadDialect<graph::GraphDialect, func::FuncDialect>();
  registerOps();
}

InFlightDiagnostic Importer::emitError(Location loc) {
  return mlir::emitError(loc);
}

FailureOr<SmallVector<Value>> Importer::finishOp(OperationState &state) {
  Operation *op = Operation::create(state);
  builder.insert(op);
  // Verify before folding: folders may rely on the op's invariants.
  if (failed(mlir::verify(op, /*verifyRecursively=*/false))) {
    op->erase();
    return failure();
  }
  SmallVector<Value> results;
  if (succeeded(builder.tryFold(op, results)) && !results.empty()) {
    op->erase();
    return results;
  }
  if (llvm::all_of(op->getOperands(), [&](Value v) { return isKnown(v); }))
    knownOps.insert(op);
  return SmallVector<Value>(op->getResults());
}

/// The multiply-adds of a matrix product `op` (each element of its result
/// sums over the contracted dimension), or 0 for other ops.
static uint64_t getMatmulWork(Operation *op) {
  auto shapeOf = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getShape();
  };
  uint64_t k = 0;
  if (auto matmul = dyn_cast<graph::MatmulOp>(op))
    k = shapeOf(matmul.getLhs()).back();
  else if (auto gemm = dyn_cast<graph::GemmOp>(op))
    k = shapeOf(gemm.getA())[gemm.getTransA() ? 0 : 1];
  else
    return 0;
  return k *
         cast<RankedTensorType>(op->getResult(0).getType()).getNumElements();
}

bool Importer::isKnownWeight(graph::WeightOp op) const {
  const WeightStore::Entry *entry = weights.lookup(op.getHandle());
  // External float initializers come from the weights file at run time.
  return entry &&
         !(entry->isInitializer && options.floatInitializersAsWeights &&
           isa<FloatType>(entry->type.getElementType()));
}

bool Importer::isKnown(Value value) const {
  Operation *def = value.getDefiningOp();
  if (!def)
    return false;
  if (isa<graph::ConstantOp>(def))
    return true;
  if (auto weight = dyn_cast<graph::WeightOp>(def))
    return isKnownWeight(weight);
  return knownOps.contains(def);
}

LogicalResult Importer::evaluateAndReplace(ArrayRef<Value> roots,
                                           Location loc) {
  assert(options.evaluator && "no evaluator");
  FailureOr<std::vector<TensorBytes>> computed =
      options.evaluator(roots, weights);
  if (failed(computed))
    return failure();
  OpBuilder b(&context);
  for (auto [rootRef, bytes] : llvm::zip_equal(roots, *computed)) {
    Value root = rootRef;
    auto type = cast<RankedTensorType>(root.getType());
    if (bytes.size() != getByteSize(type))
      return emitError(loc)
             << "evaluating " << type << " gave " << bytes.size() << " bytes";
    Operation *def = root.getDefiningOp();
    b.setInsertionPointAfter(def);
    Value replacement;
    uint64_t elementBytes = getElementByteSize(type.getElementType());
    bool splat = true;
    for (uint64_t i = elementBytes; splat && i < bytes.size(); ++i)
      splat = bytes[i] == bytes[i % elementBytes];
    if (type.getNumElements() <= options.maxInlineConstantElements || splat) {
      DenseElementsAttr attr = makeElementsAttr(
          splat ? RankedTensorType::get({}, type.getElementType()) : type,
          ArrayRef(bytes).take_front(splat ? elementBytes : bytes.size()));
      if (splat)
        attr = DenseElementsAttr::get(type, attr.getSplatValue<Attribute>());
      replacement = graph::ConstantOp::create(b, def->getLoc(), attr);
    } else {
      // Large results stay out of the IR, as weights the module owns.
      std::string handle;
      do {
        handle = "__meld_folded_" + std::to_string(numFoldedWeights++);
      } while (weights.lookup(handle));
      weights.addOwned(handle, type, std::move(bytes));
      replacement =
          graph::WeightOp::create(b, def->getLoc(), type, handle).getResult();
    }
    root.replaceAllUsesWith(replacement);
    replacements[root] = replacement;
  }
  return success();
}

LogicalResult Importer::foldKnownOps(func::FuncOp func) {
  if (!options.evaluator || knownOps.empty())
    return success();
  Block &body = func.getBody().front();
  // The ops to evaluate, in order, in batches whose results (and the bytes of
  // the weights they read) stay within the limit. An op whose own result is
  // larger is not folded, nor is any op that depends on it.
  llvm::DenseSet<Operation *> skipped;
  SmallVector<SmallVector<Operation *>> batches(1);
  uint64_t batchBytes = 0;
  llvm::DenseSet<Operation *> batchWeights;
  for (Operation &op : body.without_terminator()) {
    if (!knownOps.contains(&op) || op.use_empty())
      continue;
    // A reshape of a constant or weight is a view: nothing to compute.
    if (isa<graph::ReshapeOp>(op) &&
        !knownOps.contains(op.getOperand(0).getDefiningOp()))
      continue;
    uint64_t bytes = 0;
    for (Value result : op.getResults())
      bytes += getByteSize(cast<RankedTensorType>(result.getType()));
    bool dependsOnSkipped = llvm::any_of(op.getOperands(), [&](Value v) {
      return skipped.contains(v.getDefiningOp());
    });
    if (dependsOnSkipped || bytes > options.maxFoldBytes ||
        getMatmulWork(&op) > options.maxFoldMatmulWork) {
      skipped.insert(&op);
      continue;
    }
    for (Value operand : op.getOperands())
      if (auto weight = operand.getDefiningOp<graph::WeightOp>())
        if (!batchWeights.contains(weight)) {
          batchWeights.insert(weight);
          bytes += getByteSize(weight.getType());
        }
    if (!batches.back().empty() && batchBytes + bytes > options.maxFoldBytes) {
      batches.emplace_back();
      batchBytes = 0;
      batchWeights.clear();
    }
    batches.back().push_back(&op);
    batchBytes += bytes;
  }

  for (ArrayRef<Operation *> batch : batches) {
    // The batch's results used outside it.
    llvm::DenseSet<Operation *> members(batch.begin(), batch.end());
    SmallVector<Value> roots;
    for (Operation *op : batch)
      for (Value result : op->getResults())
        if (llvm::any_of(result.getUsers(), [&](Operation *user) {
              return !members.contains(user);
            }))
          roots.push_back(result);
    if (roots.empty())
      continue;
    if (failed(evaluateAndReplace(roots, roots.front().getLoc())))
      return failure();
  }
  return success();
}

Value Importer::createConstant(Location loc, ElementsAttr value) {
  return graph::ConstantOp::create(builder, loc, cast<TypedAttr>(value));
}

FailureOr<Value> Importer::createReshape(Location loc, Value value,
                                         ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  return createTyped<graph::ReshapeOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), value);
}

SmallVector<std::string> Importer::getGraphInputsOf(Value value) {
  SmallVector<std::string> names;
  llvm::SetVector<Value> visited;
  SmallVector<Value> worklist{value};
  while (!worklist.empty()) {
    Value current = worklist.pop_back_val();
    if (!visited.insert(current))
      continue;
    if (auto arg = dyn_cast<BlockArgument>(current)) {
      if (arg.getArgNumber() < argNames.size())
        names.push_back(argNames[arg.getArgNumber()]);
      continue;
    }
    for (Value operand : current.getDefiningOp()->getOperands())
      worklist.push_back(operand);
  }
  llvm::sort(names);
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

FailureOr<DenseElementsAttr>
Importer::getConstantInput(Node &node, unsigned index, StringRef operandName) {
  Value value = node.input(index);
  assert(value && "absent inputs have no constant");
  DenseElementsAttr attr;
  if (matchPattern(value, m_Constant(&attr)))
    return attr;
  // Computed from constants by ops the folders do not evaluate: evaluate it.
  if (options.evaluator && knownOps.contains(value.getDefiningOp())) {
    uint64_t bytes = getByteSize(cast<RankedTensorType>(value.getType()));
    if (bytes > options.maxFoldBytes ||
        getMatmulWork(value.getDefiningOp()) > options.maxFoldMatmulWork) {
      emitError(node.loc) << "operand '" << operandName << "' (input " << index
                          << ", '" << node.proto->input(index) << "') of "
                          << bytes << " bytes is too costly to compute at "
                          << "compile time (the limits are "
                          << options.maxFoldBytes << " bytes and "
                          << options.maxFoldMatmulWork
                          << " multiply-adds of a matrix product)";
      return failure();
    }
    if (failed(evaluateAndReplace(value, node.loc)))
      return failure();
    value = replacements.lookup(value);
    node.inputs[index] = value;
    if (matchPattern(value, m_Constant(&attr)))
      return attr;
  }
  // A large initializer: read it from the weight store.
  if (auto weight = value.getDefiningOp<graph::WeightOp>()) {
    if (const WeightStore::Entry *entry = weights.lookup(weight.getHandle())) {
      if (entry->type.getNumElements() <= (int64_t(1) << 24)) {
        auto bytes = weights.getBytes(*entry);
        if (!bytes) {
          emitError(node.loc) << llvm::toString(bytes.takeError());
          return failure();
        }
        return makeElementsAttr(entry->type, *bytes);
      }
    }
  }
  InFlightDiagnostic diag = emitError(node.loc);
  diag << "operand '" << operandName << "' (input " << index << ", '"
       << node.proto->input(index) << "') must be a constant";
  SmallVector<std::string> inputs = getGraphInputsOf(value);
  if (!inputs.empty()) {
    diag << ", but it depends on graph input";
    if (inputs.size() > 1)
      diag << "s";
    diag << " ";
    llvm::interleaveComma(
        inputs, diag, [&](const std::string &s) { diag << "'" << s << "'"; });
    diag << "; freeze " << (inputs.size() > 1 ? "them" : "it")
         << " with --const " << inputs.front() << "=FILE";
  }
  return failure();
}

FailureOr<SmallVector<int64_t>>
Importer::getConstantInts(Node &node, unsigned index, StringRef operandName) {
  auto attr = getConstantInput(node, index, operandName);
  if (failed(attr))
    return failure();
  if (!isa<IntegerType>(attr->getElementType()) ||
      attr->getElementType().isInteger(1)) {
    emitError(node.loc) << "operand '" << operandName << "' must hold integers";
    return failure();
  }
  SmallVector<int64_t> values;
  for (const APInt &value : attr->getValues<APInt>())
    values.push_back(value.getSExtValue());
  return values;
}

FailureOr<double> Importer::getConstantScalar(Node &node, unsigned index,
                                              StringRef operandName) {
  auto attr = getConstantInput(node, index, operandName);
  if (failed(attr))
    return failure();
  if (attr->getNumElements() != 1) {
    emitError(node.loc) << "operand '" << operandName
                        << "' must hold a single value, not "
                        << attr->getNumElements();
    return failure();
  }
  Type type = attr->getElementType();
  if (isa<FloatType>(type))
    return (*attr->value_begin<APFloat>()).convertToDouble();
  APInt value = *attr->value_begin<APInt>();
  return type.isInteger(1) ? double(value.getZExtValue())
                           : double(value.getSExtValue());
}

FailureOr<Value> Importer::materializeTensor(const onnx::TensorProto &tensor,
                                             StringRef handle, Location loc,
                                             const Twine &what,
                                             bool isInitializer) {
  TensorSource source;
  if (failed(describeTensor(tensor, context, modelDir, loc, what, source)))
    return failure();
  // With external weights a float initializer comes from the weights file,
  // but for one of a single element, which is baked and recorded.
  bool external = isInitializer && options.floatInitializersAsWeights &&
                  isa<FloatType>(source.type.getElementType());
  bool mustBeWeight = external && source.getNumElements() > 1;
  if (!mustBeWeight &&
      source.getNumElements() <= options.maxInlineConstantElements) {
    DenseElementsAttr attr = readTensorSource(source, loc, what);
    if (!attr)
      return failure();
    if (external) {
      ArrayRef<char> raw = attr.getRawData();
      weights.addBaked(
          handle, source.type,
          ArrayRef(reinterpret_cast<const uint8_t *>(raw.data()), raw.size()));
    }
    return createConstant(loc, attr);
  }
  std::string unique = handle.str();
  for (int i = 1; weights.lookup(unique); ++i)
    unique = (handle + "." + Twine(i)).str();
  WeightStore::Entry *entry;
  if (source.isExternal())
    entry = &weights.addExternal(unique, source.type, source.byteSize,
                                 source.filePath, source.fileOffset);
  else if (!source.converted.empty())
    entry = &weights.addOwned(unique, source.type, std::move(source.converted));
  else
    entry = &weights.addInMemory(unique, source.type, source.memory);
  entry->isInitializer = isInitializer;
  return graph::WeightOp::create(builder, loc, source.type, unique).getResult();
}

Value Importer::lookupValue(StringRef name) {
  auto it = values.find(name);
  if (it != values.end()) {
    Value value = it->second;
    while (Value replacement = replacements.lookup(value))
      value = replacement;
    return value;
  }
  auto init = initializers.find(name);
  if (init == initializers.end())
    return {};
  Location loc = NameLoc::get(StringAttr::get(&context, name), fileLoc);
  auto value =
      materializeTensor(*init->second, name, loc, "initializer '" + name + "'",
                        /*isInitializer=*/true);
  if (failed(value)) {
    failedValues.insert(name);
    return {};
  }
  values[name] = *value;
  return *value;
}

LogicalResult Importer::loadModel(llvm::MemoryBufferRef buffer) {
  StringRef bytes = buffer.getBuffer();
  model = std::make_shared<onnx::ModelProto>();
  if (bytes.size() > static_cast<size_t>(INT32_MAX))
    return mlir::emitError(fileLoc)
           << "cannot parse '" << modelPath
           << "': larger than 2 GiB (store the weights as external data)";
  if (!model->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      !model->has_graph())
    return mlir::emitError(fileLoc)
           << "cannot parse '" << modelPath << "' as an ONNX model";
  // Weights point into the parsed model: the store keeps it.
  weights.keepAlive(model);
  return success();
}

LogicalResult Importer::checkOpsets() {
  bool found = false;
  for (const onnx::OperatorSetIdProto &opset : model->opset_import()) {
    if (!opset.domain().empty() && opset.domain() != "ai.onnx")
      continue;
    found = true;
    opsetVersion = opset.version();
  }
  if (!found)
    return mlir::emitError(fileLoc)
           << "model imports no opset of the default ONNX domain";
  if (opsetVersion < kMinOpset || opsetVersion > kMaxOpset)
    return mlir::emitError(fileLoc)
           << "model uses opset " << opsetVersion
           << " of the default ONNX domain; supported are opsets " << kMinOpset
           << " to " << kMaxOpset;
  return success();
}

FailureOr<RankedTensorType>
Importer::getInputType(const onnx::ValueInfoProto &info) {
  const std::string &name = info.name();
  if (!info.type().has_tensor_type())
    return mlir::emitError(fileLoc) << "input '" << name << "' is not a tensor";
  const onnx::TypeProto::Tensor &tensorType = info.type().tensor_type();
  Type elementType = convertElementType(context, tensorType.elem_type());
  if (!elementType)
    return mlir::emitError(fileLoc)
           << "input '" << name << "' has element type "
           << getDataTypeName(tensorType.elem_type())
           << ", which is not supported (FLOAT, INT64, INT32 and BOOL are)";

  auto given = options.inputShapes.find(name);
  if (given != options.inputShapes.end()) {
    ArrayRef<int64_t> shape = given->second;
    if (llvm::any_of(shape, [](int64_t d) { return d < 0; }))
      return mlir::emitError(fileLoc)
             << "--shape " << name << ": dimensions must not be negative";
    if (tensorType.has_shape()) {
      const onnx::TensorShapeProto &declared = tensorType.shape();
      if (declared.dim_size() != static_cast<int>(shape.size()))
        return mlir::emitError(fileLoc)
               << "--shape " << name << " gives " << shape.size()
               << " dimensions but the input has rank " << declared.dim_size();
      for (int i = 0; i < declared.dim_size(); ++i) {
        const onnx::TensorShapeProto::Dimension &dim = declared.dim(i);
        if (dim.has_dim_value() && dim.dim_value() != shape[i])
          return mlir::emitError(fileLoc)
                 << "--shape " << name << " sets dimension " << i << " to "
                 << shape[i] << " but the model fixes it to "
                 << dim.dim_value();
        auto named = dim.has_dim_param() ? dimValues.find(dim.dim_param())
                                         : dimValues.end();
        if (named != dimValues.end() && named->second != shape[i])
          return mlir::emitError(fileLoc)
                 << "--shape " << name << " sets dimension " << i << " ('"
                 << named->getKey() << "') to " << shape[i] << " but --shape "
                 << named->getKey() << "=" << named->second << " fixes it to "
                 << named->second;
      }
    }
    if (!getCheckedNumElements(shape))
      return mlir::emitError(fileLoc)
             << "--shape " << name << ": the shape is too large";
    return RankedTensorType::get(shape, elementType);
  }

  if (!tensorType.has_shape())
    return mlir::emitError(fileLoc)
           << "input '" << name << "' has no shape; give one with --shape "
           << name << "=DIMS";
  SmallVector<int64_t> shape;
  for (int i = 0; i < tensorType.shape().dim_size(); ++i) {
    const onnx::TensorShapeProto::Dimension &dim = tensorType.shape().dim(i);
    if (dim.has_dim_value() && dim.dim_value() >= 0) {
      shape.push_back(dim.dim_value());
      continue;
    }
    bool symbolic = dim.has_dim_param() && !dim.dim_param().empty();
    if (symbolic) {
      auto named = dimValues.find(dim.dim_param());
      if (named != dimValues.end()) {
        shape.push_back(named->second);
        continue;
      }
    }
    InFlightDiagnostic diag = mlir::emitError(fileLoc);
    diag << "input '" << name << "' has ";
    if (symbolic)
      diag << "a symbolic dimension '" << dim.dim_param() << "' (dimension "
           << i << "); fix it with --shape " << dim.dim_param()
           << "=N, or the input's shape with --shape " << name << "=";
    else
      diag << "an unknown dimension (dimension " << i
           << "); fix its shape with --shape " << name << "=";
    for (int j = 0; j < tensorType.shape().dim_size(); ++j) {
      const auto &d = tensorType.shape().dim(j);
      auto named = d.has_dim_param() ? dimValues.find(d.dim_param())
                                     : dimValues.end();
      diag << (j ? "x" : "")
           << (d.has_dim_value()           ? std::to_string(d.dim_value())
               : named != dimValues.end() ? std::to_string(named->second)
                                          : std::string("N"));
    }
    return failure();
  }
  if (!getCheckedNumElements(shape))
    return mlir::emitError(fileLoc)
           << "input '" << name << "' has an implausibly large shape "
           << formatShape(shape);
  return RankedTensorType::get(shape, elementType);
}

LogicalResult Importer::buildSignature(func::FuncOp &func) {
  const onnx::GraphProto &graph = model->graph();
  bool ok = true;
  // Names are single assignments (the ONNX checker's rule): two initializers
  // of one name are refused, where onnxruntime would silently take the last.
  for (const onnx::TensorProto &init : graph.initializer()) {
    if (!initializers.try_emplace(init.name(), &init).second) {
      mlir::emitError(fileLoc)
          << "initializer '" << init.name() << "' is declared twice";
      ok = false;
    }
  }
  // Each output is one result of @main and one name in the artifact.
  llvm::StringSet<> outputNames;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    if (!outputNames.insert(output.name()).second) {
      mlir::emitError(fileLoc)
          << "graph output '" << output.name() << "' is listed twice";
      ok = false;
    }
  }

  // Options naming inputs that do not exist are mistakes.
  llvm::StringSet<> inputNames;
  for (const onnx::ValueInfoProto &input : graph.input())
    if (!initializers.count(input.name()))
      inputNames.insert(input.name());
  for (const auto &entry : options.constInputs)
    if (!inputNames.contains(entry.getKey())) {
      mlir::emitError(fileLoc)
          << "--const " << entry.getKey() << ": the model has no input named '"
          << entry.getKey() << "'";
      ok = false;
    }
  // --shape NAME=DIMS names an input (its whole shape) or a symbolic
  // dimension (one value, for every input that has it).
  llvm::StringSet<> dimParams;
  for (const onnx::ValueInfoProto &input : graph.input())
    if (inputNames.contains(input.name()) && input.type().has_tensor_type())
      for (const auto &dim : input.type().tensor_type().shape().dim())
        if (dim.has_dim_param() && !dim.dim_param().empty())
          dimParams.insert(dim.dim_param());
  for (const auto &entry : options.inputShapes) {
    llvm::StringRef key = entry.getKey();
    bool isInput = inputNames.contains(key);
    bool isDim = dimParams.contains(key);
    if (isInput && isDim) {
      mlir::emitError(fileLoc)
          << "--shape " << key << ": '" << key
          << "' names both an input and a symbolic dimension of the model";
      ok = false;
    } else if (isDim && entry.getValue().size() != 1) {
      mlir::emitError(fileLoc)
          << "--shape " << key << ": '" << key
          << "' is a symbolic dimension: give it one value, e.g. " << key
          << "=37";
      ok = false;
    } else if (isDim && entry.getValue().front() < 0) {
      mlir::emitError(fileLoc)
          << "--shape " << key << ": dimensions must not be negative";
      ok = false;
    } else if (isDim) {
      dimValues[key] = entry.getValue().front();
    } else if (!isInput) {
      mlir::emitError(fileLoc)
          << "--shape " << key << ": the model has no input or symbolic "
          << "dimension named '" << key << "'";
      ok = false;
    }
  }
  if (!ok)
    return failure();

  SmallVector<Type> argTypes;
  SmallVector<const onnx::ValueInfoProto *> frozen;
  llvm::StringSet<> seen;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    // Inputs that are also initializers are constants: before IR version 4
    // every initializer is listed as an input; from 4 on the initializer is
    // the input's default value, which onnxruntime lets a caller override.
    // A compiled model has no such override: it keeps the default.
    if (initializers.count(input.name()))
      continue;
    if (!seen.insert(input.name()).second) {
      mlir::emitError(fileLoc)
          << "input '" << input.name() << "' is declared twice";
      ok = false;
      continue;
    }
    if (options.constInputs.count(input.name())) {
      frozen.push_back(&input);
      continue;
    }
    auto type = getInputType(input);
    if (failed(type)) {
      ok = false;
      continue;
    }
    argTypes.push_back(*type);
    argNames.push_back(input.name());
  }
  if (!ok)
    return failure();

  func = func::FuncOp::create(builder, fileLoc, kMainFunctionName,
                              builder.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToStart(body);
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, kMeldNameAttr, builder.getStringAttr(name));
    values[name] = body->getArgument(i);
  }

  // Frozen inputs become constants.
  for (const onnx::ValueInfoProto *input : frozen) {
    const std::string &name = input->name();
    Location loc = NameLoc::get(builder.getStringAttr(name), fileLoc);
    DenseElementsAttr attr =
        readTensorFile(options.constInputs.lookup(name), context, fileLoc);
    if (!attr) {
      ok = false;
      continue;
    }
    auto declared = input->type().tensor_type();
    Type elementType = convertElementType(context, declared.elem_type());
    if (input->type().has_tensor_type() && elementType &&
        elementType != attr.getElementType()) {
      mlir::emitError(fileLoc)
          << "--const " << name << ": the file holds "
          << getDataTypeName(getONNXDataType(attr.getElementType()))
          << " elements but the input is "
          << getDataTypeName(declared.elem_type());
      ok = false;
      continue;
    }
    auto shape = attr.getType().getShape();
    if (declared.has_shape()) {
      bool matches = declared.shape().dim_size() == (int)shape.size();
      for (int i = 0; matches && i < declared.shape().dim_size(); ++i)
        if (declared.shape().dim(i).has_dim_value() &&
            declared.shape().dim(i).dim_value() != shape[i])
          matches = false;
      if (!matches) {
        mlir::emitError(fileLoc)
            << "--const " << name << ": the file holds a tensor of shape "
            << formatShape(shape)
            << ", which does not match the input's declared shape";
        ok = false;
        continue;
      }
    }
    values[name] = createConstant(loc, attr);
  }
  return success(ok);
}

LogicalResult Importer::sortNodes(SmallVectorImpl<int> &order) {
  const onnx::GraphProto &graph = model->graph();
  int numNodes = graph.node_size();
  auto nodeLoc = [&](int i) {
    const onnx::NodeProto &node = graph.node(i);
    std::string name = node.name();
    if (name.empty() && node.output_size())
      name = node.output(0);
    return getNodeLoc(context, name, node.op_type(), modelPath);
  };
  auto nodeTitle = [&](int i) {
    const onnx::NodeProto &node = graph.node(i);
    std::string name = node.name();
    if (name.empty() && node.output_size())
      name = node.output(0);
    return "'" + name + "' (" + node.op_type() + ")";
  };

  // Values defined before any node runs.
  llvm::StringSet<> defined;
  for (const auto &entry : values)
    defined.insert(entry.getKey());
  for (const auto &entry : initializers)
    defined.insert(entry.getKey());

  llvm::StringMap<int> producer;
  bool ok = true;
  for (int i = 0; i < numNodes; ++i) {
    for (const std::string &output : graph.node(i).output()) {
      if (output.empty())
        continue;
      if (defined.contains(output) || !producer.try_emplace(output, i).second) {
        mlir::emitError(nodeLoc(i))
            << "value '" << output << "' is defined more than once";
        ok = false;
      }
    }
  }
  for (const onnx::ValueInfoProto &output : graph.output())
    usedValues.insert(output.name());

  // Kahn's algorithm, keeping the model's order among ready nodes.
  SmallVector<int> pending(numNodes, 0);
  SmallVector<SmallVector<int>> users(numNodes);
  for (int i = 0; i < numNodes; ++i) {
    for (const std::string &input : graph.node(i).input()) {
      if (input.empty())
        continue;
      usedValues.insert(input);
      if (defined.contains(input))
        continue;
      auto it = producer.find(input);
      if (it == producer.end()) {
        mlir::emitError(nodeLoc(i))
            << "input '" << input
            << "' is not produced by any node and is not a graph input or "
               "initializer";
        ok = false;
        continue;
      }
      ++pending[i];
      users[it->second].push_back(i);
    }
  }
  if (!ok)
    return failure();

  // The smallest ready index first: a sorted model keeps its order.
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int i = 0; i < numNodes; ++i)
    if (pending[i] == 0)
      ready.push(i);
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int user : users[i])
      if (--pending[user] == 0)
        ready.push(user);
  }
  if (static_cast<int>(order.size()) == numNodes)
    return success();

  // Some node waits on itself: walk back through waiting producers until a
  // node repeats; that node lies on a cycle.
  int current = 0;
  while (pending[current] == 0)
    ++current;
  SmallVector<bool> visited(numNodes, false);
  while (!visited[current]) {
    visited[current] = true;
    for (const std::string &input : graph.node(current).input()) {
      auto it = producer.find(input);
      if (it != producer.end() && pending[it->second] > 0 &&
          !defined.contains(input)) {
        current = it->second;
        break;
      }
    }
  }
  return mlir::emitError(fileLoc)
         << "graph has a cycle through node " << nodeTitle(current);
}

LogicalResult Importer::checkAttributes(Node &node, const OpSpec &spec) {
  bool ok = true;
  for (const onnx::AttributeProto &attr : node.proto->attribute()) {
    const auto *known = llvm::find_if(spec.attrs, [&](const auto &entry) {
      return entry.first == attr.name();
    });
    if (known == spec.attrs.end()) {
      emitError(node.loc) << "unsupported attribute '" << attr.name()
                          << "' = " << formatAttrValue(attr);
      ok = false;
      continue;
    }
    std::optional<AttrKind> kind = getAttrKind(attr);
    if (!kind || *kind != known->second) {
      emitError(node.loc) << "attribute '" << attr.name() << "' must be "
                          << getAttrKindName(known->second);
      ok = false;
    }
  }
  return success(ok);
}

void Importer::importNode(const onnx::NodeProto &proto) {
  std::string name = proto.name();
  if (name.empty() && proto.output_size())
    name = proto.output(0);
  Node node(getNodeLoc(context, name, proto.op_type(), modelPath));
  node.proto = &proto;
  node.name = name;
  node.opType = proto.op_type();
  auto markFailed = [&] {
    for (const std::string &output : proto.output())
      if (!output.empty())
        failedValues.insert(output);
  };

  // What does not depend on the inputs (the operator, its arity, its
  // attributes) is checked even downstream of a failed node, so that one run
  // reports every unsupported operator.
  unsigned errorsBefore = errorCount;
  const bool defaultDomain =
      proto.domain().empty() || proto.domain() == "ai.onnx";
  auto it = ops.find(proto.op_type());
  if (!defaultDomain || it == ops.end()) {
    InFlightDiagnostic diag = emitError(node.loc);
    diag << "unsupported operator '" << proto.op_type() << "'";
    if (!defaultDomain)
      diag << " of domain '" << proto.domain() << "'";
    return markFailed();
  }
  const OpSpec &spec = it->second;
  unsigned numInputs = proto.input_size(), numOutputs = proto.output_size();
  while (numInputs > 0 && proto.input(numInputs - 1).empty())
    --numInputs;
  if (numInputs < spec.minInputs || numInputs > spec.maxInputs) {
    InFlightDiagnostic diag = emitError(node.loc);
    diag << "expects ";
    if (spec.minInputs == spec.maxInputs)
      diag << spec.minInputs;
    else if (spec.maxInputs == ~0u)
      diag << "at least " << spec.minInputs;
    else
      diag << spec.minInputs << " to " << spec.maxInputs;
    diag << " inputs, got " << numInputs;
    return markFailed();
  }
  if (numOutputs < spec.minOutputs || numOutputs > spec.maxOutputs) {
    emitError(node.loc) << "has " << numOutputs
                        << " outputs, which is not supported";
    return markFailed();
  }
  if (failed(checkAttributes(node, spec)))
    return markFailed();

  // Nodes that depend on a failed node are skipped silently.
  for (const std::string &input : proto.input())
    if (!input.empty() && failedValues.contains(input))
      return markFailed();

  for (unsigned i = 0; i < numInputs; ++i) {
    const std::string &input = proto.input(i);
    if (input.empty()) {
      node.inputs.push_back(Value());
      continue;
    }
    Value value = lookupValue(input);
    if (!value)
      return markFailed();
    node.inputs.push_back(value);
  }
  // A required input left empty in the middle ("" before a given one).
  for (unsigned i = 0; i < spec.minInputs; ++i)
    if (!node.inputs[i]) {
      emitError(node.loc) << "required input " << i << " is missing";
      return markFailed();
    }
  node.results.assign(numOutputs, Value());

  if (failed(spec.handler(node))) {
    if (errorCount == errorsBefore)
      emitError(node.loc) << "cannot import this node";
    return markFailed();
  }
  for (auto [output, value] : llvm::zip_equal(proto.output(), node.results)) {
    if (output.empty())
      continue;
    if (value)
      values[output] = value;
    else
      failedValues.insert(output);
  }
}

OwningOpRef<ModuleOp> Importer::run(llvm::MemoryBufferRef bytes) {
  // Count every error emitted while importing, whoever emits it.
  ScopedDiagnosticHandler counter(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      ++errorCount;
    return failure(); // let the next handler print it
  });

  if (failed(loadModel(bytes)) || failed(checkOpsets()))
    return nullptr;

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  func::FuncOp func;
  if (failed(buildSignature(func)))
    return nullptr;

  SmallVector<int> order;
  if (failed(sortNodes(order)))
    return nullptr;
  const onnx::GraphProto &graph = model->graph();
  for (int index : order)
    importNode(graph.node(index));

  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    if (failedValues.contains(output.name()))
      continue;
    Value value = lookupValue(output.name());
    if (!value) {
      if (!failedValues.contains(output.name()))
        mlir::emitError(fileLoc) << "graph output '" << output.name()
                                 << "' is not produced by any node";
      continue;
    }
    results.push_back(value);
  }
  if (errorCount)
    return nullptr;

  func::ReturnOp::create(builder, fileLoc, results);
  if (failed(foldKnownOps(func)))
    return nullptr;
  results.assign(func.getBody().front().getTerminator()->operand_begin(),
                 func.getBody().front().getTerminator()->operand_end());
  // Drop what folding left unused (the constants of shape subgraphs, weights
  // only a Shape looked at) and the store entries of dropped weights.
  SmallVector<Operation *> bodyOps;
  for (Operation &op : func.getBody().front().without_terminator())
    bodyOps.push_back(&op);
  for (Operation *op : llvm::reverse(bodyOps))
    if (isOpTriviallyDead(op))
      op->erase();
  llvm::StringSet<> liveWeights;
  func.walk([&](graph::WeightOp op) { liveWeights.insert(op.getHandle()); });
  SmallVector<std::string> deadWeights;
  for (const auto &entry : weights.getEntries())
    if (!liveWeights.contains(entry->handle))
      deadWeights.push_back(entry->handle);
  for (const std::string &handle : deadWeights)
    weights.erase(handle);
  func.setFunctionType(builder.getFunctionType(func.getArgumentTypes(),
                                               ValueRange(results).getTypes()));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, kMeldNameAttr, builder.getStringAttr(output.name()));
  if (failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> meld::importONNXModel(llvm::MemoryBufferRef model,
                                            StringRef baseDir,
                                            MLIRContext &context,
                                            const ImportOptions &options,
                                            WeightStore &weights) {
  return Importer(context, model.getBufferIdentifier(), baseDir, options,
                  weights)
      .run(model);
}

OwningOpRef<ModuleOp> meld::importONNXModel(StringRef path,
                                            MLIRContext &context,
                                            const ImportOptions &options,
                                            WeightStore &weights) {
  auto buffer = readRegularFile(path);
  if (!buffer) {
    mlir::emitError(FileLineColLoc::get(&context, path, 0, 0))
        << llvm::toString(buffer.takeError());
    return nullptr;
  }
  return importONNXModel((*buffer)->getMemBufferRef(),
                         llvm::sys::path::parent_path(path), context, options,
                         weights);
}
