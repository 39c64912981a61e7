//===- DedupKernels.cpp - One kernel for each set of identical ones -------===//
//
// Kernels are bucketed by a structural hash (function type, attributes but the
// name, and every op of the body hashed as CSE hashes it, operands ignored),
// then compared exactly within a bucket with OperationEquivalence, so the pass
// is linear in the module for kernels that differ and never merges two that
// only collide in the hash.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tile/Transforms/Passes.h"

#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/ADT/DenseMap.h"

namespace meld::tile {
#define GEN_PASS_DEF_TILEDEDUPKERNELS
#include "dialects/Tile/Transforms/Passes.h.inc"
} // namespace meld::tile

using namespace mlir;
using namespace meld;
using namespace meld::tile;

namespace {

/// The kernel's attributes without its symbol name: what must be equal, besides
/// the body, for two kernels to be interchangeable.
DictionaryAttr attributesButName(KernelOp kernel) {
  NamedAttrList attrs(kernel->getAttrDictionary());
  attrs.erase(SymbolTable::getSymbolAttrName());
  return attrs.getDictionary(kernel.getContext());
}

llvm::hash_code hashKernel(KernelOp kernel, DictionaryAttr attrs) {
  llvm::hash_code hash = llvm::hash_value(attrs.getAsOpaquePointer());
  kernel.getBody().walk([&](Operation *op) {
    hash =
        llvm::hash_combine(hash, OperationEquivalence::computeHash(
                                     op, OperationEquivalence::ignoreHashValue,
                                     OperationEquivalence::ignoreHashValue,
                                     OperationEquivalence::IgnoreLocations));
  });
  return hash;
}

struct TileDedupKernels
    : public tile::impl::TileDedupKernelsBase<TileDedupKernels> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    struct Kept {
      KernelOp kernel;
      DictionaryAttr attrs;
    };
    // Kernels kept so far, by hash; a bucket holds kernels that differ.
    llvm::DenseMap<llvm::hash_code, SmallVector<Kept, 1>> kept;
    llvm::DenseMap<StringAttr, FlatSymbolRefAttr> replacements;
    SmallVector<KernelOp> erased;
    for (auto kernel : module.getOps<KernelOp>()) {
      DictionaryAttr attrs = attributesButName(kernel);
      SmallVector<Kept, 1> &bucket = kept[hashKernel(kernel, attrs)];
      auto same = llvm::find_if(bucket, [&](Kept &other) {
        return other.attrs == attrs &&
               OperationEquivalence::isRegionEquivalentTo(
                   &other.kernel.getBody(), &kernel.getBody(),
                   OperationEquivalence::IgnoreLocations);
      });
      if (same == bucket.end()) {
        bucket.push_back({kernel, attrs});
        continue;
      }
      replacements[kernel.getSymNameAttr()] =
          FlatSymbolRefAttr::get(same->kernel.getSymNameAttr());
      erased.push_back(kernel);
    }
    if (erased.empty())
      return;

    // Every reference to an erased kernel, wherever it is, now names the kept
    // one: one walk over the module outside the kernels (kernels are isolated
    // and name no other kernel).
    AttrTypeReplacer replacer;
    replacer.addReplacement(
        [&](FlatSymbolRefAttr ref) -> std::optional<Attribute> {
          auto it = replacements.find(ref.getAttr());
          if (it == replacements.end())
            return std::nullopt;
          return it->second;
        });
    module.getBody()->walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<KernelOp>(op))
        return WalkResult::skip();
      replacer.replaceElementsIn(op, /*replaceAttrs=*/true,
                                 /*replaceLocs=*/false, /*replaceTypes=*/false);
      return WalkResult::advance();
    });
    for (KernelOp kernel : erased)
      kernel.erase();
  }
};

} // namespace
