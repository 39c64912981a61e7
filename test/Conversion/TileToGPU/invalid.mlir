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

// Nor does it guess layouts.
tile.kernel @unlaid(%a: memref<4xf32>) attributes {grid = array<i64: 1>, num_warps = 1 : i64, shared_bytes = 0 : i64} {
  // expected-error @below {{'tile.iota' op has a tile without a layout: run meld-tile-gpu-assign-layouts first}}
  %i = tile.iota 0 : tensor<4xindex>
  tile.return
}

// -----

// A layout is for the kernel's block.
#two_warps = #tile_gpu.blocked<sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [2], order = [0]>
tile.kernel @warps(%a: memref<4xf32>) attributes {grid = array<i64: 1>, num_warps = 1 : i64, shared_bytes = 0 : i64} {
  // expected-error @below {{'tile.iota' op has a tile laid out over 2 warps in a kernel of 1}}
  %i = tile.iota 0 : tensor<4xindex, #two_warps>
  tile.return
}

// -----

// An op that stages more in shared memory than its kernel declares.
#b2 = #tile_gpu.blocked<sizePerThread = [1, 2], threadsPerWarp = [4, 8], warpsPerCTA = [1, 1], order = [1, 0]>
#b1 = #tile_gpu.blocked<sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [1], order = [0]>
tile.kernel @small(%a: memref<64xf32>) attributes {grid = array<i64: 1>, num_warps = 1 : i64, shared_bytes = 64 : i64} {
  %i = tile.iota 1 : tensor<4x16xindex, #b2>
  %x = tile.load %a[%i] : memref<64xf32>[tensor<4x16xindex, #b2>] -> tensor<4x16xf32, #b2>
  // expected-error @below {{'tile.reduce' op stages 288 bytes in shared memory, more than its kernel's shared_bytes (64)}}
  %m = tile.reduce <sum>, %x {dim = 1 : i64} : tensor<4x16xf32, #b2> -> tensor<4xf32, #b1>
  tile.return
}

// -----

// So does a layout conversion.
#rows = #tile_gpu.blocked<sizePerThread = [1, 2], threadsPerWarp = [4, 8], warpsPerCTA = [1, 1], order = [1, 0]>
#cols = #tile_gpu.blocked<sizePerThread = [2, 1], threadsPerWarp = [2, 16], warpsPerCTA = [1, 1], order = [0, 1]>
tile.kernel @convert(%a: memref<64xf32>) attributes {grid = array<i64: 1>, num_warps = 1 : i64, shared_bytes = 64 : i64} {
  %i = tile.iota 1 : tensor<4x16xindex, #rows>
  %x = tile.load %a[%i] : memref<64xf32>[tensor<4x16xindex, #rows>] -> tensor<4x16xf32, #rows>
  // expected-error @below {{'tile_gpu.convert_layout' op stages 256 bytes in shared memory, more than its kernel's shared_bytes (64)}}
  %y = tile_gpu.convert_layout %x : tensor<4x16xf32, #rows> -> tensor<4x16xf32, #cols>
  tile.return
}

// -----

// A program's scalar comes from a rank-0 tile only.
#b1 = #tile_gpu.blocked<sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [1], order = [0]>
tile.kernel @extract(%a: memref<4xf32>) attributes {grid = array<i64: 1>, num_warps = 1 : i64, shared_bytes = 64 : i64} {
  %i = tile.iota 0 : tensor<4xindex, #b1>
  %x = tile.load %a[%i] : memref<4xf32>[tensor<4xindex, #b1>] -> tensor<4xf32, #b1>
  %c1 = arith.constant 1 : index
  // expected-error @below {{'tensor.extract' op makes a scalar of a rank-0 tile only}}
  %s = tensor.extract %x[%c1] : tensor<4xf32, #b1>
  tile.return
}

// -----

// A tile stored in shared memory needs its place (meld-tile-gpu-allocate-shared)
// inside the kernel's shared memory.
#b = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#s = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
tile.kernel @unplaced(%a: memref<2048xf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 8192 : i64} {
  %i = tile.iota 1 : tensor<64x32xindex, #b>
  %x = tile.load %a[%i] : memref<2048xf16>[tensor<64x32xindex, #b>] -> tensor<64x32xf16, #b>
  // expected-error @below {{'tile_gpu.local_alloc' op has no offset: run meld-tile-gpu-allocate-shared first}}
  %s = tile_gpu.local_alloc %x : tensor<64x32xf16, #b> -> tensor<64x32xf16, #s>
  tile.return
}

// -----

#b = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#s = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
tile.kernel @past_the_end(%a: memref<2048xf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 4096 : i64} {
  %i = tile.iota 1 : tensor<64x32xindex, #b>
  %x = tile.load %a[%i] : memref<2048xf16>[tensor<64x32xindex, #b>] -> tensor<64x32xf16, #b>
  // expected-error @below {{'tile_gpu.local_alloc' op stores 4096 bytes at offset 1024 of shared memory, past its kernel's shared_bytes (4096)}}
  %s = tile_gpu.local_alloc %x {offset = 1024 : i64} : tensor<64x32xf16, #b> -> tensor<64x32xf16, #s>
  tile.return
}

// -----

#runs = #tile_gpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#s = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
tile.kernel @async_unplaced(%a: memref<4096xf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 8192 : i64} {
  %c0 = arith.constant 0 : index
  %i = tile.iota 1 : tensor<64x64xindex, #runs>
  // expected-error @below {{'tile_gpu.async_load' op has no offset: run meld-tile-gpu-allocate-shared first}}
  %s = tile_gpu.async_load %a[%i] into %c0 {contiguity = 8 : i64} : memref<4096xf16>[tensor<64x64xindex, #runs>] -> tensor<64x64xf16, #s>
  tile.return
}

// -----

// Runs of 8 along the rows, where each thread holds 4 elements of a row.
#b = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#s = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
tile.kernel @async_split_runs(%a: memref<4096xf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 8192 : i64} {
  %c0 = arith.constant 0 : index
  %i = tile.iota 1 : tensor<64x64xindex, #b>
  // expected-error @below {{'tile_gpu.async_load' op takes offsets whose layout does not give each thread whole runs of 8 elements along the contiguous dimension}}
  %s = tile_gpu.async_load %a[%i] into %c0 {contiguity = 8 : i64, offset = 0 : i64} : memref<4096xf16>[tensor<64x64xindex, #b>] -> tensor<64x64xf16, #s>
  tile.return
}

// -----

// Buffer 3 of a 2 KiB tile (8 KiB from 0) in 4 KiB of shared memory.
#runs = #tile_gpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#s = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
tile.kernel @async_past_the_end(%a: memref<1024xf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 4096 : i64} {
  %c3 = arith.constant 3 : index
  %i = tile.iota 1 : tensor<32x32xindex, #runs>
  // expected-error @below {{'tile_gpu.async_load' op stores 2048 bytes at offset 0 in each of 4 buffers of shared memory, past its kernel's shared_bytes (4096)}}
  %s = tile_gpu.async_load %a[%i] into %c3 {contiguity = 8 : i64, offset = 0 : i64} : memref<1024xf16>[tensor<32x32xindex, #runs>] -> tensor<32x32xf16, #s>
  tile.return
}

// -----

// A TMA copy reads through a tensor map of a buffer the kernel takes (the
// runtime encodes it for the launch's buffer).
#sk = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @tma_view(%w: memref<4096xbf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 3072 : i64} {
  %c0 = arith.constant 0 : index
  %v = memref.cast %w : memref<4096xbf16> to memref<?xbf16>
  %s = memref.cast %v : memref<?xbf16> to memref<4096xbf16>
  // expected-error @below {{'tile_gpu.tma_load' op copies from a buffer that is not an argument of its kernel}}
  %t = tile_gpu.tma_load %s[%c0, %c0] into %c0 {dims = array<i64: 64, 64>, strides = array<i64: 128>, offset = 0 : i64} : memref<4096xbf16> -> tensor<16x64xbf16, #sk>
  tile.return
}

// -----

// A TMA copy's mbarriers are placed by meld-tile-gpu-allocate-shared, within
// the kernel's shared memory.
#sk = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @tma_no_mbarriers(%w: memref<4096xbf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 3072 : i64} {
  %c0 = arith.constant 0 : index
  // expected-error @below {{'tile_gpu.tma_load' op has no mbarriers: run meld-tile-gpu-allocate-shared first}}
  %t = tile_gpu.tma_load %w[%c0, %c0] into %c0 {dims = array<i64: 64, 64>, strides = array<i64: 128>, offset = 0 : i64} : memref<4096xbf16> -> tensor<16x64xbf16, #sk>
  tile.return
}

// -----

#sk = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @tma_mbarriers_past_the_end(%w: memref<4096xbf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 3072 : i64} {
  %c0 = arith.constant 0 : index
  // expected-error @below {{'tile_gpu.tma_load' op has the mbarriers of 1 buffer at offset 3072 of shared memory, past its kernel's shared_bytes (3072)}}
  %t = tile_gpu.tma_load %w[%c0, %c0] into %c0 {dims = array<i64: 64, 64>, strides = array<i64: 128>, offset = 0 : i64, mbarriers = 3072 : i64} : memref<4096xbf16> -> tensor<16x64xbf16, #sk>
  tile.return
}

// -----

// In a warp-specialized kernel the producer's copies wait for their buffers'
// releases: a copy must say which.
#sk = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @specialized_without_release(%w: memref<4096xbf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 3088 : i64, tile_gpu.warp_specialize = {producer_warps = 4 : i64}} {
  %c0 = arith.constant 0 : index
  // expected-error @below {{'tile_gpu.tma_load' op in a warp-specialized kernel needs the parity of the release it waits for}}
  %t = tile_gpu.tma_load %w[%c0, %c0] into %c0 {dims = array<i64: 64, 64>, strides = array<i64: 128>, offset = 0 : i64, mbarriers = 3072 : i64} : memref<4096xbf16> -> tensor<16x64xbf16, #sk>
  tile.return
}

// -----

// Its producer runs a loop of copies once, so a warp-specialized kernel
// has none nested in another loop (each run would start the buffers'
// mbarriers over).
#sk = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @specialized_nested(%w: memref<4096xbf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 3088 : i64, tile_gpu.warp_specialize = {producer_warps = 4 : i64}} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.for %i = %c0 to %c2 step %c1 {
    scf.for %j = %c0 to %c2 step %c1 {
      // expected-error @below {{'tile_gpu.tma_load' op lies in a loop nested in another in a warp-specialized kernel}}
      %t = tile_gpu.tma_load %w[%c0, %c0] into %c0 after release %c1 {dims = array<i64: 64, 64>, strides = array<i64: 128>, offset = 0 : i64, mbarriers = 3072 : i64} : memref<4096xbf16> -> tensor<16x64xbf16, #sk>
    }
  }
  tile.return
}

// -----

// Only a warp-specialized kernel's consumers release buffers.
#sk = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @release_unspecialized(%w: memref<4096xbf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 3080 : i64} {
  %c0 = arith.constant 0 : index
  %t = tile_gpu.tma_load %w[%c0, %c0] into %c0 {dims = array<i64: 64, 64>, strides = array<i64: 128>, offset = 0 : i64, mbarriers = 3072 : i64} : memref<4096xbf16> -> tensor<16x64xbf16, #sk>
  // expected-error @below {{'tile_gpu.tma_release' op releases buffers outside a warp-specialized kernel's consumers}}
  tile_gpu.tma_release %t : tensor<16x64xbf16, #sk>
  tile.return
}

// -----

// What a consumer releases is a buffer a TMA copy filled.
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [2, 16], warpsPerCTA = [4, 1], order = [1, 0]>
#sk = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @release_not_copied(%w: memref<4096xbf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 2048 : i64, tile_gpu.warp_specialize = {producer_warps = 4 : i64}} {
  %x = arith.constant dense<0.0> : tensor<16x64xbf16, #blocked>
  %s = tile_gpu.local_alloc %x {offset = 0 : i64} : tensor<16x64xbf16, #blocked> -> tensor<16x64xbf16, #sk>
  // expected-error @below {{'tile_gpu.tma_release' op releases a tile that no TMA copy gave}}
  tile_gpu.tma_release %s : tensor<16x64xbf16, #sk>
  tile.return
}
