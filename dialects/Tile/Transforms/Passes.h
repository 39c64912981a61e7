//===- Passes.h - Transformations of the tile dialect -----------*- C++ -*-===//

#ifndef MELD_DIALECTS_TILE_TRANSFORMS_PASSES_H
#define MELD_DIALECTS_TILE_TRANSFORMS_PASSES_H

#include "dialects/Tile/IR/TileOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace meld::tile {

#define GEN_PASS_DECL
#include "dialects/Tile/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/Tile/Transforms/Passes.h.inc"

} // namespace meld::tile

#endif // MELD_DIALECTS_TILE_TRANSFORMS_PASSES_H
