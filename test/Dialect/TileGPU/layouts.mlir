// RUN: meld-opt %s -split-input-file --test-tile-gpu-layouts 2>&1 | FileCheck %s

// mma.sync's accumulator (PTX ISA, "Matrix Fragments for mma.m16n8k*", f32
// C/D): with groupID = lane >> 2 and threadID_in_group = lane % 4, c0 and c1
// are at row groupID, columns threadID_in_group * 2 + (0, 1); c2 and c3 at row
// groupID + 8.
// CHECK-LABEL: remark: 4 slots per thread
// CHECK-NEXT:  lane 0 warp 0: (0, 0) (0, 1) (8, 0) (8, 1)
// CHECK-NEXT:  lane 1 warp 0: (0, 2) (0, 3) (8, 2) (8, 3)
// CHECK:       lane 5 warp 0: (1, 2) (1, 3) (9, 2) (9, 3)
// CHECK:       lane 31 warp 0: (7, 6) (7, 7) (15, 6) (15, 7)
// CHECK-NEXT:  each element held once
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [1, 1], instrShape = [16, 8]>
func.func @m16n8() -> tensor<16x8xf32, #mma> {
  %c = arith.constant dense<0.0> : tensor<16x8xf32, #mma>
  return %c : tensor<16x8xf32, #mma>
}

// -----

// Four warps, 2x2 (row-major: warp 3 is row 1, column 1), over a 64x32 tile:
// the 32x16 block of the warps repeats twice along each dimension, columns
// first.
// CHECK-LABEL: remark: 16 slots per thread
// CHECK:       lane 0 warp 3: (16, 8) (16, 9) (24, 8) (24, 9) (16, 24) (16, 25) (24, 24) (24, 25) (48, 8) (48, 9) (56, 8) (56, 9) (48, 24) (48, 25) (56, 24) (56, 25)
// CHECK:       each element held once
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
func.func @warps() -> tensor<64x32xf32, #mma> {
  %c = arith.constant dense<0.0> : tensor<64x32xf32, #mma>
  return %c : tensor<64x32xf32, #mma>
}

// -----

// wgmma's accumulator (PTX ISA, "Matrix Fragments for wgmma.mma_async
// m64nNk*", D): warp w of the warpgroup holds rows 16 w to 16 w + 15; d[i]
// is at row 16 w + groupID + 8 ((i % 4) / 2), column (i / 4) * 8 +
// threadID_in_group * 2 + i % 2.
// CHECK-LABEL: remark: 8 slots per thread
// CHECK:       lane 0 warp 0: (0, 0) (0, 1) (8, 0) (8, 1) (0, 8) (0, 9) (8, 8) (8, 9)
// CHECK:       lane 6 warp 1: (17, 4) (17, 5) (25, 4) (25, 5) (17, 12) (17, 13) (25, 12) (25, 13)
// CHECK:       lane 31 warp 3: (55, 6) (55, 7) (63, 6) (63, 7) (55, 14) (55, 15) (63, 14) (63, 15)
// CHECK-NEXT:  each element held once
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 16]>
func.func @m64n16() -> tensor<64x16xf32, #wgmma> {
  %c = arith.constant dense<0.0> : tensor<64x16xf32, #wgmma>
  return %c : tensor<64x16xf32, #wgmma>
}

// -----

// A blocked layout: each thread holds 4 consecutive elements of a row; a
// warp covers 4 rows of 32, the 4 warps 16 rows; the pattern repeats twice
// down a 32x32 tile: thread t's g-th group starts at row-major element
// (128 g + t) * 4, so lane 9 of warp 1 (thread 41) holds elements 164 to 167
// and 676 to 679.
// CHECK-LABEL: remark: 8 slots per thread
// CHECK:       lane 9 warp 1: (5, 4) (5, 5) (5, 6) (5, 7) (21, 4) (21, 5) (21, 6) (21, 7)
// CHECK:       each element held once
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
func.func @blocked() -> tensor<32x32xf32, #blocked> {
  %c = arith.constant dense<0.0> : tensor<32x32xf32, #blocked>
  return %c : tensor<32x32xf32, #blocked>
}

