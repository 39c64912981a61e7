/*===- compiler.c - Test of the compiler's C API --------------------------===*\
|*                                                                            *|
|* meld-capi-compiler-test MODE ARGS...; prints what it finds, for FileCheck: *|
|*                                                                            *|
|*   same MODEL.onnx ARTIFACT    compiles MODEL from its file, from its bytes *|
|*                               and from its bytes on 4 threads at once,     *|
|*                               each time with the default options, and      *|
|*                               compares every artifact with ARTIFACT        *|
|*                               (what meldc wrote with the same options)     *|
|*   errors MODEL.onnx           compiles MODEL, which must fail, and prints  *|
|*                               every diagnostic                             *|
|*   options MODEL.onnx          compiles MODEL with bad options, one at a    *|
|*                               time, and prints the diagnostics             *|
|*   outputs MODEL BAD ARTIFACT DIR                                           *|
|*                               compiles MODEL to each other output, in      *|
|*                               memory and into files under DIR, with the    *|
|*                               callbacks, the report as a table, and bad    *|
|*                               combinations (BAD must fail); ARTIFACT is   *|
|*                               what meldc wrote                             *|
|*   null                        calls every function with NULL arguments     *|
|*                                                                            *|
|* Exit code 0 when every check it makes holds.                               *|
\*===----------------------------------------------------------------------===*/

#include "meld-c/Compiler.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *severityName(meld_diagnostic_severity severity) {
  switch (severity) {
  case MELD_SEVERITY_ERROR:
    return "error";
  case MELD_SEVERITY_WARNING:
    return "warning";
  case MELD_SEVERITY_NOTE:
    return "note";
  case MELD_SEVERITY_REMARK:
    return "remark";
  }
  return "?";
}

/* Prints the result's status and every diagnostic, one line each. */
static void printResult(const char *label, const meld_compile_result *result) {
  size_t size;
  meld_compile_result_artifact(result, &size);
  printf("%s: ok=%d artifact=%s diagnostics=%zu\n", label,
         meld_compile_result_ok(result), size ? "yes" : "none",
         meld_compile_result_num_diagnostics(result));
  for (size_t i = 0; i < meld_compile_result_num_diagnostics(result); ++i) {
    meld_diagnostic d = meld_compile_result_diagnostic(result, i);
    printf("  %s: node '%s' (%s): %s\n", severityName(d.severity), d.node,
           d.op_type, d.message);
  }
}

/* The bytes of file `path` (`*size` of them), or NULL. */
static char *readFile(const char *path, size_t *size) {
  FILE *file = fopen(path, "rb");
  if (!file)
    return NULL;
  fseek(file, 0, SEEK_END);
  long length = ftell(file);
  fseek(file, 0, SEEK_SET);
  char *data = malloc(length > 0 ? (size_t)length : 1);
  if (data && fread(data, 1, (size_t)length, file) != (size_t)length) {
    free(data);
    data = NULL;
  }
  fclose(file);
  *size = (size_t)length;
  return data;
}

/* Whether `result` succeeded with exactly the `size` bytes at `expected`. */
static int sameArtifact(const meld_compile_result *result, const char *expected,
                        size_t size) {
  size_t got;
  const void *artifact = meld_compile_result_artifact(result, &got);
  return meld_compile_result_ok(result) && artifact && got == size &&
         memcmp(artifact, expected, size) == 0;
}

struct ThreadWork {
  const char *model;
  size_t size;
  meld_compile_result *result;
};

static void *compileOnThread(void *arg) {
  struct ThreadWork *work = arg;
  work->result = meld_compile_buffer(work->model, work->size, NULL, NULL);
  return NULL;
}

static int testSame(const char *modelPath, const char *artifactPath) {
  size_t modelSize, expectedSize;
  char *model = readFile(modelPath, &modelSize);
  char *expected = readFile(artifactPath, &expectedSize);
  if (!model || !expected) {
    printf("cannot read the model or the artifact\n");
    return 1;
  }
  int failures = 0;
  meld_compile_result *fromFile = meld_compile_file(modelPath, NULL);
  int same = sameArtifact(fromFile, expected, expectedSize);
  failures += !same;
  printf("file: %s\n", same ? "same as meldc" : "DIFFERENT");
  printResult("file", fromFile);
  meld_compile_result_free(fromFile);

  meld_compile_result *fromBuffer =
      meld_compile_buffer(model, modelSize, NULL, NULL);
  same = sameArtifact(fromBuffer, expected, expectedSize);
  failures += !same;
  printf("buffer: %s\n", same ? "same as meldc" : "DIFFERENT");
  meld_compile_result_free(fromBuffer);

  enum { kThreads = 4 };
  pthread_t threads[kThreads];
  struct ThreadWork work[kThreads];
  for (int i = 0; i < kThreads; ++i) {
    work[i].model = model;
    work[i].size = modelSize;
    work[i].result = NULL;
    if (pthread_create(&threads[i], NULL, compileOnThread, &work[i]) != 0) {
      printf("cannot start a thread\n");
      return 1;
    }
  }
  int sameCount = 0;
  for (int i = 0; i < kThreads; ++i) {
    pthread_join(threads[i], NULL);
    sameCount += sameArtifact(work[i].result, expected, expectedSize);
    meld_compile_result_free(work[i].result);
  }
  failures += sameCount != kThreads;
  printf("threads: %d of %d compiles same as meldc\n", sameCount, kThreads);
  free(model);
  free(expected);
  return failures != 0;
}

