// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-annotate-contiguity))' | FileCheck %s

// A pointwise tile of 1024 elements over a [64, 768] tensor plus a [768]
// bias: the row-major offsets step by one from pid * 1024 (runs of 1024);
// the bias offsets `e % 768` in runs of 256 (the largest power of two
// dividing 1024 and 768); the mask `e < 49152` is constant over runs of
// 1024 (49152 is a multiple of 1024). The offsets recomputed as
// `(e / 768) * 768 + e % 768` are still runs of 256.
// CHECK-LABEL: tile.kernel @pointwise
// CHECK:         tile.load %{{.+}}[%{{.+}}], %{{.+}}, %{{.+}} {contiguity = 256 : i64}
// CHECK:         tile.load %{{.+}}[%{{.+}}], %{{.+}}, %{{.+}} {contiguity = 256 : i64}
// CHECK:         tile.store %{{.+}}, %{{.+}}[%{{.+}}], %{{.+}} {contiguity = 1024 : i64}
tile.kernel @pointwise(%x: memref<49152xf32>, %b: memref<768xf32>, %y: memref<49152xf32>) attributes {grid = array<i64: 48>} {
  %zero = arith.constant 0.0 : f32
  %c768 = arith.constant dense<768> : tensor<1024xindex>
  %size = arith.constant dense<49152> : tensor<1024xindex>
  %c1024 = arith.constant 1024 : index
  %pid = tile.program_id 0
  %base = arith.muli %pid, %c1024 : index
  %s = tensor.splat %base : tensor<1024xindex>
  %i = tile.iota 0 : tensor<1024xindex>
  %e = arith.addi %s, %i : tensor<1024xindex>
  %in = arith.cmpi ult, %e, %size : tensor<1024xindex>
  %row = arith.divui %e, %c768 : tensor<1024xindex>
  %col = arith.remui %e, %c768 : tensor<1024xindex>
  %r = arith.muli %row, %c768 : tensor<1024xindex>
  %offs = arith.addi %r, %col : tensor<1024xindex>
  %a = tile.load %x[%offs], %in, %zero : memref<49152xf32>[tensor<1024xindex>], tensor<1024xi1>, f32 -> tensor<1024xf32>
  %c = tile.load %b[%col], %in, %zero : memref<768xf32>[tensor<1024xindex>], tensor<1024xi1>, f32 -> tensor<1024xf32>
  %sum = arith.addf %a, %c : tensor<1024xf32>
  tile.store %sum, %y[%e], %in : tensor<1024xf32>, memref<49152xf32>[tensor<1024xindex>], tensor<1024xi1>
  tile.return
}

// -----

