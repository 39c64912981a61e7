// RUN: meld-opt %s | meld-opt | FileCheck %s

// A tile stored in shared memory for wgmma: A (order [1, 0]) and B (order
// [0, 1], K contiguous), with and without an offset yet; A of 16 rows
// stored as 64.
// CHECK-DAG: #[[SA:.+]] = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
// CHECK-DAG: #[[SB:.+]] = #tile_gpu.shared<swizzle = 64, order = [0, 1]>
// CHECK-DAG: #[[SP:.+]] = #tile_gpu.shared<swizzle = 128, order = [1, 0], rows = 64>
// CHECK-DAG: #[[SK:.+]] = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
// CHECK-LABEL: func.func @local_alloc(
// CHECK:         tile_gpu.local_alloc %{{.+}} {offset = 1024 : i64} : tensor<64x64xf16, #{{.+}}> -> tensor<64x64xf16, #[[SA]]>
// CHECK:         tile_gpu.local_alloc %{{.+}} : tensor<32x16xbf16, #{{.+}}> -> tensor<32x16xbf16, #[[SB]]>
// CHECK:         tile_gpu.local_alloc %{{.+}} : tensor<16x64xf16, #{{.+}}> -> tensor<16x64xf16, #[[SP]]>
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#sa = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 64, order = [0, 1]>
#sp = #tile_gpu.shared<swizzle = 128, order = [1, 0], rows = 64>
func.func @local_alloc(%a: tensor<64x64xf16, #blocked>, %b: tensor<32x16xbf16, #blocked>, %c: tensor<16x64xf16, #blocked>) {
  %0 = tile_gpu.local_alloc %a {offset = 1024 : i64} : tensor<64x64xf16, #blocked> -> tensor<64x64xf16, #sa>
  %1 = tile_gpu.local_alloc %b : tensor<32x16xbf16, #blocked> -> tensor<32x16xbf16, #sb>
  %2 = tile_gpu.local_alloc %c : tensor<16x64xf16, #blocked> -> tensor<16x64xf16, #sp>
  return
}

