// The JSON manifests of checkpoints (cairn_policy.json, cairn_checkpoint.json): kind,
// format version and the checksummed file list.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

namespace cairn {

// {"sha256": hex, "bytes": n} for a file's contents.
nlohmann::json file_entry(std::span<const std::byte> contents);

// Parses a manifest and checks "kind" and "format_version" (an integer from 1 up to
// kCheckpointFormatVersion). Throws cairn::Error naming `file`: malformed JSON, a wrong
// kind, or a newer format version ("needs a cairn that reads format version N").
nlohmann::json parse_manifest(const std::string& text, const std::string& file,
                              const std::string& kind);

// manifest[field], or cairn::Error naming `file` and the field.
const nlohmann::json& require_field(const nlohmann::json& manifest, const std::string& field,
                                    const std::string& file);

// Checks `contents` against files[name] (size, then SHA-256). Throws cairn::Error
// naming source/name when the entry is missing or malformed or the file differs.
void verify_file_entry(const nlohmann::json& files, const std::string& name,
                       std::span<const std::byte> contents, const std::string& source);

}  // namespace cairn
