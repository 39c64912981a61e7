//===- KernelEmitter.cpp - Shared pieces of the graph-to-tile lowering ----===//

#include "KernelEmitter.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace meld;
using namespace meld::graph_to_tile;

MemRefType graph_to_tile::bufferType(RankedTensorType type) {
  return MemRefType::get({std::max<int64_t>(type.getNumElements(), 1)},
                         type.getElementType());
}

//===----------------------------------------------------------------------===//
// TileBuilder
//===----------------------------------------------------------------------===//

Value TileBuilder::constant(Attribute value) const {
  auto typed = cast<TypedAttr>(value);
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(tileType(typed.getType()), typed));
}

Value TileBuilder::scalarIndex(int64_t value) const {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value TileBuilder::splat(Value scalar) const {
  return tensor::SplatOp::create(b, loc, tileType(scalar.getType()), scalar);
}

Value TileBuilder::iota(int64_t dim) const {
  return tile::IotaOp::create(b, loc, tileType(b.getIndexType()),
                              b.getI64IntegerAttr(dim));
}

Value TileBuilder::programBlock() const {
  assert(shape.size() == 1 && "a block of linear ids is 1-D");
  Value pid = tile::ProgramIdOp::create(b, loc, b.getIndexType(),
                                        b.getI64IntegerAttr(0));
  Value base = arith::MulIOp::create(b, loc, pid, scalarIndex(shape[0]));
  return add(splat(base), iota(0));
}

Value TileBuilder::add(Value x, Value y) const {
  return arith::AddIOp::create(b, loc, x, y);
}

Value TileBuilder::mul(Value x, int64_t c) const {
  if (c == 1)
    return x;
  return arith::MulIOp::create(b, loc, x, index(c));
}

Value TileBuilder::div(Value x, int64_t c) const {
  if (c == 1)
    return x;
  return arith::DivUIOp::create(b, loc, x, index(c));
}

Value TileBuilder::rem(Value x, int64_t c) const {
  return arith::RemUIOp::create(b, loc, x, index(c));
}

Value TileBuilder::lessThan(Value x, int64_t c) const {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, index(c));
}

Value TileBuilder::inRange(Value x, int64_t lo, int64_t hi) const {
  Value geLo =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, x, index(lo));
  return both(geLo, lessThan(x, hi));
}

Value TileBuilder::both(Value x, Value y) const {
  if (!x)
    return y;
  if (!y)
    return x;
  return arith::AndIOp::create(b, loc, x, y);
}

Value TileBuilder::reduceRows(tile::ReduceKind kind, Value x) const {
  assert(shape.size() == 2 && "a builder of rows");
  return tile::ReduceOp::create(
      b, loc, RankedTensorType::get({shape[0]}, getElementTypeOrSelf(x)),
      tile::ReduceKindAttr::get(b.getContext(), kind), x,
      b.getI64IntegerAttr(1));
}

Value TileBuilder::perRow(Value rows) const {
  assert(shape.size() == 2 && "a builder of rows");
  return tile::BroadcastOp::create(b, loc, tileType(getElementTypeOrSelf(rows)),
                                   rows, b.getDenseI64ArrayAttr({1}));
}

Value TileBuilder::load(Value buffer, Value offsets, Value mask) const {
  auto element = cast<MemRefType>(buffer.getType()).getElementType();
  if (!mask)
    return tile::LoadOp::create(b, loc, tileType(element), buffer, offsets,
                                Value(), Value());
  Value other = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
  return tile::LoadOp::create(b, loc, tileType(element), buffer, offsets, mask,
                              other);
}

void TileBuilder::store(Value value, Value buffer, Value offsets,
                        Value mask) const {
  tile::StoreOp::create(b, loc, value, buffer, offsets, mask);
}

Value TileBuilder::dimOffset(const graph::ViewLayout &layout, unsigned dim,
                             Value coord) const {
  ArrayRef<graph::ViewMode> modes = layout.getDims()[dim];
  // Digit j of the coordinate: (coord / inner_j) mod size_j, where inner_j
  // is the product of the sizes of the modes inside it; the outermost digit
  // needs no mod (the coordinate is in range), the innermost no division.
  Value offset;
  int64_t inner = 1;
  for (auto [j, mode] : llvm::enumerate(llvm::reverse(modes))) {
    int64_t digitInner = inner;
    inner *= mode.size;
    // A broadcast digit adds nothing.
    if (mode.stride == 0)
      continue;
    Value digit = div(coord, digitInner);
    if (j + 1 != modes.size())
      digit = rem(digit, mode.size);
    Value term = mul(digit, mode.stride);
    offset = offset ? add(offset, term) : term;
  }
  return offset;
}

