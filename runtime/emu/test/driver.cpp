//===- driver.cpp - Launches one emulated kernel for the emulator's tests -===//
//
// meld-runtime-test-emu: loads an emulated kernel module (default:
// meld-runtime-test-emu-kernels.so next to this program), binds it, launches
// one kernel through emu::launch and prints buffers.
//
//   meld-runtime-test-emu KERNEL [options]
//     --module PATH          the kernel module
//     --grid X[,Y[,Z]]       grid (default 1,1,1)
//     --block X[,Y[,Z]]      block (default 1,1,1)
//     --shared N             shared memory bytes (default 0)
//     --seed N               block order seed (default 0)
//     --threads N            run the blocks on N OS threads (default 1)
//     --buf TYPE:COUNT[:FILL]  add an argument buffer (in order): TYPE is
//                            u32, i32 or f32; FILL is a number (every
//                            element), `iota` (0, 1, ...), `poison` (0xFF
//                            bytes), a comma-separated list, or @PATH (the
//                            COUNT * 4 bytes of file PATH); default 0
//     --tmap I:E:DIMS:STRIDES:BOX[:SWIZZLE[:nan]]
//                            add an argument holding a tensor map
//                            (emu::encodeTensorMap) of buffer I: elements
//                            of E bytes, comma-separated DIMS (innermost
//                            first), STRIDES in bytes (one fewer; `-` for
//                            none) and BOX, SWIZZLE bytes (default 0),
//                            NaN outside the tensor with `nan`
//     --readonly I           argument I is read-only (a weight)
//     --print I              after the launch, print buffer I
//     --stats                after the launch, print the memory statistics
//                            (emu::AccessStats)
//     --check transpose      buffers {rows, cols}, in, out: compare out with
//                            the transpose of in, computed here
//
// Prints "buf I: v0 v1 ..." per --print, or on failure
// "error: <message>" on stdout and exits 1.
//
//===----------------------------------------------------------------------===//

#include "Emu.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace meld;

