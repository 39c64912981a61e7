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

/// A (batched) matrix product `out[b] = alpha * A[b] * B[b] + beta * C`, with
/// element (m, k) of A at `aBatch + m * aRow + k * aCol` and likewise for B.
struct MatmulProblem {
  int64_t m, n, k;
  Shape batchShape;               // Batch dimensions of the result.
  Shape aBatchShape, bBatchShape; // Batch dimensions of A and B (broadcast).
  int64_t aRow, aCol, bRow, bCol;
  double alpha = 1.0, beta = 1.0;
  Shape cShape; // Shape of C (broadcast to [m, n]); empty without C.
};

/// The offset of batch `batch` (a scalar linear index into the result's batch
/// dimensions) in an operand whose batch dimensions broadcast to them.
static Value batchOffset(OpBuilder &b, Location loc, Value batch,
                         ArrayRef<int64_t> resultBatch,
                         ArrayRef<int64_t> operandBatch, int64_t matrix) {
  Shape resultStrides = computeStrides(resultBatch);
  Shape operandStrides = computeStrides(operandBatch);
  int64_t lead = resultBatch.size() - operandBatch.size();
  Value offset = arith::ConstantIndexOp::create(b, loc, 0);
  for (auto [d, size] : llvm::enumerate(operandBatch)) {
    if (size == 1)
      continue;
    Value c = arith::DivUIOp::create(
        b, loc, batch,
        arith::ConstantIndexOp::create(b, loc, resultStrides[d + lead]));
    c = arith::RemUIOp::create(
        b, loc, c,
        arith::ConstantIndexOp::create(b, loc, resultBatch[d + lead]));
    offset = arith::AddIOp::create(
        b, loc, offset,
        arith::MulIOp::create(b, loc, c,
                              arith::ConstantIndexOp::create(
                                  b, loc, operandStrides[d] * matrix)));
  }
  return offset;
}

/// Computes the tiles a matrix-product kernel stores, one per output, from
/// the accumulator `acc` (alpha, beta and C applied) at result coordinates
/// `coords` (batch dimensions, then rows and columns) where `mask` holds;
/// `args` are the kernel's arguments.
using Epilogue = llvm::function_ref<SmallVector<Value>(
    const TileBuilder &, Value acc, ArrayRef<Value> args,
    ArrayRef<Value> coords, Value mask)>;

