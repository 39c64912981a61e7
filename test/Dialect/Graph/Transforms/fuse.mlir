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

// %0 is used by the softmax and again by %2: a path out of a pointwise group
// and back in, unless the softmax is inside. A rows group holds all three:
// the exp is the softmax's prologue (computed in each pass over a row), the
// add its epilogue.
// CHECK-LABEL: func.func @path_out_and_back
// CHECK:         %[[G:.+]] = graph.fusion_group rows
// CHECK:           %[[E:.+]] = graph.exp
// CHECK:           %[[S:.+]] = graph.softmax %[[E]]
// CHECK:           %[[A:.+]] = graph.add %[[E]], %[[S]]
// CHECK:           graph.yield %[[A]]
// CHECK:         return %[[G]]
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

// A pointwise group stops at a softmax (not elementwise); the softmax of the
// last axis then makes a rows group of the groups on either side: the sub
// and mul are computed where the softmax reads them, the exp before the
// store.
// CHECK-LABEL: func.func @across_reductions
// CHECK:         %[[G:.+]] = graph.fusion_group rows
// CHECK:           graph.sub
// CHECK:           graph.mul
// CHECK:           graph.softmax
// CHECK:           graph.exp
// CHECK:         return %[[G]]
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

// -----

// Attention scores read the fused QKV projection in place: the split, the
// head reshapes and the transposes of Q and K are copied into the matmul
// group as views of its one input, and the split outside, read by nothing
// else, is gone. The reshape of the softmax alone is free, so it stays out.
// CHECK-LABEL: func.func @qkv_views
// CHECK-NOT:     graph.split
// CHECK:         %[[S:.+]] = graph.fusion_group matmul (%[[QKV:.+]]) : (tensor<2x41x360xf32>) -> tensor<2x5x41x41xf32> {
// CHECK:         ^bb0(%[[A:.+]]: tensor<2x41x360xf32>):
// CHECK:           %[[P:.+]]:3 = graph.split %[[A]]
// CHECK-DAG:       %[[KR:.+]] = graph.reshape %[[P]]#1
// CHECK-DAG:       %[[KT:.+]] = graph.transpose %[[KR]] {permutation = array<i64: 0, 2, 3, 1>}
// CHECK-DAG:       %[[QR:.+]] = graph.reshape %[[P]]#0
// CHECK-DAG:       %[[QT:.+]] = graph.transpose %[[QR]] {permutation = array<i64: 0, 2, 1, 3>}
// CHECK:           %[[M:.+]] = graph.matmul %[[QT]], %[[KT]]
// CHECK:           %[[D:.+]] = graph.mul %[[M]], %{{.+}}
// CHECK:           graph.yield %[[D]]
// CHECK:         %[[F:.+]] = graph.reshape %[[S]] : tensor<2x5x41x41xf32> to tensor<10x41x41xf32>
// CHECK:         graph.softmax %[[F]]
func.func @qkv_views(%qkv: tensor<2x41x360xf32>) -> tensor<10x41x41xf32> {
  %c = graph.constant dense<0.2> : tensor<f32>
  %s:3 = graph.split %qkv {axis = 2 : i64, sizes = array<i64: 120, 120, 120>} : (tensor<2x41x360xf32>) -> (tensor<2x41x120xf32>, tensor<2x41x120xf32>, tensor<2x41x120xf32>)
  %q = graph.reshape %s#0 : tensor<2x41x120xf32> to tensor<2x41x5x24xf32>
  %qt = graph.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x41x5x24xf32>) -> tensor<2x5x41x24xf32>
  %k = graph.reshape %s#1 : tensor<2x41x120xf32> to tensor<2x41x5x24xf32>
  %kt = graph.transpose %k {permutation = array<i64: 0, 2, 3, 1>} : (tensor<2x41x5x24xf32>) -> tensor<2x5x24x41xf32>
  %m = graph.matmul %qt, %kt : (tensor<2x5x41x24xf32>, tensor<2x5x24x41xf32>) -> tensor<2x5x41x41xf32>
  %d = graph.mul %m, %c : (tensor<2x5x41x41xf32>, tensor<f32>) -> tensor<2x5x41x41xf32>
  %f = graph.reshape %d : tensor<2x5x41x41xf32> to tensor<10x41x41xf32>
  %sm = graph.softmax %f {axis = 2 : i64} : tensor<10x41x41xf32>
  return %sm : tensor<10x41x41xf32>
}

// -----

// A matmul with no epilogue is a group when it stores through a view: the
// heads transposed back to rows are written in place. The reshape after the
// transpose is free and stays out; the V piece of the split is read in place,
// and the split stays for its other reader.
// CHECK-LABEL: func.func @store_transposed
// CHECK:         %[[P:.+]]:2 = graph.split
// CHECK:         %[[G:.+]] = graph.fusion_group matmul (%{{.+}}, %{{.+}}) : (tensor<2x41x240xf32>, tensor<2x5x41x41xf32>) -> tensor<2x41x5x24xf32> {
// CHECK:           %[[M:.+]] = graph.matmul
// CHECK:           %[[T:.+]] = graph.transpose %[[M]] {permutation = array<i64: 0, 2, 1, 3>}
// CHECK:           graph.yield %[[T]] : tensor<2x41x5x24xf32>
// CHECK:         %[[R:.+]] = graph.reshape %[[G]] : tensor<2x41x5x24xf32> to tensor<2x41x120xf32>
// CHECK:         return %[[R]], %[[P]]#0
func.func @store_transposed(%p: tensor<2x5x41x41xf32>, %kv: tensor<2x41x240xf32>) -> (tensor<2x41x120xf32>, tensor<2x41x120xf32>) {
  %s:2 = graph.split %kv {axis = 2 : i64, sizes = array<i64: 120, 120>} : (tensor<2x41x240xf32>) -> (tensor<2x41x120xf32>, tensor<2x41x120xf32>)
  %v = graph.reshape %s#1 : tensor<2x41x120xf32> to tensor<2x41x5x24xf32>
  %vt = graph.transpose %v {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x41x5x24xf32>) -> tensor<2x5x41x24xf32>
  %o = graph.matmul %p, %vt : (tensor<2x5x41x41xf32>, tensor<2x5x41x24xf32>) -> tensor<2x5x41x24xf32>
  %t = graph.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x41x24xf32>) -> tensor<2x41x5x24xf32>
  %r = graph.reshape %t : tensor<2x41x5x24xf32> to tensor<2x41x120xf32>
  return %r, %s#0 : tensor<2x41x120xf32>, tensor<2x41x120xf32>
}

// -----

// Grouped-query attention: the repeated K heads (reshape, expand, reshape)
// are read in place, each KV head by three query heads. The lone expand is
// not a group of its own.
// CHECK-LABEL: func.func @repeat_kv
// CHECK:         graph.fusion_group matmul (%{{.+}}, %{{.+}}) : (tensor<1x2x20x41xf32>, tensor<1x6x41x20xf32>) -> tensor<1x6x41x41xf32> {
// CHECK:           graph.reshape
// CHECK:           graph.expand
// CHECK:           graph.reshape
// CHECK:           graph.matmul
// CHECK-NOT:     graph.expand
func.func @repeat_kv(%q: tensor<1x6x41x20xf32>, %kt: tensor<1x2x20x41xf32>) -> tensor<1x6x41x41xf32> {
  %u = graph.reshape %kt : tensor<1x2x20x41xf32> to tensor<1x2x1x20x41xf32>
  %e = graph.expand %u : tensor<1x2x1x20x41xf32> to tensor<1x2x3x20x41xf32>
  %r = graph.reshape %e : tensor<1x2x3x20x41xf32> to tensor<1x6x20x41xf32>
  %m = graph.matmul %q, %r : (tensor<1x6x41x20xf32>, tensor<1x6x20x41xf32>) -> tensor<1x6x41x41xf32>
  return %m : tensor<1x6x41x41xf32>
}

