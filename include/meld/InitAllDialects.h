//===- InitAllDialects.h - Register every dialect Meld uses -----*- C++ -*-===//
//
// The one place that lists the dialects of Meld's tools: meld-opt, meldc and the
// lit tests all see the same set.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_INITALLDIALECTS_H
#define MELD_INITALLDIALECTS_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace meld {

/// Adds Meld's dialects and the upstream dialects its pipelines produce to
/// `registry`, with their interface implementations.
void registerAllDialects(mlir::DialectRegistry &registry);

} // namespace meld

#endif // MELD_INITALLDIALECTS_H
