//===- EpilogueRows.cpp - Run a kernel's row-wise tail row by row ---------===//
//
// Finds the tail of a kernel that works row by row (its epilogue: after the
// products' and reductions' loops, the elementwise math, loads and stores of
// whole tiles) and moves it into an scf.for over the rows, each iteration on
// a [1, columns] slice. On the host, each tile op becomes code over every
// row of its tile; in the loop it is code over one row.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tile/Transforms/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace meld::tile {
#define GEN_PASS_DEF_TILEEPILOGUEROWS
#include "dialects/Tile/Transforms/Passes.h.inc"
} // namespace meld::tile

using namespace mlir;
using namespace meld;
using namespace meld::tile;

namespace {

/// Whether `op` is elementwise math on tiles of one shape.
static bool isElementwise(Operation *op) {
  if (op->getNumRegions() != 0 || op->getNumResults() != 1 || !isPure(op) ||
      !OpTrait::hasElementwiseMappableTraits(op))
    return false;
  Type type = op->getResult(0).getType();
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return false;
  return llvm::all_of(op->getOperandTypes(), [&](Type operand) {
    auto t = dyn_cast<RankedTensorType>(operand);
    return t && t.getShape() == tensor.getShape();
  });
}

/// Whether `op` builds a tile from nothing but scalars: a splat constant,
/// a `tensor.splat` or a `tile.iota`.
static bool isLeaf(Operation *op) {
  if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
    auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
    return dense && dense.isSplat() &&
           isa<RankedTensorType>(constant.getType());
  }
  return isa<tensor::SplatOp, IotaOp>(op);
}

/// Whether `op` has no tile among its operands and results.
static bool isScalar(Operation *op) {
  auto isTensor = [](Type type) { return isa<TensorType>(type); };
  return llvm::none_of(op->getOperandTypes(), isTensor) &&
         llvm::none_of(op->getResultTypes(), isTensor);
}

/// Whether `op` is a broadcast of a tile used whole in the row loop: a
/// column vector (broadcast along the rows) or a 0-D tile.
static bool broadcastsWhole(Operation *op) {
  auto broadcast = dyn_cast<BroadcastOp>(op);
  return broadcast && (broadcast.getDims()[0] == 0 ||
                       broadcast.getInput().getType().getRank() == 0);
}

/// The tail of one kernel and how it is moved into the row loop.
class Tail {
public:
  Tail(KernelOp kernel, int64_t minColumns)
      : kernel(kernel), minColumns(minColumns) {}

  /// Finds the tail; false where there is none worth a loop.
  bool find();
  /// Moves the tail into the row loop.
  void rewrite();

private:
  /// Whether `op` can be in the tail, its tiles of `rows` rows.
  bool fits(Operation *op);
  /// Whether `value`, a tile the tail reads from before it, can be had per
  /// row: rebuilt from scalars, or its row taken (not of a mask).
  bool isRowReadable(Value value);
  /// Whether a tile of `type` has the tail's rows (setting them at first).
  bool hasRows(Type type);
  /// The type of one row of the tile type `type`.
  Type rowType(Type type) const;
  /// The row `row` of `value` (a tile with the tail's rows), inside the
  /// loop.
  Value getRow(OpBuilder &b, Value value);

  KernelOp kernel;
  int64_t minColumns;
  int64_t rows = 0;
  bool wideStore = false;
  /// The tail's ops, in order.
  SmallVector<Operation *> ops;
  DenseSet<Operation *> inTail;
  /// Inside the loop: the row number, and each value's row.
  Value row;
  IRMapping rowOf;
};

bool Tail::hasRows(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || tensor.getRank() < 1 || tensor.getRank() > 2)
    return false;
  if (rows == 0)
    rows = tensor.getDimSize(0);
  return tensor.getDimSize(0) == rows;
}

Type Tail::rowType(Type type) const {
  auto tensor = cast<RankedTensorType>(type);
  SmallVector<int64_t> shape(tensor.getShape());
  shape[0] = 1;
  return tensor.clone(shape);
}

bool Tail::isRowReadable(Value value) {
  Operation *def = value.getDefiningOp();
  if (def && (isLeaf(def) || isElementwise(def)))
    return llvm::all_of(def->getOperands(), [&](Value operand) {
      return !isa<TensorType>(operand.getType()) || isRowReadable(operand);
    });
  return hasRows(value.getType()) &&
         !cast<RankedTensorType>(value.getType()).getElementType().isInteger(1);
}

