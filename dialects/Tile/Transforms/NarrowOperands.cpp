//===- NarrowOperands.cpp - Operands of tensor-core products in 16 bits ---===//
//
// At precision fp16 or bf16 the products on tensor cores read their operands
// in that type. A buffer read only as such an operand is stored in that type:
// half the bytes to store, load and stage.
//
// - A weight is converted once, at compile time, and stored in the artifact
//   in that type.
// - A buffer one kernel writes and the next reads (the projections feeding
//   attention) is rounded where it is stored.
//
// The kernels reading it load the narrow type and widen it (arith.extf)
// where they read it; on the GPU path the rounding that
// meld-tile-gpu-accelerate-dot inserts before a product folds into the load,
// so the products compute exactly what they did.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tile/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"
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

/// What a kernel does with an f32 buffer argument, where the pass can narrow
/// the buffer.
enum class ArgRole {
  /// Only `tile.load`s read it, whose tiles are only the A or B operand of
  /// products.
  ProductOperand,
  /// Only `tile.store`s write it.
  Stored,
};

static std::optional<ArgRole> getArgRole(BlockArgument arg) {
  if (!cast<MemRefType>(arg.getType()).getElementType().isF32() ||
      arg.use_empty())
    return std::nullopt;
  auto isProductOperandLoad = [&](OpOperand &use) {
    auto load = dyn_cast<LoadOp>(use.getOwner());
    if (!load || use.get() != load.getBuffer())
      return false;
    return llvm::all_of(load.getResult().getUses(), [](OpOperand &read) {
      auto dot = dyn_cast<DotOp>(read.getOwner());
      return dot && read.get() != dot.getAcc();
    });
  };
  auto isStore = [&](OpOperand &use) {
    auto store = dyn_cast<StoreOp>(use.getOwner());
    return store && use.get() == store.getBuffer();
  };
  if (llvm::all_of(arg.getUses(), isProductOperandLoad))
    return ArgRole::ProductOperand;
  if (llvm::all_of(arg.getUses(), isStore))
    return ArgRole::Stored;
  return std::nullopt;
}

/// Gives `buffer` (a kernel argument, in `role`) the element type `narrow`:
/// loads read it so and widen their tiles; stores round what they store.
static void narrowArgument(BlockArgument buffer, ArgRole role, Type narrow) {
  buffer.setType(cast<MemRefType>(buffer.getType()).clone(narrow));
  for (Operation *user : llvm::to_vector(buffer.getUsers())) {
    OpBuilder builder(user);
    if (role == ArgRole::Stored) {
      auto store = cast<StoreOp>(user);
      auto wide = cast<RankedTensorType>(store.getValue().getType());
      store.getValueMutable().assign(arith::TruncFOp::create(
          builder, store.getLoc(), wide.clone(narrow), store.getValue()));
      continue;
    }
    auto load = cast<LoadOp>(user);
    if (Value other = load.getOther())
      load.getOtherMutable().assign(
          arith::TruncFOp::create(builder, load.getLoc(), narrow, other));
    auto wide = cast<RankedTensorType>(load.getType());
    load.getResult().setType(wide.clone(narrow));
    builder.setInsertionPointAfter(load);
    Value extended =
        arith::ExtFOp::create(builder, load.getLoc(), wide, load.getResult());
    load.getResult().replaceAllUsesExcept(extended, extended.getDefiningOp());
  }
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

    // Who passes what to each kernel argument, and what the kernel does
    // with it.
    llvm::MapVector<KernelArg, SmallVector<Value>> passed;
    module.walk([&](LaunchOp launch) {
      auto kernel = symbols.lookup<KernelOp>(launch.getKernel());
      if (!kernel)
        return;
      for (auto [i, value] : llvm::enumerate(launch.getArgs()))
        passed[{kernel, static_cast<unsigned>(i)}].push_back(value);
    });
    llvm::MapVector<KernelArg, ArgRole> roles;
    for (auto &[arg, values] : passed)
      if (std::optional<ArgRole> role =
              getArgRole(arg.first.getBody().getArgument(arg.second)))
        roles[arg] = *role;
    auto argOf = [&](OpOperand &use) -> std::optional<KernelArg> {
      auto launch = dyn_cast<LaunchOp>(use.getOwner());
      if (!launch)
        return std::nullopt;
      auto kernel = symbols.lookup<KernelOp>(launch.getKernel());
      if (!kernel)
        return std::nullopt;
      return KernelArg{kernel, use.getOperandNumber()};
    };

    // Candidates: f32 weights, and f32 buffers the plan allocates. The ops
    // naming one weight handle share its buffer: all narrow or none.
    llvm::SetVector<Value> buffers;
    llvm::StringMap<SmallVector<Value>> byHandle;
    module.walk([&](Operation *op) {
      if (!isa<WeightOp, memref::AllocOp>(op) ||
          !cast<MemRefType>(op->getResult(0).getType())
               .getElementType()
               .isF32())
        return;
      buffers.insert(op->getResult(0));
      if (auto weight = dyn_cast<WeightOp>(op))
        byHandle[weight.getHandle()].push_back(weight);
    });
    auto drop = [&](Value buffer) {
      if (auto weight = buffer.getDefiningOp<WeightOp>())
        for (Value other : byHandle[weight.getHandle()])
          buffers.remove(other);
      else
        buffers.remove(buffer);
    };
    module.walk([&](WeightOp weight) {
      if (!buffers.contains(weight) && byHandle.count(weight.getHandle()))
        drop(byHandle[weight.getHandle()].front());
    });
    // A buffer stays a candidate while every use passes it to arguments that
    // read it as a product operand, or (an allocated one) store into it, and
    // it is read so at least once; an argument while it is given candidates
    // only. Drop either side until both agree.
    auto isNarrowable = [&](Value buffer) {
      bool read = false;
      for (OpOperand &use : buffer.getUses()) {
        std::optional<KernelArg> arg = argOf(use);
        auto role = arg ? roles.find(*arg) : roles.end();
        if (role == roles.end())
          return false;
        if (role->second == ArgRole::Stored &&
            !buffer.getDefiningOp<memref::AllocOp>())
          return false;
        read |= role->second == ArgRole::ProductOperand;
      }
      return read;
    };
    for (bool changed = true; changed;) {
      changed = false;
      for (Value buffer : llvm::to_vector(buffers)) {
        if (buffers.contains(buffer) && !isNarrowable(buffer)) {
          drop(buffer);
          changed = true;
        }
      }
      size_t before = roles.size();
      roles.remove_if([&](const auto &entry) {
        return llvm::any_of(passed[entry.first],
                            [&](Value v) { return !buffers.contains(v); });
      });
      changed |= roles.size() != before;
    }

    // The buffers in the narrow type...
    for (Value buffer : buffers)
      buffer.setType(cast<MemRefType>(buffer.getType()).clone(narrow));
    // ...and the kernels load and store them so.
    llvm::SetVector<KernelOp> retyped;
    for (auto &[arg, role] : roles) {
      narrowArgument(arg.first.getBody().getArgument(arg.second), role, narrow);
      retyped.insert(arg.first);
    }
    for (KernelOp kernel : retyped)
      kernel.setFunctionType(
          FunctionType::get(ctx, kernel.getBody().getArgumentTypes(),
                            kernel.getFunctionType().getResults()));
  }
};

} // namespace
