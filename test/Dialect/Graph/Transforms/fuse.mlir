// RUN: meld-opt %s -split-input-file --meld-graph-fuse | FileCheck %s

// A chain of elementwise ops is one group; the splat constant is copied in,
// the bias is an input broadcast inside the group.
// CHECK-LABEL: func.func @chain
// CHECK-NOT:     graph.constant
// CHECK:         %[[G:.+]] = graph.fusion_group pointwise (%{{.+}}, %{{.+}}) : (tensor<4x6xf32>, tensor<6xf32>) -> tensor<4x6xf32> {
// CHECK:         ^bb0(%[[A:.+]]: tensor<4x6xf32>, %[[B:.+]]: tensor<6xf32>):
// CHECK:           %[[H:.+]] = graph.constant dense<5.000000e-01> : tensor<f32>
// CHECK:           %[[S:.+]] = graph.add %[[A]], %[[B]]
// CHECK:           %[[G1:.+]] = graph.gelu %[[S]]
// CHECK:           %[[M:.+]] = graph.mul %[[G1]], %[[H]]
// CHECK:           graph.yield %[[M]] : tensor<4x6xf32>
// CHECK:         return %[[G]]
func.func @chain(%x: tensor<4x6xf32>, %b: tensor<6xf32>) -> tensor<4x6xf32> {
  %h = graph.constant dense<0.5> : tensor<f32>
  %0 = graph.add %x, %b : (tensor<4x6xf32>, tensor<6xf32>) -> tensor<4x6xf32>
  %1 = graph.gelu %0 : tensor<4x6xf32>
  %2 = graph.mul %1, %h : (tensor<4x6xf32>, tensor<f32>) -> tensor<4x6xf32>
  return %2 : tensor<4x6xf32>
}

// -----

