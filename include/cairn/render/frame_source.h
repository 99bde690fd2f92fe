// FrameSource: the pictures of an environment's current state, for `cairn render` and for
// anyone recording videos of a policy.
//
//   auto env = cairn::make("CartPole-v1");
//   auto frames = cairn::make_frame_source(*env, "CartPole-v1", {});
//   cairn::Image image;
//   env->reset(obs, 0);
//   frames->render(image);   // the state after the reset
//
// What draws the picture depends on the environment (its unwrapped() object):
//   - the classic-control environments (CartPole-v1, Pendulum-v1, Acrobot-v1,
//     MountainCar-v0, MountainCarContinuous-v0) are drawn by cairn itself, the pictures
//     Gymnasium draws, from the state (classic_control_frames.h);
//   - MuJoCo environments (any MujocoEnv, built-in or a user's) are rendered by MuJoCo's
//     own OpenGL renderer, offscreen (mujoco_frames.h). This needs an X display (on a
//     headless machine, Xvfb: see needs_display()) and cairn built with GLFW.
// Other environments (e.g. a plugin's) cannot be rendered: make_frame_source throws.
//
// A FrameSource keeps a reference to the environment, which must outlive it. Not
// thread-safe; one per environment.
#pragma once

#include <memory>
#include <string>

#include "cairn/env/env.h"
#include "cairn/render/image.h"

namespace cairn {

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  int width() const { return width_; }
  int height() const { return height_; }
  // Draws the environment's current state into `image`, which is (re)allocated to
  // width() x height() if it has another size. The same state gives the same bytes.
  // Throws cairn::Error if the renderer fails (naming what failed).
  virtual void render(Image& image) = 0;

 protected:
  FrameSource(int width, int height) : width_(width), height_(height) {}

 private:
  int width_, height_;
};

// Gymnasium's rendering defaults for an environment: its render size (600x400 for
// CartPole and the mountain cars, 500x500 for Pendulum and Acrobot, 480x480 for MuJoCo) and
// frame rate (the environment's metadata render_fps: 1 / dt for MuJoCo; 30 where unknown).
struct RenderDefaults {
  int width = 480;
  int height = 480;
  double fps = 30;
};
RenderDefaults render_defaults(const Env& env);

// True if rendering `env` needs an X display (a MuJoCo environment: OpenGL through GLFW).
bool needs_display(const Env& env);

// Throws the cairn::Error make_frame_source throws for an environment it cannot render
// (neither classic control nor MuJoCo), naming env_id; does nothing for others. Creates
// nothing (no display needed), so a command can refuse early.
void check_renderable(const Env& env, const std::string& env_id);

struct FrameSize {
  int width = 0;   // 0: render_defaults(env).width
  int height = 0;  // 0: render_defaults(env).height
};

// A frame source for `env` (see above), whose id `env_id` names it in errors and chooses
// the MuJoCo camera (mujoco_frames.h). Throws cairn::Error naming env_id if the environment
// cannot be rendered (neither classic control nor MuJoCo), if the size is outside
// [1, 16384], or if a MuJoCo renderer cannot be created (no display, no GLFW, no OpenGL),
// saying what to install.
std::unique_ptr<FrameSource> make_frame_source(const Env& env, const std::string& env_id,
                                               FrameSize size);

}  // namespace cairn
