// RUN: meld-opt %s -split-input-file --canonicalize | FileCheck %s

// The folders of the graph ops. Every expected value below is worked out by
// hand from the op's definition, not copied from the tool's output.

// CHECK-LABEL: func.func @add
func.func @add() -> (tensor<2x2xf32>, tensor<3xi64>) {
  // [1.5, 2.0] + [[10], [20]] broadcasts to 2x2.
  %a = graph.constant dense<[1.5, 2.0]> : tensor<2xf32>
  %b = graph.constant dense<[[10.0], [20.0]]> : tensor<2x1xf32>
  %0 = graph.add %a, %b : (tensor<2xf32>, tensor<2x1xf32>) -> tensor<2x2xf32>
  %c = graph.constant dense<[1, 2, 3]> : tensor<3xi64>
  %d = graph.constant dense<10> : tensor<1xi64>
  %1 = graph.add %c, %d : (tensor<3xi64>, tensor<1xi64>) -> tensor<3xi64>
  // CHECK-DAG: %[[F:.+]] = graph.constant dense<{{\[}}[1.150000e+01, 1.200000e+01], [2.150000e+01, 2.200000e+01]]> : tensor<2x2xf32>
  // CHECK-DAG: %[[I:.+]] = graph.constant dense<[11, 12, 13]> : tensor<3xi64>
  // CHECK-NOT: graph.add
  // CHECK: return %[[F]], %[[I]]
  return %0, %1 : tensor<2x2xf32>, tensor<3xi64>
}

// -----

// CHECK-LABEL: func.func @sub
func.func @sub() -> (tensor<2xi32>, tensor<2xf32>) {
  %a = graph.constant dense<[5, -3]> : tensor<2xi32>
  %b = graph.constant dense<[7, -8]> : tensor<2xi32>
  %0 = graph.sub %a, %b : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  %c = graph.constant dense<1.0> : tensor<f32>
  %d = graph.constant dense<[0.25, 4.0]> : tensor<2xf32>
  %1 = graph.sub %c, %d : (tensor<f32>, tensor<2xf32>) -> tensor<2xf32>
  // CHECK-DAG: %[[I:.+]] = graph.constant dense<[-2, 5]> : tensor<2xi32>
  // CHECK-DAG: %[[F:.+]] = graph.constant dense<[7.500000e-01, -3.000000e+00]> : tensor<2xf32>
  // CHECK-NOT: graph.sub
  // CHECK: return %[[I]], %[[F]]
  return %0, %1 : tensor<2xi32>, tensor<2xf32>
}

// -----

// CHECK-LABEL: func.func @mul
func.func @mul() -> (tensor<2x3xi64>, tensor<2xf16>) {
  %a = graph.constant dense<[[2], [3]]> : tensor<2x1xi64>
  %b = graph.constant dense<[4, 5, 6]> : tensor<3xi64>
  %0 = graph.mul %a, %b : (tensor<2x1xi64>, tensor<3xi64>) -> tensor<2x3xi64>
  %c = graph.constant dense<[1.5, -2.0]> : tensor<2xf16>
  %1 = graph.mul %c, %c : (tensor<2xf16>, tensor<2xf16>) -> tensor<2xf16>
  // CHECK-DAG: %[[I:.+]] = graph.constant dense<{{\[}}[8, 10, 12], [12, 15, 18]]> : tensor<2x3xi64>
  // CHECK-DAG: %[[F:.+]] = graph.constant dense<[2.250000e+00, 4.000000e+00]> : tensor<2xf16>
  // CHECK-NOT: graph.mul
  // CHECK: return %[[I]], %[[F]]
  return %0, %1 : tensor<2x3xi64>, tensor<2xf16>
}

// -----

// Integer division truncates toward zero; unsigned integers divide unsigned.
// CHECK-LABEL: func.func @div
func.func @div() -> (tensor<4xi64>, tensor<2xf32>, tensor<2xui8>) {
  %a = graph.constant dense<[7, -7, 7, -7]> : tensor<4xi64>
  %b = graph.constant dense<[2, 2, -2, -2]> : tensor<4xi64>
  %0 = graph.div %a, %b : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %c = graph.constant dense<[1.0, -3.0]> : tensor<2xf32>
  %d = graph.constant dense<4.0> : tensor<1xf32>
  %1 = graph.div %c, %d : (tensor<2xf32>, tensor<1xf32>) -> tensor<2xf32>
  %e = graph.constant dense<[200, 7]> : tensor<2xui8>
  %f = graph.constant dense<[3, 2]> : tensor<2xui8>
  %2 = graph.div %e, %f : (tensor<2xui8>, tensor<2xui8>) -> tensor<2xui8>
  // CHECK-DAG: %[[I:.+]] = graph.constant dense<[3, -3, -3, 3]> : tensor<4xi64>
  // CHECK-DAG: %[[F:.+]] = graph.constant dense<[2.500000e-01, -7.500000e-01]> : tensor<2xf32>
  // CHECK-DAG: %[[U:.+]] = graph.constant dense<[66, 3]> : tensor<2xui8>
  // CHECK-NOT: graph.div
  // CHECK: return %[[I]], %[[F]], %[[U]]
  return %0, %1, %2 : tensor<4xi64>, tensor<2xf32>, tensor<2xui8>
}

// -----

// The signed minimum divided by -1 wraps to the signed minimum, as the
// kernels compute it (two's complement, numpy).
// CHECK-LABEL: func.func @div_min_by_minus_one
func.func @div_min_by_minus_one() -> (tensor<2xi64>, tensor<i32>) {
  %a = graph.constant dense<[-9223372036854775808, 9223372036854775807]> : tensor<2xi64>
  %b = graph.constant dense<-1> : tensor<i64>
  %0 = graph.div %a, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %c = graph.constant dense<-2147483648> : tensor<i32>
  %d = graph.constant dense<-1> : tensor<i32>
  %1 = graph.div %c, %d : (tensor<i32>, tensor<i32>) -> tensor<i32>
  // CHECK-DAG: %[[L:.+]] = graph.constant dense<[-9223372036854775808, -9223372036854775807]> : tensor<2xi64>
  // CHECK-DAG: %[[I:.+]] = graph.constant dense<-2147483648> : tensor<i32>
  // CHECK-NOT: graph.div
  // CHECK: return %[[L]], %[[I]]
  return %0, %1 : tensor<2xi64>, tensor<i32>
}

