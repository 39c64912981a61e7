//===- Passes.td - Transformations of the tile dialect -----*- tablegen -*-===//

#ifndef MELD_DIALECTS_TILE_TRANSFORMS_PASSES_TD
#define MELD_DIALECTS_TILE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TileDedupKernels : Pass<"meld-tile-dedup-kernels", "mlir::ModuleOp"> {
  let summary = "Keep one of each set of identical kernels";
  let description = [{
    Kernels that do the same thing, op for op, with the same types, attributes
    and grid (the layers of a transformer, a repeated elementwise step), become
    one kernel: the first in the module is kept, the launches of the others
    launch it, and the others are erased. Everything after the tile level
    (GPU, PTX and cubins per target, the emulator's and the host's libraries)
    then compiles each distinct kernel once.

    Two kernels are identical when their bodies are equivalent as MLIR's
    `OperationEquivalence` defines it (the CSE criterion, locations ignored)
    and every attribute but the symbol name is equal. Data faults keep
    kernels apart: each `tile.fault` carries its own `site`.

    Before:
    ```mlir
    tile.kernel @relu(%a: memref<8xf32>, %b: memref<8xf32>) attributes {grid = array<i64: 1>} {
      ... tile.load, arith.maximumf, tile.store ...
    }
    tile.kernel @relu_0(%a: memref<8xf32>, %b: memref<8xf32>) attributes {grid = array<i64: 1>} {
      ... the same ops ...
    }
    func.func @main(%x: memref<8xf32>, %y: memref<8xf32>) {
      %t = memref.alloc() : memref<8xf32>
      tile.launch @relu(%x, %t) : memref<8xf32>, memref<8xf32>
      tile.launch @relu_0(%t, %y) : memref<8xf32>, memref<8xf32>
      return
    }
    ```
    After:
    ```mlir
    tile.kernel @relu(%a: memref<8xf32>, %b: memref<8xf32>) attributes {grid = array<i64: 1>} {
      ...
    }
    func.func @main(%x: memref<8xf32>, %y: memref<8xf32>) {
      %t = memref.alloc() : memref<8xf32>
      tile.launch @relu(%x, %t) : memref<8xf32>, memref<8xf32>
      tile.launch @relu(%t, %y) : memref<8xf32>, memref<8xf32>
      return
    }
    ```
  }];
}

#endif // MELD_DIALECTS_TILE_TRANSFORMS_PASSES_TD
