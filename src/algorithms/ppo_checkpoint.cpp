// PPO algorithm checkpoints: save everything, resume bit-identically.
#include <bit>
#include <cmath>
#include <map>

#include "cairn/algorithms/ppo.h"
#include "cairn/io/atomic_file.h"
#include "cairn/checkpoint/checkpoint_manager.h"
#include "cairn/error.h"
#include "cairn/nn/finite.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/io/text_file.h"
#include "checkpoint/manifest.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kManifest = "cairn_checkpoint.json";
constexpr const char* kState = "algorithm_state.safetensors";
constexpr const char* kPolicyId = "default_policy";

RngState rng_state_of(const TensorDict& in, const std::string& name) {
  const Tensor& t = in.at(name);
  if (t.dtype() != DType::u64 || t.shape() != std::vector<int64_t>{6}) {
    throw Error(in.source() + ": tensor '" + name + "' must be U64 [6]");
  }
  const std::vector<uint64_t> w = t.to_vector<uint64_t>();
  return RngState::from_words(std::span<const uint64_t, 6>(w.data(), 6));
}

template <typename T>
void copy_exact(const TensorDict& in, const std::string& name, std::span<T> out,
                const std::vector<int64_t>& shape) {
  in.expect(name, DTypeOf<T>::value, shape).copy_to(out);
}

void save_optimizer(const nn::Optimizer<float>& opt, const std::string& prefix, TensorDict& out) {
  for (const nn::TensorInfo& t : opt.state_tensors())
    out.insert(prefix + t.name, Tensor::f32(opt.state(t.name), t.shape));
  const int64_t steps = opt.step_count();
  out.insert(prefix + "step_count", Tensor::i64(std::span<const int64_t>(&steps, 1), {}));
}

void restore_optimizer(nn::Optimizer<float>& opt, const std::string& prefix, const TensorDict& in) {
  for (const nn::TensorInfo& t : opt.state_tensors()) {
    const std::string name = prefix + t.name;
    if (!in.contains(name)) throw Error(in.source() + ": missing tensor '" + name + "'");
    const Tensor& v = in.at(name);
    if (v.dtype() != DType::f32) throw Error(in.source() + ": tensor '" + name + "' must be F32");
    try {
      opt.set_state(t.name, v.shape(), v.to_vector<float>());
    } catch (const Error& e) {
      throw Error(in.source() + ": tensor '" + name + "': " + e.what());
    }
  }
  int64_t steps = 0;
  copy_exact(in, prefix + "step_count", std::span<int64_t>(&steps, 1), {});
  opt.set_step_count(steps);
}

std::string relative_name(const fs::path& p, const fs::path& root) {
  return p.lexically_relative(root).generic_string();
}

}  // namespace

void PPO::save_state(TensorDict& out) const {
  const int64_t counters[] = {iteration_, timesteps_, episodes_, static_cast<int64_t>(recent_next_),
                              static_cast<int64_t>(recent_count_)};
  out.insert("counters", Tensor::i64(counters, {5}));
  out.insert("train_seconds", Tensor::f64(std::span<const double>(&train_seconds_, 1), {}));
  out.insert("recent_returns",
             Tensor::f64(recent_returns_, {static_cast<int64_t>(recent_returns_.size())}));
  out.insert("recent_lengths",
             Tensor::f64(recent_lengths_, {static_cast<int64_t>(recent_lengths_.size())}));
  out.insert("rng/actions", Tensor::from_values<uint64_t>(action_rng_.state().to_words(), {6}));
  out.insert("rng/shuffle", Tensor::from_values<uint64_t>(shuffle_rng_.state().to_words(), {6}));
  save_optimizer(*model_optimizer_, "optimizer/model/", out);
  if (log_std_optimizer_) save_optimizer(*log_std_optimizer_, "optimizer/log_std/", out);
  if (return_stats_) {
    out.insert("reward_normalizer/mean", Tensor::f64(return_stats_->mean(), {1}));
    out.insert("reward_normalizer/var", Tensor::f64(return_stats_->var(), {1}));
    const double count = return_stats_->count();
    out.insert("reward_normalizer/count", Tensor::f64(std::span<const double>(&count, 1), {}));
    out.insert(
        "reward_normalizer/discounted_returns",
        Tensor::f64(discounted_returns_, {static_cast<int64_t>(discounted_returns_.size())}));
  }
  if (envs_->can_save_state()) envs_->save_state(out, "envs/");
}

