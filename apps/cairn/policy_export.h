// Exporting a restored policy from the command line (`cairn export` and the main job):
// the output location prepared and the export proven against the policy.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "cairn/export/export_verification.h"
#include "cairn/policy/policy.h"

namespace cairn::cli {

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

}  // namespace cairn::cli
