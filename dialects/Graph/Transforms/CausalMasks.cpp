//===- CausalMasks.cpp - Attention masks known to be causal ---------------===//
//
// An attention whose boolean mask is known at compile time (a constant, or a
// weight whose bytes the compiler lends) and holds the causal pattern for
// every batch and head becomes `causal`, without the mask: its kernel computes
// the mask from the positions and skips the key blocks no query of a block
// sees. A mask computed from the inputs (causal plus padding) is split into
// its factors: the known ones become `causal` (or go, when true everywhere),
// and the padding stays as a small keep mask.
//
//===----------------------------------------------------------------------===//

#include "dialects/Graph/Transforms/Passes.h"

#include "mlir/Dialect/Traits.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/PatternMatch.h"

#include <cstring>
#include <functional>

namespace meld::graph {
#define GEN_PASS_DEF_GRAPHCAUSALMASKS
#include "dialects/Graph/Transforms/Passes.h.inc"
} // namespace meld::graph

using namespace mlir;
using namespace meld;
using namespace meld::graph;

namespace {

/// The most an added mask may add where it masks a score, and the most a
/// boolean mask's masked score may be: then the score's weight underflows to
/// exactly 0 in f32 (its query keeps a key, so the row's maximum is a real
/// score), as -inf gives. A mask of -10000 is not: a row of scores below
/// -10000 would weigh the masked keys most.
constexpr double kMaskedAtMost = -1e30;

/// Whether `values` (a tensor of `shape`, row-major, whose last two
/// dimensions are the scores' [lq, lk]) holds, in every slice over the
/// leading dimensions, the causal pattern: `kept(e)` exactly where key
/// `j <= i + lk - lq` and `masked(e)` elsewhere. Every query must keep a
/// key: `lk >= lq`.
static bool isCausal(function_ref<bool(int64_t)> kept,
                     function_ref<bool(int64_t)> masked,
                     ArrayRef<int64_t> shape) {
  if (shape.size() < 2)
    return false;
  int64_t lq = shape[shape.size() - 2], lk = shape.back();
  if (lq <= 0 || lk < lq)
    return false;
  int64_t slices = 1;
  for (int64_t size : shape.drop_back(2))
    slices *= size;
  for (int64_t s = 0, e = 0; s < slices; ++s)
    for (int64_t i = 0; i < lq; ++i)
      for (int64_t j = 0; j < lk; ++j, ++e)
        if (!(j <= i + lk - lq ? kept(e) : masked(e)))
          return false;
  return true;
}

/// The factors of boolean `cond` as a conjunction: the operands of the
/// `graph.and` ops computing it, in order.
static void collectFactors(Value cond, SmallVectorImpl<Value> &factors) {
  if (auto conjunction = cond.getDefiningOp<AndOp>()) {
    collectFactors(conjunction.getLhs(), factors);
    collectFactors(conjunction.getRhs(), factors);
    return;
  }
  factors.push_back(cond);
}

/// The elements of a tensor known at compile time, by row-major index.
struct KnownTensor {
  int64_t count;
  std::function<double(int64_t)> at;

