#include "cairn/space/space.h"

#include <bit>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cairn/error.h"
#include "cairn/random/random.h"
#include "cairn/io/text_file.h"

namespace cairn {
namespace {

using json = nlohmann::json;

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) s += ",";
    if (i + 1 < shape.size()) s += " ";
  }
  return s + ")";
}

std::string float_string(float f) {
  if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
  std::ostringstream os;
  os.precision(9);
  os << f;
  return os.str();
}

json bound_to_json(float f) {
  if (std::isinf(f)) return f > 0 ? json("inf") : json("-inf");
  return json(static_cast<double>(f));
}

float bound_from_json(const json& j, const char* field, size_t i) {
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "inf") return std::numeric_limits<float>::infinity();
    if (s == "-inf") return -std::numeric_limits<float>::infinity();
  } else if (j.is_number()) {
    const double d = j.get<double>();
    const float f = static_cast<float>(d);
    if (static_cast<double>(f) != d) {
      throw Error("space JSON: field '" + std::string(field) + "[" + std::to_string(i) + "]' is " +
                  json_excerpt(j) + ", which is not a float32 value");
    }
    return f;
  }
  throw Error("space JSON: field '" + std::string(field) + "[" + std::to_string(i) +
              "]' must be a number or \"inf\"/\"-inf\", got " + json_excerpt(j));
}

const json& require(const json& j, const char* field) {
  if (!j.is_object()) throw Error("space JSON: expected an object, got " + json_excerpt(j));
  auto it = j.find(field);
  if (it == j.end()) throw Error("space JSON: missing field '" + std::string(field) + "'");
  return *it;
}

std::vector<int64_t> int_array(const json& j, const char* field) {
  const json& a = require(j, field);
  if (!a.is_array()) throw Error("space JSON: field '" + std::string(field) + "' must be an array");
  std::vector<int64_t> out;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_number_integer()) {
      throw Error("space JSON: field '" + std::string(field) + "[" + std::to_string(i) +
                  "]' must be an integer, got " + json_excerpt(a[i]));
    }
    out.push_back(a[i].get<int64_t>());
  }
  return out;
}

}  // namespace

Space Space::box(std::vector<float> low, std::vector<float> high, std::vector<int64_t> shape) {
  size_t n = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] <= 0) {
      throw Error("Box: shape[" + std::to_string(i) + "] is " + std::to_string(shape[i]) +
                  "; every dimension must be positive");
    }
    n *= static_cast<size_t>(shape[i]);
  }
  if (low.size() != n || high.size() != n) {
    throw Error("Box: low has " + std::to_string(low.size()) + " and high has " +
                std::to_string(high.size()) + " elements, but shape " + shape_string(shape) +
                " needs " + std::to_string(n));
  }
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(low[i]) || std::isnan(high[i])) {
      throw Error("Box: bound " + std::to_string(i) + " is NaN");
    }
    if (low[i] > high[i]) {
      throw Error("Box: low[" + std::to_string(i) + "] = " + float_string(low[i]) +
                  " is greater than high[" + std::to_string(i) + "] = " + float_string(high[i]));
    }
  }
  Space s;
  s.kind_ = SpaceKind::box;
  s.size_ = n;
  s.shape_ = std::move(shape);
  s.low_ = std::move(low);
  s.high_ = std::move(high);
  return s;
}

Space Space::box(float low, float high, std::vector<int64_t> shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= d > 0 ? static_cast<size_t>(d) : 0;
  return box(std::vector<float>(n, low), std::vector<float>(n, high), std::move(shape));
}

Space Space::discrete(int64_t n, int64_t start) {
  if (n <= 0) throw Error("Discrete: n is " + std::to_string(n) + "; it must be positive");
  Space s;
  s.kind_ = SpaceKind::discrete;
  s.size_ = 1;
  s.nvec_ = {n};
  s.start_ = {start};
  return s;
}

Space Space::multi_discrete(std::vector<int64_t> nvec, std::vector<int64_t> start) {
  if (nvec.empty()) throw Error("MultiDiscrete: nvec is empty");
  for (size_t i = 0; i < nvec.size(); ++i) {
    if (nvec[i] <= 0) {
      throw Error("MultiDiscrete: nvec[" + std::to_string(i) + "] is " + std::to_string(nvec[i]) +
                  "; every entry must be positive");
    }
  }
  if (start.empty()) start.assign(nvec.size(), 0);
  if (start.size() != nvec.size()) {
    throw Error("MultiDiscrete: start has " + std::to_string(start.size()) +
                " elements but nvec has " + std::to_string(nvec.size()));
  }
  Space s;
  s.kind_ = SpaceKind::multi_discrete;
  s.size_ = nvec.size();
  s.shape_ = {static_cast<int64_t>(nvec.size())};
  s.nvec_ = std::move(nvec);
  s.start_ = std::move(start);
  return s;
}

