//===- Support.h - Errors and small helpers of the runtime ------*- C++ -*-===//
//
// Internal to libmeld_runtime: the thread-local error message behind
// meld_last_error(), dtype helpers and formatting of shapes.
//
//===----------------------------------------------------------------------===//

#ifndef MELD_RUNTIME_LIB_SUPPORT_H
#define MELD_RUNTIME_LIB_SUPPORT_H

#include "meld/runtime.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace meld {
namespace rt {

/// Frees memory from malloc (std::unique_ptr<T, FreeDeleter>): the runtime
/// allocates what an artifact or a caller sizes with malloc and checks the
/// result, so that a failure is an error naming the buffer, never an
/// exception or an abort.
struct FreeDeleter {
  void operator()(void *p) const { free(p); }
};

/// Records `message` (made one line) as the calling thread's last error and
/// returns `code`, so that failures read `return setError(code, "...")`.
meld_status setError(meld_status code, std::string message);

/// Clears the calling thread's last error; every API entry point starts so.
void clearError();

/// The calling thread's last error message.
const char *lastError();

/// Size in bytes of one element, 0 for an unknown dtype.
size_t dtypeSize(uint32_t dtype);

/// Name of a dtype ("f32"), "?" for an unknown one.
const char *dtypeName(uint32_t dtype);

/// Formats a shape as "[2,3]" ("[]" for a scalar).
std::string formatShape(const int64_t *shape, size_t rank);
inline std::string formatShape(const std::vector<int64_t> &shape) {
  return formatShape(shape.data(), shape.size());
}

/// Multiplies a and b into `result`; returns false on unsigned overflow.
inline bool mulOverflow(uint64_t a, uint64_t b, uint64_t &result) {
  return __builtin_mul_overflow(a, b, &result);
}

/// Returns true if [offset, offset + size) lies within [0, limit).
inline bool rangeWithin(uint64_t offset, uint64_t size, uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

/// Opens `path` for reading if it is a regular file. A FIFO, device,
/// directory or socket is refused, and a FIFO without a writer does not
/// block the open (O_NONBLOCK). On success returns the descriptor (the
/// caller closes it) and sets `size`; on failure returns -1 with `error` set
/// to "cannot open 'PATH': WHY" or "'PATH' is a FIFO, not a regular file",
/// `what` (e.g. "weights ") written before the quoted path.
int openRegularFile(const std::string &path, const std::string &what,
                    uint64_t &size, std::string &error);

/// Quotes each name ('a', 'b') for messages listing valid names.
std::string quoteList(const std::vector<std::string> &names);

} // namespace rt
} // namespace meld

#endif // MELD_RUNTIME_LIB_SUPPORT_H
