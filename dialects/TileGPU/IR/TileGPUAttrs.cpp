//===- TileGPUAttrs.cpp - Layouts of tiles on a GPU -----------------------===//
//
// Each layout places the slots of a thread as affine functions of its lane
// (d0) and warp (d1); the GPU lowering materializes them, and tests evaluate
// them for every thread.
//
//===----------------------------------------------------------------------===//

#include "dialects/TileGPU/IR/TileGPUDialect.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <map>

using namespace mlir;
using namespace meld::tile_gpu;

#include "dialects/TileGPU/IR/TileGPUAttrInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/TileGPU/IR/TileGPUAttrs.cpp.inc"

void TileGPUDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/TileGPU/IR/TileGPUAttrs.cpp.inc"
      >();
}

DistributedLayoutAttr meld::tile_gpu::getLayout(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor ? dyn_cast_or_null<DistributedLayoutAttr>(tensor.getEncoding())
                : DistributedLayoutAttr();
}

SmallVector<int64_t> meld::tile_gpu::getLayoutShape(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return {1};
  return llvm::to_vector(shape);
}

//===----------------------------------------------------------------------===//
// DistributedLayoutAttr
//===----------------------------------------------------------------------===//

std::optional<SmallVector<int64_t>>
DistributedLayoutAttr::getSlotElement(ArrayRef<int64_t> shape, int64_t slot,
                                      int64_t lane, int64_t warp) {
  SmallVector<int64_t> layoutShape = getLayoutShape(shape);
  SmallVector<int64_t> coords;
  for (auto [expr, size] :
       llvm::zip_equal(getSlotCoordinates(layoutShape, slot), layoutShape)) {
    int64_t c = evaluateLayoutExpr(expr, lane, warp);
    if (c < 0 || c >= size)
      return std::nullopt;
    coords.push_back(c);
  }
  return coords;
}

bool DistributedLayoutAttr::isSlotAlwaysValid(ArrayRef<int64_t> shape,
                                              int64_t slot) {
  for (int64_t warp = 0, e = getNumWarps(); warp < e; ++warp)
    for (int64_t lane = 0; lane < 32; ++lane)
      if (!getSlotElement(shape, slot, lane, warp))
        return false;
  return true;
}

/// Verifies that `layout` lays out tiles of `shape`.
static LogicalResult
verifyLayoutRank(DistributedLayoutAttr layout, ArrayRef<int64_t> shape,
                 function_ref<InFlightDiagnostic()> emitError) {
  if (static_cast<int64_t>(getLayoutShape(shape).size()) != layout.getRank())
    return emitError() << "layout of rank " << layout.getRank()
                       << " for a tile of rank " << shape.size();
  if (ShapedType::isDynamicShape(shape))
    return emitError() << "layout for a tile of dynamic shape";
  return success();
}

/// `index` split over `sizes` in `order` (fastest first).
static SmallVector<int64_t> delinearizeInOrder(int64_t index,
                                               ArrayRef<int64_t> sizes,
                                               ArrayRef<int64_t> order) {
  SmallVector<int64_t> coords(sizes.size(), 0);
  for (int64_t d : order) {
    coords[d] = index % sizes[d];
    index /= sizes[d];
  }
  return coords;
}

/// `id` (an affine expression, 0 to the product of `sizes` - 1) split over
/// `sizes` in `order`.
static SmallVector<AffineExpr> delinearizeInOrder(AffineExpr id,
                                                  ArrayRef<int64_t> sizes,
                                                  ArrayRef<int64_t> order) {
  SmallVector<AffineExpr> coords(sizes.size());
  int64_t stride = 1;
  for (int64_t d : order) {
    coords[d] = id.floorDiv(stride);
    // The slowest dimension takes the rest of `id` whole.
    if (d != order.back())
      coords[d] = coords[d] % sizes[d];
    stride *= sizes[d];
  }
  return coords;
}

//===----------------------------------------------------------------------===//
// BlockedLayoutAttr
//===----------------------------------------------------------------------===//

