// Test helpers for asserting cairn::Error messages.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "cairn/error.h"

namespace cairn::testing {

// The message of the cairn::Error thrown by `f`, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Expects `f` to throw a cairn::Error whose message contains every string in `parts`.
inline void expect_error_containing_all(const std::function<void()>& f,
                                        const std::vector<std::string>& parts) {
  try {
    f();
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const std::string& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos)
          << "message \"" << message << "\" lacks \"" << part << "\"";
    }
    return;
  }
  ADD_FAILURE() << "no cairn::Error thrown (expected one mentioning \"" << parts.front() << "\")";
}

}  // namespace cairn::testing

// Asserts that `statement` throws cairn::Error whose message contains `text`.
#define EXPECT_ERROR_CONTAINS(statement, text)                                       \
  do {                                                                               \
    const std::string cairn_msg_ = ::cairn::testing::error_of([&] { statement; });   \
    EXPECT_NE(cairn_msg_.find(text), std::string::npos)                              \
        << "expected an error containing \"" << (text) << "\", got: " << cairn_msg_; \
  } while (0)
