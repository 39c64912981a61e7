//===- PipelineKLoops.cpp - Keep wgmma products in flight across K steps --===//
//
// A K loop whose wgmma products read operands this iteration stored in
// shared memory, and whose accumulators only chain from one iteration to
// the next, is marked `tile_gpu.stages = N` and its products
// `tile_gpu.in_flight`: the operands get N buffers, used in turn, and each
// product waits only for the one before it, so the tensor cores work on K
// step k while the threads load and store step k + 1. The products of
// other loops (attention's) complete in their step.
//
// An operand loaded from global memory as it is (16-bit, along the shared
// layout's contiguous dimension in aligned runs of 4 to 16 bytes) is
// instead copied there asynchronously (tile_gpu.async_load), `prefetch`
// steps ahead: the loads of the first steps go before the loop, each step
// waits for its own (tile_gpu.async_wait) and issues those of step
// k + prefetch, and the loop carries the tiles in flight. Its operands then
// take prefetch + 2 buffers: step k's product reads one, the product of
// step k - 1 may still read another, and the loads in flight fill the rest.
// A wgmma operand whose load reads a box of a strided 2-D tensor (in a
// loop of products in flight or not) is instead copied by the tensor
// memory accelerator (tile_gpu.tma_load, one thread issuing it), and each
// step waits for it on its buffer's mbarrier (tile_gpu.tma_wait).
// A loop of mma.sync products prefetches the same way the operands it
// converts from such loads (read into registers from the copy by a
// tile_gpu.local_load), in prefetch + 1 buffers: mma.sync completes at once.
// An operand that still goes through registers is loaded a step ahead,
// the loop carrying it, where the loop stores nothing and holds no loop.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tile/Analysis/AxisInfo.h"
#include "dialects/Tile/Analysis/BoxAccess.h"
#include "dialects/Tile/Analysis/KernelCost.h"
#include "dialects/TileGPU/Transforms/Passes.h"
#include "dialects/TileGPU/Transforms/Utils.h"

#include "mlir/Analysis/DataFlowFramework.h"
#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Iterators.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace meld::tile_gpu {
#define GEN_PASS_DEF_TILEGPUPIPELINEKLOOPS
#include "dialects/TileGPU/Transforms/Passes.h.inc"
} // namespace meld::tile_gpu

using namespace mlir;
using namespace meld;
using namespace meld::tile_gpu;

namespace {

/// The shared memory a block may use on the chips wgmma runs on (sm_90a),
/// or on all those mma.sync runs on (sm_80, and sm_86 and sm_89, which
/// have the least), as tile::getTargetPeak has them.
static int64_t getMaxSharedBytes(bool wgmma) {
  return tile::getTargetPeak(wgmma ? "sm_90a" : "sm_86")
      ->maxSharedBytesPerBlock;
}

/// Whether `operand` of a product in `loop`'s body is a tile this iteration
/// placed in shared memory.
static bool isStoredInLoop(scf::ForOp loop, Value operand) {
  Operation *def = operand.getDefiningOp();
  return def && def->getParentOp() == loop.getOperation() &&
         isa<LocalAllocOp, AsyncWaitOp, TmaWaitOp>(def);
}

/// Whether `dot`, a product in `loop`'s body, can stay in flight past the
/// end of an iteration: on wgmma, its operands stored in shared memory in
/// this iteration, its accumulator a loop-carried value that only it reads,
/// and its result only yielded back as that value.
static bool canPipeline(scf::ForOp loop, tile::DotOp dot) {
  auto mma = dyn_cast_or_null<MmaLayoutAttr>(dot.getType().getEncoding());
  if (!mma || !mma.isWgmma())
    return false;
  if (!isStoredInLoop(loop, dot.getA()) || !isStoredInLoop(loop, dot.getB()))
    return false;
  auto acc = dyn_cast<BlockArgument>(dot.getAcc());
  if (!acc || acc.getOwner() != loop.getBody() || acc.getArgNumber() == 0 ||
      !acc.hasOneUse() || !dot->hasOneUse())
    return false;
  OpOperand &use = *dot->getUses().begin();
  return isa<scf::YieldOp>(use.getOwner()) &&
         use.getOwner()->getParentOp() == loop.getOperation() &&
         use.getOperandNumber() == acc.getArgNumber() - 1;
}

/// Whether tile `value` can be computed again in another layout: it is
/// made of splat constants, splats, iotas and elementwise arithmetic.
static bool canRematerialize(Value value) {
  if (!isa<RankedTensorType>(value.getType()))
    return true;
  Operation *def = value.getDefiningOp();
  if (!def || def->getNumResults() != 1 || def->getNumRegions() != 0)
    return false;
  if (auto constant = dyn_cast<arith::ConstantOp>(def))
    return isa<SplatElementsAttr>(constant.getValue());
  if (isa<tensor::SplatOp, tile::IotaOp>(def))
    return true;
  return isa<arith::ArithDialect>(def->getDialect()) && isPure(def) &&
         llvm::all_of(def->getOperands(), canRematerialize);
}

/// `value` (canRematerialize) computed again in `layout`, each op cloned
/// right after the one it copies.
static Value rematerialize(OpBuilder &builder, Value value, Attribute layout,
                           DenseMap<Value, Value> &done) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getEncoding() == layout)
    return value;
  if (Value known = done.lookup(value))
    return known;
  Operation *def = value.getDefiningOp();
  SmallVector<Value> operands =
      llvm::map_to_vector(def->getOperands(), [&](Value v) {
        return rematerialize(builder, v, layout, done);
      });
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointAfter(def);
  Value copy =
      cloneWithTypes(
          builder, def, operands,
          RankedTensorType::get(type.getShape(), type.getElementType(), layout))
          ->getResult(0);
  done[value] = copy;
  return copy;
}

