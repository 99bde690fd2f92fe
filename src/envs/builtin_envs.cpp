#include "envs/builtin_envs.h"

namespace cairn {

std::vector<EnvSpec> builtin_env_specs() {
  return {};
}

}  // namespace cairn
