/*===- kernels.c - Hand-written emulated kernels for the emulator's tests -===*\
|*                                                                            *|
|* Stand-ins for meldc's emu modules, written in C against meld/emu_abi.h:    *|
|* each kernel is the per-thread body, `void NAME(void **args)`, and every    *|
|* global or shared access goes through LD/ST, which call check_load /        *|
|* check_store first, as generated code does.                                 *|
|*                                                                            *|
|* Scalars travel in a "params" buffer (u32), always args[0] where a kernel   *|
|* needs one. Launched by meld-runtime-test-emu (driver.cpp) from the lit     *|
|* tests in test/Runtime/Emu, and embedded in the emu artifact that           *|
|* meld-runtime-test-gen writes (test/Runtime/ArtifactGen.cpp), whose model   *|
|* kernels are at the end of this file.                                       *|
\*===----------------------------------------------------------------------===*/

#include "meld/emu_abi.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))
#define KERNEL EXPORT void

static const meld_emu_ops *E;

EXPORT void meld_emu_bind(const meld_emu_ops *ops) { E = ops; }

/* Checked loads and stores, as meldc emits them. */
#define LD(p) (E->check_load((p), sizeof(*(p))), *(p))
#define ST(p, v)                                                               \
  do {                                                                         \
    E->check_store((p), sizeof(*(p)));                                         \
    *(p) = (v);                                                                \
  } while (0)

#define FULL 0xffffffffu
/* The c operand of shfl for a segment width (as CUDA's __shfl_*_sync pass
   it): segment mask in bits 8-12, clamp in bits 0-4 (0 for up). */
#define C_DOWN(width) ((uint32_t)((32 - (width)) << 8) | 0x1fu)
#define C_UP(width) ((uint32_t)((32 - (width)) << 8))

static uint32_t linearTid(void) {
  return E->tid(0) + E->ntid(0) * (E->tid(1) + E->ntid(1) * E->tid(2));
}
static uint32_t blockThreads(void) {
  return E->ntid(0) * E->ntid(1) * E->ntid(2);
}
static uint32_t linearBlock(void) {
  return E->ctaid(0) +
         E->nctaid(0) * (E->ctaid(1) + E->nctaid(1) * E->ctaid(2));
}
static int32_t shflI32(uint32_t mode, int32_t v, uint32_t b, uint32_t c) {
  return (int32_t)E->shfl(mode, FULL, (uint32_t)v, b, c, NULL);
}

/*===----------------------------------------------------------------------===*
 * Results
 *===----------------------------------------------------------------------===*/

/* ids: out[block * threads + linear tid] =
     tid.x + 10 tid.y + 100 tid.z + 1000 ctaid.x + 10000 ctaid.y
     + 100000 laneid. */
KERNEL ids(void **args) {
  uint32_t *out = (uint32_t *)args[0];
  uint32_t v = E->tid(0) + 10 * E->tid(1) + 100 * E->tid(2) +
               1000 * E->ctaid(0) + 10000 * E->ctaid(1) + 100000 * E->laneid();
  ST(&out[linearBlock() * blockThreads() + linearTid()], v);
}

/* Block sum of in[0, n) (i32) into out[block]: a butterfly (shfl.bfly)
   reduction in each warp, the warp sums through shared memory, then a
   shfl.down reduction in warp 0. params = {n}. Shared: 32 * 4 bytes. */
