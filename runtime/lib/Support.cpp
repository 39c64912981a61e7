//===- Support.cpp - Errors and small helpers of the runtime --------------===//

#include "Support.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace meld {
namespace rt {

namespace {
/// Not a static constructor: a thread_local with a trivial initial state is
/// constructed on first use by each thread.
thread_local std::string tlsLastError;
} // namespace

meld_status setError(meld_status code, std::string message) {
  // One line, no control characters (names from a corrupted file could hold
  // any byte); UTF-8 names pass through.
  for (char &c : message) {
    if (c == '\n' || c == '\r' || c == '\t')
      c = ' ';
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  }
  while (!message.empty() && message.back() == ' ')
    message.pop_back();
  tlsLastError = std::move(message);
  return code;
}

void clearError() { tlsLastError.clear(); }

int openRegularFile(const std::string &path, const std::string &what,
                    uint64_t &size, std::string &error) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    error = "cannot open " + what + "'" + path + "': " + strerror(errno);
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    error = "cannot open " + what + "'" + path + "': " + strerror(errno);
    close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    const char *kind = S_ISDIR(st.st_mode)    ? "a directory"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "something else";
    error = what + "'" + path + "' is " + kind + ", not a regular file";
    close(fd);
    return -1;
  }
  // Reads that follow must block as usual.
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  size = static_cast<uint64_t>(st.st_size);
  return fd;
}

const char *lastError() { return tlsLastError.c_str(); }

size_t dtypeSize(uint32_t dtype) {
  switch (dtype) {
  case MELD_DTYPE_F32:
  case MELD_DTYPE_I32:
    return 4;
  case MELD_DTYPE_F16:
  case MELD_DTYPE_BF16:
    return 2;
  case MELD_DTYPE_F64:
  case MELD_DTYPE_I64:
    return 8;
  case MELD_DTYPE_I8:
  case MELD_DTYPE_U8:
  case MELD_DTYPE_BOOL:
    return 1;
  default:
    return 0;
  }
}

const char *dtypeName(uint32_t dtype) {
  switch (dtype) {
  case MELD_DTYPE_F32:
    return "f32";
  case MELD_DTYPE_F16:
    return "f16";
  case MELD_DTYPE_BF16:
    return "bf16";
  case MELD_DTYPE_F64:
    return "f64";
  case MELD_DTYPE_I64:
    return "i64";
  case MELD_DTYPE_I32:
    return "i32";
  case MELD_DTYPE_I8:
    return "i8";
  case MELD_DTYPE_U8:
    return "u8";
  case MELD_DTYPE_BOOL:
    return "bool";
  default:
    return "?";
  }
}

std::string formatShape(const int64_t *shape, size_t rank) {
  std::string result = "[";
  for (size_t i = 0; i < rank; ++i) {
    if (i)
      result += ",";
    result += std::to_string(shape[i]);
  }
  return result + "]";
}

std::string quoteList(const std::vector<std::string> &names) {
  std::string result;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i)
      result += ", ";
    result += "'" + names[i] + "'";
  }
  return result.empty() ? "(none)" : result;
}

} // namespace rt
} // namespace meld
