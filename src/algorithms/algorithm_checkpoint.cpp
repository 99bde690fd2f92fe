// Algorithm checkpoints (docs/checkpoint-format.md), the same for every algorithm: the
// policy folder, the frame's counters and the algorithm's own state, checksummed.
#include <cctype>
#include <cmath>
#include <map>

#include "cairn/algorithms/algorithm.h"
#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/checkpoint/checkpoint_manager.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/checkpoint/state_tensors.h"
#include "cairn/distributed/communicator.h"
#include "cairn/error.h"
#include "cairn/io/atomic_file.h"
#include "cairn/io/text_file.h"
#include "checkpoint/manifest.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int64_t kCounters = 5;  // iteration, timesteps, episodes, ring next, ring count

std::string relative_name(const fs::path& p, const fs::path& root) {
  return p.lexically_relative(root).generic_string();
}

int64_t non_negative_integer(const json& counters, const char* key, const std::string& file) {
  const json& v = require_field(counters, key, file);
  if (!v.is_number_integer() || v.get<int64_t>() < 0) {
    throw Error(file + ": field 'counters." + key + "' must be a non-negative integer, got " +
                excerpt(v.dump()));
  }
  return v.get<int64_t>();
}

// The frame's part of the state: counters against the manifest, training seconds, the
// episode rings, every optimiser's tensors, the environments' state against the manifest.
void check_frame_state(const TensorDict& in, const json& config, const json& manifest,
                       const std::string& manifest_name) {
  const std::vector<int64_t> counters =
      in.expect("counters", DType::i64, {kCounters}).to_vector<int64_t>();
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
  const int64_t ring = static_cast<int64_t>(EpisodeStatistics::kEpisodes);
  if (counters[3] < 0 || counters[3] >= ring || counters[4] < 0 || counters[4] > ring) {
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
  in.expect("recent_returns", DType::f64, {ring});
  in.expect("recent_lengths", DType::f64, {ring});
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
  const json& saved = require_field(manifest, "environment_state_saved", manifest_name);
  if (!saved.is_boolean()) {
    throw Error(manifest_name + ": field 'environment_state_saved' must be true or false");
  }
  bool has_environment_state = in.contains("envs/physical_state");
  for (const auto& [name, unused] : in) {
    (void)unused;
    has_environment_state = has_environment_state || name.rfind("multi_agent_envs/", 0) == 0;
  }
  if (saved.get<bool>() != has_environment_state) {
    throw Error(manifest_name + ": field 'environment_state_saved' is " + saved.dump() + " but " +
                in.source() + (saved.get<bool>() ? " has no" : " has") + " environment state");
  }
  const int64_t num_envs = config.contains("num_envs") && config["num_envs"].is_number_integer()
                               ? config["num_envs"].get<int64_t>()
                               : 1;
  for (const auto& [name, t] : in) {
    if (name.rfind("envs/", 0) == 0 && (t.shape().empty() || t.shape()[0] != num_envs)) {
      throw Error(in.source() + ": tensor '" + name + "' has shape " + shape_string(t.shape()) +
                  ", expected " + std::to_string(num_envs) + " rows (the config's num_envs)");
    }
  }
  if (manifest.contains("last_result") && !manifest["last_result"].is_object()) {
    throw Error(manifest_name + ": field 'last_result' must be an object");
  }
  if (manifest.contains("complete") && !manifest["complete"].is_boolean()) {
    throw Error(manifest_name + ": field 'complete' must be true or false");
  }
}

struct CheckedCheckpoint {
  fs::path path;
  json manifest;
  const AlgorithmInfo* info = nullptr;
  json config;
  std::vector<std::string> policy_ids;
  std::vector<std::byte> state_bytes;
};

// A run folder stands for its latest checkpoint, as everywhere in cairn.
fs::path checkpoint_folder(const fs::path& given) {
  std::error_code ec;
  if (!fs::exists(given / kCheckpointManifestFile, ec) && fs::exists(given / kLatestFile, ec)) {
    return resolve_checkpoint(given);
  }
  return given;
}

// The one validation of an algorithm checkpoint, shared by verify and restore: files and
// checksums, algorithm, config, policy list and state.
CheckedCheckpoint check_checkpoint(const fs::path& given) {
  CheckedCheckpoint out;
  out.path = checkpoint_folder(given);
  const fs::path& path = out.path;
  std::map<std::string, std::vector<std::byte>> kept = {{kAlgorithmStateFile, {}}};
  out.manifest = verify_folder(path, kCheckpointManifestFile, kAlgorithmCheckpointKind, &kept);
  const json& manifest = out.manifest;
  const std::string name = (path / kCheckpointManifestFile).string();
  const json& algorithm = require_field(manifest, "algorithm", name);
  if (!algorithm.is_string() || !has_algorithm(algorithm.get<std::string>())) {
    std::string known;
    for (const std::string& n : algorithm_names()) known += (known.empty() ? "" : ", ") + n;
    throw Error(name + ": field 'algorithm' is " + json_excerpt(algorithm) +
                ", which this cairn does not know (known: " + known + ")");
  }
  out.info = &algorithm_info(algorithm.get<std::string>());
  if (!manifest["files"].contains(kAlgorithmStateFile))
    throw Error(name + ": does not list '" + std::string(kAlgorithmStateFile) + "'");
  try {
    out.config = out.info->normalize_config(require_field(manifest, "config", name));
  } catch (const Error& e) {
    throw Error(name + ": field 'config': " + e.what());
  }
  out.policy_ids = out.info->policy_ids ? out.info->policy_ids(out.config)
                                        : std::vector<std::string>{kDefaultPolicyId};
  if (read_policy_ids(manifest, name) != out.policy_ids) {
    throw Error(name + ": field 'policy_ids' must be " + json(out.policy_ids).dump() + " (the " +
                out.info->label + " config's policies), got " +
                json_excerpt(manifest["policy_ids"]));
  }
  out.state_bytes = std::move(kept[kAlgorithmStateFile]);
  const TensorDict state =
      parse_safetensors(out.state_bytes, (path / kAlgorithmStateFile).string());
  check_frame_state(state, out.config, manifest, name);
  out.info->check_state(state, out.config);
  return out;
}

}  // namespace

