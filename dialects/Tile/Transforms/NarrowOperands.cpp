//===- NarrowOperands.cpp - Operands of tensor-core products in 16 bits ---===//
//
// At precision fp16 or bf16 the products on tensor cores read their operands
// in that type. A weight read only as such an operand is converted once, at
// compile time, and stored in the artifact in that type: half the bytes to
// store, load and stage. The kernels reading it load the narrow type and
// widen it (arith.extf) where they read it; on the GPU path the rounding
// meld-tile-gpu-accelerate-dot inserts before a product folds into the load.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tile/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

namespace meld::tile {
#define GEN_PASS_DEF_TILENARROWOPERANDS
#include "dialects/Tile/Transforms/Passes.h.inc"
} // namespace meld::tile

using namespace mlir;
using namespace meld;
using namespace meld::tile;

namespace {

/// A kernel's argument, by position.
using KernelArg = std::pair<KernelOp, unsigned>;

/// Whether `arg` (an f32 buffer of `kernel`) is read only by loads whose
/// tiles are only the A or B operand of products.
static bool isReadAsProductOperand(BlockArgument arg) {
  if (!cast<MemRefType>(arg.getType()).getElementType().isF32())
    return false;
  for (OpOperand &use : arg.getUses()) {
    auto load = dyn_cast<LoadOp>(use.getOwner());
    if (!load || use.get() != load.getBuffer())
      return false;
    for (OpOperand &read : load.getResult().getUses()) {
      auto dot = dyn_cast<DotOp>(read.getOwner());
      if (!dot || read.get() == dot.getAcc())
        return false;
    }
  }
  return true;
}

struct TileNarrowOperands
    : tile::impl::TileNarrowOperandsBase<TileNarrowOperands> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    if (precision != "fp16" && precision != "bf16")
      return emitError(UnknownLoc::get(context))
             << "precision must be fp16 or bf16, got '" << precision << "'";
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    Type narrow = precision == "fp16" ? Type(Float16Type::get(ctx))
                                      : Type(BFloat16Type::get(ctx));
    SymbolTable symbols(module);

    // Who passes what to each kernel argument.
    DenseMap<KernelArg, SmallVector<Value>> passed;
    module.walk([&](LaunchOp launch) {
      auto kernel = symbols.lookup<KernelOp>(launch.getKernel());
      if (!kernel)
        return;
      for (auto [i, value] : llvm::enumerate(launch.getArgs()))
        passed[{kernel, static_cast<unsigned>(i)}].push_back(value);
    });
    // Candidates: f32 weights all of whose readers are product operands,
    // and kernel arguments that are product operands and only ever given
    // candidates; drop either side until both agree.
    llvm::SetVector<WeightOp> weights;
    module.walk([&](WeightOp weight) {
      if (cast<MemRefType>(weight.getType()).getElementType().isF32())
        weights.insert(weight);
    });
    llvm::DenseSet<KernelArg> args;
    for (auto &[arg, values] : passed)
      if (isReadAsProductOperand(arg.first.getBody().getArgument(arg.second)))
        args.insert(arg);
    auto argOf = [&](OpOperand &use) -> std::optional<KernelArg> {
      auto launch = dyn_cast<LaunchOp>(use.getOwner());
      if (!launch)
        return std::nullopt;
      auto kernel = symbols.lookup<KernelOp>(launch.getKernel());
      if (!kernel)
        return std::nullopt;
      return KernelArg{kernel, use.getOperandNumber()};
    };
    // The ops naming one handle share its buffer: all narrow or none.
    llvm::StringMap<SmallVector<WeightOp>> byHandle;
    for (WeightOp weight : weights)
      byHandle[weight.getHandle()].push_back(weight);
    module.walk([&](WeightOp weight) {
      if (!weights.contains(weight) && byHandle.count(weight.getHandle()))
        for (WeightOp other : byHandle[weight.getHandle()])
          weights.remove(other);
    });
    for (bool changed = true; changed;) {
      changed = false;
      for (WeightOp weight : llvm::to_vector(weights)) {
        if (!weights.contains(weight))
          continue;
        for (OpOperand &use : weight.getResult().getUses()) {
          std::optional<KernelArg> arg = argOf(use);
          if (!arg || !args.contains(*arg)) {
            for (WeightOp other : byHandle[weight.getHandle()])
              weights.remove(other);
            changed = true;
            break;
          }
        }
      }
      for (KernelArg arg : llvm::to_vector(args))
        for (Value value : passed[arg]) {
          auto weight = value.getDefiningOp<WeightOp>();
          if (!weight || !weights.contains(weight)) {
            args.erase(arg);
            changed = true;
            break;
          }
        }
    }

    // The weights in the narrow type...
    for (WeightOp weight : weights) {
      auto type = cast<MemRefType>(weight.getType());
      weight.getResult().setType(cast<MemRefType>(type.clone(narrow)));
    }
    // ...and the kernels load it so, widening it where they read it.
    llvm::DenseSet<Operation *> retyped;
    for (KernelArg arg : args) {
      KernelOp kernel = arg.first;
      BlockArgument buffer = kernel.getBody().getArgument(arg.second);
      buffer.setType(cast<MemRefType>(buffer.getType()).clone(narrow));
      for (Operation *user : llvm::to_vector(buffer.getUsers())) {
        auto load = cast<LoadOp>(user);
        OpBuilder builder(load);
        if (Value other = load.getOther())
          load.getOtherMutable().assign(
              arith::TruncFOp::create(builder, load.getLoc(), narrow, other));
        auto wide = cast<RankedTensorType>(load.getType());
        load.getResult().setType(wide.clone(narrow));
        builder.setInsertionPointAfter(load);
        Value extended = arith::ExtFOp::create(builder, load.getLoc(), wide,
                                               load.getResult());
        load.getResult().replaceAllUsesExcept(extended,
                                              extended.getDefiningOp());
      }
      retyped.insert(kernel);
    }
    for (Operation *op : retyped) {
      auto kernel = cast<KernelOp>(op);
      kernel.setFunctionType(
          FunctionType::get(ctx, kernel.getBody().getArgumentTypes(),
                            kernel.getFunctionType().getResults()));
    }
  }
};

} // namespace
