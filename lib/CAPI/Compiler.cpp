//===- Compiler.cpp - The compiler's C API --------------------------------===//
//
// meld-c/Compiler.h over the driver: each compile has its own MLIRContext,
// whose diagnostic handler records every diagnostic (with the ONNX node and
// op type of its location) in the result instead of printing it, then
// imports the model and runs the pipeline to the output asked for (the
// artifact, or a stage's text), into memory or a file. `meldc` is a client
// of it. Unless asked to, nothing reads the command line's options:
// compiles on several threads share no state but the read-only dialect
// registry.
//
//===----------------------------------------------------------------------===//

#include "meld-c/Compiler.h"

#include "meld/Driver/Compile.h"
#include "meld/Driver/ConstantEvaluator.h"
#include "meld/Import/ONNX.h"
#include "meld/InitAllDialects.h"
#include "meld/artifact_format.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <vector>

using namespace mlir;

struct meld_compile_options {
  std::optional<std::vector<std::string>> targets;
  std::string cudaPath = "/usr/local/cuda";
  std::string linker;
  bool externalWeights = false;
  std::optional<bool> emulator;
  int64_t numWarps = 0;
  std::string precision = "tf32";
  std::optional<std::vector<std::string>> hostCpus;
  int64_t kernelsPerPart = meld::HostObjectOptions().kernelsPerPart;
  int64_t splitCost = meld::HostObjectOptions().splitCost;
  meld_report_format report = MELD_REPORT_NONE;
  meld_compile_output output = MELD_OUTPUT_ARTIFACT;
  std::string outputFile;
  meld_progress_callback progress = nullptr;
  void *progressUser = nullptr;
  meld_diagnostic_callback onDiagnostic = nullptr;
  void *diagnosticUser = nullptr;
  bool commandLine = false;
  std::vector<std::pair<std::string, std::string>> consts;
  std::vector<std::pair<std::string, llvm::SmallVector<int64_t>>> shapes;
};

struct meld_compile_result {
  struct Record {
    meld_diagnostic_severity severity;
    std::string node, opType, message;
  };
  bool ok = false;
  bool isArtifact = false;
  llvm::SmallString<0> output;
  std::string report;
  std::vector<Record> diagnostics;

  void error(const llvm::Twine &message) {
    diagnostics.push_back({MELD_SEVERITY_ERROR, "", "", message.str()});
  }
};

namespace {

meld_diagnostic_severity toSeverity(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error:
    return MELD_SEVERITY_ERROR;
  case DiagnosticSeverity::Warning:
    return MELD_SEVERITY_WARNING;
  case DiagnosticSeverity::Note:
    return MELD_SEVERITY_NOTE;
  case DiagnosticSeverity::Remark:
    return MELD_SEVERITY_REMARK;
  }
  return MELD_SEVERITY_ERROR;
}

/// The driver's progress, told to a C callback.
class CallbackProgress : public meld::CompileProgress {
public:
  CallbackProgress(meld_progress_callback callback, void *user)
      : callback(callback), user(user) {}

  void startStep(llvm::StringRef name) override {
    callback(user, MELD_PROGRESS_START, name.str().c_str(), 0, 0, "");
  }
  void stepProgress(llvm::StringRef name, int64_t done, int64_t total,
                    llvm::StringRef unit) override {
    callback(user, MELD_PROGRESS_STEP, name.str().c_str(), done, total,
             unit.str().c_str());
  }
  void finishStep(llvm::StringRef name) override {
    callback(user, MELD_PROGRESS_FINISH, name.str().c_str(), 0, 0, "");
  }

private:
  meld_progress_callback callback;
  void *user;
};

