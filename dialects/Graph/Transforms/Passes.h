//===- Passes.h - Transformations of the graph dialect ----------*- C++ -*-===//

#ifndef MELD_DIALECTS_GRAPH_TRANSFORMS_PASSES_H
#define MELD_DIALECTS_GRAPH_TRANSFORMS_PASSES_H

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace meld::graph {

#define GEN_PASS_DECL
#include "dialects/Graph/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/Graph/Transforms/Passes.h.inc"

/// The bytes of the weight `handle` (row-major, one byte per boolean), or
/// none where the compiler does not know them at compile time.
using WeightReader =
    std::function<std::optional<llvm::ArrayRef<uint8_t>>(llvm::StringRef)>;

/// `meld-graph-causal-masks` reading `graph.weight` masks with `readWeight`
/// (without one, only `graph.constant` masks are known).
std::unique_ptr<mlir::Pass> createGraphCausalMasks(WeightReader readWeight);

} // namespace meld::graph

#endif // MELD_DIALECTS_GRAPH_TRANSFORMS_PASSES_H
