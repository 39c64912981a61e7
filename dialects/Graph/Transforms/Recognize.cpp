//===- Recognize.cpp - Composite ops from their written-out forms ---------===//
//
// Each pattern starts from one op of a written-out composite and checks every
// op, constant, axis and type of the chain against the composite's definition.
// The ops it replaces are then the backward slice of the chain's last op down
// to the composite's operands and constants (which stay: they may be shared);
// the rewrite happens only if no value of that slice but the last is used
// outside it, so no work is duplicated and nothing outside changes.
//
//===----------------------------------------------------------------------===//

#include "dialects/Graph/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

namespace meld::graph {
#define GEN_PASS_DEF_GRAPHRECOGNIZE
#include "dialects/Graph/Transforms/Passes.h.inc"
} // namespace meld::graph

using namespace mlir;
using namespace meld;
using namespace meld::graph;

namespace {

//===----------------------------------------------------------------------===//
// Constants, reductions and parameters
//===----------------------------------------------------------------------===//

RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// The value of a float constant whose elements are all equal, or nothing.
std::optional<APFloat> getSplatFloat(Value value) {
  DenseFPElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.isSplat())
    return std::nullopt;
  return attr.getSplatValue<APFloat>();
}

/// Whether `value` is a float constant whose elements all equal `expected`.
bool isExactly(Value value, double expected) {
  std::optional<APFloat> actual = getSplatFloat(value);
  return actual && actual->convertToDouble() == expected;
}

/// Whether `value` is a float constant whose elements all equal `expected` up
/// to the rounding of a decimal literal to the element type: one unit in the
/// last place of that type, and at least 1e-6 relative.
bool isNear(Value value, double expected) {
  std::optional<APFloat> actual = getSplatFloat(value);
  if (!actual)
    return false;
  int precision = APFloat::semanticsPrecision(actual->getSemantics());
  double tolerance = std::max(1e-6, std::ldexp(1.0, 1 - precision));
  return std::abs(actual->convertToDouble() - expected) <=
         tolerance * std::abs(expected);
}

/// The first reduced dimension of a reduction that keeps its dimensions and
/// reduces exactly the trailing ones, or nothing.
template <typename ReduceOpTy>
std::optional<int64_t> getTrailingAxis(ReduceOpTy op) {
  ArrayRef<int64_t> axes = op.getAxes();
  int64_t rank = tensorType(op.getInput()).getRank();
  int64_t first = rank - static_cast<int64_t>(axes.size());
  if (!op.getKeepDims() || axes.empty() ||
      !llvm::equal(axes, llvm::seq<int64_t>(first, rank)))
    return std::nullopt;
  return first;
}

/// Whether `param` can be the scale or bias of a normalization of values of
/// `type` over the dimensions from `axis` on: of the same element type, and
/// constant along every other dimension (numpy broadcasting aligns shapes at
/// the right).
bool isNormParameter(Value param, RankedTensorType type, int64_t axis) {
  RankedTensorType paramType = tensorType(param);
  int64_t lead = type.getRank() - paramType.getRank();
  if (lead < 0 || paramType.getElementType() != type.getElementType())
    return false;
  for (auto [d, size] : llvm::enumerate(paramType.getShape())) {
    int64_t dim = static_cast<int64_t>(d) + lead;
    if (size != 1 && (dim < axis || size != type.getDimSize(dim)))
      return false;
  }
  return true;
}

/// `param`, a parameter as isNormParameter accepts it, reshaped without the
/// leading unit dimensions it has beyond the normalized ones, as the
/// normalization ops require.
Value fitNormParameter(PatternRewriter &rewriter, Location loc, Value param,
                       int64_t normalizedRank) {
  RankedTensorType type = tensorType(param);
  if (type.getRank() <= normalizedRank)
    return param;
  auto fitted = RankedTensorType::get(type.getShape().take_back(normalizedRank),
                                      type.getElementType());
  return ReshapeOp::create(rewriter, loc, fitted, param);
}

