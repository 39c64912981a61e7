//===- RemoveLayoutConversions.cpp - Keep tiles where they are ------------===//
//
// Each tile_gpu.convert_layout moves a tile through shared memory between
// barriers. These patterns remove the conversions a kernel does not need:
//   - a constant or a splat converts by being made in the other layout;
//   - a loop-carried tile that the body only reads converted to one layout,
//     and yields converted from it, is carried in that layout (the
//     accumulator of a K loop stays in the mma registers);
//   - a conversion sinks below its elementwise readers, its stores and its
//     reductions, whose other operands are rematerialized in the source
//     layout (constants, splats, iotas, elementwise math and loads, cloned
//     with the other type): the epilogue of a product computes and stores
//     from the accumulator's registers.
//
//===----------------------------------------------------------------------===//

#include "dialects/TileGPU/Transforms/Passes.h"
#include "dialects/TileGPU/Transforms/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace meld::tile_gpu {
#define GEN_PASS_DEF_TILEGPUREMOVELAYOUTCONVERSIONS
#include "dialects/TileGPU/Transforms/Passes.h.inc"
} // namespace meld::tile_gpu

using namespace mlir;
using namespace meld;
using namespace meld::tile_gpu;

namespace {

RankedTensorType withLayout(Type type, Attribute layout) {
  auto tensor = cast<RankedTensorType>(type);
  return RankedTensorType::get(tensor.getShape(), tensor.getElementType(),
                               layout);
}

/// How much a layout is worth keeping: an mma accumulator's (and its
/// slices) most, then the slices of blocked layouts (a broadcast back to
/// the parent is free), then blocked ones. A conversion sinks only from a
/// layout worth at least its target's; a loop-carried tile is converted
/// only to a layout worth more than its own.
int getLayoutRank(Attribute layout) {
  if (auto slice = dyn_cast_or_null<SliceLayoutAttr>(layout))
    return isa<MmaLayoutAttr>(slice.getParent()) ? 3 : 2;
  if (isa_and_nonnull<MmaLayoutAttr>(layout))
    return 3;
  if (isa_and_nonnull<BlockedLayoutAttr>(layout))
    return 1;
  return 0;
}

Attribute getEncoding(Value value) {
  return cast<RankedTensorType>(value.getType()).getEncoding();
}

/// Whether `op` computes elementwise on tiles (and may be recomputed).
bool isElementwise(Operation *op) {
  return op->getNumResults() == 1 && op->getNumRegions() == 0 &&
         OpTrait::hasElementwiseMappableTraits(op) && isPure(op);
}

/// A constant or splat in another layout is made in that layout.
struct ConvertOfSplat : OpRewritePattern<ConvertLayoutOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConvertLayoutOp convert,
                                PatternRewriter &rewriter) const override {
    Operation *def = convert.getSrc().getDefiningOp();
    if (auto splat = dyn_cast_or_null<tensor::SplatOp>(def)) {
      rewriter.replaceOpWithNewOp<tensor::SplatOp>(convert, convert.getType(),
                                                   splat.getInput());
      return success();
    }
    auto constant = dyn_cast_or_null<arith::ConstantOp>(def);
    auto dense = constant ? dyn_cast<SplatElementsAttr>(constant.getValue())
                          : SplatElementsAttr();
    if (!dense)
      return failure();
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        convert, dense.reshape(convert.getType()));
    return success();
  }
};

/// A loop-carried tile read only converted to layout L, and yielded
/// converted from L, is carried in L.
struct CarryConvertedTile : OpRewritePattern<scf::ForOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(scf::ForOp loop,
                                PatternRewriter &rewriter) const override {
    auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
    for (auto [index, iterArg] : llvm::enumerate(loop.getRegionIterArgs())) {
      // Plain copies: lambdas cannot capture structured bindings in C++17.
      unsigned i = index;
      BlockArgument arg = iterArg;
      if (!isa<RankedTensorType>(arg.getType()) || arg.use_empty())
        continue;
      auto yielded = yield.getOperand(i).getDefiningOp<ConvertLayoutOp>();
      if (!yielded)
        continue;
      Type carried = yielded.getSrc().getType();
      // The body's conversions of it: to the carried layout, or to one of
      // the same distribution (free: they then convert the carried tile).
      auto sameAsCarried = [&](Type type) {
        return type == carried ||
               haveSameDistribution(getLayout(type), getLayout(carried),
                                    cast<RankedTensorType>(type).getShape());
      };
      if (!llvm::all_of(arg.getUsers(), [&](Operation *user) {
            auto convert = dyn_cast<ConvertLayoutOp>(user);
            return convert && sameAsCarried(convert.getType());
          }))
        continue;
      Type original = arg.getType();
      OpResult result = loop->getResult(i);
      rewriter.setInsertionPoint(loop);
      Value init = ConvertLayoutOp::create(rewriter, loop.getLoc(), carried,
                                           loop.getInitArgs()[i]);
      rewriter.modifyOpInPlace(loop, [&] {
        loop.getInitArgsMutable()[i].assign(init);
        arg.setType(carried);
        result.setType(carried);
      });
      for (Operation *user : llvm::make_early_inc_range(arg.getUsers())) {
        if (user->getResult(0).getType() == carried)
          rewriter.replaceOp(user, arg);
        else
          rewriter.modifyOpInPlace(user, [&] { user->setOperand(0, arg); });
      }
      rewriter.modifyOpInPlace(yield,
                               [&] { yield->setOperand(i, yielded.getSrc()); });
      if (yielded->use_empty())
        rewriter.eraseOp(yielded);
      rewriter.setInsertionPointAfter(loop);
      auto back =
          ConvertLayoutOp::create(rewriter, loop.getLoc(), original, result);
      rewriter.replaceAllUsesExcept(result, back, back);
      return success();
    }
    return failure();
  }
};

