//===- Safetensors.cpp - Reading safetensors weight files -----------------===//

#include "Safetensors.h"

#include "Support.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace meld {
namespace rt {

namespace {

//===----------------------------------------------------------------------===//
// A bounded JSON parser
//===----------------------------------------------------------------------===//

/// Nesting limit: a safetensors header needs 3 levels; the limit keeps the
/// recursion far from the stack's end whatever the input.
constexpr int kMaxDepth = 32;

/// Values limit: the parsed tree takes about 100 bytes a value, so a header
/// of kSafetensorsMaxHeaderSize bytes of "[0,0,0,..." would take 5 GB. A
/// real header needs about 10 values a tensor: this allows 400,000 tensors
/// and at most about 400 MB.
constexpr size_t kMaxValues = size_t(1) << 22;

struct JsonValue {
  enum Kind { Null, Bool, Integer, String, Array, Object };
  Kind kind = Null;
  bool boolean = false;
  int64_t integer = 0;
  std::string string;
  std::vector<JsonValue> items;
  std::vector<std::pair<std::string, JsonValue>> members;
};

class JsonParser {
public:
  /// `base` is added to byte offsets in messages (the header's position in
  /// the file).
  JsonParser(const char *text, size_t size, size_t base)
      : text(text), size(size), base(base) {}

  bool parseDocument(JsonValue &value, std::string &error) {
    skipSpace();
    if (!parseValue(value, 0)) {
      error = message;
      return false;
    }
    skipSpace();
    if (pos != size) {
      fail("unexpected data after the JSON value");
      error = message;
      return false;
    }
    return true;
  }

private:
  bool fail(const std::string &what) {
    if (message.empty())
      message =
          "invalid JSON at byte " + std::to_string(base + pos) + ": " + what;
    return false;
  }

  bool atEnd() const { return pos >= size; }
  char peek() const { return text[pos]; }

  void skipSpace() {
    while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' ||
                        peek() == '\r'))
      ++pos;
  }

  bool expectWord(const char *word) {
    size_t n = strlen(word);
    if (size - pos < n || memcmp(text + pos, word, n) != 0)
      return fail("unexpected character");
    pos += n;
    return true;
  }

  bool parseValue(JsonValue &value, int depth) {
    if (atEnd())
      return fail("unexpected end of the header");
    if (++numValues > kMaxValues)
      return fail("more than " + std::to_string(kMaxValues) + " values");
    switch (peek()) {
    case '{':
      return parseObject(value, depth);
    case '[':
      return parseArray(value, depth);
    case '"':
      value.kind = JsonValue::String;
      return parseString(value.string);
    case 't':
      value.kind = JsonValue::Bool;
      value.boolean = true;
      return expectWord("true");
    case 'f':
      value.kind = JsonValue::Bool;
      return expectWord("false");
    case 'n':
      value.kind = JsonValue::Null;
      return expectWord("null");
    default:
      if (peek() == '-' || (peek() >= '0' && peek() <= '9')) {
        value.kind = JsonValue::Integer;
        return parseInteger(value.integer);
      }
      return fail(std::string("unexpected character '") +
                  (peek() >= 0x20 && peek() < 0x7f ? std::string(1, peek())
                                                   : std::string("?")) +
                  "'");
    }
  }

  bool parseObject(JsonValue &value, int depth) {
    if (depth >= kMaxDepth)
      return fail("nested deeper than " + std::to_string(kMaxDepth) +
                  " levels");
    value.kind = JsonValue::Object;
    ++pos; // '{'
    skipSpace();
    if (!atEnd() && peek() == '}') {
      ++pos;
      return true;
    }
    while (true) {
      skipSpace();
      if (atEnd() || peek() != '"')
        return fail("expected a string key");
      std::string key;
      if (!parseString(key))
        return false;
      skipSpace();
      if (atEnd() || peek() != ':')
        return fail("expected ':' after an object key");
      ++pos;
      skipSpace();
      value.members.emplace_back(std::move(key), JsonValue());
      if (!parseValue(value.members.back().second, depth + 1))
        return false;
      skipSpace();
      if (atEnd())
        return fail("unexpected end of the header in an object");
      if (peek() == '}') {
        ++pos;
        return true;
      }
      if (peek() != ',')
        return fail("expected ',' or '}' in an object");
      ++pos;
    }
  }

