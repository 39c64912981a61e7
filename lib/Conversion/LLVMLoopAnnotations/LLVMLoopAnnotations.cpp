//===- LLVMLoopAnnotations.cpp - Loop annotations the translation reads ---===//
//
// MLIR's scf-to-cf and cf-to-llvm conversions carry an scf.for's
// `llvm.loop_annotation` attribute onto its latch branch as a discardable
// attribute, while the translation to LLVM IR reads the branch's own
// `loop_annotation`. This pass moves one onto the other, so that the
// annotation becomes `!llvm.loop` metadata (a K loop of tensor-core products
// reaches PTX as `.pragma "nounroll"`).
//
//===----------------------------------------------------------------------===//

#include "meld/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace meld {
#define GEN_PASS_DEF_LLVMLOOPANNOTATIONS
#include "meld/Conversion/Passes.h.inc"
} // namespace meld

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kDiscardableName = "llvm.loop_annotation";

struct LLVMLoopAnnotationsPass
    : meld::impl::LLVMLoopAnnotationsBase<LLVMLoopAnnotationsPass> {
  void runOnOperation() override {
    getOperation()->walk([](Operation *op) {
      auto annotation =
          op->getAttrOfType<LLVM::LoopAnnotationAttr>(kDiscardableName);
      if (!annotation)
        return;
      if (auto br = dyn_cast<LLVM::BrOp>(op))
        br.setLoopAnnotationAttr(annotation);
      else if (auto condBr = dyn_cast<LLVM::CondBrOp>(op))
        condBr.setLoopAnnotationAttr(annotation);
      else
        return;
      op->removeAttr(kDiscardableName);
    });
  }
};

} // namespace
