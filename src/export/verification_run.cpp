#include "export/verification_run.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "cairn/error.h"
#include "cairn/io/atomic_file.h"
#include "cairn/random/random.h"

namespace cairn::export_detail {
namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

template <typename T>
OutputDeviation compare(const std::string& name, bool exact, size_t columns,
                        const std::vector<T>& ref, const std::vector<T>& got, double tolerance) {
  OutputDeviation d;
  d.name = name;
  d.exact = exact;
  d.values = ref.size();
  if (got.size() != ref.size()) {
    d.mismatches = ref.size();
    d.max_abs_deviation = d.max_rel_deviation = INFINITY;
    d.worst = "the exported artifact produced " + std::to_string(got.size()) +
              " values; expected " + std::to_string(ref.size());
    return d;
  }
  // Each observation's outputs are compared norm-wise: the scale of an element is the
  // largest finite magnitude in its observation's row (at least 1). Rounding in a
  // different summation order (a compiled loop against a blocked matrix product) is
  // proportional to the magnitudes summed, which the row's largest output reflects; an
  // output that cancels to near zero (a Q-value of -0.13 beside one of 20) is then not
  // held to a tighter bound than its neighbours.
  std::vector<double> row_scale(columns == 0 ? 0 : (ref.size() + columns - 1) / columns, 1.0);
  for (size_t i = 0; i < ref.size(); ++i) {
    const double b = std::fabs(static_cast<double>(ref[i]));
    if (std::isfinite(b)) row_scale[i / columns] = std::max(row_scale[i / columns], b);
  }
  // The worst element: failures first, then the largest relative deviation.
  std::pair<int, double> worst_score{-1, -1.0};
  for (size_t i = 0; i < ref.size(); ++i) {
    const double scale = row_scale[i / columns];
    const double b = static_cast<double>(ref[i]);
    const double a = static_cast<double>(got[i]);
    double abs_dev = 0.0, rel_dev = 0.0;
    bool ok = true;
    if (exact) {
      ok = ref[i] == got[i];
      abs_dev = std::fabs(a - b);
      rel_dev = abs_dev / std::max(1.0, std::fabs(b));
    } else if (!std::isfinite(b) || !std::isfinite(a)) {
      ok = (std::isnan(a) && std::isnan(b)) || a == b;
      abs_dev = rel_dev = ok ? 0.0 : INFINITY;
    } else {
      abs_dev = std::fabs(a - b);
      rel_dev = abs_dev / scale;
      ok = abs_dev <= tolerance * scale;
    }
    d.max_abs_deviation = std::max(d.max_abs_deviation, abs_dev);
    d.max_rel_deviation = std::max(d.max_rel_deviation, rel_dev);
    if (!ok) ++d.mismatches;
    const std::pair<int, double> score{ok ? 0 : 1, std::isnan(rel_dev) ? INFINITY : rel_dev};
    if (score > worst_score) {
      worst_score = score;
      d.worst = "observation " + std::to_string(i / columns) + ", column " +
                std::to_string(i % columns) + ": exported " + number(a) + ", policy " + number(b);
    }
  }
  d.verified = d.mismatches == 0;
  return d;
}

}  // namespace

