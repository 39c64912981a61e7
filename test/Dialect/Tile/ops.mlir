// RUN: meld-opt %s -split-input-file | meld-opt | FileCheck %s
// RUN: meld-opt %s -split-input-file -mlir-print-op-generic | meld-opt | FileCheck %s

// Every tile op round-trips through its custom assembly and the generic form.

// CHECK-LABEL: tile.kernel @add
// CHECK-SAME: (%[[A:.+]]: memref<4920xf32>, %[[B:.+]]: memref<120xf32>, %[[OUT:.+]]: memref<4920xf32>)
// CHECK-SAME: attributes {grid = array<i64: 5>}
tile.kernel @add(%a: memref<4920xf32>, %b: memref<120xf32>, %out: memref<4920xf32>)
    attributes {grid = array<i64: 5>} {
  // CHECK: %[[PID:.+]] = tile.program_id 0
  %pid = tile.program_id 0
  // CHECK: %[[IOTA:.+]] = tile.iota 0 : tensor<1024xindex>
  %iota = tile.iota 0 : tensor<1024xindex>
  %c1024 = arith.constant 1024 : index
  %base = arith.muli %pid, %c1024 : index
  %splat = tensor.splat %base : tensor<1024xindex>
  %offs = arith.addi %splat, %iota : tensor<1024xindex>
  %n = arith.constant dense<4920> : tensor<1024xindex>
  %mask = arith.cmpi ult, %offs, %n : tensor<1024xindex>
  %zero = arith.constant 0.0 : f32
  // CHECK: %[[X:.+]] = tile.load %[[A]][%[[OFFS:.+]]], %[[MASK:.+]], %[[ZERO:.+]] : memref<4920xf32>[tensor<1024xindex>], tensor<1024xi1>, f32 -> tensor<1024xf32>
  %x = tile.load %a[%offs], %mask, %zero
      : memref<4920xf32>[tensor<1024xindex>], tensor<1024xi1>, f32 -> tensor<1024xf32>
  %c120 = arith.constant dense<120> : tensor<1024xindex>
  %col = arith.remui %offs, %c120 : tensor<1024xindex>
  // Without `other`, masked-off elements read as zero.
  // CHECK: %[[Y:.+]] = tile.load %[[B]][%[[COL:.+]]], %[[MASK]] : memref<120xf32>[tensor<1024xindex>], tensor<1024xi1> -> tensor<1024xf32>
  %y = tile.load %b[%col], %mask : memref<120xf32>[tensor<1024xindex>], tensor<1024xi1> -> tensor<1024xf32>
  %sum = arith.addf %x, %y : tensor<1024xf32>
  // CHECK: tile.store %[[SUM:.+]], %[[OUT]][%[[OFFS]]], %[[MASK]] : tensor<1024xf32>, memref<4920xf32>[tensor<1024xindex>], tensor<1024xi1>
  tile.store %sum, %out[%offs], %mask
      : tensor<1024xf32>, memref<4920xf32>[tensor<1024xindex>], tensor<1024xi1>
  // CHECK: tile.return
  tile.return
}

// -----

