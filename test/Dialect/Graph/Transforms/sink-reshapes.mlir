// RUN: meld-opt %s -split-input-file --meld-graph-sink-reshapes | FileCheck %s

// GPT-2's Conv1D: the bias add of a flattened batch reads the product, and
// the reshapes cancel; the residual add after them reads the sum directly.
// CHECK-LABEL: func.func @conv1d
// CHECK-SAME:    (%[[X:.+]]: tensor<2x37x64xf32>, %[[W:.+]]: tensor<64x136xf32>, %[[B:.+]]: tensor<136xf32>, %[[R:.+]]: tensor<2x37x136xf32>)
// CHECK-NEXT:    %[[P:.+]] = graph.matmul %[[X]], %[[W]]
// CHECK-NEXT:    %[[S:.+]] = graph.add %[[P]], %[[B]] : (tensor<2x37x136xf32>, tensor<136xf32>) -> tensor<2x37x136xf32>
// CHECK-NEXT:    %[[T:.+]] = graph.add %[[S]], %[[R]] : (tensor<2x37x136xf32>, tensor<2x37x136xf32>) -> tensor<2x37x136xf32>
// CHECK-NEXT:    return %[[T]]
func.func @conv1d(%x: tensor<2x37x64xf32>, %w: tensor<64x136xf32>, %b: tensor<136xf32>, %r: tensor<2x37x136xf32>) -> tensor<2x37x136xf32> {
  %0 = graph.matmul %x, %w : (tensor<2x37x64xf32>, tensor<64x136xf32>) -> tensor<2x37x136xf32>
  %1 = graph.reshape %0 : tensor<2x37x136xf32> to tensor<74x136xf32>
  %2 = graph.add %1, %b : (tensor<74x136xf32>, tensor<136xf32>) -> tensor<74x136xf32>
  %3 = graph.reshape %2 : tensor<74x136xf32> to tensor<2x37x136xf32>
  %4 = graph.add %3, %r : (tensor<2x37x136xf32>, tensor<2x37x136xf32>) -> tensor<2x37x136xf32>
  return %4 : tensor<2x37x136xf32>
}

// -----

// Unary ops, a scalar, and two operands reshaped alike move too; the reshape
// stays where nothing cancels it.
// CHECK-LABEL: func.func @chain
// CHECK-SAME:    (%[[A:.+]]: tensor<6x8xf32>, %[[B:.+]]: tensor<6x8xf32>)
// CHECK-NEXT:    %[[C:.+]] = graph.constant dense<2.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[S:.+]] = graph.add %[[A]], %[[B]] : (tensor<6x8xf32>, tensor<6x8xf32>) -> tensor<6x8xf32>
// CHECK-NEXT:    %[[M:.+]] = graph.mul %[[S]], %[[C]] : (tensor<6x8xf32>, tensor<f32>) -> tensor<6x8xf32>
// CHECK-NEXT:    %[[E:.+]] = graph.exp %[[M]] : tensor<6x8xf32>
// CHECK-NEXT:    %[[R:.+]] = graph.reshape %[[E]] : tensor<6x8xf32> to tensor<2x3x8xf32>
// CHECK-NEXT:    return %[[R]]
func.func @chain(%a: tensor<6x8xf32>, %b: tensor<6x8xf32>) -> tensor<2x3x8xf32> {
  %c = graph.constant dense<2.0> : tensor<f32>
  %0 = graph.reshape %a : tensor<6x8xf32> to tensor<2x3x8xf32>
  %1 = graph.reshape %b : tensor<6x8xf32> to tensor<2x3x8xf32>
  %2 = graph.add %0, %1 : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  %3 = graph.mul %2, %c : (tensor<2x3x8xf32>, tensor<f32>) -> tensor<2x3x8xf32>
  %4 = graph.exp %3 : tensor<2x3x8xf32>
  return %4 : tensor<2x3x8xf32>
}

// -----

