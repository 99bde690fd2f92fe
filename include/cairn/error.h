// cairn::Error — the one exception type cairn throws for bad input and failed I/O.
//
// Every message names what was wrong (the file, field, argument or id) and why.
// Functions document in their header comment when they throw.
#pragma once

#include <stdexcept>
#include <string>

namespace cairn {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace cairn
