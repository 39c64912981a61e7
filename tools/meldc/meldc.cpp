//===- meldc.cpp - Meld's compiler driver ---------------------------------===//
//
// meldc MODEL.onnx -o OUT [--emit import|graph|tile|llvm|artifact]
//       [--const NAME=FILE ...] [--shape NAME=DIMS ...]
//
// A thin client of the compiler's C API (meld-c/Compiler.h): the command
// line becomes its options, the compile writes what --emit asks for to the
// output file, and meldc prints what the compile tells it. Every diagnostic
// is one line on stderr: `meldc: error: node 'NAME' (OpType): message` for
// errors at an ONNX node, `meldc: error: message` otherwise. Exit code 1 on
// any error.
//
//===----------------------------------------------------------------------===//

#include "meld-c/Compiler.h"
#include "meld/Driver/Compile.h"
#include "meld/Driver/Progress.h"
#include "meld/Import/ONNX.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
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

/// What meldc produces: the compiler's outputs.
using EmitKind = meld_compile_output;

struct Options {
  cl::OptionCategory category{"meldc options"};
  cl::opt<std::string> input{cl::Positional, cl::Required,
                             cl::desc("<model.onnx>"), cl::cat(category)};
  cl::opt<std::string> output{"o", cl::desc("Output file ('-' for stdout)"),
                              cl::value_desc("file"), cl::init("-"),
                              cl::cat(category)};
  cl::opt<EmitKind> emit{
      "emit", cl::desc("What to produce"), cl::init(MELD_OUTPUT_ARTIFACT),
      cl::values(
          clEnumValN(MELD_OUTPUT_IMPORT, "import",
                     "the imported model in the graph dialect (MLIR text)"),
          clEnumValN(MELD_OUTPUT_GRAPH, "graph",
                     "the graph after the graph passes: recognized "
                     "composites and fusion groups (MLIR text)"),
          clEnumValN(MELD_OUTPUT_TILE, "tile",
                     "tile-dialect kernels (MLIR text)"),
          clEnumValN(MELD_OUTPUT_PLAN, "plan",
                     "the artifact's buffer and launch plan (JSON)"),
          clEnumValN(MELD_OUTPUT_GPU, "gpu",
                     "GPU kernels: gpu dialect, before NVVM (MLIR text)"),
          clEnumValN(MELD_OUTPUT_LLVM, "llvm",
                     "host kernels in the LLVM dialect (MLIR text)"),
          clEnumValN(MELD_OUTPUT_PTX, "ptx",
                     "the PTX module of one target (--target names one)"),
          clEnumValN(MELD_OUTPUT_ARTIFACT, "artifact",
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
  cl::list<std::string> hostCpus{
      "host-cpu",
      cl::desc("The x86-64 ISA levels the host kernels are compiled for, "
               "comma-separated, one library each: x86-64 (the baseline), "
               "x86-64-v2, x86-64-v3 (AVX2), x86-64-v4 (AVX-512); default "
               "x86-64,x86-64-v3,x86-64-v4. meld-run runs the widest level "
               "the CPU supports"),
      cl::value_desc("level,..."), cl::CommaSeparated, cl::cat(category)};
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
  cl::opt<std::string> precision{
      "precision",
      cl::desc("Which products of the GPU kernels run on tensor cores: fp32 "
               "(none), tf32 (the default: f32 products on mma.sync, "
               "operands rounded to tf32), fp16 or bf16 (operands rounded to "
               "that type); all accumulate in f32"),
      cl::init("tf32"), cl::cat(category)};
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
  cl::opt<int64_t> splitCost{
      "split-cost",
      cl::desc("Host and emulator libraries whose code costs at least this "
               "much to compile (LLVM instructions, weighed by their vectors' "
               "128-bit registers) are compiled in a part per thread at "
               "least"),
      cl::init(8192), cl::Hidden, cl::cat(category)};
  cl::list<std::string> shapes{
      "shape",
      cl::desc("Fix the shape of graph input NAME, e.g. input_ids=1x41, or "
               "symbolic dimension NAME (an ONNX dim_param) in every input "
               "that has it, e.g. seq=37 (needed for symbolic dimensions; "
               "repeatable)"),
      cl::value_desc("NAME=DIMS"), cl::cat(category)};
};

/// Prints `diagnostic` as one line: `meldc: error: node 'NAME' (OpType):
/// message`.
void printDiagnostic(const meld_diagnostic &diagnostic) {
  llvm::raw_ostream &os = llvm::errs();
  os << "meldc: ";
  switch (diagnostic.severity) {
  case MELD_SEVERITY_ERROR:
    os << "error: ";
    break;
  case MELD_SEVERITY_WARNING:
    os << "warning: ";
    break;
  case MELD_SEVERITY_NOTE:
    os << "note: ";
    break;
  case MELD_SEVERITY_REMARK:
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
  if (*diagnostic.node || *diagnostic.op_type)
    os << "node '" << oneLine(diagnostic.node) << "' ("
       << oneLine(diagnostic.op_type) << "): ";
  os << oneLine(diagnostic.message) << "\n";
}

/// Reports a command-line error.
int usageError(const llvm::Twine &message) {
  llvm::errs() << "meldc: error: " << message << "\n";
  return 1;
}

/// Gives `options` the --const and --shape entries.
LogicalResult parseImportOptions(const Options &cli,
                                 meld_compile_options *options) {
  for (const std::string &entry : cli.consts) {
    auto [name, file] = llvm::StringRef(entry).split('=');
    if (name.empty() || file.empty()) {
      usageError("--const " + entry + ": expected NAME=FILE");
      return failure();
    }
    meld_compile_options_add_const(options, name.str().c_str(),
                                   file.str().c_str());
  }
  // The compiler says when a shape is given twice; meldc names the flag,
  // by the importer's own rule.
  meld::ImportOptions given;
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
    if (!given.addInputShape(name, shape)) {
      usageError("--shape " + name + " is given twice, with different values");
      return failure();
    }
    meld_compile_options_set_shape(options, name.str().c_str(), shape.data(),
                                   shape.size());
  }
  return success();
}

/// What the compile tells meldc as it goes: progress to the progress line
/// (when one shows), diagnostics to stderr above it.
struct Listener {
  std::optional<meld::ProgressLine> progress;

  static void onProgress(void *user, meld_progress_event event,
                         const char *step, int64_t done, int64_t total,
                         const char *unit) {
    meld::ProgressLine &line = *static_cast<Listener *>(user)->progress;
    switch (event) {
    case MELD_PROGRESS_START:
      line.startStep(step);
      break;
    case MELD_PROGRESS_STEP:
      line.stepProgress(step, done, total, unit);
      break;
    case MELD_PROGRESS_FINISH:
      line.finishStep(step);
      break;
    }
  }

  static void onDiagnostic(void *user, const meld_diagnostic *diagnostic) {
    auto *self = static_cast<Listener *>(user);
    if (self->progress)
      self->progress->printAbove(
          [&](llvm::raw_ostream &) { printDiagnostic(*diagnostic); });
    else
      printDiagnostic(*diagnostic);
  }
};

/// Owns a C API object.
template <typename T, void (*Free)(T *)>
using Owned = std::unique_ptr<T, std::integral_constant<decltype(Free), Free>>;

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

  Owned<meld_compile_options, meld_compile_options_free> options(
      meld_compile_options_create());
  if (!options)
    return usageError("out of memory");
  meld_compile_options *o = options.get();
  // The MLIR options above apply to the compile.
  meld_compile_options_use_command_line(o, 1);
  std::vector<std::string> targets;
  if (!cli.targets.empty()) {
    if (std::optional<std::string> error = meld::parseTargets(
            std::vector<std::string>(cli.targets.begin(), cli.targets.end()),
            targets))
      return usageError(*error);
    meld_compile_options_set_targets(
        o, targets.empty() ? "cpu" : llvm::join(targets, ",").c_str());
  } else {
    targets = meld::CompileOptions().targets;
  }
  if (!cli.hostCpus.empty())
    meld_compile_options_set_host_cpus(o,
                                       llvm::join(cli.hostCpus, ",").c_str());
  meld_compile_options_set_cuda_path(o, cli.cudaPath.c_str());
  if (cli.numWarps.getNumOccurrences() &&
      (cli.numWarps < 1 || cli.numWarps > meld::kMaxNumWarps))
    return usageError("--num-warps must be 1 to " +
                      std::to_string(meld::kMaxNumWarps) + ", got " +
                      std::to_string(cli.numWarps));
  meld_compile_options_set_num_warps(o, cli.numWarps);
  if (!meld::isPrecision(cli.precision))
    return usageError(std::string("--precision must be ") + meld::kPrecisions +
                      ", got '" + cli.precision + "'");
  meld_compile_options_set_precision(o, cli.precision.c_str());
  if (cli.kernelsPerPart < 1)
    return usageError("--kernels-per-part must be at least 1");
  meld_compile_options_set_kernels_per_part(o, cli.kernelsPerPart);
  if (cli.splitCost < 1)
    return usageError("--split-cost must be at least 1");
  meld_compile_options_set_split_cost(o, cli.splitCost);
  // The emulator stands in for the GPU targets: without any, only asked for.
  if (cli.emulator.getNumOccurrences())
    meld_compile_options_set_emulator(o, cli.emulator);
  if (cli.weightsMode != "embedded" && cli.weightsMode != "external")
    return usageError("--weights takes 'embedded' or 'external', got '" +
                      cli.weightsMode + "'");
  meld_compile_options_set_external_weights(o, cli.weightsMode == "external");
  if (cli.reportFile.getNumOccurrences() && !cli.report.getNumOccurrences())
    return usageError("--report-file needs --report");
  std::unique_ptr<llvm::ToolOutputFile> reportFile;
  if (cli.report.getNumOccurrences()) {
    if (targets.empty())
      return usageError("--report reports on GPU targets; --target=cpu has "
                        "none");
    if (!cli.report.empty() && cli.report != "json")
      return usageError("--report takes no value or 'json', got '" +
                        cli.report + "'");
    if (cli.reportFile.getNumOccurrences()) {
      std::string error;
      reportFile = openOutputFile(cli.reportFile, &error);
      if (!reportFile)
        return usageError("--report-file: " + error);
    }
    meld_compile_options_set_report(
        o, cli.report == "json" ? MELD_REPORT_JSON : MELD_REPORT_TABLE);
  }
  if (cli.emit == MELD_OUTPUT_PTX && targets.size() != 1)
    return usageError("--emit=ptx needs --target naming exactly one GPU "
                      "target");
  if (cli.emit == MELD_OUTPUT_ARTIFACT && cli.output == "-")
    return usageError("--emit=artifact needs -o FILE");
  meld_compile_options_set_output(o, cli.emit);
  meld_compile_options_set_output_file(o, cli.output.c_str());
  if (failed(parseImportOptions(cli, o)))
    return 1;

  // Progress: on a terminal, unless --quiet; --progress forces it (one line
  // per event where stderr is not a terminal).
  Listener listener;
  bool terminal = llvm::errs().is_displayed();
  if (cli.progress || (terminal && !cli.quiet)) {
    listener.progress.emplace(llvm::errs(),
                              terminal ? meld::ProgressLine::Mode::Terminal
                                       : meld::ProgressLine::Mode::Lines,
                              cli.progress ? std::chrono::milliseconds(0)
                                           : std::chrono::seconds(1));
    meld_compile_options_set_progress_callback(o, Listener::onProgress,
                                               &listener);
  }
  meld_compile_options_set_diagnostic_callback(o, Listener::onDiagnostic,
                                               &listener);

  Owned<meld_compile_result, meld_compile_result_free> result(
      meld_compile_file(cli.input.c_str(), o));
  if (listener.progress)
    listener.progress->stop();
  if (!result)
    return usageError("out of memory");
  if (!meld_compile_result_ok(result.get()))
    return 1;
  if (cli.report.getNumOccurrences()) {
    llvm::raw_ostream &os = reportFile ? reportFile->os() : llvm::outs();
    os << meld_compile_result_report(result.get());
    if (reportFile)
      reportFile->keep();
  }
  return 0;
}
