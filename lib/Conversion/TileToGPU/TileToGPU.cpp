//===- TileToGPU.cpp - Map tile kernels onto GPU threads ------------------===//
//
// Every tile.kernel becomes a gpu.func run by one thread block per program.
// Each tile is spread over the block's threads as its layout (the encoding of
// its type, from meld-tile-gpu-assign-layouts) says: slot i of a thread holds
// the element at the layout's coordinates for that slot, an affine function
// of the thread's lane and warp, and a slot whose coordinates fall outside
// the tile holds nothing. Elementwise math maps slot by slot and needs no
// communication. Where a load or store carries a proved `contiguity`
// (meld-tile-annotate-contiguity), the layout's runs of consecutive slots
// along the last dimension are one or a few vector accesses under one
// predicate, at most 16 bytes each; otherwise it goes element by element.
// Nothing about the layout of offsets is checked at run time.
//
// The ops that move data between threads go through shared memory:
//   - tile_gpu.convert_layout writes its tile and reads it back in the other
//     layout;
//   - tile.dot stages both operands in shared memory (each element is reused
//     by a whole row or column of the result) and every thread computes its
//     own result elements from there;
//   - tile.reduce writes its input to shared memory; lanes of one warp share
//     each output (strided partial sums, then a butterfly of warp shuffles);
//     the results come back through shared memory;
//   - tile.broadcast writes its input to shared memory and every thread reads
//     the elements its result slots repeat.
//   - tensor.extract makes a program's scalar of a rank-0 tile: the element
//     of the thread holding it, read by every thread from shared memory.
// tile.fault needs no communication: each thread records the faults of its
// own elements with an atomic compare-and-swap on the status in global memory.
// Each of them is bracketed by barriers. All of them share one shared-memory
// scratch buffer, sized for the largest: the launch's dynamic shared memory.
//
//===----------------------------------------------------------------------===//

#include "meld/Conversion/Passes.h"

#include "dialects/TileGPU/IR/TileGPUDialect.h"

#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/ScopeExit.h"
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
        scratch(scratch), scratchBytes(scratchBytes) {
    lane = arith::RemUIOp::create(b, loc, tid, index(32));
    warp = arith::DivUIOp::create(b, loc, tid, index(32));
  }

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
  /// The bits of an index in the kernel's module (its memref descriptors'
  /// sizes and strides).
  unsigned indexBits = 64;
  /// The tensor map argument each TMA copy reads through.
  DenseMap<Operation *, Value> tensorMaps;
  /// Initializes the mbarrier of every buffer of the kernel's TMA copies
  /// (`copies`), in its first thread, before anything else.
  LogicalResult initTmaBarriers(ArrayRef<tile_gpu::TmaLoadOp> copies);
  /// The mbarriers of `copies`' tiles: each tile's first mbarrier offset
  /// and its buffers (those of the pipelined loop its copies are in, and
  /// at least up to a constant slot), checked against shared memory.
  FailureOr<llvm::MapVector<int64_t, int64_t>>
  getMbarrierPlaces(ArrayRef<tile_gpu::TmaLoadOp> copies);
  /// Initializes, in the first thread, `count` mbarriers 8 bytes apart from
  /// each offset of `places` (invalidating them first with `again`), then
  /// makes them visible to the copies and the block. In a warp-specialized
  /// kernel each buffer has two, 16 bytes apart from the next buffer's: its
  /// copy's, then its release's (one arrival a consumer thread).
  void initMbarriers(const llvm::MapVector<int64_t, int64_t> &places,
                     bool again);

  /// Who runs the code being built: the whole block; in a warp-specialized
  /// kernel (`tile_gpu.warp_specialize`), its consumer warps (every
  /// thread of the layouts: they meet at named barrier 1 and take the TMA
  /// copies' buffers from the producer) or its producer thread (the first
  /// of the warpgroup after them, which only issues the copies).
  enum class Role { Block, Consumer, Producer };
  Role role = Role::Block;
  /// Consumers of a warp-specialized kernel (`threads` of them) arrive on
  /// each buffer's release mbarrier, the 8 bytes after its copy's.
  bool specialized = false;
  /// Bytes from one buffer's mbarriers to the next's.
  int64_t mbarrierStride() const { return specialized ? 16 : 8; }
  /// The producer's code: the ops of `block` that its copies need (scalar
  /// arithmetic, the loops and branches around them), the copies issued as
  /// their buffers are released.
  LogicalResult distributeProducer(Block &block);

