// RUN: meld-opt %s -split-input-file --meld-expand-float-conversions | FileCheck %s

// f32 to f16 and back as integer arithmetic on the bits: no arith.truncf or
// arith.extf is left (Emulator/gpu-kernels.test checks every value).
// CHECK-LABEL: func.func @f16(
// CHECK-NOT:     arith.truncf
// CHECK-NOT:     arith.extf
// CHECK:         arith.bitcast %{{.+}} : f32 to i32
// CHECK:         arith.trunci %{{.+}} : i32 to i16
// CHECK:         arith.bitcast %{{.+}} : i16 to f16
// CHECK:         arith.extui %{{.+}} : i16 to i32
// CHECK:         arith.bitcast %{{.+}} : i32 to f32
func.func @f16(%x: f32) -> f32 {
  %h = arith.truncf %x : f32 to f16
  %y = arith.extf %h : f16 to f32
  return %y : f32
}

// -----

// bf16 takes MLIR's expansion; vectors too.
// CHECK-LABEL: func.func @bf16(
// CHECK-NOT:     arith.truncf
// CHECK-NOT:     arith.extf
// CHECK:         return %{{.+}} : vector<4xf32>
func.func @bf16(%x: vector<4xf32>) -> vector<4xf32> {
  %h = arith.truncf %x : vector<4xf32> to vector<4xbf16>
  %y = arith.extf %h : vector<4xbf16> to vector<4xf32>
  return %y : vector<4xf32>
}

// -----

// Other conversions stay.
// CHECK-LABEL: func.func @f64(
// CHECK:         arith.truncf %{{.+}} : f64 to f32
func.func @f64(%x: f64) -> f32 {
  %y = arith.truncf %x : f64 to f32
  return %y : f32
}
