// Helpers for tests that tamper with checkpoint files.
#pragma once

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "cairn/io/atomic_file.h"
#include "cairn/io/safetensors.h"
#include "cairn/io/sha256.h"
#include "support/same_bits.h"

namespace cairn::checkpoint_testing {

using testing_support::same_bits;

inline std::string text_of(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void edit_json(const std::filesystem::path& file,
                      const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json m = nlohmann::json::parse(text_of(file));
  edit(m);
  write_file_atomically(file, m.dump(2));
}

// Recomputes the checksums of `manifest` (relative to its folder) after a test tampered
// with a file, so that the loader's later checks (parsing, shapes, example) are reached.
inline void rehash(const std::filesystem::path& folder, const std::string& manifest) {
  edit_json(folder / manifest, [&](nlohmann::json& m) {
    for (auto& [name, entry] : m["files"].items()) {
      const std::vector<std::byte> bytes = read_file(folder / name);
      entry = {{"sha256", sha256_hex(bytes)}, {"bytes", bytes.size()}};
    }
  });
}

inline void replace_tensor(const std::filesystem::path& folder, const std::string& file,
                           const std::string& name, Tensor t) {
  TensorDict d = read_safetensors(folder / file);
  d.insert_or_assign(name, std::move(t));
  write_safetensors(folder / file, d);
  rehash(folder, "cairn_policy.json");
}

}  // namespace cairn::checkpoint_testing
