//===- Pipelines.h - Meld's compilation pipelines ---------------*- C++ -*-===//
//
// Documented builder functions for the pass pipelines meldc runs. Each is also
// registered with meld-opt under the name given below, so lit tests and kernel
// authors can run exactly what meldc runs.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_PIPELINES_PIPELINES_H
#define MELD_PIPELINES_PIPELINES_H

#include "dialects/Graph/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace meld {

/// Graph-level cleanup and recognition of composite ops (GELU, LayerNorm,
/// RMSNorm, softmax) before tiling (`meld-graph-pipeline`).
/// Options of the graph pipeline.
struct MeldGraphPipelineOptions
    : public mlir::PassPipelineOptions<MeldGraphPipelineOptions> {
  Option<std::string> target{
      *this, "target",
      llvm::cl::desc("The GPU whose cost model chooses the kernels' tiles"),
      llvm::cl::init("sm_80")};
  ListOption<std::string> alsoTargets{
      *this, "also-targets",
      llvm::cl::desc("Further GPUs the kernels are compiled for with the "
                     "same tiles, whose register bounds they keep within")};
  Option<std::string> precision{
      *this, "precision",
      llvm::cl::desc("What the GPU's products run at, for the cost model: "
                     "fp32, tf32, fp16 or bf16"),
      llvm::cl::init("fp32")};
  /// The bytes of weights known at compile time, which
  /// meld-graph-causal-masks reads masks from (not a textual option: the
  /// driver sets it).
  graph::WeightReader readWeight;
};

void buildMeldGraphPipeline(mlir::OpPassManager &pm,
                            const MeldGraphPipelineOptions &options);

/// Options of the tile pipeline.
struct MeldTilePipelineOptions
    : public mlir::PassPipelineOptions<MeldTilePipelineOptions> {
  Option<int64_t> numWarps{
      *this, "num-warps",
      llvm::cl::desc("Warps of every GPU kernel's block (1 to 32); 0 "
                     "chooses per kernel from its tiles"),
      llvm::cl::init(0)};
  Option<std::string> precision{
      *this, "precision",
      llvm::cl::desc("The precision of the products on tensor cores: at "
                     "fp16 or bf16 their weights are stored in that type"),
      llvm::cl::init("fp32")};
  Option<int64_t> blockElements{
      *this, "block-elements",
      llvm::cl::desc("Elements per program of elementwise and data-movement "
                     "kernels"),
      llvm::cl::init(1024)};
  Option<bool> packWeights{
      *this, "pack-weights",
      llvm::cl::desc("Store the weights products take as B in panels of "
                     "their tiles' columns, for the host's microkernel"),
      llvm::cl::init(false)};
  Option<bool> warpgroupProducts{
      *this, "warpgroup-products",
      llvm::cl::desc("Give every kernel with a product at least a warpgroup "
                     "(4 warps), so that sm_90a runs it on wgmma"),
      llvm::cl::init(false)};
};

/// Graph dialect to the launch plan and tile kernels, each with its launch
/// configuration (`meld-graph-to-tile-pipeline`).
void buildMeldTilePipeline(mlir::OpPassManager &pm,
                           const MeldTilePipelineOptions &options);

struct MeldCpuPipelineOptions
    : public mlir::PassPipelineOptions<MeldCpuPipelineOptions> {
  Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Compute the kernels' tiles as SIMD vectors "
                     "(meld-tile-to-vector); otherwise through linalg loops"),
      llvm::cl::init(true)};
  Option<int64_t> registerBytes{
      *this, "register-bytes",
      llvm::cl::desc("Bytes of one SIMD register of the target (16 SSE, 32 "
                     "AVX2, 64 AVX-512): sizes the product microkernel"),
      llvm::cl::init(64)};
};

/// Tile kernels to the LLVM dialect for the host, with Meld's CPU kernel ABI
/// (`meld-cpu-pipeline`). Expects the launch plan to have been read already.
void buildMeldCpuPipeline(mlir::OpPassManager &pm,
                          const MeldCpuPipelineOptions &options);

