//===- TileDialect.h - Tile dialect -----------------------------*- C++ -*-===//

#ifndef MELD_DIALECT_TILE_IR_TILEDIALECT_H
#define MELD_DIALECT_TILE_IR_TILEDIALECT_H

#include "meld/panels.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Dialect.h"

#include "dialects/Tile/IR/TileOpsDialect.h.inc"

#include "dialects/Tile/IR/TileOpsEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Tile/IR/TileOpsAttributes.h.inc"

#endif // MELD_DIALECT_TILE_IR_TILEDIALECT_H
