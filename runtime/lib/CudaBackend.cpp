//===- CudaBackend.cpp - Runs kernels on an NVIDIA GPU --------------------===//
//
// Every kernel of a CUDA module has the signature
//
//   .entry NAME(.param .u64 a0, .param .u64 a1, ...)
//
// one device pointer per buffer of Launch.args, in order. A launch runs
// grid (gx, gy, gz) blocks of `block` threads with `shared_memory_bytes` of
// dynamic shared memory. All work of a session goes to one stream of the
// device's primary context, which is made current only for the duration of
// each call, so sessions can be used from any thread. A timed run
// (meld_session_run_timed) records two events on that stream around the
// launches, so the copies in and out stay outside the measured time.
//
// The launches of a run are captured once, by the first run, as a CUDA
// graph, and every run replays it with one cuGraphLaunch: the kernel
// parameters (buffer addresses in the arena and the weights, allocated once
// per session) never change. Without graphs (a driver lacking them,
// MELD_CUDA_GRAPHS=0, or MELD_CUDA_SYNC=1, which synchronises after each
// launch) the kernels are launched one by one.
//
//===----------------------------------------------------------------------===//

#include "CudaBackend.h"

#include "CudaDriver.h"
#include "Model.h"
#include "Support.h"

#include <cstdlib>
#include <cstring>
#include <map>

namespace meld {
namespace rt {

using namespace cuda;

namespace {

/// Size of each JIT log buffer, and the most of a log kept in a message.
constexpr size_t kJitLogSize = 16 * 1024;
constexpr size_t kMaxLogInMessage = 800;

/// Whether an environment variable is set to something other than "0".
bool envFlag(const char *name) {
  const char *value = getenv(name);
  return value && *value && strcmp(value, "0") != 0;
}

/// Makes a JIT log one line ("line1; line2"), truncated for a message.
std::string oneLine(const char *log) {
  std::string result;
  for (const char *p = log; *p; ++p) {
    if (*p == '\n' || *p == '\r') {
      if (!result.empty() && result.compare(result.size() - 2, 2, "; ") != 0)
        result += "; ";
      continue;
    }
    result += *p;
  }
  while (!result.empty() && (result.back() == ' ' || result.back() == ';'))
    result.pop_back();
  if (result.size() > kMaxLogInMessage)
    result = result.substr(0, kMaxLogInMessage) + "...";
  return result;
}

std::string archName(int arch) { return "sm_" + std::to_string(arch); }

std::string dims(const uint32_t d[3]) {
  return "(" + std::to_string(d[0]) + ", " + std::to_string(d[1]) + ", " +
         std::to_string(d[2]) + ")";
}

/// "launch 2 (kernel 'k' for node (Op))" for messages.
std::string describeLaunch(size_t index, const LaunchPlan &plan) {
  std::string result =
      "launch " + std::to_string(index) + " (kernel '" + plan.kernel + "'";
  if (!plan.location.empty())
    result += " for " + plan.location;
  return result + ")";
}

/// One launch with its function and parameters resolved.
struct ResolvedLaunch {
  CUfunction fn;
  uint32_t grid[3];
  uint32_t block[3];
  uint32_t sharedMemoryBytes;
  /// One device pointer per argument, and the pointers to them that
  /// cuLaunchKernel takes (into `values`, whose storage never moves once
  /// filled).
  std::vector<CUdeviceptr> values;
  std::vector<void *> params;
  size_t planIndex;
};

class CudaBackend final : public Backend {
public:
  CudaBackend(const Model &model, const DriverApi &cu, int ordinal)
      : model(model), cu(cu), ordinal(ordinal) {}
  ~CudaBackend() override;

  meld_status init();
  meld_status run(const std::vector<const void *> &inputs) override {
    return runImpl(inputs, nullptr);
  }
  meld_status runTimed(const std::vector<const void *> &inputs,
                       double &milliseconds) override {
    return runImpl(inputs, &milliseconds);
  }
  const void *outputData(size_t index) const override { return outputs[index]; }

private:
  /// Makes the session's context current for the scope of a call.
  class ContextScope {
  public:
    explicit ContextScope(CudaBackend &backend) : backend(backend) {
      result = backend.cu.cuCtxPushCurrent(backend.context);
    }
    ~ContextScope() {
      if (result == CUDA_SUCCESS) {
        CUcontext popped;
        backend.cu.cuCtxPopCurrent(&popped);
      }
    }
    CUresult result;

