// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-simplify-indices),canonicalize,cse)' | FileCheck %s

// A head split and its transpose back: the offsets h * 4096 + k + d * 64
// (h < 9 a program id, k and d below 64 iotas) divided into coordinates and
// recombined as h * 4096 + k * 64 + d. Every division and remainder
// cancels; the key/value head h / 3 that three query heads share is one
// scalar division, its term one splat.
// CHECK-LABEL: tile.kernel @transpose(
// CHECK-SAME:    %[[IN:[^:]+]]: memref<36864xf32>, %[[OUT:[^:]+]]: memref<12288xf32>)
// CHECK-DAG:     %[[C4096:.+]] = arith.constant 4096 : index
// CHECK-DAG:     %[[C3:.+]] = arith.constant 3 : index
// CHECK-DAG:     %[[C64:.+]] = arith.constant dense<64> : tensor<64x64xindex>
// CHECK-DAG:     %[[H:.+]] = tile.program_id 0
// CHECK-DAG:     %[[D:.+]] = tile.iota 0 : tensor<64x64xindex>
// CHECK-DAG:     %[[K:.+]] = tile.iota 1 : tensor<64x64xindex>
// CHECK-NOT:     arith.divui {{.+}} : tensor
// CHECK-NOT:     arith.remui
// CHECK:         %[[KV:.+]] = arith.divui %[[H]], %[[C3]] : index
// CHECK-NOT:     arith.remui
// CHECK:         %[[K64:.+]] = arith.muli %[[K]], %[[C64]] : tensor<64x64xindex>
// CHECK:         %[[KD:.+]] = arith.addi %[[D]], %[[K64]] : tensor<64x64xindex>
// CHECK:         %[[KVB:.+]] = arith.muli %[[KV]], %[[C4096]] : index
// CHECK:         %[[KVS:.+]] = tensor.splat %[[KVB]] : tensor<64x64xindex>
// CHECK:         %[[OFFS:.+]] = arith.addi %[[KVS]], %[[KD]] : tensor<64x64xindex>
// CHECK:         tile.load %[[IN]][%[[OFFS]]]
// CHECK-NOT:     arith.divui
tile.kernel @transpose(%in: memref<36864xf32>, %out: memref<12288xf32>)
    attributes {grid = array<i64: 9>} {
  %h = tile.program_id 0
  %c4096 = arith.constant 4096 : index
  %hb = arith.muli %h, %c4096 : index
  %hs = tensor.splat %hb : tensor<64x64xindex>
  %d = tile.iota 0 : tensor<64x64xindex>
  %k = tile.iota 1 : tensor<64x64xindex>
  %c64 = arith.constant dense<64> : tensor<64x64xindex>
  %c3 = arith.constant dense<3> : tensor<64x64xindex>
  %c9 = arith.constant dense<9> : tensor<64x64xindex>
  %c4096t = arith.constant dense<4096> : tensor<64x64xindex>
  %c12288 = arith.constant dense<12288> : tensor<64x64xindex>
  %d64 = arith.muli %d, %c64 : tensor<64x64xindex>
  %hk = arith.addi %hs, %k : tensor<64x64xindex>
  %x = arith.addi %hk, %d64 : tensor<64x64xindex>
  // Coordinates (h, d, k) of x, recombined as h * 4096 + k * 64 + d.
  %x0 = arith.divui %x, %c4096t : tensor<64x64xindex>
  %h1 = arith.remui %x0, %c9 : tensor<64x64xindex>
  %x1 = arith.divui %x, %c64 : tensor<64x64xindex>
  %d1 = arith.remui %x1, %c64 : tensor<64x64xindex>
  %k1 = arith.remui %x, %c64 : tensor<64x64xindex>
  %h4096 = arith.muli %h1, %c4096t : tensor<64x64xindex>
  %k64 = arith.muli %k1, %c64 : tensor<64x64xindex>
  %y0 = arith.addi %h4096, %k64 : tensor<64x64xindex>
  %y = arith.addi %y0, %d1 : tensor<64x64xindex>
  // Its key/value head: y / 12288 (three heads of 4096 each), then back.
  %g0 = arith.divui %y, %c12288 : tensor<64x64xindex>
  %g = arith.remui %g0, %c3 : tensor<64x64xindex>
  %r = arith.remui %y, %c4096t : tensor<64x64xindex>
  %gb = arith.muli %g, %c4096t : tensor<64x64xindex>
  %offs = arith.addi %gb, %r : tensor<64x64xindex>
  %v = tile.load %in[%offs] : memref<36864xf32>[tensor<64x64xindex>] -> tensor<64x64xf32>
  %o = arith.addi %d64, %k : tensor<64x64xindex>
  tile.store %v, %out[%o] : tensor<64x64xf32>, memref<12288xf32>[tensor<64x64xindex>]
  tile.return
}

