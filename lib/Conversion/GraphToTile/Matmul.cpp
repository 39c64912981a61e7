//===- Matmul.cpp - Matrix products ---------------------------------------===//
//
// One program per output tile (and batch), a loop over K with `tile.dot`;
// Gemm's alpha, beta and C are applied to the accumulator before the store.
// A matmul group adds its prologue (a normalization of A's rows), its
// epilogue (elementwise ops on the accumulator), several parts (sibling
// matmuls sharing A, each program computing a tile of one) or a row epilogue
// (a normalization of the result's rows, each program computing whole rows).
// A chain group (an MLP) is one such kernel whose one part's epilogue
// computes the left operand of a second product: each program walks the
// intermediate's columns in blocks and multiplies each block into an
// accumulator of whole rows of the result at once, so the intermediate
// never reaches device memory.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

#include "llvm/ADT/ScopeExit.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace meld;
using namespace meld::graph_to_tile;

namespace {

/// A (batched) matrix product `out[b] = alpha * A[b] * B[b] + beta * C`.
struct MatmulProblem {
  int64_t m, n, k;
  Shape batchShape; // Batch dimensions of the result.
  /// Where element (batch..., m, k) of A and (batch..., k, n) of B lie in
  /// their buffers, over the result's batch dimensions (stride 0 where an
  /// operand broadcasts).
  graph::ViewLayout a, b;
  double alpha = 1.0, beta = 1.0;
  Shape cShape; // Shape of C (broadcast to [m, n]); empty without C.
};

/// The problem of A and B viewed through `a` over [batch..., m, k] and `b`
/// over [batch..., k, n], batch dimensions broadcast as numpy does.
static MatmulProblem makeProblem(const graph::ViewLayout &a,
                                 const graph::ViewLayout &b) {
  Shape aShape = a.getShape(), bShape = b.getShape();
  MatmulProblem p;
  p.m = aShape[aShape.size() - 2];
  p.k = aShape.back();
  p.n = bShape.back();
  ArrayRef<int64_t> aBatch = ArrayRef(aShape).drop_back(2);
  ArrayRef<int64_t> bBatch = ArrayRef(bShape).drop_back(2);
  size_t batchRank = std::max(aBatch.size(), bBatch.size());
  p.batchShape = Shape(batchRank, 1);
  for (size_t i = 0; i < batchRank; ++i) {
    int64_t fromA = i - (batchRank - aBatch.size());
    int64_t fromB = i - (batchRank - bBatch.size());
    p.batchShape[i] = std::max(fromA >= 0 ? aBatch[fromA] : 1,
                               fromB >= 0 ? bBatch[fromB] : 1);
  }
  Shape aFull(p.batchShape), bFull(p.batchShape);
  aFull.append({p.m, p.k});
  bFull.append({p.k, p.n});
  p.a = a.broadcast(aFull);
  p.b = b.broadcast(bFull);
  return p;
}

/// Computes the tiles a matrix-product kernel stores, one per output, from
/// the accumulators `accs` (one per product of the part; alpha, beta and C
/// applied) at result coordinates `coords` (batch dimensions, then rows and
/// columns) where `mask` holds; `args` are the kernel's arguments.
using Epilogue = llvm::function_ref<SmallVector<Value>(
    const TileBuilder &, ArrayRef<Value> accs, ArrayRef<Value> args,
    ArrayRef<Value> coords, Value mask)>;

/// One matrix product of a matmul kernel: its B and C (`c` < 0: none)
/// among the kernel's inputs, its problem, and the kernel's outputs it
/// writes (row-major, or where `outputLayouts` place the result's
/// coordinates) with the tiles of `epilogue` (the accumulator alone when
/// null).
struct MatmulPart {
  unsigned b;
  int c = -1;
  MatmulProblem p;
  /// The B operands (argument, layout) of further products of `p`'s shape
  /// that the same programs compute (a dual product), each with its own
  /// accumulator.
  SmallVector<std::pair<unsigned, graph::ViewLayout>> moreB;
  Epilogue epilogue = nullptr;
  SmallVector<unsigned> outputs{0};
  SmallVector<graph::ViewLayout> outputLayouts;
};

/// The second product of a chain kernel: the first part's epilogue computes
/// its left operand ([batch..., m, n] of the part), which it multiplies by B
/// (argument `b`, `layout` over [batch..., n, columns]); each program holds
/// whole rows of the result, computes `epilogue` on them (from the second
/// accumulator alone) and stores the kernel's outputs (row-major, or where
/// `outputLayouts` place the result's coordinates).
struct ChainProduct {
  unsigned b;
  graph::ViewLayout layout;
  int64_t columns;
  Epilogue epilogue;
  SmallVector<graph::ViewLayout> outputLayouts;
};

/// The one part of a kernel of one matrix product, storing its accumulator
/// row-major.
static MatmulPart makePart(unsigned b, int c, const MatmulProblem &p) {
  MatmulPart part;
  part.b = b;
  part.c = c;
  part.p = p;
  return part;
}

/// Emits a matmul kernel named `name` computing `parts`, which share A
/// (`inputs[a]`, normalized first by `prologue` when given), rows and batch:
/// one program per output tile of one part (the parts' column tiles one
/// after another along the grid's x), a loop over K with `tile.dot`, then
/// the part's epilogue and stores. With `chain`, the one part's epilogue
/// computes the left operand of the chain's second product instead, which
/// is never stored (see `ChainProduct`). The tiles and warps are `group`'s
/// (meld-graph-choose-tiles) when given, else the options'.
static void
emitMatmul(KernelEmitter &emitter, RewriterBase &rewriter, Location loc,
           StringRef name, ValueRange inputs, unsigned a, ValueRange outputs,
           ArrayRef<MatmulPart> parts, const RowNorm *prologue = nullptr,
           const RowNorm *row = nullptr, graph::FusionGroupOp group = nullptr,
           const ChainProduct *chain = nullptr) {
  const ConvertGraphToTileOptions &options = emitter.getOptions();
  // The group's chosen tiles (meld-graph-choose-tiles), else the options.
  std::optional<ArrayRef<int64_t>> tileSizes;
  if (group)
    tileSizes = group.getTileSizes();
  int64_t tileM = tileSizes ? (*tileSizes)[0] : options.matmulTileM;
  int64_t tileN = tileSizes ? (*tileSizes)[1] : options.matmulTileN;
  int64_t tileK = tileSizes ? (*tileSizes)[2] : options.matmulTileK;
  const MatmulProblem &shared = parts.front().p;
  int64_t batches = computeProduct(shared.batchShape);
  int64_t maxN = 0;
  for (const MatmulPart &part : parts)
    maxN = std::max(maxN, part.p.n);
  if (batches == 0 || shared.m == 0 || maxN == 0)
    return;
  int64_t bm = std::min<int64_t>(tileM, llvm::PowerOf2Ceil(shared.m));
  int64_t bn = std::min<int64_t>(tileN, llvm::PowerOf2Ceil(maxN));
  int64_t bk = std::min<int64_t>(
      tileK, llvm::PowerOf2Ceil(std::max<int64_t>(shared.k, 1)));
  // The first column tile of each part along the grid's x.
  SmallVector<int64_t> firstTile{0};
  for (const MatmulPart &part : parts)
    firstTile.push_back(firstTile.back() + ceilDiv(part.p.n, bn));
  // With a row epilogue or a chain, each program computes whole rows.
  assert((!row || parts.size() == 1) && "a row epilogue has one part");
  assert((!chain || parts.size() == 1) && "a chain has one first part");
  if (row || chain)
    firstTile.back() = 1;
  SmallVector<Value> kernelBuffers(inputs);
  // With pack-weights, each weight a product takes as B is read from its
  // panels. A chain's second product reads whole rows of its B (all its
  // columns, padded to a power of two) in steps of the first product's
  // column tile.
  KernelPanels panels;
  int64_t chainColumns = chain ? llvm::PowerOf2Ceil(chain->columns) : 0;
  if (options.packWeights) {
    for (const MatmulPart &part : parts) {
      panels.add(rewriter, loc, inputs, kernelBuffers, part.b, part.p.b, bk,
                 bn);
      for (const auto &[input, layout] : part.moreB)
        panels.add(rewriter, loc, inputs, kernelBuffers, input, layout, bk, bn);
    }
    if (chain)
      panels.add(rewriter, loc, inputs, kernelBuffers, chain->b, chain->layout,
                 bn, chainColumns);
  }
  llvm::append_range(kernelBuffers, outputs);
  OpBuilder b =
      emitter.createKernel(rewriter, loc, name, kernelBuffers,
                           {firstTile.back(), ceilDiv(shared.m, bm), batches});
  auto kernel = cast<tile::KernelOp>(b.getBlock()->getParentOp());
  if (group)
    KernelEmitter::setChosenWarps(kernel, group);
  llvm::scope_exit dropWeights([&] {
    emitter.dropUnreadArguments(rewriter, kernel, panels.getInputs());
  });
  SmallVector<Value> args(b.getBlock()->getArguments());
  ArrayRef<Value> outputArgs = ArrayRef(args).take_back(outputs.size());
  Type element = cast<MemRefType>(inputs[a].getType()).getElementType();
  auto pid = [&](int64_t dim) {
    return tile::ProgramIdOp::create(b, loc, b.getIndexType(),
                                     b.getI64IntegerAttr(dim));
  };
  auto scaled = [&](Value v, int64_t c) -> Value {
    return arith::MulIOp::create(b, loc, v,
                                 arith::ConstantIndexOp::create(b, loc, c));
  };
  Value tileX = pid(0), m0 = scaled(pid(1), bm), batch = pid(2);
  // The rows of this program's tiles inside the product, where the last
  // tile hangs over its end: its products need not compute the others.
  Value validRows = getValidRows(b, loc, m0, shared.m, bm);
  // This program's coordinates in the batch dimensions.
  SmallVector<Value> batchCoords =
      delinearizeScalar(b, loc, batch, shared.batchShape);
  auto splatAll = [](const TileBuilder &t, ArrayRef<Value> scalars) {
    return llvm::map_to_vector(scalars, [&](Value s) { return t.splat(s); });
  };

  TileBuilder aT{b, loc, {bm, bk}}, bT{b, loc, {bk, bn}}, cT{b, loc, {bm, bn}};
  Value rowsA = aT.add(aT.iota(0), aT.splat(m0));
  // The parts of A's offsets that do not change with K.
  SmallVector<Value> aCoords = splatAll(aT, batchCoords);
  aCoords.append({rowsA, Value()});
  Value aFixed = aT.viewOffset(shared.a, aCoords);
  SmallVector<Value> none(shared.batchShape.size() + 2, Value());
  // A block of A at K offset `k0` and where it lies inside A.
  auto loadA = [&](const TileBuilder &ta, Value k0) {
    Value ka = ta.add(ta.iota(1), ta.splat(k0));
    SmallVector<Value> kOnly(none);
    kOnly.back() = ka;
    Value aOff = ta.add(aFixed, ta.viewOffset(shared.a, kOnly, false));
    Value aMask =
        ta.both(ta.lessThan(rowsA, shared.m), ta.lessThan(ka, shared.k));
    return std::make_tuple(ta.load(args[a], aOff, aMask), aMask, ka);
  };
  auto kLoop = [&](ValueRange init, function_ref<SmallVector<Value>(
                                        const TileBuilder &, Value, ValueRange)>
                                        body) {
    return scf::ForOp::create(
        b, loc, aT.scalarIndex(0), aT.scalarIndex(shared.k), aT.scalarIndex(bk),
        init, [&](OpBuilder &nb, Location l, Value k0, ValueRange carried) {
          TileBuilder ta{nb, l, {bm, bk}};
          scf::YieldOp::create(nb, l, body(ta, k0, carried));
        });
  };
  // The prologue's row statistics: the mean (LayerNorm), then the mean of
  // squares (of deviations from the mean), two passes over the rows. Every
  // part's programs share them. Each pass sums each row's blocks
  // elementwise and reduces the rows once, after the loop.
  Value mean, rstd;
  if (prologue) {
    TileBuilder rT{b, loc, {bm}};
    auto rowSums = [&](function_ref<Value(const TileBuilder &, Value)> term) {
      Value sums =
          kLoop({aT.floatConst(element, 0.0)}, [&](const TileBuilder &ta,
                                                   Value k0,
                                                   ValueRange carried) {
            return SmallVector<Value>{
                arith::AddFOp::create(ta.b, ta.loc, carried[0], term(ta, k0))};
          }).getResult(0);
      return aT.reduceRows(tile::ReduceKind::sum, sums);
    };
    Value invK = rT.floatConst(element, 1.0 / std::max<int64_t>(shared.k, 1));
    if (!prologue->rms) {
      Value sum = rowSums([&](const TileBuilder &ta, Value k0) {
        return std::get<0>(loadA(ta, k0));
      });
      mean = arith::MulFOp::create(b, loc, sum, invK);
    }
    Value squares = rowSums([&](const TileBuilder &ta, Value k0) {
      auto [x, mask, ka] = loadA(ta, k0);
      if (mean)
        x = arith::SelectOp::create(
            ta.b, ta.loc, mask,
            arith::SubFOp::create(ta.b, ta.loc, x, ta.perRow(mean)),
            ta.floatConst(element, 0.0));
      return arith::MulFOp::create(ta.b, ta.loc, x, x).getResult();
    });
    rstd = prologue->rstd(rT, squares, shared.k);
  }

  // Where a [bm, bn] tile of `part`'s result at columns from `n0` lies.
  struct TilePlace {
    Value rows, cols, mask;
    SmallVector<Value> coords; // The batch's, splat, then rows and columns.
  };
  auto placeTile = [&](const MatmulPart &part, Value n0) {
    TilePlace place;
    place.rows = cT.add(cT.iota(0), cT.splat(m0));
    place.cols = cT.add(cT.iota(1), cT.splat(n0));
    place.mask = cT.both(cT.lessThan(place.rows, part.p.m),
                         cT.lessThan(place.cols, part.p.n));
    place.coords = splatAll(cT, batchCoords);
    place.coords.append({place.rows, place.cols});
    return place;
  };
  // The offsets in output `i` of `part` of the elements at `place`.
  auto outputOffsets = [&](const MatmulPart &part, unsigned i,
                           const TilePlace &place) {
    return cT.outputOffsets(part.outputLayouts, i, place.coords, [&] {
      return cT.add(cT.add(cT.mul(place.rows, part.p.n), place.cols),
                    cT.splat(scaled(batch, part.p.m * part.p.n)));
    });
  };
  // The tiles `part`'s epilogue computes at columns from `n0`.
  auto computeTile = [&](const MatmulPart &part, Value n0,
                         const TilePlace &place) {
    const MatmulProblem &p = part.p;
    Value colsB = bT.add(bT.iota(1), bT.splat(n0));
    SmallVector<Value> bCoords = splatAll(bT, batchCoords);
    bCoords.append({Value(), colsB});
    // Each product's B: its argument and layout, and the part of its
    // offsets that does not change with K.
    SmallVector<std::tuple<unsigned, const graph::ViewLayout *, Value>> bs;
    bs.push_back({part.b, &p.b, bT.viewOffset(p.b, bCoords)});
    for (const auto &[arg, layout] : part.moreB)
      bs.push_back({arg, &layout, bT.viewOffset(layout, bCoords)});
    SmallVector<Value> zeros(bs.size(), cT.floatConst(element, 0.0));
    auto loop =
        kLoop(zeros, [&](const TileBuilder &ta, Value k0, ValueRange carried) {
          OpBuilder &nb = ta.b;
          Location l = ta.loc;
          auto [aTile, aMask, ka] = loadA(ta, k0);
          if (prologue) {
            // Normalized, scaled and shifted; zero outside A, so the product
            // takes nothing from there.
            Value x = prologue->apply(ta, args, aTile, mean, rstd, ka, aMask);
            aTile = arith::SelectOp::create(nb, l, aMask, x,
                                            ta.floatConst(element, 0.0));
          }
          TileBuilder tb{nb, l, {bk, bn}};
          Value kb = tb.add(tb.iota(0), tb.splat(k0));
          SmallVector<Value> kOnly(none);
          kOnly[kOnly.size() - 2] = kb;
          Value bMask = tb.both(tb.lessThan(kb, p.k), tb.lessThan(colsB, p.n));
          SmallVector<Value> next;
          for (auto [i, b] : llvm::enumerate(bs)) {
            auto [arg, layout, fixed] = b;
            Value bTile;
            if (std::optional<KernelPanels::Panels> read =
                    panels.lookup(arg, *layout, bk, bn)) {
              // The run of B's panel of these columns (the panel at n0 * K
              // padded) at rows kb: no mask, the padding is zero.
              Value start = arith::MulIOp::create(
                  nb, l, n0,
                  arith::ConstantIndexOp::create(nb, l,
                                                 read->layout.getPaddedRows()));
              Value bOff =
                  tb.add(tb.add(tb.splat(start), tb.mul(kb, bn)), tb.iota(1));
              bTile = tb.load(args[read->arg], bOff, Value());
            } else {
              Value bOff = tb.add(fixed, tb.viewOffset(*layout, kOnly, false));
              bTile = tb.load(args[arg], bOff, bMask);
            }
            next.push_back(tile::DotOp::create(nb, l, carried[i].getType(),
                                               aTile, bTile, carried[i],
                                               validRows));
          }
          return next;
        });
    Value result = loop.getResult(0);
    if (p.alpha != 1.0)
      result = arith::MulFOp::create(b, loc, result,
                                     cT.floatConst(element, p.alpha));
    if (part.c >= 0) {
      Value bias = cT.load(
          args[part.c], cT.broadcastOffset({place.rows, place.cols}, p.cShape),
          place.mask);
      if (p.beta != 1.0)
        bias =
            arith::MulFOp::create(b, loc, bias, cT.floatConst(element, p.beta));
      result = arith::AddFOp::create(b, loc, result, bias);
    }
    if (!part.epilogue)
      return SmallVector<Value>{result};
    SmallVector<Value> accs(loop.getResults());
    accs.front() = result;
    return part.epilogue(cT, accs, args, place.coords, place.mask);
  };
  // The tiles of `part` at its column tile `tileN`, stored.
  auto emitPart = [&](const MatmulPart &part, Value tileN) {
    Value n0 = scaled(tileN, bn);
    TilePlace place = placeTile(part, n0);
    SmallVector<Value> tiles = computeTile(part, n0, place);
    for (auto [i, tile, out] : llvm::enumerate(tiles, part.outputs))
      cT.store(tile, outputArgs[out], outputOffsets(part, i, place),
               place.mask);
  };

  if (chain) {
    // The loop over blocks of the intermediate's columns: each block the
    // first part's epilogue computes (zero outside the intermediate), times
    // the rows of the second B it meets, into the accumulator of whole rows
    // of the result.
    const MatmulPart &part = parts.front();
    int64_t columns = chain->columns;
    int64_t bc = chainColumns;
    TileBuilder oT{b, loc, {bm, bc}};
    auto loop = scf::ForOp::create(
        b, loc, oT.scalarIndex(0), oT.scalarIndex(part.p.n), oT.scalarIndex(bn),
        ValueRange{oT.floatConst(element, 0.0)},
        [&](OpBuilder &nb, Location l, Value n0, ValueRange carried) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToEnd(nb.getInsertionBlock());
          TilePlace place = placeTile(part, n0);
          Value link = arith::SelectOp::create(
              b, l, place.mask, computeTile(part, n0, place).front(),
              cT.floatConst(element, 0.0));
          TileBuilder wT{b, l, {bn, bc}};
          Value rowsB = wT.add(wT.iota(0), wT.splat(n0));
          Value colsB = wT.iota(1);
          Value bTile;
          if (std::optional<KernelPanels::Panels> read =
                  panels.lookup(chain->b, chain->layout, bn, bc)) {
            // Its one panel, rows and columns padded with zeros.
            bTile = wT.load(args[read->arg], wT.add(wT.mul(rowsB, bc), colsB),
                            Value());
          } else {
            SmallVector<Value> bCoords = splatAll(wT, batchCoords);
            bCoords.append({rowsB, colsB});
            bTile =
                wT.load(args[chain->b], wT.viewOffset(chain->layout, bCoords),
                        wT.both(wT.lessThan(rowsB, part.p.n),
                                wT.lessThan(colsB, columns)));
          }
          scf::YieldOp::create(
              b, l,
              ValueRange{tile::DotOp::create(b, l, carried[0].getType(), link,
                                             bTile, carried[0], validRows)});
        });
    Value rows = oT.add(oT.iota(0), oT.splat(m0));
    Value cols = oT.iota(1);
    Value mask =
        oT.both(oT.lessThan(rows, part.p.m), oT.lessThan(cols, columns));
    SmallVector<Value> coords = splatAll(oT, batchCoords);
    coords.append({rows, cols});
    SmallVector<Value> tiles =
        chain->epilogue(oT, {loop.getResult(0)}, args, coords, mask);
    if (row)
      tiles.assign(outputs.size(), row->normalize(oT, args, tiles.front(), cols,
                                                  mask, columns));
    for (auto [i, tile] : llvm::enumerate(tiles))
      oT.store(tile, outputArgs[i],
               oT.outputOffsets(
                   chain->outputLayouts, i, coords,
                   [&] {
                     return oT.add(oT.add(oT.mul(rows, columns), cols),
                                   oT.splat(scaled(batch, part.p.m * columns)));
                   }),
               mask);
    return;
  }
  if (row) {
    // A normalization of each row of the one part's result, its row
    // epilogue: each program computes every column of its rows, a loop over
    // column tiles storing the values to normalize where the results go
    // while summing them (or their squares, for RMSNorm); then a pass for
    // the squared deviations from the mean (LayerNorm); then a pass
    // normalizing what it stored. Each thread reads back only the elements
    // it stored itself (tiles of one shape), so no barrier is needed.
    const MatmulPart &part = parts.front();
    int64_t n = part.p.n;
    TileBuilder rT{b, loc, {bm}};
    auto nLoop = [&](ValueRange init, function_ref<SmallVector<Value>(
                                          Value, const TilePlace &, ValueRange)>
                                          body) {
      return scf::ForOp::create(
          b, loc, rT.scalarIndex(0), rT.scalarIndex(n), rT.scalarIndex(bn),
          init, [&](OpBuilder &nb, Location l, Value n0, ValueRange carried) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToEnd(nb.getInsertionBlock());
            SmallVector<Value> next = body(n0, placeTile(part, n0), carried);
            scf::YieldOp::create(b, l, next);
          });
    };
    Value zero = cT.floatConst(element, 0.0);
    auto rowSum = [&](Value carried, Value x, const TilePlace &place) {
      Value inside = arith::SelectOp::create(b, loc, place.mask, x, zero);
      return arith::AddFOp::create(
          b, loc, carried, cT.reduceRows(tile::ReduceKind::sum, inside));
    };
    auto square = [&](Value x) { return arith::MulFOp::create(b, loc, x, x); };
    Value stored = outputArgs[part.outputs.front()];
    auto readBack = [&](const TilePlace &place) {
      return cT.load(stored, outputOffsets(part, 0, place), place.mask);
    };
    Value invN = rT.floatConst(element, 1.0 / std::max<int64_t>(n, 1));
    Value firstPass =
        nLoop({rT.floatConst(element, 0.0)}, [&](Value n0,
                                                 const TilePlace &place,
                                                 ValueRange carried) {
          Value x = computeTile(part, n0, place).front();
          cT.store(x, stored, outputOffsets(part, 0, place), place.mask);
          return SmallVector<Value>{
              rowSum(carried[0], row->rms ? square(x) : x, place)};
        }).getResult(0);
    Value rowMean, squares = firstPass;
    if (!row->rms) {
      rowMean = arith::MulFOp::create(b, loc, firstPass, invN);
      squares =
          nLoop({rT.floatConst(element, 0.0)}, [&](Value,
                                                   const TilePlace &place,
                                                   ValueRange carried) {
            Value d = arith::SubFOp::create(b, loc, readBack(place),
                                            cT.perRow(rowMean));
            return SmallVector<Value>{rowSum(carried[0], square(d), place)};
          }).getResult(0);
    }
    Value rowRstd = row->rstd(rT, squares, n);
    nLoop({}, [&](Value, const TilePlace &place, ValueRange) {
      Value x = row->apply(cT, args, readBack(place), rowMean, rowRstd,
                           place.cols, place.mask);
      for (auto [i, out] : llvm::enumerate(part.outputs))
        cT.store(x, outputArgs[out], outputOffsets(part, i, place), place.mask);
      return SmallVector<Value>{};
    });
    return;
  }
  // Each program computes a tile of the part its x falls in: a branch per
  // part but the last, on the program id alone.
  for (auto [i, part] : llvm::enumerate(parts)) {
    Value tileN = tileX;
    if (firstTile[i] != 0)
      tileN = arith::SubIOp::create(
          b, loc, tileX, arith::ConstantIndexOp::create(b, loc, firstTile[i]));
    if (i + 1 == parts.size()) {
      emitPart(part, tileN);
      break;
    }
    Value inPart = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ult, tileX,
        arith::ConstantIndexOp::create(b, loc, firstTile[i + 1]));
    auto branch = scf::IfOp::create(b, loc, inPart, /*withElseRegion=*/true);
    b.setInsertionPoint(branch.thenBlock()->getTerminator());
    emitPart(part, tileN);
    b.setInsertionPoint(branch.elseBlock()->getTerminator());
  }
}

