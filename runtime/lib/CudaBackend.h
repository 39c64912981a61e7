//===- CudaBackend.h - Runs kernels on an NVIDIA GPU ------------*- C++ -*-===//
//
// The CUDA backend: the driver loaded at run time (CudaDriver.h), the
// artifact's module for the device (a cubin for its exact architecture, else
// PTX JIT-compiled by the driver), weights and arena allocated once per
// session, every launch on one stream.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_RUNTIME_LIB_CUDABACKEND_H
#define MELD_RUNTIME_LIB_CUDABACKEND_H

#include "Backend.h"

#include <string>

namespace meld {
namespace rt {

struct KernelModuleRef;

/// Creates the CUDA backend on device `ordinal`. Without a usable driver or
/// device, fails with MELD_ERROR_UNSUPPORTED and one line saying why.
meld_status createCudaBackend(const Model &model, int ordinal,
                              std::unique_ptr<Backend> &result);

/// Parses a CUDA target name "sm_XY" with an optional suffix 'a'
/// (arch-specific) or 'f' (family): sets `arch` to XY (e.g. 90 for sm_90a).
bool parseCudaTarget(const std::string &target, int &arch, char &suffix);

/// Chooses the module of `model` for a device of architecture `deviceArch`
/// (10 * major + minor): the cubin built for exactly that architecture, else
/// the PTX of the highest target the device can JIT (plain targets up to the
/// device's, "a" targets only for exactly it, "f" targets within its major
/// version), else a cubin of the same major version and a lower minor one
/// (binary compatible). `ptxOnly` skips cubins. Returns null if none fits.
const KernelModuleRef *selectCudaModule(const Model &model, int deviceArch,
                                        bool ptxOnly);

} // namespace rt
} // namespace meld

#endif // MELD_RUNTIME_LIB_CUDABACKEND_H