Value TileBuilder::outputOffsets(ArrayRef<graph::ViewLayout> layouts,
                                 unsigned i, ArrayRef<Value> coords,
                                 function_ref<Value()> rowMajor) const {
  if (!layouts.empty() && !layouts[i].isRowMajor())
    return viewOffset(layouts[i], coords);
  return rowMajor();
}

Value TileBuilder::viewOffset(const graph::ViewLayout &layout,
                              ArrayRef<Value> coords, bool withBase) const {
  assert(coords.size() == layout.getRank() && "one coordinate per dimension");
  Value offset;
  for (auto [d, coord] : llvm::enumerate(coords))
    if (coord)
      if (Value term = dimOffset(layout, d, coord))
        offset = offset ? add(offset, term) : term;
  int64_t base = withBase ? layout.getOffset() : 0;
  if (!offset)
    return index(base);
  if (base != 0)
    offset = add(offset, index(base));
  return offset;
}

Value TileBuilder::broadcastOffset(ArrayRef<Value> coords,
                                   ArrayRef<int64_t> sourceShape) const {
  // A dimension of size 1 has no modes: it adds nothing at any coordinate.
  return viewOffset(graph::ViewLayout::rowMajor(sourceShape),
                    coords.take_back(sourceShape.size()));
}

SmallVector<Value>
TileBuilder::broadcastCoords(ArrayRef<Value> coords, ArrayRef<int64_t> shape,
                             ArrayRef<int64_t> sourceShape) const {
  size_t lead = shape.size() - sourceShape.size();
  SmallVector<Value> result;
  for (auto [d, size] : llvm::enumerate(sourceShape))
    result.push_back(size == 1 && shape[lead + d] != 1 ? index(0)
                                                       : coords[lead + d]);
  return result;
}

SmallVector<Value> TileBuilder::delinearize(Value linear,
                                            ArrayRef<int64_t> of) const {
  Shape strides = computeStrides(of);
  SmallVector<Value> coords;
  for (auto [d, size] : llvm::enumerate(of)) {
    Value c = div(linear, strides[d]);
    if (d != 0)
      c = rem(c, size);
    coords.push_back(c);
  }
  return coords;
}

//===----------------------------------------------------------------------===//
// Fusion groups
//===----------------------------------------------------------------------===//

Value graph_to_tile::getValidRows(OpBuilder &b, Location loc, Value first,
                                  int64_t rows, int64_t block) {
  if (rows % block == 0)
    return Value();
  return arith::SubIOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, rows), first);
}

SmallVector<Value> graph_to_tile::delinearizeScalar(OpBuilder &b, Location loc,
                                                    Value linear,
                                                    ArrayRef<int64_t> shape) {
  SmallVector<Value> coords;
  Shape strides = computeStrides(shape);
  for (auto [d, size] : llvm::enumerate(shape)) {
    Value coord = linear;
    if (strides[d] != 1)
      coord = arith::DivUIOp::create(
          b, loc, coord, arith::ConstantIndexOp::create(b, loc, strides[d]));
    if (d != 0)
      coord = arith::RemUIOp::create(
          b, loc, coord, arith::ConstantIndexOp::create(b, loc, size));
    coords.push_back(coord);
  }
  return coords;
}

/// A kernel name for `group`: its computing ops' names, the first few of
/// them.
std::string graph_to_tile::getGroupName(graph::FusionGroupOp group) {
  std::string name;
  unsigned count = 0;
  for (Operation &op : group.getBodyBlock().without_terminator()) {
    if (isa<graph::ConstantOp>(op) || group.isInputView(&op) ||
        group.isOutputView(&op))
      continue;
    if (count++ == 4) {
      name += "_etc";
      break;
    }
    if (!name.empty())
      name += "_";
    name += op.getName().stripDialect();
  }
  return name.empty() ? "copy" : name;
}

//===----------------------------------------------------------------------===//
// KernelEmitter
//===----------------------------------------------------------------------===//

