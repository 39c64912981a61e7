//===- CausalMasks.cpp - Attention masks known to be causal ---------------===//
//
// An attention whose boolean mask is known at compile time (a constant, or a
// weight whose bytes the compiler lends) and holds the causal pattern for
// every batch and head becomes `causal`, without the mask: its kernel computes
// the mask from the positions and skips the key blocks no query of a block
// sees.
//
//===----------------------------------------------------------------------===//

#include "dialects/Graph/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

#include <cstring>

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

struct GraphCausalMasks
    : public graph::impl::GraphCausalMasksBase<GraphCausalMasks> {
  using Base::Base;
  explicit GraphCausalMasks(WeightReader readWeight)
      : readWeight(std::move(readWeight)) {}

  void runOnOperation() override {
    getOperation().walk([&](AttentionOp attention) {
      Value mask = attention.getMask();
      AttentionMask kind = attention.getMaskKind();
      if (!mask || kind == AttentionMask::none)
        return;
      auto type = cast<RankedTensorType>(mask.getType());
      // The mask must give the scores' [Lq, Lk] itself, not broadcast them.
      auto scores = attention.getType().getShape();
      auto keys = cast<RankedTensorType>(attention.getKey().getType());
      if (type.getRank() < 2 ||
          type.getShape().take_back(2) !=
              ArrayRef<int64_t>{scores[scores.size() - 2],
                                keys.getShape()[keys.getRank() - 2]})
        return;
      // The mask's elements, as booleans (keep, drop) or f32 (add).
      SmallVector<bool> bits;
      SmallVector<float> floats;
      bool isBool = type.getElementType().isInteger(1);
      if (isBool == (kind == AttentionMask::add) ||
          (!isBool && !type.getElementType().isF32()))
        return;
      // A boolean mask's masked scores must weigh exactly 0, as -inf's do.
      if (isBool &&
          attention.getMaskedScore().convertToDouble() > kMaskedAtMost)
        return;
      if (auto constant = mask.getDefiningOp<ConstantOp>()) {
        auto values = dyn_cast<DenseElementsAttr>(constant.getValue());
        if (!values)
          return;
        if (isBool)
          bits.assign(values.value_begin<bool>(), values.value_end<bool>());
        else
          floats.assign(values.value_begin<float>(), values.value_end<float>());
      } else if (auto weight = mask.getDefiningOp<WeightOp>();
                 weight && readWeight) {
        std::optional<ArrayRef<uint8_t>> bytes = readWeight(weight.getHandle());
        int64_t count = type.getNumElements();
        if (!bytes || static_cast<int64_t>(bytes->size()) !=
                          count * (isBool ? 1 : int64_t(sizeof(float))))
          return;
        if (isBool) {
          for (uint8_t byte : *bytes)
            bits.push_back(byte != 0);
        } else {
          floats.resize(count);
          std::memcpy(floats.data(), bytes->data(), bytes->size());
        }
      } else {
        return;
      }
      bool causal;
      if (isBool) {
        // keep: true where the score stays; drop: true where it goes.
        bool keep = kind == AttentionMask::keep;
        causal = isCausal([&](int64_t e) { return bits[e] == keep; },
                          [&](int64_t e) { return bits[e] != keep; },
                          type.getShape());
      } else {
        // add: 0 where the score stays, -inf or below -1e30 where it goes.
        causal = isCausal([&](int64_t e) { return floats[e] == 0.0f; },
                          [&](int64_t e) { return floats[e] <= kMaskedAtMost; },
                          type.getShape());
      }
      if (!causal)
        return;
      attention.getMaskMutable().clear();
      attention.setMaskKind(AttentionMask::none);
      attention.setCausal(true);
    });
  }

  WeightReader readWeight;
};

} // namespace

std::unique_ptr<Pass> graph::createGraphCausalMasks(WeightReader readWeight) {
  return std::make_unique<GraphCausalMasks>(std::move(readWeight));
}
