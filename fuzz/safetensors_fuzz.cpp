// libFuzzer target: arbitrary bytes into the safetensors parser.
//
// Properties checked on every input:
//   * parsing either succeeds or throws cairn::Error; anything else (another
//     exception type, a crash, an out-of-bounds read caught by ASan, undefined
//     behaviour caught by UBSan) is a finding;
//   * an accepted input survives a round trip: serialize, parse again, and get
//     equal tensors and metadata;
//   * the writer is canonical: serializing the re-parsed dict gives the same bytes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "cairn/error.h"
#include "cairn/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  cairn::TensorDict dict;
  try {
    dict = cairn::parse_safetensors(bytes, "fuzz-input");
  } catch (const cairn::Error&) {
    return 0;
  }
  // Errors below are findings: let them escape (libFuzzer reports an uncaught
  // exception as a crash) or trap.
  const std::vector<std::byte> written = cairn::serialize_safetensors(dict);
  const cairn::TensorDict reparsed = cairn::parse_safetensors(written, "round-trip");
  if (!(reparsed == dict)) __builtin_trap();
  if (cairn::serialize_safetensors(reparsed) != written) __builtin_trap();
  return 0;
}
