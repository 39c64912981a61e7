//===- Passes.h - Passes over the layouts of tiles on a GPU -----*- C++ -*-===//

#ifndef MELD_DIALECTS_TILEGPU_TRANSFORMS_PASSES_H
#define MELD_DIALECTS_TILEGPU_TRANSFORMS_PASSES_H

#include "dialects/Tile/IR/TileOps.h"
#include "dialects/TileGPU/IR/TileGPUDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"

#include "mlir/Pass/Pass.h"

namespace meld::tile_gpu {

#define GEN_PASS_DECL
#include "dialects/TileGPU/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/TileGPU/Transforms/Passes.h.inc"

} // namespace meld::tile_gpu

#endif // MELD_DIALECTS_TILEGPU_TRANSFORMS_PASSES_H
