//===- GraphOps.td - Graph dialect operations --------------*- tablegen -*-===//
//
// Ops of the graph dialect. Every op works on ranked tensors of static shape.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_DIALECT_GRAPH_GRAPHOPS_TD
#define MELD_DIALECT_GRAPH_GRAPHOPS_TD

include "GraphBase.td"
include "GraphInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class Graph_Op<string mnemonic, list<Trait> traits = []>
    : Op<Graph_Dialect, mnemonic, !listconcat(traits, [Pure])>;

//===----------------------------------------------------------------------===//
// Constants and weights
//===----------------------------------------------------------------------===//

def Graph_ConstantOp : Graph_Op<"constant", [ConstantLike,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "A small constant tensor held in the IR";
  let description = [{
    A tensor whose elements are part of the IR: scalars, shapes, masks and other
    small tensors. Large model parameters are `graph.weight` instead. The value
    is a `dense<...>` attribute (not a `dense_resource`), so that folders and
    lowerings can read its elements.

    ```mlir
    %0 = graph.constant dense<[1, 41, 5, 24]> : tensor<4xi64>
    ```
  }];
  let arguments = (ins TypedAttrInterface:$value);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Graph_WeightOp : Graph_Op<"weight"> {
  let summary = "A model parameter referenced by handle";
  let description = [{
    A tensor whose bytes live outside the IR, named by `handle` (the ONNX
    initializer name). The compiler carries the bytes from the model file to the
    artifact without ever materializing them as attributes.

    ```mlir
    %w = graph.weight "h.0.attn.c_attn.weight" : tensor<120x360xf32>
    ```
  }];
  let arguments = (ins StrAttr:$handle);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$handle attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

def Graph_MatmulOp : Graph_Op<"matmul", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    AllElementTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "Matrix product with numpy semantics (batched, broadcast)";
  let description = [{
    `numpy.matmul`: operands of rank 1 are promoted to matrices (and the added
    dimension removed from the result); leading (batch) dimensions broadcast. This
    one op covers plain and batched matrix products. A left operand flattened
    to rows (`[B, S, K]` reshaped to `[B*S, K]`) times a matrix is canonically
    the product of the unflattened operand, reshaped: the flattening
    exporters write around `Gemm` goes away.

    ```mlir
    %0 = graph.matmul %a, %b : (tensor<2x41x120xf32>, tensor<120x360xf32>) -> tensor<2x41x360xf32>
    %1 = graph.matmul %q, %k : (tensor<1x5x41x24xf32>, tensor<1x5x24x41xf32>) -> tensor<1x5x41x41xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$lhs, Graph_FloatTensor:$rhs);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasCanonicalizer = 1;
}

def Graph_GemmOp : Graph_Op<"gemm", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    AllElementTypesMatch<["a", "b", "result"]>]> {
  let summary = "General matrix multiply: alpha * op(A) * op(B) + beta * C";
  let description = [{
    ONNX `Gemm`: `A` and `B` are matrices, optionally transposed; the optional `C`
    (of the same element type) broadcasts (unidirectionally) to the `M x N`
    result. The canonical form is `graph.matmul` of the (transposed)
    operands, then the scales and `C` as elementwise ops, which fusion takes
    in as the product's epilogue and views.

    ```mlir
    %0 = graph.gemm %a, %b, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_b}
        : (tensor<41x120xf32>, tensor<360x120xf32>, tensor<360xf32>) -> tensor<41x360xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$a, Graph_FloatTensor:$b,
                   Optional<Graph_FloatTensor>:$c,
                   DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                   DefaultValuedAttr<F32Attr, "1.0">:$beta,
                   UnitAttr:$trans_a, UnitAttr:$trans_b);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat =
      "$a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Graph_AttentionOp : Graph_Op<"attention", [
    AllElementTypesMatch<["query", "key", "value", "result"]>]> {
  let summary = "Scaled dot-product attention";
  let description = [{
    `softmax(mask(scale * query * key^T)) * value` over the last two
    dimensions, the leading (batch and head) dimensions broadcast as numpy
    does: `query` is `[..., Lq, D]`, `key` `[..., Lk, D]`, `value`
    `[..., Lk, Dv]` and the result `[..., Lq, Dv]`. The softmax is over the
    keys. `mask_kind` says how `mask` (broadcast to the scores'
    `[..., Lq, Lk]`) applies:
    - `none`: no mask;
    - `keep`: a boolean mask, true where the score stays, `masked_score`
      elsewhere (`where(mask, s, masked_score)`);
    - `drop`: a boolean mask, true where the score becomes `masked_score`
      (`where(mask, masked_score, s)`);
    - `add`: a float mask added to the scores (0 or a large negative).

    With `zero_nan_rows`, a query whose weights are NaN (every key masked
    with -inf) gets zeros, as torch's exported SDPA does with
    `where(isnan(p), 0, p)`; without it, NaN as the softmax gives.

    With `causal`, key `j` is masked for query `i` where `j > i + Lk - Lq`,
    besides any mask: with `masked_score` under a keep or drop mask, and
    with -inf otherwise. `meld-graph-causal-masks` sets it for masks known to
    be causal, and the kernel skips the key blocks past each query block's
    last key (where a finite masked score leaves a query of the block no
    key, it reads them: such a query weighs every key alike).

    `meld-graph-recognize` makes this op from the matmul, scale, mask,
    softmax and matmul that exporters write; one kernel computes it with the
    softmax online, key block by key block, so the scores never reach device
    memory.

    ```mlir
    %o = graph.attention %q, %k, %v, %causal {mask_kind = #graph.mask<keep>, masked_score = -3.4028234663852886E+38 : f64, scale = 0.20412414523193151 : f64}
        : (tensor<2x5x41x24xf32>, tensor<2x5x41x24xf32>, tensor<2x5x41x24xf32>, tensor<1x1x41x41xi1>) -> tensor<2x5x41x24xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$query, Graph_FloatTensor:$key,
                   Graph_FloatTensor:$value, Optional<Graph_Tensor>:$mask,
                   F64Attr:$scale, Graph_AttentionMaskAttr:$mask_kind,
                   DefaultValuedAttr<F64Attr, "0.0">:$masked_score,
                   UnitAttr:$zero_nan_rows, UnitAttr:$causal);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`,` $mask^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The largest head dimension (D or Dv) one attention kernel holds: a
    /// block of queries and one of keys or values stay in registers.
    static constexpr int64_t kMaxHeadDim = 256;
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise ops with numpy broadcasting
//===----------------------------------------------------------------------===//

class Graph_BroadcastOp<string mnemonic, list<Trait> traits = []>
    : Graph_Op<mnemonic, !listconcat(traits, [
        DeclareOpInterfaceMethods<InferTypeOpInterface>,
        DeclareOpInterfaceMethods<Graph_ElementwiseOpInterface>])>;

class Graph_BinaryOp<string mnemonic, string op, Type operandType,
                     list<Trait> traits = []>
    : Graph_BroadcastOp<mnemonic, !listconcat(traits, [
        AllElementTypesMatch<["lhs", "rhs", "result"]>])> {
  let summary = "Elementwise " # op # " with numpy broadcasting";
  let description = [{
    Computes `lhs }] # op # [{ rhs` elementwise. The operands broadcast as in
    numpy; the result has the broadcast shape and the operands' element type.

    ```mlir
    %0 = graph.}] # mnemonic # [{ %a, %b : (tensor<2x41x120xf32>, tensor<120xf32>) -> tensor<2x41x120xf32>
    ```
  }];
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs operandType:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_AddOp : Graph_BinaryOp<"add", "+", Graph_NumericTensor, [Commutative]>;
def Graph_SubOp : Graph_BinaryOp<"sub", "-", Graph_NumericTensor>;
def Graph_MulOp : Graph_BinaryOp<"mul", "*", Graph_NumericTensor, [Commutative]>;
def Graph_DivOp : Graph_BinaryOp<"div", "/ (integers truncate toward zero)",
                                 Graph_NumericTensor> {
  let description = [{
    Computes `lhs / rhs` elementwise, with numpy broadcasting; the result has
    the broadcast shape and the operands' element type. Integers truncate
    toward zero. An integer division by zero is a fault in the data: a kernel
    reports it as an error naming the op (and a constant zero divisor is
    refused at compile time); the signed minimum divided by -1 wraps to the
    signed minimum, as two's complement arithmetic (and numpy) does.

    ```mlir
    %0 = graph.div %a, %b : (tensor<2x41x120xf32>, tensor<120xf32>) -> tensor<2x41x120xf32>
    %1 = graph.div %n, %d : (tensor<5xi64>, tensor<i64>) -> tensor<5xi64>
    ```
  }];
  let extraClassDeclaration = [{
    /// For an integer division whose divisor is a constant: the row-major
    /// position in the divisor of its first zero element (a division by zero
    /// no input can avoid), or nothing.
    std::optional<int64_t> getConstantZeroDivisor();
  }];
}
def Graph_PowOp : Graph_BinaryOp<"pow", "to the power", Graph_FloatTensor>;
def Graph_MinOp : Graph_BinaryOp<"min", "min", Graph_NumericTensor, [Commutative]>;
def Graph_MaxOp : Graph_BinaryOp<"max", "max", Graph_NumericTensor, [Commutative]>;
def Graph_AndOp : Graph_BinaryOp<"and", "logical and", Graph_BoolTensor,
                                 [Commutative]>;