//===----------------------------------------------------------------------===//
// Chains
//===----------------------------------------------------------------------===//

/// Appends to `chain` the ops computing `op`'s operands from `inputs` and
/// constants, then `op`, each op after the ops it uses. Fails when the slice
/// leaves `op`'s block or reaches a block argument that is not an input.
bool appendChain(Operation *op, ArrayRef<Value> inputs,
                 llvm::SetVector<Operation *> &chain) {
  for (Value operand : op->getOperands()) {
    if (llvm::is_contained(inputs, operand) ||
        matchPattern(operand, m_Constant()))
      continue;
    Operation *def = operand.getDefiningOp();
    if (!def || def->getBlock() != op->getBlock())
      return false;
    if (!chain.contains(def) && !appendChain(def, inputs, chain))
      return false;
  }
  chain.insert(op);
  return true;
}

/// Replaces `last` and the ops computing it from `inputs` and constants by the
/// value `build` creates before `last`, at the fused location of the replaced
/// ops. Fails, changing nothing, when a value of those ops but `last`'s is
/// used by another op.
LogicalResult replaceChain(PatternRewriter &rewriter, Operation *last,
                           ArrayRef<Value> inputs,
                           llvm::function_ref<Value(Location)> build) {
  llvm::SetVector<Operation *> chain;
  if (!appendChain(last, inputs, chain))
    return rewriter.notifyMatchFailure(last, "the chain leaves its block");
  for (Operation *op : chain.getArrayRef().drop_back())
    for (Operation *user : op->getUsers())
      if (!chain.contains(user))
        return rewriter.notifyMatchFailure(
            op, "a value of the chain is used outside it");
  rewriter.setInsertionPoint(last);
  auto locs = llvm::map_to_vector(
      chain, [](Operation *op) -> Location { return op->getLoc(); });
  Value replacement = build(FusedLoc::get(rewriter.getContext(), locs));
  rewriter.replaceOp(last, replacement);
  for (Operation *op : llvm::reverse(chain.getArrayRef().drop_back()))
    rewriter.eraseOp(op);
  return success();
}

/// Appends the factors of the product `value` of type `type` to `factors`:
/// the operands of the graph.mul ops of that type computing it, nested
/// products flattened where they have no other use. Fails when there are more
/// than `limit`.
bool appendFactors(Value value, Type type, bool outermost, size_t limit,
                   SmallVectorImpl<Value> &factors) {
  auto mul = value.getDefiningOp<MulOp>();
  if (!mul || mul.getType() != type || (!outermost && !mul->hasOneUse())) {
    if (factors.size() == limit)
      return false;
    factors.push_back(value);
    return true;
  }
  return appendFactors(mul.getLhs(), type, false, limit, factors) &&
         appendFactors(mul.getRhs(), type, false, limit, factors);
}

/// The factors of `value` (itself alone when it is not a product), or nothing
/// when there are more than `limit`.
SmallVector<Value> getFactors(Value value, size_t limit) {
  SmallVector<Value> factors;
  if (!appendFactors(value, value.getType(), /*outermost=*/true, limit,
                     factors))
    return {};
  return factors;
}

/// The op computing `dividend / divisor` when that is the only use of
/// `divisor`: a graph.div, or a graph.mul with the divisor's reciprocal
/// (`graph.reciprocal` or `1 / divisor`, used only there), of the dividend's
/// type.
Operation *getQuotient(Value dividend, Value divisor) {
  if (!divisor.hasOneUse())
    return nullptr;
  Operation *user = *divisor.user_begin();
  Type type = dividend.getType();
  Value inverse;
  if (auto div = dyn_cast<DivOp>(user)) {
    if (div.getRhs() != divisor)
      return nullptr;
    if (div.getLhs() == dividend)
      return div.getType() == type ? div : nullptr;
    if (!isExactly(div.getLhs(), 1.0))
      return nullptr;
    inverse = div.getResult();
  } else if (auto reciprocal = dyn_cast<ReciprocalOp>(user)) {
    inverse = reciprocal.getResult();
  } else {
    return nullptr;
  }
  if (inverse.getType() != divisor.getType() || !inverse.hasOneUse())
    return nullptr;
  auto mul = dyn_cast<MulOp>(*inverse.user_begin());
  if (!mul || mul.getType() != type ||
      !((mul.getLhs() == dividend && mul.getRhs() == inverse) ||
        (mul.getRhs() == dividend && mul.getLhs() == inverse)))
    return nullptr;
  return mul;
}

