// Interoperability with an independent implementation: tests/io/safetensors_interop.py
// reads what cairn writes (json + numpy.frombuffer) and writes files cairn must read.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/io/atomic_file.h"
#include "cairn/io/safetensors.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kPython = "/usr/bin/python3";

bool numpy_available() {
  const std::string command = std::string(kPython) + " -c 'import numpy' > /dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

// Runs the interop script; returns its exit status and puts its output in `output`.
int run_script(const std::string& mode, const fs::path& file, const fs::path& expected,
               const fs::path& log, std::string& output) {
  const std::string command =
      std::string(kPython) + " '" CAIRN_SOURCE_DIR "/tests/io/safetensors_interop.py' " + mode +
      " '" + file.string() + "' '" + expected.string() + "' > '" + log.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  output = text.str();
  return status;
}

std::string hex(std::span<const std::byte> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::byte b : bytes) {
    out += kDigits[std::to_integer<int>(b) >> 4];
    out += kDigits[std::to_integer<int>(b) & 0xF];
  }
  return out;
}

TEST(SafetensorsInterop, NumpyReadsWhatCairnWrites) {
  // scripts/test.sh installs python3-numpy: its absence is a failure, never a skip.
  if (!numpy_available()) GTEST_FAIL() << kPython << " cannot import numpy (install python3-numpy)";
  testing_io::ScratchDir dir;

  // The values, kept apart from the tensors so the expectation does not come
  // from cairn's own reader.
  const std::vector<float> f32 = {0.5f, -1.25f, 3.0e38f, -0.0f, 1.0e-45f, 7.0f};
  const std::vector<double> f64 = {3.141592653589793, -1e300};
  const std::vector<int64_t> i64 = {std::numeric_limits<int64_t>::min(), -1, 0,
                                    std::numeric_limits<int64_t>::max()};
  const std::vector<uint8_t> u8 = {0, 1, 254, 255};
  const std::vector<int32_t> i32 = {-7, 8, std::numeric_limits<int32_t>::min()};
  const std::vector<uint64_t> u64 = {std::numeric_limits<uint64_t>::max()};
  const double scalar = -0.125;
  const std::vector<uint8_t> flags = {1, 0, 0};
  const std::vector<uint16_t> bf16_bits = {0x3f80, 0xc000};

  TensorDict dict;
  dict.insert("layer.0.weight", Tensor::f32(f32, {2, 3}));
  dict.insert("f64", Tensor::f64(f64, {2, 1}));
  dict.insert("scalar", Tensor::f64(std::span(&scalar, 1), {}));
  dict.insert("i64", Tensor::i64(i64, {4}));
  dict.insert("u8", Tensor::u8(u8, {2, 2}));
  dict.insert("i32", Tensor::from_values<int32_t>(i32, {3}));
  dict.insert("u64", Tensor::from_values<uint64_t>(u64, {1, 1}));
  dict.insert("empty", Tensor::f32({}, {0, 4}));
  std::vector<std::byte> flag_bytes(flags.size());
  std::memcpy(flag_bytes.data(), flags.data(), flags.size());
  dict.insert("flags", Tensor(DType::boolean, {3}, flag_bytes));
  std::vector<std::byte> bf16_bytes(bf16_bits.size() * 2);
  std::memcpy(bf16_bytes.data(), bf16_bits.data(), bf16_bytes.size());
  dict.insert("bf16", Tensor(DType::bf16, {2}, bf16_bytes));
  dict.metadata()["format"] = "cairn";
  dict.metadata()["note"] = "caf\xC3\xA9 \xE2\x9C\x93";

  Json expected;
  expected["metadata"] = {{"format", "cairn"}, {"note", "caf\xC3\xA9 \xE2\x9C\x93"}};
  Json& tensors = expected["tensors"];
  std::vector<double> f32_as_double(f32.begin(), f32.end());
  tensors["layer.0.weight"] = {{"dtype", "F32"}, {"shape", {2, 3}}, {"values", f32_as_double}};
  tensors["f64"] = {{"dtype", "F64"}, {"shape", {2, 1}}, {"values", f64}};
  tensors["scalar"] = {{"dtype", "F64"}, {"shape", Json::array()}, {"values", {scalar}}};
  tensors["i64"] = {{"dtype", "I64"}, {"shape", {4}}, {"values", i64}};
  tensors["u8"] = {{"dtype", "U8"}, {"shape", {2, 2}}, {"values", u8}};
  tensors["i32"] = {{"dtype", "I32"}, {"shape", {3}}, {"values", i32}};
  tensors["u64"] = {{"dtype", "U64"}, {"shape", {1, 1}}, {"values", u64}};
  tensors["empty"] = {{"dtype", "F32"}, {"shape", {0, 4}}, {"values", Json::array()}};
  tensors["flags"] = {{"dtype", "BOOL"}, {"shape", {3}}, {"values", flags}};
  tensors["bf16"] = {{"dtype", "BF16"}, {"shape", {2}}, {"hex", "803f00c0"}};

  const fs::path file = dir / "from_cairn.safetensors";
  const fs::path expectation = dir / "expected.json";
  write_safetensors(file, dict);
  write_file_atomically(expectation, std::string_view(expected.dump()));
  std::string output;
  EXPECT_EQ(run_script("check", file, expectation, dir / "log.txt", output), 0) << output;

  // The checker must be able to fail: a wrong expectation is reported.
  expected["tensors"]["i64"]["values"][1] = -2;
  write_file_atomically(expectation, std::string_view(expected.dump()));
  EXPECT_NE(run_script("check", file, expectation, dir / "log.txt", output), 0);
  EXPECT_NE(output.find("i64: values"), std::string::npos) << output;
}

