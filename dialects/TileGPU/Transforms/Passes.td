//===- Passes.td - Passes over the layouts of tiles on a GPU -*- tablegen -*-===//

#ifndef MELD_DIALECTS_TILEGPU_TRANSFORMS_PASSES_TD
#define MELD_DIALECTS_TILEGPU_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TileGPUAssignLayouts : Pass<"meld-tile-gpu-assign-layouts",
                                "::meld::tile::KernelOp"> {
  let summary = "Give every tile of a kernel its layout over the block";
  let description = [{
    The first step of the GPU path: every tile value of a `tile.kernel`
    (op results, loop-carried values) gets, as the encoding of its type, the
    default `#tile_gpu.blocked` layout of its shape over the kernel's
    `num_warps` (set by `meld-tile-configure-launch`): each thread holds
    groups of 4, 2 or 1 consecutive elements along the last dimensions (the
    largest that divides the tile evenly over the threads), and a warp's
    groups are consecutive in row-major order, so contiguous loads and
    stores coalesce. Tiles of one shape share one layout, so elementwise
    math needs no conversion. Later passes change the layouts of products
    and their operands.

    Types are rewritten with MLIR's dialect conversion (a type converter
    adding the encoding, SCF's structural conversions for loops).

    Before:
    ```mlir
    tile.kernel @add(%a: memref<256xf32>, %b: memref<256xf32>)
        attributes {grid = array<i64: 1>, num_warps = 1 : i64, shared_bytes = 0 : i64} {
      %offsets = tile.iota 0 : tensor<256xindex>
      %x = tile.load %a[%offsets] : memref<256xf32>[tensor<256xindex>] -> tensor<256xf32>
      ...
    }
    ```
    After:
    ```mlir
    #blocked = #tile_gpu.blocked<sizePerThread = [4], threadsPerWarp = [32],
                                 warpsPerCTA = [1], order = [0]>
    // 256 elements over 32 threads: groups of 4, thread t's g-th group at
    // element (32 g + t) * 4.
    tile.kernel @add(...) {
      %offsets = tile.iota 0 : tensor<256xindex, #blocked>
      %x = tile.load %a[%offsets]
          : memref<256xf32>[tensor<256xindex, #blocked>] -> tensor<256xf32, #blocked>
      ...
    }
    ```
  }];
  let dependentDialects = ["::meld::tile_gpu::TileGPUDialect"];
}

#endif // MELD_DIALECTS_TILEGPU_TRANSFORMS_PASSES_TD
