//===- CpuBackend.cpp - Runs host kernels in-process ----------------------===//
//
// The host kernel module is an ELF shared object, loaded by
// loadSharedObject (SharedObject.h). Every kernel has the C ABI
//
//   void kernel(void **args, int64_t begin, int64_t end);
//
// where args[i] is the base of buffer Launch.args[i] and [begin, end) a range
// of linear program ids (x + gx * (y + gy * z)); the kernel delinearizes.
//
//===----------------------------------------------------------------------===//

#include "Backend.h"

#include "Model.h"
#include "SharedObject.h"
#include "Support.h"
#include "ThreadPool.h"

#include "meld/artifact_format.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>

namespace meld {
namespace rt {

namespace {

using KernelFn = void (*)(void **args, int64_t begin, int64_t end);

const char *hostFormat = "elf-shared-object";

/// Whether this CPU runs code compiled for ISA level `level`.
bool cpuSupports(const std::string &level) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (level == "x86-64-v4")
    return __builtin_cpu_supports("x86-64-v4");
  if (level == "x86-64-v3")
    return __builtin_cpu_supports("x86-64-v3");
  if (level == "x86-64-v2")
    return __builtin_cpu_supports("x86-64-v2");
  return level == "x86-64";
#else
  return false;
#endif
}

/// The host module to run: the widest level the artifact holds and this CPU
/// runs, or the one $MELD_CPU_ISA names (a level, checked the same way). As
/// oneDNN's ONEDNN_MAX_CPU_ISA does, $MELD_MAX_CPU_ISA (a level) caps the
/// levels this CPU counts as running: an AVX2 machine, seen from an AVX-512
/// one.
meld_status chooseHostTarget(const Model &model, std::string &target) {
  const char *forced = getenv("MELD_CPU_ISA");
  if (forced && !*forced)
    forced = nullptr;
  const char *cap = getenv("MELD_MAX_CPU_ISA");
  if (cap && !*cap)
    cap = nullptr;
  // Levels widest first: the cap allows its own and those after it.
  size_t capIndex = 0;
  if (cap) {
    while (capIndex < MELD_HOST_LEVEL_COUNT &&
           MELD_HOST_LEVELS[capIndex].level != std::string(cap))
      ++capIndex;
    if (capIndex == MELD_HOST_LEVEL_COUNT)
      return setError(MELD_ERROR_INVALID_ARGUMENT,
                      std::string("MELD_MAX_CPU_ISA must be ") +
                          getHostLevelNames() + ", got '" + cap + "'");
  }
  std::string capped =
      cap ? std::string(" (MELD_MAX_CPU_ISA=") + cap + ")" : std::string();
  std::string held;
  for (size_t i = 0; i < MELD_HOST_LEVEL_COUNT; ++i) {
    const meld_host_level &host = MELD_HOST_LEVELS[i];
    if (!model.findModule(host.target, hostFormat))
      continue;
    held += std::string(held.empty() ? "" : ", ") + host.level;
    if (forced && host.level != std::string(forced))
      continue;
    if (i < capIndex || !cpuSupports(host.level)) {
      if (forced)
        return setError(MELD_ERROR_UNSUPPORTED,
                        "'" + model.path + "': MELD_CPU_ISA=" + forced +
                            ", but this CPU does not support " + forced +
                            capped);
      continue;
    }
    target = host.target;
    return MELD_OK;
  }
  if (held.empty()) // Let loadDeviceModule say what the artifact has.
    return target = "host", MELD_OK;
  if (forced)
    return setError(MELD_ERROR_UNSUPPORTED,
                    "'" + model.path + "': MELD_CPU_ISA=" + forced +
                        ", but the artifact's host kernels are for " + held);
  return setError(MELD_ERROR_UNSUPPORTED,
                  "'" + model.path + "': its host kernels are for " + held +
                      ", none of which this CPU supports" + capped +
                      "; compile with meldc --host-cpu=x86-64 for any x86-64 "
                      "CPU");
}

/// Arguments of one launch, resolved to addresses.
struct ResolvedLaunch {
  KernelFn fn;
  std::vector<void *> args;
  int64_t numPrograms;
};

/// Context of ThreadPool::parallelFor for one launch.
void runRange(void *context, int64_t begin, int64_t end) {
  auto *launch = static_cast<ResolvedLaunch *>(context);
  launch->fn(launch->args.data(), begin, end);
}

class CpuBackend final : public Backend {
public:
  CpuBackend(const Model &model, unsigned numThreads)
      : model(model), plan(model.planForHost()), pool(numThreads) {}

