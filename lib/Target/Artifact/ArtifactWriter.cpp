//===- ArtifactWriter.cpp - Writing Meld artifacts (.meld) ----------------===//
//
// Lays out a .meld file (docs/Artifact.md):
//
//   [0, 64)                   meld_artifact_header (runtime/include/meld/
//                             artifact_format.h), written last
//   [64, 64 + metadata)       the FlatBuffer built from the ArtifactSpec
//   zeros up to a multiple of 4096
//   [weights_offset, end)     the weights, streamed in offset order
//
//===----------------------------------------------------------------------===//

#include "meld/Target/Artifact.h"

#include "meld/artifact_format.h"
#include "meld/artifact_generated.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <set>

using namespace meld;

static_assert(static_cast<int>(ArtifactDType::F32) == artifact::DType_f32 &&
                  static_cast<int>(ArtifactDType::F16) == artifact::DType_f16 &&
                  static_cast<int>(ArtifactDType::BF16) ==
                      artifact::DType_bf16 &&
                  static_cast<int>(ArtifactDType::F64) == artifact::DType_f64 &&
                  static_cast<int>(ArtifactDType::I64) == artifact::DType_i64 &&
                  static_cast<int>(ArtifactDType::I32) == artifact::DType_i32 &&
                  static_cast<int>(ArtifactDType::I8) == artifact::DType_i8 &&
                  static_cast<int>(ArtifactDType::U8) == artifact::DType_u8 &&
                  static_cast<int>(ArtifactDType::Bool) ==
                      artifact::DType_bool_,
              "ArtifactDType must mirror the schema's DType");
static_assert(static_cast<int>(ArtifactBufferKind::Arena) ==
                      artifact::BufferKind_Arena &&
                  static_cast<int>(ArtifactBufferKind::Weight) ==
                      artifact::BufferKind_Weight &&
                  static_cast<int>(ArtifactBufferKind::Constant) ==
                      artifact::BufferKind_Constant &&
                  static_cast<int>(ArtifactBufferKind::Status) ==
                      artifact::BufferKind_Status &&
                  static_cast<int>(ArtifactBufferKind::Packed) ==
                      artifact::BufferKind_Packed,
              "ArtifactBufferKind must mirror the schema's BufferKind");

size_t meld::getArtifactDTypeSize(ArtifactDType dtype) {
  switch (dtype) {
  case ArtifactDType::F32:
  case ArtifactDType::I32:
    return 4;
  case ArtifactDType::F16:
  case ArtifactDType::BF16:
    return 2;
  case ArtifactDType::F64:
  case ArtifactDType::I64:
    return 8;
  case ArtifactDType::I8:
  case ArtifactDType::U8:
  case ArtifactDType::Bool:
    return 1;
  }
  return 0;
}

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Size of the weights section in the file: the end of the last weight.
static uint64_t getWeightsSectionSize(const ArtifactSpec &spec) {
  uint64_t size = 0;
  for (const ArtifactWeight &weight : spec.weights)
    size = std::max(size, weight.offset + weight.size);
  return size;
}

/// The bytes of a tensor of `dtype` and `shape`, or nothing where a
/// dimension is negative.
static std::optional<uint64_t> getShapeBytes(ArtifactDType dtype,
                                             llvm::ArrayRef<int64_t> shape) {
  uint64_t bytes = getArtifactDTypeSize(dtype);
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    bytes *= static_cast<uint64_t>(d);
  }
  return bytes;
}

