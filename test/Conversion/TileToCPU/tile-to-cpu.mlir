// RUN: meld-opt %s -split-input-file --meld-tile-to-cpu | FileCheck %s

// A kernel becomes `void NAME(void **args, int64_t begin, int64_t end)`: each
// buffer is read from the argument array, and the body runs once per linear
// program id in [begin, end), x fastest.
// CHECK-LABEL: func.func @copy(
// CHECK-SAME:    %[[ARGS:.+]]: !llvm.ptr, %[[BEGIN:.+]]: i64, %[[END:.+]]: i64)
// CHECK:         %[[SLOT0:.+]] = llvm.getelementptr %[[ARGS]][0]
// CHECK:         %[[P0:.+]] = llvm.load %[[SLOT0]] : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[IN:.+]] = builtin.unrealized_conversion_cast %{{.+}} : !llvm.struct<{{.+}}> to memref<40xf32>
// CHECK:         %[[SLOT1:.+]] = llvm.getelementptr %[[ARGS]][1]
// CHECK:         %[[OUT:.+]] = builtin.unrealized_conversion_cast %{{.+}} : !llvm.struct<{{.+}}> to memref<40xf32>
// CHECK:         %[[B:.+]] = arith.index_cast %[[BEGIN]] : i64 to index
// CHECK:         %[[E:.+]] = arith.index_cast %[[END]] : i64 to index
// CHECK:         scf.for %[[ID:.+]] = %[[B]] to %[[E]]
// CHECK:           %[[X:.+]] = arith.remui %[[ID]], %{{.+}} : index
// CHECK:           %[[Y:.+]] = arith.divui %[[ID]], %{{.+}} : index
// Loads are element loops that read only where the mask holds.
// CHECK:           tensor.generate
// CHECK:             %[[OFF:.+]] = tensor.extract %{{.+}}[%{{.+}}] : tensor<8xindex>
// CHECK:             %[[M:.+]] = tensor.extract %{{.+}}[%{{.+}}] : tensor<8xi1>
// CHECK:             scf.if %[[M]] -> (f32)
// CHECK:               memref.load %[[IN]][%[[OFF]]]
// Stores are loop nests that write only where the mask holds.
// CHECK:           scf.for
// CHECK:             scf.if
// CHECK:               memref.store %{{.+}}, %[[OUT]]
// CHECK-NOT:     tile.
tile.kernel @copy(%in: memref<40xf32>, %out: memref<40xf32>) attributes {grid = array<i64: 2, 3>} {
  %x = tile.program_id 0
  %y = tile.program_id 1
  %c8 = arith.constant 8 : index
  %base = arith.muli %x, %c8 : index
  %row = arith.muli %y, %c8 : index
  %b2 = arith.addi %base, %row : index
  %s = tensor.splat %b2 : tensor<8xindex>
  %i = tile.iota 0 : tensor<8xindex>
  %offs = arith.addi %s, %i : tensor<8xindex>
  %n = arith.constant dense<40> : tensor<8xindex>
  %mask = arith.cmpi ult, %offs, %n : tensor<8xindex>
  %zero = arith.constant 0.0 : f32
  %v = tile.load %in[%offs], %mask, %zero : memref<40xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  tile.store %v, %out[%offs], %mask : tensor<8xf32>, memref<40xf32>[tensor<8xindex>], tensor<8xi1>
  tile.return
}

// -----

