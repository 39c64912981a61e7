//===- AssignLayouts.cpp - Every tile's layout over the block -------------===//
//
// A type conversion: every tile type of a kernel gains the default blocked
// layout of its shape as its encoding. One conversion pattern rewrites any
// op's result types (and a constant's value), SCF's structural patterns the
// loops and branches.
//
//===----------------------------------------------------------------------===//

#include "dialects/TileGPU/Transforms/Passes.h"
#include "dialects/TileGPU/Transforms/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Transforms/DialectConversion.h"

namespace meld::tile_gpu {
#define GEN_PASS_DEF_TILEGPUASSIGNLAYOUTS
#include "dialects/TileGPU/Transforms/Passes.h.inc"
} // namespace meld::tile_gpu

using namespace mlir;
using namespace meld;
using namespace meld::tile_gpu;

namespace {

/// Tile types without a layout gain the default blocked one.
class LayoutTypeConverter : public TypeConverter {
public:
  explicit LayoutTypeConverter(int64_t numWarps) {
    addConversion([](Type type) { return type; });
    addConversion([numWarps](RankedTensorType type) -> Type {
      if (type.getEncoding())
        return type;
      return RankedTensorType::get(
          type.getShape(), type.getElementType(),
          BlockedLayoutAttr::getDefault(type.getContext(), type.getShape(),
                                        numWarps));
    });
  }
};

/// Any op on tiles, with its results in their layouts.
struct AssignResultLayouts : ConversionPattern {
  AssignResultLayouts(const TypeConverter &converter, MLIRContext *context)
      : ConversionPattern(converter, MatchAnyOpTypeTag(), /*benefit=*/1,
                          context) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (op->getNumRegions() != 0)
      return rewriter.notifyMatchFailure(op, "has regions");
    SmallVector<Type> resultTypes;
    if (failed(getTypeConverter()->convertTypes(op->getResultTypes(),
                                                resultTypes)))
      return failure();
    Operation *newOp = cloneWithTypes(rewriter, op, operands, resultTypes);
    rewriter.replaceOp(op, newOp->getResults());
    return success();
  }
};

struct TileGPUAssignLayouts
    : tile_gpu::impl::TileGPUAssignLayoutsBase<TileGPUAssignLayouts> {
  void runOnOperation() override {
    tile::KernelOp kernel = getOperation();
    std::optional<uint64_t> warps = kernel.getNumWarps();
    if (!warps) {
      kernel.emitOpError("has no num_warps: run meld-tile-configure-launch "
                         "first");
      return signalPassFailure();
    }
    MLIRContext *context = &getContext();
    LayoutTypeConverter converter(*warps);
    ConversionTarget target(*context);
    target.markUnknownOpDynamicallyLegal(
        [&](Operation *op) { return converter.isLegal(op); });
    target.addLegalOp<tile::KernelOp, tile::ReturnOp>();
    RewritePatternSet patterns(context);
    patterns.add<AssignResultLayouts>(converter, context);
    scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns,
                                                         target);
    if (failed(applyPartialConversion(kernel, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
