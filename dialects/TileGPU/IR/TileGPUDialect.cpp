//===- TileGPUDialect.cpp - TileGPU dialect -------------------------------===//

#include "dialects/TileGPU/IR/TileGPUDialect.h"

#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace meld::tile_gpu;

#include "dialects/TileGPU/IR/TileGPUOpsDialect.cpp.inc"

namespace {

/// Layouts print as aliases (`#blocked`, `#mma`, `#dot`, `#blocked1`, ...) at
/// the top of the module, so tile types stay readable.
struct TileGPUAsmInterface : public OpAsmDialectInterface {
  using OpAsmDialectInterface::OpAsmDialectInterface;

  AliasResult getAlias(Attribute attr, raw_ostream &os) const override {
    if (isa<BlockedLayoutAttr>(attr)) {
      os << "blocked";
      return AliasResult::FinalAlias;
    }
    if (isa<MmaLayoutAttr>(attr)) {
      os << "mma";
      return AliasResult::FinalAlias;
    }
    if (isa<DotOperandLayoutAttr>(attr)) {
      os << "dot";
      return AliasResult::FinalAlias;
    }
    if (isa<SharedLayoutAttr>(attr)) {
      os << "shared";
      return AliasResult::FinalAlias;
    }
    return AliasResult::NoAlias;
  }
};

} // namespace

void TileGPUDialect::initialize() {
  registerAttributes();
  addInterfaces<TileGPUAsmInterface>();
  addOperations<
#define GET_OP_LIST
#include "dialects/TileGPU/IR/TileGPUOps.cpp.inc"
      >();
}