/// When the only user of `value` is a `BinaryOpTy` of `value`'s type whose
/// other operand is a parameter of a normalization from `axis` on (see
/// isNormParameter): that operand; else a null value.
template <typename BinaryOpTy>
Value getNormParameter(Value value, int64_t axis) {
  if (!value.hasOneUse())
    return {};
  auto op = dyn_cast<BinaryOpTy>(*value.user_begin());
  if (!op || op.getType() != value.getType() || op.getLhs() == op.getRhs())
    return {};
  Value param = op.getLhs() == value ? op.getRhs() : op.getLhs();
  if (!isNormParameter(param, tensorType(value), axis))
    return {};
  return param;
}

//===----------------------------------------------------------------------===//
// GELU
//===----------------------------------------------------------------------===//

/// `x` when `arg` is `x / sqrt(2)` or `x * (1 / sqrt(2))`, with `x` and every
/// op of `type`; else a null value.
Value matchErfArgument(Value arg, Type type) {
  if (arg.getType() != type)
    return {};
  if (auto div = arg.getDefiningOp<DivOp>())
    return div.getLhs().getType() == type &&
                   isNear(div.getRhs(), llvm::numbers::sqrt2)
               ? div.getLhs()
               : Value();
  SmallVector<Value> factors = getFactors(arg, 2);
  if (factors.size() != 2)
    return {};
  for (auto [x, c] :
       {std::pair(factors[0], factors[1]), std::pair(factors[1], factors[0])})
    if (x.getType() == type && isNear(c, llvm::numbers::inv_sqrt2))
      return x;
  return {};
}

/// Whether `term` is `0.044715 * x^3`, the cube written `pow(x, 3)` or
/// `x * x * x`, factors in any order.
bool isCubicTerm(Value term, Value x) {
  SmallVector<Value> factors = getFactors(term, 4);
  auto isCoefficient = [](Value c) { return isNear(c, 0.044715); };
  auto isCube = [&](Value c) {
    auto pow = c.getDefiningOp<PowOp>();
    return pow && pow.getType() == x.getType() && pow.getLhs() == x &&
           isExactly(pow.getRhs(), 3.0);
  };
  if (factors.size() == 2)
    return (isCoefficient(factors[0]) && isCube(factors[1])) ||
           (isCoefficient(factors[1]) && isCube(factors[0]));
  return factors.size() == 4 && llvm::count(factors, x) == 3 &&
         llvm::count_if(factors, isCoefficient) == 1;
}

/// `x` when `arg` is `sqrt(2 / pi) * (x + 0.044715 * x^3)`, with `x` and every
/// op of `type`; else a null value.
Value matchTanhArgument(Value arg, Type type) {
  SmallVector<Value> factors = getFactors(arg, 2);
  if (arg.getType() != type || factors.size() != 2)
    return {};
  for (auto [sum, c] :
       {std::pair(factors[0], factors[1]), std::pair(factors[1], factors[0])}) {
    auto add = sum.getDefiningOp<AddOp>();
    if (!add || add.getType() != type ||
        !isNear(c, std::sqrt(2.0 * llvm::numbers::inv_pi)))
      continue;
    for (auto [x, term] : {std::pair(add.getLhs(), add.getRhs()),
                           std::pair(add.getRhs(), add.getLhs())})
      if (x.getType() == type && isCubicTerm(term, x))
        return x;
  }
  return {};
}

