//===- TileToGPU.cpp - Map tile kernels onto GPU threads ------------------===//
//
// Every tile.kernel becomes a gpu.func run by one thread block per program.
// Tiles are distributed over the block's T threads in groups of V consecutive
// elements (V = 4, 2 or 1, the largest dividing the tile evenly): group g of
// thread t holds elements (g * T + t) * V to (g * T + t) * V + V - 1. A warp's
// groups are consecutive, so contiguous loads and stores coalesce. Where a
// load or store carries a proved `contiguity` (meld-tile-annotate-contiguity),
// each group is one or a few vector accesses under one predicate, at most
// 16 bytes each; otherwise it goes element by element. Nothing about the
// layout of offsets is checked at run time. A tile of N elements is, in each
// thread, ceil(N/T) scalar values; elementwise math maps slot by slot and needs
// no communication.
//
// The ops that move data between threads go through shared memory:
//   - tile.dot stages both operands in shared memory (each element is reused
//     by a whole row or column of the result) and every thread computes its
//     own result elements from there;
//   - tile.reduce writes its input to shared memory; lanes of one warp share
//     each output (strided partial sums, then a butterfly of warp shuffles);
//     the results come back through shared memory;
//   - tile.broadcast writes its input to shared memory and every thread reads
//     the elements its result slots repeat.
//   - tensor.extract makes a program's scalar of a rank-0 tile: thread 0's
//     element, read by every thread from shared memory.
// tile.fault needs no communication: each thread records the faults of its
// own elements with an atomic compare-and-swap on the status in global memory.
// Each of them is bracketed by barriers. All of them share one shared-memory
// scratch buffer, sized for the largest: the launch's dynamic shared memory.
//
//===----------------------------------------------------------------------===//

#include "meld/Conversion/Passes.h"

#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

namespace meld {
#define GEN_PASS_DEF_CONVERTTILETOGPU
#include "meld/Conversion/Passes.h.inc"
} // namespace meld

using namespace mlir;
using namespace meld;

namespace {

using Shape = SmallVector<int64_t>;

/// Bytes one element of `type` takes in shared memory.
static int64_t sharedBytes(Type type) {
  return llvm::divideCeil(type.getIntOrFloatBitWidth(), 8);
}

/// Distributes the body of one tile kernel over the threads of a block.
class Distributor {
public:
  Distributor(OpBuilder &b, Location loc, int64_t threads, Value tid,
              ArrayRef<Value> blockIds, Value scratch, int64_t scratchBytes)
      : b(b), loc(loc), threads(threads), tid(tid), blockIds(blockIds),
        scratch(scratch), scratchBytes(scratchBytes) {}

  /// Rewrites the ops of `block` (the kernel body or a loop body) with
  /// `mapping` holding the scalar and buffer values seen so far.
  LogicalResult distribute(Block &block);

  /// The per-thread values of tile `tile`.
  ArrayRef<Value> slotsOf(Value tile) {
    auto it = tiles.find(tile);
    assert(it != tiles.end() && "tile used before it was distributed");
    return it->second;
  }

