//===- SharedObject.cpp - Kernel modules that are ELF objects -------------===//

#include "SharedObject.h"

#include "Model.h"
#include "Support.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <map>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace meld {
namespace rt {

namespace {

#if defined(__x86_64__)
constexpr uint16_t hostMachine = EM_X86_64;
constexpr const char *hostMachineName = "x86-64";
#elif defined(__aarch64__)
constexpr uint16_t hostMachine = EM_AARCH64;
constexpr const char *hostMachineName = "aarch64";
#else
#error "unsupported host architecture"
#endif

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
meld_status checkElf(const Model &model, const KernelModuleRef &module,
                     const std::string &target) {
  auto bad = [&](const std::string &why) {
    return setError(
        MELD_ERROR_INVALID_ARTIFACT,
        "'" + model.path + "': the " + target +
            " kernel module is not a loadable shared object: " + why);
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
                    "'" + model.path + "': the " + target +
                        " kernel module is for ELF machine " +
                        std::to_string(ehdr.e_machine) + ", this machine is " +
                        hostMachineName);
  return MELD_OK;
}

} // namespace

SharedObject::~SharedObject() {
  if (handle)
    dlclose(handle);
  if (fd >= 0)
    close(fd);
}

meld_status loadSharedObject(const Model &model, const KernelModuleRef &module,
                             const std::string &target, SharedObject &object) {
  void *&handle = object.handle;
  if (meld_status s = checkElf(model, module, target))
    return s;
  std::string dlError;
  int fd = memfd_create(("meld-" + target + "-kernels").c_str(), MFD_CLOEXEC);
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
    // Held open while the module is loaded: see SharedObject.h.
    if (handle) {
      object.fd = fd;
      return MELD_OK;
    }
    close(fd);
    if (!dlError.empty())
      return setError(MELD_ERROR_INVALID_ARTIFACT,
                      "'" + model.path + "': cannot load the " + target +
                          " kernel module: " + dlError);
  }
  // Fallback (no memfd or no /proc): an unlinked temporary file.
  const char *tmpDir = getenv("TMPDIR");
  std::string tmpl =
      std::string(tmpDir && *tmpDir ? tmpDir : "/tmp") + "/meld-kernels-XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  fd = mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0)
    return setError(MELD_ERROR_IO, "cannot create a temporary file for the " +
                                       target + " kernel module in '" + tmpl +
                                       "': " + strerror(errno));
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
    return setError(MELD_ERROR_IO, "cannot write the " + target +
                                       " kernel module to '" +
                                       std::string(name.data()) +
                                       "': " + strerror(writeErrno));
  if (!handle)
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + model.path + "': cannot load the " + target +
                        " kernel module: " + dlError);
  return MELD_OK;
}

void *findSymbol(void *handle, const char *name) {
  dlerror();
  return dlsym(handle, name);
}

meld_status loadDeviceModule(const Model &model, const std::string &device,
                             const std::string &target,
                             const std::string &format, SharedObject &object) {
  const KernelModuleRef *module = model.findModule(target, format);
  if (!module) {
    bool vowel = std::string("aeiou").find(target[0]) != std::string::npos;
    return setError(MELD_ERROR_UNSUPPORTED,
                    "'" + model.path + "' has no kernels for device '" +
                        device + "' (" + (vowel ? "an '" : "a '") + target +
                        "' module in format '" + format +
                        "'); its kernel modules: " + model.describeModules());
  }
  return loadSharedObject(model, *module, target, object);
}

meld_status resolveLaunchSymbols(const Model &model, const Plan &plan,
                                 void *handle, const std::string &target,
                                 std::vector<void *> &symbols) {
  std::map<std::string, void *> byName;
  symbols.clear();
  for (size_t i = 0; i < plan.launches.size(); ++i) {
    const LaunchPlan &launch = plan.launches[i];
    auto it = byName.find(launch.kernel);
    if (it == byName.end()) {
      void *sym = findSymbol(handle, launch.kernel.c_str());
      if (!sym)
        return setError(MELD_ERROR_INVALID_ARTIFACT,
                        "'" + model.path + "': kernel '" + launch.kernel +
                            "' of launch " + std::to_string(i) +
                            (launch.location.empty()
                                 ? std::string()
                                 : " (" + launch.location + ")") +
                            " is not in the " + target + " kernel module");
      it = byName.emplace(launch.kernel, sym).first;
    }
    symbols.push_back(it->second);
  }
  return MELD_OK;
}

} // namespace rt
} // namespace meld