// Must not move: the other operand varies along the reshaped dimensions
// (a per-row value), where the reshaped input would meet it elsewhere.
// CHECK-LABEL: func.func @per_row
// CHECK-NEXT:    graph.reshape
// CHECK-NEXT:    graph.add %{{.+}}, %{{.+}} : (tensor<74x136xf32>, tensor<74x1xf32>)
func.func @per_row(%x: tensor<2x37x136xf32>, %s: tensor<74x1xf32>) -> tensor<74x136xf32> {
  %0 = graph.reshape %x : tensor<2x37x136xf32> to tensor<74x136xf32>
  %1 = graph.add %0, %s : (tensor<74x136xf32>, tensor<74x1xf32>) -> tensor<74x136xf32>
  return %1 : tensor<74x136xf32>
}

// -----

// Must not move: a head split changes the last dimension, and the bias
// meets it.
// CHECK-LABEL: func.func @head_split
// CHECK-NEXT:    graph.reshape
// CHECK-NEXT:    graph.add %{{.+}}, %{{.+}} : (tensor<2x37x4x16xf32>, tensor<16xf32>)
func.func @head_split(%x: tensor<2x37x64xf32>, %b: tensor<16xf32>) -> tensor<2x37x4x16xf32> {
  %0 = graph.reshape %x : tensor<2x37x64xf32> to tensor<2x37x4x16xf32>
  %1 = graph.add %0, %b : (tensor<2x37x4x16xf32>, tensor<16xf32>) -> tensor<2x37x4x16xf32>
  return %1 : tensor<2x37x4x16xf32>
}

// -----

// Must not move: the two operands are reshaped from different shapes.
// CHECK-LABEL: func.func @different_sources
// CHECK-NEXT:    graph.reshape
// CHECK-NEXT:    graph.reshape
// CHECK-NEXT:    graph.add %{{.+}}, %{{.+}} : (tensor<6x8xf32>, tensor<6x8xf32>)
func.func @different_sources(%a: tensor<2x3x8xf32>, %b: tensor<3x2x8xf32>) -> tensor<6x8xf32> {
  %0 = graph.reshape %a : tensor<2x3x8xf32> to tensor<6x8xf32>
  %1 = graph.reshape %b : tensor<3x2x8xf32> to tensor<6x8xf32>
  %2 = graph.add %0, %1 : (tensor<6x8xf32>, tensor<6x8xf32>) -> tensor<6x8xf32>
  return %2 : tensor<6x8xf32>
}

// -----

// Must not move: `expand` sets its own shape.
// CHECK-LABEL: func.func @expand
// CHECK-NEXT:    graph.reshape
// CHECK-NEXT:    graph.expand
func.func @expand(%x: tensor<2x3x1xf32>) -> tensor<6x8xf32> {
  %0 = graph.reshape %x : tensor<2x3x1xf32> to tensor<6x1xf32>
  %1 = graph.expand %0 : tensor<6x1xf32> to tensor<6x8xf32>
  return %1 : tensor<6x8xf32>
}

// -----

// A select whose condition and value are reshaped alike moves too.
// CHECK-LABEL: func.func @select
// CHECK-SAME:    (%[[C:.+]]: tensor<6x8xi1>, %[[A:.+]]: tensor<6x8xf32>)
// CHECK:         %[[W:.+]] = graph.where %[[C]], %[[A]], %{{.+}} : (tensor<6x8xi1>, tensor<6x8xf32>, tensor<f32>) -> tensor<6x8xf32>
// CHECK-NEXT:    graph.reshape %[[W]] : tensor<6x8xf32> to tensor<2x3x8xf32>
func.func @select(%c: tensor<6x8xi1>, %a: tensor<6x8xf32>) -> tensor<2x3x8xf32> {
  %z = graph.constant dense<0.0> : tensor<f32>
  %0 = graph.reshape %c : tensor<6x8xi1> to tensor<2x3x8xi1>
  %1 = graph.reshape %a : tensor<6x8xf32> to tensor<2x3x8xf32>
  %2 = graph.where %0, %1, %z : (tensor<2x3x8xi1>, tensor<2x3x8xf32>, tensor<f32>) -> tensor<2x3x8xf32>
  return %2 : tensor<2x3x8xf32>
}
