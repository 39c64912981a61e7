//===- ConfigureLaunch.cpp - Each kernel's warps and shared memory --------===//
//
// The launch configuration is decided here, at the tile level, where the
// tiles' sizes are known, and recorded on the kernel: the GPU lowering builds
// the kernel for it and the launch plan launches it with it, so the two never
// disagree.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tile/Transforms/Passes.h"

#include "llvm/Support/MathExtras.h"

namespace meld::tile {
#define GEN_PASS_DEF_TILECONFIGURELAUNCH
#include "dialects/Tile/Transforms/Passes.h.inc"
} // namespace meld::tile

using namespace mlir;
using namespace meld;
using namespace meld::tile;

namespace {

struct TileConfigureLaunch
    : public tile::impl::TileConfigureLaunchBase<TileConfigureLaunch> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    if (numWarps < 0 || numWarps > 32)
      return emitError(UnknownLoc::get(context))
             << "num-warps must be 1 to 32 (or 0: chosen per kernel), got "
             << static_cast<int64_t>(numWarps);
    return success();
  }

  void runOnOperation() override {
    KernelOp kernel = getOperation();
    int64_t largest = 1, staging = 0;
    bool hasProduct = false;
    kernel.walk([&](Operation *op) {
      staging = std::max(staging, getStagingBytes(op));
      hasProduct |= isa<DotOp>(op);
      for (Type type : op->getResultTypes())
        if (auto tileType = dyn_cast<RankedTensorType>(type))
          largest = std::max(largest, tileType.getNumElements());
    });
    Builder b(kernel.getContext());
    // The option, else the warps the tiles were chosen for, else enough for
    // the largest tile.
    int64_t warps = numWarps
                        ? int64_t(numWarps)
                        : static_cast<int64_t>(kernel.getNumWarps().value_or(
                              getDefaultNumWarps(largest)));
    // wgmma runs on whole warpgroups.
    if (!numWarps && warpgroupProducts && hasProduct)
      warps = llvm::alignTo(warps, 4);
    kernel.setNumWarpsAttr(b.getI64IntegerAttr(warps));
    if (!kernel.getSharedBytes())
      kernel.setSharedBytesAttr(b.getI64IntegerAttr(staging));
  }
};

} // namespace
