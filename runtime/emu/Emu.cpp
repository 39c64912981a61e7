//===- Emu.cpp - The GPU emulator's execution engine ----------------------===//
//
// One `GridRun` per emu::launch call drives the grid, with one `BlockRunner`
// per OS thread taking part (LaunchOptions::parallelFor); each runner:
//
//   for each block it takes, in a seeded random order:
//     reset the block's fibers (one per thread, stacks reused), poison the
//     shared memory, start a new barrier epoch
//     round-robin over the runnable fibers until all have exited:
//       a fiber runs until it exits or blocks in a barrier or a warp
//       collective, then passes control straight to the next runnable one
//       of the pass; the last arrival releases the others
//     if no fiber can run but some have not exited: report why (barrier or
//     collective reached by only part of the block/memberMask)
//
// The current runner is thread-local, since the ABI functions carry no
// context. An error raised inside a fiber records the message and
// switches back to the scheduler, abandoning every fiber of the launch.
//
// Shared-memory shadow state, per byte (kept per 4-byte word until an access
// covers part of a word): the epoch and thread of the last write, the epoch
// and (up to two distinct) threads that read it. Epochs are
// numbered across all the blocks a runner executes (a new one at each block
// start and each barrier release), so nothing needs clearing between blocks: a
// byte was written in this block iff its write epoch >= the block's first
// epoch.
//
//===----------------------------------------------------------------------===//

#include "Emu.h"

#include "meld/tensor_map.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

// Fibers switch with a few instructions of assembly on x86-64 (swapcontext
// makes a system call per switch, to save the signal mask); elsewhere, or
// with MELD_EMU_USE_UCONTEXT defined, with makecontext/swapcontext.
#if defined(__x86_64__) && !defined(MELD_EMU_USE_UCONTEXT)
#define MELD_EMU_ASM_SWITCH 1
#else
#define MELD_EMU_ASM_SWITCH 0
#include <ucontext.h>
#endif