def Graph_OrOp : Graph_BinaryOp<"or", "logical or", Graph_BoolTensor,
                                [Commutative]>;

def Graph_CmpOp : Graph_BroadcastOp<"cmp", [
    AllElementTypesMatch<["lhs", "rhs"]>]> {
  let summary = "Elementwise comparison with numpy broadcasting";
  let description = [{
    Compares `lhs` with `rhs` elementwise under `predicate` (`eq`, `ne`, `lt`,
    `le`, `gt`, `ge`); the result is a boolean tensor of the broadcast shape.
    Floats compare as IEEE ordered comparisons, except `ne`, which holds when an
    operand is NaN; `ui8` and `i1` compare unsigned.

    ```mlir
    %0 = graph.cmp lt, %a, %b : (tensor<41x41xi64>, tensor<1xi64>) -> tensor<41x41xi1>
    ```
  }];
  let arguments = (ins Graph_CmpPredicate:$predicate,
                   Graph_Tensor:$lhs, Graph_Tensor:$rhs);
  let results = (outs Graph_BoolTensor:$result);
  let assemblyFormat = "$predicate `,` $lhs `,` $rhs attr-dict `:` "
                       "functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_WhereOp : Graph_BroadcastOp<"where", [
    AllElementTypesMatch<["on_true", "on_false", "result"]>]> {
  let summary = "Elementwise select with numpy broadcasting";
  let description = [{
    `condition ? on_true : on_false` elementwise; all three operands broadcast.

    ```mlir
    %0 = graph.where %mask, %scores, %neg_inf
        : (tensor<1x1x41x41xi1>, tensor<1x5x41x41xf32>, tensor<f32>) -> tensor<1x5x41x41xf32>
    ```
  }];
  let arguments = (ins Graph_BoolTensor:$condition, Graph_Tensor:$on_true,
                   Graph_Tensor:$on_false);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$condition `,` $on_true `,` $on_false attr-dict `:` "
                       "functional-type(operands, results)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Unary elementwise ops
//===----------------------------------------------------------------------===//

class Graph_UnaryOp<string mnemonic, string math, Type type,
                    list<Trait> traits = []>
    : Graph_Op<mnemonic, !listconcat(traits, [SameOperandsAndResultType,
        DeclareOpInterfaceMethods<Graph_ElementwiseOpInterface>])> {
  let summary = "Elementwise " # math;
  let description = [{
    Computes `}] # math # [{` of every element.

    ```mlir
    %0 = graph.}] # mnemonic # [{ %x : tensor<41x120xf32>
    ```
  }];
  let arguments = (ins type:$input);
  let results = (outs type:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Graph_SqrtOp : Graph_UnaryOp<"sqrt", "sqrt(x)", Graph_FloatTensor>;
def Graph_ReciprocalOp : Graph_UnaryOp<"reciprocal", "1 / x", Graph_FloatTensor>;
def Graph_NegOp : Graph_UnaryOp<"neg", "-x", Graph_NumericTensor> {
  let hasFolder = 1;
}
def Graph_AbsOp : Graph_UnaryOp<"abs", "|x|", Graph_NumericTensor>;
def Graph_ExpOp : Graph_UnaryOp<"exp", "e^x", Graph_FloatTensor>;
def Graph_LogOp : Graph_UnaryOp<"log", "ln(x)", Graph_FloatTensor>;
def Graph_TanhOp : Graph_UnaryOp<"tanh", "tanh(x)", Graph_FloatTensor>;
def Graph_ErfOp : Graph_UnaryOp<"erf", "erf(x)", Graph_FloatTensor>;
def Graph_SinOp : Graph_UnaryOp<"sin", "sin(x)", Graph_FloatTensor>;
def Graph_CosOp : Graph_UnaryOp<"cos", "cos(x)", Graph_FloatTensor>;
def Graph_SigmoidOp : Graph_UnaryOp<"sigmoid", "1 / (1 + e^-x)",
                                    Graph_FloatTensor>;
def Graph_ReluOp : Graph_UnaryOp<"relu", "max(x, 0)", Graph_NumericTensor>;
def Graph_SiluOp : Graph_UnaryOp<"silu", "x * sigmoid(x)", Graph_FloatTensor>;
def Graph_SoftplusOp : Graph_UnaryOp<"softplus", "ln(1 + e^x)",
                                     Graph_FloatTensor>;
def Graph_NotOp : Graph_UnaryOp<"not", "logical not", Graph_BoolTensor>;

def Graph_GeluOp : Graph_Op<"gelu", [SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Graph_ElementwiseOpInterface>]> {
  let summary = "Elementwise GELU, exact or with the tanh approximation";
  let description = [{
    `x * 0.5 * (1 + erf(x / sqrt(2)))` when `approximation` is `none` (the
    default); `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))` when it
    is `tanh`.

    ```mlir
    %0 = graph.gelu %x : tensor<41x480xf32>
    %1 = graph.gelu %x {approximation = #graph.gelu_approx<tanh>} : tensor<41x480xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$input,
                   DefaultValuedAttr<Graph_GeluApproximationAttr,
                                     "GeluApproximation::none">:$approximation);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Graph_ClipOp : Graph_Op<"clip", [SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Graph_ElementwiseOpInterface>]> {
  let summary = "Elementwise clamp to [min, max]";
  let description = [{
    Clamps every element to `[min, max]`; a missing bound does not clamp.

    ```mlir
    %0 = graph.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<41x120xf32>
    ```
  }];
  let arguments = (ins Graph_NumericTensor:$input, OptionalAttr<F64Attr>:$min,
                   OptionalAttr<F64Attr>:$max);
  let results = (outs Graph_NumericTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Graph_CastOp : Graph_Op<"cast", [SameOperandsAndResultShape,
    DeclareOpInterfaceMethods<Graph_ElementwiseOpInterface>]> {
  let summary = "Elementwise conversion to another element type";
  let description = [{
    Converts every element to the result's element type, as ONNX `Cast` does:
    floats to integers truncate toward zero (NaN, infinities and values outside
    the integer's range have no defined result), anything to `i1` compares with
    zero, conversions to floats round to nearest even, integers narrow by
    wrapping and widen by sign extension (zero extension from `i1` and `ui8`).

    ```mlir
    %0 = graph.cast %mask : tensor<1x41xi64> to tensor<1x41xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

class Graph_ReduceOp<string mnemonic, string what>
    : Graph_Op<mnemonic, [DeclareOpInterfaceMethods<InferTypeOpInterface>,
                          AllElementTypesMatch<["input", "result"]>]> {
  let summary = "Reduction: " # what # " over axes";
  let description = [{
    Reduces `input` over the (non-negative, sorted, unique) `axes` with the }] #
    what # [{. With `keep_dims` the reduced dimensions stay with size 1. Empty
    `axes` reduce nothing: the result is the input.

    ```mlir
    %0 = graph.}] # mnemonic # [{ %x {axes = array<i64: 2>, keep_dims} : (tensor<2x41x120xf32>) -> tensor<2x41x1xf32>
    ```
  }];
  let arguments = (ins Graph_NumericTensor:$input, DenseI64ArrayAttr:$axes,
                   UnitAttr:$keep_dims);
  let results = (outs Graph_NumericTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Graph_ReduceSumOp : Graph_ReduceOp<"reduce_sum", "sum">;
def Graph_ReduceMeanOp : Graph_ReduceOp<"reduce_mean", "arithmetic mean">;
def Graph_ReduceMaxOp : Graph_ReduceOp<"reduce_max", "maximum">;
def Graph_ReduceMinOp : Graph_ReduceOp<"reduce_min", "minimum">;

def Graph_SoftmaxOp : Graph_Op<"softmax", [SameOperandsAndResultType]> {
  let summary = "Softmax along one axis";
  let description = [{
    `exp(x - max(x)) / sum(exp(x - max(x)))` along `axis` (non-negative).

    ```mlir
    %0 = graph.softmax %scores {axis = 3 : i64} : tensor<1x5x41x41xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Graph_LayerNormOp : Graph_Op<"layernorm", [
    AllTypesMatch<["input", "result"]>,
    AllElementTypesMatch<["input", "scale"]>]> {
  let summary = "Layer normalization over the trailing dimensions";
  let description = [{
    Normalizes over the dimensions from `axis` to the last:
    `(x - mean) / sqrt(var + epsilon) * scale + bias`, where `scale` and the
    optional `bias` (both of the input's element type) broadcast
    (unidirectionally) to those dimensions.

    ```mlir
    %0 = graph.layernorm %x, %gamma, %beta {axis = 2 : i64, epsilon = 1.0e-05 : f32}
        : (tensor<2x41x120xf32>, tensor<120xf32>, tensor<120xf32>) -> tensor<2x41x120xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$scale,
                   Optional<Graph_FloatTensor>:$bias, I64Attr:$axis,
                   F32Attr:$epsilon);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = "$input `,` $scale (`,` $bias^)? attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

def Graph_RmsNormOp : Graph_Op<"rmsnorm", [
    AllTypesMatch<["input", "result"]>,
    AllElementTypesMatch<["input", "scale"]>]> {
  let summary = "Root-mean-square normalization over the trailing dimensions";
  let description = [{
    Normalizes over the dimensions from `axis` to the last:
    `x / sqrt(mean(x^2) + epsilon) * scale`, where `scale` broadcasts
    (unidirectionally) to those dimensions.

    ```mlir
    %0 = graph.rmsnorm %x, %gamma {axis = 2 : i64, epsilon = 1.0e-06 : f32}
        : (tensor<1x41x120xf32>, tensor<120xf32>) -> tensor<1x41x120xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$scale,
                   I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = "$input `,` $scale attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Graph_TransposeOp : Graph_Op<"transpose", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Graph_ViewOpInterface, ["getInputLayout"]>,
    AllElementTypesMatch<["input", "result"]>]> {
  let summary = "Permutes the dimensions";
  let description = [{
    Result dimension `i` is input dimension `permutation[i]`.

    ```mlir
    %0 = graph.transpose %x {permutation = array<i64: 0, 2, 1, 3>}
        : (tensor<1x41x5x24xf32>) -> tensor<1x5x41x24xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_ReshapeOp : Graph_Op<"reshape", [
    DeclareOpInterfaceMethods<Graph_ViewOpInterface, ["getInputLayout"]>,
    AllElementTypesMatch<["input", "result"]>]> {
  let summary = "Reinterprets the elements with another shape";
  let description = [{
    The elements in row-major order, unchanged, with the result's shape (the same
    number of elements). ONNX `Reshape`, `Flatten`, `Squeeze` and `Unsqueeze` all
    become this op.

    ```mlir
    %0 = graph.reshape %x : tensor<1x41x120xf32> to tensor<1x41x5x24xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_SliceOp : Graph_Op<"slice", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Graph_ViewOpInterface>,
    AllElementTypesMatch<["input", "result"]>]> {
  let summary = "A strided window of the input";
  let description = [{
    In every dimension `d`, result element `i` is input element
    `starts[d] + i * steps[d]`, for `i` in `[0, sizes[d])`. Steps may be negative
    (but not zero); every index read lies within the input. ONNX `Slice` is
    normalized to this form at import.

    ```mlir
    %0 = graph.slice %x {starts = array<i64: 0, 0, 12>, sizes = array<i64: 1, 41, 12>,
                         steps = array<i64: 1, 1, 1>}
        : (tensor<1x41x24xf32>) -> tensor<1x41x12xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$sizes, DenseI64ArrayAttr:$steps);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_ConcatOp : Graph_Op<"concat", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "Joins tensors along one axis";
  let description = [{
    Concatenates the inputs along `axis` (non-negative); all other dimensions
    and the element types agree.

    ```mlir
    %0 = graph.concat %a, %b {axis = 2 : i64}
        : (tensor<1x41x12xf32>, tensor<1x41x12xf32>) -> tensor<1x41x24xf32>
    ```
  }];
  let arguments = (ins Variadic<Graph_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_SplitOp : Graph_Op<"split", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Graph_ViewOpInterface>]> {
  let summary = "Cuts a tensor into pieces along one axis";
  let description = [{
    Result `i` holds `sizes[i]` consecutive slices of `input` along `axis`; the
    sizes add up to the dimension.

    ```mlir
    %q, %k, %v = graph.split %qkv {axis = 2 : i64, sizes = array<i64: 120, 120, 120>}
        : (tensor<1x41x360xf32>) -> (tensor<1x41x120xf32>, tensor<1x41x120xf32>, tensor<1x41x120xf32>)
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, I64Attr:$axis,
                   DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<Graph_Tensor>:$results);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Graph_ExpandOp : Graph_Op<"expand", [
    AllElementTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<Graph_ElementwiseOpInterface>,
    DeclareOpInterfaceMethods<Graph_ViewOpInterface>]> {
  let summary = "Broadcasts a tensor to a larger shape";
  let description = [{
    numpy broadcasting of `input` to the result's shape (which the input's shape
    must broadcast to, unidirectionally).

    ```mlir
    %0 = graph.expand %kv : tensor<1x1x41x24xf32> to tensor<1x4x41x24xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_GatherOp : Graph_Op<"gather", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    AllElementTypesMatch<["input", "result"]>]> {
  let summary = "Takes slices of the input at the given indices along an axis";
  let description = [{
    `numpy.take(input, indices, axis)`: the result's shape is
    `input.shape[:axis] + indices.shape + input.shape[axis+1:]`. A negative index
    counts from the end of the axis; an index outside `[-n, n)` is a run-time
    error the kernels clamp (they never read outside the input). This is the
    embedding lookup.

    ```mlir
    %0 = graph.gather %wte, %ids {axis = 0 : i64}
        : (tensor<1000x120xf32>, tensor<1x41xi64>) -> tensor<1x41x120xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, Graph_IndexTensor:$indices,
                   I64Attr:$axis);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input `,` $indices attr-dict `:` "
                       "functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_TriluOp : Graph_Op<"trilu", [SameOperandsAndResultType]> {
  let summary = "Keeps the upper or lower triangle of the trailing matrices";
  let description = [{
    Zeroes the elements below (`upper`) or above (otherwise) diagonal `k` of the
    last two dimensions; `k > 0` moves the diagonal up and right. With `upper`,
    element `(i, j)` of each matrix is kept where `j - i >= k`; otherwise where
    `j - i <= k`.

    ```mlir
    %0 = graph.trilu %ones {upper, k = 1 : i64} : tensor<41x41xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, UnitAttr:$upper,
                   DefaultValuedAttr<I64Attr, "0">:$k);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Data-indexed ops: GatherElements, GatherND, ScatterND
//===----------------------------------------------------------------------===//
//
// Their indices come from data: an index outside its axis is a fault in the
// data, which the kernels report as an error naming the op and never act on
// (see docs/Faults.md). Negative indices count from the end of their axis.

def Graph_GatherElementsOp : Graph_Op<"gather_elements", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    AllElementTypesMatch<["input", "result"]>]> {
  let summary = "Takes elements of the input along an axis, one per index";
  let description = [{
    ONNX `GatherElements`, `torch.gather`: `input` and `indices` have the same
    rank; the result has the shape of `indices`, and its element at
    coordinates `c` is the element of `input` at `c` with coordinate `axis`
    replaced by `indices[c]`. Along the other dimensions `indices` may be
    smaller than `input`, never larger. An index outside `[-n, n)` (`n` the
    size of `axis`) is a fault in the data.

    ```mlir
    %0 = graph.gather_elements %scores, %ids {axis = 1 : i64}
        : (tensor<4x9xf32>, tensor<4x3xi64>) -> tensor<4x3xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, Graph_IndexTensor:$indices,
                   I64Attr:$axis);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input `,` $indices attr-dict `:` "
                       "functional-type(operands, results)";
}

def Graph_GatherNDOp : Graph_Op<"gather_nd", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    AllElementTypesMatch<["input", "result"]>]> {
  let summary = "Takes slices of the input at index tuples";
  let description = [{
    ONNX `GatherND`: the last dimension of `indices` holds tuples of `k`
    indices into dimensions `batch_dims` to `batch_dims + k - 1` of `input`;
    each tuple selects a slice of the remaining dimensions. The first
    `batch_dims` dimensions of `indices` and `input` are batch dimensions,
    equal in both, and a tuple indexes the input of its own batch. The result
    has the shape `indices.shape[:-1] + input.shape[batch_dims + k:]`. An
    index outside `[-n, n)` for its dimension is a fault in the data.

    ```mlir
    %0 = graph.gather_nd %x, %pos {batch_dims = 0 : i64}
        : (tensor<2x37x64xf32>, tensor<30x2xi64>) -> tensor<30x64xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, Graph_IndexTensor:$indices,
                   DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input `,` $indices attr-dict `:` "
                       "functional-type(operands, results)";
}

def Graph_ScatterNDOp : Graph_Op<"scatter_nd", [
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    AllElementTypesMatch<["input", "updates", "result"]>]> {
  let summary = "A copy of the input with slices at index tuples updated";
  let description = [{
    ONNX `ScatterND`: the result is `input` with, for every index tuple `t`
    in the last dimension of `indices` (`k` indices into the first `k`
    dimensions of `input`), the slice `input[t]` replaced by (`none`) or
    combined with (`add`, `mul`, `max`, `min`) the matching slice of
    `updates`, whose shape is `indices.shape[:-1] + input.shape[k:]`. Tuples
    apply in row-major order of `indices`, so where two tuples are equal the
    later one wins under `none` (as onnxruntime's CPU kernel does), and the
    reductions accumulate. Reductions need numbers; `max` and `min` of floats
    propagate NaN. An index outside `[-n, n)` for its dimension is a fault in
    the data (that update is not applied).

    ```mlir
    %0 = graph.scatter_nd %cache, %pos, %new {reduction = #graph.reduction<none>}
        : (tensor<2x64x8xf32>, tensor<2x1x2xi64>, tensor<2x1x8xf32>) -> tensor<2x64x8xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, Graph_IndexTensor:$indices,
                   Graph_Tensor:$updates,
                   DefaultValuedAttr<Graph_ScatterReductionAttr,
                                     "ScatterReduction::none">:$reduction);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input `,` $indices `,` $updates attr-dict `:` "
                       "functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Fusion groups
//===----------------------------------------------------------------------===//

def Graph_FusionGroupOp : Graph_Op<"fusion_group", [
    IsolatedFromAbove, SingleBlock]> {
  let summary = "Graph ops that become one kernel";
  let description = [{
    The ops of the region are computed by one kernel of the family `kind`; the
    values they pass each other stay in registers (or shared memory) and never
    reach device memory. The group reads `inputs` (the region's arguments, in
    order) and writes the values `graph.yield` lists, its results. Splat
    constants live inside the region: they become constants of the kernel.

    Views (`ViewOpInterface`: transpose, reshape, slice, split, expand) cost
    no kernel of their own inside a group:
    - an input view (of an argument, or of another input view) is read in
      place: the kernel loads each element where the view's layout finds it
      in the argument's buffer, so a split of a fused QKV projection or a
      transpose feeding a matmul is never copied;
    - an output view (a reshape or transpose read only by `graph.yield` or by
      further output views) is where the result is stored: the kernel writes
      each element at its place in the transposed result.

    Kinds:
    - `pointwise`: elementwise ops (`ElementwiseOpInterface`), views,
      constants, and gathers of arguments (an embedding lookup, each element
      read where its index points, every index checked). Every result stores a value of one shape, the group's
      iteration space; values of smaller shapes inside broadcast to it as
      numpy does.
    - `matmul`: one `graph.matmul` of two of the region's arguments or views
      of them (each of rank 2 or more), then elementwise ops on its result
      (the epilogue: bias, activation, scale, residual add), computed on each
      output tile before it is stored. Every result stores a value of the
      matmul's shape. The left operand may instead be a `graph.layernorm` or
      `graph.rmsnorm` over its last axis (the prologue) of arguments or
      views: the kernel normalizes each row of A itself. The results may
      instead all store a normalization over the last axis of the
      epilogue's value (the row epilogue: BERT's LayerNorm after the
      residual add): each program then computes whole rows. Several matmuls
      sharing their left operand (the Q, K and V projections of one input)
      may be one group: each program computes a tile of one of them, and
      each epilogue op and result computes from one matmul, or from several
      of one shape that the same programs compute (SwiGLU's gate and up
      projections, combined by the epilogue).
    - `attention`: one `graph.attention`, and the views its result is stored
      through: one flash attention kernel. Its operands are the region's
      arguments or views of them, or values the kernel computes from those
      where it reads them (see `isElemental`): elementwise ops, concats and
      views of computed values, such as the rotary embedding of Q and K
      written out with Slice/Neg/Concat/Mul or the preparation of an
      additive padding mask. Those ops are used only by each other and the
      attention. The group may also hold the attention's output projection:
      a `graph.matmul` reading the attention's result, alone, with its heads
      merged (transposed and reshaped to [batch..., queries, heads x dv],
      see `isMergedHeads`), by a 2-D argument, with its epilogue (bias,
      residual add) and row epilogue (BERT's LayerNorm), as in `matmul`;
      every result then stores a value of the projection's shape. Each program then computes every head of its queries in turn
      and multiplies each head's output by that head's rows of the weight
      at once, so the attention's result never reaches device memory.
    - `rows`: one row-wise op (`getRowAxis`: a softmax of the last axis, a
      `graph.layernorm` or `graph.rmsnorm`, or a reduction of the trailing
      axes) with the elementwise ops around it: one program per block of
      rows, each row walked in chunks. The row-wise op's operands are the
      region's arguments, views of them, or values computed from them
      element by element (its prologue: a residual add before a LayerNorm, a
      scale and mask before a softmax), which the kernel computes in every
      pass over a row; elementwise ops of its result (the epilogue) are
      computed before the one store. Every result stores a value of the
      row-wise op's result shape: the epilogue's, the op's own, or (of a
      softmax or normalization, whose result has the input's shape) a
      prologue value also read outside, such as the residual sum.
    - `chain`: two matrix products in sequence, as in a transformer's MLP,
      with the intermediate never reaching device memory. The first products
      (one, or several of one shape combined by the epilogue: SwiGLU's gate
      and up projections) share their left operand, an argument, a view of
      one or its normalization (the prologue, as in `matmul`); elementwise
      ops of their shape compute from them the second product's left
      operand (bias, activation, gate product), which only the second
      product reads; its right operand is an argument or a view of one. Then
      come the second product's epilogue and, optionally, its row epilogue,
      as in `matmul`; every result stores a value of the second product's
      shape. Each program computes whole rows of the result: it walks the
      intermediate's columns in blocks, computes each block from the first
      products and multiplies it into its accumulator at once.

    `tile_sizes`, where present, is the tiling `meld-graph-choose-tiles`
    chose for the kernel: `[M, N, K]` of a matmul group's result tile and K
    step, `[M, I, K]` of a chain group's rows, intermediate columns and K
    step, `[queries, keys]` of an attention group's blocks (powers of two);
    without it, `meld-graph-to-tile` uses its own options. A `pointwise` or
    `rows` group takes none. `num_warps`, where present, is the warps of a
    GPU program that tiling was chosen for; the group's kernel gets it.

    `meld-graph-fuse` makes the groups; `meld-graph-to-tile` lowers each one to
    a kernel.

    ```mlir
    %y = graph.fusion_group pointwise (%x, %bias) : (tensor<2x41x120xf32>, tensor<120xf32>) -> tensor<2x41x120xf32> {
    ^bb0(%a: tensor<2x41x120xf32>, %b: tensor<120xf32>):
      %0 = graph.add %a, %b : (tensor<2x41x120xf32>, tensor<120xf32>) -> tensor<2x41x120xf32>
      %1 = graph.gelu %0 : tensor<2x41x120xf32>
      graph.yield %1 : tensor<2x41x120xf32>
    }

    %s = graph.fusion_group matmul (%qkv, %kt) : (tensor<2x41x360xf32>, tensor<2x5x24x41xf32>) -> tensor<2x5x41x41xf32> {
    ^bb0(%a: tensor<2x41x360xf32>, %b: tensor<2x5x24x41xf32>):
      %q:3 = graph.split %a {axis = 2 : i64, sizes = array<i64: 120, 120, 120>} : (tensor<2x41x360xf32>) -> (tensor<2x41x120xf32>, tensor<2x41x120xf32>, tensor<2x41x120xf32>)
      %0 = graph.reshape %q#0 : tensor<2x41x120xf32> to tensor<2x41x5x24xf32>
      %1 = graph.transpose %0 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x41x5x24xf32>) -> tensor<2x5x41x24xf32>
      %2 = graph.matmul %1, %b : (tensor<2x5x41x24xf32>, tensor<2x5x24x41xf32>) -> tensor<2x5x41x41xf32>
      graph.yield %2 : tensor<2x5x41x41xf32>
    }
    ```
  }];
  let arguments = (ins Graph_FusionKind:$kind, Variadic<Graph_Tensor>:$inputs,
                   OptionalAttr<DenseI64ArrayAttr>:$tile_sizes,
                   OptionalAttr<ConfinedAttr<I64Attr, [IntMinValue<1>,
                                IntMaxValue<32>]>>:$num_warps);
  let results = (outs Variadic<Graph_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $kind ` ` `(` $inputs `)` attr-dict `:` functional-type($inputs, results)
    $body
  }];
  let builders = [OpBuilder<(ins "mlir::TypeRange":$results,
      "FusionKind":$kind, "mlir::ValueRange":$inputs), [{
    build($_builder, $_state, results, kind, inputs,
          /*tile_sizes=*/mlir::DenseI64ArrayAttr(),
          /*num_warps=*/mlir::IntegerAttr());
  }]>];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Moves `ops` (of one block, in block order) into a new group of `kind`
    /// placed where the last of them was. The group reads the values they use
    /// from outside (splat constants, and views and normalizations among
    /// `ops` of values from outside, are copied in instead, and erased
    /// outside when nothing else uses them) and returns those used outside
    /// it. Fails, changing nothing, when a value the group would
    /// return is used before the last op (the ops are not contiguous in the
    /// dataflow).
    static llvm::FailureOr<FusionGroupOp> wrap(mlir::RewriterBase &rewriter,
                                               llvm::ArrayRef<mlir::Operation *> ops,
                                               FusionKind kind);
    mlir::Block &getBodyBlock() { return getBody().front(); }
    /// Whether `op`, of the region, is a view the group reads an input
    /// through: its operand is an argument or another such view.
    bool isInputView(mlir::Operation *op);
    /// Whether `op`, of the region, is a one-to-one view a result is stored
    /// through: read only by the yield and by further such views.
    bool isOutputView(mlir::Operation *op);
    /// The value of the region that result `resultIndex` stores, through its
    /// output views.
    mlir::Value getStoredValue(unsigned resultIndex);
    /// The shape of the value result `resultIndex` stores: its iteration
    /// space (every result's, but in a group of several matmuls).
    llvm::SmallVector<int64_t> getIterationShape(unsigned resultIndex = 0);
    /// In a matmul group, a matmul whose result `value` computes from (the
    /// first found); null when none.
    MatmulOp getMatmulOf(mlir::Value value);
    /// In a matmul group, every matmul (`graph.matmul`) whose result
    /// `value` computes from.
    llvm::SmallVector<mlir::Operation *> getMatmulsOf(mlir::Value value);
    /// In a matmul group, its matmuls in parts: those some op combines (of
    /// one shape, computed by the same programs) are one part; in block
    /// order.
    llvm::SmallVector<llvm::SmallVector<mlir::Operation *>> getMatmulParts();
    /// Whether `value`, of the region, can be computed element by element
    /// at any coordinates from the region's arguments: an argument, an input
    /// view, a splat constant, or the result of an elementwise op (not an
    /// integer division, whose faults need a position), a concat or a
    /// strided view, each of such values.
    bool isElemental(mlir::Value value);
    /// A matmul or chain group's prologue: the `graph.layernorm` or
    /// `graph.rmsnorm` of the last axis whose result is the (first) matmuls'
    /// left operand; null without one.
    mlir::Operation *getPrologue();
    /// A matmul or chain group's row epilogue, or an attention group's with
    /// a projection: the `graph.layernorm` or `graph.rmsnorm` of the last
    /// axis of a value computed from the matmul (a chain's second product,
    /// the projection), whose result the group stores; null without one.
    mlir::Operation *getRowEpilogue();
    /// An attention group's output projection: the matmul of the
    /// attention's result, its heads merged, by a weight; null without one.
    MatmulOp getProjection();
    /// A chain group's second product: the matmul whose left operand the
    /// group computes from its first products; null in other kinds.
    MatmulOp getSecondProduct();
    /// A rows group's row-wise op (see `getRowAxis`); null in other kinds.
    mlir::Operation *getRowOp();
  }];
}

def Graph_YieldOp : Graph_Op<"yield", [HasParent<"FusionGroupOp">, ReturnLike,
                                       Terminator]> {
  let summary = "The results of a fusion group";
  let description = [{
    ```mlir
    graph.yield %0, %1 : tensor<41x120xf32>, tensor<41x120xf32>
    ```
  }];
  let arguments = (ins Variadic<Graph_Tensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

#endif // MELD_DIALECT_GRAPH_GRAPHOPS_TD
