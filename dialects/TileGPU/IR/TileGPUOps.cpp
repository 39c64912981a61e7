//===- TileGPUOps.cpp - TileGPU operations --------------------------------===//

#include "dialects/TileGPU/IR/TileGPUDialect.h"

#include "dialects/Tile/IR/TileOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace meld::tile_gpu;

#include "dialects/TileGPU/IR/TileGPUInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "dialects/TileGPU/IR/TileGPUOps.cpp.inc"

/// Checks `offset`, where assigned, as a shared tile's byte offset.
static LogicalResult verifySharedOffset(Operation *op,
                                        std::optional<int64_t> offset) {
  if (offset && (*offset < 0 || *offset % kSharedTileAlignment != 0))
    return op->emitOpError("offset must be a multiple of 1024 bytes (the "
                           "swizzle's pattern), got ")
           << *offset;
  return success();
}

LogicalResult ConvertLayoutOp::verify() {
  for (Type type : {getSrc().getType(), getResult().getType()})
    if (!getLayout(type))
      return emitOpError("converts between tiles with distributed layouts, "
                         "got ")
             << type;
  return success();
}

OpFoldResult ConvertLayoutOp::fold(FoldAdaptor) {
  // To the layout it has.
  if (getSrc().getType() == getType())
    return getSrc();
  // Of a conversion: from the original.
  if (auto inner = getSrc().getDefiningOp<ConvertLayoutOp>()) {
    getSrcMutable().assign(inner.getSrc());
    return getResult();
  }
  return {};
}

LogicalResult LocalAllocOp::verify() {
  if (!getLayout(getSrc().getType()))
    return emitOpError("stores a tile with a distributed layout, got ")
           << getSrc().getType();
  if (!isa_and_nonnull<SharedLayoutAttr>(getType().getEncoding()))
    return emitOpError("gives a tile with a #tile_gpu.shared layout, got ")
           << getType();
  return verifySharedOffset(*this, getOffset());
}

int64_t meld::tile_gpu::getSharedTileBytes(RankedTensorType type) {
  auto layout = cast<SharedLayoutAttr>(type.getEncoding());
  int64_t contiguous = layout.getContiguousDim();
  return layout.getStoredRows(type.getShape()) * type.getDimSize(contiguous) *
         llvm::divideCeil(type.getElementTypeBitWidth(), 8);
}

LogicalResult AsyncLoadOp::verify() {
  RankedTensorType type = getType();
  auto layout = dyn_cast_or_null<SharedLayoutAttr>(type.getEncoding());
  if (!layout)
    return emitOpError("gives a tile with a #tile_gpu.shared layout, got ")
           << type;
  if (type.getElementTypeBitWidth() != 16)
    return emitOpError("copies 16-bit elements, got ") << type.getElementType();
  auto buffer = cast<MemRefType>(getBuffer().getType());
  if (buffer.getElementType() != type.getElementType())
    return emitOpError("copies elements of its buffer's type ")
           << buffer.getElementType() << ", got " << type.getElementType();
  for (Value tile : {getOffsets(), getMask()}) {
    if (!tile)
      continue;
    auto tileType = cast<RankedTensorType>(tile.getType());
    if (tileType.getShape() != type.getShape() || !getLayout(tileType))
      return emitOpError("takes offsets and mask of its result's shape in "
                         "distributed layouts, got ")
             << tileType;
  }
  int64_t contiguity = getContiguity();
  int64_t bytes = contiguity * 2;
  if (!llvm::isPowerOf2_64(contiguity) || bytes < 4 || bytes > 16 ||
      type.getDimSize(layout.getContiguousDim()) % contiguity != 0)
    return emitOpError("contiguity must be a power of two of 4 to 16 bytes "
                       "dividing the contiguous dimension, got ")
           << contiguity;
  return verifySharedOffset(*this, getOffset());
}

LogicalResult LocalLoadOp::verify() {
  if (!isa_and_nonnull<SharedLayoutAttr>(getSrc().getType().getEncoding()))
    return emitOpError("reads a tile with a #tile_gpu.shared layout, got ")
           << getSrc().getType();
  if (!getLayout(getType()))
    return emitOpError("gives a tile with a distributed layout, got ")
           << getType();
  return success();
}

