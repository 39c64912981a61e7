//===- meld-opt.cpp - Meld's optimizer driver -----------------------------===//
//
// mlir-opt with every Meld dialect and pass: the tool for kernel authors and lit
// tests.
//
//===----------------------------------------------------------------------===//

#include "meld/InitAllDialects.h"
#include "meld/InitAllPasses.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

namespace meld::test {
void registerTestViewLayoutsPass();
void registerTestTileGPULayoutsPass();
} // namespace meld::test

int main(int argc, char **argv) {
  meld::registerAllPasses();
  meld::test::registerTestViewLayoutsPass();
  meld::test::registerTestTileGPULayoutsPass();
  mlir::DialectRegistry registry;
  meld::registerAllDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Meld optimizer driver\n", registry));
}
