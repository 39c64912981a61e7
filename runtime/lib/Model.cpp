//===- Model.cpp - A loaded and verified Meld artifact --------------------===//

#include "Model.h"

#include "Safetensors.h"
#include "Support.h"
#include "meld/artifact_format.h"
#include "meld/artifact_generated.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace meld {
namespace rt {

namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the runtime reads the little-endian header in place");

/// zlib's crc32 over a buffer of any size (crc32 takes a 32-bit length).
uint32_t crc32Of(const uint8_t *data, uint64_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size) {
    uInt chunk = size > (1u << 30) ? (1u << 30) : static_cast<uInt>(size);
    crc = crc32(crc, data, chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

std::string hex32(uint32_t value) {
  char buf[16];
  snprintf(buf, sizeof(buf), "0x%08x", value);
  return buf;
}

/// Reads an optional FlatBuffers string.
std::string str(const flatbuffers::String *s) {
  return s ? std::string(s->c_str(), s->size()) : std::string();
}

/// Copies a [long] vector (an absent one is empty). The FlatBuffers verifier
/// checks only the 4-byte alignment of a vector's length: in a damaged
/// artifact the 8-byte elements may be misaligned (a writer aligns them; an
/// empty vector, having none, need not be), and reading them in place would
/// be undefined behaviour. False if misaligned.
bool copyLongs(const flatbuffers::Vector<int64_t> *vector,
               std::vector<int64_t> &out) {
  out.clear();
  if (!vector || vector->size() == 0)
    return true;
  if (reinterpret_cast<uintptr_t>(vector->Data()) % alignof(int64_t) != 0)
    return false;
  out.assign(vector->begin(), vector->end());
  return true;
}

/// Reads the dtype and shape of a tensor of the artifact into `dtype`,
/// `shape` and `numBytes` (its size). Returns what is wrong with them (to
/// follow the tensor's name in a message), or an empty string.
std::string readTensorType(uint32_t rawDType,
                           const flatbuffers::Vector<int64_t> *rawShape,
                           uint32_t &dtype, std::vector<int64_t> &shape,
                           uint64_t &numBytes) {
  numBytes = dtypeSize(rawDType);
  if (!numBytes)
    return " has unknown dtype " + std::to_string(rawDType);
  dtype = rawDType;
  if (!copyLongs(rawShape, shape))
    return " has a misaligned shape";
  for (int64_t d : shape) {
    if (d < 0)
      return " has a dynamic or negative dimension";
    if (mulOverflow(numBytes, static_cast<uint64_t>(d), numBytes))
      return " has a shape too large";
  }
  return {};
}

/// A one-element f32 or f64 value as a number, other bytes in hexadecimal
/// (for messages).
std::string describeBytes(uint32_t dtype, const uint8_t *data, size_t size) {
  char buf[64];
  if (dtype == MELD_DTYPE_F32 && size == 4) {
    float value;
    memcpy(&value, data, 4);
    snprintf(buf, sizeof(buf), "%.9g", value);
    return buf;
  }
  if (dtype == MELD_DTYPE_F64 && size == 8) {
    double value;
    memcpy(&value, data, 8);
    snprintf(buf, sizeof(buf), "%.17g", value);
    return buf;
  }
  if (size > 8)
    return std::to_string(size) + " bytes";
  std::string hex = "0x";
  for (size_t i = size; i-- > 0;) {
    snprintf(buf, sizeof(buf), "%02x", data[i]);
    hex += buf;
  }
  return hex;
}

/// Anonymous memory of `size` bytes for weights the runtime makes (copies,
/// panels), in huge pages where the system gives them on request: the
/// artifact's mapping may be in huge pages of the page cache, and weights
/// here would otherwise pay more TLB misses (MiniLM's packed weights: 4%
/// slower). MAP_FAILED on failure.
void *mapWeights(size_t size) {
  void *memory = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory != MAP_FAILED)
    madvise(memory, size, MADV_HUGEPAGE);
  return memory;
}

/// Closes a file descriptor on scope exit.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0)
      close(fd);
  }
};

} // namespace

Model::~Model() {
  if (hostPacked)
    munmap(hostPacked, hostPackedSize);
  if (weightsCopy)
    munmap(weightsCopy, weightsCopySize);
  if (mapping)
    munmap(mapping, mappingSize);
}

