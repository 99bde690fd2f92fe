#include "arguments.h"

#include <charconv>
#include <cmath>

#include "cairn/error.h"

namespace cairn::cli {

Arguments::Arguments(const std::string& command, const std::vector<FlagSpec>& specs, int argc,
                     char** argv, int first)
    : command_(command) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (!spec)
      throw Error("unknown flag '--" + name + "' for 'cairn " + command_ + "' (see --help)");
    if (!spec->repeatable && values_.count(name) != 0) {
      throw Error("flag '--" + name + "' is given more than once (it takes one value)");
    }
    if (!spec->takes_value) {
      if (inline_value) throw Error("flag '--" + name + "' takes no value");
      values_[name] = "true";
    } else if (inline_value) {
      values_[name] = *inline_value;
    } else {
      if (i + 1 >= argc)
        throw Error("flag '--" + name + "' needs a value (" + spec->value_name + ")");
      values_[name] = argv[++i];
    }
    if (spec->takes_value && values_[name].empty()) {
      throw Error("flag '--" + name + "' needs a non-empty value (" + spec->value_name + ")");
    }
    all_values_[name].push_back(values_[name]);
  }
}

std::optional<std::string> Arguments::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Arguments::get_all(const std::string& name) const {
  auto it = all_values_.find(name);
  return it == all_values_.end() ? std::vector<std::string>{} : it->second;
}

std::string Arguments::get_or(const std::string& name, const std::string& fallback) const {
  return get(name).value_or(fallback);
}

int64_t Arguments::integer_or(const std::string& name, int64_t fallback, int64_t min,
                              int64_t max) const {
  const std::optional<std::string> v = get(name);
  if (!v) return fallback;
  int64_t out = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end != v->data() + v->size()) {
    throw Error("flag '--" + name + "' must be an integer, got '" + *v + "'");
  }
  if (out < min || out > max) {
    throw Error("flag '--" + name + "' must be in [" + std::to_string(min) + ", " +
                std::to_string(max) + "], got " + *v);
  }
  return out;
}

double Arguments::number_or(const std::string& name, double fallback) const {
  const std::optional<std::string> v = get(name);
  if (!v) return fallback;
  size_t used = 0;
  double out = 0;
  try {
    out = std::stod(*v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v->size() || v->empty() || !std::isfinite(out)) {
    throw Error("flag '--" + name + "' must be a finite number, got '" + *v + "'");
  }
  return out;
}

double Arguments::positive_number_or(const std::string& name, double fallback) const {
  const double out = number_or(name, fallback);
  if (has(name) && !(out > 0)) {
    throw Error("flag '--" + name + "' must be a positive number, got '" + *get(name) + "'");
  }
  return out;
}

std::string help_text(const std::string& usage, const std::string& description,
                      const std::vector<FlagSpec>& specs) {
  std::string s = "usage: " + usage + "\n\n" + description + "\n";
  if (!specs.empty()) s += "\noptions:\n";
  for (const FlagSpec& f : specs) {
    std::string left = "  --" + f.name + (f.takes_value ? " " + f.value_name : "");
    if (left.size() < 26) left.resize(26, ' ');
    s += left + " " + f.help + "\n";
  }
  return s;
}

}  // namespace cairn::cli
