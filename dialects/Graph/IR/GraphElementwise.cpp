//===- GraphElementwise.cpp - Elementwise math of the graph ops -----------===//
//
// ElementwiseOpInterface: how every elementwise graph op computes on values
// already brought to its result's shape (the tiles of a kernel). Fusion and
// the lowerings compose these; none of them lists the op kinds.
//
//===----------------------------------------------------------------------===//

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace meld::graph;

#include "dialects/Graph/IR/GraphInterfaces.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {
/// Builds arith/math ops on values of one shape (`like`'s).
struct MathBuilder {
  OpBuilder &b;
  Location loc;
  Value like;

  /// `like`'s shape with element type `element` (or the scalar type).
  Type typeOf(Type element) const {
    if (auto shaped = dyn_cast<ShapedType>(like.getType()))
      return shaped.clone(element);
    return element;
  }
  Value constant(TypedAttr scalar) const {
    Type type = typeOf(scalar.getType());
    if (auto shaped = dyn_cast<ShapedType>(type))
      return arith::ConstantOp::create(b, loc,
                                       DenseElementsAttr::get(shaped, scalar));
    return arith::ConstantOp::create(b, loc, scalar);
  }
  Value floatConst(Type element, double value) const {
    return constant(b.getFloatAttr(element, value));
  }
  Value intConst(Type element, int64_t value) const {
    return constant(b.getIntegerAttr(element, value));
  }
};
} // namespace

static bool isFloat(Value v) {
  return isa<FloatType>(getElementTypeOrSelf(v.getType()));
}

static Type elementOf(Value v) { return getElementTypeOrSelf(v.getType()); }

/// The float op `F` on floats, the integer op `I` on integers.
template <typename F, typename I>
static Value floatOrInt(OpBuilder &b, Location loc, ValueRange operands) {
  if (isFloat(operands[0]))
    return F::create(b, loc, operands[0], operands[1]);
  return I::create(b, loc, operands[0], operands[1]);
}

static Value sigmoid(const MathBuilder &m, Value x) {
  Value e =
      math::ExpOp::create(m.b, m.loc, arith::NegFOp::create(m.b, m.loc, x));
  Value one = m.floatConst(elementOf(x), 1.0);
  return arith::DivFOp::create(m.b, m.loc, one,
                               arith::AddFOp::create(m.b, m.loc, one, e));
}

//===----------------------------------------------------------------------===//
// Binary ops
//===----------------------------------------------------------------------===//

Value AddOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return floatOrInt<arith::AddFOp, arith::AddIOp>(b, loc, operands);
}

Value SubOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return floatOrInt<arith::SubFOp, arith::SubIOp>(b, loc, operands);
}

Value MulOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return floatOrInt<arith::MulFOp, arith::MulIOp>(b, loc, operands);
}

/// Signed integer division `x / d` that never traps: where `d` is 0 the
/// result is `x` (the division by zero is a fault the caller records), and
/// where `d` is -1 it is `0 - x`, so the signed minimum divided by -1 wraps
/// to itself, as two's complement arithmetic (and numpy) does. Neither case
/// reaches the division instruction, which traps on both (x86 idiv) or makes
/// them poison (LLVM's sdiv).
Value DivOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  Value x = operands[0], d = operands[1];
  if (isFloat(x))
    return arith::DivFOp::create(b, loc, x, d);
  MathBuilder m{b, loc, d};
  Type type = elementOf(d);
  Value zero = m.intConst(type, 0);
  Value isZero =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, d, zero);
  Value isMinusOne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, d,
                                           m.intConst(type, -1));
  Value divisor = arith::SelectOp::create(
      b, loc, arith::OrIOp::create(b, loc, isZero, isMinusOne),
      m.intConst(type, 1), d);
  Value quotient = arith::DivSIOp::create(b, loc, x, divisor);
  Value negated = arith::SubIOp::create(b, loc, zero, x);
  return arith::SelectOp::create(b, loc, isMinusOne, negated, quotient);
}

Value PowOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return math::PowFOp::create(b, loc, operands[0], operands[1]);
}

Value MinOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return floatOrInt<arith::MinimumFOp, arith::MinSIOp>(b, loc, operands);
}