meld_status Model::load(const char *path, std::unique_ptr<Model> &result) {
  result.reset();
  std::string p = path;
  uint64_t fileSize = 0;
  std::string error;
  int fd = openRegularFile(p, "", fileSize, error);
  if (fd < 0)
    return setError(MELD_ERROR_IO, error);
  FdCloser closer{fd};
  if (fileSize == 0) // Nothing to map; refused as any too short file.
    return loadFromMemory(reinterpret_cast<const uint8_t *>(""), 0, p, result);
  void *map = mmap(nullptr, fileSize, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED)
    return setError(MELD_ERROR_IO,
                    "cannot map '" + p + "': " + strerror(errno));
  std::unique_ptr<Model> model;
  meld_status status =
      loadFromMemory(static_cast<const uint8_t *>(map), fileSize, p, model);
  if (status != MELD_OK) {
    munmap(map, fileSize);
    return status;
  }
  model->mapping = map;
  model->mappingSize = fileSize;
  result = std::move(model);
  return MELD_OK;
}

meld_status Model::loadFromMemory(const uint8_t *base, uint64_t fileSize,
                                  const std::string &p,
                                  std::unique_ptr<Model> &result) {
  result.reset();
  if (fileSize < 8)
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + p + "' is not a Meld artifact (file of " +
                        std::to_string(fileSize) + " bytes)");
  std::unique_ptr<Model> model(new (std::nothrow) Model());
  if (!model)
    return setError(MELD_ERROR_OUT_OF_MEMORY,
                    "cannot allocate the model of '" + p + "'");
  model->path = p;

  // Step 1: the fixed header.
  if (memcmp(base, MELD_ARTIFACT_MAGIC, 8) != 0)
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + p + "' is not a Meld artifact (bad magic)");
  if (fileSize < MELD_ARTIFACT_HEADER_SIZE)
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + p + "' is truncated: " + std::to_string(fileSize) +
                        " bytes, smaller than the artifact header");
  meld_artifact_header header;
  memcpy(&header, base, sizeof(header));
  if (header.format_version != MELD_ARTIFACT_FORMAT_VERSION)
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + p + "' has artifact format version " +
                        std::to_string(header.format_version) +
                        ", this runtime reads version " +
                        std::to_string(MELD_ARTIFACT_FORMAT_VERSION));
  if (header.header_size != MELD_ARTIFACT_HEADER_SIZE)
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + p + "' is corrupted: header size " +
                        std::to_string(header.header_size) + ", expected " +
                        std::to_string(MELD_ARTIFACT_HEADER_SIZE));
  if (header.file_size != fileSize)
    return setError(
        MELD_ERROR_INVALID_ARTIFACT,
        "'" + p + "' is " +
            (fileSize < header.file_size ? "truncated" : "corrupted") +
            ": the header says " + std::to_string(header.file_size) +
            " bytes, the file has " + std::to_string(fileSize));
  if (header.metadata_offset < MELD_ARTIFACT_HEADER_SIZE ||
      header.metadata_offset % 8 != 0 ||
      !rangeWithin(header.metadata_offset, header.metadata_size, fileSize))
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + p + "' is corrupted: metadata section out of range");
  if (header.weights_offset % MELD_ARTIFACT_WEIGHTS_ALIGNMENT != 0 ||
      header.weights_offset < header.metadata_offset + header.metadata_size ||
      !rangeWithin(header.weights_offset, header.weights_size, fileSize))
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + p + "' is corrupted: weights section out of range");

  // Step 2: checksums, then the FlatBuffers verifier.
  const uint8_t *metadata = base + header.metadata_offset;
  uint32_t metaCrc = crc32Of(metadata, header.metadata_size);
  if (metaCrc != header.metadata_crc32)
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + p +
                        "' is corrupted: metadata checksum mismatch "
                        "(header " +
                        hex32(header.metadata_crc32) + ", computed " +
                        hex32(metaCrc) + ")");
  model->weightsBase = base + header.weights_offset;
  model->weightsSize = header.weights_size;
  uint32_t weightsCrc = crc32Of(model->weightsBase, header.weights_size);
  if (weightsCrc != header.weights_crc32)
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + p +
                        "' is corrupted: weights checksum mismatch "
                        "(header " +
                        hex32(header.weights_crc32) + ", computed " +
                        hex32(weightsCrc) + ")");
  meld_status status = model->verifyAndCopy(metadata, header.metadata_size);
  if (status != MELD_OK)
    return status;
  result = std::move(model);
  return MELD_OK;
}