private:
  /// What the lowering needs of a tile type's layout, computed once.
  struct LayoutInfo {
    tile_gpu::DistributedLayoutAttr layout;
    /// The shape the layout lays out ([1] for a rank-0 tile).
    Shape shape;
    int64_t slots;
    /// Per slot and dimension: whether some thread's coordinate there falls
    /// outside the tile (so the lowering tests it).
    SmallVector<SmallVector<bool>> mayExceed;
  };
  const LayoutInfo &infoOf(Type type) {
    auto [it, inserted] = layouts.try_emplace(type);
    LayoutInfo &info = it->second;
    if (!inserted)
      return info;
    auto tensorType = cast<RankedTensorType>(type);
    info.layout = tile_gpu::getLayout(type);
    assert(info.layout && "tile without a layout reached the lowering");
    info.shape = tile_gpu::getLayoutShape(tensorType.getShape());
    info.slots = info.layout.getSlotsPerThread(info.shape);
    int64_t rank = info.shape.size();
    for (int64_t slot = 0; slot < info.slots; ++slot) {
      SmallVector<bool> exceeds(rank, false);
      SmallVector<AffineExpr> coords =
          info.layout.getSlotCoordinates(info.shape, slot);
      for (int64_t w = 0; w < threads / 32; ++w)
        for (int64_t l = 0; l < 32; ++l)
          for (int64_t d = 0; d < rank; ++d)
            if (tile_gpu::evaluateLayoutExpr(coords[d], l, w) >= info.shape[d])
              exceeds[d] = true;
      info.mayExceed.push_back(std::move(exceeds));
    }
    return info;
  }
  /// `expr` (a layout's coordinate, non-negative) as index arithmetic on
  /// this thread's lane and warp.
  Value materialize(AffineExpr expr) {
    // warp * 32 + lane is the thread's id.
    MLIRContext *ctx = expr.getContext();
    if (expr == getAffineDimExpr(1, ctx) * 32 + getAffineDimExpr(0, ctx))
      return tid;
    if (auto c = dyn_cast<AffineConstantExpr>(expr))
      return index(c.getValue());
    if (auto dim = dyn_cast<AffineDimExpr>(expr))
      return dim.getPosition() == 0 ? lane : warp;
    auto bin = cast<AffineBinaryOpExpr>(expr);
    Value x = materialize(bin.getLHS()), y = materialize(bin.getRHS());
    switch (expr.getKind()) {
    case AffineExprKind::Add:
      return arith::AddIOp::create(b, loc, x, y);
    case AffineExprKind::Mul:
      return arith::MulIOp::create(b, loc, x, y);
    case AffineExprKind::Mod:
      return arith::RemUIOp::create(b, loc, x, y);
    case AffineExprKind::FloorDiv:
      return arith::DivUIOp::create(b, loc, x, y);
    default:
      llvm_unreachable("layouts use no ceildiv");
    }
  }
  /// How many slots a thread has for tiles of `type`.
  int64_t slotCount(Type type) { return infoOf(type).slots; }
  /// The coordinates of slot `i`'s element in a tile of `type` (in the
  /// layout's shape).
  SmallVector<Value> coordinatesOf(Type type, int64_t i) {
    const LayoutInfo &info = infoOf(type);
    return llvm::map_to_vector(info.layout.getSlotCoordinates(info.shape, i),
                               [&](AffineExpr e) { return materialize(e); });
  }
  /// The row-major index of slot `i`'s element in a tile of `type`.
  Value linearOf(Type type, int64_t i) {
    return linearize(coordinatesOf(type, i), infoOf(type).shape);
  }
  /// Whether slot `i` of a tile of `type` holds an element, or null when it
  /// always does.
  Value slotValid(Type type, int64_t i) {
    const LayoutInfo &info = infoOf(type);
    if (!llvm::is_contained(info.mayExceed[i], true))
      return {};
    SmallVector<AffineExpr> coords =
        info.layout.getSlotCoordinates(info.shape, i);
    Value valid;
    for (auto [d, exceeds] : llvm::enumerate(info.mayExceed[i]))
      if (exceeds)
        valid = both(valid, arith::CmpIOp::create(
                                b, loc, arith::CmpIPredicate::ult,
                                materialize(coords[d]), index(info.shape[d])));
    return valid;
  }
  /// How many consecutive slots of tiles of `type` lie side by side along
  /// the last dimension, in runs starting at multiples of it, every slot of
  /// a run holding an element or none.
  int64_t contiguousSlots(Type type) {
    const LayoutInfo &info = infoOf(type);
    int64_t run = info.layout.getContiguousSlots(info.shape);
    return info.shape.back() % run == 0 ? run : 1;
  }
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
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
  /// The whole of the kernel's shared memory as elements of `element`
  /// (where the tiles stored in it are addressed).
  Value sharedView(Type element) {
    return scratchView(element, 0, scratchBytes / sharedBytes(element));
  }
  /// The block meets; the consumers of a warp-specialized kernel meet at
  /// named barrier 1, without the producer warpgroup.
  void barrier() {
    if (role != Role::Consumer)
      return (void)gpu::BarrierOp::create(b, loc);
    Type i32 = b.getI32Type();
    NVVM::BarrierOp::create(b, loc, /*res=*/Type(),
                            arith::ConstantIntOp::create(b, loc, i32, 1),
                            arith::ConstantIntOp::create(b, loc, i32, threads),
                            /*reductionOp=*/NVVM::BarrierReductionAttr(),
                            /*reductionPredicate=*/Value());
  }
  /// Null, or where a tile of `type` that several warps hold copies of is
  /// written from: its first copy.
  Value firstCopy(Type type) {
    AffineExpr copy = infoOf(type).layout.getCopyIndex();
    if (!copy)
      return {};
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                 materialize(copy), index(0));
  }
  /// The `v` elements of `element` at `memory[offset()]` (one vector access
  /// when v > 1) where `valid` holds (always when null), else `otherwise`;
  /// `offset` builds the index under the predicate.
  SmallVector<Value> loadGroup(Value memory, function_ref<Value()> offsetOf,
                               int64_t v, Type element, Value valid,
                               Value otherwise) {
    auto load = [&]() -> SmallVector<Value> {
      Value offset = offsetOf();
      if (v == 1)
        return {memref::LoadOp::create(b, loc, memory, offset)};
      Value vec = vector::LoadOp::create(
          b, loc, VectorType::get({v}, element), memory, ValueRange{offset},
          /*nontemporal=*/false, llvm::MaybeAlign(v * sharedBytes(element)));
      SmallVector<Value> parts;
      for (int64_t j = 0; j < v; ++j)
        parts.push_back(vector::ExtractOp::create(b, loc, vec, j));
      return parts;
    };
    if (!valid)
      return load();
    auto ifOp = scf::IfOp::create(b, loc, SmallVector<Type>(v, element), valid,
                                  /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    scf::YieldOp::create(b, loc, load());
    b.setInsertionPointToStart(&ifOp.getElseRegion().front());
    scf::YieldOp::create(b, loc, SmallVector<Value>(v, otherwise));
    return SmallVector<Value>(ifOp.getResults());
  }
  /// Stores `values` at `memory[offset]`: one vector access for several.
  void storeGroup(ArrayRef<Value> values, Value memory, Value offset) {
    if (values.size() == 1) {
      memref::StoreOp::create(b, loc, values[0], memory, offset);
      return;
    }
    Type element = values[0].getType();
    auto vectorType =
        VectorType::get({static_cast<int64_t>(values.size())}, element);
    Value vec = vector::FromElementsOp::create(b, loc, vectorType, values);
    vector::StoreOp::create(
        b, loc, vec, memory, ValueRange{offset},
        /*nontemporal=*/false,
        llvm::MaybeAlign(values.size() * sharedBytes(element)));
  }

  /// Writes tile `tile` (distributed) to `view` at its row-major positions,
  /// or at `strides` (in the layout's shape) when given.
  void writeTile(Value tile, Value view, ArrayRef<int64_t> strides = {}) {
    Type type = tile.getType();
    ArrayRef<Value> slots = slotsOf(tile);
    Value first = firstCopy(type);
    for (int64_t i = 0, e = slots.size(); i < e; ++i)
      guarded(both(first, slotValid(type, i)), [&] {
        Value offset = strides.empty()
                           ? linearOf(type, i)
                           : linearizeStrided(coordinatesOf(type, i), strides);
        memref::StoreOp::create(b, loc, slots[i], view, offset);
      });
  }
  /// The slots of a tile of `type` read from `view` (its row-major
  /// elements); slots that hold nothing get zero.
  SmallVector<Value> readTile(Type type, Value view) {
    Value zero = arith::ConstantOp::create(
        b, loc, b.getZeroAttr(cast<RankedTensorType>(type).getElementType()));
    SmallVector<Value> slots;
    for (int64_t i = 0, e = slotCount(type); i < e; ++i)
      slots.push_back(select(
          slotValid(type, i),
          [&] {
            return memref::LoadOp::create(b, loc, view, linearOf(type, i));
          },
          zero));
    return slots;
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
    return linearizeStrided(coords, computeStrides(shape));
  }
  Value linearizeStrided(ArrayRef<Value> coords, ArrayRef<int64_t> strides) {
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
  LogicalResult distributeConvert(tile_gpu::ConvertLayoutOp op);
  /// Where element `coords` of a tile of `type` lies in a conversion's
  /// staging buffer: row-major, 16-byte chunks swizzled for 2-D tiles of
  /// 2- and 4-byte elements.
  Value stagedOffset(ArrayRef<Value> coords, RankedTensorType type,
                     int64_t phaseStep);
  /// A conversion's halves: `tile` into `view`, and the slots of a tile of
  /// `type` out of it, runs of consecutive slots as vector accesses, with
  /// the swizzle's phase step.
  void writeStaged(Value tile, Value view, int64_t phaseStep);
  SmallVector<Value> readStaged(RankedTensorType type, Value view,
                                int64_t phaseStep);
  /// The slots of a 16-bit mma operand of `type` read from `view` with
  /// ldmatrix (A: .x4 per instruction, B: .x2.trans), element (row, col)
  /// of the operand at `offsetOf({row, col})`, or nothing when the operand
  /// does not suit it (a slot may hold no element, rows of less than 16
  /// bytes).
  /// A B stored with K contiguous (`kMajorB`) is read untransposed: its
  /// 8x8 matrices' rows are columns of B.
  std::optional<SmallVector<Value>>
  readWithLdmatrix(RankedTensorType type, Value view,
                   function_ref<Value(ArrayRef<Value>)> offsetOf,
                   bool kMajorB = false);
  /// How many consecutive slots of a tile of `type` a conversion stages as
  /// one vector: its layout's runs, within 16 bytes, and 1 for booleans.
  int64_t stagingWidth(RankedTensorType type) {
    if (type.getElementType().isInteger(1))
      return 1;
    return std::min<int64_t>(contiguousSlots(type),
                             16 / sharedBytes(type.getElementType()));
  }
  void distributeIota(tile::IotaOp op);
  /// How many consecutive slots of `op` (a tile.load or tile.store of tiles
  /// of `type`) are one vector access: its proved contiguity, within a run
  /// of the layout and 16 bytes.
  int64_t accessWidth(Operation *op, RankedTensorType type);
  void distributeLoad(tile::LoadOp op);
  void distributeStore(tile::StoreOp op);
  void distributeDot(tile::DotOp op);
  void distributeMmaDot(tile::DotOp op, tile_gpu::MmaLayoutAttr mma);
  /// Checks that `op`'s tile, `buffers` of it, lies in shared memory.
  LogicalResult checkSharedTile(tile_gpu::SharedTileOpInterface op,
                                int64_t buffers);
  /// The index, in elements of its type, of the element at `coords` of a
  /// tile of `type` (a #tile_gpu.shared layout) whose buffer starts at byte
  /// `base` of shared memory.
  Value sharedElementIndex(RankedTensorType type, Value base,
                           ArrayRef<Value> coords);
  /// Zeroes the rows a tile of `type` at byte `base` is padded with.
  void zeroPaddingRows(RankedTensorType type, Value base);
  /// Makes the block's writes to shared memory visible to the tensor cores
  /// and to every thread.
  void fenceForTensorCores();
  LogicalResult distributeLocalAlloc(tile_gpu::LocalAllocOp op);
  LogicalResult distributeAsyncLoad(tile_gpu::AsyncLoadOp op);
  LogicalResult distributeTmaLoad(tile_gpu::TmaLoadOp op);
  /// Issues `op`'s copy into the buffer at `base`, completing on the
  /// mbarrier at `mbarrierOffset`, from the calling thread.
  void issueTmaCopy(tile_gpu::TmaLoadOp op, Value base, Value mbarrierOffset);
  LogicalResult distributeTmaRelease(tile_gpu::TmaReleaseOp op);
  /// The byte offset of buffer `slot` of the tile `copy` (an async_load or
  /// a tma_load) fills, checked against shared memory.
  FailureOr<Value> copyDestination(tile_gpu::SharedTileOpInterface copy,
                                   Value slot);
  /// A barrier before `copy`, unless it is a pipelined loop's prefetch.
  void meetBeforeCopy(Operation *copy);
  void distributeTmaWait(tile_gpu::TmaWaitOp op);
  /// The address of the shared memory's byte `offset` (an index), as a
  /// pointer to shared memory.
  Value sharedPointer(Value offset);
  /// The address of the first element of 1-D `memref`, as a pointer of
  /// `addressSpace`.
  Value basePointer(Value memref, unsigned addressSpace);

  void distributeLocalLoad(tile_gpu::LocalLoadOp op);
  void distributeAsyncWait(tile_gpu::AsyncWaitOp op);
  void distributeWgmmaDot(tile::DotOp op, tile_gpu::MmaLayoutAttr mma);
  /// The wgmma matrix descriptor of the tile of `layout` (`rows` rows,
  /// K-major or MN-major) whose 16-byte rows start at byte `start` of
  /// shared memory (`sharedAddress` its address).
  Value wgmmaDescriptor(Value sharedAddress, Value start,
                        tile_gpu::SharedLayoutAttr layout, int64_t rows,
                        bool mnMajor);
  void distributeReduce(tile::ReduceOp op);
  /// A reduction into the slice of its input's layout along its dimension,
  /// where no two warps share a row: each thread combines its own slots of
  /// each row, then a butterfly of shuffles the lanes that share it. False
  /// (nothing created) where it does not apply.
  bool reduceInRegisters(tile::ReduceOp op);
  void distributeBroadcast(tile::BroadcastOp op);
  /// A broadcast from the slice of its result's layout along the dimension
  /// it adds: each slot takes its row's value. False (nothing created)
  /// where it does not apply.
  bool broadcastInRegisters(tile::BroadcastOp op);
  /// For each slot of tiles of `type`, the constants of its coordinates off
  /// dimension `skip` (the same in every thread for slots that share those
  /// coordinates, in layouts related by a slice).
  SmallVector<SmallVector<int64_t>> slotKeys(Type type, int64_t skip);
  void distributeFault(tile::FaultOp op);
  LogicalResult distributeElementwise(Operation *op);

  OpBuilder &b;
  Location loc;
  int64_t threads;
  Value tid;
  ArrayRef<Value> blockIds;
  Value scratch;
  int64_t scratchBytes;
  /// This thread's lane and warp.
  Value lane, warp;
  /// In the body of a pipelined K loop (tile_gpu.stages): its stages, and
  /// the buffer this iteration uses, (iteration) % stages.
  int64_t stages = 1;
  Value stage;
  DenseMap<Value, SmallVector<Value>> tiles;
  DenseMap<Type, LayoutInfo> layouts;
};

LogicalResult Distributor::distribute(Block &block) {
  for (Operation &op : block.without_terminator())
    if (failed(distributeOp(&op)))
      return failure();
  return success();
}

LogicalResult Distributor::distributeOp(Operation *op) {
  loc = op->getLoc();
  if (int64_t staging = tile_gpu::getScratchBytes(op); staging > scratchBytes)
    return op->emitOpError("stages ")
           << staging << " bytes in shared memory, more than its kernel's "
           << "shared_bytes (" << scratchBytes << ")";
  if (auto pid = dyn_cast<tile::ProgramIdOp>(op)) {
    mapping.map(pid.getResult(), blockIds[pid.getDim()]);
    return success();
  }
  if (auto splat = dyn_cast<tensor::SplatOp>(op)) {
    Value scalar = mapping.lookupOrDefault(splat.getInput());
    tiles[splat.getResult()] =
        SmallVector<Value>(slotCount(splat.getType()), scalar);
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
        SmallVector<Value>(slotCount(tensorType), scalar);
    return success();
  }
  if (auto extract = dyn_cast<tensor::ExtractOp>(op))
    return distributeExtract(extract);
  if (auto convert = dyn_cast<tile_gpu::ConvertLayoutOp>(op))
    return distributeConvert(convert);
  if (auto alloc = dyn_cast<tile_gpu::LocalAllocOp>(op))
    return distributeLocalAlloc(alloc);
  if (auto copy = dyn_cast<tile_gpu::AsyncLoadOp>(op))
    return distributeAsyncLoad(copy);
  if (auto copy = dyn_cast<tile_gpu::TmaLoadOp>(op))
    return distributeTmaLoad(copy);
  if (auto wait = dyn_cast<tile_gpu::TmaWaitOp>(op)) {
    distributeTmaWait(wait);
    return success();
  }
  if (auto release = dyn_cast<tile_gpu::TmaReleaseOp>(op))
    return distributeTmaRelease(release);
  if (auto read = dyn_cast<tile_gpu::LocalLoadOp>(op)) {
    distributeLocalLoad(read);
    return success();
  }
  if (auto wait = dyn_cast<tile_gpu::AsyncWaitOp>(op)) {
    distributeAsyncWait(wait);
    return success();
  }
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
  // Slot by slot: elementwise ops' verifiers keep every tile operand in the
  // result's layout (the encoding is part of the type).
  assert(llvm::all_of(op->getOperandTypes(),
                      [&](Type type) {
                        auto tile = dyn_cast<RankedTensorType>(type);
                        return !tile ||
                               tile.getEncoding() == resultType.getEncoding();
                      }) &&
         "elementwise operands in another layout than the result");
  int64_t count = slotCount(resultType);
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
  // A program's scalar is the same in each of its threads: the element of
  // the thread holding it, through shared memory.
  barrier();
  Value view = scratchView(type.getElementType(), 0, 1);
  Value holder = slotValid(type, 0);
  assert(holder && "a rank-0 tile is held by one thread");
  guarded(holder, [&] {
    memref::StoreOp::create(b, loc, slotsOf(extract.getTensor())[0], view,
                            ValueRange{index(0)});
  });
  barrier();
  mapping.map(extract.getResult(),
              memref::LoadOp::create(b, loc, view, ValueRange{index(0)}));
  return success();
}

/// The buffers of the tile a copy from global memory (an async_load, a
/// tma_load) fills buffer `slot` of: those of the pipelined loop it is in,
/// and at least up to a constant `slot`.
static int64_t getCopyBuffers(Operation *copy, Value slot) {
  int64_t buffers = tile_gpu::getPipelineStages(copy->getParentOp());
  if (std::optional<int64_t> constant = getConstantIntValue(slot))
    buffers = std::max(buffers, *constant + 1);
  return buffers;
}

/// Whether `loop`'s body computes products on wgmma.
static bool hasWgmma(scf::ForOp loop) {
  return llvm::any_of(loop.getBody()->getOps<tile::DotOp>(),
                      [](tile::DotOp dot) {
                        auto mma = dyn_cast_or_null<tile_gpu::MmaLayoutAttr>(
                            dot.getType().getEncoding());
                        return mma && mma.isWgmma();
                      });
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
  // A loop of tensor-core products (a K loop) stays rolled: ptxas unrolls
  // a known trip count on sm_80 and, with mma.sync m16n8k16 on 64x64
  // tiles, takes 255 registers and spills where the loop needs 86.
  if (loop.getBody()
          ->walk([](tile::DotOp dot) {
            return isa_and_nonnull<tile_gpu::MmaLayoutAttr>(
                       dot.getType().getEncoding())
                       ? WalkResult::interrupt()
                       : WalkResult::advance();
          })
          .wasInterrupted()) {
    MLIRContext *ctx = b.getContext();
    auto unroll = LLVM::LoopUnrollAttr::get(
        ctx, /*disable=*/BoolAttr::get(ctx, true), {}, {}, {}, {}, {}, {});
    newLoop->setAttr("llvm.loop_annotation",
                     LLVM::LoopAnnotationAttr::get(ctx, {}, {}, {}, unroll, {},
                                                   {}, {}, {}, {}, {}, {}, {},
                                                   {}, {}, {}));
  }
  Block *body = newLoop.getBody();
  mapping.map(loop.getInductionVar(), newLoop.getInductionVar());
  // A pipelined K loop: its products' operands take buffer (iteration) %
  // stages; the products marked in flight stay so past the iteration's
  // end, and the loop waits for all of them when it ends.
  int64_t loopStages = tile_gpu::getPipelineStages(loop);
  int64_t outerStages = stages;
  Value outerStage = stage;
  llvm::scope_exit restoreStage([&] {
    stages = outerStages;
    stage = outerStage;
  });
  stages = loopStages;
  stage = Value();
  if (loopStages > 1) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(body);
    Value iteration = arith::DivUIOp::create(
        b, loc,
        arith::SubIOp::create(b, loc, newLoop.getInductionVar(),
                              newLoop.getLowerBound()),
        newLoop.getStep());
    stage = arith::RemUIOp::create(b, loc, iteration, index(loopStages));
  }
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
  // Its wgmma products (mma.sync's complete at once).
  if (loopStages > 1 && hasWgmma(loop))
    NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
  // A loop of TMA copies nested in another runs again: its buffers'
  // mbarriers start over at phase 0, as its waits' parities count from
  // the run's first step. Every copy it issued was waited for (those past
  // its end are not issued), so once the block meets no thread waits on
  // them any more.
  SmallVector<tile_gpu::TmaLoadOp> copies;
  if (loop->getParentOfType<scf::ForOp>())
    llvm::append_range(copies, loop.getBody()->getOps<tile_gpu::TmaLoadOp>());
  if (copies.empty())
    return success();
  FailureOr<llvm::MapVector<int64_t, int64_t>> places =
      getMbarrierPlaces(copies);
  if (failed(places))
    return failure();
  barrier();
  initMbarriers(*places, /*again=*/true);
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
  // Each slot's coordinate along the dimension, as its layout places it.
  RankedTensorType type = op.getType();
  const LayoutInfo &info = infoOf(type);
  SmallVector<Value> slots;
  for (int64_t i = 0; i < info.slots; ++i)
    slots.push_back(materialize(
        info.layout.getSlotCoordinates(info.shape, i)[op.getDim()]));
  tiles[op.getResult()] = std::move(slots);
}

