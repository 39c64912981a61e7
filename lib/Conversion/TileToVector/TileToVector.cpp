//===- TileToVector.cpp - Tile kernels on vectors for the host ------------===//
//
// On the host, a program's tiles are small static shapes (a 32x16 operand, a
// 4x256 row block): each becomes one n-D vector of the same shape, which the
// LLVM lowering keeps as an array of 1-D SIMD vectors. Elementwise math stays
// elementwise on vectors; tile.load and tile.store become one vector access
// per contiguous run (gathers and scatters where the offsets are not proved
// contiguous); tile.dot becomes a register-blocked microkernel over stack
// panels; tile.reduce becomes horizontal reductions or rows combined
// elementwise; math functions become polynomial approximations. The conversion
// is a dialect conversion: a kernel with an op it does not know stays on
// tensors, for the linalg path of meld-tile-to-cpu.
//
//===----------------------------------------------------------------------===//

#include "meld/Conversion/Passes.h"

#include "MaskedAccesses.h"
#include "Products.h"

#include "dialects/Tile/Analysis/AxisInfo.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <numeric>

namespace meld {
#define GEN_PASS_DEF_CONVERTTILETOVECTOR
#include "meld/Conversion/Passes.h.inc"
} // namespace meld

using namespace mlir;
using namespace meld;

namespace {

/// Every index tuple of `shape`, in row-major order, each a fresh vector.
static StaticTileOffsetRange indexTuples(ArrayRef<int64_t> shape) {
  return StaticTileOffsetRange(shape, SmallVector<int64_t>(shape.size(), 1));
}

/// The sub-vector of `v` at `position` (`v` itself at the empty position).
static Value extractAt(OpBuilder &b, Location loc, Value v,
                       ArrayRef<int64_t> position) {
  if (position.empty())
    return v;
  return vector::ExtractOp::create(b, loc, v, position);
}

/// A vector of `type` with every element `scalar` (zero when null).
static Value splat(OpBuilder &b, Location loc, VectorType type, Value scalar) {
  if (!scalar)
    return arith::ConstantOp::create(b, loc, type,
                                     cast<TypedAttr>(b.getZeroAttr(type)));
  return vector::BroadcastOp::create(b, loc, type, scalar);
}

/// Buffers of i1 hold one byte per element, while a vector of i1 in memory is
/// packed into bits: such buffers are accessed element by element.
static bool isPackedInVectors(Type element) {
  return element.isIntOrFloat() && element.getIntOrFloatBitWidth() % 8 != 0;
}

/// The vector type a tile's tensor type becomes. Where the kernel's index
/// math fits 32 bits, tiles of indices are vectors of i32: twice the lanes
/// per register, and divisions by constants that x86 does in SIMD.
struct TileTypeConverter : TypeConverter {
  explicit TileTypeConverter(bool index32) : index32(index32) {
    addConversion([](Type type) { return type; });
    addConversion([this](RankedTensorType type) -> std::optional<Type> {
      if (!type.hasStaticShape())
        return std::nullopt;
      return VectorType::get(type.getShape(),
                             convertElement(type.getElementType()));
    });
  }

  /// The element type of a tile of `element`s as a vector.
  Type convertElement(Type element) const {
    if (index32 && element.isIndex())
      return IntegerType::get(element.getContext(), 32);
    return element;
  }