meld_status Model::verifyAndCopy(const uint8_t *metadata, uint64_t size) {
  const std::string &p = path;
  if (size >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + p + "': metadata larger than 2 GiB");
  flatbuffers::Verifier verifier(metadata, static_cast<size_t>(size),
                                 /*max_depth=*/64,
                                 /*max_tables=*/100000000);
  if (!artifact::VerifyArtifactBuffer(verifier))
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + p +
                        "' is corrupted: its metadata fails FlatBuffers "
                        "verification");
  const artifact::Artifact *a = artifact::GetArtifact(metadata);
  auto invalid = [&](const std::string &what) {
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + p + "' is invalid: " + what);
  };

  if (a->schema_version() != MELD_ARTIFACT_SCHEMA_VERSION)
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + p + "' has artifact schema version " +
                        std::to_string(a->schema_version()) +
                        ", this runtime reads version " +
                        std::to_string(MELD_ARTIFACT_SCHEMA_VERSION));
  producer = str(a->producer());
  sectionSize = weightsSize;
  if (a->weights_external()) {
    // The section holds only the constants; Artifact.weights_size is the
    // size of the weights the external file provides.
    weightsExternal = true;
    weightsSize = a->weights_size();
  } else if (a->weights_size() != weightsSize)
    return invalid("weights_size " + std::to_string(a->weights_size()) +
                   " differs from the weights section size " +
                   std::to_string(weightsSize));
  // Signatures: names, dtypes and shapes; each plan binds them to buffers.
  auto readSignatures =
      [&](const flatbuffers::Vector<
              flatbuffers::Offset<artifact::TensorSignature>> *sigs,
          const char *kind, std::vector<TensorSignature> &out) -> meld_status {
    if (!sigs)
      return MELD_OK;
    std::set<std::string> seen;
    for (uint32_t i = 0; i < sigs->size(); ++i) {
      const artifact::TensorSignature *s = sigs->Get(i);
      TensorSignature sig;
      sig.name = str(s->name());
      std::string what = std::string(kind) + " " + std::to_string(i);
      if (sig.name.empty())
        return invalid(what + " has no name");
      what += " ('" + sig.name + "')";
      if (!seen.insert(sig.name).second)
        return invalid(what + ": duplicate " + kind + " name");
      // Check the raw value before it becomes an enum.
      uint32_t dtype = 0;
      std::string problem = readTensorType(s->dtype(), s->shape(), dtype,
                                           sig.shape, sig.numBytes);
      if (!problem.empty())
        return invalid(what + problem);
      sig.dtype = static_cast<meld_dtype>(dtype);
      out.push_back(std::move(sig));
    }
    return MELD_OK;
  };
  if (meld_status s = readSignatures(a->inputs(), "input", inputs))
    return s;
  if (meld_status s = readSignatures(a->outputs(), "output", outputs))
    return s;

  // The plans.
  std::vector<uint32_t> inputBuffers, outputBuffers;
  if (auto *sigs = a->inputs())
    for (const artifact::TensorSignature *sig : *sigs)
      inputBuffers.push_back(sig->buffer());
  if (auto *sigs = a->outputs())
    for (const artifact::TensorSignature *sig : *sigs)
      outputBuffers.push_back(sig->buffer());
  if (meld_status s = readPlan(a->buffers(), a->arena_size(), a->launches(),
                               a->faults(), inputBuffers, outputBuffers,
                               /*host=*/nullptr, plan))
    return s;
  if (const artifact::HostPlan *host = a->host_plan()) {
    auto indices = [](const flatbuffers::Vector<uint32_t> *list) {
      return list ? std::vector<uint32_t>(list->begin(), list->end())
                  : std::vector<uint32_t>();
    };
    hostPlan = std::make_unique<Plan>();
    if (meld_status s =
            readPlan(host->buffers(), host->arena_size(), host->launches(),
                     host->faults(), indices(host->inputs()),
                     indices(host->outputs()), host, *hostPlan))
      return s;
  }

  // Kernel modules.
  if (auto *mods = a->modules()) {
    for (uint32_t i = 0; i < mods->size(); ++i) {
      const artifact::KernelModule *m = mods->Get(i);
      KernelModuleRef ref;
      ref.target = str(m->target());
      ref.format = str(m->format());
      ref.data = m->data() ? m->data()->data() : nullptr;
      ref.size = m->data() ? m->data()->size() : 0;
      modules.push_back(std::move(ref));
    }
  }

  // Baked initializers: compared with the weights file when it is loaded.
  if (auto *list = a->baked_initializers()) {
    if (!weightsExternal && list->size())
      return invalid("it has baked initializers but holds its weights");
    std::set<std::string> seen;
    for (uint32_t i = 0; i < list->size(); ++i) {
      const artifact::BakedInitializer *b = list->Get(i);
      BakedInitializer init;
      init.name = str(b->name());
      std::string what = "baked initializer " + std::to_string(i);
      if (init.name.empty())
        return invalid(what + " has no name");
      what += " ('" + init.name + "')";
      if (!seen.insert(init.name).second)
        return invalid(what + ": duplicate name");
      uint64_t numBytes = 0;
      std::string problem = readTensorType(b->dtype(), b->shape(), init.dtype,
                                           init.shape, numBytes);
      if (!problem.empty())
        return invalid(what + problem);
      size_t size = b->data() ? b->data()->size() : 0;
      if (size != numBytes)
        return invalid(what + " has " + std::to_string(size) +
                       " bytes of data, " + std::to_string(numBytes) +
                       " by its dtype and shape");
      if (size)
        init.data.assign(b->data()->begin(), b->data()->end());
      baked.push_back(std::move(init));
    }
  }
  return MELD_OK;
}

