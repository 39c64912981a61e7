//===- MeldModule.cpp - The meld._meld extension --------------------------===//
//
// Thin nanobind wrappers over Meld's two C APIs, the compiler's
// (meld-c/Compiler.h) and the runtime's (meld/runtime.h), as MLIR's Python
// bindings sit on MLIR's C API. The Python API (python/meld/__init__.py) is
// written on top: it takes Python's types, names dtypes and raises its own
// exceptions, whose classes it hands in with `set_error_classes`.
//
// Compiles and runs release the GIL. A failed runtime call raises the
// runtime error class with (status name, message); nothing here prints.
//
//===----------------------------------------------------------------------===//

#include "meld-c/Compiler.h"
#include "meld/runtime.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nb = nanobind;

namespace {

/// The class `meld.RuntimeError`, set by the package on import.
nb::object runtimeErrorClass;

/// Raises `meld.RuntimeError(status name, message)` for `status`.
[[noreturn]] void raiseRuntimeError(meld_status status) {
  nb::object error =
      runtimeErrorClass(meld_status_name(status), meld_last_error());
  PyErr_SetObject(runtimeErrorClass.ptr(), error.ptr());
  throw nb::python_error();
}

void check(meld_status status) {
  if (status != MELD_OK)
    raiseRuntimeError(status);
}

/// Compile options (`meld_compile_options`) from the package's values
/// (validated there: names and types; values are the compiler's to check).
class CompileOptions {
public:
  CompileOptions(
      std::optional<std::string> targets, std::optional<std::string> cudaPath,
      std::optional<std::string> linker, bool externalWeights,
      std::optional<bool> emulator, int64_t numWarps,
      const std::string &precision, std::optional<std::string> hostCpus,
      bool report,
      const std::vector<std::pair<std::string, std::string>> &consts,
      const std::vector<std::pair<std::string, std::vector<int64_t>>> &shapes)
      : options(meld_compile_options_create()) {
    if (!options)
      throw std::bad_alloc();
    if (targets)
      meld_compile_options_set_targets(options, targets->c_str());
    if (cudaPath)
      meld_compile_options_set_cuda_path(options, cudaPath->c_str());
    if (linker)
      meld_compile_options_set_linker(options, linker->c_str());
    meld_compile_options_set_external_weights(options, externalWeights);
    if (emulator)
      meld_compile_options_set_emulator(options, *emulator);
    meld_compile_options_set_num_warps(options, numWarps);
    meld_compile_options_set_precision(options, precision.c_str());
    if (hostCpus)
      meld_compile_options_set_host_cpus(options, hostCpus->c_str());
    meld_compile_options_set_report(options, report);
    for (const auto &[name, file] : consts)
      meld_compile_options_add_const(options, name.c_str(), file.c_str());
    for (const auto &[name, dims] : shapes)
      meld_compile_options_set_shape(options, name.c_str(), dims.data(),
                                     dims.size());
  }
  ~CompileOptions() { meld_compile_options_free(options); }
  CompileOptions(const CompileOptions &) = delete;
  CompileOptions &operator=(const CompileOptions &) = delete;

