#include "cairn/algorithms/ppo_config.h"

#include <functional>
#include <limits>
#include <map>

#include "cairn/error.h"
#include "cairn/nn/model.h"
#include "cairn/nn/model_zoo.h"
#include "cairn/io/text_file.h"

namespace cairn {
namespace {

using json = nlohmann::json;

[[noreturn]] void bad(const std::string& key, const std::string& what, const json& value) {
  throw Error("PPO config: '" + key + "' " + what + ", got " + json_excerpt(value));
}

// One reader per field: checks the JSON type and range, and stores the value.
using FieldReader = std::function<void(PPOConfig&, const json&)>;

FieldReader integer(int64_t PPOConfig::*field, const std::string& key, int64_t min,
                    int64_t max = std::numeric_limits<int64_t>::max()) {
  return [field, key, min, max](PPOConfig& c, const json& v) {
    // An unsigned value above INT64_MAX would wrap to a negative int64_t.
    if (!v.is_number_integer() ||
        (v.is_number_unsigned() &&
         v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
      bad(key, "must be an integer of at most " + std::to_string(max), v);
    }
    if (v.get<int64_t>() < min) bad(key, "must be at least " + std::to_string(min), v);
    if (v.get<int64_t>() > max) bad(key, "must be at most " + std::to_string(max), v);
    c.*field = v.get<int64_t>();
  };
}

FieldReader number(double PPOConfig::*field, const std::string& key, double min, double max,
                   bool min_exclusive = false) {
  return [=](PPOConfig& c, const json& v) {
    if (!v.is_number()) bad(key, "must be a number", v);
    const double d = v.get<double>();
    if (!(min_exclusive ? d > min : d >= min) || !(d <= max)) {
      bad(key,
          std::string("must be in ") + (min_exclusive ? "(" : "[") + std::to_string(min) + ", " +
              std::to_string(max) + "]",
          v);
    }
    c.*field = d;
  };
}

FieldReader boolean(bool PPOConfig::*field, const std::string& key) {
  return [field, key](PPOConfig& c, const json& v) {
    if (!v.is_boolean()) bad(key, "must be true or false", v);
    c.*field = v.get<bool>();
  };
}

const std::map<std::string, FieldReader>& readers() {
  static const std::map<std::string, FieldReader> r = {
      {"env_id",
       [](PPOConfig& c, const json& v) {
         if (!v.is_string() || v.get<std::string>().empty())
           bad("env_id", "must be a non-empty string", v);
         c.env_id = v.get<std::string>();
       }},
      {"env_options",
       [](PPOConfig& c, const json& v) {
         if (!v.is_object()) bad("env_options", "must be an object", v);
         c.env_options = v;
       }},
      {"num_envs", integer(&PPOConfig::num_envs, "num_envs", 1, kMaxNumEnvs)},
      {"num_env_threads",
       integer(&PPOConfig::num_env_threads, "num_env_threads", 1, kMaxNumEnvThreads)},
      {"num_steps", integer(&PPOConfig::num_steps, "num_steps", 1, kMaxNumSteps)},
      {"num_epochs", integer(&PPOConfig::num_epochs, "num_epochs", 1)},
      {"num_minibatches", integer(&PPOConfig::num_minibatches, "num_minibatches", 1)},
      {"gamma", number(&PPOConfig::gamma, "gamma", 0.0, 1.0)},
      {"gae_lambda", number(&PPOConfig::gae_lambda, "gae_lambda", 0.0, 1.0)},
      {"clip_coef", number(&PPOConfig::clip_coef, "clip_coef", 0.0, 1e9, true)},
      {"clip_value_loss", boolean(&PPOConfig::clip_value_loss, "clip_value_loss")},
      {"value_clip_coef", number(&PPOConfig::value_clip_coef, "value_clip_coef", 0.0, 1e9, true)},
      {"ent_coef", number(&PPOConfig::ent_coef, "ent_coef", 0.0, 1e9)},
      {"vf_coef", number(&PPOConfig::vf_coef, "vf_coef", 0.0, 1e9)},
      {"normalize_advantages", boolean(&PPOConfig::normalize_advantages, "normalize_advantages")},
      {"target_kl",
       [](PPOConfig& c, const json& v) {
         if (v.is_null()) {
           c.target_kl.reset();
           return;
         }
         if (!v.is_number() || !(v.get<double>() > 0))
           bad("target_kl", "must be a positive number or null", v);
         c.target_kl = v.get<double>();
       }},
      {"learning_rate", number(&PPOConfig::learning_rate, "learning_rate", 0.0, 1.0, true)},
      {"anneal_lr", boolean(&PPOConfig::anneal_lr, "anneal_lr")},
      {"adam_eps", number(&PPOConfig::adam_eps, "adam_eps", 0.0, 1.0, true)},
      {"max_grad_norm", number(&PPOConfig::max_grad_norm, "max_grad_norm", 0.0, 1e9, true)},
      {"total_timesteps", integer(&PPOConfig::total_timesteps, "total_timesteps", 1)},
      {"model",
       [](PPOConfig& c, const json& v) {
         if (!(v.is_string() && v.get<std::string>() == "default") && !v.is_object()) {
           bad("model", "must be \"default\" or a model spec object", v);
         }
         c.model = v;
       }},
      {"activation",
       [](PPOConfig& c, const json& v) {
         if (!v.is_string()) bad("activation", "must be a string", v);
         c.activation = v.get<std::string>();
       }},
      {"hidden_sizes",
       [](PPOConfig& c, const json& v) {
         if (!v.is_array() || v.empty()) bad("hidden_sizes", "must be a non-empty array", v);
         std::vector<int64_t> sizes;
         for (const json& s : v) {
           if (!s.is_number_integer() || s.get<int64_t>() <= 0 ||
               (s.is_number_unsigned() && s.get<uint64_t>() > uint64_t{kMaxModelParameters}) ||
               s.get<int64_t>() > kMaxModelParameters) {
             bad("hidden_sizes",
                 "must hold positive integers of at most " + std::to_string(kMaxModelParameters),
                 v);
           }
           sizes.push_back(s.get<int64_t>());
         }
         c.hidden_sizes = sizes;
       }},
      {"log_std_init", number(&PPOConfig::log_std_init, "log_std_init", -20.0, 5.0)},
      {"normalize_observations",
       boolean(&PPOConfig::normalize_observations, "normalize_observations")},
      {"observation_clip",
       number(&PPOConfig::observation_clip, "observation_clip", 0.0, 1e9, true)},
      {"normalize_rewards", boolean(&PPOConfig::normalize_rewards, "normalize_rewards")},
      {"reward_clip", number(&PPOConfig::reward_clip, "reward_clip", 0.0, 1e9, true)},
      {"seed",
       [](PPOConfig& c, const json& v) {
         if (!v.is_number_unsigned()) bad("seed", "must be a non-negative integer", v);
         c.seed = v.get<uint64_t>();
       }},
      {"non_finite",
       [](PPOConfig& c, const json& v) {
         if (v == "error") {
           c.non_finite = NonFiniteHandling::kError;
         } else if (v == "skip") {
           c.non_finite = NonFiniteHandling::kSkip;
         } else {
           bad("non_finite", "must be \"error\" or \"skip\"", v);
         }
       }},
  };
  return r;
}

// The model's parameter count against kMaxModelParameters. The default model's input
// and output widths depend on the environment, so they are bounded generously here
// (PPO checks the real model and its memory against the machine once the spaces are
// known); a model spec is counted exactly.
void check_model_size(const PPOConfig& c) {
  if (c.model.is_object()) {
    nn::ModelSpec spec;
    try {
      spec = nn::ModelSpec::from_json(c.model);
    } catch (const Error& e) {
      throw Error(std::string("PPO config: 'model': ") + e.what());
    }
    const size_t params = nn::parameter_count(spec);
    if (params > static_cast<size_t>(kMaxModelParameters)) {
      throw Error("PPO config: 'model' has " +
                  (params == SIZE_MAX ? std::string("more than 2^64") : std::to_string(params)) +
                  " parameters, more than the limit of " + std::to_string(kMaxModelParameters));
    }
    return;
  }
  // Two networks (policy and value) of hidden_sizes; the products between consecutive
  // hidden layers dominate.
  int64_t params = 0;
  for (size_t i = 0; i + 1 < c.hidden_sizes.size(); ++i) {
    int64_t layer = 0;
    if (__builtin_mul_overflow(c.hidden_sizes[i], c.hidden_sizes[i + 1], &layer) ||
        __builtin_mul_overflow(layer, int64_t{2}, &layer) ||
        __builtin_add_overflow(params, layer, &params) || params > kMaxModelParameters) {
      throw Error("PPO config: 'hidden_sizes' " + json(c.hidden_sizes).dump() +
                  " makes a model of more than " + std::to_string(kMaxModelParameters) +
                  " parameters");
    }
  }
}

}  // namespace

void PPOConfig::validate() const {
  // Re-reading our own JSON applies every per-field check.
  from_json(to_json());
  // Overflow-safe: each factor is bounded by the readers, but their product is not.
  int64_t batch = 0;
  if (__builtin_mul_overflow(num_envs, num_steps, &batch) || batch > kMaxBatchSize) {
    throw Error("PPO config: the batch size num_envs * num_steps (" + std::to_string(num_envs) +
                " * " + std::to_string(num_steps) + ") exceeds the limit of " +
                std::to_string(kMaxBatchSize) + " transitions per iteration");
  }
  check_model_size(*this);
  if (num_minibatches > batch_size()) {
    throw Error("PPO config: 'num_minibatches' (" + std::to_string(num_minibatches) +
                ") exceeds the batch size num_envs * num_steps (" + std::to_string(batch_size()) +
                ")");
  }
  if (batch_size() % num_minibatches != 0) {
    throw Error("PPO config: 'num_minibatches' (" + std::to_string(num_minibatches) +
                ") must divide the batch size num_envs * num_steps (" +
                std::to_string(batch_size()) + ")");
  }
}

json PPOConfig::to_json() const {
  return {{"env_id", env_id},
          {"env_options", env_options},
          {"num_envs", num_envs},
          {"num_env_threads", num_env_threads},
          {"num_steps", num_steps},
          {"num_epochs", num_epochs},
          {"num_minibatches", num_minibatches},
          {"gamma", gamma},
          {"gae_lambda", gae_lambda},
          {"clip_coef", clip_coef},
          {"clip_value_loss", clip_value_loss},
          {"value_clip_coef", value_clip_coef},
          {"ent_coef", ent_coef},
          {"vf_coef", vf_coef},
          {"normalize_advantages", normalize_advantages},
          {"target_kl", target_kl ? json(*target_kl) : json(nullptr)},
          {"learning_rate", learning_rate},
          {"anneal_lr", anneal_lr},
          {"adam_eps", adam_eps},
          {"max_grad_norm", max_grad_norm},
          {"total_timesteps", total_timesteps},
          {"model", model},
          {"activation", activation},
          {"hidden_sizes", hidden_sizes},
          {"log_std_init", log_std_init},
          {"normalize_observations", normalize_observations},
          {"observation_clip", observation_clip},
          {"normalize_rewards", normalize_rewards},
          {"reward_clip", reward_clip},
          {"seed", seed},
          {"non_finite", non_finite == NonFiniteHandling::kSkip ? "skip" : "error"}};
}

PPOConfig PPOConfig::from_json(const json& j) {
  return from_json(j, PPOConfig());
}

PPOConfig PPOConfig::from_json(const json& j, const PPOConfig& base) {
  if (!j.is_object()) {
    throw Error("PPO config: expected a JSON object, got " + json_excerpt(j));
  }
  PPOConfig c = base;
  for (const auto& [key, value] : j.items()) {
    auto it = readers().find(key);
    if (it == readers().end()) {
      std::string known;
      for (const auto& [k, r] : readers()) known += (known.empty() ? "" : ", ") + k;
      throw Error("PPO config: unknown key '" + key + "' (known keys: " + known + ")");
    }
    it->second(c, value);
  }
  return c;
}

void PPOConfig::set(const std::string& assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw Error("PPO config: override " + excerpt(assignment) + " must look like key=value");
  }
  const std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  json value;
  try {
    // Strictly, as every JSON cairn reads: a duplicate key in an object value is an error.
    value = parse_json_strictly(text, "PPO config: override '" + key + "'");
  } catch (const Error& e) {
    // A bare word, e.g. env_id=Pendulum-v1, is the string itself; JSON that only looks
    // like an object or array but is malformed is an error, with the parser's position.
    const size_t first = text.find_first_not_of(" \t");
    if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) throw;
    value = text;
  }
  *this = from_json(json{{key, value}}, *this);
}

