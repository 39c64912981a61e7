//===- ThreadPool.cpp - A small fork-join pool for launches ---------------===//

#include "ThreadPool.h"

#include <algorithm>
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
    stopping = true;
  }
  wake.notify_all();
  for (std::thread &t : workers)
    t.join();
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
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return stopping || generation != seen; });
      if (stopping)
        return;
      seen = generation;
    }
    drain();
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (--busy == 0)
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
    busy = workers.size();
    ++generation;
  }
  wake.notify_all();
  drain();
  std::unique_lock<std::mutex> lock(mutex);
  done.wait(lock, [&] { return busy == 0; });
}

} // namespace rt
} // namespace meld
