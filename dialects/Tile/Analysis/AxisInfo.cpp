//===- AxisInfo.cpp - What index tiles look like along each axis ----------===//
//
// The transfer functions rest on one fact about aligned runs: when run starts
// are multiples of L and a boundary b (a multiple of a divisor, the bound of a
// comparison) is a multiple of L too, no run of length L strictly contains b.
// So `x / c` and `x < c` are constant, and `x % c` steps by one, over aligned
// runs of any L dividing x's contiguity, the divisibility of x's run starts
// and c.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tile/Analysis/AxisInfo.h"

#include "dialects/Tile/IR/TileOps.h"

#include "mlir/Analysis/DataFlow/ConstantPropagationAnalysis.h"
#include "mlir/Analysis/DataFlow/DeadCodeAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <numeric>

using namespace mlir;
using namespace mlir::dataflow;
using namespace meld;
using namespace meld::tile;

/// The largest power of two dividing `value` (that of 0 is the largest
/// tracked).
static int64_t powerOfTwoDividing(int64_t value) {
  if (value == 0)
    return AxisInfo::kMaxDivisibility;
  uint64_t magnitude = value < 0 ? -static_cast<uint64_t>(value) : value;
  return std::min<int64_t>(AxisInfo::kMaxDivisibility,
                           int64_t(1) << llvm::countr_zero(magnitude));
}

static int64_t gcd(int64_t a, int64_t b) { return std::gcd(a, b); }

AxisInfo AxisInfo::getUnknown(int64_t rank) {
  AxisInfo info;
  info.contiguity.assign(rank, 1);
  info.divisibility.assign(rank, 1);
  info.constancy.assign(rank, 1);
  info.initialized = true;
  return info;
}

AxisInfo AxisInfo::getConstant(int64_t value, ArrayRef<int64_t> shape) {
  AxisInfo info = getUnknown(shape.size());
  info.elementDivisibility = powerOfTwoDividing(value);
  info.divisibility.assign(shape.size(), info.elementDivisibility);
  for (auto [d, size] : llvm::enumerate(shape))
    info.constancy[d] = std::max<int64_t>(1, size);
  info.constant = value;
  return info;
}

int64_t AxisInfo::getRunStartDivisibility(int64_t d, int64_t length) const {
  if (length > 1 && contiguity[d] % length == 0)
    return length == contiguity[d]
               ? divisibility[d]
               : std::min(divisibility[d], powerOfTwoDividing(length));
  // Runs of one element, or runs of one value: the divisibility of elements.
  return contiguity[d] == 1 ? divisibility[d] : elementDivisibility;
}

AxisInfo AxisInfo::join(const AxisInfo &lhs, const AxisInfo &rhs) {
  if (lhs.isUninitialized())
    return rhs;
  if (rhs.isUninitialized() || lhs == rhs)
    return lhs;
  if (lhs.getRank() != rhs.getRank())
    return getUnknown(lhs.getRank());
  AxisInfo info = getUnknown(lhs.getRank());
  for (int64_t d = 0, e = lhs.getRank(); d < e; ++d) {
    info.contiguity[d] = gcd(lhs.contiguity[d], rhs.contiguity[d]);
    info.constancy[d] = gcd(lhs.constancy[d], rhs.constancy[d]);
    info.divisibility[d] =
        std::min(lhs.getRunStartDivisibility(d, info.contiguity[d]),
                 rhs.getRunStartDivisibility(d, info.contiguity[d]));
  }
  info.elementDivisibility =
      std::min(lhs.elementDivisibility, rhs.elementDivisibility);
  if (lhs.constant == rhs.constant)
    info.constant = lhs.constant;
  return info;
}

bool AxisInfo::operator==(const AxisInfo &other) const {
  return initialized == other.initialized && contiguity == other.contiguity &&
         divisibility == other.divisibility && constancy == other.constancy &&
         elementDivisibility == other.elementDivisibility &&
         constant == other.constant;
}

