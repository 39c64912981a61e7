//===- KernelCost.h - What a tile kernel computes and moves -----*- C++ -*-===//
//
// The work of one launch of a `tile.kernel`, counted from its ops as
// compiled: floating-point operations, and the device-memory bytes it reads
// and writes, each byte once. The roofline estimate of a launch on a target
// comes from those and the target's peak rates.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_DIALECTS_TILE_ANALYSIS_KERNELCOST_H
#define MELD_DIALECTS_TILE_ANALYSIS_KERNELCOST_H

#include "dialects/Tile/IR/TileOps.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <array>
#include <optional>

namespace meld::tile {

/// The work of one launch of a kernel.
struct KernelCost {
  /// The kernel's grid (x, y, z as given) and its number of programs.
  llvm::SmallVector<int64_t> grid;
  int64_t programs = 1;
  /// The tile a program computes: a matrix product's [M, N, K] (its
  /// largest `tile.dot`), otherwise the largest tile it stores.
  llvm::SmallVector<int64_t> tile;
  /// Floating-point operations of all programs: 2*M*N*K per `tile.dot`, one
  /// per element of every other floating-point op on tiles and of every
  /// reduced element, counted over the tiles as compiled (ragged edges
  /// included) and every loop trip.
  double flops = 0;
  /// Device-memory bytes read and written: for each buffer, the bytes its
  /// loads (stores) touch over all programs and loop trips, at most the
  /// buffer's size (each byte moves once; re-reads hit the cache).
  int64_t bytesRead = 0, bytesWritten = 0;
};

/// Counts the work of one launch of `kernel`. Loops need constant bounds;
/// of the two sides of a branch (a program's part of a kernel of several
/// products), the larger counts.
KernelCost getKernelCost(KernelOp kernel);

/// The peak rates and limits of a GPU target, for roofline estimates,
/// tiling and launches: CUDA-core fp32 operations per second, device-memory
/// bytes per second, and its streaming multiprocessors.
struct TargetPeak {
  double flopsPerSecond, bytesPerSecond;
  int64_t multiprocessors;
  /// Dense f16/bf16 products on tensor cores, accumulating in f32 (tf32
  /// runs at half of it).
  double tensorFlopsPerSecond;
  /// Shared-memory bytes per second of one SM: 128 bytes a cycle at the
  /// clock the tensor rate is quoted at.
  double sharedBytesPerSecond;
  /// The most shared memory one block may take (with the kernel's limit
  /// raised, as the runtime does).
  int64_t maxSharedBytesPerBlock;

  /// The rate of products at `precision` (fp32 on the CUDA cores; tf32,
  /// fp16, bf16 on tensor cores).
  double getProductFlopsPerSecond(llvm::StringRef precision) const {
    if (precision == "tf32")
      return tensorFlopsPerSecond / 2;
    if (precision == "fp16" || precision == "bf16")
      return tensorFlopsPerSecond;
    return flopsPerSecond;
  }
};
/// The peak of `target` ("sm_80": A100 80GB SXM, "sm_90"/"sm_90a": H100
/// SXM, ...), or nothing for a target without one.
std::optional<TargetPeak> getTargetPeak(llvm::StringRef target);

/// How `numWarps` warps share an `m` x `n` product on mma.sync, whose
/// blocks are 16 x 8: [warps along M, warps along N], each warp a whole
/// number of blocks, or nothing when no split gives every warp the same. With
/// `rowsFirst`, as many along M as its rows allow, so that each warp holds
/// whole rows of the accumulator (a row reduction then needs no other warp);
/// otherwise the split whose warps read the fewest operand elements together (M
/// times the warps along N plus N times the warps along M: the squarest warp
/// tiles), ties going along M.
std::optional<std::array<int64_t, 2>>
getMmaWarps(int64_t m, int64_t n, int64_t numWarps, bool rowsFirst);

/// How `numWarps` warps, whole warpgroups, share an `m` x `n` product on
/// wgmma, whose blocks are 64 rows (an M of 16 or 32 is padded to 64):
/// [warpgroups along M, warpgroups along N], along M first; nothing when
/// the warps are not whole warpgroups or the product is too small for them.
std::optional<std::array<int64_t, 2>> getWgmmaWarpgroups(int64_t m, int64_t n,
                                                         int64_t numWarps);

/// The roofline estimate of a launch with `cost` on `peak`, in microseconds:
/// the longer of its compute and memory times.
double estimateMicroseconds(const KernelCost &cost, const TargetPeak &peak);

} // namespace meld::tile

#endif // MELD_DIALECTS_TILE_ANALYSIS_KERNELCOST_H
