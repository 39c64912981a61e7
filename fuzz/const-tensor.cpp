//===- const-tensor.cpp - Fuzz target: the compiler's tensor file reader --===//
//
// Bytes -> meld::readTensorBuffer, the reader of `meldc --const NAME=FILE`
// (.npy, or a serialized ONNX TensorProto), in both of its modes: named
// "fuzz.npy" (the .npy reader whatever the bytes) and "fuzz.pb" (.npy only
// with the magic, else a TensorProto). External data is resolved in a folder
// that does not exist, so it is always refused.
//
//===----------------------------------------------------------------------===//

#include "meld/Import/ONNX.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler quiet(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  mlir::Location loc = mlir::UnknownLoc::get(&context);
  for (const char *name : {"fuzz.npy", "fuzz.pb"}) {
    mlir::DenseElementsAttr attr =
        meld::readTensorBuffer(llvm::MemoryBufferRef(bytes, name),
                               "/nonexistent-meld-fuzz-dir", context, loc);
    // A constant must hold its whole type's worth of data.
    if (attr && !attr.isSplat() && !attr.getElementType().isInteger(1) &&
        attr.getRawData().size() !=
            static_cast<size_t>(attr.getNumElements()) *
                (attr.getElementType().getIntOrFloatBitWidth() / 8))
      abort();
  }
  return 0;
}
