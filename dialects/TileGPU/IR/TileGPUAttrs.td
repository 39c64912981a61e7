//===- TileGPUAttrs.td - Layouts of tiles on a GPU ---------*- tablegen -*-===//

#ifndef MELD_DIALECT_TILEGPU_TILEGPUATTRS_TD
#define MELD_DIALECT_TILEGPU_TILEGPUATTRS_TD

include "dialects/TileGPU/IR/TileGPUBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/TensorEncoding.td"

def TileGPU_DistributedLayout : AttrInterface<"DistributedLayoutAttr"> {
  let cppNamespace = "::meld::tile_gpu";
  let description = [{
    A layout that spreads a tile over the threads of a block: for a tile of
    a given shape, how many elements ("slots") each thread holds and where
    each slot's element is, as a function of the thread's lane (`d0`, 0 to
    31) and warp (`d1`). Every element is held by exactly one slot of one
    thread (dot operands: one in each warp of a row or column of warps,
    `getCopyIndex` telling the first); a slot whose
    coordinates fall outside the tile holds nothing. A rank-0 tile is laid
    out as a tile of shape [1].
  }];
  let methods = [
    InterfaceMethod<"The warps of the block the layout is for.",
      "int64_t", "getNumWarps">,
    InterfaceMethod<
      "The rank of the tiles the layout applies to (1 for a rank-0 tile).",
      "int64_t", "getRank">,
    InterfaceMethod<"How many slots each thread has for a tile of `shape`.",
      "int64_t", "getSlotsPerThread", (ins "llvm::ArrayRef<int64_t>":$shape)>,
    InterfaceMethod<[{
        The coordinates of slot `slot`'s element in a tile of `shape`, one
        per dimension, as affine expressions of the lane (d0) and warp (d1).
      }],
      "llvm::SmallVector<mlir::AffineExpr>", "getSlotCoordinates",
      (ins "llvm::ArrayRef<int64_t>":$shape, "int64_t":$slot)>,
    InterfaceMethod<[{
        An affine expression of the lane (d0) and warp (d1) that is 0 in
        the threads holding the first copy of each element, or null when
        every element has one holder.
      }],
      "mlir::AffineExpr", "getCopyIndex", (ins),
      /*methodBody=*/"", /*defaultImplementation=*/"return {};">,
    InterfaceMethod<[{
        How many consecutive slots, starting at a multiple of it, hold
        consecutive elements along the tile's last dimension: what one
        vector access may cover.
      }],
      "int64_t", "getContiguousSlots", (ins "llvm::ArrayRef<int64_t>":$shape)>,
  ];
  let extraSharedClassDeclaration = [{
    /// Whether slot `slot` holds an element in every thread of a tile of
    /// `shape` (else the lowering tests its coordinates).
    bool isSlotAlwaysValid(llvm::ArrayRef<int64_t> shape, int64_t slot);
    /// The coordinates of slot `slot` in the thread of lane `lane` and warp
    /// `warp`, or nothing when that slot holds no element.
    std::optional<llvm::SmallVector<int64_t>>
    getSlotElement(llvm::ArrayRef<int64_t> shape, int64_t slot, int64_t lane,
                   int64_t warp);
  }];
}

