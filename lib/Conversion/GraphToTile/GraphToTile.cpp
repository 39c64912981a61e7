//===- GraphToTile.cpp - Lower graph ops to tile kernels ------------------===//
//
// Every graph op becomes one tile kernel and one launch (ScatterND two; no
// fusion yet). The kernels follow a few shapes:
//   - pointwise: one program per block of result elements, each element's
//     coordinates recovered from its linear index; covers elementwise math,
//     broadcasting, casts, transposes, slices, concatenation, gathers
//     (Gather, GatherElements, GatherND), trilu;
//   - scatters (ScatterND): a copy of the input, then one program per block
//     of a slice, each walking every index tuple in order;
//   - row-wise: one program per block of rows, a loop over the row in chunks;
//     covers reductions, softmax, layernorm and rmsnorm;
//   - matrix products: one program per output tile, a loop over K with
//     `tile.dot`.
// Every access is masked, so any shape works, however ragged.
//
//===----------------------------------------------------------------------===//

#include "meld/Conversion/Passes.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

namespace meld {
#define GEN_PASS_DEF_CONVERTGRAPHTOTILE
#include "meld/Conversion/Passes.h.inc"
} // namespace meld

using namespace mlir;
using namespace meld;

namespace {

using Shape = SmallVector<int64_t>;

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Splat constants up to this size are read-only globals in the artifact;
/// larger ones are filled by a kernel.
constexpr int64_t kMaxSplatGlobalBytes = 64 << 10;

/// The flat buffer type holding a tensor of `type`.
static MemRefType bufferType(RankedTensorType type) {
  return MemRefType::get({std::max<int64_t>(type.getNumElements(), 1)},
                         type.getElementType());
}

//===----------------------------------------------------------------------===//
// TileBuilder: tile arithmetic inside a kernel body
//===----------------------------------------------------------------------===//

/// Builds tile values in a kernel body; every tile of one builder has `shape`
/// unless a method says otherwise.
struct TileBuilder {
  OpBuilder &b;
  Location loc;
  Shape shape;

  RankedTensorType tileType(Type element) const {
    return RankedTensorType::get(shape, element);
  }
  Value constant(Attribute value) const {
    auto typed = cast<TypedAttr>(value);
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(tileType(typed.getType()), typed));
  }
  Value index(int64_t value) const { return constant(b.getIndexAttr(value)); }
  Value floatConst(Type type, double value) const {
    return constant(b.getFloatAttr(type, value));
  }
  Value scalarIndex(int64_t value) const {
    return arith::ConstantIndexOp::create(b, loc, value);
  }
  Value splat(Value scalar) const {
    return tensor::SplatOp::create(b, loc, tileType(scalar.getType()), scalar);
  }
  Value iota(int64_t dim) const {
    return tile::IotaOp::create(b, loc, tileType(b.getIndexType()),
                                b.getI64IntegerAttr(dim));
  }
  Value add(Value x, Value y) const {
    return arith::AddIOp::create(b, loc, x, y);
  }
  Value mul(Value x, int64_t c) const {
    if (c == 1)
      return x;
    return arith::MulIOp::create(b, loc, x, index(c));
  }
  Value div(Value x, int64_t c) const {
    if (c == 1)
      return x;
    return arith::DivUIOp::create(b, loc, x, index(c));
  }
  Value rem(Value x, int64_t c) const {
    return arith::RemUIOp::create(b, loc, x, index(c));
  }
  Value lessThan(Value x, int64_t c) const {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x,
                                 index(c));
  }
  Value inRange(Value x, int64_t lo, int64_t hi) const {
    Value geLo = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, x,
                                       index(lo));
    return both(geLo, lessThan(x, hi));
  }
  Value both(Value x, Value y) const {
    if (!x)
      return y;
    if (!y)
      return x;
    return arith::AndIOp::create(b, loc, x, y);
  }
  Value load(Value buffer, Value offsets, Value mask) const {
    auto element = cast<MemRefType>(buffer.getType()).getElementType();
    Value other = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
    return tile::LoadOp::create(b, loc, tileType(element), buffer, offsets,
                                mask, other);
  }
  void store(Value value, Value buffer, Value offsets, Value mask) const {
    tile::StoreOp::create(b, loc, value, buffer, offsets, mask);
  }
  /// The linear offset into a row-major tensor of `sourceShape` of the element
  /// that numpy broadcasting maps to result coordinates `coords`.
  Value broadcastOffset(ArrayRef<Value> coords,
                        ArrayRef<int64_t> sourceShape) const {
    Shape strides = computeStrides(sourceShape);
    int64_t lead = coords.size() - sourceShape.size();
    Value offset;
    for (auto [d, size] : llvm::enumerate(sourceShape)) {
      if (size == 1)
        continue;
      Value term = mul(coords[d + lead], strides[d]);
      offset = offset ? add(offset, term) : term;
    }
    return offset ? offset : index(0);
  }
  /// Splits linear indices `linear` of a row-major `shape` into coordinates.
  SmallVector<Value> delinearize(Value linear, ArrayRef<int64_t> of) const {
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
};

//===----------------------------------------------------------------------===//
// The conversion
//===----------------------------------------------------------------------===//

/// Where a kernel reads a pointwise result element from: given the result
/// coordinates and mask, returns the result tile.
using PointwiseBody = llvm::function_ref<Value(
    const TileBuilder &, ArrayRef<Value> args, ArrayRef<Value> coords,
    Value mask)>;

/// An index checked against its axis: the index wrapped into [0, size) as
/// an index tile (0 where it is out of range), and where it may be used (the
/// mask without the out-of-range elements).
struct IndexCheck {
  Value index, valid;
};

class Lowering {
public:
  Lowering(ModuleOp module, func::FuncOp main,
           const ConvertGraphToTileOptions &options)
      : module(module), main(main), options(options),
        symbols(module) {}

  LogicalResult run();

private:
  /// Creates an empty kernel named after `op` taking `buffers`, with `grid`,
  /// launches it from the host, and returns a builder positioned in its body.
  tile::KernelOp createKernel(Operation *op, StringRef name,
                              ValueRange buffers, ArrayRef<int64_t> grid);

  void emitPointwise(Operation *op, StringRef name, ValueRange inputs,
                     Value output, RankedTensorType resultType,
                     PointwiseBody body);
  LogicalResult lowerOp(Operation *op);
  LogicalResult lowerElementwise(Operation *op);
  void lowerTranspose(graph::TransposeOp op);
  void lowerSlice(Operation *op, StringRef name, Value input, Value output,
                  ArrayRef<int64_t> starts, ArrayRef<int64_t> steps,
                  RankedTensorType resultType);
  void lowerConcat(graph::ConcatOp op);
  void lowerGather(graph::GatherOp op);
  void lowerGatherElements(graph::GatherElementsOp op);
  void lowerGatherND(graph::GatherNDOp op);
  void lowerScatterND(graph::ScatterNDOp op);
  void lowerTrilu(graph::TriluOp op);
  void lowerCopy(Operation *op, Value from, Value to, RankedTensorType type);
  void emitRowKernel(Operation *op, StringRef name, ValueRange buffers,
                     const struct RowProblem &p, Type element,
                     llvm::function_ref<void(const struct RowKernel &)> body);
  void lowerReduce(Operation *op, tile::ReduceKind kind, bool mean);
  void lowerSoftmax(graph::SoftmaxOp op);
  void lowerNorm(Operation *op, Value input, Value scale, Value bias,
                 int64_t axis, float epsilon, bool rms);
  void emitMatmul(Operation *op, Value a, Value b, Value c, Value output,
                  const struct MatmulProblem &p);
  void lowerMatmul(graph::MatmulOp op);
  void lowerGemm(graph::GemmOp op);

