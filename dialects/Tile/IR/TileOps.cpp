//===- TileOps.cpp - Tile dialect operations ------------------------------===//

#include "dialects/Tile/IR/TileOps.h"

#include "meld/panels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/FunctionImplementation.h"

using namespace mlir;
using namespace meld::tile;

//===----------------------------------------------------------------------===//
// KernelOp
//===----------------------------------------------------------------------===//

void KernelOp::build(OpBuilder &builder, OperationState &state, StringRef name,
                     FunctionType type, ArrayRef<int64_t> grid) {
  state.addAttribute(SymbolTable::getSymbolAttrName(),
                     builder.getStringAttr(name));
  state.addAttribute(getFunctionTypeAttrName(state.name), TypeAttr::get(type));
  state.addAttribute(getGridAttrName(state.name),
                     builder.getDenseI64ArrayAttr(grid));
  Region *body = state.addRegion();
  Block *block = new Block();
  body->push_back(block);
  for (Type input : type.getInputs())
    block->addArgument(input, state.location);
}

ParseResult KernelOp::parse(OpAsmParser &parser, OperationState &result) {
  auto buildFuncType =
      [](Builder &builder, ArrayRef<Type> argTypes, ArrayRef<Type> results,
         function_interface_impl::VariadicFlag,
         std::string &) { return builder.getFunctionType(argTypes, results); };
  return function_interface_impl::parseFunctionOp(
      parser, result, /*allowVariadic=*/false,
      getFunctionTypeAttrName(result.name), buildFuncType,
      getArgAttrsAttrName(result.name), getResAttrsAttrName(result.name));
}

void KernelOp::print(OpAsmPrinter &p) {
  function_interface_impl::printFunctionOp(
      p, *this, /*isVariadic=*/false, getFunctionTypeAttrName(),
      getArgAttrsAttrName(), getResAttrsAttrName());
}

LogicalResult KernelOp::verify() {
  if (!getResultTypes().empty())
    return emitOpError("must not return values");
  ArrayRef<int64_t> grid = getGrid();
  if (grid.empty() || grid.size() > 3)
    return emitOpError("grid needs 1 to 3 dimensions, got ") << grid.size();
  if (llvm::any_of(grid, [](int64_t d) { return d <= 0; }))
    return emitOpError("grid dimensions must be positive");
  for (Type type : getArgumentTypes()) {
    auto memref = dyn_cast<MemRefType>(type);
    if (!memref || memref.getRank() != 1 || !memref.hasStaticShape())
      return emitOpError("arguments must be rank-1 memrefs of static size, got ")
             << type;
  }
  return success();
}

int64_t meld::tile::getStagingBytes(Operation *op) {
  auto tileBytes = [](Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    return type.getNumElements() *
           llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  };
  if (auto dot = dyn_cast<DotOp>(op))
    return tileBytes(dot.getA()) + tileBytes(dot.getB());
  if (auto reduce = dyn_cast<ReduceOp>(op)) {
    auto input = cast<RankedTensorType>(reduce.getInput().getType());
    int64_t staged = input.getRank() == 0 ? 1
                                          : getReduceStagingStrides(input)[0] *
                                                input.getDimSize(0);
    return staged * llvm::divideCeil(input.getElementTypeBitWidth(), 8) +
           tileBytes(reduce.getResult());
  }
  if (auto broadcast = dyn_cast<BroadcastOp>(op))
    return tileBytes(broadcast.getInput());
  if (auto extract = dyn_cast<tensor::ExtractOp>(op))
    return tileBytes(extract.getTensor());
  return 0;
}

SmallVector<int64_t>
meld::tile::getReduceStagingStrides(RankedTensorType inputType) {
  ArrayRef<int64_t> shape = inputType.getShape();
  int64_t rank = shape.size();
  SmallVector<int64_t> strides(rank, 1);
  if (rank == 0)
    return strides;
  int64_t bytes = llvm::divideCeil(inputType.getElementTypeBitWidth(), 8);
  int64_t pad = rank >= 2 ? std::max<int64_t>(1, 4 / bytes) : 0;
  int64_t next = shape[rank - 1] + pad;
  for (int64_t d = rank - 2; d >= 0; --d) {
    strides[d] = next;
    next *= shape[d];
  }
  return strides;
}

