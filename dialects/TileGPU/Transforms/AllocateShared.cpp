//===- AllocateShared.cpp - Place tiles stored in shared memory -----------===//
//
// Gives each tile_gpu.local_alloc of a kernel its own place in shared
// memory, after what the kernel stages conversions in, at multiples of 1024
// bytes (a swizzle's pattern), and grows the kernel's shared_bytes to match.
//
//===----------------------------------------------------------------------===//

#include "dialects/TileGPU/Transforms/Passes.h"

#include "llvm/Support/MathExtras.h"

namespace meld::tile_gpu {
#define GEN_PASS_DEF_TILEGPUALLOCATESHARED
#include "dialects/TileGPU/Transforms/Passes.h.inc"
} // namespace meld::tile_gpu

using namespace mlir;
using namespace meld;
using namespace meld::tile_gpu;

namespace {

struct TileGPUAllocateShared
    : tile_gpu::impl::TileGPUAllocateSharedBase<TileGPUAllocateShared> {
  void runOnOperation() override {
    tile::KernelOp kernel = getOperation();
    int64_t staged = kernel.getSharedBytes().value_or(0);
    int64_t end = staged;
    Builder builder(&getContext());
    kernel.walk([&](LocalAllocOp alloc) {
      int64_t offset = llvm::alignTo(end, kSharedTileAlignment);
      alloc.setOffsetAttr(builder.getI64IntegerAttr(offset));
      // A pipelined loop's operands take a buffer per stage, each aligned.
      end = offset +
            alloc.getStagedBytes(getPipelineStages(alloc->getParentOp()));
    });
    if (end != staged)
      kernel.setSharedBytesAttr(builder.getI64IntegerAttr(end));
  }
};

} // namespace