LogicalResult Distributor::distributeConvert(tile_gpu::ConvertLayoutOp op) {
  // Through shared memory: each thread writes the elements it holds and
  // reads those it will hold.
  // (distributeOp checked that the scratch holds the tile.)
  RankedTensorType type = op.getType();
  // Between layouts of the same distribution, each slot stays where it is.
  if (tile_gpu::haveSameDistribution(tile_gpu::getLayout(op.getSrc().getType()),
                                     tile_gpu::getLayout(type),
                                     type.getShape())) {
    tiles[op.getResult()] = SmallVector<Value>(slotsOf(op.getSrc()));
    return success();
  }
  barrier();
  Value view = scratchView(type.getElementType(), 0, type.getNumElements());
  // B's lanes read 8 columns of a row at once: 32 bytes of f32 (two
  // chunks, a phase step of 2), 16 of a 16-bit type (one chunk, a step of
  // 1).
  auto operand = dyn_cast<tile_gpu::DotOperandLayoutAttr>(type.getEncoding());
  int64_t phaseStep =
      operand && operand.getOpIdx() == 1
          ? std::max<int64_t>(1, 8 * sharedBytes(type.getElementType()) / 16)
          : 1;
  writeStaged(op.getSrc(), view, phaseStep);
  barrier();
  if (std::optional<SmallVector<Value>> slots =
          readWithLdmatrix(type, view, [&](ArrayRef<Value> coords) {
            return stagedOffset(coords, type, phaseStep);
          }))
    tiles[op.getResult()] = std::move(*slots);
  else
    tiles[op.getResult()] = readStaged(type, view, phaseStep);
  return success();
}

std::optional<SmallVector<Value>>
Distributor::readWithLdmatrix(RankedTensorType type, Value view,
                              function_ref<Value(ArrayRef<Value>)> offsetOf,
                              bool kMajorB) {
  auto operand = dyn_cast<tile_gpu::DotOperandLayoutAttr>(type.getEncoding());
  Type element = type.getElementType();
  const LayoutInfo &info = infoOf(type);
  if (!operand || operand.getKWidth() != 2 ||
      element.getIntOrFloatBitWidth() != 16 || info.shape.size() != 2 ||
      info.shape[1] % 8 != 0 ||
      llvm::any_of(info.mayExceed, [](ArrayRef<bool> exceeds) {
        return llvm::is_contained(exceeds, true);
      }))
    return std::nullopt;
  // One instruction's slots: A's 4 registers (rows g and g + 8, k 2t and
  // 2t + 8, with g = lane / 4, t = lane % 4) are ldmatrix .x4's matrices
  // (rows 0-7 / 8-15 of k 0-7, then of k 8-15); B's 2 registers (k 2t and
  // 2t + 8, column g) are .x2.trans's, its matrices 8 k-rows of 8 columns.
  // Lane l gives row l % 8 of matrix l / 8 (B: lanes 16 to 31 repeat 0 to
  // 15, their addresses unused). A K-major B's registers are .x2's
  // untransposed: lane l gives column l % 8 at k 8 ((l / 8) % 2).
  bool isA = operand.getOpIdx() == 0;
  int64_t numTiles = isA ? 4 : 2;
  int64_t perInstr = 2 * numTiles;
  Value laneRow = arith::RemUIOp::create(b, loc, lane, index(8));
  Value matrix = arith::DivUIOp::create(b, loc, lane, index(8));
  // A: row + 8 (matrix % 2), k + 8 (matrix / 2); B: k + 8 (matrix % 2).
  Value second = arith::MulIOp::create(
      b, loc, arith::RemUIOp::create(b, loc, matrix, index(2)), index(8));
  Value rowStep =
      kMajorB && !isA ? second : arith::AddIOp::create(b, loc, laneRow, second);
  Value colStep =
      isA ? arith::MulIOp::create(
                b, loc, arith::DivUIOp::create(b, loc, matrix, index(2)),
                index(8))
      : kMajorB ? laneRow
                : index(0);
  // Each instruction's block starts where lane 0's first slot lies in the
  // layout (its row g and column 2t, at g = t = 0).
  MLIRContext *ctx = type.getContext();
  AffineExpr lane0 = getAffineConstantExpr(0, ctx);
  AffineExpr warpDim = getAffineDimExpr(1, ctx);
  auto vectorType = VectorType::get({numTiles, 2}, element);
  SmallVector<Value> slots;
  for (int64_t block = 0, e = info.slots / perInstr; block < e; ++block) {
    SmallVector<AffineExpr> start =
        info.layout.getSlotCoordinates(info.shape, block * perInstr);
    Value row = arith::AddIOp::create(
        b, loc, materialize(start[0].replaceDims({lane0, warpDim})), rowStep);
    Value col = arith::AddIOp::create(
        b, loc, materialize(start[1].replaceDims({lane0, warpDim})), colStep);
    Value offset = offsetOf({row, col});
    Value fragments = nvgpu::LdMatrixOp::create(
        b, loc, vectorType, view, ValueRange{offset},
        /*transpose=*/!isA && !kMajorB, static_cast<int32_t>(numTiles));
    for (int64_t r = 0; r < numTiles; ++r)
      for (int64_t x = 0; x < 2; ++x)
        slots.push_back(vector::ExtractOp::create(b, loc, fragments,
                                                  ArrayRef<int64_t>{r, x}));
  }
  return slots;
}

Value Distributor::stagedOffset(ArrayRef<Value> coords, RankedTensorType type,
                                int64_t phaseStep) {
  ArrayRef<int64_t> shape = infoOf(type).shape;
  int64_t columns = shape.back();
  int64_t bytes = sharedBytes(type.getElementType());
  int64_t perChunk = 16 / bytes;
  if (shape.size() != 2 || (bytes != 4 && bytes != 2) ||
      columns % perChunk != 0)
    return linearize(coords, shape);
  // Rows of 16-byte chunks; row r's chunks are permuted by XOR with its
  // phase, (r / perPhase * phaseStep) % maxPhase, where perPhase rows share
  // a 128-byte line: the lanes reading a column block of consecutive rows
  // (an mma operand's fragments) hit different banks, and a chunk stays
  // whole for vector accesses.
  int64_t chunks = columns / perChunk;
  int64_t perPhase = std::max<int64_t>(1, 128 / (columns * bytes));
  int64_t maxPhase = std::min<int64_t>(8, chunks);
  Value row = coords[0], col = coords[1];
  Value phase = row;
  if (perPhase != 1)
    phase = arith::DivUIOp::create(b, loc, phase, index(perPhase));
  if (phaseStep != 1)
    phase = arith::MulIOp::create(b, loc, phase, index(phaseStep));
  phase = arith::RemUIOp::create(b, loc, phase, index(maxPhase));
  Value chunk = arith::DivUIOp::create(b, loc, col, index(perChunk));
  Value swizzled = arith::XOrIOp::create(b, loc, chunk, phase);
  Value within = arith::RemUIOp::create(b, loc, col, index(perChunk));
  return arith::AddIOp::create(
      b, loc,
      arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, row, index(columns)),
          arith::MulIOp::create(b, loc, swizzled, index(perChunk))),
      within);
}

void Distributor::writeStaged(Value tile, Value view, int64_t phaseStep) {
  auto type = cast<RankedTensorType>(tile.getType());
  ArrayRef<Value> slots = slotsOf(tile);
  Value first = firstCopy(type);
  // Runs of consecutive slots along a row are one vector store of up to 16
  // bytes: they stay in one chunk of the swizzle. (Booleans go one by one:
  // a vector of i1 is packed bits.)
  int64_t v = stagingWidth(type);
  for (int64_t i = 0, e = slots.size(); i < e; i += v)
    guarded(both(first, slotValid(type, i)), [&] {
      storeGroup(slots.slice(i, v), view,
                 stagedOffset(coordinatesOf(type, i), type, phaseStep));
    });
}

SmallVector<Value> Distributor::readStaged(RankedTensorType type, Value view,
                                           int64_t phaseStep) {
  Type element = type.getElementType();
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
  int64_t v = stagingWidth(type);
  SmallVector<Value> slots;
  for (int64_t i = 0, e = slotCount(type); i < e; i += v) {
    Value valid = slotValid(type, i);
    llvm::append_range(slots, loadGroup(
                                  view,
                                  [&] {
                                    return stagedOffset(coordinatesOf(type, i),
                                                        type, phaseStep);
                                  },
                                  v, element, valid, zero));
  }
  return slots;
}

int64_t Distributor::accessWidth(Operation *op, RankedTensorType type) {
  Type elementType = type.getElementType();
  auto contiguity = op->getAttrOfType<IntegerAttr>("contiguity");
  if (!contiguity || elementType.isInteger(1))
    return 1;
  int64_t width = std::min(contiguousSlots(type), contiguity.getInt());
  while (width > 1 && width * sharedBytes(elementType) > 16)
    width /= 2;
  return width;
}

