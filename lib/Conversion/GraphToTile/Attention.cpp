//===- Attention.cpp - Flash attention ------------------------------------===//
//
// An attention group is one kernel: one program per block of query rows (of
// one batch and head), a loop over blocks of keys computing the scores with
// `tile.dot`, scaling and masking them, and folding them into a running
// softmax (the row maximum, the sum of exponentials, and the weighted sum of
// the values, rescaled whenever the maximum grows), as FlashAttention does.
// The scores never reach device memory. Q, K, V and the mask are read through
// their views, so a fused QKV projection, head transposes and repeated K/V
// heads cost nothing; the result is stored through its views.
//
// A group with the attention's output projection has one program per block
// of query rows of every head: it computes each head's output in turn and
// multiplies it at once by that head's rows of the projection's weight into
// an accumulator of whole rows of the projection, whose epilogue (bias,
// residual add) it then computes and stores. The attention's result never
// reaches device memory.
//
// A causal attention computes its mask from the positions, and each program
// stops its loop over keys after the last key its queries see. With a mask
// whose masked score is finite (finfo.min), a query whose visible keys are
// all masked weighs every key alike: a program with such a row goes on to
// the last key.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace meld;
using namespace meld::graph_to_tile;

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

struct AttentionGroupLowering : LoweringPattern<graph::FusionGroupOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::FusionGroupOp group, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (group.getKind() != graph::FusionKind::attention)
      return failure();
    auto op = *group.getBodyBlock().getOps<graph::AttentionOp>().begin();
    Location loc = group.getLoc();
    ArrayRef<int64_t> out = op.getType().getShape();
    size_t rank = out.size();
    Shape batchShape(out.drop_back(2));
    int64_t lq = out[rank - 2], dv = out[rank - 1];
    auto keyShape = cast<RankedTensorType>(op.getKey().getType()).getShape();
    int64_t lk = keyShape[rank - 2], d = keyShape[rank - 1];
    auto withTail = [&](int64_t a, int64_t b) {
      Shape shape(batchShape);
      shape.append({a, b});
      return shape;
    };
    Shape qShape = withTail(lq, d), kShape = withTail(lk, d),
          vShape = withTail(lk, dv), maskShape = withTail(lq, lk);
    KernelEmitter::GroupBuffers buffers =
        emitter.allocGroupBuffers(rewriter, group, adaptor.getInputs());
    // With a projection, each program walks the heads (the last batch
    // dimension) of the others' coordinates.
    graph::MatmulOp projection = group.getProjection();
    Shape programShape(batchShape);
    if (projection)
      programShape.pop_back();
    int64_t batches = computeProduct(batchShape);
    if (batches == 0 || lq == 0 || dv == 0) {
      rewriter.replaceOp(group, buffers.outputs);
      return success();
    }
    // The group's chosen blocks (meld-graph-choose-tiles), else the
    // options.
    const ConvertGraphToTileOptions &options = emitter.getOptions();
    std::optional<ArrayRef<int64_t>> sizes = group.getTileSizes();
    int64_t bm = std::min<int64_t>(sizes ? (*sizes)[0] : options.matmulTileM,
                                   llvm::PowerOf2Ceil(lq));
    int64_t bn =
        std::min<int64_t>(sizes ? (*sizes)[1] : options.matmulTileN,
                          llvm::PowerOf2Ceil(std::max<int64_t>(lk, 1)));
    int64_t bd = llvm::PowerOf2Ceil(std::max<int64_t>(d, 1));
    int64_t bdv = llvm::PowerOf2Ceil(dv);
    SmallVector<Value> kernelBuffers(buffers.inputs);
    llvm::append_range(kernelBuffers, buffers.outputs);
    OpBuilder b = emitter.createKernel(
        rewriter, loc, projection ? getGroupName(group) : "attention",
        kernelBuffers, {ceilDiv(lq, bm), computeProduct(programShape)});
    KernelEmitter::setChosenWarps(
        cast<tile::KernelOp>(b.getBlock()->getParentOp()), group);
    ArrayRef<BlockArgument> args = b.getBlock()->getArguments();
    Type element = op.getType().getElementType();
    Type f32 = b.getF32Type();

    // This program's batch coordinates (but the head, with a projection)
    // and first query row.
    Value batch = tile::ProgramIdOp::create(b, loc, b.getIndexType(),
                                            b.getI64IntegerAttr(1));
    SmallVector<Value> programCoords =
        delinearizeScalar(b, loc, batch, programShape);
    SmallVector<Value> batchCoords(programCoords);
    Value pid = tile::ProgramIdOp::create(b, loc, b.getIndexType(),
                                          b.getI64IntegerAttr(0));
    Value m0 = arith::MulIOp::create(
        b, loc, pid, arith::ConstantIndexOp::create(b, loc, bm));
    // The queries of this program's block, where the last block hangs over
    // the end: its products need not compute the rows past them.
    Value validRows = getValidRows(b, loc, m0, lq, bm);
    // Coordinates of a [rows, cols] tile: the batch's, then `r` and `c`.
    auto coordsOf = [&](const TileBuilder &t, Value r, Value c) {
      SmallVector<Value> coords =
          llvm::map_to_vector(batchCoords, [&](Value s) { return t.splat(s); });
      coords.append({r, c});
      return coords;
    };
    auto toF32 = [&](const TileBuilder &t, Value x) -> Value {
      if (element == f32)
        return x;
      return arith::ExtFOp::create(t.b, t.loc, t.tileType(f32), x);
    };

    // Q, K, V and the mask, read through their views or computed from the
    // group's arguments where the kernel needs them.
    SmallVector<Value> inputArgs(args.take_front(buffers.inputs.size()));
    GroupElements elements(group, inputArgs);
    // A block of `operand` (broadcast to `shape`) at coordinates `first` and
    // `second` of its last two dimensions, zero past their sizes.
    auto operandBlock = [&](const TileBuilder &t, Value operand,
                            ArrayRef<int64_t> shape, Value first,
                            int64_t firstSize, Value second,
                            int64_t secondSize) {
      Value inside =
          t.both(t.lessThan(first, firstSize), t.lessThan(second, secondSize));
      Value x =
          elements.at(t, operand,
                      t.broadcastCoords(
                          coordsOf(t, first, second), shape,
                          cast<RankedTensorType>(operand.getType()).getShape()),
                      inside);
      // A load is zero outside; a computed value may be anything.
      if (Operation *def = operand.getDefiningOp();
          def && !group.isInputView(def))
        x = arith::SelectOp::create(
            t.b, t.loc, inside, x,
            t.constant(t.b.getZeroAttr(getElementTypeOrSelf(x))));
      return x;
    };
    auto loadBlock = [&](const TileBuilder &t, Value operand,
                         ArrayRef<int64_t> shape, Value first,
                         int64_t firstSize, Value second, int64_t secondSize) {
      return toF32(t, operandBlock(t, operand, shape, first, firstSize, second,
                                   secondSize));
    };

    // The output of the head at `batchCoords` for this program's block of
    // queries, in f32: [bm, bdv].
    auto headOutput = [&]() -> Value {
      // The query block, read once: [bm, bd].
      TileBuilder qT{b, loc, {bm, bd}};
      Value qTile =
          loadBlock(qT, op.getQuery(), qShape, qT.add(qT.iota(0), qT.splat(m0)),
                    lq, qT.iota(1), d);

      TileBuilder sT{b, loc, {bm, bn}}, oT{b, loc, {bm, bdv}}, rT{b, loc, {bm}};
      Value negInf = rT.floatConst(f32, kNegInf);
      Value zeroRows = rT.floatConst(f32, 0.0);
      Value acc0 = oT.floatConst(f32, 0.0);
      int64_t keyEnd = std::max<int64_t>(lk, 1);
      Value keyBound = arith::ConstantIndexOp::create(b, loc, keyEnd);
      if (op.getCausal()) {
        // No query of the block sees a key past m0 + bm - 1 + lk - lq: the
        // loop stops there (after one block at least, as without keys).
        Value end = arith::AddIOp::create(
            b, loc, m0, arith::ConstantIndexOp::create(b, loc, bm + lk - lq));
        end = arith::MaxSIOp::create(b, loc, end,
                                     arith::ConstantIndexOp::create(b, loc, 1));
        keyBound = arith::MinSIOp::create(b, loc, end, keyBound);
      }
      // With a keep or drop mask of a finite masked score, the keys past
      // the diagonal are masked with that score, as the mask masks: a query
      // whose visible keys are all masked weighs every key alike, those
      // past the diagonal too.
      std::optional<double> finiteMasked;
      if (op.getCausal() && op.getMask() &&
          op.getMaskKind() != graph::AttentionMask::add &&
          std::isfinite(op.getMaskedScore().convertToDouble()))
        finiteMasked = op.getMaskedScore().convertToDouble();
      auto keyBlock =
          [&](OpBuilder &nb, Location l, Value n0, ValueRange carried) {
            TileBuilder kt{nb, l, {bd, bn}}, s{nb, l, {bm, bn}},
                vt{nb, l, {bn, bdv}}, o{nb, l, {bm, bdv}}, r{nb, l, {bm}};
            // K^T block [bd, bn]: element (dd, j) is key n0 + j, dim dd.
            Value kTile =
                loadBlock(kt, op.getKey(), kShape,
                          kt.add(kt.iota(1), kt.splat(n0)), lk, kt.iota(0), d);
            Value scores =
                tile::DotOp::create(nb, l, s.tileType(f32), qTile, kTile,
                                    s.floatConst(f32, 0.0), validRows);
            scores = arith::MulFOp::create(
                nb, l, scores,
                s.floatConst(f32, op.getScale().convertToDouble()));
            Value sRows = s.add(s.iota(0), s.splat(m0));
            Value sKeys = s.add(s.iota(1), s.splat(n0));
            if (Value maskValue = op.getMask()) {
              Value m =
                  operandBlock(s, maskValue, maskShape, sRows, lq, sKeys, lk);
              switch (op.getMaskKind()) {
              case graph::AttentionMask::add:
                scores = arith::AddFOp::create(nb, l, scores, toF32(s, m));
                break;
              case graph::AttentionMask::keep:
              case graph::AttentionMask::drop: {
                Value masked =
                    s.floatConst(f32, op.getMaskedScore().convertToDouble());
                bool keep = op.getMaskKind() == graph::AttentionMask::keep;
                scores = arith::SelectOp::create(
                    nb, l, m, keep ? scores : masked, keep ? masked : scores);
                break;
              }
              case graph::AttentionMask::none:
                break;
              }
            }
            // Keys past the end take no part: -inf, weight 0; nor, in a
            // causal attention, keys past a query's position.
            Value inside = s.lessThan(sKeys, lk);
            if (op.getCausal()) {
              Value seen =
                  arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle, sKeys,
                                        s.add(sRows, s.index(lk - lq)));
              if (finiteMasked)
                scores = arith::SelectOp::create(
                    nb, l, seen, scores, s.floatConst(f32, *finiteMasked));
              else
                inside = s.both(inside, seen);
            }
            scores = arith::SelectOp::create(nb, l, inside, scores,
                                             s.floatConst(f32, kNegInf));
            // The running maximum; where it is still -inf (every key so far
            // masked with -inf) exponents are taken from 0, so no -inf - -inf.
            Value mOld = carried[0];
            Value mNew = arith::MaximumFOp::create(
                nb, l, mOld, s.reduceRows(tile::ReduceKind::max, scores));
            Value isInf =
                arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, mNew,
                                      r.floatConst(f32, kNegInf));
            Value mSafe = arith::SelectOp::create(nb, l, isInf,
                                                  r.floatConst(f32, 0.0), mNew);
            Value p = math::ExpOp::create(
                nb, l, arith::SubFOp::create(nb, l, scores, s.perRow(mSafe)));
            Value alpha = math::ExpOp::create(
                nb, l, arith::SubFOp::create(nb, l, mOld, mSafe));
            Value lNew = arith::AddFOp::create(
                nb, l, arith::MulFOp::create(nb, l, carried[1], alpha),
                s.reduceRows(tile::ReduceKind::sum, p));
            // V block [bn, bdv].
            Value vTile =
                loadBlock(vt, op.getValue(), vShape,
                          vt.add(vt.iota(0), vt.splat(n0)), lk, vt.iota(1), dv);
            Value rescaled =
                arith::MulFOp::create(nb, l, carried[2], o.perRow(alpha));
            Value acc = tile::DotOp::create(nb, l, o.tileType(f32), p, vTile,
                                            rescaled, validRows);
            scf::YieldOp::create(nb, l, ValueRange{mNew, lNew, acc});
          };
      Value step = arith::ConstantIndexOp::create(b, loc, bn);
      auto loop = scf::ForOp::create(
          b, loc, arith::ConstantIndexOp::create(b, loc, 0), keyBound, step,
          ValueRange{negInf, zeroRows, acc0}, keyBlock);
      if (finiteMasked) {
        // A row of the block whose keys so far are all masked (its maximum
        // is the masked score) weighs the keys past the diagonal too: then
        // the program goes on to the last key. Rows past the queries do not
        // count.
        Value rows = rT.add(rT.iota(0), rT.splat(m0));
        Value allMasked =
            rT.both(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                          loop.getResult(0),
                                          rT.floatConst(f32, *finiteMasked)),
                    rT.lessThan(rows, lq));
        Value any = tile::ReduceOp::create(
            b, loc, RankedTensorType::get({}, f32),
            tile::ReduceKindAttr::get(b.getContext(), tile::ReduceKind::max),
            arith::UIToFPOp::create(b, loc, rT.tileType(f32), allMasked),
            b.getI64IntegerAttr(0));
        Value goOn = arith::CmpFOp::create(
            b, loc, arith::CmpFPredicate::OGT,
            tensor::ExtractOp::create(b, loc, any, ValueRange{}),
            arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.5)));
        // The next block after the ones the loop read.
        Value next = arith::MulIOp::create(
            b, loc,
            arith::DivUIOp::create(
                b, loc,
                arith::AddIOp::create(
                    b, loc, keyBound,
                    arith::ConstantIndexOp::create(b, loc, bn - 1)),
                step),
            step);
        Value end = arith::SelectOp::create(
            b, loc, goOn, arith::ConstantIndexOp::create(b, loc, keyEnd), next);
        loop = scf::ForOp::create(b, loc, next, end, step, loop.getResults(),
                                  keyBlock);
      }

      Value sums = oT.perRow(loop.getResult(1));
      Value result = arith::DivFOp::create(b, loc, loop.getResult(2), sums);
      // A row of NaN weights (no key, or NaN scores) becomes zeros.
      if (op.getZeroNanRows())
        result = arith::SelectOp::create(
            b, loc,
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, sums,
                                  oT.floatConst(f32, 0.0)),
            result, oT.floatConst(f32, 0.0));
      return result;
    };

    if (projection) {
      emitProjection(b, loc, group, projection, args, buffers, headOutput,
                     batchCoords, programCoords, batch, m0, batchShape.back(),
                     lq, dv, bm, bdv);
      rewriter.replaceOp(group, buffers.outputs);
      return success();
    }
    TileBuilder oT{b, loc, {bm, bdv}};
    Value result = headOutput();
    if (element != f32)
      result = arith::TruncFOp::create(b, loc, oT.tileType(element), result);
    Value rows = oT.add(oT.iota(0), oT.splat(m0));
    Value cols = oT.iota(1);
    Value outMask = oT.both(oT.lessThan(rows, lq), oT.lessThan(cols, dv));
    SmallVector<Value> coords = coordsOf(oT, rows, cols);
    for (auto [layout, output] :
         llvm::zip_equal(KernelEmitter::getStoreLayouts(group),
                         args.take_back(buffers.outputs.size())))
      oT.store(result, output, oT.viewOffset(layout, coords), outMask);
    rewriter.replaceOp(group, buffers.outputs);
    return success();
  }

