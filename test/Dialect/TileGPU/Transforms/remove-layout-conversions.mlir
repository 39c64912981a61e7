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

// A reader whose other operand is a loop-carried tile: the tile is
// converted to the mma layout at the start of the body, so the reader
// computes there, and the loop then carries the tile in the mma layout
// (its zero made there): no conversion is left, the store included.
// CHECK-LABEL: tile.kernel @carried(
// CHECK-NOT:     tile_gpu.convert_layout
// CHECK:         scf.for {{.+}} iter_args(%[[ACC:.+]] = %{{.+}}) -> (tensor<32x32xf32, #mma>)
// CHECK:           %[[E:.+]] = math.exp %{{.+}} : tensor<32x32xf32, #mma>
// CHECK-NEXT:      arith.addf %[[ACC]], %[[E]] : tensor<32x32xf32, #mma>
// CHECK-NOT:     tile_gpu.convert_layout
// CHECK:         tile.store %{{.+}} : tensor<32x32xf32, #mma>
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

// -----

// Attention's online softmax: scores in wgmma's accumulator layout,
// converted to a blocked layout for the row reductions and their
// broadcasts. Each reduction combines within warps, so it produces the
// slice of its input's layout; the conversion sinks below it, the
// elementwise ops and the broadcasts (made in the slice's parent layout),
// and the loop carries the row maxima and sums in the slice: no conversion
// is left, and the epilogue stores from the slice.
// CHECK-LABEL: tile.kernel @online_softmax(
// CHECK-NOT:     tile_gpu.convert_layout
// CHECK:         scf.for {{.+}} -> (tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #[[MMA:mma[0-9]*]]>>, tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #[[MMA]]>>)
// CHECK:           %[[S:.+]] = tile.load {{.+}} -> tensor<64x32xf32, #[[MMA]]>
// CHECK-NEXT:      %[[MX:.+]] = tile.reduce <max>, %[[S]] {dim = 1 : i64} : tensor<64x32xf32, #[[MMA]]> -> tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #[[MMA]]>>
// CHECK-NEXT:      %[[M:.+]] = arith.maximumf %{{.+}}, %[[MX]]
// CHECK-NEXT:      %[[MB:.+]] = tile.broadcast %[[M]] {dims = array<i64: 1>} : tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #[[MMA]]>> -> tensor<64x32xf32, #[[MMA]]>
// CHECK-NEXT:      arith.subf %[[S]], %[[MB]] : tensor<64x32xf32, #[[MMA]]>
// CHECK-NEXT:      math.exp
// CHECK-NEXT:      tile.reduce <sum>
// CHECK-NEXT:      arith.addf
// CHECK-NEXT:      scf.yield
// CHECK-NOT:     tile_gpu.convert_layout
// CHECK:         tile.store
#bl = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#rows1 = #tile_gpu.blocked<sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
tile.kernel @online_softmax(%in: memref<8192xf32>, %out: memref<64xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  %minf = arith.constant dense<0xFF800000> : tensor<64xf32, #rows1>
  %zero = arith.constant dense<0.0> : tensor<64xf32, #rows1>
  %is = tile.iota 1 : tensor<64x32xindex, #wgmma>
  %r:2 = scf.for %j = %c0 to %c128 step %c32 iter_args(%m = %minf, %l = %zero) -> (tensor<64xf32, #rows1>, tensor<64xf32, #rows1>) {
    %s = tile.load %in[%is] : memref<8192xf32>[tensor<64x32xindex, #wgmma>] -> tensor<64x32xf32, #wgmma>
    %sb = tile_gpu.convert_layout %s : tensor<64x32xf32, #wgmma> -> tensor<64x32xf32, #bl>
    %mx = tile.reduce <max>, %sb {dim = 1 : i64} : tensor<64x32xf32, #bl> -> tensor<64xf32, #rows1>
    %m2 = arith.maximumf %m, %mx : tensor<64xf32, #rows1>
    %mb = tile.broadcast %m2 {dims = array<i64: 1>} : tensor<64xf32, #rows1> -> tensor<64x32xf32, #bl>
    %d = arith.subf %sb, %mb : tensor<64x32xf32, #bl>
    %e = math.exp %d : tensor<64x32xf32, #bl>
    %sum = tile.reduce <sum>, %e {dim = 1 : i64} : tensor<64x32xf32, #bl> -> tensor<64xf32, #rows1>
    %l2 = arith.addf %l, %sum : tensor<64xf32, #rows1>
    scf.yield %m2, %l2 : tensor<64xf32, #rows1>, tensor<64xf32, #rows1>
  }
  %io = tile.iota 0 : tensor<64xindex, #rows1>
  %y = arith.divf %r#0, %r#1 : tensor<64xf32, #rows1>
  tile.store %y, %out[%io] : tensor<64xf32, #rows1>, memref<64xf32>[tensor<64xindex, #rows1>]
  tile.return
}

// -----

// A loop-carried accumulator the body reads converted to one wgmma layout
// (N 32) and yields converted from another of the same distribution (the
// product's, N 64): the loop carries it in the latter, the body's
// conversion then converts the carried tile (it moves no data) and sinks
// below the scaling, whose other operand is loaded in that layout: no
// conversion is left.
// CHECK-LABEL: tile.kernel @same_distribution(
// CHECK-NOT:     tile_gpu.convert_layout
// CHECK:         scf.for {{.+}} -> (tensor<64x64xf32, #[[W64:mma[0-9]*]]>)
// CHECK:           tile.dot {{.+}} -> tensor<64x64xf32, #[[W64]]>
// CHECK-NOT:     tile_gpu.convert_layout
// CHECK:         tile.return
#bl = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#w32 = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#w64 = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 64]>
#sa = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 64, order = [0, 1]>
tile.kernel @same_distribution(%in: memref<8192xf32>, %w: memref<4096xbf16>, %out: memref<8192xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %init = arith.constant dense<0.0> : tensor<64x64xf32, #bl>
  %ia = tile.iota 1 : tensor<64x32xindex, #bl>
  %ib = tile.iota 1 : tensor<32x64xindex, #bl>
  %is = tile.iota 1 : tensor<64x64xindex, #w32>
  %r = scf.for %k = %c0 to %c4 step %c1 iter_args(%acc = %init) -> (tensor<64x64xf32, #bl>) {
    %a = tile_gpu.convert_layout %acc : tensor<64x64xf32, #bl> -> tensor<64x64xf32, #w32>
    %x = tile.load %in[%is] : memref<8192xf32>[tensor<64x64xindex, #w32>] -> tensor<64x64xf32, #w32>
    %scaled = arith.mulf %a, %x : tensor<64x64xf32, #w32>
    %to64 = tile_gpu.convert_layout %scaled : tensor<64x64xf32, #w32> -> tensor<64x64xf32, #w64>
    %pa = tile.load %w[%ia] : memref<4096xbf16>[tensor<64x32xindex, #bl>] -> tensor<64x32xbf16, #bl>
    %pb = tile.load %w[%ib] : memref<4096xbf16>[tensor<32x64xindex, #bl>] -> tensor<32x64xbf16, #bl>
    %sa = tile_gpu.local_alloc %pa : tensor<64x32xbf16, #bl> -> tensor<64x32xbf16, #sa>
    %sb = tile_gpu.local_alloc %pb : tensor<32x64xbf16, #bl> -> tensor<32x64xbf16, #sb>
    %p = tile.dot %sa, %sb, %to64 : tensor<64x32xbf16, #sa>, tensor<32x64xbf16, #sb> -> tensor<64x64xf32, #w64>
    %back = tile_gpu.convert_layout %p : tensor<64x64xf32, #w64> -> tensor<64x64xf32, #bl>
    scf.yield %back : tensor<64x64xf32, #bl>
  }
  %io = tile.iota 1 : tensor<64x64xindex, #bl>
  tile.store %r, %out[%io] : tensor<64x64xf32, #bl>, memref<8192xf32>[tensor<64x64xindex, #bl>]
  tile.return
}
