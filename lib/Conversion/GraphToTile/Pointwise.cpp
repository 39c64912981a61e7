//===- Pointwise.cpp - Pointwise kernels: fusion groups and data movement -===//
//
// One program per block of result elements, each element's coordinates
// recovered from its linear index: fusion groups of elementwise ops (every
// op of the group computed on the tile, in registers), and the data movement
// ops that read one input element per result element (views outside any
// group copied through their layouts, concat, trilu). Every access is
// masked, so any shape works.
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
/// element (through their views, broadcast as numpy does), computes every op
/// of the region on the tile through `ElementwiseOpInterface`, and stores the
/// results (through their views).
struct PointwiseGroupLowering : LoweringPattern<graph::FusionGroupOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::FusionGroupOp group, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (group.getKind() != graph::FusionKind::pointwise)
      return failure();
    auto iterationType =
        cast<RankedTensorType>(group.getStoredValue(0).getType());
    KernelEmitter::GroupBuffers buffers =
        emitter.allocGroupBuffers(rewriter, group, adaptor.getInputs());
    emitter.emitPointwise(
        rewriter, group.getLoc(), getGroupName(group), buffers.inputs,
        buffers.outputs, iterationType,
        [&](const TileBuilder &t, ArrayRef<Value> args, ArrayRef<Value> coords,
            Value mask) -> SmallVector<Value> {
          IRMapping tiles;
          return emitter.emitGroupBody(t, group, tiles, args, coords, mask,
                                       buffers.getStatus(args));
        },
        KernelEmitter::getStoreLayouts(group));
    rewriter.replaceOp(group, buffers.outputs);
    return success();
  }
};

/// A view outside any group (a transpose, slice or split piece read by an op
/// that cannot read through it): a copy of each result, every element read
/// where the view's layout finds it.
template <typename OpTy> struct ViewCopyLowering : LoweringPattern<OpTy> {
  using LoweringPattern<OpTy>::LoweringPattern;
  using OpAdaptor = typename LoweringPattern<OpTy>::OpAdaptor;

  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto view = cast<graph::ViewOpInterface>(op.getOperation());
    auto input = graph::ViewLayout::rowMajor(
        cast<RankedTensorType>(op->getOperand(0).getType()).getShape());
    SmallVector<Value> copies;
    for (OpResult result : op->getResults()) {
      FailureOr<graph::ViewLayout> layout =
          view.getResultLayout(result.getResultNumber(), input);
      if (failed(layout))
        return rewriter.notifyMatchFailure(op, "not a strided view");
      copies.push_back(this->emitter.emitPointwiseResult(
          rewriter, op.getLoc(), op->getName().stripDialect(),
          {adaptor.getInput()}, cast<RankedTensorType>(result.getType()),
          [&](const TileBuilder &t, ArrayRef<Value> args,
              ArrayRef<Value> coords, Value mask) -> SmallVector<Value> {
            return {t.load(args[0], t.viewOffset(*layout, coords), mask)};
          }));
    }
    rewriter.replaceOp(op, copies);
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
            Value part = t.load(arg, t.broadcastOffset(local, shape), inside);
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
  patterns.add<PointwiseGroupLowering, ViewCopyLowering<graph::TransposeOp>,
               ViewCopyLowering<graph::SliceOp>,
               ViewCopyLowering<graph::SplitOp>, ConcatLowering, TriluLowering>(
      converter, patterns.getContext(), emitter);
}