std::vector<std::string> Algorithm::policy_ids() const {
  return {kDefaultPolicyId};
}

Policy& Algorithm::named_policy(const std::string& id) {
  if (id != kDefaultPolicyId) {
    throw Error(label_ + ": no policy '" + id + "' (its policies: " + kDefaultPolicyId + ")");
  }
  return policy();
}

std::vector<float> Algorithm::policy_example_observations(const std::string&) const {
  return example_observations();
}

void Algorithm::restore_named_policy(const std::string& id, std::unique_ptr<Policy> restored,
                                     const std::string& source) {
  named_policy(id);  // the id exists
  restore_policy(std::move(restored), source);
}

void Algorithm::save_checkpoint(const fs::path& dir, bool overwrite) {
  const std::vector<std::string> ids = policy_ids();
  for (const std::string& id : ids) {
    if (const std::string bad = named_policy(id).non_finite_weights(); !bad.empty()) {
      throw Error(label_ + "::save_checkpoint: refusing to write " + dir.string() +
                  (ids.size() == 1 ? std::string(": the policy's weights are")
                                   : ": the weights of policy '" + id + "' are") +
                  " not finite (" + bad + ")");
    }
  }
  // The state first: distributed, gathering the environments' state is collective, and
  // every rank takes part; only rank 0 writes.
  TensorDict state;
  const int64_t counters[kCounters] = {iteration_, timesteps_, episodes_,
                                       static_cast<int64_t>(recent_.next()),
                                       static_cast<int64_t>(recent_.count())};
  state.insert("counters", Tensor::i64(counters, {kCounters}));
  state.insert("train_seconds", Tensor::f64(std::span<const double>(&train_seconds_, 1), {}));
  recent_.save(state);
  save_state(state);
  const VectorEnv* envs = training_environments();
  if (envs && envs->can_save_state()) envs->save_state(state, "envs/");
  if (distributed::world().rank() != 0) return;
  write_directory_atomically(
      dir,
      [&](const fs::path& staging) {
        for (const std::string& id : ids) {
          const fs::path policy_dir = staging / kPoliciesFolder / id;
          fs::create_directories(policy_dir);
          write_policy_files(named_policy(id), policy_dir, policy_example_observations(id));
        }
        write_safetensors(staging / kAlgorithmStateFile, state);
        json files = json::object();
        for (const fs::directory_entry& e : fs::recursive_directory_iterator(staging)) {
          if (e.is_regular_file())
            files[relative_name(e.path(), staging)] = file_entry(read_file(e.path()));
        }
        const json manifest = {{"kind", kAlgorithmCheckpointKind},
                               {"format_version", kCheckpointFormatVersion},
                               {"cairn_version", CAIRN_VERSION_STRING},
                               {"algorithm", name_},
                               {"config", config_json()},
                               {"counters",
                                {{"iteration", iteration_},
                                 {"timesteps", timesteps_},
                                 {"episodes", episodes_},
                                 {"train_seconds", train_seconds_}}},
                               {"last_result", last_result_.to_json()},
                               {"complete", checkpoint_is_complete()},
                               {"environment_state_saved", environment_state_saved()},
                               {"policy_ids", ids},
                               {"files", files}};
        write_file_atomically(staging / kCheckpointManifestFile, manifest.dump(2) + "\n");
      },
      overwrite);
}

