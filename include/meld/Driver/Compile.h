//===- Compile.h - Meld's compilation flow ----------------------*- C++ -*-===//
//
// The steps meldc runs after importing a model, each on a module in place:
// graph dialect -> tile kernels and launch plan -> kernels per target (host
// code for the CPU; PTX and cubins for each GPU) -> artifact. Each step is one
// of the documented pipelines of meld/Pipelines/Pipelines.h, so meld-opt can
// reproduce it.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_DRIVER_COMPILE_H
#define MELD_DRIVER_COMPILE_H

#include "meld/Import/ONNX.h"
#include "meld/Target/HostObject.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"

#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
class raw_pwrite_stream;
} // namespace llvm

namespace meld {

/// Told what a compile is doing, as it happens (meldc's progress line). Steps
/// may run at the same time on several threads (the GPU targets; the host and
/// emulator libraries), so every method may be called from any thread.
class CompileProgress {
public:
  virtual ~CompileProgress();
  /// Step `name` started.
  virtual void startStep(llvm::StringRef name) = 0;
  /// `done` of the `total` units (`unit`: "passes", "kernels") of step
  /// `name` are done.
  virtual void stepProgress(llvm::StringRef name, int64_t done, int64_t total,
                            llvm::StringRef unit) = 0;
  /// Step `name` ended.
  virtual void finishStep(llvm::StringRef name) = 0;
};

/// How meldc compiles.
struct CompileOptions {
  /// GPU targets the artifact carries PTX (and cubins) for.
  std::vector<std::string> targets = {"sm_80", "sm_90a"};
  /// The CUDA toolkit: libdevice for math functions, ptxas for cubins.
  std::string cudaPath = "/usr/local/cuda";
  /// Leave the weights out of the artifact: the runtime loads them from a
  /// safetensors file keyed by ONNX initializer name (meld-run --weights).
  bool externalWeights = false;
  /// Also compile the GPU kernels for the GPU emulator (`meld-run --device
  /// emu`).
  bool emulator = true;
  /// Warps of every GPU kernel's block (1 to 32); 0 lets the tile pipeline
  /// choose per kernel.
  int64_t numWarps = 0;
  /// Which products run on tensor cores (one of `isPrecision`): "fp32"
  /// (none), "tf32" (f32 products, operands rounded to tf32; the default, as
  /// TensorRT's), "fp16" or "bf16" (operands rounded to that type); all
  /// accumulate in f32. The CPU backend always computes in the model's types.
  std::string precision = "tf32";
  HostObjectOptions host;
  /// The x86-64 ISA levels the host kernels are compiled for, one library
  /// each (`isHostCpu`); the runtime runs the widest one the CPU supports.
  /// The baseline, which every x86-64 CPU runs, goes through linalg loops;
  /// "x86-64-v3" (AVX2, FMA) and "x86-64-v4" (AVX-512) compute on SIMD
  /// vectors (meld-tile-to-vector).
  std::vector<std::string> hostCpus = {"x86-64", "x86-64-v3", "x86-64-v4"};
  /// Where to print ptxas's report per kernel and target (none when null).
  llvm::raw_ostream *report = nullptr;
  bool reportJSON = false;
  /// Apply the pass manager's command-line options
  /// (--mlir-print-ir-after-all, ...) to the pipelines; off for the compiles
  /// Meld runs internally (constant evaluation).
  bool useCommandLineOptions = true;
  /// Where each step's time is recorded (meldc --mlir-timing), or null.
  mlir::TimingScope *timing = nullptr;
  /// Told of each step and of the kernels it has done, or null.
  CompileProgress *progress = nullptr;
  /// The model's weights, whose values the graph passes may read at compile
  /// time (a mask known to be causal); null, or with external weights (whose
  /// values come at run time), none are read.
  const WeightStore *weights = nullptr;
};

/// One step of a compile, from construction to destruction: timed under
/// CompileOptions::timing (--mlir-timing) and reported to
/// CompileOptions::progress. Steps may run on several threads at once.
class CompileStep {
public:
  CompileStep(const CompileOptions &options, llvm::StringRef name);
  ~CompileStep();
  CompileStep(const CompileStep &) = delete;
  CompileStep &operator=(const CompileStep &) = delete;