void AxisInfo::print(raw_ostream &os) const {
  if (isUninitialized()) {
    os << "<uninitialized>";
    return;
  }
  auto list = [&](StringRef name, ArrayRef<int64_t> values) {
    os << name << " = [";
    llvm::interleaveComma(values, os);
    os << "]";
  };
  list("contiguity", contiguity);
  list(", divisibility", divisibility);
  list(", constancy", constancy);
  os << ", element divisibility = " << elementDivisibility;
  if (constant)
    os << ", constant = " << *constant;
}

//===----------------------------------------------------------------------===//
// Transfer functions
//===----------------------------------------------------------------------===//

namespace {

/// The dimension sizes of `value` (none for a scalar).
ArrayRef<int64_t> shapeOf(Value value) {
  if (auto type = dyn_cast<RankedTensorType>(value.getType()))
    return type.getShape();
  return {};
}

/// Keeps the divisibility of each dimension at least that of every element.
AxisInfo finish(AxisInfo info) {
  for (int64_t &divisibility : info.divisibility)
    divisibility = std::max(divisibility, info.elementDivisibility);
  info.initialized = true;
  return info;
}

/// `a + b` (`a - b` where `subtract`), of `shape`.
AxisInfo addInfo(const AxisInfo &a, const AxisInfo &b, bool subtract,
                 ArrayRef<int64_t> shape) {
  if (a.constant && b.constant)
    return AxisInfo::getConstant(subtract ? *a.constant - *b.constant
                                          : *a.constant + *b.constant,
                                 shape);
  AxisInfo info = AxisInfo::getUnknown(a.getRank());
  for (int64_t d = 0, e = a.getRank(); d < e; ++d) {
    // Steps by one where one side does and the other is constant; a
    // difference steps down where its right side steps.
    int64_t length = gcd(a.contiguity[d], b.constancy[d]);
    if (!subtract)
      length = std::max(length, gcd(a.constancy[d], b.contiguity[d]));
    info.contiguity[d] = length;
    info.constancy[d] = gcd(a.constancy[d], b.constancy[d]);
    info.divisibility[d] = std::min(a.getRunStartDivisibility(d, length),
                                    b.getRunStartDivisibility(d, length));
  }
  info.elementDivisibility =
      std::min(a.elementDivisibility, b.elementDivisibility);
  return finish(info);
}

/// `a * b`, of `shape`.
AxisInfo mulInfo(const AxisInfo &a, const AxisInfo &b,
                 ArrayRef<int64_t> shape) {
  if (a.constant && b.constant)
    return AxisInfo::getConstant(*a.constant * *b.constant, shape);
  if (b.constant == 1)
    return a;
  if (a.constant == 1)
    return b;
  AxisInfo info = AxisInfo::getUnknown(a.getRank());
  for (int64_t d = 0, e = a.getRank(); d < e; ++d) {
    info.constancy[d] = gcd(a.constancy[d], b.constancy[d]);
    info.divisibility[d] = std::min(AxisInfo::kMaxDivisibility,
                                    a.getRunStartDivisibility(d, 1) *
                                        b.getRunStartDivisibility(d, 1));
  }
  info.elementDivisibility =
      std::min(AxisInfo::kMaxDivisibility,
               a.elementDivisibility * b.elementDivisibility);
  return finish(info);
}

/// The length of the aligned runs of `a` along `d` that contain no multiple
/// of `boundary` but at their start (1 unless `a` steps by one there).
int64_t runsAvoiding(const AxisInfo &a, int64_t d, int64_t boundary) {
  if (a.contiguity[d] == 1)
    return 1;
  return gcd(gcd(a.contiguity[d], a.divisibility[d]), boundary);
}

/// `a / c` and `a % c` (unsigned), of `shape`, for a positive constant `c`.
AxisInfo divRemInfo(const AxisInfo &a, int64_t c, bool remainder,
                    ArrayRef<int64_t> shape) {
  if (a.constant)
    return AxisInfo::getConstant(remainder ? *a.constant % c : *a.constant / c,
                                 shape);
  if (c == 1)
    return remainder ? AxisInfo::getConstant(0, shape) : a;
  AxisInfo info = AxisInfo::getUnknown(a.getRank());
  for (int64_t d = 0, e = a.getRank(); d < e; ++d) {
    int64_t length = runsAvoiding(a, d, c);
    info.constancy[d] = a.constancy[d];
    if (!remainder) {
      // Constant between multiples of c.
      info.constancy[d] = std::max(info.constancy[d], length);
      continue;
    }
    // Steps by one between multiples of c; each run starts at its start in
    // `a` less a multiple of c.
    info.contiguity[d] = length;
    info.divisibility[d] =
        std::min(a.getRunStartDivisibility(d, length), powerOfTwoDividing(c));
  }
  if (remainder)
    info.elementDivisibility =
        std::min(a.elementDivisibility, powerOfTwoDividing(c));
  return finish(info);
}

/// `a <predicate> b` for integer tiles.
AxisInfo compareInfo(arith::CmpIPredicate predicate, const AxisInfo &a,
                     const AxisInfo &b) {
  using P = arith::CmpIPredicate;
  AxisInfo info = AxisInfo::getUnknown(a.getRank());
  for (int64_t d = 0, e = a.getRank(); d < e; ++d)
    info.constancy[d] = gcd(a.constancy[d], b.constancy[d]);
  // With a constant on one side, the comparison flips (at most once in a
  // run that steps by one) between `boundary - 1` and `boundary`: `x < c`
  // and `x >= c` at c, `x <= c` and `x > c` at c + 1, and the other way
  // round with the constant on the left.
  bool flipsAtBound =
      llvm::is_contained({P::ult, P::slt, P::uge, P::sge}, predicate);
  bool flipsAfterBound =
      llvm::is_contained({P::ule, P::sle, P::ugt, P::sgt}, predicate);
  if (!flipsAtBound && !flipsAfterBound)
    return finish(info);
  const AxisInfo *stepping = &a;
  std::optional<int64_t> boundary;
  if (b.constant) {
    boundary = flipsAtBound ? *b.constant : *b.constant + 1;
  } else if (a.constant) {
    stepping = &b;
    boundary = flipsAtBound ? *a.constant + 1 : *a.constant;
  }
  if (!boundary)
    return finish(info);
  for (int64_t d = 0, e = a.getRank(); d < e; ++d)
    info.constancy[d] =
        std::max(info.constancy[d], runsAvoiding(*stepping, d, *boundary));
  return finish(info);
}

} // namespace
//===----------------------------------------------------------------------===//
// AxisInfoAnalysis
//===----------------------------------------------------------------------===//