  private:
    CudaBackend &backend;
  };

  /// Copies the inputs in, runs every launch, copies the outputs back. With
  /// `milliseconds`, two events recorded on the stream around the launches
  /// (after the input copies, before the output copies) give the time the
  /// device took for them.
  meld_status runImpl(const std::vector<const void *> &inputs,
                      double *milliseconds);
  /// Puts every launch on the stream, one by one.
  meld_status launchAll();
  /// Captures launchAll() into `graph`.
  meld_status captureGraph();
  meld_status queryDevice();
  meld_status loadModule();
  meld_status resolveLaunches();
  meld_status allocate();
  CUdeviceptr bufferAddress(uint32_t index) const {
    const BufferSlice &slice = model.plan.buffers[index];
    CUdeviceptr base = !slice.isWeight            ? arena
                       : model.inSection(slice) ? section
                                                : weights;
    return base + slice.offset;
  }
  std::string deviceName() const {
    return "device 'cuda:" + std::to_string(ordinal) + "' (" + name + ", " +
           archName(arch) + ")";
  }

  const Model &model;
  const DriverApi &cu;
  int ordinal;

  CUdevice device = 0;
  std::string name;
  int arch = 0;
  int maxThreadsPerBlock = 0;
  int maxBlock[3] = {0, 0, 0};
  int maxGrid[3] = {0, 0, 0};
  int maxSharedOptin = 0;

