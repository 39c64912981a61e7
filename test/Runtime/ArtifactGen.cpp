//===- ArtifactGen.cpp - Test artifacts and tensors for runtime tests -----===//
//
// meld-runtime-test-gen: writes the runtime's test model with the real
// artifact writer (lib/Target/Artifact), its kernels taken from
// meld-runtime-test-kernels.so (runtime/test/kernels.c), plus the files the
// lit tests of test/Runtime need:
//
//   meld-runtime-test-gen model OUT.meld [VARIANT] [KERNELS.so] [EDIT...]
//       EDIT: +TARGET:FORMAT:FILE adds a kernel module read from FILE,
//             -TARGET:FORMAT removes one,
//             =verify has the writer check a broken variant (and refuse it)
//   meld-runtime-test-gen ptx OUT.ptx       the sm_80 PTX of the model
//       (variant "tmap" adds a tensor map of w, "emu-tmap*" that and an
//       emulator kernel reading through it)
//       (variants "emu*" add an "emu" module, the GPU versions of the
//       kernels in runtime/emu/test/kernels.c, with block sizes and shared
//       memory for the emulator)
//   meld-runtime-test-gen corrupt KIND IN.meld OUT.meld
//   meld-runtime-test-gen inputs DIR
//   meld-runtime-test-gen check DIR         compare DIR/{out,idx,ramp}.npy
//   meld-runtime-test-gen dump FILE.npy     print dtype, shape and values
//
// The model (see kernels.c): inputs x: f32[3,5], y: f32[5], weight w: f32[5];
// outputs out = x * w + y: f32[3,5], idx = argmax(x, 1): i64[3],
// ramp = 0.5 * iota: f32[100003]. The "fault" variant adds a check of x
// (an element above 100 is a data fault, site 1 of node 'check0') and the
// fault status buffer; the inputs include x_fault.npy, whose element 7 is
// 1000. Its kernels exist as host code
// (kernels.c) and as hand-written PTX for sm_80 (testPtx below), both in
// every variant, so the same artifact runs on 'cpu' and 'cuda'.
//
//===----------------------------------------------------------------------===//

#include "meld/Target/Artifact.h"

#include "meld/artifact_format.h"

#include "llvm/Support/CRC.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace meld;

