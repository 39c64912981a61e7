// RUN: meld-opt %s --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-allocate-shared),meld-tile-to-gpu,gpu.module(gpu.func(canonicalize,cse)))' | FileCheck %s

// A warp-specialized K loop (as meld-tile-gpu-pipeline-k-loops leaves it with
// warp-specialize; the registers are set by hand here, to check what the
// lowering does with them): 4 consumer warps lay out the tiles, a producer
// warpgroup follows them, so the block has 256 threads. Each of the 8
// buffers (A's 4, B's 4) has two mbarriers, 16 bytes apart pairwise after
// the tiles (the conversion's scratch first: 8 KiB) and their mbarriers:
// its copy's (1 arrival) and its release's (an arrival a consumer thread,
// 128). The kernel starts every thread with 168 registers (.maxnreg).
// CHECK-LABEL: gpu.func @specialized(
// CHECK-SAME:    known_block_size = array<i32: 256, 1, 1>
// CHECK-SAME:    meld.shared_bytes = 20608 : i64
// CHECK-SAME:    nvvm.maxnreg = 168 : i32
// CHECK:         scf.if
// CHECK:           %[[F0:.+]] = llvm.getelementptr %{{.+}}[20480]
// CHECK-NEXT:      nvvm.mbarrier.init %[[F0]], %c1_i32
// CHECK-NEXT:      %[[E0:.+]] = llvm.getelementptr %{{.+}}[20488]
// CHECK-NEXT:      nvvm.mbarrier.init %[[E0]], %c128_i32
// CHECK-NEXT:      %[[F1:.+]] = llvm.getelementptr %{{.+}}[20496]
// CHECK-NEXT:      nvvm.mbarrier.init %[[F1]], %c1_i32
// CHECK:           %[[E7:.+]] = llvm.getelementptr %{{.+}}[20600]
// CHECK-NEXT:      nvvm.mbarrier.init %[[E7]], %c128_i32
// CHECK-NEXT:    }
// CHECK-NEXT:    nvvm.fence.proxy
// CHECK-NEXT:    gpu.barrier
// The consumers (threads 0 to 127) take registers and issue no copy: the
// copies before the loop only give them the buffers' places (buffer,
// mbarrier, release mbarrier: A's first at 8192, 20480, 20488).
// CHECK-NEXT:    %[[CONSUMER:.+]] = arith.cmpi ult, %thread_id_x, %c128 : index
// CHECK-NEXT:    scf.if %[[CONSUMER]] {
// CHECK-NEXT:      nvvm.setmaxregister  increase 232
// CHECK-NEXT:      scf.for {{.+}} iter_args({{.+}}, %[[A:.+]] = %c8192, %[[AF:.+]] = %c20480, %[[AE:.+]] = %c20488, {{.+}}, %[[BF:.+]] = %c20544, %[[BE:.+]] = %c20552, {{.+}}, %[[PA:.+]] = %c20488, %[[PB:.+]] = %c20552)
// Each step waits for its copies, with no barrier after (the buffers go back
// to the producer through their release mbarriers), computes its product
// and, after waiting for the one before, releases the buffers of the step
// before: each consumer thread arrives on their release mbarriers.
// CHECK:             %[[WA:.+]] = llvm.getelementptr %{{.+}}[%{{.+}}]
// CHECK-NEXT:        %[[PARITY:.+]] = arith.index_cast
// CHECK-NEXT:        nvvm.mbarrier.try_wait.parity %[[WA]], %[[PARITY]]
// CHECK:             nvvm.mbarrier.try_wait.parity
// CHECK-NOT:         barrier
// CHECK:             nvvm.wgmma.fence.aligned
// CHECK:             nvvm.wgmma.wait.group.sync.aligned 1
// CHECK:             %[[LATER:.+]] = arith.cmpi sgt
// CHECK-NEXT:        scf.if %[[LATER]] {
// CHECK-NEXT:          %[[RA:.+]] = arith.index_cast %[[PA]]
// CHECK-NEXT:          %[[RAP:.+]] = llvm.getelementptr %{{.+}}[%[[RA]]]
// CHECK-NEXT:          nvvm.mbarrier.arrive %[[RAP]]
// CHECK-NEXT:          %[[RB:.+]] = arith.index_cast %[[PB]]
// CHECK-NEXT:          %[[RBP:.+]] = llvm.getelementptr %{{.+}}[%[[RB]]]
// CHECK-NEXT:          nvvm.mbarrier.arrive %[[RBP]]
// CHECK-NEXT:        }
// CHECK:           }
// CHECK-NEXT:      nvvm.wgmma.wait.group.sync.aligned 0
// The conversion's barriers are the consumers' own: named barrier 1 of 128
// threads.
// CHECK-NEXT:      nvvm.barrier id = %c1_i32 number_of_threads = %c128_i32
// CHECK:           nvvm.barrier id = %c1_i32 number_of_threads = %c128_i32
// CHECK-NOT:       gpu.barrier
// The producer warpgroup gives up registers; its first thread issues every
// copy, each once the buffer's release (the mbarrier 8 bytes after the
// copy's) of the op's parity is complete (1 at a buffer's first use).
// CHECK:         } else {
// CHECK-NEXT:      nvvm.setmaxregister  decrease 40
// CHECK-NEXT:      %[[PRODUCER:.+]] = arith.cmpi eq, %thread_id_x, %c128 : index
// CHECK-NEXT:      scf.if %[[PRODUCER]] {
// CHECK:             %[[EMPTY:.+]] = llvm.getelementptr %{{.+}}[20488]
// CHECK-NEXT:        nvvm.mbarrier.try_wait.parity %[[EMPTY]], %c1_i32
// CHECK-NEXT:        %[[FULL:.+]] = llvm.getelementptr %{{.+}}[20480]
// CHECK-NEXT:        nvvm.mbarrier.arrive.expect_tx %[[FULL]], %c2048_i32
// CHECK:             nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.+}}, %{{.+}}, %[[FULL]], box[%c0_i32, %c0_i32]
// CHECK:             scf.for %{{.+}} = %c0 to %c40 step %c16 {
// CHECK:               scf.if
// CHECK:                 nvvm.mbarrier.try_wait.parity
// CHECK:                 nvvm.mbarrier.arrive.expect_tx
// CHECK:                 nvvm.cp.async.bulk.tensor.shared.cluster.global
// CHECK:               scf.if
// CHECK:                 nvvm.mbarrier.try_wait.parity
// CHECK:                 nvvm.mbarrier.arrive.expect_tx
// CHECK:                 nvvm.cp.async.bulk.tensor.shared.cluster.global
// CHECK-NOT:           wgmma
// CHECK:         gpu.return
#mma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#shared = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#shared1 = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
tile.kernel @specialized(%arg0: memref<2560xf16>, %arg1: memref<1280xf16>, %arg2: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64, tile_gpu.warp_specialize = {consumer_registers = 232 : i64, entry_registers = 168 : i64, producer_registers = 40 : i64, producer_warps = 4 : i64}} {
  %c32 = arith.constant 32 : index
  %c2 = arith.constant 2 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c40 = arith.constant 40 : index
  %cst = arith.constant dense<0.000000e+00> : tensor<64x32xf32, #mma>
  %true = arith.constant true
  %0 = tile_gpu.tma_load %arg0[%c0, %c0] into %c0 if %true after release %c1 {dims = array<i64: 40, 64>, strides = array<i64: 80>} : memref<2560xf16> -> tensor<64x16xf16, #shared>
  %1 = tile_gpu.tma_load %arg1[%c0, %c0] into %c0 if %true after release %c1 {dims = array<i64: 32, 40>, strides = array<i64: 64>} : memref<1280xf16> -> tensor<16x32xf16, #shared1>
  %2 = tile_gpu.tma_load %arg0[%c16, %c0] into %c1 if %true after release %c1 {dims = array<i64: 40, 64>, strides = array<i64: 80>} : memref<2560xf16> -> tensor<64x16xf16, #shared>
  %3 = tile_gpu.tma_load %arg1[%c0, %c16] into %c1 if %true after release %c1 {dims = array<i64: 32, 40>, strides = array<i64: 64>} : memref<1280xf16> -> tensor<16x32xf16, #shared1>
  %4:7 = scf.for %arg3 = %c0 to %c40 step %c16 iter_args(%arg4 = %cst, %arg5 = %0, %arg6 = %2, %arg7 = %1, %arg8 = %3, %arg9 = %0, %arg10 = %1) -> (tensor<64x32xf32, #mma>, tensor<64x16xf16, #shared>, tensor<64x16xf16, #shared>, tensor<16x32xf16, #shared1>, tensor<16x32xf16, #shared1>, tensor<64x16xf16, #shared>, tensor<16x32xf16, #shared1>) {
    %6 = arith.divui %arg3, %c16 : index
    %7 = arith.divui %6, %c4 : index
    %8 = arith.remui %7, %c2 : index
    %9 = tile_gpu.tma_wait %arg5 parity %8 : tensor<64x16xf16, #shared>
    %10 = tile_gpu.tma_wait %arg7 parity %8 : tensor<16x32xf16, #shared1>
    %11 = tile.dot %9, %10, %arg4 {tile_gpu.in_flight} : tensor<64x16xf16, #shared>, tensor<16x32xf16, #shared1> -> tensor<64x32xf32, #mma>
    %12 = arith.cmpi sgt, %arg3, %c0 : index
    tile_gpu.tma_release %arg9, %arg10 if %12 : tensor<64x16xf16, #shared>, tensor<16x32xf16, #shared1>
    %13 = arith.addi %arg3, %c32 : index
    %14 = arith.cmpi slt, %13, %c40 : index
    %15 = arith.divui %13, %c16 : index
    %16 = arith.remui %15, %c4 : index
    %17 = arith.divui %15, %c4 : index
    %18 = arith.addi %17, %c1 : index
    %19 = arith.remui %18, %c2 : index
    %20 = tile_gpu.tma_load %arg0[%13, %c0] into %16 if %14 after release %19 {dims = array<i64: 40, 64>, strides = array<i64: 80>} : memref<2560xf16> -> tensor<64x16xf16, #shared>
    %21 = tile_gpu.tma_load %arg1[%c0, %13] into %16 if %14 after release %19 {dims = array<i64: 32, 40>, strides = array<i64: 64>} : memref<1280xf16> -> tensor<16x32xf16, #shared1>
    scf.yield %11, %arg6, %20, %arg8, %21, %9, %10 : tensor<64x32xf32, #mma>, tensor<64x16xf16, #shared>, tensor<64x16xf16, #shared>, tensor<16x32xf16, #shared1>, tensor<16x32xf16, #shared1>, tensor<64x16xf16, #shared>, tensor<16x32xf16, #shared1>
  } {tile_gpu.stages = 4 : i64}
  %c = tile_gpu.convert_layout %4#0 : tensor<64x32xf32, #mma> -> tensor<64x32xf32, #blocked>
  %5 = tile.iota 1 : tensor<64x32xindex, #blocked>
  tile.store %c, %arg2[%5] : tensor<64x32xf32, #blocked>, memref<2048xf32>[tensor<64x32xindex, #blocked>]
  tile.return
}