/// The problem of `op`, its operands read through `lhs` and `rhs`: as they
/// are, a 1-D operand a matrix of one row or column.
static MatmulProblem getMatmulProblem(graph::MatmulOp op,
                                      const graph::ViewLayout &lhs,
                                      const graph::ViewLayout &rhs) {
  graph::ViewLayout a = lhs, b = rhs;
  if (a.getRank() == 1)
    a = *a.reshape({1, a.getShape()[0]});
  if (b.getRank() == 1)
    b = *b.reshape({b.getShape()[0], 1});
  return makeProblem(a, b);
}

static graph::ViewLayout rowMajorOf(Value v) {
  return graph::ViewLayout::rowMajor(
      cast<RankedTensorType>(v.getType()).getShape());
}

struct MatmulLowering : LoweringPattern<graph::MatmulOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MatmulProblem p =
        getMatmulProblem(op, rowMajorOf(op.getLhs()), rowMajorOf(op.getRhs()));
    Value output = emitter.alloc(rewriter, op.getLoc(), op.getType());
    emitMatmul(emitter, rewriter, op.getLoc(), "matmul",
               {adaptor.getLhs(), adaptor.getRhs()}, 0, {output},
               {makePart(1, -1, p)});
    rewriter.replaceOp(op, output);
    return success();
  }
};

