/*===- meld/artifact_format.h - Fixed header of a .meld file -------*- C
-*-===*\
|*                                                                            *|
|* The fixed 64-byte header that starts every Meld artifact, shared by the    *|
|* writer (lib/Target/Artifact) and the reader (runtime/). See                *|
|* docs/Artifact.md for the whole layout:                                     *|
|*                                                                            *|
|*   [0, 64)                    this header, little-endian                    *|
|*   [metadata_offset, +size)   FlatBuffer (runtime/schema/artifact.fbs)      *|
|*   zero padding up to weights_offset (a multiple of 4096)                   *|
|*   [weights_offset, +size)    the weights section, mmapped in place         *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef MELD_ARTIFACT_FORMAT_H
#define MELD_ARTIFACT_FORMAT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// First 8 bytes of every artifact.
#define MELD_ARTIFACT_MAGIC "MELDART\0"
/// Version of the file layout (this header); the reader rejects others.
#define MELD_ARTIFACT_FORMAT_VERSION 1u
/// Version of the FlatBuffer schema (Artifact.schema_version).
#define MELD_ARTIFACT_SCHEMA_VERSION 1u
/// Size of the fixed header in bytes.
#define MELD_ARTIFACT_HEADER_SIZE 64u
/// Alignment of the weights section inside the file, so it can be mmapped.
#define MELD_ARTIFACT_WEIGHTS_ALIGNMENT 4096u

/// The fixed header. Every field is little-endian; the struct has no padding
/// and matches the on-disk bytes on a little-endian host.
typedef struct meld_artifact_header {
  /// MELD_ARTIFACT_MAGIC.
  char magic[8];
  /// MELD_ARTIFACT_FORMAT_VERSION.
  uint32_t format_version;
  /// MELD_ARTIFACT_HEADER_SIZE.
  uint32_t header_size;
  /// Byte offset and size of the FlatBuffer metadata.
  uint64_t metadata_offset;
  uint64_t metadata_size;
  /// Byte offset (multiple of 4096) and size of the weights section.
  uint64_t weights_offset;
  uint64_t weights_size;
  /// Size of the whole file; the reader rejects a file of any other size.
  uint64_t file_size;
  /// CRC-32 (zlib's crc32, IEEE polynomial) of the metadata bytes.
  uint32_t metadata_crc32;
  /// CRC-32 of the weights section bytes.
  uint32_t weights_crc32;
} meld_artifact_header;

/// A host kernel library an artifact may hold: the target name of its module
/// and the x86-64 ISA level (as compilers name it) its code needs.
typedef struct meld_host_level {
  const char *target;
  const char *level;
} meld_host_level;

/// Every host kernel library an artifact may hold, widest first: meldc
/// compiles the levels it is given (--host-cpu) under these names, the
/// runtime runs the widest one the CPU supports.
static const meld_host_level MELD_HOST_LEVELS[] = {
    {"host-x86-64-v4", "x86-64-v4"},
    {"host-x86-64-v3", "x86-64-v3"},
    {"host-x86-64-v2", "x86-64-v2"},
    {"host", "x86-64"}};
#define MELD_HOST_LEVEL_COUNT 4u

#ifdef __cplusplus
static_assert(sizeof(MELD_HOST_LEVELS) / sizeof(MELD_HOST_LEVELS[0]) ==
                  MELD_HOST_LEVEL_COUNT,
              "MELD_HOST_LEVEL_COUNT counts MELD_HOST_LEVELS");
static_assert(sizeof(meld_artifact_header) == MELD_ARTIFACT_HEADER_SIZE,
              "the artifact header must be 64 bytes");
} // extern "C"

#include <string>

namespace meld {
/// The ISA levels of MELD_HOST_LEVELS, narrowest first, as messages list
/// them: "x86-64, x86-64-v2, x86-64-v3 or x86-64-v4".
inline std::string getHostLevelNames() {
  std::string names;
  for (unsigned i = MELD_HOST_LEVEL_COUNT; i-- > 0;)
    names += std::string(i + 1 == MELD_HOST_LEVEL_COUNT ? ""
                         : i == 0                       ? " or "
                                                        : ", ") +
             MELD_HOST_LEVELS[i].level;
  return names;
}
} // namespace meld
#endif

#endif // MELD_ARTIFACT_FORMAT_H
