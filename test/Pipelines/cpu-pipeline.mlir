// RUN: meld-opt %s --meld-graph-to-tile-pipeline --meld-cpu-pipeline > %t.vector
// RUN: FileCheck %s --check-prefixes=CHECK,VECTOR < %t.vector
// RUN: FileCheck %s --check-prefix=NO-ERFF < %t.vector
// RUN: meld-opt %s --meld-graph-to-tile-pipeline --meld-cpu-pipeline=vectorize=false | FileCheck %s --check-prefixes=CHECK,LOOPS

// The whole host path from the graph dialect: every kernel ends as an LLVM
// function with the CPU kernel ABI, and neither the launch plan nor any tile,
// tensor or memref op is left. On vectors, erf is a polynomial; in the loops
// it is libm's, called.
// NO-ERFF-NOT: @erff
// VECTOR-DAG:  llvm.intr.vector.reduce.fadd
// LOOPS-DAG:   llvm.func @erff(f32) -> f32
// CHECK-DAG:   llvm.func @gelu(%{{.+}}: !llvm.ptr, %{{.+}}: i64, %{{.+}}: i64)
// CHECK-DAG:   llvm.func @reduce_sum(%{{.+}}: !llvm.ptr, %{{.+}}: i64, %{{.+}}: i64)
// CHECK-NOT:   func.func @main
// CHECK-NOT:   tile.
// CHECK-NOT:   tensor.
// CHECK-NOT:   memref.
func.func @main(%x: tensor<7x33xf32> {meld.name = "x"}) -> (tensor<7xf32> {meld.name = "y"}) {
  %0 = graph.gelu %x : tensor<7x33xf32>
  %1 = graph.reduce_sum %0 {axes = array<i64: 1>} : (tensor<7x33xf32>) -> tensor<7xf32>
  return %1 : tensor<7xf32>
}
