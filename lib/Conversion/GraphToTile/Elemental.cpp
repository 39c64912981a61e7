//===- Elemental.cpp - Values of a fusion group at any coordinates -------===//
//
// `GroupElements` builds the tile of a value of a fusion group's region at
// coordinates its caller chooses, by walking the value's definition back to
// the group's arguments: the way a kernel computes an operand it reads (an
// attention's rotated queries and keys, its prepared mask) without the
// operand ever reaching device memory.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"

using namespace mlir;
using namespace meld;
using namespace meld::graph_to_tile;

Value GroupElements::at(const TileBuilder &t, Value value,
                        ArrayRef<Value> coords, Value mask) {
  // Tiles built under another insertion point may not be visible here.
  built.clear();
  return compute(t, value, coords, mask);
}

Value GroupElements::compute(const TileBuilder &t, Value value,
                             ArrayRef<Value> coords, Value mask) {
  assert(coords.size() ==
             static_cast<size_t>(
                 cast<RankedTensorType>(value.getType()).getRank()) &&
         "one coordinate per dimension");
  // The same value at the same coordinates under the same mask is built
  // once.
  SmallVector<Value> key(coords);
  key.push_back(mask);
  for (auto &[at, tile] : built[value])
    if (at == key)
      return tile;
  Value result;
  Operation *def = value.getDefiningOp();
  if (!def || group.isInputView(def)) {
    unsigned arg;
    graph::ViewLayout layout = traceGroupInput(group, value, arg);
    result = t.load(args[arg], t.viewOffset(layout, coords), mask);
  } else if (auto constant = dyn_cast<graph::ConstantOp>(def)) {
    result = t.constant(cast<SplatElementsAttr>(constant.getValue())
                            .getSplatValue<Attribute>());
  } else if (auto concat = dyn_cast<graph::ConcatOp>(def)) {
    // Each piece where the coordinate along the axis falls in it.
    int64_t axis = concat.getAxis(), begin = 0;
    for (Value piece : concat.getInputs()) {
      int64_t end =
          begin + cast<RankedTensorType>(piece.getType()).getDimSize(axis);
      Value inside = t.inRange(coords[axis], begin, end);
      SmallVector<Value> local(coords);
      local[axis] =
          arith::SubIOp::create(t.b, t.loc, coords[axis], t.index(begin));
      Value tile = compute(t, piece, local, t.both(mask, inside));
      result =
          result
              ? Value(arith::SelectOp::create(t.b, t.loc, inside, tile, result))
              : tile;
      begin = end;
    }
  } else if (auto view = dyn_cast<graph::ViewOpInterface>(def)) {
    // The source's coordinates of each element: its row-major position,
    // where the view's layout puts it, split back into coordinates.
    Value source = def->getOperand(0);
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(source.getType()).getShape();
    graph::ViewLayout layout =
        *view.getResultLayout(cast<OpResult>(value).getResultNumber(),
                              graph::ViewLayout::rowMajor(shape));
    result = compute(t, source,
                     t.delinearize(t.viewOffset(layout, coords), shape), mask);
  } else {
    // Elementwise: each operand at the coordinates numpy broadcasting maps
    // the result's to.
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(value.getType()).getShape();
    SmallVector<Value> operands;
    for (Value operand : def->getOperands())
      operands.push_back(
          compute(t, operand,
                  t.broadcastCoords(
                      coords, shape,
                      cast<RankedTensorType>(operand.getType()).getShape()),
                  mask));
    result = cast<graph::ElementwiseOpInterface>(def).buildTileMath(
        t.b, def->getLoc(), operands);
  }
  built[value].push_back({std::move(key), result});
  return result;
}
