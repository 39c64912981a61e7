//===- RowReductions.cpp - Row-wise kernels -------------------------------===//
//
// One program per block of rows, a loop over each row in chunks: reductions
// over any set of axes, softmax, layernorm and rmsnorm.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace meld;
using namespace meld::graph_to_tile;

namespace {

/// A row-wise problem: `rows` independent rows of `length` elements; element
/// `j` of row `r` is at `rowOffset(r) + elementOffset(j)` in the input.
struct RowProblem {
  int64_t rows, length;
  Shape rowShape, rowStrides;         // Coordinates of a row in the input.
  Shape elementShape, elementStrides; // Coordinates of an element in a row.
};

/// Splits `shape` into rows (the dimensions not in `reduced`) and elements (the
/// dimensions in `reduced`).
static RowProblem makeRowProblem(ArrayRef<int64_t> shape,
                                 ArrayRef<int64_t> reduced) {
  RowProblem p;
  Shape strides = computeStrides(shape);
  for (auto [d, size] : llvm::enumerate(shape)) {
    bool isReduced = llvm::is_contained(reduced, static_cast<int64_t>(d));
    (isReduced ? p.elementShape : p.rowShape).push_back(size);
    (isReduced ? p.elementStrides : p.rowStrides).push_back(strides[d]);
  }
  p.rows = computeProduct(p.rowShape);
  p.length = computeProduct(p.elementShape);
  return p;
}

/// One chunk of a program's rows: the offsets (shape [BM, BR]) of elements
/// `j0 + [0, BR)`, their mask, and the elements' indices in the row.
struct Chunk {
  Value offsets, mask, cols;
};

/// The body of a row-wise kernel: one program per block of `bm` rows, each
/// row walked in chunks of `br` elements.
struct RowKernel {
  const RowProblem &p;
  int64_t bm, br;
  Type element;
  ArrayRef<Value> args;
  TileBuilder rows;   // Tiles of shape [BM].
  TileBuilder chunks; // Tiles of shape [BM, BR].
  Value rowIds;       // [BM, BR]: the row of every element of a chunk.
  Value rowMask;      // [BM, BR]: the row exists.
  Value firstRow;     // The program's first row: program id * BM.

  /// Emits `for j0 in [0, length) step BR` carrying `init`; `body` returns the
  /// new carried values from the current ones and the chunk.
  ValueRange
  forEachChunk(ValueRange init,
               llvm::function_ref<SmallVector<Value>(const TileBuilder &,
                                                     ValueRange, const Chunk &)>
                   body) const {
    OpBuilder &b = chunks.b;
    auto loop = scf::ForOp::create(
        b, chunks.loc, chunks.scalarIndex(0), chunks.scalarIndex(p.length),
        chunks.scalarIndex(br), init,
        [&](OpBuilder &nested, Location loc, Value j0, ValueRange carried) {
          TileBuilder t{nested, loc, chunks.shape};
          scf::YieldOp::create(nested, loc, body(t, carried, chunk(t, j0)));
        });
    return loop.getResults();
  }

  Chunk chunk(const TileBuilder &t, Value j0) const {
    Value cols = t.add(t.iota(1), t.splat(j0));
    Value offset = t.index(0);
    for (auto [c, stride] :
         llvm::zip_equal(t.delinearize(rowIds, p.rowShape), p.rowStrides))
      offset = t.add(offset, t.mul(c, stride));
    for (auto [c, stride] :
         llvm::zip_equal(t.delinearize(cols, p.elementShape), p.elementStrides))
      offset = t.add(offset, t.mul(c, stride));
    return {offset, t.both(rowMask, t.lessThan(cols, p.length)), cols};
  }

