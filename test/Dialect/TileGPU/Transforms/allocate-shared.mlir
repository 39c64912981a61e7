// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-allocate-shared))' | FileCheck %s

// Each stored tile gets its own place after the 4000 bytes the kernel's
// conversion stages (1000 f32), at multiples of 1024: 4096 (8 KiB of A),
// then 12288; shared_bytes is the end of the last (12288 + 1024), whatever
// it was before.
// CHECK-LABEL: tile.kernel @two(
// CHECK-SAME:    shared_bytes = 13312
// CHECK:         tile_gpu.local_alloc %{{.+}} {offset = 4096 : i64}
// CHECK:         tile_gpu.local_alloc %{{.+}} {offset = 12288 : i64}
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#row = #tile_gpu.blocked<sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]>
#row4 = #tile_gpu.blocked<sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]>
#sa = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @two(%x: memref<4096xf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 65536 : i64} {
  %a = arith.constant dense<1.0> : tensor<64x64xf16, #blocked>
  %b = arith.constant dense<1.0> : tensor<16x32xf16, #blocked>
  %c = arith.constant dense<1.0> : tensor<1000xf32, #row>
  %d = tile_gpu.convert_layout %c : tensor<1000xf32, #row> -> tensor<1000xf32, #row4>
  %0 = tile_gpu.local_alloc %a : tensor<64x64xf16, #blocked> -> tensor<64x64xf16, #sa>
  %1 = tile_gpu.local_alloc %b : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
  tile.return
}

// -----

// A reduction into a slice and the broadcast back stage nothing (they work
// in registers): the tile starts at 0, whatever the tile-level ops had
// reserved (64x32 f16: 4 KiB in all); a reduction that stages its input
// (its warps share rows: 16 rows of 32 f32 padded by a word, then the 16
// results, 2176 bytes) comes first, the tile at the next 1024.
// CHECK-LABEL: tile.kernel @in_registers(
// CHECK-SAME:    shared_bytes = 4096
// CHECK:         tile_gpu.local_alloc %{{.+}} {offset = 0 : i64}
// CHECK-LABEL: tile.kernel @staged(
// CHECK-SAME:    shared_bytes = 4096
// CHECK:         tile_gpu.local_alloc %{{.+}} {offset = 3072 : i64}
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [1, 4], instrShape = [16, 8]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
tile.kernel @in_registers(%x: memref<4096xf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 65536 : i64} {
  %s = arith.constant dense<1.0> : tensor<64x32xf32, #wgmma>
  %m = tile.reduce <max>, %s {dim = 1 : i64} : tensor<64x32xf32, #wgmma> -> tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #wgmma>>
  %b = tile.broadcast %m {dims = array<i64: 1>} : tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #wgmma>> -> tensor<64x32xf32, #wgmma>
  %p = arith.truncf %b : tensor<64x32xf32, #wgmma> to tensor<64x32xf16, #wgmma>
  %0 = tile_gpu.local_alloc %p : tensor<64x32xf16, #wgmma> -> tensor<64x32xf16, #sa>
  tile.return
}
tile.kernel @staged(%x: memref<4096xf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %s = arith.constant dense<1.0> : tensor<16x32xf32, #mma>
  %m = tile.reduce <max>, %s {dim = 1 : i64} : tensor<16x32xf32, #mma> -> tensor<16xf32, #tile_gpu.slice<dim = 1, parent = #mma>>
  %a = arith.constant dense<1.0> : tensor<16x32xf16, #mma>
  %0 = tile_gpu.local_alloc %a : tensor<16x32xf16, #mma> -> tensor<16x32xf16, #sa>
  tile.return
}

// -----

