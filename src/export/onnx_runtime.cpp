#include "cairn/export/onnx_runtime.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "cairn/error.h"
#include "cairn/io/atomic_file.h"
#include "export/child_process.h"
#include "export/onnx_runtime_runner.h"

#ifndef CAIRN_ONNXRUNTIME_TOOLS_DIR
#define CAIRN_ONNXRUNTIME_TOOLS_DIR "tools/onnxruntime"
#endif
#ifndef CAIRN_ONNXRUNTIME_INSTALL_DIR
#define CAIRN_ONNXRUNTIME_INSTALL_DIR "/usr/local/share/cairn/onnxruntime"
#endif

namespace cairn {
namespace {

namespace fs = std::filesystem;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// The onnxruntime folders to search, in the order of the header comment.
std::vector<fs::path> onnxruntime_folders() {
  const std::string chosen = env_or("CAIRN_ONNXRUNTIME_DIR", "");
  if (!chosen.empty()) return {fs::path(chosen)};
  std::vector<fs::path> folders;
  std::error_code ec;
  const fs::path program = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && program.has_parent_path()) {
    folders.push_back(program.parent_path().parent_path() / "share" / "cairn" / "onnxruntime");
  }
  for (const fs::path& p :
       {fs::path(CAIRN_ONNXRUNTIME_INSTALL_DIR), fs::path(CAIRN_ONNXRUNTIME_TOOLS_DIR)}) {
    if (std::find(folders.begin(), folders.end(), p) == folders.end()) folders.push_back(p);
  }
  return folders;
}

bool has_package(const fs::path& node_modules) {
  std::error_code ec;
  return fs::is_regular_file(node_modules / "onnxruntime-node" / "package.json", ec);
}

}  // namespace

OnnxRuntimeLocation locate_onnxruntime(const OnnxRuntimeOptions& options) {
  OnnxRuntimeLocation loc;
  std::error_code ec;
  const std::vector<fs::path> folders = onnxruntime_folders();
  // The folder to install the package into when it is missing: the first that holds the
  // runner script (the installed one before the source tree's).
  fs::path install_folder = folders.front();
  for (const fs::path& f : folders) {
    if (fs::is_regular_file(f / "run_policy.js", ec)) {
      install_folder = f;
      break;
    }
  }
  const std::string node = !options.node.empty() ? options.node : env_or("CAIRN_NODE", "node");
  loc.node_modules_dir = !options.node_modules_dir.empty()
                             ? options.node_modules_dir
                             : fs::path(env_or("CAIRN_ONNXRUNTIME_NODE_DIR", ""));
  const bool node_modules_searched = loc.node_modules_dir.empty();
  if (node_modules_searched) {
    loc.node_modules_dir = install_folder / "node_modules";
    for (const fs::path& f : folders) {
      if (has_package(f / "node_modules")) {
        loc.node_modules_dir = f / "node_modules";
        break;
      }
    }
  }
  loc.runner_script = !options.runner_script.empty()
                          ? options.runner_script
                          : fs::path(env_or("CAIRN_ONNXRUNTIME_RUNNER", ""));
  const bool runner_searched = loc.runner_script.empty();
  if (runner_searched) loc.runner_script = install_folder / "run_policy.js";
  loc.node = export_detail::find_program(node);
  std::string missing;
  if (loc.node.empty()) {
    loc.node = node;
    missing += "Node.js (\"" + node + "\") was not found";
  }
  const fs::path package_json = loc.node_modules_dir / "onnxruntime-node" / "package.json";
  if (!fs::is_regular_file(package_json, ec)) {
    if (!missing.empty()) missing += "; ";
    missing += "the npm package onnxruntime-node is not installed in " +
               loc.node_modules_dir.string() + " (no " + package_json.string() + ")";
  } else {
    try {
      std::ifstream in(package_json);
      const nlohmann::json j = nlohmann::json::parse(in);
      loc.version = j.value("version", "unknown");
    } catch (const std::exception& e) {
      if (!missing.empty()) missing += "; ";
      missing += "cannot read " + package_json.string() + ": " + e.what();
    }
  }
  if (!fs::is_regular_file(loc.runner_script, ec)) {
    if (!missing.empty()) missing += "; ";
    missing += "the runner script " + loc.runner_script.string() + " does not exist";
  }
  loc.available = missing.empty();
  if (!loc.available) {
    loc.reason = "ONNX Runtime is not available: " + missing;
    if (node_modules_searched || runner_searched) {
      loc.reason += ". Looked in";
      for (size_t i = 0; i < folders.size(); ++i) {
        loc.reason += (i == 0 ? " " : ", ") + folders[i].string();
      }
      if (folders.size() == 1) loc.reason += " ($CAIRN_ONNXRUNTIME_DIR)";
    }
    loc.reason += ". Install Node.js and the package with `cd " + install_folder.string() +
                  " && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts` (cairn's "
                  "scripts/setup.sh does it for a source tree), or point "
                  "CAIRN_ONNXRUNTIME_DIR at a folder holding run_policy.js and node_modules/, "
                  "or CAIRN_ONNXRUNTIME_NODE_DIR at a node_modules folder holding "
                  "onnxruntime-node";
  }
  return loc;
}

