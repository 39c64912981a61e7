//===- SimplifyIndices.cpp - Cancel divisions in a kernel's offsets -------===//
//
// A chain of reshapes and transposes (a head split, its transpose back, the
// key/value heads shared by several query heads) reaches a kernel as offsets
// computed by dividing a linear index into coordinates and recombining them,
// over and over: `((h * 4096 + k + d * 64) / 64) % 64` is `d`. Each division
// and remainder is an op on a whole tile, which the host computes on every
// element (a multiply-high sequence per SIMD register) and every GPU thread
// for each of its elements. With the bounds of the values involved (iotas,
// program ids, loop counters and constants are bounded), such a division
// cancels into the sum's own terms, and what only splats compute is computed
// once, as a scalar.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tile/Analysis/AxisInfo.h"
#include "dialects/Tile/Transforms/Passes.h"

#include "mlir/Analysis/DataFlowFramework.h"
#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Analysis/TopologicalSortUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <numeric>

namespace meld::tile {
#define GEN_PASS_DEF_TILESIMPLIFYINDICES
#include "dialects/Tile/Transforms/Passes.h.inc"
} // namespace meld::tile

using namespace mlir;
using namespace meld;
using namespace meld::tile;

namespace {

/// Sums and bounds at or above this are given up: every rewrite stays exact
/// in 64-bit indices with room to spare.
constexpr uint64_t kLimit = uint64_t(1) << 62;

/// The largest value an index (or a tile of them) can hold, where it is known
/// never to be negative; none otherwise. Computed afresh for each op rewritten.
class Bounds {
public:
  std::optional<uint64_t> getUpperBound(Value v, unsigned depth = 0) {
    if (auto it = cache.find(v); it != cache.end())
      return it->second;
    std::optional<uint64_t> bound = compute(v, depth);
    cache[v] = bound;
    return bound;
  }

private:
  std::optional<uint64_t> compute(Value v, unsigned depth);
  /// Values are shared by several users: without it, a chain's bound would
  /// take exponential time.
  DenseMap<Value, std::optional<uint64_t>> cache;
};

std::optional<uint64_t> Bounds::compute(Value v, unsigned depth) {
  // Only indices (offsets): narrower integers could wrap where the sum
  // does not.
  if (depth > 64 || !getElementTypeOrSelf(v.getType()).isIndex())
    return std::nullopt;
  auto bounded = [&](std::optional<uint64_t> b) -> std::optional<uint64_t> {
    if (b && *b < kLimit)
      return b;
    return std::nullopt;
  };
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    // A loop counter, from a lower bound of 0 or more up to its bound.
    auto loop = dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp());
    if (!loop || arg != loop.getInductionVar())
      return std::nullopt;
    std::optional<int64_t> lower = getConstantIntValue(loop.getLowerBound());
    std::optional<int64_t> step = getConstantIntValue(loop.getStep());
    std::optional<uint64_t> upper =
        getUpperBound(loop.getUpperBound(), depth + 1);
    if (!lower || *lower < 0 || !step || *step <= 0 || !upper ||
        *upper <= static_cast<uint64_t>(*lower))
      return std::nullopt;
    // The last counter below the bound: a step of 32 up to 64 ends at 32.
    return *lower + (*upper - 1 - *lower) / *step * *step;
  }
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  // An integer or a splat of one (m_ConstantInt takes both).
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return *c >= 0 ? std::optional<uint64_t>(*c) : std::nullopt;
  if (auto splat = dyn_cast<tensor::SplatOp>(def))
    return getUpperBound(splat.getInput(), depth + 1);
  if (auto iota = dyn_cast<IotaOp>(def))
    return iota.getType().getDimSize(iota.getDim()) - 1;
  if (auto pid = dyn_cast<ProgramIdOp>(def)) {
    ArrayRef<int64_t> grid = pid->getParentOfType<KernelOp>().getGrid();
    if (pid.getDim() >= grid.size() || grid[pid.getDim()] < 1)
      return std::nullopt;
    return grid[pid.getDim()] - 1;
  }
  auto both = [&](Value a, Value b) {
    return std::make_pair(getUpperBound(a, depth + 1),
                          getUpperBound(b, depth + 1));
  };
  if (auto add = dyn_cast<arith::AddIOp>(def)) {
    auto [a, b] = both(add.getLhs(), add.getRhs());
    if (!a || !b)
      return std::nullopt;
    return bounded(*a + *b);
  }
  if (auto mul = dyn_cast<arith::MulIOp>(def)) {
    auto [a, b] = both(mul.getLhs(), mul.getRhs());
    if (!a || !b || (*a != 0 && *b > kLimit / *a))
      return std::nullopt;
    return bounded(*a * *b);
  }
  if (isa<arith::DivUIOp, arith::RemUIOp>(def)) {
    // By a positive constant: its bound is its value.
    Value rhs = def->getOperand(1);
    std::optional<uint64_t> divisor = getUpperBound(rhs, depth + 1);
    if (!divisor || *divisor == 0 || !matchPattern(rhs, m_Constant()))
      return std::nullopt;
    std::optional<uint64_t> a = getUpperBound(def->getOperand(0), depth + 1);
    if (isa<arith::RemUIOp>(def))
      return a ? std::min(*a, *divisor - 1) : *divisor - 1;
    return a ? std::optional<uint64_t>(*a / *divisor) : std::nullopt;
  }
  if (isa<arith::MinSIOp, arith::MinUIOp>(def)) {
    auto [a, b] = both(def->getOperand(0), def->getOperand(1));
    if (!a || !b)
      return std::nullopt;
    return std::min(*a, *b);
  }
  if (isa<arith::MaxSIOp, arith::MaxUIOp>(def)) {
    auto [a, b] = both(def->getOperand(0), def->getOperand(1));
    if (!a || !b)
      return std::nullopt;
    return std::max(*a, *b);
  }
  return std::nullopt;
}