TEST(SafetensorsInterop, CairnReadsWhatPythonWrites) {
  // scripts/test.sh installs python3-numpy: its absence is a failure, never a skip.
  if (!numpy_available()) GTEST_FAIL() << kPython << " cannot import numpy (install python3-numpy)";
  testing_io::ScratchDir dir;
  const fs::path file = dir / "from_python.safetensors";
  const fs::path expectation = dir / "expected.json";
  std::string output;
  ASSERT_EQ(run_script("write", file, expectation, dir / "log.txt", output), 0) << output;

  const TensorDict dict = read_safetensors(file);
  const std::vector<std::byte> expected_bytes = read_file(expectation);
  const Json expected = Json::parse(std::string_view(
      reinterpret_cast<const char*>(expected_bytes.data()), expected_bytes.size()));

  EXPECT_EQ(dict.metadata(), expected["metadata"].get<TensorDict::Metadata>());
  ASSERT_EQ(dict.size(), expected["tensors"].size());
  for (const auto& [name, want] : expected["tensors"].items()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(dict.contains(name));
    const Tensor& tensor = dict.at(name);
    EXPECT_EQ(dtype_name(tensor.dtype()), want["dtype"].get<std::string>());
    EXPECT_EQ(tensor.shape(), want["shape"].get<std::vector<int64_t>>());
    EXPECT_EQ(hex(tensor.bytes()), want["hex"].get<std::string>());
    const std::string dtype = want["dtype"];
    if (dtype == "F32") {
      std::vector<float> values;
      for (double v : want["values"].get<std::vector<double>>())
        values.push_back(static_cast<float>(v));
      EXPECT_EQ(dict.values<float>(name), values);
    } else if (dtype == "F64") {
      EXPECT_EQ(dict.values<double>(name), want["values"].get<std::vector<double>>());
    } else if (dtype == "I64") {
      EXPECT_EQ(dict.values<int64_t>(name), want["values"].get<std::vector<int64_t>>());
    } else if (dtype == "U8") {
      EXPECT_EQ(dict.values<uint8_t>(name), want["values"].get<std::vector<uint8_t>>());
    } else if (dtype == "U64") {
      EXPECT_EQ(dict.values<uint64_t>(name), want["values"].get<std::vector<uint64_t>>());
    } else if (dtype == "I16") {
      EXPECT_EQ(dict.values<int16_t>(name), want["values"].get<std::vector<int16_t>>());
    } else if (dtype == "I32") {
      EXPECT_EQ(dict.values<int32_t>(name), want["values"].get<std::vector<int32_t>>());
    }
  }
  // Spot checks that do not go through the sidecar file.
  EXPECT_EQ(dict.values<double>("scalar"), std::vector<double>{-2.5});
  EXPECT_EQ(dict.values<int64_t>("counts")[0], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(dict.at("empty").shape(), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(dict.metadata().at("note"),
            "\xC3\xBCnic\xC3\xB6"
            "de \xE2\x9C\x93");

  // cairn's own re-serialization of the Python file reads back identically.
  EXPECT_EQ(parse_safetensors(serialize_safetensors(dict), "again"), dict);
}

}  // namespace
}  // namespace cairn