// A tile copied to shared memory asynchronously (into buffer %s, if %p),
// and the wait that completes it.
// CHECK-LABEL: func.func @async_load(
// CHECK:         %[[T:.+]] = tile_gpu.async_load %{{.+}}[%{{.+}}], %{{.+}} into %{{.+}} if %{{.+}} {contiguity = 8 : i64, offset = 2048 : i64} : memref<4096xbf16>[tensor<16x64xindex, #{{.+}}>], tensor<16x64xi1, #{{.+}}> -> tensor<16x64xbf16, #[[SA]]>
// CHECK:         %[[U:.+]] = tile_gpu.async_load %{{.+}}[%{{.+}}] into %{{.+}} {contiguity = 4 : i64} : memref<4096xbf16>[tensor<16x64xindex, #{{.+}}>] -> tensor<16x64xbf16, #[[SA]]>
// CHECK:         tile_gpu.async_wait %[[T]], %[[U]] {pending = 1 : i64} : tensor<16x64xbf16, #[[SA]]>, tensor<16x64xbf16, #[[SA]]> -> tensor<16x64xbf16, #[[SA]]>, tensor<16x64xbf16, #[[SA]]>
#runs = #tile_gpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
func.func @async_load(%w: memref<4096xbf16>, %i: tensor<16x64xindex, #runs>, %m: tensor<16x64xi1, #runs>, %s: index, %p: i1) {
  %0 = tile_gpu.async_load %w[%i], %m into %s if %p {contiguity = 8 : i64, offset = 2048 : i64} : memref<4096xbf16>[tensor<16x64xindex, #runs>], tensor<16x64xi1, #runs> -> tensor<16x64xbf16, #sa>
  %1 = tile_gpu.async_load %w[%i] into %s {contiguity = 4 : i64} : memref<4096xbf16>[tensor<16x64xindex, #runs>] -> tensor<16x64xbf16, #sa>
  %2:2 = tile_gpu.async_wait %0, %1 {pending = 1 : i64} : tensor<16x64xbf16, #sa>, tensor<16x64xbf16, #sa> -> tensor<16x64xbf16, #sa>, tensor<16x64xbf16, #sa>
  return
}

// A copied tile read into an mma.sync operand's registers.
// CHECK-LABEL: func.func @local_load(
// CHECK:         tile_gpu.local_load %{{.+}} : tensor<16x64xbf16, #[[SA]]> -> tensor<16x64xbf16, #{{.+}}>
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
#db = #tile_gpu.dot_operand<opIdx = 1, parent = #mma, kWidth = 2>
func.func @local_load(%s: tensor<16x64xbf16, #sa>) {
  %0 = tile_gpu.local_load %s : tensor<16x64xbf16, #sa> -> tensor<16x64xbf16, #db>
  return
}

// A box of a 2-D tensor (256 x 520 bf16, rows of 512 bytes) copied by the
// tensor memory accelerator (into buffer %s, if %p), and the wait on its
// buffer's mbarrier for the phase of parity %q.
// CHECK-LABEL: func.func @tma_load(
// CHECK:         %[[T:.+]] = tile_gpu.tma_load %{{.+}}[%{{.+}}, %{{.+}}] into %{{.+}} if %{{.+}} {dims = array<i64: 256, 520>, offset = 4096 : i64, strides = array<i64: 512>} : memref<133120xbf16> -> tensor<16x64xbf16, #[[SK]]>
// CHECK:         tile_gpu.tma_load %{{.+}}[%{{.+}}, %{{.+}}] into %{{.+}} {dims = array<i64: 256, 520>, strides = array<i64: 512>} : memref<133120xbf16> -> tensor<16x64xbf16, #[[SK]]>
// CHECK:         tile_gpu.tma_wait %[[T]] parity %{{.+}} : tensor<16x64xbf16, #[[SK]]>
#sk = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
func.func @tma_load(%w: memref<133120xbf16>, %k: index, %n: index, %s: index, %p: i1, %q: index) {
  %0 = tile_gpu.tma_load %w[%k, %n] into %s if %p {dims = array<i64: 256, 520>, strides = array<i64: 512>, offset = 4096 : i64} : memref<133120xbf16> -> tensor<16x64xbf16, #sk>
  %1 = tile_gpu.tma_load %w[%k, %n] into %s {dims = array<i64: 256, 520>, strides = array<i64: 512>} : memref<133120xbf16> -> tensor<16x64xbf16, #sk>
  %2 = tile_gpu.tma_wait %0 parity %q : tensor<16x64xbf16, #sk>
  return
}

// In a warp-specialized kernel: the producer's copy waits for the release
// of parity %q of its buffer; a consumer releases buffers (if %p).
// CHECK-LABEL: func.func @tma_release(
// CHECK:         %[[T:.+]] = tile_gpu.tma_load %{{.+}}[%{{.+}}, %{{.+}}] into %{{.+}} if %{{.+}} after release %{{.+}} {dims = array<i64: 256, 520>, strides = array<i64: 512>} : memref<133120xbf16> -> tensor<16x64xbf16, #[[SK]]>
// CHECK:         tile_gpu.tma_load %{{.+}}[%{{.+}}, %{{.+}}] into %{{.+}} after release %{{.+}} {dims
// CHECK:         tile_gpu.tma_release %[[T]], %[[T]] if %{{.+}} : tensor<16x64xbf16, #[[SK]]>, tensor<16x64xbf16, #[[SK]]>
// CHECK:         tile_gpu.tma_release %[[T]] : tensor<16x64xbf16, #[[SK]]>
func.func @tma_release(%w: memref<133120xbf16>, %k: index, %n: index, %s: index, %p: i1, %q: index) {
  %0 = tile_gpu.tma_load %w[%k, %n] into %s if %p after release %q {dims = array<i64: 256, 520>, strides = array<i64: 512>} : memref<133120xbf16> -> tensor<16x64xbf16, #sk>
  %1 = tile_gpu.tma_load %w[%k, %n] into %s after release %q {dims = array<i64: 256, 520>, strides = array<i64: 512>} : memref<133120xbf16> -> tensor<16x64xbf16, #sk>
  tile_gpu.tma_release %0, %0 if %p : tensor<16x64xbf16, #sk>, tensor<16x64xbf16, #sk>
  tile_gpu.tma_release %0 : tensor<16x64xbf16, #sk>
  return
}
