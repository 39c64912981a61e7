//===- Products.cpp - Products on the host as register-blocked loops ------===//
//
// The product microkernel: each block of the result (MicroBlock: 8 rows of
// two AVX-512 registers) is loaded into registers once, accumulates a[i][k]
// broadcast times row k of b for every k in order (a multiply and an add,
// contracted into an FMA), and is stored back. Its operands are stack panels:
// a row-major (rows of a, a row stride), b row-major, the accumulators
// row-major.
//
// A product's K loop (an scf.for whose iteration values are each the
// accumulator of one contraction) is split so that the accumulators stay in
// registers across many K steps, not one: the loop runs in chunks of
// iterations, each chunk first storing the operands of all its iterations
// side by side into panels (kMaxPanelColumns columns of a at most, sized for
// the L2 cache), then running the microkernel over the chunk's panels. Each
// element still sums its products in the order of k: the chunks run in order
// and so do the steps inside one. Where b's rows are whole-row reads of a
// buffer the loop does not compute (a weight), the steps record where each
// row starts instead of copying it, and the microkernel reads b in place.
//
//===----------------------------------------------------------------------===//

#include "Products.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace meld;
using namespace meld::tile_to_vector;

MicroBlock tile_to_vector::getMicroBlock(int64_t registerBytes) {
  return {registerBytes >= 64 ? 8 : 4, 2 * registerBytes};
}

Value tile_to_vector::createProduct(OpBuilder &b, Location loc, Value a,
                                    Value bValue, Value acc, Value rows) {
  Type element = cast<VectorType>(acc.getType()).getElementType();
  auto widen = [&](Value v) -> Value {
    auto type = cast<VectorType>(v.getType());
    if (type.getElementType() == element)
      return v;
    if (isa<FloatType>(element))
      return arith::ExtFOp::create(b, loc, type.clone(element), v);
    return arith::ExtSIOp::create(b, loc, type.clone(element), v);
  };
  AffineExpr i, j, k;
  bindDims(b.getContext(), i, j, k);
  auto contract = vector::ContractionOp::create(
      b, loc, widen(a), widen(bValue), acc, {{i, k}, {k, j}, {i, j}},
      {vector::IteratorType::parallel, vector::IteratorType::parallel,
       vector::IteratorType::reduction});
  if (!rows)
    return contract;
  auto accType = cast<VectorType>(acc.getType());
  int64_t depth = cast<VectorType>(a.getType()).getDimSize(1);
  Value mask = vector::CreateMaskOp::create(
      b, loc,
      VectorType::get({accType.getDimSize(0), accType.getDimSize(1), depth},
                      b.getI1Type()),
      ValueRange{rows,
                 arith::ConstantIndexOp::create(b, loc, accType.getDimSize(1)),
                 arith::ConstantIndexOp::create(b, loc, depth)});
  return vector::maskOperation(b, contract, mask)->getResult(0);
}

