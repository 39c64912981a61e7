//===- Matmul.cpp - Matrix products ---------------------------------------===//
//
// One program per output tile (and batch), a loop over K with `tile.dot`;
// Gemm's alpha, beta and C are applied to the accumulator before the store.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

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

/// A normalization of A's rows (over K) computed in the matmul kernel, its
/// prologue: `(a - mean) * rstd * scale + bias` (LayerNorm) or
/// `a * rstd * scale` (RMSNorm), the row statistics from a first pass over
/// the program's rows of A.
struct NormPrologue {
  bool rms;
  double epsilon;
  /// The kernel arguments and layouts (over [k]) of the scale and bias
  /// (`bias` < 0: none).
  unsigned scale;
  graph::ViewLayout scaleLayout;
  int bias = -1;
  graph::ViewLayout biasLayout;
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
/// the accumulator `acc` (alpha, beta and C applied) at result coordinates
/// `coords` (batch dimensions, then rows and columns) where `mask` holds;
/// `args` are the kernel's arguments.
using Epilogue = llvm::function_ref<SmallVector<Value>(
    const TileBuilder &, Value acc, ArrayRef<Value> args,
    ArrayRef<Value> coords, Value mask)>;

/// Emits the kernel of matrix product `p`, named `name`, reading A, B and C
/// (`c` < 0: none) from `inputs` at those positions and writing `outputs`
/// (row-major, or where `outputLayouts` place the result's coordinates):
/// one program per output tile, a loop over K with `tile.dot` (A's rows
/// normalized first by `prologue`, when given), then `epilogue` (the
/// accumulator alone when null).
static void emitMatmul(KernelEmitter &emitter, RewriterBase &rewriter,
                       Location loc, StringRef name, ValueRange inputs,
                       unsigned a, unsigned bIndex, int c, ValueRange outputs,
                       const MatmulProblem &p, Epilogue epilogue = nullptr,
                       ArrayRef<graph::ViewLayout> outputLayouts = {},
                       const NormPrologue *prologue = nullptr) {
  const ConvertGraphToTileOptions &options = emitter.getOptions();
  int64_t batches = computeProduct(p.batchShape);
  if (batches == 0 || p.m == 0 || p.n == 0)
    return;
  int64_t bm = std::min<int64_t>(options.matmulTileM, llvm::PowerOf2Ceil(p.m));
  int64_t bn = std::min<int64_t>(options.matmulTileN, llvm::PowerOf2Ceil(p.n));
  int64_t bk = std::min<int64_t>(options.matmulTileK,
                                 llvm::PowerOf2Ceil(std::max<int64_t>(p.k, 1)));
  SmallVector<Value> kernelBuffers(inputs);
  llvm::append_range(kernelBuffers, outputs);
  OpBuilder b =
      emitter.createKernel(rewriter, loc, name, kernelBuffers,
                           {ceilDiv(p.n, bn), ceilDiv(p.m, bm), batches});
  SmallVector<Value> args(b.getBlock()->getArguments());
  Type element = cast<MemRefType>(inputs[a].getType()).getElementType();
  auto pid = [&](int64_t dim) {
    return tile::ProgramIdOp::create(b, loc, b.getIndexType(),
                                     b.getI64IntegerAttr(dim));
  };
  auto scaled = [&](Value v, int64_t c) -> Value {
    return arith::MulIOp::create(b, loc, v,
                                 arith::ConstantIndexOp::create(b, loc, c));
  };
  Value n0 = scaled(pid(0), bn), m0 = scaled(pid(1), bm), batch = pid(2);
  // This program's coordinates in the batch dimensions.
  SmallVector<Value> batchCoords =
      delinearizeScalar(b, loc, batch, p.batchShape);
  auto splatAll = [](const TileBuilder &t, ArrayRef<Value> scalars) {
    return llvm::map_to_vector(scalars, [&](Value s) { return t.splat(s); });
  };

  TileBuilder aT{b, loc, {bm, bk}}, bT{b, loc, {bk, bn}}, cT{b, loc, {bm, bn}};
  Value rowsA = aT.add(aT.iota(0), aT.splat(m0));
  Value colsB = bT.add(bT.iota(1), bT.splat(n0));
  // The parts of the operands' offsets that do not change with K.
  SmallVector<Value> aCoords = splatAll(aT, batchCoords);
  aCoords.append({rowsA, Value()});
  Value aFixed = aT.viewOffset(p.a, aCoords);
  SmallVector<Value> bCoords = splatAll(bT, batchCoords);
  bCoords.append({Value(), colsB});
  Value bFixed = bT.viewOffset(p.b, bCoords);
  SmallVector<Value> none(p.batchShape.size() + 2, Value());
  // A block of A at K offset `k0` and where it lies inside A.
  auto loadA = [&](const TileBuilder &ta, Value k0) {
    Value ka = ta.add(ta.iota(1), ta.splat(k0));
    SmallVector<Value> kOnly(none);
    kOnly.back() = ka;
    Value aOff = ta.add(aFixed, ta.viewOffset(p.a, kOnly, false));
    Value aMask = ta.both(ta.lessThan(rowsA, p.m), ta.lessThan(ka, p.k));
    return std::make_tuple(ta.load(args[a], aOff, aMask), aMask, ka);
  };
  auto kLoop = [&](ValueRange init, function_ref<SmallVector<Value>(
                                        const TileBuilder &, Value, ValueRange)>
                                        body) {
    return scf::ForOp::create(
        b, loc, aT.scalarIndex(0), aT.scalarIndex(p.k), aT.scalarIndex(bk),
        init, [&](OpBuilder &nb, Location l, Value k0, ValueRange carried) {
          TileBuilder ta{nb, l, {bm, bk}};
          scf::YieldOp::create(nb, l, body(ta, k0, carried));
        });
  };
  // The prologue's row statistics: the mean (LayerNorm), then the mean of
  // squares (of deviations from the mean), two passes over the rows.
  Value mean, rstd;
  if (prologue) {
    TileBuilder rT{b, loc, {bm}};
    auto rowSum = [](const TileBuilder &ta, Value x) {
      return ta.reduceRows(tile::ReduceKind::sum, x);
    };
    Value invK = rT.floatConst(element, 1.0 / std::max<int64_t>(p.k, 1));
    if (!prologue->rms) {
      Value sum =
          kLoop({rT.floatConst(element, 0.0)}, [&](const TileBuilder &ta,
                                                   Value k0,
                                                   ValueRange carried) {
            auto [x, mask, ka] = loadA(ta, k0);
            return SmallVector<Value>{
                arith::AddFOp::create(ta.b, ta.loc, carried[0], rowSum(ta, x))};
          }).getResult(0);
      mean = arith::MulFOp::create(b, loc, sum, invK);
    }
    Value squares =
        kLoop({rT.floatConst(element, 0.0)}, [&](const TileBuilder &ta,
                                                 Value k0, ValueRange carried) {
          auto [x, mask, ka] = loadA(ta, k0);
          if (mean)
            x = arith::SelectOp::create(
                ta.b, ta.loc, mask,
                arith::SubFOp::create(ta.b, ta.loc, x, ta.perRow(mean)),
                ta.floatConst(element, 0.0));
          Value sq = arith::MulFOp::create(ta.b, ta.loc, x, x);
          return SmallVector<Value>{
              arith::AddFOp::create(ta.b, ta.loc, carried[0], rowSum(ta, sq))};
        }).getResult(0);
    rstd = math::RsqrtOp::create(
        b, loc,
        arith::AddFOp::create(b, loc,
                              arith::MulFOp::create(b, loc, squares, invK),
                              rT.floatConst(element, prologue->epsilon)));
  }
  auto loop = kLoop({cT.floatConst(element, 0.0)}, [&](const TileBuilder &ta,
                                                       Value k0,
                                                       ValueRange carried) {
    OpBuilder &nb = ta.b;
    Location l = ta.loc;
    auto [aTile, aMask, ka] = loadA(ta, k0);
    if (prologue) {
      // Normalized, scaled and shifted; zero outside A, so the product
      // takes nothing from there.
      Value x = aTile;
      if (mean)
        x = arith::SubFOp::create(nb, l, x, ta.perRow(mean));
      x = arith::MulFOp::create(nb, l, x, ta.perRow(rstd));
      x = arith::MulFOp::create(
          nb, l, x,
          ta.load(args[prologue->scale],
                  ta.viewOffset(prologue->scaleLayout, {ka}), aMask));
      if (prologue->bias >= 0)
        x = arith::AddFOp::create(
            nb, l, x,
            ta.load(args[prologue->bias],
                    ta.viewOffset(prologue->biasLayout, {ka}), aMask));
      aTile =
          arith::SelectOp::create(nb, l, aMask, x, ta.floatConst(element, 0.0));
    }
    TileBuilder tb{nb, l, {bk, bn}};
    Value kb = tb.add(tb.iota(0), tb.splat(k0));
    SmallVector<Value> kOnly(none);
    kOnly[kOnly.size() - 2] = kb;
    Value bOff = tb.add(bFixed, tb.viewOffset(p.b, kOnly, false));
    Value bMask = tb.both(tb.lessThan(kb, p.k), tb.lessThan(colsB, p.n));
    Value bTile = tb.load(args[bIndex], bOff, bMask);
    return SmallVector<Value>{tile::DotOp::create(nb, l, carried[0].getType(),
                                                  aTile, bTile, carried[0])};
  });
  Value result = loop.getResult(0);
  Value rows = cT.add(cT.iota(0), cT.splat(m0));
  Value cols = cT.add(cT.iota(1), cT.splat(n0));
  Value mask = cT.both(cT.lessThan(rows, p.m), cT.lessThan(cols, p.n));
  if (p.alpha != 1.0)
    result =
        arith::MulFOp::create(b, loc, result, cT.floatConst(element, p.alpha));
  if (c >= 0) {
    Value bias =
        cT.load(args[c], cT.broadcastOffset({rows, cols}, p.cShape), mask);
    if (p.beta != 1.0)
      bias =
          arith::MulFOp::create(b, loc, bias, cT.floatConst(element, p.beta));
    result = arith::AddFOp::create(b, loc, result, bias);
  }
  // The result coordinates: the batch's, splat, then rows and columns.
  SmallVector<Value> coords = splatAll(cT, batchCoords);
  coords.append({rows, cols});
  SmallVector<Value> results{result};
  if (epilogue)
    results = epilogue(cT, result, args, coords, mask);
  Value rowMajor;
  for (auto [i, tile, out] :
       llvm::enumerate(results, ArrayRef(args).take_back(outputs.size()))) {
    Value offsets;
    if (!outputLayouts.empty() && !outputLayouts[i].isRowMajor()) {
      offsets = cT.viewOffset(outputLayouts[i], coords);
    } else {
      if (!rowMajor)
        rowMajor = cT.add(cT.add(cT.mul(rows, p.n), cols),
                          cT.splat(scaled(batch, p.m * p.n)));
      offsets = rowMajor;
    }
    cT.store(tile, out, offsets, mask);
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
               {adaptor.getLhs(), adaptor.getRhs()}, 0, 1, -1, {output}, p);
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
    emitMatmul(emitter, rewriter, op.getLoc(), "gemm", inputs, 0, 1,
               inputs.size() == 3 ? 2 : -1, {output}, p);
    rewriter.replaceOp(op, output);
    return success();
  }
};

