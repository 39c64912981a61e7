//===- Fuse.cpp - Partition the graph into fusion groups ------------------===//
//
// Producer-consumer fusion: elementwise ops into pointwise groups (which a
// gather may start: an embedding lookup and the ops after it), and into the
// epilogue of the matrix product they consume (matmul groups). The ops of a
// block are visited in order; each elementwise op, gather or matmul starts a
// group, and an elementwise op takes in the groups of the ops producing its
// operands when the result is still one kernel:
//   - every value the group returns has the group's shape (the shape of its
//     last op), so one pointwise iteration space writes them all; a smaller
//     value (a bias scaled once) joins only if all its users are in the
//     group;
//   - no value of the group is used, outside it, before its last op: such a
//     user would run between the group's ops (a path out of the group and
//     back in, or a use before the group's place);
//   - a group holds at most one matmul, its operands come from outside the
//     group, and its result shape is the group's.
// An attention is a group of its own, with the ops computing its operands
// that only it reads (`getAttentionPrologue`): its kernel computes them where
// it reads them. Then each matmul group takes in the normalization of its
// left operand when only matmuls read it (`absorbPrologue`), or else the
// normalization of its only value (`absorbRowEpilogue`); a row-wise op left
// (a softmax, normalization or reduction of the trailing axes) becomes a
// rows group with the pointwise groups computing its input and reading its
// result (`formRowGroups`); each group takes the views it reads through
// (copied in) and those it stores through (moved in), see `absorbViews`; and
// matmul groups sharing their left operand merge into one kernel of several
// parts (`mergeSiblingMatmuls`); last, a matmul group whose only value is the
// left operand of a matmul group's one matmul of few enough columns joins it
// in a chain group, which keeps the intermediate on chip (`formChains`), and
// an attention's output projection of few enough columns joins the
// attention's group (`joinAttentionProjections`).
//
//===----------------------------------------------------------------------===//

#include "dialects/Graph/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/SetVector.h"

namespace meld::graph {
#define GEN_PASS_DEF_GRAPHFUSE
#include "dialects/Graph/Transforms/Passes.h.inc"
} // namespace meld::graph

using namespace mlir;
using namespace meld;
using namespace meld::graph;

namespace {

/// The ops of a fusion group, in block order, and its kind.
using Group = std::pair<SmallVector<Operation *>, FusionKind>;

/// Whether `a` comes before `b` in their block: block order, for sorts.
static bool inBlockOrder(Operation *a, Operation *b) {
  return a->isBeforeInBlock(b);
}

/// The (first) matmul of matmul group `ops`.
static MatmulOp getMatmul(ArrayRef<Operation *> ops) {
  for (Operation *op : ops)
    if (auto matmul = dyn_cast<MatmulOp>(op))
      return matmul;
  return nullptr;
}

/// Whether matmul group `ops` holds exactly one matmul.
static bool hasOneMatmul(ArrayRef<Operation *> ops) {
  return llvm::count_if(ops, [](Operation *op) { return isa<MatmulOp>(op); }) ==
         1;
}

/// Drops the groups that merges left empty.
static void eraseEmptyGroups(SmallVector<Group> &groups) {
  llvm::erase_if(groups,
                 [](const Group &group) { return group.first.empty(); });
}

/// Moves the ops of `from` into `into` (kept in block order), which becomes
/// of `kind`; `from` is left empty.
static void moveGroup(Group &into, SmallVector<Operation *> &from,
                      FusionKind kind) {
  llvm::append_range(into.first, from);
  llvm::sort(into.first, inBlockOrder);
  into.second = kind;
  from.clear();
}

/// Whether every value of `ops` that an op outside the group (`inGroup` says
/// which ops are in it) reads has the group's `shape` and is read, in
/// `block`, after `last`, where the group will be: the group's results.
static bool returnsAfter(Block &block, ArrayRef<Operation *> ops,
                         function_ref<bool(Operation *)> inGroup,
                         Operation *last, ArrayRef<int64_t> shape) {
  for (Operation *op : ops)
    for (Value result : op->getResults())
      for (Operation *user : result.getUsers()) {
        Operation *outside = block.findAncestorOpInBlock(*user);
        if (outside && inGroup(outside))
          continue;
        if (!outside || outside->isBeforeInBlock(last) ||
            cast<RankedTensorType>(result.getType()).getShape() != shape)
          return false;
      }
  return true;
}

/// The groups of one block under construction: each op's group, and each
/// group's ops in block order.
class Partition {
public:
  Partition(Block &block, int64_t maxOps) : block(block), maxOps(maxOps) {}