LogicalResult AsyncWaitOp::verify() {
  if (getTiles().getTypes() != getResults().getTypes())
    return emitOpError("gives tiles of its operands' types");
  for (Value tile : getTiles())
    if (!isa_and_nonnull<SharedLayoutAttr>(
            cast<RankedTensorType>(tile.getType()).getEncoding()))
      return emitOpError("waits for tiles with a #tile_gpu.shared layout, "
                         "got ")
             << tile.getType();
  if (int64_t pending = getPendingAttr().getInt(); pending < 0)
    return emitOpError("pending must not be negative, got ") << pending;
  return success();
}

LogicalResult TmaLoadOp::verify() {
  RankedTensorType type = getType();
  auto layout = dyn_cast_or_null<SharedLayoutAttr>(type.getEncoding());
  if (!layout || type.getRank() != 2)
    return emitOpError("gives a 2-D tile with a #tile_gpu.shared layout, got ")
           << type;
  auto buffer = cast<MemRefType>(getBuffer().getType());
  if (buffer.getElementType() != type.getElementType())
    return emitOpError("copies elements of its buffer's type ")
           << buffer.getElementType() << ", got " << type.getElementType();
  // One copy per column of the swizzle's width, each a box of the rows.
  int64_t contiguous = layout.getContiguousDim();
  int64_t elementBytes = llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  int64_t rows = type.getDimSize(1 - contiguous);
  if (layout.getStoredRows(type.getShape()) != rows || rows > 256 ||
      (type.getDimSize(contiguous) * elementBytes) % layout.getSwizzle() != 0)
    return emitOpError("copies a tile of whole columns of its swizzle and at "
                       "most 256 rows, stored with no padding rows, got ")
           << type;
  size_t rank = getDims().size();
  if (getCoords().size() != rank || rank != 2 || getStrides().size() != 1)
    return emitOpError("takes a 2-D tensor: two dims, one stride and two "
                       "coordinates, got ")
           << rank << ", " << getStrides().size() << " and "
           << getCoords().size();
  if (llvm::any_of(getDims(), [](int64_t d) { return d < 1; }) ||
      getStrides()[0] % 16 != 0 || getStrides()[0] <= 0)
    return emitOpError("takes positive dims and a positive stride of a "
                       "multiple of 16 bytes");
  if (std::optional<int64_t> mbarriers = getMbarriers();
      mbarriers && (*mbarriers < 0 || *mbarriers % 8 != 0))
    return emitOpError("mbarriers must be at a multiple of 8 bytes, got ")
           << *mbarriers;
  return verifySharedOffset(*this, getOffset());
}

LogicalResult TmaReleaseOp::verify() {
  for (Value tile : getTiles())
    if (!isa_and_nonnull<SharedLayoutAttr>(
            cast<RankedTensorType>(tile.getType()).getEncoding()))
      return emitOpError("releases tiles with a #tile_gpu.shared layout, got ")
             << tile.getType();
  return success();
}

LogicalResult TmaWaitOp::verify() {
  if (!isa_and_nonnull<SharedLayoutAttr>(getTile().getType().getEncoding()))
    return emitOpError("waits for a tile with a #tile_gpu.shared layout, got ")
           << getTile().getType();
  return success();
}

/// The fields of a tile_gpu.warp_specialize dictionary, by name.
static std::pair<StringRef, int64_t WarpSpecialization::*>
    kWarpSpecializationFields[] = {
        {"producer_warps", &WarpSpecialization::producerWarps},
        {"entry_registers", &WarpSpecialization::entryRegisters},
        {"producer_registers", &WarpSpecialization::producerRegisters},
        {"consumer_registers", &WarpSpecialization::consumerRegisters}};

std::optional<WarpSpecialization>
meld::tile_gpu::getWarpSpecialization(Operation *kernel) {
  auto dict =
      kernel ? kernel->getAttrOfType<DictionaryAttr>(kWarpSpecializeAttrName)
             : DictionaryAttr();
  if (!dict)
    return std::nullopt;
  WarpSpecialization result;
  for (auto [name, field] : kWarpSpecializationFields)
    if (auto value = dict.getAs<IntegerAttr>(name))
      result.*field = value.getInt();
  return result;
}

