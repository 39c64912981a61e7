//===- GraphOps.cpp - Graph dialect operations ----------------------------===//
//
// Type inference, verifiers and folders of the graph ops. The folders are what
// evaluates the shape subgraphs of exported models (Shape, Gather, Concat, ...)
// at compile time: the importer builds ops with `createOrFold`.
//
//===----------------------------------------------------------------------===//

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/CommonFolders.h"
#include "mlir/Dialect/Traits.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/APSInt.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;
using namespace meld::graph;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Constants larger than this are not folded: the IR must stay small.
static constexpr int64_t kMaxFoldElements = 1 << 16;

static RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// Builds the constant of type `resultType` whose element `i` is element
/// `sourceIndex(i)` of `source`, or nothing when the result is too large.
static Attribute
remapElements(ElementsAttr source, RankedTensorType resultType,
              llvm::function_ref<int64_t(ArrayRef<int64_t>)> sourceIndex) {
  if (auto splat = dyn_cast<SplatElementsAttr>(source))
    return SplatElementsAttr::get(resultType,
                                  splat.getSplatValue<Attribute>());
  auto dense = dyn_cast<DenseElementsAttr>(source);
  if (!dense || resultType.getNumElements() > kMaxFoldElements)
    return {};
  auto values = llvm::to_vector(dense.getValues<Attribute>());
  ArrayRef<int64_t> shape = resultType.getShape();
  SmallVector<int64_t> strides = computeStrides(shape);
  SmallVector<Attribute> result;
  result.reserve(resultType.getNumElements());
  SmallVector<int64_t> coords(shape.size());
  for (int64_t linear = 0, e = resultType.getNumElements(); linear < e;
       ++linear) {
    int64_t rest = linear;
    for (auto [dim, stride] : llvm::enumerate(strides)) {
      coords[dim] = rest / stride;
      rest %= stride;
    }
    result.push_back(values[sourceIndex(coords)]);
  }
  return DenseElementsAttr::get(resultType, result);
}

/// The linear index in a tensor of shape `shape` of the element that the
/// broadcast to `resultCoords` reads.
static int64_t broadcastSourceIndex(ArrayRef<int64_t> shape,
                                    ArrayRef<int64_t> resultCoords) {
  int64_t offset = resultCoords.size() - shape.size();
  int64_t index = 0;
  for (auto [dim, size] : llvm::enumerate(shape))
    index = index * size + (size == 1 ? 0 : resultCoords[dim + offset]);
  return index;
}

/// Broadcasts constant `attr` to `resultType`, or nothing.
static Attribute broadcastConstant(Attribute attr, RankedTensorType resultType) {
  auto elements = dyn_cast_or_null<ElementsAttr>(attr);
  if (!elements)
    return {};
  auto shape = cast<ShapedType>(elements.getType()).getShape();
  if (shape == resultType.getShape())
    return elements;
  return remapElements(elements, resultType, [&](ArrayRef<int64_t> coords) {
    return broadcastSourceIndex(shape, coords);
  });
}

/// Infers the numpy-broadcast type of `operands` with `elementType` (the first
/// operand's when null).
static LogicalResult
inferBroadcastType(std::optional<Location> loc, ValueRange operands,
                   Type elementType,
                   SmallVectorImpl<Type> &inferredReturnTypes) {
  SmallVector<int64_t> shape;
  for (Value operand : operands) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    if (!type)
      return emitOptionalError(loc, "operands must be ranked tensors");
    SmallVector<int64_t> next;
    if (!OpTrait::util::getBroadcastedShape(shape, type.getShape(), next))
      return emitOptionalError(loc, "operand shapes are not broadcastable");
    shape = std::move(next);
  }
  if (!elementType)
    elementType = tensorType(operands.front()).getElementType();
  inferredReturnTypes.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

/// Folds a binary elementwise op whose operands are constants.
template <typename FloatFn, typename IntFn>
static OpFoldResult foldBinary(Operation *op, ArrayRef<Attribute> operands,
                               FloatFn floatFn, IntFn intFn) {
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  if (operands.size() != 2 || !operands[0] || !operands[1])
    return {};
  Attribute lhs = broadcastConstant(operands[0], resultType);
  Attribute rhs = broadcastConstant(operands[1], resultType);
  if (!lhs || !rhs)
    return {};
  Type elementType = resultType.getElementType();
  if (isa<FloatType>(elementType))
    return constFoldBinaryOp<FloatAttr>(
        {lhs, rhs}, resultType,
        [&](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {
          return floatFn(a, b);
        });
  return constFoldBinaryOp<IntegerAttr>(
      {lhs, rhs}, resultType,
      [&](const APInt &a, const APInt &b) -> std::optional<APInt> {
        return intFn(a, b);
      });
}

//===----------------------------------------------------------------------===//
// ConstantOp and WeightOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult ConstantOp::verify() {
  if (!isa<DenseElementsAttr>(getValue()))
    return emitOpError("value must be a dense elements attribute, got ")
           << getValue();
  return success();
}

LogicalResult WeightOp::verify() {
  if (getHandle().empty())
    return emitOpError("requires a non-empty handle");
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp and GemmOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr, OpaqueProperties, RegionRange,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  auto lhsType = tensorType(operands[0]);
  auto rhsType = tensorType(operands[1]);
  SmallVector<int64_t> lhs(lhsType.getShape()), rhs(rhsType.getShape());
  if (lhs.empty() || rhs.empty())
    return emitOptionalError(loc, "operands must have rank at least 1");
  bool lhsVector = lhs.size() == 1, rhsVector = rhs.size() == 1;
  if (lhsVector)
    lhs.insert(lhs.begin(), 1);
  if (rhsVector)
    rhs.push_back(1);
  if (lhs.back() != rhs[rhs.size() - 2])
    return emitOptionalError(loc, "contracting dimensions differ (",
                             lhs.back(), " vs ", rhs[rhs.size() - 2], ")");
  SmallVector<int64_t> batch;
  if (!OpTrait::util::getBroadcastedShape(ArrayRef(lhs).drop_back(2),
                                          ArrayRef(rhs).drop_back(2), batch))
    return emitOptionalError(loc, "batch dimensions are not broadcastable");
  if (!lhsVector)
    batch.push_back(lhs[lhs.size() - 2]);
  if (!rhsVector)
    batch.push_back(rhs.back());
  inferredReturnTypes.push_back(
      RankedTensorType::get(batch, lhsType.getElementType()));
  return success();
}

LogicalResult GemmOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties, RegionRange,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  GemmOp::Adaptor adaptor(operands, attributes, properties);
  auto aType = tensorType(adaptor.getA());
  auto bType = tensorType(adaptor.getB());
  if (aType.getRank() != 2 || bType.getRank() != 2)
    return emitOptionalError(loc, "A and B must be matrices");
  int64_t m = aType.getDimSize(adaptor.getTransA() ? 1 : 0);
  int64_t ka = aType.getDimSize(adaptor.getTransA() ? 0 : 1);
  int64_t kb = bType.getDimSize(adaptor.getTransB() ? 1 : 0);
  int64_t n = bType.getDimSize(adaptor.getTransB() ? 0 : 1);
  if (ka != kb)
    return emitOptionalError(loc, "contracting dimensions differ (", ka,
                             " vs ", kb, ")");
  if (Value c = adaptor.getC()) {
    SmallVector<int64_t> shape;
    if (!OpTrait::util::getBroadcastedShape(tensorType(c).getShape(), {m, n},
                                            shape) ||
        shape != ArrayRef<int64_t>{m, n})
      return emitOptionalError(loc, "C does not broadcast to the result");
  }
  inferredReturnTypes.push_back(
      RankedTensorType::get({m, n}, aType.getElementType()));
  return success();
}

