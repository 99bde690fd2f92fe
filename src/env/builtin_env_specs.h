// Specs of cairn's built-in environments, added to the registry on first use. The registry
// declares the list here and the environments' own area defines it (src/envs/builtin_envs.cpp),
// so the registry includes nothing of the environments above it.
#pragma once

#include <vector>

#include "cairn/env/env_registry.h"

namespace cairn {

// Allocates the returned specs.
std::vector<EnvSpec> builtin_env_specs();

}  // namespace cairn
