//===- TileGPUDialect.h - TileGPU dialect -----------------------*- C++ -*-===//

#ifndef MELD_DIALECT_TILEGPU_IR_TILEGPUDIALECT_H
#define MELD_DIALECT_TILEGPU_IR_TILEGPUDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/TensorEncoding.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/TileGPU/IR/TileGPUOpsDialect.h.inc"

#include "dialects/TileGPU/IR/TileGPUAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/TileGPU/IR/TileGPUAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/TileGPU/IR/TileGPUOps.h.inc"

namespace meld::tile_gpu {

/// The layout of tile type `type` (its encoding), or null when it has none.
DistributedLayoutAttr getLayout(mlir::Type type);

/// `shape`, or [1] for a rank-0 tile: the shape layouts lay out.
llvm::SmallVector<int64_t> getLayoutShape(llvm::ArrayRef<int64_t> shape);

} // namespace meld::tile_gpu

#endif // MELD_DIALECT_TILEGPU_IR_TILEGPUDIALECT_H
