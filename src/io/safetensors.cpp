#include "cairn/io/safetensors.h"

#include <algorithm>
#include <array>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "cairn/io/atomic_file.h"
#include "cairn/error.h"
#include "cairn/io/text_file.h"
#include "io/posix_file.h"
#include "io/utf8.h"

namespace cairn {
namespace {

using Json = nlohmann::json;

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  size_t size;
};

constexpr std::array<DTypeInfo, 15> kDTypes = {{
    {DType::boolean, "BOOL", 1},
    {DType::u8, "U8", 1},
    {DType::i8, "I8", 1},
    {DType::f8_e5m2, "F8_E5M2", 1},
    {DType::f8_e4m3, "F8_E4M3", 1},
    {DType::i16, "I16", 2},
    {DType::u16, "U16", 2},
    {DType::f16, "F16", 2},
    {DType::bf16, "BF16", 2},
    {DType::i32, "I32", 4},
    {DType::u32, "U32", 4},
    {DType::f32, "F32", 4},
    {DType::f64, "F64", 8},
    {DType::i64, "I64", 8},
    {DType::u64, "U64", 8},
}};

const DTypeInfo& info(DType dtype) {
  const auto index = static_cast<size_t>(dtype);
  if (index >= kDTypes.size()) throw Error("invalid DType value " + std::to_string(index));
  return kDTypes[index];
}

std::string label(std::string_view source) {
  return source.empty() ? std::string("safetensors data") : std::string(source);
}

[[noreturn]] void fail(std::string_view source, const std::string& message) {
  throw Error(label(source) + ": " + message);
}

// Cuts `text` to at most `limit` bytes at a UTF-8 character boundary, marking
// the cut, so a hostile multi-megabyte name or value cannot flood a message.
std::string abbreviate(std::string_view text, size_t limit = 200) {
  if (text.size() <= limit) return std::string(text);
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  std::string out(text.substr(0, cut));
  out += "...";
  return out;
}

std::string quote(std::string_view s) {
  // Appending (rather than "'" + s + "'") sidesteps a GCC 12 -Wrestrict false positive.
  std::string out;
  out.push_back('\'');
  out.append(abbreviate(s));
  out.push_back('\'');
  return out;
}

std::string brief(const Json& value) {
  return abbreviate(value.dump());
}

// Product of `shape` or std::nullopt on overflow of int64.
std::optional<int64_t> checked_numel(std::span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(n, d, &n)) return std::nullopt;
  }
  return n;
}

std::string offsets_string(uint64_t begin, uint64_t end) {
  std::string out = "[";
  out += std::to_string(begin);
  out += ", ";
  out += std::to_string(end);
  out += "]";
  return out;
}

const char* json_type(const Json& value) {
  if (value.is_number_integer()) return "integer";
  if (value.is_number_float()) return "non-integer number";
  return value.type_name();
}

// ---------------------------------------------------------------------------
// Header parsing

// A non-negative JSON integer, or std::nullopt.
std::optional<uint64_t> as_non_negative(const Json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) {
    return static_cast<uint64_t>(value.get<int64_t>());
  }
  return std::nullopt;
}

struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin;
  uint64_t end;
};

struct Header {
  std::vector<Entry> entries;  // sorted by data offsets
  TensorDict::Metadata metadata;
};

void parse_metadata(const Json& value, std::string_view source, TensorDict::Metadata& out) {
  if (value.is_null()) return;  // the reference reader accepts an explicit null
  if (!value.is_object()) {
    fail(source,
         std::string("__metadata__ must be a JSON object of strings, found ") + json_type(value));
  }
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      fail(source,
           "__metadata__ key " + quote(key) + " must map to a string, found " + json_type(item));
    }
    out.emplace(key, item.get<std::string>());
  }
}

