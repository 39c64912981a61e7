//===- ConstantEvaluator.h - Evaluating graph ops at compile time -*- C++
//-*-===//
//
// Constant folding with the kernels' own semantics. The graph ops' folders
// evaluate the small shape computations exporters emit; everything else whose
// operands are known at compile time (any op, however it is lowered) is
// evaluated here by compiling it with Meld's own pipeline for the CPU and
// running the kernels on the CPU runtime. So a folded value is exactly what
// the model would compute when run, and every op's meaning has one
// implementation: its kernel.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_DRIVER_CONSTANTEVALUATOR_H
#define MELD_DRIVER_CONSTANTEVALUATOR_H

#include "meld/Driver/Compile.h"
#include "meld/Import/ONNX.h"

namespace meld {

/// Computes `values` (results of graph-dialect ops in one block whose operands
/// are, transitively, constants and weights in `weights`): clones the ops
/// they need into a module of their own, compiles it for the CPU alone with
/// `options`' host settings, runs it on the CPU runtime and returns the bytes
/// of each value. On failure (a lowering that fails, a fault in the data such
/// as an index out of range) emits one diagnostic, naming the node at fault.
mlir::FailureOr<std::vector<TensorBytes>>
evaluateConstants(llvm::ArrayRef<mlir::Value> values,
                  const WeightStore &weights,
                  const CompileOptions &options = {});

/// An evaluator for ImportOptions::evaluator, compiling with `options`.
ConstantEvaluator makeConstantEvaluator(const CompileOptions &options = {});

} // namespace meld

#endif // MELD_DRIVER_CONSTANTEVALUATOR_H
