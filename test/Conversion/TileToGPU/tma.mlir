// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-pipeline-k-loops,meld-tile-gpu-allocate-shared),meld-tile-to-gpu)' | FileCheck %s

// A K loop whose 16-bit operands are boxes of 2-D tensors, copied by the
// tensor memory accelerator two steps ahead (meld-tile-gpu-pipeline-k-loops).
// The kernel takes a tensor map of each (after its own arguments), which
// `meld.tensor_maps` describes for the runtime: the tensor argument, its
// extents, row stride in bytes, the box (a column of the swizzle's width by
// the tile's rows) and the swizzle. Its first thread initializes the
// mbarriers of the 4 buffers of A and of B, 8 bytes apart after the buffers
// (12288: A's 4 buffers of 2 KiB from 0, B's 4 of 1 KiB from 8192), fences
// them for the async proxy and meets the block.
// Before the loop, each step's copies: after a barrier, thread 0 (if the
// loop reaches the step) arrives on the buffer's mbarrier expecting the
// tile's bytes and issues the copy at the box's coordinates, into the
// buffer (a shared::cluster address). In the loop, each step waits on its
// buffer's mbarrier for the parity of (iteration / 4) % 2, then meets the
// block.
// CHECK-LABEL: gpu.func @prefetch(
// CHECK-SAME:    %[[MAPA:[^:]+]]: memref<128xi8>, %[[MAPB:[^:]+]]: memref<128xi8>) kernel
// CHECK-SAME:    meld.shared_bytes = 12352 : i64
// CHECK-SAME:    meld.tensor_maps = [{box = array<i64: 16, 64>, dims = array<i64: 40, 64>, strides = array<i64: 80>, swizzle = 32 : i64, tensor = 0 : i64}, {box = array<i64: 32, 16>, dims = array<i64: 32, 40>, strides = array<i64: 64>, swizzle = 64 : i64, tensor = 1 : i64}]
// CHECK:         scf.if
// CHECK:           arith.constant 12288 : index
// CHECK:           nvvm.mbarrier.init %{{.+}}, %c1_i32 : !llvm.ptr<3>, i32
// CHECK:           arith.constant 12296 : index
// CHECK:           nvvm.mbarrier.init
// CHECK:           arith.constant 12304 : index
// CHECK:           nvvm.mbarrier.init
// CHECK:           arith.constant 12312 : index
// CHECK:           nvvm.mbarrier.init
// CHECK:           arith.constant 12320 : index
// CHECK:           nvvm.mbarrier.init
// CHECK:           arith.constant 12328 : index
// CHECK:           nvvm.mbarrier.init
// CHECK:           arith.constant 12336 : index
// CHECK:           nvvm.mbarrier.init
// CHECK:           arith.constant 12344 : index
// CHECK:           nvvm.mbarrier.init
// CHECK-NOT:       nvvm.mbarrier.init
// CHECK:         }
// CHECK-NEXT:    nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT:    gpu.barrier
// CHECK:         gpu.barrier
// CHECK:         scf.if
// CHECK:           nvvm.mbarrier.arrive.expect_tx %[[BAR:.+]], %c2048_i32 : !llvm.ptr<3>, i32
// CHECK:           builtin.unrealized_conversion_cast %[[MAPA]] : memref<128xi8> to !llvm.struct<(ptr, ptr, i32, array<1 x i32>, array<1 x i32>)>
// CHECK:           %[[DST:.+]] = llvm.addrspacecast %{{.+}} : !llvm.ptr<3> to !llvm.ptr<7>
// CHECK-NEXT:      nvvm.cp.async.bulk.tensor.shared.cluster.global %[[DST]], %{{.+}}, %[[BAR]], box[%{{.+}}, %{{.+}}] : !llvm.ptr<7>, !llvm.ptr
// CHECK:         gpu.barrier
// CHECK:         scf.if
// CHECK:           nvvm.mbarrier.arrive.expect_tx %{{.+}}, %c1024_i32 : !llvm.ptr<3>, i32
// CHECK:           builtin.unrealized_conversion_cast %[[MAPB]] : memref<128xi8>
// CHECK:           nvvm.cp.async.bulk.tensor.shared.cluster.global
// CHECK:         scf.for
// CHECK:           nvvm.mbarrier.try_wait.parity %{{.+}}, %{{.+}}, %c10000000_i32 : !llvm.ptr<3>, i32, i32
// CHECK-NEXT:      gpu.barrier
// CHECK:           nvvm.mbarrier.try_wait.parity
// CHECK-NEXT:      gpu.barrier
// CHECK:           nvvm.wgmma.mma_async
// CHECK:           nvvm.cp.async.bulk.tensor.shared.cluster.global
// CHECK:           nvvm.cp.async.bulk.tensor.shared.cluster.global
// CHECK:           scf.yield
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

