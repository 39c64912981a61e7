// RUN: meld-opt %s --meld-tile-narrow-operands=precision=bf16 | FileCheck %s
// RUN: not meld-opt %s --meld-tile-narrow-operands=precision=tf32 2>&1 | FileCheck %s --check-prefix=BAD

// A weight read only as a product's operand is stored in bf16; the kernel
// argument takes the type, its load reads bf16 (its masked-off value
// rounded) and widens the tile where the product reads it. A weight also
// read elementwise (@scale's %s) stays f32, as does the kernel argument
// both are passed to.
// CHECK-LABEL: func.func @main(
// CHECK:         %[[W:.+]] = tile.weight "w" : memref<512xbf16>
// CHECK:         %[[S:.+]] = tile.weight "s" : memref<512xf32>
// CHECK:         tile.launch @mm(%{{.+}}, %[[W]], %{{.+}}) : memref<512xf32>, memref<512xbf16>, memref<1024xf32>
// CHECK:         tile.launch @mm2(%{{.+}}, %[[S]], %{{.+}}) : memref<512xf32>, memref<512xf32>, memref<1024xf32>
// CHECK:         tile.launch @scale(%[[S]], %{{.+}}) :
// BAD: precision must be fp16 or bf16, got 'tf32'
func.func @main(%x: memref<512xf32>, %y: memref<1024xf32>) {
  %w = tile.weight "w" : memref<512xf32>
  %s = tile.weight "s" : memref<512xf32>
  tile.launch @mm(%x, %w, %y) : memref<512xf32>, memref<512xf32>, memref<1024xf32>
  tile.launch @mm2(%x, %s, %y) : memref<512xf32>, memref<512xf32>, memref<1024xf32>
  tile.launch @scale(%s, %x) : memref<512xf32>, memref<512xf32>
  return
}
// CHECK-LABEL: tile.kernel @mm(
// CHECK-SAME:    %{{.+}}: memref<512xf32>, %[[B:.+]]: memref<512xbf16>, %{{.+}}: memref<1024xf32>
// CHECK:         %[[OTHER:.+]] = arith.truncf %{{.+}} : f32 to bf16
// CHECK:         %[[T:.+]] = tile.load %[[B]][%{{.+}}], %{{.+}}, %[[OTHER]] : memref<512xbf16>[tensor<16x32xindex>], tensor<16x32xi1>, bf16 -> tensor<16x32xbf16>
// CHECK:         %[[WIDE:.+]] = arith.extf %[[T]] : tensor<16x32xbf16> to tensor<16x32xf32>
// CHECK:         tile.dot %{{.+}}, %[[WIDE]], %{{.+}} : tensor<32x16xf32>, tensor<16x32xf32> -> tensor<32x32xf32>
tile.kernel @mm(%a: memref<512xf32>, %b: memref<512xf32>, %c: memref<1024xf32>) attributes {grid = array<i64: 1>} {
  %ia = tile.iota 1 : tensor<32x16xindex>
  %ib = tile.iota 1 : tensor<16x32xindex>
  %ic = tile.iota 1 : tensor<32x32xindex>
  %mask = arith.constant dense<true> : tensor<16x32xi1>
  %zero = arith.constant 0.0 : f32
  %x = tile.load %a[%ia] : memref<512xf32>[tensor<32x16xindex>] -> tensor<32x16xf32>
  %y = tile.load %b[%ib], %mask, %zero : memref<512xf32>[tensor<16x32xindex>], tensor<16x32xi1>, f32 -> tensor<16x32xf32>
  %acc = arith.constant dense<0.0> : tensor<32x32xf32>
  %p = tile.dot %x, %y, %acc : tensor<32x16xf32>, tensor<16x32xf32> -> tensor<32x32xf32>
  tile.store %p, %c[%ic] : tensor<32x32xf32>, memref<1024xf32>[tensor<32x32xindex>]
  tile.return
}
// CHECK-LABEL: tile.kernel @mm2(
// CHECK-SAME:    %{{.+}}: memref<512xf32>, %{{.+}}: memref<512xf32>, %{{.+}}: memref<1024xf32>
// CHECK-NOT:     bf16
tile.kernel @mm2(%a: memref<512xf32>, %b: memref<512xf32>, %c: memref<1024xf32>) attributes {grid = array<i64: 1>} {
  %ia = tile.iota 1 : tensor<32x16xindex>
  %ib = tile.iota 1 : tensor<16x32xindex>
  %ic = tile.iota 1 : tensor<32x32xindex>
  %x = tile.load %a[%ia] : memref<512xf32>[tensor<32x16xindex>] -> tensor<32x16xf32>
  %y = tile.load %b[%ib] : memref<512xf32>[tensor<16x32xindex>] -> tensor<16x32xf32>
  %acc = arith.constant dense<0.0> : tensor<32x32xf32>
  %p = tile.dot %x, %y, %acc : tensor<32x16xf32>, tensor<16x32xf32> -> tensor<32x32xf32>
  tile.store %p, %c[%ic] : tensor<32x32xf32>, memref<1024xf32>[tensor<32x32xindex>]
  tile.return
}
tile.kernel @scale(%a: memref<512xf32>, %b: memref<512xf32>) attributes {grid = array<i64: 1>} {
  %i = tile.iota 0 : tensor<512xindex>
  %x = tile.load %a[%i] : memref<512xf32>[tensor<512xindex>] -> tensor<512xf32>
  %y = arith.addf %x, %x : tensor<512xf32>
  tile.store %y, %b[%i] : tensor<512xf32>, memref<512xf32>[tensor<512xindex>]
  tile.return
}

