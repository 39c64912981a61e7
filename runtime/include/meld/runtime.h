/*===- meld/runtime.h - Meld runtime C API -------------------------*- C
-*-===*\
|*                                                                            *|
|* The C API of libmeld_runtime: load a compiled artifact (.meld), create a   *|
|* session on a device, bind inputs, run, read outputs.                       *|
|*                                                                            *|
|* The library links no MLIR or LLVM, throws nothing across this API and      *|
|* never aborts on bad input: every failure returns a status other than       *|
|* MELD_OK and leaves a one-line message in meld_last_error().                *|
|*                                                                            *|
|* Typical use:                                                               *|
|*                                                                            *|
|*   meld_model *model;                                                       *|
|*   if (meld_model_load("m.meld", &model) != MELD_OK)                        *|
|*     die(meld_last_error());                                                *|
|*   meld_session *session;                                                   *|
|*   meld_session_create(model, "cpu", NULL, &session);                       *|
|*   meld_session_set_input(session, "x", MELD_DTYPE_F32, 2, shape, data,     *|
|*                          sizeof(data));                                    *|
|*   meld_session_run(session);                                               *|
|*   meld_tensor_info info; const void *out;                                  *|
|*   meld_session_get_output(session, 0, &info, &out);                        *|
|*   meld_session_free(session);                                              *|
|*   meld_model_free(model);                                                  *|
|*                                                                            *|
|* Thread safety: a meld_model is immutable after loading and may be shared   *|
|* by sessions on any threads. A meld_session is used by one thread at a      *|
|* time.                                                                      *|
\*===----------------------------------------------------------------------===*/

#ifndef MELD_RUNTIME_H
#define MELD_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#if defined(MELD_RUNTIME_BUILDING) && defined(__GNUC__)
#define MELD_API __attribute__((visibility("default")))
#else
#define MELD_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// Version of this API. Bumped when a declaration in this header changes.
#define MELD_RUNTIME_API_VERSION 5

/// Result of every fallible call. MELD_OK is 0; every other value comes with
/// a message in meld_last_error().
typedef enum meld_status {
  MELD_OK = 0,
  /// A NULL pointer, an out-of-range index, or an input whose name, dtype or
  /// shape does not match the model.
  MELD_ERROR_INVALID_ARGUMENT = 1,
  /// A file could not be opened, read or mapped.
  MELD_ERROR_IO = 2,
  /// The artifact is not a Meld artifact, is truncated, corrupted, of an
  /// unknown version, or internally inconsistent.
  MELD_ERROR_INVALID_ARTIFACT = 3,
  /// The request is valid but this build or this machine cannot serve it
  /// (an unknown device, a device whose backend is not built, no kernels for
  /// the device in the artifact, external weights).
  MELD_ERROR_UNSUPPORTED = 4,
  /// The call is not valid in the current state (e.g. run with an unbound
  /// input, reading outputs before a run).
  MELD_ERROR_FAILED_PRECONDITION = 5,
  /// Memory could not be allocated.
  MELD_ERROR_OUT_OF_MEMORY = 6,
  /// A failure of the runtime itself; please report it.
  MELD_ERROR_INTERNAL = 7,
  /// The device failed a call: a CUDA driver call returned an error (the
  /// message names the call, the CUresult and, for a launch, the ONNX node),
  /// or the emulator found a fault in a kernel (an out-of-bounds access, a
  /// shared-memory race, a divergent barrier; the message names the launch,
  /// the ONNX node, the kernel, the block and the thread).
  MELD_ERROR_DEVICE = 8,
  /// A kernel met a fault in the data of the run (API version 4): an index
  /// out of range (Gather, GatherElements, GatherND, ScatterND), an integer
  /// division by zero. The message names the ONNX node and the offending
  /// value, e.g. "node 'emb' (Gather): index 10 is out of range for axis 0
  /// of size 10". The run's outputs are not available; the session stays
  /// usable (the next run starts over).
  MELD_ERROR_DATA = 9,
} meld_status;

/// Element types. The values are those of the artifact schema's DType.
typedef enum meld_dtype {
  MELD_DTYPE_F32 = 0,
  MELD_DTYPE_F16 = 1,
  MELD_DTYPE_BF16 = 2,
  MELD_DTYPE_F64 = 3,
  MELD_DTYPE_I64 = 4,
  MELD_DTYPE_I32 = 5,
  MELD_DTYPE_I8 = 6,
  MELD_DTYPE_U8 = 7,
  /// One byte per element, 0 or 1.
  MELD_DTYPE_BOOL = 8,
} meld_dtype;