Entry parse_entry(const std::string& name, const Json& value, uint64_t buffer_size,
                  std::string_view source) {
  const std::string where = "tensor " + quote(name) + ": ";
  if (!value.is_object()) {
    fail(source, where + "entry must be a JSON object, found " + json_type(value));
  }
  Entry entry{name, DType::f32, {}, 0, 0};
  bool has_dtype = false, has_shape = false, has_offsets = false;
  for (const auto& [field, item] : value.items()) {
    if (field == "dtype") {
      if (!item.is_string())
        fail(source, where + "dtype must be a string, found " + json_type(item));
      const auto& text = item.get_ref<const std::string&>();
      const std::optional<DType> dtype = dtype_from_name(text);
      if (!dtype) fail(source, where + "unknown dtype " + quote(text));
      entry.dtype = *dtype;
      has_dtype = true;
    } else if (field == "shape") {
      if (!item.is_array()) {
        fail(source, where + "shape must be an array of integers, found " + json_type(item));
      }
      for (const Json& dim : item) {
        if (!dim.is_number_integer()) {
          fail(source,
               where + "shape " + brief(item) + " must contain integers, found " + json_type(dim));
        }
        if (!dim.is_number_unsigned() && dim.get<int64_t>() < 0) {
          fail(source, where + "shape " + brief(item) + " has a negative dimension");
        }
        const auto d = dim.get<uint64_t>();
        if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          fail(source, where + "shape " + brief(item) +
                           " overflows when multiplied out (dimension too large)");
        }
        entry.shape.push_back(static_cast<int64_t>(d));
      }
      has_shape = true;
    } else if (field == "data_offsets") {
      if (!item.is_array() || item.size() != 2) {
        fail(source, where + "data_offsets must be [begin, end], found " + brief(item));
      }
      const auto begin = as_non_negative(item[0]);
      const auto end = as_non_negative(item[1]);
      if (!begin || !end) {
        fail(source, where + "data_offsets " + brief(item) + " must be non-negative integers");
      }
      entry.begin = *begin;
      entry.end = *end;
      has_offsets = true;
    } else {
      fail(source,
           where + "unexpected field " + quote(field) + " (expected dtype, shape, data_offsets)");
    }
  }
  if (!has_dtype) fail(source, where + "missing field 'dtype'");
  if (!has_shape) fail(source, where + "missing field 'shape'");
  if (!has_offsets) fail(source, where + "missing field 'data_offsets'");

  const std::string offsets = offsets_string(entry.begin, entry.end);
  if (entry.begin > entry.end) {
    fail(source, where + "data_offsets " + offsets + " have begin > end");
  }
  if (entry.end > buffer_size) {
    fail(source, where + "data_offsets " + offsets + " run past the end of the data buffer (" +
                     std::to_string(buffer_size) + " bytes)");
  }
  const std::optional<int64_t> numel = checked_numel(entry.shape);
  int64_t n_bytes = 0;
  if (!numel ||
      __builtin_mul_overflow(*numel, static_cast<int64_t>(dtype_size(entry.dtype)), &n_bytes)) {
    fail(source, where + "shape " + shape_string(entry.shape) + " with dtype " +
                     std::string(dtype_name(entry.dtype)) + " overflows when multiplied out");
  }
  if (static_cast<uint64_t>(n_bytes) != entry.end - entry.begin) {
    fail(source, where + "shape " + shape_string(entry.shape) + " with dtype " +
                     std::string(dtype_name(entry.dtype)) + " needs " + std::to_string(n_bytes) +
                     " bytes but data_offsets " + offsets + " hold " +
                     std::to_string(entry.end - entry.begin));
  }
  return entry;
}

