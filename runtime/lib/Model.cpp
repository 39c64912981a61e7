//===- Model.cpp - A loaded and verified Meld artifact --------------------===//

#include "Model.h"

#include "Support.h"
#include "meld/artifact_format.h"
#include "meld/artifact_generated.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
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
  if (mapping)
    munmap(mapping, mappingSize);
}

meld_status Model::load(const char *path, std::unique_ptr<Model> &result) {
  result.reset();
  std::string p = path;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return setError(MELD_ERROR_IO,
                    "cannot open '" + p + "': " + strerror(errno));
  FdCloser closer{fd};
  struct stat st;
  if (fstat(fd, &st) != 0)
    return setError(MELD_ERROR_IO,
                    "cannot stat '" + p + "': " + strerror(errno));
  if (!S_ISREG(st.st_mode))
    return setError(MELD_ERROR_IO, "'" + p + "' is not a regular file");
  uint64_t fileSize = static_cast<uint64_t>(st.st_size);
  if (fileSize < 8)
    return setError(MELD_ERROR_INVALID_ARTIFACT,
                    "'" + p + "' is not a Meld artifact (file of " +
                        std::to_string(fileSize) + " bytes)");

  std::unique_ptr<Model> model(new Model());
  model->path = p;
  void *map = mmap(nullptr, fileSize, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED)
    return setError(MELD_ERROR_IO,
                    "cannot map '" + p + "': " + strerror(errno));
  model->mapping = map;
  model->mappingSize = fileSize;
  const uint8_t *base = static_cast<const uint8_t *>(map);

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
  if (a->weights_external())
    return setError(MELD_ERROR_UNSUPPORTED,
                    "'" + p +
                        "' keeps its weights in an external file, which this "
                        "runtime does not support yet");
  if (a->weights_size() != weightsSize)
    return invalid("weights_size " + std::to_string(a->weights_size()) +
                   " differs from the weights section size " +
                   std::to_string(weightsSize));
  arenaSize = a->arena_size();

  // Buffers.
  if (auto *bufs = a->buffers()) {
    for (uint32_t i = 0; i < bufs->size(); ++i) {
      const artifact::Buffer *b = bufs->Get(i);
      BufferSlice slice;
      slice.isWeight = b->kind() == artifact::BufferKind_Weight;
      slice.offset = b->offset();
      slice.size = b->size();
      slice.name = str(b->name());
      std::string what = "buffer " + std::to_string(i) +
                         (slice.name.empty() ? "" : " ('" + slice.name + "')");
      if (b->kind() != artifact::BufferKind_Arena && !slice.isWeight)
        return invalid(what + " has unknown kind " + std::to_string(b->kind()));
      uint64_t limit = slice.isWeight ? weightsSize : arenaSize;
      if (!rangeWithin(slice.offset, slice.size, limit))
        return invalid(what + ": bytes [" + std::to_string(slice.offset) +
                       ", " + std::to_string(slice.offset + slice.size) +
                       ") exceed the " +
                       (slice.isWeight ? "weights section" : "arena") + " of " +
                       std::to_string(limit) + " bytes");
      buffers.push_back(std::move(slice));
    }
  }

  // Signatures.
  auto readSignatures =
      [&](const flatbuffers::Vector<
              flatbuffers::Offset<artifact::TensorSignature>> *sigs,
          const char *kind, bool isInput,
          std::vector<TensorSignature> &out) -> meld_status {
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
      uint32_t rawDType = s->dtype();
      size_t elemSize = dtypeSize(rawDType);
      if (!elemSize)
        return invalid(what + " has unknown dtype " + std::to_string(rawDType));
      sig.dtype = static_cast<meld_dtype>(rawDType);
      uint64_t numBytes = elemSize;
      if (auto *shape = s->shape()) {
        for (int64_t d : *shape) {
          sig.shape.push_back(d);
          if (d < 0)
            return invalid(what + " has a dynamic or negative dimension");
          if (mulOverflow(numBytes, static_cast<uint64_t>(d), numBytes))
            return invalid(what + " has a shape too large");
        }
      }
      sig.numBytes = numBytes;
      sig.buffer = s->buffer();
      if (sig.buffer >= buffers.size())
        return invalid(what + " refers to buffer " +
                       std::to_string(sig.buffer) + " but there are " +
                       std::to_string(buffers.size()) + " buffers");
      const BufferSlice &slice = buffers[sig.buffer];
      if (isInput && slice.isWeight)
        return invalid(what + " is bound to a weight buffer");
      if (slice.size < numBytes)
        return invalid(what + " of shape " + formatShape(sig.shape) +
                       " needs " + std::to_string(numBytes) +
                       " bytes but its buffer has " +
                       std::to_string(slice.size));
      out.push_back(std::move(sig));
    }
    return MELD_OK;
  };
  if (meld_status s = readSignatures(a->inputs(), "input", true, inputs))
    return s;
  if (meld_status s = readSignatures(a->outputs(), "output", false, outputs))
    return s;

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

  // Launches.
  if (auto *ls = a->launches()) {
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
      launches.push_back(std::move(plan));
    }
  }
  return MELD_OK;
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
