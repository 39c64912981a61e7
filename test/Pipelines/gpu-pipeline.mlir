// RUN: meld-opt %s --meld-graph-to-tile-pipeline --meld-gpu-pipeline="chip=sm_90a" | FileCheck %s

// The whole GPU path from the graph dialect: the kernels end as one gpu.binary
// holding PTX for the chip; math comes from libdevice.
// CHECK:     gpu.binary @meld_kernels
// CHECK-SAME:  #nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80"
// CHECK-SAME:  .target sm_90a
// CHECK-SAME:  .entry
// CHECK-NOT: tile.kernel
// RUN: meld-opt %s --meld-graph-to-tile-pipeline --meld-gpu-pipeline="chip=sm_90a" | FileCheck %s --check-prefix=PTX
// RUN: meld-opt %s --meld-graph-to-tile-pipeline --meld-gpu-pipeline="chip=sm_90a" | FileCheck %s --check-prefix=NOBAR
// The reduction (each warp holding whole rows) combines each thread's
// elements of a row, then the lanes sharing it with butterfly shuffles, in
// registers: no barrier.
// PTX-DAG: .entry gelu(
// PTX-DAG: .entry reduce_sum(
// PTX-DAG: shfl.sync.bfly
// NOBAR-NOT: bar.sync
// CHECK-NOT: tile.kernel
// CHECK-NOT: func.func @main
func.func @main(%x: tensor<7x33xf32> {meld.name = "x"}) -> (tensor<7xf32> {meld.name = "y"}) {
  %0 = graph.gelu %x : tensor<7x33xf32>
  %1 = graph.reduce_sum %0 {axes = array<i64: 1>} : (tensor<7x33xf32>) -> tensor<7xf32>
  return %1 : tensor<7xf32>
}
