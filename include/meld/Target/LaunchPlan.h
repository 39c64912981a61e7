//===- LaunchPlan.h - From the launch plan to an artifact -------*- C++ -*-===//
//
// Reads the launch plan that meld-graph-to-tile leaves in `@main` (buffers,
// tile.launch ops, weights and constants) into an ArtifactSpec: the buffer
// plan (activations in one arena, offsets reused by liveness), the launches,
// the signatures and the weights section. Kernel code is added separately.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_TARGET_LAUNCHPLAN_H
#define MELD_TARGET_LAUNCHPLAN_H

#include "meld/Target/Artifact.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>

namespace meld {

/// Where the bytes of a weight come from.
struct WeightSource {
  uint64_t size = 0;
  /// The weight's tensor shape (an external weight is checked against it);
  /// the flat buffer's when unknown.
  std::optional<llvm::SmallVector<int64_t>> shape;
  /// The weight can come from an external weights file (an ONNX
  /// initializer, found there by name).
  bool externalizable = true;
  /// Streams exactly `size` bytes.
  std::function<llvm::Error(llvm::raw_ostream &)> write;
};

/// Looks up the weight named `handle`, its elements of type `element` (the
/// model's, or one the compiler narrowed it to: see
/// meld-tile-narrow-operands); fails when there is none, or when it cannot
/// be converted to that type.
using WeightLookup = llvm::function_ref<llvm::Expected<WeightSource>(
    llvm::StringRef handle, mlir::Type element)>;

/// The artifact's dtype of element type `type`, if it has one.
std::optional<ArtifactDType> getArtifactDType(mlir::Type type);

/// Fills `spec`'s signatures, buffers, arena size, launches and weights from
/// the launch plan in `module` (which must still hold its tile kernels).
/// With `externalWeights` the bytes of the ONNX initializers stay out of the
/// artifact (the runtime finds them by name in a safetensors file); tensors
/// the model defines itself (Constant nodes, the compiler's constants) stay
/// in it. Emits diagnostics and fails on a plan it cannot represent.
mlir::LogicalResult buildArtifactPlan(mlir::ModuleOp module,
                                      WeightLookup weights,
                                      ArtifactSpec &spec,
                                      bool externalWeights = false);

/// Fills `spec.hostPlan` from the launch plan in `module`, the graph of
/// `spec`'s main plan tiled for the host: the host's own buffers, arena and
/// launches. Weights the main plan has alike (name, dtype and size) take
/// its bytes; the other read-only buffers are added to `spec`'s weights (or
/// external weights). Weights in panels are packed by the runtime (their
/// buffers are Packed, made from the weight they name), not stored.
mlir::LogicalResult buildHostPlan(mlir::ModuleOp module, WeightLookup weights,
                                  ArtifactSpec &spec);

/// Writes the plan of `spec` (signatures, buffers with their arena or weight
/// offsets, launches, arena size) as JSON, for `meldc --emit plan`.
void printArtifactPlanJSON(const ArtifactSpec &spec, llvm::raw_ostream &os);

} // namespace meld

#endif // MELD_TARGET_LAUNCHPLAN_H