namespace export_detail {
namespace {

template <typename T>
bool read_values(const nlohmann::json& data, std::vector<T>& out, std::string& error) {
  if (!data.is_array()) {
    error = "data is not an array";
    return false;
  }
  out.clear();
  out.reserve(data.size());
  for (const auto& v : data) {
    if (v.is_number()) {
      if constexpr (std::is_same_v<T, int64_t>) {
        out.push_back(v.get<int64_t>());
      } else {
        out.push_back(static_cast<T>(v.get<double>()));
      }
    } else if (v.is_string() && !std::is_same_v<T, int64_t>) {
      const std::string s = v.get<std::string>();
      if (s == "nan") {
        out.push_back(static_cast<T>(NAN));
      } else if (s == "inf") {
        out.push_back(static_cast<T>(INFINITY));
      } else if (s == "-inf") {
        out.push_back(static_cast<T>(-INFINITY));
      } else {
        error = "unexpected value \"" + s + "\"";
        return false;
      }
    } else {
      error = "unexpected value " + v.dump();
      return false;
    }
  }
  return true;
}

}  // namespace

OnnxRunOutcome run_onnx_policy(const Policy& policy, const std::filesystem::path& model,
                               const VerificationInputs& inputs,
                               const OnnxRuntimeOptions& options) {
  const std::vector<float>& observations = inputs.observations;
  const bool recurrent = inputs.state_size > 0;
  OnnxRunOutcome outcome;
  const OnnxRuntimeLocation loc = locate_onnxruntime(options);
  if (!loc.available) {
    outcome.kind = OnnxRunOutcome::Kind::kUnavailable;
    outcome.runtime = "none (ONNX Runtime not available)";
    outcome.message = loc.reason;
    return outcome;
  }
  outcome.runtime = "onnxruntime-node " + loc.version + " in " + loc.node_modules_dir.string();
  TempDir tmp("cairn_onnx_verify_");
  const auto obs_file = tmp.path() / "obs.f32";
  const auto out_file = tmp.path() / "outputs.json";
  const auto write_floats = [](const std::filesystem::path& file, std::span<const float> values) {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(values.data()),
              static_cast<std::streamsize>(values.size() * sizeof(float)));
    if (!out) throw Error("cannot write " + file.string());
  };
  write_floats(obs_file, observations);
  std::vector<std::string> argv = {loc.node,
                                   loc.runner_script.string(),
                                   recurrent ? "steps" : "run",
                                   "--ort",
                                   loc.node_modules_dir.string(),
                                   "--model",
                                   std::filesystem::absolute(model).string(),
                                   "--obs",
                                   obs_file.string(),
                                   "--obs-size",
                                   std::to_string(policy.observation_size()),
                                   "--out",
                                   out_file.string()};
  if (recurrent) {
    // The episode-start flags as float32 0/1 (the model's input type), the states before
    // each segment, and the segments as "streams:steps,...".
    std::vector<float> starts(inputs.starts.begin(), inputs.starts.end());
    write_floats(tmp.path() / "starts.f32", starts);
    write_floats(tmp.path() / "state.f32", inputs.initial_states);
    std::string segments;
    for (const RecurrentSegment& seg : inputs.segments) {
      segments += (segments.empty() ? "" : ",") + std::to_string(seg.streams) + ":" +
                  std::to_string(seg.steps);
    }
    argv.insert(argv.end(), {"--starts", (tmp.path() / "starts.f32").string(), "--state",
                             (tmp.path() / "state.f32").string(), "--state-size",
                             std::to_string(inputs.state_size), "--segments", segments});
  }
  const ChildResult r = run_child(argv, options.timeout_seconds, tmp.path() / "log.txt");
  if (!r.started) {
    outcome.kind = r.not_found ? OnnxRunOutcome::Kind::kUnavailable : OnnxRunOutcome::Kind::kFailed;
    outcome.message = "cannot run Node: " + r.error;
    return outcome;
  }
  if (r.timed_out || r.exit_code != 0) {
    outcome.kind = OnnxRunOutcome::Kind::kFailed;
    outcome.message = std::string("ONNX Runtime could not run the model (") +
                      (r.timed_out ? "timed out" : "exit status " + std::to_string(r.exit_code)) +
                      "): " + tail(r.output);
    return outcome;
  }
  nlohmann::json report;
  try {
    std::ifstream in(out_file);
    report = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    outcome.kind = OnnxRunOutcome::Kind::kFailed;
    outcome.message = std::string("cannot read the runner's outputs: ") + e.what();
    return outcome;
  }
  if (report.contains("runtime")) {
    outcome.runtime = "onnxruntime-node " +
                      report["runtime"].value("onnxruntime_node", std::string("?")) + " (Node " +
                      report["runtime"].value("node", std::string("?")) + ") in " +
                      loc.node_modules_dir.string();
  }