VerificationInputs verification_observations(const Policy& policy,
                                             const VerificationOptions& options) {
  if (!(options.tolerance >= 0.0)) {
    throw Error("export verification: tolerance must be >= 0 (got " + number(options.tolerance) +
                ")");
  }
  const size_t n = policy.observation_size();
  const auto& example = options.example_observations;
  if (example.size() % n != 0) {
    throw Error("export verification: example_observations has " + std::to_string(example.size()) +
                " values, not a multiple of the observation size " + std::to_string(n) + " of " +
                policy.observation_space().to_string());
  }
  VerificationInputs in;
  in.num_example = example.size() / n;
  in.num_random = options.num_random_observations;
  if (in.num_example + in.num_random == 0) {
    throw Error(
        "export verification: no observations to check (example_observations is empty and "
        "num_random_observations is 0)");
  }
  in.observations = example;
  if (in.num_example > 0) {
    // The policy must accept them (integer observations inside the space).
    std::vector<float> features(in.num_example * policy.feature_size());
    try {
      policy.preprocess(example, features);
    } catch (const Error& e) {
      throw Error(std::string("export verification: an example observation is not a valid "
                              "policy input: ") +
                  e.what());
    }
  }
  Rng rng(options.seed);
  const Space& space = policy.observation_space();
  const size_t state = policy.state_size();
  if (state > 0) {
    in.state_size = state;
    const auto& starts = options.example_episode_starts;
    if (!starts.empty() && starts.size() != in.num_example) {
      throw Error("export verification: example_episode_starts has " +
                  std::to_string(starts.size()) + " flags for " + std::to_string(in.num_example) +
                  " example observations");
    }
    if (!options.example_state_in.empty() && options.example_state_in.size() != state) {
      throw Error("export verification: example_state_in has " +
                  std::to_string(options.example_state_in.size()) + " values; the policy carries " +
                  std::to_string(state) + " values of state");
    }
    if (in.num_example > 0) {
      if (starts.empty()) {
        in.starts.assign(in.num_example, 0);
        in.starts[0] = 1;
      } else {
        for (uint8_t f : starts) in.starts.push_back(f != 0 ? 1 : 0);
      }
      in.segments.push_back({1, in.num_example, 0, 0});
      if (options.example_state_in.empty()) {
        in.initial_states.assign(state, 0.0f);
      } else {
        in.initial_states = options.example_state_in;
      }
    }
    if (in.num_random > 0) {
      const size_t streams =
          std::max<size_t>(1, std::min(options.num_random_sequences, in.num_random));
      const size_t steps = std::max<size_t>(1, in.num_random / streams);
      in.num_random = streams * steps;
      in.segments.push_back({streams, steps, in.num_example, in.initial_states.size()});
      // Random states before step 0 (an episode already under way), then random starts.
      for (size_t k = 0; k < streams * state; ++k) {
        in.initial_states.push_back(static_cast<float>(rng.uniform(-1.0, 1.0)));
      }
      for (size_t t = 0; t < steps; ++t) {
        for (size_t s = 0; s < streams; ++s) {
          bool start = rng.uniform() < 0.2;
          if (t == 0) start = s == 0;                  // one episode starts at the first step
          if (s == 0 && t == steps / 2) start = true;  // and one in the middle
          in.starts.push_back(start ? 1 : 0);
        }
      }
    }
  }
  std::vector<float> row(n);
  std::vector<int64_t> int_row(n);
  for (size_t k = 0; k < in.num_random; ++k) {
    if (space.is_box()) {
      space.sample(rng, std::span<float>(row));
    } else {
      space.sample(rng, std::span<int64_t>(int_row));
      for (size_t e = 0; e < n; ++e) row[e] = static_cast<float>(int_row[e]);
    }
    in.observations.insert(in.observations.end(), row.begin(), row.end());
  }
  return in;
}

PolicyOutputs reference_outputs(const Policy& policy, std::span<const float> observations) {
  Policy p = policy;
  PolicyOutputs out;
  out.batch = observations.size() / policy.observation_size();
  if (out.batch == 0) return out;
  const size_t k = policy.action_size();
  Rng unused(0);
  if (policy.action_space().is_integer()) {
    out.int_actions.resize(out.batch * k);
    p.compute_actions(observations, false, unused, out.int_actions, {});
  } else {
    out.float_actions.resize(out.batch * k);
    p.compute_actions(observations, false, unused, {}, out.float_actions);
  }
  const auto di = p.distribution_inputs().flat();
  out.dist_inputs.assign(di.begin(), di.end());
  if (p.has_value()) {
    const auto v = p.value_outputs().flat();
    out.value.assign(v.begin(), v.end());
  }
  if (!policy.log_std().empty()) {
    for (size_t b = 0; b < out.batch; ++b) {
      out.log_std.insert(out.log_std.end(), policy.log_std().begin(), policy.log_std().end());
    }
  }
  return out;
}

PolicyOutputs reference_outputs(const Policy& policy, const VerificationInputs& inputs) {
  if (inputs.state_size == 0) return reference_outputs(policy, inputs.observations);
  Policy p = policy;
  PolicyOutputs out;
  const size_t n = policy.observation_size(), k = policy.action_size(), S = inputs.state_size;
  const bool integer = policy.action_space().is_integer();
  Rng unused(0);
  for (const RecurrentSegment& seg : inputs.segments) {
    std::vector<float> state(
        inputs.initial_states.begin() + static_cast<ptrdiff_t>(seg.first_state),
        inputs.initial_states.begin() + static_cast<ptrdiff_t>(seg.first_state + seg.streams * S));
    std::vector<float> next(state.size());
    std::vector<int64_t> int_actions(integer ? seg.streams * k : 0);
    std::vector<float> float_actions(integer ? 0 : seg.streams * k);
    for (size_t t = 0; t < seg.steps; ++t) {
      const size_t row = seg.first_row + t * seg.streams;
      p.compute_actions(
          std::span<const float>(inputs.observations).subspan(row * n, seg.streams * n), state,
          std::span<const uint8_t>(inputs.starts).subspan(row, seg.streams), next, false, unused,
          int_actions, float_actions);
      out.int_actions.insert(out.int_actions.end(), int_actions.begin(), int_actions.end());
      out.float_actions.insert(out.float_actions.end(), float_actions.begin(), float_actions.end());
      const auto di = p.distribution_inputs().flat();
      out.dist_inputs.insert(out.dist_inputs.end(), di.begin(), di.end());
      if (p.has_value()) {
        const auto v = p.value_outputs().flat();
        out.value.insert(out.value.end(), v.begin(), v.end());
      }
      for (size_t b = 0; b < seg.streams && !policy.log_std().empty(); ++b) {
        out.log_std.insert(out.log_std.end(), policy.log_std().begin(), policy.log_std().end());
      }
      out.state_out.insert(out.state_out.end(), next.begin(), next.end());
      state.swap(next);
      out.batch += seg.streams;
    }
  }
  return out;
}