void meld::tile_gpu::setWarpSpecialization(Operation *kernel,
                                           const WarpSpecialization &ws) {
  // The registers only where setmaxnreg applies.
  Builder builder(kernel->getContext());
  SmallVector<NamedAttribute> fields;
  for (auto [name, field] : kWarpSpecializationFields)
    if (field == &WarpSpecialization::producerWarps || ws.entryRegisters)
      fields.push_back(
          builder.getNamedAttr(name, builder.getI64IntegerAttr(ws.*field)));
  kernel->setAttr(kWarpSpecializeAttrName, builder.getDictionaryAttr(fields));
}

int64_t meld::tile_gpu::getOccupancyRequest(int64_t threads) {
  return std::max<int64_t>(1, 65536 / (threads * 128));
}

WarpSpecialization meld::tile_gpu::getWarpSpecialization(int64_t numWarps) {
  WarpSpecialization result;
  int64_t consumers = numWarps * 32;
  int64_t threads = consumers + result.producerWarps * 32;
  // With more than one block per SM, ptxas may give up the request for
  // one that spills (meld::assemblePtx), which would change the registers
  // at entry: no setmaxnreg then.
  if (getOccupancyRequest(threads) > 1)
    return result;
  int64_t entry = std::min<int64_t>(248, llvm::alignDown(65536 / threads, 8));
  int64_t producer = 40;
  int64_t consumer = std::min<int64_t>(
      240,
      llvm::alignDown((entry * threads - result.producerWarps * 32 * producer) /
                          consumers,
                      8));
  if (consumer <= entry)
    return result;
  result.entryRegisters = entry;
  result.producerRegisters = producer;
  result.consumerRegisters = consumer;
  return result;
}

int64_t meld::tile_gpu::getPipelineStages(Operation *loop) {
  auto stages =
      loop ? loop->getAttrOfType<IntegerAttr>(kStagesAttrName) : IntegerAttr();
  return stages ? std::max<int64_t>(1, stages.getInt()) : 1;
}

std::optional<SmallVector<int64_t>>
meld::tile_gpu::getSliceLanes(Operation *op) {
  if (auto reduce = dyn_cast<tile::ReduceOp>(op)) {
    auto inputType = cast<RankedTensorType>(reduce.getInput().getType());
    auto slice =
        dyn_cast_or_null<SliceLayoutAttr>(reduce.getType().getEncoding());
    if (!slice || slice.getDim() != static_cast<int64_t>(reduce.getDim()) ||
        slice.getParent() != inputType.getEncoding())
      return std::nullopt;
    return getReductionLanes(slice.getParent(), inputType.getShape(),
                             reduce.getDim());
  }
  auto broadcast = dyn_cast<tile::BroadcastOp>(op);
  if (!broadcast)
    return std::nullopt;
  auto slice = dyn_cast_or_null<SliceLayoutAttr>(
      broadcast.getInput().getType().getEncoding());
  ArrayRef<int64_t> dims = broadcast.getDims();
  if (!slice || dims.size() != 1 || dims[0] != slice.getDim() ||
      slice.getParent() != broadcast.getType().getEncoding())
    return std::nullopt;
  return SmallVector<int64_t>();
}

int64_t meld::tile_gpu::getScratchBytes(Operation *op) {
  if (auto convert = dyn_cast<ConvertLayoutOp>(op)) {
    RankedTensorType type = convert.getType();
    if (haveSameDistribution(getLayout(convert.getSrc().getType()),
                             getLayout(type), type.getShape()))
      return 0;
    return type.getNumElements() *
           llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  }
  if (auto dot = dyn_cast<tile::DotOp>(op))
    if (isa_and_nonnull<MmaLayoutAttr>(dot.getType().getEncoding()))
      return 0;
  if (getSliceLanes(op))
    return 0;
  return tile::getStagingBytes(op);
}
