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