  bool parseArray(JsonValue &value, int depth) {
    if (depth >= kMaxDepth)
      return fail("nested deeper than " + std::to_string(kMaxDepth) +
                  " levels");
    value.kind = JsonValue::Array;
    ++pos; // '['
    skipSpace();
    if (!atEnd() && peek() == ']') {
      ++pos;
      return true;
    }
    while (true) {
      skipSpace();
      value.items.emplace_back();
      if (!parseValue(value.items.back(), depth + 1))
        return false;
      skipSpace();
      if (atEnd())
        return fail("unexpected end of the header in an array");
      if (peek() == ']') {
        ++pos;
        return true;
      }
      if (peek() != ',')
        return fail("expected ',' or ']' in an array");
      ++pos;
    }
  }

  bool parseInteger(int64_t &result) {
    bool negative = false;
    if (peek() == '-') {
      negative = true;
      ++pos;
    }
    if (atEnd() || peek() < '0' || peek() > '9')
      return fail("expected a digit");
    if (peek() == '0' && pos + 1 < size && text[pos + 1] >= '0' &&
        text[pos + 1] <= '9')
      return fail("leading zeros are not allowed");
    // Accumulate as a negative number so INT64_MIN fits.
    int64_t value = 0;
    while (!atEnd() && peek() >= '0' && peek() <= '9') {
      int digit = peek() - '0';
      if (value < (INT64_MIN + digit) / 10)
        return fail("integer out of range");
      value = value * 10 - digit;
      ++pos;
    }
    if (!atEnd() && (peek() == '.' || peek() == 'e' || peek() == 'E'))
      return fail("only integers are supported in a safetensors header");
    if (!negative) {
      if (value == INT64_MIN)
        return fail("integer out of range");
      value = -value;
    }
    result = value;
    return true;
  }

  static int hexValue(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }

  bool parseHex4(uint32_t &code) {
    if (size - pos < 4)
      return fail("truncated \\u escape");
    code = 0;
    for (int i = 0; i < 4; ++i) {
      int v = hexValue(text[pos + i]);
      if (v < 0)
        return fail("invalid \\u escape");
      code = code * 16 + static_cast<uint32_t>(v);
    }
    pos += 4;
    return true;
  }

  static void appendUtf8(std::string &out, uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  bool parseString(std::string &out) {
    ++pos; // '"'
    out.clear();
    while (true) {
      if (atEnd())
        return fail("unterminated string");
      char c = peek();
      if (c == '"') {
        ++pos;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20)
        return fail("control character in a string");
      if (c != '\\') {
        out += c;
        ++pos;
        continue;
      }
      ++pos;
      if (atEnd())
        return fail("unterminated string");
      char e = peek();
      ++pos;
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t code;
        if (!parseHex4(code))
          return false;
        if (code >= 0xDC00 && code <= 0xDFFF)
          return fail("unpaired low surrogate in a \\u escape");
        if (code >= 0xD800 && code <= 0xDBFF) {
          if (size - pos < 2 || text[pos] != '\\' || text[pos + 1] != 'u')
            return fail("unpaired high surrogate in a \\u escape");
          pos += 2;
          uint32_t low;
          if (!parseHex4(low))
            return false;
          if (low < 0xDC00 || low > 0xDFFF)
            return fail("unpaired high surrogate in a \\u escape");
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        appendUtf8(out, code);
        break;
      }
      default:
        --pos;
        return fail("invalid escape in a string");
      }
    }
  }

