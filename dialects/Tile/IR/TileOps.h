//===- TileOps.h - Tile dialect operations ----------------------*- C++ -*-===//

#ifndef MELD_DIALECT_TILE_IR_TILEOPS_H
#define MELD_DIALECT_TILE_IR_TILEOPS_H

#include "dialects/Tile/IR/TileDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/Tile/IR/TileOps.h.inc"

namespace meld::tile {

/// The neutral element of reduction `kind` over the scalar type `type`: zero
/// for sums, -inf / +inf (or the extreme integers) for max / min.
mlir::TypedAttr getReduceIdentity(mlir::Builder &builder, ReduceKind kind,
                                  mlir::Type type);

/// Combines `lhs` and `rhs` (scalars or tiles of one type) with reduction
/// `kind`, as `tile.reduce` does: floats with addf / maximumf / minimumf
/// (propagating NaN), integers signed.
mlir::Value buildReduceCombine(mlir::OpBuilder &builder, mlir::Location loc,
                               ReduceKind kind, mlir::Value lhs,
                               mlir::Value rhs);

/// Records the fault of `site` with scalar `detail` (i64) in `status` (a
/// memref<3xi64> fault status) unless a fault is recorded already: the scalar
/// semantics of `tile.fault` for one set element, which the CPU and GPU
/// lowerings emit under their own conditions. An atomic exchange sets
/// status[0] to 1 (memref.atomic_rmw assign); the one thread that found it 0
/// stores `site` in status[1] and `detail` in status[2].
void buildRecordFault(mlir::OpBuilder &builder, mlir::Location loc,
                      mlir::Value status, mlir::Value detail, int32_t site);

/// Whether the index math of `kernel` fits 32 bits: every buffer has fewer
/// than 2^31 elements (so does every offset its programs use) and every grid
/// dimension fewer than 2^31 programs. The GPU and host lowerings then
/// compute offsets in 32 bits.
bool fitsIndex32(KernelOp kernel);

/// Erases the host launch plan of `module` (the `@main` function of
/// tile.launch ops that meld-graph-to-tile builds) and the constants only it
/// used. Lowerings of the kernels call it once the plan has been read.
void eraseLaunchPlan(mlir::ModuleOp module);

/// Bytes of shared memory a GPU block stages the tiles of `op` in: both
/// operands of a `tile.dot`, the input (rows padded, getReduceStagingStrides)
/// and result of a `tile.reduce`, the input of a `tile.broadcast`, the
/// rank-0 tile a `tensor.extract` makes a program's scalar of (each element
/// at its type's size, an `i1` as a byte); 0 for any other op. A kernel's
/// `shared_bytes` is the largest.
int64_t getStagingBytes(mlir::Operation *op);

/// The element strides at which a GPU block stages the input of a
/// `tile.reduce` of `inputType`: row-major, each row of the last dimension
/// padded by one 4-byte word (for tiles of rank 2 and more), so that the
/// lanes reading the same position of different rows, or walking down a
/// column, hit different banks. The staged elements are
/// `strides[0] * shape[0]`.
llvm::SmallVector<int64_t>
getReduceStagingStrides(mlir::RankedTensorType inputType);

/// The warps a kernel whose largest tile has `tileElements` elements runs
/// with unless told otherwise: enough for each thread to hold 8 of them (what
/// a 32x32 block gives four warps, the configuration the kernels were tuned
/// with), a power of two from 1 to 4.
int64_t getDefaultNumWarps(int64_t tileElements);

} // namespace meld::tile

#endif // MELD_DIALECT_TILE_IR_TILEOPS_H
