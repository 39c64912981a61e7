//===- PipelineKLoops.cpp - Keep wgmma products in flight across K steps --===//
//
// A K loop whose wgmma products read operands this iteration stored in
// shared memory, and whose accumulators only chain from one iteration to
// the next, is marked `tile_gpu.stages = N`: the operands get N buffers,
// used in turn, and each product waits only for the one N - 1 iterations
// back, so the tensor cores work on K step k while the threads load and
// store step k + 1.
//
//===----------------------------------------------------------------------===//

#include "dialects/TileGPU/Transforms/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace meld::tile_gpu {
#define GEN_PASS_DEF_TILEGPUPIPELINEKLOOPS
#include "dialects/TileGPU/Transforms/Passes.h.inc"
} // namespace meld::tile_gpu

using namespace mlir;
using namespace meld;
using namespace meld::tile_gpu;

namespace {

/// Whether `dot`, a product in `loop`'s body, can stay in flight past the
/// end of an iteration: on wgmma, its operands stored in shared memory in
/// this iteration, its accumulator a loop-carried value that only it reads,
/// and its result only yielded back as that value.
static bool canPipeline(scf::ForOp loop, tile::DotOp dot) {
  auto mma = dyn_cast_or_null<MmaLayoutAttr>(dot.getType().getEncoding());
  if (!mma || mma.getVersion() != 3)
    return false;
  for (Value operand : {dot.getA(), dot.getB()}) {
    auto alloc = operand.getDefiningOp<LocalAllocOp>();
    if (!alloc || alloc->getParentOp() != loop.getOperation())
      return false;
  }
  auto acc = dyn_cast<BlockArgument>(dot.getAcc());
  if (!acc || acc.getOwner() != loop.getBody() || acc.getArgNumber() == 0 ||
      !acc.hasOneUse() || !dot->hasOneUse())
    return false;
  OpOperand &use = *dot->getUses().begin();
  return isa<scf::YieldOp>(use.getOwner()) &&
         use.getOwner()->getParentOp() == loop.getOperation() &&
         use.getOperandNumber() == acc.getArgNumber() - 1;
}

struct TileGPUPipelineKLoops
    : tile_gpu::impl::TileGPUPipelineKLoopsBase<TileGPUPipelineKLoops> {
  using Base::Base;

  void runOnOperation() override {
    if (stages < 2)
      return;
    Builder builder(&getContext());
    getOperation().walk([&](scf::ForOp loop) {
      SmallVector<tile::DotOp> dots;
      for (auto dot : loop.getBody()->getOps<tile::DotOp>())
        dots.push_back(dot);
      // Every wgmma product of the body (a nested loop's are its own).
      bool any = false, all = true;
      for (tile::DotOp dot : dots) {
        auto mma = dyn_cast_or_null<MmaLayoutAttr>(dot.getType().getEncoding());
        if (!mma || mma.getVersion() != 3)
          continue;
        any = true;
        all &= canPipeline(loop, dot);
      }
      if (any && all)
        loop->setAttr(kStagesAttrName,
                      builder.getI64IntegerAttr(static_cast<int64_t>(stages)));
    });
  }
};

} // namespace
