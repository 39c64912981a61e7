//===- TileToCPU.cpp - Lower tile kernels to host functions ---------------===//
//
// Each tile.kernel becomes a function with Meld's CPU kernel ABI,
//   void NAME(void **args, int64_t begin, int64_t end),
// looping over the linear program ids [begin, end) (x fastest) around the
// kernel body. Tile ops become tensor/linalg/scf ops that the upstream
// bufferization and LLVM lowering passes take from there.
//
//===----------------------------------------------------------------------===//

#include "meld/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"

namespace meld {
#define GEN_PASS_DEF_CONVERTTILETOCPU
#include "meld/Conversion/Passes.h.inc"
} // namespace meld

using namespace mlir;
using namespace meld;

namespace {

/// Materializes the memref `type` over the raw pointer `ptr` (a buffer of the
/// kernel's argument array) as an LLVM memref descriptor cast to the memref.
static Value memrefFromPointer(OpBuilder &b, Location loc, Value ptr,
                               MemRefType type) {
  MLIRContext *ctx = b.getContext();
  Type i64 = b.getI64Type();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  auto array = LLVM::LLVMArrayType::get(i64, 1);
  auto descType = LLVM::LLVMStructType::getLiteral(
      ctx, {ptrType, ptrType, i64, array, array});
  Value desc = LLVM::UndefOp::create(b, loc, descType);
  desc = LLVM::InsertValueOp::create(b, loc, desc, ptr, ArrayRef<int64_t>{0});
  desc = LLVM::InsertValueOp::create(b, loc, desc, ptr, ArrayRef<int64_t>{1});
  auto constant = [&](int64_t v) {
    return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
  };
  desc = LLVM::InsertValueOp::create(b, loc, desc, constant(0),
                                     ArrayRef<int64_t>{2});
  desc = LLVM::InsertValueOp::create(b, loc, desc, constant(type.getDimSize(0)),
                                     ArrayRef<int64_t>{3, 0});
  desc = LLVM::InsertValueOp::create(b, loc, desc, constant(1),
                                     ArrayRef<int64_t>{4, 0});
  return UnrealizedConversionCastOp::create(b, loc, type, desc).getResult(0);
}

/// Replaces `kernel` with a host function of the CPU kernel ABI.
static void lowerKernel(tile::KernelOp kernel) {
  MLIRContext *ctx = kernel.getContext();
  Location loc = kernel.getLoc();
  OpBuilder b(kernel);
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  auto func = func::FuncOp::create(
      b, loc, kernel.getSymName(),
      b.getFunctionType({ptrType, b.getI64Type(), b.getI64Type()}, {}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);

  IRMapping mapping;
  Value argv = entry->getArgument(0);
  for (auto [i, arg] : llvm::enumerate(kernel.getBody().getArguments())) {
    Value slot = LLVM::GEPOp::create(b, loc, ptrType, ptrType, argv,
                                     ArrayRef<LLVM::GEPArg>{
                                         static_cast<int32_t>(i)});
    Value ptr = LLVM::LoadOp::create(b, loc, ptrType, slot);
    mapping.map(arg, memrefFromPointer(b, loc, ptr,
                                       cast<MemRefType>(arg.getType())));
  }
  Value begin = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                           entry->getArgument(1));
  Value end = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                         entry->getArgument(2));
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(b, loc, begin, end, one);
  func::ReturnOp::create(b, loc);

