// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-remove-layout-conversions))' | FileCheck %s

#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#blocked1 = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#blocked2 = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
#a = #tile_gpu.dot_operand<opIdx = 0, parent = #mma, kWidth = 1>
#b = #tile_gpu.dot_operand<opIdx = 1, parent = #mma, kWidth = 1>

// A K loop as meld-tile-gpu-accelerate-dot leaves it: the accumulator is
// carried in the blocked layout, converted to the mma layout for each
// product and back. It becomes carried in the mma layout (its zero made in
// that layout); after the loop, the bias add and the store work on the
// accumulator's registers, the bias load and the offsets recomputed in the
// mma layout. Only the operands' conversions remain.
// CHECK-LABEL: tile.kernel @k_loop(
// CHECK:         %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : tensor<32x32xf32, #mma>
// CHECK:         %[[SUM:.+]] = scf.for {{.+}} iter_args(%[[ACC:.+]] = %[[ZERO]]) -> (tensor<32x32xf32, #mma>)
// CHECK-COUNT-2:   tile_gpu.convert_layout
// CHECK-NEXT:      %[[P:.+]] = tile.dot %{{.+}}, %{{.+}}, %[[ACC]] : {{.+}} -> tensor<32x32xf32, #mma>
// CHECK-NEXT:      scf.yield %[[P]] : tensor<32x32xf32, #mma>
// CHECK:         tile.iota 1 : tensor<32x32xindex, #mma>
// CHECK:         %[[BIAS:.+]] = tile.load %{{.+}}[%{{.+}}] : memref<32xf32>[tensor<32x32xindex, #mma>] -> tensor<32x32xf32, #mma>
// CHECK:         %[[Y:.+]] = arith.addf %[[SUM]], %[[BIAS]] : tensor<32x32xf32, #mma>
// CHECK:         tile.store %[[Y]], %{{.+}}[%{{.+}}] : tensor<32x32xf32, #mma>, memref<1024xf32>[tensor<32x32xindex, #mma>]
// CHECK-NOT:     tile_gpu.convert_layout
// CHECK:         tile.return
tile.kernel @k_loop(%a: memref<2048xf32>, %b: memref<2048xf32>, %bias: memref<32xf32>, %c: memref<1024xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 4096 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant dense<0.0> : tensor<32x32xf32, #blocked>
  %sum = scf.for %k = %c0 to %c64 step %c16 iter_args(%acc = %zero) -> (tensor<32x32xf32, #blocked>) {
    %ia = tile.iota 1 : tensor<32x16xindex, #blocked1>
    %ib = tile.iota 1 : tensor<16x32xindex, #blocked2>
    %x = tile.load %a[%ia] : memref<2048xf32>[tensor<32x16xindex, #blocked1>] -> tensor<32x16xf32, #blocked1>
    %y = tile.load %b[%ib] : memref<2048xf32>[tensor<16x32xindex, #blocked2>] -> tensor<16x32xf32, #blocked2>
    %xa = tile_gpu.convert_layout %x : tensor<32x16xf32, #blocked1> -> tensor<32x16xf32, #a>
    %yb = tile_gpu.convert_layout %y : tensor<16x32xf32, #blocked2> -> tensor<16x32xf32, #b>
    %acc1 = tile_gpu.convert_layout %acc : tensor<32x32xf32, #blocked> -> tensor<32x32xf32, #mma>
    %p = tile.dot %xa, %yb, %acc1 : tensor<32x16xf32, #a>, tensor<16x32xf32, #b> -> tensor<32x32xf32, #mma>
    %back = tile_gpu.convert_layout %p : tensor<32x32xf32, #mma> -> tensor<32x32xf32, #blocked>
    scf.yield %back : tensor<32x32xf32, #blocked>
  }
  %i = tile.iota 1 : tensor<32x32xindex, #blocked>
  %bias_tile = tile.load %bias[%i] : memref<32xf32>[tensor<32x32xindex, #blocked>] -> tensor<32x32xf32, #blocked>
  %y = arith.addf %sum, %bias_tile : tensor<32x32xf32, #blocked>
  %r = tile.iota 0 : tensor<32x32xindex, #blocked>
  %c32 = arith.constant dense<32> : tensor<32x32xindex, #blocked>
  %row = arith.muli %r, %c32 : tensor<32x32xindex, #blocked>
  %offsets = arith.addi %row, %i : tensor<32x32xindex, #blocked>
  tile.store %y, %c[%offsets] : tensor<32x32xf32, #blocked>, memref<1024xf32>[tensor<32x32xindex, #blocked>]
  tile.return
}

// -----

#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#blocked1 = #tile_gpu.blocked<sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]>
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>

// A reduction reads the accumulator as it is (it stages its input in shared
// memory from any layout).
// CHECK-LABEL: tile.kernel @reduce(
// CHECK:         %[[P:.+]] = tile.dot
// CHECK-NEXT:    tile.reduce <sum>, %[[P]] {dim = 1 : i64} : tensor<32x32xf32, #mma> -> tensor<32xf32, #blocked
tile.kernel @reduce(%a: memref<2048xf32>, %out: memref<32xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 4096 : i64} {
  %x = arith.constant dense<1.0> : tensor<32x16xf32, #tile_gpu.dot_operand<opIdx = 0, parent = #mma, kWidth = 1>>
  %y = arith.constant dense<1.0> : tensor<16x32xf32, #tile_gpu.dot_operand<opIdx = 1, parent = #mma, kWidth = 1>>
  %acc = arith.constant dense<0.0> : tensor<32x32xf32, #mma>
  %p = tile.dot %x, %y, %acc : tensor<32x16xf32, #tile_gpu.dot_operand<opIdx = 0, parent = #mma, kWidth = 1>>, tensor<16x32xf32, #tile_gpu.dot_operand<opIdx = 1, parent = #mma, kWidth = 1>> -> tensor<32x32xf32, #mma>
  %back = tile_gpu.convert_layout %p : tensor<32x32xf32, #mma> -> tensor<32x32xf32, #blocked>
  %s = tile.reduce <sum>, %back {dim = 1 : i64} : tensor<32x32xf32, #blocked> -> tensor<32xf32, #blocked1>
  %i = tile.iota 0 : tensor<32xindex, #blocked1>
  tile.store %s, %out[%i] : tensor<32xf32, #blocked1>, memref<32xf32>[tensor<32xindex, #blocked1>]
  tile.return
}

// -----

#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>

// Must not: a reader whose other operand cannot be recomputed in the mma
// layout (a loop-carried tile) keeps its conversion.
// CHECK-LABEL: tile.kernel @carried(
// CHECK:         scf.for
// CHECK:           %[[BACK:.+]] = tile_gpu.convert_layout %{{.+}} : tensor<32x32xf32, #mma> -> tensor<32x32xf32, #blocked>
// CHECK-NEXT:      arith.addf %{{.+}}, %[[BACK]] : tensor<32x32xf32, #blocked>
tile.kernel @carried(%in: memref<1024xf32>, %out: memref<1024xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 4096 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %j = tile.iota 1 : tensor<32x32xindex, #mma>
  %p = tile.load %in[%j] : memref<1024xf32>[tensor<32x32xindex, #mma>] -> tensor<32x32xf32, #mma>
  %init = arith.constant dense<0.0> : tensor<32x32xf32, #blocked>
  %sum = scf.for %k = %c0 to %c4 step %c1 iter_args(%acc = %init) -> (tensor<32x32xf32, #blocked>) {
    %e = math.exp %p : tensor<32x32xf32, #mma>
    %back = tile_gpu.convert_layout %e : tensor<32x32xf32, #mma> -> tensor<32x32xf32, #blocked>
    %next = arith.addf %acc, %back : tensor<32x32xf32, #blocked>
    scf.yield %next : tensor<32x32xf32, #blocked>
  }
  %i = tile.iota 1 : tensor<32x32xindex, #blocked>
  tile.store %sum, %out[%i] : tensor<32x32xf32, #blocked>, memref<1024xf32>[tensor<32x32xindex, #blocked>]
  tile.return
}