  IRMapping mapping;

private:
  int64_t slotCount(ArrayRef<int64_t> shape) const {
    return std::max<int64_t>(1, llvm::divideCeil(computeProduct(shape), threads));
  }
  /// How many consecutive elements of a tile of `n` elements a thread holds
  /// side by side (so that it can load and store them as one vector): 4 or 2
  /// when the tile divides evenly, else 1.
  int64_t vectorWidth(int64_t n) const {
    for (int64_t v : {4, 2})
      if (n % (threads * v) == 0)
        return v;
    return 1;
  }
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  /// The element a thread holds in slot `i` of a tile of `n` elements: slots
  /// come in groups of V consecutive elements, group g of thread t starting at
  /// element (g * T + t) * V.
  Value elementAt(int64_t i, int64_t n) {
    int64_t v = vectorWidth(n);
    int64_t group = i / v, lane = i % v;
    Value e = tid;
    if (group != 0)
      e = arith::AddIOp::create(b, loc, e, index(group * threads));
    if (v != 1)
      e = arith::MulIOp::create(b, loc, e, index(v));
    if (lane != 0)
      e = arith::AddIOp::create(b, loc, e, index(lane));
    return e;
  }
  /// Whether slot `i` of a tile of `n` elements holds an element, or null when
  /// it always does.
  Value slotValid(int64_t i, int64_t n) {
    if ((i / vectorWidth(n) + 1) * threads * vectorWidth(n) <= n)
      return {};
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                 elementAt(i, n), index(n));
  }
  Value both(Value x, Value y) {
    if (!x)
      return y;
    if (!y)
      return x;
    return arith::AndIOp::create(b, loc, x, y);
  }
  /// Runs `body` only where `condition` holds (always when it is null).
  void guarded(Value condition, function_ref<void()> body) {
    if (!condition)
      return body();
    auto ifOp = scf::IfOp::create(b, loc, condition, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    body();
  }
  /// `condition ? then() : otherwise`, or `then()` when the condition is null.
  Value select(Value condition, function_ref<Value()> then, Value otherwise) {
    if (!condition)
      return then();
    auto ifOp = scf::IfOp::create(
        b, loc, condition,
        [&](OpBuilder &nb, Location l) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          scf::YieldOp::create(b, l, then());
        },
        [&](OpBuilder &nb, Location l) {
          scf::YieldOp::create(nb, l, otherwise);
        });
    return ifOp.getResult(0);
  }
  /// The shared scratch buffer viewed as `count` elements of `type` starting
  /// at byte `offset`.
  Value scratchView(Type type, int64_t offset, int64_t count) {
    auto space = cast<MemRefType>(scratch.getType()).getMemorySpace();
    auto viewType = MemRefType::get({count}, type, MemRefLayoutAttrInterface(),
                                    space);
    return memref::ViewOp::create(b, loc, viewType, scratch, index(offset),
                                  ValueRange{});
  }
  void barrier() { gpu::BarrierOp::create(b, loc); }
  /// Writes tile `tile` (distributed) to `view` at its row-major positions.
  void writeTile(Value tile, Value view) {
    auto type = cast<RankedTensorType>(tile.getType());
    ArrayRef<Value> slots = slotsOf(tile);
    for (int64_t i = 0, e = slots.size(); i < e; ++i)
      guarded(slotValid(i, type.getNumElements()), [&] {
        memref::StoreOp::create(b, loc, slots[i], view,
                                elementAt(i, type.getNumElements()));
      });
  }
  /// Coordinates of row-major linear index `linear` in `shape`.
  SmallVector<Value> delinearize(Value linear, ArrayRef<int64_t> shape) {
    Shape strides = computeStrides(shape);
    SmallVector<Value> coords;
    for (auto [d, size] : llvm::enumerate(shape)) {
      Value c = strides[d] == 1 ? linear
                                : Value(arith::DivUIOp::create(
                                      b, loc, linear, index(strides[d])));
      if (d != 0)
        c = arith::RemUIOp::create(b, loc, c, index(size));
      coords.push_back(c);
    }
    return coords;
  }
  Value linearize(ArrayRef<Value> coords, ArrayRef<int64_t> shape) {
    Shape strides = computeStrides(shape);
    Value linear = index(0);
    for (auto [c, stride] : llvm::zip_equal(coords, strides))
      linear = arith::AddIOp::create(
          b, loc, linear,
          stride == 1 ? c : Value(arith::MulIOp::create(b, loc, c,
                                                        index(stride))));
    return linear;
  }

  LogicalResult distributeOp(Operation *op);
  LogicalResult distributeFor(scf::ForOp loop);
  LogicalResult distributeExtract(tensor::ExtractOp extract);
  LogicalResult distributeIf(scf::IfOp branch);
  void distributeIota(tile::IotaOp op);
  /// How many consecutive slots of `op` (a tile.load or tile.store of `n`
  /// elements of `elementType`) are one vector access: its proved
  /// contiguity, within a slot group and 16 bytes.
  int64_t accessWidth(Operation *op, int64_t n, Type elementType) const;
  void distributeLoad(tile::LoadOp op);
  void distributeStore(tile::StoreOp op);
  void distributeDot(tile::DotOp op);
  void distributeReduce(tile::ReduceOp op);
  void distributeBroadcast(tile::BroadcastOp op);
  void distributeFault(tile::FaultOp op);
  LogicalResult distributeElementwise(Operation *op);

