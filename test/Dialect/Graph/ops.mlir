// RUN: meld-opt %s -split-input-file | meld-opt | FileCheck %s
// RUN: meld-opt %s -split-input-file -mlir-print-op-generic | meld-opt | FileCheck %s

// Every graph op round-trips through its custom assembly and through the
// generic form.

// CHECK-LABEL: func.func @constant_and_weight
func.func @constant_and_weight() -> (tensor<4xi64>, tensor<120x360xf32>, tensor<f32>) {
  // CHECK: graph.constant dense<[1, 41, 5, 24]> : tensor<4xi64>
  %0 = graph.constant dense<[1, 41, 5, 24]> : tensor<4xi64>
  // CHECK: graph.weight "h.0.attn.c_attn.weight" : tensor<120x360xf32>
  %1 = graph.weight "h.0.attn.c_attn.weight" : tensor<120x360xf32>
  // CHECK: graph.constant dense<0xFF800000> : tensor<f32>
  %2 = graph.constant dense<0xFF800000> : tensor<f32>
  return %0, %1, %2 : tensor<4xi64>, tensor<120x360xf32>, tensor<f32>
}

// -----

// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.+]]: tensor<2x41x120xf32>, %[[B:.+]]: tensor<120x360xf32>, %[[Q:.+]]: tensor<1x5x41x24xf32>, %[[K:.+]]: tensor<1x5x24x41xf32>)
func.func @matmul(%a: tensor<2x41x120xf32>, %b: tensor<120x360xf32>,
                  %q: tensor<1x5x41x24xf32>, %k: tensor<1x5x24x41xf32>)
    -> (tensor<2x41x360xf32>, tensor<1x5x41x41xf32>) {
  // CHECK: graph.matmul %[[A]], %[[B]] : (tensor<2x41x120xf32>, tensor<120x360xf32>) -> tensor<2x41x360xf32>
  %0 = graph.matmul %a, %b : (tensor<2x41x120xf32>, tensor<120x360xf32>) -> tensor<2x41x360xf32>
  // CHECK: graph.matmul %[[Q]], %[[K]] : (tensor<1x5x41x24xf32>, tensor<1x5x24x41xf32>) -> tensor<1x5x41x41xf32>
  %1 = graph.matmul %q, %k : (tensor<1x5x41x24xf32>, tensor<1x5x24x41xf32>) -> tensor<1x5x41x41xf32>
  return %0, %1 : tensor<2x41x360xf32>, tensor<1x5x41x41xf32>
}

// -----

// Rank-1 operands are promoted to matrices and the added dimension dropped;
// batch dimensions broadcast.
// CHECK-LABEL: func.func @matmul_promotion
// CHECK-SAME: (%[[V:.+]]: tensor<24xf16>, %[[M:.+]]: tensor<24x7xf16>, %[[B:.+]]: tensor<3x1x5x24xf16>, %[[C:.+]]: tensor<4x24x6xf16>)
func.func @matmul_promotion(%v: tensor<24xf16>, %m: tensor<24x7xf16>,
                            %b: tensor<3x1x5x24xf16>, %c: tensor<4x24x6xf16>)
    -> (tensor<7xf16>, tensor<f16>, tensor<3x1x5xf16>, tensor<4x6xf16>, tensor<3x4x5x6xf16>) {
  // CHECK: graph.matmul %[[V]], %[[M]] : (tensor<24xf16>, tensor<24x7xf16>) -> tensor<7xf16>
  %0 = graph.matmul %v, %m : (tensor<24xf16>, tensor<24x7xf16>) -> tensor<7xf16>
  // CHECK: graph.matmul %[[V]], %[[V]] : (tensor<24xf16>, tensor<24xf16>) -> tensor<f16>
  %1 = graph.matmul %v, %v : (tensor<24xf16>, tensor<24xf16>) -> tensor<f16>
  // CHECK: graph.matmul %[[B]], %[[V]] : (tensor<3x1x5x24xf16>, tensor<24xf16>) -> tensor<3x1x5xf16>
  %2 = graph.matmul %b, %v : (tensor<3x1x5x24xf16>, tensor<24xf16>) -> tensor<3x1x5xf16>
  // CHECK: graph.matmul %[[V]], %[[C]] : (tensor<24xf16>, tensor<4x24x6xf16>) -> tensor<4x6xf16>
  %3 = graph.matmul %v, %c : (tensor<24xf16>, tensor<4x24x6xf16>) -> tensor<4x6xf16>
  // CHECK: graph.matmul %[[B]], %[[C]] : (tensor<3x1x5x24xf16>, tensor<4x24x6xf16>) -> tensor<3x4x5x6xf16>
  %4 = graph.matmul %b, %c : (tensor<3x1x5x24xf16>, tensor<4x24x6xf16>) -> tensor<3x4x5x6xf16>
  return %0, %1, %2, %3, %4 : tensor<7xf16>, tensor<f16>, tensor<3x1x5xf16>, tensor<4x6xf16>, tensor<3x4x5x6xf16>
}

// -----

