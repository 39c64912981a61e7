//===- KernelCost.cpp - What a tile kernel computes and moves ------------===//

#include "dialects/Tile/Analysis/KernelCost.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "llvm/ADT/DenseMap.h"

#include <algorithm>

using namespace mlir;
using namespace meld;
using namespace meld::tile;

namespace {

/// A constant no smaller than `value`: the constant itself, or for a minimum
/// (a causal attention's key loop, which ends at min(its queries' last key,
/// the keys)), its constant operand: programs that stop early are counted as
/// if they did not.
std::optional<int64_t> getUpperLimit(Value value) {
  if (std::optional<int64_t> constant = getConstantIntValue(value))
    return constant;
  Operation *def = value.getDefiningOp();
  if (!isa_and_nonnull<arith::MinSIOp, arith::MinUIOp>(def))
    return std::nullopt;
  std::optional<int64_t> lhs = getUpperLimit(def->getOperand(0));
  std::optional<int64_t> rhs = getUpperLimit(def->getOperand(1));
  if (lhs && rhs)
    return std::min(*lhs, *rhs);
  return lhs ? lhs : rhs;
}

/// The counts of one program, by walking its body with each op's number of
/// executions.
struct ProgramCounter {
  double flops = 0;
  /// Elements loaded and stored per buffer argument.
  llvm::DenseMap<Value, double> loaded, stored;
  SmallVector<int64_t> dotTile, storeTile;

  void count(Block &block, double times) {
    for (Operation &op : block)
      count(op, times);
  }

  void count(Operation &op, double times) {
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      // A loop that runs only where some data says so (its upper bound a
      // select of its lower bound: a causal attention's keys past the
      // diagonal, for a query that sees only padding) is counted at zero
      // trips, as it runs for few programs if any.
      if (auto select = loop.getUpperBound().getDefiningOp<arith::SelectOp>();
          select && llvm::is_contained(ValueRange{select.getTrueValue(),
                                                  select.getFalseValue()},
                                       loop.getLowerBound()))
        return;
      std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
      std::optional<int64_t> ub = getUpperLimit(loop.getUpperBound());
      std::optional<int64_t> step = getConstantIntValue(loop.getStep());
      double trips = 1;
      if (lb && ub && step && *step > 0)
        trips = *ub > *lb ? (*ub - *lb + *step - 1) / *step : 0;
      count(*loop.getBody(), times * trips);
      return;
    }
    if (auto branch = dyn_cast<scf::IfOp>(op)) {
      // A program takes one side: the larger counts.
      ProgramCounter thenSide, elseSide;
      thenSide.count(branch.getThenRegion().front(), times);
      if (!branch.getElseRegion().empty())
        elseSide.count(branch.getElseRegion().front(), times);
      merge(thenSide.flops >= elseSide.flops ? thenSide : elseSide);
      // Both sides' buffers are read by some program.
      const ProgramCounter &other =
          thenSide.flops >= elseSide.flops ? elseSide : thenSide;
      for (auto [buffer, n] : other.loaded)
        loaded.try_emplace(buffer, n);
      for (auto [buffer, n] : other.stored)
        stored.try_emplace(buffer, n);
      return;
    }
    if (auto dot = dyn_cast<DotOp>(op)) {
      auto a = cast<RankedTensorType>(dot.getA().getType()).getShape();
      auto b = cast<RankedTensorType>(dot.getB().getType()).getShape();
      flops += times * 2.0 * a[0] * b[1] * a[1];
      SmallVector<int64_t> shape{a[0], b[1], a[1]};
      if (computeProduct(shape) > computeProduct(dotTile))
        dotTile = shape;
      return;
    }
    if (auto load = dyn_cast<LoadOp>(op)) {
      loaded[load.getBuffer()] += times * load.getType().getNumElements();
      return;
    }
    if (auto store = dyn_cast<StoreOp>(op)) {
      auto type = cast<RankedTensorType>(store.getValue().getType());
      stored[store.getBuffer()] += times * type.getNumElements();
      if (type.getNumElements() > computeProduct(storeTile))
        storeTile = SmallVector<int64_t>(type.getShape());
      return;
    }
    if (auto reduce = dyn_cast<ReduceOp>(op)) {
      auto type = cast<RankedTensorType>(reduce.getInput().getType());
      if (isa<FloatType>(type.getElementType()))
        flops += times * type.getNumElements();
      return;
    }
    // Floating-point math on tiles: one operation per element.
    if (op.getNumResults() == 1 &&
        isa<arith::ArithDialect, math::MathDialect>(op.getDialect()) &&
        !isa<arith::ConstantOp, arith::SelectOp, arith::CmpFOp>(op))
      if (auto type = dyn_cast<RankedTensorType>(op.getResult(0).getType());
          type && isa<FloatType>(type.getElementType()))
        flops += times * type.getNumElements();
  }