bool Tail::fits(Operation *op) {
  if (isScalar(op))
    return isPure(op) && op->getNumRegions() == 0;
  // A 1-D tile the tail makes is per row: none may be broadcast along the
  // rows (a column vector).
  for (Value result : op->getResults())
    for (Operation *user : result.getUsers())
      if (auto broadcast = dyn_cast<BroadcastOp>(user);
          broadcast && broadcast.getDims()[0] == 0)
        return false;
  auto allRows = [&](TypeRange types) {
    return llvm::all_of(types, [&](Type type) { return hasRows(type); });
  };
  if (auto store = dyn_cast<StoreOp>(op)) {
    auto type = cast<RankedTensorType>(store.getValue().getType());
    if (!hasRows(type) || !hasRows(store.getOffsets().getType()) ||
        (store.getMask() && !hasRows(store.getMask().getType())))
      return false;
    wideStore |= type.getRank() == 2 && type.getDimSize(1) >= minColumns;
    return true;
  }
  if (auto load = dyn_cast<LoadOp>(op))
    return hasRows(load.getType()) && hasRows(load.getOffsets().getType()) &&
           (!load.getMask() || hasRows(load.getMask().getType()));
  if (auto broadcast = dyn_cast<BroadcastOp>(op)) {
    auto type = cast<RankedTensorType>(broadcast.getType());
    auto input = cast<RankedTensorType>(broadcast.getInput().getType());
    if (type.getRank() != 2 || !hasRows(type))
      return false;
    // A scalar, a row's value (broadcast along the columns) or a column
    // vector (along the rows), which its maker's check above keeps out of
    // the tail.
    return input.getRank() <= 1;
  }
  if (auto reduce = dyn_cast<ReduceOp>(op))
    return reduce.getDim() == 1 && hasRows(reduce.getInput().getType());
  if (isLeaf(op) || isElementwise(op))
    return allRows(op->getResultTypes());
  return false;
}

bool Tail::find() {
  Block &body = kernel.getBody().front();
  for (Operation &op : llvm::reverse(body.without_terminator())) {
    if (!fits(&op))
      break;
    ops.push_back(&op);
    inTail.insert(&op);
  }
  std::reverse(ops.begin(), ops.end());
  if (!wideStore || rows < 2)
    return false;
  // Every tile the tail reads from before it must be readable by rows.
  for (Operation *op : ops) {
    if (isScalar(op))
      continue;
    for (OpOperand &operand : op->getOpOperands()) {
      Value value = operand.get();
      Operation *def = value.getDefiningOp();
      if (!isa<TensorType>(value.getType()) || (def && inTail.contains(def)))
        continue;
      if (broadcastsWhole(op))
        continue;
      if (!isRowReadable(value))
        return false;
    }
  }
  return true;
}

Value Tail::getRow(OpBuilder &b, Value value) {
  if (Value known = rowOf.lookupOrNull(value))
    return known;
  Location loc = value.getLoc();
  Operation *def = value.getDefiningOp();
  auto type = cast<RankedTensorType>(value.getType());
  Value result;
  if (auto iota = dyn_cast_or_null<IotaOp>(def); iota && iota.getDim() == 0) {
    result = tensor::SplatOp::create(b, loc, rowType(type), row);
  } else if (auto constant = dyn_cast_or_null<arith::ConstantOp>(def);
             constant && isLeaf(def)) {
    auto dense = cast<DenseElementsAttr>(constant.getValue());
    result = arith::ConstantOp::create(
        b, loc, dense.resizeSplat(cast<ShapedType>(rowType(type))));
  } else if (def && (isLeaf(def) || isElementwise(def))) {
    // Rebuilt for the row, from the rows of its operands.
    for (Value operand : def->getOperands())
      if (isa<TensorType>(operand.getType()))
        getRow(b, operand);
    Operation *clone = b.clone(*def, rowOf);
    clone->getResult(0).setType(rowType(type));
    result = clone->getResult(0);
  } else if (type.getRank() == 2) {
    OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
    result = tensor::ExtractSliceOp::create(
        b, loc, cast<RankedTensorType>(rowType(type)), value,
        ArrayRef<OpFoldResult>{row, zero},
        ArrayRef<OpFoldResult>{one, b.getIndexAttr(type.getDimSize(1))},
        ArrayRef<OpFoldResult>{one, one});
  } else {
    Value element = tensor::ExtractOp::create(b, loc, value, row);
    result = tensor::SplatOp::create(b, loc, rowType(type), element);
  }
  rowOf.map(value, result);
  return result;
}

void Tail::rewrite() {
  Block &body = kernel.getBody().front();
  OpBuilder b(body.getTerminator());
  Location loc = kernel.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value count = arith::ConstantIndexOp::create(b, loc, rows);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(b, loc, zero, count, one);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  row = loop.getInductionVar();
  for (Operation *op : ops) {
    if (isScalar(op))
      continue;
    if (isLeaf(op)) {
      getRow(b, op->getResult(0));
      continue;
    }
    // Operands first: each tile by rows, but a column vector or a scalar
    // tile that is broadcast is used whole.
    if (!broadcastsWhole(op))
      for (Value operand : op->getOperands())
        if (isa<TensorType>(operand.getType()))
          getRow(b, operand);
    Operation *clone = b.clone(*op, rowOf);
    for (auto [result, cloned] :
         llvm::zip_equal(op->getResults(), clone->getResults())) {
      cloned.setType(rowType(result.getType()));
      rowOf.map(result, cloned);
    }
  }
  for (Operation *op : llvm::reverse(ops))
    if (!isScalar(op))
      op->erase();
  // What only the tail read (the tiles it now rebuilds per row) is dead.
  for (Operation *op = loop->getPrevNode(); op;) {
    Operation *previous = op->getPrevNode();
    if (isOpTriviallyDead(op))
      op->erase();
    op = previous;
  }
}

struct TileEpilogueRows
    : public tile::impl::TileEpilogueRowsBase<TileEpilogueRows> {
  using Base::Base;
  void runOnOperation() override {
    Tail tail(getOperation(), minColumns);
    if (tail.find())
      tail.rewrite();
  }
};

} // namespace