/// Recomputes values in another layout: constants, splats, iotas,
/// elementwise math and loads, cloned with the other types; a loop-carried
/// tile, converted at the start of the body, where the layout is worth
/// more than its own (the loop then carries it so: CarryConvertedTile).
class Rematerializer {
public:
  Rematerializer(PatternRewriter &rewriter, Attribute layout)
      : rewriter(rewriter), layout(layout) {}

  /// Whether `value` can be had in the layout, creating nothing.
  bool check(Value value, int depth = 0) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || type.getEncoding() == layout)
      return true;
    Operation *def = value.getDefiningOp();
    if (!def)
      return isCarriedTile(value) &&
             getLayoutRank(layout) > getLayoutRank(type.getEncoding());
    if (depth > kMaxDepth)
      return false;
    if (auto convert = dyn_cast<ConvertLayoutOp>(def))
      if (isFreeFrom(convert.getSrc()))
        return true;
    if (!isClonable(def))
      return false;
    return llvm::all_of(def->getOperands(), [&](Value operand) {
      return check(operand, depth + 1);
    });
  }

  /// `value` in the layout (`check` holds for it).
  Value get(Value value) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type)
      return value;
    if (type.getEncoding() == layout)
      return value;
    if (Value known = done.lookup(value))
      return known;
    Operation *def = value.getDefiningOp();
    if (!def) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(cast<BlockArgument>(value).getOwner());
      Value converted = ConvertLayoutOp::create(
          rewriter, value.getLoc(), withLayout(type, layout), value);
      done[value] = converted;
      return converted;
    }
    if (auto convert = dyn_cast<ConvertLayoutOp>(def))
      if (isFreeFrom(convert.getSrc())) {
        Value src = convert.getSrc();
        if (src.getType() == withLayout(type, layout))
          return src;
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPointAfter(convert);
        Value same = ConvertLayoutOp::create(rewriter, convert.getLoc(),
                                             withLayout(type, layout), src);
        done[value] = same;
        return same;
      }
    SmallVector<Value> operands = llvm::map_to_vector(
        def->getOperands(), [&](Value operand) { return get(operand); });
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfter(def);
    Operation *clone =
        cloneWithTypes(rewriter, def, operands, withLayout(type, layout));
    done[value] = clone->getResult(0);
    return clone->getResult(0);
  }

private:
  static constexpr int kMaxDepth = 24;
  /// Whether `src` (a conversion's source) is had in the layout for free:
  /// it is in it, or in one of the same distribution.
  bool isFreeFrom(Value src) {
    auto type = cast<RankedTensorType>(src.getType());
    return type.getEncoding() == layout ||
           haveSameDistribution(getLayout(type),
                                dyn_cast<DistributedLayoutAttr>(layout),
                                type.getShape());
  }
  /// A tile an scf.for carries, as its body reads it.
  static bool isCarriedTile(Value value) {
    auto arg = dyn_cast<BlockArgument>(value);
    auto loop = arg ? dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp())
                    : scf::ForOp();
    return loop && arg != loop.getInductionVar();
  }
  static bool isClonable(Operation *op) {
    return isa<arith::ConstantOp, tensor::SplatOp, tile::IotaOp, tile::LoadOp>(
               op) ||
           isElementwise(op);
  }

  PatternRewriter &rewriter;
  Attribute layout;
  DenseMap<Value, Value> done;
};