  /// Starts a group with matmul `op`, whose epilogue later ops may join.
  void start(MatmulOp op) {
    groupOf[op] = groups.size();
    groups.push_back({op});
    matmuls.push_back(op);
  }

  /// Starts a pointwise group with gather `op`, which later elementwise ops
  /// may join (it reads its operands from buffers, so it takes in no
  /// producer).
  void startGather(GatherOp op) {
    groupOf[op] = groups.size();
    groups.push_back({op});
    matmuls.push_back(nullptr);
  }

  /// Visits elementwise `op` (after every op before it): starts its group and
  /// merges the groups of its operands' producers where that keeps one
  /// kernel.
  void visit(Operation *op) {
    unsigned id = groups.size();
    groups.push_back({op});
    matmuls.push_back(nullptr);
    groupOf[op] = id;
    for (Value operand : op->getOperands()) {
      auto it = groupOf.find(operand.getDefiningOp());
      if (it == groupOf.end() || it->second == id)
        continue;
      unsigned producer = it->second;
      if (canMerge(producer, id, op))
        merge(producer, id);
    }
  }

  /// The groups, each in block order, with their kind.
  SmallVector<Group> takeGroups() {
    SmallVector<Group> result;
    for (auto [ops, matmul] : llvm::zip_equal(groups, matmuls))
      if (!ops.empty())
        result.push_back({std::move(ops),
                          matmul ? FusionKind::matmul : FusionKind::pointwise});
    return result;
  }

private:
  bool canMerge(unsigned producer, unsigned consumer, Operation *last) {
    const SmallVector<Operation *> &ops = groups[producer];
    if (static_cast<int64_t>(ops.size() + groups[consumer].size()) > maxOps)
      return false;
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(last->getResult(0).getType()).getShape();
    auto inMerged = [&](Operation *op) {
      auto it = groupOf.find(op);
      return it != groupOf.end() &&
             (it->second == producer || it->second == consumer);
    };
    if (MatmulOp matmul =
            matmuls[producer] ? matmuls[producer] : matmuls[consumer]) {
      if (matmuls[producer] && matmuls[consumer])
        return false;
      if (matmul.getType().getShape() != shape)
        return false;
      for (Value operand : matmul->getOperands())
        if (Operation *def = operand.getDefiningOp(); def && inMerged(def))
          return false;
    }
    // A result of the group: it must have the group's shape and be used
    // after the group's last op.
    return returnsAfter(block, ops, inMerged, last, shape);
  }

  void merge(unsigned from, unsigned into) {
    SmallVector<Operation *> &target = groups[into];
    for (Operation *op : groups[from]) {
      groupOf[op] = into;
      target.push_back(op);
    }
    groups[from].clear();
    if (matmuls[from])
      matmuls[into] = std::exchange(matmuls[from], nullptr);
    llvm::sort(target, inBlockOrder);
  }