LogicalResult BlockedLayoutAttr::verify(
    function_ref<InFlightDiagnostic()> emitError,
    ArrayRef<int64_t> sizePerThread, ArrayRef<int64_t> threadsPerWarp,
    ArrayRef<int64_t> warpsPerCTA, ArrayRef<int64_t> order) {
  size_t rank = sizePerThread.size();
  if (rank == 0 || threadsPerWarp.size() != rank ||
      warpsPerCTA.size() != rank || order.size() != rank)
    return emitError() << "sizePerThread, threadsPerWarp, warpsPerCTA and "
                          "order must have one entry per dimension";
  for (ArrayRef<int64_t> sizes : {sizePerThread, threadsPerWarp, warpsPerCTA})
    if (llvm::any_of(sizes, [](int64_t s) { return s < 1; }))
      return emitError() << "sizes must be positive";
  if (computeProduct(threadsPerWarp) != 32)
    return emitError() << "threadsPerWarp must multiply to 32";
  if (!isPermutationVector(order))
    return emitError() << "order must be a permutation of the dimensions";
  return success();
}

LogicalResult BlockedLayoutAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type,
    function_ref<InFlightDiagnostic()> emitError) const {
  return verifyLayoutRank(cast<DistributedLayoutAttr>(*this), shape, emitError);
}

int64_t BlockedLayoutAttr::getNumWarps() const {
  return computeProduct(getWarpsPerCTA());
}

int64_t BlockedLayoutAttr::getRank() const { return getOrder().size(); }

/// The elements one block-sized pattern of `layout` covers per dimension,
/// and how many times it repeats over `shape`.
static std::pair<SmallVector<int64_t>, SmallVector<int64_t>>
getBlockedTiling(BlockedLayoutAttr layout, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> cta, reps;
  for (auto [d, size] : llvm::enumerate(shape)) {
    int64_t covered = layout.getSizePerThread()[d] *
                      layout.getThreadsPerWarp()[d] *
                      layout.getWarpsPerCTA()[d];
    cta.push_back(covered);
    reps.push_back(std::max<int64_t>(1, llvm::divideCeil(size, covered)));
  }
  return {cta, reps};
}

int64_t BlockedLayoutAttr::getSlotsPerThread(ArrayRef<int64_t> shape) const {
  auto [cta, reps] = getBlockedTiling(*this, shape);
  return computeProduct(getSizePerThread()) * computeProduct(reps);
}

SmallVector<AffineExpr>
BlockedLayoutAttr::getSlotCoordinates(ArrayRef<int64_t> shape,
                                      int64_t slot) const {
  MLIRContext *ctx = getContext();
  auto [cta, reps] = getBlockedTiling(*this, shape);
  int64_t perPattern = computeProduct(getSizePerThread());
  SmallVector<int64_t> element =
      delinearizeInOrder(slot % perPattern, getSizePerThread(), getOrder());
  SmallVector<int64_t> rep =
      delinearizeInOrder(slot / perPattern, reps, getOrder());
  SmallVector<AffineExpr> lane = delinearizeInOrder(
      getAffineDimExpr(0, ctx), getThreadsPerWarp(), getOrder());
  SmallVector<AffineExpr> warp = delinearizeInOrder(
      getAffineDimExpr(1, ctx), getWarpsPerCTA(), getOrder());
  SmallVector<AffineExpr> coords;
  for (size_t d = 0; d < shape.size(); ++d)
    coords.push_back(rep[d] * cta[d] +
                     (warp[d] * getThreadsPerWarp()[d] + lane[d]) *
                         getSizePerThread()[d] +
                     element[d]);
  return coords;
}

int64_t BlockedLayoutAttr::getContiguousSlots(ArrayRef<int64_t> shape) const {
  int64_t last = shape.size() - 1;
  if (getOrder().front() != last)
    return 1;
  return std::min(getSizePerThread()[last], shape[last]);
}