// -----

// A loop counter's bound is the last value it takes (a step of 32 up to 64
// ends at 32), so k + j (k < 32) stays below 64 and (k + j + d * 64) / 64
// is d. Where the terms do not stay below the divisor (i < 100, by 64), or
// a term is unbounded (a loaded value), nothing changes.
// CHECK-LABEL: tile.kernel @bounds(
// CHECK:         scf.for %[[J:.+]] =
// CHECK-DAG:       %[[D:.+]] = tile.iota 0 : tensor<64x32xindex>
// CHECK-NOT:       arith.divui %{{.+}}, %{{.+}} : tensor<64x32xindex>
// CHECK:           tile.load %{{.+}}[%[[D]]]
// CHECK:         arith.divui %{{.+}}, %{{.+}} : tensor<100xindex>
// CHECK:         arith.divui %{{.+}}, %{{.+}} : tensor<16xindex>
tile.kernel @bounds(%x: memref<4096xf32>, %i: memref<16xindex>, %y: memref<4096xf32>)
    attributes {grid = array<i64: 1>} {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %c64t = arith.constant dense<64> : tensor<64x32xindex>
  scf.for %j = %c0 to %c64 step %c32 {
    %k = tile.iota 1 : tensor<64x32xindex>
    %js = tensor.splat %j : tensor<64x32xindex>
    %kj = arith.addi %k, %js : tensor<64x32xindex>
    %d = tile.iota 0 : tensor<64x32xindex>
    %d64 = arith.muli %d, %c64t : tensor<64x32xindex>
    %e = arith.addi %kj, %d64 : tensor<64x32xindex>
    %row = arith.divui %e, %c64t : tensor<64x32xindex>
    %v = tile.load %x[%row] : memref<4096xf32>[tensor<64x32xindex>] -> tensor<64x32xf32>
    tile.store %v, %y[%e] : tensor<64x32xf32>, memref<4096xf32>[tensor<64x32xindex>]
  }
  %n = tile.iota 0 : tensor<100xindex>
  %c64n = arith.constant dense<64> : tensor<100xindex>
  %q = arith.divui %n, %c64n : tensor<100xindex>
  %qv = tile.load %x[%q] : memref<4096xf32>[tensor<100xindex>] -> tensor<100xf32>
  tile.store %qv, %y[%n] : tensor<100xf32>, memref<4096xf32>[tensor<100xindex>]
  %ii = tile.iota 0 : tensor<16xindex>
  %loaded = tile.load %i[%ii] : memref<16xindex>[tensor<16xindex>] -> tensor<16xindex>
  %c64l = arith.constant dense<64> : tensor<16xindex>
  %ql = arith.divui %loaded, %c64l : tensor<16xindex>
  %lv = tile.load %x[%ql] : memref<4096xf32>[tensor<16xindex>] -> tensor<16xf32>
  tile.store %lv, %y[%ii] : tensor<16xf32>, memref<4096xf32>[tensor<16xindex>]
  tile.return
}

// -----

