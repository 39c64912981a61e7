//===- AccelerateDot.cpp - Tile products onto tensor cores ----------------===//
//
// A tile.dot whose precision allows it moves to mma.sync: its accumulator
// takes an mma layout (version 2) over the kernel's warps (split as
// tile::getMmaWarps does: rows first in a kernel that reduces the rows of a
// product, else the squarest warp tiles), its operands the
// matching dot_operand layouts, each through a tile_gpu.convert_layout; the
// result converts back to the layout its users read, for
// meld-tile-gpu-remove-layout-conversions to push away. At fp16 and bf16 the
// f32 operands are first rounded to the 16-bit type (arith.truncf), so that
// they are staged at half the size; the accumulator stays f32.
//
// On sm_90a a product of whole warpgroups moves to wgmma instead: its
// accumulator takes an mma layout of version 3, and its operands are stored
// in shared memory (tile_gpu.local_alloc) in the layout wgmma reads.
//
//===----------------------------------------------------------------------===//

#include "dialects/TileGPU/Transforms/Passes.h"

#include "dialects/Tile/Analysis/KernelCost.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace meld::tile_gpu {
#define GEN_PASS_DEF_TILEGPUACCELERATEDOT
#include "dialects/TileGPU/Transforms/Passes.h.inc"
} // namespace meld::tile_gpu

using namespace mlir;
using namespace meld;
using namespace meld::tile_gpu;

namespace {

/// Where the pass records what a kernel's products run at; the GPU lowering
/// carries it to the gpu.func.
constexpr llvm::StringLiteral kPrecisionAttrName = "meld.precision";

/// The operand type and K of one mma.sync for each precision on tensor
/// cores: tf32 runs m16n8k8 on f32 registers (rounded in the lowering), fp16
/// and bf16 m16n8k16 on two 16-bit elements a register.
struct MmaOperands {
  Type element;
  int64_t k;
  unsigned kWidth;
};
static std::optional<MmaOperands> getMmaOperands(MLIRContext *ctx,
                                                 StringRef precision) {
  if (precision == "tf32")
    return MmaOperands{Float32Type::get(ctx), 8, 1};
  if (precision == "fp16")
    return MmaOperands{Float16Type::get(ctx), 16, 2};
  if (precision == "bf16")
    return MmaOperands{BFloat16Type::get(ctx), 16, 2};
  return std::nullopt;
}

/// The tile `type` with layout `layout`.
static RankedTensorType retype(RankedTensorType type, Attribute layout) {
  return RankedTensorType::get(type.getShape(), type.getElementType(), layout);
}

/// `value` in the operand type of `operands` (rounded to it).
static Value toOperandType(PatternRewriter &rewriter, Location loc, Value value,
                           const MmaOperands &operands) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getElementType() == operands.element)
    return value;
  return arith::TruncFOp::create(rewriter, loc,
                                 RankedTensorType::get(type.getShape(),
                                                       operands.element,
                                                       type.getEncoding()),
                                 value);
}

/// Whether `dot` can go to tensor cores with `operands`: not there yet, f32
/// operands (or operands already of the precision's type) and an f32
/// accumulator.
static LogicalResult matchTensorCoreTypes(tile::DotOp dot,
                                          const MmaOperands &operands,
                                          PatternRewriter &rewriter) {
  if (isa_and_nonnull<MmaLayoutAttr>(dot.getType().getEncoding()))
    return rewriter.notifyMatchFailure(dot, "already on tensor cores");
  auto isOperand = [&](Type type) {
    return type.isF32() || type == operands.element;
  };
  if (!isOperand(dot.getA().getType().getElementType()) ||
      !isOperand(dot.getB().getType().getElementType()) ||
      !dot.getType().getElementType().isF32())
    return rewriter.notifyMatchFailure(dot, "not f32");
  return success();
}

/// Replaces `dot` by the product of `a` and `b` (in their tensor-core
/// layouts) on its accumulator converted to `mma`, converted back to the
/// layout its readers had.
static void replaceWithProduct(PatternRewriter &rewriter, tile::DotOp dot,
                               MmaLayoutAttr mma, Value a, Value b) {
  RankedTensorType cType = dot.getType();
  Value acc = ConvertLayoutOp::create(rewriter, dot.getLoc(),
                                      retype(cType, mma), dot.getAcc());
  Value product =
      tile::DotOp::create(rewriter, dot.getLoc(), acc.getType(), a, b, acc);
  rewriter.replaceOpWithNewOp<ConvertLayoutOp>(dot, cType, product);
}

/// The most accumulator registers a thread gets from wgmma: a product
/// needing more stays on mma.sync, whose tiles are smaller per warp.
constexpr int64_t kMaxWgmmaAccumulators = 128;

