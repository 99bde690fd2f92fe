#include "cairn/render/mujoco_frames.h"

#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "cairn/error.h"

#if CAIRN_HAVE_MUJOCO
#include "cairn/env/mujoco/mujoco_env.h"
#endif
#if CAIRN_HAVE_MUJOCO && CAIRN_HAVE_GLFW
#include <GLFW/glfw3.h>
#endif

namespace cairn {

MujocoCamera mujoco_camera(const std::string& env_id) {
  const std::string name = env_id.substr(0, env_id.find("-v"));
  // Gymnasium 1.2.2's v5 DEFAULT_CAMERA_CONFIG per task (gymnasium/envs/mujoco/*_v5.py).
  // The moving tasks are tracked (see the header); their Gymnasium lookat is replaced by
  // the tracked body.
  MujocoCamera c;
  auto tracked = [&](double distance, double elevation, bool set_elevation) {
    c.track = true;
    c.track_body = 1;
    c.distance = distance;
    c.set_elevation = set_elevation;
    c.elevation = elevation;
  };
  if (name == "HalfCheetah" || name == "Ant") {
    tracked(4.0, 0, false);
  } else if (name == "Hopper") {
    tracked(3.0, -20, true);
  } else if (name == "Walker2d" || name == "Humanoid" || name == "HumanoidStandup") {
    tracked(4.0, -20, true);
  } else if (name == "Swimmer") {
    tracked(0, 0, false);
  } else if (name == "InvertedPendulum") {
    c.distance = 2.04;
  } else if (name == "InvertedDoublePendulum") {
    c.distance = 4.1225;
    c.set_lookat = true;
    c.lookat[2] = 0.12250000000000005;
  } else if (name == "Pusher") {
    c.distance = 4.0;
  }
  // Reacher and unknown models: the default free camera.
  return c;
}

#if CAIRN_HAVE_MUJOCO

bool is_mujoco_env(const Env& env) {
  return dynamic_cast<const MujocoEnv*>(&env.unwrapped()) != nullptr;
}

double mujoco_fps(const Env& env) {
  const auto* m = dynamic_cast<const MujocoEnv*>(&env.unwrapped());
  return m != nullptr ? 1.0 / m->dt() : 0.0;
}

#else

bool is_mujoco_env(const Env&) {
  return false;
}
double mujoco_fps(const Env&) {
  return 0;
}

#endif

#if CAIRN_HAVE_MUJOCO && CAIRN_HAVE_GLFW

namespace {

const char* const kHeadlessHint =
    "an X display is needed for MuJoCo's OpenGL renderer: set DISPLAY, or on a headless "
    "machine run under Xvfb (xvfb-run -a ...; Debian packages xvfb, xauth and "
    "libgl1-mesa-dri, which scripts/setup.sh build installs)";

std::string& glfw_error() {
  static std::string message;
  return message;
}

// GLFW is initialised once per process and stays initialised (glfwTerminate would destroy
// the windows of other live sources).
void init_glfw(const std::string& env_id) {
  static std::mutex mutex;
  static bool ready = false;
  std::lock_guard<std::mutex> lock(mutex);
  if (ready) return;
  glfwSetErrorCallback([](int, const char* description) { glfw_error() = description; });
  if (!glfwInit()) {
    throw Error("cannot render '" + env_id + "': GLFW could not start (" + glfw_error() + "); " +
                kHeadlessHint);
  }
  ready = true;
}

struct MujocoDataDeleter {
  void operator()(mjData* d) const { mj_deleteData(d); }
};

class MujocoFrames : public FrameSource {
 public:
  MujocoFrames(const MujocoEnv& env, const std::string& env_id, int width, int height)
      : FrameSource(width, height), env_(env) {
    init_glfw(env_id);
    glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
    window_ = glfwCreateWindow(width, height, "cairn render", nullptr, nullptr);
    if (window_ == nullptr) {
      throw Error("cannot render '" + env_id + "': no OpenGL context (GLFW: " + glfw_error() +
                  "); " + kHeadlessHint);
    }
    glfwMakeContextCurrent(window_);
    // MuJoCo ends the process (mju_error) if it cannot use OpenGL; ask the driver first.
    using GetString = const unsigned char* (*)(unsigned int);
    const auto get_string = reinterpret_cast<GetString>(glfwGetProcAddress("glGetString"));
    if (get_string == nullptr || get_string(0x1F02 /* GL_VERSION */) == nullptr) {
      glfwDestroyWindow(window_);
      window_ = nullptr;
      throw Error("cannot render '" + env_id +
                  "': the OpenGL context does not work (Debian: libgl1-mesa-dri gives Mesa's "
                  "software OpenGL)");
    }
    const mjModel& m = env.model();
    // The offscreen buffer's size is read from the model; a copy carries the size wanted.
    mjModel* sized = mj_copyModel(nullptr, &m);
    sized->vis.global.offwidth = std::max(width, sized->vis.global.offwidth);
    sized->vis.global.offheight = std::max(height, sized->vis.global.offheight);
    mjv_defaultOption(&option_);
    mjv_defaultScene(&scene_);
    mjv_makeScene(&m, &scene_, 1000);  // Gymnasium's default max_geom
    mjr_defaultContext(&context_);
    mjr_makeContext(sized, &context_, mjFONTSCALE_150);
    mj_deleteModel(sized);
    mjr_setBuffer(mjFB_OFFSCREEN, &context_);
    if (context_.currentBuffer != mjFB_OFFSCREEN) {
      release();
      throw Error("cannot render '" + env_id +
                  "': the OpenGL driver gave MuJoCo no offscreen framebuffer");
    }
    data_.reset(mj_makeData(&m));
    const MujocoCamera c = mujoco_camera(env_id);
    mjv_defaultFreeCamera(&m, &camera_);
    if (c.distance > 0) camera_.distance = c.distance;
    if (c.set_elevation) camera_.elevation = c.elevation;
    if (c.set_lookat) {
      for (int i = 0; i < 3; ++i) camera_.lookat[i] = c.lookat[i];
    }
    // MuJoCo's own tracking camera (mjCAMERA_TRACKING) eases towards the body over
    // successive renders, so a picture would depend on the frames before it; instead the
    // free camera is pointed at the body's centre of mass for every frame.
    if (c.track && c.track_body < m.nbody) track_body_ = c.track_body;
    rgb_.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  }
  ~MujocoFrames() override { release(); }

