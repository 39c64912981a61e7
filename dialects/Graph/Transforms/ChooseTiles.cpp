//===- ChooseTiles.cpp - Tile sizes from a cost model of the target -------===//
//
// Each matmul and attention group gets the tile sizes its kernel runs with,
// chosen by estimating the kernel's time on the target for each candidate:
//
//   - a warp computes at 1/16 of its SM's fp32 rate (16 warps resident: the
//     register file holds 16 warps of 128 registers), and a program has the
//     warps its tile gets (tile::getDefaultNumWarps);
//   - programs run in waves of SMs x (16 / warps) at once, and a program
//     computes its whole tile (ragged edges included): time = waves x one
//     program's flops at its warps' rate;
//   - every program streams its rows of A and columns of B (K values each)
//     through the L2, at kL2OverHbm x the device-memory bandwidth;
//   - the estimate is the longer of the two; ties go to the larger tile.
//
// With as many threads either way, larger tiles read the operands less
// often; smaller ones lose less to the last, partial wave. Tiles are bounded
// by the registers their accumulators take, tighter where a prologue, a row
// epilogue or a second accumulator (SwiGLU's dual product) needs more.
//
// On the host (target `cpu`), a program is a call of the product
// microkernel (meld-tile-to-vector): it computes its padded tile at the
// core's FMA rate and first copies its rows of A and columns of B into stack
// panels, at about five FMA slots per SIMD register copied (measured on
// Zen 4, AVX-512). B is read in place now (a weight from its panels), but
// the charge stays: each tile of rows reads all of B's columns again, from
// the caches or from memory. Larger tiles copy each operand fewer times;
// smaller ones compute fewer padded rows. Programs run in waves of
// kHostThreads.
//
// A chain group's programs each hold whole rows of the second product's
// result, so its rows per program decide its parallelism: the fewest (16,
// or the problem's rows), with blocks of 32 intermediate columns.
//
//===----------------------------------------------------------------------===//

#include "dialects/Graph/Transforms/Passes.h"

#include "dialects/Tile/Analysis/KernelCost.h"
#include "dialects/Tile/IR/TileOps.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "llvm/Support/MathExtras.h"

namespace meld::graph {
#define GEN_PASS_DEF_GRAPHCHOOSETILES
#include "dialects/Graph/Transforms/Passes.h.inc"
} // namespace meld::graph

using namespace mlir;
using namespace meld;
using namespace meld::graph;

