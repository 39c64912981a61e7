/*===- fake_libcuda.c - A stand-in NVIDIA driver for runtime tests --------===*\
|*                                                                            *|
|* meld-runtime-test-fake-libcuda.so exports the driver entry points the      *|
|* CUDA backend resolves, implemented on the host, so that the backend's      *|
|* logic (module choice, JIT logs, launch configuration and parameters,       *|
|* copies, poisoning, error messages, clean-up) is tested on machines without *|
|* a GPU: point MELD_LIBCUDA at it. "Device memory" is host memory, and the   *|
|* kernels of the test model (runtime/test/kernels.c) are executed by C       *|
|* versions with the thread mapping of their PTX (ArtifactGen.cpp), reading   *|
|* their arguments from the kernel parameters as a GPU would. A stream       *|
|* capture records launches (parameter values copied) into a graph that      *|
|* cuGraphLaunch replays, logging each launch as a direct launch logs it.     *|
|*                                                                            *|
|* Environment:                                                               *|
|*   FAKE_CUDA_INIT=N      cuInit returns N                                   *|
|*   FAKE_CUDA_ARCH=90     compute capability 9.0 (default 80)                *|
|*   FAKE_CUDA_FAIL=call:N[:K] the named entry point returns N (on call K)    *|
|*   FAKE_CUDA_LOG=1       one line on stderr per interesting call            *|
|*   FAKE_CUDA_LOG=copies  the same, and copies, memsets and synchronisations *|
|*   FAKE_CUDA_EVENT_MS=X[,Y...] elapsed times of X ms (then Y, ..., cycling) *|
|* A PTX module containing "FAKE_INVALID" fails to JIT with a two-line log.   *|
\*===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define API __attribute__((visibility("default")))

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

static int logging(void) {
  const char *v = getenv("FAKE_CUDA_LOG");
  return v && *v && strcmp(v, "0") != 0;
}

/* FAKE_CUDA_LOG=copies also logs copies, memsets and synchronisations. */
static int loggingCopies(void) {
  const char *v = getenv("FAKE_CUDA_LOG");
  return v && strcmp(v, "copies") == 0;
}

/// Returns the code FAKE_CUDA_FAIL ("call:code" or "call:code:nth") asks
/// this call of `call` to fail with, or 0.
static CUresult injected(const char *call) {
  static int calls = 0;
  const char *v = getenv("FAKE_CUDA_FAIL");
  size_t n = strlen(call);
  if (!v || strncmp(v, call, n) != 0 || v[n] != ':')
    return 0;
  const char *nth = strchr(v + n + 1, ':');
  ++calls;
  if (nth && atoi(nth + 1) != calls)
    return 0;
  return atoi(v + n + 1);
}

#define FAIL_IF_INJECTED(call)                                                 \
  do {                                                                         \
    CUresult r_ = injected(call);                                              \
    if (r_)                                                                    \
      return r_;                                                               \
  } while (0)

static int liveAllocations = 0;
static int contextRefs = 0;
static int pushDepth = 0;