// -----

// Integer division by zero is left to the lowering (which refuses a constant
// zero divisor), even where other elements could fold.
// CHECK-LABEL: func.func @div_by_zero
func.func @div_by_zero() -> (tensor<2xi64>, tensor<2xi32>) {
  %a = graph.constant dense<[6, 8]> : tensor<2xi64>
  %b = graph.constant dense<[2, 0]> : tensor<2xi64>
  // CHECK: graph.div %{{.+}}, %{{.+}} : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %0 = graph.div %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %c = graph.constant dense<[6, 8]> : tensor<2xi32>
  %d = graph.constant dense<0> : tensor<i32>
  // CHECK: graph.div %{{.+}}, %{{.+}} : (tensor<2xi32>, tensor<i32>) -> tensor<2xi32>
  %1 = graph.div %c, %d : (tensor<2xi32>, tensor<i32>) -> tensor<2xi32>
  return %0, %1 : tensor<2xi64>, tensor<2xi32>
}

// -----

// Float division by zero follows IEEE and folds.
// CHECK-LABEL: func.func @div_float_by_zero
func.func @div_float_by_zero() -> tensor<2xf32> {
  %a = graph.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %b = graph.constant dense<0.0> : tensor<2xf32>
  %0 = graph.div %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  // CHECK: %[[C:.+]] = graph.constant dense<[0x7F800000, 0xFF800000]> : tensor<2xf32>
  // CHECK-NOT: graph.div
  // CHECK: return %[[C]]
  return %0 : tensor<2xf32>
}

// -----

// CHECK-LABEL: func.func @min_max
func.func @min_max() -> (tensor<3xf32>, tensor<3xf32>, tensor<2xi32>, tensor<2xi32>,
                         tensor<2xui8>, tensor<2xui8>) {
  %a = graph.constant dense<[1.0, -2.0, 3.0]> : tensor<3xf32>
  %b = graph.constant dense<[0.5, 5.0, 3.0]> : tensor<3xf32>
  %0 = graph.min %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %1 = graph.max %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %c = graph.constant dense<[-1, 4]> : tensor<2xi32>
  %d = graph.constant dense<2> : tensor<1xi32>
  %2 = graph.min %c, %d : (tensor<2xi32>, tensor<1xi32>) -> tensor<2xi32>
  %3 = graph.max %c, %d : (tensor<2xi32>, tensor<1xi32>) -> tensor<2xi32>
  // 200 is not negative in ui8.
  %e = graph.constant dense<[200, 100]> : tensor<2xui8>
  %f = graph.constant dense<[100, 200]> : tensor<2xui8>
  %4 = graph.min %e, %f : (tensor<2xui8>, tensor<2xui8>) -> tensor<2xui8>
  %5 = graph.max %e, %f : (tensor<2xui8>, tensor<2xui8>) -> tensor<2xui8>
  // CHECK-DAG: %[[MINF:.+]] = graph.constant dense<[5.000000e-01, -2.000000e+00, 3.000000e+00]> : tensor<3xf32>
  // CHECK-DAG: %[[MAXF:.+]] = graph.constant dense<[1.000000e+00, 5.000000e+00, 3.000000e+00]> : tensor<3xf32>
  // CHECK-DAG: %[[MINI:.+]] = graph.constant dense<[-1, 2]> : tensor<2xi32>
  // CHECK-DAG: %[[MAXI:.+]] = graph.constant dense<[2, 4]> : tensor<2xi32>
  // CHECK-DAG: %[[MINU:.+]] = graph.constant dense<100> : tensor<2xui8>
  // CHECK-DAG: %[[MAXU:.+]] = graph.constant dense<200> : tensor<2xui8>
  // CHECK-NOT: graph.min
  // CHECK-NOT: graph.max
  // CHECK: return %[[MINF]], %[[MAXF]], %[[MINI]], %[[MAXI]], %[[MINU]], %[[MAXU]]
  return %0, %1, %2, %3, %4, %5 : tensor<3xf32>, tensor<3xf32>, tensor<2xi32>, tensor<2xi32>,
                                  tensor<2xui8>, tensor<2xui8>
}

// -----

// CHECK-LABEL: func.func @and_or
func.func @and_or() -> (tensor<4xi1>, tensor<4xi1>, tensor<2x2xi1>) {
  %a = graph.constant dense<[true, true, false, false]> : tensor<4xi1>
  %b = graph.constant dense<[true, false, true, false]> : tensor<4xi1>
  %0 = graph.and %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %1 = graph.or %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %c = graph.constant dense<[[true], [false]]> : tensor<2x1xi1>
  %d = graph.constant dense<[true, false]> : tensor<2xi1>
  %2 = graph.and %c, %d : (tensor<2x1xi1>, tensor<2xi1>) -> tensor<2x2xi1>
  // CHECK-DAG: %[[AND:.+]] = graph.constant dense<[true, false, false, false]> : tensor<4xi1>
  // CHECK-DAG: %[[OR:.+]] = graph.constant dense<[true, true, true, false]> : tensor<4xi1>
  // CHECK-DAG: %[[AND2:.+]] = graph.constant dense<{{\[}}[true, false], [false, false]]> : tensor<2x2xi1>
  // CHECK-NOT: graph.and
  // CHECK-NOT: graph.or
  // CHECK: return %[[AND]], %[[OR]], %[[AND2]]
  return %0, %1, %2 : tensor<4xi1>, tensor<4xi1>, tensor<2x2xi1>
}

