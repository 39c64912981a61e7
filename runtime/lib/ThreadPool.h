//===- ThreadPool.h - A small fork-join pool for launches -------*- C++ -*-===//

#ifndef MELD_RUNTIME_LIB_THREADPOOL_H
#define MELD_RUNTIME_LIB_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace meld {
namespace rt {

/// Splits a range of program ids over a fixed set of threads. The calling
/// thread takes part, so a pool of N threads starts N - 1 workers and a pool
/// of 1 runs everything inline. One parallelFor at a time.
///
/// A run's launches follow each other within microseconds, while waking a
/// thread blocked on a condition variable takes tens: after a job, workers
/// (and the caller, for the workers to finish) spin for up to kSpinTime
/// before they block.
class ThreadPool {
public:
  using RangeFn = void (*)(void *context, int64_t begin, int64_t end);

  /// Starts `numThreads - 1` workers (fewer if the system refuses threads);
  /// 0 means one thread per core.
  explicit ThreadPool(unsigned numThreads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  /// Number of threads taking part in parallelFor, the caller included.
  unsigned size() const { return workers.size() + 1; }

  /// Calls fn(context, b, e) over disjoint chunks covering [0, n) and returns
  /// once all have returned.
  void parallelFor(int64_t n, RangeFn fn, void *context);

private:
  void workerLoop();
  /// Takes chunks of the current job until none are left.
  void drain();

  std::vector<std::thread> workers;
  /// Guards blocking on `wake` and `done` (the counters are atomic so that
  /// spinning threads can read them without it).
  std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable done;
  /// Incremented, under `mutex`, for each job.
  std::atomic<uint64_t> generation{0};
  /// Workers that have not finished the current job.
  std::atomic<unsigned> busy{0};
  std::atomic<bool> stopping{false};

  // The current job.
  RangeFn jobFn = nullptr;
  void *jobContext = nullptr;
  int64_t jobSize = 0;
  int64_t jobChunk = 1;
  std::atomic<int64_t> nextBegin{0};
};

} // namespace rt
} // namespace meld

#endif // MELD_RUNTIME_LIB_THREADPOOL_H
