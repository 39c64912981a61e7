//===- LaunchPlan.cpp - From the launch plan to an artifact ---------------===//

#include "meld/Target/LaunchPlan.h"

#include "meld/Conversion/Passes.h"
#include "meld/Import/ONNX.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace meld;

/// Alignment of every arena buffer and weight, in bytes.
static constexpr uint64_t kAlignment = 64;

std::optional<ArtifactDType> meld::getArtifactDType(Type type) {
  if (type.isF32())
    return ArtifactDType::F32;
  if (type.isF16())
    return ArtifactDType::F16;
  if (type.isBF16())
    return ArtifactDType::BF16;
  if (type.isF64())
    return ArtifactDType::F64;
  if (type.isInteger(64))
    return ArtifactDType::I64;
  if (type.isInteger(32))
    return ArtifactDType::I32;
  if (type.isInteger(8))
    return type.isUnsignedInteger() ? ArtifactDType::U8 : ArtifactDType::I8;
  if (type.isInteger(1))
    return ArtifactDType::Bool;
  return std::nullopt;
}

/// "name (OpType)" of the ONNX node a location names, or empty.
static std::string describeLocation(Location loc) {
  auto node = getNodeInfo(loc);
  if (!node)
    return {};
  return (node->first + " (" + node->second + ")").str();
}

/// The bytes of constant `value`, row-major, one byte per boolean.
static std::vector<uint8_t> constantBytes(DenseElementsAttr value) {
  auto type = cast<ShapedType>(value.getType());
  Type element = type.getElementType();
  std::vector<uint8_t> bytes;
  if (element.isInteger(1)) {
    for (bool b : value.getValues<bool>())
      bytes.push_back(b ? 1 : 0);
    return bytes;
  }
  size_t elementBytes = element.getIntOrFloatBitWidth() / 8;
  ArrayRef<char> raw = value.getRawData();
  if (value.isSplat()) {
    for (int64_t i = 0, e = type.getNumElements(); i < e; ++i)
      bytes.insert(bytes.end(), raw.begin(), raw.begin() + elementBytes);
    return bytes;
  }
  bytes.assign(raw.begin(), raw.end());
  return bytes;
}

namespace {
/// An arena buffer with the span of launches that use it.
struct Interval {
  uint32_t buffer;
  int64_t first, last;
};
} // namespace

/// Assigns arena offsets: buffers whose lifetimes do not overlap may share
/// bytes. Greedy, in order of first use, each at the lowest offset free over
/// its whole lifetime. Returns the arena size.
static uint64_t assignArenaOffsets(std::vector<Interval> intervals,
                                   std::vector<ArtifactBuffer> &buffers) {
  llvm::sort(intervals, [](const Interval &a, const Interval &b) {
    return std::tie(a.first, a.buffer) < std::tie(b.first, b.buffer);
  });
  // The placed buffers still alive: in order of first use, a placed buffer
  // overlaps the current one exactly when it lives until the current one's
  // first use. Those that died earlier never matter again, so the work per
  // buffer follows the number alive, not the number placed.
  std::vector<const Interval *> live;
  uint64_t arenaSize = 0;
  std::vector<std::pair<uint64_t, uint64_t>> busy;
  for (const Interval &interval : intervals) {
    ArtifactBuffer &buffer = buffers[interval.buffer];
    uint64_t size = llvm::alignTo(std::max<uint64_t>(buffer.size, 1),
                                  kAlignment);
    llvm::erase_if(live, [&](const Interval *other) {
      return other->last < interval.first;
    });
    // Occupied ranges of overlapping lifetimes, sorted by offset.
    busy.clear();
    for (const Interval *other : live) {
      const ArtifactBuffer &o = buffers[other->buffer];
      busy.push_back({o.offset, o.offset + llvm::alignTo(
                                               std::max<uint64_t>(o.size, 1),
                                               kAlignment)});
    }
    llvm::sort(busy);
    uint64_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + size <= begin)
        break;
      offset = std::max(offset, end);
    }
    buffer.offset = offset;
    arenaSize = std::max(arenaSize, offset + size);
    live.push_back(&interval);
  }
  return arenaSize;
}

