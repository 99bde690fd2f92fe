// The registry's table of algorithms by name, shared by algorithm_registry.cpp and
// presets.cpp (presets live in their algorithm's AlgorithmInfo). Not a public header.
#pragma once

#include <map>
#include <string>

#include "cairn/algorithms/algorithm_registry.h"

namespace cairn {

// Built on first use from builtin_algorithms().
std::map<std::string, AlgorithmInfo>& algorithm_table();

}  // namespace cairn
