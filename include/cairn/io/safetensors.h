// Tensors on disk in the safetensors format (https://github.com/huggingface/safetensors).
//
// File layout: an 8-byte little-endian unsigned header length N; N bytes of
// UTF-8 JSON, an object mapping each tensor name to
// {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]} plus an
// optional "__metadata__" object of string values; then the data buffer. Offsets
// are relative to the start of the buffer; data is little-endian, row-major.
//
// Writing follows the reference writer: tensors are laid out by decreasing
// dtype (the reference's dtype order, which puts wider types first so every
// tensor is naturally aligned), then by name; the header is compact JSON with
// "__metadata__" first, padded with spaces to a multiple of 8 bytes. The same
// input therefore always gives the same bytes.
//
// Reading treats the bytes as untrusted. Beyond the reference validator's rules
// (header length within the 100 MB limit and the file; valid UTF-8 JSON object;
// offsets ordered, contiguous from 0, covering the buffer exactly; byte lengths
// equal to product(shape) * dtype size with overflow checks) it also rejects
// duplicate keys at any level, unknown fields in a tensor entry, non-integer or
// negative numbers, non-string metadata, a leading byte-order mark and JSON
// nested more than 64 levels. Every problem is a cairn::Error whose message
// starts with the source name (the file path) and names the tensor or field;
// hostile names and shapes are abbreviated in messages.
//
// Thread safety: the free functions are thread-safe; Tensor and TensorDict are
// plain values (see below). Host byte order must be little-endian (checked at
// compile time).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

static_assert(std::endian::native == std::endian::little,
              "cairn's safetensors I/O copies little-endian data as-is");

// Element types, in the reference implementation's order (used for layout).
// Types without a C++ counterpart here (booleans, 8- and 16-bit floats) are
// stored and copied as opaque bytes.
enum class DType : uint8_t {
  boolean,  // "BOOL", 1 byte
  u8,       // "U8"
  i8,       // "I8"
  f8_e5m2,  // "F8_E5M2"
  f8_e4m3,  // "F8_E4M3"
  i16,      // "I16"
  u16,      // "U16"
  f16,      // "F16"
  bf16,     // "BF16"
  i32,      // "I32"
  u32,      // "U32"
  f32,      // "F32"
  f64,      // "F64"
  i64,      // "I64"
  u64,      // "U64"
};

// The safetensors spelling ("F32"). Returns a static string; does not allocate.
std::string_view dtype_name(DType dtype);
// Parses a safetensors spelling; std::nullopt if unknown. Does not allocate.
std::optional<DType> dtype_from_name(std::string_view name);
// Bytes per element.
size_t dtype_size(DType dtype);

// The DType holding elements of C++ type T (float, double, int8/16/32/64_t,
// uint8/16/32/64_t).
template <typename T>
struct DTypeOf;
template <>
struct DTypeOf<float> {
  static constexpr DType value = DType::f32;
};
template <>
struct DTypeOf<double> {
  static constexpr DType value = DType::f64;
};
template <>
struct DTypeOf<int8_t> {
  static constexpr DType value = DType::i8;
};
template <>
struct DTypeOf<int16_t> {
  static constexpr DType value = DType::i16;
};
template <>
struct DTypeOf<int32_t> {
  static constexpr DType value = DType::i32;
};
template <>
struct DTypeOf<int64_t> {
  static constexpr DType value = DType::i64;
};
template <>
struct DTypeOf<uint8_t> {
  static constexpr DType value = DType::u8;
};
template <>
struct DTypeOf<uint16_t> {
  static constexpr DType value = DType::u16;
};
template <>
struct DTypeOf<uint32_t> {
  static constexpr DType value = DType::u32;
};
template <>
struct DTypeOf<uint64_t> {
  static constexpr DType value = DType::u64;
};

// A dense row-major tensor: dtype, shape and the little-endian element bytes.
//
// Invariant: every dimension is >= 0 and bytes().size() == numel() * dtype_size(dtype()).
// A scalar has shape {} and one element; a shape containing 0 has no elements.
// A plain value: copying copies the bytes. Not thread-safe for concurrent mutation.
class Tensor {
 public:
  // A scalar F32 zero.
  Tensor();
  // Takes ownership of `bytes`. Throws cairn::Error if a dimension is negative,
  // the element count overflows, or the byte count does not match.
  Tensor(DType dtype, std::vector<int64_t> shape, std::vector<std::byte> bytes);

  // Copies `values` into a new tensor of the matching dtype. Throws cairn::Error
  // if product(shape) != values.size() or a dimension is negative. Allocates.
  template <typename T>
  static Tensor from_values(std::span<const T> values, std::vector<int64_t> shape) {
    std::vector<std::byte> bytes(values.size_bytes());
    if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    return Tensor(DTypeOf<T>::value, std::move(shape), std::move(bytes));
  }
  static Tensor f32(std::span<const float> values, std::vector<int64_t> shape) {
    return from_values(values, std::move(shape));
  }
  static Tensor f64(std::span<const double> values, std::vector<int64_t> shape) {
    return from_values(values, std::move(shape));
  }
  static Tensor i64(std::span<const int64_t> values, std::vector<int64_t> shape) {
    return from_values(values, std::move(shape));
  }
  static Tensor u8(std::span<const uint8_t> values, std::vector<int64_t> shape) {
    return from_values(values, std::move(shape));
  }

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  // Number of elements (product of the shape; 1 for a scalar).
  int64_t numel() const { return numel_; }
  std::span<const std::byte> bytes() const { return bytes_; }
  // Writable view of the element bytes (the size cannot change, so the invariant holds).
  std::span<std::byte> mutable_bytes() { return bytes_; }

