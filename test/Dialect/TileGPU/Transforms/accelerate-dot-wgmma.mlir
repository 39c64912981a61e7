// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-assign-layouts,meld-tile-gpu-accelerate-dot{precision=bf16 chip=sm_90a},meld-tile-gpu-allocate-shared))' | FileCheck %s
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-assign-layouts,meld-tile-gpu-accelerate-dot{precision=tf32 chip=sm_90a},meld-tile-gpu-allocate-shared))' | FileCheck %s --check-prefix=TF32
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-assign-layouts,meld-tile-gpu-accelerate-dot{precision=bf16}))' | FileCheck %s --check-prefix=SM80

// On sm_90a a product of whole warpgroups moves to wgmma: a 128x64 tile
// over 8 warps is two warpgroups along M (warpsPerCTA [8, 1]), each one
// m64n64 instruction wide. A (128x32) and B (32x64) are rounded to bf16
// and stored in shared memory with K contiguous: rows of 32 bf16 are 64
// bytes, the widest swizzle dividing them. meld-tile-gpu-allocate-shared
// places A after the 32 KiB the accumulator's conversion stages (128x64
// f32), B after A (8 KiB), and grows shared_bytes to cover both.
// CHECK-DAG:   #[[WGMMA:.+]] = #tile_gpu.mma<version = 3, warpsPerCTA = [8, 1], instrShape = [64, 64]>
// CHECK-DAG:   #[[SA:.+]] = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
// CHECK-DAG:   #[[SB:.+]] = #tile_gpu.shared<swizzle = 64, order = [0, 1]>
// CHECK-LABEL: tile.kernel @mm(
// CHECK-SAME:    meld.precision = "bf16"
// CHECK-SAME:    shared_bytes = 45056
// CHECK:         %[[X:.+]] = arith.truncf %{{.+}} : tensor<128x32xf32, #{{.+}}> to tensor<128x32xbf16, #[[BA:[a-z0-9]+]]>
// CHECK:         %[[XS:.+]] = tile_gpu.local_alloc %[[X]] {offset = 32768 : i64} : tensor<128x32xbf16, #[[BA]]> -> tensor<128x32xbf16, #[[SA]]>
// CHECK:         %[[Y:.+]] = arith.truncf %{{.+}} : tensor<32x64xf32, #{{.+}}> to tensor<32x64xbf16, #[[BB:[a-z0-9]+]]>
// CHECK:         %[[YS:.+]] = tile_gpu.local_alloc %[[Y]] {offset = 40960 : i64} : tensor<32x64xbf16, #[[BB]]> -> tensor<32x64xbf16, #[[SB]]>
// CHECK:         %[[ACC:.+]] = tile_gpu.convert_layout %{{.+}} -> tensor<128x64xf32, #[[WGMMA]]>
// CHECK:         tile.dot %[[XS]], %[[YS]], %[[ACC]] : tensor<128x32xbf16, #[[SA]]>, tensor<32x64xbf16, #[[SB]]> -> tensor<128x64xf32, #[[WGMMA]]>
// At tf32 the operands stay f32: rows of 32 are 128 bytes.
// TF32-DAG:    #[[SA:.+]] = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
// TF32-DAG:    #[[SB:.+]] = #tile_gpu.shared<swizzle = 128, order = [0, 1]>
// TF32-LABEL:  tile.kernel @mm(
// TF32-SAME:     meld.precision = "tf32"
// TF32-NOT:      arith.truncf
// TF32:          tile.dot %{{.+}} : tensor<128x32xf32, #[[SA]]>, tensor<32x64xf32, #[[SB]]> -> tensor<128x64xf32, #mma>
// On sm_80, mma.sync.
// SM80-LABEL:  tile.kernel @mm(
// SM80-NOT:      tile_gpu.local_alloc
// SM80:          tile.dot {{.+}} -> tensor<128x64xf32, #mma>
tile.kernel @mm(%a: memref<4096xf32>, %b: memref<2048xf32>, %c: memref<8192xf32>) attributes {grid = array<i64: 1>, num_warps = 8 : i64, shared_bytes = 0 : i64} {
  %ia = tile.iota 1 : tensor<128x32xindex>
  %ib = tile.iota 1 : tensor<32x64xindex>
  %ic = tile.iota 1 : tensor<128x64xindex>
  %x = tile.load %a[%ia] : memref<4096xf32>[tensor<128x32xindex>] -> tensor<128x32xf32>
  %y = tile.load %b[%ib] : memref<2048xf32>[tensor<32x64xindex>] -> tensor<32x64xf32>
  %zero = arith.constant dense<0.0> : tensor<128x64xf32>
  %p = tile.dot %x, %y, %zero : tensor<128x32xf32>, tensor<32x64xf32> -> tensor<128x64xf32>
  tile.store %p, %c[%ic] : tensor<128x64xf32>, memref<8192xf32>[tensor<128x64xindex>]
  tile.return
}

// -----

