#include "cairn/io/text_file.h"

#include <algorithm>
#include <set>
#include <span>
#include <vector>

#include "cairn/error.h"
#include "io/posix_file.h"

namespace cairn {
namespace {

using Json = nlohmann::json;

constexpr int kMaxJsonDepth = 64;

// Appends `text` with everything but printable ASCII escaped (and, for text that goes
// between single quotes, quotes and backslashes too).
void append_escaped(std::string& out, std::string_view text, bool quoted) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (quoted && (c == '\\' || c == '\'')) {
      out.push_back('\\');
      out.push_back(c);
    } else if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
}

// nlohmann's reason without its "[json.exception...] parse error at line L, column C: "
// prefix (cairn computes the position itself), escaped and bounded: the reason quotes the
// bytes last read, which come from the file.
std::string parse_error_reason(const std::string& what) {
  std::string_view reason(what);
  const size_t column = reason.find("column ");
  if (column != std::string_view::npos) {
    const size_t colon = reason.find(": ", column);
    if (colon != std::string_view::npos) reason.remove_prefix(colon + 2);
  } else if (const size_t bracket = reason.find("] "); bracket != std::string_view::npos) {
    reason.remove_prefix(bracket + 2);
  }
  std::string out;
  append_escaped(out, reason.substr(0, 300), /*quoted=*/false);
  if (reason.size() > 300) out += "...";
  return out;
}

}  // namespace

std::string read_text_file(const std::filesystem::path& path, size_t max_bytes,
                           std::string_view what) {
  io::UniqueFd fd = io::open_for_reading(path);
  const uint64_t size = io::file_size(fd.get(), path);
  if (size > max_bytes) {
    throw Error("cannot read " + io::quoted(path) + ": it has " + std::to_string(size) +
                " bytes, more than " + std::string(what) + " may have (" +
                std::to_string(max_bytes) + ")");
  }
  std::string text(static_cast<size_t>(size), '\0');
  io::read_exact(fd.get(), std::as_writable_bytes(std::span<char>(text)), path);
  std::byte extra[1];
  if (io::read_some(fd.get(), extra, path) != 0) {
    throw Error("cannot read " + io::quoted(path) + ": file grew while being read");
  }
  return text;
}

std::vector<std::string> read_complete_lines(const std::filesystem::path& path,
                                             size_t max_line_bytes) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec))) return {};
  io::UniqueFd fd = io::open_for_reading(path);
  std::vector<std::string> lines;
  std::string current;
  std::vector<std::byte> chunk(size_t{64} << 10);
  for (;;) {
    const size_t n = io::read_some(fd.get(), chunk, path);
    if (n == 0) break;
    std::string_view rest(reinterpret_cast<const char*>(chunk.data()), n);
    while (!rest.empty()) {
      const size_t nl = rest.find('\n');
      const size_t take = nl == std::string_view::npos ? rest.size() : nl;
      if (current.size() + take > max_line_bytes) {
        throw Error("cannot read " + io::quoted(path) + ": line " +
                    std::to_string(lines.size() + 1) + " is longer than " +
                    std::to_string(max_line_bytes) + " bytes");
      }
      current.append(rest.substr(0, take));
      if (nl == std::string_view::npos) break;
      lines.push_back(std::move(current));
      current.clear();
      rest.remove_prefix(nl + 1);
    }
  }
  return lines;
}

std::string excerpt(std::string_view text, size_t limit) {
  std::string out = "'";
  append_escaped(out, text.substr(0, limit), /*quoted=*/true);
  out.push_back('\'');
  if (text.size() > limit) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

std::string json_excerpt(const Json& value, size_t limit) {
  const std::string text = value.dump();
  const bool plain = text.size() <= limit && std::all_of(text.begin(), text.end(), [](char c) {
                       return c >= 0x20 && c < 0x7f;
                     });
  return plain ? text : excerpt(text, limit);
}

Json parse_json_strictly(std::string_view text, const std::string& source) {
  struct OpenObject {
    std::string owner;  // key under which this object sits ("" for the root)
    std::set<std::string, std::less<>> keys;
  };
  std::vector<OpenObject> open;
  std::string last_key;
  auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth) {
          throw Error(source + ": JSON nested more than " + std::to_string(kMaxJsonDepth) +
                      " levels deep");
        }
        if (event == Json::parse_event_t::object_start) {
          open.push_back({depth == 0 ? std::string() : last_key, {}});
        }
        break;
      case Json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!open.back().keys.insert(key).second) {
          std::string message = source + ": duplicate key " + excerpt(key);
          if (open.size() > 1) message += " in " + excerpt(open.back().owner);
          throw Error(message);
        }
        last_key = key;
        break;
      }
      case Json::parse_event_t::object_end:
        open.pop_back();
        break;
      default:
        break;
    }
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), callback);
  } catch (const Json::parse_error& e) {
    // e.byte counts from 1 and points at the byte that could not be parsed.
    const size_t at = std::min(text.size(), e.byte > 0 ? static_cast<size_t>(e.byte - 1) : 0);
    size_t line = 1, column = 1;
    for (size_t i = 0; i < at; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw Error(source + ": malformed JSON at line " + std::to_string(line) + ", column " +
                std::to_string(column) + ": " + parse_error_reason(e.what()));
  } catch (const Json::exception& e) {
    throw Error(source + ": malformed JSON: " + parse_error_reason(e.what()));
  }
}

void require_path(const std::filesystem::path& path, std::string_view what) {
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (std::filesystem::exists(status)) return;
  if (!ec || ec == std::errc::no_such_file_or_directory) {
    throw Error(std::string(what) + " " + io::quoted(path) + " does not exist");
  }
  throw Error("cannot access " + io::quoted(path) + ": " + ec.message());
}

Json read_json_file(const std::filesystem::path& path) {
  return parse_json_strictly(read_text_file(path, kMaxJsonFileBytes, "a JSON file"), path.string());
}

}  // namespace cairn
