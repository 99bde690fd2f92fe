#include "env/mujoco/mujoco_env_specs.h"

#include <limits>
#include <memory>
#include <string>

#include "cairn/error.h"

#if CAIRN_HAVE_MUJOCO
#include "cairn/env/mujoco/half_cheetah.h"
#include "cairn/env/mujoco/hopper.h"
#include "cairn/env/mujoco/inverted_pendulum.h"
#include "cairn/env/mujoco/walker2d.h"
#endif

namespace cairn {
namespace {

#if !CAIRN_HAVE_MUJOCO
[[noreturn]] void mujoco_missing(const std::string& id) {
  throw Error("'" + id +
              "' needs MuJoCo, and this cairn was built without it (CMake did not find the "
              "package 'mujoco'). Install it (Debian: libmujoco-dev; scripts/setup.sh installs "
              "it), then configure and build cairn again.");
}
#endif

// Frame skips must be positive integers; the registry's integer() reads int64.
int frame_skip_option(EnvOptions& options, int fallback) {
  const int64_t v = options.integer("frame_skip", fallback);
  if (v < 1 || v > 1000000) {
    throw Error("option 'frame_skip' must be an integer in [1, 1000000], got " + std::to_string(v));
  }
  return static_cast<int>(v);
}

}  // namespace

// Time limits and reward thresholds are those of Gymnasium 1.2.2's registrations
// (gymnasium/envs/__init__.py); options are the environments' constructor arguments with
// Gymnasium's names.
std::vector<EnvSpec> mujoco_env_specs() {
  std::vector<EnvSpec> specs;
  specs.push_back({
      .id = "InvertedPendulum-v5",
      .factory = [](EnvOptions& options) -> std::unique_ptr<Env> {
        const int frame_skip = frame_skip_option(options, 2);
        const double noise = options.number("reset_noise_scale", 0.01);
#if CAIRN_HAVE_MUJOCO
        InvertedPendulum::Options o;
        o.frame_skip = frame_skip;
        o.reset_noise_scale = noise;
        const std::string xml_file = options.string("xml_file", "");
        if (!xml_file.empty())
          return std::make_unique<InvertedPendulum>(load_mjcf_file(xml_file), o);
        return std::make_unique<InvertedPendulum>(o);
#else
        (void)frame_skip;
        (void)noise;
        (void)options.string("xml_file", "");
        mujoco_missing("InvertedPendulum-v5");
#endif
      },
      .max_episode_steps = 1000,
      .reward_threshold = 950.0,
      .description = "balance a pole on a cart with MuJoCo (Gymnasium InvertedPendulum-v5); "
                     "options frame_skip, reset_noise_scale, xml_file",
  });
  specs.push_back({
      .id = "HalfCheetah-v5",
      .factory = [](EnvOptions& options) -> std::unique_ptr<Env> {
        const int frame_skip = frame_skip_option(options, 5);
        const double forward = options.number("forward_reward_weight", 1.0);
        const double ctrl = options.number("ctrl_cost_weight", 0.1);
        const double noise = options.number("reset_noise_scale", 0.1);
        const bool exclude = options.boolean("exclude_current_positions_from_observation", true);
        const std::string xml_file = options.string("xml_file", "");
#if CAIRN_HAVE_MUJOCO
        HalfCheetah::Options o;
        o.frame_skip = frame_skip;
        o.forward_reward_weight = forward;
        o.ctrl_cost_weight = ctrl;
        o.reset_noise_scale = noise;
        o.exclude_current_positions_from_observation = exclude;
        if (!xml_file.empty()) return std::make_unique<HalfCheetah>(load_mjcf_file(xml_file), o);
        return std::make_unique<HalfCheetah>(o);
#else
        (void)frame_skip, (void)forward, (void)ctrl, (void)noise, (void)exclude, (void)xml_file;
        mujoco_missing("HalfCheetah-v5");
#endif
      },
      .max_episode_steps = 1000,
      .reward_threshold = 4800.0,
      .description = "run forward with a planar two-legged robot on MuJoCo (Gymnasium "
                     "HalfCheetah-v5); options frame_skip, forward_reward_weight, "
                     "ctrl_cost_weight, reset_noise_scale, "
                     "exclude_current_positions_from_observation, xml_file",
  });
  specs.push_back({
      .id = "Hopper-v5",
      .factory = [](EnvOptions& options) -> std::unique_ptr<Env> {
        const int frame_skip = frame_skip_option(options, 4);
        const double forward = options.number("forward_reward_weight", 1.0);
        const double ctrl = options.number("ctrl_cost_weight", 1e-3);
        const double healthy = options.number("healthy_reward", 1.0);
        const bool terminate = options.boolean("terminate_when_unhealthy", true);
        const auto state_range = options.range("healthy_state_range", {-100.0, 100.0});
        const auto z_range =
            options.range("healthy_z_range", {0.7, std::numeric_limits<double>::infinity()});
        const auto angle_range = options.range("healthy_angle_range", {-0.2, 0.2});
        const double noise = options.number("reset_noise_scale", 5e-3);
        const bool exclude = options.boolean("exclude_current_positions_from_observation", true);
        const std::string xml_file = options.string("xml_file", "");
#if CAIRN_HAVE_MUJOCO
        Hopper::Options o;
        o.frame_skip = frame_skip;
        o.forward_reward_weight = forward;
        o.ctrl_cost_weight = ctrl;
        o.healthy_reward = healthy;
        o.terminate_when_unhealthy = terminate;
        o.healthy_state_range = state_range;
        o.healthy_z_range = z_range;
        o.healthy_angle_range = angle_range;
        o.reset_noise_scale = noise;
        o.exclude_current_positions_from_observation = exclude;
        if (!xml_file.empty()) return std::make_unique<Hopper>(load_mjcf_file(xml_file), o);
        return std::make_unique<Hopper>(o);
#else
        (void)frame_skip, (void)forward, (void)ctrl, (void)healthy, (void)terminate;
        (void)state_range, (void)z_range, (void)angle_range, (void)noise, (void)exclude;
        (void)xml_file;
        mujoco_missing("Hopper-v5");
#endif
      },
      .max_episode_steps = 1000,
      .reward_threshold = 3800.0,
      .description = "hop forward with a planar one-legged robot on MuJoCo (Gymnasium "
                     "Hopper-v5); options frame_skip, forward_reward_weight, ctrl_cost_weight, "
                     "healthy_reward, terminate_when_unhealthy, healthy_state_range, "
                     "healthy_z_range, healthy_angle_range, reset_noise_scale, "
                     "exclude_current_positions_from_observation, xml_file",
  });
  specs.push_back({
      .id = "Walker2d-v5",
      .factory = [](EnvOptions& options) -> std::unique_ptr<Env> {
        const int frame_skip = frame_skip_option(options, 4);
        const double forward = options.number("forward_reward_weight", 1.0);
        const double ctrl = options.number("ctrl_cost_weight", 1e-3);
        const double healthy = options.number("healthy_reward", 1.0);
        const bool terminate = options.boolean("terminate_when_unhealthy", true);
        const auto z_range = options.range("healthy_z_range", {0.8, 2.0});
        const auto angle_range = options.range("healthy_angle_range", {-1.0, 1.0});
        const double noise = options.number("reset_noise_scale", 5e-3);
        const bool exclude = options.boolean("exclude_current_positions_from_observation", true);
        const std::string xml_file = options.string("xml_file", "");
#if CAIRN_HAVE_MUJOCO
        Walker2d::Options o;
        o.frame_skip = frame_skip;
        o.forward_reward_weight = forward;
        o.ctrl_cost_weight = ctrl;
        o.healthy_reward = healthy;
        o.terminate_when_unhealthy = terminate;
        o.healthy_z_range = z_range;
        o.healthy_angle_range = angle_range;
        o.reset_noise_scale = noise;
        o.exclude_current_positions_from_observation = exclude;
        if (!xml_file.empty()) return std::make_unique<Walker2d>(load_mjcf_file(xml_file), o);
        return std::make_unique<Walker2d>(o);
#else
        (void)frame_skip, (void)forward, (void)ctrl, (void)healthy, (void)terminate;
        (void)z_range, (void)angle_range, (void)noise, (void)exclude, (void)xml_file;
        mujoco_missing("Walker2d-v5");
#endif
      },
      .max_episode_steps = 1000,
      .description = "walk forward with a planar two-legged robot on MuJoCo (Gymnasium "
                     "Walker2d-v5; no reward threshold, as in Gymnasium); options frame_skip, "
                     "forward_reward_weight, ctrl_cost_weight, healthy_reward, "
                     "terminate_when_unhealthy, healthy_z_range, healthy_angle_range, "
                     "reset_noise_scale, exclude_current_positions_from_observation, xml_file",
  });
  return specs;
}

}  // namespace cairn
