//===- Compile.cpp - Meld's compilation flow ------------------------------===//

#include "meld/Driver/Compile.h"

#include "meld/Pipelines/Pipelines.h"
#include "meld/Target/Artifact.h"
#include "meld/Target/CUDA.h"
#include "meld/Target/LaunchPlan.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <future>

using namespace mlir;
using namespace meld;

llvm::ArrayRef<llvm::StringRef> meld::getSupportedTargets() {
  static const llvm::StringRef targets[] = {"sm_80", "sm_86", "sm_89",
                                            "sm_90", "sm_90a"};
  return targets;
}

CompileProgress::~CompileProgress() = default;

namespace {
/// One step of a compile: timed under CompileOptions::timing and reported to
/// CompileProgress. Steps may run on several threads at once.
class Step {
public:
  Step(const CompileOptions &options, llvm::StringRef name,
       int64_t kernels = 0)
      : progress(options.progress), name(name.str()) {
    if (options.timing)
      timing = options.timing->nest(name);
    if (progress)
      progress->startStep(this->name, kernels);
  }
  ~Step() {
    if (progress)
      progress->finishStep(name);
  }
  Step(const Step &) = delete;
  Step &operator=(const Step &) = delete;

  TimingScope &getTiming() { return timing; }
  void kernelsDone(int64_t count) {
    if (progress)
      progress->kernelsDone(name, count);
  }

private:
  CompileProgress *progress;
  std::string name;
  TimingScope timing;
};
} // namespace

/// Runs the pipeline `build` adds on `module` as `step`, with meldc's pass
/// manager command-line options (--mlir-print-ir-after, ...) unless `options`
/// says otherwise; the passes are timed under the step.
static LogicalResult runPipeline(ModuleOp module, Step &step,
                                 llvm::function_ref<void(OpPassManager &)> build,
                                 const CompileOptions &options) {
  PassManager pm(module.getContext());
  if (options.useCommandLineOptions &&
      failed(applyPassManagerCLOptions(pm)))
    return failure();
  pm.enableTiming(step.getTiming());
  build(pm);
  return pm.run(module);
}

static void setGpuOptions(MeldGpuPipelineOptions &gpu,
                          const CompileOptions &options,
                          llvm::StringRef chip) {
  gpu.chip = chip.str();
  gpu.threadsPerBlock = options.threadsPerBlock;
  gpu.cudaPath = options.cudaPath;
}

LogicalResult meld::lowerGraphToTile(ModuleOp module,
                                     const CompileOptions &options) {
  Step step(options, "tile kernels");
  return runPipeline(
      module, step,
      [](OpPassManager &pm) {
        buildMeldGraphPipeline(pm);
        buildMeldTilePipeline(pm);
      },
      options);
}

LogicalResult meld::lowerTileToHost(ModuleOp module,
                                    const CompileOptions &options) {
  Step step(options, "host kernels");
  return runPipeline(module, step, buildMeldCpuPipeline, options);
}

LogicalResult meld::lowerTileToGPU(ModuleOp module,
                                   const CompileOptions &options) {
  Step step(options, "GPU kernels");
  MeldGpuPipelineOptions gpu;
  setGpuOptions(gpu, options, "sm_80");
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
  Step step(options, ("PTX " + chip).str());
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
      failed(lowerTileToGPU(module, options)))
    return failure();
  FailureOr<std::string> ptx = lowerGPUToPTX(module, chip, options);
  if (failed(ptx))
    return failure();
  os << *ptx;
  return success();
}

/// Lowers `module` to tile kernels and reads its launch plan into `spec`.
static LogicalResult planArtifact(ModuleOp module, const WeightStore &weights,
                                  const CompileOptions &options,
                                  ArtifactSpec &spec) {
  if (failed(lowerGraphToTile(module, options)))
    return failure();
  Step step(options, "launch plan");
  auto lookup = [&](llvm::StringRef handle) -> llvm::Expected<WeightSource> {
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
    return source;
  };
  return buildArtifactPlan(module, lookup, spec, options.externalWeights);
}

