#include "env/mujoco/task_options.h"

#include <cmath>
#include <string>

#include "cairn/error.h"

namespace cairn::mujoco_detail {
namespace {

std::string number_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return std::to_string(v);
}

}  // namespace

void check_finite_options(std::string_view task,
                          std::initializer_list<std::pair<const char*, double>> options) {
  for (const auto& [name, value] : options) {
    if (!std::isfinite(value)) {
      throw Error(std::string(task) + ": option '" + name + "' must be finite, got " +
                  number_text(value));
    }
  }
}

void check_range_option(std::string_view task, const char* name, std::pair<double, double> range) {
  if (std::isnan(range.first) || std::isnan(range.second) || range.first > range.second) {
    throw Error(std::string(task) + ": option '" + name +
                "' must be a range (min, max) with min <= max, got (" + number_text(range.first) +
                ", " + number_text(range.second) + ")");
  }
}

}  // namespace cairn::mujoco_detail