KernelEmitter::GroupBuffers KernelEmitter::allocGroupBuffers(
    RewriterBase &rewriter, graph::FusionGroupOp group, ValueRange inputs) {
  GroupBuffers buffers;
  buffers.inputs.assign(inputs.begin(), inputs.end());
  if (llvm::any_of(
          group.getBodyBlock().without_terminator(), [](Operation &op) {
            return graph::isIntegerDivision(&op) || isa<graph::GatherOp>(op);
          })) {
    buffers.faults = true;
    buffers.inputs.push_back(faultStatus(rewriter));
  }
  for (Value result : group.getResults())
    buffers.outputs.push_back(
        alloc(rewriter, result.getLoc(), result.getType()));
  return buffers;
}

graph::ViewLayout graph_to_tile::traceGroupInput(graph::FusionGroupOp group,
                                                 Value value,
                                                 unsigned &argNumber) {
  Value root;
  graph::ViewLayout layout = graph::traceView(
      value, root, [&](Operation *op) { return group.isInputView(op); });
  argNumber = cast<BlockArgument>(root).getArgNumber();
  return layout;
}

SmallVector<graph::ViewLayout>
KernelEmitter::getStoreLayouts(graph::FusionGroupOp group) {
  Operation *yield = group.getBodyBlock().getTerminator();
  return llvm::map_to_vector(yield->getOperands(), [&](Value yielded) {
    Value source;
    // The verifier's rule: output views are one to one.
    return *graph::traceStore(
        yielded, source, [&](Operation *op) { return group.isOutputView(op); });
  });
}

SmallVector<Value>
KernelEmitter::emitGroupBody(const TileBuilder &t, graph::FusionGroupOp group,
                             IRMapping &tiles, ArrayRef<Value> args,
                             ArrayRef<Value> coords, Value mask, Value status,
                             ArrayRef<unsigned> resultIndices) {
  SmallVector<Value> stored;
  if (resultIndices.empty())
    for (unsigned i = 0, e = group.getNumResults(); i < e; ++i)
      stored.push_back(group.getStoredValue(i));
  for (unsigned i : resultIndices)
    stored.push_back(group.getStoredValue(i));
  return emitGroupValues(t, group, tiles, args, coords, mask, status, stored);
}

SmallVector<Value>
KernelEmitter::emitEpilogue(const TileBuilder &t, graph::FusionGroupOp group,
                            IRMapping &tiles, ArrayRef<Value> args,
                            ArrayRef<Value> coords, Value mask, Value status,
                            ArrayRef<unsigned> resultIndices) {
  if (Operation *rowNorm = group.getRowEpilogue())
    return emitGroupValues(t, group, tiles, args, coords, mask, status,
                           {rowNorm->getOperand(0)});
  return emitGroupBody(t, group, tiles, args, coords, mask, status,
                       resultIndices);
}

