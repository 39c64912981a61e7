//===- AxisInfo.h - What index tiles look like along each axis -*- C++ -*-===//
//
// What a tile kernel's integer values are known to look like along each
// dimension, proved at compile time from how they are computed: whether
// offsets step by one in aligned runs (so a run is one vector access), whether
// masks are the same over aligned runs (so a run needs one predicate), and
// what power of two divides the start of each run (so a vector access is
// aligned). The same three properties Triton's AxisInfo tracks, computed with
// MLIR's sparse forward data-flow framework over tiles, scalars and loops.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_DIALECTS_TILE_ANALYSIS_AXISINFO_H
#define MELD_DIALECTS_TILE_ANALYSIS_AXISINFO_H

#include "mlir/Analysis/DataFlow/SparseAnalysis.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace meld::tile {

/// The facts known of one integer value: a scalar (rank 0) or a tile. Along
/// each dimension d of a tile, the elements split into aligned runs: the
/// positions [k * L, (k + 1) * L) for a run length L.
///   - `contiguity[d]`: in each run of this length along d, each element is
///     the one before plus 1;
///   - `divisibility[d]`: a power of two dividing the first element of every
///     run of `contiguity[d]` along d (every element, where that is 1);
///   - `constancy[d]`: each run of this length along d holds one value.
/// `elementDivisibility` is a power of two dividing every element, and
/// `constant` the value of every element where all are the same known one.
/// Lengths are at least 1 and need not divide the dimension (the last run is
/// then cut short); 1 everywhere says nothing.
class AxisInfo {
public:
  /// The largest divisibility tracked (that of 0).
  static constexpr int64_t kMaxDivisibility = int64_t(1) << 30;

  AxisInfo() = default;
  /// Nothing known of a value of `rank` dimensions.
  static AxisInfo getUnknown(int64_t rank);
  /// `value` in every element of a tile of `shape` (a scalar for rank 0).
  static AxisInfo getConstant(int64_t value, llvm::ArrayRef<int64_t> shape);

  bool isUninitialized() const { return !initialized; }
  int64_t getRank() const { return contiguity.size(); }

  int64_t getContiguity(int64_t d) const { return contiguity[d]; }
  int64_t getDivisibility(int64_t d) const { return divisibility[d]; }
  int64_t getConstancy(int64_t d) const { return constancy[d]; }
  int64_t getElementDivisibility() const { return elementDivisibility; }
  std::optional<int64_t> getConstantValue() const { return constant; }

  /// A power of two dividing the first element of every aligned run of
  /// `length` along `d`, where `length` divides the contiguity or the
  /// constancy of `d`.
  int64_t getRunStartDivisibility(int64_t d, int64_t length) const;

  /// The lattice join (what holds on both paths into a loop): each length
  /// and divisibility is the greatest common divisor of the two.
  static AxisInfo join(const AxisInfo &lhs, const AxisInfo &rhs);
  bool operator==(const AxisInfo &other) const;
  void print(llvm::raw_ostream &os) const;

  llvm::SmallVector<int64_t> contiguity, divisibility, constancy;
  int64_t elementDivisibility = 1;
  std::optional<int64_t> constant;
  /// Whether the analysis has reached the value (the lattice's bottom when
  /// not).
  bool initialized = false;
};

/// The lattice element of one SSA value.
class AxisInfoLattice : public mlir::dataflow::Lattice<AxisInfo> {
public:
  using Lattice::Lattice;
};

/// Computes `AxisInfo` for the integer and index values of tile kernels.
/// Load it into a `DataFlowSolver` together with `DeadCodeAnalysis` and
/// `SparseConstantPropagation` (which the framework's control flow needs).
class AxisInfoAnalysis
    : public mlir::dataflow::SparseForwardDataFlowAnalysis<AxisInfoLattice> {
public:
  using SparseForwardDataFlowAnalysis::SparseForwardDataFlowAnalysis;

  void setToEntryState(AxisInfoLattice *lattice) override;
  mlir::LogicalResult
  visitOperation(mlir::Operation *op,
                 llvm::ArrayRef<const AxisInfoLattice *> operands,
                 llvm::ArrayRef<AxisInfoLattice *> results) override;
  /// Loop induction variables: multiples of their step from their lower
  /// bound.
  void visitNonControlFlowArguments(mlir::Operation *op,
                                    const mlir::RegionSuccessor &successor,
                                    llvm::ArrayRef<AxisInfoLattice *> lattices,
                                    unsigned firstIndex) override;
};

/// Loads `AxisInfoAnalysis` into `solver`, with the dead code and constant
/// analyses the framework's control flow needs, and runs it on `root`.
mlir::LogicalResult runAxisInfoAnalysis(mlir::DataFlowSolver &solver,
                                        mlir::Operation *root);

/// What the analysis in `solver` proved of `value`; null where it did not
/// reach it.
const AxisInfo *lookupAxisInfo(const mlir::DataFlowSolver &solver,
                               mlir::Value value);

/// The length of the runs of consecutive offsets of a tile access along its
/// last dimension, wherever they start (a divisor of that dimension; 1 for
/// a scalar access).
int64_t getConsecutiveRun(const AxisInfo &offsets,
                          llvm::ArrayRef<int64_t> shape);

/// The length of the aligned runs of a tile access, in the row-major order of
/// its elements, that are each one aligned vector access: in each run the
/// offsets are consecutive, the first is a multiple of the length, and the
/// mask (where `mask` is given) is the same. A power of two dividing the last
/// dimension; 1 when nothing longer is proved.
int64_t getAccessContiguity(const AxisInfo &offsets, const AxisInfo *mask,
                            llvm::ArrayRef<int64_t> shape);

/// The same along dimension `dim` of the tile: the length of its aligned
/// runs along `dim` with consecutive offsets, the first a multiple of the
/// length, and one mask value. A power of two dividing that dimension.
int64_t getAccessContiguityAlong(const AxisInfo &offsets, const AxisInfo *mask,
                                 llvm::ArrayRef<int64_t> shape, int64_t dim);

} // namespace meld::tile

#endif // MELD_DIALECTS_TILE_ANALYSIS_AXISINFO_H