  const meld_compile_options *get() const { return options; }

private:
  meld_compile_options *options;
};

/// (artifact bytes or None, [(severity, node, op type, message), ...],
/// report JSON or "") of `result`, which it frees.
nb::tuple takeResult(meld_compile_result *result) {
  if (!result)
    throw std::bad_alloc();
  std::unique_ptr<meld_compile_result, void (*)(meld_compile_result *)> owned(
      result, meld_compile_result_free);
  nb::list diagnostics;
  for (size_t i = 0, e = meld_compile_result_num_diagnostics(result); i < e;
       ++i) {
    meld_diagnostic d = meld_compile_result_diagnostic(result, i);
    diagnostics.append(nb::make_tuple(static_cast<int>(d.severity), d.node,
                                      d.op_type, d.message));
  }
  nb::object artifact = nb::none();
  size_t size = 0;
  if (const void *data = meld_compile_result_artifact(result, &size))
    artifact = nb::bytes(static_cast<const char *>(data), size);
  return nb::make_tuple(artifact, diagnostics,
                        std::string(meld_compile_result_report(result)));
}

/// (name, dtype name, shape) of a model input or output.
nb::tuple describe(const meld_tensor_info &info) {
  nb::list shape;
  for (int32_t d = 0; d < info.rank; ++d)
    shape.append(info.shape[d]);
  return nb::make_tuple(info.name, meld_dtype_name(info.dtype),
                        nb::tuple(shape));
}

/// The runtime's dtype of `dtype` (a DLPack dtype), or none.
std::optional<meld_dtype> toMeldDType(nb::dlpack::dtype dtype) {
  using Code = nb::dlpack::dtype_code;
  struct Entry {
    Code code;
    uint8_t bits;
    meld_dtype meld;
  };
  static constexpr Entry kTable[] = {
      {Code::Float, 32, MELD_DTYPE_F32}, {Code::Float, 16, MELD_DTYPE_F16},
      {Code::Float, 64, MELD_DTYPE_F64}, {Code::Bfloat, 16, MELD_DTYPE_BF16},
      {Code::Int, 64, MELD_DTYPE_I64},   {Code::Int, 32, MELD_DTYPE_I32},
      {Code::Int, 8, MELD_DTYPE_I8},     {Code::UInt, 8, MELD_DTYPE_U8},
      {Code::Bool, 8, MELD_DTYPE_BOOL},
  };
  if (dtype.lanes != 1)
    return std::nullopt;
  for (const Entry &entry : kTable)
    if (dtype.code == static_cast<uint8_t>(entry.code) &&
        dtype.bits == entry.bits)
      return entry.meld;
  return std::nullopt;
}

/// A loaded artifact (`meld_model`).
class Model {
public:
  explicit Model(const std::string &path) {
    check(meld_model_load(path.c_str(), &model));
  }
  ~Model() { meld_model_free(model); }
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;

  nb::list inputs() const {
    return describeAll(meld_model_num_inputs, meld_model_input_info);
  }
  nb::list outputs() const {
    return describeAll(meld_model_num_outputs, meld_model_output_info);
  }
  bool hasExternalWeights() const {
    return meld_model_has_external_weights(model) != 0;
  }
  void loadWeights(const std::string &path) {
    check(meld_model_load_weights(model, path.c_str()));
  }
  meld_model *get() { return model; }

private:
  /// (name, dtype name, shape) of each input or output (`count` and `info`
  /// of the runtime's API say which).
  nb::list describeAll(size_t (*count)(const meld_model *),
                       meld_status (*info)(const meld_model *, size_t,
                                           meld_tensor_info *)) const {
    nb::list result;
    for (size_t i = 0, e = count(model); i < e; ++i) {
      meld_tensor_info tensor;
      check(info(model, i, &tensor));
      result.append(describe(tensor));
    }
    return result;
  }

  meld_model *model = nullptr;
};

/// A model on a device (`meld_session`). Holds its model alive.
class Session {
public:
  Session(nb::object modelObject, const std::string &device, int32_t numThreads,
          uint64_t emuSeed)
      : modelObject(std::move(modelObject)) {
    Model &model = nb::cast<Model &>(this->modelObject);
    meld_session_options options;
    std::memset(&options, 0, sizeof(options));
    options.struct_size = sizeof(options);
    options.num_threads = numThreads;
    options.emu_seed = emuSeed;
    check(meld_session_create(model.get(), device.c_str(), &options, &session));
  }
  ~Session() { meld_session_free(session); }
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  /// Binds input `name` to a copy of `array`: a dense, C-ordered array on
  /// the host (NumPy, or any DLPack producer such as a CPU torch tensor,
  /// read in place).
  void setInput(const std::string &name,
                nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu> array) {
    std::optional<meld_dtype> dtype = toMeldDType(array.dtype());
    if (!dtype) {
      PyErr_Format(PyExc_TypeError,
                   "input '%s': arrays of this dtype are not Meld tensors "
                   "(float32/16/64, bfloat16, int64/32/8, uint8, bool)",
                   name.c_str());
      throw nb::python_error();
    }
    std::vector<int64_t> shape(array.ndim());
    for (size_t d = 0; d < array.ndim(); ++d)
      shape[d] = static_cast<int64_t>(array.shape(d));
    check(meld_session_set_input(session, name.c_str(), *dtype,
                                 static_cast<int32_t>(shape.size()),
                                 shape.data(), array.data(), array.nbytes()));
  }