void PPO::restore_state(const TensorDict& in) {
  // Every floating-point state value (optimiser moments, normaliser statistics, episode
  // statistics, observations) must be finite: one NaN would spread to every weight in
  // the first update after resuming.
  for (const auto& [name, t] : in) {
    std::string bad;
    if (t.dtype() == DType::f32) {
      const std::vector<float> v = t.to_vector<float>();
      const size_t i = nn::first_non_finite(std::span<const float>(v));
      if (i < v.size()) bad = "element " + std::to_string(i) + " is " + nn::non_finite_name(v[i]);
    } else if (t.dtype() == DType::f64) {
      const std::vector<double> v = t.to_vector<double>();
      const size_t i = nn::first_non_finite(std::span<const double>(v));
      if (i < v.size()) bad = "element " + std::to_string(i) + " is " + nn::non_finite_name(v[i]);
    }
    if (!bad.empty()) {
      throw Error(in.source() + ": tensor '" + name + "' holds non-finite values (" + bad + ")");
    }
  }
  int64_t counters[5];
  copy_exact(in, "counters", std::span<int64_t>(counters), {5});
  iteration_ = counters[0];
  timesteps_ = counters[1];
  episodes_ = counters[2];
  if (counters[3] < 0 || counters[3] >= static_cast<int64_t>(recent_returns_.size()) ||
      counters[4] < 0 || counters[4] > static_cast<int64_t>(recent_returns_.size())) {
    throw Error(in.source() + ": tensor 'counters' holds an invalid episode ring position");
  }
  recent_next_ = static_cast<size_t>(counters[3]);
  recent_count_ = static_cast<size_t>(counters[4]);
  copy_exact(in, "train_seconds", std::span<double>(&train_seconds_, 1), {});
  const std::vector<int64_t> ring = {static_cast<int64_t>(recent_returns_.size())};
  copy_exact(in, "recent_returns", std::span<double>(recent_returns_), ring);
  copy_exact(in, "recent_lengths", std::span<double>(recent_lengths_), ring);
  action_rng_.set_state(rng_state_of(in, "rng/actions"));
  shuffle_rng_.set_state(rng_state_of(in, "rng/shuffle"));
  restore_optimizer(*model_optimizer_, "optimizer/model/", in);
  if (log_std_optimizer_) restore_optimizer(*log_std_optimizer_, "optimizer/log_std/", in);
  if (return_stats_) {
    double mean = 0, var = 0, count = 0;
    copy_exact(in, "reward_normalizer/mean", std::span<double>(&mean, 1), {1});
    copy_exact(in, "reward_normalizer/var", std::span<double>(&var, 1), {1});
    copy_exact(in, "reward_normalizer/count", std::span<double>(&count, 1), {});
    return_stats_->set_state(std::span<const double>(&mean, 1), std::span<const double>(&var, 1),
                             count);
    copy_exact(in, "reward_normalizer/discounted_returns", std::span<double>(discounted_returns_),
               {static_cast<int64_t>(discounted_returns_.size())});
  }
  if (in.contains("envs/physical_state")) {
    envs_->restore_state(in, "envs/");
  } else {
    // Environments without state restart their episodes, seeded from the seed and iteration.
    envs_->reset(config_.seed + 1000003ULL * static_cast<uint64_t>(iteration_));
  }
}

void PPO::save_checkpoint(const fs::path& dir, bool overwrite) {
  if (const std::string bad = policy_->non_finite_weights(); !bad.empty()) {
    throw Error("PPO::save_checkpoint: refusing to write " + dir.string() +
                ": the policy's weights are not finite (" + bad + ")");
  }
  write_directory_atomically(
      dir,
      [&](const fs::path& staging) {
        const fs::path policy_dir = staging / "policies" / kPolicyId;
        fs::create_directories(policy_dir);
        write_policy_files(*policy_, policy_dir, envs_->observations());
        TensorDict state;
        save_state(state);
        write_safetensors(staging / kState, state);
        json files = json::object();
        for (const fs::directory_entry& e : fs::recursive_directory_iterator(staging)) {
          if (e.is_regular_file())
            files[relative_name(e.path(), staging)] = file_entry(read_file(e.path()));
        }
        const json manifest = {{"kind", "cairn.algorithm_checkpoint"},
                               {"format_version", kCheckpointFormatVersion},
                               {"cairn_version", CAIRN_VERSION_STRING},
                               {"algorithm", "PPO"},
                               {"config", config_.to_json()},
                               {"counters",
                                {{"iteration", iteration_},
                                 {"timesteps", timesteps_},
                                 {"episodes", episodes_},
                                 {"train_seconds", train_seconds_}}},
                               {"last_result", last_result_.to_json()},
                               {"environment_state_saved", envs_->can_save_state()},
                               {"policy_ids", {kPolicyId}},
                               {"files", files}};
        write_file_atomically(staging / kManifest, manifest.dump(2) + "\n");
      },
      overwrite);
}

