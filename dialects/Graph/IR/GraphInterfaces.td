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

#endif // MELD_DIALECT_GRAPH_GRAPHINTERFACES_TD