  // Program ids from the linear id, x fastest.
  b.setInsertionPointToStart(loop.getBody());
  ArrayRef<int64_t> grid = kernel.getGrid();
  SmallVector<Value, 3> pids;
  Value rest = loop.getInductionVar();
  for (auto [d, size] : llvm::enumerate(grid)) {
    Value sizeValue = arith::ConstantIndexOp::create(b, loc, size);
    if (d + 1 == grid.size()) {
      pids.push_back(rest);
      break;
    }
    pids.push_back(arith::RemUIOp::create(b, loc, rest, sizeValue));
    rest = arith::DivUIOp::create(b, loc, rest, sizeValue);
  }
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  for (Operation &op : kernel.getBody().front().without_terminator()) {
    if (auto pid = dyn_cast<tile::ProgramIdOp>(op)) {
      int64_t dim = pid.getDim();
      mapping.map(pid.getResult(),
                  dim < static_cast<int64_t>(pids.size()) ? pids[dim] : zero);
      continue;
    }
    b.clone(op, mapping);
  }
  // Stack buffers of the body (the product panels of meld-tile-to-vector)
  // are allocated once, at the function's entry: an alloca left in the
  // program loop would grow the stack with every program.
  loop.getBody()->walk([&](memref::AllocaOp alloca) {
    if (alloca->getNumOperands() == 0)
      alloca->moveBefore(loop);
  });
  kernel.erase();
}

/// Emits a loop nest over `shape` calling `body` with the indices.
static void loopNest(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                     function_ref<void(OpBuilder &, ValueRange)> body) {
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t size : shape) {
    lbs.push_back(arith::ConstantIndexOp::create(b, loc, 0));
    ubs.push_back(arith::ConstantIndexOp::create(b, loc, size));
    steps.push_back(arith::ConstantIndexOp::create(b, loc, 1));
  }
  scf::buildLoopNest(b, loc, lbs, ubs, steps,
                     [&](OpBuilder &nb, Location, ValueRange ivs) {
                       body(nb, ivs);
                     });
}

