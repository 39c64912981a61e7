/*===- meld/runtime.hpp - C++ conveniences over the runtime's C API -------===*\
|*                                                                            *|
|* Header-only helpers for C++ callers of runtime.h (meld-run, the compiler's *|
|* constant evaluator); the library itself exports only the C API.            *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef MELD_RUNTIME_HPP
#define MELD_RUNTIME_HPP

#include "meld/runtime.h"

namespace meld {

/// A model and a session of it, freed (the session first) when the object
/// goes out of scope. Fill them with meld_model_load and meld_session_create.
struct RuntimeHandles {
  meld_model *model = nullptr;
  meld_session *session = nullptr;

  RuntimeHandles() = default;
  RuntimeHandles(const RuntimeHandles &) = delete;
  RuntimeHandles &operator=(const RuntimeHandles &) = delete;
  ~RuntimeHandles() {
    meld_session_free(session);
    meld_model_free(model);
  }
};

} // namespace meld

#endif // MELD_RUNTIME_HPP
