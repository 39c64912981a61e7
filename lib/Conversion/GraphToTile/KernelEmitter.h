//===- KernelEmitter.h - Shared pieces of the graph-to-tile lowering -----===//
//
// What every kernel family of meld-graph-to-tile shares: `TileBuilder` (tile
// arithmetic inside a kernel body), `KernelEmitter` (the state of one
// conversion: kernel names, the fault status buffer, fault sites, options)
// with the pointwise kernel scaffold, and the base class of the conversion
// patterns. Each family's patterns live in their own file:
//   - BufferPlan.cpp: constants, weights, reshapes and the model's outputs;
//   - Pointwise.cpp: fusion groups of elementwise ops and data movement
//     (transpose, slice, split, concat, trilu);
//   - DataIndexed.cpp: gathers and scatters, whose indices come from data;
//   - RowReductions.cpp: reductions, softmax, layernorm and rmsnorm, alone
//     or as rows groups with their elementwise neighbours;
//   - Matmul.cpp: matrix products;
//   - Attention.cpp: attention groups, one flash attention kernel each.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_LIB_CONVERSION_GRAPHTOTILE_KERNELEMITTER_H
#define MELD_LIB_CONVERSION_GRAPHTOTILE_KERNELEMITTER_H

#include "meld/Conversion/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/DialectConversion.h"

namespace meld::graph_to_tile {

using Shape = llvm::SmallVector<int64_t>;

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The flat buffer type holding a tensor of `type`.
mlir::MemRefType bufferType(mlir::RankedTensorType type);

/// Builds tile values in a kernel body; every tile of one builder has `shape`
/// unless a method says otherwise.
struct TileBuilder {
  mlir::OpBuilder &b;
  mlir::Location loc;
  Shape shape;

  mlir::RankedTensorType tileType(mlir::Type element) const {
    return mlir::RankedTensorType::get(shape, element);
  }
  mlir::Value constant(mlir::Attribute value) const;
  mlir::Value index(int64_t value) const {
    return constant(b.getIndexAttr(value));
  }
  mlir::Value floatConst(mlir::Type type, double value) const {
    return constant(b.getFloatAttr(type, value));
  }
  mlir::Value scalarIndex(int64_t value) const;
  mlir::Value splat(mlir::Value scalar) const;
  mlir::Value iota(int64_t dim) const;
  /// For a 1-D builder of `block` elements: this program's block of linear
  /// ids, `program_id(0) * block + [0, block)`.
  mlir::Value programBlock() const;
  mlir::Value add(mlir::Value x, mlir::Value y) const;
  mlir::Value mul(mlir::Value x, int64_t c) const;
  mlir::Value div(mlir::Value x, int64_t c) const;
  mlir::Value rem(mlir::Value x, int64_t c) const;
  mlir::Value lessThan(mlir::Value x, int64_t c) const;
  mlir::Value inRange(mlir::Value x, int64_t lo, int64_t hi) const;
  /// `x && y`, where a null mask means "everywhere".
  mlir::Value both(mlir::Value x, mlir::Value y) const;
  /// For a 2-D builder of rows: the `kind` reduction of each row of `x`
  /// (one value per row, of `x`'s element type).
  mlir::Value reduceRows(tile::ReduceKind kind, mlir::Value x) const;
  /// For a 2-D builder of rows: `rows` (one value per row) repeated along
  /// each row.
  mlir::Value perRow(mlir::Value rows) const;
  /// Loads `buffer` at `offsets` where `mask` holds, zero elsewhere (all of
  /// them without a mask).
  mlir::Value load(mlir::Value buffer, mlir::Value offsets,
                   mlir::Value mask) const;
  void store(mlir::Value value, mlir::Value buffer, mlir::Value offsets,
             mlir::Value mask) const;
  /// The offsets of the elements at `coords` (one index tile per dimension)
  /// of a view with `layout`, in the buffer the layout addresses. A null
  /// coordinate leaves its dimension out, and so does `withBase = false` the
  /// layout's offset: a loop adds the part that varies to the rest.
  mlir::Value viewOffset(const graph::ViewLayout &layout,
                         llvm::ArrayRef<mlir::Value> coords,
                         bool withBase = true) const;
  /// The offsets at which a kernel's output `i` holds the elements at
  /// `coords`: through `layouts[i]` where the output is stored through a
  /// view (`layouts` empty: none is), else `rowMajor()`, the caller's
  /// row-major offsets.
  mlir::Value outputOffsets(llvm::ArrayRef<graph::ViewLayout> layouts,
                            unsigned i, llvm::ArrayRef<mlir::Value> coords,
                            llvm::function_ref<mlir::Value()> rowMajor) const;
  /// What dimension `dim` adds to those offsets at `coord`: each mode's
  /// digit of `coord` times its stride (null when nothing).
  mlir::Value dimOffset(const graph::ViewLayout &layout, unsigned dim,
                        mlir::Value coord) const;
  /// The linear offset into a row-major tensor of `sourceShape` of the element
  /// that numpy broadcasting maps to result coordinates `coords`.
  mlir::Value broadcastOffset(llvm::ArrayRef<mlir::Value> coords,
                              llvm::ArrayRef<int64_t> sourceShape) const;
  /// The coordinates in a tensor of `sourceShape` of the element that numpy
  /// broadcasting maps to `coords` of a result of `shape`.
  llvm::SmallVector<mlir::Value>
  broadcastCoords(llvm::ArrayRef<mlir::Value> coords,
                  llvm::ArrayRef<int64_t> shape,
                  llvm::ArrayRef<int64_t> sourceShape) const;
  /// Splits linear indices `linear` of a row-major `shape` into coordinates.
  llvm::SmallVector<mlir::Value> delinearize(mlir::Value linear,
                                             llvm::ArrayRef<int64_t> of) const;
};

/// The body of a pointwise kernel: given the kernel's input buffers, the
/// result coordinates and mask of a tile, returns one tile per output.
using PointwiseBody = llvm::function_ref<llvm::SmallVector<mlir::Value>(
    const TileBuilder &, llvm::ArrayRef<mlir::Value> inputs,
    llvm::ArrayRef<mlir::Value> coords, mlir::Value mask)>;

/// An index checked against its axis: the index wrapped into [0, size) as
/// an index tile (0 where it is out of range), and where it may be used (the
/// mask without the out-of-range elements).
struct IndexCheck {
  mlir::Value index, valid;
};

/// The state of one graph-to-tile conversion and the scaffolds the kernel
/// families share. Host-level ops (allocations, launches, the fault status)
/// go where the rewriter's insertion point is; kernels and globals go at the
/// end of the module.
class KernelEmitter {
public:
  KernelEmitter(mlir::ModuleOp module, mlir::func::FuncOp main,
                const ConvertGraphToTileOptions &options)
      : module(module), main(main), options(options), symbols(module) {}

