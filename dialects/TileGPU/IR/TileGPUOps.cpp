//===- TileGPUOps.cpp - TileGPU operations --------------------------------===//

#include "dialects/TileGPU/IR/TileGPUDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace meld::tile_gpu;

#define GET_OP_CLASSES
#include "dialects/TileGPU/IR/TileGPUOps.cpp.inc"

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
  if (std::optional<int64_t> offset = getOffset();
      offset && (*offset < 0 || *offset % kSharedTileAlignment != 0))
    return emitOpError("offset must be a multiple of 1024 bytes (the "
                       "swizzle's pattern), got ")
           << *offset;
  return success();
}

int64_t LocalAllocOp::getSharedBytes() {
  RankedTensorType type = getType();
  SharedLayoutAttr layout = getSharedLayout();
  int64_t contiguous = layout.getContiguousDim();
  return layout.getStoredRows(type.getShape()) * type.getDimSize(contiguous) *
         llvm::divideCeil(type.getElementTypeBitWidth(), 8);
}

int64_t meld::tile_gpu::getPipelineStages(Operation *loop) {
  auto stages =
      loop ? loop->getAttrOfType<IntegerAttr>(kStagesAttrName) : IntegerAttr();
  return stages ? std::max<int64_t>(1, stages.getInt()) : 1;
}

int64_t LocalAllocOp::getStageStride() {
  return llvm::alignTo(getSharedBytes(), kSharedTileAlignment);
}

int64_t LocalAllocOp::getStagedBytes(int64_t stages) {
  return (stages - 1) * getStageStride() + getSharedBytes();
}