  const bool index32;
};

/// `value`, an index or an integer scalar, as a scalar of type `type`.
static Value castIndex(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return arith::IndexCastOp::create(b, loc, type, value);
}

/// An element extracted from a tile of offsets, as an index.
static Value extractOffset(OpBuilder &b, Location loc, Value offsets,
                           ArrayRef<int64_t> position) {
  Value offset = vector::ExtractOp::create(b, loc, offsets, position);
  return castIndex(b, loc, offset, b.getIndexType());
}

/// arith and math ops that apply elementwise: the same op on vectors.
struct ConvertElementwise : ConversionPattern {
  ConvertElementwise(const TypeConverter &converter, MLIRContext *context)
      : ConversionPattern(converter, MatchAnyOpTypeTag(), /*benefit=*/1,
                          context) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isa<arith::ArithDialect, math::MathDialect>(op->getDialect()) ||
        !OpTrait::hasElementwiseMappableTraits(op) || op->getNumRegions())
      return failure();
    SmallVector<Type> types;
    if (failed(getTypeConverter()->convertTypes(op->getResultTypes(), types)))
      return failure();
    // With 32-bit index tiles, a cast to or from index is one between
    // integer widths.
    if (isa<arith::IndexCastOp, arith::IndexCastUIOp>(op)) {
      auto from = cast<VectorType>(operands[0].getType());
      auto to = cast<VectorType>(types[0]);
      unsigned fromWidth = from.getElementType().getIntOrFloatBitWidth();
      unsigned toWidth = to.getElementType().getIntOrFloatBitWidth();
      if (!from.getElementType().isIndex() && !to.getElementType().isIndex()) {
        Value result = operands[0];
        if (toWidth < fromWidth)
          result = arith::TruncIOp::create(rewriter, op->getLoc(), to, result);
        else if (toWidth > fromWidth && isa<arith::IndexCastOp>(op))
          result = arith::ExtSIOp::create(rewriter, op->getLoc(), to, result);
        else if (toWidth > fromWidth)
          result = arith::ExtUIOp::create(rewriter, op->getLoc(), to, result);
        rewriter.replaceOp(op, result);
        return success();
      }
    }
    OperationState state(op->getLoc(), op->getName(), operands, types,
                         op->getAttrs());
    rewriter.replaceOp(op, rewriter.create(state)->getResults());
    return success();
  }
};

/// A constant tile becomes a constant vector of the same elements.
struct ConvertConstant : OpConversionPattern<arith::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(arith::ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto elements = dyn_cast<DenseElementsAttr>(op.getValue());
    auto type = dyn_cast_or_null<VectorType>(
        getTypeConverter()->convertType(op.getType()));
    if (!elements || !type || type == op.getType())
      return failure();
    if (type.getElementType() != elements.getElementType()) {
      // Indices as i32.
      auto narrow = cast<IntegerType>(type.getElementType());
      elements = elements.mapValues(narrow, [&](const APInt &value) {
        return value.trunc(narrow.getWidth());
      });
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type,
                                                   elements.reshape(type));
    return success();
  }
};

struct ConvertSplat : OpConversionPattern<tensor::SplatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tensor::SplatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<VectorType>(getTypeConverter()->convertType(op.getType()));
    Value input = castIndex(rewriter, op.getLoc(), adaptor.getInput(),
                            type.getElementType());
    rewriter.replaceOpWithNewOp<vector::BroadcastOp>(op, type, input);
    return success();
  }
};

struct ConvertExtract : OpConversionPattern<tensor::ExtractOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tensor::ExtractOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<OpFoldResult> position =
        getAsOpFoldResult(adaptor.getIndices());
    // LLVM indexes only the innermost dimension of a vector at run time: a
    // kernel that extracts at a dynamic outer position stays on tensors.
    for (OpFoldResult index : ArrayRef<OpFoldResult>(position).drop_back())
      if (isa<Value>(index))
        return rewriter.notifyMatchFailure(op, "dynamic outer position");
    Value element = vector::ExtractOp::create(rewriter, op.getLoc(),
                                              adaptor.getTensor(), position);
    rewriter.replaceOp(op,
                       castIndex(rewriter, op.getLoc(), element, op.getType()));
    return success();
  }
};

/// Where each tile read by rows (meld-tile-epilogue-rows) is kept: a stack
/// buffer of its rows, written once after the tile is made.
using RowBuffers = DenseMap<Value, Value>;

/// `tensor.extract_slice` of one row at a run-time position (the row loop of
/// meld-tile-epilogue-rows) from a 2-D tile: LLVM indexes the rows of a
/// vector only at constant positions, so the tile is stored into a stack
/// buffer (once, where it is made) and the row read back.
struct ConvertRowSlice : OpConversionPattern<tensor::ExtractSliceOp> {
  ConvertRowSlice(const TypeConverter &converter, MLIRContext *context,
                  RowBuffers &buffers)
      : OpConversionPattern(converter, context), buffers(buffers) {}
  RowBuffers &buffers;

