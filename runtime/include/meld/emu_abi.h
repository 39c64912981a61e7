/*===- meld/emu_abi.h - Emulated kernels and the emulator ---------*- C -*-===*\
|*                                                                            *|
|* The GPU emulator (`--device emu`) runs the GPU kernels of an artifact on   *|
|* the host. meldc compiles each kernel at the NVVM level (the LLVM dialect   *|
|* with nvvm ops that would become PTX) as host code, into an ELF shared      *|
|* object carried in the artifact as the kernel module with target "emu" and  *|
|* format "elf-shared-object". Every GPU-specific operation becomes a call    *|
|* through the table of functions below, which the runtime's emulation        *|
|* library (runtime/emu) provides.                                            *|
|*                                                                            *|
|* A table rather than undefined symbols: the kernel module never needs       *|
|* symbols from the runtime's global scope (the runtime hides its own).       *|
|*                                                                            *|
|* The module exports                                                         *|
|*                                                                            *|
|*   void meld_emu_bind(const meld_emu_ops *ops);                             *|
|*       Called once, right after dlopen and before any kernel runs. The      *|
|*       module keeps `ops` (it stays valid while the module is loaded).      *|
|*       Fields are only ever appended: ops->version says which exist, so a   *|
|*       module built against a later version must check it before using      *|
|*       fields the runtime may lack.                                         *|
|*                                                                            *|
|*   void NAME(void **args);      one per kernel, NAME = Launch.kernel        *|
|*       The per-thread body. The emulator calls it once for every thread of  *|
|*       every block of a launch. args[i] is the base address of buffer       *|
|*       Launch.args[i]. It reads its thread and block ids through `tid`,     *|
|*       `ctaid`, ... and returns when the thread exits.                      *|
|*                                                                            *|
|* Execution model. The blocks of a launch are taken in a pseudo-random       *|
|* order (seeded; see docs/Emulator.md), by one or more OS threads. The       *|
|* threads of a block run as fibers on one OS thread, round-robin: a thread   *|
|* runs until it returns or blocks in `barrier`, `shfl`, `vote`, `syncwarp`,  *|
|* `mma`, `ldmatrix`, `wgmma` or `mbarrier_wait_parity`.                      *|
|* Warps are groups of 32 consecutive linear thread ids, x fastest            *|
|* (linear = x + ntid.x * (y + ntid.y * z)); laneid = linear % 32.            *|
|*                                                                            *|
|* Every function of the table must be called from inside a kernel launched   *|
|* by the emulator (the calling thread is implicit). A function that detects  *|
|* an error (an out-of-bounds access, a race, a divergent barrier, ...) does  *|
|* not return: the emulator abandons the launch (the fibers' stacks are       *|
|* dropped without unwinding, so kernel code must not own resources that      *|
|* need cleanup - generated code never does) and reports one line           *|
|*   kernel 'NAME' block (x,y,z) thread (x,y,z): <what>                       *|
|*                                                                            *|
|* This header is plain C and includes only <stdint.h>.                       *|
\*===----------------------------------------------------------------------===*/

#ifndef MELD_EMU_ABI_H
#define MELD_EMU_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Version of the table below. Bumped on any change to it or to the meaning of
/// a function; fields are only ever appended.
#define MELD_EMU_ABI_VERSION 9

/// `mode` of meld_emu_ops::shfl, as in PTX `shfl.sync.{idx,up,down,bfly}`.
enum {
  MELD_EMU_SHFL_IDX = 0,
  MELD_EMU_SHFL_UP = 1,
  MELD_EMU_SHFL_DOWN = 2,
  MELD_EMU_SHFL_BFLY = 3,
};

/// `mode` of meld_emu_ops::vote, as in PTX `vote.sync.{all,any,uni,ballot}`.
enum {
  MELD_EMU_VOTE_ALL = 0,
  MELD_EMU_VOTE_ANY = 1,
  MELD_EMU_VOTE_UNI = 2,
  MELD_EMU_VOTE_BALLOT = 3,
};

/// `shape` of meld_emu_ops::mma: the PTX `mma.sync.aligned` instruction.
enum {
  /// mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32.
  MELD_EMU_MMA_M16N8K8_TF32 = 0,
  /// mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 (version 3).
  MELD_EMU_MMA_M16N8K16_F16 = 1,
  /// mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 (version 3).
  MELD_EMU_MMA_M16N8K16_BF16 = 2,
};

