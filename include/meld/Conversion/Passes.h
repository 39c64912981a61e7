//===- Passes.h - Conversions between Meld's levels -------------*- C++ -*-===//

#ifndef MELD_CONVERSION_PASSES_H
#define MELD_CONVERSION_PASSES_H

#include "dialects/Graph/IR/GraphOps.h"
#include "dialects/Tile/IR/TileOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace meld {

/// Attribute names on `@main`'s arguments in the launch plan.
inline constexpr llvm::StringLiteral kNameAttr = "meld.name";
inline constexpr llvm::StringLiteral kOutputAttr = "meld.output";
inline constexpr llvm::StringLiteral kShapeAttr = "meld.shape";

/// The longest row (last dimension) of a tile meld-tile-to-vector computes
/// on vectors: longer rows would make LLVM's instruction selection take
/// minutes, and a kernel with one stays on the linalg path.
inline constexpr int64_t kMaxVectorRowElements = 512;

#define GEN_PASS_DECL
#include "meld/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "meld/Conversion/Passes.h.inc"

} // namespace meld

#endif // MELD_CONVERSION_PASSES_H
