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

def Tile_PanelsAttr : AttrDef<Tile_Dialect, "Panels"> {
  let mnemonic = "panels";
  let summary = "A weight matrix stored as panels of columns, rows padded";
  let description = [{
    The layout a `tile.weight` stores a matrix of `rows` x `columns` in for
    the host's product microkernel: `ceil(columns / panel)` panels, each
    `padded_rows` x `panel` row-major, one after another. Element (k, n) of
    the matrix is at `(n / panel) * padded_rows * panel + k * panel +
    n % panel`; the padding (rows from `rows` on, columns from `columns`
    on) is zero. A program's block of `panel` columns and of consecutive rows
    is then one contiguous run, read without masks.

    The matrix is a view of the weight as the model stores it: element
    (k, n) is element `offset + k * row_stride + n * column_stride` of the
    weight's row-major buffer. The compiler writes the panels into the
    artifact once, from the weight's bytes; or, where the weights stay in
    an external file, the artifact describes them (a buffer of kind
    `Packed`) and the runtime packs them when it loads the weights. Both
    check and pack the layout with `meld/panels.h`.

    ```mlir
    #tile.panels<rows = 120, columns = 1000, row_stride = 1, column_stride = 120, offset = 0, padded_rows = 128, panel = 64>
    ```
  }];
  let parameters = (ins "int64_t":$rows, "int64_t":$columns,
                        "int64_t":$row_stride, "int64_t":$column_stride,
                        "int64_t":$offset, "int64_t":$padded_rows,
                        "int64_t":$panel);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Elements of the panels, padding included.
    int64_t getNumElements() const {
      return (getColumns() + getPanel() - 1) / getPanel() * getPaddedRows() *
             getPanel();
    }
    /// The layout as the compiler and the runtime share it.
    ::meld::PanelsLayout getLayout() const {
      return {getRows(), getColumns(), getRowStride(), getColumnStride(),
              getOffset(), getPaddedRows(), getPanel()};
    }
  }];
}

#endif // MELD_DIALECT_TILE_TILEBASE_TD