// -----

// A transpose read by a lone elementwise op makes a pointwise group: the
// kernel reads the input transposed instead of a copy kernel writing it.
// A matmul whose operands are only reshaped stays a plain op.
// CHECK-LABEL: func.func @transpose_into_pointwise
// CHECK:         %[[G:.+]] = graph.fusion_group pointwise (%{{.+}}) : (tensor<4x6xf32>) -> tensor<6x4xf32> {
// CHECK:           %[[T:.+]] = graph.transpose
// CHECK:           %[[N:.+]] = graph.neg %[[T]]
// CHECK:           graph.yield %[[N]]
// CHECK:         %[[R:.+]] = graph.reshape %[[G]]
// CHECK:         graph.matmul %[[R]], %{{.+}} : (tensor<4x6xf32>, tensor<6x3xf32>)
func.func @transpose_into_pointwise(%x: tensor<4x6xf32>, %w: tensor<6x3xf32>) -> tensor<4x3xf32> {
  %t = graph.transpose %x {permutation = array<i64: 1, 0>} : (tensor<4x6xf32>) -> tensor<6x4xf32>
  %n = graph.neg %t : tensor<6x4xf32>
  %r = graph.reshape %n : tensor<6x4xf32> to tensor<4x6xf32>
  %m = graph.matmul %r, %w : (tensor<4x6xf32>, tensor<6x3xf32>) -> tensor<4x3xf32>
  return %m : tensor<4x3xf32>
}

// -----

// Must not fuse: the first matmul's result is read by the transpose and by
// the return, so it is stored as it is, with no view; a reshape that cuts
// the transposed modes unevenly is no view of that result, so the second
// matmul reads the transpose's copy (through the free reshape alone).
// CHECK-LABEL: func.func @views_that_stay
// CHECK-NOT:     graph.fusion_group
// CHECK:         %[[M:.+]] = graph.matmul
// CHECK:         %[[T:.+]] = graph.transpose %[[M]]
// CHECK:         %[[R:.+]] = graph.reshape %[[T]] : tensor<6x4xf32> to tensor<4x6xf32>
// CHECK:         %[[O:.+]] = graph.matmul %[[R]], %{{.+}}
// CHECK:         return %[[O]], %[[M]]
func.func @views_that_stay(%x: tensor<4x5xf32>, %y: tensor<5x6xf32>, %w: tensor<6x3xf32>) -> (tensor<4x3xf32>, tensor<4x6xf32>) {
  %m = graph.matmul %x, %y : (tensor<4x5xf32>, tensor<5x6xf32>) -> tensor<4x6xf32>
  %t = graph.transpose %m {permutation = array<i64: 1, 0>} : (tensor<4x6xf32>) -> tensor<6x4xf32>
  %k = graph.reshape %t : tensor<6x4xf32> to tensor<4x6xf32>
  %o = graph.matmul %k, %w : (tensor<4x6xf32>, tensor<6x3xf32>) -> tensor<4x3xf32>
  return %o, %m : tensor<4x3xf32>, tensor<4x6xf32>
}

// -----

// An attention is one group: it reads Q, K and V from the fused projection
// through the split and head views, and stores its result with the heads
// transposed back to rows. The splat mask is read as an input, not copied
// in: the attention reads buffers.
// CHECK-LABEL: func.func @attention_views
// CHECK:         %[[M:.+]] = graph.constant dense<true>
// CHECK:         %[[G:.+]] = graph.fusion_group attention (%{{.+}}, %[[M]]) : (tensor<2x7x24xf32>, tensor<7x7xi1>) -> tensor<2x7x2x4xf32> {
// CHECK:           graph.split
// CHECK:           %[[O:.+]] = graph.attention
// CHECK:           %[[T:.+]] = graph.transpose %[[O]] {permutation = array<i64: 0, 2, 1, 3>}
// CHECK:           graph.yield %[[T]]
// CHECK:         graph.reshape %[[G]] : tensor<2x7x2x4xf32> to tensor<2x7x8xf32>
func.func @attention_views(%qkv: tensor<2x7x24xf32>) -> tensor<2x7x8xf32> {
  %m = graph.constant dense<true> : tensor<7x7xi1>
  %s:3 = graph.split %qkv {axis = 2 : i64, sizes = array<i64: 8, 8, 8>} : (tensor<2x7x24xf32>) -> (tensor<2x7x8xf32>, tensor<2x7x8xf32>, tensor<2x7x8xf32>)
  %q = graph.reshape %s#0 : tensor<2x7x8xf32> to tensor<2x7x2x4xf32>
  %qt = graph.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x7x2x4xf32>) -> tensor<2x2x7x4xf32>
  %k = graph.reshape %s#1 : tensor<2x7x8xf32> to tensor<2x7x2x4xf32>
  %kt = graph.transpose %k {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x7x2x4xf32>) -> tensor<2x2x7x4xf32>
  %v = graph.reshape %s#2 : tensor<2x7x8xf32> to tensor<2x7x2x4xf32>
  %vt = graph.transpose %v {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x7x2x4xf32>) -> tensor<2x2x7x4xf32>
  %o = graph.attention %qt, %kt, %vt, %m {mask_kind = #graph.mask<keep>, masked_score = -1.0e4 : f64, scale = 0.5 : f64} : (tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>, tensor<7x7xi1>) -> tensor<2x2x7x4xf32>
  %t = graph.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x2x7x4xf32>) -> tensor<2x7x2x4xf32>
  %r = graph.reshape %t : tensor<2x7x2x4xf32> to tensor<2x7x8xf32>
  return %r : tensor<2x7x8xf32>
}

// -----

