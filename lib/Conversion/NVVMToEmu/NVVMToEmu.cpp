//===- NVVMToEmu.cpp - GPU kernels at the NVVM level to host code ---------===//
//
// The GPU emulator runs the kernels as they are just before PTX: the LLVM
// dialect with NVVM ops, after every Meld and upstream GPU lowering. This
// pass turns that module into host code for runtime/emu (see
// runtime/include/meld/emu_abi.h):
//   - every NVVM operation (thread and block ids, barriers, warp shuffles and
//     votes, mma.sync, ldmatrix, cp.async and its groups, wgmma with its
//     fence and groups, fence.proxy.async) becomes a call
//     through the emulator's table of functions, which the kernel library
//     receives in `meld_emu_bind`;
//   - shared memory (address space 3 globals) becomes the block's shared
//     buffer from the emulator, the kernel's globals laid out one after the
//     other;
//   - every load, store and atomic is preceded by a check call, so the
//     emulator sees out-of-bounds accesses, reads of unwritten shared memory
//     and races (an atomic is checked as a store);
//   - address spaces disappear (host pointers are all generic);
//   - libdevice functions (__nv_expf, ...) become their libm counterparts;
//   - each kernel gets the entry `void NAME(void **args)`, run by every
//     emulated thread.
//
//===----------------------------------------------------------------------===//

#include "meld/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

namespace meld {
#define GEN_PASS_DEF_CONVERTNVVMTOEMU
#include "meld/Conversion/Passes.h.inc"
} // namespace meld

using namespace mlir;
using namespace meld;

namespace {

/// Fields of `meld_emu_ops` (runtime/include/meld/emu_abi.h), in order.
enum EmuOp : unsigned {
  kVersion = 0,
  kTid,
  kNtid,
  kCtaid,
  kNctaid,
  kLaneid,
  kBarrier,
  kShfl,
  kVote,
  kSyncwarp,
  kSharedBase,
  kCheckLoad,
  kCheckStore,
  kMma,
  kCheckLoadAt,
  kCheckStoreAt,
  kLdmatrix,
  kCpAsync,
  kCpAsyncCommit,
  kCpAsyncWait,
  kWgmmaFence,
  kWgmma,
  kWgmmaCommit,
  kWgmmaWait,
  kFenceProxyAsync,
  kMbarrierInit,
  kMbarrierArrive,
  kMbarrierWaitParity,
  kMbarrierInval,
  kTmaLoad,
  kBarrierNamed,
  kNumFields
};

constexpr llvm::StringLiteral kOpsGlobal = "__meld_emu_ops";
constexpr llvm::StringLiteral kBodySuffix = "__meld_emu_body";

class EmuLowering {
public:
  explicit EmuLowering(ModuleOp module)
      : module(module), ctx(module.getContext()),
        ptr(LLVM::LLVMPointerType::get(ctx)), i32(IntegerType::get(ctx, 32)),
        i64(IntegerType::get(ctx, 64)) {
    SmallVector<Type> fields{i32};
    fields.append(kNumFields - 1, ptr);
    table = LLVM::LLVMStructType::getLiteral(ctx, fields);
  }

  LogicalResult run();

private:
  /// Calls field `field` of the ops table with `args`, returning `result`.
  Value callOps(OpBuilder &b, Location loc, EmuOp field, Type result,
                ValueRange args) {
    Value tablePtr = LLVM::LoadOp::create(
        b, loc, ptr, LLVM::AddressOfOp::create(b, loc, ptr, kOpsGlobal));
    Value slot = LLVM::GEPOp::create(
        b, loc, ptr, table, tablePtr,
        ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(field)});
    Value fn = LLVM::LoadOp::create(b, loc, ptr, slot);
    SmallVector<Type> argTypes(args.getTypes());
    auto type = LLVM::LLVMFunctionType::get(
        result ? result : LLVM::LLVMVoidType::get(ctx), argTypes);
    SmallVector<Value> operands{fn};
    llvm::append_range(operands, args);
    auto call = LLVM::CallOp::create(b, loc, type, operands);
    return result ? call.getResult() : Value();
  }
  Value constI32(OpBuilder &b, Location loc, int64_t v) {
    return LLVM::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(v));
  }
  /// A value of `type` (a struct of f32) from the f32 in stack slot `slot`.
  Value loadF32Struct(OpBuilder &b, Location loc, LLVM::LLVMStructType type,
                      Value slot) {
    Type f32 = Float32Type::get(ctx);
    Value packed = LLVM::UndefOp::create(b, loc, type);
    for (int64_t i = 0, e = type.getBody().size(); i < e; ++i) {
      Value at =
          LLVM::GEPOp::create(b, loc, ptr, f32, slot,
                              ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
      packed = LLVM::InsertValueOp::create(
          b, loc, packed, LLVM::LoadOp::create(b, loc, f32, at),
          ArrayRef<int64_t>{i});
    }
    return packed;
  }

  void createBindFunction();
  LogicalResult lowerKernel(LLVM::LLVMFuncOp kernel);
  LogicalResult lowerNVVMOp(Operation *op, OpBuilder &b, Value validSlot);
  void defineLibdevice(LLVM::LLVMFuncOp decl);

  ModuleOp module;
  MLIRContext *ctx;
  Type ptr, i32, i64;
  LLVM::LLVMStructType table;
  /// Byte offsets of the shared-memory globals in their kernel's buffer.
  DenseMap<StringAttr, int64_t> sharedOffsets;
  /// Bytes of statically declared shared memory of each kernel.
  DenseMap<StringAttr, int64_t> staticSharedBytes;
  /// The site of the next checked access (numbered across the module).
  uint32_t nextSite = 0;
  /// The stack slots of the kernel being lowered for an mma's fragments: A
  /// (4 x i32), B (2 x i32), C and D (4 x f32 each).
  Value mmaSlots[4];
  /// The stack slot of an ldmatrix's registers (4 x i32).
  Value ldmatrixSlot;
  /// The stack slots of a wgmma's accumulator registers, C and D (as many
  /// f32 as the kernel's widest wgmma has).
  Value wgmmaSlots[2];
  /// The stack slot of a TMA copy's coordinates (5 x i32).
  Value tmaCoordsSlot;
};

