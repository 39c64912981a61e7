//===- ViewLayout.h - Where the elements of a tensor view live -*- C++ -*-===//
//
// The layout algebra behind `ViewOpInterface`: a transpose, reshape, slice,
// split or broadcast of a tensor reads the tensor's buffer in place, at
// offsets that a `ViewLayout` describes. Fusion uses it to read a kernel's
// operands through such views instead of copying them, and the lowering to
// compute each element's offset.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_DIALECT_GRAPH_IR_VIEWLAYOUT_H
#define MELD_DIALECT_GRAPH_IR_VIEWLAYOUT_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

namespace meld::graph {

/// One digit of a dimension's mixed radix: `size` positions, `stride`
/// elements apart (0 for a broadcast, negative for a reversed slice).
struct ViewMode {
  int64_t size, stride;
  bool operator==(const ViewMode &other) const {
    return size == other.size && stride == other.stride;
  }
};

/// Where each element of a view lives in the row-major buffer of the tensor
/// it views, as CuTe's hierarchical layouts describe it: element `c` is at
/// `offset + sum_d offsetOf(d, c[d])`, where dimension `d` has modes
/// `(s_0, t_0) ... (s_k, t_k)`, outermost first, and coordinate `x` is at
/// `sum_j ((x / (s_{j+1} * ... * s_k)) mod s_j) * t_j`.
///
/// A transpose permutes the dimensions, a slice moves the offset and scales a
/// stride, a broadcast adds stride-0 modes, and a reshape regroups the modes
/// (splitting one where a new dimension ends inside it): a dimension merged
/// from two that are not contiguous keeps both modes. A reshape that would
/// cut a mode unevenly has no layout, nor has a slice across the modes of a
/// merged dimension unless it takes whole outer positions.
///
/// Layouts are normalized: no mode of size 1, and adjacent modes of a
/// dimension that are contiguous merged into one. A dimension of size 1 has
/// no modes.
class ViewLayout {
public:
  using Modes = llvm::SmallVector<ViewMode, 2>;

  /// The layout of a row-major tensor of `shape` in its own buffer.
  static ViewLayout rowMajor(llvm::ArrayRef<int64_t> shape);

  int64_t getOffset() const { return offset; }
  unsigned getRank() const { return dims.size(); }
  llvm::ArrayRef<Modes> getDims() const { return dims; }
  llvm::SmallVector<int64_t> getShape() const;
  /// Whether this is `rowMajor(getShape())`.
  bool isRowMajor() const;

  /// The view whose dimension `i` is this one's `permutation[i]`.
  ViewLayout permute(llvm::ArrayRef<int64_t> permutation) const;
  /// The elements in row-major order with `shape` (the same count).
  mlir::FailureOr<ViewLayout> reshape(llvm::ArrayRef<int64_t> shape) const;
  /// In every dimension `d`, element `i` of the view is element
  /// `starts[d] + i * steps[d]` of this one, for `i < sizes[d]`.
  mlir::FailureOr<ViewLayout> slice(llvm::ArrayRef<int64_t> starts,
                                    llvm::ArrayRef<int64_t> sizes,
                                    llvm::ArrayRef<int64_t> steps) const;
  /// numpy broadcasting to `shape`: new leading dimensions, and dimensions of
  /// size 1 that grow, read the same elements (stride 0).
  ViewLayout broadcast(llvm::ArrayRef<int64_t> shape) const;

  /// The offset of the element at `coords`.
  int64_t getElementOffset(llvm::ArrayRef<int64_t> coords) const;

  /// Prints `offset + [(size:stride) ...] x [...]`.
  void print(llvm::raw_ostream &os) const;

  bool operator==(const ViewLayout &other) const {
    return offset == other.offset && dims == other.dims;
  }

private:
  /// Drops modes of size 1 and merges contiguous neighbours.
  static Modes normalize(llvm::ArrayRef<ViewMode> modes);

  int64_t offset = 0;
  llvm::SmallVector<Modes> dims;
};

inline llvm::raw_ostream &operator<<(llvm::raw_ostream &os,
                                     const ViewLayout &layout) {
  layout.print(os);
  return os;
}

} // namespace meld::graph

#endif // MELD_DIALECT_GRAPH_IR_VIEWLAYOUT_H
