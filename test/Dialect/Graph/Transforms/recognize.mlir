// RUN: meld-opt %s -split-input-file --meld-graph-recognize | FileCheck %s
// RUN: meld-opt %s -split-input-file --meld-graph-recognize --mlir-print-debuginfo | FileCheck %s --check-prefix=LOC

// The chains below are written as the exporters write them (see the name of
// each function); the negative cases differ from a composite in one respect
// and must stay as they are.

//===----------------------------------------------------------------------===//
// GELU, exact (erf)
//===----------------------------------------------------------------------===//

// The dynamo exporter: x * ((erf(x / sqrt(2)) + 1) * 0.5), the constant 1
// shared with another op (it stays).
// CHECK-LABEL: func.func @gelu_erf_dynamo
// CHECK-SAME: (%[[X:.+]]: tensor<3x7xf32>, %[[Y:.+]]: tensor<3x7xf32>)
// CHECK-DAG: %[[ONE:.+]] = graph.constant dense<1.000000e+00> : tensor<f32>
// CHECK-DAG: %[[G:.+]] = graph.gelu %[[X]] : tensor<3x7xf32>
// CHECK-DAG: %[[Z:.+]] = graph.add %[[Y]], %[[ONE]]
// CHECK-NOT: graph.erf
// CHECK: return %[[G]], %[[Z]]
func.func @gelu_erf_dynamo(%x: tensor<3x7xf32>, %y: tensor<3x7xf32>) -> (tensor<3x7xf32>, tensor<3x7xf32>) {
  %one = graph.constant dense<1.0> : tensor<f32>
  %z = graph.add %y, %one : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %sqrt2 = graph.constant dense<1.41421354> : tensor<f32>
  %0 = graph.div %x, %sqrt2 : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %1 = graph.erf %0 : tensor<3x7xf32>
  %2 = graph.add %1, %one : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %3 = graph.mul %2, %half : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %4 = graph.mul %x, %3 : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  return %4, %z : tensor<3x7xf32>, tensor<3x7xf32>
}

// -----

// The TorchScript exporter: (x * (erf(x / sqrt(2)) + 1)) * 0.5, with x the
// output of a bias add. The GELU is located at the fused locations of the
// ops it replaces (the ONNX nodes).
// CHECK-LABEL: func.func @gelu_erf_torchscript
// CHECK-SAME: (%[[A:.+]]: tensor<2x3x7xf32>, %[[B:.+]]: tensor<7xf32>)
// CHECK: %[[X:.+]] = graph.add %[[B]], %[[A]]
// CHECK-NEXT: %[[G:.+]] = graph.gelu %[[X]] : tensor<2x3x7xf32>
// CHECK-NEXT: return %[[G]]
// LOC-LABEL: func.func @gelu_erf_torchscript
// LOC: graph.gelu {{.*}} loc(#[[FUSED:loc[0-9]+]])
// LOC-DAG: #[[DIV:loc[0-9]+]] = loc("/act/Div")
// LOC-DAG: #[[ERF:loc[0-9]+]] = loc("/act/Erf")
// LOC-DAG: #[[ADD:loc[0-9]+]] = loc("/act/Add")
// LOC-DAG: #[[MUL:loc[0-9]+]] = loc("/act/Mul")
// LOC-DAG: #[[MUL1:loc[0-9]+]] = loc("/act/Mul_1")
// LOC-DAG: #[[FUSED]] = loc(fused[#[[DIV]], #[[ERF]], #[[ADD]], #[[MUL]], #[[MUL1]]])
func.func @gelu_erf_torchscript(%a: tensor<2x3x7xf32>, %b: tensor<7xf32>) -> tensor<2x3x7xf32> {
  %x = graph.add %b, %a : (tensor<7xf32>, tensor<2x3x7xf32>) -> tensor<2x3x7xf32>
  %sqrt2 = graph.constant dense<1.41421354> : tensor<f32>
  %0 = graph.div %x, %sqrt2 : (tensor<2x3x7xf32>, tensor<f32>) -> tensor<2x3x7xf32> loc("/act/Div")
  %1 = graph.erf %0 : tensor<2x3x7xf32> loc("/act/Erf")
  %one = graph.constant dense<1.0> : tensor<f32>
  %2 = graph.add %1, %one : (tensor<2x3x7xf32>, tensor<f32>) -> tensor<2x3x7xf32> loc("/act/Add")
  %3 = graph.mul %x, %2 : (tensor<2x3x7xf32>, tensor<2x3x7xf32>) -> tensor<2x3x7xf32> loc("/act/Mul")
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %4 = graph.mul %3, %half : (tensor<2x3x7xf32>, tensor<f32>) -> tensor<2x3x7xf32> loc("/act/Mul_1")
  return %4 : tensor<2x3x7xf32>
}

// -----

