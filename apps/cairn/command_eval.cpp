// `cairn eval`: a policy restored alone from a checkpoint, evaluated on its environment.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "arguments.h"
#include "cairn/algorithms/multi_agent_evaluation.h"
#include "cairn/algorithms/policy_mapping.h"
#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/env/env_registry.h"
#include "cairn/env/multi_agent_registry.h"
#include "cairn/error.h"
#include "checkpoint_target.h"
#include "commands.h"
#include "multi_agent_target.h"
#include "policy_description.h"

namespace cairn::cli {
namespace {

using json = nlohmann::json;

const std::vector<FlagSpec> kEvalFlags = {
    {"policy", true, "ID",
     std::string("policy id inside an algorithm checkpoint (default ") + kDefaultPolicyId + ")"},
    {"episodes", true, "N", "episodes (default 100)"},
    {"seed", true, "N", "episode i is reset with seed N + i (default 0)"},
    {"env", true, "ID", "environment (default: the checkpoint's)"},
    {"explore", false, "",
     "explore as the policy's head does (sample, noise or epsilon-greedy) instead of taking "
     "the deterministic action"},
    {"json", false, "", "print one JSON object as the result"},
    {"help", false, "", "show this help"},
};

// A policy of a multi-agent checkpoint plays its agents with the checkpoint's other policies
// playing theirs, as the config's mapping says; every policy is restored alone from its
// folder (no algorithm is built).
int eval_multi_agent(const CheckpointTarget& target, const std::string& env_id,
                     const json& env_options, const std::string& policy_id,
                     const PolicyRestoreReport& report, int64_t episodes, uint64_t seed,
                     bool explore, bool as_json) {
  const MultiAgentTarget run = multi_agent_target(target, env_id, env_options, policy_id);
  std::vector<std::unique_ptr<Policy>> owned;
  std::vector<std::pair<std::string, Policy*>> policies;
  for (const std::string& id : run.policy_ids) {
    PolicyRestoreOptions options;
    options.policy_id = id;
    owned.push_back(load_policy(run.checkpoint, options));
    policies.emplace_back(id, owned.back().get());
  }
  const MultiAgentEvaluation eval =
      evaluate_multi_agent(env_id, env_options, run.mapping, policies, episodes, !explore, seed);
  const auto mine = std::find_if(eval.policies.begin(), eval.policies.end(),
                                 [&](const auto& p) { return p.first == policy_id; });
  const EvaluationResult& r = mine->second;
  const json agents = run.agents;
  const json out = {{"path", run.checkpoint.string()},
                    {"policy", policy_id},
                    {"agents", agents},
                    {"env", env_id},
                    {"episodes", episodes},
                    {"deterministic", !explore},
                    {"mean_return", r.mean_return},
                    {"std_return", r.std_return},
                    {"min_return", r.min_return},
                    {"max_return", r.max_return},
                    {"mean_length", r.mean_length},
                    {"episode_mean_return", eval.episodes.mean_return},
                    {"example_bit_identical", report.bit_identical}};
  if (as_json) {
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("policy '%s' restored alone from %s (checksums verified, example %s), playing %s\n",
              policy_id.c_str(), report.folder.c_str(),
              report.bit_identical ? "reproduced bit for bit" : "reproduced within tolerance",
              agents.dump().c_str());
  std::printf(
      "%s: %lld %s episodes with the checkpoint's other policies; policy '%s' mean return "
      "per agent %.2f +- %.2f (min %.2f, max %.2f); episode return (all agents) %.2f\n",
      env_id.c_str(), static_cast<long long>(episodes), explore ? "exploring" : "deterministic",
      policy_id.c_str(), r.mean_return, r.std_return, r.min_return, r.max_return,
      eval.episodes.mean_return);
  return 0;
}

}  // namespace

int run_eval(int argc, char** argv, int first) {
  Arguments args("eval", kEvalFlags, argc, argv, first);
  if (args.has("help")) {
    std::fputs(
        help_text(
            "cairn eval PATH [--policy ID] [--episodes N] [--seed N] [--env ID] [--explore] "
            "[--json]",
            "Restores a policy alone (from an algorithm checkpoint, a run folder or a policy\n"
            "folder) and evaluates it on its environment. A policy of a multi-agent checkpoint\n"
            "plays its agents while the checkpoint's other policies, each restored alone, play\n"
            "theirs (the config's mapping).",
            kEvalFlags)
            .c_str(),
        stdout);
    return 0;
  }
  if (args.positional().size() != 1) throw Error("expected one PATH (see --help)");
  const CheckpointTarget target = resolve_target(args.positional()[0]);
  PolicyRestoreOptions options;
  options.policy_id = args.get_or("policy", kDefaultPolicyId);
  PolicyRestoreReport report;
  std::unique_ptr<Policy> policy = Policy::from_checkpoint(target.path, options, &report);

  const TargetEnvironment environment = target_environment(target, args.get("env"));
  const std::string& env_id = environment.id;
  const json& env_options = environment.options;
  const int64_t episodes = args.integer_or("episodes", 100, 1, 100000000);
  const uint64_t seed = static_cast<uint64_t>(args.integer_or("seed", 0, 0, INT64_MAX));
  const bool explore = args.has("explore");
  if (is_multi_agent_env(env_id)) {
    const std::string id = target.algorithm ? options.policy_id : target.path.filename().string();
    return eval_multi_agent(target, env_id, env_options, id, report, episodes, seed, explore,
                            args.has("json"));
  }
  auto env = make(env_id, env_options);
  check_policy_fits(*env, env_id, *policy);
  Rng rng = Rng::stream(seed, 7);
  std::vector<float> obs(env->observation_space().size());
  std::vector<double> returns;
  std::vector<int64_t> lengths;
  for (int64_t i = 0; i < episodes; ++i) {
    env->reset(std::span<float>(obs), seed + static_cast<uint64_t>(i));
    // A recurrent policy's memory, carried through the episode (empty for a feed-forward one).
    std::vector<float> state = policy->initial_state();
    double ret = 0;
    int64_t len = 0;
    for (;;) {
      const StepResult s =
          env->step(policy->compute_action(obs, state, len == 0, state, explore, rng), obs);
      ++len;
      if (!std::isfinite(s.reward)) {  // a NaN return would be printed as a score
        throw Error("environment '" + env_id + "' returned a non-finite reward (" +
                    std::to_string(s.reward) + ") at step " + std::to_string(len) + " of episode " +
                    std::to_string(i + 1));
      }
      ret += s.reward;
      if (s.terminated || s.truncated) break;
    }
    returns.push_back(ret);
    lengths.push_back(len);
  }
  const double n = static_cast<double>(episodes);
  const double mean = std::accumulate(returns.begin(), returns.end(), 0.0) / n;
  double var = 0;
  for (double r : returns) var += (r - mean) * (r - mean);
  const json head = describe_policy_head(*policy);
  const json out = {
      {"path", target.path.string()},
      {"head", head["head"]},
      {"exploration", explore ? head["exploration"] : json(nullptr)},
      {"env", env_id},
      {"episodes", episodes},
      {"deterministic", !explore},
      {"mean_return", mean},
      {"std_return", std::sqrt(var / n)},
      {"min_return", *std::min_element(returns.begin(), returns.end())},
      {"max_return", *std::max_element(returns.begin(), returns.end())},
      {"mean_length",
       static_cast<double>(std::accumulate(lengths.begin(), lengths.end(), int64_t{0})) / n},
      {"example_bit_identical", report.bit_identical}};
  if (args.has("json")) {
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("policy %s restored alone (checksums verified, example %s)\n  %s\n",
                report.folder.c_str(),
                report.bit_identical ? "reproduced bit for bit" : "reproduced within tolerance",
                policy_head_line(head).c_str());
    std::printf(
        "%s: %lld %s episodes, mean return %.2f +- %.2f (min %.2f, max %.2f), mean length %.1f\n",
        env_id.c_str(), static_cast<long long>(episodes), explore ? "exploring" : "deterministic",
        mean, out["std_return"].get<double>(), out["min_return"].get<double>(),
        out["max_return"].get<double>(), out["mean_length"].get<double>());
  }
  return 0;
}

}  // namespace cairn::cli