/// A number every value of the index `v` is a multiple of: for a loop
/// counter, of its lower bound and its step (a counter from 0 by 16 takes
/// only multiples of 16); 1 for anything else.
static uint64_t getKnownFactor(Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  auto loop =
      arg ? dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp()) : scf::ForOp();
  if (!loop || arg != loop.getInductionVar())
    return 1;
  std::optional<int64_t> lower = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (!lower || *lower < 0 || !step || *step <= 0)
    return 1;
  return std::gcd(static_cast<uint64_t>(*lower), static_cast<uint64_t>(*step));
}

/// The value of the constant `v` (an integer or a splat of one), where it
/// is one and not negative.
static std::optional<uint64_t> getConstant(Value v) {
  if (!matchPattern(v, m_Constant()))
    return std::nullopt;
  return Bounds().getUpperBound(v);
}

/// A sum of terms `coefficient * atom` and a constant, every atom bounded.
struct LinearSum {
  SmallVector<std::pair<uint64_t, Value>> terms;
  uint64_t constant = 0;
};

/// `v` as a LinearSum over the values it adds and scales by constants; none
/// where an atom is unbounded.
static std::optional<LinearSum> linearize(Bounds &bounds, Value v) {
  LinearSum sum;
  SmallVector<std::pair<uint64_t, Value>> work = {{1, v}};
  while (!work.empty()) {
    auto [coefficient, value] = work.pop_back_val();
    if (sum.terms.size() + work.size() > 16)
      return std::nullopt;
    if (std::optional<uint64_t> c = getConstant(value)) {
      if (*c && coefficient > kLimit / *c)
        return std::nullopt;
      sum.constant += coefficient * *c;
      continue;
    }
    // A splat's terms are its scalar's (splatted again when rebuilt).
    if (auto splat = value.getDefiningOp<tensor::SplatOp>()) {
      work.push_back({coefficient, splat.getInput()});
      continue;
    }
    if (auto add = value.getDefiningOp<arith::AddIOp>()) {
      work.push_back({coefficient, add.getLhs()});
      work.push_back({coefficient, add.getRhs()});
      continue;
    }
    if (auto mul = value.getDefiningOp<arith::MulIOp>()) {
      std::optional<uint64_t> c = getConstant(mul.getRhs());
      Value other = mul.getLhs();
      if (!c) {
        c = getConstant(mul.getLhs());
        other = mul.getRhs();
      }
      if (c && *c > 0) {
        if (coefficient > kLimit / *c)
          return std::nullopt;
        work.push_back({coefficient * *c, other});
        continue;
      }
    }
    if (!bounds.getUpperBound(value))
      return std::nullopt;
    sum.terms.push_back({coefficient, value});
  }
  if (sum.constant >= kLimit)
    return std::nullopt;
  return sum;
}

