//===- TileGPUOps.td - TileGPU operations ------------------*- tablegen -*-===//

#ifndef MELD_DIALECT_TILEGPU_TILEGPUOPS_TD
#define MELD_DIALECT_TILEGPU_TILEGPUOPS_TD

include "dialects/TileGPU/IR/TileGPUAttrs.td"
include "dialects/TileGPU/IR/TileGPUInterfaces.td"
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
    TileGPU_SharedTileOpInterface, MemoryEffects<[MemWrite]>,
    SameOperandsAndResultShape, SameOperandsAndResultElementType]> {
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
}

def TileGPU_AsyncLoadOp : TileGPU_Op<"async_load", [
    TileGPU_SharedTileOpInterface, AttrSizedOperandSegments,
    MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "A tile copied from global to shared memory, asynchronously";
  let description = [{
    Starts copying the elements of a global buffer at a tile of `offsets`
    into the kernel's shared memory, in the layout of the result's
    `#tile_gpu.shared` encoding, at byte `offset` (from
    `meld-tile-gpu-allocate-shared`) plus `slot` buffers of the tile
    (`slot` 0 outside a loop marked `tile_gpu.stages`, below its stages in
    one). Where `mask` is false the element is zero and not read. With
    `pred` false nothing is copied (a prefetch past the end of a loop).
    Each load is one group of copies; the result is read only through a
    `tile_gpu.async_wait` that completes it.

    The element type is 16 bits wide: the bytes land as they are in
    global memory (an f32 operand is rounded to tf32 on its way, through
    registers, by `tile_gpu.local_alloc`). `contiguity` is a fact proved of
    the offsets and mask along the shared layout's contiguous dimension:
    each aligned run of that many elements has consecutive offsets starting
    at a multiple of the run length, and one mask value; the offsets'
    layout gives each thread whole runs. The GPU lowering copies each run
    with one `cp.async` of 4, 8 or 16 bytes, then commits the group.

    ```mlir
    %s = tile_gpu.async_load %w[%offs], %mask into %slot if %more
        {contiguity = 8 : i64, offset = 4096 : i64}
        : memref<133120xbf16>[tensor<16x64xindex, #blocked>],
          tensor<16x64xi1, #blocked> -> tensor<16x64xbf16, #shared>
    ```
  }];
  let arguments = (ins AnyMemRef:$buffer, RankedTensorOf<[Index]>:$offsets,
                   Optional<RankedTensorOf<[I1]>>:$mask, Index:$slot,
                   Optional<I1>:$pred, I64Attr:$contiguity,
                   OptionalAttr<I64Attr>:$offset);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $buffer `[` $offsets `]` (`,` $mask^)? `into` $slot (`if` $pred^)?
    attr-dict `:` type($buffer) `[` type($offsets) `]` (`,` type($mask)^)?
    `->` type($result)
  }];
  let hasVerifier = 1;
}

def TileGPU_LocalLoadOp : TileGPU_Op<"local_load", [
    MemoryEffects<[MemRead]>, SameOperandsAndResultShape,
    SameOperandsAndResultElementType]> {
  let summary = "A tile in shared memory read into registers";
  let description = [{
    Reads a tile stored in shared memory (a `#tile_gpu.shared` layout) into
    registers in a distributed layout: each thread the elements its slots
    hold. The GPU lowering reads a 16-bit `mma.sync` operand with
    `ldmatrix` (A from K-contiguous rows, B from N-contiguous rows with
    `.trans`), each 8x8 matrix's rows whole 16-byte chunks of the swizzled
    layout, and anything else element by element.

    ```mlir
    %a = tile_gpu.local_load %s
        : tensor<32x16xbf16, #shared> -> tensor<32x16xbf16, #dot>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$src);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $src attr-dict `:` type($src) `->` type($result)
  }];
  let hasVerifier = 1;
}

def TileGPU_AsyncWaitOp : TileGPU_Op<"async_wait", [
    MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "Waits for asynchronous loads into shared memory";
  let description = [{
    Completes the groups of `tile_gpu.async_load` copies the block has
    issued, but the `pending` most recent of each thread, and makes them
    visible to the whole block (and to the tensor cores where a `wgmma`
    product reads them); its results are its operands' tiles, complete.
    The GPU lowering is `cp.async.wait_group pending`, then
    `fence.proxy.async` where a product reads a result, and a barrier.

    In a K loop pipelined with prefetch (`meld-tile-gpu-pipeline-k-loops`)
    the loads of step k + d are issued in step k, so the wait of step k
    leaves the loads of the d - 1 steps after it pending.

    ```mlir
    %a, %b = tile_gpu.async_wait %x, %y {pending = 2 : i64}
        : tensor<64x16xbf16, #shared>, tensor<16x64xbf16, #shared1>
          -> tensor<64x16xbf16, #shared>, tensor<16x64xbf16, #shared1>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$tiles, I64Attr:$pending);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    $tiles attr-dict `:` type($tiles) `->` type($results)
  }];
  let hasVerifier = 1;
}