/// The emulator's `mode` of a wgmma.mma_async (emu_abi.h), or an error for
/// one it does not run.
static FailureOr<uint32_t> getWgmmaMode(NVVM::WgmmaMmaAsyncOp mma) {
  NVVM::MMAShapeAttr shape = mma.getShape();
  NVVM::WGMMATypes type = mma.getTypeA();
  int typeCode = type == NVVM::WGMMATypes::f16    ? 0
                 : type == NVVM::WGMMATypes::bf16 ? 1
                 : type == NVVM::WGMMATypes::tf32 ? 2
                                                  : -1;
  auto results = dyn_cast<LLVM::LLVMStructType>(mma.getType());
  bool f32Accumulators = results && llvm::all_of(results.getBody(), [](Type t) {
                           return t.isF32();
                         });
  int64_t n = shape.getN();
  if (typeCode < 0 || mma.getTypeB() != type ||
      mma.getTypeD() != NVVM::WGMMATypes::f32 || mma.getSatfinite() ||
      shape.getM() != 64 || shape.getK() != (typeCode == 2 ? 8 : 16) || n < 8 ||
      n > 256 || n % 8 != 0 || !f32Accumulators ||
      static_cast<int64_t>(results.getBody().size()) != n / 2)
    return mma.emitOpError("has no emulation: the emulator runs wgmma "
                           "m64nNk16 on f16 and bf16 and m64nNk8 on tf32, "
                           "accumulating in f32");
  // imm-trans-a is 1 for a column-major (M-major) A, imm-trans-b for a
  // row-major (N-major) B.
  uint32_t mode = static_cast<uint32_t>(typeCode) | uint32_t(n) << 16;
  if (mma.getLayoutA() == NVVM::MMALayout::col)
    mode |= 1u << 4;
  if (mma.getLayoutB() == NVVM::MMALayout::row)
    mode |= 1u << 5;
  if (mma.getScaleA() == NVVM::WGMMAScaleIn::neg)
    mode |= 1u << 6;
  if (mma.getScaleB() == NVVM::WGMMAScaleIn::neg)
    mode |= 1u << 7;
  // (The op's verifier allows transposes on f16 and bf16 only.)
  return mode;
}

void EmuLowering::createBindFunction() {
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToStart(module.getBody());
  Location loc = module.getLoc();
  auto global = LLVM::GlobalOp::create(b, loc, ptr, /*isConstant=*/false,
                                       LLVM::Linkage::Internal, kOpsGlobal,
                                       Attribute());
  {
    Block *init = b.createBlock(&global.getInitializerRegion());
    b.setInsertionPointToStart(init);
    LLVM::ReturnOp::create(b, loc, LLVM::ZeroOp::create(b, loc, ptr));
  }
  b.setInsertionPointAfter(global);
  auto bind = LLVM::LLVMFuncOp::create(
      b, loc, "meld_emu_bind",
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr}));
  Block *entry = bind.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  LLVM::StoreOp::create(b, loc, entry->getArgument(0),
                        LLVM::AddressOfOp::create(b, loc, ptr, kOpsGlobal));
  LLVM::ReturnOp::create(b, loc, ValueRange{});
}