/// The input of a GELU and the approximation it computes.
struct GeluInput {
  Value x;
  GeluApproximation approximation;
};

/// The GELU input when `value` is `1 + erf(x / sqrt(2))` or
/// `1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))` of type `type`.
std::optional<GeluInput> matchGeluFactor(Value value, Type type) {
  auto add = value.getDefiningOp<AddOp>();
  if (!add || add.getType() != type)
    return std::nullopt;
  for (auto [f, one] : {std::pair(add.getLhs(), add.getRhs()),
                        std::pair(add.getRhs(), add.getLhs())}) {
    if (!isExactly(one, 1.0))
      continue;
    if (auto erf = f.getDefiningOp<ErfOp>())
      if (Value x = matchErfArgument(erf.getInput(), type))
        return GeluInput{x, GeluApproximation::none};
    if (auto tanh = f.getDefiningOp<TanhOp>())
      if (Value x = matchTanhArgument(tanh.getInput(), type))
        return GeluInput{x, GeluApproximation::tanh};
  }
  return std::nullopt;
}

/// `x * 0.5 * (1 + erf(x / sqrt(2)))` and `0.5 * x * (1 + tanh(sqrt(2 / pi) *
/// (x + 0.044715 * x^3)))`, the three factors in any order and association, to
/// `graph.gelu`. Anchored at the outermost product.
struct RecognizeGelu : public OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp root,
                                PatternRewriter &rewriter) const override {
    Type type = root.getType();
    SmallVector<Value> factors = getFactors(root.getResult(), 3);
    if (factors.size() != 3)
      return failure();
    for (int i = 0; i < 3; ++i) {
      std::optional<GeluInput> gelu = matchGeluFactor(factors[i], type);
      if (!gelu)
        continue;
      Value x = gelu->x;
      Value a = factors[(i + 1) % 3], b = factors[(i + 2) % 3];
      if (!((a == x && isNear(b, 0.5)) || (b == x && isNear(a, 0.5))))
        continue;
      return replaceChain(rewriter, root, {x}, [&](Location loc) -> Value {
        return GeluOp::create(
            rewriter, loc, type, x,
            GeluApproximationAttr::get(getContext(), gelu->approximation));
      });
    }
    return failure();
  }
};

//===----------------------------------------------------------------------===//
// LayerNorm and RMSNorm
//===----------------------------------------------------------------------===//

/// The core of a normalization: `normalized` computes `input / sqrt(mean(
/// input^2) + epsilon)` with the mean over the dimensions from `axis` on.
struct NormCore {
  Value input;
  int64_t axis;
  FloatAttr epsilon;
  Operation *normalized;
};

/// `v` when `square` is `v * v` or `pow(v, 2)` of `v`'s type.
Value matchSquare(Value square) {
  if (auto mul = square.getDefiningOp<MulOp>())
    return mul.getLhs() == mul.getRhs() &&
                   mul.getLhs().getType() == mul.getType()
               ? mul.getLhs()
               : Value();
  if (auto pow = square.getDefiningOp<PowOp>())
    return pow.getLhs().getType() == pow.getType() &&
                   isExactly(pow.getRhs(), 2.0)
               ? pow.getLhs()
               : Value();
  return {};
}

/// The normalization whose root mean square (plus epsilon) `sqrt` computes.
std::optional<NormCore> matchNormCore(SqrtOp sqrt) {
  auto shifted = sqrt.getInput().getDefiningOp<AddOp>();
  if (!shifted || shifted.getType() != sqrt.getType())
    return std::nullopt;
  for (auto [meanOfSquares, eps] :
       {std::pair(shifted.getLhs(), shifted.getRhs()),
        std::pair(shifted.getRhs(), shifted.getLhs())}) {
    auto mean = meanOfSquares.getDefiningOp<ReduceMeanOp>();
    std::optional<APFloat> epsilon = getSplatFloat(eps);
    if (!mean || mean.getType() != shifted.getType() || !epsilon)
      continue;
    std::optional<int64_t> axis = getTrailingAxis(mean);
    Value input = matchSquare(mean.getInput());
    if (!axis || !input)
      continue;
    // The ops take epsilon as an f32 attribute: only an f32 value is exact.
    bool losesInfo = false;
    epsilon->convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                     &losesInfo);
    if (losesInfo)
      continue;
    Operation *normalized = getQuotient(input, sqrt.getResult());
    if (!normalized)
      continue;
    return NormCore{
        input, *axis,
        FloatAttr::get(Float32Type::get(sqrt.getContext()), *epsilon),
        normalized};
  }
  return std::nullopt;
}

