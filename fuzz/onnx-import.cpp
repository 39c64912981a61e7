//===- onnx-import.cpp - Fuzz target: the ONNX importer -------------------===//
//
// Bytes -> meld::importONNXModel (from memory) -> verify, then every weight's
// bytes read back from the store. The model's folder is a scratch folder made
// once in the temporary directory (removed at exit), holding small external
// data files ("data.bin" and "sub/w.bin"), so that external data locations
// are resolved and read as for a model on disk.
// Diagnostics are swallowed: refusing the input is a fine outcome; crashing,
// leaking, hanging or undefined behaviour is not.
//
//===----------------------------------------------------------------------===//

#include "FuzzImport.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace {

/// The scratch model folder, removed at exit.
std::string &modelDir() {
  static std::string dir;
  return dir;
}

void removeModelDir() {
  if (!modelDir().empty())
    llvm::sys::fs::remove_directories(modelDir());
}

/// Writes `size` bytes of a fixed pattern to `path`.
void writePattern(const llvm::Twine &path, size_t size) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path.str(), ec);
  for (size_t i = 0; !ec && i < size; ++i)
    os << static_cast<char>((i * 37 + 11) & 0xff);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
  llvm::SmallString<128> prefix, absolute;
  llvm::sys::path::system_temp_directory(/*ErasedOnReboot=*/true, prefix);
  llvm::sys::path::append(prefix, "meld-fuzz-onnx");
  if (llvm::sys::fs::createUniqueDirectory(prefix, absolute))
    abort();
  modelDir() = std::string(absolute);
  atexit(removeModelDir);
  writePattern(absolute + "/data.bin", 4096);
  llvm::sys::fs::create_directory(absolute + "/sub");
  writePattern(absolute + "/sub/w.bin", 1024);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  meld::fuzz::QuietDiagnostics quiet(context);
  meld::WeightStore weights;
  // The weights are read back whether or not the module verifies.
  (void)meld::fuzz::importFuzzInput(data, size, modelDir(), context, weights);
  for (const auto &entry : weights.getEntries()) {
    auto bytes = weights.getBytes(*entry);
    if (!bytes) {
      llvm::consumeError(bytes.takeError());
      continue;
    }
    // Touch the first and last byte: the store promises byteSize bytes.
    volatile uint8_t sink = 0;
    if (!bytes->empty())
      sink = sink + bytes->front() + bytes->back();
    if (bytes->size() != entry->byteSize)
      abort();
  }
  return 0;
}