/// Rewrites the tile ops left in host functions into tensor, linalg and scf.
static void lowerTileOps(ModuleOp module) {
  SmallVector<Operation *> ops;
  module.walk([&](Operation *op) {
    if (isa<tile::TileDialect>(op->getDialect()))
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    llvm::TypeSwitch<Operation *>(op)
        .Case([&](tile::IotaOp iota) {
          int64_t dim = iota.getDim();
          auto gen = tensor::GenerateOp::create(
              b, loc, iota.getType(), ValueRange{},
              [&](OpBuilder &nb, Location l, ValueRange ivs) {
                tensor::YieldOp::create(nb, l, ivs[dim]);
              });
          iota.replaceAllUsesWith(gen.getResult());
        })
        .Case([&](tile::LoadOp load) {
          Type element = load.getType().getElementType();
          Value other = load.getOther();
          auto gen = tensor::GenerateOp::create(
              b, loc, load.getType(), ValueRange{},
              [&](OpBuilder &nb, Location l, ValueRange ivs) {
                Value offset =
                    tensor::ExtractOp::create(nb, l, load.getOffsets(), ivs);
                if (!load.getMask()) {
                  tensor::YieldOp::create(
                      nb, l,
                      memref::LoadOp::create(nb, l, load.getBuffer(), offset)
                          .getResult());
                  return;
                }
                Value mask =
                    tensor::ExtractOp::create(nb, l, load.getMask(), ivs);
                Value fallback =
                    other ? other
                          : arith::ConstantOp::create(nb, l,
                                                      nb.getZeroAttr(element))
                                .getResult();
                auto ifOp = scf::IfOp::create(
                    nb, l, mask,
                    [&](OpBuilder &tb, Location tl) {
                      scf::YieldOp::create(
                          tb, tl,
                          memref::LoadOp::create(tb, tl, load.getBuffer(),
                                                 offset)
                              .getResult());
                    },
                    [&](OpBuilder &eb, Location el) {
                      scf::YieldOp::create(eb, el, fallback);
                    });
                tensor::YieldOp::create(nb, l, ifOp.getResult(0));
              });
          load.replaceAllUsesWith(gen.getResult());
        })
        .Case([&](tile::StoreOp store) {
          auto shape =
              cast<RankedTensorType>(store.getValue().getType()).getShape();
          loopNest(b, loc, shape, [&](OpBuilder &nb, ValueRange ivs) {
            Value value = tensor::ExtractOp::create(nb, loc, store.getValue(), ivs);
            Value offset =
                tensor::ExtractOp::create(nb, loc, store.getOffsets(), ivs);
            if (!store.getMask()) {
              memref::StoreOp::create(nb, loc, value, store.getBuffer(), offset);
              return;
            }
            Value mask = tensor::ExtractOp::create(nb, loc, store.getMask(), ivs);
            scf::IfOp::create(nb, loc, mask, [&](OpBuilder &tb, Location tl) {
              memref::StoreOp::create(tb, tl, value, store.getBuffer(), offset);
              scf::YieldOp::create(tb, tl);
            });
          });
        })
        .Case([&](tile::FaultOp fault) {
          // Element by element, in row-major order: the first set element
          // of the first program to get there is the run's fault.
          auto shape = fault.getViolations().getType().getShape();
          loopNest(b, loc, shape, [&](OpBuilder &nb, ValueRange ivs) {
            Value bad =
                tensor::ExtractOp::create(nb, loc, fault.getViolations(), ivs);
            scf::IfOp::create(nb, loc, bad, [&](OpBuilder &tb, Location tl) {
              Value detail =
                  tensor::ExtractOp::create(tb, tl, fault.getDetail(), ivs);
              tile::buildRecordFault(tb, tl, fault.getStatus(), detail,
                                     fault.getSite());
              scf::YieldOp::create(tb, tl);
            });
          });
        })
        .Case([&](tile::DotOp dot) {
          auto matmul = linalg::MatmulOp::create(
              b, loc, TypeRange{dot.getType()},
              ValueRange{dot.getA(), dot.getB()}, ValueRange{dot.getAcc()});
          dot.replaceAllUsesWith(matmul.getResult(0));
        })
        .Case([&](tile::ReduceOp reduce) {
          auto type = cast<RankedTensorType>(reduce.getType());
          Value init = tensor::EmptyOp::create(b, loc, type.getShape(),
                                               type.getElementType());
          Value identity = arith::ConstantOp::create(
              b, loc,
              tile::getReduceIdentity(b, reduce.getKind(),
                                      type.getElementType()));
          init = linalg::FillOp::create(b, loc, identity, init).getResult(0);
          tile::ReduceKind kind = reduce.getKind();
          auto linalgReduce = linalg::ReduceOp::create(
              b, loc, ValueRange{reduce.getInput()}, ValueRange{init},
              ArrayRef<int64_t>{static_cast<int64_t>(reduce.getDim())},
              [&](OpBuilder &nb, Location l, ValueRange args) {
                linalg::YieldOp::create(
                    nb, l,
                    tile::buildReduceCombine(nb, l, kind, args[0], args[1]));
              });
          reduce.replaceAllUsesWith(linalgReduce.getResult(0));
        })
        .Case([&](tile::BroadcastOp broadcast) {
          auto type = cast<RankedTensorType>(broadcast.getType());
          Value init = tensor::EmptyOp::create(b, loc, type.getShape(),
                                               type.getElementType());
          auto linalgBroadcast = linalg::BroadcastOp::create(
              b, loc, broadcast.getInput(), init, broadcast.getDims());
          broadcast.replaceAllUsesWith(linalgBroadcast.getResult()[0]);
        });
  }
  // Erase in reverse so users go before their producers.
  for (Operation *op : llvm::reverse(ops))
    op->erase();
}

struct ConvertTileToCPUPass
    : meld::impl::ConvertTileToCPUBase<ConvertTileToCPUPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto kernel :
         llvm::make_early_inc_range(module.getOps<tile::KernelOp>()))
      lowerKernel(kernel);
    // The launch plan is not code: the artifact builder reads it before this
    // pass; drop what remains of it.
    tile::eraseLaunchPlan(module);
    lowerTileOps(module);
  }
};

} // namespace