/// `x` when `centered` is `x - mean(x)` with the mean over the dimensions from
/// `axis` on (kept), of `x`'s type; else a null value.
Value getCenteredInput(Value centered, int64_t axis) {
  auto sub = centered.getDefiningOp<SubOp>();
  if (!sub || sub.getLhs().getType() != sub.getType())
    return {};
  auto mean = sub.getRhs().getDefiningOp<ReduceMeanOp>();
  if (!mean || mean.getInput() != sub.getLhs() || getTrailingAxis(mean) != axis)
    return {};
  return sub.getLhs();
}

/// Rewrites the normalization `core` of `x` (`x - mean(x)` for a LayerNorm,
/// `x` itself for an RMSNorm), with the scale (and bias, for a LayerNorm) that
/// follows it when there is one.
LogicalResult rewriteNorm(PatternRewriter &rewriter, const NormCore &core,
                          Value x, bool layerNorm) {
  Operation *last = core.normalized;
  Value scale = getNormParameter<MulOp>(last->getResult(0), core.axis);
  if (scale)
    last = *last->getResult(0).user_begin();
  Value bias;
  if (layerNorm)
    bias = getNormParameter<AddOp>(last->getResult(0), core.axis);
  if (bias)
    last = *last->getResult(0).user_begin();

  RankedTensorType type = tensorType(x);
  SmallVector<Value> inputs{x};
  for (Value param : {scale, bias})
    if (param)
      inputs.push_back(param);
  return replaceChain(rewriter, last, inputs, [&](Location loc) -> Value {
    int64_t normalizedRank = type.getRank() - core.axis;
    Type element = type.getElementType();
    Value fittedScale =
        scale ? fitNormParameter(rewriter, loc, scale, normalizedRank)
              : ConstantOp::create(
                    rewriter, loc,
                    DenseElementsAttr::get(RankedTensorType::get({}, element),
                                           rewriter.getFloatAttr(element, 1.0)))
                    .getResult();
    IntegerAttr axis = rewriter.getI64IntegerAttr(core.axis);
    if (!layerNorm)
      return RmsNormOp::create(rewriter, loc, type, x, fittedScale, axis,
                               core.epsilon);
    Value fittedBias =
        bias ? fitNormParameter(rewriter, loc, bias, normalizedRank) : Value();
    return LayerNormOp::create(rewriter, loc, type, x, fittedScale, fittedBias,
                               axis, core.epsilon);
  });
}