SmallVector<Value>
KernelEmitter::emitGroupValues(const TileBuilder &t, graph::FusionGroupOp group,
                               IRMapping &tiles, ArrayRef<Value> args,
                               ArrayRef<Value> coords, Value mask, Value status,
                               ArrayRef<Value> values) {
  SmallVector<int64_t> iterationShape(
      cast<RankedTensorType>(values.front().getType()).getShape());
  // Each value is built when a result needs it, once: an argument or input
  // view is loaded where its layout, broadcast to the iteration space as
  // numpy does, finds each element; a splat constant is a tile constant; an
  // elementwise op builds its math on its operands' tiles.
  std::function<Value(Value)> tileOf = [&](Value v) -> Value {
    if (Value known = tiles.lookupOrNull(v))
      return known;
    Operation *op = v.getDefiningOp();
    Value tile;
    if (!op || group.isInputView(op)) {
      unsigned arg;
      graph::ViewLayout layout = traceGroupInput(group, v, arg);
      tile =
          t.load(args[arg],
                 t.viewOffset(layout.broadcast(iterationShape), coords), mask);
    } else if (auto constant = dyn_cast<graph::ConstantOp>(op)) {
      // Groups hold splat constants only (the verifier's rule).
      tile = t.constant(cast<SplatElementsAttr>(constant.getValue())
                            .getSplatValue<Attribute>());
    } else if (auto gather = dyn_cast<graph::GatherOp>(op)) {
      // Each element's index, checked (a fault where it is out of range),
      // then the element it points at; both operands are inputs (the
      // verifier's rule).
      ArrayRef<int64_t> shape = gather.getType().getShape();
      SmallVector<Value> at = t.broadcastCoords(coords, iterationShape, shape);
      auto inputType = cast<RankedTensorType>(gather.getInput().getType());
      int64_t axis = gather.getAxis(), axisSize = inputType.getDimSize(axis);
      int64_t indexRank =
          cast<RankedTensorType>(gather.getIndices().getType()).getRank();
      unsigned indicesArg, inputArg;
      graph::ViewLayout indices =
          traceGroupInput(group, gather.getIndices(), indicesArg);
      graph::ViewLayout input =
          traceGroupInput(group, gather.getInput(), inputArg);
      Value raw = t.load(
          args[indicesArg],
          t.viewOffset(indices, ArrayRef(at).slice(axis, indexRank)), mask);
      assert(status && "a gather needs the fault status");
      TileBuilder here{t.b, op->getLoc(), t.shape};
      IndexCheck index =
          checkIndex(here, status, raw, axisSize, mask, "axis " + Twine(axis));
      SmallVector<Value> from(ArrayRef(at).take_front(axis));
      from.push_back(index.index);
      llvm::append_range(from, ArrayRef(at).drop_front(axis + indexRank));
      tile = t.load(args[inputArg], t.viewOffset(input, from), index.valid);
    } else {
      // The prologue and the matmul are the kernel's to compute: their
      // tiles are given.
      SmallVector<Value> operands =
          llvm::map_to_vector(op->getOperands(), tileOf);
      if (graph::isIntegerDivision(op)) {
        assert(status && "an integer division needs the fault status");
        // The fault names the division's node (its location), not the
        // group's; the detail is the group element's row-major position.
        TileBuilder at{t.b, op->getLoc(), t.shape};
        Type element = getElementTypeOrSelf(operands[1].getType());
        Value isZero = arith::CmpIOp::create(
            at.b, at.loc, arith::CmpIPredicate::eq, operands[1],
            at.constant(at.b.getIntegerAttr(element, 0)));
        Value position = at.broadcastOffset(coords, iterationShape);
        emitFault(at, status, at.both(mask, isZero),
                  arith::IndexCastOp::create(
                      at.b, at.loc, at.tileType(at.b.getI64Type()), position),
                  "integer division by zero at result element {} (row-major, "
                  "of " +
                      Twine(computeProduct(iterationShape)) + ")");
      }
      tile = cast<graph::ElementwiseOpInterface>(op).buildTileMath(
          t.b, op->getLoc(), operands);
    }
    tiles.map(v, tile);
    return tile;
  };
  return llvm::map_to_vector(values, tileOf);
}

OpBuilder KernelEmitter::createKernel(RewriterBase &rewriter, Location loc,
                                      StringRef name, ValueRange buffers,
                                      ArrayRef<int64_t> grid) {
  tile::KernelOp kernel;
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToEnd(module.getBody());
    auto type = rewriter.getFunctionType(TypeRange(buffers), {});
    kernel = tile::KernelOp::create(rewriter, loc, name, type, grid);
    symbols.insert(kernel); // Renames on collision.
    rewriter.setInsertionPointToEnd(&kernel.getBody().front());
    tile::ReturnOp::create(rewriter, loc);
  }
  tile::LaunchOp::create(
      rewriter, loc, FlatSymbolRefAttr::get(kernel.getSymNameAttr()), buffers);
  return OpBuilder(kernel.getBody().front().getTerminator());
}

void KernelEmitter::setChosenWarps(tile::KernelOp kernel,
                                   graph::FusionGroupOp group) {
  if (IntegerAttr warps = group.getNumWarpsAttr())
    kernel.setNumWarpsAttr(warps);
}

