// Policy folders: a policy saved as data, restorable with nothing but the folder.
//
//   <policy folder>/
//     cairn_policy.json     kind "cairn.policy", format_version, cairn_version, observation
//                           and action spaces, model spec, distribution, preprocessor
//                           (the PolicyOptions, the head included), and
//                           {"files": {name: {"sha256", "bytes"}}}
//     weights.safetensors   model parameters by name (F32), "log_std" (F32, stochastic
//                           Gaussian policies), "observation_normalizer/{mean,var,count}"
//                           (F64)
//     example.safetensors   a batch of raw observations "obs" and what the policy computed
//                           for them: "action", "dist_inputs", "log_std" (stochastic
//                           Gaussian only), "value" (stochastic head only) (the names the
//                           exporters use for their inputs/outputs)
//
// docs/checkpoint-format.md is the full specification. Restoring verifies the format
// version, the file list and every checksum, rebuilds the policy and (by default) runs
// the recorded example through it: the outputs must be bit-identical on the same build
// and machine, and within `tolerance` elsewhere (the largest deviation is reported).
//
// Errors are cairn::Error naming the file and the problem. Functions allocate; they are
// thread-safe as long as different threads use different Policy objects and folders.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/io/safetensors.h"
#include "cairn/policy/policy.h"

namespace cairn {

// Throws cairn::Error unless `id` is a usable policy id: non-empty, at most 128
// characters of [A-Za-z0-9_.-], not "." or "..".
void validate_policy_id(const std::string& id);

// `n` observations drawn from `space` with Rng(seed) (unbounded Box elements from a
// standard normal), row-major: the default example batch.
std::vector<float> sample_observations(const Space& space, size_t n, uint64_t seed);

// The recorded example: "obs" (the given raw observations) and the policy's outputs
// for them: "action" (deterministic), "dist_inputs" (the head's raw output, "pi" or "q"),
// "value" only when the policy has a value output (the stochastic head) and "log_std"
// only for a stochastic Gaussian. Runs the policy (deterministic).
// A recurrent policy's example is one sequence, acted a step at a time as an agent acts:
// "state_in" [1, state_size] is the state before row 0 and "episode_start" [rows] (I64, 0 or
// 1) marks the rows where a new episode starts (its state reset to the initial state); the
// outputs are per row as above, plus "state_out" [rows, state_size], the state after each
// row. `episode_starts` and `state_in` empty: a sequence that starts from a state drawn
// with Rng(1) (uniform in [-0.5, 0.5]) and starts a new episode at row rows / 2, so both the
// state passed in and the reset are exercised. Ignored for a feed-forward policy.
TensorDict record_policy_example(Policy& policy, std::span<const float> observations,
                                 std::span<const int64_t> episode_starts = {},
                                 std::span<const float> state_in = {});

// Writes the three policy files into the existing folder `dir` (not atomically; used by
// save_policy and by algorithm checkpoints, which stage the whole checkpoint).
// `example_observations` empty: 16 sampled observations.
void write_policy_files(Policy& policy, const std::filesystem::path& dir,
                        std::span<const float> example_observations = {});

// Saves a standalone policy folder atomically (temporary sibling, fsync, rename). Refuses
// to replace a non-empty existing folder unless `overwrite`.
void save_policy(Policy& policy, const std::filesystem::path& dir,
                 std::span<const float> example_observations = {}, bool overwrite = false);

struct PolicyRestoreOptions {
  std::string policy_id = kDefaultPolicyId;  // used when the path is an algorithm checkpoint
  bool verify_example = true;
  double tolerance = 1e-5;  // |a - b| <= tolerance * max(1, |b|) off the saving machine
  // Off only for fuzzing and diagnostics: every other check still runs.
  bool verify_checksums = true;
};

struct PolicyRestoreReport {
  std::filesystem::path folder;  // the policy folder that was read
  int64_t format_version = 0;
  std::string cairn_version;  // of the cairn that wrote it
  bool example_checked = false;
  bool bit_identical = false;    // every recorded output reproduced exactly
  double max_abs_deviation = 0;  // over "dist_inputs", "log_std", "value", float actions
  size_t example_rows = 0;
};

// Restores the policy of a policy folder, or options.policy_id of an algorithm checkpoint
// (holding cairn_checkpoint.json) or of a run folder's latest (resolve_checkpoint). Needs
// no environment, algorithm or training config. Throws cairn::Error naming the file and
// the problem for a missing path, a missing or extra file, a checksum mismatch, malformed
// JSON or tensors, a tensor of the wrong shape or dtype, an unknown layer, an unknown
// format version, or an example the restored policy does not reproduce (saying how much).
std::unique_ptr<Policy> load_policy(const std::filesystem::path& path,
                                    const PolicyRestoreOptions& options = {},
                                    PolicyRestoreReport* report = nullptr);

// The observations of a policy folder's recorded example ("obs" of example.safetensors,
// row-major), e.g. to prove an export with them. Throws cairn::Error naming the file.
std::vector<float> read_example_observations(const std::filesystem::path& policy_folder);

// The policy files as bytes, for restoring from memory (the fuzz target): the JSON
// manifest and the two tensor files. Checksums are verified like files on disk; the
// names in messages are `source`/<file name>.
struct PolicyFiles {
  std::string source;
  std::string manifest_json;
  std::vector<std::byte> weights, example;
};
std::unique_ptr<Policy> load_policy_from_files(const PolicyFiles& files,
                                               const PolicyRestoreOptions& options = {},
                                               PolicyRestoreReport* report = nullptr);

}  // namespace cairn