  mlir::TimingScope &getTiming() { return timing; }
  CompileProgress *getProgress() { return progress; }
  llvm::StringRef getName() const { return name; }

private:
  CompileProgress *progress;
  std::string name;
  mlir::TimingScope timing;
};

/// The GPU targets Meld compiles for.
llvm::ArrayRef<llvm::StringRef> getSupportedTargets();

/// Sets `targets` to the GPU targets `names` (each one of
/// `getSupportedTargets`, or "cpu" alone: none). Returns the problem, one
/// line, when a name is not a target, changing nothing.
std::optional<std::string> parseTargets(llvm::ArrayRef<std::string> names,
                                        std::vector<std::string> &targets);

/// The most warps a kernel's block may have (`CompileOptions::numWarps`).
constexpr int64_t kMaxNumWarps = 32;

/// The values of `CompileOptions::precision`, as messages list them.
constexpr const char *kPrecisions = "fp32, tf32, fp16 or bf16";
/// Whether `name` is one of them.
bool isPrecision(llvm::StringRef name);

/// The graph passes alone (`meld-graph-pipeline`): what `--emit graph` shows.
mlir::LogicalResult optimizeGraph(mlir::ModuleOp module,
                                  const CompileOptions &options = {});

/// Graph dialect to tile kernels plus the launch plan in `@main` (the graph
/// passes, then the tile pipeline).
mlir::LogicalResult lowerGraphToTile(mlir::ModuleOp module,
                                     const CompileOptions &options = {});

/// The x86-64 ISA levels host kernels can be compiled for: "x86-64" (the
/// baseline), "x86-64-v2", "x86-64-v3", "x86-64-v4" (the artifact format's
/// MELD_HOST_LEVELS, which the runtime chooses among).
bool isHostCpu(llvm::StringRef cpu);

/// The artifact module target of the host kernels compiled for `cpu` (one of
/// isHostCpu's): "host" for the baseline, "host-<cpu>" for the others.
std::string getHostModuleTarget(llvm::StringRef cpu);

/// Tile kernels to host kernels in the LLVM dialect for the ISA level `cpu`
/// (the last of `options.hostCpus`, the widest, when empty). Drops the launch
/// plan.
mlir::LogicalResult lowerTileToHost(mlir::ModuleOp module,
                                    const CompileOptions &options = {},
                                    llvm::StringRef cpu = {});

/// The chip whose GPU kernels serve GPU target `target`: the kernels differ
/// only where the hardware does (sm_90a's products run on wgmma), so sm_80,
/// sm_86, sm_89 and sm_90 share sm_80's.
llvm::StringRef getKernelChip(llvm::StringRef target);

/// The chip of the GPU kernels the emulator runs and `--emit gpu` prints:
/// those of the first GPU target, or sm_80's without one.
llvm::StringRef getPrimaryKernelChip(const CompileOptions &options);

/// Tile kernels to GPU kernels for `chip` (gpu.func, before NVVM). Drops the
/// launch plan.
mlir::LogicalResult lowerTileToGPU(mlir::ModuleOp module,
                                   const CompileOptions &options,
                                   llvm::StringRef chip);

/// Writes the PTX of the graph-dialect `module` (modified in place) for `chip`
/// to `os`.
mlir::LogicalResult emitPTX(mlir::ModuleOp module, llvm::StringRef chip,
                            const CompileOptions &options,
                            llvm::raw_ostream &os);

/// Lowers the graph-dialect `module` (modified in place) to tile kernels and
/// prints the artifact's buffer and launch plan as JSON to `os`.
mlir::LogicalResult printArtifactPlan(mlir::ModuleOp module,
                                      const WeightStore &weights,
                                      const CompileOptions &options,
                                      llvm::raw_ostream &os);

/// Compiles the graph-dialect `module` (modified in place) into the artifact
/// at `path`, taking weight bytes from `weights`.
mlir::LogicalResult compileToArtifact(mlir::ModuleOp module,
                                      const WeightStore &weights,
                                      llvm::StringRef path,
                                      const CompileOptions &options = {});

/// Same, writing the artifact to `os` (e.g. a buffer in memory).
mlir::LogicalResult compileToArtifact(mlir::ModuleOp module,
                                      const WeightStore &weights,
                                      llvm::raw_pwrite_stream &os,
                                      const CompileOptions &options = {});

} // namespace meld

#endif // MELD_DRIVER_COMPILE_H