namespace {
/// `gemm(A, B, C)` to `alpha * matmul(op(A), op(B)) + beta * C`.
struct GemmToMatmul : public OpRewritePattern<GemmOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GemmOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type element = op.getType().getElementType();
    auto operand = [&](Value v, bool transposed) -> Value {
      if (!transposed)
        return v;
      return TransposeOp::create(rewriter, loc, v,
                                 rewriter.getDenseI64ArrayAttr({1, 0}));
    };
    auto scaled = [&](Value v, double factor) -> Value {
      if (factor == 1.0)
        return v;
      auto scalar = RankedTensorType::get({}, element);
      Value c = ConstantOp::create(
          rewriter, loc, scalar,
          DenseElementsAttr::get(scalar,
                                 rewriter.getFloatAttr(element, factor)));
      return MulOp::create(rewriter, loc, v, c);
    };
    Value product =
        MatmulOp::create(rewriter, loc, operand(op.getA(), op.getTransA()),
                         operand(op.getB(), op.getTransB()));
    Value result = scaled(product, op.getAlpha().convertToDouble());
    double beta = op.getBeta().convertToDouble();
    if (op.getC() && beta != 0.0)
      result = AddOp::create(rewriter, loc, result, scaled(op.getC(), beta));
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// `matmul(reshape(x: [A, B, ...] to [R, K]), w: [K, N])`, where the
/// leading dimensions `A, B, ...` of `x` multiply to R, to
/// `reshape(matmul(reshape(x to [A, B, ..., K]), w) to [R, N])`: rows
/// flattened for a matrix product are the product's batch.
struct UnflattenMatmulRows : public OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    auto flatten = op.getLhs().getDefiningOp<ReshapeOp>();
    if (!flatten)
      return failure();
    ArrayRef<int64_t> rows = tensorType(flatten.getInput()).getShape();
    ArrayRef<int64_t> flat = flatten.getType().getShape();
    if (flat.size() != 2 || tensorType(op.getRhs()).getRank() != 2)
      return failure();
    // The leading dimensions whose product is the rows (at least two of
    // them), the rest merged into K.
    int64_t product = 1;
    size_t lead = 0;
    while (lead < rows.size() && product < flat[0])
      product *= rows[lead++];
    if (lead < 2 || product != flat[0])
      return failure();
    SmallVector<int64_t> unflattened(rows.take_front(lead));
    unflattened.push_back(flat[1]);
    Location loc = op.getLoc();
    Value lhs = ReshapeOp::create(
        rewriter, loc,
        RankedTensorType::get(unflattened, flatten.getType().getElementType()),
        flatten.getInput());
    Value result = MatmulOp::create(rewriter, loc, lhs, op.getRhs());
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), result);
    return success();
  }
};
} // namespace

void GemmOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                         MLIRContext *context) {
  patterns.add<GemmToMatmul>(context);
}

void MatmulOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                           MLIRContext *context) {
  patterns.add<UnflattenMatmulRows>(context);
}

LogicalResult GemmOp::verify() {
  if (Value c = getC();
      c && tensorType(c).getElementType() != getType().getElementType())
    return emitOpError("C must have the element type of A and B, got ")
           << tensorType(c).getElementType();
  return success();
}

/// Whether `shape` broadcasts (numpy, unidirectionally) to `target`.
static bool broadcastsTo(ArrayRef<int64_t> shape, ArrayRef<int64_t> target) {
  if (shape.size() > target.size())
    return false;
  size_t lead = target.size() - shape.size();
  for (auto [d, size] : llvm::enumerate(shape))
    if (size != 1 && size != target[lead + d])
      return false;
  return true;
}

LogicalResult AttentionOp::verify() {
  ArrayRef<int64_t> q = tensorType(getQuery()).getShape();
  ArrayRef<int64_t> k = tensorType(getKey()).getShape();
  ArrayRef<int64_t> v = tensorType(getValue()).getShape();
  ArrayRef<int64_t> result = getType().getShape();
  size_t rank = q.size();
  if (rank < 2 || k.size() != rank || v.size() != rank || result.size() != rank)
    return emitOpError("query, key, value and result must have one rank, 2 "
                       "or more");
  if (k[rank - 1] != q[rank - 1] || v[rank - 2] != k[rank - 2] ||
      result[rank - 2] != q[rank - 2] || result[rank - 1] != v[rank - 1])
    return emitOpError("expects query [..., Lq, D], key [..., Lk, D], value "
                       "[..., Lk, Dv] and result [..., Lq, Dv]");
  SmallVector<int64_t> scores(result);
  scores.back() = k[rank - 2];
  ArrayRef<int64_t> batch = ArrayRef(result).drop_back(2);
  for (ArrayRef<int64_t> operand : {q, k, v})
    if (!broadcastsTo(operand.drop_back(2), batch))
      return emitOpError("the batch dimensions of query, key and value must "
                         "broadcast to the result's");
  AttentionMask kind = getMaskKind();
  Value mask = getMask();
  if ((kind == AttentionMask::none) != !mask)
    return emitOpError("has a mask exactly when its mask kind is not 'none'");
  if (!mask)
    return success();
  Type element = tensorType(mask).getElementType();
  if (kind == AttentionMask::add ? element != getType().getElementType()
                                 : !element.isInteger(1))
    return emitOpError(kind == AttentionMask::add
                           ? "an added mask must have the scores' element type"
                           : "a keep or drop mask must be boolean (i1)");
  if (!broadcastsTo(tensorType(mask).getShape(), scores))
    return emitOpError("the mask must broadcast to the scores [..., Lq, Lk]");
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise ops with broadcasting
//===----------------------------------------------------------------------===//

#define MELD_BINARY_INFER(OP)                                                  \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, ValueRange operands,         \
      DictionaryAttr, OpaqueProperties, RegionRange,                           \
      SmallVectorImpl<Type> &inferredReturnTypes) {                            \
    return inferBroadcastType(loc, operands, Type(), inferredReturnTypes);     \
  }
MELD_BINARY_INFER(AddOp)
MELD_BINARY_INFER(SubOp)
MELD_BINARY_INFER(MulOp)
MELD_BINARY_INFER(DivOp)
MELD_BINARY_INFER(PowOp)
MELD_BINARY_INFER(MinOp)
MELD_BINARY_INFER(MaxOp)
MELD_BINARY_INFER(AndOp)
MELD_BINARY_INFER(OrOp)
#undef MELD_BINARY_INFER

LogicalResult CmpOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr, OpaqueProperties, RegionRange,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  return inferBroadcastType(loc, operands, IntegerType::get(context, 1),
                            inferredReturnTypes);
}

LogicalResult WhereOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr, OpaqueProperties, RegionRange,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  return inferBroadcastType(loc, operands,
                            tensorType(operands[1]).getElementType(),
                            inferredReturnTypes);
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(),
      [](const APFloat &a, const APFloat &b) { return a + b; },
      [](const APInt &a, const APInt &b) { return a + b; });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(),
      [](const APFloat &a, const APFloat &b) { return a - b; },
      [](const APInt &a, const APInt &b) { return a - b; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(),
      [](const APFloat &a, const APFloat &b) { return a * b; },
      [](const APInt &a, const APInt &b) { return a * b; });
}

/// Whether the elements of `value` are unsigned integers (`ui8`).
static bool isUnsignedTensor(Value value) {
  return tensorType(value).getElementType().isUnsignedInteger();
}

std::optional<int64_t> DivOp::getConstantZeroDivisor() {
  if (!isa<IntegerType>(getType().getElementType()))
    return std::nullopt;
  DenseIntElementsAttr divisor;
  if (!matchPattern(getRhs(), m_Constant(&divisor)))
    return std::nullopt;
  if (divisor.isSplat())
    return divisor.getSplatValue<APInt>().isZero() ? std::optional<int64_t>(0)
                                                   : std::nullopt;
  for (auto [i, value] : llvm::enumerate(divisor.getValues<APInt>()))
    if (value.isZero())
      return static_cast<int64_t>(i);
  return std::nullopt;
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  // Integer division by zero is left to run time (it does not fold).
  auto resultType = cast<RankedTensorType>(getType());
  if (isa<IntegerType>(resultType.getElementType())) {
    auto rhs = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getRhs());
    if (!rhs || llvm::any_of(rhs.getValues<APInt>(),
                             [](const APInt &v) { return v.isZero(); }))
      return {};
  }
  bool isUnsigned = isUnsignedTensor(getResult());
  return foldBinary(
      *this, adaptor.getOperands(),
      [](const APFloat &a, const APFloat &b) { return a / b; },
      [&](const APInt &a, const APInt &b) {
        return isUnsigned ? a.udiv(b) : a.sdiv(b);
      });
}

OpFoldResult PowOp::fold(FoldAdaptor) { return {}; }

OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  bool isUnsigned = isUnsignedTensor(getResult());
  return foldBinary(
      *this, adaptor.getOperands(),
      [](const APFloat &a, const APFloat &b) { return minimum(a, b); },
      [&](const APInt &a, const APInt &b) {
        return (isUnsigned ? a.ult(b) : a.slt(b)) ? a : b;
      });
}

OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  bool isUnsigned = isUnsignedTensor(getResult());
  return foldBinary(
      *this, adaptor.getOperands(),
      [](const APFloat &a, const APFloat &b) { return maximum(a, b); },
      [&](const APInt &a, const APInt &b) {
        return (isUnsigned ? a.ugt(b) : a.sgt(b)) ? a : b;
      });
}

OpFoldResult AndOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(),
      [](const APFloat &a, const APFloat &) { return a; },
      [](const APInt &a, const APInt &b) { return a & b; });
}

OpFoldResult OrOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor.getOperands(),
      [](const APFloat &a, const APFloat &) { return a; },
      [](const APInt &a, const APInt &b) { return a | b; });
}

