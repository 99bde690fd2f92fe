// Learning-rate schedules: the learning rate as a function of the update index.
//
//   constant(lr):                 lr for every update
//   linear(initial, final, n):    initial + (final - initial) * min(k, n) / n at update k
//                                 (k = 0 is the first update; from k = n on, `final`)
//
// Use: optimizer.set_learning_rate(schedule(k)) before update k.
// Thread safety: a plain value; operator() is pure.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace cairn::nn {

class LrSchedule {
 public:
  enum class Kind { kConstant, kLinear };

  static LrSchedule constant(double lr);
  // Throws cairn::Error if num_updates < 1 or a rate is negative.
  static LrSchedule linear(double initial, double final, int64_t num_updates);

  double operator()(int64_t update) const;

  Kind kind() const { return kind_; }
  // {"type": "constant", "lr": x} or
  // {"type": "linear", "initial": x, "final": y, "num_updates": n}.
  nlohmann::json to_json() const;
  // Throws cairn::Error naming the field.
  static LrSchedule from_json(const nlohmann::json& j, const std::string& where = "lr_schedule");

  bool operator==(const LrSchedule&) const = default;

 private:
  Kind kind_ = Kind::kConstant;
  double initial_ = 0.0;
  double final_ = 0.0;
  int64_t num_updates_ = 1;
};

}  // namespace cairn::nn
