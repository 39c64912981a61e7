//===- artifact.cpp - Fuzz target: the runtime's artifact reader ----------===//
//
// Bytes -> meld::rt::Model::loadFromMemory (header, checksums, FlatBuffers
// verification, plan checks), then everything a backend reads from a loaded
// model: each signature, buffer, launch and module, and the bytes of each
// weight in the weights section. Each input is loaded twice: as it is, and
// with the header's file size and both checksums made to match, so that the
// fuzzer's changes to the metadata reach the checks past the checksums.
// Kernel modules are never loaded: an artifact's code is trusted by design
// (docs/Runtime.md), its plan is not.
//
//===----------------------------------------------------------------------===//

#include "Model.h"

#include "meld/artifact_format.h"

#include <cstdlib>
#include <cstring>
#include <vector>
#include <zlib.h>

namespace {

/// Reads every byte of `size` at `data` (an overread shows under ASan).
uint8_t touch(const uint8_t *data, uint64_t size) {
  uint8_t sum = 0;
  for (uint64_t i = 0; i < size; ++i)
    sum += data[i];
  return sum;
}

void loadAndWalk(const uint8_t *data, size_t size) {
  std::unique_ptr<meld::rt::Model> model;
  if (meld::rt::Model::loadFromMemory(data, size, "fuzz.meld", model) !=
      MELD_OK)
    return;
  volatile uint8_t sink = 0;
  // Both plans, the host's packed weights made first.
  if (model->prepareHostPlan() != MELD_OK)
    return;
  for (const meld::rt::Plan *plan : {&model->plan, model->hostPlan.get()}) {
    if (!plan)
      continue;
    for (auto [sigs, buffers] :
         {std::make_pair(&model->inputs, &plan->inputBuffers),
          std::make_pair(&model->outputs, &plan->outputBuffers)})
      for (size_t i = 0; i < sigs->size(); ++i)
        if ((*buffers)[i] >= plan->buffers.size() ||
            plan->buffers[(*buffers)[i]].size < (*sigs)[i].numBytes)
          abort();
    for (uint32_t i = 0; i < plan->buffers.size(); ++i) {
      const meld::rt::BufferSlice &slice = plan->buffers[i];
      if (slice.isWeight &&
          (model->inSection(slice) || !model->weightsExternal))
        sink = sink + touch(model->weightAddress(*plan, i), slice.size);
    }
    for (const meld::rt::LaunchPlan &launch : plan->launches)
      for (uint32_t arg : launch.args)
        if (arg >= plan->buffers.size())
          abort();
  }
  for (const meld::rt::KernelModuleRef &module : model->modules) {
    sink = sink + touch(module.data, module.size);
    (void)model->findModule(module.target, module.format);
  }
  (void)model->describeModules();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  loadAndWalk(data, size);
  if (size < MELD_ARTIFACT_HEADER_SIZE)
    return 0;
  std::vector<uint8_t> fixed(data, data + size);
  meld_artifact_header header;
  memcpy(&header, fixed.data(), sizeof(header));
  header.file_size = size;
  auto crcOf = [&](uint64_t offset, uint64_t length, uint32_t &crc) {
    if (offset > size || length > size - offset || length > UINT32_MAX)
      return;
    crc = static_cast<uint32_t>(crc32(0L, fixed.data() + offset,
                                      static_cast<uInt>(length)));
  };
  crcOf(header.metadata_offset, header.metadata_size, header.metadata_crc32);
  crcOf(header.weights_offset, header.weights_size, header.weights_crc32);
  memcpy(fixed.data(), &header, sizeof(header));
  loadAndWalk(fixed.data(), fixed.size());
  return 0;
}
