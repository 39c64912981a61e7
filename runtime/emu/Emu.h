//===- Emu.h - The GPU emulator's execution engine --------------*- C++ -*-===//
//
// Runs one launch of an emulated kernel (meld/emu_abi.h): every block, in a
// seeded pseudo-random order, each block's threads as fibers on one OS
// thread, with warp collectives as the PTX ISA specifies them and checks of
// every global and shared access. Independent blocks run on several OS
// threads when the caller lends an executor (LaunchOptions::parallelFor).
// Links no MLIR or LLVM; glibc only.
//
// Independent launches on different OS threads are fine (the runner an OS
// thread executes is thread-local).
//
//===----------------------------------------------------------------------===//

#ifndef MELD_RUNTIME_EMU_EMU_H
#define MELD_RUNTIME_EMU_EMU_H

#include "meld/emu_abi.h"
#include "meld/tensor_map.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace meld {
namespace emu {

/// The table of functions handed to a kernel module's meld_emu_bind. Static,
/// valid for the life of the process.
const meld_emu_ops *getOps();

/// One argument buffer of a launch.
struct LaunchArg {
  /// Base address and size in bytes: accesses must lie in [base, base+size).
  void *base = nullptr;
  uint64_t size = 0;
  /// Stores to a read-only buffer (a weight) are errors.
  bool readOnly = false;
  /// Optional name for messages ("argument 2 'x'"); may be NULL.
  const char *name = nullptr;
};

/// What the memory accesses of launches cost, counted per warp-wide access
/// (the accesses the lanes of a warp make at one site of the kernel, the
/// n-th time each reaches it) the way the hardware serves them.
struct AccessStats {
  /// Shared memory: warp-wide accesses; the wavefronts they take (a pass
  /// over the 32 banks, one more for each extra distinct 4-byte word asked
  /// of one bank; 8-byte accesses go a half-warp, 16-byte ones a quarter
  /// at a time); and the fewest they could take (one per such part of the
  /// warp).
  uint64_t sharedAccesses = 0, sharedWavefronts = 0, sharedIdealWavefronts = 0;
  /// Global memory: warp-wide accesses; the 32-byte sectors they touch; and
  /// the fewest sectors their distinct bytes fit in.
  uint64_t globalAccesses = 0, globalSectors = 0, globalIdealSectors = 0;

  AccessStats &operator+=(const AccessStats &other) {
    sharedAccesses += other.sharedAccesses;
    sharedWavefronts += other.sharedWavefronts;
    sharedIdealWavefronts += other.sharedIdealWavefronts;
    globalAccesses += other.globalAccesses;
    globalSectors += other.globalSectors;
    globalIdealSectors += other.globalIdealSectors;
    return *this;
  }
};

struct LaunchOptions {
  /// Seed of the block order. Equal seeds give equal orders.
  uint64_t seed = 0;
  /// Stack bytes of each emulated thread (rounded up to pages; a guard page
  /// below each stack).
  size_t stackBytes = 64 * 1024;
  /// Shadow-state checks of shared memory (uninitialized reads, races).
  bool checkSharedRaces = true;
  bool checkSharedUninitialized = true;
  /// Where to add the launch's memory statistics (none when null; counting
  /// slows the emulator down).
  AccessStats *accessStats = nullptr;
  /// Runs blocks on up to `workers` OS threads at once, the calling one
  /// included: `parallelFor(executor, n, body, context)` must call
  /// `body(context, begin, end)` over disjoint ranges covering [0, n),
  /// possibly concurrently, and return once all have returned. Null: every
  /// block on the calling thread. The result, the error reported and the
  /// statistics do not depend on the number of threads (a kernel whose
  /// blocks race on global memory aside).
  using RangeFn = void (*)(void *context, int64_t begin, int64_t end);
  void (*parallelFor)(void *executor, int64_t n, RangeFn body,
                      void *context) = nullptr;
  void *executor = nullptr;
  unsigned workers = 1;
};

/// A buffer in its own page-aligned mapping, with a PROT_NONE guard page
/// before it and at least one after it (the size rounded up to pages, then a
/// guard page), so that an access the kernel did not check faults rather
/// than landing in another buffer. Move-only.
class GuardedBuffer {
public:
  GuardedBuffer() = default;
  ~GuardedBuffer() { release(); }
  GuardedBuffer(GuardedBuffer &&other) noexcept { *this = std::move(other); }
  GuardedBuffer &operator=(GuardedBuffer &&other) noexcept;
  GuardedBuffer(const GuardedBuffer &) = delete;
  GuardedBuffer &operator=(const GuardedBuffer &) = delete;

  /// Maps `size` bytes (at least one page), filled with `fill`. Returns false
  /// with errno set on failure.
  bool allocate(uint64_t size, uint8_t fill);
  /// Makes the buffer read-only (stores fault). Returns false on failure.
  bool protectReadOnly();

  void *data() const { return base; }
  uint64_t size() const { return bytes; }

private:
  void release();

  void *mapping = nullptr;
  size_t mappingBytes = 0;
  void *base = nullptr;
  uint64_t bytes = 0;
};

/// Fills `map` as cuTensorMapEncodeTiled would for a GPU: `layout` (element
/// strides of 1, no interleave) of elements of `elementBytes` bytes of the
/// tensor at `global`. Returns false with `error` set to one line when the
/// driver would refuse the map (meld/tensor_map.h).
bool encodeTensorMap(meld_emu_tensor_map &map, const TensorMapLayout &layout,
                     uint32_t elementBytes, const void *global,
                     std::string &error);

/// Runs `kernel(args)` for every thread of every block of the grid. Returns
/// true on success; on the first error stops the launch and returns false
/// with `error` set to one line, e.g.
///   kernel 'k' block (1,0,0) thread (3,0,0): barrier reached by only part of
///   the block: ...
/// Launch-configuration errors (empty or oversized block, ...) are reported
/// as "kernel 'k': invalid launch configuration: ...".
bool launch(meld_emu_kernel_fn kernel, const LaunchArg *args, size_t numArgs,
            const uint32_t grid[3], const uint32_t block[3],
            uint32_t sharedBytes, const char *kernelName,
            const LaunchOptions &options, std::string &error);

} // namespace emu
} // namespace meld

#endif // MELD_RUNTIME_EMU_EMU_H
