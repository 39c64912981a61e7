//===- meld/tensor_map.h - TMA tensor maps ----------------------*- C++ -*-===//
//
// A tensor map describes a tensor in global memory for the tensor memory
// accelerator (cp.async.bulk.tensor, sm_90): what cuTensorMapEncodeTiled
// encodes into a CUtensorMap. The artifact names each map a kernel takes
// (BufferKind.TensorMap, table TensorMap); the runtime encodes it when it
// allocates the model's memory, for the GPU with the driver and for the
// emulator with emu::encodeTensorMap. Shared by the compiler's artifact
// writer, the runtime and the emulator, so that all three refuse the same
// maps, and only maps the driver accepts. See docs/Artifact.md.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_TENSOR_MAP_H
#define MELD_TENSOR_MAP_H

#include <cstdint>
#include <string>

namespace meld {

/// A tiled tensor map with element strides of 1 and no interleave.
struct TensorMapLayout {
  /// Dimensions, 1 to 5.
  uint32_t rank = 0;
  /// The tensor's size in elements per dimension, innermost (contiguous)
  /// first.
  uint64_t dims[5] = {};
  /// Bytes from one index of dimension d + 1 to the next.
  uint64_t strides[4] = {};
  /// The box one copy moves, in elements per dimension.
  uint32_t box[5] = {};
  /// The shared-memory swizzle's span in bytes: 0 (none), 32, 64 or 128.
  uint32_t swizzle = 0;
  /// Elements outside the tensor read as NaN rather than 0.
  bool oobNan = false;
};

/// What is wrong with `layout` for elements of `elementBytes` bytes (what
/// cuTensorMapEncodeTiled would refuse), or an empty string.
inline std::string checkTensorMapLayout(const TensorMapLayout &layout,
                                        uint64_t elementBytes) {
  const TensorMapLayout &l = layout;
  if (elementBytes != 1 && elementBytes != 2 && elementBytes != 4 &&
      elementBytes != 8)
    return "a tensor map of elements of " + std::to_string(elementBytes) +
           " bytes (1, 2, 4 or 8)";
  if (l.rank < 1 || l.rank > 5)
    return "a tensor map of rank " + std::to_string(l.rank) + " (1 to 5)";
  if (l.swizzle != 0 && l.swizzle != 32 && l.swizzle != 64 && l.swizzle != 128)
    return "a swizzle of " + std::to_string(l.swizzle) +
           " bytes (0, 32, 64 or 128)";
  for (uint32_t d = 0; d < l.rank; ++d) {
    if (l.dims[d] < 1 || l.dims[d] > 0xffffffffull)
      return "dimension " + std::to_string(d) + " of " +
             std::to_string(l.dims[d]) + " elements (1 to 2^32 - 1)";
    if (l.box[d] < 1 || l.box[d] > 256)
      return "a box of " + std::to_string(l.box[d]) + " along dimension " +
             std::to_string(d) + " (1 to 256)";
    if (d > 0 && (l.strides[d - 1] % 16 != 0 || l.strides[d - 1] == 0 ||
                  l.strides[d - 1] >= (uint64_t(1) << 40)))
      return "a stride of " + std::to_string(l.strides[d - 1]) +
             " bytes along dimension " + std::to_string(d) +
             " (a multiple of 16 below 2^40)";
  }
  uint64_t rowBytes = l.box[0] * elementBytes;
  if (rowBytes % 16 != 0)
    return "a box whose innermost dimension spans " + std::to_string(rowBytes) +
           " bytes (a multiple of 16)";
  if (l.swizzle && rowBytes > l.swizzle)
    return "a box whose innermost dimension spans " + std::to_string(rowBytes) +
           " bytes, more than its " + std::to_string(l.swizzle) +
           "-byte swizzle";
  if (l.oobNan && elementBytes == 1)
    return "a NaN fill of 1-byte elements";
  return {};
}

/// What is wrong with `layout` as a map of a tensor of `tensorBytes` bytes,
/// its elements of `elementBytes` bytes (the map reads nothing past the
/// tensor's end); or an empty string.
inline std::string checkTensorMap(const TensorMapLayout &layout,
                                  uint64_t elementBytes, uint64_t tensorBytes) {
  std::string problem = checkTensorMapLayout(layout, elementBytes);
  if (!problem.empty())
    return problem;
  // The byte past the tensor's last element.
  uint64_t end = layout.dims[0] * elementBytes;
  for (uint32_t d = 1; d < layout.rank; ++d) {
    uint64_t part;
    if (__builtin_mul_overflow(layout.dims[d] - 1, layout.strides[d - 1],
                               &part) ||
        __builtin_add_overflow(end, part, &end))
      return "a tensor map of more bytes than an offset holds";
  }
  if (end > tensorBytes)
    return "a tensor map reading " + std::to_string(end) +
           " bytes of a tensor of " + std::to_string(tensorBytes) + " bytes";
  return {};
}

} // namespace meld

#endif // MELD_TENSOR_MAP_H