  CUcontext context = nullptr;
  bool retained = false;
  CUstream stream = nullptr;
  CUmodule module = nullptr;
  CUdeviceptr arena = 0;
  /// The weights section (embedded weights and constants) and the external
  /// weights, on the device.
  CUdeviceptr section = 0;
  CUdeviceptr weights = 0;
  /// The tensor maps as the driver encoded them, kept while their copies
  /// to the arena may be in flight.
  std::vector<CUtensorMap> tensorMaps;
  std::vector<ResolvedLaunch> launches;
  /// The outputs on the host: one pinned block if the driver gives one,
  /// else ordinary memory.
  void *pinned = nullptr;
  std::unique_ptr<uint8_t, FreeDeleter> hostOutputs;
  std::vector<void *> outputs;
  /// Where the fault status of a run is copied back (in the pinned block
  /// when there is one), or null when the artifact has none.
  int64_t *hostStatus = nullptr;
  bool syncEachLaunch = false;
  /// Whether runs replay a CUDA graph of the launches, and that graph
  /// (captured by the first run).
  bool useGraphs = false;
  CUgraphExec graph = nullptr;
  /// The events of timed runs, created by the first one.
  CUevent startEvent = nullptr;
  CUevent stopEvent = nullptr;
};

CudaBackend::~CudaBackend() {
  if (!retained)
    return;
  {
    ContextScope scope(*this);
    if (scope.result == CUDA_SUCCESS) {
      if (stream)
        cu.cuStreamSynchronize(stream);
      if (graph)
        cu.cuGraphExecDestroy(graph);
      if (startEvent)
        cu.cuEventDestroy(startEvent);
      if (stopEvent)
        cu.cuEventDestroy(stopEvent);
      if (pinned)
        cu.cuMemFreeHost(pinned);
      if (arena)
        cu.cuMemFree(arena);
      if (weights)
        cu.cuMemFree(weights);
      if (section)
        cu.cuMemFree(section);
      if (module)
        cu.cuModuleUnload(module);
      if (stream)
        cu.cuStreamDestroy(stream);
    }
  }
  cu.cuDevicePrimaryCtxRelease(device);
}

meld_status CudaBackend::queryDevice() {
  int count = 0;
  if (CUresult r = cu.cuDeviceGetCount(&count))
    return driverError("cuDeviceGetCount", r);
  if (ordinal >= count)
    return setError(MELD_ERROR_INVALID_ARGUMENT,
                    "device 'cuda:" + std::to_string(ordinal) +
                        "' does not exist: this machine has " +
                        std::to_string(count) + " CUDA device" +
                        (count == 1 ? "" : "s"));
  if (CUresult r = cu.cuDeviceGet(&device, ordinal))
    return driverError("cuDeviceGet", r);
  char buf[256] = {0};
  if (CUresult r = cu.cuDeviceGetName(buf, sizeof(buf) - 1, device))
    return driverError("cuDeviceGetName", r);
  name = buf;
  struct {
    int attribute;
    int *value;
  } queries[] = {
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, &arch},
      {CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, &maxThreadsPerBlock},
      {CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X, &maxBlock[0]},
      {CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X + 1, &maxBlock[1]},
      {CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X + 2, &maxBlock[2]},
      {CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X, &maxGrid[0]},
      {CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X + 1, &maxGrid[1]},
      {CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X + 2, &maxGrid[2]},
      {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, &maxSharedOptin},
  };
  for (auto &q : queries)
    if (CUresult r = cu.cuDeviceGetAttribute(q.value, q.attribute, device))
      return driverError("cuDeviceGetAttribute", r);
  int minor = 0;
  if (CUresult r = cu.cuDeviceGetAttribute(
          &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device))
    return driverError("cuDeviceGetAttribute", r);
  arch = arch * 10 + minor;
  return MELD_OK;
}

meld_status CudaBackend::loadModule() {
  bool ptxOnly = envFlag("MELD_CUDA_JIT");
  const KernelModuleRef *chosen = selectCudaModule(model, arch, ptxOnly);
  if (!chosen)
    return setError(MELD_ERROR_UNSUPPORTED,
                    "'" + model.path + "' has no kernels for " + deviceName() +
                        (ptxOnly ? " in PTX (MELD_CUDA_JIT is set)" : "") +
                        ": it needs a cubin for " + archName(arch) +
                        " or PTX for " + archName(arch) +
                        " or an earlier target; its kernel modules: " +
                        model.describeModules());
  bool isPtx = chosen->format == "ptx";
  std::string what = "the " + chosen->target + " " + chosen->format + " of '" +
                     model.path + "'";

  // The driver wants PTX NUL-terminated and a cubin suitably aligned: copy.
  std::vector<uint64_t> image((chosen->size + 1 + 7) / 8, 0);
  if (chosen->size)
    memcpy(image.data(), chosen->data, chosen->size);

  std::vector<char> errorLog(kJitLogSize, 0), infoLog(kJitLogSize, 0);
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                   CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {
      errorLog.data(),
      reinterpret_cast<void *>(static_cast<uintptr_t>(errorLog.size() - 1)),
      infoLog.data(),
      reinterpret_cast<void *>(static_cast<uintptr_t>(infoLog.size() - 1))};
  CUresult r = cu.cuModuleLoadDataEx(&module, image.data(), 4, options, values);
  if (r == CUDA_SUCCESS)
    return MELD_OK;
  module = nullptr;
  errorLog.back() = 0;
  std::string log = oneLine(errorLog.data());
  std::string suffix = " (loading " + what + " on " + deviceName();
  if (r == CUDA_ERROR_UNSUPPORTED_PTX_VERSION) {
    int version = 0;
    cu.cuDriverGetVersion(&version);
    suffix += "; the driver supports CUDA " + std::to_string(version / 1000) +
              "." + std::to_string(version % 1000 / 10) +
              ", too old for this PTX";
  }
  if (!log.empty())
    suffix += (isPtx ? "; JIT log: " : "; log: ") + log;
  suffix += ")";
  meld_status code = MELD_ERROR_DEVICE;
  if (r == CUDA_ERROR_INVALID_PTX)
    code = MELD_ERROR_INVALID_ARTIFACT;
  else if (r == CUDA_ERROR_UNSUPPORTED_PTX_VERSION)
    code = MELD_ERROR_UNSUPPORTED;
  return driverError("cuModuleLoadDataEx", r, suffix, code);
}

meld_status CudaBackend::resolveLaunches() {
  // Per kernel: its function and the most dynamic shared memory it is
  // launched with.
  struct Kernel {
    CUfunction fn;
    int maxThreads;
    int staticShared;
    int numRegs;
    uint32_t maxDynamicShared;
  };
  std::map<std::string, Kernel> kernels;
  for (size_t i = 0; i < model.plan.launches.size(); ++i) {
    const LaunchPlan &plan = model.plan.launches[i];
    auto it = kernels.find(plan.kernel);
    if (it == kernels.end()) {
      Kernel k = {};
      CUresult r = cu.cuModuleGetFunction(&k.fn, module, plan.kernel.c_str());
      if (r == CUDA_ERROR_NOT_FOUND)
        return setError(MELD_ERROR_INVALID_ARTIFACT,
                        "'" + model.path + "': kernel '" + plan.kernel +
                            "' of " + describeLaunch(i, plan) +
                            " is not in its CUDA module for " + archName(arch));
      if (r)
        return driverError("cuModuleGetFunction", r,
                           " (" + describeLaunch(i, plan) + ")");
      if ((r = cu.cuFuncGetAttribute(
               &k.maxThreads, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, k.fn)) ||
          (r = cu.cuFuncGetAttribute(
               &k.staticShared, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, k.fn)) ||
          (r = cu.cuFuncGetAttribute(&k.numRegs, CU_FUNC_ATTRIBUTE_NUM_REGS,
                                     k.fn)))
        return driverError("cuFuncGetAttribute", r,
                           " (" + describeLaunch(i, plan) + ")");
      it = kernels.emplace(plan.kernel, k).first;
    }
    Kernel &k = it->second;
    std::string what = describeLaunch(i, plan);

    // The launch configuration, checked here so that a bad one fails at
    // session creation with a message rather than mid-run.
    uint64_t threads = 1;
    for (int d = 0; d < 3; ++d) {
      if (plan.block[d] == 0 ||
          plan.block[d] > static_cast<uint32_t>(maxBlock[d]))
        return setError(MELD_ERROR_UNSUPPORTED,
                        what + ": block " + dims(plan.block) +
                            " is not allowed on " + deviceName() +
                            " (at most (" + std::to_string(maxBlock[0]) + ", " +
                            std::to_string(maxBlock[1]) + ", " +
                            std::to_string(maxBlock[2]) + "))");
      if (plan.grid[d] > static_cast<uint32_t>(maxGrid[d]))
        return setError(MELD_ERROR_UNSUPPORTED,
                        what + ": grid " + dims(plan.grid) +
                            " exceeds the largest grid of " + deviceName() +
                            ", (" + std::to_string(maxGrid[0]) + ", " +
                            std::to_string(maxGrid[1]) + ", " +
                            std::to_string(maxGrid[2]) + ")");
      threads *= plan.block[d];
    }
    if (threads > static_cast<uint64_t>(k.maxThreads))
      return setError(MELD_ERROR_UNSUPPORTED,
                      what + ": a block of " + std::to_string(threads) +
                          " threads, but the kernel can run at most " +
                          std::to_string(k.maxThreads) + " per block on " +
                          deviceName() + " (it uses " +
                          std::to_string(k.numRegs) + " registers per thread)");
    uint64_t shared =
        static_cast<uint64_t>(k.staticShared) + plan.sharedMemoryBytes;
    if (shared > static_cast<uint64_t>(maxSharedOptin))
      return setError(
          MELD_ERROR_UNSUPPORTED,
          what + " needs " + std::to_string(shared) +
              " bytes of shared memory (" + std::to_string(k.staticShared) +
              " static, " + std::to_string(plan.sharedMemoryBytes) +
              " dynamic), more than the " + std::to_string(maxSharedOptin) +
              " a block may have on " + deviceName());
    if (plan.sharedMemoryBytes > k.maxDynamicShared)
      k.maxDynamicShared = plan.sharedMemoryBytes;

    ResolvedLaunch launch;
    launch.fn = k.fn;
    memcpy(launch.grid, plan.grid, sizeof(launch.grid));
    memcpy(launch.block, plan.block, sizeof(launch.block));
    launch.sharedMemoryBytes = plan.sharedMemoryBytes;
    launch.planIndex = i;
    launches.push_back(std::move(launch));
  }

  // More than 48 KiB of dynamic shared memory needs an opt-in per kernel.
  for (auto &[kernelName, k] : kernels) {
    if (k.maxDynamicShared <= kDefaultMaxDynamicSharedBytes)
      continue;
    if (CUresult r = cu.cuFuncSetAttribute(
            k.fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
            static_cast<int>(k.maxDynamicShared)))
      return driverError("cuFuncSetAttribute", r,
                         " (kernel '" + kernelName + "', " +
                             std::to_string(k.maxDynamicShared) +
                             " bytes of dynamic shared memory)");
  }
  return MELD_OK;
}

/// The CUtensorMapDataType of an artifact dtype: the floats as theirs, the
/// integers of 1 byte as bytes.
static int tensorMapDataType(uint32_t dtype) {
  switch (dtype) {
  case artifact::DType_f32:
    return CU_TENSOR_MAP_DATA_TYPE_FLOAT32;
  case artifact::DType_f16:
    return CU_TENSOR_MAP_DATA_TYPE_FLOAT16;
  case artifact::DType_bf16:
    return CU_TENSOR_MAP_DATA_TYPE_BFLOAT16;
  case artifact::DType_f64:
    return CU_TENSOR_MAP_DATA_TYPE_FLOAT64;
  case artifact::DType_i64:
    return CU_TENSOR_MAP_DATA_TYPE_INT64;
  case artifact::DType_i32:
    return CU_TENSOR_MAP_DATA_TYPE_INT32;
  default:
    return CU_TENSOR_MAP_DATA_TYPE_UINT8;
  }
}

meld_status CudaBackend::allocate() {
  if (CUresult r = cu.cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING))
    return driverError("cuStreamCreate", r);

