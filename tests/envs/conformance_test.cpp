// Replays reference episodes recorded from Gymnasium (by default
// ../shared/conformance/gymnasium/classic_control.jsonl, or the file named by the
// environment variable CAIRN_GYMNASIUM_REFERENCE) through cairn's built-in environments.
//
// Any file in the same format is accepted: one JSON object per line, one episode each
// (env, seed, policy, gymnasium_version, max_episode_steps, initial_state, initial_obs,
// steps[{action, obs, reward, terminated, truncated, state}]), whatever environments, seeds
// and episode counts it holds. The reader checks the file's own completeness instead of a
// fixed count: every line parses, every field is present with its type, every episode ends
// with termination or truncation and nowhere before its last step, truncation happens
// exactly at max_episode_steps, and no (env, seed, policy) episode appears twice. A file
// cut short (mid-line) or an episode cut short is refused with an error naming the file
// and line.
//
// Every episode is made with make(env) and the recorded time limit, and reset(seed) must
// reproduce the recorded initial state and observation exactly (seeding parity). It is then
// replayed twice, and both replays assert bit-exactness at every step of every episode
// (observation, reward, terminated/truncated and float64 state):
//
//  * stepwise: before every step the recorded previous state is set (set_state on the
//    unwrapped environment), so each step is checked on its own;
//  * free-running: the recorded initial state is set once and the recorded actions are
//    applied for the whole episode.
//
// The recording computes Gymnasium's formulas with the C library's sin/cos (NumPy with
// its SIMD sin/cos disabled), as cairn does, so nothing differs in any bit; an earlier
// recording made with NumPy's AVX-512 SVML sin/cos differed in the last bits and CartPole's
// unstable pole amplified that, which is why this test once had tolerances.
//
// Failure messages name env, seed, policy, step, element and both values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/env/env_registry.h"
#include "cairn/error.h"
#include "error_matchers.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

std::string conformance_reference_path() {
  if (const char* p = std::getenv("CAIRN_GYMNASIUM_REFERENCE"); p && *p) return p;
  return CAIRN_SHARED_DIR "/conformance/gymnasium/classic_control.jsonl";
}

std::string conformance_fmt(double v) {
  std::ostringstream s;
  s << std::setprecision(17) << v;
  return s.str();
}

std::vector<double> conformance_doubles(const nlohmann::json& j) {
  return j.get<std::vector<double>>();
}

