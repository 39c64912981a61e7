//===- TensorFile.cpp - Tensors from and to files for meld-run ------------===//

#include "TensorFile.h"

#include "Support.h"

// onnx.proto compiled by this build's protoc (lite runtime, linked
// statically), not the system's libonnx headers.
#include "onnx.pb.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace meld {

namespace {

size_t elementSize(meld_dtype dtype) { return meld_dtype_size(dtype); }

/// Multiplies the dimensions; returns false on a negative dimension or on
/// overflow of the byte count.
bool countBytes(const std::vector<int64_t> &shape, meld_dtype dtype,
                uint64_t &numElements, uint64_t &numBytes) {
  numElements = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(numElements, static_cast<uint64_t>(d),
                                        &numElements))
      return false;
  }
  return !__builtin_mul_overflow(numElements, elementSize(dtype), &numBytes);
}

/// Reads the regular file `path` whole (a FIFO, device or directory is
/// refused before anything is read), allocating no more than its size.
bool readWholeFile(const std::string &path, std::vector<uint8_t> &bytes,
                   std::string &error) {
  uint64_t size = 0;
  int fd = rt::openRegularFile(path, "", size, error);
  if (fd < 0)
    return false;
  bool ok = true;
  try {
    bytes.resize(size);
  } catch (const std::exception &) {
    error = "cannot allocate " + std::to_string(size) + " bytes to read '" +
            path + "'";
    ok = false;
  }
  uint64_t done = 0;
  while (ok && done < size) {
    ssize_t n = read(fd, bytes.data() + done,
                     std::min<uint64_t>(size - done, uint64_t(1) << 30));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      error = "cannot read '" + path + "': " +
              (n < 0 ? strerror(errno) : "the file shrank while being read");
      ok = false;
    }
    done += n > 0 ? static_cast<uint64_t>(n) : 0;
  }
  close(fd);
  return ok;
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

/// Parses the Python dict literal of a .npy header, e.g.
///   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class NpyHeaderParser {
public:
  explicit NpyHeaderParser(const std::string &text) : text(text) {}

  bool parse(std::string &descr, bool &fortranOrder,
             std::vector<int64_t> &shape, std::string &error) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    skipSpace();
    if (!consume('{'))
      return fail("header is not a dict", error);
    for (;;) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (!parseString(key))
        return fail("bad key in header", error);
      skipSpace();
      if (!consume(':'))
        return fail("expected ':' in header", error);
      skipSpace();
      if (key == "descr") {
        if (!parseString(descr))
          return fail("'descr' is not a string", error);
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (consumeWord("True"))
          fortranOrder = true;
        else if (consumeWord("False"))
          fortranOrder = false;
        else
          return fail("'fortran_order' is not True or False", error);
        haveOrder = true;
      } else if (key == "shape") {
        if (!parseShape(shape))
          return fail("'shape' is not a tuple of integers", error);
        haveShape = true;
      } else {
        return fail("unexpected key '" + key + "' in header", error);
      }
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (consume('}'))
        break;
      return fail("expected ',' or '}' in header", error);
    }
    if (!haveDescr || !haveOrder || !haveShape)
      return fail("header lacks 'descr', 'fortran_order' or 'shape'", error);
    return true;
  }

private:
  bool fail(const std::string &why, std::string &error) {
    error = why;
    return false;
  }
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }
  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool consumeWord(const char *word) {
    size_t n = strlen(word);
    if (text.compare(pos, n, word) != 0)
      return false;
    pos += n;
    return true;
  }
  bool parseString(std::string &out) {
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return false;
    char quote = text[pos++];
    size_t end = text.find(quote, pos);
    if (end == std::string::npos)
      return false;
    out = text.substr(pos, end - pos);
    pos = end + 1;
    return true;
  }
  bool parseShape(std::vector<int64_t> &shape) {
    shape.clear();
    if (!consume('('))
      return false;
    for (;;) {
      skipSpace();
      if (consume(')'))
        return true;
      if (pos >= text.size() || text[pos] < '0' || text[pos] > '9')
        return false;
      int64_t value = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (__builtin_mul_overflow(value, 10, &value) ||
            __builtin_add_overflow(value, text[pos] - '0', &value))
          return false;
        ++pos;
      }
      // Python 2 era files may write long integers as 3L.
      consume('L');
      shape.push_back(value);
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (consume(')'))
        return true;
      return false;
    }
  }

  const std::string &text;
  size_t pos = 0;
};

