//===- InitAll.cpp - Register every dialect and pass ----------------------===//

#include "meld/InitAllDialects.h"
#include "meld/InitAllPasses.h"

#include "meld/Conversion/Passes.h"
#include "meld/Pipelines/Pipelines.h"

#include "dialects/Graph/IR/GraphDialect.h"
#include "dialects/Graph/Transforms/Passes.h"
#include "dialects/Tile/IR/TileDialect.h"
#include "dialects/Tile/Transforms/Passes.h"
#include "dialects/TileGPU/IR/TileGPUDialect.h"
#include "dialects/TileGPU/Transforms/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void meld::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<graph::GraphDialect, tile::TileDialect,
                  tile_gpu::TileGPUDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
}

void meld::registerAllPasses() {
  mlir::registerAllPasses();
  registerMeldConversionPasses();
  graph::registerMeldGraphPasses();
  tile::registerMeldTilePasses();
  tile_gpu::registerMeldTileGPUPasses();
  registerMeldPipelines();
}
