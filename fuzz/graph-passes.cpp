//===- graph-passes.cpp - Fuzz target: the graph and tile pipelines -------===//
//
// Bytes -> meld::importONNXModel (from memory) -> verify -> the graph
// pipeline (recognition, fusion, tile choice) and the tile pipeline
// (graph-to-tile, contiguity, launch configuration) as meldc runs them ->
// verify. The importer is fuzzed on its own by onnx-import; this target
// carries what it accepts through the passes that rewrite the graph, where
// a model the verifier accepts but a pass did not expect could crash.
// Diagnostics are swallowed: refusing the input is a fine outcome; crashing,
// leaking, hanging or undefined behaviour is not. External data is not
// resolved (no model folder): the graphs are what matters here.
//
//===----------------------------------------------------------------------===//

#include "FuzzImport.h"

#include "meld/InitAllDialects.h"
#include "meld/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::DialectRegistry registry;
  meld::registerAllDialects(registry);
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  meld::fuzz::QuietDiagnostics quiet(context);
  meld::WeightStore weights;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      meld::fuzz::importFuzzInput(data, size, "", context, weights);
  if (!module)
    return 0;
  mlir::PassManager pm(&context);
  meld::buildMeldGraphPipeline(pm, meld::MeldGraphPipelineOptions());
  meld::buildMeldTilePipeline(pm, meld::MeldTilePipelineOptions());
  if (mlir::succeeded(pm.run(*module)))
    (void)mlir::verify(*module);
  return 0;
}
