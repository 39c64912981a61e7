//===- Compile.cpp - Meld's compilation flow ------------------------------===//

#include "meld/Driver/Compile.h"

#include "dialects/Tile/Analysis/KernelCost.h"
#include "meld/Conversion/Passes.h"
#include "meld/Import/ONNX.h"
#include "meld/Pipelines/Pipelines.h"
#include "meld/Target/Artifact.h"
#include "meld/Target/CUDA.h"
#include "meld/Target/HostObject.h"
#include "meld/Target/LaunchPlan.h"
#include "meld/artifact_format.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVM/NVVM/Utils.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <future>

using namespace mlir;
using namespace meld;

llvm::ArrayRef<llvm::StringRef> meld::getSupportedTargets() {
  static const llvm::StringRef targets[] = {"sm_80", "sm_86", "sm_89",
                                            "sm_90", "sm_90a"};
  return targets;
}

bool meld::isPrecision(llvm::StringRef name) {
  return name == "fp32" || name == "tf32" || name == "fp16" || name == "bf16";
}

std::optional<std::string>
meld::parseTargets(llvm::ArrayRef<std::string> names,
                   std::vector<std::string> &targets) {
  if (llvm::is_contained(names, "cpu")) {
    if (names.size() != 1)
      return std::string("target 'cpu' names no GPU target and takes no "
                         "other (the host code is in every artifact)");
    targets.clear();
    return std::nullopt;
  }
  for (const std::string &name : names)
    if (!llvm::is_contained(getSupportedTargets(), name))
      return "unknown target '" + name +
             "'; supported: " + llvm::join(getSupportedTargets(), ", ") +
             ", or cpu";
  targets.assign(names.begin(), names.end());
  return std::nullopt;
}

CompileProgress::~CompileProgress() = default;

CompileStep::CompileStep(const CompileOptions &options, llvm::StringRef name)
    : progress(options.progress), name(name.str()) {
  if (options.timing)
    timing = options.timing->nest(name);
  if (progress)
    progress->startStep(this->name);
}

CompileStep::~CompileStep() {
  if (progress)
    progress->finishStep(name);
}

namespace {
/// Reports the passes of a pipeline run on the module (not those nested on
/// its functions) as the progress of its step.
class PassProgress : public PassInstrumentation {
public:
  PassProgress(CompileStep &step, Operation *root, int64_t total)
      : step(step), root(root), total(total) {}
  void runAfterPass(Pass *pass, Operation *op) override { advance(op); }
  void runAfterPassFailed(Pass *pass, Operation *op) override { advance(op); }

private:
  void advance(Operation *op) {
    if (op == root)
      step.getProgress()->stepProgress(step.getName(), ++done, total,
                                       "passes");
  }
  CompileStep &step;
  Operation *root;
  int64_t total;
  int64_t done = 0;
};
} // namespace

/// Runs the pipeline `build` adds on `module` as `step`, with meldc's pass
/// manager command-line options (--mlir-print-ir-after, ...) unless `options`
/// says otherwise; the passes are timed under the step.
static LogicalResult runPipeline(ModuleOp module, CompileStep &step,
                                 llvm::function_ref<void(OpPassManager &)> build,
                                 const CompileOptions &options) {
  PassManager pm(module.getContext());
  if (options.useCommandLineOptions &&
      failed(applyPassManagerCLOptions(pm)))
    return failure();
  pm.enableTiming(step.getTiming());
  build(pm);
  if (step.getProgress())
    pm.addInstrumentation(std::make_unique<PassProgress>(
        step, module, llvm::size(pm.getPasses())));
  return pm.run(module);
}

/// The most shared memory a block may take on every GPU target, if any has
/// a limit.
static std::optional<int64_t> getMaxSharedBytes(const CompileOptions &options) {
  std::optional<int64_t> most;
  for (const std::string &target : options.targets)
    if (std::optional<tile::TargetPeak> peak = tile::getTargetPeak(target))
      most = std::min(most.value_or(peak->maxSharedBytesPerBlock),
                      peak->maxSharedBytesPerBlock);
  return most;
}

static void setGpuOptions(MeldGpuPipelineOptions &gpu,
                          const CompileOptions &options,
                          llvm::StringRef chip) {
  gpu.chip = chip.str();
  gpu.cudaPath = options.cudaPath;
  gpu.precision = options.precision;
  // A warp-specialized kernel's block has a producer warpgroup more than
  // another chip's kernel of the same launch would: only where sm_90a's
  // kernels are the artifact's only ones (the emulator runs the first
  // target's).
  gpu.warpSpecialize =
      chip == "sm_90a" && !options.targets.empty() &&
      llvm::all_of(options.targets, [](const std::string &target) {
        return getKernelChip(target) == "sm_90a";
      });
  // One launch plan serves every target: its blocks take what the smallest
  // shared memory holds.
  if (std::optional<int64_t> most = getMaxSharedBytes(options))
    gpu.maxSharedBytes = *most;
}

