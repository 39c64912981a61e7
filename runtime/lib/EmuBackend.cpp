//===- EmuBackend.cpp - Runs GPU kernels in the emulator ------------------===//
//
// The "emu" kernel module is an ELF shared object (loaded like the host
// module, SharedObject.h) exporting meld_emu_bind and one per-thread body per
// kernel (meld/emu_abi.h). Each launch runs every block of its grid through
// emu::launch with the Launch's grid, block and shared memory size; the first
// error stops the run with one line naming the launch, the kernel, the block
// and the thread. The blocks of a launch run on the session's threads.
//
// Every buffer has its own allocation between guard pages: the arena's
// liveness-based sharing of memory is not reproduced (the CPU backend tests
// it), but an out-of-bounds access names the buffer it overflows and never
// lands silently in another one.
//
//===----------------------------------------------------------------------===//

#include "EmuBackend.h"

#include "Model.h"
#include "SharedObject.h"
#include "Support.h"
#include "ThreadPool.h"

#include "Emu.h"

#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <map>

namespace meld {
namespace rt {

namespace {

const char *emuTarget = "emu";
const char *emuFormat = "elf-shared-object";

/// One launch, resolved.
struct EmuLaunch {
  meld_emu_kernel_fn fn;
  std::vector<emu::LaunchArg> args;
  /// The block's shared memory: what the kernel declares statically plus the
  /// launch's dynamic shared memory.
  uint32_t sharedBytes = 0;
};

class EmuBackend final : public Backend {
public:
  EmuBackend(const Model &model, uint64_t seed, bool countAccesses,
             unsigned numThreads)
      : model(model), seed(seed), countAccesses(countAccesses),
        pool(numThreads) {}

  ~EmuBackend() override { buffers.clear(); }