// (0.5 * x) * (1 + erf(x * (1 / sqrt(2)))): the constants first, a product
// with 1/sqrt(2) and the 0.5 applied to x before the product.
// CHECK-LABEL: func.func @gelu_erf_scaled_first
// CHECK-SAME: (%[[X:.+]]: tensor<3x7xf32>)
// CHECK-NEXT: %[[G:.+]] = graph.gelu %[[X]] : tensor<3x7xf32>
// CHECK-NEXT: return %[[G]]
func.func @gelu_erf_scaled_first(%x: tensor<3x7xf32>) -> tensor<3x7xf32> {
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %0 = graph.mul %half, %x : (tensor<f32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %isqrt2 = graph.constant dense<0.707106769> : tensor<1xf32>
  %1 = graph.mul %isqrt2, %x : (tensor<1xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %2 = graph.erf %1 : tensor<3x7xf32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %3 = graph.add %one, %2 : (tensor<f32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %4 = graph.mul %0, %3 : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  return %4 : tensor<3x7xf32>
}

// -----

// In bf16, the constants are sqrt(2) and 0.5 rounded to bf16.
// CHECK-LABEL: func.func @gelu_erf_bf16
// CHECK-SAME: (%[[X:.+]]: tensor<3x7xbf16>)
// CHECK-NEXT: %[[G:.+]] = graph.gelu %[[X]] : tensor<3x7xbf16>
// CHECK-NEXT: return %[[G]]
func.func @gelu_erf_bf16(%x: tensor<3x7xbf16>) -> tensor<3x7xbf16> {
  %sqrt2 = graph.constant dense<1.414060e+00> : tensor<bf16>
  %0 = graph.div %x, %sqrt2 : (tensor<3x7xbf16>, tensor<bf16>) -> tensor<3x7xbf16>
  %1 = graph.erf %0 : tensor<3x7xbf16>
  %one = graph.constant dense<1.0> : tensor<bf16>
  %2 = graph.add %1, %one : (tensor<3x7xbf16>, tensor<bf16>) -> tensor<3x7xbf16>
  %3 = graph.mul %x, %2 : (tensor<3x7xbf16>, tensor<3x7xbf16>) -> tensor<3x7xbf16>
  %half = graph.constant dense<5.000000e-01> : tensor<bf16>
  %4 = graph.mul %3, %half : (tensor<3x7xbf16>, tensor<bf16>) -> tensor<3x7xbf16>
  return %4 : tensor<3x7xbf16>
}

// -----

// 0.6 is not 0.5.
// CHECK-LABEL: func.func @gelu_wrong_half
// CHECK-NOT: graph.gelu
// CHECK: graph.erf
func.func @gelu_wrong_half(%x: tensor<3x7xf32>) -> tensor<3x7xf32> {
  %sqrt2 = graph.constant dense<1.41421354> : tensor<f32>
  %0 = graph.div %x, %sqrt2 : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %1 = graph.erf %0 : tensor<3x7xf32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %2 = graph.add %1, %one : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %3 = graph.mul %x, %2 : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %c = graph.constant dense<6.000000e-01> : tensor<f32>
  %4 = graph.mul %3, %c : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  return %4 : tensor<3x7xf32>
}

// -----

// x / 2 inside erf is not x / sqrt(2).
// CHECK-LABEL: func.func @gelu_wrong_divisor
// CHECK-NOT: graph.gelu
// CHECK: graph.erf
func.func @gelu_wrong_divisor(%x: tensor<3x7xf32>) -> tensor<3x7xf32> {
  %two = graph.constant dense<2.0> : tensor<f32>
  %0 = graph.div %x, %two : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %1 = graph.erf %0 : tensor<3x7xf32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %2 = graph.add %1, %one : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %3 = graph.mul %x, %2 : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %4 = graph.mul %3, %half : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  return %4 : tensor<3x7xf32>
}

// -----

// The erf is also returned: the chain stays whole.
// CHECK-LABEL: func.func @gelu_erf_used_outside
// CHECK-NOT: graph.gelu
// CHECK: %[[E:.+]] = graph.erf
// CHECK: return %{{.+}}, %[[E]]
func.func @gelu_erf_used_outside(%x: tensor<3x7xf32>) -> (tensor<3x7xf32>, tensor<3x7xf32>) {
  %sqrt2 = graph.constant dense<1.41421354> : tensor<f32>
  %0 = graph.div %x, %sqrt2 : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %1 = graph.erf %0 : tensor<3x7xf32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %2 = graph.add %1, %one : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %3 = graph.mul %x, %2 : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %4 = graph.mul %3, %half : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  return %4, %1 : tensor<3x7xf32>, tensor<3x7xf32>
}

// -----

// The factor outside erf is another value than the one inside.
// CHECK-LABEL: func.func @gelu_other_input
// CHECK-NOT: graph.gelu
// CHECK: graph.erf
func.func @gelu_other_input(%x: tensor<3x7xf32>, %y: tensor<3x7xf32>) -> tensor<3x7xf32> {
  %sqrt2 = graph.constant dense<1.41421354> : tensor<f32>
  %0 = graph.div %x, %sqrt2 : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %1 = graph.erf %0 : tensor<3x7xf32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %2 = graph.add %1, %one : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %3 = graph.mul %y, %2 : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %4 = graph.mul %3, %half : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  return %4 : tensor<3x7xf32>
}

// -----

// A product whose operands broadcast to a larger shape than x: not an
// elementwise function of x.
// CHECK-LABEL: func.func @gelu_broadcast
// CHECK-NOT: graph.gelu
// CHECK: graph.erf
func.func @gelu_broadcast(%x: tensor<7xf32>, %h: tensor<3x1xf32>) -> tensor<3x7xf32> {
  %sqrt2 = graph.constant dense<1.41421354> : tensor<f32>
  %0 = graph.div %x, %sqrt2 : (tensor<7xf32>, tensor<f32>) -> tensor<7xf32>
  %1 = graph.erf %0 : tensor<7xf32>
  %one = graph.constant dense<1.0> : tensor<3x1xf32>
  %2 = graph.add %1, %one : (tensor<7xf32>, tensor<3x1xf32>) -> tensor<3x7xf32>
  %3 = graph.mul %x, %2 : (tensor<7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %4 = graph.mul %3, %half : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  return %4 : tensor<3x7xf32>
}

// -----

//===----------------------------------------------------------------------===//
// GELU, tanh approximation
//===----------------------------------------------------------------------===//

// GPT-2's NewGELU as both exporters write it: (x * 0.5) * (1 + tanh(...)),
// the cube as pow(x, 3).
// CHECK-LABEL: func.func @gelu_tanh_pow
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x7xf32>)
// CHECK-NEXT: %[[G:.+]] = graph.gelu %[[X]] {approximation = #graph.gelu_approx<tanh>} : tensor<2x3x7xf32>
// CHECK-NEXT: return %[[G]]
func.func @gelu_tanh_pow(%x: tensor<2x3x7xf32>) -> tensor<2x3x7xf32> {
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %0 = graph.mul %x, %half : (tensor<2x3x7xf32>, tensor<f32>) -> tensor<2x3x7xf32>
  %three = graph.constant dense<3.000000e+00> : tensor<f32>
  %1 = graph.pow %x, %three : (tensor<2x3x7xf32>, tensor<f32>) -> tensor<2x3x7xf32>
  %k = graph.constant dense<4.471500e-02> : tensor<f32>
  %2 = graph.mul %1, %k : (tensor<2x3x7xf32>, tensor<f32>) -> tensor<2x3x7xf32>
  %3 = graph.add %x, %2 : (tensor<2x3x7xf32>, tensor<2x3x7xf32>) -> tensor<2x3x7xf32>
  %c = graph.constant dense<0.797884583> : tensor<f32>
  %4 = graph.mul %3, %c : (tensor<2x3x7xf32>, tensor<f32>) -> tensor<2x3x7xf32>
  %5 = graph.tanh %4 : tensor<2x3x7xf32>
  %one = graph.constant dense<1.000000e+00> : tensor<f32>
  %6 = graph.add %5, %one : (tensor<2x3x7xf32>, tensor<f32>) -> tensor<2x3x7xf32>
  %7 = graph.mul %0, %6 : (tensor<2x3x7xf32>, tensor<2x3x7xf32>) -> tensor<2x3x7xf32>
  return %7 : tensor<2x3x7xf32>
}

// -----

// The cube as x * x * x, constants first, 0.5 applied last.
// CHECK-LABEL: func.func @gelu_tanh_cube
// CHECK-SAME: (%[[X:.+]]: tensor<3x7xf32>)
// CHECK-NEXT: %[[G:.+]] = graph.gelu %[[X]] {approximation = #graph.gelu_approx<tanh>} : tensor<3x7xf32>
// CHECK-NEXT: return %[[G]]
func.func @gelu_tanh_cube(%x: tensor<3x7xf32>) -> tensor<3x7xf32> {
  %0 = graph.mul %x, %x : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %1 = graph.mul %0, %x : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %k = graph.constant dense<4.471500e-02> : tensor<f32>
  %2 = graph.mul %k, %1 : (tensor<f32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %3 = graph.add %2, %x : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %c = graph.constant dense<0.797884583> : tensor<f32>
  %4 = graph.mul %c, %3 : (tensor<f32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %5 = graph.tanh %4 : tensor<3x7xf32>
  %one = graph.constant dense<1.000000e+00> : tensor<f32>
  %6 = graph.add %one, %5 : (tensor<f32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %7 = graph.mul %x, %6 : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %8 = graph.mul %half, %7 : (tensor<f32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  return %8 : tensor<3x7xf32>
}

// -----

// F.gelu(approximate="tanh") with the TorchScript exporter below opset 20:
// the cube as x * (x * x), (x * (1 + tanh(...))) * 0.5.
// CHECK-LABEL: func.func @gelu_tanh_torchscript
// CHECK-SAME: (%[[X:.+]]: tensor<3x7xf32>)
// CHECK-NEXT: %[[G:.+]] = graph.gelu %[[X]] {approximation = #graph.gelu_approx<tanh>} : tensor<3x7xf32>
// CHECK-NEXT: return %[[G]]
func.func @gelu_tanh_torchscript(%x: tensor<3x7xf32>) -> tensor<3x7xf32> {
  %0 = graph.mul %x, %x : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %1 = graph.mul %x, %0 : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %k = graph.constant dense<4.471500e-02> : tensor<f32>
  %2 = graph.mul %1, %k : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %3 = graph.add %x, %2 : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %c = graph.constant dense<0.797884583> : tensor<f32>
  %4 = graph.mul %3, %c : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %5 = graph.tanh %4 : tensor<3x7xf32>
  %one = graph.constant dense<1.000000e+00> : tensor<f32>
  %6 = graph.add %5, %one : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %7 = graph.mul %x, %6 : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %8 = graph.mul %7, %half : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  return %8 : tensor<3x7xf32>
}

// -----

// pow(x, 2) is not the cube.
// CHECK-LABEL: func.func @gelu_tanh_wrong_exponent
// CHECK-NOT: graph.gelu
// CHECK: graph.tanh
func.func @gelu_tanh_wrong_exponent(%x: tensor<3x7xf32>) -> tensor<3x7xf32> {
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %0 = graph.mul %x, %half : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %two = graph.constant dense<2.000000e+00> : tensor<f32>
  %1 = graph.pow %x, %two : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %k = graph.constant dense<4.471500e-02> : tensor<f32>
  %2 = graph.mul %1, %k : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %3 = graph.add %x, %2 : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %c = graph.constant dense<0.797884583> : tensor<f32>
  %4 = graph.mul %3, %c : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %5 = graph.tanh %4 : tensor<3x7xf32>
  %one = graph.constant dense<1.000000e+00> : tensor<f32>
  %6 = graph.add %5, %one : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %7 = graph.mul %0, %6 : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  return %7 : tensor<3x7xf32>
}

// -----

// 0.05 is not 0.044715.
// CHECK-LABEL: func.func @gelu_tanh_wrong_coefficient
// CHECK-NOT: graph.gelu
// CHECK: graph.tanh
func.func @gelu_tanh_wrong_coefficient(%x: tensor<3x7xf32>) -> tensor<3x7xf32> {
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %0 = graph.mul %x, %half : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %three = graph.constant dense<3.000000e+00> : tensor<f32>
  %1 = graph.pow %x, %three : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %k = graph.constant dense<5.000000e-02> : tensor<f32>
  %2 = graph.mul %1, %k : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %3 = graph.add %x, %2 : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  %c = graph.constant dense<0.797884583> : tensor<f32>
  %4 = graph.mul %3, %c : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %5 = graph.tanh %4 : tensor<3x7xf32>
  %one = graph.constant dense<1.000000e+00> : tensor<f32>
  %6 = graph.add %5, %one : (tensor<3x7xf32>, tensor<f32>) -> tensor<3x7xf32>
  %7 = graph.mul %0, %6 : (tensor<3x7xf32>, tensor<3x7xf32>) -> tensor<3x7xf32>
  return %7 : tensor<3x7xf32>
}

// -----

//===----------------------------------------------------------------------===//
// LayerNorm
//===----------------------------------------------------------------------===//

// The TorchScript exporter below opset 17: pow(d, 2), a division, then the
// scale and the bias (constants here, as the importer folds small weights).
// CHECK-LABEL: func.func @layernorm_torchscript
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x24xf32>, %[[W:.+]]: tensor<24xf32>, %[[B:.+]]: tensor<24xf32>)
// CHECK-NEXT: %[[Y:.+]] = graph.layernorm %[[X]], %[[W]], %[[B]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
// CHECK-SAME: (tensor<2x3x24xf32>, tensor<24xf32>, tensor<24xf32>) -> tensor<2x3x24xf32>
// CHECK-NEXT: return %[[Y]]
func.func @layernorm_torchscript(%x: tensor<2x3x24xf32>, %w: tensor<24xf32>, %b: tensor<24xf32>) -> tensor<2x3x24xf32> {
  %0 = graph.reduce_mean %x {axes = array<i64: 2>, keep_dims} : (tensor<2x3x24xf32>) -> tensor<2x3x1xf32>
  %1 = graph.sub %x, %0 : (tensor<2x3x24xf32>, tensor<2x3x1xf32>) -> tensor<2x3x24xf32>
  %two = graph.constant dense<2.000000e+00> : tensor<f32>
  %2 = graph.pow %1, %two : (tensor<2x3x24xf32>, tensor<f32>) -> tensor<2x3x24xf32>
  %3 = graph.reduce_mean %2 {axes = array<i64: 2>, keep_dims} : (tensor<2x3x24xf32>) -> tensor<2x3x1xf32>
  %eps = graph.constant dense<9.99999974E-6> : tensor<f32>
  %4 = graph.add %3, %eps : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %5 = graph.sqrt %4 : tensor<2x3x1xf32>
  %6 = graph.div %1, %5 : (tensor<2x3x24xf32>, tensor<2x3x1xf32>) -> tensor<2x3x24xf32>
  %7 = graph.mul %6, %w : (tensor<2x3x24xf32>, tensor<24xf32>) -> tensor<2x3x24xf32>
  %8 = graph.add %7, %b : (tensor<2x3x24xf32>, tensor<24xf32>) -> tensor<2x3x24xf32>
  return %8 : tensor<2x3x24xf32>
}

// -----

// d * d, eps first, the reciprocal of the deviation, a bias without a scale
// (which becomes a scale of one), over the last two dimensions.
// CHECK-LABEL: func.func @layernorm_two_axes_bias_only
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x24xf32>, %[[B:.+]]: tensor<3x1xf32>)
// CHECK: %[[ONE:.+]] = graph.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[Y:.+]] = graph.layernorm %[[X]], %[[ONE]], %[[B]] {axis = 1 : i64, epsilon = 9.99999996E-13 : f32}
// CHECK-SAME: (tensor<2x3x24xf32>, tensor<f32>, tensor<3x1xf32>) -> tensor<2x3x24xf32>
// CHECK-NEXT: return %[[Y]]
func.func @layernorm_two_axes_bias_only(%x: tensor<2x3x24xf32>, %b: tensor<3x1xf32>) -> tensor<2x3x24xf32> {
  %0 = graph.reduce_mean %x {axes = array<i64: 1, 2>, keep_dims} : (tensor<2x3x24xf32>) -> tensor<2x1x1xf32>
  %1 = graph.sub %x, %0 : (tensor<2x3x24xf32>, tensor<2x1x1xf32>) -> tensor<2x3x24xf32>
  %2 = graph.mul %1, %1 : (tensor<2x3x24xf32>, tensor<2x3x24xf32>) -> tensor<2x3x24xf32>
  %3 = graph.reduce_mean %2 {axes = array<i64: 1, 2>, keep_dims} : (tensor<2x3x24xf32>) -> tensor<2x1x1xf32>
  %eps = graph.constant dense<9.99999996E-13> : tensor<1xf32>
  %4 = graph.add %eps, %3 : (tensor<1xf32>, tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %5 = graph.sqrt %4 : tensor<2x1x1xf32>
  %6 = graph.reciprocal %5 : tensor<2x1x1xf32>
  %7 = graph.mul %6, %1 : (tensor<2x1x1xf32>, tensor<2x3x24xf32>) -> tensor<2x3x24xf32>
  %8 = graph.add %b, %7 : (tensor<3x1xf32>, tensor<2x3x24xf32>) -> tensor<2x3x24xf32>
  return %8 : tensor<2x3x24xf32>
}

// -----

// A scale of shape 1x1x24 is reshaped to the normalized shape.
// CHECK-LABEL: func.func @layernorm_scale_rank
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x24xf32>, %[[W:.+]]: tensor<1x1x24xf32>)
// CHECK-NEXT: %[[W1:.+]] = graph.reshape %[[W]] : tensor<1x1x24xf32> to tensor<24xf32>
// CHECK-NEXT: %[[Y:.+]] = graph.layernorm %[[X]], %[[W1]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @layernorm_scale_rank(%x: tensor<2x3x24xf32>, %w: tensor<1x1x24xf32>) -> tensor<2x3x24xf32> {
  %0 = graph.reduce_mean %x {axes = array<i64: 2>, keep_dims} : (tensor<2x3x24xf32>) -> tensor<2x3x1xf32>
  %1 = graph.sub %x, %0 : (tensor<2x3x24xf32>, tensor<2x3x1xf32>) -> tensor<2x3x24xf32>
  %2 = graph.mul %1, %1 : (tensor<2x3x24xf32>, tensor<2x3x24xf32>) -> tensor<2x3x24xf32>
  %3 = graph.reduce_mean %2 {axes = array<i64: 2>, keep_dims} : (tensor<2x3x24xf32>) -> tensor<2x3x1xf32>
  %eps = graph.constant dense<9.99999974E-6> : tensor<f32>
  %4 = graph.add %3, %eps : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %5 = graph.sqrt %4 : tensor<2x3x1xf32>
  %6 = graph.div %1, %5 : (tensor<2x3x24xf32>, tensor<2x3x1xf32>) -> tensor<2x3x24xf32>
  %7 = graph.mul %w, %6 : (tensor<1x1x24xf32>, tensor<2x3x24xf32>) -> tensor<2x3x24xf32>
  return %7 : tensor<2x3x24xf32>
}

// -----

// The statistics over dimension 1 of 2x3x24, not the trailing ones.
// CHECK-LABEL: func.func @layernorm_wrong_axis
// CHECK-NOT: graph.layernorm
// CHECK-NOT: graph.rmsnorm
// CHECK: graph.sqrt
func.func @layernorm_wrong_axis(%x: tensor<2x3x24xf32>) -> tensor<2x3x24xf32> {
  %0 = graph.reduce_mean %x {axes = array<i64: 1>, keep_dims} : (tensor<2x3x24xf32>) -> tensor<2x1x24xf32>
  %1 = graph.sub %x, %0 : (tensor<2x3x24xf32>, tensor<2x1x24xf32>) -> tensor<2x3x24xf32>
  %2 = graph.mul %1, %1 : (tensor<2x3x24xf32>, tensor<2x3x24xf32>) -> tensor<2x3x24xf32>
  %3 = graph.reduce_mean %2 {axes = array<i64: 1>, keep_dims} : (tensor<2x3x24xf32>) -> tensor<2x1x24xf32>
  %eps = graph.constant dense<9.99999974E-6> : tensor<f32>
  %4 = graph.add %3, %eps : (tensor<2x1x24xf32>, tensor<f32>) -> tensor<2x1x24xf32>
  %5 = graph.sqrt %4 : tensor<2x1x24xf32>
  %6 = graph.div %1, %5 : (tensor<2x3x24xf32>, tensor<2x1x24xf32>) -> tensor<2x3x24xf32>
  return %6 : tensor<2x3x24xf32>
}

// -----

// The reductions without kept dimensions: x - mean broadcasts differently.
// CHECK-LABEL: func.func @layernorm_dims_not_kept
// CHECK-NOT: graph.layernorm
// CHECK-NOT: graph.rmsnorm
// CHECK: graph.sqrt
func.func @layernorm_dims_not_kept(%x: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %0 = graph.reduce_mean %x {axes = array<i64: 1>} : (tensor<3x3xf32>) -> tensor<3xf32>
  %1 = graph.sub %x, %0 : (tensor<3x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  %2 = graph.mul %1, %1 : (tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  %3 = graph.reduce_mean %2 {axes = array<i64: 1>} : (tensor<3x3xf32>) -> tensor<3xf32>
  %eps = graph.constant dense<9.99999974E-6> : tensor<f32>
  %4 = graph.add %3, %eps : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %5 = graph.sqrt %4 : tensor<3xf32>
  %6 = graph.div %1, %5 : (tensor<3x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return %6 : tensor<3x3xf32>
}

// -----

// The variance is also returned: nothing is rewritten.
// CHECK-LABEL: func.func @layernorm_variance_used_outside
// CHECK-NOT: graph.layernorm
// CHECK-NOT: graph.rmsnorm
// CHECK: %[[V:.+]] = graph.add
// CHECK: graph.sqrt %[[V]]
// CHECK: return %{{.+}}, %[[V]]
func.func @layernorm_variance_used_outside(%x: tensor<2x3x24xf32>) -> (tensor<2x3x24xf32>, tensor<2x3x1xf32>) {
  %0 = graph.reduce_mean %x {axes = array<i64: 2>, keep_dims} : (tensor<2x3x24xf32>) -> tensor<2x3x1xf32>
  %1 = graph.sub %x, %0 : (tensor<2x3x24xf32>, tensor<2x3x1xf32>) -> tensor<2x3x24xf32>
  %2 = graph.mul %1, %1 : (tensor<2x3x24xf32>, tensor<2x3x24xf32>) -> tensor<2x3x24xf32>
  %3 = graph.reduce_mean %2 {axes = array<i64: 2>, keep_dims} : (tensor<2x3x24xf32>) -> tensor<2x3x1xf32>
  %eps = graph.constant dense<9.99999974E-6> : tensor<f32>
  %4 = graph.add %3, %eps : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %5 = graph.sqrt %4 : tensor<2x3x1xf32>
  %6 = graph.div %1, %5 : (tensor<2x3x24xf32>, tensor<2x3x1xf32>) -> tensor<2x3x24xf32>
  return %6, %4 : tensor<2x3x24xf32>, tensor<2x3x1xf32>
}

// -----

// The mean is also returned: it and x - mean stay, and the rest is an
// RMSNorm of x - mean (with the scale; the bias stays an add).
// CHECK-LABEL: func.func @layernorm_mean_used_outside
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x24xf32>, %[[W:.+]]: tensor<24xf32>, %[[B:.+]]: tensor<24xf32>)
// CHECK-NEXT: %[[M:.+]] = graph.reduce_mean %[[X]]
// CHECK-NEXT: %[[D:.+]] = graph.sub %[[X]], %[[M]]
// CHECK-NEXT: %[[N:.+]] = graph.rmsnorm %[[D]], %[[W]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
// CHECK-NEXT: %[[Y:.+]] = graph.add %[[N]], %[[B]]
// CHECK-NEXT: return %[[Y]], %[[M]]
func.func @layernorm_mean_used_outside(%x: tensor<2x3x24xf32>, %w: tensor<24xf32>, %b: tensor<24xf32>) -> (tensor<2x3x24xf32>, tensor<2x3x1xf32>) {
  %0 = graph.reduce_mean %x {axes = array<i64: 2>, keep_dims} : (tensor<2x3x24xf32>) -> tensor<2x3x1xf32>
  %1 = graph.sub %x, %0 : (tensor<2x3x24xf32>, tensor<2x3x1xf32>) -> tensor<2x3x24xf32>
  %2 = graph.mul %1, %1 : (tensor<2x3x24xf32>, tensor<2x3x24xf32>) -> tensor<2x3x24xf32>
  %3 = graph.reduce_mean %2 {axes = array<i64: 2>, keep_dims} : (tensor<2x3x24xf32>) -> tensor<2x3x1xf32>
  %eps = graph.constant dense<9.99999974E-6> : tensor<f32>
  %4 = graph.add %3, %eps : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %5 = graph.sqrt %4 : tensor<2x3x1xf32>
  %6 = graph.div %1, %5 : (tensor<2x3x24xf32>, tensor<2x3x1xf32>) -> tensor<2x3x24xf32>
  %7 = graph.mul %6, %w : (tensor<2x3x24xf32>, tensor<24xf32>) -> tensor<2x3x24xf32>
  %8 = graph.add %7, %b : (tensor<2x3x24xf32>, tensor<24xf32>) -> tensor<2x3x24xf32>
  return %8, %0 : tensor<2x3x24xf32>, tensor<2x3x1xf32>
}

// -----

// A "scale" of shape 3x24 varies along dimension 1, which is not normalized:
// it is not a LayerNorm parameter, and it and the bias after it stay.
// CHECK-LABEL: func.func @layernorm_scale_not_normalized
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x24xf32>, %[[W:.+]]: tensor<3x24xf32>, %[[B:.+]]: tensor<24xf32>)
// CHECK: %[[ONE:.+]] = graph.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[N:.+]] = graph.layernorm %[[X]], %[[ONE]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
// CHECK-NEXT: %[[S:.+]] = graph.mul %[[N]], %[[W]]
// CHECK-NEXT: %[[Y:.+]] = graph.add %[[S]], %[[B]]
// CHECK-NEXT: return %[[Y]]
func.func @layernorm_scale_not_normalized(%x: tensor<2x3x24xf32>, %w: tensor<3x24xf32>, %b: tensor<24xf32>) -> tensor<2x3x24xf32> {
  %0 = graph.reduce_mean %x {axes = array<i64: 2>, keep_dims} : (tensor<2x3x24xf32>) -> tensor<2x3x1xf32>
  %1 = graph.sub %x, %0 : (tensor<2x3x24xf32>, tensor<2x3x1xf32>) -> tensor<2x3x24xf32>
  %2 = graph.mul %1, %1 : (tensor<2x3x24xf32>, tensor<2x3x24xf32>) -> tensor<2x3x24xf32>
  %3 = graph.reduce_mean %2 {axes = array<i64: 2>, keep_dims} : (tensor<2x3x24xf32>) -> tensor<2x3x1xf32>
  %eps = graph.constant dense<9.99999974E-6> : tensor<f32>
  %4 = graph.add %3, %eps : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %5 = graph.sqrt %4 : tensor<2x3x1xf32>
  %6 = graph.div %1, %5 : (tensor<2x3x24xf32>, tensor<2x3x1xf32>) -> tensor<2x3x24xf32>
  %7 = graph.mul %6, %w : (tensor<2x3x24xf32>, tensor<3x24xf32>) -> tensor<2x3x24xf32>
  %8 = graph.add %7, %b : (tensor<2x3x24xf32>, tensor<24xf32>) -> tensor<2x3x24xf32>
  return %8 : tensor<2x3x24xf32>
}

// -----

// In f64, epsilon 1e-5 has no exact f32 value (the ops' attribute): left as
// written.
// CHECK-LABEL: func.func @layernorm_f64_epsilon
// CHECK-NOT: graph.layernorm
// CHECK: graph.sqrt
func.func @layernorm_f64_epsilon(%x: tensor<3x24xf64>) -> tensor<3x24xf64> {
  %0 = graph.reduce_mean %x {axes = array<i64: 1>, keep_dims} : (tensor<3x24xf64>) -> tensor<3x1xf64>
  %1 = graph.sub %x, %0 : (tensor<3x24xf64>, tensor<3x1xf64>) -> tensor<3x24xf64>
  %2 = graph.mul %1, %1 : (tensor<3x24xf64>, tensor<3x24xf64>) -> tensor<3x24xf64>
  %3 = graph.reduce_mean %2 {axes = array<i64: 1>, keep_dims} : (tensor<3x24xf64>) -> tensor<3x1xf64>
  %eps = graph.constant dense<1.0E-5> : tensor<f64>
  %4 = graph.add %3, %eps : (tensor<3x1xf64>, tensor<f64>) -> tensor<3x1xf64>
  %5 = graph.sqrt %4 : tensor<3x1xf64>
  %6 = graph.div %1, %5 : (tensor<3x24xf64>, tensor<3x1xf64>) -> tensor<3x24xf64>
  return %6 : tensor<3x24xf64>
}

// -----

//===----------------------------------------------------------------------===//
// RMSNorm
//===----------------------------------------------------------------------===//

// Llama, Qwen2, Mistral, Phi-3 with the dynamo exporter: reciprocal, then
// weight * normalized.
// CHECK-LABEL: func.func @rmsnorm_dynamo
// CHECK-SAME: (%[[X:.+]]: tensor<1x5x24xf32>)
// CHECK-NEXT: %[[W:.+]] = graph.weight "input_norm.weight" : tensor<24xf32>
// CHECK-NEXT: %[[Y:.+]] = graph.rmsnorm %[[X]], %[[W]] {axis = 2 : i64, epsilon = 9.99999997E-7 : f32}
// CHECK-SAME: (tensor<1x5x24xf32>, tensor<24xf32>) -> tensor<1x5x24xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rmsnorm_dynamo(%x: tensor<1x5x24xf32>) -> tensor<1x5x24xf32> {
  %two = graph.constant dense<2.000000e+00> : tensor<f32>
  %0 = graph.pow %x, %two : (tensor<1x5x24xf32>, tensor<f32>) -> tensor<1x5x24xf32>
  %1 = graph.reduce_mean %0 {axes = array<i64: 2>, keep_dims} : (tensor<1x5x24xf32>) -> tensor<1x5x1xf32>
  %eps = graph.constant dense<9.99999997E-7> : tensor<f32>
  %2 = graph.add %1, %eps : (tensor<1x5x1xf32>, tensor<f32>) -> tensor<1x5x1xf32>
  %3 = graph.sqrt %2 : tensor<1x5x1xf32>
  %4 = graph.reciprocal %3 : tensor<1x5x1xf32>
  %5 = graph.mul %x, %4 : (tensor<1x5x24xf32>, tensor<1x5x1xf32>) -> tensor<1x5x24xf32>
  %w = graph.weight "input_norm.weight" : tensor<24xf32>
  %6 = graph.mul %w, %5 : (tensor<24xf32>, tensor<1x5x24xf32>) -> tensor<1x5x24xf32>
  return %6 : tensor<1x5x24xf32>
}

// -----

// The TorchScript exporter writes rsqrt as 1 / sqrt.
// CHECK-LABEL: func.func @rmsnorm_torchscript
// CHECK-SAME: (%[[X:.+]]: tensor<1x5x24xf32>, %[[W:.+]]: tensor<24xf32>)
// CHECK-NEXT: %[[Y:.+]] = graph.rmsnorm %[[X]], %[[W]] {axis = 2 : i64, epsilon = 9.99999997E-7 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @rmsnorm_torchscript(%x: tensor<1x5x24xf32>, %w: tensor<24xf32>) -> tensor<1x5x24xf32> {
  %two = graph.constant dense<2.000000e+00> : tensor<f32>
  %0 = graph.pow %x, %two : (tensor<1x5x24xf32>, tensor<f32>) -> tensor<1x5x24xf32>
  %1 = graph.reduce_mean %0 {axes = array<i64: 2>, keep_dims} : (tensor<1x5x24xf32>) -> tensor<1x5x1xf32>
  %eps = graph.constant dense<9.99999997E-7> : tensor<f32>
  %2 = graph.add %1, %eps : (tensor<1x5x1xf32>, tensor<f32>) -> tensor<1x5x1xf32>
  %3 = graph.sqrt %2 : tensor<1x5x1xf32>
  %one = graph.constant dense<1.000000e+00> : tensor<f32>
  %4 = graph.div %one, %3 : (tensor<f32>, tensor<1x5x1xf32>) -> tensor<1x5x1xf32>
  %5 = graph.mul %x, %4 : (tensor<1x5x24xf32>, tensor<1x5x1xf32>) -> tensor<1x5x24xf32>
  %6 = graph.mul %w, %5 : (tensor<24xf32>, tensor<1x5x24xf32>) -> tensor<1x5x24xf32>
  return %6 : tensor<1x5x24xf32>
}

// -----

// Gemma multiplies by (1 + weight): the scale is that sum, which stays.
// Without a weight, x * x and a division, the scale is one.
// CHECK-LABEL: func.func @rmsnorm_gemma_and_plain
// CHECK-SAME: (%[[X:.+]]: tensor<5x24xf32>, %[[W:.+]]: tensor<24xf32>)
// CHECK: %[[S:.+]] = graph.add %[[W]], %{{.+}} : (tensor<24xf32>, tensor<f32>) -> tensor<24xf32>
// CHECK-NEXT: %[[Y:.+]] = graph.rmsnorm %[[X]], %[[S]] {axis = 1 : i64, epsilon = 9.99999997E-7 : f32}
// CHECK-NEXT: %[[ONE:.+]] = graph.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[Z:.+]] = graph.rmsnorm %[[Y]], %[[ONE]] {axis = 1 : i64, epsilon = 9.99999997E-7 : f32}
// CHECK-NEXT: return %[[Z]]
func.func @rmsnorm_gemma_and_plain(%x: tensor<5x24xf32>, %w: tensor<24xf32>) -> tensor<5x24xf32> {
  %two = graph.constant dense<2.000000e+00> : tensor<f32>
  %0 = graph.pow %x, %two : (tensor<5x24xf32>, tensor<f32>) -> tensor<5x24xf32>
  %1 = graph.reduce_mean %0 {axes = array<i64: 1>, keep_dims} : (tensor<5x24xf32>) -> tensor<5x1xf32>
  %eps = graph.constant dense<9.99999997E-7> : tensor<f32>
  %2 = graph.add %1, %eps : (tensor<5x1xf32>, tensor<f32>) -> tensor<5x1xf32>
  %3 = graph.sqrt %2 : tensor<5x1xf32>
  %4 = graph.reciprocal %3 : tensor<5x1xf32>
  %5 = graph.mul %x, %4 : (tensor<5x24xf32>, tensor<5x1xf32>) -> tensor<5x24xf32>
  %one = graph.constant dense<1.000000e+00> : tensor<f32>
  %s = graph.add %w, %one : (tensor<24xf32>, tensor<f32>) -> tensor<24xf32>
  %6 = graph.mul %5, %s : (tensor<5x24xf32>, tensor<24xf32>) -> tensor<5x24xf32>
  %7 = graph.mul %6, %6 : (tensor<5x24xf32>, tensor<5x24xf32>) -> tensor<5x24xf32>
  %8 = graph.reduce_mean %7 {axes = array<i64: 1>, keep_dims} : (tensor<5x24xf32>) -> tensor<5x1xf32>
  %9 = graph.add %8, %eps : (tensor<5x1xf32>, tensor<f32>) -> tensor<5x1xf32>
  %10 = graph.sqrt %9 : tensor<5x1xf32>
  %11 = graph.div %6, %10 : (tensor<5x24xf32>, tensor<5x1xf32>) -> tensor<5x24xf32>
  return %11 : tensor<5x24xf32>
}

// -----

// A float16 Llama RMSNorm as the exporters write it: the statistics in f32
// between casts, the f16 weight applied after the cast back. The f32 part is
// an RMSNorm; the weight stays outside, since moving it before the cast would
// round differently.
// CHECK-LABEL: func.func @rmsnorm_f16_casts
// CHECK-SAME: (%[[X:.+]]: tensor<2x24xf16>, %[[W:.+]]: tensor<24xf16>)
// CHECK-NEXT: %[[X32:.+]] = graph.cast %[[X]] : tensor<2x24xf16> to tensor<2x24xf32>
// CHECK: %[[N:.+]] = graph.rmsnorm %[[X32]], %{{.+}} {axis = 1 : i64, epsilon = 9.99999997E-7 : f32}
// CHECK-NEXT: %[[N16:.+]] = graph.cast %[[N]] : tensor<2x24xf32> to tensor<2x24xf16>
// CHECK-NEXT: %[[Y:.+]] = graph.mul %[[W]], %[[N16]]
// CHECK-NEXT: return %[[Y]]
func.func @rmsnorm_f16_casts(%x: tensor<2x24xf16>, %w: tensor<24xf16>) -> tensor<2x24xf16> {
  %x32 = graph.cast %x : tensor<2x24xf16> to tensor<2x24xf32>
  %two = graph.constant dense<2.000000e+00> : tensor<f32>
  %0 = graph.pow %x32, %two : (tensor<2x24xf32>, tensor<f32>) -> tensor<2x24xf32>
  %1 = graph.reduce_mean %0 {axes = array<i64: 1>, keep_dims} : (tensor<2x24xf32>) -> tensor<2x1xf32>
  %eps = graph.constant dense<9.99999997E-7> : tensor<f32>
  %2 = graph.add %1, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %3 = graph.sqrt %2 : tensor<2x1xf32>
  %4 = graph.reciprocal %3 : tensor<2x1xf32>
  %5 = graph.mul %x32, %4 : (tensor<2x24xf32>, tensor<2x1xf32>) -> tensor<2x24xf32>
  %6 = graph.cast %5 : tensor<2x24xf32> to tensor<2x24xf16>
  %7 = graph.mul %w, %6 : (tensor<24xf16>, tensor<2x24xf16>) -> tensor<2x24xf16>
  return %7 : tensor<2x24xf16>
}

// -----

// x^3 is not the square.
// CHECK-LABEL: func.func @rmsnorm_wrong_exponent
// CHECK-NOT: graph.rmsnorm
// CHECK: graph.sqrt
func.func @rmsnorm_wrong_exponent(%x: tensor<5x24xf32>) -> tensor<5x24xf32> {
  %three = graph.constant dense<3.000000e+00> : tensor<f32>
  %0 = graph.pow %x, %three : (tensor<5x24xf32>, tensor<f32>) -> tensor<5x24xf32>
  %1 = graph.reduce_mean %0 {axes = array<i64: 1>, keep_dims} : (tensor<5x24xf32>) -> tensor<5x1xf32>
  %eps = graph.constant dense<9.99999997E-7> : tensor<f32>
  %2 = graph.add %1, %eps : (tensor<5x1xf32>, tensor<f32>) -> tensor<5x1xf32>
  %3 = graph.sqrt %2 : tensor<5x1xf32>
  %4 = graph.div %x, %3 : (tensor<5x24xf32>, tensor<5x1xf32>) -> tensor<5x24xf32>
  return %4 : tensor<5x24xf32>
}

// -----

// The mean of squares over the leading dimension.
// CHECK-LABEL: func.func @rmsnorm_wrong_axis
// CHECK-NOT: graph.rmsnorm
// CHECK: graph.sqrt
func.func @rmsnorm_wrong_axis(%x: tensor<5x24xf32>) -> tensor<5x24xf32> {
  %0 = graph.mul %x, %x : (tensor<5x24xf32>, tensor<5x24xf32>) -> tensor<5x24xf32>
  %1 = graph.reduce_mean %0 {axes = array<i64: 0>, keep_dims} : (tensor<5x24xf32>) -> tensor<1x24xf32>
  %eps = graph.constant dense<9.99999997E-7> : tensor<f32>
  %2 = graph.add %1, %eps : (tensor<1x24xf32>, tensor<f32>) -> tensor<1x24xf32>
  %3 = graph.sqrt %2 : tensor<1x24xf32>
  %4 = graph.div %x, %3 : (tensor<5x24xf32>, tensor<1x24xf32>) -> tensor<5x24xf32>
  return %4 : tensor<5x24xf32>
}

// -----

// The reciprocal of the deviation is also returned.
// CHECK-LABEL: func.func @rmsnorm_used_outside
// CHECK-NOT: graph.rmsnorm
// CHECK: %[[R:.+]] = graph.reciprocal
// CHECK: return %{{.+}}, %[[R]]
func.func @rmsnorm_used_outside(%x: tensor<5x24xf32>) -> (tensor<5x24xf32>, tensor<5x1xf32>) {
  %0 = graph.mul %x, %x : (tensor<5x24xf32>, tensor<5x24xf32>) -> tensor<5x24xf32>
  %1 = graph.reduce_mean %0 {axes = array<i64: 1>, keep_dims} : (tensor<5x24xf32>) -> tensor<5x1xf32>
  %eps = graph.constant dense<9.99999997E-7> : tensor<f32>
  %2 = graph.add %1, %eps : (tensor<5x1xf32>, tensor<f32>) -> tensor<5x1xf32>
  %3 = graph.sqrt %2 : tensor<5x1xf32>
  %4 = graph.reciprocal %3 : tensor<5x1xf32>
  %5 = graph.mul %x, %4 : (tensor<5x24xf32>, tensor<5x1xf32>) -> tensor<5x24xf32>
  return %5, %4 : tensor<5x24xf32>, tensor<5x1xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

// exp(x - max(x)) / sum(exp(x - max(x))) over the last dimension.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x9xf32>)
// CHECK-NEXT: %[[Y:.+]] = graph.softmax %[[X]] {axis = 2 : i64} : tensor<2x3x9xf32>
// CHECK-NEXT: return %[[Y]]
func.func @softmax(%x: tensor<2x3x9xf32>) -> tensor<2x3x9xf32> {
  %0 = graph.reduce_max %x {axes = array<i64: 2>, keep_dims} : (tensor<2x3x9xf32>) -> tensor<2x3x1xf32>
  %1 = graph.sub %x, %0 : (tensor<2x3x9xf32>, tensor<2x3x1xf32>) -> tensor<2x3x9xf32>
  %2 = graph.exp %1 : tensor<2x3x9xf32>
  %3 = graph.reduce_sum %2 {axes = array<i64: 2>, keep_dims} : (tensor<2x3x9xf32>) -> tensor<2x3x1xf32>
  %4 = graph.div %2, %3 : (tensor<2x3x9xf32>, tensor<2x3x1xf32>) -> tensor<2x3x9xf32>
  return %4 : tensor<2x3x9xf32>
}

// -----

// Without the maximum subtracted, times the reciprocal of the sum.
// CHECK-LABEL: func.func @softmax_no_max
// CHECK-SAME: (%[[X:.+]]: tensor<3x9xf32>)
// CHECK-NEXT: %[[Y:.+]] = graph.softmax %[[X]] {axis = 1 : i64} : tensor<3x9xf32>
// CHECK-NEXT: return %[[Y]]
func.func @softmax_no_max(%x: tensor<3x9xf32>) -> tensor<3x9xf32> {
  %0 = graph.exp %x : tensor<3x9xf32>
  %1 = graph.reduce_sum %0 {axes = array<i64: 1>, keep_dims} : (tensor<3x9xf32>) -> tensor<3x1xf32>
  %2 = graph.reciprocal %1 : tensor<3x1xf32>
  %3 = graph.mul %2, %0 : (tensor<3x1xf32>, tensor<3x9xf32>) -> tensor<3x9xf32>
  return %3 : tensor<3x9xf32>
}

// -----

// The maximum over dimension 1, the sum over dimension 2.
// CHECK-LABEL: func.func @softmax_axes_differ
// CHECK-NOT: graph.softmax
// CHECK: graph.exp
func.func @softmax_axes_differ(%x: tensor<2x3x9xf32>) -> tensor<2x3x9xf32> {
  %0 = graph.reduce_max %x {axes = array<i64: 1>, keep_dims} : (tensor<2x3x9xf32>) -> tensor<2x1x9xf32>
  %1 = graph.sub %x, %0 : (tensor<2x3x9xf32>, tensor<2x1x9xf32>) -> tensor<2x3x9xf32>
  %2 = graph.exp %1 : tensor<2x3x9xf32>
  %3 = graph.reduce_sum %2 {axes = array<i64: 2>, keep_dims} : (tensor<2x3x9xf32>) -> tensor<2x3x1xf32>
  %4 = graph.div %2, %3 : (tensor<2x3x9xf32>, tensor<2x3x1xf32>) -> tensor<2x3x9xf32>
  return %4 : tensor<2x3x9xf32>
}

// -----

// Both reductions over dimension 1, not the last.
// CHECK-LABEL: func.func @softmax_not_last
// CHECK-NOT: graph.softmax
// CHECK: graph.exp
func.func @softmax_not_last(%x: tensor<2x3x9xf32>) -> tensor<2x3x9xf32> {
  %0 = graph.reduce_max %x {axes = array<i64: 1>, keep_dims} : (tensor<2x3x9xf32>) -> tensor<2x1x9xf32>
  %1 = graph.sub %x, %0 : (tensor<2x3x9xf32>, tensor<2x1x9xf32>) -> tensor<2x3x9xf32>
  %2 = graph.exp %1 : tensor<2x3x9xf32>
  %3 = graph.reduce_sum %2 {axes = array<i64: 1>, keep_dims} : (tensor<2x3x9xf32>) -> tensor<2x1x9xf32>
  %4 = graph.div %2, %3 : (tensor<2x3x9xf32>, tensor<2x1x9xf32>) -> tensor<2x3x9xf32>
  return %4 : tensor<2x3x9xf32>
}

// -----

// The exponentials are also returned.
// CHECK-LABEL: func.func @softmax_exp_used_outside
// CHECK-NOT: graph.softmax
// CHECK: %[[E:.+]] = graph.exp
// CHECK: return %{{.+}}, %[[E]]
func.func @softmax_exp_used_outside(%x: tensor<3x9xf32>) -> (tensor<3x9xf32>, tensor<3x9xf32>) {
  %0 = graph.exp %x : tensor<3x9xf32>
  %1 = graph.reduce_sum %0 {axes = array<i64: 1>, keep_dims} : (tensor<3x9xf32>) -> tensor<3x1xf32>
  %2 = graph.div %0, %1 : (tensor<3x9xf32>, tensor<3x1xf32>) -> tensor<3x9xf32>
  return %2, %0 : tensor<3x9xf32>, tensor<3x9xf32>
}

// -----

// GPT-2's attention: the scores divided by sqrt(D), a causal boolean mask
// keeping scores (the rest become the lowest float), softmax over the keys,
// the product with V. K^T is transposed back to K.
// CHECK-LABEL: func.func @attention_keep
// CHECK-SAME:    (%[[Q:.+]]: tensor<2x5x41x24xf32>, %[[KT:.+]]: tensor<2x5x24x41xf32>, %[[V:.+]]: tensor<2x5x41x24xf32>, %[[M:.+]]: tensor<1x1x41x41xi1>)
// CHECK-NOT:     graph.softmax
// CHECK:         %[[K:.+]] = graph.transpose %[[KT]] {permutation = array<i64: 0, 1, 3, 2>}
// CHECK:         %[[O:.+]] = graph.attention %[[Q]], %[[K]], %[[V]], %[[M]] {mask_kind = #graph.mask<keep>, masked_score = -3.4028234663852886E+38 : f64, scale = 2.000000e-01 : f64}
// CHECK:         return %[[O]]
// LOC-LABEL: func.func @attention_keep
// LOC: graph.attention {{.*}} loc(#[[FUSED:.+]])
// LOC: #[[FUSED]] = loc(fused[#{{.+}}, #{{.+}}, #{{.+}}, #{{.+}}, #{{.+}}])
func.func @attention_keep(%q: tensor<2x5x41x24xf32>, %kt: tensor<2x5x24x41xf32>, %v: tensor<2x5x41x24xf32>, %m: tensor<1x1x41x41xi1>) -> tensor<2x5x41x24xf32> {
  %c = graph.constant dense<5.0> : tensor<f32>
  %low = graph.constant dense<-3.40282347E+38> : tensor<f32>
  %0 = graph.matmul %q, %kt : (tensor<2x5x41x24xf32>, tensor<2x5x24x41xf32>) -> tensor<2x5x41x41xf32> loc("qk")
  %1 = graph.div %0, %c : (tensor<2x5x41x41xf32>, tensor<f32>) -> tensor<2x5x41x41xf32> loc("scale")
  %2 = graph.where %m, %1, %low : (tensor<1x1x41x41xi1>, tensor<2x5x41x41xf32>, tensor<f32>) -> tensor<2x5x41x41xf32> loc("mask")
  %3 = graph.softmax %2 {axis = 3 : i64} : tensor<2x5x41x41xf32> loc("softmax")
  %4 = graph.matmul %3, %v : (tensor<2x5x41x41xf32>, tensor<2x5x41x24xf32>) -> tensor<2x5x41x24xf32> loc("pv")
  return %4 : tensor<2x5x41x24xf32>
}

// -----

// Llama's: the mask is true where a score goes (where(mask, min, scores)).
// BERT's: a padding mask added after the scale. No scale at all: 1.
// CHECK-LABEL: func.func @attention_drop_add_unscaled
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {mask_kind = #graph.mask<drop>, masked_score = -1.000000e+04 : f64, scale = 5.000000e-01 : f64}
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {mask_kind = #graph.mask<add>, scale = 2.500000e-01 : f64}
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}} {mask_kind = #graph.mask<none>, scale = 1.000000e+00 : f64}
// CHECK-NOT:     graph.softmax
func.func @attention_drop_add_unscaled(%q: tensor<1x6x9x8xf32>, %kt: tensor<1x6x8x9xf32>, %v: tensor<1x6x9x4xf32>, %m: tensor<9x9xi1>, %pad: tensor<1x1x1x9xf32>) -> (tensor<1x6x9x4xf32>, tensor<1x6x9x4xf32>, tensor<1x6x9x4xf32>) {
  %half = graph.constant dense<0.5> : tensor<f32>
  %four = graph.constant dense<4.0> : tensor<f32>
  %low = graph.constant dense<-10000.0> : tensor<f32>
  %0 = graph.matmul %q, %kt : (tensor<1x6x9x8xf32>, tensor<1x6x8x9xf32>) -> tensor<1x6x9x9xf32>
  %1 = graph.mul %half, %0 : (tensor<f32>, tensor<1x6x9x9xf32>) -> tensor<1x6x9x9xf32>
  %2 = graph.where %m, %low, %1 : (tensor<9x9xi1>, tensor<f32>, tensor<1x6x9x9xf32>) -> tensor<1x6x9x9xf32>
  %3 = graph.softmax %2 {axis = 3 : i64} : tensor<1x6x9x9xf32>
  %4 = graph.matmul %3, %v : (tensor<1x6x9x9xf32>, tensor<1x6x9x4xf32>) -> tensor<1x6x9x4xf32>
  %10 = graph.matmul %q, %kt : (tensor<1x6x9x8xf32>, tensor<1x6x8x9xf32>) -> tensor<1x6x9x9xf32>
  %11 = graph.div %10, %four : (tensor<1x6x9x9xf32>, tensor<f32>) -> tensor<1x6x9x9xf32>
  %12 = graph.add %pad, %11 : (tensor<1x1x1x9xf32>, tensor<1x6x9x9xf32>) -> tensor<1x6x9x9xf32>
  %13 = graph.softmax %12 {axis = 3 : i64} : tensor<1x6x9x9xf32>
  %14 = graph.matmul %13, %v : (tensor<1x6x9x9xf32>, tensor<1x6x9x4xf32>) -> tensor<1x6x9x4xf32>
  %20 = graph.matmul %q, %kt : (tensor<1x6x9x8xf32>, tensor<1x6x8x9xf32>) -> tensor<1x6x9x9xf32>
  %21 = graph.softmax %20 {axis = 3 : i64} : tensor<1x6x9x9xf32>
  %22 = graph.matmul %21, %v : (tensor<1x6x9x9xf32>, tensor<1x6x9x4xf32>) -> tensor<1x6x9x4xf32>
  return %4, %14, %22 : tensor<1x6x9x4xf32>, tensor<1x6x9x4xf32>, tensor<1x6x9x4xf32>
}

// -----

// Not attention: the probabilities are also returned (the scores must be
// written); the softmax is over the queries; the scale is not a constant;
// the mask replaces scores by a tensor rather than one score.
// CHECK-LABEL: func.func @attention_negatives
// CHECK-NOT:     graph.attention
// CHECK-COUNT-4: graph.softmax
// CHECK-NOT:     graph.attention
func.func @attention_negatives(%q: tensor<6x9x8xf32>, %kt: tensor<6x8x9xf32>, %v: tensor<6x9x4xf32>, %s: tensor<f32>, %m: tensor<9x9xi1>, %r: tensor<6x9x9xf32>) -> (tensor<6x9x4xf32>, tensor<6x9x9xf32>, tensor<6x9x4xf32>, tensor<6x9x4xf32>, tensor<6x9x4xf32>) {
  %0 = graph.matmul %q, %kt : (tensor<6x9x8xf32>, tensor<6x8x9xf32>) -> tensor<6x9x9xf32>
  %1 = graph.softmax %0 {axis = 2 : i64} : tensor<6x9x9xf32>
  %2 = graph.matmul %1, %v : (tensor<6x9x9xf32>, tensor<6x9x4xf32>) -> tensor<6x9x4xf32>
  %10 = graph.matmul %q, %kt : (tensor<6x9x8xf32>, tensor<6x8x9xf32>) -> tensor<6x9x9xf32>
  %11 = graph.softmax %10 {axis = 1 : i64} : tensor<6x9x9xf32>
  %12 = graph.matmul %11, %v : (tensor<6x9x9xf32>, tensor<6x9x4xf32>) -> tensor<6x9x4xf32>
  %20 = graph.matmul %q, %kt : (tensor<6x9x8xf32>, tensor<6x8x9xf32>) -> tensor<6x9x9xf32>
  %21 = graph.mul %20, %s : (tensor<6x9x9xf32>, tensor<f32>) -> tensor<6x9x9xf32>
  %22 = graph.softmax %21 {axis = 2 : i64} : tensor<6x9x9xf32>
  %23 = graph.matmul %22, %v : (tensor<6x9x9xf32>, tensor<6x9x4xf32>) -> tensor<6x9x4xf32>
  %30 = graph.matmul %q, %kt : (tensor<6x9x8xf32>, tensor<6x8x9xf32>) -> tensor<6x9x9xf32>
  %31 = graph.where %m, %30, %r : (tensor<9x9xi1>, tensor<6x9x9xf32>, tensor<6x9x9xf32>) -> tensor<6x9x9xf32>
  %32 = graph.softmax %31 {axis = 2 : i64} : tensor<6x9x9xf32>
  %33 = graph.matmul %32, %v : (tensor<6x9x9xf32>, tensor<6x9x4xf32>) -> tensor<6x9x4xf32>
  return %2, %1, %12, %23, %33 : tensor<6x9x4xf32>, tensor<6x9x9xf32>, tensor<6x9x4xf32>, tensor<6x9x4xf32>, tensor<6x9x4xf32>
}

// -----

// Not attention: a head dimension of 300 does not fit one kernel.
// CHECK-LABEL: func.func @attention_head_too_large
// CHECK-NOT:     graph.attention
// CHECK:         graph.softmax
func.func @attention_head_too_large(%q: tensor<2x9x300xf32>, %kt: tensor<2x300x9xf32>, %v: tensor<2x9x4xf32>) -> tensor<2x9x4xf32> {
  %0 = graph.matmul %q, %kt : (tensor<2x9x300xf32>, tensor<2x300x9xf32>) -> tensor<2x9x9xf32>
  %1 = graph.softmax %0 {axis = 2 : i64} : tensor<2x9x9xf32>
  %2 = graph.matmul %1, %v : (tensor<2x9x9xf32>, tensor<2x9x4xf32>) -> tensor<2x9x4xf32>
  return %2 : tensor<2x9x4xf32>
}

// -----

// torch's exported SDPA (transformers' default attention): Q and K^T each
// scaled by the fourth root of 1/D (the scale is their product), an added
// mask, and the weights guarded against NaN (a query with every key masked
// gets zeros): zero_nan_rows.
// CHECK-LABEL: func.func @attention_sdpa
// CHECK-SAME:    (%[[Q:.+]]: tensor<1x4x9x16xf32>, %[[KT:.+]]: tensor<1x4x16x9xf32>, %[[V:.+]]: tensor<1x4x9x16xf32>, %[[M:.+]]: tensor<1x1x9x9xf32>)
// CHECK:         %[[K:.+]] = graph.transpose %[[KT]]
// CHECK:         graph.attention %[[Q]], %[[K]], %[[V]], %[[M]] {mask_kind = #graph.mask<add>, scale = 2.500000e-01 : f64, zero_nan_rows}
// CHECK-NOT:     graph.softmax
// CHECK-NOT:     graph.where
func.func @attention_sdpa(%q: tensor<1x4x9x16xf32>, %kt: tensor<1x4x16x9xf32>, %v: tensor<1x4x9x16xf32>, %m: tensor<1x1x9x9xf32>) -> tensor<1x4x9x16xf32> {
  %s = graph.constant dense<0.5> : tensor<f32>
  %zero = graph.constant dense<0.0> : tensor<f32>
  %0 = graph.mul %q, %s : (tensor<1x4x9x16xf32>, tensor<f32>) -> tensor<1x4x9x16xf32>
  %1 = graph.mul %kt, %s : (tensor<1x4x16x9xf32>, tensor<f32>) -> tensor<1x4x16x9xf32>
  %2 = graph.matmul %0, %1 : (tensor<1x4x9x16xf32>, tensor<1x4x16x9xf32>) -> tensor<1x4x9x9xf32>
  %3 = graph.add %2, %m : (tensor<1x4x9x9xf32>, tensor<1x1x9x9xf32>) -> tensor<1x4x9x9xf32>
  %4 = graph.softmax %3 {axis = 3 : i64} : tensor<1x4x9x9xf32>
  %5 = graph.cmp ne, %4, %4 : (tensor<1x4x9x9xf32>, tensor<1x4x9x9xf32>) -> tensor<1x4x9x9xi1>
  %6 = graph.where %5, %zero, %4 : (tensor<1x4x9x9xi1>, tensor<f32>, tensor<1x4x9x9xf32>) -> tensor<1x4x9x9xf32>
  %7 = graph.matmul %6, %v : (tensor<1x4x9x9xf32>, tensor<1x4x9x16xf32>) -> tensor<1x4x9x16xf32>
  return %7 : tensor<1x4x9x16xf32>
}

// -----

// Not attention: the guard replaces NaN weights by 1, not 0.
// CHECK-LABEL: func.func @attention_guard_not_zero
// CHECK-NOT:     graph.attention
// CHECK:         graph.softmax
func.func @attention_guard_not_zero(%q: tensor<4x9x16xf32>, %kt: tensor<4x16x9xf32>, %v: tensor<4x9x16xf32>) -> tensor<4x9x16xf32> {
  %one = graph.constant dense<1.0> : tensor<f32>
  %2 = graph.matmul %q, %kt : (tensor<4x9x16xf32>, tensor<4x16x9xf32>) -> tensor<4x9x9xf32>
  %4 = graph.softmax %2 {axis = 2 : i64} : tensor<4x9x9xf32>
  %5 = graph.cmp ne, %4, %4 : (tensor<4x9x9xf32>, tensor<4x9x9xf32>) -> tensor<4x9x9xi1>
  %6 = graph.where %5, %one, %4 : (tensor<4x9x9xi1>, tensor<f32>, tensor<4x9x9xf32>) -> tensor<4x9x9xf32>
  %7 = graph.matmul %6, %v : (tensor<4x9x9xf32>, tensor<4x9x16xf32>) -> tensor<4x9x16xf32>
  return %7 : tensor<4x9x16xf32>
}