// CHECK-LABEL: func.func @gemm
// CHECK-SAME: (%[[A:.+]]: tensor<41x120xf32>, %[[B:.+]]: tensor<360x120xf32>, %[[C:.+]]: tensor<360xf32>, %[[AT:.+]]: tensor<120x41xf32>, %[[BN:.+]]: tensor<120x360xf32>, %[[S:.+]]: tensor<f32>)
func.func @gemm(%a: tensor<41x120xf32>, %b: tensor<360x120xf32>, %c: tensor<360xf32>,
                %at: tensor<120x41xf32>, %bn: tensor<120x360xf32>, %s: tensor<f32>)
    -> (tensor<41x360xf32>, tensor<41x360xf32>, tensor<41x360xf32>, tensor<41x360xf32>) {
  // CHECK: graph.gemm %[[A]], %[[B]], %[[C]] {trans_b} : (tensor<41x120xf32>, tensor<360x120xf32>, tensor<360xf32>) -> tensor<41x360xf32>
  %0 = graph.gemm %a, %b, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_b}
      : (tensor<41x120xf32>, tensor<360x120xf32>, tensor<360xf32>) -> tensor<41x360xf32>
  // CHECK: graph.gemm %[[AT]], %[[BN]] {alpha = 5.000000e-01 : f32, trans_a} : (tensor<120x41xf32>, tensor<120x360xf32>) -> tensor<41x360xf32>
  %1 = graph.gemm %at, %bn {alpha = 0.5 : f32, trans_a}
      : (tensor<120x41xf32>, tensor<120x360xf32>) -> tensor<41x360xf32>
  // CHECK: graph.gemm %[[AT]], %[[B]], %[[S]] {beta = 2.000000e+00 : f32, trans_a, trans_b} : (tensor<120x41xf32>, tensor<360x120xf32>, tensor<f32>) -> tensor<41x360xf32>
  %2 = graph.gemm %at, %b, %s {beta = 2.0 : f32, trans_a, trans_b}
      : (tensor<120x41xf32>, tensor<360x120xf32>, tensor<f32>) -> tensor<41x360xf32>
  // CHECK: graph.gemm %[[A]], %[[BN]] : (tensor<41x120xf32>, tensor<120x360xf32>) -> tensor<41x360xf32>
  %3 = graph.gemm %a, %bn : (tensor<41x120xf32>, tensor<120x360xf32>) -> tensor<41x360xf32>
  return %0, %1, %2, %3 : tensor<41x360xf32>, tensor<41x360xf32>, tensor<41x360xf32>, tensor<41x360xf32>
}

// -----

// CHECK-LABEL: func.func @binary
// CHECK-SAME: (%[[X:.+]]: tensor<2x41x120xf32>, %[[Y:.+]]: tensor<120xf32>, %[[I:.+]]: tensor<3x1xi64>, %[[J:.+]]: tensor<1x4xi64>, %[[P:.+]]: tensor<3x1xi1>, %[[Q:.+]]: tensor<4xi1>)
func.func @binary(%x: tensor<2x41x120xf32>, %y: tensor<120xf32>,
                  %i: tensor<3x1xi64>, %j: tensor<1x4xi64>,
                  %p: tensor<3x1xi1>, %q: tensor<4xi1>) {
  // CHECK: graph.add %[[X]], %[[Y]] : (tensor<2x41x120xf32>, tensor<120xf32>) -> tensor<2x41x120xf32>
  %0 = graph.add %x, %y : (tensor<2x41x120xf32>, tensor<120xf32>) -> tensor<2x41x120xf32>
  // CHECK: graph.sub %[[Y]], %[[X]] : (tensor<120xf32>, tensor<2x41x120xf32>) -> tensor<2x41x120xf32>
  %1 = graph.sub %y, %x : (tensor<120xf32>, tensor<2x41x120xf32>) -> tensor<2x41x120xf32>
  // CHECK: graph.mul %[[I]], %[[J]] : (tensor<3x1xi64>, tensor<1x4xi64>) -> tensor<3x4xi64>
  %2 = graph.mul %i, %j : (tensor<3x1xi64>, tensor<1x4xi64>) -> tensor<3x4xi64>
  // CHECK: graph.div %[[I]], %[[J]] : (tensor<3x1xi64>, tensor<1x4xi64>) -> tensor<3x4xi64>
  %3 = graph.div %i, %j : (tensor<3x1xi64>, tensor<1x4xi64>) -> tensor<3x4xi64>
  // CHECK: graph.pow %[[X]], %[[Y]] : (tensor<2x41x120xf32>, tensor<120xf32>) -> tensor<2x41x120xf32>
  %4 = graph.pow %x, %y : (tensor<2x41x120xf32>, tensor<120xf32>) -> tensor<2x41x120xf32>
  // CHECK: graph.min %[[I]], %[[J]] : (tensor<3x1xi64>, tensor<1x4xi64>) -> tensor<3x4xi64>
  %5 = graph.min %i, %j : (tensor<3x1xi64>, tensor<1x4xi64>) -> tensor<3x4xi64>
  // CHECK: graph.max %[[X]], %[[Y]] : (tensor<2x41x120xf32>, tensor<120xf32>) -> tensor<2x41x120xf32>
  %6 = graph.max %x, %y : (tensor<2x41x120xf32>, tensor<120xf32>) -> tensor<2x41x120xf32>
  // CHECK: graph.and %[[P]], %[[Q]] : (tensor<3x1xi1>, tensor<4xi1>) -> tensor<3x4xi1>
  %7 = graph.and %p, %q : (tensor<3x1xi1>, tensor<4xi1>) -> tensor<3x4xi1>
  // CHECK: graph.or %[[Q]], %[[P]] : (tensor<4xi1>, tensor<3x1xi1>) -> tensor<3x4xi1>
  %8 = graph.or %q, %p : (tensor<4xi1>, tensor<3x1xi1>) -> tensor<3x4xi1>
  return
}

// -----

