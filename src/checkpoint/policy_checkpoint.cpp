#include "cairn/checkpoint/policy_checkpoint.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <set>

#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/checkpoint/checkpoint_manager.h"
#include "cairn/error.h"
#include "cairn/io/atomic_file.h"
#include "cairn/io/sha256.h"
#include "cairn/io/text_file.h"
#include "checkpoint/manifest.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kStatsMean = "observation_normalizer/mean";
constexpr const char* kStatsVar = "observation_normalizer/var";
constexpr const char* kStatsCount = "observation_normalizer/count";
constexpr size_t kDefaultExampleRows = 16;

std::vector<int64_t> shape_of(size_t rows, size_t cols) {
  return {static_cast<int64_t>(rows), static_cast<int64_t>(cols)};
}

TensorDict policy_weights(const Policy& policy) {
  TensorDict w;
  const nn::Model<float>& model = policy.model();
  for (const nn::TensorInfo& p : model.parameters()) {
    w.insert(p.name, Tensor::f32(model.parameter(p.name), p.shape));
  }
  if (!policy.log_std().empty()) {
    w.insert("log_std",
             Tensor::f32(policy.log_std(), {static_cast<int64_t>(policy.log_std().size())}));
  }
  if (const RunningMeanStd* stats = policy.observation_statistics()) {
    const int64_t d = static_cast<int64_t>(stats->dim());
    w.insert(kStatsMean, Tensor::f64(stats->mean(), {d}));
    w.insert(kStatsVar, Tensor::f64(stats->var(), {d}));
    const double count = stats->count();
    w.insert(kStatsCount, Tensor::f64(std::span<const double>(&count, 1), {}));
  }
  return w;
}

json policy_manifest(const Policy& policy) {
  return {{"kind", kPolicyKind},
          {"format_version", kCheckpointFormatVersion},
          {"cairn_version", CAIRN_VERSION_STRING},
          {"observation_space", policy.observation_space().to_json()},
          {"action_space", policy.action_space().to_json()},
          {"model", policy.model().spec().to_json()},
          {"distribution", policy.distribution().to_json()},
          {"preprocessor", policy.options().to_json()}};
}

void load_weights(Policy& policy, const TensorDict& w, const std::string& file) {
  std::set<std::string> used;
  nn::Model<float>& model = policy.model();
  for (const nn::TensorInfo& p : model.parameters()) {
    const Tensor& t = w.expect(p.name, DType::f32, p.shape);
    t.copy_to(model.parameter(p.name));
    used.insert(p.name);
  }
  if (!policy.log_std().empty()) {
    w.expect("log_std", DType::f32, {static_cast<int64_t>(policy.log_std().size())})
        .copy_to(policy.log_std());
    used.insert("log_std");
  }
  if (RunningMeanStd* stats = policy.observation_statistics()) {
    const int64_t d = static_cast<int64_t>(stats->dim());
    const std::vector<double> mean = w.expect(kStatsMean, DType::f64, {d}).to_vector<double>();
    const std::vector<double> var = w.expect(kStatsVar, DType::f64, {d}).to_vector<double>();
    const double count = w.expect(kStatsCount, DType::f64, {}).to_vector<double>()[0];
    try {
      stats->set_state(mean, var, count);
    } catch (const Error& e) {
      throw Error(file + ": invalid observation statistics: " + e.what());
    }
    used.insert({kStatsMean, kStatsVar, kStatsCount});
  }
  for (const auto& [name, t] : w) {
    if (!used.count(name)) {
      throw Error(file + ": unexpected tensor '" + name + "' (the model has no such parameter)");
    }
  }
  // Named here, before the example check would report it as a deviation of "inf".
  if (const std::string bad = policy.non_finite_weights(); !bad.empty()) {
    throw Error(file + ": " + bad + "; the weights must be finite");
  }
}

// Largest deviation, relative to max(1, |reference|), between two float tensors.
double deviation(std::span<const float> got, std::span<const float> want, bool& identical) {
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::bit_cast<uint32_t>(got[i]) != std::bit_cast<uint32_t>(want[i])) identical = false;
    const double d = std::abs(static_cast<double>(got[i]) - static_cast<double>(want[i])) /
                     std::max(1.0, std::abs(static_cast<double>(want[i])));
    worst = std::max(worst, std::isnan(d) ? INFINITY : d);
  }
  return worst;
}