  OpBuilder &b;
  Location loc;
  int64_t threads;
  Value tid;
  ArrayRef<Value> blockIds;
  Value scratch;
  int64_t scratchBytes;
  DenseMap<Value, SmallVector<Value>> tiles;
};

LogicalResult Distributor::distribute(Block &block) {
  for (Operation &op : block.without_terminator())
    if (failed(distributeOp(&op)))
      return failure();
  return success();
}

LogicalResult Distributor::distributeOp(Operation *op) {
  loc = op->getLoc();
  if (int64_t staging = tile::getStagingBytes(op); staging > scratchBytes)
    return op->emitOpError("stages ")
           << staging << " bytes in shared memory, more than its kernel's "
           << "shared_bytes (" << scratchBytes << ")";
  if (auto pid = dyn_cast<tile::ProgramIdOp>(op)) {
    mapping.map(pid.getResult(), blockIds[pid.getDim()]);
    return success();
  }
  if (auto splat = dyn_cast<tensor::SplatOp>(op)) {
    Value scalar = mapping.lookupOrDefault(splat.getInput());
    tiles[splat.getResult()] = SmallVector<Value>(
        slotCount(splat.getType().getShape()), scalar);
    return success();
  }
  if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
    auto tensorType = dyn_cast<RankedTensorType>(constant.getType());
    if (!tensorType) {
      mapping.map(constant.getResult(), b.clone(*op)->getResult(0));
      return success();
    }
    auto dense = dyn_cast<SplatElementsAttr>(constant.getValue());
    if (!dense)
      return op->emitOpError("only splat tile constants can be distributed");
    Value scalar = arith::ConstantOp::create(
        b, loc, cast<TypedAttr>(dense.getSplatValue<Attribute>()));
    tiles[constant.getResult()] =
        SmallVector<Value>(slotCount(tensorType.getShape()), scalar);
    return success();
  }
  if (auto extract = dyn_cast<tensor::ExtractOp>(op))
    return distributeExtract(extract);
  if (auto loop = dyn_cast<scf::ForOp>(op))
    return distributeFor(loop);
  if (auto branch = dyn_cast<scf::IfOp>(op))
    return distributeIf(branch);
  bool handled = true;
  llvm::TypeSwitch<Operation *>(op)
      .Case([&](tile::IotaOp o) { distributeIota(o); })
      .Case([&](tile::LoadOp o) { distributeLoad(o); })
      .Case([&](tile::StoreOp o) { distributeStore(o); })
      .Case([&](tile::DotOp o) { distributeDot(o); })
      .Case([&](tile::ReduceOp o) { distributeReduce(o); })
      .Case([&](tile::BroadcastOp o) { distributeBroadcast(o); })
      .Case([&](tile::FaultOp o) { distributeFault(o); })
      .Default([&](Operation *) { handled = false; });
  if (handled)
    return success();
  return distributeElementwise(op);
}

LogicalResult Distributor::distributeElementwise(Operation *op) {
  bool onTiles = llvm::any_of(op->getOperandTypes(), [](Type t) {
    return isa<RankedTensorType>(t);
  });
  if (!onTiles) {
    if (op->getNumRegions() != 0)
      return op->emitOpError("cannot be mapped onto GPU threads");
    b.clone(*op, mapping);
    return success();
  }
  if (op->getNumRegions() != 0 || op->getNumResults() != 1 ||
      !OpTrait::hasElementwiseMappableTraits(op))
    return op->emitOpError("cannot be mapped onto GPU threads");
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t count = slotCount(resultType.getShape());
  SmallVector<Value> slots;
  for (int64_t i = 0; i < count; ++i) {
    SmallVector<Value> operands;
    for (Value operand : op->getOperands())
      operands.push_back(isa<RankedTensorType>(operand.getType())
                             ? slotsOf(operand)[i]
                             : mapping.lookupOrDefault(operand));
    OperationState state(loc, op->getName());
    state.addOperands(operands);
    state.addTypes(resultType.getElementType());
    state.addAttributes(op->getAttrs());
    slots.push_back(b.create(state)->getResult(0));
  }
  tiles[op->getResult(0)] = std::move(slots);
  return success();
}