KERNEL block_reduce(void **args) {
  const uint32_t *params = (const uint32_t *)args[0];
  const int32_t *in = (const int32_t *)args[1];
  int32_t *out = (int32_t *)args[2];
  int32_t *partial = (int32_t *)E->shared_base();
  uint32_t n = LD(&params[0]);
  uint32_t t = linearTid();
  uint32_t i = E->ctaid(0) * blockThreads() + t;
  int32_t v = i < n ? LD(&in[i]) : 0;
  for (uint32_t offset = 16; offset > 0; offset /= 2)
    v += shflI32(MELD_EMU_SHFL_BFLY, v, offset, 0x1f);
  uint32_t numWarps = (blockThreads() + 31) / 32;
  if (E->laneid() == 0)
    ST(&partial[t / 32], v);
  E->barrier();
  if (t < 32) {
    v = t < numWarps ? LD(&partial[t]) : 0;
    for (uint32_t offset = 16; offset > 0; offset /= 2)
      v += shflI32(MELD_EMU_SHFL_DOWN, v, offset, 0x1f);
    if (t == 0)
      ST(&out[E->ctaid(0)], v);
  }
}

/* out = transpose(in), in: f32[rows][cols], through a 32x33 shared tile.
   Block (32, 8), grid (ceil(cols/32), ceil(rows/32)). params = {rows, cols}.
   Shared: 32 * 33 * 4 = 4224 bytes. */
KERNEL transpose(void **args) {
  const uint32_t *params = (const uint32_t *)args[0];
  const float *in = (const float *)args[1];
  float *out = (float *)args[2];
  float(*tile)[33] = (float(*)[33])E->shared_base();
  uint32_t rows = LD(&params[0]), cols = LD(&params[1]);
  uint32_t tx = E->tid(0), ty = E->tid(1);
  uint32_t col = E->ctaid(0) * 32 + tx;
  for (uint32_t j = ty; j < 32; j += 8) {
    uint32_t row = E->ctaid(1) * 32 + j;
    if (row < rows && col < cols)
      ST(&tile[j][tx], LD(&in[row * cols + col]));
  }
  E->barrier();
  uint32_t outCol = E->ctaid(1) * 32 + tx; /* a row of `in` */
  for (uint32_t j = ty; j < 32; j += 8) {
    uint32_t outRow = E->ctaid(0) * 32 + j; /* a column of `in` */
    if (outRow < cols && outCol < rows)
      ST(&out[outRow * rows + outCol], LD(&tile[tx][j]));
  }
}

/* One shfl per lane of params.mask: out[lane] = shfl(100 + lane),
   valid[lane] = predicate. params = {mode, b, c, mask}. One warp. */
KERNEL shfl_test(void **args) {
  const uint32_t *params = (const uint32_t *)args[0];
  uint32_t *out = (uint32_t *)args[1];
  uint32_t *valid = (uint32_t *)args[2];
  uint32_t lane = E->laneid();
  uint32_t mask = LD(&params[3]);
  if (!(mask >> lane & 1))
    return;
  uint32_t p = 7;
  uint32_t d = E->shfl(LD(&params[0]), mask, 100 + lane, LD(&params[1]),
                       LD(&params[2]), &p);
  ST(&out[lane], d);
  ST(&valid[lane], p);
}

/* One vote per lane of params.mask: out[lane] = vote(pred[lane]).
   params = {mode, mask}. */
KERNEL vote_test(void **args) {
  const uint32_t *params = (const uint32_t *)args[0];
  const uint32_t *pred = (const uint32_t *)args[1];
  uint32_t *out = (uint32_t *)args[2];
  uint32_t lane = E->laneid();
  uint32_t mask = LD(&params[1]);
  if (!(mask >> lane & 1))
    return;
  uint32_t r = E->vote(LD(&params[0]), mask, LD(&pred[linearTid()]));
  ST(&out[linearTid()], r);
}

/* Records the order in which blocks run: thread 0 of each block appends its
   linear block id to order[] (counter in state[0]) and counts it in
   state[1 + block]. Blocks run one at a time, so no atomics are needed. */
KERNEL record_order(void **args) {
  uint32_t *state = (uint32_t *)args[0];
  uint32_t *order = (uint32_t *)args[1];
  E->syncwarp(FULL);
  if (linearTid() != 0)
    return;
  uint32_t n = LD(&state[0]);
  ST(&order[n], linearBlock());
  ST(&state[0], n + 1);
  ST(&state[1 + linearBlock()], LD(&state[1 + linearBlock()]) + 1);
}

