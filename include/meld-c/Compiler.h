/*===- meld-c/Compiler.h - Meld's compiler as a C library ---------*- C -*-===*\
|*                                                                            *|
|* The C API of libMeldCompiler: compile an ONNX model (a file, or its bytes  *|
|* in memory) into artifact bytes in memory, with the options of `meldc`,     *|
|* for frameworks that call Meld in-process. Its conventions are those of the *|
|* runtime's C API (meld/runtime.h): `meld_` names, opaque objects created    *|
|* and freed by the library, nothing thrown across the API.                   *|
|*                                                                            *|
|* A compile never prints and never aborts on bad input: every problem (an    *|
|* unreadable or malformed model, an unsupported op, a bad option) is a       *|
|* diagnostic record of the result, naming the ONNX node and op type where    *|
|* there is one.                                                              *|
|*                                                                            *|
|* Typical use:                                                               *|
|*                                                                            *|
|*   meld_compile_options *options = meld_compile_options_create();           *|
|*   meld_compile_options_set_targets(options, "sm_90a");                     *|
|*   meld_compile_result *result = meld_compile_file("m.onnx", options);      *|
|*   if (!meld_compile_result_ok(result))                                     *|
|*     for (size_t i = 0; i < meld_compile_result_num_diagnostics(result);    *|
|*          ++i)                                                              *|
|*       report(meld_compile_result_diagnostic(result, i));                   *|
|*   size_t size;                                                             *|
|*   const void *artifact = meld_compile_result_artifact(result, &size);      *|
|*   meld_compile_result_free(result);                                        *|
|*   meld_compile_options_free(options);                                      *|
|*                                                                            *|
|* Thread safety: compiles may run at the same time on any threads, each with *|
|* its own options (options are only read by a compile) or sharing them. A    *|
|* result is immutable and may be read from any thread.                       *|
\*===----------------------------------------------------------------------===*/

#ifndef MELD_C_COMPILER_H
#define MELD_C_COMPILER_H

#include <stddef.h>
#include <stdint.h>

#if defined(MELD_COMPILER_BUILDING) && defined(__GNUC__)
#define MELD_COMPILER_API __attribute__((visibility("default")))
#else
#define MELD_COMPILER_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// Version of this API. Bumped when a declaration in this header changes
/// (2: the report; 3: outputs other than the artifact, an output file, the
/// report as a table, progress and diagnostic callbacks, MLIR's
/// command-line options, the linker; 4: the precision; 5: the host ISA
/// levels).
#define MELD_COMPILER_API_VERSION 5

/// How a compile runs: `meldc`'s options. Created with the defaults of
/// `meldc`: GPU targets sm_80 and sm_90a, the emulator's kernels, weights
/// embedded, warps chosen per kernel.
typedef struct meld_compile_options meld_compile_options;

/// What a compile made: the artifact's bytes when it succeeded, and every
/// diagnostic it reported either way.
typedef struct meld_compile_result meld_compile_result;

typedef enum meld_diagnostic_severity {
  MELD_SEVERITY_ERROR = 0,
  MELD_SEVERITY_WARNING = 1,
  MELD_SEVERITY_NOTE = 2,
  MELD_SEVERITY_REMARK = 3,
} meld_diagnostic_severity;

/// One diagnostic of a compile. The strings are NUL-terminated, owned by the
/// result and valid until it is freed.
typedef struct meld_diagnostic {
  meld_diagnostic_severity severity;
  /// The ONNX node at fault and its op type; "" when the diagnostic is not
  /// at a node (a missing file, a bad option).
  const char *node;
  const char *op_type;
  const char *message;
} meld_diagnostic;

/// What a compile produces (`meldc --emit`): the artifact, or the text of
/// one stage of the compile, for looking inside it.
typedef enum meld_compile_output {
  /// The .meld artifact for the runtime (the default).
  MELD_OUTPUT_ARTIFACT = 0,
  /// The imported model in the graph dialect (MLIR text).
  MELD_OUTPUT_IMPORT = 1,
  /// The graph after the graph passes: composites and fusion groups.
  MELD_OUTPUT_GRAPH = 2,
  /// The tile-dialect kernels and the launch plan (MLIR text).
  MELD_OUTPUT_TILE = 3,
  /// The artifact's buffer and launch plan (JSON).
  MELD_OUTPUT_PLAN = 4,
  /// The GPU kernels in the gpu dialect, before NVVM (MLIR text).
  MELD_OUTPUT_GPU = 5,
  /// The host kernels in the LLVM dialect (MLIR text).
  MELD_OUTPUT_LLVM = 6,
  /// The PTX module of the one GPU target the options name.
  MELD_OUTPUT_PTX = 7,
} meld_compile_output;

