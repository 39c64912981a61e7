//===- Runtime.cpp - The C API of libmeld_runtime -------------------------===//
//
// Every entry point clears the thread's error, validates its arguments, and
// runs inside `guard`, so no C++ exception crosses the C boundary.
//
//===----------------------------------------------------------------------===//

#include "meld/runtime.h"

#include "Backend.h"
#include "CudaBackend.h"
#include "EmuBackend.h"
#include "Model.h"
#include "Support.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <vector>

using namespace meld::rt;

struct meld_model {
  std::unique_ptr<Model> model;
  /// Live sessions: meld_model_load_weights is refused while any exists.
  std::atomic<int> numSessions{0};
};

struct meld_session {
  meld_model *owner;
  std::unique_ptr<Backend> backend;
  /// One host copy per model input (allocated with malloc when first set,
  /// so that a failure is an error, not an exception); `bound[i]` says
  /// whether it was set.
  std::vector<std::unique_ptr<uint8_t, FreeDeleter>> inputData;
  std::vector<bool> bound;
  bool hasOutputs = false;
};

namespace {

/// Runs `fn`, turning any exception into a status and a message.
template <typename Fn> meld_status guard(Fn &&fn) {
  clearError();
  try {
    return fn();
  } catch (const std::bad_alloc &) {
    return setError(MELD_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return setError(MELD_ERROR_INTERNAL,
                    std::string("internal error: ") + e.what());
  } catch (...) {
    return setError(MELD_ERROR_INTERNAL, "internal error: unknown exception");
  }
}

meld_status nullArgument(const char *function, const char *argument) {
  return setError(MELD_ERROR_INVALID_ARGUMENT,
                  std::string(function) + ": '" + argument + "' is NULL");
}

void fillInfo(const TensorSignature &sig, meld_tensor_info *info) {
  info->name = sig.name.c_str();
  info->dtype = sig.dtype;
  info->rank = static_cast<int32_t>(sig.shape.size());
  info->shape = sig.shape.data();
  info->num_bytes = sig.numBytes;
}

meld_status describe(const meld_model *model, size_t index,
                     meld_tensor_info *info, bool isInput,
                     const char *function) {
  if (!model)
    return nullArgument(function, "model");
  if (!info)
    return nullArgument(function, "info");
  const auto &sigs = isInput ? model->model->inputs : model->model->outputs;
  if (index >= sigs.size())
    return setError(MELD_ERROR_INVALID_ARGUMENT,
                    std::string(function) + ": index " + std::to_string(index) +
                        " out of range: the model has " +
                        std::to_string(sigs.size()) +
                        (isInput ? " inputs" : " outputs"));
  fillInfo(sigs[index], info);
  return MELD_OK;
}

meld_status find(const meld_model *model, const char *name, size_t *index,
                 bool isInput, const char *function) {
  if (!model)
    return nullArgument(function, "model");
  if (!name)
    return nullArgument(function, "name");
  if (!index)
    return nullArgument(function, "index");
  const auto &sigs = isInput ? model->model->inputs : model->model->outputs;
  std::vector<std::string> names;
  for (size_t i = 0; i < sigs.size(); ++i) {
    if (sigs[i].name == name) {
      *index = i;
      return MELD_OK;
    }
    names.push_back(sigs[i].name);
  }
  const char *kind = isInput ? "input" : "output";
  return setError(MELD_ERROR_INVALID_ARGUMENT,
                  std::string("unknown ") + kind + " '" + name +
                      "'; the model's " + kind + "s are: " + quoteList(names));
}

meld_status getOutput(meld_session *session, size_t index,
                      meld_tensor_info *info, const void **data) {
  const auto &outputs = session->owner->model->outputs;
  if (index >= outputs.size())
    return setError(MELD_ERROR_INVALID_ARGUMENT,
                    "meld_session_get_output: index " + std::to_string(index) +
                        " out of range: the model has " +
                        std::to_string(outputs.size()) + " outputs");
  if (!session->hasOutputs)
    return setError(MELD_ERROR_FAILED_PRECONDITION,
                    "output '" + outputs[index].name +
                        "' is not available: the session has not run");
  if (info)
    fillInfo(outputs[index], info);
  *data = session->backend->outputData(index);
  return MELD_OK;
}

} // namespace

extern "C" {

const char *meld_last_error(void) { return lastError(); }

const char *meld_status_name(meld_status status) {
  switch (status) {
  case MELD_OK:
    return "ok";
  case MELD_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case MELD_ERROR_IO:
    return "i/o error";
  case MELD_ERROR_INVALID_ARTIFACT:
    return "invalid artifact";
  case MELD_ERROR_UNSUPPORTED:
    return "unsupported";
  case MELD_ERROR_FAILED_PRECONDITION:
    return "failed precondition";
  case MELD_ERROR_OUT_OF_MEMORY:
    return "out of memory";
  case MELD_ERROR_INTERNAL:
    return "internal error";
  case MELD_ERROR_DEVICE:
    return "device error";
  case MELD_ERROR_DATA:
    return "fault in the data";
  }
  return "unknown status";
}

const char *meld_dtype_name(meld_dtype dtype) { return dtypeName(dtype); }

size_t meld_dtype_size(meld_dtype dtype) { return dtypeSize(dtype); }

const char *meld_runtime_version(void) { return "meld-runtime 0.1 (api 5)"; }

meld_status meld_model_load(const char *path, meld_model **model) {
  return guard([&]() -> meld_status {
    if (!model)
      return nullArgument("meld_model_load", "model");
    *model = nullptr;
    if (!path)
      return nullArgument("meld_model_load", "path");
    std::unique_ptr<Model> loaded;
    if (meld_status s = Model::load(path, loaded))
      return s;
    auto *m = new (std::nothrow) meld_model;
    if (!m)
      return setError(MELD_ERROR_OUT_OF_MEMORY,
                      std::string("cannot allocate the model of '") + path +
                          "'");
    m->model = std::move(loaded);
    *model = m;
    return MELD_OK;
  });
}

void meld_model_free(meld_model *model) { delete model; }

int meld_model_has_external_weights(const meld_model *model) {
  return model && model->model->weightsExternal ? 1 : 0;
}

meld_status meld_model_load_weights(meld_model *model, const char *path) {
  return guard([&]() -> meld_status {
    if (!model)
      return nullArgument("meld_model_load_weights", "model");
    if (!path)
      return nullArgument("meld_model_load_weights", "path");
    if (model->numSessions.load() != 0)
      return setError(MELD_ERROR_FAILED_PRECONDITION,
                      "meld_model_load_weights: the model has sessions; load "
                      "its weights before creating any");
    return model->model->loadExternalWeights(path);
  });
}

size_t meld_model_num_inputs(const meld_model *model) {
  return model ? model->model->inputs.size() : 0;
}

size_t meld_model_num_outputs(const meld_model *model) {
  return model ? model->model->outputs.size() : 0;
}

meld_status meld_model_input_info(const meld_model *model, size_t index,
                                  meld_tensor_info *info) {
  return guard([&] {
    return describe(model, index, info, true, "meld_model_input_info");
  });
}

meld_status meld_model_output_info(const meld_model *model, size_t index,
                                   meld_tensor_info *info) {
  return guard([&] {
    return describe(model, index, info, false, "meld_model_output_info");
  });
}

meld_status meld_model_find_input(const meld_model *model, const char *name,
                                  size_t *index) {
  return guard(
      [&] { return find(model, name, index, true, "meld_model_find_input"); });
}

meld_status meld_model_find_output(const meld_model *model, const char *name,
                                   size_t *index) {
  return guard([&] {
    return find(model, name, index, false, "meld_model_find_output");
  });
}

meld_status meld_session_create(meld_model *model, const char *device,
                                const meld_session_options *options,
                                meld_session **session) {
  return guard([&]() -> meld_status {
    if (!session)
      return nullArgument("meld_session_create", "session");
    *session = nullptr;
    if (!model)
      return nullArgument("meld_session_create", "model");
    if (!device)
      return nullArgument("meld_session_create", "device");
    int32_t numThreads = 0;
    uint64_t emuSeed = 0;
    bool emuAccessStats = false;
    if (options) {
      if (options->struct_size < sizeof(uint32_t))
        return setError(MELD_ERROR_INVALID_ARGUMENT,
                        "meld_session_create: options->struct_size is not "
                        "set");
      if (options->struct_size >=
          offsetof(meld_session_options, num_threads) + sizeof(int32_t))
        numThreads = options->num_threads;
      if (options->struct_size >=
          offsetof(meld_session_options, emu_seed) + sizeof(uint64_t))
        emuSeed = options->emu_seed;
      if (options->struct_size >=
          offsetof(meld_session_options, emu_access_stats) + sizeof(int32_t))
        emuAccessStats = options->emu_access_stats != 0;
    }
    if (numThreads < 0 || numThreads > 4096)
      return setError(MELD_ERROR_INVALID_ARGUMENT,
                      "meld_session_create: num_threads must be in [0, 4096], "
                      "got " +
                          std::to_string(numThreads));
    std::string dev = device;
    if (!model->model->hasWeights())
      return setError(MELD_ERROR_FAILED_PRECONDITION,
                      "'" + model->model->path +
                          "' keeps its weights in an external file: load "
                          "them first (meld_model_load_weights, meld-run "
                          "--weights FILE.safetensors)");
    std::unique_ptr<Backend> backend;
    int cudaOrdinal = -1;
    if (dev == "cuda") {
      cudaOrdinal = 0;
    } else if (dev.size() > 5 && dev.compare(0, 5, "cuda:") == 0 &&
               dev.size() <= 9 &&
               dev.find_first_not_of("0123456789", 5) == std::string::npos) {
      cudaOrdinal = atoi(dev.c_str() + 5);
    }
    if (dev == "cpu") {
      if (meld_status s = createCpuBackend(
              *model->model, static_cast<unsigned>(numThreads), backend))
        return s;
    } else if (cudaOrdinal >= 0) {
      if (meld_status s = createCudaBackend(*model->model, cudaOrdinal,
                                            backend))
        return s;
    } else if (dev == "emu") {
      if (meld_status s =
              createEmuBackend(*model->model, emuSeed, emuAccessStats,
                               static_cast<unsigned>(numThreads), backend))
        return s;
    } else {
      return setError(MELD_ERROR_INVALID_ARGUMENT,
                      "unknown device '" + dev +
                          "'; devices are 'cpu', 'cuda' and 'emu'");
    }
    auto *s = new (std::nothrow) meld_session;
    if (!s)
      return setError(MELD_ERROR_OUT_OF_MEMORY, "cannot allocate a session");
    s->owner = model;
    s->backend = std::move(backend);
    s->inputData.resize(model->model->inputs.size());
    s->bound.assign(model->model->inputs.size(), false);
    ++model->numSessions;
    *session = s;
    return MELD_OK;
  });
}

void meld_session_free(meld_session *session) {
  if (!session)
    return;
  --session->owner->numSessions;
  delete session;
}

meld_status meld_session_set_input(meld_session *session, const char *name,
                                   meld_dtype dtype, int32_t rank,
                                   const int64_t *shape, const void *data,
                                   uint64_t num_bytes) {
  return guard([&]() -> meld_status {
    const char *fn = "meld_session_set_input";
    if (!session)
      return nullArgument(fn, "session");
    size_t index;
    if (meld_status s = find(session->owner, name, &index, true, fn))
      return s;
    const TensorSignature &sig = session->owner->model->inputs[index];
    std::string what = "input '" + sig.name + "'";
    if (dtype != sig.dtype)
      return setError(MELD_ERROR_INVALID_ARGUMENT,
                      what + ": expected dtype " + dtypeName(sig.dtype) +
                          ", got " + dtypeName(dtype));
    if (rank < 0 || (rank > 0 && !shape))
      return setError(MELD_ERROR_INVALID_ARGUMENT, what + ": invalid rank " +
                                                       std::to_string(rank) +
                                                       " or NULL shape");
    bool sameShape = static_cast<size_t>(rank) == sig.shape.size() &&
                     (rank == 0 || memcmp(shape, sig.shape.data(),
                                          rank * sizeof(int64_t)) == 0);
    if (!sameShape)
      return setError(MELD_ERROR_INVALID_ARGUMENT,
                      what + ": expected shape " + formatShape(sig.shape) +
                          ", got " +
                          formatShape(shape, static_cast<size_t>(rank)));
    if (num_bytes != sig.numBytes)
      return setError(MELD_ERROR_INVALID_ARGUMENT,
                      what + ": expected " + std::to_string(sig.numBytes) +
                          " bytes of data, got " + std::to_string(num_bytes));
    if (!data && num_bytes)
      return nullArgument(fn, "data");
    auto &copy = session->inputData[index];
    if (!copy) {
      copy.reset(static_cast<uint8_t *>(malloc(num_bytes ? num_bytes : 1)));
      if (!copy)
        return setError(MELD_ERROR_OUT_OF_MEMORY,
                        what + ": cannot allocate " +
                            std::to_string(num_bytes) +
                            " bytes for its copy");
    }
    if (num_bytes)
      memcpy(copy.get(), data, num_bytes);
    session->bound[index] = true;
    return MELD_OK;
  });
}

} // extern "C"

namespace {

/// meld_session_run and meld_session_run_timed: runs `session` once, and
/// stores the time it took in `*milliseconds` when that is not null.
meld_status runSession(meld_session *session, double *milliseconds,
                       const char *function) {
  return guard([&]() -> meld_status {
    if (!session)
      return nullArgument(function, "session");
    const auto &inputs = session->owner->model->inputs;
    std::vector<std::string> missing;
    std::vector<const void *> data;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!session->bound[i])
        missing.push_back(inputs[i].name);
      data.push_back(session->inputData[i].get());
    }
    if (!missing.empty())
      return setError(MELD_ERROR_FAILED_PRECONDITION,
                      std::string("cannot run: input") +
                          (missing.size() > 1 ? "s " : " ") +
                          quoteList(missing) +
                          (missing.size() > 1 ? " are" : " is") + " not bound");
    session->hasOutputs = false;
    if (milliseconds) {
      if (meld_status s = session->backend->runTimed(data, *milliseconds))
        return s;
    } else if (meld_status s = session->backend->run(data)) {
      return s;
    }
    session->hasOutputs = true;
    return MELD_OK;
  });
}

} // namespace