/// Whether product operand `b` (K x N) lies along N in memory: it is not
/// loaded, or loaded (and converted) with runs along its last dimension.
static bool liesAlongN(Value b) {
  Operation *def = b.getDefiningOp();
  while (def && isa<arith::TruncFOp, arith::ExtFOp>(def))
    def = def->getOperand(0).getDefiningOp();
  auto load = dyn_cast_or_null<tile::LoadOp>(def);
  return !load || load.getContiguity().value_or(1) > 1;
}

/// A product on wgmma (sm_90a): warpgroups along M first (64 rows each),
/// then N; each operand stored in shared memory with the widest swizzle
/// that divides a row of its contiguous dimension. A has K contiguous
/// (order [1, 0]); B too (order [0, 1]) but where it lies along N in
/// memory at 16 bits, where it has N contiguous (order [1, 0]: wgmma's
/// transposed B, which tf32 does not take).
struct DotToWgmma : OpRewritePattern<tile::DotOp> {
  DotToWgmma(MLIRContext *context, int64_t numWarps, MmaOperands operands)
      : OpRewritePattern(context, /*benefit=*/2), numWarps(numWarps),
        operands(operands) {}

  LogicalResult matchAndRewrite(tile::DotOp dot,
                                PatternRewriter &rewriter) const override {
    if (failed(matchTensorCoreTypes(dot, operands, rewriter)))
      return failure();
    RankedTensorType cType = dot.getType();
    int64_t m = cType.getDimSize(0), n = cType.getDimSize(1),
            k = dot.getA().getType().getDimSize(1);
    int64_t rowBytes = k * operands.element.getIntOrFloatBitWidth() / 8;
    // M of 16 or 32 pads A to wgmma's 64 rows (the extra accumulator rows
    // hold nothing).
    bool padded = m < 64 && 64 % m == 0 && m % 8 == 0;
    if (numWarps % 4 != 0 || (m % 64 != 0 && !padded) || n % 8 != 0 ||
        rowBytes % 32 != 0)
      return rewriter.notifyMatchFailure(dot, "not whole wgmma blocks");
    std::optional<std::array<int64_t, 2>> groups =
        tile::getWgmmaWarpgroups(m, n, numWarps);
    if (!groups)
      return rewriter.notifyMatchFailure(dot, "too small for the warps");
    auto [groupRows, groupCols] = *groups;
    // Each warpgroup's columns in instructions of at most 256.
    int64_t columns = n / groupCols, instrN = columns;
    while (instrN > 256 || columns % instrN != 0 || instrN % 8 != 0)
      instrN -= 8;
    int64_t accumulators =
        std::max<int64_t>(1, m / (64 * groupRows)) * columns / 2;
    if (accumulators > kMaxWgmmaAccumulators)
      return rewriter.notifyMatchFailure(dot, "too many accumulators");
    MLIRContext *ctx = getContext();
    auto mma =
        MmaLayoutAttr::get(ctx, 3, {4 * groupRows, groupCols}, {64, instrN});
    auto widest = [](int64_t bytes) -> unsigned {
      return bytes % 128 == 0 ? 128 : bytes % 64 == 0 ? 64 : 32;
    };
    // B is N-major where its elements lie along N (so they are stored, or
    // copied, in runs), 16-bit and each instruction's columns a whole
    // number of swizzle rows.
    int64_t elementBytes = operands.element.getIntOrFloatBitWidth() / 8;
    bool nMajor = elementBytes == 2 && (instrN * elementBytes) % 32 == 0 &&
                  liesAlongN(dot.getB());
    Location loc = dot.getLoc();
    auto stored = [&](Value value, int64_t contiguous, int64_t rows,
                      unsigned swizzle) -> Value {
      value = toOperandType(rewriter, loc, value, operands);
      auto type = cast<RankedTensorType>(value.getType());
      auto layout = SharedLayoutAttr::get(ctx, swizzle,
                                          {contiguous, 1 - contiguous}, rows);
      return LocalAllocOp::create(rewriter, loc, retype(type, layout), value,
                                  /*offset=*/nullptr);
    };
    Value a = stored(dot.getA(), 1, padded ? 64 : 0, widest(rowBytes));
    Value b = nMajor ? stored(dot.getB(), 1, 0, widest(instrN * elementBytes))
                     : stored(dot.getB(), 0, 0, widest(rowBytes));
    replaceWithProduct(rewriter, dot, mma, a, b);
    return success();
  }

  int64_t numWarps;
  MmaOperands operands;
};

struct DotToMma : OpRewritePattern<tile::DotOp> {
  DotToMma(MLIRContext *context, int64_t numWarps, bool rowsFirst,
           MmaOperands operands)
      : OpRewritePattern(context), numWarps(numWarps), rowsFirst(rowsFirst),
        operands(operands) {}

