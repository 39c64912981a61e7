//===- BoxAccess.h - Tile accesses that are boxes of a tensor ---*- C++ -*-===//
//
// A tile load whose offsets are a strided box of a tensor in a flat buffer:
// offsets = sum over the tile's dimensions d of stride[d] * (iota_d +
// start[d]), its mask (if any) `iota_d + start[d] < bound[d]` per
// dimension. The tensor memory accelerator copies such a box with a tensor
// map of the tensor (meld-tile-gpu-pipeline-k-loops).
//
//===----------------------------------------------------------------------===//

#ifndef MELD_DIALECT_TILE_ANALYSIS_BOXACCESS_H
#define MELD_DIALECT_TILE_ANALYSIS_BOXACCESS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace meld::tile {

/// An index (a scalar, or a tile of them) as a constant plus scalar values
/// and a tile's iotas, each times a constant: c + sum a_v v + sum b_d
/// iota_d. Values it cannot see through are terms of their own.
struct LinearIndex {
  int64_t constant = 0;
  llvm::MapVector<mlir::Value, int64_t> terms;
  /// b_d of the tile's dimensions d (0 where absent).
  llvm::SmallVector<int64_t> iotas;

  /// The iota coefficient of dimension `dim`.
  int64_t getIota(int64_t dim) const {
    return dim < static_cast<int64_t>(iotas.size()) ? iotas[dim] : 0;
  }
  bool isScalar() const {
    return llvm::all_of(iotas, [](int64_t b) { return b == 0; });
  }
  /// this + factor * other.
  void add(const LinearIndex &other, int64_t factor);
  /// Whether both are the same expression.
  bool equals(const LinearIndex &other) const;
};

/// `value` (an index or a ranked tensor of them) as a LinearIndex, seeing
/// through splats, iotas, constants and addi, subi and muli by a constant;
/// or nothing past `depth` levels.
std::optional<LinearIndex> getLinearIndex(mlir::Value value, int depth = 16);

/// Computes scalar `index` (no iotas) at the builder's insertion point.
mlir::Value materializeIndex(mlir::OpBuilder &builder, mlir::Location loc,
                             const LinearIndex &index);

/// A tile access that is a box of a strided tensor: per dimension d of the
/// tile, `stride[d]` elements between consecutive indices, the box's first
/// index `start[d]` (scalar), and the tensor's extent `bound[d]` where the
/// mask gives one.
struct BoxAccess {
  llvm::SmallVector<int64_t> strides;
  llvm::SmallVector<LinearIndex> starts;
  llvm::SmallVector<std::optional<int64_t>> bounds;
};

/// The box a load of `shape` at `offsets` where `mask` (null: everywhere)
/// reads, or nothing: the offsets must be linear in the iotas with positive
/// strides and the mask a conjunction of `iota_d + start[d] < bound[d]`
/// (unsigned or signed), at most one a dimension; the dimensions without
/// one take their starts from what the offsets leave, each term (and the
/// constant, digit by digit) going to the one of the largest stride
/// dividing it.
std::optional<BoxAccess> getBoxAccess(mlir::Value offsets, mlir::Value mask,
                                      llvm::ArrayRef<int64_t> shape);

} // namespace meld::tile

#endif // MELD_DIALECT_TILE_ANALYSIS_BOXACCESS_H