size_t Space::flat_dim() const {
  if (kind_ == SpaceKind::box) return size_;
  size_t n = 0;
  for (int64_t v : nvec_) n += static_cast<size_t>(v);
  return n;
}

bool Space::bounded() const {
  for (size_t i = 0; i < low_.size(); ++i) {
    if (!std::isfinite(low_[i]) || !std::isfinite(high_[i])) return false;
  }
  return kind_ == SpaceKind::box;
}

bool Space::contains(std::span<const float> value) const {
  return explain_not_contained(value).empty();
}

bool Space::contains(std::span<const int64_t> value) const {
  return explain_not_contained(value).empty();
}

std::string Space::explain_not_contained(std::span<const float> value) const {
  if (kind_ != SpaceKind::box) return "a float value was given for integer space " + to_string();
  if (value.size() != size_) {
    return "value has " + std::to_string(value.size()) + " elements but " + to_string() +
           " needs " + std::to_string(size_);
  }
  for (size_t i = 0; i < size_; ++i) {
    if (!(value[i] >= low_[i] && value[i] <= high_[i])) {
      return "element " + std::to_string(i) + " = " + float_string(value[i]) + " is outside [" +
             float_string(low_[i]) + ", " + float_string(high_[i]) + "]";
    }
  }
  return {};
}

std::string Space::explain_not_contained(std::span<const int64_t> value) const {
  if (kind_ == SpaceKind::box) return "an integer value was given for " + to_string();
  if (value.size() != size_) {
    return "value has " + std::to_string(value.size()) + " elements but " + to_string() +
           " needs " + std::to_string(size_);
  }
  for (size_t i = 0; i < size_; ++i) {
    if (value[i] < start_[i] || value[i] - start_[i] >= nvec_[i]) {
      return "element " + std::to_string(i) + " = " + std::to_string(value[i]) + " is outside [" +
             std::to_string(start_[i]) + ", " + std::to_string(start_[i] + nvec_[i] - 1) + "]";
    }
  }
  return {};
}

void Space::validate_length(size_t n, const char* what) const {
  if (n != size_) {
    throw Error(std::string(what) + ": buffer has " + std::to_string(n) + " elements but " +
                to_string() + " needs " + std::to_string(size_));
  }
}

void Space::sample(Rng& rng, std::span<float> out) const {
  if (kind_ != SpaceKind::box) throw Error("Space::sample: float buffer for " + to_string());
  validate_length(out.size(), "Space::sample");
  for (size_t i = 0; i < size_; ++i) {
    const bool lo = std::isfinite(low_[i]), hi = std::isfinite(high_[i]);
    double v;
    if (lo && hi) {
      v = rng.uniform(static_cast<double>(low_[i]), static_cast<double>(high_[i]));
    } else if (lo) {
      v = static_cast<double>(low_[i]) + rng.exponential();
    } else if (hi) {
      v = static_cast<double>(high_[i]) - rng.exponential();
    } else {
      v = rng.normal();
    }
    // Rounding to float32 can step just past a bound; keep the sample inside the space.
    float f = static_cast<float>(v);
    if (f < low_[i]) f = low_[i];
    if (f > high_[i]) f = high_[i];
    out[i] = f;
  }
}

void Space::sample(Rng& rng, std::span<int64_t> out) const {
  if (kind_ == SpaceKind::box) throw Error("Space::sample: integer buffer for " + to_string());
  validate_length(out.size(), "Space::sample");
  for (size_t i = 0; i < size_; ++i) {
    out[i] = start_[i] + static_cast<int64_t>(rng.below(static_cast<uint64_t>(nvec_[i])));
  }
}

void Space::flatten(std::span<const float> value, std::span<float> out) const {
  if (kind_ != SpaceKind::box) throw Error("Space::flatten: float value for " + to_string());
  validate_length(value.size(), "Space::flatten");
  if (out.size() != size_) throw Error("Space::flatten: output length mismatch");
  for (size_t i = 0; i < size_; ++i) out[i] = value[i];
}

void Space::flatten(std::span<const int64_t> value, std::span<float> out) const {
  if (kind_ == SpaceKind::box) throw Error("Space::flatten: integer value for " + to_string());
  validate_length(value.size(), "Space::flatten");
  if (out.size() != flat_dim()) throw Error("Space::flatten: output length mismatch");
  const std::string why = explain_not_contained(value);
  if (!why.empty()) throw Error("Space::flatten: " + why);
  size_t offset = 0;
  for (size_t i = 0; i < size_; ++i) {
    const size_t n = static_cast<size_t>(nvec_[i]);
    for (size_t k = 0; k < n; ++k) out[offset + k] = 0.0f;
    out[offset + static_cast<size_t>(value[i] - start_[i])] = 1.0f;
    offset += n;
  }
}

