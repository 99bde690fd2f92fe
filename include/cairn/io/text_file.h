// Small text files cairn reads but did not necessarily write: checkpoint manifests, a run
// folder's `latest`, config files, metrics lines. They are untrusted input, so
//  - only regular files are read (a named pipe, device or socket in their place would
//    block or never end), with a size bound checked before anything is allocated;
//  - JSON is parsed strictly (duplicate keys refused at any depth, nesting bounded) and a
//    malformed document is reported with its line and column;
//  - what is quoted back in a message is a short, escaped excerpt, so a hostile file can
//    neither flood the terminal nor write control bytes to it.
// Every function is thread-safe; failures throw cairn::Error naming the file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cairn {

// Size bounds for the small files cairn reads. Checkpoints and configs cairn writes are a
// few kilobytes; the bounds leave room for large hand-written ones.
inline constexpr size_t kMaxJsonFileBytes = size_t{16} << 20;  // manifests, configs
inline constexpr size_t kMaxMarkerFileBytes = 4096;            // a run folder's `latest`
inline constexpr size_t kMaxTextLineBytes = size_t{1} << 20;   // one metrics row

// Reads the whole regular file at `path` (symbolic links to one are followed). Throws
// cairn::Error naming the path if it is missing, unreadable, not a regular file (a
// folder, named pipe, device or socket; checked without blocking on a pipe), or larger
// than `max_bytes` (`what` names the kind of file for that message, e.g. "a manifest").
std::string read_text_file(const std::filesystem::path& path, size_t max_bytes,
                           std::string_view what);

// The complete lines ('\n'-terminated) of the regular file at `path`, without their
// newlines; a last line without one (torn by a crash) is left out. No lines if nothing is
// at `path`. Reads in bounded chunks; throws cairn::Error naming the file and the line
// number if a line is longer than `max_line_bytes`, or for the reasons read_text_file
// gives (not a regular file, unreadable).
std::vector<std::string> read_complete_lines(const std::filesystem::path& path,
                                             size_t max_line_bytes);

// `text` for an error message: single-quoted, at most `limit` bytes of it, with quotes,
// backslashes, control bytes and every byte outside printable ASCII escaped (\n, \t,
// \xNN), and "... (N bytes)" appended when cut. The one way cairn quotes file contents.
std::string excerpt(std::string_view text, size_t limit = 64);

// A JSON value for an error message: its JSON text as is (`7`, `"abc"`, `[1,2]`) when that
// is at most `limit` bytes of printable ASCII, else excerpt() of it. For values read from
// untrusted files or flags, which may be megabytes long or hold any bytes.
std::string json_excerpt(const nlohmann::json& value, size_t limit = 64);

// Parses `text` as one JSON document. Refuses, with a cairn::Error starting with
// "<source>: ": malformed JSON ("malformed JSON at line L, column C: reason"), a
// duplicate key in any object ("duplicate key 'k'", naming the enclosing key when nested;
// nlohmann would silently keep the last one, so two readers could see different
// documents), and nesting deeper than 64 levels. Any JSON value is accepted at the top;
// callers check its type.
nlohmann::json parse_json_strictly(std::string_view text, const std::string& source);

// Throws cairn::Error unless `path` exists (following symbolic links): "<what> '<path>'
// does not exist", or "cannot access '<path>': <reason>" when it cannot be resolved (a
// symbolic-link loop, a folder without search permission), which is not the same thing.
void require_path(const std::filesystem::path& path, std::string_view what);

// read_text_file(path, kMaxJsonFileBytes, "a JSON file") then parse_json_strictly, with
// messages naming the path.
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace cairn
