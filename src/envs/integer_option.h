// The range check of an integer constructor option of a built-in environment, shared by the
// environments that take one (MemoryCue's num_cues and delay, SplitAxisNavigation's size and
// max_steps), so that every such error reads the same.
#pragma once

#include <cstdint>
#include <string>

#include "cairn/error.h"

namespace cairn {

// `value` if it lies in [low, high]; otherwise throws cairn::Error naming the environment, the
// option and the range ("MemoryCue: option 'delay' must be an integer from 1 to ..., got 0").
inline int64_t integer_option_in_range(const char* env, const char* option, int64_t value,
                                       int64_t low, int64_t high) {
  if (value < low || value > high) {
    throw Error(std::string(env) + ": option '" + option + "' must be an integer from " +
                std::to_string(low) + " to " + std::to_string(high) + ", got " +
                std::to_string(value));
  }
  return value;
}

}  // namespace cairn