/// Maps a NumPy dtype descriptor to a meld dtype.
bool dtypeFromDescr(const std::string &descr, meld_dtype &dtype,
                    std::string &error) {
  if (descr.size() < 2) {
    error = "unsupported dtype '" + descr + "'";
    return false;
  }
  char order = descr[0];
  std::string kind = descr.substr(1);
  if (order == '>' && kind != "i1" && kind != "u1" && kind != "b1") {
    error = "big-endian dtype '" + descr + "' is not supported";
    return false;
  }
  if (order != '<' && order != '|' && order != '=' && order != '>') {
    error = "unsupported dtype '" + descr + "'";
    return false;
  }
  static const struct {
    const char *kind;
    meld_dtype dtype;
  } table[] = {{"f4", MELD_DTYPE_F32}, {"f8", MELD_DTYPE_F64},
               {"f2", MELD_DTYPE_F16}, {"i8", MELD_DTYPE_I64},
               {"i4", MELD_DTYPE_I32}, {"i1", MELD_DTYPE_I8},
               {"u1", MELD_DTYPE_U8},  {"b1", MELD_DTYPE_BOOL}};
  for (const auto &entry : table) {
    if (kind == entry.kind) {
      dtype = entry.dtype;
      return true;
    }
  }
  error = "unsupported dtype '" + descr +
          "' (supported: f4, f8, f2, i8, i4, i1, u1, b1)";
  return false;
}

const char *descrOf(meld_dtype dtype) {
  switch (dtype) {
  case MELD_DTYPE_F32:
  case MELD_DTYPE_BF16: // Written widened to f32.
    return "<f4";
  case MELD_DTYPE_F16:
    return "<f2";
  case MELD_DTYPE_F64:
    return "<f8";
  case MELD_DTYPE_I64:
    return "<i8";
  case MELD_DTYPE_I32:
    return "<i4";
  case MELD_DTYPE_I8:
    return "|i1";
  case MELD_DTYPE_U8:
    return "|u1";
  case MELD_DTYPE_BOOL:
    return "|b1";
  }
  return nullptr;
}

//===----------------------------------------------------------------------===//
// ONNX TensorProto
//===----------------------------------------------------------------------===//

bool dtypeFromOnnx(int32_t type, meld_dtype &dtype, std::string &error) {
  switch (type) {
  case onnx::TensorProto::FLOAT:
    dtype = MELD_DTYPE_F32;
    return true;
  case onnx::TensorProto::UINT8:
    dtype = MELD_DTYPE_U8;
    return true;
  case onnx::TensorProto::INT8:
    dtype = MELD_DTYPE_I8;
    return true;
  case onnx::TensorProto::INT32:
    dtype = MELD_DTYPE_I32;
    return true;
  case onnx::TensorProto::INT64:
    dtype = MELD_DTYPE_I64;
    return true;
  case onnx::TensorProto::BOOL:
    dtype = MELD_DTYPE_BOOL;
    return true;
  case onnx::TensorProto::FLOAT16:
    dtype = MELD_DTYPE_F16;
    return true;
  case onnx::TensorProto::DOUBLE:
    dtype = MELD_DTYPE_F64;
    return true;
  case onnx::TensorProto::BFLOAT16:
    dtype = MELD_DTYPE_BF16;
    return true;
  default:
    break;
  }
  const std::string &name =
      onnx::TensorProto::DataType_IsValid(type)
          ? onnx::TensorProto::DataType_Name(
                static_cast<onnx::TensorProto::DataType>(type))
          : std::string("unknown");
  error =
      "unsupported ONNX data type " + std::to_string(type) + " (" + name + ")";
  return false;
}

/// Copies a repeated typed field into `data`, narrowing each value to the
/// element size (the int32_data field holds int8/uint8/bool and the bits of
/// float16/bfloat16 in 32-bit slots).
template <typename T, typename Field>
bool copyTyped(const Field &field, uint64_t numElements, size_t elemSize,
               std::vector<uint8_t> &data, const char *fieldName,
               std::string &error) {
  if (static_cast<uint64_t>(field.size()) != numElements) {
    error = std::string("has ") + std::to_string(field.size()) + " values in " +
            fieldName + ", expected " + std::to_string(numElements);
    return false;
  }
  data.resize(numElements * elemSize);
  for (int i = 0; i < field.size(); ++i) {
    T value = field.Get(i);
    // Little-endian: the low bytes of the value come first.
    memcpy(data.data() + static_cast<size_t>(i) * elemSize, &value, elemSize);
  }
  return true;
}

} // namespace