void KernelEmitter::dropUnreadArguments(RewriterBase &rewriter,
                                        tile::KernelOp kernel,
                                        ArrayRef<unsigned> candidates) {
  Block &body = kernel.getBody().front();
  llvm::BitVector unread(body.getNumArguments());
  for (unsigned i : candidates)
    if (body.getArgument(i).use_empty())
      unread.set(i);
  if (unread.none())
    return;
  // The kernel's one launch, made with it before the rewriter's insertion
  // point.
  tile::LaunchOp launch;
  for (Operation &op :
       llvm::reverse(llvm::make_range(rewriter.getInsertionBlock()->begin(),
                                      rewriter.getInsertionPoint())))
    if (auto candidate = dyn_cast<tile::LaunchOp>(op);
        candidate && candidate.getKernel() == kernel.getSymName()) {
      launch = candidate;
      break;
    }
  assert(launch && "a kernel without its launch");
  rewriter.modifyOpInPlace(kernel, [&] {
    body.eraseArguments(unread);
    kernel.setFunctionType(FunctionType::get(
        kernel.getContext(), body.getArgumentTypes(), TypeRange()));
  });
  rewriter.modifyOpInPlace(launch, [&] {
    for (int i = unread.size() - 1; i >= 0; --i)
      if (unread.test(i))
        launch.getArgsMutable().erase(i);
  });
}

/// The panels of the weight `buffer` viewed through `layout` (over
/// [batch..., k, n]) in steps of `rowStep` rows of `panel` columns; null
/// unless it is a weight whose matrix dimensions are strided views and
/// whose batch dimensions broadcast.
static tile::PanelsAttr getWeightPanels(Value buffer,
                                        const graph::ViewLayout &layout,
                                        int64_t rowStep, int64_t panel) {
  auto weight = buffer.getDefiningOp<tile::WeightOp>();
  Type element = cast<MemRefType>(buffer.getType()).getElementType();
  if (!weight || weight.getPanelsAttr() || !element.isIntOrFloat() ||
      element.getIntOrFloatBitWidth() % 8 != 0 || layout.getRank() < 2)
    return {};
  ArrayRef<graph::ViewLayout::Modes> dims = layout.getDims();
  for (const graph::ViewLayout::Modes &batch : dims.drop_back(2))
    if (llvm::any_of(batch, [](graph::ViewMode m) { return m.stride != 0; }))
      return {};
  // A dimension of one element has no mode: any stride serves.
  auto strideOf = [](ArrayRef<graph::ViewMode> modes) -> int64_t {
    if (modes.empty())
      return 0;
    return modes.size() == 1 ? modes.front().stride : -1;
  };
  SmallVector<int64_t> shape = layout.getShape();
  PanelsLayout panels{
      shape[shape.size() - 2],
      shape.back(),
      strideOf(dims[dims.size() - 2]),
      strideOf(dims.back()),
      layout.getOffset(),
      static_cast<int64_t>(llvm::alignTo(shape[shape.size() - 2], rowStep)),
      panel};
  // A view the panels describe (strided, not empty), within what the weight
  // holds (always, for the views the graph makes).
  int64_t elements, last;
  if (!checkPanelsLayout(panels, elements, last).empty() ||
      last >= cast<MemRefType>(buffer.getType()).getNumElements())
    return {};
  return tile::PanelsAttr::get(buffer.getContext(), panels.rows, panels.columns,
                               panels.rowStride, panels.columnStride,
                               panels.offset, panels.paddedRows, panels.panel);
}

void KernelPanels::add(RewriterBase &rewriter, Location loc, ValueRange inputs,
                       SmallVectorImpl<Value> &buffers, unsigned input,
                       const graph::ViewLayout &layout, int64_t rowStep,
                       int64_t panel) {
  if (lookup(input, layout, rowStep, panel))
    return;
  tile::PanelsAttr panels =
      getWeightPanels(inputs[input], layout, rowStep, panel);
  if (!panels)
    return;
  auto weight = inputs[input].getDefiningOp<tile::WeightOp>();
  entries.push_back({input,
                     layout,
                     rowStep,
                     panel,
                     {static_cast<unsigned>(buffers.size()), panels}});
  buffers.push_back(tile::WeightOp::create(
      rewriter, loc,
      MemRefType::get({panels.getNumElements()},
                      cast<MemRefType>(weight.getType()).getElementType()),
      weight.getHandleAttr(), panels));
}

std::optional<KernelPanels::Panels>
KernelPanels::lookup(unsigned input, const graph::ViewLayout &layout,
                     int64_t rowStep, int64_t panel) const {
  for (const Entry &entry : entries)
    if (entry.input == input && entry.layout == layout &&
        entry.rowStep == rowStep && entry.panel == panel)
      return entry.panels;
  return std::nullopt;
}