// A 2-D block of rows: offsets `row * stride + col`. With a stride of 768
// and the mask on rows only, each row of 32 is one run; a mask on columns
// cut at 100 leaves runs of 4 (100 = 4 * 25); a stride of 770 leaves runs of
// 2 (rows start at even offsets only); a stride of 771 none, and neither
// does a mask cut at an odd column (41), a column read backwards, a
// remainder by an odd number or offsets loaded from memory.
// CHECK-LABEL: tile.kernel @block
// CHECK:         tile.load %{{.+}}[[[O768:%[0-9]+]]], %{{.+}}, %{{.+}} {contiguity = 32 : i64}
// CHECK-NEXT:    tile.load %{{.+}}[[[O768]]], %{{.+}}, %{{.+}} {contiguity = 4 : i64}
// CHECK-NEXT:    tile.load %{{.+}}[%{{.+}}], %{{.+}}, %{{.+}} {contiguity = 2 : i64}
// CHECK-NEXT:    tile.load %{{.+}}[%{{.+}}], %{{.+}}, %{{.+}} : memref
// CHECK-NEXT:    tile.load %{{.+}}[[[O768]]], %{{.+}}, %{{.+}} : memref
// CHECK-NEXT:    tile.load %{{.+}}[%{{.+}}], %{{.+}}, %{{.+}} : memref
// CHECK-NEXT:    tile.load %{{.+}}[%{{.+}}], %{{.+}}, %{{.+}} : memref
// The iota's own offsets are proved (the attribute the input carried is
// recomputed, not trusted); the offsets loaded from memory are not.
// CHECK:         tile.load %{{.+}}[%{{.+}}] {contiguity = 1024 : i64}
// CHECK-NEXT:    tile.load %{{.+}}[%{{.+}}] : memref
tile.kernel @block(%x: memref<100000xf32>, %idx: memref<1024xindex>) attributes {grid = array<i64: 4>} {
  %zero = arith.constant 0.0 : f32
  %c32 = arith.constant 32 : index
  %rows_total = arith.constant dense<100> : tensor<32x32xindex>
  %cols_cut = arith.constant dense<100> : tensor<32x32xindex>
  %odd_cut = arith.constant dense<41> : tensor<32x32xindex>
  %c768 = arith.constant dense<768> : tensor<32x32xindex>
  %c770 = arith.constant dense<770> : tensor<32x32xindex>
  %c771 = arith.constant dense<771> : tensor<32x32xindex>
  %c31 = arith.constant dense<31> : tensor<32x32xindex>
  %c7 = arith.constant dense<7> : tensor<32x32xindex>
  %pid = tile.program_id 0
  %r0 = arith.muli %pid, %c32 : index
  %rs = tensor.splat %r0 : tensor<32x32xindex>
  %rows = tile.iota 0 : tensor<32x32xindex>
  %row = arith.addi %rows, %rs : tensor<32x32xindex>
  %col = tile.iota 1 : tensor<32x32xindex>
  %rowok = arith.cmpi ult, %row, %rows_total : tensor<32x32xindex>
  %colok = arith.cmpi ult, %col, %cols_cut : tensor<32x32xindex>
  %both = arith.andi %rowok, %colok : tensor<32x32xi1>
  %oddok = arith.cmpi ult, %col, %odd_cut : tensor<32x32xindex>
  %odd = arith.andi %rowok, %oddok : tensor<32x32xi1>
  %b768 = arith.muli %row, %c768 : tensor<32x32xindex>
  %o768 = arith.addi %b768, %col : tensor<32x32xindex>
  %b770 = arith.muli %row, %c770 : tensor<32x32xindex>
  %o770 = arith.addi %b770, %col : tensor<32x32xindex>
  %b771 = arith.muli %row, %c771 : tensor<32x32xindex>
  %o771 = arith.addi %b771, %col : tensor<32x32xindex>
  %back = arith.subi %c31, %col : tensor<32x32xindex>
  %oback = arith.addi %b768, %back : tensor<32x32xindex>
  %mod7 = arith.remui %o768, %c7 : tensor<32x32xindex>
  %l0 = tile.load %x[%o768], %rowok, %zero : memref<100000xf32>[tensor<32x32xindex>], tensor<32x32xi1>, f32 -> tensor<32x32xf32>
  %l1 = tile.load %x[%o768], %both, %zero : memref<100000xf32>[tensor<32x32xindex>], tensor<32x32xi1>, f32 -> tensor<32x32xf32>
  %l2 = tile.load %x[%o770], %rowok, %zero : memref<100000xf32>[tensor<32x32xindex>], tensor<32x32xi1>, f32 -> tensor<32x32xf32>
  %l3 = tile.load %x[%o771], %rowok, %zero : memref<100000xf32>[tensor<32x32xindex>], tensor<32x32xi1>, f32 -> tensor<32x32xf32>
  %l4 = tile.load %x[%o768], %odd, %zero : memref<100000xf32>[tensor<32x32xindex>], tensor<32x32xi1>, f32 -> tensor<32x32xf32>
  %l5 = tile.load %x[%oback], %rowok, %zero : memref<100000xf32>[tensor<32x32xindex>], tensor<32x32xi1>, f32 -> tensor<32x32xf32>
  %l6 = tile.load %x[%mod7], %rowok, %zero : memref<100000xf32>[tensor<32x32xindex>], tensor<32x32xi1>, f32 -> tensor<32x32xf32>
  %i = tile.iota 0 : tensor<1024xindex>
  %gathered = tile.load %idx[%i] {contiguity = 1024 : i64} : memref<1024xindex>[tensor<1024xindex>] -> tensor<1024xindex>
  %g = tile.load %x[%gathered] : memref<100000xf32>[tensor<1024xindex>] -> tensor<1024xf32>
  tile.return
}

// -----