  LogicalResult
  matchAndRewrite(tensor::ExtractSliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto source = dyn_cast<VectorType>(adaptor.getSource().getType());
    if (!source || source.getRank() != 2 || op.getType().getRank() != 2 ||
        !isConstantIntValue(op.getMixedOffsets()[1], 0) ||
        !llvm::all_of(
            op.getMixedStrides(),
            [](OpFoldResult s) { return isConstantIntValue(s, 1); }) ||
        op.getStaticSizes() != ArrayRef<int64_t>{1, source.getDimSize(1)} ||
        source.getElementType().isInteger(1))
      return rewriter.notifyMatchFailure(op, "not one row of a 2-D tile");
    Location loc = op.getLoc();
    int64_t rows = source.getDimSize(0), columns = source.getDimSize(1);
    Value &buffer = buffers[op.getSource()];
    if (!buffer) {
      OpBuilder::InsertionGuard guard(rewriter);
      Value tile = adaptor.getSource();
      if (Operation *def = tile.getDefiningOp())
        rewriter.setInsertionPointAfter(def);
      else
        rewriter.setInsertionPointToStart(cast<BlockArgument>(tile).getOwner());
      buffer = memref::AllocaOp::create(
          rewriter, loc,
          MemRefType::get({rows * columns}, source.getElementType()));
      for (int64_t r = 0; r < rows; ++r)
        vector::StoreOp::create(rewriter, loc,
                                vector::ExtractOp::create(rewriter, loc, tile,
                                                          ArrayRef<int64_t>{r}),
                                buffer,
                                ValueRange{arith::ConstantIndexOp::create(
                                    rewriter, loc, r * columns)});
    }
    Value start = arith::MulIOp::create(
        rewriter, loc,
        getValueOrCreateConstantIndexOp(rewriter, loc, op.getMixedOffsets()[0]),
        arith::ConstantIndexOp::create(rewriter, loc, columns));
    Value row = vector::LoadOp::create(
        rewriter, loc, VectorType::get({columns}, source.getElementType()),
        buffer, start);
    rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(
        op, VectorType::get({1, columns}, source.getElementType()), row);
    return success();
  }
};

struct ConvertIota : OpConversionPattern<tile::IotaOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::IotaOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<VectorType>(getTypeConverter()->convertType(op.getType()));
    int64_t dim = op.getDim();
    unsigned width = type.getElementType().isIndex()
                         ? IndexType::kInternalStorageBitWidth
                         : type.getElementType().getIntOrFloatBitWidth();
    SmallVector<APInt> values;
    for (SmallVector<int64_t> index : indexTuples(type.getShape()))
      values.push_back(APInt(width, index[dim]));
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, type, DenseElementsAttr::get(type, values));
    return success();
  }
};

/// How the host moves the elements of a tile.load or tile.store: runs of
/// `run` consecutive offsets along the last dimension, each one vector
/// access, and whether the mask is one value over each run (else each run
/// is a masked access). Unlike the GPU's `contiguity`, a run need not start
/// at an aligned offset: x86 vector accesses need no alignment.
struct Access {
  int64_t run = 1;
  bool uniformMask = true;
};
using AccessMap = DenseMap<Operation *, Access>;

/// The accesses of `kernel`, from the axis analysis of its offsets and masks.
static AccessMap analyzeAccesses(tile::KernelOp kernel) {
  AccessMap accesses;
  DataFlowSolver solver;
  if (failed(tile::runAxisInfoAnalysis(solver, kernel)))
    return accesses;
  auto analyze = [&](Operation *op, Value offsets, Value mask, Type element) {
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(offsets.getType()).getShape();
    const tile::AxisInfo *offsetInfo = tile::lookupAxisInfo(solver, offsets);
    const tile::AxisInfo *maskInfo =
        mask ? tile::lookupAxisInfo(solver, mask) : nullptr;
    if (shape.empty() || !offsetInfo || (mask && !maskInfo) ||
        isPackedInVectors(element))
      return;
    int64_t last = shape.size() - 1;
    Access access;
    access.run = tile::getConsecutiveRun(*offsetInfo, shape);
    if (mask)
      access.uniformMask =
          std::gcd(maskInfo->getConstancy(last), shape[last]) % access.run == 0;
    accesses[op] = access;
  };
  kernel.walk([&](Operation *op) {
    if (auto load = dyn_cast<tile::LoadOp>(op))
      analyze(op, load.getOffsets(), load.getMask(),
              load.getType().getElementType());
    else if (auto store = dyn_cast<tile::StoreOp>(op))
      analyze(op, store.getOffsets(), store.getMask(),
              store.getValue().getType().getElementType());
  });
  return accesses;
}