Header parse_header(std::string_view text, uint64_t buffer_size, std::string_view source) {
  if (const std::optional<size_t> bad = io::first_invalid_utf8(text)) {
    fail(source, "header is not valid UTF-8 (byte " + std::to_string(*bad) + " of the header)");
  }
  if (text.starts_with("\xEF\xBB\xBF")) {
    fail(source, "header starts with a byte-order mark; it must be plain JSON");
  }
  const Json root = parse_json_strictly(text, label(source) + ": header");
  if (!root.is_object()) {
    fail(source, std::string("header must be a JSON object, found ") + json_type(root));
  }
  Header header;
  for (const auto& [key, value] : root.items()) {
    if (key == "__metadata__") {
      parse_metadata(value, source, header.metadata);
    } else {
      header.entries.push_back(parse_entry(key, value, buffer_size, source));
    }
  }

  std::sort(header.entries.begin(), header.entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& entry : header.entries) {
    const std::string where =
        "tensor " + quote(entry.name) + ": data_offsets " + offsets_string(entry.begin, entry.end);
    if (entry.begin < covered) {
      fail(source, where + " overlap tensor " + quote(previous->name) + " " +
                       offsets_string(previous->begin, previous->end));
    }
    if (entry.begin > covered) {
      if (previous == nullptr) {
        fail(source, where + " leave a gap: the data buffer's first " +
                         std::to_string(entry.begin) + " bytes belong to no tensor");
      }
      fail(source, where + " leave a gap after tensor " + quote(previous->name) + " " +
                       offsets_string(previous->begin, previous->end));
    }
    covered = entry.end;
    previous = &entry;
  }
  if (covered != buffer_size) {
    fail(source, "tensors cover " + std::to_string(covered) + " bytes but the data buffer has " +
                     std::to_string(buffer_size) + " (trailing bytes after the last tensor)");
  }
  return header;
}

uint64_t load_le64(std::span<const std::byte, 8> bytes) {
  uint64_t value;
  std::memcpy(&value, bytes.data(), 8);
  return value;  // little-endian host (static_assert in the header)
}

// Checks the header length field against the file size; returns the header length.
uint64_t check_header_length(uint64_t file_size, uint64_t header_length, std::string_view source) {
  if (header_length > kSafetensorsMaxHeaderBytes) {
    fail(source, "header length " + std::to_string(header_length) + " exceeds the limit of " +
                     std::to_string(kSafetensorsMaxHeaderBytes) + " bytes");
  }
  if (header_length > file_size - 8) {
    fail(source, "header length " + std::to_string(header_length) +
                     " runs past the end of the file (" + std::to_string(file_size) + " bytes)");
  }
  return header_length;
}

void check_file_size(uint64_t file_size, std::string_view source) {
  if (file_size < 8) {
    fail(source,
         "file is " + std::to_string(file_size) + " bytes, too short for the 8-byte header length");
  }
}

TensorDict build_dict(Header header, std::string_view source,
                      const std::function<std::vector<std::byte>(const Entry&)>& read_bytes) {
  TensorDict dict{std::string(source)};
  dict.metadata() = std::move(header.metadata);
  for (Entry& entry : header.entries) {
    std::vector<std::byte> bytes = read_bytes(entry);
    dict.insert(std::move(entry.name),
                Tensor(entry.dtype, std::move(entry.shape), std::move(bytes)));
  }
  return dict;
}

// ---------------------------------------------------------------------------
// Writing

// Calls `sink` with the file's bytes in order: length, header, tensor data.
void emit(const TensorDict& dict, std::string_view source,
          const std::function<void(std::span<const std::byte>)>& sink) {
  for (const auto& [key, value] : dict.metadata()) {
    if (io::first_invalid_utf8(key)) {
      fail(source, "__metadata__ key " + quote(key) + " is not valid UTF-8");
    }
    if (io::first_invalid_utf8(value)) {
      fail(source, "__metadata__ value of key " + quote(key) + " is not valid UTF-8");
    }
  }
  std::vector<const TensorDict::Map::value_type*> order;
  order.reserve(dict.size());
  for (const auto& item : dict) order.push_back(&item);
  // The reference writer's order: wider dtypes first (keeps every tensor
  // aligned to its element size, given the 8-byte padded header), then name.
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return a->second.dtype() > b->second.dtype();
  });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!dict.metadata().empty()) {
    nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
    for (const auto& [key, value] : dict.metadata()) metadata[key] = value;
    header["__metadata__"] = std::move(metadata);
  }
  uint64_t offset = 0;
  for (const auto* item : order) {
    const Tensor& tensor = item->second;
    const uint64_t end = offset + tensor.bytes().size();
    header[item->first] = {{"dtype", dtype_name(tensor.dtype())},
                           {"shape", tensor.shape()},
                           {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text = header.dump();
  text.resize((text.size() + 7) / 8 * 8, ' ');
  if (text.size() > kSafetensorsMaxHeaderBytes) {
    fail(source, "header would be " + std::to_string(text.size()) + " bytes, over the limit of " +
                     std::to_string(kSafetensorsMaxHeaderBytes));
  }
  const uint64_t length = text.size();
  std::array<std::byte, 8> length_bytes;
  std::memcpy(length_bytes.data(), &length, 8);
  sink(length_bytes);
  sink(std::as_bytes(std::span(text)));
  for (const auto* item : order) sink(item->second.bytes());
}

}  // namespace

std::string_view dtype_name(DType dtype) {
  return info(dtype).name;
}

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const DTypeInfo& entry : kDTypes) {
    if (entry.name == name) return entry.dtype;
  }
  return std::nullopt;
}