SmallVector<unsigned> KernelPanels::getInputs() const {
  return llvm::map_to_vector(entries,
                             [](const Entry &entry) { return entry.input; });
}

Value KernelEmitter::alloc(RewriterBase &rewriter, Location loc, Type type) {
  return memref::AllocOp::create(rewriter, loc,
                                 bufferType(cast<RankedTensorType>(type)));
}

void KernelEmitter::emitPointwise(RewriterBase &rewriter, Location loc,
                                  StringRef name, ValueRange inputs,
                                  ValueRange outputs,
                                  RankedTensorType iterationType,
                                  PointwiseBody body,
                                  ArrayRef<graph::ViewLayout> outputLayouts) {
  int64_t n = iterationType.getNumElements();
  if (n == 0)
    return;
  int64_t block =
      std::min<int64_t>(options.blockElements, llvm::PowerOf2Ceil(n));
  SmallVector<Value> kernelBuffers(inputs);
  llvm::append_range(kernelBuffers, outputs);
  OpBuilder b =
      createKernel(rewriter, loc, name, kernelBuffers, {ceilDiv(n, block)});
  TileBuilder t{b, loc, {block}};
  Value linear = t.programBlock();
  Value mask = t.lessThan(linear, n);
  SmallVector<Value> coords = t.delinearize(linear, iterationType.getShape());
  ArrayRef<BlockArgument> args = b.getBlock()->getArguments();
  SmallVector<Value> inputArgs(args.take_front(inputs.size()));
  SmallVector<Value> results = body(t, inputArgs, coords, mask);
  assert(results.size() == outputs.size() && "one tile per output");
  for (auto [i, result, out] :
       llvm::enumerate(results, args.drop_front(inputs.size()))) {
    t.store(result, out,
            t.outputOffsets(outputLayouts, i, coords, [&] { return linear; }),
            mask);
  }
}

Value KernelEmitter::emitPointwiseResult(RewriterBase &rewriter, Location loc,
                                         StringRef name, ValueRange inputs,
                                         RankedTensorType type,
                                         PointwiseBody body) {
  Value output = alloc(rewriter, loc, type);
  emitPointwise(rewriter, loc, name, inputs, {output}, type, body);
  return output;
}

void KernelEmitter::emitCopy(RewriterBase &rewriter, Location loc, Value from,
                             Value to, RankedTensorType type) {
  emitPointwise(rewriter, loc, "copy", {from}, {to}, type,
                [&](const TileBuilder &t, ArrayRef<Value> args,
                    ArrayRef<Value> coords, Value mask) -> SmallVector<Value> {
                  Value offsets = t.broadcastOffset(coords, type.getShape());
                  return {t.load(args[0], offsets, mask)};
                });
}

Value KernelEmitter::faultStatus(RewriterBase &rewriter) {
  if (status)
    return status;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(&main.getBody().front());
  status = tile::FaultStatusOp::create(
      rewriter, main.getLoc(), MemRefType::get({3}, rewriter.getI64Type()));
  return status;
}

void KernelEmitter::emitFault(const TileBuilder &t, Value status,
                              Value violations, Value detail,
                              const Twine &message) {
  Type detailType = getElementTypeOrSelf(detail.getType());
  if (!detailType.isInteger(64))
    detail = arith::ExtSIOp::create(t.b, t.loc, t.tileType(t.b.getI64Type()),
                                    detail);
  tile::FaultOp::create(t.b, t.loc, violations, detail, status,
                        t.b.getI32IntegerAttr(nextFaultSite++),
                        t.b.getStringAttr(message));
}