meld_status Model::readPlan(
    const flatbuffers::Vector<flatbuffers::Offset<artifact::Buffer>> *bufs,
    uint64_t arenaSize,
    const flatbuffers::Vector<flatbuffers::Offset<artifact::Launch>> *ls,
    const flatbuffers::Vector<flatbuffers::Offset<artifact::FaultSite>> *faults,
    const std::vector<uint32_t> &inputBuffers,
    const std::vector<uint32_t> &outputBuffers, const artifact::HostPlan *host,
    Plan &result) {
  const std::string &p = path;
  std::string prefix = host ? "host plan: " : "";
  auto invalid = [&](const std::string &what) {
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + p + "' is invalid: " + prefix + what);
  };
  result.arenaSize = arenaSize;
  if (host)
    result.packedSize = host->packed_size();
  std::vector<BufferSlice> &buffers = result.buffers;

  // Buffers.
  if (bufs) {
    for (uint32_t i = 0; i < bufs->size(); ++i) {
      const artifact::Buffer *b = bufs->Get(i);
      BufferSlice slice;
      slice.isConstant = b->kind() == artifact::BufferKind_Constant;
      slice.isStatus = b->kind() == artifact::BufferKind_Status;
      slice.isPacked = b->kind() == artifact::BufferKind_Packed;
      slice.isTensorMap = b->kind() == artifact::BufferKind_TensorMap;
      slice.isWeight = b->kind() == artifact::BufferKind_Weight ||
                       slice.isConstant || slice.isPacked;
      slice.offset = b->offset();
      slice.size = b->size();
      slice.name = str(b->name());
      slice.dtype = b->dtype();
      std::string what = "buffer " + std::to_string(i) +
                         (slice.name.empty() ? "" : " ('" + slice.name + "')");
      if (!copyLongs(b->shape(), slice.shape))
        return invalid(what + " has a misaligned shape");
      if (b->kind() != artifact::BufferKind_Arena && !slice.isWeight &&
          !slice.isStatus && !slice.isTensorMap)
        return invalid(what + " has unknown kind " + std::to_string(b->kind()));
      if (slice.isStatus) {
        if (result.statusBuffer >= 0)
          return invalid(what + " is a second fault status buffer");
        if (slice.size != kStatusBytes)
          return invalid(what + " is a fault status of " +
                         std::to_string(slice.size) + " bytes, not " +
                         std::to_string(kStatusBytes));
        result.statusBuffer = i;
      }
      // Packed weights of an artifact holding its weights: in the host
      // plan's packed space.
      bool packedSpace = slice.isPacked && !weightsExternal;
      if (packedSpace && !host)
        return invalid(what + " is packed, but the artifact holds its "
                              "weights");
      bool external = slice.isWeight && !inSection(slice) && !packedSpace;
      uint64_t limit = !slice.isWeight ? arenaSize
                       : packedSpace   ? result.packedSize
                       : external      ? weightsSize
                                       : sectionSize;
      if (!rangeWithin(slice.offset, slice.size, limit))
        return invalid(what + ": bytes [" + std::to_string(slice.offset) +
                       ", " + std::to_string(slice.offset + slice.size) +
                       ") exceed the " +
                       (!slice.isWeight ? "arena"
                        : packedSpace   ? "packed space"
                        : external      ? "external weights"
                                        : "weights section") +
                       " of " + std::to_string(limit) + " bytes");
      if (slice.isTensorMap != (b->tensor_map() != nullptr))
        return invalid(what + (slice.isTensorMap
                                   ? " is a tensor map without its layout"
                                   : " has a tensor map layout but is not "
                                     "a tensor map"));
      if (slice.isTensorMap) {
        // 128 bytes of the arena at a multiple of 64, mapping an earlier
        // 16-byte aligned tensor it reads within.
        const artifact::TensorMap *m = b->tensor_map();
        if (slice.size != kTensorMapBytes || slice.offset % 64 != 0)
          return invalid(what + " is a tensor map of " +
                         std::to_string(slice.size) + " bytes at offset " +
                         std::to_string(slice.offset) +
                         " (128 bytes at a multiple of 64)");
        slice.source = m->tensor();
        if (slice.source >= i || buffers[slice.source].isTensorMap ||
            buffers[slice.source].isStatus ||
            buffers[slice.source].offset % 16 != 0)
          return invalid(what + " maps buffer " + std::to_string(slice.source) +
                         ", not an earlier 16-byte aligned tensor");
        TensorMapLayout &l = slice.tensorMap;
        size_t rank = m->dims() ? m->dims()->size() : 0;
        if (rank < 1 || rank > 5 || !m->box() || m->box()->size() != rank ||
            !m->strides() || m->strides()->size() != rank - 1)
          return invalid(
              what + " is a tensor map of " + std::to_string(rank) +
              " dimensions with " +
              std::to_string(m->box() ? m->box()->size() : 0) +
              " box sizes and " +
              std::to_string(m->strides() ? m->strides()->size() : 0) +
              " strides (1 to 5 dimensions, one fewer stride)");
        l.rank = static_cast<uint32_t>(rank);
        for (size_t d = 0; d < rank; ++d) {
          l.dims[d] = m->dims()->Get(d);
          l.box[d] = m->box()->Get(d);
          if (d > 0)
            l.strides[d - 1] = m->strides()->Get(d - 1);
        }
        l.swizzle = m->swizzle();
        l.oobNan = m->oob_nan();
        std::string problem = checkTensorMap(l, dtypeSize(slice.dtype),
                                             buffers[slice.source].size);
        if (!problem.empty())
          return invalid(what + ": " + problem);
      }
      if (slice.isPacked != (b->panels() != nullptr))
        return invalid(what + (slice.isPacked ? " is packed without panels"
                                              : " has panels but is not "
                                                "packed"));
      if (slice.isPacked) {
        // Made from an earlier weight of its dtype, by a layout that reads
        // within it: an external weight, when they are loaded, or in a host
        // plan, a buffer of the weights section.
        const artifact::Panels *p = b->panels();
        slice.source = p->source();
        bool sourceOk =
            slice.source < i &&
            (weightsExternal ? isInWeightsFile(buffers[slice.source])
                             : buffers[slice.source].isWeight &&
                                   inSection(buffers[slice.source])) &&
            buffers[slice.source].dtype == slice.dtype;
        if (!sourceOk)
          return invalid(
              what + " packs buffer " + std::to_string(slice.source) +
              ", not an earlier " +
              (weightsExternal ? "external weight" : "weight of the artifact") +
              " of its dtype");
        slice.panels = {p->rows(),          p->columns(), p->row_stride(),
                        p->column_stride(), p->offset(),  p->padded_rows(),
                        p->panel()};
        std::string problem =
            checkPanels(slice.panels, dtypeSize(slice.dtype),
                        buffers[slice.source].size, slice.size);
        if (!problem.empty())
          return invalid(what + ": " + problem);
      } else if (external) {
        // External weights are found by name and checked by dtype and shape:
        // those must be usable.
        if (slice.name.empty())
          return invalid(what + " is an external weight without a name");
        uint64_t bytes = dtypeSize(slice.dtype);
        if (!bytes)
          return invalid(what + " has unknown dtype " +
                         std::to_string(slice.dtype));
        for (int64_t d : slice.shape)
          if (d < 0 || mulOverflow(bytes, static_cast<uint64_t>(d), bytes))
            return invalid(what + " has an invalid shape");
        if (bytes != slice.size)
          return invalid(what + " of shape " + formatShape(slice.shape) +
                         " needs " + std::to_string(bytes) +
                         " bytes but its size is " +
                         std::to_string(slice.size));
      }
      buffers.push_back(std::move(slice));
    }
  }

  // Fault sites.
  if (faults) {
    std::set<uint32_t> seen;
    for (uint32_t i = 0; i < faults->size(); ++i) {
      const artifact::FaultSite *f = faults->Get(i);
      FaultSite site{f->site(), str(f->node()), str(f->op_type()),
                     str(f->message())};
      if (site.site == 0 || !seen.insert(site.site).second)
        return invalid("fault site " + std::to_string(i) + " has id " +
                       std::to_string(site.site) + ", zero or used twice");
      result.faultSites.push_back(std::move(site));
    }
    if (!result.faultSites.empty() && result.statusBuffer < 0)
      return invalid("it has fault sites but no fault status buffer");
  }

  // The signatures' buffers.
  auto bind = [&](const std::vector<TensorSignature> &sigs,
                  const std::vector<uint32_t> &indices, const char *kind,
                  bool isInput, std::vector<uint32_t> &out) -> meld_status {
    if (indices.size() != sigs.size())
      return invalid("binds " + std::to_string(indices.size()) +
                     " buffers to the " + std::to_string(sigs.size()) + " " +
                     kind + "s");
    for (size_t i = 0; i < sigs.size(); ++i) {
      const TensorSignature &sig = sigs[i];
      std::string what =
          std::string(kind) + " " + std::to_string(i) + " ('" + sig.name + "')";
      if (indices[i] >= buffers.size())
        return invalid(what + " refers to buffer " +
                       std::to_string(indices[i]) + " but there are " +
                       std::to_string(buffers.size()) + " buffers");
      const BufferSlice &slice = buffers[indices[i]];
      if (isInput && slice.isWeight)
        return invalid(what + " is bound to a weight buffer");
      if (slice.isStatus)
        return invalid(what + " is bound to the fault status buffer");
      if (slice.size < sig.numBytes)
        return invalid(what + " of shape " + formatShape(sig.shape) +
                       " needs " + std::to_string(sig.numBytes) +
                       " bytes but its buffer has " +
                       std::to_string(slice.size));
      out.push_back(indices[i]);
    }
    return MELD_OK;
  };
  if (meld_status s =
          bind(inputs, inputBuffers, "input", true, result.inputBuffers))
    return s;
  if (meld_status s =
          bind(outputs, outputBuffers, "output", false, result.outputBuffers))
    return s;

  // Launches.
  if (ls) {
    for (uint32_t i = 0; i < ls->size(); ++i) {
      const artifact::Launch *l = ls->Get(i);
      LaunchPlan plan;
      plan.kernel = str(l->kernel());
      plan.location = str(l->location());
      std::string what = "launch " + std::to_string(i);
      if (plan.kernel.empty())
        return invalid(what + " has no kernel name");
      what += " ('" + plan.kernel + "'";
      if (!plan.location.empty())
        what += " for " + plan.location;
      what += ")";
      for (int d = 0; d < 3; ++d) {
        plan.grid[d] = 1;
        plan.block[d] = 1;
      }
      auto readDims = [&](const flatbuffers::Vector<uint32_t> *dims,
                          uint32_t *outDims) {
        if (!dims)
          return true;
        if (dims->size() > 3)
          return false;
        for (uint32_t d = 0; d < dims->size(); ++d)
          outDims[d] = dims->Get(d);
        return true;
      };
      if (!readDims(l->grid(), plan.grid))
        return invalid(what + " has a grid of more than 3 dimensions");
      if (!readDims(l->block(), plan.block))
        return invalid(what + " has a block of more than 3 dimensions");
      // The product of three uint32 can exceed int64: check it.
      uint64_t n = plan.grid[0];
      if (mulOverflow(n, plan.grid[1], n) || mulOverflow(n, plan.grid[2], n) ||
          n > static_cast<uint64_t>(INT64_MAX))
        return invalid(what + " has a grid too large");
      plan.numPrograms = static_cast<int64_t>(n);
      plan.sharedMemoryBytes = l->shared_memory_bytes();
      if (auto *args = l->args()) {
        for (uint32_t j = 0; j < args->size(); ++j) {
          uint32_t index = args->Get(j);
          if (index >= buffers.size())
            return invalid(what + ": argument " + std::to_string(j) +
                           " refers to buffer " + std::to_string(index) +
                           " but there are " + std::to_string(buffers.size()) +
                           " buffers");
          plan.args.push_back(index);
        }
      }
      result.launches.push_back(std::move(plan));
    }
  }
  return MELD_OK;
}