namespace meld {
namespace emu {

namespace {

//===----------------------------------------------------------------------===//
// Context switching
//===----------------------------------------------------------------------===//

#if MELD_EMU_ASM_SWITCH
// switchStack(save, to): saves the callee-saved registers on the current
// stack, stores the stack pointer in *save, loads `to` and restores the
// registers saved there. SysV x86-64: rbx, rbp, r12-r15 are callee-saved;
// MXCSR and the x87 control word are shared by all fibers and never changed.
extern "C" void meldEmuSwitchStack(void **save, void *to);
__asm__(".text\n"
        ".p2align 4\n"
        ".type meldEmuSwitchStack,@function\n"
        "meldEmuSwitchStack:\n"
        "  pushq %rbp\n"
        "  pushq %rbx\n"
        "  pushq %r12\n"
        "  pushq %r13\n"
        "  pushq %r14\n"
        "  pushq %r15\n"
        "  movq %rsp, (%rdi)\n"
        "  movq %rsi, %rsp\n"
        "  popq %r15\n"
        "  popq %r14\n"
        "  popq %r13\n"
        "  popq %r12\n"
        "  popq %rbx\n"
        "  popq %rbp\n"
        "  ret\n"
        ".size meldEmuSwitchStack, .-meldEmuSwitchStack\n");
#endif

constexpr uint32_t warpSize = 32;
constexpr uint32_t warpgroupSize = 128;
constexpr uint32_t maxThreadsPerBlock = 1024;
/// The most shared memory a block can have on any supported target (sm_90).
constexpr uint32_t maxSharedBytes = 232448;
constexpr uint16_t noThread = 0xFFFF;
/// Writers of shared memory that are not threads (ShadowByte::writer): the
/// bytes of an mbarrier object, and bytes a TMA copy wrote (writeSync then
/// holds the phase the copy completed on, writeFences the mbarrier's slot).
/// Their write epoch is `pseudoEpoch`, before every block's first, so that
/// the check a load makes anyway for unwritten bytes finds them (a block
/// starts by clearing the last block's).
constexpr uint16_t mbarrierObject = 0xFFFD;
constexpr uint16_t tmaWriter = 0xFFFE;
constexpr uint32_t pseudoEpoch = 0;
/// The mbarrier objects a block may initialize (every init takes one, an
/// init after an inval a new one).
constexpr uint32_t maxMbarriers = 64;

size_t pageSize() {
  long p = sysconf(_SC_PAGESIZE);
  return p > 0 ? static_cast<size_t>(p) : 4096;
}

size_t roundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0)
    return std::string();
  return std::string(buf,
                     std::min<size_t>(static_cast<size_t>(n), sizeof(buf) - 1));
}

const char *shflName(uint32_t mode) {
  switch (mode) {
  case MELD_EMU_SHFL_IDX:
    return "shfl.sync.idx";
  case MELD_EMU_SHFL_UP:
    return "shfl.sync.up";
  case MELD_EMU_SHFL_DOWN:
    return "shfl.sync.down";
  case MELD_EMU_SHFL_BFLY:
    return "shfl.sync.bfly";
  }
  return "shfl.sync.?";
}

const char *voteName(uint32_t mode) {
  switch (mode) {
  case MELD_EMU_VOTE_ALL:
    return "vote.sync.all";
  case MELD_EMU_VOTE_ANY:
    return "vote.sync.any";
  case MELD_EMU_VOTE_UNI:
    return "vote.sync.uni";
  case MELD_EMU_VOTE_BALLOT:
    return "vote.sync.ballot";
  }
  return "vote.sync.?";
}

/// SplitMix64: a small, well-mixed generator for the block order.
uint64_t splitMix64(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

//===----------------------------------------------------------------------===//
// Stacks
//===----------------------------------------------------------------------===//

/// Fiber stacks, each with a PROT_NONE guard region below it (so that an
/// overflow faults, even by a frame of up to 64 KiB, instead of running into
/// the next stack), in one mapping. Cached per OS thread and reused by later
/// launches that fit.
class StackPool {
public:
  constexpr StackPool() = default;
  ~StackPool() { release(); }
  StackPool(const StackPool &) = delete;
  StackPool &operator=(const StackPool &) = delete;

  /// Makes `count` stacks of at least `bytes` each available; false with
  /// errno set on failure.
  bool reserve(size_t count, size_t bytes) {
    size_t page = pageSize();
    bytes = roundUp(std::max<size_t>(bytes, 16 * 1024), page);
    if (mem && count <= numStacks && bytes == stackBytes)
      return true;
    release();
    size_t stride = bytes + guardBytes();
    void *m = mmap(nullptr, stride * count, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
      return false;
    for (size_t i = 0; i < count; ++i)
      mprotect(static_cast<char *>(m) + i * stride, guardBytes(), PROT_NONE);
    mem = m;
    mapped = stride * count;
    numStacks = count;
    stackBytes = bytes;
    return true;
  }

  /// Lowest and one-past-highest usable address of stack `i`.
  char *low(size_t i) const {
    return static_cast<char *>(mem) + i * (stackBytes + guardBytes()) +
           guardBytes();
  }
  static size_t guardBytes() { return roundUp(64 * 1024, pageSize()); }
  char *high(size_t i) const { return low(i) + stackBytes; }

private:
  void release() {
    if (mem)
      munmap(mem, mapped);
    mem = nullptr;
    mapped = numStacks = stackBytes = 0;
  }

  void *mem = nullptr;
  size_t mapped = 0;
  size_t numStacks = 0;
  size_t stackBytes = 0;
};

thread_local StackPool stackPool;

//===----------------------------------------------------------------------===//
// The launch
//===----------------------------------------------------------------------===//

enum class FiberState : uint8_t {
  Ready,
  AtBarrier,
  /// At a named barrier (bar.sync id, count), Fiber::barrierId.
  AtNamedBarrier,
  AtCollective,
  AtMbarrier,
  Exited
};
enum class CollectiveKind : uint8_t {
  Shfl,
  Vote,
  SyncWarp,
  Mma,
  Ldmatrix,
  Wgmma
};

struct Fiber {
#if MELD_EMU_ASM_SWITCH
  void *sp = nullptr;
#else
  ucontext_t context;
#endif
  char *stackLow = nullptr;
  char *stackHigh = nullptr;
  FiberState state = FiberState::Ready;
  /// The named barrier it waits at (valid while AtNamedBarrier).
  uint32_t barrierId = 0;
  /// The collective it waits at (valid while AtCollective / arriving).
  CollectiveKind kind = CollectiveKind::SyncWarp;
  uint32_t mode = 0;
  uint32_t memberMask = 0;
  uint32_t value = 0, laneOrOffset = 0, c = 0, pred = 0;
  /// Results, written by the lane that completes the collective.
  uint32_t result = 0, resultValid = 0;
  /// An mma's fragments: the lane's registers of A, B and C, and where its
  /// registers of D go.
  const uint32_t *mmaA = nullptr, *mmaB = nullptr;
  const float *mmaC = nullptr;
  float *mmaD = nullptr;
  /// An ldmatrix's row address (lanes that give one) and where the lane's
  /// registers go.
  const void *ldRow = nullptr;
  uint32_t *ldOut = nullptr;
  /// The thread's cp.async copies not yet landed: the source read at issue,
  /// and the group each belongs to (== `groupsCommitted` while open).
  struct PendingCopy {
    char *dst;
    uint32_t bytes, srcBytes, site, group;
    uint8_t data[16];
  };
  std::vector<PendingCopy> pendingCopies;
  uint32_t groupsCommitted = 0;
  /// A wgmma.mma_async's operands, as the thread issued it (its mode is
  /// `mode`).
  uint32_t wgmmaScaleD = 0;
  uint64_t wgmmaDescA = 0, wgmmaDescB = 0;
  const float *wgmmaC = nullptr;
  float *wgmmaD = nullptr;
  /// Whether a wgmma.fence came since the start or the last wgmma.wait_group.
  bool wgmmaFenced = false;
  /// The fence.proxy.async instructions the thread has executed.
  uint32_t proxyFences = 0;
  /// The thread's wgmma.mma_async not yet completed: the block's op and the
  /// group it belongs to (== `wgmmaGroupsCommitted` while open).
  struct PendingWgmma {
    uint32_t op, group;
  };
  std::vector<PendingWgmma> pendingWgmma;
  uint32_t wgmmaGroupsCommitted = 0;
  /// With memory statistics: how many times the thread reached each site.
  std::unordered_map<uint32_t, uint32_t> siteVisits;
  /// While AtMbarrier: the mbarrier's slot and the parity waited for.
  uint32_t waitSlot = 0, waitParity = 0;
};

/// One lane's access at a site, for the memory statistics.
struct SiteAccess {
  uintptr_t address;
  uint32_t bytes;
  uint32_t lane;
  bool shared;
};

/// Lanes of one warp that have arrived at the same collective.
struct Group {
  /// memberMask restricted to the lanes that exist in the block.
  uint32_t mask;
  /// The memberMask as the kernel passed it (for messages).
  uint32_t rawMask;
  uint32_t arrived;
  CollectiveKind kind;
  uint32_t mode;
};

struct WarpState {
  /// Pending groups (disjoint masks), at most one per lane.
  std::vector<Group> groups;
  /// With memory statistics: the lanes' accesses of this block, by site and
  /// visit ((site << 32) | visit).
  std::unordered_map<uint64_t, std::vector<SiteAccess>> accesses;
  /// pairSync[a][b]: sequence number of the last __syncwarp that lanes a and
  /// b completed together (0: none). __syncwarp orders the memory accesses of
  /// its lanes, so an access made before it does not race with one after.
  uint32_t pairSync[32][32];
};

/// A wgmma.mma_async of a warpgroup and the 16-byte rows of shared memory
/// it reads (sorted), which no thread may store to until it knows the
/// instruction complete: it waited for it, or a barrier came after some
/// thread did.
struct WgmmaOp {
  std::string name;
  std::vector<uint32_t> offsets;
  uint32_t warpgroup = 0;
  /// How many threads of the warpgroup have waited for it, and the barrier
  /// epoch when the first did (~0u: none yet).
  uint32_t completions = 0;
  uint32_t completedEpoch = ~0u;
  /// The thread its reads of shared memory were checked as, and the
  /// __syncwarp/mbarrier clock then; the first thread that waited for it
  /// and the clock then (noThread: none yet).
  uint16_t reader = noThread, completer = noThread;
  uint32_t readSync = 0, completeSync = 0;
};

/// An mbarrier object of the running block.
struct Mbarrier {
  /// Its offset in shared memory; whether it is valid (not invalidated).
  uint64_t offset = 0;
  bool valid = false;
  /// The init's count; the arrivals and the transaction bytes pending in
  /// the current phase; the phases completed.
  uint32_t expected = 0;
  int64_t pending = 0, tx = 0;
  uint32_t phase = 0;
  /// The phases completed before its latest init. An mbarrier invalidated
  /// and initialized again at the same offset keeps its slot, and its
  /// phases count on (what threads know of them stays ordered); its
  /// parity is that of the phases since the init.
  uint32_t phaseBase = 0;
  uint32_t getPhase() const { return phase - phaseBase; }
  /// The thread that initialized it and the barrier epoch then.
  uint32_t initThread = 0, initEpoch = 0;
  /// What the arrivals of the current phase release (the join of their
  /// threads' knowledge, see BlockRunner::knowledge), and what the last
  /// completed phase released.
  std::vector<uint32_t> releasing, released;
};

struct ShadowByte;
inline bool isPseudo(const ShadowByte &s);

/// Shadow state of one byte of shared memory. The *Sync fields hold the
/// runner's clock (BlockRunner::syncSeq: __syncwarp and mbarrier arrivals)
/// at the time of the access.
struct ShadowByte {
  uint32_t writeEpoch = 0;
  uint32_t readEpoch = 0;
  uint32_t writeSync = 0;
  uint32_t read1Sync = 0;
  uint32_t read2Sync = 0;
  /// The writer's fence.proxy.async count when it wrote.
  uint32_t writeFences = 0;
  uint16_t writer = noThread;
  uint16_t reader1 = noThread;
  uint16_t reader2 = noThread;

  bool operator==(const ShadowByte &o) const {
    return writeEpoch == o.writeEpoch && readEpoch == o.readEpoch &&
           writeSync == o.writeSync && read1Sync == o.read1Sync &&
           read2Sync == o.read2Sync && writeFences == o.writeFences &&
           writer == o.writer && reader1 == o.reader1 && reader2 == o.reader2;
  }
};

/// Whether a pseudo-writer wrote the byte.
inline bool isPseudo(const ShadowByte &s) {
  return s.writeEpoch == pseudoEpoch &&
         (s.writer == mbarrierObject || s.writer == tmaWriter);
}

/// What the runners of one launch share, read-only while blocks run.
struct LaunchSpec {
  meld_emu_kernel_fn kernel = nullptr;
  std::vector<LaunchArg> args;
  /// The bases of `args`: what the kernel receives.
  std::vector<void *> argPointers;
  uint32_t grid[3] = {1, 1, 1};
  uint32_t block[3] = {1, 1, 1};
  uint32_t sharedBytes = 0;
  const char *kernelName = "?";
  LaunchOptions options;

  /// Checks the launch configuration against what a GPU accepts.
  bool validate(std::string &error) const;
};

class BlockRunner;
/// The runner whose blocks this OS thread executes (the ABI functions carry
/// no context).
thread_local BlockRunner *currentRunner = nullptr;

/// Runs blocks of one launch, one at a time, on one OS thread: the block's
/// threads as fibers, its shared memory and the shadow state checking it.
/// A launch has one runner per OS thread that takes part.

class BlockRunner {
public:
  BlockRunner(const LaunchSpec &spec)
      : kernel(spec.kernel), args(spec.args), argPointers(spec.argPointers),
        sharedBytes(spec.sharedBytes), kernelName(spec.kernelName),
        options(spec.options) {
    for (int d = 0; d < 3; ++d) {
      grid[d] = spec.grid[d];
      block[d] = spec.block[d];
    }
    // Each runner counts into its own statistics, added up after the launch.
    if (options.accessStats)
      options.accessStats = &stats;
  }

  ~BlockRunner() {
    if (sharedMapping)
      munmap(sharedMapping, sharedMappingBytes);
  }

  /// Maps the stacks (from this OS thread's pool) and the shared memory.
  bool setUp(std::string &error);
  /// Runs one block to its end; false with `error` set if it failed.
  bool runBlockAt(uint64_t linearBlock) {
    startBlock(linearBlock);
    return runBlock();
  }
  const std::string &getError() const { return error; }
  const AccessStats &getStats() const { return stats; }

  // --- ABI entry points (called on a fiber) ---------------------------------
  uint32_t tid(uint32_t dim);
  uint32_t ntid(uint32_t dim);
  uint32_t ctaid(uint32_t dim);
  uint32_t nctaid(uint32_t dim);
  uint32_t laneid() { return current % warpSize; }
  void barrier();
  void barrierNamed(uint32_t id, uint32_t count);
  uint32_t collective(CollectiveKind kind, uint32_t mode, uint32_t memberMask,
                      uint32_t value, uint32_t laneOrOffset, uint32_t c,
                      uint32_t pred, uint32_t *valid);
  void mma(uint32_t shape, const uint32_t *a, const uint32_t *b, const float *c,
           float *d);
  void ldmatrix(uint32_t num, uint32_t trans, const void *row, uint32_t *d,
                uint32_t site);
  void cpAsync(void *dst, const void *src, uint32_t bytes, uint32_t srcBytes,
               uint32_t site);
  void cpAsyncCommit() { ++fibers[current].groupsCommitted; }
  /// Lands the calling thread's copies of the groups before `group` (all of
  /// them with ~0u).
  void cpAsyncComplete(uint32_t group);
  void cpAsyncWait(uint32_t n) {
    Fiber &f = fibers[current];
    cpAsyncComplete(f.groupsCommitted > n ? f.groupsCommitted - n : 0);
  }
  void wgmmaFence() { fibers[current].wgmmaFenced = true; }
  void fenceProxyAsync() { ++fibers[current].proxyFences; }
  /// Reports a byte of the `bytes` at `offset` that a thread of the block
  /// wrote through the generic proxy with no fence.proxy.async after, for
  /// `reader` (the async proxy) to read.
  void checkProxyFenced(uint64_t offset, uint32_t bytes,
                        const std::string &reader);
  void wgmma(uint32_t mode, uint64_t descA, uint64_t descB, uint32_t scaleD,
             const float *c, float *d);
  void wgmmaCommit() { ++fibers[current].wgmmaGroupsCommitted; }
  /// Completes the calling thread's wgmma.mma_async of the groups before
  /// `group` (all of them with ~0u).
  void wgmmaComplete(uint32_t group);
  void wgmmaWait(uint32_t n) {
    Fiber &f = fibers[current];
    wgmmaComplete(f.wgmmaGroupsCommitted > n ? f.wgmmaGroupsCommitted - n : 0);
    f.wgmmaFenced = false;
  }
  void mbarrierInit(void *bar, uint32_t count);
  uint64_t mbarrierArrive(void *bar, uint32_t count, uint32_t txBytes);
  void mbarrierWaitParity(void *bar, uint32_t parity);
  void mbarrierInval(void *bar);
  void tmaLoad(void *dst, const void *map, const int32_t *coords, uint32_t rank,
               void *bar);
  void *sharedBase() { return sharedMemory; }
  /// Whether the `bytes` at `ptr` lie in the block's shared memory.
  bool inShared(const void *ptr, uint64_t bytes) const {
    uintptr_t p = reinterpret_cast<uintptr_t>(ptr);
    uintptr_t low = reinterpret_cast<uintptr_t>(sharedMemory);
    return p >= low && p + bytes <= low + sharedBytes && p + bytes > p;
  }
  /// Every global and shared access of a kernel is checked here: the hot
  /// path is inlined into the ABI functions, errors are reported out of line.
  [[gnu::always_inline]] inline void checkAccess(const void *ptr,
                                                 uint32_t bytes, bool store);
  /// checkAccess, and with memory statistics, the access recorded for the
  /// warp-wide access of `site` it is part of.
  [[gnu::always_inline]] void checkAccessAt(const void *ptr, uint32_t bytes,
                                            bool store, uint32_t site) {
    checkAccess(ptr, bytes, store);
    if (__builtin_expect(options.accessStats != nullptr, 0))
      recordAccess(ptr, bytes, site);
  }
  [[gnu::noinline]] void recordAccess(const void *ptr, uint32_t bytes,
                                      uint32_t site);
  /// Adds the warp-wide accesses recorded in this block to the statistics.
  void countAccesses();

  /// Entry of every fiber.
  static void fiberMain();

  /// Called by the SIGSEGV/SIGBUS handler when a fiber faults: reports the
  /// fault and abandons the fiber (never returns).
  [[noreturn]] void handleFault(int sig, const void *address);

  /// Whether a fiber (not the scheduler) is running.
  bool inFiber = false;

private:
  void startBlock(uint64_t linearBlock);
  bool runBlock();
  void diagnoseStuck();

  void switchToFiber(uint32_t t);
  void switchToScheduler();
  /// Leaves the current fiber, which has blocked or exited: straight to the
  /// next ready fiber of this pass of the scheduler when there is one (one
  /// stack switch instead of two), else to the scheduler.
  void yieldFiber();

  /// Records the launch's error, naming `thread`. The caller must then call
  /// abandon() in a separate statement, once every temporary is gone.
  void setFailure(uint32_t thread, const std::string &what);
  /// Leaves the failing fiber for good.
  [[noreturn]] void abandon();

  void completeGroup(uint32_t warp, size_t groupIndex);
  /// Runs the wgmma.mma_async the whole of warpgroup `group` has issued.
  void completeWgmma(uint32_t group);
  /// Reports a store by the calling thread (`what`: "store", or the TMA
  /// copy it issues) to shared memory a wgmma.mma_async may still be
  /// reading.
  [[gnu::noinline]] void checkWgmmaStore(uint64_t offset, uint32_t bytes,
                                         const char *what = "store");

  /// The offset in shared memory of the mbarrier address `bar`, checked
  /// (`what` names the instruction for messages).
  uint64_t mbarrierOffset(const void *bar, const char *what);
  /// The slot of the valid mbarrier at `bar`, which the calling thread may
  /// use.
  uint32_t mbarrierSlot(const void *bar, const char *what);
  /// Completes the current phase of mbarrier `slot` if nothing is pending.
  void completePhaseIfDone(uint32_t slot);
  /// What thread `t` knows happened before its current point, beyond
  /// barriers and __syncwarp: entry u < numThreads is the clock (syncSeq)
  /// of thread u's last arrival it knows of; entry numThreads + slot the
  /// phases of that mbarrier it knows complete. Allocated by the block's
  /// first mbarrier.init (empty until then).
  uint32_t *knowledgeOf(uint32_t t) {
    return knowledge.data() + size_t(t) * knowledgeWidth;
  }
  /// At a barrier: every thread now knows the mbarrier phases any knew
  /// complete (the accesses of the threads themselves are ordered by the
  /// epoch), for the block's mbarriers so far. Out of line: the barrier's
  /// own path stays short.
  [[gnu::noinline]] void shareMbarrierKnowledge() {
    uint32_t end = numThreads + static_cast<uint32_t>(mbarriers.size());
    for (uint32_t j = numThreads; j < end; ++j) {
      uint32_t known = 0;
      for (uint32_t t = 0; t < numThreads; ++t)
        known = std::max(known, knowledgeOf(t)[j]);
      for (uint32_t t = 0; t < numThreads; ++t)
        knowledgeOf(t)[j] = known;
    }
  }
  /// Joins `from` into the knowledge `into` (knowledgeWidth entries).
  void join(uint32_t *into, const uint32_t *from) const {
    for (uint32_t j = 0; j < knowledgeWidth; ++j)
      into[j] = std::max(into[j], from[j]);
  }
  /// Checks an access to a byte a pseudo-writer (an mbarrier object, a TMA
  /// copy) wrote.
  [[gnu::noinline, gnu::cold]] void checkPseudoAccess(const ShadowByte &s,
                                                      uint64_t o,
                                                      uint32_t bytes,
                                                      bool store);
  /// Records the write of a TMA copy the calling thread issues, completing
  /// on phase `phase` of mbarrier `slot`, to the byte whose state is `s`.
  void landTmaCell(ShadowByte &s, uint64_t o, uint32_t slot, uint32_t phase);
  /// Calls fn(state, offset) for the shadow state of each byte (or whole
  /// word) of the `bytes` at `offset`, splitting and merging words.
  template <typename Fn>
  [[gnu::always_inline]] inline void forEachCell(uint64_t offset,
                                                 uint32_t bytes, Fn &&fn);
  /// The name of a wgmma.mma_async of `mode`, as PTX writes it.
  static std::string wgmmaName(uint32_t mode);
  /// A global access outside the argument checkAccess tried first.
  [[gnu::noinline]] void checkOtherAccess(uintptr_t p, uint32_t bytes,
                                          bool store);
  [[gnu::always_inline]] inline void checkShared(uint64_t offset,
                                                 uint32_t bytes, bool store);
  /// checkShared for the byte or word at `o` of the access of `bytes` bytes
  /// at `offset`, whose shadow state is `s`.
  [[gnu::always_inline]] inline void checkCell(ShadowByte &s, uint64_t o,
                                               uint32_t bytes, uint64_t offset,
                                               bool store);
  [[noreturn, gnu::noinline, gnu::cold]] void
  reportRace(uint16_t other, const char *first, uint64_t o, uint32_t bytes,
             bool store);
  [[noreturn, gnu::noinline, gnu::cold]] void
  reportUninitialized(uint64_t o, uint32_t bytes, uint64_t offset);
  /// Merges split word `w` if its bytes' states agree; whether it did.
  bool mergeWord(uint64_t w);
  /// Whether an access by `other` (made when the __syncwarp sequence number
  /// was `otherSync`) is ordered before the current thread's access by a
  /// __syncwarp both completed since. (Barriers are handled by epochs.)
  bool orderedByWarpSync(uint16_t other, uint32_t otherSync) const {
    if (other / warpSize != current / warpSize)
      return false;
    return warps[current / warpSize]
               .pairSync[current % warpSize][other % warpSize] > otherSync;
  }
  /// Whether an access by `other` at clock `otherSync`, in this barrier
  /// epoch, is ordered before the current thread's next: by a __syncwarp,
  /// or by arrivals and waits on mbarriers.
  bool ordered(uint16_t other, uint32_t otherSync) {
    if (orderedByWarpSync(other, otherSync))
      return true;
    return !knowledge.empty() && knowledgeOf(current)[other] > otherSync;
  }
  [[noreturn, gnu::noinline, gnu::cold]] void
  reportOutOfBounds(uintptr_t p, uint32_t bytes, bool store);
  [[noreturn, gnu::noinline, gnu::cold]] void
  reportMisaligned(uintptr_t p, uint32_t bytes, bool store, bool shared);

  std::string threadCoords(uint32_t linear) const {
    uint32_t x = linear % block[0];
    uint32_t y = (linear / block[0]) % block[1];
    uint32_t z = linear / (block[0] * block[1]);
    return format("(%u,%u,%u)", x, y, z);
  }
  std::string describeCollective(CollectiveKind kind, uint32_t mode,
                                 uint32_t rawMask) const {
    if (kind == CollectiveKind::Ldmatrix)
      return format("ldmatrix.sync.aligned.m8n8.x%u%s.shared.b16", mode / 2,
                    mode % 2 ? ".trans" : "");
    if (kind == CollectiveKind::Mma)
      return mode == MELD_EMU_MMA_M16N8K8_TF32
                 ? "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32"
             : mode == MELD_EMU_MMA_M16N8K16_F16
                 ? "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32"
             : mode == MELD_EMU_MMA_M16N8K16_BF16
                 ? "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32"
                 : format("mma.sync with shape %u", mode);
    const char *name = kind == CollectiveKind::Shfl   ? shflName(mode)
                       : kind == CollectiveKind::Vote ? voteName(mode)
                                                      : "bar.warp.sync";
    return format("%s with memberMask 0x%08x", name, rawMask);
  }

  // Launch parameters.
  meld_emu_kernel_fn kernel;
  const std::vector<LaunchArg> &args;
  /// A copy: the kernel takes its arguments as `void **`.
  std::vector<void *> argPointers;
  uint32_t grid[3];
  uint32_t block[3];
  uint32_t sharedBytes;
  const char *kernelName;
  LaunchOptions options;
  /// This runner's memory statistics (with options.accessStats).
  AccessStats stats;

  // Derived.
  uint32_t numThreads = 0;
  uint32_t numWarps = 0;
  std::vector<uint32_t> threadIds; // 3 per thread
  std::vector<Fiber> fibers;
  std::vector<WarpState> warps;
  /// Per warpgroup, the threads waiting at a wgmma.mma_async.
  std::vector<uint32_t> wgmmaArrived;
  /// The block's wgmma.mma_async, in the order they ran, and those that may
  /// still be reading shared memory.
  std::vector<WgmmaOp> wgmmaOps;
  std::vector<uint32_t> liveWgmma;
  /// The block's mbarriers, by slot, and each thread's knowledge
  /// (knowledgeOf).
  std::vector<Mbarrier> mbarriers;
  /// Whether liveWgmma or mbarriers is not empty (a store then has more
  /// to check): one flag for the hot path.
  bool guardedStores = false;
  std::vector<uint32_t> knowledge;
  uint32_t knowledgeWidth = 0;
  /// Allocates the threads' knowledge (knowledgeOf) if it is not yet.
  void ensureKnowledge() {
    if (!knowledge.empty())
      return;
    knowledgeWidth = numThreads + maxMbarriers;
    knowledge.assign(size_t(numThreads) * knowledgeWidth, 0);
  }
  /// The 16 named barriers (bar.sync id, count): the threads they expect
  /// in this use and how many arrived, the first to arrive, and what the
  /// arrivals released (the join of their knowledge).
  struct NamedBarrier {
    uint32_t count = 0, arrived = 0, first = 0;
    std::vector<uint32_t> releasing;
  };
  NamedBarrier namedBarriers[16];
  /// A row of a TMA copy's box.
  std::vector<uint8_t> tmaRow;
  void *sharedMapping = nullptr;
  size_t sharedMappingBytes = 0;
  char *sharedMemory = nullptr;
  /// Shadow state per 4-byte word; a word whose bytes differ (an access
  /// covered part of it) is `split`, its state then in splitBytes.
  std::vector<ShadowByte> words;
  std::vector<uint8_t> split;
  std::vector<ShadowByte> splitBytes;

  // The running block.
  uint32_t blockId[3] = {0, 0, 0};
  uint32_t current = 0;
  uint32_t numExited = 0;
  uint32_t numAtBarrier = 0;
  uint32_t epoch = 0;
  uint32_t blockFirstEpoch = 0;
  size_t lastArg = 0;
  /// The runner's clock: __syncwarp completed and mbarrier arrivals made so
  /// far.
  uint32_t syncSeq = 0;
  bool failed = false;
  std::string error;

#if MELD_EMU_ASM_SWITCH
  void *schedulerSp = nullptr;
#else
  ucontext_t schedulerContext;
#endif
};

bool LaunchSpec::validate(std::string &error) const {
  auto invalid = [&](const std::string &why) {
    error = std::string("kernel '") + kernelName +
            "': invalid launch configuration: " + why;
    return false;
  };
  std::string gridText = format("(%u,%u,%u)", grid[0], grid[1], grid[2]);
  std::string blockText = format("(%u,%u,%u)", block[0], block[1], block[2]);
  if (!kernel)
    return invalid("no kernel function");
  if (!grid[0] || !grid[1] || !grid[2])
    return invalid("grid " + gridText + " is empty");
  if (grid[0] > 0x7fffffffu || grid[1] > 65535 || grid[2] > 65535)
    return invalid("grid " + gridText + " exceeds (2147483647,65535,65535)");
  uint64_t numBlocks = uint64_t(grid[0]) * grid[1] * grid[2];
  if (numBlocks > (uint64_t(1) << 32))
    return invalid("grid " + gridText +
                   " has more blocks than the "
                   "emulator supports (2^32)");
  if (!block[0] || !block[1] || !block[2])
    return invalid("block " + blockText + " is empty");
  if (block[0] > 1024 || block[1] > 1024 || block[2] > 64 ||
      uint64_t(block[0]) * block[1] * block[2] > maxThreadsPerBlock)
    return invalid("block " + blockText +
                   " exceeds (1024,1024,64) or 1024 threads");
  if (sharedBytes > maxSharedBytes)
    return invalid(format("%u bytes of shared memory exceed the %u a block "
                          "can have",
                          sharedBytes, maxSharedBytes));
  for (size_t i = 0; i < args.size(); ++i)
    if (!args[i].base)
      return invalid(format("argument %zu is NULL", i));
  return true;
}

bool BlockRunner::setUp(std::string &error) {
  numThreads = block[0] * block[1] * block[2];
  numWarps = (numThreads + warpSize - 1) / warpSize;
  threadIds.resize(size_t(numThreads) * 3);
  for (uint32_t t = 0; t < numThreads; ++t) {
    threadIds[3 * t] = t % block[0];
    threadIds[3 * t + 1] = (t / block[0]) % block[1];
    threadIds[3 * t + 2] = t / (block[0] * block[1]);
  }
  fibers.resize(numThreads);
  warps.resize(numWarps);
  for (WarpState &w : warps)
    w.groups.reserve(warpSize);
  wgmmaArrived.resize((numThreads + warpgroupSize - 1) / warpgroupSize);

  if (!stackPool.reserve(numThreads, options.stackBytes)) {
    error =
        std::string("kernel '") + kernelName +
        "': cannot allocate the emulated threads' stacks: " + strerror(errno);
    return false;
  }
  for (uint32_t t = 0; t < numThreads; ++t) {
    fibers[t].stackLow = stackPool.low(t);
    fibers[t].stackHigh = stackPool.high(t);
  }

  // Shared memory: page aligned, with a PROT_NONE page on each side so that
  // an access the kernel forgot to check faults instead of landing elsewhere.
  size_t page = pageSize();
  size_t body = roundUp(std::max<size_t>(sharedBytes, 1), page);
  sharedMappingBytes = body + 2 * page;
  void *m = mmap(nullptr, sharedMappingBytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    error = std::string("kernel '") + kernelName +
            "': cannot allocate shared memory: " + strerror(errno);
    return false;
  }
  sharedMapping = m;
  mprotect(m, page, PROT_NONE);
  mprotect(static_cast<char *>(m) + page + body, page, PROT_NONE);
  sharedMemory = static_cast<char *>(m) + page;
  size_t numWords = (size_t(sharedBytes) + 3) / 4;
  words.assign(numWords, ShadowByte());
  split.assign(numWords, 0);
  splitBytes.assign(numWords * 4, ShadowByte());
  return true;
}

void BlockRunner::startBlock(uint64_t linearBlock) {
  blockId[0] = static_cast<uint32_t>(linearBlock % grid[0]);
  blockId[1] = static_cast<uint32_t>((linearBlock / grid[0]) % grid[1]);
  blockId[2] =
      static_cast<uint32_t>(linearBlock / (uint64_t(grid[0]) * grid[1]));
  memset(sharedMemory, 0xFF, sharedBytes);
  blockFirstEpoch = ++epoch;
  numExited = 0;
  numAtBarrier = 0;
  for (NamedBarrier &nb : namedBarriers)
    nb.arrived = 0;
  for (WarpState &w : warps) {
    w.groups.clear();
    w.accesses.clear();
    memset(w.pairSync, 0, sizeof(w.pairSync));
  }
  std::fill(wgmmaArrived.begin(), wgmmaArrived.end(), 0);
  wgmmaOps.clear();
  liveWgmma.clear();
  // The pseudo-writers' bytes of the last block, if it had mbarriers, are
  // unwritten in this one.
  if (!knowledge.empty()) {
    for (ShadowByte &s : words)
      if (isPseudo(s))
        s = ShadowByte();
    for (ShadowByte &s : splitBytes)
      if (isPseudo(s))
        s = ShadowByte();
  }
  mbarriers.clear();
  guardedStores = false;
  knowledge.clear();
  for (Fiber &f : fibers) {
    f.state = FiberState::Ready;
    f.siteVisits.clear();
    f.pendingCopies.clear();
    f.groupsCommitted = 0;
    f.pendingWgmma.clear();
    f.wgmmaGroupsCommitted = 0;
    f.wgmmaFenced = false;
#if MELD_EMU_ASM_SWITCH
    // The initial frame, popped by meldEmuSwitchStack: six registers, then
    // the "return address" fiberMain, then a zero slot standing for
    // fiberMain's own return address, so that it starts with
    // rsp % 16 == 8 as after a call.
    uintptr_t top = reinterpret_cast<uintptr_t>(f.stackHigh) & ~uintptr_t(15);
    void **frame = reinterpret_cast<void **>(top);
    frame[-1] = nullptr;
    frame[-2] = reinterpret_cast<void *>(&BlockRunner::fiberMain);
    for (int r = 3; r <= 8; ++r)
      frame[-r] = nullptr;
    f.sp = frame - 8;
#else
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stackLow;
    f.context.uc_stack.ss_size = f.stackHigh - f.stackLow;
    f.context.uc_link = nullptr;
    makecontext(&f.context, &BlockRunner::fiberMain, 0);
#endif
  }
}

void BlockRunner::switchToFiber(uint32_t t) {
  current = t;
  inFiber = true;
#if MELD_EMU_ASM_SWITCH
  meldEmuSwitchStack(&schedulerSp, fibers[t].sp);
#else
  swapcontext(&schedulerContext, &fibers[t].context);
#endif
  inFiber = false;
}

void BlockRunner::switchToScheduler() {
#if MELD_EMU_ASM_SWITCH
  meldEmuSwitchStack(&fibers[current].sp, schedulerSp);
#else
  swapcontext(&fibers[current].context, &schedulerContext);
#endif
}

void BlockRunner::yieldFiber() {
  uint32_t from = current;
  for (uint32_t t = from + 1; t < numThreads; ++t) {
    if (fibers[t].state != FiberState::Ready)
      continue;
    // Whoever resumes `from` later sets `current` back to it.
    current = t;
#if MELD_EMU_ASM_SWITCH
    meldEmuSwitchStack(&fibers[from].sp, fibers[t].sp);
#else
    swapcontext(&fibers[from].context, &fibers[t].context);
#endif
    return;
  }
  switchToScheduler();
}

void BlockRunner::fiberMain() {
  BlockRunner *launch = currentRunner;
  launch->kernel(launch->argPointers.data());
  // Copies never waited for still land.
  launch->cpAsyncComplete(~0u);
  Fiber &f = launch->fibers[launch->current];
  if (!f.pendingWgmma.empty()) {
    launch->setFailure(launch->current,
                       "exits with a " +
                           launch->wgmmaOps[f.pendingWgmma.front().op].name +
                           " that no wgmma.wait_group completed");
    launch->abandon();
  }
  f.state = FiberState::Exited;
  ++launch->numExited;
  launch->yieldFiber();
  // Never resumed.
  abort();
}

void BlockRunner::setFailure(uint32_t thread, const std::string &what) {
  error = format("kernel '%s' block (%u,%u,%u) thread ", kernelName, blockId[0],
                 blockId[1], blockId[2]) +
          threadCoords(thread) + ": " + what;
  failed = true;
}

void BlockRunner::abandon() {
  switchToScheduler();
  abort(); // Never resumed.
}

bool BlockRunner::runBlock() {
  for (;;) {
    bool ran = false;
    for (uint32_t t = 0; t < numThreads; ++t) {
      if (fibers[t].state != FiberState::Ready)
        continue;
      ran = true;
      switchToFiber(t);
      if (failed)
        return false;
      // Fibers that blocked passed control straight to the next ready one
      // (yieldFiber): the pass goes on after the last that ran, so fibers
      // run in the order a pass over them one by one would give.
      t = current;
    }
    if (numExited == numThreads) {
      if (options.accessStats)
        countAccesses();
      return true;
    }
    if (!ran) {
      diagnoseStuck();
      return false;
    }
  }
}

void BlockRunner::diagnoseStuck() {
  // A warp collective that misses a lane: name its lowest waiting lane and
  // the first lane that cannot come.
  for (uint32_t w = 0; w < numWarps; ++w) {
    for (const Group &g : warps[w].groups) {
      uint32_t missing = g.mask & ~g.arrived;
      if (!missing || !g.arrived)
        continue;
      uint32_t waiter = w * warpSize + __builtin_ctz(g.arrived);
      uint32_t lane = __builtin_ctz(missing);
      uint32_t t = w * warpSize + lane;
      const char *where = fibers[t].state == FiberState::Exited ? "has exited"
                          : fibers[t].state == FiberState::AtBarrier
                              ? "waits at a barrier"
                              : "waits elsewhere";
      setFailure(waiter, "warp collective " +
                             describeCollective(g.kind, g.mode, g.rawMask) +
                             " reached by only part of memberMask: lane " +
                             std::to_string(lane) + ", thread " +
                             threadCoords(t) + ", " + where);
      return;
    }
  }
  // A wgmma.mma_async that part of its warpgroup will never issue.
  for (uint32_t g = 0; g < wgmmaArrived.size(); ++g) {
    if (!wgmmaArrived[g])
      continue;
    uint32_t base = g * warpgroupSize, waiter = base, absent = base;
    while (!(fibers[waiter].state == FiberState::AtCollective &&
             fibers[waiter].kind == CollectiveKind::Wgmma))
      ++waiter;
    while (fibers[absent].state == FiberState::AtCollective &&
           fibers[absent].kind == CollectiveKind::Wgmma)
      ++absent;
    const char *where =
        fibers[absent].state == FiberState::Exited      ? "has exited"
        : fibers[absent].state == FiberState::AtBarrier ? "waits at a barrier"
                                                        : "waits elsewhere";
    setFailure(waiter, wgmmaName(fibers[waiter].mode) +
                           format(" reached by only part of the warpgroup "
                                  "(%u of 128 threads): thread ",
                                  wgmmaArrived[g]) +
                           threadCoords(absent) + " " + where);
    return;
  }
  // An mbarrier phase nothing left can complete.
  for (uint32_t t = 0; t < numThreads; ++t) {
    const Fiber &f = fibers[t];
    if (f.state != FiberState::AtMbarrier)
      continue;
    const Mbarrier &m = mbarriers[f.waitSlot];
    setFailure(t, format("deadlock: waits for the phase of parity %u of the "
                         "mbarrier at offset %" PRIu64
                         ", which nothing left can complete (phase %u: %" PRId64
                         " of %u arrivals and %" PRId64
                         " transaction bytes pending%s)",
                         f.waitParity, m.offset, m.getPhase(), m.pending,
                         m.expected, m.tx, m.valid ? "" : "; invalidated"));
    return;
  }
  // A named barrier too few threads can still reach.
  for (uint32_t id = 0; id < 16; ++id) {
    const NamedBarrier &nb = namedBarriers[id];
    if (!nb.arrived)
      continue;
    uint32_t absent = 0;
    while (absent < numThreads &&
           fibers[absent].state == FiberState::AtNamedBarrier &&
           fibers[absent].barrierId == id)
      ++absent;
    const char *where = fibers[absent].state == FiberState::Exited
                            ? "has exited"
                            : "waits elsewhere";
    setFailure(nb.first, format("named barrier %u reached by only %u of its "
                                "%u threads: thread ",
                                id, nb.arrived, nb.count) +
                             threadCoords(nb.first) + " waits at it, thread " +
                             threadCoords(absent) + " " + where);
    return;
  }
  // A barrier that some thread will never reach.
  uint32_t waiter = numThreads, absent = numThreads;
  for (uint32_t t = 0; t < numThreads; ++t) {
    if (fibers[t].state == FiberState::AtBarrier && waiter == numThreads)
      waiter = t;
    if (fibers[t].state != FiberState::AtBarrier && absent == numThreads)
      absent = t;
  }
  if (waiter != numThreads && absent != numThreads) {
    const char *where = fibers[absent].state == FiberState::Exited
                            ? "has exited"
                        : fibers[absent].state == FiberState::AtCollective
                            ? "waits at a warp collective"
                            : "waits elsewhere";
    setFailure(waiter,
               format("barrier reached by only part of the block (%u of %u "
                      "threads): thread ",
                      numAtBarrier, numThreads) +
                   threadCoords(waiter) + " waits at the barrier, thread " +
                   threadCoords(absent) + " " + where);
    return;
  }
  setFailure(0, "deadlock: no thread of the block can make progress");
}

//===----------------------------------------------------------------------===//
// Faults in emulated code
//===----------------------------------------------------------------------===//

// While launches run, SIGSEGV and SIGBUS go to faultHandler, on an alternate
// signal stack (a fiber that overflowed its stack has none left). A fault on
// a fiber of this OS thread's launch becomes the launch's error, and the
// handler leaves for the scheduler without returning (like a siglongjmp).
// Any other fault gets the previous handler back and happens again.
std::mutex faultMutex;
int faultGuards = 0;
struct sigaction previousSegv, previousBus;

void faultHandler(int sig, siginfo_t *info, void *) {
  BlockRunner *launch = currentRunner;
  if (launch && launch->inFiber)
    launch->handleFault(sig, info->si_addr);
  sigaction(sig, sig == SIGSEGV ? &previousSegv : &previousBus, nullptr);
}

/// Installs faultHandler (first guard of the process) and an alternate
/// signal stack for this OS thread, for the life of the object.
class FaultGuard {
public:
  FaultGuard() {
    altStack = mmap(nullptr, altStackBytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (altStack != MAP_FAILED) {
      stack_t ss;
      memset(&ss, 0, sizeof(ss));
      ss.ss_sp = altStack;
      ss.ss_size = altStackBytes;
      hasAltStack = sigaltstack(&ss, &previousAltStack) == 0;
    }
    std::lock_guard<std::mutex> lock(faultMutex);
    if (faultGuards++ == 0) {
      struct sigaction sa;
      memset(&sa, 0, sizeof(sa));
      sa.sa_sigaction = faultHandler;
      sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
      sigemptyset(&sa.sa_mask);
      sigaction(SIGSEGV, &sa, &previousSegv);
      sigaction(SIGBUS, &sa, &previousBus);
    }
  }
  ~FaultGuard() {
    {
      std::lock_guard<std::mutex> lock(faultMutex);
      if (--faultGuards == 0) {
        sigaction(SIGSEGV, &previousSegv, nullptr);
        sigaction(SIGBUS, &previousBus, nullptr);
      }
    }
    if (hasAltStack)
      sigaltstack(&previousAltStack, nullptr);
    if (altStack != MAP_FAILED)
      munmap(altStack, altStackBytes);
  }
  FaultGuard(const FaultGuard &) = delete;
  FaultGuard &operator=(const FaultGuard &) = delete;

private:
  static constexpr size_t altStackBytes = 64 * 1024;
  void *altStack = MAP_FAILED;
  stack_t previousAltStack;
  bool hasAltStack = false;
};

void BlockRunner::handleFault(int sig, const void *address) {
  uintptr_t a = reinterpret_cast<uintptr_t>(address);
  const char *name = sig == SIGSEGV ? "SIGSEGV" : "SIGBUS";
  std::string what;
  uintptr_t sharedLow = reinterpret_cast<uintptr_t>(sharedMemory);
  uintptr_t page = pageSize();
  for (uint32_t t = 0; t < numThreads && what.empty(); ++t) {
    uintptr_t low = reinterpret_cast<uintptr_t>(fibers[t].stackLow);
    if (a < low && a >= low - StackPool::guardBytes())
      what = format(
          "stack overflow (%s at 0x%" PRIxPTR
          "): the thread's %zu KiB of stack are exhausted",
          name, a,
          static_cast<size_t>(fibers[t].stackHigh - fibers[t].stackLow) / 1024);
  }
  if (what.empty() && a + page >= sharedLow &&
      a < sharedLow + roundUp(std::max<size_t>(sharedBytes, 1), page) + page)
    what = format("unchecked shared memory access at offset %" PRId64
                  " (%s; the block has %u bytes of shared memory, and the "
                  "access was not passed to check_load/check_store)",
                  static_cast<int64_t>(a - sharedLow), name, sharedBytes);
  if (what.empty())
    what = format("%s at address 0x%" PRIxPTR
                  ": an access the kernel did not pass to "
                  "check_load/check_store, or a crash in its own code",
                  name, a);
  setFailure(current, what);
  std::string().swap(what); // Leave no heap memory behind on this stack.
  // The handler is left without returning: unblock the signal (SA_NODEFER
  // keeps it unblocked already; this is for safety).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  abandon();
}

/// Runs the blocks of a launch in their shuffled order on the runners of
/// one or more OS threads. Each runner takes the next position of the order
/// until none is left. On a failure, no position after the failing one is
/// started, and the positions before it all complete: the error reported is
/// that of the first failing block in the order, whatever the timing.
class GridRun {
public:
  GridRun(const LaunchSpec &spec) : spec(spec) {
    uint64_t numBlocks = uint64_t(spec.grid[0]) * spec.grid[1] * spec.grid[2];
    order.resize(numBlocks);
    for (uint64_t i = 0; i < numBlocks; ++i)
      order[i] = static_cast<uint32_t>(i);
    // A seeded Fisher-Yates shuffle.
    uint64_t rng = spec.options.seed;
    for (uint64_t i = numBlocks; i > 1; --i) {
      uint64_t j = splitMix64(rng) % i;
      std::swap(order[i - 1], order[j]);
    }
  }

  bool run(std::string &errorOut) {
    const LaunchOptions &options = spec.options;
    uint64_t workers = std::min<uint64_t>(
        options.parallelFor ? std::max(options.workers, 1u) : 1, order.size());
    if (workers <= 1)
      runWorker();
    else
      options.parallelFor(
          options.executor, static_cast<int64_t>(workers),
          [](void *self, int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i)
              static_cast<GridRun *>(self)->runWorker();
          },
          this);
    if (options.accessStats)
      *options.accessStats += stats;
    if (failedAt == noFailure)
      return true;
    errorOut = error;
    return false;
  }

private:
  static constexpr uint64_t noFailure = ~uint64_t(0);

  /// One OS thread's part: a runner of its own, fed positions of the order.
  void runWorker() {
    BlockRunner runner(spec);
    std::string setUpError;
    if (!runner.setUp(setUpError)) {
      fail(0, setUpError);
      return;
    }
    BlockRunner *saved = currentRunner;
    currentRunner = &runner;
    {
      FaultGuard guard;
      for (;;) {
        uint64_t i = next.fetch_add(1, std::memory_order_relaxed);
        if (i >= order.size() || i > failedAt.load(std::memory_order_relaxed))
          break;
        if (!runner.runBlockAt(order[i])) {
          fail(i, runner.getError());
          break;
        }
      }
    }
    currentRunner = saved;
    if (spec.options.accessStats) {
      std::lock_guard<std::mutex> lock(mutex);
      stats += runner.getStats();
    }
  }

  /// Records the failure at `position` if it comes before any other.
  void fail(uint64_t position, const std::string &what) {
    std::lock_guard<std::mutex> lock(mutex);
    if (position >= failedAt.load(std::memory_order_relaxed))
      return;
    failedAt.store(position, std::memory_order_relaxed);
    error = what;
  }

  const LaunchSpec &spec;
  std::vector<uint32_t> order;
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> failedAt{noFailure};
  std::mutex mutex;
  std::string error;
  AccessStats stats;
};

//===----------------------------------------------------------------------===//
// Ids, barriers and warp collectives
//===----------------------------------------------------------------------===//

uint32_t BlockRunner::tid(uint32_t dim) {
  if (dim < 3)
    return threadIds[3 * current + dim];
  setFailure(current, format("tid(%u): dimension out of range", dim));
  abandon();
}

uint32_t BlockRunner::ntid(uint32_t dim) {
  if (dim < 3)
    return block[dim];
  setFailure(current, format("ntid(%u): dimension out of range", dim));
  abandon();
}

uint32_t BlockRunner::ctaid(uint32_t dim) {
  if (dim < 3)
    return blockId[dim];
  setFailure(current, format("ctaid(%u): dimension out of range", dim));
  abandon();
}

uint32_t BlockRunner::nctaid(uint32_t dim) {
  if (dim < 3)
    return grid[dim];
  setFailure(current, format("nctaid(%u): dimension out of range", dim));
  abandon();
}

void BlockRunner::barrier() {
  if (++numAtBarrier == numThreads) {
    // The last arrival releases everyone and starts a new epoch.
    for (Fiber &f : fibers)
      if (f.state == FiberState::AtBarrier)
        f.state = FiberState::Ready;
    numAtBarrier = 0;
    ++epoch;
    if (!knowledge.empty())
      shareMbarrierKnowledge();
    return;
  }
  fibers[current].state = FiberState::AtBarrier;
  yieldFiber();
}

void BlockRunner::barrierNamed(uint32_t id, uint32_t count) {
  uint32_t warpThreads = (numThreads + warpSize - 1) / warpSize * warpSize;
  if (id > 15 || count % warpSize != 0 || count > warpThreads) {
    setFailure(current, format("bar.sync %u, %u: the barrier must be 0 to 15 "
                               "and the count a multiple of 32 up to the "
                               "block's %u threads",
                               id, count, warpThreads));
    abandon();
  }
  // The whole block (a partial last warp counts whole): bar.sync 0 is the
  // plain barrier.
  uint32_t expected = count == 0 || count == warpThreads ? numThreads : count;
  if (id == 0 && expected == numThreads)
    return barrier();
  NamedBarrier &nb = namedBarriers[id];
  if (nb.arrived && nb.count != expected) {
    setFailure(current,
               format("bar.sync %u with %u threads while thread ", id, count) +
                   threadCoords(nb.first) +
                   format(" waits at it with %u", nb.count));
    abandon();
  }
  // Release what this thread did and knows; the last arrival hands the
  // participants everything the others released.
  ensureKnowledge();
  uint32_t *mine = knowledgeOf(current);
  mine[current] = ++syncSeq;
  if (nb.arrived == 0) {
    nb.count = expected;
    nb.first = current;
    nb.releasing.assign(knowledgeWidth, 0);
  }
  join(nb.releasing.data(), mine);
  if (++nb.arrived == nb.count) {
    for (uint32_t t = 0; t < numThreads; ++t)
      if (fibers[t].state == FiberState::AtNamedBarrier &&
          fibers[t].barrierId == id) {
        join(knowledgeOf(t), nb.releasing.data());
        fibers[t].state = FiberState::Ready;
      }
    join(mine, nb.releasing.data());
    nb.arrived = 0;
    return;
  }
  fibers[current].state = FiberState::AtNamedBarrier;
  fibers[current].barrierId = id;
  yieldFiber();
}

uint32_t BlockRunner::collective(CollectiveKind kind, uint32_t mode,
                                 uint32_t memberMask, uint32_t value,
                                 uint32_t laneOrOffset, uint32_t c,
                                 uint32_t pred, uint32_t *valid) {
  uint32_t lane = current % warpSize;
  uint32_t w = current / warpSize;
  uint32_t warpBase = w * warpSize;
  uint32_t lanesInWarp = std::min(warpSize, numThreads - warpBase);
  uint32_t existing = lanesInWarp == warpSize ? ~0u : ((1u << lanesInWarp) - 1);
  if ((kind == CollectiveKind::Shfl && mode > MELD_EMU_SHFL_BFLY) ||
      (kind == CollectiveKind::Vote && mode > MELD_EMU_VOTE_BALLOT) ||
      (kind == CollectiveKind::Mma && mode > MELD_EMU_MMA_M16N8K16_BF16)) {
    setFailure(current, format("%s: invalid mode %u",
                               kind == CollectiveKind::Shfl   ? "shfl"
                               : kind == CollectiveKind::Vote ? "vote"
                                                              : "mma",
                               mode));
    abandon();
  }
  if (!(memberMask >> lane & 1)) {
    setFailure(current, describeCollective(kind, mode, memberMask) +
                            ": the calling lane " + std::to_string(lane) +
                            " is not in memberMask");
    abandon();
  }
  uint32_t mask = memberMask & existing;

  // Join the pending group with the same mask, or start one. A pending
  // group whose mask overlaps ours but differs, or that waits at another
  // collective, can never complete together with us.
  WarpState &warp = warps[w];
  size_t groupIndex = warp.groups.size();
  for (size_t i = 0; i < warp.groups.size(); ++i) {
    const Group &g = warp.groups[i];
    if (!(g.mask & mask))
      continue;
    if (g.mask == mask && g.kind == kind && g.mode == mode) {
      groupIndex = i;
      break;
    }
    uint32_t other = warpBase + __builtin_ctz(g.arrived);
    setFailure(current,
               "lanes of a warp meet at different warp collectives: thread " +
                   threadCoords(other) + " (lane " +
                   std::to_string(other % warpSize) + ") waits at " +
                   describeCollective(g.kind, g.mode, g.rawMask) +
                   ", this thread (lane " + std::to_string(lane) +
                   ") reached " + describeCollective(kind, mode, memberMask));
    abandon();
  }
  if (groupIndex == warp.groups.size())
    warp.groups.push_back(Group{mask, memberMask, 0, kind, mode});

  Fiber &f = fibers[current];
  f.kind = kind;
  f.mode = mode;
  f.memberMask = memberMask;
  f.value = value;
  f.laneOrOffset = laneOrOffset;
  f.c = c;
  f.pred = pred;
  Group &g = warp.groups[groupIndex];
  g.arrived |= 1u << lane;
  if (g.arrived == g.mask) {
    completeGroup(w, groupIndex);
  } else {
    f.state = FiberState::AtCollective;
    yieldFiber();
  }
  if (valid)
    *valid = f.resultValid;
  return f.result;
}

void BlockRunner::mma(uint32_t shape, const uint32_t *a, const uint32_t *b,
                      const float *c, float *d) {
  Fiber &f = fibers[current];
  f.mmaA = a;
  f.mmaB = b;
  f.mmaC = c;
  f.mmaD = d;
  // `.aligned`: the whole warp, which must exist.
  uint32_t warpBase = current / warpSize * warpSize;
  if (numThreads - warpBase < warpSize) {
    setFailure(current, describeCollective(CollectiveKind::Mma, shape, ~0u) +
                            format(" needs a whole warp (the block has %u "
                                   "threads)",
                                   numThreads));
    abandon();
  }
  collective(CollectiveKind::Mma, shape, ~0u, 0, 0, 0, 0, nullptr);
}

void BlockRunner::ldmatrix(uint32_t num, uint32_t trans, const void *row,
                           uint32_t *d, uint32_t site) {
  if ((num != 1 && num != 2 && num != 4) || trans > 1) {
    setFailure(current,
               format("ldmatrix: invalid shape x%u with trans %u", num, trans));
    abandon();
  }
  uint32_t mode = num * 2 + trans;
  uint32_t lane = current % warpSize;
  uint32_t warpBase = current - lane;
  if (numThreads - warpBase < warpSize) {
    setFailure(current,
               describeCollective(CollectiveKind::Ldmatrix, mode, ~0u) +
                   format(" needs a whole warp (the block has %u threads)",
                          numThreads));
    abandon();
  }
  // The lanes that give a row read it: a 16-byte load of shared memory.
  if (lane < 8 * num) {
    if (!inShared(row, 16)) {
      setFailure(current,
                 describeCollective(CollectiveKind::Ldmatrix, mode, ~0u) +
                     format(": lane %u's row address is not in the %u bytes "
                            "of shared memory",
                            lane, sharedBytes));
      abandon();
    }
    checkAccessAt(row, 16, false, site);
  }
  Fiber &f = fibers[current];
  f.ldRow = row;
  f.ldOut = d;
  collective(CollectiveKind::Ldmatrix, mode, ~0u, 0, 0, 0, 0, nullptr);
}

void BlockRunner::cpAsync(void *dst, const void *src, uint32_t bytes,
                          uint32_t srcBytes, uint32_t site) {
  if ((bytes != 4 && bytes != 8 && bytes != 16) || srcBytes > bytes) {
    setFailure(current, format("cp.async of %u bytes reading %u: the size "
                               "must be 4, 8 or 16 and cover what it reads",
                               bytes, srcBytes));
    abandon();
  }
  uintptr_t p = reinterpret_cast<uintptr_t>(dst);
  if (!inShared(dst, bytes)) {
    setFailure(current,
               format("cp.async destination is not in the %u bytes of shared "
                      "memory (offset %" PRId64 ")",
                      sharedBytes,
                      static_cast<int64_t>(
                          p - reinterpret_cast<uintptr_t>(sharedMemory))));
    abandon();
  }
  if (p % bytes != 0)
    reportMisaligned(p, bytes, true, true);
  Fiber &f = fibers[current];
  Fiber::PendingCopy copy{static_cast<char *>(dst), bytes, srcBytes, site,
                          f.groupsCommitted,        {}};
  if (srcBytes) {
    checkAccessAt(src, srcBytes, false, site);
    memcpy(copy.data, src, srcBytes);
  }
  f.pendingCopies.push_back(copy);
}

/// Takes the entries of groups before `group` out of `pending` (a thread's
/// asynchronous operations, each with the group it belongs to), calling
/// `complete` on each in order.
template <typename Pending, typename Complete>
static void completeGroups(std::vector<Pending> &pending, uint32_t group,
                           Complete complete) {
  size_t kept = 0;
  for (size_t i = 0; i < pending.size(); ++i) {
    Pending entry = pending[i];
    if (entry.group >= group)
      pending[kept++] = entry;
    else
      complete(entry);
  }
  pending.resize(kept);
}

void BlockRunner::cpAsyncComplete(uint32_t group) {
  completeGroups(fibers[current].pendingCopies, group,
                 [&](const Fiber::PendingCopy &copy) {
                   checkAccessAt(copy.dst, copy.bytes, true, copy.site);
                   memcpy(copy.dst, copy.data, copy.srcBytes);
                   memset(copy.dst + copy.srcBytes, 0,
                          copy.bytes - copy.srcBytes);
                 });
}

//===----------------------------------------------------------------------===//
// mbarriers and TMA copies
//===----------------------------------------------------------------------===//

uint64_t BlockRunner::mbarrierOffset(const void *bar, const char *what) {
  uintptr_t p = reinterpret_cast<uintptr_t>(bar);
  uint64_t offset = p - reinterpret_cast<uintptr_t>(sharedMemory);
  if (!inShared(bar, 8) || p % 8 != 0) {
    setFailure(current,
               format("%s with an mbarrier address that is not "
                      "8-byte aligned shared memory (offset %" PRId64 ")",
                      what, static_cast<int64_t>(offset)));
    abandon();
  }
  return offset;
}

uint32_t BlockRunner::mbarrierSlot(const void *bar, const char *what) {
  uint64_t offset = mbarrierOffset(bar, what);
  for (uint32_t slot = 0; slot < mbarriers.size(); ++slot) {
    const Mbarrier &m = mbarriers[slot];
    if (!m.valid || m.offset != offset)
      continue;
    if (m.initThread != current && epoch == m.initEpoch) {
      setFailure(current,
                 format("%s on the mbarrier at offset %" PRIu64 " that thread ",
                        what, offset) +
                     threadCoords(m.initThread) +
                     " initialized with no barrier since (the init may not "
                     "be visible)");
      abandon();
    }
    return slot;
  }
  setFailure(current, format("%s on shared memory at offset %" PRIu64
                             " that holds no initialized mbarrier",
                             what, offset));
  abandon();
}

void BlockRunner::mbarrierInit(void *bar, uint32_t count) {
  uint64_t offset = mbarrierOffset(bar, "mbarrier.init");
  // One invalidated at the same offset is initialized again in its slot.
  uint32_t reused = maxMbarriers;
  for (uint32_t slot = 0; slot < mbarriers.size(); ++slot)
    if (mbarriers[slot].offset == offset)
      reused = slot;
  const char *invalid =
      count == 0 || count >= 1u << 20 ? "a count outside 1 to 2^20 - 1"
      : reused == maxMbarriers && mbarriers.size() == maxMbarriers
          ? "more mbarriers in the block than the emulator keeps (64)"
      : reused != maxMbarriers && mbarriers[reused].valid
          ? "an mbarrier that is valid (mbarrier.inval it first)"
          : nullptr;
  if (invalid) {
    setFailure(current,
               format("mbarrier.init at offset %" PRIu64 " with count %u: ",
                      offset, count) +
                   invalid);
    abandon();
  }
  ensureKnowledge();
  // The init writes the object; from then on only mbarrier instructions
  // may touch its bytes.
  checkShared(offset, 8, /*store=*/true);
  forEachCell(offset, 8, [&](ShadowByte &s, uint64_t) {
    s.writer = mbarrierObject;
    s.writeEpoch = pseudoEpoch;
  });
  if (reused == maxMbarriers) {
    mbarriers.emplace_back();
    mbarriers.back().released.assign(knowledgeWidth, 0);
  }
  Mbarrier &m = reused == maxMbarriers ? mbarriers.back() : mbarriers[reused];
  m.offset = offset;
  m.valid = true;
  m.expected = count;
  m.pending = count;
  m.tx = 0;
  m.phaseBase = m.phase;
  m.initThread = current;
  m.initEpoch = epoch;
  m.releasing.assign(knowledgeWidth, 0);
  guardedStores = true;
}

void BlockRunner::completePhaseIfDone(uint32_t slot) {
  Mbarrier &m = mbarriers[slot];
  if (m.pending != 0 || m.tx != 0)
    return;
  // A phase's waiters learn what its arrivals released, and what earlier
  // phases did.
  join(m.released.data(), m.releasing.data());
  std::fill(m.releasing.begin(), m.releasing.end(), 0);
  ++m.phase;
  m.released[numThreads + slot] = m.phase;
  m.pending = m.expected;
  for (Fiber &f : fibers)
    if (f.state == FiberState::AtMbarrier && f.waitSlot == slot)
      f.state = FiberState::Ready;
}

uint64_t BlockRunner::mbarrierArrive(void *bar, uint32_t count,
                                     uint32_t txBytes) {
  uint32_t slot =
      mbarrierSlot(bar, count ? "mbarrier.arrive" : "mbarrier.expect_tx");
  Mbarrier &m = mbarriers[slot];
  uint64_t state = m.getPhase();
  // PTX keeps tx-count in [-(2^20 - 1), 2^20 - 1].
  if (m.tx + txBytes >= int64_t(1) << 20 || count > m.pending) {
    setFailure(current,
               format("%s with count %u and %u transaction bytes on the "
                      "mbarrier at offset %" PRIu64 ", whose phase %u has "
                      "%" PRId64 " of %u arrivals and %" PRId64
                      " transaction bytes pending: ",
                      count ? "mbarrier.arrive" : "mbarrier.expect_tx", count,
                      txBytes, m.offset, m.getPhase(), m.pending, m.expected,
                      m.tx) +
                   (count > m.pending ? "more arrivals than pending"
                                      : "tx-count past 2^20 - 1"));
    abandon();
  }
  m.tx += txBytes;
  if (count) {
    // Release: what this thread did, and what it knows of others.
    uint32_t *mine = knowledgeOf(current);
    mine[current] = ++syncSeq;
    join(m.releasing.data(), mine);
    m.pending -= count;
  }
  completePhaseIfDone(slot);
  return state;
}

void BlockRunner::mbarrierWaitParity(void *bar, uint32_t parity) {
  uint32_t slot = mbarrierSlot(bar, "mbarrier.try_wait.parity");
  if (parity > 1) {
    setFailure(current, format("mbarrier.try_wait.parity with parity %u (0 "
                               "or 1)",
                               parity));
    abandon();
  }
  Fiber &f = fibers[current];
  while ((mbarriers[slot].getPhase() & 1) == parity) {
    f.state = FiberState::AtMbarrier;
    f.waitSlot = slot;
    f.waitParity = parity;
    yieldFiber();
  }
  // Acquire.
  join(knowledgeOf(current), mbarriers[slot].released.data());
}

void BlockRunner::mbarrierInval(void *bar) {
  uint32_t slot = mbarrierSlot(bar, "mbarrier.inval");
  Mbarrier &m = mbarriers[slot];
  m.valid = false;
  // Plain shared memory again, never written.
  forEachCell(m.offset, 8, [](ShadowByte &s, uint64_t) { s = ShadowByte(); });
}

/// The layout `map` encodes.
static TensorMapLayout layoutOf(const meld_emu_tensor_map &map) {
  TensorMapLayout layout;
  layout.rank = map.rank;
  for (uint32_t d = 0; d < 5; ++d) {
    layout.dims[d] = map.global_dims[d];
    layout.box[d] = map.box_dims[d];
    if (d < 4)
      layout.strides[d] = map.global_strides[d];
  }
  layout.swizzle = map.swizzle;
  layout.oobNan = map.oob_nan != 0;
  return layout;
}

/// Why `map` is not a tensor map the emulator takes, or an empty string.
static std::string describeInvalidTensorMap(const meld_emu_tensor_map &map) {
  if (map.magic != MELD_EMU_TENSOR_MAP_MAGIC)
    return "not a tensor map (no magic number)";
  if (map.global_address % 16 != 0)
    return "a global address that is not 16-byte aligned";
  return checkTensorMapLayout(layoutOf(map), map.element_bytes);
}

/// The offset in shared memory where a swizzle of `span` bytes (0: none)
/// puts the byte at `offset`.
static uint64_t swizzleOffset(uint64_t offset, uint32_t span) {
  if (!span)
    return offset;
  uint64_t mask = span / 16 - 1;
  return offset ^ (((offset >> 7) & mask) << 4);
}

void BlockRunner::tmaLoad(void *dst, const void *mapPtr, const int32_t *coords,
                          uint32_t rank, void *bar) {
  std::string name = format("cp.async.bulk.tensor.%ud", rank);
  uint32_t slot = mbarrierSlot(bar, name.c_str());
  auto fail = [&](const std::string &what) {
    setFailure(current, name + " " + what);
    abandon();
  };
  uintptr_t mapAddress = reinterpret_cast<uintptr_t>(mapPtr);
  if (mapAddress % 64 != 0)
    fail("with a tensor map that is not 64-byte aligned");
  checkOtherAccess(mapAddress, sizeof(meld_emu_tensor_map), false);
  meld_emu_tensor_map map;
  memcpy(&map, mapPtr, sizeof(map));
  std::string why = describeInvalidTensorMap(map);
  if (!why.empty())
    fail("with an invalid tensor map: " + why);
  if (map.rank != rank)
    fail(format("with a tensor map of rank %u", map.rank));

  uint32_t e = map.element_bytes;
  uint64_t rowBytes = uint64_t(map.box_dims[0]) * e, rows = 1;
  for (uint32_t d = 1; d < rank; ++d)
    rows *= map.box_dims[d];
  uint64_t boxBytes = rowBytes * rows;
  uintptr_t p = reinterpret_cast<uintptr_t>(dst);
  uint64_t offset = p - reinterpret_cast<uintptr_t>(sharedMemory);
  if (!inShared(dst, boxBytes))
    fail(format("destination (offset %" PRId64 ", %" PRIu64
                " bytes) is not in the %u bytes of shared memory",
                static_cast<int64_t>(offset), boxBytes, sharedBytes));
  uint32_t alignment = map.swizzle ? 8 * map.swizzle : 128;
  if (offset % alignment != 0)
    fail(format("destination at offset %" PRIu64 " is not %u-byte aligned",
                offset, alignment));

  // Row by row (dimension 0 of the box): the elements inside the tensor
  // from global memory, the others filled; then into shared memory, 16
  // bytes at a time, swizzled.
  uint32_t phase = mbarriers[slot].phase;
  tmaRow.resize(rowBytes);
  for (uint64_t r = 0; r < rows; ++r) {
    bool inside = true;
    uint64_t address = map.global_address;
    uint64_t rest = r;
    for (uint32_t d = 1; d < rank; ++d) {
      int64_t g = int64_t(coords[d]) + int64_t(rest % map.box_dims[d]);
      rest /= map.box_dims[d];
      if (g < 0 || g >= int64_t(map.global_dims[d]))
        inside = false;
      else
        address += uint64_t(g) * map.global_strides[d - 1];
    }
    if (map.oob_nan) {
      for (uint64_t i = 0; i < rowBytes; i += e) {
        // Quiet NaNs of 8-, 4- and 2-byte (f16 and bf16 alike) floats.
        static const uint8_t nan8[8] = {0, 0, 0, 0, 0, 0, 0xf8, 0x7f};
        static const uint8_t nan4[4] = {0, 0, 0xc0, 0x7f};
        static const uint8_t nan2[2] = {0xff, 0x7f};
        memcpy(&tmaRow[i], e == 8 ? nan8 : e == 4 ? nan4 : nan2, e);
      }
    } else {
      std::fill(tmaRow.begin(), tmaRow.end(), 0);
    }
    int64_t c0 = coords[0];
    int64_t lo = std::max<int64_t>(0, -c0);
    int64_t hi =
        std::min<int64_t>(map.box_dims[0], int64_t(map.global_dims[0]) - c0);
    if (inside && lo < hi) {
      uintptr_t src = static_cast<uintptr_t>(address + uint64_t(c0 + lo) * e);
      uint64_t n = uint64_t(hi - lo) * e;
      checkOtherAccess(src, static_cast<uint32_t>(n), false);
      memcpy(&tmaRow[lo * e], reinterpret_cast<const void *>(src), n);
    }
    for (uint64_t j = 0; j < rowBytes; j += 16) {
      uint64_t to = swizzleOffset(offset + r * rowBytes + j, map.swizzle);
      if (!liveWgmma.empty())
        checkWgmmaStore(to, 16, name.c_str());
      forEachCell(to, 16, [&](ShadowByte &s, uint64_t o) {
        landTmaCell(s, o, slot, phase);
      });
      memcpy(sharedMemory + to, &tmaRow[j], 16);
    }
  }
  mbarriers[slot].tx -= static_cast<int64_t>(boxBytes);
  completePhaseIfDone(slot);
}

std::string BlockRunner::wgmmaName(uint32_t mode) {
  uint32_t type = mode & 0xf;
  const char *name = type == MELD_EMU_WGMMA_F16    ? "f16"
                     : type == MELD_EMU_WGMMA_BF16 ? "bf16"
                     : type == MELD_EMU_WGMMA_TF32 ? "tf32"
                                                   : "?";
  return format("wgmma.mma_async.sync.aligned.m64n%uk%u.f32.%s.%s", mode >> 16,
                type == MELD_EMU_WGMMA_TF32 ? 8 : 16, name, name);
}

void BlockRunner::wgmma(uint32_t mode, uint64_t descA, uint64_t descB,
                        uint32_t scaleD, const float *c, float *d) {
  Fiber &f = fibers[current];
  uint32_t type = mode & 0xf, n = mode >> 16;
  bool trans = mode & (MELD_EMU_WGMMA_TRANS_A | MELD_EMU_WGMMA_TRANS_B);
  const char *invalid =
      type > MELD_EMU_WGMMA_TF32 ? "an unknown operand type"
      : (mode >> 8 & 0xff) != 0 || n < 8 || n > 256 || n % 8 != 0
          ? "an invalid mode"
      : type == MELD_EMU_WGMMA_TF32 && trans
          ? "a transposed operand (tf32 takes K-major A and B only)"
          : nullptr;
  if (invalid) {
    setFailure(current,
               format("wgmma.mma_async with mode 0x%x: ", mode) + invalid);
    abandon();
  }
  uint32_t group = current / warpgroupSize, base = group * warpgroupSize;
  if (numThreads - base < warpgroupSize) {
    setFailure(current, wgmmaName(mode) +
                            format(" needs a whole warpgroup of 128 threads "
                                   "(the block has %u threads)",
                                   numThreads));
    abandon();
  }
  if (!f.wgmmaFenced) {
    setFailure(current, wgmmaName(mode) +
                            " without a wgmma.fence before it (since "
                            "the thread started or its last "
                            "wgmma.wait_group)");
    abandon();
  }
  // Every thread of the warpgroup must issue the same instruction.
  for (uint32_t t = base; t < base + warpgroupSize; ++t) {
    const Fiber &other = fibers[t];
    if (t == current || other.state != FiberState::AtCollective ||
        other.kind != CollectiveKind::Wgmma)
      continue;
    if (other.mode != mode || other.wgmmaDescA != descA ||
        other.wgmmaDescB != descB || other.wgmmaScaleD != scaleD) {
      setFailure(current,
                 "threads of a warpgroup issue different wgmma.mma_async: "
                 "thread " +
                     threadCoords(t) +
                     format(" mode 0x%x descriptors 0x%016" PRIx64
                            " 0x%016" PRIx64 " scale-d %u, this thread mode "
                            "0x%x descriptors 0x%016" PRIx64 " 0x%016" PRIx64
                            " scale-d %u",
                            other.mode, other.wgmmaDescA, other.wgmmaDescB,
                            other.wgmmaScaleD, mode, descA, descB, scaleD));
      abandon();
    }
    break;
  }
  f.kind = CollectiveKind::Wgmma;
  f.mode = mode;
  f.wgmmaDescA = descA;
  f.wgmmaDescB = descB;
  f.wgmmaScaleD = scaleD;
  f.wgmmaC = c;
  f.wgmmaD = d;
  if (++wgmmaArrived[group] == warpgroupSize) {
    completeWgmma(group);
    return;
  }
  f.state = FiberState::AtCollective;
  yieldFiber();
}

void BlockRunner::wgmmaComplete(uint32_t group) {
  completeGroups(fibers[current].pendingWgmma, group,
                 [&](const Fiber::PendingWgmma &pending) {
                   WgmmaOp &op = wgmmaOps[pending.op];
                   ++op.completions;
                   if (op.completedEpoch == ~0u)
                     op.completedEpoch = epoch;
                   if (op.completer == noThread) {
                     op.completer = static_cast<uint16_t>(current);
                     op.completeSync = syncSeq;
                   }
                   // The thread now knows the instruction's reads done
                   // (they were checked as its last thread's).
                   if (!knowledge.empty()) {
                     uint32_t &known = knowledgeOf(current)[op.reader];
                     known = std::max(known, op.readSync + 1);
                   }
                 });
}

void BlockRunner::checkWgmmaStore(uint64_t offset, uint32_t bytes,
                                  const char *what) {
  const Fiber &f = fibers[current];
  for (size_t i = 0; i < liveWgmma.size();) {
    uint32_t index = liveWgmma[i];
    const WgmmaOp &op = wgmmaOps[index];
    // Done reading for every thread: all of them waited for it, or a barrier
    // came after one did.
    if (op.completions == warpgroupSize ||
        (op.completedEpoch != ~0u && epoch > op.completedEpoch)) {
      liveWgmma[i] = liveWgmma.back();
      liveWgmma.pop_back();
      guardedStores = !liveWgmma.empty() || !mbarriers.empty();
      continue;
    }
    ++i;
    // A thread of the warpgroup that waited for it knows it done, and so
    // does one that a wait or __syncwarp orders after such a wait.
    if (current / warpgroupSize == op.warpgroup &&
        std::none_of(f.pendingWgmma.begin(), f.pendingWgmma.end(),
                     [&](const Fiber::PendingWgmma &pending) {
                       return pending.op == index;
                     }))
      continue;
    if (op.completer != noThread && op.completer != current &&
        ordered(op.completer, op.completeSync))
      continue;
    auto it = std::upper_bound(op.offsets.begin(), op.offsets.end(), offset);
    bool overlaps = (it != op.offsets.begin() && *(it - 1) + 16 > offset) ||
                    (it != op.offsets.end() && *it < offset + bytes);
    if (!overlaps)
      continue;
    setFailure(current,
               format("%s to shared memory at offset %" PRIu64 " that a ", what,
                      offset) +
                   op.name +
                   " may still read: neither a wgmma.wait_group of this "
                   "thread nor a barrier after one has completed it");
    abandon();
  }
}

/// The tf32 value of a register: its top 19 bits (sign, exponent and 10 bits
/// of mantissa).
static float tf32(uint32_t bits) {
  bits &= 0xffffe000u;
  float value;
  memcpy(&value, &bits, sizeof(value));
  return value;
}

/// The value of a bf16: the top half of an f32.
static float bf16(uint16_t bits) {
  uint32_t wide = uint32_t(bits) << 16;
  float value;
  memcpy(&value, &wide, sizeof(value));
  return value;
}

/// The value of an IEEE binary16.
static float f16(uint16_t bits) {
  uint32_t sign = uint32_t(bits >> 15) << 31;
  uint32_t exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
  uint32_t wide;
  if (exponent == 0x1f) {
    wide = sign | 0x7f800000u | (mantissa << 13); // Inf, NaN.
  } else if (exponent != 0) {
    wide = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    float value = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -value : value;
  }
  float value;
  memcpy(&value, &wide, sizeof(value));
  return value;
}

void BlockRunner::completeGroup(uint32_t w, size_t groupIndex) {
  Group g = warps[w].groups[groupIndex];
  warps[w].groups.erase(warps[w].groups.begin() + groupIndex);
  uint32_t warpBase = w * warpSize;

  if (g.kind == CollectiveKind::Mma) {
    // PTX ISA, "Matrix Fragments for mma.m16n8k8" (.tf32) and
    // "mma.m16n8k16" (.f16, .bf16): with groupID = lane >> 2 and
    // threadID_in_group = lane % 4, and w elements to a register (tf32: 1;
    // f16, bf16: 2, the first in the low half), element e of A's register r
    // is at row groupID + 8 (r % 2), column w threadID_in_group + e + 4 w
    // (r / 2); of B's register r at row w threadID_in_group + e + 4 w r,
    // column groupID; C's and D's c0..c3 at rows groupID (+ 8 for c2, c3),
    // columns threadID_in_group * 2 + (i & 1).
    uint32_t w = g.mode == MELD_EMU_MMA_M16N8K8_TF32 ? 1 : 2;
    uint32_t depth = 8 * w;
    auto element = [&](uint32_t reg, uint32_t e) {
      if (w == 1)
        return tf32(reg);
      uint16_t half = static_cast<uint16_t>(reg >> (16 * e));
      return g.mode == MELD_EMU_MMA_M16N8K16_F16 ? f16(half) : bf16(half);
    };
    float a[16][16], b[16][8], acc[16][8];
    for (uint32_t lane = 0; lane < warpSize; ++lane) {
      const Fiber &f = fibers[warpBase + lane];
      uint32_t group = lane >> 2, inGroup = lane % 4;
      for (uint32_t r = 0; r < 4; ++r)
        for (uint32_t e = 0; e < w; ++e)
          a[group + 8 * (r % 2)][w * inGroup + e + 4 * w * (r / 2)] =
              element(f.mmaA[r], e);
      for (uint32_t r = 0; r < 2; ++r)
        for (uint32_t e = 0; e < w; ++e)
          b[w * inGroup + e + 4 * w * r][group] = element(f.mmaB[r], e);
      for (uint32_t i = 0; i < 4; ++i)
        acc[group + 8 * (i / 2)][inGroup * 2 + (i & 1)] = f.mmaC[i];
    }
    // Each element sums its products in order of k; a row's columns go
    // together (the compiler's vectors).
    for (uint32_t row = 0; row < 16; ++row)
      for (uint32_t k = 0; k < depth; ++k)
        for (uint32_t col = 0; col < 8; ++col)
          acc[row][col] += a[row][k] * b[k][col];
    for (uint32_t lane = 0; lane < warpSize; ++lane) {
      Fiber &f = fibers[warpBase + lane];
      uint32_t group = lane >> 2, inGroup = lane % 4;
      for (uint32_t i = 0; i < 4; ++i)
        f.mmaD[i] = acc[group + 8 * (i / 2)][inGroup * 2 + (i & 1)];
      f.result = 0;
      f.resultValid = 1;
    }
  } else if (g.kind == CollectiveKind::Ldmatrix) {
    // PTX ISA, ldmatrix: lanes 8 j .. 8 j + 7 gave the rows of matrix j;
    // lane l gets elements (l / 4, 2 (l % 4) + e) of each, or with .trans
    // (2 (l % 4) + e, l / 4). Every lane's rows were checked and it has
    // waited here since, so the rows hold what they held then (a store by
    // another warp in between is a race, reported at that store).
    uint32_t num = g.mode / 2;
    bool trans = g.mode % 2;
    uint16_t rows[4][8][8];
    for (uint32_t j = 0; j < num; ++j)
      for (uint32_t r = 0; r < 8; ++r)
        memcpy(rows[j][r], fibers[warpBase + 8 * j + r].ldRow, 16);
    for (uint32_t lane = 0; lane < warpSize; ++lane) {
      Fiber &f = fibers[warpBase + lane];
      uint32_t q = lane / 4, p = 2 * (lane % 4);
      for (uint32_t j = 0; j < num; ++j) {
        uint16_t low = trans ? rows[j][p][q] : rows[j][q][p];
        uint16_t high = trans ? rows[j][p + 1][q] : rows[j][q][p + 1];
        f.ldOut[j] = uint32_t(low) | uint32_t(high) << 16;
      }
      f.result = 0;
      f.resultValid = 1;
    }
  } else if (g.kind == CollectiveKind::Shfl) {
    // PTX ISA, shfl.sync: each lane computes its source lane j from its own
    // b (laneOrOffset) and c operands.
    uint32_t results[warpSize], valids[warpSize];
    for (uint32_t lane = 0; lane < warpSize; ++lane) {
      if (!(g.mask >> lane & 1))
        continue;
      const Fiber &f = fibers[warpBase + lane];
      int32_t bval = f.laneOrOffset & 31;
      int32_t cval = f.c & 31;
      int32_t segMask = (f.c >> 8) & 31;
      int32_t l = static_cast<int32_t>(lane);
      int32_t maxLane = (l & segMask) | (cval & ~segMask);
      int32_t minLane = l & segMask;
      int32_t j = 0;
      bool pval = false;
      switch (g.mode) {
      case MELD_EMU_SHFL_UP:
        j = l - bval;
        pval = j >= maxLane;
        break;
      case MELD_EMU_SHFL_DOWN:
        j = l + bval;
        pval = j <= maxLane;
        break;
      case MELD_EMU_SHFL_BFLY:
        j = l ^ bval;
        pval = j <= maxLane;
        break;
      default: // MELD_EMU_SHFL_IDX
        j = minLane | (bval & ~segMask);
        pval = j <= maxLane;
        break;
      }
      if (!pval)
        j = l;
      if (!(g.mask >> j & 1)) {
        bool exists = warpBase + j < numThreads;
        setFailure(warpBase + lane,
                   describeCollective(g.kind, g.mode, g.rawMask) + ": lane " +
                       std::to_string(lane) + " reads lane " +
                       std::to_string(j) +
                       (exists ? ", which is not in memberMask"
                               : format(", which does not exist (the block "
                                        "has %u threads)",
                                        numThreads)));
        abandon();
      }
      results[lane] = fibers[warpBase + j].value;
      valids[lane] = pval ? 1 : 0;
    }
    for (uint32_t lane = 0; lane < warpSize; ++lane) {
      if (!(g.mask >> lane & 1))
        continue;
      Fiber &f = fibers[warpBase + lane];
      f.result = results[lane];
      f.resultValid = valids[lane];
    }
  } else if (g.kind == CollectiveKind::Vote) {
    uint32_t ballot = 0;
    for (uint32_t lane = 0; lane < warpSize; ++lane)
      if ((g.mask >> lane & 1) && fibers[warpBase + lane].pred)
        ballot |= 1u << lane;
    uint32_t result = 0;
    switch (g.mode) {
    case MELD_EMU_VOTE_ALL:
      result = ballot == g.mask;
      break;
    case MELD_EMU_VOTE_ANY:
      result = ballot != 0;
      break;
    case MELD_EMU_VOTE_UNI:
      result = ballot == 0 || ballot == g.mask;
      break;
    default: // MELD_EMU_VOTE_BALLOT
      result = ballot;
      break;
    }
    for (uint32_t lane = 0; lane < warpSize; ++lane)
      if (g.mask >> lane & 1) {
        fibers[warpBase + lane].result = result;
        fibers[warpBase + lane].resultValid = 1;
      }
  } else {
    uint32_t seq = ++syncSeq;
    WarpState &warp = warps[w];
    for (uint32_t lane = 0; lane < warpSize; ++lane)
      if (g.mask >> lane & 1) {
        fibers[warpBase + lane].result = 0;
        fibers[warpBase + lane].resultValid = 1;
        for (uint32_t other = 0; other < warpSize; ++other)
          if (g.mask >> other & 1)
            warp.pairSync[lane][other] = seq;
      }
  }
  for (uint32_t lane = 0; lane < warpSize; ++lane)
    if ((g.mask >> lane & 1) &&
        fibers[warpBase + lane].state == FiberState::AtCollective)
      fibers[warpBase + lane].state = FiberState::Ready;
}

/// The byte offset in shared memory of the 16-byte row holding element
/// (mn, k) of a wgmma operand (A: mn a row of M; B: a column of N) with
/// matrix descriptor `desc`, and the element's place in that row, for
/// elements of `bytes` bytes; false if the descriptor is not one the
/// emulator runs (a non-zero base offset), with `why` set.
///
/// PTX ISA, "Shared Memory Matrix Layout" and "Matrix Descriptor Format".
/// With T = 16 / bytes elements to a 16-byte row and W the swizzle's width
/// (32, 64 or 128 bytes; 0 for none), the canonical layouts place
///   K-major:  8-row groups of mn at the stride byte offset SBO, the 8 rows
///             of a group 16 bytes apart (none) or W apart (swizzled); along
///             k, 16-byte chunks at the leading byte offset LBO (none) or
///             16 bytes apart (swizzled, within a row of W bytes);
///   MN-major: T elements of mn to a 16-byte row; those rows at SBO (none),
///             or W / 16 of them side by side and such groups at LBO
///             (swizzled); along k, 8 rows 16 bytes apart (none) or W apart
///             (swizzled), and groups of 8 k at LBO (none) or SBO
///             (swizzled).
/// The swizzle then XORs bits 4.. of the offset (the 16-byte chunk within
/// a W-byte row) with bits 7.. (log2(W / 16) of them), as on the GPU, where
/// it acts on the shared-memory address.
static bool wgmmaOperandRow(uint64_t desc, bool mnMajor, uint32_t bytes,
                            uint32_t mn, uint32_t k, uint64_t sharedLow,
                            uint64_t &offset, std::string &why) {
  uint64_t start = (desc & 0x3fff) << 4;
  uint64_t lbo = (desc >> 16 & 0x3fff) << 4;
  uint64_t sbo = (desc >> 32 & 0x3fff) << 4;
  uint32_t baseOffset = desc >> 49 & 7, swizzle = desc >> 62;
  if (baseOffset) {
    why = format("matrix base offset %u (the emulator runs base offset 0)",
                 baseOffset);
    return false;
  }
  uint32_t width = swizzle == 1   ? 128
                   : swizzle == 2 ? 64
                   : swizzle == 3 ? 32
                                  : 0;
  uint32_t t = 16 / bytes;
  uint64_t at;
  if (!mnMajor) {
    uint32_t chunk = k / t;
    at = width ? mn / 8 * sbo + mn % 8 * width + chunk * 16
               : mn / 8 * sbo + mn % 8 * 16 + chunk * lbo;
  } else {
    uint32_t row = mn / t;
    if (width) {
      uint32_t across = width / 16;
      at = row / across * lbo + row % across * 16 + k % 8 * width + k / 8 * sbo;
    } else {
      at = row * sbo + k % 8 * 16 + k / 8 * lbo;
    }
  }
  // The start address is the low 18 bits of a shared-memory address: the
  // offset from the block's shared memory is what lies between (shared
  // memory is smaller than 256 KiB).
  uint64_t address = (start - (sharedLow & 0x3ffff) + at) & 0x3ffff;
  if (width) {
    uint32_t bits = swizzle == 1 ? 3 : swizzle == 2 ? 2 : 1;
    address ^= (address >> 7 & ((1u << bits) - 1)) << 4;
  }
  offset = address;
  return true;
}

void BlockRunner::completeWgmma(uint32_t group) {
  uint32_t base = group * warpgroupSize;
  wgmmaArrived[group] = 0;
  const Fiber &first = fibers[base];
  uint32_t mode = first.mode, type = mode & 0xf, n = mode >> 16;
  uint32_t bytes = type == MELD_EMU_WGMMA_TF32 ? 4 : 2;
  uint32_t depth = 32 / bytes;
  uint32_t t = 16 / bytes;
  WgmmaOp op;
  op.name = wgmmaName(mode);
  std::vector<float> a(64 * depth), b(size_t(depth) * n);
  auto element = [&](const uint8_t *p) {
    if (bytes == 4) {
      uint32_t bits;
      memcpy(&bits, p, 4);
      return tf32(bits);
    }
    uint16_t half;
    memcpy(&half, p, 2);
    return type == MELD_EMU_WGMMA_F16 ? f16(half) : bf16(half);
  };
  // Reads operand `which` (rows of mn x depth) a 16-byte row at a time:
  // checked as the loads of this (the last) thread, and kept.
  auto readOperand = [&](uint64_t desc, bool mnMajor, uint32_t rows,
                         float negate, auto store) {
    uint64_t sharedLow = reinterpret_cast<uintptr_t>(sharedMemory);
    // A 16-byte row holds T elements along k (K-major) or along mn.
    uint32_t stepMn = mnMajor ? t : 1, stepK = mnMajor ? 1 : t;
    for (uint32_t mn = 0; mn < rows; mn += stepMn)
      for (uint32_t k = 0; k < depth; k += stepK) {
        uint64_t offset;
        std::string why;
        if (!wgmmaOperandRow(desc, mnMajor, bytes, mn, k, sharedLow, offset,
                             why)) {
          setFailure(current,
                     op.name +
                         format(": descriptor 0x%016" PRIx64 " has ", desc) +
                         why);
          abandon();
        }
        if (offset + 16 > sharedBytes) {
          setFailure(current,
                     op.name + format(": descriptor 0x%016" PRIx64
                                      " reads 16 bytes at offset %" PRIu64
                                      ", outside the %u bytes of shared memory",
                                      desc, offset, sharedBytes));
          abandon();
        }
        checkShared(offset, 16, false);
        checkProxyFenced(offset, 16, op.name);
        const uint8_t *row =
            reinterpret_cast<const uint8_t *>(sharedMemory) + offset;
        op.offsets.push_back(static_cast<uint32_t>(offset));
        for (uint32_t e = 0; e < t; ++e)
          store(mnMajor ? mn + e : mn, mnMajor ? k : k + e,
                negate * element(row + e * bytes));
      }
  };
  readOperand(first.wgmmaDescA, mode & MELD_EMU_WGMMA_TRANS_A, 64,
              mode & MELD_EMU_WGMMA_NEG_A ? -1.0f : 1.0f,
              [&](uint32_t m, uint32_t k, float v) { a[m * depth + k] = v; });
  readOperand(first.wgmmaDescB, mode & MELD_EMU_WGMMA_TRANS_B, n,
              mode & MELD_EMU_WGMMA_NEG_B ? -1.0f : 1.0f,
              [&](uint32_t col, uint32_t k, float v) { b[k * n + col] = v; });

  // The accumulator: register 4 j + r of lane l in warp w is row 16 w +
  // l / 4 + 8 (r / 2), column 8 j + 2 (l % 4) + r % 2.
  std::vector<float> acc(64 * size_t(n), 0.0f);
  auto place = [&](uint32_t thread, uint32_t reg) {
    uint32_t w = thread / warpSize, lane = thread % warpSize, r = reg % 4;
    uint32_t row = 16 * w + lane / 4 + 8 * (r / 2);
    uint32_t col = 8 * (reg / 4) + 2 * (lane % 4) + r % 2;
    return size_t(row) * n + col;
  };
  if (first.wgmmaScaleD)
    for (uint32_t i = 0; i < warpgroupSize; ++i)
      for (uint32_t reg = 0; reg < n / 2; ++reg)
        acc[place(i, reg)] = fibers[base + i].wgmmaC[reg];
  // Each element sums its products k ascending; the columns of a row go
  // together (B's rows are contiguous), which the host vectorizes.
  for (uint32_t row = 0; row < 64; ++row) {
    float *sums = acc.data() + size_t(row) * n;
    for (uint32_t k = 0; k < depth; ++k) {
      float x = a[row * depth + k];
      const float *bRow = b.data() + size_t(k) * n;
      for (uint32_t col = 0; col < n; ++col)
        sums[col] += x * bRow[col];
    }
  }
  std::sort(op.offsets.begin(), op.offsets.end());
  op.warpgroup = group;
  op.reader = static_cast<uint16_t>(current);
  op.readSync = syncSeq;
  uint32_t index = static_cast<uint32_t>(wgmmaOps.size());
  wgmmaOps.push_back(std::move(op));
  liveWgmma.push_back(index);
  guardedStores = true;
  for (uint32_t i = 0; i < warpgroupSize; ++i) {
    Fiber &f = fibers[base + i];
    for (uint32_t reg = 0; reg < n / 2; ++reg)
      f.wgmmaD[reg] = acc[place(i, reg)];
    f.pendingWgmma.push_back({index, f.wgmmaGroupsCommitted});
    if (f.state == FiberState::AtCollective)
      f.state = FiberState::Ready;
  }
}

//===----------------------------------------------------------------------===//
// Memory checks
//===----------------------------------------------------------------------===//

inline void BlockRunner::checkAccess(const void *ptr, uint32_t bytes,
                                     bool store) {
  if (!bytes)
    return;
  uintptr_t p = reinterpret_cast<uintptr_t>(ptr);
  uintptr_t end = p + bytes;
  uintptr_t sharedLow = reinterpret_cast<uintptr_t>(sharedMemory);
  bool shared = inShared(ptr, bytes);
  // A GPU faults on an access (scalar or vector, up to 16 bytes) that is not
  // aligned to its size ("misaligned address").
  if ((bytes & (bytes - 1)) == 0 && p % bytes != 0)
    reportMisaligned(p, bytes, store, shared);
  if (shared) {
    // Stores are checked against a wgmma.mma_async still reading, and
    // against pseudo-writers' bytes, only in blocks that have them.
    if (store && __builtin_expect(guardedStores, 0)) {
      if (!liveWgmma.empty())
        checkWgmmaStore(p - sharedLow, bytes);
      if (!mbarriers.empty())
        forEachCell(p - sharedLow, bytes, [&](ShadowByte &s, uint64_t o) {
          if (isPseudo(s))
            checkPseudoAccess(s, o, bytes, true);
        });
    }
    checkShared(p - sharedLow, bytes, store);
    return;
  }
  // Global: the argument hit last time first.
  if (lastArg < args.size()) {
    uintptr_t base = reinterpret_cast<uintptr_t>(args[lastArg].base);
    if (p >= base && end <= base + args[lastArg].size && end > p &&
        !(store && args[lastArg].readOnly))
      return;
  }
  checkOtherAccess(p, bytes, store);
}

void BlockRunner::checkOtherAccess(uintptr_t p, uint32_t bytes, bool store) {
  uintptr_t end = p + bytes;
  for (size_t i = 0; i < args.size(); ++i) {
    uintptr_t base = reinterpret_cast<uintptr_t>(args[i].base);
    if (p >= base && end <= base + args[i].size && end > p) {
      if (store && args[i].readOnly)
        continue; // Another argument may alias it writably; else reported.
      lastArg = i;
      return;
    }
  }
  // The calling thread's own stack (local memory).
  const Fiber &f = fibers[current];
  if (p >= reinterpret_cast<uintptr_t>(f.stackLow) &&
      end <= reinterpret_cast<uintptr_t>(f.stackHigh) && end > p)
    return;
  reportOutOfBounds(p, bytes, store);
}

void BlockRunner::recordAccess(const void *ptr, uint32_t bytes, uint32_t site) {
  if (!bytes)
    return;
  uintptr_t p = reinterpret_cast<uintptr_t>(ptr);
  bool shared = inShared(ptr, bytes);
  // The thread's own stack (local memory) is not counted.
  const Fiber &f = fibers[current];
  if (!shared && p >= reinterpret_cast<uintptr_t>(f.stackLow) &&
      p < reinterpret_cast<uintptr_t>(f.stackHigh))
    return;
  uint32_t visit = fibers[current].siteVisits[site]++;
  warps[current / warpSize].accesses[(uint64_t(site) << 32) | visit].push_back(
      {p, bytes, current % warpSize, shared});
}

void BlockRunner::countAccesses() {
  AccessStats &stats = *options.accessStats;
  for (WarpState &warp : warps) {
    for (auto &[key, lanes] : warp.accesses) {
      // A site is shared or global memory for all its lanes (else each
      // part counts on its own).
      for (bool shared : {true, false}) {
        std::vector<const SiteAccess *> part;
        uint32_t widest = 0;
        for (const SiteAccess &a : lanes)
          if (a.shared == shared) {
            part.push_back(&a);
            widest = std::max(widest, a.bytes);
          }
        if (part.empty())
          continue;
        if (shared) {
          // PTX accesses of 8 and 16 bytes are served a half and a quarter
          // of the warp at a time; in each part, a bank serves one distinct
          // 4-byte word per wavefront (equal words are broadcast).
          uint32_t lanesPerPart = widest <= 4 ? 32 : widest == 8 ? 16 : 8;
          std::map<uint32_t, std::map<uint32_t, std::set<uintptr_t>>> banks;
          for (const SiteAccess *a : part)
            for (uint32_t b = 0; b < std::max<uint32_t>(a->bytes, 1); b += 4) {
              uintptr_t word = (a->address + b) / 4;
              banks[a->lane / lanesPerPart][word % 32].insert(word);
            }
          ++stats.sharedAccesses;
          for (auto &[partIndex, byBank] : banks) {
            size_t most = 1;
            for (auto &[bank, words] : byBank)
              most = std::max(most, words.size());
            stats.sharedWavefronts += most;
            ++stats.sharedIdealWavefronts;
          }
        } else {
          // The 32-byte sectors touched, against the fewest the distinct
          // bytes need.
          std::set<uintptr_t> sectors, bytes;
          for (const SiteAccess *a : part)
            for (uint32_t b = 0; b < a->bytes; ++b) {
              bytes.insert(a->address + b);
              sectors.insert((a->address + b) / 32);
            }
          ++stats.globalAccesses;
          stats.globalSectors += sectors.size();
          stats.globalIdealSectors += (bytes.size() + 31) / 32;
        }
      }
    }
    warp.accesses.clear();
  }
}

void BlockRunner::reportMisaligned(uintptr_t p, uint32_t bytes, bool store,
                                   bool shared) {
  const char *access = store ? "store" : "load";
  std::string where;
  if (shared) {
    where = format("at shared offset %" PRIu64,
                   uint64_t(p - reinterpret_cast<uintptr_t>(sharedMemory)));
  } else {
    where = format("at 0x%" PRIxPTR, p);
    for (size_t i = 0; i < args.size(); ++i) {
      uintptr_t base = reinterpret_cast<uintptr_t>(args[i].base);
      if (p >= base && p < base + args[i].size) {
        where += format(": offset %" PRIu64 " of argument %zu",
                        uint64_t(p - base), i) +
                 (args[i].name ? std::string(" '") + args[i].name + "'"
                               : std::string());
        break;
      }
    }
  }
  setFailure(current, format("misaligned %s %s of %u bytes %s (it must be "
                             "%u-byte aligned)",
                             shared ? "shared" : "global", access, bytes,
                             where.c_str(), bytes));
  abandon();
}

void BlockRunner::reportOutOfBounds(uintptr_t p, uint32_t bytes, bool store) {
  const char *access = store ? "store" : "load";
  uintptr_t end = p + bytes;
  // A store inside a read-only argument.
  for (size_t i = 0; i < args.size(); ++i) {
    uintptr_t base = reinterpret_cast<uintptr_t>(args[i].base);
    if (store && p >= base && end <= base + args[i].size && end > p) {
      setFailure(
          current,
          format("store of %u bytes to read-only argument %zu", bytes, i) +
              (args[i].name ? std::string(" '") + args[i].name + "'"
                            : std::string()) +
              format(" (a weight) at offset %" PRIu64, uint64_t(p - base)));
      abandon();
    }
  }
  // Otherwise name the nearest region: an argument or the shared memory.
  auto distance = [&](uintptr_t base, uint64_t size) -> uint64_t {
    if (p < base)
      return base - p;
    return p >= base + size ? p - (base + size) : 0;
  };
  uintptr_t sharedLow = reinterpret_cast<uintptr_t>(sharedMemory);
  uint64_t best = distance(sharedLow, sharedBytes);
  size_t nearest = args.size(); // args.size() = the shared memory
  for (size_t i = 0; i < args.size(); ++i) {
    uint64_t d =
        distance(reinterpret_cast<uintptr_t>(args[i].base), args[i].size);
    if (d < best) {
      best = d;
      nearest = i;
    }
  }
  if (nearest == args.size()) {
    int64_t offset = static_cast<int64_t>(p - sharedLow);
    setFailure(current, format("out-of-bounds shared %s of %u bytes at "
                               "offset %" PRId64
                               " (the block has %u bytes of shared memory)",
                               access, bytes, offset, sharedBytes));
    abandon();
  }
  const LaunchArg &arg = args[nearest];
  uintptr_t base = reinterpret_cast<uintptr_t>(arg.base);
  int64_t offset = static_cast<int64_t>(p - base);
  std::string where = p < base ? format("%" PRIu64 " bytes before the start",
                                        uint64_t(base - p))
                               : format("%" PRIu64 " bytes past the end",
                                        uint64_t(end - (base + arg.size)));
  setFailure(
      current,
      format("out-of-bounds global %s of %u bytes at 0x%" PRIxPTR
             ": offset %" PRId64 ", %s of argument %zu",
             access, bytes, p, offset, where.c_str(), nearest) +
          (arg.name ? std::string(" '") + arg.name + "'" : std::string()) +
          format(" (%" PRIu64 " bytes)", arg.size));
  abandon();
}

template <typename Fn>
inline void BlockRunner::forEachCell(uint64_t offset, uint32_t bytes, Fn &&fn) {
  // Whole words that are not split take the word's state; the bytes of a
  // partly covered word are split first. A split word covered whole is
  // merged again when its bytes agree (after a store of the whole word,
  // typically).
  uint64_t end = offset + bytes;
  for (uint64_t o = offset; o < end;) {
    uint64_t w = o / 4;
    if (o % 4 == 0 && end - o >= 4) {
      if (split[w] && !mergeWord(w)) {
        for (uint64_t b = o; b < o + 4; ++b)
          fn(splitBytes[b], b);
      } else {
        fn(words[w], o);
      }
      o += 4;
      continue;
    }
    if (!split[w]) {
      for (uint64_t b = 4 * w; b < 4 * w + 4; ++b)
        splitBytes[b] = words[w];
      split[w] = 1;
    }
    fn(splitBytes[o], o);
    ++o;
  }
}

inline void BlockRunner::checkShared(uint64_t offset, uint32_t bytes,
                                     bool store) {
  // (The hot path: the lambda must be inlined too.)
  forEachCell(
      offset,
      bytes, [&](ShadowByte & s, uint64_t o) __attribute__((always_inline)) {
        checkCell(s, o, bytes, offset, store);
      });
}

void BlockRunner::checkProxyFenced(uint64_t offset, uint32_t bytes,
                                   const std::string &reader) {
  // The tensor cores read through the async proxy: a generic-proxy write
  // (a store, a cp.async) reaches them only if its thread executed a
  // fence.proxy.async after it (PTX ISA, "Proxies").
  for (uint64_t o = offset; o < offset + bytes; ++o) {
    const ShadowByte &s = split[o / 4] ? splitBytes[o] : words[o / 4];
    // A TMA copy writes through the async proxy itself.
    if (s.writer == noThread || s.writeEpoch < blockFirstEpoch ||
        fibers[s.writer].proxyFences != s.writeFences)
      continue;
    setFailure(current,
               reader +
                   format(" reads shared memory at offset %" PRIu64
                          " that thread ",
                          o) +
                   threadCoords(s.writer) +
                   " wrote with no fence.proxy.async after it (the tensor "
                   "cores may not see the write)");
    abandon();
  }
}

void BlockRunner::checkPseudoAccess(const ShadowByte &s, uint64_t o,
                                    uint32_t bytes, bool store) {
  if (s.writer == mbarrierObject) {
    setFailure(current,
               format("%u-byte %s of shared memory at offset %" PRIu64
                      ", an mbarrier object (only mbarrier instructions "
                      "may access it)",
                      bytes, store ? "store" : "load", o));
    abandon();
  }
  // A TMA copy's byte: the thread must know the copy's phase complete.
  uint32_t slot = s.writeFences, phase = s.writeSync;
  if (!options.checkSharedRaces ||
      knowledgeOf(current)[numThreads + slot] > phase)
    return;
  setFailure(current,
             format("%u-byte %s of shared memory at offset %" PRIu64
                    " that a cp.async.bulk.tensor copy writes, with no "
                    "wait since for phase %u of the mbarrier at offset "
                    "%" PRIu64 " it completes on (the copy may not have "
                    "landed)",
                    bytes, store ? "store" : "load", o, phase,
                    mbarriers[slot].offset));
  abandon();
}

void BlockRunner::landTmaCell(ShadowByte &s, uint64_t o, uint32_t slot,
                              uint32_t phase) {
  const char *what = nullptr, *order = "read";
  uint16_t other = noThread;
  if (isPseudo(s) && s.writer == mbarrierObject) {
    what = "an mbarrier object";
  } else if (isPseudo(s) && s.writer == tmaWriter &&
             knowledgeOf(current)[numThreads + s.writeFences] <= s.writeSync) {
    what = "what an earlier copy writes, whose phase this thread has not "
           "waited for";
  } else if (s.writeEpoch == epoch && s.writer != current &&
             !ordered(s.writer, s.writeSync)) {
    other = s.writer;
    order = "write";
  } else if (s.readEpoch == epoch && s.reader1 != current &&
             !ordered(s.reader1, s.read1Sync)) {
    other = s.reader1;
  } else if (s.readEpoch == epoch && s.reader2 != noThread &&
             s.reader2 != current && !ordered(s.reader2, s.read2Sync)) {
    other = s.reader2;
  }
  if (what || (options.checkSharedRaces && other != noThread)) {
    std::string message =
        format("cp.async.bulk.tensor copy into shared memory at offset "
               "%" PRIu64 " ",
               o);
    if (what)
      message += std::string("overwrites ") + what;
    else
      message += std::string("races with a ") + order + " by thread " +
                 threadCoords(other) +
                 " (no barrier or mbarrier wait orders it before the copy)";
    setFailure(current, message);
    abandon();
  }
  s.writeEpoch = pseudoEpoch;
  s.writer = tmaWriter;
  s.writeSync = phase;
  s.writeFences = slot;
  s.readEpoch = 0;
  s.reader1 = s.reader2 = noThread;
}

void BlockRunner::reportRace(uint16_t other, const char *first, uint64_t o,
                             uint32_t bytes, bool store) {
  setFailure(current,
             format("data race on shared memory at offset %" PRIu64
                    " between threads ",
                    o) +
                 threadCoords(other) + " and " + threadCoords(current) +
                 " (no barrier between): " + first + " by " +
                 threadCoords(other) + ", then " + format("%u", bytes) +
                 "-byte " + (store ? "write" : "read") + " by " +
                 threadCoords(current));
  abandon();
}

void BlockRunner::reportUninitialized(uint64_t o, uint32_t bytes,
                                      uint64_t offset) {
  setFailure(current,
             format("read of uninitialized shared memory at offset %" PRIu64
                    " (%u-byte load at offset %" PRIu64
                    "; no thread of this block wrote byte %" PRIu64 ")",
                    o, bytes, offset, o));
  abandon();
}

bool BlockRunner::mergeWord(uint64_t w) {
  const ShadowByte *b = &splitBytes[4 * w];
  for (int i = 1; i < 4; ++i)
    if (!(b[i] == b[0]))
      return false;
  words[w] = b[0];
  split[w] = 0;
  return true;
}

inline void BlockRunner::checkCell(ShadowByte &s, uint64_t o, uint32_t bytes,
                                   uint64_t offset, bool store) {
  uint16_t self = static_cast<uint16_t>(current);
  if (store) {
    uint16_t other = noThread;
    const char *order = nullptr;
    if (s.writeEpoch == epoch && s.writer != self &&
        !ordered(s.writer, s.writeSync)) {
      other = s.writer;
      order = "write";
    } else if (s.readEpoch == epoch && s.reader1 != self &&
               !ordered(s.reader1, s.read1Sync)) {
      other = s.reader1;
      order = "read";
    } else if (s.readEpoch == epoch && s.reader2 != noThread &&
               s.reader2 != self && !ordered(s.reader2, s.read2Sync)) {
      other = s.reader2;
      order = "read";
    }
    if (options.checkSharedRaces && other != noThread)
      reportRace(other, order, o, bytes, true);
    s.writeEpoch = epoch;
    s.writer = self;
    s.writeSync = syncSeq;
    s.writeFences = fibers[self].proxyFences;
    return;
  }
  // A byte unwritten in this block, or a pseudo-writer's.
  if (__builtin_expect(s.writeEpoch < blockFirstEpoch, 0)) {
    if (isPseudo(s))
      checkPseudoAccess(s, o, bytes, store);
    else if (options.checkSharedUninitialized)
      reportUninitialized(o, bytes, offset);
  }
  if (options.checkSharedRaces && s.writeEpoch == epoch && s.writer != self &&
      !ordered(s.writer, s.writeSync))
    reportRace(s.writer, "write", o, bytes, false);
  // Record the read: the first two distinct readers of the epoch, each
  // with its latest read (a third reader is not tracked).
  if (s.readEpoch != epoch) {
    s.readEpoch = epoch;
    s.reader1 = self;
    s.read1Sync = syncSeq;
    s.reader2 = noThread;
  } else if (s.reader1 == self) {
    s.read1Sync = syncSeq;
  } else if (s.reader2 == noThread || s.reader2 == self) {
    s.reader2 = self;
    s.read2Sync = syncSeq;
  }
}

//===----------------------------------------------------------------------===//
// The ABI table
//===----------------------------------------------------------------------===//

BlockRunner &launchOrDie() {
  BlockRunner *l = currentRunner;
  if (!l) {
    fputs("meld emulator: an emulated kernel called the ABI outside a "
          "launch\n",
          stderr);
    abort();
  }
  return *l;
}

uint32_t opTid(uint32_t dim) { return launchOrDie().tid(dim); }
uint32_t opNtid(uint32_t dim) { return launchOrDie().ntid(dim); }
uint32_t opCtaid(uint32_t dim) { return launchOrDie().ctaid(dim); }
uint32_t opNctaid(uint32_t dim) { return launchOrDie().nctaid(dim); }
uint32_t opLaneid() { return launchOrDie().laneid(); }
void opBarrier() { launchOrDie().barrier(); }
void opBarrierNamed(uint32_t id, uint32_t count) {
  launchOrDie().barrierNamed(id, count);
}
uint32_t opShfl(uint32_t mode, uint32_t memberMask, uint32_t value,
                uint32_t laneOrOffset, uint32_t c, uint32_t *valid) {
  return launchOrDie().collective(CollectiveKind::Shfl, mode, memberMask, value,
                                  laneOrOffset, c, 0, valid);
}
uint32_t opVote(uint32_t mode, uint32_t memberMask, uint32_t pred) {
  return launchOrDie().collective(CollectiveKind::Vote, mode, memberMask, 0, 0,
                                  0, pred != 0, nullptr);
}
void opSyncwarp(uint32_t memberMask) {
  launchOrDie().collective(CollectiveKind::SyncWarp, 0, memberMask, 0, 0, 0, 0,
                           nullptr);
}
void opMma(uint32_t shape, const uint32_t *a, const uint32_t *b, const float *c,
           float *d) {
  launchOrDie().mma(shape, a, b, c, d);
}
void opLdmatrix(uint32_t num, uint32_t trans, const void *row, uint32_t *d,
                uint32_t site) {
  launchOrDie().ldmatrix(num, trans, row, d, site);
}
void opCpAsync(void *dst, const void *src, uint32_t bytes, uint32_t srcBytes,
               uint32_t site) {
  launchOrDie().cpAsync(dst, src, bytes, srcBytes, site);
}
void opCpAsyncCommit() { launchOrDie().cpAsyncCommit(); }
void opCpAsyncWait(uint32_t n) { launchOrDie().cpAsyncWait(n); }
void opWgmmaFence() { launchOrDie().wgmmaFence(); }
void opFenceProxyAsync() { launchOrDie().fenceProxyAsync(); }
void opWgmma(uint32_t mode, uint64_t descA, uint64_t descB, uint32_t scaleD,
             const float *c, float *d) {
  launchOrDie().wgmma(mode, descA, descB, scaleD, c, d);
}
void opWgmmaCommit() { launchOrDie().wgmmaCommit(); }
void opWgmmaWait(uint32_t n) { launchOrDie().wgmmaWait(n); }
void opMbarrierInit(void *bar, uint32_t count) {
  launchOrDie().mbarrierInit(bar, count);
}
uint64_t opMbarrierArrive(void *bar, uint32_t count, uint32_t txBytes) {
  return launchOrDie().mbarrierArrive(bar, count, txBytes);
}
void opMbarrierWaitParity(void *bar, uint32_t parity) {
  launchOrDie().mbarrierWaitParity(bar, parity);
}
void opMbarrierInval(void *bar) { launchOrDie().mbarrierInval(bar); }
void opTmaLoad(void *dst, const void *map, const int32_t *coords, uint32_t rank,
               void *bar) {
  launchOrDie().tmaLoad(dst, map, coords, rank, bar);
}
void *opSharedBase() { return launchOrDie().sharedBase(); }
void opCheckLoad(const void *ptr, uint32_t bytes) {
  launchOrDie().checkAccess(ptr, bytes, false);
}
void opCheckStore(const void *ptr, uint32_t bytes) {
  launchOrDie().checkAccess(ptr, bytes, true);
}
void opCheckLoadAt(const void *ptr, uint32_t bytes, uint32_t site) {
  launchOrDie().checkAccessAt(ptr, bytes, false, site);
}
void opCheckStoreAt(const void *ptr, uint32_t bytes, uint32_t site) {
  launchOrDie().checkAccessAt(ptr, bytes, true, site);
}

const meld_emu_ops opsTable = {
    MELD_EMU_ABI_VERSION,
    opTid,
    opNtid,
    opCtaid,
    opNctaid,
    opLaneid,
    opBarrier,
    opShfl,
    opVote,
    opSyncwarp,
    opSharedBase,
    opCheckLoad,
    opCheckStore,
    opMma,
    opCheckLoadAt,
    opCheckStoreAt,
    opLdmatrix,
    opCpAsync,
    opCpAsyncCommit,
    opCpAsyncWait,
    opWgmmaFence,
    opWgmma,
    opWgmmaCommit,
    opWgmmaWait,
    opFenceProxyAsync,
    opMbarrierInit,
    opMbarrierArrive,
    opMbarrierWaitParity,
    opMbarrierInval,
    opTmaLoad,
    opBarrierNamed,
};

} // namespace

GuardedBuffer &GuardedBuffer::operator=(GuardedBuffer &&other) noexcept {
  if (this != &other) {
    release();
    mapping = other.mapping;
    mappingBytes = other.mappingBytes;
    base = other.base;
    bytes = other.bytes;
    other.mapping = other.base = nullptr;
    other.mappingBytes = 0;
    other.bytes = 0;
  }
  return *this;
}

bool GuardedBuffer::allocate(uint64_t size, uint8_t fill) {
  release();
  size_t page = pageSize();
  // A size from a damaged artifact must not wrap around in the rounding.
  if (size > SIZE_MAX - 4 * page) {
    errno = ENOMEM;
    return false;
  }
  size_t body = roundUp(std::max<uint64_t>(size, 1), page);
  size_t total = body + 2 * page;
  void *m = mmap(nullptr, total, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return false;
  mprotect(m, page, PROT_NONE);
  mprotect(static_cast<char *>(m) + page + body, page, PROT_NONE);
  mapping = m;
  mappingBytes = total;
  base = static_cast<char *>(m) + page;
  bytes = size;
  if (fill)
    memset(base, fill, body);
  return true;
}

bool GuardedBuffer::protectReadOnly() {
  size_t body = roundUp(std::max<uint64_t>(bytes, 1), pageSize());
  return base && mprotect(base, body, PROT_READ) == 0;
}

void GuardedBuffer::release() {
  if (mapping)
    munmap(mapping, mappingBytes);
  mapping = base = nullptr;
  mappingBytes = 0;
  bytes = 0;
}

const meld_emu_ops *getOps() { return &opsTable; }

static_assert(sizeof(meld_emu_tensor_map) == 128,
              "a tensor map takes 128 bytes, as CUtensorMap does");

bool encodeTensorMap(meld_emu_tensor_map &map, const TensorMapLayout &layout,
                     uint32_t elementBytes, const void *global,
                     std::string &error) {
  error = checkTensorMapLayout(layout, elementBytes);
  if (reinterpret_cast<uintptr_t>(global) % 16 != 0)
    error = "a tensor map of a tensor that is not 16-byte aligned";
  if (!error.empty())
    return false;
  map = meld_emu_tensor_map();
  map.magic = MELD_EMU_TENSOR_MAP_MAGIC;
  map.rank = layout.rank;
  map.element_bytes = elementBytes;
  map.swizzle = layout.swizzle;
  map.global_address = reinterpret_cast<uintptr_t>(global);
  for (uint32_t d = 0; d < layout.rank; ++d) {
    map.global_dims[d] = static_cast<uint32_t>(layout.dims[d]);
    map.box_dims[d] = layout.box[d];
    if (d > 0)
      map.global_strides[d - 1] = layout.strides[d - 1];
  }
  map.oob_nan = layout.oobNan;
  return true;
}

bool launch(meld_emu_kernel_fn kernel, const LaunchArg *args, size_t numArgs,
            const uint32_t grid[3], const uint32_t block[3],
            uint32_t sharedBytes, const char *kernelName,
            const LaunchOptions &options, std::string &error) {
  if (currentRunner) {
    error = std::string("kernel '") + (kernelName ? kernelName : "?") +
            "': emu::launch called from inside an emulated kernel";
    return false;
  }
  LaunchSpec spec;
  spec.kernel = kernel;
  spec.args.assign(args, args + numArgs);
  for (const LaunchArg &arg : spec.args)
    spec.argPointers.push_back(arg.base);
  for (int d = 0; d < 3; ++d) {
    spec.grid[d] = grid[d];
    spec.block[d] = block[d];
  }
  spec.sharedBytes = sharedBytes;
  if (kernelName)
    spec.kernelName = kernelName;
  spec.options = options;
  if (!spec.validate(error))
    return false;
  return GridRun(spec).run(error);
}

} // namespace emu
} // namespace meld