void verify_example(Policy& policy, const TensorDict& recorded, const std::string& file,
                    const PolicyRestoreOptions& options, PolicyRestoreReport& report) {
  const Tensor& obs = recorded.at("obs");
  if (obs.dtype() != DType::f32 || obs.shape().size() != 2 || obs.shape()[0] < 1 ||
      obs.shape()[1] != static_cast<int64_t>(policy.observation_size())) {
    throw Error(file + ": tensor 'obs' must be F32 [rows, " +
                std::to_string(policy.observation_size()) + "], got " +
                std::string(dtype_name(obs.dtype())) + " " + shape_string(obs.shape()));
  }
  const std::vector<float> observations = obs.to_vector<float>();
  std::vector<int64_t> starts;
  std::vector<float> state_in;
  if (policy.is_recurrent()) {
    // The recorded sequence's inputs besides the observations (record_policy_example).
    const auto rows = obs.shape()[0];
    const auto state = static_cast<int64_t>(policy.state_size());
    starts = recorded.expect("episode_start", DType::i64, {rows}).to_vector<int64_t>();
    state_in = recorded.expect("state_in", DType::f32, {1, state}).to_vector<float>();
  }
  const TensorDict now = record_policy_example(policy, observations, starts, state_in);
  for (const auto& [name, t] : recorded) {
    if (!now.contains(name)) throw Error(file + ": unexpected tensor '" + name + "'");
  }
  bool identical = true;
  double worst = 0;
  for (const auto& [name, mine] : now) {
    const Tensor& theirs = recorded.expect(name, mine.dtype(), mine.shape());
    if (mine.dtype() == DType::i64) {
      const std::vector<int64_t> a = mine.to_vector<int64_t>(), b = theirs.to_vector<int64_t>();
      for (size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) {
          throw Error(file + ": the restored policy does not reproduce the recorded example: '" +
                      name + "' element " + std::to_string(i) + " is " + std::to_string(a[i]) +
                      ", recorded " + std::to_string(b[i]));
        }
      }
      continue;
    }
    const std::vector<float> a = mine.to_vector<float>(), b = theirs.to_vector<float>();
    const double d = deviation(a, b, identical);
    if (!(d <= options.tolerance)) {
      throw Error(file + ": the restored policy does not reproduce the recorded example: '" + name +
                  "' deviates by up to " + std::to_string(d) +
                  " (relative to max(1, |value|)); the "
                  "tolerance is " +
                  std::to_string(options.tolerance));
    }
    worst = std::max(worst, d);
  }
  report.example_checked = true;
  report.bit_identical = identical;
  report.max_abs_deviation = worst;
  report.example_rows = static_cast<size_t>(obs.shape()[0]);
}

}  // namespace

void validate_policy_id(const std::string& id) {
  if (id.empty()) throw Error("invalid policy id: it is empty");
  if (id == "." || id == "..") throw Error("invalid policy id '" + id + "'");
  if (id.size() > 128) throw Error("invalid policy id: longer than 128 characters");
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) {
      throw Error("invalid policy id '" + id +
                  "': only letters, digits, '_', '-' and '.' are "
                  "allowed (no path separators)");
    }
  }
}

std::vector<float> sample_observations(const Space& space, size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> out(n * space.size());
  for (size_t r = 0; r < n; ++r) {
    const std::span<float> row(out.data() + r * space.size(), space.size());
    if (space.is_box()) {
      space.sample(rng, row);
    } else {
      std::vector<int64_t> v(space.size());
      space.sample(rng, std::span<int64_t>(v));
      for (size_t k = 0; k < v.size(); ++k) row[k] = static_cast<float>(v[k]);
    }
  }
  return out;
}

namespace {

// The outputs of the rows computed last (a whole batch, or one step of a sequence).
void append_outputs(Policy& policy, std::vector<float>& dist_inputs, std::vector<float>& values) {
  const std::span<const float> inputs = policy.distribution_inputs().flat();
  dist_inputs.insert(dist_inputs.end(), inputs.begin(), inputs.end());
  if (policy.has_value()) {
    const std::span<const float> v = policy.value_outputs().flat();
    values.insert(values.end(), v.begin(), v.end());
  }
}

}  // namespace