  // Copies the elements into `out`. Throws cairn::Error if the dtype is not
  // DTypeOf<T> or out.size() != numel(). Does not allocate beyond the message.
  template <typename T>
  void copy_to(std::span<T> out) const {
    check_access(DTypeOf<T>::value, out.size());
    if (!bytes_.empty()) std::memcpy(out.data(), bytes_.data(), bytes_.size());
  }
  // The elements as a vector. Throws cairn::Error if the dtype is not DTypeOf<T>. Allocates.
  template <typename T>
  std::vector<T> to_vector() const {
    std::vector<T> out(static_cast<size_t>(numel_));
    copy_to(std::span<T>(out));
    return out;
  }

  bool operator==(const Tensor& other) const = default;

 private:
  void check_access(DType requested, size_t out_size) const;

  DType dtype_ = DType::f32;
  std::vector<int64_t> shape_;
  int64_t numel_ = 1;
  std::vector<std::byte> bytes_;
};

// "[2, 3]" for messages; shapes of more than 16 dimensions are abbreviated. Allocates.
std::string shape_string(std::span<const int64_t> shape);

// Named tensors plus string metadata: the contents of one safetensors file.
//
// Tensors iterate in name order (byte-wise). `source` names the file the dict
// came from (or is meant for) and prefixes every error message. A plain value;
// not thread-safe for concurrent mutation.
class TensorDict {
 public:
  using Map = std::map<std::string, Tensor, std::less<>>;
  using Metadata = std::map<std::string, std::string, std::less<>>;

  TensorDict() = default;
  explicit TensorDict(std::string source) : source_(std::move(source)) {}

  const std::string& source() const { return source_; }
  void set_source(std::string source) { source_ = std::move(source); }

  // Adds a tensor. Throws cairn::Error if `name` is already present, is
  // "__metadata__" (reserved by the format) or is not valid UTF-8.
  void insert(std::string name, Tensor tensor);
  // Adds or replaces a tensor. Same name checks as insert().
  void insert_or_assign(std::string name, Tensor tensor);
  // Removes a tensor; returns whether it was present.
  bool erase(std::string_view name);

  bool contains(std::string_view name) const { return tensors_.find(name) != tensors_.end(); }
  // Throws cairn::Error naming the source and the missing tensor.
  const Tensor& at(std::string_view name) const;
  // The tensor `name`, which must exist with exactly `dtype` and `shape`. Throws
  // cairn::Error "<source>: missing tensor 'x'", "...: tensor 'x' has dtype F64,
  // expected F32" or "...: tensor 'x' has shape [4], expected [64]".
  const Tensor& expect(std::string_view name, DType dtype, const std::vector<int64_t>& shape) const;
  Tensor& at(std::string_view name);
  // at(name).to_vector<T>(), with errors naming the source and tensor. Allocates.
  template <typename T>
  std::vector<T> values(std::string_view name) const {
    std::vector<T> out(static_cast<size_t>(at(name).numel()));
    copy_to(name, std::span<T>(out));
    return out;
  }
  // at(name).copy_to(out), with errors naming the source and tensor.
  template <typename T>
  void copy_to(std::string_view name, std::span<T> out) const {
    check_access(name, DTypeOf<T>::value, out.size());
    at(name).copy_to(out);
  }

  size_t size() const { return tensors_.size(); }
  bool empty() const { return tensors_.empty(); }
  Map::const_iterator begin() const { return tensors_.begin(); }
  Map::const_iterator end() const { return tensors_.end(); }
  const Map& tensors() const { return tensors_; }

  // Free-form string metadata ("__metadata__"). Keys and values must be valid
  // UTF-8 when written.
  const Metadata& metadata() const { return metadata_; }
  Metadata& metadata() { return metadata_; }

  // Equal tensors and metadata; the source is not compared.
  bool operator==(const TensorDict& other) const {
    return tensors_ == other.tensors_ && metadata_ == other.metadata_;
  }

 private:
  void check_name(const std::string& name) const;
  void check_access(std::string_view name, DType requested, size_t out_size) const;

  std::string source_;
  Map tensors_;
  Metadata metadata_;
};

// The reference implementation's limit on the JSON header, which we share.
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

// The complete file contents for `dict`. Throws cairn::Error (prefixed with
// dict.source()) if a name or metadata string is not valid UTF-8 or the header
// would exceed kSafetensorsMaxHeaderBytes. Allocates the whole file in memory.
std::vector<std::byte> serialize_safetensors(const TensorDict& dict);

// Writes `dict` to `path` atomically (see cairn/io/atomic_file.h), streaming tensor
// bytes without building the file in memory. Throws cairn::Error as
// serialize_safetensors does (messages name `path`) or on any I/O failure, in
// which case `path` keeps its previous contents.
void write_safetensors(const std::filesystem::path& path, const TensorDict& dict);

// Parses a complete safetensors file held in `bytes`. `source` names it in error
// messages and becomes the result's source(). Throws cairn::Error on any
// malformation (see the top of this header); never reads outside `bytes`.
// Allocates the result (tensor bytes are copied).
TensorDict parse_safetensors(std::span<const std::byte> bytes, std::string_view source);

// Reads and parses the file at `path`. The header is validated against the file
// size before any tensor data is read, and tensor bytes are read straight into
// their tensors (peak memory is about the file size). Throws cairn::Error naming
// `path` if the file cannot be read or is malformed.
TensorDict read_safetensors(const std::filesystem::path& path);

}  // namespace cairn