/// Emits the kernel of matrix product `p`, named `name`, reading A, B and C
/// (`c` < 0: none) from `inputs` at those positions and writing `outputs`:
/// one program per output tile, a loop over K with `tile.dot`, then
/// `epilogue` (the accumulator alone when null).
static void emitMatmul(KernelEmitter &emitter, RewriterBase &rewriter,
                       Location loc, StringRef name, ValueRange inputs,
                       unsigned a, unsigned bIndex, int c, ValueRange outputs,
                       const MatmulProblem &p, Epilogue epilogue = nullptr) {
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
  Value aBase =
      batchOffset(b, loc, batch, p.batchShape, p.aBatchShape, p.m * p.k);
  Value bBase =
      batchOffset(b, loc, batch, p.batchShape, p.bBatchShape, p.k * p.n);
  Value outBase = scaled(batch, p.m * p.n);

  TileBuilder aT{b, loc, {bm, bk}}, bT{b, loc, {bk, bn}}, cT{b, loc, {bm, bn}};
  Value rowsA = aT.add(aT.iota(0), aT.splat(m0));
  Value colsB = bT.add(bT.iota(1), bT.splat(n0));
  Value acc = cT.floatConst(element, 0.0);
  auto loop = scf::ForOp::create(
      b, loc, aT.scalarIndex(0), aT.scalarIndex(p.k), aT.scalarIndex(bk),
      ValueRange{acc},
      [&](OpBuilder &nb, Location l, Value k0, ValueRange carried) {
        TileBuilder ta{nb, l, {bm, bk}}, tb{nb, l, {bk, bn}};
        Value ka = ta.add(ta.iota(1), ta.splat(k0));
        Value aOff = ta.add(ta.add(ta.mul(rowsA, p.aRow), ta.mul(ka, p.aCol)),
                            ta.splat(aBase));
        Value aMask = ta.both(ta.lessThan(rowsA, p.m), ta.lessThan(ka, p.k));
        Value kb = tb.add(tb.iota(0), tb.splat(k0));
        Value bOff = tb.add(tb.add(tb.mul(kb, p.bRow), tb.mul(colsB, p.bCol)),
                            tb.splat(bBase));
        Value bMask = tb.both(tb.lessThan(kb, p.k), tb.lessThan(colsB, p.n));
        Value aTile = ta.load(args[a], aOff, aMask);
        Value bTile = tb.load(args[bIndex], bOff, bMask);
        Value next = tile::DotOp::create(nb, l, carried[0].getType(), aTile,
                                         bTile, carried[0]);
        scf::YieldOp::create(nb, l, next);
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
  SmallVector<Value> results{result};
  if (epilogue) {
    // The result coordinates: the batch's, splat, then rows and columns.
    SmallVector<Value> coords;
    Shape batchStrides = computeStrides(p.batchShape);
    for (auto [d, size] : llvm::enumerate(p.batchShape)) {
      Value coord = arith::DivUIOp::create(b, loc, batch,
                                           cT.scalarIndex(batchStrides[d]));
      if (d != 0)
        coord = arith::RemUIOp::create(b, loc, coord, cT.scalarIndex(size));
      coords.push_back(cT.splat(coord));
    }
    coords.push_back(rows);
    coords.push_back(cols);
    results = epilogue(cT, result, args, coords, mask);
  }
  Value outOff = cT.add(cT.add(cT.mul(rows, p.n), cols), cT.splat(outBase));
  for (auto [tile, out] :
       llvm::zip_equal(results, ArrayRef(args).take_back(outputs.size())))
    cT.store(tile, out, outOff, mask);
}

/// The problem of `op`: A and B as they are (a 1-D operand a matrix of one
/// row or column), batch dimensions broadcast.
static MatmulProblem getMatmulProblem(graph::MatmulOp op) {
  Shape lhs(cast<RankedTensorType>(op.getLhs().getType()).getShape());
  Shape rhs(cast<RankedTensorType>(op.getRhs().getType()).getShape());
  if (lhs.size() == 1)
    lhs.insert(lhs.begin(), 1);
  if (rhs.size() == 1)
    rhs.push_back(1);
  MatmulProblem p;
  p.m = lhs[lhs.size() - 2];
  p.k = lhs.back();
  p.n = rhs.back();
  p.aBatchShape = Shape(ArrayRef(lhs).drop_back(2));
  p.bBatchShape = Shape(ArrayRef(rhs).drop_back(2));
  // Result batch dimensions: the broadcast of both (inferred by the op).
  int64_t batchRank = std::max(p.aBatchShape.size(), p.bBatchShape.size());
  p.batchShape = Shape(batchRank, 1);
  for (int64_t i = 0; i < batchRank; ++i) {
    int64_t fromA = i - (batchRank - p.aBatchShape.size());
    int64_t fromB = i - (batchRank - p.bBatchShape.size());
    int64_t da = fromA >= 0 ? p.aBatchShape[fromA] : 1;
    int64_t db = fromB >= 0 ? p.bBatchShape[fromB] : 1;
    p.batchShape[i] = std::max(da, db);
  }
  p.aRow = p.k;
  p.aCol = 1;
  p.bRow = p.n;
  p.bCol = 1;
  return p;
}

struct MatmulLowering : LoweringPattern<graph::MatmulOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MatmulProblem p = getMatmulProblem(op);
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
    auto aShape = cast<RankedTensorType>(op.getA().getType()).getShape();
    auto bShape = cast<RankedTensorType>(op.getB().getType()).getShape();
    MatmulProblem p;
    bool ta = op.getTransA(), tb = op.getTransB();
    p.m = ta ? aShape[1] : aShape[0];
    p.k = ta ? aShape[0] : aShape[1];
    p.n = tb ? bShape[0] : bShape[1];
    p.aRow = ta ? 1 : p.k;
    p.aCol = ta ? p.m : 1;
    p.bRow = tb ? 1 : p.n;
    p.bCol = tb ? p.k : 1;
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

/// A matmul fusion group: the group's matrix product, then its elementwise
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
    // The verifier's rules: one graph.matmul, reading two of the arguments.
    auto matmul = *body.getOps<graph::MatmulOp>().begin();
    auto lhs = cast<BlockArgument>(matmul.getLhs());
    auto rhs = cast<BlockArgument>(matmul.getRhs());
    KernelEmitter::GroupBuffers buffers =
        emitter.allocGroupBuffers(rewriter, group, adaptor.getInputs());
    ArrayRef<int64_t> shape = matmul.getType().getShape();
    emitMatmul(
        emitter, rewriter, group.getLoc(), getGroupName(group), buffers.inputs,
        lhs.getArgNumber(), rhs.getArgNumber(), -1, buffers.outputs,
        getMatmulProblem(matmul),
        [&](const TileBuilder &t, Value acc, ArrayRef<Value> args,
            ArrayRef<Value> coords, Value mask) -> SmallVector<Value> {
          IRMapping tiles;
          tiles.map(matmul.getResult(), acc);
          for (BlockArgument arg : body.getArguments()) {
            if (llvm::all_of(arg.getUsers(), [&](Operation *user) {
                  return user == matmul.getOperation();
                }))
              continue;
            auto argShape = cast<RankedTensorType>(arg.getType()).getShape();
            tiles.map(arg, t.load(args[arg.getArgNumber()],
                                  t.broadcastOffset(coords, argShape), mask));
          }
          return emitter.emitGroupBody(
              t, body, tiles, coords, mask,
              buffers.faults ? args[buffers.inputs.size() - 1] : Value(),
              shape);
        });
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