  void render(Image& image) override {
    if (image.width() != width() || image.height() != height()) image = Image(width(), height());
    const mjModel& m = env_.model();
    glfwMakeContextCurrent(window_);
    // A copy of the state, so that drawing never touches the environment.
    mj_copyData(data_.get(), &m, &env_.data());
    if (track_body_ >= 0) {
      for (int i = 0; i < 3; ++i) camera_.lookat[i] = data_->subtree_com[3 * track_body_ + i];
    }
    mjv_updateScene(&m, data_.get(), &option_, nullptr, &camera_, mjCAT_ALL, &scene_);
    const mjrRect viewport{0, 0, width(), height()};
    mjr_render(viewport, &scene_, &context_);
    mjr_readPixels(rgb_.data(), nullptr, viewport, &context_);
    // OpenGL's rows start at the bottom.
    const size_t row = static_cast<size_t>(width()) * 3;
    std::span<uint8_t> out = image.mutable_bytes();
    for (int y = 0; y < height(); ++y) {
      std::memcpy(&out[static_cast<size_t>(y) * row],
                  &rgb_[static_cast<size_t>(height() - 1 - y) * row], row);
    }
  }

 private:
  void release() {
    if (window_ == nullptr) return;
    glfwMakeContextCurrent(window_);
    mjr_freeContext(&context_);
    mjv_freeScene(&scene_);
    glfwDestroyWindow(window_);
    window_ = nullptr;
  }

  const MujocoEnv& env_;
  GLFWwindow* window_ = nullptr;
  mjvOption option_;
  mjvScene scene_;
  mjrContext context_;
  mjvCamera camera_;
  int track_body_ = -1;  // the body the camera looks at, or -1 for a fixed camera
  std::unique_ptr<mjData, MujocoDataDeleter> data_;
  std::vector<unsigned char> rgb_;
};

}  // namespace

std::unique_ptr<FrameSource> make_mujoco_frames(const Env& env, const std::string& env_id,
                                                FrameSize size) {
  const auto* mujoco = dynamic_cast<const MujocoEnv*>(&env.unwrapped());
  if (mujoco == nullptr) return nullptr;
  const int w = size.width > 0 ? size.width : 480, h = size.height > 0 ? size.height : 480;
  Image probe(w, h);  // checks the size
  return std::make_unique<MujocoFrames>(*mujoco, env_id, w, h);
}

#else

std::unique_ptr<FrameSource> make_mujoco_frames(const Env& env, const std::string& env_id,
                                                FrameSize) {
  if (!is_mujoco_env(env)) return nullptr;
  throw Error("cannot render '" + env_id +
              "': this cairn was built without GLFW, which MuJoCo's renderer needs for its "
              "OpenGL context (CMake did not find the package 'glfw3'). Install it (Debian: "
              "libglfw3-dev; scripts/setup.sh build installs it), then configure and build "
              "cairn again.");
}

#endif

}  // namespace cairn