  /// Loads a chunk of `buffer`, `other` where masked off.
  Value load(const TileBuilder &t, Value buffer, const Chunk &c,
             TypedAttr other) const {
    Value padding = arith::ConstantOp::create(t.b, t.loc, other);
    return tile::LoadOp::create(t.b, t.loc, t.tileType(element), buffer,
                                c.offsets, c.mask, padding);
  }
  /// Writes one value per row to `buffer` at the row's index.
  void storeRows(Value value, Value buffer) const {
    Value ids = rows.add(rows.splat(firstRow), rows.iota(0));
    rows.store(value, buffer, ids, rows.lessThan(ids, p.rows));
  }
};

/// Emits a row-wise kernel over `p` reading and writing `buffers`; `body`
/// fills it in.
static void emitRowKernel(KernelEmitter &emitter, RewriterBase &rewriter,
                          Location loc, StringRef name, ValueRange buffers,
                          const RowProblem &p, Type element,
                          llvm::function_ref<void(const RowKernel &)> body) {
  if (p.rows == 0)
    return;
  int64_t br = std::min<int64_t>(
      llvm::PowerOf2Ceil(std::max<int64_t>(p.length, 1)), 256);
  int64_t bm = std::max<int64_t>(
      1, std::min<int64_t>(emitter.getOptions().blockElements / br,
                           llvm::PowerOf2Ceil(p.rows)));
  OpBuilder b =
      emitter.createKernel(rewriter, loc, name, buffers, {ceilDiv(p.rows, bm)});
  SmallVector<Value> args(b.getBlock()->getArguments());
  TileBuilder chunks{b, loc, {bm, br}};
  Value pid = tile::ProgramIdOp::create(b, loc, b.getIndexType(),
                                        b.getI64IntegerAttr(0));
  Value firstRow = arith::MulIOp::create(b, loc, pid, chunks.scalarIndex(bm));
  Value rowIds = chunks.add(chunks.splat(firstRow), chunks.iota(0));
  RowKernel kernelBody{p,       bm,     br,
                       element, args,   TileBuilder{b, loc, {bm}},
                       chunks,  rowIds, chunks.lessThan(rowIds, p.rows),
                       firstRow};
  body(kernelBody);
}

/// A reduction of `kind` over the op's axes (the mean: the sum divided by
/// the count).
template <typename OpTy, tile::ReduceKind kind, bool mean = false>
struct ReduceLowering : LoweringPattern<OpTy> {
  using LoweringPattern<OpTy>::LoweringPattern;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    RowProblem p = makeRowProblem(inputType.getShape(), op.getAxes());
    Type element = inputType.getElementType();
    Value output = this->emitter.alloc(rewriter, op.getLoc(), op.getType());
    emitRowKernel(
        this->emitter, rewriter, op.getLoc(), op->getName().stripDialect(),
        {adaptor.getInput(), output}, p, element, [&](const RowKernel &k) {
          TypedAttr identity = tile::getReduceIdentity(k.rows.b, kind, element);
          Value acc = k.forEachChunk(
              {k.rows.constant(identity)},
              [&](const TileBuilder &t, ValueRange carried,
                  const Chunk &c) -> SmallVector<Value> {
                Value x = k.load(t, k.args[0], c, identity);
                return {tile::buildReduceCombine(t.b, t.loc, kind, carried[0],
                                                 t.reduceRows(kind, x))};
              })[0];
          if (mean)
            acc = arith::DivFOp::create(
                k.rows.b, k.rows.loc, acc,
                k.rows.floatConst(element, static_cast<double>(p.length)));
          k.storeRows(acc, k.args[1]);
        });
    rewriter.replaceOp(op, output);
    return success();
  }
};