/// Builds the graph pipeline, its tiles chosen for the GPU target with the
/// most SMs (the one hardest to fill), or for the host without one.
static void buildGraphPipeline(OpPassManager &pm,
                               const CompileOptions &options) {
  MeldGraphPipelineOptions graph;
  // With external weights, an initializer's values come at run time; what
  // the importer computed (a folded mask) is known either way.
  if (const WeightStore *weights = options.weights)
    graph.readWeight =
        [weights, external = options.externalWeights](
            llvm::StringRef handle) -> std::optional<ArrayRef<uint8_t>> {
      const WeightStore::Entry *entry = weights->lookup(handle);
      if (!entry || (external && entry->isInitializer))
        return std::nullopt;
      llvm::Expected<ArrayRef<uint8_t>> bytes = weights->getBytes(*entry);
      if (!bytes) {
        llvm::consumeError(bytes.takeError());
        return std::nullopt;
      }
      return *bytes;
    };
  // Without a GPU target, the tiles are the host's; with one, chosen for
  // products at the precision they run at.
  if (options.targets.empty())
    graph.target = "cpu";
  else
    graph.precision = options.precision;
  // The GPU with the most SMs chooses among the tiles that every target's
  // registers hold (the targets share the launch plan).
  int64_t most = 0;
  for (const std::string &target : options.targets)
    if (std::optional<tile::TargetPeak> peak = tile::getTargetPeak(target);
        peak && peak->multiprocessors > most) {
      most = peak->multiprocessors;
      graph.target = target;
    }
  for (const std::string &target : options.targets)
    if (target != graph.target && tile::getTargetPeak(target))
      graph.alsoTargets.push_back(target);
  buildMeldGraphPipeline(pm, graph);
}

LogicalResult meld::optimizeGraph(ModuleOp module,
                                  const CompileOptions &options) {
  CompileStep step(options, "graph passes");
  return runPipeline(
      module, step, [&](OpPassManager &pm) { buildGraphPipeline(pm, options); },
      options);
}

/// lowerGraphToTile, its passes timed under step `name`.
static LogicalResult lowerGraphToTileAs(ModuleOp module,
                                        const CompileOptions &options,
                                        llvm::StringRef name) {
  CompileStep step(options, name);
  return runPipeline(
      module, step,
      [&](OpPassManager &pm) {
        buildGraphPipeline(pm, options);
        MeldTilePipelineOptions tile;
        tile.numWarps = options.numWarps;
        // Without a GPU target no product is on tensor cores: the weights
        // stay as they are.
        if (!options.targets.empty())
          tile.precision = options.precision;
        // Without one, elementwise programs are as long as the host's
        // vector lowering takes; longer ones run as scalar loops, divisions
        // of their offsets included. 256 was as fast on one thread but, for
        // a reason not yet understood, made embed_lm_head's next kernel
        // 2.5x slower on two (0.42 against 0.17 ms).
        else
          tile.blockElements = kMaxVectorRowElements;
        // The host's products read their weights from panels: the artifact
        // holds them, or, with external weights, the runtime packs them
        // when it loads the weights.
        tile.packWeights = options.targets.empty();
        // sm_90a's products run on wgmma, a warpgroup at a time.
        tile.warpgroupProducts =
            llvm::is_contained(options.targets, std::string("sm_90a"));
        buildMeldTilePipeline(pm, tile);
      },
      options);
}

LogicalResult meld::lowerGraphToTile(ModuleOp module,
                                     const CompileOptions &options) {
  return lowerGraphToTileAs(module, options, "tile kernels");
}

/// The host library of ISA level `cpu` in the artifact's table, if any.
static const meld_host_level *findHostLevel(llvm::StringRef cpu) {
  for (const meld_host_level &host : MELD_HOST_LEVELS)
    if (cpu == host.level)
      return &host;
  return nullptr;
}

bool meld::isHostCpu(llvm::StringRef cpu) { return findHostLevel(cpu); }

/// Whether the host kernels for ISA level `cpu` go through the vector
/// lowering: SSE's narrow registers make vector code slow to compile and no
/// faster than the loops, so it is for AVX2 and AVX-512.
static bool isVectorHostCpu(llvm::StringRef cpu) {
  return cpu == "x86-64-v3" || cpu == "x86-64-v4";
}

std::string meld::getHostModuleTarget(llvm::StringRef cpu) {
  const meld_host_level *host = findHostLevel(cpu);
  assert(host && "not a host CPU level");
  return host->target;
}

LogicalResult meld::lowerTileToHost(ModuleOp module,
                                    const CompileOptions &options,
                                    llvm::StringRef cpu) {
  if (cpu.empty())
    cpu = options.hostCpus.empty() ? llvm::StringRef("x86-64")
                                   : llvm::StringRef(options.hostCpus.back());
  // One step per library when there are several.
  CompileStep step(options, options.hostCpus.size() > 1
                                ? ("host kernels " + cpu).str()
                                : std::string("host kernels"));
  MeldCpuPipelineOptions cpuOptions;
  cpuOptions.vectorize = isVectorHostCpu(cpu);
  cpuOptions.registerBytes = cpu == "x86-64-v4" ? 64 : 32;
  return runPipeline(
      module, step,
      [&](OpPassManager &pm) { buildMeldCpuPipeline(pm, cpuOptions); },
      options);
}

llvm::StringRef meld::getKernelChip(llvm::StringRef target) {
  return target == "sm_90a" ? "sm_90a" : "sm_80";
}

llvm::StringRef meld::getPrimaryKernelChip(const CompileOptions &options) {
  return options.targets.empty() ? "sm_80"
                                 : getKernelChip(options.targets.front());
}

