// The registry specs of cairn's MuJoCo environments (InvertedPendulum-v5, ...), added to
// the built-in environments (src/envs/builtin_envs.cpp). Compiled with or without MuJoCo:
// without it, each factory throws cairn::Error saying what is missing and how to install it.
#pragma once

#include <vector>

#include "cairn/env/env_registry.h"

namespace cairn {

// Allocates the returned specs.
std::vector<EnvSpec> mujoco_env_specs();

}  // namespace cairn