void Distributor::distributeLoad(tile::LoadOp op) {
  RankedTensorType type = op.getType();
  Type elementType = type.getElementType();
  int64_t v = accessWidth(op, type);
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
    Value valid = slotValid(type, i);
    if (op.getMask())
      valid = both(valid, masks[i]);
    // ld.global, .v2, .v4.
    llvm::append_range(slots, loadGroup(
                                  buffer, [&] { return offsets[i]; }, v,
                                  elementType, valid, other));
  }
  tiles[op.getResult()] = std::move(slots);
}

void Distributor::distributeStore(tile::StoreOp op) {
  auto type = cast<RankedTensorType>(op.getValue().getType());
  int64_t v = accessWidth(op, type);
  Value buffer = mapping.lookupOrDefault(op.getBuffer());
  ArrayRef<Value> values = slotsOf(op.getValue());
  ArrayRef<Value> offsets = slotsOf(op.getOffsets());
  ArrayRef<Value> masks;
  if (op.getMask())
    masks = slotsOf(op.getMask());
  for (int64_t i = 0, e = values.size(); i < e; i += v) {
    // As for loads: one predicate for a group of v.
    Value valid = slotValid(type, i);
    if (op.getMask())
      valid = both(valid, masks[i]);
    guarded(valid, [&] { storeGroup(values.slice(i, v), buffer, offsets[i]); });
  }
}

/// `x` (f32) rounded to tf32, to nearest with ties away from zero (as
/// cvt.rna.tf32.f32): the top 19 bits of x + 2^12 ulps, NaN kept.
static Value roundToTf32(OpBuilder &b, Location loc, Value x) {
  Type i32 = b.getI32Type();
  Value bits = arith::BitcastOp::create(b, loc, i32, x);
  Value half = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0x1000));
  Value mask = arith::ConstantOp::create(
      b, loc, b.getI32IntegerAttr(static_cast<int32_t>(0xffffe000u)));
  Value rounded = arith::AndIOp::create(
      b, loc, arith::AddIOp::create(b, loc, bits, half), mask);
  Value isNan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
  return arith::SelectOp::create(
      b, loc, isNan, x, arith::BitcastOp::create(b, loc, x.getType(), rounded));
}

LogicalResult Distributor::checkSharedTile(tile_gpu::SharedTileOpInterface op,
                                           int64_t buffers) {
  std::optional<int64_t> offset = op.getOffset();
  if (!offset)
    return op->emitOpError(
        "has no offset: run meld-tile-gpu-allocate-shared first");
  if (*offset + op.getStagedBytes(buffers) > scratchBytes)
    return op->emitOpError("stores ")
           << op.getSharedBytes() << " bytes at offset " << *offset
           << (buffers > 1
                   ? " in each of " + std::to_string(buffers) + " buffers"
                   : std::string())
           << " of shared memory, past its kernel's shared_bytes ("
           << scratchBytes << ")";
  return success();
}

Value Distributor::sharedElementIndex(RankedTensorType type, Value base,
                                      ArrayRef<Value> coords) {
  // wgmma's canonical layout (#tile_gpu.shared): element (row, col), col
  // along the contiguous dimension, at byte (col e / S) (R S) + row S +
  // (col e % S) of the tile, its 16-byte chunk XORed with bits 7.. of the
  // offset. The tile starts at a multiple of 1024, so the swizzle of the
  // offset within it is that of the address.
  auto layout = cast<tile_gpu::SharedLayoutAttr>(type.getEncoding());
  int64_t bytes = sharedBytes(type.getElementType());
  int64_t swizzle = layout.getSwizzle();
  int64_t contiguous = layout.getContiguousDim();
  int64_t rows = layout.getStoredRows(type.getShape());
  Value row = coords[1 - contiguous], col = coords[contiguous];
  Value colBytes = arith::MulIOp::create(b, loc, col, index(bytes));
  Value at = arith::AddIOp::create(
      b, loc,
      arith::AddIOp::create(
          b, loc,
          arith::MulIOp::create(
              b, loc, arith::DivUIOp::create(b, loc, colBytes, index(swizzle)),
              index(rows * swizzle)),
          arith::MulIOp::create(b, loc, row, index(swizzle))),
      arith::RemUIOp::create(b, loc, colBytes, index(swizzle)));
  Value phase = arith::RemUIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, at, index(128)),
      index(swizzle / 16));
  Value swizzled = arith::XOrIOp::create(
      b, loc, at, arith::MulIOp::create(b, loc, phase, index(16)));
  return arith::DivUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, swizzled, base), index(bytes));
}

void Distributor::zeroPaddingRows(RankedTensorType type, Value base) {
  // Rows past the tile's (padding to wgmma's 64) are zero: in each column
  // of S bytes, from the tile's last row to the stored rows' end, 16 bytes
  // a thread at a time (the swizzle keeps a row's chunks in the row).
  auto layout = cast<tile_gpu::SharedLayoutAttr>(type.getEncoding());
  Type element = type.getElementType();
  int64_t bytes = sharedBytes(element);
  int64_t swizzle = layout.getSwizzle();
  int64_t contiguous = layout.getContiguousDim();
  int64_t rows = layout.getStoredRows(type.getShape());
  int64_t tileRows = type.getDimSize(1 - contiguous);
  if (rows <= tileRows)
    return;
  Value view = sharedView(element);
  int64_t columns = type.getDimSize(contiguous) * bytes / swizzle;
  int64_t chunksPerColumn = (rows - tileRows) * swizzle / 16;
  int64_t chunks = columns * chunksPerColumn;
  Value zeros = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(VectorType::get({16 / bytes}, element),
                             b.getZeroAttr(element)));
  for (int64_t start = 0; start < chunks; start += threads) {
    Value chunk = arith::AddIOp::create(b, loc, tid, index(start));
    Value inRange =
        start + threads <= chunks
            ? Value()
            : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, chunk,
                                    index(chunks));
    guarded(inRange, [&] {
      Value column =
          arith::DivUIOp::create(b, loc, chunk, index(chunksPerColumn));
      Value within =
          arith::RemUIOp::create(b, loc, chunk, index(chunksPerColumn));
      Value at = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, column, index(rows * swizzle)),
          arith::AddIOp::create(
              b, loc, index(tileRows * swizzle),
              arith::MulIOp::create(b, loc, within, index(16))));
      Value elementAt = arith::DivUIOp::create(
          b, loc, arith::AddIOp::create(b, loc, at, base), index(bytes));
      vector::StoreOp::create(b, loc, zeros, view, ValueRange{elementAt},
                              /*nontemporal=*/false, llvm::MaybeAlign(16));
    });
  }
}

void Distributor::fenceForTensorCores() {
  // The tensor cores read shared memory through the async proxy: the
  // threads' writes are made visible to it, then to every warpgroup.
  NVVM::FenceProxyOp::create(
      b, loc, NVVM::ProxyKind::async_shared,
      NVVM::SharedSpaceAttr::get(b.getContext(),
                                 NVVM::SharedSpace::shared_cta));
  barrier();
}

LogicalResult Distributor::distributeLocalAlloc(tile_gpu::LocalAllocOp op) {
  // In a pipelined loop, this iteration's buffer of the `stages`.
  if (failed(checkSharedTile(op, stages)))
    return failure();
  Value base = index(*op.getOffset());
  if (stage)
    base = arith::AddIOp::create(
        b, loc, base,
        arith::MulIOp::create(b, loc, stage, index(op.getStageStride())));
  auto srcType = cast<RankedTensorType>(op.getSrc().getType());
  RankedTensorType type = op.getType();
  Type element = srcType.getElementType();
  // The tensor cores read an f32 operand as tf32 (its top 19 bits): it is
  // stored rounded to nearest, as mma.sync's operands are.
  SmallVector<Value> slots(slotsOf(op.getSrc()));
  if (element.isF32())
    for (Value &slot : slots)
      slot = roundToTf32(b, loc, slot);
  // Runs of slots along the contiguous dimension (the tile's last, for A)
  // stay within a 16-byte chunk: one vector store each.
  int64_t v =
      op.getSharedLayout().getContiguousDim() == 1 ? stagingWidth(srcType) : 1;
  Value view = sharedView(element);
  Value first = firstCopy(srcType);
  barrier();
  for (int64_t i = 0, e = slots.size(); i < e; i += v)
    guarded(both(first, slotValid(srcType, i)), [&] {
      storeGroup(ArrayRef<Value>(slots).slice(i, v), view,
                 sharedElementIndex(type, base, coordinatesOf(srcType, i)));
    });
  zeroPaddingRows(type, base);
  fenceForTensorCores();
  tiles[op.getResult()] = {base};
  return success();
}

void Distributor::distributeLocalLoad(tile_gpu::LocalLoadOp op) {
  // Each thread reads its slots from the stored tile: an mma.sync operand
  // with ldmatrix, else element by element.
  auto srcType = cast<RankedTensorType>(op.getSrc().getType());
  RankedTensorType type = op.getType();
  Type element = type.getElementType();
  Value base = slotsOf(op.getSrc())[0];
  Value view = sharedView(element);
  auto offsetOf = [&](ArrayRef<Value> coords) {
    return sharedElementIndex(srcType, base, coords);
  };
  // ldmatrix reads A with K contiguous, B either way.
  auto operand = dyn_cast<tile_gpu::DotOperandLayoutAttr>(type.getEncoding());
  bool kContiguous =
      cast<tile_gpu::SharedLayoutAttr>(srcType.getEncoding())
          .getContiguousDim() == (operand && operand.getOpIdx() == 0 ? 1 : 0);
  if (operand && (operand.getOpIdx() == 1 || kContiguous))
    if (std::optional<SmallVector<Value>> slots =
            readWithLdmatrix(type, view, offsetOf, kContiguous)) {
      tiles[op.getResult()] = std::move(*slots);
      return;
    }
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
  SmallVector<Value> slots;
  for (int64_t i = 0, e = slotCount(type); i < e; ++i)
    slots.push_back(loadGroup(
        view, [&] { return offsetOf(coordinatesOf(type, i)); }, 1, element,
        slotValid(type, i), zero)[0]);
  tiles[op.getResult()] = std::move(slots);
}

FailureOr<Value>
Distributor::copyDestination(tile_gpu::SharedTileOpInterface copy, Value slot) {
  if (failed(checkSharedTile(copy, getCopyBuffers(copy, slot))))
    return failure();
  return arith::AddIOp::create(
             b, loc, index(*copy.getOffset()),
             arith::MulIOp::create(b, loc, mapping.lookupOrDefault(slot),
                                   index(copy.getStageStride())))
      .getResult();
}

void Distributor::meetBeforeCopy(Operation *copy) {
  // A copy a pipelined loop issues for a later step (its result only
  // yielded) reuses the buffer two steps after its product, past a
  // barrier. Any other (the first steps' copies, before the loop) may find
  // the buffer still read by the products of the loop's last run (nested
  // in another loop), which each warpgroup waited for on its own: the
  // block meets first.
  Operation *parent = copy->getParentOp();
  bool prefetch =
      stages > 1 && llvm::all_of(copy->getUsers(), [&](Operation *u) {
        return isa<scf::YieldOp>(u) && u->getParentOp() == parent;
      });
  if (!prefetch)
    barrier();
}

