// RUN: meld-opt %s -split-input-file -test-graph-view-layouts -verify-diagnostics

// The split of a fused QKV projection: each piece is an offset into the
// same rows; the head reshape splits the piece's columns into two modes, and
// the transposes permute the dimensions.
func.func @qkv(%qkv: tensor<2x41x360xf32>) {
  // expected-remark @below {{result 0 reads argument 0 at 0 + [(2:14760)] x [(41:360)] x [(120:1)]}}
  // expected-remark @below {{result 1 reads argument 0 at 120 + [(2:14760)] x [(41:360)] x [(120:1)]}}
  // expected-remark @below {{result 2 reads argument 0 at 240 + [(2:14760)] x [(41:360)] x [(120:1)]}}
  %s:3 = graph.split %qkv {axis = 2 : i64, sizes = array<i64: 120, 120, 120>} : (tensor<2x41x360xf32>) -> (tensor<2x41x120xf32>, tensor<2x41x120xf32>, tensor<2x41x120xf32>)
  // expected-remark @below {{result 0 reads argument 0 at 120 + [(2:14760)] x [(41:360)] x [(5:24)] x [(24:1)]; stores its operand at 0 + [(2:4920)] x [(41:120)] x [(120:1)]}}
  %k = graph.reshape %s#1 : tensor<2x41x120xf32> to tensor<2x41x5x24xf32>
  // expected-remark @below {{result 0 reads argument 0 at 120 + [(2:14760)] x [(5:24)] x [(24:1)] x [(41:360)]; stores its operand at 0 + [(2:4920)] x [(41:1)] x [(5:984)] x [(24:41)]}}
  %kt = graph.transpose %k {permutation = array<i64: 0, 2, 3, 1>} : (tensor<2x41x5x24xf32>) -> tensor<2x5x24x41xf32>
  return
}

// -----

// Merging two dimensions that are not contiguous keeps both modes; a
// reshape that cuts a mode unevenly is no strided view.
func.func @merge(%x: tensor<4x6xf32>) {
  // expected-remark @below {{result 0 reads argument 0 at 0 + [(6:1)] x [(4:6)]; stores its operand at 0 + [(4:1)] x [(6:4)]}}
  %t = graph.transpose %x {permutation = array<i64: 1, 0>} : (tensor<4x6xf32>) -> tensor<6x4xf32>
  // expected-remark @below {{result 0 reads argument 0 at 0 + [(6:1) (4:6)]; stores its operand at 0 + [(6:4)] x [(4:1)]}}
  %f = graph.reshape %t : tensor<6x4xf32> to tensor<24xf32>
  // expected-remark @below {{result 0 reads argument 0 at 0 + [(3:2)] x [(2:1) (4:6)]}}
  %g = graph.reshape %t : tensor<6x4xf32> to tensor<3x8xf32>
  // expected-remark @below {{result 0 reads 'graph.transpose' at 0 + [(4:6)] x [(6:1)]; stores its operand at 0 + [(6:4)] x [(4:1)]}}
  %bad = graph.reshape %t : tensor<6x4xf32> to tensor<4x6xf32>
  return
}

// -----

// Slices: a step scales the stride, a negative one reverses it; on a merged
// dimension a slice of whole outer positions, or within one, is a view, and
// one across them is not.
func.func @slices(%x: tensor<4x6xf32>) {
  // expected-remark @below {{result 0 reads argument 0 at 23 + [(2:-12)] x [(3:-2)]}}
  %r = graph.slice %x {starts = array<i64: 3, 5>, sizes = array<i64: 2, 3>, steps = array<i64: -2, -2>} : (tensor<4x6xf32>) -> tensor<2x3xf32>
  // expected-remark @below {{result 0 reads argument 0 at 0 + [(6:1)] x [(4:6)]; stores its operand at 0 + [(4:1)] x [(6:4)]}}
  %t = graph.transpose %x {permutation = array<i64: 1, 0>} : (tensor<4x6xf32>) -> tensor<6x4xf32>
  // expected-remark @below {{result 0 reads argument 0 at 0 + [(6:1) (4:6)]; stores its operand at 0 + [(6:4)] x [(4:1)]}}
  %f = graph.reshape %t : tensor<6x4xf32> to tensor<24xf32>
  // expected-remark @below {{result 0 reads argument 0 at 2 + [(3:1) (4:6)]}}
  %whole = graph.slice %f {starts = array<i64: 8>, sizes = array<i64: 12>, steps = array<i64: 1>} : (tensor<24xf32>) -> tensor<12xf32>
  // expected-remark @below {{result 0 reads argument 0 at 7 + [(2:12)]}}
  %within = graph.slice %f {starts = array<i64: 5>, sizes = array<i64: 2>, steps = array<i64: 2>} : (tensor<24xf32>) -> tensor<2xf32>
  // expected-remark @below {{result 0 reads 'graph.transpose' at 3 + [(6:1)]}}
  %across = graph.slice %f {starts = array<i64: 3>, sizes = array<i64: 6>, steps = array<i64: 1>} : (tensor<24xf32>) -> tensor<6xf32>
  return
}

// -----

// Grouped-query attention repeats each K/V head: the expand reads the same
// head (stride 0), and merging the KV heads with the repeats keeps both.
func.func @repeat_kv(%k: tensor<1x2x41x20xf32>) {
  // expected-remark @below {{result 0 reads argument 0 at 0 + [] x [(2:820)] x [] x [(41:20)] x [(20:1)]; stores its operand at 0 + [] x [(2:820)] x [(41:20)] x [(20:1)]}}
  %u = graph.reshape %k : tensor<1x2x41x20xf32> to tensor<1x2x1x41x20xf32>
  // expected-remark @below {{result 0 reads argument 0 at 0 + [] x [(2:820)] x [(3:0)] x [(41:20)] x [(20:1)]}}
  %e = graph.expand %u : tensor<1x2x1x41x20xf32> to tensor<1x2x3x41x20xf32>
  // expected-remark @below {{result 0 reads argument 0 at 0 + [] x [(2:820) (3:0)] x [(41:20)] x [(20:1)]}}
  %r = graph.reshape %e : tensor<1x2x3x41x20xf32> to tensor<1x6x41x20xf32>
  return
}