namespace {

constexpr int64_t kRecentEpisodes = 100;  // the last-100-episode ring buffers

int64_t non_negative_integer(const json& counters, const char* key, const std::string& file) {
  const json& v = require_field(counters, key, file);
  if (!v.is_number_integer() || v.get<int64_t>() < 0) {
    throw Error(file + ": field 'counters." + key + "' must be a non-negative integer, got " +
                excerpt(v.dump()));
  }
  return v.get<int64_t>();
}

void check_rng_words(const TensorDict& in, const std::string& name) {
  const std::vector<uint64_t> w = in.expect(name, DType::u64, {6}).to_vector<uint64_t>();
  // PCG64's increment is odd; the cached-normal flag is 0 or 1.
  if ((w[3] & 1) == 0 || w[4] > 1) {
    throw Error(in.source() + ": tensor '" + name + "' is not a generator state");
  }
}

// Everything PPO::from_checkpoint checks in the state before building anything from it,
// so that verify_checkpoint (cairn inspect) refuses exactly what resuming would.
void check_state(const TensorDict& in, const PPOConfig& config, const json& manifest,
                 const std::string& manifest_name) {
  const std::vector<int64_t> counters = in.expect("counters", DType::i64, {5}).to_vector<int64_t>();
  const char* names[] = {"iteration", "timesteps", "episodes"};
  const json& listed = require_field(manifest, "counters", manifest_name);
  if (!listed.is_object()) throw Error(manifest_name + ": field 'counters' must be an object");
  for (size_t i = 0; i < 3; ++i) {
    if (counters[i] < 0) {
      throw Error(in.source() + ": tensor 'counters' holds a negative " + names[i] + " (" +
                  std::to_string(counters[i]) + ")");
    }
    if (non_negative_integer(listed, names[i], manifest_name) != counters[i]) {
      throw Error(manifest_name + ": field 'counters." + names[i] + "' is " +
                  listed[names[i]].dump() + ", " + in.source() + " says " +
                  std::to_string(counters[i]));
    }
  }
  if (counters[3] < 0 || counters[3] >= kRecentEpisodes || counters[4] < 0 ||
      counters[4] > kRecentEpisodes) {
    throw Error(in.source() + ": tensor 'counters' holds an invalid episode ring position");
  }
  const double seconds = in.expect("train_seconds", DType::f64, {}).to_vector<double>()[0];
  if (!std::isfinite(seconds) || seconds < 0) {
    throw Error(in.source() + ": tensor 'train_seconds' must be a finite non-negative number");
  }
  const json& train_seconds = require_field(listed, "train_seconds", manifest_name);
  if (!train_seconds.is_number() || !(train_seconds.get<double>() >= 0)) {
    throw Error(manifest_name + ": field 'counters.train_seconds' must be a non-negative number");
  }
  in.expect("recent_returns", DType::f64, {kRecentEpisodes});
  in.expect("recent_lengths", DType::f64, {kRecentEpisodes});
  check_rng_words(in, "rng/actions");
  check_rng_words(in, "rng/shuffle");
  for (const auto& [name, t] : in) {
    if (name.rfind("optimizer/", 0) != 0) continue;
    if (name.ends_with("/step_count")) {
      if (in.expect(name, DType::i64, {}).to_vector<int64_t>()[0] < 0) {
        throw Error(in.source() + ": tensor '" + name + "' is negative");
      }
    } else if (t.dtype() != DType::f32) {
      throw Error(in.source() + ": tensor '" + name + "' must be F32");
    }
  }
  in.expect("optimizer/model/step_count", DType::i64, {});
  const int64_t num_envs = config.num_envs;
  if (config.normalize_rewards) {
    in.expect("reward_normalizer/mean", DType::f64, {1});
    in.expect("reward_normalizer/var", DType::f64, {1});
    in.expect("reward_normalizer/count", DType::f64, {});
    in.expect("reward_normalizer/discounted_returns", DType::f64, {num_envs});
  }
  const json& saved = require_field(manifest, "environment_state_saved", manifest_name);
  if (!saved.is_boolean()) {
    throw Error(manifest_name + ": field 'environment_state_saved' must be true or false");
  }
  if (saved.get<bool>() != in.contains("envs/physical_state")) {
    throw Error(manifest_name + ": field 'environment_state_saved' is " + saved.dump() + " but " +
                in.source() + (saved.get<bool>() ? " has no" : " has") + " environment state");
  }
  for (const auto& [name, t] : in) {
    if (name.rfind("envs/", 0) == 0 && (t.shape().empty() || t.shape()[0] != num_envs)) {
      throw Error(in.source() + ": tensor '" + name + "' has shape " + shape_string(t.shape()) +
                  ", expected " + std::to_string(num_envs) + " rows (the config's num_envs)");
    }
  }
  if (manifest.contains("last_result") && !manifest["last_result"].is_object()) {
    throw Error(manifest_name + ": field 'last_result' must be an object");
  }
}

struct CheckedCheckpoint {
  json manifest;
  PPOConfig config;
  std::vector<std::byte> state_bytes;
};

// The one validation of an algorithm checkpoint, shared by verify_checkpoint and
// from_checkpoint: files and checksums, algorithm, config, policy list and state.
CheckedCheckpoint check_checkpoint(const fs::path& path) {
  std::map<std::string, std::vector<std::byte>> kept = {{kState, {}}};
  CheckedCheckpoint out;
  out.manifest = verify_folder(path, kManifest, "cairn.algorithm_checkpoint", &kept);
  const json& manifest = out.manifest;
  const std::string name = (path / kManifest).string();
  const json& algorithm = require_field(manifest, "algorithm", name);
  if (algorithm != "PPO") {
    throw Error(name + ": field 'algorithm' is " + excerpt(algorithm.dump()) +
                ", expected \"PPO\"");
  }
  if (!manifest["files"].contains(kState))
    throw Error(name + ": does not list '" + std::string(kState) + "'");
  if (read_policy_ids(manifest, name) != std::vector<std::string>{kPolicyId}) {
    throw Error(name + ": field 'policy_ids' must be [\"" + std::string(kPolicyId) +
                "\"] (a PPO checkpoint holds one policy)");
  }
  try {
    out.config = PPOConfig::from_json(require_field(manifest, "config", name));
    out.config.validate();  // sizes too, before the constructor allocates for them
  } catch (const Error& e) {
    throw Error(name + ": field 'config': " + e.what());
  }
  out.state_bytes = std::move(kept[kState]);
  check_state(parse_safetensors(out.state_bytes, (path / kState).string()), out.config, manifest,
              name);
  return out;
}

}  // namespace