API CUresult cuInit(unsigned flags) {
  const char *v = getenv("FAKE_CUDA_INIT");
  return v ? atoi(v) : 0;
}
API CUresult cuDriverGetVersion(int *v) {
  *v = 12020;
  return 0;
}
API CUresult cuGetErrorName(CUresult r, const char **name) {
  /* Like the stub library: cannot name anything. */
  *name = NULL;
  return 1;
}
API CUresult cuDeviceGetCount(int *n) {
  *n = 1;
  return 0;
}
API CUresult cuDeviceGet(int *d, int ordinal) {
  *d = ordinal;
  return 0;
}
API CUresult cuDeviceGetName(char *name, int len, int d) {
  snprintf(name, (size_t)len, "Fake GPU");
  return 0;
}
API CUresult cuDeviceGetAttribute(int *value, int attribute, int d) {
  const char *arch = getenv("FAKE_CUDA_ARCH");
  int cc = arch ? atoi(arch) : 80;
  switch (attribute) {
  case 1: /* max threads per block */
    *value = 1024;
    return 0;
  case 2:
  case 3:
    *value = 1024;
    return 0;
  case 4:
    *value = 64;
    return 0;
  case 5:
    *value = 2147483647;
    return 0;
  case 6:
  case 7:
    *value = 65535;
    return 0;
  case 75:
    *value = cc / 10;
    return 0;
  case 76:
    *value = cc % 10;
    return 0;
  case 97: /* shared memory per block, opt-in */
    *value = 232448;
    return 0;
  }
  return 1;
}
API CUresult cuDevicePrimaryCtxRetain(void **ctx, int d) {
  FAIL_IF_INJECTED("cuDevicePrimaryCtxRetain");
  ++contextRefs;
  *ctx = (void *)0x1000;
  return 0;
}
API CUresult cuDevicePrimaryCtxRelease_v2(int d) {
  if (--contextRefs == 0 && logging())
    fprintf(stderr,
            "fake: context released, %d allocations live, push depth %d\n",
            liveAllocations, pushDepth);
  return 0;
}
API CUresult cuCtxPushCurrent_v2(void *ctx) {
  ++pushDepth;
  return 0;
}
API CUresult cuCtxPopCurrent_v2(void **ctx) {
  --pushDepth;
  *ctx = (void *)0x1000;
  return 0;
}
API CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t size) {
  FAIL_IF_INJECTED("cuMemAlloc_v2");
  void *mem = aligned_alloc(256, (size + 255) / 256 * 256);
  if (!mem)
    return 2;
  ++liveAllocations;
  *p = (CUdeviceptr)(uintptr_t)mem;
  if (logging())
    fprintf(stderr, "fake: cuMemAlloc %zu bytes\n", size);
  return 0;
}
API CUresult cuMemFree_v2(CUdeviceptr p) {
  --liveAllocations;
  free((void *)(uintptr_t)p);
  return 0;
}
API CUresult cuMemAllocHost_v2(void **p, size_t size) {
  *p = malloc(size);
  if (!*p)
    return 2;
  ++liveAllocations;
  return 0;
}
API CUresult cuMemFreeHost(void *p) {
  --liveAllocations;
  free(p);
  return 0;
}
API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t size,
                                  void *stream) {
  if (loggingCopies())
    fprintf(stderr, "fake: copy %zu bytes to the device\n", size);
  memcpy((void *)(uintptr_t)dst, src, size);
  return 0;
}
API CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t size,
                                  void *stream) {
  FAIL_IF_INJECTED("cuMemcpyDtoHAsync");
  if (loggingCopies())
    fprintf(stderr, "fake: copy %zu bytes to the host\n", size);
  memcpy(dst, (const void *)(uintptr_t)src, size);
  return 0;
}
API CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t n,
                             void *stream) {
  FAIL_IF_INJECTED("cuMemsetD8Async");
  if (loggingCopies())
    fprintf(stderr, "fake: memset %zu bytes to %u\n", n, value);
  memset((void *)(uintptr_t)dst, value, n);
  return 0;
}

#ifndef FAKE_CUDA_NO_TENSOR_MAPS
/* Tensor maps: the call logged; the map holds its tensor's address. */
API CUresult cuTensorMapEncodeTiled(
    void *map, int type, unsigned rank, void *global,
    const unsigned long long *dims, const unsigned long long *strides,
    const unsigned *box, const unsigned *elementStrides, int interleave,
    int swizzle, int l2, int oob) {
  FAIL_IF_INJECTED("cuTensorMapEncodeTiled");
  if (logging()) {
    fprintf(stderr, "fake: cuTensorMapEncodeTiled type %d rank %u dims", type,
            rank);
    for (unsigned d = 0; d < rank; ++d)
      fprintf(stderr, " %llu", dims[d]);
    fprintf(stderr, " strides");
    for (unsigned d = 0; d + 1 < rank; ++d)
      fprintf(stderr, " %llu", strides[d]);
    fprintf(stderr, " box");
    for (unsigned d = 0; d < rank; ++d)
      fprintf(stderr, " %u", box[d]);
    fprintf(stderr, " element strides");
    for (unsigned d = 0; d < rank; ++d)
      fprintf(stderr, " %u", elementStrides[d]);
    fprintf(stderr,
            " interleave %d swizzle %d l2 %d oob %d, global %s-byte aligned\n",
            interleave, swizzle, l2, oob,
            (uintptr_t)global % 16 == 0 ? "16" : "not 16");
  }
  memset(map, 0, 128);
  memcpy(map, &global, sizeof(global));
  return 0;
}
#endif

/* Modules: the image is kept; functions are looked up in it by name. */
struct Module {
  char *image;
  int isCubin;
};

