#include "checkpoint/manifest.h"

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

}  // namespace cairn
