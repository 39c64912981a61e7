// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-hoist-operands))' | FileCheck %s

// Attention's shape on wgmma: the queries, loaded in the loop over heads,
// are stored in shared memory once per head, not once per key block. The
// keys' local_alloc (of a tile loaded in the inner loop) and the scores'
// rounding (read elementwise too) stay.
// CHECK-LABEL: tile.kernel @wgmma_nested(
// CHECK:         scf.for
// CHECK:           %[[Q:.+]] = tile.load %arg0
// CHECK-NEXT:      %[[QS:.+]] = tile_gpu.local_alloc %[[Q]] : tensor<64x32xbf16, #blocked> -> tensor<64x32xbf16, #shared>
// CHECK-NEXT:      scf.for
// CHECK-NEXT:        %[[K:.+]] = tile.load %arg1
// CHECK-NEXT:        %[[KS:.+]] = tile_gpu.local_alloc %[[K]]
// CHECK-NEXT:        %[[S:.+]] = tile.dot %[[QS]], %[[KS]]
// CHECK-NEXT:        %[[S16:.+]] = arith.truncf %[[S]]
// CHECK-NEXT:        %[[PS:.+]] = tile_gpu.local_alloc %[[S16]]
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 64, order = [0, 1]>
tile.kernel @wgmma_nested(%q: memref<8192xbf16>, %k: memref<8192xbf16>, %out: memref<8192xbf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wgmma>
  %iq = tile.iota 1 : tensor<64x32xindex, #blocked>
  %ik = tile.iota 1 : tensor<32x32xindex, #blocked>
  %io = tile.iota 1 : tensor<64x32xindex, #wgmma>
  scf.for %h = %c0 to %c4 step %c1 {
    %x = tile.load %q[%iq] : memref<8192xbf16>[tensor<64x32xindex, #blocked>] -> tensor<64x32xbf16, #blocked>
    %r = scf.for %j = %c0 to %c128 step %c32 iter_args(%acc = %zero) -> (tensor<64x32xf32, #wgmma>) {
      %y = tile.load %k[%ik] : memref<8192xbf16>[tensor<32x32xindex, #blocked>] -> tensor<32x32xbf16, #blocked>
      %xs = tile_gpu.local_alloc %x : tensor<64x32xbf16, #blocked> -> tensor<64x32xbf16, #sa>
      %ys = tile_gpu.local_alloc %y : tensor<32x32xbf16, #blocked> -> tensor<32x32xbf16, #sb>
      %s = tile.dot %xs, %ys, %zero : tensor<64x32xbf16, #sa>, tensor<32x32xbf16, #sb> -> tensor<64x32xf32, #wgmma>
      %s16 = arith.truncf %s : tensor<64x32xf32, #wgmma> to tensor<64x32xbf16, #wgmma>
      %ps = tile_gpu.local_alloc %s16 : tensor<64x32xbf16, #wgmma> -> tensor<64x32xbf16, #sa>
      %pv = tile.dot %ps, %ys, %acc : tensor<64x32xbf16, #sa>, tensor<32x32xbf16, #sb> -> tensor<64x32xf32, #wgmma>
      %e = arith.extf %s16 : tensor<64x32xbf16, #wgmma> to tensor<64x32xf32, #wgmma>
      %sum = arith.addf %pv, %e : tensor<64x32xf32, #wgmma>
      scf.yield %sum : tensor<64x32xf32, #wgmma>
    }
    %r16 = arith.truncf %r : tensor<64x32xf32, #wgmma> to tensor<64x32xbf16, #wgmma>
    tile.store %r16, %out[%io] : tensor<64x32xbf16, #wgmma>, memref<8192xbf16>[tensor<64x32xindex, #wgmma>]
  }
  tile.return
}

// -----

// On mma.sync: a loop-invariant A, rounded from f32 and converted to its
// operand registers, is both before the loop, in the kernel's body (the
// loop around the product is the only one). A conversion to a blocked
// layout (not an operand's) stays in the loop.
// CHECK-LABEL: tile.kernel @mma_sync(
// CHECK:         %[[X:.+]] = tile.load %arg0
// CHECK-NEXT:    %[[X16:.+]] = arith.truncf %[[X]] : tensor<32x16xf32, #blocked> to tensor<32x16xbf16, #blocked>
// CHECK-NEXT:    %[[XA:.+]] = tile_gpu.convert_layout %[[X16]] : tensor<32x16xbf16, #blocked> -> tensor<32x16xbf16, #dot>
// CHECK-NEXT:    scf.for
// CHECK-NEXT:      tile.load %arg1
// CHECK-NEXT:      %[[YB:.+]] = tile_gpu.convert_layout %{{.+}} : tensor<16x32xbf16, #blocked> -> tensor<16x32xbf16, #dot1>
// CHECK-NEXT:      %[[P:.+]] = tile.dot %[[XA]], %[[YB]]
// CHECK-NEXT:      tile_gpu.convert_layout %[[P]] : tensor<32x32xf32, #mma> -> tensor<32x32xf32, #blocked>
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
#da = #tile_gpu.dot_operand<opIdx = 0, parent = #mma, kWidth = 2>
#db = #tile_gpu.dot_operand<opIdx = 1, parent = #mma, kWidth = 2>
tile.kernel @mma_sync(%a: memref<512xf32>, %w: memref<4096xbf16>, %out: memref<1024xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 2048 : i64} {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  %zero = arith.constant dense<0.0> : tensor<32x32xf32, #mma>
  %ia = tile.iota 1 : tensor<32x16xindex, #blocked>
  %ib = tile.iota 1 : tensor<16x32xindex, #blocked>
  %io = tile.iota 1 : tensor<32x32xindex, #blocked>
  %init = arith.constant dense<0.0> : tensor<32x32xf32, #blocked>
  %x = tile.load %a[%ia] : memref<512xf32>[tensor<32x16xindex, #blocked>] -> tensor<32x16xf32, #blocked>
  %r = scf.for %j = %c0 to %c128 step %c32 iter_args(%acc = %init) -> (tensor<32x32xf32, #blocked>) {
    %y = tile.load %w[%ib] : memref<4096xbf16>[tensor<16x32xindex, #blocked>] -> tensor<16x32xbf16, #blocked>
    %x16 = arith.truncf %x : tensor<32x16xf32, #blocked> to tensor<32x16xbf16, #blocked>
    %xa = tile_gpu.convert_layout %x16 : tensor<32x16xbf16, #blocked> -> tensor<32x16xbf16, #da>
    %yb = tile_gpu.convert_layout %y : tensor<16x32xbf16, #blocked> -> tensor<16x32xbf16, #db>
    %p = tile.dot %xa, %yb, %zero : tensor<32x16xbf16, #da>, tensor<16x32xbf16, #db> -> tensor<32x32xf32, #mma>
    %pb = tile_gpu.convert_layout %p : tensor<32x32xf32, #mma> -> tensor<32x32xf32, #blocked>
    %sum = arith.addf %acc, %pb : tensor<32x32xf32, #blocked>
    scf.yield %sum : tensor<32x32xf32, #blocked>
  }
  tile.store %r, %out[%io] : tensor<32x32xf32, #blocked>, memref<1024xf32>[tensor<32x32xindex, #blocked>]
  tile.return
}