LogicalResult Distributor::distributeAsyncLoad(tile_gpu::AsyncLoadOp op) {
  FailureOr<Value> destination = copyDestination(op, op.getSlot());
  if (failed(destination))
    return failure();
  Value base = *destination;
  RankedTensorType type = op.getType();
  auto offsetsType = cast<RankedTensorType>(op.getOffsets().getType());
  const LayoutInfo &info = infoOf(offsetsType);
  int64_t contiguous = op.getSharedLayout().getContiguousDim();
  int64_t run = op.getContiguity();
  // Each run of `run` slots of a thread holds consecutive elements along
  // the contiguous dimension: one cp.async of the run's bytes each.
  for (int64_t i = 0; i < info.slots; i += run) {
    SmallVector<AffineExpr> head =
        info.layout.getSlotCoordinates(info.shape, i);
    for (int64_t j = 1; j < run; ++j) {
      SmallVector<AffineExpr> coords =
          info.layout.getSlotCoordinates(info.shape, i + j);
      for (int64_t d = 0; d < 2; ++d) {
        auto step = dyn_cast<AffineConstantExpr>(
            simplifyAffineExpr(coords[d] - head[d], 2, 0));
        if (!step || step.getValue() != (d == contiguous ? j : 0))
          return op.emitOpError("takes offsets whose layout does not give ")
                 << "each thread whole runs of " << run
                 << " elements along the contiguous dimension";
      }
    }
  }
  ArrayRef<Value> offsets = slotsOf(op.getOffsets());
  ArrayRef<Value> masks =
      op.getMask() ? slotsOf(op.getMask()) : ArrayRef<Value>();
  Value pred = op.getPred() ? mapping.lookupOrDefault(op.getPred()) : Value();
  Value source = mapping.lookupOrDefault(op.getBuffer());
  Type element = type.getElementType();
  Value view = sharedView(element);
  Value first = firstCopy(offsetsType);
  bool wholeChunk = run * sharedBytes(element) == 16;
  meetBeforeCopy(op);
  guarded(pred, [&] {
    for (int64_t i = 0; i < info.slots; i += run)
      guarded(both(first, slotValid(offsetsType, i)), [&] {
        // Where masked off, nothing is read and the run is zero.
        Value sourceElements =
            masks.empty() ? Value()
                          : arith::SelectOp::create(b, loc, masks[i],
                                                    index(run), index(0));
        nvgpu::DeviceAsyncCopyOp::create(
            b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), view,
            ValueRange{
                sharedElementIndex(type, base, coordinatesOf(offsetsType, i))},
            source, ValueRange{offsets[i]}, b.getIndexAttr(run), sourceElements,
            wholeChunk ? b.getUnitAttr() : UnitAttr());
      });
    zeroPaddingRows(type, base);
  });
  // One group per load, committed whether or not it copied anything, so
  // that every thread counts the same groups.
  NVVM::CpAsyncCommitGroupOp::create(b, loc);
  tiles[op.getResult()] = {base};
  return success();
}

void Distributor::distributeAsyncWait(tile_gpu::AsyncWaitOp op) {
  // Each thread's own copies, then everyone's; visible to the tensor cores
  // too where a product reads them from shared memory (wgmma).
  NVVM::CpAsyncWaitGroupOp::create(b, loc, op.getPending());
  if (llvm::any_of(op->getUsers(), llvm::IsaPred<tile::DotOp>))
    fenceForTensorCores();
  else
    barrier();
  for (auto [tile, result] : llvm::zip_equal(op.getTiles(), op.getResults()))
    tiles[result] = SmallVector<Value>(slotsOf(tile));
}

Value Distributor::basePointer(Value memref, unsigned addressSpace) {
  // The aligned pointer of the 1-D memref's descriptor, as the GPU
  // lowering builds it (a pointer, not an index: an index of 32 bits would
  // cut a 64-bit address).
  MLIRContext *ctx = b.getContext();
  Type ptr = LLVM::LLVMPointerType::get(ctx, addressSpace);
  Type size = b.getIntegerType(indexBits);
  Type array = LLVM::LLVMArrayType::get(size, 1);
  Type descriptor =
      LLVM::LLVMStructType::getLiteral(ctx, {ptr, ptr, size, array, array});
  Value lowered = UnrealizedConversionCastOp::create(b, loc, descriptor, memref)
                      .getResult(0);
  return LLVM::ExtractValueOp::create(b, loc, lowered, ArrayRef<int64_t>{1});
}

Value Distributor::sharedPointer(Value offset) {
  return LLVM::GEPOp::create(
      b, loc, LLVM::LLVMPointerType::get(b.getContext(), 3), b.getI8Type(),
      basePointer(scratch, 3),
      ValueRange{arith::IndexCastOp::create(b, loc, b.getI64Type(), offset)});
}

/// The suspend-time hint of an mbarrier wait, in nanoseconds (as MLIR's
/// nvgpu lowering gives it).
static constexpr int32_t kMbarrierSuspendHint = 10000000;

FailureOr<llvm::MapVector<int64_t, int64_t>>
Distributor::getMbarrierPlaces(ArrayRef<tile_gpu::TmaLoadOp> copies) {
  llvm::MapVector<int64_t, int64_t> places;
  for (tile_gpu::TmaLoadOp copy : copies) {
    std::optional<int64_t> mbarriers = copy.getMbarriers();
    if (!mbarriers)
      return copy.emitOpError(
          "has no mbarriers: run meld-tile-gpu-allocate-shared first");
    int64_t buffers = getCopyBuffers(copy, copy.getSlot());
    if (*mbarriers + mbarrierStride() * buffers > scratchBytes)
      return copy.emitOpError("has the mbarriers of ")
             << buffers << " buffer" << (buffers == 1 ? "" : "s")
             << " at offset " << *mbarriers
             << " of shared memory, past its kernel's shared_bytes ("
             << scratchBytes << ")";
    int64_t &count = places[*mbarriers];
    count = std::max(count, buffers);
  }
  return places;
}

LogicalResult
Distributor::initTmaBarriers(ArrayRef<tile_gpu::TmaLoadOp> copies) {
  FailureOr<llvm::MapVector<int64_t, int64_t>> places =
      getMbarrierPlaces(copies);
  if (failed(places))
    return failure();
  initMbarriers(*places, /*again=*/false);
  return success();
}

void Distributor::initMbarriers(const llvm::MapVector<int64_t, int64_t> &places,
                                bool again) {
  // The first thread initializes them (one arrival a phase: its own), and
  // makes them visible to the copies (the async proxy) and the block.
  Value first =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, index(0));
  guarded(first, [&] {
    Type i32 = b.getI32Type();
    Value one = arith::ConstantIntOp::create(b, loc, i32, 1);
    Value consumers = arith::ConstantIntOp::create(b, loc, i32, threads);
    for (auto [mbarriers, count] : places)
      for (int64_t s = 0; s < count * mbarrierStride(); s += 8) {
        Value mbarrier = sharedPointer(index(mbarriers + s));
        if (again)
          NVVM::MBarrierInvalOp::create(b, loc, mbarrier);
        // A release completes when every consumer thread has arrived.
        NVVM::MBarrierInitOp::create(b, loc, mbarrier,
                                     s % mbarrierStride() ? consumers : one,
                                     /*predicate=*/Value());
      }
  });
  fenceForTensorCores();
}

LogicalResult Distributor::distributeTmaLoad(tile_gpu::TmaLoadOp op) {
  FailureOr<Value> destination = copyDestination(op, op.getSlot());
  if (failed(destination))
    return failure();
  Value base = *destination;
  Value slot = mapping.lookupOrDefault(op.getSlot());
  // (initTmaBarriers checked the mbarriers.)
  Value mbarrierOffset = arith::AddIOp::create(
      b, loc, index(*op.getMbarriers()),
      arith::MulIOp::create(b, loc, slot, index(mbarrierStride())));
  Value pred = op.getPred() ? mapping.lookupOrDefault(op.getPred()) : Value();
  if (role == Role::Producer) {
    // The buffer's release first (the consumers' products are done with
    // what the copy overwrites), then the copy.
    Value parity = op.getReleaseParity();
    if (!parity)
      return op.emitOpError("in a warp-specialized kernel needs the parity "
                            "of the release it waits for");
    guarded(pred, [&] {
      Type i32 = b.getI32Type();
      NVVM::MBarrierTryWaitParityOp::create(
          b, loc,
          sharedPointer(
              arith::AddIOp::create(b, loc, mbarrierOffset, index(8))),
          arith::IndexCastOp::create(b, loc, i32,
                                     mapping.lookupOrDefault(parity)),
          arith::ConstantIntOp::create(b, loc, i32, kMbarrierSuspendHint));
      issueTmaCopy(op, base, mbarrierOffset);
    });
    return success();
  }
  if (role == Role::Block) {
    meetBeforeCopy(op);
    Value issuer =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, index(0));
    guarded(both(pred, issuer),
            [&] { issueTmaCopy(op, base, mbarrierOffset); });
  }
  // The tile travels as its buffer's offset and its mbarrier's (and, for
  // the consumers of a warp-specialized kernel, which copy nothing, its
  // release mbarrier's).
  SmallVector<Value> place{base, mbarrierOffset};
  if (role == Role::Consumer)
    place.push_back(arith::AddIOp::create(b, loc, mbarrierOffset, index(8)));
  tiles[op.getResult()] = std::move(place);
  return success();
}

void Distributor::issueTmaCopy(tile_gpu::TmaLoadOp op, Value base,
                               Value mbarrierOffset) {
  // (The pass gave every copy its map argument, or failed.)
  Value map = tensorMaps.lookup(op);
  assert(map && "a TMA copy without its tensor map argument");
  RankedTensorType type = op.getType();
  tile_gpu::SharedLayoutAttr layout = op.getSharedLayout();
  int64_t elementBytes = sharedBytes(type.getElementType());
  int64_t swizzle = layout.getSwizzle();
  int64_t contiguous = layout.getContiguousDim();
  int64_t rows = type.getDimSize(1 - contiguous);
  int64_t columns = type.getDimSize(contiguous) * elementBytes / swizzle;
  Type i32 = b.getI32Type();
  Value mbarrier = sharedPointer(mbarrierOffset);
  NVVM::MBarrierArriveExpectTxOp::create(
      b, loc, /*res=*/Type(), mbarrier,
      arith::ConstantIntOp::create(b, loc, i32,
                                   tile_gpu::getSharedTileBytes(type)),
      NVVM::MemScopeKind::CTA, /*relaxed=*/false, /*predicate=*/Value());
  Value mapAddress = basePointer(map, 0);
  SmallVector<Value> coords = llvm::map_to_vector(op.getCoords(), [&](Value v) {
    return arith::IndexCastOp::create(b, loc, i32, mapping.lookupOrDefault(v))
        .getResult();
  });
  // A column of the swizzle's width at a time, each a box of the rows.
  for (int64_t j = 0; j < columns; ++j) {
    SmallVector<Value> at = coords;
    if (j > 0)
      at[0] =
          arith::AddIOp::create(b, loc, coords[0],
                                arith::ConstantIntOp::create(
                                    b, loc, i32, j * swizzle / elementBytes));
    // The destination as a shared::cluster address (the block is a
    // cluster of one): the shared::cta form needs PTX 8.6.
    Value dst = LLVM::AddrSpaceCastOp::create(
        b, loc, LLVM::LLVMPointerType::get(b.getContext(), 7),
        sharedPointer(
            arith::AddIOp::create(b, loc, base, index(j * rows * swizzle))));
    NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
        b, loc, dst, mapAddress, at, mbarrier, ValueRange(),
        /*multicastMask=*/Value(), /*l2CacheHint=*/Value(),
        NVVM::TMALoadMode::TILE, /*isCTAOnly=*/false,
        /*group=*/NVVM::CTAGroupKindAttr(), /*predicate=*/Value());
  }
}

LogicalResult Distributor::distributeTmaRelease(tile_gpu::TmaReleaseOp op) {
  // Every consumer thread arrives on each buffer's release mbarrier (the
  // third value of a consumer's TMA tile).
  if (role != Role::Consumer)
    return op.emitOpError("releases buffers outside a warp-specialized "
                          "kernel's consumers");
  for (Value tile : op.getTiles())
    if (slotsOf(tile).size() != 3)
      return op.emitOpError("releases a tile that no TMA copy gave");
  Value pred = op.getPred() ? mapping.lookupOrDefault(op.getPred()) : Value();
  guarded(pred, [&] {
    for (Value tile : op.getTiles())
      NVVM::MBarrierArriveOp::create(b, loc, b.getI64Type(),
                                     sharedPointer(slotsOf(tile)[2]));
  });
  return success();
}