/// The largest value of `terms` plus `constant`.
static std::optional<uint64_t>
getUpperBound(Bounds &bounds, ArrayRef<std::pair<uint64_t, Value>> terms,
              uint64_t constant) {
  uint64_t total = constant;
  for (auto [coefficient, atom] : terms) {
    std::optional<uint64_t> bound = bounds.getUpperBound(atom);
    if (!bound || (*bound && coefficient > kLimit / *bound))
      return std::nullopt;
    total += coefficient * *bound;
    if (total >= kLimit)
      return std::nullopt;
  }
  return total;
}

/// `sum(coefficient * atom) + constant` as ops of type `type` (a scalar
/// atom of a tile's sum splatted).
static Value build(PatternRewriter &rewriter, Location loc, Type type,
                   ArrayRef<std::pair<uint64_t, Value>> terms,
                   uint64_t constant) {
  auto constantOf = [&](uint64_t c) -> Value {
    Type element = getElementTypeOrSelf(type);
    TypedAttr value = rewriter.getIntegerAttr(element, c);
    if (auto shaped = dyn_cast<ShapedType>(type))
      value = DenseElementsAttr::get(shaped, value);
    return arith::ConstantOp::create(rewriter, loc, value);
  };
  Value result;
  for (auto [coefficient, atom] : terms) {
    Value term = atom;
    if (atom.getType() != type)
      term = tensor::SplatOp::create(rewriter, loc, type, atom);
    if (coefficient != 1)
      term =
          arith::MulIOp::create(rewriter, loc, term, constantOf(coefficient));
    result = result ? arith::AddIOp::create(rewriter, loc, result, term) : term;
  }
  if (constant != 0 || !result) {
    Value c = constantOf(constant);
    result = result ? arith::AddIOp::create(rewriter, loc, result, c) : c;
  }
  return result;
}

namespace {
/// How `x / D` and `x % D` simplify, x a sum of bounded terms.
struct Division {
  /// The terms D divides (their coefficients divided), and the others.
  SmallVector<std::pair<uint64_t, Value>> quotient, rest;
  uint64_t quotientConstant = 0, restConstant = 0;
  /// Whether the rest stays below D: the division cancels.
  bool below = false;
  /// Otherwise, the term of `rest` that splits (see CancelDivision).
  std::optional<size_t> split;
};
} // namespace

/// How `lhs / d` and `lhs % d` simplify; none where lhs is not a sum of
/// bounded terms.
static std::optional<Division> analyzeDivision(Bounds &bounds, Value lhs,
                                               uint64_t d) {
  std::optional<LinearSum> sum = linearize(bounds, lhs);
  if (!sum)
    return std::nullopt;
  Division division;
  for (auto [coefficient, atom] : sum->terms) {
    if (coefficient % d == 0)
      division.quotient.push_back({coefficient / d, atom});
    else
      division.rest.push_back({coefficient, atom});
  }
  division.quotientConstant = sum->constant / d;
  division.restConstant = sum->constant % d;
  std::optional<uint64_t> restBound =
      getUpperBound(bounds, division.rest, division.restConstant);
  if (!restBound)
    return std::nullopt;
  if (*restBound < d) {
    division.below = true;
    return division;
  }
  // One term `c * v`, v a multiple of m, with c * m dividing d and the
  // rest below c * m.
  for (size_t i = 0; i < division.rest.size(); ++i) {
    auto [c, v] = division.rest[i];
    uint64_t m = getKnownFactor(v);
    // (With c * m = 1, or v alone, the division would be the same again.)
    if (c > kLimit / m || c * m == 1 || d % (c * m) != 0 ||
        (c == 1 && sum->terms.size() == 1 && sum->constant == 0))
      continue;
    SmallVector<std::pair<uint64_t, Value>> others(division.rest);
    others.erase(others.begin() + i);
    std::optional<uint64_t> othersBound =
        getUpperBound(bounds, others, division.restConstant);
    if (othersBound && *othersBound < c * m) {
      division.split = i;
      break;
    }
  }
  return division;
}

