//===- AllocateShared.cpp - Place tiles stored in shared memory -----------===//
//
// Gives each tile a kernel places in shared memory (tile_gpu.local_alloc,
// tile_gpu.async_load, tile_gpu.tma_load) its place there, after the
// scratch its ops stage tiles in (conversions; reductions and broadcasts
// that do not work in registers), at multiples of 1024 bytes (a swizzle's
// pattern): the lowest where it overlaps no tile but those in another
// branch of an scf.if (only one branch runs). Then the mbarriers of the
// tiles the tensor memory accelerator copies (two a buffer in a
// warp-specialized kernel: copied, released); the kernel's shared_bytes is
// the end of the last.
//
//===----------------------------------------------------------------------===//

#include "dialects/TileGPU/Transforms/Passes.h"
#include "dialects/TileGPU/Transforms/Utils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/Support/MathExtras.h"

namespace meld::tile_gpu {
#define GEN_PASS_DEF_TILEGPUALLOCATESHARED
#include "dialects/TileGPU/Transforms/Passes.h.inc"
} // namespace meld::tile_gpu

using namespace mlir;
using namespace meld;
using namespace meld::tile_gpu;

namespace {

/// The tiles a kernel's loops carry in shared memory: a prefetched load's
/// copies, before the loop and in it, go to buffers of one tile.
class CarriedTiles {
public:
  explicit CarriedTiles(tile::KernelOp kernel) {
    kernel.walk([&](scf::ForOp loop) {
      auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
      for (auto [init, arg, yielded, result] :
           llvm::zip_equal(loop.getInitArgs(), loop.getRegionIterArgs(),
                           yield.getOperands(), loop.getResults())) {
        auto type = dyn_cast<RankedTensorType>(arg.getType());
        if (!type || !isa_and_nonnull<SharedLayoutAttr>(type.getEncoding()))
          continue;
        unite(init, arg);
        unite(yielded, arg);
        unite(result, arg);
      }
    });
  }

  /// The representative of `value`'s tile.
  Value find(Value value) {
    Value parent = parents.lookup(value);
    if (!parent || parent == value)
      return value;
    Value root = find(parent);
    parents[value] = root;
    return root;
  }

private:
  void unite(Value a, Value b) {
    Value ra = find(a), rb = find(b);
    if (ra != rb)
      parents[ra] = rb;
  }

  DenseMap<Value, Value> parents;
};

/// A tile's buffers in shared memory, and the ops that store and read them.
struct Place {
  SmallVector<SharedTileOpInterface> tiles;
  int64_t bytes = 0;
  int64_t offset = 0;
};

/// Whether two places may share bytes: only one of them runs.
static bool canOverlap(const Place &a, const Place &b) {
  return llvm::all_of(a.tiles, [&](SharedTileOpInterface x) {
    return llvm::all_of(
        b.tiles, [&](SharedTileOpInterface y) { return runExclusively(x, y); });
  });
}

/// The lowest multiple of kSharedTileAlignment from `start` where `place`
/// overlaps none of `placed` it may not share bytes with (first fit).
static int64_t findOffset(const Place &place, ArrayRef<Place> placed,
                          int64_t start) {
  SmallVector<const Place *> conflicts;
  for (const Place &other : placed)
    if (!canOverlap(place, other))
      conflicts.push_back(&other);
  // The candidates: the start and the end of each conflict.
  SmallVector<int64_t> candidates = {start};
  for (const Place *other : conflicts)
    candidates.push_back(
        llvm::alignTo(other->offset + other->bytes, kSharedTileAlignment));
  llvm::sort(candidates);
  for (int64_t offset : candidates)
    if (llvm::none_of(conflicts, [&](const Place *other) {
          return offset < other->offset + other->bytes &&
                 other->offset < offset + place.bytes;
        }))
      return offset;
  llvm_unreachable("the end of the last conflict is free");
}

struct TileGPUAllocateShared
    : tile_gpu::impl::TileGPUAllocateSharedBase<TileGPUAllocateShared> {
  void runOnOperation() override {
    tile::KernelOp kernel = getOperation();
    // The scratch, as the layouts now have it: what meld-tile-configure-
    // launch reserved for the tile-level ops may be more (a product on
    // tensor cores, a softmax in registers stage nothing).
    int64_t staged = 0;
    kernel.walk(
        [&](Operation *op) { staged = std::max(staged, getScratchBytes(op)); });
    CarriedTiles carried(kernel);
    // Each tile's buffers: as many as the most a loop it is in asks for.
    DenseMap<Value, int64_t> buffers;
    kernel.walk([&](SharedTileOpInterface tile) {
      int64_t &count = buffers[carried.find(tile->getResult(0))];
      count = std::max(count, getPipelineStages(tile->getParentOp()));
    });
    // The places, in program order.
    SmallVector<Place> places;
    DenseMap<Value, size_t> placeOf;
    kernel.walk([&](SharedTileOpInterface tile) {
      Value root = carried.find(tile->getResult(0));
      auto [it, first] = placeOf.try_emplace(root, places.size());
      if (first)
        places.push_back({{}, tile.getStagedBytes(buffers[root]), 0});
      places[it->second].tiles.push_back(tile);
    });
    int64_t start = llvm::alignTo(staged, kSharedTileAlignment);
    int64_t end = staged;
    Builder builder(&getContext());
    for (auto [i, place] : llvm::enumerate(places)) {
      place.offset = findOffset(place, ArrayRef(places).take_front(i), start);
      end = std::max(end, place.offset + place.bytes);
      for (SharedTileOpInterface tile : place.tiles)
        tile.setOffsetAttr(builder.getI64IntegerAttr(place.offset));
    }
    // The mbarriers of the TMA copies' buffers, 8 bytes each (16 in a
    // warp-specialized kernel: each buffer's copy's and its release's),
    // after every tile.
    end = llvm::alignTo(end, 8);
    int64_t perBuffer = getWarpSpecialization(kernel) ? 16 : 8;
    DenseMap<Value, int64_t> mbarriers;
    kernel.walk([&](TmaLoadOp copy) {
      Value root = carried.find(copy.getResult());
      auto [it, first] = mbarriers.try_emplace(root, end);
      if (first)
        end += perBuffer * buffers[root];
      copy.setMbarriersAttr(builder.getI64IntegerAttr(it->second));
    });
    kernel.setSharedBytesAttr(builder.getI64IntegerAttr(end));
  }
};

} // namespace
