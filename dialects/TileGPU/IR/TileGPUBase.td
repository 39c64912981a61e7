//===- TileGPUBase.td - TileGPU dialect definition ---------*- tablegen -*-===//

#ifndef MELD_DIALECT_TILEGPU_TILEGPUBASE_TD
#define MELD_DIALECT_TILEGPU_TILEGPUBASE_TD

include "mlir/IR/OpBase.td"

def TileGPU_Dialect : Dialect {
  let name = "tile_gpu";
  let cppNamespace = "::meld::tile_gpu";
  let summary = "Where each element of a tile lives on a GPU";
  let description = [{
    On the GPU path a tile is spread over the threads of a block. The
    `tile_gpu` dialect makes that placement IR: each tile value carries a
    layout as the encoding of its tensor type, and the layout says which
    thread holds each element and in which of its registers ("slots"), as
    Triton's GPU dialect does. The layouts are

    - `#tile_gpu.blocked`: threads by elements per thread, repeated over the
      tile, for loads, stores and elementwise math;
    - `#tile_gpu.mma`: the accumulator of a tensor-core product (version 2:
      `mma.sync`; version 3: `wgmma`);
    - `#tile_gpu.dot_operand`: an operand of an `mma.sync` product in
      registers;
    - `#tile_gpu.shared`: not a spread over threads but a tile stored in
      shared memory, from registers (`tile_gpu.local_alloc`) or copied
      from global memory (`tile_gpu.async_load`, completed by
      `tile_gpu.async_wait`), as a `wgmma` product reads its operands.

    Ops that need a tile in another layout get it from
    `tile_gpu.convert_layout`, which moves elements between threads (through
    shared memory), so every move of data between threads is visible in the
    IR and a pass can remove those it can avoid.

    Every layout gives, for each slot, the coordinates of its element as an
    affine function of the lane (`d0`) and the warp (`d1`) of the thread; a
    slot whose coordinates fall outside the tile holds nothing. Each element
    of a tile is held by exactly one slot of one thread, but for dot
    operands, which every warp of a row (A) or column (B) of warps holds.
  }];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

#endif // MELD_DIALECT_TILEGPU_TILEGPUBASE_TD