meld_status Model::loadExternalWeights(const std::string &weightsPath) {
  if (!weightsExternal)
    return setError(MELD_ERROR_INVALID_ARGUMENT,
                    "'" + path +
                        "' holds its weights: a weights file is only for "
                        "artifacts compiled with meldc --weights=external");
  if (externalLoaded)
    return setError(MELD_ERROR_FAILED_PRECONDITION,
                    "the weights of '" + path + "' are already loaded");
  std::unique_ptr<SafetensorsFile> file;
  if (meld_status s = SafetensorsFile::open(weightsPath, file))
    return s;
  const std::string where = "'" + weightsPath + "'";
  // Both plans' weights: a weight of both has the same offset in each.
  std::vector<const Plan *> plans = {&plan};
  if (hostPlan)
    plans.push_back(hostPlan.get());

  // Step 1: every name is in the file (all missing ones are listed).
  std::vector<std::string> missing;
  std::set<std::string> seen;
  size_t numWeights = 0;
  for (const Plan *each : plans)
    for (const BufferSlice &b : each->buffers) {
      if (!isInWeightsFile(b) || !seen.insert(b.name).second)
        continue;
      ++numWeights;
      if (!file->tensors.count(b.name))
        missing.push_back(b.name);
    }
  if (!missing.empty()) {
    std::vector<std::string> shown(
        missing.begin(), missing.begin() + std::min<size_t>(missing.size(), 8));
    std::string list = quoteList(shown);
    if (missing.size() > shown.size())
      list += " and " + std::to_string(missing.size() - shown.size()) + " more";
    return setError(MELD_ERROR_INVALID_ARGUMENT,
                    (missing.size() == 1 ? "weight " : "weights ") + list +
                        (missing.size() == 1 ? " is" : " are") +
                        " missing from " + where + " (" +
                        std::to_string(missing.size()) + " of the " +
                        std::to_string(numWeights) +
                        " weights of the artifact)");
  }

  // The weights kernels read as they are (launch arguments, outputs), by
  // their offset; the others are only the sources of packed weights.
  std::set<uint64_t> readByKernels;
  for (const Plan *each : plans) {
    for (const LaunchPlan &launch : each->launches)
      for (uint32_t arg : launch.args)
        if (isInWeightsFile(each->buffers[arg]))
          readByKernels.insert(each->buffers[arg].offset);
    for (uint32_t output : each->outputBuffers)
      if (isInWeightsFile(each->buffers[output]))
        readByKernels.insert(each->buffers[output].offset);
  }

  // A tensor of the file whose dtype or shape is not the artifact's.
  auto checkType = [&](const std::string &name, uint32_t dtype,
                       const std::vector<int64_t> &shape,
                       const SafetensorsTensor &t) -> meld_status {
    meld_dtype fileDType;
    if (!safetensorsDType(t.dtype, fileDType) ||
        static_cast<uint32_t>(fileDType) != dtype)
      return setError(MELD_ERROR_INVALID_ARGUMENT,
                      "weight '" + name + "': dtype " + dtypeName(dtype) +
                          " in the artifact, " + t.dtype + " in " + where);
    if (t.shape != shape)
      return setError(MELD_ERROR_INVALID_ARGUMENT,
                      "weight '" + name + "': shape " + formatShape(shape) +
                          " in the artifact, " + formatShape(t.shape) + " in " +
                          where);
    return MELD_OK;
  };

  // The values baked into the kernels: the file may leave them out, but may
  // not change them.
  for (const BakedInitializer &init : baked) {
    auto it = file->tensors.find(init.name);
    if (it == file->tensors.end())
      continue;
    if (meld_status s =
            checkType(init.name, init.dtype, init.shape, it->second))
      return s;
    const uint8_t *data = file->data(it->second);
    if (!init.data.empty() &&
        memcmp(data, init.data.data(), init.data.size()) != 0)
      return setError(
          MELD_ERROR_INVALID_ARGUMENT,
          "weight '" + init.name + "' is " +
              describeBytes(init.dtype, data, init.data.size()) + " in " +
              where + ", but meldc baked its value " +
              describeBytes(init.dtype, init.data.data(), init.data.size()) +
              " into the kernels of '" + path +
              "': compile the model again with these weights");
  }

  // Step 2: dtypes and shapes, then an address for each weight buffer.
  std::vector<std::vector<const uint8_t *>> addresses;
  std::vector<std::pair<size_t, uint32_t>> toCopy, toPack;
  bool inPlace = false;
  for (size_t p = 0; p < plans.size(); ++p) {
    const Plan *each = plans[p];
    addresses.emplace_back(each->buffers.size(), nullptr);
    for (uint32_t i = 0; i < each->buffers.size(); ++i) {
      const BufferSlice &b = each->buffers[i];
      if (b.isPacked)
        toPack.push_back({p, i});
      if (!isInWeightsFile(b))
        continue;
      const SafetensorsTensor &t = file->tensors.find(b.name)->second;
      if (meld_status s = checkType(b.name, b.dtype, b.shape, t))
        return s;
      // Packing reads its source wherever it is.
      const uint8_t *data = file->data(t);
      if (reinterpret_cast<uintptr_t>(data) % kWeightAlignment == 0 ||
          !readByKernels.count(b.offset)) {
        addresses[p][i] = data;
        inPlace = true;
      } else {
        toCopy.push_back({p, i});
      }
    }
  }

  // Step 3: copies of the unaligned tensors, then the packed weights, at
  // their offsets in a region laid out like the weights' space (untouched
  // pages cost nothing), read-only as the embedded weights are.
  void *copy = nullptr;
  size_t copySize = 0;
  if (!toCopy.empty() || !toPack.empty()) {
    copySize = weightsSize ? weightsSize : 1;
    copy = mapWeights(copySize);
    if (copy == MAP_FAILED)
      return setError(MELD_ERROR_OUT_OF_MEMORY,
                      "cannot allocate " + std::to_string(copySize) +
                          " bytes for the weights of " + where + ": " +
                          strerror(errno));
    for (auto [p, i] : toCopy) {
      const BufferSlice &b = plans[p]->buffers[i];
      const SafetensorsTensor &t = file->tensors.find(b.name)->second;
      uint8_t *dst = static_cast<uint8_t *>(copy) + b.offset;
      memcpy(dst, file->data(t), b.size);
      addresses[p][i] = dst;
    }
    // Each layout was checked against its source's size when the artifact
    // was loaded. Once the last of a weight's panels is packed, the pages of
    // a weight only packing reads leave the process (a read would map them
    // again from the file): the sources are not all resident at once.
    std::map<uint64_t, size_t> lastPack;
    for (size_t k = 0; k < toPack.size(); ++k) {
      auto [p, i] = toPack[k];
      lastPack[plans[p]->buffers[plans[p]->buffers[i].source].offset] = k;
    }
    long page = sysconf(_SC_PAGESIZE);
    for (size_t k = 0; k < toPack.size(); ++k) {
      auto [p, i] = toPack[k];
      const BufferSlice &b = plans[p]->buffers[i];
      const BufferSlice &source = plans[p]->buffers[b.source];
      uint8_t *dst = static_cast<uint8_t *>(copy) + b.offset;
      packPanels(b.panels, addresses[p][b.source], dst, dtypeSize(b.dtype));
      addresses[p][i] = dst;
      if (lastPack[source.offset] != k || readByKernels.count(source.offset))
        continue;
      uintptr_t begin = reinterpret_cast<uintptr_t>(addresses[p][b.source]);
      uintptr_t first = (begin + page - 1) / page * page;
      uintptr_t last = (begin + source.size) / page * page;
      if (first < last)
        madvise(reinterpret_cast<void *>(first), last - first, MADV_DONTNEED);
    }
    mprotect(copy, copySize, PROT_READ);
  }
  weightsCopy = copy;
  weightsCopySize = copySize;
  externalWeights = std::move(addresses[0]);
  if (hostPlan)
    hostAddresses = std::move(addresses[1]);
  // Keep the mapping if some weight is used in place (or packed from it).
  if (inPlace)
    weightsFile = std::move(file);
  externalLoaded = true;
  return MELD_OK;
}

