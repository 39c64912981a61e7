//===- ConstantEvaluator.cpp - Evaluating graph ops at compile time -------===//
//
// The ops a value needs are cloned into a module of their own,
//
//   func.func @main() -> (tensor<...> {meld.name = "v0"}, ...)
//
// compiled like any model for the CPU alone (no GPU targets, no emulator) into
// an artifact, and run on the runtime's CPU backend; the outputs are the
// values. Diagnostics of the nested compile are held back and the first error
// re-emitted, so the user sees one line naming the node at fault.
//
//===----------------------------------------------------------------------===//

#include "meld/Driver/ConstantEvaluator.h"

#include "dialects/Graph/IR/GraphOps.h"

#include "meld/runtime.hpp"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

using namespace mlir;
using namespace meld;

/// The ops `values` are computed by, in program order.
static SmallVector<Operation *> getSlice(ArrayRef<Value> values) {
  llvm::SetVector<Operation *> slice;
  SmallVector<Operation *> worklist;
  for (Value value : values)
    if (Operation *def = value.getDefiningOp())
      worklist.push_back(def);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!slice.insert(op))
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        worklist.push_back(def);
  }
  SmallVector<Operation *> ordered = slice.takeVector();
  llvm::sort(ordered,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return ordered;
}

FailureOr<std::vector<TensorBytes>>
meld::evaluateConstants(ArrayRef<Value> values, const WeightStore &weights,
                        const CompileOptions &options) {
  assert(!values.empty() && "nothing to evaluate");
  MLIRContext *context = values.front().getContext();
  Location loc = values.front().getLoc();

  // The module: the slice, returning `values` as outputs v0, v1, ...
  OpBuilder b(context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(
      b, loc, kMainFunctionName,
      b.getFunctionType({}, ValueRange(values).getTypes()));
  b.setInsertionPointToStart(func.addEntryBlock());
  IRMapping mapping;
  for (Operation *op : getSlice(values)) {
    for (Value operand : op->getOperands())
      if (!mapping.contains(operand))
        return emitError(op->getLoc())
               << "cannot evaluate at compile time: an operand is not known";
    b.clone(*op, mapping);
  }
  SmallVector<Value> results;
  for (Value value : values)
    results.push_back(mapping.lookup(value));
  func::ReturnOp::create(b, loc, results);
  for (unsigned i = 0; i < values.size(); ++i)
    func.setResultAttr(i, kMeldNameAttr, b.getStringAttr("v" + Twine(i)));

  // Compile it for the CPU alone into a temporary artifact, holding back the
  // nested compile's diagnostics.
  CompileOptions cpuOnly;
  cpuOnly.targets.clear();
  cpuOnly.emulator = false;
  cpuOnly.host = options.host;
  // The baseline alone: it runs here, whatever this CPU is.
  cpuOnly.hostCpus = {"x86-64"};
  cpuOnly.useCommandLineOptions = false;
  llvm::SmallString<128> path;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("meld-eval", "meld", fd, path))
    return emitError(loc) << "cannot create a temporary file to evaluate "
                             "constants: "
                          << ec.message();
  llvm::scope_exit removeFile([&] { llvm::sys::fs::remove(path); });
  {
    llvm::raw_fd_ostream file(fd, /*shouldClose=*/true);
    std::optional<Diagnostic> firstError;
    LogicalResult compiled = failure();
    {
      ScopedDiagnosticHandler holdBack(context, [&](Diagnostic &diag) {
        if (diag.getSeverity() == DiagnosticSeverity::Error && !firstError)
          firstError.emplace(std::move(diag));
        return success();
      });
      compiled = compileToArtifact(*module, weights, file, cpuOnly);
    }
    if (failed(compiled)) {
      if (firstError)
        context->getDiagEngine().emit(std::move(*firstError));
      else
        emitError(loc) << "cannot evaluate at compile time";
      return failure();
    }
    file.close();
    if (file.has_error()) {
      std::error_code ec = file.error();
      file.clear_error();
      return emitError(loc) << "cannot write '" << path
                            << "' to evaluate constants: " << ec.message();
    }
  }

  // Run it on the CPU.
  RuntimeHandles rt;
  if (meld_model_load(path.c_str(), &rt.model) != MELD_OK ||
      meld_session_create(rt.model, "cpu", nullptr, &rt.session) != MELD_OK)
    return emitError(loc) << meld_last_error();
  if (meld_status status = meld_session_run(rt.session)) {
    // A fault in the data (an integer division by zero, an index out of
    // range among values known at compile time) names its node itself.
    return emitError(status == MELD_ERROR_DATA ? UnknownLoc::get(context) : loc)
           << meld_last_error();
  }
  std::vector<TensorBytes> bytes;
  for (size_t i = 0; i < values.size(); ++i) {
    meld_tensor_info info;
    const void *data;
    if (meld_session_get_output(rt.session, i, &info, &data) != MELD_OK)
      return emitError(loc) << meld_last_error();
    const auto *begin = static_cast<const uint8_t *>(data);
    bytes.emplace_back(begin, begin + info.num_bytes);
  }
  return bytes;
}

ConstantEvaluator meld::makeConstantEvaluator(const CompileOptions &options) {
  return [options](ArrayRef<Value> values, const WeightStore &weights) {
    return evaluateConstants(values, weights, options);
  };
}
