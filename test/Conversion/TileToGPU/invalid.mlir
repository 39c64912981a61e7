// RUN: meld-opt %s -split-input-file --meld-tile-to-gpu -verify-diagnostics

// The launch configuration comes from the tile level; the GPU lowering does
// not guess one.
module {
  // expected-error @below {{'tile.kernel' op has no launch configuration (num_warps and shared_bytes): run meld-tile-configure-launch first}}
  tile.kernel @k(%a: memref<4xf32>) attributes {grid = array<i64: 1>} {
    tile.return
  }
}

// -----

// An op that stages more in shared memory than its kernel declares.
tile.kernel @small(%a: memref<64xf32>) attributes {grid = array<i64: 1>, num_warps = 1 : i64, shared_bytes = 64 : i64} {
  %i = tile.iota 1 : tensor<4x16xindex>
  %x = tile.load %a[%i] : memref<64xf32>[tensor<4x16xindex>] -> tensor<4x16xf32>
  // expected-error @below {{'tile.reduce' op stages 272 bytes in shared memory, more than its kernel's shared_bytes (64)}}
  %m = tile.reduce <sum>, %x {dim = 1 : i64} : tensor<4x16xf32> -> tensor<4xf32>
  tile.return
}

// -----

// A program's scalar comes from a rank-0 tile only.
tile.kernel @extract(%a: memref<4xf32>) attributes {grid = array<i64: 1>, num_warps = 1 : i64, shared_bytes = 64 : i64} {
  %i = tile.iota 0 : tensor<4xindex>
  %x = tile.load %a[%i] : memref<4xf32>[tensor<4xindex>] -> tensor<4xf32>
  %c1 = arith.constant 1 : index
  // expected-error @below {{'tensor.extract' op makes a scalar of a rank-0 tile only}}
  %s = tensor.extract %x[%c1] : tensor<4xf32>
  tile.return
}