  /// The run's fault status buffer (`tile.fault_status`), made on first use:
  /// kernels that can meet a fault in their data take it as an argument.
  Value faultStatus();
  /// Records a data fault in `status` (a kernel argument) where `violations`
  /// holds, with `detail` (an integer tile) and `message` (`{}`: the detail)
  /// for the artifact's fault table. Each call is a new fault site.
  void emitFault(const TileBuilder &t, Value status, Value violations,
                 Value detail, const Twine &message);
  /// Checks a tile of indices `raw` (i32 or i64, loaded from the data) into
  /// an axis of `size` elements, described by `message` ("axis 0"): records
  /// a fault where an index lies outside [-size, size) and `mask` holds.
  IndexCheck checkIndex(const TileBuilder &t, Value status, Value raw,
                        int64_t size, Value mask, const Twine &message);

  /// The buffer of graph value `v`.
  Value bufferOf(Value v);
  /// The buffer a result is written to: the output argument when the value is
  /// one of the model's outputs, a fresh allocation otherwise.
  Value allocFor(Value v);

  ModuleOp module;
  func::FuncOp main;
  const ConvertGraphToTileOptions &options;
  SymbolTable symbols;
  OpBuilder host{main.getContext()};
  DenseMap<Value, Value> buffers;
  DenseMap<Value, Value> outputBuffers;
  unsigned constantCounter = 0;
  Value status;
  int32_t nextFaultSite = 1;
};

tile::KernelOp Lowering::createKernel(Operation *op, StringRef name,
                                      ValueRange kernelBuffers,
                                      ArrayRef<int64_t> grid) {
  OpBuilder b(module.getContext());
  b.setInsertionPoint(main);
  auto type = b.getFunctionType(TypeRange(kernelBuffers), {});
  auto kernel = tile::KernelOp::create(b, op->getLoc(), name, type, grid);
  symbols.insert(kernel); // Renames on collision.
  b.setInsertionPointToEnd(&kernel.getBody().front());
  tile::ReturnOp::create(b, op->getLoc());
  tile::LaunchOp::create(host, op->getLoc(),
                         FlatSymbolRefAttr::get(kernel.getSymNameAttr()),
                         kernelBuffers);
  return kernel;
}

Value Lowering::bufferOf(Value v) {
  if (Value buffer = buffers.lookup(v))
    return buffer;
  auto constant = v.getDefiningOp<graph::ConstantOp>();
  assert(constant && "value used before its producer was lowered");
  auto type = cast<RankedTensorType>(constant.getType());
  // A large splat (a ConstantOfShape, say) is written by a kernel where it is
  // needed: its bytes never enter the artifact, nor the compiler's memory.
  if (auto splat = dyn_cast<SplatElementsAttr>(constant.getValue());
      splat && type.getNumElements() *
                       std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1) >
                   kMaxSplatGlobalBytes) {
    Value output = allocFor(v);
    Attribute value = splat.getSplatValue<Attribute>();
    emitPointwise(constant, "fill", {}, output, type,
                  [&](const TileBuilder &t, ArrayRef<Value>, ArrayRef<Value>,
                      Value) { return t.constant(value); });
    buffers[v] = output;
    return output;
  }
  // A constant's buffer: a read-only global, created before the kernels.
  std::string name = "__meld_constant_" + std::to_string(constantCounter++);
  OpBuilder b(main);
  MemRefType memType = bufferType(type);
  auto dense = cast<DenseElementsAttr>(constant.getValue())
                   .reshape(RankedTensorType::get(memType.getShape(),
                                                  type.getElementType()));
  auto global = memref::GlobalOp::create(
      b, constant.getLoc(), name, b.getStringAttr("private"), memType, dense,
      /*constant=*/true, /*alignment=*/IntegerAttr());
  symbols.insert(global);
  OpBuilder::InsertionGuard guard(host);
  host.setInsertionPointToStart(host.getInsertionBlock());
  Value buffer = memref::GetGlobalOp::create(host, constant.getLoc(), memType,
                                             global.getSymName());
  buffers[v] = buffer;
  return buffer;
}

Value Lowering::faultStatus() {
  if (status)
    return status;
  OpBuilder::InsertionGuard guard(host);
  host.setInsertionPointToStart(host.getInsertionBlock());
  status = tile::FaultStatusOp::create(host, main.getLoc(),
                                       MemRefType::get({3}, host.getI64Type()));
  return status;
}

void Lowering::emitFault(const TileBuilder &t, Value status, Value violations,
                         Value detail, const Twine &message) {
  Type detailType = getElementTypeOrSelf(detail.getType());
  if (!detailType.isInteger(64))
    detail = arith::ExtSIOp::create(t.b, t.loc, t.tileType(t.b.getI64Type()),
                                    detail);
  tile::FaultOp::create(t.b, t.loc, violations, detail, status,
                        t.b.getI32IntegerAttr(nextFaultSite++),
                        t.b.getStringAttr(message));
}

Value Lowering::allocFor(Value v) {
  if (Value out = outputBuffers.lookup(v)) {
    outputBuffers.erase(v); // A second use of the same output copies.
    return out;
  }
  auto type = bufferType(cast<RankedTensorType>(v.getType()));
  return memref::AllocOp::create(host, v.getLoc(), type);
}

void Lowering::emitPointwise(Operation *op, StringRef name, ValueRange inputs,
                             Value output, RankedTensorType resultType,
                             PointwiseBody body) {
  int64_t n = resultType.getNumElements();
  if (n == 0)
    return;
  int64_t block = std::min<int64_t>(options.blockElements,
                                    llvm::PowerOf2Ceil(n));
  SmallVector<Value> kernelBuffers(inputs);
  kernelBuffers.push_back(output);
  tile::KernelOp kernel =
      createKernel(op, name, kernelBuffers, {ceilDiv(n, block)});
  OpBuilder b(kernel.getBody().front().getTerminator());
  TileBuilder t{b, op->getLoc(), {block}};
  Value pid = tile::ProgramIdOp::create(b, t.loc, b.getIndexType(),
                                        b.getI64IntegerAttr(0));
  Value base = arith::MulIOp::create(b, t.loc, pid, t.scalarIndex(block));
  Value linear = t.add(t.splat(base), t.iota(0));
  Value mask = t.lessThan(linear, n);
  SmallVector<Value> coords = t.delinearize(linear, resultType.getShape());
  SmallVector<Value> args(kernel.getBody().front().getArguments());
  Value result = body(t, ArrayRef(args).drop_back(), coords, mask);
  t.store(result, args.back(), linear, mask);
}