LogicalResult Distributor::distributeProducer(Block &block) {
  auto hasCopies = [](Operation *op) {
    return op->walk([](tile_gpu::TmaLoadOp) { return WalkResult::interrupt(); })
        .wasInterrupted();
  };
  for (Operation &op : block.without_terminator()) {
    loc = op.getLoc();
    if (auto copy = dyn_cast<tile_gpu::TmaLoadOp>(op)) {
      if (failed(distributeTmaLoad(copy)))
        return failure();
      continue;
    }
    if (auto pid = dyn_cast<tile::ProgramIdOp>(op)) {
      mapping.map(pid.getResult(), blockIds[pid.getDim()]);
      continue;
    }
    if (auto loop = dyn_cast<scf::ForOp>(op); loop && hasCopies(loop)) {
      // The loop's steps, carrying nothing: the copies are all it does.
      auto newLoop = scf::ForOp::create(
          b, loc, mapping.lookupOrDefault(loop.getLowerBound()),
          mapping.lookupOrDefault(loop.getUpperBound()),
          mapping.lookupOrDefault(loop.getStep()));
      mapping.map(loop.getInductionVar(), newLoop.getInductionVar());
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(newLoop.getBody()->getTerminator());
      if (failed(distributeProducer(*loop.getBody())))
        return failure();
      continue;
    }
    if (auto branch = dyn_cast<scf::IfOp>(op); branch && hasCopies(branch)) {
      auto newBranch = scf::IfOp::create(
          b, loc, mapping.lookupOrDefault(branch.getCondition()),
          /*withElseRegion=*/!branch.getElseRegion().empty());
      for (auto [from, to] :
           llvm::zip(branch->getRegions(), newBranch->getRegions())) {
        if (from.empty())
          continue;
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(to.front().getTerminator());
        if (failed(distributeProducer(from.front())))
          return failure();
      }
      continue;
    }
    // Scalar arithmetic the copies may need (the rest is the consumers').
    bool scalar =
        op.getNumRegions() == 0 && isPure(&op) &&
        llvm::none_of(op.getOperandTypes(), llvm::IsaPred<RankedTensorType>) &&
        llvm::none_of(op.getResultTypes(), llvm::IsaPred<RankedTensorType>) &&
        llvm::all_of(op.getOperands(),
                     [&](Value v) { return mapping.contains(v); });
    if (scalar)
      b.clone(op, mapping);
  }
  return success();
}

void Distributor::distributeTmaWait(tile_gpu::TmaWaitOp op) {
  // Each thread waits for the copy on the buffer's mbarrier (the tensor
  // cores read what the async proxy wrote: no fence), then the block meets:
  // the buffers a later copy overwrites are read by then.
  ArrayRef<Value> copy = slotsOf(op.getTile());
  assert(copy.size() >= 2 && "a TMA copy's tile is its buffer and mbarrier");
  Value mbarrier = sharedPointer(copy[1]);
  Type i32 = b.getI32Type();
  NVVM::MBarrierTryWaitParityOp::create(
      b, loc, mbarrier,
      arith::IndexCastOp::create(b, loc, i32,
                                 mapping.lookupOrDefault(op.getParity())),
      arith::ConstantIntOp::create(b, loc, i32, kMbarrierSuspendHint));
  // The consumers of a warp-specialized kernel release buffers explicitly
  // (tile_gpu.tma_release) instead.
  if (role != Role::Consumer)
    barrier();
  tiles[op.getResult()] = SmallVector<Value>(slotsOf(op.getTile()));
}

Value Distributor::wgmmaDescriptor(Value sharedAddress, Value start,
                                   tile_gpu::SharedLayoutAttr layout,
                                   int64_t rows, bool mnMajor) {
  // PTX ISA, "Matrix Descriptor Format": the start address's bits 4-17 in
  // bits 0-13; the leading byte offset in bits 16-29 (K-major: unused with
  // a swizzle, 1; MN-major: between columns of S bytes along M or N, R S);
  // the stride byte offset, between groups of 8 rows (8 S), in bits 32-45;
  // the swizzle in bits 62-63 (1: 128 bytes, 2: 64, 3: 32).
  Type i64 = b.getI64Type();
  int64_t swizzle = layout.getSwizzle();
  uint64_t mode = swizzle == 128 ? 1 : swizzle == 64 ? 2 : 3;
  uint64_t leading = mnMajor ? uint64_t(rows * swizzle) >> 4 : 1;
  uint64_t fields =
      leading << 16 | uint64_t(8 * swizzle >> 4) << 32 | mode << 62;
  Value address = arith::AddIOp::create(
      b, loc, sharedAddress, arith::IndexCastOp::create(b, loc, i64, start));
  Value encoded = arith::ShRUIOp::create(
      b, loc,
      arith::AndIOp::create(
          b, loc, address,
          arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0x3ffff))),
      arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(4)));
  return arith::OrIOp::create(
      b, loc, encoded,
      arith::ConstantOp::create(
          b, loc, b.getI64IntegerAttr(static_cast<int64_t>(fields))));
}

void Distributor::distributeWgmmaDot(tile::DotOp op,
                                     tile_gpu::MmaLayoutAttr mma) {
  // wgmma.mma_async.m64nNkK: each warpgroup computes its 64xN blocks of
  // the accumulator, one instruction per 32 bytes of K, from A and B in
  // shared memory (#tile_gpu.shared) through descriptors. With K
  // contiguous, a block's descriptors start at its first row (rows are S
  // bytes apart) and, for K step s, 32 s bytes further along K: (32 s / S)
  // columns of R S bytes, then 32 s % S bytes into the row. A B with N
  // contiguous (16-bit only) is wgmma's transposed B: its blocks start a
  // whole number of columns of R S bytes along N, and 16 s rows down K.
  auto aType = cast<RankedTensorType>(op.getA().getType());
  auto bType = cast<RankedTensorType>(op.getB().getType());
  RankedTensorType cType = op.getType();
  auto aLayout = cast<tile_gpu::SharedLayoutAttr>(aType.getEncoding());
  auto bLayout = cast<tile_gpu::SharedLayoutAttr>(bType.getEncoding());
  Type operandType = aType.getElementType();
  int64_t m = cType.getDimSize(0), n = cType.getDimSize(1);
  int64_t k = aType.getDimSize(1);
  int64_t kStep = 32 / sharedBytes(operandType);
  ArrayRef<int64_t> warps = mma.getWarpsPerCTA();
  int64_t instrN = mma.getInstrShape()[1];
  int64_t groupCols = warps[1];
  int64_t ctaRows = 64 * (warps[0] / 4), ctaCols = instrN * groupCols;
  int64_t repsM = std::max<int64_t>(1, m / ctaRows), repsN = n / ctaCols;
  // A's rows in shared memory (padded to 64 for a product of fewer).
  int64_t aRows = aLayout.getStoredRows(aType.getShape());
  Value group = arith::DivUIOp::create(b, loc, warp, index(4));
  Value groupRow = arith::DivUIOp::create(b, loc, group, index(groupCols));
  Value groupCol = arith::RemUIOp::create(b, loc, group, index(groupCols));
  Value aStart = slotsOf(op.getA())[0], bStart = slotsOf(op.getB())[0];
  Type i64 = b.getI64Type();
  Value sharedAddress = arith::IndexCastOp::create(
      b, loc, i64,
      memref::ExtractAlignedPointerAsIndexOp::create(b, loc, scratch));
  // Where K step `s` of the block whose first row (of `rows`, K-major) or
  // column (MN-major, `rows` along K) along M or N is `mn` starts, for an
  // operand of `layout`: K-major, 32 s bytes along its rows; MN-major, 16
  // (f16, bf16) rows of K further, and `mn` a whole number of swizzle rows
  // (columns of `rows` rows each) along.
  auto blockStart = [&](Value base, Value mn, int64_t rows, int64_t s,
                        tile_gpu::SharedLayoutAttr layout, bool mnMajor) {
    int64_t swizzle = layout.getSwizzle();
    if (mnMajor) {
      int64_t bytes = sharedBytes(operandType);
      Value at =
          arith::AddIOp::create(b, loc, base, index(s * kStep * swizzle));
      return arith::AddIOp::create(
          b, loc, at, arith::MulIOp::create(b, loc, mn, index(bytes * rows)));
    }
    int64_t along = 32 * s;
    Value at = arith::AddIOp::create(
        b, loc, base,
        index(along / swizzle * rows * swizzle + along % swizzle));
    return arith::AddIOp::create(
        b, loc, at, arith::MulIOp::create(b, loc, mn, index(swizzle)));
  };
  // B with N contiguous is wgmma's transposed B; its K rows are K's.
  bool bMnMajor = bLayout.getContiguousDim() == 1;
  int64_t bRows = bLayout.getStoredRows(bType.getShape());
  NVVM::WGMMATypes type = operandType.isF32()    ? NVVM::WGMMATypes::tf32
                          : operandType.isBF16() ? NVVM::WGMMATypes::bf16
                                                 : NVVM::WGMMATypes::f16;
  Type f32 = b.getF32Type();
  int64_t perInstr = instrN / 8 * 4;
  auto fragments = LLVM::LLVMStructType::getLiteral(
      b.getContext(), SmallVector<Type>(perInstr, f32));
  SmallVector<Value> slots(slotsOf(op.getAcc()));
  NVVM::WgmmaFenceAlignedOp::create(b, loc);
  SmallVector<Value> results;
  for (int64_t rm = 0; rm < repsM; ++rm)
    for (int64_t rn = 0; rn < repsN; ++rn) {
      int64_t first = (rm * repsN + rn) * perInstr;
      Value acc = LLVM::UndefOp::create(b, loc, fragments);
      for (int64_t i = 0; i < perInstr; ++i)
        acc = LLVM::InsertValueOp::create(b, loc, acc, slots[first + i], i);
      Value aRow = arith::AddIOp::create(
          b, loc, index(rm * ctaRows),
          arith::MulIOp::create(b, loc, groupRow, index(64)));
      Value bRow = arith::AddIOp::create(
          b, loc, index(rn * ctaCols),
          arith::MulIOp::create(b, loc, groupCol, index(instrN)));
      for (int64_t s = 0; s < k / kStep; ++s) {
        Value descA = wgmmaDescriptor(
            sharedAddress,
            blockStart(aStart, aRow, aRows, s, aLayout, /*mnMajor=*/false),
            aLayout, aRows, /*mnMajor=*/false);
        Value descB = wgmmaDescriptor(
            sharedAddress,
            blockStart(bStart, bRow, bRows, s, bLayout, bMnMajor), bLayout,
            bRows, bMnMajor);
        acc = NVVM::WgmmaMmaAsyncOp::create(
            b, loc, fragments, acc, descA, descB,
            NVVM::MMAShapeAttr::get(b.getContext(), 64, instrN, kStep), type,
            type, NVVM::WGMMATypes::f32, NVVM::WGMMAScaleOut::one,
            NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one,
            NVVM::MMALayout::row,
            bMnMajor ? NVVM::MMALayout::row : NVVM::MMALayout::col,
            /*satfinite=*/nullptr);
      }
      results.push_back(acc);
    }
  NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
  // A product in flight stays so until the next iteration's (its registers
  // only chain to it; the loop waits for it at its end); any other
  // completes here, before its registers are read.
  bool inFlight = stages > 1 && op->hasAttr(tile_gpu::kInFlightAttrName);
  NVVM::WgmmaWaitGroupSyncOp::create(b, loc, inFlight ? 1 : 0);
  for (auto [block, acc] : llvm::enumerate(results))
    for (int64_t i = 0; i < perInstr; ++i)
      slots[block * perInstr + i] =
          LLVM::ExtractValueOp::create(b, loc, acc, i);
  tiles[op.getResult()] = std::move(slots);
}

