//===- TileDialect.cpp - Tile dialect -------------------------------------===//

#include "dialects/Tile/IR/TileDialect.h"

#include "dialects/Tile/IR/TileOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace meld::tile;

#include "dialects/Tile/IR/TileOpsDialect.cpp.inc"

#include "dialects/Tile/IR/TileOpsEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Tile/IR/TileOpsAttributes.cpp.inc"

void TileDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Tile/IR/TileOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/Tile/IR/TileOpsAttributes.cpp.inc"
      >();
}