struct SoftmaxLowering : LoweringPattern<graph::SoftmaxOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    RowProblem p =
        makeRowProblem(type.getShape(), {static_cast<int64_t>(op.getAxis())});
    Type element = type.getElementType();
    Value output = emitter.alloc(rewriter, op.getLoc(), type);
    rewriter.replaceOp(op, output);
    if (p.length == 0)
      return success();
    emitRowKernel(
        emitter, rewriter, op.getLoc(), "softmax", {adaptor.getInput(), output},
        p, element, [&](const RowKernel &k) {
          TypedAttr negInf = k.rows.b.getFloatAttr(
              element, -std::numeric_limits<double>::infinity());
          // Pass 1: the row maxima.
          Value maxima =
              k.forEachChunk({k.rows.constant(negInf)},
                             [&](const TileBuilder &t, ValueRange carried,
                                 const Chunk &c) -> SmallVector<Value> {
                               Value x = k.load(t, k.args[0], c, negInf);
                               return {arith::MaximumFOp::create(
                                   t.b, t.loc, carried[0],
                                   t.reduceRows(tile::ReduceKind::max, x))};
                             })[0];
          // exp(x - max); masked-off elements load -inf and contribute 0.
          auto shifted = [&](const TileBuilder &t, const Chunk &c) -> Value {
            Value x = k.load(t, k.args[0], c, negInf);
            return math::ExpOp::create(
                t.b, t.loc,
                arith::SubFOp::create(t.b, t.loc, x, t.perRow(maxima)));
          };
          // Pass 2: the sums of exp(x - max).
          Value sums = k.forEachChunk(
              {k.rows.floatConst(element, 0.0)},
              [&](const TileBuilder &t, ValueRange carried,
                  const Chunk &c) -> SmallVector<Value> {
                return {arith::AddFOp::create(
                    t.b, t.loc, carried[0],
                    t.reduceRows(tile::ReduceKind::sum, shifted(t, c)))};
              })[0];
          // Pass 3: write exp(x - max) / sum.
          k.forEachChunk({},
                         [&](const TileBuilder &t, ValueRange,
                             const Chunk &c) -> SmallVector<Value> {
                           Value y = arith::DivFOp::create(
                               t.b, t.loc, shifted(t, c), t.perRow(sums));
                           t.store(y, k.args[1], c.offsets, c.mask);
                           return {};
                         });
        });
    return success();
  }
};