/// A matmul fusion group: the group's matrix product (its left operand's rows
/// normalized first when the group has a prologue), then its elementwise
/// ops computed on the accumulator tile (the epilogue: bias, activation,
/// scale, residual add) before the one store of each result.
struct MatmulGroupLowering : LoweringPattern<graph::FusionGroupOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::FusionGroupOp group, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (group.getKind() != graph::FusionKind::matmul)
      return failure();
    Block &body = group.getBodyBlock();
    // The verifier's rules: one graph.matmul, reading two of the arguments
    // or input views of them.
    auto matmul = *body.getOps<graph::MatmulOp>().begin();
    auto operand = [&](Value v, unsigned &argNumber) {
      return traceGroupInput(group, v, argNumber);
    };
    // A normalization of the left operand's rows is the prologue: A is its
    // input.
    Value lhsValue = matmul.getLhs();
    std::optional<NormPrologue> prologue;
    if (Operation *norm = group.getPrologue()) {
      int64_t k = cast<RankedTensorType>(lhsValue.getType()).getShape().back();
      auto param = [&](Value v, unsigned &argNumber) {
        return operand(v, argNumber).broadcast({k});
      };
      prologue.emplace();
      if (auto layerNorm = dyn_cast<graph::LayerNormOp>(norm)) {
        prologue->rms = false;
        prologue->epsilon = layerNorm.getEpsilon().convertToDouble();
        prologue->scaleLayout = param(layerNorm.getScale(), prologue->scale);
        if (Value bias = layerNorm.getBias()) {
          unsigned biasArg;
          prologue->biasLayout = param(bias, biasArg);
          prologue->bias = biasArg;
        }
      } else {
        auto rmsNorm = cast<graph::RmsNormOp>(norm);
        prologue->rms = true;
        prologue->epsilon = rmsNorm.getEpsilon().convertToDouble();
        prologue->scaleLayout = param(rmsNorm.getScale(), prologue->scale);
      }
      lhsValue = norm->getOperand(0);
    }
    unsigned lhs, rhs;
    graph::ViewLayout lhsLayout = operand(lhsValue, lhs);
    graph::ViewLayout rhsLayout = operand(matmul.getRhs(), rhs);
    KernelEmitter::GroupBuffers buffers =
        emitter.allocGroupBuffers(rewriter, group, adaptor.getInputs());
    emitMatmul(
        emitter, rewriter, group.getLoc(), getGroupName(group), buffers.inputs,
        lhs, rhs, -1, buffers.outputs,
        getMatmulProblem(matmul, lhsLayout, rhsLayout),
        [&](const TileBuilder &t, Value acc, ArrayRef<Value> args,
            ArrayRef<Value> coords, Value mask) -> SmallVector<Value> {
          IRMapping tiles;
          tiles.map(matmul.getResult(), acc);
          return emitter.emitGroupBody(
              t, group, tiles, args, coords, mask,
              buffers.faults ? args[buffers.inputs.size() - 1] : Value());
        },
        KernelEmitter::getStoreLayouts(group), prologue ? &*prologue : nullptr);
    rewriter.replaceOp(group, buffers.outputs);
    return success();
  }
};

} // namespace

void graph_to_tile::populateMatmulPatterns(const TypeConverter &converter,
                                           RewritePatternSet &patterns,
                                           KernelEmitter &emitter) {
  patterns.add<MatmulLowering, GemmLowering, MatmulGroupLowering>(
      converter, patterns.getContext(), emitter);
}
