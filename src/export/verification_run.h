// Internal: the steps every export verification shares — choosing the observations,
// computing the policy's outputs (the reference), comparing, recording.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "cairn/export/export_verification.h"
#include "cairn/policy/policy.h"

namespace cairn::export_detail {

// The outputs of the policy or of an exported artifact for `batch` observations,
// row-major. Only the members that apply to the policy's spaces are filled.
struct PolicyOutputs {
  size_t batch = 0;
  std::vector<int64_t> int_actions;  // integer action spaces: [batch x action size]
  std::vector<float> float_actions;  // Box action spaces: [batch x action size]
  std::vector<float> dist_inputs;    // [batch x head output size]
  std::vector<float> log_std;        // stochastic Gaussian: [batch x action dim]
  std::vector<float> value;          // policies with a value output: [batch]
  std::vector<float> state_out;      // recurrent policies: [batch x state size]
};

// A recurrent verification run: `streams` episodes stepped together for `steps` steps.
// Its rows of VerificationInputs::observations (and starts) begin at first_row, time-major
// (row first_row + t * streams + s is episode s at step t); its states before step 0 are
// initial_states[first_state .. first_state + streams * state size).
struct RecurrentSegment {
  size_t streams = 1;
  size_t steps = 0;
  size_t first_row = 0;
  size_t first_state = 0;
};

struct VerificationInputs {
  std::vector<float> observations;  // [n x observation size]
  size_t num_example = 0;
  size_t num_random = 0;
  // Recurrent policies only (state_size > 0): one flag per observation row, the states
  // before each segment's first step, and the segments (the example's, then the random).
  size_t state_size = 0;
  std::vector<uint8_t> starts;
  std::vector<float> initial_states;
  std::vector<RecurrentSegment> segments;
};

// The example observations followed by fresh draws from the observation space.
// Throws cairn::Error for a negative tolerance, example observations whose length is
// not a multiple of the observation size, example observations the policy refuses, or
// no observations at all.
VerificationInputs verification_observations(const Policy& policy,
                                             const VerificationOptions& options);

// The policy's deterministic outputs (on a copy; `policy` is not touched).
PolicyOutputs reference_outputs(const Policy& policy, std::span<const float> observations);
// The reference for any policy: the feed-forward batch above, or, for a recurrent policy,
// the segments stepped with Policy::compute_actions with state (its own state fed back).
PolicyOutputs reference_outputs(const Policy& policy, const VerificationInputs& inputs);

// A verification record with the run's bookkeeping filled in and status kUnverified.
ExportVerification start_verification(const std::string& format,
                                      std::vector<std::filesystem::path> files,
                                      const VerificationInputs& inputs,
                                      const VerificationOptions& options);

// Fills v.outputs and sets v.status to kVerified or kFailed (with v.reason saying what
// differed and by how much).
void compare_outputs(const Policy& policy, const PolicyOutputs& reference,
                     const PolicyOutputs& exported, double tolerance, ExportVerification& v);

// Writes v as JSON to `record` (atomically) and sets v.record. Throws cairn::Error
// naming the path when it cannot be written.
void write_record(ExportVerification& v, const std::filesystem::path& record);

// For export_*: throws cairn::Error when v failed, or when it is unverified and
// `require` is set. `what` names the export ("ONNX export of <path>").
void enforce(const ExportVerification& v, bool require, const std::string& what);

// The last `max_chars` characters of a program's output, for messages.
std::string tail(const std::string& text, size_t max_chars = 4000);

}  // namespace cairn::export_detail
