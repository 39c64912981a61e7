//===- TileOps.td - Tile dialect operations ----------------*- tablegen -*-===//

#ifndef MELD_DIALECT_TILE_TILEOPS_TD
#define MELD_DIALECT_TILE_TILEOPS_TD

include "TileBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/CallInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/FunctionInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class Tile_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tile_Dialect, mnemonic, traits>;

def Tile_Buffer : MemRefRankOf<[AnyType], [1]>;
/// A tile: a builtin tensor of static shape, held by one program.
def Tile_Tile : StaticShapeTensorOf<[AnyType]>;
def Tile_Offsets : StaticShapeTensorOf<[Index]>;
def Tile_Mask : StaticShapeTensorOf<[I1]>;
/// The proved length of a load's or store's aligned runs of consecutive
/// offsets (see tile.load).
def Tile_ContiguityAttr : OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>;

def Tile_KernelOp : Tile_Op<"kernel", [
    AutomaticAllocationScope, FunctionOpInterface, IsolatedFromAbove, Symbol]> {
  let summary = "A block-level kernel run once per program of its grid";
  let description = [{
    The body runs once for every program instance of `grid` (x, y, z; a missing
    dimension is 1). Arguments are flat buffers (rank-1 memrefs of static size):
    the tensors the kernel reads and writes. `tile.program_id` tells a program
    which one it is. Programs of one launch run in no particular order and may run
    concurrently; they communicate only through the buffers of later launches.

    The launch configuration, set by `meld-tile-configure-launch` and read by
    the GPU lowering and the launch plan alike: `num_warps`, the warps of the
    block that runs each program (1 to 32), and `shared_bytes`, the shared
    memory a block stages its tiles in.

    ```mlir
    tile.kernel @add(%a: memref<4920xf32>, %b: memref<120xf32>, %out: memref<4920xf32>)
        attributes {grid = array<i64: 5>, num_warps = 4 : i64, shared_bytes = 0 : i64} {
      %pid = tile.program_id 0
      ...
      tile.return
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                   TypeAttrOf<FunctionType>:$function_type,
                   DenseI64ArrayAttr:$grid,
                   OptionalAttr<ConfinedAttr<I64Attr, [IntMinValue<1>,
                       IntMaxValue<32>]>>:$num_warps,
                   OptionalAttr<ConfinedAttr<I64Attr,
                       [IntNonNegative]>>:$shared_bytes,
                   OptionalAttr<DictArrayAttr>:$arg_attrs,
                   OptionalAttr<DictArrayAttr>:$res_attrs);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let builders = [OpBuilder<(ins "llvm::StringRef":$name,
                                 "mlir::FunctionType":$type,
                                 "llvm::ArrayRef<int64_t>":$grid)>];
  let extraClassDeclaration = [{
    /// FunctionOpInterface.
    llvm::ArrayRef<mlir::Type> getArgumentTypes() {
      return getFunctionType().getInputs();
    }
    llvm::ArrayRef<mlir::Type> getResultTypes() {
      return getFunctionType().getResults();
    }
    mlir::Region *getCallableRegion() { return &getBody(); }
    /// The number of program instances of the grid.
    int64_t getNumPrograms();
  }];
}

def Tile_ReturnOp : Tile_Op<"return", [Pure, HasParent<"KernelOp">,
    ReturnLike, Terminator]> {
  let summary = "Ends a program";
  let description = [{
    ```mlir
    tile.return
    ```
  }];
  let assemblyFormat = "attr-dict";
}

def Tile_ProgramIdOp : Tile_Op<"program_id", [Pure]> {
  let summary = "The coordinate of this program in the grid";
  let description = [{
    The program's index along grid dimension `dim` (0 = x, 1 = y, 2 = z).

    ```mlir
    %pid = tile.program_id 0
    ```
  }];
  let arguments = (ins ConfinedAttr<I64Attr, [IntMinValue<0>, IntMaxValue<2>]>:$dim);
  let results = (outs Index:$result);
  let assemblyFormat = "$dim attr-dict";
}

def Tile_IotaOp : Tile_Op<"iota", [Pure]> {
  let summary = "A tile holding each element's coordinate along one dimension";
  let description = [{
    Element `(i0, ..., in)` of the result is `i<dim>`: `tile.iota` of a 1-D tile
    is `[0, 1, ..., n-1]`.

    ```mlir
    %cols = tile.iota 1 : tensor<16x64xindex>
    ```
  }];
  let arguments = (ins I64Attr:$dim);
  let results = (outs Tile_Offsets:$result);
  let assemblyFormat = "$dim attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tile_LoadOp : Tile_Op<"load", [
    MemoryEffects<[MemRead]>, AttrSizedOperandSegments]> {
  let summary = "Reads a tile of buffer elements at a tile of offsets";
  let description = [{
    Element `e` of the result is `buffer[offsets[e]]` where `mask[e]` holds, and
    `other` (a scalar of the buffer's element type; zero when absent) where it
    does not. Masked-off offsets are never read, so they may lie outside the
    buffer. Without a mask every element is read and `other` is not allowed.
    A mask that is a constant true everywhere canonicalizes away.

    `contiguity`, where present, is a fact proved of the offsets and mask
    (`meld-tile-annotate-contiguity` sets it): in the row-major order of the
    tile's elements, each aligned run of that many elements (a power of two
    dividing the last dimension) has consecutive offsets starting at a
    multiple of the run length, and one mask value. The GPU lowering reads
    such a run as one vector access; without it, element by element.

    ```mlir
    %x = tile.load %buf[%offs], %mask, %zero {contiguity = 4 : i64}
        : memref<4920xf32>[tensor<1024xindex>], tensor<1024xi1>, f32 -> tensor<1024xf32>
    ```
  }];
  let arguments = (ins Tile_Buffer:$buffer, Tile_Offsets:$offsets,
                   Optional<Tile_Mask>:$mask, Optional<AnyType>:$other,
                   Tile_ContiguityAttr:$contiguity);
  let results = (outs Tile_Tile:$result);
  let builders = [OpBuilder<(ins "mlir::Type":$result, "mlir::Value":$buffer,
      "mlir::Value":$offsets, "mlir::Value":$mask, "mlir::Value":$other), [{
    build($_builder, $_state, result, buffer, offsets, mask, other,
          /*contiguity=*/mlir::IntegerAttr());
  }]>];
  let assemblyFormat = [{
    $buffer `[` $offsets `]` (`,` $mask^)? (`,` $other^)? attr-dict `:`
    type($buffer) `[` type($offsets) `]` (`,` type($mask)^)? (`,` type($other)^)?
    `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizeMethod = 1;
}

def Tile_StoreOp : Tile_Op<"store", [MemoryEffects<[MemWrite]>]> {
  let summary = "Writes a tile to buffer elements at a tile of offsets";
  let description = [{
    Writes `value[e]` to `buffer[offsets[e]]` where `mask[e]` holds (everywhere
    when there is no mask). Masked-off offsets are never written. A mask
    that is a constant true everywhere canonicalizes away; one false
    everywhere, the store.
    `contiguity` is as for `tile.load`.

    ```mlir
    tile.store %y, %out[%offs], %mask {contiguity = 4 : i64}
        : tensor<1024xf32>, memref<4920xf32>[tensor<1024xindex>], tensor<1024xi1>
    ```
  }];
  let arguments = (ins Tile_Tile:$value, Tile_Buffer:$buffer,
                   Tile_Offsets:$offsets, Optional<Tile_Mask>:$mask,
                   Tile_ContiguityAttr:$contiguity);
  let builders = [OpBuilder<(ins "mlir::Value":$value, "mlir::Value":$buffer,
      "mlir::Value":$offsets, "mlir::Value":$mask), [{
    build($_builder, $_state, value, buffer, offsets, mask,
          /*contiguity=*/mlir::IntegerAttr());
  }]>];
  let assemblyFormat = [{
    $value `,` $buffer `[` $offsets `]` (`,` $mask^)? attr-dict `:`
    type($value) `,` type($buffer) `[` type($offsets) `]` (`,` type($mask)^)?
  }];
  let hasVerifier = 1;
  let hasCanonicalizeMethod = 1;
}

def Tile_DotOp : Tile_Op<"dot", [Pure, AllTypesMatch<["acc", "result"]>]> {
  let summary = "Tile matrix product accumulated into a tile";
  let description = [{
    `acc + a * b` for tiles `a: MxK`, `b: KxN`, `acc: MxN`. `a` and `b` share
    an element type; the accumulator may be wider (f16 operands, f32 `acc`).

    With `rows`, only the result's first `rows` rows (all of them from `M`
    on) are defined: the others hold unspecified values. A program whose
    tile hangs over the last row of its product says so, and a lowering may
    then skip the rows past it (the host's microkernel does; a GPU computes
    every row of its fragments).

    ```mlir
    %c = tile.dot %a, %b, %acc : tensor<32x16xf32>, tensor<16x64xf32> -> tensor<32x64xf32>
    %d = tile.dot %a, %b, %acc rows %valid : tensor<32x16xf32>, tensor<16x64xf32> -> tensor<32x64xf32>
    ```
  }];
  let arguments = (ins Tile_Tile:$a, Tile_Tile:$b,
                   Tile_Tile:$acc, Optional<Index>:$rows);
  let results = (outs Tile_Tile:$result);
  let assemblyFormat = "$a `,` $b `,` $acc (`rows` $rows^)? attr-dict `:` "
                       "type($a) `,` type($b) `->` type($result)";
  let builders = [
    OpBuilder<(ins "mlir::Type":$result, "mlir::Value":$a, "mlir::Value":$b,
                   "mlir::Value":$acc), [{
      build($_builder, $_state, result, a, b, acc, mlir::Value());
    }]>
  ];
  let hasVerifier = 1;
}

def Tile_ReduceOp : Tile_Op<"reduce", [Pure]> {
  let summary = "Reduces a tile along one dimension";
  let description = [{
    Combines the elements of `input` along `dim` with `kind` (`sum`, `max`,
    `min`); the result drops that dimension.

    ```mlir
    %rowmax = tile.reduce <max>, %x {dim = 1 : i64} : tensor<4x128xf32> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Tile_ReduceKindAttr:$kind, Tile_Tile:$input,
                   I64Attr:$dim);
  let results = (outs Tile_Tile:$result);
  let assemblyFormat =
      "$kind `,` $input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tile_BroadcastOp : Tile_Op<"broadcast", [Pure]> {
  let summary = "Repeats a tile along new dimensions";
  let description = [{
    Inserts the result dimensions listed in `dims` (sorted, unique, each in
    `[0, result rank)`), repeating the input along them: the inverse shape change
    of `tile.reduce`.

    ```mlir
    %b = tile.broadcast %rowmax {dims = array<i64: 1>} : tensor<4xf32> -> tensor<4x128xf32>
    ```
  }];
  let arguments = (ins Tile_Tile:$input, DenseI64ArrayAttr:$dims);
  let results = (outs Tile_Tile:$result);
  let assemblyFormat =
      "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data faults
//===----------------------------------------------------------------------===//

/// The run's fault status: element 0 is set (1) once a data fault has been
/// recorded, element 1 is the site of that fault, element 2 its detail.
def Tile_FaultStatus : MemRefRankOf<[I64], [1]>;

def Tile_FaultOp : Tile_Op<"fault", [
    MemoryEffects<[MemRead, MemWrite]>, AllShapesMatch<["violations", "detail"]>]> {
  let summary = "Records a data fault where any element of a mask is set";
  let description = [{
    A program found a fault in the data it computes on (an index out of
    range, an integer division by zero) at the elements where `violations`
    holds. The first fault of a run is kept in `status` (the buffer of
    `tile.fault_status`, three `i64`): for each set element, an atomic
    exchange sets `status[0]` to 1, and the one element that found it 0
    writes `site` to `status[1]` and its `detail` to `status[2]`. So exactly
    one fault is kept, whatever the order of programs and threads; the others
    are dropped. The runtime zeroes the status before a run and reports a
    recorded fault as an error after it.

    The op does not stop the program: the code around it must keep every
    memory access in bounds whatever the data (mask off or clamp a read,
    mask off a write). Masked-off elements of the program's tile must not be
    set in `violations`.

    `site` (positive, unique in the module) names the op in the artifact's
    table of fault sites, which also records the op's ONNX node (from its
    location) and `message`, where `{}` stands for the detail.

    ```mlir
    tile.fault %bad, %index, %status {message = "index {} is out of range for axis 0 of size 10", site = 1 : i32}
        : tensor<1024xi1>, tensor<1024xi64>, memref<3xi64>
    ```
  }];
  let arguments = (ins Tile_Mask:$violations,
                   StaticShapeTensorOf<[I64]>:$detail,
                   Tile_FaultStatus:$status,
                   ConfinedAttr<I32Attr, [IntPositive]>:$site,
                   StrAttr:$message);
  let assemblyFormat = [{
    $violations `,` $detail `,` $status attr-dict `:`
    type($violations) `,` type($detail) `,` type($status)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Host-level ops: the launch plan
//===----------------------------------------------------------------------===//

def Tile_LaunchOp : Tile_Op<"launch", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Runs a kernel over its whole grid";
  let description = [{
    Host-level op of the launch plan: runs every program of `kernel` with the
    given buffers as its arguments. Launches run in program order; each sees the
    writes of the launches before it.

    ```mlir
    tile.launch @add_0(%x, %bias, %out) : memref<4920xf32>, memref<120xf32>, memref<4920xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$kernel, Variadic<Tile_Buffer>:$args);
  let assemblyFormat =
      "$kernel `(` $args `)` attr-dict `:` type($args)";
}

def Tile_WeightOp : Tile_Op<"weight", [Pure]> {
  let summary = "The buffer of a model parameter, by handle";
  let description = [{
    Host-level op of the launch plan: the flat buffer holding the weight named
    `handle` (the ONNX initializer name). Its bytes live in the artifact's
    weights section, never in the IR.

    With `panels`, the buffer holds a matrix view of the weight laid out in
    panels of columns for the host's product microkernel (see
    `#tile.panels`): a buffer of its own, which the compiler fills from the
    weight's bytes once, at compile time.

    ```mlir
    %w = tile.weight "h.0.mlp.c_fc.weight" : memref<57600xf32>
    %p = tile.weight "lm_head.weight" panels <rows = 120, columns = 1000, row_stride = 1, column_stride = 120, offset = 0, padded_rows = 128, panel = 64> : memref<131072xf32>
    ```
  }];
  let arguments = (ins StrAttr:$handle, OptionalAttr<Tile_PanelsAttr>:$panels);
  let results = (outs Tile_Buffer:$result);
  let assemblyFormat = "$handle (`panels` $panels^)? attr-dict `:` type($result)";
  let builders = [
    OpBuilder<(ins "mlir::Type":$result, "mlir::StringAttr":$handle), [{
      build($_builder, $_state, result, handle, PanelsAttr());
    }]>
  ];
  let hasVerifier = 1;
}

def Tile_FaultStatusOp : Tile_Op<"fault_status", [Pure]> {
  let summary = "The buffer where the kernels record the run's first data fault";
  let description = [{
    Host-level op of the launch plan: the run's fault status (see
    `tile.fault`), three `i64`: whether a data fault was recorded, its site
    and its detail. Every kernel that can fault takes it as an argument. The
    artifact holds it as its one buffer of kind `Status`, which the runtime
    zeroes before each run and reads after it.

    ```mlir
    %status = tile.fault_status : memref<3xi64>
    ```
  }];
  let results = (outs Tile_FaultStatus:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
  let hasVerifier = 1;
}

#endif // MELD_DIALECT_TILE_TILEOPS_TD