BlockedLayoutAttr BlockedLayoutAttr::getDefault(MLIRContext *context,
                                                ArrayRef<int64_t> tileShape,
                                                int64_t numWarps) {
  SmallVector<int64_t> shape = getLayoutShape(tileShape);
  int64_t rank = shape.size();
  int64_t threads = 32 * numWarps;
  int64_t elements = computeProduct(shape);
  // The group: V consecutive row-major elements, spread over the last
  // dimensions (whole rows of them when a row is shorter than V).
  SmallVector<int64_t> sizePerThread(rank, 1);
  for (int64_t v : {4, 2, 1}) {
    if (elements % (threads * v) != 0 && v != 1)
      continue;
    SmallVector<int64_t> spt(rank, 1);
    int64_t left = v;
    bool fits = true;
    for (int64_t d = rank - 1; d >= 0 && left > 1; --d) {
      if (left >= shape[d] ? left % shape[d] != 0 : shape[d] % left != 0) {
        fits = false;
        break;
      }
      spt[d] = std::min(left, shape[d]);
      left /= spt[d];
    }
    if (fits && left == 1) {
      sizePerThread = spt;
      break;
    }
  }
  // Lanes, then warps, fill the groups from the last dimension; what is
  // left over goes to the first (and holds nothing).
  auto fill = [&](int64_t count, ArrayRef<int64_t> inner) {
    SmallVector<int64_t> sizes(rank, 1);
    for (int64_t d = rank - 1; d >= 0 && count > 1; --d) {
      int64_t room = std::max<int64_t>(
          1, shape[d] / (sizePerThread[d] * (inner.empty() ? 1 : inner[d])));
      sizes[d] = std::min<int64_t>(
          count, llvm::bit_floor(static_cast<uint64_t>(room)));
      count /= sizes[d];
    }
    sizes[0] *= count;
    return sizes;
  };
  SmallVector<int64_t> threadsPerWarp = fill(32, {});
  SmallVector<int64_t> warpsPerCTA = fill(numWarps, threadsPerWarp);
  SmallVector<int64_t> order;
  for (int64_t d = rank - 1; d >= 0; --d)
    order.push_back(d);
  return BlockedLayoutAttr::get(context, sizePerThread, threadsPerWarp,
                                warpsPerCTA, order);
}

//===----------------------------------------------------------------------===//
// MmaLayoutAttr
//===----------------------------------------------------------------------===//

LogicalResult
MmaLayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      unsigned version, ArrayRef<int64_t> warpsPerCTA,
                      ArrayRef<int64_t> instrShape) {
  if (warpsPerCTA.size() != 2 || instrShape.size() != 2)
    return emitError() << "warpsPerCTA and instrShape must have 2 entries";
  if (llvm::any_of(warpsPerCTA, [](int64_t w) { return w < 1; }))
    return emitError() << "warpsPerCTA must be positive";
  if (version == 2) {
    if (instrShape[0] != 16 || instrShape[1] != 8)
      return emitError() << "an mma.sync accumulator (version 2) has "
                            "instrShape [16, 8]";
    return success();
  }
  if (version == 3) {
    if (instrShape[0] != 64 || instrShape[1] < 8 || instrShape[1] > 256 ||
        instrShape[1] % 8 != 0)
      return emitError() << "a wgmma accumulator (version 3) has instrShape "
                            "[64, N], N a multiple of 8 up to 256";
    if (warpsPerCTA[0] % 4 != 0)
      return emitError() << "a wgmma accumulator (version 3) needs whole "
                            "warpgroups: warpsPerCTA[0] a multiple of 4";
    return success();
  }
  return emitError() << "version must be 2 (mma.sync) or 3 (wgmma)";
}

LogicalResult MmaLayoutAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type,
    function_ref<InFlightDiagnostic()> emitError) const {
  return verifyLayoutRank(cast<DistributedLayoutAttr>(*this), shape, emitError);
}

int64_t MmaLayoutAttr::getNumWarps() const {
  return computeProduct(getWarpsPerCTA());
}

int64_t MmaLayoutAttr::getRank() const { return 2; }

/// The rows and columns one block-wide step of `layout` covers, and the
/// warps' arrangement: for version 3, warpgroups stand for warps.
static std::pair<SmallVector<int64_t>, SmallVector<int64_t>>
getMmaTiling(MmaLayoutAttr layout, ArrayRef<int64_t> shape) {
  ArrayRef<int64_t> warps = layout.getWarpsPerCTA();
  ArrayRef<int64_t> instr = layout.getInstrShape();
  int64_t groupRows = layout.isWgmma() ? warps[0] / 4 : warps[0];
  SmallVector<int64_t> cta{instr[0] * groupRows, instr[1] * warps[1]};
  SmallVector<int64_t> reps{
      std::max<int64_t>(1, llvm::divideCeil(shape[0], cta[0])),
      std::max<int64_t>(1, llvm::divideCeil(shape[1], cta[1]))};
  return {cta, reps};
}