/// The report's format (`meld_compile_options_set_report`).
typedef enum meld_report_format {
  MELD_REPORT_NONE = 0,
  MELD_REPORT_JSON = 1,
  /// The table `meldc --report` prints.
  MELD_REPORT_TABLE = 2,
} meld_report_format;

/// What a progress callback is told.
typedef enum meld_progress_event {
  /// Step `step` started (import, tile kernels, PTX sm_90a, ...).
  MELD_PROGRESS_START = 0,
  /// Step `step` has done `done` of `total` `unit` (passes, kernels).
  MELD_PROGRESS_STEP = 1,
  /// Step `step` ended.
  MELD_PROGRESS_FINISH = 2,
} meld_progress_event;

/// Called as a compile goes, with the `user` pointer given with it. Steps
/// run at the same time on several threads: calls may come from any of
/// them, at once. `step` and `unit` are valid during the call.
typedef void (*meld_progress_callback)(void *user, meld_progress_event event,
                                       const char *step, int64_t done,
                                       int64_t total, const char *unit);

/// Called with each diagnostic as the compile reports it (it is in the
/// result too), one call at a time, from any of the compile's threads.
/// The record is valid during the call.
typedef void (*meld_diagnostic_callback)(void *user,
                                         const meld_diagnostic *diagnostic);

/// Options with the defaults above; NULL only when out of memory.
MELD_COMPILER_API meld_compile_options *meld_compile_options_create(void);
/// Frees `options` (NULL: nothing).
MELD_COMPILER_API void meld_compile_options_free(meld_compile_options *options);

/// The GPU targets, comma-separated ("sm_80,sm_90a"; supported: sm_80,
/// sm_86, sm_89, sm_90, sm_90a), or "cpu" for none: the host code alone
/// (always in the artifact). An unknown target is an error of the compile.
MELD_COMPILER_API void
meld_compile_options_set_targets(meld_compile_options *options,
                                 const char *targets);
/// The CUDA toolkit (libdevice for math functions, ptxas for cubins);
/// default /usr/local/cuda.
MELD_COMPILER_API void
meld_compile_options_set_cuda_path(meld_compile_options *options,
                                   const char *path);
/// Whether the weights are left out of the artifact (nonzero), for the
/// runtime to load from a safetensors file keyed by initializer name.
MELD_COMPILER_API void
meld_compile_options_set_external_weights(meld_compile_options *options,
                                          int external);
/// The linker of the host kernels (lld's ELF linker, `ld.lld`): default the
/// one of the LLVM Meld was built with, else `ld.lld` on the PATH. The
/// Python package's wheel carries its own and passes it.
MELD_COMPILER_API void
meld_compile_options_set_linker(meld_compile_options *options,
                                const char *path);
/// Whether the artifact carries the GPU kernels compiled for the emulator
/// (default: with GPU targets, and not with "cpu").
MELD_COMPILER_API void
meld_compile_options_set_emulator(meld_compile_options *options, int emulator);
/// The warps of every GPU kernel's block, 1 to 32; 0 (the default) chooses
/// per kernel. Another value is an error of the compile.
MELD_COMPILER_API void
meld_compile_options_set_num_warps(meld_compile_options *options,
                                   int64_t warps);
/// Which products of the GPU kernels run on tensor cores: "fp32" (none,
/// every product in f32 on the CUDA cores), "tf32" (the default: f32
/// products on mma.sync, operands rounded to tf32), "fp16" or "bf16"
/// (operands rounded to that type); all accumulate in f32. Another value is
/// an error of the compile.
MELD_COMPILER_API void
meld_compile_options_set_precision(meld_compile_options *options,
                                   const char *precision);
/// The x86-64 ISA levels the host (CPU) kernels are compiled for,
/// comma-separated, one library each: "x86-64" (the baseline, which every
/// x86-64 CPU runs), "x86-64-v2", "x86-64-v3" (AVX2, FMA), "x86-64-v4"
/// (AVX-512). The default, "x86-64,x86-64-v3,x86-64-v4". The runtime runs
/// the widest level the CPU supports, and refuses an artifact none of whose
/// levels it supports. Another name is an error of the compile.
MELD_COMPILER_API void
meld_compile_options_set_host_cpus(meld_compile_options *options,
                                   const char *cpus);
/// Whether the result carries the report of `meldc --report`, and in which
/// format (a `meld_report_format`; any other nonzero value: JSON): per
/// kernel and GPU target, the ONNX nodes it computes, its grid, tile, flops,
/// device-memory bytes, roofline estimate and what ptxas says, with totals
/// per target. It needs a GPU target and ptxas, and the artifact output.
MELD_COMPILER_API void
meld_compile_options_set_report(meld_compile_options *options, int report);
/// What the compile produces (default `MELD_OUTPUT_ARTIFACT`). The PTX
/// output needs exactly one GPU target.
MELD_COMPILER_API void
meld_compile_options_set_output(meld_compile_options *options,
                                meld_compile_output output);
