//===- Model.h - A loaded and verified Meld artifact ------------*- C++ -*-===//
//
// The artifact reader: maps a .meld file, checks its header, checksums and
// FlatBuffer, and copies the plan (signatures, buffers, launches) into plain
// structs whose every index has been range-checked, so backends never touch
// unverified data. Kernel module bytes and weights stay in the mapping.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_RUNTIME_LIB_MODEL_H
#define MELD_RUNTIME_LIB_MODEL_H

#include "meld/artifact_generated.h"
#include "meld/panels.h"
#include "meld/runtime.h"
#include "meld/tensor_map.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace meld {
namespace rt {

/// A graph input or output.
struct TensorSignature {
  std::string name;
  meld_dtype dtype;
  std::vector<int64_t> shape;
  /// product(shape) * element size.
  uint64_t numBytes;
};

/// A slice of the arena or of the weights section.
struct BufferSlice {
  /// Read-only data: a weight (BufferKind Weight) or a constant the graph
  /// defines (BufferKind Constant). Not in the arena.
  bool isWeight;
  /// A constant (BufferKind Constant): always in the artifact's weights
  /// section, also when the weights are external.
  bool isConstant = false;
  /// The run's fault status (BufferKind Status): 24 bytes of the arena,
  /// zeroed before each run, read after it (see Model::checkFaults).
  bool isStatus = false;
  /// A weight the model packs from buffer `source` in `panels` (BufferKind
  /// Packed): from an external weight when it loads them, or, in a host
  /// plan of an artifact holding its weights, from a buffer of the weights
  /// section when the host plan is first used (Model::prepareHostPlan).
  bool isPacked = false;
  uint32_t source = 0;
  PanelsLayout panels;
  /// A TMA tensor map of buffer `source` (BufferKind TensorMap): 128 bytes
  /// of the arena each backend fills with `tensorMap` of that buffer when it
  /// allocates the arena.
  bool isTensorMap = false;
  TensorMapLayout tensorMap;
  uint64_t offset;
  uint64_t size;
  std::string name;
  /// The buffer's element type and shape as the artifact records them (raw
  /// schema value: checked against meld_dtype only for external weights).
  uint32_t dtype = 0;
  std::vector<int64_t> shape;
};

/// One kernel launch.
struct LaunchPlan {
  std::string kernel;
  uint32_t grid[3];
  uint32_t block[3];
  uint32_t sharedMemoryBytes;
  /// Indices into its plan's buffers.
  std::vector<uint32_t> args;
  /// "node (OpType)" for messages.
  std::string location;
  /// grid[0] * grid[1] * grid[2] (checked not to overflow int64).
  int64_t numPrograms;
};

/// Bytes of the fault status: three int64 (recorded, site, detail).
constexpr uint64_t kStatusBytes = 3 * sizeof(int64_t);
/// Bytes of a tensor map (BufferKind TensorMap): a CUtensorMap.
constexpr uint64_t kTensorMapBytes = 128;

/// A place where a kernel can meet a fault in its data.
struct FaultSite {
  uint32_t site;
  std::string node;
  std::string opType;
  /// "{}" stands for the detail.
  std::string message;
};

/// A launch plan: the buffers its launches and the signatures index, its
/// arena, launches and fault sites. An artifact has one (Model::plan), and
/// with GPU targets a second of its own for the host (Model::hostPlan).
struct Plan {
  std::vector<BufferSlice> buffers;
  std::vector<LaunchPlan> launches;
  uint64_t arenaSize = 0;
  /// Index into `buffers` of the fault status, -1 when there is none.
  int64_t statusBuffer = -1;
  /// The fault sites, by their site ids.
  std::vector<FaultSite> faultSites;
  /// The buffer of each of Model::inputs and Model::outputs.
  std::vector<uint32_t> inputBuffers;
  std::vector<uint32_t> outputBuffers;
  /// Bytes of the space the packed buffers index in an artifact that holds
  /// its weights (a host plan's).
  uint64_t packedSize = 0;

  /// Whether the plan has a fault status (some kernel can fault).
  bool hasStatus() const { return statusBuffer >= 0; }
};

/// A kernel module: code for one target, in the mapping.
struct KernelModuleRef {
  std::string target;
  std::string format;
  const uint8_t *data;
  size_t size;
};

/// A loaded artifact. Immutable after load.
class SafetensorsFile;

class Model {
public:
  /// Loads and verifies `path`. On failure sets the thread's error and
  /// returns its code.
  static meld_status load(const char *path, std::unique_ptr<Model> &result);

  /// Verifies the artifact in the `size` bytes at `data`, named `name` in
  /// messages, which must stay valid and unchanged as long as the model (the
  /// kernel modules and weights are used in place). On failure sets the
  /// thread's error and returns its code.
  static meld_status loadFromMemory(const uint8_t *data, uint64_t size,
                                    const std::string &name,
                                    std::unique_ptr<Model> &result);

  ~Model();
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;

  /// Returns the module with this target and format, or nullptr.
  const KernelModuleRef *findModule(const std::string &target,
                                    const std::string &format) const;

  /// Describes the modules as "'host' (elf-shared-object), ..." for messages.
  std::string describeModules() const;

  /// Base of the weights section in memory (valid while the model lives): the
  /// embedded weights and the constants; external weights are elsewhere and
  /// need not be contiguous: backends use weightAddress.
  const uint8_t *weights() const { return weightsBase; }

