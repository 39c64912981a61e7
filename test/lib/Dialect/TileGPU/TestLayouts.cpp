//===- TestLayouts.cpp - Print where layouts place tile elements ----------===//
//
// `test-tile-gpu-layouts` reports, for every op result that is a tile with a
// distributed layout, where each thread's slots lie (`lane L warp W: (r, c)
// ...`, `-` for a slot that holds nothing), and then how often each element
// is held: "each element held once" (by the first copy of a dot operand,
// with the number of copies), or the first element held another number of
// times. Lit checks the layouts against the PTX ISA's fragment
// tables through these remarks.
//
//===----------------------------------------------------------------------===//

#include "dialects/TileGPU/IR/TileGPUDialect.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/StringExtras.h"

#include <map>

using namespace mlir;
using namespace meld::tile_gpu;

namespace {

struct TestLayouts : public PassWrapper<TestLayouts, OperationPass<>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TestLayouts)

  StringRef getArgument() const final { return "test-tile-gpu-layouts"; }
  StringRef getDescription() const final {
    return "Report where the layout of every tile places its elements";
  }

  static bool isFirstCopy(AffineExpr copyIndex, int64_t lane, int64_t warp) {
    MLIRContext *ctx = copyIndex.getContext();
    AffineExpr value = simplifyAffineExpr(
        copyIndex.replaceDims({getAffineConstantExpr(lane, ctx),
                               getAffineConstantExpr(warp, ctx)}),
        2, 0);
    return cast<AffineConstantExpr>(value).getValue() == 0;
  }

  void runOnOperation() override {
    getOperation()->walk([&](Operation *op) {
      for (Value result : op->getResults()) {
        DistributedLayoutAttr layout = getLayout(result.getType());
        if (!layout)
          continue;
        auto type = cast<RankedTensorType>(result.getType());
        SmallVector<int64_t> shape = getLayoutShape(type.getShape());
        int64_t slots = layout.getSlotsPerThread(shape);
        std::map<SmallVector<int64_t>, int64_t> held, copies;
        AffineExpr copyIndex = layout.getCopyIndex();
        InFlightDiagnostic remark = op->emitRemark();
        remark << slots << " slots per thread";
        for (int64_t warp = 0; warp < layout.getNumWarps(); ++warp)
          for (int64_t lane = 0; lane < 32; ++lane) {
            remark << "\nlane " << lane << " warp " << warp << ":";
            for (int64_t slot = 0; slot < slots; ++slot) {
              std::optional<SmallVector<int64_t>> element =
                  layout.getSlotElement(shape, slot, lane, warp);
              if (!element) {
                remark << " -";
                continue;
              }
              remark << " ("
                     << llvm::join(llvm::map_range(*element,
                                                   [](int64_t c) {
                                                     return std::to_string(c);
                                                   }),
                                   ", ")
                     << ")";
              ++copies[*element];
              if (!copyIndex || isFirstCopy(copyIndex, lane, warp))
                ++held[*element];
            }
          }
        int64_t elements = type.getNumElements();
        auto odd = llvm::find_if(held, [](auto &e) { return e.second != 1; });
        if (static_cast<int64_t>(held.size()) != elements)
          remark << "\n"
                 << held.size() << " of " << elements << " elements held";
        else if (odd != held.end())
          remark << "\nan element held " << odd->second << " times";
        else
          remark << "\neach element held once";
        if (copyIndex)
          remark << ", in " << copies.begin()->second << " copies";
      }
    });
  }
};

} // namespace

namespace meld::test {
void registerTestTileGPULayoutsPass() { PassRegistration<TestLayouts>(); }
} // namespace meld::test