json PPO::verify_checkpoint(const fs::path& path) {
  return check_checkpoint(path).manifest;
}

std::unique_ptr<PPO> PPO::from_checkpoint(const fs::path& given) {
  // A run folder stands for its latest checkpoint, as everywhere in cairn.
  std::error_code ec;
  const fs::path path = !fs::exists(given / kManifest, ec) && fs::exists(given / "latest", ec)
                            ? resolve_checkpoint(given)
                            : given;
  const CheckedCheckpoint checked = check_checkpoint(path);
  const json& manifest = checked.manifest;
  const PPOConfig& config = checked.config;
  const std::vector<std::byte>& state_bytes = checked.state_bytes;
  auto ppo = std::make_unique<PPO>(config);
  PolicyRestoreOptions options;
  options.policy_id = kPolicyId;
  std::unique_ptr<Policy> policy = load_policy(path, options);
  if (!(policy->observation_space() == ppo->policy_->observation_space()) ||
      !(policy->action_space() == ppo->policy_->action_space()) ||
      policy->model().parameters() != ppo->policy_->model().parameters()) {
    throw Error(path.string() +
                ": the saved policy does not match the config's environment and model");
  }
  policy->reserve(
      std::max(ppo->batch_ / static_cast<size_t>(config.num_minibatches), ppo->num_envs_));
  ppo->policy_ = std::move(policy);
  ppo->restore_state(parse_safetensors(state_bytes, (path / kState).string()));
  const json& last = manifest.value("last_result", json::object());
  ppo->last_result_.iteration = ppo->iteration_;
  ppo->last_result_.timesteps = ppo->timesteps_;
  ppo->last_result_.episodes = ppo->episodes_;
  if (last.contains("episode_return_mean") && last["episode_return_mean"].is_number()) {
    ppo->last_result_.episode_return_mean = last["episode_return_mean"].get<double>();
  }
  ppo->last_result_.time_elapsed = ppo->train_seconds_;
  return ppo;
}

}  // namespace cairn
