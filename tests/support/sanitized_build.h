// Whether the test binary runs under AddressSanitizer, for GCC (__SANITIZE_ADDRESS__) and
// clang (__has_feature): the sanitizer build is clang's, the release build GCC's. Tests
// whose cost is many process starts or many training steps do less of it there (each costs
// several times more), the learning tests run in the release build only, and the
// allocation counter leaves malloc to the sanitizer (support/allocation_counter.cpp).
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define CAIRN_TESTS_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CAIRN_TESTS_UNDER_ASAN 1
#endif
#endif
#ifndef CAIRN_TESTS_UNDER_ASAN
#define CAIRN_TESTS_UNDER_ASAN 0
#endif

namespace cairn::testing_build {

inline constexpr bool sanitized_build() {
  return CAIRN_TESTS_UNDER_ASAN != 0;
}

}  // namespace cairn::testing_build
