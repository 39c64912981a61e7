//===- NVGPUToNVVM.cpp - nvgpu ops to NVVM at the kernels' index width ----===//
//
// MLIR's nvgpu-to-nvvm patterns, applied with a type converter built from
// the GPU module's data layout, as convert-gpu-to-nvvm builds its own.
// Meld's kernels compute indices in 32 bits where they fit (a DLTI entry on
// the gpu.module); upstream's convert-nvgpu-to-nvvm pass converts memrefs
// with 64-bit indices regardless, so the descriptor an nvgpu.ldmatrix reads
// and the one convert-gpu-to-nvvm makes for the same memref would differ
// and never reconcile. cp.async tokens become placeholders and vanish.
//
//===----------------------------------------------------------------------===//

#include "meld/Conversion/Passes.h"

#include "mlir/Analysis/DataLayoutAnalysis.h"
#include "mlir/Conversion/LLVMCommon/ConversionTarget.h"
#include "mlir/Conversion/LLVMCommon/LoweringOptions.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Transforms/DialectConversion.h"

namespace meld {
#define GEN_PASS_DEF_CONVERTNVGPUTONVVM
#include "meld/Conversion/Passes.h.inc"
} // namespace meld

using namespace mlir;
using namespace meld;

namespace {

struct ConvertNVGPUToNVVM
    : meld::impl::ConvertNVGPUToNVVMBase<ConvertNVGPUToNVVM> {
  void runOnOperation() override {
    gpu::GPUModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    const auto &dataLayout = getAnalysis<DataLayoutAnalysis>();
    LowerToLLVMOptions options(ctx, dataLayout.getAtOrAbove(module));
    LLVMTypeConverter converter(ctx, options, &dataLayout);
    nvgpu::populateCommonGPUTypeAndAttributeConversions(converter);
    // cp.async's tokens only order the ops that make and wait for them in
    // the IR: NVVM has none, so they become a placeholder i32 and vanish.
    converter.addConversion([&](nvgpu::DeviceAsyncTokenType type) -> Type {
      return converter.convertType(IntegerType::get(type.getContext(), 32));
    });
    RewritePatternSet patterns(ctx);
    populateNVGPUToNVVMConversionPatterns(converter, patterns);
    LLVMConversionTarget target(*ctx);
    target.addLegalDialect<arith::ArithDialect, memref::MemRefDialect,
                           NVVM::NVVMDialect>();
    target.addIllegalDialect<nvgpu::NVGPUDialect>();
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