// Not whole warpgroups (2 warps; 16 or 32 rows on 4 warps pad, below):
// mma.sync.
// CHECK-LABEL: tile.kernel @two_warps(
// CHECK-NOT:     tile_gpu.local_alloc
// CHECK:         tile.dot {{.+}} -> tensor<64x32xf32, #mma{{[0-9]*}}>
tile.kernel @two_warps(%a: memref<1024xf32>, %b: memref<512xf32>, %c: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 2 : i64, shared_bytes = 0 : i64} {
  %ia = tile.iota 1 : tensor<64x16xindex>
  %ib = tile.iota 1 : tensor<16x32xindex>
  %ic = tile.iota 1 : tensor<64x32xindex>
  %x = tile.load %a[%ia] : memref<1024xf32>[tensor<64x16xindex>] -> tensor<64x16xf32>
  %y = tile.load %b[%ib] : memref<512xf32>[tensor<16x32xindex>] -> tensor<16x32xf32>
  %zero = arith.constant dense<0.0> : tensor<64x32xf32>
  %p = tile.dot %x, %y, %zero : tensor<64x16xf32>, tensor<16x32xf32> -> tensor<64x32xf32>
  tile.store %p, %c[%ic] : tensor<64x32xf32>, memref<2048xf32>[tensor<64x32xindex>]
  tile.return
}

// -----

// A product of 32 rows on 4 warps pads A to wgmma's 64 rows (rows = 64 in
// its shared layout: 2 KiB where its own 32 rows of 32 bytes take 1), after
// the accumulator's 4 KiB conversion; B (32 rows of N, 32 bytes each) after
// it. The accumulator's rows past 32 hold nothing.
// CHECK-DAG:   #[[WGMMA:.+]] = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
// CHECK-DAG:   #[[SA:.+]] = #tile_gpu.shared<swizzle = 32, order = [1, 0], rows = 64>
// CHECK-LABEL: tile.kernel @padded(
// CHECK-SAME:    shared_bytes = 7168
// CHECK:         tile_gpu.local_alloc %{{.+}} {offset = 4096 : i64} : tensor<32x16xbf16, #{{.+}}> -> tensor<32x16xbf16, #[[SA]]>
// CHECK:         tile_gpu.local_alloc %{{.+}} {offset = 6144 : i64}
// CHECK:         tile.dot {{.+}} -> tensor<32x32xf32, #[[WGMMA]]>
tile.kernel @padded(%a: memref<512xf32>, %b: memref<512xf32>, %c: memref<1024xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %ia = tile.iota 1 : tensor<32x16xindex>
  %ib = tile.iota 1 : tensor<16x32xindex>
  %ic = tile.iota 1 : tensor<32x32xindex>
  %x = tile.load %a[%ia] : memref<512xf32>[tensor<32x16xindex>] -> tensor<32x16xf32>
  %y = tile.load %b[%ib] : memref<512xf32>[tensor<16x32xindex>] -> tensor<16x32xf32>
  %zero = arith.constant dense<0.0> : tensor<32x32xf32>
  %p = tile.dot %x, %y, %zero : tensor<32x16xf32>, tensor<16x32xf32> -> tensor<32x32xf32>
  tile.store %p, %c[%ic] : tensor<32x32xf32>, memref<1024xf32>[tensor<32x32xindex>]
  tile.return
}

// -----

// A B that lies along N in memory (its load's runs are along its last
// dimension) is stored N-major at 16 bits: N contiguous (order [1, 0],
// wgmma's transposed B), with the widest swizzle dividing an instruction's
// 64 columns (128 bytes), so that its rows are stored as vectors and can
// be copied as they are. At tf32 B stays K-major (wgmma transposes 16-bit
// operands only).
// CHECK-DAG:   #[[SNB:.+]] = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
// CHECK-LABEL: tile.kernel @along_n(
// CHECK:         tile_gpu.local_alloc %{{.+}} : tensor<32x64xbf16, #{{.+}}> -> tensor<32x64xbf16, #[[SNB]]>
// TF32-DAG:    #[[SKB:.+]] = #tile_gpu.shared<swizzle = 128, order = [0, 1]>
// TF32-LABEL:  tile.kernel @along_n(
// TF32:          tile_gpu.local_alloc %{{.+}} : tensor<32x64xf32, #{{.+}}> -> tensor<32x64xf32, #[[SKB]]>
tile.kernel @along_n(%a: memref<4096xf32>, %b: memref<2048xf32>, %c: memref<8192xf32>) attributes {grid = array<i64: 1>, num_warps = 8 : i64, shared_bytes = 0 : i64} {
  %ia = tile.iota 1 : tensor<128x32xindex>
  %ib = tile.iota 1 : tensor<32x64xindex>
  %ic = tile.iota 1 : tensor<128x64xindex>
  %x = tile.load %a[%ia] {contiguity = 4 : i64} : memref<4096xf32>[tensor<128x32xindex>] -> tensor<128x32xf32>
  %y = tile.load %b[%ib] {contiguity = 4 : i64} : memref<2048xf32>[tensor<32x64xindex>] -> tensor<32x64xf32>
  %zero = arith.constant dense<0.0> : tensor<128x64xf32>
  %p = tile.dot %x, %y, %zero : tensor<128x32xf32>, tensor<32x64xf32> -> tensor<128x64xf32>
  tile.store %p, %c[%ic] : tensor<128x64xf32>, memref<8192xf32>[tensor<128x64xindex>]
  tile.return
}