// Only one branch of an scf.if runs (its condition is the block's): the
// tiles of one branch may take the bytes of the other's. The tile before
// the if takes 0 to 8 KiB; the then-branch's two tiles follow it (1 KiB at
// 8192, 8 KiB at 9216); the else-branch's two of 1 KiB take the same
// offsets, and its nested if's branches both start after them: an 8 KiB
// tile, and the 2 buffers of a TMA copy in a pipelined loop. The copy's
// mbarriers take their own 16 bytes after every tile: shared_bytes is
// 18432 + 16.
// CHECK-LABEL: tile.kernel @branches(
// CHECK-SAME:    shared_bytes = 18448
// CHECK:         tile_gpu.local_alloc %{{.+}} {offset = 0 : i64}
// CHECK:         scf.if
// CHECK-NEXT:      tile_gpu.local_alloc %{{.+}} {offset = 8192 : i64}
// CHECK-NEXT:      tile_gpu.local_alloc %{{.+}} {offset = 9216 : i64}
// CHECK-NEXT:    } else {
// CHECK-NEXT:      tile_gpu.local_alloc %{{.+}} {offset = 8192 : i64}
// CHECK-NEXT:      tile_gpu.local_alloc %{{.+}} {offset = 9216 : i64}
// CHECK-NEXT:      scf.if
// CHECK-NEXT:        tile_gpu.local_alloc %{{.+}} {offset = 10240 : i64}
// CHECK-NEXT:      } else {
// CHECK-NEXT:        scf.for
// CHECK-NEXT:          tile_gpu.tma_load %{{.+}} {dims = array<i64: 64, 64>, mbarriers = 18432 : i64, offset = 10240 : i64, strides = array<i64: 128>}
// CHECK-NEXT:        } {tile_gpu.stages = 2 : i64}
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#sa = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
tile.kernel @branches(%x: memref<4096xf16>) attributes {grid = array<i64: 3>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %pid = tile.program_id 0
  %c = arith.cmpi eq, %pid, %c0 : index
  %d = arith.cmpi eq, %pid, %c1 : index
  %a = arith.constant dense<1.0> : tensor<64x64xf16, #blocked>
  %b = arith.constant dense<1.0> : tensor<16x32xf16, #blocked>
  %0 = tile_gpu.local_alloc %a : tensor<64x64xf16, #blocked> -> tensor<64x64xf16, #sa>
  scf.if %c {
    %1 = tile_gpu.local_alloc %b : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
    %2 = tile_gpu.local_alloc %a : tensor<64x64xf16, #blocked> -> tensor<64x64xf16, #sa>
  } else {
    %3 = tile_gpu.local_alloc %b : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
    %4 = tile_gpu.local_alloc %b : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
    scf.if %d {
      %5 = tile_gpu.local_alloc %a : tensor<64x64xf16, #blocked> -> tensor<64x64xf16, #sa>
    } else {
      scf.for %k = %c0 to %c2 step %c2 {
        %6 = tile_gpu.tma_load %x[%k, %k] into %c0 {dims = array<i64: 64, 64>, strides = array<i64: 128>} : memref<4096xf16> -> tensor<16x32xf16, #sb>
      } {tile_gpu.stages = 2 : i64}
    }
  }
  tile.return
}

// -----

// An scf.if that gives a stored tile out: its branches' tiles live on past
// it, so they get their own places.
// CHECK-LABEL: tile.kernel @yielded(
// CHECK-SAME:    shared_bytes = 2048
// CHECK:           tile_gpu.local_alloc %{{.+}} {offset = 0 : i64}
// CHECK:           tile_gpu.local_alloc %{{.+}} {offset = 1024 : i64}
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
tile.kernel @yielded(%x: memref<4096xf16>) attributes {grid = array<i64: 2>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %pid = tile.program_id 0
  %c = arith.cmpi eq, %pid, %c0 : index
  %b = arith.constant dense<1.0> : tensor<16x32xf16, #blocked>
  %0 = scf.if %c -> tensor<16x32xf16, #sb> {
    %1 = tile_gpu.local_alloc %b : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
    scf.yield %1 : tensor<16x32xf16, #sb>
  } else {
    %2 = tile_gpu.local_alloc %b : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
    scf.yield %2 : tensor<16x32xf16, #sb>
  }
  tile.return
}