LogicalResult Distributor::distributeExtract(tensor::ExtractOp extract) {
  auto type = cast<RankedTensorType>(extract.getTensor().getType());
  if (type.getRank() != 0)
    return extract.emitOpError("makes a scalar of a rank-0 tile only");
  // A program's scalar is the same in each of its threads: thread 0's
  // element, through shared memory.
  barrier();
  Value view = scratchView(type.getElementType(), 0, 1);
  Value first =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, index(0));
  guarded(first, [&] {
    memref::StoreOp::create(b, loc, slotsOf(extract.getTensor())[0], view,
                            ValueRange{index(0)});
  });
  barrier();
  mapping.map(extract.getResult(),
              memref::LoadOp::create(b, loc, view, ValueRange{index(0)}));
  return success();
}

LogicalResult Distributor::distributeFor(scf::ForOp loop) {
  // Tile-carried values travel as their slots.
  SmallVector<Value> init;
  SmallVector<int64_t> slotsPerArg;
  for (Value arg : loop.getInitArgs()) {
    if (isa<RankedTensorType>(arg.getType())) {
      llvm::append_range(init, slotsOf(arg));
      slotsPerArg.push_back(slotsOf(arg).size());
    } else {
      init.push_back(mapping.lookupOrDefault(arg));
      slotsPerArg.push_back(-1);
    }
  }
  auto newLoop = scf::ForOp::create(
      b, loc, mapping.lookupOrDefault(loop.getLowerBound()),
      mapping.lookupOrDefault(loop.getUpperBound()),
      mapping.lookupOrDefault(loop.getStep()), init);
  Block *body = newLoop.getBody();
  mapping.map(loop.getInductionVar(), newLoop.getInductionVar());
  auto unflatten = [&](ValueRange flat, ValueRange original) {
    unsigned next = 0;
    for (auto [value, count] : llvm::zip_equal(original, slotsPerArg)) {
      if (count < 0) {
        mapping.map(value, flat[next++]);
        continue;
      }
      tiles[value] = SmallVector<Value>(flat.slice(next, count));
      next += count;
    }
  };
  unflatten(body->getArguments().drop_front(), loop.getRegionIterArgs());
  {
    // The builder made an empty yield for a loop without results: the body
    // gets its own.
    if (!body->empty() && isa<scf::YieldOp>(body->back()))
      body->back().erase();
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(body);
    if (failed(distribute(*loop.getBody())))
      return failure();
    auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
    SmallVector<Value> results;
    for (Value v : yield.getOperands()) {
      if (isa<RankedTensorType>(v.getType()))
        llvm::append_range(results, slotsOf(v));
      else
        results.push_back(mapping.lookupOrDefault(v));
    }
    scf::YieldOp::create(b, loc, results);
  }
  unflatten(newLoop.getResults(), loop.getResults());
  return success();
}

LogicalResult Distributor::distributeIf(scf::IfOp branch) {
  // A branch on a scalar (a program's part of a kernel of several matrix
  // products): every thread of the block takes the same side.
  if (branch.getNumResults() != 0 ||
      isa<RankedTensorType>(branch.getCondition().getType()))
    return branch.emitOpError("cannot be mapped onto GPU threads");
  auto newBranch =
      scf::IfOp::create(b, loc, mapping.lookupOrDefault(branch.getCondition()),
                        /*withElseRegion=*/!branch.getElseRegion().empty());
  auto side = [&](Region &from, Region &to) -> LogicalResult {
    if (from.empty())
      return success();
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(to.front().getTerminator());
    return distribute(from.front());
  };
  if (failed(side(branch.getThenRegion(), newBranch.getThenRegion())))
    return failure();
  return side(branch.getElseRegion(), newBranch.getElseRegion());
}