LogicalResult meld::printArtifactPlan(ModuleOp module,
                                      const WeightStore &weights,
                                      const CompileOptions &options,
                                      llvm::raw_ostream &os) {
  ArtifactSpec spec;
  if (failed(planArtifact(module, weights, options, spec)))
    return failure();
  printArtifactPlanJSON(spec, os);
  return success();
}

namespace {
/// One row of the --report table.
struct ReportRow {
  std::string target;
  PtxasKernelInfo kernel;
  int64_t threads;
  std::optional<double> occupancy;
};
} // namespace

static void printReport(llvm::ArrayRef<ReportRow> rows, bool json,
                        llvm::raw_ostream &os) {
  if (json) {
    llvm::json::Array array;
    for (const ReportRow &r : rows) {
      llvm::json::Object row{
          {"kernel", r.kernel.name},
          {"target", r.target},
          {"registers", r.kernel.registers},
          {"spill_store_bytes", r.kernel.spillStoreBytes},
          {"spill_load_bytes", r.kernel.spillLoadBytes},
          {"shared_bytes", r.kernel.sharedBytes},
          {"stack_frame_bytes", r.kernel.stackFrameBytes},
          {"barriers", r.kernel.barriers},
          {"threads_per_block", r.threads}};
      if (r.occupancy)
        row["occupancy"] = *r.occupancy;
      array.push_back(std::move(row));
    }
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(array))) << "\n";
    return;
  }
  os << llvm::formatv("{0,-24} {1,-7} {2,5} {3,8} {4,8} {5,7} {6,6} {7,9}\n",
                      "kernel", "target", "regs", "spill-st", "spill-ld",
                      "smem", "stack", "occupancy");
  for (const ReportRow &r : rows)
    os << llvm::formatv(
        "{0,-24} {1,-7} {2,5} {3,8} {4,8} {5,7} {6,6} {7,9}\n", r.kernel.name,
        r.target, r.kernel.registers, r.kernel.spillStoreBytes,
        r.kernel.spillLoadBytes, r.kernel.sharedBytes,
        r.kernel.stackFrameBytes,
        r.occupancy ? llvm::formatv("{0:P0}", *r.occupancy).str()
                    : std::string("-"));
}

/// Adds the GPU kernels of the tile module `module` to `spec`: launch
/// geometry, then PTX (and a cubin, where ptxas exists) for every target.
/// With the emulator, `emuModule` receives the kernels as host code in the
/// LLVM dialect (compiled to a shared object by the caller).
static LogicalResult addGPUModules(ModuleOp module,
                                   const CompileOptions &options,
                                   ArtifactSpec &spec,
                                   OwningOpRef<ModuleOp> &emuModule) {
  if (options.targets.empty() && !options.emulator)
    return success();
  OwningOpRef<ModuleOp> kernels = module.clone();
  if (failed(lowerTileToGPU(*kernels, options)))
    return failure();
  // Launch geometry: the block each kernel was built for.
  llvm::StringMap<int64_t> geometry;
  kernels->walk([&](gpu::GPUFuncOp func) {
    int64_t threads = 1;
    if (auto block = func.getKnownBlockSize())
      threads = (*block)[0];
    geometry[func.getName()] = threads;
  });
  for (ArtifactLaunch &launch : spec.launches) {
    auto it = geometry.find(launch.kernel);
    if (it == geometry.end())
      return module.emitError("no GPU kernel for launch of '")
             << launch.kernel << "'";
    launch.block = {static_cast<uint32_t>(it->second), 1, 1};
    // The kernels declare their shared memory statically: no dynamic shared
    // memory at launch.
    launch.sharedMemoryBytes = 0;
  }

  // The GPU emulator's code: the same kernels, at the NVVM level, as host
  // code.
  if (options.emulator) {
    Step step(options, "emulator kernels");
    emuModule = kernels->clone();
    if (failed(runPipeline(*emuModule, step, buildMeldEmuPipeline, options)))
      return failure();
  }

  std::optional<std::string> ptxas = findPtxas(options.cudaPath);
  if (!ptxas && options.report)
    return module.emitError("--report needs ptxas: no CUDA toolkit at '")
           << options.cudaPath << "' and none on PATH";

  // The targets compile at the same time, each from its own copy of the
  // kernels: PTX in-process, then a cubin from ptxas.
  struct TargetResult {
    FailureOr<std::string> ptx = failure();
    std::optional<llvm::Expected<PtxasResult>> assembled;
  };
  std::vector<OwningOpRef<ModuleOp>> copies;
  for (size_t i = 0; i < options.targets.size(); ++i)
    copies.push_back(kernels->clone());
  std::vector<std::future<TargetResult>> futures;
  for (auto [target, copy] : llvm::zip_equal(options.targets, copies)) {
    ModuleOp perTarget = *copy;
    futures.push_back(std::async(std::launch::async, [&, perTarget,
                                                      chip = target] {
      TargetResult result;
      result.ptx = lowerGPUToPTX(perTarget, chip, options);
      if (succeeded(result.ptx) && ptxas) {
        Step step(options, "cubin " + chip);
        result.assembled = assemblePtx(*result.ptx, chip, *ptxas,
                                       /*report=*/options.report != nullptr);
      }
      return result;
    }));
  }
  std::vector<ReportRow> report;
  bool ok = true;
  for (auto [target, future] : llvm::zip_equal(options.targets, futures)) {
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
    for (PtxasKernelInfo &kernel : assembled.kernels) {
      int64_t threads = geometry.lookup(kernel.name);
      report.push_back({target, kernel, threads,
                        getTheoreticalOccupancy(target, threads,
                                                kernel.registers,
                                                kernel.sharedBytes)});
    }
  }
  if (!ok)
    return failure();
  if (options.report)
    printReport(report, options.reportJSON, *options.report);
  return success();
}

