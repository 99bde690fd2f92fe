#include "cairn/io/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <numbers>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cairn/io/atomic_file.h"
#include "cairn/error.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_io::ScratchDir;

constexpr const char* kSource = "model.safetensors";

std::vector<std::byte> to_bytes(std::string_view text) {
  const auto span = std::as_bytes(std::span(text));
  return {span.begin(), span.end()};
}

// A file with the given header text and `buffer_size` data bytes (a counting
// pattern); the length field is the header's size unless overridden.
std::vector<std::byte> make_file(std::string_view header, size_t buffer_size,
                                 std::optional<uint64_t> length = std::nullopt) {
  const uint64_t n = length.value_or(header.size());
  std::vector<std::byte> out(8);
  std::memcpy(out.data(), &n, 8);
  const auto text = to_bytes(header);
  out.insert(out.end(), text.begin(), text.end());
  for (size_t i = 0; i < buffer_size; ++i) out.push_back(static_cast<std::byte>(i * 7 + 1));
  return out;
}

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no cairn::Error thrown>";
}

// Parsing must throw cairn::Error whose message names the file and contains every part.
void expect_rejected(const std::vector<std::byte>& file, std::initializer_list<std::string> parts) {
  const std::string message = message_of([&] { parse_safetensors(file, kSource); });
  EXPECT_TRUE(message.starts_with(std::string(kSource) + ": ")) << message;
  for (const std::string& part : parts) {
    EXPECT_NE(message.find(part), std::string::npos)
        << "'" << message << "' lacks '" << part << "'";
  }
}

void expect_rejected(std::string_view header, size_t buffer_size,
                     std::initializer_list<std::string> parts) {
  SCOPED_TRACE(std::string(header));
  expect_rejected(make_file(header, buffer_size), parts);
}

template <typename T>
std::vector<std::byte> raw(std::initializer_list<T> values) {
  std::vector<std::byte> out(values.size() * sizeof(T));
  std::memcpy(out.data(), std::data(values), out.size());
  return out;
}

// One tensor of every dtype, scalars and zero-size shapes included.
TensorDict every_dtype() {
  TensorDict dict;
  const std::vector<float> f32 = {0.5f, -1.25f, 3.0e38f, -0.0f, 1.0e-45f, 7.0f};
  dict.insert("f32", Tensor::f32(f32, {2, 3}));
  const double pi = std::numbers::pi;
  dict.insert("f64_scalar", Tensor::f64(std::span(&pi, 1), {}));
  const std::vector<int64_t> i64 = {std::numeric_limits<int64_t>::min(), -1, 0,
                                    std::numeric_limits<int64_t>::max()};
  dict.insert("i64", Tensor::i64(i64, {4, 1}));
  const std::vector<uint8_t> u8 = {0, 1, 254, 255};
  dict.insert("u8", Tensor::u8(u8, {2, 2}));
  dict.insert("f32_empty", Tensor::f32({}, {0, 3}));
  dict.insert("i64_empty", Tensor::i64({}, {5, 0, 2}));
  const std::vector<int32_t> i32 = {-7, 8};
  dict.insert("i32", Tensor::from_values<int32_t>(i32, {2}));
  const std::vector<uint64_t> u64 = {std::numeric_limits<uint64_t>::max()};
  dict.insert("u64", Tensor::from_values<uint64_t>(u64, {1}));
  const std::vector<int8_t> i8 = {-128, 127, 0};
  dict.insert("i8", Tensor::from_values<int8_t>(i8, {3}));
  const std::vector<int16_t> i16 = {-32768, 32767};
  dict.insert("i16", Tensor::from_values<int16_t>(i16, {1, 2}));
  const std::vector<uint16_t> u16 = {65535};
  dict.insert("u16", Tensor::from_values<uint16_t>(u16, {}));
  const std::vector<uint32_t> u32 = {4000000000u, 1u};
  dict.insert("u32", Tensor::from_values<uint32_t>(u32, {2}));
  dict.insert("bool", Tensor(DType::boolean, {3}, raw<uint8_t>({1, 0, 1})));
  dict.insert("f16", Tensor(DType::f16, {2}, raw<uint16_t>({0x3c00, 0xc000})));
  dict.insert("bf16", Tensor(DType::bf16, {1}, raw<uint16_t>({0x3f80})));
  dict.insert("f8_e4m3", Tensor(DType::f8_e4m3, {1}, raw<uint8_t>({0x38})));
  dict.insert("f8_e5m2", Tensor(DType::f8_e5m2, {1}, raw<uint8_t>({0x3c})));
  dict.metadata()["format"] = "cairn";
  dict.metadata()["text"] = "caf\xC3\xA9 \xE2\x9C\x93 \"quoted\" \\ \n";
  dict.metadata()["empty"] = "";
  return dict;
}

