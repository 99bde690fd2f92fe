// Specs of cairn's built-in multi-agent environments, added to the registry on first use;
// declared here for the registry and defined by the environments' area
// (src/envs/builtin_multi_agent_envs.cpp), as builtin_env_specs.h is.
#pragma once

#include <vector>

#include "cairn/env/multi_agent_registry.h"

namespace cairn {

// Allocates the returned specs.
std::vector<MultiAgentEnvSpec> builtin_multi_agent_env_specs();

}  // namespace cairn
