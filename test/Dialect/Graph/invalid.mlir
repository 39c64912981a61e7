// RUN: meld-opt %s -split-input-file -verify-diagnostics

// One case for every message the graph ops emit. Type inference failures come
// with a second error, "failed to infer returned types", on the same op.

//===----------------------------------------------------------------------===//
// ODS type constraints
//===----------------------------------------------------------------------===//

func.func @dynamic_shape(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor}}
  %0 = graph.sqrt %x : tensor<?x4xf32>
  return
}

// -----

func.func @unranked(%x: tensor<*xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor}}
  %0 = "graph.cast"(%x) : (tensor<*xf32>) -> tensor<*xi64>
  return
}

// -----

func.func @unsupported_element_type(%x: tensor<4xi16>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor}}
  %0 = graph.relu %x : tensor<4xi16>
  return
}

// -----

func.func @matmul_integer(%a: tensor<4x4xi32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float values}}
  %0 = graph.matmul %a, %a : (tensor<4x4xi32>, tensor<4x4xi32>) -> tensor<4x4xi32>
  return
}

// -----

func.func @and_float(%a: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 1-bit signless integer values}}
  %0 = graph.and %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @element_types_differ(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+1 {{failed to verify that all of {lhs, rhs, result} have same element type}}
  %0 = graph.add %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @cmp_result_not_bool(%a: tensor<4xf32>) {
  // expected-error @+1 {{result #0 must be statically shaped tensor of 1-bit signless integer values}}
  %0 = graph.cmp lt, %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @unary_type_differs(%a: tensor<4xf32>) {
  // expected-error @+1 {{'graph.exp' op requires the same type for all operands and results}}
  %0 = "graph.exp"(%a) : (tensor<4xf32>) -> tensor<4xf16>
  return
}

// -----

func.func @cast_shape_differs(%a: tensor<4xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = graph.cast %a : tensor<4xf32> to tensor<2x2xi64>
  return
}

// -----

func.func @constant_type_differs() {
  // expected-error @+1 {{failed to verify that all of {value, result} have same type}}
  %0 = "graph.constant"() {value = dense<1> : tensor<4xi64>} : () -> tensor<4xi32>
  return
}

// -----

func.func @result_type_differs(%a: tensor<4x1xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'graph.add' op failed to infer returned types}}
  // expected-error @+1 {{'graph.add' op inferred type(s) 'tensor<4x3xf32>' are incompatible with return type(s) of operation 'tensor<4x1xf32>'}}
  %0 = graph.add %a, %b : (tensor<4x1xf32>, tensor<3xf32>) -> tensor<4x1xf32>
  return
}

// -----

func.func @constant_resource() {
  // expected-error @+1 {{'graph.constant' op value must be a dense elements attribute, got dense_resource<blob> : tensor<2xf32>}}
  %0 = graph.constant dense_resource<blob> : tensor<2xf32>
  return
}

{-#
  dialect_resources: {
    builtin: {
      blob: "0x040000000000803F00000040"
    }
  }
#-}

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

// -----

func.func @weight_empty_handle() {
  // expected-error @+1 {{'graph.weight' op requires a non-empty handle}}
  %0 = graph.weight "" : tensor<4xf32>
  return
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

// -----

func.func @matmul_scalar(%a: tensor<f32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operands must have rank at least 1}}
  // expected-error @+1 {{'graph.matmul' op failed to infer returned types}}
  %0 = graph.matmul %a, %b : (tensor<f32>, tensor<4xf32>) -> tensor<f32>
  return
}

// -----

func.func @matmul_contracting(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{contracting dimensions differ (3 vs 4)}}
  // expected-error @+1 {{'graph.matmul' op failed to infer returned types}}
  %0 = graph.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_vector_contracting(%a: tensor<3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{contracting dimensions differ (3 vs 4)}}
  // expected-error @+1 {{'graph.matmul' op failed to infer returned types}}
  %0 = graph.matmul %a, %b : (tensor<3xf32>, tensor<4x5xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x4x8xf32>, %b: tensor<3x8x4xf32>) {
  // expected-error @+2 {{batch dimensions are not broadcastable}}
  // expected-error @+1 {{'graph.matmul' op failed to infer returned types}}
  %0 = graph.matmul %a, %b : (tensor<2x4x8xf32>, tensor<3x8x4xf32>) -> tensor<2x4x4xf32>
  return
}

// -----

func.func @gemm_rank(%a: tensor<2x4x8xf32>, %b: tensor<8x4xf32>) {
  // expected-error @+2 {{A and B must be matrices}}
  // expected-error @+1 {{'graph.gemm' op failed to infer returned types}}
  %0 = graph.gemm %a, %b : (tensor<2x4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @gemm_contracting(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) {
  // expected-error @+2 {{contracting dimensions differ (8 vs 4)}}
  // expected-error @+1 {{'graph.gemm' op failed to infer returned types}}
  %0 = graph.gemm %a, %b : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @gemm_transposed_contracting(%a: tensor<4x8xf32>, %b: tensor<8x6xf32>) {
  // expected-error @+2 {{contracting dimensions differ (4 vs 8)}}
  // expected-error @+1 {{'graph.gemm' op failed to infer returned types}}
  %0 = graph.gemm %a, %b {trans_a} : (tensor<4x8xf32>, tensor<8x6xf32>) -> tensor<8x6xf32>
  return
}

// -----

func.func @gemm_c_shape(%a: tensor<4x8xf32>, %b: tensor<8x6xf32>, %c: tensor<5x6xf32>) {
  // expected-error @+2 {{C does not broadcast to the result}}
  // expected-error @+1 {{'graph.gemm' op failed to infer returned types}}
  %0 = graph.gemm %a, %b, %c : (tensor<4x8xf32>, tensor<8x6xf32>, tensor<5x6xf32>) -> tensor<4x6xf32>
  return
}

// -----

// C broadcasts unidirectionally: it may not grow the result.
func.func @gemm_c_grows_result(%a: tensor<1x8xf32>, %b: tensor<8x6xf32>, %c: tensor<4x6xf32>) {
  // expected-error @+2 {{C does not broadcast to the result}}
  // expected-error @+1 {{'graph.gemm' op failed to infer returned types}}
  %0 = graph.gemm %a, %b, %c : (tensor<1x8xf32>, tensor<8x6xf32>, tensor<4x6xf32>) -> tensor<1x6xf32>
  return
}

// -----

func.func @gemm_c_element_type(%a: tensor<4x8xf32>, %b: tensor<8x6xf32>, %c: tensor<6xf16>) {
  // expected-error @+1 {{'graph.gemm' op C must have the element type of A and B, got 'f16'}}
  %0 = graph.gemm %a, %b, %c : (tensor<4x8xf32>, tensor<8x6xf32>, tensor<6xf16>) -> tensor<4x6xf32>
  return
}

//===----------------------------------------------------------------------===//
// Broadcasting elementwise ops
//===----------------------------------------------------------------------===//

// -----

func.func @add_not_broadcastable(%a: tensor<4x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operand shapes are not broadcastable}}
  // expected-error @+1 {{'graph.add' op failed to infer returned types}}
  %0 = graph.add %a, %b : (tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @cmp_not_broadcastable(%a: tensor<2xi64>, %b: tensor<3xi64>) {
  // expected-error @+2 {{operand shapes are not broadcastable}}
  // expected-error @+1 {{'graph.cmp' op failed to infer returned types}}
  %0 = graph.cmp eq, %a, %b : (tensor<2xi64>, tensor<3xi64>) -> tensor<3xi1>
  return
}

// -----

func.func @where_not_broadcastable(%c: tensor<5xi1>, %a: tensor<4xf32>) {
  // expected-error @+2 {{operand shapes are not broadcastable}}
  // expected-error @+1 {{'graph.where' op failed to infer returned types}}
  %0 = graph.where %c, %a, %a : (tensor<5xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

// -----

func.func @reduce_axis_range(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{'graph.reduce_sum' op failed to infer returned types}}
  %0 = graph.reduce_sum %x {axes = array<i64: 2>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @reduce_negative_axis(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axis -1 is out of range for rank 2}}
  // expected-error @+1 {{'graph.reduce_max' op failed to infer returned types}}
  %0 = graph.reduce_max %x {axes = array<i64: -1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @reduce_axes_unsorted(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axes must be sorted and unique}}
  // expected-error @+1 {{'graph.reduce_mean' op failed to infer returned types}}
  %0 = graph.reduce_mean %x {axes = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<f32>
  return
}

// -----

func.func @reduce_axes_repeated(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axes must be sorted and unique}}
  // expected-error @+1 {{'graph.reduce_sum' op failed to infer returned types}}
  %0 = graph.reduce_sum %x {axes = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @reduce_keep_dims_result(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{'graph.reduce_sum' op failed to infer returned types}}
  // expected-error @+1 {{'graph.reduce_sum' op inferred type(s) 'tensor<2x1xf32>' are incompatible with return type(s) of operation 'tensor<2xf32>'}}
  %0 = graph.reduce_sum %x {axes = array<i64: 1>, keep_dims} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'graph.softmax' op axis 2 is out of range for rank 2}}
  %0 = graph.softmax %x {axis = 2 : i64} : tensor<2x3xf32>
  return
}

// -----

func.func @softmax_negative_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'graph.softmax' op axis -1 is out of range for rank 2}}
  %0 = graph.softmax %x {axis = -1 : i64} : tensor<2x3xf32>
  return
}

