// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-epilogue-rows))' | FileCheck %s

// A product's epilogue (a bias, tanh, the store) runs one row at a time: the
// accumulator's row is sliced out, the offsets and the mask are rebuilt per
// row from their iotas and splats (iota along the rows is the row number),
// scalar ops stay before the loop, and the 2-D originals are gone.
// CHECK-LABEL: tile.kernel @epilogue(
// CHECK-SAME:    %[[A:[^:]+]]: memref<256xf32>, %[[B:[^:]+]]: memref<64xf32>, %[[Y:[^:]+]]: memref<256xf32>)
// CHECK:         %[[ACC:.+]] = scf.for {{.+}} -> (tensor<4x64xf32>)
// CHECK:         %[[BASE:.+]] = arith.muli %{{.+}}, %{{.+}} : index
// CHECK-NOT:     tensor<4x64
// CHECK:         %[[C0:.+]] = arith.constant 0 : index
// CHECK:         %[[C4:.+]] = arith.constant 4 : index
// CHECK:         %[[C1:.+]] = arith.constant 1 : index
// CHECK:         scf.for %[[R:.+]] = %[[C0]] to %[[C4]] step %[[C1]] {
// CHECK:           %[[COLS:.+]] = tile.iota 1 : tensor<1x64xindex>
// CHECK:           %[[BIAS:.+]] = tile.load %[[B]][%[[COLS]]] : memref<64xf32>[tensor<1x64xindex>] -> tensor<1x64xf32>
// CHECK:           %[[ROW:.+]] = tensor.extract_slice %[[ACC]][%[[R]], 0] [1, 64] [1, 1] : tensor<4x64xf32> to tensor<1x64xf32>
// CHECK:           %[[SUM:.+]] = arith.addf %[[ROW]], %[[BIAS]] : tensor<1x64xf32>
// CHECK:           %[[T:.+]] = math.tanh %[[SUM]] : tensor<1x64xf32>
// CHECK:           %[[BS:.+]] = tensor.splat %[[BASE]] : tensor<1x64xindex>
// CHECK:           %[[RS:.+]] = tensor.splat %[[R]] : tensor<1x64xindex>
// CHECK:           %[[C64:.+]] = arith.constant dense<64> : tensor<1x64xindex>
// CHECK:           %[[RO:.+]] = arith.muli %[[RS]], %[[C64]] : tensor<1x64xindex>
// CHECK:           %[[O:.+]] = arith.addi %[[RO]], %[[COLS]] : tensor<1x64xindex>
// CHECK:           %[[OFFS:.+]] = arith.addi %[[O]], %[[BS]] : tensor<1x64xindex>
// CHECK:           %[[C3:.+]] = arith.constant dense<3> : tensor<1x64xindex>
// CHECK:           %[[IN:.+]] = arith.cmpi ult, %[[RS]], %[[C3]] : tensor<1x64xindex>
// CHECK:           tile.store %[[T]], %[[Y]][%[[OFFS]]], %[[IN]] : tensor<1x64xf32>, memref<256xf32>[tensor<1x64xindex>], tensor<1x64xi1>
// CHECK-NEXT:    }
// CHECK-NEXT:    tile.return
tile.kernel @epilogue(%a: memref<256xf32>, %b: memref<64xf32>, %y: memref<256xf32>)
    attributes {grid = array<i64: 1>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant dense<0.0> : tensor<4x64xf32>
  %rows = tile.iota 0 : tensor<4x64xindex>
  %cols = tile.iota 1 : tensor<4x64xindex>
  %c64 = arith.constant dense<64> : tensor<4x64xindex>
  %r64 = arith.muli %rows, %c64 : tensor<4x64xindex>
  %o = arith.addi %r64, %cols : tensor<4x64xindex>
  %acc = scf.for %k = %c0 to %c2 step %c1 iter_args(%sum = %zero) -> (tensor<4x64xf32>) {
    %x = tile.load %a[%o] : memref<256xf32>[tensor<4x64xindex>] -> tensor<4x64xf32>
    %next = arith.addf %sum, %x : tensor<4x64xf32>
    scf.yield %next : tensor<4x64xf32>
  }
  %pid = tile.program_id 0
  %base = arith.muli %pid, %c2 : index
  %bias = tile.load %b[%cols] : memref<64xf32>[tensor<4x64xindex>] -> tensor<4x64xf32>
  %s = arith.addf %acc, %bias : tensor<4x64xf32>
  %t = math.tanh %s : tensor<4x64xf32>
  %bs = tensor.splat %base : tensor<4x64xindex>
  %offs = arith.addi %o, %bs : tensor<4x64xindex>
  %c3 = arith.constant dense<3> : tensor<4x64xindex>
  %in = arith.cmpi ult, %rows, %c3 : tensor<4x64xindex>
  tile.store %t, %y[%offs], %in : tensor<4x64xf32>, memref<256xf32>[tensor<4x64xindex>], tensor<4x64xi1>
  tile.return
}