void Distributor::distributeIota(tile::IotaOp op) {
  ArrayRef<int64_t> shape = op.getType().getShape();
  Shape strides = computeStrides(shape);
  int64_t dim = op.getDim();
  SmallVector<Value> slots;
  for (int64_t i = 0, e = slotCount(shape); i < e; ++i) {
    Value c = elementAt(i, computeProduct(shape));
    if (strides[dim] != 1)
      c = arith::DivUIOp::create(b, loc, c, index(strides[dim]));
    if (dim != 0)
      c = arith::RemUIOp::create(b, loc, c, index(shape[dim]));
    slots.push_back(c);
  }
  tiles[op.getResult()] = std::move(slots);
}

int64_t Distributor::accessWidth(Operation *op, int64_t n,
                                 Type elementType) const {
  auto contiguity = op->getAttrOfType<IntegerAttr>("contiguity");
  if (!contiguity || elementType.isInteger(1))
    return 1;
  int64_t width = std::min(vectorWidth(n), contiguity.getInt());
  while (width > 1 && width * sharedBytes(elementType) > 16)
    width /= 2;
  return width;
}

void Distributor::distributeLoad(tile::LoadOp op) {
  RankedTensorType type = op.getType();
  Type elementType = type.getElementType();
  int64_t n = type.getNumElements();
  int64_t v = accessWidth(op, n, elementType);
  Value buffer = mapping.lookupOrDefault(op.getBuffer());
  Value other = op.getOther()
                    ? mapping.lookupOrDefault(op.getOther())
                    : arith::ConstantOp::create(b, loc,
                                                b.getZeroAttr(elementType))
                          .getResult();
  ArrayRef<Value> offsets = slotsOf(op.getOffsets());
  ArrayRef<Value> masks;
  if (op.getMask())
    masks = slotsOf(op.getMask());
  SmallVector<Value> slots;
  for (int64_t i = 0, e = offsets.size(); i < e; i += v) {
    // The slots of a group of v are all valid or all not, and share one
    // mask value: one predicate for the group.
    Value valid = slotValid(i, n);
    if (op.getMask())
      valid = both(valid, masks[i]);
    if (v == 1) {
      slots.push_back(select(
          valid,
          [&] { return memref::LoadOp::create(b, loc, buffer, offsets[i]); },
          other));
      continue;
    }
    // ld.global.v4 / .v2.
    SmallVector<Type> types(v, elementType);
    auto vectorLoad = [&]() -> SmallVector<Value> {
      auto vectorType = VectorType::get({v}, elementType);
      Value vec = vector::LoadOp::create(
          b, loc, vectorType, buffer, ValueRange{offsets[i]},
          /*nontemporal=*/false,
          llvm::MaybeAlign(v * sharedBytes(elementType)));
      SmallVector<Value> parts;
      for (int64_t j = 0; j < v; ++j)
        parts.push_back(vector::ExtractOp::create(b, loc, vec, j));
      return parts;
    };
    if (!valid) {
      llvm::append_range(slots, vectorLoad());
      continue;
    }
    auto ifOp = scf::IfOp::create(b, loc, types, valid,
                                  /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      scf::YieldOp::create(b, loc, vectorLoad());
      b.setInsertionPointToStart(&ifOp.getElseRegion().front());
      scf::YieldOp::create(b, loc, SmallVector<Value>(v, other));
    }
    llvm::append_range(slots, ifOp.getResults());
  }
  tiles[op.getResult()] = std::move(slots);
}

void Distributor::distributeStore(tile::StoreOp op) {
  auto type = cast<RankedTensorType>(op.getValue().getType());
  Type elementType = type.getElementType();
  int64_t n = type.getNumElements();
  int64_t v = accessWidth(op, n, elementType);
  Value buffer = mapping.lookupOrDefault(op.getBuffer());
  ArrayRef<Value> values = slotsOf(op.getValue());
  ArrayRef<Value> offsets = slotsOf(op.getOffsets());
  ArrayRef<Value> masks;
  if (op.getMask())
    masks = slotsOf(op.getMask());
  for (int64_t i = 0, e = values.size(); i < e; i += v) {
    // As for loads: one predicate for a group of v.
    Value valid = slotValid(i, n);
    if (op.getMask())
      valid = both(valid, masks[i]);
    guarded(valid, [&] {
      if (v == 1) {
        memref::StoreOp::create(b, loc, values[i], buffer, offsets[i]);
        return;
      }
      auto vectorType = VectorType::get({v}, elementType);
      Value vec = vector::FromElementsOp::create(b, loc, vectorType,
                                                 values.slice(i, v));
      vector::StoreOp::create(b, loc, vec, buffer, ValueRange{offsets[i]},
                              /*nontemporal=*/false,
                              llvm::MaybeAlign(v * sharedBytes(elementType)));
    });
  }
}