void AxisInfoAnalysis::setToEntryState(AxisInfoLattice *lattice) {
  propagateIfChanged(lattice, lattice->join(AxisInfo::getUnknown(
                                  shapeOf(lattice->getAnchor()).size())));
}

/// The facts `op` gives its integer result, from those of its operands;
/// nothing for an op it knows nothing of.
static std::optional<AxisInfo> transfer(Operation *op,
                                        ArrayRef<const AxisInfo *> operands) {
  if (op->getNumResults() != 1)
    return std::nullopt;
  ArrayRef<int64_t> shape = shapeOf(op->getResult(0));
  auto operand = [&](unsigned i) -> const AxisInfo & { return *operands[i]; };
  return llvm::TypeSwitch<Operation *, std::optional<AxisInfo>>(op)
      .Case([&](arith::ConstantOp constant) -> std::optional<AxisInfo> {
        if (auto value = dyn_cast<IntegerAttr>(constant.getValue()))
          return AxisInfo::getConstant(value.getInt(), shape);
        auto elements = dyn_cast<DenseIntElementsAttr>(constant.getValue());
        if (!elements)
          return std::nullopt;
        if (elements.isSplat())
          return AxisInfo::getConstant(
              elements.getSplatValue<APInt>().getSExtValue(), shape);
        AxisInfo info = AxisInfo::getUnknown(shape.size());
        info.elementDivisibility = AxisInfo::kMaxDivisibility;
        for (const APInt &value : elements.getValues<APInt>())
          info.elementDivisibility =
              std::min(info.elementDivisibility,
                       powerOfTwoDividing(value.getSExtValue()));
        return finish(info);
      })
      .Case([&](tensor::SplatOp) {
        const AxisInfo &scalar = operand(0);
        AxisInfo info = AxisInfo::getUnknown(shape.size());
        for (auto [d, size] : llvm::enumerate(shape))
          info.constancy[d] = std::max<int64_t>(1, size);
        info.elementDivisibility = scalar.elementDivisibility;
        info.constant = scalar.constant;
        return finish(info);
      })
      .Case([&](IotaOp iota) {
        int64_t dim = iota.getDim();
        if (shape[dim] == 1)
          return AxisInfo::getConstant(0, shape);
        AxisInfo info = AxisInfo::getUnknown(shape.size());
        for (auto [d, size] : llvm::enumerate(shape))
          info.constancy[d] = std::max<int64_t>(1, size);
        info.constancy[dim] = 1;
        info.contiguity[dim] = shape[dim];
        info.divisibility[dim] = AxisInfo::kMaxDivisibility;
        return finish(info);
      })
      .Case([&](BroadcastOp broadcast) {
        const AxisInfo &input = operand(0);
        AxisInfo info = AxisInfo::getUnknown(shape.size());
        ArrayRef<int64_t> inserted = broadcast.getDims();
        for (int64_t d = 0, from = 0, e = shape.size(); d < e; ++d) {
          if (llvm::is_contained(inserted, d)) {
            info.constancy[d] = shape[d];
            continue;
          }
          info.contiguity[d] = input.contiguity[from];
          info.divisibility[d] = input.divisibility[from];
          info.constancy[d] = input.constancy[from];
          ++from;
        }
        info.elementDivisibility = input.elementDivisibility;
        info.constant = input.constant;
        return finish(info);
      })
      .Case([&](arith::AddIOp) {
        return addInfo(operand(0), operand(1), /*subtract=*/false, shape);
      })
      .Case([&](arith::SubIOp) {
        return addInfo(operand(0), operand(1), /*subtract=*/true, shape);
      })
      .Case(
          [&](arith::MulIOp) { return mulInfo(operand(0), operand(1), shape); })
      .Case<arith::DivUIOp, arith::RemUIOp>(
          [&](Operation *op) -> std::optional<AxisInfo> {
            std::optional<int64_t> divisor = operand(1).constant;
            if (!divisor || *divisor <= 0)
              return std::nullopt;
            return divRemInfo(operand(0), *divisor, isa<arith::RemUIOp>(op),
                              shape);
          })
      .Case([&](arith::CmpIOp compare) {
        return compareInfo(compare.getPredicate(), operand(0), operand(1));
      })
      .Case<arith::AndIOp, arith::OrIOp, arith::XOrIOp>([&](Operation *) {
        // Constant where both sides are.
        AxisInfo info = AxisInfo::getUnknown(shape.size());
        for (int64_t d = 0, e = shape.size(); d < e; ++d)
          info.constancy[d] =
              gcd(operand(0).constancy[d], operand(1).constancy[d]);
        return finish(info);
      })
      .Case([&](arith::SelectOp) {
        const AxisInfo &condition = operand(0);
        const AxisInfo &a = operand(1), &b = operand(2);
        AxisInfo info = AxisInfo::getUnknown(shape.size());
        for (int64_t d = 0, e = shape.size(); d < e; ++d) {
          // A scalar condition picks one side for the whole tile.
          int64_t picks = condition.getRank() == 0
                              ? std::max<int64_t>(1, shape[d])
                              : condition.constancy[d];
          int64_t length = gcd(picks, gcd(a.contiguity[d], b.contiguity[d]));
          info.contiguity[d] = length;
          info.constancy[d] = gcd(picks, gcd(a.constancy[d], b.constancy[d]));
          info.divisibility[d] = std::min(a.getRunStartDivisibility(d, length),
                                          b.getRunStartDivisibility(d, length));
        }
        info.elementDivisibility =
            std::min(a.elementDivisibility, b.elementDivisibility);
        if (a.constant == b.constant)
          info.constant = a.constant;
        return finish(info);
      })
      .Case<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtUIOp,
            arith::ExtSIOp>([&](Operation *) { return operand(0); })
      .Default([](Operation *) { return std::nullopt; });
}

