// RUN: meld-opt %s -split-input-file --meld-graph-causal-masks | FileCheck %s

// A keep mask, true exactly where key j <= query i: causal, no mask.
// CHECK-LABEL: func.func @keep
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}} {causal, mask_kind = #graph.mask<none>
func.func @keep(%q: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %m = graph.constant dense<[[true, false, false, false], [true, true, false, false], [true, true, true, false], [true, true, true, true]]> : tensor<4x4xi1>
  %o = graph.attention %q, %q, %q, %m {mask_kind = #graph.mask<keep>, masked_score = -3.4028234663852886E+38 : f64, scale = 0.5 : f64} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x4xi1>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

// A drop mask (true above the diagonal), broadcast over batch and heads.
// CHECK-LABEL: func.func @drop
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}} {causal, mask_kind = #graph.mask<none>
func.func @drop(%q: tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32> {
  %m = graph.constant dense<[[[[false, true, true], [false, false, true], [false, false, false]]]]> : tensor<1x1x3x3xi1>
  %o = graph.attention %q, %q, %q, %m {mask_kind = #graph.mask<drop>, masked_score = 0xFFF0000000000000 : f64, scale = 0.5 : f64} : (tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x1x3x3xi1>) -> tensor<1x2x3x8xf32>
  return %o : tensor<1x2x3x8xf32>
}

// -----

// Two queries over four keys (the last two positions of a cache): query i
// sees keys j <= i + 2.
// CHECK-LABEL: func.func @offset
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}} {causal, mask_kind = #graph.mask<none>
func.func @offset(%q: tensor<2x8xf32>, %k: tensor<4x8xf32>) -> tensor<2x8xf32> {
  %m = graph.constant dense<[[true, true, true, false], [true, true, true, true]]> : tensor<2x4xi1>
  %o = graph.attention %q, %k, %k, %m {mask_kind = #graph.mask<keep>, masked_score = -3.4028234663852886E+38 : f64, scale = 0.5 : f64} : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<2x4xi1>) -> tensor<2x8xf32>
  return %o : tensor<2x8xf32>
}

// -----

// Must stay: the diagonal is masked (not causal).
// CHECK-LABEL: func.func @strictly_lower
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {mask_kind = #graph.mask<keep>
// CHECK-NOT:     causal
func.func @strictly_lower(%q: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %m = graph.constant dense<[[false, false, false], [true, false, false], [true, true, false]]> : tensor<3x3xi1>
  %o = graph.attention %q, %q, %q, %m {mask_kind = #graph.mask<keep>, masked_score = 0xFFF0000000000000 : f64, scale = 0.5 : f64} : (tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x3xi1>) -> tensor<3x8xf32>
  return %o : tensor<3x8xf32>
}

// -----

// Must stay: the heads' masks differ (the second head sees every key).
// CHECK-LABEL: func.func @per_head
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {mask_kind = #graph.mask<keep>
// CHECK-NOT:     causal
func.func @per_head(%q: tensor<2x2x8xf32>) -> tensor<2x2x8xf32> {
  %m = graph.constant dense<[[[true, false], [true, true]], [[true, true], [true, true]]]> : tensor<2x2x2xi1>
  %o = graph.attention %q, %q, %q, %m {mask_kind = #graph.mask<keep>, masked_score = 0xFFF0000000000000 : f64, scale = 0.5 : f64} : (tensor<2x2x8xf32>, tensor<2x2x8xf32>, tensor<2x2x8xf32>, tensor<2x2x2xi1>) -> tensor<2x2x8xf32>
  return %o : tensor<2x2x8xf32>
}

// -----

// Must stay: more queries than keys, so the first query would keep no key
// (its masked scores, not -inf, give it uniform weights).
// CHECK-LABEL: func.func @more_queries
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {mask_kind = #graph.mask<keep>
// CHECK-NOT:     causal
func.func @more_queries(%q: tensor<3x8xf32>, %k: tensor<2x8xf32>) -> tensor<3x8xf32> {
  %m = graph.constant dense<[[false, false], [true, false], [true, true]]> : tensor<3x2xi1>
  %o = graph.attention %q, %k, %k, %m {mask_kind = #graph.mask<keep>, masked_score = 0xFFF0000000000000 : f64, scale = 0.5 : f64} : (tensor<3x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<3x2xi1>) -> tensor<3x8xf32>
  return %o : tensor<3x8xf32>
}

// -----

// Must stay: a mask that broadcasts along the keys, and a weight (whose
// bytes meld-opt does not know: only the compiler lends them).
// CHECK-LABEL: func.func @unknown
// CHECK-COUNT-2: mask_kind = #graph.mask<keep>
// CHECK-NOT:     causal
func.func @unknown(%q: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %m = graph.constant dense<[[true], [false]]> : tensor<2x1xi1>
  %o = graph.attention %q, %q, %q, %m {mask_kind = #graph.mask<keep>, masked_score = 0xFFF0000000000000 : f64, scale = 0.5 : f64} : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x1xi1>) -> tensor<2x8xf32>
  %w = graph.weight "triu" : tensor<2x2xi1>
  %p = graph.attention %q, %q, %q, %w {mask_kind = #graph.mask<keep>, masked_score = 0xFFF0000000000000 : f64, scale = 0.5 : f64} : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x2xi1>) -> tensor<2x8xf32>
  return %o, %p : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// An added mask, 0 where the score stays and -inf (or at most -1e30, as
// finfo.min) elsewhere: causal.
// CHECK-LABEL: func.func @added
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}} {causal, mask_kind = #graph.mask<none>
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}} {causal, mask_kind = #graph.mask<none>
func.func @added(%q: tensor<3x8xf32>) -> (tensor<3x8xf32>, tensor<3x8xf32>) {
  %m = graph.constant dense<[[0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0]]> : tensor<3x3xf32>
  %o = graph.attention %q, %q, %q, %m {mask_kind = #graph.mask<add>, scale = 0.5 : f64} : (tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x3xf32>) -> tensor<3x8xf32>
  %n = graph.constant dense<[[0.0, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, -3.40282347E+38], [0.0, 0.0, 0.0]]> : tensor<3x3xf32>
  %p = graph.attention %q, %q, %q, %n {mask_kind = #graph.mask<add>, scale = 0.5 : f64} : (tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x3xf32>) -> tensor<3x8xf32>
  return %o, %p : tensor<3x8xf32>, tensor<3x8xf32>
}

// -----

// Must stay: an added mask of -10000, whose scores keep a weight that need
// not be 0, and one that is not 0 where scores stay.
// CHECK-LABEL: func.func @added_not_causal
// CHECK-COUNT-2: mask_kind = #graph.mask<add>
// CHECK-NOT:     causal
func.func @added_not_causal(%q: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %m = graph.constant dense<[[0.0, -1.0e4], [0.0, 0.0]]> : tensor<2x2xf32>
  %o = graph.attention %q, %q, %q, %m {mask_kind = #graph.mask<add>, scale = 0.5 : f64} : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x2xf32>) -> tensor<2x8xf32>
  %n = graph.constant dense<[[0.5, 0xFF800000], [0.0, 0.0]]> : tensor<2x2xf32>
  %p = graph.attention %q, %q, %q, %n {mask_kind = #graph.mask<add>, scale = 0.5 : f64} : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x2xf32>) -> tensor<2x8xf32>
  return %o, %p : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Must stay: a causal keep mask whose masked scores are -10000, whose
// weights need not be 0.
// CHECK-LABEL: func.func @masked_score_not_small
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {mask_kind = #graph.mask<keep>
// CHECK-NOT:     causal
func.func @masked_score_not_small(%q: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %m = graph.constant dense<[[true, false], [true, true]]> : tensor<2x2xi1>
  %o = graph.attention %q, %q, %q, %m {mask_kind = #graph.mask<keep>, masked_score = -1.0e4 : f64, scale = 0.5 : f64} : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x2xi1>) -> tensor<2x8xf32>
  return %o : tensor<2x8xf32>
}

// -----

// A keep mask that is true everywhere masks nothing: it goes.
// CHECK-LABEL: func.func @all_kept
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}} {mask_kind = #graph.mask<none>
// CHECK-NOT:     causal
func.func @all_kept(%q: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %m = graph.constant dense<true> : tensor<2x1xi1>
  %o = graph.attention %q, %q, %q, %m {mask_kind = #graph.mask<keep>, masked_score = 0xFFF0000000000000 : f64, scale = 0.5 : f64} : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x1xi1>) -> tensor<2x8xf32>
  return %o : tensor<2x8xf32>
}

// -----

// Causal plus padding, as the TorchScript exporter writes transformers'
// mask: where(padding & causal, 0, -inf). The attention is causal and keeps
// only the padding, [batch, 1, 1, keys], as a keep mask.
// CHECK-LABEL: func.func @padding_causal
// CHECK-SAME:    (%[[Q:.+]]: tensor<2x2x3x8xf32>, %[[P:.+]]: tensor<2x1x1x3xi1>)
// CHECK:         graph.attention %[[Q]], %[[Q]], %[[Q]], %[[P]] {causal, mask_kind = #graph.mask<keep>, masked_score = 0xFFF0000000000000 : f64
func.func @padding_causal(%q: tensor<2x2x3x8xf32>, %pad: tensor<2x1x1x3xi1>) -> tensor<2x2x3x8xf32> {
  %c = graph.constant dense<[[[[true, false, false], [true, true, false], [true, true, true]]]]> : tensor<1x1x3x3xi1>
  %zero = graph.constant dense<0.0> : tensor<1xf32>
  %ninf = graph.constant dense<0xFF800000> : tensor<1xf32>
  %both = graph.and %pad, %c : (tensor<2x1x1x3xi1>, tensor<1x1x3x3xi1>) -> tensor<2x1x3x3xi1>
  %m = graph.where %both, %zero, %ninf : (tensor<2x1x3x3xi1>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x1x3x3xf32>
  %o = graph.attention %q, %q, %q, %m {mask_kind = #graph.mask<add>, scale = 0.5 : f64, zero_nan_rows} : (tensor<2x2x3x8xf32>, tensor<2x2x3x8xf32>, tensor<2x2x3x8xf32>, tensor<2x1x3x3xf32>) -> tensor<2x2x3x8xf32>
  return %o : tensor<2x2x3x8xf32>
}

// -----

// The same keep mask, the padding second.
// CHECK-LABEL: func.func @padding_causal_keep
// CHECK-SAME:    (%[[Q:.+]]: tensor<2x3x8xf32>, %[[P:.+]]: tensor<2x1x3xi1>)
// CHECK:         graph.attention %[[Q]], %[[Q]], %[[Q]], %[[P]] {causal, mask_kind = #graph.mask<keep>
func.func @padding_causal_keep(%q: tensor<2x3x8xf32>, %pad: tensor<2x1x3xi1>) -> tensor<2x3x8xf32> {
  %c = graph.constant dense<[[true, false, false], [true, true, false], [true, true, true]]> : tensor<3x3xi1>
  %both = graph.and %c, %pad : (tensor<3x3xi1>, tensor<2x1x3xi1>) -> tensor<2x3x3xi1>
  %o = graph.attention %q, %q, %q, %both {mask_kind = #graph.mask<keep>, masked_score = 0xFFF0000000000000 : f64, scale = 0.5 : f64} : (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x3xi1>) -> tensor<2x3x8xf32>
  return %o : tensor<2x3x8xf32>
}

// -----

// Causal plus padding masked with finfo.min, not -inf: causal too, the
// padding a keep mask of that masked score (with which the kernel masks the
// keys past the diagonal: a query whose keys up to its own are all padding
// weighs every key alike, those past it too).
// CHECK-LABEL: func.func @padding_causal_finite
// CHECK-SAME:    (%[[Q:.+]]: tensor<2x3x8xf32>, %[[P:.+]]: tensor<2x1x3xi1>)
// CHECK:         graph.attention %[[Q]], %[[Q]], %[[Q]], %[[P]] {causal, mask_kind = #graph.mask<keep>, masked_score = -3.4028234663852886E+38 : f64
func.func @padding_causal_finite(%q: tensor<2x3x8xf32>, %pad: tensor<2x1x3xi1>) -> tensor<2x3x8xf32> {
  %c = graph.constant dense<[[true, false, false], [true, true, false], [true, true, true]]> : tensor<3x3xi1>
  %zero = graph.constant dense<0.0> : tensor<f32>
  %min = graph.constant dense<-3.40282347E+38> : tensor<f32>
  %both = graph.and %c, %pad : (tensor<3x3xi1>, tensor<2x1x3xi1>) -> tensor<2x3x3xi1>
  %m = graph.where %both, %zero, %min : (tensor<2x3x3xi1>, tensor<f32>, tensor<f32>) -> tensor<2x3x3xf32>
  %o = graph.attention %q, %q, %q, %m {mask_kind = #graph.mask<add>, scale = 0.5 : f64} : (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x3xf32>) -> tensor<2x3x8xf32>
  return %o : tensor<2x3x8xf32>
}

// -----

// BERT's padding mask, as the TorchScript exporter writes it: a factor true
// everywhere goes, and the padding, [batch, 1, 1, keys], is the keep mask.
// CHECK-LABEL: func.func @padding_only
// CHECK-SAME:    (%[[Q:.+]]: tensor<2x2x3x8xf32>, %[[P:.+]]: tensor<2x1x1x3xi1>)
// CHECK:         graph.attention %[[Q]], %[[Q]], %[[Q]], %[[P]] {mask_kind = #graph.mask<keep>, masked_score = 0xFFF0000000000000 : f64
// CHECK-NOT:     causal
func.func @padding_only(%q: tensor<2x2x3x8xf32>, %pad: tensor<2x1x1x3xi1>) -> tensor<2x2x3x8xf32> {
  %t = graph.constant dense<true> : tensor<1x1x3x1xi1>
  %zero = graph.constant dense<0.0> : tensor<1xf32>
  %ninf = graph.constant dense<0xFF800000> : tensor<1xf32>
  %both = graph.and %pad, %t : (tensor<2x1x1x3xi1>, tensor<1x1x3x1xi1>) -> tensor<2x1x3x3xi1>
  %m = graph.where %both, %zero, %ninf : (tensor<2x1x3x3xi1>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x1x3x3xf32>
  %o = graph.attention %q, %q, %q, %m {mask_kind = #graph.mask<add>, scale = 0.5 : f64} : (tensor<2x2x3x8xf32>, tensor<2x2x3x8xf32>, tensor<2x2x3x8xf32>, tensor<2x1x3x3xf32>) -> tensor<2x2x3x8xf32>
  return %o : tensor<2x2x3x8xf32>
}

// -----

// Must stay added: where(padding, 0, -10000) (the older BERT exports), whose
// masked scores keep a weight that need not be 0; and a mask that adds a
// value where it keeps the score.
// CHECK-LABEL: func.func @padding_added_not_small
// CHECK-COUNT-2: mask_kind = #graph.mask<add>
func.func @padding_added_not_small(%q: tensor<2x3x8xf32>, %pad: tensor<2x1x3xi1>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  %zero = graph.constant dense<0.0> : tensor<f32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %low = graph.constant dense<-1.0e4> : tensor<f32>
  %ninf = graph.constant dense<0xFF800000> : tensor<f32>
  %m = graph.where %pad, %zero, %low : (tensor<2x1x3xi1>, tensor<f32>, tensor<f32>) -> tensor<2x1x3xf32>
  %o = graph.attention %q, %q, %q, %m {mask_kind = #graph.mask<add>, scale = 0.5 : f64} : (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x1x3xf32>) -> tensor<2x3x8xf32>
  %n = graph.where %pad, %half, %ninf : (tensor<2x1x3xi1>, tensor<f32>, tensor<f32>) -> tensor<2x1x3xf32>
  %p = graph.attention %q, %q, %q, %n {mask_kind = #graph.mask<add>, scale = 0.5 : f64} : (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x1x3xf32>) -> tensor<2x3x8xf32>
  return %o, %p : tensor<2x3x8xf32>, tensor<2x3x8xf32>
}