void Distributor::distributeDot(tile::DotOp op) {
  auto aType = cast<RankedTensorType>(op.getA().getType());
  auto bType = cast<RankedTensorType>(op.getB().getType());
  RankedTensorType cType = op.getType();
  int64_t m = aType.getDimSize(0), k = aType.getDimSize(1),
          n = bType.getDimSize(1);
  Type element = cType.getElementType();
  int64_t bytes = sharedBytes(element);
  barrier();
  Value aView = scratchView(element, 0, m * k);
  Value bView = scratchView(element, m * k * bytes, k * n);
  writeTile(op.getA(), aView);
  writeTile(op.getB(), bView);
  barrier();
  ArrayRef<Value> acc = slotsOf(op.getAcc());
  SmallVector<Value> slots;
  for (auto [i, init] : llvm::enumerate(acc)) {
    // Slots past the end hold nothing: compute with row and column 0.
    Value e = elementAt(i, m * n);
    if (Value valid = slotValid(i, m * n))
      e = arith::SelectOp::create(b, loc, valid, e, index(0));
    Value row = arith::DivUIOp::create(b, loc, e, index(n));
    Value col = arith::RemUIOp::create(b, loc, e, index(n));
    Value aRow = arith::MulIOp::create(b, loc, row, index(k));
    auto loop = scf::ForOp::create(
        b, loc, index(0), index(k), index(1), ValueRange{init},
        [&](OpBuilder &nb, Location l, Value kk, ValueRange carried) {
          Value x = memref::LoadOp::create(
              nb, l, aView, ValueRange{arith::AddIOp::create(nb, l, aRow, kk)});
          Value bIndex = arith::AddIOp::create(
              nb, l, arith::MulIOp::create(nb, l, kk,
                                           arith::ConstantIndexOp::create(
                                               nb, l, n)),
              col);
          Value y = memref::LoadOp::create(nb, l, bView, ValueRange{bIndex});
          Value product = arith::MulFOp::create(nb, l, x, y);
          scf::YieldOp::create(nb, l,
                               ValueRange{arith::AddFOp::create(
                                   nb, l, carried[0], product)});
        });
    slots.push_back(loop.getResult(0));
  }
  tiles[op.getResult()] = std::move(slots);
}