/* A barrier-heavy kernel: 1024 threads rotate values through shared memory
   `rounds` times. out[t] = in[(t + rounds) % 1024]. params = {rounds}.
   Shared: 4096 bytes. */
KERNEL rotate(void **args) {
  const uint32_t *params = (const uint32_t *)args[0];
  const uint32_t *in = (const uint32_t *)args[1];
  uint32_t *out = (uint32_t *)args[2];
  uint32_t *s = (uint32_t *)E->shared_base();
  uint32_t t = linearTid(), n = blockThreads();
  uint32_t v = LD(&in[E->ctaid(0) * n + t]);
  uint32_t rounds = LD(&params[0]);
  for (uint32_t r = 0; r < rounds; ++r) {
    ST(&s[t], v);
    E->barrier();
    v = LD(&s[(t + 1) % n]);
    E->barrier();
  }
  ST(&out[E->ctaid(0) * n + t], v);
}

/* Local (stack) memory is accepted by the checks. out[t] = sum(0..t%8). */
KERNEL local_array(void **args) {
  uint32_t *out = (uint32_t *)args[0];
  volatile uint32_t a[8];
  uint32_t t = linearTid();
  for (uint32_t i = 0; i < 8; ++i)
    ST((uint32_t *)&a[i], i);
  uint32_t sum = 0;
  for (uint32_t i = 0; i <= t % 8; ++i)
    sum += LD((uint32_t *)&a[i]);
  ST(&out[t], sum);
}

/* Warp-synchronous exchange through shared memory. After a barrier, each
   thread rewrites s[t], then reads s[t ^ params[1]] (its neighbour's slot
   with 1, the other warp's with 32) and writes s[t] again; bit 0 of
   params[0] puts a __syncwarp before the read, bit 1 one after it.
   out[t] = the value read. */
KERNEL warp_exchange(void **args) {
  const uint32_t *params = (const uint32_t *)args[0];
  uint32_t *out = (uint32_t *)args[1];
  uint32_t *s = (uint32_t *)E->shared_base();
  uint32_t t = linearTid();
  uint32_t syncs = LD(&params[0]), partner = t ^ LD(&params[1]);
  ST(&s[t], t);
  E->barrier();
  ST(&s[t], t + 1000);
  if (syncs & 1)
    E->syncwarp(FULL);
  uint32_t v = LD(&s[partner]);
  if (syncs & 2)
    E->syncwarp(FULL);
  ST(&s[t], v + 100);
  ST(&out[t], v);
}

/*===----------------------------------------------------------------------===*
 * Deliberate bugs
 *===----------------------------------------------------------------------===*/

/* Read after write without a barrier: thread t reads s[t - 1]. */
KERNEL racy_raw(void **args) {
  uint32_t *out = (uint32_t *)args[0];
  uint32_t *s = (uint32_t *)E->shared_base();
  uint32_t t = linearTid();
  ST(&s[t], t);
  ST(&out[t], LD(&s[t ? t - 1 : 0]));
}

/* A tree reduction that forgot the barrier inside its loop: a thread
   overwrites a value another thread read in the same epoch (write after
   read). */
KERNEL racy_tree(void **args) {
  const int32_t *in = (const int32_t *)args[0];
  int32_t *out = (int32_t *)args[1];
  int32_t *s = (int32_t *)E->shared_base();
  uint32_t t = linearTid(), n = blockThreads();
  ST(&s[t], LD(&in[t]));
  E->barrier();
  for (uint32_t stride = 1; stride < n; stride *= 2) {
    if (t % (2 * stride) == 0 && t + stride < n)
      ST(&s[t], LD(&s[t]) + LD(&s[t + stride]));
    /* missing E->barrier() */
  }
  if (t == 0)
    ST(&out[0], LD(&s[0]));
}

