// libFuzzer target: the policy checkpoint loader on arbitrary files.
//
// Input layout: u32 length + cairn_policy.json, u32 length + weights.safetensors, and
// the rest as example.safetensors (little-endian lengths; a short input is padded
// with empty parts). Checksums are not verified (the fuzzer cannot forge SHA-256), so
// every later check is reached: manifest fields, spaces, model spec, parameter count,
// tensor names, shapes and dtypes, statistics, and the recorded example.
//
// Property: loading either succeeds or throws cairn::Error; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "cairn/error.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "fuzz_input.h"

namespace {

using cairn::fuzzing::take;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> rest(data, size);
  const std::span<const uint8_t> manifest = take(rest);
  const std::span<const uint8_t> weights = take(rest);
  cairn::PolicyFiles files;
  files.source = "fuzz";
  files.manifest_json.assign(reinterpret_cast<const char*>(manifest.data()), manifest.size());
  const auto* w = reinterpret_cast<const std::byte*>(weights.data());
  files.weights.assign(w, w + weights.size());
  const auto* e = reinterpret_cast<const std::byte*>(rest.data());
  files.example.assign(e, e + rest.size());
  cairn::PolicyRestoreOptions options;
  options.verify_checksums = false;
  try {
    cairn::load_policy_from_files(files, options);
  } catch (const cairn::Error&) {
  }
  return 0;
}
