//===- Pipelines.cpp - Meld's compilation pipelines -----------------------===//

#include "meld/Pipelines/Pipelines.h"

#include "meld/Conversion/Passes.h"

#include "dialects/Graph/Transforms/Passes.h"
#include "dialects/Tile/Transforms/Passes.h"
#include "dialects/TileGPU/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"

using namespace mlir;

void meld::buildMeldGraphPipeline(OpPassManager &pm,
                                  const MeldGraphPipelineOptions &options) {
  // Step 1: fold what the importer left foldable and drop dead values.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Reshapes around a flattened batch move below the elementwise ops and
  // cancel, so that the ops read the products they follow.
  pm.addPass(graph::createGraphSinkReshapes());
  // Step 2: composite ops (GELU, LayerNorm, RMSNorm, softmax) from the chains
  // of elementwise ops and reductions exporters write them as; then fold the
  // reshapes of constant parameters and merge the unit scales it creates.
  pm.addPass(graph::createGraphRecognize());
  // A product whose columns are split for elementwise ops (a fused gate and
  // up projection) becomes one product per part.
  pm.addPass(graph::createGraphSplitProducts());
  // Attention masks known to be causal become the attention's attribute.
  pm.addPass(graph::createGraphCausalMasks(options.readWeight));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Step 3: which ops share a kernel, as fusion groups, and the tiles of
  // each matmul and attention kernel.
  pm.addPass(graph::createGraphFuse());
  graph::GraphChooseTilesOptions tiles;
  tiles.target = options.target;
  tiles.alsoTargets.assign(options.alsoTargets.begin(),
                           options.alsoTargets.end());
  tiles.precision = options.precision;
  pm.addPass(graph::createGraphChooseTiles(tiles));
}

void meld::buildMeldTilePipeline(OpPassManager &pm,
                                 const MeldTilePipelineOptions &options) {
  // Step 1: one tile kernel and one launch per fusion group and per graph op
  // outside one.
  ConvertGraphToTileOptions graphToTile;
  graphToTile.blockElements = options.blockElements;
  graphToTile.packWeights = options.packWeights;
  pm.addPass(createConvertGraphToTile(graphToTile));
  // Step 2: tidy the kernels' index arithmetic: fold it, cancel the
  // divisions of the views' coordinates, fold again.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<tile::KernelOp>(tile::createTileSimplifyIndices());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Step 3: one kernel for each set of identical ones (repeated layers and
  // steps), so that every later step compiles each distinct kernel once.
  pm.addPass(tile::createTileDedupKernels());
  // Step 3b: at fp16 and bf16, the weights only products read are stored
  // in that type.
  if (options.precision == "fp16" || options.precision == "bf16") {
    tile::TileNarrowOperandsOptions narrow;
    narrow.precision = options.precision;
    pm.addPass(tile::createTileNarrowOperands(narrow));
  }
  // Step 4: prove which loads and stores are aligned vector accesses, and
  // decide each kernel's warps and shared memory.
  OpPassManager &kernels = pm.nest<tile::KernelOp>();
  kernels.addPass(tile::createTileAnnotateContiguity());
  tile::TileConfigureLaunchOptions launch;
  launch.numWarps = options.numWarps;
  launch.warpgroupProducts = options.warpgroupProducts;
  kernels.addPass(tile::createTileConfigureLaunch(launch));
}

