// Action distributions: how a policy turns the model's "distribution inputs"
// into actions, log-probabilities and entropies, and how PPO's loss flows back.
//
//   Categorical        Discrete(n)            inputs: n logits
//   MultiCategorical   MultiDiscrete(nvec)    inputs: sum(nvec) logits, one categorical per element
//   DiagonalGaussian   Box(shape)             inputs: d means; log-std: d free parameters
//                                             (state-independent, learned; owned by the policy)
//
// All functions work on a batch: `inputs` is row-major [batch x num_inputs()],
// `log_std` has action_dim() elements (Gaussian only; empty otherwise). Integer
// actions are indices into each categorical (0-based, without the space's
// start offset); Gaussian actions are the raw samples, before any clipping.
//
// The template parameter is the scalar type: float for training and inference,
// double for gradient checks. Functions do not allocate and are thread-safe
// (const). Sizes are checked; a mismatch throws cairn::Error.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace cairn {

class Rng;
class Space;

enum class DistributionKind { categorical, multi_categorical, diagonal_gaussian };

template <typename T>
class ActionDistribution {
 public:
  // The distribution PPO uses for `action_space`: Categorical for Discrete,
  // MultiCategorical for MultiDiscrete, DiagonalGaussian for Box.
  static ActionDistribution for_action_space(const Space& action_space);

  DistributionKind kind() const { return kind_; }
  bool is_discrete() const { return kind_ != DistributionKind::diagonal_gaussian; }
  // Columns of `inputs` per row.
  size_t num_inputs() const { return num_inputs_; }
  // Elements of one action (1 for Categorical, nvec.size(), or the Box size).
  size_t action_dim() const { return action_dim_; }
  // Category counts of each categorical (empty for the Gaussian).
  const std::vector<int64_t>& categories() const { return categories_; }

  // Draws one action per row. Discrete kinds write `int_actions` [batch x action_dim];
  // the Gaussian writes `float_actions` [batch x action_dim] = mean + exp(log_std) * N(0,1).
  void sample(std::span<const T> inputs, std::span<const T> log_std, Rng& rng,
              std::span<int64_t> int_actions, std::span<T> float_actions) const;
  // The most likely action (argmax, the first on ties; the Gaussian mean).
  void mode(std::span<const T> inputs, std::span<int64_t> int_actions,
            std::span<T> float_actions) const;

  // log pi(a|s) per row, summed over action elements.
  void log_prob(std::span<const T> inputs, std::span<const T> log_std,
                std::span<const int64_t> int_actions, std::span<const T> float_actions,
                std::span<T> out) const;
  // Entropy per row, summed over action elements.
  void entropy(std::span<const T> inputs, std::span<const T> log_std, std::span<T> out) const;

  // Backward pass of a loss L that depends on log_prob and entropy: given
  // dL/dlogp and dL/dentropy per row, writes dL/dinputs [batch x num_inputs]
  // (overwritten) and adds dL/dlog_std summed over the batch into `d_log_std`
  // (Gaussian only), as the engine sums over samples (nn/gemm.h): each block of
  // nn::kGradientBlock rows summed from zero, the blocks added in row order.
  void backward(std::span<const T> inputs, std::span<const T> log_std,
                std::span<const int64_t> int_actions, std::span<const T> float_actions,
                std::span<const T> d_log_prob, std::span<const T> d_entropy, std::span<T> d_inputs,
                std::span<T> d_log_std) const;

  // {"type": "categorical" | "multi_categorical" | "diagonal_gaussian", ...}
  nlohmann::json to_json() const;
  // Throws cairn::Error naming the field on malformed JSON.
  static ActionDistribution from_json(const nlohmann::json& j);

  bool operator==(const ActionDistribution&) const = default;

 private:
  size_t batch_of(std::span<const T> inputs, const char* what) const;

  DistributionKind kind_ = DistributionKind::categorical;
  size_t num_inputs_ = 0;
  size_t action_dim_ = 0;
  std::vector<int64_t> categories_;
};

extern template class ActionDistribution<float>;
extern template class ActionDistribution<double>;

// "categorical", "multi_categorical", "diagonal_gaussian".
std::string to_string(DistributionKind kind);

}  // namespace cairn
