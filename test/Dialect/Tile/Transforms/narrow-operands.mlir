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
