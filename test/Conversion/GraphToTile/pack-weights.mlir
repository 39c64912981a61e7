// RUN: meld-opt %s -split-input-file --meld-graph-to-tile="pack-weights=true" | FileCheck %s

// A weight read as B (20 x 40, tiles of 16 x 32) comes from its panels: 2
// panels of 32 columns, K padded to 32 rows, 2048 elements. The kernel
// takes the panels in place of the weight, which nothing else reads, and
// reads each K step of them as one run with no mask: rows kb of the panel
// that starts at n0 * 32 (its columns times K padded). A's reads stay
// masked; so does the bias, a weight read as no product's operand.
// CHECK-LABEL: func.func @main(
// CHECK-SAME:    %[[X:[^:]+]]: memref<200xf32>
// CHECK-SAME:    %[[Y:[^:]+]]: memref<400xf32>
// CHECK:         %[[BIAS:.+]] = tile.weight "b" : memref<40xf32>
// CHECK:         %[[P:.+]] = tile.weight "w" panels <rows = 20, columns = 40, row_stride = 40, column_stride = 1, offset = 0, padded_rows = 32, panel = 32> : memref<2048xf32>
// CHECK:         tile.launch @matmul_add(%[[X]], %[[BIAS]], %[[P]], %[[Y]]) : memref<200xf32>, memref<40xf32>, memref<2048xf32>, memref<400xf32>
// CHECK:       tile.kernel @matmul_add(%[[A:[^:]+]]: memref<200xf32>, %[[B:[^:]+]]: memref<40xf32>, %[[W:[^:]+]]: memref<2048xf32>, %{{.+}}: memref<400xf32>)
// CHECK:         %[[N0:.+]] = arith.muli %{{.+}}, %c32 : index
// CHECK:         scf.for %[[K0:.+]] = %c0 to %c20 step %c16
// CHECK:           tile.load %[[A]][%{{.+}}], %{{.+}}, %{{.+}} : memref<200xf32>[tensor<8x16xindex>], tensor<8x16xi1>, f32 -> tensor<8x16xf32>
// CHECK:           %[[I0:.+]] = tile.iota 0 : tensor<16x32xindex>
// CHECK-NEXT:      %[[K0S:.+]] = tensor.splat %[[K0]] : tensor<16x32xindex>
// CHECK-NEXT:      %[[KB:.+]] = arith.addi %[[I0]], %[[K0S]] : tensor<16x32xindex>
// CHECK-NOT:       tile.load
// CHECK:           %[[START:.+]] = arith.muli %[[N0]], %c32{{.*}} : index
// CHECK-NEXT:      %[[BASE:.+]] = tensor.splat %[[START]] : tensor<16x32xindex>
// CHECK-NEXT:      %[[C32:.+]] = arith.constant dense<32> : tensor<16x32xindex>
// CHECK-NEXT:      %[[ROWS:.+]] = arith.muli %[[KB]], %[[C32]] : tensor<16x32xindex>
// CHECK-NEXT:      %[[SPAN:.+]] = arith.addi %[[BASE]], %[[ROWS]] : tensor<16x32xindex>
// CHECK-NEXT:      %[[COLS:.+]] = tile.iota 1 : tensor<16x32xindex>
// CHECK-NEXT:      %[[OFF:.+]] = arith.addi %[[SPAN]], %[[COLS]] : tensor<16x32xindex>
// CHECK:           tile.load %[[W]][%[[OFF]]] : memref<2048xf32>[tensor<16x32xindex>] -> tensor<16x32xf32>
// CHECK:           tile.dot
// CHECK:         tile.load %[[B]][%{{.+}}], %{{.+}}, %{{.+}} : memref<40xf32>
func.func @main(%x: tensor<2x5x20xf32> {meld.name = "x"}) -> (tensor<2x5x40xf32> {meld.name = "y"}) {
  %w = graph.weight "w" : tensor<20x40xf32>
  %b = graph.weight "b" : tensor<40xf32>
  %0 = graph.fusion_group matmul (%x, %w, %b) : (tensor<2x5x20xf32>, tensor<20x40xf32>, tensor<40xf32>) -> tensor<2x5x40xf32> {
  ^bb0(%a: tensor<2x5x20xf32>, %c: tensor<20x40xf32>, %d: tensor<40xf32>):
    %m = graph.matmul %a, %c : (tensor<2x5x20xf32>, tensor<20x40xf32>) -> tensor<2x5x40xf32>
    %s = graph.add %m, %d : (tensor<2x5x40xf32>, tensor<40xf32>) -> tensor<2x5x40xf32>
    graph.yield %s : tensor<2x5x40xf32>
  }
  return %0 : tensor<2x5x40xf32>
}