/// Runs the pipeline to `output` on the imported `module` and writes what
/// it makes to `os`.
LogicalResult produce(meld_compile_output output, ModuleOp module,
                      const meld::WeightStore &weights,
                      const meld::CompileOptions &options,
                      llvm::raw_pwrite_stream &os) {
  auto print = [&] {
    module.print(os);
    os << "\n";
    return success();
  };
  switch (output) {
  case MELD_OUTPUT_IMPORT:
    return print();
  case MELD_OUTPUT_GRAPH:
    return failure(failed(meld::optimizeGraph(module, options)) ||
                   failed(print()));
  case MELD_OUTPUT_TILE:
    return failure(failed(meld::lowerGraphToTile(module, options)) ||
                   failed(print()));
  case MELD_OUTPUT_PLAN:
    return meld::printArtifactPlan(module, weights, options, os);
  case MELD_OUTPUT_GPU:
    return failure(failed(meld::lowerGraphToTile(module, options)) ||
                   failed(meld::lowerTileToGPU(
                       module, options, meld::getPrimaryKernelChip(options))) ||
                   failed(print()));
  case MELD_OUTPUT_LLVM: {
    // The host's kernels are tiled for the host, GPU targets or not, as
    // the artifact's host plan is.
    meld::CompileOptions host = options;
    host.targets.clear();
    return failure(failed(meld::lowerGraphToTile(module, host)) ||
                   failed(meld::lowerTileToHost(module, host)) ||
                   failed(print()));
  }
  case MELD_OUTPUT_PTX:
    return meld::emitPTX(module, options.targets.front(), options, os);
  case MELD_OUTPUT_ARTIFACT:
    return meld::compileToArtifact(module, weights, os, options);
  }
  return failure();
}

/// The dialect registry every compile's context is made from.
const DialectRegistry &getRegistry() {
  static const DialectRegistry *registry = [] {
    auto *r = new DialectRegistry();
    meld::registerAllDialects(*r);
    return r;
  }();
  return *registry;
}

/// The driver's options from `options` (the defaults when null); records a
/// problem in `result` and fails where an option is out of range.
LogicalResult getOptions(const meld_compile_options *options,
                         meld::CompileOptions &compile,
                         meld::ImportOptions &import,
                         meld_compile_result &result) {
  static const meld_compile_options defaults;
  const meld_compile_options &o = options ? *options : defaults;
  compile.useCommandLineOptions = false;
  if (o.targets)
    if (std::optional<std::string> error =
            meld::parseTargets(*o.targets, compile.targets)) {
      result.error(*error);
      return failure();
    }
  compile.cudaPath = o.cudaPath;
  compile.host.linker = o.linker;
  compile.externalWeights = o.externalWeights;
  compile.emulator = o.emulator.value_or(!compile.targets.empty());
  if (o.numWarps < 0 || o.numWarps > meld::kMaxNumWarps) {
    result.error("num_warps must be 1 to " + llvm::Twine(meld::kMaxNumWarps) +
                 " (or 0: chosen per kernel), got " + llvm::Twine(o.numWarps));
    return failure();
  }
  compile.numWarps = o.numWarps;
  if (!meld::isPrecision(o.precision)) {
    result.error(llvm::Twine("precision must be ") + meld::kPrecisions +
                 ", got '" + o.precision + "'");
    return failure();
  }
  compile.precision = o.precision;
  if (o.hostCpus) {
    if (o.hostCpus->empty()) {
      result.error("host_cpus names no ISA level");
      return failure();
    }
    for (const std::string &cpu : *o.hostCpus)
      if (!meld::isHostCpu(cpu)) {
        result.error("host CPU must be " + meld::getHostLevelNames() +
                     ", got '" + cpu + "'");
        return failure();
      }
    compile.hostCpus = *o.hostCpus;
  }
  if (o.kernelsPerPart < 1) {
    result.error("kernels_per_part must be at least 1, got " +
                 llvm::Twine(o.kernelsPerPart));
    return failure();
  }
  compile.host.kernelsPerPart = o.kernelsPerPart;
  if (o.splitCost < 1) {
    result.error("split_cost must be at least 1, got " +
                 llvm::Twine(o.splitCost));
    return failure();
  }
  compile.host.splitCost = o.splitCost;
  compile.useCommandLineOptions = o.commandLine;
  if (o.output < MELD_OUTPUT_ARTIFACT || o.output > MELD_OUTPUT_PTX) {
    result.error("unknown output " + llvm::Twine(static_cast<int>(o.output)));
    return failure();
  }
  if (o.output == MELD_OUTPUT_PTX && compile.targets.size() != 1) {
    result.error("the PTX output needs exactly one GPU target, got " +
                 llvm::Twine(compile.targets.size()));
    return failure();
  }
  if (o.report != MELD_REPORT_NONE) {
    if (compile.targets.empty()) {
      result.error("the report is of GPU targets; the target 'cpu' has none");
      return failure();
    }
    if (o.output != MELD_OUTPUT_ARTIFACT) {
      result.error("the report is of the artifact's kernels: it needs the "
                   "artifact output");
      return failure();
    }
  }
  if (o.output == MELD_OUTPUT_ARTIFACT && o.outputFile == "-") {
    result.error("an artifact is not written to the standard output");
    return failure();
  }
  for (const auto &[name, file] : o.consts)
    import.constInputs[name] = file;
  for (const auto &[name, shape] : o.shapes) {
    if (!import.addInputShape(name, shape)) {
      result.error("the shape of '" + name +
                   "' is given twice, with different values");
      return failure();
    }
  }
  // External weights are read at run time: no float initializer's value may
  // be baked into the artifact.
  import.floatInitializersAsWeights = compile.externalWeights;
  return success();
}