// -----

// A layer norm's tail: the reductions along the columns and their
// broadcasts back stay per row (1-D tiles of one element), the row's mean
// computed before the tail is read with tensor.extract, and the [64]
// column vector broadcast along the rows (a weight) is used whole.
// CHECK-LABEL: tile.kernel @norm(
// CHECK-SAME:    %[[X:[^:]+]]: memref<256xf32>, %[[G:[^:]+]]: memref<64xf32>, %[[Y:[^:]+]]: memref<256xf32>)
// CHECK:         %[[MEAN:.+]] = tile.reduce <sum>, %{{.+}} {dim = 1 : i64} : tensor<4x64xf32> -> tensor<4xf32>
// CHECK:         %[[GAMMA:.+]] = tile.load %[[G]][%{{.+}}] : memref<64xf32>[tensor<64xindex>] -> tensor<64xf32>
// CHECK:         scf.for %[[R:.+]] = {{.+}} {
// CHECK:           %[[M:.+]] = tensor.extract %[[MEAN]][%[[R]]] : tensor<4xf32>
// CHECK:           %[[MS:.+]] = tensor.splat %[[M]] : tensor<1xf32>
// CHECK:           tile.broadcast %[[MS]] {dims = array<i64: 1>} : tensor<1xf32> -> tensor<1x64xf32>
// CHECK:           %[[SQ:.+]] = tile.reduce <sum>, %{{.+}} {dim = 1 : i64} : tensor<1x64xf32> -> tensor<1xf32>
// CHECK:           math.rsqrt %{{.+}} : tensor<1xf32>
// CHECK:           tile.broadcast %{{.+}} {dims = array<i64: 1>} : tensor<1xf32> -> tensor<1x64xf32>
// CHECK:           tile.broadcast %[[GAMMA]] {dims = array<i64: 0>} : tensor<64xf32> -> tensor<1x64xf32>
// CHECK:           tile.store %{{.+}}, %[[Y]][%{{.+}}] : tensor<1x64xf32>, memref<256xf32>[tensor<1x64xindex>]
// CHECK:         }
// CHECK-NEXT:    tile.return
tile.kernel @norm(%x: memref<256xf32>, %g: memref<64xf32>, %y: memref<256xf32>)
    attributes {grid = array<i64: 1>} {
  %rows = tile.iota 0 : tensor<4x64xindex>
  %cols = tile.iota 1 : tensor<4x64xindex>
  %c64 = arith.constant dense<64> : tensor<4x64xindex>
  %r64 = arith.muli %rows, %c64 : tensor<4x64xindex>
  %o = arith.addi %r64, %cols : tensor<4x64xindex>
  %v = tile.load %x[%o] : memref<256xf32>[tensor<4x64xindex>] -> tensor<4x64xf32>
  %mean = tile.reduce <sum>, %v {dim = 1 : i64} : tensor<4x64xf32> -> tensor<4xf32>
  %gcols = tile.iota 0 : tensor<64xindex>
  %gamma = tile.load %g[%gcols] : memref<64xf32>[tensor<64xindex>] -> tensor<64xf32>
  %mb = tile.broadcast %mean {dims = array<i64: 1>} : tensor<4xf32> -> tensor<4x64xf32>
  %d = arith.subf %v, %mb : tensor<4x64xf32>
  %d2 = arith.mulf %d, %d : tensor<4x64xf32>
  %var = tile.reduce <sum>, %d2 {dim = 1 : i64} : tensor<4x64xf32> -> tensor<4xf32>
  %inv = math.rsqrt %var : tensor<4xf32>
  %ib = tile.broadcast %inv {dims = array<i64: 1>} : tensor<4xf32> -> tensor<4x64xf32>
  %n = arith.mulf %d, %ib : tensor<4x64xf32>
  %gb = tile.broadcast %gamma {dims = array<i64: 0>} : tensor<64xf32> -> tensor<4x64xf32>
  %out = arith.mulf %n, %gb : tensor<4x64xf32>
  tile.store %out, %y[%o] : tensor<4x64xf32>, memref<256xf32>[tensor<4x64xindex>]
  tile.return
}