/// `x / D` and `x % D` (unsigned, D a constant) where `x` is a sum of
/// bounded terms: the terms whose coefficient D divides go to the quotient
/// whole; if the others stay below D they are the remainder, and if one of
/// them, `c * v` with c dividing D, has the rest below c, the quotient also
/// takes `v / (D / c)` and the remainder is `c * (v % (D / c))` plus the
/// rest. Where v is known to be a multiple of m (a loop counter stepping by
/// m), the same holds with c * m in place of c in those conditions: in a
/// loop over k by 16, `(k + j) % 32` with j < 16 is `k % 32 + j`, a scalar
/// remainder and a splat. Otherwise the terms D divides still leave the
/// division, which is then of the others alone.
template <typename OpTy> struct CancelDivision : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  static constexpr bool isRemainder = std::is_same_v<OpTy, arith::RemUIOp>;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Bounds bounds;
    std::optional<uint64_t> divisor = getConstant(op.getRhs());
    if (!divisor || *divisor == 0)
      return rewriter.notifyMatchFailure(op, "not by a positive constant");
    uint64_t d = *divisor;
    std::optional<Division> division = analyzeDivision(bounds, op.getLhs(), d);
    if (!division)
      return rewriter.notifyMatchFailure(op, "not a sum of bounded terms");
    auto &[quotient, rest, quotientConstant, restConstant, below, split] =
        *division;
    Location loc = op.getLoc();
    Type type = op.getType();
    if (below) {
      if (quotient.empty() && quotientConstant == 0) {
        // Already below the divisor: the quotient is 0, the remainder the
        // value itself.
        rewriter.replaceOp(op, isRemainder ? op.getLhs()
                                           : build(rewriter, loc, type, {}, 0));
        return success();
      }
      rewriter.replaceOp(
          op, isRemainder
                  ? build(rewriter, loc, type, rest, restConstant)
                  : build(rewriter, loc, type, quotient, quotientConstant));
      return success();
    }
    if (split) {
      auto [c, v] = rest[*split];
      SmallVector<std::pair<uint64_t, Value>> others(rest);
      others.erase(others.begin() + *split);
      Value radix = build(rewriter, loc, v.getType(), {}, d / c);
      if (isRemainder) {
        Value digit = arith::RemUIOp::create(rewriter, loc, v, radix);
        others.push_back({c, digit});
        rewriter.replaceOp(op,
                           build(rewriter, loc, type, others, restConstant));
      } else {
        Value digit = arith::DivUIOp::create(rewriter, loc, v, radix);
        quotient.push_back({1, digit});
        rewriter.replaceOp(
            op, build(rewriter, loc, type, quotient, quotientConstant));
      }
      return success();
    }
    // What D divides leaves the division alone: x % D is rest % D, and
    // x / D is the quotient's terms plus rest / D. (`(iota + 128 * p) % 32`
    // is `iota % 32`, a constant once the iota is one.)
    if (quotient.empty() && quotientConstant == 0)
      return rewriter.notifyMatchFailure(op, "the terms do not cancel");
    Value restValue = build(rewriter, loc, type, rest, restConstant);
    if (isRemainder) {
      rewriter.replaceOpWithNewOp<arith::RemUIOp>(op, restValue, op.getRhs());
      return success();
    }
    quotient.push_back(
        {1, arith::DivUIOp::create(rewriter, loc, restValue, op.getRhs())});
    rewriter.replaceOp(op,
                       build(rewriter, loc, type, quotient, quotientConstant));
    return success();
  }
};