private:
  /// The projection of a group with one: each of the `heads` in turn (the
  /// last of `batchCoords`, after this program's `programCoords`), its
  /// output from `headOutput` ([bm, bdv] of `dv` columns) times its rows of
  /// the weight (the projection's left operand holds head h's column j at
  /// h * dv + j, `isMergedHeads`), into whole rows of the projection; then
  /// its epilogue and the stores, where the program's rows from `m0` (of
  /// `lq`) lie in each result (a row epilogue normalizes the rows in
  /// registers first).
  void emitProjection(OpBuilder &b, Location loc, graph::FusionGroupOp group,
                      graph::MatmulOp projection, ArrayRef<BlockArgument> args,
                      const KernelEmitter::GroupBuffers &buffers,
                      function_ref<Value()> headOutput,
                      SmallVector<Value> &batchCoords,
                      ArrayRef<Value> programCoords, Value batch, Value m0,
                      int64_t heads, int64_t lq, int64_t dv, int64_t bm,
                      int64_t bdv) const {
    int64_t columns = projection.getType().getShape().back();
    int64_t bc = llvm::PowerOf2Ceil(columns);
    Type f32 = b.getF32Type();
    Type element = projection.getType().getElementType();
    unsigned weightArg;
    graph::ViewLayout weight =
        traceGroupInput(group, projection.getRhs(), weightArg);
    TileBuilder pT{b, loc, {bm, bc}};
    Value validRows = getValidRows(b, loc, m0, lq, bm);
    auto loop = scf::ForOp::create(
        b, loc, pT.scalarIndex(0), pT.scalarIndex(heads), pT.scalarIndex(1),
        ValueRange{pT.floatConst(f32, 0.0)},
        [&](OpBuilder &nb, Location l, Value head, ValueRange carried) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToEnd(nb.getInsertionBlock());
          batchCoords.assign(programCoords.begin(), programCoords.end());
          batchCoords.push_back(head);
          TileBuilder oT{b, l, {bm, bdv}}, wT{b, l, {bdv, bc}};
          // Zero past the head's columns, which meet no row of the weight.
          Value o =
              arith::SelectOp::create(b, l, oT.lessThan(oT.iota(1), dv),
                                      headOutput(), oT.floatConst(f32, 0.0));
          Value j = wT.iota(0), cols = wT.iota(1);
          Value rows = wT.add(
              j, wT.splat(arith::MulIOp::create(
                     b, l, head, arith::ConstantIndexOp::create(b, l, dv))));
          Value w =
              wT.load(args[weightArg], wT.viewOffset(weight, {rows, cols}),
                      wT.both(wT.lessThan(j, dv), wT.lessThan(cols, columns)));
          if (element != f32)
            w = arith::ExtFOp::create(b, l, wT.tileType(f32), w);
          scf::YieldOp::create(
              b, l,
              ValueRange{tile::DotOp::create(b, l, carried[0].getType(), o, w,
                                             carried[0], validRows)});
        });
    Value acc = loop.getResult(0);
    if (element != f32)
      acc = arith::TruncFOp::create(b, loc, pT.tileType(element), acc);
    Value rows = pT.add(pT.iota(0), pT.splat(m0)), cols = pT.iota(1);
    Value mask = pT.both(pT.lessThan(rows, lq), pT.lessThan(cols, columns));
    SmallVector<Value> coords = llvm::map_to_vector(
        programCoords, [&](Value s) { return pT.splat(s); });
    coords.append({rows, cols});
    IRMapping tiles;
    tiles.map(projection.getResult(), acc);
    SmallVector<Value> kernelArgs(args.begin(), args.end());
    SmallVector<Value> stored =
        emitter.emitEpilogue(pT, group, tiles, kernelArgs, coords, mask,
                             buffers.getStatus(kernelArgs));
    // A row epilogue normalizes its value in registers for every result.
    if (Operation *rowNorm = group.getRowEpilogue())
      stored.assign(
          buffers.outputs.size(),
          getRowNorm(group, rowNorm)
              .normalize(pT, kernelArgs, stored.front(), cols, mask, columns));
    SmallVector<graph::ViewLayout> layouts =
        KernelEmitter::getStoreLayouts(group);
    ArrayRef<Value> outputArgs =
        ArrayRef(kernelArgs).take_back(buffers.outputs.size());
    for (auto [i, tile] : llvm::enumerate(stored))
      pT.store(tile, outputArgs[i],
               pT.outputOffsets(
                   layouts, i, coords,
                   [&] {
                     Value first = arith::MulIOp::create(
                         b, loc, batch,
                         arith::ConstantIndexOp::create(b, loc, lq * columns));
                     return pT.add(pT.add(pT.mul(rows, columns), cols),
                                   pT.splat(first));
                   }),
               mask);
  }
};

} // namespace

void graph_to_tile::populateAttentionPatterns(const TypeConverter &converter,
                                              RewritePatternSet &patterns,
                                              KernelEmitter &emitter) {
  patterns.add<AttentionGroupLowering>(converter, patterns.getContext(),
                                       emitter);
}