// Unmasked accesses; a 3-D grid; every program id; argument attributes.
// CHECK-LABEL: tile.kernel @copy
// CHECK-SAME: (%[[IN:.+]]: memref<64xi8> {meld.name = "x"}, %[[OUT:.+]]: memref<64xi8>)
// CHECK-SAME: attributes {grid = array<i64: 2, 2, 1>}
tile.kernel @copy(%in: memref<64xi8> {meld.name = "x"}, %out: memref<64xi8>)
    attributes {grid = array<i64: 2, 2, 1>} {
  // CHECK: tile.program_id 0
  %x = tile.program_id 0
  // CHECK: tile.program_id 1
  %y = tile.program_id 1
  // CHECK: tile.program_id 2
  %z = tile.program_id 2
  // CHECK: %[[ROWS:.+]] = tile.iota 0 : tensor<4x4xindex>
  %rows = tile.iota 0 : tensor<4x4xindex>
  // CHECK: %[[COLS:.+]] = tile.iota 1 : tensor<4x4xindex>
  %cols = tile.iota 1 : tensor<4x4xindex>
  %c4 = arith.constant dense<4> : tensor<4x4xindex>
  %r = arith.muli %rows, %c4 : tensor<4x4xindex>
  %offs = arith.addi %r, %cols : tensor<4x4xindex>
  // CHECK: %[[V:.+]] = tile.load %[[IN]][%[[OFFS:.+]]] : memref<64xi8>[tensor<4x4xindex>] -> tensor<4x4xi8>
  %v = tile.load %in[%offs] : memref<64xi8>[tensor<4x4xindex>] -> tensor<4x4xi8>
  // CHECK: tile.store %[[V]], %[[OUT]][%[[OFFS]]] : tensor<4x4xi8>, memref<64xi8>[tensor<4x4xindex>]
  tile.store %v, %out[%offs] : tensor<4x4xi8>, memref<64xi8>[tensor<4x4xindex>]
  tile.return
}

// -----

// A rank-0 tile: one element.
// CHECK-LABEL: tile.kernel @scalar
tile.kernel @scalar(%buf: memref<1xf32>) attributes {grid = array<i64: 1>} {
  %o = arith.constant dense<0> : tensor<index>
  // CHECK: tile.load %{{.+}}[%{{.+}}] : memref<1xf32>[tensor<index>] -> tensor<f32>
  %v = tile.load %buf[%o] : memref<1xf32>[tensor<index>] -> tensor<f32>
  // CHECK: tile.store %{{.+}}, %{{.+}}[%{{.+}}] : tensor<f32>, memref<1xf32>[tensor<index>]
  tile.store %v, %buf[%o] : tensor<f32>, memref<1xf32>[tensor<index>]
  tile.return
}

// -----

// CHECK-LABEL: tile.kernel @contractions
tile.kernel @contractions(%buf: memref<512xf16>) attributes {grid = array<i64: 1>} {
  %a = arith.constant dense<1.0> : tensor<32x16xf16>
  %b = arith.constant dense<2.0> : tensor<16x64xf16>
  %acc = arith.constant dense<0.0> : tensor<32x64xf32>
  // f16 operands accumulate in f32.
  // CHECK: %[[C:.+]] = tile.dot %{{.+}}, %{{.+}}, %{{.+}} : tensor<32x16xf16>, tensor<16x64xf16> -> tensor<32x64xf32>
  %c = tile.dot %a, %b, %acc : tensor<32x16xf16>, tensor<16x64xf16> -> tensor<32x64xf32>
  // Only the first 20 rows defined.
  // CHECK: %[[ROWS:.+]] = arith.constant 20 : index
  // CHECK: tile.dot %{{.+}}, %{{.+}}, %{{.+}} rows %[[ROWS]] : tensor<32x16xf16>, tensor<16x64xf16> -> tensor<32x64xf32>
  %rows = arith.constant 20 : index
  %partial = tile.dot %a, %b, %acc rows %rows : tensor<32x16xf16>, tensor<16x64xf16> -> tensor<32x64xf32>
  // CHECK: %[[MAX:.+]] = tile.reduce <max>, %[[C]] {dim = 1 : i64} : tensor<32x64xf32> -> tensor<32xf32>
  %rowmax = tile.reduce <max>, %c {dim = 1 : i64} : tensor<32x64xf32> -> tensor<32xf32>
  // CHECK: tile.reduce <sum>, %[[C]] {dim = 0 : i64} : tensor<32x64xf32> -> tensor<64xf32>
  %colsum = tile.reduce <sum>, %c {dim = 0 : i64} : tensor<32x64xf32> -> tensor<64xf32>
  // CHECK: %[[MIN:.+]] = tile.reduce <min>, %[[MAX]] {dim = 0 : i64} : tensor<32xf32> -> tensor<f32>
  %min = tile.reduce <min>, %rowmax {dim = 0 : i64} : tensor<32xf32> -> tensor<f32>
  // CHECK: tile.broadcast %[[MAX]] {dims = array<i64: 1>} : tensor<32xf32> -> tensor<32x64xf32>
  %b1 = tile.broadcast %rowmax {dims = array<i64: 1>} : tensor<32xf32> -> tensor<32x64xf32>
  // CHECK: tile.broadcast %[[MIN]] {dims = array<i64: 0, 1>} : tensor<f32> -> tensor<4x8xf32>
  %b2 = tile.broadcast %min {dims = array<i64: 0, 1>} : tensor<f32> -> tensor<4x8xf32>
  // CHECK: tile.broadcast %[[MAX]] {dims = array<i64: 0, 2>} : tensor<32xf32> -> tensor<2x32x3xf32>
  %b3 = tile.broadcast %rowmax {dims = array<i64: 0, 2>} : tensor<32xf32> -> tensor<2x32x3xf32>
  tile.return
}