LogicalResult
AxisInfoAnalysis::visitOperation(Operation *op,
                                 ArrayRef<const AxisInfoLattice *> operands,
                                 ArrayRef<AxisInfoLattice *> results) {
  // Wait until every operand has been reached.
  if (llvm::any_of(operands, [](const AxisInfoLattice *lattice) {
        return lattice->getValue().isUninitialized();
      }))
    return success();
  SmallVector<const AxisInfo *> infos;
  for (const AxisInfoLattice *lattice : operands)
    infos.push_back(&lattice->getValue());
  std::optional<AxisInfo> info = transfer(op, infos);
  // What the transfer functions give has the result's rank; anything else
  // would be a bug here, and is taken as knowing nothing.
  if (info &&
      info->getRank() != static_cast<int64_t>(shapeOf(op->getResult(0)).size()))
    info.reset();
  if (!info) {
    setAllToEntryStates(results);
    return success();
  }
  propagateIfChanged(results.front(), results.front()->join(*info));
  return success();
}

void AxisInfoAnalysis::visitNonControlFlowArguments(
    Operation *op, const RegionSuccessor &successor,
    ArrayRef<AxisInfoLattice *> lattices, unsigned firstIndex) {
  auto loop = dyn_cast<LoopLikeOpInterface>(op);
  std::optional<Value> iv = loop ? loop.getSingleInductionVar() : std::nullopt;
  if (!iv)
    return SparseForwardDataFlowAnalysis::visitNonControlFlowArguments(
        op, successor, lattices, firstIndex);
  // The induction variable is its lower bound plus multiples of its step.
  auto divisibilityOf = [&](std::optional<OpFoldResult> bound) -> int64_t {
    if (!bound)
      return 1;
    if (std::optional<int64_t> constant = getConstantIntValue(*bound))
      return powerOfTwoDividing(*constant);
    const AxisInfoLattice *lattice = getLatticeElementFor(
        getProgramPointBefore(iv->getParentBlock()), cast<Value>(*bound));
    if (lattice->getValue().isUninitialized())
      return 1;
    return lattice->getValue().elementDivisibility;
  };
  AxisInfo info = AxisInfo::getUnknown(0);
  info.elementDivisibility =
      std::min(divisibilityOf(loop.getSingleLowerBound()),
               divisibilityOf(loop.getSingleStep()));
  AxisInfoLattice *lattice = getLatticeElement(*iv);
  propagateIfChanged(lattice, lattice->join(info));
}

