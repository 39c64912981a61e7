// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-configure-launch{num-warps=4},meld-tile-gpu-assign-layouts),meld-tile-to-gpu)' | FileCheck %s

// A pointwise kernel: one block of 128 threads per program; the 256-element
// tile is two consecutive elements per thread (2 * tid and 2 * tid + 1), so a
// warp's accesses coalesce. The load and store carry a proved contiguity (runs
// of 4, cut by the mask at 300), so each thread's pair is one 8-byte vector
// access under one predicate: the pair's mask, with no run-time test of the
// offsets. No shared memory, no barrier. Every buffer has fewer than 2^31
// elements, so index math is 32-bit. The kernel asks for the blocks per SM
// that leave a thread 128 registers (nvvm.minctasm: 4 of 128 threads; the
// driver gives the request up where ptxas would spill to meet it).
// CHECK:       module attributes {gpu.container_module}
// CHECK:       gpu.module @meld_kernels attributes {dlti.dl_spec = #dlti.dl_spec<index = 32 : i64>}
// CHECK-LABEL: gpu.func @scale(
// CHECK-SAME:    %[[IN:.+]]: memref<300xf32>, %[[OUT:.+]]: memref<300xf32>) kernel
// CHECK-SAME:    known_block_size = array<i32: 128, 1, 1>
// CHECK-SAME:    meld.grid = array<i64: 2>
// CHECK-SAME:    meld.shared_bytes = 0
// CHECK-SAME:    nvvm.minctasm = 4 : i32
// CHECK:         %[[TID:.+]] = gpu.thread_id x
// CHECK:         %[[BID:.+]] = gpu.block_id x
// CHECK:         arith.muli %[[TID]], %{{.+}} : index
// CHECK:         %[[PAIR:.+]]:2 = scf.if %{{.+}} -> (f32, f32) {
// CHECK-NEXT:      %[[V:.+]] = vector.load %[[IN]][%{{.+}}] {alignment = 8 : i64} : memref<300xf32>, vector<2xf32>
// CHECK-NEXT:      vector.extract %[[V]][0]
// CHECK-NEXT:      vector.extract %[[V]][1]
// CHECK-NEXT:      scf.yield
// CHECK-NEXT:    } else {
// CHECK-NEXT:      scf.yield %[[ZERO:.+]], %[[ZERO]] : f32, f32
// CHECK-NEXT:    }
// CHECK:         arith.mulf %[[PAIR]]#0
// CHECK:         arith.mulf %[[PAIR]]#1
// CHECK:         scf.if
// CHECK-NEXT:      vector.from_elements
// CHECK-NEXT:      vector.store %{{.+}}, %[[OUT]][%{{.+}}] {alignment = 8 : i64}
// CHECK-NEXT:    }
// CHECK-NOT:     memref.load
// CHECK-NOT:     memref.store
// CHECK-NOT:     gpu.barrier
// CHECK:         gpu.return
tile.kernel @scale(%in: memref<300xf32>, %out: memref<300xf32>) attributes {grid = array<i64: 2>} {
  %pid = tile.program_id 0
  %c256 = arith.constant 256 : index
  %base = arith.muli %pid, %c256 : index
  %s = tensor.splat %base : tensor<256xindex>
  %i = tile.iota 0 : tensor<256xindex>
  %offs = arith.addi %s, %i : tensor<256xindex>
  %n = arith.constant dense<300> : tensor<256xindex>
  %mask = arith.cmpi ult, %offs, %n : tensor<256xindex>
  %zero = arith.constant 0.0 : f32
  %x = tile.load %in[%offs], %mask, %zero {contiguity = 4 : i64} : memref<300xf32>[tensor<256xindex>], tensor<256xi1>, f32 -> tensor<256xf32>
  %two = arith.constant dense<2.0> : tensor<256xf32>
  %y = arith.mulf %x, %two : tensor<256xf32>
  tile.store %y, %out[%offs], %mask {contiguity = 4 : i64} : tensor<256xf32>, memref<300xf32>[tensor<256xindex>], tensor<256xi1>
  tile.return
}

// -----

// Without a proved contiguity, the same kernel goes element by element: each
// slot under its own mask, no vector access.
// CHECK-LABEL: gpu.func @scale_unproved(
// CHECK:         scf.if %{{.+}} -> (f32) {
// CHECK-NEXT:      memref.load
// CHECK:         scf.if %{{.+}} -> (f32) {
// CHECK-NEXT:      memref.load
// CHECK:         scf.if
// CHECK-NEXT:      memref.store
// CHECK:         scf.if
// CHECK-NEXT:      memref.store
// CHECK-NOT:     vector.load
// CHECK-NOT:     vector.store
// CHECK:         gpu.return
tile.kernel @scale_unproved(%in: memref<300xf32>, %out: memref<300xf32>) attributes {grid = array<i64: 2>} {
  %pid = tile.program_id 0
  %c256 = arith.constant 256 : index
  %base = arith.muli %pid, %c256 : index
  %s = tensor.splat %base : tensor<256xindex>
  %i = tile.iota 0 : tensor<256xindex>
  %offs = arith.addi %s, %i : tensor<256xindex>
  %n = arith.constant dense<300> : tensor<256xindex>
  %mask = arith.cmpi ult, %offs, %n : tensor<256xindex>
  %zero = arith.constant 0.0 : f32
  %x = tile.load %in[%offs], %mask, %zero : memref<300xf32>[tensor<256xindex>], tensor<256xi1>, f32 -> tensor<256xf32>
  %two = arith.constant dense<2.0> : tensor<256xf32>
  %y = arith.mulf %x, %two : tensor<256xf32>
  tile.store %y, %out[%offs], %mask : tensor<256xf32>, memref<300xf32>[tensor<256xindex>], tensor<256xi1>
  tile.return
}

