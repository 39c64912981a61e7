//===- Tensors.cpp - ONNX tensors, tensor files, weights, locations -------===//
//
// Decoding of ONNX TensorProtos (raw, typed and external data), reading of
// .npy / TensorProto files for `--const`, the WeightStore, and the location
// scheme of imported nodes.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace meld;
using namespace meld::onnx_import;

/// Tensors with more elements than this are refused (a corrupt shape).
static constexpr int64_t kMaxElements = int64_t(1) << 40;

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

Type onnx_import::convertElementType(MLIRContext &context, int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return Float32Type::get(&context);
  case onnx::TensorProto::INT64:
    return IntegerType::get(&context, 64);
  case onnx::TensorProto::INT32:
    return IntegerType::get(&context, 32);
  case onnx::TensorProto::BOOL:
    return IntegerType::get(&context, 1);
  default:
    return {};
  }
}

int32_t onnx_import::getONNXDataType(Type type) {
  if (type.isF32())
    return onnx::TensorProto::FLOAT;
  if (type.isInteger(64))
    return onnx::TensorProto::INT64;
  if (type.isInteger(32))
    return onnx::TensorProto::INT32;
  if (type.isInteger(1))
    return onnx::TensorProto::BOOL;
  return 0;
}

std::string onnx_import::getDataTypeName(int32_t dataType) {
  static const char *const names[] = {
      "UNDEFINED",      "FLOAT",        "UINT8",          "INT8",
      "UINT16",         "INT16",        "INT32",          "INT64",
      "STRING",         "BOOL",         "FLOAT16",        "DOUBLE",
      "UINT32",         "UINT64",       "COMPLEX64",      "COMPLEX128",
      "BFLOAT16",       "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
      "FLOAT8E5M2FNUZ", "UINT4",        "INT4",           "FLOAT4E2M1"};
  if (dataType >= 0 &&
      dataType < static_cast<int32_t>(sizeof(names) / sizeof(names[0])))
    return names[dataType];
  return "type " + std::to_string(dataType);
}

std::string onnx_import::formatShape(ArrayRef<int64_t> shape) {
  std::string result = "[";
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (i)
      result += ", ";
    result += std::to_string(dim);
  }
  return result + "]";
}

std::optional<int64_t>
onnx_import::getCheckedNumElements(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0 || (dim > 0 && count > kMaxElements / dim))
      return std::nullopt;
    count *= dim;
  }
  return count;
}

uint64_t onnx_import::getElementByteSize(Type type) {
  if (type.isInteger(1))
    return 1;
  return type.getIntOrFloatBitWidth() / 8;
}

uint64_t onnx_import::getByteSize(RankedTensorType type) {
  return static_cast<uint64_t>(type.getNumElements()) *
         getElementByteSize(type.getElementType());
}

//===----------------------------------------------------------------------===//
// TensorProto decoding
//===----------------------------------------------------------------------===//

/// What a file of type `type` is, for messages; empty for a kind without a
/// name.
static StringRef describeFileType(llvm::sys::fs::file_type type) {
  using llvm::sys::fs::file_type;
  switch (type) {
  case file_type::directory_file:
    return "a directory";
  case file_type::fifo_file:
    return "a FIFO";
  case file_type::character_file:
    return "a character device";
  case file_type::block_file:
    return "a block device";
  case file_type::socket_file:
    return "a socket";
  default:
    return "";
  }
}