// CHECK-LABEL: func.func @cmp_where
// CHECK-SAME: (%[[A:.+]]: tensor<41x41xi64>, %[[B:.+]]: tensor<1xi64>, %[[M:.+]]: tensor<1x1x41x41xi1>, %[[S:.+]]: tensor<1x5x41x41xf32>, %[[N:.+]]: tensor<f32>)
func.func @cmp_where(%a: tensor<41x41xi64>, %b: tensor<1xi64>,
                     %mask: tensor<1x1x41x41xi1>, %scores: tensor<1x5x41x41xf32>,
                     %neg_inf: tensor<f32>) {
  // CHECK: graph.cmp eq, %[[A]], %[[B]] : (tensor<41x41xi64>, tensor<1xi64>) -> tensor<41x41xi1>
  %0 = graph.cmp eq, %a, %b : (tensor<41x41xi64>, tensor<1xi64>) -> tensor<41x41xi1>
  // CHECK: graph.cmp ne, %[[A]], %[[B]]
  %1 = graph.cmp ne, %a, %b : (tensor<41x41xi64>, tensor<1xi64>) -> tensor<41x41xi1>
  // CHECK: graph.cmp lt, %[[A]], %[[B]]
  %2 = graph.cmp lt, %a, %b : (tensor<41x41xi64>, tensor<1xi64>) -> tensor<41x41xi1>
  // CHECK: graph.cmp le, %[[A]], %[[B]]
  %3 = graph.cmp le, %a, %b : (tensor<41x41xi64>, tensor<1xi64>) -> tensor<41x41xi1>
  // CHECK: graph.cmp gt, %[[B]], %[[A]]
  %4 = graph.cmp gt, %b, %a : (tensor<1xi64>, tensor<41x41xi64>) -> tensor<41x41xi1>
  // CHECK: graph.cmp ge, %[[S]], %[[N]] : (tensor<1x5x41x41xf32>, tensor<f32>) -> tensor<1x5x41x41xi1>
  %5 = graph.cmp ge, %scores, %neg_inf : (tensor<1x5x41x41xf32>, tensor<f32>) -> tensor<1x5x41x41xi1>
  // CHECK: graph.where %[[M]], %[[S]], %[[N]] : (tensor<1x1x41x41xi1>, tensor<1x5x41x41xf32>, tensor<f32>) -> tensor<1x5x41x41xf32>
  %6 = graph.where %mask, %scores, %neg_inf
      : (tensor<1x1x41x41xi1>, tensor<1x5x41x41xf32>, tensor<f32>) -> tensor<1x5x41x41xf32>
  return
}

// -----

// CHECK-LABEL: func.func @unary
// CHECK-SAME: (%[[X:.+]]: tensor<41x120xf32>, %[[I:.+]]: tensor<7xi32>, %[[B:.+]]: tensor<7xi1>)
func.func @unary(%x: tensor<41x120xf32>, %i: tensor<7xi32>, %b: tensor<7xi1>) {
  // CHECK: graph.sqrt %[[X]] : tensor<41x120xf32>
  %0 = graph.sqrt %x : tensor<41x120xf32>
  // CHECK: graph.reciprocal %[[X]] : tensor<41x120xf32>
  %1 = graph.reciprocal %x : tensor<41x120xf32>
  // CHECK: graph.neg %[[X]] : tensor<41x120xf32>
  %2 = graph.neg %x : tensor<41x120xf32>
  // CHECK: graph.neg %[[I]] : tensor<7xi32>
  %3 = graph.neg %i : tensor<7xi32>
  // CHECK: graph.abs %[[I]] : tensor<7xi32>
  %4 = graph.abs %i : tensor<7xi32>
  // CHECK: graph.exp %[[X]] : tensor<41x120xf32>
  %5 = graph.exp %x : tensor<41x120xf32>
  // CHECK: graph.log %[[X]] : tensor<41x120xf32>
  %6 = graph.log %x : tensor<41x120xf32>
  // CHECK: graph.tanh %[[X]] : tensor<41x120xf32>
  %7 = graph.tanh %x : tensor<41x120xf32>
  // CHECK: graph.erf %[[X]] : tensor<41x120xf32>
  %8 = graph.erf %x : tensor<41x120xf32>
  // CHECK: graph.sigmoid %[[X]] : tensor<41x120xf32>
  %9 = graph.sigmoid %x : tensor<41x120xf32>
  // CHECK: graph.relu %[[I]] : tensor<7xi32>
  %10 = graph.relu %i : tensor<7xi32>
  // CHECK: graph.silu %[[X]] : tensor<41x120xf32>
  %11 = graph.silu %x : tensor<41x120xf32>
  // CHECK: graph.softplus %[[X]] : tensor<41x120xf32>
  %12 = graph.softplus %x : tensor<41x120xf32>
  // CHECK: graph.not %[[B]] : tensor<7xi1>
  %13 = graph.not %b : tensor<7xi1>
  return
}

// -----