/// A loaded artifact: signatures, launch plan, kernels and the mmapped weights.
typedef struct meld_model meld_model;

/// A model instantiated on one device: its kernels loaded, its arena
/// allocated, its inputs bound and, after a run, its outputs.
typedef struct meld_session meld_session;

/// Description of a model input or output. Pointers stay valid until the
/// model is freed.
typedef struct meld_tensor_info {
  /// Name of the graph input or output (NUL-terminated).
  const char *name;
  meld_dtype dtype;
  /// Number of dimensions; 0 for a scalar.
  int32_t rank;
  /// `rank` dimension sizes, outermost first (C order).
  const int64_t *shape;
  /// Size of the dense tensor in bytes: product(shape) * element size.
  uint64_t num_bytes;
} meld_tensor_info;

/// Options of meld_session_create. Zero-initialise, set `struct_size` to
/// sizeof(meld_session_options), then set the fields you need.
typedef struct meld_session_options {
  /// sizeof(meld_session_options) as the caller knows it (ABI evolution).
  uint32_t struct_size;
  /// CPU worker threads for kernel launches (on the emu device, for the
  /// blocks of each launch): 0 picks the hardware concurrency, 1 runs every
  /// launch on the calling thread.
  int32_t num_threads;
  /// Device "emu": seed of the pseudo-random order in which the blocks of
  /// each launch run (launch i uses the seed mixed with i). Equal seeds give
  /// equal orders; 0, the default, is a seed like any other. Ignored by the
  /// other devices.
  uint64_t emu_seed;
  /// Device "emu": nonzero counts the memory statistics of every kernel
  /// (meld_session_emu_stats). Counting slows the emulator down. Ignored by
  /// the other devices.
  int32_t emu_access_stats;
} meld_session_options;

/// Returns the message of the last failed call on the calling thread: one
/// line, no trailing newline. Never NULL; empty when the last call on this
/// thread succeeded. Valid until the next meld_* call on this thread.
MELD_API const char *meld_last_error(void);

/// Returns a static name for a status ("ok", "invalid argument", ...).
MELD_API const char *meld_status_name(meld_status status);

/// Returns a static name for a dtype ("f32", "i64", ...), or "?" if unknown.
MELD_API const char *meld_dtype_name(meld_dtype dtype);

/// Returns the size in bytes of one element of `dtype`, or 0 if unknown.
MELD_API size_t meld_dtype_size(meld_dtype dtype);

/// Returns the runtime's version string, e.g. "meld-runtime 0.1 (api 5)".
MELD_API const char *meld_runtime_version(void);

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

/// Opens, maps and fully verifies the artifact at `path` (header, checksums,
/// FlatBuffers verifier, every buffer and launch argument in range). On
/// success stores the model in `*model`; on failure stores NULL.
MELD_API meld_status meld_model_load(const char *path, meld_model **model);

/// Frees a model. Sessions created from it must be freed first. NULL is a
/// no-op.
MELD_API void meld_model_free(meld_model *model);

/// Number of graph inputs / outputs. 0 for a NULL model.
MELD_API size_t meld_model_num_inputs(const meld_model *model);
MELD_API size_t meld_model_num_outputs(const meld_model *model);

/// Describes input / output `index` (0-based, in graph order).
MELD_API meld_status meld_model_input_info(const meld_model *model,
                                           size_t index,
                                           meld_tensor_info *info);
MELD_API meld_status meld_model_output_info(const meld_model *model,
                                            size_t index,
                                            meld_tensor_info *info);

/// Returns 1 if the model was compiled with external weights (meldc
/// --weights=external), 0 otherwise or for a NULL model. Such a model needs
/// meld_model_load_weights before a session can be created.
MELD_API int meld_model_has_external_weights(const meld_model *model);

/// Loads the external weights of `model` from the safetensors file at
/// `path`, keyed by ONNX initializer name. Every weight the artifact needs
/// must be in the file with the same dtype (F32, F16, BF16, F64, I64, I32,
/// I8, U8, BOOL) and shape; other tensors are ignored. The file is mapped and
/// tensors aligned to 64 bytes are used in place (keep the file unchanged
/// while the model lives); others are copied. Call it once, before creating
/// sessions: it fails with MELD_ERROR_FAILED_PRECONDITION once a session
/// exists or the weights are loaded, MELD_ERROR_INVALID_ARGUMENT for a model
/// with embedded weights or a file that does not match (the message names
/// the weight), MELD_ERROR_IO if the file cannot be read.
MELD_API meld_status meld_model_load_weights(meld_model *model,
                                             const char *path);

