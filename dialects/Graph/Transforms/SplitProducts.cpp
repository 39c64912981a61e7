//===- SplitProducts.cpp - One product per column block of a split --------===//
//
// A matmul whose result is read only by splits of its columns and slices of
// blocks of them, each part read only by elementwise ops, becomes one matmul
// per part, each of its column block of the right operand (a slice, which
// kernels read in place).
//
// Phi-3 computes its MLP's gate and up projections as one product of twice
// the columns, split in halves for `silu(gate) * up`. As two products of one
// left operand they are what `meld-graph-fuse` makes a dual product of, and
// the MLP becomes one chain kernel, as Llama's does.
//
//===----------------------------------------------------------------------===//

#include "dialects/Graph/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace meld::graph {
#define GEN_PASS_DEF_GRAPHSPLITPRODUCTS
#include "dialects/Graph/Transforms/Passes.h.inc"
} // namespace meld::graph

using namespace mlir;
using namespace meld;
using namespace meld::graph;

namespace {

/// The column blocks `(start, size)` of `matmul`'s result that `user`
/// takes, one per result: a split of the last axis, or a slice of a block
/// of columns (whole in every other dimension). None for another user.
static std::optional<SmallVector<std::pair<int64_t, int64_t>>>
getColumnBlocks(Operation *user, RankedTensorType type) {
  int64_t last = type.getRank() - 1;
  SmallVector<std::pair<int64_t, int64_t>> blocks;
  if (auto split = dyn_cast<SplitOp>(user)) {
    if (static_cast<int64_t>(split.getAxis()) != last)
      return std::nullopt;
    int64_t start = 0;
    for (int64_t size : split.getSizes()) {
      blocks.push_back({start, size});
      start += size;
    }
    return blocks;
  }
  auto slice = dyn_cast<SliceOp>(user);
  if (!slice)
    return std::nullopt;
  for (int64_t d = 0; d <= last; ++d) {
    if (slice.getSteps()[d] != 1)
      return std::nullopt;
    if (d < last && (slice.getStarts()[d] != 0 ||
                     slice.getSizes()[d] != type.getDimSize(d)))
      return std::nullopt;
  }
  blocks.push_back({slice.getStarts()[last], slice.getSizes()[last]});
  return blocks;
}

struct SplitProductColumns : public OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulOp matmul,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(matmul.getType());
    SmallVector<Operation *> users(matmul->getUsers());
    if (users.empty())
      return rewriter.notifyMatchFailure(matmul, "no reader");
    SmallVector<SmallVector<std::pair<int64_t, int64_t>>> blocks;
    for (Operation *user : users) {
      std::optional<SmallVector<std::pair<int64_t, int64_t>>> taken =
          getColumnBlocks(user, type);
      if (!taken)
        return rewriter.notifyMatchFailure(
            matmul, "read other than by column splits and slices");
      // Where a part is read through a view (the heads of a fused QKV
      // projection), the product's kernel and its readers already share
      // it.
      for (Value part : user->getResults())
        for (Operation *reader : part.getUsers())
          if (!isa<ElementwiseOpInterface>(reader))
            return rewriter.notifyMatchFailure(
                matmul, "a part is read by other than an elementwise op");
      blocks.push_back(std::move(*taken));
    }
    Value rhs = matmul.getRhs();
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    int64_t rank = rhsType.getRank();
    for (auto [user, taken] : llvm::zip_equal(users, blocks)) {
      rewriter.setInsertionPoint(user);
      SmallVector<Value> products;
      for (auto [start, size] : taken) {
        SmallVector<int64_t> starts(rank, 0), steps(rank, 1);
        SmallVector<int64_t> sizes(rhsType.getShape());
        starts.back() = start;
        sizes.back() = size;
        Value block = SliceOp::create(rewriter, user->getLoc(), rhs,
                                      rewriter.getDenseI64ArrayAttr(starts),
                                      rewriter.getDenseI64ArrayAttr(sizes),
                                      rewriter.getDenseI64ArrayAttr(steps));
        products.push_back(MatmulOp::create(rewriter, matmul.getLoc(),
                                            matmul.getLhs(), block));
      }
      rewriter.replaceOp(user, products);
    }
    rewriter.eraseOp(matmul);
    return success();
  }
};

struct GraphSplitProducts
    : public graph::impl::GraphSplitProductsBase<GraphSplitProducts> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SplitProductColumns>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      getOperation().emitError("meld-graph-split-products did not converge");
      return signalPassFailure();
    }
  }
};

} // namespace
