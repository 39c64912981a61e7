// RUN: meld-opt %s -split-input-file --meld-bf16-as-integer -verify-diagnostics | FileCheck %s

// bf16 values that are only moved become i16: loads, stores, block
// arguments, constants, GEP element types; bitcasts to i16 disappear.
// CHECK-LABEL: llvm.func @moves(
// CHECK:         %[[ZERO:.+]] = llvm.mlir.constant(0 : i16) : i16
// CHECK:         llvm.getelementptr %{{.+}}[1] : (!llvm.ptr) -> !llvm.ptr, i16
// CHECK:         %[[V:.+]] = llvm.load %{{.+}} : !llvm.ptr -> i16
// CHECK:         llvm.br ^bb1(%[[V]] : i16)
// CHECK:       ^bb1(%[[X:.+]]: i16):
// CHECK:         llvm.store %[[X]], %{{.+}} : i16, !llvm.ptr
// CHECK:         llvm.return %[[X]] : i16
// CHECK-NOT:     bf16
llvm.func @moves(%p: !llvm.ptr, %q: !llvm.ptr) -> i16 {
  %zero = llvm.mlir.constant(0.0 : bf16) : bf16
  %at = llvm.getelementptr %p[1] : (!llvm.ptr) -> !llvm.ptr, bf16
  llvm.store %zero, %q : bf16, !llvm.ptr
  %v = llvm.load %at : !llvm.ptr -> bf16
  llvm.br ^bb1(%v : bf16)
^bb1(%x: bf16):
  llvm.store %x, %q : bf16, !llvm.ptr
  %bits = llvm.bitcast %x : bf16 to i16
  llvm.return %bits : i16
}

// -----

// Masked loads and stores (a ragged run of the CPU's vector path) move bits.
// CHECK-LABEL: llvm.func @masked(
// CHECK:         %[[V:.+]] = llvm.intr.masked.load %{{.+}}, %{{.+}}, %{{.+}} {alignment = 2 : i32} : (!llvm.ptr, vector<8xi1>, vector<8xi16>) -> vector<8xi16>
// CHECK:         llvm.intr.masked.store %[[V]], %{{.+}}, %{{.+}} {alignment = 2 : i32} : vector<8xi16>, vector<8xi1> into !llvm.ptr
// CHECK-NOT:     bf16
llvm.func @masked(%p: !llvm.ptr, %q: !llvm.ptr, %m: vector<8xi1>) {
  %zero = llvm.mlir.constant(dense<0.0> : vector<8xbf16>) : vector<8xbf16>
  %v = llvm.intr.masked.load %p, %m, %zero {alignment = 2 : i32} : (!llvm.ptr, vector<8xi1>, vector<8xbf16>) -> vector<8xbf16>
  llvm.intr.masked.store %v, %q, %m {alignment = 2 : i32} : vector<8xbf16>, vector<8xi1> into !llvm.ptr
  llvm.return
}

// -----

// Arithmetic on bf16 has no host instruction: an error.
llvm.func @adds(%x: bf16) -> bf16 {
  // expected-error @below {{computes with bf16 in host code, which has no bf16 arithmetic}}
  %y = llvm.fadd %x, %x : bf16
  llvm.return %y : bf16
}