  meld_status init();
  meld_status run(const std::vector<const void *> &inputs) override;
  const void *outputData(size_t index) const override {
    return buffers[model.plan.outputBuffers[index]].data();
  }
  const char *accessStats() override;

private:
  const Model &model;
  uint64_t seed;
  /// Memory statistics per kernel (when counted), and their text.
  bool countAccesses;
  std::map<std::string, emu::AccessStats> stats;
  std::string statsText;
  SharedObject module;
  std::vector<emu::GuardedBuffer> buffers;
  std::vector<EmuLaunch> launches;
  /// The OS threads the blocks of a launch run on.
  ThreadPool pool;
};

meld_status EmuBackend::init() {
  // Step 1: the kernel module, bound to the emulator.
  if (!model.plan.launches.empty()) {
    if (meld_status s =
            loadDeviceModule(model, "emu", emuTarget, emuFormat, module))
      return s;
    auto bind =
        findFunction<meld_emu_bind_fn>(module.get(), MELD_EMU_BIND_SYMBOL);
    if (!bind)
      return setError(MELD_ERROR_INVALID_ARTIFACT,
                      "'" + model.path +
                          "': the emu kernel module does not export " +
                          MELD_EMU_BIND_SYMBOL);
    bind(emu::getOps());
  }

  // Step 2: every buffer on its own, arena buffers poisoned, weights copied
  // and made read-only.
  buffers.resize(model.plan.buffers.size());
  for (size_t i = 0; i < model.plan.buffers.size(); ++i) {
    const BufferSlice &slice = model.plan.buffers[i];
    if (!buffers[i].allocate(slice.size, slice.isWeight ? 0 : 0xFF))
      return setError(MELD_ERROR_OUT_OF_MEMORY,
                      "cannot allocate buffer '" + slice.name + "' of " +
                          std::to_string(slice.size) +
                          " bytes: " + strerror(errno));
    if (slice.isWeight) {
      const uint8_t *bytes =
          model.weightAddress(model.plan, static_cast<uint32_t>(i));
      if (slice.size)
        memcpy(buffers[i].data(), bytes, slice.size);
      buffers[i].protectReadOnly();
    }
  }

  // The tensor maps, of their tensors' own allocations, read-only.
  for (size_t i = 0; i < model.plan.buffers.size(); ++i) {
    const BufferSlice &slice = model.plan.buffers[i];
    if (!slice.isTensorMap)
      continue;
    std::string error;
    if (!emu::encodeTensorMap(
            *static_cast<meld_emu_tensor_map *>(buffers[i].data()),
            slice.tensorMap, static_cast<uint32_t>(dtypeSize(slice.dtype)),
            buffers[slice.source].data(), error))
      return setError(MELD_ERROR_INVALID_ARTIFACT,
                      "'" + model.path + "': tensor map '" + slice.name +
                          "': " + error);
    buffers[i].protectReadOnly();
  }

  // Step 3: resolve every kernel and argument once.
  std::vector<meld_emu_kernel_fn> kernels;
  if (meld_status s =
          resolveLaunchKernels(model, model.plan, module.get(), "emu", kernels))
    return s;
  for (size_t i = 0; i < model.plan.launches.size(); ++i) {
    const LaunchPlan &plan = model.plan.launches[i];
    EmuLaunch launch;
    launch.fn = kernels[i];
    launch.sharedBytes = plan.sharedMemoryBytes;
    std::string staticName = plan.kernel + MELD_EMU_SHARED_BYTES_SUFFIX;
    if (auto *declared = static_cast<const uint32_t *>(
            findSymbol(module.get(), staticName.c_str())))
      launch.sharedBytes += *declared;
    for (uint32_t arg : plan.args) {
      emu::LaunchArg a;
      a.base = buffers[arg].data();
      a.size = model.plan.buffers[arg].size;
      a.readOnly = model.plan.buffers[arg].isWeight ||
                   model.plan.buffers[arg].isTensorMap;
      a.name = model.plan.buffers[arg].name.empty()
                   ? nullptr
                   : model.plan.buffers[arg].name.c_str();
      launch.args.push_back(a);
    }
    launches.push_back(std::move(launch));
  }
  return MELD_OK;
}

meld_status EmuBackend::run(const std::vector<const void *> &inputs) {
  for (size_t i = 0; i < model.inputs.size(); ++i) {
    const TensorSignature &sig = model.inputs[i];
    if (sig.numBytes)
      memcpy(buffers[model.plan.inputBuffers[i]].data(), inputs[i],
             sig.numBytes);
  }
  // The fault status is zeroed before the run and checked after every
  // launch, so the run stops at the first fault.
  int64_t *status = nullptr;
  if (model.plan.hasStatus()) {
    status = static_cast<int64_t *>(buffers[model.plan.statusBuffer].data());
    status[0] = status[1] = status[2] = 0;
  }
  for (size_t i = 0; i < launches.size(); ++i) {
    const LaunchPlan &plan = model.plan.launches[i];
    emu::LaunchOptions options;
    // Each launch gets its own order, all determined by the session's seed.
    options.seed = seed ^ (0x9e3779b97f4a7c15ull * (i + 1));
    if (countAccesses)
      options.accessStats = &stats[plan.kernel];
    options.workers = pool.size();
    options.executor = &pool;
    options.parallelFor = [](void *pool, int64_t n,
                             emu::LaunchOptions::RangeFn body, void *context) {
      static_cast<ThreadPool *>(pool)->parallelFor(n, body, context);
    };
    std::string error;
    if (!emu::launch(launches[i].fn, launches[i].args.data(),
                     launches[i].args.size(), plan.grid, plan.block,
                     launches[i].sharedBytes, plan.kernel.c_str(), options,
                     error))
      return setError(MELD_ERROR_DEVICE,
                      "emu: launch " + std::to_string(i) +
                          (plan.location.empty() ? std::string()
                                                 : " (" + plan.location + ")") +
                          ": " + error);
    if (status && status[0])
      return model.checkFaults(model.plan, status);
  }
  return MELD_OK;
}

const char *EmuBackend::accessStats() {
  if (!countAccesses)
    return nullptr;
  auto ratio = [](uint64_t x, uint64_t ideal) {
    char text[32];
    snprintf(text, sizeof(text), "%.2f", ideal ? double(x) / ideal : 1.0);
    return std::string(text);
  };
  statsText.clear();
  for (const auto &[kernel, s] : stats) {
    statsText += "kernel " + kernel + ": shared " +
                 std::to_string(s.sharedAccesses) + " accesses, " +
                 std::to_string(s.sharedWavefronts) + " wavefronts (ideal " +
                 std::to_string(s.sharedIdealWavefronts) + ", x" +
                 ratio(s.sharedWavefronts, s.sharedIdealWavefronts) +
                 "); global " + std::to_string(s.globalAccesses) +
                 " accesses, " + std::to_string(s.globalSectors) +
                 " sectors (ideal " + std::to_string(s.globalIdealSectors) +
                 ", x" + ratio(s.globalSectors, s.globalIdealSectors) + ")\n";
  }
  return statsText.c_str();
}

} // namespace

meld_status createEmuBackend(const Model &model, uint64_t seed,
                             bool accessStats, unsigned numThreads,
                             std::unique_ptr<Backend> &result) {
  std::unique_ptr<EmuBackend> backend(
      new EmuBackend(model, seed, accessStats, numThreads));
  if (meld_status s = backend->init())
    return s;
  result = std::move(backend);
  return MELD_OK;
}

} // namespace rt
} // namespace meld