/// Imports the model `importModel` returns and compiles it with `options`.
meld_compile_result *
compile(const meld_compile_options *options,
        llvm::function_ref<OwningOpRef<ModuleOp>(
            MLIRContext &, const meld::ImportOptions &, meld::WeightStore &)>
            importModel) {
  auto *result = new (std::nothrow) meld_compile_result();
  if (!result)
    return nullptr;
  static const meld_compile_options defaults;
  const meld_compile_options &o = options ? *options : defaults;
  // Diagnostics go to the result, and to the callback as they come; the
  // steps of a compile report from several threads at once.
  std::mutex mutex;
  auto record = [&](meld_compile_result::Record entry) {
    std::lock_guard<std::mutex> lock(mutex);
    result->diagnostics.push_back(std::move(entry));
    if (o.onDiagnostic) {
      const meld_compile_result::Record &last = result->diagnostics.back();
      meld_diagnostic diagnostic{last.severity, last.node.c_str(),
                                 last.opType.c_str(), last.message.c_str()};
      o.onDiagnostic(o.diagnosticUser, &diagnostic);
    }
  };
  meld_compile_result problems;
  meld::CompileOptions compileOptions;
  meld::ImportOptions importOptions;
  if (failed(getOptions(options, compileOptions, importOptions, problems))) {
    for (meld_compile_result::Record &entry : problems.diagnostics)
      record(std::move(entry));
    return result;
  }
  MLIRContext context(getRegistry());
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    meld_compile_result::Record entry{toSeverity(diag.getSeverity()), "", "",
                                      diag.str()};
    if (auto node = meld::getNodeInfo(diag.getLocation())) {
      entry.node = node->first.str();
      entry.opType = node->second.str();
    }
    record(std::move(entry));
    return success();
  });
  // --mlir-timing, where the command line applies: every step of the
  // compile, with the passes of each, printed when the compile ends.
  DefaultTimingManager timingManager;
  if (o.commandLine)
    applyDefaultTimingManagerCLOptions(timingManager);
  TimingScope timing = timingManager.getRootScope();
  compileOptions.timing = &timing;
  std::optional<CallbackProgress> progress;
  if (o.progress) {
    progress.emplace(o.progress, o.progressUser);
    compileOptions.progress = &*progress;
  }
  // What the folders do not evaluate is computed by Meld's own CPU kernels.
  importOptions.evaluator = meld::makeConstantEvaluator(compileOptions);
  meld::WeightStore weights;
  OwningOpRef<ModuleOp> module;
  {
    meld::CompileStep importStep(compileOptions, "import");
    module = importModel(context, importOptions, weights);
    if (!module || failed(verify(*module)))
      return result;
  }
  compileOptions.weights = &weights;
  llvm::raw_string_ostream report(result->report);
  if (o.report != MELD_REPORT_NONE) {
    compileOptions.report = &report;
    compileOptions.reportJSON = o.report != MELD_REPORT_TABLE;
  }
  bool produced;
  std::unique_ptr<llvm::ToolOutputFile> file;
  if (o.outputFile.empty()) {
    llvm::raw_svector_ostream os(result->output);
    produced =
        succeeded(produce(o.output, *module, weights, compileOptions, os));
  } else if (o.output == MELD_OUTPUT_ARTIFACT) {
    // Written as it is made, weights streamed from the model.
    produced = succeeded(meld::compileToArtifact(*module, weights, o.outputFile,
                                                 compileOptions));
  } else {
    std::string error;
    file = openOutputFile(o.outputFile, &error);
    if (!file) {
      record({MELD_SEVERITY_ERROR, "", "", error});
      return result;
    }
    produced = succeeded(
        produce(o.output, *module, weights, compileOptions, file->os()));
  }
  std::lock_guard<std::mutex> lock(mutex);
  result->ok =
      produced && llvm::none_of(result->diagnostics, [](const auto &entry) {
        return entry.severity == MELD_SEVERITY_ERROR;
      });
  result->isArtifact = o.output == MELD_OUTPUT_ARTIFACT;
  if (!result->ok) {
    result->output.clear();
    result->report.clear();
  } else if (file) {
    file->keep();
  }
  return result;
}