/* Every thread writes s[0] (write after write). */
KERNEL racy_waw(void **args) {
  uint32_t *s = (uint32_t *)E->shared_base();
  ST(&s[0], linearTid());
}

/* out[i] = in[i] for i = global thread id, without a bounds check:
   params = {} unused; launched with more threads than elements. */
KERNEL copy_unguarded(void **args) {
  const float *in = (const float *)args[1];
  float *out = (float *)args[2];
  const uint32_t *params = (const uint32_t *)args[0];
  uint32_t i = E->ctaid(0) * blockThreads() + linearTid();
  uint32_t n = LD(&params[0]);
  if (i < n) /* guards the load only */
    ST(&out[i], LD(&in[i]));
  else
    ST(&out[i], 0.0f);
}

/* out[i] = in[i + shift] for i < n: params = {n, shift (signed)}. */
KERNEL load_shifted(void **args) {
  const uint32_t *params = (const uint32_t *)args[0];
  const float *in = (const float *)args[1];
  float *out = (float *)args[2];
  uint32_t i = E->ctaid(0) * blockThreads() + linearTid();
  uint32_t n = LD(&params[0]);
  int32_t shift = (int32_t)LD(&params[1]);
  if (i < n)
    ST(&out[i], LD(&in[(int32_t)i + shift]));
}

/* Four floats from in[4 * t + params.shift] as one 16-byte vector load, as
   ld.global.v4.f32 would: misaligned unless the shift is a multiple of 4. */
typedef float float4_t __attribute__((vector_size(16)));
KERNEL load_vector_shifted(void **args) {
  const uint32_t *params = (const uint32_t *)args[0];
  const float *in = (const float *)args[1];
  float *out = (float *)args[2];
  uint32_t t = linearTid();
  const float4_t *v =
      (const float4_t *)&in[4 * (int32_t)t + (int32_t)LD(&params[0])];
  float4_t x = LD(v);
  ST(&out[t], x[0] + x[1] + x[2] + x[3]);
}

/* Stores into its first argument (a weight when the driver marks it
   read-only). */
KERNEL store_first(void **args) {
  float *w = (float *)args[0];
  ST(&w[linearTid()], 1.0f);
}

/* Shared accesses past the end: s[t + params.shift], 64 bytes of shared. */
KERNEL shared_oob(void **args) {
  const uint32_t *params = (const uint32_t *)args[0];
  uint32_t *s = (uint32_t *)E->shared_base();
  uint32_t t = linearTid();
  ST(&s[(int32_t)t + (int32_t)LD(&params[0])], t);
}

/* Only even threads write s[t]; everyone reads s[t] after the barrier. */
KERNEL uninit_shared(void **args) {
  uint32_t *out = (uint32_t *)args[0];
  uint32_t *s = (uint32_t *)E->shared_base();
  uint32_t t = linearTid();
  if (t % 2 == 0)
    ST(&s[t], t);
  E->barrier();
  ST(&out[t], LD(&s[t]));
}

/* Only block 0 writes shared memory; every block reads it after the
   barrier. What block 0 wrote must not count as written in another block. */
KERNEL shared_stale(void **args) {
  uint32_t *out = (uint32_t *)args[0];
  uint32_t *s = (uint32_t *)E->shared_base();
  uint32_t t = linearTid();
  if (E->ctaid(0) == 0)
    ST(&s[t], t);
  E->barrier();
  ST(&out[E->ctaid(0) * blockThreads() + t], LD(&s[t]));
}

/* The upper half of the block returns before the barrier. */
KERNEL divergent_barrier(void **args) {
  uint32_t *out = (uint32_t *)args[0];
  uint32_t t = linearTid();
  if (t >= blockThreads() / 2)
    return;
  E->barrier();
  ST(&out[t], t);
}