void Distributor::distributeReduce(tile::ReduceOp op) {
  auto inputType = cast<RankedTensorType>(op.getInput().getType());
  auto resultType = cast<RankedTensorType>(op.getType());
  Type element = inputType.getElementType();
  int64_t dim = op.getDim();
  int64_t length = inputType.getDimSize(dim);
  int64_t outputs = resultType.getNumElements();
  int64_t inputs = inputType.getNumElements();
  int64_t bytes = sharedBytes(element);
  tile::ReduceKind kind = op.getKind();

  barrier();
  Value inView = scratchView(element, 0, inputs);
  Value outView = scratchView(element, inputs * bytes, outputs);
  writeTile(op.getInput(), inView);
  barrier();

  // `lanes` consecutive lanes of a warp share an output: each sums a strided
  // part of the row, then a butterfly of shuffles combines the parts.
  int64_t lanes = std::clamp<int64_t>(
      static_cast<int64_t>(llvm::bit_floor(
          static_cast<uint64_t>(std::max<int64_t>(threads / outputs, 1)))), 1,
      std::min<int64_t>(32, llvm::PowerOf2Ceil(length)));
  int64_t groups = threads / lanes;
  Value group = arith::DivUIOp::create(b, loc, tid, index(lanes));
  Value lane = arith::RemUIOp::create(b, loc, tid, index(lanes));
  Shape inputStrides = computeStrides(inputType.getShape());
  TypedAttr identity = tile::getReduceIdentity(b, kind, element);
  for (int64_t round = 0, e = llvm::divideCeil(outputs, groups); round < e;
       ++round) {
    Value out = arith::AddIOp::create(b, loc, group, index(round * groups));
    Value outValid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                           out, index(outputs));
    // Rows past the end compute on row 0 and do not write.
    Value row = arith::SelectOp::create(b, loc, outValid, out, index(0));
    SmallVector<Value> coords = delinearize(row, resultType.getShape());
    coords.insert(coords.begin() + dim, index(0));
    Value base = linearize(coords, inputType.getShape());
    Value init = arith::ConstantOp::create(b, loc, identity);
    auto loop = scf::ForOp::create(
        b, loc, lane, index(length), index(lanes), ValueRange{init},
        [&](OpBuilder &nb, Location l, Value j, ValueRange carried) {
          Value offset = arith::AddIOp::create(
              nb, l, base,
              arith::MulIOp::create(
                  nb, l, j,
                  arith::ConstantIndexOp::create(nb, l, inputStrides[dim])));
          Value x = memref::LoadOp::create(nb, l, inView, ValueRange{offset});
          scf::YieldOp::create(
              nb, l, tile::buildReduceCombine(nb, l, kind, carried[0], x));
        });
    Value acc = loop.getResult(0);
    for (int64_t offset = lanes / 2; offset >= 1; offset /= 2) {
      auto shuffle = gpu::ShuffleOp::create(b, loc, acc, offset, 32,
                                            gpu::ShuffleMode::XOR);
      acc = tile::buildReduceCombine(b, loc, kind, acc,
                                     shuffle.getShuffleResult());
    }
    Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane,
                                        index(0));
    guarded(both(outValid, first), [&] {
      memref::StoreOp::create(b, loc, acc, outView, ValueRange{out});
    });
  }
  barrier();
  SmallVector<Value> slots;
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
  for (int64_t i = 0, e = slotCount(resultType.getShape()); i < e; ++i)
    slots.push_back(select(
        slotValid(i, outputs),
        [&] {
          return memref::LoadOp::create(b, loc, outView,
                                        elementAt(i, outputs));
        },
        zero));
  tiles[op.getResult()] = std::move(slots);
}

void Distributor::distributeBroadcast(tile::BroadcastOp op) {
  auto inputType = cast<RankedTensorType>(op.getInput().getType());
  auto resultType = cast<RankedTensorType>(op.getType());
  Type element = inputType.getElementType();
  barrier();
  Value view = scratchView(element, 0, inputType.getNumElements());
  writeTile(op.getInput(), view);
  barrier();
  ArrayRef<int64_t> dims = op.getDims();
  SmallVector<Value> slots;
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
  for (int64_t i = 0, e = slotCount(resultType.getShape()); i < e; ++i) {
    slots.push_back(select(
        slotValid(i, resultType.getNumElements()),
        [&] {
          SmallVector<Value> coords =
              delinearize(elementAt(i, resultType.getNumElements()),
                          resultType.getShape());
          SmallVector<Value> kept;
          for (auto [d, c] : llvm::enumerate(coords))
            if (!llvm::is_contained(dims, static_cast<int64_t>(d)))
              kept.push_back(c);
          return memref::LoadOp::create(
              b, loc, view, linearize(kept, inputType.getShape()));
        },
        zero));
  }
  tiles[op.getResult()] = std::move(slots);
}

void Distributor::distributeFault(tile::FaultOp op) {
  // Each thread records the faults of its own elements: an atomic
  // compare-and-swap on the status in global memory, only where an element
  // is set (the status is written once per run, never per element).
  int64_t n = op.getViolations().getType().getNumElements();
  Value status = mapping.lookupOrDefault(op.getStatus());
  ArrayRef<Value> violations = slotsOf(op.getViolations());
  ArrayRef<Value> details = slotsOf(op.getDetail());
  for (int64_t i = 0, e = violations.size(); i < e; ++i)
    guarded(both(slotValid(i, n), violations[i]), [&] {
      tile::buildRecordFault(b, loc, status, details[i], op.getSite());
    });
}

