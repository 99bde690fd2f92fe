// Whether this test executable was built with AddressSanitizer. Learning tests train for
// real; under the sanitizers they would take minutes, and the sanitizer build already
// runs every code path they use in the shorter tests, so they skip there (and run in the
// release build).
#pragma once

namespace testing_build {

constexpr bool built_with_address_sanitizer() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

}  // namespace testing_build
