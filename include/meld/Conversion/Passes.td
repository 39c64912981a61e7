//===- Passes.td - Conversions between Meld's levels -------*- tablegen -*-===//

#ifndef MELD_CONVERSION_PASSES_TD
#define MELD_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertGraphToTile : Pass<"meld-graph-to-tile", "mlir::ModuleOp"> {
  let summary = "Lower every graph op to a tile kernel and a launch";
  let description = [{
    Turns the graph function `@main` into the launch plan: every graph op
    becomes one `tile.kernel` (a grid of programs over tiles of its result,
    masked at ragged edges) and a `tile.launch` of it; tensors become flat
    buffers: function arguments for the model's inputs, extra arguments (marked
    `meld.output`) for its outputs, `tile.weight` for weights, `memref.global`
    constants for constants and `memref.alloc` for intermediates. Reshapes are
    free: they share their input's buffer. No fusion happens here.

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
  ];
}

def ConvertTileToCPU : Pass<"meld-tile-to-cpu", "mlir::ModuleOp"> {
  let summary = "Lower tile kernels to host functions on tensors and loops";
  let description = [{
    Turns every `tile.kernel` into a host function with Meld's CPU kernel ABI,
    `void NAME(void **args, int64_t begin, int64_t end)`: a loop over the linear
    program ids `[begin, end)` (x fastest) around the kernel body, whose buffers
    are read from `args`. Tile ops become tensor and linalg ops
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
    named `meld_kernels`) run by one block of `threads-per-block` threads per
    program. Tiles are distributed cyclically over the threads (element `e` in
    thread `e mod T`, slot `e div T`), so each thread holds a few scalars per
    tile and contiguous accesses coalesce. `tile.dot` stages its operands in
    shared memory; `tile.reduce` combines strided partial results with warp
    shuffles; `tile.broadcast` goes through shared memory; barriers bracket
    each. Every kernel records its grid (`meld.grid`), block
    (`known_block_size`) and shared memory (`meld.shared_bytes`).

    Before:
    ```mlir
    tile.kernel @k(%a: memref<4096xf32>) attributes {grid = array<i64: 4>} {
      ...
    }
    ```
    After:
    ```mlir
    gpu.module @meld_kernels {
      gpu.func @k(%a: memref<4096xf32>) workgroup(...) kernel
          attributes {known_block_size = array<i32: 128, 1, 1>, meld.grid = array<i64: 4>, ...} {
        %tid = gpu.thread_id x
        ...
      }
    }
    ```
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::gpu::GPUDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect"
  ];
  let options = [
    Option<"threadsPerBlock", "threads-per-block", "int64_t", "128",
           "Threads of each block (a multiple of 32)">,
  ];
}

#endif // MELD_CONVERSION_PASSES_TD