bool parseNpy(const std::vector<uint8_t> &bytes, HostTensor &tensor,
              std::string &error) {
  static const char magic[] = "\x93NUMPY";
  if (bytes.size() < 10 || memcmp(bytes.data(), magic, 6) != 0) {
    error = "no .npy magic";
    return false;
  }
  uint8_t major = bytes[6];
  size_t headerLen, dataStart;
  if (major == 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    dataStart = 10 + headerLen;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) {
      error = "truncated header";
      return false;
    }
    headerLen = static_cast<size_t>(bytes[8]) | (bytes[9] << 8) |
                (bytes[10] << 16) | (static_cast<size_t>(bytes[11]) << 24);
    dataStart = 12 + headerLen;
  } else {
    error = "unsupported .npy format version " + std::to_string(major);
    return false;
  }
  if (dataStart > bytes.size()) {
    error = "truncated header";
    return false;
  }
  std::string header(reinterpret_cast<const char *>(bytes.data()) +
                         (dataStart - headerLen),
                     headerLen);
  std::string descr;
  bool fortranOrder = false;
  if (!NpyHeaderParser(header).parse(descr, fortranOrder, tensor.shape, error))
    return false;
  if (fortranOrder) {
    error = "Fortran-order arrays are not supported (save a C-order array, "
            "e.g. np.ascontiguousarray)";
    return false;
  }
  if (!dtypeFromDescr(descr, tensor.dtype, error))
    return false;
  uint64_t numElements, numBytes;
  if (!countBytes(tensor.shape, tensor.dtype, numElements, numBytes)) {
    error = "shape too large";
    return false;
  }
  uint64_t available = bytes.size() - dataStart;
  if (available != numBytes) {
    error = std::string(available < numBytes ? "truncated: " : "") + "has " +
            std::to_string(available) + " bytes of data, expected " +
            std::to_string(numBytes);
    return false;
  }
  tensor.data.assign(bytes.begin() + dataStart, bytes.end());
  return true;
}

bool parseTensorProto(const std::vector<uint8_t> &bytes, HostTensor &tensor,
                      std::string &error) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    error = "larger than 2 GiB, the protobuf limit; use .npy";
    return false;
  }
  onnx::TensorProto proto;
  if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    error = "protobuf parsing failed";
    return false;
  }
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    error = "external tensor data is not supported";
    return false;
  }
  if (proto.has_segment()) {
    error = "segmented tensors are not supported";
    return false;
  }
  if (!proto.has_data_type()) {
    error = "no data_type";
    return false;
  }
  if (!dtypeFromOnnx(proto.data_type(), tensor.dtype, error))
    return false;
  tensor.shape.assign(proto.dims().begin(), proto.dims().end());
  uint64_t numElements, numBytes;
  if (!countBytes(tensor.shape, tensor.dtype, numElements, numBytes)) {
    error = "negative or too large dimensions";
    return false;
  }
  size_t elemSize = elementSize(tensor.dtype);
  if (proto.has_raw_data()) {
    const std::string &raw = proto.raw_data();
    if (raw.size() != numBytes) {
      error = "has " + std::to_string(raw.size()) +
              " bytes of raw_data, expected " + std::to_string(numBytes);
      return false;
    }
    tensor.data.assign(raw.begin(), raw.end());
    return true;
  }
  switch (tensor.dtype) {
  case MELD_DTYPE_F32:
    return copyTyped<float>(proto.float_data(), numElements, elemSize,
                            tensor.data, "float_data", error);
  case MELD_DTYPE_F64:
    return copyTyped<double>(proto.double_data(), numElements, elemSize,
                             tensor.data, "double_data", error);
  case MELD_DTYPE_I64:
    return copyTyped<int64_t>(proto.int64_data(), numElements, elemSize,
                              tensor.data, "int64_data", error);
  default:
    return copyTyped<int32_t>(proto.int32_data(), numElements, elemSize,
                              tensor.data, "int32_data", error);
  }
}

bool readTensorFile(const std::string &path, HostTensor &tensor,
                    std::string &error) {
  std::vector<uint8_t> bytes;
  if (!readWholeFile(path, bytes, error))
    return false;
  return parseTensorFile(bytes, path, tensor, error);
}

