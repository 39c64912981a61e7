//===- GraphOps.h - Graph dialect operations --------------------*- C++ -*-===//

#ifndef MELD_DIALECT_GRAPH_IR_GRAPHOPS_H
#define MELD_DIALECT_GRAPH_IR_GRAPHOPS_H

#include "dialects/Graph/IR/GraphDialect.h"
#include "dialects/Graph/IR/ViewLayout.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/Graph/IR/GraphInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/Graph/IR/GraphOps.h.inc"

namespace meld::graph {

/// Follows the views (`ViewOpInterface` ops that `follow` accepts) back from
/// `value` to the furthest value whose row-major buffer they read, `root`,
/// and returns where `value`'s elements lie in it. Where a view on the way
/// has no layout, the walk stops after it; with no view, `root` is `value`.
ViewLayout traceView(mlir::Value value, mlir::Value &root,
                     llvm::function_ref<bool(mlir::Operation *)> follow);

/// Follows the one-to-one views (`transpose`, `reshape`) that `follow`
/// accepts back from `value`, stored row-major, to the value they view,
/// `source`: returns where each element of `source` goes. Fails where a view
/// on the way is not one to one.
mlir::FailureOr<ViewLayout>
traceStore(mlir::Value value, mlir::Value &source,
           llvm::function_ref<bool(mlir::Operation *)> follow);

/// Whether `value` is `attention`'s result with its heads merged: viewed
/// (through views alone) as [batch..., queries, heads x dv], the transpose
/// of heads and queries reshaped, as an attention's output projection reads
/// it.
bool isMergedHeads(mlir::Value value, AttentionOp attention);

/// Whether `op` is an integer division, whose zero divisors are data faults
/// (the kernel records each one's position).
bool isIntegerDivision(mlir::Operation *op);

/// Whether a kernel can compute `op`'s results element by element, at any
/// coordinates, from its operands' elements: an elementwise op but an
/// integer division (whose faults need the iteration's position), a concat,
/// or a view whose every result is a strided view of a row-major operand.
bool isElementalOp(mlir::Operation *op);

/// The first of the trailing axes `op` reduces or normalizes, when it is a
/// row-wise op a `rows` fusion group can hold: a softmax of the last axis, a
/// `graph.layernorm` or `graph.rmsnorm`, or a reduction of the trailing
/// axes (each row of the input, its trailing dimensions, gives one value).
std::optional<int64_t> getRowAxis(mlir::Operation *op);

} // namespace meld::graph

#endif // MELD_DIALECT_GRAPH_IR_GRAPHOPS_H