namespace {

constexpr int rows = 3;
constexpr int cols = 5;
constexpr int64_t rampSize = 100003;
constexpr int64_t rampBlock = 256;

float xValue(int r, int c) {
  return static_cast<float>(((r * cols + c) * 7) % 11) - 5.0f;
}
float yValue(int c) { return 0.25f * c; }
float wValue(int c) { return 0.5f * (c + 1); }

/// The kernels of kernels.c in PTX, one device pointer per buffer argument.
/// Products and sums use .rn so that no FMA contraction changes a result:
/// outputs equal the host kernels' bit for bit.
const char *testPtx = R"(//
// The runtime test model's kernels (see runtime/test/kernels.c), by hand.
//
.version 7.0
.target sm_80
.address_size 64

// t[r, c] = x[r, c] * w[c]; grid (5, 3), one thread per block.
.visible .entry mul_rows_w(.param .u64 a0, .param .u64 a1, .param .u64 a2)
{
  .reg .b32 %r<4>;
  .reg .b64 %rd<10>;
  .reg .f32 %f<4>;
  ld.param.u64 %rd1, [a0];
  ld.param.u64 %rd2, [a1];
  ld.param.u64 %rd3, [a2];
  cvta.to.global.u64 %rd1, %rd1;
  cvta.to.global.u64 %rd2, %rd2;
  cvta.to.global.u64 %rd3, %rd3;
  mov.u32 %r1, %ctaid.x;
  mov.u32 %r2, %ctaid.y;
  mad.lo.u32 %r3, %r2, 5, %r1;
  mul.wide.u32 %rd4, %r3, 4;
  add.u64 %rd5, %rd1, %rd4;
  ld.global.f32 %f1, [%rd5];
  mul.wide.u32 %rd6, %r1, 4;
  add.u64 %rd7, %rd2, %rd6;
  ld.global.f32 %f2, [%rd7];
  mul.rn.f32 %f3, %f1, %f2;
  add.u64 %rd8, %rd3, %rd4;
  st.global.f32 [%rd8], %f3;
  ret;
}

// out[r, c] = t[r, c] + y[c]; grid 3, a block of 5 threads (c = tid.x).
.visible .entry add_bcast(.param .u64 a0, .param .u64 a1, .param .u64 a2)
{
  .reg .pred %p<2>;
  .reg .b32 %r<4>;
  .reg .b64 %rd<10>;
  .reg .f32 %f<4>;
  mov.u32 %r1, %tid.x;
  setp.ge.u32 %p1, %r1, 5;
  @%p1 bra $L_add_done;
  ld.param.u64 %rd1, [a0];
  ld.param.u64 %rd2, [a1];
  ld.param.u64 %rd3, [a2];
  cvta.to.global.u64 %rd1, %rd1;
  cvta.to.global.u64 %rd2, %rd2;
  cvta.to.global.u64 %rd3, %rd3;
  mov.u32 %r2, %ctaid.x;
  mad.lo.u32 %r3, %r2, 5, %r1;
  mul.wide.u32 %rd4, %r3, 4;
  add.u64 %rd5, %rd1, %rd4;
  ld.global.f32 %f1, [%rd5];
  mul.wide.u32 %rd6, %r1, 4;
  add.u64 %rd7, %rd2, %rd6;
  ld.global.f32 %f2, [%rd7];
  add.rn.f32 %f3, %f1, %f2;
  add.u64 %rd8, %rd3, %rd4;
  st.global.f32 [%rd8], %f3;
$L_add_done:
  ret;
}

// idx[r] = the first column of the largest x[r, :]; grid 3, one thread.
.visible .entry argmax_rows(.param .u64 a0, .param .u64 a1)
{
  .reg .pred %p<3>;
  .reg .b32 %r<6>;
  .reg .b64 %rd<10>;
  .reg .f32 %f<3>;
  ld.param.u64 %rd1, [a0];
  ld.param.u64 %rd2, [a1];
  cvta.to.global.u64 %rd1, %rd1;
  cvta.to.global.u64 %rd2, %rd2;
  mov.u32 %r1, %ctaid.x;
  mul.lo.u32 %r2, %r1, 5;
  mul.wide.u32 %rd3, %r2, 4;
  add.u64 %rd3, %rd1, %rd3;
  ld.global.f32 %f1, [%rd3];
  mov.u32 %r3, 0;
  mov.u32 %r4, 1;
$L_argmax_loop:
  mul.wide.u32 %rd4, %r4, 4;
  add.u64 %rd5, %rd3, %rd4;
  ld.global.f32 %f2, [%rd5];
  setp.gt.f32 %p1, %f2, %f1;
  selp.b32 %r3, %r4, %r3, %p1;
  selp.f32 %f1, %f2, %f1, %p1;
  add.u32 %r4, %r4, 1;
  setp.lt.u32 %p2, %r4, 5;
  @%p2 bra $L_argmax_loop;
  cvt.u64.u32 %rd6, %r3;
  mul.wide.u32 %rd7, %r1, 8;
  add.u64 %rd8, %rd2, %rd7;
  st.global.u64 [%rd8], %rd6;
  ret;
}

// ramp[i] = 0.5 * i for i = 256 * ctaid.x + tid.x < 100003; blocks of 256.
.visible .entry ramp_blocks(.param .u64 a0)
{
  .reg .pred %p<2>;
  .reg .b32 %r<4>;
  .reg .b64 %rd<4>;
  .reg .f32 %f<3>;
  mov.u32 %r1, %ctaid.x;
  mov.u32 %r2, %tid.x;
  mad.lo.u32 %r3, %r1, 256, %r2;
  setp.ge.u32 %p1, %r3, 100003;
  @%p1 bra $L_ramp_done;
  ld.param.u64 %rd1, [a0];
  cvta.to.global.u64 %rd1, %rd1;
  cvt.rn.f32.u32 %f1, %r3;
  mul.rn.f32 %f2, %f1, 0f3F000000;
  mul.wide.u32 %rd2, %r3, 4;
  add.u64 %rd3, %rd1, %rd2;
  st.global.f32 [%rd3], %f2;
$L_ramp_done:
  ret;
}

// The "fault" variant's check: records x[r, c] > 100 as fault site 1 with
// detail 5 * r + c in the status (recorded, site, detail), the first to
// exchange 1 into status[0] winning; grid 3, a block of 5 threads.
.visible .entry check_x(.param .u64 a0, .param .u64 a1)
{
  .reg .pred %p<4>;
  .reg .b32 %r<4>;
  .reg .b64 %rd<8>;
  .reg .f32 %f<2>;
  mov.u32 %r1, %tid.x;
  setp.ge.u32 %p1, %r1, 5;
  @%p1 bra $L_check_done;
  ld.param.u64 %rd1, [a0];
  ld.param.u64 %rd2, [a1];
  cvta.to.global.u64 %rd1, %rd1;
  cvta.to.global.u64 %rd2, %rd2;
  mov.u32 %r2, %ctaid.x;
  mad.lo.u32 %r3, %r2, 5, %r1;
  mul.wide.u32 %rd3, %r3, 4;
  add.u64 %rd4, %rd1, %rd3;
  ld.global.f32 %f1, [%rd4];
  setp.gt.f32 %p2, %f1, 0f42C80000;
  @!%p2 bra $L_check_done;
  atom.global.exch.b64 %rd5, [%rd2], 1;
  setp.ne.u64 %p3, %rd5, 0;
  @%p3 bra $L_check_done;
  mov.u64 %rd6, 1;
  st.global.u64 [%rd2+8], %rd6;
  cvt.u64.u32 %rd7, %r3;
  st.global.u64 [%rd2+16], %rd7;
$L_check_done:
  ret;
}
)";

int fail(const llvm::Twine &message) {
  llvm::errs() << "meld-runtime-test-gen: " << message << "\n";
  return 1;
}

//===----------------------------------------------------------------------===//
// The model
//===----------------------------------------------------------------------===//