// -----

// Fewer elements than threads: threads past the 16th hold nothing.
// CHECK-LABEL: remark: 1 slots per thread
// CHECK:       lane 15 warp 0: (15)
// CHECK-NEXT:  lane 16 warp 0: -
// CHECK:       lane 0 warp 1: -
// CHECK:       each element held once
#small = #tile_gpu.blocked<sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [2], order = [0]>
func.func @small() -> tensor<16xf32, #small> {
  %c = arith.constant dense<0.0> : tensor<16xf32, #small>
  return %c : tensor<16xf32, #small>
}

// -----

// mma.sync's tf32 operands (PTX ISA, "Matrix Fragments for mma.m16n8k8",
// .tf32): A's a0..a3 at rows groupID (+ 8 for a1, a3), columns
// threadID_in_group (+ 4 for a2, a3); B's b0, b1 at rows threadID_in_group
// (+ 4 for b1), column groupID.
// CHECK-LABEL: remark: 4 slots per thread
// CHECK-NEXT:  lane 0 warp 0: (0, 0) (8, 0) (0, 4) (8, 4)
// CHECK:       lane 5 warp 0: (1, 1) (9, 1) (1, 5) (9, 5)
// CHECK:       each element held once
// CHECK-LABEL: remark: 2 slots per thread
// CHECK-NEXT:  lane 0 warp 0: (0, 0) (4, 0)
// CHECK:       lane 5 warp 0: (1, 1) (5, 1)
// CHECK:       lane 31 warp 0: (3, 7) (7, 7)
// CHECK-NEXT:  each element held once
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [1, 1], instrShape = [16, 8]>
#a = #tile_gpu.dot_operand<opIdx = 0, parent = #mma, kWidth = 1>
#b = #tile_gpu.dot_operand<opIdx = 1, parent = #mma, kWidth = 1>
func.func @tf32() -> (tensor<16x8xf32, #a>, tensor<8x8xf32, #b>) {
  %a = arith.constant dense<0.0> : tensor<16x8xf32, #a>
  %b = arith.constant dense<0.0> : tensor<8x8xf32, #b>
  return %a, %b : tensor<16x8xf32, #a>, tensor<8x8xf32, #b>
}

// -----

// f16 and bf16 operands, two to a register (PTX ISA, "Matrix Fragments for
// mma.m16n8k16", .f16/.bf16): A's a0, a1 at row groupID, columns
// threadID_in_group * 2 + (0, 1); a2, a3 at row groupID + 8; a4..a7 the same
// 8 columns on.
// CHECK-LABEL: remark: 8 slots per thread
// CHECK:       lane 5 warp 0: (1, 2) (1, 3) (9, 2) (9, 3) (1, 10) (1, 11) (9, 10) (9, 11)
// CHECK:       each element held once
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [1, 1], instrShape = [16, 8]>
#a = #tile_gpu.dot_operand<opIdx = 0, parent = #mma, kWidth = 2>
func.func @f16() -> tensor<16x16xf16, #a> {
  %a = arith.constant dense<0.0> : tensor<16x16xf16, #a>
  return %a : tensor<16x16xf16, #a>
}

// -----