Value MaxOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return floatOrInt<arith::MaximumFOp, arith::MaxSIOp>(b, loc, operands);
}

Value AndOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return arith::AndIOp::create(b, loc, operands[0], operands[1]);
}

Value OrOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return arith::OrIOp::create(b, loc, operands[0], operands[1]);
}

Value CmpOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  Value lhs = operands[0], rhs = operands[1];
  if (isFloat(lhs)) {
    arith::CmpFPredicate p;
    switch (getPredicate()) {
    case CmpPredicate::eq:
      p = arith::CmpFPredicate::OEQ;
      break;
    case CmpPredicate::ne:
      p = arith::CmpFPredicate::UNE;
      break;
    case CmpPredicate::lt:
      p = arith::CmpFPredicate::OLT;
      break;
    case CmpPredicate::le:
      p = arith::CmpFPredicate::OLE;
      break;
    case CmpPredicate::gt:
      p = arith::CmpFPredicate::OGT;
      break;
    case CmpPredicate::ge:
      p = arith::CmpFPredicate::OGE;
      break;
    }
    return arith::CmpFOp::create(b, loc, p, lhs, rhs);
  }
  // Booleans compare unsigned; the other integers are signed.
  bool isBool = elementOf(lhs).isInteger(1);
  arith::CmpIPredicate p;
  switch (getPredicate()) {
  case CmpPredicate::eq:
    p = arith::CmpIPredicate::eq;
    break;
  case CmpPredicate::ne:
    p = arith::CmpIPredicate::ne;
    break;
  case CmpPredicate::lt:
    p = isBool ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt;
    break;
  case CmpPredicate::le:
    p = isBool ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle;
    break;
  case CmpPredicate::gt:
    p = isBool ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt;
    break;
  case CmpPredicate::ge:
    p = isBool ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge;
    break;
  }
  return arith::CmpIOp::create(b, loc, p, lhs, rhs);
}

Value WhereOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return arith::SelectOp::create(b, loc, operands[0], operands[1], operands[2]);
}

//===----------------------------------------------------------------------===//
// Unary ops
//===----------------------------------------------------------------------===//

Value SqrtOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return math::SqrtOp::create(b, loc, operands[0]);
}

Value ReciprocalOp::buildTileMath(OpBuilder &b, Location loc,
                                  ValueRange operands) {
  MathBuilder m{b, loc, operands[0]};
  return arith::DivFOp::create(
      b, loc, m.floatConst(elementOf(operands[0]), 1.0), operands[0]);
}

Value NegOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  Value x = operands[0];
  if (isFloat(x))
    return arith::NegFOp::create(b, loc, x);
  MathBuilder m{b, loc, x};
  return arith::SubIOp::create(b, loc, m.intConst(elementOf(x), 0), x);
}

Value AbsOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  if (isFloat(operands[0]))
    return math::AbsFOp::create(b, loc, operands[0]);
  return math::AbsIOp::create(b, loc, operands[0]);
}

Value ExpOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return math::ExpOp::create(b, loc, operands[0]);
}

Value LogOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return math::LogOp::create(b, loc, operands[0]);
}

Value TanhOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return math::TanhOp::create(b, loc, operands[0]);
}

Value ErfOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return math::ErfOp::create(b, loc, operands[0]);
}

Value SinOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return math::SinOp::create(b, loc, operands[0]);
}

Value CosOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  return math::CosOp::create(b, loc, operands[0]);
}

Value SigmoidOp::buildTileMath(OpBuilder &b, Location loc,
                               ValueRange operands) {
  return sigmoid(MathBuilder{b, loc, operands[0]}, operands[0]);
}

Value ReluOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  Value x = operands[0];
  MathBuilder m{b, loc, x};
  if (isFloat(x))
    return arith::MaximumFOp::create(b, loc, x, m.floatConst(elementOf(x), 0));
  return arith::MaxSIOp::create(b, loc, x, m.intConst(elementOf(x), 0));
}

Value SiluOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  Value x = operands[0];
  return arith::MulFOp::create(b, loc, x, sigmoid(MathBuilder{b, loc, x}, x));
}