TensorDict record_policy_example(Policy& policy, std::span<const float> observations,
                                 std::span<const int64_t> episode_starts,
                                 std::span<const float> state_in) {
  const size_t n = policy.observation_size();
  if (observations.empty() || observations.size() % n != 0) {
    throw Error("record_policy_example: " + std::to_string(observations.size()) +
                " observation values is not a positive multiple of " + std::to_string(n));
  }
  const size_t rows = observations.size() / n;
  const size_t act = policy.action_size();
  const size_t state = policy.state_size();
  TensorDict example;
  example.insert("obs", Tensor::f32(observations, shape_of(rows, n)));
  Rng unused(0);
  std::vector<int64_t> int_actions(policy.action_space().is_integer() ? rows * act : 0);
  std::vector<float> float_actions(policy.action_space().is_integer() ? 0 : rows * act);
  std::vector<float> dist_inputs, values;
  if (!policy.is_recurrent()) {
    policy.compute_actions(observations, false, unused, int_actions, float_actions);
    append_outputs(policy, dist_inputs, values);  // computed on exactly these observations
  } else {
    std::vector<int64_t> starts(episode_starts.begin(), episode_starts.end());
    if (starts.empty()) {
      starts.assign(rows, 0);
      if (rows >= 2) starts[rows / 2] = 1;
    }
    std::vector<float> first(state_in.begin(), state_in.end());
    if (first.empty()) {
      Rng rng(1);
      first.resize(state);
      for (float& v : first) v = static_cast<float>(rng.uniform(-0.5, 0.5));
    }
    if (starts.size() != rows || first.size() != state) {
      throw Error("record_policy_example: " + std::to_string(starts.size()) +
                  " episode-start flags and " + std::to_string(first.size()) +
                  " state values for a sequence of " + std::to_string(rows) +
                  " observations of a policy with " + std::to_string(state) +
                  " values of state (one flag per observation, one state)");
    }
    example.insert("state_in", Tensor::f32(first, shape_of(1, state)));
    example.insert("episode_start", Tensor::i64(starts, {static_cast<int64_t>(rows)}));
    std::vector<float> current = first, states;
    for (size_t r = 0; r < rows; ++r) {
      const uint8_t start = starts[r] != 0 ? 1 : 0;
      policy.compute_actions(observations.subspan(r * n, n), current,
                             std::span<const uint8_t>(&start, 1), current, false, unused,
                             int_actions.empty() ? std::span<int64_t>()
                                                 : std::span<int64_t>(&int_actions[r * act], act),
                             float_actions.empty()
                                 ? std::span<float>()
                                 : std::span<float>(&float_actions[r * act], act));
      append_outputs(policy, dist_inputs, values);
      states.insert(states.end(), current.begin(), current.end());
    }
    example.insert("state_out", Tensor::f32(states, shape_of(rows, state)));
  }
  if (policy.action_space().is_integer()) {
    example.insert("action", Tensor::i64(int_actions, shape_of(rows, act)));
  } else {
    example.insert("action", Tensor::f32(float_actions, shape_of(rows, act)));
  }
  example.insert("dist_inputs",
                 Tensor::f32(dist_inputs, shape_of(rows, dist_inputs.size() / rows)));
  if (policy.has_value()) example.insert("value", Tensor::f32(values, shape_of(rows, 1)));
  if (!policy.log_std().empty()) {
    std::vector<float> log_std;
    for (size_t r = 0; r < rows; ++r)
      log_std.insert(log_std.end(), policy.log_std().begin(), policy.log_std().end());
    example.insert("log_std", Tensor::f32(log_std, shape_of(rows, policy.log_std().size())));
  }
  return example;
}

void write_policy_files(Policy& policy, const fs::path& dir,
                        std::span<const float> example_observations) {
  if (const std::string bad = policy.non_finite_weights(); !bad.empty()) {
    throw Error("refusing to write the policy folder " + dir.string() + ": " + bad);
  }
  std::vector<float> sampled;
  if (example_observations.empty()) {
    sampled = sample_observations(policy.observation_space(), kDefaultExampleRows, 0);
    example_observations = sampled;
  }
  const std::vector<std::byte> weights = serialize_safetensors(policy_weights(policy));
  const std::vector<std::byte> example =
      serialize_safetensors(record_policy_example(policy, example_observations));
  json manifest = policy_manifest(policy);
  manifest["files"] = {{kPolicyWeightsFile, file_entry(weights)},
                       {kPolicyExampleFile, file_entry(example)}};
  write_file_atomically(dir / kPolicyWeightsFile, weights);
  write_file_atomically(dir / kPolicyExampleFile, example);
  write_file_atomically(dir / kPolicyManifestFile, manifest.dump(2) + "\n");
}

