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

} // namespace meld::graph

#endif // MELD_DIALECTS_GRAPH_TRANSFORMS_PASSES_H
