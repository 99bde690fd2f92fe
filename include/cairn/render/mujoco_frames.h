// MuJoCo frames: any MujocoEnv (include/cairn/env/mujoco/mujoco_env.h) rendered by MuJoCo's
// own OpenGL renderer into an offscreen buffer, read back as an Image.
//
// The OpenGL context is a hidden GLFW window, so an X display is needed: on a headless
// machine, run under Xvfb (`xvfb-run -a ...`; Debian packages xvfb, xauth and
// libgl1-mesa-dri, whose llvmpipe renders in software). `cairn render` starts itself under
// xvfb-run when DISPLAY is unset. cairn built without GLFW (Debian: libglfw3-dev) or
// without MuJoCo cannot create this source, and says so.
//
// Camera: Gymnasium's v5 default camera for the built-in tasks, chosen by the id's name
// before "-v" (see mujoco_camera()). Tasks that move through the world (HalfCheetah,
// Hopper, Walker2d, Ant, Humanoid, Swimmer) are followed by the camera, which looks at
// their root body's centre of mass in every frame at Gymnasium's distance and elevation,
// so the agent stays in the picture; others use a fixed free camera. Any other MujocoEnv (a user's
// model, a new task) gets a free camera looking at the model's centre from 1.5 times its extent
// (mjv_defaultFreeCamera), so new environments render without code changes.
//
// render() copies the simulation state into the renderer's own mjData (the environment is
// never modified) and draws it; the same state gives the same bytes on one machine.
// One OpenGL context per source, current on the thread that renders; not thread-safe.
#pragma once

#include <memory>
#include <string>

#include "cairn/render/frame_source.h"

namespace cairn {

// A camera setting, Gymnasium's DEFAULT_CAMERA_CONFIG as applied to MuJoCo's mjvCamera.
struct MujocoCamera {
  bool track = false;    // look at body `track_body`'s centre of mass in every frame
  int track_body = 1;    // the root body of a free-floating or sliding model
  double distance = 0;   // 0: mjv_defaultFreeCamera's (1.5 * the model's extent)
  double elevation = 0;  // degrees; used when `set_elevation` (else the model's default)
  bool set_elevation = false;
  bool set_lookat = false;
  double lookat[3] = {0, 0, 0};
};

// The camera for the environment id `env_id` (see above); the default free camera for ids
// it does not know.
MujocoCamera mujoco_camera(const std::string& env_id);

// The frame source for `env` if env.unwrapped() is a MujocoEnv, or null for any other.
// Creates the OpenGL context. Throws cairn::Error naming env_id when it cannot: cairn built
// without GLFW, no X display (saying to use xvfb-run), no OpenGL (naming the packages).
std::unique_ptr<FrameSource> make_mujoco_frames(const Env& env, const std::string& env_id,
                                                FrameSize size);
// Whether env.unwrapped() is a MujocoEnv (false when cairn is built without MuJoCo).
bool is_mujoco_env(const Env& env);
// 1 / dt of a MujocoEnv (Gymnasium's render_fps); 0 for any other environment.
double mujoco_fps(const Env& env);

}  // namespace cairn