TEST(Safetensors, EveryDtypeRoundTripsThroughBytes) {
  const TensorDict original = every_dtype();
  const TensorDict parsed = parse_safetensors(serialize_safetensors(original), kSource);
  EXPECT_EQ(parsed, original);
  EXPECT_EQ(parsed.source(), kSource);
  EXPECT_EQ(parsed.at("f64_scalar").shape(), std::vector<int64_t>{});
  EXPECT_EQ(parsed.at("f64_scalar").numel(), 1);
  EXPECT_EQ(parsed.values<double>("f64_scalar"), std::vector<double>{std::numbers::pi});
  EXPECT_EQ(parsed.at("i64_empty").numel(), 0);
  EXPECT_EQ(parsed.values<int64_t>("i64")[0], std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(std::signbit(parsed.values<float>("f32")[3]));
  EXPECT_EQ(parsed.metadata().at("text"), original.metadata().at("text"));
}

TEST(Safetensors, EveryDtypeRoundTripsThroughAFile) {
  ScratchDir dir;
  const fs::path path = dir / "weights.safetensors";
  const TensorDict original = every_dtype();
  write_safetensors(path, original);
  const TensorDict loaded = read_safetensors(path);
  EXPECT_EQ(loaded, original);
  EXPECT_EQ(loaded.source(), path.string());
  // The streamed file is byte-identical to the in-memory serialization.
  EXPECT_EQ(read_file(path), serialize_safetensors(original));
}

TEST(Safetensors, EmptyDictRoundTrips) {
  const TensorDict empty;
  const auto bytes = serialize_safetensors(empty);
  EXPECT_EQ(parse_safetensors(bytes, kSource), empty);
}

// Byte-exact outputs published in the reference implementation's tests
// (huggingface/safetensors, safetensors/src/tensor.rs: test_serialization,
// test_empty, test_serialization_forced_alignement).
TEST(Safetensors, WriterMatchesReferenceImplementationBytes) {
  const std::vector<float> values = {0, 1, 2, 3, 4, 5};
  {
    TensorDict dict;
    dict.insert("attn.0", Tensor::f32(values, {1, 2, 3}));
    const std::vector<uint8_t> expected = {
        64, 0,  0,   0,   0,   0,   0,   0,   123, 34,  97,  116, 116, 110, 46,  48,
        34, 58, 123, 34,  100, 116, 121, 112, 101, 34,  58,  34,  70,  51,  50,  34,
        44, 34, 115, 104, 97,  112, 101, 34,  58,  91,  49,  44,  50,  44,  51,  93,
        44, 34, 100, 97,  116, 97,  95,  111, 102, 102, 115, 101, 116, 115, 34,  58,
        91, 48, 44,  50,  52,  93,  125, 125, 0,   0,   0,   0,   0,   0,   128, 63,
        0,  0,  0,   64,  0,   0,   64,  64,  0,   0,   128, 64,  0,   0,   160, 64};
    const auto out = serialize_safetensors(dict);
    EXPECT_EQ(std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(out.data()),
                                   reinterpret_cast<const uint8_t*>(out.data()) + out.size()),
              expected);
  }
  {
    TensorDict dict;
    dict.insert("attn0", Tensor::f32(values, {1, 1, 2, 3}));
    const std::vector<uint8_t> expected = {
        72,  0,   0,   0,   0,   0,   0,   0,   123, 34, 97, 116, 116, 110, 48,  34,  58,  123,
        34,  100, 116, 121, 112, 101, 34,  58,  34,  70, 51, 50,  34,  44,  34,  115, 104, 97,
        112, 101, 34,  58,  91,  49,  44,  49,  44,  50, 44, 51,  93,  44,  34,  100, 97,  116,
        97,  95,  111, 102, 102, 115, 101, 116, 115, 34, 58, 91,  48,  44,  50,  52,  93,  125,
        125, 32,  32,  32,  32,  32,  32,  32,  0,   0,  0,  0,   0,   0,   128, 63,  0,   0,
        0,   64,  0,   0,   64,  64,  0,   0,   128, 64, 0,  0,   160, 64};
    const auto out = serialize_safetensors(dict);
    EXPECT_EQ(std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(out.data()),
                                   reinterpret_cast<const uint8_t*>(out.data()) + out.size()),
              expected);
  }
  {
    const std::vector<uint8_t> expected = {8,   0,   0,  0,  0,  0,  0,  0,
                                           123, 125, 32, 32, 32, 32, 32, 32};
    const auto out = serialize_safetensors(TensorDict());
    EXPECT_EQ(std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(out.data()),
                                   reinterpret_cast<const uint8_t*>(out.data()) + out.size()),
              expected);
  }
  {
    TensorDict dict;
    dict.metadata()["framework"] = "pt";
    const std::vector<uint8_t> expected = {
        40,  0,   0,   0,  0,  0,  0,   0,   123, 34,  95,  95,  109, 101, 116, 97,
        100, 97,  116, 97, 95, 95, 34,  58,  123, 34,  102, 114, 97,  109, 101, 119,
        111, 114, 107, 34, 58, 34, 112, 116, 34,  125, 125, 32,  32,  32,  32,  32};
    const auto out = serialize_safetensors(dict);
    EXPECT_EQ(std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(out.data()),
                                   reinterpret_cast<const uint8_t*>(out.data()) + out.size()),
              expected);
  }
}

