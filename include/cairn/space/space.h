// Spaces: the set of valid observations or actions, as in Gymnasium.
//
//   Box(low, high, shape)   float32 values, per-element bounds (may be infinite)
//   Discrete(n, start)      one integer in [start, start + n)
//   MultiDiscrete(nvec, start)  integers, element i in [start[i], start[i] + nvec[i])
//
// Values are exchanged as flat buffers: Box values as float, Discrete and
// MultiDiscrete values as int64_t. `size()` is the number of elements of one
// value in such a buffer; `flat_dim()` is the length of its flattened form
// (Gymnasium's flatdim: one-hot for Discrete, concatenated one-hots for
// MultiDiscrete), which is what a policy network sees.
//
// A Space is an immutable value; copying allocates. Methods are thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace cairn {

class Rng;

enum class SpaceKind { box, discrete, multi_discrete };

class Space {
 public:
  // Box with per-element bounds. `low` and `high` must both have product(shape)
  // elements. Throws cairn::Error on NaN bounds, low > high, a size mismatch or a
  // non-positive dimension.
  static Space box(std::vector<float> low, std::vector<float> high, std::vector<int64_t> shape);
  // Box with the same bounds for every element. Same errors as above.
  static Space box(float low, float high, std::vector<int64_t> shape);
  // Throws cairn::Error if n <= 0.
  static Space discrete(int64_t n, int64_t start = 0);
  // `start` empty means all zeros. Throws cairn::Error if nvec is empty, any
  // nvec[i] <= 0, or start has the wrong length.
  static Space multi_discrete(std::vector<int64_t> nvec, std::vector<int64_t> start = {});

  SpaceKind kind() const { return kind_; }
  bool is_box() const { return kind_ == SpaceKind::box; }
  // True for Discrete and MultiDiscrete (values are integers).
  bool is_integer() const { return kind_ != SpaceKind::box; }

  // Elements in one value (product of the Box shape; 1 for Discrete; nvec.size()).
  size_t size() const { return size_; }
  // Length of the flattened (one-hot for integer spaces) form.
  size_t flat_dim() const;

  const std::vector<int64_t>& shape() const { return shape_; }
  // Box only (empty otherwise).
  const std::vector<float>& low() const { return low_; }
  const std::vector<float>& high() const { return high_; }
  // True if every element of a Box has finite low and high.
  bool bounded() const;
  // Discrete: {n}; MultiDiscrete: nvec. Empty for Box.
  const std::vector<int64_t>& nvec() const { return nvec_; }
  // Discrete: {start}; MultiDiscrete: start per element. Empty for Box.
  const std::vector<int64_t>& start() const { return start_; }

  // Membership. A value of the wrong length, of the wrong kind (float for an
  // integer space or the reverse) or containing NaN is not contained.
  bool contains(std::span<const float> value) const;
  bool contains(std::span<const int64_t> value) const;

  // Why `value` is not in this space, or an empty string if it is. Allocates.
  std::string explain_not_contained(std::span<const float> value) const;
  std::string explain_not_contained(std::span<const int64_t> value) const;

  // Draws a value as Gymnasium does: for each Box element, uniform if bounded on
  // both sides, low + exponential if bounded below only, high - exponential if
  // bounded above only, standard normal if unbounded; integers uniformly. The
  // output length must be size() and of the space's kind; throws cairn::Error otherwise.
  void sample(Rng& rng, std::span<float> out) const;
  void sample(Rng& rng, std::span<int64_t> out) const;

  // Flattens one value into `out` (length flat_dim()): a Box is copied; integer
  // values become one-hot. Throws cairn::Error on length mismatch or an integer
  // outside the space. Does not allocate.
  void flatten(std::span<const float> value, std::span<float> out) const;
  void flatten(std::span<const int64_t> value, std::span<float> out) const;

  // JSON form, e.g. {"type":"Box","shape":[3],"low":[...],"high":[...]}; infinite
  // bounds are written as the strings "inf" / "-inf". from_json(to_json()) is equal
  // to the original, bit for bit. from_json throws cairn::Error naming the field.
  nlohmann::json to_json() const;
  static Space from_json(const nlohmann::json& j);

  // Human-readable form, e.g. "Box(-inf, inf, (4,), float32)" or "Discrete(2)".
  std::string to_string() const;

  bool operator==(const Space& other) const;

 private:
  Space() = default;
  void validate_length(size_t n, const char* what) const;

  SpaceKind kind_ = SpaceKind::discrete;
  size_t size_ = 0;
  std::vector<int64_t> shape_;
  std::vector<float> low_, high_;
  std::vector<int64_t> nvec_, start_;
};

}  // namespace cairn