  const ConvertGraphToTileOptions &getOptions() const { return options; }

  /// Creates an empty kernel named after `name` (made unique) taking
  /// `buffers`, with `grid`, and launches it at the rewriter's insertion
  /// point. Returns a builder positioned before the kernel's terminator.
  mlir::OpBuilder createKernel(mlir::RewriterBase &rewriter, mlir::Location loc,
                               llvm::StringRef name, mlir::ValueRange buffers,
                               llvm::ArrayRef<int64_t> grid);

  /// Gives `kernel` the warps `group`'s tiles were chosen for, if any
  /// (meld-graph-choose-tiles' `num_warps`).
  static void setChosenWarps(tile::KernelOp kernel, graph::FusionGroupOp group);

  /// Drops the arguments among `candidates` (positions) that the body of
  /// `kernel` (made by createKernel, its launch before the rewriter's
  /// insertion point) does not read, from the kernel and its launch.
  void dropUnreadArguments(mlir::RewriterBase &rewriter, tile::KernelOp kernel,
                           llvm::ArrayRef<unsigned> candidates);

  /// A fresh buffer for a tensor of `type`.
  mlir::Value alloc(mlir::RewriterBase &rewriter, mlir::Location loc,
                    mlir::Type type);

  /// A pointwise kernel: one program per block of the elements of
  /// `iterationType`, storing `body`'s tiles to `outputs` (each of that many
  /// elements) at the elements' linear indices, or where `outputLayouts`
  /// (one per output, when given) place the elements' coordinates.
  void emitPointwise(mlir::RewriterBase &rewriter, mlir::Location loc,
                     llvm::StringRef name, mlir::ValueRange inputs,
                     mlir::ValueRange outputs,
                     mlir::RankedTensorType iterationType, PointwiseBody body,
                     llvm::ArrayRef<graph::ViewLayout> outputLayouts = {});