LogicalResult EmuLowering::lowerNVVMOp(Operation *op, OpBuilder &b,
                                       Value validSlot) {
  Location loc = op->getLoc();
  b.setInsertionPoint(op);
  // An op with no results that becomes a call of `field` with `args`.
  auto toCall = [&](EmuOp field, ValueRange args) {
    callOps(b, loc, field, Type(), args);
    op->erase();
    return success();
  };
  auto geometry = [&](EmuOp field, int dim) {
    Value v = callOps(b, loc, field, i32, {constI32(b, loc, dim)});
    op->getResult(0).replaceAllUsesWith(v);
    op->erase();
    return success();
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](NVVM::ThreadIdXOp) { return geometry(kTid, 0); })
      .Case([&](NVVM::ThreadIdYOp) { return geometry(kTid, 1); })
      .Case([&](NVVM::ThreadIdZOp) { return geometry(kTid, 2); })
      .Case([&](NVVM::BlockDimXOp) { return geometry(kNtid, 0); })
      .Case([&](NVVM::BlockDimYOp) { return geometry(kNtid, 1); })
      .Case([&](NVVM::BlockDimZOp) { return geometry(kNtid, 2); })
      .Case([&](NVVM::BlockIdXOp) { return geometry(kCtaid, 0); })
      .Case([&](NVVM::BlockIdYOp) { return geometry(kCtaid, 1); })
      .Case([&](NVVM::BlockIdZOp) { return geometry(kCtaid, 2); })
      .Case([&](NVVM::GridDimXOp) { return geometry(kNctaid, 0); })
      .Case([&](NVVM::GridDimYOp) { return geometry(kNctaid, 1); })
      .Case([&](NVVM::GridDimZOp) { return geometry(kNctaid, 2); })
      .Case([&](NVVM::LaneIdOp lane) {
        Value v = callOps(b, loc, kLaneid, i32, {});
        lane.getResult().replaceAllUsesWith(v);
        lane.erase();
        return success();
      })
      .Case([&](NVVM::Barrier0Op) { return toCall(kBarrier, {}); })
      .Case([&](NVVM::BarrierOp barrier) -> LogicalResult {
        if (barrier.getReductionOp())
          return barrier.emitOpError("has no emulation: the emulator runs "
                                     "barriers without a reduction");
        if (!barrier.getBarrierId() && !barrier.getNumberOfThreads())
          return toCall(kBarrier, {});
        // bar.sync id, count (a count of 0: the whole block).
        Value id = barrier.getBarrierId() ? barrier.getBarrierId()
                                          : constI32(b, loc, 0);
        Value count = barrier.getNumberOfThreads()
                          ? barrier.getNumberOfThreads()
                          : constI32(b, loc, 0);
        return toCall(kBarrierNamed, {id, count});
      })
      .Case([&](NVVM::SetMaxRegisterOp set) {
        // The registers are the host's: nothing to reallocate.
        set.erase();
        return success();
      })
      .Case([&](NVVM::ShflOp shfl) -> LogicalResult {
        // PTX shfl.sync moves 32-bit values; gpu-to-nvvm splits wider ones.
        Value value = shfl.getVal();
        Type valueType = value.getType();
        if (valueType.getIntOrFloatBitWidth() != 32)
          return shfl.emitOpError("the emulator shuffles 32-bit values only");
        if (valueType != i32)
          value = LLVM::BitcastOp::create(b, loc, i32, value);
        unsigned mode = 0;
        switch (shfl.getKind()) {
        case NVVM::ShflKind::idx:
          mode = 0;
          break;
        case NVVM::ShflKind::up:
          mode = 1;
          break;
        case NVVM::ShflKind::down:
          mode = 2;
          break;
        case NVVM::ShflKind::bfly:
          mode = 3;
          break;
        }
        Value result = callOps(
            b, loc, kShfl, i32,
            {constI32(b, loc, mode), shfl.getThreadMask(), value,
             shfl.getOffset(), shfl.getMaskAndClamp(), validSlot});
        if (valueType != i32)
          result = LLVM::BitcastOp::create(b, loc, valueType, result);
        Value replacement = result;
        if (shfl.getReturnValueAndIsValid()) {
          auto structType = cast<LLVM::LLVMStructType>(shfl.getType());
          Value valid = LLVM::LoadOp::create(b, loc, i32, validSlot);
          Value flag = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne,
                                            valid, constI32(b, loc, 0));
          Value packed = LLVM::UndefOp::create(b, loc, structType);
          packed = LLVM::InsertValueOp::create(b, loc, packed, result,
                                               ArrayRef<int64_t>{0});
          replacement = LLVM::InsertValueOp::create(b, loc, packed, flag,
                                                    ArrayRef<int64_t>{1});
        }
        shfl.getResult().replaceAllUsesWith(replacement);
        shfl.erase();
        return success();
      })
      .Case([&](NVVM::VoteSyncOp vote) -> LogicalResult {
        unsigned mode = 0;
        switch (vote.getKind()) {
        case NVVM::VoteSyncKind::all:
          mode = 0;
          break;
        case NVVM::VoteSyncKind::any:
          mode = 1;
          break;
        case NVVM::VoteSyncKind::uni:
          mode = 2;
          break;
        case NVVM::VoteSyncKind::ballot:
          mode = 3;
          break;
        }
        Value pred =
            LLVM::ZExtOp::create(b, loc, i32, vote.getPred());
        Value result = callOps(b, loc, kVote, i32,
                               {constI32(b, loc, mode), vote.getMask(), pred});
        if (vote.getType() != i32)
          result = LLVM::TruncOp::create(b, loc, vote.getType(), result);
        vote.getResult().replaceAllUsesWith(result);
        vote.erase();
        return success();
      })
      .Case([&](NVVM::MmaOp mma) -> LogicalResult {
        // The warp's product, through the emulator: each lane passes its
        // fragments in stack slots and gets its part of D back.
        NVVM::MMAShapeAttr shape = mma.getShape();
        std::optional<NVVM::MMATypes> ptxType = mma.getMultiplicandAPtxType();
        if (!ptxType && !mma.getOperandA().empty())
          ptxType = NVVM::MmaOp::inferOperandMMAType(
              mma.getOperandA().front().getType(), /*isAccumulator=*/false);
        // The emulator's shapes (emu_abi.h): m16n8k8 on tf32, m16n8k16 on
        // f16 and bf16, with four f32 accumulators.
        int shapeCode = -1;
        if (ptxType == NVVM::MMATypes::tf32 && shape.getK() == 8)
          shapeCode = 0;
        else if (ptxType == NVVM::MMATypes::f16 && shape.getK() == 16)
          shapeCode = 1;
        else if (ptxType == NVVM::MMATypes::bf16 && shape.getK() == 16)
          shapeCode = 2;
        bool f32Accumulator = llvm::all_of(
            mma.getOperandC(), [](Value c) { return c.getType().isF32(); });
        if (shapeCode < 0 || shape.getM() != 16 || shape.getN() != 8 ||
            mma.getOperandA().size() != 4 || mma.getOperandB().size() != 2 ||
            mma.getOperandC().size() != 4 || !f32Accumulator)
          return mma.emitOpError("has no emulation: the emulator runs "
                                 "mma.sync m16n8k8 on tf32 and m16n8k16 on "
                                 "f16 and bf16, accumulating in f32");
        Type f32 = Float32Type::get(ctx);
        auto slot = [&](Value base, Type element, ValueRange values) {
          for (auto [i, value] : llvm::enumerate(values)) {
            Value v = value.getType() == element
                          ? value
                          : LLVM::BitcastOp::create(b, loc, element, value)
                                .getResult();
            Value at = LLVM::GEPOp::create(
                b, loc, ptr, element, base,
                ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
            LLVM::StoreOp::create(b, loc, v, at);
          }
          return base;
        };
        Value a = slot(mmaSlots[0], i32, mma.getOperandA());
        Value bRegs = slot(mmaSlots[1], i32, mma.getOperandB());
        Value c = slot(mmaSlots[2], f32, mma.getOperandC());
        Value d = mmaSlots[3];
        callOps(b, loc, kMma, Type(),
                {constI32(b, loc, shapeCode), a, bRegs, c, d});
        mma.getResult().replaceAllUsesWith(loadF32Struct(
            b, loc, cast<LLVM::LLVMStructType>(mma.getType()), d));
        mma.erase();
        return success();
      })
      .Case([&](NVVM::LdMatrixOp load) -> LogicalResult {
        // The warp's load, through the emulator: each lane passes its row
        // address and gets its registers back in a stack slot.
        NVVM::LdStMatrixShapeAttr shape = load.getShape();
        uint32_t num = load.getNum();
        if (shape.getM() != 8 || shape.getN() != 8 ||
            load.getEltType() != NVVM::LdStMatrixEltType::B16 ||
            (num != 1 && num != 2 && num != 4))
          return load.emitOpError("has no emulation: the emulator runs "
                                  "ldmatrix m8n8 .x1, .x2 and .x4 on b16");
        uint32_t trans = load.getLayout() == NVVM::MMALayout::col ? 1 : 0;
        callOps(b, loc, kLdmatrix, Type(),
                {constI32(b, loc, num), constI32(b, loc, trans), load.getPtr(),
                 ldmatrixSlot, constI32(b, loc, nextSite++)});
        SmallVector<Value> registers;
        for (uint32_t j = 0; j < num; ++j) {
          Value at = LLVM::GEPOp::create(
              b, loc, ptr, i32, ldmatrixSlot,
              ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(j)});
          registers.push_back(LLVM::LoadOp::create(b, loc, i32, at));
        }
        Value result = registers.front();
        if (auto structType = dyn_cast<LLVM::LLVMStructType>(load.getType())) {
          result = LLVM::UndefOp::create(b, loc, structType);
          for (auto [j, value] : llvm::enumerate(registers))
            result = LLVM::InsertValueOp::create(b, loc, result, value,
                                                 ArrayRef<int64_t>{int64_t(j)});
        }
        load.getResult().replaceAllUsesWith(result);
        load.erase();
        return success();
      })
      .Case([&](NVVM::CpAsyncOp copy) {
        // The source is read at issue, the destination written when a
        // wait completes the copy's group (the emulator checks both).
        Value srcBytes = copy.getCpSize() ? copy.getCpSize()
                                          : constI32(b, loc, copy.getSize());
        return toCall(kCpAsync, {copy.getDst(), copy.getSrc(),
                                 constI32(b, loc, copy.getSize()), srcBytes,
                                 constI32(b, loc, nextSite++)});
      })
      .Case([&](NVVM::CpAsyncCommitGroupOp) {
        return toCall(kCpAsyncCommit, {});
      })
      .Case([&](NVVM::CpAsyncWaitGroupOp wait) {
        return toCall(kCpAsyncWait, {constI32(b, loc, wait.getN())});
      })
      .Case([&](NVVM::WgmmaFenceAlignedOp) { return toCall(kWgmmaFence, {}); })
      .Case([&](NVVM::WgmmaMmaAsyncOp mma) -> LogicalResult {
        // The warpgroup's product, through the emulator: each thread passes
        // its accumulator registers in a stack slot and gets D back in
        // another.
        FailureOr<uint32_t> mode = getWgmmaMode(mma);
        if (failed(mode))
          return failure();
        auto structType = cast<LLVM::LLVMStructType>(mma.getType());
        Type f32 = Float32Type::get(ctx);
        for (int64_t i = 0, e = structType.getBody().size(); i < e; ++i) {
          Value at = LLVM::GEPOp::create(
              b, loc, ptr, f32, wgmmaSlots[0],
              ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
          Value c = LLVM::ExtractValueOp::create(b, loc, mma.getInouts(),
                                                 ArrayRef<int64_t>{i});
          LLVM::StoreOp::create(b, loc, c, at);
        }
        Value scaleD = constI32(
            b, loc, mma.getScaleD() == NVVM::WGMMAScaleOut::one ? 1 : 0);
        callOps(b, loc, kWgmma, Type(),
                {constI32(b, loc, *mode), mma.getDescriptorA(),
                 mma.getDescriptorB(), scaleD, wgmmaSlots[0], wgmmaSlots[1]});
        mma.getResult().replaceAllUsesWith(
            loadF32Struct(b, loc, structType, wgmmaSlots[1]));
        mma.erase();
        return success();
      })
      .Case([&](NVVM::WgmmaGroupSyncAlignedOp) {
        return toCall(kWgmmaCommit, {});
      })
      .Case([&](NVVM::WgmmaWaitGroupSyncOp wait) {
        return toCall(kWgmmaWait, {constI32(b, loc, wait.getGroup())});
      })
      .Case([&](NVVM::SyncWarpOp sync) {
        return toCall(kSyncwarp, {sync.getMask()});
      })
      .Case([&](NVVM::MBarrierInitOp init) -> LogicalResult {
        if (init.getPredicate())
          return init.emitOpError("has no emulation with a predicate");
        return toCall(kMbarrierInit, {init.getAddr(), init.getCount()});
      })
      .Case([&](NVVM::MBarrierArriveOp arrive) -> LogicalResult {
        if (arrive.getRelaxed() || arrive.getScope() != NVVM::MemScopeKind::CTA)
          return arrive.emitOpError("has no emulation: the emulator runs "
                                    "release arrivals at CTA scope only");
        Value count =
            arrive.getCount() ? arrive.getCount() : constI32(b, loc, 1);
        Value state = callOps(b, loc, kMbarrierArrive, i64,
                              {arrive.getAddr(), count, constI32(b, loc, 0)});
        if (arrive.getRes())
          arrive.getRes().replaceAllUsesWith(state);
        arrive.erase();
        return success();
      })
      .Case([&](NVVM::MBarrierArriveExpectTxOp arrive) -> LogicalResult {
        if (arrive.getPredicate() || arrive.getRelaxed() ||
            arrive.getScope() != NVVM::MemScopeKind::CTA)
          return arrive.emitOpError(
              "has no emulation: the emulator runs release arrivals at CTA "
              "scope, with no predicate, only");
        Value state = callOps(
            b, loc, kMbarrierArrive, i64,
            {arrive.getAddr(), constI32(b, loc, 1), arrive.getTxcount()});
        if (arrive.getRes())
          arrive.getRes().replaceAllUsesWith(state);
        arrive.erase();
        return success();
      })
      .Case([&](NVVM::MBarrierExpectTxOp expect) -> LogicalResult {
        if (expect.getScope() != NVVM::MemScopeKind::CTA)
          return expect.emitOpError("has no emulation: the emulator runs "
                                    "CTA scope only");
        callOps(b, loc, kMbarrierArrive, i64,
                {expect.getAddr(), constI32(b, loc, 0), expect.getTxcount()});
        expect.erase();
        return success();
      })
      .Case([&](NVVM::MBarrierTryWaitParityOp wait) {
        // The op loops until the phase completes: the emulator's wait
        // blocks until then.
        return toCall(kMbarrierWaitParity, {wait.getAddr(), wait.getPhase()});
      })
      .Case([&](NVVM::MBarrierInvalOp inval) {
        return toCall(kMbarrierInval, {inval.getAddr()});
      })
      .Case([&](NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp copy)
                -> LogicalResult {
        // The copy runs at issue (the emulator checks who reads its bytes
        // before waiting on the mbarrier); an L2 hint changes nothing.
        if (copy.getMode() != NVVM::TMALoadMode::TILE ||
            !copy.getIm2colOffsets().empty() || copy.getMulticastMask() ||
            copy.getPredicate() || copy.getGroup())
          return copy.emitOpError("has no emulation: the emulator runs tile "
                                  "copies to this CTA, with no predicate, "
                                  "only");
        for (auto [i, coordinate] : llvm::enumerate(copy.getCoordinates())) {
          Value at = LLVM::GEPOp::create(
              b, loc, ptr, i32, tmaCoordsSlot,
              ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
          LLVM::StoreOp::create(b, loc, coordinate, at);
        }
        return toCall(kTmaLoad,
                      {copy.getDstMem(), copy.getTmaDescriptor(), tmaCoordsSlot,
                       constI32(b, loc, copy.getCoordinates().size()),
                       copy.getMbar()});
      })
      .Case([&](NVVM::FenceProxyOp fence) -> LogicalResult {
        // The emulator checks that the tensor cores read no byte written
        // since its writer's last fence.
        if (fence.getKind() != NVVM::ProxyKind::async_shared)
          return fence.emitOpError("has no emulation: the emulator runs "
                                   "fence.proxy.async.shared only");
        return toCall(kFenceProxyAsync, {});
      })
      .Default([&](Operation *other) {
        return other->emitOpError("has no emulation");
      });
}

LogicalResult EmuLowering::lowerKernel(LLVM::LLVMFuncOp kernel) {
  OpBuilder b(kernel);
  Location loc = kernel.getLoc();
  Block &entry = kernel.getBody().front();
  DataLayout layout(module);
  // The kernel's own loads and stores, before any of ours exist.
  SmallVector<Operation *> accesses;
  kernel.walk([&](Operation *op) {
    if (isa<LLVM::LoadOp, LLVM::StoreOp, LLVM::AtomicCmpXchgOp,
            LLVM::AtomicRMWOp>(op))
      accesses.push_back(op);
  });

  // One stack slot for the validity flag shuffles return, and the slots of
  // an mma's fragments (allocated once: the mma may be in a loop).
  b.setInsertionPointToStart(&entry);
  Value one = constI32(b, loc, 1);
  Value validSlot = LLVM::AllocaOp::create(b, loc, ptr, i32, one);
  if (kernel.walk([](NVVM::MmaOp) { return WalkResult::interrupt(); })
          .wasInterrupted()) {
    Type f32 = Float32Type::get(ctx);
    mmaSlots[0] = LLVM::AllocaOp::create(b, loc, ptr, i32, constI32(b, loc, 4));
    mmaSlots[1] = LLVM::AllocaOp::create(b, loc, ptr, i32, constI32(b, loc, 2));
    mmaSlots[2] = LLVM::AllocaOp::create(b, loc, ptr, f32, constI32(b, loc, 4));
    mmaSlots[3] = LLVM::AllocaOp::create(b, loc, ptr, f32, constI32(b, loc, 4));
  }
  if (kernel.walk([](NVVM::LdMatrixOp) { return WalkResult::interrupt(); })
          .wasInterrupted())
    ldmatrixSlot =
        LLVM::AllocaOp::create(b, loc, ptr, i32, constI32(b, loc, 4));
  int64_t accumulators = 0;
  kernel.walk([&](NVVM::WgmmaMmaAsyncOp mma) {
    if (auto type = dyn_cast<LLVM::LLVMStructType>(mma.getType()))
      accumulators = std::max<int64_t>(accumulators, type.getBody().size());
  });
  if (kernel
          .walk([](NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp) {
            return WalkResult::interrupt();
          })
          .wasInterrupted())
    tmaCoordsSlot =
        LLVM::AllocaOp::create(b, loc, ptr, i32, constI32(b, loc, 5));
  if (accumulators) {
    Type f32 = Float32Type::get(ctx);
    Value count = constI32(b, loc, accumulators);
    for (Value &slot : wgmmaSlots)
      slot = LLVM::AllocaOp::create(b, loc, ptr, f32, count);
  }

  // Shared memory: each of the kernel's address-space-3 globals at its offset
  // in the block's buffer.
  SmallVector<LLVM::AddressOfOp> sharedRefs;
  kernel.walk([&](LLVM::AddressOfOp addr) {
    if (sharedOffsets.count(addr.getGlobalNameAttr().getAttr()))
      sharedRefs.push_back(addr);
  });
  if (!sharedRefs.empty()) {
    b.setInsertionPointAfter(validSlot.getDefiningOp());
    Value base = callOps(b, loc, kSharedBase, ptr, {});
    for (LLVM::AddressOfOp addr : sharedRefs) {
      b.setInsertionPoint(addr);
      int64_t offset = sharedOffsets.lookup(addr.getGlobalNameAttr().getAttr());
      Value at = LLVM::GEPOp::create(
          b, loc, ptr, b.getI8Type(), base,
          ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(offset)});
      addr.getResult().replaceAllUsesWith(at);
      addr.erase();
    }
  }

  // Every access of the kernel's own code is checked first.
  for (Operation *op : accesses) {
    b.setInsertionPoint(op);
    Value address;
    Type type;
    bool isLoad = false;
    if (auto load = dyn_cast<LLVM::LoadOp>(op)) {
      address = load.getAddr();
      type = load.getType();
      isLoad = true;
    } else if (auto store = dyn_cast<LLVM::StoreOp>(op)) {
      address = store.getAddr();
      type = store.getValue().getType();
    } else if (auto cas = dyn_cast<LLVM::AtomicCmpXchgOp>(op)) {
      // Atomics are checked as stores: fibers never switch inside one, so
      // the host instruction is atomic among the emulated threads.
      address = cas.getPtr();
      type = cas.getVal().getType();
    } else {
      auto rmw = cast<LLVM::AtomicRMWOp>(op);
      address = rmw.getPtr();
      type = rmw.getVal().getType();
    }
    int64_t bytes = layout.getTypeSize(type);
    // Each access of the module has its own site, which lets the emulator
    // take the lanes' accesses at one site as one warp-wide instruction.
    callOps(b, op->getLoc(), isLoad ? kCheckLoadAt : kCheckStoreAt, Type(),
            {address, constI32(b, op->getLoc(), bytes),
             constI32(b, op->getLoc(), nextSite++)});
  }

  // NVVM operations become calls into the emulator.
  SmallVector<Operation *> nvvmOps;
  kernel.walk([&](Operation *op) {
    if (isa<NVVM::NVVMDialect>(op->getDialect()))
      nvvmOps.push_back(op);
  });
  for (Operation *op : nvvmOps)
    if (failed(lowerNVVMOp(op, b, validSlot)))
      return failure();

  // The entry every emulated thread runs: `void NAME(void **args)`, and
  // `uint32_t NAME__meld_emu_shared_bytes`, the shared memory the kernel
  // declares (a GPU launch gives only dynamic shared memory).
  std::string name = kernel.getName().str();
  {
    OpBuilder top(module.getBodyRegion());
    top.setInsertionPoint(kernel);
    LLVM::GlobalOp::create(
        top, loc, i32, /*isConstant=*/true, LLVM::Linkage::External,
        name + "__meld_emu_shared_bytes",
        top.getI32IntegerAttr(static_cast<int32_t>(
            staticSharedBytes.lookup(kernel.getSymNameAttr()))));
  }
  kernel.setName((name + kBodySuffix).str());
  kernel.setLinkage(LLVM::Linkage::Internal);
  for (NamedAttribute attr : llvm::to_vector(kernel->getAttrs()))
    if (attr.getName().getValue().starts_with("nvvm."))
      kernel->removeAttr(attr.getName());
  b.setInsertionPointAfter(kernel);
  auto wrapper = LLVM::LLVMFuncOp::create(
      b, loc, name,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr}));
  Block *body = wrapper.addEntryBlock(b);
  b.setInsertionPointToStart(body);
  SmallVector<Value> args;
  for (auto [i, type] :
       llvm::enumerate(kernel.getFunctionType().getParams())) {
    if (!isa<LLVM::LLVMPointerType>(type))
      return kernel.emitOpError("kernel parameters must be pointers");
    Value slot = LLVM::GEPOp::create(
        b, loc, ptr, ptr, body->getArgument(0),
        ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
    args.push_back(LLVM::LoadOp::create(b, loc, ptr, slot));
  }
  LLVM::CallOp::create(b, loc, kernel, args);
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  return success();
}