// The same K loop run twice, in another loop: after each run (its products
// waited for, the block met), the first thread invalidates and initializes
// the mbarriers of its 8 buffers again, which the fence and a barrier make
// visible, so the next run's waits count phases from its first step again.
// CHECK-LABEL: gpu.func @nested(
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             nvvm.mbarrier.try_wait.parity
// CHECK:           } {llvm.loop_annotation
// CHECK-NEXT:      nvvm.wgmma.wait.group.sync.aligned 0
// CHECK-NEXT:      gpu.barrier
// CHECK:           scf.if
// CHECK:             nvvm.mbarrier.inval %[[BAR0:.+]] : !llvm.ptr<3>
// CHECK-NEXT:        nvvm.mbarrier.init %[[BAR0]], %{{.+}} : !llvm.ptr<3>, i32
// CHECK:             nvvm.mbarrier.inval %[[BAR1:.+]] : !llvm.ptr<3>
// CHECK-NEXT:        nvvm.mbarrier.init %[[BAR1]], %{{.+}} : !llvm.ptr<3>, i32
// CHECK:             nvvm.mbarrier.inval %[[BAR2:.+]] : !llvm.ptr<3>
// CHECK-NEXT:        nvvm.mbarrier.init %[[BAR2]], %{{.+}} : !llvm.ptr<3>, i32
// CHECK:             nvvm.mbarrier.inval %[[BAR3:.+]] : !llvm.ptr<3>
// CHECK-NEXT:        nvvm.mbarrier.init %[[BAR3]], %{{.+}} : !llvm.ptr<3>, i32
// CHECK:             nvvm.mbarrier.inval %[[BAR4:.+]] : !llvm.ptr<3>
// CHECK-NEXT:        nvvm.mbarrier.init %[[BAR4]], %{{.+}} : !llvm.ptr<3>, i32
// CHECK:             nvvm.mbarrier.inval %[[BAR5:.+]] : !llvm.ptr<3>
// CHECK-NEXT:        nvvm.mbarrier.init %[[BAR5]], %{{.+}} : !llvm.ptr<3>, i32
// CHECK:             nvvm.mbarrier.inval %[[BAR6:.+]] : !llvm.ptr<3>
// CHECK-NEXT:        nvvm.mbarrier.init %[[BAR6]], %{{.+}} : !llvm.ptr<3>, i32
// CHECK:             nvvm.mbarrier.inval %[[BAR7:.+]] : !llvm.ptr<3>
// CHECK-NEXT:        nvvm.mbarrier.init %[[BAR7]], %{{.+}} : !llvm.ptr<3>, i32
// CHECK-NOT:         nvvm.mbarrier
// CHECK:           }
// CHECK-NEXT:      nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT:      gpu.barrier
// CHECK-NEXT:      scf.yield
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
tile.kernel @nested(%a: memref<2560xf16>, %w: memref<1280xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c40 = arith.constant 40 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wgmma>
  %c40t = arith.constant dense<40> : tensor<64x16xindex, #blocked>
  %c32b = arith.constant dense<32> : tensor<16x32xindex, #blocked>
  %c40b = arith.constant dense<40> : tensor<16x32xindex, #blocked>
  %ra = tile.iota 0 : tensor<64x16xindex, #blocked>
  %rowa = arith.muli %ra, %c40t : tensor<64x16xindex, #blocked>
  %c2 = arith.constant 2 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %j = %c0 to %c2 step %c1 iter_args(%outer = %zero) -> (tensor<64x32xf32, #wgmma>) {
  %inner = scf.for %k = %c0 to %c40 step %c16 iter_args(%acc = %outer) -> (tensor<64x32xf32, #wgmma>) {
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
  scf.yield %inner : tensor<64x32xf32, #wgmma>
  }
  %io = tile.iota 1 : tensor<64x32xindex, #wgmma>
  tile.store %r, %out[%io] : tensor<64x32xf32, #wgmma>, memref<2048xf32>[tensor<64x32xindex, #wgmma>]
  tile.return
}