// Inputs the reference implementation's tests accept (test_deserialization,
// test_empty_shapes_allowed, test_zero_sized_tensor, test_whitespace_padded_header).
TEST(Safetensors, ReaderAcceptsReferenceImplementationExamples) {
  {
    const auto file =
        make_file(R"({"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}})", 16);
    const TensorDict dict = parse_safetensors(file, kSource);
    ASSERT_EQ(dict.size(), 1u);
    EXPECT_EQ(dict.at("test").dtype(), DType::i32);
    EXPECT_EQ(dict.at("test").shape(), (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(
        std::vector<std::byte>(dict.at("test").bytes().begin(), dict.at("test").bytes().end()),
        std::vector<std::byte>(file.end() - 16, file.end()));
  }
  {
    const TensorDict dict = parse_safetensors(
        make_file(R"({"test":{"dtype":"I32","shape":[],"data_offsets":[0,4]}})", 4), kSource);
    EXPECT_TRUE(dict.at("test").shape().empty());
    EXPECT_EQ(dict.at("test").numel(), 1);
  }
  {
    const TensorDict dict = parse_safetensors(
        make_file(R"({"test":{"dtype":"I32","shape":[2,0],"data_offsets":[0, 0]}})", 0), kSource);
    EXPECT_EQ(dict.at("test").numel(), 0);
    EXPECT_TRUE(dict.at("test").bytes().empty());
  }
  EXPECT_TRUE(parse_safetensors(make_file("{}\r \t\n", 0), kSource).empty());
}

TEST(Safetensors, ReaderAcceptsAnyOffsetOrderAndNullMetadata) {
  const TensorDict dict = parse_safetensors(
      make_file(R"({"b":{"dtype":"U8","shape":[2],"data_offsets":[3,5]},)"
                R"("__metadata__":null,"z":{"dtype":"U8","shape":[0],"data_offsets":[3,3]},)"
                R"("a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}})",
                5),
      kSource);
  EXPECT_EQ(dict.values<uint8_t>("a"), (std::vector<uint8_t>{1, 8, 15}));
  EXPECT_EQ(dict.values<uint8_t>("b"), (std::vector<uint8_t>{22, 29}));
  EXPECT_TRUE(dict.metadata().empty());
}

