//===- Utils.h - Helpers of the TileGPU passes ------------------*- C++ -*-===//

#ifndef MELD_DIALECTS_TILEGPU_TRANSFORMS_UTILS_H
#define MELD_DIALECTS_TILEGPU_TRANSFORMS_UTILS_H

#include "mlir/IR/Builders.h"

namespace meld::tile_gpu {

/// A clone of `op` (regionless) at the builder's insertion point, on
/// `operands` and with results of `resultTypes` (tiles in other layouts); a
/// dense constant's value takes its new type.
mlir::Operation *cloneWithTypes(mlir::OpBuilder &builder, mlir::Operation *op,
                                mlir::ValueRange operands,
                                mlir::TypeRange resultTypes);

/// Whether `a` and `b` never both run in one run of a block: they lie in
/// different regions of one `scf.if` (a tile kernel's condition is a scalar,
/// the same in every thread) that gives no tile stored in shared memory
/// out, so the shared memory one uses may hold what the other stores.
bool runExclusively(mlir::Operation *a, mlir::Operation *b);

} // namespace meld::tile_gpu

#endif // MELD_DIALECTS_TILEGPU_TRANSFORMS_UTILS_H
