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

#include "meld/runtime.h"

#include <cstdint>
#include <memory>
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
  /// Index into Model::buffers.
  uint32_t buffer;
};

/// A slice of the arena or of the weights section.
struct BufferSlice {
  bool isWeight;
  uint64_t offset;
  uint64_t size;
  std::string name;
};

/// One kernel launch.
struct LaunchPlan {
  std::string kernel;
  uint32_t grid[3];
  uint32_t block[3];
  uint32_t sharedMemoryBytes;
  /// Indices into Model::buffers.
  std::vector<uint32_t> args;
  /// "node (OpType)" for messages.
  std::string location;
  /// grid[0] * grid[1] * grid[2] (checked not to overflow int64).
  int64_t numPrograms;
};

/// A kernel module: code for one target, in the mapping.
struct KernelModuleRef {
  std::string target;
  std::string format;
  const uint8_t *data;
  size_t size;
};

/// A loaded artifact. Immutable after load.
class Model {
public:
  /// Loads and verifies `path`. On failure sets the thread's error and
  /// returns its code.
  static meld_status load(const char *path, std::unique_ptr<Model> &result);

  ~Model();
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;

  /// Returns the module with this target and format, or nullptr.
  const KernelModuleRef *findModule(const std::string &target,
                                    const std::string &format) const;

  /// Describes the modules as "'host' (elf-shared-object), ..." for messages.
  std::string describeModules() const;

  /// Base of the weights section in memory (valid while the model lives).
  const uint8_t *weights() const { return weightsBase; }

  std::string path;
  std::string producer;
  std::vector<TensorSignature> inputs;
  std::vector<TensorSignature> outputs;
  std::vector<BufferSlice> buffers;
  std::vector<LaunchPlan> launches;
  std::vector<KernelModuleRef> modules;
  uint64_t arenaSize = 0;
  uint64_t weightsSize = 0;

private:
  Model() = default;
  meld_status verifyAndCopy(const uint8_t *metadata, uint64_t size);

  void *mapping = nullptr;
  size_t mappingSize = 0;
  const uint8_t *weightsBase = nullptr;
};

} // namespace rt
} // namespace meld

#endif // MELD_RUNTIME_LIB_MODEL_H
