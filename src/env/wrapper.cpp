#include "cairn/env/wrapper.h"

#include "cairn/error.h"

namespace cairn {
namespace {

// Wrapper's base-class constructor needs the spaces before `env` is moved into the member.
const Env& non_null(const std::unique_ptr<Env>& env) {
  if (!env) throw Error("Wrapper: the wrapped environment is null");
  return *env;
}

}  // namespace

Wrapper::Wrapper(std::unique_ptr<Env> env)
    : Env(non_null(env).observation_space(), non_null(env).action_space()), env_(std::move(env)) {}

void Wrapper::do_reset(std::optional<uint64_t> seed, std::span<float> obs) {
  env_->reset(obs, seed);
}

StepResult Wrapper::do_step(ActionRef action, std::span<float> obs) {
  return env_->step(action, obs);
}

}  // namespace cairn
