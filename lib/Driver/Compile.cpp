//===- Compile.cpp - Meld's compilation flow ------------------------------===//

#include "meld/Driver/Compile.h"

#include "meld/Pipelines/Pipelines.h"
#include "meld/Target/Artifact.h"
#include "meld/Target/LaunchPlan.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"

using namespace mlir;

/// Runs the pipeline `build` adds on `module`, with meldc's pass manager
/// command-line options (--mlir-timing, --mlir-print-ir-after, ...).
static LogicalResult runPipeline(ModuleOp module,
                                 void (*build)(OpPassManager &)) {
  PassManager pm(module.getContext());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  applyDefaultTimingPassManagerCLOptions(pm);
  build(pm);
  return pm.run(module);
}

LogicalResult meld::lowerGraphToTile(ModuleOp module) {
  return runPipeline(module, [](OpPassManager &pm) {
    buildMeldGraphPipeline(pm);
    buildMeldTilePipeline(pm);
  });
}

LogicalResult meld::lowerTileToHost(ModuleOp module) {
  return runPipeline(module, buildMeldCpuPipeline);
}

/// Lowers `module` to tile kernels and reads its launch plan into `spec`.
static LogicalResult planArtifact(ModuleOp module,
                                  const meld::WeightStore &weights,
                                  meld::ArtifactSpec &spec) {
  if (failed(meld::lowerGraphToTile(module)))
    return failure();
  auto lookup =
      [&](llvm::StringRef handle) -> llvm::Expected<meld::WeightSource> {
    const meld::WeightStore::Entry *entry = weights.lookup(handle);
    if (!entry)
      return llvm::createStringError("no data for weight '" + handle + "'");
    meld::WeightSource source;
    source.size = entry->byteSize;
    source.write = [&weights, entry](llvm::raw_ostream &os) {
      return weights.writeBytes(*entry, os);
    };
    return source;
  };
  return meld::buildArtifactPlan(module, lookup, spec);
}

LogicalResult meld::printArtifactPlan(ModuleOp module,
                                      const WeightStore &weights,
                                      llvm::raw_ostream &os) {
  ArtifactSpec spec;
  if (failed(planArtifact(module, weights, spec)))
    return failure();
  printArtifactPlanJSON(spec, os);
  return success();
}

LogicalResult meld::compileToArtifact(ModuleOp module,
                                      const WeightStore &weights,
                                      llvm::StringRef path,
                                      const HostObjectOptions &host) {
  ArtifactSpec spec;
  if (failed(planArtifact(module, weights, spec)))
    return failure();

  if (failed(lowerTileToHost(module)))
    return failure();
  auto library = emitHostSharedObject(module, host);
  if (!library)
    return emitError(module.getLoc())
           << llvm::toString(library.takeError());
  spec.modules.push_back({"host", "elf-shared-object", std::move(*library)});

  if (llvm::Error err = writeArtifact(spec, path))
    return emitError(module.getLoc())
           << "cannot write '" << path << "': " << llvm::toString(std::move(err));
  return success();
}