// A loop counter from 0 by 16 is a multiple of 16: with j < 16, (k + j) % 32
// is k % 32 + j and (k + j) / 32 is k / 32, each a scalar op on the counter
// and a splat (a product's K loop reading heads of 32 merged into rows, as
// an attention's output projection does). A counter by 8 is not: nothing
// changes there. The counter alone divided stays as it is.
// CHECK-LABEL: tile.kernel @counter_multiple(
// CHECK-DAG:     %[[C32:.+]] = arith.constant 32 : index
// CHECK:         scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK-DAG:       %[[J:.+]] = tile.iota 1 : tensor<16x16xindex>
// CHECK-DAG:       %[[KR:.+]] = arith.remui %[[K]], %[[C32]] : index
// CHECK-DAG:       %[[KQ:.+]] = arith.divui %[[K]], %[[C32]] : index
// CHECK-NOT:       arith.remui {{.+}} : tensor
// CHECK-NOT:       arith.divui {{.+}} : tensor
// CHECK:           tile.load
// CHECK:         scf.for
// CHECK:           arith.remui {{.+}} : tensor<16x16xindex>
// CHECK:           arith.divui {{.+}} : tensor<16x16xindex>
// CHECK:         scf.for %[[L:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK:           arith.remui %[[L]], %[[C32]] : index
tile.kernel @counter_multiple(%x: memref<65536xf32>, %y: memref<256xf32>)
    attributes {grid = array<i64: 1>} {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %c384 = arith.constant 384 : index
  %c32t = arith.constant dense<32> : tensor<16x16xindex>
  %c1184 = arith.constant dense<1184> : tensor<16x16xindex>
  scf.for %k = %c0 to %c384 step %c16 {
    %j = tile.iota 1 : tensor<16x16xindex>
    %ks = tensor.splat %k : tensor<16x16xindex>
    %kj = arith.addi %j, %ks : tensor<16x16xindex>
    %rem = arith.remui %kj, %c32t : tensor<16x16xindex>
    %quo = arith.divui %kj, %c32t : tensor<16x16xindex>
    %q = arith.muli %quo, %c1184 : tensor<16x16xindex>
    %offs = arith.addi %rem, %q : tensor<16x16xindex>
    %v = tile.load %x[%offs] : memref<65536xf32>[tensor<16x16xindex>] -> tensor<16x16xf32>
    %i = tile.iota 0 : tensor<16x16xindex>
    %i16 = arith.muli %i, %c32t : tensor<16x16xindex>
    %w = arith.addi %i16, %j : tensor<16x16xindex>
    tile.store %v, %y[%w] : tensor<16x16xf32>, memref<256xf32>[tensor<16x16xindex>]
  }
  scf.for %k = %c0 to %c384 step %c8 {
    %j = tile.iota 1 : tensor<16x16xindex>
    %ks = tensor.splat %k : tensor<16x16xindex>
    %kj = arith.addi %j, %ks : tensor<16x16xindex>
    %rem = arith.remui %kj, %c32t : tensor<16x16xindex>
    %quo = arith.divui %kj, %c32t : tensor<16x16xindex>
    %q = arith.muli %quo, %c1184 : tensor<16x16xindex>
    %offs = arith.addi %rem, %q : tensor<16x16xindex>
    %v = tile.load %x[%offs] : memref<65536xf32>[tensor<16x16xindex>] -> tensor<16x16xf32>
    %i = tile.iota 0 : tensor<16x16xindex>
    %i16 = arith.muli %i, %c32t : tensor<16x16xindex>
    %w = arith.addi %i16, %j : tensor<16x16xindex>
    tile.store %v, %y[%w] : tensor<16x16xf32>, memref<256xf32>[tensor<16x16xindex>]
  }
  scf.for %k = %c0 to %c384 step %c16 {
    %m = arith.remui %k, %c32 : index
    %n = tile.iota 0 : tensor<16xindex>
    %ms = tensor.splat %m : tensor<16xindex>
    %mn = arith.addi %n, %ms : tensor<16xindex>
    %v = tile.load %x[%mn] : memref<65536xf32>[tensor<16xindex>] -> tensor<16xf32>
    tile.store %v, %y[%n] : tensor<16xf32>, memref<256xf32>[tensor<16xindex>]
  }
  tile.return
}

// -----

// The terms the divisor divides leave a division that does not cancel:
// (j + 128 * p) % 32 is j % 32 and (j + 128 * p) / 32 is 4 * p + j / 32,
// the divisions of the iota alone (constants once it is one).
// CHECK-LABEL: tile.kernel @partial(
// CHECK-DAG:     %[[C4:.+]] = arith.constant 4 : index
// CHECK-DAG:     %[[C32:.+]] = arith.constant dense<32> : tensor<16x128xindex>
// CHECK-DAG:     %[[P:.+]] = tile.program_id 0
// CHECK-DAG:     %[[J:.+]] = tile.iota 1 : tensor<16x128xindex>
// CHECK-DAG:     %[[R:.+]] = arith.remui %[[J]], %[[C32]] : tensor<16x128xindex>
// CHECK-DAG:     %[[Q:.+]] = arith.divui %[[J]], %[[C32]] : tensor<16x128xindex>
// CHECK-DAG:     %[[P4:.+]] = arith.muli %[[P]], %[[C4]] : index
// CHECK-DAG:     %[[P4S:.+]] = tensor.splat %[[P4]] : tensor<16x128xindex>
// CHECK-DAG:     arith.addi %[[P4S]], %[[Q]] : tensor<16x128xindex>
tile.kernel @partial(%x: memref<65536xf32>, %y: memref<2048xf32>)
    attributes {grid = array<i64: 3>} {
  %p = tile.program_id 0
  %c128 = arith.constant 128 : index
  %p128 = arith.muli %p, %c128 : index
  %ps = tensor.splat %p128 : tensor<16x128xindex>
  %j = tile.iota 1 : tensor<16x128xindex>
  %jp = arith.addi %j, %ps : tensor<16x128xindex>
  %c32 = arith.constant dense<32> : tensor<16x128xindex>
  %c1184 = arith.constant dense<1184> : tensor<16x128xindex>
  %rem = arith.remui %jp, %c32 : tensor<16x128xindex>
  %quo = arith.divui %jp, %c32 : tensor<16x128xindex>
  %q = arith.muli %quo, %c1184 : tensor<16x128xindex>
  %offs = arith.addi %rem, %q : tensor<16x128xindex>
  %v = tile.load %x[%offs] : memref<65536xf32>[tensor<16x128xindex>] -> tensor<16x128xf32>
  %i = tile.iota 0 : tensor<16x128xindex>
  %c128t = arith.constant dense<128> : tensor<16x128xindex>
  %i128 = arith.muli %i, %c128t : tensor<16x128xindex>
  %w = arith.addi %i128, %j : tensor<16x128xindex>
  tile.store %v, %y[%w] : tensor<16x128xf32>, memref<2048xf32>[tensor<16x128xindex>]
  tile.return
}