/// `mode` of meld_emu_ops::wgmma (version 6): the multiplicands' type in
/// bits 0-3, flags above, N (8 to 256, a multiple of 8) in bits 16-24:
///   mode = TYPE | flags | N << 16
/// for `wgmma.mma_async.sync.aligned.m64nNkK.f32.TYPE.TYPE` (K 16 for f16
/// and bf16, 8 for tf32).
enum {
  MELD_EMU_WGMMA_F16 = 0,
  MELD_EMU_WGMMA_BF16 = 1,
  MELD_EMU_WGMMA_TF32 = 2,
  /// imm-trans-a = 1: A is M-major in shared memory (f16, bf16 only).
  MELD_EMU_WGMMA_TRANS_A = 1 << 4,
  /// imm-trans-b = 1: B is N-major in shared memory (f16, bf16 only).
  MELD_EMU_WGMMA_TRANS_B = 1 << 5,
  /// imm-scale-a = -1, imm-scale-b = -1: the operand is negated.
  MELD_EMU_WGMMA_NEG_A = 1 << 6,
  MELD_EMU_WGMMA_NEG_B = 1 << 7,
};

/// A tensor map (version 8): what `cuTensorMapEncodeTiled` encodes for a
/// GPU's cp.async.bulk.tensor, in the emulator's own layout (the GPU's is
/// opaque). 128 bytes, 64-byte aligned, in memory a kernel argument holds;
/// meld::emu::encodeTensorMap fills one. Dimension 0 is the innermost
/// (contiguous) one; the box is copied to shared memory densely, row-major
/// (dimension 0 fastest), then swizzled. Element strides are 1 and there is
/// no interleave (the only tensor maps the emulator takes).
#define MELD_EMU_TENSOR_MAP_MAGIC 0x50414d54u /* "TMAP" */
typedef struct meld_emu_tensor_map {
  uint32_t magic;
  /// Dimensions, 1 to 5.
  uint32_t rank;
  /// Bytes of an element: 1, 2, 4 or 8.
  uint32_t element_bytes;
  /// The shared-memory swizzle's span in bytes: 0 (none), 32, 64 or 128.
  /// A span of S bytes XORs bits 4 to 4 + log2(S / 16) - 1 of each byte's
  /// offset in the block's shared memory with bits 7 to 7 + log2(S / 16)
  /// - 1 (CU_TENSOR_MAP_SWIZZLE_32B, _64B, _128B); dimension 0 of the box
  /// then spans at most S bytes.
  uint32_t swizzle;
  /// The tensor's first element, 16-byte aligned.
  uint64_t global_address;
  /// Bytes from one index of dimension d + 1 to the next, multiples of 16.
  uint64_t global_strides[4];
  /// The tensor's size in elements, per dimension (1 to 2^32 - 1).
  uint32_t global_dims[5];
  /// The box a copy moves, per dimension (1 to 256); dimension 0 spans a
  /// multiple of 16 bytes.
  uint32_t box_dims[5];
  /// Elements outside the tensor read as 0, or with this set as NaN
  /// (CU_TENSOR_MAP_FLOAT_OOB_FILL_NAN_REQUEST_ZERO_FMA).
  uint32_t oob_nan;
  uint32_t reserved[7];
} meld_emu_tensor_map;

