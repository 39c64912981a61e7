//===- MaskedAccesses.cpp - Masked accesses a register wide ---------------===//
//
// The last step of meld-tile-to-vector: a 1-D masked read or write wider
// than a SIMD register becomes one per register (see MaskedAccesses.h for
// why LLVM must not split them itself).
//
//===----------------------------------------------------------------------===//

#include "MaskedAccesses.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace {

/// The pieces of a 1-D access of `type`: the offset and length of each, one
/// register of `registerBytes` bytes long (the last may be shorter). Empty
/// where the access fits one register, or its elements have no fixed width.
static SmallVector<std::pair<int64_t, int64_t>>
getRegisterPieces(VectorType type, int64_t registerBytes) {
  SmallVector<std::pair<int64_t, int64_t>> pieces;
  Type element = type.getElementType();
  if (type.getRank() != 1 || type.isScalable() || !element.isIntOrFloat() ||
      element.getIntOrFloatBitWidth() % 8 != 0)
    return pieces;
  int64_t lanes = registerBytes * 8 / element.getIntOrFloatBitWidth();
  int64_t length = type.getDimSize(0);
  if (lanes < 1 || length <= lanes)
    return pieces;
  for (int64_t start = 0; start < length; start += lanes)
    pieces.push_back({start, std::min(lanes, length - start)});
  return pieces;
}

/// `indices` with `start` added to the last.
static SmallVector<Value> shiftIndices(OpBuilder &b, Location loc,
                                       ValueRange indices, int64_t start) {
  SmallVector<Value> shifted(indices);
  if (start != 0)
    shifted.back() = arith::AddIOp::create(
        b, loc, shifted.back(), arith::ConstantIndexOp::create(b, loc, start));
  return shifted;
}

/// Elements [start, start + length) of the 1-D vector `v`.
static Value slice(OpBuilder &b, Location loc, Value v, int64_t start,
                   int64_t length) {
  return vector::ExtractStridedSliceOp::create(
      b, loc, v, ArrayRef<int64_t>{start}, ArrayRef<int64_t>{length},
      ArrayRef<int64_t>{1});
}

/// A pattern on accesses of `OpTy`, for registers of `registerBytes` bytes.
template <typename OpTy> struct PerRegister : OpRewritePattern<OpTy> {
  PerRegister(MLIRContext *context, int64_t registerBytes)
      : OpRewritePattern<OpTy>(context), registerBytes(registerBytes) {}
  int64_t registerBytes;
};

struct SplitMaskedLoad : PerRegister<vector::MaskedLoadOp> {
  using PerRegister::PerRegister;

  LogicalResult matchAndRewrite(vector::MaskedLoadOp op,
                                PatternRewriter &rewriter) const override {
    VectorType type = op.getVectorType();
    auto pieces = getRegisterPieces(type, registerBytes);
    if (pieces.empty())
      return rewriter.notifyMatchFailure(op, "fits one register");
    Location loc = op.getLoc();
    // Each piece is inserted over the passthrough, which it covers whole.
    Value result = op.getPassThru();
    for (auto [start, length] : pieces) {
      auto pieceType = VectorType::get({length}, type.getElementType());
      Value read = vector::MaskedLoadOp::create(
          rewriter, loc, pieceType, op.getBase(),
          shiftIndices(rewriter, loc, op.getIndices(), start),
          slice(rewriter, loc, op.getMask(), start, length),
          slice(rewriter, loc, op.getPassThru(), start, length));
      result = vector::InsertStridedSliceOp::create(rewriter, loc, read, result,
                                                    ArrayRef<int64_t>{start},
                                                    ArrayRef<int64_t>{1});
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SplitMaskedStore : PerRegister<vector::MaskedStoreOp> {
  using PerRegister::PerRegister;

  LogicalResult matchAndRewrite(vector::MaskedStoreOp op,
                                PatternRewriter &rewriter) const override {
    auto pieces = getRegisterPieces(op.getVectorType(), registerBytes);
    if (pieces.empty())
      return rewriter.notifyMatchFailure(op, "fits one register");
    Location loc = op.getLoc();
    for (auto [start, length] : pieces)
      vector::MaskedStoreOp::create(
          rewriter, loc, op.getBase(),
          shiftIndices(rewriter, loc, op.getIndices(), start),
          slice(rewriter, loc, op.getMask(), start, length),
          slice(rewriter, loc, op.getValueToStore(), start, length));
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void meld::tile_to_vector::populateSplitMaskedAccessPatterns(
    RewritePatternSet &patterns, int64_t registerBytes) {
  patterns.add<SplitMaskedLoad, SplitMaskedStore>(patterns.getContext(),
                                                  registerBytes);
}