void meld::buildMeldCpuPipeline(OpPassManager &pm,
                                const MeldCpuPipelineOptions &options) {
  // Passes that work function by function are nested on the kernels: MLIR
  // runs them on several kernels at once, each kernel through all of a run
  // of them before the next.
  // Step 1: each kernel's tiles become SIMD vectors; then kernels become
  // host functions (a kernel the vector conversion left on tensors over
  // linalg and loops).
  if (options.vectorize) {
    // A kernel's row-wise tail (its epilogue) as a loop over rows, so that
    // its code is one row's long.
    OpPassManager &kernels = pm.nest<tile::KernelOp>();
    kernels.addPass(tile::createTileEpilogueRows());
    ConvertTileToVectorOptions vector;
    vector.registerBytes = options.registerBytes;
    kernels.addPass(createConvertTileToVector(vector));
  }
  pm.addPass(createConvertTileToCPU());
  // Step 2: elementwise tensor math becomes linalg, fused where possible.
  {
    OpPassManager &kernels = pm.nest<func::FuncOp>();
    kernels.addPass(createCanonicalizerPass());
    kernels.addPass(createConvertElementwiseToLinalgPass());
    kernels.addPass(createLinalgElementwiseOpFusionPass());
    kernels.addPass(createCanonicalizerPass());
    kernels.addPass(createCSEPass());
  }
  // Step 3: tensors to buffers, with deallocation.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = false;
  // Row loops carry tiles computed anew each iteration.
  bufferize.allowReturnAllocsFromLoops = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  // Step 4: loops and scalar code.
  {
    OpPassManager &kernels = pm.nest<func::FuncOp>();
    kernels.addPass(createConvertLinalgToLoopsPass());
    kernels.addPass(memref::createExpandStridedMetadataPass());
    kernels.addPass(createLowerAffinePass());
    kernels.addPass(createSCFToControlFlowPass());
    kernels.addPass(createCanonicalizerPass());
    kernels.addPass(createConvertMathToLLVMPass());
    // 16-bit float conversions without compiler-rt.
    kernels.addPass(createExpandFloatConversions());
  }
  // Step 5: to the LLVM dialect. Functions libm has (erf, tanh, ...) become
  // calls resolved when the kernel library is loaded.
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  {
    OpPassManager &kernels = pm.nest<func::FuncOp>();
    kernels.addPass(createArithToLLVMConversionPass());
    kernels.addPass(createConvertIndexToLLVMPass());
  }
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createBFloat16AsInteger());
  pm.addNestedPass<LLVM::LLVMFuncOp>(createCanonicalizerPass());
}

std::optional<std::string> meld::getPtxFeatures(llvm::StringRef chip) {
  return llvm::StringSwitch<std::optional<std::string>>(chip)
      .Case("sm_80", "+ptx70")
      .Case("sm_86", "+ptx71")
      .Case("sm_89", "+ptx78")
      .Case("sm_90", "+ptx78")
      .Case("sm_90a", "+ptx80")
      .Default(std::nullopt);
}

void meld::buildMeldGpuKernelPipeline(OpPassManager &pm,
                                      const MeldGpuPipelineOptions &options) {
  // Step 1: each kernel's launch configuration, and every tile's layout
  // over its block.
  pm.addNestedPass<tile::KernelOp>(tile::createTileConfigureLaunch());
  pm.addNestedPass<tile::KernelOp>(tile_gpu::createTileGPUAssignLayouts());
  // Step 2: products onto tensor cores where the precision allows, and no
  // more layout conversions than needed.
  // On sm_90a, products of whole warpgroups run on wgmma, their operands
  // stored in shared memory, each at its own place.
  tile_gpu::TileGPUAccelerateDotOptions accelerate;
  accelerate.precision = options.precision;
  accelerate.chip = options.chip;
  pm.addNestedPass<tile::KernelOp>(
      tile_gpu::createTileGPUAccelerateDot(accelerate));
  pm.addNestedPass<tile::KernelOp>(
      tile_gpu::createTileGPURemoveLayoutConversions());
  pm.addNestedPass<tile::KernelOp>(createCanonicalizerPass());
  pm.addNestedPass<tile::KernelOp>(createCSEPass());
  pm.addNestedPass<tile::KernelOp>(tile_gpu::createTileGPUHoistOperands());
  tile_gpu::TileGPUPipelineKLoopsOptions pipeline;
  pipeline.maxSharedBytes = options.maxSharedBytes;
  pipeline.warpSpecialize = options.warpSpecialize;
  pm.addNestedPass<tile::KernelOp>(
      tile_gpu::createTileGPUPipelineKLoops(pipeline));
  pm.addNestedPass<tile::KernelOp>(tile_gpu::createTileGPUAllocateShared());
  // Step 3: kernels onto the threads of blocks, as the layouts say.
  pm.addPass(createConvertTileToGPU());
  OpPassManager &kernels =
      pm.nest<gpu::GPUModuleOp>().nest<gpu::GPUFuncOp>();
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
}

void meld::buildMeldGpuToNvvmPipeline(OpPassManager &pm, bool forHost) {
  // Kernel parameters are bare pointers, one per buffer.
  // The passes that work kernel by kernel run on several at once.
  OpPassManager &module = pm.nest<gpu::GPUModuleOp>();
  if (forHost)
    module.addNestedPass<gpu::GPUFuncOp>(createExpandFloatConversions());
  module.addNestedPass<gpu::GPUFuncOp>(createSCFToControlFlowPass());
  // Tensor-core ops (nvgpu.mma.sync, nvgpu.ldmatrix) to NVVM, at the
  // kernels' index width.
  module.addPass(createConvertNVGPUToNVVM());
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.useBarePtrCallConv = true;
  module.addPass(createConvertGpuOpsToNVVMOps(nvvm));
  OpPassManager &kernels = module.nest<LLVM::LLVMFuncOp>();
  // Loop annotations (no unrolling of tensor-core K loops) where the
  // translation to LLVM IR reads them.
  kernels.addPass(createLLVMLoopAnnotations());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  module.addPass(createReconcileUnrealizedCastsPass());
}

