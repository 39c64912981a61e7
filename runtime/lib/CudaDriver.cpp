//===- CudaDriver.cpp - The NVIDIA driver API, loaded at run time ---------===//

#include "CudaDriver.h"

#include "Support.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

namespace meld {
namespace rt {
namespace cuda {

namespace {

/// The outcome of loading the driver, decided once per process.
struct DriverState {
  meld_status status = MELD_OK;
  std::string message;
  DriverApi api;
  bool loaded = false;
};

/// Names of the CUresult values of cuda.h (CUDA 13), for drivers that cannot
/// name their own errors (the toolkit's stub library) and for messages
/// before the driver is loaded.
const char *knownErrorName(CUresult result) {
  static const struct {
    int value;
    const char *name;
  } table[] = {
      {0, "CUDA_SUCCESS"},
      {1, "CUDA_ERROR_INVALID_VALUE"},
      {2, "CUDA_ERROR_OUT_OF_MEMORY"},
      {3, "CUDA_ERROR_NOT_INITIALIZED"},
      {4, "CUDA_ERROR_DEINITIALIZED"},
      {5, "CUDA_ERROR_PROFILER_DISABLED"},
      {6, "CUDA_ERROR_PROFILER_NOT_INITIALIZED"},
      {7, "CUDA_ERROR_PROFILER_ALREADY_STARTED"},
      {8, "CUDA_ERROR_PROFILER_ALREADY_STOPPED"},
      {34, "CUDA_ERROR_STUB_LIBRARY"},
      {35, "CUDA_ERROR_INSUFFICIENT_DRIVER"},
      {36, "CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER"},
      {46, "CUDA_ERROR_DEVICE_UNAVAILABLE"},
      {100, "CUDA_ERROR_NO_DEVICE"},
      {101, "CUDA_ERROR_INVALID_DEVICE"},
      {102, "CUDA_ERROR_DEVICE_NOT_LICENSED"},
      {200, "CUDA_ERROR_INVALID_IMAGE"},
      {201, "CUDA_ERROR_INVALID_CONTEXT"},
      {202, "CUDA_ERROR_CONTEXT_ALREADY_CURRENT"},
      {205, "CUDA_ERROR_MAP_FAILED"},
      {206, "CUDA_ERROR_UNMAP_FAILED"},
      {207, "CUDA_ERROR_ARRAY_IS_MAPPED"},
      {208, "CUDA_ERROR_ALREADY_MAPPED"},
      {209, "CUDA_ERROR_NO_BINARY_FOR_GPU"},
      {210, "CUDA_ERROR_ALREADY_ACQUIRED"},
      {211, "CUDA_ERROR_NOT_MAPPED"},
      {212, "CUDA_ERROR_NOT_MAPPED_AS_ARRAY"},
      {213, "CUDA_ERROR_NOT_MAPPED_AS_POINTER"},
      {214, "CUDA_ERROR_ECC_UNCORRECTABLE"},
      {215, "CUDA_ERROR_UNSUPPORTED_LIMIT"},
      {216, "CUDA_ERROR_CONTEXT_ALREADY_IN_USE"},
      {217, "CUDA_ERROR_PEER_ACCESS_UNSUPPORTED"},
      {218, "CUDA_ERROR_INVALID_PTX"},
      {219, "CUDA_ERROR_INVALID_GRAPHICS_CONTEXT"},
      {220, "CUDA_ERROR_NVLINK_UNCORRECTABLE"},
      {221, "CUDA_ERROR_JIT_COMPILER_NOT_FOUND"},
      {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"},
      {223, "CUDA_ERROR_JIT_COMPILATION_DISABLED"},
      {224, "CUDA_ERROR_UNSUPPORTED_EXEC_AFFINITY"},
      {225, "CUDA_ERROR_UNSUPPORTED_DEVSIDE_SYNC"},
      {226, "CUDA_ERROR_CONTAINED"},
      {300, "CUDA_ERROR_INVALID_SOURCE"},
      {301, "CUDA_ERROR_FILE_NOT_FOUND"},
      {302, "CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND"},
      {303, "CUDA_ERROR_SHARED_OBJECT_INIT_FAILED"},
      {304, "CUDA_ERROR_OPERATING_SYSTEM"},
      {400, "CUDA_ERROR_INVALID_HANDLE"},
      {401, "CUDA_ERROR_ILLEGAL_STATE"},
      {402, "CUDA_ERROR_LOSSY_QUERY"},
      {500, "CUDA_ERROR_NOT_FOUND"},
      {600, "CUDA_ERROR_NOT_READY"},
      {700, "CUDA_ERROR_ILLEGAL_ADDRESS"},
      {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"},
      {702, "CUDA_ERROR_LAUNCH_TIMEOUT"},
      {703, "CUDA_ERROR_LAUNCH_INCOMPATIBLE_TEXTURING"},
      {704, "CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED"},
      {705, "CUDA_ERROR_PEER_ACCESS_NOT_ENABLED"},
      {708, "CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE"},
      {709, "CUDA_ERROR_CONTEXT_IS_DESTROYED"},
      {710, "CUDA_ERROR_ASSERT"},
      {711, "CUDA_ERROR_TOO_MANY_PEERS"},
      {712, "CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED"},
      {713, "CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED"},
      {714, "CUDA_ERROR_HARDWARE_STACK_ERROR"},
      {715, "CUDA_ERROR_ILLEGAL_INSTRUCTION"},
      {716, "CUDA_ERROR_MISALIGNED_ADDRESS"},
      {717, "CUDA_ERROR_INVALID_ADDRESS_SPACE"},
      {718, "CUDA_ERROR_INVALID_PC"},
      {719, "CUDA_ERROR_LAUNCH_FAILED"},
      {720, "CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE"},
      {721, "CUDA_ERROR_TENSOR_MEMORY_LEAK"},
      {800, "CUDA_ERROR_NOT_PERMITTED"},
      {801, "CUDA_ERROR_NOT_SUPPORTED"},
      {802, "CUDA_ERROR_SYSTEM_NOT_READY"},
      {803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"},
      {804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE"},
      {805, "CUDA_ERROR_MPS_CONNECTION_FAILED"},
      {806, "CUDA_ERROR_MPS_RPC_FAILURE"},
      {807, "CUDA_ERROR_MPS_SERVER_NOT_READY"},
      {808, "CUDA_ERROR_MPS_MAX_CLIENTS_REACHED"},
      {809, "CUDA_ERROR_MPS_MAX_CONNECTIONS_REACHED"},
      {810, "CUDA_ERROR_MPS_CLIENT_TERMINATED"},
      {811, "CUDA_ERROR_CDP_NOT_SUPPORTED"},
      {812, "CUDA_ERROR_CDP_VERSION_MISMATCH"},
      {900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"},
      {901, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"},
      {902, "CUDA_ERROR_STREAM_CAPTURE_MERGE"},
      {903, "CUDA_ERROR_STREAM_CAPTURE_UNMATCHED"},
      {904, "CUDA_ERROR_STREAM_CAPTURE_UNJOINED"},
      {905, "CUDA_ERROR_STREAM_CAPTURE_ISOLATION"},
      {906, "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT"},
      {907, "CUDA_ERROR_CAPTURED_EVENT"},
      {908, "CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD"},
      {909, "CUDA_ERROR_TIMEOUT"},
      {910, "CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE"},
      {911, "CUDA_ERROR_EXTERNAL_DEVICE"},
      {912, "CUDA_ERROR_INVALID_CLUSTER_SIZE"},
      {913, "CUDA_ERROR_FUNCTION_NOT_LOADED"},
      {914, "CUDA_ERROR_INVALID_RESOURCE_TYPE"},
      {915, "CUDA_ERROR_INVALID_RESOURCE_CONFIGURATION"},
      {916, "CUDA_ERROR_KEY_ROTATION"},
      {999, "CUDA_ERROR_UNKNOWN"},
  };
  for (const auto &entry : table)
    if (entry.value == result)
      return entry.name;
  return nullptr;
}

/// The loaded driver, for errorName (constant-initialised, set once).
std::atomic<const DriverApi *> namingApi{nullptr};

/// Resolves `name` into `fn`; false if the driver lacks it.
template <typename Fn> bool resolve(void *handle, const char *name, Fn &fn) {
  void *sym = dlsym(handle, name);
  if (!sym)
    return false;
  static_assert(sizeof(fn) == sizeof(sym), "function pointer size");
  memcpy(&fn, &sym, sizeof(fn));
  return true;
}

void loadOnce(DriverState &state) {
  auto fail = [&](meld_status code, const std::string &message) {
    state.status = code;
    state.message = message;
  };

  // Step 1: the library.
  const char *override = getenv("MELD_LIBCUDA");
  bool overridden = override && *override;
  const char *path = overridden ? override : "libcuda.so.1";
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    if (!overridden)
      return fail(MELD_ERROR_UNSUPPORTED,
                  "no NVIDIA driver (libcuda.so.1 not found)");
    const char *e = dlerror();
    return fail(MELD_ERROR_UNSUPPORTED,
                std::string("no NVIDIA driver (cannot load '") + path +
                    "' named by MELD_LIBCUDA: " + (e ? e : "unknown error") +
                    ")");
  }

  // Step 2: the entry points, by the names cuda.h's macros give them. The
  // handle is never closed: the driver stays loaded for the process.
  DriverApi &api = state.api;
  const char *missing = nullptr;
#define MELD_RESOLVE(field, symbol)                                            \
  if (!missing && !resolve(handle, symbol, api.field))                         \
    missing = symbol;
  MELD_RESOLVE(cuInit, "cuInit")
  MELD_RESOLVE(cuDriverGetVersion, "cuDriverGetVersion")
  MELD_RESOLVE(cuGetErrorName, "cuGetErrorName")
  MELD_RESOLVE(cuDeviceGetCount, "cuDeviceGetCount")
  MELD_RESOLVE(cuDeviceGet, "cuDeviceGet")
  MELD_RESOLVE(cuDeviceGetName, "cuDeviceGetName")
  MELD_RESOLVE(cuDeviceGetAttribute, "cuDeviceGetAttribute")
  MELD_RESOLVE(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain")
  MELD_RESOLVE(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2")
  MELD_RESOLVE(cuCtxPushCurrent, "cuCtxPushCurrent_v2")
  MELD_RESOLVE(cuCtxPopCurrent, "cuCtxPopCurrent_v2")
  MELD_RESOLVE(cuMemAlloc, "cuMemAlloc_v2")
  MELD_RESOLVE(cuMemFree, "cuMemFree_v2")
  MELD_RESOLVE(cuMemAllocHost, "cuMemAllocHost_v2")
  MELD_RESOLVE(cuMemFreeHost, "cuMemFreeHost")
  MELD_RESOLVE(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2")
  MELD_RESOLVE(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2")
  MELD_RESOLVE(cuMemsetD8Async, "cuMemsetD8Async")
  MELD_RESOLVE(cuModuleLoadDataEx, "cuModuleLoadDataEx")
  MELD_RESOLVE(cuModuleUnload, "cuModuleUnload")
  MELD_RESOLVE(cuModuleGetFunction, "cuModuleGetFunction")
  MELD_RESOLVE(cuFuncGetAttribute, "cuFuncGetAttribute")
  MELD_RESOLVE(cuFuncSetAttribute, "cuFuncSetAttribute")
  MELD_RESOLVE(cuLaunchKernel, "cuLaunchKernel")
  MELD_RESOLVE(cuStreamCreate, "cuStreamCreate")
  MELD_RESOLVE(cuStreamDestroy, "cuStreamDestroy_v2")
  MELD_RESOLVE(cuStreamSynchronize, "cuStreamSynchronize")
  MELD_RESOLVE(cuEventCreate, "cuEventCreate")
  MELD_RESOLVE(cuEventDestroy, "cuEventDestroy_v2")
  MELD_RESOLVE(cuEventRecord, "cuEventRecord")
  // cuda.h (12.8 and later) names cuEventElapsedTime_v2; older drivers have
  // only the first version, with the same signature.
  if (!missing && !resolve(handle, "cuEventElapsedTime_v2",
                           api.cuEventElapsedTime))
    MELD_RESOLVE(cuEventElapsedTime, "cuEventElapsedTime")
#undef MELD_RESOLVE
  // Optional: tensor maps.
  if (!missing &&
      !resolve(handle, "cuTensorMapEncodeTiled", api.cuTensorMapEncodeTiled))
    api.cuTensorMapEncodeTiled = nullptr;
  // Optional: graphs. A driver lacking any of them gets none.
  if (!missing &&
      !(resolve(handle, "cuStreamBeginCapture_v2", api.cuStreamBeginCapture) &&
        resolve(handle, "cuStreamEndCapture", api.cuStreamEndCapture) &&
        resolve(handle, "cuGraphInstantiateWithFlags",
                api.cuGraphInstantiateWithFlags) &&
        resolve(handle, "cuGraphLaunch", api.cuGraphLaunch) &&
        resolve(handle, "cuGraphExecDestroy", api.cuGraphExecDestroy) &&
        resolve(handle, "cuGraphDestroy", api.cuGraphDestroy))) {
    api.cuStreamBeginCapture = nullptr;
    api.cuStreamEndCapture = nullptr;
    api.cuGraphInstantiateWithFlags = nullptr;
    api.cuGraphLaunch = nullptr;
    api.cuGraphExecDestroy = nullptr;
    api.cuGraphDestroy = nullptr;
  }
  if (missing)
    return fail(MELD_ERROR_UNSUPPORTED,
                std::string("the NVIDIA driver is too old for this runtime (") +
                    path + " has no " + missing + ")");

  // Step 3: cuInit. The stub library cannot name its own errors, so the
  // codes that mean "no usable GPU here" are mapped to one clear line each.
  CUresult result = api.cuInit(0);
  switch (result) {
  case CUDA_SUCCESS:
    break;
  case CUDA_ERROR_STUB_LIBRARY:
    return fail(MELD_ERROR_UNSUPPORTED,
                "the CUDA driver library is a stub (CUDA_ERROR_STUB_LIBRARY): "
                "no NVIDIA driver installed");
  case CUDA_ERROR_NO_DEVICE:
    return fail(MELD_ERROR_UNSUPPORTED, "no CUDA device");
  case CUDA_ERROR_INSUFFICIENT_DRIVER:
    return fail(MELD_ERROR_UNSUPPORTED,
                "the NVIDIA driver is too old for this runtime");
  default:
    return fail(MELD_ERROR_UNSUPPORTED,
                "cuInit failed: " + errorName(result) +
                    " (the NVIDIA driver cannot be initialised)");
  }
  state.loaded = true;
  namingApi.store(&state.api);
}

DriverState &driverState() {
  // Initialised on first use, thread-safely (not a static constructor).
  static DriverState state = [] {
    DriverState s;
    loadOnce(s);
    return s;
  }();
  return state;
}

} // namespace

meld_status loadDriver(const DriverApi *&api) {
  api = nullptr;
  DriverState &state = driverState();
  if (!state.loaded)
    return setError(state.status, state.message);
  api = &state.api;
  return MELD_OK;
}

std::string errorName(CUresult result) {
  if (const char *known = knownErrorName(result))
    return known;
  // A code newer than this runtime: a working driver can name it.
  if (const DriverApi *api = namingApi.load()) {
    const char *name = nullptr;
    if (api->cuGetErrorName(result, &name) == CUDA_SUCCESS && name)
      return name;
  }
  return "CUresult " + std::to_string(result);
}

meld_status driverError(const char *call, CUresult result,
                        const std::string &suffix, meld_status code) {
  if (result == CUDA_ERROR_OUT_OF_MEMORY)
    code = MELD_ERROR_OUT_OF_MEMORY;
  return setError(code,
                  std::string(call) + " failed: " + errorName(result) + suffix);
}

} // namespace cuda
} // namespace rt
} // namespace meld