struct GemmLowering : LoweringPattern<graph::GemmOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    graph::ViewLayout a = rowMajorOf(op.getA()), b = rowMajorOf(op.getB());
    if (op.getTransA())
      a = a.permute({1, 0});
    if (op.getTransB())
      b = b.permute({1, 0});
    MatmulProblem p = makeProblem(a, b);
    p.alpha = op.getAlpha().convertToDouble();
    p.beta = op.getBeta().convertToDouble();
    SmallVector<Value> inputs{adaptor.getA(), adaptor.getB()};
    if (op.getC() && p.beta != 0.0) {
      inputs.push_back(adaptor.getC());
      p.cShape = Shape(cast<RankedTensorType>(op.getC().getType()).getShape());
    }
    Value output = emitter.alloc(rewriter, op.getLoc(), op.getType());
    emitMatmul(emitter, rewriter, op.getLoc(), "gemm", inputs, 0, {output},
               {makePart(1, inputs.size() == 3 ? 2 : -1, p)});
    rewriter.replaceOp(op, output);
    return success();
  }
};

/// Where a matmul or chain group's kernel reads the rows of its (first)
/// products' left operand `lhsValue`, and how it normalizes rows.
struct GroupRows {
  /// The left operand's argument and layout: the prologue's input, if any.
  unsigned lhs;
  graph::ViewLayout lhsLayout;
  /// A normalization of the left operand's rows (the prologue), and of the
  /// result's rows (the row epilogue, whose input the epilogue computes).
  std::optional<RowNorm> prologue, row;

