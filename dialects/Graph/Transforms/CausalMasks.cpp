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

namespace meld::graph {
#define GEN_PASS_DEF_GRAPHCAUSALMASKS
#include "dialects/Graph/Transforms/Passes.h.inc"
} // namespace meld::graph

using namespace mlir;
using namespace meld;
using namespace meld::graph;

namespace {

/// Whether `values` (a boolean tensor of `shape`, row-major, whose last two
/// dimensions are the scores' [lq, lk]) holds, in every slice over the
/// leading dimensions, the causal pattern: true exactly where key
/// `j <= i + lk - lq` when `keep`, exactly where `j > i + lk - lq` when not.
/// Every query must keep a key: `lk >= lq`.
static bool isCausal(function_ref<bool(int64_t)> values,
                     ArrayRef<int64_t> shape, bool keep) {
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
        if (values(e) != ((j <= i + lk - lq) == keep))
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
      if (!mask || (kind != AttentionMask::keep && kind != AttentionMask::drop))
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
      bool keep = kind == AttentionMask::keep;
      bool causal = false;
      if (auto constant = mask.getDefiningOp<ConstantOp>()) {
        auto values = dyn_cast<DenseElementsAttr>(constant.getValue());
        if (!values || !values.getElementType().isInteger(1))
          return;
        if (values.isSplat()) {
          bool splat = values.getSplatValue<bool>();
          causal =
              isCausal([&](int64_t) { return splat; }, type.getShape(), keep);
        } else {
          auto bits = llvm::to_vector(values.getValues<bool>());
          causal = isCausal([&](int64_t e) { return bits[e]; }, type.getShape(),
                            keep);
        }
      } else if (auto weight = mask.getDefiningOp<WeightOp>();
                 weight && readWeight && type.getElementType().isInteger(1)) {
        std::optional<ArrayRef<uint8_t>> bytes = readWeight(weight.getHandle());
        if (!bytes ||
            static_cast<int64_t>(bytes->size()) != type.getNumElements())
          return;
        causal = isCausal([&](int64_t e) { return (*bytes)[e] != 0; },
                          type.getShape(), keep);
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