  LogicalResult matchAndRewrite(tile::DotOp dot,
                                PatternRewriter &rewriter) const override {
    if (failed(matchTensorCoreTypes(dot, operands, rewriter)))
      return failure();
    auto aType = cast<RankedTensorType>(dot.getA().getType());
    RankedTensorType cType = dot.getType();
    int64_t m = cType.getDimSize(0), n = cType.getDimSize(1),
            k = aType.getDimSize(1);
    if (m % 16 != 0 || n % 8 != 0 || k % operands.k != 0)
      return rewriter.notifyMatchFailure(dot, "not whole mma.sync blocks");
    std::optional<std::array<int64_t, 2>> warps =
        tile::getMmaWarps(m, n, numWarps, rowsFirst);
    if (!warps)
      return rewriter.notifyMatchFailure(dot, "too small for the warps");
    MLIRContext *ctx = getContext();
    auto mma = MmaLayoutAttr::get(ctx, 2, *warps, {16, 8});
    Location loc = dot.getLoc();
    // Each operand in the precision's type, then in its layout.
    auto operand = [&](Value value, unsigned opIdx) -> Value {
      value = toOperandType(rewriter, loc, value, operands);
      auto type = cast<RankedTensorType>(value.getType());
      return ConvertLayoutOp::create(
          rewriter, loc,
          retype(type,
                 DotOperandLayoutAttr::get(ctx, opIdx, mma, operands.kWidth)),
          value);
    };
    Value a = operand(dot.getA(), 0);
    Value b = operand(dot.getB(), 1);
    replaceWithProduct(rewriter, dot, mma, a, b);
    return success();
  }

  int64_t numWarps;
  /// Whether the warps split the rows first (else the squarest split).
  bool rowsFirst;
  MmaOperands operands;
};

/// Whether `kernel` reduces the rows of a value computed from a product
/// (attention's softmax, a row epilogue's statistics): its products' warps
/// then split the rows first, so that each warp holds whole rows and the
/// reduction, and the next product reading the result as its A operand,
/// need no other warp.
static bool reducesProductRows(tile::KernelOp kernel) {
  return kernel
      .walk([](tile::ReduceOp reduce) {
        auto type = cast<RankedTensorType>(reduce.getInput().getType());
        if (type.getRank() < 2 ||
            reduce.getDim() != static_cast<uint64_t>(type.getRank() - 1))
          return WalkResult::advance();
        SetVector<Operation *> slice;
        BackwardSliceOptions options;
        options.omitUsesFromAbove = false;
        (void)getBackwardSlice(reduce.getInput(), &slice, options);
        for (Operation *op : slice)
          if (op->walk([](tile::DotOp) {
                  return WalkResult::interrupt();
                }).wasInterrupted())
            return WalkResult::interrupt();
        return WalkResult::advance();
      })
      .wasInterrupted();
}

struct TileGPUAccelerateDot
    : tile_gpu::impl::TileGPUAccelerateDotBase<TileGPUAccelerateDot> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    if (precision != "fp32" && !getMmaOperands(context, precision))
      return emitError(UnknownLoc::get(context))
             << "precision must be fp32, tf32, fp16 or bf16, got '" << precision
             << "'";
    return success();
  }

  void runOnOperation() override {
    tile::KernelOp kernel = getOperation();
    if (precision == "fp32")
      return;
    std::optional<uint64_t> warps = kernel.getNumWarps();
    if (!warps) {
      kernel.emitOpError("has no num_warps: run meld-tile-configure-launch "
                         "first");
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    MmaOperands operands = *getMmaOperands(&getContext(), precision);
    patterns.add<DotToMma>(&getContext(), *warps, reducesProductRows(kernel),
                           operands);
    if (chip == "sm_90a")
      patterns.add<DotToWgmma>(&getContext(), *warps, operands);
    if (failed(applyPatternsGreedily(kernel, std::move(patterns))))
      return signalPassFailure();
    // What the kernel's products run at, for the report: the precision
    // when all are on tensor cores, "mixed" when some are.
    int64_t products = 0, accelerated = 0;
    kernel.walk([&](tile::DotOp dot) {
      ++products;
      accelerated +=
          isa_and_nonnull<MmaLayoutAttr>(dot.getType().getEncoding());
    });
    if (accelerated)
      kernel->setAttr(kPrecisionAttrName,
                      StringAttr::get(&getContext(), accelerated == products
                                                         ? StringRef(precision)
                                                         : "mixed"));
    // Each conversion stages its tile in the kernel's shared memory.
    int64_t shared = kernel.getSharedBytes().value_or(0);
    kernel.walk([&](ConvertLayoutOp convert) {
      RankedTensorType type = convert.getType();
      shared = std::max<int64_t>(
          shared, type.getNumElements() *
                      llvm::divideCeil(type.getElementTypeBitWidth(), 8));
    });
    kernel.setSharedBytesAttr(Builder(&getContext()).getI64IntegerAttr(shared));
  }
};

} // namespace