// Loops: an induction variable stepping by 32 from 0 keeps a column block
// `k + col` in runs of 32, which its mask `< 1000` cuts to runs of 8
// (1000 = 8 * 125); one stepping by 3 has no runs. A value carried
// around a loop keeps what holds on entry and after every trip: `base`
// grows by 64 each trip, so its runs of 32 stay aligned.
// CHECK-LABEL: tile.kernel @loops
// CHECK:         scf.for
// CHECK:           tile.load %{{.+}}[%{{.+}}], %{{.+}}, %{{.+}} {contiguity = 8 : i64}
// CHECK:         scf.for
// CHECK:           tile.load %{{.+}}[%{{.+}}], %{{.+}}, %{{.+}} : memref
// CHECK:         scf.for
// CHECK:           tile.load %{{.+}}[%{{.+}}] {contiguity = 32 : i64}
// CHECK-NOT:     contiguity
tile.kernel @loops(%x: memref<4096xf32>) attributes {grid = array<i64: 1>} {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %c32 = arith.constant 32 : index
  %c1000 = arith.constant 1000 : index
  %n = arith.constant dense<1000> : tensor<32xindex>
  %step = arith.constant dense<64> : tensor<32xindex>
  %col = tile.iota 0 : tensor<32xindex>
  %init = arith.constant dense<0.0> : tensor<32xf32>
  %a = scf.for %k = %c0 to %c1000 step %c32 iter_args(%acc = %init) -> (tensor<32xf32>) {
    %ks = tensor.splat %k : tensor<32xindex>
    %o = arith.addi %ks, %col : tensor<32xindex>
    %m = arith.cmpi ult, %o, %n : tensor<32xindex>
    %v = tile.load %x[%o], %m, %zero : memref<4096xf32>[tensor<32xindex>], tensor<32xi1>, f32 -> tensor<32xf32>
    %s = arith.addf %acc, %v : tensor<32xf32>
    scf.yield %s : tensor<32xf32>
  }
  %b = scf.for %k = %c0 to %c1000 step %c3 iter_args(%acc = %init) -> (tensor<32xf32>) {
    %ks = tensor.splat %k : tensor<32xindex>
    %o = arith.addi %ks, %col : tensor<32xindex>
    %m = arith.cmpi ult, %o, %n : tensor<32xindex>
    %v = tile.load %x[%o], %m, %zero : memref<4096xf32>[tensor<32xindex>], tensor<32xi1>, f32 -> tensor<32xf32>
    %s = arith.addf %acc, %v : tensor<32xf32>
    scf.yield %s : tensor<32xf32>
  }
  %c:2 = scf.for %k = %c0 to %c32 step %c3 iter_args(%acc = %init, %base = %col) -> (tensor<32xf32>, tensor<32xindex>) {
    %v = tile.load %x[%base] : memref<4096xf32>[tensor<32xindex>] -> tensor<32xf32>
    %s = arith.addf %acc, %v : tensor<32xf32>
    %next = arith.addi %base, %step : tensor<32xindex>
    scf.yield %s, %next : tensor<32xf32>, tensor<32xindex>
  }
  tile.return
}

// -----

// Arithmetic on constant tiles (left unfolded here) stays a constant of the
// tile's shape: 4 + 4 added to an iota of 32 starts its run at 8, so runs of
// 8 are aligned; 3 * 2 = 6 leaves runs of 2.
// CHECK-LABEL: tile.kernel @constants
// CHECK:         tile.load %{{.+}}[%{{.+}}] {contiguity = 8 : i64}
// CHECK-NEXT:    tile.load %{{.+}}[%{{.+}}] {contiguity = 2 : i64}
tile.kernel @constants(%x: memref<64xf32>) attributes {grid = array<i64: 1>} {
  %c4 = arith.constant dense<4> : tensor<32xindex>
  %c3 = arith.constant dense<3> : tensor<32xindex>
  %c2 = arith.constant dense<2> : tensor<32xindex>
  %i = tile.iota 0 : tensor<32xindex>
  %eight = arith.addi %c4, %c4 : tensor<32xindex>
  %six = arith.muli %c3, %c2 : tensor<32xindex>
  %o8 = arith.addi %i, %eight : tensor<32xindex>
  %o6 = arith.addi %i, %six : tensor<32xindex>
  %a = tile.load %x[%o8] : memref<64xf32>[tensor<32xindex>] -> tensor<32xf32>
  %b = tile.load %x[%o6] : memref<64xf32>[tensor<32xindex>] -> tensor<32xf32>
  tile.return
}
