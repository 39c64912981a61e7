//===- CpuBackend.cpp - Runs host kernels in-process ----------------------===//
//
// The host kernel module is an ELF shared object. It is loaded without
// touching disk where possible (memfd_create + dlopen of /proc/self/fd/N),
// else from an unlinked temporary file. Every kernel has the C ABI
//
//   void kernel(void **args, int64_t begin, int64_t end);
//
// where args[i] is the base of buffer Launch.args[i] and [begin, end) a range
// of linear program ids (x + gx * (y + gy * z)); the kernel delinearizes.
//
//===----------------------------------------------------------------------===//

#include "Backend.h"

#include "Model.h"
#include "Support.h"
#include "ThreadPool.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <map>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>

namespace meld {
namespace rt {

namespace {

using KernelFn = void (*)(void **args, int64_t begin, int64_t end);

#if defined(__x86_64__)
constexpr uint16_t hostMachine = EM_X86_64;
constexpr const char *hostMachineName = "x86-64";
#elif defined(__aarch64__)
constexpr uint16_t hostMachine = EM_AARCH64;
constexpr const char *hostMachineName = "aarch64";
#else
#error "unsupported host architecture"
#endif

const char *hostTarget = "host";
const char *hostFormat = "elf-shared-object";

/// Writes all of `data` to `fd`; returns false with errno set on failure.
bool writeAll(int fd, const uint8_t *data, size_t size) {
  while (size) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

/// Checks the ELF header so a module for another machine gets a clear message
/// instead of a cryptic one from the dynamic loader.
meld_status checkElf(const Model &model, const KernelModuleRef &module) {
  auto bad = [&](const std::string &why) {
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + model.path +
                        "': the host kernel module is not a loadable shared "
                        "object: " +
                        why);
  };
  if (module.size < sizeof(Elf64_Ehdr) ||
      memcmp(module.data, ELFMAG, SELFMAG) != 0)
    return bad("no ELF header");
  Elf64_Ehdr ehdr;
  memcpy(&ehdr, module.data, sizeof(ehdr));
  if (ehdr.e_ident[EI_CLASS] != ELFCLASS64 ||
      ehdr.e_ident[EI_DATA] != ELFDATA2LSB)
    return bad("not a 64-bit little-endian ELF file");
  if (ehdr.e_type != ET_DYN)
    return bad("not a shared object (ELF type " + std::to_string(ehdr.e_type) +
               ")");
  if (ehdr.e_machine != hostMachine)
    return setError(MELD_ERROR_UNSUPPORTED,
                    "'" + model.path +
                        "': the host kernel module is for ELF machine " +
                        std::to_string(ehdr.e_machine) + ", this machine is " +
                        hostMachineName);
  return MELD_OK;
}

/// dlopen()s an in-memory shared object.
meld_status loadSharedObject(const Model &model, const KernelModuleRef &module,
                             void *&handle) {
  handle = nullptr;
  if (meld_status s = checkElf(model, module))
    return s;
  std::string dlError;
  int fd = memfd_create("meld-host-kernels", MFD_CLOEXEC);
  if (fd >= 0) {
    std::string fdPath = "/proc/self/fd/" + std::to_string(fd);
    if (writeAll(fd, module.data, module.size) &&
        access(fdPath.c_str(), R_OK) == 0) {
      handle = dlopen(fdPath.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        const char *e = dlerror();
        dlError = e ? e : "unknown dlopen error";
      }
    }
    close(fd);
    if (handle)
      return MELD_OK;
    if (!dlError.empty())
      return setError(MELD_ERROR_INVALID_ARTIFACT,
                      "'" + model.path +
                          "': cannot load the host kernel module: " + dlError);
  }
  // Fallback (no memfd or no /proc): an unlinked temporary file.
  const char *tmpDir = getenv("TMPDIR");
  std::string tmpl =
      std::string(tmpDir && *tmpDir ? tmpDir : "/tmp") + "/meld-kernels-XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  fd = mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0)
    return setError(MELD_ERROR_IO,
                    "cannot create a temporary file for the host kernel "
                    "module in '" +
                        tmpl + "': " + strerror(errno));
  bool written = writeAll(fd, module.data, module.size);
  int writeErrno = errno;
  close(fd);
  if (written) {
    handle = dlopen(name.data(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *e = dlerror();
      dlError = e ? e : "unknown dlopen error";
    }
  }
  unlink(name.data());
  if (!written)
    return setError(MELD_ERROR_IO, "cannot write the host kernel module to '" +
                                       std::string(name.data()) +
                                       "': " + strerror(writeErrno));
  if (!handle)
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + model.path +
                        "': cannot load the host kernel module: " + dlError);
  return MELD_OK;
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
      : model(model), pool(numThreads) {}

  ~CpuBackend() override {
    if (arena)
      munmap(arena, arenaBytes);
    if (handle)
      dlclose(handle);
  }

  meld_status init();
  meld_status run(const std::vector<const void *> &inputs) override;
  const void *outputData(size_t index) const override { return outputs[index]; }

private:
  void *bufferAddress(uint32_t index) const {
    const BufferSlice &slice = model.buffers[index];
    if (slice.isWeight)
      return const_cast<uint8_t *>(model.weights()) + slice.offset;
    return static_cast<uint8_t *>(arena) + slice.offset;
  }

  const Model &model;
  ThreadPool pool;
  void *handle = nullptr;
  void *arena = nullptr;
  size_t arenaBytes = 0;
  std::vector<ResolvedLaunch> launches;
  std::vector<const void *> outputs;
};

meld_status CpuBackend::init() {
  // Step 1: the kernel module, if anything is launched at all.
  if (!model.launches.empty()) {
    const KernelModuleRef *module = model.findModule(hostTarget, hostFormat);
    if (!module)
      return setError(MELD_ERROR_UNSUPPORTED,
                      "'" + model.path +
                          "' has no kernels for device 'cpu' (a '" +
                          hostTarget + "' module in format '" + hostFormat +
                          "'); its kernel modules: " + model.describeModules());
    if (meld_status s = loadSharedObject(model, *module, handle))
      return s;
  }

  // Step 2: the arena, 64-byte aligned (page aligned by mmap), poisoned.
  static_assert(sizeof(size_t) == sizeof(uint64_t), "64-bit hosts only");
  arenaBytes = model.arenaSize ? model.arenaSize : 64;
  void *mem = mmap(nullptr, arenaBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED)
    return setError(MELD_ERROR_OUT_OF_MEMORY,
                    "cannot allocate the arena of " +
                        std::to_string(model.arenaSize) +
                        " bytes: " + strerror(errno));
  arena = mem;
  memset(arena, 0xFF, arenaBytes);

  // Step 3: resolve every kernel and argument once.
  std::map<std::string, KernelFn> symbols;
  for (size_t i = 0; i < model.launches.size(); ++i) {
    const LaunchPlan &plan = model.launches[i];
    auto it = symbols.find(plan.kernel);
    if (it == symbols.end()) {
      dlerror();
      void *sym = dlsym(handle, plan.kernel.c_str());
      if (!sym)
        return setError(MELD_ERROR_INVALID_ARTIFACT,
                        "'" + model.path + "': kernel '" + plan.kernel +
                            "' of launch " + std::to_string(i) +
                            (plan.location.empty()
                                 ? std::string()
                                 : " (" + plan.location + ")") +
                            " is not in the host kernel module");
      KernelFn fn;
      static_assert(sizeof(fn) == sizeof(sym), "function pointer size");
      memcpy(&fn, &sym, sizeof(fn));
      it = symbols.emplace(plan.kernel, fn).first;
    }
    ResolvedLaunch launch;
    launch.fn = it->second;
    launch.numPrograms = plan.numPrograms;
    for (uint32_t arg : plan.args)
      launch.args.push_back(bufferAddress(arg));
    launches.push_back(std::move(launch));
  }
  for (const TensorSignature &sig : model.outputs)
    outputs.push_back(bufferAddress(sig.buffer));
  return MELD_OK;
}

meld_status CpuBackend::run(const std::vector<const void *> &inputs) {
  for (size_t i = 0; i < model.inputs.size(); ++i) {
    const TensorSignature &sig = model.inputs[i];
    if (sig.numBytes)
      memcpy(bufferAddress(sig.buffer), inputs[i], sig.numBytes);
  }
  for (ResolvedLaunch &launch : launches)
    pool.parallelFor(launch.numPrograms, runRange, &launch);
  return MELD_OK;
}

} // namespace

meld_status createCpuBackend(const Model &model, unsigned numThreads,
                             std::unique_ptr<Backend> &result) {
  if (numThreads == 0) {
    numThreads = std::thread::hardware_concurrency();
    if (numThreads == 0)
      numThreads = 1;
  }
  std::unique_ptr<CpuBackend> backend(new CpuBackend(model, numThreads));
  if (meld_status s = backend->init())
    return s;
  result = std::move(backend);
  return MELD_OK;
}

} // namespace rt
} // namespace meld