// The rotary embedding of Q (Slice/Neg/Concat/Mul, as exporters write it)
// and an additive mask made from a 0/1 padding mask are computed by the
// attention kernel where it reads them: one group. The splat constants of
// the mask's preparation are copied in; cos and sin are read as inputs.
// CHECK-LABEL: func.func @attention_prologue
// CHECK-NOT:     graph.fusion_group pointwise
// CHECK:         %[[G:.+]] = graph.fusion_group attention (%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) : (tensor<2x7x4xf32>, tensor<7x4xf32>, tensor<7x4xf32>, tensor<2x7xi64>, tensor<2x7x4xf32>, tensor<2x7x4xf32>) -> tensor<2x7x4xf32> {
// CHECK:           graph.slice
// CHECK:           graph.neg
// CHECK:           graph.slice
// CHECK:           graph.concat
// CHECK:           graph.mul
// CHECK:           graph.mul
// CHECK:           graph.add
// CHECK:           graph.cast
// CHECK:           graph.sub
// CHECK:           graph.mul
// CHECK:           graph.reshape
// CHECK:           %[[O:.+]] = graph.attention
// CHECK:           graph.yield %[[O]]
// CHECK-NOT:     graph.fusion_group
// CHECK:         return %[[G]]
func.func @attention_prologue(%q: tensor<2x7x4xf32>, %cos: tensor<7x4xf32>, %sin: tensor<7x4xf32>, %k: tensor<2x7x4xf32>, %v: tensor<2x7x4xf32>, %pad: tensor<2x7xi64>) -> tensor<2x7x4xf32> {
  %hi = graph.slice %q {sizes = array<i64: 2, 7, 2>, starts = array<i64: 0, 0, 2>, steps = array<i64: 1, 1, 1>} : (tensor<2x7x4xf32>) -> tensor<2x7x2xf32>
  %neg = graph.neg %hi : tensor<2x7x2xf32>
  %lo = graph.slice %q {sizes = array<i64: 2, 7, 2>, starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : (tensor<2x7x4xf32>) -> tensor<2x7x2xf32>
  %rot = graph.concat %neg, %lo {axis = 2 : i64} : (tensor<2x7x2xf32>, tensor<2x7x2xf32>) -> tensor<2x7x4xf32>
  %qc = graph.mul %q, %cos : (tensor<2x7x4xf32>, tensor<7x4xf32>) -> tensor<2x7x4xf32>
  %qs = graph.mul %rot, %sin : (tensor<2x7x4xf32>, tensor<7x4xf32>) -> tensor<2x7x4xf32>
  %qr = graph.add %qc, %qs : (tensor<2x7x4xf32>, tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %big = graph.constant dense<-1.0e4> : tensor<f32>
  %f = graph.cast %pad : tensor<2x7xi64> to tensor<2x7xf32>
  %inv = graph.sub %one, %f : (tensor<f32>, tensor<2x7xf32>) -> tensor<2x7xf32>
  %add = graph.mul %inv, %big : (tensor<2x7xf32>, tensor<f32>) -> tensor<2x7xf32>
  %m = graph.reshape %add : tensor<2x7xf32> to tensor<2x1x7xf32>
  %o = graph.attention %qr, %k, %v, %m {mask_kind = #graph.mask<add>, scale = 0.5 : f64} : (tensor<2x7x4xf32>, tensor<2x7x4xf32>, tensor<2x7x4xf32>, tensor<2x1x7xf32>) -> tensor<2x7x4xf32>
  return %o : tensor<2x7x4xf32>
}

// -----

// Must not fuse into the attention: the rotated K is also returned, so a
// kernel of its own computes it once and the attention reads it; the
// scaled Q is read only by the attention and is computed there.
// CHECK-LABEL: func.func @attention_prologue_used_outside
// CHECK:         %[[K:.+]] = graph.neg
// CHECK:         %[[G:.+]] = graph.fusion_group attention (%{{.+}}, %[[K]], %{{.+}}) : (tensor<2x7x4xf32>, tensor<2x7x4xf32>, tensor<2x7x4xf32>) -> tensor<2x7x4xf32> {
// CHECK:           graph.mul
// CHECK:           graph.attention
// CHECK:         return %[[G]], %[[K]]
func.func @attention_prologue_used_outside(%q: tensor<2x7x4xf32>, %k: tensor<2x7x4xf32>, %v: tensor<2x7x4xf32>) -> (tensor<2x7x4xf32>, tensor<2x7x4xf32>) {
  %two = graph.constant dense<2.0> : tensor<f32>
  %qs = graph.mul %q, %two : (tensor<2x7x4xf32>, tensor<f32>) -> tensor<2x7x4xf32>
  %kn = graph.neg %k : tensor<2x7x4xf32>
  %o = graph.attention %qs, %kn, %v {mask_kind = #graph.mask<none>, scale = 0.5 : f64} : (tensor<2x7x4xf32>, tensor<2x7x4xf32>, tensor<2x7x4xf32>) -> tensor<2x7x4xf32>
  return %o, %kn : tensor<2x7x4xf32>, tensor<2x7x4xf32>
}

// -----

// A normalization read only as the left operand of matmuls is their
// prologue: GPT-2's LayerNorm before the QKV projection, and Llama's RMSNorm
// before the Q, K and V projections, which share it and become one group of
// three matmuls (one kernel, the row statistics computed once per program).
// No normalization kernel is left.
// CHECK-LABEL: func.func @norm_prologue
// CHECK-NOT:     graph.layernorm
// CHECK:         graph.fusion_group matmul (%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) : (tensor<2x7x12xf32>, tensor<12xf32>, tensor<12xf32>, tensor<12x36xf32>, tensor<36xf32>) -> tensor<2x7x36xf32> {
// CHECK:           %[[N:.+]] = graph.layernorm
// CHECK:           %[[M:.+]] = graph.matmul %[[N]], %{{.+}}
// CHECK:           graph.add %[[M]]
// CHECK-NOT:     {{^    }}%{{.+}} = graph.rmsnorm
// CHECK:         graph.fusion_group matmul ({{.+}}) -> (tensor<2x7x12xf32>, tensor<2x7x4xf32>, tensor<2x7x4xf32>) {
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      %[[R:.+]] = graph.rmsnorm
// CHECK-NEXT:      %[[Q:.+]] = graph.matmul %[[R]]
// CHECK-NEXT:      %[[K:.+]] = graph.matmul %[[R]]
// CHECK-NEXT:      %[[V:.+]] = graph.matmul %[[R]]
// CHECK-NEXT:      graph.yield %[[Q]], %[[K]], %[[V]]
// CHECK-NOT:     graph.rmsnorm
// CHECK:         return
func.func @norm_prologue(%x: tensor<2x7x12xf32>, %g: tensor<12xf32>, %b: tensor<12xf32>, %w: tensor<12x36xf32>, %c: tensor<36xf32>, %wq: tensor<12x12xf32>, %wk: tensor<12x4xf32>, %wv: tensor<12x4xf32>) -> (tensor<2x7x36xf32>, tensor<2x7x12xf32>, tensor<2x7x4xf32>, tensor<2x7x4xf32>) {
  %n = graph.layernorm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x7x12xf32>, tensor<12xf32>, tensor<12xf32>) -> tensor<2x7x12xf32>
  %m = graph.matmul %n, %w : (tensor<2x7x12xf32>, tensor<12x36xf32>) -> tensor<2x7x36xf32>
  %a = graph.add %m, %c : (tensor<2x7x36xf32>, tensor<36xf32>) -> tensor<2x7x36xf32>
  %r = graph.rmsnorm %x, %g {axis = 2 : i64, epsilon = 1.0e-06 : f32} : (tensor<2x7x12xf32>, tensor<12xf32>) -> tensor<2x7x12xf32>
  %q = graph.matmul %r, %wq : (tensor<2x7x12xf32>, tensor<12x12xf32>) -> tensor<2x7x12xf32>
  %k = graph.matmul %r, %wk : (tensor<2x7x12xf32>, tensor<12x4xf32>) -> tensor<2x7x4xf32>
  %v = graph.matmul %r, %wv : (tensor<2x7x12xf32>, tensor<12x4xf32>) -> tensor<2x7x4xf32>
  return %a, %q, %k, %v : tensor<2x7x36xf32>, tensor<2x7x12xf32>, tensor<2x7x4xf32>, tensor<2x7x4xf32>
}

// -----

// Sibling matmuls (BERT's Q, K and V projections of one input, each with its
// bias and head views) are one group of three matmuls, each with its own
// epilogue and results: one kernel.
// CHECK-LABEL: func.func @sibling_matmuls
// CHECK:         %[[G:.+]]:3 = graph.fusion_group matmul
// CHECK-COUNT-3:   graph.matmul
// CHECK:           graph.yield
// CHECK-NOT:     graph.fusion_group
// CHECK:         return %[[G]]#0, %[[G]]#1, %[[G]]#2
func.func @sibling_matmuls(%x: tensor<2x7x8xf32>, %wq: tensor<8x8xf32>, %bq: tensor<8xf32>, %wk: tensor<8x8xf32>, %bk: tensor<8xf32>, %wv: tensor<8x8xf32>, %bv: tensor<8xf32>) -> (tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>) {
  %q = graph.matmul %x, %wq : (tensor<2x7x8xf32>, tensor<8x8xf32>) -> tensor<2x7x8xf32>
  %qb = graph.add %bq, %q : (tensor<8xf32>, tensor<2x7x8xf32>) -> tensor<2x7x8xf32>
  %qr = graph.reshape %qb : tensor<2x7x8xf32> to tensor<2x7x2x4xf32>
  %qt = graph.transpose %qr {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x7x2x4xf32>) -> tensor<2x2x7x4xf32>
  %k = graph.matmul %x, %wk : (tensor<2x7x8xf32>, tensor<8x8xf32>) -> tensor<2x7x8xf32>
  %kb = graph.add %bk, %k : (tensor<8xf32>, tensor<2x7x8xf32>) -> tensor<2x7x8xf32>
  %kr = graph.reshape %kb : tensor<2x7x8xf32> to tensor<2x7x2x4xf32>
  %kt = graph.transpose %kr {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x7x2x4xf32>) -> tensor<2x2x7x4xf32>
  %v = graph.matmul %x, %wv : (tensor<2x7x8xf32>, tensor<8x8xf32>) -> tensor<2x7x8xf32>
  %vb = graph.add %bv, %v : (tensor<8xf32>, tensor<2x7x8xf32>) -> tensor<2x7x8xf32>
  %vr = graph.reshape %vb : tensor<2x7x8xf32> to tensor<2x7x2x4xf32>
  %vt = graph.transpose %vr {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x7x2x4xf32>) -> tensor<2x2x7x4xf32>
  return %qt, %kt, %vt : tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>
}

// -----

// SwiGLU: the gate's epilogue reads the up projection's result, both of one
// shape, so the two groups are one dual product: each program computes both
// tiles and combines them. A narrower product of the same input joins as a
// part of its own; the group combining it with a product of another shape
// (broadcast) stays apart.
// CHECK-LABEL: func.func @swiglu
// CHECK:         %[[G:.+]]:2 = graph.fusion_group matmul
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      %[[U:.+]] = graph.matmul
// CHECK-NEXT:      %[[GATE:.+]] = graph.matmul
// CHECK-NEXT:      %[[S:.+]] = graph.silu %[[GATE]]
// CHECK-NEXT:      %[[H:.+]] = graph.mul %[[S]], %[[U]]
// CHECK-NEXT:      %[[C:.+]] = graph.matmul
// CHECK-NEXT:      graph.yield %[[H]], %[[C]]
// CHECK:         %[[D:.+]] = graph.fusion_group matmul (%{{.+}}, %{{.+}}, %[[G]]#1)
// CHECK-COUNT-1:   graph.matmul
// CHECK-NOT:       graph.matmul
// CHECK:         return %[[G]]#0, %[[D]]
func.func @swiglu(%x: tensor<2x7x8xf32>, %wg: tensor<8x6xf32>, %wu: tensor<8x6xf32>, %wc: tensor<8x1xf32>, %wd: tensor<8x6xf32>) -> (tensor<2x7x6xf32>, tensor<2x7x6xf32>) {
  %u = graph.matmul %x, %wu : (tensor<2x7x8xf32>, tensor<8x6xf32>) -> tensor<2x7x6xf32>
  %g = graph.matmul %x, %wg : (tensor<2x7x8xf32>, tensor<8x6xf32>) -> tensor<2x7x6xf32>
  %s = graph.silu %g : tensor<2x7x6xf32>
  %h = graph.mul %s, %u : (tensor<2x7x6xf32>, tensor<2x7x6xf32>) -> tensor<2x7x6xf32>
  %c = graph.matmul %x, %wc : (tensor<2x7x8xf32>, tensor<8x1xf32>) -> tensor<2x7x1xf32>
  %d = graph.matmul %x, %wd : (tensor<2x7x8xf32>, tensor<8x6xf32>) -> tensor<2x7x6xf32>
  %e = graph.mul %d, %c : (tensor<2x7x6xf32>, tensor<2x7x1xf32>) -> tensor<2x7x6xf32>
  return %h, %e : tensor<2x7x6xf32>, tensor<2x7x6xf32>
}

// -----

// Must not merge: the first group's result is read (by the second matmul's
// group) before the sibling matmul, where the merged kernel would run. (The
// two groups in sequence are one chain.)
// CHECK-LABEL: func.func @sibling_used_between
// CHECK:         graph.fusion_group chain
// CHECK-COUNT-2:   graph.matmul
// CHECK:           graph.yield
// CHECK:         %[[B:.+]] = graph.matmul %{{.+}}, %{{.+}} : (tensor<2x7x8xf32>, tensor<8x6xf32>)
// CHECK:         return
func.func @sibling_used_between(%x: tensor<2x7x8xf32>, %w1: tensor<8x6xf32>, %w2: tensor<8x6xf32>, %wd: tensor<6x8xf32>) -> (tensor<2x7x6xf32>, tensor<2x7x8xf32>) {
  %a = graph.matmul %x, %w1 : (tensor<2x7x8xf32>, tensor<8x6xf32>) -> tensor<2x7x6xf32>
  %n = graph.neg %a : tensor<2x7x6xf32>
  %d = graph.matmul %n, %wd : (tensor<2x7x6xf32>, tensor<6x8xf32>) -> tensor<2x7x8xf32>
  %e = graph.neg %d : tensor<2x7x8xf32>
  %b = graph.matmul %x, %w2 : (tensor<2x7x8xf32>, tensor<8x6xf32>) -> tensor<2x7x6xf32>
  return %b, %e : tensor<2x7x6xf32>, tensor<2x7x8xf32>
}

// -----

// BERT's LayerNorm after the residual add (also read by a later add, so no
// matmul's prologue) is the row epilogue of the matmul group computing its
// input: one kernel stores the normalized rows.
// CHECK-LABEL: func.func @row_epilogue
// CHECK:         %[[G:.+]] = graph.fusion_group matmul
// CHECK:           graph.matmul
// CHECK:           graph.add
// CHECK:           graph.add
// CHECK:           %[[N:.+]] = graph.layernorm
// CHECK:           graph.yield %[[N]]
// CHECK-NOT:     graph.layernorm
// CHECK:         graph.fusion_group matmul (%[[G]], %{{.+}})
// CHECK-NOT:     graph.layernorm
// CHECK:         return
func.func @row_epilogue(%x: tensor<2x7x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>, %r: tensor<2x7x8xf32>, %g: tensor<8xf32>, %w2: tensor<8x8xf32>) -> tensor<2x7x8xf32> {
  %m = graph.matmul %x, %w : (tensor<2x7x8xf32>, tensor<8x8xf32>) -> tensor<2x7x8xf32>
  %a = graph.add %m, %b : (tensor<2x7x8xf32>, tensor<8xf32>) -> tensor<2x7x8xf32>
  %s = graph.add %a, %r : (tensor<2x7x8xf32>, tensor<2x7x8xf32>) -> tensor<2x7x8xf32>
  %n = graph.layernorm %s, %g, %b {axis = 2 : i64, epsilon = 1.0e-12 : f32} : (tensor<2x7x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x7x8xf32>
  %m2 = graph.matmul %n, %w2 : (tensor<2x7x8xf32>, tensor<8x8xf32>) -> tensor<2x7x8xf32>
  %o = graph.add %m2, %n : (tensor<2x7x8xf32>, tensor<2x7x8xf32>) -> tensor<2x7x8xf32>
  return %o : tensor<2x7x8xf32>
}

// -----

// Must not fuse: a normalization also returned (its kernel stays, so
// recomputing it in the matmul saves nothing); one read as the right
// operand; one over two axes. None follows a matmul group.
// CHECK-LABEL: func.func @norm_stays
// CHECK:         graph.layernorm
// CHECK:         graph.matmul
// CHECK:         graph.layernorm
// CHECK:         graph.matmul
// CHECK:         graph.layernorm
// CHECK:         graph.matmul
// CHECK-NOT:     graph.fusion_group
func.func @norm_stays(%x: tensor<7x12xf32>, %g: tensor<12xf32>, %w: tensor<12x12xf32>, %g2: tensor<7x12xf32>) -> (tensor<7x12xf32>, tensor<7x12xf32>, tensor<12x12xf32>, tensor<7x12xf32>) {
  %n = graph.layernorm %x, %g {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<7x12xf32>, tensor<12xf32>) -> tensor<7x12xf32>
  %m = graph.matmul %n, %w : (tensor<7x12xf32>, tensor<12x12xf32>) -> tensor<7x12xf32>
  %n2 = graph.layernorm %w, %g {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<12x12xf32>, tensor<12xf32>) -> tensor<12x12xf32>
  %m2 = graph.matmul %x, %n2 : (tensor<7x12xf32>, tensor<12x12xf32>) -> tensor<7x12xf32>
  %n3 = graph.layernorm %x, %g2 {axis = 0 : i64, epsilon = 1.0e-05 : f32} : (tensor<7x12xf32>, tensor<7x12xf32>) -> tensor<7x12xf32>
  %m3 = graph.matmul %n3, %w : (tensor<7x12xf32>, tensor<12x12xf32>) -> tensor<7x12xf32>
  return %m, %n, %n2, %m3 : tensor<7x12xf32>, tensor<7x12xf32>, tensor<12x12xf32>, tensor<7x12xf32>
}

// -----

// The prologue keeps the group in block order: an elementwise op computing
// the residual before the normalization joins the epilogue, and the group
// holds them in their order.
// CHECK-LABEL: func.func @prologue_order
// CHECK:         graph.fusion_group matmul
// CHECK:           %[[E:.+]] = graph.neg
// CHECK-NEXT:      %[[N:.+]] = graph.rmsnorm
// CHECK-NEXT:      %[[M:.+]] = graph.matmul %[[N]]
// CHECK-NEXT:      %[[A:.+]] = graph.add %[[M]], %[[E]]
// CHECK-NEXT:      graph.yield %[[A]]
func.func @prologue_order(%x: tensor<7x12xf32>, %g: tensor<12xf32>, %w: tensor<12x5xf32>, %r: tensor<7x5xf32>) -> tensor<7x5xf32> {
  %e = graph.neg %r : tensor<7x5xf32>
  %n = graph.rmsnorm %x, %g {axis = 1 : i64, epsilon = 1.0e-06 : f32} : (tensor<7x12xf32>, tensor<12xf32>) -> tensor<7x12xf32>
  %m = graph.matmul %n, %w : (tensor<7x12xf32>, tensor<12x5xf32>) -> tensor<7x5xf32>
  %a = graph.add %m, %e : (tensor<7x5xf32>, tensor<7x5xf32>) -> tensor<7x5xf32>
  return %a : tensor<7x5xf32>
}

// -----

// An embedding lookup and the position add after it are one pointwise group:
// the gather reads each element where its index points. A gather alone stays
// a plain op (its own kernel).
// CHECK-LABEL: func.func @gather_add
// CHECK:         %[[G:.+]] = graph.fusion_group pointwise (%{{.+}}, %{{.+}}, %{{.+}}) : (tensor<10x4xf32>, tensor<2x3xi64>, tensor<3x4xf32>) -> tensor<2x3x4xf32> {
// CHECK:           %[[E:.+]] = graph.gather
// CHECK:           graph.add %[[E]]
// CHECK:         graph.gather
// CHECK-NOT:     graph.fusion_group
// CHECK:         return %[[G]]
func.func @gather_add(%w: tensor<10x4xf32>, %ids: tensor<2x3xi64>, %pos: tensor<3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x3x4xf32>) {
  %e = graph.gather %w, %ids {axis = 0 : i64} : (tensor<10x4xf32>, tensor<2x3xi64>) -> tensor<2x3x4xf32>
  %y = graph.add %e, %pos : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32>
  %f = graph.gather %w, %ids {axis = 0 : i64} : (tensor<10x4xf32>, tensor<2x3xi64>) -> tensor<2x3x4xf32>
  return %y, %f : tensor<2x3x4xf32>, tensor<2x3x4xf32>
}

// -----

// A softmax of the last axis with the scale and mask before it and the
// weighting after it: one rows kernel.
// CHECK-LABEL: func.func @rows_softmax
// CHECK:         %[[G:.+]] = graph.fusion_group rows (%{{.+}}, %{{.+}}, %{{.+}}) : (tensor<4x6xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<4x6xf32> {
// CHECK:           graph.constant dense<1.250000e-01>
// CHECK:           %[[M:.+]] = graph.mul
// CHECK:           %[[A:.+]] = graph.add %[[M]]
// CHECK:           %[[S:.+]] = graph.softmax %[[A]] {axis = 1 : i64}
// CHECK:           %[[W:.+]] = graph.mul %[[S]]
// CHECK:           graph.yield %[[W]]
// CHECK:         return %[[G]]
func.func @rows_softmax(%x: tensor<4x6xf32>, %m: tensor<6xf32>, %w: tensor<6xf32>) -> tensor<4x6xf32> {
  %c = graph.constant dense<0.125> : tensor<f32>
  %0 = graph.mul %x, %c : (tensor<4x6xf32>, tensor<f32>) -> tensor<4x6xf32>
  %1 = graph.add %0, %m : (tensor<4x6xf32>, tensor<6xf32>) -> tensor<4x6xf32>
  %2 = graph.softmax %1 {axis = 1 : i64} : tensor<4x6xf32>
  %3 = graph.mul %2, %w : (tensor<4x6xf32>, tensor<6xf32>) -> tensor<4x6xf32>
  return %3 : tensor<4x6xf32>
}

// -----

// A residual add read by a LayerNorm and by a later op: the rows kernel
// stores the sum too.
// CHECK-LABEL: func.func @rows_residual_layernorm
// CHECK:         %[[G:.+]]:2 = graph.fusion_group rows
// CHECK:           %[[H:.+]] = graph.add
// CHECK:           %[[Y:.+]] = graph.layernorm %[[H]]
// CHECK:           graph.yield %[[H]], %[[Y]]
// CHECK:         %[[T:.+]] = graph.tanh %[[G]]#0
// CHECK:         return %[[G]]#1, %[[T]]
func.func @rows_residual_layernorm(%x: tensor<4x6xf32>, %r: tensor<4x6xf32>, %g: tensor<6xf32>, %b: tensor<6xf32>) -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %0 = graph.add %x, %r : (tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
  %1 = graph.layernorm %0, %g, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<4x6xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<4x6xf32>
  %2 = graph.tanh %0 : tensor<4x6xf32>
  return %1, %2 : tensor<4x6xf32>, tensor<4x6xf32>
}

// -----

// A reduction of the trailing axes with its elementwise neighbours: the
// epilogue is in the reduction's result shape.
// CHECK-LABEL: func.func @rows_reduction
// CHECK:         %[[G:.+]] = graph.fusion_group rows (%{{.+}}) : (tensor<2x4x6xf32>) -> tensor<2x1x1xf32> {
// CHECK:           graph.mul
// CHECK:           graph.reduce_mean
// CHECK:           graph.sqrt
// CHECK:           graph.yield
// CHECK:         return %[[G]]
func.func @rows_reduction(%x: tensor<2x4x6xf32>) -> tensor<2x1x1xf32> {
  %0 = graph.mul %x, %x : (tensor<2x4x6xf32>, tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  %1 = graph.reduce_mean %0 {axes = array<i64: 1, 2>, keep_dims} : (tensor<2x4x6xf32>) -> tensor<2x1x1xf32>
  %2 = graph.sqrt %1 : tensor<2x1x1xf32>
  return %2 : tensor<2x1x1xf32>
}

// -----

// Must not fuse: a softmax over another axis than the last, and a reduction
// of an axis that is not trailing, are no rows kernels; their neighbours
// stay ops of their own.
// CHECK-LABEL: func.func @rows_wrong_axis
// CHECK-NOT:     graph.fusion_group
// CHECK:         graph.exp
// CHECK:         graph.softmax
// CHECK:         graph.neg
// CHECK:         graph.reduce_sum
// CHECK:         graph.sqrt
func.func @rows_wrong_axis(%x: tensor<4x6xf32>) -> (tensor<4x6xf32>, tensor<1x6xf32>) {
  %0 = graph.exp %x : tensor<4x6xf32>
  %1 = graph.softmax %0 {axis = 0 : i64} : tensor<4x6xf32>
  %2 = graph.neg %x : tensor<4x6xf32>
  %3 = graph.reduce_sum %2 {axes = array<i64: 0>, keep_dims} : (tensor<4x6xf32>) -> tensor<1x6xf32>
  %4 = graph.sqrt %3 : tensor<1x6xf32>
  return %1, %4 : tensor<4x6xf32>, tensor<1x6xf32>
}

// -----

// Must not fuse the prologue: the exp is read by a matmul before the
// softmax, which would then run before the group that computes its operand.
// CHECK-LABEL: func.func @rows_prologue_used_before
// CHECK:         %[[E:.+]] = graph.exp
// CHECK:         graph.fusion_group matmul (%[[E]]
// CHECK:         graph.softmax %[[E]]
func.func @rows_prologue_used_before(%x: tensor<4x6xf32>, %w: tensor<6x6xf32>) -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %0 = graph.exp %x : tensor<4x6xf32>
  %1 = graph.matmul %0, %w : (tensor<4x6xf32>, tensor<6x6xf32>) -> tensor<4x6xf32>
  %2 = graph.neg %1 : tensor<4x6xf32>
  %3 = graph.softmax %0 {axis = 1 : i64} : tensor<4x6xf32>
  return %2, %3 : tensor<4x6xf32>, tensor<4x6xf32>
}

// -----

// A LayerNorm read only as a matmul's left operand is the matmul's prologue,
// not a rows kernel; the residual add before it stays pointwise.
// CHECK-LABEL: func.func @rows_norm_is_prologue
// CHECK:         %[[H:.+]] = graph.add
// CHECK:         graph.fusion_group matmul (%[[H]]
// CHECK:           graph.layernorm
// CHECK:           graph.matmul
// CHECK-NOT:     graph.fusion_group rows
func.func @rows_norm_is_prologue(%x: tensor<4x6xf32>, %r: tensor<4x6xf32>, %g: tensor<6xf32>, %w: tensor<6x8xf32>) -> (tensor<4x6xf32>, tensor<4x8xf32>) {
  %0 = graph.add %x, %r : (tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
  %1 = graph.layernorm %0, %g {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<4x6xf32>, tensor<6xf32>) -> tensor<4x6xf32>
  %2 = graph.matmul %1, %w : (tensor<4x6xf32>, tensor<6x8xf32>) -> tensor<4x8xf32>
  return %0, %2 : tensor<4x6xf32>, tensor<4x8xf32>
}

// -----

// An MLP: the up projection's group (bias, GELU) gives only the down
// projection's left operand, so the two groups are one chain, whose
// intermediate stays on chip; the down projection's bias and residual add
// come along.
// CHECK-LABEL: func.func @mlp_chain
// CHECK:         %[[C:.+]] = graph.fusion_group chain
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      %[[U:.+]] = graph.matmul
// CHECK-NEXT:      %[[B:.+]] = graph.add %[[U]]
// CHECK-NEXT:      %[[G:.+]] = graph.gelu %[[B]]
// CHECK-NEXT:      %[[D:.+]] = graph.matmul %[[G]]
// CHECK-NEXT:      %[[B2:.+]] = graph.add %[[D]]
// CHECK-NEXT:      %[[R:.+]] = graph.add %[[B2]]
// CHECK-NEXT:      graph.yield %[[R]]
// CHECK-NOT:     graph.fusion_group
// CHECK:         return %[[C]]
func.func @mlp_chain(%x: tensor<2x7x8xf32>, %w1: tensor<8x32xf32>, %b1: tensor<32xf32>, %w2: tensor<32x8xf32>, %b2: tensor<8xf32>) -> tensor<2x7x8xf32> {
  %u = graph.matmul %x, %w1 : (tensor<2x7x8xf32>, tensor<8x32xf32>) -> tensor<2x7x32xf32>
  %b = graph.add %u, %b1 : (tensor<2x7x32xf32>, tensor<32xf32>) -> tensor<2x7x32xf32>
  %g = graph.gelu %b : tensor<2x7x32xf32>
  %d = graph.matmul %g, %w2 : (tensor<2x7x32xf32>, tensor<32x8xf32>) -> tensor<2x7x8xf32>
  %b3 = graph.add %d, %b2 : (tensor<2x7x8xf32>, tensor<8xf32>) -> tensor<2x7x8xf32>
  %r = graph.add %b3, %x : (tensor<2x7x8xf32>, tensor<2x7x8xf32>) -> tensor<2x7x8xf32>
  return %r : tensor<2x7x8xf32>
}

// -----

// Llama's MLP: the RMSNorm prologue, the gate and up projections (a dual
// product) and SiLU(gate) * up, then the down projection and the residual
// add: one chain.
// CHECK-LABEL: func.func @swiglu_chain
// CHECK:         %[[C:.+]] = graph.fusion_group chain
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      %[[N:.+]] = graph.rmsnorm
// CHECK-NEXT:      %[[GATE:.+]] = graph.matmul %[[N]]
// CHECK-NEXT:      %[[S:.+]] = graph.silu %[[GATE]]
// CHECK-NEXT:      %[[U:.+]] = graph.matmul %[[N]]
// CHECK-NEXT:      %[[H:.+]] = graph.mul %[[S]], %[[U]]
// CHECK-NEXT:      %[[D:.+]] = graph.matmul %[[H]]
// CHECK-NEXT:      %[[R:.+]] = graph.add %{{.+}}, %[[D]]
// CHECK-NEXT:      graph.yield %[[R]]
// CHECK-NOT:     graph.fusion_group
// CHECK:         return %[[C]]
func.func @swiglu_chain(%x: tensor<7x8xf32>, %g: tensor<8xf32>, %wg: tensor<8x24xf32>, %wu: tensor<8x24xf32>, %wd: tensor<24x8xf32>) -> tensor<7x8xf32> {
  %n = graph.rmsnorm %x, %g {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<7x8xf32>, tensor<8xf32>) -> tensor<7x8xf32>
  %a = graph.matmul %n, %wg : (tensor<7x8xf32>, tensor<8x24xf32>) -> tensor<7x24xf32>
  %s = graph.silu %a : tensor<7x24xf32>
  %u = graph.matmul %n, %wu : (tensor<7x8xf32>, tensor<8x24xf32>) -> tensor<7x24xf32>
  %h = graph.mul %s, %u : (tensor<7x24xf32>, tensor<7x24xf32>) -> tensor<7x24xf32>
  %d = graph.matmul %h, %wd : (tensor<7x24xf32>, tensor<24x8xf32>) -> tensor<7x8xf32>
  %r = graph.add %x, %d : (tensor<7x8xf32>, tensor<7x8xf32>) -> tensor<7x8xf32>
  return %r : tensor<7x8xf32>
}

// -----

// BERT's MLP: the down projection's group has a row epilogue (the LayerNorm
// after the residual add), which the chain keeps.
// CHECK-LABEL: func.func @chain_row_epilogue
// CHECK:         %[[C:.+]] = graph.fusion_group chain
// CHECK:           graph.gelu
// CHECK:           graph.matmul
// CHECK:           %[[N:.+]] = graph.layernorm
// CHECK-NEXT:      graph.yield %[[N]]
// CHECK-NOT:     graph.fusion_group
// CHECK:         return %[[C]]
func.func @chain_row_epilogue(%x: tensor<7x8xf32>, %w1: tensor<8x32xf32>, %w2: tensor<32x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<7x8xf32> {
  %u = graph.matmul %x, %w1 : (tensor<7x8xf32>, tensor<8x32xf32>) -> tensor<7x32xf32>
  %g = graph.gelu %u : tensor<7x32xf32>
  %d = graph.matmul %g, %w2 : (tensor<7x32xf32>, tensor<32x8xf32>) -> tensor<7x8xf32>
  %r = graph.add %d, %x : (tensor<7x8xf32>, tensor<7x8xf32>) -> tensor<7x8xf32>
  %n = graph.layernorm %r, %s, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<7x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<7x8xf32>
  return %n : tensor<7x8xf32>
}

// -----

// Must not chain: the intermediate is also returned (used outside), so it
// must reach device memory; two matmul groups.
// CHECK-LABEL: func.func @no_chain_intermediate_used
// CHECK-NOT:     graph.fusion_group chain
// CHECK:         graph.fusion_group matmul
// CHECK:         graph.fusion_group matmul
// CHECK-NOT:     graph.fusion_group chain
func.func @no_chain_intermediate_used(%x: tensor<7x8xf32>, %w1: tensor<8x32xf32>, %w2: tensor<32x8xf32>) -> (tensor<7x32xf32>, tensor<7x8xf32>) {
  %u = graph.matmul %x, %w1 : (tensor<7x8xf32>, tensor<8x32xf32>) -> tensor<7x32xf32>
  %g = graph.gelu %u : tensor<7x32xf32>
  %d = graph.matmul %g, %w2 : (tensor<7x32xf32>, tensor<32x8xf32>) -> tensor<7x8xf32>
  %r = graph.neg %d : tensor<7x8xf32>
  return %g, %r : tensor<7x32xf32>, tensor<7x8xf32>
}

// -----

// Must not chain: the second product has 300 columns, more than a program's
// rows may hold (max-chain-columns, 256).
// CHECK-LABEL: func.func @no_chain_wide
// CHECK-NOT:     graph.fusion_group chain
// CHECK:         graph.fusion_group matmul
// CHECK:         graph.fusion_group matmul
// CHECK-NOT:     graph.fusion_group chain
func.func @no_chain_wide(%x: tensor<7x8xf32>, %w1: tensor<8x32xf32>, %w2: tensor<32x300xf32>) -> tensor<7x300xf32> {
  %u = graph.matmul %x, %w1 : (tensor<7x8xf32>, tensor<8x32xf32>) -> tensor<7x32xf32>
  %g = graph.gelu %u : tensor<7x32xf32>
  %d = graph.matmul %g, %w2 : (tensor<7x32xf32>, tensor<32x300xf32>) -> tensor<7x300xf32>
  %r = graph.neg %d : tensor<7x300xf32>
  return %r : tensor<7x300xf32>
}

// -----

// Must not chain: the second product reads the intermediate through a
// reshape (its group's input view), not as the first group computes it.
// CHECK-LABEL: func.func @no_chain_through_view
// CHECK-NOT:     graph.fusion_group chain
// CHECK:         graph.fusion_group matmul
// CHECK:         graph.fusion_group matmul
// CHECK-NOT:     graph.fusion_group chain
func.func @no_chain_through_view(%x: tensor<7x8xf32>, %w1: tensor<8x32xf32>, %w2: tensor<16x8xf32>) -> tensor<14x8xf32> {
  %u = graph.matmul %x, %w1 : (tensor<7x8xf32>, tensor<8x32xf32>) -> tensor<7x32xf32>
  %g = graph.gelu %u : tensor<7x32xf32>
  %v = graph.reshape %g : tensor<7x32xf32> to tensor<14x16xf32>
  %d = graph.matmul %v, %w2 : (tensor<14x16xf32>, tensor<16x8xf32>) -> tensor<14x8xf32>
  %r = graph.neg %d : tensor<14x8xf32>
  return %r : tensor<14x8xf32>
}

// -----

// Three products in sequence: the first two are a chain; the third reads
// the chain's result and stays a matmul group (a chain has two products).
// CHECK-LABEL: func.func @chain_of_three
// CHECK:         %[[C:.+]] = graph.fusion_group chain
// CHECK-COUNT-2:   graph.matmul
// CHECK:         graph.fusion_group matmul (%[[C]], %{{.+}})
// CHECK-COUNT-1:   graph.matmul
// CHECK-NOT:       graph.matmul
func.func @chain_of_three(%x: tensor<7x8xf32>, %w1: tensor<8x32xf32>, %w2: tensor<32x8xf32>, %w3: tensor<8x8xf32>) -> tensor<7x8xf32> {
  %u = graph.matmul %x, %w1 : (tensor<7x8xf32>, tensor<8x32xf32>) -> tensor<7x32xf32>
  %g = graph.gelu %u : tensor<7x32xf32>
  %d = graph.matmul %g, %w2 : (tensor<7x32xf32>, tensor<32x8xf32>) -> tensor<7x8xf32>
  %e = graph.neg %d : tensor<7x8xf32>
  %f = graph.matmul %e, %w3 : (tensor<7x8xf32>, tensor<8x8xf32>) -> tensor<7x8xf32>
  %r = graph.neg %f : tensor<7x8xf32>
  return %r : tensor<7x8xf32>
}

// -----

// An attention's output projection: the attention stores its result with
// the heads transposed back to rows (its output view), the projection reads
// it reshaped to [batch, queries, heads x dv] (its input view), then adds
// the residual. The projection's group joins the attention's: one kernel,
// the attention's result never stored.
// CHECK-LABEL: func.func @attention_projection
// CHECK:         %[[G:.+]] = graph.fusion_group attention
// CHECK:           %[[O:.+]] = graph.attention
// CHECK-NEXT:      %[[T:.+]] = graph.transpose %[[O]] {permutation = array<i64: 0, 2, 1, 3>}
// CHECK-NEXT:      %[[R:.+]] = graph.reshape %[[T]] : tensor<2x7x2x4xf32> to tensor<2x7x8xf32>
// CHECK-NEXT:      %[[P:.+]] = graph.matmul %[[R]]
// CHECK-NEXT:      %[[A:.+]] = graph.add %[[P]]
// CHECK-NEXT:      graph.yield %[[A]] : tensor<2x7x8xf32>
// CHECK-NOT:     graph.fusion_group
// CHECK:         return %[[G]]
func.func @attention_projection(%q: tensor<2x2x7x4xf32>, %k: tensor<2x2x7x4xf32>, %v: tensor<2x2x7x4xf32>, %w: tensor<8x8xf32>, %x: tensor<2x7x8xf32>) -> tensor<2x7x8xf32> {
  %o = graph.attention %q, %k, %v {mask_kind = #graph.mask<none>, scale = 0.5 : f64} : (tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>) -> tensor<2x2x7x4xf32>
  %t = graph.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x2x7x4xf32>) -> tensor<2x7x2x4xf32>
  %r = graph.reshape %t : tensor<2x7x2x4xf32> to tensor<2x7x8xf32>
  %p = graph.matmul %r, %w : (tensor<2x7x8xf32>, tensor<8x8xf32>) -> tensor<2x7x8xf32>
  %a = graph.add %p, %x : (tensor<2x7x8xf32>, tensor<2x7x8xf32>) -> tensor<2x7x8xf32>
  return %a : tensor<2x7x8xf32>
}

// -----

// Must not join: the attention's result is also returned, so it must reach
// device memory.
// CHECK-LABEL: func.func @no_projection_result_used
// CHECK-NOT:     graph.fusion_group attention
// CHECK:         %[[O:.+]] = graph.attention
// CHECK-NEXT:    graph.fusion_group matmul (%[[O]], 
func.func @no_projection_result_used(%q: tensor<2x2x7x4xf32>, %k: tensor<2x2x7x4xf32>, %v: tensor<2x2x7x4xf32>, %w: tensor<8x8xf32>, %x: tensor<2x7x8xf32>) -> (tensor<2x7x8xf32>, tensor<2x2x7x4xf32>) {
  %o = graph.attention %q, %k, %v {mask_kind = #graph.mask<none>, scale = 0.5 : f64} : (tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>) -> tensor<2x2x7x4xf32>
  %t = graph.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x2x7x4xf32>) -> tensor<2x7x2x4xf32>
  %r = graph.reshape %t : tensor<2x7x2x4xf32> to tensor<2x7x8xf32>
  %p = graph.matmul %r, %w : (tensor<2x7x8xf32>, tensor<8x8xf32>) -> tensor<2x7x8xf32>
  %a = graph.add %p, %x : (tensor<2x7x8xf32>, tensor<2x7x8xf32>) -> tensor<2x7x8xf32>
  return %a, %o : tensor<2x7x8xf32>, tensor<2x2x7x4xf32>
}

// -----

// Must not join: the matmul reads the attention's result with queries and
// dv merged per head ([batch, heads, queries x dv] is not [batch, queries,
// heads x dv]), so a head's output is not a block of its rows.
// CHECK-LABEL: func.func @no_projection_heads_not_merged
// CHECK-NOT:     graph.fusion_group attention
// CHECK:         %[[O:.+]] = graph.attention
// CHECK-NEXT:    %[[R:.+]] = graph.reshape %[[O]]
// CHECK-NEXT:    graph.fusion_group matmul (%[[R]], 
func.func @no_projection_heads_not_merged(%q: tensor<2x2x7x4xf32>, %k: tensor<2x2x7x4xf32>, %v: tensor<2x2x7x4xf32>, %w: tensor<28x8xf32>) -> tensor<2x2x8xf32> {
  %o = graph.attention %q, %k, %v {mask_kind = #graph.mask<none>, scale = 0.5 : f64} : (tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>) -> tensor<2x2x7x4xf32>
  %r = graph.reshape %o : tensor<2x2x7x4xf32> to tensor<2x2x28xf32>
  %p = graph.matmul %r, %w : (tensor<2x2x28xf32>, tensor<28x8xf32>) -> tensor<2x2x8xf32>
  %a = graph.neg %p : tensor<2x2x8xf32>
  return %a : tensor<2x2x8xf32>
}

// -----

// Must not join: the projection has 300 columns, more than a program's rows
// may hold (max-chain-columns, 256).
// CHECK-LABEL: func.func @no_projection_wide
// CHECK-NOT:     graph.fusion_group attention
// CHECK:         %[[O:.+]] = graph.attention
// CHECK-NEXT:    graph.fusion_group matmul (%[[O]], 
func.func @no_projection_wide(%q: tensor<2x2x7x4xf32>, %k: tensor<2x2x7x4xf32>, %v: tensor<2x2x7x4xf32>, %w: tensor<8x300xf32>) -> tensor<2x7x300xf32> {
  %o = graph.attention %q, %k, %v {mask_kind = #graph.mask<none>, scale = 0.5 : f64} : (tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>) -> tensor<2x2x7x4xf32>
  %t = graph.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x2x7x4xf32>) -> tensor<2x7x2x4xf32>
  %r = graph.reshape %t : tensor<2x7x2x4xf32> to tensor<2x7x8xf32>
  %p = graph.matmul %r, %w : (tensor<2x7x8xf32>, tensor<8x300xf32>) -> tensor<2x7x300xf32>
  %a = graph.neg %p : tensor<2x7x300xf32>
  return %a : tensor<2x7x300xf32>
}

// -----

// BERT's attention output: the projection, its bias, the residual add and
// the LayerNorm after it (its group's row epilogue) all join the attention.
// CHECK-LABEL: func.func @attention_projection_row_epilogue
// CHECK:         %[[G:.+]] = graph.fusion_group attention
// CHECK:           graph.attention
// CHECK:           %[[P:.+]] = graph.matmul
// CHECK:           %[[A:.+]] = graph.add %[[P]]
// CHECK:           %[[N:.+]] = graph.layernorm %[[A]]
// CHECK-NEXT:      graph.yield %[[N]] : tensor<2x7x8xf32>
// CHECK-NOT:     graph.fusion_group
// CHECK:         return %[[G]]
func.func @attention_projection_row_epilogue(%q: tensor<2x2x7x4xf32>, %k: tensor<2x2x7x4xf32>, %v: tensor<2x2x7x4xf32>, %w: tensor<8x8xf32>, %x: tensor<2x7x8xf32>, %s: tensor<8xf32>) -> tensor<2x7x8xf32> {
  %o = graph.attention %q, %k, %v {mask_kind = #graph.mask<none>, scale = 0.5 : f64} : (tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>) -> tensor<2x2x7x4xf32>
  %t = graph.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x2x7x4xf32>) -> tensor<2x7x2x4xf32>
  %r = graph.reshape %t : tensor<2x7x2x4xf32> to tensor<2x7x8xf32>
  %p = graph.matmul %r, %w : (tensor<2x7x8xf32>, tensor<8x8xf32>) -> tensor<2x7x8xf32>
  %a = graph.add %p, %x : (tensor<2x7x8xf32>, tensor<2x7x8xf32>) -> tensor<2x7x8xf32>
  %n = graph.layernorm %a, %s {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x7x8xf32>, tensor<8xf32>) -> tensor<2x7x8xf32>
  return %n : tensor<2x7x8xf32>
}
