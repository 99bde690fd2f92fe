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
