//===- Utils.cpp - Helpers of the TileGPU passes --------------------------===//

#include "dialects/TileGPU/Transforms/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

Operation *meld::tile_gpu::cloneWithTypes(OpBuilder &builder, Operation *op,
                                          ValueRange operands,
                                          TypeRange resultTypes) {
  Operation *clone = builder.clone(*op);
  clone->setOperands(operands);
  for (auto [result, type] : llvm::zip_equal(clone->getResults(), resultTypes))
    result.setType(type);
  // A tile constant's value has the tile's type.
  if (auto constant = dyn_cast<arith::ConstantOp>(clone))
    if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue()))
      constant.setValueAttr(
          dense.reshape(cast<ShapedType>(constant.getType())));
  return clone;
}
