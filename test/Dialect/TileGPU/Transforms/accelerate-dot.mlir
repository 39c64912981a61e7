// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-assign-layouts,meld-tile-gpu-accelerate-dot{precision=tf32}))' | FileCheck %s
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-assign-layouts,meld-tile-gpu-accelerate-dot))' | FileCheck %s --check-prefix=FP32
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-assign-layouts,meld-tile-gpu-accelerate-dot{precision=fp16}))' | FileCheck %s --check-prefix=F16
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-assign-layouts,meld-tile-gpu-accelerate-dot{precision=bf16}))' | FileCheck %s --check-prefix=BF16
// RUN: not meld-opt %s --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-accelerate-dot{precision=fp8}))' 2>&1 | FileCheck %s --check-prefix=BAD

// An f32 product of whole m16n8k8 blocks moves to tensor cores at tf32: 4
// warps over a 32x32 accumulator are 2x2 (the split whose warps read the
// fewest operand elements); A and B convert to the matching dot operand layouts, the
// accumulator to the mma layout, and the result back. The kernel's shared
// memory grows to stage its largest conversion (32x32 f32: 4096 bytes), and
// it records the precision of its products.
// CHECK:       #[[MMA:.+]] = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
// CHECK-DAG:   #[[A:.+]] = #tile_gpu.dot_operand<opIdx = 0, parent = #[[MMA]], kWidth = 1>
// CHECK-DAG:   #[[B:.+]] = #tile_gpu.dot_operand<opIdx = 1, parent = #[[MMA]], kWidth = 1>
// CHECK-LABEL: tile.kernel @mm(
// CHECK-SAME:    meld.precision = "tf32"
// CHECK-SAME:    shared_bytes = 4096
// CHECK:         %[[X:.+]] = tile_gpu.convert_layout %{{.+}} : tensor<32x16xf32, #{{.+}}> -> tensor<32x16xf32, #[[A]]>
// CHECK:         %[[Y:.+]] = tile_gpu.convert_layout %{{.+}} : tensor<16x32xf32, #{{.+}}> -> tensor<16x32xf32, #[[B]]>
// CHECK:         %[[ACC:.+]] = tile_gpu.convert_layout %{{.+}} : tensor<32x32xf32, #[[BLOCKED:.+]]> -> tensor<32x32xf32, #[[MMA]]>
// CHECK:         %[[P:.+]] = tile.dot %[[X]], %[[Y]], %[[ACC]] : tensor<32x16xf32, #[[A]]>, tensor<16x32xf32, #[[B]]> -> tensor<32x32xf32, #[[MMA]]>
// CHECK:         tile_gpu.convert_layout %[[P]] : tensor<32x32xf32, #[[MMA]]> -> tensor<32x32xf32, #[[BLOCKED]]>
// At fp32 nothing moves.
// FP32-LABEL:  tile.kernel @mm(
// FP32-NOT:      meld.precision
// FP32-NOT:      tile_gpu.convert_layout
// At fp16 the operands are first rounded to f16 in their own layouts, so
// that they are staged at 2 bytes an element; their dot operand layouts
// hold two elements a register (kWidth 2); the accumulator stays f32.
// F16-DAG:     #[[MMA:.+]] = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
// F16-DAG:     #[[A:.+]] = #tile_gpu.dot_operand<opIdx = 0, parent = #[[MMA]], kWidth = 2>
// F16-DAG:     #[[B:.+]] = #tile_gpu.dot_operand<opIdx = 1, parent = #[[MMA]], kWidth = 2>
// F16-LABEL:   tile.kernel @mm(
// F16-SAME:      meld.precision = "fp16"
// F16:           %[[X:.+]] = arith.truncf %{{.+}} : tensor<32x16xf32, #[[BA:[a-z0-9]+]]> to tensor<32x16xf16, #[[BA]]>
// F16:           %[[XA:.+]] = tile_gpu.convert_layout %[[X]] : tensor<32x16xf16, #[[BA]]> -> tensor<32x16xf16, #[[A]]>
// F16:           %[[Y:.+]] = arith.truncf %{{.+}} : tensor<16x32xf32, #[[BB:[a-z0-9]+]]> to tensor<16x32xf16, #[[BB]]>
// F16:           %[[YB:.+]] = tile_gpu.convert_layout %[[Y]] : tensor<16x32xf16, #[[BB]]> -> tensor<16x32xf16, #[[B]]>
// F16:           tile.dot %[[XA]], %[[YB]], %{{.+}} : tensor<32x16xf16, #[[A]]>, tensor<16x32xf16, #[[B]]> -> tensor<32x32xf32, #[[MMA]]>
// The same at bf16.
// BF16-LABEL:  tile.kernel @mm(
// BF16-SAME:     meld.precision = "bf16"
// BF16:          arith.truncf %{{.+}} : tensor<32x16xf32, #{{.+}}> to tensor<32x16xbf16, #{{.+}}>
// BF16:          arith.truncf %{{.+}} : tensor<16x32xf32, #{{.+}}> to tensor<16x32xbf16, #{{.+}}>
// BF16:          tile.dot %{{.+}} : tensor<32x16xbf16, #{{.+}}>, tensor<16x32xbf16, #{{.+}}> -> tensor<32x32xf32, #mma>
// BAD: precision must be fp32, tf32, fp16 or bf16, got 'fp8'
tile.kernel @mm(%a: memref<512xf32>, %b: memref<512xf32>, %c: memref<1024xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 4096 : i64} {
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

// A product too narrow for the kernel's warps (4 warps over 16 rows need 4
// columns of 8; there are 16) stays on the CUDA cores.
// CHECK-LABEL: tile.kernel @small(
// CHECK-NOT:     meld.precision
// CHECK:         tile.dot %{{.+}}, %{{.+}}, %{{.+}} : tensor<16x8xf32, #{{[a-z0-9]+}}>, tensor<8x16xf32, #{{[a-z0-9]+}}> -> tensor<16x16xf32, #blocked
tile.kernel @small(%a: memref<128xf32>, %b: memref<128xf32>, %c: memref<256xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 1024 : i64} {
  %ia = tile.iota 1 : tensor<16x8xindex>
  %ib = tile.iota 1 : tensor<8x16xindex>
  %ic = tile.iota 1 : tensor<16x16xindex>
  %x = tile.load %a[%ia] : memref<128xf32>[tensor<16x8xindex>] -> tensor<16x8xf32>
  %y = tile.load %b[%ib] : memref<128xf32>[tensor<8x16xindex>] -> tensor<8x16xf32>
  %zero = arith.constant dense<0.0> : tensor<16x16xf32>
  %p = tile.dot %x, %y, %zero : tensor<16x8xf32>, tensor<8x16xf32> -> tensor<16x16xf32>
  tile.store %p, %c[%ic] : tensor<16x16xf32>, memref<256xf32>[tensor<16x16xindex>]
  tile.return
}

// -----

// So does a product whose K is not a whole block of 8 (the second one
// here). A kernel with some products on tensor cores and some not is
// "mixed".
// CHECK-LABEL: tile.kernel @mixed(
// CHECK-SAME:    meld.precision = "mixed"
// CHECK:         tile.dot {{.+}} -> tensor<32x32xf32, #mma>
// CHECK:         tile.dot {{.+}} : tensor<32x4xf32, #{{[a-z0-9]+}}>, tensor<4x32xf32, #{{[a-z0-9]+}}> -> tensor<32x32xf32, #blocked
tile.kernel @mixed(%a: memref<512xf32>, %b: memref<512xf32>, %c: memref<1024xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 4096 : i64} {
  %ia = tile.iota 1 : tensor<32x16xindex>
  %ib = tile.iota 1 : tensor<16x32xindex>
  %ic = tile.iota 1 : tensor<32x32xindex>
  %ia4 = tile.iota 1 : tensor<32x4xindex>
  %ib4 = tile.iota 1 : tensor<4x32xindex>
  %x = tile.load %a[%ia] : memref<512xf32>[tensor<32x16xindex>] -> tensor<32x16xf32>
  %y = tile.load %b[%ib] : memref<512xf32>[tensor<16x32xindex>] -> tensor<16x32xf32>
  %x4 = tile.load %a[%ia4] : memref<512xf32>[tensor<32x4xindex>] -> tensor<32x4xf32>
  %y4 = tile.load %b[%ib4] : memref<512xf32>[tensor<4x32xindex>] -> tensor<4x32xf32>
  %zero = arith.constant dense<0.0> : tensor<32x32xf32>
  %p = tile.dot %x, %y, %zero : tensor<32x16xf32>, tensor<16x32xf32> -> tensor<32x32xf32>
  %q = tile.dot %x4, %y4, %p : tensor<32x4xf32>, tensor<4x32xf32> -> tensor<32x32xf32>
  tile.store %q, %c[%ic] : tensor<32x32xf32>, memref<1024xf32>[tensor<32x32xindex>]
  tile.return
}

// -----

// At fp16 a K of 8 is no whole m16n8k16 block: the product stays on the
// CUDA cores in f32 (at tf32 it moves).
// F16-LABEL:   tile.kernel @k8(
// F16-NOT:       meld.precision
// F16-NOT:       arith.truncf
// F16:           tile.dot {{.+}} : tensor<32x8xf32, #{{[a-z0-9]+}}>, tensor<8x32xf32, #{{[a-z0-9]+}}> -> tensor<32x32xf32, #blocked
tile.kernel @k8(%a: memref<256xf32>, %b: memref<256xf32>, %c: memref<1024xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 4096 : i64} {
  %ia = tile.iota 1 : tensor<32x8xindex>
  %ib = tile.iota 1 : tensor<8x32xindex>
  %ic = tile.iota 1 : tensor<32x32xindex>
  %x = tile.load %a[%ia] : memref<256xf32>[tensor<32x8xindex>] -> tensor<32x8xf32>
  %y = tile.load %b[%ib] : memref<256xf32>[tensor<8x32xindex>] -> tensor<8x32xf32>
  %zero = arith.constant dense<0.0> : tensor<32x32xf32>
  %p = tile.dot %x, %y, %zero : tensor<32x8xf32>, tensor<8x32xf32> -> tensor<32x32xf32>
  tile.store %p, %c[%ic] : tensor<32x32xf32>, memref<1024xf32>[tensor<32x32xindex>]
  tile.return
}

// -----

// An operand widened from f16 (a weight stored narrowed) is read as the f16
// it was: rounding it back folds away. The f32 one is rounded.
// F16-LABEL:   tile.kernel @narrowed(
// F16-SAME:      meld.precision = "fp16"
// F16:           %[[W:.+]] = tile.load {{.+}} -> tensor<16x32xf16, #[[BW:[a-z0-9]+]]>
// F16:           arith.truncf %{{.+}} : tensor<32x16xf32, #{{.+}}> to tensor<32x16xf16
// F16-NOT:       arith.truncf
// F16:           tile_gpu.convert_layout %[[W]] : tensor<16x32xf16, #[[BW]]> -> tensor<16x32xf16, #dot{{[0-9]*}}>
tile.kernel @narrowed(%a: memref<512xf32>, %b: memref<512xf16>, %c: memref<1024xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 4096 : i64} {
  %ia = tile.iota 1 : tensor<32x16xindex>
  %ib = tile.iota 1 : tensor<16x32xindex>
  %ic = tile.iota 1 : tensor<32x32xindex>
  %x = tile.load %a[%ia] : memref<512xf32>[tensor<32x16xindex>] -> tensor<32x16xf32>
  %y16 = tile.load %b[%ib] : memref<512xf16>[tensor<16x32xindex>] -> tensor<16x32xf16>
  %y = arith.extf %y16 : tensor<16x32xf16> to tensor<16x32xf32>
  %zero = arith.constant dense<0.0> : tensor<32x32xf32>
  %p = tile.dot %x, %y, %zero : tensor<32x16xf32>, tensor<16x32xf32> -> tensor<32x32xf32>
  tile.store %p, %c[%ic] : tensor<32x32xf32>, memref<1024xf32>[tensor<32x32xindex>]
  tile.return
}

// -----

// 8 warps over a 128x64 accumulator: 4x2, whose 32x32 warp tiles read 64
// operand elements per K each (8x1's 16x64 tiles read 80). A kernel that
// reduces the rows of the product splits the rows first: 8x1, each warp
// holding whole rows.
// CHECK-DAG:   #[[SQUARE:.+]] = #tile_gpu.mma<version = 2, warpsPerCTA = [4, 2], instrShape = [16, 8]>
// CHECK-DAG:   #[[ROWS:.+]] = #tile_gpu.mma<version = 2, warpsPerCTA = [8, 1], instrShape = [16, 8]>
// CHECK-LABEL: tile.kernel @square_split(
// CHECK:         tile.dot {{.+}} -> tensor<128x64xf32, #[[SQUARE]]>
// CHECK-LABEL: tile.kernel @rows_split(
// CHECK:         tile.dot {{.+}} -> tensor<128x64xf32, #[[ROWS]]>
tile.kernel @square_split(%a: memref<2048xf32>, %b: memref<1024xf32>, %c: memref<8192xf32>) attributes {grid = array<i64: 1>, num_warps = 8 : i64, shared_bytes = 0 : i64} {
  %ia = tile.iota 1 : tensor<128x16xindex>
  %ib = tile.iota 1 : tensor<16x64xindex>
  %ic = tile.iota 1 : tensor<128x64xindex>
  %x = tile.load %a[%ia] : memref<2048xf32>[tensor<128x16xindex>] -> tensor<128x16xf32>
  %y = tile.load %b[%ib] : memref<1024xf32>[tensor<16x64xindex>] -> tensor<16x64xf32>
  %zero = arith.constant dense<0.0> : tensor<128x64xf32>
  %p = tile.dot %x, %y, %zero : tensor<128x16xf32>, tensor<16x64xf32> -> tensor<128x64xf32>
  tile.store %p, %c[%ic] : tensor<128x64xf32>, memref<8192xf32>[tensor<128x64xindex>]
  tile.return
}
tile.kernel @rows_split(%a: memref<2048xf32>, %b: memref<1024xf32>, %c: memref<128xf32>) attributes {grid = array<i64: 1>, num_warps = 8 : i64, shared_bytes = 0 : i64} {
  %ia = tile.iota 1 : tensor<128x16xindex>
  %ib = tile.iota 1 : tensor<16x64xindex>
  %ic = tile.iota 0 : tensor<128xindex>
  %x = tile.load %a[%ia] : memref<2048xf32>[tensor<128x16xindex>] -> tensor<128x16xf32>
  %y = tile.load %b[%ib] : memref<1024xf32>[tensor<16x64xindex>] -> tensor<16x64xf32>
  %zero = arith.constant dense<0.0> : tensor<128x64xf32>
  %p = tile.dot %x, %y, %zero : tensor<128x16xf32>, tensor<16x64xf32> -> tensor<128x64xf32>
  %e = math.exp %p : tensor<128x64xf32>
  %s = tile.reduce <sum>, %e {dim = 1 : i64} : tensor<128x64xf32> -> tensor<128xf32>
  tile.store %s, %c[%ic] : tensor<128xf32>, memref<128xf32>[tensor<128xindex>]
  tile.return
}
