//===- Safetensors.h - Reading safetensors weight files ---------*- C++ -*-===//
//
// The external weights of an artifact (meldc --weights=external) come from a
// safetensors file: an 8-byte little-endian header size N, N bytes of JSON
//
//   {"__metadata__": {"k": "v"},
//    "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}
//
// then the data section, with offsets relative to its start. The runtime links
// no LLVM, so the header is read by the small, bounded JSON parser here: it
// accepts objects, arrays, strings (with every JSON escape), integers, true,
// false and null, rejects anything else with the byte offset at fault, and
// limits depth and header size, so no header can crash or exhaust it.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_RUNTIME_LIB_SAFETENSORS_H
#define MELD_RUNTIME_LIB_SAFETENSORS_H

#include "meld/runtime.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace meld {
namespace rt {

/// One tensor of the header.
struct SafetensorsTensor {
  /// As written ("F32", "BF16", ...).
  std::string dtype;
  std::vector<int64_t> shape;
  /// [begin, end) relative to the data section; checked to lie within it and
  /// to hold product(shape) * element size bytes when the dtype is known.
  uint64_t begin = 0;
  uint64_t end = 0;
};

/// The largest header accepted (the safetensors library's own limit).
constexpr uint64_t kSafetensorsMaxHeaderSize = 100u << 20;

/// Parses a header (the JSON text) for a data section of `dataSize` bytes.
/// On failure returns false with a message in `error` (without the file
/// name); byte offsets in it count from the start of the file. `*truncated`
/// (if given) says whether the failure is a tensor past the data's end.
bool parseSafetensorsHeader(const char *json, size_t size, uint64_t dataSize,
                            std::map<std::string, SafetensorsTensor> &tensors,
                            std::string &error, bool *truncated = nullptr);

/// Checks the layout of the safetensors file held in the `size` bytes at
/// `base` (named `path` in messages) and parses its header into `tensors`;
/// `dataOffset` is set to where the data section starts. On failure sets the
/// thread's error and returns its code (MELD_ERROR_INVALID_ARGUMENT).
meld_status parseSafetensors(const uint8_t *base, uint64_t size,
                             const std::string &path,
                             std::map<std::string, SafetensorsTensor> &tensors,
                             uint64_t &dataOffset);

/// The meld dtype of a safetensors dtype name; false if it has none.
bool safetensorsDType(const std::string &name, meld_dtype &dtype);

/// A safetensors file mapped read-only.
class SafetensorsFile {
public:
  /// Opens, maps and parses `path`; on failure sets the thread's error and
  /// returns its code (MELD_ERROR_IO or MELD_ERROR_INVALID_ARGUMENT).
  static meld_status open(const std::string &path,
                          std::unique_ptr<SafetensorsFile> &result);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;

  /// Bytes of `tensor` in the mapping.
  const uint8_t *data(const SafetensorsTensor &tensor) const {
    return dataSection + tensor.begin;
  }

  std::string path;
  std::map<std::string, SafetensorsTensor> tensors;

private:
  SafetensorsFile() = default;
  void *mapping = nullptr;
  size_t mappingSize = 0;
  const uint8_t *dataSection = nullptr;
};

} // namespace rt
} // namespace meld

#endif // MELD_RUNTIME_LIB_SAFETENSORS_H
