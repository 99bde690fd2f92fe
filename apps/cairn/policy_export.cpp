#include "policy_export.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cairn/error.h"
#include "cairn/export/c_export.h"
#include "cairn/export/onnx_export.h"
#include "cairn/policy/policy.h"

namespace cairn::cli {
namespace {

namespace fs = std::filesystem;

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
  VerificationOptions verification =
      recorded_example_verification(policy_folder, policy.is_recurrent());
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

}  // namespace cairn::cli
