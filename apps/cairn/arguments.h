// Command-line parsing for the cairn program: `--flag value`, `--flag=value`,
// boolean `--switch`, and positional arguments. Unknown flags, missing or empty
// values, a flag given twice (unless repeatable) and malformed or out-of-range
// numbers are errors (cairn::Error) naming the flag.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cairn::cli {

struct FlagSpec {
  std::string name;  // without the leading dashes
  bool takes_value = true;
  std::string value_name;  // e.g. "N", "ID"
  std::string help;
  bool repeatable = false;  // may be given several times (get_all); others at most once
};

class Arguments {
 public:
  // Parses argv[first..argc). Throws cairn::Error for an unknown flag (naming it
  // and the command), a flag missing its value or given an empty one, or a
  // non-repeatable flag given twice.
  Arguments(const std::string& command, const std::vector<FlagSpec>& specs, int argc, char** argv,
            int first);

  bool has(const std::string& name) const { return values_.count(name) != 0; }
  // Every value given for a repeatable flag, in order (the last one is what get() returns).
  std::vector<std::string> get_all(const std::string& name) const;
  std::optional<std::string> get(const std::string& name) const;
  std::string get_or(const std::string& name, const std::string& fallback) const;
  // Throws cairn::Error naming the flag if the value is not an integer in range.
  int64_t integer_or(const std::string& name, int64_t fallback, int64_t min, int64_t max) const;
  // Throws cairn::Error naming the flag if the value is not a finite number.
  double number_or(const std::string& name, double fallback) const;
  // As number_or, and the value must be > 0 (durations, where 0 and less mean nothing).
  double positive_number_or(const std::string& name, double fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::string command_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
  std::vector<std::string> positional_;
};

// The help text of a command: usage line, description and its flags.
std::string help_text(const std::string& usage, const std::string& description,
                      const std::vector<FlagSpec>& specs);

}  // namespace cairn::cli