namespace {

struct Buffer {
  char type; // 'u', 'i', 'f'
  uint64_t count;
  emu::GuardedBuffer memory;
  bool readOnly = false;
};

int fail(const std::string &message) {
  printf("error: %s\n", message.c_str());
  return 1;
}

bool parseDims(const char *text, uint32_t dims[3]) {
  dims[0] = dims[1] = dims[2] = 1;
  char *end = nullptr;
  for (int d = 0; d < 3; ++d) {
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (end == text || errno || v > 0xffffffffu)
      return false;
    dims[d] = static_cast<uint32_t>(v);
    if (*end == '\0')
      return true;
    if (*end != ',')
      return false;
    text = end + 1;
  }
  return false;
}

bool parseBuffer(const std::string &spec, Buffer &buffer) {
  size_t c1 = spec.find(':');
  if (c1 == std::string::npos)
    return false;
  std::string type = spec.substr(0, c1);
  size_t c2 = spec.find(':', c1 + 1);
  std::string count = spec.substr(
      c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
  std::string fill = c2 == std::string::npos ? "0" : spec.substr(c2 + 1);
  if (type == "u32")
    buffer.type = 'u';
  else if (type == "i32")
    buffer.type = 'i';
  else if (type == "f32")
    buffer.type = 'f';
  else
    return false;
  buffer.count = strtoull(count.c_str(), nullptr, 10);
  if (!buffer.memory.allocate(buffer.count * 4, fill == "poison" ? 0xFF : 0))
    return false;
  if (fill == "poison")
    return true;
  char *data = static_cast<char *>(buffer.memory.data());
  if (fill[0] == '@') {
    FILE *file = fopen(fill.c_str() + 1, "rb");
    if (!file)
      return false;
    size_t read = fread(data, 1, buffer.count * 4, file);
    bool whole = read == buffer.count * 4 && fgetc(file) == EOF;
    fclose(file);
    return whole;
  }
  auto store = [&](uint64_t i, double v) {
    if (buffer.type == 'f') {
      float f = static_cast<float>(v);
      memcpy(data + 4 * i, &f, 4);
    } else {
      int64_t n = static_cast<int64_t>(v);
      uint32_t u = static_cast<uint32_t>(n);
      memcpy(data + 4 * i, &u, 4);
    }
  };
  if (fill == "iota") {
    for (uint64_t i = 0; i < buffer.count; ++i)
      store(i, static_cast<double>(i));
    return true;
  }
  std::vector<double> values;
  const char *p = fill.c_str();
  while (*p) {
    char *end;
    double v = strtod(p, &end);
    if (end == p)
      return false;
    values.push_back(v);
    p = *end == ',' ? end + 1 : end;
    if (*end && *end != ',')
      return false;
  }
  if (values.size() == 1) {
    for (uint64_t i = 0; i < buffer.count; ++i)
      store(i, values[0]);
    return true;
  }
  if (values.size() != buffer.count)
    return false;
  for (uint64_t i = 0; i < buffer.count; ++i)
    store(i, values[i]);
  return true;
}

void printBuffer(size_t index, const Buffer &buffer) {
  printf("buf %zu:", index);
  const char *data = static_cast<const char *>(buffer.memory.data());
  for (uint64_t i = 0; i < buffer.count; ++i) {
    uint32_t u;
    memcpy(&u, data + 4 * i, 4);
    if (buffer.type == 'f') {
      float f;
      memcpy(&f, &u, 4);
      printf(" %.9g", f);
    } else if (buffer.type == 'i') {
      printf(" %d", static_cast<int32_t>(u));
    } else {
      printf(" %u", u);
    }
  }
  printf("\n");
}

/// Parses a comma-separated list of numbers (`-`: none).
bool parseList(const std::string &text, std::vector<uint64_t> &values) {
  values.clear();
  if (text == "-")
    return true;
  const char *p = text.c_str();
  for (;;) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (end == p || errno)
      return false;
    values.push_back(v);
    if (*end == '\0')
      return true;
    if (*end != ',')
      return false;
    p = end + 1;
  }
}

/// Adds the buffer of `--tmap SPEC`, a tensor map of one of `buffers`.
std::string addTensorMap(const std::string &spec,
                         std::vector<Buffer> &buffers) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t colon; (colon = spec.find(':', start)) != std::string::npos;
       start = colon + 1)
    fields.push_back(spec.substr(start, colon - start));
  fields.push_back(spec.substr(start));
  std::vector<uint64_t> index, element, dims, strides, box, swizzle{0};
  if (fields.size() < 5 || fields.size() > 7 || !parseList(fields[0], index) ||
      !parseList(fields[1], element) || !parseList(fields[2], dims) ||
      !parseList(fields[3], strides) || !parseList(fields[4], box) ||
      (fields.size() > 5 && !parseList(fields[5], swizzle)) ||
      (fields.size() > 6 && fields[6] != "nan") || index.size() != 1 ||
      element.size() != 1 || swizzle.size() != 1 ||
      index[0] >= buffers.size() || box.size() != dims.size() ||
      strides.size() + 1 != dims.size())
    return "bad --tmap '" + spec + "'";
  TensorMapLayout layout;
  layout.rank = static_cast<uint32_t>(dims.size());
  for (size_t d = 0; d < dims.size() && d < 5; ++d) {
    layout.dims[d] = dims[d];
    layout.box[d] = static_cast<uint32_t>(box[d]);
    if (d > 0)
      layout.strides[d - 1] = strides[d - 1];
  }
  layout.swizzle = static_cast<uint32_t>(swizzle[0]);
  layout.oobNan = fields.size() > 6;
  Buffer map;
  map.type = 'u';
  map.count = sizeof(meld_emu_tensor_map) / 4;
  map.readOnly = true;
  std::string error;
  if (dims.size() > 5 || !map.memory.allocate(sizeof(meld_emu_tensor_map), 0) ||
      !emu::encodeTensorMap(
          *static_cast<meld_emu_tensor_map *>(map.memory.data()), layout,
          static_cast<uint32_t>(element[0]), buffers[index[0]].memory.data(),
          error))
    return "--tmap: " + (error.empty() ? std::string("cannot map") : error);
  buffers.push_back(std::move(map));
  return "";
}

std::string defaultModule(const char *argv0) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string path = n > 0 ? std::string(self, n) : std::string(argv0);
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  return dir + "/meld-runtime-test-emu-kernels.so";
}

/// LaunchOptions::parallelFor: one OS thread per index, `n` at once.
void parallelFor(void *, int64_t n, emu::LaunchOptions::RangeFn body,
                 void *context) {
  std::vector<std::thread> threads;
  for (int64_t i = 1; i < n; ++i)
    threads.emplace_back([=] { body(context, i, i + 1); });
  body(context, 0, 1);
  for (std::thread &t : threads)
    t.join();
}

} // namespace