json Space::to_json() const {
  json j;
  switch (kind_) {
    case SpaceKind::box: {
      j["type"] = "Box";
      j["shape"] = shape_;
      json lo = json::array(), hi = json::array();
      for (size_t i = 0; i < size_; ++i) {
        lo.push_back(bound_to_json(low_[i]));
        hi.push_back(bound_to_json(high_[i]));
      }
      j["low"] = lo;
      j["high"] = hi;
      j["dtype"] = "float32";
      break;
    }
    case SpaceKind::discrete:
      j["type"] = "Discrete";
      j["n"] = nvec_[0];
      j["start"] = start_[0];
      break;
    case SpaceKind::multi_discrete:
      j["type"] = "MultiDiscrete";
      j["nvec"] = nvec_;
      j["start"] = start_;
      break;
  }
  return j;
}

Space Space::from_json(const json& j) {
  const json& type = require(j, "type");
  if (!type.is_string()) throw Error("space JSON: field 'type' must be a string");
  const std::string t = type.get<std::string>();
  if (t == "Box") {
    std::vector<int64_t> shape = int_array(j, "shape");
    if (auto it = j.find("dtype"); it != j.end() && *it != "float32") {
      throw Error("space JSON: field 'dtype' is " + excerpt(it->dump()) +
                  "; Box supports only \"float32\"");
    }
    const json& lo = require(j, "low");
    const json& hi = require(j, "high");
    if (!lo.is_array() || !hi.is_array()) {
      throw Error("space JSON: fields 'low' and 'high' must be arrays");
    }
    std::vector<float> low, high;
    for (size_t i = 0; i < lo.size(); ++i) low.push_back(bound_from_json(lo[i], "low", i));
    for (size_t i = 0; i < hi.size(); ++i) high.push_back(bound_from_json(hi[i], "high", i));
    return box(std::move(low), std::move(high), std::move(shape));
  }
  if (t == "Discrete") {
    const json& n = require(j, "n");
    if (!n.is_number_integer()) throw Error("space JSON: field 'n' must be an integer");
    int64_t start = 0;
    if (auto it = j.find("start"); it != j.end()) {
      if (!it->is_number_integer()) throw Error("space JSON: field 'start' must be an integer");
      start = it->get<int64_t>();
    }
    return discrete(n.get<int64_t>(), start);
  }
  if (t == "MultiDiscrete") {
    std::vector<int64_t> start;
    if (j.contains("start")) start = int_array(j, "start");
    return multi_discrete(int_array(j, "nvec"), std::move(start));
  }
  throw Error("space JSON: field 'type' is \"" + t +
              "\"; expected one of \"Box\", \"Discrete\", \"MultiDiscrete\"");
}

std::string Space::to_string() const {
  switch (kind_) {
    case SpaceKind::box: {
      auto uniform = [](const std::vector<float>& v) {
        for (float x : v) {
          if (std::bit_cast<uint32_t>(x) != std::bit_cast<uint32_t>(v[0])) return false;
        }
        return true;
      };
      std::string lo = uniform(low_) ? float_string(low_[0]) : "[...]";
      std::string hi = uniform(high_) ? float_string(high_[0]) : "[...]";
      return "Box(" + lo + ", " + hi + ", " + shape_string(shape_) + ", float32)";
    }
    case SpaceKind::discrete:
      return start_[0] == 0 ? "Discrete(" + std::to_string(nvec_[0]) + ")"
                            : "Discrete(" + std::to_string(nvec_[0]) +
                                  ", start=" + std::to_string(start_[0]) + ")";
    case SpaceKind::multi_discrete: {
      std::string s = "MultiDiscrete([";
      for (size_t i = 0; i < nvec_.size(); ++i) s += (i ? ", " : "") + std::to_string(nvec_[i]);
      return s + "])";
    }
  }
  return "?";
}

bool Space::operator==(const Space& o) const {
  if (kind_ != o.kind_ || shape_ != o.shape_ || nvec_ != o.nvec_ || start_ != o.start_) {
    return false;
  }
  if (low_.size() != o.low_.size()) return false;
  for (size_t i = 0; i < low_.size(); ++i) {
    if (std::bit_cast<uint32_t>(low_[i]) != std::bit_cast<uint32_t>(o.low_[i]) ||
        std::bit_cast<uint32_t>(high_[i]) != std::bit_cast<uint32_t>(o.high_[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace cairn