std::string toString(const char *text) { return text ? text : ""; }

} // namespace

meld_compile_options *meld_compile_options_create(void) {
  return new (std::nothrow) meld_compile_options();
}

void meld_compile_options_free(meld_compile_options *options) {
  delete options;
}

/// The names of the comma-separated list `list`, trimmed.
static std::vector<std::string> splitList(const char *list) {
  std::string text = toString(list);
  llvm::SmallVector<llvm::StringRef> names;
  llvm::StringRef(text).split(names, ',', /*MaxSplit=*/-1,
                              /*KeepEmpty=*/false);
  std::vector<std::string> result;
  for (llvm::StringRef name : names)
    result.push_back(name.trim().str());
  return result;
}

void meld_compile_options_set_targets(meld_compile_options *options,
                                      const char *targets) {
  if (options)
    options->targets = splitList(targets);
}

void meld_compile_options_set_host_cpus(meld_compile_options *options,
                                        const char *cpus) {
  if (options)
    options->hostCpus = splitList(cpus);
}

void meld_compile_options_set_cuda_path(meld_compile_options *options,
                                        const char *path) {
  if (options)
    options->cudaPath = toString(path);
}

void meld_compile_options_set_linker(meld_compile_options *options,
                                     const char *path) {
  if (options)
    options->linker = toString(path);
}

void meld_compile_options_set_external_weights(meld_compile_options *options,
                                               int external) {
  if (options)
    options->externalWeights = external != 0;
}

void meld_compile_options_set_emulator(meld_compile_options *options,
                                       int emulator) {
  if (options)
    options->emulator = emulator != 0;
}

void meld_compile_options_set_num_warps(meld_compile_options *options,
                                        int64_t warps) {
  if (options)
    options->numWarps = warps;
}

void meld_compile_options_set_precision(meld_compile_options *options,
                                        const char *precision) {
  if (options)
    options->precision = precision ? precision : "";
}

void meld_compile_options_set_report(meld_compile_options *options,
                                     int report) {
  if (options)
    options->report = report == MELD_REPORT_NONE    ? MELD_REPORT_NONE
                      : report == MELD_REPORT_TABLE ? MELD_REPORT_TABLE
                                                    : MELD_REPORT_JSON;
}

void meld_compile_options_set_output(meld_compile_options *options,
                                     meld_compile_output output) {
  if (options)
    options->output = output;
}

void meld_compile_options_set_output_file(meld_compile_options *options,
                                          const char *path) {
  if (options)
    options->outputFile = toString(path);
}