LogicalResult Lowering::lowerElementwise(Operation *op) {
  auto elementwise = dyn_cast<graph::ElementwiseOpInterface>(op);
  if (!elementwise)
    return op->emitOpError("has no tile lowering");
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  // Splat constants become tile constants in the kernel; the other operands
  // are loaded from their buffers.
  auto splatOf = [](Value operand) -> Attribute {
    auto constant = operand.getDefiningOp<graph::ConstantOp>();
    auto splat =
        constant ? dyn_cast<SplatElementsAttr>(constant.getValue()) : nullptr;
    return splat ? splat.getSplatValue<Attribute>() : Attribute();
  };
  // An integer division can meet a zero divisor: a fault in the data at run
  // time, refused here when the divisor is a constant.
  auto div = dyn_cast<graph::DivOp>(op);
  bool integerDivision = div && !isa<FloatType>(resultType.getElementType());
  if (integerDivision)
    if (std::optional<int64_t> zero = div.getConstantZeroDivisor())
      return op->emitError("integer division by zero: the divisor is a "
                           "constant whose element ")
             << *zero << " is 0";
  SmallVector<Value> inputs;
  for (Value operand : op->getOperands())
    if (!splatOf(operand))
      inputs.push_back(bufferOf(operand));
  if (integerDivision)
    inputs.push_back(faultStatus());
  Value output = allocFor(op->getResult(0));
  emitPointwise(
      op, op->getName().stripDialect(), inputs, output, resultType,
      [&](const TileBuilder &t, ArrayRef<Value> args, ArrayRef<Value> coords,
          Value mask) {
        SmallVector<Value> tiles;
        const Value *arg = args.begin();
        for (Value operand : op->getOperands()) {
          if (Attribute splat = splatOf(operand)) {
            tiles.push_back(t.constant(splat));
            continue;
          }
          auto shape = cast<RankedTensorType>(operand.getType()).getShape();
          tiles.push_back(
              t.load(*arg++, t.broadcastOffset(coords, shape), mask));
        }
        if (integerDivision) {
          // The detail is the result element's row-major position.
          Type element = resultType.getElementType();
          Value isZero = arith::CmpIOp::create(
              t.b, t.loc, arith::CmpIPredicate::eq, tiles[1],
              t.constant(t.b.getIntegerAttr(element, 0)));
          Value position = t.broadcastOffset(coords, resultType.getShape());
          emitFault(t, args.back(), t.both(mask, isZero),
                    arith::IndexCastOp::create(
                        t.b, t.loc, t.tileType(t.b.getI64Type()), position),
                    "integer division by zero at result element {} "
                    "(row-major, of " +
                        Twine(resultType.getNumElements()) + ")");
        }
        return elementwise.buildTileMath(t.b, t.loc, tiles);
      });
  buffers[op->getResult(0)] = output;
  return success();
}

void Lowering::lowerCopy(Operation *op, Value from, Value to,
                         RankedTensorType type) {
  emitPointwise(op, "copy", {from}, to, type,
                [&](const TileBuilder &t, ArrayRef<Value> args,
                    ArrayRef<Value> coords, Value mask) {
                  Value offsets = t.broadcastOffset(coords, type.getShape());
                  return t.load(args[0], offsets, mask);
                });
}

void Lowering::lowerTranspose(graph::TransposeOp op) {
  auto inputShape =
      cast<RankedTensorType>(op.getInput().getType()).getShape();
  Shape strides = computeStrides(inputShape);
  ArrayRef<int64_t> perm = op.getPermutation();
  Value output = allocFor(op.getResult());
  emitPointwise(op, "transpose", {bufferOf(op.getInput())}, output,
                op.getType(),
                [&](const TileBuilder &t, ArrayRef<Value> args,
                    ArrayRef<Value> coords, Value mask) {
                  Value offset = t.index(0);
                  for (auto [d, source] : llvm::enumerate(perm))
                    offset = t.add(offset, t.mul(coords[d], strides[source]));
                  return t.load(args[0], offset, mask);
                });
  buffers[op.getResult()] = output;
}

/// A strided window of `op`'s first operand: result element `i` reads input
/// element `starts + i * steps` in every dimension. Slices and split pieces.
void Lowering::lowerSlice(Operation *op, StringRef name, Value input,
                          Value output,
                          ArrayRef<int64_t> starts, ArrayRef<int64_t> steps,
                          RankedTensorType resultType) {
  Shape inputShape(
      cast<RankedTensorType>(op->getOperand(0).getType()).getShape());
  Shape strides = computeStrides(inputShape);
  emitPointwise(op, name, {input}, output, resultType,
                [&](const TileBuilder &t, ArrayRef<Value> args,
                    ArrayRef<Value> coords, Value mask) {
                  // offset = sum((start + i * step) * stride), folded into
                  // one constant plus sum(i * step * stride).
                  int64_t constant = 0;
                  Value offset;
                  for (auto [d, c] : llvm::enumerate(coords)) {
                    constant += starts[d] * strides[d];
                    int64_t scale = steps[d] * strides[d];
                    Value term =
                        scale >= 0
                            ? t.mul(c, scale)
                            : Value(arith::SubIOp::create(
                                  t.b, t.loc, t.index(0), t.mul(c, -scale)));
                    offset = offset ? t.add(offset, term) : term;
                  }
                  offset = t.add(offset, t.index(constant));
                  return t.load(args[0], offset, mask);
                });
}

void Lowering::lowerConcat(graph::ConcatOp op) {
  RankedTensorType type = op.getType();
  int64_t axis = op.getAxis();
  SmallVector<Value> inputs;
  for (Value in : op.getInputs())
    inputs.push_back(bufferOf(in));
  Value output = allocFor(op.getResult());
  emitPointwise(
      op, "concat", inputs, output, type,
      [&](const TileBuilder &t, ArrayRef<Value> args, ArrayRef<Value> coords,
          Value mask) {
        Value result;
        int64_t begin = 0;
        for (auto [arg, in] : llvm::zip_equal(args, op.getInputs())) {
          auto shape = cast<RankedTensorType>(in.getType()).getShape();
          int64_t end = begin + shape[axis];
          Value inside = t.both(mask, t.inRange(coords[axis], begin, end));
          SmallVector<Value> local(coords);
          local[axis] = arith::SubIOp::create(t.b, t.loc, coords[axis],
                                              t.index(begin));
          Shape strides = computeStrides(shape);
          Value offset = t.index(0);
          for (auto [d, c] : llvm::enumerate(local))
            offset = t.add(offset, t.mul(c, strides[d]));
          Value part = t.load(arg, offset, inside);
          result = result ? Value(arith::SelectOp::create(t.b, t.loc, inside,
                                                          part, result))
                          : part;
          begin = end;
        }
        return result;
      });
  buffers[op.getResult()] = output;
}