  // The arena, poisoned with 0xFF bytes so an unwritten output reads NaN.
  size_t arenaBytes = model.plan.arenaSize ? model.plan.arenaSize : 256;
  if (CUresult r = cu.cuMemAlloc(&arena, arenaBytes))
    return driverError("cuMemAlloc", r,
                       " (the arena of " + std::to_string(arenaBytes) +
                           " bytes on " + deviceName() + ")");
  if (CUresult r = cu.cuMemsetD8Async(arena, 0xFF, arenaBytes, stream))
    return driverError("cuMemsetD8Async", r);

  // The weights section, copied once whole (embedded weights and constants).
  if (model.sectionSize) {
    if (CUresult r = cu.cuMemAlloc(&section, model.sectionSize))
      return driverError("cuMemAlloc", r,
                         " (the weights section, " +
                             std::to_string(model.sectionSize) + " bytes, on " +
                             deviceName() + ")");
    if (CUresult r = cu.cuMemcpyHtoDAsync(section, model.weights(),
                                          model.sectionSize, stream))
      return driverError("cuMemcpyHtoDAsync", r, " (the weights)");
  }
  // External weights, each buffer from where the model holds it.
  if (model.weightsExternal && model.weightsSize) {
    if (CUresult r = cu.cuMemAlloc(&weights, model.weightsSize))
      return driverError("cuMemAlloc", r,
                         " (the weights, " + std::to_string(model.weightsSize) +
                             " bytes, on " + deviceName() + ")");
    for (uint32_t i = 0; i < model.plan.buffers.size(); ++i) {
      const BufferSlice &slice = model.plan.buffers[i];
      if (!slice.isWeight || model.inSection(slice) || !slice.size)
        continue;
      if (CUresult r = cu.cuMemcpyHtoDAsync(weights + slice.offset,
                                            model.weightAddress(model.plan, i),
                                            slice.size, stream))
        return driverError("cuMemcpyHtoDAsync", r,
                           " (weight '" + slice.name + "')");
    }
  }