/// The mask of the run of `length` elements at `position` of `mask`.
static Value runMask(OpBuilder &b, Location loc, Value mask,
                     ArrayRef<int64_t> position, int64_t length) {
  Value row = extractAt(b, loc, mask, position.drop_back());
  if (cast<VectorType>(row.getType()).getDimSize(0) == length)
    return row;
  return vector::ExtractStridedSliceOp::create(
      b, loc, row, ArrayRef<int64_t>{position.back()},
      ArrayRef<int64_t>{length}, ArrayRef<int64_t>{1});
}

struct ConvertLoad : OpConversionPattern<tile::LoadOp> {
  ConvertLoad(const TypeConverter &converter, MLIRContext *context,
              const AccessMap &accesses)
      : OpConversionPattern(converter, context), accesses(accesses) {}
  const AccessMap &accesses;
  LogicalResult
  matchAndRewrite(tile::LoadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<VectorType>(getTypeConverter()->convertType(op.getType()));
    Type element = type.getElementType();
    ArrayRef<int64_t> shape = type.getShape();
    Value buffer = adaptor.getBuffer();
    Value offsets = adaptor.getOffsets();
    Value mask = adaptor.getMask();
    Value other = adaptor.getOther();
    if (shape.empty()) {
      // One element: read it where the mask holds.
      Value offset = extractOffset(rewriter, loc, offsets, {});
      Value value;
      if (!mask) {
        value = memref::LoadOp::create(rewriter, loc, buffer, offset);
      } else {
        Value set = vector::ExtractOp::create(rewriter, loc, mask);
        Value fallback =
            other ? other
                  : arith::ConstantOp::create(
                        rewriter, loc,
                        cast<TypedAttr>(rewriter.getZeroAttr(element)));
        value =
            scf::IfOp::create(
                rewriter, loc, set,
                [&](OpBuilder &b, Location l) {
                  scf::YieldOp::create(
                      b, l,
                      memref::LoadOp::create(b, l, buffer, offset).getResult());
                },
                [&](OpBuilder &b, Location l) {
                  scf::YieldOp::create(b, l, fallback);
                })
                .getResult(0);
      }
      rewriter.replaceOpWithNewOp<vector::BroadcastOp>(op, type, value);
      return success();
    }

    int64_t last = shape.back();
    Access access = accesses.lookup(op);
    int64_t run = access.run;
    Value result = splat(rewriter, loc, type, other);
    if (run > 1) {
      // One vector read per run, at the run's first offset.
      auto runType = VectorType::get({run}, element);
      Value passthrough = splat(rewriter, loc, runType, other);
      Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
      bool safeRuns =
          cast<MemRefType>(buffer.getType()).getNumElements() >= run;
      SmallVector<int64_t> runs(shape);
      runs.back() = last / run;
      for (SmallVector<int64_t> position : indexTuples(runs)) {
        position.back() *= run;
        Value offset = extractOffset(rewriter, loc, offsets, position);
        Value value;
        if (mask && !access.uniformMask) {
          // The mask varies over the run (a ragged last column block): a
          // masked read, which touches none of the masked-off elements.
          value = vector::MaskedLoadOp::create(
              rewriter, loc, runType, buffer, offset,
              runMask(rewriter, loc, mask, position, run), passthrough);
        } else if (mask && safeRuns) {
          // One mask bit per run: a masked-off run reads the buffer's first
          // run instead (in bounds), then takes `other`. No branch, so the
          // rows stay straight-line code.
          Value set = vector::ExtractOp::create(rewriter, loc, mask, position);
          Value safe =
              arith::SelectOp::create(rewriter, loc, set, offset, zero);
          Value read =
              vector::LoadOp::create(rewriter, loc, runType, buffer, safe);
          value =
              arith::SelectOp::create(rewriter, loc, set, read, passthrough);
        } else if (mask) {
          // A buffer shorter than a run: a branch around the load.
          Value set = vector::ExtractOp::create(rewriter, loc, mask, position);
          value = scf::IfOp::create(
                      rewriter, loc, set,
                      [&](OpBuilder &b, Location l) {
                        scf::YieldOp::create(b, l,
                                             vector::LoadOp::create(
                                                 b, l, runType, buffer, offset)
                                                 .getResult());
                      },
                      [&](OpBuilder &b, Location l) {
                        scf::YieldOp::create(b, l, passthrough);
                      })
                      .getResult(0);
        } else {
          value =
              vector::LoadOp::create(rewriter, loc, runType, buffer, offset);
        }
        SmallVector<int64_t> strides(1, 1);
        result = vector::InsertStridedSliceOp::create(
            rewriter, loc, value, result, position, strides);
      }
      rewriter.replaceOp(op, result);
      return success();
    }

    // A gather per row. Masked-off elements read element 0 instead (every
    // offset is then in bounds) and are replaced after: an unmasked gather
    // needs no branch per element on targets without a gather instruction.
    auto rowType = VectorType::get({last}, element);
    auto rowMaskType = VectorType::get({last}, rewriter.getI1Type());
    Value passthrough = splat(rewriter, loc, rowType, other);
    Value allSet = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(rowMaskType, true));
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    bool nonEmpty = cast<MemRefType>(buffer.getType()).getNumElements() > 0;
    for (SmallVector<int64_t> position : indexTuples(shape.drop_back())) {
      Value rowOffsets = extractAt(rewriter, loc, offsets, position);
      Value row;
      if (!mask) {
        row = vector::GatherOp::create(rewriter, loc, rowType, buffer, zero,
                                       rowOffsets, allSet, passthrough);
      } else if (nonEmpty) {
        Value rowMask = extractAt(rewriter, loc, mask, position);
        Value first = splat(rewriter, loc,
                            cast<VectorType>(rowOffsets.getType()), Value());
        Value safe =
            arith::SelectOp::create(rewriter, loc, rowMask, rowOffsets, first);
        Value read = vector::GatherOp::create(rewriter, loc, rowType, buffer,
                                              zero, safe, allSet, passthrough);
        row =
            arith::SelectOp::create(rewriter, loc, rowMask, read, passthrough);
      } else {
        row = passthrough; // Nothing can be read from an empty buffer.
      }
      result = position.empty() ? row
                                : vector::InsertOp::create(rewriter, loc, row,
                                                           result, position)
                                      .getResult();
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ConvertStore : OpConversionPattern<tile::StoreOp> {
  ConvertStore(const TypeConverter &converter, MLIRContext *context,
               const AccessMap &accesses)
      : OpConversionPattern(converter, context), accesses(accesses) {}
  const AccessMap &accesses;
  LogicalResult
  matchAndRewrite(tile::StoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<VectorType>(adaptor.getValue().getType());
    ArrayRef<int64_t> shape = type.getShape();
    Value buffer = adaptor.getBuffer();
    Value offsets = adaptor.getOffsets();
    Value mask = adaptor.getMask();
    Value value = adaptor.getValue();
    if (shape.empty()) {
      Value offset = extractOffset(rewriter, loc, offsets, {});
      Value scalar = vector::ExtractOp::create(rewriter, loc, value);
      if (!mask) {
        memref::StoreOp::create(rewriter, loc, scalar, buffer, offset);
      } else {
        Value set = vector::ExtractOp::create(rewriter, loc, mask);
        scf::IfOp::create(rewriter, loc, set, [&](OpBuilder &b, Location l) {
          memref::StoreOp::create(b, l, scalar, buffer, offset);
          scf::YieldOp::create(b, l);
        });
      }
      rewriter.eraseOp(op);
      return success();
    }

    int64_t last = shape.back();
    Access access = accesses.lookup(op);
    int64_t run = access.run;
    if (run > 1) {
      // One vector write per run of each row, masked with `masked`.
      auto storeRow = [&](OpBuilder &b, ArrayRef<int64_t> leading,
                          bool masked) {
        Value row = extractAt(b, loc, value, leading);
        for (int64_t column = 0; column < last; column += run) {
          SmallVector<int64_t> position(leading);
          position.push_back(column);
          Value offset = extractOffset(b, loc, offsets, position);
          Value slice = row;
          if (run != last)
            slice = vector::ExtractStridedSliceOp::create(
                b, loc, row, ArrayRef<int64_t>{column}, ArrayRef<int64_t>{run},
                ArrayRef<int64_t>{1});
          if (masked && !access.uniformMask) {
            // A masked write: masked-off elements are left untouched.
            vector::MaskedStoreOp::create(b, loc, buffer, offset,
                                          runMask(b, loc, mask, position, run),
                                          slice);
          } else if (masked) {
            Value set = vector::ExtractOp::create(b, loc, mask, position);
            scf::IfOp::create(b, loc, set, [&](OpBuilder &ib, Location l) {
              vector::StoreOp::create(ib, l, slice, buffer, offset);
              scf::YieldOp::create(ib, l);
            });
          } else {
            vector::StoreOp::create(b, loc, slice, buffer, offset);
          }
        }
      };
      for (SmallVector<int64_t> leading : indexTuples(shape.drop_back())) {
        if (!mask || access.uniformMask) {
          storeRow(rewriter, leading, mask != nullptr);
          continue;
        }
        // The mask varies within runs (a ragged column edge), but most rows
        // are inside the edges: there, plain writes, and none where the
        // whole row is masked off (past the last row). A masked write costs
        // many times as much on some x86 cores (AMD's Zen 4, where its
        // masked-off elements cross a cache line or a page).
        Value rowMask = extractAt(rewriter, loc, mask, leading);
        Value whole = vector::ReductionOp::create(
            rewriter, loc, vector::CombiningKind::AND, rowMask);
        scf::IfOp::create(
            rewriter, loc, whole,
            [&](OpBuilder &b, Location l) {
              storeRow(b, leading, /*masked=*/false);
              scf::YieldOp::create(b, l);
            },
            [&](OpBuilder &b, Location l) {
              Value some = vector::ReductionOp::create(
                  b, l, vector::CombiningKind::OR, rowMask);
              scf::IfOp::create(b, l, some, [&](OpBuilder &ib, Location il) {
                storeRow(ib, leading, /*masked=*/true);
                scf::YieldOp::create(ib, il);
              });
              scf::YieldOp::create(b, l);
            });
      }
      rewriter.eraseOp(op);
      return success();
    }

    // A scatter per row.
    auto rowMaskType = VectorType::get({last}, rewriter.getI1Type());
    Value allSet = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(rowMaskType, true));
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    for (SmallVector<int64_t> position : indexTuples(shape.drop_back())) {
      auto extract = [&](Value v) {
        return extractAt(rewriter, loc, v, position);
      };
      vector::ScatterOp::create(rewriter, loc, /*resultType=*/Type(), buffer,
                                zero, extract(offsets),
                                mask ? extract(mask) : allSet, extract(value),
                                /*alignment=*/IntegerAttr());
    }
    rewriter.eraseOp(op);
    return success();
  }
};

/// `acc + a * b` as a row-major vector.contract, which lowerProducts turns
/// into the microkernel once the kernel is on vectors.
struct ConvertDot : OpConversionPattern<tile::DotOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::DotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, tile_to_vector::createProduct(rewriter, op.getLoc(), adaptor.getA(),
                                          adaptor.getB(), adaptor.getAcc(),
                                          adaptor.getRows()));
    return success();
  }
};

