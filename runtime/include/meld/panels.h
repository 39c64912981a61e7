//===- meld/panels.h - Weights in panels for the host -----------*- C++ -*-===//
//
// A weight matrix stored as panels of columns, its rows padded: the layout
// the host's product microkernel reads its B operand in (`#tile.panels` in
// the tile dialect, table Panels in the artifact). Shared by the compiler,
// which packs the weights an artifact holds when it writes it, and the
// runtime, which packs external weights when it loads them, so both check
// and pack a layout the same way. See docs/Artifact.md.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_PANELS_H
#define MELD_PANELS_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace meld {

/// The matrix of `rows` x `columns` whose element (k, n) is element
/// `offset + k * rowStride + n * columnStride` of a weight's row-major
/// buffer, laid out as ceil(columns / panel) panels of `paddedRows` x
/// `panel`, row-major, one after another; the padding is zero.
struct PanelsLayout {
  int64_t rows = 0;
  int64_t columns = 0;
  int64_t rowStride = 0;
  int64_t columnStride = 0;
  int64_t offset = 0;
  int64_t paddedRows = 0;
  int64_t panel = 0;
};

/// What is wrong with `layout`, or an empty string. When it is valid,
/// `elements` is the number of elements of its panels (padding included),
/// and `lastElement` the last element of the weight it reads.
inline std::string checkPanelsLayout(const PanelsLayout &layout,
                                     int64_t &elements, int64_t &lastElement) {
  const PanelsLayout &l = layout;
  if (l.rows <= 0 || l.columns <= 0 || l.panel <= 0)
    return "panels need rows, columns and panel columns, got " +
           std::to_string(l.rows) + ", " + std::to_string(l.columns) + " and " +
           std::to_string(l.panel);
  if (l.paddedRows < l.rows)
    return "padded_rows " + std::to_string(l.paddedRows) +
           " is fewer than the " + std::to_string(l.rows) + " rows";
  if (l.rowStride < 0 || l.columnStride < 0 || l.offset < 0)
    return "panels read a weight at a negative stride or offset";
  int64_t panels = l.columns / l.panel + (l.columns % l.panel != 0);
  int64_t rowPart, columnPart;
  if (__builtin_mul_overflow(panels, l.paddedRows, &elements) ||
      __builtin_mul_overflow(elements, l.panel, &elements) ||
      __builtin_mul_overflow(l.rows - 1, l.rowStride, &rowPart) ||
      __builtin_mul_overflow(l.columns - 1, l.columnStride, &columnPart) ||
      __builtin_add_overflow(l.offset, rowPart, &lastElement) ||
      __builtin_add_overflow(lastElement, columnPart, &lastElement))
    return "panels of more elements than an index holds";
  return {};
}

/// What is wrong with packing `layout` of a weight of `sourceBytes` bytes, its
/// elements of `elementBytes` bytes (not 0), into a buffer of `bytes` bytes;
/// or an empty string.
inline std::string checkPanels(const PanelsLayout &layout,
                               uint64_t elementBytes, uint64_t sourceBytes,
                               uint64_t bytes) {
  int64_t elements, lastElement;
  std::string problem = checkPanelsLayout(layout, elements, lastElement);
  if (!problem.empty())
    return problem;
  uint64_t sourceElements = sourceBytes / elementBytes;
  if (sourceBytes % elementBytes != 0 ||
      static_cast<uint64_t>(lastElement) >= sourceElements)
    return "panels read element " + std::to_string(lastElement) +
           " of a weight of " + std::to_string(sourceElements) + " elements";
  uint64_t need;
  if (__builtin_mul_overflow(static_cast<uint64_t>(elements), elementBytes,
                             &need) ||
      need != bytes)
    return "panels of " + std::to_string(elements) + " elements of " +
           std::to_string(elementBytes) + " bytes in a buffer of " +
           std::to_string(bytes) + " bytes";
  return {};
}

namespace detail {
/// packPanels for elements of N bytes (copied as bytes: either pointer may
/// be unaligned).
template <size_t N>
void packPanelsOf(const PanelsLayout &l, const uint8_t *source, uint8_t *out) {
  const int64_t panelSize = l.paddedRows * l.panel;
  auto copy = [&](int64_t to, int64_t from) {
    std::memcpy(out + to * N, source + from * N, N);
  };
  // Rows of the view along the weight's rows where its columns are nearer
  // together (a row-major B); otherwise columns, in blocks of rows that keep
  // the lines of the panel being written in cache (a transposed B).
  const bool byRows = l.columnStride <= l.rowStride;
  constexpr int64_t kRowBlock = 32;
  for (int64_t n0 = 0; n0 < l.columns; n0 += l.panel) {
    const int64_t panel = n0 / l.panel * panelSize;
    const int64_t width = std::min(l.panel, l.columns - n0);
    const int64_t first = l.offset + n0 * l.columnStride;
    if (byRows) {
      for (int64_t k = 0; k < l.rows; ++k) {
        const int64_t to = panel + k * l.panel, from = first + k * l.rowStride;
        if (l.columnStride == 1)
          std::memcpy(out + to * N, source + from * N, width * N);
        else
          for (int64_t j = 0; j < width; ++j)
            copy(to + j, from + j * l.columnStride);
      }
      continue;
    }
    for (int64_t k0 = 0; k0 < l.rows; k0 += kRowBlock) {
      const int64_t k1 = std::min(l.rows, k0 + kRowBlock);
      for (int64_t j = 0; j < width; ++j)
        for (int64_t k = k0; k < k1; ++k)
          copy(panel + k * l.panel + j,
               first + j * l.columnStride + k * l.rowStride);
    }
  }
}
} // namespace detail

/// Writes the panels of `layout` to `out`, `elements * elementBytes` bytes
/// (see checkPanelsLayout), from `source`, a weight of elements of
/// `elementBytes` bytes that holds `lastElement`. Returns false, writing
/// nothing, when the layout is not valid or the elements are not of 1, 2, 4
/// or 8 bytes.
inline bool packPanels(const PanelsLayout &layout, const void *source,
                       void *out, size_t elementBytes) {
  int64_t elements, lastElement;
  if (!checkPanelsLayout(layout, elements, lastElement).empty())
    return false;
  auto *from = static_cast<const uint8_t *>(source);
  auto *to = static_cast<uint8_t *>(out);
  auto pack = [&](auto packOf) {
    std::memset(out, 0, static_cast<size_t>(elements) * elementBytes);
    packOf(layout, from, to);
    return true;
  };
  switch (elementBytes) {
  case 1:
    return pack(detail::packPanelsOf<1>);
  case 2:
    return pack(detail::packPanelsOf<2>);
  case 4:
    return pack(detail::packPanelsOf<4>);
  case 8:
    return pack(detail::packPanelsOf<8>);
  default:
    return false;
  }
}

} // namespace meld

#endif // MELD_PANELS_H
