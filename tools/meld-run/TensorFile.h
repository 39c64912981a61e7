//===- TensorFile.h - Tensors from and to files for meld-run ----*- C++ -*-===//
//
// Reads dense tensors from NumPy .npy files (format versions 1-3) and ONNX
// TensorProto .pb files, and writes .npy files.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_TOOLS_MELDRUN_TENSORFILE_H
#define MELD_TOOLS_MELDRUN_TENSORFILE_H

#include "meld/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace meld {

/// A dense, C-order, little-endian host tensor.
struct HostTensor {
  meld_dtype dtype = MELD_DTYPE_F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

/// Reads `path` as .npy, or as an ONNX TensorProto if it does not end in
/// ".npy" and does not start with the .npy magic. On failure returns false
/// and sets `error` to a message naming the file (not the input).
bool readTensorFile(const std::string &path, HostTensor &tensor,
                    std::string &error);

/// Parses `bytes`, the contents of the file `path`, as readTensorFile does.
bool parseTensorFile(const std::vector<uint8_t> &bytes, const std::string &path,
                     HostTensor &tensor, std::string &error);

/// Parses the bytes of a .npy file.
bool parseNpy(const std::vector<uint8_t> &bytes, HostTensor &tensor,
              std::string &error);

/// Parses the bytes of a serialized onnx.TensorProto.
bool parseTensorProto(const std::vector<uint8_t> &bytes, HostTensor &tensor,
                      std::string &error);

/// Writes a .npy (version 1, or 2 if the header needs it). bf16 data is
/// widened to f32 (NumPy has no bf16). Returns false with `error` set.
bool writeNpy(const std::string &path, meld_dtype dtype,
              const std::vector<int64_t> &shape, const void *data,
              uint64_t numBytes, std::string &error);

/// Rounds f32 data to bf16 (round to nearest even; NaN stays NaN).
std::vector<uint8_t> convertF32ToBF16(const std::vector<uint8_t> &f32);

} // namespace meld

#endif // MELD_TOOLS_MELDRUN_TENSORFILE_H
