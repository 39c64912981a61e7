//===- BoxAccess.cpp - Tile accesses that are boxes of a tensor -----------===//

#include "dialects/Tile/Analysis/BoxAccess.h"

#include "dialects/Tile/IR/TileOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace meld;
using namespace meld::tile;

void LinearIndex::add(const LinearIndex &other, int64_t factor) {
  constant += factor * other.constant;
  for (auto [value, a] : other.terms)
    terms[value] += factor * a;
  if (iotas.size() < other.iotas.size())
    iotas.resize(other.iotas.size(), 0);
  for (auto [d, b] : llvm::enumerate(other.iotas))
    iotas[d] += factor * b;
}

bool LinearIndex::equals(const LinearIndex &other) const {
  LinearIndex difference = *this;
  difference.add(other, -1);
  return difference.constant == 0 && difference.isScalar() &&
         llvm::all_of(difference.terms,
                      [](const auto &term) { return term.second == 0; });
}

/// The integer `value` holds in every element, where it is a constant.
static std::optional<int64_t> getConstant(Value value) {
  APInt constant;
  if (matchPattern(value, m_ConstantInt(&constant)))
    return constant.getSExtValue();
  return std::nullopt;
}

std::optional<LinearIndex> meld::tile::getLinearIndex(Value value, int depth) {
  LinearIndex result;
  if (std::optional<int64_t> constant = getConstant(value)) {
    result.constant = *constant;
    return result;
  }
  Operation *def = value.getDefiningOp();
  bool scalar = value.getType().isIndex();
  if (depth <= 0 || !def) {
    if (!scalar)
      return std::nullopt;
    result.terms[value] = 1;
    return result;
  }
  if (auto iota = dyn_cast<IotaOp>(def)) {
    result.iotas.assign(iota.getDim() + 1, 0);
    result.iotas[iota.getDim()] = 1;
    return result;
  }
  if (auto splat = dyn_cast<tensor::SplatOp>(def))
    return getLinearIndex(splat.getInput(), depth - 1);
  if (isa<arith::AddIOp, arith::SubIOp>(def)) {
    auto lhs = getLinearIndex(def->getOperand(0), depth - 1);
    auto rhs = getLinearIndex(def->getOperand(1), depth - 1);
    if (!lhs || !rhs)
      return std::nullopt;
    lhs->add(*rhs, isa<arith::AddIOp>(def) ? 1 : -1);
    return lhs;
  }
  if (auto mul = dyn_cast<arith::MulIOp>(def)) {
    for (int side = 0; side < 2; ++side) {
      std::optional<int64_t> factor = getConstant(mul->getOperand(1 - side));
      if (!factor)
        continue;
      auto other = getLinearIndex(mul->getOperand(side), depth - 1);
      if (!other)
        return std::nullopt;
      LinearIndex scaled;
      scaled.add(*other, *factor);
      return scaled;
    }
  }
  if (!scalar)
    return std::nullopt;
  result.terms[value] = 1;
  return result;
}

Value meld::tile::materializeIndex(OpBuilder &builder, Location loc,
                                   const LinearIndex &index) {
  Value result;
  for (auto [value, a] : index.terms) {
    if (a == 0)
      continue;
    Value term = value;
    if (a != 1)
      term = arith::MulIOp::create(
          builder, loc, value, arith::ConstantIndexOp::create(builder, loc, a));
    result = result ? arith::AddIOp::create(builder, loc, result, term) : term;
  }
  if (!result)
    return arith::ConstantIndexOp::create(builder, loc, index.constant);
  if (index.constant != 0)
    result = arith::AddIOp::create(
        builder, loc, result,
        arith::ConstantIndexOp::create(builder, loc, index.constant));
  return result;
}