static bool rangeWithin(uint64_t offset, uint64_t size, uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

namespace {
/// What the checks read of a launch plan: the main plan's or the host plan's.
struct PlanView {
  llvm::ArrayRef<ArtifactBuffer> buffers;
  uint64_t arenaSize;
  llvm::ArrayRef<ArtifactLaunch> launches;
  llvm::ArrayRef<ArtifactFaultSite> faultSites;
  /// The buffer of each signature of the artifact.
  llvm::ArrayRef<uint32_t> inputs, outputs;
  /// The host plan's packed space; none in the main plan.
  std::optional<uint64_t> packedSize;
  /// Before each message: "" or "host plan: ".
  llvm::StringRef prefix;
};
} // namespace

/// Checks `plan`'s buffers, fault sites, signatures and launches; the
/// weights section of `spec` is `sectionSize` bytes.
static llvm::Error verifyPlan(const ArtifactSpec &spec, const PlanView &plan,
                              uint64_t sectionSize) {
  auto error = [&](const llvm::Twine &message) {
    return makeError(plan.prefix + message);
  };
  for (auto [i, buffer] : llvm::enumerate(plan.buffers)) {
    std::string what =
        ("buffer " + llvm::Twine(i) + " ('" + buffer.name + "')").str();
    if (getArtifactDTypeSize(buffer.dtype) == 0)
      return error(what + ": invalid dtype");
    bool isWeight = buffer.kind == ArtifactBufferKind::Weight ||
                    buffer.kind == ArtifactBufferKind::Packed;
    // A packed weight: panels of an earlier external weight, or in the host
    // plan of an artifact that holds its weights, of an earlier buffer of
    // the weights section, in the plan's packed space.
    bool isPacked = buffer.kind == ArtifactBufferKind::Packed;
    bool inPackedSpace = isPacked && !spec.weightsExternal;
    bool inSection = buffer.kind == ArtifactBufferKind::Constant ||
                     (isWeight && !spec.weightsExternal && !isPacked);
    if (isPacked != buffer.panels.has_value())
      return error(what + ": " +
                   (isPacked ? "a packed weight without panels"
                             : "panels on a buffer not packed"));
    if (isPacked) {
      const ArtifactPanels &panels = *buffer.panels;
      if (inPackedSpace && !plan.packedSize)
        return error(what + ": a packed weight in an artifact that holds its "
                            "weights");
      auto sourceKind = panels.source < i ? plan.buffers[panels.source].kind
                                          : ArtifactBufferKind::Arena;
      bool sourceOk = spec.weightsExternal
                          ? sourceKind == ArtifactBufferKind::Weight
                          : sourceKind == ArtifactBufferKind::Weight ||
                                sourceKind == ArtifactBufferKind::Constant;
      if (!sourceOk || plan.buffers[panels.source].dtype != buffer.dtype)
        return error(what + ": packs buffer " + llvm::Twine(panels.source) +
                     ", not an earlier weight of its dtype");
      std::string problem =
          checkPanels(panels.layout, getArtifactDTypeSize(buffer.dtype),
                      plan.buffers[panels.source].size, buffer.size);
      if (!problem.empty())
        return error(what + ": " + problem);
    }
    // A tensor map: of an earlier tensor, 16-byte aligned, that it reads
    // within; 128 bytes of the arena, 64-byte aligned.
    bool isTensorMap = buffer.kind == ArtifactBufferKind::TensorMap;
    if (isTensorMap != buffer.tensorMap.has_value())
      return error(what + ": " +
                   (isTensorMap ? "a tensor map without its layout"
                                : "a tensor map layout on another buffer"));
    if (isTensorMap) {
      const ArtifactTensorMap &map = *buffer.tensorMap;
      if (buffer.size != kArtifactTensorMapBytes ||
          buffer.offset % kArtifactTensorMapAlignment != 0)
        return error(what + ": a tensor map takes 128 bytes at a multiple of "
                            "64");
      auto tensorKind = map.tensor < i ? plan.buffers[map.tensor].kind
                                       : ArtifactBufferKind::TensorMap;
      if (tensorKind == ArtifactBufferKind::TensorMap ||
          tensorKind == ArtifactBufferKind::Status ||
          plan.buffers[map.tensor].offset % 16 != 0)
        return error(what + ": maps buffer " + llvm::Twine(map.tensor) +
                     ", not an earlier 16-byte aligned tensor");
      std::string problem =
          checkTensorMap(map.layout, getArtifactDTypeSize(buffer.dtype),
                         plan.buffers[map.tensor].size);
      if (!problem.empty())
        return error(what + ": " + problem);
    }
    // External weights are looked up by name and checked by dtype and shape
    // (runtime/lib/Model.cpp): those must describe the buffer exactly.
    if (isWeight && !isPacked && spec.weightsExternal) {
      if (buffer.name.empty())
        return error("buffer " + llvm::Twine(i) +
                     ": an external weight needs a name");
      uint64_t bytes = getArtifactDTypeSize(buffer.dtype);
      for (int64_t d : buffer.shape)
        bytes *= static_cast<uint64_t>(d);
      if (bytes != buffer.size)
        return error(what + ": an external weight of " + llvm::Twine(bytes) +
                     " bytes by its shape, with a size of " +
                     llvm::Twine(buffer.size));
    }
    uint64_t limit = inSection       ? sectionSize
                     : inPackedSpace ? *plan.packedSize
                     : isWeight      ? spec.externalWeightsSize
                                     : plan.arenaSize;
    if (!rangeWithin(buffer.offset, buffer.size, limit))
      return error(what + ": bytes [" + llvm::Twine(buffer.offset) + ", " +
                   llvm::Twine(buffer.offset + buffer.size) + ") exceed the " +
                   (inSection       ? "weights section"
                    : inPackedSpace ? "packed space"
                    : isWeight      ? "external weights"
                                    : "arena") +
                   " of " + llvm::Twine(limit) + " bytes");
  }

  // The fault status: at most one, of its fixed size, needed by the sites.
  int64_t statusBuffers = llvm::count_if(plan.buffers, [](const auto &b) {
    return b.kind == ArtifactBufferKind::Status;
  });
  if (statusBuffers > 1)
    return error("there are " + llvm::Twine(statusBuffers) +
                 " fault status buffers; at most one is allowed");
  for (auto [i, buffer] : llvm::enumerate(plan.buffers))
    if (buffer.kind == ArtifactBufferKind::Status &&
        (buffer.size != kArtifactStatusBytes ||
         buffer.dtype != ArtifactDType::I64))
      return error("buffer " + llvm::Twine(i) +
                   ": the fault status must be 24 bytes of i64");
  if (!plan.faultSites.empty() && statusBuffers == 0)
    return error("fault sites without a fault status buffer");
  std::set<uint32_t> sites;
  for (const ArtifactFaultSite &site : plan.faultSites)
    if (site.site == 0 || !sites.insert(site.site).second)
      return error("fault site " + llvm::Twine(site.site) +
                   " is zero or appears twice");

  auto checkSignatures = [&](llvm::ArrayRef<ArtifactTensor> tensors,
                             llvm::ArrayRef<uint32_t> bufferOf,
                             llvm::StringRef kind) -> llvm::Error {
    if (bufferOf.size() != tensors.size())
      return error("binds " + llvm::Twine(bufferOf.size()) +
                   " buffers to the " + llvm::Twine(tensors.size()) + " " +
                   kind + "s");
    std::set<std::string> names;
    for (auto [i, tensor] : llvm::enumerate(tensors)) {
      if (tensor.name.empty())
        return error(kind + " " + llvm::Twine(i) + " has no name");
      if (!names.insert(tensor.name).second)
        return error(kind + " '" + tensor.name + "' appears twice");
      if (bufferOf[i] >= plan.buffers.size())
        return error(kind + " '" + tensor.name + "': buffer index " +
                     llvm::Twine(bufferOf[i]) + " out of range");
      const ArtifactBuffer &buffer = plan.buffers[bufferOf[i]];
      if (kind == "input" && buffer.kind != ArtifactBufferKind::Arena)
        return error("input '" + tensor.name +
                     "' must live in an arena buffer");
      if (getArtifactDTypeSize(tensor.dtype) == 0)
        return error(kind + " '" + tensor.name + "': invalid dtype");
      std::optional<uint64_t> shapeBytes =
          getShapeBytes(tensor.dtype, tensor.shape);
      if (!shapeBytes)
        return error(kind + " '" + tensor.name + "': negative dimension");
      uint64_t bytes = *shapeBytes;
      if (buffer.size < bytes)
        return error(kind + " '" + tensor.name + "' needs " +
                     llvm::Twine(bytes) + " bytes, its buffer has " +
                     llvm::Twine(buffer.size));
    }
    return llvm::Error::success();
  };
  if (llvm::Error err = checkSignatures(spec.inputs, plan.inputs, "input"))
    return err;
  if (llvm::Error err = checkSignatures(spec.outputs, plan.outputs, "output"))
    return err;

  for (auto [i, launch] : llvm::enumerate(plan.launches)) {
    if (launch.kernel.empty())
      return error("launch " + llvm::Twine(i) + " has no kernel name");
    for (auto [j, arg] : llvm::enumerate(launch.args))
      if (arg >= plan.buffers.size())
        return error("launch " + llvm::Twine(i) + " ('" + launch.kernel +
                     "'): argument " + llvm::Twine(j) + " refers to buffer " +
                     llvm::Twine(arg) + " of " +
                     llvm::Twine(plan.buffers.size()));
  }
  return llvm::Error::success();
}

llvm::Error meld::verifyArtifactSpec(const ArtifactSpec &spec) {
  // Weights first: they define the size of the weights section.
  std::vector<const ArtifactWeight *> sorted;
  for (const ArtifactWeight &weight : spec.weights) {
    if (weight.offset + weight.size < weight.offset)
      return makeError("weight '" + weight.name + "': offset overflows");
    if (!weight.write && weight.data.size() != weight.size)
      return makeError(
          "weight '" + weight.name + "': " + llvm::Twine(weight.data.size()) +
          " bytes of data for a size of " + llvm::Twine(weight.size));
    sorted.push_back(&weight);
  }
  llvm::sort(sorted, [](const ArtifactWeight *a, const ArtifactWeight *b) {
    return a->offset < b->offset;
  });
  for (size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i - 1]->offset + sorted[i - 1]->size > sorted[i]->offset)
      return makeError("weights '" + sorted[i - 1]->name + "' and '" +
                       sorted[i]->name + "' overlap");
  uint64_t sectionSize = getWeightsSectionSize(spec);

  llvm::SmallVector<uint32_t> inputs, outputs;
  for (const ArtifactTensor &tensor : spec.inputs)
    inputs.push_back(tensor.buffer);
  for (const ArtifactTensor &tensor : spec.outputs)
    outputs.push_back(tensor.buffer);
  PlanView main{spec.buffers, spec.arenaSize, spec.launches, spec.faultSites,
                inputs,       outputs,        std::nullopt,  ""};
  if (llvm::Error err = verifyPlan(spec, main, sectionSize))
    return err;
  if (const std::optional<ArtifactHostPlan> &host = spec.hostPlan) {
    PlanView view{host->buffers,    host->arenaSize, host->launches,
                  host->faultSites, host->inputs,    host->outputs,
                  host->packedSize, "host plan: "};
    if (llvm::Error err = verifyPlan(spec, view, sectionSize))
      return err;
  }

  // Baked initializers are compared by name, dtype, shape and bytes with the
  // weights file's tensors (runtime/lib/Model.cpp).
  if (!spec.bakedInitializers.empty() && !spec.weightsExternal)
    return makeError("baked initializers in an artifact that holds its "
                     "weights");
  std::set<std::string> baked;
  for (const ArtifactBakedInitializer &init : spec.bakedInitializers) {
    if (init.name.empty() || !baked.insert(init.name).second)
      return makeError("baked initializer '" + init.name +
                       "' has no name or appears twice");
    std::optional<uint64_t> bytes = getShapeBytes(init.dtype, init.shape);
    if (!bytes || *bytes != init.data.size())
      return makeError("baked initializer '" + init.name +
                       "': " + llvm::Twine(init.data.size()) +
                       " bytes of data for its dtype and shape");
  }

  for (auto [i, module] : llvm::enumerate(spec.modules))
    if (module.target.empty() || module.format.empty())
      return makeError("kernel module " + llvm::Twine(i) +
                       " has no target or format");
  return llvm::Error::success();
}

