// ExportVerification: the proof that an exported policy computes what the policy does.
//
// Every export (export_onnx, export_c) runs a set of raw observations through the
// Policy (the reference) and through the exported artifact in a real runtime (ONNX
// Runtime, or the C code compiled by the system compiler), compares every output and
// records the result beside the export as JSON (`<artifact>.verification.json`).
//
// The observations are the caller's example observations (VerificationOptions::
// example_observations, e.g. the policy's recorded example) followed by
// num_random_observations fresh draws from the observation space with cairn::Rng
// (Space::sample: uniform in bounded Box dimensions, normal in unbounded ones,
// exponential tails in half-bounded ones, uniform integers).
//
// Outputs compared (named as the exported tensors):
//   action       integer action spaces: identical (the env action, start included);
//                Box: within the tolerance (the deterministic action of the policy's
//                head, clipped to the bounds)
//   dist_inputs  the head's raw output (logits, Gaussian means, the SAC actor's means
//                and log-stds, the TD3 actor's output, Q-values), within the tolerance
//   log_std      stochastic Gaussian only, within the tolerance
//   value        policies with a value output (the stochastic head), within the tolerance
//   state_out    recurrent policies: the state after the step, within the tolerance
// "Within the tolerance" is norm-wise per observation: |exported - policy| <= tolerance *
// max(1, largest |policy| among that observation's values of the output) (absolute for
// small outputs, relative to the row's scale for large ones: rounding in another
// summation order scales with the magnitudes summed, so a value that cancels to near zero
// beside large ones gets its row's bound); non-finite values must match exactly (same
// infinity, or both NaN).
//
// Recurrent policies (Policy::is_recurrent()): the artifact computes one step with the
// state as explicit input and output, so the proof runs sequences. The example
// observations are one episode's consecutive steps (example_episode_starts flags the rows
// where an episode starts, example_state_in is the state before the first row, as in a
// recurrent policy's recorded example), and the random observations are stepped as
// num_random_sequences episodes side by side (a batch per step; the first step starts
// from random states, later steps start new episodes at random rows, at least one in the
// middle). Each step's state_in is the state_out of the previous step as computed by the
// same side (the artifact feeds its own state back, the policy its own), and every step's
// outputs and state_out are compared with Policy::compute_actions with state.
//
// Status: kVerified when everything agreed; kFailed when an output differed or the
// artifact could not be run although the runtime exists (the exporters then throw
// cairn::Error after recording the failure); kUnverified when no runtime or compiler
// was available: the record says so and why — it is never reported as verified.
//
// Thread safety: plain values. Allocation: everything here allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cairn {

// Which observations an export is checked on, and how strictly.
struct VerificationOptions {
  // Raw observations, row-major [n x observation size] (integer spaces as exact float
  // values), checked first. May be empty. Each must be a valid policy input.
  std::vector<float> example_observations;
  // Fresh observations drawn from the observation space, in addition. The total must
  // not be zero.
  size_t num_random_observations = 64;
  // Seed of the cairn::Rng drawing them.
  uint64_t seed = 0;
  // See the file comment. Must be >= 0.
  double tolerance = 1e-5;
  // Recurrent policies only (ignored otherwise; see the file comment). One flag per
  // example observation (nonzero: an episode starts at that row), or empty: only the
  // first row starts.
  std::vector<uint8_t> example_episode_starts;
  // The state before the first example row (Policy::state_size() values), or empty: the
  // initial state.
  std::vector<float> example_state_in;
  // The random observations are stepped as this many episodes side by side (at least 1;
  // the random observations are rounded down to a multiple of it, at least one step).
  size_t num_random_sequences = 4;
};

// The proof a policy folder asks of an export of its policy: its recorded example (for a
// recurrent policy, the example's sequence: its episode starts and first state) first, then
// the default number of fresh observations. Throws cairn::Error naming the file when the
// example cannot be read.
VerificationOptions recorded_example_verification(const std::filesystem::path& policy_folder,
                                                  bool recurrent);

enum class VerificationStatus { kVerified, kFailed, kUnverified };

// "verified", "failed", "unverified".
std::string to_string(VerificationStatus status);

// How one output of the exported artifact compared with the policy.
struct OutputDeviation {
  std::string name;                // "action", "dist_inputs", "log_std", "value", "state_out"
  bool exact = false;              // compared for identity (integer actions)
  size_t values = 0;               // elements compared (observations x columns)
  size_t mismatches = 0;           // elements outside the tolerance (or not identical)
  double max_abs_deviation = 0.0;  // max |exported - policy|
  double max_rel_deviation = 0.0;  // max |exported - policy| / its row's scale (above)
  bool verified = false;
  // The worst element, e.g. "observation 3, column 1: exported 0.25, policy 0.2500003".
  std::string worst;

  nlohmann::json to_json() const;
};

// The result of verifying one export.
struct ExportVerification {
  std::string format;                        // "onnx" or "c"
  std::vector<std::filesystem::path> files;  // the exported files
  VerificationStatus status = VerificationStatus::kUnverified;
  std::string runtime;  // what ran the artifact, e.g. "onnxruntime-node 1.30.0 (Node v20.20.2)"
  std::string reason;   // why it failed or is unverified; empty when verified
  size_t num_observations = 0;          // total compared
  size_t num_example_observations = 0;  // of which from the caller's example
  size_t num_random_observations = 0;   // of which drawn from the space
  double tolerance = 0.0;
  uint64_t seed = 0;
  std::vector<OutputDeviation> outputs;
  // Recurrent policies: values of state per episode (0: feed-forward, and the record has
  // no "recurrent" entry), the sequences run (the example's and the random episodes) and
  // the episode starts among the steps.
  size_t state_size = 0;
  size_t num_sequences = 0;
  size_t num_episode_starts = 0;
  std::filesystem::path record;  // the JSON file written beside the export

  bool verified() const { return status == VerificationStatus::kVerified; }
  nlohmann::json to_json() const;
  // A few human-readable lines (status, runtime, one per output) for callers to print.
  std::string summary() const;
};

}  // namespace cairn
