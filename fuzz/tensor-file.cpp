//===- tensor-file.cpp - Fuzz target: meld-run's tensor file reader -------===//
//
// Bytes -> meld::parseTensorFile, the reader of `meld-run --input NAME=FILE`
// (.npy format 1-3, or a serialized ONNX TensorProto), in both of its modes:
// named "fuzz.npy" (always .npy) and "fuzz.pb" (always a TensorProto). A
// tensor it accepts must hold exactly its shape's worth of bytes.
//
//===----------------------------------------------------------------------===//

#include "TensorFile.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  for (const char *name : {"fuzz.npy", "fuzz.pb"}) {
    meld::HostTensor tensor;
    std::string error;
    if (!meld::parseTensorFile(bytes, name, tensor, error))
      continue;
    uint64_t count = meld_dtype_size(tensor.dtype);
    for (int64_t d : tensor.shape)
      count *= static_cast<uint64_t>(d);
    if (count != tensor.data.size())
      abort();
  }
  return 0;
}
