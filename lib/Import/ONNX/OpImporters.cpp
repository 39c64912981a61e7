//===- OpImporters.cpp - One handler per ONNX operator --------------------===//
//
// Each handler maps one ONNX node (definitions of opsets 13 to 22) to graph
// ops. Handlers check what the graph ops cannot (operand kinds, constant
// operands, ONNX's own shape rules) and emit errors at the node's location; ops
// are built through Importer::createInferred / createTyped, which verify them
// and fold constant subgraphs (the Shape -> Gather -> Concat -> Reshape chains
// of exporters).
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace meld;
using namespace meld::onnx_import;
namespace graph = meld::graph;

namespace {

/// Element types an operand may have.
enum class TypeClass { Float, Numeric, Bool, Any };

} // namespace

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static RankedTensorType getType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

static bool isClass(Type elementType, TypeClass cls) {
  switch (cls) {
  case TypeClass::Float:
    return isa<FloatType>(elementType);
  case TypeClass::Numeric:
    return !elementType.isInteger(1);
  case TypeClass::Bool:
    return elementType.isInteger(1);
  case TypeClass::Any:
    return true;
  }
  llvm_unreachable("unknown type class");
}

static StringRef getClassName(TypeClass cls) {
  switch (cls) {
  case TypeClass::Float:
    return "a float";
  case TypeClass::Numeric:
    return "a numeric";
  case TypeClass::Bool:
    return "a bool";
  case TypeClass::Any:
    return "a";
  }
  llvm_unreachable("unknown type class");
}

/// Checks that input `i` of `node` has an element type of class `cls`.
static LogicalResult checkClass(Importer &imp, Node &node, unsigned i,
                                TypeClass cls) {
  Type elementType = node.inputType(i).getElementType();
  if (isClass(elementType, cls))
    return success();
  return imp.emitError(node.loc)
         << "input " << i << " must be " << getClassName(cls) << " tensor, not "
         << node.inputType(i);
}

/// Checks that all inputs of `node` (present ones) share an element type.
static LogicalResult checkSameElementType(Importer &imp, Node &node,
                                          ArrayRef<unsigned> indices) {
  Type first;
  for (unsigned i : indices) {
    Value value = node.input(i);
    if (!value)
      continue;
    Type type = getType(value).getElementType();
    if (!first) {
      first = type;
      continue;
    }
    if (type != first)
      return imp.emitError(node.loc) << "inputs have different element types ("
                                     << first << " and " << type << ")";
  }
  return success();
}

/// Checks that `values` broadcast together (numpy rules).
static LogicalResult checkBroadcast(Importer &imp, Node &node,
                                    ArrayRef<Value> values) {
  SmallVector<int64_t> shape;
  for (Value value : values) {
    SmallVector<int64_t> next;
    if (!OpTrait::util::getBroadcastedShape(shape, getType(value).getShape(),
                                            next)) {
      InFlightDiagnostic diag = imp.emitError(node.loc);
      diag << "input shapes ";
      llvm::interleaveComma(values, diag, [&](Value v) {
        diag << formatShape(getType(v).getShape());
      });
      return diag << " do not broadcast";
    }
    shape = std::move(next);
  }
  return success();
}

