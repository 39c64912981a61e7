//===- Products.h - Products on the host as register-blocked loops -*- C++
//-*-===//
//
// Part of meld-tile-to-vector: the conversion turns each tile.dot into a
// row-major vector.contract, and these patterns then turn the contractions
// into the product microkernel.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_LIB_CONVERSION_TILETOVECTOR_PRODUCTS_H
#define MELD_LIB_CONVERSION_TILETOVECTOR_PRODUCTS_H

#include "mlir/IR/Builders.h"

namespace meld::tile_to_vector {

/// The register block of the product microkernel: `rows` rows of
/// `rowBytes` bytes of accumulators each.
struct MicroBlock {
  int64_t rows;
  int64_t rowBytes;
};

/// The block for SIMD registers of `registerBytes` bytes: rows of two
/// registers, 8 rows with 32 registers (AVX-512: 16 accumulators, the row of
/// b and the broadcast), 4 with 16 (AVX2, SSE).
MicroBlock getMicroBlock(int64_t registerBytes);

/// `acc + a * b` for 2-D vectors, as a row-major vector.contract. `a` and `b`
/// are widened to the accumulator's element type first. With `rows` (an
/// index), only the first `rows` rows of the result are defined: the
/// contraction is under a vector.mask of those rows (without a passthru).
mlir::Value createProduct(mlir::OpBuilder &b, mlir::Location loc, mlir::Value a,
                          mlir::Value bValue, mlir::Value acc,
                          mlir::Value rows = {});

/// Lowers the contractions createProduct made under `root`. A loop whose
/// every iteration value is the accumulator of one contraction (a product's
/// K loop) is split: chunks of its iterations store their operands into
/// stack panels, and the microkernel runs over each chunk's panels with the
/// accumulators in registers. Every other contraction packs its operands and
/// runs the microkernel over them.
void lowerProducts(mlir::Operation *root, MicroBlock block);

} // namespace meld::tile_to_vector

#endif // MELD_LIB_CONVERSION_TILETOVECTOR_PRODUCTS_H