// -----

// A row reduction: the input goes to shared memory between barriers; 16 lanes
// share each of the 8 rows (strided partial sums, then a butterfly of
// shuffles at distances 8, 4, 2, 1); lane 0 of each group writes the row's
// result to shared memory, read back after a barrier. The input's rows are
// padded by a word (a stride of 65), so that the two groups of a warp, on
// rows 65 words apart, read different banks. Scratch: 8x65 + 8 f32. The
// scratch is the launch's dynamic shared memory.
// CHECK-LABEL: gpu.func @rowsum(
// CHECK-SAME:    meld.shared_bytes = 2112
// CHECK:         %[[SMEM:.+]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK:         gpu.barrier
// CHECK:         %[[IN:.+]] = memref.view %[[SMEM]]
// CHECK-SAME:      to memref<520xf32, #gpu.address_space<workgroup>>
// CHECK:         arith.constant 65 : index
// CHECK:         memref.store %{{.+}}, %[[IN]]
// CHECK:         gpu.barrier
// CHECK:         arith.constant 65 : index
// CHECK:         scf.for
// CHECK:           memref.load %[[IN]]
// CHECK:           arith.addf
// CHECK:         gpu.shuffle  xor %{{.+}}, %{{.+}}, %{{.+}} : f32
// CHECK:         gpu.shuffle  xor
// CHECK:         gpu.shuffle  xor
// CHECK:         gpu.shuffle  xor
// CHECK-NOT:     gpu.shuffle
// CHECK:         gpu.barrier
tile.kernel @rowsum(%in: memref<512xf32>, %out: memref<8xf32>) attributes {grid = array<i64: 1>} {
  %offs = tile.iota 1 : tensor<8x64xindex>
  %x = tile.load %in[%offs] : memref<512xf32>[tensor<8x64xindex>] -> tensor<8x64xf32>
  %s = tile.reduce <sum>, %x {dim = 1 : i64} : tensor<8x64xf32> -> tensor<8xf32>
  %o = tile.iota 0 : tensor<8xindex>
  tile.store %s, %out[%o] : tensor<8xf32>, memref<8xf32>[tensor<8xindex>]
  tile.return
}

// -----

// tensor.extract makes a program's scalar of a rank-0 tile (the maximum of a
// reduction) for a loop bound: the thread holding it (thread 0, the one whose
// coordinate in the layout's [1] is below 1) writes its element to shared
// memory, and after a barrier every thread reads it, so the bound is the same
// in each thread of the block.
// CHECK-LABEL: gpu.func @bound(
// CHECK:         %[[TID:.+]] = gpu.thread_id  x
// The reduction's result, read back:
// CHECK:         memref.load %{{.+}} : memref<1xf32, #gpu.address_space<workgroup>>
// CHECK:         gpu.barrier
// CHECK:         %[[VIEW:.+]] = memref.view %{{.+}} to memref<1xf32, #gpu.address_space<workgroup>>
// CHECK-NEXT:    %[[ONE:.+]] = arith.constant 1 : index
// CHECK-NEXT:    %[[FIRST:.+]] = arith.cmpi ult, %[[TID]], %[[ONE]] : index
// CHECK-NEXT:    scf.if %[[FIRST]] {
// CHECK-NEXT:      arith.constant 0
// CHECK-NEXT:      memref.store %{{.+}}, %[[VIEW]][%{{.+}}] : memref<1xf32, #gpu.address_space<workgroup>>
// CHECK-NEXT:    }
// CHECK-NEXT:    gpu.barrier
// CHECK-NEXT:    arith.constant 0
// CHECK-NEXT:    %[[SCALAR:.+]] = memref.load %[[VIEW]][%{{.+}}]
// CHECK-NEXT:    arith.fptosi %[[SCALAR]] : f32 to i64
// CHECK:         scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args
tile.kernel @bound(%in: memref<8xf32>, %out: memref<8xf32>) attributes {grid = array<i64: 1>} {
  %offs = tile.iota 0 : tensor<8xindex>
  %x = tile.load %in[%offs] : memref<8xf32>[tensor<8xindex>] -> tensor<8xf32>
  %m = tile.reduce <max>, %x {dim = 0 : i64} : tensor<8xf32> -> tensor<f32>
  %s = tensor.extract %m[] : tensor<f32>
  %n = arith.fptosi %s : f32 to i64
  %ub = arith.index_cast %n : i64 to index
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant dense<0.0> : tensor<8xf32>
  %r = scf.for %i = %c0 to %ub step %c1 iter_args(%acc = %zero) -> (tensor<8xf32>) {
    %y = arith.addf %acc, %x : tensor<8xf32>
    scf.yield %y : tensor<8xf32>
  }
  tile.store %r, %out[%offs] : tensor<8xf32>, memref<8xf32>[tensor<8xindex>]
  tile.return
}