  // The tensor maps: encoded by the driver for their tensors' device
  // addresses, then copied into their slices of the arena.
  size_t numMaps = 0;
  for (const BufferSlice &slice : model.plan.buffers)
    numMaps += slice.isTensorMap;
  if (numMaps && !cu.cuTensorMapEncodeTiled)
    return setError(MELD_ERROR_UNSUPPORTED,
                    "the NVIDIA driver is too old for this model's tensor "
                    "maps (no cuTensorMapEncodeTiled; CUDA 12 or later)");
  tensorMaps.resize(numMaps);
  size_t mapIndex = 0;
  for (uint32_t i = 0; i < model.plan.buffers.size(); ++i) {
    const BufferSlice &slice = model.plan.buffers[i];
    if (!slice.isTensorMap)
      continue;
    const TensorMapLayout &l = slice.tensorMap;
    unsigned elementStrides[5] = {1, 1, 1, 1, 1};
    unsigned long long dims[5], strides[4];
    for (uint32_t d = 0; d < 5; ++d) {
      dims[d] = l.dims[d];
      if (d < 4)
        strides[d] = l.strides[d];
    }
    int swizzle = l.swizzle == 0    ? 0
                  : l.swizzle == 32 ? 1
                  : l.swizzle == 64 ? 2
                                    : 3;
    CUtensorMap &map = tensorMaps[mapIndex++];
    if (CUresult r = cu.cuTensorMapEncodeTiled(
            &map, tensorMapDataType(slice.dtype), l.rank,
            reinterpret_cast<void *>(bufferAddress(slice.source)), dims,
            strides, l.box, elementStrides, CU_TENSOR_MAP_INTERLEAVE_NONE,
            swizzle, CU_TENSOR_MAP_L2_PROMOTION_L2_128B,
            l.oobNan ? CU_TENSOR_MAP_FLOAT_OOB_FILL_NAN_REQUEST_ZERO_FMA
                     : CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE))
      return driverError("cuTensorMapEncodeTiled", r,
                         " (tensor map '" + slice.name + "')");
    if (CUresult r =
            cu.cuMemcpyHtoDAsync(bufferAddress(i), &map, sizeof(map), stream))
      return driverError("cuMemcpyHtoDAsync", r,
                         " (tensor map '" + slice.name + "')");
  }

