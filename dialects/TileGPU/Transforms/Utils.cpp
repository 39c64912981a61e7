//===- Utils.cpp - Helpers of the TileGPU passes --------------------------===//

#include "dialects/TileGPU/Transforms/Utils.h"

#include "dialects/TileGPU/IR/TileGPUDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

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

bool meld::tile_gpu::runExclusively(Operation *a, Operation *b) {
  // The innermost op both lie in.
  Operation *common = a->getParentOp();
  while (common && !common->isProperAncestor(b))
    common = common->getParentOp();
  auto branch = dyn_cast_or_null<scf::IfOp>(common);
  if (!branch || !common->isProperAncestor(a))
    return false;
  if (llvm::any_of(branch.getResultTypes(), [](Type type) {
        auto tensor = dyn_cast<RankedTensorType>(type);
        return tensor &&
               isa_and_nonnull<SharedLayoutAttr>(tensor.getEncoding());
      }))
    return false;
  Region &thenRegion = branch.getThenRegion();
  return (thenRegion.findAncestorOpInRegion(*a) != nullptr) !=
         (thenRegion.findAncestorOpInRegion(*b) != nullptr);
}
