//===- Pointwise.cpp - Pointwise kernels: fusion groups and data movement -===//
//
// One program per block of result elements, each element's coordinates
// recovered from its linear index: fusion groups of elementwise ops (every
// op of the group computed on the tile, in registers), and the data movement
// ops that read one input element per result element (transpose, slice,
// split, concat, trilu). Every access is masked, so any shape works.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace meld;
using namespace meld::graph_to_tile;

namespace {

/// A pointwise fusion group: one kernel that loads the group's inputs at each
/// element (broadcast as numpy does), computes every op of the region on the
/// tile through `ElementwiseOpInterface`, and stores the yielded values.
struct PointwiseGroupLowering : LoweringPattern<graph::FusionGroupOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::FusionGroupOp group, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (group.getKind() != graph::FusionKind::pointwise)
      return failure();
    Block &body = group.getBodyBlock();
    auto iterationType = cast<RankedTensorType>(group.getResult(0).getType());
    KernelEmitter::GroupBuffers buffers =
        emitter.allocGroupBuffers(rewriter, group, adaptor.getInputs());
    emitter.emitPointwise(
        rewriter, group.getLoc(), getGroupName(group), buffers.inputs,
        buffers.outputs, iterationType,
        [&](const TileBuilder &t, ArrayRef<Value> args, ArrayRef<Value> coords,
            Value mask) -> SmallVector<Value> {
          IRMapping tiles;
          for (auto [arg, buffer] :
               llvm::zip(body.getArguments(),
                         args.take_front(body.getNumArguments()))) {
            auto shape = cast<RankedTensorType>(arg.getType()).getShape();
            tiles.map(arg,
                      t.load(buffer, t.broadcastOffset(coords, shape), mask));
          }
          return emitter.emitGroupBody(t, body, tiles, coords, mask,
                                       buffers.faults ? args.back() : Value(),
                                       iterationType.getShape());
        });
    rewriter.replaceOp(group, buffers.outputs);
    return success();
  }
};

struct TransposeLowering : LoweringPattern<graph::TransposeOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inputShape =
        cast<RankedTensorType>(op.getInput().getType()).getShape();
    Shape strides = computeStrides(inputShape);
    ArrayRef<int64_t> perm = op.getPermutation();
    Value output = emitter.emitPointwiseResult(
        rewriter, op.getLoc(), "transpose", {adaptor.getInput()}, op.getType(),
        [&](const TileBuilder &t, ArrayRef<Value> args, ArrayRef<Value> coords,
            Value mask) -> SmallVector<Value> {
          Value offset = t.index(0);
          for (auto [d, source] : llvm::enumerate(perm))
            offset = t.add(offset, t.mul(coords[d], strides[source]));
          return {t.load(args[0], offset, mask)};
        });
    rewriter.replaceOp(op, output);
    return success();
  }
};

/// A strided window of a tensor of `inputShape` held in `input`: result
/// element `i` reads input element `starts + i * steps` in every dimension.
/// Slices and split pieces.
static Value emitSlice(KernelEmitter &emitter, RewriterBase &rewriter,
                       Location loc, StringRef name, Value input,
                       ArrayRef<int64_t> inputShape, ArrayRef<int64_t> starts,
                       ArrayRef<int64_t> steps, RankedTensorType resultType) {
  Shape strides = computeStrides(inputShape);
  Value output = emitter.emitPointwiseResult(
      rewriter, loc, name, {input}, resultType,
      [&](const TileBuilder &t, ArrayRef<Value> args, ArrayRef<Value> coords,
          Value mask) -> SmallVector<Value> {
        // offset = sum((start + i * step) * stride), folded into one
        // constant plus sum(i * step * stride).
        int64_t constant = 0;
        Value offset;
        for (auto [d, c] : llvm::enumerate(coords)) {
          constant += starts[d] * strides[d];
          int64_t scale = steps[d] * strides[d];
          Value term = scale >= 0
                           ? t.mul(c, scale)
                           : Value(arith::SubIOp::create(t.b, t.loc, t.index(0),
                                                         t.mul(c, -scale)));
          offset = offset ? t.add(offset, term) : term;
        }
        offset = t.add(offset, t.index(constant));
        return {t.load(args[0], offset, mask)};
      });
  return output;
}