/// Integer math on tiles that are each one value (splats) as scalar math,
/// then a splat.
struct ScalarizeSplats : RewritePattern {
  ScalarizeSplats(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<arith::ArithDialect>(op->getDialect()) ||
        !OpTrait::hasElementwiseMappableTraits(op) ||
        op->getNumResults() != 1 || op->getNumOperands() == 0)
      return failure();
    auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!type || !type.getElementType().isIntOrIndex())
      return failure();
    // A splat constant alone is already folded.
    if (llvm::all_of(op->getOperands(),
                     [](Value v) { return matchPattern(v, m_Constant()); }))
      return failure();
    for (Value operand : op->getOperands()) {
      DenseElementsAttr dense;
      if (!operand.getDefiningOp<tensor::SplatOp>() &&
          !(matchPattern(operand, m_Constant(&dense)) && dense.isSplat()))
        return failure();
    }
    SmallVector<Value> scalars;
    for (Value operand : op->getOperands()) {
      if (auto splat = operand.getDefiningOp<tensor::SplatOp>()) {
        scalars.push_back(splat.getInput());
        continue;
      }
      DenseElementsAttr dense;
      (void)matchPattern(operand, m_Constant(&dense));
      scalars.push_back(arith::ConstantOp::create(
          rewriter, op->getLoc(), dense.getSplatValue<TypedAttr>()));
    }
    OperationState state(op->getLoc(), op->getName(), scalars,
                         TypeRange{type.getElementType()}, op->getAttrs());
    Operation *scalar = rewriter.create(state);
    rewriter.replaceOpWithNewOp<tensor::SplatOp>(op, type,
                                                 scalar->getResult(0));
    return success();
  }
};

/// A comparison of a bounded index with a constant its bound decides, as
/// that constant: a mask term `d < 64` on a dimension of 64 is true in
/// every lane, and the mask's other terms are then all it tests (what the
/// tensor memory accelerator's box needs to see).
struct FoldBoundedCompare : OpRewritePattern<arith::CmpIOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::CmpIOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<uint64_t> n = getConstant(op.getRhs());
    if (!n)
      return rewriter.notifyMatchFailure(op, "not against a constant");
    Bounds bounds;
    std::optional<uint64_t> bound = bounds.getUpperBound(op.getLhs());
    if (!bound || *bound >= *n)
      return rewriter.notifyMatchFailure(op, "the bound does not decide it");
    // Every value from 0 to the bound compares with n alike: as the bound
    // does (both below 2^62, so signed and unsigned agree).
    bool value = arith::applyCmpPredicate(
        op.getPredicate(), llvm::APInt(64, *bound), llvm::APInt(64, *n));
    Type type = op.getType();
    TypedAttr attr = rewriter.getBoolAttr(value);
    if (auto tile = dyn_cast<ShapedType>(type))
      attr = DenseElementsAttr::get(tile, value);
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type, attr);
    return success();
  }
};

/// The terms `x < N` (x an index tile, N a constant) a mask is the
/// conjunction of, among others.
static SmallVector<std::pair<Value, uint64_t>> getMaskBounds(Value mask) {
  SmallVector<std::pair<Value, uint64_t>> bounds;
  SmallVector<Value> work = {mask};
  while (!work.empty()) {
    Value value = work.pop_back_val();
    if (auto both = value.getDefiningOp<arith::AndIOp>()) {
      work.push_back(both.getLhs());
      work.push_back(both.getRhs());
      continue;
    }
    auto compare = value.getDefiningOp<arith::CmpIOp>();
    if (!compare || compare.getPredicate() != arith::CmpIPredicate::ult ||
        !getElementTypeOrSelf(compare.getLhs().getType()).isIndex())
      continue;
    if (std::optional<uint64_t> n = getConstant(compare.getRhs()); n && *n > 0)
      bounds.push_back({compare.getLhs(), *n});
  }
  return bounds;
}