meld_status Model::prepareHostPlan() const {
  if (!hostPlan || weightsExternal)
    return MELD_OK;
  std::call_once(hostPrepared, [&] {
    const Plan &host = *hostPlan;
    hostAddresses.assign(host.buffers.size(), nullptr);
    if (!host.packedSize)
      return;
    void *packed = mapWeights(host.packedSize);
    if (packed == MAP_FAILED) {
      hostStatus = MELD_ERROR_OUT_OF_MEMORY;
      hostError = "cannot allocate " + std::to_string(host.packedSize) +
                  " bytes for the host's packed weights of '" + path +
                  "': " + strerror(errno);
      return;
    }
    // Each layout was checked against its source's size when the artifact
    // was loaded; the sources are in the weights section.
    for (uint32_t i = 0; i < host.buffers.size(); ++i) {
      const BufferSlice &b = host.buffers[i];
      if (!b.isPacked)
        continue;
      uint8_t *dst = static_cast<uint8_t *>(packed) + b.offset;
      packPanels(b.panels, weightsBase + host.buffers[b.source].offset, dst,
                 dtypeSize(b.dtype));
      hostAddresses[i] = dst;
    }
    mprotect(packed, host.packedSize, PROT_READ);
    hostPacked = packed;
    hostPackedSize = host.packedSize;
  });
  if (hostStatus != MELD_OK)
    return setError(hostStatus, hostError);
  return MELD_OK;
}