/// Evaluates `predicate` on two constants of one element type.
static bool evaluateCmp(CmpPredicate predicate, Attribute lhs, Attribute rhs) {
  int order = 0;
  bool unordered = false;
  if (auto a = dyn_cast<FloatAttr>(lhs)) {
    APFloat::cmpResult r = a.getValue().compare(cast<FloatAttr>(rhs).getValue());
    unordered = r == APFloat::cmpUnordered;
    order = r == APFloat::cmpLessThan ? -1 : r == APFloat::cmpGreaterThan ? 1 : 0;
  } else {
    auto intLhs = cast<IntegerAttr>(lhs);
    APInt x = intLhs.getValue();
    APInt y = cast<IntegerAttr>(rhs).getValue();
    // Booleans and `ui8` compare unsigned; the signless integers are signed.
    bool isUnsigned =
        x.getBitWidth() == 1 || intLhs.getType().isUnsignedInteger();
    bool less = isUnsigned ? x.ult(y) : x.slt(y);
    order = less ? -1 : x == y ? 0 : 1;
  }
  if (unordered)
    return predicate == CmpPredicate::ne;
  switch (predicate) {
  case CmpPredicate::eq:
    return order == 0;
  case CmpPredicate::ne:
    return order != 0;
  case CmpPredicate::lt:
    return order < 0;
  case CmpPredicate::le:
    return order <= 0;
  case CmpPredicate::gt:
    return order > 0;
  case CmpPredicate::ge:
    return order >= 0;
  }
  llvm_unreachable("unknown comparison predicate");
}

OpFoldResult CmpOp::fold(FoldAdaptor adaptor) {
  auto resultType = cast<RankedTensorType>(getType());
  auto operandType = RankedTensorType::get(
      resultType.getShape(), tensorType(getLhs()).getElementType());
  auto lhs = dyn_cast_or_null<DenseElementsAttr>(
      broadcastConstant(adaptor.getLhs(), operandType));
  auto rhs = dyn_cast_or_null<DenseElementsAttr>(
      broadcastConstant(adaptor.getRhs(), operandType));
  if (!lhs || !rhs)
    return {};
  if (lhs.isSplat() && rhs.isSplat())
    return DenseElementsAttr::get(
        resultType, evaluateCmp(getPredicate(), lhs.getSplatValue<Attribute>(),
                                rhs.getSplatValue<Attribute>()));
  SmallVector<bool> result;
  for (auto [a, b] : llvm::zip_equal(lhs.getValues<Attribute>(),
                                     rhs.getValues<Attribute>()))
    result.push_back(evaluateCmp(getPredicate(), a, b));
  return DenseElementsAttr::get(resultType, result);
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  auto resultType = cast<RankedTensorType>(getType());
  auto conditionType =
      RankedTensorType::get(resultType.getShape(), IntegerType::get(getContext(), 1));
  auto condition = dyn_cast_or_null<DenseElementsAttr>(
      broadcastConstant(adaptor.getCondition(), conditionType));
  if (!condition)
    return {};
  if (condition.isSplat()) {
    Value chosen = condition.getSplatValue<bool>() ? getOnTrue() : getOnFalse();
    if (chosen.getType() == resultType)
      return chosen;
  }
  auto onTrue = dyn_cast_or_null<DenseElementsAttr>(
      broadcastConstant(adaptor.getOnTrue(), resultType));
  auto onFalse = dyn_cast_or_null<DenseElementsAttr>(
      broadcastConstant(adaptor.getOnFalse(), resultType));
  if (!onTrue || !onFalse)
    return {};
  SmallVector<Attribute> result;
  for (auto [c, t, f] : llvm::zip_equal(condition.getValues<bool>(),
                                        onTrue.getValues<Attribute>(),
                                        onFalse.getValues<Attribute>()))
    result.push_back(c ? t : f);
  return DenseElementsAttr::get(resultType, result);
}

//===----------------------------------------------------------------------===//
// Unary elementwise ops
//===----------------------------------------------------------------------===//

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  if (isa<FloatType>(getType().getElementType()))
    return constFoldUnaryOp<FloatAttr, APFloat, void>(adaptor.getOperands(),
                                       [](const APFloat &a) { return -a; });
  return constFoldUnaryOp<IntegerAttr, APInt, void>(adaptor.getOperands(),
                                       [](const APInt &a) { return -a; });
}

/// Converts one constant element to `to` as ONNX `Cast` does, or returns null
/// where the result is not defined (a float out of the integer's range).
static Attribute castElement(Attribute element, Type to) {
  if (auto floatAttr = dyn_cast<FloatAttr>(element)) {
    APFloat value = floatAttr.getValue();
    if (auto floatType = dyn_cast<FloatType>(to)) {
      bool losesInfo = false;
      value.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                    &losesInfo);
      return FloatAttr::get(floatType, value);
    }
    auto intType = cast<IntegerType>(to);
    if (intType.getWidth() == 1)
      return IntegerAttr::get(intType, APInt(1, !value.isZero()));
    // Truncate toward zero; NaN, infinities and values out of range have no
    // defined result and do not fold.
    APSInt result(intType.getWidth(), intType.isUnsignedInteger());
    bool isExact = false;
    if (value.convertToInteger(result, APFloat::rmTowardZero, &isExact) &
        APFloat::opInvalidOp)
      return {};
    return IntegerAttr::get(intType, result);
  }
  auto intAttr = cast<IntegerAttr>(element);
  const APInt &value = intAttr.getValue();
  // Booleans and `ui8` are unsigned; the signless integers are signed.
  bool isSigned =
      value.getBitWidth() != 1 && !intAttr.getType().isUnsignedInteger();
  if (auto floatType = dyn_cast<FloatType>(to)) {
    APFloat result(floatType.getFloatSemantics());
    result.convertFromAPInt(value, isSigned, APFloat::rmNearestTiesToEven);
    return FloatAttr::get(floatType, result);
  }
  auto intType = cast<IntegerType>(to);
  if (intType.getWidth() == 1)
    return IntegerAttr::get(intType, APInt(1, !value.isZero()));
  unsigned width = intType.getWidth();
  return IntegerAttr::get(intType, isSigned ? value.sextOrTrunc(width)
                                            : value.zextOrTrunc(width));
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  auto resultType = cast<RankedTensorType>(getType());
  if (getInput().getType() == resultType)
    return getInput();
  auto input = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!input)
    return {};
  Type to = resultType.getElementType();
  if (input.isSplat()) {
    Attribute element = castElement(input.getSplatValue<Attribute>(), to);
    if (!element)
      return {};
    return SplatElementsAttr::get(resultType, element);
  }
  if (input.getNumElements() > kMaxFoldElements)
    return {};
  SmallVector<Attribute> result;
  result.reserve(input.getNumElements());
  for (Attribute element : input.getValues<Attribute>()) {
    Attribute converted = castElement(element, to);
    if (!converted)
      return {};
    result.push_back(converted);
  }
  return DenseElementsAttr::get(resultType, result);
}

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

template <typename ReduceOp>
static LogicalResult inferReduceType(std::optional<Location> loc,
                                     ValueRange operands,
                                     DictionaryAttr attributes,
                                     OpaqueProperties properties,
                                     SmallVectorImpl<Type> &inferred) {
  typename ReduceOp::Adaptor adaptor(operands, attributes, properties);
  auto inputType = tensorType(adaptor.getInput());
  ArrayRef<int64_t> axes = adaptor.getAxes();
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (axis < 0 || axis >= inputType.getRank())
      return emitOptionalError(loc, "axis ", axis, " is out of range for rank ",
                               inputType.getRank());
    if (i > 0 && axes[i - 1] >= axis)
      return emitOptionalError(loc, "axes must be sorted and unique");
  }
  SmallVector<int64_t> shape;
  for (auto [dim, size] : llvm::enumerate(inputType.getShape())) {
    bool reduced = llvm::is_contained(axes, static_cast<int64_t>(dim));
    if (!reduced)
      shape.push_back(size);
    else if (adaptor.getKeepDims())
      shape.push_back(1);
  }
  inferred.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

#define MELD_REDUCE_INFER(OP)                                                  \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, ValueRange operands,         \
      DictionaryAttr attributes, OpaqueProperties properties, RegionRange,     \
      SmallVectorImpl<Type> &inferredReturnTypes) {                            \
    return inferReduceType<OP>(loc, operands, attributes, properties,          \
                               inferredReturnTypes);                           \
  }
MELD_REDUCE_INFER(ReduceSumOp)
MELD_REDUCE_INFER(ReduceMeanOp)
MELD_REDUCE_INFER(ReduceMaxOp)
MELD_REDUCE_INFER(ReduceMinOp)
#undef MELD_REDUCE_INFER

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getType().getRank(), axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range for rank "
                                << rank;
  return success();
}

/// Checks the axis and the parameters of a normalization over the trailing
/// dimensions from `axis`.
static LogicalResult verifyNormalization(Operation *op, RankedTensorType type,
                                         int64_t axis, ValueRange params) {
  if (axis < 0 || axis >= type.getRank())
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << type.getRank();
  ArrayRef<int64_t> normalized = type.getShape().drop_front(axis);
  for (Value param : params) {
    SmallVector<int64_t> shape;
    auto paramShape = tensorType(param).getShape();
    if (!OpTrait::util::getBroadcastedShape(paramShape, normalized, shape) ||
        ArrayRef<int64_t>(shape) != normalized)
      return op->emitOpError("parameter of shape [")
             << paramShape << "] does not broadcast to the normalized shape ["
             << normalized << "]";
  }
  return success();
}

