//===- SinkReshapes.cpp - Reshapes below the elementwise ops reading them -===//
//
// Moves a reshape that keeps its trailing dimensions below an elementwise op
// reading it, where the op's other operands broadcast along those trailing
// dimensions only (a bias, a scalar) or are the same reshape of a value of
// the same shape: the op then computes on the reshape's input, and the
// reshape follows it. Reshapes that meet their inverse fold away.
//
// Exporters write a linear layer applied to a flattened batch (GPT-2's
// Conv1D: `view(-1, n)`, `addmm`, `view(batch, seq, n)`) as a matmul, a
// reshape, the bias add and the reshape back; moved down, the two reshapes
// cancel and the bias add and the residual add after it read the product
// directly, so they fuse into its epilogue.
//
//===----------------------------------------------------------------------===//

#include "dialects/Graph/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace meld::graph {
#define GEN_PASS_DEF_GRAPHSINKRESHAPES
#include "dialects/Graph/Transforms/Passes.h.inc"
} // namespace meld::graph

using namespace mlir;
using namespace meld;
using namespace meld::graph;

namespace {

/// The number of trailing dimensions `a` and `b` share, size for size.
static int64_t commonTrailingDims(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  int64_t k = 0;
  while (k < static_cast<int64_t>(std::min(a.size(), b.size())) &&
         a[a.size() - 1 - k] == b[b.size() - 1 - k])
    ++k;
  return k;
}

/// `op(reshape(x), y...)` becomes `reshape(op(x, y'...))`: see the file
/// comment for which operands `y` qualify.
struct SinkReshapeBelowElementwise
    : public OpInterfaceRewritePattern<ElementwiseOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(ElementwiseOpInterface elementwise,
                                PatternRewriter &rewriter) const override {
    Operation *op = elementwise;
    // `expand` sets its result's shape itself: it is not moved.
    if (isa<ExpandOp>(op) || op->getNumResults() != 1 ||
        op->getNumRegions() != 0)
      return failure();
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    // A reshape giving the op its shape: the others only broadcast to it.
    ReshapeOp reshape;
    for (Value operand : op->getOperands())
      if (auto candidate = operand.getDefiningOp<ReshapeOp>();
          candidate && candidate.getType().getShape() == resultType.getShape())
        reshape = candidate;
    if (!reshape)
      return rewriter.notifyMatchFailure(op, "no reshape gives its shape");
    auto sourceType = cast<RankedTensorType>(reshape.getInput().getType());
    ArrayRef<int64_t> source = sourceType.getShape();
    ArrayRef<int64_t> target = resultType.getShape();
    int64_t kept = commonTrailingDims(source, target);
    SmallVector<Value> operands;
    for (Value operand : op->getOperands()) {
      auto other = operand.getDefiningOp<ReshapeOp>();
      // The same reshape of a value of the source's shape (of any element
      // type: a `where`'s condition).
      if (other &&
          cast<RankedTensorType>(other.getInput().getType()).getShape() ==
              source &&
          other.getType().getShape() == target) {
        operands.push_back(other.getInput());
        continue;
      }
      // Right-aligned, it meets only the dimensions the reshape keeps.
      if (cast<RankedTensorType>(operand.getType()).getRank() > kept)
        return rewriter.notifyMatchFailure(
            op, "an operand broadcasts along the reshaped dimensions");
      operands.push_back(operand);
    }
    Operation *moved = rewriter.clone(*op);
    moved->setOperands(operands);
    moved->getResult(0).setType(resultType.clone(source));
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, resultType, moved->getResult(0));
    return success();
  }
};

struct GraphSinkReshapes
    : public graph::impl::GraphSinkReshapesBase<GraphSinkReshapes> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SinkReshapeBelowElementwise>(&getContext());
    // Folding (on by default) cancels a reshape and its inverse.
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      getOperation().emitError("meld-graph-sink-reshapes did not converge");
      return signalPassFailure();
    }
  }
};

} // namespace
