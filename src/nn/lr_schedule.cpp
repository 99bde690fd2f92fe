#include "cairn/nn/lr_schedule.h"

#include <algorithm>

#include "cairn/error.h"

namespace cairn::nn {

LrSchedule LrSchedule::constant(double lr) {
  if (!(lr >= 0)) throw Error("constant learning rate must be >= 0");
  LrSchedule s;
  s.kind_ = Kind::kConstant;
  s.initial_ = s.final_ = lr;
  return s;
}

LrSchedule LrSchedule::linear(double initial, double final, int64_t num_updates) {
  if (!(initial >= 0) || !(final >= 0)) throw Error("linear learning rates must be >= 0");
  if (num_updates < 1) throw Error("linear learning-rate schedule needs num_updates >= 1");
  LrSchedule s;
  s.kind_ = Kind::kLinear;
  s.initial_ = initial;
  s.final_ = final;
  s.num_updates_ = num_updates;
  return s;
}

double LrSchedule::operator()(int64_t update) const {
  if (kind_ == Kind::kConstant) return initial_;
  const double frac = static_cast<double>(std::clamp<int64_t>(update, 0, num_updates_)) /
                      static_cast<double>(num_updates_);
  return initial_ + (final_ - initial_) * frac;
}

nlohmann::json LrSchedule::to_json() const {
  if (kind_ == Kind::kConstant) return {{"type", "constant"}, {"lr", initial_}};
  return {
      {"type", "linear"}, {"initial", initial_}, {"final", final_}, {"num_updates", num_updates_}};
}

LrSchedule LrSchedule::from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    throw Error(where + " must be an object with a \"type\" string");
  }
  auto number = [&](const char* key) {
    if (!j.contains(key)) throw Error(where + "." + key + " is required");
    if (!j[key].is_number()) throw Error(where + "." + key + " must be a number");
    return j[key].get<double>();
  };
  auto only = [&](std::initializer_list<const char*> keys) {
    for (const auto& [key, value] : j.items()) {
      (void)value;
      bool ok = false;
      for (const char* k : keys) ok = ok || key == k;
      if (!ok) throw Error(where + ": unknown field \"" + key + "\"");
    }
  };
  const std::string type = j["type"].get<std::string>();
  if (type == "constant") {
    only({"type", "lr"});
    return constant(number("lr"));
  }
  if (type == "linear") {
    only({"type", "initial", "final", "num_updates"});
    if (!j.contains("num_updates") || !j["num_updates"].is_number_integer()) {
      throw Error(where + ".num_updates must be an integer");
    }
    return linear(number("initial"), number("final"), j["num_updates"].get<int64_t>());
  }
  throw Error(where + ".type must be \"constant\" or \"linear\" (got \"" + type + "\")");
}

}  // namespace cairn::nn