/// The error "WHY" of a file that is not a regular one.
static llvm::Error notRegularFile(llvm::sys::fs::file_type type) {
  StringRef kind = describeFileType(type);
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 kind.empty()
                                     ? std::string("not a regular file")
                                     : (kind + ", not a regular file").str());
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
onnx_import::readRegularFile(StringRef path) {
  auto fail = [&](llvm::Error why) -> llvm::Error {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot open '" + path +
                                       "': " + llvm::toString(std::move(why)));
  };
  // Look before opening: opening a FIFO waits for a writer.
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return fail(llvm::errorCodeToError(ec));
  if (!llvm::sys::fs::is_regular_file(status))
    return fail(notRegularFile(status.type()));
  llvm::Expected<llvm::sys::fs::file_t> file =
      llvm::sys::fs::openNativeFileForRead(path);
  if (!file)
    return fail(file.takeError());
  llvm::scope_exit closer([&] { llvm::sys::fs::closeFile(*file); });
  // Look again at what was opened (the path may have changed meanwhile), and
  // read exactly the size seen then.
  if (std::error_code ec = llvm::sys::fs::status(*file, status))
    return fail(llvm::errorCodeToError(ec));
  if (!llvm::sys::fs::is_regular_file(status))
    return fail(notRegularFile(status.type()));
  auto buffer = llvm::MemoryBuffer::getOpenFile(
      *file, path, status.getSize(), /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail(llvm::errorCodeToError(buffer.getError()));
  return std::move(*buffer);
}

/// Whether `path` is `dir` or lies below it (both absolute and resolved).
static bool isWithin(StringRef path, StringRef dir) {
  if (!path.starts_with(dir))
    return false;
  if (path.size() == dir.size() || llvm::sys::path::is_separator(dir.back()))
    return true;
  return llvm::sys::path::is_separator(path[dir.size()]);
}

llvm::Expected<std::pair<std::string, uint64_t>>
onnx_import::resolveExternalData(StringRef location, StringRef baseDir) {
  auto refuse = [](const Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), why);
  };
  if (location.contains('\0'))
    return refuse("it holds a NUL character");
  if (llvm::sys::path::is_absolute(location) ||
      llvm::sys::path::has_root_name(location) ||
      llvm::sys::path::has_root_directory(location))
    return refuse("an absolute path; external data must be named relative "
                  "to the model's folder");
  for (StringRef component : llvm::make_range(
           llvm::sys::path::begin(location), llvm::sys::path::end(location)))
    if (component == "..")
      return refuse("a '..' component; external data must lie in the "
                    "model's folder");
  SmallString<256> folder;
  if (std::error_code ec =
          llvm::sys::fs::real_path(baseDir.empty() ? "." : baseDir, folder))
    return refuse("cannot resolve the model's folder '" + baseDir +
                  "': " + ec.message());
  SmallString<256> joined(folder);
  llvm::sys::path::append(joined, location);
  SmallString<256> path;
  if (std::error_code ec = llvm::sys::fs::real_path(joined, path))
    return refuse("cannot open '" + joined + "': " + ec.message());
  if (!isWithin(path, folder))
    return refuse("it resolves to '" + path +
                  "', outside the model's folder '" + folder + "'");
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return refuse("cannot open '" + path + "': " + ec.message());
  if (!llvm::sys::fs::is_regular_file(status))
    return refuse("'" + path + "' is " +
                  llvm::toString(notRegularFile(status.type())));
  return std::make_pair(std::string(path), status.getSize());
}

template <typename T, typename Field>
static std::vector<uint8_t> copyField(const Field &field) {
  std::vector<uint8_t> bytes(field.size() * sizeof(T));
  for (int i = 0, e = field.size(); i < e; ++i) {
    T value = static_cast<T>(field.Get(i));
    std::memcpy(bytes.data() + i * sizeof(T), &value, sizeof(T));
  }
  return bytes;
}

