//===- HoistOperands.cpp - Loop-invariant product operands set up once ----===//
//
// A tensor-core product in a loop whose operand does not change from one
// iteration to the next (attention's Q, in the loop over keys) had its
// operand rounded, converted to its registers or stored in shared memory in
// every iteration. Those ops move before the loop, so they run once.
//
//===----------------------------------------------------------------------===//

#include "dialects/TileGPU/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace meld::tile_gpu {
#define GEN_PASS_DEF_TILEGPUHOISTOPERANDS
#include "dialects/TileGPU/Transforms/Passes.h.inc"
} // namespace meld::tile_gpu

using namespace mlir;
using namespace meld;
using namespace meld::tile_gpu;

namespace {

/// Whether `op` only prepares a tensor-core product's operand: it is a
/// conversion to a dot operand's registers, a store into shared memory, or
/// a rounding (truncf, extf) whose one reader is one of those, and all its
/// readers are products, or such ops.
static bool preparesOperand(Operation *op) {
  auto isProduct = [](Operation *user) {
    auto dot = dyn_cast<tile::DotOp>(user);
    return dot && isa_and_nonnull<MmaLayoutAttr>(dot.getType().getEncoding());
  };
  if (auto convert = dyn_cast<ConvertLayoutOp>(op)) {
    if (!isa<DotOperandLayoutAttr>(convert.getType().getEncoding()))
      return false;
  } else if (isa<arith::TruncFOp, arith::ExtFOp>(op)) {
    if (!op->hasOneUse() || !isa<tile::DotOp, ConvertLayoutOp, LocalAllocOp>(
                                *op->getUsers().begin()))
      return false;
  } else if (!isa<LocalAllocOp>(op)) {
    return false;
  }
  return llvm::all_of(op->getUsers(), [&](Operation *user) {
    return isProduct(user) || preparesOperand(user);
  });
}

struct TileGPUHoistOperands
    : tile_gpu::impl::TileGPUHoistOperandsBase<TileGPUHoistOperands> {
  void runOnOperation() override {
    // Inner loops first: what leaves one may leave the loop around it too.
    getOperation().walk([](scf::ForOp loop) {
      auto loopLike = cast<LoopLikeOpInterface>(loop.getOperation());
      moveLoopInvariantCode(
          loopLike.getLoopRegions(),
          [&](Value value, Region *) {
            return loopLike.isDefinedOutsideOfLoop(value);
          },
          [](Operation *op, Region *) { return preparesOperand(op); },
          [&](Operation *op, Region *) { loopLike.moveOutOfLoop(op); });
    });
  }
};

} // namespace