  // The interface must be exactly the documented one.
  std::set<std::string> expected = {"action", "dist_inputs"};
  if (policy.has_value()) expected.insert("value");
  if (!policy.log_std().empty()) expected.insert("log_std");
  if (recurrent) expected.insert("state_out");
  const auto names = report.value("output_names", std::vector<std::string>{});
  const auto input_names = report.value("input_names", std::vector<std::string>{});
  const std::vector<std::string> expected_inputs =
      recurrent ? std::vector<std::string>{"obs", "state_in", "episode_start"}
                : std::vector<std::string>{"obs"};
  if (input_names != expected_inputs ||
      std::set<std::string>(names.begin(), names.end()) != expected ||
      names.size() != expected.size()) {
    outcome.kind = OnnxRunOutcome::Kind::kFailed;
    outcome.message = "the model's interface is not the documented one: inputs " +
                      nlohmann::json(input_names).dump() + ", outputs " +
                      nlohmann::json(names).dump();
    return outcome;
  }
  PolicyOutputs& o = outcome.outputs;
  o.batch = observations.size() / policy.observation_size();
  std::string error;
  const auto& outs = report["outputs"];
  const bool int_action = policy.action_space().is_integer();
  const std::string action_type = outs["action"].value("type", "");
  bool ok = action_type == (int_action ? "int64" : "float32");
  if (!ok) error = "action has type " + action_type;
  if (ok) {
    ok = int_action ? read_values(outs["action"]["data"], o.int_actions, error)
                    : read_values(outs["action"]["data"], o.float_actions, error);
  }
  for (const char* name : {"dist_inputs", "value", "log_std", "state_out"}) {
    if (!ok || !outs.contains(name)) continue;
    if (outs[name].value("type", "") != "float32") {
      error = std::string(name) + " is not float32";
      ok = false;
      break;
    }
    std::vector<float>& target = std::string(name) == "dist_inputs" ? o.dist_inputs
                                 : std::string(name) == "value"     ? o.value
                                 : std::string(name) == "state_out" ? o.state_out
                                                                    : o.log_std;
    ok = read_values(outs[name]["data"], target, error);
  }
  if (!ok) {
    outcome.kind = OnnxRunOutcome::Kind::kFailed;
    outcome.message = "unexpected runner output: " + error;
    return outcome;
  }
  outcome.kind = OnnxRunOutcome::Kind::kOk;
  return outcome;
}

}  // namespace export_detail
}  // namespace cairn