void meld_compile_options_set_progress_callback(meld_compile_options *options,
                                                meld_progress_callback callback,
                                                void *user) {
  if (!options)
    return;
  options->progress = callback;
  options->progressUser = user;
}

void meld_compile_options_set_diagnostic_callback(
    meld_compile_options *options, meld_diagnostic_callback callback,
    void *user) {
  if (!options)
    return;
  options->onDiagnostic = callback;
  options->diagnosticUser = user;
}

void meld_compile_options_set_kernels_per_part(meld_compile_options *options,
                                               int64_t kernels) {
  if (options)
    options->kernelsPerPart = kernels;
}

void meld_compile_options_set_split_cost(meld_compile_options *options,
                                         int64_t cost) {
  if (options)
    options->splitCost = cost;
}

void meld_compile_options_use_command_line(meld_compile_options *options,
                                           int use) {
  if (options)
    options->commandLine = use != 0;
}

void meld_compile_options_add_const(meld_compile_options *options,
                                    const char *name, const char *file) {
  if (options)
    options->consts.push_back({toString(name), toString(file)});
}

void meld_compile_options_set_shape(meld_compile_options *options,
                                    const char *name, const int64_t *dims,
                                    size_t rank) {
  if (!options)
    return;
  llvm::SmallVector<int64_t> shape;
  if (dims)
    shape.assign(dims, dims + rank);
  options->shapes.push_back({toString(name), std::move(shape)});
}

meld_compile_result *meld_compile_file(const char *path,
                                       const meld_compile_options *options) {
  if (!path) {
    auto *result = new (std::nothrow) meld_compile_result();
    if (result)
      result->error("meld_compile_file: no model path (NULL)");
    return result;
  }
  std::string file = path;
  return compile(options,
                 [&](MLIRContext &context, const meld::ImportOptions &import,
                     meld::WeightStore &weights) {
                   return meld::importONNXModel(file, context, import, weights);
                 });
}

meld_compile_result *meld_compile_buffer(const void *model, size_t size,
                                         const char *baseDir,
                                         const meld_compile_options *options) {
  if (!model && size != 0) {
    auto *result = new (std::nothrow) meld_compile_result();
    if (result)
      result->error("meld_compile_buffer: no model bytes (NULL)");
    return result;
  }
  llvm::MemoryBufferRef buffer(
      llvm::StringRef(static_cast<const char *>(model), size), "<buffer>");
  std::string dir = toString(baseDir);
  return compile(options, [&](MLIRContext &context,
                              const meld::ImportOptions &import,
                              meld::WeightStore &weights) {
    return meld::importONNXModel(buffer, dir, context, import, weights);
  });
}

int meld_compile_result_ok(const meld_compile_result *result) {
  return result && result->ok;
}

const void *meld_compile_result_output(const meld_compile_result *result,
                                       size_t *size) {
  bool held = result && result->ok && !result->output.empty();
  if (size)
    *size = held ? result->output.size() : 0;
  return held ? result->output.data() : nullptr;
}

const void *meld_compile_result_artifact(const meld_compile_result *result,
                                         size_t *size) {
  if (result && result->isArtifact)
    return meld_compile_result_output(result, size);
  if (size)
    *size = 0;
  return nullptr;
}

const char *meld_compile_result_report(const meld_compile_result *result) {
  return result && result->ok ? result->report.c_str() : "";
}

size_t meld_compile_result_num_diagnostics(const meld_compile_result *result) {
  return result ? result->diagnostics.size() : 0;
}

meld_diagnostic
meld_compile_result_diagnostic(const meld_compile_result *result,
                               size_t index) {
  if (!result || index >= result->diagnostics.size())
    return {MELD_SEVERITY_ERROR, "", "",
            "meld_compile_result_diagnostic: no diagnostic at this index"};
  const meld_compile_result::Record &record = result->diagnostics[index];
  return {record.severity, record.node.c_str(), record.opType.c_str(),
          record.message.c_str()};
}

void meld_compile_result_free(meld_compile_result *result) { delete result; }