/// `(x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) [* scale] [+ bias]` to
/// `graph.layernorm` and `x / sqrt(mean(x^2) + eps) [* scale]` to
/// `graph.rmsnorm`, the division also written as a product with the
/// reciprocal. Anchored at the square root, from which the chain is followed
/// back to the statistics and forward to the parameters.
struct RecognizeNorm : public OpRewritePattern<SqrtOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SqrtOp sqrt,
                                PatternRewriter &rewriter) const override {
    std::optional<NormCore> core = matchNormCore(sqrt);
    if (!core)
      return failure();
    // A LayerNorm whose mean is also used elsewhere keeps its centered value,
    // and the rest is an RMSNorm of it.
    if (Value x = getCenteredInput(core->input, core->axis))
      if (succeeded(rewriteNorm(rewriter, *core, x, /*layerNorm=*/true)))
        return success();
    return rewriteNorm(rewriter, *core, core->input, /*layerNorm=*/false);
  }
};

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// `exp(x - max(x)) / sum(exp(x - max(x)))` and `exp(x) / sum(exp(x))`, both
/// reductions over the last dimension, to `graph.softmax`. Anchored at the sum.
struct RecognizeSoftmax : public OpRewritePattern<ReduceSumOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReduceSumOp sum,
                                PatternRewriter &rewriter) const override {
    auto exp = sum.getInput().getDefiningOp<ExpOp>();
    if (!exp)
      return failure();
    RankedTensorType type = exp.getType();
    int64_t last = type.getRank() - 1;
    if (getTrailingAxis(sum) != last)
      return failure();
    Value x = exp.getInput();
    // A subtracted maximum must be the row's own: one over other dimensions
    // leaves the chain alone rather than becoming part of the input.
    if (auto sub = x.getDefiningOp<SubOp>()) {
      if (auto max = sub.getRhs().getDefiningOp<ReduceMaxOp>()) {
        if (max.getInput() != sub.getLhs() || getTrailingAxis(max) != last ||
            sub.getLhs().getType() != type)
          return failure();
        x = sub.getLhs();
      }
    }
    Operation *quotient = getQuotient(exp.getResult(), sum.getResult());
    if (!quotient)
      return failure();
    return replaceChain(rewriter, quotient, {x}, [&](Location loc) -> Value {
      return SoftmaxOp::create(rewriter, loc, type, x,
                               rewriter.getI64IntegerAttr(last));
    });
  }
};

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

