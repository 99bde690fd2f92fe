// PPOLearner: PPO's update of one policy from its rollouts (Schulman et al. 2017, with the
// implementation details of Huang et al. 2022): num_epochs epochs over the shuffled samples in
// num_minibatches minibatches; per minibatch, advantage normalisation, the clipped surrogate,
// value and entropy loss (ppo_loss.h), global-norm gradient clipping and an Adam step (model
// and log-std); optional KL early stopping; the weights checked after the update.
//
// PPO (one policy) and multi-agent PPO (a learner per trained policy) both update through it,
// so the two are the same update. The learner owns the optimisers and the update's scratch;
// the algorithm owns the policy, the rollouts and the generators.
//
// Distributed (docs/distributed.md): built with a communicator of several ranks and a model
// whose parameter gradients are block sums, each rank computes its blocks of every minibatch
// and every rank adds all blocks' gradients in block order (distributed/block_gradients.h):
// the same bits as one process.
//
// Thread safety: not thread-safe. update() does not allocate.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cairn/algorithms/algorithm.h"
#include "cairn/algorithms/ppo_config.h"
#include "cairn/algorithms/ppo_loss.h"
#include "cairn/distributed/block_gradients.h"
#include "cairn/distributed/communicator.h"
#include "cairn/io/safetensors.h"
#include "cairn/nn/adam.h"
#include "cairn/policy/policy.h"
#include "cairn/random/random.h"
#include "cairn/storage/rollout_buffer.h"

namespace cairn {

class PPOLearner {
 public:
  // Learns `policy` (not owned; it must outlive the learner and keep its parameter layout,
  // as restoring a checkpoint into it does) with `config`'s update settings. `sizes` are the
  // rollout buffer's; `max_minibatch_rows` the most rows one minibatch gathers. `where`
  // names the run in errors ("PPO iteration 3"). Allocates everything update() needs.
  PPOLearner(Policy& policy, const PPOConfig& config, const RolloutSizes& sizes,
             size_t max_minibatch_rows, distributed::Communicator& comm,
             std::function<std::string()> where);
  ~PPOLearner();
  PPOLearner(const PPOLearner&) = delete;
  PPOLearner& operator=(const PPOLearner&) = delete;

  // The update from `rollout` (its advantages and returns computed): the samples `units`
  // (rows, or whole sequences of a recurrent policy) are shuffled with `shuffle_rng`
  // (Fisher-Yates from the given order, every epoch) and split into num_minibatches
  // minibatches, minibatch j holding positions [j n / M, (j + 1) n / M). Sets the metrics
  // policy_loss, value_loss, entropy, approx_kl, clip_fraction (means over the minibatches
  // of the last epoch run), explained_variance (to 0: explained_variance() is the caller's,
  // over its rows) and stopped_early_kl, in that order, and the skipped-minibatch count.
  // At most max_minibatch_rows rows per minibatch (not checked beyond an assertion).
  // Throws cairn::Error on a non-finite loss or gradient (unless config.non_finite skips
  // it) and on non-finite weights after the update.
  void update(RolloutBuffer& rollout, std::span<const size_t> units, double learning_rate,
              Rng& shuffle_rng, TrainResult& result);

  // The optimisers' state as "<prefix>model/..." and "<prefix>log_std/..." tensors.
  void save_state(const std::string& prefix, TensorDict& out) const;
  // Throws cairn::Error naming the tensor.
  void restore_state(const std::string& prefix, const TensorDict& in);

 private:
  struct LossSums {
    double policy_loss = 0, value_loss = 0, entropy = 0, approx_kl = 0, clip_fraction = 0;
  };
  double minibatch_step(RolloutBuffer& rollout, std::span<const size_t> indices, LossSums& sums);
  // The loss of the gathered minibatch of m samples and its gradient (model and log-std):
  // by one process, or split across ranks by blocks of samples (block_gradients_).
  PPOLossTerms whole_gradient(size_t m);
  PPOLossTerms split_gradient(size_t m);
  PPOLossSettings loss_settings(size_t minibatch_size = 0) const;

  Policy& policy_;
  PPOConfig config_;
  std::function<std::string()> where_;
  bool recurrent_ = false;
  size_t feature_size_ = 0, action_dim_ = 0, state_size_ = 0, sequence_length_ = 0;
  std::unique_ptr<nn::Adam<float>> model_optimizer_, log_std_optimizer_;
  std::vector<nn::TensorInfo> log_std_layout_;
  std::vector<float> log_std_grad_;
  int64_t epoch_ = 0, skipped_minibatches_ = 0;  // of the update in progress

  std::unique_ptr<RolloutMinibatch> minibatch_;
  // The shuffled sample order of an epoch, and per-minibatch outputs of the update.
  std::vector<size_t> order_;
  std::vector<float> mb_log_probs_, mb_entropy_, mb_d_log_prob_, mb_d_entropy_;

  // Distributed, with a model whose parameter gradients are block sums (dense layers,
  // activations, concatenations): each rank computes the gradient of its blocks of the
  // minibatch, and every rank adds all blocks' gradients in block order (DD-PPO's split,
  // exact). Otherwise (one process, or other layers) every rank computes the whole gradient.
  std::unique_ptr<distributed::BlockGradients> block_gradients_;
  std::vector<float> mb_values_, mb_d_values_;  // the minibatch's values and d loss / d value
  std::vector<float> all_rows_;                 // (log-prob, entropy, value) per sample
  std::vector<float> gradient_sum_;
};

// PPO's learning rate in iteration `iteration` (1-based): config.learning_rate, decayed
// linearly to 0 over the planned iterations (total_timesteps / batch_size) when anneal_lr.
double annealed_learning_rate(const PPOConfig& config, int64_t iteration);

// 1 - Var[R - V] / Var[R] over the rows `rows` of the batch (all rows when empty); NaN when
// the returns do not vary.
double explained_variance(std::span<const float> returns, std::span<const float> values,
                          std::span<const size_t> rows = {});

}  // namespace cairn