LogicalResult onnx_import::describeTensor(const onnx::TensorProto &tensor,
                                          MLIRContext &context,
                                          StringRef baseDir, Location loc,
                                          const Twine &what,
                                          TensorSource &out) {
  Type elementType = convertElementType(context, tensor.data_type());
  if (!elementType)
    return emitError(loc) << what << " has element type "
                          << getDataTypeName(tensor.data_type())
                          << ", which is not supported (FLOAT, INT64, INT32 "
                             "and BOOL are)";
  SmallVector<int64_t> shape;
  int64_t numElements = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0 || (dim > 0 && numElements > kMaxElements / dim))
      return emitError(loc) << what << " has an invalid shape";
    shape.push_back(dim);
    numElements *= dim;
  }
  if (tensor.has_segment())
    return emitError(loc) << what << " is segmented, which is not supported";
  out.type = RankedTensorType::get(shape, elementType);
  out.byteSize = numElements * getElementByteSize(elementType);

  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0;
    std::optional<uint64_t> length;
    for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
      if (entry.key() == "location") {
        location = entry.value();
      } else if (entry.key() == "offset" || entry.key() == "length") {
        uint64_t value;
        if (!llvm::to_integer(entry.value(), value, 10))
          return emitError(loc) << what << " has an invalid external data "
                                << entry.key() << " '" << entry.value() << "'";
        if (entry.key() == "offset")
          offset = value;
        else
          length = value;
      }
    }
    if (location.empty())
      return emitError(loc) << what << " has external data without a location";
    if (length && *length != out.byteSize)
      return emitError(loc) << what << " has " << *length
                            << " bytes of external data but its shape "
                            << formatShape(shape) << " needs " << out.byteSize;
    auto resolved = resolveExternalData(location, baseDir);
    if (!resolved)
      return emitError(loc) << what << " has external data location '"
                            << location
                            << "': " << llvm::toString(resolved.takeError());
    uint64_t fileSize = resolved->second;
    if (offset > fileSize || fileSize - offset < out.byteSize)
      return emitError(loc)
             << "external data file '" << resolved->first << "' of " << what
             << " is too short (" << fileSize << " bytes; needs "
             << out.byteSize << " bytes at offset " << offset << ")";
    out.filePath = std::move(resolved->first);
    out.fileOffset = offset;
    return success();
  }

  auto checkCount = [&](uint64_t bytes) -> LogicalResult {
    if (bytes == out.byteSize)
      return success();
    return emitError(loc) << what << " has " << bytes
                          << " bytes of data but its shape "
                          << formatShape(shape) << " needs " << out.byteSize;
  };
  if (tensor.has_raw_data() || tensor.raw_data().size()) {
    const std::string &raw = tensor.raw_data();
    if (failed(checkCount(raw.size())))
      return failure();
    out.memory = ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(raw.data()), raw.size());
    return success();
  }
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    out.converted = copyField<float>(tensor.float_data());
    break;
  case onnx::TensorProto::INT64:
    out.converted = copyField<int64_t>(tensor.int64_data());
    break;
  case onnx::TensorProto::INT32:
    out.converted = copyField<int32_t>(tensor.int32_data());
    break;
  case onnx::TensorProto::BOOL: {
    out.converted.resize(tensor.int32_data_size());
    for (int i = 0, e = tensor.int32_data_size(); i < e; ++i)
      out.converted[i] = tensor.int32_data(i) != 0;
    break;
  }
  default:
    llvm_unreachable("unsupported types were rejected above");
  }
  if (failed(checkCount(out.converted.size())))
    return failure();
  out.memory = out.converted;
  return success();
}

DenseElementsAttr onnx_import::makeElementsAttr(RankedTensorType type,
                                                ArrayRef<uint8_t> bytes) {
  assert(bytes.size() == static_cast<uint64_t>(type.getNumElements()) *
                             getElementByteSize(type.getElementType()) &&
         "byte count does not match the type");
  if (type.getElementType().isInteger(1)) {
    SmallVector<bool> values;
    values.reserve(bytes.size());
    for (uint8_t byte : bytes)
      values.push_back(byte != 0);
    return DenseElementsAttr::get(type, values);
  }
  // The raw buffer of a DenseElementsAttr of f32/i32/i64 is the little-endian
  // row-major data itself.
  return DenseElementsAttr::getFromRawBuffer(
      type, ArrayRef<char>(reinterpret_cast<const char *>(bytes.data()),
                           bytes.size()));
}

DenseElementsAttr onnx_import::readTensorSource(const TensorSource &source,
                                                Location loc,
                                                const Twine &what) {
  if (!source.isExternal())
    return makeElementsAttr(source.type, source.memory);
  auto buffer = llvm::MemoryBuffer::getFileSlice(
      source.filePath, source.byteSize, source.fileOffset);
  if (!buffer) {
    emitError(loc) << "cannot read external data file '" << source.filePath
                   << "' of " << what << ": " << buffer.getError().message();
    return {};
  }
  return makeElementsAttr(source.type,
                          ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(
                                                (*buffer)->getBufferStart()),
                                            (*buffer)->getBufferSize()));
}