/// Finds the index of the input / output called `name`. Fails with
/// MELD_ERROR_INVALID_ARGUMENT, listing the valid names, if there is none.
MELD_API meld_status meld_model_find_input(const meld_model *model,
                                           const char *name, size_t *index);
MELD_API meld_status meld_model_find_output(const meld_model *model,
                                            const char *name, size_t *index);

//===----------------------------------------------------------------------===//
// Sessions
//===----------------------------------------------------------------------===//

/// Creates a session of `model` on `device`. Devices: "cpu"; "cuda" (CUDA
/// device 0) or "cuda:N" (device N), through the NVIDIA driver, which is
/// loaded at run time: without one (no libcuda.so.1, the toolkit's stub
/// library, no device, a driver too old) this fails with
/// MELD_ERROR_UNSUPPORTED and one line saying which; "emu", the GPU emulator:
/// the artifact's "emu" kernels (its GPU kernels compiled for the host) run
/// on the session's threads, every block's threads as fibers, with checks of
/// every memory access, barrier and warp collective (docs/Emulator.md).
/// `options` may be NULL for defaults. Loads the kernel module for the
/// device, resolves every kernel, copies the weights to the device and
/// allocates the arena, filled with 0xFF bytes (a NaN pattern) so unwritten
/// outputs show. A model with external weights needs meld_model_load_weights
/// first (MELD_ERROR_FAILED_PRECONDITION otherwise).
MELD_API meld_status meld_session_create(meld_model *model, const char *device,
                                         const meld_session_options *options,
                                         meld_session **session);

/// Frees a session. NULL is a no-op.
MELD_API void meld_session_free(meld_session *session);

/// Binds input `name` to a copy of `data` (`num_bytes` bytes, dense, C order,
/// little-endian). `dtype`, `rank` and `shape` must equal the model's; the
/// message says what was expected. `data` is copied, so it may be freed on
/// return. Rebinding an input replaces the previous value.
MELD_API meld_status meld_session_set_input(meld_session *session,
                                            const char *name, meld_dtype dtype,
                                            int32_t rank, const int64_t *shape,
                                            const void *data,
                                            uint64_t num_bytes);

/// Runs every launch of the model in order. Fails, naming them, if some
/// inputs are unbound. Bound inputs stay bound for the next run. A fault in
/// the data (an index out of range, an integer division by zero) fails the
/// run with MELD_ERROR_DATA and a message naming the ONNX node; the
/// session stays usable.
MELD_API meld_status meld_session_run(meld_session *session);

/// Runs like meld_session_run and stores in `*milliseconds` how long the run
/// took (API version 3). On "cuda" it is the device time of the kernel
/// launches alone, measured with two CUDA events recorded on the session's
/// stream before the first launch and after the last one: the copies of the
/// inputs to the device and of the outputs back are outside that region.
/// (Host-side launch overhead shows where the GPU waits for launches.) On
/// "cpu" and "emu" it is the wall-clock time of the whole run (steady
/// clock), inputs copied into the arena included. For benchmarks: do a few
/// untimed runs first (module load, JIT and first-touch costs) and take the
/// median of many. Outputs are available afterwards as after
/// meld_session_run.
MELD_API meld_status meld_session_run_timed(meld_session *session,
                                            double *milliseconds);

/// The emulator's memory statistics of the session's runs so far (a
/// session on "emu" created with `emu_access_stats`), in `*text`: one line
/// per kernel, "kernel NAME: shared A accesses, W wavefronts (ideal I, xR);
/// global A accesses, S sectors (ideal I, xR)". A warp-wide access is the
/// lanes' accesses at one load or store of the kernel; shared wavefronts
/// above the ideal are bank conflicts, global sectors above it uncoalesced
/// bytes. Valid until the next call on the session. Any other session:
/// MELD_ERROR_FAILED_PRECONDITION.
MELD_API meld_status meld_session_emu_stats(meld_session *session,
                                            const char **text);

/// Gives output `index` of the last successful run: its description in
/// `*info` (may be NULL) and a read-only pointer to its bytes in `*data`.
/// The bytes stay valid until the next meld_session_run or
/// meld_session_free.
MELD_API meld_status meld_session_get_output(meld_session *session,
                                             size_t index,
                                             meld_tensor_info *info,
                                             const void **data);

/// Same as meld_session_get_output, by output name.
MELD_API meld_status meld_session_get_output_by_name(meld_session *session,
                                                     const char *name,
                                                     meld_tensor_info *info,
                                                     const void **data);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // MELD_RUNTIME_H
