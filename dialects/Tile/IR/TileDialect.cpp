//===- TileDialect.cpp - Tile dialect -------------------------------------===//

#include "dialects/Tile/IR/TileDialect.h"

#include "dialects/Tile/IR/TileOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace meld::tile;

#include "dialects/Tile/IR/TileOpsDialect.cpp.inc"

#include "dialects/Tile/IR/TileOpsEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Tile/IR/TileOpsAttributes.cpp.inc"

void TileDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Tile/IR/TileOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/Tile/IR/TileOpsAttributes.cpp.inc"
      >();
}

namespace {

/// `(x / c) * c + x % c` (unsigned, any operand order) is `x`: what a kernel
/// computes when it recombines the coordinates it split a linear index into.
/// Without it the offsets would hide their contiguity from the axis analysis
/// wherever c is not a multiple of the run length.
struct RecombineDivRem : OpRewritePattern<arith::AddIOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::AddIOp add,
                                PatternRewriter &rewriter) const override {
    for (auto [product, remainder] : {std::pair(add.getLhs(), add.getRhs()),
                                      std::pair(add.getRhs(), add.getLhs())}) {
      auto mul = product.getDefiningOp<arith::MulIOp>();
      auto rem = remainder.getDefiningOp<arith::RemUIOp>();
      if (!mul || !rem)
        continue;
      APInt divisor;
      if (!matchPattern(rem.getRhs(), m_ConstantInt(&divisor)) ||
          divisor.isZero())
        continue;
      for (auto [quotient, factor] : {std::pair(mul.getLhs(), mul.getRhs()),
                                      std::pair(mul.getRhs(), mul.getLhs())}) {
        auto div = quotient.getDefiningOp<arith::DivUIOp>();
        APInt c1, c2;
        if (div && div.getLhs() == rem.getLhs() &&
            matchPattern(div.getRhs(), m_ConstantInt(&c1)) &&
            matchPattern(factor, m_ConstantInt(&c2)) && c1 == divisor &&
            c2 == divisor) {
          rewriter.replaceOp(add, rem.getLhs());
          return success();
        }
      }
    }
    return failure();
  }
};

} // namespace

void TileDialect::getCanonicalizationPatterns(
    RewritePatternSet &results) const {
  results.add<RecombineDivRem>(getContext());
}
