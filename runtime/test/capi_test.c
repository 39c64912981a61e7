/*===- capi_test.c - Drives libmeld_runtime's C API from C ----------------===*\
|*                                                                            *|
|* meld-runtime-test-capi MODEL.meld [FAULT.meld]                             *|
|*                                                                            *|
|* MODEL.meld is the test model of meld-runtime-test-gen (see kernels.c);     *|
|* FAULT.meld, when given, its "fault" variant, whose check of x reports a    *|
|* data fault.                                                                *|
|* Prints one line per check for FileCheck (test/Runtime/capi.test) and       *|
|* exits 1 if a computed value is wrong. Written in C to prove the header is  *|
|* C and to exercise the shared library.                                      *|
\*===----------------------------------------------------------------------===*/

#include "meld/runtime.h"

#include <stdio.h>
#include <string.h>

#define ROWS 3
#define COLS 5
#define RAMP 100003

static int failures = 0;

/// Prints the status and message of a call expected to fail.
static void expectError(const char *what, meld_status status) {
  if (status == MELD_OK) {
    printf("%s: unexpectedly ok\n", what);
    ++failures;
    return;
  }
  printf("%s: %s: %s\n", what, meld_status_name(status), meld_last_error());
}

static int expectOk(const char *what, meld_status status) {
  if (status != MELD_OK) {
    printf("%s: FAILED: %s\n", what, meld_last_error());
    ++failures;
    return 0;
  }
  return 1;
}

static float xValue(int r, int c) {
  return (float)(((r * COLS + c) * 7) % 11) - 5.0f;
}

static void bindInputs(meld_session *session) {
  float x[ROWS * COLS], y[COLS];
  int64_t xShape[2] = {ROWS, COLS}, yShape[1] = {COLS};
  for (int r = 0; r < ROWS; ++r)
    for (int c = 0; c < COLS; ++c)
      x[r * COLS + c] = xValue(r, c);
  for (int c = 0; c < COLS; ++c)
    y[c] = 0.25f * (float)c;
  expectOk("set x", meld_session_set_input(session, "x", MELD_DTYPE_F32, 2,
                                           xShape, x, sizeof(x)));
  expectOk("set y", meld_session_set_input(session, "y", MELD_DTYPE_F32, 1,
                                           yShape, y, sizeof(y)));
}

/// Checks the outputs against values computed here, independently of the
/// kernels.
static void checkOutputs(meld_session *session, const char *label) {
  const void *data;
  meld_tensor_info info;
  int bad = 0;
  if (!expectOk("get out", meld_session_get_output(session, 0, &info, &data)))
    return;
  const float *out = (const float *)data;
  for (int r = 0; r < ROWS; ++r)
    for (int c = 0; c < COLS; ++c) {
      float expect = xValue(r, c) * 0.5f * (float)(c + 1) + 0.25f * (float)c;
      if (out[r * COLS + c] != expect)
        ++bad;
    }
  if (!expectOk("get idx",
                meld_session_get_output_by_name(session, "idx", &info, &data)))
    return;
  const int64_t *idx = (const int64_t *)data;
  for (int r = 0; r < ROWS; ++r) {
    int best = 0;
    for (int c = 1; c < COLS; ++c)
      if (xValue(r, c) > xValue(r, best))
        best = c;
    if (idx[r] != best)
      ++bad;
  }
  if (!expectOk("get ramp", meld_session_get_output(session, 2, &info, &data)))
    return;
  const float *ramp = (const float *)data;
  for (int i = 0; i < RAMP; ++i)
    if (ramp[i] != 0.5f * (float)i)
      ++bad;
  printf("%s: %s\n", label, bad ? "WRONG VALUES" : "values ok");
  failures += bad != 0;
}