  // Host memory for the outputs and the fault status.
  std::vector<size_t> offsets;
  size_t total = 0;
  for (const TensorSignature &sig : model.outputs) {
    offsets.push_back(total);
    // Output sizes come from the artifact: the sum must not wrap around.
    if (sig.numBytes > SIZE_MAX - 128 - total)
      return setError(MELD_ERROR_OUT_OF_MEMORY,
                      "cannot allocate host memory for the outputs: they "
                      "need more bytes than the address space has");
    total += (sig.numBytes + 63) / 64 * 64;
  }
  size_t statusOffset = total;
  if (model.plan.hasStatus())
    total += 64;
  uint8_t *base = nullptr;
  if (total && cu.cuMemAllocHost(&pinned, total) == CUDA_SUCCESS) {
    base = static_cast<uint8_t *>(pinned);
  } else {
    pinned = nullptr;
    hostOutputs.reset(static_cast<uint8_t *>(calloc(total + 64, 1)));
    if (!hostOutputs)
      return setError(MELD_ERROR_OUT_OF_MEMORY,
                      "cannot allocate " + std::to_string(total) +
                          " bytes of host memory for the outputs");
    base = hostOutputs.get();
  }
  for (size_t offset : offsets)
    outputs.push_back(base + offset);
  if (model.plan.hasStatus())
    hostStatus = reinterpret_cast<int64_t *>(base + statusOffset);

  // The kernel parameters, now that the buffers have addresses; then the
  // pointers to them, once the vectors no longer move.
  for (ResolvedLaunch &launch : launches)
    for (uint32_t arg : model.plan.launches[launch.planIndex].args)
      launch.values.push_back(bufferAddress(arg));
  for (ResolvedLaunch &launch : launches)
    for (CUdeviceptr &value : launch.values)
      launch.params.push_back(&value);