/// Layer normalization (`rms`: root-mean-square normalization, no mean and
/// no bias) of the dimensions from `axis` on, in buffers `input`, `scale`,
/// `bias` (optional); returns the result's buffer.
static Value emitNorm(KernelEmitter &emitter, RewriterBase &rewriter,
                      Operation *op, Value input, Value scale, Value bias,
                      Value inputBuffer, Value scaleBuffer, Value biasBuffer,
                      int64_t axis, float epsilon, bool rms) {
  auto type = cast<RankedTensorType>(input.getType());
  Shape normalizedDims;
  for (int64_t d = axis; d < type.getRank(); ++d)
    normalizedDims.push_back(d);
  RowProblem p = makeRowProblem(type.getShape(), normalizedDims);
  Type element = type.getElementType();
  Value output = emitter.alloc(rewriter, op->getLoc(), type);
  if (p.length == 0)
    return output;
  SmallVector<Value> kernelBuffers{inputBuffer, scaleBuffer};
  if (bias)
    kernelBuffers.push_back(biasBuffer);
  kernelBuffers.push_back(output);
  auto scaleShape = cast<RankedTensorType>(scale.getType()).getShape();
  Shape biasShape;
  if (bias)
    biasShape = Shape(cast<RankedTensorType>(bias.getType()).getShape());
  emitRowKernel(
      emitter, rewriter, op->getLoc(), rms ? "rmsnorm" : "layernorm",
      kernelBuffers, p, element, [&](const RowKernel &k) {
        TypedAttr zero = k.rows.b.getZeroAttr(element);
        Value invLength =
            k.rows.floatConst(element, 1.0 / static_cast<double>(p.length));
        // Sums over each row of `f(chunk)`, one value per row.
        auto rowSum = [&](llvm::function_ref<Value(const TileBuilder &,
                                                   const Chunk &, Value)>
                              f) {
          return k.forEachChunk({k.rows.constant(zero)},
                                [&](const TileBuilder &t, ValueRange carried,
                                    const Chunk &c) -> SmallVector<Value> {
                                  Value x =
                                      f(t, c, k.load(t, k.args[0], c, zero));
                                  return {arith::AddFOp::create(
                                      t.b, t.loc, carried[0],
                                      t.reduceRows(tile::ReduceKind::sum, x))};
                                })[0];
        };
        OpBuilder &b = k.rows.b;
        Location loc = k.rows.loc;
        Value mean;
        if (!rms)
          mean = arith::MulFOp::create(
              b, loc, rowSum([](const TileBuilder &, const Chunk &, Value x) {
                return x;
              }),
              invLength);
        // The mean of squares (of deviations from the mean, for layernorm);
        // masked-off elements must not count.
        Value squares =
            rowSum([&](const TileBuilder &t, const Chunk &c, Value x) -> Value {
              if (mean)
                x = arith::SelectOp::create(
                    t.b, t.loc, c.mask,
                    arith::SubFOp::create(t.b, t.loc, x, t.perRow(mean)),
                    t.constant(zero));
              return arith::MulFOp::create(t.b, t.loc, x, x);
            });
        Value variance = arith::MulFOp::create(b, loc, squares, invLength);
        Value rstd = math::RsqrtOp::create(
            b, loc,
            arith::AddFOp::create(b, loc, variance,
                                  k.rows.floatConst(element, epsilon)));
        k.forEachChunk(
            {},
            [&](const TileBuilder &t, ValueRange,
                const Chunk &c) -> SmallVector<Value> {
              Value x = k.load(t, k.args[0], c, zero);
              if (mean)
                x = arith::SubFOp::create(t.b, t.loc, x, t.perRow(mean));
              Value y = arith::MulFOp::create(t.b, t.loc, x, t.perRow(rstd));
              // The parameters broadcast over the normalized dimensions: index
              // them by the element's coordinates in the row.
              SmallVector<Value> coords = t.delinearize(c.cols, p.elementShape);
              Value g = t.load(k.args[1], t.broadcastOffset(coords, scaleShape),
                               c.mask);
              y = arith::MulFOp::create(t.b, t.loc, y, g);
              if (bias) {
                Value beta = t.load(
                    k.args[2], t.broadcastOffset(coords, biasShape), c.mask);
                y = arith::AddFOp::create(t.b, t.loc, y, beta);
              }
              t.store(y, k.args.back(), c.offsets, c.mask);
              return {};
            });
      });
  return output;
}

struct LayerNormLowering : LoweringPattern<graph::LayerNormOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, emitNorm(emitter, rewriter, op, op.getInput(), op.getScale(),
                     op.getBias(), adaptor.getInput(), adaptor.getScale(),
                     adaptor.getBias(), op.getAxis(),
                     op.getEpsilon().convertToFloat(), /*rms=*/false));
    return success();
  }
};

struct RmsNormLowering : LoweringPattern<graph::RmsNormOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::RmsNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, emitNorm(emitter, rewriter, op, op.getInput(),
                                    op.getScale(), Value(), adaptor.getInput(),
                                    adaptor.getScale(), Value(), op.getAxis(),
                                    op.getEpsilon().convertToFloat(),
                                    /*rms=*/true));
    return success();
  }
};

} // namespace

void graph_to_tile::populateRowReductionPatterns(const TypeConverter &converter,
                                                 RewritePatternSet &patterns,
                                                 KernelEmitter &emitter) {
  patterns.add<ReduceLowering<graph::ReduceSumOp, tile::ReduceKind::sum>,
               ReduceLowering<graph::ReduceMeanOp, tile::ReduceKind::sum,
                              /*mean=*/true>,
               ReduceLowering<graph::ReduceMaxOp, tile::ReduceKind::max>,
               ReduceLowering<graph::ReduceMinOp, tile::ReduceKind::min>,
               SoftmaxLowering, LayerNormLowering, RmsNormLowering>(
      converter, patterns.getContext(), emitter);
}