TEST(Safetensors, LayoutIsWidestDtypeFirstThenByNameAndAligned) {
  const std::vector<std::byte> bytes = serialize_safetensors(every_dtype());
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  const auto header = nlohmann::ordered_json::parse(
      std::string_view(reinterpret_cast<const char*>(bytes.data()) + 8, n));
  std::vector<std::string> keys;
  for (const auto& [key, value] : header.items()) keys.push_back(key);
  const std::vector<std::string> expected = {
      "__metadata__", "u64",     "i64",     "i64_empty", "f64_scalar", "f32",
      "f32_empty",    "u32",     "i32",     "bf16",      "f16",        "u16",
      "i16",          "f8_e4m3", "f8_e5m2", "i8",        "u8",         "bool"};
  EXPECT_EQ(keys, expected);
  uint64_t previous_end = 0;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") continue;
    const auto begin = value["data_offsets"][0].get<uint64_t>();
    EXPECT_EQ(begin, previous_end) << key;
    EXPECT_EQ(begin % dtype_size(*dtype_from_name(value["dtype"].get<std::string>())), 0u) << key;
    previous_end = value["data_offsets"][1].get<uint64_t>();
  }
}

TEST(Safetensors, DtypeNamesRoundTrip) {
  for (int i = 0; i < 15; ++i) {
    const auto dtype = static_cast<DType>(i);
    EXPECT_EQ(dtype_from_name(dtype_name(dtype)), dtype) << i;
  }
  EXPECT_EQ(dtype_from_name("f32"), std::nullopt);  // names are case-sensitive
  EXPECT_EQ(dtype_size(DType::f64), 8u);
  EXPECT_EQ(dtype_size(DType::bf16), 2u);
}

// ----- Untrusted input -----------------------------------------------------

const std::string kGood = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";

TEST(SafetensorsMalformed, FileTooShortForTheLengthField) {
  expect_rejected(to_bytes(""), {"0 bytes", "too short"});
  expect_rejected(to_bytes("\x01\x02\x03"), {"3 bytes", "too short"});
}

TEST(SafetensorsMalformed, HeaderLengthAbsurdOrPastTheEnd) {
  // The reference's test_header_too_large: length bytes 3c 00 00 00 00 ff ff ff.
  expect_rejected(make_file(kGood, 8, 0xffffff000000003cULL),
                  {"header length", "exceeds the limit"});
  expect_rejected(make_file(kGood, 8, 100'000'001), {"100000001", "exceeds the limit"});
  expect_rejected(make_file(kGood, 8, kGood.size() + 9), {"runs past the end of the file"});
  expect_rejected(make_file("", 0, 60),
                  {"header length 60", "runs past the end of the file (8 bytes)"});
}

TEST(SafetensorsMalformed, HeaderNotUtf8) {
  expect_rejected(make_file("\xff", 0), {"not valid UTF-8", "byte 0"});
  expect_rejected(make_file("{\"w\xC0\xAF\":1}", 0),
                  {"not valid UTF-8", "byte 3"});                                  // overlong '/'
  expect_rejected(make_file("{\"\xED\xA0\x80\":1}", 0), {"not valid UTF-8"});      // surrogate
  expect_rejected(make_file("{\"\xF4\x90\x80\x80\":1}", 0), {"not valid UTF-8"});  // > U+10FFFF
  expect_rejected(make_file("{\"\xE2\x9C\":1}", 0), {"not valid UTF-8"});          // truncated
  expect_rejected(make_file("\xEF\xBB\xBF{}", 0), {"byte-order mark"});
}

TEST(SafetensorsMalformed, HeaderNotJson) {
  expect_rejected("{", 0, {"malformed JSON"});
  expect_rejected("", 0, {"malformed JSON"});
  expect_rejected("{} x", 0, {"malformed JSON"});
  expect_rejected(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},})", 8,
                  {"malformed JSON"});
  expect_rejected("{\"a\":NaN}", 0, {"malformed JSON"});
  expect_rejected("{} /* comment */", 0, {"malformed JSON"});
  expect_rejected(std::string(100, '[') + std::string(100, ']'), 0, {"nested more than"});
}