API CUresult cuModuleLoadDataEx(struct Module **module, const void *image,
                                unsigned numOptions, int *options,
                                void **values) {
  const char *text = (const char *)image;
  int isCubin = memcmp(text,
                       "\x7f"
                       "ELF",
                       4) == 0;
  char *errorLog = NULL;
  size_t errorLogSize = 0;
  for (unsigned i = 0; i < numOptions; ++i) {
    if (options[i] == 5)
      errorLog = (char *)values[i];
    if (options[i] == 6)
      errorLogSize = (size_t)(uintptr_t)values[i];
  }
  if (logging()) {
    if (isCubin) {
      fprintf(stderr, "fake: load cubin '%s'\n", text + 4);
    } else {
      const char *target = strstr(text, ".target ");
      int n = 0;
      if (target)
        while (target[8 + n] && target[8 + n] != '\n')
          ++n;
      fprintf(stderr, "fake: JIT ptx for target '%.*s'\n", n,
              target ? target + 8 : "");
    }
  }
  if (!isCubin && strstr(text, "FAKE_INVALID")) {
    if (errorLog && errorLogSize)
      snprintf(errorLog, errorLogSize,
               "ptxas application ptx input, line 3; error   : Unknown "
               "symbol 'FAKE_INVALID'\nptxas fatal   : Ptx assembly aborted "
               "due to errors\n");
    return 218;
  }
  FAIL_IF_INJECTED("cuModuleLoadDataEx");
  struct Module *m = malloc(sizeof(struct Module));
  size_t size = strlen(text) + 1;
  m->image = malloc(size);
  memcpy(m->image, image, size);
  m->isCubin = isCubin;
  *module = m;
  ++liveAllocations;
  return 0;
}
API CUresult cuModuleUnload(struct Module *m) {
  free(m->image);
  free(m);
  --liveAllocations;
  return 0;
}

/* The kernels, with the thread mapping of their PTX. */
typedef struct {
  unsigned x, y, z;
} Dim3;
typedef void (*HostKernel)(Dim3 block, Dim3 thread, void **params);

static void *arg(void **params, int i) {
  return (void *)(uintptr_t) * (CUdeviceptr *)params[i];
}

#define COLS 5
#define RAMP 100003

/* grid (5, 3), block 1: t[r, c] = x[r, c] * w[c]. */
static void mulRowsW(Dim3 b, Dim3 t, void **p) {
  const float *x = arg(p, 0), *w = arg(p, 1);
  float *out = arg(p, 2);
  out[b.y * COLS + b.x] = x[b.y * COLS + b.x] * w[b.x];
}
/* grid 3, block 5 threads: out[r, c] = t[r, c] + y[c]. */
static void addBcast(Dim3 b, Dim3 t, void **p) {
  const float *in = arg(p, 0), *y = arg(p, 1);
  float *out = arg(p, 2);
  if (t.x < COLS)
    out[b.x * COLS + t.x] = in[b.x * COLS + t.x] + y[t.x];
}
/* grid 3, block 1: idx[r] = argmax(x[r, :]). */
static void argmaxRows(Dim3 b, Dim3 t, void **p) {
  const float *x = arg(p, 0);
  int64_t *idx = arg(p, 1);
  int64_t best = 0;
  for (int c = 1; c < COLS; ++c)
    if (x[b.x * COLS + c] > x[b.x * COLS + best])
      best = c;
  idx[b.x] = best;
}
/* grid 391, block 256: ramp[i] = 0.5 * i. */
static void rampBlocks(Dim3 b, Dim3 t, void **p) {
  float *ramp = arg(p, 0);
  unsigned i = b.x * 256 + t.x;
  if (i < RAMP)
    ramp[i] = 0.5f * (float)i;
}

/* grid 3, block 5 threads: x[r, c] > 100 is fault site 1, detail 5r + c. */
static void checkX(Dim3 b, Dim3 t, void **p) {
  const float *x = arg(p, 0);
  int64_t *status = arg(p, 1);
  unsigned i = b.x * COLS + t.x;
  if (t.x < COLS && x[i] > 100.0f &&
      __atomic_exchange_n(&status[0], 1, __ATOMIC_RELAXED) == 0) {
    status[1] = 1;
    status[2] = i;
  }
}

static const struct {
  const char *name;
  HostKernel fn;
  int numParams;
} kernels[] = {
    {"mul_rows_w", mulRowsW, 3},    {"add_bcast", addBcast, 3},
    {"argmax_rows", argmaxRows, 2}, {"ramp_blocks", rampBlocks, 1},
    {"check_x", checkX, 2},
};

struct Function {
  const char *name;
  HostKernel fn;
  int numParams;
};