typedef struct meld_emu_ops {
  /// MELD_EMU_ABI_VERSION of the emulator that filled the table.
  uint32_t version;

  /// %tid.{x,y,z} (threadIdx) of the calling thread; `dim` is 0, 1 or 2.
  uint32_t (*tid)(uint32_t dim);
  /// %ntid.{x,y,z} (blockDim).
  uint32_t (*ntid)(uint32_t dim);
  /// %ctaid.{x,y,z} (blockIdx).
  uint32_t (*ctaid)(uint32_t dim);
  /// %nctaid.{x,y,z} (gridDim).
  uint32_t (*nctaid)(uint32_t dim);
  /// %laneid: linear thread id % 32.
  uint32_t (*laneid)(void);

  /// `bar.sync 0` (__syncthreads): waits until every thread of the block has
  /// arrived. A barrier that some thread of the block can no longer reach
  /// (it exited, or waits at a warp collective) is an error: "barrier
  /// reached by only part of the block".
  void (*barrier)(void);

  /// `shfl.sync.MODE.b32 d|p, value, laneOrOffset, c, memberMask`, exactly as
  /// the PTX ISA specifies. `mode` is a MELD_EMU_SHFL_*; `c` is PTX's packed
  /// operand (bits 0-4: clamp value, bits 8-12: segment mask), as
  /// nvvm.shfl.sync passes it. Returns d; stores the predicate p (1 if the
  /// computed source lane was in range, else 0, d then being the caller's own
  /// `value`) in `*valid` when `valid` is not NULL.
  ///
  /// Like every warp collective, it waits until all lanes of memberMask have
  /// reached a collective. Errors: the caller's lane is not in memberMask; a
  /// lane of memberMask has exited or waits at a barrier (the collective is
  /// "reached by only part of memberMask"); lanes of overlapping masks meet
  /// at different collectives or with different masks; the source lane is not
  /// in memberMask. Lanes of memberMask beyond the end of the block (a partial
  /// last warp) are ignored, but reading from one is an error.
  uint32_t (*shfl)(uint32_t mode, uint32_t memberMask, uint32_t value,
                   uint32_t laneOrOffset, uint32_t c, uint32_t *valid);

  /// `vote.sync.MODE`: `mode` is a MELD_EMU_VOTE_*; `pred` is 0 or non-zero.
  /// all/any/uni return 0 or 1; ballot returns the mask of the lanes of
  /// memberMask whose pred is non-zero. Rendezvous and errors as for shfl.
  uint32_t (*vote)(uint32_t mode, uint32_t memberMask, uint32_t pred);

  /// `bar.warp.sync memberMask` (__syncwarp). Rendezvous and errors as for
  /// shfl.
  void (*syncwarp)(uint32_t memberMask);

  /// This block's shared memory: Launch.shared_memory_bytes bytes (static and
  /// dynamic, laid out by the compiler), 4096-byte aligned, filled with 0xFF
  /// at the start of every block. Never NULL (even for 0 bytes).
  void *(*shared_base)(void);

  /// Called by the kernel before every load from (check_load) or store to
  /// (check_store) global or shared memory, with the address and the size in
  /// bytes of the access. Accesses inside [shared_base, + shared bytes) are
  /// shared accesses: a load of a byte no thread of the block has written is
  /// "read of uninitialized shared memory"; a load of a byte another thread
  /// wrote, or a store to a byte another thread read or wrote, with no
  /// barrier in between, is a "data race on shared memory". Accesses inside
  /// one of the launch's argument buffers are global accesses (a store to a
  /// weight is an error: weights are read-only). Accesses to the calling
  /// thread's own stack are accepted (local memory). Anything else is an
  /// "out-of-bounds global/shared load/store".
  void (*check_load)(const void *ptr, uint32_t bytes);
  void (*check_store)(const void *ptr, uint32_t bytes);

  /* Version 2. */

  /// A warp-wide `mma.sync.aligned` of `shape`: every lane of the warp calls
  /// it (`.aligned`: all 32, at the same instruction), with its fragments
  /// as the PTX ISA lays them out ("Matrix Fragments for mma.m16n8k8" and
  /// "mma.m16n8k16"): `a` (4 registers of A, 16xK), `b` (2 of B, Kx8) and
  /// `c` (4 of the 16x8 f32 accumulator); the lane's 4 registers of D = A B
  /// + C go to `d`. tf32 operands are the top 19 bits of their registers
  /// (the low 13 bits are ignored, as on the GPU); f16 and bf16 ones come
  /// two to a register, the first in the low half. Products accumulate in
  /// float, k ascending.
  /// Rendezvous as for shfl; a lane missing from the warp is an error.
  void (*mma)(uint32_t shape, const uint32_t *a, const uint32_t *b,
              const float *c, float *d);

  /* Version 3. */

  /// check_load / check_store with `site`, the access's number in the module
  /// (the compiler numbers every load and store). The emulator takes the
  /// accesses the lanes of a warp make at one site, the n-th time each lane
  /// reaches it, as one warp-wide instruction, for its memory statistics
  /// (shared-memory bank conflicts, global sectors).
  void (*check_load_at)(const void *ptr, uint32_t bytes, uint32_t site);
  void (*check_store_at)(const void *ptr, uint32_t bytes, uint32_t site);

  /* Version 4. */

  /// A warp-wide `ldmatrix.sync.aligned.m8n8.xNUM[.trans].shared.b16`: every
  /// lane of the warp calls it (`.aligned`: all 32), `num` 1, 2 or 4 and
  /// `trans` 0 or 1 the same in all. Lanes 8 j to 8 j + 7 give in `row` the
  /// addresses of rows 0 to 7 of matrix j (16 bytes each, 16-byte aligned,
  /// in shared memory); the other lanes' addresses are ignored. Each row is
  /// checked as a 16-byte load of the lane that gives it, at `site`. The
  /// lane's `num` registers come back in `d`: register j holds elements
  /// (lane / 4, 2 (lane % 4)) and (lane / 4, 2 (lane % 4) + 1) of matrix j,
  /// the first in the low half; with `trans`, elements (2 (lane % 4),
  /// lane / 4) and (2 (lane % 4) + 1, lane / 4) (PTX ISA, "Warp-level matrix
  /// load instruction: ldmatrix").
  void (*ldmatrix)(uint32_t num, uint32_t trans, const void *row, uint32_t *d,
                   uint32_t site);

  /* Version 5. */

  /// `cp.async.{ca,cg}.shared.global [dst], [src], bytes, srcBytes` (bytes 4,
  /// 8 or 16; srcBytes <= bytes, the rest zero-filled): the calling thread's
  /// asynchronous copy. `src` is checked as a global load of srcBytes at
  /// issue, and read then; the copy joins the thread's open group. Its bytes
  /// land in shared memory (checked as the thread's store of `bytes` at
  /// `dst`, at `site`) only when a wait completes its group, or when the
  /// thread exits: reading them earlier reads what was there before.
  void (*cp_async)(void *dst, const void *src, uint32_t bytes,
                   uint32_t srcBytes, uint32_t site);
  /// `cp.async.commit_group`: closes the thread's open group.
  void (*cp_async_commit)(void);
  /// `cp.async.wait_group n`: completes the thread's committed groups but
  /// the `n` most recent (`cp.async.wait_all` is commit, then wait 0).
  void (*cp_async_wait)(uint32_t n);

  /* Version 6. */

  /// `wgmma.fence.sync.aligned`. The calling thread must have executed one
  /// before its first wgmma.mma_async and before the first one after each
  /// of its wgmma.wait_group (the PTX ISA asks for it wherever registers a
  /// wgmma.mma_async uses were accessed in between; an accumulator chain
  /// that runs on across a wait without touching its registers is the one
  /// case the emulator asks for more than the ISA).
  void (*wgmma_fence)(void);
  /// `wgmma.mma_async.sync.aligned.m64nNkK.f32.T.T d, descA, descB, scaleD,
  /// scaleA, scaleB, transA, transB` with `mode` as above: every thread of
  /// the warpgroup (4 consecutive warps, 128 threads, the first a multiple
  /// of 128) calls it, with the same mode, descriptors and scaleD. A and B
  /// come from shared memory through their 64-bit matrix descriptors (PTX
  /// ISA, "Matrix Descriptor Format": start address, leading and stride
  /// dimension byte offsets, swizzle none, 32, 64 or 128 bytes; base offset
  /// 0) in the canonical K-major or MN-major layouts; the start address is
  /// that of a shared-memory pointer (its low 18 bits), and the swizzles
  /// act on the bits of the offset in the block's shared memory. `c` is the
  /// thread's N/2 accumulator registers as the ISA lays them out ("Matrix
  /// Fragments for wgmma": register 4 j + r of lane l in warp w holds row
  /// 16 w + l / 4 + 8 (r / 2), column 8 j + 2 (l % 4) + r % 2), read unless
  /// scaleD is 0; D = A B (+ C) goes to `d`, products summed in float, k
  /// ascending. The emulator computes D when the whole warpgroup has
  /// issued the instruction (the threads wait for each other there), with
  /// every 16-byte row of A and B checked as a shared load of the thread
  /// that arrived last. Until a thread knows the instruction complete (it
  /// waited for it with wgmma.wait_group, or a barrier came after a thread
  /// of the warpgroup did), its stores to those rows are errors. Errors
  /// too: a partial warpgroup, threads that differ, no fence, a bad mode or
  /// descriptor.
  void (*wgmma)(uint32_t mode, uint64_t descA, uint64_t descB, uint32_t scaleD,
                const float *c, float *d);
  /// `wgmma.commit_group.sync.aligned`: closes the thread's open group of
  /// wgmma.mma_async.
  void (*wgmma_commit)(void);
  /// `wgmma.wait_group.sync.aligned n`: completes the thread's committed
  /// groups but the `n` most recent. A thread that exits with a
  /// wgmma.mma_async not completed is an error.
  void (*wgmma_wait)(uint32_t n);

  /* Version 7. */

  /// `fence.proxy.async.shared::cta`. The tensor cores read shared memory
  /// through the async proxy: a byte a thread of the block wrote through
  /// the generic proxy (a store, a cp.async that landed) is seen by a
  /// wgmma.mma_async only if that thread executed this fence after the
  /// write; a wgmma.mma_async reading such a byte before is an error.
  void (*fence_proxy_async)(void);

  /* Version 8. */

  /// mbarrier objects (PTX ISA, "Parallel Synchronization and Communication
  /// Instructions: mbarrier"): 8 bytes of shared memory, 8-byte aligned,
  /// that only these functions may touch (a plain load or store of one is
  /// an error). `mbarrier.init.shared::cta.b64 [bar], count`: count 1 to
  /// 2^20 - 1; phase 0, `count` arrivals pending, no transaction bytes.
  /// Initializing a valid mbarrier is an error. Another thread may use it
  /// only after a barrier that follows the init.
  void (*mbarrier_init)(void *bar, uint32_t count);
  /// `mbarrier.expect_tx` by `txBytes`, then (count > 0)
  /// `mbarrier.arrive.release.cta.shared::cta.b64 state, [bar], count`:
  /// `count` arrivals, with release semantics: what the thread did before
  /// is ordered before what a thread does after its wait sees the phase
  /// complete. A phase completes when no arrival and no transaction byte
  /// is pending; the next then expects the init's count again. More
  /// arrivals than pending is an error. Returns the phase number before
  /// the arrival (PTX's opaque state).
  uint64_t (*mbarrier_arrive)(void *bar, uint32_t count, uint32_t txBytes);
  /// `mbarrier.try_wait.parity.acquire.cta.shared::cta.b64` in a loop until
  /// it succeeds (as nvvm.mbarrier.try_wait.parity lowers): blocks until
  /// the phase of parity `parity` (0 or 1) that precedes the current one
  /// has completed, i.e. until the current phase's parity differs, with
  /// acquire semantics. Waiting on an mbarrier no thread or copy can
  /// complete is reported as a deadlock naming the phase's pending counts.
  void (*mbarrier_wait_parity)(void *bar, uint32_t parity);
  /// `mbarrier.inval.shared::cta.b64 [bar]`: the 8 bytes become plain
  /// (uninitialized) shared memory again.
  void (*mbarrier_inval)(void *bar);
  /// `cp.async.bulk.tensor.RANKd.shared::cluster.global.tile.mbarrier::
  /// complete_tx::bytes [dst], [map, {coords}], [bar]` for this CTA (no
  /// multicast): copies the box of `*map` at element coordinates
  /// `coords[0..rank)` (signed; elements outside the tensor are filled)
  /// to shared memory at `dst` (128-byte aligned, and to the swizzle's
  /// repeat, 8 spans, when swizzled), then completes the box's bytes of
  /// transactions on `bar`. The copy's reads are checked as global loads.
  /// Its writes go through the async proxy; a thread may read or overwrite
  /// them only once it knows the phase they completed on done (its own
  /// mbarrier_wait_parity, or another's carried over by an arrive/wait or
  /// a barrier). The copy's own writes race with earlier accesses not so
  /// ordered before it, and with a wgmma.mma_async still reading.
  void (*tma_load)(void *dst, const void *map, const int32_t *coords,
                   uint32_t rank, void *bar);

  /* Version 9. */

  /// `bar.sync id, count` (a named barrier: `id` 0 to 15, `count` a
  /// positive multiple of 32 up to the block's threads rounded up to whole
  /// warps; count 0 stands for the whole block, as `bar.sync id`): waits
  /// until `count` threads have arrived at barrier `id`. Every arrival
  /// while some wait must give the same count. The participants' accesses
  /// before it are ordered before their accesses after it, and what each
  /// knew of mbarrier phases is shared among them; threads that do not take
  /// part are not ordered by it (their accesses may race with the
  /// participants'). A barrier that too few threads can still reach is
  /// an error.
  void (*barrier_named)(uint32_t id, uint32_t count);
} meld_emu_ops;

/// Signatures of the module's exports.
typedef void (*meld_emu_bind_fn)(const meld_emu_ops *ops);
typedef void (*meld_emu_kernel_fn)(void **args);

/// Name of the binding function every emulated kernel module exports.
#define MELD_EMU_BIND_SYMBOL "meld_emu_bind"

/* A kernel NAME that declares shared memory statically (as GPU kernels do
 * with __shared__ arrays) also exports `const uint32_t
 * NAME__meld_emu_shared_bytes`, its size: the block's shared buffer is that
 * plus the launch's dynamic shared memory (Launch.shared_memory_bytes). */
#define MELD_EMU_SHARED_BYTES_SUFFIX "__meld_emu_shared_bytes"

#ifdef __cplusplus
} // extern "C"
#endif

#endif // MELD_EMU_ABI_H
