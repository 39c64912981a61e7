//===- GraphInterfaces.td - Graph dialect interfaces -------*- tablegen -*-===//

#ifndef MELD_DIALECT_GRAPH_GRAPHINTERFACES_TD
#define MELD_DIALECT_GRAPH_GRAPHINTERFACES_TD

include "mlir/IR/OpBase.td"

def Graph_ElementwiseOpInterface : OpInterface<"ElementwiseOpInterface"> {
  let cppNamespace = "::meld::graph";
  let description = [{
    An op whose every result element is a function of the operand elements at
    the same (numpy-broadcast) coordinates: arithmetic, comparisons, selects,
    casts, activations, `expand`. The op knows how to compute itself on values
    that have already been brought to the result's shape (tiles of a kernel, or
    scalars), so fusion and the lowerings compose chains of these ops without a
    list of op kinds of their own.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the op's math on `operands`: one value per operand, each of the
        operand's element type and all of one shape (a tile as a static-shape
        tensor, or a scalar). Returns a value of that shape with the result's
        element type, built with arith and math ops only. Integer division
        leaves a zero divisor unchecked: the caller records that fault.
      }], "::mlir::Value", "buildTileMath",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::ValueRange":$operands)>,
  ];
}

def Graph_ViewOpInterface : OpInterface<"ViewOpInterface"> {
  let cppNamespace = "::meld::graph";
  let description = [{
    An op whose results are views of its first operand: every result element
    is one operand element, found in place rather than copied (`transpose`,
    `reshape`, `slice`, `split`, `expand`). The op describes where with a
    `ViewLayout`, so a fusion group can read its inputs through views (a
    kernel loads each element where the view finds it), and store its results
    through the views that can be inverted (`reshape`, `transpose`).
  }];
  let methods = [
    InterfaceMethod<[{
        The layout of result `resultIndex`, given `input`, the layout of the
        first operand: where each result element lives in the buffer that
        layout addresses. Fails where the view is not a strided layout of
        that buffer (a reshape that cuts a mode unevenly).
      }], "::mlir::FailureOr<::meld::graph::ViewLayout>", "getResultLayout",
      (ins "unsigned":$resultIndex,
           "const ::meld::graph::ViewLayout &":$input)>,
    InterfaceMethod<[{
        For a view that reorders its operand's elements one to one: the
        layout of the first operand, given `result`, the layout of the single
        result. Storing the operand's elements there stores the result in
        `result`'s layout. Fails for views that are not one to one.
      }], "::mlir::FailureOr<::meld::graph::ViewLayout>", "getInputLayout",
      (ins "const ::meld::graph::ViewLayout &":$result), [{}], [{
        return ::mlir::failure();
      }]>,
  ];
}

#endif // MELD_DIALECT_GRAPH_GRAPHINTERFACES_TD