API CUresult cuModuleGetFunction(struct Function **f, struct Module *m,
                                 const char *name) {
  /* PTX must declare the entry; a fake cubin holds every kernel. */
  if (!m->isCubin) {
    char pattern[256];
    snprintf(pattern, sizeof(pattern), ".entry %s(", name);
    if (!strstr(m->image, pattern))
      return 500;
  }
  for (size_t i = 0; i < sizeof(kernels) / sizeof(kernels[0]); ++i) {
    if (strcmp(kernels[i].name, name) == 0) {
      /* Static storage: functions live as long as the process. */
      static struct Function functions[sizeof(kernels) / sizeof(kernels[0])];
      functions[i].name = kernels[i].name;
      functions[i].fn = kernels[i].fn;
      functions[i].numParams = kernels[i].numParams;
      *f = &functions[i];
      return 0;
    }
  }
  return 500;
}
API CUresult cuFuncGetAttribute(int *value, int attribute, struct Function *f) {
  switch (attribute) {
  case 0:
    *value = 1024;
    return 0;
  case 1:
    *value = 0;
    return 0;
  case 4:
    *value = 32;
    return 0;
  }
  return 1;
}
API CUresult cuFuncSetAttribute(struct Function *f, int attribute, int value) {
  if (logging())
    fprintf(stderr, "fake: cuFuncSetAttribute %s %d %d\n", f->name, attribute,
            value);
  return 0;
}
/* Runs a launch of `f` on the host, block by block, thread by thread. */
static void runKernel(struct Function *f, unsigned gx, unsigned gy, unsigned gz,
                      unsigned bx, unsigned by, unsigned bz, void **params) {
  Dim3 b, t;
  for (b.z = 0; b.z < gz; ++b.z)
    for (b.y = 0; b.y < gy; ++b.y)
      for (b.x = 0; b.x < gx; ++b.x)
        for (t.z = 0; t.z < bz; ++t.z)
          for (t.y = 0; t.y < by; ++t.y)
            for (t.x = 0; t.x < bx; ++t.x)
              f->fn(b, t, params);
}

/* Graphs: a stream capture records each launch, its parameter values
   copied (as a GPU driver copies them); cuGraphLaunch replays them. */
#define MAX_GRAPH_PARAMS 16
struct GraphNode {
  struct Function *f;
  unsigned grid[3], block[3], shared;
  CUdeviceptr values[MAX_GRAPH_PARAMS];
};
struct Graph {
  struct GraphNode *nodes;
  int count;
};
static struct Graph *capturing = NULL;

API CUresult cuLaunchKernel(struct Function *f, unsigned gx, unsigned gy,
                            unsigned gz, unsigned bx, unsigned by, unsigned bz,
                            unsigned shared, void *stream, void **params,
                            void **extra) {
  FAIL_IF_INJECTED("cuLaunchKernel");
  if (logging())
    fprintf(stderr,
            "fake: %slaunch %s grid (%u, %u, %u) block (%u, %u, %u) "
            "shared %u\n",
            capturing ? "capture " : "", f->name, gx, gy, gz, bx, by, bz,
            shared);
  if (pushDepth <= 0)
    return 201; /* CUDA_ERROR_INVALID_CONTEXT */
  if (!params && f->numParams)
    return 1;
  if (capturing) {
    if (f->numParams > MAX_GRAPH_PARAMS)
      return 1;
    struct GraphNode *nodes = (struct GraphNode *)realloc(
        capturing->nodes, (capturing->count + 1) * sizeof(struct GraphNode));
    if (!nodes)
      return 2;
    capturing->nodes = nodes;
    struct GraphNode *node = &nodes[capturing->count++];
    node->f = f;
    node->grid[0] = gx, node->grid[1] = gy, node->grid[2] = gz;
    node->block[0] = bx, node->block[1] = by, node->block[2] = bz;
    node->shared = shared;
    for (int i = 0; i < f->numParams; ++i)
      node->values[i] = *(CUdeviceptr *)params[i];
    return 0;
  }
  runKernel(f, gx, gy, gz, bx, by, bz, params);
  return 0;
}
API CUresult cuStreamBeginCapture_v2(void *stream, int mode) {
  FAIL_IF_INJECTED("cuStreamBeginCapture_v2");
  if (logging())
    fprintf(stderr, "fake: cuStreamBeginCapture mode %d\n", mode);
  if (capturing)
    return 401; /* CUDA_ERROR_ILLEGAL_STATE */
  capturing = (struct Graph *)calloc(1, sizeof(struct Graph));
  return capturing ? 0 : 2;
}
API CUresult cuStreamEndCapture(void *stream, struct Graph **graph) {
  FAIL_IF_INJECTED("cuStreamEndCapture");
  if (!capturing)
    return 401;
  if (logging())
    fprintf(stderr, "fake: cuStreamEndCapture (%d launches)\n",
            capturing->count);
  *graph = capturing;
  capturing = NULL;
  return 0;
}
API CUresult cuGraphInstantiateWithFlags(struct Graph **exec,
                                         struct Graph *graph,
                                         unsigned long long flags) {
  FAIL_IF_INJECTED("cuGraphInstantiateWithFlags");
  struct Graph *copy = (struct Graph *)calloc(1, sizeof(struct Graph));
  if (!copy)
    return 2;
  copy->count = graph->count;
  copy->nodes =
      (struct GraphNode *)malloc(graph->count * sizeof(struct GraphNode) + 1);
  if (!copy->nodes) {
    free(copy);
    return 2;
  }
  memcpy(copy->nodes, graph->nodes, graph->count * sizeof(struct GraphNode));
  *exec = copy;
  return 0;
}
static void freeGraph(struct Graph *graph) {
  if (graph) {
    free(graph->nodes);
    free(graph);
  }
}
API CUresult cuGraphDestroy(struct Graph *graph) {
  if (logging())
    fprintf(stderr, "fake: cuGraphDestroy\n");
  freeGraph(graph);
  return 0;
}
API CUresult cuGraphExecDestroy(struct Graph *exec) {
  if (logging())
    fprintf(stderr, "fake: cuGraphExecDestroy\n");
  freeGraph(exec);
  return 0;
}
/* Replays the graph's launches, each logged as a launch is. */
API CUresult cuGraphLaunch(struct Graph *exec, void *stream) {
  FAIL_IF_INJECTED("cuGraphLaunch");
  if (logging())
    fprintf(stderr, "fake: cuGraphLaunch (%d launches)\n", exec->count);
  for (int n = 0; n < exec->count; ++n) {
    struct GraphNode *node = &exec->nodes[n];
    void *params[MAX_GRAPH_PARAMS];
    for (int i = 0; i < node->f->numParams; ++i)
      params[i] = &node->values[i];
    if (logging())
      fprintf(stderr,
              "fake: launch %s grid (%u, %u, %u) block (%u, %u, %u) "
              "shared %u\n",
              node->f->name, node->grid[0], node->grid[1], node->grid[2],
              node->block[0], node->block[1], node->block[2], node->shared);
    runKernel(node->f, node->grid[0], node->grid[1], node->grid[2],
              node->block[0], node->block[1], node->block[2], params);
  }
  return 0;
}
API CUresult cuStreamCreate(void **stream, unsigned flags) {
  *stream = (void *)0x2000;
  return 0;
}
API CUresult cuStreamDestroy_v2(void *stream) { return 0; }
API CUresult cuStreamSynchronize(void *stream) {
  FAIL_IF_INJECTED("cuStreamSynchronize");
  if (loggingCopies())
    fprintf(stderr, "fake: synchronize\n");
  return 0;
}

