//===- SharedObject.h - Kernel modules that are ELF objects -----*- C++ -*-===//
//
// The "host" (CPU backend) and "emu" (emulator backend) kernel modules are
// ELF shared objects carried in the artifact. They are loaded without
// touching disk where possible (memfd_create + dlopen of /proc/self/fd/N),
// else from an unlinked temporary file.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_RUNTIME_LIB_SHAREDOBJECT_H
#define MELD_RUNTIME_LIB_SHAREDOBJECT_H

#include "meld/runtime.h"

#include <string>

namespace meld {
namespace rt {

class Model;
struct KernelModuleRef;

/// Checks the ELF header of `module` (64-bit, little-endian, ET_DYN, this
/// machine) and dlopen()s it with RTLD_NOW | RTLD_LOCAL. `target` names the
/// module in messages ("the host kernel module ..."). On failure sets the
/// thread's error and returns its code; on success the caller owns `handle`
/// (dlclose).
meld_status loadSharedObject(const Model &model, const KernelModuleRef &module,
                             const std::string &target, void *&handle);

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

} // namespace rt
} // namespace meld

#endif // MELD_RUNTIME_LIB_SHAREDOBJECT_H