// Reads and validates a reference file. Throws cairn::Error naming the file, the line and
// what is wrong with it.
std::vector<nlohmann::json> read_conformance_reference(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open the reference file " + path);
  std::vector<nlohmann::json> episodes;
  std::set<std::tuple<std::string, int64_t, std::string>> seen;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(line_no);
    nlohmann::json ep;
    try {
      ep = nlohmann::json::parse(line);
    } catch (const std::exception& e) {
      throw Error(where + ": not a complete JSON object (a truncated file?): " + e.what());
    }
    auto need = [&](const nlohmann::json& obj, const char* key, auto is_type, const char* type,
                    const std::string& at) -> const nlohmann::json& {
      if (!obj.is_object() || !obj.contains(key)) {
        throw Error(at + ": the field '" + key + "' is missing");
      }
      const nlohmann::json& v = obj.at(key);
      if (!is_type(v)) throw Error(at + ": the field '" + key + "' is not " + type);
      return v;
    };
    auto is_string = [](const nlohmann::json& v) { return v.is_string(); };
    auto is_integer = [](const nlohmann::json& v) { return v.is_number_integer(); };
    auto is_boolean = [](const nlohmann::json& v) { return v.is_boolean(); };
    auto is_number = [](const nlohmann::json& v) { return v.is_number(); };
    auto is_numbers = [](const nlohmann::json& v) {
      return v.is_array() &&
             std::all_of(v.begin(), v.end(), [](const nlohmann::json& x) { return x.is_number(); });
    };
    auto is_action = [&](const nlohmann::json& v) {
      return v.is_number_integer() || is_numbers(v);
    };

    const std::string env = need(ep, "env", is_string, "a string", where).get<std::string>();
    const int64_t seed = need(ep, "seed", is_integer, "an integer", where).get<int64_t>();
    const std::string policy = need(ep, "policy", is_string, "a string", where).get<std::string>();
    need(ep, "gymnasium_version", is_string, "a string", where);
    const int64_t limit =
        need(ep, "max_episode_steps", is_integer, "an integer", where).get<int64_t>();
    need(ep, "initial_state", is_numbers, "an array of numbers", where);
    need(ep, "initial_obs", is_numbers, "an array of numbers", where);
    const nlohmann::json& steps = need(
        ep, "steps", [](const nlohmann::json& v) { return v.is_array(); }, "an array", where);
    const std::string who =
        where + " (" + env + " seed " + std::to_string(seed) + " policy " + policy + ")";
    if (!is_registered(env)) throw Error(who + ": '" + env + "' is not a registered environment");
    if (limit <= 0) throw Error(who + ": max_episode_steps must be positive");
    if (!seen.insert({env, seed, policy}).second) throw Error(who + ": a duplicate episode");
    if (steps.empty()) throw Error(who + ": the episode has no steps");
    if (static_cast<int64_t>(steps.size()) > limit) {
      throw Error(who + ": " + std::to_string(steps.size()) +
                  " steps, more than max_episode_steps " + std::to_string(limit));
    }
    for (size_t t = 0; t < steps.size(); ++t) {
      const std::string at = who + " step " + std::to_string(t);
      const nlohmann::json& s = steps[t];
      need(s, "action", is_action, "an integer or an array of numbers", at);
      need(s, "obs", is_numbers, "an array of numbers", at);
      need(s, "reward", is_number, "a number", at);
      need(s, "state", is_numbers, "an array of numbers", at);
      const bool terminated = need(s, "terminated", is_boolean, "a boolean", at).get<bool>();
      const bool truncated = need(s, "truncated", is_boolean, "a boolean", at).get<bool>();
      const bool last = t + 1 == steps.size();
      // Gymnasium's TimeLimit truncates exactly when the step count reaches the limit.
      const bool at_limit = static_cast<int64_t>(t) + 1 == limit;
      if (truncated != at_limit) {
        throw Error(at + ": truncated is " + (truncated ? "true" : "false") + " at step " +
                    std::to_string(t + 1) + " of max_episode_steps " + std::to_string(limit));
      }
      if (!last && terminated) {
        throw Error(at + ": the episode terminates before its last recorded step");
      }
      if (last && !terminated && !truncated) {
        throw Error(at +
                    ": the episode's last step neither terminates nor truncates (an "
                    "incomplete episode?)");
      }
    }
    episodes.push_back(std::move(ep));
  }
  if (in.bad()) throw Error("error reading the reference file " + path);
  if (episodes.empty()) throw Error("the reference file " + path + " holds no episode");
  return episodes;
}

struct ConformanceReference {
  std::string path;
  std::string error;  // non-empty if the file could not be read or is incomplete
  std::vector<nlohmann::json> episodes;
};

const ConformanceReference& conformance_reference() {
  static const ConformanceReference ref = [] {
    ConformanceReference r;
    r.path = conformance_reference_path();
    try {
      r.episodes = read_conformance_reference(r.path);
    } catch (const Error& e) {
      r.error = e.what();
    }
    return r;
  }();
  return ref;
}

// What one replay saw, printed after the test.
struct ConformanceStats {
  int episodes = 0;
  int64_t steps = 0;
};

// Checks reset(seed) against the recording. Returns false (after reporting) on mismatch.
bool check_conformance_reset(Env& env, const nlohmann::json& ep, const std::string& who) {
  const std::vector<double> initial_state = conformance_doubles(ep.at("initial_state"));
  const std::vector<double> initial_obs = conformance_doubles(ep.at("initial_obs"));
  const std::vector<float> obs0 = env.reset(ep.at("seed").get<uint64_t>());
  const std::vector<double> state0 = env.get_state();
  if (state0.size() != initial_state.size() || obs0.size() != initial_obs.size()) {
    ADD_FAILURE() << who << ": state/observation sizes " << state0.size() << "/" << obs0.size()
                  << " differ from the recording's " << initial_state.size() << "/"
                  << initial_obs.size();
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < state0.size(); ++i) {
    if (state0[i] != initial_state[i]) {
      ADD_FAILURE() << who << ": state after reset, element " << i << ": cairn "
                    << conformance_fmt(state0[i]) << " vs Gymnasium "
                    << conformance_fmt(initial_state[i]);
      ok = false;
    }
  }
  for (size_t i = 0; i < obs0.size(); ++i) {
    if (obs0[i] != static_cast<float>(initial_obs[i])) {
      ADD_FAILURE() << who << ": observation after reset, element " << i << ": cairn "
                    << conformance_fmt(obs0[i]) << " vs Gymnasium "
                    << conformance_fmt(initial_obs[i]);
      ok = false;
    }
  }
  return ok;
}

