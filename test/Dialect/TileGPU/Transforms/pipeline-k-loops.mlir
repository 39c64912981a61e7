// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-pipeline-k-loops,meld-tile-gpu-allocate-shared))' | FileCheck %s
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-pipeline-k-loops{stages=3}))' | FileCheck %s --check-prefix=THREE

// A K loop whose wgmma product reads this iteration's stored operands and
// chains its accumulator is pipelined in 2 stages: each operand takes two
// 1024-aligned buffers (A: 2 KiB each from 0, B: 2 KiB each from 4096).
// CHECK-LABEL: tile.kernel @k_loop(
// CHECK-SAME:    shared_bytes = 6144
// CHECK:         scf.for
// CHECK:           tile_gpu.local_alloc %{{.+}} {offset = 0 : i64}
// CHECK:           tile_gpu.local_alloc %{{.+}} {offset = 4096 : i64}
// CHECK:         } {tile_gpu.stages = 2 : i64}
// THREE-LABEL: tile.kernel @k_loop(
// THREE:         } {tile_gpu.stages = 3 : i64}
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @k_loop(%a: memref<4096xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wgmma>
  %ia = tile.iota 1 : tensor<64x16xindex, #blocked>
  %ib = tile.iota 1 : tensor<16x32xindex, #blocked>
  %r = scf.for %k = %c0 to %c64 step %c16 iter_args(%acc = %zero) -> (tensor<64x32xf32, #wgmma>) {
    %x = tile.load %a[%ia] : memref<4096xf16>[tensor<64x16xindex, #blocked>] -> tensor<64x16xf16, #blocked>
    %y = tile.load %a[%ib] : memref<4096xf16>[tensor<16x32xindex, #blocked>] -> tensor<16x32xf16, #blocked>
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

// A product whose result the body reads (its registers would be read
// before the product completes) keeps waiting for each step.
// CHECK-LABEL: tile.kernel @read_in_body(
// CHECK-SAME:    shared_bytes = 3072
// CHECK-NOT:     tile_gpu.stages
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @read_in_body(%a: memref<4096xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wgmma>
  %ia = tile.iota 1 : tensor<64x16xindex, #blocked>
  %ib = tile.iota 1 : tensor<16x32xindex, #blocked>
  %io = tile.iota 1 : tensor<64x32xindex, #wgmma>
  %r = scf.for %k = %c0 to %c64 step %c16 iter_args(%acc = %zero) -> (tensor<64x32xf32, #wgmma>) {
    %x = tile.load %a[%ia] : memref<4096xf16>[tensor<64x16xindex, #blocked>] -> tensor<64x16xf16, #blocked>
    %y = tile.load %a[%ib] : memref<4096xf16>[tensor<16x32xindex, #blocked>] -> tensor<16x32xf16, #blocked>
    %xs = tile_gpu.local_alloc %x : tensor<64x16xf16, #blocked> -> tensor<64x16xf16, #sa>
    %ys = tile_gpu.local_alloc %y : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
    %p = tile.dot %xs, %ys, %acc : tensor<64x16xf16, #sa>, tensor<16x32xf16, #sb> -> tensor<64x32xf32, #wgmma>
    tile.store %p, %out[%io] : tensor<64x32xf32, #wgmma>, memref<2048xf32>[tensor<64x32xindex, #wgmma>]
    scf.yield %p : tensor<64x32xf32, #wgmma>
  }
  tile.return
}