namespace {

/// Forwards bytes to another stream, counting them and updating a CRC-32.
class ChecksumStream : public llvm::raw_ostream {
public:
  explicit ChecksumStream(llvm::raw_ostream &out) : out(out) {
    SetUnbuffered();
  }
  uint32_t crc = 0;
  uint64_t count = 0;

private:
  void write_impl(const char *ptr, size_t size) override {
    llvm::ArrayRef<uint8_t> bytes(reinterpret_cast<const uint8_t *>(ptr), size);
    crc = llvm::crc32(crc, bytes);
    count += size;
    out.write(ptr, size);
  }
  uint64_t current_pos() const override { return count; }

  llvm::raw_ostream &out;
};

/// Writes `n` zero bytes.
void writeZeros(llvm::raw_ostream &os, uint64_t n) {
  static const char zeros[4096] = {};
  while (n) {
    size_t chunk = std::min<uint64_t>(n, sizeof(zeros));
    os.write(zeros, chunk);
    n -= chunk;
  }
}

/// Builds the FlatBuffer metadata.
void buildMetadata(const ArtifactSpec &spec, uint64_t weightsSize,
                   flatbuffers::FlatBufferBuilder &fbb) {
  auto shapeOf = [&](llvm::ArrayRef<int64_t> shape) {
    return fbb.CreateVector(shape.data(), shape.size());
  };
  auto buffersOf = [&](llvm::ArrayRef<ArtifactBuffer> list) {
    std::vector<flatbuffers::Offset<artifact::Buffer>> buffers;
    for (const ArtifactBuffer &b : list) {
      flatbuffers::Offset<artifact::Panels> panels;
      if (b.panels) {
        const PanelsLayout &l = b.panels->layout;
        panels = artifact::CreatePanels(fbb, b.panels->source, l.rows,
                                        l.columns, l.rowStride, l.columnStride,
                                        l.offset, l.paddedRows, l.panel);
      }
      flatbuffers::Offset<artifact::TensorMap> tensorMap;
      if (b.tensorMap) {
        const TensorMapLayout &l = b.tensorMap->layout;
        uint32_t rank = std::min<uint32_t>(l.rank, 5);
        tensorMap = artifact::CreateTensorMap(
            fbb, b.tensorMap->tensor, fbb.CreateVector(l.dims, rank),
            fbb.CreateVector(l.strides, rank ? rank - 1 : 0),
            fbb.CreateVector(l.box, rank), l.swizzle, l.oobNan);
      }
      buffers.push_back(artifact::CreateBuffer(
          fbb, static_cast<artifact::BufferKind>(b.kind), b.offset, b.size,
          static_cast<artifact::DType>(b.dtype), shapeOf(b.shape),
          fbb.CreateString(b.name), panels, tensorMap));
    }
    return fbb.CreateVector(buffers);
  };
  auto signatures = [&](llvm::ArrayRef<ArtifactTensor> tensors) {
    std::vector<flatbuffers::Offset<artifact::TensorSignature>> result;
    for (const ArtifactTensor &t : tensors)
      result.push_back(artifact::CreateTensorSignature(
          fbb, fbb.CreateString(t.name), static_cast<artifact::DType>(t.dtype),
          shapeOf(t.shape), t.buffer));
    return fbb.CreateVector(result);
  };
  auto inputs = signatures(spec.inputs);
  auto outputs = signatures(spec.outputs);
  std::vector<flatbuffers::Offset<artifact::KernelModule>> modules;
  for (const ArtifactKernelModule &m : spec.modules)
    modules.push_back(artifact::CreateKernelModule(
        fbb, fbb.CreateString(m.target), fbb.CreateString(m.format),
        fbb.CreateVector(m.data)));
  auto launchesOf = [&](llvm::ArrayRef<ArtifactLaunch> list) {
    std::vector<flatbuffers::Offset<artifact::Launch>> launches;
    for (const ArtifactLaunch &l : list)
      launches.push_back(artifact::CreateLaunch(
          fbb, fbb.CreateString(l.kernel),
          fbb.CreateVector(l.grid.data(), l.grid.size()),
          fbb.CreateVector(l.block.data(), l.block.size()), l.sharedMemoryBytes,
          fbb.CreateVector(l.args.data(), l.args.size()),
          fbb.CreateString(l.location)));
    return fbb.CreateVector(launches);
  };
  auto faultsOf = [&](llvm::ArrayRef<ArtifactFaultSite> list) {
    std::vector<flatbuffers::Offset<artifact::FaultSite>> faults;
    for (const ArtifactFaultSite &f : list)
      faults.push_back(artifact::CreateFaultSite(
          fbb, f.site, fbb.CreateString(f.node), fbb.CreateString(f.opType),
          fbb.CreateString(f.message)));
    return fbb.CreateVector(faults);
  };
  flatbuffers::Offset<artifact::HostPlan> hostPlan;
  if (const std::optional<ArtifactHostPlan> &host = spec.hostPlan)
    hostPlan = artifact::CreateHostPlan(
        fbb, fbb.CreateVector(host->inputs), fbb.CreateVector(host->outputs),
        buffersOf(host->buffers), host->arenaSize, launchesOf(host->launches),
        faultsOf(host->faultSites), host->packedSize);
  flatbuffers::Offset<
      flatbuffers::Vector<flatbuffers::Offset<artifact::BakedInitializer>>>
      baked;
  if (!spec.bakedInitializers.empty()) {
    std::vector<flatbuffers::Offset<artifact::BakedInitializer>> list;
    for (const ArtifactBakedInitializer &init : spec.bakedInitializers)
      list.push_back(artifact::CreateBakedInitializer(
          fbb, fbb.CreateString(init.name),
          static_cast<artifact::DType>(init.dtype), shapeOf(init.shape),
          fbb.CreateVector(init.data)));
    baked = fbb.CreateVector(list);
  }
  auto root = artifact::CreateArtifact(
      fbb, MELD_ARTIFACT_SCHEMA_VERSION, fbb.CreateString(spec.producer),
      inputs, outputs, buffersOf(spec.buffers), spec.arenaSize, weightsSize,
      spec.weightsExternal, fbb.CreateVector(modules),
      launchesOf(spec.launches), faultsOf(spec.faultSites), hostPlan, baked);
  artifact::FinishArtifactBuffer(fbb, root);
}

/// Streams the weights section in offset order, zero-filling gaps.
llvm::Error writeWeights(const ArtifactSpec &spec, ChecksumStream &os) {
  std::vector<const ArtifactWeight *> sorted;
  for (const ArtifactWeight &weight : spec.weights)
    sorted.push_back(&weight);
  llvm::sort(sorted, [](const ArtifactWeight *a, const ArtifactWeight *b) {
    return a->offset < b->offset;
  });
  for (const ArtifactWeight *weight : sorted) {
    if (os.count > weight->offset)
      return makeError("weights overlap at '" + weight->name + "'");
    writeZeros(os, weight->offset - os.count);
    if (!weight->write) {
      os.write(reinterpret_cast<const char *>(weight->data.data()),
               weight->data.size());
      continue;
    }
    if (llvm::Error err = weight->write(os))
      return err;
    uint64_t written = os.count - weight->offset;
    if (written != weight->size)
      return makeError("weight '" + weight->name + "': the writer produced " +
                       llvm::Twine(written) + " bytes instead of " +
                       llvm::Twine(weight->size));
  }
  return llvm::Error::success();
}

} // namespace