/// Compiles the graph-dialect `module` (modified in place) into `spec`.
static LogicalResult buildArtifact(ModuleOp module, const WeightStore &weights,
                                   const CompileOptions &options,
                                   ArtifactSpec &spec) {
  // The GPU targets, and then the host and emulator libraries, compile on
  // several threads that share the context: every dialect they use is loaded
  // here, before any starts.
  MLIRContext *context = module.getContext();
  loadPipelineDialects(*context);
  size_t loadedDialects = context->getLoadedDialects().size();
  auto checkNoDialectLoaded = [&]() -> LogicalResult {
    if (context->getLoadedDialects().size() == loadedDialects)
      return success();
    return emitError(module.getLoc())
           << "internal error: a dialect was loaded while compiling on "
              "several threads (meld::loadPipelineDialects misses it)";
  };

  if (failed(planArtifact(module, weights, options, spec)))
    return failure();
  OwningOpRef<ModuleOp> emuModule;
  if (failed(addGPUModules(module, options, spec, emuModule)) ||
      failed(checkNoDialectLoaded()))
    return failure();
  if (failed(lowerTileToHost(module, options)))
    return failure();

  // LLVM compiles the CPU kernels and the emulator's at the same time: the
  // two modules are independent, each with its own LLVMContext.
  std::future<llvm::Expected<std::vector<uint8_t>>> emuLibrary;
  if (emuModule)
    emuLibrary = std::async(std::launch::async, [&] {
      Step step(options, "emulator library");
      return emitHostSharedObject(*emuModule, options.host);
    });
  auto library = [&] {
    Step step(options, "host library");
    return emitHostSharedObject(module, options.host);
  }();
  if (emuModule) {
    auto emu = emuLibrary.get();
    if (!emu)
      return emitError(module.getLoc()) << llvm::toString(emu.takeError());
    spec.modules.push_back({"emu", "elf-shared-object", std::move(*emu)});
  }
  if (!library)
    return emitError(module.getLoc())
           << llvm::toString(library.takeError());
  spec.modules.push_back({"host", "elf-shared-object", std::move(*library)});
  if (failed(checkNoDialectLoaded()))
    return failure();
  return success();
}

LogicalResult meld::compileToArtifact(ModuleOp module,
                                      const WeightStore &weights,
                                      llvm::StringRef path,
                                      const CompileOptions &options) {
  ArtifactSpec spec;
  if (failed(buildArtifact(module, weights, options, spec)))
    return failure();
  Step step(options, "artifact");
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