namespace {

/// Warps resident on an SM at once.
constexpr int64_t kWarpsPerSM = 16;
/// L2 bandwidth over device-memory bandwidth.
constexpr double kL2OverHbm = 3.0;
/// Accumulator elements a tile may hold: 32 per thread of four warps; 8 per
/// thread (what 32x32 tiles give) with a prologue or row epilogue, whose
/// statistics and normalization take registers too.
constexpr int64_t kMaxAccumulators = 4096;
constexpr int64_t kMaxAccumulatorsFused = 1024;
/// The K step: each step stages BM x 16 and 16 x BN operands.
constexpr int64_t kTileK = 16;
/// The key block of attention.
constexpr int64_t kAttentionKeys = 32;
/// A chain's rows per program and intermediate block.
constexpr int64_t kChainRows = 16;
constexpr int64_t kChainBlock = 32;

/// The host cost model: FMA slots per SIMD register of operand copied into
/// the microkernel's panels; lanes of a SIMD register (AVX-512 f32); the
/// threads programs are spread over (a laptop's cores).
constexpr double kHostCopyCost = 5.0;
constexpr double kHostLanes = 16.0;
constexpr int64_t kHostThreads = 8;

/// What the cost model needs of one kernel's work.
struct Work {
  int64_t batches = 1, m = 1, k = 1;
  /// The N of each part; each part's programs cover its columns.
  SmallVector<int64_t> partColumns;
  /// Products per part computed together (2 for a dual product).
  int64_t accumulators = 1;
  /// Whether each program computes whole rows (a row epilogue).
  bool wholeRows = false;
};

/// The estimated time of `work` with `bm` x `bn` tiles on `peak`, its
/// products at `flopsPerSecond`, in seconds (comparable between candidates
/// only).
double estimate(const Work &work, int64_t bm, int64_t bn,
                const tile::TargetPeak &peak, double flopsPerSecond) {
  int64_t columnTiles = 0;
  for (int64_t n : work.partColumns)
    columnTiles += llvm::divideCeil(n, bn);
  int64_t columnsPerProgram = bn;
  if (work.wholeRows) {
    columnsPerProgram = bn * columnTiles;
    columnTiles = 1;
  }
  int64_t programs = work.batches * llvm::divideCeil(work.m, bm) * columnTiles;
  int64_t warps = tile::getDefaultNumWarps(bm * bn);
  int64_t slots = peak.multiprocessors * (kWarpsPerSM / warps);
  int64_t waves = llvm::divideCeil(programs, slots);
  double programFlops =
      2.0 * bm * columnsPerProgram * work.k * work.accumulators;
  double warpRate = flopsPerSecond / peak.multiprocessors / kWarpsPerSM;
  double compute = waves * programFlops / (warps * warpRate);
  double operandBytes =
      4.0 * programs * work.k * (bm + columnsPerProgram * work.accumulators);
  double memory = operandBytes / (kL2OverHbm * peak.bytesPerSecond);
  return std::max(compute, memory);
}

/// The estimated time of `work` with `bm` x `bn` tiles on the host, in FMA
/// slots of one core (comparable between candidates only).
double estimateHost(const Work &work, int64_t bm, int64_t bn) {
  int64_t rowTiles = llvm::divideCeil(work.m, bm);
  int64_t columnTiles = 0;
  for (int64_t n : work.partColumns)
    columnTiles += llvm::divideCeil(n, bn);
  int64_t programs =
      work.batches * rowTiles * (work.wholeRows ? 1 : columnTiles);
  double tiles = static_cast<double>(work.batches) * rowTiles * columnTiles;
  double products = tiles * bm * bn * work.k * work.accumulators;
  double copied = tiles * work.k * (bm + bn * work.accumulators);
  double total = (products + kHostCopyCost * copied) / kHostLanes;
  int64_t waves =
      llvm::divideCeil(std::max<int64_t>(programs, 1), kHostThreads);
  return waves * total / std::max<int64_t>(programs, 1);
}

/// The [BM, BN] among `rows` x `columns` (each capped at the power of two
/// the problem needs) with the least `time`; ties go to the first, the
/// larger tile. `time` returns nothing for a tile that does not fit.
std::pair<int64_t, int64_t>
chooseTile(const Work &work, ArrayRef<int64_t> rows, ArrayRef<int64_t> columns,
           function_ref<std::optional<double>(int64_t, int64_t)> time) {
  int64_t maxN = 1;
  for (int64_t n : work.partColumns)
    maxN = std::max(maxN, n);
  int64_t mCap = llvm::PowerOf2Ceil(std::max<int64_t>(work.m, 1));
  int64_t nCap = llvm::PowerOf2Ceil(maxN);
  std::pair<int64_t, int64_t> best{0, 0};
  double bestTime = 0;
  for (int64_t bm : rows) {
    for (int64_t bn : columns) {
      int64_t m = std::min(bm, mCap), n = std::min(bn, nCap);
      std::optional<double> estimated = time(m, n);
      if (estimated && (!best.first || *estimated < bestTime)) {
        best = {m, n};
        bestTime = *estimated;
      }
    }
  }
  if (!best.first)
    best = {std::min<int64_t>(16, mCap), std::min<int64_t>(32, nCap)};
  return best;
}

/// The best [BM, BN] for `work` on the host: BM from 8 to 64 (the
/// microkernel's blocks are 8 rows), BN from 32 to 256 (blocks of 32
/// columns).
std::pair<int64_t, int64_t> chooseHostMatmulTile(const Work &work) {
  return chooseTile(work, {64, 32, 16, 8}, {256, 128, 64, 32},
                    [&](int64_t m, int64_t n) -> std::optional<double> {
                      return estimateHost(work, m, n);
                    });
}

/// The best [BM, BN] for `work` on a GPU, within `maxAccumulators`, its
/// products at `flopsPerSecond`.
std::pair<int64_t, int64_t> chooseMatmulTile(const Work &work,
                                             int64_t maxAccumulators,
                                             const tile::TargetPeak &peak,
                                             double flopsPerSecond) {
  return chooseTile(work, {64, 32, 16}, {64, 32},
                    [&](int64_t m, int64_t n) -> std::optional<double> {
                      if (m * n * work.accumulators > maxAccumulators)
                        return std::nullopt;
                      return estimate(work, m, n, peak, flopsPerSecond);
                    });
}

/// The columns of `op`'s result (1 for a 1-D right operand).
int64_t columnsOf(MatmulOp op) {
  ArrayRef<int64_t> rhs =
      cast<RankedTensorType>(op.getRhs().getType()).getShape();
  return rhs.size() >= 2 ? rhs.back() : 1;
}

/// The batches, M and K of `op` (its parts' columns are the caller's).
Work matmulWork(MatmulOp op) {
  ArrayRef<int64_t> lhs =
      cast<RankedTensorType>(op.getLhs().getType()).getShape();
  Work work;
  work.k = std::max<int64_t>(1, lhs.back());
  work.m = lhs.size() >= 2 ? lhs[lhs.size() - 2] : 1;
  int64_t perBatch = work.m * columnsOf(op);
  work.batches =
      perBatch > 0 ? computeProduct(op.getType().getShape()) / perBatch : 0;
  return work;
}

struct GraphChooseTiles
    : public graph::impl::GraphChooseTilesBase<GraphChooseTiles> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    host = target == "cpu";
    peak = tile::getTargetPeak(target);
    if (!peak && !host)
      return emitError(UnknownLoc::get(context))
             << "meld-graph-choose-tiles: no cost model for target '" << target
             << "'";
    for (int64_t size : {int64_t(tileM), int64_t(tileN), int64_t(tileK)})
      if (size < 0 || (size > 0 && !llvm::isPowerOf2_64(size)))
        return emitError(UnknownLoc::get(context))
               << "meld-graph-choose-tiles: tile sizes must be powers of "
                  "two (or 0: chosen), got "
               << size;
    return success();
  }

  void runOnOperation() override {
    Builder b(&getContext());
    getOperation()->walk([&](FusionGroupOp group) {
      if (group.getKind() == FusionKind::matmul)
        group.setTileSizesAttr(b.getDenseI64ArrayAttr(chooseMatmul(group)));
      else if (group.getKind() == FusionKind::chain)
        group.setTileSizesAttr(b.getDenseI64ArrayAttr(chooseChain(group)));
      else if (group.getKind() == FusionKind::attention)
        group.setTileSizesAttr(b.getDenseI64ArrayAttr(chooseAttention(group)));
    });
  }

  SmallVector<int64_t> chooseMatmul(FusionGroupOp group) {
    SmallVector<SmallVector<Operation *>> parts = group.getMatmulParts();
    Work work = matmulWork(cast<MatmulOp>(parts.front().front()));
    for (ArrayRef<Operation *> part : parts) {
      work.partColumns.push_back(columnsOf(cast<MatmulOp>(part.front())));
      work.accumulators = std::max<int64_t>(work.accumulators, part.size());
    }
    work.wholeRows = group.getRowEpilogue() != nullptr;
    bool fused = group.getPrologue() || work.wholeRows;
    auto [bm, bn] =
        host ? chooseHostMatmulTile(work)
             : chooseMatmulTile(
                   work, fused ? kMaxAccumulatorsFused : kMaxAccumulators,
                   *peak, peak->getProductFlopsPerSecond(precision));
    return {tileM ? int64_t(tileM) : bm, tileN ? int64_t(tileN) : bn,
            tileK ? int64_t(tileK) : kTileK};
  }

  SmallVector<int64_t> chooseChain(FusionGroupOp group) {
    MatmulOp second = group.getSecondProduct();
    Work work = matmulWork(second);
    int64_t bm = std::min<int64_t>(
        kChainRows, llvm::PowerOf2Ceil(std::max<int64_t>(work.m, 1)));
    int64_t bi = std::min<int64_t>(kChainBlock, llvm::PowerOf2Ceil(work.k));
    return {tileM ? int64_t(tileM) : bm, tileN ? int64_t(tileN) : bi,
            tileK ? int64_t(tileK) : kTileK};
  }

  SmallVector<int64_t> chooseAttention(FusionGroupOp group) {
    auto op = *group.getBodyBlock().getOps<AttentionOp>().begin();
    ArrayRef<int64_t> out = op.getType().getShape();
    ArrayRef<int64_t> key =
        cast<RankedTensorType>(op.getKey().getType()).getShape();
    // Per program: a block of queries against every key, QK^T then PV,
    // as a product of [queries, keys] by [keys, d + dv].
    Work work;
    work.m = out[out.size() - 2];
    work.k = std::max<int64_t>(1, key[key.size() - 2]);
    work.partColumns = {key.back() + out.back()};
    work.batches = computeProduct(out.drop_back(2));
    work.wholeRows = true;
    int64_t mCap = llvm::PowerOf2Ceil(std::max<int64_t>(work.m, 1));
    // The scores and the output accumulator are both in registers: 32
    // queries at most.
    int64_t best = 0;
    double bestTime = 0;
    for (int64_t bm : {32, 16}) {
      int64_t m = std::min(bm, mCap);
      // On the host, the fewest padded queries.
      double time = host ? llvm::divideCeil(work.m, m) * m
                         : estimate(work, m, work.partColumns.front(), *peak,
                                    peak->flopsPerSecond);
      if (!best || time < bestTime) {
        best = m;
        bestTime = time;
      }
    }
    return {tileM ? int64_t(tileM) : best,
            tileN ? int64_t(tileN) : kAttentionKeys};
  }

  std::optional<tile::TargetPeak> peak;
  /// Whether the tiles are chosen for the host (target `cpu`).
  bool host = false;
};

} // namespace