void Algorithm::restore_policy(std::unique_ptr<Policy> restored, const std::string& source) {
  Policy& current = policy();
  if (!(restored->observation_space() == current.observation_space()) ||
      !(restored->action_space() == current.action_space()) ||
      restored->model().parameters() != current.model().parameters()) {
    throw Error(source + ": the saved policy does not match the config's environment and model");
  }
  current = std::move(*restored);
}

void Algorithm::restore_checkpoint_state(const TensorDict& in, const json& last) {
  check_state_finite(in);
  int64_t counters[kCounters];
  in.expect("counters", DType::i64, {kCounters}).copy_to(std::span<int64_t>(counters));
  recent_.restore(in, counters[3], counters[4]);
  iteration_ = counters[0];
  timesteps_ = counters[1];
  episodes_ = counters[2];
  in.expect("train_seconds", DType::f64, {}).copy_to(std::span<double>(&train_seconds_, 1));
  restore_state(in);
  if (VectorEnv* envs = training_environments()) {
    if (in.contains("envs/physical_state")) {
      envs->restore_state(in, "envs/");
    } else {
      // Environments without state restart their episodes, seeded from the seed and the
      // iteration.
      envs->reset(seed_ + 1000003ULL * static_cast<uint64_t>(iteration_));
    }
  }
  last_result_ = TrainResult();
  last_result_.iteration = iteration_;
  last_result_.timesteps = timesteps_;
  last_result_.episodes = episodes_;
  if (last.contains("episode_return_mean") && last["episode_return_mean"].is_number()) {
    last_result_.episode_return_mean = last["episode_return_mean"].get<double>();
  }
  last_result_.time_elapsed = train_seconds_;
}

json verify_algorithm_checkpoint(const fs::path& path) {
  return check_checkpoint(path).manifest;
}

std::unique_ptr<Algorithm> restore_algorithm(const fs::path& given, json* manifest) {
  const CheckedCheckpoint checked = check_checkpoint(given);
  const fs::path& path = checked.path;
  std::unique_ptr<Algorithm> algorithm = checked.info->create(checked.config);
  for (const std::string& id : checked.policy_ids) {
    PolicyRestoreOptions options;
    options.policy_id = id;
    algorithm->restore_named_policy(id, load_policy(path, options),
                                    (path / kPoliciesFolder / id).string());
  }
  algorithm->restore_checkpoint_state(
      parse_safetensors(checked.state_bytes, (path / kAlgorithmStateFile).string()),
      checked.manifest.value("last_result", json::object()));
  if (manifest) *manifest = checked.manifest;
  return algorithm;
}

}  // namespace cairn
