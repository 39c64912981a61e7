//===- TestViewLayouts.cpp - Print the layouts of graph views -------------===//
//
// `test-graph-view-layouts` reports, for every result of every view op
// (`ViewOpInterface`), where its elements lie: the chain of views back to the
// furthest value whose buffer they address, as `traceView` composes it, and,
// for a one-to-one view, where storing it puts its operand's elements
// (`traceStore`). Lit checks the layout algebra through these remarks.
//
//===----------------------------------------------------------------------===//

#include "dialects/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;
using namespace meld::graph;

namespace {

struct TestViewLayouts
    : public PassWrapper<TestViewLayouts, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TestViewLayouts)

  StringRef getArgument() const final { return "test-graph-view-layouts"; }
  StringRef getDescription() const final {
    return "Report the layout of every view op's results";
  }

  void runOnOperation() override {
    auto everything = [](Operation *) { return true; };
    getOperation().walk([&](ViewOpInterface view) {
      for (OpResult result : view->getResults()) {
        Value root;
        ViewLayout layout = traceView(result, root, everything);
        InFlightDiagnostic remark = view->emitRemark();
        remark << "result " << result.getResultNumber();
        if (root == result) {
          remark << " is no strided view";
        } else {
          remark << " reads ";
          if (auto arg = dyn_cast<BlockArgument>(root))
            remark << "argument " << arg.getArgNumber();
          else
            remark << "'" << root.getDefiningOp()->getName() << "'";
          std::string text;
          llvm::raw_string_ostream os(text);
          os << layout;
          remark << " at " << text;
        }
        if (view->getNumResults() != 1)
          continue;
        Value source;
        FailureOr<ViewLayout> store = traceStore(
            result, source, [&](Operation *op) { return op == view; });
        if (succeeded(store)) {
          std::string text;
          llvm::raw_string_ostream os(text);
          os << *store;
          remark << "; stores its operand at " << text;
        }
      }
    });
  }
};

} // namespace

namespace meld::test {
void registerTestViewLayoutsPass() { PassRegistration<TestViewLayouts>(); }
} // namespace meld::test
