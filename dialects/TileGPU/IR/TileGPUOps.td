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

def TileGPU_LocalAllocOp : TileGPU_Op<"local_alloc", [
    MemoryEffects<[MemWrite]>, SameOperandsAndResultShape,
    SameOperandsAndResultElementType]> {
  let summary = "A tile stored in shared memory";
  let description = [{
    Stores a tile held in registers (a distributed layout) into the
    kernel's shared memory at byte `offset`, in the layout of the result's
    `#tile_gpu.shared` encoding; the result stands for the tile there, for
    an op that reads shared memory (a `wgmma` product's operand). The GPU
    lowering writes each thread's elements between barriers, then fences
    them for the tensor cores' reads (`fence.proxy.async`).
    `meld-tile-gpu-allocate-shared` assigns the offset: until then the op
    has none.

    ```mlir
    %s = tile_gpu.local_alloc %b {offset = 8192 : i64}
        : tensor<64x32xf16, #blocked> -> tensor<64x32xf16, #shared>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$src, OptionalAttr<I64Attr>:$offset);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $src attr-dict `:` type($src) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    SharedLayoutAttr getSharedLayout() {
      return llvm::cast<SharedLayoutAttr>(getType().getEncoding());
    }
    /// The bytes the tile takes in shared memory.
    int64_t getSharedBytes();
    /// From one buffer of it to the next, in a pipelined loop.
    int64_t getStageStride();
    /// The bytes its `stages` buffers take, from its offset.
    int64_t getStagedBytes(int64_t stages);
  }];
}

#endif // MELD_DIALECT_TILEGPU_TILEGPUOPS_TD
