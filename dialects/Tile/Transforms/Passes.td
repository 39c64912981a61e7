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

def TileAnnotateContiguity
    : Pass<"meld-tile-annotate-contiguity", "meld::tile::KernelOp"> {
  let summary = "Prove which loads and stores are aligned vector accesses";
  let description = [{
    Computes, for the integer values of a kernel, what they are known to look
    like along each dimension (an axis analysis, as Triton's AxisInfo, on
    MLIR's sparse data-flow framework): the length of the aligned runs in
    which a value steps by one (contiguity) and in which it is constant
    (constancy), and the power of two dividing the start of each run
    (divisibility). Iotas, splats of scalars, constants, additions,
    products, unsigned division and remainder by constants, comparisons with
    constants and loop induction variables carry them; anything else is
    unknown.

    Each `tile.load` and `tile.store` then gets `contiguity`: the longest
    power of two such that every aligned run of that many elements along the
    last dimension has consecutive offsets starting at a multiple of it and
    one mask value. The GPU lowering reads and writes such runs as vector
    accesses, with no check at run time; an access without the attribute
    goes element by element.

    A row-major tile of a [rows, 768] tensor, its mask constant along rows:
    ```mlir
    %rows = tile.iota 0 : tensor<4x256xindex>
    %cols = tile.iota 1 : tensor<4x256xindex>
    %r = arith.muli %rows, %c768 : tensor<4x256xindex>
    %offs = arith.addi %r, %cols : tensor<4x256xindex>
    %in = arith.cmpi ult, %rows, %c3 : tensor<4x256xindex>
    %x = tile.load %buf[%offs], %in, %zero : ...
    ```
    becomes `%x = tile.load %buf[%offs], %in, %zero {contiguity = 256 : i64}`.
    With a mask of `%cols < 100` the runs are 4 long (100 = 4 * 25); with a
    row stride of 770 they are 2 long (the rows start at multiples of 2).
  }];
}

def TileEpilogueRows : Pass<"meld-tile-epilogue-rows", "meld::tile::KernelOp"> {
  let summary = "Run a kernel's row-wise tail one row at a time (host)";
  let description = [{
    On the host, a tile op on a `[rows, columns]` tile becomes straight-line
    code over every row (`rows` times `columns` / lanes SIMD instructions):
    an epilogue of a few math functions on a 64x256 product tile is tens of
    thousands of instructions, which LLVM compiles super-linearly. This pass
    turns the kernel's tail, from its last products or reductions on, into
    an `scf.for` over the rows that does the same work on one row (`[1,
    columns]`) at a time, so the code is one row's long.

    The tail is the longest run of ops before `tile.return` that work row by
    row: elementwise math, splat constants, `tensor.splat`, `tile.iota`,
    `tile.load`, `tile.store`, `tile.broadcast`, `tile.reduce` along the
    columns, and scalar ops (left in place, before the loop). Its 2-D tiles
    all have the same rows; its 1-D tiles are per row. It must hold a
    `tile.store` of at least `min-columns` columns.

    Inside the loop, a tile the tail reads from before it is rebuilt for the
    row where it is computed from iotas, splats and constants (iota along
    the rows becomes the row number); otherwise its row is taken with
    `tensor.extract_slice` (a 2-D tile: `meld-tile-to-vector` keeps it in a
    stack buffer) or `tensor.extract` (a per-row 1-D tile). A 1-D tile the
    tail broadcasts along the rows (a bias) is used whole. A kernel whose
    tail would take rows of a mask (`i1`), or has no such store, is left as
    it is.

    Before:
    ```mlir
    %acc = scf.for ... -> (tensor<64x256xf32>) { ... tile.dot ... }
    %rows = tile.iota 0 : tensor<64x256xindex>
    ...
    %y = math.tanh %acc : tensor<64x256xf32>
    tile.store %y, %out[%offs], %mask : tensor<64x256xf32>, ...
    ```
    After:
    ```mlir
    scf.for %r = %c0 to %c64 step %c1 {
      %row = tensor.extract_slice %acc[%r, 0] [1, 256] [1, 1]
          : tensor<64x256xf32> to tensor<1x256xf32>
      %rows = tensor.splat %r : tensor<1x256xindex>
      ...
      %y = math.tanh %row : tensor<1x256xf32>
      tile.store %y, %out[%offs], %mask : tensor<1x256xf32>, ...
    }
    ```
  }];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect"];
  let options = [
    Option<"minColumns", "min-columns", "int64_t", "64",
           "The fewest columns of a store for the tail to run by rows: "
           "below, the loop would cost more than straight-line rows">,
  ];
}

def TileSimplifyIndices
    : Pass<"meld-tile-simplify-indices", "meld::tile::KernelOp"> {
  let summary = "Cancel the divisions and remainders of a kernel's offsets";
  let description = [{
    Reshapes and transposes reach a kernel as offsets that split a linear
    index into coordinates (`arith.divui`, `arith.remui` by constants) and
    recombine them, once per view: a head split, its transpose back, and
    the key/value heads several query heads share make a dozen such ops on
    every element of an attention kernel's key tile, which the host computes
    per SIMD register and the GPU per element.

    With bounds on the values involved (constants, `tile.iota`,
    `tile.program_id` from the grid, `scf.for` counters, and sums, products,
    minima, maxima, quotients and remainders of them), `x / D` and `x % D` of
    a sum `x` of such terms cancel: terms whose coefficient `D` divides go
    to the quotient; if the others stay below `D` they are the remainder;
    if one of them, `c * v` with `c` dividing `D`, has the rest below `c`,
    the quotient takes `v / (D / c)` and the remainder is `c * (v % (D /
    c))` plus the rest. A loop counter is a multiple of its lower bound's
    and step's greatest common divisor `m`, and counts as `c * m` there: in
    a loop over `k` by 16, `(k + j) % 32` with `j < 16` is `k % 32 + j`.
    Where nothing more cancels, the terms `D` divides still leave the
    division: `(j + 128 * p) % 32` is `j % 32`. Integer math whose operands
    are all splats becomes scalar math and one splat. A comparison of such
    a value with a constant its bound decides is that constant (a mask's
    `d < 64` on a dimension of 64 is true).

    Lanes a mask turns off access nothing, so in the offsets of a masked
    gather or scatter (no runs of consecutive offsets) a term `x` the mask
    bounds (`x < N` one of its conjuncts) becomes `min(x, N - 1)` where a
    division of the offsets then cancels: the keys of a transposed key
    block that overhangs the sequence.

    Before (`k < 64`, `d < 64`, `h < 9`):
    ```mlir
    %x = arith.addi %hk, %d64 : tensor<64x32xindex>  // h * 4096 + k + d * 64
    %q = arith.divui %x, %c64 : tensor<64x32xindex>
    %r = arith.remui %q, %c64 : tensor<64x32xindex>
    ```
    After: `%r` is `%d`, and `%q` is `h * 64 + d`.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::tensor::TensorDialect"];
}

def TileConfigureLaunch
    : Pass<"meld-tile-configure-launch", "meld::tile::KernelOp"> {
  let summary = "Decide each kernel's launch configuration";
  let description = [{
    Sets `num_warps` and `shared_bytes` on a `tile.kernel`; the GPU lowering
    builds the kernel for them and the launch plan launches it with them.

    - `num_warps`: the kernel's own where it has one (the warps
      `meld-graph-choose-tiles` chose its tiles for), else enough warps for
      each thread to hold 8 elements of the kernel's largest tile, a power
      of two from 1 to 4 (so a 32x32 block is 4 warps, a 256-element tile
      1: `tile::getDefaultNumWarps`). With `warpgroup-products` (what meldc
      sets when sm_90a is a target), a kernel with a `tile.dot` gets whole
      warpgroups of 4 warps, which `wgmma` needs. The `num-warps` option
      overrides it for every kernel.
    - `shared_bytes`: the most any op stages in shared memory: both operands
      of a `tile.dot`, the input and result of a `tile.reduce`, the input of
      a `tile.broadcast`. Ops run one after another, so they share it.

    ```mlir
    tile.kernel @softmax(...) attributes {grid = array<i64: 4>} {
      ... tile.reduce <max>, %x : tensor<4x128xf32> -> tensor<4xf32> ...
    }
    ```
    becomes
    ```mlir
    tile.kernel @softmax(...) attributes {grid = array<i64: 4>, num_warps = 2 : i64, shared_bytes = 2064 : i64} {
    ```
  }];
  let options = [
    Option<"numWarps", "num-warps", "int64_t", "0",
           "Warps of every kernel's block (1 to 32); 0 chooses per kernel">,
    Option<"warpgroupProducts", "warpgroup-products", "bool", "false",
           "Give a kernel with a tile.dot whole warpgroups of 4 warps "
           "(which wgmma needs)">,
  ];
}

def TileNarrowOperands : Pass<"meld-tile-narrow-operands", "mlir::ModuleOp"> {
  let summary = "Store the operands of products in 16 bits";
  let description = [{
    At `precision=fp16` or `bf16`, products on tensor cores read their
    operands in that type. An f32 buffer every launch passes to kernel
    arguments read only by `tile.load`s whose tiles are only the A or B
    operand of `tile.dot`s takes that type, at half the size:

    - a `tile.weight`: the compiler converts its bytes once (to nearest
      even) and stores them in the artifact so. A weight with any other
      reader (a tied embedding gathered elsewhere) stays f32; so do all the
      ops naming the same handle;
    - a `memref.alloc` of the plan, which kernel arguments may also be
      given to be written by `tile.store`s only (the projections a kernel
      writes and attention reads): each store rounds its tile to the narrow
      type (`arith.truncf`, to nearest even).

    A buffer passed to an argument that also gets a buffer staying f32
    stays f32. The arguments that read a narrowed buffer take the narrow
    type, and each load's tile is widened back to f32 (`arith.extf`) where
    it is read. On the GPU, the rounding that
    `meld-tile-gpu-accelerate-dot` adds before a product folds with it into
    the load, so the products compute what they did; on the CPU, the
    products read the rounded operands.

    Before:
    ```mlir
    tile.kernel @mm(%x: memref<512xf32>, %w: memref<512xf32>, ...) {
      %b = tile.load %w[%offs] : memref<512xf32>[tensor<16x32xindex>] -> tensor<16x32xf32>
      %p = tile.dot %a, %b, %acc : ...
    }
    %w = tile.weight "fc.weight" : memref<512xf32>
    tile.launch @mm(%x, %w, ...) : ...
    ```
    After (fp16):
    ```mlir
    tile.kernel @mm(%x: memref<512xf32>, %w: memref<512xf16>, ...) {
      %b16 = tile.load %w[%offs] : memref<512xf16>[tensor<16x32xindex>] -> tensor<16x32xf16>
      %b = arith.extf %b16 : tensor<16x32xf16> to tensor<16x32xf32>
      %p = tile.dot %a, %b, %acc : ...
    }
    %w = tile.weight "fc.weight" : memref<512xf16>
    ```
  }];
  let options = [
    Option<"precision", "precision", "std::string", "\"fp16\"",
           "The narrow type: fp16 or bf16">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

#endif // MELD_DIALECTS_TILE_TRANSFORMS_PASSES_TD