  /// Host address of weight buffer `buffer` of `plan` (an index into its
  /// buffers whose isWeight is set): in the artifact's weights section, or,
  /// for external weights, in the mapped safetensors file or the model's
  /// aligned copy, or for packed ones in their copy. Null for external
  /// weights not loaded yet, and for packed ones not packed yet.
  const uint8_t *weightAddress(const Plan &plan, uint32_t buffer) const {
    if (inSection(plan.buffers[buffer]))
      return weightsBase + plan.buffers[buffer].offset;
    const std::vector<const uint8_t *> &made =
        &plan == hostPlan.get() ? hostAddresses : externalWeights;
    return buffer < made.size() ? made[buffer] : nullptr;
  }

  /// Whether read-only buffer `slice` lies in the artifact's weights section
  /// (embedded weights and every constant), rather than in external weights
  /// or among the packed ones.
  bool inSection(const BufferSlice &slice) const {
    return slice.isConstant || (!weightsExternal && !slice.isPacked);
  }

  /// The plan the host runs: its own, or the only one.
  const Plan &planForHost() const { return hostPlan ? *hostPlan : plan; }

  /// Makes the host plan's packed weights in an artifact that holds its
  /// weights, once (from any thread; later calls wait for the first). On
  /// failure sets the thread's error and returns its code, every time.
  meld_status prepareHostPlan() const;

  /// Whether read-only buffer `slice` is a tensor of the external weights
  /// file (found there by name).
  bool isInWeightsFile(const BufferSlice &slice) const {
    return slice.isWeight && !slice.isPacked && !inSection(slice);
  }

  /// Whether the weights are ready: embedded, or external and loaded.
  bool hasWeights() const { return !weightsExternal || externalLoaded; }

  /// Loads the external weights from the safetensors file at `path`,
  /// checking that every weight buffer's name is in it with the artifact's
  /// dtype and shape. Tensors aligned to kWeightAlignment are used in place
  /// from the file mapping, others are copied; packed weights are packed
  /// from them. On failure sets the thread's error, returns its code and
  /// leaves the model without weights.
  meld_status loadExternalWeights(const std::string &path);

  /// Reads the fault status of a run of `plan` (three int64: non-zero when a
  /// fault was recorded, its site, its detail). MELD_OK when no fault
  /// happened; otherwise sets the thread's error to the site's one-line
  /// message, "node 'NODE' (OpType): MESSAGE" with the detail in place of
  /// "{}", and returns MELD_ERROR_DATA.
  meld_status checkFaults(const Plan &plan, const int64_t status[3]) const;

  /// Alignment under which an external weight is used in place.
  static constexpr uint64_t kWeightAlignment = 64;

  std::string path;
  std::string producer;
  std::vector<TensorSignature> inputs;
  std::vector<TensorSignature> outputs;
  /// The plan of every backend, but the host's when `hostPlan` is set.
  Plan plan;
  /// The host's own plan, when the artifact has one.
  std::unique_ptr<Plan> hostPlan;
  std::vector<KernelModuleRef> modules;
  /// Size of the space weight offsets index: the weights section, or with
  /// external weights the external weights.
  uint64_t weightsSize = 0;
  /// Size of the weights section in the file (with external weights, the
  /// constants only; else weightsSize).
  uint64_t sectionSize = 0;
  /// The artifact was compiled with --weights=external.
  bool weightsExternal = false;
  /// With external weights, the initializers meldc baked into the kernels:
  /// a tensor of the weights file with one of these names must hold these
  /// bytes (loadExternalWeights refuses the file otherwise).
  struct BakedInitializer {
    std::string name;
    uint32_t dtype = 0;
    std::vector<int64_t> shape;
    std::vector<uint8_t> data;
  };
  std::vector<BakedInitializer> baked;

private:
  Model() = default;
  meld_status verifyAndCopy(const uint8_t *metadata, uint64_t size);
  /// Verifies one plan of the artifact (its buffers, arena, launches, fault
  /// sites and the buffers of the signatures, which are read first) and
  /// copies it into `result`; `host` is the host plan's table, null for
  /// the main plan.
  meld_status readPlan(
      const flatbuffers::Vector<flatbuffers::Offset<artifact::Buffer>> *bufs,
      uint64_t arenaSize,
      const flatbuffers::Vector<flatbuffers::Offset<artifact::Launch>> *ls,
      const flatbuffers::Vector<flatbuffers::Offset<artifact::FaultSite>>
          *faults,
      const std::vector<uint32_t> &inputBuffers,
      const std::vector<uint32_t> &outputBuffers,
      const artifact::HostPlan *host, Plan &result);

  void *mapping = nullptr;
  size_t mappingSize = 0;
  const uint8_t *weightsBase = nullptr;

  /// External weights: the mapped file, the copies of tensors that are not
  /// aligned and the packed weights (an anonymous mapping), and each weight
  /// buffer's address.
  std::unique_ptr<SafetensorsFile> weightsFile;
  void *weightsCopy = nullptr;
  size_t weightsCopySize = 0;
  std::vector<const uint8_t *> externalWeights;
  bool externalLoaded = false;

  /// The host plan's buffers' addresses outside the weights section
  /// (external weights, packed ones), and the packed weights of an artifact
  /// holding its weights, made once by prepareHostPlan.
  mutable std::vector<const uint8_t *> hostAddresses;
  mutable void *hostPacked = nullptr;
  mutable size_t hostPackedSize = 0;
  mutable std::once_flag hostPrepared;
  mutable meld_status hostStatus = MELD_OK;
  mutable std::string hostError;
};

} // namespace rt
} // namespace meld

#endif // MELD_RUNTIME_LIB_MODEL_H
