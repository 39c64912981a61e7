//===- TileOps.h - Tile dialect operations ----------------------*- C++ -*-===//

#ifndef MELD_DIALECT_TILE_IR_TILEOPS_H
#define MELD_DIALECT_TILE_IR_TILEOPS_H

#include "dialects/Tile/IR/TileDialect.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/Tile/IR/TileOps.h.inc"

#endif // MELD_DIALECT_TILE_IR_TILEOPS_H
