// The algorithms cairn ships, as the registry lists them on first use. Each algorithm's
// header declares its own <name>_algorithm_info(); this list is the one place naming them.
#pragma once

#include <vector>

#include "cairn/algorithms/algorithm_registry.h"

namespace cairn {

std::vector<AlgorithmInfo> builtin_algorithms();

}  // namespace cairn
