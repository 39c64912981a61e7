//===- BufferPlan.cpp - Buffers of constants, weights and outputs ---------===//
//
// Where each tensor lives: a weight is the artifact's buffer of that name, a
// constant a read-only global (a large splat a buffer a kernel fills), a
// reshape its input's buffer, a model output the argument the caller passes.
// Everything else is a `memref.alloc` of the pattern that computes it.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

using namespace mlir;
using namespace meld;
using namespace meld::graph_to_tile;

/// Splat constants up to this size are read-only globals in the artifact;
/// larger ones are filled by a kernel.
constexpr int64_t kMaxSplatGlobalBytes = 64 << 10;

namespace {

struct ConstantLowering : LoweringPattern<graph::ConstantOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // A constant nothing reads needs no buffer.
    if (op.use_empty()) {
      rewriter.eraseOp(op);
      return success();
    }
    auto type = cast<RankedTensorType>(op.getType());
    // A large splat (a ConstantOfShape, say) is written by a kernel: its bytes
    // never enter the artifact, nor the compiler's memory.
    if (auto splat = dyn_cast<SplatElementsAttr>(op.getValue());
        splat &&
        type.getNumElements() *
                std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1) >
            kMaxSplatGlobalBytes) {
      Attribute value = splat.getSplatValue<Attribute>();
      Value output = emitter.emitPointwiseResult(
          rewriter, op.getLoc(), "fill", {}, type,
          [&](const TileBuilder &t, ArrayRef<Value>, ArrayRef<Value>,
              Value) -> SmallVector<Value> { return {t.constant(value)}; });
      rewriter.replaceOp(op, output);
      return success();
    }
    MemRefType memType = bufferType(type);
    auto dense = cast<DenseElementsAttr>(op.getValue())
                     .reshape(RankedTensorType::get(memType.getShape(),
                                                    type.getElementType()));
    memref::GlobalOp global;
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToEnd(emitter.getModule().getBody());
      global = memref::GlobalOp::create(
          rewriter, op.getLoc(), emitter.nextConstantName(),
          rewriter.getStringAttr("private"), memType, dense,
          /*constant=*/true, /*alignment=*/IntegerAttr());
      emitter.getSymbols().insert(global);
    }
    rewriter.replaceOpWithNewOp<memref::GetGlobalOp>(op, memType,
                                                     global.getSymName());
    return success();
  }
};

struct WeightLowering : LoweringPattern<graph::WeightOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::WeightOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<tile::WeightOp>(
        op, bufferType(cast<RankedTensorType>(op.getType())),
        op.getHandleAttr());
    return success();
  }
};

/// A reshape is free: the result is its input's buffer.
struct ReshapeLowering : LoweringPattern<graph::ReshapeOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

} // namespace

void graph_to_tile::populateBufferPlanPatterns(const TypeConverter &converter,
                                               RewritePatternSet &patterns,
                                               KernelEmitter &emitter) {
  patterns.add<ConstantLowering, WeightLowering, ReshapeLowering>(
      converter, patterns.getContext(), emitter);
}

void graph_to_tile::assignOutputBuffers(func::FuncOp main,
                                        FunctionType originalType,
                                        KernelEmitter &emitter) {
  MLIRContext *ctx = main.getContext();
  Block &entry = main.getBody().front();
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  auto shapeAttr = [&](Type t) {
    return DenseI64ArrayAttr::get(ctx, cast<RankedTensorType>(t).getShape());
  };
  unsigned numInputs = originalType.getNumInputs();
  for (auto [i, input] : llvm::enumerate(originalType.getInputs()))
    main.setArgAttr(i, kShapeAttr, shapeAttr(input));

  // One buffer argument per output, with the result's attributes.
  SmallVector<DictionaryAttr> resultAttrs;
  for (unsigned i = 0, e = originalType.getNumResults(); i < e; ++i)
    resultAttrs.push_back(main.getResultAttrDict(i));
  SmallVector<Value> outputs;
  for (Value value : ret.getOperands())
    outputs.push_back(entry.addArgument(value.getType(), value.getLoc()));
  SmallVector<Type> argTypes(entry.getArgumentTypes());
  SmallVector<DictionaryAttr> argAttrs;
  for (unsigned i = 0; i < numInputs; ++i)
    argAttrs.push_back(main.getArgAttrDict(i));
  for (auto [i, result] : llvm::enumerate(originalType.getResults())) {
    NamedAttrList attrs(resultAttrs[i]);
    attrs.set(kOutputAttr, UnitAttr::get(ctx));
    attrs.set(kShapeAttr, shapeAttr(result));
    argAttrs.push_back(attrs.getDictionary(ctx));
  }
  main.setFunctionType(FunctionType::get(ctx, argTypes, {}));
  main.setAllArgAttrs(argAttrs);
  main.removeResAttrsAttr();

  // A buffer one kernel allocated for an output becomes the output argument,
  // so that kernel writes it there. Anything else is copied.
  IRRewriter rewriter(ctx);
  rewriter.setInsertionPoint(ret);
  for (auto [i, out] : llvm::enumerate(outputs)) {
    Value value = ret.getOperand(i);
    if (auto alloc = value.getDefiningOp<memref::AllocOp>()) {
      rewriter.replaceAllUsesWith(alloc.getResult(), out);
      rewriter.eraseOp(alloc);
      continue;
    }
    emitter.emitCopy(rewriter, ret.getLoc(), value, out,
                     cast<RankedTensorType>(originalType.getResult(i)));
  }
  rewriter.replaceOpWithNewOp<func::ReturnOp>(ret);
}