/// Lanes a mask turns off read and write nothing, so in the offsets of a
/// masked access a term `x` the mask bounds (`x < N`) may be
/// `min(x, N - 1)`: its bound is then N - 1 wherever the last tile overhangs
/// the end, and divisions of the offsets by x's true range cancel (the keys
/// of a transposed key block past the sequence's end). Only gathers and
/// scatters, whose offsets have no runs of consecutive elements the axis
/// analysis could lose through the minimum, and only where a division of
/// the offsets then cancels.
static void clampMaskedOffsets(KernelOp kernel) {
  DataFlowSolver solver;
  if (failed(runAxisInfoAnalysis(solver, kernel)))
    return;
  // Each gather or scatter with a mask: the op, its offsets, its mask.
  SmallVector<std::tuple<Operation *, OpOperand *, Value>> accesses;
  kernel.walk([&](Operation *op) {
    OpOperand *offsets = nullptr;
    Value mask;
    if (auto load = dyn_cast<LoadOp>(op)) {
      offsets = &load.getOffsetsMutable();
      mask = load.getMask();
    } else if (auto store = dyn_cast<StoreOp>(op)) {
      offsets = &store.getOffsetsMutable();
      mask = store.getMask();
    }
    if (!offsets || !mask)
      return;
    const AxisInfo *info = lookupAxisInfo(solver, offsets->get());
    auto type = cast<RankedTensorType>(offsets->get().getType());
    if (!info || getConsecutiveRun(*info, type.getShape()) > 1)
      return;
    accesses.push_back({op, offsets, mask});
  });
  for (auto [op, offsets, mask] : accesses) {
    for (auto [x, n] : getMaskBounds(mask)) {
      auto type = dyn_cast<RankedTensorType>(x.getType());
      if (!type)
        continue;
      Bounds bounds;
      if (std::optional<uint64_t> bound = bounds.getUpperBound(x);
          bound && *bound < n)
        continue;
      // The ops of the offsets that depend on x, in order.
      Operation *root = offsets->get().getDefiningOp();
      if (!root)
        continue;
      BackwardSliceOptions options;
      options.inclusive = true;
      options.filter = [&](Operation *def) {
        return kernel->isProperAncestor(def) && def->getNumResults() == 1 &&
               getElementTypeOrSelf(def->getResult(0).getType()).isIndex();
      };
      SetVector<Operation *> slice;
      if (failed(getBackwardSlice(root, &slice, options)))
        continue;
      llvm::SetVector<Operation *> dependent;
      llvm::DenseSet<Value> reached = {x};
      for (Operation *def : topologicalSort(slice)) {
        if (llvm::none_of(def->getOperands(),
                          [&](Value v) { return reached.contains(v); }))
          continue;
        dependent.insert(def);
        reached.insert(def->getResult(0));
      }
      if (!llvm::any_of(dependent, [](Operation *def) {
            return isa<arith::DivUIOp, arith::RemUIOp>(def);
          }))
        continue;
      // The offsets again, x clamped; kept only where a division of them
      // then cancels.
      OpBuilder b(op);
      SmallVector<Operation *> made;
      made.push_back(arith::ConstantOp::create(
          b, op->getLoc(),
          DenseElementsAttr::get(type, b.getIndexAttr(n - 1))));
      made.push_back(arith::MinUIOp::create(b, op->getLoc(), x,
                                            made.back()->getResult(0)));
      IRMapping mapping;
      mapping.map(x, made.back()->getResult(0));
      bool cancels = false;
      Bounds clamped;
      for (Operation *def : dependent) {
        made.push_back(b.clone(*def, mapping));
        if (!isa<arith::DivUIOp, arith::RemUIOp>(def))
          continue;
        Operation *division = made.back();
        std::optional<uint64_t> divisor = getConstant(division->getOperand(1));
        std::optional<Division> plan =
            divisor && *divisor
                ? analyzeDivision(clamped, division->getOperand(0), *divisor)
                : std::nullopt;
        cancels |= plan && (plan->below || plan->split);
      }
      if (!cancels) {
        for (Operation *def : llvm::reverse(made))
          def->erase();
        continue;
      }
      offsets->set(mapping.lookup(offsets->get()));
    }
  }
}

struct TileSimplifyIndices
    : public tile::impl::TileSimplifyIndicesBase<TileSimplifyIndices> {
  void runOnOperation() override {
    clampMaskedOffsets(getOperation());
    RewritePatternSet patterns(&getContext());
    patterns.add<CancelDivision<arith::DivUIOp>, CancelDivision<arith::RemUIOp>,
                 ScalarizeSplats, FoldBoundedCompare>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
