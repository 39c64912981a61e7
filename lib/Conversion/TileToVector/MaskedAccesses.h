//===- MaskedAccesses.h - Masked accesses a register wide -------*- C++ -*-===//
//
// Part of meld-tile-to-vector: the last step splits every masked read and
// write wider than one SIMD register into reads and writes of one register
// each.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_LIB_CONVERSION_TILETOVECTOR_MASKEDACCESSES_H
#define MELD_LIB_CONVERSION_TILETOVECTOR_MASKEDACCESSES_H

#include "mlir/IR/PatternMatch.h"

namespace meld::tile_to_vector {

/// Patterns that split each 1-D vector.maskedload and vector.maskedstore
/// wider than `registerBytes` bytes into one of that width (or less, for the
/// remainder) per register, at consecutive offsets, each under its slice of
/// the mask.
///
/// The LLVM X86 backend splits a wide masked access itself, but LLVM 22
/// miscompiles the split at AVX2: where the mask is a broadcast bit and'ed
/// with a constant whose lanes for a whole register are off (the ragged
/// column block of a row, e.g. 18 of 32 columns), that register's read
/// becomes an unmasked load. It reads past the buffer and keeps what it
/// read instead of the zeros (a NaN in ReduceSum over 3x6 at x86-64-v3).
/// Split here, each register's mask is its own value, which folds to a
/// constant where it is one, and LLVM never splits.
void populateSplitMaskedAccessPatterns(mlir::RewritePatternSet &patterns,
                                       int64_t registerBytes);

} // namespace meld::tile_to_vector

#endif // MELD_LIB_CONVERSION_TILETOVECTOR_MASKEDACCESSES_H
