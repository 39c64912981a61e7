//===- ChooseTiles.cpp - Tile sizes from a cost model of the target -------===//
//
// Each matmul and attention group gets the tile sizes and warps its kernel
// runs with, chosen by estimating the kernel's time on the target for each
// candidate. A program's estimate has three parts, the longest of which is
// its time:
//
//   - compute: a warp computes at 1/16 of its SM's rate (16 warps
//     resident: the register file holds 16 warps of 128 registers);
//     programs run in waves of SMs x (16 / warps) at once, each computing
//     its whole tile (ragged edges included, and on sm_90a's wgmma at least
//     64 rows: a smaller M is padded);
//   - shared memory: each warp (each warpgroup, on wgmma) reads from shared
//     memory the rows of A and the columns of B its part of the accumulator
//     needs, at 1/16 of the SM's 128 bytes a cycle per warp. So the warps'
//     split of the tile counts (tile::getMmaWarps): a 16x128 part of a
//     128x128 tile reads 144 elements of operands per K, a 64x32 part 96;
//   - device memory: every program streams its rows of A and columns of B
//     through the L2, at kL2OverHbm x the device-memory bandwidth.
//
// Ties go to the larger tile. Larger tiles read the operands less often
// (from shared memory and from the L2); smaller ones lose less to the last,
// partial wave and to padding. Tiles are bounded by the accumulators a
// thread holds: 64 (a 128x128 tile over 8 warps, two warpgroups), 32 where
// a prologue or a row epilogue needs registers too, half as many with
// 32-bit operands (tf32, fp32: an operand register holds one element, not
// two); a program has a warp per
// 256 accumulators up to 4 (tile::getDefaultNumWarps), then as many more,
// up to 8, as keep within that bound. The chosen warps are recorded on the
// group (`num_warps`) for its kernel.
//
// An attention program holds a block of query rows against every key: its
// warps split the block's rows first (FlashAttention-2's shape: each warp
// holds whole rows of the scores, so the softmax needs no other warp); a
// block with fewer rows than 16 per warp splits the keys too, and stages
// each key block's row maxima and sums through shared memory. A block holds
// at most kMaxHeldRegisters a thread across its loop over keys (on wgmma,
// whose operands come from shared memory, kMaxHeldRegistersWgmma): the
// output accumulator, the scores and their 16-bit copy, the output
// projection's accumulator when it has one, and on mma.sync Q's operand
// registers, the output's operand copy and the projection weight's block
// each head reads (d x columns, loaded through registers; on wgmma too at
// tf32, whose B is K-major). On wgmma a warpgroup holds 64 rows at least,
// padded or not. Where no block keeps within the bound over its default
// warps, blocks take more, up to 8, over the fewest rows where a target
// runs mma.sync (not sooner, nor more rows: its warps sharing rows each
// hold their operands whole); where none keeps within it even so, the
// fewest rows over 8 warps.
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
// or the problem's rows), with blocks of 32 intermediate columns, over as
// many warps as keep what a thread holds (the accumulator of whole rows, an
// intermediate block and its copy) within the same bounds.
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
/// Accumulators a thread may hold; with a prologue or row epilogue, whose
/// statistics and normalization take registers too, fewer.
constexpr int64_t kMaxThreadAccumulators = 64;
constexpr int64_t kMaxThreadAccumulatorsFused = 32;
/// The most warps of a program: two warpgroups.
constexpr int64_t kMaxWarps = 8;
/// The K step: each step stages BM x 16 and 16 x BN operands; with 16-bit
/// operands, tiles of 64x64 and more take steps of 32 (half the steps, each
/// a wait and a barrier, over the K loop).
constexpr int64_t kTileK = 16;
constexpr int64_t kWideTileK = 32;
/// The key block of attention.
constexpr int64_t kAttentionKeys = 32;
/// The registers a thread of a whole-row kernel (attention, chain) may hold
/// across its loop (see chooseAttention): on mma.sync, and on wgmma, whose
/// operands come from shared memory and whose products are at least 64
/// rows. Measured on sm_90a at bf16 (ptxas, CUDA 13): an attention with its
/// output projection holding 120 to 168 takes 209 to 255 registers, one
/// holding 184 spills.
constexpr double kMaxHeldRegisters = 80;
constexpr double kMaxHeldRegistersWgmma = 128;
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

