//===- meld-run.cpp - Run a compiled Meld artifact ------------------------===//
//
//   meld-run MODEL.meld --input NAME=FILE ... --output-dir DIR
//            [--device cpu|cuda|cuda:N|emu] [--weights FILE.safetensors]
//            [--bench N [--warmup W]]
//
// Loads the artifact through the runtime's C API, binds every input from a
// .npy or ONNX TensorProto .pb file, runs, and writes each output to
// DIR/NAME.npy. With --bench (or --repeat) it times N runs after W untimed ones
// and prints "time: median X ms, min Y ms, p90 Z ms, max W ms over N runs
// (device D)". Exit code 0 on success; on any error one line "meld-run: error:
// <message>" on stderr and exit code 1.
//
// It links no MLIR or LLVM (it deploys to machines without a toolchain), so
// the command line is parsed by hand rather than with llvm::cl. Errors are
// returned, not thrown; main only catches std::bad_alloc from the standard
// library (e.g. an input file larger than memory) so that it never aborts.
//
//===----------------------------------------------------------------------===//

#include "TensorFile.h"

#include "meld/runtime.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace meld;

namespace {

const char *helpText = R"(OVERVIEW: run a compiled Meld artifact

USAGE: meld-run MODEL.meld --input NAME=FILE ... --output-dir DIR [options]

Every input of the model must be given once. Each output is written to
DIR/NAME.npy ('/' in a name becomes '_'); bf16 outputs are written as f32.
Input files must be regular files (not FIFOs, devices or directories), and
no output is written through a symbolic link or into anything but a regular
file.

OPTIONS:
  --input NAME=FILE   Bind model input NAME to the tensor in FILE: a NumPy
                      .npy file (format 1-3, C order, little-endian; f4, f8,
                      f2, i8, i4, i1, u1, b1) or an ONNX TensorProto .pb file
                      (raw_data or the typed fields; its name is ignored).
                      The file's dtype and shape must match the model's,
                      except that f32 data is rounded for a bf16 input.
  --output-dir DIR    Directory for the outputs, created if missing.
  --device DEVICE     Device to run on: cpu (default), cuda (GPU 0) or
                      cuda:N (GPU N), through the NVIDIA driver (libcuda.so.1,
                      or the file named by $MELD_LIBCUDA), or emu, the GPU
                      emulator: the GPU kernels run on this CPU, each block's
                      threads as fibers, blocks on --threads OS threads,
                      with every memory access, barrier and warp collective
                      checked (docs/Emulator.md).
  --weights FILE      Load the weights of an artifact compiled with
                      meldc --weights=external from a safetensors file, by
                      ONNX initializer name; every name, dtype and shape is
                      checked.
  --threads N         CPU worker threads, for cpu and emu (0 = all cores,
                      the default; 1 runs on the calling thread only).
  --emu-seed N        Seed of the order in which the emulator runs the blocks
                      of each launch (default 0): a kernel whose result
                      depends on the order of blocks gives different results
                      for different seeds.
  --emu-stats         With --device emu: after the runs, print each kernel's
                      memory statistics, per warp-wide access (the lanes'
                      accesses at one load or store): shared-memory
                      wavefronts against the fewest possible (bank
                      conflicts), global 32-byte sectors against the fewest
                      possible (coalescing).
  --bench N           Time the model: after the warm-up runs, run it N times
  --repeat N          with meld_session_run_timed and print one line, the
                      median and the spread:
                        time: median X.XXX ms, min Y.YYY ms, p90 Z.ZZZ ms,
                        max W.WWW ms over N runs (device D)
                      (p90: the nearest-rank 90th percentile). On cuda each
                      run is timed with CUDA events around its kernel
                      launches, the input and output copies not timed; on
                      cpu and emu with the wall clock around the whole run.
                      The outputs of the last run are written. --repeat is
                      the same option.
  --warmup W          Untimed runs before the timed ones (default 1; only
                      with --bench).
  --list              Print the model's inputs and outputs and exit.
  --quiet             Do not print the written outputs.
  --version           Print the runtime version and exit.
  --help              Print this help and exit.

EXIT STATUS: 0 on success, 1 on any error.
)";

/// The message of the failure that ends the program; main prints it.
std::string errorMessage;

