// RUN: meld-opt %s -split-input-file --meld-graph-to-tile | FileCheck %s

// Inputs keep their names; outputs become trailing buffer arguments that the
// last kernel writes directly. Buffers are flat; the tensor shapes stay in
// meld.shape.
// CHECK-LABEL: func.func @main(
// CHECK-SAME:    %[[X:.+]]: memref<4920xf32> {meld.name = "x", meld.shape = array<i64: 41, 120>},
// CHECK-SAME:    %[[Y:.+]]: memref<4920xf32> {meld.name = "y", meld.output, meld.shape = array<i64: 41, 120>})
// CHECK-NEXT:    tile.launch @tanh(%[[X]], %[[Y]])
// CHECK-NEXT:    return
// CHECK:       tile.kernel @tanh(%{{.+}}: memref<4920xf32>, %{{.+}}: memref<4920xf32>) attributes {grid = array<i64: 5>}
// CHECK:         %[[PID:.+]] = tile.program_id 0
// CHECK:         %[[LIN:.+]] = arith.addi
// CHECK:         %[[MASK:.+]] = arith.cmpi ult, %[[LIN]]
// CHECK:         %[[IN:.+]] = tile.load %{{.+}}[%{{.+}}], %[[MASK]]
// CHECK:         %[[T:.+]] = math.tanh %[[IN]] : tensor<1024xf32>
// CHECK:         tile.store %[[T]], %{{.+}}[%[[LIN]]], %[[MASK]]
func.func @main(%x: tensor<41x120xf32> {meld.name = "x"}) -> (tensor<41x120xf32> {meld.name = "y"}) {
  %0 = graph.tanh %x : tensor<41x120xf32>
  return %0 : tensor<41x120xf32>
}

// -----

// Intermediates are allocated; broadcast operands are indexed by the result
// coordinates of their non-unit dimensions only; weights are referenced by
// handle; splat constants become tile constants in the kernel and other
// constants read-only globals.
// CHECK-LABEL: func.func @main(
// CHECK-DAG:     %[[C:.+]] = memref.get_global @__meld_constant_0 : memref<2xf32>
// CHECK-DAG:     %[[W:.+]] = tile.weight "bias" : memref<2xf32>
// CHECK:         %[[T:.+]] = memref.alloc() : memref<8xf32>
// CHECK:         tile.launch @add(%{{.+}}, %[[W]], %[[T]])
// CHECK:         %[[U:.+]] = memref.alloc() : memref<8xf32>
// CHECK:         tile.launch @mul(%[[T]], %[[U]])
// CHECK:         tile.launch @sub(%[[U]], %[[C]], %{{.+}})
// CHECK:       memref.global "private" constant @__meld_constant_0 : memref<2xf32> = dense<[1.000000e+00, 2.000000e+00]>
// CHECK:       tile.kernel @add
// CHECK:         arith.remui %{{.+}}, %{{.+}} : tensor<8xindex>
// CHECK:         arith.addf %{{.+}}, %{{.+}} : tensor<8xf32>
// CHECK:       tile.kernel @mul
// CHECK:         %[[HALF:.+]] = arith.constant dense<5.000000e-01> : tensor<8xf32>
// CHECK:         arith.mulf %{{.+}}, %[[HALF]] : tensor<8xf32>
func.func @main(%x: tensor<4x2xf32> {meld.name = "x"}) -> (tensor<4x2xf32> {meld.name = "y"}) {
  %b = graph.weight "bias" : tensor<2xf32>
  %h = graph.constant dense<0.5> : tensor<1xf32>
  %c = graph.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %0 = graph.add %x, %b : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %1 = graph.mul %0, %h : (tensor<4x2xf32>, tensor<1xf32>) -> tensor<4x2xf32>
  %2 = graph.sub %1, %c : (tensor<4x2xf32>, tensor<1x2xf32>) -> tensor<4x2xf32>
  return %2 : tensor<4x2xf32>
}

// -----

// Reshapes share their input's buffer: the producer writes the output buffer.
// An output that no kernel writes (here an input returned as is) is copied.
// CHECK-LABEL: func.func @main(
// CHECK-SAME:    %[[X:[^:]+]]: memref<6xf32>
// CHECK-SAME:    %[[R:[^:]+]]: memref<6xf32> {meld.name = "r", meld.output
// CHECK-SAME:    %[[S:[^:]+]]: memref<6xf32> {meld.name = "same", meld.output
// CHECK-NEXT:    tile.launch @exp(%[[X]], %[[R]])
// CHECK-NEXT:    tile.launch @copy(%[[X]], %[[S]])
func.func @main(%x: tensor<2x3xf32> {meld.name = "x"}) -> (tensor<3x2xf32> {meld.name = "r"}, tensor<2x3xf32> {meld.name = "same"}) {
  %0 = graph.exp %x : tensor<2x3xf32>
  %1 = graph.reshape %0 : tensor<2x3xf32> to tensor<3x2xf32>
  return %1, %x : tensor<3x2xf32>, tensor<2x3xf32>
}

// -----

// A batched matrix product: one program per 32x8 output tile and batch, a loop
// over K in steps of 16 accumulating with tile.dot; masks on M, N and K. The
// second tile of rows hangs over the 41st: its product needs only the rows
// before it.
// CHECK-LABEL: tile.kernel @matmul
// CHECK-SAME:    grid = array<i64: 1, 2, 3>
// CHECK:         %[[M0:.+]] = arith.muli %{{.+}}, %c32 : index
// CHECK:         %[[ROWS:.+]] = arith.subi %c41, %[[M0]] : index
// CHECK:         scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[ACC:.+]] = %{{.+}}) -> (tensor<32x8xf32>)
// CHECK:           %[[A:.+]] = tile.load {{.+}} -> tensor<32x16xf32>
// CHECK:           %[[B:.+]] = tile.load {{.+}} -> tensor<16x8xf32>
// CHECK:           tile.dot %[[A]], %[[B]], %[[ACC]] rows %[[ROWS]]
// CHECK:         tile.store {{.+}} : tensor<32x8xf32>
func.func @main(%a: tensor<3x41x120xf32> {meld.name = "a"}, %b: tensor<120x7xf32> {meld.name = "b"}) -> (tensor<3x41x7xf32> {meld.name = "c"}) {
  %0 = graph.matmul %a, %b : (tensor<3x41x120xf32>, tensor<120x7xf32>) -> tensor<3x41x7xf32>
  return %0 : tensor<3x41x7xf32>
}