int main(int argc, char **argv) {
  std::string kernelName, modulePath = defaultModule(argv[0]), check;
  uint32_t grid[3] = {1, 1, 1}, block[3] = {1, 1, 1};
  uint32_t shared = 0;
  emu::LaunchOptions options;
  emu::AccessStats stats;
  bool printStats = false;
  std::vector<Buffer> buffers;
  std::vector<size_t> prints;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool hasValue = i + 1 < argc;
    if (arg == "--module" && hasValue) {
      modulePath = argv[++i];
    } else if (arg == "--grid" && hasValue) {
      if (!parseDims(argv[++i], grid))
        return fail("bad --grid");
    } else if (arg == "--block" && hasValue) {
      if (!parseDims(argv[++i], block))
        return fail("bad --block");
    } else if (arg == "--shared" && hasValue) {
      shared = static_cast<uint32_t>(strtoul(argv[++i], nullptr, 10));
    } else if (arg == "--seed" && hasValue) {
      options.seed = strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--threads" && hasValue) {
      options.workers = static_cast<unsigned>(strtoul(argv[++i], nullptr, 10));
      options.parallelFor = parallelFor;
    } else if (arg == "--buf" && hasValue) {
      buffers.emplace_back();
      if (!parseBuffer(argv[++i], buffers.back()))
        return fail(std::string("bad --buf '") + argv[i] + "'");
    } else if (arg == "--tmap" && hasValue) {
      std::string error = addTensorMap(argv[++i], buffers);
      if (!error.empty())
        return fail(error);
    } else if (arg == "--readonly" && hasValue) {
      size_t b = strtoul(argv[++i], nullptr, 10);
      if (b >= buffers.size())
        return fail("--readonly: no such buffer");
      buffers[b].readOnly = true;
    } else if (arg == "--print" && hasValue) {
      prints.push_back(strtoul(argv[++i], nullptr, 10));
    } else if (arg == "--stats") {
      printStats = true;
      options.accessStats = &stats;
    } else if (arg == "--check" && hasValue) {
      check = argv[++i];
    } else if (arg.size() > 1 && arg[0] != '-' && kernelName.empty()) {
      kernelName = arg;
    } else {
      return fail("bad argument '" + arg + "'");
    }
  }
  if (kernelName.empty())
    return fail("no kernel given");

  // A bare file name is a file here, not a library to search for.
  if (modulePath.find('/') == std::string::npos)
    modulePath = "./" + modulePath;
  void *module = dlopen(modulePath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!module)
    return fail(std::string("cannot load '") + modulePath + "': " + dlerror());
  auto bind =
      reinterpret_cast<meld_emu_bind_fn>(dlsym(module, MELD_EMU_BIND_SYMBOL));
  auto kernel =
      reinterpret_cast<meld_emu_kernel_fn>(dlsym(module, kernelName.c_str()));
  if (!bind || !kernel)
    return fail("no meld_emu_bind or kernel '" + kernelName + "' in '" +
                modulePath + "'");
  bind(emu::getOps());

  std::vector<emu::LaunchArg> args;
  for (Buffer &b : buffers) {
    emu::LaunchArg a;
    a.base = b.memory.data();
    a.size = b.count * 4;
    a.readOnly = b.readOnly;
    args.push_back(a);
  }
  std::string error;
  if (!emu::launch(kernel, args.data(), args.size(), grid, block, shared,
                   kernelName.c_str(), options, error))
    return fail(error);

  if (printStats)
    printf("stats: shared %llu accesses, %llu wavefronts (ideal %llu); "
           "global %llu accesses, %llu sectors (ideal %llu)\n",
           (unsigned long long)stats.sharedAccesses,
           (unsigned long long)stats.sharedWavefronts,
           (unsigned long long)stats.sharedIdealWavefronts,
           (unsigned long long)stats.globalAccesses,
           (unsigned long long)stats.globalSectors,
           (unsigned long long)stats.globalIdealSectors);
  for (size_t p : prints) {
    if (p >= buffers.size())
      return fail("--print: no such buffer");
    printBuffer(p, buffers[p]);
  }
  if (check == "transpose") {
    if (buffers.size() < 3)
      return fail("--check transpose needs 3 buffers");
    const uint32_t *params =
        static_cast<const uint32_t *>(buffers[0].memory.data());
    const float *in = static_cast<const float *>(buffers[1].memory.data());
    const float *out = static_cast<const float *>(buffers[2].memory.data());
    uint32_t rows = params[0], cols = params[1];
    uint64_t bad = 0;
    for (uint32_t r = 0; r < rows; ++r)
      for (uint32_t c = 0; c < cols; ++c)
        bad += memcmp(&out[uint64_t(c) * rows + r], &in[uint64_t(r) * cols + c],
                      4) != 0;
    if (bad)
      return fail(std::to_string(bad) + " wrong values");
    printf("transpose: %ux%u ok\n", rows, cols);
  } else if (!check.empty()) {
    return fail("unknown --check '" + check + "'");
  }
  return 0;
}