enum class ReplayMode { stepwise, free_running };

// Replays one episode, asserting every step bit for bit. Returns false after the first
// failing step (the later steps of a diverged episode add nothing).
bool replay_conformance_episode(const nlohmann::json& ep, ReplayMode mode,
                                ConformanceStats& stats) {
  const std::string env_id = ep.at("env").get<std::string>();
  const std::string who = env_id + " seed " + std::to_string(ep.at("seed").get<int64_t>()) +
                          " policy " + ep.at("policy").get<std::string>() +
                          (mode == ReplayMode::stepwise ? " (stepwise)" : " (free-running)");
  ++stats.episodes;

  std::unique_ptr<Env> env =
      make(env_id, {{"max_episode_steps", ep.at("max_episode_steps").get<int64_t>()}});
  if (!check_conformance_reset(*env, ep, who)) return false;
  env->unwrapped().set_state(conformance_doubles(ep.at("initial_state")));

  std::vector<float> obs(env->observation_space().size());
  std::vector<int64_t> int_action(1);
  std::vector<float> float_action;
  const nlohmann::json& steps = ep.at("steps");
  for (size_t t = 0; t < steps.size(); ++t) {
    const nlohmann::json& rec = steps[t];
    const std::string at = who + " step " + std::to_string(t);
    if (mode == ReplayMode::stepwise && t > 0) {
      env->unwrapped().set_state(conformance_doubles(steps[t - 1].at("state")));
    }
    StepResult r;
    if (rec.at("action").is_array()) {
      // Box actions were float32 arrays in Gymnasium; the recorded values are exact.
      float_action.clear();
      for (double a : conformance_doubles(rec.at("action"))) {
        float_action.push_back(static_cast<float>(a));
      }
      r = env->step(ActionRef{{}, float_action}, obs);
    } else {
      int_action[0] = rec.at("action").get<int64_t>();
      r = env->step(ActionRef{int_action, {}}, obs);
    }
    ++stats.steps;
    bool ok = true;

    const std::vector<double> want_obs = conformance_doubles(rec.at("obs"));
    if (want_obs.size() != obs.size()) {
      ADD_FAILURE() << at << ": the recording has " << want_obs.size()
                    << " observation elements, cairn " << obs.size();
      return false;
    }
    for (size_t i = 0; i < obs.size(); ++i) {
      const float want = static_cast<float>(want_obs[i]);
      if (obs[i] != want) {
        ADD_FAILURE() << at << ": observation element " << i << ": cairn "
                      << conformance_fmt(obs[i]) << " vs Gymnasium " << conformance_fmt(want);
        ok = false;
      }
    }
    const double want_reward = rec.at("reward").get<double>();
    if (r.reward != want_reward) {
      ADD_FAILURE() << at << ": reward: cairn " << conformance_fmt(r.reward) << " vs Gymnasium "
                    << conformance_fmt(want_reward);
      ok = false;
    }
    const bool want_terminated = rec.at("terminated").get<bool>();
    const bool want_truncated = rec.at("truncated").get<bool>();
    if (r.terminated != want_terminated || r.truncated != want_truncated) {
      ADD_FAILURE() << at << ": terminated/truncated: cairn " << r.terminated << "/" << r.truncated
                    << " vs Gymnasium " << want_terminated << "/" << want_truncated;
      ok = false;
    }
    const std::vector<double> want_state = conformance_doubles(rec.at("state"));
    const std::vector<double> state = env->get_state();
    if (want_state.size() != state.size()) {
      ADD_FAILURE() << at << ": the recording has " << want_state.size()
                    << " state elements, cairn " << state.size();
      return false;
    }
    for (size_t i = 0; i < want_state.size(); ++i) {
      if (state[i] != want_state[i]) {
        ADD_FAILURE() << at << ": state element " << i << ": cairn " << conformance_fmt(state[i])
                      << " vs Gymnasium " << conformance_fmt(want_state[i]);
        ok = false;
      }
    }
    if (!ok) return false;
  }
  return true;
}