  /// A pointwise kernel with one output, a fresh buffer for a tensor of
  /// `type` (also the iteration space), which it returns.
  mlir::Value emitPointwiseResult(mlir::RewriterBase &rewriter,
                                  mlir::Location loc, llvm::StringRef name,
                                  mlir::ValueRange inputs,
                                  mlir::RankedTensorType type,
                                  PointwiseBody body);

  /// Copies buffer `from` into `to`, both holding a tensor of `type`.
  void emitCopy(mlir::RewriterBase &rewriter, mlir::Location loc,
                mlir::Value from, mlir::Value to, mlir::RankedTensorType type);

  /// The buffers of a fusion group's kernel: `inputs` (the group's, then
  /// the fault status when an integer division needs it) and a fresh buffer
  /// per result in `outputs`.
  struct GroupBuffers {
    llvm::SmallVector<mlir::Value> inputs, outputs;
    /// Whether the fault status is the last input.
    bool faults = false;
    /// The kernel argument holding the fault status among `args` (the
    /// kernel's arguments, inputs first), or null without faults.
    mlir::Value getStatus(llvm::ArrayRef<mlir::Value> args) const {
      return faults ? args[inputs.size() - 1] : mlir::Value();
    }
  };
  GroupBuffers allocGroupBuffers(mlir::RewriterBase &rewriter,
                                 graph::FusionGroupOp group,
                                 mlir::ValueRange inputs);

  /// Computes the ops of `group` that results `resultIndices` (all when
  /// empty, which share one iteration space) need, on tiles at `coords` of
  /// their iteration space: `tiles` maps the values already known (a
  /// matmul's accumulator); an argument or input view an op reads is loaded
  /// from `args` (the kernel's buffers of the group's inputs) where its
  /// layout finds it; splat constants become tile constants and elementwise
  /// ops build their math (an integer division records its zero divisors in
  /// `status`). Returns the tiles of the values those results store.
  llvm::SmallVector<mlir::Value>
  emitGroupBody(const TileBuilder &t, graph::FusionGroupOp group,
                mlir::IRMapping &tiles, llvm::ArrayRef<mlir::Value> args,
                llvm::ArrayRef<mlir::Value> coords, mlir::Value mask,
                mlir::Value status,
                llvm::ArrayRef<unsigned> resultIndices = {});
  /// Like `emitGroupBody`, the tiles of `values` of the region, of one
  /// iteration space.
  llvm::SmallVector<mlir::Value>
  emitGroupValues(const TileBuilder &t, graph::FusionGroupOp group,
                  mlir::IRMapping &tiles, llvm::ArrayRef<mlir::Value> args,
                  llvm::ArrayRef<mlir::Value> coords, mlir::Value mask,
                  mlir::Value status, llvm::ArrayRef<mlir::Value> values);
  /// The tiles a matrix-product kernel's epilogue computes: those of the
  /// values results `resultIndices` store (as `emitGroupBody`) or, where
  /// `group` has a row epilogue (`getRowEpilogue`), the one value it
  /// normalizes, which the kernel then normalizes for every result.
  llvm::SmallVector<mlir::Value>
  emitEpilogue(const TileBuilder &t, graph::FusionGroupOp group,
               mlir::IRMapping &tiles, llvm::ArrayRef<mlir::Value> args,
               llvm::ArrayRef<mlir::Value> coords, mlir::Value mask,
               mlir::Value status, llvm::ArrayRef<unsigned> resultIndices = {});
  /// Where each result of `group` stores its value: the inverse of the
  /// result's output views, row-major without any.
  static llvm::SmallVector<graph::ViewLayout>
  getStoreLayouts(graph::FusionGroupOp group);

  /// The run's fault status buffer (`tile.fault_status`), made on first use
  /// at the start of `main`: kernels that can meet a fault in their data take
  /// it as an argument.
  mlir::Value faultStatus(mlir::RewriterBase &rewriter);
  /// Records a data fault in `status` (a kernel argument) where `violations`
  /// holds, with `detail` (an integer tile) and `message` (`{}`: the detail)
  /// for the artifact's fault table. Each call is a new fault site.
  void emitFault(const TileBuilder &t, mlir::Value status,
                 mlir::Value violations, mlir::Value detail,
                 const llvm::Twine &message);
  /// Checks a tile of indices `raw` (i32 or i64, loaded from the data) into
  /// an axis of `size` elements, described by `message` ("axis 0"): records
  /// a fault where an index lies outside [-size, size) and `mask` holds.
  IndexCheck checkIndex(const TileBuilder &t, mlir::Value status,
                        mlir::Value raw, int64_t size, mlir::Value mask,
                        const llvm::Twine &message);

