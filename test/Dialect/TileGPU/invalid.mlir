// RUN: meld-opt %s -split-input-file -verify-diagnostics

// expected-error @below {{sizePerThread, threadsPerWarp, warpsPerCTA and order must have one entry per dimension}}
func.func @ranks(%x: tensor<4xf32, #tile_gpu.blocked<sizePerThread = [1, 1], threadsPerWarp = [32], warpsPerCTA = [1], order = [0]>>)

// -----

// expected-error @below {{sizes must be positive}}
func.func @zero(%x: tensor<4xf32, #tile_gpu.blocked<sizePerThread = [0], threadsPerWarp = [32], warpsPerCTA = [1], order = [0]>>)

// -----

// expected-error @below {{threadsPerWarp must multiply to 32}}
func.func @lanes(%x: tensor<4xf32, #tile_gpu.blocked<sizePerThread = [1], threadsPerWarp = [16], warpsPerCTA = [1], order = [0]>>)

// -----

// expected-error @below {{order must be a permutation of the dimensions}}
func.func @order(%x: tensor<4x4xf32, #tile_gpu.blocked<sizePerThread = [1, 1], threadsPerWarp = [4, 8], warpsPerCTA = [1, 1], order = [1, 1]>>)

// -----

// expected-error @below {{layout of rank 2 for a tile of rank 1}}
func.func @rank(%x: tensor<4xf32, #tile_gpu.blocked<sizePerThread = [1, 1], threadsPerWarp = [4, 8], warpsPerCTA = [1, 1], order = [1, 0]>>)

// -----

// expected-error @below {{warpsPerCTA and instrShape must have 2 entries}}
func.func @mma_rank(%x: tensor<16x8xf32, #tile_gpu.mma<version = 2, warpsPerCTA = [1], instrShape = [16, 8]>>)

// -----

// expected-error @below {{warpsPerCTA must be positive}}
func.func @mma_warps(%x: tensor<16x8xf32, #tile_gpu.mma<version = 2, warpsPerCTA = [0, 1], instrShape = [16, 8]>>)

// -----

// expected-error @below {{an mma.sync accumulator (version 2) has instrShape [16, 8]}}
func.func @mma_v2(%x: tensor<16x8xf32, #tile_gpu.mma<version = 2, warpsPerCTA = [1, 1], instrShape = [16, 16]>>)

// -----

// expected-error @below {{a wgmma accumulator (version 3) has instrShape [64, N], N a multiple of 8 up to 256}}
func.func @mma_v3(%x: tensor<64x8xf32, #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 12]>>)

// -----

// expected-error @below {{a wgmma accumulator (version 3) needs whole warpgroups: warpsPerCTA[0] a multiple of 4}}
func.func @warpgroups(%x: tensor<64x8xf32, #tile_gpu.mma<version = 3, warpsPerCTA = [2, 1], instrShape = [64, 8]>>)

// -----

// expected-error @below {{version must be 2 (mma.sync) or 3 (wgmma)}}
func.func @version(%x: tensor<16x8xf32, #tile_gpu.mma<version = 1, warpsPerCTA = [1, 1], instrShape = [16, 8]>>)

// -----

// expected-error @below {{layout of rank 2 for a tile of rank 1}}
func.func @mma_tile(%x: tensor<16xf32, #tile_gpu.mma<version = 2, warpsPerCTA = [1, 1], instrShape = [16, 8]>>)

// -----

func.func @unlaid(%x: tensor<4xf32>) {
  // expected-error @below {{'tile_gpu.convert_layout' op converts between tiles with distributed layouts, got 'tensor<4xf32>'}}
  %y = tile_gpu.convert_layout %x : tensor<4xf32> -> tensor<4xf32, #tile_gpu.blocked<sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [1], order = [0]>>
  return
}

// -----

func.func @shape(%x: tensor<4xf32, #tile_gpu.blocked<sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [1], order = [0]>>) {
  // expected-error @below {{'tile_gpu.convert_layout' op requires the same shape for all operands and results}}
  %y = tile_gpu.convert_layout %x : tensor<4xf32, #tile_gpu.blocked<sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [1], order = [0]>> -> tensor<8xf32, #tile_gpu.blocked<sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [1], order = [0]>>
  return
}

// -----

// expected-error @below {{opIdx must be 0 (A) or 1 (B)}}
func.func @operand(%x: tensor<16x8xf32, #tile_gpu.dot_operand<opIdx = 2, parent = #tile_gpu.mma<version = 2, warpsPerCTA = [1, 1], instrShape = [16, 8]>, kWidth = 1>>)

// -----

// expected-error @below {{a dot operand in registers is for mma.sync (an mma parent of version 2)}}
func.func @wgmma_operand(%x: tensor<64x8xf32, #tile_gpu.dot_operand<opIdx = 0, parent = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 8]>, kWidth = 1>>)

// -----

// expected-error @below {{kWidth must be 1 (tf32) or 2 (f16, bf16)}}
func.func @width(%x: tensor<16x8xf32, #tile_gpu.dot_operand<opIdx = 0, parent = #tile_gpu.mma<version = 2, warpsPerCTA = [1, 1], instrShape = [16, 8]>, kWidth = 4>>)

// -----

// expected-error @below {{swizzle must be 32, 64 or 128 bytes}}
func.func @swizzle(%x: tensor<64x64xf16, #tile_gpu.shared<swizzle = 16, order = [1, 0]>>)

// -----

// expected-error @below {{order must be [1, 0] or [0, 1]}}
func.func @shared_order(%x: tensor<64x64xf16, #tile_gpu.shared<swizzle = 128, order = [1, 1]>>)

// -----

// expected-error @below {{a #tile_gpu.shared tile covers whole 128-byte rows along dimension 1 and a multiple of 8 rows, got 64x32 of 'f16'}}
func.func @partial_row(%x: tensor<64x32xf16, #tile_gpu.shared<swizzle = 128, order = [1, 0]>>)

// -----

// expected-error @below {{a #tile_gpu.shared tile has rank 2}}
func.func @shared_rank(%x: tensor<64xf16, #tile_gpu.shared<swizzle = 128, order = [1, 0]>>)

// -----

#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#shared = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
func.func @alloc_offset(%a: tensor<64x64xf16, #blocked>) {
  // expected-error @below {{offset must be a multiple of 1024 bytes (the swizzle's pattern), got 512}}
  %0 = tile_gpu.local_alloc %a {offset = 512 : i64} : tensor<64x64xf16, #blocked> -> tensor<64x64xf16, #shared>
  return
}

// -----

#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
func.func @alloc_to_registers(%a: tensor<64x64xf16, #blocked>) {
  // expected-error @below {{gives a tile with a #tile_gpu.shared layout, got 'tensor<64x64xf16, #tile_gpu.blocked}}
  %0 = tile_gpu.local_alloc %a : tensor<64x64xf16, #blocked> -> tensor<64x64xf16, #blocked>
  return
}

// -----

#shared = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
func.func @alloc_from_shared(%a: tensor<64x64xf16, #shared>) {
  // expected-error @below {{stores a tile with a distributed layout, got 'tensor<64x64xf16, #tile_gpu.shared}}
  %0 = tile_gpu.local_alloc %a : tensor<64x64xf16, #shared> -> tensor<64x64xf16, #shared>
  return
}

// -----

// expected-error @below {{rows must be a multiple of 8 (or 0: the tile's)}}
func.func @shared_rows(%x: tensor<16x64xf16, #tile_gpu.shared<swizzle = 128, order = [1, 0], rows = 60>>)

// -----

// expected-error @below {{a #tile_gpu.shared tile of 64 rows is stored with at least as many, got rows = 32}}
func.func @shared_fewer_rows(%x: tensor<64x64xf16, #tile_gpu.shared<swizzle = 128, order = [1, 0], rows = 32>>)

// -----

#blocked = #tile_gpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
func.func @async_to_registers(%w: memref<4096xf16>, %i: tensor<64x64xindex, #blocked>, %s: index) {
  // expected-error @below {{gives a tile with a #tile_gpu.shared layout, got 'tensor<64x64xf16, #tile_gpu.blocked}}
  %0 = tile_gpu.async_load %w[%i] into %s {contiguity = 8 : i64} : memref<4096xf16>[tensor<64x64xindex, #blocked>] -> tensor<64x64xf16, #blocked>
  return
}

// -----

#blocked = #tile_gpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#shared = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
func.func @async_f32(%w: memref<4096xf32>, %i: tensor<64x32xindex, #blocked>, %s: index) {
  // expected-error @below {{copies 16-bit elements, got 'f32'}}
  %0 = tile_gpu.async_load %w[%i] into %s {contiguity = 4 : i64} : memref<4096xf32>[tensor<64x32xindex, #blocked>] -> tensor<64x32xf32, #shared>
  return
}

// -----

#blocked = #tile_gpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#shared = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
func.func @async_other_type(%w: memref<4096xbf16>, %i: tensor<64x64xindex, #blocked>, %s: index) {
  // expected-error @below {{copies elements of its buffer's type 'bf16', got 'f16'}}
  %0 = tile_gpu.async_load %w[%i] into %s {contiguity = 8 : i64} : memref<4096xbf16>[tensor<64x64xindex, #blocked>] -> tensor<64x64xf16, #shared>
  return
}

// -----

#blocked = #tile_gpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#shared = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
func.func @async_offsets_shape(%w: memref<4096xf16>, %i: tensor<32x64xindex, #blocked>, %s: index) {
  // expected-error @below {{takes offsets and mask of its result's shape in distributed layouts, got 'tensor<32x64xindex, #tile_gpu.blocked}}
  %0 = tile_gpu.async_load %w[%i] into %s {contiguity = 8 : i64} : memref<4096xf16>[tensor<32x64xindex, #blocked>] -> tensor<64x64xf16, #shared>
  return
}

// -----

#blocked = #tile_gpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#shared = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
func.func @async_short_runs(%w: memref<4096xf16>, %i: tensor<64x64xindex, #blocked>, %s: index) {
  // expected-error @below {{contiguity must be a power of two of 4 to 16 bytes dividing the contiguous dimension, got 1}}
  %0 = tile_gpu.async_load %w[%i] into %s {contiguity = 1 : i64} : memref<4096xf16>[tensor<64x64xindex, #blocked>] -> tensor<64x64xf16, #shared>
  return
}

// -----

#blocked = #tile_gpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#shared = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
func.func @async_offset(%w: memref<4096xf16>, %i: tensor<64x64xindex, #blocked>, %s: index) {
  // expected-error @below {{offset must be a multiple of 1024 bytes (the swizzle's pattern), got 2000}}
  %0 = tile_gpu.async_load %w[%i] into %s {contiguity = 8 : i64, offset = 2000 : i64} : memref<4096xf16>[tensor<64x64xindex, #blocked>] -> tensor<64x64xf16, #shared>
  return
}

// -----

#shared = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
#shared1 = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
func.func @wait_types(%a: tensor<64x64xf16, #shared>) {
  // expected-error @below {{gives tiles of its operands' types}}
  %0 = tile_gpu.async_wait %a {pending = 0 : i64} : tensor<64x64xf16, #shared> -> tensor<64x64xf16, #shared1>
  return
}

// -----

#blocked = #tile_gpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
func.func @wait_registers(%a: tensor<64x64xf16, #blocked>) {
  // expected-error @below {{waits for tiles with a #tile_gpu.shared layout, got 'tensor<64x64xf16, #tile_gpu.blocked}}
  %0 = tile_gpu.async_wait %a {pending = 0 : i64} : tensor<64x64xf16, #blocked> -> tensor<64x64xf16, #blocked>
  return
}

// -----

#shared = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
func.func @wait_negative(%a: tensor<64x64xf16, #shared>) {
  // expected-error @below {{pending must not be negative, got -1}}
  %0 = tile_gpu.async_wait %a {pending = -1 : i64} : tensor<64x64xf16, #shared> -> tensor<64x64xf16, #shared>
  return
}

// -----

#blocked = #tile_gpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
func.func @local_load_registers(%a: tensor<64x64xf16, #blocked>) {
  // expected-error @below {{reads a tile with a #tile_gpu.shared layout, got 'tensor<64x64xf16, #tile_gpu.blocked}}
  %0 = tile_gpu.local_load %a : tensor<64x64xf16, #blocked> -> tensor<64x64xf16, #blocked>
  return
}

// -----

#shared = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
func.func @local_load_shared(%a: tensor<64x64xf16, #shared>) {
  // expected-error @below {{gives a tile with a distributed layout, got 'tensor<64x64xf16, #tile_gpu.shared}}
  %0 = tile_gpu.local_load %a : tensor<64x64xf16, #shared> -> tensor<64x64xf16, #shared>
  return
}

// -----

#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
func.func @tma_not_shared(%w: memref<4096xbf16>, %k: index, %s: index) {
  // expected-error @below {{'tile_gpu.tma_load' op gives a 2-D tile with a #tile_gpu.shared layout, got 'tensor<16x64xbf16, #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>>'}}
  %0 = tile_gpu.tma_load %w[%k, %k] into %s {dims = array<i64: 64, 64>, strides = array<i64: 128>} : memref<4096xbf16> -> tensor<16x64xbf16, #blocked>
  return
}

// -----

#shared = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
func.func @tma_element_type(%w: memref<4096xf16>, %k: index, %s: index) {
  // expected-error @below {{'tile_gpu.tma_load' op copies elements of its buffer's type 'f16', got 'bf16'}}
  %0 = tile_gpu.tma_load %w[%k, %k] into %s {dims = array<i64: 64, 64>, strides = array<i64: 128>} : memref<4096xf16> -> tensor<16x64xbf16, #shared>
  return
}

// -----

#padded = #tile_gpu.shared<swizzle = 32, order = [0, 1], rows = 128>
func.func @tma_padded(%w: memref<4096xbf16>, %k: index, %s: index) {
  // expected-error @below {{'tile_gpu.tma_load' op copies a tile of whole columns of its swizzle and at most 256 rows, stored with no padding rows, got 'tensor<16x64xbf16, #tile_gpu.shared<swizzle = 32, order = [0, 1], rows = 128>>'}}
  %0 = tile_gpu.tma_load %w[%k, %k] into %s {dims = array<i64: 64, 64>, strides = array<i64: 128>} : memref<4096xbf16> -> tensor<16x64xbf16, #padded>
  return
}

// -----

#shared = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
func.func @tma_rank(%w: memref<4096xbf16>, %k: index, %s: index) {
  // expected-error @below {{'tile_gpu.tma_load' op takes a 2-D tensor: two dims, one stride and two coordinates, got 3, 1 and 2}}
  %0 = tile_gpu.tma_load %w[%k, %k] into %s {dims = array<i64: 64, 64, 1>, strides = array<i64: 128>} : memref<4096xbf16> -> tensor<16x64xbf16, #shared>
  return
}

// -----

#shared = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
func.func @tma_stride(%w: memref<4096xbf16>, %k: index, %s: index) {
  // expected-error @below {{'tile_gpu.tma_load' op takes positive dims and a positive stride of a multiple of 16 bytes}}
  %0 = tile_gpu.tma_load %w[%k, %k] into %s {dims = array<i64: 64, 64>, strides = array<i64: 120>} : memref<4096xbf16> -> tensor<16x64xbf16, #shared>
  return
}

// -----

#shared = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
func.func @tma_offset(%w: memref<4096xbf16>, %k: index, %s: index) {
  // expected-error @below {{'tile_gpu.tma_load' op offset must be a multiple of 1024 bytes (the swizzle's pattern), got 100}}
  %0 = tile_gpu.tma_load %w[%k, %k] into %s {dims = array<i64: 64, 64>, strides = array<i64: 128>, offset = 100 : i64} : memref<4096xbf16> -> tensor<16x64xbf16, #shared>
  return
}

// -----

#shared = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
func.func @tma_mbarriers(%w: memref<4096xbf16>, %k: index, %s: index) {
  // expected-error @below {{'tile_gpu.tma_load' op mbarriers must be at a multiple of 8 bytes, got 4100}}
  %0 = tile_gpu.tma_load %w[%k, %k] into %s {dims = array<i64: 64, 64>, strides = array<i64: 128>, offset = 1024 : i64, mbarriers = 4100 : i64} : memref<4096xbf16> -> tensor<16x64xbf16, #shared>
  return
}

// -----

#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
func.func @tma_wait_not_shared(%a: tensor<64x64xf16, #blocked>, %q: index) {
  // expected-error @below {{'tile_gpu.tma_wait' op waits for a tile with a #tile_gpu.shared layout, got 'tensor<64x64xf16, #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>>'}}
  %0 = tile_gpu.tma_wait %a parity %q : tensor<64x64xf16, #blocked>
  return
}

// -----

#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
func.func @tma_release_not_shared(%a: tensor<64x64xf16, #blocked>) {
  // expected-error @below {{'tile_gpu.tma_release' op releases tiles with a #tile_gpu.shared layout, got 'tensor<64x64xf16, #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>>'}}
  tile_gpu.tma_release %a : tensor<64x64xf16, #blocked>
  return
}

// -----

// expected-error @below {{the parent of a slice is a blocked or mma layout}}
func.func @slice_parent(%x: tensor<16xf32, #tile_gpu.slice<dim = 1, parent = #tile_gpu.dot_operand<opIdx = 0, parent = #tile_gpu.mma<version = 2, warpsPerCTA = [1, 1], instrShape = [16, 8]>, kWidth = 1>>>)

// -----

// expected-error @below {{the parent of a slice has rank 2 or more}}
func.func @slice_rank(%x: tensor<f32, #tile_gpu.slice<dim = 0, parent = #tile_gpu.blocked<sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [1], order = [0]>>>)

// -----

// expected-error @below {{dim 2 is not one of the parent's 2 dimensions}}
func.func @slice_dim(%x: tensor<16xf32, #tile_gpu.slice<dim = 2, parent = #tile_gpu.mma<version = 2, warpsPerCTA = [1, 1], instrShape = [16, 8]>>>)

// -----

// expected-error @below {{layout of rank 1 for a tile of rank 2}}
func.func @slice_tile_rank(%x: tensor<16x8xf32, #tile_gpu.slice<dim = 1, parent = #tile_gpu.mma<version = 2, warpsPerCTA = [1, 1], instrShape = [16, 8]>>>)