// -----

// Softmax runs three passes over each row (max, sum of exponentials, write),
// eight rows of up to 128 elements per program.
// CHECK-LABEL: tile.kernel @softmax
// CHECK-SAME:    grid = array<i64: 6>
// CHECK:         scf.for {{.+}} -> (tensor<8xf32>)
// CHECK:           tile.reduce <max>
// CHECK:         scf.for {{.+}} -> (tensor<8xf32>)
// CHECK:           math.exp
// CHECK:           tile.reduce <sum>
// CHECK:         scf.for
// CHECK:           arith.divf
// CHECK:           tile.store
func.func @main(%x: tensor<41x100xf32> {meld.name = "x"}) -> (tensor<41x100xf32> {meld.name = "y"}) {
  %0 = graph.softmax %x {axis = 1 : i64} : tensor<41x100xf32>
  return %0 : tensor<41x100xf32>
}

// -----

// Gather records an index outside [-1000, 1000) as a fault in the run's
// status (an extra kernel argument), wraps negative indices, and reads only
// where the index is in range.
// CHECK-LABEL: func.func @main(
// CHECK:         %[[STATUS:.+]] = tile.fault_status : memref<3xi64>
// CHECK:         tile.launch @gather(%{{.+}}, %{{.+}}, %[[STATUS]], %{{.+}})
// CHECK-LABEL: tile.kernel @gather
// CHECK-SAME:    %[[S:[^:]+]]: memref<3xi64>
// CHECK:         %[[MASK:.+]] = arith.cmpi ult
// CHECK:         %[[IDX:.+]] = tile.load {{.+}} -> tensor<1024xi64>
// CHECK:         %[[LOW:.+]] = arith.constant dense<-1000> : tensor<1024xi64>
// CHECK:         %[[TOOLOW:.+]] = arith.cmpi slt, %[[IDX]], %[[LOW]]
// CHECK:         %[[TOOHIGH:.+]] = arith.cmpi sge, %[[IDX]], %{{.+}}
// CHECK:         %[[BAD:.+]] = arith.ori %[[TOOLOW]], %[[TOOHIGH]]
// CHECK:         %[[VIOL:.+]] = arith.andi %[[MASK]], %[[BAD]]
// CHECK:         tile.fault %[[VIOL]], %[[IDX]], %[[S]] {message = "index {} is out of range for axis 0 of size 1000", site = 1 : i32}
// CHECK:         %[[GOOD:.+]] = arith.xori %[[BAD]]
// CHECK:         %[[READ:.+]] = arith.andi %[[MASK]], %[[GOOD]]
// CHECK:         tile.load %{{.+}}[%{{.+}}], %[[READ]], %{{.+}} : {{.+}} -> tensor<1024xf32>
func.func @main(%ids: tensor<1x41xi64> {meld.name = "ids"}, %wte: tensor<1000x120xf32> {meld.name = "wte"}) -> (tensor<1x41x120xf32> {meld.name = "h"}) {
  %0 = graph.gather %wte, %ids {axis = 0 : i64} : (tensor<1000x120xf32>, tensor<1x41xi64>) -> tensor<1x41x120xf32>
  return %0 : tensor<1x41x120xf32>
}

// -----

// Integer division records a zero divisor as a fault (the detail: the result
// element), and never divides by 0 or -1: those divisors become 1, and a
// division by -1 is a negation (the signed minimum wraps to itself).
// CHECK-LABEL: tile.kernel @div
// CHECK-SAME:    %[[S:[^:]+]]: memref<3xi64>
// CHECK:         %[[LIN:.+]] = arith.addi
// CHECK:         %[[MASK:.+]] = arith.cmpi ult, %[[LIN]]
// CHECK:         %[[X:.+]] = tile.load {{.+}} -> tensor<8xi32>
// CHECK:         %[[D:.+]] = tile.load {{.+}} -> tensor<8xi32>
// CHECK:         %[[ISZERO:.+]] = arith.cmpi eq, %[[D]]
// CHECK:         %[[VIOL:.+]] = arith.andi %[[MASK]], %[[ISZERO]]
// CHECK:         %[[POS:.+]] = arith.index_cast %[[LIN]] : tensor<8xindex> to tensor<8xi64>
// CHECK:         tile.fault %[[VIOL]], %[[POS]], %[[S]] {message = "integer division by zero at result element {} (row-major, of 5)", site = 1 : i32}
// CHECK:         %[[Z:.+]] = arith.cmpi eq, %[[D]]
// CHECK:         %[[M1:.+]] = arith.cmpi eq, %[[D]]
// CHECK:         %[[EITHER:.+]] = arith.ori %[[Z]], %[[M1]]
// CHECK:         %[[SAFE:.+]] = arith.select %[[EITHER]], %{{.+}}, %[[D]]
// CHECK:         %[[Q:.+]] = arith.divsi %[[X]], %[[SAFE]]
// CHECK:         %[[NEG:.+]] = arith.subi %{{.+}}, %[[X]]
// CHECK:         %[[R:.+]] = arith.select %[[M1]], %[[NEG]], %[[Q]]
// CHECK:         tile.store %[[R]]
func.func @main(%a: tensor<5xi32> {meld.name = "a"}, %b: tensor<5xi32> {meld.name = "b"}) -> (tensor<5xi32> {meld.name = "q"}) {
  %0 = graph.div %a, %b : (tensor<5xi32>, tensor<5xi32>) -> tensor<5xi32>
  return %0 : tensor<5xi32>
}

// -----