int64_t meld::tile::getDefaultNumWarps(int64_t tileElements) {
  constexpr int64_t kElementsPerThread = 8, kMaxWarps = 4;
  return std::min<int64_t>(kMaxWarps, llvm::PowerOf2Ceil(llvm::divideCeil(
                                          std::max<int64_t>(tileElements, 1),
                                          32 * kElementsPerThread)));
}

int64_t KernelOp::getNumPrograms() {
  int64_t n = 1;
  for (int64_t d : getGrid())
    n *= d;
  return n;
}

//===----------------------------------------------------------------------===//
// Tile ops
//===----------------------------------------------------------------------===//

LogicalResult IotaOp::verify() {
  int64_t dim = getDim();
  if (dim < 0 || dim >= getType().getRank())
    return emitOpError("dim ") << dim << " is out of range for rank "
                               << getType().getRank();
  return success();
}

/// Checks that `mask` (when present) has the shape of `offsets`, and that
/// `contiguity` (when present) is a power of two dividing their last
/// dimension.
static LogicalResult verifyAccess(Operation *op, Value offsets, Value mask,
                                  std::optional<uint64_t> contiguity) {
  ArrayRef<int64_t> shape = cast<ShapedType>(offsets.getType()).getShape();
  if (mask && cast<ShapedType>(mask.getType()).getShape() != shape)
    return op->emitOpError("mask and offsets differ in shape");
  if (contiguity && (!llvm::isPowerOf2_64(*contiguity) || shape.empty() ||
                     shape.back() % *contiguity != 0))
    return op->emitOpError("contiguity ")
           << *contiguity
           << " must be a power of two dividing the last dimension";
  return success();
}

LogicalResult LoadOp::verify() {
  if (getType().getShape() != getOffsets().getType().getShape() ||
      getType().getElementType() != getBuffer().getType().getElementType())
    return emitOpError("result must have the shape of the offsets and the "
                       "element type of the buffer");
  if (getOther() && !getMask())
    return emitOpError("padding value requires a mask");
  if (getOther() && getOther().getType() != getType().getElementType())
    return emitOpError("padding value must have the element type ")
           << getType().getElementType();
  return verifyAccess(*this, getOffsets(), getMask(), getContiguity());
}

/// Whether `mask` is a constant `value` in every element.
static bool isConstantMask(Value mask, bool value) {
  DenseElementsAttr dense;
  return mask && matchPattern(mask, m_Constant(&dense)) && dense.isSplat() &&
         dense.getSplatValue<bool>() == value;
}

LogicalResult LoadOp::canonicalize(LoadOp op, PatternRewriter &rewriter) {
  if (!isConstantMask(op.getMask(), true))
    return failure();
  rewriter.modifyOpInPlace(op, [&] {
    op.getMaskMutable().clear();
    op.getOtherMutable().clear();
  });
  return success();
}

LogicalResult StoreOp::canonicalize(StoreOp op, PatternRewriter &rewriter) {
  if (isConstantMask(op.getMask(), false)) {
    rewriter.eraseOp(op);
    return success();
  }
  if (!isConstantMask(op.getMask(), true))
    return failure();
  rewriter.modifyOpInPlace(op, [&] { op.getMaskMutable().clear(); });
  return success();
}

LogicalResult StoreOp::verify() {
  auto valueType = cast<RankedTensorType>(getValue().getType());
  if (valueType.getElementType() != getBuffer().getType().getElementType())
    return emitOpError("value and buffer differ in element type");
  if (valueType.getShape() != getOffsets().getType().getShape())
    return emitOpError("value and offsets differ in shape");
  return verifyAccess(*this, getOffsets(), getMask(), getContiguity());
}

LogicalResult DotOp::verify() {
  auto a = cast<RankedTensorType>(getA().getType());
  auto b = cast<RankedTensorType>(getB().getType());
  auto c = cast<RankedTensorType>(getAcc().getType());
  if (a.getRank() != 2 || b.getRank() != 2 || c.getRank() != 2)
    return emitOpError("operands must be 2-D tiles");
  if (a.getElementType() != b.getElementType())
    return emitOpError("a and b differ in element type");
  if (a.getDimSize(1) != b.getDimSize(0) ||
      c.getDimSize(0) != a.getDimSize(0) || c.getDimSize(1) != b.getDimSize(1))
    return emitOpError("shapes do not form a matrix product: ")
           << a << " * " << b << " -> " << c;
  return success();
}

