//===- TileGPUOps.td - TileGPU operations ------------------*- tablegen -*-===//

#ifndef MELD_DIALECT_TILEGPU_TILEGPUOPS_TD
#define MELD_DIALECT_TILEGPU_TILEGPUOPS_TD

include "dialects/TileGPU/IR/TileGPUAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class TileGPU_Op<string mnemonic, list<Trait> traits = []>
    : Op<TileGPU_Dialect, mnemonic, traits>;

def TileGPU_ConvertLayoutOp : TileGPU_Op<"convert_layout", [
    Pure, SameOperandsAndResultShape, SameOperandsAndResultElementType]> {
  let summary = "The same tile in another layout";
  let description = [{
    Moves the elements of a tile to the threads and slots another layout
    assigns them. The GPU lowering stages the tile in the kernel's shared
    memory between barriers: each thread writes the elements it holds and
    reads those it will hold. A conversion to the same layout folds away,
    and a conversion of a conversion converts the original.

    ```mlir
    %b = tile_gpu.convert_layout %a
        : tensor<64x32xf32, #mma> -> tensor<64x32xf32, #blocked>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$src);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $src attr-dict `:` type($src) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

#endif // MELD_DIALECT_TILEGPU_TILEGPUOPS_TD