  const char *text;
  size_t size;
  size_t base;
  size_t pos = 0;
  size_t numValues = 0;
  std::string message;
};

//===----------------------------------------------------------------------===//
// The header
//===----------------------------------------------------------------------===//

const JsonValue *member(const JsonValue &object, const char *key) {
  for (const auto &[name, value] : object.members)
    if (name == key)
      return &value;
  return nullptr;
}

/// Reads an array of non-negative integers.
bool readCounts(const JsonValue *value, std::vector<int64_t> &out) {
  if (!value || value->kind != JsonValue::Array)
    return false;
  out.clear();
  for (const JsonValue &item : value->items) {
    if (item.kind != JsonValue::Integer || item.integer < 0)
      return false;
    out.push_back(item.integer);
  }
  return true;
}

std::string formatList(const std::vector<int64_t> &values) {
  std::string result = "[";
  for (size_t i = 0; i < values.size(); ++i)
    result += (i ? ", " : "") + std::to_string(values[i]);
  return result + "]";
}

} // namespace

bool safetensorsDType(const std::string &name, meld_dtype &dtype) {
  static const struct {
    const char *name;
    meld_dtype dtype;
  } table[] = {
      {"F32", MELD_DTYPE_F32},   {"F16", MELD_DTYPE_F16},
      {"BF16", MELD_DTYPE_BF16}, {"F64", MELD_DTYPE_F64},
      {"I64", MELD_DTYPE_I64},   {"I32", MELD_DTYPE_I32},
      {"I8", MELD_DTYPE_I8},     {"U8", MELD_DTYPE_U8},
      {"BOOL", MELD_DTYPE_BOOL},
  };
  for (const auto &entry : table) {
    if (name == entry.name) {
      dtype = entry.dtype;
      return true;
    }
  }
  return false;
}

