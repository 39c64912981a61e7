//===- GraphViews.cpp - Layouts of the graph ops that are views -----------===//
//
// ViewOpInterface: where the elements of a transpose, reshape, slice, split
// or expand live in their operand's buffer. Fusion reads through these views
// instead of copying; see ViewLayout.h for the algebra.
//
//===----------------------------------------------------------------------===//

#include "dialects/Graph/IR/GraphOps.h"

using namespace mlir;
using namespace meld::graph;

static ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

FailureOr<ViewLayout> TransposeOp::getResultLayout(unsigned,
                                                   const ViewLayout &input) {
  return input.permute(getPermutation());
}

FailureOr<ViewLayout> TransposeOp::getInputLayout(const ViewLayout &result) {
  ArrayRef<int64_t> permutation = getPermutation();
  SmallVector<int64_t> inverse(permutation.size());
  for (auto [i, source] : llvm::enumerate(permutation))
    inverse[source] = i;
  return result.permute(inverse);
}

FailureOr<ViewLayout> ReshapeOp::getResultLayout(unsigned,
                                                 const ViewLayout &input) {
  return input.reshape(getType().getShape());
}

FailureOr<ViewLayout> ReshapeOp::getInputLayout(const ViewLayout &result) {
  return result.reshape(shapeOf(getInput()));
}

FailureOr<ViewLayout> SliceOp::getResultLayout(unsigned,
                                               const ViewLayout &input) {
  return input.slice(getStarts(), getSizes(), getSteps());
}

FailureOr<ViewLayout> SplitOp::getResultLayout(unsigned resultIndex,
                                               const ViewLayout &input) {
  ArrayRef<int64_t> shape = shapeOf(getInput());
  SmallVector<int64_t> starts(shape.size(), 0), steps(shape.size(), 1);
  for (int64_t size : getSizes().take_front(resultIndex))
    starts[getAxis()] += size;
  return input.slice(starts, shapeOf(getResult(resultIndex)), steps);
}

FailureOr<ViewLayout> ExpandOp::getResultLayout(unsigned,
                                                const ViewLayout &input) {
  return input.broadcast(getType().getShape());
}

ViewLayout meld::graph::traceView(Value value, Value &root,
                                  function_ref<bool(Operation *)> follow) {
  // The views back from `value`, nearest first.
  SmallVector<std::pair<ViewOpInterface, unsigned>> chain;
  Value at = value;
  while (auto view = at.getDefiningOp<ViewOpInterface>()) {
    if (!follow(view))
      break;
    chain.push_back({view, cast<OpResult>(at).getResultNumber()});
    at = view->getOperand(0);
  }
  // The longest chain that composes: from the furthest root inwards.
  for (size_t start = chain.size(); start > 0; --start) {
    Value from = chain[start - 1].first->getOperand(0);
    FailureOr<ViewLayout> layout = ViewLayout::rowMajor(shapeOf(from));
    for (size_t i = start; i > 0 && succeeded(layout); --i)
      layout = chain[i - 1].first.getResultLayout(chain[i - 1].second, *layout);
    if (succeeded(layout)) {
      root = from;
      return *layout;
    }
  }
  root = value;
  return ViewLayout::rowMajor(shapeOf(value));
}

FailureOr<ViewLayout>
meld::graph::traceStore(Value value, Value &source,
                        function_ref<bool(Operation *)> follow) {
  ViewLayout layout = ViewLayout::rowMajor(shapeOf(value));
  while (auto view = value.getDefiningOp<ViewOpInterface>()) {
    if (!follow(view))
      break;
    FailureOr<ViewLayout> input = view.getInputLayout(layout);
    if (failed(input))
      return failure();
    layout = *input;
    value = view->getOperand(0);
  }
  source = value;
  return layout;
}