namespace {

/// Columns of a's panel one chunk of a K loop fills at most: with 64x64
/// tiles, 128 KiB of panels, which the L2 cache holds.
constexpr int64_t kMaxPanelColumns = 256;

Value index(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

/// Stores row i of the 2-D vector `tile` at `buffer[start + i * stride]`.
void storeRows(OpBuilder &b, Location loc, Value tile, Value buffer,
               Value start, int64_t stride) {
  int64_t rows = cast<VectorType>(tile.getType()).getDimSize(0);
  for (int64_t i = 0; i < rows; ++i) {
    Value row = vector::ExtractOp::create(b, loc, tile, ArrayRef<int64_t>{i});
    Value at = arith::AddIOp::create(b, loc, start, index(b, loc, i * stride));
    vector::StoreOp::create(b, loc, row, buffer, at);
  }
}

/// The pieces `tile` (a 2-D vector) was built from by inserting 1-D pieces of
/// rows in `block`, newest first, if they cover every element once.
std::optional<SmallVector<vector::InsertStridedSliceOp>>
getRowPieces(Value tile, Block *block) {
  auto type = cast<VectorType>(tile.getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  SmallVector<vector::InsertStridedSliceOp> pieces;
  SmallVector<bool> covered(rows * cols, false);
  int64_t remaining = rows * cols;
  Value current = tile;
  while (remaining) {
    auto insert = current.getDefiningOp<vector::InsertStridedSliceOp>();
    if (!insert || insert.getSourceVectorType().getRank() != 1 ||
        insert->getBlock() != block)
      return std::nullopt;
    SmallVector<int64_t> offsets = getI64SubArray(insert.getOffsets());
    int64_t length = insert.getSourceVectorType().getDimSize(0);
    int64_t first = offsets[0] * cols + offsets[1];
    if (llvm::any_of(llvm::seq(first, first + length),
                     [&](int64_t e) { return covered[e]; }))
      return std::nullopt;
    for (int64_t e = first; e < first + length; ++e)
      covered[e] = true;
    remaining -= length;
    pieces.push_back(insert);
    current = insert.getDest();
  }
  return pieces;
}

/// As storeRows, but where `tile` was built by inserting pieces of rows
/// (what a converted tile.load is), each piece is stored right where it is
/// inserted: its registers are then free before the next piece is read,
/// where storing the whole tile after it is built keeps every row live at
/// once (64 registers for a 16x64 tile, spilled).
void storeTile(OpBuilder &b, Location loc, Value tile, Value buffer,
               Value start, int64_t stride) {
  std::optional<SmallVector<vector::InsertStridedSliceOp>> pieces =
      getRowPieces(tile, b.getInsertionBlock());
  if (!pieces) {
    storeRows(b, loc, tile, buffer, start, stride);
    return;
  }
  OpBuilder::InsertionGuard guard(b);
  for (vector::InsertStridedSliceOp piece : *pieces) {
    SmallVector<int64_t> offsets = getI64SubArray(piece.getOffsets());
    b.setInsertionPointAfter(piece);
    Value at = arith::AddIOp::create(
        b, loc, start, index(b, loc, offsets[0] * stride + offsets[1]));
    vector::StoreOp::create(b, loc, piece.getValueToStore(), buffer, at);
  }
}

/// A product's b operand whose rows are each read whole from one buffer
/// defined outside the loop (a weight): the microkernel reads them there,
/// through a table of where each row starts, instead of from a copy.
struct DirectRows {
  Value buffer;
  /// Per row, where it starts in `buffer` (in the loop body).
  SmallVector<Value> offsets;
  /// Per row, the ops that compute it: the read (a vector.load or
  /// vector.maskedload), then the select on its mask bit if there is one.
  SmallVector<SmallVector<Operation *, 2>> reads;

  /// Whether row `row` is masked: by a bit (a select), by a mask of its
  /// columns (a masked read), or both.
  bool isMasked(int64_t row) const {
    return reads[row].size() > 1 ||
           isa<vector::MaskedLoadOp>(reads[row].front());
  }
  bool hasMask() const {
    return llvm::any_of(llvm::seq<int64_t>(0, reads.size()),
                        [&](int64_t row) { return isMasked(row); });
  }
};

/// `operand`'s rows as DirectRows, if each is one read of a row's length
/// (what tile.load becomes for a run of a row's length: masked by one bit,
/// by a mask of its columns at a ragged edge, or not at all).
std::optional<DirectRows> findDirectRows(Value operand, scf::ForOp loop) {
  Block *body = loop.getBody();
  auto type = cast<VectorType>(operand.getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  std::optional<SmallVector<vector::InsertStridedSliceOp>> pieces =
      getRowPieces(operand, body);
  if (!pieces || static_cast<int64_t>(pieces->size()) != rows)
    return std::nullopt;
  DirectRows direct;
  direct.offsets.resize(rows);
  direct.reads.resize(rows);
  for (vector::InsertStridedSliceOp piece : *pieces) {
    if (piece.getSourceVectorType().getDimSize(0) != cols)
      return std::nullopt;
    int64_t row = getI64SubArray(piece.getOffsets())[0];
    Value value = piece.getValueToStore();
    auto select = value.getDefiningOp<arith::SelectOp>();
    if (select) {
      if (isa<VectorType>(select.getCondition().getType()))
        return std::nullopt;
      value = select.getTrueValue();
    }
    Operation *read = value.getDefiningOp();
    if (!read)
      return std::nullopt;
    Value base, offset;
    llvm::TypeSwitch<Operation *>(read)
        .Case<vector::LoadOp, vector::MaskedLoadOp>([&](auto load) {
          if (load.getIndices().size() == 1) {
            base = load.getBase();
            offset = load.getIndices()[0];
          }
        });
    if (!base || !loop.isDefinedOutsideOfLoop(base) ||
        (direct.buffer && direct.buffer != base))
      return std::nullopt;
    direct.buffer = base;
    // With a mask, the read is at the row's start wherever the row is read
    // whole (and at 0 where its bit is off).
    direct.offsets[row] = offset;
    direct.reads[row].push_back(read);
    if (select)
      direct.reads[row].push_back(select);
  }
  return direct;
}

/// Whether row `row` of `direct` is read whole in the step `mapping` maps
/// the loop body to: its bit on and every column of its mask on.
Value isReadWhole(OpBuilder &b, Location loc, const DirectRows &direct,
                  int64_t row, IRMapping &mapping) {
  Value whole = arith::ConstantIntOp::create(b, loc, 1, 1);
  for (Operation *op : direct.reads[row]) {
    Value bit;
    if (auto select = dyn_cast<arith::SelectOp>(op))
      bit = mapping.lookupOrDefault(select.getCondition());
    else if (auto load = dyn_cast<vector::MaskedLoadOp>(op))
      bit =
          vector::ReductionOp::create(b, loc, vector::CombiningKind::AND,
                                      mapping.lookupOrDefault(load.getMask()));
    if (bit)
      whole = arith::AndIOp::create(b, loc, whole, bit);
  }
  return whole;
}

/// A stack buffer of `size` elements of `element`.
Value allocatePanel(OpBuilder &b, Location loc, int64_t size, Type element) {
  return memref::AllocaOp::create(b, loc, MemRefType::get({size}, element));
}

/// The rows of the 2-D vector `tile` in a new stack buffer, row-major.
Value packRows(OpBuilder &b, Location loc, Value tile) {
  auto type = cast<VectorType>(tile.getType());
  Value buffer =
      allocatePanel(b, loc, type.getNumElements(), type.getElementType());
  storeRows(b, loc, tile, buffer, index(b, loc, 0), type.getDimSize(1));
  return buffer;
}

/// The row-major contents of `buffer` as a vector of `type`.
Value loadRows(OpBuilder &b, Location loc, Value buffer, VectorType type) {
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  auto rowType = VectorType::get({cols}, type.getElementType());
  Value result = ub::PoisonOp::create(b, loc, type);
  for (int64_t i = 0; i < rows; ++i) {
    Value row = vector::LoadOp::create(b, loc, rowType, buffer,
                                       index(b, loc, i * cols));
    result =
        vector::InsertOp::create(b, loc, row, result, ArrayRef<int64_t>{i});
  }
  return result;
}

/// The largest power of two at most `limit` that divides `size`.
int64_t blockSize(int64_t size, int64_t limit) {
  int64_t block = 1;
  while (block * 2 <= limit && size % (block * 2) == 0)
    block *= 2;
  return block;
}

/// The operands of the microkernel: an m x n product over the values of k
/// from `kStart` (0 if null) to `depth`, a at `a[i * aStride + k]`, b at
/// `b[k * n + j]` (at `b[bRows[k] + j]` with a table of rows), the
/// accumulators at `c[i * n + j]`. With `rows`, only the first `rows` rows
/// are computed.
struct Panels {
  Value a, b, c;
  int64_t m, n, aStride;
  Value depth;
  Value bRows = {};
  Value kStart = {};
  Value rows = {};
};

/// Adds the products of the panels into their accumulators: blocks of
/// `block.rows` rows, and with `p.rows`, the rows of a last partial block
/// in blocks of half as many rows (twice as many columns), then a quarter,
/// and so on down to one.
void emitMicrokernel(OpBuilder &b, Location loc, MicroBlock block,
                     const Panels &p) {
  Type element = cast<MemRefType>(p.c.getType()).getElementType();
  bool isFloat = isa<FloatType>(element);
  int64_t elementBytes = element.getIntOrFloatBitWidth() / 8;
  int64_t mr = blockSize(p.m, block.rows);
  int64_t nr =
      blockSize(p.n, std::max<int64_t>(1, block.rowBytes / elementBytes));
  auto multiplyAdd = [&](OpBuilder &ob, Value accRow, Value scalar,
                         Value bRow) -> Value {
    Value broadcast =
        vector::BroadcastOp::create(ob, loc, accRow.getType(), scalar);
    if (isFloat) {
      auto contract = arith::FastMathFlags::contract;
      Value product = arith::MulFOp::create(ob, loc, broadcast, bRow, contract);
      return arith::AddFOp::create(ob, loc, accRow, product, contract);
    }
    Value product = arith::MulIOp::create(ob, loc, broadcast, bRow);
    return arith::AddIOp::create(ob, loc, accRow, product);
  };
  // The blocks of `rows` x `cols` whose first rows are from `from` to `to`.
  auto emitBlocks = [&](Value from, Value to, int64_t rows, int64_t cols) {
    auto blockRowType = VectorType::get({cols}, element);
    scf::ForOp::create(
        b, loc, from, to, index(b, loc, rows), ValueRange{},
        [&](OpBuilder &ib, Location, Value i0, ValueRange) {
          scf::ForOp::create(
              ib, loc, index(ib, loc, 0), index(ib, loc, p.n),
              index(ib, loc, cols), ValueRange{},
              [&](OpBuilder &jb, Location, Value j0, ValueRange) {
                // The block's accumulators, at c[i0 + r][j0 ...], and where
                // its rows of a start.
                SmallVector<Value> cOffsets, aStarts, accs;
                for (int64_t r = 0; r < rows; ++r) {
                  Value row =
                      arith::AddIOp::create(jb, loc, i0, index(jb, loc, r));
                  Value start =
                      arith::MulIOp::create(jb, loc, row, index(jb, loc, p.n));
                  cOffsets.push_back(arith::AddIOp::create(jb, loc, start, j0));
                  aStarts.push_back(arith::MulIOp::create(
                      jb, loc, row, index(jb, loc, p.aStride)));
                  accs.push_back(vector::LoadOp::create(jb, loc, blockRowType,
                                                        p.c, cOffsets.back()));
                }
                auto kLoop = scf::ForOp::create(
                    jb, loc, p.kStart ? p.kStart : index(jb, loc, 0), p.depth,
                    index(jb, loc, 1), accs,
                    [&](OpBuilder &kb, Location, Value k, ValueRange iter) {
                      Value bStart =
                          p.bRows ? memref::LoadOp::create(kb, loc, p.bRows, k)
                                        .getResult()
                                  : arith::MulIOp::create(kb, loc, k,
                                                          index(kb, loc, p.n))
                                        .getResult();
                      Value bOffset =
                          arith::AddIOp::create(kb, loc, bStart, j0);
                      Value bRow = vector::LoadOp::create(kb, loc, blockRowType,
                                                          p.b, bOffset);
                      SmallVector<Value> next;
                      for (int64_t r = 0; r < rows; ++r) {
                        Value aOffset =
                            arith::AddIOp::create(kb, loc, aStarts[r], k);
                        Value scalar =
                            memref::LoadOp::create(kb, loc, p.a, aOffset);
                        next.push_back(multiplyAdd(kb, iter[r], scalar, bRow));
                      }
                      scf::YieldOp::create(kb, loc, next);
                    });
                for (int64_t r = 0; r < rows; ++r)
                  vector::StoreOp::create(jb, loc, kLoop.getResult(r), p.c,
                                          cOffsets[r]);
                scf::YieldOp::create(jb, loc);
              });
          scf::YieldOp::create(ib, loc);
        });
  };
  if (!p.rows) {
    emitBlocks(index(b, loc, 0), index(b, loc, p.m), mr, nr);
    return;
  }
  // Whole blocks up to the last row, then at most one block of each
  // smaller height (a power of two) for the rows left.
  Value bound = arith::MinUIOp::create(b, loc, p.rows, index(b, loc, p.m));
  Value end = index(b, loc, 0);
  for (int64_t rows = mr; rows >= 1; rows /= 2) {
    Value left = arith::SubIOp::create(b, loc, bound, end);
    Value blocks = arith::DivUIOp::create(b, loc, left, index(b, loc, rows));
    Value next = arith::AddIOp::create(
        b, loc, end,
        arith::MulIOp::create(b, loc, blocks, index(b, loc, rows)));
    emitBlocks(end, next, rows, blockSize(p.n, nr * (mr / rows)));
    end = next;
  }
}

/// Whether `op` is what createProduct makes.
bool isProduct(vector::ContractionOp op) {
  return op.getKind() == vector::CombiningKind::ADD &&
         isRowMajorMatmul(op.getIndexingMapsAttr()) &&
         op.getLhsType().getElementType() ==
             cast<VectorType>(op.getAccType()).getElementType();
}

/// A product createProduct made: its contraction, the op whose result is
/// the product (the contraction, or the vector.mask of its rows around it)
/// and the rows it computes (null: all).
struct Product {
  vector::ContractionOp contract;
  Operation *root;
  Value rows;
};

/// `op` as the root of a Product, if it is one.
std::optional<Product> matchProduct(Operation *op) {
  if (auto contract = dyn_cast_or_null<vector::ContractionOp>(op)) {
    if (!isProduct(contract) || isa<vector::MaskOp>(contract->getParentOp()))
      return std::nullopt;
    return Product{contract, contract, Value()};
  }
  auto mask = dyn_cast_or_null<vector::MaskOp>(op);
  if (!mask || mask.getPassthru())
    return std::nullopt;
  auto contract = dyn_cast_or_null<vector::ContractionOp>(mask.getMaskableOp());
  auto create = mask.getMask().getDefiningOp<vector::CreateMaskOp>();
  if (!contract || !isProduct(contract) || !create)
    return std::nullopt;
  // A mask of rows: every column, every value of k.
  if (getConstantIntValue(create.getOperand(1)) !=
          cast<VectorType>(contract.getAccType()).getDimSize(1) ||
      getConstantIntValue(create.getOperand(2)) !=
          contract.getLhsType().getDimSize(1))
    return std::nullopt;
  return Product{contract, mask, create.getOperand(0)};
}

/// Copies the rows k of `direct` read whole (where `setTable[k]` is on)
/// from `from` to `to` into `panel` (rows of `n`), from where `rowTable[k]`
/// says. The steps stored the others there already.
void copyRows(OpBuilder &b, Location loc, const DirectRows &direct,
              Value rowTable, Value setTable, Value panel, int64_t n,
              Value from, Value to) {
  scf::ForOp::create(
      b, loc, from, to, index(b, loc, 1), ValueRange{},
      [&](OpBuilder &kb, Location, Value k, ValueRange) {
        Value set = memref::LoadOp::create(kb, loc, setTable, k);
        auto rowType = VectorType::get(
            {n}, cast<MemRefType>(panel.getType()).getElementType());
        scf::IfOp::create(kb, loc, set, [&](OpBuilder &tb, Location) {
          Value start = memref::LoadOp::create(tb, loc, rowTable, k);
          Value row =
              vector::LoadOp::create(tb, loc, rowType, direct.buffer, start);
          Value at = arith::MulIOp::create(tb, loc, k, index(tb, loc, n));
          vector::StoreOp::create(tb, loc, row, panel, at);
          scf::YieldOp::create(tb, loc);
        });
        scf::YieldOp::create(kb, loc);
      });
}

/// A pattern that emits the microkernel with `block`.
template <typename OpT> struct ProductPattern : OpRewritePattern<OpT> {
  ProductPattern(MLIRContext *context, MicroBlock block)
      : OpRewritePattern<OpT>(context), block(block) {}
  MicroBlock block;
};

/// A product's K loop, in chunks: each chunk stores the operands of its
/// iterations into panels, then the microkernel runs over them.
///
///   scf.for %k = LB to UB step S iter_args(%acc = %init) {
///     ...
///     %d = vector.contract %a, %b, %acc
///     scf.yield %d
///   }
///
/// becomes (C = S x the steps a chunk holds)
///
///   c panel = %init
///   scf.for %c = LB to UB step C {
///     scf.for %k = %c to min(%c + C, UB) step S {
///       ...
///       store %a into a panel at column ((%k - %c) / S) x K of %a
///       store %b into b panel at that row
///     }
///     microkernel over the chunk's columns
///   }
///   result = c panel
struct SplitProductLoop : ProductPattern<scf::ForOp> {
  using ProductPattern::ProductPattern;

  LogicalResult matchAndRewrite(scf::ForOp loop,
                                PatternRewriter &rewriter) const override {
    std::optional<int64_t> lower = getConstantIntValue(loop.getLowerBound());
    std::optional<int64_t> upper = getConstantIntValue(loop.getUpperBound());
    std::optional<int64_t> step = getConstantIntValue(loop.getStep());
    if (!lower || !upper || !step || *step <= 0 || *upper <= *lower ||
        loop.getNumRegionIterArgs() == 0)
      return failure();
    Block *body = loop.getBody();
    auto yield = cast<scf::YieldOp>(body->getTerminator());
    SmallVector<vector::ContractionOp> products;
    SmallVector<Value> productRows;
    llvm::SmallPtrSet<Operation *, 2> deferred;
    for (auto [arg, yielded] :
         llvm::zip_equal(loop.getRegionIterArgs(), yield.getOperands())) {
      std::optional<Product> product = matchProduct(yielded.getDefiningOp());
      if (!product || product->root->getBlock() != body ||
          product->contract.getAcc() != arg || !arg.hasOneUse() ||
          !product->root->hasOneUse())
        return failure();
      products.push_back(product->contract);
      // Rows the loop computes are not known before it: all are computed.
      Value rows = product->rows;
      productRows.push_back(
          rows && loop.isDefinedOutsideOfLoop(rows) ? rows : Value());
      deferred.insert(product->root);
    }
    int64_t depth = products.front().getLhsType().getDimSize(1);
    for (vector::ContractionOp product : products)
      if (product.getLhsType().getDimSize(1) != depth)
        return failure();
    int64_t trips = llvm::divideCeil(*upper - *lower, *step);
    int64_t chunkSteps =
        std::min(trips, std::max<int64_t>(1, kMaxPanelColumns / depth));
    int64_t columns = chunkSteps * depth;

    Location loc = loop.getLoc();
    rewriter.setInsertionPoint(loop);
    // One panel per distinct operand (a dual product shares its a). A b
    // read in place (a weight) has tables of where its rows start and, for
    // masked rows, of whether each is read whole; its panel, only where it
    // has masked rows, holds a chunk's rows from the first one not read
    // whole.
    llvm::MapVector<Value, Value> aPanels, bPanels;
    llvm::MapVector<Value, DirectRows> directs;
    DenseMap<Value, Value> rowTables, setTables;
    bool anyMask = false;
    SmallVector<Value> cPanels;
    for (auto [product, init] : llvm::zip_equal(products, loop.getInitArgs())) {
      VectorType lhs = product.getLhsType(), rhs = product.getRhsType();
      Type element = lhs.getElementType();
      if (!aPanels.count(product.getLhs()))
        aPanels[product.getLhs()] =
            allocatePanel(rewriter, loc, lhs.getDimSize(0) * columns, element);
      cPanels.push_back(packRows(rewriter, loc, init));
      Value operand = product.getRhs();
      if (bPanels.count(operand) || directs.count(operand))
        continue;
      std::optional<DirectRows> direct = findDirectRows(operand, loop);
      if (!direct || direct->hasMask())
        bPanels[operand] =
            allocatePanel(rewriter, loc, columns * rhs.getDimSize(1), element);
      if (!direct)
        continue;
      rowTables[operand] = memref::AllocaOp::create(
          rewriter, loc, MemRefType::get({columns}, rewriter.getIndexType()));
      if (direct->hasMask()) {
        setTables[operand] = memref::AllocaOp::create(
            rewriter, loc, MemRefType::get({columns}, rewriter.getI1Type()));
        anyMask = true;
      }
      directs.insert({operand, std::move(*direct)});
    }
    Value stepValue = loop.getStep();
    Value chunkStep = index(rewriter, loc, chunkSteps * *step);
    scf::ForOp::create(
        rewriter, loc, loop.getLowerBound(), loop.getUpperBound(), chunkStep,
        ValueRange{}, [&](OpBuilder &cb, Location, Value chunk, ValueRange) {
          Value chunkEnd = arith::AddIOp::create(cb, loc, chunk, chunkStep);
          Value end =
              arith::MinSIOp::create(cb, loc, chunkEnd, loop.getUpperBound());
          // The first row of b's panel some b of the chunk does not read
          // whole (`columns` if none).
          SmallVector<Value> partialInit;
          if (anyMask)
            partialInit.push_back(index(cb, loc, columns));
          auto pack = scf::ForOp::create(
              cb, loc, chunk, end, stepValue, partialInit,
              [&](OpBuilder &kb, Location, Value k, ValueRange partial) {
                IRMapping mapping;
                mapping.map(loop.getInductionVar(), k);
                Value distance = arith::SubIOp::create(kb, loc, k, chunk);
                Value slot =
                    arith::DivUIOp::create(kb, loc, distance, stepValue);
                Value column =
                    arith::MulIOp::create(kb, loc, slot, index(kb, loc, depth));
                // Where this step's operands go: columns of a's panel, rows
                // of b's.
                DenseMap<Value, Value> bStarts;
                for (auto [operand, panel] : bPanels)
                  if (!directs.count(operand))
                    bStarts[operand] = arith::MulIOp::create(
                        kb, loc, column,
                        index(
                            kb, loc,
                            cast<VectorType>(operand.getType()).getDimSize(1)));
                // Each operand is stored as soon as it is computed, so that
                // its registers are free for the next.
                auto store = [&](Value operand) {
                  if (Value panel = aPanels.lookup(operand))
                    storeTile(kb, loc, mapping.lookupOrDefault(operand), panel,
                              column, columns);
                  if (Value panel = bPanels.lookup(operand);
                      panel && !directs.count(operand))
                    storeTile(
                        kb, loc, mapping.lookupOrDefault(operand), panel,
                        bStarts[operand],
                        cast<VectorType>(operand.getType()).getDimSize(1));
                };
                llvm::SetVector<Value> outside;
                for (vector::ContractionOp product : products)
                  for (Value operand : {product.getLhs(), product.getRhs()})
                    if (operand.getParentBlock() != body)
                      outside.insert(operand);
                for (Value operand : outside)
                  store(operand);
                for (Operation &op : body->without_terminator()) {
                  if (deferred.contains(&op))
                    continue;
                  kb.clone(op, mapping);
                  for (Value result : op.getResults())
                    store(result);
                }
                // Where this step's rows of each b read in place start.
                SmallVector<Value> next(partial);
                for (auto &[operand, direct] : directs) {
                  for (auto [row, offset] : llvm::enumerate(direct.offsets)) {
                    Value at = arith::AddIOp::create(kb, loc, column,
                                                     index(kb, loc, row));
                    memref::StoreOp::create(kb, loc,
                                            mapping.lookupOrDefault(offset),
                                            rowTables[operand], at);
                    if (!direct.hasMask())
                      continue;
                    Value set = isReadWhole(kb, loc, direct, row, mapping);
                    memref::StoreOp::create(kb, loc, set, setTables[operand],
                                            at);
                    next[0] = arith::SelectOp::create(
                        kb, loc, set, next[0],
                        arith::MinUIOp::create(kb, loc, next[0], at));
                    if (!direct.isMasked(row))
                      continue;
                    // A row not read whole goes into the panel now: it is
                    // read only then.
                    Value notWhole = arith::XOrIOp::create(
                        kb, loc, set,
                        arith::ConstantIntOp::create(kb, loc, 1, 1));
                    scf::IfOp::create(
                        kb, loc, notWhole, [&](OpBuilder &tb, Location) {
                          IRMapping local = mapping;
                          Operation *value = nullptr;
                          for (Operation *op : direct.reads[row])
                            value = tb.clone(*op, local);
                          Value start = arith::MulIOp::create(
                              tb, loc, at,
                              index(tb, loc,
                                    cast<VectorType>(operand.getType())
                                        .getDimSize(1)));
                          vector::StoreOp::create(tb, loc, value->getResult(0),
                                                  bPanels[operand], start);
                          scf::YieldOp::create(tb, loc);
                        });
                  }
                }
                scf::YieldOp::create(kb, loc, next);
              });
          // The chunk's steps, each `depth` columns of the panels.
          Value span = arith::SubIOp::create(cb, loc, end, chunk);
          Value steps = arith::CeilDivUIOp::create(cb, loc, span, stepValue);
          Value chunkDepth =
              arith::MulIOp::create(cb, loc, steps, index(cb, loc, depth));
          for (auto [product, rows, cPanel] :
               llvm::zip_equal(products, productRows, cPanels)) {
            VectorType acc = cast<VectorType>(product.getAccType());
            Value rhs = product.getRhs();
            Panels panels{aPanels[product.getLhs()],
                          bPanels.lookup(rhs),
                          cPanel,
                          acc.getDimSize(0),
                          acc.getDimSize(1),
                          columns,
                          chunkDepth};
            panels.rows = rows;
            auto it = directs.find(rhs);
            if (it == directs.end()) {
              emitMicrokernel(cb, loc, block, panels);
              continue;
            }
            Panels inPlace = panels;
            inPlace.b = it->second.buffer;
            inPlace.bRows = rowTables[rhs];
            if (!it->second.hasMask()) {
              emitMicrokernel(cb, loc, block, inPlace);
              continue;
            }
            // The rows before the first one not read whole (the last, short
            // K step; every row past a ragged edge of columns) are read in
            // place. The rows from there on are in the panel: the steps
            // stored those not read whole, the others are copied.
            Value first =
                arith::MinUIOp::create(cb, loc, pack.getResult(0), chunkDepth);
            inPlace.depth = first;
            emitMicrokernel(cb, loc, block, inPlace);
            Value rest = arith::CmpIOp::create(
                cb, loc, arith::CmpIPredicate::ult, first, chunkDepth);
            scf::IfOp::create(cb, loc, rest, [&](OpBuilder &tb, Location) {
              copyRows(tb, loc, it->second, rowTables[rhs], setTables[rhs],
                       panels.b, acc.getDimSize(1), first, chunkDepth);
              Panels tail = panels;
              tail.kStart = first;
              emitMicrokernel(tb, loc, block, tail);
              scf::YieldOp::create(tb, loc);
            });
          }
          scf::YieldOp::create(cb, loc);
        });
    SmallVector<Value> results;
    for (auto [product, cPanel] : llvm::zip_equal(products, cPanels))
      results.push_back(loadRows(rewriter, loc, cPanel,
                                 cast<VectorType>(product.getAccType())));
    rewriter.replaceOp(loop, results);
    return success();
  }
};

/// Any other product: its operands and accumulators packed into panels, the
/// microkernel over them.
template <typename OpT> struct LowerProduct : ProductPattern<OpT> {
  using ProductPattern<OpT>::ProductPattern;

  LogicalResult matchAndRewrite(OpT root,
                                PatternRewriter &rewriter) const override {
    std::optional<Product> product = matchProduct(root);
    if (!product)
      return failure();
    vector::ContractionOp op = product->contract;
    Location loc = op.getLoc();
    auto acc = cast<VectorType>(op.getAccType());
    int64_t depth = op.getLhsType().getDimSize(1);
    Panels panels{packRows(rewriter, loc, op.getLhs()),
                  packRows(rewriter, loc, op.getRhs()),
                  packRows(rewriter, loc, op.getAcc()),
                  acc.getDimSize(0),
                  acc.getDimSize(1),
                  depth,
                  index(rewriter, loc, depth)};
    panels.rows = product->rows;
    emitMicrokernel(rewriter, loc, this->block, panels);
    rewriter.replaceOp(root, loadRows(rewriter, loc, panels.c, acc));
    return success();
  }
};

} // namespace

void tile_to_vector::lowerProducts(Operation *root, MicroBlock block) {
  MLIRContext *context = root->getContext();
  {
    RewritePatternSet patterns(context);
    patterns.add<SplitProductLoop>(context, block);
    walkAndApplyPatterns(root, std::move(patterns));
  }
  RewritePatternSet patterns(context);
  patterns
      .add<LowerProduct<vector::ContractionOp>, LowerProduct<vector::MaskOp>>(
          context, block);
  walkAndApplyPatterns(root, std::move(patterns));
}