LogicalResult meld::lowerTileToGPU(ModuleOp module,
                                   const CompileOptions &options,
                                   llvm::StringRef chip) {
  // One step per chip when the targets need kernels of several.
  bool several = llvm::any_of(options.targets, [&](const std::string &t) {
    return getKernelChip(t) != chip;
  });
  CompileStep step(options, several ? ("GPU kernels " + chip).str()
                                    : std::string("GPU kernels"));
  MeldGpuPipelineOptions gpu;
  setGpuOptions(gpu, options, chip);
  return runPipeline(
      module, step,
      [&](OpPassManager &pm) { buildMeldGpuKernelPipeline(pm, gpu); },
      options);
}

/// Lowers the GPU kernels in `module` (after lowerTileToGPU) to PTX for
/// `chip`, in place, and returns the PTX.
static FailureOr<std::string> lowerGPUToPTX(ModuleOp module,
                                            llvm::StringRef chip,
                                            const CompileOptions &options) {
  CompileStep step(options, ("PTX " + chip).str());
  MeldGpuPipelineOptions gpu;
  setGpuOptions(gpu, options, chip);
  if (failed(runPipeline(
          module, step,
          [&](OpPassManager &pm) { buildMeldNvvmPipeline(pm, gpu); },
          options)))
    return failure();
  std::string ptx;
  module.walk([&](gpu::BinaryOp binary) {
    for (Attribute attr : binary.getObjects())
      if (auto object = dyn_cast<gpu::ObjectAttr>(attr))
        ptx += object.getObject().getValue();
  });
  if (!ptx.empty())
    return ptx;
  // A model without kernels (every output a constant or an input) still gets
  // a module for every target, so that every artifact loads the same way.
  if (!module.getOps<gpu::BinaryOp>().empty())
    return module.emitError("no PTX was produced for ") << chip;
  std::string isa = getPtxFeatures(chip).value_or("+ptx70");
  return llvm::formatv(".version {0}.{1}\n.target {2}\n.address_size 64\n",
                       isa.substr(4, 1), isa.substr(5), chip)
      .str();
}

LogicalResult meld::emitPTX(ModuleOp module, llvm::StringRef chip,
                            const CompileOptions &options,
                            llvm::raw_ostream &os) {
  if (failed(lowerGraphToTile(module, options)) ||
      failed(lowerTileToGPU(module, options, getKernelChip(chip))))
    return failure();
  FailureOr<std::string> ptx = lowerGPUToPTX(module, chip, options);
  if (failed(ptx))
    return failure();
  os << *ptx;
  return success();
}

/// The f16 (or, with `bf16`, bf16) bits of the f32 `value`, rounded to
/// nearest even: overflow to infinity, NaN to a quiet NaN of its sign.
static uint16_t narrowFloat(float value, bool bf16) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  uint32_t sign = bits & 0x80000000u, magnitude = bits & 0x7fffffffu;
  if (bf16) {
    if (magnitude > 0x7f800000u)
      return static_cast<uint16_t>((bits >> 16) | 0x40);
    return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1)) >> 16);
  }
  uint32_t result;
  if (magnitude >= 0x47800000u) {
    // At least 2^16: infinity, or NaN.
    result = magnitude > 0x7f800000u ? 0x7e00u : 0x7c00u;
  } else if (magnitude < 0x38800000u) {
    // Below 2^-14: a subnormal, in multiples of 2^-24 (0.5f's ulp), which
    // the addition rounds to nearest even.
    float shifted;
    std::memcpy(&shifted, &magnitude, sizeof(shifted));
    shifted += 0.5f;
    std::memcpy(&result, &shifted, sizeof(result));
    result -= 0x3f000000u;
  } else {
    // Normal: rebias the exponent, round the 13 dropped bits to even.
    result = (magnitude + 0xc8000fffu + ((magnitude >> 13) & 1)) >> 13;
  }
  return static_cast<uint16_t>(result | (sign >> 16));
}

/// Writes the f32 elements of `bytes` as f16 (or bf16), little-endian.
static void writeNarrowed(ArrayRef<uint8_t> bytes, bool bf16,
                          llvm::raw_ostream &os) {
  std::vector<uint8_t> chunk;
  constexpr size_t kChunk = 1 << 16;
  for (size_t at = 0; at + 4 <= bytes.size(); at += 4 * kChunk) {
    size_t count = std::min(kChunk, (bytes.size() - at) / 4);
    chunk.resize(2 * count);
    for (size_t i = 0; i < count; ++i) {
      float value;
      std::memcpy(&value, bytes.data() + at + 4 * i, sizeof(value));
      uint16_t narrow = narrowFloat(value, bf16);
      chunk[2 * i] = narrow & 0xff;
      chunk[2 * i + 1] = narrow >> 8;
    }
    os.write(reinterpret_cast<const char *>(chunk.data()), chunk.size());
  }
}

/// Whether an artifact of `options` has a host plan of its own: the host's
/// code is not the GPU's tiles when there are GPU targets.
static bool hasHostPlan(const CompileOptions &options) {
  return !options.targets.empty() && !options.hostCpus.empty();
}

