#include "env/mujoco/mujoco_env_specs.h"

#include <limits>
#include <memory>
#include <string>

#include "cairn/error.h"

#if CAIRN_HAVE_MUJOCO
#include "cairn/env/mujoco/ant.h"
#include "cairn/env/mujoco/half_cheetah.h"
#include "cairn/env/mujoco/hopper.h"
#include "cairn/env/mujoco/humanoid.h"
#include "cairn/env/mujoco/inverted_double_pendulum.h"
#include "cairn/env/mujoco/inverted_pendulum.h"
#include "cairn/env/mujoco/pusher.h"
#include "cairn/env/mujoco/reacher.h"
#include "cairn/env/mujoco/swimmer.h"
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
      .id = "Ant-v5",
      .factory = [](EnvOptions& options) -> std::unique_ptr<Env> {
        const int frame_skip = frame_skip_option(options, 5);
        const double forward = options.number("forward_reward_weight", 1.0);
        const double ctrl = options.number("ctrl_cost_weight", 0.5);
        const double contact = options.number("contact_cost_weight", 5e-4);
        const double healthy = options.number("healthy_reward", 1.0);
        const int64_t main_body = options.integer("main_body", 1);
        const bool terminate = options.boolean("terminate_when_unhealthy", true);
        const auto z_range = options.range("healthy_z_range", {0.2, 1.0});
        const auto force_range = options.range("contact_force_range", {-1.0, 1.0});
        const double noise = options.number("reset_noise_scale", 0.1);
        const bool exclude = options.boolean("exclude_current_positions_from_observation", true);
        const bool cfrc_ext = options.boolean("include_cfrc_ext_in_observation", true);
        const std::string xml_file = options.string("xml_file", "");
        if (main_body < 0 || main_body > 1000000) {
          throw Error("option 'main_body' must be a body id (an integer >= 0), got " +
                      std::to_string(main_body));
        }
#if CAIRN_HAVE_MUJOCO
        Ant::Options o;
        o.frame_skip = frame_skip;
        o.forward_reward_weight = forward;
        o.ctrl_cost_weight = ctrl;
        o.contact_cost_weight = contact;
        o.healthy_reward = healthy;
        o.main_body = static_cast<int>(main_body);
        o.terminate_when_unhealthy = terminate;
        o.healthy_z_range = z_range;
        o.contact_force_range = force_range;
        o.reset_noise_scale = noise;
        o.exclude_current_positions_from_observation = exclude;
        o.include_cfrc_ext_in_observation = cfrc_ext;
        if (!xml_file.empty()) return std::make_unique<Ant>(load_mjcf_file(xml_file), o);
        return std::make_unique<Ant>(o);
#else
        (void)frame_skip, (void)forward, (void)ctrl, (void)contact, (void)healthy;
        (void)terminate, (void)z_range, (void)force_range, (void)noise, (void)exclude;
        (void)cfrc_ext, (void)xml_file;
        mujoco_missing("Ant-v5");
#endif
      },
      .max_episode_steps = 1000,
      .reward_threshold = 6000.0,
      .description = "walk forward with a four-legged robot on MuJoCo (Gymnasium Ant-v5); "
                     "options frame_skip, forward_reward_weight, ctrl_cost_weight, "
                     "contact_cost_weight, healthy_reward, main_body (a body id), "
                     "terminate_when_unhealthy, healthy_z_range, contact_force_range, "
                     "reset_noise_scale, exclude_current_positions_from_observation, "
                     "include_cfrc_ext_in_observation, xml_file",
  });
  specs.push_back({
      .id = "Humanoid-v5",
      .factory = [](EnvOptions& options) -> std::unique_ptr<Env> {
        const int frame_skip = frame_skip_option(options, 5);
        const double forward = options.number("forward_reward_weight", 1.25);
        const double ctrl = options.number("ctrl_cost_weight", 0.1);
        const double contact = options.number("contact_cost_weight", 5e-7);
        const auto contact_range =
            options.range("contact_cost_range", {-std::numeric_limits<double>::infinity(), 10.0});
        const double healthy = options.number("healthy_reward", 5.0);
        const bool terminate = options.boolean("terminate_when_unhealthy", true);
        const auto z_range = options.range("healthy_z_range", {1.0, 2.0});
        const double noise = options.number("reset_noise_scale", 1e-2);
        const bool exclude = options.boolean("exclude_current_positions_from_observation", true);
        const bool cinert = options.boolean("include_cinert_in_observation", true);
        const bool cvel = options.boolean("include_cvel_in_observation", true);
        const bool qfrc = options.boolean("include_qfrc_actuator_in_observation", true);
        const bool cfrc_ext = options.boolean("include_cfrc_ext_in_observation", true);
        const std::string xml_file = options.string("xml_file", "");
#if CAIRN_HAVE_MUJOCO
        Humanoid::Options o;
        o.frame_skip = frame_skip;
        o.forward_reward_weight = forward;
        o.ctrl_cost_weight = ctrl;
        o.contact_cost_weight = contact;
        o.contact_cost_range = contact_range;
        o.healthy_reward = healthy;
        o.terminate_when_unhealthy = terminate;
        o.healthy_z_range = z_range;
        o.reset_noise_scale = noise;
        o.exclude_current_positions_from_observation = exclude;
        o.include_cinert_in_observation = cinert;
        o.include_cvel_in_observation = cvel;
        o.include_qfrc_actuator_in_observation = qfrc;
        o.include_cfrc_ext_in_observation = cfrc_ext;
        if (!xml_file.empty()) return std::make_unique<Humanoid>(load_mjcf_file(xml_file), o);
        return std::make_unique<Humanoid>(o);
#else
        (void)frame_skip, (void)forward, (void)ctrl, (void)contact, (void)contact_range;
        (void)healthy, (void)terminate, (void)z_range, (void)noise, (void)exclude, (void)cinert;
        (void)cvel, (void)qfrc, (void)cfrc_ext, (void)xml_file;
        mujoco_missing("Humanoid-v5");
#endif
      },
      .max_episode_steps = 1000,
      .description = "walk forward with a three-dimensional bipedal robot on MuJoCo (Gymnasium "
                     "Humanoid-v5); options frame_skip, forward_reward_weight, "
                     "ctrl_cost_weight, contact_cost_weight, contact_cost_range, "
                     "healthy_reward, terminate_when_unhealthy, healthy_z_range, "
                     "reset_noise_scale, exclude_current_positions_from_observation, "
                     "include_cinert_in_observation, include_cvel_in_observation, "
                     "include_qfrc_actuator_in_observation, include_cfrc_ext_in_observation, "
                     "xml_file",
  });
  specs.push_back({
      .id = "InvertedDoublePendulum-v5",
      .factory = [](EnvOptions& options) -> std::unique_ptr<Env> {
        const int frame_skip = frame_skip_option(options, 5);
        const double healthy = options.number("healthy_reward", 10.0);
        const double noise = options.number("reset_noise_scale", 0.1);
        const std::string xml_file = options.string("xml_file", "");
#if CAIRN_HAVE_MUJOCO
        InvertedDoublePendulum::Options o;
        o.frame_skip = frame_skip;
        o.healthy_reward = healthy;
        o.reset_noise_scale = noise;
        if (!xml_file.empty())
          return std::make_unique<InvertedDoublePendulum>(load_mjcf_file(xml_file), o);
        return std::make_unique<InvertedDoublePendulum>(o);
#else
        (void)frame_skip, (void)healthy, (void)noise, (void)xml_file;
        mujoco_missing("InvertedDoublePendulum-v5");
#endif
      },
      .max_episode_steps = 1000,
      .reward_threshold = 9100.0,
      .description = "balance two poles hinged end to end on a cart with MuJoCo (Gymnasium "
                     "InvertedDoublePendulum-v5); options frame_skip, healthy_reward, "
                     "reset_noise_scale, xml_file",
  });
  specs.push_back({
      .id = "Reacher-v5",
      .factory = [](EnvOptions& options) -> std::unique_ptr<Env> {
        const int frame_skip = frame_skip_option(options, 2);
        const double dist = options.number("reward_dist_weight", 1.0);
        const double ctrl = options.number("reward_control_weight", 1.0);
        const std::string xml_file = options.string("xml_file", "");
#if CAIRN_HAVE_MUJOCO
        Reacher::Options o;
        o.frame_skip = frame_skip;
        o.reward_dist_weight = dist;
        o.reward_control_weight = ctrl;
        if (!xml_file.empty()) return std::make_unique<Reacher>(load_mjcf_file(xml_file), o);
        return std::make_unique<Reacher>(o);
#else
        (void)frame_skip, (void)dist, (void)ctrl, (void)xml_file;
        mujoco_missing("Reacher-v5");
#endif
      },
      .max_episode_steps = 50,
      .reward_threshold = -3.75,
      .description = "move a two-link arm's tip to a random target on MuJoCo (Gymnasium "
                     "Reacher-v5); options frame_skip, reward_dist_weight, "
                     "reward_control_weight, xml_file",
  });
  specs.push_back({
      .id = "Pusher-v5",
      .factory = [](EnvOptions& options) -> std::unique_ptr<Env> {
        const int frame_skip = frame_skip_option(options, 5);
        const double near = options.number("reward_near_weight", 0.5);
        const double dist = options.number("reward_dist_weight", 1.0);
        const double ctrl = options.number("reward_control_weight", 0.1);
        const std::string xml_file = options.string("xml_file", "");
#if CAIRN_HAVE_MUJOCO
        Pusher::Options o;
        o.frame_skip = frame_skip;
        o.reward_near_weight = near;
        o.reward_dist_weight = dist;
        o.reward_control_weight = ctrl;
        if (!xml_file.empty()) return std::make_unique<Pusher>(load_mjcf_file(xml_file), o);
        return std::make_unique<Pusher>(o);
#else
        (void)frame_skip, (void)near, (void)dist, (void)ctrl, (void)xml_file;
        mujoco_missing("Pusher-v5");
#endif
      },
      .max_episode_steps = 100,
      .reward_threshold = 0.0,
      .description = "push an object to a goal with a seven-joint arm on MuJoCo (Gymnasium "
                     "Pusher-v5); options frame_skip, reward_near_weight, reward_dist_weight, "
                     "reward_control_weight, xml_file",
  });
  specs.push_back({
      .id = "Swimmer-v5",
      .factory = [](EnvOptions& options) -> std::unique_ptr<Env> {
        const int frame_skip = frame_skip_option(options, 4);
        const double forward = options.number("forward_reward_weight", 1.0);
        const double ctrl = options.number("ctrl_cost_weight", 1e-4);
        const double noise = options.number("reset_noise_scale", 0.1);
        const bool exclude = options.boolean("exclude_current_positions_from_observation", true);
        const std::string xml_file = options.string("xml_file", "");
#if CAIRN_HAVE_MUJOCO
        Swimmer::Options o;
        o.frame_skip = frame_skip;
        o.forward_reward_weight = forward;
        o.ctrl_cost_weight = ctrl;
        o.reset_noise_scale = noise;
        o.exclude_current_positions_from_observation = exclude;
        if (!xml_file.empty()) return std::make_unique<Swimmer>(load_mjcf_file(xml_file), o);
        return std::make_unique<Swimmer>(o);
#else
        (void)frame_skip, (void)forward, (void)ctrl, (void)noise, (void)exclude, (void)xml_file;
        mujoco_missing("Swimmer-v5");
#endif
      },
      .max_episode_steps = 1000,
      .reward_threshold = 360.0,
      .description = "swim forward with a three-segment robot in a viscous fluid on MuJoCo "
                     "(Gymnasium Swimmer-v5); options frame_skip, forward_reward_weight, "
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
