//===- FuzzImport.h - Fuzz input bytes as an imported ONNX model -*- C++
//-*-===//
//
// What the fuzz targets that start from model bytes share: the bytes imported
// from memory with every diagnostic swallowed (refusing the input is a fine
// outcome), and the result verified.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_FUZZ_FUZZIMPORT_H
#define MELD_FUZZ_FUZZIMPORT_H

#include "meld/Import/ONNX.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"

namespace meld::fuzz {

/// Imports `size` bytes at `data` as an ONNX model whose external data lives
/// under `baseDir`, into `context` and `weights`; null where the importer or
/// the verifier refuses it. Diagnostics go nowhere while `quiet` lives.
inline mlir::OwningOpRef<mlir::ModuleOp>
importFuzzInput(const uint8_t *data, size_t size, llvm::StringRef baseDir,
                mlir::MLIRContext &context, WeightStore &weights) {
  ImportOptions options;
  llvm::MemoryBufferRef buffer(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.onnx");
  mlir::OwningOpRef<mlir::ModuleOp> module =
      importONNXModel(buffer, baseDir, context, options, weights);
  if (!module || mlir::failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

/// Swallows every diagnostic of `context` while it lives.
struct QuietDiagnostics : mlir::ScopedDiagnosticHandler {
  explicit QuietDiagnostics(mlir::MLIRContext &context)
      : ScopedDiagnosticHandler(
            &context, [](mlir::Diagnostic &) { return mlir::success(); }) {}
};

} // namespace meld::fuzz

#endif // MELD_FUZZ_FUZZIMPORT_H