/// Lowers `module` to tile kernels and reads its launch plan into `spec`;
/// with `host`, tiles it for the host alone and reads the plan into
/// `spec.hostPlan` (after the main plan).
static LogicalResult planArtifact(ModuleOp module, const WeightStore &weights,
                                  const CompileOptions &options,
                                  ArtifactSpec &spec, bool host = false) {
  CompileOptions withWeights(options);
  withWeights.weights = &weights;
  if (host)
    withWeights.targets.clear();
  if (failed(lowerGraphToTileAs(module, withWeights,
                                host ? "host tile kernels" : "tile kernels")))
    return failure();
  CompileStep step(options, host ? "host launch plan" : "launch plan");
  auto lookup = [&](llvm::StringRef handle,
                    Type element) -> llvm::Expected<WeightSource> {
    const WeightStore::Entry *entry = weights.lookup(handle);
    if (!entry)
      return llvm::createStringError("no data for weight '" + handle + "'");
    WeightSource source;
    source.size = entry->byteSize;
    source.externalizable = entry->isInitializer;
    source.shape = llvm::SmallVector<int64_t>(entry->type.getShape());
    source.write = [&weights, entry](llvm::raw_ostream &os) {
      return weights.writeBytes(*entry, os);
    };
    if (element == entry->type.getElementType())
      return source;
    // An f32 weight the kernels read narrowed: converted here, once, and
    // stored in the artifact (a weights file holds the model's f32).
    if (!entry->type.getElementType().isF32() ||
        !(element.isF16() || element.isBF16()))
      return llvm::createStringError("weight '" + handle +
                                     "' cannot be converted to the type its "
                                     "kernels read");
    source.size = entry->type.getNumElements() * 2;
    source.externalizable = false;
    source.write = [&weights, entry, bf16 = element.isBF16()](
                       llvm::raw_ostream &os) -> llvm::Error {
      llvm::Expected<ArrayRef<uint8_t>> bytes = weights.getBytes(*entry);
      if (!bytes)
        return bytes.takeError();
      writeNarrowed(*bytes, bf16, os);
      return llvm::Error::success();
    };
    return source;
  };
  if (host)
    return buildHostPlan(module, lookup, spec);
  return buildArtifactPlan(module, lookup, spec, options.externalWeights);
}

/// Plans the artifact of `module` into `spec`: its main plan (`module`
/// lowered to tile kernels in place) and, with GPU targets, the host's own
/// plan, from a copy of `module` taken before, returned with the host's
/// tile kernels (null without one).
static FailureOr<OwningOpRef<ModuleOp>>
planArtifacts(ModuleOp module, const WeightStore &weights,
              const CompileOptions &options, ArtifactSpec &spec) {
  OwningOpRef<ModuleOp> host;
  if (hasHostPlan(options))
    host = module.clone();
  if (failed(planArtifact(module, weights, options, spec)) ||
      (host &&
       failed(planArtifact(*host, weights, options, spec, /*host=*/true))))
    return failure();
  if (options.externalWeights)
    for (const WeightStore::Baked &baked : weights.getBaked())
      spec.bakedInitializers.push_back(
          {baked.name, *getArtifactDType(baked.type.getElementType()),
           llvm::SmallVector<int64_t>(baked.type.getShape()), baked.bytes});
  return host;
}

LogicalResult meld::printArtifactPlan(ModuleOp module,
                                      const WeightStore &weights,
                                      const CompileOptions &options,
                                      llvm::raw_ostream &os) {
  ArtifactSpec spec;
  if (failed(planArtifacts(module, weights, options, spec)))
    return failure();
  printArtifactPlanJSON(spec, os);
  return success();
}

namespace {
/// What the report says of a kernel on every target: the ONNX nodes it
/// computes, its launches and its work per launch.
struct KernelSummary {
  std::vector<std::string> ops;
  int64_t launches = 0;
  tile::KernelCost cost;
  /// What its products run at on a GPU: "tf32" on tensor cores, "mixed"
  /// when only some are, else "fp32".
  std::string precision = "fp32";
};

/// One row of the --report table.
struct ReportRow {
  std::string target;
  PtxasKernelInfo kernel;
  int64_t threads;
  std::optional<double> occupancy;
  const KernelSummary *summary;
  std::optional<double> estimate; // Microseconds per launch.
};
} // namespace

/// The summary of every tile kernel of `module` (at the tile level) that
/// `spec` launches.
static llvm::StringMap<KernelSummary>
summarizeKernels(ModuleOp module, const ArtifactSpec &spec) {
  llvm::StringMap<KernelSummary> summaries;
  module.walk([&](tile::KernelOp kernel) {
    KernelSummary &summary = summaries[kernel.getSymName()];
    for (auto [name, type] : getNodeInfos(kernel.getLoc()))
      summary.ops.push_back((name + " (" + type + ")").str());
    summary.cost = tile::getKernelCost(kernel);
  });
  for (const ArtifactLaunch &launch : spec.launches)
    ++summaries[launch.kernel].launches;
  return summaries;
}