/// libdevice functions with no libm function of the same name, given bodies.
void EmuLowering::defineLibdevice(LLVM::LLVMFuncOp decl) {
  StringRef name = decl.getName().drop_front(strlen("__nv_"));
  OpBuilder b(decl);
  Location loc = decl.getLoc();
  auto type = decl.getFunctionType();
  Block *entry = decl.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  SmallVector<Value> args(entry->getArguments());
  Value result;
  if (name == "rsqrtf" || name == "rsqrt") {
    Value root = LLVM::SqrtOp::create(b, loc, args[0]);
    Value oneValue = LLVM::ConstantOp::create(
        b, loc, type.getReturnType(),
        b.getFloatAttr(type.getReturnType(), 1.0));
    result = LLVM::FDivOp::create(b, loc, oneValue, root);
  } else {
    // Everything else has its libm namesake: __nv_expf -> expf.
    auto callee = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
    if (!callee) {
      OpBuilder top(module.getBodyRegion());
      top.setInsertionPointToEnd(module.getBody());
      callee = LLVM::LLVMFuncOp::create(top, loc, name, type);
    }
    result = LLVM::CallOp::create(b, loc, callee, args).getResult();
  }
  LLVM::ReturnOp::create(b, loc, result);
  decl.setLinkage(LLVM::Linkage::Internal);
}