static vector::CombiningKind combiningKind(tile::ReduceKind kind,
                                           bool isFloat) {
  switch (kind) {
  case tile::ReduceKind::sum:
    return vector::CombiningKind::ADD;
  case tile::ReduceKind::max:
    return isFloat ? vector::CombiningKind::MAXIMUMF
                   : vector::CombiningKind::MAXSI;
  case tile::ReduceKind::min:
    return isFloat ? vector::CombiningKind::MINIMUMF
                   : vector::CombiningKind::MINSI;
  }
  llvm_unreachable("unknown reduction");
}

/// Along the last dimension, one horizontal reduction per row; along the
/// first, the rows combined elementwise in order; along another, the
/// dimension is moved last first.
struct ConvertReduce : OpConversionPattern<tile::ReduceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::ReduceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<VectorType>(input.getType());
    auto type = cast<VectorType>(getTypeConverter()->convertType(op.getType()));
    int64_t rank = inputType.getRank();
    int64_t dim = op.getDim();
    bool isFloat = isa<FloatType>(type.getElementType());
    vector::CombiningKind kind = combiningKind(op.getKind(), isFloat);

    if (dim == 0 && rank > 1) {
      Value result =
          vector::ExtractOp::create(rewriter, loc, input, ArrayRef<int64_t>{0});
      for (int64_t i = 1; i < inputType.getDimSize(0); ++i) {
        Value slice = vector::ExtractOp::create(rewriter, loc, input,
                                                ArrayRef<int64_t>{i});
        result = tile::buildReduceCombine(rewriter, loc, op.getKind(), result,
                                          slice);
      }
      rewriter.replaceOp(op, result);
      return success();
    }
    if (dim != rank - 1) {
      SmallVector<int64_t> permutation;
      for (int64_t d = 0; d < rank; ++d)
        if (d != dim)
          permutation.push_back(d);
      permutation.push_back(dim);
      input = vector::TransposeOp::create(rewriter, loc, input, permutation);
    }
    // Sums are reassociated: a tree of SIMD adds, not a serial chain.
    arith::FastMathFlags flags = isFloat && kind == vector::CombiningKind::ADD
                                     ? arith::FastMathFlags::reassoc
                                     : arith::FastMathFlags::none;
    auto reduceRow = [&](Value row) -> Value {
      return vector::ReductionOp::create(rewriter, loc, kind, row, flags);
    };
    if (rank == 1) {
      rewriter.replaceOpWithNewOp<vector::BroadcastOp>(op, type,
                                                       reduceRow(input));
      return success();
    }
    Value result = splat(rewriter, loc, type, Value());
    for (SmallVector<int64_t> position : indexTuples(type.getShape())) {
      Value row = vector::ExtractOp::create(rewriter, loc, input, position);
      result = vector::InsertOp::create(rewriter, loc, reduceRow(row), result,
                                        position);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The new dimensions are inserted as unit dimensions, then stretched.
struct ConvertBroadcast : OpConversionPattern<tile::BroadcastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::BroadcastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<VectorType>(getTypeConverter()->convertType(op.getType()));
    Value input = adaptor.getInput();
    auto inputType = cast<VectorType>(input.getType());
    if (inputType.getRank() == 0) {
      input = vector::ExtractOp::create(rewriter, loc, input);
    } else {
      SmallVector<int64_t> withUnits(type.getShape());
      for (int64_t dim : op.getDims())
        withUnits[dim] = 1;
      input = vector::ShapeCastOp::create(
          rewriter, loc, VectorType::get(withUnits, type.getElementType()),
          input);
    }
    rewriter.replaceOpWithNewOp<vector::BroadcastOp>(op, type, input);
    return success();
  }
};