int writeModel(llvm::StringRef outPath, llvm::StringRef variant,
               std::string kernelsPath, llvm::ArrayRef<llvm::StringRef> edits,
               const char *argv0) {
  if (kernelsPath.empty()) {
    // meld-runtime-test-kernels.so is built next to this tool.
    static int anchor;
    llvm::SmallString<256> path(llvm::sys::path::parent_path(
        llvm::sys::fs::getMainExecutable(argv0, &anchor)));
    llvm::sys::path::append(path, "meld-runtime-test-kernels.so");
    kernelsPath = std::string(path);
  }
  auto kernels = llvm::MemoryBuffer::getFile(kernelsPath);
  if (!kernels)
    return fail("cannot read '" + kernelsPath +
                "': " + kernels.getError().message());

  ArtifactSpec spec;
  spec.producer = "meld-runtime-test-gen";
  auto addBuffer = [&](ArtifactBufferKind kind, uint64_t offset,
                       ArtifactDType dtype, llvm::ArrayRef<int64_t> shape,
                       llvm::StringRef name) {
    ArtifactBuffer b;
    b.kind = kind;
    b.offset = offset;
    b.dtype = dtype;
    b.shape.assign(shape.begin(), shape.end());
    b.size = getArtifactDTypeSize(dtype);
    for (int64_t d : shape)
      b.size *= d;
    b.name = name.str();
    spec.buffers.push_back(b);
    return static_cast<uint32_t>(spec.buffers.size() - 1);
  };
  using K = ArtifactBufferKind;
  using D = ArtifactDType;
  uint32_t x = addBuffer(K::Arena, 0, D::F32, {rows, cols}, "x");
  uint32_t y = addBuffer(K::Arena, 64, D::F32, {cols}, "y");
  uint32_t w = addBuffer(K::Weight, 0, D::F32, {cols}, "w");
  uint32_t t = addBuffer(K::Arena, 128, D::F32, {rows, cols}, "t");
  uint32_t out = addBuffer(K::Arena, 192, D::F32, {rows, cols}, "out");
  uint32_t idx = addBuffer(K::Arena, 256, D::I64, {rows}, "idx");
  uint32_t ramp = addBuffer(K::Arena, 320, D::F32, {rampSize}, "ramp");
  spec.arenaSize = 400384;

  spec.inputs.push_back({"x", D::F32, {rows, cols}, x});
  spec.inputs.push_back({"y", D::F32, {cols}, y});
  spec.outputs.push_back({"out", D::F32, {rows, cols}, out});
  spec.outputs.push_back({"idx", D::I64, {rows}, idx});
  spec.outputs.push_back({"ramp", D::F32, {rampSize}, ramp});

  // w is streamed by a callback; an unused weight given as bytes sits after
  // a gap, to exercise zero-filling and the data path.
  ArtifactWeight wWeight;
  wWeight.name = "w";
  wWeight.offset = 0;
  wWeight.size = cols * sizeof(float);
  wWeight.write = [](llvm::raw_ostream &os) -> llvm::Error {
    for (int c = 0; c < cols; ++c) {
      float v = wValue(c);
      os.write(reinterpret_cast<const char *>(&v), sizeof(v));
    }
    return llvm::Error::success();
  };
  spec.weights.push_back(std::move(wWeight));
  static const uint8_t unusedBytes[100] = {1, 2, 3, 4, 5};
  ArtifactWeight unused;
  unused.name = "unused";
  unused.offset = 4096;
  unused.size = sizeof(unusedBytes);
  unused.data = unusedBytes;
  spec.weights.push_back(std::move(unused));
  addBuffer(K::Weight, 4096, D::U8, {100}, "unused");

  ArtifactKernelModule host;
  host.target = "host";
  host.format = "elf-shared-object";
  host.data.assign(kernels.get()->getBufferStart(),
                   kernels.get()->getBufferEnd());
  llvm::StringRef ptxText(testPtx);
  ArtifactKernelModule ptx{"sm_80", "ptx", {ptxText.begin(), ptxText.end()}};
  spec.modules.push_back(ptx);
  spec.modules.push_back(std::move(host));

  auto launch = [&](llvm::StringRef kernel, std::array<uint32_t, 3> grid,
                    llvm::ArrayRef<uint32_t> args, llvm::StringRef location,
                    std::array<uint32_t, 3> block = {1, 1, 1}) {
    ArtifactLaunch l;
    l.kernel = kernel.str();
    l.grid = grid;
    l.block = block;
    l.args.assign(args.begin(), args.end());
    l.location = location.str();
    spec.launches.push_back(l);
  };
  launch("mul_rows_w", {cols, rows, 1}, {x, w, t}, "mul0 (Mul)");
  launch("add_bcast", {rows, 1, 1}, {t, y, out}, "add0 (Add)", {cols, 1, 1});
  launch("argmax_rows", {rows, 1, 1}, {x, idx}, "argmax0 (ArgMax)");
  launch("ramp_blocks",
         {static_cast<uint32_t>((rampSize + rampBlock - 1) / rampBlock), 1, 1},
         {ramp}, "range0 (Range)", {rampBlock, 1, 1});

  ArtifactWriteOptions options;
  // An arena larger than any address space, most of it buffer 'ramp' (which
  // the emulator allocates on its own).
  auto makeArenaHuge = [&] {
    spec.arenaSize = uint64_t(1) << 60;
    spec.buffers[ramp].size = spec.arenaSize - spec.buffers[ramp].offset;
  };
  // A tensor map of w (5 floats, a box of 4) and, with `check`, an emulator
  // kernel that copies through it (tma_check in runtime/emu/test/kernels.c)
  // and records a fault if it reads anything but w. The variants after
  // "emu-tmap-" break one rule each.
  auto addTensorMap = [&](llvm::StringRef rule, bool check) {
    uint32_t status = addBuffer(K::Status, 400384, D::I64, {3}, "");
    uint32_t map = addBuffer(K::TensorMap, 400448, D::F32, {32}, "w#map");
    spec.arenaSize += 192;
    ArtifactTensorMap tensorMap;
    tensorMap.tensor = w;
    tensorMap.layout.rank = 1;
    tensorMap.layout.dims[0] = cols;
    tensorMap.layout.box[0] = 4;
    spec.buffers[map].tensorMap = tensorMap;
    if (check) {
      launch("tma_check", {1, 1, 1}, {map, w, status}, "tma0 (TensorMap)",
             {32, 1, 1});
      spec.launches.back().sharedMemoryBytes = 512;
      spec.faultSites.push_back(
          {2, "tma0", "TensorMap", "float {} read through the map is wrong"});
    }
    ArtifactBuffer &b = spec.buffers[map];
    if (!rule.empty())
      options.verify = false;
    if (rule == "-no-layout")
      b.tensorMap.reset();
    else if (rule == "-not-map")
      b.kind = K::Arena;
    else if (rule == "-size")
      b.size = 64;
    else if (rule == "-misaligned")
      b.offset = 400416;
    else if (rule == "-later-tensor")
      b.tensorMap->tensor = map;
    else if (rule == "-status")
      b.tensorMap->tensor = status;
    else if (rule == "-past")
      b.tensorMap->layout.dims[0] = cols + 1;
    else if (rule == "-box")
      b.tensorMap->layout.box[0] = 3;
    else if (rule == "-rank")
      b.tensorMap->layout.rank = 0;
    else if (!rule.empty())
      return false;
    return true;
  };
  if (variant.starts_with("emu")) {
    // meld-runtime-test-emu-kernels.so is built next to this tool too.
    llvm::SmallString<256> emuPath(llvm::sys::path::parent_path(kernelsPath));
    llvm::sys::path::append(emuPath, variant == "emu-no-bind"
                                         ? llvm::sys::path::filename(kernelsPath)
                                         : "meld-runtime-test-emu-kernels.so");
    auto emuKernels = llvm::MemoryBuffer::getFile(emuPath);
    if (!emuKernels)
      return fail("cannot read '" + emuPath +
                  "': " + emuKernels.getError().message());
    ArtifactKernelModule emu;
    emu.target = "emu";
    emu.format = "elf-shared-object";
    emu.data.assign(emuKernels.get()->getBufferStart(),
                    emuKernels.get()->getBufferEnd());
    spec.modules.push_back(std::move(emu));
    spec.launches[1].block = {32, 1, 1};
    spec.launches[2].block = {32, 1, 1};
    spec.launches[3].block = {static_cast<uint32_t>(rampBlock), 1, 1};
    spec.launches[3].sharedMemoryBytes = rampBlock * sizeof(float);
    if (variant == "emu-oob")
      spec.launches[3].kernel = "ramp_blocks_oob";
    else if (variant == "emu-missing-kernel")
      spec.launches[2].kernel = "no_such_kernel";
    else if (variant == "emu-huge-arena")
      makeArenaHuge();
    else if (variant.starts_with("emu-tmap")) {
      if (!addTensorMap(variant.drop_front(strlen("emu-tmap")), true))
        return fail("unknown variant '" + variant + "'");
    } else if (variant != "emu" && variant != "emu-no-bind")
      return fail("unknown variant '" + variant + "'");
  } else if (variant == "tmap") {
    // The map alone, which no kernel reads: for the CUDA backend's tests.
    addTensorMap("", false);
  } else if (variant == "fault") {
    // A check of x (x > 100 is a fault) with the run's fault status.
    uint32_t status = addBuffer(K::Status, 400384, D::I64, {3}, "");
    spec.arenaSize += 64;
    launch("check_x", {rows, 1, 1}, {x, status}, "check0 (Check)",
           {cols, 1, 1});
    spec.faultSites.push_back({1, "check0", "Check", "x[{}] is above 100"});
  } else if (variant == "fault-no-status") {
    spec.faultSites.push_back({1, "check0", "Check", "x[{}] is above 100"});
    options.verify = false;
  } else if (variant == "fault-two-status") {
    addBuffer(K::Status, 400384, D::I64, {3}, "");
    addBuffer(K::Status, 400448, D::I64, {3}, "");
    spec.arenaSize += 128;
    options.verify = false;
  } else if (variant == "fault-status-size") {
    addBuffer(K::Status, 400384, D::I64, {2}, "");
    spec.arenaSize += 64;
    options.verify = false;
  } else if (variant == "fault-site-twice") {
    addBuffer(K::Status, 400384, D::I64, {3}, "");
    spec.arenaSize += 64;
    spec.faultSites.push_back({1, "a", "A", "a"});
    spec.faultSites.push_back({1, "b", "B", "b"});
    options.verify = false;
  } else if (variant == "unwritten") {
    uint32_t never = addBuffer(K::Arena, 400384, D::F32, {2}, "never");
    spec.arenaSize += 64;
    spec.outputs.push_back({"never", D::F32, {2}, never});
  } else if (variant == "bad-arg") {
    spec.launches[1].args[1] = 99;
    options.verify = false;
  } else if (variant == "missing-symbol") {
    spec.launches[2].kernel = "no_such_kernel";
  } else if (variant == "no-host-module") {
    spec.modules.pop_back();
  } else if (variant == "bad-elf") {
    spec.modules.back().data.assign(100, 'x');
  } else if (variant == "buffer-range") {
    spec.buffers[t].offset = spec.arenaSize - 8;
    options.verify = false;
  } else if (variant == "external-weights") {
    spec.weights.clear();
    spec.weightsExternal = true;
    spec.externalWeightsSize = 4196;
  } else if (variant.starts_with("baked")) {
    // External weights and a value baked into the kernels: 'eps', f32[] =
    // 0.25, which a weights file may leave out but not change. The variants
    // after "baked-" break one rule each (the writer checks them with
    // =verify).
    llvm::StringRef rule = variant.drop_front(strlen("baked"));
    if (rule != "-embedded") {
      spec.weights.clear();
      spec.weightsExternal = true;
      spec.externalWeightsSize = 4196;
    }
    float quarter = 0.25f;
    auto *bytes = reinterpret_cast<const uint8_t *>(&quarter);
    ArtifactBakedInitializer eps{"eps", D::F32, {}, {bytes, bytes + 4}};
    spec.bakedInitializers.push_back(eps);
    if (!rule.empty())
      options.verify = false;
    if (rule == "-twice")
      spec.bakedInitializers.push_back(eps);
    else if (rule == "-no-name")
      spec.bakedInitializers[0].name.clear();
    else if (rule == "-size")
      spec.bakedInitializers[0].shape = {2};
    else if (rule == "-dtype")
      spec.bakedInitializers[0].dtype = static_cast<D>(99);
    else if (!rule.empty() && rule != "-embedded")
      return fail("unknown variant '" + variant + "'");
  } else if (variant.starts_with("packed")) {
    // External weights, and mul_rows_w reads w from panels the runtime
    // packs when it loads them: w as one row, padded to two (w, then
    // zeros). The variants after "packed-" break one rule each.
    std::vector<ArtifactWeight> embedded = std::move(spec.weights);
    spec.weights.clear();
    spec.weightsExternal = true;
    spec.externalWeightsSize = 4288;
    uint32_t packed = addBuffer(K::Packed, 4224, D::F32, {2 * cols}, "w#p");
    ArtifactPanels panels{w, {1, cols, cols, 1, 0, 2, cols}};
    spec.buffers[packed].panels = panels;
    spec.launches[0].args[1] = packed;
    ArtifactBuffer &b = spec.buffers[packed];
    llvm::StringRef rule = variant.drop_front(strlen("packed"));
    if (!rule.empty())
      options.verify = false;
    if (rule == "-embedded") {
      // In the weights section, whose weights are back.
      spec.weightsExternal = false;
      spec.weights.push_back(std::move(embedded[0]));
      spec.weights.push_back(std::move(embedded[1]));
      b.offset = 128;
    } else if (rule == "-no-panels")
      b.panels.reset();
    else if (rule == "-not-packed")
      b.kind = K::Weight;
    else if (rule == "-source")
      b.panels->source = x;
    else if (rule == "-later-source")
      b.panels->source = packed;
    else if (rule == "-dtype")
      b.dtype = D::I32;
    else if (rule == "-stride")
      b.panels->layout.rowStride = -1;
    else if (rule == "-past")
      b.panels->layout.offset = 1;
    else if (rule == "-size")
      b.panels->layout.paddedRows = 3;
    else if (!rule.empty())
      return fail("unknown variant '" + variant + "'");
  } else if (variant.starts_with("host-plan")) {
    // A host plan of its own, the main plan launching nothing (a run on the
    // host that took it would leave the outputs unwritten): the same
    // buffers, the arena's 1024 bytes further, mul_rows_w reading w from
    // panels (one row padded to two) the runtime packs: into the packed
    // space from the weights section, or, with "-external", from the
    // external weights into their space. The variants after
    // "host-plan-" break one rule each.
    ArtifactHostPlan host;
    host.buffers = spec.buffers;
    for (ArtifactBuffer &b : host.buffers)
      if (b.kind == K::Arena)
        b.offset += 1024;
    host.arenaSize = spec.arenaSize + 1024;
    llvm::StringRef rule = variant.drop_front(strlen("host-plan"));
    bool external = rule == "-external";
    if (external) {
      spec.weights.clear();
      spec.weightsExternal = true;
      spec.externalWeightsSize = 4288;
    }
    ArtifactBuffer packed = host.buffers[w];
    packed.kind = K::Packed;
    packed.name = "w#p";
    packed.shape = {2 * cols};
    packed.size = 2 * cols * sizeof(float);
    packed.offset = external ? 4224 : 0;
    packed.panels = ArtifactPanels{w, {1, cols, cols, 1, 0, 2, cols}};
    host.buffers.push_back(packed);
    uint32_t panels = host.buffers.size() - 1;
    host.packedSize = external ? 0 : 64;
    host.inputs = {x, y};
    host.outputs = {out, idx, ramp};
    host.launches = spec.launches;
    host.launches[0].args[1] = panels;
    spec.launches.clear();
    if (!rule.empty() && !external)
      options.verify = false;
    if (rule == "-source")
      host.buffers[panels].panels->source = x;
    else if (rule == "-past")
      host.buffers[panels].offset = 32;
    else if (rule == "-inputs")
      host.inputs.pop_back();
    else if (rule == "-input-range")
      host.inputs[1] = 99;
    else if (rule == "-bad-arg")
      host.launches[1].args[1] = 99;
    else if (rule == "-missing-kernel") {
      host.launches[2].kernel = "no_such_kernel";
      options.verify = true;
    } else if (!rule.empty() && !external)
      return fail("unknown variant '" + variant + "'");
    spec.hostPlan = std::move(host);
  } else if (variant == "big-shared") {
    // More than the 48 KiB of dynamic shared memory a kernel gets without
    // opting in, and more than any GPU has.
    spec.launches[0].sharedMemoryBytes = 64 * 1024;
  } else if (variant == "huge-shared") {
    spec.launches[1].sharedMemoryBytes = 1 << 20;
  } else if (variant == "big-block") {
    spec.launches[3].block = {2048, 1, 1};
  } else if (variant.starts_with("output-name=")) {
    // A damaged or hostile artifact: output 'out' renamed (any bytes).
    spec.outputs[0].name = variant.substr(strlen("output-name=")).str();
    options.verify = false;
  } else if (variant == "same-output-file") {
    // Outputs 'a/b' and 'a_b', which meld-run would write to one file.
    spec.outputs[0].name = "a/b";
    spec.outputs[1].name = "a_b";
  } else if (variant == "huge-arena") {
    makeArenaHuge();
  } else if (variant != "good") {
    return fail("unknown variant '" + variant + "'");
  }
  for (llvm::StringRef edit : edits) {
    // The writer checks even a broken variant, and refuses it.
    if (edit == "=verify") {
      options.verify = true;
      continue;
    }
    llvm::SmallVector<llvm::StringRef, 3> parts;
    edit.drop_front().split(parts, ':', /*MaxSplit=*/2);
    if (parts.size() < 2)
      return fail("bad module edit '" + edit + "'");
    auto same = [&](const ArtifactKernelModule &m) {
      return m.target == parts[0] && m.format == parts[1];
    };
    llvm::erase_if(spec.modules, same);
    if (edit.starts_with("-"))
      continue;
    if (parts.size() != 3)
      return fail("bad module edit '" + edit + "'");
    auto file = llvm::MemoryBuffer::getFile(parts[2], /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
    if (!file)
      return fail("cannot read '" + parts[2] + "'");
    spec.modules.push_back({parts[0].str(), parts[1].str(),
                            {file.get()->getBufferStart(),
                             file.get()->getBufferEnd()}});
  }
  if (llvm::Error err = writeArtifact(spec, outPath, options))
    return fail(llvm::toString(std::move(err)));
  return 0;
}

//===----------------------------------------------------------------------===//
// Corruptions
//===----------------------------------------------------------------------===//

int corrupt(llvm::StringRef kind, llvm::StringRef in, llvm::StringRef outPath) {
  auto buffer = llvm::MemoryBuffer::getFile(in, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail("cannot read '" + in + "'");
  std::string bytes = buffer.get()->getBuffer().str();
  if (bytes.size() < MELD_ARTIFACT_HEADER_SIZE)
    return fail("'" + in + "' is too small");
  meld_artifact_header header;
  memcpy(&header, bytes.data(), sizeof(header));
  if (kind == "truncate") {
    bytes.pop_back();
  } else if (kind == "empty") {
    bytes.clear();
  } else if (kind == "magic") {
    bytes[0] = 'X';
  } else if (kind == "version") {
    header.format_version = 7;
    memcpy(&bytes[0], &header, sizeof(header));
  } else if (kind == "metadata") {
    bytes[header.metadata_offset + header.metadata_size / 2] ^= 0x01;
  } else if (kind == "weights") {
    bytes[header.weights_offset + 1] ^= 0x40;
  } else if (kind == "flatbuffer") {
    // A root offset pointing far outside the buffer, with a matching
    // checksum: only the FlatBuffers verifier can catch it.
    uint32_t root = 0x7fffff00;
    memcpy(&bytes[header.metadata_offset], &root, sizeof(root));
    header.metadata_crc32 = llvm::crc32(
        0, llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(
                                       &bytes[header.metadata_offset]),
                                   header.metadata_size));
    memcpy(&bytes[0], &header, sizeof(header));
  } else {
    return fail("unknown corruption '" + kind + "'");
  }
  std::error_code ec;
  llvm::raw_fd_ostream os(outPath, ec);
  if (ec)
    return fail("cannot write '" + outPath + "': " + ec.message());
  os << bytes;
  return 0;
}

//===----------------------------------------------------------------------===//
// .npy and .pb files
//===----------------------------------------------------------------------===//

/// Writes a version-1 .npy with a raw header dict (so tests can make bad ones).
bool writeNpyRaw(llvm::StringRef path, llvm::StringRef dict,
                 llvm::ArrayRef<uint8_t> data, int version = 1) {
  std::string header(dict);
  size_t prefix = version == 1 ? 10 : 12;
  size_t total = prefix + header.size() + 1;
  header.append((total + 63) / 64 * 64 - total, ' ');
  header += '\n';
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return false;
  os << "\x93NUMPY" << static_cast<char>(version) << '\0';
  uint32_t len = header.size();
  os.write(reinterpret_cast<const char *>(&len), version == 1 ? 2 : 4);
  os << header;
  os.write(reinterpret_cast<const char *>(data.data()), data.size());
  return !os.has_error();
}

template <typename T> llvm::ArrayRef<uint8_t> bytesOf(const std::vector<T> &v) {
  return {reinterpret_cast<const uint8_t *>(v.data()), v.size() * sizeof(T)};
}

/// Minimal protobuf encoding of an onnx.TensorProto.
struct ProtoWriter {
  std::string bytes;
  void varint(uint64_t v) {
    while (v >= 0x80) {
      bytes += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    bytes += static_cast<char>(v);
  }
  void tag(int field, int wireType) { varint((field << 3) | wireType); }
  void lengthDelimited(int field, llvm::StringRef data) {
    tag(field, 2);
    varint(data.size());
    bytes += data.str();
  }
};

std::string tensorProto(llvm::ArrayRef<int64_t> dims, int dataType,
                        llvm::ArrayRef<uint8_t> raw, bool useFloatData) {
  ProtoWriter w;
  for (int64_t d : dims) {
    w.tag(1, 0); // dims
    w.varint(d);
  }
  w.tag(2, 0); // data_type
  w.varint(dataType);
  w.lengthDelimited(8, "ignored_name"); // name
  llvm::StringRef data(reinterpret_cast<const char *>(raw.data()), raw.size());
  if (useFloatData)
    w.lengthDelimited(4, data); // float_data, packed
  else
    w.lengthDelimited(9, data); // raw_data
  return w.bytes;
}

int writeInputs(llvm::StringRef dir) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return fail("cannot create '" + dir + "': " + ec.message());
  std::vector<float> x, y;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      x.push_back(xValue(r, c));
  for (int c = 0; c < cols; ++c)
    y.push_back(yValue(c));
  std::vector<double> x64(x.begin(), x.end());
  // x with element 7 (row 1, column 2) above 100: the "fault" variant's
  // check records it.
  std::vector<float> xFault = x;
  xFault[7] = 1000.0f;
  auto path = [&](llvm::StringRef name) { return (dir + "/" + name).str(); };
  const char *f4x =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }";
  bool ok =
      writeNpyRaw(path("x.npy"), f4x, bytesOf(x)) &&
      writeNpyRaw(path("y.npy"),
                  "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }",
                  bytesOf(y)) &&
      writeNpyRaw(path("x_v2.npy"), f4x, bytesOf(x), /*version=*/2) &&
      writeNpyRaw(path("x_f64.npy"),
                  "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 5), }",
                  bytesOf(x64)) &&
      writeNpyRaw(path("x_53.npy"),
                  "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 3), }",
                  bytesOf(x)) &&
      writeNpyRaw(path("x_fortran.npy"),
                  "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 5), }",
                  bytesOf(x)) &&
      writeNpyRaw(path("x_c8.npy"),
                  "{'descr': '<c8', 'fortran_order': False, 'shape': (3, 5), }",
                  bytesOf(x)) &&
      writeNpyRaw(path("x_be.npy"),
                  "{'descr': '>f4', 'fortran_order': False, 'shape': (3, 5), }",
                  bytesOf(x)) &&
      writeNpyRaw(path("x_short.npy"), f4x, bytesOf(x).drop_back(4)) &&
      writeNpyRaw(path("x_badheader.npy"), "{'descr': '<f4', 'shape': 3}",
                  bytesOf(x)) &&
      writeNpyRaw(path("x_fault.npy"), f4x, bytesOf(xFault));
  if (!ok)
    return fail("cannot write the .npy files in '" + dir + "'");
  auto writeFile = [&](llvm::StringRef name, llvm::StringRef contents) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path(name), ec);
    os << contents;
    return !ec && !os.has_error();
  };
  constexpr int onnxFloat = 1;
  if (!writeFile("x.pb", tensorProto({rows, cols}, onnxFloat, bytesOf(x),
                                     /*useFloatData=*/false)) ||
      !writeFile("y.pb", tensorProto({cols}, onnxFloat, bytesOf(y),
                                     /*useFloatData=*/true)) ||
      !writeFile("x_string.pb",
                 tensorProto({rows, cols}, /*STRING=*/8, bytesOf(x), false)) ||
      !writeFile("x_garbage.pb", "\xff\xff\xff\xff garbage"))
    return fail("cannot write the .pb files in '" + dir + "'");
  return 0;
}

