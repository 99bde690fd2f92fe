// The JSON manifests of checkpoints (cairn_policy.json, cairn_checkpoint.json): kind,
// format version and the checksummed file list.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cairn {

// {"sha256": hex, "bytes": n} for a file's contents.
nlohmann::json file_entry(std::span<const std::byte> contents);

// Parses a manifest strictly (parse_json_strictly: duplicate keys are refused) and checks
// that it is an object with "kind", "format_version" (an integer from 1 up to
// kCheckpointFormatVersion) and, when present, a string "cairn_version". Throws
// cairn::Error naming `file`: malformed JSON (with line and column), a wrong kind, or a
// newer format version ("needs a cairn that reads format version N").
nlohmann::json parse_manifest(const std::string& text, const std::string& file,
                              const std::string& kind);

// manifest[field], or cairn::Error naming `file` and the field.
const nlohmann::json& require_field(const nlohmann::json& manifest, const std::string& field,
                                    const std::string& file);

// Checks `contents` against files[name] (size, then SHA-256). Throws cairn::Error
// naming source/name when the entry is missing or malformed or the file differs.
void verify_file_entry(const nlohmann::json& files, const std::string& name,
                       std::span<const std::byte> contents, const std::string& source);

// The manifest's "policy_ids": a non-empty array of distinct valid policy ids
// (validate_policy_id), in order. Throws cairn::Error naming `file` and the field.
std::vector<std::string> read_policy_ids(const nlohmann::json& manifest, const std::string& file);

// Refuses `entry` (inside `folder`) unless it is a regular file or folder itself: a
// symbolic link (checkpoints never contain links), a named pipe, device or socket is a
// cairn::Error naming it. Links are not followed, so a link loop is reported too.
void require_plain_entry(const std::filesystem::path& folder, const std::filesystem::path& entry);

// Reads a manifest file with the size bound of kMaxJsonFileBytes and parse_manifest.
nlohmann::json read_manifest(const std::filesystem::path& path, const std::string& kind);

// Reads folder/manifest_name, checks its kind and format version, and verifies that the
// files listed under "files" (paths relative to `folder`) are exactly the regular files
// of the folder tree (besides the manifest and hidden temporaries), each with the listed
// size and checksum. Checkpoints never contain symbolic links, named pipes or devices:
// any such entry is refused by name (and never opened). Returns the manifest; the contents of the
// files named in `keep` are stored there. Throws cairn::Error naming the path and the problem.
nlohmann::json verify_folder(const std::filesystem::path& folder, const std::string& manifest_name,
                             const std::string& kind,
                             std::map<std::string, std::vector<std::byte>>* keep = nullptr);

}  // namespace cairn