TEST(SafetensorsMalformed, HeaderNotAnObject) {
  expect_rejected("[]", 0, {"header must be a JSON object", "array"});
  expect_rejected("\"text\"", 0, {"header must be a JSON object", "string"});
  expect_rejected("12", 0, {"header must be a JSON object", "integer"});
  expect_rejected("null", 0, {"header must be a JSON object", "null"});
}

TEST(SafetensorsMalformed, DuplicateNames) {
  // nlohmann would silently keep the second "w"; two readers could then disagree.
  expect_rejected(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                  R"("w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                  2, {"duplicate key 'w'"});
  expect_rejected(R"({"w":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}})", 1,
                  {"duplicate key 'dtype'", "'w'"});
  expect_rejected(R"({"__metadata__":{"k":"a","k":"b"}})", 0,
                  {"duplicate key 'k'", "'__metadata__'"});
  expect_rejected(R"({"__metadata__":{},"__metadata__":{}})", 0, {"duplicate key '__metadata__'"});
  // Same name spelled with an escape is still the same key.
  expect_rejected(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                  R"("\u0077":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                  2, {"duplicate key 'w'"});
}

TEST(SafetensorsMalformed, BadTensorEntries) {
  expect_rejected(R"({"w":[1,2]})", 0, {"tensor 'w'", "must be a JSON object", "array"});
  expect_rejected(R"({"w":{"shape":[2],"data_offsets":[0,8]}})", 8,
                  {"tensor 'w'", "missing field 'dtype'"});
  expect_rejected(R"({"w":{"dtype":"F32","data_offsets":[0,8]}})", 8,
                  {"tensor 'w'", "missing field 'shape'"});
  expect_rejected(R"({"w":{"dtype":"F32","shape":[2]}})", 8,
                  {"tensor 'w'", "missing field 'data_offsets'"});
  expect_rejected(R"({"w":{"dtype":"F32","shape":[2],"offsets":[0,8]}})", 8,
                  {"tensor 'w'", "unexpected field 'offsets'"});
  expect_rejected(R"({"w":{"dtype":7,"shape":[2],"data_offsets":[0,8]}})", 8,
                  {"tensor 'w'", "dtype must be a string"});
}

TEST(SafetensorsMalformed, UnknownDtype) {
  expect_rejected(R"({"w":{"dtype":"F128","shape":[2],"data_offsets":[0,8]}})", 8,
                  {"tensor 'w'", "unknown dtype 'F128'"});
  expect_rejected(R"({"w":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}})", 8,
                  {"tensor 'w'", "unknown dtype 'f32'"});
}

TEST(SafetensorsMalformed, BadShapes) {
  expect_rejected(R"({"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}})", 8,
                  {"tensor 'w'", "negative dimension"});
  expect_rejected(R"({"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", 8,
                  {"tensor 'w'", "must contain integers"});
  expect_rejected(R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", 8,
                  {"tensor 'w'", "shape must be an array"});
  expect_rejected(R"({"w":{"dtype":"F32","shape":[[2]],"data_offsets":[0,8]}})", 8,
                  {"tensor 'w'", "must contain integers"});
  // The reference's test_validation_overflow cases.
  expect_rejected(
      R"({"test":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}})", 16,
      {"tensor 'test'", "overflows"});
  expect_rejected(
      R"({"test":{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}})", 16,
      {"tensor 'test'", "overflows"});
  expect_rejected(R"({"t":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,16]}})",
                  16, {"tensor 't'", "overflows"});
  // A product that fits in int64 elements but overflows once multiplied by the dtype size.
  expect_rejected(R"({"t":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,16]}})",
                  16, {"tensor 't'", "overflows"});
  // Beyond uint64: parsed as a floating-point number, so not an integer.
  expect_rejected(R"({"t":{"dtype":"U8","shape":[18446744073709551616],"data_offsets":[0,1]}})", 1,
                  {"tensor 't'", "must contain integers"});
}

