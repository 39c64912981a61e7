//===- GraphBase.td - Graph dialect definition -------------*- tablegen -*-===//
//
// The graph dialect: whole-tensor transformer ops with static shapes, the first
// level of Meld's pipeline. The ONNX importer produces it; fusion and tiling passes
// consume it.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_DIALECT_GRAPH_GRAPHBASE_TD
#define MELD_DIALECT_GRAPH_GRAPHBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Graph_Dialect : Dialect {
  let name = "graph";
  let cppNamespace = "::meld::graph";
  let summary = "Tensor-level transformer graph operations";
  let description = [{
    The `graph` dialect holds a model as a graph of whole-tensor operations on
    ranked tensors with static shapes: matrix products, elementwise arithmetic with
    numpy broadcasting, reductions, normalizations, data movement and constants.

    Weights are referenced by handle (`graph.weight`): their bytes live outside the
    IR, so a multi-gigabyte model stays a small module.

    Element types: `f32`, `f16`, `bf16`, `f64`; the integers `i64`, `i32`, `i8`
    (signed) and `ui8` (unsigned); `i1` for booleans. Integer arithmetic,
    comparisons, `min` and `max` follow the signedness of the type.

    Every op keeps the location of the model node it came from (a `NameLoc` with
    the ONNX node name and op type), so diagnostics point into the user's model.
  }];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 1;
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Graph_CmpPredicate : I32EnumAttr<"CmpPredicate",
    "comparison predicate", [
      I32EnumAttrCase<"eq", 0>,
      I32EnumAttrCase<"ne", 1>,
      I32EnumAttrCase<"lt", 2>,
      I32EnumAttrCase<"le", 3>,
      I32EnumAttrCase<"gt", 4>,
      I32EnumAttrCase<"ge", 5>
    ]> {
  let cppNamespace = "::meld::graph";
}

def Graph_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "GELU approximation", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"tanh", 1>
    ]> {
  let cppNamespace = "::meld::graph";
  let genSpecializedAttr = 0;
}
def Graph_GeluApproximationAttr : EnumAttr<Graph_Dialect,
                                           Graph_GeluApproximation, "gelu_approx"> {
  let assemblyFormat = "`<` $value `>`";
}

def Graph_ScatterReduction : I32EnumAttr<"ScatterReduction",
    "how a scatter combines an update with the element it lands on", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"add", 1>,
      I32EnumAttrCase<"mul", 2>,
      I32EnumAttrCase<"max", 3>,
      I32EnumAttrCase<"min", 4>
    ]> {
  let cppNamespace = "::meld::graph";
  let genSpecializedAttr = 0;
}
def Graph_ScatterReductionAttr : EnumAttr<Graph_Dialect,
                                          Graph_ScatterReduction, "reduction"> {
  let assemblyFormat = "`<` $value `>`";
}

def Graph_FusionKind : I32EnumAttr<"FusionKind",
    "the kernel family a fusion group lowers to", [
      I32EnumAttrCase<"pointwise", 0>,
      I32EnumAttrCase<"matmul", 1>,
      I32EnumAttrCase<"attention", 2>,
      I32EnumAttrCase<"rows", 3>,
      I32EnumAttrCase<"chain", 4>
    ]> {
  let cppNamespace = "::meld::graph";
}

def Graph_AttentionMask : I32EnumAttr<"AttentionMask",
    "how an attention mask applies to the scores", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"keep", 1>,
      I32EnumAttrCase<"drop", 2>,
      I32EnumAttrCase<"add", 3>
    ]> {
  let cppNamespace = "::meld::graph";
  let genSpecializedAttr = 0;
}
def Graph_AttentionMaskAttr : EnumAttr<Graph_Dialect, Graph_AttentionMask,
                                       "mask"> {
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

def Graph_Float : AnyTypeOf<[F32, F16, BF16, F64]>;
def Graph_Int : AnyTypeOf<[I64, I32, I8, UI8]>;
def Graph_Bool : I<1>;
def Graph_Element : AnyTypeOf<[Graph_Float, Graph_Int, Graph_Bool]>;
def Graph_Numeric : AnyTypeOf<[Graph_Float, Graph_Int]>;

def Graph_Tensor : StaticShapeTensorOf<[Graph_Element]>;
def Graph_FloatTensor : StaticShapeTensorOf<[Graph_Float]>;
def Graph_NumericTensor : StaticShapeTensorOf<[Graph_Numeric]>;
def Graph_BoolTensor : StaticShapeTensorOf<[Graph_Bool]>;
def Graph_IndexTensor : StaticShapeTensorOf<[I64, I32]>;

#endif // MELD_DIALECT_GRAPH_GRAPHBASE_TD
