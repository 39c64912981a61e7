// RUN: meld-opt %s --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-allocate-shared))' | FileCheck %s

// Each stored tile gets its own place after the 4000 bytes the kernel
// stages conversions in, at multiples of 1024: 4096 (8 KiB of A), then
// 12288; shared_bytes grows to the end of the last (12288 + 1024).
// CHECK-LABEL: tile.kernel @two(
// CHECK-SAME:    shared_bytes = 13312
// CHECK:         tile_gpu.local_alloc %{{.+}} {offset = 4096 : i64}
// CHECK:         tile_gpu.local_alloc %{{.+}} {offset = 12288 : i64}
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#sa = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @two(%x: memref<4096xf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 4000 : i64} {
  %a = arith.constant dense<1.0> : tensor<64x64xf16, #blocked>
  %b = arith.constant dense<1.0> : tensor<16x32xf16, #blocked>
  %0 = tile_gpu.local_alloc %a : tensor<64x64xf16, #blocked> -> tensor<64x64xf16, #sa>
  %1 = tile_gpu.local_alloc %b : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
  tile.return
}