// -----

// Every predicate on [1, 2, 3] against a broadcast 2.
// CHECK-LABEL: func.func @cmp_predicates
func.func @cmp_predicates() -> (tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>,
                                tensor<3xi1>, tensor<3xi1>) {
  %a = graph.constant dense<[1, 2, 3]> : tensor<3xi64>
  %b = graph.constant dense<2> : tensor<i64>
  %0 = graph.cmp eq, %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %1 = graph.cmp ne, %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %2 = graph.cmp lt, %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %3 = graph.cmp le, %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %4 = graph.cmp gt, %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %5 = graph.cmp ge, %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  // CHECK-DAG: %[[EQ:.+]] = graph.constant dense<[false, true, false]> : tensor<3xi1>
  // CHECK-DAG: %[[NE:.+]] = graph.constant dense<[true, false, true]> : tensor<3xi1>
  // CHECK-DAG: %[[LT:.+]] = graph.constant dense<[true, false, false]> : tensor<3xi1>
  // CHECK-DAG: %[[LE:.+]] = graph.constant dense<[true, true, false]> : tensor<3xi1>
  // CHECK-DAG: %[[GT:.+]] = graph.constant dense<[false, false, true]> : tensor<3xi1>
  // CHECK-DAG: %[[GE:.+]] = graph.constant dense<[false, true, true]> : tensor<3xi1>
  // CHECK-NOT: graph.cmp
  // CHECK: return %[[EQ]], %[[NE]], %[[LT]], %[[LE]], %[[GT]], %[[GE]]
  return %0, %1, %2, %3, %4, %5 : tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>,
                                  tensor<3xi1>, tensor<3xi1>
}

// -----

// Both operands broadcast: [[1], [3]] < [1, 2, 3].
// CHECK-LABEL: func.func @cmp_broadcast
func.func @cmp_broadcast() -> tensor<2x3xi1> {
  %a = graph.constant dense<[[1], [3]]> : tensor<2x1xi64>
  %b = graph.constant dense<[1, 2, 3]> : tensor<3xi64>
  %0 = graph.cmp lt, %a, %b : (tensor<2x1xi64>, tensor<3xi64>) -> tensor<2x3xi1>
  // CHECK: %[[C:.+]] = graph.constant dense<{{\[}}[false, true, true], [false, false, false]]> : tensor<2x3xi1>
  // CHECK-NOT: graph.cmp
  // CHECK: return %[[C]]
  return %0 : tensor<2x3xi1>
}

// -----

// NaN is unordered: only `ne` holds. ui8 and i1 compare unsigned.
// CHECK-LABEL: func.func @cmp_special
func.func @cmp_special() -> (tensor<2xi1>, tensor<2xi1>, tensor<2xi1>, tensor<2xi1>,
                             tensor<2xi1>, tensor<2xi1>) {
  %nan = graph.constant dense<0x7FC00000> : tensor<2xf32>
  %x = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = graph.cmp eq, %nan, %x : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
  %1 = graph.cmp ne, %nan, %x : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
  %2 = graph.cmp ge, %x, %nan : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
  %u = graph.constant dense<[200, 100]> : tensor<2xui8>
  %v = graph.constant dense<[100, 200]> : tensor<2xui8>
  %3 = graph.cmp lt, %u, %v : (tensor<2xui8>, tensor<2xui8>) -> tensor<2xi1>
  %p = graph.constant dense<[true, false]> : tensor<2xi1>
  %q = graph.constant dense<false> : tensor<i1>
  %4 = graph.cmp gt, %p, %q : (tensor<2xi1>, tensor<i1>) -> tensor<2xi1>
  // Two splats fold to a splat.
  %s = graph.constant dense<-1> : tensor<2xi8>
  %t = graph.constant dense<1> : tensor<i8>
  %5 = graph.cmp lt, %s, %t : (tensor<2xi8>, tensor<i8>) -> tensor<2xi1>
  // CHECK-DAG: %[[FALSE:.+]] = graph.constant dense<false> : tensor<2xi1>
  // CHECK-DAG: %[[TRUE:.+]] = graph.constant dense<true> : tensor<2xi1>
  // CHECK-DAG: %[[LT:.+]] = graph.constant dense<[false, true]> : tensor<2xi1>
  // CHECK-DAG: %[[GT:.+]] = graph.constant dense<[true, false]> : tensor<2xi1>
  // CHECK-NOT: graph.cmp
  // CHECK: return %[[FALSE]], %[[TRUE]], %[[FALSE]], %[[LT]], %[[GT]], %[[TRUE]]
  return %0, %1, %2, %3, %4, %5 : tensor<2xi1>, tensor<2xi1>, tensor<2xi1>, tensor<2xi1>,
                                  tensor<2xi1>, tensor<2xi1>
}

// -----