LogicalResult EmuLowering::run() {
  // Host code: the kernels leave their gpu.module.
  SmallVector<gpu::GPUModuleOp> gpuModules(module.getOps<gpu::GPUModuleOp>());
  for (gpu::GPUModuleOp gpuModule : gpuModules) {
    Block *body = gpuModule.getBody();
    for (Operation &op : llvm::make_early_inc_range(*body))
      op.moveBefore(gpuModule);
    gpuModule.erase();
  }
  module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());

  // Shared-memory globals: offsets in their kernel's buffer (each global is
  // used by one kernel: it is that kernel's workgroup memory), then gone.
  for (auto global :
       llvm::make_early_inc_range(module.getOps<LLVM::GlobalOp>())) {
    if (global.getAddrSpace() != 3)
      continue;
    sharedOffsets[global.getSymNameAttr()] = 0;
  }
  // Lay out per kernel: several globals of one kernel follow one another,
  // and the dynamic shared memory (a global of no size, as
  // gpu.dynamic_shared_memory lowers) starts after all of them, as on the
  // GPU.
  DataLayout layout(module);
  SymbolTable symbols(module);
  for (auto kernel : module.getOps<LLVM::LLVMFuncOp>()) {
    int64_t next = 0;
    llvm::SmallDenseSet<StringAttr> placed;
    SmallVector<StringAttr> dynamic;
    kernel.walk([&](LLVM::AddressOfOp addr) {
      auto global = symbols.lookup<LLVM::GlobalOp>(addr.getGlobalName());
      if (!global || global.getAddrSpace() != 3 ||
          !placed.insert(global.getSymNameAttr()).second)
        return;
      int64_t size = layout.getTypeSize(global.getGlobalType());
      if (size == 0) {
        dynamic.push_back(global.getSymNameAttr());
        return;
      }
      sharedOffsets[global.getSymNameAttr()] = next;
      next = llvm::alignTo(next + size, 16);
    });
    for (StringAttr name : dynamic)
      sharedOffsets[name] = next;
    staticSharedBytes[kernel.getSymNameAttr()] = next;
  }

  createBindFunction();
  SmallVector<LLVM::LLVMFuncOp> kernels;
  for (auto func : module.getOps<LLVM::LLVMFuncOp>())
    if (func->hasAttr(NVVM::NVVMDialect::getKernelFuncAttrName()))
      kernels.push_back(func);
  for (LLVM::LLVMFuncOp kernel : kernels)
    if (failed(lowerKernel(kernel)))
      return failure();

  for (auto global :
       llvm::make_early_inc_range(module.getOps<LLVM::GlobalOp>()))
    if (global.getAddrSpace() == 3)
      global.erase();
  for (auto func : llvm::make_early_inc_range(module.getOps<LLVM::LLVMFuncOp>()))
    if (func.isExternal() && func.getName().starts_with("__nv_"))
      defineLibdevice(func);

  // Host pointers carry no address space.
  AttrTypeReplacer replacer;
  replacer.addReplacement([&](LLVM::LLVMPointerType type) -> Type {
    return type.getAddressSpace() == 0 ? type : ptr;
  });
  replacer.recursivelyReplaceElementsIn(module, /*replaceAttrs=*/true,
                                        /*replaceLocs=*/false,
                                        /*replaceTypes=*/true);
  // Casts between address spaces are now casts to the same type.
  module.walk([](LLVM::AddrSpaceCastOp cast) {
    cast.getResult().replaceAllUsesWith(cast.getArg());
    cast.erase();
  });
  return success();
}

struct ConvertNVVMToEmuPass
    : meld::impl::ConvertNVVMToEmuBase<ConvertNVVMToEmuPass> {
  void runOnOperation() override {
    EmuLowering lowering(getOperation());
    if (failed(lowering.run()))
      signalPassFailure();
  }
};

} // namespace
