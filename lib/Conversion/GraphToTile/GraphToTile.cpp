//===- GraphToTile.cpp - Lower graph ops and fusion groups to kernels -----===//
//
// meld-graph-to-tile: a dialect conversion from the graph function `@main` to
// the launch plan. Tensors become flat buffers (the type converter); each
// fusion group and each remaining compute op becomes one `tile.kernel` and a
// `tile.launch` of it, written by the patterns of its kernel family (see
// KernelEmitter.h). Elementwise ops outside any group are first put in groups
// of their own, so elementwise math is lowered in one place.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/IR/BuiltinOps.h"

namespace meld {
#define GEN_PASS_DEF_CONVERTGRAPHTOTILE
#include "meld/Conversion/Passes.h.inc"
} // namespace meld

using namespace mlir;
using namespace meld;
using namespace meld::graph_to_tile;

/// Refuses what no pattern can lower, with a message at the op: ops of other
/// dialects, unsigned integers, a constant zero integer divisor.
static LogicalResult checkLowerable(func::FuncOp main) {
  bool failed = false;
  main.getBody().walk([&](Operation *op) {
    if (isa<func::ReturnOp>(op))
      return;
    if (!isa<graph::GraphDialect>(op->getDialect())) {
      op->emitOpError("has no tile lowering");
      failed = true;
      return;
    }
    // Kernels compute with arith, whose integers are signless (and signed
    // here).
    for (Type type :
         llvm::concat<const Type>(op->getOperandTypes(), op->getResultTypes()))
      if (getElementTypeOrSelf(type).isUnsignedInteger()) {
        op->emitOpError("element type ")
            << getElementTypeOrSelf(type)
            << " has no tile lowering (integers must be signless)";
        failed = true;
        return;
      }
    if (auto attention = dyn_cast<graph::AttentionOp>(op)) {
      int64_t d = attention.getKey().getType().getShape().back();
      int64_t dv = attention.getType().getShape().back();
      if (std::max(d, dv) > graph::AttentionOp::kMaxHeadDim) {
        op->emitOpError("head dimension ")
            << std::max(d, dv) << " exceeds " << graph::AttentionOp::kMaxHeadDim
            << ", the most one attention kernel holds";
        failed = true;
        return;
      }
    }
    // An integer division can meet a zero divisor: a fault in the data at
    // run time, refused here when the divisor is a constant.
    if (auto div = dyn_cast<graph::DivOp>(op);
        div && !isa<FloatType>(div.getType().getElementType()))
      if (std::optional<int64_t> zero = div.getConstantZeroDivisor()) {
        op->emitError("integer division by zero: the divisor is a constant "
                      "whose element ")
            << *zero << " is 0";
        failed = true;
      }
  });
  return llvm::failure(failed);
}

/// Puts every elementwise op outside a fusion group in a pointwise group of
/// its own, every attention op in an attention group, and every row-wise op
/// of the trailing axes in a rows group.
static void groupLoneOps(func::FuncOp main) {
  IRRewriter rewriter(main.getContext());
  Block &entry = main.getBody().front();
  for (Operation &op : llvm::make_early_inc_range(entry)) {
    std::optional<graph::FusionKind> kind;
    if (isa<graph::ElementwiseOpInterface>(op))
      kind = graph::FusionKind::pointwise;
    else if (isa<graph::AttentionOp>(op))
      kind = graph::FusionKind::attention;
    else if (graph::getRowAxis(&op))
      kind = graph::FusionKind::rows;
    if (!kind)
      continue;
    FailureOr<graph::FusionGroupOp> group =
        graph::FusionGroupOp::wrap(rewriter, {&op}, *kind);
    assert(succeeded(group) && "a single op always forms a group");
    (void)group;
  }
}

namespace {

/// Tensors are flat buffers of their elements.
struct BufferTypeConverter : TypeConverter {
  BufferTypeConverter() {
    addConversion([](Type type) { return type; });
    addConversion(
        [](RankedTensorType type) -> Type { return bufferType(type); });
  }
};

struct ConvertGraphToTilePass
    : meld::impl::ConvertGraphToTileBase<ConvertGraphToTilePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main) {
      module.emitError("expected a 'main' function holding the graph");
      return signalPassFailure();
    }
    if (failed(checkLowerable(main)))
      return signalPassFailure();
    groupLoneOps(main);

    MLIRContext *ctx = &getContext();
    ConvertGraphToTileOptions options{blockElements, matmulTileM, matmulTileN,
                                      matmulTileK, packWeights};
    KernelEmitter emitter(module, main, options);
    BufferTypeConverter converter;
    RewritePatternSet patterns(ctx);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateBufferPlanPatterns(converter, patterns, emitter);
    populatePointwisePatterns(converter, patterns, emitter);
    populateDataIndexedPatterns(converter, patterns, emitter);
    populateRowReductionPatterns(converter, patterns, emitter);
    populateMatmulPatterns(converter, patterns, emitter);
    populateAttentionPatterns(converter, patterns, emitter);

    ConversionTarget target(*ctx);
    target.addIllegalDialect<graph::GraphDialect>();
    target.addLegalDialect<tile::TileDialect, arith::ArithDialect,
                           math::MathDialect, memref::MemRefDialect,
                           scf::SCFDialect, tensor::TensorDialect>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp f) {
      return converter.isSignatureLegal(f.getFunctionType());
    });
    target.addDynamicallyLegalOp<func::ReturnOp>(
        [&](func::ReturnOp op) { return converter.isLegal(op); });

    FunctionType originalType = main.getFunctionType();
    if (failed(applyFullConversion(main, target, std::move(patterns))))
      return signalPassFailure();
    assignOutputBuffers(main, originalType, emitter);
  }
};

} // namespace
