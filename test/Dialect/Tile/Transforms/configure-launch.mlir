// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-configure-launch))' | FileCheck %s
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-configure-launch{num-warps=8}))' | FileCheck %s --check-prefix=EIGHT
// RUN: not meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-configure-launch{num-warps=33}))' 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: num-warps must be 1 to 32 (or 0: chosen per kernel), got 33

// A 32x32 matrix product with a K step of 16: 1024 elements in the largest
// tile, so 4 warps (8 elements a thread); it stages both operands in shared
// memory, (32 * 16 + 16 * 32) * 4 bytes.
// CHECK-LABEL: tile.kernel @product
// CHECK-SAME:    num_warps = 4 : i64, shared_bytes = 4096 : i64
// EIGHT-LABEL: tile.kernel @product
// EIGHT-SAME:    num_warps = 8 : i64, shared_bytes = 4096 : i64
tile.kernel @product(%a: memref<512xf32>, %b: memref<512xf32>, %c: memref<1024xf32>) attributes {grid = array<i64: 1>} {
  %i = tile.iota 0 : tensor<32x16xindex>
  %j = tile.iota 0 : tensor<16x32xindex>
  %o = tile.iota 0 : tensor<32x32xindex>
  %x = tile.load %a[%i] : memref<512xf32>[tensor<32x16xindex>] -> tensor<32x16xf32>
  %y = tile.load %b[%j] : memref<512xf32>[tensor<16x32xindex>] -> tensor<16x32xf32>
  %zero = arith.constant dense<0.0> : tensor<32x32xf32>
  %z = tile.dot %x, %y, %zero : tensor<32x16xf32>, tensor<16x32xf32> -> tensor<32x32xf32>
  tile.store %z, %c[%o] : tensor<32x32xf32>, memref<1024xf32>[tensor<32x32xindex>]
  tile.return
}

// -----

// Rows of a softmax: a 4x128 tile (2 warps); the reduction stages its input,
// each row padded by a word, and its 4 results: 4 * 129 * 4 + 16 bytes. A
// 256-element pointwise tile is one warp, with no shared memory.
// CHECK-LABEL: tile.kernel @rows
// CHECK-SAME:    num_warps = 2 : i64, shared_bytes = 2080 : i64
// CHECK-LABEL: tile.kernel @pointwise
// CHECK-SAME:    num_warps = 1 : i64, shared_bytes = 0 : i64
tile.kernel @rows(%a: memref<512xf32>, %b: memref<4xf32>) attributes {grid = array<i64: 1>} {
  %i = tile.iota 1 : tensor<4x128xindex>
  %x = tile.load %a[%i] : memref<512xf32>[tensor<4x128xindex>] -> tensor<4x128xf32>
  %m = tile.reduce <max>, %x {dim = 1 : i64} : tensor<4x128xf32> -> tensor<4xf32>
  %o = tile.iota 0 : tensor<4xindex>
  tile.store %m, %b[%o] : tensor<4xf32>, memref<4xf32>[tensor<4xindex>]
  tile.return
}
tile.kernel @pointwise(%a: memref<256xf32>) attributes {grid = array<i64: 1>} {
  %i = tile.iota 0 : tensor<256xindex>
  %x = tile.load %a[%i] : memref<256xf32>[tensor<256xindex>] -> tensor<256xf32>
  tile.store %x, %a[%i] : tensor<256xf32>, memref<256xf32>[tensor<256xindex>]
  tile.return
}

// -----

// A configuration already decided (by hand here) is kept; the option
// overrides the warps only.
// CHECK-LABEL: tile.kernel @chosen
// CHECK-SAME:    num_warps = 2 : i64, shared_bytes = 512 : i64
// EIGHT-LABEL: tile.kernel @chosen
// EIGHT-SAME:    num_warps = 8 : i64, shared_bytes = 512 : i64
tile.kernel @chosen(%a: memref<256xf32>) attributes {grid = array<i64: 1>, num_warps = 2 : i64, shared_bytes = 512 : i64} {
  tile.return
}

// -----

// A product of 16x16 tiles: 256 elements, 1 warp; with warpgroup-products
// (sm_90a among the targets) a warpgroup, 4 warps, which wgmma needs. A
// kernel without a product keeps its warps.
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-configure-launch{warpgroup-products=true}))' | FileCheck %s --check-prefix=WG
// CHECK-LABEL: tile.kernel @small_product
// CHECK-SAME:    num_warps = 1 : i64
// WG-LABEL:    tile.kernel @small_product
// WG-SAME:       num_warps = 4 : i64
// WG-LABEL:    tile.kernel @no_product
// WG-SAME:       num_warps = 1 : i64
tile.kernel @small_product(%a: memref<256xf32>, %c: memref<256xf32>) attributes {grid = array<i64: 1>} {
  %i = tile.iota 0 : tensor<16x16xindex>
  %x = tile.load %a[%i] : memref<256xf32>[tensor<16x16xindex>] -> tensor<16x16xf32>
  %zero = arith.constant dense<0.0> : tensor<16x16xf32>
  %z = tile.dot %x, %x, %zero : tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
  tile.store %z, %c[%i] : tensor<16x16xf32>, memref<256xf32>[tensor<16x16xindex>]
  tile.return
}
tile.kernel @no_product(%a: memref<256xf32>, %c: memref<256xf32>) attributes {grid = array<i64: 1>} {
  %i = tile.iota 0 : tensor<256xindex>
  %x = tile.load %a[%i] : memref<256xf32>[tensor<256xindex>] -> tensor<256xf32>
  tile.store %x, %c[%i] : tensor<256xf32>, memref<256xf32>[tensor<256xindex>]
  tile.return
}

// -----

// Warps chosen with the tiles (meld-graph-choose-tiles) are kept, and with
// warpgroup-products rounded up to whole warpgroups: 2 become 4, 8 stay 8.
// CHECK-LABEL: tile.kernel @chosen_product
// CHECK-SAME:    num_warps = 2 : i64
// CHECK-LABEL: tile.kernel @two_warpgroups
// CHECK-SAME:    num_warps = 8 : i64
// WG-LABEL:    tile.kernel @chosen_product
// WG-SAME:       num_warps = 4 : i64
// WG-LABEL:    tile.kernel @two_warpgroups
// WG-SAME:       num_warps = 8 : i64
tile.kernel @chosen_product(%a: memref<256xf32>, %c: memref<256xf32>) attributes {grid = array<i64: 1>, num_warps = 2 : i64} {
  %i = tile.iota 0 : tensor<16x16xindex>
  %x = tile.load %a[%i] : memref<256xf32>[tensor<16x16xindex>] -> tensor<16x16xf32>
  %zero = arith.constant dense<0.0> : tensor<16x16xf32>
  %z = tile.dot %x, %x, %zero : tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
  tile.store %z, %c[%i] : tensor<16x16xf32>, memref<256xf32>[tensor<16x16xindex>]
  tile.return
}
tile.kernel @two_warpgroups(%a: memref<256xf32>, %c: memref<256xf32>) attributes {grid = array<i64: 1>, num_warps = 8 : i64} {
  %i = tile.iota 0 : tensor<16x16xindex>
  %x = tile.load %a[%i] : memref<256xf32>[tensor<16x16xindex>] -> tensor<16x16xf32>
  %zero = arith.constant dense<0.0> : tensor<16x16xf32>
  %z = tile.dot %x, %x, %zero : tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
  tile.store %z, %c[%i] : tensor<16x16xf32>, memref<256xf32>[tensor<16x16xindex>]
  tile.return
}