/* Lane params[0] returns before a full-warp shfl. */
KERNEL missing_lane(void **args) {
  const uint32_t *params = (const uint32_t *)args[0];
  uint32_t *out = (uint32_t *)args[1];
  if (E->laneid() == LD(&params[0]))
    return;
  ST(&out[linearTid()], shflI32(MELD_EMU_SHFL_BFLY, linearTid(), 1, 0x1f));
}

/* Lanes 0-15 __syncwarp() the full warp while lanes 16-31 wait at a block
   barrier. */
KERNEL warp_vs_barrier(void **args) {
  if (E->laneid() < 16)
    E->syncwarp(FULL);
  else
    E->barrier();
}

/* Even lanes shfl, odd lanes vote, all with the full mask. */
KERNEL mismatched_collectives(void **args) {
  if (E->laneid() % 2 == 0)
    E->shfl(MELD_EMU_SHFL_IDX, FULL, 1, 0, 0x1f, NULL);
  else
    E->vote(MELD_EMU_VOTE_ANY, FULL, 1);
}

/* Every lane calls vote with memberMask 0x0000ffff, lanes 16-31 included
   (as a gpu.shuffle of width 16 lowered for all 32 lanes would). */
KERNEL lane_not_in_mask(void **args) {
  E->vote(MELD_EMU_VOTE_ANY, 0x0000ffffu, 1);
}

/* Lanes 0-15 shfl.idx from lane 20 with memberMask 0x0000ffff. */
KERNEL shfl_source_outside(void **args) {
  if (E->laneid() < 16)
    E->shfl(MELD_EMU_SHFL_IDX, 0x0000ffffu, 1, 20, 0x1f, NULL);
}

/* Faults in code the checks do not see. */
__attribute__((noinline)) static uint32_t recurse(uint32_t depth) {
  volatile uint8_t frame[256];
  frame[depth % 256] = (uint8_t)depth;
  return depth == 0 ? 0 : recurse(depth - 1) + frame[depth % 256];
}

/* Recursion far deeper than the emulated thread's stack. */
KERNEL stack_overflow(void **args) {
  uint32_t *out = (uint32_t *)args[0];
  ST(&out[linearTid()], recurse(1000000));
}

/* A store 16 MiB past its buffer, without check_store. */
KERNEL unchecked_global(void **args) {
  uint32_t *out = (uint32_t *)args[0];
  out[4u << 20] = 1;
}

/* A shared store one page past a 64-byte shared buffer, without
   check_store. */
KERNEL unchecked_shared(void **args) {
  uint32_t *s = (uint32_t *)E->shared_base();
  s[1024] = 1;
}

/*===----------------------------------------------------------------------===*
 * The test model of test/Runtime (runtime/test/kernels.c has the host
 * versions), as GPU kernels. x: f32[3,5], y: f32[5], w: f32[5].
 *===----------------------------------------------------------------------===*/

#define ROWS 3
#define COLS 5
#define RAMP 100003

/* t = x * w: grid (5, 3), block (1): one element per block. */
KERNEL mul_rows_w(void **args) {
  const float *x = (const float *)args[0];
  const float *w = (const float *)args[1];
  float *t = (float *)args[2];
  uint32_t col = E->ctaid(0), row = E->ctaid(1);
  ST(&t[row * COLS + col], LD(&x[row * COLS + col]) * LD(&w[col]));
}

/* out = t + y: grid (3), block (32): a row per block, a column per lane. */
KERNEL add_bcast(void **args) {
  const float *t = (const float *)args[0];
  const float *y = (const float *)args[1];
  float *out = (float *)args[2];
  uint32_t row = E->ctaid(0), col = E->tid(0);
  if (col < COLS)
    ST(&out[row * COLS + col], LD(&t[row * COLS + col]) + LD(&y[col]));
}

/* idx = argmax(x, 1): grid (3), block (32): a warp per row, a butterfly
   reduction of (value, index) pairs; the first maximum wins. */