TEST(SafetensorsMalformed, ShapeDisagreesWithByteLength) {
  // The reference's test_invalid_info.
  expect_rejected(R"({"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0, 4]}})", 4,
                  {"tensor 'test'", "shape [2, 2] with dtype I32 needs 16 bytes",
                   "data_offsets [0, 4] hold 4"});
  expect_rejected(R"({"s":{"dtype":"F64","shape":[],"data_offsets":[0,4]}})", 4,
                  {"tensor 's'", "needs 8 bytes"});
  expect_rejected(R"({"z":{"dtype":"F32","shape":[3,0],"data_offsets":[0,4]}})", 4,
                  {"tensor 'z'", "needs 0 bytes"});
}

TEST(SafetensorsMalformed, BadOffsets) {
  expect_rejected(R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}})", 8,
                  {"tensor 'w'", "[8, 0]", "begin > end"});
  expect_rejected(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4,
                  {"tensor 'w'", "[0, 8]", "past the end of the data buffer (4 bytes)"});
  expect_rejected(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[18446744073709551615,0]}})", 0,
                  {"tensor 'w'", "begin > end"});
  expect_rejected(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0]}})", 1,
                  {"tensor 'w'", "data_offsets must be [begin, end]"});
  expect_rejected(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}})", 1,
                  {"tensor 'w'", "data_offsets must be [begin, end]"});
  expect_rejected(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":{"b":0}}})", 1,
                  {"tensor 'w'", "data_offsets must be [begin, end]"});
  expect_rejected(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}})", 1,
                  {"tensor 'w'", "non-negative integers"});
  expect_rejected(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1.0]}})", 1,
                  {"tensor 'w'", "non-negative integers"});
}

TEST(SafetensorsMalformed, OverlapsAndGaps) {
  expect_rejected(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                  R"("b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})",
                  6, {"tensor 'b'", "[2, 6]", "overlap tensor 'a' [0, 4]"});
  // Two names for the same bytes (the reference's test_json_attack).
  expect_rejected(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                  R"("b":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})",
                  4, {"tensor 'b'", "overlap tensor 'a'"});
  // A zero-size tensor inside another tensor's bytes.
  expect_rejected(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                  R"("z":{"dtype":"U8","shape":[0],"data_offsets":[2,2]}})",
                  4, {"tensor 'z'", "overlap tensor 'a'"});
  expect_rejected(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                  R"("b":{"dtype":"U8","shape":[2],"data_offsets":[3,5]}})",
                  5, {"tensor 'b'", "[3, 5]", "gap after tensor 'a' [0, 2]"});
  expect_rejected(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}})", 3,
                  {"tensor 'a'", "gap", "first 1 bytes belong to no tensor"});
}

TEST(SafetensorsMalformed, BufferNotCoveredExactly) {
  // The reference's test_metadata_incomplete_buffer: trailing bytes, then missing bytes.
  const std::string header = R"({"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}})";
  expect_rejected(header, 16 + 34, {"tensors cover 16 bytes but the data buffer has 50"});
  expect_rejected(header, 14, {"tensor 'test'", "past the end of the data buffer (14 bytes)"});
  expect_rejected("{}", 3, {"tensors cover 0 bytes but the data buffer has 3"});
}

TEST(SafetensorsMalformed, MetadataNotStringToString) {
  expect_rejected(R"({"__metadata__":{"epoch":3}})", 0,
                  {"__metadata__ key 'epoch' must map to a string", "integer"});
  expect_rejected(R"({"__metadata__":{"x":{"y":"z"}}})", 0,
                  {"__metadata__ key 'x' must map to a string", "object"});
  expect_rejected(R"({"__metadata__":{"x":null}})", 0, {"__metadata__ key 'x'", "null"});
  expect_rejected(R"({"__metadata__":["a"]})", 0, {"__metadata__ must be a JSON object", "array"});
  expect_rejected(R"({"__metadata__":"a"})", 0, {"__metadata__ must be a JSON object", "string"});
}