/// The ops of `loop`'s body that `values` are computed from, in program
/// order, or failure where one reads memory or a loop-carried value (other
/// than the induction variable): what a load of a later step recomputes.
static FailureOr<SmallVector<Operation *>> stepSlice(scf::ForOp loop,
                                                     ValueRange values) {
  BackwardSliceOptions options;
  options.inclusive = true;
  options.omitBlockArguments = true;
  options.filter = [&](Operation *op) {
    return op->getParentOp() == loop.getOperation();
  };
  SetVector<Operation *> slice;
  for (Value value : values)
    if (Operation *def = value.getDefiningOp(); def && options.filter(def))
      if (failed(getBackwardSlice(def, &slice, options)))
        return failure();
  auto carried = [&](Value value) {
    auto arg = dyn_cast<BlockArgument>(value);
    return arg && arg.getOwner() == loop.getBody() &&
           arg != loop.getInductionVar();
  };
  if (llvm::any_of(values, carried))
    return failure();
  for (Operation *op : slice)
    if (!isPure(op) || op->getNumRegions() != 0 ||
        llvm::any_of(op->getOperands(), carried))
      return failure();
  SmallVector<Operation *> ordered(slice.begin(), slice.end());
  llvm::sort(ordered,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return ordered;
}

/// stepSlice of the offsets and mask (where there is one) of a load.
static FailureOr<SmallVector<Operation *>>
accessSlice(scf::ForOp loop, Value offsets, Value mask) {
  SmallVector<Value> values{offsets};
  if (mask)
    values.push_back(mask);
  return stepSlice(loop, values);
}

/// A tensor the tensor memory accelerator copies boxes of: its extents in
/// elements (innermost first), its row stride in bytes, and where each
/// box starts (innermost first).
struct TmaTensor {
  int64_t dims[2];
  int64_t rowBytes;
  tile::LinearIndex starts[2];
};

/// An operand of a product that can be copied to shared memory
/// asynchronously: the load of its tile, what reads the load (a wgmma
/// operand's local_alloc, an mma.sync operand's conversion), the tile in
/// shared memory and its runs' length; or, copied by the tensor memory
/// accelerator, the tensor it is a box of.
struct AsyncOperand {
  Operation *user;
  tile::LoadOp load;
  RankedTensorType shared;
  int64_t contiguity;
  std::optional<TmaTensor> tma;
};

/// Whether `load` reads zeros where masked off (or has no mask).
static bool readsZeroWhereMasked(tile::LoadOp load) {
  Value other = load.getOther();
  return !other || matchPattern(other, m_AnyZeroFloat()) ||
         matchPattern(other, m_Zero());
}

/// The run length at which `load`'s tile can be copied from global memory
/// to shared memory as tile `shared` is stored, or 0: only one op reads
/// the load, of 16-bit elements (whose bytes land unchanged), zero where
/// masked off, in aligned runs of 2 to 8 elements along the shared
/// layout's contiguous dimension, whose offsets and mask can be computed
/// in a layout that gives each thread whole runs; within `loop`'s body,
/// they are computed from the induction variable alone.
static int64_t getAsyncContiguity(const DataFlowSolver &solver, scf::ForOp loop,
                                  tile::LoadOp load, RankedTensorType shared) {
  if (!load || !load->hasOneUse() || shared.getElementTypeBitWidth() != 16 ||
      load.getType().getElementType() != shared.getElementType())
    return 0;
  if (!readsZeroWhereMasked(load))
    return 0;
  const tile::AxisInfo *offsets =
      tile::lookupAxisInfo(solver, load.getOffsets());
  const tile::AxisInfo *mask =
      load.getMask() ? tile::lookupAxisInfo(solver, load.getMask()) : nullptr;
  if (!offsets || (load.getMask() && !mask))
    return 0;
  auto layout = cast<SharedLayoutAttr>(shared.getEncoding());
  int64_t run = std::min<int64_t>(
      8, tile::getAccessContiguityAlong(*offsets, mask, shared.getShape(),
                                        layout.getContiguousDim()));
  if (run < 2 || !canRematerialize(load.getOffsets()) ||
      (load.getMask() && !canRematerialize(load.getMask())))
    return 0;
  if (failed(accessSlice(loop, load.getOffsets(), load.getMask())))
    return 0;
  return run;
}

/// The least and greatest values `index` (a scalar) takes, or nothing:
/// its terms are program ids (0 to the grid's extent - 1) and induction
/// variables of loops with constant bounds.
static std::optional<std::pair<int64_t, int64_t>>
getIndexRange(const tile::LinearIndex &index) {
  int64_t low = index.constant, high = index.constant;
  for (auto [value, a] : index.terms) {
    if (a == 0)
      continue;
    std::optional<int64_t> first, last;
    if (auto pid = value.getDefiningOp<tile::ProgramIdOp>()) {
      auto kernel = pid->getParentOfType<tile::KernelOp>();
      ArrayRef<int64_t> grid = kernel.getGrid();
      int64_t dim = pid.getDim();
      first = 0;
      last = (dim < static_cast<int64_t>(grid.size()) ? grid[dim] : 1) - 1;
    } else if (auto loop = scf::getForInductionVarOwner(value)) {
      std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
      std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
      std::optional<int64_t> step = getConstantIntValue(loop.getStep());
      if (lb && ub && step && *step > 0 && *ub > *lb) {
        first = *lb;
        last = *lb + (*ub - *lb - 1) / *step * *step;
      }
    }
    if (!first)
      return std::nullopt;
    low += std::min(a * *first, a * *last);
    high += std::max(a * *first, a * *last);
  }
  return std::make_pair(low, high);
}

/// The tensor `load`'s tile is a box of, for the tensor memory accelerator
/// to copy into tile `shared` (a wgmma operand), or nothing: only one op
/// reads the load, of 16-bit elements, zero where masked off, a box
/// (tile::getBoxAccess) with unit stride along the stored tile's
/// contiguous dimension and a row stride of a multiple of 16 bytes, stored
/// with no padding rows in whole columns of its swizzle; the tensor's
/// extents are the mask's bounds, or else the row stride (where the box's
/// columns provably stay in their rows) and the whole rows the buffer
/// holds; within `loop`'s body, the box's start is computed from the
/// induction variable alone.
static std::optional<TmaTensor> getTmaTensor(scf::ForOp loop, tile::LoadOp load,
                                             RankedTensorType shared) {
  // A buffer the kernel takes: its tensor map becomes an argument too.
  auto arg = dyn_cast<BlockArgument>(load.getBuffer());
  if (!arg || !isa<tile::KernelOp>(arg.getOwner()->getParentOp()))
    return std::nullopt;
  auto buffer = dyn_cast<MemRefType>(load.getBuffer().getType());
  if (!load->hasOneUse() || shared.getElementTypeBitWidth() != 16 ||
      shared.getRank() != 2 || !buffer || !buffer.hasStaticShape() ||
      buffer.getRank() != 1 ||
      load.getType().getElementType() != shared.getElementType() ||
      !readsZeroWhereMasked(load))
    return std::nullopt;
  auto layout = cast<SharedLayoutAttr>(shared.getEncoding());
  int64_t c = layout.getContiguousDim(), o = 1 - c;
  ArrayRef<int64_t> shape = shared.getShape();
  if (layout.getStoredRows(shape) != shape[o] || shape[o] > 256 ||
      (shape[c] * 2) % layout.getSwizzle() != 0)
    return std::nullopt;
  std::optional<tile::BoxAccess> box =
      tile::getBoxAccess(load.getOffsets(), load.getMask(), shape);
  if (!box || box->strides[c] != 1 || (box->strides[o] * 2) % 16 != 0)
    return std::nullopt;
  // An unmasked dimension spans what the buffer holds: the rows are whole,
  // and a box without a column mask stays in its rows (its start ranges
  // over what program ids and loop bounds allow).
  int64_t rowStride = box->strides[o], elements = buffer.getNumElements();
  if (!box->bounds[o] && elements % rowStride != 0)
    return std::nullopt;
  if (!box->bounds[c]) {
    auto range = getIndexRange(box->starts[c]);
    if (!range || range->first < 0 || range->second + shape[c] > rowStride)
      return std::nullopt;
  }
  TmaTensor tensor;
  tensor.dims[0] = box->bounds[c].value_or(rowStride);
  tensor.dims[1] = box->bounds[o].value_or(elements / rowStride);
  tensor.rowBytes = rowStride * 2;
  if (tensor.dims[0] > rowStride || tensor.dims[1] < 1 ||
      (tensor.dims[1] - 1) * rowStride + tensor.dims[0] > elements)
    return std::nullopt;
  tensor.starts[0] = box->starts[c];
  tensor.starts[1] = box->starts[o];
  SmallVector<Value> leaves;
  for (const tile::LinearIndex &start : tensor.starts)
    for (auto [value, a] : start.terms)
      leaves.push_back(value);
  if (failed(stepSlice(loop, leaves)))
    return std::nullopt;
  return tensor;
}

/// The tile an mma.sync operand of `type` (a 16-bit dot operand) is copied
/// to, for ldmatrix to read, with dimension `contiguous` contiguous (A: K
/// only; B: N, read with .trans, or K) and the widest swizzle dividing a
/// row; null where a row is under 32 bytes or the rows are not a multiple
/// of 8.
static RankedTensorType getMmaOperandTile(RankedTensorType type,
                                          int64_t contiguous) {
  auto operand = dyn_cast<DotOperandLayoutAttr>(type.getEncoding());
  if (!operand || type.getRank() != 2 || type.getElementTypeBitWidth() != 16 ||
      (operand.getOpIdx() == 0 && contiguous != 1))
    return {};
  int64_t rowBytes = type.getDimSize(contiguous) * 2;
  if (rowBytes % 32 != 0 || type.getDimSize(1 - contiguous) % 8 != 0)
    return {};
  unsigned swizzle = rowBytes % 128 == 0 ? 128 : rowBytes % 64 == 0 ? 64 : 32;
  return RankedTensorType::get(
      type.getShape(), type.getElementType(),
      SharedLayoutAttr::get(type.getContext(), swizzle,
                            {contiguous, 1 - contiguous}, 0));
}

/// The layout async copies of runs of `run` elements along `dim` of a 2-D
/// tile of `shape` take: each thread holds one run, the lanes of a warp
/// consecutive runs along `dim`, the warps along the other dimension.
static BlockedLayoutAttr getCopyLayout(MLIRContext *context,
                                       ArrayRef<int64_t> shape, int64_t dim,
                                       int64_t run, int64_t numWarps) {
  int64_t other = 1 - dim;
  SmallVector<int64_t> sizePerThread(2, 1), threadsPerWarp(2, 1),
      warpsPerCTA(2, 1);
  sizePerThread[dim] = run;
  threadsPerWarp[dim] = std::min<int64_t>(
      32, llvm::bit_floor(static_cast<uint64_t>(shape[dim] / run)));
  threadsPerWarp[other] = 32 / threadsPerWarp[dim];
  warpsPerCTA[other] = numWarps;
  return BlockedLayoutAttr::get(context, sizePerThread, threadsPerWarp,
                                warpsPerCTA, {dim, other});
}

/// Replaces `operand`'s load and its reader by an async_load (into buffer
/// 0, for now), an async_wait and, for an mma.sync operand, a local_load
/// into its registers; returns the async_load.
static AsyncLoadOp makeAsync(OpBuilder &builder, const AsyncOperand &operand,
                             int64_t numWarps) {
  tile::LoadOp load = operand.load;
  RankedTensorType type = operand.shared;
  BlockedLayoutAttr layout = getCopyLayout(
      builder.getContext(), type.getShape(),
      cast<SharedLayoutAttr>(type.getEncoding()).getContiguousDim(),
      operand.contiguity, numWarps);
  DenseMap<Value, Value> done;
  Value offsets = rematerialize(builder, load.getOffsets(), layout, done);
  Value mask = load.getMask()
                   ? rematerialize(builder, load.getMask(), layout, done)
                   : Value();
  Operation *user = operand.user;
  builder.setInsertionPoint(user);
  Location loc = user->getLoc();
  Value slot = arith::ConstantIndexOp::create(builder, loc, 0);
  auto copy = AsyncLoadOp::create(builder, loc, type, load.getBuffer(), offsets,
                                  mask, slot, /*pred=*/Value(),
                                  operand.contiguity, /*offset=*/IntegerAttr());
  Value tile = AsyncWaitOp::create(builder, loc, TypeRange{type},
                                   ValueRange{copy.getResult()}, 0)
                   .getResult(0);
  if (!isa<LocalAllocOp>(user))
    tile =
        LocalLoadOp::create(builder, loc, user->getResult(0).getType(), tile);
  user->getResult(0).replaceAllUsesWith(tile);
  user->erase();
  load.erase();
  return copy;
}

/// Replaces `operand`'s load and its local_alloc by a tma_load (into
/// buffer 0, for now) of the box's start and a tma_wait (of parity 0, for
/// now); returns the tma_load.
static TmaLoadOp makeTma(OpBuilder &builder, const AsyncOperand &operand) {
  Operation *user = operand.user;
  tile::LoadOp load = operand.load;
  const TmaTensor &tensor = *operand.tma;
  builder.setInsertionPoint(user);
  Location loc = user->getLoc();
  SmallVector<Value> coords;
  for (const tile::LinearIndex &start : tensor.starts)
    coords.push_back(tile::materializeIndex(builder, loc, start));
  Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
  auto copy = TmaLoadOp::create(
      builder, loc, operand.shared, load.getBuffer(), coords, zero,
      /*pred=*/Value(), /*releaseParity=*/Value(),
      builder.getDenseI64ArrayAttr(tensor.dims),
      builder.getDenseI64ArrayAttr({tensor.rowBytes}),
      /*offset=*/IntegerAttr(), /*mbarriers=*/IntegerAttr());
  Value tile =
      TmaWaitOp::create(builder, loc, copy.getType(), copy.getResult(), zero);
  user->getResult(0).replaceAllUsesWith(tile);
  user->erase();
  load.erase();
  return copy;
}

/// The values a copy's address is computed from.
static SmallVector<Value> getAccessValues(Operation *copy) {
  if (auto tma = dyn_cast<TmaLoadOp>(copy))
    return llvm::to_vector(tma.getCoords());
  auto async = cast<AsyncLoadOp>(copy);
  SmallVector<Value> values{async.getOffsets()};
  if (Value mask = async.getMask())
    values.push_back(mask);
  return values;
}

/// Clones the ops of `slice` (a loop body's, in order) with the induction
/// variable `iv` at `step`; returns what the clones stand for.
static IRMapping cloneSliceAtStep(OpBuilder &builder, Value iv,
                                  ArrayRef<Operation *> slice, Value step) {
  IRMapping mapping;
  mapping.map(iv, step);
  for (Operation *op : slice)
    builder.clone(*op, mapping);
  return mapping;
}

/// The copy of step `step` (an index) of a loop, into buffer `slot` if
/// `pred`: `copy` (an async_load or tma_load of the body) with its `slice`
/// at that step; a TMA copy of a warp-specialized kernel waits for the
/// buffer's release of parity `releaseParity` first.
static Value cloneLoadAtStep(OpBuilder &builder, Value iv, Operation *op,
                             ArrayRef<Operation *> slice, Value step,
                             Value slot, Value pred, Value releaseParity) {
  IRMapping mapping = cloneSliceAtStep(builder, iv, slice, step);
  if (auto tma = dyn_cast<TmaLoadOp>(op)) {
    SmallVector<Value> coords = llvm::map_to_vector(
        tma.getCoords(), [&](Value v) { return mapping.lookupOrDefault(v); });
    return TmaLoadOp::create(builder, tma.getLoc(), tma.getType(),
                             mapping.lookupOrDefault(tma.getBuffer()), coords,
                             slot, pred, releaseParity, tma.getDimsAttr(),
                             tma.getStridesAttr(), /*offset=*/IntegerAttr(),
                             /*mbarriers=*/IntegerAttr())
        .getResult();
  }
  auto copy = cast<AsyncLoadOp>(op);
  return AsyncLoadOp::create(
             builder, copy.getLoc(), copy.getType(),
             mapping.lookupOrDefault(copy.getBuffer()),
             mapping.lookupOrDefault(copy.getOffsets()),
             copy.getMask() ? mapping.lookupOrDefault(copy.getMask()) : Value(),
             slot, pred, copy.getContiguity(), /*offset=*/IntegerAttr())
      .getResult();
}

/// Issues `copies`, async_loads of `loop`'s body, `prefetch` steps ahead
/// (into buffer `(i + prefetch) % stages` in step i), the first `prefetch`
/// steps' before the loop, and carries the tiles in flight; each step waits
/// for its own with one async_wait. In a warp-specialized kernel
/// (`specialize`), the copy of step k, the (iteration / stages)-th into its
/// buffer, waits for the buffer's release of parity (iteration / stages +
/// 1) % 2 first. Returns the new loop.
static scf::ForOp prefetchLoads(scf::ForOp loop, ArrayRef<Operation *> copies,
                                int64_t prefetch, int64_t stages,
                                bool specialize) {
  SmallVector<SmallVector<Operation *>> slices;
  for (Operation *copy : copies)
    slices.push_back(*stepSlice(loop, getAccessValues(copy)));
  IRRewriter rewriter(loop.getContext());
  Location loc = loop.getLoc();
  Value lb = loop.getLowerBound(), ub = loop.getUpperBound(),
        stepSize = loop.getStep();
  // The iteration of step `step` (an index): (step - lb) / stepSize.
  auto iterationOf = [&](OpBuilder &b, Value step) -> Value {
    return arith::DivUIOp::create(
        b, loc, arith::SubIOp::create(b, loc, step, lb), stepSize);
  };
  // Step `ahead` steps after `iv`, whether the loop reaches it, its
  // buffer, (iteration + ahead) % stages, and (warp-specialized) the parity
  // of the buffer's release its copy waits for.
  auto stepAhead = [&](OpBuilder &b, Value iv, int64_t ahead) {
    auto index = [&](int64_t v) {
      return arith::ConstantIndexOp::create(b, loc, v).getResult();
    };
    Value step = arith::AddIOp::create(
        b, loc, iv, arith::MulIOp::create(b, loc, stepSize, index(ahead)));
    Value pred =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, step, ub);
    Value iteration = iterationOf(b, step);
    Value slot = arith::RemUIOp::create(b, loc, iteration, index(stages));
    Value released;
    if (specialize)
      released = arith::RemUIOp::create(
          b, loc,
          arith::AddIOp::create(
              b, loc, arith::DivUIOp::create(b, loc, iteration, index(stages)),
              index(1)),
          index(2));
    return std::make_tuple(step, pred, slot, released);
  };
  // The first `prefetch` steps, before the loop, a step's loads after the
  // step before's (groups complete in order); carried load by load.
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> inits(copies.size() * prefetch);
  for (int64_t j = 0; j < prefetch; ++j) {
    auto [step, pred, slot, released] = stepAhead(rewriter, lb, j);
    for (auto [i, copy] : llvm::enumerate(copies))
      inits[i * prefetch + j] =
          cloneLoadAtStep(rewriter, loop.getInductionVar(), copy, slices[i],
                          step, slot, pred, released);
  }
  // Each step issues the loads of step k + prefetch and carries the tiles
  // of steps k + 1 .. k + prefetch. (This builds in the old body, before it
  // moves to the new loop.)
  Value iv = loop.getInductionVar();
  auto newYields = [&](OpBuilder &b, Location,
                       ArrayRef<BlockArgument> carried) -> SmallVector<Value> {
    auto [step, pred, slot, released] = stepAhead(b, iv, prefetch);
    SmallVector<Value> yields;
    for (auto [i, copy] : llvm::enumerate(copies)) {
      ArrayRef<BlockArgument> mine = carried.slice(i * prefetch, prefetch);
      llvm::append_range(yields, mine.drop_front());
      yields.push_back(
          cloneLoadAtStep(b, iv, copy, slices[i], step, slot, pred, released));
    }
    return yields;
  };
  auto replaced = cast<scf::ForOp>(*loop.replaceWithAdditionalYields(
      rewriter, inits, /*replaceInitOperandUsesInLoop=*/false, newYields));
  // Each load of the body becomes the tile carried in for this step (its
  // own computation is left dead).
  Block *body = replaced.getBody();
  unsigned first = body->getNumArguments() - copies.size() * prefetch;
  for (auto [i, copy] : llvm::enumerate(copies)) {
    copy->getResult(0).replaceAllUsesWith(
        body->getArgument(first + i * prefetch));
    copy->erase();
  }
  // A TMA copy's step waits on its buffer's mbarrier for the phase of
  // parity (iteration / stages) % 2: the copy of step k is the (k /
  // stages)-th into its buffer.
  Value newIv = replaced.getInductionVar();
  for (auto [i, copy] : llvm::enumerate(copies))
    for (Operation *user : body->getArgument(first + i * prefetch).getUsers())
      if (auto wait = dyn_cast<TmaWaitOp>(user)) {
        rewriter.setInsertionPoint(wait);
        auto index = [&](int64_t v) {
          return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
        };
        Value parity = arith::RemUIOp::create(
            rewriter, loc,
            arith::DivUIOp::create(rewriter, loc, iterationOf(rewriter, newIv),
                                   index(stages)),
            index(2));
        wait.getParityMutable().assign(parity);
      }
  // One wait a step, for this step's async_loads: a load is a group of
  // copies, so the loads of the prefetch - 1 steps after it stay pending.
  SmallVector<AsyncWaitOp> waits;
  int64_t asyncCopies = 0;
  for (auto [i, copy] : llvm::enumerate(copies))
    for (Operation *user : body->getArgument(first + i * prefetch).getUsers())
      if (auto wait = dyn_cast<AsyncWaitOp>(user)) {
        ++asyncCopies;
        if (!llvm::is_contained(waits, wait))
          waits.push_back(wait);
      }
  if (waits.empty())
    return replaced;
  llvm::sort(waits, [](AsyncWaitOp a, AsyncWaitOp b) {
    return a->isBeforeInBlock(b);
  });
  SmallVector<Value> tiles;
  for (AsyncWaitOp wait : waits)
    llvm::append_range(tiles, wait.getTiles());
  rewriter.setInsertionPoint(waits.front());
  auto merged = AsyncWaitOp::create(rewriter, waits.front().getLoc(),
                                    ValueRange(tiles).getTypes(), tiles,
                                    asyncCopies * (prefetch - 1));
  unsigned next = 0;
  for (AsyncWaitOp wait : waits) {
    for (Value result : wait.getResults())
      result.replaceAllUsesWith(merged.getResult(next++));
    wait.erase();
  }
  return replaced;
}