void save_policy(Policy& policy, const fs::path& dir, std::span<const float> example_observations,
                 bool overwrite) {
  write_directory_atomically(
      dir,
      [&](const fs::path& staging) { write_policy_files(policy, staging, example_observations); },
      overwrite);
}

std::unique_ptr<Policy> load_policy_from_files(const PolicyFiles& files,
                                               const PolicyRestoreOptions& options,
                                               PolicyRestoreReport* report) {
  const std::string manifest_name = files.source + "/" + kPolicyManifestFile;
  const json manifest = parse_manifest(files.manifest_json, manifest_name, kPolicyKind);
  PolicyRestoreReport local;
  PolicyRestoreReport& r = report ? *report : local;
  r.format_version = manifest["format_version"].get<int64_t>();
  r.cairn_version = manifest.value("cairn_version", std::string("unknown"));

  // Every listed file is present with its checksum; nothing else is listed.
  const json& listed = require_field(manifest, "files", manifest_name);
  if (!listed.is_object()) throw Error(manifest_name + ": field 'files' must be an object");
  for (const auto& [name, entry] : listed.items()) {
    if (name != kPolicyWeightsFile && name != kPolicyExampleFile) {
      throw Error(manifest_name + ": lists unexpected file " + excerpt(name, 200));
    }
  }
  if (options.verify_checksums) {
    verify_file_entry(listed, kPolicyWeightsFile, files.weights, files.source);
    verify_file_entry(listed, kPolicyExampleFile, files.example, files.source);
  }

  auto read = [&](const char* field) -> const json& {
    return require_field(manifest, field, manifest_name);
  };
  auto with_context = [&](const char* field, auto&& build) {
    try {
      return build(read(field));
    } catch (const Error& e) {
      throw Error(manifest_name + ": field '" + field + "': " + e.what());
    }
  };
  const Space obs_space =
      with_context("observation_space", [](const json& j) { return Space::from_json(j); });
  const Space act_space =
      with_context("action_space", [](const json& j) { return Space::from_json(j); });
  const nn::ModelSpec spec =
      with_context("model", [](const json& j) { return nn::ModelSpec::from_json(j); });
  const PolicyOptions policy_options =
      with_context("preprocessor", [](const json& j) { return PolicyOptions::from_json(j); });
  const ActionDistribution<float> dist = with_context(
      "distribution", [](const json& j) { return ActionDistribution<float>::from_json(j); });
  if (!(dist == ActionDistribution<float>::for_action_space(act_space))) {
    throw Error(manifest_name + ": field 'distribution' " + json_excerpt(dist.to_json()) +
                " does not match the action space " + act_space.to_string());
  }
  // Every parameter is stored in the weights file, so a spec needing more than the file
  // holds is refused before anything that size is allocated.
  const size_t params = nn::parameter_count(spec);
  if (params > files.weights.size() / sizeof(float)) {
    throw Error(
        manifest_name + ": field 'model' needs " +
        (params == SIZE_MAX ? std::string("an impossible number of") : std::to_string(params)) +
        " parameters, more than " + files.source + "/" + kPolicyWeightsFile + " (" +
        std::to_string(files.weights.size()) + " bytes) can hold");
  }
  std::unique_ptr<Policy> policy;
  try {
    policy = std::make_unique<Policy>(obs_space, act_space, spec, policy_options);
  } catch (const Error& e) {
    throw Error(manifest_name + ": " + e.what());
  }
  const std::string weights_name = files.source + "/" + kPolicyWeightsFile;
  load_weights(*policy, parse_safetensors(files.weights, weights_name), weights_name);
  if (options.verify_example) {
    const std::string example_name = files.source + "/" + kPolicyExampleFile;
    verify_example(*policy, parse_safetensors(files.example, example_name), example_name, options,
                   r);
  }
  return policy;
}

namespace {

// Whether something (possibly a link, dangling or looping) is at `p`; links not followed.
bool entry_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

}  // namespace

