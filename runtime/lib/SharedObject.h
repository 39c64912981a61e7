//===- SharedObject.h - Kernel modules that are ELF objects -----*- C++ -*-===//
//
// The "host" (CPU backend) and "emu" (emulator backend) kernel modules are
// ELF shared objects carried in the artifact. They are loaded without
// touching disk where possible (memfd_create + dlopen of /proc/self/fd/N),
// else from an unlinked temporary file.
//
// glibc's dlopen returns the object already loaded under the same path
// without looking at the file: the memfd stays open while its module is
// loaded, so that no other module (another model's, in the same process)
// is ever loaded from the same /proc/self/fd/N.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_RUNTIME_LIB_SHAREDOBJECT_H
#define MELD_RUNTIME_LIB_SHAREDOBJECT_H

#include "meld/runtime.h"

#include <string>
#include <vector>

namespace meld {
namespace rt {

class Model;
struct KernelModuleRef;
struct Plan;

/// A kernel module loaded with dlopen, and the memfd it was loaded from;
/// both are closed on destruction.
class SharedObject {
public:
  SharedObject() = default;
  ~SharedObject();
  SharedObject(const SharedObject &) = delete;
  SharedObject &operator=(const SharedObject &) = delete;

  /// The dlopen handle; null until loaded.
  void *get() const { return handle; }

private:
  friend meld_status loadSharedObject(const Model &, const KernelModuleRef &,
                                      const std::string &, SharedObject &);
  void *handle = nullptr;
  int fd = -1;
};

/// Checks the ELF header of `module` (64-bit, little-endian, ET_DYN, this
/// machine) and dlopen()s it with RTLD_NOW | RTLD_LOCAL into `object` (which
/// must be empty). `target` names the module in messages ("the host kernel
/// module ..."). On failure sets the thread's error and returns its code.
meld_status loadSharedObject(const Model &model, const KernelModuleRef &module,
                             const std::string &target, SharedObject &object);

/// Finds the artifact's kernel module for `device` ("cpu", "emu": an ELF
/// shared object with target `target`) and loads it with loadSharedObject.
/// A missing module is an error listing the modules the artifact has.
meld_status loadDeviceModule(const Model &model, const std::string &device,
                             const std::string &target,
                             const std::string &format, SharedObject &object);

/// dlsym() as a function pointer, or nullptr.
template <typename Fn> Fn findFunction(void *handle, const char *name);

/// Untyped lookup behind findFunction.
void *findSymbol(void *handle, const char *name);

template <typename Fn> Fn findFunction(void *handle, const char *name) {
  void *sym = findSymbol(handle, name);
  Fn fn;
  static_assert(sizeof(fn) == sizeof(sym), "function pointer size");
  __builtin_memcpy(&fn, &sym, sizeof(fn));
  return fn;
}

/// The kernel of every launch of `plan`, a plan of `model`, looked up once
/// per name in the loaded module `handle` (the `target` module, for
/// messages): `kernels[i]` is launch i's. On a missing kernel sets the thread's
/// error, naming the launch and its ONNX node, and returns its code.
template <typename Fn>
meld_status resolveLaunchKernels(const Model &model, const Plan &plan,
                                 void *handle, const std::string &target,
                                 std::vector<Fn> &kernels);

/// Untyped lookup behind resolveLaunchKernels.
meld_status resolveLaunchSymbols(const Model &model, const Plan &plan,
                                 void *handle, const std::string &target,
                                 std::vector<void *> &symbols);

template <typename Fn>
meld_status resolveLaunchKernels(const Model &model, const Plan &plan,
                                 void *handle, const std::string &target,
                                 std::vector<Fn> &kernels) {
  std::vector<void *> symbols;
  if (meld_status s =
          resolveLaunchSymbols(model, plan, handle, target, symbols))
    return s;
  kernels.clear();
  for (void *sym : symbols) {
    Fn fn;
    static_assert(sizeof(fn) == sizeof(sym), "function pointer size");
    __builtin_memcpy(&fn, &sym, sizeof(fn));
    kernels.push_back(fn);
  }
  return MELD_OK;
}

} // namespace rt
} // namespace meld

#endif // MELD_RUNTIME_LIB_SHAREDOBJECT_H
