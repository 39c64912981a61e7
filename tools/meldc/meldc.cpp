//===- meldc.cpp - Meld's compiler driver ---------------------------------===//
//
// meldc MODEL.onnx -o OUT [--emit import|graph|tile|llvm|artifact]
//       [--const NAME=FILE ...] [--shape NAME=DIMS ...]
//
// A thin driver: import the model (lib/Import/ONNX), then run the pipeline
// that produces what --emit asks for, and write it. Every diagnostic is one
// line on stderr: `meldc: error: node 'NAME' (OpType): message` for errors at
// an ONNX node, `meldc: error: message` otherwise. Exit code 1 on any error.
//
//===----------------------------------------------------------------------===//

#include "meld/Driver/Compile.h"
#include "meld/Driver/Progress.h"
#include "meld/Driver/ConstantEvaluator.h"
#include "meld/Import/ONNX.h"
#include "meld/InitAllDialects.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

/// What meldc produces.
enum class EmitKind { Import, Graph, Tile, Plan, GPU, LLVM, PTX, Artifact };

struct Options {
  cl::OptionCategory category{"meldc options"};
  cl::opt<std::string> input{cl::Positional, cl::Required,
                             cl::desc("<model.onnx>"), cl::cat(category)};
  cl::opt<std::string> output{"o", cl::desc("Output file ('-' for stdout)"),
                              cl::value_desc("file"), cl::init("-"),
                              cl::cat(category)};
  cl::opt<EmitKind> emit{
      "emit", cl::desc("What to produce"), cl::init(EmitKind::Artifact),
      cl::values(
          clEnumValN(EmitKind::Import, "import",
                     "the imported model in the graph dialect (MLIR text)"),
          clEnumValN(EmitKind::Graph, "graph",
                     "the graph after the graph passes: recognized "
                     "composites and fusion groups (MLIR text)"),
          clEnumValN(EmitKind::Tile, "tile", "tile-dialect kernels (MLIR text)"),
          clEnumValN(EmitKind::Plan, "plan",
                     "the artifact's buffer and launch plan (JSON)"),
          clEnumValN(EmitKind::GPU, "gpu",
                     "GPU kernels: gpu dialect, before NVVM (MLIR text)"),
          clEnumValN(EmitKind::LLVM, "llvm",
                     "host kernels in the LLVM dialect (MLIR text)"),
          clEnumValN(EmitKind::PTX, "ptx",
                     "the PTX module of one target (--target names one)"),
          clEnumValN(EmitKind::Artifact, "artifact",
                     "a .meld artifact for meld-run")),
      cl::cat(category)};
  cl::list<std::string> consts{
      "const",
      cl::desc("Freeze graph input NAME to the tensor in FILE (.npy or ONNX "
               "TensorProto .pb); it leaves the signature (repeatable)"),
      cl::value_desc("NAME=FILE"), cl::cat(category)};
  cl::list<std::string> targets{
      "target",
      cl::desc("GPU targets, comma-separated: sm_80, sm_86, sm_89, sm_90, "
               "sm_90a (default sm_80,sm_90a); the artifact carries PTX for "
               "each, and cubins when ptxas is found. 'cpu': no GPU target, "
               "only the host code (always in the artifact)"),
      cl::value_desc("sm_XX,...|cpu"), cl::CommaSeparated, cl::cat(category)};
  cl::opt<std::string> report{
      "report",
      cl::desc("Print, per kernel and target, the ONNX nodes it computes, "
               "its launches, grid and tile, its flops and device-memory "
               "bytes and their roofline time on the target, the registers, "
               "spill bytes, shared memory and stack frame ptxas reports and "
               "the theoretical occupancy; then the totals per target "
               "(--report=json for JSON)"),
      cl::ValueOptional, cl::value_desc("json"), cl::cat(category)};
  cl::opt<std::string> reportFile{
      "report-file",
      cl::desc("Write the --report to this file instead of stdout"),
      cl::value_desc("file"), cl::cat(category)};
  cl::opt<std::string> cudaPath{
      "cuda-path",
      cl::desc("The CUDA toolkit (libdevice for math, ptxas for cubins)"),
      cl::init("/usr/local/cuda"), cl::value_desc("dir"), cl::cat(category)};
  cl::opt<std::string> weightsMode{
      "weights",
      cl::desc("Where the weights go: 'embedded' (default) in the artifact, "
               "aligned for mmap; 'external': left out, the runtime loads "
               "them from a safetensors file keyed by ONNX initializer name "
               "(meld-run --weights FILE)"),
      cl::init("embedded"), cl::value_desc("embedded|external"),
      cl::cat(category)};
  cl::opt<bool> emulator{
      "emulator",
      cl::desc("Include the GPU kernels compiled for the GPU emulator "
               "(meld-run --device emu). Default: on with GPU targets, off "
               "with --target=cpu (where --emulator adds them)"),
      cl::init(true), cl::cat(category)};
  cl::opt<int64_t> numWarps{
      "num-warps",
      cl::desc("Warps of every GPU kernel's block, 1 to 32 (default: chosen "
               "per kernel from its tiles)"),
      cl::init(0), cl::cat(category)};
  cl::opt<bool> quiet{
      "quiet",
      cl::desc("Print no progress line (one is shown on a terminal while a "
               "compile takes more than a second)"),
      cl::cat(category)};
  cl::opt<bool> progress{
      "progress",
      cl::desc("Print progress even when stderr is not a terminal: a line "
               "per step started or ended, and per pass (for logs and "
               "tests)"),
      cl::Hidden, cl::cat(category)};
  cl::opt<int64_t> kernelsPerPart{
      "kernels-per-part",
      cl::desc("Host and emulator libraries of more kernels are compiled in "
               "parts of about this many, on several threads"),
      cl::init(64), cl::Hidden, cl::cat(category)};
  cl::list<std::string> shapes{
      "shape",
      cl::desc("Fix the shape of graph input NAME, e.g. input_ids=1x41, or "
               "symbolic dimension NAME (an ONNX dim_param) in every input "
               "that has it, e.g. seq=37 (needed for symbolic dimensions; "
               "repeatable)"),
      cl::value_desc("NAME=DIMS"), cl::cat(category)};
};