/// Reads one of meld-run's .npy outputs (version 1, as it writes them).
bool readNpy(llvm::StringRef path, std::string &descr,
             std::vector<int64_t> &shape, std::string &data) {
  auto buffer = llvm::MemoryBuffer::getFile(path, false, false);
  if (!buffer)
    return false;
  llvm::StringRef bytes = buffer.get()->getBuffer();
  if (bytes.size() < 10 || !bytes.starts_with("\x93NUMPY") || bytes[6] != 1)
    return false;
  size_t len =
      static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
  llvm::StringRef header = bytes.substr(10, len);
  size_t d = header.find("'descr': '");
  size_t s = header.find("'shape': (");
  if (d == llvm::StringRef::npos || s == llvm::StringRef::npos)
    return false;
  descr = header.substr(d + 10, 3).str();
  llvm::StringRef dims = header.substr(s + 10);
  dims = dims.take_until([](char c) { return c == ')'; });
  shape.clear();
  llvm::SmallVector<llvm::StringRef> parts;
  dims.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef part : parts) {
    int64_t v;
    if (part.trim().getAsInteger(10, v))
      return false;
    shape.push_back(v);
  }
  data = bytes.substr(10 + len).str();
  return true;
}

int dump(llvm::StringRef path) {
  std::string descr, data;
  std::vector<int64_t> shape;
  if (!readNpy(path, descr, shape, data))
    return fail("cannot read '" + path + "' as .npy");
  llvm::outs() << descr << " [";
  llvm::interleave(shape, llvm::outs(), ",");
  llvm::outs() << "]:";
  size_t count = 0;
  if (descr == "<f4") {
    for (size_t i = 0; i + 4 <= data.size() && count < 20; i += 4, ++count) {
      float v;
      memcpy(&v, &data[i], 4);
      llvm::outs() << " " << llvm::format("%g", v);
    }
  } else if (descr == "<i8") {
    for (size_t i = 0; i + 8 <= data.size() && count < 20; i += 8, ++count) {
      int64_t v;
      memcpy(&v, &data[i], 8);
      llvm::outs() << " " << v;
    }
  }
  llvm::outs() << "\n";
  return 0;
}