bool parseSafetensorsHeader(const char *json, size_t size, uint64_t dataSize,
                            std::map<std::string, SafetensorsTensor> &tensors,
                            std::string &error, bool *truncated) {
  tensors.clear();
  if (truncated)
    *truncated = false;
  JsonValue root;
  JsonParser parser(json, size, /*base=*/8);
  if (!parser.parseDocument(root, error))
    return false;
  if (root.kind != JsonValue::Object) {
    error = "the header is not a JSON object";
    return false;
  }
  for (const auto &[name, value] : root.members) {
    if (name == "__metadata__")
      continue;
    std::string what = "tensor '" + name + "'";
    if (value.kind != JsonValue::Object) {
      error = what + " is not described by a JSON object";
      return false;
    }
    SafetensorsTensor tensor;
    const JsonValue *dtype = member(value, "dtype");
    if (!dtype || dtype->kind != JsonValue::String) {
      error = what + " has no \"dtype\" string";
      return false;
    }
    tensor.dtype = dtype->string;
    if (!readCounts(member(value, "shape"), tensor.shape)) {
      error = what + " has no \"shape\" array of non-negative integers";
      return false;
    }
    std::vector<int64_t> offsets;
    if (!readCounts(member(value, "data_offsets"), offsets) ||
        offsets.size() != 2 || offsets[0] > offsets[1]) {
      error = what + " has no \"data_offsets\" pair [begin, end] with begin "
                     "<= end";
      return false;
    }
    tensor.begin = static_cast<uint64_t>(offsets[0]);
    tensor.end = static_cast<uint64_t>(offsets[1]);
    if (tensor.end > dataSize) {
      error = what + " needs bytes [" + std::to_string(tensor.begin) + ", " +
              std::to_string(tensor.end) + ") of the data section, which has " +
              std::to_string(dataSize);
      if (truncated)
        *truncated = true;
      return false;
    }
    meld_dtype known;
    if (safetensorsDType(tensor.dtype, known)) {
      uint64_t bytes = dtypeSize(known);
      for (int64_t d : tensor.shape) {
        if (mulOverflow(bytes, static_cast<uint64_t>(d), bytes)) {
          error = what + " has a shape too large";
          return false;
        }
      }
      if (bytes != tensor.end - tensor.begin) {
        error = what + ": data_offsets " + formatList(offsets) + " hold " +
                std::to_string(tensor.end - tensor.begin) + " bytes, but " +
                tensor.dtype + " " + formatList(tensor.shape) + " needs " +
                std::to_string(bytes);
        return false;
      }
    }
    if (!tensors.emplace(name, std::move(tensor)).second) {
      error = what + " appears twice in the header";
      return false;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// SafetensorsFile
//===----------------------------------------------------------------------===//

SafetensorsFile::~SafetensorsFile() {
  if (mapping)
    munmap(mapping, mappingSize);
}

meld_status parseSafetensors(const uint8_t *base, uint64_t fileSize,
                             const std::string &path,
                             std::map<std::string, SafetensorsTensor> &tensors,
                             uint64_t &dataOffset) {
  auto bad = [&](const std::string &why) {
    return setError(MELD_ERROR_INVALID_ARGUMENT,
                    "'" + path + "' is not a valid safetensors file: " + why);
  };
  if (fileSize < 8)
    return bad("it has " + std::to_string(fileSize) +
               " bytes, fewer than the 8 of the header size");
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i)
    headerSize = headerSize << 8 | base[i];
  if (headerSize > fileSize - 8)
    return setError(MELD_ERROR_INVALID_ARGUMENT,
                    "'" + path + "' is truncated: its header size says " +
                        std::to_string(headerSize) + " bytes, but only " +
                        std::to_string(fileSize - 8) + " follow");
  if (headerSize > kSafetensorsMaxHeaderSize)
    return bad("a header of " + std::to_string(headerSize) +
               " bytes is larger than the limit of " +
               std::to_string(kSafetensorsMaxHeaderSize));
  dataOffset = 8 + headerSize;
  std::string error;
  bool truncated;
  if (!parseSafetensorsHeader(reinterpret_cast<const char *>(base + 8),
                              static_cast<size_t>(headerSize),
                              fileSize - dataOffset, tensors, error,
                              &truncated))
    return truncated ? setError(MELD_ERROR_INVALID_ARGUMENT,
                                "'" + path + "' is truncated: " + error)
                     : bad(error);
  return MELD_OK;
}

meld_status SafetensorsFile::open(const std::string &path,
                                  std::unique_ptr<SafetensorsFile> &result) {
  result.reset();
  uint64_t fileSize = 0;
  std::string openError;
  int fd = openRegularFile(path, "weights ", fileSize, openError);
  if (fd < 0)
    return setError(MELD_ERROR_IO, openError);
  std::unique_ptr<SafetensorsFile> file(new (std::nothrow) SafetensorsFile());
  if (!file) {
    close(fd);
    return setError(MELD_ERROR_OUT_OF_MEMORY,
                    "cannot allocate the weights file '" + path + "'");
  }
  file->path = path;
  uint64_t dataOffset = 0;
  if (fileSize == 0) { // Nothing to map; refused as any too short file.
    close(fd);
    return parseSafetensors(reinterpret_cast<const uint8_t *>(""), 0, path,
                            file->tensors, dataOffset);
  }
  void *map = mmap(nullptr, fileSize, PROT_READ, MAP_PRIVATE, fd, 0);
  int mapErrno = errno;
  close(fd);
  if (map == MAP_FAILED)
    return setError(MELD_ERROR_IO,
                    "cannot map '" + path + "': " + strerror(mapErrno));
  file->mapping = map;
  file->mappingSize = fileSize;
  const uint8_t *base = static_cast<const uint8_t *>(map);
  if (meld_status s =
          parseSafetensors(base, fileSize, path, file->tensors, dataOffset))
    return s;
  file->dataSection = base + dataOffset;
  result = std::move(file);
  return MELD_OK;
}

} // namespace rt
} // namespace meld