/// Records `message` and returns false, so failures read
/// `return fail("...")`.
bool fail(const std::string &message) {
  errorMessage = message;
  return false;
}

/// Records the runtime's message if `status` is not MELD_OK.
bool check(meld_status status) {
  if (status == MELD_OK)
    return true;
  return fail(meld_last_error());
}

struct Options {
  std::string model;
  std::vector<std::pair<std::string, std::string>> inputs;
  std::string outputDir;
  std::string device = "cpu";
  std::string weights;
  int threads = 0;
  uint64_t emuSeed = 0;
  /// --repeat: timed runs (0: one untimed run); --warmup: untimed runs
  /// before them (-1: not given).
  long repeat = 0;
  long warmup = -1;
  bool list = false;
  bool quiet = false;
  /// --emu-stats: print the emulator's memory statistics after the runs.
  bool emuStats = false;
  /// --help or --version was handled: exit 0 without running.
  bool done = false;
};

/// Parses argv; returns false on a bad command line.
bool parseOptions(int argc, char **argv, Options &options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "-help") {
      fputs(helpText, stdout);
      options.done = true;
      return true;
    }
    if (arg == "--version") {
      printf("%s\n", meld_runtime_version());
      options.done = true;
      return true;
    }
    if (arg == "--list") {
      options.list = true;
      continue;
    }
    if (arg == "--quiet") {
      options.quiet = true;
      continue;
    }
    if (arg == "--emu-stats") {
      options.emuStats = true;
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      if (!options.model.empty())
        return fail("unexpected argument '" + arg +
                    "': only one model can be given");
      options.model = arg;
      continue;
    }

    // Options with a value: "--opt value" or "--opt=value".
    std::string flag = arg, value;
    size_t eq = arg.find('=');
    bool takesValue =
        flag == "--input" || flag == "--output-dir" || flag == "--device" ||
        flag == "--threads" || flag == "--emu-seed" || flag == "--weights" ||
        flag == "--repeat" || flag == "--bench" || flag == "--warmup";
    if (eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (takesValue) {
      if (i + 1 >= argc)
        return fail("option '" + flag + "' needs a value");
      value = argv[++i];
    }
    if (flag == "--input") {
      size_t sep = value.find('=');
      if (sep == std::string::npos || sep == 0 || sep + 1 == value.size())
        return fail("--input expects NAME=FILE, got '" + value + "'");
      options.inputs.emplace_back(value.substr(0, sep), value.substr(sep + 1));
    } else if (flag == "--output-dir") {
      options.outputDir = value;
    } else if (flag == "--device") {
      options.device = value;
    } else if (flag == "--weights") {
      if (value.empty())
        return fail("--weights expects a safetensors file");
      options.weights = value;
    } else if (flag == "--threads") {
      char *end = nullptr;
      errno = 0;
      long n = strtol(value.c_str(), &end, 10);
      if (value.empty() || *end || errno || n < 0 || n > 4096)
        return fail("--threads expects a number in [0, 4096], got '" + value +
                    "'");
      options.threads = static_cast<int>(n);
    } else if (flag == "--repeat" || flag == "--bench" || flag == "--warmup") {
      char *end = nullptr;
      errno = 0;
      long n = strtol(value.c_str(), &end, 10);
      bool timed = flag != "--warmup";
      long least = timed ? 1 : 0;
      if (value.empty() || *end || errno || n < least || n > 1000000)
        return fail(flag + " expects a number in [" + std::to_string(least) +
                    ", 1000000], got '" + value + "'");
      (timed ? options.repeat : options.warmup) = n;
    } else if (flag == "--emu-seed") {
      char *end = nullptr;
      errno = 0;
      unsigned long long n = strtoull(value.c_str(), &end, 10);
      if (value.empty() || *end || errno || value[0] == '-')
        return fail("--emu-seed expects a non-negative integer, got '" +
                    value + "'");
      options.emuSeed = n;
    } else {
      return fail("unknown option '" + arg + "' (see --help)");
    }
  }
  if (options.model.empty())
    return fail("no model given (see --help)");
  if (options.warmup >= 0 && options.repeat == 0)
    return fail("--warmup needs --bench N (or --repeat N)");
  return true;
}

