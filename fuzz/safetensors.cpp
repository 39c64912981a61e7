//===- safetensors.cpp - Fuzz target: the runtime's safetensors reader ----===//
//
// Bytes -> meld::rt::parseSafetensors (the 8-byte header size, the JSON
// header, every tensor's dtype, shape and data offsets), then the bytes of
// every tensor it accepted, which must lie within the input.
//
//===----------------------------------------------------------------------===//

#include "Safetensors.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::map<std::string, meld::rt::SafetensorsTensor> tensors;
  uint64_t dataOffset = 0;
  if (meld::rt::parseSafetensors(data, size, "fuzz.safetensors", tensors,
                                 dataOffset) != MELD_OK)
    return 0;
  volatile uint8_t sink = 0;
  for (const auto &[name, tensor] : tensors) {
    if (tensor.begin > tensor.end || dataOffset > size ||
        tensor.end > size - dataOffset)
      abort();
    for (uint64_t i = tensor.begin; i < tensor.end; ++i)
      sink = sink + data[dataOffset + i];
  }
  return 0;
}
