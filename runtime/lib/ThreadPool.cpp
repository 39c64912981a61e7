//===- ThreadPool.cpp - A small fork-join pool for launches ---------------===//

#include "ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <system_error>

namespace meld {
namespace rt {

ThreadPool::ThreadPool(unsigned numThreads) {
  if (numThreads == 0)
    numThreads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 1; i < numThreads; ++i) {
    try {
      workers.emplace_back([this] { workerLoop(); });
    } catch (const std::system_error &) {
      break; // Run with the threads we got.
    }
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping.store(true, std::memory_order_relaxed);
  }
  wake.notify_all();
  for (std::thread &t : workers)
    t.join();
}

/// Spins until `ready()` or kSpinTime has passed; whether it is ready.
template <typename Ready> static bool spinUntil(Ready ready) {
  constexpr auto kSpinTime = std::chrono::microseconds(200);
  auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready())
        return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return ready();
  }
}

void ThreadPool::drain() {
  for (;;) {
    int64_t begin = nextBegin.fetch_add(jobChunk, std::memory_order_relaxed);
    if (begin >= jobSize)
      return;
    int64_t end = jobSize - begin < jobChunk ? jobSize : begin + jobChunk;
    jobFn(jobContext, begin, end);
  }
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  auto newJob = [&] {
    return stopping.load(std::memory_order_relaxed) ||
           generation.load(std::memory_order_acquire) != seen;
  };
  for (;;) {
    if (!spinUntil(newJob)) {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, newJob);
    }
    if (stopping.load(std::memory_order_relaxed))
      return;
    // The acquire load pairs with the job's release: its fields are visible.
    seen = generation.load(std::memory_order_acquire);
    drain();
    if (busy.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mutex);
      done.notify_one();
    }
  }
}

void ThreadPool::parallelFor(int64_t n, RangeFn fn, void *context) {
  if (n <= 0)
    return;
  if (workers.empty() || n == 1) {
    fn(context, 0, n);
    return;
  }
  // Four chunks per thread balance uneven programs at little cost.
  int64_t chunks = static_cast<int64_t>(size()) * 4;
  {
    std::lock_guard<std::mutex> lock(mutex);
    jobFn = fn;
    jobContext = context;
    jobSize = n;
    jobChunk = n / chunks + (n % chunks ? 1 : 0);
    nextBegin.store(0, std::memory_order_relaxed);
    busy.store(workers.size(), std::memory_order_relaxed);
    generation.fetch_add(1, std::memory_order_release);
  }
  wake.notify_all();
  drain();
  auto finished = [&] { return busy.load(std::memory_order_acquire) == 0; };
  if (!spinUntil(finished)) {
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, finished);
  }
}

} // namespace rt
} // namespace meld
