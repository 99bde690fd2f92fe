#include "cairn/render/frame_source.h"

#include "cairn/error.h"
#include "cairn/render/classic_control_frames.h"
#include "cairn/render/mujoco_frames.h"

namespace cairn {

RenderDefaults render_defaults(const Env& env) {
  RenderDefaults d;
  if (classic_control_defaults(env, d)) return d;
  if (is_mujoco_env(env)) d.fps = mujoco_fps(env);  // 480x480, Gymnasium's MuJoCo default
  return d;
}

bool needs_display(const Env& env) {
  return is_mujoco_env(env);
}

void check_renderable(const Env& env, const std::string& env_id) {
  RenderDefaults unused;
  if (classic_control_defaults(env, unused) || is_mujoco_env(env)) return;
  throw Error("environment '" + env_id +
              "' cannot be rendered: cairn draws the classic-control environments (CartPole-v1, "
              "Pendulum-v1, Acrobot-v1, MountainCar-v0, MountainCarContinuous-v0) and renders "
              "MuJoCo environments, and '" +
              env_id + "' is neither");
}

std::unique_ptr<FrameSource> make_frame_source(const Env& env, const std::string& env_id,
                                               FrameSize size) {
  check_renderable(env, env_id);
  if (auto classic = make_classic_control_frames(env, size)) return classic;
  return make_mujoco_frames(env, env_id, size);
}

}  // namespace cairn