LogicalResult ReduceOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  int64_t dim = getDim();
  if (dim < 0 || dim >= input.getRank())
    return emitOpError("dim ") << dim << " is out of range for rank "
                               << input.getRank();
  SmallVector<int64_t> shape(input.getShape());
  shape.erase(shape.begin() + getDim());
  if (result.getShape() != ArrayRef<int64_t>(shape) ||
      result.getElementType() != input.getElementType())
    return emitOpError("result must be the input without dimension ")
           << getDim();
  return success();
}

LogicalResult BroadcastOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  ArrayRef<int64_t> dims = getDims();
  if (input.getRank() + static_cast<int64_t>(dims.size()) != result.getRank())
    return emitOpError("result rank must be the input rank plus the new dims");
  for (auto [i, dim] : llvm::enumerate(dims)) {
    if (dim < 0 || dim >= result.getRank())
      return emitOpError("dim ")
             << dim << " is out of range for rank " << result.getRank();
    if (i > 0 && dims[i - 1] >= dim)
      return emitOpError("dims must be sorted and unique");
  }
  SmallVector<int64_t> kept;
  for (int64_t d = 0; d < result.getRank(); ++d)
    if (!llvm::is_contained(dims, d))
      kept.push_back(result.getDimSize(d));
  if (input.getShape() != ArrayRef<int64_t>(kept) ||
      input.getElementType() != result.getElementType())
    return emitOpError("input must be the result without the new dims");
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

TypedAttr meld::tile::getReduceIdentity(Builder &builder, ReduceKind kind,
                                        Type type) {
  bool isFloat = isa<FloatType>(type);
  unsigned width = type.getIntOrFloatBitWidth();
  double infinity = std::numeric_limits<double>::infinity();
  switch (kind) {
  case ReduceKind::sum:
    return builder.getZeroAttr(type);
  case ReduceKind::max:
    return isFloat ? TypedAttr(builder.getFloatAttr(type, -infinity))
                   : TypedAttr(builder.getIntegerAttr(
                         type, APInt::getSignedMinValue(width)));
  case ReduceKind::min:
    return isFloat ? TypedAttr(builder.getFloatAttr(type, infinity))
                   : TypedAttr(builder.getIntegerAttr(
                         type, APInt::getSignedMaxValue(width)));
  }
  llvm_unreachable("unknown reduction");
}

Value meld::tile::buildReduceCombine(OpBuilder &builder, Location loc,
                                     ReduceKind kind, Value lhs, Value rhs) {
  bool isFloat = isa<FloatType>(getElementTypeOrSelf(lhs.getType()));
  switch (kind) {
  case ReduceKind::sum:
    return isFloat ? Value(arith::AddFOp::create(builder, loc, lhs, rhs))
                   : Value(arith::AddIOp::create(builder, loc, lhs, rhs));
  case ReduceKind::max:
    return isFloat ? Value(arith::MaximumFOp::create(builder, loc, lhs, rhs))
                   : Value(arith::MaxSIOp::create(builder, loc, lhs, rhs));
  case ReduceKind::min:
    return isFloat ? Value(arith::MinimumFOp::create(builder, loc, lhs, rhs))
                   : Value(arith::MinSIOp::create(builder, loc, lhs, rhs));
  }
  llvm_unreachable("unknown reduction");
}

bool meld::tile::fitsIndex32(KernelOp kernel) {
  constexpr int64_t kLimit = int64_t(1) << 31;
  for (Type type : kernel.getArgumentTypes())
    if (cast<MemRefType>(type).getNumElements() >= kLimit)
      return false;
  return llvm::all_of(kernel.getGrid(),
                      [](int64_t size) { return size < kLimit; });
}

