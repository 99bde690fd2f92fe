// The scenes follow Gymnasium 1.2.2's render() of each classic_control environment
// (gymnasium/envs/classic_control/*.py): the same scene sizes, shapes and colours, drawn
// with y up as pygame draws them before flipping the surface.
#include "cairn/render/classic_control_frames.h"

#include <cmath>
#include <string>
#include <vector>

#include "cairn/envs/acrobot.h"
#include "cairn/envs/cartpole.h"
#include "cairn/envs/mountain_car.h"
#include "cairn/envs/mountain_car_continuous.h"
#include "cairn/envs/pendulum.h"
#include "cairn/error.h"
#include "cairn/render/canvas.h"

namespace cairn {
namespace {

constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kBlack{0, 0, 0};
constexpr double kPi = 3.14159265358979323846;

// pygame's Vector2.rotate_rad: counter-clockwise by `angle` in the y-up scene.
Point rotate(Point p, double angle) {
  const double c = std::cos(angle), s = std::sin(angle);
  return {p.x * c - p.y * s, p.x * s + p.y * c};
}

// The corners (l, b), (l, t), (r, t), (r, b) rotated by `angle`, then moved by `at`.
std::vector<Point> box(double l, double r, double t, double b, double angle, Point at) {
  std::vector<Point> out;
  for (Point c : {Point{l, b}, Point{l, t}, Point{r, t}, Point{r, b}}) {
    const Point q = rotate(c, angle);
    out.push_back({q.x + at.x, q.y + at.y});
  }
  return out;
}

void check_state(std::span<const double> state, size_t n, const char* env) {
  if (state.size() != n) {
    throw Error(std::string("drawing ") + env + ": expected a state of " + std::to_string(n) +
                " values, got " + std::to_string(state.size()));
  }
}

// MountainCar's track height, Gymnasium's _height(xs).
double track_height(double x) {
  return std::sin(3 * x) * 0.45 + 0.55;
}

// Gymnasium's flag positions (mountain_car.py goal_position 0.5,
// continuous_mountain_car.py 0.45), as src/envs/mountain_car*.cpp terminate at them.
constexpr double kMountainCarGoal = 0.5;
constexpr double kMountainCarContinuousGoal = 0.45;

enum class Kind { cartpole, pendulum, acrobot, mountain_car, mountain_car_continuous };

bool classic_kind(const Env& env, Kind& kind) {
  const Env& e = env.unwrapped();
  if (dynamic_cast<const CartPole*>(&e))
    kind = Kind::cartpole;
  else if (dynamic_cast<const Pendulum*>(&e))
    kind = Kind::pendulum;
  else if (dynamic_cast<const Acrobot*>(&e))
    kind = Kind::acrobot;
  else if (dynamic_cast<const MountainCar*>(&e))
    kind = Kind::mountain_car;
  else if (dynamic_cast<const MountainCarContinuous*>(&e))
    kind = Kind::mountain_car_continuous;
  else
    return false;
  return true;
}

class ClassicControlFrames : public FrameSource {
 public:
  ClassicControlFrames(const Env& env, Kind kind, int width, int height)
      : FrameSource(width, height), env_(env.unwrapped()), kind_(kind) {}

  void render(Image& image) override {
    if (image.width() != width() || image.height() != height()) image = Image(width(), height());
    const std::vector<double> state = env_.get_state();
    switch (kind_) {
      case Kind::cartpole:
        draw_cartpole(state, image);
        break;
      case Kind::pendulum:
        draw_pendulum(state, image);
        break;
      case Kind::acrobot:
        draw_acrobot(state, image);
        break;
      case Kind::mountain_car:
        draw_mountain_car(state, kMountainCarGoal, image);
        break;
      case Kind::mountain_car_continuous:
        draw_mountain_car(state, kMountainCarContinuousGoal, image);
        break;
    }
  }