// tile.dot is a linalg.matmul accumulating into the accumulator; tile.reduce a
// linalg.reduce from the combiner's identity; tile.broadcast a
// linalg.broadcast.
// CHECK-LABEL: func.func @contractions(
// CHECK:         linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<4x2xf32>, tensor<2x8xf32>) outs(%{{.+}} : tensor<4x8xf32>)
// CHECK:         %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[INIT:.+]] = linalg.fill ins(%[[NEGINF]] : f32)
// CHECK:         linalg.reduce ins(%{{.+}} : tensor<4x8xf32>) outs(%[[INIT]] : tensor<4xf32>) dimensions = [1]
// CHECK:           arith.maximumf
// CHECK:         linalg.broadcast ins(%{{.+}} : tensor<4xf32>) outs(%{{.+}} : tensor<4x8xf32>) dimensions = [1]
tile.kernel @contractions(%buf: memref<64xf32>) attributes {grid = array<i64: 1>} {
  %a = arith.constant dense<1.0> : tensor<4x2xf32>
  %b = arith.constant dense<2.0> : tensor<2x8xf32>
  %acc = arith.constant dense<0.0> : tensor<4x8xf32>
  %c = tile.dot %a, %b, %acc : tensor<4x2xf32>, tensor<2x8xf32> -> tensor<4x8xf32>
  %m = tile.reduce <max>, %c {dim = 1 : i64} : tensor<4x8xf32> -> tensor<4xf32>
  %bc = tile.broadcast %m {dims = array<i64: 1>} : tensor<4xf32> -> tensor<4x8xf32>
  %offs = tile.iota 1 : tensor<4x8xindex>
  tile.store %bc, %buf[%offs] : tensor<4x8xf32>, memref<64xf32>[tensor<4x8xindex>]
  tile.return
}

// -----

// A fault is recorded element by element: where an element is set, an atomic
// exchange claims the status; the claimant stores the site and the detail.
// CHECK-LABEL: func.func @check(
// CHECK:         %[[STATUS:.+]] = builtin.unrealized_conversion_cast %{{.+}} : !llvm.struct<{{.+}}> to memref<3xi64>
// CHECK:         %[[VIOL:.+]] = arith.andi %{{.+}}, %{{.+}} : tensor<64xi1>
// CHECK:         scf.for %[[I:[^ ]+]] =
// CHECK-NEXT:      %[[BAD:.+]] = tensor.extract %[[VIOL]][%[[I]]] : tensor<64xi1>
// CHECK-NEXT:      scf.if %[[BAD]] {
// CHECK-NEXT:        %[[DETAIL:.+]] = tensor.extract %{{.+}}[%[[I]]] : tensor<64xi64>
// CHECK:             %[[BEFORE:.+]] = memref.atomic_rmw assign %{{.+}}, %[[STATUS]][%{{.+}}] : (i64, memref<3xi64>) -> i64
// CHECK:             %[[WON:.+]] = arith.cmpi eq, %[[BEFORE]], %{{.+}} : i64
// CHECK:             scf.if %[[WON]] {
// CHECK:               %[[SITE:.+]] = arith.constant 7 : i64
// CHECK:               memref.store %[[SITE]], %[[STATUS]][%{{.+}}] : memref<3xi64>
// CHECK:               memref.store %[[DETAIL]], %[[STATUS]][%{{.+}}] : memref<3xi64>
// CHECK-NOT:     tile.
tile.kernel @check(%ids: memref<41xi64>, %status: memref<3xi64>)
    attributes {grid = array<i64: 1>} {
  %offs = tile.iota 0 : tensor<64xindex>
  %n = arith.constant dense<41> : tensor<64xindex>
  %mask = arith.cmpi ult, %offs, %n : tensor<64xindex>
  %zero = arith.constant 0 : i64
  %idx = tile.load %ids[%offs], %mask, %zero : memref<41xi64>[tensor<64xindex>], tensor<64xi1>, i64 -> tensor<64xi64>
  %size = arith.constant dense<1000> : tensor<64xi64>
  %high = arith.cmpi sge, %idx, %size : tensor<64xi64>
  %bad = arith.andi %mask, %high : tensor<64xi1>
  tile.fault %bad, %idx, %status {message = "index {} is out of range for axis 0 of size 1000", site = 7 : i32} : tensor<64xi1>, tensor<64xi64>, memref<3xi64>
  tile.return
}
