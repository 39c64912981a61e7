//===- DataIndexed.cpp - Gathers and scatters -----------------------------===//
//
// Ops whose addresses come from data: Gather, GatherElements and GatherND are
// pointwise kernels over their result; ScatterND is a copy of its input, then
// one program per block of a slice walking every index tuple in order. Every
// index is checked: one out of range is a data fault (`tile.fault`), and the
// access it would make is masked off.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace meld;
using namespace meld::graph_to_tile;

namespace {

struct GatherLowering : LoweringPattern<graph::GatherOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inputShape =
        cast<RankedTensorType>(op.getInput().getType()).getShape();
    auto indicesShape =
        cast<RankedTensorType>(op.getIndices().getType()).getShape();
    int64_t axis = op.getAxis(), axisSize = inputShape[axis];
    int64_t indexRank = indicesShape.size();
    Shape inputStrides = computeStrides(inputShape);
    Shape indexStrides = computeStrides(indicesShape);
    Value output = emitter.emitPointwiseResult(
        rewriter, op.getLoc(), "gather",
        {adaptor.getInput(), adaptor.getIndices(),
         emitter.faultStatus(rewriter)},
        op.getType(),
        [&](const TileBuilder &t, ArrayRef<Value> args, ArrayRef<Value> coords,
            Value mask) -> SmallVector<Value> {
          Value position = t.index(0);
          for (int64_t d = 0; d < indexRank; ++d)
            position =
                t.add(position, t.mul(coords[axis + d], indexStrides[d]));
          Value raw = t.load(args[1], position, mask);
          IndexCheck index = emitter.checkIndex(t, args[2], raw, axisSize, mask,
                                                "axis " + Twine(axis));
          Value offset = t.mul(index.index, inputStrides[axis]);
          for (int64_t d = 0; d < axis; ++d)
            offset = t.add(offset, t.mul(coords[d], inputStrides[d]));
          for (int64_t d = axis + 1, e = inputShape.size(); d < e; ++d)
            offset = t.add(offset,
                           t.mul(coords[d + indexRank - 1], inputStrides[d]));
          return {t.load(args[0], offset, index.valid)};
        });
    rewriter.replaceOp(op, output);
    return success();
  }
};

struct GatherElementsLowering : LoweringPattern<graph::GatherElementsOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::GatherElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inputShape =
        cast<RankedTensorType>(op.getInput().getType()).getShape();
    auto indicesShape =
        cast<RankedTensorType>(op.getIndices().getType()).getShape();
    int64_t axis = op.getAxis();
    Shape inputStrides = computeStrides(inputShape);
    Value output = emitter.emitPointwiseResult(
        rewriter, op.getLoc(), "gather_elements",
        {adaptor.getInput(), adaptor.getIndices(),
         emitter.faultStatus(rewriter)},
        op.getType(),
        [&](const TileBuilder &t, ArrayRef<Value> args, ArrayRef<Value> coords,
            Value mask) -> SmallVector<Value> {
          // The result has the indices' shape: element c reads index c.
          Value raw =
              t.load(args[1], t.broadcastOffset(coords, indicesShape), mask);
          IndexCheck index = emitter.checkIndex(
              t, args[2], raw, inputShape[axis], mask, "axis " + Twine(axis));
          Value offset = t.mul(index.index, inputStrides[axis]);
          for (auto [d, c] : llvm::enumerate(coords))
            if (static_cast<int64_t>(d) != axis)
              offset = t.add(offset, t.mul(c, inputStrides[d]));
          return {t.load(args[0], offset, index.valid)};
        });
    rewriter.replaceOp(op, output);
    return success();
  }
};

struct GatherNDLowering : LoweringPattern<graph::GatherNDOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::GatherNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inputShape =
        cast<RankedTensorType>(op.getInput().getType()).getShape();
    auto indicesShape =
        cast<RankedTensorType>(op.getIndices().getType()).getShape();
    int64_t batch = op.getBatchDims(), k = indicesShape.back();
    int64_t tuples = indicesShape.size() - 1;
    ArrayRef<int64_t> tupleShape = indicesShape.drop_back();
    Shape inputStrides = computeStrides(inputShape);
    Value output = emitter.emitPointwiseResult(
        rewriter, op.getLoc(), "gather_nd",
        {adaptor.getInput(), adaptor.getIndices(),
         emitter.faultStatus(rewriter)},
        op.getType(),
        [&](const TileBuilder &t, ArrayRef<Value> args, ArrayRef<Value> coords,
            Value mask) -> SmallVector<Value> {
          // The first dimensions of the result pick the tuple (the batch
          // dimensions among them), the others the element of its slice.
          Value tuple = t.mul(
              t.broadcastOffset(coords.take_front(tuples), tupleShape), k);
          Value offset = t.index(0);
          for (int64_t d = 0; d < batch; ++d)
            offset = t.add(offset, t.mul(coords[d], inputStrides[d]));
          Value valid = mask;
          for (int64_t j = 0; j < k; ++j) {
            Value raw = t.load(args[1], t.add(tuple, t.index(j)), mask);
            IndexCheck index =
                emitter.checkIndex(t, args[2], raw, inputShape[batch + j], mask,
                                   "axis " + Twine(batch + j));
            offset = t.add(offset, t.mul(index.index, inputStrides[batch + j]));
            valid = t.both(valid, index.valid);
          }
          for (int64_t d = batch + k, e = inputShape.size(); d < e; ++d)
            offset = t.add(
                offset, t.mul(coords[tuples + d - batch - k], inputStrides[d]));
          return {t.load(args[0], offset, valid)};
        });
    rewriter.replaceOp(op, output);
    return success();
  }
};

