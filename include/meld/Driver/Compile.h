//===- Compile.h - Meld's compilation flow ----------------------*- C++ -*-===//
//
// The steps meldc runs after importing a model, each on a module in place:
// graph dialect -> tile kernels and launch plan -> host kernels in the LLVM
// dialect -> artifact. Each step is one of the documented pipelines of
// meld/Pipelines/Pipelines.h, so meld-opt can reproduce it.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_DRIVER_COMPILE_H
#define MELD_DRIVER_COMPILE_H

#include "meld/Import/ONNX.h"
#include "meld/Target/HostObject.h"

#include "mlir/IR/BuiltinOps.h"

namespace meld {

/// Graph dialect to tile kernels plus the launch plan in `@main`.
mlir::LogicalResult lowerGraphToTile(mlir::ModuleOp module);

/// Tile kernels to host kernels in the LLVM dialect. Drops the launch plan.
mlir::LogicalResult lowerTileToHost(mlir::ModuleOp module);

/// Lowers the graph-dialect `module` (modified in place) to tile kernels and
/// prints the artifact's buffer and launch plan as JSON to `os`.
mlir::LogicalResult printArtifactPlan(mlir::ModuleOp module,
                                      const WeightStore &weights,
                                      llvm::raw_ostream &os);

/// Compiles the graph-dialect `module` (modified in place) into the artifact
/// at `path`, taking weight bytes from `weights`.
mlir::LogicalResult compileToArtifact(mlir::ModuleOp module,
                                      const WeightStore &weights,
                                      llvm::StringRef path,
                                      const HostObjectOptions &host = {});

} // namespace meld

#endif // MELD_DRIVER_COMPILE_H