IndexCheck Lowering::checkIndex(const TileBuilder &t, Value status, Value raw,
                                int64_t size, Value mask,
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

void Lowering::lowerGather(graph::GatherOp op) {
  auto inputShape =
      cast<RankedTensorType>(op.getInput().getType()).getShape();
  auto indicesShape =
      cast<RankedTensorType>(op.getIndices().getType()).getShape();
  int64_t axis = op.getAxis(), axisSize = inputShape[axis];
  int64_t indexRank = indicesShape.size();
  Shape inputStrides = computeStrides(inputShape);
  Shape indexStrides = computeStrides(indicesShape);
  Value output = allocFor(op.getResult());
  emitPointwise(
      op, "gather",
      {bufferOf(op.getInput()), bufferOf(op.getIndices()), faultStatus()},
      output, op.getType(),
      [&](const TileBuilder &t, ArrayRef<Value> args, ArrayRef<Value> coords,
          Value mask) {
        Value position = t.index(0);
        for (int64_t d = 0; d < indexRank; ++d)
          position = t.add(position, t.mul(coords[axis + d], indexStrides[d]));
        Value raw = t.load(args[1], position, mask);
        IndexCheck index =
            checkIndex(t, args[2], raw, axisSize, mask, "axis " + Twine(axis));
        Value offset = t.mul(index.index, inputStrides[axis]);
        for (int64_t d = 0; d < axis; ++d)
          offset = t.add(offset, t.mul(coords[d], inputStrides[d]));
        for (int64_t d = axis + 1; d < static_cast<int64_t>(inputShape.size());
             ++d)
          offset = t.add(offset,
                         t.mul(coords[d + indexRank - 1], inputStrides[d]));
        return t.load(args[0], offset, index.valid);
      });
  buffers[op.getResult()] = output;
}

//===----------------------------------------------------------------------===//
// Data-indexed ops: GatherElements, GatherND, ScatterND
//===----------------------------------------------------------------------===//

void Lowering::lowerGatherElements(graph::GatherElementsOp op) {
  auto inputShape = cast<RankedTensorType>(op.getInput().getType()).getShape();
  auto indicesShape =
      cast<RankedTensorType>(op.getIndices().getType()).getShape();
  int64_t axis = op.getAxis();
  Shape inputStrides = computeStrides(inputShape);
  Value output = allocFor(op.getResult());
  emitPointwise(
      op, "gather_elements",
      {bufferOf(op.getInput()), bufferOf(op.getIndices()), faultStatus()},
      output, op.getType(),
      [&](const TileBuilder &t, ArrayRef<Value> args, ArrayRef<Value> coords,
          Value mask) {
        // The result has the indices' shape: element c reads index c.
        Value raw =
            t.load(args[1], t.broadcastOffset(coords, indicesShape), mask);
        IndexCheck index = checkIndex(t, args[2], raw, inputShape[axis], mask,
                                      "axis " + Twine(axis));
        Value offset = t.mul(index.index, inputStrides[axis]);
        for (auto [d, c] : llvm::enumerate(coords))
          if (static_cast<int64_t>(d) != axis)
            offset = t.add(offset, t.mul(c, inputStrides[d]));
        return t.load(args[0], offset, index.valid);
      });
  buffers[op.getResult()] = output;
}

void Lowering::lowerGatherND(graph::GatherNDOp op) {
  auto inputShape = cast<RankedTensorType>(op.getInput().getType()).getShape();
  auto indicesShape =
      cast<RankedTensorType>(op.getIndices().getType()).getShape();
  int64_t batch = op.getBatchDims(), k = indicesShape.back();
  int64_t tuples = indicesShape.size() - 1;
  ArrayRef<int64_t> tupleShape = indicesShape.drop_back();
  Shape inputStrides = computeStrides(inputShape);
  Value output = allocFor(op.getResult());
  emitPointwise(
      op, "gather_nd",
      {bufferOf(op.getInput()), bufferOf(op.getIndices()), faultStatus()},
      output, op.getType(),
      [&](const TileBuilder &t, ArrayRef<Value> args, ArrayRef<Value> coords,
          Value mask) {
        // The first dimensions of the result pick the tuple (the batch
        // dimensions among them), the others the element of its slice.
        Value tuple =
            t.mul(t.broadcastOffset(coords.take_front(tuples), tupleShape), k);
        Value offset = t.index(0);
        for (int64_t d = 0; d < batch; ++d)
          offset = t.add(offset, t.mul(coords[d], inputStrides[d]));
        Value valid = mask;
        for (int64_t j = 0; j < k; ++j) {
          Value raw = t.load(args[1], t.add(tuple, t.index(j)), mask);
          IndexCheck index = checkIndex(t, args[2], raw, inputShape[batch + j],
                                        mask, "axis " + Twine(batch + j));
          offset = t.add(offset, t.mul(index.index, inputStrides[batch + j]));
          valid = t.both(valid, index.valid);
        }
        for (int64_t d = batch + k, e = inputShape.size(); d < e; ++d)
          offset = t.add(
              offset, t.mul(coords[tuples + d - batch - k], inputStrides[d]));
        return t.load(args[0], offset, valid);
      });
  buffers[op.getResult()] = output;
}

void Lowering::lowerScatterND(graph::ScatterNDOp op) {
  RankedTensorType type = op.getType();
  auto indicesShape =
      cast<RankedTensorType>(op.getIndices().getType()).getShape();
  int64_t k = indicesShape.back();
  int64_t updates = computeProduct(indicesShape.drop_back());
  int64_t slice = computeProduct(type.getShape().drop_front(k));
  Shape strides = computeStrides(type.getShape());
  Value output = allocFor(op.getResult());
  buffers[op.getResult()] = output;
  // The result starts as a copy of the input; then one kernel applies the
  // updates. Its programs split a slice between them and each walks every
  // index tuple in order, so an element is only ever updated by one program,
  // in the order of the tuples: equal tuples apply one after the other (the
  // last wins under `none`, the reductions accumulate), with no atomics.
  lowerCopy(op, bufferOf(op.getInput()), output, type);
  if (updates == 0 || slice == 0)
    return;
  int64_t block =
      std::min<int64_t>(options.blockElements, llvm::PowerOf2Ceil(slice));
  tile::KernelOp kernel =
      createKernel(op, "scatter_nd",
                   {bufferOf(op.getIndices()), bufferOf(op.getUpdates()),
                    faultStatus(), output},
                   {ceilDiv(slice, block)});
  OpBuilder b(kernel.getBody().front().getTerminator());
  Location loc = op.getLoc();
  SmallVector<Value> args(kernel.getBody().front().getArguments());
  TileBuilder t{b, loc, {block}};
  Value pid = tile::ProgramIdOp::create(b, loc, b.getIndexType(),
                                        b.getI64IntegerAttr(0));
  Value first = arith::MulIOp::create(b, loc, pid, t.scalarIndex(block));
  Value element = t.add(t.splat(first), t.iota(0));
  Value inSlice = t.lessThan(element, slice);
  graph::ScatterReduction reduction = op.getReduction();
  scf::ForOp::create(
      b, loc, t.scalarIndex(0), t.scalarIndex(updates), t.scalarIndex(1),
      ValueRange{}, [&](OpBuilder &nb, Location l, Value i, ValueRange) {
        TileBuilder ti{nb, l, {block}};
        Value tuple = arith::MulIOp::create(nb, l, i, ti.scalarIndex(k));
        Value offset = element, valid = inSlice;
        for (int64_t j = 0; j < k; ++j) {
          Value at = arith::AddIOp::create(nb, l, tuple, ti.scalarIndex(j));
          Value raw = ti.load(args[0], ti.splat(at), inSlice);
          IndexCheck index = checkIndex(ti, args[2], raw, type.getDimSize(j),
                                        inSlice, "axis " + Twine(j));
          offset = ti.add(offset, ti.mul(index.index, strides[j]));
          valid = ti.both(valid, index.valid);
        }
        Value base = arith::MulIOp::create(nb, l, i, ti.scalarIndex(slice));
        Value value =
            ti.load(args[1], ti.add(ti.splat(base), element), inSlice);
        if (reduction != graph::ScatterReduction::none) {
          Value current = ti.load(args[3], offset, valid);
          bool isFloat = isa<FloatType>(type.getElementType());
          switch (reduction) {
          case graph::ScatterReduction::add:
            value = tile::buildReduceCombine(nb, l, tile::ReduceKind::sum,
                                             current, value);
            break;
          case graph::ScatterReduction::max:
            value = tile::buildReduceCombine(nb, l, tile::ReduceKind::max,
                                             current, value);
            break;
          case graph::ScatterReduction::min:
            value = tile::buildReduceCombine(nb, l, tile::ReduceKind::min,
                                             current, value);
            break;
          case graph::ScatterReduction::mul:
            value = isFloat
                        ? Value(arith::MulFOp::create(nb, l, current, value))
                        : Value(arith::MulIOp::create(nb, l, current, value));
            break;
          case graph::ScatterReduction::none:
            llvm_unreachable("handled above");
          }
        }
        ti.store(value, args[3], offset, valid);
        scf::YieldOp::create(nb, l);
      });
}

void Lowering::lowerTrilu(graph::TriluOp op) {
  RankedTensorType type = op.getType();
  int64_t rank = type.getRank(), k = op.getKAttr().getInt();
  bool upper = op.getUpper();
  Value output = allocFor(op.getResult());
  emitPointwise(
      op, "trilu", {bufferOf(op.getInput())}, output, type,
      [&](const TileBuilder &t, ArrayRef<Value> args, ArrayRef<Value> coords,
          Value mask) {
        OpBuilder &b = t.b;
        Value x = t.load(args[0], t.broadcastOffset(coords, type.getShape()),
                         mask);
        // keep = upper ? col - row >= k : col - row <= k, in index arithmetic:
        // upper: col + (-k) >= row; lower: col <= row + k.
        auto toI64 = [&](Value v) {
          return arith::IndexCastOp::create(b, t.loc,
                                            t.tileType(b.getI64Type()), v);
        };
        Value row = toI64(coords[rank - 2]), col = toI64(coords[rank - 1]);
        Value diff = arith::SubIOp::create(b, t.loc, col, row);
        Value kTile = t.constant(b.getI64IntegerAttr(k));
        Value keep = arith::CmpIOp::create(
            b, t.loc,
            upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle, diff,
            kTile);
        Value zero = t.constant(b.getZeroAttr(type.getElementType()));
        return arith::SelectOp::create(b, t.loc, keep, x, zero);
      });
  buffers[op.getResult()] = output;
}

//===----------------------------------------------------------------------===//
// Row-wise kernels: reductions and normalizations
//===----------------------------------------------------------------------===//

/// A row-wise problem: `rows` independent rows of `length` elements; element
/// `j` of row `r` is at `rowOffset(r) + elementOffset(j)` in the input.
struct RowProblem {
  int64_t rows, length;
  Shape rowShape, rowStrides;         // Coordinates of a row in the input.
  Shape elementShape, elementStrides; // Coordinates of an element in a row.
};

/// Splits `shape` into rows (the dimensions not in `reduced`) and elements (the
/// dimensions in `reduced`).
static RowProblem makeRowProblem(ArrayRef<int64_t> shape,
                                 ArrayRef<int64_t> reduced) {
  RowProblem p;
  Shape strides = computeStrides(shape);
  for (auto [d, size] : llvm::enumerate(shape)) {
    bool isReduced = llvm::is_contained(reduced, static_cast<int64_t>(d));
    (isReduced ? p.elementShape : p.rowShape).push_back(size);
    (isReduced ? p.elementStrides : p.rowStrides).push_back(strides[d]);
  }
  p.rows = computeProduct(p.rowShape);
  p.length = computeProduct(p.elementShape);
  return p;
}

/// One chunk of a program's rows: the offsets (shape [BM, BR]) of elements
/// `j0 + [0, BR)`, their mask, and the elements' indices in the row.
struct Chunk {
  Value offsets, mask, cols;
};

/// The body of a row-wise kernel: one program per block of `bm` rows, each
/// row walked in chunks of `br` elements.
struct RowKernel {
  const RowProblem &p;
  int64_t bm, br;
  Type element;
  ArrayRef<Value> args;
  TileBuilder rows;   // Tiles of shape [BM].
  TileBuilder chunks; // Tiles of shape [BM, BR].
  Value rowIds;       // [BM, BR]: the row of every element of a chunk.
  Value rowMask;      // [BM, BR]: the row exists.
  Value firstRow;     // The program's first row: program id * BM.

  /// Emits `for j0 in [0, length) step BR` carrying `init`; `body` returns the
  /// new carried values from the current ones and the chunk.
  ValueRange forEachChunk(
      ValueRange init,
      llvm::function_ref<SmallVector<Value>(const TileBuilder &, ValueRange,
                                            const Chunk &)>
          body) const {
    OpBuilder &b = chunks.b;
    auto loop = scf::ForOp::create(
        b, chunks.loc, chunks.scalarIndex(0), chunks.scalarIndex(p.length),
        chunks.scalarIndex(br), init,
        [&](OpBuilder &nested, Location loc, Value j0, ValueRange carried) {
          TileBuilder t{nested, loc, chunks.shape};
          scf::YieldOp::create(nested, loc, body(t, carried, chunk(t, j0)));
        });
    return loop.getResults();
  }

  Chunk chunk(const TileBuilder &t, Value j0) const {
    Value cols = t.add(t.iota(1), t.splat(j0));
    Value offset = t.index(0);
    for (auto [c, stride] :
         llvm::zip_equal(t.delinearize(rowIds, p.rowShape), p.rowStrides))
      offset = t.add(offset, t.mul(c, stride));
    for (auto [c, stride] : llvm::zip_equal(
             t.delinearize(cols, p.elementShape), p.elementStrides))
      offset = t.add(offset, t.mul(c, stride));
    return {offset, t.both(rowMask, t.lessThan(cols, p.length)), cols};
  }

  /// Loads a chunk of `buffer`, `other` where masked off.
  Value load(const TileBuilder &t, Value buffer, const Chunk &c,
             TypedAttr other) const {
    Value padding = arith::ConstantOp::create(t.b, t.loc, other);
    return tile::LoadOp::create(t.b, t.loc, t.tileType(element), buffer,
                                c.offsets, c.mask, padding);
  }
  /// Reduces a chunk to one value per row.
  Value reduce(const TileBuilder &t, tile::ReduceKind kind, Value x) const {
    return tile::ReduceOp::create(
        t.b, t.loc, RankedTensorType::get({bm}, element),
        tile::ReduceKindAttr::get(t.b.getContext(), kind), x,
        t.b.getI64IntegerAttr(1));
  }
  /// Repeats one value per row over a chunk.
  Value broadcast(const TileBuilder &t, Value perRow) const {
    return tile::BroadcastOp::create(t.b, t.loc, t.tileType(element), perRow,
                                     t.b.getDenseI64ArrayAttr({1}));
  }
  /// Writes one value per row to `buffer` at the row's index.
  void storeRows(Value value, Value buffer) const {
    Value ids = rows.add(rows.splat(firstRow), rows.iota(0));
    rows.store(value, buffer, ids, rows.lessThan(ids, p.rows));
  }
};

void Lowering::emitRowKernel(Operation *op, StringRef name,
                             ValueRange kernelBuffers, const RowProblem &p,
                             Type element,
                             llvm::function_ref<void(const RowKernel &)> body) {
  if (p.rows == 0)
    return;
  int64_t br = std::min<int64_t>(
      llvm::PowerOf2Ceil(std::max<int64_t>(p.length, 1)), 256);
  int64_t bm = std::max<int64_t>(
      1, std::min<int64_t>(options.blockElements / br,
                           llvm::PowerOf2Ceil(p.rows)));
  tile::KernelOp kernel =
      createKernel(op, name, kernelBuffers, {ceilDiv(p.rows, bm)});
  OpBuilder b(kernel.getBody().front().getTerminator());
  Location loc = op->getLoc();
  SmallVector<Value> args(kernel.getBody().front().getArguments());
  TileBuilder chunks{b, loc, {bm, br}};
  Value pid = tile::ProgramIdOp::create(b, loc, b.getIndexType(),
                                        b.getI64IntegerAttr(0));
  Value firstRow = arith::MulIOp::create(b, loc, pid, chunks.scalarIndex(bm));
  Value rowIds = chunks.add(chunks.splat(firstRow), chunks.iota(0));
  RowKernel kernelBody{p,      bm,     br,
                       element, args,  TileBuilder{b, loc, {bm}},
                       chunks, rowIds, chunks.lessThan(rowIds, p.rows),
                       firstRow};
  body(kernelBody);
}

void Lowering::lowerReduce(Operation *op, tile::ReduceKind kind, bool mean) {
  Value input = op->getOperand(0);
  auto inputType = cast<RankedTensorType>(input.getType());
  auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
  RowProblem p = makeRowProblem(inputType.getShape(), axes);
  Type element = inputType.getElementType();
  Value output = allocFor(op->getResult(0));
  buffers[op->getResult(0)] = output;
  emitRowKernel(
      op, op->getName().stripDialect(), {bufferOf(input), output}, p, element,
      [&](const RowKernel &k) {
        TypedAttr identity =
            tile::getReduceIdentity(k.rows.b, kind, element);
        Value acc = k.forEachChunk(
            {k.rows.constant(identity)},
            [&](const TileBuilder &t, ValueRange carried,
                const Chunk &c) -> SmallVector<Value> {
              Value x = k.load(t, k.args[0], c, identity);
              return {tile::buildReduceCombine(t.b, t.loc, kind, carried[0],
                                               k.reduce(t, kind, x))};
            })[0];
        if (mean)
          acc = arith::DivFOp::create(
              k.rows.b, k.rows.loc, acc,
              k.rows.floatConst(element, static_cast<double>(p.length)));
        k.storeRows(acc, k.args[1]);
      });
}

void Lowering::lowerSoftmax(graph::SoftmaxOp op) {
  RankedTensorType type = op.getType();
  RowProblem p =
      makeRowProblem(type.getShape(), {static_cast<int64_t>(op.getAxis())});
  Type element = type.getElementType();
  Value output = allocFor(op.getResult());
  buffers[op.getResult()] = output;
  if (p.length == 0)
    return;
  emitRowKernel(
      op, "softmax", {bufferOf(op.getInput()), output}, p, element,
      [&](const RowKernel &k) {
        TypedAttr negInf = k.rows.b.getFloatAttr(
            element, -std::numeric_limits<double>::infinity());
        // Pass 1: the row maxima.
        Value maxima =
            k.forEachChunk({k.rows.constant(negInf)},
                           [&](const TileBuilder &t, ValueRange carried,
                               const Chunk &c) -> SmallVector<Value> {
                             Value x = k.load(t, k.args[0], c, negInf);
                             return {arith::MaximumFOp::create(
                                 t.b, t.loc, carried[0],
                                 k.reduce(t, tile::ReduceKind::max, x))};
                           })[0];
        // exp(x - max); masked-off elements load -inf and contribute 0.
        auto shifted = [&](const TileBuilder &t, const Chunk &c) -> Value {
          Value x = k.load(t, k.args[0], c, negInf);
          return math::ExpOp::create(
              t.b, t.loc,
              arith::SubFOp::create(t.b, t.loc, x, k.broadcast(t, maxima)));
        };
        // Pass 2: the sums of exp(x - max).
        Value sums =
            k.forEachChunk({k.rows.floatConst(element, 0.0)},
                           [&](const TileBuilder &t, ValueRange carried,
                               const Chunk &c) -> SmallVector<Value> {
                             return {arith::AddFOp::create(
                                 t.b, t.loc, carried[0],
                                 k.reduce(t, tile::ReduceKind::sum,
                                          shifted(t, c)))};
                           })[0];
        // Pass 3: write exp(x - max) / sum.
        k.forEachChunk({}, [&](const TileBuilder &t, ValueRange,
                               const Chunk &c) -> SmallVector<Value> {
          Value y = arith::DivFOp::create(t.b, t.loc, shifted(t, c),
                                          k.broadcast(t, sums));
          t.store(y, k.args[1], c.offsets, c.mask);
          return {};
        });
      });
}

void Lowering::lowerNorm(Operation *op, Value input, Value scale, Value bias,
                         int64_t axis, float epsilon, bool rms) {
  auto type = cast<RankedTensorType>(input.getType());
  Shape normalizedDims;
  for (int64_t d = axis; d < type.getRank(); ++d)
    normalizedDims.push_back(d);
  RowProblem p = makeRowProblem(type.getShape(), normalizedDims);
  Type element = type.getElementType();
  Value output = allocFor(op->getResult(0));
  buffers[op->getResult(0)] = output;
  if (p.length == 0)
    return;
  SmallVector<Value> kernelBuffers{bufferOf(input), bufferOf(scale)};
  if (bias)
    kernelBuffers.push_back(bufferOf(bias));
  kernelBuffers.push_back(output);
  auto scaleShape = cast<RankedTensorType>(scale.getType()).getShape();
  Shape biasShape;
  if (bias)
    biasShape = Shape(cast<RankedTensorType>(bias.getType()).getShape());
  emitRowKernel(
      op, rms ? "rmsnorm" : "layernorm", kernelBuffers, p, element,
      [&](const RowKernel &k) {
        TypedAttr zero = k.rows.b.getZeroAttr(element);
        Value invLength = k.rows.floatConst(
            element, 1.0 / static_cast<double>(p.length));
        // Sums over each row of `f(chunk)`, one value per row.
        auto rowSum = [&](llvm::function_ref<Value(const TileBuilder &,
                                                   const Chunk &, Value)>
                              f) {
          return k.forEachChunk(
              {k.rows.constant(zero)},
              [&](const TileBuilder &t, ValueRange carried,
                  const Chunk &c) -> SmallVector<Value> {
                Value x = f(t, c, k.load(t, k.args[0], c, zero));
                return {arith::AddFOp::create(
                    t.b, t.loc, carried[0],
                    k.reduce(t, tile::ReduceKind::sum, x))};
              })[0];
        };
        OpBuilder &b = k.rows.b;
        Location loc = k.rows.loc;
        Value mean;
        if (!rms)
          mean = arith::MulFOp::create(
              b, loc,
              rowSum([](const TileBuilder &, const Chunk &, Value x) {
                return x;
              }),
              invLength);
        // The mean of squares (of deviations from the mean, for layernorm);
        // masked-off elements must not count.
        Value squares =
            rowSum([&](const TileBuilder &t, const Chunk &c, Value x) -> Value {
              if (mean)
                x = arith::SelectOp::create(
                    t.b, t.loc, c.mask,
                    arith::SubFOp::create(t.b, t.loc, x, k.broadcast(t, mean)),
                    t.constant(zero));
              return arith::MulFOp::create(t.b, t.loc, x, x);
            });
        Value variance = arith::MulFOp::create(b, loc, squares, invLength);
        Value rstd = math::RsqrtOp::create(
            b, loc,
            arith::AddFOp::create(b, loc, variance,
                                  k.rows.floatConst(element, epsilon)));
        k.forEachChunk({}, [&](const TileBuilder &t, ValueRange,
                               const Chunk &c) -> SmallVector<Value> {
          Value x = k.load(t, k.args[0], c, zero);
          if (mean)
            x = arith::SubFOp::create(t.b, t.loc, x, k.broadcast(t, mean));
          Value y = arith::MulFOp::create(t.b, t.loc, x, k.broadcast(t, rstd));
          // The parameters broadcast over the normalized dimensions: index
          // them by the element's coordinates in the row.
          SmallVector<Value> coords = t.delinearize(c.cols, p.elementShape);
          Value g =
              t.load(k.args[1], t.broadcastOffset(coords, scaleShape), c.mask);
          y = arith::MulFOp::create(t.b, t.loc, y, g);
          if (bias) {
            Value beta =
                t.load(k.args[2], t.broadcastOffset(coords, biasShape), c.mask);
            y = arith::AddFOp::create(t.b, t.loc, y, beta);
          }
          t.store(y, k.args.back(), c.offsets, c.mask);
          return {};
        });
      });
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

/// A (batched) matrix product `out[b] = alpha * A[b] * B[b] + beta * C`, with
/// element (m, k) of A at `aBatch + m * aRow + k * aCol` and likewise for B.
struct MatmulProblem {
  int64_t m, n, k;
  Shape batchShape;               // Batch dimensions of the result.
  Shape aBatchShape, bBatchShape; // Batch dimensions of A and B (broadcast).
  int64_t aRow, aCol, bRow, bCol;
  double alpha = 1.0, beta = 1.0;
  Shape cShape; // Shape of C (broadcast to [m, n]); empty without C.
};

/// The offset of batch `batch` (a scalar linear index into the result's batch
/// dimensions) in an operand whose batch dimensions broadcast to them.
static Value batchOffset(OpBuilder &b, Location loc, Value batch,
                         ArrayRef<int64_t> resultBatch,
                         ArrayRef<int64_t> operandBatch, int64_t matrix) {
  Shape resultStrides = computeStrides(resultBatch);
  Shape operandStrides = computeStrides(operandBatch);
  int64_t lead = resultBatch.size() - operandBatch.size();
  Value offset = arith::ConstantIndexOp::create(b, loc, 0);
  for (auto [d, size] : llvm::enumerate(operandBatch)) {
    if (size == 1)
      continue;
    Value c = arith::DivUIOp::create(
        b, loc, batch,
        arith::ConstantIndexOp::create(b, loc, resultStrides[d + lead]));
    c = arith::RemUIOp::create(
        b, loc, c, arith::ConstantIndexOp::create(b, loc, resultBatch[d + lead]));
    offset = arith::AddIOp::create(
        b, loc, offset,
        arith::MulIOp::create(
            b, loc, c,
            arith::ConstantIndexOp::create(b, loc, operandStrides[d] * matrix)));
  }
  return offset;
}

void Lowering::emitMatmul(Operation *op, Value a, Value bMat, Value c,
                          Value output, const MatmulProblem &p) {
  int64_t batches = computeProduct(p.batchShape);
  if (batches == 0 || p.m == 0 || p.n == 0)
    return;
  int64_t bm = std::min<int64_t>(options.matmulTileM, llvm::PowerOf2Ceil(p.m));
  int64_t bn = std::min<int64_t>(options.matmulTileN, llvm::PowerOf2Ceil(p.n));
  int64_t bk = std::min<int64_t>(options.matmulTileK,
                                 llvm::PowerOf2Ceil(std::max<int64_t>(p.k, 1)));
  SmallVector<Value> kernelBuffers{a, bMat};
  if (c)
    kernelBuffers.push_back(c);
  kernelBuffers.push_back(output);
  tile::KernelOp kernel = createKernel(
      op, op->getName().stripDialect(), kernelBuffers,
      {ceilDiv(p.n, bn), ceilDiv(p.m, bm), batches});
  OpBuilder b(kernel.getBody().front().getTerminator());
  Location loc = op->getLoc();
  auto args = kernel.getBody().front().getArguments();
  Type element = cast<MemRefType>(output.getType()).getElementType();
  auto pid = [&](int64_t dim) {
    return tile::ProgramIdOp::create(b, loc, b.getIndexType(),
                                     b.getI64IntegerAttr(dim));
  };
  auto scaled = [&](Value v, int64_t c) -> Value {
    return arith::MulIOp::create(b, loc, v,
                                 arith::ConstantIndexOp::create(b, loc, c));
  };
  Value n0 = scaled(pid(0), bn), m0 = scaled(pid(1), bm), batch = pid(2);
  Value aBase = batchOffset(b, loc, batch, p.batchShape, p.aBatchShape,
                            p.m * p.k);
  Value bBase = batchOffset(b, loc, batch, p.batchShape, p.bBatchShape,
                            p.k * p.n);
  Value outBase = scaled(batch, p.m * p.n);

  TileBuilder aT{b, loc, {bm, bk}}, bT{b, loc, {bk, bn}}, cT{b, loc, {bm, bn}};
  Value rowsA = aT.add(aT.iota(0), aT.splat(m0));
  Value colsB = bT.add(bT.iota(1), bT.splat(n0));
  Value acc = cT.floatConst(element, 0.0);
  auto loop = scf::ForOp::create(
      b, loc, aT.scalarIndex(0), aT.scalarIndex(p.k), aT.scalarIndex(bk),
      ValueRange{acc},
      [&](OpBuilder &nb, Location l, Value k0, ValueRange carried) {
        TileBuilder ta{nb, l, {bm, bk}}, tb{nb, l, {bk, bn}};
        Value ka = ta.add(ta.iota(1), ta.splat(k0));
        Value aOff = ta.add(ta.add(ta.mul(rowsA, p.aRow), ta.mul(ka, p.aCol)),
                            ta.splat(aBase));
        Value aMask = ta.both(ta.lessThan(rowsA, p.m), ta.lessThan(ka, p.k));
        Value kb = tb.add(tb.iota(0), tb.splat(k0));
        Value bOff = tb.add(tb.add(tb.mul(kb, p.bRow), tb.mul(colsB, p.bCol)),
                            tb.splat(bBase));
        Value bMask = tb.both(tb.lessThan(kb, p.k), tb.lessThan(colsB, p.n));
        Value aTile = ta.load(args[0], aOff, aMask);
        Value bTile = tb.load(args[1], bOff, bMask);
        Value next = tile::DotOp::create(nb, l, carried[0].getType(), aTile,
                                         bTile, carried[0]);
        scf::YieldOp::create(nb, l, next);
      });
  Value result = loop.getResult(0);
  Value rows = cT.add(cT.iota(0), cT.splat(m0));
  Value cols = cT.add(cT.iota(1), cT.splat(n0));
  Value mask = cT.both(cT.lessThan(rows, p.m), cT.lessThan(cols, p.n));
  if (p.alpha != 1.0)
    result = arith::MulFOp::create(b, loc, result,
                                   cT.floatConst(element, p.alpha));
  if (c) {
    Value bias = cT.load(args[2], cT.broadcastOffset({rows, cols}, p.cShape),
                         mask);
    if (p.beta != 1.0)
      bias = arith::MulFOp::create(b, loc, bias, cT.floatConst(element, p.beta));
    result = arith::AddFOp::create(b, loc, result, bias);
  }
  Value outOff =
      cT.add(cT.add(cT.mul(rows, p.n), cols), cT.splat(outBase));
  cT.store(result, args.back(), outOff, mask);
}

void Lowering::lowerMatmul(graph::MatmulOp op) {
  Shape lhs(cast<RankedTensorType>(op.getLhs().getType()).getShape());
  Shape rhs(cast<RankedTensorType>(op.getRhs().getType()).getShape());
  if (lhs.size() == 1)
    lhs.insert(lhs.begin(), 1);
  if (rhs.size() == 1)
    rhs.push_back(1);
  MatmulProblem p;
  p.m = lhs[lhs.size() - 2];
  p.k = lhs.back();
  p.n = rhs.back();
  p.aBatchShape = Shape(ArrayRef(lhs).drop_back(2));
  p.bBatchShape = Shape(ArrayRef(rhs).drop_back(2));
  // Result batch dimensions: the broadcast of both (inferred by the op).
  int64_t batchRank = std::max(p.aBatchShape.size(), p.bBatchShape.size());
  p.batchShape = Shape(batchRank, 1);
  for (int64_t i = 0; i < batchRank; ++i) {
    int64_t fromA = i - (batchRank - p.aBatchShape.size());
    int64_t fromB = i - (batchRank - p.bBatchShape.size());
    int64_t da = fromA >= 0 ? p.aBatchShape[fromA] : 1;
    int64_t db = fromB >= 0 ? p.bBatchShape[fromB] : 1;
    p.batchShape[i] = std::max(da, db);
  }
  p.aRow = p.k;
  p.aCol = 1;
  p.bRow = p.n;
  p.bCol = 1;
  Value output = allocFor(op.getResult());
  emitMatmul(op, bufferOf(op.getLhs()), bufferOf(op.getRhs()), Value(), output,
             p);
  buffers[op.getResult()] = output;
}

void Lowering::lowerGemm(graph::GemmOp op) {
  auto aShape = cast<RankedTensorType>(op.getA().getType()).getShape();
  auto bShape = cast<RankedTensorType>(op.getB().getType()).getShape();
  MatmulProblem p;
  bool ta = op.getTransA(), tb = op.getTransB();
  p.m = ta ? aShape[1] : aShape[0];
  p.k = ta ? aShape[0] : aShape[1];
  p.n = tb ? bShape[0] : bShape[1];
  p.aRow = ta ? 1 : p.k;
  p.aCol = ta ? p.m : 1;
  p.bRow = tb ? 1 : p.n;
  p.bCol = tb ? p.k : 1;
  p.alpha = op.getAlpha().convertToDouble();
  p.beta = op.getBeta().convertToDouble();
  Value c;
  if (op.getC() && p.beta != 0.0) {
    c = bufferOf(op.getC());
    p.cShape = Shape(cast<RankedTensorType>(op.getC().getType()).getShape());
  }
  Value output = allocFor(op.getResult());
  emitMatmul(op, bufferOf(op.getA()), bufferOf(op.getB()), c, output, p);
  buffers[op.getResult()] = output;
}

LogicalResult Lowering::lowerOp(Operation *op) {
  using namespace graph;
  // Kernels compute with arith, whose integers are signless (and signed here).
  for (Type type : llvm::concat<const Type>(op->getOperandTypes(),
                                            op->getResultTypes()))
    if (getElementTypeOrSelf(type).isUnsignedInteger())
      return op->emitOpError("element type ")
             << getElementTypeOrSelf(type)
             << " has no tile lowering (integers must be signless)";
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](ConstantOp) {
        // Made on first use (bufferOf): splat constants folded into the
        // kernels that use them never need a buffer.
        return success();
      })
      .Case([&](WeightOp w) {
        auto type = cast<RankedTensorType>(w.getType());
        buffers[w.getResult()] = tile::WeightOp::create(
            host, w.getLoc(), bufferType(type), w.getHandleAttr());
        return success();
      })
      .Case([&](ReshapeOp r) {
        buffers[r.getResult()] = bufferOf(r.getInput());
        return success();
      })
      .Case([&](TransposeOp t) {
        lowerTranspose(t);
        return success();
      })
      .Case([&](SliceOp s) {
        Value output = allocFor(s.getResult());
        lowerSlice(s, "slice", bufferOf(s.getInput()), output, s.getStarts(),
                   s.getSteps(), s.getType());
        buffers[s.getResult()] = output;
        return success();
      })
      .Case([&](SplitOp s) {
        auto inputShape =
            cast<RankedTensorType>(s.getInput().getType()).getShape();
        int64_t begin = 0;
        for (auto [result, size] : llvm::zip_equal(s.getResults(), s.getSizes())) {
          Shape starts(inputShape.size(), 0), steps(inputShape.size(), 1);
          starts[s.getAxis()] = begin;
          begin += size;
          Value output = allocFor(result);
          lowerSlice(s, "split", bufferOf(s.getInput()), output, starts, steps,
                     cast<RankedTensorType>(result.getType()));
          buffers[result] = output;
        }
        return success();
      })
      .Case([&](ConcatOp c) {
        lowerConcat(c);
        return success();
      })
      .Case([&](GatherOp g) {
        lowerGather(g);
        return success();
      })
      .Case([&](GatherElementsOp g) {
        lowerGatherElements(g);
        return success();
      })
      .Case([&](GatherNDOp g) {
        lowerGatherND(g);
        return success();
      })
      .Case([&](ScatterNDOp s) {
        lowerScatterND(s);
        return success();
      })
      .Case([&](TriluOp t) {
        lowerTrilu(t);
        return success();
      })
      .Case([&](ReduceSumOp r) {
        lowerReduce(r, tile::ReduceKind::sum, false);
        return success();
      })
      .Case([&](ReduceMeanOp r) {
        lowerReduce(r, tile::ReduceKind::sum, true);
        return success();
      })
      .Case([&](ReduceMaxOp r) {
        lowerReduce(r, tile::ReduceKind::max, false);
        return success();
      })
      .Case([&](ReduceMinOp r) {
        lowerReduce(r, tile::ReduceKind::min, false);
        return success();
      })
      .Case([&](SoftmaxOp s) {
        lowerSoftmax(s);
        return success();
      })
      .Case([&](LayerNormOp n) {
        lowerNorm(n, n.getInput(), n.getScale(), n.getBias(), n.getAxis(),
                  n.getEpsilon().convertToFloat(), /*rms=*/false);
        return success();
      })
      .Case([&](RmsNormOp n) {
        lowerNorm(n, n.getInput(), n.getScale(), Value(), n.getAxis(),
                  n.getEpsilon().convertToFloat(), /*rms=*/true);
        return success();
      })
      .Case([&](MatmulOp m) {
        lowerMatmul(m);
        return success();
      })
      .Case([&](GemmOp g) {
        lowerGemm(g);
        return success();
      })
      .Default([&](Operation *op) { return lowerElementwise(op); });
}