// -----

// tile.dot stages A (32x16) and B (16x8) in shared memory; each thread then
// computes its two result elements (one row, two adjacent columns) from
// there, register-blocked: one loop over K in steps of 4, each step reading
// the row's 4 elements of A as one vector, and per k the two columns of B as
// one vector, each used by both products.
// CHECK-LABEL: gpu.func @mm(
// CHECK-SAME:    meld.shared_bytes = 2560
// CHECK:         gpu.dynamic_shared_memory
// CHECK:         gpu.barrier
// CHECK:         %[[A:.+]] = memref.view {{.+}} to memref<512xf32, #gpu.address_space<workgroup>>
// CHECK:         %[[B:.+]] = memref.view {{.+}} to memref<128xf32, #gpu.address_space<workgroup>>
// CHECK:         gpu.barrier
// CHECK:         scf.for %{{.+}} = %{{.+}} to %c16{{(_[0-9]+)?}} step %c4{{(_[0-9]+)?}} iter_args({{.+}}) -> (f32, f32)
// CHECK:           %[[ROW:.+]] = vector.load %[[A]][%{{.+}}] {alignment = 16 : i64} : {{.+}}, vector<4xf32>
// CHECK-COUNT-4:   vector.extract %[[ROW]]
// CHECK-NOT:       memref.load
// CHECK:           %[[COLS:.+]] = vector.load %[[B]][%{{.+}}] {alignment = 8 : i64} : {{.+}}, vector<2xf32>
// CHECK:           %[[B0:.+]] = vector.extract %[[COLS]][0]
// CHECK:           %[[B1:.+]] = vector.extract %[[COLS]][1]
// CHECK:           arith.mulf %{{.+}}, %[[B0]]
// CHECK:           arith.addf
// CHECK:           arith.mulf %{{.+}}, %[[B1]]
// CHECK:           arith.addf
// CHECK-COUNT-3:   vector.load %[[B]]
// CHECK-NOT:       vector.load
// CHECK:           scf.yield
tile.kernel @mm(%a: memref<512xf32>, %b: memref<128xf32>, %c: memref<256xf32>) attributes {grid = array<i64: 1>} {
  %ia = tile.iota 1 : tensor<32x16xindex>
  %ib = tile.iota 1 : tensor<16x8xindex>
  %ic = tile.iota 1 : tensor<32x8xindex>
  %ta = tile.load %a[%ia] : memref<512xf32>[tensor<32x16xindex>] -> tensor<32x16xf32>
  %tb = tile.load %b[%ib] : memref<128xf32>[tensor<16x8xindex>] -> tensor<16x8xf32>
  %acc = arith.constant dense<0.0> : tensor<32x8xf32>
  %r = tile.dot %ta, %tb, %acc : tensor<32x16xf32>, tensor<16x8xf32> -> tensor<32x8xf32>
  tile.store %r, %c[%ic] : tensor<32x8xf32>, memref<256xf32>[tensor<32x8xindex>]
  tile.return
}

// -----

// A fault: each thread checks its own elements (here one of the 64, on 128
// threads: slots past the tile are skipped); where one is set, an atomic
// exchange on the status in global memory claims it and the claimant stores
// the site and the detail. No communication, no barrier.
// CHECK-LABEL: gpu.func @check(
// CHECK-SAME:    %[[IDS:.+]]: memref<41xi64>, %[[STATUS:.+]]: memref<3xi64>) kernel
// CHECK:         %[[TID:.+]] = gpu.thread_id x
// CHECK:         %[[IDX:.+]] = scf.if %{{.+}} -> (i64) {
// CHECK:           memref.load %[[IDS]][%[[TID]]]
// CHECK:         %[[HIGH:.+]] = arith.cmpi sge, %[[IDX]]
// CHECK:         %[[BAD:.+]] = arith.andi %{{.+}}, %[[HIGH]] : i1
// CHECK:         %[[SLOT:.+]] = arith.cmpi ult, %[[TID]], %{{.+}} : index
// CHECK:         %[[RECORD:.+]] = arith.andi %[[SLOT]], %[[BAD]] : i1
// CHECK:         scf.if %[[RECORD]] {
// CHECK:           %[[BEFORE:.+]] = memref.atomic_rmw assign %{{.+}}, %[[STATUS]][%{{.+}}] : (i64, memref<3xi64>) -> i64
// CHECK:           %[[WON:.+]] = arith.cmpi eq, %[[BEFORE]]
// CHECK:           scf.if %[[WON]] {
// CHECK:             %[[SITE:.+]] = arith.constant 7 : i64
// CHECK:             memref.store %[[SITE]], %[[STATUS]]
// CHECK:             memref.store %[[IDX]], %[[STATUS]]
// CHECK-NOT:     gpu.barrier
// CHECK:         gpu.return
tile.kernel @check(%ids: memref<41xi64>, %status: memref<3xi64>)
    attributes {grid = array<i64: 1>} {
  %offs = tile.iota 0 : tensor<64xindex>
  %n = arith.constant dense<41> : tensor<64xindex>
  %mask = arith.cmpi ult, %offs, %n : tensor<64xindex>
  %zero = arith.constant 0 : i64
  %idx = tile.load %ids[%offs], %mask, %zero : memref<41xi64>[tensor<64xindex>], tensor<64xi1>, i64 -> tensor<64xi64>
  %size = arith.constant dense<1000> : tensor<64xi64>
  %high = arith.cmpi sge, %idx, %size : tensor<64xi64>
  %bad = arith.andi %mask, %high : tensor<64xi1>
  tile.fault %bad, %idx, %status {message = "index {} is out of range for axis 0 of size 1000", site = 7 : i32} : tensor<64xi1>, tensor<64xi64>, memref<3xi64>
  tile.return
}