// -----

func.func @layernorm_axis(%x: tensor<2x3xf32>, %g: tensor<3xf32>) {
  // expected-error @+1 {{'graph.layernorm' op axis 2 is out of range for rank 2}}
  %0 = graph.layernorm %x, %g {axis = 2 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @layernorm_scale_shape(%x: tensor<2x3xf32>, %g: tensor<2x3xf32>) {
  // expected-error @+1 {{'graph.layernorm' op parameter of shape [2, 3] does not broadcast to the normalized shape [3]}}
  %0 = graph.layernorm %x, %g {axis = 1 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @layernorm_bias_shape(%x: tensor<2x3xf32>, %g: tensor<3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'graph.layernorm' op parameter of shape [4] does not broadcast to the normalized shape [3]}}
  %0 = graph.layernorm %x, %g, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<2x3xf32>, tensor<3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @layernorm_bias_element_type(%x: tensor<2x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf16>) {
  // expected-error @+1 {{'graph.layernorm' op bias must have the element type of the input, got 'f16'}}
  %0 = graph.layernorm %x, %g, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf16>) -> tensor<2x3xf32>
  return
}

// -----

func.func @layernorm_scale_element_type(%x: tensor<2x3xf32>, %g: tensor<3xbf16>) {
  // expected-error @+1 {{failed to verify that all of {input, scale} have same element type}}
  %0 = graph.layernorm %x, %g {axis = 1 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<2x3xf32>, tensor<3xbf16>) -> tensor<2x3xf32>
  return
}

// -----

func.func @rmsnorm_axis(%x: tensor<2x3xf32>, %g: tensor<3xf32>) {
  // expected-error @+1 {{'graph.rmsnorm' op axis -1 is out of range for rank 2}}
  %0 = graph.rmsnorm %x, %g {axis = -1 : i64, epsilon = 1.0e-06 : f32}
      : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @rmsnorm_scale_shape(%x: tensor<2x3xf32>, %g: tensor<2xf32>) {
  // expected-error @+1 {{'graph.rmsnorm' op parameter of shape [2] does not broadcast to the normalized shape [2, 3]}}
  %0 = graph.rmsnorm %x, %g {axis = 0 : i64, epsilon = 1.0e-06 : f32}
      : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x3xf32>
  return
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

// -----

func.func @transpose_length(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{permutation has 3 entries for rank 2}}
  // expected-error @+1 {{'graph.transpose' op failed to infer returned types}}
  %0 = graph.transpose %x {permutation = array<i64: 0, 1, 2>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @transpose_repeated(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{invalid permutation}}
  // expected-error @+1 {{'graph.transpose' op failed to infer returned types}}
  %0 = graph.transpose %x {permutation = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @transpose_out_of_range(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{invalid permutation}}
  // expected-error @+1 {{'graph.transpose' op failed to infer returned types}}
  %0 = graph.transpose %x {permutation = array<i64: 0, 2>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'graph.reshape' op input has 6 elements but the result has 8}}
  %0 = graph.reshape %x : tensor<2x3xf32> to tensor<2x4xf32>
  return
}

// -----

func.func @reshape_element_type(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{failed to verify that all of {input, result} have same element type}}
  %0 = graph.reshape %x : tensor<2x3xf32> to tensor<6xi32>
  return
}

// -----

func.func @slice_lengths(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{starts, sizes and steps need 2 entries each}}
  // expected-error @+1 {{'graph.slice' op failed to infer returned types}}
  %0 = graph.slice %x {starts = array<i64: 0>, sizes = array<i64: 2, 3>, steps = array<i64: 1, 1>}
      : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @slice_zero_step(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{step of dimension 1 is zero}}
  // expected-error @+1 {{'graph.slice' op failed to infer returned types}}
  %0 = graph.slice %x {starts = array<i64: 0, 0>, sizes = array<i64: 2, 3>, steps = array<i64: 1, 0>}
      : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @slice_negative_size(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{size of dimension 0 is negative}}
  // expected-error @+1 {{'graph.slice' op failed to infer returned types}}
  %0 = "graph.slice"(%x) <{starts = array<i64: 0, 0>, sizes = array<i64: -1, 3>, steps = array<i64: 1, 1>}>
      : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @slice_past_end(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{dimension 1 reads outside the input (size 3)}}
  // expected-error @+1 {{'graph.slice' op failed to infer returned types}}
  %0 = graph.slice %x {starts = array<i64: 0, 1>, sizes = array<i64: 2, 2>, steps = array<i64: 1, 2>}
      : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @slice_negative_step_past_start(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{dimension 1 reads outside the input (size 3)}}
  // expected-error @+1 {{'graph.slice' op failed to infer returned types}}
  %0 = graph.slice %x {starts = array<i64: 0, 1>, sizes = array<i64: 2, 3>, steps = array<i64: 1, -1>}
      : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @slice_negative_start(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{dimension 0 reads outside the input (size 2)}}
  // expected-error @+1 {{'graph.slice' op failed to infer returned types}}
  %0 = graph.slice %x {starts = array<i64: -1, 0>, sizes = array<i64: 1, 3>, steps = array<i64: 1, 1>}
      : (tensor<2x3xf32>) -> tensor<1x3xf32>
  return
}

// -----

func.func @concat_no_input() {
  // expected-error @+2 {{requires at least one input}}
  // expected-error @+1 {{'graph.concat' op failed to infer returned types}}
  %0 = graph.concat {axis = 0 : i64} : () -> tensor<2xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{'graph.concat' op failed to infer returned types}}
  %0 = graph.concat %a, %a {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_rank(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{inputs differ in rank or element type}}
  // expected-error @+1 {{'graph.concat' op failed to infer returned types}}
  %0 = graph.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @concat_element_type(%a: tensor<2x3xf32>, %b: tensor<2x3xf16>) {
  // expected-error @+2 {{inputs differ in rank or element type}}
  // expected-error @+1 {{'graph.concat' op failed to infer returned types}}
  %0 = graph.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x3xf16>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_dimension(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+2 {{inputs differ in dimension 1}}
  // expected-error @+1 {{'graph.concat' op failed to infer returned types}}
  %0 = graph.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @split_axis(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{axis -1 is out of range for rank 2}}
  // expected-error @+1 {{'graph.split' op failed to infer returned types}}
  %0:2 = graph.split %a {axis = -1 : i64, sizes = array<i64: 1, 2>}
      : (tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<2x2xf32>)
  return
}

// -----

func.func @split_negative_size(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{split sizes must not be negative}}
  // expected-error @+1 {{'graph.split' op failed to infer returned types}}
  %0:2 = "graph.split"(%a) <{axis = 1 : i64, sizes = array<i64: 4, -1>}>
      : (tensor<2x3xf32>) -> (tensor<2x4xf32>, tensor<2x1xf32>)
  return
}

// -----

func.func @split_sum(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{split sizes add up to 4 but the dimension is 3}}
  // expected-error @+1 {{'graph.split' op failed to infer returned types}}
  %0:2 = graph.split %a {axis = 1 : i64, sizes = array<i64: 2, 2>}
      : (tensor<2x3xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>)
  return
}

// -----

func.func @split_result_count(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{'graph.split' op failed to infer returned types}}
  // expected-error @+1 {{'graph.split' op inferred type(s) 'tensor<2x1xf32>', 'tensor<2x2xf32>' are incompatible with return type(s) of operation 'tensor<2x3xf32>'}}
  %0 = graph.split %a {axis = 1 : i64, sizes = array<i64: 1, 2>}
      : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @expand_shape(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'graph.expand' op input shape [2, 3] does not broadcast to [4, 3]}}
  %0 = graph.expand %a : tensor<2x3xf32> to tensor<4x3xf32>
  return
}