  bool all(function_ref<bool(double)> holds) const {
    for (int64_t e = 0; e < count; ++e)
      if (!holds(at(e)))
        return false;
    return true;
  }
};

struct GraphCausalMasks
    : public graph::impl::GraphCausalMasksBase<GraphCausalMasks> {
  using Base::Base;
  explicit GraphCausalMasks(WeightReader readWeight)
      : readWeight(std::move(readWeight)) {}

  /// The elements of `value` (row-major; booleans as 0 and 1) where the
  /// compiler knows them: a constant, or a weight whose bytes it lends. Read
  /// in place, element by element: a causal mask of a long context is large.
  std::optional<KnownTensor> readKnown(Value value) const {
    auto type = cast<RankedTensorType>(value.getType());
    Type element = type.getElementType();
    bool isBool = element.isInteger(1);
    if (!isBool && !element.isF32())
      return std::nullopt;
    int64_t count = type.getNumElements();
    if (auto constant = value.getDefiningOp<ConstantOp>()) {
      auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      if (!dense)
        return std::nullopt;
      if (isBool)
        return KnownTensor{
            count, [bits = dense.getValues<bool>()](int64_t e) -> double {
              return bits[e];
            }};
      return KnownTensor{
          count, [floats = dense.getValues<float>()](int64_t e) -> double {
            return floats[e];
          }};
    }
    auto weight = value.getDefiningOp<WeightOp>();
    if (!weight || !readWeight)
      return std::nullopt;
    std::optional<ArrayRef<uint8_t>> bytes = readWeight(weight.getHandle());
    if (!bytes || static_cast<int64_t>(bytes->size()) !=
                      count * (isBool ? 1 : int64_t(sizeof(float))))
      return std::nullopt;
    ArrayRef<uint8_t> data = *bytes;
    if (isBool)
      return KnownTensor{count,
                         [data](int64_t e) -> double { return data[e] != 0; }};
    return KnownTensor{count, [data](int64_t e) -> double {
                         float x;
                         std::memcpy(&x, data.data() + e * sizeof(float),
                                     sizeof(float));
                         return x;
                       }};
  }

  /// A known drop mask, or added f32 mask, of the scores' `[lq, lk]` that is
  /// causal: the attention becomes causal, without a mask. (A keep mask is
  /// `splitConjunction`'s, as a conjunction of one factor.)
  void foldKnownMask(AttentionOp attention, ArrayRef<int64_t> scores) const {
    Value mask = attention.getMask();
    AttentionMask kind = attention.getMaskKind();
    auto type = cast<RankedTensorType>(mask.getType());
    bool isBool = type.getElementType().isInteger(1);
    if (type.getRank() < 2 || type.getShape().take_back(2) != scores ||
        isBool == (kind == AttentionMask::add))
      return;
    // A boolean mask's masked scores must weigh exactly 0, as -inf's do.
    if (isBool && attention.getMaskedScore().convertToDouble() > kMaskedAtMost)
      return;
    std::optional<KnownTensor> values = readKnown(mask);
    if (!values)
      return;
    // drop: 0 where the score stays, 1 where it goes; add: 0 where it
    // stays, -inf or below -1e30 where it goes.
    auto isKept = [&](int64_t e) { return values->at(e) == 0.0; };
    auto isMasked = [&](int64_t e) {
      double x = values->at(e);
      return isBool ? x != 0.0 : x <= kMaskedAtMost;
    };
    if (!isCausal(isKept, isMasked, type.getShape()))
      return;
    attention.getMaskMutable().clear();
    attention.setMaskKind(AttentionMask::none);
    attention.setCausal(true);
  }

  /// A mask that keeps the scores where a conjunction of boolean factors
  /// holds (a keep mask, or an added `where(cond, 0, c)` with `c` -inf or
  /// at most -1e30), some of them known: the known factors go where together
  /// they are true everywhere, or causal (then the attention is causal, the
  /// keys past the diagonal masked with `c` as the mask masked them), and
  /// the rest stays as a keep mask. Returns whether it rewrote the
  /// attention.
  bool splitConjunction(AttentionOp attention, ArrayRef<int64_t> scores) {
    Value cond;
    double masked;
    if (attention.getMaskKind() == AttentionMask::keep) {
      cond = attention.getMask();
      masked = attention.getMaskedScore().convertToDouble();
    } else if (auto where = attention.getMask().getDefiningOp<WhereOp>();
               where && attention.getMaskKind() == AttentionMask::add) {
      std::optional<KnownTensor> zero = readKnown(where.getOnTrue());
      std::optional<KnownTensor> low = readKnown(where.getOnFalse());
      if (!zero || !low || low->count == 0 ||
          !zero->all([](double x) { return x == 0.0; }))
        return false;
      masked = low->at(0);
      if (masked > kMaskedAtMost ||
          !low->all([&](double x) { return x == masked; }))
        return false;
      cond = where.getCondition();
    } else {
      return false;
    }
    SmallVector<Value> factors, unknown;
    collectFactors(cond, factors);
    // The known factors' conjunction, over their broadcast shape.
    SmallVector<Value> known;
    SmallVector<KnownTensor> knownValues;
    SmallVector<int64_t> shape;
    for (Value factor : factors) {
      std::optional<KnownTensor> values = readKnown(factor);
      if (!values) {
        unknown.push_back(factor);
        continue;
      }
      SmallVector<int64_t> next;
      if (!OpTrait::util::getBroadcastedShape(
              shape, cast<RankedTensorType>(factor.getType()).getShape(), next))
        return false;
      shape = std::move(next);
      known.push_back(factor);
      knownValues.push_back(std::move(*values));
    }
    SmallVector<int64_t> strides = computeStrides(shape);
    int64_t count = computeProduct(shape);
    SmallVector<bool> bits(count, true);
    for (auto [factor, values] : llvm::zip_equal(known, knownValues)) {
      ArrayRef<int64_t> own =
          cast<RankedTensorType>(factor.getType()).getShape();
      SmallVector<int64_t> ownStrides = computeStrides(own);
      size_t lead = shape.size() - own.size();
      for (int64_t e = 0; e < count; ++e) {
        // The factor's element at the broadcast coordinates of `e`.
        int64_t at = 0;
        for (size_t d = lead; d < shape.size(); ++d)
          if (own[d - lead] != 1)
            at += (e / strides[d] % shape[d]) * ownStrides[d - lead];
        bits[e] = bits[e] && values.at(at) != 0.0;
      }
    }
    bool allTrue = llvm::all_of(bits, [](bool bit) { return bit; });
    bool causal = !allTrue && shape.size() >= 2 &&
                  ArrayRef<int64_t>(shape).take_back(2) == scores &&
                  masked <= kMaskedAtMost &&
                  isCausal([&](int64_t e) { return bits[e]; },
                           [&](int64_t e) { return !bits[e]; }, shape);
    // The factors that stay.
    SmallVector<Value> kept(unknown);
    if (!allTrue && !causal)
      llvm::append_range(kept, known);
    // A keep mask none of whose factors goes stays as it is.
    if (attention.getMaskKind() == AttentionMask::keep &&
        kept.size() == factors.size())
      return false;
    OpBuilder b(attention);
    Value newMask;
    for (Value factor : kept)
      newMask = newMask ? AndOp::create(b, attention.getLoc(), newMask, factor)
                              .getResult()
                        : factor;
    if (newMask) {
      attention.getMaskMutable().assign(newMask);
      attention.setMaskKind(AttentionMask::keep);
      attention.setMaskedScoreAttr(b.getF64FloatAttr(masked));
    } else {
      attention.getMaskMutable().clear();
      attention.setMaskKind(AttentionMask::none);
    }
    if (causal)
      attention.setCausal(true);
    return true;
  }

  void runOnOperation() override {
    getOperation().walk([&](AttentionOp attention) {
      if (!attention.getMask() ||
          attention.getMaskKind() == AttentionMask::none)
        return;
      auto out = attention.getType().getShape();
      auto keys = cast<RankedTensorType>(attention.getKey().getType());
      SmallVector<int64_t> scores{out[out.size() - 2],
                                  keys.getShape()[keys.getRank() - 2]};
      if (!splitConjunction(attention, scores) &&
          attention.getMaskKind() != AttentionMask::keep)
        foldKnownMask(attention, scores);
    });
  }

  WeightReader readWeight;
};

} // namespace

std::unique_ptr<Pass> graph::createGraphCausalMasks(WeightReader readWeight) {
  return std::make_unique<GraphCausalMasks>(std::move(readWeight));
}