int64_t MmaLayoutAttr::getSlotsPerThread(ArrayRef<int64_t> shape) const {
  auto [cta, reps] = getMmaTiling(*this, shape);
  // Each 16x8 block of a warp: 4 elements per lane.
  int64_t perInstr = getInstrShape()[1] / 8 * 4;
  return perInstr * reps[0] * reps[1];
}

SmallVector<AffineExpr>
MmaLayoutAttr::getSlotCoordinates(ArrayRef<int64_t> shape, int64_t slot) const {
  MLIRContext *ctx = getContext();
  auto [cta, reps] = getMmaTiling(*this, shape);
  int64_t perInstr = getInstrShape()[1] / 8 * 4;
  int64_t block = slot / perInstr, within = slot % perInstr;
  int64_t repRow = block / reps[1], repCol = block % reps[1];
  int64_t columnBlock = within / 4, j = within % 4;
  AffineExpr lane = getAffineDimExpr(0, ctx);
  AffineExpr warp = getAffineDimExpr(1, ctx);
  int64_t warpCols = getWarpsPerCTA()[1];
  // Version 3: warp w is warp w % 4 of warpgroup w / 4; the warpgroups, as
  // the warps of version 2, are laid out row-major over warpsPerCTA.
  AffineExpr unit = isWgmma() ? warp.floorDiv(4) : warp;
  AffineExpr unitRow = unit.floorDiv(warpCols), unitCol = unit % warpCols;
  AffineExpr row = repRow * cta[0] + unitRow * getInstrShape()[0] +
                   lane.floorDiv(4) + 8 * (j / 2);
  if (isWgmma())
    row = row + (warp % 4) * 16;
  AffineExpr col = repCol * cta[1] + unitCol * getInstrShape()[1] +
                   columnBlock * 8 + (lane % 4) * 2 + j % 2;
  return {row, col};
}

int64_t MmaLayoutAttr::getContiguousSlots(ArrayRef<int64_t> shape) const {
  return std::min<int64_t>(2, shape[1]);
}

//===----------------------------------------------------------------------===//
// DotOperandLayoutAttr
//===----------------------------------------------------------------------===//

LogicalResult
DotOperandLayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                             unsigned opIdx, MmaLayoutAttr parent,
                             unsigned kWidth) {
  if (opIdx > 1)
    return emitError() << "opIdx must be 0 (A) or 1 (B)";
  if (parent.getVersion() != 2)
    return emitError() << "a dot operand in registers is for mma.sync "
                          "(an mma parent of version 2)";
  if (kWidth != 1 && kWidth != 2)
    return emitError() << "kWidth must be 1 (tf32) or 2 (f16, bf16)";
  return success();
}

LogicalResult DotOperandLayoutAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type,
    function_ref<InFlightDiagnostic()> emitError) const {
  return verifyLayoutRank(cast<DistributedLayoutAttr>(*this), shape, emitError);
}

int64_t DotOperandLayoutAttr::getNumWarps() const {
  return getParent().getNumWarps();
}

int64_t DotOperandLayoutAttr::getRank() const { return 2; }

/// For operand `layout` of a tile of `shape`: the rows or columns (of A or
/// B) one step of the warps covers, their repetitions, the K blocks, and the
/// slots of one instruction.
struct DotOperandTiling {
  int64_t outer, outerReps, kBlocks, perInstr;
};
static DotOperandTiling getDotOperandTiling(DotOperandLayoutAttr layout,
                                            ArrayRef<int64_t> shape) {
  ArrayRef<int64_t> warps = layout.getParent().getWarpsPerCTA();
  bool isA = layout.getOpIdx() == 0;
  int64_t outer = isA ? 16 * warps[0] : 8 * warps[1];
  int64_t outerSize = isA ? shape[0] : shape[1];
  int64_t kSize = isA ? shape[1] : shape[0];
  return {outer, std::max<int64_t>(1, llvm::divideCeil(outerSize, outer)),
          std::max<int64_t>(1, llvm::divideCeil(kSize, layout.getInstrK())),
          (isA ? 4 : 2) * static_cast<int64_t>(layout.getKWidth())};
}