ExportVerification start_verification(const std::string& format,
                                      std::vector<std::filesystem::path> files,
                                      const VerificationInputs& inputs,
                                      const VerificationOptions& options) {
  ExportVerification v;
  v.format = format;
  v.files = std::move(files);
  v.status = VerificationStatus::kUnverified;
  v.num_example_observations = inputs.num_example;
  v.num_random_observations = inputs.num_random;
  v.num_observations = inputs.num_example + inputs.num_random;
  v.tolerance = options.tolerance;
  v.seed = options.seed;
  v.state_size = inputs.state_size;
  v.num_sequences = 0;
  for (const RecurrentSegment& seg : inputs.segments) v.num_sequences += seg.streams;
  v.num_episode_starts =
      static_cast<size_t>(std::count(inputs.starts.begin(), inputs.starts.end(), 1));
  return v;
}

void compare_outputs(const Policy& policy, const PolicyOutputs& ref, const PolicyOutputs& got,
                     double tolerance, ExportVerification& v) {
  v.outputs.clear();
  const size_t k = policy.action_size();
  if (policy.action_space().is_integer()) {
    v.outputs.push_back(compare("action", true, k, ref.int_actions, got.int_actions, tolerance));
  } else {
    v.outputs.push_back(
        compare("action", false, k, ref.float_actions, got.float_actions, tolerance));
  }
  v.outputs.push_back(compare("dist_inputs", false, policy.head_output_size(), ref.dist_inputs,
                              got.dist_inputs, tolerance));
  if (!policy.log_std().empty()) {
    v.outputs.push_back(
        compare("log_std", false, policy.log_std().size(), ref.log_std, got.log_std, tolerance));
  }
  if (policy.has_value()) {
    v.outputs.push_back(compare("value", false, 1, ref.value, got.value, tolerance));
  }
  if (policy.is_recurrent()) {
    v.outputs.push_back(
        compare("state_out", false, policy.state_size(), ref.state_out, got.state_out, tolerance));
  }

  std::string reason;
  for (const OutputDeviation& o : v.outputs) {
    if (o.verified) continue;
    if (!reason.empty()) reason += "; ";
    reason += o.name + " differs from the policy: " + std::to_string(o.mismatches) + " of " +
              std::to_string(o.values) + " values " +
              (o.exact ? std::string("not identical") : "outside " + number(tolerance)) +
              " (max abs deviation " + number(o.max_abs_deviation) + ", max rel " +
              number(o.max_rel_deviation) + "); worst: " + o.worst;
  }
  v.status = reason.empty() ? VerificationStatus::kVerified : VerificationStatus::kFailed;
  v.reason = reason;
}

void write_record(ExportVerification& v, const std::filesystem::path& record) {
  v.record = record;
  try {
    write_file_atomically(record, v.to_json().dump(2) + "\n");
  } catch (const Error& e) {
    throw Error("cannot write the verification record " + record.string() + ": " + e.what());
  }
}

void enforce(const ExportVerification& v, bool require, const std::string& what) {
  if (v.status == VerificationStatus::kFailed) {
    throw Error(what + " failed verification against the policy (" + v.runtime + "): " + v.reason +
                " [record: " + v.record.string() + "]");
  }
  if (v.status == VerificationStatus::kUnverified && require) {
    throw Error(what + " could not be verified: " + v.reason + " [record: " + v.record.string() +
                "]");
  }
}

std::string tail(const std::string& text, size_t max_chars) {
  if (text.size() <= max_chars) return text;
  return "..." + text.substr(text.size() - max_chars);
}

}  // namespace cairn::export_detail