/// max(x, 0) + log1p(exp(-|x|)): exact for large |x| too.
Value SoftplusOp::buildTileMath(OpBuilder &b, Location loc,
                                ValueRange operands) {
  Value x = operands[0];
  MathBuilder m{b, loc, x};
  Value pos =
      arith::MaximumFOp::create(b, loc, x, m.floatConst(elementOf(x), 0));
  Value negAbs = arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x));
  Value tail =
      math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, negAbs));
  return arith::AddFOp::create(b, loc, pos, tail);
}

Value NotOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  MathBuilder m{b, loc, operands[0]};
  return arith::XOrIOp::create(b, loc, operands[0],
                               m.constant(b.getBoolAttr(true)));
}

Value GeluOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  Value x = operands[0];
  MathBuilder m{b, loc, x};
  Type type = elementOf(x);
  auto mul = [&](Value l, Value r) -> Value {
    return arith::MulFOp::create(b, loc, l, r);
  };
  Value inner;
  if (getApproximation() == GeluApproximation::tanh) {
    Value poly = arith::AddFOp::create(
        b, loc, x, mul(m.floatConst(type, 0.044715), mul(x, mul(x, x))));
    inner = math::TanhOp::create(
        b, loc, mul(m.floatConst(type, 0.7978845608028654), poly));
  } else {
    inner = math::ErfOp::create(b, loc,
                                mul(x, m.floatConst(type, 0.7071067811865476)));
  }
  Value factor =
      mul(m.floatConst(type, 0.5),
          arith::AddFOp::create(b, loc, m.floatConst(type, 1.0), inner));
  return mul(x, factor);
}

Value ClipOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  Value x = operands[0];
  MathBuilder m{b, loc, x};
  Type type = elementOf(x);
  bool isFloatClip = isFloat(x);
  auto bound = [&](double v) {
    return isFloatClip ? m.floatConst(type, v)
                       : m.intConst(type, static_cast<int64_t>(v));
  };
  if (std::optional<APFloat> lo = getMin())
    x = isFloatClip
            ? Value(arith::MaximumFOp::create(b, loc, x,
                                              bound(lo->convertToDouble())))
            : Value(arith::MaxSIOp::create(b, loc, x,
                                           bound(lo->convertToDouble())));
  if (std::optional<APFloat> hi = getMax())
    x = isFloatClip
            ? Value(arith::MinimumFOp::create(b, loc, x,
                                              bound(hi->convertToDouble())))
            : Value(arith::MinSIOp::create(b, loc, x,
                                           bound(hi->convertToDouble())));
  return x;
}

/// Converts as ONNX `Cast` does.
Value CastOp::buildTileMath(OpBuilder &b, Location loc, ValueRange operands) {
  Value x = operands[0];
  MathBuilder m{b, loc, x};
  Type from = elementOf(x);
  Type to = getType().getElementType();
  if (from == to)
    return x;
  Type type = m.typeOf(to);
  if (to.isInteger(1)) {
    if (isa<FloatType>(from))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x,
                                   m.floatConst(from, 0.0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x,
                                 m.intConst(from, 0));
  }
  bool fromUnsigned = from.isInteger(1) || from.isUnsignedInteger();
  if (isa<FloatType>(from) && isa<FloatType>(to)) {
    if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
      return arith::ExtFOp::create(b, loc, type, x);
    return arith::TruncFOp::create(b, loc, type, x);
  }
  if (isa<FloatType>(to)) {
    if (fromUnsigned)
      return arith::UIToFPOp::create(b, loc, type, x);
    return arith::SIToFPOp::create(b, loc, type, x);
  }
  if (isa<FloatType>(from)) {
    if (to.isUnsignedInteger())
      return arith::FPToUIOp::create(b, loc, type, x);
    return arith::FPToSIOp::create(b, loc, type, x);
  }
  // Integer types here are signless or unsigned; arith works on signless, so
  // unsigned types never reach a kernel (the lowering refuses them).
  if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
    return fromUnsigned ? Value(arith::ExtUIOp::create(b, loc, type, x))
                        : Value(arith::ExtSIOp::create(b, loc, type, x));
  return arith::TruncIOp::create(b, loc, type, x);
}

/// The operand, already brought to the result's shape.
Value ExpandOp::buildTileMath(OpBuilder &, Location, ValueRange operands) {
  return operands[0];
}