void Distributor::distributeMmaDot(tile::DotOp op,
                                   tile_gpu::MmaLayoutAttr mma) {
  if (mma.isWgmma())
    return distributeWgmmaDot(op, mma);
  // mma.sync.aligned.m16n8k8 on tf32, m16n8k16 on f16 and bf16: for each
  // 16x8 block of a warp's accumulator, the products of its K blocks in
  // turn. The slots of each layout come block by block (4 of the
  // accumulator; 4 registers of A and 2 of B, of one element each on tf32
  // and two on 16-bit types), K fastest for the operands.
  auto aType = cast<RankedTensorType>(op.getA().getType());
  RankedTensorType cType = op.getType();
  Type operandType = aType.getElementType();
  bool tf32 = operandType.isF32();
  int64_t kWidth = tf32 ? 1 : 2;
  ArrayRef<int64_t> warps = mma.getWarpsPerCTA();
  int64_t repsM = llvm::divideCeil(cType.getDimSize(0), 16 * warps[0]);
  int64_t repsN = llvm::divideCeil(cType.getDimSize(1), 8 * warps[1]);
  int64_t kBlocks = llvm::divideCeil(aType.getDimSize(1), 8 * kWidth);
  SmallVector<Value> a(slotsOf(op.getA())), bSlots(slotsOf(op.getB()));
  if (tf32) {
    auto round = [&](Value x) { return roundToTf32(b, loc, x); };
    a = llvm::map_to_vector(a, round);
    bSlots = llvm::map_to_vector(bSlots, round);
  }
  SmallVector<Value> slots(slotsOf(op.getAcc()));
  Type f32 = b.getF32Type();
  // One 16-bit register: two elements, as NVVM's mma.sync takes them
  // (vector<2xf16>; bf16 as i32). nvgpu.mma.sync has no bf16.
  auto registers = [&](ArrayRef<Value> elements) {
    SmallVector<Value> regs;
    for (int64_t i = 0, e = elements.size(); i < e; i += 2) {
      Value pair = vector::FromElementsOp::create(
          b, loc, VectorType::get({2}, operandType), elements.slice(i, 2));
      if (operandType.isBF16())
        pair = LLVM::BitcastOp::create(b, loc, b.getI32Type(), pair);
      regs.push_back(pair);
    }
    return regs;
  };
  auto fragments =
      LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  NVVM::MMATypes ptxType =
      operandType.isBF16() ? NVVM::MMATypes::bf16 : NVVM::MMATypes::f16;
  int64_t aPerInstr = 4 * kWidth, bPerInstr = 2 * kWidth;
  for (int64_t rm = 0; rm < repsM; ++rm)
    for (int64_t rn = 0; rn < repsN; ++rn) {
      int64_t c = (rm * repsN + rn) * 4;
      SmallVector<Value> acc(ArrayRef<Value>(slots).slice(c, 4));
      // tf32 carries its accumulator as nvgpu's vector from one K block to
      // the next.
      Value accVector;
      if (tf32)
        accVector = vector::FromElementsOp::create(
            b, loc, VectorType::get({2, 2}, f32), acc);
      for (int64_t kb = 0; kb < kBlocks; ++kb) {
        ArrayRef<Value> aInstr = ArrayRef<Value>(a).slice(
            (rm * kBlocks + kb) * aPerInstr, aPerInstr);
        ArrayRef<Value> bInstr = ArrayRef<Value>(bSlots).slice(
            (rn * kBlocks + kb) * bPerInstr, bPerInstr);
        if (tf32) {
          accVector = nvgpu::MmaSyncOp::create(
              b, loc,
              vector::FromElementsOp::create(
                  b, loc, VectorType::get({4, 1}, f32), aInstr),
              vector::FromElementsOp::create(
                  b, loc, VectorType::get({2, 1}, f32), bInstr),
              accVector, ArrayRef<int64_t>{16, 8, 8}, /*tf32Enabled=*/true);
          continue;
        }
        Value product = NVVM::MmaOp::create(
            b, loc, fragments, registers(aInstr), registers(bInstr), acc,
            ArrayRef<int64_t>{16, 8, 16}, /*b1Op=*/std::nullopt,
            /*intOverflow=*/std::nullopt,
            std::array<NVVM::MMATypes, 2>{ptxType, ptxType},
            std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                           NVVM::MMALayout::col});
        for (int64_t i = 0; i < 4; ++i)
          acc[i] = LLVM::ExtractValueOp::create(b, loc, product, i);
      }
      if (tf32)
        for (int64_t i = 0; i < 4; ++i)
          acc[i] = vector::ExtractOp::create(b, loc, accVector,
                                             ArrayRef<int64_t>{i / 2, i % 2});
      llvm::copy(acc, slots.begin() + c);
    }
  tiles[op.getResult()] = std::move(slots);
}

void Distributor::distributeDot(tile::DotOp op) {
  if (auto mma =
          dyn_cast_or_null<tile_gpu::MmaLayoutAttr>(op.getType().getEncoding()))
    return distributeMmaDot(op, mma);
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
  // Register blocking: the thread's slots share rows of A and runs of
  // columns of B (the layout's coordinates, compared as affine
  // expressions), each loaded once per step of K: a row's `kStep` elements
  // and a run's `run` columns as single vector accesses. Each slot still
  // sums its products in the order of K.
  const LayoutInfo &info = infoOf(cType);
  int64_t numSlots = info.slots;
  int64_t maxVector = std::max<int64_t>(16 / bytes, 1);
  int64_t kStep = 1;
  for (int64_t u : {8, 4, 2})
    if (u <= maxVector && k % u == 0) {
      kStep = u;
      break;
    }
  int64_t run = std::min(contiguousSlots(cType), maxVector);
  SmallVector<SmallVector<AffineExpr>> coords;
  for (int64_t i = 0; i < numSlots; ++i)
    coords.push_back(info.layout.getSlotCoordinates(info.shape, i));
  auto runAligned = [&](int64_t r) {
    if (r <= 1 || numSlots % r != 0 || n % r != 0 || (m * k) % r != 0)
      return r <= 1;
    for (int64_t i = 0; i < numSlots; i += r)
      if (coords[i][1].getLargestKnownDivisor() % r != 0)
        return false;
    return true;
  };
  while (!runAligned(run))
    run /= 2;
  // A coordinate that may fall outside the tile reads row or column 0: the
  // slots that hold nothing compute garbage that is never stored.
  auto clamped = [&](AffineExpr expr, bool mayExceed, int64_t size) {
    Value value = materialize(expr);
    if (!mayExceed)
      return value;
    Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                         value, index(size));
    return Value(arith::SelectOp::create(b, loc, inside, value, index(0)));
  };
  using Key = std::pair<AffineExpr, bool>;
  SmallVector<Key> rowKeys, runKeys;
  SmallVector<Value> rowOffsets, runColumns;
  SmallVector<int64_t> rowOf(numSlots), runOf(numSlots);
  auto intern = [](SmallVector<Key> &keys, Key key) {
    auto it = llvm::find(keys, key);
    if (it != keys.end())
      return static_cast<int64_t>(it - keys.begin());
    keys.push_back(key);
    return static_cast<int64_t>(keys.size() - 1);
  };
  for (int64_t i = 0; i < numSlots; ++i) {
    Key rowKey{coords[i][0], info.mayExceed[i][0]};
    rowOf[i] = intern(rowKeys, rowKey);
    if (rowOf[i] == static_cast<int64_t>(rowOffsets.size()))
      rowOffsets.push_back(arith::MulIOp::create(
          b, loc, clamped(rowKey.first, rowKey.second, m), index(k)));
    int64_t first = i - i % run;
    Key runKey{coords[first][1], info.mayExceed[first][1]};
    runOf[i] = intern(runKeys, runKey);
    if (runOf[i] == static_cast<int64_t>(runColumns.size()))
      runColumns.push_back(clamped(runKey.first, runKey.second, n));
  }
  auto loop = scf::ForOp::create(
      b, loc, index(0), index(k), index(kStep), slotsOf(op.getAcc()),
      [&](OpBuilder &nb, Location l, Value kk, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        // a[row][j] = A[row, kk + j], then per j: bv[run][e] = B[kk + j,
        // col + e] and the products (B's values live for one j only).
        SmallVector<SmallVector<Value>> a;
        for (Value rowOffset : rowOffsets)
          a.push_back(loadGroup(
              aView,
              [&] { return Value(arith::AddIOp::create(b, l, rowOffset, kk)); },
              kStep, element, Value(), Value()));
        SmallVector<Value> sums(carried.begin(), carried.end());
        for (int64_t j = 0; j < kStep; ++j) {
          Value kRow = arith::MulIOp::create(
              b, l, arith::AddIOp::create(b, l, kk, index(j)), index(n));
          SmallVector<SmallVector<Value>> bv;
          for (Value column : runColumns)
            bv.push_back(loadGroup(
                bView,
                [&] {
                  return Value(arith::AddIOp::create(b, l, kRow, column));
                },
                run, element, Value(), Value()));
          for (int64_t i = 0; i < numSlots; ++i) {
            Value product = arith::MulFOp::create(b, l, a[rowOf[i]][j],
                                                  bv[runOf[i]][i % run]);
            sums[i] = arith::AddFOp::create(b, l, sums[i], product);
          }
        }
        scf::YieldOp::create(b, l, sums);
      });
  tiles[op.getResult()] = SmallVector<Value>(loop.getResults());
}

SmallVector<SmallVector<int64_t>> Distributor::slotKeys(Type type,
                                                        int64_t skip) {
  const LayoutInfo &info = infoOf(type);
  SmallVector<SmallVector<int64_t>> keys;
  for (int64_t slot = 0; slot < info.slots; ++slot) {
    SmallVector<int64_t> key;
    for (auto [d, expr] :
         llvm::enumerate(info.layout.getSlotCoordinates(info.shape, slot)))
      if (static_cast<int64_t>(d) != skip)
        key.push_back(tile_gpu::evaluateLayoutExpr(expr, 0, 0));
    keys.push_back(std::move(key));
  }
  return keys;
}

bool Distributor::reduceInRegisters(tile::ReduceOp op) {
  std::optional<SmallVector<int64_t>> shuffles = tile_gpu::getSliceLanes(op);
  if (!shuffles)
    return false;
  auto inputType = cast<RankedTensorType>(op.getInput().getType());
  auto resultType = cast<RankedTensorType>(op.getType());
  int64_t dim = op.getDim();

  Type element = inputType.getElementType();
  tile::ReduceKind kind = op.getKind();
  TypedAttr identity = tile::getReduceIdentity(b, kind, element);
  Value none = arith::ConstantOp::create(b, loc, identity);
  SmallVector<SmallVector<int64_t>> inKeys = slotKeys(inputType, dim);
  SmallVector<SmallVector<int64_t>> outKeys = slotKeys(resultType, -1);
  ArrayRef<Value> inSlots = slotsOf(op.getInput());
  SmallVector<Value> results;
  for (const SmallVector<int64_t> &key : outKeys) {
    Value acc;
    for (auto [i, inKey] : llvm::enumerate(inKeys)) {
      if (inKey != key)
        continue;
      Value x = inSlots[i];
      if (Value valid = slotValid(inputType, i))
        x = arith::SelectOp::create(b, loc, valid, x, none);
      acc = acc ? tile::buildReduceCombine(b, loc, kind, acc, x) : x;
    }
    if (!acc)
      acc = none;
    for (int64_t offset : *shuffles) {
      auto shuffle = gpu::ShuffleOp::create(b, loc, acc, offset, 32,
                                            gpu::ShuffleMode::XOR);
      acc = tile::buildReduceCombine(b, loc, kind, acc,
                                     shuffle.getShuffleResult());
    }
    results.push_back(acc);
  }
  tiles[op.getResult()] = std::move(results);
  return true;
}

void Distributor::distributeReduce(tile::ReduceOp op) {
  if (reduceInRegisters(op))
    return;
  auto inputType = cast<RankedTensorType>(op.getInput().getType());
  auto resultType = cast<RankedTensorType>(op.getType());
  Type element = inputType.getElementType();
  int64_t dim = op.getDim();
  int64_t length = inputType.getDimSize(dim);
  int64_t outputs = resultType.getNumElements();
  int64_t bytes = sharedBytes(element);
  tile::ReduceKind kind = op.getKind();

  // The input's rows are padded by a word (getReduceStagingStrides): lanes
  // of different rows at one position, or walking a column, hit different
  // banks.
  Shape inputStrides = tile::getReduceStagingStrides(inputType);
  int64_t staged =
      inputType.getRank() == 0 ? 1 : inputStrides[0] * inputType.getDimSize(0);
  barrier();
  Value inView = scratchView(element, 0, staged);
  Value outView = scratchView(element, staged * bytes, outputs);
  writeTile(op.getInput(), inView, inputStrides);
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
    Value base = linearizeStrided(coords, inputStrides);
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
  tiles[op.getResult()] = readTile(resultType, outView);
}

