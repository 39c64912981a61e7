// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-pipeline-k-loops{tma=false},meld-tile-gpu-allocate-shared),meld-tile-to-gpu)' | FileCheck %s

// A K loop whose 16-bit operands are copied to shared memory
// asynchronously, two steps ahead (meld-tile-gpu-pipeline-k-loops). Before
// the loop, the loads of steps 0 and 1: the block meets first (a barrier:
// the buffers may still be read by an earlier run of the loop's products),
// then, if the loop reaches the step, each thread copies its runs of 8
// elements with one 16-byte cp.async each (L1 bypassed), their source
// elements 8 or 0 as the mask says, and commits a group per load. In the
// loop, each step waits for its own groups (leaving the next step's 2
// pending), fences them for the tensor cores and meets the block; the
// product reads B with N contiguous (wgmma's transposed B: <row>) and
// stays in flight (wait 1); then the loads of the step 2 ahead are issued
// without a barrier (their buffers were last read two products back), and
// their tiles are carried to the next step as the buffers' addresses.
// CHECK-LABEL: gpu.func @prefetch(
// CHECK:         gpu.barrier
// CHECK-NEXT:    scf.if
// CHECK:         arith.select %{{.+}}, %c8{{.*}}, %c0{{.*}} : index
// CHECK:         nvgpu.device_async_copy %arg0[%{{.+}}], %{{.+}}[%{{.+}}], 8, %{{.+}} {bypassL1} : memref<2560xf16> to memref<{{[0-9]+}}xf16, #gpu.address_space<workgroup>>
// CHECK:         nvvm.cp.async.commit.group
// CHECK:         gpu.barrier
// CHECK:         nvgpu.device_async_copy %arg1[%{{.+}}], %{{.+}}[%{{.+}}], 8, %{{.+}} {bypassL1} : memref<1280xf16> to memref<{{[0-9]+}}xf16, #gpu.address_space<workgroup>>
// CHECK:         nvvm.cp.async.commit.group
// CHECK:         gpu.barrier
// CHECK:         nvgpu.device_async_copy %arg0
// CHECK:         nvvm.cp.async.commit.group
// CHECK:         gpu.barrier
// CHECK:         nvgpu.device_async_copy %arg1
// CHECK:         nvvm.cp.async.commit.group
// CHECK:         scf.for
// CHECK:           nvvm.cp.async.wait.group 2
// CHECK-NEXT:      nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT:      gpu.barrier
// CHECK-NOT:       gpu.barrier
// CHECK:           nvvm.wgmma.mma_async {{.+}}, <m = 64, n = 32, k = 16>, D[<f32>, <one>], A[<f16>, <one>, <row>], B[<f16>, <one>, <row>]
// CHECK-NEXT:      nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT:      nvvm.wgmma.wait.group.sync.aligned 1
// CHECK-NOT:       gpu.barrier
// CHECK:           nvgpu.device_async_copy %arg0
// CHECK:           nvvm.cp.async.commit.group
// CHECK-NOT:       gpu.barrier
// CHECK:           nvgpu.device_async_copy %arg1
// CHECK:           nvvm.cp.async.commit.group
// CHECK-NEXT:      scf.yield
// CHECK:         nvvm.wgmma.wait.group.sync.aligned 0
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
tile.kernel @prefetch(%a: memref<2560xf16>, %w: memref<1280xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c40 = arith.constant 40 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wgmma>
  %c40t = arith.constant dense<40> : tensor<64x16xindex, #blocked>
  %c32b = arith.constant dense<32> : tensor<16x32xindex, #blocked>
  %c40b = arith.constant dense<40> : tensor<16x32xindex, #blocked>
  %ra = tile.iota 0 : tensor<64x16xindex, #blocked>
  %rowa = arith.muli %ra, %c40t : tensor<64x16xindex, #blocked>
  %r = scf.for %k = %c0 to %c40 step %c16 iter_args(%acc = %zero) -> (tensor<64x32xf32, #wgmma>) {
    %ca = tile.iota 1 : tensor<64x16xindex, #blocked>
    %ks = tensor.splat %k : tensor<64x16xindex, #blocked>
    %cola = arith.addi %ca, %ks : tensor<64x16xindex, #blocked>
    %offa = arith.addi %rowa, %cola : tensor<64x16xindex, #blocked>
    %ma = arith.cmpi ult, %cola, %c40t : tensor<64x16xindex, #blocked>
    %x = tile.load %a[%offa], %ma : memref<2560xf16>[tensor<64x16xindex, #blocked>], tensor<64x16xi1, #blocked> -> tensor<64x16xf16, #blocked>
    %rb = tile.iota 0 : tensor<16x32xindex, #blocked>
    %cb = tile.iota 1 : tensor<16x32xindex, #blocked>
    %kb = tensor.splat %k : tensor<16x32xindex, #blocked>
    %rowb = arith.addi %rb, %kb : tensor<16x32xindex, #blocked>
    %rowoff = arith.muli %rowb, %c32b : tensor<16x32xindex, #blocked>
    %offb = arith.addi %rowoff, %cb : tensor<16x32xindex, #blocked>
    %mb = arith.cmpi ult, %rowb, %c40b : tensor<16x32xindex, #blocked>
    %y = tile.load %w[%offb], %mb : memref<1280xf16>[tensor<16x32xindex, #blocked>], tensor<16x32xi1, #blocked> -> tensor<16x32xf16, #blocked>
    %xs = tile_gpu.local_alloc %x : tensor<64x16xf16, #blocked> -> tensor<64x16xf16, #sa>
    %ys = tile_gpu.local_alloc %y : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
    %p = tile.dot %xs, %ys, %acc : tensor<64x16xf16, #sa>, tensor<16x32xf16, #sb> -> tensor<64x32xf32, #wgmma>
    scf.yield %p : tensor<64x32xf32, #wgmma>
  }
  %io = tile.iota 1 : tensor<64x32xindex, #wgmma>
  tile.store %r, %out[%io] : tensor<64x32xf32, #wgmma>, memref<2048xf32>[tensor<64x32xindex, #wgmma>]
  tile.return
}

// -----

// The same on sm_80 (mma.sync): B's copies are read into registers with
// ldmatrix .x2.trans from the copied tile, each thread's 8 k-rows' 16-byte
// chunks where the swizzle put them. No fence.proxy.async (nothing reads
// through the async proxy), and no wgmma wait after the loop. A, converted
// from f32, is loaded into registers a step ahead, after the copies.
// CHECK-LABEL: gpu.func @mma_prefetch(
// CHECK-NOT:     nvvm.fence.proxy
// CHECK:         nvgpu.device_async_copy %arg1
// CHECK:         nvvm.cp.async.commit.group
// CHECK:         scf.for
// CHECK:           nvvm.cp.async.wait.group 1
// CHECK-NEXT:      gpu.barrier
// CHECK:           nvgpu.ldmatrix %{{.+}} {numTiles = 2 : i32, transpose = true} : memref<{{[0-9]+}}xbf16, #gpu.address_space<workgroup>> -> vector<2x2xbf16>
// CHECK:           nvvm.mma.sync
// CHECK:           nvgpu.device_async_copy %arg1
// CHECK:           nvvm.cp.async.commit.group
// CHECK:           memref.load %arg0
// CHECK:           scf.yield
// CHECK-NOT:     nvvm.fence.proxy
// CHECK-NOT:     wgmma
// CHECK:         gpu.return
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
#da = #tile_gpu.dot_operand<opIdx = 0, parent = #mma, kWidth = 2>
#db = #tile_gpu.dot_operand<opIdx = 1, parent = #mma, kWidth = 2>
tile.kernel @mma_prefetch(%a: memref<1280xf32>, %w: memref<1280xbf16>, %out: memref<1024xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 2048 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c40 = arith.constant 40 : index
  %zero = arith.constant dense<0.0> : tensor<32x32xf32, #mma>
  %c40t = arith.constant dense<40> : tensor<32x16xindex, #blocked>
  %c32b = arith.constant dense<32> : tensor<16x32xindex, #blocked>
  %c40b = arith.constant dense<40> : tensor<16x32xindex, #blocked>
  %ra = tile.iota 0 : tensor<32x16xindex, #blocked>
  %rowa = arith.muli %ra, %c40t : tensor<32x16xindex, #blocked>
  %r = scf.for %k = %c0 to %c40 step %c16 iter_args(%acc = %zero) -> (tensor<32x32xf32, #mma>) {
    %ca = tile.iota 1 : tensor<32x16xindex, #blocked>
    %ks = tensor.splat %k : tensor<32x16xindex, #blocked>
    %cola = arith.addi %ca, %ks : tensor<32x16xindex, #blocked>
    %offa = arith.addi %rowa, %cola : tensor<32x16xindex, #blocked>
    %ma = arith.cmpi ult, %cola, %c40t : tensor<32x16xindex, #blocked>
    %x = tile.load %a[%offa], %ma : memref<1280xf32>[tensor<32x16xindex, #blocked>], tensor<32x16xi1, #blocked> -> tensor<32x16xf32, #blocked>
    %x16 = arith.truncf %x : tensor<32x16xf32, #blocked> to tensor<32x16xbf16, #blocked>
    %rb = tile.iota 0 : tensor<16x32xindex, #blocked>
    %cb = tile.iota 1 : tensor<16x32xindex, #blocked>
    %kb = tensor.splat %k : tensor<16x32xindex, #blocked>
    %rowb = arith.addi %rb, %kb : tensor<16x32xindex, #blocked>
    %rowoff = arith.muli %rowb, %c32b : tensor<16x32xindex, #blocked>
    %offb = arith.addi %rowoff, %cb : tensor<16x32xindex, #blocked>
    %mb = arith.cmpi ult, %rowb, %c40b : tensor<16x32xindex, #blocked>
    %y = tile.load %w[%offb], %mb : memref<1280xbf16>[tensor<16x32xindex, #blocked>], tensor<16x32xi1, #blocked> -> tensor<16x32xbf16, #blocked>
    %xa = tile_gpu.convert_layout %x16 : tensor<32x16xbf16, #blocked> -> tensor<32x16xbf16, #da>
    %yb = tile_gpu.convert_layout %y : tensor<16x32xbf16, #blocked> -> tensor<16x32xbf16, #db>
    %p = tile.dot %xa, %yb, %acc : tensor<32x16xbf16, #da>, tensor<16x32xbf16, #db> -> tensor<32x32xf32, #mma>
    scf.yield %p : tensor<32x32xf32, #mma>
  }
  %io = tile.iota 1 : tensor<32x32xindex, #mma>
  tile.store %r, %out[%io] : tensor<32x32xf32, #mma>, memref<1024xf32>[tensor<32x32xindex, #mma>]
  tile.return
}

// -----

// A copied tile read into a layout ldmatrix does not give (a blocked one):
// element by element, each at its place in the swizzled tile.
// CHECK-LABEL: gpu.func @read_blocked(
// CHECK:         nvvm.cp.async.wait.group 0
// CHECK-NEXT:    gpu.barrier
// CHECK-NOT:     nvgpu.ldmatrix
// CHECK:         arith.xori
// CHECK:         memref.load %{{.+}} : memref<{{[0-9]+}}xf16, #gpu.address_space<workgroup>>
// CHECK-NOT:     nvgpu.ldmatrix
// CHECK:         gpu.return
#runs = #tile_gpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#bl = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#sa = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
tile.kernel @read_blocked(%in: memref<1024xf16>, %out: memref<1024xf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 1024 : i64} {
  %c0 = arith.constant 0 : index
  %i = tile.iota 1 : tensor<32x32xindex, #runs>
  %s = tile_gpu.async_load %in[%i] into %c0 {contiguity = 8 : i64, offset = 0 : i64} : memref<1024xf16>[tensor<32x32xindex, #runs>] -> tensor<32x32xf16, #sa>
  %w = tile_gpu.async_wait %s {pending = 0 : i64} : tensor<32x32xf16, #sa> -> tensor<32x32xf16, #sa>
  %r = tile_gpu.local_load %w : tensor<32x32xf16, #sa> -> tensor<32x32xf16, #bl>
  %o = tile.iota 1 : tensor<32x32xindex, #bl>
  tile.store %r, %out[%o] : tensor<32x32xf16, #bl>, memref<1024xf16>[tensor<32x32xindex, #bl>]
  tile.return
}
