//===- AnnotateContiguity.cpp - Prove which accesses are vector accesses --===//
//
// Runs the axis analysis (AxisInfo) over a kernel and records on each
// tile.load and tile.store the length of its aligned runs of consecutive
// offsets with one mask value: what the GPU lowering then reads and writes as
// one vector access, decided here at compile time rather than by a check at
// run time.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tile/Analysis/AxisInfo.h"
#include "dialects/Tile/Transforms/Passes.h"

#include "mlir/Analysis/DataFlowFramework.h"

namespace meld::tile {
#define GEN_PASS_DEF_TILEANNOTATECONTIGUITY
#include "dialects/Tile/Transforms/Passes.h.inc"
} // namespace meld::tile

using namespace mlir;
using namespace meld;
using namespace meld::tile;

namespace {

struct TileAnnotateContiguity
    : public tile::impl::TileAnnotateContiguityBase<TileAnnotateContiguity> {
  void runOnOperation() override {
    KernelOp kernel = getOperation();
    DataFlowSolver solver;
    if (failed(runAxisInfoAnalysis(solver, kernel)))
      return signalPassFailure();
    auto annotate = [&](Operation *op, Value offsets, Value mask) {
      const AxisInfo *offsetInfo = lookupAxisInfo(solver, offsets);
      const AxisInfo *maskInfo = mask ? lookupAxisInfo(solver, mask) : nullptr;
      int64_t length = 1;
      if (offsetInfo && (!mask || maskInfo))
        length = getAccessContiguity(
            *offsetInfo, maskInfo,
            cast<RankedTensorType>(offsets.getType()).getShape());
      Builder b(op->getContext());
      if (length > 1)
        op->setAttr("contiguity", b.getI64IntegerAttr(length));
      else
        op->removeAttr("contiguity");
    };
    kernel.walk([&](Operation *op) {
      if (auto load = dyn_cast<LoadOp>(op))
        annotate(load, load.getOffsets(), load.getMask());
      else if (auto store = dyn_cast<StoreOp>(op))
        annotate(store, store.getOffsets(), store.getMask());
    });
  }
};

} // namespace