int64_t DotOperandLayoutAttr::getSlotsPerThread(ArrayRef<int64_t> shape) const {
  DotOperandTiling tiling = getDotOperandTiling(*this, shape);
  return tiling.perInstr * tiling.outerReps * tiling.kBlocks;
}

SmallVector<AffineExpr>
DotOperandLayoutAttr::getSlotCoordinates(ArrayRef<int64_t> shape,
                                         int64_t slot) const {
  MLIRContext *ctx = getContext();
  DotOperandTiling tiling = getDotOperandTiling(*this, shape);
  int64_t kWidth = getKWidth();
  int64_t block = slot / tiling.perInstr, within = slot % tiling.perInstr;
  int64_t kBlock = block % tiling.kBlocks, outerRep = block / tiling.kBlocks;
  int64_t reg = within / kWidth, element = within % kWidth;
  AffineExpr lane = getAffineDimExpr(0, ctx);
  AffineExpr warp = getAffineDimExpr(1, ctx);
  int64_t warpCols = getParent().getWarpsPerCTA()[1];
  AffineExpr group = lane.floorDiv(4), inGroup = lane % 4;
  if (getOpIdx() == 0) {
    AffineExpr row = outerRep * tiling.outer + warp.floorDiv(warpCols) * 16 +
                     group + 8 * (reg % 2);
    AffineExpr col = kBlock * getInstrK() + inGroup * kWidth + element +
                     4 * kWidth * (reg / 2);
    return {row, col};
  }
  AffineExpr row =
      kBlock * getInstrK() + inGroup * kWidth + element + 4 * kWidth * reg;
  AffineExpr col = outerRep * tiling.outer + (warp % warpCols) * 8 + group;
  return {row, col};
}

AffineExpr DotOperandLayoutAttr::getCopyIndex() const {
  // A: the warps of a row of warps hold copies, told apart by their column;
  // B: by their row.
  AffineExpr warp = getAffineDimExpr(1, getContext());
  int64_t warpCols = getParent().getWarpsPerCTA()[1];
  return getOpIdx() == 0 ? warp % warpCols : warp.floorDiv(warpCols);
}

int64_t
DotOperandLayoutAttr::getContiguousSlots(ArrayRef<int64_t> shape) const {
  // A's elements of one register lie along its rows.
  return getOpIdx() == 0 ? std::min<int64_t>(getKWidth(), shape[1]) : 1;
}

//===----------------------------------------------------------------------===//
// SliceLayoutAttr
//===----------------------------------------------------------------------===//

LogicalResult
SliceLayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        int64_t dim, DistributedLayoutAttr parent) {
  if (!isa<BlockedLayoutAttr, MmaLayoutAttr>(parent))
    return emitError() << "the parent of a slice is a blocked or mma layout";
  if (parent.getRank() < 2)
    return emitError() << "the parent of a slice has rank 2 or more";
  if (dim < 0 || dim >= parent.getRank())
    return emitError() << "dim " << dim << " is not one of the parent's "
                       << parent.getRank() << " dimensions";
  return success();
}

LogicalResult SliceLayoutAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type,
    function_ref<InFlightDiagnostic()> emitError) const {
  return verifyLayoutRank(cast<DistributedLayoutAttr>(*this), shape, emitError);
}

int64_t SliceLayoutAttr::getNumWarps() const {
  return getParent().getNumWarps();
}

int64_t SliceLayoutAttr::getRank() const { return getParent().getRank() - 1; }

SmallVector<int64_t>
SliceLayoutAttr::getParentShape(ArrayRef<int64_t> shape) const {
  SmallVector<int64_t> parentShape = getLayoutShape(shape);
  int64_t covered = 1;
  if (auto blocked = dyn_cast<BlockedLayoutAttr>(getParent()))
    covered =
        getBlockedTiling(blocked, SmallVector<int64_t>(blocked.getRank(), 1))
            .first[getDim()];
  else
    covered =
        getMmaTiling(cast<MmaLayoutAttr>(getParent()), {1, 1}).first[getDim()];
  parentShape.insert(parentShape.begin() + getDim(), covered);
  return parentShape;
}