  GroupRows(graph::FusionGroupOp group, Value lhsValue) {
    if (Operation *norm = group.getPrologue()) {
      prologue = getRowNorm(group, norm);
      lhsValue = norm->getOperand(0);
    }
    if (Operation *norm = group.getRowEpilogue())
      row = getRowNorm(group, norm);
    lhsLayout = traceGroupInput(group, lhsValue, lhs);
  }
  const RowNorm *getPrologue() const { return prologue ? &*prologue : nullptr; }
  const RowNorm *getRow() const { return row ? &*row : nullptr; }
};

/// The part of `group`'s kernel computing `products` (matmuls of one shape
/// sharing their left operand, read through `lhs`): the first one's B and
/// problem, the others' B operands.
static MatmulPart makeGroupPart(graph::FusionGroupOp group,
                                ArrayRef<Operation *> products,
                                const graph::ViewLayout &lhs) {
  MatmulPart part;
  auto first = cast<graph::MatmulOp>(products.front());
  part.p = getMatmulProblem(first, lhs,
                            traceGroupInput(group, first.getRhs(), part.b));
  for (Operation *op : products.drop_front()) {
    auto product = cast<graph::MatmulOp>(op);
    unsigned arg;
    graph::ViewLayout layout = traceGroupInput(group, product.getRhs(), arg);
    part.moreB.push_back({arg, getMatmulProblem(product, lhs, layout).b});
  }
  return part;
}

