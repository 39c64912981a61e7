/*===- kernels.c - Hand-written host kernels for runtime tests ------------===*\
|*                                                                            *|
|* A stand-in for meldc's host kernel module, with the same ABI:              *|
|*   void NAME(void **args, int64_t begin, int64_t end)                       *|
|* args[i] is the base of buffer Launch.args[i]; [begin, end) is a range of   *|
|* linear program ids, id = x + gx * (y + gy * z).                            *|
|*                                                                            *|
|* The test model (test/Runtime/ArtifactGen.cpp) is, with x: f32[3,5],        *|
|* y: f32[5] and the weight w: f32[5]:                                        *|
|*   t    = x * w          mul_rows_w   grid (5, 3, 1)  args (x, w, t)        *|
|*   out  = t + y          add_bcast    grid (3, 1, 1)  args (t, y, out)      *|
|*   idx  = argmax(x, 1)   argmax_rows  grid (3, 1, 1)  args (x, idx)         *|
|*   ramp = 0.5 * iota     ramp_blocks  grid (391,1,1)  args (ramp)           *|
|* and in the "fault" variant                                                 *|
|*   x > 100 is a fault    check_x      grid (3, 1, 1)  args (x, status)      *|
\*===----------------------------------------------------------------------===*/

#include <stdint.h>

#define ROWS 3
#define COLS 5
#define RAMP 100003
#define RAMP_BLOCK 256

#define KERNEL __attribute__((visibility("default"))) void

KERNEL mul_rows_w(void **args, int64_t begin, int64_t end) {
  const float *x = (const float *)args[0];
  const float *w = (const float *)args[1];
  float *t = (float *)args[2];
  for (int64_t pid = begin; pid < end; ++pid) {
    int64_t col = pid % COLS; /* grid x */
    int64_t row = pid / COLS; /* grid y */
    t[row * COLS + col] = x[row * COLS + col] * w[col];
  }
}

KERNEL add_bcast(void **args, int64_t begin, int64_t end) {
  const float *t = (const float *)args[0];
  const float *y = (const float *)args[1];
  float *out = (float *)args[2];
  for (int64_t row = begin; row < end; ++row)
    for (int64_t col = 0; col < COLS; ++col)
      out[row * COLS + col] = t[row * COLS + col] + y[col];
}

KERNEL argmax_rows(void **args, int64_t begin, int64_t end) {
  const float *x = (const float *)args[0];
  int64_t *idx = (int64_t *)args[1];
  for (int64_t row = begin; row < end; ++row) {
    int64_t best = 0;
    for (int64_t col = 1; col < COLS; ++col)
      if (x[row * COLS + col] > x[row * COLS + best])
        best = col;
    idx[row] = best;
  }
}

KERNEL ramp_blocks(void **args, int64_t begin, int64_t end) {
  float *ramp = (float *)args[0];
  for (int64_t pid = begin; pid < end; ++pid)
    for (int64_t i = pid * RAMP_BLOCK; i < (pid + 1) * RAMP_BLOCK && i < RAMP;
         ++i)
      ramp[i] = 0.5f * (float)i;
}

/* Records the first x[r, c] above 100 as fault site 1 with detail 5r + c:
 * status = (recorded, site, detail), claimed by an atomic exchange. */
KERNEL check_x(void **args, int64_t begin, int64_t end) {
  const float *x = (const float *)args[0];
  int64_t *status = (int64_t *)args[1];
  for (int64_t row = begin; row < end; ++row)
    for (int64_t col = 0; col < COLS; ++col)
      if (x[row * COLS + col] > 100.0f &&
          __atomic_exchange_n(&status[0], 1, __ATOMIC_RELAXED) == 0) {
        status[1] = 1;
        status[2] = row * COLS + col;
      }
}