/// Prints `diag` as one line: `meldc: error: node 'NAME' (OpType): message`.
/// Attached notes are dropped: every diagnostic stays one line.
void printDiagnostic(Diagnostic &diag) {
  llvm::raw_ostream &os = llvm::errs();
  os << "meldc: ";
  switch (diag.getSeverity()) {
  case DiagnosticSeverity::Error:
    os << "error: ";
    break;
  case DiagnosticSeverity::Warning:
    os << "warning: ";
    break;
  case DiagnosticSeverity::Note:
    os << "note: ";
    break;
  case DiagnosticSeverity::Remark:
    os << "remark: ";
    break;
  }
  // Names come from the model: control characters would break the line.
  auto oneLine = [](llvm::StringRef text) {
    std::string line = text.str();
    for (char &c : line)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        c = ' ';
    return line;
  };
  if (auto node = meld::getNodeInfo(diag.getLocation()))
    os << "node '" << oneLine(node->first) << "' (" << oneLine(node->second)
       << "): ";
  os << oneLine(diag.str()) << "\n";
}

/// Reports a command-line error.
int usageError(const llvm::Twine &message) {
  llvm::errs() << "meldc: error: " << message << "\n";
  return 1;
}

/// Fills `options` from --const and --shape.
LogicalResult parseImportOptions(const Options &cli,
                                 meld::ImportOptions &options) {
  for (const std::string &entry : cli.consts) {
    auto [name, file] = llvm::StringRef(entry).split('=');
    if (name.empty() || file.empty()) {
      usageError("--const " + entry + ": expected NAME=FILE");
      return failure();
    }
    options.constInputs[name] = file.str();
  }
  for (const std::string &entry : cli.shapes) {
    auto [name, dims] = llvm::StringRef(entry).rsplit('=');
    if (name.empty() || !llvm::StringRef(entry).contains('=')) {
      usageError("--shape " + entry + ": expected NAME=DIMS, e.g. x=1x41");
      return failure();
    }
    llvm::SmallVector<int64_t> shape;
    llvm::SmallVector<llvm::StringRef> parts;
    if (!dims.empty())
      dims.split(parts, dims.contains(',') ? ',' : 'x');
    for (llvm::StringRef part : parts) {
      int64_t dim;
      if (part.trim().getAsInteger(10, dim) || dim < 0) {
        usageError("--shape " + entry + ": '" + part +
                   "' is not a dimension (expected NAME=DIMS, e.g. x=1x41)");
        return failure();
      }
      shape.push_back(dim);
    }
    if (!options.addInputShape(name, shape)) {
      usageError("--shape " + name + " is given twice, with different values");
      return failure();
    }
  }
  return success();
}