//===----------------------------------------------------------------------===//
// Tensor files (--const)
//===----------------------------------------------------------------------===//

/// Parses the header dictionary of a .npy file: descr, fortran_order, shape.
static bool parseNpyHeader(StringRef header, std::string &descr,
                           bool &fortranOrder,
                           SmallVectorImpl<int64_t> &shape) {
  auto valueOf = [&](StringRef key) -> std::optional<StringRef> {
    size_t pos = header.find(("'" + key + "'").str());
    if (pos == StringRef::npos)
      return std::nullopt;
    StringRef rest = header.drop_front(pos + key.size() + 2).ltrim();
    if (!rest.consume_front(":"))
      return std::nullopt;
    return rest.ltrim();
  };
  auto descrValue = valueOf("descr");
  auto fortranValue = valueOf("fortran_order");
  auto shapeValue = valueOf("shape");
  if (!descrValue || !fortranValue || !shapeValue)
    return false;
  StringRef d = *descrValue;
  if (d.empty() || (d[0] != '\'' && d[0] != '"'))
    return false;
  size_t end = d.find(d[0], 1);
  if (end == StringRef::npos)
    return false;
  descr = d.slice(1, end).str();
  fortranOrder = fortranValue->starts_with("True");
  StringRef s = *shapeValue;
  if (!s.consume_front("("))
    return false;
  s = s.take_until([](char c) { return c == ')'; });
  SmallVector<StringRef> parts;
  s.split(parts, ',');
  for (StringRef part : parts) {
    part = part.trim();
    if (part.empty())
      continue;
    int64_t dim;
    if (part.getAsInteger(10, dim) || dim < 0)
      return false;
    shape.push_back(dim);
  }
  return true;
}

static DenseElementsAttr readNpy(StringRef path, StringRef bytes,
                                 MLIRContext &context, Location loc) {
  auto fail = [&](const Twine &message) {
    emitError(loc) << "cannot read '" << path << "': " << message;
    return DenseElementsAttr();
  };
  if (bytes.size() < 10)
    return fail("truncated .npy file");
  uint8_t major = bytes[6];
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = uint8_t(bytes[8]) | (size_t(uint8_t(bytes[9])) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail("truncated .npy file");
    headerLength = 0;
    for (int i = 3; i >= 0; --i)
      headerLength = (headerLength << 8) | uint8_t(bytes[8 + i]);
    headerStart = 12;
  } else {
    return fail("unsupported .npy format version " + Twine(int(major)));
  }
  if (bytes.size() < headerStart + headerLength)
    return fail("truncated .npy header");
  StringRef header = bytes.substr(headerStart, headerLength);
  std::string descr;
  bool fortranOrder = false;
  SmallVector<int64_t> shape;
  if (!parseNpyHeader(header, descr, fortranOrder, shape))
    return fail("malformed .npy header");
  if (fortranOrder)
    return fail("Fortran-ordered arrays are not supported");
  Type elementType;
  StringRef kind = StringRef(descr).drop_front(descr.empty() ? 0 : 1);
  bool littleOrNone =
      !descr.empty() && (descr[0] == '<' || descr[0] == '|' || descr[0] == '=');
  if (littleOrNone && kind == "f4")
    elementType = Float32Type::get(&context);
  else if (littleOrNone && kind == "i8")
    elementType = IntegerType::get(&context, 64);
  else if (littleOrNone && kind == "i4")
    elementType = IntegerType::get(&context, 32);
  else if (littleOrNone && kind == "b1")
    elementType = IntegerType::get(&context, 1);
  else
    return fail("unsupported dtype '" + descr +
                "' (float32, int64, int32 and bool are supported)");
  int64_t numElements = 1;
  for (int64_t dim : shape) {
    if (dim > 0 && numElements > kMaxElements / dim)
      return fail("invalid shape");
    numElements *= dim;
  }
  auto type = RankedTensorType::get(shape, elementType);
  uint64_t byteSize = numElements * getElementByteSize(elementType);
  StringRef data = bytes.drop_front(headerStart + headerLength);
  if (data.size() < byteSize)
    return fail("holds " + Twine(data.size()) + " bytes of data but shape " +
                formatShape(shape) + " needs " + Twine(byteSize));
  return makeElementsAttr(
      type, ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(data.data()),
                              byteSize));
}