static void printReport(llvm::ArrayRef<ReportRow> rows, bool json,
                        llvm::raw_ostream &os) {
  // The totals of each target, over every launch.
  struct Totals {
    int64_t kernels = 0, bytes = 0;
    double flops = 0, estimate = 0;
    bool estimated = true;
  };
  llvm::MapVector<llvm::StringRef, Totals> totals;
  for (const ReportRow &r : rows) {
    Totals &t = totals[r.target];
    const KernelSummary &s = *r.summary;
    t.kernels += s.launches;
    t.flops += s.launches * s.cost.flops;
    t.bytes += s.launches * (s.cost.bytesRead + s.cost.bytesWritten);
    if (r.estimate)
      t.estimate += s.launches * *r.estimate;
    else
      t.estimated = false;
  }
  auto list = [](llvm::ArrayRef<int64_t> values) {
    llvm::json::Array array;
    for (int64_t v : values)
      array.push_back(v);
    return array;
  };
  if (json) {
    llvm::json::Array kernels;
    for (const ReportRow &r : rows) {
      const KernelSummary &s = *r.summary;
      llvm::json::Array ops;
      for (const std::string &op : s.ops)
        ops.push_back(op);
      llvm::json::Object row{{"kernel", r.kernel.name},
                             {"target", r.target},
                             {"ops", std::move(ops)},
                             {"launches", s.launches},
                             {"grid", list(s.cost.grid)},
                             {"tile", list(s.cost.tile)},
                             {"precision", s.precision},
                             {"flops", s.cost.flops},
                             {"bytes_read", s.cost.bytesRead},
                             {"bytes_written", s.cost.bytesWritten},
                             {"registers", r.kernel.registers},
                             {"spill_store_bytes", r.kernel.spillStoreBytes},
                             {"spill_load_bytes", r.kernel.spillLoadBytes},
                             {"shared_bytes", r.kernel.sharedBytes},
                             {"stack_frame_bytes", r.kernel.stackFrameBytes},
                             {"barriers", r.kernel.barriers},
                             {"threads_per_block", r.threads}};
      if (r.estimate)
        row["est_us"] = *r.estimate;
      if (r.occupancy)
        row["occupancy"] = *r.occupancy;
      kernels.push_back(std::move(row));
    }
    llvm::json::Array totalRows;
    for (auto &[target, t] : totals) {
      llvm::json::Object row{{"target", target},
                             {"kernels", t.kernels},
                             {"flops", t.flops},
                             {"bytes", t.bytes}};
      if (t.estimated)
        row["est_us"] = t.estimate;
      totalRows.push_back(std::move(row));
    }
    llvm::json::Object report{{"kernels", std::move(kernels)},
                              {"totals", std::move(totalRows)}};
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
    return;
  }
  auto shape = [](llvm::ArrayRef<int64_t> values) {
    std::string text;
    llvm::raw_string_ostream out(text);
    llvm::interleave(values, out, "x");
    return text;
  };
  auto estimate = [](std::optional<double> us) {
    return us ? llvm::formatv("{0:F1}", *us).str() : std::string("-");
  };
  const char *format = "{0,-26} {1,-7} {2,5} {3,4} {4,-10} {5,-9} {6,-4} "
                       "{7,9} {8,9} {9,8} {10,5} {11,8} {12,8} {13,7} "
                       "{14,6} {15,9}\n";
  os << llvm::formatv(format, "kernel", "target", "nodes", "runs", "grid",
                      "tile", "prec", "MFLOP", "MB", "est-us", "regs",
                      "spill-st", "spill-ld", "smem", "stack", "occupancy");
  for (const ReportRow &r : rows) {
    const KernelSummary &s = *r.summary;
    os << llvm::formatv(
        format, r.kernel.name, r.target, s.ops.size(), s.launches,
        shape(s.cost.grid), shape(s.cost.tile), s.precision,
        llvm::formatv("{0:F2}", s.cost.flops / 1e6).str(),
        llvm::formatv("{0:F3}", (s.cost.bytesRead + s.cost.bytesWritten) / 1e6)
            .str(),
        estimate(r.estimate), r.kernel.registers, r.kernel.spillStoreBytes,
        r.kernel.spillLoadBytes, r.kernel.sharedBytes, r.kernel.stackFrameBytes,
        r.occupancy ? llvm::formatv("{0:P0}", *r.occupancy).str()
                    : std::string("-"));
  }
  for (auto &[target, t] : totals)
    os << llvm::formatv("total {0}: {1} launches, {2:F2} MFLOP, {3:F3} MB, "
                        "est {4} us\n",
                        target, t.kernels, t.flops / 1e6, t.bytes / 1e6,
                        t.estimated ? llvm::formatv("{0:F1}", t.estimate).str()
                                    : std::string("-"));
}

/// Compiles the LLVM-dialect `module` into a shared object as step `name`,
/// reporting the kernels done.
static llvm::Expected<std::vector<uint8_t>>
compileLibrary(ModuleOp module, llvm::StringRef name,
               const CompileOptions &options, llvm::StringRef cpu = {}) {
  CompileStep step(options, name);
  HostObjectOptions host = options.host;
  // The host kernels of a level without the vector lowering keep their
  // loops (scalar tiles of constant sizes): LLVM unrolled them into blocks
  // whose scheduling took MiniLM's baseline library 32 s to compile instead
  // of 1.8, for code 2.5 to 3 times faster, which only CPUs without any of
  // an artifact's vector levels run.
  if (!cpu.empty()) {
    host.cpu = cpu.str();
    host.unrollLoops = isVectorHostCpu(cpu);
  }
  if (CompileProgress *progress = step.getProgress())
    host.progress = [&step, progress](int64_t done, int64_t total) {
      progress->stepProgress(step.getName(), done, total, "kernels");
    };
  return emitHostSharedObject(module, host);
}