/// Writes `module` as MLIR text to `path`.
LogicalResult writeModule(ModuleOp module, llvm::StringRef path) {
  std::string error;
  auto file = openOutputFile(path, &error);
  if (!file) {
    usageError(error);
    return failure();
  }
  module.print(file->os());
  file->os() << "\n";
  file->keep();
  return success();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  Options cli;
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  // --help lists meldc's own options and the MLIR ones meldc supports for
  // looking inside a compile; the rest (LLVM's backend options, most of
  // MLIR's) still parse but are not listed.
  cl::OptionCategory mlirCategory{
      "MLIR options (timing and IR of every step)"};
  for (llvm::StringRef name :
       {"mlir-timing", "mlir-timing-display", "mlir-print-ir-after-all",
        "mlir-print-ir-before-all", "mlir-print-ir-after-change",
        "mlir-print-ir-after-failure", "mlir-print-ir-module-scope",
        "mlir-print-debuginfo", "mlir-pass-statistics",
        "mlir-disable-threading"})
    if (cl::Option *option = cl::getRegisteredOptions().lookup(name))
      option->addCategory(mlirCategory);
  cl::HideUnrelatedOptions({&cli.category, &mlirCategory});
  cl::ParseCommandLineOptions(argc, argv,
                              "meldc: compiles an ONNX model with Meld\n");

  DialectRegistry registry;
  meld::registerAllDialects(registry);
  MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  std::optional<meld::ProgressLine> progress;
  context.getDiagEngine().registerHandler([&](Diagnostic &diag) {
    if (progress)
      progress->printAbove([&](llvm::raw_ostream &) { printDiagnostic(diag); });
    else
      printDiagnostic(diag);
    return success();
  });

  // --mlir-timing: every step of the compile, with the passes of each.
  DefaultTimingManager timingManager;
  applyDefaultTimingManagerCLOptions(timingManager);
  TimingScope timing = timingManager.getRootScope();

  meld::CompileOptions compileOptions;
  compileOptions.timing = &timing;
  if (!cli.targets.empty())
    if (std::optional<std::string> error = meld::parseTargets(
            std::vector<std::string>(cli.targets.begin(), cli.targets.end()),
            compileOptions.targets))
      return usageError(*error);
  compileOptions.cudaPath = cli.cudaPath;
  if (cli.numWarps.getNumOccurrences() &&
      (cli.numWarps < 1 || cli.numWarps > meld::kMaxNumWarps))
    return usageError("--num-warps must be 1 to " +
                      std::to_string(meld::kMaxNumWarps) + ", got " +
                      std::to_string(cli.numWarps));
  compileOptions.numWarps = cli.numWarps;
  if (cli.kernelsPerPart < 1)
    return usageError("--kernels-per-part must be at least 1");
  compileOptions.host.kernelsPerPart = cli.kernelsPerPart;
  // The emulator stands in for the GPU targets: without any, only asked for.
  compileOptions.emulator = cli.emulator.getNumOccurrences()
                                ? cli.emulator
                                : !compileOptions.targets.empty();
  if (cli.weightsMode != "embedded" && cli.weightsMode != "external")
    return usageError("--weights takes 'embedded' or 'external', got '" +
                      cli.weightsMode + "'");
  compileOptions.externalWeights = cli.weightsMode == "external";
  if (cli.reportFile.getNumOccurrences() && !cli.report.getNumOccurrences())
    return usageError("--report-file needs --report");
  std::unique_ptr<llvm::ToolOutputFile> reportFile;
  if (cli.report.getNumOccurrences()) {
    if (compileOptions.targets.empty())
      return usageError("--report reports on GPU targets; --target=cpu has "
                        "none");
    if (!cli.report.empty() && cli.report != "json")
      return usageError("--report takes no value or 'json', got '" +
                        cli.report + "'");
    compileOptions.report = &llvm::outs();
    if (cli.reportFile.getNumOccurrences()) {
      std::string error;
      reportFile = openOutputFile(cli.reportFile, &error);
      if (!reportFile)
        return usageError("--report-file: " + error);
      compileOptions.report = &reportFile->os();
    }
    compileOptions.reportJSON = cli.report == "json";
  }
  if (cli.emit == EmitKind::PTX && compileOptions.targets.size() != 1)
    return usageError("--emit=ptx needs --target naming exactly one GPU "
                      "target");

  meld::ImportOptions importOptions;
  if (failed(parseImportOptions(cli, importOptions)))
    return 1;
  // External weights are read at run time: no float initializer's value may
  // be baked into the artifact.
  importOptions.floatInitializersAsWeights = compileOptions.externalWeights;
  // What the folders do not evaluate is computed by Meld's own CPU kernels.
  importOptions.evaluator = meld::makeConstantEvaluator(compileOptions);
  meld::WeightStore weights;
  // Progress: on a terminal, unless --quiet; --progress forces it (one line
  // per event where stderr is not a terminal).
  bool terminal = llvm::errs().is_displayed();
  if (cli.progress || (terminal && !cli.quiet)) {
    progress.emplace(llvm::errs(),
                     terminal ? meld::ProgressLine::Mode::Terminal
                              : meld::ProgressLine::Mode::Lines,
                     cli.progress ? std::chrono::milliseconds(0)
                                  : std::chrono::seconds(1));
    compileOptions.progress = &*progress;
  }

  OwningOpRef<ModuleOp> module;
  {
    meld::CompileStep importStep(compileOptions, "import");
    module = meld::importONNXModel(cli.input, context, importOptions, weights);
    if (!module || failed(verify(*module)))
      return 1;
  }

  compileOptions.weights = &weights;
  switch (cli.emit) {
  case EmitKind::Import:
    return failed(writeModule(*module, cli.output)) ? 1 : 0;
  case EmitKind::Graph:
    if (failed(meld::optimizeGraph(*module, compileOptions)))
      return 1;
    return failed(writeModule(*module, cli.output)) ? 1 : 0;
  case EmitKind::Tile:
    if (failed(meld::lowerGraphToTile(*module, compileOptions)))
      return 1;
    return failed(writeModule(*module, cli.output)) ? 1 : 0;
  case EmitKind::Plan: {
    std::string error;
    auto file = openOutputFile(cli.output, &error);
    if (!file)
      return usageError(error);
    if (failed(meld::printArtifactPlan(*module, weights, compileOptions,
                                       file->os())))
      return 1;
    file->keep();
    return 0;
  }
  case EmitKind::GPU:
    if (failed(meld::lowerGraphToTile(*module, compileOptions)) ||
        failed(meld::lowerTileToGPU(*module, compileOptions)))
      return 1;
    return failed(writeModule(*module, cli.output)) ? 1 : 0;
  case EmitKind::PTX: {
    std::string error;
    auto file = openOutputFile(cli.output, &error);
    if (!file)
      return usageError(error);
    if (failed(meld::emitPTX(*module, compileOptions.targets.front(),
                             compileOptions, file->os())))
      return 1;
    file->keep();
    return 0;
  }
  case EmitKind::LLVM:
    if (failed(meld::lowerGraphToTile(*module, compileOptions)) ||
        failed(meld::lowerTileToHost(*module, compileOptions)))
      return 1;
    return failed(writeModule(*module, cli.output)) ? 1 : 0;
  case EmitKind::Artifact:
    if (cli.output == "-")
      return usageError("--emit=artifact needs -o FILE");
    if (failed(meld::compileToArtifact(*module, weights, cli.output,
                                       compileOptions)))
      return 1;
    if (reportFile)
      reportFile->keep();
    return 0;
  }
  return 0;
}