int check(llvm::StringRef dir) {
  std::string descr, data;
  std::vector<int64_t> shape;
  int bad = 0;
  if (!readNpy((dir + "/out.npy").str(), descr, shape, data) ||
      descr != "<f4" || shape != std::vector<int64_t>{rows, cols} ||
      data.size() != rows * cols * 4)
    return fail("out.npy is missing or has the wrong type");
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      float v;
      memcpy(&v, &data[(r * cols + c) * 4], 4);
      if (v != xValue(r, c) * wValue(c) + yValue(c))
        ++bad;
    }
  if (!readNpy((dir + "/idx.npy").str(), descr, shape, data) ||
      descr != "<i8" || shape != std::vector<int64_t>{rows} ||
      data.size() != rows * 8)
    return fail("idx.npy is missing or has the wrong type");
  for (int r = 0; r < rows; ++r) {
    int best = 0;
    for (int c = 1; c < cols; ++c)
      if (xValue(r, c) > xValue(r, best))
        best = c;
    int64_t v;
    memcpy(&v, &data[r * 8], 8);
    bad += v != best;
  }
  if (!readNpy((dir + "/ramp.npy").str(), descr, shape, data) ||
      descr != "<f4" || shape != std::vector<int64_t>{rampSize} ||
      data.size() != rampSize * 4)
    return fail("ramp.npy is missing or has the wrong type");
  for (int64_t i = 0; i < rampSize; ++i) {
    float v;
    memcpy(&v, &data[i * 4], 4);
    bad += v != 0.5f * i;
  }
  if (bad)
    return fail(llvm::Twine(bad) + " wrong values");
  llvm::outs() << "check: all values match\n";
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::SmallVector<llvm::StringRef> args(argv + 1, argv + argc);
  if (args.size() >= 2 && args[0] == "model") {
    llvm::ArrayRef<llvm::StringRef> rest =
        llvm::ArrayRef(args).drop_front(std::min<size_t>(args.size(), 3));
    std::string kernels;
    if (!rest.empty() && !rest[0].starts_with("+") &&
        !rest[0].starts_with("-") && !rest[0].starts_with("=")) {
      kernels = rest[0].str();
      rest = rest.drop_front();
    }
    return writeModel(args[1], args.size() > 2 ? args[2] : "good", kernels,
                      rest, argv[0]);
  }
  if (args.size() == 2 && args[0] == "ptx") {
    std::error_code ec;
    llvm::raw_fd_ostream os(args[1], ec);
    if (ec)
      return fail("cannot write '" + args[1] + "': " + ec.message());
    os << testPtx;
    return 0;
  }
  if (args.size() == 4 && args[0] == "corrupt")
    return corrupt(args[1], args[2], args[3]);
  if (args.size() == 2 && args[0] == "inputs")
    return writeInputs(args[1]);
  if (args.size() == 2 && args[0] == "check")
    return check(args[1]);
  if (args.size() == 2 && args[0] == "dump")
    return dump(args[1]);
  return fail("usage: model OUT [VARIANT [KERNELS]] [+T:F:FILE|-T:F...] | "
              "ptx OUT | corrupt KIND IN OUT | inputs DIR | check DIR | "
              "dump FILE");
}
