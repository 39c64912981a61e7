//===- Artifact.h - Writing Meld artifacts (.meld) --------------*- C++ -*-===//
//
// The compiler side of the artifact contract (docs/Artifact.md): plain structs
// mirroring runtime/schema/artifact.fbs, and writeArtifact, which lays out the
// header, the FlatBuffer metadata and the weights section, streaming weights
// to the file so multi-GB models are never held twice in memory.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_TARGET_ARTIFACT_H
#define MELD_TARGET_ARTIFACT_H

#include "meld/panels.h"
#include "meld/tensor_map.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
class raw_pwrite_stream;
} // namespace llvm

namespace meld {

/// Element types; the values are those of the schema's DType and of the
/// runtime's meld_dtype.
enum class ArtifactDType : uint8_t {
  F32 = 0,
  F16 = 1,
  BF16 = 2,
  F64 = 3,
  I64 = 4,
  I32 = 5,
  I8 = 6,
  U8 = 7,
  Bool = 8,
};

/// Size in bytes of one element of `dtype`.
size_t getArtifactDTypeSize(ArtifactDType dtype);

/// Where a buffer lives: a slice of the per-session arena, a model parameter
/// (in the weights section, or found by name in an external weights file), a
/// constant the graph defines (always in the weights section), or the run's
/// fault status (in the arena; zeroed before each run and read after it),
/// or an external weight in panels the runtime packs when it loads the
/// weights.
enum class ArtifactBufferKind : uint8_t {
  Arena = 0,
  Weight = 1,
  Constant = 2,
  Status = 3,
  Packed = 4,
  TensorMap = 5
};

/// How the runtime makes a Packed buffer (schema table Panels): `layout` of
/// buffer `source`, an earlier Weight buffer.
struct ArtifactPanels {
  uint32_t source = 0;
  PanelsLayout layout;
};

/// The map of a TensorMap buffer (schema table TensorMap): `layout` of
/// buffer `tensor`, an earlier buffer.
struct ArtifactTensorMap {
  uint32_t tensor = 0;
  TensorMapLayout layout;
};

/// Bytes and alignment of a TensorMap buffer (a CUtensorMap).
inline constexpr uint64_t kArtifactTensorMapBytes = 128;
inline constexpr uint64_t kArtifactTensorMapAlignment = 64;

/// Bytes of the fault status buffer, three int64: non-zero once a data fault
/// was recorded, the fault's site, its detail.
inline constexpr uint64_t kArtifactStatusBytes = 24;

/// A tensor the kernels read or write (schema table Buffer).
struct ArtifactBuffer {
  ArtifactBufferKind kind = ArtifactBufferKind::Arena;
  /// Byte offset into the arena or the weights section.
  uint64_t offset = 0;
  /// Size in bytes.
  uint64_t size = 0;
  ArtifactDType dtype = ArtifactDType::F32;
  llvm::SmallVector<int64_t> shape;
  /// ONNX name (initializer name for weights, value name for activations).
  std::string name;
  /// Set for (and only for) a Packed buffer.
  std::optional<ArtifactPanels> panels;
  /// Set for (and only for) a TensorMap buffer.
  std::optional<ArtifactTensorMap> tensorMap;
};

/// A graph input or output (schema table TensorSignature).
struct ArtifactTensor {
  std::string name;
  ArtifactDType dtype = ArtifactDType::F32;
  llvm::SmallVector<int64_t> shape;
  /// Index into ArtifactSpec::buffers (an arena buffer for inputs).
  uint32_t buffer = 0;
};

/// The code of all kernels for one target (schema table KernelModule).
struct ArtifactKernelModule {
  /// "host", "sm_80", "sm_90a", ...
  std::string target;
  /// "elf-shared-object", "ptx", "cubin".
  std::string format;
  std::vector<uint8_t> data;
};

/// One kernel launch, in program order (schema table Launch).
struct ArtifactLaunch {
  std::string kernel;
  std::array<uint32_t, 3> grid = {1, 1, 1};
  std::array<uint32_t, 3> block = {1, 1, 1};
  uint32_t sharedMemoryBytes = 0;
  /// Indices into ArtifactSpec::buffers, in the kernel's argument order.
  llvm::SmallVector<uint32_t> args;
  /// "node name (OpType)" of the ONNX node(s) computed, for diagnostics.
  std::string location;
};

/// A place where a kernel can meet a fault in its data (schema table
/// FaultSite): the runtime reports `node 'NODE' (OP_TYPE): MESSAGE`, "{}" in
/// the message standing for the detail the kernel recorded.
struct ArtifactFaultSite {
  uint32_t site = 0;
  std::string node;
  std::string opType;
  std::string message;
};

/// A one-element float initializer whose value the kernels hold, in an
/// artifact with external weights (schema table BakedInitializer): the
/// runtime refuses a weights file whose tensor of this name differs.
struct ArtifactBakedInitializer {
  std::string name;
  ArtifactDType dtype = ArtifactDType::F32;
  llvm::SmallVector<int64_t> shape;
  std::vector<uint8_t> data;
};

/// The bytes of one weight, placed at `offset` in the weights section. Give
/// either `data` (bytes already in memory, e.g. an mmapped ONNX file, which
/// must stay alive until writeArtifact returns) or `write`, a callback that
/// streams exactly `size` bytes to the stream it is given.
struct ArtifactWeight {
  std::string name;
  uint64_t offset = 0;
  uint64_t size = 0;
  llvm::ArrayRef<uint8_t> data;
  std::function<llvm::Error(llvm::raw_ostream &os)> write;
};

/// The host's own launch plan in an artifact with GPU targets (schema table
/// HostPlan): the same graph, tiled for the host, its weights in panels. Its
/// buffers are its own; read-only ones share their bytes in the weights
/// section (or the external weights' space) with the main plan's where the
/// data is the same. Packed buffers are made by the runtime, from a buffer
/// of the weights section into a space of `packedSize` bytes when the
/// artifact holds its weights, from an external weight otherwise.
struct ArtifactHostPlan {
  /// The buffer of each of ArtifactSpec::inputs and ::outputs, in order.
  std::vector<uint32_t> inputs;
  std::vector<uint32_t> outputs;
  std::vector<ArtifactBuffer> buffers;
  uint64_t arenaSize = 0;
  std::vector<ArtifactLaunch> launches;
  std::vector<ArtifactFaultSite> faultSites;
  uint64_t packedSize = 0;
};

/// Everything an artifact holds.
struct ArtifactSpec {
  std::string producer = "meldc";
  std::vector<ArtifactTensor> inputs;
  std::vector<ArtifactTensor> outputs;
  std::vector<ArtifactBuffer> buffers;
  /// Bytes of the activation arena.
  uint64_t arenaSize = 0;
  std::vector<ArtifactKernelModule> modules;
  std::vector<ArtifactLaunch> launches;
  /// The weights section: its size is the end of the last weight; gaps are
  /// zero-filled. Weights may not overlap.
  std::vector<ArtifactWeight> weights;
  /// Weights are not stored in the file (meldc --weights=external): `weights`
  /// then holds only the bytes of Constant buffers, and `externalWeightsSize`
  /// is the size of the space the Weight buffers' offsets index.
  bool weightsExternal = false;
  uint64_t externalWeightsSize = 0;
  /// With external weights, the initializers baked into the kernels.
  std::vector<ArtifactBakedInitializer> bakedInitializers;
  /// The kernels' fault sites; when there are any, one buffer is the Status.
  std::vector<ArtifactFaultSite> faultSites;
  /// The host's plan, when its kernels are not those of the main plan (an
  /// artifact with GPU targets): the host's kernel modules (every level
  /// of MELD_HOST_LEVELS) are then launched by it.
  std::optional<ArtifactHostPlan> hostPlan;
};

struct ArtifactWriteOptions {
  /// Check the spec's internal consistency (indices and byte ranges) before
  /// writing. Tests turn it off to produce invalid artifacts on purpose.
  bool verify = true;
};

/// Checks that every index of `spec` is in range, every buffer fits the arena
/// or the weights section, signatures match their buffers, weights do not
/// overlap, and fault sites are unique and have the one Status buffer.
/// writeArtifact calls it unless told not to.
llvm::Error verifyArtifactSpec(const ArtifactSpec &spec);

/// Writes the artifact of `spec` to `os`, from its current position (the
/// header is written last, with pwrite). Weight callbacks are invoked in
/// offset order, once each.
llvm::Error writeArtifact(const ArtifactSpec &spec, llvm::raw_pwrite_stream &os,
                          const ArtifactWriteOptions &options = {});

/// Writes `spec` to `path` (atomically: through a temporary file renamed on
/// success). Weight callbacks are invoked in offset order, once each.
llvm::Error writeArtifact(const ArtifactSpec &spec, llvm::StringRef path,
                          const ArtifactWriteOptions &options = {});

} // namespace meld

#endif // MELD_TARGET_ARTIFACT_H