// -----

// A transposed weight (Gemm's B of 40 x 20, trans_b): the panels read its
// matrix with rows 1 apart and columns 20 apart. A B that is a model input
// is no weight: it is read as before, masked.
// CHECK-LABEL: func.func @main(
// CHECK-SAME:    %[[X:[^:]+]]: memref<100xf32>
// CHECK-SAME:    %[[V:[^:]+]]: memref<800xf32>
// CHECK:         %[[P:.+]] = tile.weight "w" panels <rows = 20, columns = 40, row_stride = 1, column_stride = 20, offset = 0, padded_rows = 32, panel = 32> : memref<2048xf32>
// CHECK:         tile.launch @gemm(%[[X]], %[[P]], %{{.+}}) : memref<100xf32>, memref<2048xf32>, memref<200xf32>
// CHECK:         tile.launch @matmul(%[[X]], %[[V]], %{{.+}}) : memref<100xf32>, memref<800xf32>, memref<200xf32>
// CHECK:       tile.kernel @gemm(
// CHECK:           tile.load %arg1[%{{.+}}] : memref<2048xf32>[tensor<16x32xindex>] -> tensor<16x32xf32>
// CHECK:       tile.kernel @matmul(
// CHECK:           tile.load %arg1[%{{.+}}], %{{.+}}, %{{.+}} : memref<800xf32>[tensor<16x32xindex>], tensor<16x32xi1>, f32 -> tensor<16x32xf32>
func.func @main(%x: tensor<5x20xf32> {meld.name = "x"}, %v: tensor<20x40xf32> {meld.name = "v"}) -> (tensor<5x40xf32> {meld.name = "y"}, tensor<5x40xf32> {meld.name = "z"}) {
  %w = graph.weight "w" : tensor<40x20xf32>
  %0 = graph.gemm %x, %w {trans_b} : (tensor<5x20xf32>, tensor<40x20xf32>) -> tensor<5x40xf32>
  %1 = graph.matmul %x, %v : (tensor<5x20xf32>, tensor<20x40xf32>) -> tensor<5x40xf32>
  return %0, %1 : tensor<5x40xf32>, tensor<5x40xf32>
}

// -----

// A weight the epilogue reads too (y = x w + w): the kernel takes both the
// weight, for the epilogue, and its panels, for the product.
// CHECK-LABEL: func.func @main(
// CHECK:         %[[W:.+]] = tile.weight "w" : memref<64xf32>
// CHECK:         %[[P:.+]] = tile.weight "w" panels <rows = 8, columns = 8, row_stride = 8, column_stride = 1, offset = 0, padded_rows = 8, panel = 8> : memref<64xf32>
// CHECK:         tile.launch @matmul_add(%{{.+}}, %[[W]], %[[P]], %{{.+}})
// CHECK:       tile.kernel @matmul_add(
// CHECK:           tile.load %arg2[%{{.+}}] : memref<64xf32>[tensor<8x8xindex>] -> tensor<8x8xf32>
// CHECK:           tile.dot
// CHECK:         tile.load %arg1[%{{.+}}], %{{.+}}, %{{.+}} : memref<64xf32>[tensor<8x8xindex>], tensor<8x8xi1>, f32 -> tensor<8x8xf32>
func.func @main(%x: tensor<8x8xf32> {meld.name = "x"}) -> (tensor<8x8xf32> {meld.name = "y"}) {
  %w = graph.weight "w" : tensor<8x8xf32>
  %0 = graph.fusion_group matmul (%x, %w) : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32> {
  ^bb0(%a: tensor<8x8xf32>, %c: tensor<8x8xf32>):
    %m = graph.matmul %a, %c : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
    %s = graph.add %m, %c : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
    graph.yield %s : tensor<8x8xf32>
  }
  return %0 : tensor<8x8xf32>
}
