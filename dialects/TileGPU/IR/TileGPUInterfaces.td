//===- TileGPUInterfaces.td - TileGPU interfaces -----------*- tablegen -*-===//

#ifndef MELD_DIALECT_TILEGPU_TILEGPUINTERFACES_TD
#define MELD_DIALECT_TILEGPU_TILEGPUINTERFACES_TD

include "mlir/IR/OpBase.td"

def TileGPU_SharedTileOpInterface : OpInterface<"SharedTileOpInterface"> {
  let cppNamespace = "::meld::tile_gpu";
  let description = [{
    An op that places its result, a tile with a `#tile_gpu.shared` layout,
    in the kernel's shared memory at a byte `offset` of its own
    (`meld-tile-gpu-allocate-shared` assigns it): `tile_gpu.local_alloc`
    from registers, `tile_gpu.async_load` and `tile_gpu.tma_load` from
    global memory. In a loop
    marked `tile_gpu.stages = N` the tile takes N buffers from that offset,
    each a multiple of 1024 bytes after the one before.
  }];
  let methods = [
    InterfaceMethod<"The tile's byte offset in shared memory, once assigned.",
      "std::optional<int64_t>", "getOffset">,
    InterfaceMethod<"Assigns the tile's byte offset in shared memory.",
      "void", "setOffsetAttr", (ins "::mlir::IntegerAttr":$offset)>,
    InterfaceMethod<"The bytes one buffer of the tile takes in shared memory.",
      "int64_t", "getSharedBytes", (ins), [{}], [{
        return getSharedTileBytes(
            llvm::cast<mlir::RankedTensorType>($_op->getResult(0).getType()));
      }]>,
  ];
  let extraSharedClassDeclaration = [{
    /// The result's #tile_gpu.shared layout.
    SharedLayoutAttr getSharedLayout() {
      return llvm::cast<SharedLayoutAttr>(
          llvm::cast<mlir::RankedTensorType>($_op->getResult(0).getType())
              .getEncoding());
    }
    /// From one buffer of it to the next, in a pipelined loop.
    int64_t getStageStride() {
      return llvm::alignTo($_op.getSharedBytes(), kSharedTileAlignment);
    }
    /// The bytes its `stages` buffers take, from its offset.
    int64_t getStagedBytes(int64_t stages) {
      return (stages - 1) * getStageStride() + $_op.getSharedBytes();
    }
  }];
}

#endif // MELD_DIALECT_TILEGPU_TILEGPUINTERFACES_TD