// -----

// Expand broadcasts unidirectionally: the result may not lose dimensions.
func.func @expand_shrinks(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'graph.expand' op input shape [2, 3] does not broadcast to [3]}}
  %0 = graph.expand %a : tensor<2x3xf32> to tensor<3xf32>
  return
}

// -----

func.func @gather_axis(%a: tensor<2x3xf32>, %i: tensor<4xi64>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{'graph.gather' op failed to infer returned types}}
  %0 = graph.gather %a, %i {axis = 2 : i64} : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @gather_index_type(%a: tensor<2x3xf32>, %i: tensor<4xi8>) {
  // expected-error @+1 {{operand #1 must be statically shaped tensor of 64-bit signless integer or 32-bit signless integer values}}
  %0 = graph.gather %a, %i {axis = 0 : i64} : (tensor<2x3xf32>, tensor<4xi8>) -> tensor<4x3xf32>
  return
}

// -----

func.func @trilu_rank(%a: tensor<3xf32>) {
  // expected-error @+1 {{'graph.trilu' op requires a tensor of rank at least 2}}
  %0 = graph.trilu %a : tensor<3xf32>
  return
}

// -----

func.func @gather_elements_rank(%a: tensor<2x3xf32>, %i: tensor<4xi64>) {
  // expected-error @+2 {{indices of rank 1 for an input of rank 2 (they must be equal)}}
  // expected-error @+1 {{'graph.gather_elements' op failed to infer returned types}}
  %0 = graph.gather_elements %a, %i {axis = 0 : i64} : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @gather_elements_axis(%a: tensor<2x3xf32>, %i: tensor<2x3xi64>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{'graph.gather_elements' op failed to infer returned types}}
  %0 = graph.gather_elements %a, %i {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @gather_elements_larger(%a: tensor<2x3xf32>, %i: tensor<5x4xi64>) {
  // expected-error @+2 {{indices have 4 elements in dimension 1, more than the input's 3}}
  // expected-error @+1 {{'graph.gather_elements' op failed to infer returned types}}
  %0 = graph.gather_elements %a, %i {axis = 0 : i64} : (tensor<2x3xf32>, tensor<5x4xi64>) -> tensor<5x4xf32>
  return
}

// -----

func.func @gather_nd_rank(%a: tensor<f32>, %i: tensor<1xi64>) {
  // expected-error @+2 {{input and indices need a rank of 1 or more}}
  // expected-error @+1 {{'graph.gather_nd' op failed to infer returned types}}
  %0 = graph.gather_nd %a, %i : (tensor<f32>, tensor<1xi64>) -> tensor<f32>
  return
}

// -----

func.func @gather_nd_batch(%a: tensor<2x3xf32>, %i: tensor<2x1xi64>) {
  // expected-error @+2 {{batch_dims 2 must be in [0, min(indices rank 2, input rank 2))}}
  // expected-error @+1 {{'graph.gather_nd' op failed to infer returned types}}
  %0 = graph.gather_nd %a, %i {batch_dims = 2 : i64} : (tensor<2x3xf32>, tensor<2x1xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @gather_nd_tuple(%a: tensor<2x3xf32>, %i: tensor<2x2xi64>) {
  // expected-error @+2 {{index tuples of 2 elements for an input of rank 2 and 1 batch dimensions (1 to 1 allowed)}}
  // expected-error @+1 {{'graph.gather_nd' op failed to infer returned types}}
  %0 = graph.gather_nd %a, %i {batch_dims = 1 : i64} : (tensor<2x3xf32>, tensor<2x2xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @gather_nd_batch_shape(%a: tensor<2x3xf32>, %i: tensor<4x1xi64>) {
  // expected-error @+2 {{the batch dimensions of indices and input differ}}
  // expected-error @+1 {{'graph.gather_nd' op failed to infer returned types}}
  %0 = graph.gather_nd %a, %i {batch_dims = 1 : i64} : (tensor<2x3xf32>, tensor<4x1xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @scatter_nd_rank(%a: tensor<f32>, %i: tensor<1xi64>, %u: tensor<f32>) {
  // expected-error @+2 {{input and indices need a rank of 1 or more}}
  // expected-error @+1 {{'graph.scatter_nd' op failed to infer returned types}}
  %0 = graph.scatter_nd %a, %i, %u : (tensor<f32>, tensor<1xi64>, tensor<f32>) -> tensor<f32>
  return
}

// -----

func.func @scatter_nd_tuple(%a: tensor<2x3xf32>, %i: tensor<1x3xi64>, %u: tensor<1xf32>) {
  // expected-error @+2 {{index tuples of 3 elements for an input of rank 2 (1 to 2 allowed)}}
  // expected-error @+1 {{'graph.scatter_nd' op failed to infer returned types}}
  %0 = graph.scatter_nd %a, %i, %u : (tensor<2x3xf32>, tensor<1x3xi64>, tensor<1xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @scatter_nd_updates(%a: tensor<2x3xf32>, %i: tensor<4x1xi64>, %u: tensor<4x2xf32>) {
  // expected-error @+2 {{updates of shape [4, 2], expected [4, 3]}}
  // expected-error @+1 {{'graph.scatter_nd' op failed to infer returned types}}
  %0 = graph.scatter_nd %a, %i, %u : (tensor<2x3xf32>, tensor<4x1xi64>, tensor<4x2xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @scatter_nd_bool(%a: tensor<2xi1>, %i: tensor<1x1xi64>, %u: tensor<1xi1>) {
  // expected-error @+2 {{reduction 'add' needs numbers, not booleans}}
  // expected-error @+1 {{'graph.scatter_nd' op failed to infer returned types}}
  %0 = graph.scatter_nd %a, %i, %u {reduction = #graph.reduction<add>} : (tensor<2xi1>, tensor<1x1xi64>, tensor<1xi1>) -> tensor<2xi1>
  return
}

// -----

func.func @fusion_group_tile_sizes(%x: tensor<4x4xf32>) {
  // expected-error @below {{'graph.fusion_group' op matmul group takes 3 tile sizes ([M, N, K]), each a power of two}}
  %0 = graph.fusion_group matmul (%x) {tile_sizes = array<i64: 32, 32>} : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%a: tensor<4x4xf32>):
    %1 = graph.matmul %a, %a : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    graph.yield %1 : tensor<4x4xf32>
  }
  return
}

// -----

func.func @fusion_group_tile_sizes_power_of_two(%x: tensor<4x4xf32>) {
  // expected-error @below {{'graph.fusion_group' op matmul group takes 3 tile sizes ([M, N, K]), each a power of two}}
  %0 = graph.fusion_group matmul (%x) {tile_sizes = array<i64: 32, 24, 16>} : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%a: tensor<4x4xf32>):
    %1 = graph.matmul %a, %a : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    graph.yield %1 : tensor<4x4xf32>
  }
  return
}

// -----

func.func @fusion_group_warps_without_tiles(%x: tensor<4x4xf32>) {
  // expected-error @below {{'graph.fusion_group' op matmul group has num_warps but no tile sizes (the warps go with the tiles they were chosen for)}}
  %0 = graph.fusion_group matmul (%x) {num_warps = 4 : i64} : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%a: tensor<4x4xf32>):
    %1 = graph.matmul %a, %a : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    graph.yield %1 : tensor<4x4xf32>
  }
  return
}

// -----

func.func @fusion_group_warps_range(%x: tensor<4x4xf32>) {
  // expected-error @below {{'graph.fusion_group' op attribute 'num_warps' failed to satisfy constraint}}
  %0 = graph.fusion_group matmul (%x) {num_warps = 0 : i64, tile_sizes = array<i64: 32, 32, 16>} : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%a: tensor<4x4xf32>):
    %1 = graph.matmul %a, %a : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    graph.yield %1 : tensor<4x4xf32>
  }
  return
}

// -----

func.func @fusion_group_pointwise_tile_sizes(%x: tensor<4xf32>) {
  // expected-error @below {{'graph.fusion_group' op pointwise group takes no tile sizes}}
  %0 = graph.fusion_group pointwise (%x) {tile_sizes = array<i64: 32>} : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %1 = graph.neg %a : tensor<4xf32>
    graph.yield %1 : tensor<4xf32>
  }
  return
}

// -----

func.func @fusion_group_arguments(%x: tensor<4xf32>) {
  // expected-error @below {{'graph.fusion_group' op region arguments must have the types of the inputs}}
  %0 = graph.fusion_group pointwise (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<2xf32>):
    graph.yield %a : tensor<2xf32>
  }
  return
}

// -----

func.func @fusion_group_yield(%x: tensor<4xf32>) {
  // expected-error @below {{'graph.fusion_group' op yielded values must have the types of the results}}
  %0 = graph.fusion_group pointwise (%x) : (tensor<4xf32>) -> tensor<4xi64> {
  ^bb0(%a: tensor<4xf32>):
    graph.yield %a : tensor<4xf32>
  }
  return
}

// -----

func.func @fusion_group_shapes(%x: tensor<4xf32>, %y: tensor<2x4xf32>) {
  // expected-error @below {{'graph.fusion_group' op pointwise group results must all have one shape (before their reshapes and transposes)}}
  %0:2 = graph.fusion_group pointwise (%x, %y) : (tensor<4xf32>, tensor<2x4xf32>) -> (tensor<4xf32>, tensor<2x4xf32>) {
  ^bb0(%a: tensor<4xf32>, %b: tensor<2x4xf32>):
    graph.yield %a, %b : tensor<4xf32>, tensor<2x4xf32>
  }
  return
}

// -----

func.func @fusion_group_not_elementwise(%x: tensor<2x4xf32>) {
  // expected-error @below {{'graph.fusion_group' op pointwise group holds 'graph.softmax', which is not elementwise, a gather of inputs, or a view of an input or a result}}
  %0 = graph.fusion_group pointwise (%x) : (tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>):
    %s = graph.softmax %a {axis = 1 : i64} : tensor<2x4xf32>
    graph.yield %s : tensor<2x4xf32>
  }
  return
}

// -----

func.func @fusion_group_dense_constant(%x: tensor<2xf32>) {
  // expected-error @below {{'graph.fusion_group' op pointwise group holds a constant that is not a splat (read it as an input instead)}}
  %0 = graph.fusion_group pointwise (%x) : (tensor<2xf32>) -> tensor<2xf32> {
  ^bb0(%a: tensor<2xf32>):
    %c = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
    %s = graph.add %a, %c : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    graph.yield %s : tensor<2xf32>
  }
  return
}

// -----

func.func @fusion_group_empty(%x: tensor<2xf32>) {
  // expected-error @below {{'graph.fusion_group' op must have at least one result}}
  graph.fusion_group pointwise (%x) : (tensor<2xf32>) -> () {
  ^bb0(%a: tensor<2xf32>):
    graph.yield
  }
  return
}

// -----

func.func @yield_outside(%x: tensor<2xf32>) {
  // expected-error @below {{'graph.yield' op expects parent op 'graph.fusion_group'}}
  graph.yield %x : tensor<2xf32>
}

// -----

func.func @matmul_group_without_matmul(%x: tensor<2x2xf32>) {
  // expected-error @below {{'graph.fusion_group' op matmul group holds no 'graph.matmul'}}
  %0 = graph.fusion_group matmul (%x) : (tensor<2x2xf32>) -> tensor<2x2xf32> {
  ^bb0(%a: tensor<2x2xf32>):
    %e = graph.exp %a : tensor<2x2xf32>
    graph.yield %e : tensor<2x2xf32>
  }
  return
}

// -----

func.func @matmul_group_prologue(%x: tensor<2x2xf32>) {
  // expected-error @below {{'graph.fusion_group' op matmul group's matmul must read two arguments of the region or views of them, each of rank 2 or more}}
  %0 = graph.fusion_group matmul (%x) : (tensor<2x2xf32>) -> tensor<2x2xf32> {
  ^bb0(%a: tensor<2x2xf32>):
    %e = graph.exp %a : tensor<2x2xf32>
    %m = graph.matmul %e, %a : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
    graph.yield %m : tensor<2x2xf32>
  }
  return
}

// -----

func.func @matmul_group_two_matmuls(%x: tensor<2x2xf32>, %y: tensor<2x1xf32>) {
  // expected-error @below {{'graph.fusion_group' op matmul group's ops may combine only results of matmuls of one shape}}
  %0 = graph.fusion_group matmul (%x, %y) : (tensor<2x2xf32>, tensor<2x1xf32>) -> tensor<2x2xf32> {
  ^bb0(%a: tensor<2x2xf32>, %b: tensor<2x1xf32>):
    %m = graph.matmul %a, %a : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
    %n = graph.matmul %a, %b : (tensor<2x2xf32>, tensor<2x1xf32>) -> tensor<2x1xf32>
    %s = graph.add %m, %n : (tensor<2x2xf32>, tensor<2x1xf32>) -> tensor<2x2xf32>
    graph.yield %s : tensor<2x2xf32>
  }
  return
}

// -----

func.func @matmul_group_siblings_lhs(%x: tensor<2x4xf32>, %y: tensor<2x4xf32>, %w: tensor<4x3xf32>) {
  // expected-error @below {{'graph.fusion_group' op matmul group's matmuls must share their left operand and their result's shape but for columns}}
  %0:2 = graph.fusion_group matmul (%x, %y, %w) : (tensor<2x4xf32>, tensor<2x4xf32>, tensor<4x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  ^bb0(%a: tensor<2x4xf32>, %b: tensor<2x4xf32>, %c: tensor<4x3xf32>):
    %m = graph.matmul %a, %c : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
    %n = graph.matmul %b, %c : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
    graph.yield %m, %n : tensor<2x3xf32>, tensor<2x3xf32>
  }
  return
}

// -----

func.func @matmul_group_shape(%x: tensor<2x2xf32>, %y: tensor<3x2x2xf32>) {
  // expected-error @below {{'graph.fusion_group' op matmul group results must each have the shape of the matmul they compute from (before their reshapes and transposes)}}
  %0 = graph.fusion_group matmul (%x, %y) : (tensor<2x2xf32>, tensor<3x2x2xf32>) -> tensor<3x2x2xf32> {
  ^bb0(%a: tensor<2x2xf32>, %b: tensor<3x2x2xf32>):
    %m = graph.matmul %a, %a : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
    %s = graph.add %b, %m : (tensor<3x2x2xf32>, tensor<2x2xf32>) -> tensor<3x2x2xf32>
    graph.yield %s : tensor<3x2x2xf32>
  }
  return
}

// -----

func.func @fusion_group_view_not_strided(%x: tensor<4x6xf32>) {
  // expected-error @below {{'graph.fusion_group' op pointwise group reads its input through 'graph.reshape', which is not a strided view of it}}
  %0 = graph.fusion_group pointwise (%x) : (tensor<4x6xf32>) -> tensor<4x6xf32> {
  ^bb0(%a: tensor<4x6xf32>):
    %t = graph.transpose %a {permutation = array<i64: 1, 0>} : (tensor<4x6xf32>) -> tensor<6x4xf32>
    %r = graph.reshape %t : tensor<6x4xf32> to tensor<4x6xf32>
    %n = graph.neg %r : tensor<4x6xf32>
    graph.yield %n : tensor<4x6xf32>
  }
  return
}

// -----

func.func @fusion_group_view_in_between(%x: tensor<4x6xf32>) {
  // expected-error @below {{'graph.fusion_group' op pointwise group holds 'graph.transpose', which is not elementwise, a gather of inputs, or a view of an input or a result}}
  %0 = graph.fusion_group pointwise (%x) : (tensor<4x6xf32>) -> tensor<6x4xf32> {
  ^bb0(%a: tensor<4x6xf32>):
    %n = graph.neg %a : tensor<4x6xf32>
    %t = graph.transpose %n {permutation = array<i64: 1, 0>} : (tensor<4x6xf32>) -> tensor<6x4xf32>
    %e = graph.exp %t : tensor<6x4xf32>
    graph.yield %e : tensor<6x4xf32>
  }
  return
}

// -----

func.func @fusion_group_stored_shapes(%x: tensor<4x6xf32>) {
  // expected-error @below {{'graph.fusion_group' op pointwise group results must all have one shape (before their reshapes and transposes)}}
  %0:2 = graph.fusion_group pointwise (%x) : (tensor<4x6xf32>) -> (tensor<6x4xf32>, tensor<6x4xf32>) {
  ^bb0(%a: tensor<4x6xf32>):
    %n = graph.neg %a : tensor<4x6xf32>
    %t = graph.transpose %n {permutation = array<i64: 1, 0>} : (tensor<4x6xf32>) -> tensor<6x4xf32>
    %u = graph.transpose %a {permutation = array<i64: 1, 0>} : (tensor<4x6xf32>) -> tensor<6x4xf32>
    %e = graph.exp %u : tensor<6x4xf32>
    graph.yield %t, %e : tensor<6x4xf32>, tensor<6x4xf32>
  }
  return
}

// -----

func.func @attention_rank(%q: tensor<2x9x8xf32>, %k: tensor<11x8xf32>, %v: tensor<11x6xf32>) {
  // expected-error @below {{'graph.attention' op query, key, value and result must have one rank, 2 or more}}
  %0 = graph.attention %q, %k, %v {mask_kind = #graph.mask<none>, scale = 1.0 : f64} : (tensor<2x9x8xf32>, tensor<11x8xf32>, tensor<11x6xf32>) -> tensor<2x9x6xf32>
  return
}

// -----

func.func @attention_shapes(%q: tensor<9x8xf32>, %k: tensor<11x7xf32>, %v: tensor<11x6xf32>) {
  // expected-error @below {{'graph.attention' op expects query [..., Lq, D], key [..., Lk, D], value [..., Lk, Dv] and result [..., Lq, Dv]}}
  %0 = graph.attention %q, %k, %v {mask_kind = #graph.mask<none>, scale = 1.0 : f64} : (tensor<9x8xf32>, tensor<11x7xf32>, tensor<11x6xf32>) -> tensor<9x6xf32>
  return
}

// -----

func.func @attention_batch(%q: tensor<2x9x8xf32>, %k: tensor<3x11x8xf32>, %v: tensor<1x11x6xf32>) {
  // expected-error @below {{'graph.attention' op the batch dimensions of query, key and value must broadcast to the result's}}
  %0 = graph.attention %q, %k, %v {mask_kind = #graph.mask<none>, scale = 1.0 : f64} : (tensor<2x9x8xf32>, tensor<3x11x8xf32>, tensor<1x11x6xf32>) -> tensor<2x9x6xf32>
  return
}

// -----

func.func @attention_mask_kind(%q: tensor<9x8xf32>, %k: tensor<11x8xf32>, %v: tensor<11x6xf32>) {
  // expected-error @below {{'graph.attention' op has a mask exactly when its mask kind is not 'none'}}
  %0 = graph.attention %q, %k, %v {mask_kind = #graph.mask<keep>, scale = 1.0 : f64} : (tensor<9x8xf32>, tensor<11x8xf32>, tensor<11x6xf32>) -> tensor<9x6xf32>
  return
}

// -----

func.func @attention_keep_float(%q: tensor<9x8xf32>, %k: tensor<11x8xf32>, %v: tensor<11x6xf32>, %m: tensor<9x11xf32>) {
  // expected-error @below {{'graph.attention' op a keep or drop mask must be boolean (i1)}}
  %0 = graph.attention %q, %k, %v, %m {mask_kind = #graph.mask<drop>, scale = 1.0 : f64} : (tensor<9x8xf32>, tensor<11x8xf32>, tensor<11x6xf32>, tensor<9x11xf32>) -> tensor<9x6xf32>
  return
}

// -----

func.func @attention_add_bool(%q: tensor<9x8xf32>, %k: tensor<11x8xf32>, %v: tensor<11x6xf32>, %m: tensor<9x11xi1>) {
  // expected-error @below {{'graph.attention' op an added mask must have the scores' element type}}
  %0 = graph.attention %q, %k, %v, %m {mask_kind = #graph.mask<add>, scale = 1.0 : f64} : (tensor<9x8xf32>, tensor<11x8xf32>, tensor<11x6xf32>, tensor<9x11xi1>) -> tensor<9x6xf32>
  return
}

// -----

func.func @attention_mask_shape(%q: tensor<9x8xf32>, %k: tensor<11x8xf32>, %v: tensor<11x6xf32>, %m: tensor<9x9xi1>) {
  // expected-error @below {{'graph.attention' op the mask must broadcast to the scores [..., Lq, Lk]}}
  %0 = graph.attention %q, %k, %v, %m {mask_kind = #graph.mask<keep>, scale = 1.0 : f64} : (tensor<9x8xf32>, tensor<11x8xf32>, tensor<11x6xf32>, tensor<9x9xi1>) -> tensor<9x6xf32>
  return
}

// -----

func.func @attention_group_without_attention(%x: tensor<2x2xf32>) {
  // expected-error @below {{'graph.fusion_group' op attention group holds no 'graph.attention'}}
  %0 = graph.fusion_group attention (%x) : (tensor<2x2xf32>) -> tensor<2x2xf32> {
  ^bb0(%a: tensor<2x2xf32>):
    %t = graph.transpose %a {permutation = array<i64: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
    graph.yield %t : tensor<2x2xf32>
  }
  return
}

// -----

func.func @attention_group_epilogue(%q: tensor<9x8xf32>, %k: tensor<11x8xf32>, %v: tensor<11x6xf32>) {
  // expected-error @below {{'graph.fusion_group' op attention group holds 'graph.exp', which is not a view of an input or a result, its one attention, elementwise, a concat or a view read only on the way to the attention's operands, or its one projection, the views it reads and its elementwise epilogue}}
  %0 = graph.fusion_group attention (%q, %k, %v) : (tensor<9x8xf32>, tensor<11x8xf32>, tensor<11x6xf32>) -> tensor<9x6xf32> {
  ^bb0(%a: tensor<9x8xf32>, %b: tensor<11x8xf32>, %c: tensor<11x6xf32>):
    %o = graph.attention %a, %b, %c {mask_kind = #graph.mask<none>, scale = 1.0 : f64} : (tensor<9x8xf32>, tensor<11x8xf32>, tensor<11x6xf32>) -> tensor<9x6xf32>
    %e = graph.exp %o : tensor<9x6xf32>
    graph.yield %e : tensor<9x6xf32>
  }
  return
}

// -----

func.func @attention_group_prologue(%q: tensor<9x8xf32>, %k: tensor<11x8xf32>, %v: tensor<11x6xf32>) {
  // expected-error @below {{'graph.fusion_group' op attention group holds 'graph.neg', which is not a view of an input or a result, its one attention, elementwise, a concat or a view read only on the way to the attention's operands, or its one projection, the views it reads and its elementwise epilogue}}
  %0:2 = graph.fusion_group attention (%q, %k, %v) : (tensor<9x8xf32>, tensor<11x8xf32>, tensor<11x6xf32>) -> (tensor<9x6xf32>, tensor<9x8xf32>) {
  ^bb0(%a: tensor<9x8xf32>, %b: tensor<11x8xf32>, %c: tensor<11x6xf32>):
    %n = graph.neg %a : tensor<9x8xf32>
    %o = graph.attention %n, %b, %c {mask_kind = #graph.mask<none>, scale = 1.0 : f64} : (tensor<9x8xf32>, tensor<11x8xf32>, tensor<11x6xf32>) -> tensor<9x6xf32>
    graph.yield %o, %n : tensor<9x6xf32>, tensor<9x8xf32>
  }
  return
}

// -----

func.func @attention_group_integer_division(%q: tensor<9x8xf32>, %k: tensor<11x8xf32>, %v: tensor<11x6xf32>, %i: tensor<9x11xi32>) {
  // expected-error @below {{'graph.fusion_group' op attention group's attention must read arguments of the region, views of them, or values computed from them element by element}}
  %0 = graph.fusion_group attention (%q, %k, %v, %i) : (tensor<9x8xf32>, tensor<11x8xf32>, tensor<11x6xf32>, tensor<9x11xi32>) -> tensor<9x6xf32> {
  ^bb0(%a: tensor<9x8xf32>, %b: tensor<11x8xf32>, %c: tensor<11x6xf32>, %d: tensor<9x11xi32>):
    %r = graph.div %d, %d : (tensor<9x11xi32>, tensor<9x11xi32>) -> tensor<9x11xi32>
    %m = graph.cast %r : tensor<9x11xi32> to tensor<9x11xf32>
    %o = graph.attention %a, %b, %c, %m {mask_kind = #graph.mask<add>, scale = 1.0 : f64} : (tensor<9x8xf32>, tensor<11x8xf32>, tensor<11x6xf32>, tensor<9x11xf32>) -> tensor<9x6xf32>
    graph.yield %o : tensor<9x6xf32>
  }
  return
}

// -----

func.func @attention_group_shape(%q: tensor<9x8xf32>, %k: tensor<11x8xf32>, %v: tensor<11x6xf32>) {
  // expected-error @below {{'graph.fusion_group' op attention group results must have the attention's shape (before their reshapes and transposes)}}
  %0 = graph.fusion_group attention (%q, %k, %v) : (tensor<9x8xf32>, tensor<11x8xf32>, tensor<11x6xf32>) -> tensor<8x9xf32> {
  ^bb0(%a: tensor<9x8xf32>, %b: tensor<11x8xf32>, %c: tensor<11x6xf32>):
    %o = graph.attention %a, %b, %c {mask_kind = #graph.mask<none>, scale = 1.0 : f64} : (tensor<9x8xf32>, tensor<11x8xf32>, tensor<11x6xf32>) -> tensor<9x6xf32>
    %t = graph.transpose %a {permutation = array<i64: 1, 0>} : (tensor<9x8xf32>) -> tensor<8x9xf32>
    graph.yield %t : tensor<8x9xf32>
  }
  return
}

// -----

func.func @matmul_group_prologue_axis(%x: tensor<7x12xf32>, %g: tensor<7x12xf32>, %w: tensor<12x5xf32>) {
  // expected-error @below {{'graph.fusion_group' op matmul group's normalization must be of the last axis of arguments or views of them, read only as the matmuls' left operand}}
  %0 = graph.fusion_group matmul (%x, %g, %w) : (tensor<7x12xf32>, tensor<7x12xf32>, tensor<12x5xf32>) -> tensor<7x5xf32> {
  ^bb0(%a: tensor<7x12xf32>, %b: tensor<7x12xf32>, %c: tensor<12x5xf32>):
    %n = graph.layernorm %a, %b {axis = 0 : i64, epsilon = 1.0e-05 : f32} : (tensor<7x12xf32>, tensor<7x12xf32>) -> tensor<7x12xf32>
    %m = graph.matmul %n, %c : (tensor<7x12xf32>, tensor<12x5xf32>) -> tensor<7x5xf32>
    graph.yield %m : tensor<7x5xf32>
  }
  return
}

// -----

func.func @matmul_group_two_prologues(%x: tensor<7x12xf32>, %g: tensor<12xf32>, %w: tensor<12x5xf32>) {
  // expected-error @below {{'graph.fusion_group' op matmul group's matmul must read two arguments of the region or views of them, each of rank 2 or more}}
  %0 = graph.fusion_group matmul (%x, %g, %w) : (tensor<7x12xf32>, tensor<12xf32>, tensor<12x5xf32>) -> tensor<7x5xf32> {
  ^bb0(%a: tensor<7x12xf32>, %b: tensor<12xf32>, %c: tensor<12x5xf32>):
    %n = graph.rmsnorm %a, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<7x12xf32>, tensor<12xf32>) -> tensor<7x12xf32>
    %n2 = graph.rmsnorm %n, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<7x12xf32>, tensor<12xf32>) -> tensor<7x12xf32>
    %m = graph.matmul %n2, %c : (tensor<7x12xf32>, tensor<12x5xf32>) -> tensor<7x5xf32>
    graph.yield %m : tensor<7x5xf32>
  }
  return
}

// -----

func.func @matmul_group_row_epilogue_axis(%x: tensor<7x12xf32>, %w: tensor<12x5xf32>, %g: tensor<7x5xf32>) {
  // expected-error @below {{'graph.fusion_group' op matmul group's row epilogue must normalize the last axis of a value only it reads, computed from the group's one matmul (a chain's second product, an attention's projection), with parameters from arguments, and be what every result stores}}
  %0 = graph.fusion_group matmul (%x, %w, %g) : (tensor<7x12xf32>, tensor<12x5xf32>, tensor<7x5xf32>) -> tensor<7x5xf32> {
  ^bb0(%a: tensor<7x12xf32>, %b: tensor<12x5xf32>, %c: tensor<7x5xf32>):
    %m = graph.matmul %a, %b : (tensor<7x12xf32>, tensor<12x5xf32>) -> tensor<7x5xf32>
    %n = graph.layernorm %m, %c {axis = 0 : i64, epsilon = 1.0e-05 : f32} : (tensor<7x5xf32>, tensor<7x5xf32>) -> tensor<7x5xf32>
    graph.yield %n : tensor<7x5xf32>
  }
  return
}

// -----

func.func @matmul_group_row_epilogue_also_stored(%x: tensor<7x12xf32>, %w: tensor<12x5xf32>, %g: tensor<5xf32>) {
  // expected-error @below {{'graph.fusion_group' op matmul group's row epilogue must normalize the last axis of a value only it reads, computed from the group's one matmul (a chain's second product, an attention's projection), with parameters from arguments, and be what every result stores}}
  %0:2 = graph.fusion_group matmul (%x, %w, %g) : (tensor<7x12xf32>, tensor<12x5xf32>, tensor<5xf32>) -> (tensor<7x5xf32>, tensor<7x5xf32>) {
  ^bb0(%a: tensor<7x12xf32>, %b: tensor<12x5xf32>, %c: tensor<5xf32>):
    %m = graph.matmul %a, %b : (tensor<7x12xf32>, tensor<12x5xf32>) -> tensor<7x5xf32>
    %e = graph.exp %m : tensor<7x5xf32>
    %n = graph.rmsnorm %e, %c {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<7x5xf32>, tensor<5xf32>) -> tensor<7x5xf32>
    graph.yield %n, %e : tensor<7x5xf32>, tensor<7x5xf32>
  }
  return
}

// -----

func.func @pointwise_group_gather_of_computed(%w: tensor<10x4xf32>, %i: tensor<3xi64>) {
  // expected-error @below {{'graph.fusion_group' op pointwise group holds 'graph.gather', which is not elementwise, a gather of inputs, or a view of an input or a result}}
  %0 = graph.fusion_group pointwise (%w, %i) : (tensor<10x4xf32>, tensor<3xi64>) -> tensor<3x4xf32> {
  ^bb0(%a: tensor<10x4xf32>, %b: tensor<3xi64>):
    %n = graph.neg %a : tensor<10x4xf32>
    %g = graph.gather %n, %b {axis = 0 : i64} : (tensor<10x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
    graph.yield %g : tensor<3x4xf32>
  }
  return
}

// -----

func.func @rows_group_without_row_op(%x: tensor<4x6xf32>) {
  // expected-error @below {{'graph.fusion_group' op rows group holds no row-wise op (a softmax of the last axis, a normalization or a reduction of the trailing axes)}}
  %0 = graph.fusion_group rows (%x) : (tensor<4x6xf32>) -> tensor<4x6xf32> {
  ^bb0(%a: tensor<4x6xf32>):
    %1 = graph.exp %a : tensor<4x6xf32>
    graph.yield %1 : tensor<4x6xf32>
  }
  return
}

// -----

// A softmax of another axis than the last is no row-wise op of a rows group.
func.func @rows_group_softmax_not_last(%x: tensor<4x6xf32>) {
  // expected-error @below {{'graph.fusion_group' op rows group holds 'graph.softmax', which is not elementwise, a view of an input or a result, or its one row-wise op (a softmax of the last axis, a normalization or a reduction of the trailing axes)}}
  %0 = graph.fusion_group rows (%x) : (tensor<4x6xf32>) -> tensor<4x6xf32> {
  ^bb0(%a: tensor<4x6xf32>):
    %1 = graph.softmax %a {axis = 0 : i64} : tensor<4x6xf32>
    graph.yield %1 : tensor<4x6xf32>
  }
  return
}

// -----

func.func @rows_group_reduction_wrong_axis(%x: tensor<4x6xf32>) {
  // expected-error @below {{'graph.fusion_group' op rows group holds 'graph.reduce_sum', which is not elementwise, a view of an input or a result, or its one row-wise op (a softmax of the last axis, a normalization or a reduction of the trailing axes)}}
  %0 = graph.fusion_group rows (%x) : (tensor<4x6xf32>) -> tensor<1x6xf32> {
  ^bb0(%a: tensor<4x6xf32>):
    %1 = graph.reduce_sum %a {axes = array<i64: 0>, keep_dims} : (tensor<4x6xf32>) -> tensor<1x6xf32>
    graph.yield %1 : tensor<1x6xf32>
  }
  return
}

// -----

func.func @rows_group_integer_division(%x: tensor<4x6xi32>, %y: tensor<4x6xi32>) {
  // expected-error @below {{'graph.fusion_group' op rows group's row-wise op must read arguments of the region, views of them, or values computed from them element by element}}
  %0 = graph.fusion_group rows (%x, %y) : (tensor<4x6xi32>, tensor<4x6xi32>) -> tensor<4x1xi32> {
  ^bb0(%a: tensor<4x6xi32>, %b: tensor<4x6xi32>):
    %1 = graph.div %a, %b : (tensor<4x6xi32>, tensor<4x6xi32>) -> tensor<4x6xi32>
    %2 = graph.reduce_sum %1 {axes = array<i64: 1>, keep_dims} : (tensor<4x6xi32>) -> tensor<4x1xi32>
    graph.yield %2 : tensor<4x1xi32>
  }
  return
}

// -----

// A reduction's rows give one value each: its input's shape is not the
// group's iteration space.
func.func @rows_group_result_shape(%x: tensor<4x6xf32>) {
  // expected-error @below {{'graph.fusion_group' op rows group results must all have one shape (before their reshapes and transposes)}}
  %0:2 = graph.fusion_group rows (%x) : (tensor<4x6xf32>) -> (tensor<4x1xf32>, tensor<4x6xf32>) {
  ^bb0(%a: tensor<4x6xf32>):
    %1 = graph.exp %a : tensor<4x6xf32>
    %2 = graph.reduce_sum %1 {axes = array<i64: 1>, keep_dims} : (tensor<4x6xf32>) -> tensor<4x1xf32>
    graph.yield %2, %1 : tensor<4x1xf32>, tensor<4x6xf32>
  }
  return
}

// -----

func.func @rows_group_input_shape(%x: tensor<4x6xf32>) {
  // expected-error @below {{'graph.fusion_group' op rows group results must have the shape of its row-wise op's result (before their reshapes and transposes)}}
  %0 = graph.fusion_group rows (%x) : (tensor<4x6xf32>) -> tensor<4x6xf32> {
  ^bb0(%a: tensor<4x6xf32>):
    %1 = graph.exp %a : tensor<4x6xf32>
    %2 = graph.reduce_sum %1 {axes = array<i64: 1>, keep_dims} : (tensor<4x6xf32>) -> tensor<4x1xf32>
    %3 = graph.add %1, %2 : (tensor<4x6xf32>, tensor<4x1xf32>) -> tensor<4x6xf32>
    graph.yield %3 : tensor<4x6xf32>
  }
  return
}

// -----

func.func @rows_group_tile_sizes(%x: tensor<4x6xf32>) {
  // expected-error @below {{'graph.fusion_group' op rows group takes no tile sizes}}
  %0 = graph.fusion_group rows (%x) {tile_sizes = array<i64: 32>} : (tensor<4x6xf32>) -> tensor<4x6xf32> {
  ^bb0(%a: tensor<4x6xf32>):
    %1 = graph.softmax %a {axis = 1 : i64} : tensor<4x6xf32>
    graph.yield %1 : tensor<4x6xf32>
  }
  return
}

// -----

func.func @chain_group_one_product(%x: tensor<7x12xf32>, %w: tensor<12x5xf32>) {
  // expected-error @below {{'graph.fusion_group' op chain group must hold first products of its left operand and one second product of a value computed from them}}
  %0 = graph.fusion_group chain (%x, %w) : (tensor<7x12xf32>, tensor<12x5xf32>) -> tensor<7x5xf32> {
  ^bb0(%a: tensor<7x12xf32>, %b: tensor<12x5xf32>):
    %m = graph.matmul %a, %b : (tensor<7x12xf32>, tensor<12x5xf32>) -> tensor<7x5xf32>
    graph.yield %m : tensor<7x5xf32>
  }
  return
}

// -----

func.func @chain_group_intermediate_stored(%x: tensor<7x12xf32>, %w: tensor<12x5xf32>, %v: tensor<5x3xf32>) {
  // expected-error @below {{'graph.fusion_group' op chain group's second product must read as its left operand, alone, a value computed from every first product by elementwise ops of their shape, and as its right operand an argument or a view of one of rank 2 or more, giving the first products' rows and batch}}
  %0:2 = graph.fusion_group chain (%x, %w, %v) : (tensor<7x12xf32>, tensor<12x5xf32>, tensor<5x3xf32>) -> (tensor<7x5xf32>, tensor<7x3xf32>) {
  ^bb0(%a: tensor<7x12xf32>, %b: tensor<12x5xf32>, %c: tensor<5x3xf32>):
    %m = graph.matmul %a, %b : (tensor<7x12xf32>, tensor<12x5xf32>) -> tensor<7x5xf32>
    %g = graph.gelu %m : tensor<7x5xf32>
    %d = graph.matmul %g, %c : (tensor<7x5xf32>, tensor<5x3xf32>) -> tensor<7x3xf32>
    graph.yield %g, %d : tensor<7x5xf32>, tensor<7x3xf32>
  }
  return
}

// -----

func.func @chain_group_result_not_from_second(%x: tensor<7x12xf32>, %w: tensor<12x5xf32>, %v: tensor<5x3xf32>, %y: tensor<7x3xf32>) {
  // expected-error @below {{'graph.fusion_group' op chain group results must each compute from the second product, with its shape (before their reshapes and transposes)}}
  %0:2 = graph.fusion_group chain (%x, %w, %v, %y) : (tensor<7x12xf32>, tensor<12x5xf32>, tensor<5x3xf32>, tensor<7x3xf32>) -> (tensor<7x3xf32>, tensor<7x3xf32>) {
  ^bb0(%a: tensor<7x12xf32>, %b: tensor<12x5xf32>, %c: tensor<5x3xf32>, %e: tensor<7x3xf32>):
    %m = graph.matmul %a, %b : (tensor<7x12xf32>, tensor<12x5xf32>) -> tensor<7x5xf32>
    %d = graph.matmul %m, %c : (tensor<7x5xf32>, tensor<5x3xf32>) -> tensor<7x3xf32>
    %n = graph.neg %e : tensor<7x3xf32>
    graph.yield %d, %n : tensor<7x3xf32>, tensor<7x3xf32>
  }
  return
}

// -----

func.func @chain_group_tile_sizes(%x: tensor<7x12xf32>, %w: tensor<12x5xf32>, %v: tensor<5x3xf32>) {
  // expected-error @below {{'graph.fusion_group' op chain group takes 3 tile sizes ([M, I, K]), each a power of two}}
  %0 = graph.fusion_group chain (%x, %w, %v) {tile_sizes = array<i64: 16, 32>} : (tensor<7x12xf32>, tensor<12x5xf32>, tensor<5x3xf32>) -> tensor<7x3xf32> {
  ^bb0(%a: tensor<7x12xf32>, %b: tensor<12x5xf32>, %c: tensor<5x3xf32>):
    %m = graph.matmul %a, %b : (tensor<7x12xf32>, tensor<12x5xf32>) -> tensor<7x5xf32>
    %d = graph.matmul %m, %c : (tensor<7x5xf32>, tensor<5x3xf32>) -> tensor<7x3xf32>
    graph.yield %d : tensor<7x3xf32>
  }
  return
}

// -----

func.func @attention_group_projection_heads_not_merged(%q: tensor<2x2x7x4xf32>, %w: tensor<28x8xf32>) {
  // expected-error @below {{'graph.fusion_group' op attention group's projection must read as its left operand, alone, the attention's result with its heads merged ([batch..., queries, heads x dv] through views, heads x dv > 0), and as its right operand a 2-D argument or a view of one}}
  %0 = graph.fusion_group attention (%q, %w) : (tensor<2x2x7x4xf32>, tensor<28x8xf32>) -> tensor<2x2x8xf32> {
  ^bb0(%a: tensor<2x2x7x4xf32>, %b: tensor<28x8xf32>):
    %o = graph.attention %a, %a, %a {mask_kind = #graph.mask<none>, scale = 0.5 : f64} : (tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>) -> tensor<2x2x7x4xf32>
    %r = graph.reshape %o : tensor<2x2x7x4xf32> to tensor<2x2x28xf32>
    %p = graph.matmul %r, %b : (tensor<2x2x28xf32>, tensor<28x8xf32>) -> tensor<2x2x8xf32>
    graph.yield %p : tensor<2x2x8xf32>
  }
  return
}

// -----

func.func @attention_group_result_not_from_projection(%q: tensor<2x2x7x4xf32>, %w: tensor<8x8xf32>, %x: tensor<2x7x8xf32>) {
  // expected-error @below {{'graph.fusion_group' op attention group results must each compute from its projection, with its shape (before their reshapes and transposes)}}
  %0:2 = graph.fusion_group attention (%q, %w, %x) : (tensor<2x2x7x4xf32>, tensor<8x8xf32>, tensor<2x7x8xf32>) -> (tensor<2x7x8xf32>, tensor<2x7x8xf32>) {
  ^bb0(%a: tensor<2x2x7x4xf32>, %b: tensor<8x8xf32>, %c: tensor<2x7x8xf32>):
    %o = graph.attention %a, %a, %a {mask_kind = #graph.mask<none>, scale = 0.5 : f64} : (tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>) -> tensor<2x2x7x4xf32>
    %t = graph.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x2x7x4xf32>) -> tensor<2x7x2x4xf32>
    %r = graph.reshape %t : tensor<2x7x2x4xf32> to tensor<2x7x8xf32>
    %p = graph.matmul %r, %b : (tensor<2x7x8xf32>, tensor<8x8xf32>) -> tensor<2x7x8xf32>
    graph.yield %p, %c : tensor<2x7x8xf32>, tensor<2x7x8xf32>
  }
  return
}

// -----

func.func @attention_group_row_epilogue_axis(%q: tensor<2x2x7x4xf32>, %w: tensor<8x8xf32>, %s: tensor<7x8xf32>) {
  // expected-error @below {{'graph.fusion_group' op attention group's row epilogue must normalize the last axis of a value only it reads, computed from the group's one matmul (a chain's second product, an attention's projection), with parameters from arguments, and be what every result stores}}
  %0 = graph.fusion_group attention (%q, %w, %s) : (tensor<2x2x7x4xf32>, tensor<8x8xf32>, tensor<7x8xf32>) -> tensor<2x7x8xf32> {
  ^bb0(%a: tensor<2x2x7x4xf32>, %b: tensor<8x8xf32>, %c: tensor<7x8xf32>):
    %o = graph.attention %a, %a, %a {mask_kind = #graph.mask<none>, scale = 0.5 : f64} : (tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>) -> tensor<2x2x7x4xf32>
    %t = graph.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x2x7x4xf32>) -> tensor<2x7x2x4xf32>
    %r = graph.reshape %t : tensor<2x7x2x4xf32> to tensor<2x7x8xf32>
    %p = graph.matmul %r, %b : (tensor<2x7x8xf32>, tensor<8x8xf32>) -> tensor<2x7x8xf32>
    %n = graph.layernorm %p, %c {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x7x8xf32>, tensor<7x8xf32>) -> tensor<2x7x8xf32>
    graph.yield %n : tensor<2x7x8xf32>
  }
  return
}