// A buffer of the plan that kernels only store into and products only read
// is stored in bf16: each store rounds its tile. One also read elementwise
// (%e), one a kernel also reads back where it stores (%rmw), and one passed
// to an argument that also gets the model's input (%m, with %x) stay f32.
// @mm's argument gets both %a and the weight "w" above: both narrow.
// CHECK-LABEL: func.func @activations(
// CHECK:         %[[A:.+]] = memref.alloc() : memref<512xbf16>
// CHECK:         tile.launch @produce(%{{.+}}, %[[A]]) : memref<512xf32>, memref<512xbf16>
// CHECK:         tile.launch @mm(%{{.+}}, %[[A]], %{{.+}}) : memref<512xf32>, memref<512xbf16>, memref<1024xf32>
// CHECK:         %[[E:.+]] = memref.alloc() : memref<512xf32>
// CHECK:         tile.launch @produce2(%{{.+}}, %[[E]]) : memref<512xf32>, memref<512xf32>
// CHECK:         tile.launch @mm3(%{{.+}}, %[[E]], %{{.+}}) : memref<512xf32>, memref<512xf32>, memref<1024xf32>
// CHECK:         tile.launch @scale2(%[[E]], %{{.+}}) :
// CHECK:         %[[RMW:.+]] = memref.alloc() : memref<512xf32>
// CHECK:         tile.launch @accumulate(%{{.+}}, %[[RMW]]) : memref<512xf32>, memref<512xf32>
// CHECK:         tile.launch @mm4(%{{.+}}, %[[RMW]], %{{.+}}) : memref<512xf32>, memref<512xf32>, memref<1024xf32>
// CHECK:         %[[M:.+]] = memref.alloc() : memref<512xf32>
// CHECK:         tile.launch @produce3(%{{.+}}, %[[M]]) : memref<512xf32>, memref<512xf32>
// CHECK:         tile.launch @mm5(%{{.+}}, %[[M]], %{{.+}}) : memref<512xf32>, memref<512xf32>, memref<1024xf32>
// CHECK:         tile.launch @mm5(%{{.+}}, %{{.+}}, %{{.+}}) : memref<512xf32>, memref<512xf32>, memref<1024xf32>
func.func @activations(%x: memref<512xf32>, %y: memref<1024xf32>) {
  %a = memref.alloc() : memref<512xf32>
  tile.launch @produce(%x, %a) : memref<512xf32>, memref<512xf32>
  tile.launch @mm(%x, %a, %y) : memref<512xf32>, memref<512xf32>, memref<1024xf32>
  %e = memref.alloc() : memref<512xf32>
  tile.launch @produce2(%x, %e) : memref<512xf32>, memref<512xf32>
  tile.launch @mm3(%x, %e, %y) : memref<512xf32>, memref<512xf32>, memref<1024xf32>
  tile.launch @scale2(%e, %x) : memref<512xf32>, memref<512xf32>
  %rmw = memref.alloc() : memref<512xf32>
  tile.launch @accumulate(%x, %rmw) : memref<512xf32>, memref<512xf32>
  tile.launch @mm4(%x, %rmw, %y) : memref<512xf32>, memref<512xf32>, memref<1024xf32>
  %m = memref.alloc() : memref<512xf32>
  tile.launch @produce3(%x, %m) : memref<512xf32>, memref<512xf32>
  tile.launch @mm5(%x, %m, %y) : memref<512xf32>, memref<512xf32>, memref<1024xf32>
  tile.launch @mm5(%x, %x, %y) : memref<512xf32>, memref<512xf32>, memref<1024xf32>
  return
}
// CHECK-LABEL: tile.kernel @produce(
// CHECK-SAME:    %[[IN:.+]]: memref<512xf32>, %[[OUT:.+]]: memref<512xbf16>
// CHECK:         %[[V:.+]] = tile.load %[[IN]]
// CHECK:         %[[W:.+]] = arith.mulf %[[V]], %[[V]] : tensor<512xf32>
// CHECK:         %[[R:.+]] = arith.truncf %[[W]] : tensor<512xf32> to tensor<512xbf16>
// CHECK:         tile.store %[[R]], %[[OUT]][%{{.+}}] : tensor<512xbf16>, memref<512xbf16>[tensor<512xindex>]
tile.kernel @produce(%a: memref<512xf32>, %b: memref<512xf32>) attributes {grid = array<i64: 1>} {
  %i = tile.iota 0 : tensor<512xindex>
  %x = tile.load %a[%i] : memref<512xf32>[tensor<512xindex>] -> tensor<512xf32>
  %y = arith.mulf %x, %x : tensor<512xf32>
  tile.store %y, %b[%i] : tensor<512xf32>, memref<512xf32>[tensor<512xindex>]
  tile.return
}
// CHECK-LABEL: tile.kernel @produce2(
// CHECK-NOT:     bf16
tile.kernel @produce2(%a: memref<512xf32>, %b: memref<512xf32>) attributes {grid = array<i64: 1>} {
  %i = tile.iota 0 : tensor<512xindex>
  %x = tile.load %a[%i] : memref<512xf32>[tensor<512xindex>] -> tensor<512xf32>
  tile.store %x, %b[%i] : tensor<512xf32>, memref<512xf32>[tensor<512xindex>]
  tile.return
}
// CHECK-LABEL: tile.kernel @produce3(
// CHECK-NOT:     bf16
tile.kernel @produce3(%a: memref<512xf32>, %b: memref<512xf32>) attributes {grid = array<i64: 1>} {
  %i = tile.iota 0 : tensor<512xindex>
  %x = tile.load %a[%i] : memref<512xf32>[tensor<512xindex>] -> tensor<512xf32>
  tile.store %x, %b[%i] : tensor<512xf32>, memref<512xf32>[tensor<512xindex>]
  tile.return
}
// CHECK-LABEL: tile.kernel @accumulate(
// CHECK-NOT:     bf16
tile.kernel @accumulate(%a: memref<512xf32>, %b: memref<512xf32>) attributes {grid = array<i64: 1>} {
  %i = tile.iota 0 : tensor<512xindex>
  %x = tile.load %a[%i] : memref<512xf32>[tensor<512xindex>] -> tensor<512xf32>
  %y = tile.load %b[%i] : memref<512xf32>[tensor<512xindex>] -> tensor<512xf32>
  %z = arith.addf %x, %y : tensor<512xf32>
  tile.store %z, %b[%i] : tensor<512xf32>, memref<512xf32>[tensor<512xindex>]
  tile.return
}
// CHECK-LABEL: tile.kernel @mm3(
// CHECK-NOT:     bf16
tile.kernel @mm3(%a: memref<512xf32>, %b: memref<512xf32>, %c: memref<1024xf32>) attributes {grid = array<i64: 1>} {
  %ia = tile.iota 1 : tensor<32x16xindex>
  %ib = tile.iota 1 : tensor<16x32xindex>
  %ic = tile.iota 1 : tensor<32x32xindex>
  %x = tile.load %a[%ia] : memref<512xf32>[tensor<32x16xindex>] -> tensor<32x16xf32>
  %y = tile.load %b[%ib] : memref<512xf32>[tensor<16x32xindex>] -> tensor<16x32xf32>
  %acc = arith.constant dense<0.0> : tensor<32x32xf32>
  %p = tile.dot %x, %y, %acc : tensor<32x16xf32>, tensor<16x32xf32> -> tensor<32x32xf32>
  tile.store %p, %c[%ic] : tensor<32x32xf32>, memref<1024xf32>[tensor<32x32xindex>]
  tile.return
}
// CHECK-LABEL: tile.kernel @mm4(
// CHECK-NOT:     bf16
tile.kernel @mm4(%a: memref<512xf32>, %b: memref<512xf32>, %c: memref<1024xf32>) attributes {grid = array<i64: 1>} {
  %ia = tile.iota 1 : tensor<32x16xindex>
  %ib = tile.iota 1 : tensor<16x32xindex>
  %ic = tile.iota 1 : tensor<32x32xindex>
  %x = tile.load %a[%ia] : memref<512xf32>[tensor<32x16xindex>] -> tensor<32x16xf32>
  %y = tile.load %b[%ib] : memref<512xf32>[tensor<16x32xindex>] -> tensor<16x32xf32>
  %acc = arith.constant dense<0.0> : tensor<32x32xf32>
  %p = tile.dot %x, %y, %acc : tensor<32x16xf32>, tensor<16x32xf32> -> tensor<32x32xf32>
  tile.store %p, %c[%ic] : tensor<32x32xf32>, memref<1024xf32>[tensor<32x32xindex>]
  tile.return
}
// CHECK-LABEL: tile.kernel @mm5(
// CHECK-NOT:     bf16
tile.kernel @mm5(%a: memref<512xf32>, %b: memref<512xf32>, %c: memref<1024xf32>) attributes {grid = array<i64: 1>} {
  %ia = tile.iota 1 : tensor<32x16xindex>
  %ib = tile.iota 1 : tensor<16x32xindex>
  %ic = tile.iota 1 : tensor<32x32xindex>
  %x = tile.load %a[%ia] : memref<512xf32>[tensor<32x16xindex>] -> tensor<32x16xf32>
  %y = tile.load %b[%ib] : memref<512xf32>[tensor<16x32xindex>] -> tensor<16x32xf32>
  %acc = arith.constant dense<0.0> : tensor<32x32xf32>
  %p = tile.dot %x, %y, %acc : tensor<32x16xf32>, tensor<16x32xf32> -> tensor<32x32xf32>
  tile.store %p, %c[%ic] : tensor<32x32xf32>, memref<1024xf32>[tensor<32x32xindex>]
  tile.return
}
tile.kernel @scale2(%a: memref<512xf32>, %b: memref<512xf32>) attributes {grid = array<i64: 1>} {
  %i = tile.iota 0 : tensor<512xindex>
  %x = tile.load %a[%i] : memref<512xf32>[tensor<512xindex>] -> tensor<512xf32>
  %y = arith.addf %x, %x : tensor<512xf32>
  tile.store %y, %b[%i] : tensor<512xf32>, memref<512xf32>[tensor<512xindex>]
  tile.return
}
