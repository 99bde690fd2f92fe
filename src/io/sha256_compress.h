// The SHA-256 compression function, exposed separately so tests can check the
// hardware path against the portable one.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cairn::io {

// Processes `n_blocks` consecutive 64-byte blocks starting at `blocks`.
void sha256_compress_portable(uint32_t state[8], const uint8_t* blocks, size_t n_blocks);

// True if this CPU has the x86 SHA extensions (plus SSSE3/SSE4.1) and
// sha256_compress_sha_ni may be called.
bool sha256_sha_ni_available();
// Precondition: sha256_sha_ni_available(). Same contract as the portable version.
void sha256_compress_sha_ni(uint32_t state[8], const uint8_t* blocks, size_t n_blocks);

}  // namespace cairn::io