// -----

// A transposed key block [d, k] of 37 keys by blocks of 32: the second
// block overhangs the keys, so k + j reaches 63 and the divisions of
// 37 * d + k (d < 32 a head dimension, k the key) by 37 do not cancel.
// Lanes with k >= 37 are off in the mask and read nothing: in the gather's
// offsets k is min(k, 36), and both divisions cancel. A gather whose
// divisions would not cancel anyway (a flattened index spanning the
// divisor) keeps its offsets, and so does an access with runs of
// consecutive offsets (the store).
// CHECK-LABEL: tile.kernel @masked_keys(
// CHECK-DAG:     %[[C36:.+]] = arith.constant dense<36> : tensor<32x32xindex>
// CHECK:         scf.for
// CHECK:           %[[K:.+]] = arith.addi %{{.+}}, %{{.+}} : tensor<32x32xindex>
// CHECK:           %[[KC:.+]] = arith.minui %[[K]], %[[C36]] : tensor<32x32xindex>
// CHECK-NOT:       arith.divui {{.+}} : tensor<32x32xindex>
// CHECK-NOT:       arith.remui {{.+}} : tensor<32x32xindex>
// CHECK:           tile.load %{{.+}}[%{{.+}}], %{{.+}}, %{{.+}} : memref<4096xf32>[tensor<32x32xindex>]
// CHECK-NOT:       arith.minui
// CHECK:           tile.store
// CHECK:         arith.divui {{.+}} : tensor<512xindex>
// CHECK-NOT:     arith.minui
// CHECK:         tile.load
tile.kernel @masked_keys(%keys: memref<4096xf32>, %out: memref<2048xf32>, %flat: memref<37xf32>, %y: memref<1024xf32>)
    attributes {grid = array<i64: 2>} {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c37 = arith.constant 37 : index
  %c37t = arith.constant dense<37> : tensor<32x32xindex>
  %c32t = arith.constant dense<32> : tensor<32x32xindex>
  %c1184t = arith.constant dense<1184> : tensor<32x32xindex>
  %zero = arith.constant 0.0 : f32
  scf.for %kb = %c0 to %c37 step %c32 {
    %j = tile.iota 1 : tensor<32x32xindex>
    %kbs = tensor.splat %kb : tensor<32x32xindex>
    %k = arith.addi %j, %kbs : tensor<32x32xindex>
    %d = tile.iota 0 : tensor<32x32xindex>
    %in = arith.cmpi ult, %k, %c37t : tensor<32x32xindex>
    %dk = arith.cmpi ult, %d, %c32t : tensor<32x32xindex>
    %mask = arith.andi %in, %dk : tensor<32x32xi1>
    // Element (d, k) of the transposed view: the linear index 37 * d + k
    // split into its row and column again.
    %d37 = arith.muli %d, %c37t : tensor<32x32xindex>
    %lin = arith.addi %d37, %k : tensor<32x32xindex>
    %row = arith.divui %lin, %c37t : tensor<32x32xindex>
    %col = arith.remui %lin, %c37t : tensor<32x32xindex>
    %r32 = arith.muli %col, %c32t : tensor<32x32xindex>
    %offs = arith.addi %r32, %row : tensor<32x32xindex>
    %v = tile.load %keys[%offs], %mask, %zero : memref<4096xf32>[tensor<32x32xindex>], tensor<32x32xi1>, f32 -> tensor<32x32xf32>
    %o32 = arith.muli %d, %c32t : tensor<32x32xindex>
    %o = arith.addi %o32, %j : tensor<32x32xindex>
    tile.store %v, %out[%o], %mask : tensor<32x32xf32>, memref<2048xf32>[tensor<32x32xindex>], tensor<32x32xi1>
  }
  %p = tile.program_id 0
  %c512 = arith.constant 512 : index
  %pb = arith.muli %p, %c512 : index
  %ps = tensor.splat %pb : tensor<512xindex>
  %i = tile.iota 0 : tensor<512xindex>
  %x = arith.addi %ps, %i : tensor<512xindex>
  %c1000 = arith.constant dense<1000> : tensor<512xindex>
  %c27 = arith.constant dense<27> : tensor<512xindex>
  %c37n = arith.constant dense<37> : tensor<512xindex>
  %live = arith.cmpi ult, %x, %c1000 : tensor<512xindex>
  %q = arith.divui %x, %c27 : tensor<512xindex>
  %qr = arith.remui %q, %c37n : tensor<512xindex>
  %b = tile.load %flat[%qr], %live, %zero : memref<37xf32>[tensor<512xindex>], tensor<512xi1>, f32 -> tensor<512xf32>
  %c1024 = arith.constant dense<1024> : tensor<512xindex>
  %xs = arith.remui %x, %c1024 : tensor<512xindex>
  tile.store %b, %y[%xs], %live : tensor<512xf32>, memref<1024xf32>[tensor<512xindex>], tensor<512xi1>
  tile.return
}