size_t dtype_size(DType dtype) {
  return info(dtype).size;
}

std::string shape_string(std::span<const int64_t> shape) {
  constexpr size_t kMaxShown = 16;
  std::string out = "[";
  for (size_t i = 0; i < shape.size() && i < kMaxShown; ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  if (shape.size() > kMaxShown) out += ", ... (" + std::to_string(shape.size()) + " dimensions)";
  return out + "]";
}

Tensor::Tensor() : bytes_(4) {}

Tensor::Tensor(DType dtype, std::vector<int64_t> shape, std::vector<std::byte> bytes)
    : dtype_(dtype), shape_(std::move(shape)), bytes_(std::move(bytes)) {
  for (int64_t d : shape_) {
    if (d < 0) throw Error("tensor shape " + shape_string(shape_) + " has a negative dimension");
  }
  const std::optional<int64_t> numel = checked_numel(shape_);
  int64_t n_bytes = 0;
  if (!numel ||
      __builtin_mul_overflow(*numel, static_cast<int64_t>(dtype_size(dtype_)), &n_bytes)) {
    throw Error("tensor shape " + shape_string(shape_) + " overflows when multiplied out");
  }
  if (static_cast<uint64_t>(n_bytes) != bytes_.size()) {
    throw Error("tensor of shape " + shape_string(shape_) + " and dtype " +
                std::string(dtype_name(dtype_)) + " needs " + std::to_string(n_bytes) +
                " bytes, got " + std::to_string(bytes_.size()));
  }
  numel_ = *numel;
}

void Tensor::check_access(DType requested, size_t out_size) const {
  if (requested != dtype_) {
    throw Error("tensor has dtype " + std::string(dtype_name(dtype_)) + ", not " +
                std::string(dtype_name(requested)) + " as requested");
  }
  if (out_size != static_cast<uint64_t>(numel_)) {
    throw Error("tensor of shape " + shape_string(shape_) + " has " + std::to_string(numel_) +
                " elements but the output holds " + std::to_string(out_size));
  }
}

void TensorDict::check_name(const std::string& name) const {
  if (name == "__metadata__") {
    fail(source_, "tensor name '__metadata__' is reserved by the safetensors format");
  }
  if (io::first_invalid_utf8(name))
    fail(source_, "tensor name " + quote(name) + " is not valid UTF-8");
}

void TensorDict::insert(std::string name, Tensor tensor) {
  check_name(name);
  if (contains(name)) fail(source_, "duplicate tensor name " + quote(name));
  tensors_.emplace(std::move(name), std::move(tensor));
}

void TensorDict::insert_or_assign(std::string name, Tensor tensor) {
  check_name(name);
  tensors_.insert_or_assign(std::move(name), std::move(tensor));
}

bool TensorDict::erase(std::string_view name) {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) return false;
  tensors_.erase(it);
  return true;
}

const Tensor& TensorDict::at(std::string_view name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    std::string known;
    size_t listed = 0;
    for (const auto& [key, value] : tensors_) {
      if (listed++ == 20) {
        known += ", ...";
        break;
      }
      known += (known.empty() ? "" : ", ") + quote(key);
    }
    fail(source_, "no tensor named " + quote(name) +
                      (known.empty() ? " (it holds no tensors)" : " (it holds " + known + ")"));
  }
  return it->second;
}

