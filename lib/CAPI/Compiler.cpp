//===- Compiler.cpp - The compiler's C API --------------------------------===//
//
// meld-c/Compiler.h over the driver: each compile has its own MLIRContext,
// whose diagnostic handler records every diagnostic (with the ONNX node and
// op type of its location) in the result instead of printing it, then
// imports the model and compiles it to artifact bytes in memory, as meldc
// does to a file. Nothing reads the command line's options: compiles on
// several threads share no state but the read-only dialect registry.
//
//===----------------------------------------------------------------------===//

#include "meld-c/Compiler.h"

#include "meld/Driver/Compile.h"
#include "meld/Driver/ConstantEvaluator.h"
#include "meld/Import/ONNX.h"
#include "meld/InitAllDialects.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
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
  bool externalWeights = false;
  std::optional<bool> emulator;
  int64_t numWarps = 0;
  bool report = false;
  std::vector<std::pair<std::string, std::string>> consts;
  std::vector<std::pair<std::string, llvm::SmallVector<int64_t>>> shapes;
};

struct meld_compile_result {
  struct Record {
    meld_diagnostic_severity severity;
    std::string node, opType, message;
  };
  bool ok = false;
  llvm::SmallString<0> artifact;
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
  compile.externalWeights = o.externalWeights;
  compile.emulator = o.emulator.value_or(!compile.targets.empty());
  if (o.numWarps < 0 || o.numWarps > meld::kMaxNumWarps) {
    result.error("num_warps must be 1 to " + llvm::Twine(meld::kMaxNumWarps) +
                 " (or 0: chosen per kernel), got " + llvm::Twine(o.numWarps));
    return failure();
  }
  compile.numWarps = o.numWarps;
  if (o.report && compile.targets.empty()) {
    result.error("the report is of GPU targets; the target 'cpu' has none");
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

/// Imports the model `import` returns and compiles it with `options`.
meld_compile_result *
compile(const meld_compile_options *options,
        llvm::function_ref<OwningOpRef<ModuleOp>(
            MLIRContext &, const meld::ImportOptions &, meld::WeightStore &)>
            importModel) {
  auto *result = new (std::nothrow) meld_compile_result();
  if (!result)
    return nullptr;
  meld::CompileOptions compileOptions;
  meld::ImportOptions importOptions;
  if (failed(getOptions(options, compileOptions, importOptions, *result)))
    return result;
  MLIRContext context(getRegistry());
  context.printOpOnDiagnostic(false);
  // Steps of a compile report from several threads at once.
  std::mutex mutex;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    meld_compile_result::Record record{toSeverity(diag.getSeverity()), "", "",
                                       diag.str()};
    if (auto node = meld::getNodeInfo(diag.getLocation())) {
      record.node = node->first.str();
      record.opType = node->second.str();
    }
    std::lock_guard<std::mutex> lock(mutex);
    result->diagnostics.push_back(std::move(record));
    return success();
  });
  // What the folders do not evaluate is computed by Meld's own CPU kernels.
  importOptions.evaluator = meld::makeConstantEvaluator(compileOptions);
  meld::WeightStore weights;
  OwningOpRef<ModuleOp> module = importModel(context, importOptions, weights);
  if (!module || failed(verify(*module)))
    return result;
  llvm::raw_svector_ostream os(result->artifact);
  llvm::raw_string_ostream report(result->report);
  if (options && options->report) {
    compileOptions.report = &report;
    compileOptions.reportJSON = true;
  }
  bool compiled =
      succeeded(meld::compileToArtifact(*module, weights, os, compileOptions));
  result->ok =
      compiled && llvm::none_of(result->diagnostics, [](const auto &record) {
        return record.severity == MELD_SEVERITY_ERROR;
      });
  if (!result->ok) {
    result->artifact.clear();
    result->report.clear();
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

void meld_compile_options_set_targets(meld_compile_options *options,
                                      const char *targets) {
  if (!options)
    return;
  llvm::SmallVector<llvm::StringRef> names;
  llvm::StringRef(toString(targets))
      .split(names, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  options->targets.emplace();
  for (llvm::StringRef name : names)
    options->targets->push_back(name.trim().str());
}

void meld_compile_options_set_cuda_path(meld_compile_options *options,
                                        const char *path) {
  if (options)
    options->cudaPath = toString(path);
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

void meld_compile_options_set_report(meld_compile_options *options,
                                     int report) {
  if (options)
    options->report = report != 0;
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

const void *meld_compile_result_artifact(const meld_compile_result *result,
                                         size_t *size) {
  bool ok = result && result->ok;
  if (size)
    *size = ok ? result->artifact.size() : 0;
  return ok ? result->artifact.data() : nullptr;
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