/// The load in `loop`'s body whose tile (converted by truncf or extf
/// only) is what `operand`, a product's operand stored from registers or
/// converted to its layout, holds; null where there is none, or where a
/// later step's offsets and mask could not be computed before.
static tile::LoadOp getRegisterOperandLoad(scf::ForOp loop, Value operand) {
  Operation *def = operand.getDefiningOp();
  if (!isa_and_nonnull<LocalAllocOp, ConvertLayoutOp>(def))
    return {};
  Value src = def->getOperand(0);
  while (auto cast = src.getDefiningOp())
    if (isa<arith::TruncFOp, arith::ExtFOp>(cast) && cast->hasOneUse())
      src = cast->getOperand(0);
    else
      break;
  auto load = src.getDefiningOp<tile::LoadOp>();
  if (!load || !load->hasOneUse() || load->getParentOp() != loop.getOperation())
    return {};
  if (failed(accessSlice(loop, load.getOffsets(), load.getMask())))
    return {};
  return load;
}

/// Loads `loads` (of `loop`'s body) one step ahead into registers: step
/// 0's before the loop, step k + 1's in step k, masked off past the loop's
/// end, the tiles carried to the step that reads them. Returns the new
/// loop.
static scf::ForOp prefetchRegisterLoads(scf::ForOp loop,
                                        ArrayRef<tile::LoadOp> loads) {
  SmallVector<SmallVector<Operation *>> slices;
  for (tile::LoadOp load : loads)
    slices.push_back(*accessSlice(loop, load.getOffsets(), load.getMask()));
  IRRewriter rewriter(loop.getContext());
  Location loc = loop.getLoc();
  // (Taken before the loop is replaced.)
  Value iv = loop.getInductionVar(), lb = loop.getLowerBound(),
        ub = loop.getUpperBound(), stepSize = loop.getStep();
  // `load` at `step`, masked off where the step is past the loop's end.
  auto loadAtStep = [&](OpBuilder &b, tile::LoadOp load,
                        ArrayRef<Operation *> slice, Value step) {
    IRMapping mapping = cloneSliceAtStep(b, iv, slice, step);
    Value offsets = mapping.lookupOrDefault(load.getOffsets());
    auto offsetsType = cast<RankedTensorType>(offsets.getType());
    Value reached =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, step, ub)
            .getResult();
    Type maskType = RankedTensorType::get(offsetsType.getShape(), b.getI1Type(),
                                          offsetsType.getEncoding());
    Value mask = tensor::SplatOp::create(b, loc, reached, maskType).getResult();
    if (load.getMask())
      mask = arith::AndIOp::create(
                 b, loc, mapping.lookupOrDefault(load.getMask()), mask)
                 .getResult();
    auto ahead = tile::LoadOp::create(
        b, load.getLoc(), load.getType(),
        mapping.lookupOrDefault(load.getBuffer()), offsets, mask,
        load.getOther() ? mapping.lookupOrDefault(load.getOther()) : Value());
    if (IntegerAttr contiguity = load.getContiguityAttr())
      ahead.setContiguityAttr(contiguity);
    return ahead.getResult();
  };
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> inits;
  for (auto [load, slice] : llvm::zip_equal(loads, slices))
    inits.push_back(loadAtStep(rewriter, load, slice, lb));
  auto newYields = [&](OpBuilder &b, Location,
                       ArrayRef<BlockArgument>) -> SmallVector<Value> {
    Value next = arith::AddIOp::create(b, loc, iv, stepSize);
    SmallVector<Value> yields;
    for (auto [load, slice] : llvm::zip_equal(loads, slices))
      yields.push_back(loadAtStep(b, load, slice, next));
    return yields;
  };
  auto replaced = cast<scf::ForOp>(*loop.replaceWithAdditionalYields(
      rewriter, inits, /*replaceInitOperandUsesInLoop=*/false, newYields));
  Block *body = replaced.getBody();
  unsigned first = body->getNumArguments() - loads.size();
  for (auto [i, constLoad] : llvm::enumerate(loads)) {
    tile::LoadOp load = constLoad;
    load.getResult().replaceAllUsesWith(body->getArgument(first + i));
    load.erase();
  }
  return replaced;
}

