// RUN: meld-opt %s -split-input-file --meld-tile-dedup-kernels | FileCheck %s

// Identical kernels (locations aside, nested regions included) become the first
// of them; every launch of the others launches it, and the others are erased.
// CHECK-LABEL: func.func @repeated
// CHECK-SAME: (%[[X:.+]]: memref<8xf32>, %[[Y:.+]]: memref<8xf32>)
func.func @repeated(%x: memref<8xf32>, %y: memref<8xf32>) {
  %t = memref.alloc() : memref<8xf32>
  %u = memref.alloc() : memref<8xf32>
  // CHECK: tile.launch @tanh(%[[X]], %[[T:.+]]) :
  tile.launch @tanh(%x, %t) : memref<8xf32>, memref<8xf32>
  // CHECK: tile.launch @tanh(%[[T]], %[[U:.+]]) :
  tile.launch @tanh_0(%t, %u) : memref<8xf32>, memref<8xf32>
  // CHECK: tile.launch @sum(%[[U]], %[[Y]]) :
  tile.launch @sum(%u, %y) : memref<8xf32>, memref<8xf32>
  // CHECK: tile.launch @tanh(%[[Y]], %[[T]]) :
  tile.launch @tanh_1(%y, %t) : memref<8xf32>, memref<8xf32>
  // CHECK: tile.launch @sum(%[[T]], %[[Y]]) :
  tile.launch @sum_0(%t, %y) : memref<8xf32>, memref<8xf32>
  return
}
// CHECK: tile.kernel @tanh(
// CHECK-NOT: tile.kernel @tanh_0
// CHECK-NOT: tile.kernel @tanh_1
// CHECK: tile.kernel @sum(
// CHECK-NOT: tile.kernel
tile.kernel @tanh(%a: memref<8xf32>, %b: memref<8xf32>) attributes {grid = array<i64: 1>} {
  %zero = arith.constant 0.0 : f32
  %offs = tile.iota 0 : tensor<8xindex>
  %mask = arith.constant dense<true> : tensor<8xi1>
  %v = tile.load %a[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  %r = math.tanh %v : tensor<8xf32>
  tile.store %r, %b[%offs], %mask : tensor<8xf32>, memref<8xf32>[tensor<8xindex>], tensor<8xi1>
  tile.return
} loc("first")
tile.kernel @tanh_0(%a: memref<8xf32>, %b: memref<8xf32>) attributes {grid = array<i64: 1>} {
  %zero = arith.constant 0.0 : f32 loc("elsewhere")
  %offs = tile.iota 0 : tensor<8xindex>
  %mask = arith.constant dense<true> : tensor<8xi1>
  %v = tile.load %a[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  %r = math.tanh %v : tensor<8xf32> loc("second")
  tile.store %r, %b[%offs], %mask : tensor<8xf32>, memref<8xf32>[tensor<8xindex>], tensor<8xi1>
  tile.return
} loc("second")
tile.kernel @sum(%a: memref<8xf32>, %b: memref<8xf32>) attributes {grid = array<i64: 1>} {
  %zero = arith.constant 0.0 : f32
  %offs = tile.iota 0 : tensor<8xindex>
  %mask = arith.constant dense<true> : tensor<8xi1>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %init = arith.constant dense<0.0> : tensor<8xf32>
  %acc = scf.for %i = %c0 to %c4 step %c1 iter_args(%s = %init) -> tensor<8xf32> {
    %v = tile.load %a[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
    %n = arith.addf %s, %v : tensor<8xf32>
    scf.yield %n : tensor<8xf32>
  }
  tile.store %acc, %b[%offs], %mask : tensor<8xf32>, memref<8xf32>[tensor<8xindex>], tensor<8xi1>
  tile.return
}
tile.kernel @tanh_1(%a: memref<8xf32>, %b: memref<8xf32>) attributes {grid = array<i64: 1>} {
  %zero = arith.constant 0.0 : f32
  %offs = tile.iota 0 : tensor<8xindex>
  %mask = arith.constant dense<true> : tensor<8xi1>
  %v = tile.load %a[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  %r = math.tanh %v : tensor<8xf32>
  tile.store %r, %b[%offs], %mask : tensor<8xf32>, memref<8xf32>[tensor<8xindex>], tensor<8xi1>
  tile.return
}
tile.kernel @sum_0(%a: memref<8xf32>, %b: memref<8xf32>) attributes {grid = array<i64: 1>} {
  %zero = arith.constant 0.0 : f32
  %offs = tile.iota 0 : tensor<8xindex>
  %mask = arith.constant dense<true> : tensor<8xi1>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %init = arith.constant dense<0.0> : tensor<8xf32>
  %acc = scf.for %i = %c0 to %c4 step %c1 iter_args(%s = %init) -> tensor<8xf32> {
    %v = tile.load %a[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
    %n = arith.addf %s, %v : tensor<8xf32>
    scf.yield %n : tensor<8xf32>
  }
  tile.store %acc, %b[%offs], %mask : tensor<8xf32>, memref<8xf32>[tensor<8xindex>], tensor<8xi1>
  tile.return
}

// -----

// Kernels that differ in anything but their name and locations stay apart: a
// constant, the grid, a type, an argument attribute, the order of operands,
// a fault site.
// CHECK-LABEL: func.func @different
func.func @different(%x: memref<8xf32>, %y: memref<8xf32>, %z: memref<8xf16>,
                     %ids: memref<8xi64>) {
  // CHECK: tile.launch @base(
  tile.launch @base(%x, %y) : memref<8xf32>, memref<8xf32>
  // CHECK: tile.launch @constant(
  tile.launch @constant(%x, %y) : memref<8xf32>, memref<8xf32>
  // CHECK: tile.launch @grid(
  tile.launch @grid(%x, %y) : memref<8xf32>, memref<8xf32>
  // CHECK: tile.launch @type(
  tile.launch @type(%x, %z) : memref<8xf32>, memref<8xf16>
  // CHECK: tile.launch @argattr(
  tile.launch @argattr(%x, %y) : memref<8xf32>, memref<8xf32>
  // CHECK: tile.launch @operands(
  tile.launch @operands(%x, %y) : memref<8xf32>, memref<8xf32>
  %status = tile.fault_status : memref<3xi64>
  // CHECK: tile.launch @site1(
  tile.launch @site1(%ids, %status) : memref<8xi64>, memref<3xi64>
  // CHECK: tile.launch @site2(
  tile.launch @site2(%ids, %status) : memref<8xi64>, memref<3xi64>
  return
}
// CHECK: tile.kernel @base(
// CHECK: tile.kernel @constant(
// CHECK: tile.kernel @grid(
// CHECK: tile.kernel @type(
// CHECK: tile.kernel @argattr(
// CHECK: tile.kernel @operands(
// CHECK: tile.kernel @site1(
// CHECK: tile.kernel @site2(
tile.kernel @base(%a: memref<8xf32>, %b: memref<8xf32>) attributes {grid = array<i64: 1>} {
  %zero = arith.constant 0.0 : f32
  %offs = tile.iota 0 : tensor<8xindex>
  %mask = arith.constant dense<true> : tensor<8xi1>
  %v = tile.load %a[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  %w = tile.load %b[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  %r = arith.subf %v, %w : tensor<8xf32>
  tile.store %r, %b[%offs], %mask : tensor<8xf32>, memref<8xf32>[tensor<8xindex>], tensor<8xi1>
  tile.return
}
tile.kernel @constant(%a: memref<8xf32>, %b: memref<8xf32>) attributes {grid = array<i64: 1>} {
  %zero = arith.constant 1.0 : f32
  %offs = tile.iota 0 : tensor<8xindex>
  %mask = arith.constant dense<true> : tensor<8xi1>
  %v = tile.load %a[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  %w = tile.load %b[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  %r = arith.subf %v, %w : tensor<8xf32>
  tile.store %r, %b[%offs], %mask : tensor<8xf32>, memref<8xf32>[tensor<8xindex>], tensor<8xi1>
  tile.return
}
tile.kernel @grid(%a: memref<8xf32>, %b: memref<8xf32>) attributes {grid = array<i64: 2>} {
  %zero = arith.constant 0.0 : f32
  %offs = tile.iota 0 : tensor<8xindex>
  %mask = arith.constant dense<true> : tensor<8xi1>
  %v = tile.load %a[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  %w = tile.load %b[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  %r = arith.subf %v, %w : tensor<8xf32>
  tile.store %r, %b[%offs], %mask : tensor<8xf32>, memref<8xf32>[tensor<8xindex>], tensor<8xi1>
  tile.return
}
tile.kernel @type(%a: memref<8xf32>, %b: memref<8xf16>) attributes {grid = array<i64: 1>} {
  %zero = arith.constant 0.0 : f32
  %offs = tile.iota 0 : tensor<8xindex>
  %mask = arith.constant dense<true> : tensor<8xi1>
  %v = tile.load %a[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  %h = arith.truncf %v : tensor<8xf32> to tensor<8xf16>
  tile.store %h, %b[%offs], %mask : tensor<8xf16>, memref<8xf16>[tensor<8xindex>], tensor<8xi1>
  tile.return
}
tile.kernel @argattr(%a: memref<8xf32> {meld.tag}, %b: memref<8xf32>) attributes {grid = array<i64: 1>} {
  %zero = arith.constant 0.0 : f32
  %offs = tile.iota 0 : tensor<8xindex>
  %mask = arith.constant dense<true> : tensor<8xi1>
  %v = tile.load %a[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  %w = tile.load %b[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  %r = arith.subf %v, %w : tensor<8xf32>
  tile.store %r, %b[%offs], %mask : tensor<8xf32>, memref<8xf32>[tensor<8xindex>], tensor<8xi1>
  tile.return
}
tile.kernel @operands(%a: memref<8xf32>, %b: memref<8xf32>) attributes {grid = array<i64: 1>} {
  %zero = arith.constant 0.0 : f32
  %offs = tile.iota 0 : tensor<8xindex>
  %mask = arith.constant dense<true> : tensor<8xi1>
  %v = tile.load %a[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  %w = tile.load %b[%offs], %mask, %zero : memref<8xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  %r = arith.subf %w, %v : tensor<8xf32>
  tile.store %r, %b[%offs], %mask : tensor<8xf32>, memref<8xf32>[tensor<8xindex>], tensor<8xi1>
  tile.return
}
tile.kernel @site1(%ids: memref<8xi64>, %status: memref<3xi64>) attributes {grid = array<i64: 1>} {
  %offs = tile.iota 0 : tensor<8xindex>
  %mask = arith.constant dense<true> : tensor<8xi1>
  %zero = arith.constant 0 : i64
  %idx = tile.load %ids[%offs], %mask, %zero : memref<8xi64>[tensor<8xindex>], tensor<8xi1>, i64 -> tensor<8xi64>
  %size = arith.constant dense<10> : tensor<8xi64>
  %bad = arith.cmpi sge, %idx, %size : tensor<8xi64>
  tile.fault %bad, %idx, %status {message = "index {} is out of range", site = 1 : i32} : tensor<8xi1>, tensor<8xi64>, memref<3xi64>
  tile.return
}
tile.kernel @site2(%ids: memref<8xi64>, %status: memref<3xi64>) attributes {grid = array<i64: 1>} {
  %offs = tile.iota 0 : tensor<8xindex>
  %mask = arith.constant dense<true> : tensor<8xi1>
  %zero = arith.constant 0 : i64
  %idx = tile.load %ids[%offs], %mask, %zero : memref<8xi64>[tensor<8xindex>], tensor<8xi1>, i64 -> tensor<8xi64>
  %size = arith.constant dense<10> : tensor<8xi64>
  %bad = arith.cmpi sge, %idx, %size : tensor<8xi64>
  tile.fault %bad, %idx, %status {message = "index {} is out of range", site = 2 : i32} : tensor<8xi1>, tensor<8xi64>, memref<3xi64>
  tile.return
}