bool Distributor::broadcastInRegisters(tile::BroadcastOp op) {
  if (!tile_gpu::getSliceLanes(op))
    return false;
  auto inputType = cast<RankedTensorType>(op.getInput().getType());
  auto resultType = cast<RankedTensorType>(op.getType());
  auto slice = cast<tile_gpu::SliceLayoutAttr>(inputType.getEncoding());
  SmallVector<SmallVector<int64_t>> inKeys = slotKeys(inputType, -1);
  SmallVector<SmallVector<int64_t>> outKeys =
      slotKeys(resultType, slice.getDim());
  ArrayRef<Value> inSlots = slotsOf(op.getInput());
  SmallVector<Value> results;
  for (const SmallVector<int64_t> &key : outKeys) {
    // The slice holds every row of its parent's slots (getSliceSlots).
    const auto *it = llvm::find(inKeys, key);
    assert(it != inKeys.end() && "a slot whose row the slice does not hold");
    results.push_back(inSlots[it - inKeys.begin()]);
  }
  tiles[op.getResult()] = std::move(results);
  return true;
}

void Distributor::distributeBroadcast(tile::BroadcastOp op) {
  if (broadcastInRegisters(op))
    return;
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
  for (int64_t i = 0, e = slotCount(resultType); i < e; ++i) {
    slots.push_back(select(
        slotValid(resultType, i),
        [&] {
          SmallVector<Value> coords = coordinatesOf(resultType, i);
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
  Type type = op.getViolations().getType();
  Value status = mapping.lookupOrDefault(op.getStatus());
  ArrayRef<Value> violations = slotsOf(op.getViolations());
  ArrayRef<Value> details = slotsOf(op.getDetail());
  for (int64_t i = 0, e = violations.size(); i < e; ++i)
    guarded(both(slotValid(type, i), violations[i]), [&] {
      tile::buildRecordFault(b, loc, status, details[i], op.getSite());
    });
}

struct ConvertTileToGPUPass
    : meld::impl::ConvertTileToGPUBase<ConvertTileToGPUPass> {
  using Base::Base;

  /// Whether the index math of every kernel fits 32 bits.
  static bool fitsIndex32(ArrayRef<tile::KernelOp> kernels) {
    return llvm::all_of(kernels, [](tile::KernelOp kernel) {
      return tile::fitsIndex32(kernel);
    });
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
    for (tile::KernelOp kernel : kernels) {
      if (!kernel.getNumWarps() || !kernel.getSharedBytes()) {
        kernel.emitOpError("has no launch configuration (num_warps and "
                           "shared_bytes): run meld-tile-configure-launch "
                           "first");
        return signalPassFailure();
      }
      // Every tile has a layout over this kernel's warps (or is stored in
      // shared memory).
      int64_t warps = *kernel.getNumWarps();
      WalkResult walk = kernel.walk([&](Operation *op) {
        for (Type type : op->getResultTypes()) {
          auto tensorType = dyn_cast<RankedTensorType>(type);
          if (!tensorType || isa_and_nonnull<tile_gpu::SharedLayoutAttr>(
                                 tensorType.getEncoding()))
            continue;
          tile_gpu::DistributedLayoutAttr layout = tile_gpu::getLayout(type);
          if (!layout) {
            op->emitOpError("has a tile without a layout: run "
                            "meld-tile-gpu-assign-layouts first");
            return WalkResult::interrupt();
          }
          if (layout.getNumWarps() != warps) {
            op->emitOpError("has a tile laid out over ")
                << layout.getNumWarps() << " warps in a kernel of " << warps;
            return WalkResult::interrupt();
          }
        }
        return WalkResult::advance();
      });
      if (walk.wasInterrupted())
        return signalPassFailure();
    }
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(ctx));
    OpBuilder top(module.getBodyRegion());
    top.setInsertionPointToEnd(module.getBody());
    auto gpuModule =
        gpu::GPUModuleOp::create(top, module.getLoc(), "meld_kernels");
    SymbolTable gpuSymbols(gpuModule);
    bool index32 = fitsIndex32(kernels);
    if (index32)
      gpuModule->setAttr(
          DLTIDialect::kDataLayoutAttrName,
          DataLayoutSpecAttr::get(
              ctx, {DataLayoutEntryAttr::get(IndexType::get(ctx),
                                             top.getI64IntegerAttr(32))}));

    for (tile::KernelOp kernel : kernels) {
      // A warp-specialized kernel's block has a producer warpgroup after
      // the warps its tiles are laid out over (the consumers).
      std::optional<tile_gpu::WarpSpecialization> specialization =
          tile_gpu::getWarpSpecialization(kernel);
      int64_t consumers = *kernel.getNumWarps() * 32;
      int64_t threads =
          consumers + (specialization ? specialization->producerWarps * 32 : 0);
      int64_t scratch = *kernel.getSharedBytes();
      OpBuilder b(gpuModule.getBodyRegion());
      b.setInsertionPoint(gpuModule.getBody()->getTerminator());
      // A tensor map argument for each tensor (and box) the kernel's TMA
      // copies read, after the kernel's own (`meld.tensor_maps` says what
      // the runtime encodes in each).
      SmallVector<tile_gpu::TmaLoadOp> copies;
      kernel.walk([&](tile_gpu::TmaLoadOp copy) { copies.push_back(copy); });
      SmallVector<Attribute> maps;
      DenseMap<Operation *, unsigned> mapOf;
      for (tile_gpu::TmaLoadOp copy : copies) {
        auto arg = dyn_cast<BlockArgument>(copy.getBuffer());
        if (!arg || arg.getOwner() != &kernel.getBody().front()) {
          copy.emitOpError("copies from a buffer that is not an argument of "
                           "its kernel");
          return signalPassFailure();
        }
        tile_gpu::SharedLayoutAttr layout = copy.getSharedLayout();
        RankedTensorType tileType = copy.getType();
        int64_t contiguous = layout.getContiguousDim();
        int64_t elementBytes =
            llvm::divideCeil(tileType.getElementTypeBitWidth(), 8);
        SmallVector<int64_t> box{layout.getSwizzle() / elementBytes,
                                 tileType.getDimSize(1 - contiguous)};
        NamedAttribute fields[] = {
            b.getNamedAttr("tensor", b.getI64IntegerAttr(arg.getArgNumber())),
            b.getNamedAttr("dims", copy.getDimsAttr()),
            b.getNamedAttr("strides", copy.getStridesAttr()),
            b.getNamedAttr("box", b.getDenseI64ArrayAttr(box)),
            b.getNamedAttr("swizzle",
                           b.getI64IntegerAttr(layout.getSwizzle()))};
        Attribute map = b.getDictionaryAttr(fields);
        auto *it = llvm::find(maps, map);
        mapOf[copy] = static_cast<unsigned>(it - maps.begin());
        if (it == maps.end())
          maps.push_back(map);
      }
      SmallVector<Type> argTypes(kernel.getArgumentTypes());
      argTypes.append(maps.size(), MemRefType::get({128}, b.getI8Type()));
      auto type = b.getFunctionType(argTypes, {});
      auto func =
          gpu::GPUFuncOp::create(b, kernel.getLoc(), kernel.getSymName(), type);
      func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                    UnitAttr::get(ctx));
      func.setKnownBlockSizeAttr(
          b.getDenseI32ArrayAttr({static_cast<int32_t>(threads), 1, 1}));
      // The blocks per SM that leave a thread 128 of the 64K registers
      // (2 of 256 threads, 4 of 128): without the bound ptxas takes up to
      // 255 where it can schedule more loads ahead (a LayerNorm prologue's
      // product: 254 registers, one block per SM, against 127 and two with
      // it, neither spilling). The driver gives the request up for each
      // kernel that spills to meet it (meld::assemblePtx), so that it may
      // use every register a thread can have; with the block size alone,
      // ptxas capped registers for an occupancy the kernel did not need.
      func->setAttr(
          NVVM::NVVMDialect::getMinctasmAttrName(),
          b.getI32IntegerAttr(tile_gpu::getOccupancyRequest(threads)));
      // setmaxnreg moves registers between the warpgroups of a block whose
      // threads all start with as many.
      if (specialization && specialization->entryRegisters)
        func->setAttr(NVVM::NVVMDialect::getMaxnregAttrName(),
                      b.getI32IntegerAttr(specialization->entryRegisters));
      func->setAttr("meld.shared_bytes", b.getI64IntegerAttr(scratch));
      // What its products run at (meld-tile-gpu-accelerate-dot), for the
      // report.
      if (Attribute precision = kernel->getAttr("meld.precision"))
        func->setAttr("meld.precision", precision);
      func->setAttr("meld.grid", kernel.getGridAttr());
      if (!maps.empty())
        func->setAttr("meld.tensor_maps", b.getArrayAttr(maps));
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
      Distributor distributor(b, loc, consumers, tid, blockIds, scratchBuffer,
                              scratch);
      distributor.indexBits = index32 ? 32 : 64;
      distributor.specialized = specialization.has_value();
      for (auto [from, to] : llvm::zip_equal(
               kernel.getBody().getArguments(),
               func.getArguments().take_front(kernel.getNumArguments())))
        distributor.mapping.map(from, to);
      for (tile_gpu::TmaLoadOp copy : copies)
        distributor.tensorMaps[copy] =
            func.getArgument(kernel.getNumArguments() + mapOf[copy]);
      if (!copies.empty() && failed(distributor.initTmaBarriers(copies)))
        return signalPassFailure();
      Block &body = kernel.getBody().front();
      if (!specialization) {
        if (failed(distributor.distribute(body)))
          return signalPassFailure();
        gpu::ReturnOp::create(b, loc);
        kernel.erase();
        continue;
      }
      // Warp-specialized: the consumer warps run the kernel but its TMA
      // copies, with more registers; of the producer warpgroup, with
      // fewer, one thread issues the copies. Each side maps the kernel's
      // values itself.
      // The producer runs each loop of copies once: its buffers' mbarriers
      // cannot start over for another run.
      for (tile_gpu::TmaLoadOp copy : copies)
        if (auto loop = copy->getParentOfType<scf::ForOp>();
            loop && loop->getParentOfType<scf::ForOp>()) {
          copy.emitOpError("lies in a loop nested in another in a "
                           "warp-specialized kernel");
          return signalPassFailure();
        }
      IRMapping entryMapping = distributor.mapping;
      auto split = scf::IfOp::create(
          b, loc,
          arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ult, tid,
              arith::ConstantIndexOp::create(b, loc, consumers)),
          /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(split.thenBlock()->getTerminator());
        if (specialization->consumerRegisters)
          NVVM::SetMaxRegisterOp::create(b, loc,
                                         specialization->consumerRegisters,
                                         NVVM::SetMaxRegisterAction::increase);
        distributor.role = Distributor::Role::Consumer;
        if (failed(distributor.distribute(body)))
          return signalPassFailure();
      }
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(split.elseBlock()->getTerminator());
        if (specialization->producerRegisters)
          NVVM::SetMaxRegisterOp::create(b, loc,
                                         specialization->producerRegisters,
                                         NVVM::SetMaxRegisterAction::decrease);
        auto issuer = scf::IfOp::create(
            b, loc,
            arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::eq, tid,
                arith::ConstantIndexOp::create(b, loc, consumers)),
            /*withElseRegion=*/false);
        b.setInsertionPoint(issuer.thenBlock()->getTerminator());
        distributor.role = Distributor::Role::Producer;
        distributor.mapping = entryMapping;
        if (failed(distributor.distributeProducer(body)))
          return signalPassFailure();
      }
      gpu::ReturnOp::create(b, loc);
      kernel.erase();
    }
  }
};

} // namespace
