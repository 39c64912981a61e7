//===- ViewLayout.cpp - Where the elements of a tensor view live ----------===//

#include "dialects/Graph/IR/ViewLayout.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVectorExtras.h"

using namespace mlir;
using namespace meld::graph;

static int64_t sizeOf(ArrayRef<ViewMode> modes) {
  int64_t size = 1;
  for (const ViewMode &mode : modes)
    size *= mode.size;
  return size;
}

/// The offset of coordinate `x` of a dimension with `modes`.
static int64_t offsetOf(ArrayRef<ViewMode> modes, int64_t x) {
  int64_t offset = 0;
  for (const ViewMode &mode : llvm::reverse(modes)) {
    offset += (x % mode.size) * mode.stride;
    x /= mode.size;
  }
  return offset;
}

ViewLayout::Modes ViewLayout::normalize(ArrayRef<ViewMode> modes) {
  Modes result;
  for (const ViewMode &mode : modes) {
    if (mode.size == 1)
      continue;
    // (a, s * b) then (b, s) is one mode (a * b, s).
    if (!result.empty() && mode.size != 0 && result.back().size != 0 &&
        result.back().stride == mode.stride * mode.size) {
      result.back() = {result.back().size * mode.size, mode.stride};
      continue;
    }
    result.push_back(mode);
  }
  return result;
}

ViewLayout ViewLayout::rowMajor(ArrayRef<int64_t> shape) {
  ViewLayout layout;
  layout.dims.resize(shape.size());
  int64_t stride = 1;
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    layout.dims[d] = normalize({{shape[d], stride}});
    stride *= shape[d];
  }
  return layout;
}

SmallVector<int64_t> ViewLayout::getShape() const {
  return llvm::map_to_vector(dims, [](const Modes &m) { return sizeOf(m); });
}

bool ViewLayout::isRowMajor() const { return *this == rowMajor(getShape()); }

ViewLayout ViewLayout::permute(ArrayRef<int64_t> permutation) const {
  assert(permutation.size() == dims.size() && "one entry per dimension");
  ViewLayout result;
  result.offset = offset;
  for (int64_t source : permutation)
    result.dims.push_back(dims[source]);
  return result;
}

FailureOr<ViewLayout> ViewLayout::reshape(ArrayRef<int64_t> shape) const {
  auto product = [](ArrayRef<int64_t> sizes) {
    int64_t count = 1;
    for (int64_t size : sizes)
      count *= size;
    return count;
  };
  int64_t count = product(shape);
  assert(count == product(getShape()) &&
         "a reshape keeps the number of elements");
  // Nothing is read from an empty tensor.
  if (count == 0)
    return rowMajor(shape);
  // The modes of every dimension, outermost first, dealt out to the new
  // dimensions in order.
  SmallVector<ViewMode> all;
  for (const Modes &dim : dims)
    llvm::append_range(all, dim);
  Modes modes = normalize(all);
  ViewLayout result;
  result.offset = offset;
  size_t next = 0;
  for (int64_t size : shape) {
    Modes dim;
    int64_t need = size;
    while (need > 1) {
      assert(next < modes.size() && "the modes cover every element");
      ViewMode &mode = modes[next];
      if (mode.size <= need) {
        if (need % mode.size != 0)
          return failure();
        need /= mode.size;
        dim.push_back(mode);
        ++next;
        continue;
      }
      // The dimension ends inside this mode: its outer part goes here.
      if (mode.size % need != 0)
        return failure();
      int64_t inner = mode.size / need;
      dim.push_back({need, mode.stride * inner});
      mode.size = inner;
      need = 1;
    }
    result.dims.push_back(normalize(dim));
  }
  return result;
}

/// Slices the dimension with `modes` to `size` positions from `start`, `step`
/// apart, adding the offset of the first position to `offset`.
static FailureOr<ViewLayout::Modes> sliceModes(ArrayRef<ViewMode> modes,
                                               int64_t start, int64_t size,
                                               int64_t step, int64_t &offset) {
  if (size == 0)
    return ViewLayout::Modes{{0, 1}};
  if (size == 1) {
    offset += offsetOf(modes, start);
    return ViewLayout::Modes{};
  }
  if (modes.size() == 1) {
    offset += start * modes[0].stride;
    return ViewLayout::Modes{{size, modes[0].stride * step}};
  }
  ViewMode outer = modes[0];
  ArrayRef<ViewMode> innerModes = modes.drop_front();
  int64_t inner = sizeOf(innerModes);
  // Whole outer positions: slice the outer mode.
  if (step == 1 && start % inner == 0 && size % inner == 0) {
    offset += (start / inner) * outer.stride;
    ViewLayout::Modes result{{size / inner, outer.stride}};
    llvm::append_range(result, innerModes);
    return result;
  }
  // Within one outer position: slice the inner modes.
  int64_t last = start + (size - 1) * step;
  if (start / inner == last / inner) {
    offset += (start / inner) * outer.stride;
    return sliceModes(innerModes, start % inner, size, step, offset);
  }
  return failure();
}

FailureOr<ViewLayout> ViewLayout::slice(ArrayRef<int64_t> starts,
                                        ArrayRef<int64_t> sizes,
                                        ArrayRef<int64_t> steps) const {
  assert(starts.size() == dims.size() && sizes.size() == dims.size() &&
         steps.size() == dims.size() && "one entry per dimension");
  ViewLayout result;
  result.offset = offset;
  for (auto [d, modes] : llvm::enumerate(dims)) {
    FailureOr<Modes> sliced =
        sliceModes(modes, starts[d], sizes[d], steps[d], result.offset);
    if (failed(sliced))
      return failure();
    result.dims.push_back(normalize(*sliced));
  }
  return result;
}

ViewLayout ViewLayout::broadcast(ArrayRef<int64_t> shape) const {
  assert(shape.size() >= dims.size() && "broadcasting keeps every dimension");
  ViewLayout result;
  result.offset = offset;
  size_t lead = shape.size() - dims.size();
  for (auto [d, size] : llvm::enumerate(shape)) {
    if (d < lead) {
      result.dims.push_back(normalize({{size, 0}}));
      continue;
    }
    const Modes &modes = dims[d - lead];
    if (sizeOf(modes) == size) {
      result.dims.push_back(modes);
      continue;
    }
    assert(modes.empty() && "only a dimension of size 1 grows");
    result.dims.push_back(normalize({{size, 0}}));
  }
  return result;
}

int64_t ViewLayout::getElementOffset(ArrayRef<int64_t> coords) const {
  assert(coords.size() == dims.size() && "one coordinate per dimension");
  int64_t result = offset;
  for (auto [modes, x] : llvm::zip_equal(dims, coords))
    result += offsetOf(modes, x);
  return result;
}

void ViewLayout::print(raw_ostream &os) const {
  os << offset << " + ";
  llvm::interleave(
      dims, os,
      [&](const Modes &modes) {
        os << "[";
        llvm::interleave(
            modes, os,
            [&](const ViewMode &m) {
              os << "(" << m.size << ":" << m.stride << ")";
            },
            " ");
        os << "]";
      },
      " x ");
}
