//===- TileBase.td - Tile dialect definition ---------------*- tablegen -*-===//

#ifndef MELD_DIALECT_TILE_TILEBASE_TD
#define MELD_DIALECT_TILE_TILEBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Tile_Dialect : Dialect {
  let name = "tile";
  let cppNamespace = "::meld::tile";
  let summary = "Block-level kernels: a grid of programs computing on tiles";
  let description = [{
    The `tile` dialect writes each kernel at block level, as a Triton program
    does: `tile.kernel` runs once per program instance of its grid; the body
    computes on tiles, which are builtin tensors of static shape, with `arith` and
    `math` ops applied elementwise. Memory is reached only through `tile.load` and
    `tile.store`, which take a tile of element offsets into a flat buffer and a
    mask, so ragged edges, broadcasting, transposes and gathers are all index
    arithmetic on tiles. `tile.dot` and `tile.reduce` are the block-level
    contractions. Scalars (program ids, loop bounds) are the same throughout a
    program: `tensor.splat` makes a tile of one, and `tensor.extract` makes
    one of a rank-0 tile (a reduction's result, say, for a loop bound).

    Tile kernels are the common input of the GPU lowering (tiles distributed over
    the threads of a block) and of the CPU lowering (tiles as loop nests).

    The dialect adds one canonicalization of index arithmetic to the
    canonicalizer: `(x / c) * c + x % c` (unsigned) is `x`, the offset a
    kernel recomputes from the coordinates it split a linear index into.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasCanonicalizer = 1;
}

def Tile_ReduceKind : I32EnumAttr<"ReduceKind", "reduction combiner", [
    I32EnumAttrCase<"sum", 0>,
    I32EnumAttrCase<"max", 1>,
    I32EnumAttrCase<"min", 2>
  ]> {
  let cppNamespace = "::meld::tile";
  let genSpecializedAttr = 0;
}
def Tile_ReduceKindAttr : EnumAttr<Tile_Dialect, Tile_ReduceKind, "reduce_kind"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // MELD_DIALECT_TILE_TILEBASE_TD
