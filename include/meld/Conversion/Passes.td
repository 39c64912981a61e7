//===- Passes.td - Conversions between Meld's levels -------*- tablegen -*-===//

#ifndef MELD_CONVERSION_PASSES_TD
#define MELD_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertGraphToTile : Pass<"meld-graph-to-tile", "mlir::ModuleOp"> {
  let summary = "Lower fusion groups and graph ops to tile kernels and launches";
  let description = [{
    Turns the graph function `@main` into the launch plan, as a dialect
    conversion: every `graph.fusion_group` and every compute op outside one
    becomes one `tile.kernel` (a grid of programs over tiles of its result,
    masked at ragged edges) and a `tile.launch` of it. Elementwise ops outside
    a group are first put in a pointwise group of their own. Tensors become
    flat buffers: function arguments for the model's inputs, extra arguments
    (marked `meld.output`) for its outputs, `tile.weight` for weights,
    `memref.global` constants for constants and `memref.alloc` for
    intermediates. Reshapes are free: they share their input's buffer. The
    values inside a group never get a buffer: which ops share a kernel is
    decided before, by `meld-graph-fuse`.

    With `pack-weights` (the host's tiles, `--target=cpu`), a matrix
    product whose B is a weight (through any view whose matrix dimensions
    are strided and whose batch dimensions broadcast) reads it from a
    `tile.weight` with `panels`: a copy laid out in panels of the tile's
    columns, rows padded to whole K steps, made once: by the compiler into
    the artifact, or by the runtime when it loads external weights.
    Each K step of a program then reads one contiguous run of B with no
    mask, which the host's microkernel reads in place.

    Before:
    ```mlir
    func.func @main(%x: tensor<41x120xf32> {meld.name = "x"}) -> (tensor<41x120xf32> {meld.name = "y"}) {
      %0 = graph.tanh %x : tensor<41x120xf32>
      return %0 : tensor<41x120xf32>
    }
    ```
    After:
    ```mlir
    tile.kernel @tanh_0(%in: memref<4920xf32>, %out: memref<4920xf32>) attributes {grid = array<i64: 5>} {
      ... tile.load, math.tanh, tile.store ...
    }
    func.func @main(%x: memref<4920xf32> {meld.name = "x"}, %y: memref<4920xf32> {meld.name = "y", meld.output}) {
      tile.launch @tanh_0(%x, %y) : memref<4920xf32>, memref<4920xf32>
      return
    }
    ```
  }];
  let dependentDialects = [
    "meld::tile::TileDialect", "mlir::arith::ArithDialect",
    "mlir::math::MathDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect"
  ];
  let options = [
    Option<"blockElements", "block-elements", "int64_t", "1024",
           "Elements per program of elementwise and data-movement kernels">,
    Option<"matmulTileM", "matmul-tile-m", "int64_t", "32",
           "Rows of the result tile of a matrix product">,
    Option<"matmulTileN", "matmul-tile-n", "int64_t", "32",
           "Columns of the result tile of a matrix product">,
    Option<"matmulTileK", "matmul-tile-k", "int64_t", "16",
           "Depth of one step of a matrix product">,
    Option<"packWeights", "pack-weights", "bool", "false",
           "Read a weight that a matrix product takes as B from panels of "
           "its tile's columns (#tile.panels), for the host's microkernel">,
  ];
}