/// The GPU a cost is estimated for.
struct GpuModel {
  tile::TargetPeak peak;
  /// The products' rate (tensor cores at their precision, or CUDA cores).
  double flopsPerSecond;
  /// Bytes of an operand element: 2 at fp16 and bf16, else 4.
  int64_t elementBytes;
  /// Whether products run on wgmma (sm_90a at a tensor-core precision).
  bool wgmma;
};

/// The warps of a program holding `accumulators` elements, at most
/// `perThread` a thread (see the header); nothing when 8 warps hold too
/// many.
std::optional<int64_t> getProgramWarps(int64_t accumulators,
                                       int64_t perThread) {
  int64_t warps = tile::getDefaultNumWarps(accumulators);
  while (accumulators > perThread * 32 * warps) {
    if (warps == kMaxWarps)
      return std::nullopt;
    warps *= 2;
  }
  return warps;
}

/// The estimated time of `work` with `bm` x `bn` tiles over `warps` warps
/// on `gpu`, in seconds (comparable between candidates only), or nothing
/// when the warps cannot split the tile. The warps split `bm` x
/// `splitColumns` (`bn`, or an attention's key block), rows first with
/// `rowsFirst`; with `reducesRows`, the program reduces its rows at every K
/// step (attention's softmax).
std::optional<double> estimate(const Work &work, int64_t bm, int64_t bn,
                               int64_t warps, int64_t splitColumns,
                               bool rowsFirst, bool reducesRows,
                               const GpuModel &gpu) {
  int64_t columnTiles = 0;
  for (int64_t n : work.partColumns)
    columnTiles += llvm::divideCeil(n, bn);
  int64_t tilesPerProgram = 1;
  if (work.wholeRows) {
    tilesPerProgram = columnTiles;
    columnTiles = 1;
  }
  // wgmma runs on whole warpgroups and computes (and reads A for) 64 rows
  // at least.
  int64_t rows = bm;
  if (gpu.wgmma) {
    warps = llvm::alignTo(warps, 4);
    rows = std::max<int64_t>(bm, 64);
  }
  std::optional<std::array<int64_t, 2>> split =
      gpu.wgmma ? tile::getWgmmaWarpgroups(rows, splitColumns, warps)
                : tile::getMmaWarps(bm, splitColumns, warps, rowsFirst);
  if (!split)
    return std::nullopt;
  auto [alongM, alongN] = *split;
  int64_t programs = work.batches * llvm::divideCeil(work.m, bm) * columnTiles;
  int64_t slots =
      gpu.peak.multiprocessors * std::max<int64_t>(1, kWarpsPerSM / warps);
  int64_t waves = llvm::divideCeil(programs, slots);
  double tiles = static_cast<double>(tilesPerProgram) * work.k;
  double programFlops = 2.0 * rows * bn * work.accumulators * tiles;
  // Each warp (warpgroup) reads its rows of A and columns of B.
  double sharedBytes = gpu.elementBytes * tiles *
                       (alongN * rows + alongM * bn * work.accumulators);
  // Rows split between warps combine their maxima and sums through shared
  // memory: a word of each score written and read.
  if (reducesRows && alongN > 1)
    sharedBytes += 8.0 * rows * tiles;
  double warpRate = gpu.flopsPerSecond / gpu.peak.multiprocessors / kWarpsPerSM;
  double warpShared = gpu.peak.sharedBytesPerSecond / kWarpsPerSM;
  double compute = waves * programFlops / (warps * warpRate);
  double shared = waves * sharedBytes / (warps * warpShared);
  double operandBytes = static_cast<double>(gpu.elementBytes) * programs *
                        work.k *
                        (bm + bn * tilesPerProgram * work.accumulators);
  double memory = operandBytes / (kL2OverHbm * gpu.peak.bytesPerSecond);
  return std::max({compute, shared, memory});
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

/// The best [BM, BN] for `work` on `gpu`, within `perThread` accumulators
/// a thread; with `rowsFirst`, warps split the rows first.
std::pair<int64_t, int64_t> chooseMatmulTile(const Work &work,
                                             int64_t perThread, bool rowsFirst,
                                             const GpuModel &gpu) {
  return chooseTile(work, {128, 64, 32, 16}, {256, 128, 64, 32},
                    [&](int64_t m, int64_t n) -> std::optional<double> {
                      std::optional<int64_t> warps =
                          getProgramWarps(m * n * work.accumulators, perThread);
                      if (!warps)
                        return std::nullopt;
                      return estimate(work, m, n, *warps, n, rowsFirst,
                                      /*reducesRows=*/false, gpu);
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
    std::optional<tile::TargetPeak> peak = tile::getTargetPeak(target);
    if (!peak && !host)
      return emitError(UnknownLoc::get(context))
             << "meld-graph-choose-tiles: no cost model for target '" << target
             << "'";
    bool tensorCores =
        precision == "tf32" || precision == "fp16" || precision == "bf16";
    auto modelOf = [&](StringRef chip, const tile::TargetPeak &peak) {
      return GpuModel{peak, peak.getProductFlopsPerSecond(precision),
                      precision == "fp16" || precision == "bf16" ? 2 : 4,
                      tensorCores && chip == "sm_90a"};
    };
    if (peak) {
      gpu = modelOf(target, *peak);
      holders = {*gpu};
    }
    for (const std::string &other : alsoTargets) {
      std::optional<tile::TargetPeak> otherPeak = tile::getTargetPeak(other);
      if (!otherPeak || host)
        return emitError(UnknownLoc::get(context))
               << "meld-graph-choose-tiles: also-targets takes GPUs, got '"
               << other << "'";
      holders.push_back(modelOf(other, *otherPeak));
    }
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
      std::optional<Tiling> tiling;
      if (group.getKind() == FusionKind::matmul)
        tiling = chooseMatmul(group);
      else if (group.getKind() == FusionKind::chain)
        tiling = chooseChain(group);
      else if (group.getKind() == FusionKind::attention)
        tiling = chooseAttention(group);
      if (!tiling)
        return;
      group.setTileSizesAttr(b.getDenseI64ArrayAttr(tiling->sizes));
      if (tiling->warps)
        group.setNumWarpsAttr(b.getI64IntegerAttr(tiling->warps));
    });
  }

  /// A group's tile sizes and, on a GPU, the warps they were chosen for (0:
  /// the kernel's default).
  struct Tiling {
    SmallVector<int64_t> sizes;
    int64_t warps = 0;
  };

  Tiling chooseMatmul(FusionGroupOp group) {
    SmallVector<SmallVector<Operation *>> parts = group.getMatmulParts();
    Work work = matmulWork(cast<MatmulOp>(parts.front().front()));
    for (ArrayRef<Operation *> part : parts) {
      work.partColumns.push_back(columnsOf(cast<MatmulOp>(part.front())));
      work.accumulators = std::max<int64_t>(work.accumulators, part.size());
    }
    work.wholeRows = group.getRowEpilogue() != nullptr;
    if (host) {
      auto [bm, bn] = chooseHostMatmulTile(work);
      return {{tileM ? int64_t(tileM) : bm, tileN ? int64_t(tileN) : bn,
               tileK ? int64_t(tileK) : kTileK}};
    }
    bool fused = group.getPrologue() || work.wholeRows;
    int64_t perThread = getMaxThreadAccumulators(
        fused ? kMaxThreadAccumulatorsFused : kMaxThreadAccumulators);
    // A row epilogue reduces the rows of the product: warps split rows.
    auto [bm, bn] = chooseMatmulTile(work, perThread, work.wholeRows, *gpu);
    bm = tileM ? int64_t(tileM) : bm;
    bn = tileN ? int64_t(tileN) : bn;
    // Sizes fixed by the options may hold more accumulators than the bound.
    int64_t accumulators = bm * bn * work.accumulators;
    int64_t warps = getProgramWarps(accumulators, perThread)
                        .value_or(tile::getDefaultNumWarps(accumulators));
    int64_t bk =
        gpu->elementBytes == 2 && bm * bn >= 64 * 64 ? kWideTileK : kTileK;
    return {{bm, bn, tileK ? int64_t(tileK) : bk}, warps};
  }

  Tiling chooseChain(FusionGroupOp group) {
    MatmulOp second = group.getSecondProduct();
    Work work = matmulWork(second);
    int64_t bm = std::min<int64_t>(
        kChainRows, llvm::PowerOf2Ceil(std::max<int64_t>(work.m, 1)));
    int64_t bi = std::min<int64_t>(kChainBlock, llvm::PowerOf2Ceil(work.k));
    bm = tileM ? int64_t(tileM) : bm;
    bi = tileN ? int64_t(tileN) : bi;
    int64_t bk = tileK ? int64_t(tileK) : kTileK;
    if (host)
      return {{bm, bi, bk}};
    // A thread holds, per row, its part of the second product's
    // accumulator of whole rows, and the first product's block with its
    // operand copy.
    int64_t columns =
        llvm::PowerOf2Ceil(std::max<int64_t>(columnsOf(second), 1));
    auto registers = [&](const GpuModel &model, int64_t rows) {
      return rows * (columns + bi * (1 + model.elementBytes / 4.0));
    };
    int64_t least = tile::getDefaultNumWarps(bm * columns);
    std::optional<int64_t> warps =
        getHoldingWarps(bm, registers, least, kMaxWarps);
    // Within the budget at the fewest: the kernel's default (its largest
    // tile's).
    return {{bm, bi, bk}, warps == least ? 0 : warps.value_or(kMaxWarps)};
  }

  Tiling chooseAttention(FusionGroupOp group) {
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
    int64_t keys = tileN ? int64_t(tileN) : kAttentionKeys;
    if (host) {
      // The host's blocks take 32 queries at most, the fewest padded.
      int64_t best = 0, bestRows = 0;
      for (int64_t bm : {32, 16}) {
        int64_t m = std::min(bm, mCap);
        int64_t rows = llvm::divideCeil(work.m, m) * m;
        if (!best || rows < bestRows) {
          best = m;
          bestRows = rows;
        }
      }
      return {{tileM ? int64_t(tileM) : best, keys}};
    }
    int64_t dv = llvm::PowerOf2Ceil(out.back());
    // The registers a block holds across the loop over keys: per query
    // row, the output accumulator, a key block's scores and their 16-bit
    // copy (P), and with the output projection its accumulator of whole
    // rows. On mma.sync also Q's operand registers and, with the
    // projection, the output's operand copy and the block of the
    // projection's weight each head reads (d x columns, through registers);
    // wgmma reads its operands from shared memory (the weight's block at
    // tf32 through registers too).
    int64_t d = llvm::PowerOf2Ceil(key.back());
    int64_t widest = std::max({keys, d, dv}), columns = 0;
    if (MatmulOp projection = group.getProjection()) {
      columns = llvm::PowerOf2Ceil(columnsOf(projection));
      widest = std::max(widest, columns);
    }
    auto registers = [&](const GpuModel &model, int64_t rows) {
      double words = model.elementBytes / 4.0;
      double perRow = dv + keys * (1 + words) + columns;
      // The weight's block: wgmma copies 16-bit B along N as it lies, but
      // takes tf32's K-major, stored from registers.
      double weight = d * columns * words;
      if (model.wgmma)
        return rows * perRow + (model.elementBytes == 4 ? weight : 0);
      return rows * (perRow + (d + (columns ? dv : 0)) * words) + weight;
    };
    // The block's warps: as many as its widest tile (the projection's rows
    // included) gets; where no block keeps within the budget so, more, and
    // where a target runs mma.sync, over the fewest rows (its warps sharing
    // rows each hold their operands whole, which the budget does not
    // count; on wgmma 16 rows take what 64 do).
    auto leastWarps = [&](int64_t m) {
      return tile::getDefaultNumWarps(m * widest);
    };
    bool mmaSync = llvm::any_of(
        holders, [](const GpuModel &model) { return !model.wgmma; });
    int64_t best = 0, bestWarps = 0;
    double bestTime = 0;
    for (bool moreWarps : {false, true}) {
      for (int64_t bm : {64, 32, 16}) {
        if (moreWarps && mmaSync && bm != 16)
          continue;
        int64_t m = std::min(bm, mCap);
        int64_t least = leastWarps(m);
        std::optional<int64_t> warps =
            getHoldingWarps(m, registers, least, moreWarps ? kMaxWarps : least);
        if (!warps)
          continue;
        std::optional<double> time =
            estimate(work, m, work.partColumns.front(), *warps, keys,
                     /*rowsFirst=*/true, /*reducesRows=*/true, *gpu);
        if (time && (!best || *time < bestTime)) {
          best = m;
          bestWarps = *warps;
          bestTime = *time;
        }
      }
      if (best)
        break;
    }
    // Where no block keeps within the budget, the fewest rows over the
    // most warps.
    if (!best) {
      best = std::min<int64_t>(16, mCap);
      bestWarps = kMaxWarps;
    }
    if (tileM) {
      best = tileM;
      bestWarps = getHoldingWarps(best, registers, leastWarps(best), kMaxWarps)
                      .value_or(kMaxWarps);
    }
    return {{best, keys}, bestWarps};
  }

  /// The fewest warps, from `least` up to `most` (doubling), over which a
  /// thread of a whole-row program of `m` rows holds at most its budget
  /// (kMaxHeldRegisters) on every GPU the kernel is compiled for, the block
  /// holding `registers(gpu, rows)`; nothing when `most` hold more. On
  /// wgmma a warpgroup's product has 64 rows at least.
  std::optional<int64_t> getHoldingWarps(
      int64_t m,
      llvm::function_ref<double(const GpuModel &, int64_t)> registers,
      int64_t least, int64_t most) const {
    int64_t warps = least;
    for (const GpuModel &model : holders) {
      int64_t rows = model.wgmma ? std::max<int64_t>(m, 64) : m;
      double budget = model.wgmma ? kMaxHeldRegistersWgmma : kMaxHeldRegisters;
      while (registers(model, rows) > budget * 32.0 * warps) {
        if (warps * 2 > most)
          return std::nullopt;
        warps *= 2;
      }
    }
    return warps;
  }

  /// The accumulators a thread may hold, `bound` with 16-bit operands:
  /// half as many with 32-bit ones (tf32, fp32), whose operand registers
  /// hold one element, not two.
  int64_t getMaxThreadAccumulators(int64_t bound) const {
    return bound * 2 / gpu->elementBytes;
  }

  /// The cost model's GPU (`target`), if it is one.
  std::optional<GpuModel> gpu;
  /// Every GPU the kernels are compiled for (`target`, then
  /// `also-targets`), whose register bounds each block keeps within.
  SmallVector<GpuModel> holders;
  /// Whether the tiles are chosen for the host (target `cpu`).
  bool host = false;
};

} // namespace