  /// A name for the next constant's global.
  std::string nextConstantName() {
    return "__meld_constant_" + std::to_string(constantCounter++);
  }
  mlir::SymbolTable &getSymbols() { return symbols; }
  mlir::func::FuncOp getMain() { return main; }
  mlir::ModuleOp getModule() { return module; }

private:
  mlir::ModuleOp module;
  mlir::func::FuncOp main;
  const ConvertGraphToTileOptions &options;
  mlir::SymbolTable symbols;
  mlir::Value status;
  unsigned constantCounter = 0;
  int32_t nextFaultSite = 1;
};

/// The base of every graph-to-tile pattern: an `OpConversionPattern` that
/// shares the conversion's `KernelEmitter`.
template <typename OpTy>
struct LoweringPattern : mlir::OpConversionPattern<OpTy> {
  LoweringPattern(const mlir::TypeConverter &converter,
                  mlir::MLIRContext *context, KernelEmitter &emitter)
      : mlir::OpConversionPattern<OpTy>(converter, context), emitter(emitter) {}

protected:
  KernelEmitter &emitter;
};

/// The coordinates of `linear`, a scalar linear index into a row-major
/// `shape` (a program's batch, say): one scalar per dimension.
llvm::SmallVector<mlir::Value> delinearizeScalar(mlir::OpBuilder &b,
                                                 mlir::Location loc,
                                                 mlir::Value linear,
                                                 llvm::ArrayRef<int64_t> shape);

/// For a program whose block of `block` rows starts at row `first` of
/// `rows`: how many of its rows lie inside, the `rows` operand of its
/// tile.dot ops; null where every block is whole.
mlir::Value getValidRows(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value first, int64_t rows, int64_t block);

/// Where `value`, an argument of `group`'s region or an input view of one
/// (the verifier's rule for what a group's kernel reads), lies in the buffer
/// of that argument, whose number goes to `argNumber`.
graph::ViewLayout traceGroupInput(graph::FusionGroupOp group, mlir::Value value,
                                  unsigned &argNumber);

/// The weights a kernel reads from panels (`#tile.panels`, the
/// `pack-weights` option): each a tile.weight with panels the kernel takes
/// as an extra argument after its inputs, where a product reads the weight
/// `inputs[input]` through `layout` in steps of `rowStep` rows of `panel`
/// columns. After its body is built, dropUnreadArguments(getInputs())
/// drops the weights nothing else reads.
class KernelPanels {
public:
  /// Adds the panels of `inputs[input]` read so to `buffers` (the kernel's,
  /// inputs first), unless they are there already or it is no weight, or a
  /// view (not strided, batch dimensions not broadcast) the panels cannot
  /// describe.
  void add(mlir::RewriterBase &rewriter, mlir::Location loc,
           mlir::ValueRange inputs, llvm::SmallVectorImpl<mlir::Value> &buffers,
           unsigned input, const graph::ViewLayout &layout, int64_t rowStep,
           int64_t panel);
  /// The panels of `input` read so, if any: their kernel argument and
  /// layout.
  struct Panels {
    unsigned arg;
    tile::PanelsAttr layout;
  };
  std::optional<Panels> lookup(unsigned input, const graph::ViewLayout &layout,
                               int64_t rowStep, int64_t panel) const;
  /// The inputs read from panels.
  llvm::SmallVector<unsigned> getInputs() const;

private:
  struct Entry {
    unsigned input;
    graph::ViewLayout layout;
    int64_t rowStep, panel;
    Panels panels;
  };
  llvm::SmallVector<Entry> entries;
};

/// Computes values of a fusion group's region at any coordinates, as XLA's
/// elemental emitter does: an argument or input view is loaded where its
/// layout finds the element; an elementwise op computes its operands at the
/// coordinates numpy broadcasting maps to; a view of a computed value
/// computes its source at the coordinates its layout maps to; a concat
/// computes each piece where its coordinates fall; a splat constant is a
/// tile constant. An attention group computes its operands this way (the
/// rotary embedding of Q and K, the preparation of a padding mask).
class GroupElements {
public:
  GroupElements(graph::FusionGroupOp group, llvm::ArrayRef<mlir::Value> args)
      : group(group), args(args) {}

