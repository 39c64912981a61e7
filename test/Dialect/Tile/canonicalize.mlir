// RUN: meld-opt %s -split-input-file --canonicalize | FileCheck %s

// The tile dialect's canonicalization: `(x / c) * c + x % c` is `x`, in any
// operand order, for tiles and scalars. Other divisors or operands stay.
// CHECK-LABEL: tile.kernel @recombine
// CHECK:         %[[E:.+]] = arith.addi %{{.+}}, %{{.+}} : tensor<8xindex>
// CHECK:         %[[REM:.+]] = arith.remui %[[E]]
// CHECK:         %[[DIV:.+]] = arith.divui %[[E]]
// CHECK:         %[[MUL:.+]] = arith.muli %[[DIV]]
// CHECK:         %[[O3:.+]] = arith.addi %[[MUL]], %[[REM]]
// CHECK:         tile.load %{{.+}}[%[[E]]]
// CHECK:         tile.load %{{.+}}[%[[E]]]
// CHECK:         tile.load %{{.+}}[%[[O3]]]
tile.kernel @recombine(%x: memref<64xf32>) attributes {grid = array<i64: 8>} {
  %c8 = arith.constant 8 : index
  %c767 = arith.constant dense<767> : tensor<8xindex>
  %c768 = arith.constant dense<768> : tensor<8xindex>
  %pid = tile.program_id 0
  %base = arith.muli %pid, %c8 : index
  %s = tensor.splat %base : tensor<8xindex>
  %i = tile.iota 0 : tensor<8xindex>
  %e = arith.addi %s, %i : tensor<8xindex>
  %q = arith.divui %e, %c767 : tensor<8xindex>
  %r = arith.remui %e, %c767 : tensor<8xindex>
  %p = arith.muli %q, %c767 : tensor<8xindex>
  %o1 = arith.addi %p, %r : tensor<8xindex>
  %p2 = arith.muli %c767, %q : tensor<8xindex>
  %o2 = arith.addi %r, %p2 : tensor<8xindex>
  // A different factor: not the identity.
  %q3 = arith.divui %e, %c767 : tensor<8xindex>
  %p3 = arith.muli %q3, %c768 : tensor<8xindex>
  %o3 = arith.addi %p3, %r : tensor<8xindex>
  %a = tile.load %x[%o1] : memref<64xf32>[tensor<8xindex>] -> tensor<8xf32>
  %b = tile.load %x[%o2] : memref<64xf32>[tensor<8xindex>] -> tensor<8xf32>
  %c = tile.load %x[%o3] : memref<64xf32>[tensor<8xindex>] -> tensor<8xf32>
  %ab = arith.addf %a, %b : tensor<8xf32>
  %abc = arith.addf %ab, %c : tensor<8xf32>
  tile.store %abc, %x[%i] : tensor<8xf32>, memref<64xf32>[tensor<8xindex>]
  tile.return
}

// -----

// A mask that is true everywhere reads and writes every element: the load
// and store lose it (and the load its padding value); a store whose mask is
// false everywhere writes nothing and goes; any other mask stays.
// CHECK-LABEL: tile.kernel @constant_masks
// CHECK:         %[[X:.+]] = tile.load %{{.+}}[%{{.+}}] : memref<64xf32>[tensor<8xindex>] -> tensor<8xf32>
// CHECK:         %[[Y:.+]] = tile.load %{{.+}}[%{{.+}}], %[[M:[^,]+]], %{{.+}} : memref<64xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
// CHECK-NEXT:    tile.store %[[X]], %{{.+}}[%{{.+}}] : tensor<8xf32>, memref<64xf32>[tensor<8xindex>]
// CHECK-NEXT:    tile.store %[[Y]], %{{.+}}[%{{.+}}], %[[M]] : tensor<8xf32>, memref<64xf32>[tensor<8xindex>], tensor<8xi1>
// CHECK-NEXT:    tile.return
tile.kernel @constant_masks(%x: memref<64xf32>) attributes {grid = array<i64: 1>} {
  %zero = arith.constant 0.0 : f32
  %all = arith.constant dense<true> : tensor<8xi1>
  %none = arith.constant dense<false> : tensor<8xi1>
  %c4 = arith.constant dense<4> : tensor<8xindex>
  %i = tile.iota 0 : tensor<8xindex>
  %some = arith.cmpi ult, %i, %c4 : tensor<8xindex>
  %a = tile.load %x[%i], %all, %zero : memref<64xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  %b = tile.load %x[%i], %some, %zero : memref<64xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  tile.store %a, %x[%i], %all : tensor<8xf32>, memref<64xf32>[tensor<8xindex>], tensor<8xi1>
  tile.store %b, %x[%i], %some : tensor<8xf32>, memref<64xf32>[tensor<8xindex>], tensor<8xi1>
  tile.store %b, %x[%i], %none : tensor<8xf32>, memref<64xf32>[tensor<8xindex>], tensor<8xi1>
  tile.return
}