// An intermediate also used after the group is one more result of it.
// CHECK-LABEL: func.func @two_results
// CHECK:         %[[G:.+]]:2 = graph.fusion_group pointwise
// CHECK:           %[[S:.+]] = graph.add
// CHECK:           %[[T:.+]] = graph.tanh %[[S]]
// CHECK:           graph.yield %[[S]], %[[T]]
// CHECK:         %[[R:.+]] = graph.reduce_sum %[[G]]#0
// CHECK:         return %[[G]]#1, %[[R]]
func.func @two_results(%x: tensor<4x6xf32>, %y: tensor<4x6xf32>) -> (tensor<4x6xf32>, tensor<4x1xf32>) {
  %0 = graph.add %x, %y : (tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
  %1 = graph.tanh %0 : tensor<4x6xf32>
  %2 = graph.reduce_sum %0 {axes = array<i64: 1>, keep_dims} : (tensor<4x6xf32>) -> tensor<4x1xf32>
  return %1, %2 : tensor<4x6xf32>, tensor<4x1xf32>
}

// -----

// Must not fuse: %0 is used by the softmax, whose result comes back into
// %2 (a path out of the group and back in). Each stays its own op.
// CHECK-LABEL: func.func @path_out_and_back
// CHECK-NOT:     graph.fusion_group
// CHECK:         graph.exp
// CHECK:         graph.softmax
// CHECK:         graph.add
func.func @path_out_and_back(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = graph.exp %x : tensor<4x4xf32>
  %1 = graph.softmax %0 {axis = 1 : i64} : tensor<4x4xf32>
  %2 = graph.add %0, %1 : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %2 : tensor<4x4xf32>
}

// -----

// Must not fuse: the scaled bias (shape 6) is also used outside, so it would
// be a result of another shape than the group's 4x6. The rest still fuses.
// CHECK-LABEL: func.func @smaller_value_used_outside
// CHECK:         %[[S:.+]] = graph.mul %{{.+}}, %{{.+}} : (tensor<6xf32>, tensor<6xf32>) -> tensor<6xf32>
// CHECK:         %[[G:.+]] = graph.fusion_group pointwise (%{{.+}}, %[[S]])
// CHECK:           graph.add
// CHECK:           graph.relu
// CHECK:         graph.reduce_sum %[[S]]
func.func @smaller_value_used_outside(%x: tensor<4x6xf32>, %b: tensor<6xf32>) -> (tensor<4x6xf32>, tensor<1xf32>) {
  %0 = graph.mul %b, %b : (tensor<6xf32>, tensor<6xf32>) -> tensor<6xf32>
  %1 = graph.add %x, %0 : (tensor<4x6xf32>, tensor<6xf32>) -> tensor<4x6xf32>
  %2 = graph.relu %1 : tensor<4x6xf32>
  %3 = graph.reduce_sum %0 {axes = array<i64: 0>, keep_dims} : (tensor<6xf32>) -> tensor<1xf32>
  return %2, %3 : tensor<4x6xf32>, tensor<1xf32>
}

// -----

// A smaller value used only inside the group joins it, computed at every
// element of the group's iteration space.
// CHECK-LABEL: func.func @smaller_value_inside
// CHECK:         graph.fusion_group pointwise (%{{.+}}, %{{.+}}) : (tensor<6xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
// CHECK:           graph.mul %{{.+}}, %{{.+}} : (tensor<6xf32>, tensor<6xf32>) -> tensor<6xf32>
// CHECK:           graph.add
// CHECK-NOT:     graph.mul
func.func @smaller_value_inside(%x: tensor<4x6xf32>, %b: tensor<6xf32>) -> tensor<4x6xf32> {
  %0 = graph.mul %b, %b : (tensor<6xf32>, tensor<6xf32>) -> tensor<6xf32>
  %1 = graph.add %x, %0 : (tensor<4x6xf32>, tensor<6xf32>) -> tensor<4x6xf32>
  return %1 : tensor<4x6xf32>
}

// -----

// Must not fuse across a reduction or a softmax: they are not elementwise.
// The elementwise ops on either side form groups of their own (the lone
// exp stays an op).
// CHECK-LABEL: func.func @across_reductions
// CHECK:         graph.fusion_group pointwise
// CHECK:           graph.sub
// CHECK:           graph.mul
// CHECK:         graph.softmax
// CHECK-NOT:     graph.fusion_group
// CHECK:         graph.exp
func.func @across_reductions(%x: tensor<4x6xf32>, %y: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %0 = graph.sub %x, %y : (tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
  %1 = graph.mul %0, %0 : (tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
  %2 = graph.softmax %1 {axis = 1 : i64} : tensor<4x6xf32>
  %3 = graph.exp %2 : tensor<4x6xf32>
  return %3 : tensor<4x6xf32>
}

// -----

// Two producer chains meet in one consumer: one group of all of them.
// CHECK-LABEL: func.func @diamond
// CHECK:         graph.fusion_group pointwise
// CHECK:           graph.exp
// CHECK:           graph.tanh
// CHECK:           graph.add
// CHECK-NEXT:      graph.yield
// CHECK-NOT:     graph.fusion_group
// CHECK:         return
func.func @diamond(%x: tensor<4x6xf32>, %y: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %0 = graph.exp %x : tensor<4x6xf32>
  %1 = graph.tanh %y : tensor<4x6xf32>
  %2 = graph.add %0, %1 : (tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
  return %2 : tensor<4x6xf32>
}

// -----

// A matmul's epilogue: bias, GELU and the residual add are computed on the
// accumulator, one matmul group.
// CHECK-LABEL: func.func @matmul_epilogue
// CHECK:         %[[G:.+]] = graph.fusion_group matmul (%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) : (tensor<5x8xf32>, tensor<8x6xf32>, tensor<6xf32>, tensor<5x6xf32>) -> tensor<5x6xf32>
// CHECK:           graph.matmul
// CHECK:           graph.add
// CHECK:           graph.gelu
// CHECK:           graph.add
// CHECK:           graph.yield
// CHECK:         return %[[G]]
func.func @matmul_epilogue(%x: tensor<5x8xf32>, %w: tensor<8x6xf32>, %b: tensor<6xf32>, %r: tensor<5x6xf32>) -> tensor<5x6xf32> {
  %0 = graph.matmul %x, %w : (tensor<5x8xf32>, tensor<8x6xf32>) -> tensor<5x6xf32>
  %1 = graph.add %0, %b : (tensor<5x6xf32>, tensor<6xf32>) -> tensor<5x6xf32>
  %2 = graph.gelu %1 : tensor<5x6xf32>
  %3 = graph.add %2, %r : (tensor<5x6xf32>, tensor<5x6xf32>) -> tensor<5x6xf32>
  return %3 : tensor<5x6xf32>
}

// -----

// Must not fuse an op that computes the matmul's operand (no prologue): the
// exp stays outside, an input of the matmul group.
// CHECK-LABEL: func.func @matmul_operand_not_fused
// CHECK:         %[[E:.+]] = graph.exp
// CHECK:         graph.fusion_group matmul (%[[E]], %{{.+}})
// CHECK:           graph.matmul
// CHECK:           graph.add
func.func @matmul_operand_not_fused(%x: tensor<4x4xf32>, %w: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = graph.exp %x : tensor<4x4xf32>
  %1 = graph.matmul %0, %w : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %2 = graph.add %1, %0 : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %2 : tensor<4x4xf32>
}

// -----

// Must not fuse into the epilogue an op whose result is larger than the
// matmul's (a broadcast over a batch the matmul does not have): the add and
// exp form a pointwise group reading the plain matmul's result.
// CHECK-LABEL: func.func @epilogue_larger_than_matmul
// CHECK:         %[[M:.+]] = graph.matmul
// CHECK:         graph.fusion_group pointwise (%{{.+}}, %[[M]])
// CHECK:           graph.add %{{.+}}, %{{.+}} : (tensor<2x4x4xf32>, tensor<4x4xf32>) -> tensor<2x4x4xf32>
// CHECK:           graph.exp
func.func @epilogue_larger_than_matmul(%x: tensor<4x4xf32>, %y: tensor<2x4x4xf32>) -> tensor<2x4x4xf32> {
  %0 = graph.matmul %x, %x : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = graph.add %y, %0 : (tensor<2x4x4xf32>, tensor<4x4xf32>) -> tensor<2x4x4xf32>
  %2 = graph.exp %1 : tensor<2x4x4xf32>
  return %2 : tensor<2x4x4xf32>
}

// -----

// Must not join two matmuls in one group: the add is the first one's
// epilogue and reads the second one's result.
// CHECK-LABEL: func.func @two_matmuls
// CHECK:         %[[M2:.+]] = graph.matmul
// CHECK:         graph.fusion_group matmul (%{{.+}}, %{{.+}}, %[[M2]])
// CHECK-COUNT-1:   graph.matmul
// CHECK:           graph.add
func.func @two_matmuls(%x: tensor<4x4xf32>, %w: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = graph.matmul %x, %w : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = graph.matmul %w, %x : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %2 = graph.add %0, %1 : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %2 : tensor<4x4xf32>
}

// -----

// The options bound the group's size and turn epilogues off.
// RUN: meld-opt %s -split-input-file --meld-graph-fuse=matmul-epilogues=false | FileCheck %s --check-prefix=NOEPI
// NOEPI-LABEL: func.func @matmul_epilogue
// NOEPI:         graph.matmul
// NOEPI-NEXT:    graph.fusion_group pointwise

// -----

// The option bounds the group's size.
// RUN: meld-opt %s -split-input-file --meld-graph-fuse=max-group-ops=2 | FileCheck %s --check-prefix=MAX2
// MAX2-LABEL: func.func @bounded
// MAX2:         graph.fusion_group pointwise
// MAX2-COUNT-2:   graph.{{exp|tanh}}
// MAX2:         graph.fusion_group pointwise
func.func @bounded(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.exp %x : tensor<4xf32>
  %1 = graph.tanh %0 : tensor<4xf32>
  %2 = graph.exp %1 : tensor<4xf32>
  %3 = graph.tanh %2 : tensor<4xf32>
  return %3 : tensor<4xf32>
}