def ConvertTileToVector : Pass<"meld-tile-to-vector", "meld::tile::KernelOp"> {
  let summary = "Compute a host kernel's tiles as SIMD vectors";
  let description = [{
    On the host, every tile of a kernel (a static shape such as 32x16) becomes
    one vector of that shape, which the LLVM lowering keeps as rows of SIMD
    registers:
    - arith and math ops on tiles become the same ops on vectors; constants,
      `tensor.splat` and `tile.iota` become constant or broadcast vectors;
    - `tile.load` and `tile.store` read or write each run of consecutive
      offsets along the last dimension (from the axis analysis, without the
      GPU's alignment) as one `vector.load`/`vector.store`: a masked-off
      run reads the buffer's first run and takes `other`, a store runs under
      an `scf.if` on the run's mask bit, and a run whose mask varies is one
      `vector.maskedload`/`vector.maskedstore`. Offsets that are not
      consecutive gather or scatter row by row. Masked-off elements are never
      accessed;
    - `tile.dot` becomes a `vector.contract` (operands widened to the
      accumulator's type), then the product microkernel: operands and
      accumulators in stack panels, each block of 8 rows of two registers (4
      rows below 64-byte registers) accumulating, for each `k` in order, one
      multiply-add (contracted into an FMA where the target has one) of
      `a[i][k]` broadcast with row `k` of `b`. A `tile.dot` with `rows`
      becomes a contraction under a `vector.mask` of those rows, and the
      microkernel computes only them: whole blocks, then at most one block
      each of half, a quarter, ... of their rows (as many accumulators, in
      wider rows);
    - a product's K loop (an `scf.for` whose iteration values are each only
      the accumulator of one product) is split into chunks of up to 256
      columns of `a`: each chunk's steps store their operands into panels,
      each row as soon as it is read, and the microkernel then runs over the
      chunk, keeping its accumulators in registers across all of it; where
      each row of `b` is one read of a row's length from a buffer defined
      outside the loop (a weight), the steps record where the rows start
      instead and the microkernel reads them in place, up to the first row
      not read whole (its bit off, or a column of its mask off at a ragged
      edge); from there on it reads a panel, where the steps stored the
      rows not read whole and the others are copied;
    - `tile.reduce` becomes one horizontal `vector.reduction` per row
      (reassociated for float sums) or, along the first dimension, the rows
      combined elementwise;
    - `tile.broadcast` becomes `vector.shape_cast` and `vector.broadcast`;
    - `tile.fault`, when any violation is set, goes through the elements in
      row-major order, as the linalg path does.
    - last, each `vector.maskedload`/`vector.maskedstore` wider than one
      register becomes one per register, each under its slice of the mask
      (LLVM 22's X86 backend miscompiles the wide ones it splits itself at
      AVX2: a register's read whose mask is all off can become a plain
      load).

    It is a dialect conversion: a kernel holding an op it does not convert,
    or a row longer than 512 elements, is left unchanged on tensors, and
    `meld-tile-to-cpu` lowers it through linalg.

    Before:
    ```mlir
    %x = tile.load %in[%offs], %mask, %zero {contiguity = 16 : i64}
        : memref<4920xf32>[tensor<2x16xindex>], tensor<2x16xi1>, f32 -> tensor<2x16xf32>
    ```
    After:
    ```mlir
    %o0 = vector.extract %offs[0, 0] : index from vector<2x16xindex>
    %m0 = vector.extract %mask[0, 0] : i1 from vector<2x16xi1>
    %r0 = scf.if %m0 -> (vector<16xf32>) {
      %v = vector.load %in[%o0] : memref<4920xf32>, vector<16xf32>
      scf.yield %v : vector<16xf32>
    } else {
      scf.yield %pass : vector<16xf32>
    }
    %x0 = vector.insert_strided_slice %r0, %init {offsets = [0, 0], strides = [1]}
        : vector<16xf32> into vector<2x16xf32>
    ... the same for row 1 ...
    ```
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::ub::UBDialect",
    "mlir::vector::VectorDialect"
  ];
  let options = [
    Option<"registerBytes", "register-bytes", "int64_t", "64",
           "Bytes of one SIMD register of the target: the product "
           "microkernel's block is 8 rows (4 below 64 bytes) of two "
           "registers">,
  ];
}

def ConvertTileToCPU : Pass<"meld-tile-to-cpu", "mlir::ModuleOp"> {
  let summary = "Lower tile kernels to host functions on tensors and loops";
  let description = [{
    Turns every `tile.kernel` into a host function with Meld's CPU kernel ABI,
    `void NAME(void **args, int64_t begin, int64_t end)`: a loop over the linear
    program ids `[begin, end)` (x fastest) around the kernel body, whose buffers
    are read from `args`. Tile ops that `meld-tile-to-vector` left on tensors
    (every kernel it could not convert) become tensor and linalg ops
    (`tile.load`/`tile.store` element loops with their masks, `tile.dot` a
    `linalg.matmul`, `tile.reduce` a `linalg.reduce`); the standard MLIR passes
    then bufferize and lower them to LLVM (see `buildMeldCpuPipeline`).

    Before:
    ```mlir
    tile.kernel @k(%a: memref<16xf32>) attributes {grid = array<i64: 2>} {
      %pid = tile.program_id 0
      ...
    }
    ```
    After:
    ```mlir
    func.func @k(%args: !llvm.ptr, %begin: i64, %end: i64) {
      scf.for %id = %begin to %end step %c1 { ... }
      return
    }
    ```
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::bufferization::BufferizationDialect",
    "mlir::func::FuncDialect", "mlir::linalg::LinalgDialect",
    "mlir::LLVM::LLVMDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect"
  ];
}

def ConvertTileToGPU : Pass<"meld-tile-to-gpu", "mlir::ModuleOp"> {
  let summary = "Map tile kernels onto the threads of GPU blocks";
  let description = [{
    Turns every `tile.kernel` into a `gpu.func` kernel (in a `gpu.module`
    named `meld_kernels`) run by one block per program, of the kernel's
    `num_warps` warps, with its `shared_bytes` of shared memory: the launch
    configuration `meld-tile-configure-launch` decided at the tile level (a
    kernel without one is an error). Each tile is distributed over the
    threads as its `#tile_gpu` layout says (a tile without one takes the
    default blocked layout: group g of thread t holds elements
    `(g * T + t) * V` onwards), so each thread holds a few scalars per tile
    and contiguous accesses coalesce. A load or store with a proved
    `contiguity` (`meld-tile-annotate-contiguity`) reads or writes each group
    as vector accesses of up to 16 bytes under one predicate; any other goes
    element by element, with no test of the offsets at run time.
    `tile_gpu.convert_layout` goes through swizzled shared memory. A
    `tile.dot` with an `#tile_gpu.mma` result runs on tensor cores
    (`nvgpu.mma.sync` m16n8k8 on tf32, NVVM's `mma.sync` m16n8k16 on f16 and
    bf16); any other stages its operands in shared memory; `tile.reduce` combines
    strided partial results with warp shuffles; `tile.broadcast` goes
    through shared memory; barriers bracket each. Every kernel records its
    grid (`meld.grid`), block (`known_block_size`) and shared memory
    (`meld.shared_bytes`), and asks for one block per SM at least
    (`nvvm.minctasm = 1`): with the block size alone, ptxas caps registers
    for an occupancy the kernel does not need and spills.

    A kernel whose `tile_gpu.tma_load`s copy boxes of its buffers takes one
    more argument per distinct tensor (and box) they read, a tensor map,
    after its own (`memref<128xi8>`), and records them in
    `meld.tensor_maps` (the buffer argument, its extents, row stride, box
    and swizzle) for the runtime to encode. Its first thread initializes
    the mbarrier ending each of their buffers, fences them for the async
    proxy and meets the block, before anything else. A copy is one thread's
    `mbarrier.arrive.expect_tx` of the tile's bytes and a
    `cp.async.bulk.tensor` per column of the swizzle's width;
    `tile_gpu.tma_wait` is `mbarrier.try_wait.parity`, then a barrier.

    A warp-specialized kernel (`tile_gpu.warp_specialize`) has a producer
    warpgroup after its `num_warps` warps. Each buffer's mbarrier is
    followed by its release's (initialized for one arrival a consumer
    thread). After the init the block splits: the consumers (setmaxnreg
    inc where the attribute gives registers) run the kernel but the copies,
    a `tile_gpu.tma_wait` without the barrier after, a
    `tile_gpu.tma_release` an `mbarrier.arrive` of each thread on each
    buffer's release mbarrier, every barrier `bar.sync 1, N` among them;
    the producer warpgroup (setmaxnreg dec) has its first thread issue the
    copies alone, each after `mbarrier.try_wait.parity` on its buffer's
    release mbarrier for the copy's `after release` parity, with the scalar
    arithmetic, loops and branches around them (and nothing else).

    Index math is 32-bit where sizes allow (as Triton's): when every buffer
    has fewer than 2^31 elements and every grid dimension fewer than 2^31
    programs, the `gpu.module` gets a data layout with a 32-bit `index`, so
    offsets and loop counters take one register each instead of two.

    Before:
    ```mlir
    tile.kernel @k(%a: memref<4096xf32>)
        attributes {grid = array<i64: 4>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
      ...
    }
    ```
    After:
    ```mlir
    gpu.module @meld_kernels attributes {dlti.dl_spec = #dlti.dl_spec<index = 32 : i64>} {
      gpu.func @k(%a: memref<4096xf32>) workgroup(...) kernel
          attributes {known_block_size = array<i32: 128, 1, 1>, meld.grid = array<i64: 4>, ...} {
        %tid = gpu.thread_id x
        ...
      }
    }
    ```
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::DLTIDialect", "mlir::gpu::GPUDialect",
    "mlir::LLVM::LLVMDialect", "mlir::NVVM::NVVMDialect",
    "mlir::memref::MemRefDialect", "mlir::nvgpu::NVGPUDialect",
    "mlir::scf::SCFDialect", "mlir::vector::VectorDialect"
  ];
}

def ConvertNVVMToEmu : Pass<"meld-nvvm-to-emu", "mlir::ModuleOp"> {
  let summary = "Turn NVVM-level GPU kernels into host code for the emulator";
  let description = [{
    Takes the GPU kernels as they are just before PTX (the LLVM dialect with
    NVVM ops, inside a `gpu.module`) and makes them host code that the GPU
    emulator (runtime/emu) runs, one fiber per GPU thread: NVVM operations
    (thread and block ids, `barrier0`, `shfl.sync`, `vote.sync`, `bar.warp.sync`,
    `mma.sync`, `ldmatrix`, `cp.async` and its group commit and wait) become
    calls through the emulator's function table
    (runtime/include/meld/emu_abi.h), shared memory becomes the block's buffer
    from the emulator, every load and store is preceded by a check call,
    address spaces disappear, libdevice functions map to libm, and each kernel
    gets the entry `void NAME(void **args)`.

    Before:
    ```mlir
    gpu.module @meld_kernels {
      llvm.func @k(%a: !llvm.ptr<1>) attributes {nvvm.kernel} {
        %t = nvvm.read.ptx.sreg.tid.x : i32
        nvvm.barrier0
        ...
      }
    }
    ```
    After:
    ```mlir
    llvm.func @meld_emu_bind(%ops: !llvm.ptr) { ... }
    llvm.func internal @k__meld_emu_body(%a: !llvm.ptr) {
      %t = llvm.call %tid_fn(%c0) : !llvm.ptr, (i32) -> i32
      llvm.call %barrier_fn() : !llvm.ptr, () -> ()
      ...
    }
    llvm.func @k(%args: !llvm.ptr) { ... }
    ```
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def ConvertNVGPUToNVVM
    : Pass<"meld-convert-nvgpu-to-nvvm", "mlir::gpu::GPUModuleOp"> {
  let summary = "Lower nvgpu ops to NVVM at the kernels' index width";
  let description = [{
    Applies MLIR's nvgpu-to-nvvm patterns (`nvgpu.mma.sync`,
    `nvgpu.ldmatrix`, ...) with a type converter built from the GPU module's
    data layout, as `convert-gpu-to-nvvm` builds its own: Meld's kernels
    compute indices in 32 bits where they fit (a DLTI entry on the
    `gpu.module`), and upstream's `convert-nvgpu-to-nvvm` converts memrefs
    with 64-bit indices regardless, so an `nvgpu.ldmatrix` would read a
    memref descriptor of another type than the one `convert-gpu-to-nvvm`
    makes for the same memref. GPU memory spaces map to NVVM's address
    spaces; cp.async's tokens (`!nvgpu.device.async.token`) are placeholders
    that vanish.

    Before:
    ```mlir
    %f = nvgpu.ldmatrix %view[%i] {numTiles = 4 : i32, transpose = false}
        : memref<512xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
    ```
    After:
    ```mlir
    %r = nvvm.ldmatrix %p {num = 4 : i32, layout = #nvvm.mma_layout<row>, ...}
        : (!llvm.ptr<3>) -> !llvm.struct<(i32, i32, i32, i32)>
    ```
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect", "mlir::NVVM::NVVMDialect"];
}

def ExpandFloatConversions : Pass<"meld-expand-float-conversions"> {
  let summary = "Compute 16-bit float conversions with integer arithmetic";
  let description = [{
    Rewrites `arith.extf` from f16 and bf16 to f32 and `arith.truncf` from
    f32 to f16 and bf16 (to nearest even) as arithmetic on their bits, so
    that host code needs neither F16C nor AVX512-BF16 instructions nor the
    compiler-rt functions LLVM calls without them (`__truncsfbf2`,
    `__extendhfsf2`, ...), which a kernel library linked without a runtime
    lacks. Values keep their class: infinities, NaNs (quieted when
    narrowed), signed zeros and subnormals. bf16 uses MLIR's
    `populateExpandBFloat16Patterns`. Runs on host code: the CPU kernels and
    the emulator's kernels, before the arith-to-LLVM conversion.

    Before:
    ```mlir
    %h = arith.truncf %x : f32 to f16
    ```
    After:
    ```mlir
    %bits = arith.bitcast %x : f32 to i32
    ...
    %h16 = arith.trunci %r : i32 to i16
    %h = arith.bitcast %h16 : i16 to f16
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def LLVMLoopAnnotations : Pass<"meld-llvm-loop-annotations"> {
  let summary = "Make loop annotations on LLVM branches the ones the "
                "translation reads";
  let description = [{
    Upstream's `convert-scf-to-cf` and `convert-cf-to-llvm` carry an
    `scf.for`'s `llvm.loop_annotation` attribute onto the loop's latch
    branch as a discardable attribute; the translation to LLVM IR reads the
    branch's own `loop_annotation`. This pass moves the one onto the other
    on `llvm.br` and `llvm.cond_br`, so the annotation becomes `!llvm.loop`
    metadata. The GPU lowering marks the K loops of tensor-core products
    not to be unrolled, which reaches PTX as `.pragma "nounroll"`.

    Before:
    ```mlir
    llvm.br ^bb1(%next : i32) {llvm.loop_annotation = #llvm.loop_annotation<unroll = #llvm.loop_unroll<disable = true>>}
    ```
    After:
    ```mlir
    llvm.br ^bb1(%next : i32) {loop_annotation = #llvm.loop_annotation<unroll = #llvm.loop_unroll<disable = true>>}
    ```
  }];
}

def BFloat16AsInteger : Pass<"meld-bf16-as-integer", "mlir::ModuleOp"> {
  let summary = "Carry the bf16 values of host code as i16";
  let description = [{
    In host code at the LLVM dialect (the CPU kernels, the emulator's), bf16
    values are only moved once `meld-expand-float-conversions` has run:
    loaded, stored, selected, passed between blocks. An x86 backend without
    AVX512-BF16 still moves them through f32, calling compiler-rt
    (`__truncsfbf2`), which a kernel library linked without a runtime lacks.
    This pass retypes every bf16 (scalar, vector, constant, element type of
    a GEP) to i16, so they move as the bits they are. An op that would
    compute with bf16 is an error.

    Before:
    ```mlir
    %v = llvm.load %p : !llvm.ptr -> bf16
    llvm.store %v, %q : bf16, !llvm.ptr
    ```
    After:
    ```mlir
    %v = llvm.load %p : !llvm.ptr -> i16
    llvm.store %v, %q : i16, !llvm.ptr
    ```
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // MELD_CONVERSION_PASSES_TD