TEST(SafetensorsMalformed, HostileSizesDoNotFloodMessages) {
  const std::string long_name(1 << 20, 'n');
  const std::string header =
      "{\"" + long_name + R"(":{"dtype":"F32","shape":[1],"data_offsets":[0,1]}})";
  const std::string message = message_of([&] { parse_safetensors(make_file(header, 1), kSource); });
  EXPECT_LT(message.size(), 1000u) << message.substr(0, 1000);
  EXPECT_NE(message.find("nnn..."), std::string::npos);

  std::string many_dims = R"({"w":{"dtype":"U8","shape":[)";
  for (int i = 0; i < 100000; ++i) many_dims += "1,";
  many_dims += R"(2],"data_offsets":[0,1]}})";
  const std::string dims_message =
      message_of([&] { parse_safetensors(make_file(many_dims, 1), kSource); });
  EXPECT_LT(dims_message.size(), 1000u) << dims_message.substr(0, 1000);
  EXPECT_NE(dims_message.find("100001 dimensions"), std::string::npos) << dims_message;
}

TEST(SafetensorsMalformed, EveryTruncationIsRejectedCleanly) {
  const std::vector<std::byte> good = serialize_safetensors(every_dtype());
  for (size_t n = 0; n < good.size(); ++n) {
    const std::vector<std::byte> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    const std::string message = message_of([&] { parse_safetensors(cut, kSource); });
    ASSERT_TRUE(message.starts_with(std::string(kSource) + ": ")) << n << ": " << message;
  }
}

TEST(SafetensorsMalformed, SingleByteCorruptionsParseOrThrowCairnError) {
  const std::vector<std::byte> good = serialize_safetensors(every_dtype());
  size_t rejected = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (int flip : {0x01, 0x80, 0xFF}) {
      std::vector<std::byte> bad = good;
      bad[i] ^= static_cast<std::byte>(flip);
      try {
        parse_safetensors(bad, kSource);
      } catch (const Error& e) {
        ASSERT_TRUE(std::string(e.what()).starts_with(kSource)) << e.what();
        ++rejected;
      }
    }
  }
  EXPECT_GT(rejected, 0u);
}

TEST(SafetensorsMalformed, FileErrorsNameThePath) {
  ScratchDir dir;
  const fs::path missing = dir / "missing.safetensors";
  const std::string message = message_of([&] { read_safetensors(missing); });
  EXPECT_NE(message.find(missing.string()), std::string::npos) << message;
  EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;

  const fs::path bad = dir / "bad.safetensors";
  write_file_atomically(bad,
                        make_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8));
  const std::string bad_message = message_of([&] { read_safetensors(bad); });
  EXPECT_TRUE(bad_message.starts_with(bad.string() + ": ")) << bad_message;
  EXPECT_NE(bad_message.find("tensor 'w'"), std::string::npos) << bad_message;

  const fs::path huge = dir / "huge.safetensors";
  write_file_atomically(huge, make_file(kGood, 8, 1'000'000));
  EXPECT_NE(message_of([&] { read_safetensors(huge); }).find("runs past the end of the file"),
            std::string::npos);

  const fs::path tiny = dir / "tiny.safetensors";
  write_file_atomically(tiny, std::string_view("abc"));
  EXPECT_NE(message_of([&] { read_safetensors(tiny); }).find("too short"), std::string::npos);
}

// ----- Building and writing --------------------------------------------------

TEST(Safetensors, TensorConstructionIsChecked) {
  EXPECT_NE(message_of([] {
              Tensor(DType::f32, {2, 2}, std::vector<std::byte>(15));
            }).find("needs 16 bytes, got 15"),
            std::string::npos);
  EXPECT_NE(message_of([] { Tensor(DType::u8, {-1}, {}); }).find("negative dimension"),
            std::string::npos);
  EXPECT_NE(message_of([] {
              Tensor(DType::u8, {int64_t{1} << 62, 8}, {});
            }).find("overflows"),
            std::string::npos);
  const std::vector<float> five(5);
  EXPECT_NE(message_of([&] {
              Tensor::f32(five, {2, 3});
            }).find("needs 24 bytes, got 20"),
            std::string::npos);
  EXPECT_EQ(Tensor().numel(), 1);
  EXPECT_EQ(Tensor().to_vector<float>(), std::vector<float>{0.0f});
}

