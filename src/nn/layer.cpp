#include "cairn/nn/layer.h"

#include "cairn/error.h"

namespace cairn::nn {

LayerConfig::LayerConfig(const nlohmann::json& object, std::string where)
    : object_(object), where_(std::move(where)) {
  if (!object_.is_object()) throw Error(where_ + " must be an object");
  auto it = object_.find("type");
  if (it == object_.end()) throw Error(where_ + ".type is required");
  if (!it->is_string()) throw Error(where_ + ".type must be a string");
  type_ = it->get<std::string>();
  read_.insert("type");
  read_.insert("name");
}

std::string LayerConfig::field(std::string_view key) const {
  return where_ + "." + std::string(key);
}

const nlohmann::json* LayerConfig::find(std::string_view key) {
  read_.insert(std::string(key));
  auto it = object_.find(std::string(key));
  return it == object_.end() ? nullptr : &*it;
}

const nlohmann::json* LayerConfig::raw(std::string_view key) {
  return find(key);
}

int64_t LayerConfig::positive_integer(std::string_view key) {
  const nlohmann::json* v = find(key);
  if (v == nullptr) throw Error(field(key) + " is required");
  if (!v->is_number_integer()) throw Error(field(key) + " must be an integer");
  const int64_t n = v->get<int64_t>();
  if (n <= 0) throw Error(field(key) + " must be positive (got " + std::to_string(n) + ")");
  return n;
}

double LayerConfig::number(std::string_view key, double fallback) {
  const nlohmann::json* v = find(key);
  if (v == nullptr) return fallback;
  if (!v->is_number()) throw Error(field(key) + " must be a number");
  return v->get<double>();
}

double LayerConfig::positive_number(std::string_view key, double fallback) {
  const double x = number(key, fallback);
  if (!(x > 0)) throw Error(field(key) + " must be positive (got " + std::to_string(x) + ")");
  return x;
}

std::string LayerConfig::string(std::string_view key, std::string_view fallback) {
  const nlohmann::json* v = find(key);
  if (v == nullptr) return std::string(fallback);
  if (!v->is_string()) throw Error(field(key) + " must be a string");
  return v->get<std::string>();
}

InitSpec LayerConfig::initializer(std::string_view key, const InitSpec& fallback) {
  const nlohmann::json* v = find(key);
  if (v == nullptr) return fallback;
  return InitSpec::from_json(*v, field(key));
}

Activation LayerConfig::activation(std::string_view key, const Activation& fallback) {
  const nlohmann::json* v = find(key);
  if (v == nullptr) return fallback;
  return Activation::from_json(*v, field(key));
}

void LayerConfig::finish() const {
  for (const auto& [key, value] : object_.items()) {
    (void)value;
    if (read_.find(key) == read_.end()) {
      std::string known;
      for (const auto& k : read_) {
        if (k == "type" || k == "name") continue;
        known += known.empty() ? k : ", " + k;
      }
      throw Error(where_ + ": unknown field \"" + key + "\" for layer type " + type_ +
                  " (known fields: " + (known.empty() ? "none" : known) + ")");
    }
  }
}

}  // namespace cairn::nn
