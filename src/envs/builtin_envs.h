// Specs of cairn's built-in environments, added to the registry on first use.
#pragma once

#include <vector>

#include "cairn/env/env_registry.h"

namespace cairn {

// Allocates the returned specs.
std::vector<EnvSpec> builtin_env_specs();

}  // namespace cairn