std::string formatShape(const int64_t *shape, int32_t rank) {
  std::string result = "[";
  for (int32_t i = 0; i < rank; ++i)
    result += (i ? "," : "") + std::to_string(shape[i]);
  return result + "]";
}

/// mkdir -p.
bool createDirectories(const std::string &dir) {
  std::string path;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    path = dir.substr(0, pos);
    if (path.empty() || path == "/")
      continue;
    if (mkdir(path.c_str(), 0777) != 0 && errno != EEXIST)
      return fail("cannot create output directory '" + dir +
                  "': " + strerror(errno));
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0)
    return fail("cannot create output directory '" + dir +
                "': " + strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return fail("cannot create output directory '" + dir +
                "': a file of that name exists");
  return true;
}

/// The file name (without ".npy") of output `name`: '/' becomes '_' (ONNX
/// value names often hold slashes, "/lm_head/MatMul_output_0"). Names that
/// could not be a file name in the output directory whatever the mapping
/// (empty, a component "." or "..", "/x", "a//b", a NUL or control
/// character), which only a damaged or hostile artifact holds, are refused.
bool outputFileName(const std::string &name, std::string &file) {
  auto refuse = [&](const char *why) {
    std::string shown;
    for (char c : name)
      shown += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
    return fail("output '" + shown + "' of the model cannot be written: " +
                why);
  };
  if (name.empty())
    return refuse("its name is empty");
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return refuse("its name holds a control character");
  size_t begin = 0;
  while (begin <= name.size()) {
    size_t end = name.find('/', begin);
    if (end == std::string::npos)
      end = name.size();
    std::string component = name.substr(begin, end - begin);
    if (component.empty() || component == "." || component == "..")
      return refuse("its name would leave the output directory (an empty, "
                    "'.' or '..' path component)");
    begin = end + 1;
  }
  file = name;
  std::replace(file.begin(), file.end(), '/', '_');
  return true;
}
bool run(const Options &options) {
  meld::RuntimeHandles h;
  if (!check(meld_model_load(options.model.c_str(), &h.model)))
    return false;

  if (options.list) {
    for (int io = 0; io < 2; ++io) {
      size_t n =
          io ? meld_model_num_outputs(h.model) : meld_model_num_inputs(h.model);
      for (size_t i = 0; i < n; ++i) {
        meld_tensor_info info;
        if (!check(io ? meld_model_output_info(h.model, i, &info)
                      : meld_model_input_info(h.model, i, &info)))
          return false;
        printf("%s %s: %s%s\n", io ? "output" : "input", info.name,
               meld_dtype_name(info.dtype),
               formatShape(info.shape, info.rank).c_str());
      }
    }
    return true;
  }
  if (options.outputDir.empty())
    return fail("no output directory given (use --output-dir DIR)");

  // Step 0: external weights, before anything else can fail for want of
  // them.
  if (!options.weights.empty()) {
    if (!check(meld_model_load_weights(h.model, options.weights.c_str())))
      return false;
  } else if (meld_model_has_external_weights(h.model)) {
    return fail("'" + options.model +
                "' keeps its weights in an external file (it was compiled "
                "with --weights=external): give them with --weights "
                "FILE.safetensors");
  }

  // Step 1: every input named on the command line is a model input, given
  // once, and every model input is given.
  std::map<std::string, std::string> files;
  for (const auto &[name, file] : options.inputs) {
    size_t index;
    if (!check(meld_model_find_input(h.model, name.c_str(), &index)))
      return false;
    if (!files.emplace(name, file).second)
      return fail("input '" + name + "' is given more than once");
  }
  size_t numInputs = meld_model_num_inputs(h.model);
  for (size_t i = 0; i < numInputs; ++i) {
    meld_tensor_info info;
    if (!check(meld_model_input_info(h.model, i, &info)))
      return false;
    if (!files.count(info.name))
      return fail(std::string("input '") + info.name +
                  "' of the model is not given (use --input " + info.name +
                  "=FILE)");
  }

  // Every output gets a file of its own in the output directory.
  size_t numOutputs = meld_model_num_outputs(h.model);
  std::vector<std::string> outputFiles(numOutputs);
  std::map<std::string, std::string> fileOwners;
  for (size_t i = 0; i < numOutputs; ++i) {
    meld_tensor_info info;
    if (!check(meld_model_output_info(h.model, i, &info)) ||
        !outputFileName(info.name, outputFiles[i]))
      return false;
    auto [it, isNew] = fileOwners.emplace(outputFiles[i], info.name);
    if (!isNew)
      return fail("outputs '" + it->second + "' and '" + info.name +
                  "' would both be written to '" + outputFiles[i] + ".npy'");
  }

  // Step 2: the session, then the inputs.
  meld_session_options sessionOptions;
  memset(&sessionOptions, 0, sizeof(sessionOptions));
  sessionOptions.struct_size = sizeof(sessionOptions);
  sessionOptions.num_threads = options.threads;
  sessionOptions.emu_seed = options.emuSeed;
  sessionOptions.emu_access_stats = options.emuStats;
  if (!check(meld_session_create(h.model, options.device.c_str(),
                                 &sessionOptions, &h.session)))
    return false;
  for (const auto &[name, file] : files) {
    HostTensor tensor;
    std::string error;
    if (!readTensorFile(file, tensor, error))
      return fail("input '" + name + "': " + error);
    size_t index;
    meld_tensor_info info;
    if (!check(meld_model_find_input(h.model, name.c_str(), &index)))
      return false;
    if (!check(meld_model_input_info(h.model, index, &info)))
      return false;
    if (info.dtype == MELD_DTYPE_BF16 && tensor.dtype == MELD_DTYPE_F32) {
      tensor.data = convertF32ToBF16(tensor.data);
      tensor.dtype = MELD_DTYPE_BF16;
    }
    if (meld_session_set_input(h.session, name.c_str(), tensor.dtype,
                               static_cast<int32_t>(tensor.shape.size()),
                               tensor.shape.data(), tensor.data.data(),
                               tensor.data.size()) != MELD_OK)
      return fail(std::string(meld_last_error()) + " (from '" + file + "')");
  }

  // Step 3: run (timed with --repeat) and write the outputs of the last run.
  if (options.repeat == 0) {
    if (!check(meld_session_run(h.session)))
      return false;
  } else {
    long warmup = options.warmup < 0 ? 1 : options.warmup;
    for (long i = 0; i < warmup; ++i)
      if (!check(meld_session_run(h.session)))
        return false;
    std::vector<double> times;
    for (long i = 0; i < options.repeat; ++i) {
      double ms = 0;
      if (!check(meld_session_run_timed(h.session, &ms)))
        return false;
      times.push_back(ms);
    }
    std::sort(times.begin(), times.end());
    size_t n = times.size();
    double median =
        n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
    // Nearest rank: the smallest time at least 90% of the runs do not exceed.
    double p90 = times[(9 * n + 9) / 10 - 1];
    printf("time: median %.3f ms, min %.3f ms, p90 %.3f ms, max %.3f ms over "
           "%zu runs (device %s)\n",
           median, times.front(), p90, times.back(), n, options.device.c_str());
    fflush(stdout);
  }
  if (options.emuStats) {
    const char *text = nullptr;
    if (!check(meld_session_emu_stats(h.session, &text)))
      return false;
    fputs(text, stdout);
    fflush(stdout);
  }
  if (!createDirectories(options.outputDir))
    return false;
  for (size_t i = 0; i < numOutputs; ++i) {
    meld_tensor_info info;
    const void *data;
    if (!check(meld_session_get_output(h.session, i, &info, &data)))
      return false;
    std::string path = options.outputDir + "/" + outputFiles[i] + ".npy";
    std::vector<int64_t> shape(info.shape, info.shape + info.rank);
    std::string error;
    if (!writeNpy(path, info.dtype, shape, data, info.num_bytes, error))
      return fail(error);
    if (!options.quiet)
      printf("wrote %s (%s%s)\n", path.c_str(), meld_dtype_name(info.dtype),
             formatShape(info.shape, info.rank).c_str());
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  try {
    Options options;
    if (parseOptions(argc, argv, options) && (options.done || run(options)))
      return 0;
  } catch (const std::bad_alloc &) {
    errorMessage = "out of memory";
  }
  fflush(stdout);
  fprintf(stderr, "meld-run: error: %s\n", errorMessage.c_str());
  return 1;
}
