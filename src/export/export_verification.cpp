#include "cairn/export/export_verification.h"

#include <cstdio>

#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/io/safetensors.h"

namespace cairn {

VerificationOptions recorded_example_verification(const std::filesystem::path& policy_folder,
                                                  bool recurrent) {
  VerificationOptions verification;
  verification.example_observations = read_example_observations(policy_folder);
  if (recurrent) {
    const TensorDict example = read_safetensors(policy_folder / kPolicyExampleFile);
    for (const int64_t f : example.values<int64_t>("episode_start")) {
      verification.example_episode_starts.push_back(f != 0 ? 1 : 0);
    }
    verification.example_state_in = example.values<float>("state_in");
  }
  return verification;
}

std::string to_string(VerificationStatus status) {
  switch (status) {
    case VerificationStatus::kVerified:
      return "verified";
    case VerificationStatus::kFailed:
      return "failed";
    case VerificationStatus::kUnverified:
      return "unverified";
  }
  return "unverified";
}

nlohmann::json OutputDeviation::to_json() const {
  return {{"name", name},
          {"comparison", exact ? "identical" : "tolerance"},
          {"values", values},
          {"mismatches", mismatches},
          {"max_abs_deviation", max_abs_deviation},
          {"max_rel_deviation", max_rel_deviation},
          {"verified", verified},
          {"worst", worst}};
}

nlohmann::json ExportVerification::to_json() const {
  nlohmann::json files_json = nlohmann::json::array();
  for (const auto& f : files) files_json.push_back(f.string());
  nlohmann::json outputs_json = nlohmann::json::array();
  for (const auto& o : outputs) outputs_json.push_back(o.to_json());
  nlohmann::json j = {{"format", format},
                      {"files", files_json},
                      {"status", to_string(status)},
                      {"verified", verified()},
                      {"runtime", runtime},
                      {"reason", reason},
                      {"observations",
                       {{"total", num_observations},
                        {"example", num_example_observations},
                        {"random", num_random_observations},
                        {"seed", seed}}},
                      {"tolerance", tolerance},
                      {"criterion",
                       "|exported - policy| <= tolerance * max(1, largest |policy| of the "
                       "observation's output); integer actions identical"},
                      {"outputs", outputs_json},
                      {"cairn_version", CAIRN_VERSION_STRING}};
  if (state_size > 0) {
    j["recurrent"] = {
        {"state_size", state_size},
        {"sequences", num_sequences},
        {"episode_starts", num_episode_starts},
        {"stepping",
         "one step per artifact call; each side feeds its own state_out back as the next "
         "state_in; state_out compared like the other outputs"}};
  }
  return j;
}

std::string ExportVerification::summary() const {
  std::string s;
  char line[512];
  std::snprintf(line, sizeof line, "%s export: %s (%zu observations: %zu example, %zu random)\n",
                format == "onnx" ? "ONNX" : "C", to_string(status).c_str(), num_observations,
                num_example_observations, num_random_observations);
  s += line;
  if (state_size > 0) {
    std::snprintf(line, sizeof line,
                  "  recurrent: %zu values of state, %zu sequences stepped, %zu episode starts\n",
                  state_size, num_sequences, num_episode_starts);
    s += line;
  }
  if (!runtime.empty()) s += "  runtime: " + runtime + "\n";
  if (!reason.empty()) s += "  reason: " + reason + "\n";
  for (const OutputDeviation& o : outputs) {
    std::snprintf(line, sizeof line,
                  "  %-12s %-9s max abs %.3g  max rel %.3g  %zu of %zu values off%s\n",
                  o.name.c_str(), o.verified ? "ok" : "MISMATCH", o.max_abs_deviation,
                  o.max_rel_deviation, o.mismatches, o.values, o.exact ? " (identical)" : "");
    s += line;
  }
  if (!record.empty()) s += "  record: " + record.string() + "\n";
  return s;
}

}  // namespace cairn
