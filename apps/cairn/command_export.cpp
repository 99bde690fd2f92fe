// `cairn export`: a policy from a checkpoint to ONNX or C, proven against the policy.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "arguments.h"
#include "cairn/checkpoint/checkpoint_manager.h"
#include "cairn/error.h"
#include "cairn/export/c_export.h"
#include "cairn/export/onnx_export.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/io/text_file.h"
#include "commands.h"

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

// Creates `folder` (and its parents) for --out, or says why it cannot be.
void create_output_folder(const fs::path& folder) {
  std::error_code ec;
  if (fs::exists(folder, ec) && !fs::is_directory(folder, ec)) {
    throw Error("--out: '" + folder.string() + "' exists and is not a folder");
  }
  fs::create_directories(folder, ec);
  if (ec) {
    throw Error("--out: cannot create the folder '" + folder.string() + "': " + ec.message());
  }
  if (::access(folder.c_str(), W_OK) != 0) {
    throw Error("--out: cannot write into the folder '" + folder.string() +
                "': " + std::strerror(errno));
  }
}

}  // namespace

ExportVerification export_policy_files(const Policy& policy, const fs::path& policy_folder,
                                       const std::string& format, const fs::path& out,
                                       const ExportSettings& settings) {
  VerificationOptions verification;
  verification.example_observations = read_example_observations(policy_folder);
  verification.num_random_observations = settings.random_observations;
  if (format == "onnx") {
    OnnxExportOptions o;
    o.opset = settings.opset;
    o.source_checkpoint = policy_folder.string();
    o.verification = verification;
    o.require_verification = settings.require_verified;
    std::error_code ec;
    if (fs::is_directory(out, ec)) {
      throw Error("--out '" + out.string() + "' is a folder; give the .onnx file to write");
    }
    if (out.has_parent_path()) create_output_folder(out.parent_path());
    return export_onnx(policy, out, o);
  }
  if (format == "c") {
    CExportOptions o;
    o.base_name = settings.c_name;
    o.verification = verification;
    o.require_verification = settings.require_verified;
    create_output_folder(out);
    return export_c(policy, out, o);
  }
  throw Error("--format must be 'onnx' or 'c', got '" + format + "'");
}

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
  fs::path path = args.positional()[0];
  require_path(path, "path");
  auto present = [](const fs::path& p) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(p, ec));
  };
  if (!present(path / "cairn_policy.json")) {
    path = resolve_checkpoint(path);  // a run folder: its latest checkpoint
  }
  PolicyRestoreOptions options;
  options.policy_id = args.get_or("policy", "default_policy");
  PolicyRestoreReport report;
  const std::unique_ptr<Policy> policy = Policy::from_checkpoint(path, options, &report);
  ExportSettings settings;
  settings.opset = static_cast<int>(args.integer_or("opset", 17, 1, 1000));
  settings.c_name = args.get_or("name", "cairn_policy");
  settings.random_observations =
      static_cast<size_t>(args.integer_or("random-observations", 64, 0, 1000000));
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
