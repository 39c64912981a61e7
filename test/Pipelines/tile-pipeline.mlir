// RUN: meld-opt %s --meld-graph-to-tile-pipeline | FileCheck %s

// The tile pipeline makes one kernel per graph op, then keeps one of each set of
// identical kernels: the three tanh of one shape launch one kernel, the tanh of
// another shape and the add have their own.
// CHECK-LABEL: func.func @main
// CHECK:       tile.launch @[[TANH:tanh[_0-9]*]](
// CHECK:       tile.launch @[[TANH]](
// CHECK:       tile.launch @[[ADD:add[_0-9]*]](
// CHECK:       tile.launch @[[TANH]](
// CHECK-NOT:   tile.launch @[[TANH]](
// CHECK:       tile.launch @[[OTHER:tanh_[0-9]+]](
// CHECK-COUNT-3: tile.kernel
// CHECK-NOT:   tile.kernel
func.func @main(%x: tensor<7x33xf32> {meld.name = "x"}, %z: tensor<5xf32> {meld.name = "z"})
    -> (tensor<7x33xf32> {meld.name = "y"}, tensor<5xf32> {meld.name = "w"}) {
  %0 = graph.tanh %x : tensor<7x33xf32>
  %1 = graph.tanh %0 : tensor<7x33xf32>
  %2 = graph.add %1, %x : (tensor<7x33xf32>, tensor<7x33xf32>) -> tensor<7x33xf32>
  %3 = graph.tanh %2 : tensor<7x33xf32>
  %4 = graph.tanh %z : tensor<5xf32>
  return %3, %4 : tensor<7x33xf32>, tensor<5xf32>
}