/// Writes the output to file `path` as the compile makes it ("-": the
/// standard output, for text), rather than holding it in the result: an
/// artifact's weights are then never all in memory at once. The file is
/// left only when the compile succeeds. NULL or "": held in the result
/// (the default).
MELD_COMPILER_API void
meld_compile_options_set_output_file(meld_compile_options *options,
                                     const char *path);
/// Calls `callback` with `user` as the compile goes (NULL: no calls).
MELD_COMPILER_API void meld_compile_options_set_progress_callback(
    meld_compile_options *options, meld_progress_callback callback, void *user);
/// Calls `callback` with `user` for each diagnostic as it is reported
/// (NULL: no calls).
MELD_COMPILER_API void
meld_compile_options_set_diagnostic_callback(meld_compile_options *options,
                                             meld_diagnostic_callback callback,
                                             void *user);
/// The host and emulator libraries of more kernels are compiled in parts of
/// about this many kernels (at least 1; default 64), on several threads.
MELD_COMPILER_API void
meld_compile_options_set_kernels_per_part(meld_compile_options *options,
                                          int64_t kernels);
/// A host or emulator library whose code costs at least this much to compile
/// (LLVM instructions before optimization, each weighed by the 128-bit
/// registers its widest vector takes; at least 1, default 8192) is compiled
/// in a part per thread at least, the parts of about equal cost.
MELD_COMPILER_API void
meld_compile_options_set_split_cost(meld_compile_options *options,
                                    int64_t cost);
/// Whether MLIR's command-line options, where the process registered and
/// parsed them (as `meldc` does: --mlir-timing, --mlir-print-ir-after-all,
/// ...), apply to the compile (nonzero); the timing report then goes to
/// stderr. Off by default: a compile reads no global state.
MELD_COMPILER_API void
meld_compile_options_use_command_line(meld_compile_options *options, int use);
/// Freezes graph input `name` to the tensor in `file` (.npy or an ONNX
/// TensorProto .pb): it becomes a constant and leaves the signature.
MELD_COMPILER_API void
meld_compile_options_add_const(meld_compile_options *options, const char *name,
                               const char *file);
/// Fixes the shape of graph input `name` to the `rank` dimensions `dims`, or
/// the size of symbolic dimension `name` in every input that has it (rank
/// 1). Given twice with different values: an error of the compile.
MELD_COMPILER_API void
meld_compile_options_set_shape(meld_compile_options *options, const char *name,
                               const int64_t *dims, size_t rank);

/// Compiles the ONNX model in file `path` (external data next to it) with
/// `options` (NULL: the defaults). Returns NULL only when out of memory.
MELD_COMPILER_API meld_compile_result *
meld_compile_file(const char *path, const meld_compile_options *options);
/// Compiles the serialized ONNX model in `size` bytes at `model`; its
/// external data files, if any, are looked up in `base_dir` and must lie
/// inside it (NULL or "": the working directory). Diagnostics name the model
/// "<buffer>".
MELD_COMPILER_API meld_compile_result *
meld_compile_buffer(const void *model, size_t size, const char *base_dir,
                    const meld_compile_options *options);

/// Nonzero when the compile succeeded: the result holds an artifact and no
/// error diagnostic.
MELD_COMPILER_API int meld_compile_result_ok(const meld_compile_result *result);
/// The artifact's bytes (what `meldc -o` writes), `*size` of them; NULL and
/// 0 when the compile failed, made another output, or wrote it to a file.
/// Valid until the result is freed.
MELD_COMPILER_API const void *
meld_compile_result_artifact(const meld_compile_result *result, size_t *size);
/// The output's bytes, `*size` of them (the artifact, or the text of
/// another output, not NUL-terminated); NULL and 0 when the compile failed
/// or wrote its output to a file. Valid until the result is freed.
MELD_COMPILER_API const void *
meld_compile_result_output(const meld_compile_result *result, size_t *size);
/// The report (JSON, NUL-terminated) when the options asked for it and the
/// compile succeeded; "" otherwise. Valid until the result is freed.
MELD_COMPILER_API const char *
meld_compile_result_report(const meld_compile_result *result);
MELD_COMPILER_API size_t
meld_compile_result_num_diagnostics(const meld_compile_result *result);
/// Diagnostic `index`, in the order reported (an index out of range gives an
/// error record saying so).
MELD_COMPILER_API meld_diagnostic
meld_compile_result_diagnostic(const meld_compile_result *result, size_t index);
/// Frees `result` (NULL: nothing).
MELD_COMPILER_API void meld_compile_result_free(meld_compile_result *result);

#ifdef __cplusplus
}
#endif

#endif /* MELD_C_COMPILER_H */