/// A conversion sinks below a reader that can work in its source layout.
struct SinkConversion : OpRewritePattern<ConvertLayoutOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConvertLayoutOp convert,
                                PatternRewriter &rewriter) const override {
    Value source = convert.getSrc();
    Attribute layout = getEncoding(source);
    if (getLayoutRank(layout) < getLayoutRank(convert.getType().getEncoding()))
      return failure();
    for (OpOperand &use : llvm::make_early_inc_range(convert->getUses())) {
      Operation *user = use.getOwner();
      // A reduction works from any layout (ReduceIntoSlice then gives it
      // the one it combines in registers); one that combines in registers
      // already keeps its input where the source's layout would not let
      // it. A local_alloc stores from any layout.
      if (auto reduce = dyn_cast<tile::ReduceOp>(user)) {
        auto sourceType = cast<RankedTensorType>(source.getType());
        auto sourceLayout = dyn_cast<DistributedLayoutAttr>(layout);
        if (isa<SliceLayoutAttr>(getEncoding(reduce.getResult())) &&
            (!sourceLayout ||
             !getReductionLanes(sourceLayout, sourceType.getShape(),
                                reduce.getDim())))
          continue;
      }
      if (isa<tile::ReduceOp, LocalAllocOp>(user)) {
        rewriter.modifyOpInPlace(user, [&] { use.set(source); });
        return success();
      }
      bool isStore = isa<tile::StoreOp>(user);
      if (!isStore && !isElementwise(user))
        continue;
      Rematerializer remat(rewriter, layout);
      if (!llvm::all_of(user->getOperands(), [&](Value operand) {
            return operand == convert.getResult() || remat.check(operand);
          }))
        continue;
      SmallVector<Value> operands =
          llvm::map_to_vector(user->getOperands(), [&](Value operand) {
            return operand == convert.getResult() ? source : remat.get(operand);
          });
      rewriter.setInsertionPoint(user);
      if (isStore) {
        cloneWithTypes(rewriter, user, operands, TypeRange());
        rewriter.eraseOp(user);
        return success();
      }
      Type type = user->getResult(0).getType();
      Operation *clone =
          cloneWithTypes(rewriter, user, operands, withLayout(type, layout));
      rewriter.replaceOpWithNewOp<ConvertLayoutOp>(user, type,
                                                   clone->getResult(0));
      return success();
    }
    return failure();
  }
};

/// A reduction that can combine within warps does so into the slice of its
/// input's layout, converted to its result's layout after.
struct ReduceIntoSlice : OpRewritePattern<tile::ReduceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tile::ReduceOp reduce,
                                PatternRewriter &rewriter) const override {
    auto inputType = cast<RankedTensorType>(reduce.getInput().getType());
    auto layout =
        dyn_cast_or_null<DistributedLayoutAttr>(inputType.getEncoding());
    if (!isa_and_nonnull<BlockedLayoutAttr, MmaLayoutAttr>(layout) ||
        inputType.getRank() < 2)
      return failure();
    // A conversion from a layout that cannot (an mma accumulator whose
    // warps share rows) is left for SinkConversion: the reduction then
    // stages the source as it is, in one pass through shared memory.
    if (auto convert = reduce.getInput().getDefiningOp<ConvertLayoutOp>()) {
      auto source = cast<RankedTensorType>(convert.getSrc().getType());
      auto sourceLayout =
          dyn_cast_or_null<DistributedLayoutAttr>(source.getEncoding());
      if (sourceLayout &&
          getLayoutRank(sourceLayout) >= getLayoutRank(layout) &&
          !getReductionLanes(sourceLayout, source.getShape(), reduce.getDim()))
        return failure();
    }
    auto slice = SliceLayoutAttr::get(getContext(), reduce.getDim(), layout);
    Type type = reduce.getType();
    if (getEncoding(reduce.getResult()) == slice ||
        !getReductionLanes(layout, inputType.getShape(), reduce.getDim()))
      return failure();
    Operation *inSlice = cloneWithTypes(rewriter, reduce, reduce.getInput(),
                                        withLayout(type, slice));
    rewriter.replaceOpWithNewOp<ConvertLayoutOp>(reduce, type,
                                                 inSlice->getResult(0));
    return success();
  }
};

/// A broadcast of a slice along its dimension (or of a conversion of one)
/// is made in the slice's parent layout (no data moves), converted to its
/// result's layout after where that is another.
struct BroadcastFromSlice : OpRewritePattern<tile::BroadcastOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tile::BroadcastOp broadcast,
                                PatternRewriter &rewriter) const override {
    Value input = broadcast.getInput();
    if (auto convert = input.getDefiningOp<ConvertLayoutOp>())
      input = convert.getSrc();
    auto slice = dyn_cast_or_null<SliceLayoutAttr>(getEncoding(input));
    ArrayRef<int64_t> dims = broadcast.getDims();
    if (!slice || dims.size() != 1 || dims[0] != slice.getDim())
      return failure();
    if (getEncoding(broadcast.getResult()) == slice.getParent()) {
      if (input == broadcast.getInput())
        return failure();
      rewriter.modifyOpInPlace(
          broadcast, [&] { broadcast.getInputMutable().assign(input); });
      return success();
    }
    Type type = broadcast.getType();
    Operation *inParent = cloneWithTypes(rewriter, broadcast, input,
                                         withLayout(type, slice.getParent()));
    rewriter.replaceOpWithNewOp<ConvertLayoutOp>(broadcast, type,
                                                 inParent->getResult(0));
    return success();
  }
};

struct TileGPURemoveLayoutConversions
    : tile_gpu::impl::TileGPURemoveLayoutConversionsBase<
          TileGPURemoveLayoutConversions> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    patterns.add<ConvertOfSplat, CarryConvertedTile, SinkConversion,
                 ReduceIntoSlice, BroadcastFromSlice>(context);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