/// Adds the bounds `mask` (a conjunction of `iota_d + start < bound`) puts
/// on each dimension to `box`; false where it is anything else.
static bool addMaskBounds(Value mask, BoxAccess &box,
                          SmallVectorImpl<bool> &bounded, int depth = 8) {
  Operation *def = mask.getDefiningOp();
  if (!def || depth <= 0)
    return false;
  if (auto both = dyn_cast<arith::AndIOp>(def))
    return addMaskBounds(both.getLhs(), box, bounded, depth - 1) &&
           addMaskBounds(both.getRhs(), box, bounded, depth - 1);
  auto cmp = dyn_cast<arith::CmpIOp>(def);
  if (!cmp || (cmp.getPredicate() != arith::CmpIPredicate::ult &&
               cmp.getPredicate() != arith::CmpIPredicate::slt))
    return false;
  std::optional<int64_t> bound = getConstant(cmp.getRhs());
  std::optional<LinearIndex> index = getLinearIndex(cmp.getLhs());
  if (!bound || *bound <= 0 || !index)
    return false;
  // Exactly one iota, with coefficient 1: what remains is the start.
  int64_t dim = -1;
  for (auto [d, b] : llvm::enumerate(index->iotas)) {
    if (b == 0)
      continue;
    if (b != 1 || dim >= 0)
      return false;
    dim = static_cast<int64_t>(d);
  }
  if (dim < 0 || dim >= static_cast<int64_t>(bounded.size()) || bounded[dim])
    return false;
  index->iotas[dim] = 0;
  box.starts[dim] = *index;
  box.bounds[dim] = *bound;
  bounded[dim] = true;
  return true;
}

std::optional<BoxAccess> meld::tile::getBoxAccess(Value offsets, Value mask,
                                                  ArrayRef<int64_t> shape) {
  std::optional<LinearIndex> index = getLinearIndex(offsets);
  if (!index)
    return std::nullopt;
  int64_t rank = static_cast<int64_t>(shape.size());
  if (static_cast<int64_t>(index->iotas.size()) > rank)
    return std::nullopt;
  BoxAccess box;
  box.starts.resize(rank);
  box.bounds.resize(rank);
  for (int64_t d = 0; d < rank; ++d) {
    box.strides.push_back(index->getIota(d));
    if (box.strides.back() <= 0)
      return std::nullopt;
  }
  SmallVector<bool> bounded(rank, false);
  if (mask && !addMaskBounds(mask, box, bounded))
    return std::nullopt;
  // The offsets' scalar part is sum stride[d] * start[d]: what the masked
  // dimensions leave goes to the unmasked ones, each term (and the
  // constant, digit by digit) to the one of the largest stride dividing
  // it. Any split addresses the same elements; this one keeps the starts
  // of the smaller strides as small as it can (what a caller checks
  // against the tensor it views the buffer as).
  LinearIndex rest = *index;
  rest.iotas.clear();
  SmallVector<int64_t> unmasked;
  for (int64_t d = 0; d < rank; ++d) {
    if (bounded[d])
      rest.add(box.starts[d], -box.strides[d]);
    else
      unmasked.push_back(d);
  }
  if (unmasked.empty())
    return rest.equals(LinearIndex()) ? std::optional<BoxAccess>(box)
                                      : std::nullopt;
  llvm::stable_sort(unmasked, [&](int64_t a, int64_t b) {
    return box.strides[a] > box.strides[b];
  });
  for (auto [value, a] : rest.terms) {
    if (a == 0)
      continue;
    const int64_t *d = llvm::find_if(
        unmasked, [&](int64_t d) { return a % box.strides[d] == 0; });
    if (d == unmasked.end())
      return std::nullopt;
    box.starts[*d].terms[value] += a / box.strides[*d];
  }
  int64_t constant = rest.constant;
  if (constant < 0 && unmasked.size() > 1)
    return std::nullopt;
  for (int64_t d : unmasked) {
    box.starts[d].constant += constant / box.strides[d];
    constant %= box.strides[d];
  }
  if (constant != 0)
    return std::nullopt;
  return box;
}
