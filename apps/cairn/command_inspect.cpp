// `cairn inspect`: what is in a checkpoint, run folder or policy folder, every checksum
// and recorded example verified.
#include <cstdio>
#include <filesystem>

#include "arguments.h"
#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/error.h"
#include "checkpoint_target.h"
#include "commands.h"
#include "policy_description.h"

namespace cairn::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::vector<FlagSpec> kInspectFlags = {
    {"json", false, "", "print one JSON object as the result"},
    {"help", false, "", "show this help"},
};

json policy_summary(const fs::path& folder, const PolicyRestoreReport& report,
                    const Policy& policy) {
  size_t bytes = 0;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const uintmax_t size = it->file_size(ec);
    if (!ec) bytes += static_cast<size_t>(size);
  }
  json summary = {{"folder", folder.string()},
                  {"observation_space", policy.observation_space().to_string()},
                  {"action_space", policy.action_space().to_string()},
                  {"parameters", policy.model().num_parameters() + policy.log_std().size()},
                  {"parameter_tensors", policy.model().parameters().size()},
                  {"observation_normalization", policy.observation_statistics() != nullptr},
                  {"bytes", bytes},
                  {"checksums_verified", true},
                  {"example_verified", report.example_checked},
                  {"example_bit_identical", report.bit_identical},
                  {"example_max_deviation", report.max_abs_deviation}};
  summary.update(describe_policy_head(policy));
  return summary;
}

}  // namespace

int run_inspect(int argc, char** argv, int first) {
  Arguments args("inspect", kInspectFlags, argc, argv, first);
  if (args.has("help")) {
    std::fputs(
        help_text("cairn inspect PATH [--json]",
                  "Describes a checkpoint, run folder or policy folder and verifies its checksums\n"
                  "and recorded examples.",
                  kInspectFlags)
            .c_str(),
        stdout);
    return 0;
  }
  if (args.positional().size() != 1) throw Error("expected one PATH (see --help)");
  const CheckpointTarget target = resolve_target(args.positional()[0]);
  json out = {{"path", target.path.string()}};
  std::vector<std::string> ids = {kDefaultPolicyId};
  if (target.algorithm) {
    // resolve_target() verified every file, the config, the policy list and the algorithm state,
    // as resuming would (restoring the algorithm would also build its environments).
    const json& m = target.manifest;
    out["kind"] = m["kind"];
    out["format_version"] = m["format_version"];
    out["cairn_version"] = m.value("cairn_version", "unknown");
    out["algorithm"] = m["algorithm"];
    out["env_id"] = target.config->at("env_id");
    out["counters"] = m["counters"];
    out["environment_state_saved"] = m["environment_state_saved"];
    out["complete"] = m.value("complete", true);
    ids = m["policy_ids"].get<std::vector<std::string>>();
    size_t bytes = 0;
    for (const auto& [name, entry] : m["files"].items()) bytes += entry["bytes"].get<size_t>();
    out["bytes"] = bytes;
    out["checksums_verified"] = true;
  }
  json policies = json::object();
  for (const std::string& id : ids) {
    PolicyRestoreOptions options;
    options.policy_id = id;
    PolicyRestoreReport report;
    std::unique_ptr<Policy> policy = Policy::from_checkpoint(target.path, options, &report);
    policies[id] = policy_summary(report.folder, report, *policy);
    if (!target.algorithm) {
      // Read from the manifest the restore just checked.
      out["kind"] = kPolicyKind;
      out["format_version"] = report.format_version;
      out["cairn_version"] = report.cairn_version;
    }
  }
  out["policies"] = policies;
  if (args.has("json")) {
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("%s\n  kind %s, format version %lld, written by cairn %s\n", target.path.c_str(),
              out["kind"].get<std::string>().c_str(),
              static_cast<long long>(out["format_version"].get<int64_t>()),
              out["cairn_version"].get<std::string>().c_str());
  if (target.algorithm) {
    const json& c = out["counters"];
    std::printf(
        "  algorithm %s on %s: iteration %lld, %lld timesteps, %lld episodes, %.2f s of training\n",
        out["algorithm"].get<std::string>().c_str(), out["env_id"].get<std::string>().c_str(),
        static_cast<long long>(c.value("iteration", int64_t{0})),
        static_cast<long long>(c.value("timesteps", int64_t{0})),
        static_cast<long long>(c.value("episodes", int64_t{0})), c.value("train_seconds", 0.0));
    std::printf("  %zu bytes in all; every checksum verified; environment state %s\n",
                out["bytes"].get<size_t>(),
                out["environment_state_saved"].get<bool>()
                    ? "saved"
                    : "not saved (episodes restart on resume)");
  }
  for (const auto& [id, p] : policies.items()) {
    std::printf(
        "  policy '%s': %s -> %s, %zu parameters in %zu tensors, %zu bytes%s; example %s\n"
        "    %s\n",
        id.c_str(), p["observation_space"].get<std::string>().c_str(),
        p["action_space"].get<std::string>().c_str(), p["parameters"].get<size_t>(),
        p["parameter_tensors"].get<size_t>(), p["bytes"].get<size_t>(),
        p["observation_normalization"].get<bool>() ? ", observation normalisation" : "",
        p["example_bit_identical"].get<bool>() ? "reproduced bit for bit"
                                               : "reproduced within tolerance",
        policy_head_line(p).c_str());
  }
  return 0;
}

}  // namespace cairn::cli