int64_t meld::tile_gpu::evaluateLayoutExpr(AffineExpr expr, int64_t lane,
                                           int64_t warp) {
  if (auto c = dyn_cast<AffineConstantExpr>(expr))
    return c.getValue();
  if (auto dim = dyn_cast<AffineDimExpr>(expr))
    return dim.getPosition() == 0 ? lane : warp;
  auto bin = cast<AffineBinaryOpExpr>(expr);
  int64_t x = evaluateLayoutExpr(bin.getLHS(), lane, warp);
  int64_t y = evaluateLayoutExpr(bin.getRHS(), lane, warp);
  switch (expr.getKind()) {
  case AffineExprKind::Add:
    return x + y;
  case AffineExprKind::Mul:
    return x * y;
  case AffineExprKind::Mod:
    return llvm::mod(x, y);
  case AffineExprKind::FloorDiv:
    return llvm::divideFloorSigned(x, y);
  case AffineExprKind::CeilDiv:
    return llvm::divideCeilSigned(x, y);
  default:
    llvm_unreachable("not a binary affine expression");
  }
}

static int64_t valueInFirstThread(AffineExpr expr) {
  return evaluateLayoutExpr(expr, 0, 0);
}

bool meld::tile_gpu::haveSameDistribution(DistributedLayoutAttr a,
                                          DistributedLayoutAttr b,
                                          ArrayRef<int64_t> shape) {
  if (a == b)
    return true;
  if (!a || !b || a.getNumWarps() != b.getNumWarps() ||
      a.getRank() != b.getRank())
    return false;
  SmallVector<int64_t> layoutShape = getLayoutShape(shape);
  int64_t slots = a.getSlotsPerThread(layoutShape);
  if (slots != b.getSlotsPerThread(layoutShape))
    return false;
  AffineExpr copyA = a.getCopyIndex(), copyB = b.getCopyIndex();
  int64_t warps = a.getNumWarps();
  for (int64_t warp = 0; warp < warps; ++warp)
    for (int64_t lane = 0; lane < 32; ++lane)
      if ((!copyA || evaluateLayoutExpr(copyA, lane, warp) == 0) !=
          (!copyB || evaluateLayoutExpr(copyB, lane, warp) == 0))
        return false;
  for (int64_t slot = 0; slot < slots; ++slot) {
    SmallVector<AffineExpr> coordsA = a.getSlotCoordinates(layoutShape, slot);
    SmallVector<AffineExpr> coordsB = b.getSlotCoordinates(layoutShape, slot);
    for (auto [exprA, exprB] : llvm::zip_equal(coordsA, coordsB)) {
      if (exprA == exprB)
        continue;
      for (int64_t warp = 0; warp < warps; ++warp)
        for (int64_t lane = 0; lane < 32; ++lane)
          if (evaluateLayoutExpr(exprA, lane, warp) !=
              evaluateLayoutExpr(exprB, lane, warp))
            return false;
    }
  }
  return true;
}

std::optional<SmallVector<int64_t>>
meld::tile_gpu::getReductionLanes(DistributedLayoutAttr layout,
                                  ArrayRef<int64_t> shape, int64_t dim) {
  SmallVector<int64_t> layoutShape = getLayoutShape(shape);
  SmallVector<AffineExpr> first = layout.getSlotCoordinates(layoutShape, 0);
  // Whether thread (lane, warp)'s slot 0 lies off lane 0's along `dim`,
  // and whether along `dim` only.
  auto moves = [&](int64_t lane, int64_t warp, bool &only) {
    bool along = false;
    only = true;
    for (auto [d, expr] : llvm::enumerate(first)) {
      bool moved =
          evaluateLayoutExpr(expr, lane, warp) != valueInFirstThread(expr);
      if (static_cast<int64_t>(d) == dim)
        along = moved;
      else if (moved)
        only = false;
    }
    return along;
  };
  // Every warp (their count need not be a power of 2); the lanes bit by
  // bit (32 lanes over dimensions of powers of 2: each bit moves along one).
  bool only;
  for (int64_t warp = 1; warp < layout.getNumWarps(); ++warp)
    if (moves(0, warp, only))
      return std::nullopt;
  SmallVector<int64_t> lanes;
  for (int64_t lane = 1; lane < 32; lane *= 2) {
    if (!moves(lane, 0, only))
      continue;
    if (!only)
      return std::nullopt;
    lanes.push_back(lane);
  }
  return lanes;
}

