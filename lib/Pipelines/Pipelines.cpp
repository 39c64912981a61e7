//===- Pipelines.cpp - Meld's compilation pipelines -----------------------===//

#include "meld/Pipelines/Pipelines.h"

#include "meld/Conversion/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void meld::buildMeldGraphPipeline(OpPassManager &pm) {
  // Step 1: fold what the importer left foldable and drop dead values.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void meld::buildMeldTilePipeline(OpPassManager &pm) {
  // Step 1: one tile kernel and one launch per graph op.
  pm.addPass(createConvertGraphToTile());
  // Step 2: tidy the kernels' index arithmetic.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void meld::buildMeldCpuPipeline(OpPassManager &pm) {
  // Step 1: kernels become host functions over tensors, linalg and loops.
  pm.addPass(createConvertTileToCPU());
  pm.addPass(createCanonicalizerPass());
  // Step 2: elementwise tensor math becomes linalg, fused where possible.
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Step 3: tensors to buffers, with deallocation.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = false;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  // Step 4: loops and scalar code.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createCanonicalizerPass());
  // Step 5: to the LLVM dialect. Functions libm has (erf, tanh, ...) become
  // calls resolved when the kernel library is loaded.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void meld::registerMeldPipelines() {
  PassPipelineRegistration<>("meld-graph-pipeline",
                             "Graph-level cleanup before tiling",
                             buildMeldGraphPipeline);
  PassPipelineRegistration<>("meld-graph-to-tile-pipeline",
                             "Graph dialect to tile kernels and a launch plan",
                             buildMeldTilePipeline);
  PassPipelineRegistration<>("meld-cpu-pipeline",
                             "Tile kernels to the LLVM dialect for the host",
                             buildMeldCpuPipeline);
}