class TileGPU_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<TileGPU_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def TileGPU_BlockedLayoutAttr : TileGPU_Attr<"BlockedLayout", "blocked", [
    DeclareAttrInterfaceMethods<TileGPU_DistributedLayout>,
    DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let summary = "Threads by elements per thread, repeated over the tile";
  let description = [{
    Each thread holds `sizePerThread` consecutive elements per dimension; the
    32 lanes of a warp are arranged `threadsPerWarp` and the warps
    `warpsPerCTA`, each filling the dimensions in `order` (fastest first).
    That block-sized pattern repeats over the tile. Slots count the elements
    of one pattern first (in `order`), then the repetitions (in `order`);
    coordinates past the tile's size hold nothing.

    The default layout of a tile (`meld-tile-gpu-assign-layouts`) gives each
    thread groups of 4, 2 or 1 consecutive elements along the last
    dimension, a warp's groups consecutive in row-major order, so that
    contiguous loads and stores coalesce.

    Example: a 32x32 tile over 4 warps, each thread holding 4 consecutive
    elements of a row: a warp covers 4 rows, the block 16, twice.
    ```mlir
    #blocked = #tile_gpu.blocked<sizePerThread = [1, 4],
                                 threadsPerWarp = [4, 8],
                                 warpsPerCTA = [4, 1], order = [1, 0]>
    %t = tile.load %buf[%offsets] : memref<1024xf32>,
        tensor<32x32xindex, #blocked> -> tensor<32x32xf32, #blocked>
    ```
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$sizePerThread,
                        ArrayRefParameter<"int64_t">:$threadsPerWarp,
                        ArrayRefParameter<"int64_t">:$warpsPerCTA,
                        ArrayRefParameter<"int64_t">:$order);
  let assemblyFormat = [{
    `<` `sizePerThread` `=` `[` $sizePerThread `]` `,`
        `threadsPerWarp` `=` `[` $threadsPerWarp `]` `,`
        `warpsPerCTA` `=` `[` $warpsPerCTA `]` `,`
        `order` `=` `[` $order `]` `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The default layout of a tile of `shape` over `numWarps` warps: groups
    /// of 4, 2 or 1 elements (the largest that divides the tile evenly over
    /// the threads) along the last dimensions, threads and then warps
    /// filling the dimensions from the last, so that thread t's g-th group
    /// starts at row-major element (g * threads + t) * group.
    static BlockedLayoutAttr getDefault(mlir::MLIRContext *context,
                                        llvm::ArrayRef<int64_t> shape,
                                        int64_t numWarps);
  }];
}

def TileGPU_MmaLayoutAttr : TileGPU_Attr<"MmaLayout", "mma", [
    DeclareAttrInterfaceMethods<TileGPU_DistributedLayout>,
    DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let summary = "The accumulator of a tensor-core product";
  let description = [{
    The accumulator fragments of tensor-core instructions, as the PTX ISA
    lays them out, tiled over the warps (`warpsPerCTA`, rows and columns)
    and repeated over the tile.

    - Version 2 (`mma.sync.m16n8kK`, sm_80 and later): `instrShape` is
      [16, 8]. Each warp computes 16x8 blocks; lane l holds (l / 4, 2 (l % 4)
      + j) and (l / 4 + 8, 2 (l % 4) + j) for j = 0, 1: slots 0 to 3 of a
      block in that order. Blocks repeat along the columns first.
    - Version 3 (`wgmma.mma_async.m64nNk*`, sm_90a): `instrShape` is
      [64, N]; a warpgroup (4 warps, the first dimension of `warpsPerCTA` a
      multiple of 4) computes 64xN blocks, warp w of the group rows 16 (w %
      4) to 16 (w % 4) + 15, each 16x8 column block laid out as in version
      2.

    ```mlir
    #mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
    %acc = arith.constant dense<0.0> : tensor<64x32xf32, #mma>
    ```
  }];
  let parameters = (ins "unsigned":$version,
                        ArrayRefParameter<"int64_t">:$warpsPerCTA,
                        ArrayRefParameter<"int64_t">:$instrShape);
  let assemblyFormat = [{
    `<` `version` `=` $version `,`
        `warpsPerCTA` `=` `[` $warpsPerCTA `]` `,`
        `instrShape` `=` `[` $instrShape `]` `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Whether the product runs on wgmma (version 3), not mma.sync.
    bool isWgmma() const { return getVersion() == 3; }
  }];
}

def TileGPU_DotOperandLayoutAttr : TileGPU_Attr<"DotOperandLayout",
    "dot_operand", [DeclareAttrInterfaceMethods<TileGPU_DistributedLayout,
                                                ["getCopyIndex"]>,
                    DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let summary = "An operand of a tensor-core product, in registers";
  let description = [{
    Operand `opIdx` (0: A, M x K; 1: B, K x N) of the product whose
    accumulator has layout `parent` (an `mma` layout of version 2), as
    `mma.sync` reads it from registers. `kWidth` consecutive K elements share
    a 32-bit register: 1 for tf32 (`m16n8k8`), 2 for f16 and bf16
    (`m16n8k16`); one instruction covers 8 kWidth of K. With g = lane / 4
    and t = lane % 4 (PTX ISA, "Matrix Fragments for mma.m16n8k8" and
    "mma.m16n8k16"), register r and element e of it hold

    - A: row g + 8 (r % 2), column kWidth t + e + 4 kWidth (r / 2), four
      registers;
    - B: row kWidth t + e + 4 kWidth r, column g, two registers.

    A warp's rows of A are its accumulator rows (the parent's first warp
    dimension) and its columns of B its accumulator columns; the warps of
    the other dimension hold copies. Blocks repeat along K first.

    ```mlir
    #mma = #tile_gpu.mma<version = 2, warpsPerCTA = [2, 2], instrShape = [16, 8]>
    #a = #tile_gpu.dot_operand<opIdx = 0, parent = #mma, kWidth = 1>
    %a = tile_gpu.convert_layout %x : tensor<64x32xf32, #blocked> -> tensor<64x32xf32, #a>
    ```
  }];
  let parameters = (ins "unsigned":$opIdx, "MmaLayoutAttr":$parent,
                        "unsigned":$kWidth);
  let assemblyFormat = [{
    `<` `opIdx` `=` $opIdx `,` `parent` `=` $parent `,` `kWidth` `=` $kWidth `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The K one instruction covers.
    int64_t getInstrK() const { return 8 * getKWidth(); }
  }];
}

def TileGPU_SliceLayoutAttr : TileGPU_Attr<"SliceLayout", "slice", [
    DeclareAttrInterfaceMethods<TileGPU_DistributedLayout, ["getCopyIndex"]>,
    DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let summary = "A tile without one dimension of its parent's layout";
  let description = [{
    The layout of a tile of one dimension less than `parent` (a `blocked`
    or `mma` layout): each thread holds the elements of the rows along
    `dim` its parent slots hold, so that a reduction along `dim` of a tile
    in `parent` combines each thread's own slots first, then shuffles
    across the lanes that share its rows, and a broadcast back along `dim`
    to `parent` needs no data movement. The threads of `parent` that differ
    only along `dim` (the 4 lanes of a quad in an mma accumulator's rows,
    the warps side by side) hold copies.

    The slots are the parent's, for a tile extended along `dim` by the
    extent one block-wide step of `parent` covers, that hold distinct
    elements once `dim` is dropped, in the order of the first of them.

    ```mlir
    #mma = #tile_gpu.mma<version = 2, warpsPerCTA = [4, 1], instrShape = [16, 8]>
    #rows = #tile_gpu.slice<dim = 1, parent = #mma>
    %max = tile.reduce <max>, %scores {dim = 1 : i64}
        : tensor<64x32xf32, #mma> -> tensor<64xf32, #rows>
    %b = tile.broadcast %max {dims = array<i64: 1>}
        : tensor<64xf32, #rows> -> tensor<64x32xf32, #mma>
    ```
  }];
  let parameters = (ins "int64_t":$dim, "DistributedLayoutAttr":$parent);
  let assemblyFormat = [{
    `<` `dim` `=` $dim `,` `parent` `=` $parent `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The shape of the tile in `parent` whose slots a tile of `shape`
    /// takes: `dim` inserted with the extent one block-wide step of the
    /// parent covers along it.
    llvm::SmallVector<int64_t> getParentShape(llvm::ArrayRef<int64_t> shape) const;
    /// For each of the parent's slots (of getParentShape), the slice's slot
    /// holding the same element once `dim` is dropped.
    llvm::SmallVector<int64_t> getSliceSlots(llvm::ArrayRef<int64_t> shape) const;
  }];
}