/* Events: launches run synchronously here, so an event records the host's
 * monotonic clock when it is recorded. Each live event counts as an
 * allocation, so a session that leaks one shows at the context release.
 * FAKE_CUDA_EVENT_MS=X makes every elapsed time X milliseconds, and
 * X,Y,... the n-th one the n-th value, cycling (exact values for tests). */
struct Event {
  double ms;
  int recorded;
};

API CUresult cuEventCreate(struct Event **event, unsigned flags) {
  FAIL_IF_INJECTED("cuEventCreate");
  *event = (struct Event *)calloc(1, sizeof(struct Event));
  if (!*event)
    return 2;
  ++liveAllocations;
  if (logging())
    fprintf(stderr, "fake: cuEventCreate flags %u\n", flags);
  return 0;
}
API CUresult cuEventDestroy_v2(struct Event *event) {
  free(event);
  --liveAllocations;
  return 0;
}
API CUresult cuEventRecord(struct Event *event, void *stream) {
  FAIL_IF_INJECTED("cuEventRecord");
  if (pushDepth <= 0)
    return 201; /* CUDA_ERROR_INVALID_CONTEXT */
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  event->ms = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
  event->recorded = 1;
  if (logging())
    fprintf(stderr, "fake: cuEventRecord\n");
  return 0;
}
API CUresult cuEventElapsedTime_v2(float *ms, struct Event *start,
                                   struct Event *end) {
  FAIL_IF_INJECTED("cuEventElapsedTime");
  if (!start->recorded || !end->recorded)
    return 600; /* CUDA_ERROR_NOT_READY */
  const char *fixed = getenv("FAKE_CUDA_EVENT_MS");
  if (!fixed) {
    *ms = (float)(end->ms - start->ms);
    return 0;
  }
  static int calls = 0;
  int values = 1;
  for (const char *c = fixed; *c; ++c)
    values += *c == ',';
  const char *value = fixed;
  for (int skip = calls++ % values; skip > 0; --skip)
    value = strchr(value, ',') + 1;
  *ms = (float)atof(value);
  return 0;
}