LogicalResult LayerNormOp::verify() {
  if (getBias() && tensorType(getBias()).getElementType() !=
                       getType().getElementType())
    return emitOpError("bias must have the element type of the input, got ")
           << tensorType(getBias()).getElementType();
  SmallVector<Value> params{getScale()};
  if (getBias())
    params.push_back(getBias());
  return verifyNormalization(*this, getType(), getAxis(), params);
}

LogicalResult RmsNormOp::verify() {
  return verifyNormalization(*this, getType(), getAxis(), {getScale()});
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties, RegionRange,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  TransposeOp::Adaptor adaptor(operands, attributes, properties);
  auto inputType = tensorType(adaptor.getInput());
  ArrayRef<int64_t> permutation = adaptor.getPermutation();
  if (static_cast<int64_t>(permutation.size()) != inputType.getRank())
    return emitOptionalError(loc, "permutation has ", permutation.size(),
                             " entries for rank ", inputType.getRank());
  SmallVector<bool> seen(permutation.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t dim : permutation) {
    if (dim < 0 || dim >= inputType.getRank() || seen[dim])
      return emitOptionalError(loc, "invalid permutation");
    seen[dim] = true;
    shape.push_back(inputType.getDimSize(dim));
  }
  inferredReturnTypes.push_back(
      RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> permutation = getPermutation();
  if (llvm::equal(permutation, llvm::seq<int64_t>(0, permutation.size())))
    return getInput();
  auto input = dyn_cast_or_null<ElementsAttr>(adaptor.getInput());
  if (!input)
    return {};
  SmallVector<int64_t> strides =
      computeStrides(tensorType(getInput()).getShape());
  return remapElements(input, getType(), [&](ArrayRef<int64_t> coords) {
    int64_t index = 0;
    for (auto [dim, source] : llvm::enumerate(permutation))
      index += coords[dim] * strides[source];
    return index;
  });
}

LogicalResult ReshapeOp::verify() {
  if (tensorType(getInput()).getNumElements() != getType().getNumElements())
    return emitOpError("input has ")
           << tensorType(getInput()).getNumElements()
           << " elements but the result has " << getType().getNumElements();
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  auto input = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!input)
    return {};
  return input.reshape(getType());
}

LogicalResult SliceOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties, RegionRange,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  SliceOp::Adaptor adaptor(operands, attributes, properties);
  auto inputType = tensorType(adaptor.getInput());
  ArrayRef<int64_t> starts = adaptor.getStarts(), sizes = adaptor.getSizes(),
                    steps = adaptor.getSteps();
  int64_t rank = inputType.getRank();
  if (static_cast<int64_t>(starts.size()) != rank ||
      static_cast<int64_t>(sizes.size()) != rank ||
      static_cast<int64_t>(steps.size()) != rank)
    return emitOptionalError(loc, "starts, sizes and steps need ", rank,
                             " entries each");
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = inputType.getDimSize(d);
    if (steps[d] == 0)
      return emitOptionalError(loc, "step of dimension ", d, " is zero");
    if (sizes[d] < 0)
      return emitOptionalError(loc, "size of dimension ", d, " is negative");
    if (sizes[d] == 0)
      continue;
    int64_t last = starts[d] + (sizes[d] - 1) * steps[d];
    if (starts[d] < 0 || starts[d] >= dim || last < 0 || last >= dim)
      return emitOptionalError(loc, "dimension ", d,
                               " reads outside the input (size ", dim, ")");
  }
  inferredReturnTypes.push_back(
      RankedTensorType::get(sizes, inputType.getElementType()));
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() &&
      llvm::all_of(getStarts(), [](int64_t s) { return s == 0; }) &&
      llvm::all_of(getSteps(), [](int64_t s) { return s == 1; }))
    return getInput();
  auto input = dyn_cast_or_null<ElementsAttr>(adaptor.getInput());
  if (!input)
    return {};
  SmallVector<int64_t> strides =
      computeStrides(tensorType(getInput()).getShape());
  return remapElements(input, getType(), [&](ArrayRef<int64_t> coords) {
    int64_t index = 0;
    for (auto [dim, coord] : llvm::enumerate(coords))
      index += (getStarts()[dim] + coord * getSteps()[dim]) * strides[dim];
    return index;
  });
}

LogicalResult ConcatOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties, RegionRange,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  ConcatOp::Adaptor adaptor(operands, attributes, properties);
  if (operands.empty())
    return emitOptionalError(loc, "requires at least one input");
  auto first = tensorType(operands.front());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= first.getRank())
    return emitOptionalError(loc, "axis ", axis, " is out of range for rank ",
                             first.getRank());
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (Value operand : operands) {
    auto type = tensorType(operand);
    if (type.getElementType() != first.getElementType() ||
        type.getRank() != first.getRank())
      return emitOptionalError(loc, "inputs differ in rank or element type");
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (d != axis && type.getDimSize(d) != first.getDimSize(d))
        return emitOptionalError(loc, "inputs differ in dimension ", d);
    shape[axis] += type.getDimSize(axis);
  }
  inferredReturnTypes.push_back(
      RankedTensorType::get(shape, first.getElementType()));
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1)
    return getInputs().front();
  SmallVector<DenseElementsAttr> inputs;
  for (Attribute attr : adaptor.getInputs()) {
    auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
    if (!dense)
      return {};
    inputs.push_back(dense);
  }
  RankedTensorType type = getType();
  if (type.getNumElements() > kMaxFoldElements)
    return {};
  int64_t axis = getAxis();
  // Row-major: the result is, for every index of the outer dimensions, the
  // inputs' inner blocks one after the other.
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= type.getDimSize(d);
  SmallVector<SmallVector<Attribute>> values;
  for (DenseElementsAttr input : inputs)
    values.push_back(llvm::to_vector(input.getValues<Attribute>()));
  SmallVector<Attribute> result;
  for (int64_t o = 0; o < outer; ++o)
    for (auto [input, vals] : llvm::zip_equal(inputs, values)) {
      int64_t block = input.getNumElements() / outer;
      llvm::append_range(result, ArrayRef(vals).slice(o * block, block));
    }
  return DenseElementsAttr::get(type, result);
}

LogicalResult SplitOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties, RegionRange,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  SplitOp::Adaptor adaptor(operands, attributes, properties);
  auto inputType = tensorType(adaptor.getInput());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= inputType.getRank())
    return emitOptionalError(loc, "axis ", axis, " is out of range for rank ",
                             inputType.getRank());
  int64_t total = 0;
  for (int64_t size : adaptor.getSizes()) {
    if (size < 0)
      return emitOptionalError(loc, "split sizes must not be negative");
    total += size;
    SmallVector<int64_t> shape(inputType.getShape());
    shape[axis] = size;
    inferredReturnTypes.push_back(
        RankedTensorType::get(shape, inputType.getElementType()));
  }
  if (total != inputType.getDimSize(axis))
    return emitOptionalError(loc, "split sizes add up to ", total,
                             " but the dimension is ",
                             inputType.getDimSize(axis));
  return success();
}

LogicalResult ExpandOp::verify() {
  auto inputShape = tensorType(getInput()).getShape();
  SmallVector<int64_t> shape;
  if (!OpTrait::util::getBroadcastedShape(inputShape, getType().getShape(),
                                          shape) ||
      ArrayRef<int64_t>(shape) != getType().getShape())
    return emitOpError("input shape [")
           << inputShape << "] does not broadcast to [" << getType().getShape()
           << "]";
  return success();
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return broadcastConstant(adaptor.getInput(), getType());
}

LogicalResult GatherOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties, RegionRange,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  GatherOp::Adaptor adaptor(operands, attributes, properties);
  auto inputType = tensorType(adaptor.getInput());
  auto indicesType = tensorType(adaptor.getIndices());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= inputType.getRank())
    return emitOptionalError(loc, "axis ", axis, " is out of range for rank ",
                             inputType.getRank());
  SmallVector<int64_t> shape(inputType.getShape().take_front(axis));
  llvm::append_range(shape, indicesType.getShape());
  llvm::append_range(shape, inputType.getShape().drop_front(axis + 1));
  inferredReturnTypes.push_back(
      RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  auto input = dyn_cast_or_null<ElementsAttr>(adaptor.getInput());
  auto indices = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getIndices());
  if (!input || !indices)
    return {};
  auto inputShape = tensorType(getInput()).getShape();
  int64_t axis = getAxis(), axisSize = inputShape[axis];
  SmallVector<int64_t> indexValues;
  for (const APInt &value : indices.getValues<APInt>()) {
    int64_t index = value.getSExtValue();
    if (index < -axisSize || index >= axisSize)
      return {};
    indexValues.push_back(index < 0 ? index + axisSize : index);
  }
  int64_t indicesRank = tensorType(getIndices()).getRank();
  SmallVector<int64_t> indexStrides =
      computeStrides(tensorType(getIndices()).getShape());
  SmallVector<int64_t> inputStrides = computeStrides(inputShape);
  return remapElements(input, getType(), [&](ArrayRef<int64_t> coords) {
    int64_t index = 0;
    for (int64_t d = 0; d < axis; ++d)
      index += coords[d] * inputStrides[d];
    int64_t position = 0;
    for (int64_t d = 0; d < indicesRank; ++d)
      position += coords[axis + d] * indexStrides[d];
    index += indexValues[position] * inputStrides[axis];
    for (int64_t d = axis + 1; d < static_cast<int64_t>(inputShape.size()); ++d)
      index += coords[d + indicesRank - 1] * inputStrides[d];
    return index;
  });
}