bool parseTensorFile(const std::vector<uint8_t> &bytes, const std::string &path,
                     HostTensor &tensor, std::string &error) {
  auto endsWith = [&](const char *suffix) {
    size_t n = strlen(suffix);
    return path.size() >= n && path.compare(path.size() - n, n, suffix) == 0;
  };
  bool isNpy = endsWith(".npy") || (!endsWith(".pb") && bytes.size() >= 6 &&
                                    memcmp(bytes.data(), "\x93NUMPY", 6) == 0);
  std::string why;
  if (isNpy ? parseNpy(bytes, tensor, why)
            : parseTensorProto(bytes, tensor, why))
    return true;
  error = "'" + path + "' is not a valid " +
          (isNpy ? std::string(".npy file") : std::string("ONNX TensorProto")) +
          ": " + why;
  return false;
}

bool writeNpy(const std::string &path, meld_dtype dtype,
              const std::vector<int64_t> &shape, const void *data,
              uint64_t numBytes, std::string &error) {
  const char *descr = descrOf(dtype);
  if (!descr) {
    error = "cannot write '" + path + "': unknown dtype";
    return false;
  }
  // NumPy has no bf16: widen to f32 (exact).
  std::vector<uint8_t> widened;
  if (dtype == MELD_DTYPE_BF16) {
    const uint8_t *src = static_cast<const uint8_t *>(data);
    widened.resize(numBytes * 2);
    for (uint64_t i = 0; i < numBytes / 2; ++i) {
      uint32_t bits = (static_cast<uint32_t>(src[2 * i]) |
                       (static_cast<uint32_t>(src[2 * i + 1]) << 8))
                      << 16;
      memcpy(widened.data() + 4 * i, &bits, 4);
    }
    data = widened.data();
    numBytes = widened.size();
  }
  std::string dict = std::string("{'descr': '") + descr +
                     "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    dict += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1)
    dict += ",";
  dict += "), }";
  // Pad with spaces and a newline so the data starts 64-byte aligned.
  bool v2 = dict.size() + 11 > 65535;
  size_t prefix = v2 ? 12 : 10;
  size_t total = prefix + dict.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict += '\n';
  std::string header = std::string("\x93NUMPY", 6);
  header += static_cast<char>(v2 ? 2 : 1);
  header += '\0';
  uint32_t len = static_cast<uint32_t>(dict.size());
  header += static_cast<char>(len & 0xff);
  header += static_cast<char>((len >> 8) & 0xff);
  if (v2) {
    header += static_cast<char>((len >> 16) & 0xff);
    header += static_cast<char>((len >> 24) & 0xff);
  }
  header += dict;

  // Never through a symbolic link planted where the file goes (O_NOFOLLOW),
  // and never into a FIFO or device (O_NONBLOCK keeps a FIFO without a
  // reader from blocking the open; the type is checked right after).
  // Truncated only once it is known to be a regular file.
  int fd = open(path.c_str(),
                O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0666);
  if (fd < 0) {
    int err = errno;
    error = "cannot write '" + path + "': " +
            (err == ELOOP ? std::string("it is a symbolic link")
                          : std::string(strerror(err)));
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = "cannot write '" + path + "': it is not a regular file";
    close(fd);
    return false;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  if (ftruncate(fd, 0) != 0) {
    error = "cannot write '" + path + "': " + strerror(errno);
    close(fd);
    return false;
  }
  FILE *f = fdopen(fd, "wb");
  if (!f) {
    error = "cannot write '" + path + "': " + strerror(errno);
    close(fd);
    return false;
  }
  bool ok = fwrite(header.data(), 1, header.size(), f) == header.size() &&
            (numBytes == 0 || fwrite(data, 1, numBytes, f) == numBytes);
  int err = errno;
  if (fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    error = "cannot write '" + path + "': " + strerror(err);
    return false;
  }
  return true;
}

std::vector<uint8_t> convertF32ToBF16(const std::vector<uint8_t> &f32) {
  std::vector<uint8_t> result(f32.size() / 2);
  for (size_t i = 0; i < f32.size() / 4; ++i) {
    uint32_t bits;
    memcpy(&bits, f32.data() + 4 * i, 4);
    uint16_t half;
    if ((bits & 0x7fffffffu) > 0x7f800000u)
      half = static_cast<uint16_t>((bits >> 16) | 0x40); // Quiet NaN.
    else
      half = static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1)) >> 16);
    memcpy(result.data() + 2 * i, &half, 2);
  }
  return result;
}

} // namespace meld
