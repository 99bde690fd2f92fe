#include "cairn/policy/distribution.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numbers>

#include "cairn/error.h"
#include "cairn/io/text_file.h"
#include "cairn/nn/gemm.h"
#include "cairn/random/random.h"
#include "cairn/space/space.h"

namespace cairn {
namespace {

// log(sum(exp(x))) over one categorical's logits, shifted by the max for stability.
template <typename T>
T log_sum_exp(const T* x, size_t n) {
  T m = x[0];
  for (size_t k = 1; k < n; ++k) m = std::max(m, x[k]);
  T s = 0;
  for (size_t k = 0; k < n; ++k) s += std::exp(x[k] - m);
  return m + std::log(s);
}

void require_size(size_t got, size_t want, const char* what) {
  if (got != want) {
    throw Error(std::string("ActionDistribution: ") + what + " has " + std::to_string(got) +
                " elements, expected " + std::to_string(want));
  }
}

}  // namespace

std::string to_string(DistributionKind kind) {
  switch (kind) {
    case DistributionKind::categorical:
      return "categorical";
    case DistributionKind::multi_categorical:
      return "multi_categorical";
    case DistributionKind::diagonal_gaussian:
      return "diagonal_gaussian";
  }
  return "?";
}

template <typename T>
ActionDistribution<T> ActionDistribution<T>::for_action_space(const Space& space) {
  ActionDistribution d;
  switch (space.kind()) {
    case SpaceKind::discrete:
      d.kind_ = DistributionKind::categorical;
      d.categories_ = space.nvec();
      d.action_dim_ = 1;
      d.num_inputs_ = static_cast<size_t>(space.nvec()[0]);
      break;
    case SpaceKind::multi_discrete:
      d.kind_ = DistributionKind::multi_categorical;
      d.categories_ = space.nvec();
      d.action_dim_ = space.size();
      d.num_inputs_ = space.flat_dim();
      break;
    case SpaceKind::box:
      d.kind_ = DistributionKind::diagonal_gaussian;
      d.action_dim_ = space.size();
      d.num_inputs_ = space.size();
      break;
  }
  return d;
}

template <typename T>
size_t ActionDistribution<T>::batch_of(std::span<const T> inputs, const char* what) const {
  if (inputs.size() % num_inputs_ != 0) {
    throw Error(std::string("ActionDistribution::") + what + ": inputs have " +
                std::to_string(inputs.size()) + " elements, not a multiple of " +
                std::to_string(num_inputs_) + " inputs per row");
  }
  return inputs.size() / num_inputs_;
}

template <typename T>
void ActionDistribution<T>::sample(std::span<const T> inputs, std::span<const T> log_std, Rng& rng,
                                   std::span<int64_t> int_actions,
                                   std::span<T> float_actions) const {
  const size_t batch = batch_of(inputs, "sample");
  if (!is_discrete()) {
    require_size(log_std.size(), action_dim_, "log_std");
    require_size(float_actions.size(), batch * action_dim_, "float_actions");
    for (size_t b = 0; b < batch; ++b) {
      for (size_t k = 0; k < action_dim_; ++k) {
        const T noise = static_cast<T>(rng.normal());
        float_actions[b * action_dim_ + k] =
            inputs[b * num_inputs_ + k] + std::exp(log_std[k]) * noise;
      }
    }
    return;
  }
  require_size(int_actions.size(), batch * action_dim_, "int_actions");
  for (size_t b = 0; b < batch; ++b) {
    const T* row = inputs.data() + b * num_inputs_;
    for (size_t e = 0; e < action_dim_; ++e) {
      const size_t n = static_cast<size_t>(categories_[e]);
      // Inverse CDF on the softmax probabilities; the last category absorbs rounding.
      const T lse = log_sum_exp(row, n);
      const T u = static_cast<T>(rng.uniform());
      T cumulative = 0;
      size_t chosen = n - 1;
      for (size_t k = 0; k + 1 < n; ++k) {
        cumulative += std::exp(row[k] - lse);
        if (u < cumulative) {
          chosen = k;
          break;
        }
      }
      int_actions[b * action_dim_ + e] = static_cast<int64_t>(chosen);
      row += n;
    }
  }
}

template <typename T>
void ActionDistribution<T>::mode(std::span<const T> inputs, std::span<int64_t> int_actions,
                                 std::span<T> float_actions) const {
  const size_t batch = batch_of(inputs, "mode");
  if (!is_discrete()) {
    require_size(float_actions.size(), batch * action_dim_, "float_actions");
    for (size_t i = 0; i < batch * action_dim_; ++i) float_actions[i] = inputs[i];
    return;
  }
  require_size(int_actions.size(), batch * action_dim_, "int_actions");
  for (size_t b = 0; b < batch; ++b) {
    const T* row = inputs.data() + b * num_inputs_;
    for (size_t e = 0; e < action_dim_; ++e) {
      const size_t n = static_cast<size_t>(categories_[e]);
      size_t best = 0;
      for (size_t k = 1; k < n; ++k) {
        if (row[k] > row[best]) best = k;
      }
      int_actions[b * action_dim_ + e] = static_cast<int64_t>(best);
      row += n;
    }
  }
}

template <typename T>
void ActionDistribution<T>::log_prob(std::span<const T> inputs, std::span<const T> log_std,
                                     std::span<const int64_t> int_actions,
                                     std::span<const T> float_actions, std::span<T> out) const {
  const size_t batch = batch_of(inputs, "log_prob");
  require_size(out.size(), batch, "log_prob output");
  if (!is_discrete()) {
    require_size(log_std.size(), action_dim_, "log_std");
    require_size(float_actions.size(), batch * action_dim_, "float_actions");
    const T half_log_2pi = static_cast<T>(0.5 * std::log(2.0 * std::numbers::pi));
    for (size_t b = 0; b < batch; ++b) {
      T sum = 0;
      for (size_t k = 0; k < action_dim_; ++k) {
        // log N(a; mu, sigma) = -((a - mu) / sigma)^2 / 2 - log sigma - log(2 pi) / 2
        const T z = (float_actions[b * action_dim_ + k] - inputs[b * num_inputs_ + k]) *
                    std::exp(-log_std[k]);
        sum += -T(0.5) * z * z - log_std[k] - half_log_2pi;
      }
      out[b] = sum;
    }
    return;
  }
  require_size(int_actions.size(), batch * action_dim_, "int_actions");
  for (size_t b = 0; b < batch; ++b) {
    const T* row = inputs.data() + b * num_inputs_;
    T sum = 0;
    for (size_t e = 0; e < action_dim_; ++e) {
      const size_t n = static_cast<size_t>(categories_[e]);
      const int64_t a = int_actions[b * action_dim_ + e];
      if (a < 0 || a >= categories_[e]) {
        throw Error("ActionDistribution::log_prob: action " + std::to_string(a) + " in row " +
                    std::to_string(b) + " is outside [0, " + std::to_string(n) + ")");
      }
      sum += row[a] - log_sum_exp(row, n);
      row += n;
    }
    out[b] = sum;
  }
}

template <typename T>
void ActionDistribution<T>::entropy(std::span<const T> inputs, std::span<const T> log_std,
                                    std::span<T> out) const {
  const size_t batch = batch_of(inputs, "entropy");
  require_size(out.size(), batch, "entropy output");
  if (!is_discrete()) {
    require_size(log_std.size(), action_dim_, "log_std");
    // H = sum_k (1/2 + log(2 pi)/2 + log sigma_k), the same for every row.
    const T constant = static_cast<T>(0.5 + 0.5 * std::log(2.0 * std::numbers::pi));
    T h = 0;
    for (size_t k = 0; k < action_dim_; ++k) h += constant + log_std[k];
    for (size_t b = 0; b < batch; ++b) out[b] = h;
    return;
  }
  for (size_t b = 0; b < batch; ++b) {
    const T* row = inputs.data() + b * num_inputs_;
    T sum = 0;
    for (size_t e = 0; e < action_dim_; ++e) {
      const size_t n = static_cast<size_t>(categories_[e]);
      const T lse = log_sum_exp(row, n);
      for (size_t k = 0; k < n; ++k) {
        const T logp = row[k] - lse;
        sum -= std::exp(logp) * logp;
      }
      row += n;
    }
    out[b] = sum;
  }
}

template <typename T>
void ActionDistribution<T>::backward(std::span<const T> inputs, std::span<const T> log_std,
                                     std::span<const int64_t> int_actions,
                                     std::span<const T> float_actions,
                                     std::span<const T> d_log_prob, std::span<const T> d_entropy,
                                     std::span<T> d_inputs, std::span<T> d_log_std) const {
  const size_t batch = batch_of(inputs, "backward");
  require_size(d_log_prob.size(), batch, "d_log_prob");
  require_size(d_entropy.size(), batch, "d_entropy");
  require_size(d_inputs.size(), inputs.size(), "d_inputs");
  if (!is_discrete()) {
    require_size(log_std.size(), action_dim_, "log_std");
    require_size(d_log_std.size(), action_dim_, "d_log_std");
    require_size(float_actions.size(), batch * action_dim_, "float_actions");
    // The log-std gradient sums over samples in the engine's fixed blocks (nn/gemm.h): each
    // block's sum from zero, added in sample order, so that a minibatch split across ranks
    // by blocks (distributed/block_gradients.h) sums to the same bits.
    const size_t block = static_cast<size_t>(nn::kGradientBlock);
    for (size_t b0 = 0; b0 < batch; b0 += block) {
      const size_t b1 = std::min(batch, b0 + block);
      for (size_t k = 0; k < action_dim_; ++k) {
        const T inv_sigma = std::exp(-log_std[k]);
        T block_sum = 0;
        for (size_t b = b0; b < b1; ++b) {
          const T z =
              (float_actions[b * action_dim_ + k] - inputs[b * num_inputs_ + k]) * inv_sigma;
          // d logp / d mu = z / sigma;  d logp / d log sigma = z^2 - 1;  d H / d log sigma = 1.
          d_inputs[b * num_inputs_ + k] = d_log_prob[b] * z * inv_sigma;
          block_sum += d_log_prob[b] * (z * z - T(1)) + d_entropy[b];
        }
        d_log_std[k] += block_sum;
      }
    }
    return;
  }
  require_size(int_actions.size(), batch * action_dim_, "int_actions");
  for (size_t b = 0; b < batch; ++b) {
    const T* row = inputs.data() + b * num_inputs_;
    T* d_row = d_inputs.data() + b * num_inputs_;
    for (size_t e = 0; e < action_dim_; ++e) {
      const size_t n = static_cast<size_t>(categories_[e]);
      const T lse = log_sum_exp(row, n);
      T h = 0;
      for (size_t k = 0; k < n; ++k) {
        const T logp = row[k] - lse;
        h -= std::exp(logp) * logp;
      }
      const size_t a = static_cast<size_t>(int_actions[b * action_dim_ + e]);
      for (size_t k = 0; k < n; ++k) {
        const T logp = row[k] - lse;
        const T p = std::exp(logp);
        // d logp(a) / dx_k = [k == a] - p_k;  d H / dx_k = -p_k (log p_k + H).
        d_row[k] = d_log_prob[b] * ((k == a ? T(1) : T(0)) - p) - d_entropy[b] * p * (logp + h);
      }
      row += n;
      d_row += n;
    }
  }
}

template <typename T>
nlohmann::json ActionDistribution<T>::to_json() const {
  nlohmann::json j = {{"type", to_string(kind_)}};
  if (is_discrete()) {
    j["categories"] = categories_;
  } else {
    j["action_dim"] = action_dim_;
  }
  return j;
}

template <typename T>
ActionDistribution<T> ActionDistribution<T>::from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    throw Error("distribution JSON: missing string field 'type'");
  }
  const std::string type = j["type"].get<std::string>();
  ActionDistribution d;
  if (type == "diagonal_gaussian") {
    if (!j.contains("action_dim") || !j["action_dim"].is_number_unsigned() ||
        j["action_dim"].get<size_t>() == 0) {
      throw Error("distribution JSON: field 'action_dim' must be a positive integer");
    }
    d.kind_ = DistributionKind::diagonal_gaussian;
    d.action_dim_ = d.num_inputs_ = j["action_dim"].get<size_t>();
    return d;
  }
  if (type != "categorical" && type != "multi_categorical") {
    throw Error("distribution JSON: field 'type' is \"" + type +
                "\"; expected \"categorical\", \"multi_categorical\" or \"diagonal_gaussian\"");
  }
  if (!j.contains("categories") || !j["categories"].is_array() || j["categories"].empty()) {
    throw Error("distribution JSON: field 'categories' must be a non-empty array");
  }
  for (const auto& c : j["categories"]) {
    if (!c.is_number_integer() || c.get<int64_t>() <= 0) {
      throw Error("distribution JSON: field 'categories' must hold positive integers, got " +
                  json_excerpt(c));
    }
    d.categories_.push_back(c.get<int64_t>());
  }
  d.kind_ =
      type == "categorical" ? DistributionKind::categorical : DistributionKind::multi_categorical;
  if (d.kind_ == DistributionKind::categorical && d.categories_.size() != 1) {
    throw Error("distribution JSON: a categorical has exactly one entry in 'categories'");
  }
  d.action_dim_ = d.categories_.size();
  for (int64_t c : d.categories_) d.num_inputs_ += static_cast<size_t>(c);
  return d;
}

template class ActionDistribution<float>;
template class ActionDistribution<double>;

}  // namespace cairn
