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

def TileGPUAccelerateDot : Pass<"meld-tile-gpu-accelerate-dot",
                                "::meld::tile::KernelOp"> {
  let summary = "Move tile products onto tensor cores (mma.sync, wgmma)";
  let description = [{
    Where the precision allows it, a `tile.dot` runs on tensor cores: with
    `precision=tf32`, a product of f32 tiles whose sizes are whole
    `m16n8k8` blocks gets an accumulator in an `#tile_gpu.mma` layout of
    version 2 (its warps along M first, 16 rows a warp, then N, 8 columns a
    warp) and operands in the matching `#tile_gpu.dot_operand` layouts
    (kWidth 1), each through a `tile_gpu.convert_layout`; its result
    converts back to the layout its readers had. The GPU lowering computes
    it with `mma.sync.aligned.m16n8k8` on operands rounded to tf32 (to
    nearest, ties away from zero), accumulating in f32.

    With `precision=fp16` or `bf16`, a product of whole `m16n8k16` blocks
    first rounds its f32 operands to that type (`arith.truncf`, to nearest
    even; operands already of that type stay as they are), and its operand
    layouts hold two elements a register (kWidth 2); the lowering uses
    `mma.sync.aligned.m16n8k16`, accumulating in f32.

    A product too small for the kernel's warps stays on the CUDA cores, in
    f32. The kernel's `shared_bytes` grows to stage its largest conversion,
    and `meld.precision` records what its products run at: the precision
    when all are on tensor cores, `mixed` when some are.

    With `chip=sm_90a`, a product whose kernel has whole warpgroups (a
    multiple of 4 warps) and whose M is a multiple of 64, or 16 or 32
    (A is then stored padded to 64 rows of zeros), each operand's K row a
    multiple of 32 bytes, runs on `wgmma.mma_async` instead: its
    accumulator gets an `#tile_gpu.mma` layout of version 3 (warpgroups
    along M first, 64 rows each, then N; instructions of up to 256
    columns), and each operand, rounded as above, is stored in shared
    memory by a `tile_gpu.local_alloc` in a `#tile_gpu.shared` layout with
    K contiguous and the widest swizzle (128, 64 or 32 bytes) that divides
    a row of K. A 16-bit B that lies along N in memory (it is not loaded,
    or its load's `contiguity` runs along N) is stored N-major instead,
    N contiguous (wgmma's transposed B, which tf32 does not take), with the
    widest swizzle dividing an instruction's columns: its rows are then
    stored as vectors, or copied as they are. A product that would give a
    thread more than 128 accumulator registers
    stays on `mma.sync`. `meld-tile-gpu-allocate-shared` then places the
    operands in shared memory.

    With `precision=fp32` (the default) the pass changes nothing.

    Before (4 warps):
    ```mlir
    %c = tile.dot %a, %b, %acc : tensor<32x16xf32, #blocked>,
        tensor<16x32xf32, #blocked1> -> tensor<32x32xf32, #blocked2>
    ```
    After:
    ```mlir
    #mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
    %a1 = tile_gpu.convert_layout %a : tensor<32x16xf32, #blocked>
        -> tensor<32x16xf32, #tile_gpu.dot_operand<opIdx = 0, parent = #mma, kWidth = 1>>
    %b1 = tile_gpu.convert_layout %b : ... -> tensor<16x32xf32, #tile_gpu.dot_operand<opIdx = 1, ...>>
    %acc1 = tile_gpu.convert_layout %acc : ... -> tensor<32x32xf32, #mma>
    %p = tile.dot %a1, %b1, %acc1 : ... -> tensor<32x32xf32, #mma>
    %c = tile_gpu.convert_layout %p : tensor<32x32xf32, #mma> -> tensor<32x32xf32, #blocked2>
    ```
  }];
  let options = [
    Option<"precision", "precision", "std::string", /*default=*/"\"fp32\"",
           "Which products run on tensor cores: fp32 (none), tf32 (f32 "
           "products, operands rounded to tf32), fp16 or bf16 (operands "
           "rounded to that type)">,
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_80\"",
           "The GPU the kernels are for: sm_90a runs products on wgmma "
           "where they fit">,
  ];
  let dependentDialects = ["::meld::tile_gpu::TileGPUDialect",
                           "::mlir::arith::ArithDialect"];
}

def TileGPURemoveLayoutConversions
    : Pass<"meld-tile-gpu-remove-layout-conversions", "::meld::tile::KernelOp"> {
  let summary = "Remove the layout conversions a kernel does not need";
  let description = [{
    Every `tile_gpu.convert_layout` moves a tile through shared memory
    between barriers. This pass removes those it can, with patterns:

    - a conversion of a constant or a splat is the constant or splat made in
      the other layout;
    - a loop-carried tile that the body reads only converted to one layout
      (or to layouts of the same distribution: `haveSameDistribution`, such
      as wgmma accumulators of different widths, between which a
      conversion moves no data), and yields converted from it, is carried
      in that layout, converted once before and once after the loop (a K
      loop's accumulator stays in the mma registers);
    - a conversion sinks below its elementwise readers and stores, whose
      other operands are recomputed in the source layout (constants,
      splats, iotas, elementwise math and loads, cloned with the other
      type; a loop-carried tile, converted at the start of the body, where
      the source layout is worth more than the tile's: mma accumulators and
      their slices, then slices of blocked layouts, then blocked layouts),
      and a reduction or a `local_alloc` reads the unconverted tile (from
      any layout): a product's epilogue computes and stores from the
      accumulator's registers. A conversion never sinks into a layout
      worth less than its target;
    - a reduction whose input's layout holds each row within warps
      (`getReductionLanes`) produces the `#tile_gpu.slice` of that layout
      along its dimension (it then combines in registers and shuffles), and
      a broadcast of a slice along its dimension is made in the slice's
      parent layout (no data moves): with the rules above, attention's
      online softmax stays in the scores' accumulator registers, the loop
      carrying its row maxima and sums in the slice.

    Before:
    ```mlir
    %r = scf.for %k = %c0 to %cK step %c16 iter_args(%acc = %zero) -> (tensor<32x32xf32, #blocked>) {
      %acc1 = tile_gpu.convert_layout %acc : ... -> tensor<32x32xf32, #mma>
      %p = tile.dot %a1, %b1, %acc1 : ... -> tensor<32x32xf32, #mma>
      %c = tile_gpu.convert_layout %p : tensor<32x32xf32, #mma> -> tensor<32x32xf32, #blocked>
      scf.yield %c : tensor<32x32xf32, #blocked>
    }
    tile.store %r, %out[%offsets] : tensor<32x32xf32, #blocked>, ...
    ```
    After:
    ```mlir
    %r = scf.for %k = %c0 to %cK step %c16 iter_args(%acc = %zero_mma) -> (tensor<32x32xf32, #mma>) {
      %p = tile.dot %a1, %b1, %acc : ... -> tensor<32x32xf32, #mma>
      scf.yield %p : tensor<32x32xf32, #mma>
    }
    tile.store %r, %out[%offsets_mma] : tensor<32x32xf32, #mma>, ...
    ```
  }];
  let dependentDialects = ["::meld::tile_gpu::TileGPUDialect"];
}

def TileGPUHoistOperands
    : Pass<"meld-tile-gpu-hoist-operands", "::meld::tile::KernelOp"> {
  let summary = "Set up the loop-invariant operands of products once, before "
                "their loops";
  let description = [{
    A tensor-core product in an `scf.for` whose operand the loop does not
    change (attention's queries, in the loop over keys) would have it
    rounded, converted to its registers or stored in shared memory in every
    iteration. The ops that only prepare product operands move before the
    loop, innermost loops first, as far out as their operands allow:
    `tile_gpu.convert_layout`s to a `#tile_gpu.dot_operand` layout,
    `tile_gpu.local_alloc`s, and the `arith.truncf` or `arith.extf` each of
    those (or a product) reads, where every reader is a product or such an
    op. A hoisted `local_alloc` writes its place once; its lowering meets
    the block before writing, so no product of an earlier iteration still
    reads it.

    Before:
    ```mlir
    %q = tile.load %in[%offs] : memref<4096xbf16>[...] -> tensor<16x32xbf16, #blocked>
    %r:2 = scf.for %j = %c0 to %n step %c32 iter_args(...) {
      %a = tile_gpu.local_alloc %q : tensor<16x32xbf16, #blocked> -> tensor<16x32xbf16, #shared>
      %s = tile.dot %a, %k, %zero : ... -> tensor<16x32xf32, #mma>
      ...
    }
    ```
    After:
    ```mlir
    %q = tile.load %in[%offs] : memref<4096xbf16>[...] -> tensor<16x32xbf16, #blocked>
    %a = tile_gpu.local_alloc %q : tensor<16x32xbf16, #blocked> -> tensor<16x32xbf16, #shared>
    %r:2 = scf.for %j = %c0 to %n step %c32 iter_args(...) {
      %s = tile.dot %a, %k, %zero : ... -> tensor<16x32xf32, #mma>
      ...
    }
    ```
  }];
}

def TileGPUPipelineKLoops : Pass<"meld-tile-gpu-pipeline-k-loops",
                                 "::meld::tile::KernelOp"> {
  let summary = "Keep wgmma products in flight across the steps of K loops, "
                "their operands copied ahead";
  let description = [{
    Pipelines an `scf.for` whose every `wgmma` product (a `tile.dot` with
    an `#tile_gpu.mma` accumulator of version 3) reads operands stored in
    shared memory by `tile_gpu.local_alloc`s of this iteration, and chains
    its accumulator: the accumulator is a loop-carried value only the
    product reads, and the product's result is only yielded back as it.
    The loop is marked `tile_gpu.stages = N` and its products
    `tile_gpu.in_flight`: `meld-tile-gpu-allocate-shared` gives each of
    those operands N buffers, and `meld-tile-to-gpu` uses buffer `i % N` in
    iteration `i` for the operands stored from registers, waits after each
    product in flight for all but the newest (`wgmma.wait_group 1`), and
    for all of them after the loop. So the tensor cores compute K step k
    while the threads load and store the operands of step k + 1. The
    products of any other loop complete in their step (attention's, whose
    scores the softmax reads at once); their operands are still copied
    ahead, as below.

    An operand that is a 16-bit load only its `local_alloc` reads, zero
    where masked off, whose offsets and mask form aligned runs of 2 to 8
    elements (4 to 16 bytes) along the stored tile's contiguous dimension
    (proved by the axis analysis), computed from the induction variable
    and values defined before the loop by splats, iotas, constants and
    elementwise arithmetic, is copied from global memory asynchronously
    instead (`tile_gpu.async_load`, its offsets and mask computed again in
    a layout of one run a thread), `prefetch` steps ahead: the loads of the
    first `prefetch` steps go before the loop (step by step, each into its
    buffer and only if the loop reaches the step); each step waits for its
    own (one `tile_gpu.async_wait`, the loads of the `prefetch - 1` steps
    after it pending), and after its products issues the loads of step
    `k + prefetch` into buffer `(iteration + prefetch) % N`; the loop
    carries the tiles in flight. A loop of products in flight takes N =
    `prefetch` + 2 buffers (one read by this step's product, one by the
    previous step's, still in flight, the rest filling); one of products
    that complete in their step N = `prefetch` + 1; fewer steps ahead
    where shared memory (227 KiB, or `max-shared-bytes` when less) runs
    short, counting the kernel's tiles but those of another branch of an
    `scf.if` the loop is in (they may share its bytes). A loop of products
    in flight with no operand copied takes N = `stages`.

    With `tma` (the default), such an operand of a wgmma product (products
    in flight or not: attention's keys and values too; in a loop nested in
    another too, whose buffers' mbarriers `meld-tile-to-gpu` starts over
    after each run) whose load
    reads a box of a strided 2-D tensor (tile::getBoxAccess: offsets
    linear in the iotas, unit stride along the stored tile's contiguous
    dimension, a row stride of a multiple of 16 bytes, the mask the
    tensor's bounds; a dimension without a bound takes its start from the
    offsets), stored with no padding rows in whole columns of its swizzle,
    is copied by the tensor memory accelerator instead (`tile_gpu.tma_load`
    of the box's start, the tensor's extents from the mask, or else from
    the row stride, where the program ids' and loop bounds' ranges keep the
    box's columns in their rows, and the buffer's whole rows): one thread
    issues it, and the step waits for it on its buffer's mbarrier
    (`tile_gpu.tma_wait` of parity `(iteration / N) % 2`), the same number
    of steps ahead. A buffer is copied into again only after the barrier
    of the step that follows its last product, which every warpgroup
    passed having waited for its products.

    A loop of `mma.sync` products (an `#tile_gpu.mma` of version 2)
    prefetches the same way an operand whose registers come from a
    conversion of such a load: A with K contiguous, B with N contiguous
    (read with `ldmatrix .trans`) or else K contiguous, rows of at least
    32 bytes. The copy lands in a `#tile_gpu.shared`
    tile, and a `tile_gpu.local_load` reads it into the operand's
    registers (`ldmatrix`). The product completes at once, so the loop
    takes N = `prefetch` + 1 buffers (99 KiB of shared memory at most, as
    on sm_86 and sm_89, or `max-shared-bytes` when less).

    With `warp-specialize`, a kernel of whole warpgroups whose TMA copies
    all feed loops of products in flight, each such loop in no other loop,
    with bounds (and the conditions of the `scf.if`s around it, and its
    copies' coordinates) computed from constants, program ids and its
    induction variable alone, is warp-specialized (operands that go
    through registers or cp.async, prologues and epilogues stay the
    consumers'): it gets
    `tile_gpu.warp_specialize = {producer_warps = 4, producer_registers =
    40, consumer_registers = R}` (R: what the 64K registers leave each of
    the num_warps * 32 consumer threads, at most 240, a multiple of 8;
    232 for 8 warps), each copy of step k waits for the release of parity
    `(iteration / N + 1) % 2` of its buffer (`after release`), and each
    step, after its products, releases the buffers of the step before
    (`tile_gpu.tma_release ... if iv > lb`, the loop carrying them):
    `meld-tile-to-gpu` then has one producer thread issue the copies while
    the consumers compute, meeting on the buffers' mbarriers only.

    With `prefetch-registers` (the default), in a loop that stores nothing
    to memory and holds no loop of its own (whose registers a tile carried
    across it would take: attention's output projection holds its weight's
    block across the loop over keys), each operand that still goes through
    registers and is loaded (then at most converted by `arith.truncf` or
    `arith.extf`) with offsets and mask computed as above is loaded a step
    ahead: step 0's load before the loop, step k + 1's at the end of step
    k, its mask and'ed with whether the loop reaches that step; the loop
    carries the tile. Its global memory latency then overlaps a whole step's product.

    Before:
    ```mlir
    %r = scf.for %k = %c0 to %c256 step %c16 iter_args(%acc = %zero) -> (tensor<64x64xf32, #mma>) {
      %a = tile_gpu.local_alloc %x : tensor<64x16xbf16, #blocked> -> tensor<64x16xbf16, #shared>
      %b = tile_gpu.local_alloc %y : tensor<16x64xbf16, #blocked1> -> tensor<16x64xbf16, #shared1>
      %p = tile.dot %a, %b, %acc : ... -> tensor<64x64xf32, #mma>
      scf.yield %p : tensor<64x64xf32, #mma>
    }
    ```
    After (`prefetch=0`): the same loop with `{tile_gpu.stages = 2 : i64}`.

    With B's tile a 16-bit weight loaded along N, copied 2 steps ahead:
    ```mlir
    %b0 = tile_gpu.async_load %w[%offs0], %mask0 into %c0 if %more0 {contiguity = 8 : i64} : ...
    %b1 = tile_gpu.async_load %w[%offs1], %mask1 into %c1 if %more1 {contiguity = 8 : i64} : ...
    %r:3 = scf.for %k = %c0 to %c256 step %c16 iter_args(%acc = %zero, %x0 = %b0, %x1 = %b1) -> (...) {
      %a = tile_gpu.local_alloc %x : tensor<64x16xbf16, #blocked> -> tensor<64x16xbf16, #shared>
      %b = tile_gpu.async_wait %x0 {pending = 1 : i64} : tensor<16x64xbf16, #shared1> -> tensor<16x64xbf16, #shared1>
      %p = tile.dot %a, %b, %acc : ... -> tensor<64x64xf32, #mma>
      %b2 = tile_gpu.async_load %w[%offs2], %mask2 into %slot2 if %more2 {contiguity = 8 : i64} : ...
      scf.yield %p, %x1, %b2 : ...
    } {tile_gpu.stages = 4 : i64}
    ```
  }];
  let options = [
    Option<"stages", "stages", "int64_t", "2",
           "Operand buffers of a pipelined K loop whose operands all go "
           "through registers; below 2 the pass does nothing">,
    Option<"prefetchRegisters", "prefetch-registers", "bool", "true",
           "Load the operands that go through registers one K step ahead">,
    Option<"tma", "tma", "bool", "true",
           "Copy the operands of wgmma products that are boxes of a 2-D "
           "tensor with the tensor memory accelerator">,
    Option<"prefetch", "prefetch", "int64_t", "2",
           "How many K steps ahead operands copied asynchronously are "
           "loaded (their loop takes prefetch + 2 buffers); 0 copies none "
           "asynchronously">,
    Option<"maxSharedBytes", "max-shared-bytes", "int64_t", "0",
           "Shared memory a block may take at most, where the launches run "
           "on several GPUs (the least of theirs); 0: 227 KiB around wgmma "
           "products, 99 KiB around mma.sync ones">,
    Option<"warpSpecialize", "warp-specialize", "bool", "false",
           "Give the TMA copies of a kernel whose copied operands all feed "
           "K loops of products in flight to a producer warpgroup of their "
           "own">,
  ];
  let dependentDialects = ["::meld::tile_gpu::TileGPUDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TileGPUAllocateShared : Pass<"meld-tile-gpu-allocate-shared",
                                 "::meld::tile::KernelOp"> {
  let summary = "Place the tiles a kernel stores in shared memory";
  let description = [{
    Gives every tile a kernel places in shared memory
    (`tile_gpu.local_alloc`, `tile_gpu.async_load`, `tile_gpu.tma_load`)
    its byte `offset` in
    the kernel's shared memory: after the scratch its ops stage tiles in
    (`tile_gpu::getScratchBytes`: the largest layout conversion, or
    reduction or broadcast that does not work in registers, as the layouts
    now have them: less than `meld-tile-configure-launch` reserved for the
    tile-level ops where products went to tensor cores or a softmax stays
    in registers), in program order, each at the lowest multiple of 1024
    bytes (so that a swizzle's pattern lines up with the shared-memory
    address, as the tensor cores read it) where it overlaps no tile placed
    before it but those in another branch of an `scf.if` (the condition is
    a scalar, the same in every thread of the block, so only one branch
    runs; an `scf.if` that gives a stored tile out shares nothing).
    In a loop marked `tile_gpu.stages = N` a tile takes N such buffers, one
    after the other from its offset. Tiles a loop carries (as its initial
    values, iteration arguments, yielded values and results) are buffers of
    one tile: the loads a prefetching loop issues before it and in it share
    its place.
    After all tiles, each tile a `tile_gpu.tma_load` copies gets its
    mbarriers, 8 bytes a buffer (`mbarriers`), 16 in a warp-specialized
    kernel (`tile_gpu.warp_specialize`: each buffer's copy's and its
    release's).
    The kernel's `shared_bytes` is set to cover them. Tiles that may run
    together never share bytes: a product's two operands are read by the
    tensor cores at the same time, and a conversion between them must not
    overwrite either. (So the three products of a Q, K and V projection
    fused into one kernel, each in its branch, take the shared memory of
    one.)

    Before (a 32x32 f32 conversion elsewhere in the kernel: 4096 bytes of
    scratch):
    ```mlir
    %a = tile_gpu.local_alloc %x : tensor<64x64xf16, #blocked> -> tensor<64x64xf16, #shared>
    %b = tile_gpu.local_alloc %y : tensor<64x64xf16, #blocked1> -> tensor<64x64xf16, #shared1>
    ```
    After (`shared_bytes = 20480`):
    ```mlir
    %a = tile_gpu.local_alloc %x {offset = 4096 : i64} : ...
    %b = tile_gpu.local_alloc %y {offset = 12288 : i64} : ...
    ```
  }];
  let dependentDialects = ["::meld::tile_gpu::TileGPUDialect"];
}

#endif // MELD_DIALECTS_TILEGPU_TRANSFORMS_PASSES_TD