  /// Runs the model; its time in milliseconds.
  double run() {
    double milliseconds = 0;
    meld_status status;
    {
      nb::gil_scoped_release release;
      status = meld_session_run_timed(session, &milliseconds);
    }
    check(status);
    return milliseconds;
  }

  /// Output `index` of the last run: (name, dtype name, shape, its bytes as
  /// a new one-dimensional uint8 NumPy array the caller views).
  nb::tuple output(size_t index) {
    meld_tensor_info info;
    const void *data;
    check(meld_session_get_output(session, index, &info, &data));
    size_t size = info.num_bytes;
    auto *copy = new uint8_t[size ? size : 1];
    std::memcpy(copy, data, size);
    nb::capsule owner(
        copy, [](void *p) noexcept { delete[] static_cast<uint8_t *>(p); });
    nb::ndarray<nb::numpy, uint8_t, nb::ndim<1>> bytes(copy, {size}, owner);
    nb::tuple described = describe(info);
    return nb::make_tuple(described[0], described[1], described[2],
                          bytes.cast());
  }

private:
  nb::object modelObject;
  meld_session *session = nullptr;
};

} // namespace

NB_MODULE(_meld, m) {
  m.doc() = "Meld's compiler and runtime C APIs (private: use `meld`).";

  m.def(
      "set_error_classes",
      [](nb::object runtimeError) { runtimeErrorClass = runtimeError; },
      "Sets the class raised for a failed runtime call.");

  nb::class_<CompileOptions>(m, "CompileOptions", "Options of a compile.")
      .def(nb::init<
               std::optional<std::string>, std::optional<std::string>,
               std::optional<std::string>, bool, std::optional<bool>, int64_t,
               const std::string &, std::optional<std::string>, bool,
               const std::vector<std::pair<std::string, std::string>> &,
               const std::vector<std::pair<std::string, std::vector<int64_t>>>
                   &>(),
           nb::arg("targets"), nb::arg("cuda_path"), nb::arg("linker"),
           nb::arg("external_weights"), nb::arg("emulator"),
           nb::arg("num_warps"), nb::arg("precision"), nb::arg("host_cpus"),
           nb::arg("report"), nb::arg("consts"), nb::arg("shapes"));

  m.def(
      "compile_file",
      [](const std::string &path, const CompileOptions &options) {
        meld_compile_result *result;
        {
          nb::gil_scoped_release release;
          result = meld_compile_file(path.c_str(), options.get());
        }
        return takeResult(result);
      },
      nb::arg("path"), nb::arg("options"),
      "Compiles the ONNX model at `path`: (artifact bytes or None, "
      "diagnostics as (severity, node, op type, message), report JSON).");

  m.def(
      "compile_buffer",
      [](nb::bytes model, const std::string &baseDir,
         const CompileOptions &options) {
        std::string bytes(model.c_str(), model.size());
        meld_compile_result *result;
        {
          nb::gil_scoped_release release;
          result = meld_compile_buffer(bytes.data(), bytes.size(),
                                       baseDir.c_str(), options.get());
        }
        return takeResult(result);
      },
      nb::arg("model"), nb::arg("base_dir"), nb::arg("options"),
      "Compiles the serialized ONNX model `model`, like compile_file.");

  m.def("runtime_version", [] { return std::string(meld_runtime_version()); });

  nb::class_<Model>(m, "Model", "A loaded artifact.")
      .def(nb::init<const std::string &>(), nb::arg("path"))
      .def("inputs", &Model::inputs)
      .def("outputs", &Model::outputs)
      .def("has_external_weights", &Model::hasExternalWeights)
      .def("load_weights", &Model::loadWeights, nb::arg("path"));

  nb::class_<Session>(m, "Session", "A model on a device.")
      .def(nb::init<nb::object, const std::string &, int32_t, uint64_t>(),
           nb::arg("model"), nb::arg("device"), nb::arg("num_threads"),
           nb::arg("emu_seed"))
      .def("set_input", &Session::setInput, nb::arg("name"), nb::arg("array"))
      .def("run", &Session::run)
      .def("output", &Session::output, nb::arg("index"));
}
