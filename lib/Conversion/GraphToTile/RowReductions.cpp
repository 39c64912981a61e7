//===- RowReductions.cpp - Row-wise kernels -------------------------------===//
//
// One program per block of rows, a loop over each row in chunks: reductions
// over any set of axes, softmax, layernorm and rmsnorm. Each body reads the
// op's operands and writes its result through a `RowIO`: the op's own
// buffers for a lone op, or the elementwise ops around it for a rows group
// (its prologue computed where the op reads it, its epilogue before the
// stores).
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "llvm/ADT/TypeSwitch.h"
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
  /// The indices of the program's rows, one per row ([BM]).
  Value programRows() const {
    return rows.add(rows.splat(firstRow), rows.iota(0));
  }
  void storeRows(Value value, Value buffer) const {
    Value ids = programRows();
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

/// How a row-wise kernel reads its op's operands and writes its result: from
/// and to the op's own buffers, or, in a rows group, computing the prologue
/// where the op reads it and the epilogue before the stores.
struct RowIO {
  /// Operand `i` of the op (broadcast to its input's shape) at the elements
  /// of chunk `c`, `other` where the chunk is masked off.
  std::function<Value(const TileBuilder &, const Chunk &, unsigned i,
                      TypedAttr other)>
      read;
  /// Writes the result at the elements of chunk `c` (of an op whose result
  /// has the input's shape).
  std::function<void(const TileBuilder &, const Chunk &, Value)> write;
  /// Writes the result of the program's rows, one value each (of a
  /// reduction).
  std::function<void(Value)> writeRows;
};

/// A reduction of `kind` over each row (the mean: the sum divided by the
/// count).
static void emitReduceBody(const RowKernel &k, const RowIO &io,
                           tile::ReduceKind kind, bool mean) {
  TypedAttr identity = tile::getReduceIdentity(k.rows.b, kind, k.element);
  Value acc = k.forEachChunk(
      {k.rows.constant(identity)},
      [&](const TileBuilder &t, ValueRange carried,
          const Chunk &c) -> SmallVector<Value> {
        Value x = io.read(t, c, 0, identity);
        return {tile::buildReduceCombine(t.b, t.loc, kind, carried[0],
                                         t.reduceRows(kind, x))};
      })[0];
  if (mean)
    acc = arith::DivFOp::create(
        k.rows.b, k.rows.loc, acc,
        k.rows.floatConst(k.element, static_cast<double>(k.p.length)));
  io.writeRows(acc);
}

/// A softmax of each row: its maxima, then the sums of exp(x - max), then
/// exp(x - max) / sum written.
static void emitSoftmaxBody(const RowKernel &k, const RowIO &io) {
  TypedAttr negInf = k.rows.b.getFloatAttr(
      k.element, -std::numeric_limits<double>::infinity());
  // Pass 1: the row maxima.
  Value maxima = k.forEachChunk(
      {k.rows.constant(negInf)},
      [&](const TileBuilder &t, ValueRange carried,
          const Chunk &c) -> SmallVector<Value> {
        Value x = io.read(t, c, 0, negInf);
        return {arith::MaximumFOp::create(
            t.b, t.loc, carried[0], t.reduceRows(tile::ReduceKind::max, x))};
      })[0];
  // exp(x - max); masked-off elements read -inf and contribute 0.
  auto shifted = [&](const TileBuilder &t, const Chunk &c) -> Value {
    Value x = io.read(t, c, 0, negInf);
    return math::ExpOp::create(
        t.b, t.loc, arith::SubFOp::create(t.b, t.loc, x, t.perRow(maxima)));
  };
  // Pass 2: the sums of exp(x - max).
  Value sums =
      k.forEachChunk({k.rows.floatConst(k.element, 0.0)},
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
                   io.write(t, c,
                            arith::DivFOp::create(t.b, t.loc, shifted(t, c),
                                                  t.perRow(sums)));
                   return {};
                 });
}