KERNEL argmax_rows(void **args) {
  const float *x = (const float *)args[0];
  int64_t *idx = (int64_t *)args[1];
  uint32_t row = E->ctaid(0), lane = E->laneid();
  float best = -__builtin_inff();
  uint32_t bestIndex = 0xffffffffu;
  if (lane < COLS) {
    best = LD(&x[row * COLS + lane]);
    bestIndex = lane;
  }
  for (uint32_t offset = 16; offset > 0; offset /= 2) {
    uint32_t bits;
    memcpy(&bits, &best, 4);
    bits = E->shfl(MELD_EMU_SHFL_BFLY, FULL, bits, offset, 0x1f, NULL);
    float other;
    memcpy(&other, &bits, 4);
    uint32_t otherIndex =
        E->shfl(MELD_EMU_SHFL_BFLY, FULL, bestIndex, offset, 0x1f, NULL);
    if (other > best || (other == best && otherIndex < bestIndex)) {
      best = other;
      bestIndex = otherIndex;
    }
  }
  if (lane == 0)
    ST(&idx[row], (int64_t)bestIndex);
}

/* ramp = 0.5 * iota: grid (391), block (256), 1024 bytes of shared: each
   thread writes its value to shared memory, and after a barrier stores its
   neighbour's slot to the neighbour's element. */
KERNEL ramp_blocks(void **args) {
  float *ramp = (float *)args[0];
  float *s = (float *)E->shared_base();
  uint32_t t = E->tid(0), n = E->ntid(0);
  uint32_t base = E->ctaid(0) * n;
  ST(&s[t], 0.5f * (float)(base + t));
  E->barrier();
  uint32_t u = (t + 1) % n;
  if (base + u < RAMP)
    ST(&ramp[base + u], LD(&s[u]));
}

/* ramp_blocks without the bounds check: the last block stores past the end
   of `ramp`. */
KERNEL ramp_blocks_oob(void **args) {
  float *ramp = (float *)args[0];
  uint32_t i = E->ctaid(0) * E->ntid(0) + E->tid(0);
  ST(&ramp[i], 0.5f * (float)i);
}

/* tma_check(map, w, status), the "emu-tmap" variant: map is the runtime's
   tensor map of w (5 floats, a box of 4). One warp; thread 0 initializes an
   mbarrier, and after a barrier copies the boxes at coordinates 1 (w[1] to
   w[4]) and 3 (w[3], w[4], then zeros past the end) through the map to
   shared offsets 128 and 256 (a copy's destination is 128-byte aligned); every
   thread waits for them, then lane 0 compares the 8 floats with w and
   records fault site 2, detail the first wrong float, if one differs. */
KERNEL tma_check(void **args) {
  const void *map = args[0];
  const float *w = (const float *)args[1];
  int64_t *status = (int64_t *)args[2];
  char *shared = (char *)E->shared_base();
  void *bar = shared;
  float *box = (float *)(shared + 128), *box2 = (float *)(shared + 256);
  uint32_t t = linearTid();
  if (t == 0)
    E->mbarrier_init(bar, 1);
  E->barrier();
  if (t == 0) {
    int32_t first = 1, second = 3;
    E->mbarrier_arrive(bar, 1, 2 * 4 * sizeof(float));
    E->tma_load(box, map, &first, 1, bar);
    E->tma_load(box2, map, &second, 1, bar);
  }
  E->mbarrier_wait_parity(bar, 0);
  if (t != 0)
    return;
  const float expected[8] = {LD(&w[1]), LD(&w[2]), LD(&w[3]), LD(&w[4]),
                             LD(&w[3]), LD(&w[4]), 0.0f,      0.0f};
  for (int i = 0; i < 8; ++i) {
    if (LD(i < 4 ? &box[i] : &box2[i - 4]) != expected[i]) {
      ST(&status[1], (int64_t)2);
      ST(&status[2], (int64_t)i);
      ST(&status[0], (int64_t)1);
      return;
    }
  }
}
