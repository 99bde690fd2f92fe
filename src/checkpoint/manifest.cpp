#include "checkpoint/manifest.h"

#include <algorithm>
#include <set>

#include "cairn/io/atomic_file.h"
#include "cairn/error.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/io/sha256.h"
#include "cairn/io/text_file.h"

namespace cairn {

nlohmann::json file_entry(std::span<const std::byte> contents) {
  return {{"sha256", sha256_hex(contents)}, {"bytes", contents.size()}};
}

nlohmann::json parse_manifest(const std::string& text, const std::string& file,
                              const std::string& kind) {
  const nlohmann::json j = parse_json_strictly(text, file);
  if (!j.is_object()) {
    throw Error(file + ": expected a JSON object, found " + std::string(j.type_name()));
  }
  const nlohmann::json& k = require_field(j, "kind", file);
  if (!k.is_string() || k.get<std::string>() != kind) {
    throw Error(file + ": field 'kind' is " + excerpt(k.dump()) + ", expected \"" + kind + "\"");
  }
  const nlohmann::json& v = require_field(j, "format_version", file);
  if (!v.is_number_integer() || v.get<int64_t>() < 1) {
    throw Error(file + ": field 'format_version' must be a positive integer, got " +
                excerpt(v.dump()));
  }
  if (v.get<int64_t>() > kCheckpointFormatVersion) {
    throw Error(file + ": format version " + json_excerpt(v) + " is newer than this cairn (" +
                CAIRN_VERSION_STRING + ") reads (up to " +
                std::to_string(kCheckpointFormatVersion) +
                "); it needs a cairn that reads format version " + json_excerpt(v));
  }
  if (j.contains("cairn_version") && !j["cairn_version"].is_string()) {
    throw Error(file + ": field 'cairn_version' must be a string, got " +
                excerpt(j["cairn_version"].dump()));
  }
  return j;
}

const nlohmann::json& require_field(const nlohmann::json& manifest, const std::string& field,
                                    const std::string& file) {
  auto it = manifest.find(field);
  if (it == manifest.end()) throw Error(file + ": missing field '" + field + "'");
  return *it;
}

std::vector<std::string> read_policy_ids(const nlohmann::json& manifest, const std::string& file) {
  const nlohmann::json& ids = require_field(manifest, "policy_ids", file);
  if (!ids.is_array() || ids.empty()) {
    throw Error(file + ": field 'policy_ids' must be a non-empty array of policy ids, got " +
                excerpt(ids.dump()));
  }
  std::vector<std::string> out;
  for (const nlohmann::json& id : ids) {
    if (!id.is_string()) {
      throw Error(file + ": field 'policy_ids' holds " + excerpt(id.dump()) + ", not a string");
    }
    const std::string& s = id.get_ref<const std::string&>();
    try {
      validate_policy_id(s);
    } catch (const Error& e) {
      throw Error(file + ": field 'policy_ids': " + e.what());
    }
    if (std::find(out.begin(), out.end(), s) != out.end()) {
      throw Error(file + ": field 'policy_ids' lists '" + s + "' twice");
    }
    out.push_back(s);
  }
  return out;
}

nlohmann::json read_manifest(const std::filesystem::path& path, const std::string& kind) {
  return parse_manifest(read_text_file(path, kMaxJsonFileBytes, "a checkpoint manifest"),
                        path.string(), kind);
}

void verify_file_entry(const nlohmann::json& files, const std::string& name,
                       std::span<const std::byte> contents, const std::string& source) {
  const std::string path = source + "/" + name;
  auto it = files.find(name);
  if (it == files.end()) throw Error(path + ": the file is not listed in the manifest");
  const nlohmann::json& e = *it;
  if (!e.is_object() || !e.contains("sha256") || !e["sha256"].is_string() || !e.contains("bytes") ||
      !e["bytes"].is_number_unsigned()) {
    throw Error(path + ": malformed manifest entry " + excerpt(e.dump(), 200) +
                " (needs \"sha256\" and \"bytes\")");
  }
  if (e["bytes"].get<uint64_t>() != contents.size()) {
    throw Error(path + ": size mismatch: the manifest says " + json_excerpt(e["bytes"]) +
                " bytes, the file has " + std::to_string(contents.size()) +
                " (truncated or modified)");
  }
  const std::string actual = sha256_hex(contents);
  if (actual != e["sha256"].get<std::string>()) {
    throw Error(path + ": checksum mismatch: sha256 is " + actual + ", the manifest says " +
                excerpt(e["sha256"].get<std::string>(), 80) +
                " (the file is corrupted or was modified)");
  }
}

void require_plain_entry(const std::filesystem::path& folder, const std::filesystem::path& entry) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(entry, ec);
  const std::string rel = entry.lexically_relative(folder).generic_string();
  if (ec) {
    throw Error(folder.string() + ": cannot inspect '" + rel + "': " + ec.message());
  }
  if (fs::is_symlink(status)) {
    throw Error(folder.string() + ": '" + rel +
                "' is a symbolic link; checkpoints never contain links (replace it with the "
                "file or folder itself)");
  }
  if (!fs::is_regular_file(status) && !fs::is_directory(status)) {
    throw Error(folder.string() + ": '" + rel +
                "' is not a regular file or folder (a named pipe, device or socket); "
                "checkpoints contain only files and folders");
  }
}

nlohmann::json verify_folder(const std::filesystem::path& folder, const std::string& manifest_name,
                             const std::string& kind,
                             std::map<std::string, std::vector<std::byte>>* keep) {
  namespace fs = std::filesystem;
  require_path(folder, "checkpoint path");
  const fs::path manifest_path = folder / manifest_name;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(manifest_path, ec))) {
    throw Error("'" + folder.string() + "' has no " + manifest_name);
  }
  require_plain_entry(folder, manifest_path);
  const nlohmann::json manifest = read_manifest(manifest_path, kind);
  const nlohmann::json& files = require_field(manifest, "files", manifest_path.string());
  if (!files.is_object()) throw Error(manifest_path.string() + ": field 'files' must be an object");
  std::set<std::string> present;
  // Entries are examined with symlink_status (never followed), so a link, a link loop or a
  // pipe is reported by name instead of being opened or failing as a "missing file".
  fs::recursive_directory_iterator it(folder, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string rel = p.lexically_relative(folder).generic_string();
    std::error_code type_ec;
    if (p.filename().string().rfind('.', 0) == 0) {
      if (it->is_directory(type_ec)) it.disable_recursion_pending();
      continue;
    }
    require_plain_entry(folder, p);
    if (rel == manifest_name || it->is_directory(type_ec)) continue;
    if (!files.contains(rel)) {
      throw Error(folder.string() + ": unexpected file '" + rel + "' (not listed in " +
                  manifest_name + ")");
    }
    present.insert(rel);
  }
  if (ec) throw Error("cannot list '" + folder.string() + "': " + ec.message());
  for (const auto& [rel, entry] : files.items()) {
    if (!present.count(rel)) {
      throw Error(folder.string() + ": missing file " + excerpt(rel, 200) + " (listed in " +
                  manifest_name + ")");
    }
    std::vector<std::byte> contents = read_file(folder / rel);
    verify_file_entry(files, rel, contents, folder.string());
    if (keep && keep->count(rel)) (*keep)[rel] = std::move(contents);
  }
  return manifest;
}

}  // namespace cairn