/// Whether scalar `value` is computed from constants, program ids and
/// `iv` (when given) alone, through pure scalar ops: what the producer warp
/// of a warp-specialized kernel computes without the consumers' tiles.
static bool isProducerScalar(Value value, Value iv = {}) {
  SmallVector<Value> work{value};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    if (isa<ShapedType>(v.getType()))
      return false;
    if (isa<BlockArgument>(v)) {
      if (v != iv)
        return false;
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (isa<tile::ProgramIdOp>(def))
      continue;
    if (!isPure(def) || def->getNumRegions() != 0 ||
        llvm::any_of(def->getResultTypes(), llvm::IsaPred<ShapedType>))
      return false;
    llvm::append_range(work, def->getOperands());
  }
  return true;
}

/// Releases, in each step of `loop` (of a warp-specialized kernel, its
/// products in flight), the buffers the step before waited for, after its
/// last product (whose wgmma.wait_group completes the one before): the loop
/// carries the tiles its tma_waits give, from the copies it starts with
/// (which the first step, having no step before, does not release).
/// Returns the new loop.
static scf::ForOp releaseBuffers(scf::ForOp loop) {
  SmallVector<TmaWaitOp> waits(loop.getBody()->getOps<TmaWaitOp>());
  SmallVector<Value> inits;
  for (TmaWaitOp wait : waits)
    inits.push_back(
        loop.getTiedLoopInit(cast<BlockArgument>(wait.getTile()))->get());
  IRRewriter rewriter(loop.getContext());
  auto replaced = cast<scf::ForOp>(*loop.replaceWithAdditionalYields(
      rewriter, inits, /*replaceInitOperandUsesInLoop=*/false,
      [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
        return llvm::map_to_vector(
            waits, [](TmaWaitOp wait) -> Value { return wait.getResult(); });
      }));
  Block *body = replaced.getBody();
  Operation *last = nullptr;
  for (auto dot : body->getOps<tile::DotOp>())
    last = dot;
  rewriter.setInsertionPointAfter(last);
  Location loc = last->getLoc();
  Value notFirst = arith::CmpIOp::create(
      rewriter, loc, arith::CmpIPredicate::sgt, replaced.getInductionVar(),
      replaced.getLowerBound());
  TmaReleaseOp::create(rewriter, loc,
                       ValueRange(body->getArguments().take_back(waits.size())),
                       notFirst);
  return replaced;
}