// CHECK-LABEL: func.func @where_constant
func.func @where_constant() -> (tensor<3xf32>, tensor<2x2xi32>) {
  %c = graph.constant dense<[true, false, true]> : tensor<3xi1>
  %t = graph.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %f = graph.constant dense<0.0> : tensor<f32>
  %0 = graph.where %c, %t, %f : (tensor<3xi1>, tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %c2 = graph.constant dense<[[true], [false]]> : tensor<2x1xi1>
  %t2 = graph.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi32>
  %f2 = graph.constant dense<[9, 8]> : tensor<2xi32>
  %1 = graph.where %c2, %t2, %f2 : (tensor<2x1xi1>, tensor<2x2xi32>, tensor<2xi32>) -> tensor<2x2xi32>
  // CHECK-DAG: %[[F:.+]] = graph.constant dense<[1.000000e+00, 0.000000e+00, 3.000000e+00]> : tensor<3xf32>
  // CHECK-DAG: %[[I:.+]] = graph.constant dense<{{\[}}[1, 2], [9, 8]]> : tensor<2x2xi32>
  // CHECK-NOT: graph.where
  // CHECK: return %[[F]], %[[I]]
  return %0, %1 : tensor<3xf32>, tensor<2x2xi32>
}

// -----

// A splat condition picks an operand that already has the result type; one
// that would need broadcasting stays.
// CHECK-LABEL: func.func @where_splat_condition
// CHECK-SAME: (%[[A:.+]]: tensor<2x3xf32>, %[[B:.+]]: tensor<2x3xf32>, %[[S:.+]]: tensor<3xf32>)
func.func @where_splat_condition(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>, %s: tensor<3xf32>)
    -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %yes = graph.constant dense<true> : tensor<1xi1>
  %no = graph.constant dense<false> : tensor<2x3xi1>
  %0 = graph.where %yes, %a, %b : (tensor<1xi1>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = graph.where %no, %a, %b : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: %[[W:.+]] = graph.where %{{.+}}, %[[S]], %[[B]] : (tensor<1xi1>, tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = graph.where %yes, %s, %b : (tensor<1xi1>, tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: return %[[A]], %[[B]], %[[W]]
  return %0, %1, %2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @neg
func.func @neg() -> (tensor<3xf32>, tensor<2xi32>) {
  %a = graph.constant dense<[1.5, -2.0, 0.0]> : tensor<3xf32>
  %0 = graph.neg %a : tensor<3xf32>
  %b = graph.constant dense<[3, -4]> : tensor<2xi32>
  %1 = graph.neg %b : tensor<2xi32>
  // CHECK-DAG: %[[F:.+]] = graph.constant dense<[-1.500000e+00, 2.000000e+00, -0.000000e+00]> : tensor<3xf32>
  // CHECK-DAG: %[[I:.+]] = graph.constant dense<[-3, 4]> : tensor<2xi32>
  // CHECK-NOT: graph.neg
  // CHECK: return %[[F]], %[[I]]
  return %0, %1 : tensor<3xf32>, tensor<2xi32>
}

// -----

// ONNX Cast: floats truncate toward zero, anything to i1 compares with zero,
// i1 and ui8 extend with zeros, integers narrow by wrapping.
// CHECK-LABEL: func.func @cast
func.func @cast() -> (tensor<4xi64>, tensor<3xi1>, tensor<2xf32>, tensor<3xi1>,
                      tensor<2xi64>, tensor<2xf32>, tensor<2xi32>, tensor<2xi32>) {
  %a = graph.constant dense<[-3.7, 2.9, -0.5, 0.5]> : tensor<4xf32>
  %0 = graph.cast %a : tensor<4xf32> to tensor<4xi64>
  %b = graph.constant dense<[0, 5, -2]> : tensor<3xi64>
  %1 = graph.cast %b : tensor<3xi64> to tensor<3xi1>
  %c = graph.constant dense<[true, false]> : tensor<2xi1>
  %2 = graph.cast %c : tensor<2xi1> to tensor<2xf32>
  %d = graph.constant dense<[0.0, -0.0, 0.25]> : tensor<3xf32>
  %3 = graph.cast %d : tensor<3xf32> to tensor<3xi1>
  // true is 1, not -1; ui8 200 is 200, not -56.
  %4 = graph.cast %c : tensor<2xi1> to tensor<2xi64>
  %e = graph.constant dense<[200, 7]> : tensor<2xui8>
  %5 = graph.cast %e : tensor<2xui8> to tensor<2xf32>
  // 4294967297 = 2^32 + 1 wraps to 1; -1 stays -1.
  %f = graph.constant dense<[4294967297, -1]> : tensor<2xi64>
  %6 = graph.cast %f : tensor<2xi64> to tensor<2xi32>
  // A splat stays a splat.
  %g = graph.constant dense<-2.5> : tensor<2xf64>
  %7 = graph.cast %g : tensor<2xf64> to tensor<2xi32>
  // CHECK-DAG: %[[C0:.+]] = graph.constant dense<[-3, 2, 0, 0]> : tensor<4xi64>
  // CHECK-DAG: %[[C1:.+]] = graph.constant dense<[false, true, true]> : tensor<3xi1>
  // CHECK-DAG: %[[C2:.+]] = graph.constant dense<[1.000000e+00, 0.000000e+00]> : tensor<2xf32>
  // CHECK-DAG: %[[C3:.+]] = graph.constant dense<[false, false, true]> : tensor<3xi1>
  // CHECK-DAG: %[[C4:.+]] = graph.constant dense<[1, 0]> : tensor<2xi64>
  // CHECK-DAG: %[[C5:.+]] = graph.constant dense<[2.000000e+02, 7.000000e+00]> : tensor<2xf32>
  // CHECK-DAG: %[[C6:.+]] = graph.constant dense<[1, -1]> : tensor<2xi32>
  // CHECK-DAG: %[[C7:.+]] = graph.constant dense<-2> : tensor<2xi32>
  // CHECK-NOT: graph.cast
  // CHECK: return %[[C0]], %[[C1]], %[[C2]], %[[C3]], %[[C4]], %[[C5]], %[[C6]], %[[C7]]
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<4xi64>, tensor<3xi1>, tensor<2xf32>, tensor<3xi1>,
                                          tensor<2xi64>, tensor<2xf32>, tensor<2xi32>, tensor<2xi32>
}

// -----

// Conversions round once, to nearest even: 2^60 + 2^36 + 1 is just above the
// midpoint between the f32 neighbours 2^60 and 2^60 + 2^37, so it rounds up to
// 2^60 + 2^37 = 1152921642045800448 (rounding through f64 would land on the
// midpoint and round down to 2^60). 0.1 in f16 is 1638 * 2^-14 = 0.0999755859375.
// CHECK-LABEL: func.func @cast_rounding
func.func @cast_rounding() -> (tensor<1xf32>, tensor<1xf16>, tensor<1xf32>) {
  %a = graph.constant dense<1152921573326323713> : tensor<1xi64>
  %0 = graph.cast %a : tensor<1xi64> to tensor<1xf32>
  %b = graph.constant dense<0.1> : tensor<1xf32>
  %1 = graph.cast %b : tensor<1xf32> to tensor<1xf16>
  %2 = graph.cast %1 : tensor<1xf16> to tensor<1xf32>
  // CHECK-DAG: %[[BIG:.+]] = graph.constant dense<1.15292164E+18> : tensor<1xf32>
  // CHECK-DAG: %[[HALF:.+]] = graph.constant dense<9.997550e-02> : tensor<1xf16>
  // CHECK-DAG: %[[BACK:.+]] = graph.constant dense<0.0999755859> : tensor<1xf32>
  // CHECK: return %[[BIG]], %[[HALF]], %[[BACK]]
  return %0, %1, %2 : tensor<1xf32>, tensor<1xf16>, tensor<1xf32>
}

// -----

// A float outside the integer's range has no defined result: no fold.
// CHECK-LABEL: func.func @cast_out_of_range
func.func @cast_out_of_range() -> (tensor<2xi8>, tensor<1xi32>, tensor<1xui8>) {
  %a = graph.constant dense<[1.0, 300.0]> : tensor<2xf32>
  // CHECK: graph.cast %{{.+}} : tensor<2xf32> to tensor<2xi8>
  %0 = graph.cast %a : tensor<2xf32> to tensor<2xi8>
  %b = graph.constant dense<0x7FC00000> : tensor<1xf32>
  // CHECK: graph.cast %{{.+}} : tensor<1xf32> to tensor<1xi32>
  %1 = graph.cast %b : tensor<1xf32> to tensor<1xi32>
  %c = graph.constant dense<-1.0> : tensor<1xf32>
  // CHECK: graph.cast %{{.+}} : tensor<1xf32> to tensor<1xui8>
  %2 = graph.cast %c : tensor<1xf32> to tensor<1xui8>
  return %0, %1, %2 : tensor<2xi8>, tensor<1xi32>, tensor<1xui8>
}

// -----

// CHECK-LABEL: func.func @cast_identity
// CHECK-SAME: (%[[X:.+]]: tensor<3xf32>)
func.func @cast_identity(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = graph.cast %x : tensor<3xf32> to tensor<3xf32>
  // CHECK-NOT: graph.cast
  // CHECK: return %[[X]]
  return %0 : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>)
func.func @transpose(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3x2xi64>, tensor<3x2x1xi64>) {
  %0 = graph.transpose %x {permutation = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %a = graph.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %1 = graph.transpose %a {permutation = array<i64: 1, 0>} : (tensor<2x3xi64>) -> tensor<3x2xi64>
  // result[i][j][0] = input[j][0][i]
  %b = graph.constant dense<[[[1, 2, 3]], [[4, 5, 6]]]> : tensor<2x1x3xi64>
  %2 = graph.transpose %b {permutation = array<i64: 2, 0, 1>} : (tensor<2x1x3xi64>) -> tensor<3x2x1xi64>
  // CHECK-DAG: %[[T2:.+]] = graph.constant dense<{{\[}}[1, 4], [2, 5], [3, 6]]> : tensor<3x2xi64>
  // CHECK-DAG: %[[T3:.+]] = graph.constant dense<{{\[}}{{\[}}[1], [4]], {{\[}}[2], [5]], {{\[}}[3], [6]]]> : tensor<3x2x1xi64>
  // CHECK-NOT: graph.transpose
  // CHECK: return %[[X]], %[[T2]], %[[T3]]
  return %0, %1, %2 : tensor<2x3xf32>, tensor<3x2xi64>, tensor<3x2x1xi64>
}

// -----

// CHECK-LABEL: func.func @reshape
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>)
func.func @reshape(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3x2xf32>, tensor<3x2xi32>) {
  %0 = graph.reshape %x : tensor<2x3xf32> to tensor<2x3xf32>
  // A reshape of a reshape reads the original input.
  // CHECK-DAG: %[[R:.+]] = graph.reshape %[[X]] : tensor<2x3xf32> to tensor<3x2xf32>
  %1 = graph.reshape %x : tensor<2x3xf32> to tensor<6xf32>
  %2 = graph.reshape %1 : tensor<6xf32> to tensor<1x6xf32>
  %3 = graph.reshape %2 : tensor<1x6xf32> to tensor<3x2xf32>
  %a = graph.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
  %4 = graph.reshape %a : tensor<2x3xi32> to tensor<3x2xi32>
  // CHECK-DAG: %[[C:.+]] = graph.constant dense<{{\[}}[1, 2], [3, 4], [5, 6]]> : tensor<3x2xi32>
  // CHECK-NOT: graph.reshape
  // CHECK: return %[[X]], %[[R]], %[[C]]
  return %0, %3, %4 : tensor<2x3xf32>, tensor<3x2xf32>, tensor<3x2xi32>
}

// -----

// CHECK-LABEL: func.func @slice
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>)
func.func @slice(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x2xi64>,
                                          tensor<2x2xi64>, tensor<2xf32>) {
  %0 = graph.slice %x {starts = array<i64: 0, 0>, sizes = array<i64: 2, 3>, steps = array<i64: 1, 1>}
      : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // Reversing keeps the shape but is not the identity.
  // CHECK-DAG: %[[REV:.+]] = graph.slice %[[X]] {sizes = array<i64: 2, 3>, starts = array<i64: 1, 0>, steps = array<i64: -1, 1>}
  %1 = graph.slice %x {starts = array<i64: 1, 0>, sizes = array<i64: 2, 3>, steps = array<i64: -1, 1>}
      : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %a = graph.constant dense<[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]> : tensor<3x4xi64>
  // Rows 0, 2 and columns 1, 3.
  %2 = graph.slice %a {starts = array<i64: 0, 1>, sizes = array<i64: 2, 2>, steps = array<i64: 2, 2>}
      : (tensor<3x4xi64>) -> tensor<2x2xi64>
  // Rows 2, 1 and columns 3, 1.
  %3 = graph.slice %a {starts = array<i64: 2, 3>, sizes = array<i64: 2, 2>, steps = array<i64: -1, -2>}
      : (tensor<3x4xi64>) -> tensor<2x2xi64>
  %s = graph.constant dense<4.0> : tensor<8xf32>
  %4 = graph.slice %s {starts = array<i64: 7>, sizes = array<i64: 2>, steps = array<i64: -3>}
      : (tensor<8xf32>) -> tensor<2xf32>
  // CHECK-DAG: %[[S2:.+]] = graph.constant dense<{{\[}}[1, 3], [9, 11]]> : tensor<2x2xi64>
  // CHECK-DAG: %[[S3:.+]] = graph.constant dense<{{\[}}[11, 9], [7, 5]]> : tensor<2x2xi64>
  // CHECK-DAG: %[[S4:.+]] = graph.constant dense<4.000000e+00> : tensor<2xf32>
  // CHECK: return %[[X]], %[[REV]], %[[S2]], %[[S3]], %[[S4]]
  return %0, %1, %2, %3, %4 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x2xi64>,
                              tensor<2x2xi64>, tensor<2xf32>
}

// -----

// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>)
func.func @concat(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3x2xi32>, tensor<2x3xi32>,
                                           tensor<4xi64>, tensor<2x2xi32>) {
  %0 = graph.concat %x {axis = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // Outer axis: the inputs one after the other.
  %a = graph.constant dense<[[1, 2]]> : tensor<1x2xi32>
  %b = graph.constant dense<[[3, 4], [5, 6]]> : tensor<2x2xi32>
  %1 = graph.concat %a, %b {axis = 0 : i64} : (tensor<1x2xi32>, tensor<2x2xi32>) -> tensor<3x2xi32>
  // Inner axis: rows interleave.
  %c = graph.constant dense<[[1], [2]]> : tensor<2x1xi32>
  %2 = graph.concat %c, %b {axis = 1 : i64} : (tensor<2x1xi32>, tensor<2x2xi32>) -> tensor<2x3xi32>
  // The shape vectors exporters build.
  %d = graph.constant dense<1> : tensor<1xi64>
  %e = graph.constant dense<41> : tensor<1xi64>
  %f = graph.constant dense<[5, 24]> : tensor<2xi64>
  %3 = graph.concat %d, %e, %f {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  // A splat input.
  %g = graph.constant dense<7> : tensor<2x1xi32>
  %4 = graph.concat %g, %c {axis = 1 : i64} : (tensor<2x1xi32>, tensor<2x1xi32>) -> tensor<2x2xi32>
  // CHECK-DAG: %[[C1:.+]] = graph.constant dense<{{\[}}[1, 2], [3, 4], [5, 6]]> : tensor<3x2xi32>
  // CHECK-DAG: %[[C2:.+]] = graph.constant dense<{{\[}}[1, 3, 4], [2, 5, 6]]> : tensor<2x3xi32>
  // CHECK-DAG: %[[C3:.+]] = graph.constant dense<[1, 41, 5, 24]> : tensor<4xi64>
  // CHECK-DAG: %[[C4:.+]] = graph.constant dense<{{\[}}[7, 1], [7, 2]]> : tensor<2x2xi32>
  // CHECK-NOT: graph.concat
  // CHECK: return %[[X]], %[[C1]], %[[C2]], %[[C3]], %[[C4]]
  return %0, %1, %2, %3, %4 : tensor<2x3xf32>, tensor<3x2xi32>, tensor<2x3xi32>,
                              tensor<4xi64>, tensor<2x2xi32>
}

// -----

// CHECK-LABEL: func.func @expand
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>)
func.func @expand(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<4x2x3xf32>, tensor<2x3xi64>,
                                           tensor<2x3xi64>) {
  %0 = graph.expand %x : tensor<2x3xf32> to tensor<2x3xf32>
  %s = graph.constant dense<-1.0> : tensor<1x3xf32>
  %1 = graph.expand %s : tensor<1x3xf32> to tensor<4x2x3xf32>
  %a = graph.constant dense<[1, 2, 3]> : tensor<3xi64>
  %2 = graph.expand %a : tensor<3xi64> to tensor<2x3xi64>
  %b = graph.constant dense<[[1], [2]]> : tensor<2x1xi64>
  %3 = graph.expand %b : tensor<2x1xi64> to tensor<2x3xi64>
  // CHECK-DAG: %[[E1:.+]] = graph.constant dense<-1.000000e+00> : tensor<4x2x3xf32>
  // CHECK-DAG: %[[E2:.+]] = graph.constant dense<{{\[}}[1, 2, 3], [1, 2, 3]]> : tensor<2x3xi64>
  // CHECK-DAG: %[[E3:.+]] = graph.constant dense<{{\[}}[1, 1, 1], [2, 2, 2]]> : tensor<2x3xi64>
  // CHECK-NOT: graph.expand
  // CHECK: return %[[X]], %[[E1]], %[[E2]], %[[E3]]
  return %0, %1, %2, %3 : tensor<2x3xf32>, tensor<4x2x3xf32>, tensor<2x3xi64>, tensor<2x3xi64>
}

// -----

// CHECK-LABEL: func.func @gather
func.func @gather() -> (tensor<2x2xi64>, tensor<2x2xf32>, tensor<2x1x2x2xi32>, tensor<i64>) {
  // Negative indices count from the end.
  %a = graph.constant dense<[10, 20, 30, 40]> : tensor<4xi64>
  %i = graph.constant dense<[[3, -1], [0, -4]]> : tensor<2x2xi64>
  %0 = graph.gather %a, %i {axis = 0 : i64} : (tensor<4xi64>, tensor<2x2xi64>) -> tensor<2x2xi64>
  // Axis 1: columns 2 and 0 of every row.
  %b = graph.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %j = graph.constant dense<[2, 0]> : tensor<2xi32>
  %1 = graph.gather %b, %j {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<2x2xf32>
  // Axis 1 with trailing dimensions: result[a][0][j][c] = input[a][[2, 0][j]][c].
  %c = graph.constant dense<[[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]]]> : tensor<2x3x2xi32>
  %k = graph.constant dense<[[2, -3]]> : tensor<1x2xi64>
  %2 = graph.gather %c, %k {axis = 1 : i64} : (tensor<2x3x2xi32>, tensor<1x2xi64>) -> tensor<2x1x2x2xi32>
  // A scalar index, as in Shape -> Gather.
  %shape = graph.constant dense<[1, 41, 5, 24]> : tensor<4xi64>
  %one = graph.constant dense<1> : tensor<i64>
  %3 = graph.gather %shape, %one {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  // CHECK-DAG: %[[G0:.+]] = graph.constant dense<{{\[}}[40, 40], [10, 10]]> : tensor<2x2xi64>
  // CHECK-DAG: %[[G1:.+]] = graph.constant dense<{{\[}}[3.000000e+00, 1.000000e+00], [6.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
  // CHECK-DAG: %[[G2:.+]] = graph.constant dense<{{\[}}{{\[}}{{\[}}[4, 5], [0, 1]]], {{\[}}{{\[}}[10, 11], [6, 7]]]]> : tensor<2x1x2x2xi32>
  // CHECK-DAG: %[[G3:.+]] = graph.constant dense<41> : tensor<i64>
  // CHECK-NOT: graph.gather
  // CHECK: return %[[G0]], %[[G1]], %[[G2]], %[[G3]]
  return %0, %1, %2, %3 : tensor<2x2xi64>, tensor<2x2xf32>, tensor<2x1x2x2xi32>, tensor<i64>
}

// -----

// An index outside [-n, n) is a run-time matter: no fold.
// CHECK-LABEL: func.func @gather_out_of_range
func.func @gather_out_of_range() -> (tensor<1xi64>, tensor<1xi64>) {
  %a = graph.constant dense<[10, 20, 30, 40]> : tensor<4xi64>
  %i = graph.constant dense<4> : tensor<1xi64>
  // CHECK: graph.gather
  %0 = graph.gather %a, %i {axis = 0 : i64} : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %j = graph.constant dense<-5> : tensor<1xi64>
  // CHECK: graph.gather
  %1 = graph.gather %a, %j {axis = 0 : i64} : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  return %0, %1 : tensor<1xi64>, tensor<1xi64>
}

// -----

// Upper keeps column - row >= k, lower keeps column - row <= k.
// CHECK-LABEL: func.func @trilu
func.func @trilu() -> (tensor<3x3xi32>, tensor<3x3xi32>, tensor<3x3xi32>, tensor<3x3xi32>,
                       tensor<3x3xi32>, tensor<3x3xi32>) {
  %a = graph.constant dense<[[1, 2, 3], [4, 5, 6], [7, 8, 9]]> : tensor<3x3xi32>
  %0 = graph.trilu %a {upper} : tensor<3x3xi32>
  %1 = graph.trilu %a : tensor<3x3xi32>
  %2 = graph.trilu %a {upper, k = 1 : i64} : tensor<3x3xi32>
  %3 = graph.trilu %a {upper, k = -1 : i64} : tensor<3x3xi32>
  %4 = graph.trilu %a {k = 1 : i64} : tensor<3x3xi32>
  %5 = graph.trilu %a {k = -1 : i64} : tensor<3x3xi32>
  // CHECK-DAG: %[[U0:.+]] = graph.constant dense<{{\[}}[1, 2, 3], [0, 5, 6], [0, 0, 9]]> : tensor<3x3xi32>
  // CHECK-DAG: %[[L0:.+]] = graph.constant dense<{{\[}}[1, 0, 0], [4, 5, 0], [7, 8, 9]]> : tensor<3x3xi32>
  // CHECK-DAG: %[[U1:.+]] = graph.constant dense<{{\[}}[0, 2, 3], [0, 0, 6], [0, 0, 0]]> : tensor<3x3xi32>
  // CHECK-DAG: %[[UM1:.+]] = graph.constant dense<{{\[}}[1, 2, 3], [4, 5, 6], [0, 8, 9]]> : tensor<3x3xi32>
  // CHECK-DAG: %[[L1:.+]] = graph.constant dense<{{\[}}[1, 2, 0], [4, 5, 6], [7, 8, 9]]> : tensor<3x3xi32>
  // CHECK-DAG: %[[LM1:.+]] = graph.constant dense<{{\[}}[0, 0, 0], [4, 0, 0], [7, 8, 0]]> : tensor<3x3xi32>
  // CHECK-NOT: graph.trilu
  // CHECK: return %[[U0]], %[[L0]], %[[U1]], %[[UM1]], %[[L1]], %[[LM1]]
  return %0, %1, %2, %3, %4, %5 : tensor<3x3xi32>, tensor<3x3xi32>, tensor<3x3xi32>, tensor<3x3xi32>,
                                  tensor<3x3xi32>, tensor<3x3xi32>
}

// -----

// Batched and non-square: the triangle restarts in every matrix.
// CHECK-LABEL: func.func @trilu_batched
func.func @trilu_batched() -> (tensor<2x2x3xf32>, tensor<2x3xi1>) {
  %a = graph.constant dense<[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
                             [[7.0, 8.0, 9.0], [10.0, 11.0, 12.0]]]> : tensor<2x2x3xf32>
  %0 = graph.trilu %a {upper} : tensor<2x2x3xf32>
  // The causal mask of a 2-token query over 3 keys.
  %ones = graph.constant dense<true> : tensor<2x3xi1>
  %1 = graph.trilu %ones {k = 1 : i64} : tensor<2x3xi1>
  // CHECK-DAG: %[[U:.+]] = graph.constant dense<{{\[}}{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00], [0.000000e+00, 5.000000e+00, 6.000000e+00]], {{\[}}[7.000000e+00, 8.000000e+00, 9.000000e+00], [0.000000e+00, 1.100000e+01, 1.200000e+01]]]> : tensor<2x2x3xf32>
  // CHECK-DAG: %[[M:.+]] = graph.constant dense<{{\[}}[true, true, false], [true, true, true]]> : tensor<2x3xi1>
  // CHECK-NOT: graph.trilu
  // CHECK: return %[[U]], %[[M]]
  return %0, %1 : tensor<2x2x3xf32>, tensor<2x3xi1>
}

// -----

// Gemm is a matmul of the (transposed) operands, then alpha and beta * C as
// elementwise ops; beta = 0 drops C.
// CHECK-LABEL: func.func @gemm_to_matmul
// CHECK-SAME:    (%[[A:.+]]: tensor<5x7xf32>, %[[B:.+]]: tensor<3x5xf32>, %[[C:.+]]: tensor<3xf32>)
// CHECK-DAG:     %[[HALF:.+]] = graph.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG:     %[[TWO:.+]] = graph.constant dense<2.000000e+00> : tensor<f32>
// CHECK-DAG:     %[[AT:.+]] = graph.transpose %[[A]] {permutation = array<i64: 1, 0>}
// CHECK-DAG:     %[[BT:.+]] = graph.transpose %[[B]] {permutation = array<i64: 1, 0>}
// CHECK:         %[[M:.+]] = graph.matmul %[[AT]], %[[BT]] : (tensor<7x5xf32>, tensor<5x3xf32>) -> tensor<7x3xf32>
// CHECK:         %[[S:.+]] = graph.mul %[[M]], %[[HALF]]
// CHECK:         %[[SC:.+]] = graph.mul %[[C]], %[[TWO]]
// CHECK:         %[[R:.+]] = graph.add %[[S]], %[[SC]]
// CHECK:         %[[AT2:.+]] = graph.transpose %[[A]]
// CHECK:         %[[BT2:.+]] = graph.transpose %[[B]]
// CHECK:         %[[P:.+]] = graph.matmul %[[AT2]], %[[BT2]]
// CHECK-NOT:     graph.gemm
// CHECK:         return %[[R]], %[[P]]
func.func @gemm_to_matmul(%a: tensor<5x7xf32>, %b: tensor<3x5xf32>, %c: tensor<3xf32>) -> (tensor<7x3xf32>, tensor<7x3xf32>) {
  %0 = graph.gemm %a, %b, %c {alpha = 0.5 : f32, beta = 2.0 : f32, trans_a, trans_b} : (tensor<5x7xf32>, tensor<3x5xf32>, tensor<3xf32>) -> tensor<7x3xf32>
  %1 = graph.gemm %a, %b, %c {beta = 0.0 : f32, trans_a, trans_b} : (tensor<5x7xf32>, tensor<3x5xf32>, tensor<3xf32>) -> tensor<7x3xf32>
  return %0, %1 : tensor<7x3xf32>, tensor<7x3xf32>
}

// -----

// Rows flattened for a matrix product (the Gemm exporters write around
// Linear layers) are the product's batch: the product is taken on the
// unflattened rows, reshaped after. Attention heads merged into K count as
// K. A 2-D operand, or one whose leading dimension alone is the rows, stays.
// CHECK-LABEL: func.func @unflatten_rows
// CHECK-SAME:    (%[[X:.+]]: tensor<2x7x12xf32>, %[[H:.+]]: tensor<2x7x3x4xf32>, %[[W:.+]]: tensor<12x5xf32>, %[[Y:.+]]: tensor<14x12xf32>)
// CHECK:         %[[M:.+]] = graph.matmul %[[X]], %[[W]] : (tensor<2x7x12xf32>, tensor<12x5xf32>) -> tensor<2x7x5xf32>
// CHECK:         %[[HR:.+]] = graph.reshape %[[H]] : tensor<2x7x3x4xf32> to tensor<2x7x12xf32>
// CHECK:         %[[N:.+]] = graph.matmul %[[HR]], %[[W]] : (tensor<2x7x12xf32>, tensor<12x5xf32>) -> tensor<2x7x5xf32>
// CHECK:         %[[NR:.+]] = graph.reshape %[[N]] : tensor<2x7x5xf32> to tensor<14x5xf32>
// CHECK:         %[[P:.+]] = graph.matmul %[[Y]], %[[W]] : (tensor<14x12xf32>, tensor<12x5xf32>) -> tensor<14x5xf32>
// CHECK:         return %[[M]], %[[NR]], %[[P]]
func.func @unflatten_rows(%x: tensor<2x7x12xf32>, %h: tensor<2x7x3x4xf32>, %w: tensor<12x5xf32>, %y: tensor<14x12xf32>) -> (tensor<2x7x5xf32>, tensor<14x5xf32>, tensor<14x5xf32>) {
  %0 = graph.reshape %x : tensor<2x7x12xf32> to tensor<14x12xf32>
  %1 = graph.matmul %0, %w : (tensor<14x12xf32>, tensor<12x5xf32>) -> tensor<14x5xf32>
  %2 = graph.reshape %1 : tensor<14x5xf32> to tensor<2x7x5xf32>
  %3 = graph.reshape %h : tensor<2x7x3x4xf32> to tensor<14x12xf32>
  %4 = graph.matmul %3, %w : (tensor<14x12xf32>, tensor<12x5xf32>) -> tensor<14x5xf32>
  %5 = graph.matmul %y, %w : (tensor<14x12xf32>, tensor<12x5xf32>) -> tensor<14x5xf32>
  return %2, %4, %5 : tensor<2x7x5xf32>, tensor<14x5xf32>, tensor<14x5xf32>
}