namespace {
/// What compiling one GPU target gives.
struct TargetResult {
  FailureOr<std::string> ptx = failure();
  std::optional<llvm::Expected<PtxasResult>> assembled;
};
} // namespace

/// Gives each launch of a kernel whose TMA copies read through tensor maps
/// (`meld.tensor_maps` of its gpu.func, on the chips that copy so) a
/// TensorMap buffer of the launch's tensor for each, appended to its
/// arguments; the kernel of a chip that takes none gets as many unused
/// arguments, so that every chip's kernel takes the launch's arguments.
static LogicalResult
addTensorMaps(llvm::StringMap<OwningOpRef<ModuleOp>> &kernelsOf,
              ArtifactSpec &spec) {
  llvm::StringMap<ArrayAttr> mapsOf;
  for (auto &entry : kernelsOf) {
    WalkResult walk = entry.second->walk([&](gpu::GPUFuncOp func) {
      auto maps = func->getAttrOfType<ArrayAttr>("meld.tensor_maps");
      if (!maps)
        return WalkResult::advance();
      auto [it, first] = mapsOf.try_emplace(func.getName(), maps);
      if (!first && it->second != maps) {
        func.emitError("kernel '")
            << func.getName() << "' reads through other tensor maps on "
            << entry.getKey() << " than on another chip";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
  }
  if (mapsOf.empty())
    return success();
  // The maps of each launch, in the arena after everything else.
  uint64_t end = llvm::alignTo(spec.arenaSize, kArtifactTensorMapAlignment);
  for (ArtifactLaunch &launch : spec.launches) {
    auto it = mapsOf.find(launch.kernel);
    if (it == mapsOf.end())
      continue;
    for (Attribute attr : it->second) {
      auto map = cast<DictionaryAttr>(attr);
      auto tensor = map.getAs<IntegerAttr>("tensor").getInt();
      uint32_t source = launch.args[tensor];
      ArtifactBuffer buffer;
      buffer.kind = ArtifactBufferKind::TensorMap;
      buffer.offset = end;
      buffer.size = kArtifactTensorMapBytes;
      buffer.dtype = spec.buffers[source].dtype;
      buffer.shape = {static_cast<int64_t>(kArtifactTensorMapBytes /
                                           getArtifactDTypeSize(buffer.dtype))};
      buffer.name = spec.buffers[source].name + "#tensor_map";
      ArtifactTensorMap tensorMap;
      tensorMap.tensor = source;
      auto dims = map.getAs<DenseI64ArrayAttr>("dims").asArrayRef();
      auto strides = map.getAs<DenseI64ArrayAttr>("strides").asArrayRef();
      auto box = map.getAs<DenseI64ArrayAttr>("box").asArrayRef();
      tensorMap.layout.rank = static_cast<uint32_t>(dims.size());
      for (auto [d, n] : llvm::enumerate(dims)) {
        tensorMap.layout.dims[d] = static_cast<uint64_t>(n);
        tensorMap.layout.box[d] = static_cast<uint32_t>(box[d]);
      }
      for (auto [d, n] : llvm::enumerate(strides))
        tensorMap.layout.strides[d] = static_cast<uint64_t>(n);
      tensorMap.layout.swizzle =
          static_cast<uint32_t>(map.getAs<IntegerAttr>("swizzle").getInt());
      buffer.tensorMap = tensorMap;
      spec.buffers.push_back(std::move(buffer));
      launch.args.push_back(static_cast<uint32_t>(spec.buffers.size() - 1));
      end += kArtifactTensorMapBytes;
    }
  }
  spec.arenaSize = std::max(spec.arenaSize, end);
  // The chips whose kernel copies otherwise take the maps unused.
  for (auto &entry : kernelsOf) {
    WalkResult walk = entry.second->walk([&](gpu::GPUFuncOp func) {
      auto it = mapsOf.find(func.getName());
      if (it == mapsOf.end() || func->hasAttr("meld.tensor_maps"))
        return WalkResult::advance();
      Type type =
          MemRefType::get({128}, IntegerType::get(func.getContext(), 8));
      for (size_t i = 0; i < it->second.size(); ++i)
        if (failed(func.insertArgument(func.getNumArguments(), type,
                                       DictionaryAttr(), func.getLoc())))
          return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
  }
  return success();
}

/// Compiles the graph-dialect `module` (modified in place) into `spec`.
///
/// After the tile kernels and the launch plan, up to four chains of steps are
/// independent, each on its own copy of the kernels, and run at the same time
/// on their own threads: PTX then a cubin for each GPU target, the emulator's
/// kernels then their library, and (on this thread) the host kernels then
/// their library. The libraries are compiled in parts on a thread pool. With
/// MLIR's threading disabled, everything runs on this thread.
static LogicalResult buildArtifact(ModuleOp module, const WeightStore &weights,
                                   const CompileOptions &options,
                                   ArtifactSpec &spec) {
  // The threads share the context: every dialect they use is loaded here,
  // before any starts.
  MLIRContext *context = module.getContext();
  loadPipelineDialects(*context);
  size_t loadedDialects = context->getLoadedDialects().size();

  FailureOr<OwningOpRef<ModuleOp>> hostPlan =
      planArtifacts(module, weights, options, spec);
  if (failed(hostPlan))
    return failure();
  // The host's kernels: those of its own plan, or of the only one.
  ModuleOp host = *hostPlan ? **hostPlan : module;
  llvm::StringMap<KernelSummary> summaries;
  if (options.report)
    summaries = summarizeKernels(module, spec);

  // The GPU kernels of each chip the targets and the emulator need (sm_80's
  // serve every target but sm_90a), each built for the block the plan
  // launches it with (its tile-level launch configuration). The emulator
  // runs the first target's.
  llvm::StringRef emulatorChip = getPrimaryKernelChip(options);
  llvm::SmallVector<std::string> chips;
  for (const std::string &target : options.targets)
    if (!llvm::is_contained(chips, getKernelChip(target)))
      chips.push_back(getKernelChip(target).str());
  if (options.emulator && !llvm::is_contained(chips, emulatorChip))
    chips.push_back(emulatorChip.str());
  llvm::StringMap<OwningOpRef<ModuleOp>> kernelsOf;
  for (const std::string &chip : chips) {
    OwningOpRef<ModuleOp> &kernels = kernelsOf[chip];
    kernels = module.clone();
    if (failed(lowerTileToGPU(*kernels, options, chip)))
      return failure();
    // The GPU passes may give a kernel more shared memory than its tile
    // level did (a layout conversion stages its tile, wgmma's operands
    // take their own), and a warp-specialized one (sm_90a's only, see
    // setGpuOptions) a producer warpgroup beyond the block its tiles are
    // laid out over: launches pass the most any chip's kernel takes.
    llvm::StringMap<std::pair<uint32_t, uint32_t>> geometryOf;
    kernels->walk([&](gpu::GPUFuncOp func) {
      auto &[bytes, threads] = geometryOf[func.getName()];
      if (auto shared = func->getAttrOfType<IntegerAttr>("meld.shared_bytes"))
        bytes = static_cast<uint32_t>(shared.getInt());
      if (std::optional<ArrayRef<int32_t>> block = func.getKnownBlockSize())
        threads = static_cast<uint32_t>((*block)[0]);
    });
    for (ArtifactLaunch &launch : spec.launches)
      if (auto it = geometryOf.find(launch.kernel); it != geometryOf.end()) {
        launch.sharedMemoryBytes =
            std::max(launch.sharedMemoryBytes, it->second.first);
        launch.block[0] = std::max(launch.block[0], it->second.second);
      }
    // What each kernel's products run at (meld-tile-gpu-accelerate-dot):
    // the same on every chip.
    kernels->walk([&](gpu::GPUFuncOp func) {
      auto precision = func->getAttrOfType<StringAttr>("meld.precision");
      if (auto it = summaries.find(func.getName());
          precision && it != summaries.end())
        it->second.precision = precision.str();
    });
  }
  if (failed(addTensorMaps(kernelsOf, spec)))
    return failure();
  // Each kernel's block and dynamic shared memory, as the plan launches it.
  llvm::StringMap<const ArtifactLaunch *> geometry;
  for (const ArtifactLaunch &launch : spec.launches)
    geometry[launch.kernel] = &launch;
  std::optional<std::string> ptxas = findPtxas(options.cudaPath);
  if (!ptxas && options.report)
    return module.emitError("--report needs ptxas: no CUDA toolkit at '")
           << options.cudaPath << "' and none on PATH";

  // With MLIR's threading disabled (--mlir-disable-threading), the chains
  // run one after the other on this thread, and so does the IR they print.
  bool threads = context->isMultithreadingEnabled();
  auto policy = threads ? std::launch::async : std::launch::deferred;
  CompileOptions chainOptions = options;
  if (!threads)
    chainOptions.host.threads = 1;

  // The LLVM targets the chains generate code for, registered before any
  // thread starts: LLVM's target registry is a list that registering
  // changes without a lock, and the host's and NVPTX's registering at once
  // on two threads lost NVPTX now and then (a PTX chain then failed with
  // "No available targets are compatible with triple").
  initializeHostTarget();
  NVVM::SerializeGPUModuleBase::init();

  // Every chain's copy, made before any thread starts.
  std::vector<OwningOpRef<ModuleOp>> targetKernels;
  for (const std::string &target : options.targets)
    targetKernels.push_back(kernelsOf[getKernelChip(target)]->clone());
  OwningOpRef<ModuleOp> emuModule;
  if (options.emulator)
    emuModule = std::move(kernelsOf[emulatorChip]);
  // The host libraries but the last, which takes `host` itself.
  std::vector<OwningOpRef<ModuleOp>> hostCopies;
  for (size_t i = 1; i < options.hostCpus.size(); ++i)
    hostCopies.push_back(host.clone());

  // Each GPU target: PTX in-process, then a cubin from ptxas.
  std::vector<std::future<TargetResult>> targets;
  for (auto [target, copy] : llvm::zip_equal(options.targets, targetKernels))
    targets.push_back(std::async(
        policy, [&, perTarget = *copy, chip = target] {
          TargetResult result;
          result.ptx = lowerGPUToPTX(perTarget, chip, options);
          if (succeeded(result.ptx) && ptxas) {
            CompileStep step(options, "cubin " + chip);
            result.assembled =
                assemblePtx(*result.ptx, chip, *ptxas,
                            /*report=*/options.report != nullptr);
            // The PTX as assembled: the occupancy requests ptxas could not
            // meet given up, for the driver's JIT too.
            if (*result.assembled && (*result.assembled)->rewrittenPtx)
              result.ptx = std::move(*(*result.assembled)->rewrittenPtx);
          }
          return result;
        }));
  // The emulator: the GPU kernels at the NVVM level, as host code.
  std::future<std::optional<llvm::Expected<std::vector<uint8_t>>>> emulator;
  if (emuModule)
    emulator = std::async(
        policy, [&]() -> std::optional<llvm::Expected<std::vector<uint8_t>>> {
          {
            CompileStep step(options, "emulator kernels");
            if (failed(runPipeline(*emuModule, step, buildMeldEmuPipeline,
                                   options)))
              return std::nullopt;
          }
          return compileLibrary(*emuModule, "emulator library",
                                chainOptions);
        });
  // The host code, here: one library per ISA level.
  std::vector<std::optional<llvm::Expected<std::vector<uint8_t>>>> hosts;
  for (auto [i, cpu] : llvm::enumerate(options.hostCpus)) {
    ModuleOp hostModule = i < hostCopies.size() ? *hostCopies[i] : host;
    hosts.emplace_back();
    if (succeeded(lowerTileToHost(hostModule, options, cpu)))
      hosts.back() = compileLibrary(hostModule,
                                    options.hostCpus.size() > 1
                                        ? "host library " + cpu
                                        : std::string("host library"),
                                    chainOptions, cpu);
    // What fails one level (the linker, a kernel) fails the others alike:
    // it is said once.
    if (!hosts.back() || !*hosts.back())
      break;
  }

  // The artifact's modules: PTX and cubin of each target, the emulator's,
  // the host's.
  bool ok = true;
  auto take = [&](std::optional<llvm::Expected<std::vector<uint8_t>>> &library,
                  llvm::StringRef target) {
    if (!library) {
      ok = false;
      return;
    }
    if (!*library) {
      emitError(module.getLoc()) << llvm::toString(library->takeError());
      ok = false;
      return;
    }
    spec.modules.push_back({target.str(), "elf-shared-object",
                            std::move(**library)});
  };
  std::vector<ReportRow> report;
  for (auto [target, future] : llvm::zip_equal(options.targets, targets)) {
    TargetResult result = future.get();
    if (failed(result.ptx)) {
      ok = false;
      continue;
    }
    spec.modules.push_back({target, "ptx",
                            std::vector<uint8_t>(result.ptx->begin(),
                                                 result.ptx->end())});
    if (!result.assembled)
      continue;
    if (!*result.assembled) {
      module.emitError() << llvm::toString(result.assembled->takeError());
      ok = false;
      continue;
    }
    PtxasResult &assembled = **result.assembled;
    spec.modules.push_back({target, "cubin", std::move(assembled.cubin)});
    std::optional<tile::TargetPeak> peak = tile::getTargetPeak(target);
    for (PtxasKernelInfo &kernel : assembled.kernels) {
      const ArtifactLaunch *launch = geometry.lookup(kernel.name);
      int64_t threads = launch ? launch->block[0] : 0;
      // A block's shared memory: what the kernel declares (ptxas's smem)
      // and the dynamic shared memory of its launch.
      if (launch)
        kernel.sharedBytes += launch->sharedMemoryBytes;
      const KernelSummary &summary = summaries[kernel.name];
      report.push_back(
          {target, kernel, threads,
           getTheoreticalOccupancy(target, threads, kernel.registers,
                                   kernel.sharedBytes),
           &summary,
           peak ? std::optional<double>(
                      tile::estimateMicroseconds(summary.cost, *peak))
                : std::nullopt});
    }
  }
  if (emulator.valid()) {
    auto library = emulator.get();
    take(library, "emu");
  }
  for (auto [library, cpu] : llvm::zip_first(hosts, options.hostCpus))
    take(library, getHostModuleTarget(cpu));
  if (context->getLoadedDialects().size() != loadedDialects)
    return emitError(module.getLoc())
           << "internal error: a dialect was loaded while compiling on "
              "several threads (meld::loadPipelineDialects misses it)";
  if (!ok)
    return failure();
  if (options.report)
    printReport(report, options.reportJSON, *options.report);
  return success();
}

LogicalResult meld::compileToArtifact(ModuleOp module,
                                      const WeightStore &weights,
                                      llvm::StringRef path,
                                      const CompileOptions &options) {
  ArtifactSpec spec;
  if (failed(buildArtifact(module, weights, options, spec)))
    return failure();
  CompileStep step(options, "artifact");
  if (llvm::Error err = writeArtifact(spec, path))
    return emitError(module.getLoc())
           << "cannot write '" << path << "': " << llvm::toString(std::move(err));
  return success();
}

LogicalResult meld::compileToArtifact(ModuleOp module,
                                      const WeightStore &weights,
                                      llvm::raw_pwrite_stream &os,
                                      const CompileOptions &options) {
  ArtifactSpec spec;
  if (failed(buildArtifact(module, weights, options, spec)))
    return failure();
  if (llvm::Error err = writeArtifact(spec, os))
    return emitError(module.getLoc())
           << "cannot write the artifact: " << llvm::toString(std::move(err));
  return success();
}