meld_status Model::checkFaults(const Plan &plan,
                               const int64_t status[3]) const {
  if (status[0] == 0)
    return MELD_OK;
  std::string detail = std::to_string(status[2]);
  for (const FaultSite &site : plan.faultSites) {
    if (static_cast<int64_t>(site.site) != status[1])
      continue;
    std::string message = site.message;
    size_t at = message.find("{}");
    if (at != std::string::npos)
      message.replace(at, 2, detail);
    if (site.node.empty())
      return setError(MELD_ERROR_DATA, message);
    return setError(MELD_ERROR_DATA, "node '" + site.node + "' (" +
                                         site.opType + "): " + message);
  }
  return setError(MELD_ERROR_DATA, "a kernel reported fault site " +
                                       std::to_string(status[1]) + " (detail " +
                                       detail + "), which '" + path +
                                       "' does not describe");
}

const KernelModuleRef *Model::findModule(const std::string &target,
                                         const std::string &format) const {
  for (const KernelModuleRef &m : modules)
    if (m.target == target && m.format == format)
      return &m;
  return nullptr;
}

std::string Model::describeModules() const {
  std::string result;
  for (const KernelModuleRef &m : modules) {
    if (!result.empty())
      result += ", ";
    result += "'" + m.target + "' (" + m.format + ")";
  }
  return result.empty() ? "none" : result;
}

} // namespace rt
} // namespace meld
