// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-pipeline-k-loops{tma=false},meld-tile-gpu-allocate-shared))' | FileCheck %s
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-pipeline-k-loops,meld-tile-gpu-allocate-shared))' | FileCheck %s --check-prefix=TMA
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-pipeline-k-loops{prefetch=0},meld-tile-gpu-allocate-shared))' | FileCheck %s --check-prefix=NOPF
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-pipeline-k-loops{stages=3 prefetch=0}))' | FileCheck %s --check-prefix=THREE
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-pipeline-k-loops{prefetch=1 tma=false},meld-tile-gpu-allocate-shared))' | FileCheck %s --check-prefix=ONE
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-pipeline-k-loops{prefetch-registers=false tma=false}))' | FileCheck %s --check-prefix=NOREG
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-pipeline-k-loops{tma=false max-shared-bytes=9216},meld-tile-gpu-allocate-shared))' | FileCheck %s --check-prefix=BUDGET
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-gpu-pipeline-k-loops{warp-specialize=true},meld-tile-gpu-allocate-shared))' | FileCheck %s --check-prefix=WS

// A K loop whose wgmma product reads this iteration's stored operands and
// chains its accumulator is pipelined. Both operands are 16-bit loads along
// their stored tiles' contiguous dimension (K for A, N for B), in aligned
// runs of 8 with one mask value: they are copied to shared memory
// asynchronously, 2 steps ahead (`prefetch`), each in 4 buffers. The loads
// of steps 0 and 1 go before the loop, step 0's first (into buffers 0 and
// 1, if the loop reaches the step); the offsets and masks are computed in
// a layout of runs of 8 (one cp.async of 16 bytes each). Each step waits
// for its own loads, leaving the 2 of the next step pending, and issues
// those of the step 2 after it into buffer (iteration + 2) % 4; the loop
// carries the tiles in flight. A and the loads before the loop share one
// place: 4 buffers of 2 KiB from 0; B 4 of 1 KiB from 8192.
// CHECK-DAG:   #[[RUNS:.+]] = #tile_gpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [16, 2], warpsPerCTA = [4, 1], order = [1, 0]>
// CHECK-DAG:   #[[RUNSB:.+]] = #tile_gpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
// CHECK-LABEL: tile.kernel @prefetch(
// CHECK-SAME:    shared_bytes = 12288
// CHECK:         %[[A0:.+]] = tile_gpu.async_load %arg0[%{{.+}}], %{{.+}} into %[[S0:.+]] if %[[P0:[^ ]+]] {contiguity = 8 : i64, offset = 0 : i64} : memref<2560xf16>[tensor<64x16xindex, #[[RUNS]]>], tensor<64x16xi1, #[[RUNS]]> -> tensor<64x16xf16, #shared>
// CHECK:         %[[B0:.+]] = tile_gpu.async_load %arg1[%{{.+}}], %{{.+}} into %[[S0]] if %[[P0]] {contiguity = 8 : i64, offset = 8192 : i64} : memref<1280xf16>[tensor<16x32xindex, #[[RUNSB]]>], tensor<16x32xi1, #[[RUNSB]]> -> tensor<16x32xf16, #shared1>
// CHECK:         %[[A1:.+]] = tile_gpu.async_load %arg0[%{{.+}}], %{{.+}} into %[[S1:.+]] if %[[P1:[^ ]+]] {contiguity = 8 : i64, offset = 0 : i64}
// CHECK:         %[[B1:.+]] = tile_gpu.async_load %arg1[%{{.+}}], %{{.+}} into %[[S1]] if %[[P1]] {contiguity = 8 : i64, offset = 8192 : i64}
// CHECK:         scf.for %[[K:.+]] = %[[LB:.+]] to %[[UB:.+]] step %[[STEP:[^ ]+]] iter_args(%[[ACC:.+]] = %{{.+}}, %[[XA0:.+]] = %[[A0]], %[[XA1:.+]] = %[[A1]], %[[XB0:.+]] = %[[B0]], %[[XB1:.+]] = %[[B1]])
// CHECK-NEXT:      %[[W:.+]]:2 = tile_gpu.async_wait %[[XA0]], %[[XB0]] {pending = 2 : i64}
// CHECK-NEXT:      %[[P:.+]] = tile.dot %[[W]]#0, %[[W]]#1, %[[ACC]] {tile_gpu.in_flight}
// CHECK:           %[[AHEAD:.+]] = arith.addi %[[K]], %{{.+}} : index
// CHECK-NEXT:      %[[MORE:.+]] = arith.cmpi slt, %[[AHEAD]], %[[UB]] : index
// CHECK-NEXT:      %[[FROM:.+]] = arith.subi %[[AHEAD]], %[[LB]] : index
// CHECK-NEXT:      %[[ITER:.+]] = arith.divui %[[FROM]], %[[STEP]] : index
// CHECK-NEXT:      %[[FOUR:.+]] = arith.constant 4 : index
// CHECK-NEXT:      %[[SLOT:.+]] = arith.remui %[[ITER]], %[[FOUR]] : index
// CHECK:           %[[NA:.+]] = tile_gpu.async_load %arg0[%{{.+}}], %{{.+}} into %[[SLOT]] if %[[MORE]] {contiguity = 8 : i64, offset = 0 : i64}
// CHECK:           %[[NB:.+]] = tile_gpu.async_load %arg1[%{{.+}}], %{{.+}} into %[[SLOT]] if %[[MORE]] {contiguity = 8 : i64, offset = 8192 : i64}
// CHECK-NEXT:      scf.yield %[[P]], %[[XA1]], %[[NA]], %[[XB1]], %[[NB]]
// CHECK-NEXT:    } {tile_gpu.stages = 4 : i64}
// With the tensor memory accelerator (`tma`, the default), both loads are
// boxes of 2-D tensors: A of 40 x 64 (K bounded by the mask, 64 rows of 80
// bytes: what the buffer holds), its box at (k, 0); B of 32 x 40 (N, 32
// columns by its row stride; K bounded by the mask), at (0, k). One
// tma_load each a step, into the same buffers; each buffer has its
// mbarrier, 8 bytes each after all buffers (A's 4 from 12288, B's 4 from
// 12320), and step k waits on it for parity (iteration / 4) % 2.
// TMA-LABEL:   tile.kernel @prefetch(
// TMA-SAME:      shared_bytes = 12352
// TMA:           %[[A0:.+]] = tile_gpu.tma_load %arg0[%[[K0:.+]], %{{.+}}] into %[[S0:.+]] if %[[P0:[^ ]+]] {dims = array<i64: 40, 64>, mbarriers = 12288 : i64, offset = 0 : i64, strides = array<i64: 80>} : memref<2560xf16> -> tensor<64x16xf16, #shared>
// TMA:           %[[B0:.+]] = tile_gpu.tma_load %arg1[%{{.+}}, %[[K0]]] into %[[S0]] if %[[P0]] {dims = array<i64: 32, 40>, mbarriers = 12320 : i64, offset = 8192 : i64, strides = array<i64: 64>} : memref<1280xf16> -> tensor<16x32xf16, #shared1>
// TMA:           %[[A1:.+]] = tile_gpu.tma_load %arg0
// TMA:           %[[B1:.+]] = tile_gpu.tma_load %arg1
// TMA:           scf.for %[[K:.+]] = %[[LB:.+]] to %{{.+}} step %[[STEP:[^ ]+]] iter_args(%[[ACC:.+]] = %{{.+}}, %[[XA0:.+]] = %[[A0]], %[[XA1:.+]] = %[[A1]], %[[XB0:.+]] = %[[B0]], %[[XB1:.+]] = %[[B1]])
// TMA-NEXT:        %[[FROM:.+]] = arith.subi %[[K]], %[[LB]] : index
// TMA-NEXT:        %[[ITER:.+]] = arith.divui %[[FROM]], %[[STEP]] : index
// TMA-NEXT:        %[[FOUR:.+]] = arith.constant 4 : index
// TMA-NEXT:        %[[ROUND:.+]] = arith.divui %[[ITER]], %[[FOUR]] : index
// TMA-NEXT:        %[[TWO:.+]] = arith.constant 2 : index
// TMA-NEXT:        %[[PARITY:.+]] = arith.remui %[[ROUND]], %[[TWO]] : index
// TMA-NEXT:        %[[WA:.+]] = tile_gpu.tma_wait %[[XA0]] parity %[[PARITY]] : tensor<64x16xf16, #shared>
// TMA:             %[[WB:.+]] = tile_gpu.tma_wait %[[XB0]] parity %{{.+}} : tensor<16x32xf16, #shared1>
// TMA-NEXT:        %[[P:.+]] = tile.dot %[[WA]], %[[WB]], %[[ACC]]
// TMA:             %[[NA:.+]] = tile_gpu.tma_load %arg0[%[[KN:.+]], %{{.+}}] into %[[SLOT:.+]] if %[[MORE:[^ ]+]] {dims = array<i64: 40, 64>, mbarriers = 12288 : i64, offset = 0 : i64, strides = array<i64: 80>}
// TMA:             %[[NB:.+]] = tile_gpu.tma_load %arg1[%{{.+}}, %[[KN]]] into %[[SLOT]] if %[[MORE]] {dims = array<i64: 32, 40>, mbarriers = 12320 : i64, offset = 8192 : i64, strides = array<i64: 64>}
// TMA-NEXT:        scf.yield %[[P]], %[[XA1]], %[[NA]], %[[XB1]], %[[NB]]
// TMA-NEXT:      } {tile_gpu.stages = 4 : i64}
// Warp-specialized (`warp-specialize`): the same copies, each first
// waiting for its buffer's release of parity (iteration / 4 + 1) % 2 (1
// for the first use of a buffer), two mbarriers a buffer (A's 8 from 12288,
// B's from 12352), and each step, after its product, releases the buffers
// the step before waited for (none in the first step), the loop carrying
// them from its first copies. 4 consumer warps: the block of 256 threads
// asks for 2 per SM, so no setmaxnreg (no registers in the attribute).
// WS-LABEL:    tile.kernel @prefetch(
// WS-SAME:       shared_bytes = 12416 : i64, tile_gpu.warp_specialize = {producer_warps = 4 : i64}
// WS:            %[[FIRST:.+]] = arith.divui %{{.+}}, %c16 : index
// WS:            %[[ROUND:.+]] = arith.divui %[[FIRST]], %{{.+}} : index
// WS-NEXT:       %[[C1:.+]] = arith.constant 1 : index
// WS-NEXT:       %[[NEXT:.+]] = arith.addi %[[ROUND]], %[[C1]] : index
// WS-NEXT:       %[[TWO:.+]] = arith.constant 2 : index
// WS-NEXT:       %[[R0:.+]] = arith.remui %[[NEXT]], %[[TWO]] : index
// WS:            %[[A0:.+]] = tile_gpu.tma_load %arg0[%{{.+}}] into %{{.+}} if %{{.+}} after release %[[R0]] {dims = array<i64: 40, 64>, mbarriers = 12288 : i64, offset = 0 : i64, strides = array<i64: 80>}
// WS:            %[[B0:.+]] = tile_gpu.tma_load %arg1[%{{.+}}] into %{{.+}} if %{{.+}} after release %[[R0]] {dims = array<i64: 32, 40>, mbarriers = 12352 : i64, offset = 8192 : i64, strides = array<i64: 64>}
// WS:            %[[A1:.+]] = tile_gpu.tma_load %arg0{{.+}} after release
// WS:            %[[B1:.+]] = tile_gpu.tma_load %arg1{{.+}} after release
// WS:            scf.for %[[K:.+]] = %[[LB:.+]] to %{{.+}} step %{{.+}} iter_args(%[[ACC:.+]] = %{{.+}}, %[[XA0:.+]] = %[[A0]], %[[XA1:.+]] = %[[A1]], %[[XB0:.+]] = %[[B0]], %[[XB1:.+]] = %[[B1]], %[[PA:.+]] = %[[A0]], %[[PB:.+]] = %[[B0]])
// WS:              %[[WA:.+]] = tile_gpu.tma_wait %[[XA0]] parity
// WS:              %[[WB:.+]] = tile_gpu.tma_wait %[[XB0]] parity
// WS-NEXT:         %[[P:.+]] = tile.dot %[[WA]], %[[WB]], %[[ACC]] {tile_gpu.in_flight}
// WS-NEXT:         %[[LATER:.+]] = arith.cmpi sgt, %[[K]], %[[LB]] : index
// WS-NEXT:         tile_gpu.tma_release %[[PA]], %[[PB]] if %[[LATER]] : tensor<64x16xf16, #shared>, tensor<16x32xf16, #shared1>
// WS:              %[[NA:.+]] = tile_gpu.tma_load %arg0{{.+}} after release
// WS:              %[[NB:.+]] = tile_gpu.tma_load %arg1{{.+}} after release
// WS-NEXT:         scf.yield %[[P]], %[[XA1]], %[[NA]], %[[XB1]], %[[NB]], %[[WA]], %[[WB]]
// WS-NEXT:       } {tile_gpu.stages = 4 : i64}
// Without prefetching, both go through registers, in 2 buffers each.
// NOPF-LABEL:  tile.kernel @prefetch(
// NOPF-SAME:     shared_bytes = 6144
// NOPF-NOT:      tile_gpu.async_load
// NOPF:          } {tile_gpu.stages = 2 : i64}
// One step ahead: 3 buffers, and each step waits for all its loads.
// ONE-LABEL:   tile.kernel @prefetch(
// ONE-SAME:      shared_bytes = 9216
// ONE:           tile_gpu.async_wait %{{.+}}, %{{.+}} {pending = 0 : i64}
// ONE:           } {tile_gpu.stages = 3 : i64}
// Where the launches' GPUs give a block 9 KiB (max-shared-bytes), 4
// buffers (12 KiB) do not fit: one step ahead, in 3.
// BUDGET-LABEL:   tile.kernel @prefetch(
// BUDGET-SAME:      shared_bytes = 9216
// BUDGET:           } {tile_gpu.stages = 3 : i64}
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
tile.kernel @prefetch(%a: memref<2560xf16>, %w: memref<1280xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c40 = arith.constant 40 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wgmma>
  %c40t = arith.constant dense<40> : tensor<64x16xindex, #blocked>
  %c32b = arith.constant dense<32> : tensor<16x32xindex, #blocked>
  %c40b = arith.constant dense<40> : tensor<16x32xindex, #blocked>
  %ra = tile.iota 0 : tensor<64x16xindex, #blocked>
  %rowa = arith.muli %ra, %c40t : tensor<64x16xindex, #blocked>
  %r = scf.for %k = %c0 to %c40 step %c16 iter_args(%acc = %zero) -> (tensor<64x32xf32, #wgmma>) {
    %ca = tile.iota 1 : tensor<64x16xindex, #blocked>
    %ks = tensor.splat %k : tensor<64x16xindex, #blocked>
    %cola = arith.addi %ca, %ks : tensor<64x16xindex, #blocked>
    %offa = arith.addi %rowa, %cola : tensor<64x16xindex, #blocked>
    %ma = arith.cmpi ult, %cola, %c40t : tensor<64x16xindex, #blocked>
    %x = tile.load %a[%offa], %ma : memref<2560xf16>[tensor<64x16xindex, #blocked>], tensor<64x16xi1, #blocked> -> tensor<64x16xf16, #blocked>
    %rb = tile.iota 0 : tensor<16x32xindex, #blocked>
    %cb = tile.iota 1 : tensor<16x32xindex, #blocked>
    %kb = tensor.splat %k : tensor<16x32xindex, #blocked>
    %rowb = arith.addi %rb, %kb : tensor<16x32xindex, #blocked>
    %rowoff = arith.muli %rowb, %c32b : tensor<16x32xindex, #blocked>
    %offb = arith.addi %rowoff, %cb : tensor<16x32xindex, #blocked>
    %mb = arith.cmpi ult, %rowb, %c40b : tensor<16x32xindex, #blocked>
    %y = tile.load %w[%offb], %mb : memref<1280xf16>[tensor<16x32xindex, #blocked>], tensor<16x32xi1, #blocked> -> tensor<16x32xf16, #blocked>
    %xs = tile_gpu.local_alloc %x : tensor<64x16xf16, #blocked> -> tensor<64x16xf16, #sa>
    %ys = tile_gpu.local_alloc %y : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
    %p = tile.dot %xs, %ys, %acc : tensor<64x16xf16, #sa>, tensor<16x32xf16, #sb> -> tensor<64x32xf32, #wgmma>
    scf.yield %p : tensor<64x32xf32, #wgmma>
  }
  %io = tile.iota 1 : tensor<64x32xindex, #wgmma>
  tile.store %r, %out[%io] : tensor<64x32xf32, #wgmma>, memref<2048xf32>[tensor<64x32xindex, #wgmma>]
  tile.return
}

// -----

// Only one branch of an scf.if runs: the loop of each counts the tiles of
// its own branch against the budget, not those of the other, which
// meld-tile-gpu-allocate-shared places on the same bytes. With 9 KiB, both
// loops get 3 buffers (one step ahead), and the kernel takes 9 KiB.
// BUDGET-LABEL:   tile.kernel @branches(
// BUDGET-SAME:      shared_bytes = 9216
// BUDGET:           scf.if
// BUDGET:             } {tile_gpu.stages = 3 : i64}
// BUDGET:           } else {
// BUDGET:             } {tile_gpu.stages = 3 : i64}
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
tile.kernel @branches(%a: memref<2560xf16>, %w: memref<1280xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 2>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c40 = arith.constant 40 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wgmma>
  %c40t = arith.constant dense<40> : tensor<64x16xindex, #blocked>
  %c32b = arith.constant dense<32> : tensor<16x32xindex, #blocked>
  %c40b = arith.constant dense<40> : tensor<16x32xindex, #blocked>
  %ra = tile.iota 0 : tensor<64x16xindex, #blocked>
  %rowa = arith.muli %ra, %c40t : tensor<64x16xindex, #blocked>
  %pid = tile.program_id 0
  %first = arith.cmpi eq, %pid, %c0 : index
  scf.if %first {
    %r = scf.for %k = %c0 to %c40 step %c16 iter_args(%acc = %zero) -> (tensor<64x32xf32, #wgmma>) {
      %ca = tile.iota 1 : tensor<64x16xindex, #blocked>
      %ks = tensor.splat %k : tensor<64x16xindex, #blocked>
      %cola = arith.addi %ca, %ks : tensor<64x16xindex, #blocked>
      %offa = arith.addi %rowa, %cola : tensor<64x16xindex, #blocked>
      %ma = arith.cmpi ult, %cola, %c40t : tensor<64x16xindex, #blocked>
      %x = tile.load %a[%offa], %ma : memref<2560xf16>[tensor<64x16xindex, #blocked>], tensor<64x16xi1, #blocked> -> tensor<64x16xf16, #blocked>
      %rb = tile.iota 0 : tensor<16x32xindex, #blocked>
      %cb = tile.iota 1 : tensor<16x32xindex, #blocked>
      %kb = tensor.splat %k : tensor<16x32xindex, #blocked>
      %rowb = arith.addi %rb, %kb : tensor<16x32xindex, #blocked>
      %rowoff = arith.muli %rowb, %c32b : tensor<16x32xindex, #blocked>
      %offb = arith.addi %rowoff, %cb : tensor<16x32xindex, #blocked>
      %mb = arith.cmpi ult, %rowb, %c40b : tensor<16x32xindex, #blocked>
      %y = tile.load %w[%offb], %mb : memref<1280xf16>[tensor<16x32xindex, #blocked>], tensor<16x32xi1, #blocked> -> tensor<16x32xf16, #blocked>
      %xs = tile_gpu.local_alloc %x : tensor<64x16xf16, #blocked> -> tensor<64x16xf16, #sa>
      %ys = tile_gpu.local_alloc %y : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
      %p = tile.dot %xs, %ys, %acc : tensor<64x16xf16, #sa>, tensor<16x32xf16, #sb> -> tensor<64x32xf32, #wgmma>
      scf.yield %p : tensor<64x32xf32, #wgmma>
    }
    %io = tile.iota 1 : tensor<64x32xindex, #wgmma>
    tile.store %r, %out[%io] : tensor<64x32xf32, #wgmma>, memref<2048xf32>[tensor<64x32xindex, #wgmma>]
  } else {
    %r = scf.for %k = %c0 to %c40 step %c16 iter_args(%acc = %zero) -> (tensor<64x32xf32, #wgmma>) {
      %ca = tile.iota 1 : tensor<64x16xindex, #blocked>
      %ks = tensor.splat %k : tensor<64x16xindex, #blocked>
      %cola = arith.addi %ca, %ks : tensor<64x16xindex, #blocked>
      %offa = arith.addi %rowa, %cola : tensor<64x16xindex, #blocked>
      %ma = arith.cmpi ult, %cola, %c40t : tensor<64x16xindex, #blocked>
      %x = tile.load %a[%offa], %ma : memref<2560xf16>[tensor<64x16xindex, #blocked>], tensor<64x16xi1, #blocked> -> tensor<64x16xf16, #blocked>
      %rb = tile.iota 0 : tensor<16x32xindex, #blocked>
      %cb = tile.iota 1 : tensor<16x32xindex, #blocked>
      %kb = tensor.splat %k : tensor<16x32xindex, #blocked>
      %rowb = arith.addi %rb, %kb : tensor<16x32xindex, #blocked>
      %rowoff = arith.muli %rowb, %c32b : tensor<16x32xindex, #blocked>
      %offb = arith.addi %rowoff, %cb : tensor<16x32xindex, #blocked>
      %mb = arith.cmpi ult, %rowb, %c40b : tensor<16x32xindex, #blocked>
      %y = tile.load %w[%offb], %mb : memref<1280xf16>[tensor<16x32xindex, #blocked>], tensor<16x32xi1, #blocked> -> tensor<16x32xf16, #blocked>
      %xs = tile_gpu.local_alloc %x : tensor<64x16xf16, #blocked> -> tensor<64x16xf16, #sa>
      %ys = tile_gpu.local_alloc %y : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
      %p = tile.dot %xs, %ys, %acc : tensor<64x16xf16, #sa>, tensor<16x32xf16, #sb> -> tensor<64x32xf32, #wgmma>
      scf.yield %p : tensor<64x32xf32, #wgmma>
    }
    %io = tile.iota 1 : tensor<64x32xindex, #wgmma>
    tile.store %r, %out[%io] : tensor<64x32xf32, #wgmma>, memref<2048xf32>[tensor<64x32xindex, #wgmma>]
  }
  tile.return
}

// -----

// Operands that are not loaded as they are go through registers, in 2
// buffers: one converted from f32 on its way, and a 16-bit one whose
// offsets a later step could not compute before (they follow a
// loop-carried value). The first is loaded a step ahead into registers:
// step 0's before the loop, step k + 16's at the end of step k, masked off
// past the loop's end; the loop carries the tile.
// CHECK-LABEL: tile.kernel @through_registers(
// CHECK-NOT:     tile_gpu.async_load
// CHECK:         %[[FIRST:.+]] = arith.cmpi slt, %{{.+}}, %[[UB:.+]] : index
// CHECK-NEXT:    %[[M0:.+]] = tensor.splat %[[FIRST]] : tensor<64x16xi1, #blocked>
// CHECK-NEXT:    %[[X0:.+]] = tile.load %arg0[%[[OFFS:.+]]], %[[M0]] : memref<4096xf32>
// CHECK-NEXT:    scf.for %[[K:.+]] = %{{.+}} to %[[UB]] step %[[STEP:[^ ]+]] iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %[[X:.+]] = %[[X0]])
// CHECK-NEXT:      arith.truncf %[[X]]
// CHECK:           tile.load %arg1
// CHECK:           %[[NEXT:.+]] = arith.addi %[[K]], %[[STEP]] : index
// CHECK-NEXT:      %[[MORE:.+]] = arith.cmpi slt, %[[NEXT]], %[[UB]] : index
// CHECK-NEXT:      %[[M:.+]] = tensor.splat %[[MORE]] : tensor<64x16xi1, #blocked>
// CHECK-NEXT:      %[[XN:.+]] = tile.load %arg0[%[[OFFS]]], %[[M]] : memref<4096xf32>
// CHECK-NEXT:      scf.yield %{{.+}}, %{{.+}}, %[[XN]]
// CHECK:         } {tile_gpu.stages = 2 : i64}
// NOREG-LABEL: tile.kernel @through_registers(
// NOREG:         scf.for
// NOREG-NEXT:      tile.load %arg0
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
tile.kernel @through_registers(%a: memref<4096xf32>, %w: memref<4096xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wgmma>
  %ia = tile.iota 1 : tensor<64x16xindex, #blocked>
  %ib = tile.iota 1 : tensor<16x32xindex, #blocked>
  %r:2 = scf.for %k = %c0 to %c64 step %c16 iter_args(%acc = %zero, %base = %c0) -> (tensor<64x32xf32, #wgmma>, index) {
    %x = tile.load %a[%ia] : memref<4096xf32>[tensor<64x16xindex, #blocked>] -> tensor<64x16xf32, #blocked>
    %x16 = arith.truncf %x : tensor<64x16xf32, #blocked> to tensor<64x16xf16, #blocked>
    %bs = tensor.splat %base : tensor<16x32xindex, #blocked>
    %offb = arith.addi %ib, %bs : tensor<16x32xindex, #blocked>
    %y = tile.load %w[%offb] : memref<4096xf16>[tensor<16x32xindex, #blocked>] -> tensor<16x32xf16, #blocked>
    %xs = tile_gpu.local_alloc %x16 : tensor<64x16xf16, #blocked> -> tensor<64x16xf16, #sa>
    %ys = tile_gpu.local_alloc %y : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
    %p = tile.dot %xs, %ys, %acc : tensor<64x16xf16, #sa>, tensor<16x32xf16, #sb> -> tensor<64x32xf32, #wgmma>
    %next = arith.addi %base, %c16 : index
    scf.yield %p, %next : tensor<64x32xf32, #wgmma>, index
  }
  %io = tile.iota 1 : tensor<64x32xindex, #wgmma>
  tile.store %r#0, %out[%io] : tensor<64x32xf32, #wgmma>, memref<2048xf32>[tensor<64x32xindex, #wgmma>]
  tile.return
}

// -----

// A loop holding a loop of its own (attention's loop over heads, around its
// loop over keys) loads its register operand in its step, not a step ahead:
// the tile would take its registers all along the inner loop.
// CHECK-LABEL: tile.kernel @outer_loop(
// CHECK:         scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{[^ ]+}} iter_args(%{{[^ ]+}} = %{{[^ ]+}}) -> (tensor<64x32xf32, #{{.+}}>) {
// CHECK-NEXT:      tile.load %arg0
// CHECK:           scf.for
// CHECK-NOT:     tile.load %arg0
// CHECK:         tile.store
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
tile.kernel @outer_loop(%a: memref<4096xf32>, %w: memref<4096xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wgmma>
  %ia = tile.iota 1 : tensor<64x16xindex, #blocked>
  %ib = tile.iota 1 : tensor<16x32xindex, #blocked>
  %r = scf.for %k = %c0 to %c64 step %c16 iter_args(%acc = %zero) -> (tensor<64x32xf32, #wgmma>) {
    %x = tile.load %a[%ia] : memref<4096xf32>[tensor<64x16xindex, #blocked>] -> tensor<64x16xf32, #blocked>
    %x16 = arith.truncf %x : tensor<64x16xf32, #blocked> to tensor<64x16xf16, #blocked>
    %y0 = arith.constant dense<0.0> : tensor<16x32xf16, #blocked>
    %y = scf.for %j = %c0 to %c4 step %c1 iter_args(%sum = %y0) -> (tensor<16x32xf16, #blocked>) {
      %part = tile.load %w[%ib] : memref<4096xf16>[tensor<16x32xindex, #blocked>] -> tensor<16x32xf16, #blocked>
      %more = arith.addf %sum, %part : tensor<16x32xf16, #blocked>
      scf.yield %more : tensor<16x32xf16, #blocked>
    }
    %xs = tile_gpu.local_alloc %x16 : tensor<64x16xf16, #blocked> -> tensor<64x16xf16, #sa>
    %ys = tile_gpu.local_alloc %y : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
    %p = tile.dot %xs, %ys, %acc : tensor<64x16xf16, #sa>, tensor<16x32xf16, #sb> -> tensor<64x32xf32, #wgmma>
    scf.yield %p : tensor<64x32xf32, #wgmma>
  }
  %io = tile.iota 1 : tensor<64x32xindex, #wgmma>
  tile.store %r, %out[%io] : tensor<64x32xf32, #wgmma>, memref<2048xf32>[tensor<64x32xindex, #wgmma>]
  tile.return
}

// -----

// A load whose offsets do not change from step to step is copied
// asynchronously too (A); B, stored with K contiguous but lying along N,
// goes through registers in the same 4 buffers. Without prefetching, a K
// loop whose operands go through registers is pipelined in 2 stages: each
// operand takes two 1024-aligned buffers (A: 2 KiB each from 0, B: 2 KiB
// each from 4096).
// CHECK-LABEL: tile.kernel @k_loop(
// CHECK-COUNT-2: tile_gpu.async_load %arg0
// CHECK:         scf.for
// CHECK:           tile_gpu.local_alloc
// CHECK:           tile_gpu.async_load %arg0
// CHECK:         } {tile_gpu.stages = 4 : i64}
// NOPF-LABEL:  tile.kernel @k_loop(
// NOPF-SAME:     shared_bytes = 6144
// NOPF:          scf.for
// NOPF:            tile_gpu.local_alloc %{{.+}} {offset = 0 : i64}
// NOPF:            tile_gpu.local_alloc %{{.+}} {offset = 4096 : i64}
// NOPF:          } {tile_gpu.stages = 2 : i64}
// THREE-LABEL: tile.kernel @k_loop(
// THREE:         } {tile_gpu.stages = 3 : i64}
// A's rows all read the same elements (no stride along them): no box of a
// tensor, so cp.async copies it even with the tensor memory accelerator.
// TMA-LABEL:   tile.kernel @k_loop(
// TMA-NOT:       tile_gpu.tma_load
// TMA-COUNT-2:   tile_gpu.async_load %arg0
// TMA-NOT:       tile_gpu.tma_load
// TMA:           } {tile_gpu.stages = 4 : i64}
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @k_loop(%a: memref<4096xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wgmma>
  %ia = tile.iota 1 : tensor<64x16xindex, #blocked>
  %ib = tile.iota 1 : tensor<16x32xindex, #blocked>
  %r = scf.for %k = %c0 to %c64 step %c16 iter_args(%acc = %zero) -> (tensor<64x32xf32, #wgmma>) {
    %x = tile.load %a[%ia] : memref<4096xf16>[tensor<64x16xindex, #blocked>] -> tensor<64x16xf16, #blocked>
    %y = tile.load %a[%ib] : memref<4096xf16>[tensor<16x32xindex, #blocked>] -> tensor<16x32xf16, #blocked>
    %xs = tile_gpu.local_alloc %x : tensor<64x16xf16, #blocked> -> tensor<64x16xf16, #sa>
    %ys = tile_gpu.local_alloc %y : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
    %p = tile.dot %xs, %ys, %acc : tensor<64x16xf16, #sa>, tensor<16x32xf16, #sb> -> tensor<64x32xf32, #wgmma>
    scf.yield %p : tensor<64x32xf32, #wgmma>
  }
  %io = tile.iota 1 : tensor<64x32xindex, #wgmma>
  tile.store %r, %out[%io] : tensor<64x32xf32, #wgmma>, memref<2048xf32>[tensor<64x32xindex, #wgmma>]
  tile.return
}

// -----

// A product whose result the body reads (its registers would be read
// before the product completes) is not in flight: it completes in its
// step. A (its rows the same runs of 8) is still copied 2 steps ahead, and
// takes 3 buffers, a buffer being free again a step after its product: 3 of
// 2 KiB for A, then 3 of 1 KiB for B, stored from registers.
// CHECK-LABEL: tile.kernel @read_in_body(
// CHECK-SAME:    shared_bytes = 9216
// CHECK-NOT:     tile_gpu.in_flight
// CHECK:         scf.for
// CHECK:           %[[W:.+]] = tile_gpu.async_wait %{{.+}} {pending = 1 : i64}
// CHECK-NEXT:      %[[B:.+]] = tile_gpu.local_alloc %{{.+}} {offset = 6144 : i64}
// CHECK-NEXT:      %[[P:.+]] = tile.dot %[[W]], %[[B]], %{{.+}} :
// CHECK-NEXT:      tile.store %[[P]]
// CHECK:         } {tile_gpu.stages = 3 : i64}
// NOPF-LABEL:  tile.kernel @read_in_body(
// NOPF-NOT:      tile_gpu.stages
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @read_in_body(%a: memref<4096xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wgmma>
  %ia = tile.iota 1 : tensor<64x16xindex, #blocked>
  %ib = tile.iota 1 : tensor<16x32xindex, #blocked>
  %io = tile.iota 1 : tensor<64x32xindex, #wgmma>
  %r = scf.for %k = %c0 to %c64 step %c16 iter_args(%acc = %zero) -> (tensor<64x32xf32, #wgmma>) {
    %x = tile.load %a[%ia] : memref<4096xf16>[tensor<64x16xindex, #blocked>] -> tensor<64x16xf16, #blocked>
    %y = tile.load %a[%ib] : memref<4096xf16>[tensor<16x32xindex, #blocked>] -> tensor<16x32xf16, #blocked>
    %xs = tile_gpu.local_alloc %x : tensor<64x16xf16, #blocked> -> tensor<64x16xf16, #sa>
    %ys = tile_gpu.local_alloc %y : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
    %p = tile.dot %xs, %ys, %acc : tensor<64x16xf16, #sa>, tensor<16x32xf16, #sb> -> tensor<64x32xf32, #wgmma>
    tile.store %p, %out[%io] : tensor<64x32xf32, #wgmma>, memref<2048xf32>[tensor<64x32xindex, #wgmma>]
    scf.yield %p : tensor<64x32xf32, #wgmma>
  }
  tile.return
}

// -----

// A K loop of mma.sync products: B, a 16-bit weight loaded along N, is
// copied asynchronously 2 steps ahead into a tile with N contiguous
// (64-byte rows: a 64-byte swizzle), and read into its registers by a
// local_load (ldmatrix .trans); A, converted from f32, goes through
// registers as before. The product completes at once, so a buffer is
// free again a step after it is read: 3 buffers of 1 KiB after the 1 KiB
// A's conversion stages (meld-tile-gpu-allocate-shared counts the scratch
// from the layouts: the 2 KiB the kernel had reserved are more).
// The tensor memory accelerator copies wgmma's operands only: mma.sync's
// go through cp.async.
// TMA-LABEL:   tile.kernel @mma_prefetch(
// TMA-NOT:       tile_gpu.tma_load
// TMA-COUNT-2:   tile_gpu.async_load %arg1
// TMA-NOT:       tile_gpu.tma_load
// TMA:           tile.return
// CHECK-LABEL: tile.kernel @mma_prefetch(
// CHECK-SAME:    shared_bytes = 4096
// CHECK-COUNT-2: tile_gpu.async_load %arg1[%{{.+}}], %{{.+}} into %{{.+}} if %{{.+}} {contiguity = 8 : i64, offset = 1024 : i64} : memref<1280xbf16>[tensor<16x32xindex, #{{.+}}>], tensor<16x32xi1, #{{.+}}> -> tensor<16x32xbf16, #[[SB:shared[0-9]*]]>
// CHECK:         scf.for
// CHECK:           tile_gpu.convert_layout %{{.+}} : tensor<32x16xbf16, #{{.+}}> -> tensor<32x16xbf16, #{{.+}}>
// CHECK:           %[[W:.+]] = tile_gpu.async_wait %{{.+}} {pending = 1 : i64}
// CHECK-NEXT:      %[[B:.+]] = tile_gpu.local_load %[[W]] : tensor<16x32xbf16, #[[SB]]> -> tensor<16x32xbf16, #dot1>
// CHECK-NEXT:      tile.dot %{{.+}}, %[[B]], %{{.+}}
// CHECK:           tile_gpu.async_load %arg1
// CHECK:         } {tile_gpu.stages = 3 : i64}
// NOPF-LABEL:  tile.kernel @mma_prefetch(
// NOPF-NOT:      tile_gpu.async_load
// NOPF-NOT:      tile_gpu.stages
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
#da = #tile_gpu.dot_operand<opIdx = 0, parent = #mma, kWidth = 2>
#db = #tile_gpu.dot_operand<opIdx = 1, parent = #mma, kWidth = 2>
tile.kernel @mma_prefetch(%a: memref<1280xf32>, %w: memref<1280xbf16>, %out: memref<1024xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 2048 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c40 = arith.constant 40 : index
  %zero = arith.constant dense<0.0> : tensor<32x32xf32, #mma>
  %c40t = arith.constant dense<40> : tensor<32x16xindex, #blocked>
  %c32b = arith.constant dense<32> : tensor<16x32xindex, #blocked>
  %c40b = arith.constant dense<40> : tensor<16x32xindex, #blocked>
  %ra = tile.iota 0 : tensor<32x16xindex, #blocked>
  %rowa = arith.muli %ra, %c40t : tensor<32x16xindex, #blocked>
  %r = scf.for %k = %c0 to %c40 step %c16 iter_args(%acc = %zero) -> (tensor<32x32xf32, #mma>) {
    %ca = tile.iota 1 : tensor<32x16xindex, #blocked>
    %ks = tensor.splat %k : tensor<32x16xindex, #blocked>
    %cola = arith.addi %ca, %ks : tensor<32x16xindex, #blocked>
    %offa = arith.addi %rowa, %cola : tensor<32x16xindex, #blocked>
    %ma = arith.cmpi ult, %cola, %c40t : tensor<32x16xindex, #blocked>
    %x = tile.load %a[%offa], %ma : memref<1280xf32>[tensor<32x16xindex, #blocked>], tensor<32x16xi1, #blocked> -> tensor<32x16xf32, #blocked>
    %x16 = arith.truncf %x : tensor<32x16xf32, #blocked> to tensor<32x16xbf16, #blocked>
    %rb = tile.iota 0 : tensor<16x32xindex, #blocked>
    %cb = tile.iota 1 : tensor<16x32xindex, #blocked>
    %kb = tensor.splat %k : tensor<16x32xindex, #blocked>
    %rowb = arith.addi %rb, %kb : tensor<16x32xindex, #blocked>
    %rowoff = arith.muli %rowb, %c32b : tensor<16x32xindex, #blocked>
    %offb = arith.addi %rowoff, %cb : tensor<16x32xindex, #blocked>
    %mb = arith.cmpi ult, %rowb, %c40b : tensor<16x32xindex, #blocked>
    %y = tile.load %w[%offb], %mb : memref<1280xbf16>[tensor<16x32xindex, #blocked>], tensor<16x32xi1, #blocked> -> tensor<16x32xbf16, #blocked>
    %xa = tile_gpu.convert_layout %x16 : tensor<32x16xbf16, #blocked> -> tensor<32x16xbf16, #da>
    %yb = tile_gpu.convert_layout %y : tensor<16x32xbf16, #blocked> -> tensor<16x32xbf16, #db>
    %p = tile.dot %xa, %yb, %acc : tensor<32x16xbf16, #da>, tensor<16x32xbf16, #db> -> tensor<32x32xf32, #mma>
    scf.yield %p : tensor<32x32xf32, #mma>
  }
  %io = tile.iota 1 : tensor<32x32xindex, #mma>
  tile.store %r, %out[%io] : tensor<32x32xf32, #mma>, memref<1024xf32>[tensor<32x32xindex, #mma>]
  tile.return
}

// -----

// An mma.sync B stored N x K (each column of B consecutive: a Gemm with
// transB) is copied with K contiguous (order [0, 1]; 32-byte rows of K, a
// 32-byte swizzle), for ldmatrix to read untransposed.
// CHECK-DAG:   #[[SK:.+]] = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
// CHECK-LABEL: tile.kernel @mma_k_major(
// CHECK:         tile_gpu.async_load %arg1[%{{.+}}] into %{{.+}} if %{{.+}} {contiguity = 8 : i64, offset = {{[0-9]+}} : i64} : memref<1280xbf16>[tensor<16x32xindex, #{{.+}}>] -> tensor<16x32xbf16, #[[SK]]>
// CHECK:         scf.for
// CHECK:           tile_gpu.local_load %{{.+}} : tensor<16x32xbf16, #[[SK]]> -> tensor<16x32xbf16, #dot1>
// CHECK:         } {tile_gpu.stages = 3 : i64}
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
#da = #tile_gpu.dot_operand<opIdx = 0, parent = #mma, kWidth = 2>
#db = #tile_gpu.dot_operand<opIdx = 1, parent = #mma, kWidth = 2>
tile.kernel @mma_k_major(%a: memref<1280xbf16>, %w: memref<1280xbf16>, %out: memref<1024xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 2048 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant dense<0.0> : tensor<32x32xf32, #mma>
  %c32t = arith.constant dense<32> : tensor<32x16xindex, #blocked>
  %c32b = arith.constant dense<32> : tensor<16x32xindex, #blocked>
  %ia = tile.iota 1 : tensor<32x16xindex, #blocked>
  %r = scf.for %k = %c0 to %c32 step %c16 iter_args(%acc = %zero) -> (tensor<32x32xf32, #mma>) {
    %x = tile.load %a[%ia] : memref<1280xbf16>[tensor<32x16xindex, #blocked>] -> tensor<32x16xbf16, #blocked>
    %rb = tile.iota 0 : tensor<16x32xindex, #blocked>
    %cb = tile.iota 1 : tensor<16x32xindex, #blocked>
    %kb = tensor.splat %k : tensor<16x32xindex, #blocked>
    %kk = arith.addi %rb, %kb : tensor<16x32xindex, #blocked>
    %col = arith.muli %cb, %c32b : tensor<16x32xindex, #blocked>
    %offb = arith.addi %col, %kk : tensor<16x32xindex, #blocked>
    %y = tile.load %w[%offb] : memref<1280xbf16>[tensor<16x32xindex, #blocked>] -> tensor<16x32xbf16, #blocked>
    %xa = tile_gpu.convert_layout %x : tensor<32x16xbf16, #blocked> -> tensor<32x16xbf16, #da>
    %yb = tile_gpu.convert_layout %y : tensor<16x32xbf16, #blocked> -> tensor<16x32xbf16, #db>
    %p = tile.dot %xa, %yb, %acc : tensor<32x16xbf16, #da>, tensor<16x32xbf16, #db> -> tensor<32x32xf32, #mma>
    scf.yield %p : tensor<32x32xf32, #mma>
  }
  %io = tile.iota 1 : tensor<32x32xindex, #mma>
  tile.store %r, %out[%io] : tensor<32x32xf32, #mma>, memref<1024xf32>[tensor<32x32xindex, #mma>]
  tile.return
}

// -----

// The same K loop run twice, in another loop: the tensor memory
// accelerator copies its operands all the same, the first two steps' in
// each run of it (meld-tile-to-gpu starts its buffers' mbarriers over after
// each run, so each run's waits count phases from its first step).
// NOPF-LABEL:  tile.kernel @nested(
// TMA-LABEL:   tile.kernel @nested(
// TMA:           scf.for
// TMA-COUNT-4:     tile_gpu.tma_load
// TMA:             scf.for
// TMA:               tile_gpu.tma_wait
// TMA:               tile_gpu.tma_wait
// TMA:               tile_gpu.tma_load %arg0
// TMA:               tile_gpu.tma_load %arg1
// TMA:             } {tile_gpu.stages = 4 : i64}
// TMA-NOT:         tile_gpu.async_load
// TMA:           tile.return
// Not warp-specialized: the producer would have to wait for each run of the
// loop to end before the mbarriers start over.
// WS-LABEL:    tile.kernel @nested(
// WS-NOT:        tile_gpu.warp_specialize
// WS-NOT:        tile_gpu.tma_release
// WS:            tile.return
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
tile.kernel @nested(%a: memref<2560xf16>, %w: memref<1280xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c40 = arith.constant 40 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wgmma>
  %c40t = arith.constant dense<40> : tensor<64x16xindex, #blocked>
  %c32b = arith.constant dense<32> : tensor<16x32xindex, #blocked>
  %c40b = arith.constant dense<40> : tensor<16x32xindex, #blocked>
  %ra = tile.iota 0 : tensor<64x16xindex, #blocked>
  %rowa = arith.muli %ra, %c40t : tensor<64x16xindex, #blocked>
  %c2 = arith.constant 2 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %j = %c0 to %c2 step %c1 iter_args(%outer = %zero) -> (tensor<64x32xf32, #wgmma>) {
  %inner = scf.for %k = %c0 to %c40 step %c16 iter_args(%acc = %outer) -> (tensor<64x32xf32, #wgmma>) {
    %ca = tile.iota 1 : tensor<64x16xindex, #blocked>
    %ks = tensor.splat %k : tensor<64x16xindex, #blocked>
    %cola = arith.addi %ca, %ks : tensor<64x16xindex, #blocked>
    %offa = arith.addi %rowa, %cola : tensor<64x16xindex, #blocked>
    %ma = arith.cmpi ult, %cola, %c40t : tensor<64x16xindex, #blocked>
    %x = tile.load %a[%offa], %ma : memref<2560xf16>[tensor<64x16xindex, #blocked>], tensor<64x16xi1, #blocked> -> tensor<64x16xf16, #blocked>
    %rb = tile.iota 0 : tensor<16x32xindex, #blocked>
    %cb = tile.iota 1 : tensor<16x32xindex, #blocked>
    %kb = tensor.splat %k : tensor<16x32xindex, #blocked>
    %rowb = arith.addi %rb, %kb : tensor<16x32xindex, #blocked>
    %rowoff = arith.muli %rowb, %c32b : tensor<16x32xindex, #blocked>
    %offb = arith.addi %rowoff, %cb : tensor<16x32xindex, #blocked>
    %mb = arith.cmpi ult, %rowb, %c40b : tensor<16x32xindex, #blocked>
    %y = tile.load %w[%offb], %mb : memref<1280xf16>[tensor<16x32xindex, #blocked>], tensor<16x32xi1, #blocked> -> tensor<16x32xf16, #blocked>
    %xs = tile_gpu.local_alloc %x : tensor<64x16xf16, #blocked> -> tensor<64x16xf16, #sa>
    %ys = tile_gpu.local_alloc %y : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
    %p = tile.dot %xs, %ys, %acc : tensor<64x16xf16, #sa>, tensor<16x32xf16, #sb> -> tensor<64x32xf32, #wgmma>
    scf.yield %p : tensor<64x32xf32, #wgmma>
  }
  scf.yield %inner : tensor<64x32xf32, #wgmma>
  }
  %io = tile.iota 1 : tensor<64x32xindex, #wgmma>
  tile.store %r, %out[%io] : tensor<64x32xf32, #wgmma>, memref<2048xf32>[tensor<64x32xindex, #wgmma>]
  tile.return
}

// -----

// B's columns are not masked, and its box starts at column 32 * program
// id: in a grid of 2, the second program's box would run past its rows (of
// 32 columns), which the tensor memory accelerator reads as zeros. So B
// goes through cp.async; A, whose columns are masked, through the TMA.
// NOPF-LABEL:  tile.kernel @columns_past_row(
// TMA-LABEL:   tile.kernel @columns_past_row(
// TMA:           tile_gpu.tma_load %arg0
// TMA:           tile_gpu.async_load %arg1
// TMA-NOT:       tile_gpu.tma_load %arg1
// TMA:           tile.return
// Warp-specialized all the same: the producer copies A; the consumers copy
// B with cp.async themselves (and meet after waiting for it, among
// themselves), and release A's buffers only.
// WS-LABEL:    tile.kernel @columns_past_row(
// WS-SAME:       tile_gpu.warp_specialize = {producer_warps = 4 : i64}
// WS:            tile_gpu.tma_load %arg0{{.+}} after release
// WS:            tile_gpu.async_load %arg1
// WS:            scf.for
// WS:              tile_gpu.tma_wait
// WS:              tile_gpu.async_wait
// WS:              tile.dot
// WS-NEXT:         arith.cmpi sgt
// WS-NEXT:         tile_gpu.tma_release %{{[^,]+}} if %{{.+}} : tensor<64x16xf16, #shared>
// WS:              tile_gpu.tma_load %arg0{{.+}} after release
// WS:              tile_gpu.async_load %arg1
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 64, order = [1, 0]>
tile.kernel @columns_past_row(%a: memref<2560xf16>, %w: memref<1280xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 2>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c40 = arith.constant 40 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wgmma>
  %c40t = arith.constant dense<40> : tensor<64x16xindex, #blocked>
  %c32b = arith.constant dense<32> : tensor<16x32xindex, #blocked>
  %c40b = arith.constant dense<40> : tensor<16x32xindex, #blocked>
  %c32 = arith.constant 32 : index
  %pid = tile.program_id 0
  %col0 = arith.muli %pid, %c32 : index
  %ra = tile.iota 0 : tensor<64x16xindex, #blocked>
  %rowa = arith.muli %ra, %c40t : tensor<64x16xindex, #blocked>
  %r = scf.for %k = %c0 to %c40 step %c16 iter_args(%acc = %zero) -> (tensor<64x32xf32, #wgmma>) {
    %ca = tile.iota 1 : tensor<64x16xindex, #blocked>
    %ks = tensor.splat %k : tensor<64x16xindex, #blocked>
    %cola = arith.addi %ca, %ks : tensor<64x16xindex, #blocked>
    %offa = arith.addi %rowa, %cola : tensor<64x16xindex, #blocked>
    %ma = arith.cmpi ult, %cola, %c40t : tensor<64x16xindex, #blocked>
    %x = tile.load %a[%offa], %ma : memref<2560xf16>[tensor<64x16xindex, #blocked>], tensor<64x16xi1, #blocked> -> tensor<64x16xf16, #blocked>
    %rb = tile.iota 0 : tensor<16x32xindex, #blocked>
    %cb = tile.iota 1 : tensor<16x32xindex, #blocked>
    %kb = tensor.splat %k : tensor<16x32xindex, #blocked>
    %rowb = arith.addi %rb, %kb : tensor<16x32xindex, #blocked>
    %rowoff = arith.muli %rowb, %c32b : tensor<16x32xindex, #blocked>
    %cols = tensor.splat %col0 : tensor<16x32xindex, #blocked>
    %cbs = arith.addi %cb, %cols : tensor<16x32xindex, #blocked>
    %offb = arith.addi %rowoff, %cbs : tensor<16x32xindex, #blocked>
    %mb = arith.cmpi ult, %rowb, %c40b : tensor<16x32xindex, #blocked>
    %y = tile.load %w[%offb], %mb : memref<1280xf16>[tensor<16x32xindex, #blocked>], tensor<16x32xi1, #blocked> -> tensor<16x32xf16, #blocked>
    %xs = tile_gpu.local_alloc %x : tensor<64x16xf16, #blocked> -> tensor<64x16xf16, #sa>
    %ys = tile_gpu.local_alloc %y : tensor<16x32xf16, #blocked> -> tensor<16x32xf16, #sb>
    %p = tile.dot %xs, %ys, %acc : tensor<64x16xf16, #sa>, tensor<16x32xf16, #sb> -> tensor<64x32xf32, #wgmma>
    scf.yield %p : tensor<64x32xf32, #wgmma>
  }
  %io = tile.iota 1 : tensor<64x32xindex, #wgmma>
  tile.store %r, %out[%io] : tensor<64x32xf32, #wgmma>, memref<2048xf32>[tensor<64x32xindex, #wgmma>]
  tile.return
}

// -----

// A loop whose products complete in their step (attention's scores, which a
// softmax reads at once; here the product starts from zero each step and
// is summed) copies its wgmma operands by the tensor memory accelerator as
// well, 2 steps ahead into 3 buffers. B is K transposed: 16 values of a
// key (its head dimension, contiguous) by 32 keys; the load has no mask,
// so the box's starts come from its offsets alone, each term to the
// dimension of the largest stride dividing it: 16 k to the keys (k), none
// to the head dimension (0). The tensor is the buffer's 512 rows of 16
// halves (32 bytes). A is loaded once, before the loop.
// TMA-LABEL:   tile.kernel @scores(
// TMA:           %[[K0:.+]] = tile_gpu.tma_load %arg1[%[[Z0:.+]], %[[S0:.+]]] into %{{.+}} if %{{.+}} {dims = array<i64: 16, 512>, mbarriers = {{[0-9]+}} : i64, offset = {{[0-9]+}} : i64, strides = array<i64: 32>} : memref<8192xf16> -> tensor<16x32xf16, #shared1>
// TMA:           tile_gpu.tma_load %arg1
// TMA:           scf.for
// TMA:             tile_gpu.tma_wait
// TMA-NOT:         tile_gpu.in_flight
// TMA:             tile_gpu.tma_load %arg1
// TMA:           } {tile_gpu.stages = 3 : i64}
#blocked = #tile_gpu.blocked<sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]>
#blocked1 = #tile_gpu.blocked<sizePerThread = [4, 1], threadsPerWarp = [4, 8], warpsPerCTA = [1, 4], order = [0, 1]>
#wgmma = #tile_gpu.mma<version = 3, warpsPerCTA = [4, 1], instrShape = [64, 32]>
#sa = #tile_gpu.shared<swizzle = 32, order = [1, 0]>
#sb = #tile_gpu.shared<swizzle = 32, order = [0, 1]>
tile.kernel @scores(%q: memref<4096xf16>, %kt: memref<8192xf16>, %out: memref<2048xf32>) attributes {grid = array<i64: 1>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  %zero = arith.constant dense<0.0> : tensor<64x32xf32, #wgmma>
  %c16a = arith.constant dense<16> : tensor<64x16xindex, #blocked>
  %c16b = arith.constant dense<16> : tensor<16x32xindex, #blocked1>
  %ra = tile.iota 0 : tensor<64x16xindex, #blocked>
  %ca = tile.iota 1 : tensor<64x16xindex, #blocked>
  %rowa = arith.muli %ra, %c16a : tensor<64x16xindex, #blocked>
  %offa = arith.addi %rowa, %ca : tensor<64x16xindex, #blocked>
  %x = tile.load %q[%offa] : memref<4096xf16>[tensor<64x16xindex, #blocked>] -> tensor<64x16xf16, #blocked>
  %xs = tile_gpu.local_alloc %x : tensor<64x16xf16, #blocked> -> tensor<64x16xf16, #sa>
  %d = tile.iota 0 : tensor<16x32xindex, #blocked1>
  %j = tile.iota 1 : tensor<16x32xindex, #blocked1>
  %r = scf.for %k = %c0 to %c128 step %c32 iter_args(%sum = %zero) -> (tensor<64x32xf32, #wgmma>) {
    %ks = tensor.splat %k : tensor<16x32xindex, #blocked1>
    %key = arith.addi %j, %ks : tensor<16x32xindex, #blocked1>
    %row = arith.muli %key, %c16b : tensor<16x32xindex, #blocked1>
    %offb = arith.addi %row, %d : tensor<16x32xindex, #blocked1>
    %y = tile.load %kt[%offb] : memref<8192xf16>[tensor<16x32xindex, #blocked1>] -> tensor<16x32xf16, #blocked1>
    %ys = tile_gpu.local_alloc %y : tensor<16x32xf16, #blocked1> -> tensor<16x32xf16, #sb>
    %p = tile.dot %xs, %ys, %zero : tensor<64x16xf16, #sa>, tensor<16x32xf16, #sb> -> tensor<64x32xf32, #wgmma>
    %s = arith.addf %sum, %p : tensor<64x32xf32, #wgmma>
    scf.yield %s : tensor<64x32xf32, #wgmma>
  }
  %io = tile.iota 1 : tensor<64x32xindex, #wgmma>
  tile.store %r, %out[%io] : tensor<64x32xf32, #wgmma>, memref<2048xf32>[tensor<64x32xindex, #wgmma>]
  tile.return
}