LogicalResult TriluOp::verify() {
  if (getType().getRank() < 2)
    return emitOpError("requires a tensor of rank at least 2");
  return success();
}

OpFoldResult TriluOp::fold(FoldAdaptor adaptor) {
  auto input = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!input || input.getNumElements() > kMaxFoldElements)
    return {};
  RankedTensorType type = getType();
  int64_t rows = type.getDimSize(type.getRank() - 2);
  int64_t cols = type.getDimSize(type.getRank() - 1);
  Attribute zero = Builder(getContext()).getZeroAttr(type.getElementType());
  int64_t k = getKAttr().getInt();
  SmallVector<Attribute> result;
  int64_t linear = 0;
  for (Attribute value : input.getValues<Attribute>()) {
    int64_t row = (linear / cols) % rows, col = linear % cols;
    ++linear;
    bool keep = getUpper() ? col - row >= k : col - row <= k;
    result.push_back(keep ? value : zero);
  }
  return DenseElementsAttr::get(type, result);
}

//===----------------------------------------------------------------------===//
// Data-indexed ops: GatherElements, GatherND, ScatterND
//===----------------------------------------------------------------------===//
//
// No folders: their constant cases are evaluated by the kernels themselves
// (lib/Driver/ConstantEvaluator.cpp), one implementation of their meaning.

LogicalResult GatherElementsOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties, RegionRange,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  GatherElementsOp::Adaptor adaptor(operands, attributes, properties);
  auto inputType = tensorType(adaptor.getInput());
  auto indicesType = tensorType(adaptor.getIndices());
  int64_t rank = inputType.getRank();
  int64_t axis = adaptor.getAxis();
  if (indicesType.getRank() != rank)
    return emitOptionalError(loc, "indices of rank ", indicesType.getRank(),
                             " for an input of rank ", rank,
                             " (they must be equal)");
  if (axis < 0 || axis >= rank)
    return emitOptionalError(loc, "axis ", axis, " is out of range for rank ",
                             rank);
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && indicesType.getDimSize(d) > inputType.getDimSize(d))
      return emitOptionalError(loc, "indices have ", indicesType.getDimSize(d),
                               " elements in dimension ", d,
                               ", more than the input's ",
                               inputType.getDimSize(d));
  inferredReturnTypes.push_back(RankedTensorType::get(
      indicesType.getShape(), inputType.getElementType()));
  return success();
}

LogicalResult
GatherNDOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                             ValueRange operands, DictionaryAttr attributes,
                             OpaqueProperties properties, RegionRange,
                             SmallVectorImpl<Type> &inferredReturnTypes) {
  GatherNDOp::Adaptor adaptor(operands, attributes, properties);
  ArrayRef<int64_t> input = tensorType(adaptor.getInput()).getShape();
  ArrayRef<int64_t> indices = tensorType(adaptor.getIndices()).getShape();
  int64_t r = input.size(), q = indices.size();
  int64_t batch = adaptor.getBatchDims();
  if (r < 1 || q < 1)
    return emitOptionalError(loc, "input and indices need a rank of 1 or more");
  if (batch < 0 || batch >= std::min(q, r))
    return emitOptionalError(loc, "batch_dims ", batch,
                             " must be in [0, min(indices rank ", q,
                             ", input rank ", r, "))");
  int64_t k = indices.back();
  if (k < 1 || k > r - batch)
    return emitOptionalError(
        loc, "index tuples of ", k, " elements for an input of rank ", r,
        " and ", batch, " batch dimensions (1 to ", r - batch, " allowed)");
  if (indices.take_front(batch) != input.take_front(batch))
    return emitOptionalError(
        loc, "the batch dimensions of indices and input differ");
  SmallVector<int64_t> shape(indices.drop_back());
  llvm::append_range(shape, input.drop_front(batch + k));
  inferredReturnTypes.push_back(RankedTensorType::get(
      shape, tensorType(adaptor.getInput()).getElementType()));
  return success();
}

LogicalResult
ScatterNDOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                              ValueRange operands, DictionaryAttr attributes,
                              OpaqueProperties properties, RegionRange,
                              SmallVectorImpl<Type> &inferredReturnTypes) {
  ScatterNDOp::Adaptor adaptor(operands, attributes, properties);
  auto inputType = tensorType(adaptor.getInput());
  ArrayRef<int64_t> input = inputType.getShape();
  ArrayRef<int64_t> indices = tensorType(adaptor.getIndices()).getShape();
  ArrayRef<int64_t> updates = tensorType(adaptor.getUpdates()).getShape();
  if (input.empty() || indices.empty())
    return emitOptionalError(loc, "input and indices need a rank of 1 or more");
  int64_t k = indices.back();
  if (k < 1 || k > static_cast<int64_t>(input.size()))
    return emitOptionalError(loc, "index tuples of ", k,
                             " elements for an input of rank ", input.size(),
                             " (1 to ", input.size(), " allowed)");
  SmallVector<int64_t> expected(indices.drop_back());
  llvm::append_range(expected, input.drop_front(k));
  if (updates != ArrayRef<int64_t>(expected))
    return emitOptionalError(loc, "updates of shape [", updates,
                             "], expected [", ArrayRef<int64_t>(expected), "]");
  if (adaptor.getReduction() != ScatterReduction::none &&
      inputType.getElementType().isInteger(1))
    return emitOptionalError(loc, "reduction '",
                             stringifyScatterReduction(adaptor.getReduction()),
                             "' needs numbers, not booleans");
  inferredReturnTypes.push_back(inputType);
  return success();
}

#define GET_OP_CLASSES
#include "dialects/Graph/IR/GraphOps.cpp.inc"

//===----------------------------------------------------------------------===//
// FusionGroupOp
//===----------------------------------------------------------------------===//

bool FusionGroupOp::isInputView(Operation *op) {
  if (!isa<ViewOpInterface>(op) || op->getParentOp() != getOperation())
    return false;
  Value source = op->getOperand(0);
  if (auto arg = dyn_cast<BlockArgument>(source))
    return arg.getOwner() == &getBodyBlock();
  return isInputView(source.getDefiningOp());
}

bool FusionGroupOp::isOutputView(Operation *op) {
  if (!isa<ViewOpInterface>(op) || isInputView(op))
    return false;
  // One to one, and read only by the yield or by further output views.
  Value source;
  if (failed(traceStore(op->getResult(0), source,
                        [](Operation *) { return true; })))
    return false;
  return llvm::all_of(op->getUsers(), [&](Operation *user) {
    return isa<YieldOp>(user) || isOutputView(user);
  });
}

Value FusionGroupOp::getStoredValue(unsigned resultIndex) {
  Value yielded = getBodyBlock().getTerminator()->getOperand(resultIndex);
  Value source;
  if (failed(traceStore(yielded, source,
                        [&](Operation *op) { return isOutputView(op); })))
    return yielded;
  return source;
}

SmallVector<int64_t> FusionGroupOp::getIterationShape(unsigned resultIndex) {
  return SmallVector<int64_t>(
      cast<RankedTensorType>(getStoredValue(resultIndex).getType()).getShape());
}

/// Whether `value` is an argument of `group`'s region or an input view.
static bool isGroupInput(FusionGroupOp group, Value value) {
  if (isa<BlockArgument>(value))
    return true;
  Operation *def = value.getDefiningOp();
  return def && group.isInputView(def);
}

bool meld::graph::isIntegerDivision(Operation *op) {
  return isa<DivOp>(op) &&
         !isa<FloatType>(getElementTypeOrSelf(op->getResult(0).getType()));
}

bool meld::graph::isElementalOp(Operation *op) {
  if (isa<ElementwiseOpInterface, ConcatOp>(op))
    return !isIntegerDivision(op);
  auto view = dyn_cast<ViewOpInterface>(op);
  if (!view)
    return false;
  auto source = cast<RankedTensorType>(op->getOperand(0).getType());
  return llvm::all_of(op->getResults(), [&](OpResult result) {
    return succeeded(view.getResultLayout(
        result.getResultNumber(), ViewLayout::rowMajor(source.getShape())));
  });
}