// Replays every episode of the file; prints per environment how many were replayed.
void replay_conformance_file(ReplayMode mode) {
  const ConformanceReference& ref = conformance_reference();
  ASSERT_TRUE(ref.error.empty()) << ref.error;
  std::map<std::string, ConformanceStats> per_env;
  for (const nlohmann::json& ep : ref.episodes) {
    replay_conformance_episode(ep, mode, per_env[ep.at("env").get<std::string>()]);
  }
  std::ostringstream report;
  report << (mode == ReplayMode::stepwise ? "stepwise" : "free-running") << ", " << ref.path << ":";
  for (const auto& [env, stats] : per_env) {
    report << " " << env << " " << stats.episodes << " episodes / " << stats.steps << " steps;";
  }
  std::cout << "[ conformance ] " << report.str() << "\n";
  ::testing::Test::RecordProperty("report", report.str());
}

TEST(GymnasiumConformance, StepwiseReplayIsExactForEveryStep) {
  replay_conformance_file(ReplayMode::stepwise);
}

TEST(GymnasiumConformance, FreeRunningReplayIsExactForWholeEpisodes) {
  replay_conformance_file(ReplayMode::free_running);
}

TEST(GymnasiumConformanceFile, IsCompleteAndCoversTheClassicEnvironments) {
  const ConformanceReference& ref = conformance_reference();
  ASSERT_TRUE(ref.error.empty()) << ref.error;
  // A recording named classic_control.jsonl (the default one) must cover all five classic
  // environments; another file may hold any subset.
  if (std::filesystem::path(ref.path).filename() != "classic_control.jsonl") return;
  std::set<std::string> envs;
  for (const nlohmann::json& ep : ref.episodes) envs.insert(ep.at("env").get<std::string>());
  for (const char* id :
       {"CartPole-v1", "Pendulum-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1"}) {
    EXPECT_TRUE(envs.count(id)) << ref.path << " has no episode of " << id;
  }
}

// The registry's time limits are the ones the episodes were recorded with.
TEST(GymnasiumConformanceFile, RegistryTimeLimitsMatchTheRecording) {
  const ConformanceReference& ref = conformance_reference();
  ASSERT_TRUE(ref.error.empty()) << ref.error;
  for (const nlohmann::json& ep : ref.episodes) {
    const std::string id = ep.at("env").get<std::string>();
    EXPECT_EQ(env_spec(id).max_episode_steps, ep.at("max_episode_steps").get<int64_t>()) << id;
  }
}

// The reader itself, on files written here from one recorded-by-hand CartPole episode.
class ConformanceReader : public ::testing::Test {
 protected:
  // A complete CartPole-v1 episode: reset(0), then action 1 until termination, recorded
  // from cairn (whose conformance the tests above establish).
  static nlohmann::json cartpole_episode(int64_t max_episode_steps = 500) {
    std::unique_ptr<Env> env = make("CartPole-v1", {{"max_episode_steps", max_episode_steps}});
    nlohmann::json ep = {{"env", "CartPole-v1"},
                         {"seed", 0},
                         {"policy", "right"},
                         {"gymnasium_version", "1.2.2"},
                         {"max_episode_steps", max_episode_steps}};
    const std::vector<float> obs0 = env->reset(uint64_t{0});
    ep["initial_obs"] = std::vector<double>(obs0.begin(), obs0.end());
    ep["initial_state"] = env->get_state();
    ep["steps"] = nlohmann::json::array();
    for (bool done = false; !done;) {
      const std::vector<int64_t> action = {1};
      const Transition tr = env->step(std::span<const int64_t>(action));
      ep["steps"].push_back(
          {{"action", 1},
           {"obs", std::vector<double>(tr.observation.begin(), tr.observation.end())},
           {"reward", tr.reward},
           {"terminated", tr.terminated},
           {"truncated", tr.truncated},
           {"state", env->get_state()}});
      done = tr.terminated || tr.truncated;
    }
    return ep;
  }

