// `cairn export`: a policy from a checkpoint to ONNX or C, proven against the policy.
#include <cstdio>
#include <filesystem>

#include "arguments.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/error.h"
#include "checkpoint_target.h"
#include "commands.h"
#include "policy_export.h"

namespace cairn::cli {
namespace {

namespace fs = std::filesystem;

const std::vector<FlagSpec> kExportFlags = {
    {"policy", true, "ID", "policy id inside an algorithm checkpoint (default default_policy)"},
    {"format", true, "onnx|c", "what to write"},
    {"out", true, "OUT", "the .onnx file (onnx), or the folder for the .h and .c files (c)"},
    {"opset", true, "N", "ONNX opset (default 17)"},
    {"name", true, "NAME", "base name of the C files and functions (default cairn_policy)"},
    {"random-observations", true, "N",
     "fresh observations in the proof, besides the recorded example (default 64)"},
    {"require-verified", false, "", "fail when no runtime or compiler can check the export"},
    {"json", false, "", "print one JSON object as the result"},
    {"help", false, "", "show this help"},
};

}  // namespace

int run_export(int argc, char** argv, int first) {
  Arguments args("export", kExportFlags, argc, argv, first);
  if (args.has("help")) {
    std::fputs(
        help_text("cairn export PATH [--policy ID] --format onnx|c --out OUT [--json]",
                  "Exports the policy of a checkpoint, run folder or policy folder, with its\n"
                  "preprocessing and action selection, and proves the export: the recorded\n"
                  "example and fresh observations go through the exported artifact (ONNX Runtime,\n"
                  "or the compiled C) and must match the policy within 1e-5.",
                  kExportFlags)
            .c_str(),
        stdout);
    return 0;
  }
  if (args.positional().size() != 1) throw Error("expected one PATH (see --help)");
  if (!args.has("format")) throw Error("--format onnx|c is required");
  if (!args.has("out")) throw Error("--out is required");
  const fs::path path = locate_target(args.positional()[0]).path;
  PolicyRestoreOptions options;
  options.policy_id = args.get_or("policy", "default_policy");
  PolicyRestoreReport report;
  const std::unique_ptr<Policy> policy = Policy::from_checkpoint(path, options, &report);
  ExportSettings settings;
  settings.opset = static_cast<int>(args.integer_or("opset", settings.opset, 1, 1000));
  settings.c_name = args.get_or("name", settings.c_name);
  settings.random_observations = static_cast<size_t>(args.integer_or(
      "random-observations", static_cast<int64_t>(settings.random_observations), 0, 1000000));
  settings.require_verified = args.has("require-verified");
  const ExportVerification v =
      export_policy_files(*policy, report.folder, *args.get("format"), *args.get("out"), settings);
  if (args.has("json")) {
    std::printf("%s\n", v.to_json().dump().c_str());
  } else {
    std::printf("exported %s from %s\n%s", *args.get("format") == "onnx" ? "ONNX" : "C",
                report.folder.c_str(), v.summary().c_str());
    if (!v.verified()) std::printf("NOT VERIFIED: %s\n", v.reason.c_str());
  }
  return 0;
}

}  // namespace cairn::cli