/// Layer normalization of each row (`rms`: root-mean-square normalization,
/// no mean and no bias): operand 1 is the scale, operand 2 (`hasBias`) the
/// bias.
static void emitNormBody(const RowKernel &k, const RowIO &io, float epsilon,
                         bool rms, bool hasBias) {
  TypedAttr zero = k.rows.b.getZeroAttr(k.element);
  Value invLength =
      k.rows.floatConst(k.element, 1.0 / static_cast<double>(k.p.length));
  // Sums over each row of `f(chunk)`, one value per row.
  auto rowSum =
      [&](llvm::function_ref<Value(const TileBuilder &, const Chunk &, Value)>
              f) {
        return k.forEachChunk({k.rows.constant(zero)},
                              [&](const TileBuilder &t, ValueRange carried,
                                  const Chunk &c) -> SmallVector<Value> {
                                Value x = f(t, c, io.read(t, c, 0, zero));
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
        b, loc,
        rowSum([](const TileBuilder &, const Chunk &, Value x) { return x; }),
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
                            k.rows.floatConst(k.element, epsilon)));
  k.forEachChunk(
      {},
      [&](const TileBuilder &t, ValueRange,
          const Chunk &c) -> SmallVector<Value> {
        Value x = io.read(t, c, 0, zero);
        if (mean)
          x = arith::SubFOp::create(t.b, t.loc, x, t.perRow(mean));
        Value y = arith::MulFOp::create(t.b, t.loc, x, t.perRow(rstd));
        y = arith::MulFOp::create(t.b, t.loc, y, io.read(t, c, 1, zero));
        if (hasBias)
          y = arith::AddFOp::create(t.b, t.loc, y, io.read(t, c, 2, zero));
        io.write(t, c, y);
        return {};
      });
}

/// The row-wise kernel body of `op` (one `getRowAxis` accepts, or a
/// reduction of any axes), reading and writing through `io`.
static void emitRowBody(Operation *op, const RowKernel &k, const RowIO &io) {
  TypeSwitch<Operation *>(op)
      .Case([&](graph::ReduceSumOp) {
        emitReduceBody(k, io, tile::ReduceKind::sum, false);
      })
      .Case([&](graph::ReduceMeanOp) {
        emitReduceBody(k, io, tile::ReduceKind::sum, true);
      })
      .Case([&](graph::ReduceMaxOp) {
        emitReduceBody(k, io, tile::ReduceKind::max, false);
      })
      .Case([&](graph::ReduceMinOp) {
        emitReduceBody(k, io, tile::ReduceKind::min, false);
      })
      .Case([&](graph::SoftmaxOp) { emitSoftmaxBody(k, io); })
      .Case([&](graph::LayerNormOp norm) {
        emitNormBody(k, io, norm.getEpsilon().convertToFloat(), false,
                     static_cast<bool>(norm.getBias()));
      })
      .Case([&](graph::RmsNormOp norm) {
        emitNormBody(k, io, norm.getEpsilon().convertToFloat(), true, false);
      });
}

/// The axes a row-wise op reduces or normalizes.
static Shape getRowAxes(Operation *op) {
  if (auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes"))
    return Shape(axes.asArrayRef());
  int64_t rank = cast<RankedTensorType>(op->getOperand(0).getType()).getRank();
  int64_t axis = cast<IntegerAttr>(op->getAttr("axis")).getInt();
  // A softmax normalizes its one axis, a normalization those from its axis.
  if (isa<graph::SoftmaxOp>(op))
    return {axis};
  return llvm::to_vector(llvm::seq(axis, rank));
}

/// A reduction or softmax outside any group: of axes that are not the
/// trailing ones (graph-to-tile puts every other row-wise op, normalizations
/// included, in a rows group), its own kernel over its input's buffer.
struct RowOpLowering : ConversionPattern {
  RowOpLowering(const TypeConverter &converter, MLIRContext *context,
                StringRef name, KernelEmitter &emitter)
      : ConversionPattern(converter, name, /*benefit=*/1, context),
        emitter(emitter) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    auto inputType = cast<RankedTensorType>(op->getOperand(0).getType());
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    RowProblem p = makeRowProblem(inputType.getShape(), getRowAxes(op));
    Value output = emitter.alloc(rewriter, op->getLoc(), type);
    rewriter.replaceOp(op, output);
    if (type.getNumElements() == 0)
      return success();
    SmallVector<Value> buffers(operands);
    buffers.push_back(output);
    emitRowKernel(
        emitter, rewriter, op->getLoc(), op->getName().stripDialect(), buffers,
        p, inputType.getElementType(), [&](const RowKernel &k) {
          RowIO io;
          io.read = [&](const TileBuilder &t, const Chunk &c, unsigned i,
                        TypedAttr other) -> Value {
            assert(i == 0 && "a reduction or softmax reads its input alone");
            return k.load(t, k.args[0], c, other);
          };
          io.write = [&](const TileBuilder &t, const Chunk &c, Value y) {
            t.store(y, k.args.back(), c.offsets, c.mask);
          };
          io.writeRows = [&](Value acc) { k.storeRows(acc, k.args.back()); };
          emitRowBody(op, k, io);
        });
    return success();
  }

private:
  KernelEmitter &emitter;
};

/// A rows group: its row-wise op over the trailing axes, reading its
/// operands where the group's prologue computes them (each pass over a row
/// computes them again from the group's inputs), then the epilogue computed
/// on each chunk of the result (or on each row's value, for a reduction)
/// before the stores of every result.
struct RowsGroupLowering : LoweringPattern<graph::FusionGroupOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(graph::FusionGroupOp group, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (group.getKind() != graph::FusionKind::rows)
      return failure();
    Operation *rowOp = group.getRowOp();
    auto inputType = cast<RankedTensorType>(rowOp->getOperand(0).getType());
    auto resultType = cast<RankedTensorType>(rowOp->getResult(0).getType());
    RowProblem p = makeRowProblem(inputType.getShape(), getRowAxes(rowOp));
    KernelEmitter::GroupBuffers buffers =
        emitter.allocGroupBuffers(rewriter, group, adaptor.getInputs());
    rewriter.replaceOp(group, buffers.outputs);
    if (resultType.getNumElements() == 0)
      return success();
    SmallVector<graph::ViewLayout> storeLayouts =
        KernelEmitter::getStoreLayouts(group);
    SmallVector<Value> kernelBuffers(buffers.inputs);
    llvm::append_range(kernelBuffers, buffers.outputs);
    emitRowKernel(
        emitter, rewriter, group.getLoc(), getGroupName(group), kernelBuffers,
        p, inputType.getElementType(), [&](const RowKernel &k) {
          ArrayRef<Value> inputArgs = k.args.take_front(buffers.inputs.size());
          ArrayRef<Value> outputArgs = k.args.take_back(buffers.outputs.size());
          Value status = buffers.getStatus(inputArgs);
          GroupElements elements(group, inputArgs);
          // The coordinates in the input of a chunk's elements: the row's,
          // then the element's in the row (the trailing dimensions).
          auto coordsOf = [&](const TileBuilder &t, const Chunk &c) {
            SmallVector<Value> coords = t.delinearize(k.rowIds, p.rowShape);
            llvm::append_range(coords, t.delinearize(c.cols, p.elementShape));
            return coords;
          };
          // The epilogue on the row-wise op's result `y`, at `coords` of the
          // result, then every result stored.
          auto store = [&](const TileBuilder &t, Value y,
                           ArrayRef<Value> coords, Value mask) {
            IRMapping tiles;
            tiles.map(rowOp->getResult(0), y);
            SmallVector<Value> values = emitter.emitGroupBody(
                t, group, tiles, inputArgs, coords, mask, status);
            for (auto [value, layout, output] :
                 llvm::zip_equal(values, storeLayouts, outputArgs))
              t.store(value, output, t.viewOffset(layout, coords), mask);
          };
          RowIO io;
          io.read = [&](const TileBuilder &t, const Chunk &c, unsigned i,
                        TypedAttr other) -> Value {
            Value operand = rowOp->getOperand(i);
            SmallVector<Value> coords = t.broadcastCoords(
                coordsOf(t, c), inputType.getShape(),
                cast<RankedTensorType>(operand.getType()).getShape());
            // Elements outside the chunk may be anything: `other` there.
            return arith::SelectOp::create(
                t.b, t.loc, c.mask, elements.at(t, operand, coords, c.mask),
                t.constant(other));
          };
          io.write = [&](const TileBuilder &t, const Chunk &c, Value y) {
            store(t, y, coordsOf(t, c), c.mask);
          };
          io.writeRows = [&](Value acc) {
            const TileBuilder &r = k.rows;
            Value ids = k.programRows();
            store(r, acc, r.delinearize(ids, resultType.getShape()),
                  r.lessThan(ids, p.rows));
          };
          emitRowBody(rowOp, k, io);
        });
    return success();
  }
};

} // namespace

void graph_to_tile::populateRowReductionPatterns(const TypeConverter &converter,
                                                 RewritePatternSet &patterns,
                                                 KernelEmitter &emitter) {
  MLIRContext *context = patterns.getContext();
  for (StringRef name : {graph::ReduceSumOp::getOperationName(),
                         graph::ReduceMeanOp::getOperationName(),
                         graph::ReduceMaxOp::getOperationName(),
                         graph::ReduceMinOp::getOperationName(),
                         graph::SoftmaxOp::getOperationName()})
    patterns.add<RowOpLowering>(converter, context, name, emitter);
  patterns.add<RowsGroupLowering>(converter, context, emitter);
}