struct ConvertTileToGPUPass
    : meld::impl::ConvertTileToGPUBase<ConvertTileToGPUPass> {
  using Base::Base;

  /// Whether the index math of `kernels` fits 32 bits: every buffer has
  /// fewer than 2^31 elements (so does every offset a thread uses) and every
  /// grid dimension fewer than 2^31 programs.
  static bool fitsIndex32(ArrayRef<tile::KernelOp> kernels) {
    constexpr int64_t kLimit = int64_t(1) << 31;
    for (tile::KernelOp kernel : kernels) {
      for (Type type : kernel.getArgumentTypes())
        if (cast<MemRefType>(type).getNumElements() >= kLimit)
          return false;
      for (int64_t size : kernel.getGrid())
        if (size >= kLimit)
          return false;
    }
    return true;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    // The launch plan is not code: the artifact builder reads it before this
    // pass.
    tile::eraseLaunchPlan(module);
    auto kernels = llvm::to_vector(module.getOps<tile::KernelOp>());
    if (kernels.empty())
      return;
    for (tile::KernelOp kernel : kernels)
      if (!kernel.getNumWarps() || !kernel.getSharedBytes()) {
        kernel.emitOpError("has no launch configuration (num_warps and "
                           "shared_bytes): run meld-tile-configure-launch "
                           "first");
        return signalPassFailure();
      }
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(ctx));
    OpBuilder top(module.getBodyRegion());
    top.setInsertionPointToEnd(module.getBody());
    auto gpuModule =
        gpu::GPUModuleOp::create(top, module.getLoc(), "meld_kernels");
    SymbolTable gpuSymbols(gpuModule);
    if (fitsIndex32(kernels))
      gpuModule->setAttr(
          DLTIDialect::kDataLayoutAttrName,
          DataLayoutSpecAttr::get(
              ctx, {DataLayoutEntryAttr::get(IndexType::get(ctx),
                                             top.getI64IntegerAttr(32))}));

    for (tile::KernelOp kernel : kernels) {
      int64_t threads = *kernel.getNumWarps() * 32;
      int64_t scratch = *kernel.getSharedBytes();
      OpBuilder b(gpuModule.getBodyRegion());
      b.setInsertionPoint(gpuModule.getBody()->getTerminator());
      auto type = b.getFunctionType(kernel.getArgumentTypes(), {});
      auto func =
          gpu::GPUFuncOp::create(b, kernel.getLoc(), kernel.getSymName(), type);
      func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                    UnitAttr::get(ctx));
      func.setKnownBlockSizeAttr(
          b.getDenseI32ArrayAttr({static_cast<int32_t>(threads), 1, 1}));
      // One block per SM is enough: ptxas may use every register a thread
      // can have rather than spill to fit more blocks (with the block size
      // alone, it caps registers for an occupancy the kernel does not need).
      func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                    b.getI32IntegerAttr(1));
      func->setAttr("meld.shared_bytes", b.getI64IntegerAttr(scratch));
      func->setAttr("meld.grid", kernel.getGridAttr());
      gpuSymbols.insert(func);

      Block &entry = func.getBody().front();
      b.setInsertionPointToStart(&entry);
      Location loc = kernel.getLoc();
      Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
      SmallVector<Value, 3> blockIds{
          gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
          gpu::BlockIdOp::create(b, loc, gpu::Dimension::y),
          gpu::BlockIdOp::create(b, loc, gpu::Dimension::z)};
      // The scratch buffer is the launch's dynamic shared memory: the launch
      // plan passes `shared_bytes`, and the runtime opts a kernel in to more
      // than the default 48 KiB.
      Value scratchBuffer;
      if (scratch > 0) {
        auto space =
            gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
        scratchBuffer = gpu::DynamicSharedMemoryOp::create(
            b, loc,
            MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                            MemRefLayoutAttrInterface(), space));
      }
      Distributor distributor(b, loc, threads, tid, blockIds, scratchBuffer,
                              scratch);
      for (auto [from, to] : llvm::zip_equal(
               kernel.getBody().getArguments(),
               func.getArguments().take_front(kernel.getNumArguments())))
        distributor.mapping.map(from, to);
      if (failed(distributor.distribute(kernel.getBody().front())))
        return signalPassFailure();
      gpu::ReturnOp::create(b, loc);
      kernel.erase();
    }
  }
};

} // namespace
