//===- ExpandFloatConversions.cpp - 16-bit float conversions as integers --===//
//
// Conversions between f32 and the 16-bit floats (f16, bf16) as integer
// arithmetic on their bits, rounding to nearest even as the instructions
// do. An x86-64 host without F16C or AVX512-BF16 has no instruction for
// them, and LLVM calls compiler-rt (__truncsfbf2, __extendhfsf2, ...),
// which a kernel library linked without a runtime does not have. bf16 takes
// MLIR's arith expansion; f16 the patterns here.
//
//===----------------------------------------------------------------------===//

#include "meld/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace meld {
#define GEN_PASS_DEF_EXPANDFLOATCONVERSIONS
#include "meld/Conversion/Passes.h.inc"
} // namespace meld

using namespace mlir;
using namespace meld;

namespace {

/// `type` with its element type (or itself, for a scalar) replaced.
Type withElement(Type type, Type element) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    return shaped.clone(element);
  return element;
}

/// Builds integer arithmetic on values of one shape (scalars or vectors).
struct Bits {
  OpBuilder &b;
  Location loc;
  Type i32;

  Value constant(int64_t v) const {
    Type element = getElementTypeOrSelf(i32);
    Attribute value = b.getIntegerAttr(element, v);
    if (auto shaped = dyn_cast<ShapedType>(i32))
      value = SplatElementsAttr::get(shaped, value);
    return arith::ConstantOp::create(b, loc, cast<TypedAttr>(value));
  }
  Value andi(Value x, int64_t m) const {
    return arith::AndIOp::create(b, loc, x, constant(m));
  }
  Value add(Value x, Value y) const {
    return arith::AddIOp::create(b, loc, x, y);
  }
  Value add(Value x, int64_t y) const { return add(x, constant(y)); }
  Value shl(Value x, int64_t n) const {
    return arith::ShLIOp::create(b, loc, x, constant(n));
  }
  Value shr(Value x, int64_t n) const {
    return arith::ShRUIOp::create(b, loc, x, constant(n));
  }
  Value cmp(arith::CmpIPredicate predicate, Value x, int64_t y) const {
    return arith::CmpIOp::create(b, loc, predicate, x, constant(y));
  }
  Value select(Value c, Value x, Value y) const {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
};

/// f32 to f16, to nearest even: overflow to infinity, NaN to a quiet NaN
/// of the same sign, subnormals through an f32 addition that rounds them to
/// multiples of 2^-24.
struct TruncFToF16 : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::TruncFOp op,
                                PatternRewriter &rewriter) const override {
    Type in = op.getIn().getType(), out = op.getType();
    if (!getElementTypeOrSelf(in).isF32() || !getElementTypeOrSelf(out).isF16())
      return rewriter.notifyMatchFailure(op, "not f32 to f16");
    if (op.getRoundingmode() &&
        *op.getRoundingmode() != arith::RoundingMode::to_nearest_even)
      return rewriter.notifyMatchFailure(op, "not to nearest even");
    Location loc = op.getLoc();
    Bits bits{rewriter, loc, withElement(in, rewriter.getI32Type())};
    using P = arith::CmpIPredicate;
    Value x = arith::BitcastOp::create(rewriter, loc, bits.i32, op.getIn());
    Value sign = bits.andi(x, 0x80000000);
    Value magnitude = bits.andi(x, 0x7fffffff);
    // |x| >= 2^16: infinity, or a quiet NaN.
    Value special = bits.select(bits.cmp(P::ugt, magnitude, 0x7f800000),
                                bits.constant(0x7e00), bits.constant(0x7c00));
    // |x| < 2^-14: adding 0.5 leaves the f16 subnormal's bits at the bottom
    // of the mantissa.
    Value half = bits.constant(0x3f000000);
    Type f32 = op.getIn().getType();
    Value sum = arith::AddFOp::create(
        rewriter, loc, arith::BitcastOp::create(rewriter, loc, f32, magnitude),
        arith::BitcastOp::create(rewriter, loc, f32, half));
    Value subnormal = arith::SubIOp::create(
        rewriter, loc, arith::BitcastOp::create(rewriter, loc, bits.i32, sum),
        half);
    // Normal: rebias the exponent and round the 13 dropped bits to even.
    Value odd = bits.andi(bits.shr(magnitude, 13), 1);
    // (15 - 127) << 23, modulo 2^32, plus 0xfff.
    Value normal = bits.shr(bits.add(bits.add(magnitude, 0xc8000fff), odd), 13);
    Value result = bits.select(
        bits.cmp(P::uge, magnitude, 0x47800000), special,
        bits.select(bits.cmp(P::ult, magnitude, 113 << 23), subnormal, normal));
    result = arith::OrIOp::create(rewriter, loc, result, bits.shr(sign, 16));
    Value narrow = arith::TruncIOp::create(
        rewriter, loc, withElement(in, rewriter.getI16Type()), result);
    rewriter.replaceOpWithNewOp<arith::BitcastOp>(op, out, narrow);
    return success();
  }
};

/// f16 to f32, exactly: infinities and NaNs keep their class (and payload),
/// subnormals become normal f32 through one subtraction.
struct ExtFFromF16 : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &rewriter) const override {
    Type in = op.getIn().getType(), out = op.getType();
    if (!getElementTypeOrSelf(in).isF16() || !getElementTypeOrSelf(out).isF32())
      return rewriter.notifyMatchFailure(op, "not f16 to f32");
    Location loc = op.getLoc();
    Bits bits{rewriter, loc, withElement(in, rewriter.getI32Type())};
    using P = arith::CmpIPredicate;
    Value h = arith::ExtUIOp::create(
        rewriter, loc, bits.i32,
        arith::BitcastOp::create(
            rewriter, loc, withElement(in, rewriter.getI16Type()), op.getIn()));
    Value shifted = bits.shl(bits.andi(h, 0x7fff), 13);
    Value exponent = bits.andi(shifted, 0x7c00 << 13);
    Value rebiased = bits.add(shifted, (127 - 15) << 23);
    // Infinity and NaN: the largest exponent.
    Value special = bits.add(rebiased, (128 - 16) << 23);
    // Zero and subnormals: 2^-14 + m 2^-24, less 2^-14.
    Value subnormal = arith::SubFOp::create(
        rewriter, loc,
        arith::BitcastOp::create(rewriter, loc, out,
                                 bits.add(rebiased, 1 << 23)),
        arith::BitcastOp::create(rewriter, loc, out, bits.constant(113 << 23)));
    Value result =
        bits.select(bits.cmp(P::eq, exponent, 0x7c00 << 13), special,
                    bits.select(bits.cmp(P::eq, exponent, 0),
                                arith::BitcastOp::create(rewriter, loc,
                                                         bits.i32, subnormal),
                                rebiased));
    result = arith::OrIOp::create(rewriter, loc, result,
                                  bits.shl(bits.andi(h, 0x8000), 16));
    rewriter.replaceOpWithNewOp<arith::BitcastOp>(op, out, result);
    return success();
  }
};

struct ExpandFloatConversions
    : meld::impl::ExpandFloatConversionsBase<ExpandFloatConversions> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    arith::populateExpandBFloat16Patterns(patterns);
    patterns.add<TruncFToF16, ExtFFromF16>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
