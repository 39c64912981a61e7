//===- TileGPUDialect.h - TileGPU dialect -----------------------*- C++ -*-===//

#ifndef MELD_DIALECT_TILEGPU_IR_TILEGPUDIALECT_H
#define MELD_DIALECT_TILEGPU_IR_TILEGPUDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/TensorEncoding.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/Support/MathExtras.h"

#include "dialects/TileGPU/IR/TileGPUOpsDialect.h.inc"

#include "dialects/TileGPU/IR/TileGPUAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/TileGPU/IR/TileGPUAttrs.h.inc"

namespace meld::tile_gpu {

/// Where a tile stored in shared memory starts (each buffer of it): a
/// multiple of the swizzles' repeat, so the swizzle of an offset is that of
/// the address.
constexpr int64_t kSharedTileAlignment = 1024;

/// The bytes a tile of `type` (with a #tile_gpu.shared layout) takes in
/// shared memory.
int64_t getSharedTileBytes(mlir::RankedTensorType type);

} // namespace meld::tile_gpu

#include "dialects/TileGPU/IR/TileGPUInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/TileGPU/IR/TileGPUOps.h.inc"

namespace meld::tile_gpu {

/// The layout of tile type `type` (its encoding), or null when it has none.
DistributedLayoutAttr getLayout(mlir::Type type);

/// The value of `expr`, a layout's coordinate (an affine expression of the
/// lane d0 and the warp d1), in lane `lane` of warp `warp`.
int64_t evaluateLayoutExpr(mlir::AffineExpr expr, int64_t lane, int64_t warp);

/// Whether layouts `a` and `b` put every element of a tile of `shape` in the
/// same slot of the same threads (first copies included): a conversion
/// between them moves no data. (wgmma accumulators of different
/// instruction widths lay out a tile so, for one.)
bool haveSameDistribution(DistributedLayoutAttr a, DistributedLayoutAttr b,
                          llvm::ArrayRef<int64_t> shape);

/// How a reduction along `dim` of a tile of `shape` in `layout` combines
/// across threads without shared memory: the lane offsets (powers of 2)
/// whose lanes hold other elements of the same rows, for a butterfly of
/// shuffles (lane l with lane l ^ offset); nothing where warps share rows.
std::optional<llvm::SmallVector<int64_t>>
getReductionLanes(DistributedLayoutAttr layout, llvm::ArrayRef<int64_t> shape,
                  int64_t dim);

/// For a tile.reduce into the slice of its input's layout along its
/// dimension, where no two warps share a row, the lanes its butterfly of
/// shuffles combines (getReductionLanes); for a tile.broadcast from the
/// slice of its result's layout along the dimension it adds, none: both
/// then work in registers. Nothing for any other op.
std::optional<llvm::SmallVector<int64_t>> getSliceLanes(mlir::Operation *op);

/// The bytes at the start of the kernel's shared memory that `op` stages
/// tiles in, as meld-tile-to-gpu lowers it: a layout conversion its tile
/// (none between layouts of the same distribution); a product on tensor
/// cores, and a reduction or broadcast in registers, none; any other op
/// what tile::getStagingBytes says.
int64_t getScratchBytes(mlir::Operation *op);

/// `shape`, or [1] for a rank-0 tile: the shape layouts lay out.
llvm::SmallVector<int64_t> getLayoutShape(llvm::ArrayRef<int64_t> shape);

/// The attribute of a pipelined scf.for (meld-tile-gpu-pipeline-k-loops):
/// the number of buffers each operand stored in its body takes, used in
/// turn, iteration by iteration.
constexpr llvm::StringLiteral kStagesAttrName = "tile_gpu.stages";

/// The unit attribute of a wgmma tile.dot in a pipelined loop whose product
/// stays in flight past the iteration's end: only the next iteration's
/// product reads its result (meld-tile-gpu-pipeline-k-loops). Any other
/// wgmma product completes before the ops after it run.
constexpr llvm::StringLiteral kInFlightAttrName = "tile_gpu.in_flight";

/// The attribute of a warp-specialized tile.kernel
/// (meld-tile-gpu-pipeline-k-loops): a dictionary of `producer_warps` (a
/// warpgroup after the kernel's num_warps that issues its TMA copies) and,
/// where setmaxnreg applies, `entry_registers`, `producer_registers` and
/// `consumer_registers` (see WarpSpecialization).
constexpr llvm::StringLiteral kWarpSpecializeAttrName =
    "tile_gpu.warp_specialize";

/// The blocks per SM a GPU kernel of `threads` threads asks ptxas for
/// (`.minnctapersm`): those that leave each thread 128 of the SM's 64K
/// registers, at least 1.
int64_t getOccupancyRequest(int64_t threads);

/// What a kernel's tile_gpu.warp_specialize says: the producer's warps and,
/// where the block asks for one per SM (more than 256 threads: two
/// consumer warpgroups or more), the registers setmaxnreg leaves the
/// producer's threads and gives the consumers' (0: no setmaxnreg, the
/// block keeps what ptxas gives it).
struct WarpSpecialization {
  int64_t producerWarps = 4;
  int64_t producerRegisters = 0;
  int64_t consumerRegisters = 0;
  /// The registers of every thread at the kernel's entry (`.maxnreg`),
  /// which setmaxnreg moves between warpgroups; 0 without setmaxnreg.
  int64_t entryRegisters = 0;
};

/// The warp specialization of a kernel of `numWarps` consumer warps: a
/// producer warpgroup of 40 registers a thread where setmaxnreg applies,
/// the consumers taking what that leaves of the block's registers at
/// entry, at most 240, in multiples of 8 (for 8 consumer warps: 168 at
/// entry, 232 a consumer thread).
WarpSpecialization getWarpSpecialization(int64_t numWarps);

/// The warp specialization of `kernel` (its tile_gpu.warp_specialize), if
/// it has one.
std::optional<WarpSpecialization>
getWarpSpecialization(mlir::Operation *kernel);
/// Gives `kernel` the tile_gpu.warp_specialize of `ws` (its registers only
/// where setmaxnreg applies).
void setWarpSpecialization(mlir::Operation *kernel,
                           const WarpSpecialization &ws);

/// The stages of `loop` (its tile_gpu.stages), 1 for any op that is not a
/// pipelined loop (or null).
int64_t getPipelineStages(mlir::Operation *loop);

} // namespace meld::tile_gpu

#endif // MELD_DIALECT_TILEGPU_IR_TILEGPUDIALECT_H