  std::string write(const std::string& text) {
    const std::filesystem::path p = dir_ / "reference.jsonl";
    std::ofstream(p) << text;
    return p.string();
  }

  testing_io::ScratchDir dir_;
};

TEST_F(ConformanceReader, AcceptsAnyCompleteFileAndReplaysIt) {
  const nlohmann::json terminated = cartpole_episode();
  const nlohmann::json truncated = cartpole_episode(/*max_episode_steps=*/3);
  ASSERT_TRUE(terminated["steps"].back()["terminated"].get<bool>());
  ASSERT_TRUE(truncated["steps"].back()["truncated"].get<bool>());
  nlohmann::json other_policy = truncated;
  other_policy["policy"] = "other";
  const std::string path = write(terminated.dump() + "\n" + other_policy.dump() + "\n");
  const std::vector<nlohmann::json> episodes = read_conformance_reference(path);
  ASSERT_EQ(episodes.size(), 2u);
  ConformanceStats stats;
  for (const nlohmann::json& ep : episodes) {
    EXPECT_TRUE(replay_conformance_episode(ep, ReplayMode::free_running, stats));
  }
  EXPECT_EQ(stats.episodes, 2);
}

TEST_F(ConformanceReader, RefusesAFileCutMidLine) {
  const std::string line = cartpole_episode().dump();
  const std::string path = write(line + "\n" + line.substr(0, line.size() / 2));
  EXPECT_ERROR_CONTAINS(read_conformance_reference(path), path + ":2: not a complete JSON object");
}

TEST_F(ConformanceReader, RefusesAnEpisodeCutShort) {
  nlohmann::json ep = cartpole_episode();
  ep["steps"].erase(ep["steps"].size() - 1);
  const std::string path = write(ep.dump() + "\n");
  EXPECT_ERROR_CONTAINS(read_conformance_reference(path),
                        "last step neither terminates nor truncates");
}

TEST_F(ConformanceReader, RefusesAnEpisodeEndingBeforeItsLastStep) {
  nlohmann::json ep = cartpole_episode();
  ep["steps"].push_back(ep["steps"].back());
  const std::string path = write(ep.dump() + "\n");
  EXPECT_ERROR_CONTAINS(read_conformance_reference(path),
                        "terminates before its last recorded step");
}

TEST_F(ConformanceReader, RefusesTruncationAwayFromTheTimeLimit) {
  nlohmann::json ep = cartpole_episode(/*max_episode_steps=*/3);
  ep["max_episode_steps"] = 4;
  const std::string path = write(ep.dump() + "\n");
  EXPECT_ERROR_CONTAINS(read_conformance_reference(path),
                        "truncated is true at step 3 of max_episode_steps 4");
}

TEST_F(ConformanceReader, RefusesMissingFieldsDuplicatesUnknownEnvsAndEmptyFiles) {
  nlohmann::json ep = cartpole_episode();
  nlohmann::json no_state = ep;
  no_state["steps"][2].erase("state");
  EXPECT_ERROR_CONTAINS(read_conformance_reference(write(no_state.dump())),
                        "step 2: the field 'state' is missing");
  EXPECT_ERROR_CONTAINS(read_conformance_reference(write(ep.dump() + "\n" + ep.dump())),
                        ":2 (CartPole-v1 seed 0 policy right): a duplicate episode");
  nlohmann::json unknown = ep;
  unknown["env"] = "CartPole-v0";
  EXPECT_ERROR_CONTAINS(read_conformance_reference(write(unknown.dump())),
                        "'CartPole-v0' is not a registered environment");
  EXPECT_ERROR_CONTAINS(read_conformance_reference(write("\n")), "holds no episode");
  EXPECT_ERROR_CONTAINS(read_conformance_reference((dir_ / "absent.jsonl").string()),
                        "cannot open the reference file");
}

}  // namespace
}  // namespace cairn