  Block &block;
  int64_t maxOps;
  SmallVector<SmallVector<Operation *>> groups;
  SmallVector<MatmulOp> matmuls; // Each group's matmul, or null.
  DenseMap<Operation *, unsigned> groupOf;
};

/// Whether `ops` are all reshapes, which cost nothing outside a group either.
static bool allReshapes(ArrayRef<Operation *> ops) {
  return llvm::all_of(ops, [](Operation *op) { return isa<ReshapeOp>(op); });
}

/// Adds to `group` the views it should read or store through rather than
/// copy: for each operand, the chain of views (that no group holds) back to
/// the furthest value whose buffer they address; for each result read only
/// by a chain of reshapes and transposes, that chain, moved to just after
/// the group. A chain of reshapes alone is left out: it costs nothing. Groups
/// may share the views they read through (each reads through its copy), but
/// a view one group stores through is no other's: `inputViews` and
/// `outputViews` hold those the groups before took. Returns whether any
/// view was added.
static bool absorbViews(SmallVector<Operation *> &group,
                        const llvm::SmallPtrSetImpl<Operation *> &grouped,
                        llvm::SmallPtrSetImpl<Operation *> &inputViews,
                        llvm::SmallPtrSetImpl<Operation *> &outputViews) {
  const llvm::SmallPtrSet<Operation *, 16> own(group.begin(), group.end());
  llvm::SmallPtrSet<Operation *, 16> members(own);
  auto free = [&](Operation *op) {
    return !grouped.count(op) && !own.count(op) && !outputViews.count(op);
  };
  SmallVector<Operation *> added;
  for (Operation *op : group)
    for (Value operand : op->getOperands()) {
      Value root;
      traceView(operand, root, free);
      if (Operation *def = root.getDefiningOp(); def && own.count(def))
        continue;
      SmallVector<Operation *> chain;
      for (Value v = operand; v != root; v = v.getDefiningOp()->getOperand(0))
        chain.push_back(v.getDefiningOp());
      if (allReshapes(chain))
        continue;
      for (Operation *view : chain) {
        inputViews.insert(view);
        if (members.insert(view).second)
          added.push_back(view);
      }
    }
  // Output chains: a result whose only reader is a one-to-one view, and so
  // on, stored through them.
  Operation *last = group.back();
  for (Operation *op : SmallVector<Operation *>(group)) {
    if (op->getNumResults() != 1)
      continue;
    SmallVector<Operation *> chain;
    Value v = op->getResult(0);
    while (v.hasOneUse()) {
      auto view = dyn_cast<ViewOpInterface>(*v.getUsers().begin());
      Value source;
      if (!view || !free(view) || inputViews.count(view) ||
          view->getNumResults() != 1 ||
          failed(traceStore(view->getResult(0), source,
                            [&](Operation *o) { return o == view; })))
        break;
      chain.push_back(view);
      v = view->getResult(0);
    }
    while (!chain.empty() && isa<ReshapeOp>(chain.back()))
      chain.pop_back();
    // The group's own ops read nothing it stores through a view.
    if (chain.empty() ||
        llvm::any_of(chain.back()->getUsers(),
                     [&](Operation *user) { return members.count(user); }))
      continue;
    for (Operation *view : chain) {
      outputViews.insert(view);
      view->moveAfter(last);
      last = view;
      members.insert(view);
      added.push_back(view);
    }
  }
  if (added.empty())
    return false;
  llvm::append_range(group, added);
  llvm::sort(group, inBlockOrder);
  return true;
}

/// Adds to matmul `group` the normalization computing its matmul's left
/// operand over the last axis, as the kernel's prologue, when every reader
/// of the normalization is the left operand of a matmul that starts a group
/// (each recomputes it, and the normalization's own kernel goes away).
/// Returns whether it did.
static bool absorbPrologue(SmallVector<Operation *> &group,
                           const llvm::SmallPtrSetImpl<Operation *> &grouped,
                           const llvm::SmallPtrSetImpl<Operation *> &matmuls) {
  MatmulOp matmul = getMatmul(group);
  if (!matmul)
    return false;
  Value lhs = matmul.getLhs();
  Operation *norm = lhs.getDefiningOp();
  if (!norm || !isa<LayerNormOp, RmsNormOp>(norm) || grouped.count(norm))
    return false;
  auto type = cast<RankedTensorType>(lhs.getType());
  if (cast<IntegerAttr>(norm->getAttr("axis")).getInt() != type.getRank() - 1)
    return false;
  for (OpOperand &use : norm->getResult(0).getUses())
    if (!matmuls.count(use.getOwner()) || use.getOperandNumber() != 0)
      return false;
  group.push_back(norm);
  llvm::sort(group, inBlockOrder);
  return true;
}

/// Merges each matmul group into an earlier one whose matmul shares its left
/// operand and its result's shape but for columns (the Q, K and V
/// projections of one input): one kernel whose programs each compute a tile
/// of one of them. Groups of products of one shape where one reads the
/// other's values elementwise (SwiGLU's gate and up projections) merge too:
/// each program computes both products' tiles. Only where neither group
/// reads the other's values otherwise, every value the merged group
/// returns is used after its last op, it has at most `maxOps` ops, and
/// neither has a row epilogue (`withRowNorm` holds their matmuls).
static void
mergeSiblingMatmuls(SmallVector<Group> &groups, int64_t maxOps,
                    const llvm::SmallPtrSetImpl<Operation *> &withRowNorm) {
  DenseMap<Value, SmallVector<unsigned>> withLhs;
  // Whether group `i` merged into group `j`.
  auto tryMerge = [&](unsigned j, unsigned i) {
    SmallVector<Operation *> &into = groups[j].first;
    SmallVector<Operation *> &from = groups[i].first;
    if (getMatmul(into).getType().getShape().drop_back() !=
        getMatmul(from).getType().getShape().drop_back())
      return false;
    // Both may hold a normalization they share; each holds its other ops.
    llvm::SetVector<Operation *> merged(into.begin(), into.end());
    merged.insert(from.begin(), from.end());
    if (static_cast<int64_t>(merged.size()) > maxOps)
      return false;
    llvm::SmallPtrSet<Operation *, 16> inInto(into.begin(), into.end()),
        inFrom(from.begin(), from.end());
    // An op of one group may read the other's values only elementwise (the
    // kernel then computes both products in each program: a dual product,
    // SwiGLU's gate and up), and no op may combine products of two shapes.
    auto readsOther = [&](Operation *op,
                          const llvm::SmallPtrSetImpl<Operation *> &own,
                          const llvm::SmallPtrSetImpl<Operation *> &other) {
      bool reads = llvm::any_of(op->getOperands(), [&](Value v) {
        Operation *def = v.getDefiningOp();
        return def && other.count(def) && !own.count(def);
      });
      return reads && !isa<ElementwiseOpInterface>(op);
    };
    SmallVector<Operation *> ordered(merged.begin(), merged.end());
    llvm::sort(ordered, inBlockOrder);
    DenseMap<Operation *, Type> productType;
    for (Operation *op : ordered) {
      if (auto matmul = dyn_cast<MatmulOp>(op)) {
        productType[op] = matmul.getType();
        continue;
      }
      for (Value v : op->getOperands()) {
        Type type = productType.lookup(v.getDefiningOp());
        if (!type)
          continue;
        if (Type &mine = productType[op]; mine && mine != type)
          return false;
        else
          mine = type;
      }
    }
    Operation *last = ordered.back();
    bool ok = llvm::all_of(merged, [&](Operation *op) {
      if ((inInto.count(op) && readsOther(op, inInto, inFrom)) ||
          (inFrom.count(op) && readsOther(op, inFrom, inInto)))
        return false;
      return llvm::all_of(op->getUsers(), [&](Operation *user) {
        Operation *outside = op->getBlock()->findAncestorOpInBlock(*user);
        return !outside || merged.count(outside) ||
               last->isBeforeInBlock(outside);
      });
    });
    if (!ok)
      return false;
    into = std::move(ordered);
    from.clear();
    return true;
  };
  for (unsigned i = 0, e = groups.size(); i < e; ++i) {
    if (groups[i].second != FusionKind::matmul || groups[i].first.empty() ||
        withRowNorm.count(getMatmul(groups[i].first)))
      continue;
    SmallVector<unsigned> &earlier =
        withLhs[getMatmul(groups[i].first).getLhs()];
    if (llvm::none_of(earlier, [&](unsigned j) { return tryMerge(j, i); }))
      earlier.push_back(i);
  }
  eraseEmptyGroups(groups);
}

/// The ops computing `attention`'s operands that it alone reads (directly
/// or through each other) and can compute where it reads them: the rotary
/// embedding of Q and K, the preparation of a padding mask. It takes no op
/// of a matmul group (a bias is the matmul's epilogue) and each other group
/// whole or not at all (`groupOf` gives each grouped op's group, `kinds`
/// each group's kind); at most `maxOps` ops, in block order.
static SmallVector<Operation *>
getAttentionPrologue(AttentionOp attention,
                     const DenseMap<Operation *, unsigned> &groupOf,
                     ArrayRef<Group> groups, int64_t maxOps) {
  auto inMatmulGroup = [&](Operation *op) {
    auto it = groupOf.find(op);
    return it != groupOf.end() &&
           groups[it->second].second == FusionKind::matmul;
  };
  // The candidates: producers reached back from the operands through ops
  // the kernel can compute.
  llvm::SetVector<Operation *> candidates;
  SmallVector<Value> worklist(attention->getOperands());
  while (!worklist.empty()) {
    Operation *def = worklist.pop_back_val().getDefiningOp();
    if (!def || def->getBlock() != attention->getBlock() ||
        !isElementalOp(def) || inMatmulGroup(def) || !candidates.insert(def))
      continue;
    llvm::append_range(worklist, def->getOperands());
  }
  // The largest set of them in which every op's users are the attention or
  // in the set, every group is whole, and every view is of a value of the
  // set: start from all, drop what breaks a rule, until nothing does.
  llvm::SmallPtrSet<Operation *, 16> joined(candidates.begin(),
                                            candidates.end());
  auto breaksRule = [&](Operation *op) {
    // A view of a value from outside is the group's input view, which
    // `absorbViews` decides on (it may be another group's output view).
    if (isa<ViewOpInterface>(op)) {
      Operation *source = op->getOperand(0).getDefiningOp();
      if (!source || !joined.count(source))
        return true;
    }
    if (llvm::any_of(op->getUsers(), [&](Operation *user) {
          return user != attention.getOperation() && !joined.count(user);
        }))
      return true;
    auto it = groupOf.find(op);
    return it != groupOf.end() &&
           llvm::any_of(groups[it->second].first, [&](Operation *member) {
             return !joined.count(member);
           });
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (Operation *op : candidates)
      if (joined.count(op) && breaksRule(op)) {
        joined.erase(op);
        changed = true;
      }
  }
  if (static_cast<int64_t>(joined.size()) > maxOps)
    return {};
  SmallVector<Operation *> prologue(joined.begin(), joined.end());
  llvm::sort(prologue, inBlockOrder);
  return prologue;
}

/// Adds to matmul `group` (of one matmul) the normalization of the last
/// axis of its value, as the kernel's row epilogue, when that value is all
/// the group gives outside (read only by the normalization) and the
/// normalization is in no group (`grouped`, or a prologue in `taken`).
/// Returns whether it did.
static bool absorbRowEpilogue(SmallVector<Operation *> &group,
                              const llvm::SmallPtrSetImpl<Operation *> &grouped,
                              const llvm::SmallPtrSetImpl<Operation *> &taken) {
  if (!hasOneMatmul(group))
    return false;
  const llvm::SmallPtrSet<Operation *, 16> members(group.begin(), group.end());
  Operation *norm = nullptr;
  for (Operation *op : group)
    for (Operation *user : op->getUsers()) {
      if (members.count(user))
        continue;
      // The one value read outside, by a normalization alone.
      if (norm || !isa<LayerNormOp, RmsNormOp>(user) ||
          user->getOperand(0) != op->getResult(0) || !op->hasOneUse())
        return false;
      norm = user;
    }
  if (!norm || grouped.count(norm) || taken.count(norm) ||
      norm->getBlock() != group.front()->getBlock() ||
      llvm::any_of(norm->getOperands().drop_front(), [&](Value v) {
        return members.count(v.getDefiningOp());
      }))
    return false;
  auto type = cast<RankedTensorType>(norm->getResult(0).getType());
  if (cast<IntegerAttr>(norm->getAttr("axis")).getInt() != type.getRank() - 1 ||
      type.getShape() != getMatmul(group).getType().getShape())
    return false;
  group.push_back(norm);
  llvm::sort(group, inBlockOrder);
  return true;
}

/// Whether `value` is one a rows group of `ops` can compute element by
/// element where its row-wise op reads it: a value from outside the group
/// (an input), or one an elemental op of the group computes from such values.
static bool isElementalIn(Value value,
                          const llvm::SetVector<Operation *> &ops) {
  Operation *def = value.getDefiningOp();
  if (!def || !ops.contains(def))
    return true;
  return isElementalOp(def) && llvm::all_of(def->getOperands(), [&](Value v) {
           return isElementalIn(v, ops);
         });
}

/// Makes a rows group of each row-wise op of `block` (`getRowAxis`) no group
/// took, with the pointwise group computing its input (the prologue, which
/// the kernel computes in each pass over a row) and a pointwise group reading
/// its result (the epilogue). A group joins whole, and only where the kernel
/// can compute what the row-wise op reads element by element, every value
/// the rows group returns has the op's result shape and is used after its
/// last op, and it has at most `maxOps` ops. A row-wise op that takes in
/// neither is left to a kernel of its own.
static void formRowGroups(Block &block, SmallVector<Group> &groups,
                          int64_t maxOps) {
  DenseMap<Operation *, unsigned> groupOf;
  for (auto [i, group] : llvm::enumerate(groups))
    for (Operation *op : group.first)
      groupOf[op] = i;
  SmallVector<Group> rows;
  for (Operation &rowOp : block) {
    if (!getRowAxis(&rowOp) || groupOf.count(&rowOp))
      continue;
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(rowOp.getResult(0).getType()).getShape();
    llvm::SetVector<Operation *> ops;
    ops.insert(&rowOp);
    // Adds the pointwise group of `member` when it keeps one rows kernel.
    auto join = [&](Operation *member) {
      auto it = groupOf.find(member);
      if (it == groupOf.end())
        return false;
      auto &[groupOps, kind] = groups[it->second];
      if (kind != FusionKind::pointwise || groupOps.empty() ||
          !llvm::all_of(groupOps, [](Operation *op) {
            return isa<ElementwiseOpInterface>(op);
          }))
        return false;
      llvm::SetVector<Operation *> merged(ops);
      merged.insert(groupOps.begin(), groupOps.end());
      if (static_cast<int64_t>(merged.size()) > maxOps ||
          !llvm::all_of(rowOp.getOperands(),
                        [&](Value v) { return isElementalIn(v, merged); }))
        return false;
      if (!returnsAfter(
              block, merged.getArrayRef(),
              [&](Operation *op) { return merged.contains(op); },
              *llvm::max_element(merged, inBlockOrder), shape))
        return false;
      ops = std::move(merged);
      groupOps.clear();
      return true;
    };
    if (Operation *def = rowOp.getOperand(0).getDefiningOp())
      join(def);
    for (Operation *user : rowOp.getResult(0).getUsers())
      if (join(user))
        break;
    if (ops.size() == 1)
      continue;
    SmallVector<Operation *> sorted(ops.begin(), ops.end());
    llvm::sort(sorted, inBlockOrder);
    rows.push_back({std::move(sorted), FusionKind::rows});
  }
  eraseEmptyGroups(groups);
  llvm::append_range(groups, rows);
}

/// Joins matmul groups in pairs as chain groups, an MLP's two products in
/// one kernel: a group (the first) whose only value read outside is the
/// left operand of the one matmul of a later group (the second), which
/// alone reads it. The first group's ops other than its matmuls, their
/// prologue and its input views must be elementwise ops of its matmuls'
/// shape computing that value from all of them; the second group holds no
/// other matmul, and its matmul has at most `maxColumns` columns (each
/// program computes whole rows of the result: they must fit its
/// registers). The joined group has at most `maxOps` ops.
static void formChains(SmallVector<Group> &groups, int64_t maxOps,
                       int64_t maxColumns) {
  DenseMap<Operation *, unsigned> groupOf;
  for (auto [i, group] : llvm::enumerate(groups))
    if (group.second == FusionKind::matmul)
      for (Operation *op : group.first)
        groupOf[op] = i;
  for (Group &group : groups) {
    auto &[ops, kind] = group;
    if (kind != FusionKind::matmul || ops.empty() || !hasOneMatmul(ops))
      continue;
    MatmulOp second = getMatmul(ops);
    Value link = second.getLhs();
    auto it = groupOf.find(link.getDefiningOp());
    if (it == groupOf.end() || !link.hasOneUse())
      continue;
    auto &[first, firstKind] = groups[it->second];
    if (firstKind != FusionKind::matmul || first.empty() || first == ops ||
        static_cast<int64_t>(first.size() + ops.size()) > maxOps ||
        cast<RankedTensorType>(second.getType()).getShape().back() > maxColumns)
      continue;
    const llvm::SmallPtrSet<Operation *, 16> members(first.begin(),
                                                     first.end());
    MatmulOp product = getMatmul(first);
    if (second.getType().getShape().drop_back() !=
        product.getType().getShape().drop_back())
      continue;
    bool linked =
        isa<MatmulOp, ElementwiseOpInterface>(link.getDefiningOp()) &&
        llvm::all_of(first, [&](Operation *op) {
          // The products are of one type, and the values computed from them
          // of their shape (a prologue or an input view is read only
          // inside); only the link leaves, to the second product alone.
          if ((isa<MatmulOp>(op) &&
               op->getResult(0).getType() != product.getType()) ||
              (isa<ElementwiseOpInterface>(op) &&
               cast<RankedTensorType>(op->getResult(0).getType()).getShape() !=
                   product.getType().getShape()))
            return false;
          return llvm::all_of(op->getUsers(), [&](Operation *user) {
            return members.count(user) ||
                   (user == second.getOperation() && op->getResult(0) == link);
          });
        });
    if (!linked)
      continue;
    moveGroup(group, first, FusionKind::chain);
  }
  eraseEmptyGroups(groups);
}

/// Joins into each attention group the matmul group of its output
/// projection: a group of one matmul, its epilogue and row epilogue, whose
/// left operand is the attention's result with its heads merged
/// (`isMergedHeads`), through views each read only on the way, of a 2-D
/// weight of at most `maxColumns` columns (each program of the joined
/// kernel holds whole rows of the projection), where the attention group
/// gives nothing else outside. The joined group has at most `maxOps` ops.
static void joinAttentionProjections(SmallVector<Group> &groups, int64_t maxOps,
                                     int64_t maxColumns) {
  DenseMap<Operation *, unsigned> attentionOf;
  for (auto [i, group] : llvm::enumerate(groups))
    if (group.second == FusionKind::attention)
      for (Operation *op : group.first)
        if (isa<AttentionOp>(op))
          attentionOf[op] = i;
  for (Group &group : groups) {
    auto &[ops, kind] = group;
    if (kind != FusionKind::matmul || ops.empty() || !hasOneMatmul(ops))
      continue;
    MatmulOp projection = getMatmul(ops);
    const llvm::SmallPtrSet<Operation *, 16> members(ops.begin(), ops.end());
    // The views from the attention's result, each read only on the way
    // (the attention group's output views, then the projection's input
    // views).
    llvm::SmallPtrSet<Operation *, 4> path;
    Value value = projection.getLhs();
    while (Operation *def = value.getDefiningOp()) {
      if (!isa<ViewOpInterface>(def) || !value.hasOneUse())
        break;
      path.insert(def);
      value = def->getOperand(0);
    }
    auto attention = value.getDefiningOp<AttentionOp>();
    auto it = attentionOf.find(attention);
    if (!attention || it == attentionOf.end() || !value.hasOneUse() ||
        !isMergedHeads(projection.getLhs(), attention) ||
        cast<RankedTensorType>(projection.getLhs().getType())
                .getShape()
                .back() == 0 ||
        cast<RankedTensorType>(projection.getRhs().getType()).getRank() != 2 ||
        projection.getType().getShape().back() > maxColumns)
      continue;
    SmallVector<Operation *> &heads = groups[it->second].first;
    const llvm::SmallPtrSet<Operation *, 16> inAttention(heads.begin(),
                                                         heads.end());
    // The attention group gives only what the path reads, and the path is
    // the two groups' views.
    bool givesOnlyResult =
        llvm::all_of(path,
                     [&](Operation *view) {
                       return members.count(view) || inAttention.count(view);
                     }) &&
        llvm::all_of(heads, [&](Operation *op) {
          return llvm::all_of(op->getUsers(), [&](Operation *user) {
            return inAttention.count(user) ||
                   (path.count(user) && members.count(user));
          });
        });
    if (!givesOnlyResult ||
        static_cast<int64_t>(heads.size() + ops.size()) > maxOps)
      continue;
    moveGroup(group, heads, FusionKind::attention);
  }
  eraseEmptyGroups(groups);
}

struct GraphFuse : public graph::impl::GraphFuseBase<GraphFuse> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](func::FuncOp func) {
      for (Block &block : func.getBody()) {
        Partition partition(block, maxGroupOps);
        for (Operation &op : block) {
          if (isa<ElementwiseOpInterface>(op))
            partition.visit(&op);
          else if (auto gather = dyn_cast<GatherOp>(op))
            partition.startGather(gather);
          else if (auto matmul = dyn_cast<MatmulOp>(op);
                   matmul && fuseMatmulEpilogues &&
                   llvm::all_of(matmul->getOperandTypes(), [](Type type) {
                     return cast<RankedTensorType>(type).getRank() >= 2;
                   }))
            partition.start(matmul);
        }
        SmallVector<Group> groups = partition.takeGroups();
        // An attention is a kernel of its own, which may read and store
        // through views, with the ops computing its operands that only it
        // reads (whole groups, which then go).
        DenseMap<Operation *, unsigned> groupOf;
        for (auto [i, group] : llvm::enumerate(groups))
          for (Operation *op : group.first)
            groupOf[op] = i;
        SmallVector<Group> attentions;
        llvm::SmallPtrSet<Operation *, 32> inAttention;
        for (auto attention : block.getOps<AttentionOp>()) {
          SmallVector<Operation *> ops =
              getAttentionPrologue(attention, groupOf, groups, maxGroupOps);
          inAttention.insert(ops.begin(), ops.end());
          ops.push_back(attention);
          attentions.push_back({std::move(ops), FusionKind::attention});
        }
        llvm::erase_if(groups, [&](const Group &group) {
          return inAttention.count(group.first.front());
        });
        llvm::append_range(groups, attentions);
        // A group of one op that is a view (an expand) is a view other
        // groups may read through; a group of one other op is a group only
        // if it reads or stores through views.
        llvm::SmallPtrSet<Operation *, 32> grouped;
        for (auto &[ops, kind] : groups)
          if (ops.size() > 1 || !isa<ViewOpInterface>(ops.front()))
            grouped.insert(ops.begin(), ops.end());
        llvm::SmallPtrSet<Operation *, 16> matmuls;
        for (auto &[ops, kind] : groups)
          if (kind == FusionKind::matmul)
            for (Operation *op : ops)
              if (isa<MatmulOp>(op))
                matmuls.insert(op);
        // Each group takes its prologue and its views; then groups of
        // sibling matmuls merge. A group left with one op reads and stores
        // through no view: that op is its own kernel.
        llvm::SmallPtrSet<Operation *, 16> inputViews, outputViews, norms,
            withRowNorm;
        for (auto &[ops, kind] : groups) {
          if (!grouped.count(ops.back())) {
            ops.clear();
            continue;
          }
          if (kind == FusionKind::matmul &&
              absorbPrologue(ops, grouped, matmuls))
            norms.insert(getMatmul(ops).getLhs().getDefiningOp());
        }
        // A normalization read only as matmuls' left operand is their
        // prologue; one of a matmul group's only value is its row epilogue.
        for (auto &[ops, kind] : groups)
          if (kind == FusionKind::matmul && !ops.empty() &&
              absorbRowEpilogue(ops, grouped, norms))
            withRowNorm.insert(getMatmul(ops));
        // A row-wise op no matmul took is a rows kernel with the
        // elementwise ops around it.
        formRowGroups(block, groups, maxGroupOps);
        for (auto &[ops, kind] : groups)
          if (!ops.empty())
            absorbViews(ops, grouped, inputViews, outputViews);
        mergeSiblingMatmuls(groups, maxGroupOps, withRowNorm);
        if (fuseMatmulChains) {
          formChains(groups, maxGroupOps, maxChainColumns);
          joinAttentionProjections(groups, maxGroupOps, maxChainColumns);
        }
        for (auto &[ops, kind] : groups) {
          if (ops.size() == 1)
            continue;
          if (failed(FusionGroupOp::wrap(rewriter, ops, kind))) {
            ops.back()->emitError("meld-graph-fuse made a group that is not "
                                  "contiguous in the dataflow");
            return signalPassFailure();
          }
        }
      }
    });
  }
};

} // namespace
