// The cairn program's commands. Each takes the arguments after its name, prints
// its result (or one JSON object with --json), and returns the exit code.
// Errors are thrown as cairn::Error; main() prints them on one line and exits 2.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "cairn/export/export_verification.h"
#include "cairn/policy/policy.h"

namespace cairn::cli {

int run_envs(int argc, char** argv, int first);
int run_rollout(int argc, char** argv, int first);
int run_main_job(int argc, char** argv, int first);
int run_train(int argc, char** argv, int first);
int run_config(int argc, char** argv, int first);
int run_eval(int argc, char** argv, int first);
int run_inspect(int argc, char** argv, int first);
int run_export(int argc, char** argv, int first);

struct ExportSettings {
  int opset = 17;
  std::string c_name = "cairn_policy";
  size_t random_observations = 64;
  bool require_verified = false;
};

// Exports `policy` (restored from `policy_folder`) as `format` ("onnx" or "c") to `out`,
// proving it with the folder's recorded example and fresh observations. Throws
// cairn::Error on a bad format, a failed proof or I/O failure.
ExportVerification export_policy_files(const Policy& policy,
                                       const std::filesystem::path& policy_folder,
                                       const std::string& format, const std::filesystem::path& out,
                                       const ExportSettings& settings);
int run_plot(int argc, char** argv, int first);

}  // namespace cairn::cli