static int testErrors(const char *modelPath) {
  meld_compile_result *result = meld_compile_file(modelPath, NULL);
  printResult("errors", result);
  int ok = meld_compile_result_ok(result);
  meld_compile_result_free(result);
  return ok; /* The compile must fail. */
}

/* Compiles `modelPath` with `options` (then frees them) and prints the
   result; 1 when its success is not `expectOk`. */
static int check(const char *label, const char *modelPath,
                 meld_compile_options *options, int expectOk) {
  meld_compile_result *result = meld_compile_file(modelPath, options);
  printResult(label, result);
  int wrong = !meld_compile_result_ok(result) != !expectOk;
  meld_compile_result_free(result);
  meld_compile_options_free(options);
  return wrong;
}

static int testOptions(const char *modelPath) {
  int failures = 0;
  meld_compile_options *options = meld_compile_options_create();
  meld_compile_options_set_targets(options, "sm_80,sm_50");
  failures += check("target", modelPath, options, 0);

  options = meld_compile_options_create();
  meld_compile_options_set_targets(options, "cpu,sm_80");
  failures += check("cpu-and-gpu", modelPath, options, 0);

  options = meld_compile_options_create();
  meld_compile_options_set_num_warps(options, 33);
  failures += check("warps", modelPath, options, 0);

  options = meld_compile_options_create();
  meld_compile_options_set_precision(options, "fp8");
  failures += check("precision", modelPath, options, 0);

  options = meld_compile_options_create();
  int64_t first[] = {3, 5}, second[] = {4, 5};
  meld_compile_options_set_shape(options, "x", first, 2);
  meld_compile_options_set_shape(options, "x", second, 2);
  failures += check("shape-twice", modelPath, options, 0);

  /* A shape that does not fit the model: the importer's diagnostic. */
  options = meld_compile_options_create();
  meld_compile_options_set_targets(options, "cpu");
  int64_t wrong[] = {3, 6};
  meld_compile_options_set_shape(options, "x", wrong, 2);
  failures += check("shape-wrong", modelPath, options, 0);

  /* The CPU alone: an artifact without GPU kernels. */
  options = meld_compile_options_create();
  meld_compile_options_set_targets(options, "cpu");
  failures += check("cpu", modelPath, options, 1);

  /* The report: JSON with the kernels and the totals per target. */
  options = meld_compile_options_create();
  meld_compile_options_set_targets(options, "sm_90a");
  meld_compile_options_set_report(options, 1);
  meld_compile_result *reported = meld_compile_file(modelPath, options);
  const char *report = meld_compile_result_report(reported);
  int hasReport =
      meld_compile_result_ok(reported) && strstr(report, "\"kernels\"") &&
      strstr(report, "\"totals\"") && strstr(report, "\"target\": \"sm_90a\"");
  printf("report: %s\n", hasReport ? "kernels and totals for sm_90a" : report);
  failures += !hasReport;
  meld_compile_result_free(reported);
  meld_compile_options_free(options);

  options = meld_compile_options_create();
  meld_compile_options_set_targets(options, "cpu");
  meld_compile_options_set_report(options, 1);
  failures += check("report-cpu", modelPath, options, 0);

  /* A linker that is not there: an error record of the host step. */
  options = meld_compile_options_create();
  meld_compile_options_set_targets(options, "cpu");
  meld_compile_options_set_linker(options, "/nonexistent/ld.lld");
  failures += check("linker", modelPath, options, 0);

  failures += check("missing", "/nonexistent/model.onnx", NULL, 0);

  const char garbage[] = "not an onnx model";
  meld_compile_result *result =
      meld_compile_buffer(garbage, sizeof(garbage), NULL, NULL);
  printResult("garbage", result);
  failures += meld_compile_result_ok(result);
  meld_compile_result_free(result);
  return failures != 0;
}

/* What the progress callback saw. */
struct Progress {
  int started, finished, steps;
  char first[64];
};