/// The element type of `weight` in the artifact, or an error.
static FailureOr<ArtifactDType> getWeightDType(tile::WeightOp weight) {
  Type element = cast<MemRefType>(weight.getType()).getElementType();
  std::optional<ArtifactDType> dtype = getArtifactDType(element);
  if (!dtype)
    return weight.emitError("unsupported element type ")
           << element << " in the launch plan";
  return *dtype;
}

/// Checks that `weight`'s panels read within `source`, a weight of
/// `sourceBytes` bytes.
static LogicalResult checkPanelsOf(tile::WeightOp weight, ArtifactDType dtype,
                                   uint64_t sourceBytes) {
  tile::PanelsAttr panels = weight.getPanelsAttr();
  uint64_t elementBytes = getArtifactDTypeSize(dtype);
  std::string problem =
      checkPanels(panels.getLayout(), elementBytes, sourceBytes,
                  panels.getNumElements() * elementBytes);
  if (!problem.empty())
    return weight.emitError("weight '")
           << weight.getHandle() << "': " << problem;
  return success();
}

/// The bytes of `weight` (a tile.weight with `panels`) from those of the
/// weight it names, `source`: the matrix view its panels describe, laid
/// out in them, the padding zero.
static FailureOr<WeightSource> packWeight(tile::WeightOp weight,
                                          WeightSource source) {
  FailureOr<ArtifactDType> dtype = getWeightDType(weight);
  if (failed(dtype) || failed(checkPanelsOf(weight, *dtype, source.size)))
    return failure();
  uint64_t elementBytes = getArtifactDTypeSize(*dtype);
  tile::PanelsAttr panels = weight.getPanelsAttr();
  WeightSource packed;
  packed.size = panels.getNumElements() * elementBytes;
  packed.externalizable = false;
  packed.write = [source = std::make_shared<WeightSource>(std::move(source)),
                  layout = panels.getLayout(), size = packed.size,
                  elementBytes](llvm::raw_ostream &os) -> llvm::Error {
    // Both buffers come from the heap: aligned for any element.
    SmallVector<char, 0> bytes;
    bytes.reserve(source->size);
    llvm::raw_svector_ostream in(bytes);
    if (llvm::Error error = source->write(in))
      return error;
    if (bytes.size() != source->size)
      return llvm::createStringError(
          "a weight gave " + std::to_string(bytes.size()) +
          " bytes, expected " + std::to_string(source->size));
    std::vector<char> out(size);
    if (!packPanels(layout, bytes.data(), out.data(), elementBytes))
      return llvm::createStringError("cannot pack elements of " +
                                     std::to_string(elementBytes) + " bytes");
    os.write(out.data(), out.size());
    return llvm::Error::success();
  };
  return packed;
}