// The default approximation (`none`) is not printed.
// CHECK-LABEL: func.func @gelu
// CHECK-SAME: (%[[X:.+]]: tensor<41x480xbf16>)
func.func @gelu(%x: tensor<41x480xbf16>) {
  // CHECK: graph.gelu %[[X]] : tensor<41x480xbf16>
  %0 = graph.gelu %x : tensor<41x480xbf16>
  // CHECK: graph.gelu %[[X]] : tensor<41x480xbf16>
  %1 = graph.gelu %x {approximation = #graph.gelu_approx<none>} : tensor<41x480xbf16>
  // CHECK: graph.gelu %[[X]] {approximation = #graph.gelu_approx<tanh>} : tensor<41x480xbf16>
  %2 = graph.gelu %x {approximation = #graph.gelu_approx<tanh>} : tensor<41x480xbf16>
  return
}

// -----

// CHECK-LABEL: func.func @clip
// CHECK-SAME: (%[[X:.+]]: tensor<41x120xf32>, %[[I:.+]]: tensor<5xi8>)
func.func @clip(%x: tensor<41x120xf32>, %i: tensor<5xi8>) {
  // CHECK: graph.clip %[[X]] {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64} : tensor<41x120xf32>
  %0 = graph.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<41x120xf32>
  // CHECK: graph.clip %[[X]] {min = -1.000000e+00 : f64} : tensor<41x120xf32>
  %1 = graph.clip %x {min = -1.0 : f64} : tensor<41x120xf32>
  // CHECK: graph.clip %[[I]] {max = 1.000000e+01 : f64} : tensor<5xi8>
  %2 = graph.clip %i {max = 10.0 : f64} : tensor<5xi8>
  // CHECK: graph.clip %[[I]] : tensor<5xi8>
  %3 = graph.clip %i : tensor<5xi8>
  return
}

// -----

// CHECK-LABEL: func.func @cast
// CHECK-SAME: (%[[M:.+]]: tensor<1x41xi64>, %[[X:.+]]: tensor<3xf16>)
func.func @cast(%mask: tensor<1x41xi64>, %x: tensor<3xf16>) {
  // CHECK: graph.cast %[[M]] : tensor<1x41xi64> to tensor<1x41xf32>
  %0 = graph.cast %mask : tensor<1x41xi64> to tensor<1x41xf32>
  // CHECK: graph.cast %[[M]] : tensor<1x41xi64> to tensor<1x41xi1>
  %1 = graph.cast %mask : tensor<1x41xi64> to tensor<1x41xi1>
  // CHECK: graph.cast %[[X]] : tensor<3xf16> to tensor<3xui8>
  %2 = graph.cast %x : tensor<3xf16> to tensor<3xui8>
  return
}

// -----

// CHECK-LABEL: func.func @reduce
// CHECK-SAME: (%[[X:.+]]: tensor<2x41x120xf32>, %[[I:.+]]: tensor<4x5xi32>)
func.func @reduce(%x: tensor<2x41x120xf32>, %i: tensor<4x5xi32>) {
  // CHECK: graph.reduce_sum %[[X]] {axes = array<i64: 2>, keep_dims} : (tensor<2x41x120xf32>) -> tensor<2x41x1xf32>
  %0 = graph.reduce_sum %x {axes = array<i64: 2>, keep_dims} : (tensor<2x41x120xf32>) -> tensor<2x41x1xf32>
  // CHECK: graph.reduce_sum %[[X]] {axes = array<i64: 0, 2>} : (tensor<2x41x120xf32>) -> tensor<41xf32>
  %1 = graph.reduce_sum %x {axes = array<i64: 0, 2>} : (tensor<2x41x120xf32>) -> tensor<41xf32>
  // CHECK: graph.reduce_mean %[[X]] {axes = array<i64: 0, 1, 2>, keep_dims} : (tensor<2x41x120xf32>) -> tensor<1x1x1xf32>
  %2 = graph.reduce_mean %x {axes = array<i64: 0, 1, 2>, keep_dims} : (tensor<2x41x120xf32>) -> tensor<1x1x1xf32>
  // CHECK: graph.reduce_mean %[[X]] {axes = array<i64: 0, 1, 2>} : (tensor<2x41x120xf32>) -> tensor<f32>
  %3 = graph.reduce_mean %x {axes = array<i64: 0, 1, 2>} : (tensor<2x41x120xf32>) -> tensor<f32>
  // CHECK: graph.reduce_max %[[I]] {axes = array<i64: 1>} : (tensor<4x5xi32>) -> tensor<4xi32>
  %4 = graph.reduce_max %i {axes = array<i64: 1>} : (tensor<4x5xi32>) -> tensor<4xi32>
  return
}

// -----

// CHECK-LABEL: func.func @normalization
// CHECK-SAME: (%[[X:.+]]: tensor<2x41x120xf32>, %[[G:.+]]: tensor<120xf32>, %[[BETA:.+]]: tensor<120xf32>, %[[G2:.+]]: tensor<41x120xf32>)
func.func @normalization(%x: tensor<2x41x120xf32>, %gamma: tensor<120xf32>,
                         %beta: tensor<120xf32>, %gamma2: tensor<41x120xf32>) {
  // CHECK: graph.softmax %[[X]] {axis = 2 : i64} : tensor<2x41x120xf32>
  %0 = graph.softmax %x {axis = 2 : i64} : tensor<2x41x120xf32>
  // CHECK: graph.layernorm %[[X]], %[[G]], %[[BETA]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x41x120xf32>, tensor<120xf32>, tensor<120xf32>) -> tensor<2x41x120xf32>
  %1 = graph.layernorm %x, %gamma, %beta {axis = 2 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<2x41x120xf32>, tensor<120xf32>, tensor<120xf32>) -> tensor<2x41x120xf32>
  // CHECK: graph.layernorm %[[X]], %[[G2]] {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x41x120xf32>, tensor<41x120xf32>) -> tensor<2x41x120xf32>
  %2 = graph.layernorm %x, %gamma2 {axis = 1 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<2x41x120xf32>, tensor<41x120xf32>) -> tensor<2x41x120xf32>
  // CHECK: graph.rmsnorm %[[X]], %[[G]] {axis = 2 : i64, epsilon = 9.99999997E-7 : f32} : (tensor<2x41x120xf32>, tensor<120xf32>) -> tensor<2x41x120xf32>
  %3 = graph.rmsnorm %x, %gamma {axis = 2 : i64, epsilon = 1.0e-06 : f32}
      : (tensor<2x41x120xf32>, tensor<120xf32>) -> tensor<2x41x120xf32>
  return
}

// -----

// CHECK-LABEL: func.func @data_movement
// CHECK-SAME: (%[[X:.+]]: tensor<1x41x5x24xf32>, %[[H:.+]]: tensor<1x41x120xf32>, %[[T:.+]]: tensor<1x41x24xf32>)
func.func @data_movement(%x: tensor<1x41x5x24xf32>, %h: tensor<1x41x120xf32>,
                         %t: tensor<1x41x24xf32>) {
  // CHECK: graph.transpose %[[X]] {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x41x5x24xf32>) -> tensor<1x5x41x24xf32>
  %0 = graph.transpose %x {permutation = array<i64: 0, 2, 1, 3>}
      : (tensor<1x41x5x24xf32>) -> tensor<1x5x41x24xf32>
  // CHECK: graph.reshape %[[H]] : tensor<1x41x120xf32> to tensor<1x41x5x24xf32>
  %1 = graph.reshape %h : tensor<1x41x120xf32> to tensor<1x41x5x24xf32>
  // CHECK: graph.slice %[[T]] {sizes = array<i64: 1, 41, 12>, starts = array<i64: 0, 0, 12>, steps = array<i64: 1, 1, 1>} : (tensor<1x41x24xf32>) -> tensor<1x41x12xf32>
  %2 = graph.slice %t {starts = array<i64: 0, 0, 12>, sizes = array<i64: 1, 41, 12>,
                       steps = array<i64: 1, 1, 1>}
      : (tensor<1x41x24xf32>) -> tensor<1x41x12xf32>
  // CHECK: graph.slice %[[T]] {sizes = array<i64: 1, 20, 0>, starts = array<i64: 0, 40, 0>, steps = array<i64: 1, -2, 1>} : (tensor<1x41x24xf32>) -> tensor<1x20x0xf32>
  %3 = graph.slice %t {starts = array<i64: 0, 40, 0>, sizes = array<i64: 1, 20, 0>,
                       steps = array<i64: 1, -2, 1>}
      : (tensor<1x41x24xf32>) -> tensor<1x20x0xf32>
  // CHECK: graph.concat %[[T]], %[[H]], %[[T]] {axis = 2 : i64} : (tensor<1x41x24xf32>, tensor<1x41x120xf32>, tensor<1x41x24xf32>) -> tensor<1x41x168xf32>
  %4 = graph.concat %t, %h, %t {axis = 2 : i64}
      : (tensor<1x41x24xf32>, tensor<1x41x120xf32>, tensor<1x41x24xf32>) -> tensor<1x41x168xf32>
  // CHECK: graph.concat %[[T]] {axis = 0 : i64} : (tensor<1x41x24xf32>) -> tensor<1x41x24xf32>
  %5 = graph.concat %t {axis = 0 : i64} : (tensor<1x41x24xf32>) -> tensor<1x41x24xf32>
  return
}

// -----

// CHECK-LABEL: func.func @split
// CHECK-SAME: (%[[QKV:.+]]: tensor<1x41x360xf32>)
func.func @split(%qkv: tensor<1x41x360xf32>)
    -> (tensor<1x41x120xf32>, tensor<1x41x120xf32>, tensor<1x41x120xf32>, tensor<1x41x360xf32>) {
  // CHECK: %[[R:.+]]:3 = graph.split %[[QKV]] {axis = 2 : i64, sizes = array<i64: 120, 120, 120>} : (tensor<1x41x360xf32>) -> (tensor<1x41x120xf32>, tensor<1x41x120xf32>, tensor<1x41x120xf32>)
  %q, %k, %v = graph.split %qkv {axis = 2 : i64, sizes = array<i64: 120, 120, 120>}
      : (tensor<1x41x360xf32>) -> (tensor<1x41x120xf32>, tensor<1x41x120xf32>, tensor<1x41x120xf32>)
  // CHECK: %[[S:.+]] = graph.split %[[QKV]] {axis = 0 : i64, sizes = array<i64: 1>} : (tensor<1x41x360xf32>) -> tensor<1x41x360xf32>
  %s = graph.split %qkv {axis = 0 : i64, sizes = array<i64: 1>}
      : (tensor<1x41x360xf32>) -> tensor<1x41x360xf32>
  // CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2, %[[S]]
  return %q, %k, %v, %s : tensor<1x41x120xf32>, tensor<1x41x120xf32>, tensor<1x41x120xf32>, tensor<1x41x360xf32>
}

// -----

// CHECK-LABEL: func.func @expand_gather_trilu
// CHECK-SAME: (%[[KV:.+]]: tensor<1x1x41x24xf32>, %[[WTE:.+]]: tensor<1000x120xf32>, %[[IDS:.+]]: tensor<1x41xi64>, %[[IDX:.+]]: tensor<i32>, %[[ONES:.+]]: tensor<41x41xf32>)
func.func @expand_gather_trilu(%kv: tensor<1x1x41x24xf32>, %wte: tensor<1000x120xf32>,
                               %ids: tensor<1x41xi64>, %idx: tensor<i32>,
                               %ones: tensor<41x41xf32>) {
  // CHECK: graph.expand %[[KV]] : tensor<1x1x41x24xf32> to tensor<1x4x41x24xf32>
  %0 = graph.expand %kv : tensor<1x1x41x24xf32> to tensor<1x4x41x24xf32>
  // CHECK: graph.expand %[[KV]] : tensor<1x1x41x24xf32> to tensor<3x2x4x41x24xf32>
  %1 = graph.expand %kv : tensor<1x1x41x24xf32> to tensor<3x2x4x41x24xf32>
  // CHECK: graph.gather %[[WTE]], %[[IDS]] {axis = 0 : i64} : (tensor<1000x120xf32>, tensor<1x41xi64>) -> tensor<1x41x120xf32>
  %2 = graph.gather %wte, %ids {axis = 0 : i64}
      : (tensor<1000x120xf32>, tensor<1x41xi64>) -> tensor<1x41x120xf32>
  // CHECK: graph.gather %[[WTE]], %[[IDX]] {axis = 1 : i64} : (tensor<1000x120xf32>, tensor<i32>) -> tensor<1000xf32>
  %3 = graph.gather %wte, %idx {axis = 1 : i64}
      : (tensor<1000x120xf32>, tensor<i32>) -> tensor<1000xf32>
  // CHECK: graph.trilu %[[ONES]] {k = 1 : i64, upper} : tensor<41x41xf32>
  %4 = graph.trilu %ones {upper, k = 1 : i64} : tensor<41x41xf32>
  // CHECK: graph.trilu %[[ONES]] : tensor<41x41xf32>
  %5 = graph.trilu %ones {k = 0 : i64} : tensor<41x41xf32>
  // CHECK: graph.trilu %[[ONES]] {k = -2 : i64} : tensor<41x41xf32>
  %6 = graph.trilu %ones {k = -2 : i64} : tensor<41x41xf32>
  return
}

// -----

// The data-indexed ops: GatherElements, GatherND (with batch dimensions) and
// ScatterND (every reduction; `none` is the default and not printed).
// CHECK-LABEL: func.func @data_indexed
// CHECK-SAME: (%[[X:.+]]: tensor<4x9xf32>, %[[IE:.+]]: tensor<4x3xi64>, %[[T:.+]]: tensor<2x37x64xf32>, %[[IND:.+]]: tensor<2x5x1xi32>, %[[ISN:.+]]: tensor<3x2xi64>, %[[U:.+]]: tensor<3x64xf32>)
func.func @data_indexed(%x: tensor<4x9xf32>, %ie: tensor<4x3xi64>,
                        %t: tensor<2x37x64xf32>, %ind: tensor<2x5x1xi32>,
                        %isn: tensor<3x2xi64>, %u: tensor<3x64xf32>) {
  // CHECK: graph.gather_elements %[[X]], %[[IE]] {axis = 1 : i64} : (tensor<4x9xf32>, tensor<4x3xi64>) -> tensor<4x3xf32>
  %0 = graph.gather_elements %x, %ie {axis = 1 : i64} : (tensor<4x9xf32>, tensor<4x3xi64>) -> tensor<4x3xf32>
  // CHECK: graph.gather_nd %[[T]], %[[IND]] {batch_dims = 1 : i64} : (tensor<2x37x64xf32>, tensor<2x5x1xi32>) -> tensor<2x5x64xf32>
  %1 = graph.gather_nd %t, %ind {batch_dims = 1 : i64} : (tensor<2x37x64xf32>, tensor<2x5x1xi32>) -> tensor<2x5x64xf32>
  // CHECK: graph.scatter_nd %[[T]], %[[ISN]], %[[U]] : (tensor<2x37x64xf32>, tensor<3x2xi64>, tensor<3x64xf32>) -> tensor<2x37x64xf32>
  %2 = graph.scatter_nd %t, %isn, %u : (tensor<2x37x64xf32>, tensor<3x2xi64>, tensor<3x64xf32>) -> tensor<2x37x64xf32>
  // CHECK: graph.scatter_nd %[[T]], %[[ISN]], %[[U]] {reduction = #graph.reduction<add>}
  %3 = graph.scatter_nd %t, %isn, %u {reduction = #graph.reduction<add>} : (tensor<2x37x64xf32>, tensor<3x2xi64>, tensor<3x64xf32>) -> tensor<2x37x64xf32>
  // CHECK: graph.scatter_nd %[[T]], %[[ISN]], %[[U]] {reduction = #graph.reduction<mul>}
  %4 = graph.scatter_nd %t, %isn, %u {reduction = #graph.reduction<mul>} : (tensor<2x37x64xf32>, tensor<3x2xi64>, tensor<3x64xf32>) -> tensor<2x37x64xf32>
  // CHECK: graph.scatter_nd %[[T]], %[[ISN]], %[[U]] {reduction = #graph.reduction<max>}
  %5 = graph.scatter_nd %t, %isn, %u {reduction = #graph.reduction<max>} : (tensor<2x37x64xf32>, tensor<3x2xi64>, tensor<3x64xf32>) -> tensor<2x37x64xf32>
  // CHECK: graph.scatter_nd %[[T]], %[[ISN]], %[[U]] {reduction = #graph.reduction<min>}
  %6 = graph.scatter_nd %t, %isn, %u {reduction = #graph.reduction<min>} : (tensor<2x37x64xf32>, tensor<3x2xi64>, tensor<3x64xf32>) -> tensor<2x37x64xf32>
  return
}

// -----

// CHECK-LABEL: func.func @fusion_group
// CHECK:         %[[G:.+]]:2 = graph.fusion_group pointwise (%{{.+}}, %{{.+}}) : (tensor<2x3xf32>, tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
// CHECK:         ^bb0(%[[A:.+]]: tensor<2x3xf32>, %[[B:.+]]: tensor<3xf32>):
// CHECK:           %[[H:.+]] = graph.constant dense<5.000000e-01> : tensor<f32>
// CHECK:           %[[S:.+]] = graph.add %[[A]], %[[B]]
// CHECK:           %[[M:.+]] = graph.mul %[[S]], %[[H]]
// CHECK:           graph.yield %[[S]], %[[M]] : tensor<2x3xf32>, tensor<2x3xf32>
func.func @fusion_group(%x: tensor<2x3xf32>, %b: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0:2 = graph.fusion_group pointwise (%x, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  ^bb0(%a: tensor<2x3xf32>, %c: tensor<3xf32>):
    %h = graph.constant dense<0.5> : tensor<f32>
    %s = graph.add %a, %c : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    %m = graph.mul %s, %h : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
    graph.yield %s, %m : tensor<2x3xf32>, tensor<2x3xf32>
  }
  return %0#0, %0#1 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// A matmul group reading views of its input (the Q and K pieces of a fused
// projection) and storing through one (the scores, transposed).
// CHECK-LABEL: func.func @fusion_group_views
// CHECK:         graph.fusion_group matmul (%{{.+}}) : (tensor<2x7x24xf32>) -> tensor<2x7x3x7xf32> {
// CHECK:           graph.split
// CHECK:           graph.transpose
// CHECK:           graph.matmul
// CHECK:           %[[T:.+]] = graph.transpose
// CHECK:           graph.yield %[[T]] : tensor<2x7x3x7xf32>
func.func @fusion_group_views(%qkv: tensor<2x7x24xf32>) -> tensor<2x7x3x7xf32> {
  %0 = graph.fusion_group matmul (%qkv) : (tensor<2x7x24xf32>) -> tensor<2x7x3x7xf32> {
  ^bb0(%a: tensor<2x7x24xf32>):
    %s:2 = graph.split %a {axis = 2 : i64, sizes = array<i64: 12, 12>} : (tensor<2x7x24xf32>) -> (tensor<2x7x12xf32>, tensor<2x7x12xf32>)
    %q = graph.reshape %s#0 : tensor<2x7x12xf32> to tensor<2x7x3x4xf32>
    %qt = graph.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x7x3x4xf32>) -> tensor<2x3x7x4xf32>
    %k = graph.reshape %s#1 : tensor<2x7x12xf32> to tensor<2x7x3x4xf32>
    %kt = graph.transpose %k {permutation = array<i64: 0, 2, 3, 1>} : (tensor<2x7x3x4xf32>) -> tensor<2x3x4x7xf32>
    %m = graph.matmul %qt, %kt : (tensor<2x3x7x4xf32>, tensor<2x3x4x7xf32>) -> tensor<2x3x7x7xf32>
    %t = graph.transpose %m {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x3x7x7xf32>) -> tensor<2x7x3x7xf32>
    graph.yield %t : tensor<2x7x3x7xf32>
  }
  return %0 : tensor<2x7x3x7xf32>
}

// -----

// A rows group: a reduction of the trailing axes with its neighbours.
// CHECK-LABEL: func.func @fusion_group_rows
// CHECK:         graph.fusion_group rows (%{{.+}}) : (tensor<2x4x6xf32>) -> tensor<2x4x1xf32> {
// CHECK:           graph.mul
// CHECK:           graph.reduce_mean
// CHECK:           graph.sqrt
// CHECK:           graph.yield
func.func @fusion_group_rows(%x: tensor<2x4x6xf32>) -> tensor<2x4x1xf32> {
  %0 = graph.fusion_group rows (%x) : (tensor<2x4x6xf32>) -> tensor<2x4x1xf32> {
  ^bb0(%a: tensor<2x4x6xf32>):
    %m = graph.mul %a, %a : (tensor<2x4x6xf32>, tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
    %r = graph.reduce_mean %m {axes = array<i64: 2>, keep_dims} : (tensor<2x4x6xf32>) -> tensor<2x4x1xf32>
    %s = graph.sqrt %r : tensor<2x4x1xf32>
    graph.yield %s : tensor<2x4x1xf32>
  }
  return %0 : tensor<2x4x1xf32>
}

// -----

// CHECK-LABEL: func.func @attention
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {mask_kind = #graph.mask<keep>, masked_score = -1.000000e+04 : f64, scale = 1.250000e-01 : f64} : (tensor<2x4x9x8xf32>, tensor<2x1x11x8xf32>, tensor<2x1x11x6xf32>, tensor<9x11xi1>) -> tensor<2x4x9x6xf32>
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}} {mask_kind = #graph.mask<none>, scale = 1.000000e+00 : f64} : (tensor<9x8xf32>, tensor<11x8xf32>, tensor<11x6xf32>) -> tensor<9x6xf32>
func.func @attention(%q: tensor<2x4x9x8xf32>, %k: tensor<2x1x11x8xf32>, %v: tensor<2x1x11x6xf32>, %m: tensor<9x11xi1>, %q2: tensor<9x8xf32>, %k2: tensor<11x8xf32>, %v2: tensor<11x6xf32>) -> (tensor<2x4x9x6xf32>, tensor<9x6xf32>) {
  %0 = graph.attention %q, %k, %v, %m {mask_kind = #graph.mask<keep>, masked_score = -1.0e4 : f64, scale = 0.125 : f64} : (tensor<2x4x9x8xf32>, tensor<2x1x11x8xf32>, tensor<2x1x11x6xf32>, tensor<9x11xi1>) -> tensor<2x4x9x6xf32>
  %1 = graph.attention %q2, %k2, %v2 {mask_kind = #graph.mask<none>, scale = 1.0 : f64} : (tensor<9x8xf32>, tensor<11x8xf32>, tensor<11x6xf32>) -> tensor<9x6xf32>
  return %0, %1 : tensor<2x4x9x6xf32>, tensor<9x6xf32>
}

// -----

// A matmul group with a LayerNorm prologue.
// CHECK-LABEL: func.func @fusion_group_prologue
// CHECK:         graph.fusion_group matmul
// CHECK:           %[[N:.+]] = graph.layernorm
// CHECK:           graph.matmul %[[N]]
func.func @fusion_group_prologue(%x: tensor<7x20xf32>, %g: tensor<20xf32>, %w: tensor<20x5xf32>) -> tensor<7x5xf32> {
  %0 = graph.fusion_group matmul (%x, %g, %w) : (tensor<7x20xf32>, tensor<20xf32>, tensor<20x5xf32>) -> tensor<7x5xf32> {
  ^bb0(%a: tensor<7x20xf32>, %s: tensor<20xf32>, %b: tensor<20x5xf32>):
    %n = graph.layernorm %a, %s {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<7x20xf32>, tensor<20xf32>) -> tensor<7x20xf32>
    %m = graph.matmul %n, %b : (tensor<7x20xf32>, tensor<20x5xf32>) -> tensor<7x5xf32>
    graph.yield %m : tensor<7x5xf32>
  }
  return %0 : tensor<7x5xf32>
}

// -----

// A chain group: an MLP with an RMSNorm prologue, SwiGLU's dual product,
// the down projection, the residual add and its tiles.
// CHECK-LABEL: func.func @fusion_group_chain
// CHECK:         graph.fusion_group chain ({{.+}}) {tile_sizes = array<i64: 16, 32, 16>}
// CHECK:           %[[N:.+]] = graph.rmsnorm
// CHECK:           %[[G:.+]] = graph.matmul %[[N]]
// CHECK:           %[[U:.+]] = graph.matmul %[[N]]
// CHECK:           %[[H:.+]] = graph.mul %[[G]], %[[U]]
// CHECK:           %[[D:.+]] = graph.matmul %[[H]]
// CHECK:           graph.add %{{.+}}, %[[D]]
func.func @fusion_group_chain(%x: tensor<7x8xf32>, %g: tensor<8xf32>, %wg: tensor<8x24xf32>, %wu: tensor<8x24xf32>, %wd: tensor<24x8xf32>) -> tensor<7x8xf32> {
  %0 = graph.fusion_group chain (%x, %g, %wg, %wu, %wd) {tile_sizes = array<i64: 16, 32, 16>} : (tensor<7x8xf32>, tensor<8xf32>, tensor<8x24xf32>, tensor<8x24xf32>, tensor<24x8xf32>) -> tensor<7x8xf32> {
  ^bb0(%a: tensor<7x8xf32>, %s: tensor<8xf32>, %b: tensor<8x24xf32>, %c: tensor<8x24xf32>, %d: tensor<24x8xf32>):
    %n = graph.rmsnorm %a, %s {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<7x8xf32>, tensor<8xf32>) -> tensor<7x8xf32>
    %m = graph.matmul %n, %b : (tensor<7x8xf32>, tensor<8x24xf32>) -> tensor<7x24xf32>
    %u = graph.matmul %n, %c : (tensor<7x8xf32>, tensor<8x24xf32>) -> tensor<7x24xf32>
    %h = graph.mul %m, %u : (tensor<7x24xf32>, tensor<7x24xf32>) -> tensor<7x24xf32>
    %y = graph.matmul %h, %d : (tensor<7x24xf32>, tensor<24x8xf32>) -> tensor<7x8xf32>
    %r = graph.add %a, %y : (tensor<7x8xf32>, tensor<7x8xf32>) -> tensor<7x8xf32>
    graph.yield %r : tensor<7x8xf32>
  }
  return %0 : tensor<7x8xf32>
}

// -----

// An attention group with its output projection and residual add.
// CHECK-LABEL: func.func @fusion_group_attention_projection
// CHECK:         graph.fusion_group attention
// CHECK:           %[[O:.+]] = graph.attention
// CHECK:           %[[T:.+]] = graph.transpose %[[O]]
// CHECK:           %[[R:.+]] = graph.reshape %[[T]]
// CHECK:           %[[P:.+]] = graph.matmul %[[R]]
// CHECK:           graph.add %[[P]]
func.func @fusion_group_attention_projection(%q: tensor<2x2x7x4xf32>, %w: tensor<8x8xf32>, %x: tensor<2x7x8xf32>) -> tensor<2x7x8xf32> {
  %0 = graph.fusion_group attention (%q, %w, %x) {tile_sizes = array<i64: 16, 32>} : (tensor<2x2x7x4xf32>, tensor<8x8xf32>, tensor<2x7x8xf32>) -> tensor<2x7x8xf32> {
  ^bb0(%a: tensor<2x2x7x4xf32>, %b: tensor<8x8xf32>, %c: tensor<2x7x8xf32>):
    %o = graph.attention %a, %a, %a {mask_kind = #graph.mask<none>, scale = 0.5 : f64} : (tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>, tensor<2x2x7x4xf32>) -> tensor<2x2x7x4xf32>
    %t = graph.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x2x7x4xf32>) -> tensor<2x7x2x4xf32>
    %r = graph.reshape %t : tensor<2x7x2x4xf32> to tensor<2x7x8xf32>
    %p = graph.matmul %r, %b : (tensor<2x7x8xf32>, tensor<8x8xf32>) -> tensor<2x7x8xf32>
    %s = graph.add %p, %c : (tensor<2x7x8xf32>, tensor<2x7x8xf32>) -> tensor<2x7x8xf32>
    graph.yield %s : tensor<2x7x8xf32>
  }
  return %0 : tensor<2x7x8xf32>
}