// -----

// A buffer of 2^31 elements needs 64-bit index math: no data layout.
// CHECK:       gpu.module @meld_kernels {
// CHECK-LABEL: gpu.func @huge(
tile.kernel @huge(%in: memref<2147483648xi8>) attributes {grid = array<i64: 1>} {
  tile.return
}

// -----

// A branch on the program id (a kernel of several matrix products, each
// program computing a tile of one): the block takes one side, whose tile ops
// are distributed over its threads as anywhere else.
// CHECK-LABEL: gpu.func @parts(
// CHECK:         %[[BID:.+]] = gpu.block_id x
// CHECK:         %[[FIRST:.+]] = arith.cmpi ult, %[[BID]], %{{.+}} : index
// CHECK:         scf.if %[[FIRST]] {
// CHECK:           memref.store %{{.+}}, %arg0[
// CHECK:         } else {
// CHECK:           memref.store %{{.+}}, %arg1[
// CHECK:         }
tile.kernel @parts(%y: memref<256xf32>, %z: memref<256xf32>) attributes {grid = array<i64: 2>} {
  %pid = tile.program_id 0
  %c1 = arith.constant 1 : index
  %first = arith.cmpi ult, %pid, %c1 : index
  %o = tile.iota 0 : tensor<256xindex>
  scf.if %first {
    %one = arith.constant dense<1.0> : tensor<256xf32>
    tile.store %one, %y[%o] : tensor<256xf32>, memref<256xf32>[tensor<256xindex>]
  } else {
    %two = arith.constant dense<2.0> : tensor<256xf32>
    tile.store %two, %z[%o] : tensor<256xf32>, memref<256xf32>[tensor<256xindex>]
  }
  tile.return
}

// -----

