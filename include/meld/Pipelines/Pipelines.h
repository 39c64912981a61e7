//===- Pipelines.h - Meld's compilation pipelines ---------------*- C++ -*-===//
//
// Documented builder functions for the pass pipelines meldc runs. Each is also
// registered with meld-opt under the name given below, so lit tests and kernel
// authors can run exactly what meldc runs.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_PIPELINES_PIPELINES_H
#define MELD_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace meld {

/// Graph-level cleanup before tiling (`meld-graph-pipeline`).
void buildMeldGraphPipeline(mlir::OpPassManager &pm);

/// Graph dialect to the launch plan and tile kernels
/// (`meld-graph-to-tile-pipeline`).
void buildMeldTilePipeline(mlir::OpPassManager &pm);

/// Tile kernels to the LLVM dialect for the host, with Meld's CPU kernel ABI
/// (`meld-cpu-pipeline`). Expects the launch plan to have been read already.
void buildMeldCpuPipeline(mlir::OpPassManager &pm);

/// Registers the pipelines above with meld-opt.
void registerMeldPipelines();

} // namespace meld

#endif // MELD_PIPELINES_PIPELINES_H