 private:
  const Env& env_;
  Kind kind_;
};

}  // namespace

void draw_cartpole(std::span<const double> state, Image& image) {
  check_state(state, 4, "CartPole");
  constexpr double kWidth = 600, kHeight = 400;
  image.fill(kWhite);
  Canvas canvas(image, kWidth, kHeight);
  const double world_width = 2.4 * 2;  // x_threshold * 2
  const double scale = kWidth / world_width;
  const double pole_width = 10, pole_length = scale * (2 * 0.5);  // length = half the pole
  const double cart_width = 50, cart_height = 30, axle_offset = cart_height / 4;
  const double cart_x = state[0] * scale + kWidth / 2, cart_y = 100;
  canvas.fill_polygon(
      box(-cart_width / 2, cart_width / 2, cart_height / 2, -cart_height / 2, 0, {cart_x, cart_y}),
      kBlack);
  canvas.fill_polygon(box(-pole_width / 2, pole_width / 2, pole_length - pole_width / 2,
                          -pole_width / 2, -state[2], {cart_x, cart_y + axle_offset}),
                      {202, 152, 101});
  canvas.fill_circle({cart_x, cart_y + axle_offset}, pole_width / 2, {129, 132, 203});
  canvas.line({0, cart_y}, {kWidth, cart_y}, 1, kBlack);
}

void draw_pendulum(std::span<const double> state, Image& image) {
  check_state(state, 2, "Pendulum");
  constexpr double kDim = 500;
  image.fill(kWhite);
  Canvas canvas(image, kDim, kDim);
  const double bound = 2.2, scale = kDim / (bound * 2), offset = kDim / 2;
  const double rod_length = 1 * scale, rod_width = 0.2 * scale;
  const double angle = state[0] + kPi / 2;
  const Rgb red{204, 77, 77};
  canvas.fill_polygon(box(0, rod_length, rod_width / 2, -rod_width / 2, angle, {offset, offset}),
                      red);
  canvas.fill_circle({offset, offset}, rod_width / 2, red);
  const Point end = rotate({rod_length, 0}, angle);
  canvas.fill_circle({end.x + offset, end.y + offset}, rod_width / 2, red);
  canvas.fill_circle({offset, offset}, 0.05 * scale, kBlack);
}

void draw_acrobot(std::span<const double> state, Image& image) {
  check_state(state, 4, "Acrobot");
  constexpr double kDim = 500;
  image.fill(kWhite);
  Canvas canvas(image, kDim, kDim);
  const double l1 = 1.0, l2 = 1.0;  // LINK_LENGTH_1, LINK_LENGTH_2
  const double bound = l1 + l2 + 0.2, scale = kDim / (bound * 2), offset = kDim / 2;
  const double s0 = state[0], s1 = state[1];
  const Point p1{-l1 * std::cos(s0) * scale, l1 * std::sin(s0) * scale};
  // Gymnasium swaps the coordinates of the joints (xys[:, ::-1]).
  const Point joints[2] = {{0, 0}, {p1.y, p1.x}};
  const double thetas[2] = {s0 - kPi / 2, s0 + s1 - kPi / 2};
  const double lengths[2] = {l1 * scale, l2 * scale};
  canvas.line({-2.2 * scale + offset, 1 * scale + offset},
              {2.2 * scale + offset, 1 * scale + offset}, 1, kBlack);
  for (int i = 0; i < 2; ++i) {
    const Point at{joints[i].x + offset, joints[i].y + offset};
    canvas.fill_polygon(box(0, lengths[i], 0.1 * scale, -0.1 * scale, thetas[i], at),
                        {0, 204, 204});
    canvas.fill_circle(at, 0.1 * scale, {204, 204, 0});
  }
}

void draw_mountain_car(std::span<const double> state, double goal_position, Image& image) {
  check_state(state, 2, "MountainCar");
  constexpr double kWidth = 600, kHeight = 400;
  image.fill(kWhite);
  Canvas canvas(image, kWidth, kHeight);
  const double min_position = -1.2, max_position = 0.6;
  const double scale = kWidth / (max_position - min_position);
  const double car_width = 40, car_height = 20, clearance = 10;
  // The track: 100 points from min_position to max_position (np.linspace).
  Point previous{};
  for (int i = 0; i < 100; ++i) {
    const double x = min_position + (max_position - min_position) * i / 99.0;
    const Point p{(x - min_position) * scale, track_height(x) * scale};
    if (i > 0) canvas.line(previous, p, 1, kBlack);
    previous = p;
  }
  const double pos = state[0], angle = std::cos(3 * pos);
  const Point car_at{(pos - min_position) * scale, clearance + track_height(pos) * scale};
  canvas.fill_polygon(box(-car_width / 2, car_width / 2, car_height, 0, angle, car_at), kBlack);
  for (double wx : {car_width / 4, -car_width / 4}) {
    const Point c = rotate({wx, 0}, angle);
    canvas.fill_circle({c.x + car_at.x, c.y + car_at.y}, car_height / 2.5, {128, 128, 128});
  }
  const double flag_x = (goal_position - min_position) * scale;
  const double flag_y1 = track_height(goal_position) * scale, flag_y2 = flag_y1 + 50;
  canvas.line({flag_x, flag_y1}, {flag_x, flag_y2}, 1, kBlack);
  const Point flag[3] = {{flag_x, flag_y2}, {flag_x, flag_y2 - 10}, {flag_x + 25, flag_y2 - 5}};
  canvas.fill_polygon(flag, {204, 204, 0});
}

bool classic_control_defaults(const Env& env, RenderDefaults& out) {
  Kind kind;
  if (!classic_kind(env, kind)) return false;
  // Render sizes and metadata["render_fps"] of Gymnasium's classes.
  switch (kind) {
    case Kind::cartpole:
      out = {600, 400, 50};
      break;
    case Kind::pendulum:
      out = {500, 500, 30};
      break;
    case Kind::acrobot:
      out = {500, 500, 15};
      break;
    case Kind::mountain_car:
    case Kind::mountain_car_continuous:
      out = {600, 400, 30};
      break;
  }
  return true;
}

std::unique_ptr<FrameSource> make_classic_control_frames(const Env& env, FrameSize size) {
  Kind kind;
  if (!classic_kind(env, kind)) return nullptr;
  RenderDefaults d;
  classic_control_defaults(env, d);
  const int w = size.width > 0 ? size.width : d.width, h = size.height > 0 ? size.height : d.height;
  Image probe(w, h);  // checks the size before the source exists
  return std::make_unique<ClassicControlFrames>(env, kind, w, h);
}

}  // namespace cairn