TEST(Safetensors, TypedAccessErrorsNameTheFileAndTensor) {
  TensorDict dict("policy/weights.safetensors");
  const std::vector<double> values = {1, 2, 3};
  dict.insert("pi.weight", Tensor::f64(values, {3}));
  EXPECT_EQ(dict.values<double>("pi.weight"), values);
  std::string message = message_of([&] { dict.values<float>("pi.weight"); });
  EXPECT_NE(message.find("policy/weights.safetensors: tensor 'pi.weight' has dtype F64, not F32"),
            std::string::npos)
      << message;
  message = message_of([&] { dict.at("vf.weight"); });
  EXPECT_NE(message.find("policy/weights.safetensors: no tensor named 'vf.weight'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("'pi.weight'"), std::string::npos) << message;
  std::vector<double> wrong_size(2);
  message = message_of([&] { dict.copy_to<double>("pi.weight", wrong_size); });
  EXPECT_NE(message.find("has 3 elements but the output holds 2"), std::string::npos) << message;
}

TEST(Safetensors, InvalidNamesAreRefused) {
  TensorDict dict("out.safetensors");
  EXPECT_NE(message_of([&] { dict.insert("__metadata__", Tensor()); }).find("reserved"),
            std::string::npos);
  EXPECT_NE(message_of([&] { dict.insert("bad\xff", Tensor()); }).find("not valid UTF-8"),
            std::string::npos);
  dict.insert("x", Tensor());
  EXPECT_NE(message_of([&] { dict.insert("x", Tensor()); }).find("duplicate tensor name 'x'"),
            std::string::npos);
  dict.insert_or_assign("x", Tensor::f64(std::vector<double>{2.0}, {}));
  EXPECT_EQ(dict.at("x").dtype(), DType::f64);
  EXPECT_TRUE(dict.erase("x"));
  EXPECT_FALSE(dict.erase("x"));

  dict.metadata()["k"] = "bad\xC3";
  EXPECT_NE(message_of([&] {
              serialize_safetensors(dict);
            }).find("out.safetensors: __metadata__ value of key 'k' is not valid UTF-8"),
            std::string::npos);
}

TEST(Safetensors, WriteFailuresLeaveNothingBehind) {
  ScratchDir dir;
  const fs::path path = dir / "weights.safetensors";
  TensorDict dict;
  dict.insert("w", Tensor::f32(std::vector<float>{1, 2}, {2}));
  write_safetensors(path, dict);

  TensorDict invalid = dict;
  invalid.insert_or_assign("w", Tensor::f32(std::vector<float>{9, 9, 9}, {3}));
  invalid.metadata()["k"] = "\xff";
  const std::string message = message_of([&] { write_safetensors(path, invalid); });
  EXPECT_TRUE(message.starts_with(path.string() + ": ")) << message;
  EXPECT_EQ(read_safetensors(path), dict);  // old file intact
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);

  const fs::path nowhere = dir / "missing" / "weights.safetensors";
  EXPECT_NE(message_of([&] { write_safetensors(nowhere, dict); }).find(nowhere.string()),
            std::string::npos);
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

// The fuzzer's committed seeds (fuzz/make_safetensors_corpus.py) are what they
// claim to be: valid ones parse, near-misses are rejected with cairn::Error.
TEST(SafetensorsFuzzSeeds, ParseAsIntended) {
  const std::filesystem::path corpus = CAIRN_SOURCE_DIR "/fuzz/corpus/safetensors";
  const std::set<std::string> invalid = {
      "overlap",        "gap", "duplicate", "bad_dtype", "overflow_shape", "trailing_bytes",
      "length_past_end"};
  size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    const std::string stem = entry.path().stem().string();
    SCOPED_TRACE(stem);
    ++seen;
    if (invalid.contains(stem)) {
      EXPECT_THROW(read_safetensors(entry.path()), Error);
    } else {
      const TensorDict dict = read_safetensors(entry.path());
      EXPECT_EQ(parse_safetensors(serialize_safetensors(dict), "again"), dict);
    }
  }
  EXPECT_GE(seen, 14u);
}

}  // namespace
}  // namespace cairn