// -----

// A comparison its operand's bound decides is a constant: `d < 64` with d
// an iota of 64 is true in every lane (the mask is then `k + 32 j < 100`
// alone), `d >= 64` false; `k + 32 j < 100` with j < 4 is not decided
// (k + 32 j reaches 127), nor is `j < 3`.
// CHECK-LABEL: tile.kernel @bounded_compare(
// CHECK:         %[[KEYS:.+]] = arith.cmpi ult, %{{.+}}, %{{.+}} : tensor<32x64xindex>
// CHECK-NOT:     arith.cmpi
// CHECK-NOT:     arith.andi
// CHECK:         tile.load %{{.+}}[%{{.+}}], %[[KEYS]]
// CHECK-NOT:     arith.xori
// CHECK:         tile.store %{{.+}}, %{{.+}}[%{{.+}}], %[[KEYS]]
// CHECK:         %[[ANY:.+]] = arith.cmpi ult, %{{.+}}, %{{.+}} : index
// CHECK-NEXT:    scf.if %[[ANY]]
tile.kernel @bounded_compare(%in: memref<6400xf32>, %out: memref<6400xf32>)
    attributes {grid = array<i64: 4>} {
  %j = tile.program_id 0
  %c64 = arith.constant dense<64> : tensor<32x64xindex>
  %c100 = arith.constant dense<100> : tensor<32x64xindex>
  %c32 = arith.constant dense<32> : tensor<32x64xindex>
  %k = tile.iota 0 : tensor<32x64xindex>
  %d = tile.iota 1 : tensor<32x64xindex>
  %js = tensor.splat %j : tensor<32x64xindex>
  %j32 = arith.muli %js, %c32 : tensor<32x64xindex>
  %key = arith.addi %k, %j32 : tensor<32x64xindex>
  %in_keys = arith.cmpi ult, %key, %c100 : tensor<32x64xindex>
  %in_dims = arith.cmpi ult, %d, %c64 : tensor<32x64xindex>
  %mask = arith.andi %in_keys, %in_dims : tensor<32x64xi1>
  %row = arith.muli %key, %c64 : tensor<32x64xindex>
  %offs = arith.addi %row, %d : tensor<32x64xindex>
  %x = tile.load %in[%offs], %mask : memref<6400xf32>[tensor<32x64xindex>], tensor<32x64xi1> -> tensor<32x64xf32>
  %past = arith.cmpi uge, %d, %c64 : tensor<32x64xindex>
  %keep = arith.xori %past, %mask : tensor<32x64xi1>
  tile.store %x, %out[%offs], %keep : tensor<32x64xf32>, memref<6400xf32>[tensor<32x64xindex>], tensor<32x64xi1>
  %c3 = arith.constant 3 : index
  %any = arith.cmpi ult, %j, %c3 : index
  scf.if %any {
    tile.store %x, %out[%offs] : tensor<32x64xf32>, memref<6400xf32>[tensor<32x64xindex>]
  }
  tile.return
}