  void merge(const ProgramCounter &other) {
    flops += other.flops;
    for (auto [buffer, n] : other.loaded)
      loaded[buffer] += n;
    for (auto [buffer, n] : other.stored)
      stored[buffer] += n;
    if (computeProduct(other.dotTile) > computeProduct(dotTile))
      dotTile = other.dotTile;
    if (computeProduct(other.storeTile) > computeProduct(storeTile))
      storeTile = other.storeTile;
  }
};

/// The bytes of buffer `buffer` that `elements` accesses of all programs
/// touch: each byte once, at most the buffer.
int64_t touchedBytes(Value buffer, double elements) {
  auto type = cast<MemRefType>(buffer.getType());
  int64_t elementBytes =
      std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1);
  double size = static_cast<double>(type.getNumElements()) * elementBytes;
  return static_cast<int64_t>(std::min(size, elements * elementBytes));
}

} // namespace

KernelCost tile::getKernelCost(KernelOp kernel) {
  KernelCost cost;
  cost.grid = SmallVector<int64_t>(kernel.getGrid());
  cost.programs = computeProduct(cost.grid);
  ProgramCounter counter;
  counter.count(kernel.getBody().front(), 1.0);
  double programs = static_cast<double>(cost.programs);
  cost.flops = counter.flops * programs;
  for (auto [buffer, n] : counter.loaded)
    cost.bytesRead += touchedBytes(buffer, n * programs);
  for (auto [buffer, n] : counter.stored)
    cost.bytesWritten += touchedBytes(buffer, n * programs);
  cost.tile = counter.dotTile.empty() ? counter.storeTile : counter.dotTile;
  return cost;
}

std::optional<TargetPeak> tile::getTargetPeak(llvm::StringRef target) {
  // Published peaks: fp32 on CUDA cores, HBM bandwidth, SMs, dense
  // f16/bf16 on tensor cores with f32 accumulation; shared memory at 128
  // bytes a cycle per SM at the boost clock, and a block's most (CUDA C++
  // Programming Guide, "Technical Specifications per Compute Capability").
  if (target == "sm_80")
    return TargetPeak{19.5e12, 2.039e12,     108,
                      312e12,  128 * 1.41e9, 163 * 1024}; // A100 80GB SXM
  if (target == "sm_86")
    return TargetPeak{35.6e12, 0.936e12,      82,
                      71e12,   128 * 1.695e9, 99 * 1024}; // RTX 3090
  if (target == "sm_89")
    return TargetPeak{82.6e12,  1.008e12,     128,
                      165.2e12, 128 * 2.52e9, 99 * 1024}; // RTX 4090
  if (target == "sm_90" || target == "sm_90a")
    return TargetPeak{66.9e12, 3.35e12,      132,
                      989e12,  128 * 1.83e9, 227 * 1024}; // H100 SXM
  return std::nullopt;
}

std::optional<std::array<int64_t, 2>>
tile::getMmaWarps(int64_t m, int64_t n, int64_t numWarps, bool rowsFirst) {
  std::optional<std::array<int64_t, 2>> best;
  int64_t bestElements = 0;
  for (int64_t rows = 1; rows <= numWarps; rows *= 2) {
    int64_t cols = numWarps / rows;
    if (rows * cols != numWarps || m % (rows * 16) != 0 || n % (cols * 8) != 0)
      continue;
    int64_t elements = m * cols + n * rows;
    if (!best || (rowsFirst ? rows > (*best)[0] : elements <= bestElements)) {
      best = {rows, cols};
      bestElements = elements;
    }
  }
  return best;
}

std::optional<std::array<int64_t, 2>>
tile::getWgmmaWarpgroups(int64_t m, int64_t n, int64_t numWarps) {
  if (numWarps % 4 != 0)
    return std::nullopt;
  int64_t groups = numWarps / 4, groupRows = 1;
  while (groupRows * 2 <= groups && m % (64 * groupRows * 2) == 0)
    groupRows *= 2;
  int64_t groupCols = groups / groupRows;
  if (groupRows * groupCols != groups || n % (8 * groupCols) != 0)
    return std::nullopt;
  return std::array<int64_t, 2>{groupRows, groupCols};
}

double tile::estimateMicroseconds(const KernelCost &cost,
                                  const TargetPeak &peak) {
  double bytes = static_cast<double>(cost.bytesRead + cost.bytesWritten);
  return 1e6 * std::max(cost.flops / peak.flopsPerSecond,
                        bytes / peak.bytesPerSecond);
}