llvm::Error meld::writeArtifact(const ArtifactSpec &spec,
                                llvm::raw_pwrite_stream &os,
                                const ArtifactWriteOptions &options) {
  if (options.verify)
    if (llvm::Error err = verifyArtifactSpec(spec))
      return err;

  // Step 1: the metadata and the layout.
  uint64_t sectionSize = getWeightsSectionSize(spec);
  flatbuffers::FlatBufferBuilder fbb(1 << 16);
  buildMetadata(spec,
                spec.weightsExternal ? spec.externalWeightsSize : sectionSize,
                fbb);
  meld_artifact_header header;
  memset(&header, 0, sizeof(header));
  memcpy(header.magic, MELD_ARTIFACT_MAGIC, sizeof(header.magic));
  header.format_version = MELD_ARTIFACT_FORMAT_VERSION;
  header.header_size = MELD_ARTIFACT_HEADER_SIZE;
  header.metadata_offset = MELD_ARTIFACT_HEADER_SIZE;
  header.metadata_size = fbb.GetSize();
  header.metadata_crc32 = llvm::crc32(
      0, llvm::ArrayRef<uint8_t>(fbb.GetBufferPointer(), fbb.GetSize()));
  header.weights_offset =
      llvm::alignTo(header.metadata_offset + header.metadata_size,
                    MELD_ARTIFACT_WEIGHTS_ALIGNMENT);
  // With external weights the section holds only the constants.
  header.weights_size = sectionSize;
  header.file_size = header.weights_offset + header.weights_size;

  // Step 2: the sections, with room for the header.
  uint64_t start = os.tell();
  writeZeros(os, MELD_ARTIFACT_HEADER_SIZE);
  os.write(reinterpret_cast<const char *>(fbb.GetBufferPointer()),
           fbb.GetSize());
  writeZeros(os, header.weights_offset -
                     (header.metadata_offset + header.metadata_size));
  ChecksumStream weights(os);
  if (llvm::Error err = writeWeights(spec, weights))
    return err;
  header.weights_crc32 = weights.crc;
  // Step 3: the header, now that the weights checksum is known.
  os.pwrite(reinterpret_cast<const char *>(&header), sizeof(header), start);
  return llvm::Error::success();
}

llvm::Error meld::writeArtifact(const ArtifactSpec &spec, llvm::StringRef path,
                                const ArtifactWriteOptions &options) {
  // Through a temporary renamed on success.
  llvm::Expected<llvm::sys::fs::TempFile> temp =
      llvm::sys::fs::TempFile::create(path + ".tmp-%%%%%%");
  if (!temp)
    return makeError("cannot create '" + path +
                     "': " + llvm::toString(temp.takeError()));
  llvm::Error result = [&]() -> llvm::Error {
    llvm::raw_fd_ostream file(temp->FD, /*shouldClose=*/false);
    if (llvm::Error err = writeArtifact(spec, file, options))
      return err;
    file.flush();
    if (file.has_error()) {
      std::error_code ec = file.error();
      file.clear_error();
      return makeError("cannot write '" + path + "': " + ec.message());
    }
    return llvm::Error::success();
  }();
  if (result) {
    llvm::consumeError(temp->discard());
    return result;
  }
  if (llvm::Error err = temp->keep(path))
    return makeError("cannot write '" + path +
                     "': " + llvm::toString(std::move(err)));
  return llvm::Error::success();
}