  /// The tile of `value` (which `group.isElemental` accepts) at `coords` (one
  /// index tile of `t`'s shape per dimension of `value`), where `mask` holds
  /// (null: everywhere); elsewhere no access is made and the elements are
  /// unspecified.
  mlir::Value at(const TileBuilder &t, mlir::Value value,
                 llvm::ArrayRef<mlir::Value> coords, mlir::Value mask);

private:
  mlir::Value compute(const TileBuilder &t, mlir::Value value,
                      llvm::ArrayRef<mlir::Value> coords, mlir::Value mask);

  graph::FusionGroupOp group;
  llvm::ArrayRef<mlir::Value> args;
  /// The tiles already built by the current `at`, by value, then by
  /// coordinates and mask.
  llvm::DenseMap<
      mlir::Value,
      llvm::SmallVector<std::pair<llvm::SmallVector<mlir::Value>, mlir::Value>>>
      built;
};

/// A normalization of rows computed in a matrix-product kernel:
/// `(x - mean) * rstd * scale + bias` (LayerNorm) or `x * rstd * scale`
/// (RMSNorm). Of A's rows (over K) it is the kernel's prologue, the row
/// statistics from a first pass over the program's rows of A; of the
/// result's rows (over N), its row epilogue.
struct RowNorm {
  bool rms;
  double epsilon;
  /// The kernel arguments and layouts (over the row) of the scale and bias
  /// (`bias` < 0: none).
  unsigned scale;
  graph::ViewLayout scaleLayout;
  int bias = -1;
  graph::ViewLayout biasLayout;

  /// The reciprocal standard deviations of rows (a 1-D builder `rows`) whose
  /// `squares` (of deviations from the mean, for LayerNorm) sum over `width`
  /// elements.
  mlir::Value rstd(const TileBuilder &rows, mlir::Value squares,
                   int64_t width) const;
  /// `x` normalized with its rows' `mean` (null for RMSNorm) and `rstd`,
  /// then scaled and shifted by the parameters (of the kernel's `args`) at
  /// positions `along` its rows, where `mask` holds.
  mlir::Value apply(const TileBuilder &t, llvm::ArrayRef<mlir::Value> args,
                    mlir::Value x, mlir::Value mean, mlir::Value rstd,
                    mlir::Value along, mlir::Value mask) const;
  /// Whole rows `x` (a 2-D builder's tile of rows of `width` elements, at
  /// positions `along` them, inside where `mask` holds) normalized in
  /// registers: their statistics, then `apply`.
  mlir::Value normalize(const TileBuilder &t, llvm::ArrayRef<mlir::Value> args,
                        mlir::Value x, mlir::Value along, mlir::Value mask,
                        int64_t width) const;
};

/// The normalization `norm` of `group` (a `graph.layernorm` or
/// `graph.rmsnorm` over its last axis, its parameters arguments or input
/// views) as a `RowNorm`.
RowNorm getRowNorm(graph::FusionGroupOp group, mlir::Operation *norm);

/// A kernel name for `group`: its computing ops' names, the first few.
std::string getGroupName(graph::FusionGroupOp group);

/// The patterns of each kernel family (see the file comment).
void populateBufferPlanPatterns(const mlir::TypeConverter &converter,
                                mlir::RewritePatternSet &patterns,
                                KernelEmitter &emitter);
void populatePointwisePatterns(const mlir::TypeConverter &converter,
                               mlir::RewritePatternSet &patterns,
                               KernelEmitter &emitter);
void populateDataIndexedPatterns(const mlir::TypeConverter &converter,
                                 mlir::RewritePatternSet &patterns,
                                 KernelEmitter &emitter);
void populateRowReductionPatterns(const mlir::TypeConverter &converter,
                                  mlir::RewritePatternSet &patterns,
                                  KernelEmitter &emitter);
void populateMatmulPatterns(const mlir::TypeConverter &converter,
                            mlir::RewritePatternSet &patterns,
                            KernelEmitter &emitter);
void populateAttentionPatterns(const mlir::TypeConverter &converter,
                               mlir::RewritePatternSet &patterns,
                               KernelEmitter &emitter);

/// After the conversion: gives `main` one buffer argument per result of
/// `originalType` (marked `meld.output`) in place of its results, so that the
/// kernel making an output writes it there (a copy where none does: an input,
/// weight or constant returned, or a value returned twice), and records each
/// argument's tensor shape in `meld.shape`.
void assignOutputBuffers(mlir::func::FuncOp main,
                         mlir::FunctionType originalType,
                         KernelEmitter &emitter);

} // namespace meld::graph_to_tile

#endif // MELD_LIB_CONVERSION_GRAPHTOTILE_KERNELEMITTER_H