/// Fills `spec` from the launch plan in `module`. With `shared`, the plan is
/// a second one of the artifact `shared` describes: its weights take the
/// bytes of `shared`'s weights of the same name, dtype and size, its new
/// weights go after `shared`'s, and, when the artifact holds its weights, the
/// runtime packs its panels into `*packedSize` bytes.
static LogicalResult buildPlan(ModuleOp module, WeightLookup weights,
                               ArtifactSpec &spec, bool externalWeights,
                               const ArtifactSpec *shared,
                               uint64_t *packedSize) {
  // One table for every lookup: ModuleOp::lookupSymbol scans the module.
  SymbolTable symbols(module);
  auto main = symbols.lookup<func::FuncOp>("main");
  if (!main)
    return module.emitError("no launch plan ('main') to build an artifact from");

  DenseMap<Value, uint32_t> bufferIndex;
  std::vector<Interval> intervals;
  DenseMap<uint32_t, size_t> intervalOf;
  llvm::StringMap<uint32_t> weightIndex;

  auto newBuffer = [&](ArtifactBufferKind kind, ArtifactDType dtype,
                       int64_t elements, StringRef name) -> uint32_t {
    ArtifactBuffer buffer;
    buffer.kind = kind;
    buffer.dtype = dtype;
    buffer.size = elements * getArtifactDTypeSize(dtype);
    buffer.shape.push_back(elements);
    buffer.name = name.str();
    spec.buffers.push_back(std::move(buffer));
    return spec.buffers.size() - 1;
  };
  auto addBuffer = [&](Value value, ArtifactBufferKind kind, StringRef name,
                       Location loc) -> FailureOr<uint32_t> {
    auto type = cast<MemRefType>(value.getType());
    auto dtype = getArtifactDType(type.getElementType());
    if (!dtype)
      return emitError(loc, "unsupported element type ")
             << type.getElementType() << " in the launch plan";
    uint32_t index = newBuffer(kind, *dtype, type.getNumElements(), name);
    bufferIndex[value] = index;
    return index;
  };
  // Read-only buffers: weights and constants in the weights section, or,
  // for weights that are external, in the external weights' space; panels
  // the runtime packs, there or in the packed space.
  uint64_t sectionEnd = 0, externalEnd = 0, packedEnd = 0;
  llvm::StringMap<const ArtifactBuffer *> sharedReadOnly;
  if (shared) {
    for (const ArtifactWeight &weight : shared->weights)
      sectionEnd = std::max(sectionEnd, weight.offset + weight.size);
    externalEnd = shared->externalWeightsSize;
    // Only the model's weights, which their names identify: a constant of
    // one plan may share its name with a different one of the other.
    for (const ArtifactBuffer &buffer : shared->buffers)
      if (buffer.kind == ArtifactBufferKind::Weight)
        sharedReadOnly[buffer.name] = &buffer;
  }
  bool packAtLoad = packedSize && !externalWeights;
  // Places read-only buffer `index` of `size` bytes: in the weights section,
  // in the external weights' space, or in the packed space. Returns whether
  // its bytes are elsewhere than in a new weight of this plan: external,
  // packed by the runtime, or the shared plan's.
  auto place = [&](uint32_t index, uint64_t size) {
    ArtifactBuffer &buffer = spec.buffers[index];
    weightIndex[buffer.name] = index;
    if (const ArtifactBuffer *same = sharedReadOnly.lookup(buffer.name);
        same && same->kind == buffer.kind && same->dtype == buffer.dtype &&
        same->size == buffer.size) {
      buffer.offset = same->offset;
      return true;
    }
    bool packed = buffer.kind == ArtifactBufferKind::Packed;
    bool external = externalWeights &&
                    (buffer.kind == ArtifactBufferKind::Weight || packed);
    uint64_t &end = external               ? externalEnd
                    : packed && packAtLoad ? packedEnd
                                           : sectionEnd;
    buffer.offset = llvm::alignTo(end, kAlignment);
    end = buffer.offset + size;
    return external || packed;
  };
  auto addReadOnly = [&](Value value, StringRef name, ArtifactBufferKind kind,
                         uint64_t size,
                         std::function<llvm::Error(llvm::raw_ostream &)> write,
                         Location loc) -> LogicalResult {
    auto index = addBuffer(value, kind, name, loc);
    if (failed(index))
      return failure();
    ArtifactBuffer &buffer = spec.buffers[*index];
    if (size != buffer.size)
      return emitError(loc, "weight '")
             << name << "' has " << size << " bytes, expected " << buffer.size;
    if (place(*index, size))
      return success();
    ArtifactWeight weight;
    weight.name = name.str();
    weight.offset = buffer.offset;
    weight.size = size;
    weight.write = std::move(write);
    spec.weights.push_back(std::move(weight));
    return success();
  };

  // Inputs and outputs: arena buffers alive for the whole run.
  Block &entry = main.getBody().front();
  int64_t numOps = std::distance(entry.begin(), entry.end());
  for (BlockArgument arg : entry.getArguments()) {
    auto name = main.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                  kNameAttr);
    bool isOutput = main.getArgAttr(arg.getArgNumber(), kOutputAttr) != nullptr;
    StringRef valueName = name ? name.getValue() : StringRef();
    auto index = addBuffer(arg, ArtifactBufferKind::Arena, valueName,
                           main.getLoc());
    if (failed(index))
      return failure();
    intervals.push_back({*index, -1, numOps});
    ArtifactTensor tensor;
    tensor.name = valueName.str();
    tensor.dtype = spec.buffers[*index].dtype;
    tensor.buffer = *index;
    auto shapeAttr = main.getArgAttrOfType<DenseI64ArrayAttr>(
        arg.getArgNumber(), kShapeAttr);
    if (shapeAttr)
      tensor.shape.assign(shapeAttr.asArrayRef().begin(),
                          shapeAttr.asArrayRef().end());
    else
      tensor.shape = spec.buffers[*index].shape;
    (isOutput ? spec.outputs : spec.inputs).push_back(std::move(tensor));
  }

  std::optional<uint32_t> statusIndex;
  int64_t position = 0;
  for (Operation &op : entry) {
    ++position;
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      auto index = addBuffer(alloc.getResult(), ArtifactBufferKind::Arena,
                             "", alloc.getLoc());
      if (failed(index))
        return failure();
      intervalOf[*index] = intervals.size();
      intervals.push_back({*index, position, position});
      continue;
    }
    if (auto weight = dyn_cast<tile::WeightOp>(op)) {
      StringRef handle = weight.getHandle();
      // A weight in panels is a buffer of its own, named after the weight
      // and its panels.
      tile::PanelsAttr panels = weight.getPanelsAttr();
      std::string name = handle.str();
      if (panels)
        llvm::raw_string_ostream(name) << panels;
      if (auto it = weightIndex.find(name); it != weightIndex.end()) {
        bufferIndex[weight.getResult()] = it->second;
        continue;
      }
      auto source =
          weights(handle, cast<MemRefType>(weight.getType()).getElementType());
      if (!source) {
        weight.emitError() << llvm::toString(source.takeError());
        return failure();
      }
      if (panels &&
          (packAtLoad || (externalWeights && source->externalizable))) {
        // The runtime packs it from the weight (in the weights section, or
        // in the external file when it loads them): the weight is a buffer,
        // the panels one made from it.
        FailureOr<ArtifactDType> dtype = getWeightDType(weight);
        if (failed(dtype) ||
            failed(checkPanelsOf(weight, *dtype, source->size)))
          return failure();
        auto from = weightIndex.find(handle);
        if (from == weightIndex.end()) {
          uint64_t elementBytes = getArtifactDTypeSize(*dtype);
          uint32_t index =
              newBuffer(source->externalizable ? ArtifactBufferKind::Weight
                                               : ArtifactBufferKind::Constant,
                        *dtype, source->size / elementBytes, handle);
          if (source->shape)
            spec.buffers[index].shape = *source->shape;
          if (!place(index, source->size)) {
            ArtifactWeight bytes;
            bytes.name = handle.str();
            bytes.offset = spec.buffers[index].offset;
            bytes.size = source->size;
            bytes.write = std::move(source->write);
            spec.weights.push_back(std::move(bytes));
          }
          from = weightIndex.find(handle);
        }
        uint32_t sourceIndex = from->second;
        auto index = addBuffer(weight.getResult(), ArtifactBufferKind::Packed,
                               name, weight.getLoc());
        if (failed(index))
          return failure();
        spec.buffers[*index].panels =
            ArtifactPanels{sourceIndex, panels.getLayout()};
        place(*index, spec.buffers[*index].size);
        continue;
      }
      if (panels) {
        FailureOr<WeightSource> packed = packWeight(weight, std::move(*source));
        if (failed(packed))
          return failure();
        if (failed(addReadOnly(weight.getResult(), name,
                               ArtifactBufferKind::Constant, packed->size,
                               std::move(packed->write), weight.getLoc())))
          return failure();
        continue;
      }
      // A tensor the model defines (not an initializer) is in no weights
      // file: it stays in the artifact.
      auto kind = source->externalizable ? ArtifactBufferKind::Weight
                                         : ArtifactBufferKind::Constant;
      if (failed(addReadOnly(weight.getResult(), handle, kind, source->size,
                             std::move(source->write), weight.getLoc())))
        return failure();
      if (source->shape)
        spec.buffers.back().shape = *source->shape;
      continue;
    }
    if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
      auto global = symbols.lookup<memref::GlobalOp>(get.getName());
      auto value = global ? dyn_cast_or_null<DenseElementsAttr>(
                                global.getInitialValue().value_or(Attribute()))
                          : DenseElementsAttr();
      if (!value)
        return get.emitError("constant '") << get.getName()
                                            << "' has no dense value";
      auto bytes = std::make_shared<std::vector<uint8_t>>(constantBytes(value));
      auto write = [bytes](llvm::raw_ostream &os) {
        os.write(reinterpret_cast<const char *>(bytes->data()), bytes->size());
        return llvm::Error::success();
      };
      if (failed(addReadOnly(get.getResult(), get.getName(),
                             ArtifactBufferKind::Constant, bytes->size(), write,
                             get.getLoc())))
        return failure();
      continue;
    }
    if (auto status = dyn_cast<tile::FaultStatusOp>(op)) {
      // One status for the run, alive for all of it.
      if (statusIndex) {
        bufferIndex[status.getResult()] = *statusIndex;
        continue;
      }
      auto index = addBuffer(status.getResult(), ArtifactBufferKind::Status, "",
                             status.getLoc());
      if (failed(index))
        return failure();
      statusIndex = *index;
      intervals.push_back({*index, -1, numOps});
      continue;
    }
    if (auto launch = dyn_cast<tile::LaunchOp>(op)) {
      auto kernel = symbols.lookup<tile::KernelOp>(launch.getKernel());
      if (!kernel)
        return launch.emitError("launch of an unknown kernel");
      ArtifactLaunch l;
      l.kernel = launch.getKernel().str();
      ArrayRef<int64_t> grid = kernel.getGrid();
      for (auto [i, size] : llvm::enumerate(grid)) {
        if (size > std::numeric_limits<uint32_t>::max())
          return launch.emitError("grid dimension too large");
        l.grid[i] = size;
      }
      // The block the GPU lowering builds the kernel for, and its shared
      // memory: the lowering declares none, and takes `shared_bytes` of
      // dynamic shared memory from the launch.
      std::optional<uint64_t> warps = kernel.getNumWarps();
      std::optional<uint64_t> shared = kernel.getSharedBytes();
      if (!warps || !shared)
        return launch.emitError("kernel '")
               << kernel.getSymName()
               << "' has no launch configuration (num_warps and shared_bytes)";
      if (*shared > std::numeric_limits<uint32_t>::max())
        return launch.emitError("kernel '")
               << kernel.getSymName() << "' takes too much shared memory";
      l.block = {static_cast<uint32_t>(*warps * 32), 1, 1};
      l.sharedMemoryBytes = static_cast<uint32_t>(*shared);
      l.location = describeLocation(launch.getLoc());
      for (Value arg : launch.getArgs()) {
        auto it = bufferIndex.find(arg);
        if (it == bufferIndex.end())
          return launch.emitError("argument is not a buffer of the plan");
        l.args.push_back(it->second);
        if (auto iv = intervalOf.find(it->second); iv != intervalOf.end())
          intervals[iv->second].last = position;
      }
      spec.launches.push_back(std::move(l));
      continue;
    }
    if (isa<func::ReturnOp>(op))
      continue;
    return op.emitError("unexpected operation in the launch plan: ")
           << op.getName();
  }

  // The fault sites of the kernels, for the runtime's messages.
  llvm::DenseSet<int32_t> sites;
  WalkResult walk = module.walk([&](tile::FaultOp fault) {
    if (!sites.insert(fault.getSite()).second) {
      fault.emitOpError("fault site ")
          << fault.getSite() << " is used twice in the module";
      return WalkResult::interrupt();
    }
    ArtifactFaultSite site;
    site.site = fault.getSite();
    if (auto node = getNodeInfo(fault.getLoc())) {
      site.node = node->first.str();
      site.opType = node->second.str();
    }
    site.message = fault.getMessage().str();
    spec.faultSites.push_back(std::move(site));
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  if (!spec.faultSites.empty() && !statusIndex)
    return module.emitError("kernels record faults but the launch plan has "
                            "no tile.fault_status");

  // Inputs and outputs must not share bytes with anything: they span the
  // whole run, so the assignment keeps them apart.
  spec.arenaSize = assignArenaOffsets(std::move(intervals), spec.buffers);
  spec.weightsExternal = externalWeights;
  spec.externalWeightsSize = externalEnd;
  if (packedSize)
    *packedSize = packedEnd;
  return success();
}

LogicalResult meld::buildArtifactPlan(ModuleOp module, WeightLookup weights,
                                      ArtifactSpec &spec,
                                      bool externalWeights) {
  return buildPlan(module, weights, spec, externalWeights, /*shared=*/nullptr,
                   /*packedSize=*/nullptr);
}

LogicalResult meld::buildHostPlan(ModuleOp module, WeightLookup weights,
                                  ArtifactSpec &spec) {
  ArtifactSpec plan;
  ArtifactHostPlan host;
  if (failed(buildPlan(module, weights, plan, spec.weightsExternal, &spec,
                       &host.packedSize)))
    return failure();
  // The same graph: its signatures, each in a buffer of this plan.
  auto bind = [&](const std::vector<ArtifactTensor> &signatures,
                  const std::vector<ArtifactTensor> &own,
                  std::vector<uint32_t> &buffers) -> LogicalResult {
    for (const ArtifactTensor &tensor : signatures) {
      auto it = llvm::find_if(
          own, [&](const ArtifactTensor &t) { return t.name == tensor.name; });
      if (it == own.end() || it->dtype != tensor.dtype ||
          it->shape != tensor.shape)
        return module.emitError("internal error: the host's launch plan has "
                                "no tensor '")
               << tensor.name << "' as the main plan has it";
      buffers.push_back(it->buffer);
    }
    return success();
  };
  if (failed(bind(spec.inputs, plan.inputs, host.inputs)) ||
      failed(bind(spec.outputs, plan.outputs, host.outputs)))
    return failure();
  host.buffers = std::move(plan.buffers);
  host.arenaSize = plan.arenaSize;
  host.launches = std::move(plan.launches);
  host.faultSites = std::move(plan.faultSites);
  for (ArtifactWeight &weight : plan.weights)
    spec.weights.push_back(std::move(weight));
  spec.externalWeightsSize = plan.externalWeightsSize;
  spec.hostPlan = std::move(host);
  return success();
}

static llvm::StringRef dtypeName(ArtifactDType dtype) {
  switch (dtype) {
  case ArtifactDType::F32:
    return "f32";
  case ArtifactDType::F16:
    return "f16";
  case ArtifactDType::BF16:
    return "bf16";
  case ArtifactDType::F64:
    return "f64";
  case ArtifactDType::I64:
    return "i64";
  case ArtifactDType::I32:
    return "i32";
  case ArtifactDType::I8:
    return "i8";
  case ArtifactDType::U8:
    return "u8";
  case ArtifactDType::Bool:
    return "bool";
  }
  llvm_unreachable("unknown dtype");
}

/// The JSON of a plan's buffers, launches and fault sites.
static llvm::json::Array buffersJSON(ArrayRef<ArtifactBuffer> list) {
  llvm::json::Array buffers;
  for (const ArtifactBuffer &b : list) {
    llvm::json::Object buffer{
        {"kind", b.kind == ArtifactBufferKind::Arena      ? "arena"
                 : b.kind == ArtifactBufferKind::Weight   ? "weight"
                 : b.kind == ArtifactBufferKind::Constant ? "constant"
                 : b.kind == ArtifactBufferKind::Packed   ? "packed"
                                                          : "status"},
        {"offset", static_cast<int64_t>(b.offset)},
        {"size", static_cast<int64_t>(b.size)},
        {"dtype", dtypeName(b.dtype)},
        {"name", b.name}};
    // A packed weight's layout is in its name; its source is a buffer.
    if (b.panels)
      buffer["source"] = b.panels->source;
    buffers.push_back(std::move(buffer));
  }
  return buffers;
}

static llvm::json::Array launchesJSON(ArrayRef<ArtifactLaunch> list) {
  llvm::json::Array launches;
  for (const ArtifactLaunch &l : list)
    launches.push_back(
        llvm::json::Object{{"kernel", l.kernel},
                           {"grid", llvm::json::Array(l.grid)},
                           {"block", llvm::json::Array(l.block)},
                           {"shared_memory_bytes", l.sharedMemoryBytes},
                           {"args", llvm::json::Array(l.args)},
                           {"location", l.location}});
  return launches;
}

static llvm::json::Array faultsJSON(ArrayRef<ArtifactFaultSite> list) {
  llvm::json::Array faults;
  for (const ArtifactFaultSite &f : list)
    faults.push_back(llvm::json::Object{{"site", f.site},
                                        {"node", f.node},
                                        {"op_type", f.opType},
                                        {"message", f.message}});
  return faults;
}

void meld::printArtifactPlanJSON(const ArtifactSpec &spec,
                                 llvm::raw_ostream &os) {
  auto tensors = [](const std::vector<ArtifactTensor> &list) {
    llvm::json::Array array;
    for (const ArtifactTensor &t : list)
      array.push_back(llvm::json::Object{{"name", t.name},
                                         {"dtype", dtypeName(t.dtype)},
                                         {"shape", llvm::json::Array(t.shape)},
                                         {"buffer", t.buffer}});
    return array;
  };
  uint64_t weightsSize = 0;
  for (const ArtifactWeight &w : spec.weights)
    weightsSize = std::max(weightsSize, w.offset + w.size);
  llvm::json::Object plan{
      {"inputs", tensors(spec.inputs)},
      {"outputs", tensors(spec.outputs)},
      {"arena_size", static_cast<int64_t>(spec.arenaSize)},
      {"weights_size", static_cast<int64_t>(weightsSize)},
      {"weights_external", spec.weightsExternal},
      {"external_weights_size", static_cast<int64_t>(spec.externalWeightsSize)},
      {"buffers", buffersJSON(spec.buffers)},
      {"launches", launchesJSON(spec.launches)},
      {"faults", faultsJSON(spec.faultSites)}};
  // The main plan's keys in order, then the host's plan, last.
  llvm::json::OStream json(os, 2);
  json.object([&] {
    std::vector<std::string> keys;
    for (const auto &entry : plan)
      keys.push_back(entry.first.str());
    llvm::sort(keys);
    for (const std::string &key : keys)
      json.attribute(key, std::move(*plan.get(key)));
    if (const std::optional<ArtifactHostPlan> &host = spec.hostPlan)
      json.attribute(
          "host_plan",
          llvm::json::Object{
              {"inputs", llvm::json::Array(host->inputs)},
              {"outputs", llvm::json::Array(host->outputs)},
              {"arena_size", static_cast<int64_t>(host->arenaSize)},
              {"packed_size", static_cast<int64_t>(host->packedSize)},
              {"buffers", buffersJSON(host->buffers)},
              {"launches", launchesJSON(host->launches)},
              {"faults", faultsJSON(host->faultSites)}});
  });
  os << "\n";
}