  ~CpuBackend() override {
    if (arena)
      munmap(arena, arenaBytes);
  }

  meld_status init();
  meld_status run(const std::vector<const void *> &inputs) override;
  const void *outputData(size_t index) const override { return outputs[index]; }

private:
  void *bufferAddress(uint32_t index) const {
    const BufferSlice &slice = plan.buffers[index];
    if (slice.isWeight)
      return const_cast<uint8_t *>(model.weightAddress(plan, index));
    return static_cast<uint8_t *>(arena) + slice.offset;
  }

  const Model &model;
  /// The host's own plan, or the only one.
  const Plan &plan;
  ThreadPool pool;
  SharedObject module;
  void *arena = nullptr;
  size_t arenaBytes = 0;
  std::vector<ResolvedLaunch> launches;
  std::vector<const void *> outputs;
};

meld_status CpuBackend::init() {
  // Step 1: the kernel module, if anything is launched at all: the widest
  // ISA level this CPU runs.
  std::string target;
  if (!plan.launches.empty()) {
    if (meld_status s = chooseHostTarget(model, target))
      return s;
    if (meld_status s =
            loadDeviceModule(model, "cpu", target, hostFormat, module))
      return s;
  }
  if (meld_status s = model.prepareHostPlan())
    return s;

  // Step 2: the arena, 64-byte aligned (page aligned by mmap), poisoned.
  static_assert(sizeof(size_t) == sizeof(uint64_t), "64-bit hosts only");
  arenaBytes = plan.arenaSize ? plan.arenaSize : 64;
  void *mem = mmap(nullptr, arenaBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED)
    return setError(MELD_ERROR_OUT_OF_MEMORY,
                    "cannot allocate the arena of " +
                        std::to_string(plan.arenaSize) +
                        " bytes: " + strerror(errno));
  arena = mem;
  memset(arena, 0xFF, arenaBytes);

  // Step 3: resolve every kernel and argument once.
  std::vector<KernelFn> kernels;
  if (meld_status s =
          resolveLaunchKernels(model, plan, module.get(), target, kernels))
    return s;
  for (size_t i = 0; i < plan.launches.size(); ++i) {
    const LaunchPlan &each = plan.launches[i];
    ResolvedLaunch launch;
    launch.fn = kernels[i];
    launch.numPrograms = each.numPrograms;
    for (uint32_t arg : each.args)
      launch.args.push_back(bufferAddress(arg));
    launches.push_back(std::move(launch));
  }
  for (uint32_t buffer : plan.outputBuffers)
    outputs.push_back(bufferAddress(buffer));
  return MELD_OK;
}

meld_status CpuBackend::run(const std::vector<const void *> &inputs) {
  for (size_t i = 0; i < model.inputs.size(); ++i) {
    const TensorSignature &sig = model.inputs[i];
    if (sig.numBytes)
      memcpy(bufferAddress(plan.inputBuffers[i]), inputs[i], sig.numBytes);
  }
  // The fault status is zeroed before the run and checked after every
  // launch (host memory: no cost), so the run stops at the first fault.
  int64_t *status = nullptr;
  if (plan.hasStatus()) {
    status = static_cast<int64_t *>(
        bufferAddress(static_cast<uint32_t>(plan.statusBuffer)));
    status[0] = status[1] = status[2] = 0;
  }
  for (ResolvedLaunch &launch : launches) {
    pool.parallelFor(launch.numPrograms, runRange, &launch);
    if (status && __atomic_load_n(&status[0], __ATOMIC_ACQUIRE))
      return model.checkFaults(plan, status);
  }
  return MELD_OK;
}

} // namespace

meld_status createCpuBackend(const Model &model, unsigned numThreads,
                             std::unique_ptr<Backend> &result) {
  std::unique_ptr<CpuBackend> backend(new CpuBackend(model, numThreads));
  if (meld_status s = backend->init())
    return s;
  result = std::move(backend);
  return MELD_OK;
}

} // namespace rt
} // namespace meld