std::optional<int64_t> meld::graph::getRowAxis(Operation *op) {
  if (auto softmax = dyn_cast<SoftmaxOp>(op)) {
    int64_t last = softmax.getType().getRank() - 1;
    return static_cast<int64_t>(softmax.getAxis()) == last
               ? std::optional<int64_t>(last)
               : std::nullopt;
  }
  if (isa<LayerNormOp, RmsNormOp>(op))
    return cast<IntegerAttr>(op->getAttr("axis")).getInt();
  if (!isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp>(op))
    return std::nullopt;
  ArrayRef<int64_t> axes = op->getAttrOfType<DenseI64ArrayAttr>("axes");
  int64_t rank = cast<RankedTensorType>(op->getOperand(0).getType()).getRank();
  int64_t first = rank - static_cast<int64_t>(axes.size());
  if (axes.empty() || !llvm::equal(axes, llvm::seq(first, rank)))
    return std::nullopt;
  return first;
}

Operation *FusionGroupOp::getRowOp() {
  if (getKind() != FusionKind::rows)
    return nullptr;
  for (Operation &op : getBodyBlock())
    if (getRowAxis(&op))
      return &op;
  return nullptr;
}

bool meld::graph::isMergedHeads(Value value, AttentionOp attention) {
  Value root;
  ViewLayout layout = traceView(value, root, [](Operation *) { return true; });
  ArrayRef<int64_t> shape = attention.getType().getShape();
  int64_t rank = shape.size();
  if (root != attention.getResult() || rank < 3)
    return false;
  auto permutation = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(permutation[rank - 3], permutation[rank - 2]);
  SmallVector<int64_t> merged(shape.drop_back(3));
  merged.append({shape[rank - 2], shape[rank - 3] * shape[rank - 1]});
  FailureOr<ViewLayout> expected =
      ViewLayout::rowMajor(shape).permute(permutation).reshape(merged);
  return succeeded(expected) && *expected == layout;
}

MatmulOp FusionGroupOp::getProjection() {
  if (getKind() != FusionKind::attention)
    return nullptr;
  auto matmuls = getBodyBlock().getOps<MatmulOp>();
  return matmuls.empty() ? nullptr : *matmuls.begin();
}

/// The views between an attention group's attention and its projection's
/// left operand, each read only by the next (or the projection); empty
/// without a projection or where a view on the way is read otherwise.
static llvm::SmallPtrSet<Operation *, 4>
getProjectionViews(FusionGroupOp group) {
  llvm::SmallPtrSet<Operation *, 4> views;
  MatmulOp projection = group.getProjection();
  if (!projection)
    return views;
  Value value = projection.getLhs();
  while (Operation *def = value.getDefiningOp()) {
    if (!isa<ViewOpInterface>(def) || def->getParentOp() != group ||
        !value.hasOneUse())
      break;
    views.insert(def);
    value = def->getOperand(0);
  }
  return views;
}

bool FusionGroupOp::isElemental(Value value) {
  if (isGroupInput(*this, value))
    return true;
  Operation *def = value.getDefiningOp();
  if (auto constant = dyn_cast<ConstantOp>(def))
    return isa<SplatElementsAttr>(constant.getValue());
  return isElementalOp(def) && llvm::all_of(def->getOperands(), [&](Value v) {
           return isElemental(v);
         });
}

/// Whether `op`, of an attention group, computes a value for the attention
/// to read: an elementwise op, a concat or a view that is not an input or
/// output view, read only by the attention and other such ops.
static bool isAttentionPrologue(FusionGroupOp group, Operation *op) {
  if (group.getKind() != FusionKind::attention ||
      !isa<ElementwiseOpInterface, ConcatOp, ViewOpInterface>(op) ||
      group.isInputView(op) || group.isOutputView(op))
    return false;
  return llvm::all_of(op->getUsers(), [&](Operation *user) {
    return isa<AttentionOp>(user) || isAttentionPrologue(group, user);
  });
}

/// Whether `kind` is a family of matrix-product kernels, whose groups may
/// hold a prologue and a row epilogue.
static bool isProductKind(FusionKind kind) {
  return kind == FusionKind::matmul || kind == FusionKind::chain;
}

Operation *FusionGroupOp::getPrologue() {
  if (!isProductKind(getKind()))
    return nullptr;
  for (Operation &op : getBodyBlock())
    if (isa<LayerNormOp, RmsNormOp>(op) &&
        isGroupInput(*this, op.getOperand(0)))
      return &op;
  return nullptr;
}

Operation *FusionGroupOp::getRowEpilogue() {
  if (!isProductKind(getKind()) && !getProjection())
    return nullptr;
  for (Operation &op : getBodyBlock())
    if (isa<LayerNormOp, RmsNormOp>(op) &&
        !isGroupInput(*this, op.getOperand(0)))
      return &op;
  return nullptr;
}

MatmulOp FusionGroupOp::getSecondProduct() {
  if (getKind() != FusionKind::chain)
    return nullptr;
  Operation *prologue = getPrologue();
  for (auto matmul : getBodyBlock().getOps<MatmulOp>()) {
    Value lhs = matmul.getLhs();
    if (!isGroupInput(*this, lhs) &&
        (!prologue || lhs != prologue->getResult(0)))
      return matmul;
  }
  return nullptr;
}

/// Checks the row epilogue `norm` of `group`, whose one matmul (a chain's
/// second product, an attention's projection) is `from` (`oneProduct`
/// false: the group has several, and may have no row epilogue).
static LogicalResult verifyRowEpilogue(FusionGroupOp group, Operation *norm,
                                       MatmulOp from, bool oneProduct) {
  Value input = norm->getOperand(0);
  auto type = cast<RankedTensorType>(input.getType());
  int64_t axis = cast<IntegerAttr>(norm->getAttr("axis")).getInt();
  bool stored = llvm::all_of(llvm::seq(group.getNumResults()), [&](unsigned i) {
    return group.getStoredValue(i) == norm->getResult(0);
  });
  if (!oneProduct || axis != type.getRank() - 1 || !input.hasOneUse() ||
      group.getMatmulOf(input) != from ||
      !llvm::all_of(norm->getOperands().drop_front(),
                    [&](Value v) { return isGroupInput(group, v); }) ||
      !stored)
    return group.emitOpError()
           << stringifyFusionKind(group.getKind())
           << " group's row epilogue must normalize the last axis of a value "
              "only it reads, computed from the group's one matmul (a "
              "chain's second product, an attention's projection), with "
              "parameters from arguments, and be what every result stores";
  return success();
}

/// Checks the link between chain `group`'s first `products` and its
/// `second` product: the second's left operand is computed from the first
/// products (each of which it reads) by elementwise ops of their shape, with
/// arguments, views of them and splat constants; only the second product
/// reads it, and nothing else reads the first products' values; the
/// second's right operand is an argument or a view of one.
static LogicalResult verifyChainLink(FusionGroupOp group, MatmulOp second,
                                     MutableArrayRef<MatmulOp> products) {
  auto fail = [&] {
    return group.emitOpError(
        "chain group's second product must read as its left operand, alone, "
        "a value computed from every first product by elementwise ops of "
        "their shape, and as its right operand an argument or a view of one "
        "of rank 2 or more, giving the first products' rows and batch");
  };
  ArrayRef<int64_t> shape = products.front().getType().getShape();
  Value link = second.getLhs();
  if (!link.hasOneUse() || !isGroupInput(group, second.getRhs()) ||
      cast<RankedTensorType>(second.getRhs().getType()).getRank() < 2 ||
      cast<RankedTensorType>(link.getType()).getShape() != shape ||
      second.getType().getShape().drop_back() != shape.drop_back())
    return fail();
  // The ops computing the link from the first products.
  llvm::SmallPtrSet<Operation *, 16> slice;
  SmallVector<Value> worklist{link};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    Operation *def = value.getDefiningOp();
    auto constant = dyn_cast_or_null<ConstantOp>(def);
    if (isGroupInput(group, value) ||
        (constant && isa<SplatElementsAttr>(constant.getValue())) ||
        llvm::is_contained(products, dyn_cast<MatmulOp>(def)) ||
        !slice.insert(def).second)
      continue;
    if (!isa<ElementwiseOpInterface>(def) ||
        cast<RankedTensorType>(value.getType()).getShape() != shape)
      return fail();
    llvm::append_range(worklist, def->getOperands());
  }
  auto onTheLink = [&](Operation *user) {
    return slice.count(user) || user == second.getOperation();
  };
  for (MatmulOp product : products)
    if (product.getType() != products.front().getType() ||
        product->use_empty() || !llvm::all_of(product->getUsers(), onTheLink))
      return fail();
  for (Operation *op : slice)
    if (!llvm::all_of(op->getUsers(), onTheLink))
      return fail();
  return success();
}

