//===- Passes.td - Transformations of the graph dialect ----*- tablegen -*-===//

#ifndef MELD_DIALECTS_GRAPH_TRANSFORMS_PASSES_TD
#define MELD_DIALECTS_GRAPH_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def GraphRecognize : Pass<"meld-graph-recognize", "mlir::ModuleOp"> {
  let summary = "Rewrite written-out GELU, LayerNorm, RMSNorm and softmax "
                "into the graph dialect's composite ops";
  let description = [{
    Exporters write composite operations out as chains of elementwise ops
    and reductions (older opsets have no `Gelu` or `LayerNormalization`
    node, and models often spell RMSNorm and softmax by hand). This pass
    finds those chains, in every operand order and association the
    TorchScript (`dynamo=False`) and dynamo exporters write, and replaces
    each with one op:

    - `x * 0.5 * (1 + erf(x / sqrt(2)))`, the division also written as a
      product with `1/sqrt(2)` and the factors in any order, becomes
      `graph.gelu`;
    - `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))`, the cube as
      `pow(x, 3)` or `x * x * x`, becomes `graph.gelu` with the `tanh`
      approximation;
    - `(x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps)`, the square as a
      product or `pow(.., 2)`, the division also as a product with
      `reciprocal(..)` or `1 / ..`, then optionally `* scale` and `+ bias`,
      becomes `graph.layernorm`;
    - `x / sqrt(mean(x^2) + eps)`, in the same spellings, then optionally
      `* scale`, becomes `graph.rmsnorm`;
    - `exp(x - max(x)) / sum(exp(x - max(x)))`, or without the maximum
      subtracted, the division also as a product with a reciprocal, becomes
      `graph.softmax`.

    A chain is rewritten only when it computes exactly what the op does:
    constants are checked (the exponents and the `1` exactly, `0.5`,
    `sqrt(2)`, `sqrt(2/pi)` and `0.044715` within the rounding error of the
    element type), epsilon is read from the graph (and must be an `f32`
    value), reductions keep their dimensions and run over the trailing
    dimensions (the last one for softmax), the maximum and the sum of a
    softmax over the same one, every intermediate has the shape and type the
    op computes, and a scale or bias is taken in only when it is constant
    along the dimensions that are not normalized. A normalization without a
    scale gets a constant scale of one. No value the rewrite removes may be
    used outside the chain: when the mean of a LayerNorm is used elsewhere,
    the centered value stays and the rest becomes a `graph.rmsnorm` of it.
    The new op is located at the fused locations of the ops it replaces, so
    diagnostics still name the ONNX nodes.

    Before:
    ```mlir
    %c2 = graph.constant dense<2.0> : tensor<f32>
    %sq = graph.pow %x, %c2 : (tensor<1x41x120xf32>, tensor<f32>) -> tensor<1x41x120xf32>
    %ms = graph.reduce_mean %sq {axes = array<i64: 2>, keep_dims} : (tensor<1x41x120xf32>) -> tensor<1x41x1xf32>
    %eps = graph.constant dense<1.0e-06> : tensor<f32>
    %0 = graph.add %ms, %eps : (tensor<1x41x1xf32>, tensor<f32>) -> tensor<1x41x1xf32>
    %1 = graph.sqrt %0 : tensor<1x41x1xf32>
    %2 = graph.reciprocal %1 : tensor<1x41x1xf32>
    %3 = graph.mul %x, %2 : (tensor<1x41x120xf32>, tensor<1x41x1xf32>) -> tensor<1x41x120xf32>
    %w = graph.weight "norm.weight" : tensor<120xf32>
    %4 = graph.mul %w, %3 : (tensor<120xf32>, tensor<1x41x120xf32>) -> tensor<1x41x120xf32>
    ```
    After:
    ```mlir
    %w = graph.weight "norm.weight" : tensor<120xf32>
    %4 = graph.rmsnorm %x, %w {axis = 2 : i64, epsilon = 9.99999997E-7 : f32}
        : (tensor<1x41x120xf32>, tensor<120xf32>) -> tensor<1x41x120xf32>
    ```
  }];
  let dependentDialects = ["meld::graph::GraphDialect"];
}

#endif // MELD_DIALECTS_GRAPH_TRANSFORMS_PASSES_TD