extern "C" {

meld_status meld_session_run(meld_session *session) {
  return runSession(session, nullptr, "meld_session_run");
}

meld_status meld_session_run_timed(meld_session *session,
                                   double *milliseconds) {
  if (!milliseconds)
    return guard([] {
      return nullArgument("meld_session_run_timed", "milliseconds");
    });
  *milliseconds = 0;
  return runSession(session, milliseconds, "meld_session_run_timed");
}

meld_status meld_session_emu_stats(meld_session *session, const char **text) {
  return guard([&]() -> meld_status {
    if (!session)
      return nullArgument("meld_session_emu_stats", "session");
    if (!text)
      return nullArgument("meld_session_emu_stats", "text");
    *text = session->backend->accessStats();
    if (!*text)
      return setError(MELD_ERROR_FAILED_PRECONDITION,
                      "meld_session_emu_stats: the session counts no memory "
                      "statistics (device 'emu' with emu_access_stats)");
    return MELD_OK;
  });
}

meld_status meld_session_get_output(meld_session *session, size_t index,
                                    meld_tensor_info *info, const void **data) {
  return guard([&]() -> meld_status {
    if (!session)
      return nullArgument("meld_session_get_output", "session");
    if (!data)
      return nullArgument("meld_session_get_output", "data");
    *data = nullptr;
    return getOutput(session, index, info, data);
  });
}

meld_status meld_session_get_output_by_name(meld_session *session,
                                            const char *name,
                                            meld_tensor_info *info,
                                            const void **data) {
  return guard([&]() -> meld_status {
    const char *fn = "meld_session_get_output_by_name";
    if (!session)
      return nullArgument(fn, "session");
    if (!data)
      return nullArgument(fn, "data");
    *data = nullptr;
    size_t index;
    if (meld_status s = find(session->owner, name, &index, false, fn))
      return s;
    return getOutput(session, index, info, data);
  });
}

} // extern "C"