/// A run that meets a data fault fails with MELD_ERROR_DATA and the node's
/// message, leaves no outputs, and does not spoil the next run.
static void testFaults(const char *path) {
  meld_model *model = NULL;
  if (!expectOk("load fault model", meld_model_load(path, &model)))
    return;
  meld_session *session = NULL;
  if (expectOk("create fault session",
               meld_session_create(model, "cpu", NULL, &session))) {
    bindInputs(session);
    if (expectOk("run without fault", meld_session_run(session)))
      checkOutputs(session, "no fault");
    float x[ROWS * COLS];
    int64_t shape[2] = {ROWS, COLS};
    for (int i = 0; i < ROWS * COLS; ++i)
      x[i] = xValue(i / COLS, i % COLS);
    x[2 * COLS + 4] = 500.0f;
    expectOk("set faulty x",
             meld_session_set_input(session, "x", MELD_DTYPE_F32, 2, shape, x,
                                    sizeof(x)));
    meld_status status = meld_session_run(session);
    printf("fault status is MELD_ERROR_DATA: %s\n",
           status == MELD_ERROR_DATA ? "yes" : "no");
    expectError("run with fault", status);
    const void *data;
    meld_tensor_info info;
    expectError("output after fault",
                meld_session_get_output(session, 0, &info, &data));
    bindInputs(session);
    if (expectOk("run after fault", meld_session_run(session)))
      checkOutputs(session, "after fault");
  }
  meld_session_free(session);
  meld_model_free(model);
}

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: meld-runtime-test-capi MODEL.meld [FAULT.meld]\n");
    return 2;
  }
  printf("version: %s\n", meld_runtime_version());

  meld_model *model = (meld_model *)1;
  expectError("load missing",
              meld_model_load("/nonexistent/model.meld", &model));
  printf("model after failed load: %s\n", model ? "not NULL" : "NULL");

  if (!expectOk("load", meld_model_load(argv[1], &model)))
    return 1;
  printf("last error after success: [%s]\n", meld_last_error());
  for (size_t i = 0; i < meld_model_num_inputs(model); ++i) {
    meld_tensor_info info;
    meld_model_input_info(model, i, &info);
    printf("input %zu: %s %s rank %d bytes %llu\n", i, info.name,
           meld_dtype_name(info.dtype), info.rank,
           (unsigned long long)info.num_bytes);
  }
  for (size_t i = 0; i < meld_model_num_outputs(model); ++i) {
    meld_tensor_info info;
    meld_model_output_info(model, i, &info);
    printf("output %zu: %s %s rank %d bytes %llu\n", i, info.name,
           meld_dtype_name(info.dtype), info.rank,
           (unsigned long long)info.num_bytes);
  }
  meld_tensor_info info;
  expectError("input info 7", meld_model_input_info(model, 7, &info));
  size_t index;
  expectError("find output", meld_model_find_output(model, "nope", &index));

  meld_session *session = NULL;
  expectError("cuda", meld_session_create(model, "cuda", NULL, &session));
  expectError("emu", meld_session_create(model, "emu", NULL, &session));
  expectError("tpu", meld_session_create(model, "tpu", NULL, &session));
  expectError("null model", meld_session_create(NULL, "cpu", NULL, &session));

  meld_session_options options;
  memset(&options, 0, sizeof(options));
  options.struct_size = sizeof(options);
  options.num_threads = -3;
  expectError("threads", meld_session_create(model, "cpu", &options, &session));
  options.num_threads = 1;
  if (!expectOk("create",
                meld_session_create(model, "cpu", &options, &session)))
    return 1;

  const void *data;
  expectError("output before run",
              meld_session_get_output(session, 0, &info, &data));
  expectError("run unbound", meld_session_run(session));

  float x[ROWS * COLS] = {0};
  int64_t shape[2] = {ROWS, COLS}, wrongShape[2] = {COLS, ROWS};
  expectError("unknown name",
              meld_session_set_input(session, "z", MELD_DTYPE_F32, 2, shape, x,
                                     sizeof(x)));
  expectError("wrong dtype",
              meld_session_set_input(session, "x", MELD_DTYPE_I32, 2, shape, x,
                                     sizeof(x)));
  expectError("wrong shape",
              meld_session_set_input(session, "x", MELD_DTYPE_F32, 2,
                                     wrongShape, x, sizeof(x)));
  expectError("wrong rank", meld_session_set_input(session, "x", MELD_DTYPE_F32,
                                                   1, shape, x, sizeof(x)));
  expectError(
      "wrong bytes",
      meld_session_set_input(session, "x", MELD_DTYPE_F32, 2, shape, x, 12));
  expectError("null data", meld_session_set_input(session, "x", MELD_DTYPE_F32,
                                                  2, shape, NULL, sizeof(x)));
  expectOk("set x", meld_session_set_input(session, "x", MELD_DTYPE_F32, 2,
                                           shape, x, sizeof(x)));
  expectError("run half bound", meld_session_run(session));

  bindInputs(session);
  if (expectOk("run", meld_session_run(session)))
    checkOutputs(session, "threads=1");
  expectError("output 9", meld_session_get_output(session, 9, &info, &data));

  /* A second session on the same model, with all cores, run twice. */
  meld_session *parallel = NULL;
  if (expectOk("create parallel",
               meld_session_create(model, "cpu", NULL, &parallel))) {
    bindInputs(parallel);
    if (expectOk("run parallel", meld_session_run(parallel)) &&
        expectOk("rerun parallel", meld_session_run(parallel)))
      checkOutputs(parallel, "threads=all");
  }
  meld_session_free(parallel);
  meld_session_free(session);
  meld_model_free(model);
  if (argc == 3)
    testFaults(argv[2]);
  meld_session_free(NULL);
  meld_model_free(NULL);
  printf("failures: %d\n", failures);
  return failures ? 1 : 0;
}