/// A matmul fusion group: the group's matrix products (their shared left
/// operand's rows normalized first when the group has a prologue), then
/// each one's elementwise ops computed on its accumulator tile (the
/// epilogue: bias, activation, scale, residual add) before the one store of
/// each of its results.
struct MatmulGroupLowering : LoweringPattern<graph::FusionGroupOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::FusionGroupOp group, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (group.getKind() != graph::FusionKind::matmul)
      return failure();
    Block &body = group.getBodyBlock();
    // The verifier's rules: graph.matmuls sharing their left operand, each
    // reading arguments or input views of them.
    auto matmuls = llvm::to_vector(body.getOps<graph::MatmulOp>());
    GroupRows rows(group, matmuls.front().getLhs());
    KernelEmitter::GroupBuffers buffers =
        emitter.allocGroupBuffers(rewriter, group, adaptor.getInputs());
    SmallVector<graph::ViewLayout> storeLayouts =
        KernelEmitter::getStoreLayouts(group);
    // One part per set of matmuls the same programs compute, writing the
    // results that compute from them.
    SmallVector<SmallVector<Operation *>> matmulParts = group.getMatmulParts();
    SmallVector<MatmulPart, 3> parts;
    for (ArrayRef<Operation *> products : matmulParts) {
      MatmulPart &part =
          parts.emplace_back(makeGroupPart(group, products, rows.lhsLayout));
      part.outputs.clear();
      for (unsigned i = 0, e = group.getNumResults(); i < e; ++i)
        if (matmulParts.size() == 1 ||
            llvm::is_contained(
                products,
                group.getMatmulOf(group.getStoredValue(i)).getOperation())) {
          part.outputs.push_back(i);
          part.outputLayouts.push_back(storeLayouts[i]);
        }
    }
    // The epilogues, which outlive the parts' references to them.
    SmallVector<std::function<SmallVector<Value>(
        const TileBuilder &, ArrayRef<Value>, ArrayRef<Value>, ArrayRef<Value>,
        Value)>>
        epilogues;
    for (size_t i = 0; i < parts.size(); ++i)
      epilogues.push_back(
          [&, products = matmulParts[i], results = parts[i].outputs](
              const TileBuilder &t, ArrayRef<Value> accs, ArrayRef<Value> args,
              ArrayRef<Value> coords, Value mask) -> SmallVector<Value> {
            IRMapping tiles;
            for (auto [product, acc] : llvm::zip_equal(products, accs))
              tiles.map(product->getResult(0), acc);
            return emitter.emitEpilogue(t, group, tiles, args, coords, mask,
                                        buffers.getStatus(args), results);
          });
    for (auto [part, epilogue] : llvm::zip_equal(parts, epilogues))
      part.epilogue = epilogue;
    emitMatmul(emitter, rewriter, group.getLoc(), getGroupName(group),
               buffers.inputs, rows.lhs, buffers.outputs, parts,
               rows.getPrologue(), rows.getRow(), group);
    rewriter.replaceOp(group, buffers.outputs);
    return success();
  }
};