// GatherElements: element c reads index c (the result has the indices'
// shape), checked against axis 1, and the input at c with coordinate 1
// replaced by it, only where it is in range.
// CHECK-LABEL: tile.kernel @gather_elements
// CHECK-SAME:    %[[IN:[^:]+]]: memref<36xf32>, %[[IDX:[^:]+]]: memref<12xi64>, %[[S:[^:]+]]: memref<3xi64>
// CHECK:         %[[RAW:.+]] = tile.load %[[IDX]]
// CHECK:         tile.fault %{{.+}}, %[[RAW]], %[[S]] {message = "index {} is out of range for axis 1 of size 9", site = 1 : i32}
// CHECK:         %[[VALID:.+]] = arith.andi
// CHECK:         tile.load %[[IN]][%{{.+}}], %[[VALID]], %{{.+}} : {{.+}} -> tensor<16xf32>
func.func @main(%x: tensor<4x9xf32> {meld.name = "x"}, %i: tensor<4x3xi64> {meld.name = "i"}) -> (tensor<4x3xf32> {meld.name = "y"}) {
  %0 = graph.gather_elements %x, %i {axis = 1 : i64} : (tensor<4x9xf32>, tensor<4x3xi64>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// GatherND: each result element loads the k = 2 indices of its tuple (after
// the batch dimension), each checked against its own axis (a fault site
// each), and reads where all are in range.
// CHECK-LABEL: tile.kernel @gather_nd
// CHECK:         tile.load %{{.+}} -> tensor<128xi32>
// CHECK:         tile.fault {{.+}} {message = "index {} is out of range for axis 1 of size 37", site = 1 : i32}
// CHECK:         tile.load %{{.+}} -> tensor<128xi32>
// CHECK:         tile.fault {{.+}} {message = "index {} is out of range for axis 2 of size 3", site = 2 : i32}
// CHECK:         tile.load %{{.+}} -> tensor<128xf32>
func.func @main(%t: tensor<2x37x3x8xf32> {meld.name = "t"}, %i: tensor<2x5x2xi32> {meld.name = "i"}) -> (tensor<2x5x8xf32> {meld.name = "y"}) {
  %0 = graph.gather_nd %t, %i {batch_dims = 1 : i64} : (tensor<2x37x3x8xf32>, tensor<2x5x2xi32>) -> tensor<2x5x8xf32>
  return %0 : tensor<2x5x8xf32>
}

// -----

// ScatterND: the input is copied to the result, then one kernel, one
// program per block of a slice (35 elements), walks the 2 index tuples in
// order: checks the index, then combines the update with the element it
// lands on (add) where the index is in range.
// CHECK-LABEL: func.func @main(
// CHECK:         %[[S:.+]] = tile.fault_status
// CHECK:         tile.launch @copy(%{{.+}}, %[[OUT:.+]])
// CHECK:         tile.launch @scatter_nd(%{{.+}}, %{{.+}}, %[[S]], %[[OUT]])
// CHECK-LABEL: tile.kernel @scatter_nd
// CHECK-SAME:    %[[IDX:[^:]+]]: memref<2xi64>, %[[UPD:[^:]+]]: memref<70xf32>, %[[ST:[^:]+]]: memref<3xi64>, %[[RES:[^:]+]]: memref<105xf32>) attributes {grid = array<i64: 1>}
// CHECK:         scf.for
// CHECK:           %[[AT:.+]] = tensor.splat %{{.+}} : tensor<64xindex>
// CHECK:           %[[RAW:.+]] = tile.load %[[IDX]][%[[AT]]]
// CHECK:           tile.fault %{{.+}}, %[[RAW]], %[[ST]] {message = "index {} is out of range for axis 0 of size 3", site = 1 : i32}
// CHECK:           %[[UPDATE:.+]] = tile.load %[[UPD]]
// CHECK:           %[[CUR:.+]] = tile.load %[[RES]][%[[OFF:[0-9]+]]], %[[VALID:[0-9]+]],
// CHECK:           %[[SUM:.+]] = arith.addf %[[CUR]], %[[UPDATE]]
// CHECK:           tile.store %[[SUM]], %[[RES]][%[[OFF]]], %[[VALID]]
func.func @main(%t: tensor<3x5x7xf32> {meld.name = "t"}, %i: tensor<2x1xi64> {meld.name = "i"}, %u: tensor<2x5x7xf32> {meld.name = "u"}) -> (tensor<3x5x7xf32> {meld.name = "y"}) {
  %0 = graph.scatter_nd %t, %i, %u {reduction = #graph.reduction<add>} : (tensor<3x5x7xf32>, tensor<2x1xi64>, tensor<2x5x7xf32>) -> tensor<3x5x7xf32>
  return %0 : tensor<3x5x7xf32>
}

// -----

// A pointwise fusion group is one kernel: each input loaded once per element
// (the bias broadcast), every op of the region computed on the tile, each
// result stored once. The intermediate %s never gets a buffer of its own
// unless it is a result.
// CHECK-LABEL: func.func @main(
// CHECK-SAME:    %[[X:[^:]+]]: memref<6xf32>
// CHECK-SAME:    %[[B:[^:]+]]: memref<3xf32>
// CHECK-SAME:    %[[S:[^:]+]]: memref<6xf32> {meld.name = "s", meld.output
// CHECK-SAME:    %[[Y:[^:]+]]: memref<6xf32> {meld.name = "y", meld.output
// CHECK-NEXT:    tile.launch @add_mul_tanh(%[[X]], %[[B]], %[[S]], %[[Y]])
// CHECK-NEXT:    return
// CHECK:       tile.kernel @add_mul_tanh(
// CHECK-COUNT-2: tile.load
// CHECK-NOT:     tile.load
// CHECK:         %[[SUM:.+]] = arith.addf
// CHECK-NOT:     tile.load
// CHECK:         %[[HALF:.+]] = arith.constant dense<5.000000e-01> : tensor<8xf32>
// CHECK:         %[[M:.+]] = arith.mulf %[[SUM]], %[[HALF]]
// CHECK-NOT:     tile.load
// CHECK:         %[[T:.+]] = math.tanh %[[M]]
// CHECK-NOT:     tile.load
// CHECK:         tile.store %[[SUM]]
// CHECK:         tile.store %[[T]]
// CHECK-NOT:     tile.{{load|store}}
func.func @main(%x: tensor<2x3xf32> {meld.name = "x"}, %b: tensor<3xf32> {meld.name = "b"}) -> (tensor<2x3xf32> {meld.name = "s"}, tensor<2x3xf32> {meld.name = "y"}) {
  %0:2 = graph.fusion_group pointwise (%x, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  ^bb0(%a: tensor<2x3xf32>, %c: tensor<3xf32>):
    %h = graph.constant dense<0.5> : tensor<f32>
    %s = graph.add %a, %c : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    %m = graph.mul %s, %h : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
    %t = graph.tanh %m : tensor<2x3xf32>
    graph.yield %s, %t : tensor<2x3xf32>, tensor<2x3xf32>
  }
  return %0#0, %0#1 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// A matmul group is one kernel: the K loop of tile.dot, then the epilogue
// (bias broadcast over rows, tanh, residual) on the accumulator tile before
// the one store. A batched product's epilogue indexes the batch too. The
// kernel gets the warps the group's tiles were chosen for.
// CHECK-LABEL: func.func @main(
// CHECK:         tile.launch @matmul_add_tanh_add(
// CHECK-NOT:     tile.launch
// CHECK:       tile.kernel @matmul_add_tanh_add({{.*}} attributes {grid = array<i64: 1, 1, 2>, num_warps = 2 : i64}
// CHECK-COUNT-2: tile.load
// CHECK:         tile.dot
// CHECK:         scf.yield
// CHECK:         %[[BIAS:.+]] = tile.load %arg2
// CHECK:         %[[S:.+]] = arith.addf %{{.+}}, %[[BIAS]] : tensor<8x8xf32>
// CHECK:         %[[T:.+]] = math.tanh %[[S]]
// CHECK:         %[[R:.+]] = tile.load %arg3
// CHECK:         %[[O:.+]] = arith.addf %[[T]], %[[R]]
// CHECK:         tile.store %[[O]], %arg4
// CHECK-NOT:     tile.store
func.func @main(%x: tensor<2x5x7xf32> {meld.name = "x"}, %w: tensor<7x6xf32> {meld.name = "w"}, %b: tensor<6xf32> {meld.name = "b"}, %r: tensor<2x5x6xf32> {meld.name = "r"}) -> (tensor<2x5x6xf32> {meld.name = "y"}) {
  %0 = graph.fusion_group matmul (%x, %w, %b, %r) {num_warps = 2 : i64, tile_sizes = array<i64: 8, 8, 8>} : (tensor<2x5x7xf32>, tensor<7x6xf32>, tensor<6xf32>, tensor<2x5x6xf32>) -> tensor<2x5x6xf32> {
  ^bb0(%a: tensor<2x5x7xf32>, %c: tensor<7x6xf32>, %d: tensor<6xf32>, %e: tensor<2x5x6xf32>):
    %m = graph.matmul %a, %c : (tensor<2x5x7xf32>, tensor<7x6xf32>) -> tensor<2x5x6xf32>
    %s = graph.add %m, %d : (tensor<2x5x6xf32>, tensor<6xf32>) -> tensor<2x5x6xf32>
    %t = graph.tanh %s : tensor<2x5x6xf32>
    %o = graph.add %t, %e : (tensor<2x5x6xf32>, tensor<2x5x6xf32>) -> tensor<2x5x6xf32>
    graph.yield %o : tensor<2x5x6xf32>
  }
  return %0 : tensor<2x5x6xf32>
}

// -----

// A matmul group reading views: Q and K^T are both read from the one QKV
// buffer where their layouts place them (K at offset 12, rows 24 apart,
// heads 4 apart, batches 168 apart); the scores are stored transposed to
// [batch, row, head, column] (strides 147, 21, 7, 1). No copy kernel.
// CHECK-LABEL: func.func @main(
// CHECK-SAME:    %[[QKV:[^:]+]]: memref<336xf32>
// CHECK-NEXT:    tile.launch @matmul(%[[QKV]], %{{.+}})
// CHECK-NEXT:    return
// CHECK:       tile.kernel @matmul(%[[A:.+]]: memref<336xf32>, %[[OUT:.+]]: memref<294xf32>) attributes {grid = array<i64: 1, 1, 6>}
// CHECK:         arith.constant dense<168> : tensor<8x4xindex>
// CHECK:         arith.constant dense<24> : tensor<8x4xindex>
// CHECK:         arith.constant dense<12> : tensor<4x8xindex>
// CHECK:         scf.for
// CHECK:           tile.load %[[A]]
// CHECK:           tile.load %[[A]]
// CHECK:           tile.dot
// CHECK:         arith.constant dense<147> : tensor<8x8xindex>
// CHECK:         arith.constant dense<7> : tensor<8x8xindex>
// CHECK:         arith.constant dense<21> : tensor<8x8xindex>
// CHECK:         tile.store %{{.+}}, %[[OUT]]
// CHECK-NOT:     tile.kernel
func.func @main(%qkv: tensor<2x7x24xf32> {meld.name = "qkv"}) -> (tensor<2x7x3x7xf32> {meld.name = "s"}) {
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

// An attention is one flash attention kernel: one program per block of 16
// query rows and batch; the query block read once; a loop over blocks of 32
// keys carrying the row maximum, the row sum and the output block: the
// scores (a tile.dot with the K^T block), the mask dropping scores, keys past
// the end at -inf, the new maximum, the exponentials, the rescaled sum, the
// V block and a second tile.dot into the rescaled output; after the loop the
// output divided by the row sums, stored once. The scores are never stored.
// CHECK-LABEL: func.func @main(
// CHECK:         tile.launch @attention(
// CHECK-NOT:     tile.launch
// CHECK:       tile.kernel @attention(%[[Q:[^:]+]]: memref<144xf32>, %[[K:[^:]+]]: memref<640xf32>, %[[V:[^:]+]]: memref<480xf32>, %[[M:[^:]+]]: memref<360xi1>, %[[O:[^:]+]]: memref<108xf32>) attributes {grid = array<i64: 1, 2>}
// CHECK:         %[[QT:.+]] = tile.load %[[Q]]{{.+}} -> tensor<16x8xf32>
// CHECK:         %[[LOOP:.+]]:3 = scf.for %[[N0:.+]] = %{{.+}} to %c40 step %c32 iter_args(%[[MAX:.+]] = %{{.+}}, %[[SUM:.+]] = %{{.+}}, %[[ACC:.+]] = %{{.+}}) -> (tensor<16xf32>, tensor<16xf32>, tensor<16x8xf32>)
// CHECK:           %[[KT:.+]] = tile.load %[[K]]{{.+}} -> tensor<8x32xf32>
// CHECK:           %[[S:.+]] = tile.dot %[[QT]], %[[KT]]
// CHECK:           %[[SCALED:.+]] = arith.mulf %[[S]]
// CHECK:           %[[MASK:.+]] = tile.load %[[M]]{{.+}} -> tensor<16x32xi1>
// CHECK:           %[[DROPPED:.+]] = arith.select %[[MASK]], %{{.+}}, %[[SCALED]]
// CHECK:           %[[INSIDE:.+]] = arith.select %{{.+}}, %[[DROPPED]], %{{.+}}
// CHECK:           %[[ROWMAX:.+]] = tile.reduce <max>, %[[INSIDE]] {dim = 1 : i64}
// CHECK:           %[[NEWMAX:.+]] = arith.maximumf %[[MAX]], %[[ROWMAX]]
// CHECK:           %[[P:.+]] = math.exp
// CHECK:           %[[ALPHA:.+]] = math.exp
// CHECK:           tile.reduce <sum>, %[[P]] {dim = 1 : i64}
// CHECK:           %[[VT:.+]] = tile.load %[[V]]{{.+}} -> tensor<32x8xf32>
// CHECK:           %[[RESCALED:.+]] = arith.mulf %[[ACC]]
// CHECK:           %[[NEXT:.+]] = tile.dot %[[P]], %[[VT]], %[[RESCALED]]
// CHECK:           scf.yield %[[NEWMAX]], %{{.+}}, %[[NEXT]]
// CHECK:         %[[L:.+]] = tile.broadcast %[[LOOP]]#1
// CHECK:         %[[OUT:.+]] = arith.divf %[[LOOP]]#2, %[[L]]
// CHECK:         tile.store %[[OUT]], %[[O]]
// CHECK-NOT:     tile.store
func.func @main(%q: tensor<2x9x8xf32> {meld.name = "q"}, %k: tensor<2x40x8xf32> {meld.name = "k"}, %v: tensor<2x40x6xf32> {meld.name = "v"}, %m: tensor<9x40xi1> {meld.name = "m"}) -> (tensor<2x9x6xf32> {meld.name = "o"}) {
  %0 = graph.attention %q, %k, %v, %m {mask_kind = #graph.mask<drop>, masked_score = -1.0e4 : f64, scale = 0.5 : f64} : (tensor<2x9x8xf32>, tensor<2x40x8xf32>, tensor<2x40x6xf32>, tensor<9x40xi1>) -> tensor<2x9x6xf32>
  return %0 : tensor<2x9x6xf32>
}

// -----

// A LayerNorm prologue: the matmul kernel computes its rows' statistics in
// two passes over A (the sum, then the squared deviations, masked), each
// summing A's blocks elementwise and reducing the rows once after the loop;
// then in the K loop it normalizes, scales and shifts each A block (zero
// outside A) before the tile.dot. One kernel; the normalized rows are never
// stored.
// CHECK-LABEL: func.func @main(
// CHECK:         tile.launch @layernorm_matmul(
// CHECK-NOT:     tile.launch
// CHECK:       tile.kernel @layernorm_matmul(%[[X:[^:]+]]: memref<140xf32>, %[[G:[^:]+]]: memref<20xf32>, %[[B:[^:]+]]: memref<20xf32>, %[[W:[^:]+]]: memref<100xf32>, %[[Y:[^:]+]]: memref<35xf32>)
// CHECK:         %[[SUMS:.+]] = scf.for {{.+}} -> (tensor<8x16xf32>) {
// CHECK:           tile.load %[[X]]
// CHECK-NOT:       tile.reduce
// CHECK:           arith.addf %{{.+}} : tensor<8x16xf32>
// CHECK:         tile.reduce <sum>, %[[SUMS]] {dim = 1 : i64} : tensor<8x16xf32> -> tensor<8xf32>
// CHECK:         %[[SQUARES:.+]] = scf.for {{.+}} -> (tensor<8x16xf32>) {
// CHECK:           tile.load %[[X]]
// CHECK:           arith.select
// CHECK-NOT:       tile.reduce
// CHECK:           arith.addf %{{.+}} : tensor<8x16xf32>
// CHECK:         tile.reduce <sum>, %[[SQUARES]] {dim = 1 : i64} : tensor<8x16xf32> -> tensor<8xf32>
// CHECK:         math.rsqrt
// CHECK:         scf.for
// CHECK:           %[[A:.+]] = tile.load %[[X]]
// CHECK:           tile.load %[[G]]
// CHECK:           tile.load %[[B]]
// CHECK:           %[[NORM:.+]] = arith.select
// CHECK:           %[[WT:.+]] = tile.load %[[W]]
// CHECK:           tile.dot %[[NORM]], %[[WT]]
// CHECK:         tile.store %{{.+}}, %[[Y]]
// CHECK-NOT:     tile.store
func.func @main(%x: tensor<7x20xf32> {meld.name = "x"}, %g: tensor<20xf32> {meld.name = "g"}, %bb: tensor<20xf32> {meld.name = "b"}, %w: tensor<20x5xf32> {meld.name = "w"}) -> (tensor<7x5xf32> {meld.name = "y"}) {
  %0 = graph.fusion_group matmul (%x, %g, %bb, %w) : (tensor<7x20xf32>, tensor<20xf32>, tensor<20xf32>, tensor<20x5xf32>) -> tensor<7x5xf32> {
  ^bb0(%a: tensor<7x20xf32>, %s: tensor<20xf32>, %c: tensor<20xf32>, %b: tensor<20x5xf32>):
    %n = graph.layernorm %a, %s, %c {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<7x20xf32>, tensor<20xf32>, tensor<20xf32>) -> tensor<7x20xf32>
    %m = graph.matmul %n, %b : (tensor<7x20xf32>, tensor<20x5xf32>) -> tensor<7x5xf32>
    graph.yield %m : tensor<7x5xf32>
  }
  return %0 : tensor<7x5xf32>
}

// -----

// A group of two matmuls sharing A (sibling projections) is one kernel: the
// programs along x first cover the first product's column tiles, then the
// second's; each takes its part by a branch on its program id, runs its own
// K loop and epilogue and stores only its own result.
// CHECK-LABEL: func.func @main(
// CHECK-NEXT:    tile.launch @matmul_add_matmul(
// CHECK-NEXT:    return
// CHECK:       tile.kernel @matmul_add_matmul(%[[A:.+]]: memref<35xf32>, %[[W:.+]]: memref<42xf32>, %[[B:.+]]: memref<6xf32>, %[[V:.+]]: memref<21xf32>, %[[Y:.+]]: memref<30xf32>, %[[Z:.+]]: memref<15xf32>) attributes {grid = array<i64: 2, 1, 1>}
// CHECK:         %[[X:.+]] = tile.program_id 0
// CHECK:         %[[FIRST:.+]] = arith.cmpi ult, %[[X]], %c1
// CHECK:         scf.if %[[FIRST]] {
// CHECK:           scf.for
// CHECK:             tile.load %[[A]]
// CHECK:             tile.load %[[W]]
// CHECK:             tile.dot
// CHECK:           tile.load %[[B]]
// CHECK:           arith.addf
// CHECK:           tile.store %{{.+}}, %[[Y]]
// CHECK-NOT:       tile.store
// CHECK:         } else {
// CHECK:           scf.for
// CHECK:             tile.load %[[A]]
// CHECK:             tile.load %[[V]]
// CHECK:             tile.dot
// CHECK:           tile.store %{{.+}}, %[[Z]]
// CHECK-NOT:       tile.store
// CHECK:         }
func.func @main(%x: tensor<5x7xf32> {meld.name = "x"}, %w: tensor<7x6xf32> {meld.name = "w"}, %b: tensor<6xf32> {meld.name = "b"}, %v: tensor<7x3xf32> {meld.name = "v"}) -> (tensor<5x6xf32> {meld.name = "y"}, tensor<5x3xf32> {meld.name = "z"}) {
  %0:2 = graph.fusion_group matmul (%x, %w, %b, %v) : (tensor<5x7xf32>, tensor<7x6xf32>, tensor<6xf32>, tensor<7x3xf32>) -> (tensor<5x6xf32>, tensor<5x3xf32>) {
  ^bb0(%a: tensor<5x7xf32>, %c: tensor<7x6xf32>, %d: tensor<6xf32>, %e: tensor<7x3xf32>):
    %m = graph.matmul %a, %c : (tensor<5x7xf32>, tensor<7x6xf32>) -> tensor<5x6xf32>
    %s = graph.add %m, %d : (tensor<5x6xf32>, tensor<6xf32>) -> tensor<5x6xf32>
    %n = graph.matmul %a, %e : (tensor<5x7xf32>, tensor<7x3xf32>) -> tensor<5x3xf32>
    graph.yield %s, %n : tensor<5x6xf32>, tensor<5x3xf32>
  }
  return %0#0, %0#1 : tensor<5x6xf32>, tensor<5x3xf32>
}

// -----

// A row epilogue (a LayerNorm of the matmul's rows): one program per row
// tile (grid x is 1) walks the column tiles three times: computing and
// storing the values while summing each row, summing the squared deviations
// of what it stored, then normalizing it in place.
// CHECK-LABEL: func.func @main(
// CHECK:       tile.kernel @matmul_layernorm(%[[A:.+]]: memref<35xf32>, %[[W:.+]]: memref<420xf32>, %[[G:.+]]: memref<60xf32>, %[[Y:.+]]: memref<300xf32>) attributes {grid = array<i64: 1, 1, 1>}
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             tile.dot
// CHECK:           tile.store %{{.+}}, %[[Y]]
// CHECK:           tile.reduce <sum>
// CHECK:         scf.for
// CHECK:           tile.load %[[Y]]
// CHECK:           tile.reduce <sum>
// CHECK:         math.rsqrt
// CHECK:         scf.for
// CHECK:           tile.load %[[Y]]
// CHECK:           tile.load %[[G]]
// CHECK:           tile.store %{{.+}}, %[[Y]]
func.func @main(%x: tensor<5x7xf32> {meld.name = "x"}, %w: tensor<7x60xf32> {meld.name = "w"}, %g: tensor<60xf32> {meld.name = "g"}) -> (tensor<5x60xf32> {meld.name = "y"}) {
  %0 = graph.fusion_group matmul (%x, %w, %g) : (tensor<5x7xf32>, tensor<7x60xf32>, tensor<60xf32>) -> tensor<5x60xf32> {
  ^bb0(%a: tensor<5x7xf32>, %b: tensor<7x60xf32>, %c: tensor<60xf32>):
    %m = graph.matmul %a, %b : (tensor<5x7xf32>, tensor<7x60xf32>) -> tensor<5x60xf32>
    %n = graph.layernorm %m, %c {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<5x60xf32>, tensor<60xf32>) -> tensor<5x60xf32>
    graph.yield %n : tensor<5x60xf32>
  }
  return %0 : tensor<5x60xf32>
}

// -----

// A rows group (a residual add and the LayerNorm of its sum, both stored):
// the mean and the variance passes compute the sum from both inputs where
// they read it, and the last pass stores the sum and the normalized rows. No
// intermediate buffer.
// CHECK-LABEL: func.func @main(
// CHECK-NEXT:    tile.launch @add_layernorm(
// CHECK-NEXT:    return
// CHECK:       tile.kernel @add_layernorm(%[[X:.+]]: memref<246xf32>, %[[R:.+]]: memref<246xf32>, %[[G:.+]]: memref<6xf32>, %[[B:.+]]: memref<6xf32>, %[[H:.+]]: memref<246xf32>, %[[Y:.+]]: memref<246xf32>)
// CHECK:         scf.for
// CHECK:           tile.load %[[X]]
// CHECK:           tile.load %[[R]]
// CHECK:           arith.addf
// CHECK-NOT:       tile.store
// CHECK:           tile.reduce <sum>
// CHECK:         scf.for
// CHECK:           tile.load %[[X]]
// CHECK:           tile.load %[[R]]
// CHECK-NOT:       tile.store
// CHECK:           tile.reduce <sum>
// CHECK:         math.rsqrt
// CHECK:         scf.for
// CHECK:           tile.load %[[G]]
// CHECK:           tile.load %[[B]]
// CHECK-DAG:       tile.store %{{.+}}, %[[H]]
// CHECK-DAG:       tile.store %{{.+}}, %[[Y]]
func.func @main(%x: tensor<41x6xf32> {meld.name = "x"}, %r: tensor<41x6xf32> {meld.name = "r"}, %g: tensor<6xf32> {meld.name = "g"}, %b: tensor<6xf32> {meld.name = "b"}) -> (tensor<41x6xf32> {meld.name = "h"}, tensor<41x6xf32> {meld.name = "y"}) {
  %0:2 = graph.fusion_group rows (%x, %r, %g, %b) : (tensor<41x6xf32>, tensor<41x6xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<41x6xf32>, tensor<41x6xf32>) {
  ^bb0(%a: tensor<41x6xf32>, %c: tensor<41x6xf32>, %d: tensor<6xf32>, %e: tensor<6xf32>):
    %s = graph.add %a, %c : (tensor<41x6xf32>, tensor<41x6xf32>) -> tensor<41x6xf32>
    %n = graph.layernorm %s, %d, %e {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<41x6xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<41x6xf32>
    graph.yield %s, %n : tensor<41x6xf32>, tensor<41x6xf32>
  }
  return %0#0, %0#1 : tensor<41x6xf32>, tensor<41x6xf32>
}

// -----

// A chain group (an MLP with BERT's LayerNorm after it) is one kernel of
// one program per block of rows (grid x 1): a loop over blocks of the
// intermediate's columns, each computed by a K loop of the first product
// and its epilogue (bias, GELU), zeroed outside, and multiplied at once by
// the rows of the second B it meets; then the second epilogue (the residual
// add) and the LayerNorm on the rows in registers, and the one store. The
// intermediate is never stored.
// CHECK-LABEL: func.func @main(
// CHECK-NEXT:    tile.launch @matmul_add_gelu_matmul_etc(
// CHECK-NEXT:    return
// CHECK:       tile.kernel @matmul_add_gelu_matmul_etc(%[[X:[^:]+]]: memref<56xf32>, %[[W1:[^:]+]]: memref<256xf32>, %[[B1:[^:]+]]: memref<32xf32>, %[[W2:[^:]+]]: memref<256xf32>, %[[S:[^:]+]]: memref<8xf32>, %[[Y:[^:]+]]: memref<56xf32>) attributes {grid = array<i64: 1, 1, 1>}
// CHECK:         %[[LOOP:.+]] = scf.for
// CHECK:           scf.for
// CHECK:             tile.load %[[X]]
// CHECK:             tile.load %[[W1]]
// CHECK:             tile.dot
// CHECK:           tile.load %[[B1]]
// CHECK:           math.erf
// CHECK:           %[[LINK:.+]] = arith.select
// CHECK:           %[[W2T:.+]] = tile.load %[[W2]]
// CHECK:           tile.dot %[[LINK]], %[[W2T]]
// CHECK-NOT:       tile.store
// CHECK:         tile.load %[[X]]
// CHECK:         tile.reduce <sum>
// CHECK:         tile.reduce <sum>
// CHECK:         math.rsqrt
// CHECK:         tile.load %[[S]]
// CHECK:         tile.store %{{.+}}, %[[Y]]
// CHECK-NOT:     tile.store
func.func @main(%x: tensor<7x8xf32> {meld.name = "x"}, %w1: tensor<8x32xf32> {meld.name = "w1"}, %b1: tensor<32xf32> {meld.name = "b1"}, %w2: tensor<32x8xf32> {meld.name = "w2"}, %s: tensor<8xf32> {meld.name = "s"}) -> (tensor<7x8xf32> {meld.name = "y"}) {
  %0 = graph.fusion_group chain (%x, %w1, %b1, %w2, %s) : (tensor<7x8xf32>, tensor<8x32xf32>, tensor<32xf32>, tensor<32x8xf32>, tensor<8xf32>) -> tensor<7x8xf32> {
  ^bb0(%a: tensor<7x8xf32>, %b: tensor<8x32xf32>, %c: tensor<32xf32>, %d: tensor<32x8xf32>, %e: tensor<8xf32>):
    %m = graph.matmul %a, %b : (tensor<7x8xf32>, tensor<8x32xf32>) -> tensor<7x32xf32>
    %p = graph.add %m, %c : (tensor<7x32xf32>, tensor<32xf32>) -> tensor<7x32xf32>
    %g = graph.gelu %p : tensor<7x32xf32>
    %y = graph.matmul %g, %d : (tensor<7x32xf32>, tensor<32x8xf32>) -> tensor<7x8xf32>
    %r = graph.add %y, %a : (tensor<7x8xf32>, tensor<7x8xf32>) -> tensor<7x8xf32>
    %n = graph.layernorm %r, %e {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<7x8xf32>, tensor<8xf32>) -> tensor<7x8xf32>
    graph.yield %n : tensor<7x8xf32>
  }
  return %0 : tensor<7x8xf32>
}

// -----

// An attention group with its output projection: one program per block of
// queries of each batch (grid [1, 2]), a loop over the two heads, each
// running the flash loop over key blocks and multiplying the head's output
// by its rows of the weight into the accumulator of whole rows; then the
// residual add and the one store of [2, 7, 8]. The attention's result is
// never stored.
// CHECK-LABEL: func.func @main(
// CHECK-NEXT:    tile.launch @attention_transpose_reshape_matmul_etc(
// CHECK-NEXT:    return
// CHECK:       tile.kernel @attention_transpose_reshape_matmul_etc(%[[Q:[^:]+]]: memref<112xf32>, %[[W:[^:]+]]: memref<64xf32>, %[[X:[^:]+]]: memref<112xf32>, %[[Y:[^:]+]]: memref<112xf32>) attributes {grid = array<i64: 1, 2>}
// CHECK:         scf.for %[[H:.+]] = %{{.+}} to %c2{{.*}} step %c1
// CHECK:           tile.load %[[Q]]
// CHECK:           scf.for
// CHECK:             tile.dot
// CHECK:             math.exp
// CHECK:             tile.dot
// CHECK:           arith.divf
// CHECK:           %[[WT:.+]] = tile.load %[[W]]
// CHECK:           tile.dot %{{.+}}, %[[WT]]
// CHECK-NOT:       tile.store
// CHECK:         tile.load %[[X]]
// CHECK:         tile.store %{{.+}}, %[[Y]]
// CHECK-NOT:     tile.store
func.func @main(%q: tensor<2x2x7x4xf32> {meld.name = "q"}, %w: tensor<8x8xf32> {meld.name = "w"}, %x: tensor<2x7x8xf32> {meld.name = "x"}) -> (tensor<2x7x8xf32> {meld.name = "y"}) {
  %0 = graph.fusion_group attention (%q, %w, %x) : (tensor<2x2x7x4xf32>, tensor<8x8xf32>, tensor<2x7x8xf32>) -> tensor<2x7x8xf32> {
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

// -----

// A causal attention: each program's loop over key blocks ends after the
// last key its queries see (min(m0 + 16, 41): the block's rows, as Lq = Lk),
// and each score past its query's position is -inf. No mask is read.
// CHECK-LABEL: func.func @main(
// CHECK:       tile.kernel @attention(%[[Q:[^:]+]]: memref<1968xf32>, %[[Y:[^:]+]]: memref<1968xf32>) attributes {grid = array<i64: 3, 2>, num_warps = 4 : i64}
// CHECK:         %[[PID:.+]] = tile.program_id 0
// CHECK:         %[[M0:.+]] = arith.muli %[[PID]], %c16
// CHECK:         %[[END:.+]] = arith.addi %[[M0]], %c16
// CHECK:         %[[LAST:.+]] = arith.maxsi %[[END]], %c1
// CHECK:         %[[BOUND:.+]] = arith.minsi %[[LAST]], %c41
// CHECK:         scf.for %{{.+}} = %{{.+}} to %[[BOUND]] step
// CHECK:           tile.dot
// CHECK:           arith.cmpi sle
// CHECK:           math.exp
func.func @main(%q: tensor<2x41x24xf32> {meld.name = "q"}) -> (tensor<2x41x24xf32> {meld.name = "y"}) {
  %0 = graph.fusion_group attention (%q) {num_warps = 4 : i64, tile_sizes = array<i64: 16, 32>} : (tensor<2x41x24xf32>) -> tensor<2x41x24xf32> {
  ^bb0(%a: tensor<2x41x24xf32>):
    %o = graph.attention %a, %a, %a {causal, mask_kind = #graph.mask<none>, scale = 0.2 : f64} : (tensor<2x41x24xf32>, tensor<2x41x24xf32>, tensor<2x41x24xf32>) -> tensor<2x41x24xf32>
    graph.yield %o : tensor<2x41x24xf32>
  }
  return %0 : tensor<2x41x24xf32>
}

// -----

// A causal attention with a padding mask of a finite masked score (finfo.min):
// the keys past each query's position are masked with that score, not -inf;
// after the loop to the diagonal, a program with a row whose keys so far are
// all masked (its maximum is the masked score; rows past the queries do not
// count) goes on from the next block to the last key, where every key weighs
// alike for that row.
// CHECK-LABEL: func.func @main(
// CHECK:       tile.kernel @attention(
// CHECK:         %[[BOUND:.+]] = arith.minsi %{{.+}}, %c41
// CHECK:         %[[FIRST:.+]]:3 = scf.for %{{.+}} = %c0 to %[[BOUND]] step %c32
// CHECK:           arith.cmpi sle
// CHECK:           arith.select %{{.+}}, %{{.+}}, %cst
// CHECK:         arith.cmpf oeq, %[[FIRST]]#0
// CHECK:         %[[ANY:.+]] = tile.reduce <max>, %{{.+}} {dim = 0 : i64} : tensor<16xf32> -> tensor<f32>
// CHECK:         %[[FLAG:.+]] = tensor.extract %[[ANY]][] : tensor<f32>
// CHECK:         %[[GO:.+]] = arith.cmpf ogt, %[[FLAG]]
// CHECK:         %[[NEXT:.+]] = arith.muli
// CHECK:         %[[END:.+]] = arith.select %[[GO]], %c41{{.*}}, %[[NEXT]] : index
// CHECK:         scf.for %{{.+}} = %[[NEXT]] to %[[END]] step %c32 iter_args(%{{.+}} = %[[FIRST]]#0, %{{.+}} = %[[FIRST]]#1, %{{.+}} = %[[FIRST]]#2)
// CHECK:           tile.dot
func.func @main(%q: tensor<2x41x24xf32> {meld.name = "q"}, %p: tensor<2x1x41xi1> {meld.name = "padding"}) -> (tensor<2x41x24xf32> {meld.name = "y"}) {
  %0 = graph.fusion_group attention (%q, %p) {tile_sizes = array<i64: 16, 32>} : (tensor<2x41x24xf32>, tensor<2x1x41xi1>) -> tensor<2x41x24xf32> {
  ^bb0(%a: tensor<2x41x24xf32>, %m: tensor<2x1x41xi1>):
    %o = graph.attention %a, %a, %a, %m {causal, mask_kind = #graph.mask<keep>, masked_score = -3.4028234663852886E+38 : f64, scale = 0.2 : f64} : (tensor<2x41x24xf32>, tensor<2x41x24xf32>, tensor<2x41x24xf32>, tensor<2x1x41xi1>) -> tensor<2x41x24xf32>
    graph.yield %o : tensor<2x41x24xf32>
  }
  return %0 : tensor<2x41x24xf32>
}