DenseElementsAttr meld::readTensorFile(StringRef path, MLIRContext &context,
                                       Location loc) {
  auto buffer = readRegularFile(path);
  if (!buffer) {
    emitError(loc) << llvm::toString(buffer.takeError());
    return {};
  }
  return readTensorBuffer((*buffer)->getMemBufferRef(),
                          llvm::sys::path::parent_path(path), context, loc);
}

DenseElementsAttr meld::readTensorBuffer(llvm::MemoryBufferRef buffer,
                                         StringRef baseDir,
                                         MLIRContext &context, Location loc) {
  StringRef path = buffer.getBufferIdentifier();
  StringRef bytes = buffer.getBuffer();
  if (bytes.starts_with("\x93NUMPY"))
    return readNpy(path, bytes, context, loc);
  if (path.ends_with(".npy")) {
    emitError(loc) << "cannot read '" << path << "': not a .npy file";
    return {};
  }
  onnx::TensorProto tensor;
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !tensor.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    emitError(loc) << "cannot parse '" << path
                   << "' as a .npy file or an ONNX TensorProto";
    return {};
  }
  TensorSource source;
  std::string what = ("tensor file '" + path + "'").str();
  if (failed(describeTensor(tensor, context, baseDir, loc, what, source)))
    return {};
  return readTensorSource(source, loc, what);
}

//===----------------------------------------------------------------------===//
// WeightStore
//===----------------------------------------------------------------------===//

WeightStore::WeightStore() = default;
WeightStore::~WeightStore() = default;

const WeightStore::Entry *WeightStore::lookup(StringRef handle) const {
  auto it = index.find(handle);
  return it == index.end() ? nullptr : entries[it->second].get();
}

uint64_t WeightStore::getTotalBytes() const {
  uint64_t total = 0;
  for (const auto &entry : entries)
    total += entry->byteSize;
  return total;
}

static WeightStore::Entry &
addEntry(std::vector<std::unique_ptr<WeightStore::Entry>> &entries,
         llvm::StringMap<size_t> &index, StringRef handle,
         RankedTensorType type, uint64_t byteSize) {
  assert(!index.count(handle) && "duplicate weight handle");
  index[handle] = entries.size();
  entries.push_back(std::make_unique<WeightStore::Entry>());
  WeightStore::Entry &entry = *entries.back();
  entry.handle = handle.str();
  entry.type = type;
  entry.byteSize = byteSize;
  return entry;
}

WeightStore::Entry &WeightStore::addInMemory(StringRef handle,
                                             RankedTensorType type,
                                             ArrayRef<uint8_t> bytes) {
  Entry &entry = addEntry(entries, index, handle, type, bytes.size());
  entry.memory = bytes;
  return entry;
}

WeightStore::Entry &WeightStore::addOwned(StringRef handle,
                                          RankedTensorType type,
                                          std::vector<uint8_t> bytes) {
  owned.push_back(std::move(bytes));
  return addInMemory(handle, type, owned.back());
}

WeightStore::Entry &WeightStore::addExternal(StringRef handle,
                                             RankedTensorType type,
                                             uint64_t byteSize,
                                             StringRef filePath,
                                             uint64_t fileOffset) {
  Entry &entry = addEntry(entries, index, handle, type, byteSize);
  entry.filePath = filePath.str();
  entry.fileOffset = fileOffset;
  return entry;
}

void WeightStore::erase(StringRef handle) {
  auto it = index.find(handle);
  if (it == index.end())
    return;
  entries.erase(entries.begin() + it->second);
  mapped.erase(handle);
  index.clear();
  for (auto [i, entry] : llvm::enumerate(entries))
    index[entry->handle] = i;
}

void WeightStore::keepAlive(std::shared_ptr<void> object) {
  keptAlive.push_back(std::move(object));
}