/// Rarely taken: where any violation is set, the elements are gone through
/// in row-major order, as on the linalg path.
struct ConvertFault : OpConversionPattern<tile::FaultOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::FaultOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<VectorType>(adaptor.getViolations().getType());
    int64_t count = type.getNumElements();
    auto flat = [&](Value v) -> Value {
      auto vectorType = cast<VectorType>(v.getType());
      if (vectorType.getRank() == 1)
        return v;
      return vector::ShapeCastOp::create(
          rewriter, loc, VectorType::get({count}, vectorType.getElementType()),
          v);
    };
    Value violations = flat(adaptor.getViolations());
    Value detail = flat(adaptor.getDetail());
    Value any = vector::ReductionOp::create(
        rewriter, loc, vector::CombiningKind::OR, violations);
    Value status = adaptor.getStatus();
    int32_t site = op.getSite();
    scf::IfOp::create(rewriter, loc, any, [&](OpBuilder &b, Location l) {
      Value zero = arith::ConstantIndexOp::create(b, l, 0);
      Value end = arith::ConstantIndexOp::create(b, l, count);
      Value one = arith::ConstantIndexOp::create(b, l, 1);
      scf::ForOp::create(
          b, l, zero, end, one, ValueRange{},
          [&](OpBuilder &fb, Location fl, Value i, ValueRange) {
            OpFoldResult position = i;
            Value bad = vector::ExtractOp::create(fb, fl, violations, position);
            scf::IfOp::create(fb, fl, bad, [&](OpBuilder &tb, Location tl) {
              Value value = vector::ExtractOp::create(tb, tl, detail, position);
              tile::buildRecordFault(tb, tl, status, value, site);
              scf::YieldOp::create(tb, tl);
            });
            scf::YieldOp::create(fb, fl);
          });
      scf::YieldOp::create(b, l);
    });
    rewriter.eraseOp(op);
    return success();
  }
};