LogicalResult Lowering::run() {
  MLIRContext *ctx = main.getContext();
  FunctionType type = main.getFunctionType();
  Block &entry = main.getBody().front();
  auto ret = cast<func::ReturnOp>(entry.getTerminator());

  // The new signature: inputs, then one buffer argument per output.
  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  // Buffers are flat; the tensor's shape stays in `meld.shape`.
  auto shapeAttr = [&](Type t) {
    return DenseI64ArrayAttr::get(ctx, cast<RankedTensorType>(t).getShape());
  };
  for (auto [i, input] : llvm::enumerate(type.getInputs())) {
    argTypes.push_back(bufferType(cast<RankedTensorType>(input)));
    NamedAttrList attrs(main.getArgAttrDict(i));
    attrs.set(kShapeAttr, shapeAttr(input));
    argAttrs.push_back(attrs.getDictionary(ctx));
  }
  for (auto [i, result] : llvm::enumerate(type.getResults())) {
    argTypes.push_back(bufferType(cast<RankedTensorType>(result)));
    NamedAttrList attrs(main.getResultAttrDict(i));
    attrs.set(kOutputAttr, UnitAttr::get(ctx));
    attrs.set(kShapeAttr, shapeAttr(result));
    argAttrs.push_back(attrs.getDictionary(ctx));
  }

  OpBuilder builder(main);
  auto newMain = func::FuncOp::create(builder, main.getLoc(),
                                      main.getName(),
                                      FunctionType::get(ctx, argTypes, {}));
  newMain.setAllArgAttrs(argAttrs);
  Block *newEntry = newMain.addEntryBlock();
  host.setInsertionPointToStart(newEntry);
  unsigned numInputs = type.getNumInputs();
  for (auto [arg, newArg] : llvm::zip(entry.getArguments(),
                                      newEntry->getArguments()))
    buffers[arg] = newArg;
  // A result computed by a kernel is written straight into its output buffer.
  for (auto [i, result] : llvm::enumerate(ret.getOperands()))
    if (!outputBuffers.count(result))
      outputBuffers[result] = newEntry->getArgument(numInputs + i);

  // Reshapes alias their input: route an output through them to the producer.
  for (Operation &op : entry.without_terminator())
    if (auto reshape = dyn_cast<graph::ReshapeOp>(op))
      if (Value out = outputBuffers.lookup(reshape.getResult());
          out && reshape.getInput().getDefiningOp() &&
          !isa<graph::ConstantOp, graph::WeightOp, graph::ReshapeOp>(
              reshape.getInput().getDefiningOp()) &&
          !outputBuffers.count(reshape.getInput())) {
        outputBuffers.erase(reshape.getResult());
        outputBuffers[reshape.getInput()] = out;
      }

  bool failed = false;
  for (Operation &op : entry.without_terminator())
    if (Operation *o = &op; llvm::failed(lowerOp(o)))
      failed = true;
  if (failed)
    return failure();

  // Outputs not written by a kernel (inputs, weights, constants, reshapes of
  // those, or one value returned twice) are copied.
  for (auto [i, result] : llvm::enumerate(ret.getOperands())) {
    Value out = newEntry->getArgument(numInputs + i);
    if (bufferOf(result) == out)
      continue;
    lowerCopy(ret, bufferOf(result), out,
              cast<RankedTensorType>(result.getType()));
  }
  func::ReturnOp::create(host, main.getLoc());
  main.erase();
  main = newMain;
  return success();
}

struct ConvertGraphToTilePass
    : meld::impl::ConvertGraphToTileBase<ConvertGraphToTilePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main) {
      module.emitError("expected a 'main' function holding the graph");
      return signalPassFailure();
    }
    ConvertGraphToTileOptions opts{blockElements, matmulTileM, matmulTileN,
                                   matmulTileK};
    Lowering lowering(module, main, opts);
    if (failed(lowering.run()))
      signalPassFailure();
  }
};

} // namespace