std::unique_ptr<Policy> load_policy(const fs::path& path, const PolicyRestoreOptions& options,
                                    PolicyRestoreReport* report) {
  require_path(path, "checkpoint path");
  fs::path folder = path;
  if (!entry_exists(path / kPolicyManifestFile)) {
    if (!entry_exists(path / kCheckpointManifestFile) && !entry_exists(path / kLatestFile)) {
      throw Error("'" + path.string() + "' is neither a policy folder (no " + kPolicyManifestFile +
                  "), an algorithm checkpoint (no " + kCheckpointManifestFile +
                  ") nor a run folder (no '" + kLatestFile + "' marker)");
    }
    // A run folder stands for its latest checkpoint, as everywhere in cairn.
    const fs::path checkpoint = resolve_checkpoint(path);
    const fs::path algorithm_manifest = checkpoint / kCheckpointManifestFile;
    validate_policy_id(options.policy_id);
    // The checkpoint's own list of policies is checked by every reader, not only inspect.
    require_plain_entry(checkpoint, algorithm_manifest);
    const std::vector<std::string> ids = read_policy_ids(
        read_manifest(algorithm_manifest, kAlgorithmCheckpointKind), algorithm_manifest.string());
    if (std::find(ids.begin(), ids.end(), options.policy_id) == ids.end()) {
      std::string listed;
      for (const std::string& id : ids) listed += (listed.empty() ? "'" : ", '") + id + "'";
      throw Error("algorithm checkpoint '" + checkpoint.string() + "' has no policy '" +
                  options.policy_id + "' (its policy_ids are " + listed + ")");
    }
    folder = checkpoint / kPoliciesFolder / options.policy_id;
    require_plain_entry(checkpoint, checkpoint / kPoliciesFolder);
    if (!entry_exists(folder / kPolicyManifestFile)) {
      throw Error("algorithm checkpoint '" + checkpoint.string() + "' has no policy '" +
                  options.policy_id + "' (no " + (folder / kPolicyManifestFile).string() + ")");
    }
    require_plain_entry(checkpoint, folder);
  }
  // Nothing but the three files (and temporaries of an interrupted write, which start with
  // '.'), each a regular file itself: links, pipes and devices are refused, never opened.
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind('.', 0) == 0) continue;
    if (name != kPolicyManifestFile && name != kPolicyWeightsFile && name != kPolicyExampleFile) {
      throw Error(folder.string() + ": unexpected file " + excerpt(name, 200) +
                  " in the policy folder");
    }
    require_plain_entry(folder, it->path());
  }
  if (ec) throw Error("cannot list '" + folder.string() + "': " + ec.message());
  PolicyFiles files;
  files.source = folder.string();
  files.manifest_json =
      read_text_file(folder / kPolicyManifestFile, kMaxJsonFileBytes, "a checkpoint manifest");
  for (const char* name : {kPolicyWeightsFile, kPolicyExampleFile}) {
    if (!entry_exists(folder / name)) {
      throw Error(folder.string() + ": missing file '" + name + "' (listed in " +
                  kPolicyManifestFile + ")");
    }
  }
  files.weights = read_file(folder / kPolicyWeightsFile);
  files.example = read_file(folder / kPolicyExampleFile);
  PolicyRestoreReport local;
  PolicyRestoreReport& r = report ? *report : local;
  r.folder = folder;
  return load_policy_from_files(files, options, &r);
}

std::vector<float> read_example_observations(const fs::path& policy_folder) {
  const TensorDict example = read_safetensors(policy_folder / kPolicyExampleFile);
  const std::string file = (policy_folder / kPolicyExampleFile).string();
  if (!example.contains("obs")) throw Error(file + ": missing tensor 'obs'");
  if (example.at("obs").dtype() != DType::f32) throw Error(file + ": tensor 'obs' must be F32");
  return example.values<float>("obs");
}

std::unique_ptr<Policy> Policy::from_checkpoint(const fs::path& path) {
  return load_policy(path);
}

std::unique_ptr<Policy> Policy::from_checkpoint(const fs::path& path,
                                                const PolicyRestoreOptions& options,
                                                PolicyRestoreReport* report) {
  return load_policy(path, options, report);
}

void Policy::save(const fs::path& dir, bool overwrite) {
  save_policy(*this, dir, {}, overwrite);
}

}  // namespace cairn