void meld::buildMeldNvvmPipeline(OpPassManager &pm,
                                 const MeldGpuPipelineOptions &options) {
  // Step 1: to NVVM; the ops PTX writes as inline assembly (wgmma) become
  // it.
  buildMeldGpuToNvvmPipeline(pm);
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertNVVMToLLVMPass());
  // Step 2: PTX for the chip, math functions from libdevice.
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = getPtxFeatures(options.chip).value_or("");
  target.optLevel = 3;
  std::string libdevice = options.cudaPath + "/nvvm/libdevice/libdevice.10.bc";
  if (llvm::sys::fs::exists(libdevice))
    target.linkLibs.push_back(libdevice);
  pm.addPass(createGpuNVVMAttachTarget(target));
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa";
  binary.toolkitPath = options.cudaPath;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void meld::buildMeldEmuPipeline(OpPassManager &pm) {
  // Step 1: to NVVM, exactly as for PTX, but for the 16-bit float
  // conversions: the host computes them without compiler-rt.
  buildMeldGpuToNvvmPipeline(pm, /*forHost=*/true);
  // Step 2: NVVM operations to calls into the emulator; host code.
  pm.addPass(createConvertNVVMToEmu());
  pm.addPass(createBFloat16AsInteger());
  pm.addNestedPass<LLVM::LLVMFuncOp>(createCanonicalizerPass());
}

void meld::buildMeldGpuPipeline(OpPassManager &pm,
                                const MeldGpuPipelineOptions &options) {
  buildMeldGpuKernelPipeline(pm, options);
  buildMeldNvvmPipeline(pm, options);
}

void meld::loadPipelineDialects(MLIRContext &context) {
  // What translation to LLVM IR (host code, PTX) needs besides the dialects.
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  // Every pipeline, built as meldc builds it: what PassManager::run would
  // load on first use.
  PassManager pm(&context);
  buildMeldGraphPipeline(pm, MeldGraphPipelineOptions());
  buildMeldTilePipeline(pm, MeldTilePipelineOptions());
  buildMeldCpuPipeline(pm, MeldCpuPipelineOptions());
  buildMeldGpuPipeline(pm, MeldGpuPipelineOptions());
  buildMeldEmuPipeline(pm);
  pm.getDependentDialects(registry);
  context.appendDialectRegistry(registry);
  for (llvm::StringRef name : registry.getDialectNames())
    context.getOrLoadDialect(name);
  // The dialects translation reads, whether or not a pass names them.
  context.loadDialect<BuiltinDialect, LLVM::LLVMDialect, NVVM::NVVMDialect,
                      gpu::GPUDialect>();
}

void meld::registerMeldPipelines() {
  PassPipelineRegistration<MeldGraphPipelineOptions>(
      "meld-graph-pipeline",
      "Graph-level cleanup, composite ops, fusion groups and their tiles",
      buildMeldGraphPipeline);
  PassPipelineRegistration<MeldTilePipelineOptions>(
      "meld-graph-to-tile-pipeline",
      "Graph dialect to tile kernels and a launch plan", buildMeldTilePipeline);
  PassPipelineRegistration<MeldCpuPipelineOptions>(
      "meld-cpu-pipeline", "Tile kernels to the LLVM dialect for the host",
      buildMeldCpuPipeline);
  PassPipelineRegistration<MeldGpuPipelineOptions>(
      "meld-gpu-pipeline", "Tile kernels to PTX for one GPU",
      buildMeldGpuPipeline);
  PassPipelineRegistration<>(
      "meld-gpu-to-emu-pipeline",
      "GPU kernels (gpu dialect) to host code for the GPU emulator",
      buildMeldEmuPipeline);
  PassPipelineRegistration<MeldGpuPipelineOptions>(
      "meld-emu-pipeline",
      "Tile kernels to host code for the GPU emulator",
      [](OpPassManager &pm, const MeldGpuPipelineOptions &options) {
        buildMeldGpuKernelPipeline(pm, options);
        buildMeldEmuPipeline(pm);
      });
}