/// Options of the GPU pipeline.
struct MeldGpuPipelineOptions
    : public mlir::PassPipelineOptions<MeldGpuPipelineOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("The GPU: sm_80, sm_86, sm_89, "
                                          "sm_90 or sm_90a"),
                           llvm::cl::init("sm_80")};
  Option<std::string> cudaPath{
      *this, "cuda-path",
      llvm::cl::desc("The CUDA toolkit, for libdevice (math functions)"),
      llvm::cl::init("/usr/local/cuda")};
  Option<std::string> precision{
      *this, "precision",
      llvm::cl::desc("Which products run on tensor cores: fp32 (none), "
                     "tf32 (f32 products, operands rounded to tf32), fp16 "
                     "or bf16 (operands rounded to that type)"),
      llvm::cl::init("fp32")};
  Option<int64_t> maxSharedBytes{
      *this, "max-shared-bytes",
      llvm::cl::desc("Shared memory a block may take at most: the least of "
                     "the GPUs the launches run on (0: the chip's own)"),
      llvm::cl::init(0)};
  Option<bool> warpSpecialize{
      *this, "warp-specialize",
      llvm::cl::desc("Give the TMA copies of the kernels whose copies all "
                     "feed K loops of products in flight (sm_90a) a producer "
                     "warpgroup: their block grows by 128 threads"),
      llvm::cl::init(false)};
};

/// The minimum PTX ISA feature for `chip` ("+ptx70" for sm_80, ...), or
/// nothing for a chip Meld does not target.
std::optional<std::string> getPtxFeatures(llvm::StringRef chip);

/// Tile kernels onto the threads of GPU blocks (the first half of
/// `meld-gpu-pipeline`): gpu.func kernels that record their grid, block and
/// shared memory. Kernels without a launch configuration get one (as
/// `meld-tile-configure-launch` chooses). Expects the launch plan to have
/// been read already.
void buildMeldGpuKernelPipeline(mlir::OpPassManager &pm,
                                const MeldGpuPipelineOptions &options);

/// GPU kernels (gpu.func) to the LLVM dialect with NVVM ops, in their
/// gpu.module: what PTX and the emulator are both made from. `forHost`
/// (the emulator) first computes 16-bit float conversions with integer
/// arithmetic (meld-expand-float-conversions).
void buildMeldGpuToNvvmPipeline(mlir::OpPassManager &pm, bool forHost = false);

/// GPU kernels (gpu.func) to host code for the GPU emulator: to NVVM as for
/// PTX, then meld-nvvm-to-emu (`meld-emu-pipeline` with the kernel pipeline
/// before it).
void buildMeldEmuPipeline(mlir::OpPassManager &pm);

/// GPU kernels to a `gpu.binary` holding the PTX of every kernel for
/// `options.chip` (the second half of `meld-gpu-pipeline`).
void buildMeldNvvmPipeline(mlir::OpPassManager &pm,
                           const MeldGpuPipelineOptions &options);

/// Tile kernels to PTX for one GPU (`meld-gpu-pipeline`): the two above.
void buildMeldGpuPipeline(mlir::OpPassManager &pm,
                          const MeldGpuPipelineOptions &options);

/// Loads into `context` every dialect the pipelines above depend on, with the
/// interfaces that translate their results to LLVM IR (builtin, LLVM, NVVM,
/// GPU) and the NVVM target's. An MLIRContext loads dialects lazily, and
/// loading from several threads at once corrupts it: call this before
/// running pipelines on one context from several threads. Every dialect must
/// be registered in the context (meld::registerAllDialects does it).
void loadPipelineDialects(mlir::MLIRContext &context);

/// Registers the pipelines above with meld-opt.
void registerMeldPipelines();

} // namespace meld

#endif // MELD_PIPELINES_PIPELINES_H