// -----

// The launch plan: host code that runs kernels over buffers and weights.
// CHECK-LABEL: func.func @plan
// CHECK-SAME: (%[[X:.+]]: memref<4920xf32>, %[[OUT:.+]]: memref<4920xf32>)
func.func @plan(%x: memref<4920xf32>, %out: memref<4920xf32>) {
  // CHECK: %[[W:.+]] = tile.weight "h.0.ln_1.bias" : memref<120xf32>
  %w = tile.weight "h.0.ln_1.bias" : memref<120xf32>
  // A weight's matrix in panels of 64 columns, K padded from 120 to 128: 16
  // panels of 128 x 64.
  // CHECK: tile.weight "lm_head.weight" panels <rows = 120, columns = 1000, row_stride = 1, column_stride = 120, offset = 0, padded_rows = 128, panel = 64> : memref<131072xf32>
  %p = tile.weight "lm_head.weight" panels <rows = 120, columns = 1000, row_stride = 1, column_stride = 120, offset = 0, padded_rows = 128, panel = 64> : memref<131072xf32>
  // CHECK: tile.launch @panels({{.+}}) : memref<131072xf32>
  tile.launch @panels(%p) : memref<131072xf32>
  // CHECK: tile.launch @add(%[[X]], %[[W]], %[[OUT]]) : memref<4920xf32>, memref<120xf32>, memref<4920xf32>
  tile.launch @add(%x, %w, %out) : memref<4920xf32>, memref<120xf32>, memref<4920xf32>
  return
}
tile.kernel @add(%a: memref<4920xf32>, %b: memref<120xf32>, %out: memref<4920xf32>)
    attributes {grid = array<i64: 5>} {
  tile.return
}
tile.kernel @panels(%p: memref<131072xf32>) attributes {grid = array<i64: 1>} {
  tile.return
}

// -----

// Data faults: a kernel records the first out-of-range index of a run in the
// fault status, which the launch plan passes to it.
// CHECK-LABEL: func.func @faults
// CHECK-SAME: (%[[IDS:.+]]: memref<41xi64>)
func.func @faults(%ids: memref<41xi64>) {
  // CHECK: %[[S:.+]] = tile.fault_status : memref<3xi64>
  %status = tile.fault_status : memref<3xi64>
  // CHECK: tile.launch @check(%[[IDS]], %[[S]]) : memref<41xi64>, memref<3xi64>
  tile.launch @check(%ids, %status) : memref<41xi64>, memref<3xi64>
  return
}
// CHECK-LABEL: tile.kernel @check
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
  // CHECK: tile.fault %{{.+}}, %{{.+}}, %{{.+}} {message = "index {} is out of range for axis 0 of size 1000", site = 1 : i32} : tensor<64xi1>, tensor<64xi64>, memref<3xi64>
  tile.fault %bad, %idx, %status {message = "index {} is out of range for axis 0 of size 1000", site = 1 : i32} : tensor<64xi1>, tensor<64xi64>, memref<3xi64>
  tile.return
}