void meld::tile::eraseLaunchPlan(ModuleOp module) {
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    main.erase();
  // The symbols still used, found in one walk (asking per global would walk
  // the module once for each).
  auto uses = SymbolTable::getSymbolUses(&module.getBodyRegion());
  if (!uses)
    return; // Uses not known: keep every global.
  llvm::DenseSet<StringAttr> used;
  for (const SymbolTable::SymbolUse &use : *uses)
    used.insert(use.getSymbolRef().getRootReference());
  for (auto global :
       llvm::make_early_inc_range(module.getOps<memref::GlobalOp>()))
    if (!used.contains(global.getSymNameAttr()))
      global.erase();
}

//===----------------------------------------------------------------------===//
// LaunchOp
//===----------------------------------------------------------------------===//

LogicalResult LaunchOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto kernel =
      symbolTable.lookupNearestSymbolFrom<KernelOp>(*this, getKernelAttr());
  if (!kernel)
    return emitOpError("'") << getKernel() << "' is not a tile.kernel";
  if (!llvm::equal(kernel.getArgumentTypes(), getArgs().getTypes()))
    return emitOpError("argument types do not match those of '")
           << getKernel() << "'";
  return success();
}

//===----------------------------------------------------------------------===//
// Data faults
//===----------------------------------------------------------------------===//

/// Checks that `type` is a fault status buffer: three i64.
static LogicalResult verifyStatusType(Operation *op, MemRefType type) {
  if (!type.hasStaticShape() || type.getDimSize(0) != 3)
    return op->emitOpError("fault status must be a memref<3xi64>, got ")
           << type;
  return success();
}

LogicalResult FaultOp::verify() {
  if (failed(verifyStatusType(*this, getStatus().getType())))
    return failure();
  StringRef message = getMessage();
  size_t first = message.find("{}");
  if (first != StringRef::npos &&
      message.find("{}", first + 2) != StringRef::npos)
    return emitOpError("message holds '{}' (the detail) more than once");
  return success();
}

void meld::tile::buildRecordFault(OpBuilder &builder, Location loc,
                                  Value status, Value detail, int32_t site) {
  // Test and set: the thread whose atomic exchange finds status[0] still 0
  // writes the site and the detail. memref.atomic_rmw has declared effects
  // and no region, so the host path's bufferization takes it as it is.
  auto index = [&](int64_t i) {
    return arith::ConstantIndexOp::create(builder, loc, i);
  };
  Value one = arith::ConstantIntOp::create(builder, loc, 1, 64);
  Value before =
      memref::AtomicRMWOp::create(builder, loc, arith::AtomicRMWKind::assign,
                                  one, status, ValueRange{index(0)});
  Value won =
      arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::eq, before,
                            arith::ConstantIntOp::create(builder, loc, 0, 64));
  auto ifWon = scf::IfOp::create(builder, loc, won, /*withElse=*/false);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(&ifWon.getThenRegion().front());
  memref::StoreOp::create(builder, loc,
                          arith::ConstantIntOp::create(builder, loc, site, 64),
                          status, ValueRange{index(1)});
  memref::StoreOp::create(builder, loc, detail, status, ValueRange{index(2)});
}

LogicalResult FaultStatusOp::verify() {
  return verifyStatusType(*this, getType());
}

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

LogicalResult WeightOp::verify() {
  if (getHandle().empty())
    return emitOpError("requires a non-empty handle");
  if (PanelsAttr panels = getPanelsAttr();
      panels &&
      cast<MemRefType>(getType()).getNumElements() != panels.getNumElements())
    return emitOpError("has ")
           << cast<MemRefType>(getType()).getNumElements()
           << " elements, but its panels hold " << panels.getNumElements();
  return success();
}

LogicalResult PanelsAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t rows, int64_t columns,
                                 int64_t rowStride, int64_t columnStride,
                                 int64_t offset, int64_t paddedRows,
                                 int64_t panel) {
  int64_t elements, lastElement;
  std::string problem = checkPanelsLayout(
      {rows, columns, rowStride, columnStride, offset, paddedRows, panel},
      elements, lastElement);
  if (!problem.empty())
    return emitError() << problem;
  return success();
}

#define GET_OP_CLASSES
#include "dialects/Tile/IR/TileOps.cpp.inc"
