//===- Backend.h - Device backends of the runtime ---------------*- C++ -*-===//
//
// A backend runs a verified Model on one device. The session (Runtime.cpp)
// owns the bound host inputs and validates every call; a backend only moves
// bytes and launches kernels.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_RUNTIME_LIB_BACKEND_H
#define MELD_RUNTIME_LIB_BACKEND_H

#include "meld/runtime.h"

#include <chrono>
#include <memory>
#include <vector>

namespace meld {
namespace rt {

class Model;

class Backend {
public:
  virtual ~Backend() = default;

  /// Copies `inputs[i]` (exactly Model::inputs[i].numBytes bytes each) into
  /// the device, runs every launch in order, and makes the outputs readable
  /// through outputData.
  virtual meld_status run(const std::vector<const void *> &inputs) = 0;

  /// Like run, and sets `milliseconds` to the time the run took. The default
  /// measures the whole run with the host's steady clock (the CPU backend and
  /// the emulator run synchronously); the CUDA backend overrides it to time
  /// only its kernel launches, with events on its stream.
  virtual meld_status runTimed(const std::vector<const void *> &inputs,
                               double &milliseconds) {
    auto start = std::chrono::steady_clock::now();
    meld_status status = run(inputs);
    milliseconds = std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - start)
                       .count();
    return status;
  }

  /// Host-readable bytes of output `index` after a successful run.
  virtual const void *outputData(size_t index) const = 0;

  /// The emulator's memory statistics of the runs so far, one line per
  /// kernel, or null when the backend counts none.
  virtual const char *accessStats() { return nullptr; }
};

/// Creates the CPU backend: loads the artifact's "host" "elf-shared-object"
/// module, resolves every kernel and allocates the arena (filled with 0xFF).
/// `numThreads` 0 means hardware concurrency.
meld_status createCpuBackend(const Model &model, unsigned numThreads,
                             std::unique_ptr<Backend> &result);

} // namespace rt
} // namespace meld

#endif // MELD_RUNTIME_LIB_BACKEND_H