IndexCheck KernelEmitter::checkIndex(const TileBuilder &t, Value status,
                                     Value raw, int64_t size, Value mask,
                                     const Twine &message) {
  OpBuilder &b = t.b;
  Type i64 = b.getI64Type();
  if (!getElementTypeOrSelf(raw.getType()).isInteger(64))
    raw = arith::ExtSIOp::create(b, t.loc, t.tileType(i64), raw);
  Value size64 = t.constant(b.getI64IntegerAttr(size));
  Value zero = t.constant(b.getI64IntegerAttr(0));
  Value tooLow = arith::CmpIOp::create(b, t.loc, arith::CmpIPredicate::slt, raw,
                                       t.constant(b.getI64IntegerAttr(-size)));
  Value tooHigh =
      arith::CmpIOp::create(b, t.loc, arith::CmpIPredicate::sge, raw, size64);
  Value bad = arith::OrIOp::create(b, t.loc, tooLow, tooHigh);
  emitFault(t, status, t.both(mask, bad), raw,
            "index {} is out of range for " + message + " of size " +
                Twine(size));
  // Negative indices count from the end; faulting ones become 0 and are
  // masked off, so no access ever leaves the tensor.
  Value isNegative =
      arith::CmpIOp::create(b, t.loc, arith::CmpIPredicate::slt, raw, zero);
  Value wrapped = arith::SelectOp::create(
      b, t.loc, isNegative, arith::AddIOp::create(b, t.loc, raw, size64), raw);
  Value safe = arith::SelectOp::create(b, t.loc, bad, zero, wrapped);
  Value good =
      arith::XOrIOp::create(b, t.loc, bad, t.constant(b.getBoolAttr(true)));
  return {
      arith::IndexCastOp::create(b, t.loc, t.tileType(b.getIndexType()), safe),
      t.both(mask, good)};
}

Value RowNorm::rstd(const TileBuilder &rows, Value squares,
                    int64_t width) const {
  Type element = getElementTypeOrSelf(squares);
  Value invWidth = rows.floatConst(element, 1.0 / std::max<int64_t>(width, 1));
  return math::RsqrtOp::create(
      rows.b, rows.loc,
      arith::AddFOp::create(
          rows.b, rows.loc,
          arith::MulFOp::create(rows.b, rows.loc, squares, invWidth),
          rows.floatConst(element, epsilon)));
}

Value RowNorm::apply(const TileBuilder &t, ArrayRef<Value> args, Value x,
                     Value mean, Value rstd, Value along, Value mask) const {
  if (mean)
    x = arith::SubFOp::create(t.b, t.loc, x, t.perRow(mean));
  x = arith::MulFOp::create(t.b, t.loc, x, t.perRow(rstd));
  x = arith::MulFOp::create(
      t.b, t.loc, x,
      t.load(args[scale], t.viewOffset(scaleLayout, {along}), mask));
  if (bias >= 0)
    x = arith::AddFOp::create(
        t.b, t.loc, x,
        t.load(args[bias], t.viewOffset(biasLayout, {along}), mask));
  return x;
}

Value RowNorm::normalize(const TileBuilder &t, ArrayRef<Value> args, Value x,
                         Value along, Value mask, int64_t width) const {
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Type element = getElementTypeOrSelf(x);
  TileBuilder rows{b, loc, {t.shape.front()}};
  Value zero = t.floatConst(element, 0.0);
  auto rowSum = [&](Value v) {
    return t.reduceRows(tile::ReduceKind::sum,
                        arith::SelectOp::create(b, loc, mask, v, zero));
  };
  Value mean, d = x;
  if (!rms) {
    mean = arith::MulFOp::create(
        b, loc, rowSum(x),
        rows.floatConst(element, 1.0 / std::max<int64_t>(width, 1)));
    d = arith::SubFOp::create(b, loc, x, t.perRow(mean));
  }
  Value r = rstd(rows, rowSum(arith::MulFOp::create(b, loc, d, d)), width);
  return apply(t, args, x, mean, r, along, mask);
}

RowNorm graph_to_tile::getRowNorm(graph::FusionGroupOp group, Operation *norm) {
  int64_t width =
      cast<RankedTensorType>(norm->getOperand(0).getType()).getShape().back();
  auto param = [&](Value v, unsigned &argNumber) {
    return traceGroupInput(group, v, argNumber).broadcast({width});
  };
  RowNorm result;
  if (auto layerNorm = dyn_cast<graph::LayerNormOp>(norm)) {
    result.rms = false;
    result.epsilon = layerNorm.getEpsilon().convertToDouble();
    result.scaleLayout = param(layerNorm.getScale(), result.scale);
    if (Value bias = layerNorm.getBias()) {
      unsigned biasArg;
      result.biasLayout = param(bias, biasArg);
      result.bias = biasArg;
    }
    return result;
  }
  auto rmsNorm = cast<graph::RmsNormOp>(norm);
  result.rms = true;
  result.epsilon = rmsNorm.getEpsilon().convertToDouble();
  result.scaleLayout = param(rmsNorm.getScale(), result.scale);
  return result;
}