// -----

// Left as they are: a store of fewer columns than min-columns (64), and a
// tail that would take rows of a mask made by a load.
// CHECK-LABEL: tile.kernel @narrow(
// CHECK-NOT:     tensor<1x32
// CHECK:         tile.store %{{.+}} : tensor<4x32xf32>
tile.kernel @narrow(%x: memref<128xf32>, %y: memref<128xf32>)
    attributes {grid = array<i64: 1>} {
  %rows = tile.iota 0 : tensor<4x32xindex>
  %cols = tile.iota 1 : tensor<4x32xindex>
  %c32 = arith.constant dense<32> : tensor<4x32xindex>
  %r32 = arith.muli %rows, %c32 : tensor<4x32xindex>
  %o = arith.addi %r32, %cols : tensor<4x32xindex>
  %v = tile.load %x[%o] : memref<128xf32>[tensor<4x32xindex>] -> tensor<4x32xf32>
  %t = math.tanh %v : tensor<4x32xf32>
  tile.store %t, %y[%o] : tensor<4x32xf32>, memref<128xf32>[tensor<4x32xindex>]
  tile.return
}

// CHECK-LABEL: tile.kernel @loaded_mask(
// CHECK-NOT:     tensor<1x64
// CHECK:         tile.store %{{.+}} : tensor<4x64xf32>
tile.kernel @loaded_mask(%x: memref<256xf32>, %m: memref<256xi1>, %y: memref<256xf32>)
    attributes {grid = array<i64: 1>} {
  %rows = tile.iota 0 : tensor<4x64xindex>
  %cols = tile.iota 1 : tensor<4x64xindex>
  %c64 = arith.constant dense<64> : tensor<4x64xindex>
  %r64 = arith.muli %rows, %c64 : tensor<4x64xindex>
  %o = arith.addi %r64, %cols : tensor<4x64xindex>
  %mask = tile.load %m[%o] : memref<256xi1>[tensor<4x64xindex>] -> tensor<4x64xi1>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %same = scf.for %k = %c0 to %c2 step %c1 iter_args(%it = %mask) -> (tensor<4x64xi1>) {
    scf.yield %it : tensor<4x64xi1>
  }
  %v = tile.load %x[%o], %same : memref<256xf32>[tensor<4x64xindex>], tensor<4x64xi1> -> tensor<4x64xf32>
  %t = math.tanh %v : tensor<4x64xf32>
  tile.store %t, %y[%o], %same : tensor<4x64xf32>, memref<256xf32>[tensor<4x64xindex>], tensor<4x64xi1>
  tile.return
}