  // Weights and poison are in place before the first run.
  if (CUresult r = cu.cuStreamSynchronize(stream))
    return driverError("cuStreamSynchronize", r,
                       " (copying the weights to " + deviceName() + ")");
  return MELD_OK;
}

meld_status CudaBackend::init() {
  syncEachLaunch = envFlag("MELD_CUDA_SYNC");
  const char *graphs = getenv("MELD_CUDA_GRAPHS");
  useGraphs = cu.hasGraphs() && !syncEachLaunch &&
              !(graphs && strcmp(graphs, "0") == 0);
  if (meld_status s = queryDevice())
    return s;
  if (CUresult r = cu.cuDevicePrimaryCtxRetain(&context, device))
    return driverError("cuDevicePrimaryCtxRetain", r,
                       " (" + deviceName() + ")");
  retained = true;
  ContextScope scope(*this);
  if (scope.result)
    return driverError("cuCtxPushCurrent", scope.result);
  if (!model.plan.launches.empty()) {
    if (meld_status s = loadModule())
      return s;
    if (meld_status s = resolveLaunches())
      return s;
  }
  return allocate();
}

meld_status CudaBackend::launchAll() {
  for (ResolvedLaunch &launch : launches) {
    const LaunchPlan &plan = model.plan.launches[launch.planIndex];
    if (plan.numPrograms == 0)
      continue;
    if (CUresult r = cu.cuLaunchKernel(
            launch.fn, launch.grid[0], launch.grid[1], launch.grid[2],
            launch.block[0], launch.block[1], launch.block[2],
            launch.sharedMemoryBytes, stream,
            launch.params.empty() ? nullptr : launch.params.data(), nullptr))
      return driverError("cuLaunchKernel", r,
                         " (" + describeLaunch(launch.planIndex, plan) +
                             ", grid " + dims(launch.grid) + ", block " +
                             dims(launch.block) + ", " +
                             std::to_string(launch.sharedMemoryBytes) +
                             " bytes of dynamic shared memory)");
    if (syncEachLaunch)
      if (CUresult r = cu.cuStreamSynchronize(stream))
        return driverError("cuStreamSynchronize", r,
                           " (after " + describeLaunch(launch.planIndex, plan) +
                               ")");
  }
  return MELD_OK;
}

meld_status CudaBackend::captureGraph() {
  if (CUresult r =
          cu.cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL))
    return driverError("cuStreamBeginCapture", r,
                       " (capturing the kernel launches as a graph; "
                       "MELD_CUDA_GRAPHS=0 launches them one by one)");
  meld_status launched = launchAll();
  CUgraph captured = nullptr;
  CUresult ended = cu.cuStreamEndCapture(stream, &captured);
  if (launched) {
    if (captured)
      cu.cuGraphDestroy(captured);
    return launched;
  }
  if (ended)
    return driverError("cuStreamEndCapture", ended,
                       " (capturing the kernel launches as a graph; "
                       "MELD_CUDA_GRAPHS=0 launches them one by one)");
  CUresult r = cu.cuGraphInstantiateWithFlags(&graph, captured, 0);
  cu.cuGraphDestroy(captured);
  if (r) {
    graph = nullptr;
    return driverError("cuGraphInstantiateWithFlags", r,
                       " (the graph of the kernel launches; "
                       "MELD_CUDA_GRAPHS=0 launches them one by one)");
  }
  return MELD_OK;
}

meld_status CudaBackend::runImpl(const std::vector<const void *> &inputs,
                                 double *milliseconds) {
  ContextScope scope(*this);
  if (scope.result)
    return driverError("cuCtxPushCurrent", scope.result);
  if (milliseconds) {
    for (CUevent *event : {&startEvent, &stopEvent}) {
      if (*event)
        continue;
      if (CUresult r = cu.cuEventCreate(event, CU_EVENT_DEFAULT)) {
        *event = nullptr;
        return driverError("cuEventCreate", r, " (timing the run)");
      }
    }
  }
  for (size_t i = 0; i < model.inputs.size(); ++i) {
    const TensorSignature &sig = model.inputs[i];
    if (!sig.numBytes)
      continue;
    if (CUresult r =
            cu.cuMemcpyHtoDAsync(bufferAddress(model.plan.inputBuffers[i]),
                                 inputs[i], sig.numBytes, stream))
      return driverError("cuMemcpyHtoDAsync", r, " (input '" + sig.name + "')");
  }
  // The fault status starts each run at zero; it comes back with the
  // outputs, one small copy after the last launch (no synchronisation per
  // launch).
  CUdeviceptr status = 0;
  if (model.plan.hasStatus()) {
    status = bufferAddress(static_cast<uint32_t>(model.plan.statusBuffer));
    if (CUresult r = cu.cuMemsetD8Async(status, 0, kStatusBytes, stream))
      return driverError("cuMemsetD8Async", r, " (the fault status)");
  }
  // The capture (host work only) stays outside the timed region.
  if (useGraphs && !graph && !launches.empty())
    if (meld_status s = captureGraph())
      return s;
  if (milliseconds)
    if (CUresult r = cu.cuEventRecord(startEvent, stream))
      return driverError("cuEventRecord", r, " (before the first launch)");
  if (graph) {
    if (CUresult r = cu.cuGraphLaunch(graph, stream))
      return driverError("cuGraphLaunch", r,
                         " (the graph of the " +
                             std::to_string(launches.size()) +
                             " kernel launches)");
  } else if (meld_status s = launchAll()) {
    return s;
  }
  if (milliseconds)
    if (CUresult r = cu.cuEventRecord(stopEvent, stream))
      return driverError("cuEventRecord", r, " (after the last launch)");
  for (size_t i = 0; i < model.outputs.size(); ++i) {
    const TensorSignature &sig = model.outputs[i];
    if (!sig.numBytes)
      continue;
    if (CUresult r = cu.cuMemcpyDtoHAsync(
            outputs[i], bufferAddress(model.plan.outputBuffers[i]),
            sig.numBytes, stream))
      return driverError("cuMemcpyDtoHAsync", r,
                         " (output '" + sig.name + "')");
  }
  if (status)
    if (CUresult r =
            cu.cuMemcpyDtoHAsync(hostStatus, status, kStatusBytes, stream))
      return driverError("cuMemcpyDtoHAsync", r, " (the fault status)");
  if (CUresult r = cu.cuStreamSynchronize(stream))
    return driverError(
        "cuStreamSynchronize", r,
        syncEachLaunch || launches.empty()
            ? std::string(" (copying the outputs)")
            : " (an error of one of the " + std::to_string(launches.size()) +
                  " kernel launches; run with MELD_CUDA_SYNC=1 to find "
                  "which)");
  if (milliseconds) {
    // Both events are complete once the stream is.
    float elapsed = 0;
    if (CUresult r = cu.cuEventElapsedTime(&elapsed, startEvent, stopEvent))
      return driverError("cuEventElapsedTime", r, " (timing the run)");
    *milliseconds = elapsed;
  }
  if (hostStatus)
    return model.checkFaults(model.plan, hostStatus);
  return MELD_OK;
}

} // namespace

