// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-assign-layouts))' -verify-diagnostics | FileCheck %s

// Every tile gets the default blocked layout of its shape over the kernel's
// warps, loop-carried tiles and constants included; tiles of one shape share
// one layout.
// - 32x32 over 4 warps: groups of 4 along a row (1024 = 128 threads x 4 x 2),
//   8 lanes a row, a warp 4 rows, the block 16 rows, twice.
// - 32 over 4 warps: one element per thread, threads past 32 hold nothing.
// - A rank-0 tile is laid out as [1]: thread 0 holds it.
// - 64x2 over 4 warps: too few elements for groups of 4 (64x2 < 128 x 4),
//   groups of 1.
// CHECK-DAG:   #[[B32X32:.+]] = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
// CHECK-DAG:   #[[B32:.+]] = #tile_gpu.blocked<sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]>
// CHECK-DAG:   #[[B64X2:.+]] = #tile_gpu.blocked<sizePerThread = [1, 1], threadsPerWarp = [16, 2], warpsPerCTA = [4, 1], order = [1, 0]>
// CHECK-LABEL: tile.kernel @k(
// CHECK:         tile.iota 1 : tensor<32x32xindex, #[[B32X32]]>
// CHECK:         arith.constant dense<0.000000e+00> : tensor<32x32xf32, #[[B32X32]]>
// CHECK:         scf.for {{.+}} -> (tensor<32x32xf32, #[[B32X32]]>)
// CHECK:           tile.load {{.+}} -> tensor<32x32xf32, #[[B32X32]]>
// CHECK:           arith.addf {{.+}} : tensor<32x32xf32, #[[B32X32]]>
// CHECK:           scf.yield {{.+}} : tensor<32x32xf32, #[[B32X32]]>
// CHECK:         tile.reduce <sum>, {{.+}} : tensor<32x32xf32, #[[B32X32]]> -> tensor<32xf32, #[[B32]]>
// CHECK:         tile.reduce <max>, {{.+}} : tensor<32xf32, #[[B32]]> -> tensor<f32, #[[B32]]>
// CHECK:         tile.iota 0 : tensor<64x2xindex, #[[B64X2]]>
tile.kernel @k(%a: memref<1024xf32>, %b: memref<128xindex>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 4096 : i64} {
  %i = tile.iota 1 : tensor<32x32xindex>
  %zero = arith.constant dense<0.0> : tensor<32x32xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %sum = scf.for %k = %c0 to %c2 step %c1 iter_args(%acc = %zero) -> (tensor<32x32xf32>) {
    %x = tile.load %a[%i] : memref<1024xf32>[tensor<32x32xindex>] -> tensor<32x32xf32>
    %y = arith.addf %acc, %x : tensor<32x32xf32>
    scf.yield %y : tensor<32x32xf32>
  }
  %rows = tile.reduce <sum>, %sum {dim = 1 : i64} : tensor<32x32xf32> -> tensor<32xf32>
  %all = tile.reduce <max>, %rows {dim = 0 : i64} : tensor<32xf32> -> tensor<f32>
  %j = tile.iota 0 : tensor<64x2xindex>
  tile.store %j, %b[%j] : tensor<64x2xindex>, memref<128xindex>[tensor<64x2xindex>]
  tile.return
}

// -----

// The layouts are for the kernel's block: without one, nothing to lay out.
// expected-error @below {{'tile.kernel' op has no num_warps: run meld-tile-configure-launch first}}
tile.kernel @unconfigured(%a: memref<4xf32>) attributes {grid = array<i64: 1>} {
  tile.return
}