/// Math functions of f32 vectors become MLIR's polynomial approximations
/// (those of Eigen): SIMD code where LLVM would call libm once per element.
static void approximateMath(tile::KernelOp kernel) {
  SmallVector<Operation *> ops;
  kernel.walk([&](Operation *op) {
    if (isa<math::MathDialect>(op->getDialect()) && op->getNumResults() == 1 &&
        isa<VectorType>(op->getResult(0).getType()))
      ops.push_back(op);
  });
  if (ops.empty())
    return;
  RewritePatternSet patterns(kernel.getContext());
  populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
    return llvm::is_contained(
        {math::ErfOp::getOperationName(), math::ExpOp::getOperationName(),
         math::ExpM1Op::getOperationName(), math::LogOp::getOperationName(),
         math::Log1pOp::getOperationName(), math::Log2Op::getOperationName(),
         math::TanhOp::getOperationName()},
        name);
  });
  (void)applyOpPatternsGreedily(ops, std::move(patterns));
}

struct ConvertTileToVectorPass
    : meld::impl::ConvertTileToVectorBase<ConvertTileToVectorPass> {
  using Base::Base;
  void runOnOperation() override {
    tile::KernelOp kernel = getOperation();
    MLIRContext *context = &getContext();
    // A kernel with a row longer than a few SIMD registers (a 1-D tile of
    // 1024 elements) stays on the linalg path.
    WalkResult tooLong = kernel.walk([&](Operation *op) {
      for (Type type : op->getResultTypes())
        if (auto tensor = dyn_cast<RankedTensorType>(type))
          if (tensor.getRank() &&
              tensor.getShape().back() > kMaxVectorRowElements)
            return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (tooLong.wasInterrupted())
      return;
    AccessMap accesses = analyzeAccesses(kernel);
    TileTypeConverter converter(tile::fitsIndex32(kernel));
    ConversionTarget target(*context);
    auto onVectors = [&](Operation *op) {
      return converter.isLegal(op->getOperandTypes()) &&
             converter.isLegal(op->getResultTypes());
    };
    target.markUnknownOpDynamicallyLegal(onVectors);
    target.addIllegalOp<tile::IotaOp, tile::LoadOp, tile::StoreOp, tile::DotOp,
                        tile::ReduceOp, tile::BroadcastOp, tile::FaultOp>();
    RewritePatternSet patterns(context);
    patterns.add<ConvertElementwise>(converter, context);
    patterns.add<ConvertLoad, ConvertStore>(converter, context, accesses);
    RowBuffers rowBuffers;
    patterns.add<ConvertRowSlice>(converter, context, rowBuffers);
    patterns.add<ConvertConstant, ConvertSplat, ConvertExtract, ConvertIota,
                 ConvertDot, ConvertReduce, ConvertBroadcast, ConvertFault>(
        converter, context);
    scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns,
                                                         target);
    // A kernel with an op this conversion does not know is left on tensors
    // (the conversion rolls back), for the linalg path: not an error.
    ScopedDiagnosticHandler quiet(context,
                                  [](Diagnostic &) { return success(); });
    if (failed(applyFullConversion(kernel, target, std::move(patterns))))
      return;
    tile_to_vector::lowerProducts(kernel,
                                  tile_to_vector::getMicroBlock(registerBytes));
    approximateMath(kernel);
    splitMaskedAccesses(kernel);
  }

  /// Every masked read and write a register wide (see MaskedAccesses.h).
  void splitMaskedAccesses(tile::KernelOp kernel) {
    SmallVector<Operation *> ops;
    kernel.walk([&](Operation *op) {
      if (isa<vector::MaskedLoadOp, vector::MaskedStoreOp>(op))
        ops.push_back(op);
    });
    RewritePatternSet patterns(kernel.getContext());
    tile_to_vector::populateSplitMaskedAccessPatterns(patterns, registerBytes);
    (void)applyOpPatternsGreedily(ops, std::move(patterns));
  }
};

} // namespace
