// How the multi-file fuzz targets split one libFuzzer input into files: a sequence of
// parts, each a 4-byte little-endian length followed by that many bytes (cut short at the
// end of the input). The seed corpora (fuzz/make_*_corpus.py) are written in this form.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>

namespace cairn::fuzzing {

// The next part of `rest` (empty when nothing is left), advancing `rest` past it.
inline std::span<const uint8_t> take(std::span<const uint8_t>& rest) {
  uint32_t n = 0;
  if (rest.size() >= 4) {
    std::memcpy(&n, rest.data(), 4);
    rest = rest.subspan(4);
  } else {
    rest = {};
  }
  const size_t len = std::min<size_t>(n, rest.size());
  const std::span<const uint8_t> part = rest.first(len);
  rest = rest.subspan(len);
  return part;
}

}  // namespace cairn::fuzzing