/// Normalizes a possibly negative `axis` for `rank` (ONNX's [-rank, rank)).
static FailureOr<int64_t> normalizeAxis(Importer &imp, Node &node, int64_t axis,
                                        int64_t rank, StringRef what = "axis") {
  if (axis < -rank || axis >= rank) {
    imp.emitError(node.loc)
        << what << " " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

/// Normalizes, sorts and checks a list of axes for `rank`.
static FailureOr<SmallVector<int64_t>>
normalizeAxes(Importer &imp, Node &node, ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> result;
  for (int64_t axis : axes) {
    auto normalized = normalizeAxis(imp, node, axis, rank);
    if (failed(normalized))
      return failure();
    result.push_back(*normalized);
  }
  llvm::sort(result);
  if (std::adjacent_find(result.begin(), result.end()) != result.end()) {
    imp.emitError(node.loc)
        << "axes " << formatShape(axes) << " repeat an axis";
    return failure();
  }
  return result;
}

/// The axes of a node that takes them as attribute `axes` (older opsets) or as
/// input `index` (newer ones); nullopt when neither is given.
static FailureOr<std::optional<SmallVector<int64_t>>>
getAxesAttrOrInput(Importer &imp, Node &node, unsigned index) {
  if (auto axes = node.getInts("axes"))
    return std::optional<SmallVector<int64_t>>(*axes);
  if (!node.input(index))
    return std::optional<SmallVector<int64_t>>();
  auto axes = imp.getConstantInts(node, index, "axes");
  if (failed(axes))
    return failure();
  return std::optional<SmallVector<int64_t>>(*axes);
}

/// Succeeds with the single result `value`.
static LogicalResult setResult(Node &node, FailureOr<Value> value) {
  if (failed(value))
    return failure();
  node.results[0] = *value;
  return success();
}

/// Fails with an error when optional output `index` of `node` is used.
static LogicalResult checkUnusedOutput(Importer &imp, Node &node,
                                       unsigned index, StringRef outputName) {
  if (index >= node.getNumOutputs())
    return success();
  const std::string &value = node.proto->output(index);
  if (value.empty() || !imp.isUsed(value))
    return success();
  return imp.emitError(node.loc)
         << "output '" << outputName << "' is not supported (its value '"
         << value << "' is used)";
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <typename OpTy>
static FailureOr<Value> buildBinary(Importer &imp, Node &node, Value lhs,
                                    Value rhs) {
  if (failed(checkBroadcast(imp, node, {lhs, rhs})))
    return failure();
  return imp.createInferred1<OpTy>(node.loc, lhs, rhs);
}

/// Add, Sub, Mul, Div, And, Or: two operands of one element type.
template <typename OpTy>
static LogicalResult importBinary(Importer &imp, Node &node, TypeClass cls) {
  if (failed(checkSameElementType(imp, node, {0, 1})) ||
      failed(checkClass(imp, node, 0, cls)))
    return failure();
  return setResult(node,
                   buildBinary<OpTy>(imp, node, node.input(0), node.input(1)));
}

/// Min, Max, Sum, Mean: any number of operands, chained.
template <typename OpTy>
static LogicalResult importVariadic(Importer &imp, Node &node, TypeClass cls,
                                    bool mean = false) {
  SmallVector<unsigned> indices;
  for (unsigned i = 0; i < node.inputs.size(); ++i) {
    if (!node.input(i)) {
      imp.emitError(node.loc) << "input " << i << " is missing";
      return failure();
    }
    indices.push_back(i);
  }
  if (failed(checkSameElementType(imp, node, indices)) ||
      failed(checkClass(imp, node, 0, cls)) ||
      failed(checkBroadcast(imp, node, node.inputs)))
    return failure();
  Value result = node.input(0);
  for (Value next : ArrayRef(node.inputs).drop_front()) {
    auto combined = imp.createInferred1<OpTy>(node.loc, result, next);
    if (failed(combined))
      return failure();
    result = *combined;
  }
  if (mean && node.inputs.size() > 1) {
    auto elementType = cast<FloatType>(getType(result).getElementType());
    APFloat value(static_cast<double>(node.inputs.size()));
    bool losesInfo;
    value.convert(elementType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                  &losesInfo);
    auto count = DenseElementsAttr::get(RankedTensorType::get({}, elementType),
                                        ArrayRef<APFloat>(value));
    auto divided = imp.createInferred1<graph::DivOp>(
        node.loc, result, imp.createConstant(node.loc, count));
    if (failed(divided))
      return failure();
    result = *divided;
  }
  // A single input: the identity (with a Max/Min of one element).
  node.results[0] = result;
  return success();
}

static LogicalResult importPow(Importer &imp, Node &node) {
  if (failed(checkClass(imp, node, 0, TypeClass::Numeric)) ||
      failed(checkClass(imp, node, 1, TypeClass::Numeric)))
    return failure();
  Value base = node.input(0), exponent = node.input(1);
  Type baseType = getType(base).getElementType();
  // graph.pow is defined on floats: integer bases go through f32 and back
  // (exact while the results stay below 2^24).
  Type computeType =
      isa<FloatType>(baseType) ? baseType : imp.getBuilder().getF32Type();
  auto castTo = [&](Value value, Type elementType) -> FailureOr<Value> {
    if (getType(value).getElementType() == elementType)
      return value;
    return imp.createTyped<graph::CastOp>(
        node.loc, RankedTensorType::get(getType(value).getShape(), elementType),
        value);
  };
  auto lhs = castTo(base, computeType);
  auto rhs = exponent == base ? lhs : castTo(exponent, computeType);
  if (failed(lhs) || failed(rhs))
    return failure();
  auto power = buildBinary<graph::PowOp>(imp, node, *lhs, *rhs);
  if (failed(power))
    return failure();
  return setResult(node, castTo(*power, baseType));
}

static LogicalResult importCompare(Importer &imp, Node &node,
                                   graph::CmpPredicate predicate) {
  if (failed(checkSameElementType(imp, node, {0, 1})) ||
      failed(checkBroadcast(imp, node, {node.input(0), node.input(1)})))
    return failure();
  if (predicate != graph::CmpPredicate::eq &&
      failed(checkClass(imp, node, 0, TypeClass::Numeric)))
    return failure();
  return setResult(node, imp.createInferred1<graph::CmpOp>(node.loc, predicate,
                                                           node.input(0),
                                                           node.input(1)));
}

static LogicalResult importWhere(Importer &imp, Node &node) {
  if (failed(checkClass(imp, node, 0, TypeClass::Bool)) ||
      failed(checkSameElementType(imp, node, {1, 2})) ||
      failed(checkBroadcast(imp, node, node.inputs)))
    return failure();
  return setResult(
      node, imp.createInferred1<graph::WhereOp>(node.loc, node.input(0),
                                                node.input(1), node.input(2)));
}

/// Unary ops whose result type is the operand type.
template <typename OpTy>
static LogicalResult importUnary(Importer &imp, Node &node, TypeClass cls) {
  if (failed(checkClass(imp, node, 0, cls)))
    return failure();
  return setResult(
      node, imp.createTyped<OpTy>(node.loc, node.inputType(0), node.input(0)));
}

static LogicalResult importGelu(Importer &imp, Node &node) {
  if (failed(checkClass(imp, node, 0, TypeClass::Float)))
    return failure();
  std::string approximate = node.getString("approximate", "none");
  graph::GeluApproximation kind;
  if (approximate == "none") {
    kind = graph::GeluApproximation::none;
  } else if (approximate == "tanh") {
    kind = graph::GeluApproximation::tanh;
  } else {
    return imp.emitError(node.loc)
           << "unsupported attribute 'approximate' = \"" << approximate << "\"";
  }
  return setResult(
      node, imp.createTyped<graph::GeluOp>(
                node.loc, node.inputType(0), node.input(0),
                graph::GeluApproximationAttr::get(&imp.getContext(), kind)));
}

static LogicalResult importIsNaN(Importer &imp, Node &node) {
  if (failed(checkClass(imp, node, 0, TypeClass::Float)))
    return failure();
  // NaN is the one value unequal to itself.
  return setResult(
      node, imp.createInferred1<graph::CmpOp>(node.loc, graph::CmpPredicate::ne,
                                              node.input(0), node.input(0)));
}

static LogicalResult importIsInf(Importer &imp, Node &node) {
  if (failed(checkClass(imp, node, 0, TypeClass::Float)))
    return failure();
  bool negative = node.getInt("detect_negative", 1) != 0;
  bool positive = node.getInt("detect_positive", 1) != 0;
  Value x = node.input(0);
  RankedTensorType type = node.inputType(0);
  OpBuilder &b = imp.getBuilder();
  if (!negative && !positive) {
    node.results[0] = imp.createConstant(
        node.loc,
        DenseElementsAttr::get(
            RankedTensorType::get(type.getShape(), b.getI1Type()), false));
    return success();
  }
  if (negative && positive) {
    auto magnitude = imp.createTyped<graph::AbsOp>(node.loc, type, x);
    if (failed(magnitude))
      return failure();
    x = *magnitude;
  }
  double infinity = std::numeric_limits<double>::infinity();
  Value bound = imp.createConstant(
      node.loc,
      DenseElementsAttr::get(RankedTensorType::get({}, type.getElementType()),
                             b.getFloatAttr(type.getElementType(),
                                            positive ? infinity : -infinity)));
  return setResult(node, imp.createInferred1<graph::CmpOp>(
                             node.loc, graph::CmpPredicate::eq, x, bound));
}

/// Whether `value` is a constant (or a weight, which can be read).
static bool isConstantValue(Value value) {
  return matchPattern(value, m_Constant()) ||
         value.getDefiningOp<graph::WeightOp>();
}

static LogicalResult importClip(Importer &imp, Node &node) {
  if (failed(checkClass(imp, node, 0, TypeClass::Numeric)) ||
      failed(checkSameElementType(imp, node, {0, 1, 2})))
    return failure();
  OpBuilder &b = imp.getBuilder();
  Value result = node.input(0);
  FloatAttr bounds[2];
  const char *names[2] = {"min", "max"};
  for (unsigned i = 1; i <= 2; ++i) {
    Value bound = node.input(i);
    if (!bound)
      continue;
    if (isConstantValue(bound)) {
      auto value = imp.getConstantScalar(node, i, names[i - 1]);
      if (failed(value))
        return failure();
      bounds[i - 1] = b.getF64FloatAttr(*value);
      continue;
    }
    // A bound computed at run time: max(x, min) and min(x, max).
    if (getType(bound).getRank() != 0)
      return imp.emitError(node.loc)
             << "operand '" << names[i - 1] << "' must be a scalar";
    auto clamped =
        i == 1 ? imp.createInferred1<graph::MaxOp>(node.loc, result, bound)
               : imp.createInferred1<graph::MinOp>(node.loc, result, bound);
    if (failed(clamped))
      return failure();
    result = *clamped;
  }
  if (!bounds[0] && !bounds[1]) {
    node.results[0] = result;
    return success();
  }
  return setResult(node, imp.createTyped<graph::ClipOp>(node.loc,
                                                        getType(result), result,
                                                        bounds[0], bounds[1]));
}

static LogicalResult castResultTo(Importer &imp, Node &node, Type elementType) {
  auto type = RankedTensorType::get(node.inputType(0).getShape(), elementType);
  return setResult(
      node, imp.createTyped<graph::CastOp>(node.loc, type, node.input(0)));
}

static LogicalResult importCast(Importer &imp, Node &node) {
  const onnx::AttributeProto *to = node.getAttr("to");
  if (!to)
    return imp.emitError(node.loc) << "attribute 'to' is required";
  Type elementType = convertElementType(imp.getContext(), to->i());
  if (!elementType)
    return imp.emitError(node.loc) << "unsupported attribute 'to' = " << to->i()
                                   << " (" << getDataTypeName(to->i()) << ")";
  return castResultTo(imp, node, elementType);
}

static LogicalResult importCastLike(Importer &imp, Node &node) {
  return castResultTo(imp, node, node.inputType(1).getElementType());
}

static LogicalResult importIdentity(Importer &imp, Node &node) {
  node.results[0] = node.input(0);
  return success();
}

static LogicalResult importDropout(Importer &imp, Node &node) {
  if (failed(checkUnusedOutput(imp, node, 1, "mask")))
    return failure();
  if (node.input(2)) {
    auto training = imp.getConstantScalar(node, 2, "training_mode");
    if (failed(training))
      return failure();
    if (*training != 0)
      return imp.emitError(node.loc) << "training mode is not supported";
  }
  node.results[0] = node.input(0);
  return success();
}

//===----------------------------------------------------------------------===//
// Faults known at compile time
//===----------------------------------------------------------------------===//
//
// Values that would be a fault in the data at run time (see docs/Faults.md)
// are refused at import when they are constants.

/// Checks that input `i` of `node` holds indices (INT64 or INT32).
static LogicalResult checkIndexType(Importer &imp, Node &node, unsigned i) {
  Type indexType = node.inputType(i).getElementType();
  if (indexType.isInteger(64) || indexType.isInteger(32))
    return success();
  return imp.emitError(node.loc)
         << "indices must be INT64 or INT32, not " << indexType;
}

/// Refuses constant indices (input `i` of `node`) outside their axis of
/// `shape`: the index at row-major position p indexes axis `axisOf(p)`, and
/// must lie in [-n, n) for that axis's size n.
static LogicalResult
checkConstantIndices(Importer &imp, Node &node, unsigned i,
                     ArrayRef<int64_t> shape,
                     llvm::function_ref<int64_t(int64_t)> axisOf) {
  DenseIntElementsAttr indices;
  if (!matchPattern(node.input(i), m_Constant(&indices)))
    return success();
  for (auto [position, value] : llvm::enumerate(indices.getValues<APInt>())) {
    int64_t axis = axisOf(position);
    int64_t size = shape[axis], index = value.getSExtValue();
    if (index < -size || index >= size)
      return imp.emitError(node.loc)
             << "index " << index << " is out of range for axis " << axis
             << " of size " << size;
  }
  return success();
}

/// Div: an integer division by a constant zero is refused.
static LogicalResult importDiv(Importer &imp, Node &node) {
  if (failed(importBinary<graph::DivOp>(imp, node, TypeClass::Numeric)))
    return failure();
  auto div = node.results[0].getDefiningOp<graph::DivOp>();
  if (!div)
    return success();
  if (std::optional<int64_t> zero = div.getConstantZeroDivisor())
    return imp.emitError(node.loc)
           << "integer division by zero: the divisor (input 1, '"
           << node.proto->input(1) << "') is a constant whose element " << *zero
           << " is 0";
  return success();
}

//===----------------------------------------------------------------------===//
// Data-indexed ops: GatherElements, GatherND, ScatterND
//===----------------------------------------------------------------------===//

/// Gather and GatherElements: indices into one axis of the input.
template <typename OpTy>
static LogicalResult importGatherAlongAxis(Importer &imp, Node &node) {
  RankedTensorType dataType = node.inputType(0);
  if (failed(checkIndexType(imp, node, 1)))
    return failure();
  auto axis =
      normalizeAxis(imp, node, node.getInt("axis", 0), dataType.getRank());
  if (failed(axis) ||
      failed(checkConstantIndices(imp, node, 1, dataType.getShape(),
                                  [&](int64_t) { return *axis; })))
    return failure();
  return setResult(node, imp.createInferred1<OpTy>(
                             node.loc, node.input(0), node.input(1),
                             imp.getBuilder().getI64IntegerAttr(*axis)));
}

static LogicalResult importGatherND(Importer &imp, Node &node) {
  if (failed(checkIndexType(imp, node, 1)))
    return failure();
  int64_t batch = node.getInt("batch_dims", 0);
  ArrayRef<int64_t> indicesShape = node.inputType(1).getShape();
  // The shapes are checked by the op; constant indices need a valid tuple
  // size to be checked here.
  int64_t k = indicesShape.empty() ? 0 : indicesShape.back();
  auto result = imp.createInferred1<graph::GatherNDOp>(
      node.loc, node.input(0), node.input(1),
      imp.getBuilder().getI64IntegerAttr(batch));
  if (failed(result) ||
      failed(checkConstantIndices(imp, node, 1, node.inputType(0).getShape(),
                                  [&](int64_t p) { return batch + p % k; })))
    return failure();
  return setResult(node, result);
}

static LogicalResult importScatterND(Importer &imp, Node &node) {
  if (failed(checkIndexType(imp, node, 1)) ||
      failed(checkSameElementType(imp, node, {0, 2})))
    return failure();
  std::string name = node.getString("reduction", "none");
  std::optional<graph::ScatterReduction> reduction =
      graph::symbolizeScatterReduction(name);
  if (!reduction)
    return imp.emitError(node.loc)
           << "unsupported attribute 'reduction' = \"" << name << "\"";
  ArrayRef<int64_t> indicesShape = node.inputType(1).getShape();
  int64_t k = indicesShape.empty() ? 0 : indicesShape.back();
  auto result = imp.createInferred1<graph::ScatterNDOp>(
      node.loc, node.input(0), node.input(1), node.input(2),
      graph::ScatterReductionAttr::get(&imp.getContext(), *reduction));
  if (failed(result) ||
      failed(checkConstantIndices(imp, node, 1, node.inputType(0).getShape(),
                                  [&](int64_t p) { return p % k; })))
    return failure();
  return setResult(node, result);
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

static LogicalResult importMatMul(Importer &imp, Node &node) {
  if (failed(checkClass(imp, node, 0, TypeClass::Float)) ||
      failed(checkSameElementType(imp, node, {0, 1})))
    return failure();
  return setResult(node, imp.createInferred1<graph::MatmulOp>(
                             node.loc, node.input(0), node.input(1)));
}

namespace {
/// A tensor whose dimensions carry Einsum labels: a letter's character code,
/// or 256 + i for the i-th dimension an ellipsis stands for (aligned right).
struct Labeled {
  Value value;
  SmallVector<int> labels;
};
} // namespace

/// Einsum over `operands`, as transposes, reductions, reshapes and batched
/// matrix products.
class EinsumBuilder {
public:
  EinsumBuilder(Importer &imp, Node &node) : imp(imp), node(node) {}

  /// Sums out the dimensions of `x` whose labels are not in `keep`.
  FailureOr<Labeled> sumOut(Labeled x, const llvm::SmallDenseSet<int> &keep) {
    SmallVector<int64_t> axes;
    Labeled result{x.value, {}};
    for (auto [d, label] : llvm::enumerate(x.labels)) {
      if (keep.contains(label))
        result.labels.push_back(label);
      else
        axes.push_back(d);
    }
    if (axes.empty())
      return x;
    auto sum = imp.createInferred1<graph::ReduceSumOp>(
        node.loc, x.value, imp.getBuilder().getDenseI64ArrayAttr(axes),
        UnitAttr());
    if (failed(sum))
      return failure();
    result.value = *sum;
    return result;
  }

  /// Permutes `x` so that its labels are `order`.
  FailureOr<Labeled> permute(Labeled x, ArrayRef<int> order) {
    SmallVector<int64_t> perm;
    for (int label : order)
      perm.push_back(llvm::find(x.labels, label) - x.labels.begin());
    if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
      return x;
    auto transposed = imp.createInferred1<graph::TransposeOp>(
        node.loc, x.value, imp.getBuilder().getDenseI64ArrayAttr(perm));
    if (failed(transposed))
      return failure();
    return Labeled{*transposed, SmallVector<int>(order)};
  }

  /// Contracts `a` and `b` over their common labels not in `keep`: the result
  /// has the common labels kept (batch), then those of `a` alone, then those
  /// of `b` alone.
  FailureOr<Labeled> contract(Labeled a, Labeled b,
                              const llvm::SmallDenseSet<int> &keep) {
    llvm::SmallDenseSet<int> inA(a.labels.begin(), a.labels.end());
    llvm::SmallDenseSet<int> inB(b.labels.begin(), b.labels.end());
    // Labels of one operand that nothing else needs are summed first.
    llvm::SmallDenseSet<int> keepA(keep), keepB(keep);
    keepA.insert(b.labels.begin(), b.labels.end());
    keepB.insert(a.labels.begin(), a.labels.end());
    auto reducedA = sumOut(a, keepA), reducedB = sumOut(b, keepB);
    if (failed(reducedA) || failed(reducedB))
      return failure();
    a = *reducedA;
    b = *reducedB;
    SmallVector<int> batch, freeA, freeB, contracted;
    for (int label : a.labels) {
      if (!inB.contains(label))
        freeA.push_back(label);
      else if (keep.contains(label))
        batch.push_back(label);
      else
        contracted.push_back(label);
    }
    for (int label : b.labels)
      if (!inA.contains(label))
        freeB.push_back(label);
    auto sizeOf = [](const Labeled &x, int label) {
      auto shape = getType(x.value).getShape();
      return shape[llvm::find(x.labels, label) - x.labels.begin()];
    };
    for (int label : contracted)
      if (sizeOf(a, label) != sizeOf(b, label)) {
        imp.emitError(node.loc)
            << "the operands' dimensions labelled " << describe(label)
            << " differ (" << sizeOf(a, label) << " and " << sizeOf(b, label)
            << ")";
        return failure();
      }
    // A: [batch, freeA, contracted] -> [batch, M, K];
    // B: [batch, contracted, freeB] -> [batch, K, N].
    auto pa = permute(
        a, llvm::to_vector(llvm::concat<int>(batch, freeA, contracted)));
    auto pb = permute(
        b, llvm::to_vector(llvm::concat<int>(batch, contracted, freeB)));
    if (failed(pa) || failed(pb))
      return failure();
    auto product = [&](const Labeled &x, ArrayRef<int> labels) {
      int64_t n = 1;
      for (int label : labels)
        n *= sizeOf(x, label);
      return n;
    };
    SmallVector<int64_t> shapeA, shapeB, shapeOut;
    for (int label : batch) {
      shapeA.push_back(sizeOf(*pa, label));
      shapeB.push_back(sizeOf(*pb, label));
      shapeOut.push_back(std::max(sizeOf(*pa, label), sizeOf(*pb, label)));
    }
    shapeA.append({product(*pa, freeA), product(*pa, contracted)});
    shapeB.append({product(*pb, contracted), product(*pb, freeB)});
    for (int label : freeA)
      shapeOut.push_back(sizeOf(*pa, label));
    for (int label : freeB)
      shapeOut.push_back(sizeOf(*pb, label));
    auto lhs = imp.createReshape(node.loc, pa->value, shapeA);
    auto rhs = imp.createReshape(node.loc, pb->value, shapeB);
    if (failed(lhs) || failed(rhs))
      return failure();
    auto matmul = imp.createInferred1<graph::MatmulOp>(node.loc, *lhs, *rhs);
    if (failed(matmul))
      return failure();
    auto result = imp.createReshape(node.loc, *matmul, shapeOut);
    if (failed(result))
      return failure();
    return Labeled{*result,
                   llvm::to_vector(llvm::concat<int>(batch, freeA, freeB))};
  }

  static std::string describe(int label) {
    if (label < 256)
      return "'" + std::string(1, static_cast<char>(label)) + "'";
    return "by the ellipsis";
  }

private:
  Importer &imp;
  Node &node;
};

/// Parses one side of an Einsum equation for operand ranks `ranks` (the
/// output, when `ranks` is empty, uses `ellipsisRank`): one label list per
/// term.
static FailureOr<SmallVector<SmallVector<int>>>
parseEinsumTerms(Importer &imp, Node &node, StringRef side,
                 ArrayRef<int64_t> ranks, int64_t ellipsisRank) {
  SmallVector<StringRef> terms;
  side.split(terms, ',');
  SmallVector<SmallVector<int>> result;
  for (auto [i, term] : llvm::enumerate(terms)) {
    SmallVector<int> labels;
    size_t ellipsis = term.find("...");
    int64_t rank = ranks.empty() ? -1 : ranks[i];
    int64_t numEllipsis = 0;
    if (ellipsis != StringRef::npos)
      numEllipsis = ranks.empty()
                        ? ellipsisRank
                        : rank - static_cast<int64_t>(term.size() - 3);
    if (numEllipsis < 0 || (!ranks.empty() && ellipsis == StringRef::npos &&
                            static_cast<int64_t>(term.size()) != rank)) {
      imp.emitError(node.loc) << "equation term '" << term
                              << "' does not match an operand of rank " << rank;
      return failure();
    }
    for (size_t c = 0; c < term.size(); ++c) {
      if (c == ellipsis) {
        for (int64_t j = 0; j < numEllipsis; ++j)
          labels.push_back(256 + ellipsisRank - numEllipsis + j);
        c += 2;
        continue;
      }
      if (!llvm::isAlpha(term[c])) {
        imp.emitError(node.loc) << "unexpected '" << term[c]
                                << "' in equation term '" << term << "'";
        return failure();
      }
      labels.push_back(term[c]);
    }
    result.push_back(std::move(labels));
  }
  return result;
}

static LogicalResult importEinsum(Importer &imp, Node &node) {
  for (unsigned i = 0; i < node.inputs.size(); ++i)
    if (failed(checkClass(imp, node, i, TypeClass::Float)))
      return failure();
  if (failed(checkSameElementType(
          imp, node,
          llvm::to_vector(llvm::seq<unsigned>(0, node.inputs.size())))))
    return failure();
  std::string equation;
  for (char c : node.getString("equation", ""))
    if (c != ' ')
      equation.push_back(c);
  auto [lhs, rhs] = StringRef(equation).split("->");
  bool explicitOutput = StringRef(equation).contains("->");
  SmallVector<int64_t> ranks;
  for (Value input : node.inputs)
    ranks.push_back(getType(input).getRank());
  if (static_cast<size_t>(llvm::count(lhs, ',')) + 1 != node.inputs.size())
    return imp.emitError(node.loc)
           << "equation '" << equation << "' has " << llvm::count(lhs, ',') + 1
           << " input terms for " << node.inputs.size() << " inputs";
  // The ellipsis stands for as many dimensions as the operand with most.
  int64_t ellipsisRank = 0;
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  for (auto [term, rank] : llvm::zip_equal(terms, ranks))
    if (term.contains("..."))
      ellipsisRank = std::max<int64_t>(
          ellipsisRank, rank - static_cast<int64_t>(term.size() - 3));
  auto inputLabels = parseEinsumTerms(imp, node, lhs, ranks, ellipsisRank);
  if (failed(inputLabels))
    return failure();
  SmallVector<int> outputLabels;
  if (explicitOutput) {
    auto parsed = parseEinsumTerms(imp, node, rhs, {}, ellipsisRank);
    if (failed(parsed))
      return failure();
    outputLabels = parsed->front();
  } else {
    // Implicit output: the ellipsis, then the letters used once, sorted.
    llvm::DenseMap<int, int> counts;
    for (ArrayRef<int> labels : *inputLabels)
      for (int label : labels)
        ++counts[label];
    for (int64_t j = 0; j < ellipsisRank; ++j)
      outputLabels.push_back(256 + j);
    SmallVector<int> once;
    for (auto [label, count] : counts)
      if (label < 256 && count == 1)
        once.push_back(label);
    llvm::sort(once);
    outputLabels.append(once);
  }

  SmallVector<Labeled> operands;
  for (auto [value, labels] : llvm::zip_equal(node.inputs, *inputLabels)) {
    llvm::SmallDenseSet<int> seen;
    for (int label : labels)
      if (!seen.insert(label).second)
        return imp.emitError(node.loc)
               << "label " << EinsumBuilder::describe(label)
               << " repeats within an operand (diagonals are not supported)";
    operands.push_back({value, labels});
  }
  llvm::SmallDenseSet<int> inputs;
  for (ArrayRef<int> labels : *inputLabels)
    inputs.insert(labels.begin(), labels.end());
  llvm::SmallDenseSet<int> seenOutput;
  for (int label : outputLabels)
    if (!inputs.contains(label) || !seenOutput.insert(label).second)
      return imp.emitError(node.loc)
             << "output label " << EinsumBuilder::describe(label)
             << (inputs.contains(label) ? " repeats" : " is in no input");

  // Contract left to right, keeping what the output or a later operand needs.
  EinsumBuilder builder(imp, node);
  llvm::SmallDenseSet<int> keep(outputLabels.begin(), outputLabels.end());
  auto keepAfter = [&](size_t i) {
    llvm::SmallDenseSet<int> result = keep;
    for (const Labeled &later : ArrayRef(operands).drop_front(i + 1))
      result.insert(later.labels.begin(), later.labels.end());
    return result;
  };
  FailureOr<Labeled> acc = builder.sumOut(operands[0], keepAfter(0));
  for (size_t i = 1; succeeded(acc) && i < operands.size(); ++i)
    acc = builder.contract(*acc, operands[i], keepAfter(i));
  if (failed(acc))
    return failure();
  auto result = builder.permute(*acc, outputLabels);
  if (failed(result))
    return failure();
  node.results[0] = result->value;
  return success();
}

static LogicalResult importGemm(Importer &imp, Node &node) {
  if (failed(checkClass(imp, node, 0, TypeClass::Float)) ||
      failed(checkSameElementType(imp, node, {0, 1, 2})))
    return failure();
  OpBuilder &b = imp.getBuilder();
  UnitAttr transA = node.getInt("transA", 0) ? b.getUnitAttr() : UnitAttr();
  UnitAttr transB = node.getInt("transB", 0) ? b.getUnitAttr() : UnitAttr();
  return setResult(node,
                   imp.createInferred1<graph::GemmOp>(
                       node.loc, node.input(0), node.input(1), node.input(2),
                       b.getF32FloatAttr(node.getFloat("alpha", 1.0f)),
                       b.getF32FloatAttr(node.getFloat("beta", 1.0f)), transA,
                       transB));
}

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

/// The axes a reduction node reduces (sorted, non-negative): the attribute or
/// input, every axis when none is given; nullopt when the node reduces
/// nothing (`noop_with_empty_axes` with no axes).
static FailureOr<std::optional<SmallVector<int64_t>>>
getReducedAxes(Importer &imp, Node &node) {
  int64_t rank = node.inputType(0).getRank();
  auto axes = getAxesAttrOrInput(imp, node, 1);
  if (failed(axes))
    return failure();
  if (!*axes || (*axes)->empty()) {
    if (node.getInt("noop_with_empty_axes", 0))
      return std::optional<SmallVector<int64_t>>();
    return std::optional<SmallVector<int64_t>>(
        llvm::to_vector(llvm::seq<int64_t>(0, rank)));
  }
  auto normalized = normalizeAxes(imp, node, **axes, rank);
  if (failed(normalized))
    return failure();
  return std::optional<SmallVector<int64_t>>(*normalized);
}

/// Builds reduction `OpTy` of `input` over `axes` (nullopt: the identity).
template <typename OpTy>
static FailureOr<Value>
buildReduce(Importer &imp, Node &node, Value input,
            const std::optional<SmallVector<int64_t>> &axes, bool keepDims) {
  if (!axes)
    return input;
  OpBuilder &b = imp.getBuilder();
  return imp.createInferred1<OpTy>(node.loc, input,
                                   b.getDenseI64ArrayAttr(*axes),
                                   keepDims ? b.getUnitAttr() : UnitAttr());
}

template <typename OpTy>
static LogicalResult importReduce(Importer &imp, Node &node) {
  if (failed(checkClass(imp, node, 0, TypeClass::Numeric)))
    return failure();
  auto axes = getReducedAxes(imp, node);
  if (failed(axes))
    return failure();
  return setResult(node, buildReduce<OpTy>(imp, node, node.input(0), *axes,
                                           node.getInt("keepdims", 1) != 0));
}

namespace {
/// What ReduceSumSquare, ReduceL1, ReduceL2 and ReduceLogSum apply to the
/// elements before summing them, and to the sum.
enum class ElementFn { None, Square, Abs };
enum class SumFn { None, Sqrt, Log };
} // namespace

/// A reduction that is a sum of `element(x)`, then `sum` of that.
static LogicalResult importSumOf(Importer &imp, Node &node, TypeClass cls,
                                 ElementFn element, SumFn sum) {
  if (failed(checkClass(imp, node, 0, cls)))
    return failure();
  auto axes = getReducedAxes(imp, node);
  if (failed(axes))
    return failure();
  Value x = node.input(0);
  Location loc = node.loc;
  FailureOr<Value> y = x;
  if (element == ElementFn::Square)
    y = imp.createInferred1<graph::MulOp>(loc, x, x);
  else if (element == ElementFn::Abs)
    y = imp.createTyped<graph::AbsOp>(loc, x.getType(), x);
  if (failed(y))
    return failure();
  y = buildReduce<graph::ReduceSumOp>(imp, node, *y, *axes,
                                      node.getInt("keepdims", 1) != 0);
  if (failed(y))
    return failure();
  if (sum == SumFn::Sqrt)
    y = imp.createTyped<graph::SqrtOp>(loc, y->getType(), *y);
  else if (sum == SumFn::Log)
    y = imp.createTyped<graph::LogOp>(loc, y->getType(), *y);
  return setResult(node, y);
}

/// ReduceLogSumExp: `m + log(sum(exp(x - m)))` with `m` the maximum, taken as
/// 0 where it is infinite (all elements -inf give -inf, any +inf gives +inf).
static LogicalResult importReduceLogSumExp(Importer &imp, Node &node) {
  if (failed(checkClass(imp, node, 0, TypeClass::Float)))
    return failure();
  auto axes = getReducedAxes(imp, node);
  if (failed(axes))
    return failure();
  Value x = node.input(0);
  Location loc = node.loc;
  Type elementType = getType(x).getElementType();
  auto scalar = [&](double value) {
    return imp.createConstant(
        loc, DenseElementsAttr::get(
                 RankedTensorType::get({}, elementType),
                 imp.getBuilder().getFloatAttr(elementType, value)));
  };
  auto max = buildReduce<graph::ReduceMaxOp>(imp, node, x, *axes,
                                             /*keepDims=*/true);
  if (failed(max))
    return failure();
  auto magnitude = imp.createTyped<graph::AbsOp>(loc, getType(*max), *max);
  if (failed(magnitude))
    return failure();
  auto infinite = imp.createInferred1<graph::CmpOp>(
      loc, graph::CmpPredicate::eq, *magnitude,
      scalar(std::numeric_limits<double>::infinity()));
  if (failed(infinite))
    return failure();
  auto shift =
      imp.createInferred1<graph::WhereOp>(loc, *infinite, scalar(0.0), *max);
  if (failed(shift))
    return failure();
  auto centered = imp.createInferred1<graph::SubOp>(loc, x, *shift);
  if (failed(centered))
    return failure();
  auto exps = imp.createTyped<graph::ExpOp>(loc, getType(*centered), *centered);
  if (failed(exps))
    return failure();
  auto sum = buildReduce<graph::ReduceSumOp>(imp, node, *exps, *axes,
                                             /*keepDims=*/true);
  if (failed(sum))
    return failure();
  auto logs = imp.createTyped<graph::LogOp>(loc, getType(*sum), *sum);
  if (failed(logs))
    return failure();
  auto result = imp.createInferred1<graph::AddOp>(loc, *logs, *shift);
  if (failed(result))
    return failure();
  if (node.getInt("keepdims", 1) != 0 || !*axes)
    return setResult(node, result);
  SmallVector<int64_t> shape;
  for (auto [d, size] : llvm::enumerate(node.inputType(0).getShape()))
    if (!llvm::is_contained(**axes, static_cast<int64_t>(d)))
      shape.push_back(size);
  return setResult(node, imp.createReshape(loc, *result, shape));
}

static LogicalResult importSoftmax(Importer &imp, Node &node) {
  if (failed(checkClass(imp, node, 0, TypeClass::Float)))
    return failure();
  int64_t rank = node.inputType(0).getRank();
  bool legacy = imp.getOpsetVersion() < 13;
  auto axis =
      normalizeAxis(imp, node, node.getInt("axis", legacy ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  // Before opset 13, Softmax flattens the dimensions from `axis` on: the same
  // as opset 13 only when that is the last dimension.
  if (legacy && *axis != rank - 1)
    return imp.emitError(node.loc)
           << "Softmax of opset " << imp.getOpsetVersion()
           << " over the dimensions from " << *axis
           << " on is not supported (only over the last one)";
  return setResult(node, imp.createTyped<graph::SoftmaxOp>(
                             node.loc, node.inputType(0), node.input(0),
                             imp.getBuilder().getI64IntegerAttr(*axis)));
}

/// The optional Mean and InvStdDev outputs of LayerNormalization, computed
/// with graph ops (reduced dimensions kept with size 1).
static LogicalResult buildLayerNormStatistics(Importer &imp, Node &node,
                                              int64_t axis, float epsilon) {
  bool wantMean = node.getNumOutputs() > 1 && !node.proto->output(1).empty();
  bool wantInv = node.getNumOutputs() > 2 && !node.proto->output(2).empty();
  if (!wantMean && !wantInv)
    return success();
  OpBuilder &b = imp.getBuilder();
  Value x = node.input(0);
  int64_t rank = node.inputType(0).getRank();
  auto axes =
      b.getDenseI64ArrayAttr(llvm::to_vector(llvm::seq<int64_t>(axis, rank)));
  auto mean = imp.createInferred1<graph::ReduceMeanOp>(node.loc, x, axes,
                                                       b.getUnitAttr());
  if (failed(mean))
    return failure();
  if (wantMean)
    node.results[1] = *mean;
  if (!wantInv)
    return success();
  auto centered = imp.createInferred1<graph::SubOp>(node.loc, x, *mean);
  if (failed(centered))
    return failure();
  auto squared =
      imp.createInferred1<graph::MulOp>(node.loc, *centered, *centered);
  if (failed(squared))
    return failure();
  auto variance = imp.createInferred1<graph::ReduceMeanOp>(
      node.loc, *squared, axes, b.getUnitAttr());
  if (failed(variance))
    return failure();
  Type elementType = node.inputType(0).getElementType();
  Value eps = imp.createConstant(
      node.loc, DenseElementsAttr::get(RankedTensorType::get({}, elementType),
                                       b.getFloatAttr(elementType, epsilon)));
  auto shifted = imp.createInferred1<graph::AddOp>(node.loc, *variance, eps);
  if (failed(shifted))
    return failure();
  auto type = cast<RankedTensorType>(shifted->getType());
  auto stddev = imp.createTyped<graph::SqrtOp>(node.loc, type, *shifted);
  if (failed(stddev))
    return failure();
  auto inverse = imp.createTyped<graph::ReciprocalOp>(node.loc, type, *stddev);
  if (failed(inverse))
    return failure();
  node.results[2] = *inverse;
  return success();
}

static LogicalResult importLayerNorm(Importer &imp, Node &node) {
  if (failed(checkClass(imp, node, 0, TypeClass::Float)) ||
      failed(checkSameElementType(imp, node, {0, 1, 2})))
    return failure();
  auto axis = normalizeAxis(imp, node, node.getInt("axis", -1),
                            node.inputType(0).getRank());
  if (failed(axis))
    return failure();
  OpBuilder &b = imp.getBuilder();
  float epsilon = node.getFloat("epsilon", 1e-5f);
  if (failed(setResult(node, imp.createTyped<graph::LayerNormOp>(
                                 node.loc, node.inputType(0), node.input(0),
                                 node.input(1), node.input(2),
                                 b.getI64IntegerAttr(*axis),
                                 b.getF32FloatAttr(epsilon)))))
    return failure();
  return buildLayerNormStatistics(imp, node, *axis, epsilon);
}

static LogicalResult importRmsNorm(Importer &imp, Node &node) {
  if (failed(checkClass(imp, node, 0, TypeClass::Float)) ||
      failed(checkSameElementType(imp, node, {0, 1})) ||
      failed(checkUnusedOutput(imp, node, 1, "InvStdDev")))
    return failure();
  auto axis = normalizeAxis(imp, node, node.getInt("axis", -1),
                            node.inputType(0).getRank());
  if (failed(axis))
    return failure();
  OpBuilder &b = imp.getBuilder();
  return setResult(node,
                   imp.createTyped<graph::RmsNormOp>(
                       node.loc, node.inputType(0), node.input(0),
                       node.input(1), b.getI64IntegerAttr(*axis),
                       b.getF32FloatAttr(node.getFloat("epsilon", 1e-5f))));
}

//===----------------------------------------------------------------------===//
// Shapes and data movement
//===----------------------------------------------------------------------===//

static LogicalResult importTranspose(Importer &imp, Node &node) {
  int64_t rank = node.inputType(0).getRank();
  SmallVector<int64_t> perm;
  if (auto given = node.getInts("perm")) {
    perm = *given;
  } else {
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  }
  SmallVector<bool> seen(rank, false);
  bool valid = static_cast<int64_t>(perm.size()) == rank;
  for (int64_t &d : perm) {
    if (!valid)
      break;
    if (d < 0)
      d += rank;
    valid = d >= 0 && d < rank && !seen[d];
    if (valid)
      seen[d] = true;
  }
  if (!valid)
    return imp.emitError(node.loc)
           << "'perm' " << formatShape(node.getInts("perm").value_or(perm))
           << " is not a permutation of the " << rank << " dimensions";
  return setResult(node, imp.createInferred1<graph::TransposeOp>(
                             node.loc, node.input(0),
                             imp.getBuilder().getDenseI64ArrayAttr(perm)));
}

static LogicalResult importReshape(Importer &imp, Node &node) {
  auto target = imp.getConstantInts(node, 1, "shape");
  if (failed(target))
    return failure();
  ArrayRef<int64_t> inShape = node.inputType(0).getShape();
  bool allowZero = node.getInt("allowzero", 0) != 0;
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  auto fail = [&](const Twine &why) {
    return imp.emitError(node.loc)
           << "cannot reshape a tensor of shape " << formatShape(inShape)
           << " to " << formatShape(*target) << ": " << why;
  };
  for (auto [i, dim] : llvm::enumerate(*target)) {
    if (dim == 0 && !allowZero) {
      if (i >= inShape.size())
        return fail("a 0 copies a dimension the input does not have");
      dim = inShape[i];
    } else if (dim == -1) {
      if (inferred >= 0)
        return fail("more than one dimension is -1");
      inferred = i;
      shape.push_back(1);
      continue;
    } else if (dim < 0) {
      return fail("dimensions must be -1 or at least 0");
    }
    shape.push_back(dim);
    if (dim > 0 && known > INT64_MAX / dim)
      return fail("the shape is too large");
    known *= dim;
  }
  int64_t total = node.inputType(0).getNumElements();
  if (inferred >= 0) {
    if (known == 0 || total % known != 0)
      return fail("the element count does not divide");
    shape[inferred] = total / known;
  } else if (known != total) {
    return fail("the element counts differ");
  }
  return setResult(node, imp.createReshape(node.loc, node.input(0), shape));
}

static LogicalResult importFlatten(Importer &imp, Node &node) {
  ArrayRef<int64_t> shape = node.inputType(0).getShape();
  int64_t rank = shape.size(), axis = node.getInt("axis", 1);
  if (axis < -rank || axis > rank)
    return imp.emitError(node.loc)
           << "axis " << axis << " is out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? outer : inner) *= shape[d];
  return setResult(node,
                   imp.createReshape(node.loc, node.input(0), {outer, inner}));
}

static LogicalResult importSqueeze(Importer &imp, Node &node) {
  ArrayRef<int64_t> inShape = node.inputType(0).getShape();
  auto axes = getAxesAttrOrInput(imp, node, 1);
  if (failed(axes))
    return failure();
  SmallVector<int64_t> squeezed;
  if (*axes) {
    auto normalized = normalizeAxes(imp, node, **axes, inShape.size());
    if (failed(normalized))
      return failure();
    squeezed = *normalized;
    for (int64_t axis : squeezed)
      if (inShape[axis] != 1)
        return imp.emitError(node.loc) << "cannot squeeze dimension " << axis
                                       << " of size " << inShape[axis];
  } else {
    for (auto [d, size] : llvm::enumerate(inShape))
      if (size == 1)
        squeezed.push_back(d);
  }
  SmallVector<int64_t> shape;
  for (auto [d, size] : llvm::enumerate(inShape))
    if (!llvm::is_contained(squeezed, static_cast<int64_t>(d)))
      shape.push_back(size);
  return setResult(node, imp.createReshape(node.loc, node.input(0), shape));
}

static LogicalResult importUnsqueeze(Importer &imp, Node &node) {
  ArrayRef<int64_t> inShape = node.inputType(0).getShape();
  auto axes = getAxesAttrOrInput(imp, node, 1);
  if (failed(axes))
    return failure();
  if (!*axes)
    return imp.emitError(node.loc) << "operand 'axes' is required";
  int64_t outRank = inShape.size() + (*axes)->size();
  auto normalized = normalizeAxes(imp, node, **axes, outRank);
  if (failed(normalized))
    return failure();
  SmallVector<int64_t> shape;
  auto next = inShape.begin();
  for (int64_t d = 0; d < outRank; ++d)
    shape.push_back(llvm::is_contained(*normalized, d) ? 1 : *next++);
  return setResult(node, imp.createReshape(node.loc, node.input(0), shape));
}

static LogicalResult importSlice(Importer &imp, Node &node) {
  ArrayRef<int64_t> inShape = node.inputType(0).getShape();
  int64_t rank = inShape.size();
  auto starts = imp.getConstantInts(node, 1, "starts");
  if (failed(starts))
    return failure();
  auto ends = imp.getConstantInts(node, 2, "ends");
  if (failed(ends))
    return failure();
  size_t count = starts->size();
  SmallVector<int64_t> axes, steps(count, 1);
  if (node.input(3)) {
    auto given = imp.getConstantInts(node, 3, "axes");
    if (failed(given))
      return failure();
    axes = *given;
  } else {
    axes = llvm::to_vector(llvm::seq<int64_t>(0, count));
  }
  if (node.input(4)) {
    auto given = imp.getConstantInts(node, 4, "steps");
    if (failed(given))
      return failure();
    steps = *given;
  }
  if (ends->size() != count || axes.size() != count || steps.size() != count)
    return imp.emitError(node.loc)
           << "'starts', 'ends', 'axes' and 'steps' differ in length (" << count
           << ", " << ends->size() << ", " << axes.size() << ", "
           << steps.size() << ")";

  SmallVector<int64_t> outStarts(rank, 0), sizes(inShape), outSteps(rank, 1);
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < count; ++i) {
    auto axis = normalizeAxis(imp, node, axes[i], rank);
    if (failed(axis))
      return failure();
    if (seen[*axis])
      return imp.emitError(node.loc)
             << "axis " << *axis << " is sliced more than once";
    seen[*axis] = true;
    int64_t dim = inShape[*axis], step = steps[i];
    if (step == 0)
      return imp.emitError(node.loc) << "step of axis " << *axis << " is 0";
    // ONNX: negative indices count from the end, then clamp (to [0, dim]
    // going forward, to [-1, dim - 1] for start and end going backward).
    int64_t start = (*starts)[i], end = (*ends)[i];
    if (start < 0)
      start += dim;
    if (end < 0)
      end += dim;
    int64_t size = 0;
    if (dim == 0) {
      size = 0;
    } else if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      size = end > start ? 1 + (end - start - 1) / step : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      int64_t stride = step == INT64_MIN ? INT64_MAX : -step;
      size = start > end ? 1 + (start - end - 1) / stride : 0;
    }
    outStarts[*axis] = size > 0 ? start : 0;
    sizes[*axis] = size;
    outSteps[*axis] = size > 0 ? step : 1;
  }
  OpBuilder &b = imp.getBuilder();
  return setResult(node, imp.createInferred1<graph::SliceOp>(
                             node.loc, node.input(0),
                             b.getDenseI64ArrayAttr(outStarts),
                             b.getDenseI64ArrayAttr(sizes),
                             b.getDenseI64ArrayAttr(outSteps)));
}

static LogicalResult importSplit(Importer &imp, Node &node) {
  ArrayRef<int64_t> inShape = node.inputType(0).getShape();
  auto axis = normalizeAxis(imp, node, node.getInt("axis", 0), inShape.size());
  if (failed(axis))
    return failure();
  int64_t dim = inShape[*axis];
  int64_t numOutputs = node.getNumOutputs();
  SmallVector<int64_t> sizes;
  if (node.input(1)) {
    auto given = imp.getConstantInts(node, 1, "split");
    if (failed(given))
      return failure();
    sizes = *given;
  } else if (auto given = node.getInts("split")) {
    sizes = *given;
  } else {
    if (const onnx::AttributeProto *n = node.getAttr("num_outputs")) {
      if (n->i() != numOutputs)
        return imp.emitError(node.loc)
               << "'num_outputs' is " << n->i() << " but the node has "
               << numOutputs << " outputs";
      // The last piece is smaller when the dimension does not divide.
      int64_t piece = (dim + numOutputs - 1) / numOutputs;
      for (int64_t i = 0; i < numOutputs; ++i)
        sizes.push_back(std::max<int64_t>(0, std::min(piece, dim - piece * i)));
    } else {
      if (dim % numOutputs != 0)
        return imp.emitError(node.loc)
               << "cannot split dimension " << *axis << " of size " << dim
               << " into " << numOutputs << " equal pieces";
      sizes.assign(numOutputs, dim / numOutputs);
    }
  }
  if (static_cast<int64_t>(sizes.size()) != numOutputs)
    return imp.emitError(node.loc)
           << "'split' has " << sizes.size() << " entries but the node has "
           << numOutputs << " outputs";
  int64_t total = 0;
  for (int64_t size : sizes) {
    if (size < 0)
      return imp.emitError(node.loc) << "split sizes must not be negative";
    total += size;
  }
  if (total != dim)
    return imp.emitError(node.loc)
           << "split sizes " << formatShape(sizes) << " add up to " << total
           << " but dimension " << *axis << " has size " << dim;
  OpBuilder &b = imp.getBuilder();
  auto results = imp.createInferred<graph::SplitOp>(
      node.loc, sizes.size(), node.input(0), b.getI64IntegerAttr(*axis),
      b.getDenseI64ArrayAttr(sizes));
  if (failed(results))
    return failure();
  node.results.assign(results->begin(), results->end());
  return success();
}

static LogicalResult importConcat(Importer &imp, Node &node) {
  const onnx::AttributeProto *axisAttr = node.getAttr("axis");
  if (!axisAttr)
    return imp.emitError(node.loc) << "attribute 'axis' is required";
  SmallVector<unsigned> indices;
  for (unsigned i = 0; i < node.inputs.size(); ++i) {
    if (!node.input(i))
      return imp.emitError(node.loc) << "input " << i << " is missing";
    indices.push_back(i);
  }
  if (failed(checkSameElementType(imp, node, indices)))
    return failure();
  auto axis =
      normalizeAxis(imp, node, axisAttr->i(), node.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return setResult(node, imp.createInferred1<graph::ConcatOp>(
                             node.loc, ValueRange(node.inputs),
                             imp.getBuilder().getI64IntegerAttr(*axis)));
}

static LogicalResult importExpand(Importer &imp, Node &node) {
  auto target = imp.getConstantInts(node, 1, "shape");
  if (failed(target))
    return failure();
  ArrayRef<int64_t> inShape = node.inputType(0).getShape();
  SmallVector<int64_t> shape;
  if (llvm::any_of(*target, [](int64_t d) { return d < 0; }) ||
      !OpTrait::util::getBroadcastedShape(inShape, *target, shape) ||
      !getCheckedNumElements(shape))
    return imp.emitError(node.loc)
           << "cannot expand a tensor of shape " << formatShape(inShape)
           << " to " << formatShape(*target);
  return setResult(node, imp.createTyped<graph::ExpandOp>(
                             node.loc,
                             RankedTensorType::get(
                                 shape, node.inputType(0).getElementType()),
                             node.input(0)));
}

static LogicalResult importTrilu(Importer &imp, Node &node) {
  if (node.inputType(0).getRank() < 2)
    return imp.emitError(node.loc) << "input must have rank at least 2";
  int64_t k = 0;
  if (node.input(1)) {
    auto value = imp.getConstantScalar(node, 1, "k");
    if (failed(value))
      return failure();
    k = static_cast<int64_t>(*value);
  }
  OpBuilder &b = imp.getBuilder();
  return setResult(node,
                   imp.createTyped<graph::TriluOp>(
                       node.loc, node.inputType(0), node.input(0),
                       node.getInt("upper", 1) ? b.getUnitAttr() : UnitAttr(),
                       b.getI64IntegerAttr(k)));
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

static Value createI64Constant(Importer &imp, Location loc,
                               ArrayRef<int64_t> shape,
                               ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get(shape, imp.getBuilder().getI64Type());
  return imp.createConstant(loc, DenseElementsAttr::get(type, values));
}

static LogicalResult importShape(Importer &imp, Node &node) {
  ArrayRef<int64_t> shape = node.inputType(0).getShape();
  int64_t rank = shape.size();
  auto clampIndex = [&](int64_t index) {
    if (index < 0)
      index += rank;
    return std::clamp<int64_t>(index, 0, rank);
  };
  int64_t start = clampIndex(node.getInt("start", 0));
  int64_t end = clampIndex(node.getInt("end", rank));
  SmallVector<int64_t> dims;
  for (int64_t d = start; d < end; ++d)
    dims.push_back(shape[d]);
  node.results[0] = createI64Constant(
      imp, node.loc, {static_cast<int64_t>(dims.size())}, dims);
  return success();
}

static LogicalResult importSize(Importer &imp, Node &node) {
  node.results[0] = createI64Constant(imp, node.loc, {},
                                      {node.inputType(0).getNumElements()});
  return success();
}

static LogicalResult importConstantOfShape(Importer &imp, Node &node) {
  auto shape = imp.getConstantInts(node, 0, "input");
  if (failed(shape))
    return failure();
  if (!getCheckedNumElements(*shape))
    return imp.emitError(node.loc)
           << "shape " << formatShape(*shape)
           << " has a negative dimension or is too large";
  Attribute value = FloatAttr::get(imp.getBuilder().getF32Type(), 0.0);
  Type elementType = imp.getBuilder().getF32Type();
  if (const onnx::AttributeProto *attr = node.getAttr("value")) {
    TensorSource source;
    if (failed(describeTensor(attr->t(), imp.getContext(), imp.getModelDir(),
                              node.loc, "attribute 'value'", source)))
      return failure();
    if (source.getNumElements() != 1)
      return imp.emitError(node.loc)
             << "attribute 'value' must hold one element, not "
             << source.getNumElements();
    DenseElementsAttr elements =
        readTensorSource(source, node.loc, "attribute 'value'");
    if (!elements)
      return failure();
    value = *elements.value_begin<Attribute>();
    elementType = elements.getElementType();
  }
  auto type = RankedTensorType::get(*shape, elementType);
  node.results[0] =
      imp.createConstant(node.loc, DenseElementsAttr::get(type, value));
  return success();
}

static LogicalResult importRange(Importer &imp, Node &node) {
  if (failed(checkSameElementType(imp, node, {0, 1, 2})) ||
      failed(checkClass(imp, node, 0, TypeClass::Numeric)))
    return failure();
  auto start = imp.getConstantScalar(node, 0, "start");
  auto limit = imp.getConstantScalar(node, 1, "limit");
  auto delta = imp.getConstantScalar(node, 2, "delta");
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  if (*delta == 0)
    return imp.emitError(node.loc) << "operand 'delta' is 0";
  // The count in double, checked before it becomes an integer (a huge or NaN
  // double does not convert).
  double count = std::ceil((*limit - *start) / *delta);
  if (std::isnan(count))
    return imp.emitError(node.loc) << "range has no defined element count";
  if (count > double(int64_t(1) << 24))
    return imp.emitError(node.loc)
           << "range of " << count << " elements is too large";
  int64_t n = count > 0 ? static_cast<int64_t>(count) : 0;
  Type elementType = node.inputType(0).getElementType();
  auto type = RankedTensorType::get({n}, elementType);
  DenseElementsAttr attr;
  if (isa<FloatType>(elementType)) {
    SmallVector<float> values;
    for (int64_t i = 0; i < n; ++i) {
      // Past the float range the value is infinite (a plain conversion of
      // such a double is undefined).
      double value = *start + i * *delta;
      values.push_back(std::fabs(value) > std::numeric_limits<float>::max()
                           ? std::copysign(INFINITY, value)
                           : static_cast<float>(value));
    }
    attr = DenseElementsAttr::get(type, ArrayRef<float>(values));
  } else {
    // Integers exactly, not through double.
    auto first = imp.getConstantInts(node, 0, "start");
    auto step = imp.getConstantInts(node, 2, "delta");
    if (failed(first) || failed(step))
      return failure();
    unsigned width = elementType.getIntOrFloatBitWidth();
    SmallVector<APInt> values;
    for (int64_t i = 0; i < n; ++i) {
      int64_t value;
      if (llvm::MulOverflow(i, step->front(), value) ||
          llvm::AddOverflow(first->front(), value, value) ||
          !llvm::isIntN(width, value))
        return imp.emitError(node.loc)
               << "range element " << i << " overflows its " << width
               << "-bit type";
      values.push_back(APInt(width, value, /*isSigned=*/true));
    }
    attr = DenseElementsAttr::get(type, values);
  }
  node.results[0] = imp.createConstant(node.loc, attr);
  return success();
}

static LogicalResult importConstant(Importer &imp, Node &node) {
  if (node.proto->attribute_size() != 1)
    return imp.emitError(node.loc)
           << "expects exactly one value attribute, got "
           << node.proto->attribute_size();
  const onnx::AttributeProto &attr = node.proto->attribute(0);
  OpBuilder &b = imp.getBuilder();
  StringRef name = attr.name();
  if (name == "value") {
    std::string handle = node.proto->output(0);
    return setResult(node, imp.materializeTensor(attr.t(), handle, node.loc,
                                                 "attribute 'value'"));
  }
  DenseElementsAttr value;
  if (name == "value_float") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                   ArrayRef<float>{attr.f()});
  } else if (name == "value_floats") {
    SmallVector<float> values(attr.floats().begin(), attr.floats().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(values.size())},
                              b.getF32Type()),
        ArrayRef<float>(values));
  } else if (name == "value_int") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                   ArrayRef<int64_t>{attr.i()});
  } else {
    assert(name == "value_ints" && "attributes were checked");
    SmallVector<int64_t> values(attr.ints().begin(), attr.ints().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(values.size())},
                              b.getI64Type()),
        ArrayRef<int64_t>(values));
  }
  node.results[0] = imp.createConstant(node.loc, value);
  return success();
}

