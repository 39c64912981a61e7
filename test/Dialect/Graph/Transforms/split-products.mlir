// RUN: meld-opt %s -split-input-file --meld-graph-split-products | FileCheck %s

// Phi-3's fused gate and up projection, split in halves (the default
// exporter): one product per half, of its block of the weight's columns.
// CHECK-LABEL: func.func @split
// CHECK-SAME:    (%[[X:.+]]: tensor<2x5x8xf32>, %[[W:.+]]: tensor<8x12xf32>)
// CHECK-NEXT:    %[[W0:.+]] = graph.slice %[[W]] {sizes = array<i64: 8, 6>, starts = array<i64: 0, 0>, steps = array<i64: 1, 1>}
// CHECK-NEXT:    %[[G:.+]] = graph.matmul %[[X]], %[[W0]] : (tensor<2x5x8xf32>, tensor<8x6xf32>) -> tensor<2x5x6xf32>
// CHECK-NEXT:    %[[W1:.+]] = graph.slice %[[W]] {sizes = array<i64: 8, 6>, starts = array<i64: 0, 6>, steps = array<i64: 1, 1>}
// CHECK-NEXT:    %[[U:.+]] = graph.matmul %[[X]], %[[W1]] : (tensor<2x5x8xf32>, tensor<8x6xf32>) -> tensor<2x5x6xf32>
// CHECK-NEXT:    %[[S:.+]] = graph.silu %[[G]]
// CHECK-NEXT:    graph.mul %[[S]], %[[U]]
func.func @split(%x: tensor<2x5x8xf32>, %w: tensor<8x12xf32>) -> tensor<2x5x6xf32> {
  %p = graph.matmul %x, %w : (tensor<2x5x8xf32>, tensor<8x12xf32>) -> tensor<2x5x12xf32>
  %g:2 = graph.split %p {axis = 2 : i64, sizes = array<i64: 6, 6>} : (tensor<2x5x12xf32>) -> (tensor<2x5x6xf32>, tensor<2x5x6xf32>)
  %s = graph.silu %g#0 : tensor<2x5x6xf32>
  %m = graph.mul %s, %g#1 : (tensor<2x5x6xf32>, tensor<2x5x6xf32>) -> tensor<2x5x6xf32>
  return %m : tensor<2x5x6xf32>
}

// -----

// The same as the TorchScript exporter writes it: two slices of columns.
// CHECK-LABEL: func.func @slices
// CHECK-SAME:    (%[[X:.+]]: tensor<5x8xf32>, %[[W:.+]]: tensor<8x12xf32>)
// CHECK-DAG:     %[[W0:.+]] = graph.slice %[[W]] {sizes = array<i64: 8, 6>, starts = array<i64: 0, 0>, steps = array<i64: 1, 1>}
// CHECK-DAG:     %[[W1:.+]] = graph.slice %[[W]] {sizes = array<i64: 8, 6>, starts = array<i64: 0, 6>, steps = array<i64: 1, 1>}
// CHECK-DAG:     %[[G:.+]] = graph.matmul %[[X]], %[[W0]]
// CHECK-DAG:     %[[U:.+]] = graph.matmul %[[X]], %[[W1]]
// CHECK:         %[[S:.+]] = graph.sigmoid %[[G]]
// CHECK-NEXT:    %[[T:.+]] = graph.mul %[[G]], %[[S]]
// CHECK-NEXT:    graph.mul %[[U]], %[[T]]
// CHECK-NOT:     graph.matmul
func.func @slices(%x: tensor<5x8xf32>, %w: tensor<8x12xf32>) -> tensor<5x6xf32> {
  %p = graph.matmul %x, %w : (tensor<5x8xf32>, tensor<8x12xf32>) -> tensor<5x12xf32>
  %g = graph.slice %p {sizes = array<i64: 5, 6>, starts = array<i64: 0, 0>, steps = array<i64: 1, 1>} : (tensor<5x12xf32>) -> tensor<5x6xf32>
  %u = graph.slice %p {sizes = array<i64: 5, 6>, starts = array<i64: 0, 6>, steps = array<i64: 1, 1>} : (tensor<5x12xf32>) -> tensor<5x6xf32>
  %s = graph.sigmoid %g : tensor<5x6xf32>
  %t = graph.mul %g, %s : (tensor<5x6xf32>, tensor<5x6xf32>) -> tensor<5x6xf32>
  %m = graph.mul %u, %t : (tensor<5x6xf32>, tensor<5x6xf32>) -> tensor<5x6xf32>
  return %m : tensor<5x6xf32>
}

// -----

// Must stay: a fused QKV projection whose parts the attention reads through
// views (reshapes to heads), and a product also read whole.
// CHECK-LABEL: func.func @read_through_views
// CHECK-COUNT-2: graph.matmul
// CHECK-NOT:     graph.matmul
func.func @read_through_views(%x: tensor<5x8xf32>, %w: tensor<8x12xf32>) -> (tensor<5x2x3xf32>, tensor<5x6xf32>, tensor<5x6xf32>, tensor<5x12xf32>) {
  %p = graph.matmul %x, %w : (tensor<5x8xf32>, tensor<8x12xf32>) -> tensor<5x12xf32>
  %g:2 = graph.split %p {axis = 1 : i64, sizes = array<i64: 6, 6>} : (tensor<5x12xf32>) -> (tensor<5x6xf32>, tensor<5x6xf32>)
  %h = graph.reshape %g#0 : tensor<5x6xf32> to tensor<5x2x3xf32>
  %q = graph.matmul %x, %w : (tensor<5x8xf32>, tensor<8x12xf32>) -> tensor<5x12xf32>
  %a:2 = graph.split %q {axis = 1 : i64, sizes = array<i64: 6, 6>} : (tensor<5x12xf32>) -> (tensor<5x6xf32>, tensor<5x6xf32>)
  %e = graph.exp %a#0 : tensor<5x6xf32>
  return %h, %g#1, %e, %q : tensor<5x2x3xf32>, tensor<5x6xf32>, tensor<5x6xf32>, tensor<5x12xf32>
}

// -----

// Must stay: a split of rows, and a slice of some rows of a block of
// columns.
// CHECK-LABEL: func.func @not_columns
// CHECK-COUNT-2: graph.matmul
// CHECK-NOT:     graph.matmul
func.func @not_columns(%x: tensor<6x8xf32>, %w: tensor<8x12xf32>) -> (tensor<3x12xf32>, tensor<3x6xf32>) {
  %p = graph.matmul %x, %w : (tensor<6x8xf32>, tensor<8x12xf32>) -> tensor<6x12xf32>
  %r:2 = graph.split %p {axis = 0 : i64, sizes = array<i64: 3, 3>} : (tensor<6x12xf32>) -> (tensor<3x12xf32>, tensor<3x12xf32>)
  %e = graph.exp %r#0 : tensor<3x12xf32>
  %q = graph.matmul %x, %w : (tensor<6x8xf32>, tensor<8x12xf32>) -> tensor<6x12xf32>
  %s = graph.slice %q {sizes = array<i64: 3, 6>, starts = array<i64: 0, 0>, steps = array<i64: 1, 1>} : (tensor<6x12xf32>) -> tensor<3x6xf32>
  %f = graph.exp %s : tensor<3x6xf32>
  return %e, %f : tensor<3x12xf32>, tensor<3x6xf32>
}
