//===- BFloat16AsInteger.cpp - bf16 values of host code as i16 ------------===//
//
// In host code (the CPU kernels, the emulator's), bf16 values are only
// moved: loaded, stored (masked or not, gathered, scattered), selected, passed
// between blocks, packed for mma; their conversions were expanded to integer
// arithmetic (meld-expand-float-conversions). An x86 backend without
// AVX512-BF16 still moves them through f32, with compiler-rt calls
// (__truncsfbf2) a kernel library does not have. As i16 they are moved as the
// bits they are.
//
//===----------------------------------------------------------------------===//

#include "meld/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/BuiltinOps.h"

namespace meld {
#define GEN_PASS_DEF_BFLOAT16ASINTEGER
#include "meld/Conversion/Passes.h.inc"
} // namespace meld

using namespace mlir;
using namespace meld;

namespace {

struct BFloat16AsInteger
    : meld::impl::BFloat16AsIntegerBase<BFloat16AsInteger> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Only ops that move values may see bf16.
    WalkResult computed = module.walk([](Operation *op) {
      if (!isa<LLVM::BitcastOp, LLVM::LoadOp, LLVM::StoreOp, LLVM::MaskedLoadOp,
               LLVM::MaskedStoreOp, LLVM::masked_gather, LLVM::masked_scatter,
               LLVM::InsertElementOp, LLVM::ExtractElementOp,
               LLVM::ShuffleVectorOp, LLVM::SelectOp, LLVM::BrOp,
               LLVM::CondBrOp, LLVM::InsertValueOp, LLVM::ExtractValueOp>(op) &&
          llvm::any_of(op->getOperandTypes(), [](Type type) {
            return getElementTypeOrSelf(type).isBF16();
          })) {
        op->emitOpError("computes with bf16 in host code, which has no "
                        "bf16 arithmetic");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (computed.wasInterrupted())
      return signalPassFailure();

    Type i16 = IntegerType::get(&getContext(), 16);
    AttrTypeReplacer replacer;
    replacer.addReplacement([&](BFloat16Type) -> Type { return i16; });
    replacer.addReplacement([&](FloatAttr attr) -> std::optional<Attribute> {
      if (!attr.getType().isBF16())
        return std::nullopt;
      return IntegerAttr::get(i16, attr.getValue().bitcastToAPInt());
    });
    replacer.addReplacement(
        [&](DenseElementsAttr attr) -> std::optional<Attribute> {
          if (!attr.getElementType().isBF16())
            return std::nullopt;
          return attr.bitcast(i16);
        });
    replacer.recursivelyReplaceElementsIn(module, /*replaceAttrs=*/true,
                                          /*replaceLocs=*/false,
                                          /*replaceTypes=*/true);
    // Bitcasts between i16 and what was bf16 are now casts to the same type.
    module.walk([](LLVM::BitcastOp cast) {
      if (cast.getArg().getType() != cast.getType())
        return;
      cast.getResult().replaceAllUsesWith(cast.getArg());
      cast.erase();
    });
  }
};

} // namespace