def TileGPU_SharedLayoutAttr : TileGPU_Attr<"SharedLayout", "shared", [
    DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let summary = "A tile in shared memory, as wgmma reads its operands";
  let description = [{
    A 2-D tile stored in the kernel's shared memory in the canonical layout
    `wgmma.mma_async` reads through a matrix descriptor (PTX ISA, "Shared
    Memory Matrix Layout"), with the `swizzle` of 32, 64 or 128 bytes.
    Dimension `order[0]` is the contiguous one (K of a product's operand:
    order [1, 0] for A, M x K; [0, 1] for B, K x N), the other the rows.
    With S the swizzle's bytes, R the rows and e the element's bytes,
    element (row, c) lies at byte

        (c e / S) (R S) + row S + (c e % S)

    from the tile's start (columns of S bytes, each R rows of S bytes, 8
    rows an atom of 8 S bytes), its 16-byte chunk then XORed with bits 7..
    of the offset (`offset ^ ((offset >> 7) % (S / 16)) << 4`): the
    swizzle. The tile starts at a multiple of 1024 bytes, so the pattern
    is that of the shared-memory address, as the hardware applies it. The
    contiguous dimension covers a whole number of S bytes, the rows a
    multiple of 8.

    With `rows` (0: the tile's own), the tile is stored as if it had that
    many rows (R above), those past its own zero: wgmma reads 64 rows of A,
    so a product of 16 or 32 rows pads its A to them.

    ```mlir
    #shared = #tile_gpu.shared<swizzle = 128, order = [1, 0]>
    %s = tile_gpu.local_alloc %a {offset = 1024 : i64}
        : tensor<64x64xf16, #blocked> -> tensor<64x64xf16, #shared>
    ```
  }];
  let parameters = (ins "unsigned":$swizzle,
                        ArrayRefParameter<"int64_t">:$order,
                        DefaultValuedParameter<"int64_t", "0">:$rows);
  let assemblyFormat = [{
    `<` `swizzle` `=` $swizzle `,` `order` `=` `[` $order `]`
        (`,` `rows` `=` $rows^)? `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The dimension stored contiguously (K of a product's operand).
    int64_t getContiguousDim() const { return getOrder()[0]; }
    /// The rows a tile of `shape` is stored with: its own, or `rows`.
    int64_t getStoredRows(llvm::ArrayRef<int64_t> shape) const {
      return std::max<int64_t>(getRows(), shape[1 - getContiguousDim()]);
    }
  }];
}

#endif // MELD_DIALECT_TILEGPU_TILEGPUATTRS_TD