//===----------------------------------------------------------------------===//
// The operator table
//===----------------------------------------------------------------------===//

void Importer::registerOps() {
  constexpr unsigned kAny = ~0u;
  using K = AttrKind;
  auto add = [&](StringRef name, unsigned minIn, unsigned maxIn,
                 std::function<LogicalResult(Importer &, Node &)> fn,
                 SmallVector<std::pair<StringRef, AttrKind>> attrs = {},
                 unsigned minOut = 1, unsigned maxOut = 1) {
    OpSpec &spec = ops[name];
    spec.handler = [this, fn = std::move(fn)](Node &node) {
      return fn(*this, node);
    };
    spec.minInputs = minIn;
    spec.maxInputs = maxIn;
    spec.minOutputs = minOut;
    spec.maxOutputs = maxOut;
    spec.attrs = std::move(attrs);
  };
  using TC = TypeClass;

  // Elementwise binary.
  add("Add", 2, 2, [](Importer &i, Node &n) {
    return importBinary<graph::AddOp>(i, n, TC::Numeric);
  });
  add("Sub", 2, 2, [](Importer &i, Node &n) {
    return importBinary<graph::SubOp>(i, n, TC::Numeric);
  });
  add("Mul", 2, 2, [](Importer &i, Node &n) {
    return importBinary<graph::MulOp>(i, n, TC::Numeric);
  });
  add("Div", 2, 2, importDiv);
  add("And", 2, 2, [](Importer &i, Node &n) {
    return importBinary<graph::AndOp>(i, n, TC::Bool);
  });
  add("Or", 2, 2, [](Importer &i, Node &n) {
    return importBinary<graph::OrOp>(i, n, TC::Bool);
  });
  add("Pow", 2, 2, importPow);
  add("Min", 1, kAny, [](Importer &i, Node &n) {
    return importVariadic<graph::MinOp>(i, n, TC::Numeric);
  });
  add("Max", 1, kAny, [](Importer &i, Node &n) {
    return importVariadic<graph::MaxOp>(i, n, TC::Numeric);
  });
  add("Sum", 1, kAny, [](Importer &i, Node &n) {
    return importVariadic<graph::AddOp>(i, n, TC::Numeric);
  });
  add("Mean", 1, kAny, [](Importer &i, Node &n) {
    return importVariadic<graph::AddOp>(i, n, TC::Float, /*mean=*/true);
  });
  add("Equal", 2, 2, [](Importer &i, Node &n) {
    return importCompare(i, n, graph::CmpPredicate::eq);
  });
  add("Less", 2, 2, [](Importer &i, Node &n) {
    return importCompare(i, n, graph::CmpPredicate::lt);
  });
  add("LessOrEqual", 2, 2, [](Importer &i, Node &n) {
    return importCompare(i, n, graph::CmpPredicate::le);
  });
  add("Greater", 2, 2, [](Importer &i, Node &n) {
    return importCompare(i, n, graph::CmpPredicate::gt);
  });
  add("GreaterOrEqual", 2, 2, [](Importer &i, Node &n) {
    return importCompare(i, n, graph::CmpPredicate::ge);
  });
  add("Where", 3, 3, importWhere);

  // Elementwise unary.
  add("Sqrt", 1, 1, [](Importer &i, Node &n) {
    return importUnary<graph::SqrtOp>(i, n, TC::Float);
  });
  add("Reciprocal", 1, 1, [](Importer &i, Node &n) {
    return importUnary<graph::ReciprocalOp>(i, n, TC::Float);
  });
  add("Neg", 1, 1, [](Importer &i, Node &n) {
    return importUnary<graph::NegOp>(i, n, TC::Numeric);
  });
  add("Abs", 1, 1, [](Importer &i, Node &n) {
    return importUnary<graph::AbsOp>(i, n, TC::Numeric);
  });
  add("Exp", 1, 1, [](Importer &i, Node &n) {
    return importUnary<graph::ExpOp>(i, n, TC::Float);
  });
  add("Log", 1, 1, [](Importer &i, Node &n) {
    return importUnary<graph::LogOp>(i, n, TC::Float);
  });
  add("Tanh", 1, 1, [](Importer &i, Node &n) {
    return importUnary<graph::TanhOp>(i, n, TC::Float);
  });
  add("Sin", 1, 1, [](Importer &i, Node &n) {
    return importUnary<graph::SinOp>(i, n, TC::Float);
  });
  add("Cos", 1, 1, [](Importer &i, Node &n) {
    return importUnary<graph::CosOp>(i, n, TC::Float);
  });
  add("IsNaN", 1, 1, importIsNaN);
  add("IsInf", 1, 1, importIsInf,
      {{"detect_negative", K::Int}, {"detect_positive", K::Int}});
  add("Erf", 1, 1, [](Importer &i, Node &n) {
    return importUnary<graph::ErfOp>(i, n, TC::Float);
  });
  add("Sigmoid", 1, 1, [](Importer &i, Node &n) {
    return importUnary<graph::SigmoidOp>(i, n, TC::Float);
  });
  add("Relu", 1, 1, [](Importer &i, Node &n) {
    return importUnary<graph::ReluOp>(i, n, TC::Numeric);
  });
  add("Softplus", 1, 1, [](Importer &i, Node &n) {
    return importUnary<graph::SoftplusOp>(i, n, TC::Float);
  });
  add("Not", 1, 1, [](Importer &i, Node &n) {
    return importUnary<graph::NotOp>(i, n, TC::Bool);
  });
  add("Gelu", 1, 1, importGelu, {{"approximate", K::String}});
  add("Clip", 1, 3, importClip);
  add("Cast", 1, 1, importCast,
      {{"to", K::Int}, {"saturate", K::Int}, {"round_mode", K::String}});
  add("CastLike", 2, 2, importCastLike,
      {{"saturate", K::Int}, {"round_mode", K::String}});
  add("Identity", 1, 1, importIdentity);
  add("Dropout", 1, 3, importDropout, {{"seed", K::Int}}, 1, 2);

  // Matrix products.
  add("MatMul", 2, 2, importMatMul);
  add("Einsum", 1, kAny, importEinsum, {{"equation", K::String}});
  add("Gemm", 2, 3, importGemm,
      {{"alpha", K::Float},
       {"beta", K::Float},
       {"transA", K::Int},
       {"transB", K::Int}});

  // Reductions and normalizations.
  SmallVector<std::pair<StringRef, AttrKind>> reduceAttrs = {
      {"axes", K::Ints},
      {"keepdims", K::Int},
      {"noop_with_empty_axes", K::Int}};
  add("ReduceSum", 1, 2, importReduce<graph::ReduceSumOp>, reduceAttrs);
  add("ReduceMean", 1, 2, importReduce<graph::ReduceMeanOp>, reduceAttrs);
  add("ReduceMax", 1, 2, importReduce<graph::ReduceMaxOp>, reduceAttrs);
  add("ReduceMin", 1, 2, importReduce<graph::ReduceMinOp>, reduceAttrs);
  // Reductions that are a graph.reduce_sum of f(x), then g of the sum.
  auto addSumOf = [&](StringRef name, TypeClass types, ElementFn element,
                      SumFn sum) {
    add(
        name, 1, 2,
        [=](Importer &i, Node &n) {
          return importSumOf(i, n, types, element, sum);
        },
        reduceAttrs);
  };
  addSumOf("ReduceSumSquare", TC::Numeric, ElementFn::Square, SumFn::None);
  addSumOf("ReduceL1", TC::Numeric, ElementFn::Abs, SumFn::None);
  addSumOf("ReduceL2", TC::Float, ElementFn::Square, SumFn::Sqrt);
  addSumOf("ReduceLogSum", TC::Float, ElementFn::None, SumFn::Log);
  add("ReduceLogSumExp", 1, 2, importReduceLogSumExp, reduceAttrs);
  add("Softmax", 1, 1, importSoftmax, {{"axis", K::Int}});
  SmallVector<std::pair<StringRef, AttrKind>> normAttrs = {
      {"axis", K::Int}, {"epsilon", K::Float}, {"stash_type", K::Int}};
  add("LayerNormalization", 2, 3, importLayerNorm, normAttrs, 1, 3);
  add("SimplifiedLayerNormalization", 2, 2, importRmsNorm, normAttrs, 1, 2);
  add("RMSNormalization", 2, 2, importRmsNorm, normAttrs);

  // Shapes and data movement.
  add("Transpose", 1, 1, importTranspose, {{"perm", K::Ints}});
  add("Reshape", 2, 2, importReshape, {{"allowzero", K::Int}});
  add("Flatten", 1, 1, importFlatten, {{"axis", K::Int}});
  add("Squeeze", 1, 2, importSqueeze, {{"axes", K::Ints}});
  add("Unsqueeze", 1, 2, importUnsqueeze, {{"axes", K::Ints}});
  add("Slice", 3, 5, importSlice);
  add("Split", 1, 2, importSplit,
      {{"axis", K::Int}, {"split", K::Ints}, {"num_outputs", K::Int}}, 1, kAny);
  add("Concat", 1, kAny, importConcat, {{"axis", K::Int}});
  add("Expand", 2, 2, importExpand);
  add("Gather", 2, 2, importGatherAlongAxis<graph::GatherOp>,
      {{"axis", K::Int}});
  add("GatherElements", 2, 2, importGatherAlongAxis<graph::GatherElementsOp>,
      {{"axis", K::Int}});
  add("GatherND", 2, 2, importGatherND, {{"batch_dims", K::Int}});
  add("ScatterND", 3, 3, importScatterND, {{"reduction", K::String}});
  add("Trilu", 1, 2, importTrilu, {{"upper", K::Int}});

  // Constants.
  add("Shape", 1, 1, importShape, {{"start", K::Int}, {"end", K::Int}});
  add("Size", 1, 1, importSize);
  add("ConstantOfShape", 1, 1, importConstantOfShape, {{"value", K::Tensor}});
  add("Range", 3, 3, importRange);
  add("Constant", 0, 0, importConstant,
      {{"value", K::Tensor},
       {"value_float", K::Float},
       {"value_floats", K::Floats},
       {"value_int", K::Int},
       {"value_ints", K::Ints}});
}