static void onProgress(void *user, meld_progress_event event, const char *step,
                       int64_t done, int64_t total, const char *unit) {
  struct Progress *progress = user;
  (void)done;
  (void)total;
  (void)unit;
  /* Steps run on several threads. */
  static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&mutex);
  if (event == MELD_PROGRESS_START && progress->started++ == 0)
    snprintf(progress->first, sizeof(progress->first), "%s", step);
  if (event == MELD_PROGRESS_STEP)
    ++progress->steps;
  if (event == MELD_PROGRESS_FINISH)
    ++progress->finished;
  pthread_mutex_unlock(&mutex);
}

static void onDiagnostic(void *user, const meld_diagnostic *diagnostic) {
  ++*(int *)user;
  printf("  callback: %s: node '%s' (%s)\n", severityName(diagnostic->severity),
         diagnostic->node, diagnostic->op_type);
}

/* Compiles `modelPath` to `output` in memory and prints whether the text
   holds `expected`. */
static int checkText(const char *label, const char *modelPath,
                     meld_compile_output output, const char *targets,
                     const char *expected) {
  meld_compile_options *options = meld_compile_options_create();
  meld_compile_options_set_output(options, output);
  if (targets)
    meld_compile_options_set_targets(options, targets);
  meld_compile_result *result = meld_compile_file(modelPath, options);
  size_t size, artifactSize;
  const char *text = meld_compile_result_output(result, &size);
  meld_compile_result_artifact(result, &artifactSize);
  char *copy = calloc(size + 1, 1);
  if (text)
    memcpy(copy, text, size);
  int found = meld_compile_result_ok(result) && strstr(copy, expected) &&
              artifactSize == 0;
  printf("%s: %s '%s', no artifact\n", label, found ? "has" : "lacks",
         expected);
  free(copy);
  meld_compile_result_free(result);
  meld_compile_options_free(options);
  return !found;
}

static int fileExists(const char *path) {
  FILE *file = fopen(path, "rb");
  if (file)
    fclose(file);
  return file != NULL;
}

static int testOutputs(const char *modelPath, const char *badPath,
                       const char *artifactPath, const char *dir) {
  int failures = 0;
  failures += checkText("import", modelPath, MELD_OUTPUT_IMPORT, NULL,
                        "func.func @main");
  failures += checkText("graph", modelPath, MELD_OUTPUT_GRAPH, NULL,
                        "graph.fusion_group");
  failures +=
      checkText("tile", modelPath, MELD_OUTPUT_TILE, NULL, "tile.kernel");
  failures +=
      checkText("plan", modelPath, MELD_OUTPUT_PLAN, NULL, "\"launches\"");
  failures += checkText("gpu", modelPath, MELD_OUTPUT_GPU, NULL, "gpu.func");
  failures += checkText("llvm", modelPath, MELD_OUTPUT_LLVM, NULL, "llvm.func");
  failures +=
      checkText("ptx", modelPath, MELD_OUTPUT_PTX, "sm_80", ".target sm_80");

  /* The artifact into a file, as it is made: meldc's bytes, none held. */
  char path[4096];
  snprintf(path, sizeof(path), "%s/out.meld", dir);
  meld_compile_options *options = meld_compile_options_create();
  meld_compile_options_set_output_file(options, path);
  struct Progress progress = {0, 0, 0, ""};
  meld_compile_options_set_progress_callback(options, onProgress, &progress);
  meld_compile_result *result = meld_compile_file(modelPath, options);
  size_t held;
  meld_compile_result_output(result, &held);
  size_t size, expectedSize;
  char *written = readFile(path, &size);
  char *expected = readFile(artifactPath, &expectedSize);
  int same = meld_compile_result_ok(result) && held == 0 && written &&
             expected && size == expectedSize &&
             memcmp(written, expected, size) == 0;
  printf("file: %s\n", same ? "same as meldc, none held" : "differs");
  failures += !same;
  free(written);
  free(expected);
  meld_compile_result_free(result);
  meld_compile_options_free(options);
  int paired = progress.started > 0 && progress.started == progress.finished &&
               progress.steps > 0;
  printf("progress: first step '%s', every step started %s\n", progress.first,
         paired ? "ends, with passes counted" : "does not end");
  failures += !paired;

  /* A failed compile leaves no file; the callback hears each diagnostic. */
  snprintf(path, sizeof(path), "%s/bad.meld", dir);
  options = meld_compile_options_create();
  meld_compile_options_set_output_file(options, path);
  int heard = 0;
  meld_compile_options_set_diagnostic_callback(options, onDiagnostic, &heard);
  result = meld_compile_file(badPath, options);
  printResult("bad-file", result);
  int left = fileExists(path);
  printf("bad-file: %s, %d heard\n", left ? "file left" : "no file", heard);
  failures += left || heard != 1 || meld_compile_result_ok(result);
  meld_compile_result_free(result);
  meld_compile_options_free(options);

  /* The report as meldc's table. */
  options = meld_compile_options_create();
  meld_compile_options_set_targets(options, "sm_90a");
  meld_compile_options_set_report(options, MELD_REPORT_TABLE);
  result = meld_compile_file(modelPath, options);
  const char *table = meld_compile_result_report(result);
  int isTable = meld_compile_result_ok(result) &&
                strncmp(table, "kernel ", 7) == 0 &&
                strstr(table, "total sm_90a:");
  printf("table: %s\n", isTable ? "kernels and the total of sm_90a" : table);
  failures += !isTable;
  meld_compile_result_free(result);
  meld_compile_options_free(options);

  options = meld_compile_options_create();
  meld_compile_options_set_output(options, MELD_OUTPUT_PTX);
  failures += check("ptx-two-targets", modelPath, options, 0);
  options = meld_compile_options_create();
  meld_compile_options_set_output(options, MELD_OUTPUT_GRAPH);
  meld_compile_options_set_report(options, MELD_REPORT_JSON);
  failures += check("report-graph", modelPath, options, 0);
  options = meld_compile_options_create();
  meld_compile_options_set_output_file(options, "-");
  failures += check("artifact-stdout", modelPath, options, 0);
  options = meld_compile_options_create();
  meld_compile_options_set_output(options, (meld_compile_output)42);
  failures += check("output-42", modelPath, options, 0);
  options = meld_compile_options_create();
  meld_compile_options_set_kernels_per_part(options, 0);
  failures += check("parts", modelPath, options, 0);
  options = meld_compile_options_create();
  meld_compile_options_set_split_cost(options, 0);
  failures += check("split-cost", modelPath, options, 0);
  options = meld_compile_options_create();
  meld_compile_options_set_output(options, MELD_OUTPUT_GRAPH);
  snprintf(path, sizeof(path), "%s/no/such/dir/graph.mlir", dir);
  meld_compile_options_set_output_file(options, path);
  failures += check("unwritable", modelPath, options, 0);
  return failures != 0;
}