/// A chain group (an MLP): the first products of the left operand
/// (normalized first when the group has a prologue), their epilogue up to
/// the second product's left operand, then the second product with its
/// epilogue (and row epilogue) on whole rows of the result, in one kernel.
struct ChainGroupLowering : LoweringPattern<graph::FusionGroupOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::FusionGroupOp group, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (group.getKind() != graph::FusionKind::chain)
      return failure();
    // The verifier's rules: first products sharing their left operand (or
    // its normalization, the prologue), whose epilogue computes the second
    // product's left operand, read by it alone.
    graph::MatmulOp second = group.getSecondProduct();
    SmallVector<Operation *> products;
    for (auto matmul : group.getBodyBlock().getOps<graph::MatmulOp>())
      if (matmul != second)
        products.push_back(matmul);
    GroupRows rows(group, cast<graph::MatmulOp>(products.front()).getLhs());
    KernelEmitter::GroupBuffers buffers =
        emitter.allocGroupBuffers(rewriter, group, adaptor.getInputs());
    MatmulPart part = makeGroupPart(group, products, rows.lhsLayout);
    Value link = second.getLhs();
    auto epilogue = [&](const TileBuilder &t, ArrayRef<Value> accs,
                        ArrayRef<Value> args, ArrayRef<Value> coords,
                        Value mask) -> SmallVector<Value> {
      IRMapping tiles;
      for (auto [product, acc] : llvm::zip_equal(products, accs))
        tiles.map(product->getResult(0), acc);
      return emitter.emitGroupValues(t, group, tiles, args, coords, mask,
                                     buffers.getStatus(args), {link});
    };
    part.epilogue = epilogue;
    ChainProduct chain;
    chain.layout =
        getMatmulProblem(second, rowMajorOf(link),
                         traceGroupInput(group, second.getRhs(), chain.b))
            .b;
    chain.columns = second.getType().getShape().back();
    chain.outputLayouts = KernelEmitter::getStoreLayouts(group);
    auto secondEpilogue = [&](const TileBuilder &t, ArrayRef<Value> accs,
                              ArrayRef<Value> args, ArrayRef<Value> coords,
                              Value mask) -> SmallVector<Value> {
      IRMapping tiles;
      tiles.map(second.getResult(), accs.front());
      return emitter.emitEpilogue(t, group, tiles, args, coords, mask,
                                  buffers.getStatus(args));
    };
    chain.epilogue = secondEpilogue;
    emitMatmul(emitter, rewriter, group.getLoc(), getGroupName(group),
               buffers.inputs, rows.lhs, buffers.outputs, {part},
               rows.getPrologue(), rows.getRow(), group, &chain);
    rewriter.replaceOp(group, buffers.outputs);
    return success();
  }
};

} // namespace

void graph_to_tile::populateMatmulPatterns(const TypeConverter &converter,
                                           RewritePatternSet &patterns,
                                           KernelEmitter &emitter) {
  patterns.add<MatmulLowering, GemmLowering, MatmulGroupLowering,
               ChainGroupLowering>(converter, patterns.getContext(), emitter);
}
