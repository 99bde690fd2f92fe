// UTF-8 validation (RFC 3629): the safetensors header and every name in it must be valid UTF-8.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace cairn::io {

// Byte index of the first invalid UTF-8 sequence in `text` (overlong forms,
// surrogates, code points above U+10FFFF and truncated sequences are invalid),
// or std::nullopt if all of `text` is valid. Does not allocate.
std::optional<size_t> first_invalid_utf8(std::string_view text);

}  // namespace cairn::io
