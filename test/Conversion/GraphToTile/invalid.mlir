// RUN: meld-opt %s -split-input-file --meld-graph-to-tile -verify-diagnostics

// expected-error @below {{expected a 'main' function holding the graph}}
module {
  func.func @not_main(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

func.func @main(%x: tensor<4xf32> {meld.name = "x"}) -> (tensor<4xf32> {meld.name = "y"}) {
  // expected-error @below {{'tensor.empty' op has no tile lowering}}
  %0 = tensor.empty() : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @main(%x: tensor<4xui8> {meld.name = "x"}) -> (tensor<4xui8> {meld.name = "y"}) {
  // expected-error @below {{'graph.neg' op element type 'ui8' has no tile lowering (integers must be signless)}}
  %0 = graph.neg %x : tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----

func.func @main(%x: tensor<4xi64> {meld.name = "x"}) -> (tensor<4xi64> {meld.name = "y"}) {
  %d = graph.constant dense<[2, 1, 0, 3]> : tensor<4xi64>
  // expected-error @below {{integer division by zero: the divisor is a constant whose element 2 is 0}}
  %0 = graph.div %x, %d : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @main(%q: tensor<9x300xf32> {meld.name = "q"}, %k: tensor<11x300xf32> {meld.name = "k"}, %v: tensor<11x6xf32> {meld.name = "v"}) -> (tensor<9x6xf32> {meld.name = "o"}) {
  // expected-error @below {{'graph.attention' op head dimension 300 exceeds 256, the most one attention kernel holds}}
  %0 = graph.attention %q, %k, %v {mask_kind = #graph.mask<none>, scale = 1.0 : f64} : (tensor<9x300xf32>, tensor<11x300xf32>, tensor<11x6xf32>) -> tensor<9x6xf32>
  return %0 : tensor<9x6xf32>
}
