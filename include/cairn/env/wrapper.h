// Wrapper: an Env that owns and forwards to another Env, as gymnasium.Wrapper.
//
// By default every call forwards: spaces, reset (with the seed), step, state and
// clips_box_actions. A wrapper overrides do_reset/do_step to change behaviour.
// Not thread-safe, like Env.
#pragma once

#include <memory>

#include "cairn/env/env.h"

namespace cairn {

class Wrapper : public Env {
 public:
  // Takes ownership of `env`; throws cairn::Error if it is null.
  explicit Wrapper(std::unique_ptr<Env> env);

  Env& env() { return *env_; }
  const Env& env() const { return *env_; }
  Env& unwrapped() override { return env_->unwrapped(); }
  const Env& unwrapped() const override { return env_->unwrapped(); }

  bool has_state() const override { return env_->has_state(); }
  std::vector<double> get_state() const override { return env_->get_state(); }
  void set_state(std::span<const double> state) override { env_->set_state(state); }
  bool clips_box_actions() const override { return env_->clips_box_actions(); }
  void resume_episode() override {
    Env::resume_episode();
    env_->resume_episode();
  }

 protected:
  void do_reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult do_step(ActionRef action, std::span<float> obs) override;

 private:
  std::unique_ptr<Env> env_;
};

}  // namespace cairn
