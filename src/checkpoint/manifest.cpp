#include "checkpoint/manifest.h"

#include <set>

#include "cairn/atomic_file.h"
#include "cairn/error.h"
#include "cairn/policy_checkpoint.h"
#include "cairn/sha256.h"

namespace cairn {

nlohmann::json file_entry(std::span<const std::byte> contents) {
  return {{"sha256", sha256_hex(contents)}, {"bytes", contents.size()}};
}

nlohmann::json parse_manifest(const std::string& text, const std::string& file,
                              const std::string& kind) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(file + ": malformed JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(file + ": expected a JSON object");
  const nlohmann::json& k = require_field(j, "kind", file);
  if (!k.is_string() || k.get<std::string>() != kind) {
    throw Error(file + ": field 'kind' is " + k.dump() + ", expected \"" + kind + "\"");
  }
  const nlohmann::json& v = require_field(j, "format_version", file);
  if (!v.is_number_integer() || v.get<int64_t>() < 1) {
    throw Error(file + ": field 'format_version' must be a positive integer, got " + v.dump());
  }
  if (v.get<int64_t>() > kCheckpointFormatVersion) {
    throw Error(file + ": format version " + v.dump() + " is newer than this cairn (" +
                CAIRN_VERSION_STRING + ") reads (up to " +
                std::to_string(kCheckpointFormatVersion) +
                "); it needs a cairn that reads format version " + v.dump());
  }
  return j;
}

const nlohmann::json& require_field(const nlohmann::json& manifest, const std::string& field,
                                    const std::string& file) {
  auto it = manifest.find(field);
  if (it == manifest.end()) throw Error(file + ": missing field '" + field + "'");
  return *it;
}

void verify_file_entry(const nlohmann::json& files, const std::string& name,
                       std::span<const std::byte> contents, const std::string& source) {
  const std::string path = source + "/" + name;
  auto it = files.find(name);
  if (it == files.end()) throw Error(path + ": the file is not listed in the manifest");
  const nlohmann::json& e = *it;
  if (!e.is_object() || !e.contains("sha256") || !e["sha256"].is_string() || !e.contains("bytes") ||
      !e["bytes"].is_number_unsigned()) {
    throw Error(path + ": malformed manifest entry " + e.dump() +
                " (needs \"sha256\" and \"bytes\")");
  }
  if (e["bytes"].get<uint64_t>() != contents.size()) {
    throw Error(path + ": size mismatch: the manifest says " + e["bytes"].dump() +
                " bytes, the file has " + std::to_string(contents.size()) +
                " (truncated or modified)");
  }
  const std::string actual = sha256_hex(contents);
  if (actual != e["sha256"].get<std::string>()) {
    throw Error(path + ": checksum mismatch: sha256 is " + actual + ", the manifest says " +
                e["sha256"].get<std::string>() + " (the file is corrupted or was modified)");
  }
}

nlohmann::json verify_folder(const std::filesystem::path& folder, const std::string& manifest_name,
                             const std::string& kind,
                             std::map<std::string, std::vector<std::byte>>* keep) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(folder, ec))
    throw Error("checkpoint path '" + folder.string() + "' does not exist");
  const fs::path manifest_path = folder / manifest_name;
  if (!fs::exists(manifest_path, ec)) {
    throw Error("'" + folder.string() + "' has no " + manifest_name);
  }
  const std::vector<std::byte> bytes = read_file(manifest_path);
  const nlohmann::json manifest =
      parse_manifest(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                     manifest_path.string(), kind);
  const nlohmann::json& files = require_field(manifest, "files", manifest_path.string());
  if (!files.is_object()) throw Error(manifest_path.string() + ": field 'files' must be an object");
  std::set<std::string> present;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(folder)) {
    const std::string rel = e.path().lexically_relative(folder).generic_string();
    if (!e.is_regular_file() || rel == manifest_name ||
        e.path().filename().string().rfind('.', 0) == 0) {
      continue;
    }
    if (!files.contains(rel)) {
      throw Error(folder.string() + ": unexpected file '" + rel + "' (not listed in " +
                  manifest_name + ")");
    }
    present.insert(rel);
  }
  for (const auto& [rel, entry] : files.items()) {
    if (!present.count(rel)) {
      throw Error(folder.string() + ": missing file '" + rel + "' (listed in " + manifest_name +
                  ")");
    }
    std::vector<std::byte> contents = read_file(folder / rel);
    verify_file_entry(files, rel, contents, folder.string());
    if (keep && keep->count(rel)) (*keep)[rel] = std::move(contents);
  }
  return manifest;
}

}  // namespace cairn