struct SliceLowering : LoweringPattern<graph::SliceOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op,
        emitSlice(emitter, rewriter, op.getLoc(), "slice", adaptor.getInput(),
                  cast<RankedTensorType>(op.getInput().getType()).getShape(),
                  op.getStarts(), op.getSteps(), op.getType()));
    return success();
  }
};

struct SplitLowering : LoweringPattern<graph::SplitOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::SplitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inputShape =
        cast<RankedTensorType>(op.getInput().getType()).getShape();
    int64_t begin = 0;
    SmallVector<Value> pieces;
    for (auto [result, size] :
         llvm::zip_equal(op.getResults(), op.getSizes())) {
      Shape starts(inputShape.size(), 0), steps(inputShape.size(), 1);
      starts[op.getAxis()] = begin;
      begin += size;
      pieces.push_back(emitSlice(emitter, rewriter, op.getLoc(), "split",
                                 adaptor.getInput(), inputShape, starts, steps,
                                 cast<RankedTensorType>(result.getType())));
    }
    rewriter.replaceOp(op, pieces);
    return success();
  }
};

struct ConcatLowering : LoweringPattern<graph::ConcatOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    int64_t axis = op.getAxis();
    Value output = emitter.emitPointwiseResult(
        rewriter, op.getLoc(), "concat", adaptor.getInputs(), type,
        [&](const TileBuilder &t, ArrayRef<Value> args, ArrayRef<Value> coords,
            Value mask) -> SmallVector<Value> {
          Value result;
          int64_t begin = 0;
          for (auto [arg, in] : llvm::zip_equal(args, op.getInputs())) {
            auto shape = cast<RankedTensorType>(in.getType()).getShape();
            int64_t end = begin + shape[axis];
            Value inside = t.both(mask, t.inRange(coords[axis], begin, end));
            SmallVector<Value> local(coords);
            local[axis] =
                arith::SubIOp::create(t.b, t.loc, coords[axis], t.index(begin));
            Shape strides = computeStrides(shape);
            Value offset = t.index(0);
            for (auto [d, c] : llvm::enumerate(local))
              offset = t.add(offset, t.mul(c, strides[d]));
            Value part = t.load(arg, offset, inside);
            result = result ? Value(arith::SelectOp::create(t.b, t.loc, inside,
                                                            part, result))
                            : part;
            begin = end;
          }
          return {result};
        });
    rewriter.replaceOp(op, output);
    return success();
  }
};

struct TriluLowering : LoweringPattern<graph::TriluOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::TriluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    int64_t rank = type.getRank(), k = op.getKAttr().getInt();
    bool upper = op.getUpper();
    Value output = emitter.emitPointwiseResult(
        rewriter, op.getLoc(), "trilu", {adaptor.getInput()}, type,
        [&](const TileBuilder &t, ArrayRef<Value> args, ArrayRef<Value> coords,
            Value mask) -> SmallVector<Value> {
          OpBuilder &b = t.b;
          Value x =
              t.load(args[0], t.broadcastOffset(coords, type.getShape()), mask);
          // keep = upper ? col - row >= k : col - row <= k.
          auto toI64 = [&](Value v) {
            return arith::IndexCastOp::create(b, t.loc,
                                              t.tileType(b.getI64Type()), v);
          };
          Value row = toI64(coords[rank - 2]), col = toI64(coords[rank - 1]);
          Value diff = arith::SubIOp::create(b, t.loc, col, row);
          Value kTile = t.constant(b.getI64IntegerAttr(k));
          Value keep = arith::CmpIOp::create(b, t.loc,
                                             upper ? arith::CmpIPredicate::sge
                                                   : arith::CmpIPredicate::sle,
                                             diff, kTile);
          Value zero = t.constant(b.getZeroAttr(type.getElementType()));
          return {arith::SelectOp::create(b, t.loc, keep, x, zero)};
        });
    rewriter.replaceOp(op, output);
    return success();
  }
};

} // namespace

void graph_to_tile::populatePointwisePatterns(const TypeConverter &converter,
                                              RewritePatternSet &patterns,
                                              KernelEmitter &emitter) {
  patterns.add<PointwiseGroupLowering, TransposeLowering, SliceLowering,
               SplitLowering, ConcatLowering, TriluLowering>(
      converter, patterns.getContext(), emitter);
}