struct TileGPUPipelineKLoops
    : tile_gpu::impl::TileGPUPipelineKLoopsBase<TileGPUPipelineKLoops> {
  using Base::Base;

  void runOnOperation() override {
    if (stages < 2)
      return;
    tile::KernelOp kernel = getOperation();
    int64_t numWarps = kernel.getNumWarps().value_or(4);
    DataFlowSolver solver;
    if (prefetch > 0 &&
        failed(tile::runAxisInfoAnalysis(solver, kernel.getOperation())))
      return signalPassFailure();
    // The loops to pipeline and the operands each can load asynchronously,
    // decided before anything changes.
    struct Candidate {
      scf::ForOp loop;
      /// Whether some product runs on wgmma.
      bool wgmma;
      /// Whether the products stay in flight past the iteration's end (all
      /// are on wgmma and canPipeline).
      bool inFlight;
      SmallVector<AsyncOperand, 2> operands;
    };
    std::vector<Candidate> loops;
    kernel.walk([&](scf::ForOp loop) {
      // The products of a loop stay in flight when all are on wgmma and
      // can; the operands are prefetched either way.
      bool products = false, wgmma = false, all = true;
      for (auto dot : loop.getBody()->getOps<tile::DotOp>()) {
        auto mma = dyn_cast_or_null<MmaLayoutAttr>(dot.getType().getEncoding());
        if (!mma)
          continue;
        products = true;
        if (mma.isWgmma()) {
          wgmma = true;
          all &= canPipeline(loop, dot);
        }
      }
      if (!products)
        return;
      bool inFlight = wgmma && all;
      SmallVector<AsyncOperand, 2> operands;
      // The first of `tiles` `src`'s load can be copied to.
      auto consider = [&](Operation *user, Value src,
                          ArrayRef<RankedTensorType> tiles) {
        auto load = src.getDefiningOp<tile::LoadOp>();
        if (!load || load->getParentOp() != loop.getOperation())
          return;
        // A wgmma operand's box, by the tensor memory accelerator.
        if (tma && wgmma && isa<LocalAllocOp>(user))
          if (std::optional<TmaTensor> tensor =
                  getTmaTensor(loop, load, tiles.front()))
            return operands.push_back(
                {user, load, tiles.front(), 0, std::move(tensor)});
        for (RankedTensorType shared : tiles)
          if (shared)
            if (int64_t run = getAsyncContiguity(solver, loop, load, shared))
              return operands.push_back({user, load, shared, run, {}});
      };
      for (auto dot : loop.getBody()->getOps<tile::DotOp>()) {
        if (!isa_and_nonnull<MmaLayoutAttr>(dot.getType().getEncoding()) ||
            prefetch <= 0)
          continue;
        for (Value operand : {dot.getA(), dot.getB()}) {
          // wgmma reads the tile its local_alloc stores; mma.sync the
          // registers a conversion gives it (ldmatrix from the copy).
          if (auto alloc = operand.getDefiningOp<LocalAllocOp>())
            consider(alloc, alloc.getSrc(), {alloc.getType()});
          else if (auto convert = operand.getDefiningOp<ConvertLayoutOp>();
                   convert && convert->hasOneUse() &&
                   convert->getParentOp() == loop.getOperation())
            consider(convert, convert.getSrc(),
                     {getMmaOperandTile(convert.getType(), 1),
                      getMmaOperandTile(convert.getType(), 0)});
        }
      }
      loops.push_back({loop, wgmma, inFlight, std::move(operands)});
    });
    // Warp specialization: every loop with an operand copied by TMA keeps
    // its products in flight; it is in no other loop, and its bounds, the
    // conditions of the ifs around it and its copies' coordinates come
    // from constants, program ids and its induction variable, so that a
    // producer warp can run its copies alone. Everything else (operands
    // through registers or cp.async, prologues, epilogues, loops without
    // copies) is the consumers'.
    auto canSpecialize = [&](const Candidate &candidate) {
      scf::ForOp loop = candidate.loop;
      if (llvm::none_of(candidate.operands,
                        [](const AsyncOperand &o) { return o.tma; }))
        return true;
      if (!candidate.inFlight)
        return false;
      for (Operation *parent = loop->getParentOp(); parent != kernel;
           parent = parent->getParentOp()) {
        auto branch = dyn_cast<scf::IfOp>(parent);
        if (!branch || !isProducerScalar(branch.getCondition()))
          return false;
      }
      if (!isProducerScalar(loop.getLowerBound()) ||
          !isProducerScalar(loop.getUpperBound()) ||
          !isProducerScalar(loop.getStep()))
        return false;
      for (const AsyncOperand &operand : candidate.operands)
        if (operand.tma)
          for (const tile::LinearIndex &start : operand.tma->starts)
            for (auto [value, a] : start.terms)
              if (!isProducerScalar(value, loop.getInductionVar()))
                return false;
      return true;
    };
    bool specialize =
        warpSpecialize && numWarps % 4 == 0 &&
        llvm::any_of(loops,
                     [](const Candidate &candidate) {
                       return llvm::any_of(
                           candidate.operands,
                           [](const AsyncOperand &o) { return o.tma; });
                     }) &&
        llvm::all_of(loops, [&](const Candidate &candidate) {
          return canSpecialize(candidate);
        });
    bool specialized = false;

    OpBuilder builder(&getContext());
    bool registerPrefetched = false;
    for (Candidate &candidate : loops) {
      scf::ForOp loop = candidate.loop;
      ArrayRef<AsyncOperand> operands = candidate.operands;
      // Prefetching takes prefetch + 2 buffers of every operand of products
      // in flight (one read by this step's product, one by the previous
      // step's), prefetch + 1 of products that complete in their step
      // (mma.sync reads into registers at once); fewer steps ahead where
      // shared memory runs short.
      int64_t spare = candidate.inFlight ? 2 : 1;
      auto loopBytes = [&](int64_t ahead) {
        int64_t bytes = kernel.getSharedBytes().value_or(0);
        kernel.walk([&](SharedTileOpInterface tile) {
          // A tile of another branch takes the same bytes
          // (meld-tile-gpu-allocate-shared).
          if (runExclusively(tile, loop))
            return;
          int64_t buffers =
              tile->getParentOp() == loop.getOperation() ? ahead + spare : 1;
          bytes += tile.getStageStride() * buffers;
          // A TMA copy's buffers have an mbarrier each (two where the
          // kernel is warp-specialized).
          if (llvm::any_of(operands, [&](const AsyncOperand &operand) {
                return operand.tma && operand.user == tile.getOperation();
              }))
            bytes += (specialize ? 16 : 8) * buffers;
        });
        for (const AsyncOperand &operand : operands)
          if (!isa<LocalAllocOp>(operand.user))
            bytes += llvm::alignTo(getSharedTileBytes(operand.shared),
                                   kSharedTileAlignment) *
                     (ahead + spare);
        return bytes;
      };
      int64_t ahead = operands.empty() ? 0 : prefetch;
      int64_t maxBytes = getMaxSharedBytes(candidate.wgmma);
      if (maxSharedBytes > 0)
        maxBytes = std::min<int64_t>(maxBytes, maxSharedBytes);
      while (ahead > 0 && loopBytes(ahead) > maxBytes)
        --ahead;
      if (ahead > 0) {
        int64_t loopStages = ahead + spare;
        SmallVector<Operation *> copies;
        for (const AsyncOperand &operand : operands)
          copies.push_back(
              operand.tma
                  ? makeTma(builder, operand).getOperation()
                  : makeAsync(builder, operand, numWarps).getOperation());
        loop = prefetchLoads(loop, copies, ahead, loopStages, specialize);
        if (specialize) {
          loop = releaseBuffers(loop);
          specialized = true;
        }
        loop->setAttr(kStagesAttrName, builder.getI64IntegerAttr(loopStages));
      } else if (candidate.inFlight) {
        loop->setAttr(kStagesAttrName, builder.getI64IntegerAttr(stages));
      }
      if (candidate.inFlight && getPipelineStages(loop) > 1)
        for (auto dot : loop.getBody()->getOps<tile::DotOp>())
          dot->setAttr(kInFlightAttrName, builder.getUnitAttr());
      // The operands that go through registers are loaded a step ahead,
      // where the loop writes no memory and holds no loop of its own
      // (whose registers they would take all along: attention's output
      // projection holds its weight's block across the loop over keys).
      bool storesOrLoops = loop.getBody()
                               ->walk([](Operation *op) {
                                 return isa<tile::StoreOp, scf::ForOp>(op)
                                            ? WalkResult::interrupt()
                                            : WalkResult::advance();
                               })
                               .wasInterrupted();
      if (!prefetchRegisters || storesOrLoops)
        continue;
      SmallVector<tile::LoadOp> registerLoads;
      for (auto dot : loop.getBody()->getOps<tile::DotOp>())
        if (isa_and_nonnull<MmaLayoutAttr>(dot.getType().getEncoding()))
          for (Value operand : {dot.getA(), dot.getB()})
            if (tile::LoadOp load = getRegisterOperandLoad(loop, operand);
                load && !llvm::is_contained(registerLoads, load))
              registerLoads.push_back(load);
      if (!registerLoads.empty()) {
        Attribute stagesAttr = loop->getAttr(kStagesAttrName);
        loop = prefetchRegisterLoads(loop, registerLoads);
        if (stagesAttr)
          loop->setAttr(kStagesAttrName, stagesAttr);
        registerPrefetched = true;
      }
    }
    if (specialized)
      setWarpSpecialization(kernel, getWarpSpecialization(numWarps));
    // What the loads' offsets and masks were computed in before, now
    // read by no one.
    if (registerPrefetched ||
        llvm::any_of(loops, [](const Candidate &candidate) {
          return !candidate.operands.empty();
        }))
      kernel.walk<WalkOrder::PostOrder, mlir::ReverseIterator>(
          [](Operation *op) {
            if (isOpTriviallyDead(op))
              op->erase();
          });
  }
};

} // namespace