struct ScatterNDLowering : LoweringPattern<graph::ScatterNDOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::ScatterNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    auto indicesShape =
        cast<RankedTensorType>(op.getIndices().getType()).getShape();
    int64_t k = indicesShape.back();
    int64_t updates = computeProduct(indicesShape.drop_back());
    int64_t slice = computeProduct(type.getShape().drop_front(k));
    Shape strides = computeStrides(type.getShape());
    Location loc = op.getLoc();
    Value output = emitter.alloc(rewriter, loc, type);
    // The result starts as a copy of the input; then one kernel applies the
    // updates. Its programs split a slice between them and each walks every
    // index tuple in order, so an element is only ever updated by one
    // program, in the order of the tuples: equal tuples apply one after the
    // other (the last wins under `none`, the reductions accumulate), with no
    // atomics.
    emitter.emitCopy(rewriter, loc, adaptor.getInput(), output, type);
    if (updates == 0 || slice == 0) {
      rewriter.replaceOp(op, output);
      return success();
    }
    int64_t block = std::min<int64_t>(emitter.getOptions().blockElements,
                                      llvm::PowerOf2Ceil(slice));
    OpBuilder b =
        emitter.createKernel(rewriter, loc, "scatter_nd",
                             {adaptor.getIndices(), adaptor.getUpdates(),
                              emitter.faultStatus(rewriter), output},
                             {ceilDiv(slice, block)});
    SmallVector<Value> args(b.getBlock()->getArguments());
    TileBuilder t{b, loc, {block}};
    Value element = t.programBlock();
    Value inSlice = t.lessThan(element, slice);
    graph::ScatterReduction reduction = op.getReduction();
    scf::ForOp::create(
        b, loc, t.scalarIndex(0), t.scalarIndex(updates), t.scalarIndex(1),
        ValueRange{}, [&](OpBuilder &nb, Location l, Value i, ValueRange) {
          TileBuilder ti{nb, l, {block}};
          Value tuple = arith::MulIOp::create(nb, l, i, ti.scalarIndex(k));
          Value offset = element, valid = inSlice;
          for (int64_t j = 0; j < k; ++j) {
            Value at = arith::AddIOp::create(nb, l, tuple, ti.scalarIndex(j));
            Value raw = ti.load(args[0], ti.splat(at), inSlice);
            IndexCheck index =
                emitter.checkIndex(ti, args[2], raw, type.getDimSize(j),
                                   inSlice, "axis " + Twine(j));
            offset = ti.add(offset, ti.mul(index.index, strides[j]));
            valid = ti.both(valid, index.valid);
          }
          Value base = arith::MulIOp::create(nb, l, i, ti.scalarIndex(slice));
          Value value =
              ti.load(args[1], ti.add(ti.splat(base), element), inSlice);
          if (reduction != graph::ScatterReduction::none) {
            Value current = ti.load(args[3], offset, valid);
            bool isFloat = isa<FloatType>(type.getElementType());
            switch (reduction) {
            case graph::ScatterReduction::add:
              value = tile::buildReduceCombine(nb, l, tile::ReduceKind::sum,
                                               current, value);
              break;
            case graph::ScatterReduction::max:
              value = tile::buildReduceCombine(nb, l, tile::ReduceKind::max,
                                               current, value);
              break;
            case graph::ScatterReduction::min:
              value = tile::buildReduceCombine(nb, l, tile::ReduceKind::min,
                                               current, value);
              break;
            case graph::ScatterReduction::mul:
              value = isFloat
                          ? Value(arith::MulFOp::create(nb, l, current, value))
                          : Value(arith::MulIOp::create(nb, l, current, value));
              break;
            case graph::ScatterReduction::none:
              llvm_unreachable("handled above");
            }
          }
          ti.store(value, args[3], offset, valid);
          scf::YieldOp::create(nb, l);
        });
    rewriter.replaceOp(op, output);
    return success();
  }
};

} // namespace

void graph_to_tile::populateDataIndexedPatterns(const TypeConverter &converter,
                                                RewritePatternSet &patterns,
                                                KernelEmitter &emitter) {
  patterns.add<GatherLowering, GatherElementsLowering, GatherNDLowering,
               ScatterNDLowering>(converter, patterns.getContext(), emitter);
}