bool has_ppo_preset(const std::string& env_id) {
  return env_id == "CartPole-v1" || env_id == "Acrobot-v1" || env_id == "Pendulum-v1" ||
         env_id == "SimpleCorridor-v0";
}

// Tuned on 10 seeds each (docs/ppo-presets.md has the measurements).
PPOConfig ppo_preset(const std::string& env_id) {
  PPOConfig c;
  c.env_id = env_id;
  if (env_id == "CartPole-v1") {
    // Short rollouts and many epochs on few minibatches (as rl-baselines3-zoo), with a
    // larger learning rate: solved (mean of the last 100 episodes >= 475) in ~70k steps.
    c.num_envs = 8;
    c.num_steps = 32;
    c.num_minibatches = 2;
    c.num_epochs = 10;
    c.gamma = 0.98;
    c.gae_lambda = 0.8;
    c.learning_rate = 2e-3;
    c.total_timesteps = 150000;  // the decay horizon: 100k left 1 seed in 10 at 470
  } else if (env_id == "Acrobot-v1") {
    c.num_envs = 8;
    c.num_steps = 128;
    c.num_minibatches = 4;
    c.num_epochs = 4;
    c.learning_rate = 2.5e-3;
    c.ent_coef = 0.02;  // without it, 1 seed in 30 (seed 20) never leaves -500
    c.total_timesteps = 300000;
  } else if (env_id == "Pendulum-v1") {
    // RLtools' configuration: 4 envs x 1024 steps, minibatches of 256, 2 epochs, gamma 0.9,
    // observation normalisation, 300k steps. Within it: rewards normalised (essential), a
    // small silu network (the activation mattered most), the value loss not clipped
    // (Pendulum's returns are in the hundreds, far outside a 0.2 clip).
    c.num_envs = 4;
    c.num_steps = 1024;
    c.num_minibatches = 16;
    c.num_epochs = 2;
    c.gamma = 0.9;
    c.gae_lambda = 0.9;
    c.learning_rate = 5e-3;
    c.clip_coef = 0.15;
    c.clip_value_loss = false;
    c.activation = "silu";
    c.hidden_sizes = {32, 32};
    c.normalize_observations = true;
    c.normalize_rewards = true;
    c.total_timesteps = 300000;
  } else if (env_id == "SimpleCorridor-v0") {
    // The founding story: the custom model (2 x 256 silu per network) on the corridor.
    c.num_envs = 4;
    c.num_steps = 64;
    c.total_timesteps = 20000;
    c.model = nn::founding_story_actor_critic(1, 2).to_json();
  } else {
    // An environment without a preset (a user's): CleanRL's defaults are tuned for 500k-10M
    // steps; a first run should show learning within about 100k steps, so a shorter
    // learning-rate horizon, a larger rate and more, shorter rollouts per iteration, in
    // the range every preset above settled on. docs/guide-custom-env-and-model.md says
    // what to tune next.
    c.num_envs = 8;
    c.num_steps = 64;
    c.learning_rate = 1e-3;
    c.total_timesteps = 100000;
  }
  return c;
}

}  // namespace cairn