// Over 2x2 warps, the two warps of a row of warps hold copies of A (their
// rows), the two of a column copies of B; K repeats in blocks of 8.
// CHECK-LABEL: remark: 8 slots per thread
// CHECK:       lane 0 warp 0: (0, 0) (8, 0) (0, 4) (8, 4) (0, 8) (8, 8) (0, 12) (8, 12)
// CHECK-NEXT:  lane 1 warp 0:
// CHECK:       lane 0 warp 1: (0, 0) (8, 0) (0, 4) (8, 4) (0, 8) (8, 8) (0, 12) (8, 12)
// CHECK:       lane 0 warp 2: (16, 0) (24, 0) (16, 4) (24, 4) (16, 8) (24, 8) (16, 12) (24, 12)
// CHECK:       each element held once, in 2 copies
// CHECK-LABEL: remark: 4 slots per thread
// CHECK:       lane 0 warp 1: (0, 8) (4, 8) (8, 8) (12, 8)
// CHECK:       lane 0 warp 3: (0, 8) (4, 8) (8, 8) (12, 8)
// CHECK:       each element held once, in 2 copies
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
#a = #tile_gpu.dot_operand<opIdx = 0, parent = #mma, kWidth = 1>
#b = #tile_gpu.dot_operand<opIdx = 1, parent = #mma, kWidth = 1>
func.func @copies() -> (tensor<32x16xf32, #a>, tensor<16x16xf32, #b>) {
  %a = arith.constant dense<0.0> : tensor<32x16xf32, #a>
  %b = arith.constant dense<0.0> : tensor<16x16xf32, #b>
  return %a, %b : tensor<32x16xf32, #a>, tensor<16x16xf32, #b>
}

// -----

// A slice of mma.sync's accumulator along its columns (a row reduction's
// result): each lane holds its rows groupID and groupID + 8, the 4 lanes
// of a quad hold copies.
// CHECK-LABEL: remark: 2 slots per thread
// CHECK-NEXT:  lane 0 warp 0: (0) (8)
// CHECK-NEXT:  lane 1 warp 0: (0) (8)
// CHECK:       lane 5 warp 0: (1) (9)
// CHECK:       lane 31 warp 0: (7) (15)
// CHECK-NEXT:  each element held once, in 4 copies
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [1, 1], instrShape = [16, 8]>
func.func @mma_rows() -> tensor<16xf32, #tile_gpu.slice<dim = 1, parent = #mma>> {
  %c = arith.constant dense<0.0> : tensor<16xf32, #tile_gpu.slice<dim = 1, parent = #mma>>
  return %c : tensor<16xf32, #tile_gpu.slice<dim = 1, parent = #mma>>
}

// -----

// Along its rows, over 2x2 warps: each lane holds columns 2
// threadID_in_group + (0, 1) of its warp's 8, and those 16 further; the 8
// groups of a warp and the 2 rows of warps hold copies.
// CHECK-LABEL: remark: 4 slots per thread
// CHECK:       lane 1 warp 0: (2) (3) (18) (19)
// CHECK:       lane 5 warp 0: (2) (3) (18) (19)
// CHECK:       lane 1 warp 1: (10) (11) (26) (27)
// CHECK:       lane 1 warp 3: (10) (11) (26) (27)
// CHECK:       each element held once, in 16 copies
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
func.func @mma_columns() -> tensor<32xf32, #tile_gpu.slice<dim = 0, parent = #mma>> {
  %c = arith.constant dense<0.0> : tensor<32xf32, #tile_gpu.slice<dim = 0, parent = #mma>>
  return %c : tensor<32xf32, #tile_gpu.slice<dim = 0, parent = #mma>>
}

// -----

// wgmma's rows: warp w of the warpgroup holds rows 16 w + groupID and
// 16 w + groupID + 8.
// CHECK-LABEL: remark: 2 slots per thread
// CHECK:       lane 5 warp 1: (17) (25)
// CHECK:       lane 31 warp 3: (55) (63)
// CHECK:       each element held once, in 4 copies
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 16]>
func.func @wgmma_rows() -> tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #wgmma>> {
  %c = arith.constant dense<0.0> : tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #wgmma>>
  return %c : tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #wgmma>>
}

// -----

// The rows of the blocked layout above: lane 9 of warp 1 holds rows 5 and
// 21; the 8 lanes along a row hold copies.
// CHECK-LABEL: remark: 2 slots per thread
// CHECK:       lane 9 warp 1: (5) (21)
// CHECK:       each element held once, in 8 copies
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
func.func @blocked_rows() -> tensor<32xf32, #tile_gpu.slice<dim = 1, parent = #blocked>> {
  %c = arith.constant dense<0.0> : tensor<32xf32, #tile_gpu.slice<dim = 1, parent = #blocked>>
  return %c : tensor<32xf32, #tile_gpu.slice<dim = 1, parent = #blocked>>
}