def TileGPU_TmaLoadOp : TileGPU_Op<"tma_load", [
    DeclareOpInterfaceMethods<TileGPU_SharedTileOpInterface>,
    AttrSizedOperandSegments, MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "A tile copied to shared memory by the tensor memory accelerator";
  let description = [{
    Starts copying a box of a global buffer into the kernel's shared memory,
    in the layout of the result's `#tile_gpu.shared` encoding, at byte
    `offset` (from `meld-tile-gpu-allocate-shared`) plus `slot` buffers of
    the tile, with `cp.async.bulk.tensor` (sm_90a). The buffer holds a
    tensor of `dims` elements per dimension, innermost first, each index of
    dimension d + 1 `strides[d]` bytes after the one before; the box starts
    at element `coords` (innermost first) and has the result's shape, its
    innermost dimension the shared layout's contiguous one. Elements
    outside the tensor are zero. With `pred` false nothing is copied (a
    prefetch past the end of a loop).

    Each buffer of the tile has an mbarrier the copy completes on: 8 bytes
    at byte `mbarriers` plus 8 `slot` (also from
    `meld-tile-gpu-allocate-shared`, apart from every tile's buffers, so
    that buffers may share bytes without sharing mbarriers). The result is
    read only through a `tile_gpu.tma_wait`. The GPU lowering: one thread
    arrives on the mbarrier expecting the tile's bytes and issues one copy
    per column of the layout's swizzle width, through a tensor map of the
    buffer that becomes an argument of the kernel (`meld.tensor_maps`),
    which the runtime encodes. The kernel's first thread initializes every
    such mbarrier before anything else, a barrier after.

    In a warp-specialized kernel (`tile_gpu.warp_specialize`) the copy is
    the producer warp's, and `after release %p` says which release of the
    buffer it waits for: each buffer then has a second mbarrier, the 8
    bytes after the first (the buffers' pairs 16 bytes apart, from
    `mbarriers`), that every consumer thread arrives on when its
    products are done reading it (`tile_gpu.tma_release`), and the producer
    waits for its phase of parity `%p` first (1 for a buffer's first use: a
    fresh mbarrier's phase of parity 1 counts as complete). The consumers
    only take the buffer's place from the op.

    ```mlir
    %s = tile_gpu.tma_load %w[%k, %n] into %slot if %more
        {dims = array<i64: 256, 520>, strides = array<i64: 512>,
         offset = 4096 : i64, mbarriers = 8192 : i64}
        : memref<133120xbf16> -> tensor<16x64xbf16, #shared>
    ```
  }];
  let arguments = (ins AnyMemRef:$buffer, Variadic<Index>:$coords,
                   Index:$slot, Optional<I1>:$pred,
                   Optional<Index>:$releaseParity, DenseI64ArrayAttr:$dims,
                   DenseI64ArrayAttr:$strides, OptionalAttr<I64Attr>:$offset,
                   OptionalAttr<I64Attr>:$mbarriers);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $buffer `[` $coords `]` `into` $slot (`if` $pred^)?
    (`after` `release` $releaseParity^)? attr-dict `:`
    type($buffer) `->` type($result)
  }];
  let hasVerifier = 1;
}

def TileGPU_TmaWaitOp : TileGPU_Op<"tma_wait", [
    MemoryEffects<[MemRead, MemWrite]>, AllTypesMatch<["tile", "result"]>]> {
  let summary = "Waits for a tensor-memory-accelerator copy into shared memory";
  let description = [{
    Waits until the mbarrier of the buffer `tile` (a `tile_gpu.tma_load`'s,
    carried through a loop or not) has completed its phase of parity
    `parity`: the copy into it has landed. Its result is the tile,
    complete. The n-th copy into a buffer completes phase n - 1, so a K
    loop pipelined with S buffers waits in step k for parity (k / S) % 2:
    in each run of the loop, as the GPU lowering initializes the mbarriers
    of a loop nested in another again after each run.
    The GPU lowering is `mbarrier.try_wait.parity` in a loop, then a
    barrier (the buffers a later copy overwrites are read by then).

    ```mlir
    %b = tile_gpu.tma_wait %s parity %p : tensor<16x64xbf16, #shared>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$tile, Index:$parity);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $tile `parity` $parity attr-dict `:` type($tile)
  }];
  let hasVerifier = 1;
}

def TileGPU_TmaReleaseOp : TileGPU_Op<"tma_release", [
    AttrSizedOperandSegments, MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "Hands buffers of TMA copies back to a kernel's producer warp";
  let description = [{
    In a warp-specialized kernel (`tile_gpu.warp_specialize`), says that
    the calling consumer thread is done with the buffers of `tiles` (what
    `tile_gpu.tma_wait`s gave): the products that read them are complete.
    Every consumer thread arrives on each buffer's second mbarrier (see
    `tile_gpu.tma_load`), whose phase completes when all have, and the
    producer copies into the buffer again only after it. With `pred` false,
    nothing.

    A K loop whose products stay in flight releases the previous step's
    operands after its own product, once wgmma.wait_group has completed
    the one before:

    ```mlir
    tile_gpu.tma_release %prevA, %prevB if %notFirst
        : tensor<128x64xbf16, #shared>, tensor<64x128xbf16, #shared1>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$tiles, Optional<I1>:$pred);
  let assemblyFormat = [{
    $tiles (`if` $pred^)? attr-dict `:` type($tiles)
  }];
  let hasVerifier = 1;
}

#endif // MELD_DIALECT_TILEGPU_TILEGPUOPS_TD