// A product on tensor cores: a 16x32 accumulator over four warps side by
// side is one 16x8 block per warp, K = 16 two blocks of 8, so two
// mma.sync.m16n8k8 on tf32, the second accumulating the first. The operands
// come through shared memory in their dot operand layouts and are rounded to
// tf32 (to nearest, ties away: the bits + 0x1000, the low 13 cleared; NaN
// kept); the accumulator never leaves the registers. In shared memory each
// row's 16-byte chunks are permuted (XOR with the row's phase) so that the
// lanes reading a fragment's column hit different banks; A's pairs of
// consecutive elements are written as one vector store.
// CHECK-LABEL: gpu.func @tensor_cores(
// CHECK:         gpu.barrier
// CHECK:         arith.xori
// CHECK:         vector.store %{{.+}} : memref<256xf32, #gpu.address_space<workgroup>>, vector<2xf32>
// CHECK:         gpu.barrier
// CHECK:         arith.xori
// CHECK:         memref.load
// CHECK-COUNT-2: gpu.barrier
// CHECK:         %[[HALF:.+]] = arith.constant 4096 : i32
// CHECK:         %[[MASK:.+]] = arith.constant -8192 : i32
// CHECK:         %[[UP:.+]] = arith.addi %{{.+}}, %[[HALF]] : i32
// CHECK:         arith.andi %[[UP]], %[[MASK]] : i32
// CHECK:         arith.cmpf uno
// CHECK:         %[[D0:.+]] = nvgpu.mma.sync(%{{.+}}, %{{.+}}, %{{.+}}) {mmaShape = [16, 8, 8], tf32Enabled} : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK:         %[[D1:.+]] = nvgpu.mma.sync(%{{.+}}, %{{.+}}, %[[D0]]) {mmaShape = [16, 8, 8], tf32Enabled}
// CHECK-NOT:     nvgpu.mma.sync
// CHECK-NOT:     gpu.barrier
// CHECK:         vector.extract %[[D1]][1, 1]
// CHECK:         gpu.return
#bA = #tile_gpu.blocked<sizePerThread = [1, 2], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#bB = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [1, 4], instrShape = [16, 8]>
#a = #tile_gpu.dot_operand<opIdx = 0, parent = #mma, kWidth = 1>
#b = #tile_gpu.dot_operand<opIdx = 1, parent = #mma, kWidth = 1>
tile.kernel @tensor_cores(%in: memref<512xf32>, %out: memref<512xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 2048 : i64} {
  %ia = tile.iota 1 : tensor<16x16xindex, #bA>
  %ib = tile.iota 1 : tensor<16x32xindex, #bB>
  %x = tile.load %in[%ia] : memref<512xf32>[tensor<16x16xindex, #bA>] -> tensor<16x16xf32, #bA>
  %y = tile.load %in[%ib] : memref<512xf32>[tensor<16x32xindex, #bB>] -> tensor<16x32xf32, #bB>
  %xa = tile_gpu.convert_layout %x : tensor<16x16xf32, #bA> -> tensor<16x16xf32, #a>
  %yb = tile_gpu.convert_layout %y : tensor<16x32xf32, #bB> -> tensor<16x32xf32, #b>
  %zero = arith.constant dense<0.0> : tensor<16x32xf32, #mma>
  %p = tile.dot %xa, %yb, %zero : tensor<16x16xf32, #a>, tensor<16x32xf32, #b> -> tensor<16x32xf32, #mma>
  %io = tile.iota 1 : tensor<16x32xindex, #mma>
  tile.store %p, %out[%io] : tensor<16x32xf32, #mma>, memref<512xf32>[tensor<16x32xindex, #mma>]
  tile.return
}

// -----

// 16-bit operands reach their registers with ldmatrix: after the staging
// stores, A (16x16, one m16n8k16 block) is one ldmatrix .x4 per warp, each
// lane giving the address of row lane % 8 + 8 ((lane / 8) % 2) at k 8 (lane
// / 16) (a 16-byte chunk, swizzled); B (16x32, a k16 x n8 block per warp) is
// one ldmatrix .x2.trans, lane giving k-row lane % 16 at its warp's 8
// columns. No scalar shared loads remain.
// CHECK-LABEL: gpu.func @ldmatrix_operands(
// CHECK:         gpu.barrier
// CHECK:         %[[AV:.+]] = memref.view {{.+}} to memref<256xf16, #gpu.address_space<workgroup>>
// CHECK:         gpu.barrier
// CHECK:         arith.xori
// CHECK:         %[[AF:.+]] = nvgpu.ldmatrix %[[AV]][%{{.+}}] {numTiles = 4 : i32, transpose = false} : memref<256xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// CHECK:         gpu.barrier
// CHECK:         %[[BV:.+]] = memref.view {{.+}} to memref<512xf16, #gpu.address_space<workgroup>>
// CHECK:         gpu.barrier
// CHECK:         arith.xori
// CHECK:         %[[BF:.+]] = nvgpu.ldmatrix %[[BV]][%{{.+}}] {numTiles = 2 : i32, transpose = true} : memref<512xf16, #gpu.address_space<workgroup>> -> vector<2x2xf16>
// CHECK-NOT:     memref.load
// CHECK:         nvvm.mma.sync
// CHECK-NOT:     nvgpu.ldmatrix
// CHECK:         gpu.return
#bA = #tile_gpu.blocked<sizePerThread = [1, 2], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#bB = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [1, 4], instrShape = [16, 8]>
#a = #tile_gpu.dot_operand<opIdx = 0, parent = #mma, kWidth = 2>
#b = #tile_gpu.dot_operand<opIdx = 1, parent = #mma, kWidth = 2>
tile.kernel @ldmatrix_operands(%in: memref<512xf16>, %out: memref<512xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 1024 : i64} {
  %ia = tile.iota 1 : tensor<16x16xindex, #bA>
  %ib = tile.iota 1 : tensor<16x32xindex, #bB>
  %x = tile.load %in[%ia] : memref<512xf16>[tensor<16x16xindex, #bA>] -> tensor<16x16xf16, #bA>
  %y = tile.load %in[%ib] : memref<512xf16>[tensor<16x32xindex, #bB>] -> tensor<16x32xf16, #bB>
  %xa = tile_gpu.convert_layout %x : tensor<16x16xf16, #bA> -> tensor<16x16xf16, #a>
  %yb = tile_gpu.convert_layout %y : tensor<16x32xf16, #bB> -> tensor<16x32xf16, #b>
  %zero = arith.constant dense<0.0> : tensor<16x32xf32, #mma>
  %p = tile.dot %xa, %yb, %zero : tensor<16x16xf16, #a>, tensor<16x32xf16, #b> -> tensor<16x32xf32, #mma>
  %io = tile.iota 1 : tensor<16x32xindex, #mma>
  tile.store %p, %out[%io] : tensor<16x32xf32, #mma>, memref<512xf32>[tensor<16x32xindex, #mma>]
  tile.return
}

// -----

// A tile whose elements several warps hold (A of a product over 2x2 warps:
// the two warps of a row of warps hold the same rows) is written to shared
// memory by the first copy only: warp % 2 == 0.
// CHECK-LABEL: gpu.func @copies(
// CHECK:         %[[TID:.+]] = gpu.thread_id x
// CHECK:         %[[WARP:.+]] = arith.divui %[[TID]], %{{.+}} : index
// CHECK:         %[[COL:.+]] = arith.remui %[[WARP]], %{{.+}} : index
// CHECK:         %[[FIRST:.+]] = arith.cmpi eq, %[[COL]], %{{.+}} : index
// CHECK:         scf.if %[[FIRST]] {
// CHECK-NOT:     }
// CHECK:           memref.store
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
#a = #tile_gpu.dot_operand<opIdx = 0, parent = #mma, kWidth = 1>
tile.kernel @copies(%out: memref<1024xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 4096 : i64} {
  %x = arith.constant dense<1.0> : tensor<32x32xf32, #a>
  %y = tile_gpu.convert_layout %x : tensor<32x32xf32, #a> -> tensor<32x32xf32, #blocked>
  %i = tile.iota 1 : tensor<32x32xindex, #blocked>
  tile.store %y, %out[%i] : tensor<32x32xf32, #blocked>, memref<1024xf32>[tensor<32x32xindex, #blocked>]
  tile.return
}

// -----

// A conversion of a boolean tile stages it element by element: a vector of
// i1 would be packed bits, not the bytes each element takes in memory.
// CHECK-LABEL: gpu.func @booleans(
// CHECK-NOT:     vector.store
// CHECK:         memref.store %{{.+}} : memref<1024xi1, #gpu.address_space<workgroup>>
// CHECK-NOT:     vector.store
// CHECK:         gpu.barrier
// CHECK:         memref.load %{{.+}} : memref<1024xi1, #gpu.address_space<workgroup>>
#rows = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#cols = #tile_gpu.blocked<sizePerThread = [4, 1], threadsPerWarp = [8, 4], warpsPerCTA = [1, 4], order = [0, 1]>
tile.kernel @booleans(%in: memref<1024xf32>, %out: memref<1024xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 1024 : i64} {
  %i = tile.iota 1 : tensor<32x32xindex, #rows>
  %x = tile.load %in[%i] : memref<1024xf32>[tensor<32x32xindex, #rows>] -> tensor<32x32xf32, #rows>
  %zero = arith.constant dense<0.0> : tensor<32x32xf32, #rows>
  %m = arith.cmpf olt, %x, %zero : tensor<32x32xf32, #rows>
  %mc = tile_gpu.convert_layout %m : tensor<32x32xi1, #rows> -> tensor<32x32xi1, #cols>
  %j = tile.iota 1 : tensor<32x32xindex, #cols>
  %y = tile.load %in[%j] : memref<1024xf32>[tensor<32x32xindex, #cols>] -> tensor<32x32xf32, #cols>
  %z = arith.constant dense<0.0> : tensor<32x32xf32, #cols>
  %r = arith.select %mc, %y, %z : tensor<32x32xi1, #cols>, tensor<32x32xf32, #cols>
  tile.store %r, %out[%j] : tensor<32x32xf32, #cols>, memref<1024xf32>[tensor<32x32xindex, #cols>]
  tile.return
}

// -----

// A product on wgmma (sm_90a): A (64x32 f16) and B (32x32 f16) stored in
// shared memory with K contiguous and a 64-byte swizzle (each element's
// 16-byte chunk XORed with bits 7.. of its offset), A as vectors along its
// rows, B one element at a time (its K runs down the columns of its
// registers' layout); each followed by fence.proxy.async for the tensor
// cores and a barrier. Then, between wgmma.fence and the commit, two
// m64n32k16 instructions (K = 32) accumulate into the 16 registers of the
// thread's warpgroup block, from descriptors built on the shared memory's
// address; the wait comes before any register is read.
// CHECK-LABEL: gpu.func @wgmma(
// CHECK:         gpu.barrier
// CHECK:         arith.xori
// CHECK:         vector.store %{{.+}} : memref<{{[0-9]+}}xf16, #gpu.address_space<workgroup>>, vector<4xf16>
// CHECK:         nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT:    gpu.barrier
// CHECK:         memref.store %{{.+}} : memref<{{[0-9]+}}xf16, #gpu.address_space<workgroup>>
// CHECK:         nvvm.fence.proxy
// CHECK-NEXT:    gpu.barrier
// CHECK:         memref.extract_aligned_pointer_as_index
// CHECK:         nvvm.wgmma.fence.aligned
// CHECK:         %[[W0:.+]] = nvvm.wgmma.mma_async %{{.+}}, %{{.+}}, %{{.+}}, <m = 64, n = 32, k = 16>, D[<f32>, <one>], A[<f16>, <one>, <row>], B[<f16>, <one>, <col>] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)>
// CHECK:         %[[W1:.+]] = nvvm.wgmma.mma_async %{{.+}}, %{{.+}}, %[[W0]], <m = 64, n = 32, k = 16>
// CHECK-NEXT:    nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT:    nvvm.wgmma.wait.group.sync.aligned 0
// CHECK-NEXT:    llvm.extractvalue %[[W1]][0]
// CHECK-NOT:     nvvm.wgmma.mma_async
// CHECK:         gpu.return
#bA = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 64, order = [0, 1]>
tile.kernel @wgmma(%in: memref<4096xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 6144 : i64} {
  %ia = tile.iota 1 : tensor<64x32xindex, #bA>
  %ib = tile.iota 1 : tensor<32x32xindex, #bA>
  %x = tile.load %in[%ia] : memref<4096xf16>[tensor<64x32xindex, #bA>] -> tensor<64x32xf16, #bA>
  %y = tile.load %in[%ib] : memref<4096xf16>[tensor<32x32xindex, #bA>] -> tensor<32x32xf16, #bA>
  %xs = tile_gpu.local_alloc %x {offset = 0 : i64} : tensor<64x32xf16, #bA> -> tensor<64x32xf16, #sa>
  %ys = tile_gpu.local_alloc %y {offset = 4096 : i64} : tensor<32x32xf16, #bA> -> tensor<32x32xf16, #sb>
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wgmma>
  %p = tile.dot %xs, %ys, %zero : tensor<64x32xf16, #sa>, tensor<32x32xf16, #sb> -> tensor<64x32xf32, #wgmma>
  %io = tile.iota 1 : tensor<64x32xindex, #wgmma>
  tile.store %p, %out[%io] : tensor<64x32xf32, #wgmma>, memref<2048xf32>[tensor<64x32xindex, #wgmma>]
  tile.return
}

// -----

// A pipelined K loop (tile_gpu.stages = 2): each iteration stores its
// operands in buffer (k / 16) % 2 (A at 0 or 2048, B at 4096 or 6144 bytes),
// waits after its product (in flight) for all but the newest group, and the
// loop waits for all of them when it ends, before the accumulator is stored.
// CHECK-LABEL: gpu.func @pipelined(
// CHECK:         scf.for %[[K:.+]] = %[[LB:.+]] to %{{.+}} step %[[STEP:[^ ]+]]
// CHECK:           %[[ITER:.+]] = arith.divui %{{.+}}, %[[STEP]] : index
// CHECK:           %[[STAGE:.+]] = arith.remui %[[ITER]], %{{.+}} : index
// CHECK:           arith.muli %[[STAGE]], %{{.+}} : index
// CHECK:           nvvm.wgmma.mma_async
// CHECK:           nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT:      nvvm.wgmma.wait.group.sync.aligned 1
// CHECK:         } {llvm.loop_annotation = #{{.+}}}
// CHECK-NEXT:    nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:         memref.store
#bl = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wg = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @pipelined(%a: memref<4096xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 8192 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wg>
  %ia = tile.iota 1 : tensor<64x16xindex, #bl>
  %ib = tile.iota 1 : tensor<16x32xindex, #bl>
  %r = scf.for %k = %c0 to %c64 step %c16 iter_args(%acc = %zero) -> (tensor<64x32xf32, #wg>) {
    %x = tile.load %a[%ia] : memref<4096xf16>[tensor<64x16xindex, #bl>] -> tensor<64x16xf16, #bl>
    %y = tile.load %a[%ib] : memref<4096xf16>[tensor<16x32xindex, #bl>] -> tensor<16x32xf16, #bl>
    %xs = tile_gpu.local_alloc %x {offset = 0 : i64} : tensor<64x16xf16, #bl> -> tensor<64x16xf16, #sa>
    %ys = tile_gpu.local_alloc %y {offset = 4096 : i64} : tensor<16x32xf16, #bl> -> tensor<16x32xf16, #sb>
    %p = tile.dot %xs, %ys, %acc {tile_gpu.in_flight} : tensor<64x16xf16, #sa>, tensor<16x32xf16, #sb> -> tensor<64x32xf32, #wg>
    scf.yield %p : tensor<64x32xf32, #wg>
  } {tile_gpu.stages = 2 : i64}
  %io = tile.iota 1 : tensor<64x32xindex, #wg>
  tile.store %r, %out[%io] : tensor<64x32xf32, #wg>, memref<2048xf32>[tensor<64x32xindex, #wg>]
  tile.return
}

// -----

// In a pipelined loop, a product not marked tile_gpu.in_flight (here, its
// result is read in its iteration) completes in its iteration: its
// operands still rotate through the buffers.
// CHECK-LABEL: gpu.func @rotated(
// CHECK:         scf.for
// CHECK:           arith.remui
// CHECK:           nvvm.wgmma.mma_async
// CHECK:           nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT:      nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:           arith.addf
// CHECK:         } {llvm.loop_annotation = #{{.+}}}
#bl = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wg = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @rotated(%a: memref<4096xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 8192 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wg>
  %ia = tile.iota 1 : tensor<64x16xindex, #bl>
  %ib = tile.iota 1 : tensor<16x32xindex, #bl>
  %r = scf.for %k = %c0 to %c64 step %c16 iter_args(%acc = %zero) -> (tensor<64x32xf32, #wg>) {
    %x = tile.load %a[%ia] : memref<4096xf16>[tensor<64x16xindex, #bl>] -> tensor<64x16xf16, #bl>
    %y = tile.load %a[%ib] : memref<4096xf16>[tensor<16x32xindex, #bl>] -> tensor<16x32xf16, #bl>
    %xs = tile_gpu.local_alloc %x {offset = 0 : i64} : tensor<64x16xf16, #bl> -> tensor<64x16xf16, #sa>
    %ys = tile_gpu.local_alloc %y {offset = 4096 : i64} : tensor<16x32xf16, #bl> -> tensor<16x32xf16, #sb>
    %p = tile.dot %xs, %ys, %zero : tensor<64x16xf16, #sa>, tensor<16x32xf16, #sb> -> tensor<64x32xf32, #wg>
    %s = arith.addf %acc, %p : tensor<64x32xf32, #wg>
    scf.yield %s : tensor<64x32xf32, #wg>
  } {tile_gpu.stages = 2 : i64}
  %io = tile.iota 1 : tensor<64x32xindex, #wg>
  tile.store %r, %out[%io] : tensor<64x32xf32, #wg>, memref<2048xf32>[tensor<64x32xindex, #wg>]
  tile.return
}

// -----

// A row reduction into the slice of its input's layout (wgmma's
// accumulator, whose warps hold whole rows) and the broadcast back: each
// thread combines its 8 slots of each of its 2 rows, then the 4 lanes of
// its quad exchange theirs (shuffles xor 1 and 2); the broadcast takes the
// row's value from the thread's own registers. Neither meets the block or
// touches shared memory; the loop carries each thread's 2 row maxima and
// sums.
// CHECK-LABEL: gpu.func @rows_in_registers(
// CHECK:         scf.for {{.+}} -> (f32, f32, f32, f32)
// CHECK-NOT:       gpu.barrier
// CHECK-NOT:       memref.store
// CHECK-COUNT-7:   arith.maximumf
// CHECK:           gpu.shuffle  xor %{{.+}}, %c1_i32
// CHECK:           gpu.shuffle  xor %{{.+}}, %c2_i32
// CHECK-NOT:       gpu.barrier
// CHECK-NOT:       memref.store
// CHECK:           scf.yield
#mma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
tile.kernel @rows_in_registers(%arg0: memref<8192xf32>, %arg1: memref<64xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %cst = arith.constant dense<0.000000e+00> : tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #mma>>
  %cst_0 = arith.constant dense<0xFF800000> : tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #mma>>
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  %0 = tile.iota 1 : tensor<64x32xindex, #mma>
  %1:2 = scf.for %arg2 = %c0 to %c128 step %c32 iter_args(%arg3 = %cst_0, %arg4 = %cst) -> (tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #mma>>, tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #mma>>) {
    %4 = tile.load %arg0[%0] : memref<8192xf32>[tensor<64x32xindex, #mma>] -> tensor<64x32xf32, #mma>
    %5 = tile.reduce <max>, %4 {dim = 1 : i64} : tensor<64x32xf32, #mma> -> tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #mma>>
    %6 = arith.maximumf %arg3, %5 : tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #mma>>
    %7 = tile.broadcast %6 {dims = array<i64: 1>} : tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #mma>> -> tensor<64x32xf32, #mma>
    %8 = arith.subf %4, %7 : tensor<64x32xf32, #mma>
    %9 = math.exp %8 : tensor<64x32xf32, #mma>
    %10 = tile.reduce <sum>, %9 {dim = 1 : i64} : tensor<64x32xf32, #mma> -> tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #mma>>
    %11 = arith.addf %arg4, %10 : tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #mma>>
    scf.yield %6, %11 : tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #mma>>, tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #mma>>
  }
  %2 = tile.iota 0 : tensor<64xindex, #tile_gpu.slice<dim = 1, parent = #mma>>
  %3 = arith.divf %1#0, %1#1 : tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #mma>>
  tile.store %3, %arg1[%2] : tensor<64xf32, #tile_gpu.slice<dim = 1, parent = #mma>>, memref<64xf32>[tensor<64xindex, #tile_gpu.slice<dim = 1, parent = #mma>>]
  tile.return
}


// -----

// A conversion between wgmma accumulators of instruction widths 32 and 64
// over a 64x64 tile: both put each element in the same register of the
// same thread, so the conversion moves no data and stages nothing (the
// kernel has no shared memory at all).
// CHECK-LABEL: gpu.func @same_registers(
// CHECK-NOT:     gpu.barrier
// CHECK-NOT:     memref.view
// CHECK:         gpu.return
#w32 = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#w64 = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 64]>
tile.kernel @same_registers(%in: memref<4096xf32>, %out: memref<4096xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %i = tile.iota 1 : tensor<64x64xindex, #w32>
  %x = tile.load %in[%i] : memref<4096xf32>[tensor<64x64xindex, #w32>] -> tensor<64x64xf32, #w32>
  %y = tile_gpu.convert_layout %x : tensor<64x64xf32, #w32> -> tensor<64x64xf32, #w64>
  %j = tile.iota 1 : tensor<64x64xindex, #w64>
  tile.store %y, %out[%j] : tensor<64x64xf32, #w64>, memref<4096xf32>[tensor<64x64xindex, #w64>]
  tile.return
}

// -----

// FlashAttention-2's P in registers: an mma.sync accumulator whose warps
// hold whole rows (warpsPerCTA [4, 1]), rounded to bf16, is the A operand
// of m16n8k16 as it is: the accumulator's two 16x8 blocks of each 16
// columns hold (g, 2t + e), (g + 8, 2t + e), (g, 8 + 2t + e),
// (g + 8, 8 + 2t + e), A's four registers of a 16x16 block the same, in
// the same order. The conversion moves no data and stages nothing (the
// kernel has no shared memory).
// CHECK-LABEL: gpu.func @p_as_a(
// CHECK-NOT:     gpu.barrier
// CHECK-NOT:     memref.view
// CHECK:         gpu.return
#acc = #tile_gpu.mma<version = 2, warpsPerCTA = [4, 1], instrShape = [16, 8]>
#pv = #tile_gpu.mma<version = 2, warpsPerCTA = [4, 1], instrShape = [16, 8]>
#a = #tile_gpu.dot_operand<opIdx = 0, parent = #pv, kWidth = 2>
tile.kernel @p_as_a(%in: memref<4096xbf16>, %out: memref<4096xbf16>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %i = tile.iota 1 : tensor<64x32xindex, #acc>
  %x = tile.load %in[%i] : memref<4096xbf16>[tensor<64x32xindex, #acc>] -> tensor<64x32xbf16, #acc>
  %y = tile_gpu.convert_layout %x : tensor<64x32xbf16, #acc> -> tensor<64x32xbf16, #a>
  %j = tile.iota 1 : tensor<64x32xindex, #a>
  tile.store %y, %out[%j] : tensor<64x32xbf16, #a>, memref<4096xbf16>[tensor<64x32xindex, #a>]
  tile.return
}