LogicalResult FusionGroupOp::verify() {
  Block &body = getBodyBlock();
  if (body.getArgumentTypes() != getInputs().getTypes())
    return emitOpError("region arguments must have the types of the inputs");
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError("region must end with 'graph.yield'");
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError("yielded values must have the types of the results");
  if (getNumResults() == 0)
    return emitOpError("must have at least one result");
  StringRef kind = stringifyFusionKind(getKind());
  if (std::optional<ArrayRef<int64_t>> sizes = getTileSizes()) {
    size_t expected = isProductKind(getKind())             ? 3
                      : getKind() == FusionKind::attention ? 2
                                                           : 0;
    if (sizes->size() != expected || llvm::any_of(*sizes, [](int64_t size) {
          return size <= 0 || !llvm::isPowerOf2_64(size);
        }))
      return emitOpError() << kind << " group takes "
                           << (expected == 3
                                   ? (getKind() == FusionKind::chain
                                          ? "3 tile sizes ([M, I, K]), each "
                                            "a power of two"
                                          : "3 tile sizes ([M, N, K]), each "
                                            "a power of two")
                               : expected == 2
                                   ? "2 tile sizes ([queries, keys]), each "
                                     "a power of two"
                                   : "no tile sizes");
  }
  if (getNumWarps() && !getTileSizes())
    return emitOpError() << kind
                         << " group has num_warps but no tile sizes (the "
                            "warps go with the tiles they were chosen for)";
  SmallVector<MatmulOp> matmuls;
  AttentionOp attention;
  MatmulOp projection = getProjection();
  llvm::SmallPtrSet<Operation *, 4> projectionViews = getProjectionViews(*this);
  Operation *prologue = nullptr, *rowEpilogue = nullptr, *rowOp = nullptr;
  for (Operation &op : body.without_terminator()) {
    if (auto constant = dyn_cast<ConstantOp>(op)) {
      if (!isa<SplatElementsAttr>(constant.getValue()))
        return emitOpError() << kind
                             << " group holds a constant that is not a splat "
                                "(read it as an input instead)";
      continue;
    }
    if (isInputView(&op)) {
      Value root;
      traceView(op.getResult(0), root, [](Operation *) { return true; });
      if (!isa<BlockArgument>(root))
        return emitOpError()
               << kind << " group reads its input through '" << op.getName()
               << "', which is not a strided view of it";
      continue;
    }
    if (isOutputView(&op) ||
        (isa<ElementwiseOpInterface>(op) &&
         getKind() != FusionKind::attention) ||
        isAttentionPrologue(*this, &op))
      continue;
    // An attention's projection, the views it reads the attention's result
    // through and its epilogue.
    if (getKind() == FusionKind::attention && projection &&
        (&op == projection.getOperation() || projectionViews.count(&op) ||
         (isa<ElementwiseOpInterface>(op) &&
          getMatmulOf(op.getResult(0)) == projection)))
      continue;
    // A gather of arguments (or views of them) computes its elements where
    // the pointwise kernel needs them.
    if (isa<GatherOp>(op) && getKind() == FusionKind::pointwise &&
        llvm::all_of(op.getOperands(),
                     [&](Value v) { return isGroupInput(*this, v); }))
      continue;
    if (auto product = dyn_cast<MatmulOp>(op);
        product && isProductKind(getKind())) {
      matmuls.push_back(product);
      continue;
    }
    if (isa<LayerNormOp, RmsNormOp>(op) &&
        (isProductKind(getKind()) ||
         (projection && !isGroupInput(*this, op.getOperand(0))))) {
      // Of an input: the prologue; of a computed value: the row epilogue.
      Operation *&norm =
          isGroupInput(*this, op.getOperand(0)) ? prologue : rowEpilogue;
      if (!norm) {
        norm = &op;
        continue;
      }
    }
    if (getKind() == FusionKind::rows && !rowOp && getRowAxis(&op)) {
      rowOp = &op;
      continue;
    }
    if (auto one = dyn_cast<AttentionOp>(op);
        one && getKind() == FusionKind::attention && !attention) {
      attention = one;
      continue;
    }
    InFlightDiagnostic diag = emitOpError()
                              << kind << " group holds '" << op.getName()
                              << "', which is not ";
    switch (getKind()) {
    case FusionKind::matmul:
    case FusionKind::chain:
      return diag << "elementwise, a view of an input or a result, its one "
                     "normalization prologue, its one row epilogue or a "
                     "matmul";
    case FusionKind::attention:
      return diag << "a view of an input or a result, its one attention, "
                     "elementwise, a concat or a view read only on the way "
                     "to the attention's operands, or its one projection, "
                     "the views it reads and its elementwise epilogue";
    case FusionKind::rows:
      return diag << "elementwise, a view of an input or a result, or its "
                     "one row-wise op (a softmax of the last axis, a "
                     "normalization or a reduction of the trailing axes)";
    case FusionKind::pointwise:
      break;
    }
    return diag << "elementwise, a gather of inputs, or a view of an input "
                   "or a result";
  }
  if (!isProductKind(getKind())) {
    // Every result is stored from a value of the iteration shape, through
    // the result's one-to-one views.
    SmallVector<int64_t> shape = getIterationShape();
    for (unsigned i = 0, e = getNumResults(); i < e; ++i)
      if (cast<RankedTensorType>(getStoredValue(i).getType()).getShape() !=
          ArrayRef(shape))
        return emitOpError()
               << kind
               << " group results must all have one shape (before their "
                  "reshapes and transposes)";
  }
  if (getKind() == FusionKind::rows) {
    if (!rowOp)
      return emitOpError("rows group holds no row-wise op (a softmax of the "
                         "last axis, a normalization or a reduction of the "
                         "trailing axes)");
    if (!llvm::all_of(rowOp->getOperands(),
                      [&](Value v) { return isElemental(v); }))
      return emitOpError(
          "rows group's row-wise op must read arguments of the region, views "
          "of them, or values computed from them element by element");
    if (cast<RankedTensorType>(rowOp->getResult(0).getType()).getShape() !=
        ArrayRef(getIterationShape()))
      return emitOpError("rows group results must have the shape of its "
                         "row-wise op's result (before their reshapes and "
                         "transposes)");
    return success();
  }
  if (getKind() == FusionKind::attention) {
    if (!attention)
      return emitOpError("attention group holds no 'graph.attention'");
    if (!llvm::all_of(attention->getOperands(),
                      [&](Value v) { return isElemental(v); }))
      return emitOpError(
          "attention group's attention must read arguments of the region, "
          "views of them, or values computed from them element by element");
    if (projection) {
      // The verifier's loop took the first matmul as the projection; a
      // second one is an op the group may not hold.
      Value lhs = projection.getLhs();
      Value root;
      traceView(lhs, root,
                [&](Operation *op) { return projectionViews.count(op) != 0; });
      auto rhs = cast<RankedTensorType>(projection.getRhs().getType());
      if (root != attention.getResult() || !root.hasOneUse() ||
          !isMergedHeads(lhs, attention) ||
          cast<RankedTensorType>(lhs.getType()).getShape().back() == 0 ||
          !isGroupInput(*this, projection.getRhs()) || rhs.getRank() != 2)
        return emitOpError(
            "attention group's projection must read as its left operand, "
            "alone, the attention's result with its heads merged ([batch..., "
            "queries, heads x dv] through views, heads x dv > 0), and as its "
            "right operand a 2-D argument or a view of one");
      for (unsigned i = 0, e = getNumResults(); i < e; ++i)
        if (getMatmulOf(getStoredValue(i)) != projection ||
            cast<RankedTensorType>(getStoredValue(i).getType()).getShape() !=
                projection.getType().getShape())
          return emitOpError(
              "attention group results must each compute from its "
              "projection, with its shape (before their reshapes and "
              "transposes)");
      if (rowEpilogue &&
          failed(verifyRowEpilogue(*this, rowEpilogue, projection, true)))
        return failure();
      return success();
    }
    if (attention.getType().getShape() != ArrayRef(getIterationShape()))
      return emitOpError("attention group results must have the attention's "
                         "shape (before their reshapes and transposes)");
    return success();
  }
  if (!isProductKind(getKind()))
    return success();
  if (matmuls.empty())
    return emitOpError() << kind << " group holds no 'graph.matmul'";
  // A chain's second product reads a value the group computes; the rules
  // below are those of the other (first) products, of the left operand.
  MatmulOp second = getSecondProduct();
  SmallVector<MatmulOp> products(matmuls);
  if (second) {
    llvm::erase(products, second);
    if (products.empty() || llvm::any_of(products, [&](MatmulOp product) {
          return product.getLhs() == second.getLhs() ||
                 (!isGroupInput(*this, product.getLhs()) &&
                  (!prologue || product.getLhs() != prologue->getResult(0)));
        }))
      return emitOpError(
          "chain group must hold first products of its left operand and one "
          "second product of a value computed from them");
    if (failed(verifyChainLink(*this, second, products)))
      return failure();
  } else if (getKind() == FusionKind::chain) {
    return emitOpError(
        "chain group must hold first products of its left operand and one "
        "second product of a value computed from them");
  }
  MatmulOp first = products.front();
  ArrayRef<int64_t> firstShape = first.getType().getShape();
  for (MatmulOp matmul : products) {
    for (Value operand : matmul->getOperands()) {
      bool fromPrologue = prologue && operand == prologue->getResult(0) &&
                          operand == matmul.getLhs();
      if ((!fromPrologue && !isGroupInput(*this, operand)) ||
          cast<RankedTensorType>(operand.getType()).getRank() < 2)
        return emitOpError("matmul group's matmul must read two arguments of "
                           "the region or views of them, each of rank 2 or "
                           "more");
    }
    // Several matmuls are one kernel's parts, the programs of each computing
    // its tiles: they share A, rows and batch.
    ArrayRef<int64_t> shape = matmul.getType().getShape();
    if (matmul.getLhs() != first.getLhs() ||
        shape.drop_back() != firstShape.drop_back())
      return emitOpError("matmul group's matmuls must share their left "
                         "operand and their result's shape but for columns");
  }
  if (prologue) {
    auto type = cast<RankedTensorType>(prologue->getResult(0).getType());
    int64_t axis = cast<IntegerAttr>(prologue->getAttr("axis")).getInt();
    if (axis != type.getRank() - 1 ||
        first.getLhs() != prologue->getResult(0) ||
        !llvm::all_of(prologue->getUsers(),
                      [](Operation *user) { return isa<MatmulOp>(user); }) ||
        !llvm::all_of(prologue->getOperands(),
                      [&](Value v) { return isGroupInput(*this, v); }))
      return emitOpError("matmul group's normalization must be of the last "
                         "axis of arguments or views of them, read only as "
                         "the matmuls' left operand");
  }
  if (rowEpilogue &&
      failed(verifyRowEpilogue(*this, rowEpilogue, second ? second : first,
                               second || matmuls.size() == 1)))
    return failure();
  // An op may combine the results of several matmuls of one shape (the
  // kernel computes them in the same program); each result computes from
  // matmuls of the shape it has.
  for (Operation &op : body.without_terminator()) {
    Type shape;
    for (Value operand : op.getOperands())
      for (Operation *source : getMatmulsOf(operand)) {
        if (shape && source->getResult(0).getType() != shape)
          return emitOpError("matmul group's ops may combine only results of "
                             "matmuls of one shape");
        shape = source->getResult(0).getType();
      }
  }
  for (unsigned i = 0, e = getNumResults(); i < e; ++i) {
    MatmulOp from = getMatmulOf(getStoredValue(i));
    if (second) {
      if (from != second)
        return emitOpError("chain group results must each compute from the "
                           "second product, with its shape (before their "
                           "reshapes and transposes)");
    } else if (!from && matmuls.size() == 1)
      from = first;
    if (!from ||
        from.getType().getShape() !=
            cast<RankedTensorType>(getStoredValue(i).getType()).getShape())
      return emitOpError("matmul group results must each have the shape of "
                         "the matmul they compute from (before their "
                         "reshapes and transposes)");
  }
  return success();
}