/// `softmax(mask(scale * q * kt)) * v`, the softmax over the last dimension,
/// to `graph.attention` of `q`, `transpose(kt)` and `v`: the scale a division
/// or product by a constant (or `q` and `kt` each multiplied by one), the
/// mask a `where` keeping or dropping scores (for a constant score) or an
/// added float mask, each optional, in that order, and the weights maybe
/// guarded against NaN (`where(p != p, 0, p)`). Every intermediate has no other
/// use, all of q, kt and v have the scores' rank, and the head dimensions fit
/// one kernel. Anchored at the product with v.
struct RecognizeAttention : public OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulOp pv,
                                PatternRewriter &rewriter) const override {
    // torch's exported SDPA zeroes NaN weights: where(p != p, 0, p).
    Value weights = pv.getLhs();
    bool zeroNanRows = false;
    if (auto guard = weights.getDefiningOp<WhereOp>()) {
      auto isNan = guard.getCondition().getDefiningOp<CmpOp>();
      if (!isNan || isNan.getPredicate() != CmpPredicate::ne ||
          isNan.getLhs() != isNan.getRhs() ||
          isNan.getLhs() != guard.getOnFalse() ||
          !isExactly(guard.getOnTrue(), 0.0) ||
          guard.getType() != guard.getOnFalse().getType())
        return failure();
      weights = guard.getOnFalse();
      zeroNanRows = true;
    }
    auto softmax = weights.getDefiningOp<SoftmaxOp>();
    if (!softmax)
      return failure();
    RankedTensorType scores = softmax.getType();
    int64_t rank = scores.getRank();
    if (rank < 2 || static_cast<int64_t>(softmax.getAxis()) != rank - 1)
      return failure();
    Value s = softmax.getInput();
    // The mask.
    AttentionMask kind = AttentionMask::none;
    Value mask;
    double masked = 0.0;
    if (auto where = s.getDefiningOp<WhereOp>()) {
      std::optional<APFloat> onFalse = getSplatFloat(where.getOnFalse());
      std::optional<APFloat> onTrue = getSplatFloat(where.getOnTrue());
      Value kept = onFalse ? where.getOnTrue() : where.getOnFalse();
      std::optional<APFloat> score = onFalse ? onFalse : onTrue;
      if (!score || kept.getType() != scores)
        return failure();
      kind = onFalse ? AttentionMask::keep : AttentionMask::drop;
      mask = where.getCondition();
      masked = score->convertToDouble();
      s = kept;
    } else if (auto add = s.getDefiningOp<AddOp>()) {
      bool lhsScores = add.getLhs().getType() == scores &&
                       !matchPattern(add.getLhs(), m_Constant());
      Value kept = lhsScores ? add.getLhs() : add.getRhs();
      Value added = lhsScores ? add.getRhs() : add.getLhs();
      if (kept.getType() != scores || add.getType() != scores)
        return failure();
      kind = AttentionMask::add;
      mask = added;
      s = kept;
    }
    // The scale.
    double scale = 1.0;
    if (auto div = s.getDefiningOp<DivOp>()) {
      std::optional<APFloat> divisor = getSplatFloat(div.getRhs());
      if (!divisor || div.getLhs().getType() != scores ||
          div.getType() != scores)
        return failure();
      scale = 1.0 / divisor->convertToDouble();
      s = div.getLhs();
    } else if (auto mul = s.getDefiningOp<MulOp>()) {
      std::optional<APFloat> factor = getSplatFloat(mul.getRhs());
      Value product = mul.getLhs();
      if (!factor) {
        factor = getSplatFloat(mul.getLhs());
        product = mul.getRhs();
      }
      if (!factor || product.getType() != scores || mul.getType() != scores)
        return failure();
      scale = factor->convertToDouble();
      s = product;
    }
    auto qk = s.getDefiningOp<MatmulOp>();
    if (!qk)
      return failure();
    Value q = qk.getLhs(), kt = qk.getRhs(), v = pv.getRhs();
    // torch's exported SDPA scales Q and K^T each by a root of the scale.
    auto prescaled = [&](Value &operand) {
      auto mul = operand.getDefiningOp<MulOp>();
      if (!mul || mul.getLhs().getType() != mul.getType())
        return;
      if (std::optional<APFloat> factor = getSplatFloat(mul.getRhs())) {
        scale *= factor->convertToDouble();
        operand = mul.getLhs();
      }
    };
    prescaled(q);
    prescaled(kt);
    auto qType = tensorType(q), ktType = tensorType(kt), vType = tensorType(v);
    if (qType.getRank() != rank || ktType.getRank() != rank ||
        vType.getRank() != rank)
      return rewriter.notifyMatchFailure(pv, "operands of another rank");
    if (std::max(qType.getShape().back(), vType.getShape().back()) >
        AttentionOp::kMaxHeadDim)
      return rewriter.notifyMatchFailure(pv, "head dimension too large");
    SmallVector<Value> inputs{q, kt, v};
    if (mask)
      inputs.push_back(mask);
    return replaceChain(rewriter, pv, inputs, [&](Location loc) -> Value {
      SmallVector<int64_t> permutation =
          llvm::to_vector(llvm::seq<int64_t>(0, rank));
      std::swap(permutation[rank - 2], permutation[rank - 1]);
      Value key = TransposeOp::create(
          rewriter, loc, kt, rewriter.getDenseI64ArrayAttr(permutation));
      return AttentionOp::create(
          rewriter, loc, pv.getType(), q, key, v, mask,
          rewriter.getF64FloatAttr(scale),
          AttentionMaskAttr::get(rewriter.getContext(), kind),
          rewriter.getF64FloatAttr(masked),
          zeroNanRows ? rewriter.getUnitAttr() : UnitAttr());
    });
  }
};

struct GraphRecognize : public graph::impl::GraphRecognizeBase<GraphRecognize> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RecognizeGelu, RecognizeNorm, RecognizeSoftmax,
                 RecognizeAttention>(&getContext());
    // Only the rewrites above: folding and region simplification are the
    // canonicalizer's.
    GreedyRewriteConfig config;
    config.enableFolding(false)
        .enableConstantCSE(false)
        .setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config))) {
      getOperation().emitError("meld-graph-recognize did not converge");
      return signalPassFailure();
    }
  }
};

} // namespace
