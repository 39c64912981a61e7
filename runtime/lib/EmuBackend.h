//===- EmuBackend.h - Runs GPU kernels in the emulator ----------*- C++ -*-===//
//
// The emu backend (`--device emu`): the artifact's "emu" kernel module (GPU
// kernels compiled for the host against meld/emu_abi.h) run by the engine in
// runtime/emu, every buffer in its own guarded allocation so that the
// engine's checks can name the buffer an access overflows.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_RUNTIME_LIB_EMUBACKEND_H
#define MELD_RUNTIME_LIB_EMUBACKEND_H

#include "Backend.h"

#include <cstdint>

namespace meld {
namespace rt {

/// Creates the emu backend: loads the artifact's "emu" "elf-shared-object"
/// module, binds it to the emulator, resolves every kernel and allocates
/// every buffer separately (arena buffers filled with 0xFF, weights copied
/// and made read-only). `seed` seeds the block order of every launch. With
/// `accessStats`, it counts the memory statistics of every kernel
/// (Backend::accessStats). The blocks of each launch run on `numThreads` OS
/// threads (0: one per core); the results do not depend on how many.
meld_status createEmuBackend(const Model &model, uint64_t seed,
                             bool accessStats, unsigned numThreads,
                             std::unique_ptr<Backend> &result);

} // namespace rt
} // namespace meld

#endif // MELD_RUNTIME_LIB_EMUBACKEND_H
