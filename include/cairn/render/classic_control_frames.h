// The classic-control pictures, drawn by cairn from an environment's state with Canvas:
// the scenes Gymnasium 1.2.2's classic_control environments draw with pygame (same scene
// sizes, shapes, proportions and colours), without Pendulum's torque arrow image. Each
// function draws the whole picture (background included) into `image`, whatever its size:
// the scene is scaled to fit (see canvas.h).
//
// Thread safety: pure functions of their arguments.
#pragma once

#include <memory>
#include <span>

#include "cairn/render/frame_source.h"
#include "cairn/render/image.h"

namespace cairn {

// state = [x, x_dot, theta, theta_dot] (CartPole::get_state()); scene 600x400.
void draw_cartpole(std::span<const double> state, Image& image);
// state = [theta, theta_dot] (Pendulum::get_state()); scene 500x500.
void draw_pendulum(std::span<const double> state, Image& image);
// state = [theta1, theta2, dtheta1, dtheta2] (Acrobot::get_state()); scene 500x500.
void draw_acrobot(std::span<const double> state, Image& image);
// state = [position, velocity]; `goal_position` is where the flag stands (0.5 for
// MountainCar-v0, 0.45 for MountainCarContinuous-v0); scene 600x400.
void draw_mountain_car(std::span<const double> state, double goal_position, Image& image);

// The frame source for a classic-control environment (env.unwrapped() is a CartPole,
// Pendulum, Acrobot, MountainCar or MountainCarContinuous), or null for any other. Each
// render() reads env.get_state() (allocating it).
std::unique_ptr<FrameSource> make_classic_control_frames(const Env& env, FrameSize size);
// Gymnasium's render size and render_fps for a classic-control environment; false for others.
bool classic_control_defaults(const Env& env, RenderDefaults& out);

}  // namespace cairn