/// The error of a failed read of `entry`'s external data.
static llvm::Error externalReadError(const WeightStore::Entry &entry,
                                     std::error_code ec) {
  return llvm::createStringError(
      ec, "cannot read external data file '%s' of weight '%s': %s",
      entry.filePath.c_str(), entry.handle.c_str(), ec.message().c_str());
}

llvm::Expected<ArrayRef<uint8_t>>
WeightStore::getBytes(const Entry &entry) const {
  if (!entry.isExternal())
    return entry.memory;
  std::unique_ptr<llvm::MemoryBuffer> &buffer = mapped[entry.handle];
  if (!buffer) {
    auto slice = llvm::MemoryBuffer::getFileSlice(
        entry.filePath, entry.byteSize, entry.fileOffset);
    if (!slice)
      return externalReadError(entry, slice.getError());
    buffer = std::move(*slice);
  }
  return ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(buffer->getBufferStart()),
      buffer->getBufferSize());
}

llvm::Error WeightStore::writeBytes(const Entry &entry,
                                    llvm::raw_ostream &os) const {
  if (!entry.isExternal()) {
    os.write(reinterpret_cast<const char *>(entry.memory.data()),
             entry.memory.size());
    return llvm::Error::success();
  }
  // Stream the slice in chunks so a multi-GB weight is never held at once.
  constexpr uint64_t kChunk = uint64_t(64) << 20;
  for (uint64_t done = 0; done < entry.byteSize; done += kChunk) {
    uint64_t size = std::min(kChunk, entry.byteSize - done);
    auto slice = llvm::MemoryBuffer::getFileSlice(entry.filePath, size,
                                                  entry.fileOffset + done);
    if (!slice)
      return externalReadError(entry, slice.getError());
    os.write((*slice)->getBufferStart(), (*slice)->getBufferSize());
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Locations
//===----------------------------------------------------------------------===//

Location meld::getNodeLoc(MLIRContext &context, StringRef nodeName,
                          StringRef opType, StringRef modelPath) {
  Location file = FileLineColLoc::get(&context, modelPath, 0, 0);
  return NameLoc::get(StringAttr::get(&context, nodeName),
                      NameLoc::get(StringAttr::get(&context, opType), file));
}

/// Appends the ONNX nodes of `loc` to `nodes`, in order; stops after the
/// first when `firstOnly`.
static void
collectNodes(Location loc,
             SmallVectorImpl<std::pair<StringRef, StringRef>> &nodes,
             bool firstOnly) {
  if (firstOnly && !nodes.empty())
    return;
  if (auto name = dyn_cast<NameLoc>(loc)) {
    if (auto inner = dyn_cast<NameLoc>(name.getChildLoc()))
      if (isa<FileLineColLoc>(inner.getChildLoc())) {
        nodes.push_back(
            {name.getName().getValue(), inner.getName().getValue()});
        return;
      }
    return collectNodes(name.getChildLoc(), nodes, firstOnly);
  }
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location inner : fused.getLocations())
      collectNodes(inner, nodes, firstOnly);
    return;
  }
  if (auto callSite = dyn_cast<CallSiteLoc>(loc)) {
    collectNodes(callSite.getCallee(), nodes, firstOnly);
    collectNodes(callSite.getCaller(), nodes, firstOnly);
    return;
  }
  if (auto opaque = dyn_cast<OpaqueLoc>(loc))
    collectNodes(opaque.getFallbackLocation(), nodes, firstOnly);
}

std::optional<std::pair<StringRef, StringRef>> meld::getNodeInfo(Location loc) {
  SmallVector<std::pair<StringRef, StringRef>, 1> nodes;
  collectNodes(loc, nodes, /*firstOnly=*/true);
  if (nodes.empty())
    return std::nullopt;
  return nodes.front();
}

SmallVector<std::pair<StringRef, StringRef>> meld::getNodeInfos(Location loc) {
  SmallVector<std::pair<StringRef, StringRef>> nodes;
  collectNodes(loc, nodes, /*firstOnly=*/false);
  SmallVector<std::pair<StringRef, StringRef>> unique;
  for (auto &node : nodes)
    if (!llvm::is_contained(unique, node))
      unique.push_back(node);
  return unique;
}