bool parseCudaTarget(const std::string &target, int &arch, char &suffix) {
  if (target.size() < 4 || target.compare(0, 3, "sm_") != 0)
    return false;
  size_t end = 3;
  int value = 0;
  while (end < target.size() && end < 7 && target[end] >= '0' &&
         target[end] <= '9')
    value = value * 10 + (target[end++] - '0');
  if (end == 3)
    return false;
  suffix = 0;
  if (end < target.size()) {
    if (end + 1 != target.size() || (target[end] != 'a' && target[end] != 'f'))
      return false;
    suffix = target[end];
  }
  arch = value;
  return true;
}

const KernelModuleRef *selectCudaModule(const Model &model, int deviceArch,
                                        bool ptxOnly) {
  // Among equal architectures prefer 'a' (all features) over 'f' over plain.
  auto rank = [](char suffix) {
    return suffix == 'a' ? 2 : suffix == 'f' ? 1 : 0;
  };
  const KernelModuleRef *exactCubin = nullptr, *ptx = nullptr,
                        *compatibleCubin = nullptr;
  int exactRank = -1, ptxArch = -1, ptxRank = -1, compatArch = -1;
  for (const KernelModuleRef &m : model.modules) {
    int arch;
    char suffix;
    if (!parseCudaTarget(m.target, arch, suffix))
      continue;
    bool sameMajor = arch / 10 == deviceArch / 10 && arch <= deviceArch;
    if (m.format == "cubin" && !ptxOnly) {
      if (arch == deviceArch && rank(suffix) > exactRank) {
        exactCubin = &m;
        exactRank = rank(suffix);
      } else if (arch != deviceArch && suffix != 'a' && sameMajor &&
                 arch > compatArch) {
        compatibleCubin = &m;
        compatArch = arch;
      }
    } else if (m.format == "ptx") {
      bool runs = suffix == 'a'   ? arch == deviceArch
                  : suffix == 'f' ? sameMajor
                                  : arch <= deviceArch;
      if (runs &&
          (arch > ptxArch || (arch == ptxArch && rank(suffix) > ptxRank))) {
        ptx = &m;
        ptxArch = arch;
        ptxRank = rank(suffix);
      }
    }
  }
  if (exactCubin)
    return exactCubin;
  if (ptx)
    return ptx;
  return compatibleCubin;
}

meld_status createCudaBackend(const Model &model, int ordinal,
                              std::unique_ptr<Backend> &result) {
  const DriverApi *api;
  if (meld_status s = loadDriver(api))
    return s;
  std::unique_ptr<CudaBackend> backend(new CudaBackend(model, *api, ordinal));
  if (meld_status s = backend->init())
    return s;
  result = std::move(backend);
  return MELD_OK;
}

} // namespace rt
} // namespace meld