SmallVector<Operation *> FusionGroupOp::getMatmulsOf(Value value) {
  llvm::SetVector<Operation *> found;
  SmallVector<Value> worklist{value};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!worklist.empty()) {
    Operation *def = worklist.pop_back_val().getDefiningOp();
    if (!def || def->getParentOp() != getOperation() ||
        !seen.insert(def).second)
      continue;
    if (isa<MatmulOp>(def)) {
      found.insert(def);
      continue;
    }
    llvm::append_range(worklist, def->getOperands());
  }
  return found.takeVector();
}

SmallVector<SmallVector<Operation *>> FusionGroupOp::getMatmulParts() {
  // Matmuls an op combines are one part: the connected sets of them.
  llvm::EquivalenceClasses<Operation *> parts;
  SmallVector<Operation *> order;
  for (Operation &op : getBodyBlock().without_terminator()) {
    if (isa<MatmulOp>(op)) {
      parts.insert(&op);
      order.push_back(&op);
      continue;
    }
    SmallVector<Operation *> sources;
    for (Value operand : op.getOperands())
      llvm::append_range(sources, getMatmulsOf(operand));
    for (Operation *source : sources)
      parts.unionSets(sources.front(), source);
  }
  SmallVector<SmallVector<Operation *>> result;
  DenseMap<Operation *, unsigned> index;
  for (Operation *matmul : order) {
    Operation *leader = parts.getLeaderValue(matmul);
    auto [it, inserted] = index.try_emplace(leader, result.size());
    if (inserted)
      result.emplace_back();
    result[it->second].push_back(matmul);
  }
  return result;
}

MatmulOp FusionGroupOp::getMatmulOf(Value value) {
  Operation *def = value.getDefiningOp();
  if (!def || def->getParentOp() != getOperation())
    return nullptr;
  if (auto matmul = dyn_cast<MatmulOp>(def))
    return matmul;
  for (Value operand : def->getOperands())
    if (MatmulOp from = getMatmulOf(operand))
      return from;
  return nullptr;
}

/// A splat constant, which a group copies in rather than reads.
static bool isSplatConstant(Value v) {
  auto constant = v.getDefiningOp<ConstantOp>();
  return constant && isa<SplatElementsAttr>(constant.getValue());
}

FailureOr<FusionGroupOp> FusionGroupOp::wrap(RewriterBase &rewriter,
                                             ArrayRef<Operation *> ops,
                                             FusionKind kind) {
  assert(!ops.empty() && "a group needs ops");
  llvm::SmallPtrSet<Operation *, 16> inGroup(ops.begin(), ops.end());
  // Views of values from outside that the group's ops read are copied in,
  // like splat constants: the group reads through them, and whatever else
  // reads them still can. So is a normalization a matmul recomputes as its
  // prologue.
  llvm::SmallPtrSet<Operation *, 8> copied;
  for (Operation *op : ops)
    if (isa<ViewOpInterface, LayerNormOp, RmsNormOp>(op) &&
        llvm::any_of(op->getUsers(),
                     [&](Operation *user) { return inGroup.count(user); }) &&
        llvm::all_of(op->getOperands(), [&](Value v) {
          Operation *def = v.getDefiningOp();
          return !def || !inGroup.count(def) || copied.count(def);
        }))
      copied.insert(op);
  Operation *last = ops.back();
  // What the group reads and what it returns.
  llvm::SetVector<Value> inputs, splats;
  SmallVector<Value> results;
  // A splat constant becomes a constant of the kernel only where elementwise
  // ops alone read it; a matmul or attention reads its operands from
  // buffers.
  auto copiedSplat = [&](Value v) {
    return isSplatConstant(v) && llvm::all_of(v.getUsers(), [&](Operation *u) {
             return !inGroup.count(u) || isa<ElementwiseOpInterface>(u);
           });
  };
  for (Operation *op : ops) {
    for (Value operand : op->getOperands()) {
      if (Operation *def = operand.getDefiningOp(); def && inGroup.count(def))
        continue;
      if (copiedSplat(operand))
        splats.insert(operand);
      else
        inputs.insert(operand);
    }
    if (copied.count(op))
      continue;
    for (Value result : op->getResults()) {
      bool usedOutside = false;
      for (Operation *user : result.getUsers()) {
        if (inGroup.count(user))
          continue;
        // A use outside must come after the group's place.
        if (user->getBlock() == last->getBlock() &&
            user->isBeforeInBlock(last))
          return failure();
        usedOutside = true;
      }
      if (usedOutside)
        results.push_back(result);
    }
  }

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointAfter(last);
  auto group = FusionGroupOp::create(
      rewriter, rewriter.getFusedLoc(llvm::map_to_vector(
                    ops, [](Operation *op) { return op->getLoc(); })),
      ValueRange(results).getTypes(), kind, inputs.getArrayRef());
  Block *body = rewriter.createBlock(
      &group.getBody(), {}, ValueRange(inputs.getArrayRef()).getTypes(),
      llvm::map_to_vector(inputs,
                          [](Value v) { return v.getLoc(); }));
  IRMapping mapping;
  mapping.map(inputs.getArrayRef(), body->getArguments());
  for (Value splat : splats)
    rewriter.clone(*splat.getDefiningOp(), mapping);
  for (Operation *op : ops)
    rewriter.clone(*op, mapping);
  YieldOp::create(rewriter, group.getLoc(),
                  llvm::map_to_vector(results, [&](Value v) {
                    return mapping.lookup(v);
                  }));
  for (auto [result, replacement] : llvm::zip(results, group.getResults()))
    rewriter.replaceAllUsesWith(result, replacement);
  // Copied views stay where something else still reads them.
  for (Operation *op : llvm::reverse(ops))
    if (!copied.count(op) || op->use_empty())
      rewriter.eraseOp(op);
  // A splat constant that only the group's ops used now lives in the group.
  for (Value splat : splats)
    if (splat.use_empty())
      rewriter.eraseOp(splat.getDefiningOp());
  return group;
}