SmallVector<int64_t>
SliceLayoutAttr::getSliceSlots(ArrayRef<int64_t> shape) const {
  // A parent slot's coordinates are its own constants plus terms of the
  // lane and warp that every slot shares (blocked and mma layouts alike):
  // two slots hold the same element of the slice in every thread where
  // their constants agree off `dim`.
  SmallVector<int64_t> parentShape = getParentShape(shape);
  DistributedLayoutAttr parent = getParent();
  std::map<SmallVector<int64_t>, int64_t> keys;
  SmallVector<int64_t> sliceSlots;
  for (int64_t slot = 0, e = parent.getSlotsPerThread(parentShape); slot < e;
       ++slot) {
    SmallVector<int64_t> key;
    for (auto [d, expr] :
         llvm::enumerate(parent.getSlotCoordinates(parentShape, slot)))
      if (static_cast<int64_t>(d) != getDim())
        key.push_back(valueInFirstThread(expr));
    auto [it, inserted] = keys.try_emplace(std::move(key), keys.size());
    sliceSlots.push_back(it->second);
  }
  return sliceSlots;
}

int64_t SliceLayoutAttr::getSlotsPerThread(ArrayRef<int64_t> shape) const {
  SmallVector<int64_t> sliceSlots = getSliceSlots(shape);
  return *llvm::max_element(sliceSlots) + 1;
}

SmallVector<AffineExpr>
SliceLayoutAttr::getSlotCoordinates(ArrayRef<int64_t> shape,
                                    int64_t slot) const {
  SmallVector<int64_t> sliceSlots = getSliceSlots(shape);
  int64_t first = llvm::find(sliceSlots, slot) - sliceSlots.begin();
  SmallVector<AffineExpr> coords =
      getParent().getSlotCoordinates(getParentShape(shape), first);
  coords.erase(coords.begin() + getDim());
  return coords;
}

AffineExpr SliceLayoutAttr::getCopyIndex() const {
  // The threads along `dim`: the lane and warp terms of the parent's
  // coordinate there, 0 only in the first of them (each term is a
  // non-negative multiple of a lane's or warp's position along `dim`).
  SmallVector<int64_t> ones(getRank(), 1);
  AffineExpr along =
      getParent().getSlotCoordinates(getParentShape(ones), 0)[getDim()];
  return simplifyAffineExpr(along - valueInFirstThread(along), 2, 0);
}

int64_t SliceLayoutAttr::getContiguousSlots(ArrayRef<int64_t>) const {
  return 1;
}

//===----------------------------------------------------------------------===//
// SharedLayoutAttr
//===----------------------------------------------------------------------===//

LogicalResult
SharedLayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         unsigned swizzle, ArrayRef<int64_t> order,
                         int64_t rows) {
  if (rows < 0 || rows % 8 != 0)
    return emitError() << "rows must be a multiple of 8 (or 0: the tile's)";
  if (swizzle != 32 && swizzle != 64 && swizzle != 128)
    return emitError() << "swizzle must be 32, 64 or 128 bytes";
  if (order.size() != 2 || !llvm::is_contained(order, 0) ||
      !llvm::is_contained(order, 1))
    return emitError() << "order must be [1, 0] or [0, 1]";
  return success();
}

LogicalResult SharedLayoutAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (shape.size() != 2)
    return emitError() << "a #tile_gpu.shared tile has rank 2";
  int64_t contiguous = getContiguousDim();
  int64_t bytes = llvm::divideCeil(elementType.getIntOrFloatBitWidth(), 8);
  if (getRows() && getRows() < shape[1 - contiguous])
    return emitError() << "a #tile_gpu.shared tile of " << shape[1 - contiguous]
                       << " rows is stored with at least as many, got rows = "
                       << getRows();
  if (shape[contiguous] * bytes % getSwizzle() != 0 ||
      shape[1 - contiguous] % 8 != 0)
    return emitError() << "a #tile_gpu.shared tile covers whole "
                       << getSwizzle() << "-byte rows along dimension "
                       << contiguous << " and a multiple of 8 rows, got "
                       << shape[0] << "x" << shape[1] << " of " << elementType;
  return success();
}