LogicalResult meld::tile::runAxisInfoAnalysis(DataFlowSolver &solver,
                                              Operation *root) {
  solver.load<dataflow::DeadCodeAnalysis>();
  solver.load<dataflow::SparseConstantPropagation>();
  solver.load<AxisInfoAnalysis>();
  return solver.initializeAndRun(root);
}

const AxisInfo *meld::tile::lookupAxisInfo(const DataFlowSolver &solver,
                                           Value value) {
  auto *lattice = solver.lookupState<AxisInfoLattice>(value);
  return lattice && !lattice->getValue().isUninitialized()
             ? &lattice->getValue()
             : nullptr;
}

int64_t meld::tile::getConsecutiveRun(const AxisInfo &offsets,
                                      ArrayRef<int64_t> shape) {
  if (shape.empty())
    return 1;
  int64_t last = shape.size() - 1;
  return gcd(offsets.contiguity[last], shape[last]);
}

int64_t meld::tile::getAccessContiguity(const AxisInfo &offsets,
                                        const AxisInfo *mask,
                                        ArrayRef<int64_t> shape) {
  if (shape.empty())
    return 1;
  return getAccessContiguityAlong(offsets, mask, shape, shape.size() - 1);
}

int64_t meld::tile::getAccessContiguityAlong(const AxisInfo &offsets,
                                             const AxisInfo *mask,
                                             ArrayRef<int64_t> shape,
                                             int64_t dim) {
  if (shape.empty() || offsets.isUninitialized() ||
      (mask && mask->isUninitialized()))
    return 1;
  // The runs' length divides the dimension's size, the offsets' runs and
  // the mask's runs there.
  int64_t length = gcd(offsets.contiguity[dim], shape[dim]);
  if (mask)
    length = gcd(length, mask->constancy[dim]);
  // A power of two dividing all of those, whose multiples the offsets' runs
  // start at.
  return std::min(powerOfTwoDividing(length), offsets.divisibility[dim]);
}