static int testNull(void) {
  meld_compile_options_set_targets(NULL, "cpu");
  meld_compile_options_set_cuda_path(NULL, NULL);
  meld_compile_options_set_linker(NULL, NULL);
  meld_compile_options_set_external_weights(NULL, 1);
  meld_compile_options_set_emulator(NULL, 1);
  meld_compile_options_set_num_warps(NULL, 1);
  meld_compile_options_add_const(NULL, NULL, NULL);
  meld_compile_options_set_shape(NULL, NULL, NULL, 0);
  meld_compile_options_set_report(NULL, MELD_REPORT_TABLE);
  meld_compile_options_set_output(NULL, MELD_OUTPUT_GRAPH);
  meld_compile_options_set_output_file(NULL, NULL);
  meld_compile_options_set_progress_callback(NULL, NULL, NULL);
  meld_compile_options_set_diagnostic_callback(NULL, NULL, NULL);
  meld_compile_options_set_kernels_per_part(NULL, 1);
  meld_compile_options_set_split_cost(NULL, 1);
  meld_compile_options_use_command_line(NULL, 1);
  meld_compile_options_free(NULL);
  meld_compile_result *result = meld_compile_file(NULL, NULL);
  printResult("null-path", result);
  int failures = meld_compile_result_ok(result);
  meld_compile_result_free(result);
  result = meld_compile_buffer(NULL, 4, NULL, NULL);
  printResult("null-bytes", result);
  failures += meld_compile_result_ok(result);
  meld_diagnostic outside = meld_compile_result_diagnostic(result, 7);
  printf("index 7: %s: %s\n", severityName(outside.severity), outside.message);
  meld_compile_result_free(result);
  size_t size = 1;
  const void *artifact = meld_compile_result_artifact(NULL, &size);
  size_t outputSize = 1;
  if (meld_compile_result_output(NULL, &outputSize) || outputSize != 0)
    ++failures;
  printf("null result: ok=%d artifact=%s size=%zu diagnostics=%zu\n",
         meld_compile_result_ok(NULL), artifact ? "yes" : "none", size,
         meld_compile_result_num_diagnostics(NULL));
  meld_compile_result_free(NULL);
  return failures != 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "same") == 0)
    return testSame(argv[2], argv[3]);
  if (argc == 3 && strcmp(argv[1], "errors") == 0)
    return testErrors(argv[2]);
  if (argc == 3 && strcmp(argv[1], "options") == 0)
    return testOptions(argv[2]);
  if (argc == 6 && strcmp(argv[1], "outputs") == 0)
    return testOutputs(argv[2], argv[3], argv[4], argv[5]);
  if (argc == 2 && strcmp(argv[1], "null") == 0)
    return testNull();
  fprintf(stderr, "usage: meld-capi-compiler-test "
                  "same|errors|options|outputs|null ARGS...\n");
  return 2;
}