Tensor& TensorDict::at(std::string_view name) {
  return const_cast<Tensor&>(std::as_const(*this).at(name));
}

const Tensor& TensorDict::expect(std::string_view name, DType dtype,
                                 const std::vector<int64_t>& shape) const {
  if (!contains(name)) fail(source_, "missing tensor " + quote(name));
  const Tensor& t = at(name);
  if (t.dtype() != dtype) {
    fail(source_, "tensor " + quote(name) + " has dtype " + std::string(dtype_name(t.dtype())) +
                      ", expected " + std::string(dtype_name(dtype)));
  }
  if (t.shape() != shape) {
    fail(source_, "tensor " + quote(name) + " has shape " + shape_string(t.shape()) +
                      ", expected " + shape_string(shape));
  }
  return t;
}

void TensorDict::check_access(std::string_view name, DType requested, size_t out_size) const {
  const Tensor& tensor = at(name);
  if (requested != tensor.dtype()) {
    fail(source_, "tensor " + quote(name) + " has dtype " +
                      std::string(dtype_name(tensor.dtype())) + ", not " +
                      std::string(dtype_name(requested)) + " as requested");
  }
  if (out_size != static_cast<uint64_t>(tensor.numel())) {
    fail(source_, "tensor " + quote(name) + " of shape " + shape_string(tensor.shape()) + " has " +
                      std::to_string(tensor.numel()) + " elements but the output holds " +
                      std::to_string(out_size));
  }
}

std::vector<std::byte> serialize_safetensors(const TensorDict& dict) {
  std::vector<std::byte> out;
  emit(dict, dict.source(), [&](std::span<const std::byte> bytes) {
    out.insert(out.end(), bytes.begin(), bytes.end());
  });
  return out;
}

void write_safetensors(const std::filesystem::path& path, const TensorDict& dict) {
  const std::string source = path.string();
  // The file is created on the first write, after emit() has validated the
  // dict, so invalid input leaves no temporary behind.
  std::optional<AtomicFileWriter> writer;
  emit(dict, source, [&](std::span<const std::byte> bytes) {
    if (!writer) writer.emplace(path);
    writer->write(bytes);
  });
  writer->commit();
}

TensorDict parse_safetensors(std::span<const std::byte> bytes, std::string_view source) {
  check_file_size(bytes.size(), source);
  const uint64_t header_length =
      check_header_length(bytes.size(), load_le64(bytes.first<8>()), source);
  const std::span<const std::byte> header_bytes = bytes.subspan(8, header_length);
  const std::span<const std::byte> buffer = bytes.subspan(8 + header_length);
  const std::string_view text(reinterpret_cast<const char*>(header_bytes.data()),
                              header_bytes.size());
  return build_dict(parse_header(text, buffer.size(), source), source, [&](const Entry& entry) {
    const auto data = buffer.subspan(entry.begin, entry.end - entry.begin);
    return std::vector<std::byte>(data.begin(), data.end());
  });
}

TensorDict read_safetensors(const std::filesystem::path& path) {
  const std::string source = path.string();
  io::UniqueFd fd = io::open_for_reading(path);
  const uint64_t file_size = io::file_size(fd.get(), path);
  check_file_size(file_size, source);
  std::array<std::byte, 8> length_bytes;
  io::read_exact(fd.get(), length_bytes, path);
  const uint64_t header_length = check_header_length(file_size, load_le64(length_bytes), source);
  std::string text(static_cast<size_t>(header_length), '\0');
  io::read_exact(fd.get(), std::as_writable_bytes(std::span(text)), path);
  Header header = parse_header(text, file_size - 8 - header_length, source);
  // Entries are contiguous and sorted by offset, so the buffer is read front to back.
  return build_dict(std::move(header), source, [&](const Entry& entry) {
    std::vector<std::byte> data(static_cast<size_t>(entry.end - entry.begin));
    io::read_exact(fd.get(), data, path);
    return data;
  });
}

}  // namespace cairn
