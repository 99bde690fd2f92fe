// Internal: the checks every MuJoCo task applies to its constructor options, in one place so
// that every task refuses a bad option with the same message.
#pragma once

#include <initializer_list>
#include <string_view>
#include <utility>

namespace cairn::mujoco_detail {

// Throws cairn::Error "<task>: option '<name>' must be finite, got <value>" for the first
// non-finite value of `options` (name, value).
void check_finite_options(std::string_view task,
                          std::initializer_list<std::pair<const char*, double>> options);

// Throws cairn::Error "<task>: option '<name>' must be a range (min, max) with min <= max, got
// (<min>, <max>)" if either end is NaN or min > max. Infinite ends are allowed.
void check_range_option(std::string_view task, const char* name, std::pair<double, double> range);

}  // namespace cairn::mujoco_detail
