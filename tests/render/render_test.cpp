// Rendering: the pictures follow the state (classic control drawn by cairn, MuJoCo through
// its offscreen renderer under Xvfb), the GIF, PNG and MP4 files decode back to what was
// written (read by PIL, ffprobe), and `cairn render` end to end with its errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "cairn/env/env_registry.h"
#include "cairn/env/mujoco/mujoco_env.h"
#include "cairn/error.h"
#include "cairn/io/sha256.h"
#include "cairn/random/random.h"
#include "cairn/render/classic_control_frames.h"
#include "cairn/render/frame_source.h"
#include "cairn/render/gif_writer.h"
#include "cairn/render/mujoco_frames.h"
#include "cairn/render/png_writer.h"
#include "cairn/render/video_writer.h"
#include "cli/cli_runner.h"
#include "support/python_program.h"
#include "support/sanitized_build.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

using testing_cli::CliRun;
using testing_cli::run_cli;
using testing_cli::run_shell;

std::string digest(const Image& image) {
  return sha256_hex(std::as_bytes(image.bytes()));
}

// Pixels that differ between two images of one size, and their bounding rows.
struct Difference {
  int64_t pixels = 0;
  int top = -1, bottom = -1;
};
Difference difference(const Image& a, const Image& b) {
  Difference d;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x)
      if (!(a.at(x, y) == b.at(x, y))) {
        ++d.pixels;
        if (d.top < 0) d.top = y;
        d.bottom = y;
      }
  return d;
}

TEST(RenderClassicControl, CartPoleFramesFollowThePoleAngleAboveTheCartOnly) {
  Image upright(600, 400), tilted(600, 400), again(600, 400);
  const std::vector<double> s0 = {0, 0, 0, 0}, s1 = {0, 0, 0.2, 0};
  draw_cartpole(s0, upright);
  draw_cartpole(s1, tilted);
  draw_cartpole(s0, again);
  EXPECT_EQ(upright, again);  // the same state, the same bytes
  const Difference d = difference(upright, tilted);
  EXPECT_GT(d.pixels, 500);
  // The pole stands on the axle, 100 + 7.5 scene units above the bottom; the pole is 125
  // scene units long (scale 125 per metre): every change is above the cart's axle.
  EXPECT_GE(d.top, 400 - 108 - 125);
  EXPECT_LE(d.bottom, 400 - 100);
  // Upright: the pole's colour straight above the axle, near its top; tilted right, white.
  const Rgb pole{202, 152, 101}, white{255, 255, 255};
  EXPECT_EQ(upright.at(300, 400 - 107 - 110), pole);
  EXPECT_EQ(tilted.at(300, 400 - 107 - 110), white);
  // Tilted by +0.2 rad the pole leans to the right (Gymnasium rotates by -theta).
  EXPECT_EQ(tilted.at(300 + static_cast<int>(110 * std::sin(0.2)), 400 - 107 - 108), pole);
  // The cart moves with x: 1 m is 125 pixels.
  Image moved(600, 400);
  draw_cartpole(std::vector<double>{1, 0, 0, 0}, moved);
  // (Beside the axle, inside the 50-pixel-wide cart.)
  EXPECT_EQ(moved.at(300 + 125 + 15, 400 - 100 - 5), (Rgb{0, 0, 0}));
  EXPECT_EQ(upright.at(300 + 125 + 15, 400 - 100 - 5), white);
  EXPECT_EQ(upright.at(300 + 15, 400 - 100 - 5), (Rgb{0, 0, 0}));
}

TEST(RenderClassicControl, EveryClassicEnvironmentsPictureChangesWithItsStateOnly) {
  for (const char* id :
       {"CartPole-v1", "Pendulum-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0"}) {
    SCOPED_TRACE(id);
    auto env = make(id);
    auto frames = make_frame_source(*env, id, {});
    const RenderDefaults d = render_defaults(*env);
    EXPECT_EQ(frames->width(), d.width);
    EXPECT_EQ(frames->height(), d.height);
    std::vector<float> obs(env->observation_space().size());
    env->reset(std::span<float>(obs), 3);
    const std::vector<double> start = env->get_state();
    Image first, later, back;
    frames->render(first);
    // Push one way for a while: the state, and so the picture, moves.
    for (int i = 0; i < 15; ++i) {
      StepResult s;
      if (env->action_space().is_integer()) {
        s = env->step(ActionRef{.discrete = std::vector<int64_t>{0}, .continuous = {}}, obs);
      } else {
        s = env->step(ActionRef{.discrete = {}, .continuous = std::vector<float>{1.0f}}, obs);
      }
      if (s.terminated || s.truncated) break;
    }
    ASSERT_NE(env->get_state(), start);
    frames->render(later);
    EXPECT_GT(difference(first, later).pixels, 20);
    env->unwrapped().set_state(start);
    frames->render(back);
    EXPECT_EQ(digest(first), digest(back));
  }
}

TEST(RenderClassicControl, TheSceneKeepsItsProportionsInAnyImageSize) {
  auto env = make("Pendulum-v1");
  env->reset(0);
  auto frames = make_frame_source(*env, "Pendulum-v1", {.width = 300, .height = 100});
  Image image;
  frames->render(image);
  ASSERT_EQ(image.width(), 300);
  ASSERT_EQ(image.height(), 100);
  // A 500x500 scene in 300x100: 100x100 in the middle, white margins left and right.
  for (int y = 0; y < 100; ++y) {
    EXPECT_EQ(image.at(10, y), (Rgb{255, 255, 255}));
    EXPECT_EQ(image.at(290, y), (Rgb{255, 255, 255}));
  }
  EXPECT_EQ(image.at(150, 50), (Rgb{0, 0, 0}));  // the axle
  EXPECT_THROW(make_frame_source(*env, "Pendulum-v1", {.width = 20000, .height = 10}), Error);
}

// An image of `w` x `h` pixels of pseudo-random palette colours, so that a GIF keeps them
// exactly and its LZW coder runs through every code size and table clear.
Image palette_noise(int w, int h, uint64_t seed) {
  Image image(w, h);
  Rng rng(seed);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      // Runs of colours of random length: repeated strings as well as fresh ones.
      const uint8_t index =
          static_cast<uint8_t>(((x / (1 + y % 5)) * 7 + y * 3 + rng.next_u64() % 3) % 252);
      image.set(x, y, GifWriter::palette_colour(index));
    }
  return image;
}

// What /usr/bin/python3's PIL decodes from `file`: one line "W H N" then, per frame, the
// SHA-256 of its RGB bytes.
std::string pil_decode(const std::filesystem::path& file) {
  return testing_python::run_python_program(
      "import hashlib\n"
      "from PIL import Image, ImageSequence\n"
      "im = Image.open(\"" +
      file.string() +
      "\")\n"
      "print(im.size[0], im.size[1], getattr(im, \"n_frames\", 1))\n"
      "for f in ImageSequence.Iterator(im):\n"
      "    print(hashlib.sha256(f.convert(\"RGB\").tobytes()).hexdigest())\n");
}

TEST(RenderFiles, AGifDecodesToTheFramesWritten) {
  testing_io::ScratchDir dir;
  const auto path = dir / "noise.gif";
  std::vector<Image> frames = {palette_noise(320, 200, 1), palette_noise(320, 200, 2),
                               Image(320, 200, GifWriter::palette_colour(17))};
  std::string expected = "320 200 3\n";
  {
    auto writer = open_video_writer(path, 320, 200, 25);
    for (const Image& f : frames) {
      writer->add_frame(f);
      expected += digest(f) + "\n";
    }
    EXPECT_FALSE(std::filesystem::exists(path));  // only the temporary, until finish()
    writer->finish();
    EXPECT_EQ(writer->frames(), 3);
  }
  EXPECT_EQ(pil_decode(path), expected);
  // A colour off the palette becomes the nearest level of each channel.
  EXPECT_EQ(GifWriter::palette_colour(GifWriter::palette_index({202, 152, 101})),
            (Rgb{204, 170, 102}));
  EXPECT_THROW(open_video_writer(path, 320, 200, 25)->add_frame(Image(10, 10)), Error);
}

TEST(RenderFiles, APngDecodesToTheImageAndItsChecksumsAreZlibs) {
  testing_io::ScratchDir dir;
  // Larger than one stored deflate block (65535 bytes): 200 rows of 601 bytes.
  Image image(200, 200);
  for (int y = 0; y < 200; ++y)
    for (int x = 0; x < 200; ++x)
      image.set(x, y,
                {static_cast<uint8_t>(x), static_cast<uint8_t>(y), static_cast<uint8_t>(x ^ y)});
  write_png(dir / "a.png", image);
  EXPECT_EQ(pil_decode(dir / "a.png"), "200 200 1\n" + digest(image) + "\n");
  const std::string zlib = testing_python::run_python_program(
      "import zlib\n"
      "print(zlib.crc32(b\"IEND\"), zlib.adler32(b\"cairn\"))\n");
  const std::string text = "cairn";
  const std::vector<uint8_t> iend = {'I', 'E', 'N', 'D'}, word(text.begin(), text.end());
  EXPECT_EQ(zlib, std::to_string(crc32(iend)) + " " + std::to_string(adler32(word)) + "\n");
  // .png through the video writer keeps the first frame only.
  auto writer = open_video_writer(dir / "b.png", 200, 200, 30);
  writer->add_frame(image);
  EXPECT_FALSE(writer->wants_more());
  writer->add_frame(Image(200, 200));
  writer->finish();
  EXPECT_EQ(pil_decode(dir / "b.png"), "200 200 1\n" + digest(image) + "\n");
}

TEST(RenderFiles, AnMp4HasEveryFrameAtItsSize) {
  testing_io::ScratchDir dir;
  for (auto [w, h, padded_w, padded_h] : {std::array{64, 48, 64, 48}, std::array{63, 47, 64, 48}}) {
    const auto path = dir / ("v" + std::to_string(w) + ".mp4");
    auto writer = open_video_writer(path, w, h, 30);
    for (int i = 0; i < 7; ++i) writer->add_frame(palette_noise(w, h, static_cast<uint64_t>(i)));
    writer->finish();
    const CliRun probe = run_shell(
        "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
        "stream=nb_read_frames,width,height,codec_name,pix_fmt,r_frame_rate -of csv=p=0 " +
        path.string());
    EXPECT_EQ(probe.out, "h264," + std::to_string(padded_w) + "," + std::to_string(padded_h) +
                             ",yuv420p,30/1,7\n");
  }
  // Nothing but the video is left in the folder (no temporary).
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    files += e.is_regular_file();
  EXPECT_EQ(files, 2);
  EXPECT_THROW(video_format_of("video.avi"), Error);
  EXPECT_EQ(video_format_of("A.GIF"), VideoFormat::gif);
}

// MuJoCo's renderer needs an X display: without one this test runs itself again under
// xvfb-run (the test environment installs xvfb, scripts/setup.sh), and passes only if
// that run passes.
TEST(RenderMujoco, FramesChangeWithTheStateAndAreEqualForEqualStates) {
  const char* display = std::getenv("DISPLAY");
  if (display == nullptr || display[0] == '\0') {
    ASSERT_EQ(std::getenv("CAIRN_RENDER_TEST_UNDER_XVFB"), nullptr) << "no display under xvfb-run";
    char self[4096];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    ASSERT_GT(n, 0);
    self[n] = '\0';
    const CliRun r =
        run_shell("CAIRN_RENDER_TEST_UNDER_XVFB=1 xvfb-run -a -s '-screen 0 1280x1024x24' " +
                  std::string(self) +
                  " --gtest_filter=RenderMujoco.FramesChangeWithTheStateAndAreEqualForEqualStates");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("[  PASSED  ] 1 test"), std::string::npos) << r.out;
    return;
  }
  // A user's model, unknown to the camera table: the default free camera.
  auto user_env = [] {
    MujocoTask task;
    task.model = load_mjcf_text(builtin_mjcf("inverted_pendulum.xml"), "my_pendulum.xml");
    task.frame_skip = 2;
    task.observation_size = 2;
    task.observation = [](const MujocoEnv& e, std::span<float> obs) {
      obs[0] = static_cast<float>(e.data().qpos[0]);
      obs[1] = static_cast<float>(e.data().qpos[1]);
    };
    task.reward = [](const MujocoEnv&, std::span<const float>) { return 1.0; };
    return std::make_unique<UserMujocoEnv>(std::move(task));
  };
  // Every built-in MuJoCo environment, then the user's model.
  std::vector<std::string> ids;
  for (const std::string& id : registered_env_ids()) {
    if (dynamic_cast<const MujocoEnv*>(&make(id)->unwrapped()) != nullptr) ids.push_back(id);
  }
  EXPECT_GE(ids.size(), 10u);
  ids.push_back("MyPendulum-v0");
  for (const std::string& id : ids) {
    SCOPED_TRACE(id);
    std::unique_ptr<Env> env = id == "MyPendulum-v0" ? user_env() : make(id);
    std::vector<float> obs(env->observation_space().size());
    env->reset(std::span<float>(obs), 0);
    auto frames = make_frame_source(*env, id, {.width = 160, .height = 120});
    const std::vector<double> start = env->get_state();
    Image a, a_again, b, back;
    frames->render(a);
    frames->render(a_again);
    EXPECT_EQ(digest(a), digest(a_again));
    ASSERT_EQ(a.width(), 160);
    ASSERT_EQ(a.height(), 120);
    // Not a blank picture.
    std::set<std::tuple<int, int, int>> colours;
    for (int y = 0; y < a.height(); ++y)
      for (int x = 0; x < a.width(); ++x)
        colours.insert({a.at(x, y).r, a.at(x, y).g, a.at(x, y).b});
    EXPECT_GT(colours.size(), 10u);
    const std::vector<float> push(env->action_space().size(), 0.8f);
    for (int i = 0; i < 10; ++i) {
      const StepResult s = env->step(ActionRef{.discrete = {}, .continuous = push}, obs);
      if (s.terminated) break;
    }
    frames->render(b);
    EXPECT_GT(difference(a, b).pixels, 30);
    env->unwrapped().set_state(start);
    frames->render(back);
    EXPECT_EQ(digest(a), digest(back));
  }
}

TEST(RenderMujoco, TheCameraFollowsTheMovingTasksAndLooksAtAnyOtherModelsCentre) {
  const MujocoCamera hopper = mujoco_camera("Hopper-v5");
  EXPECT_TRUE(hopper.track);
  EXPECT_EQ(hopper.distance, 3.0);
  EXPECT_EQ(hopper.elevation, -20.0);
  EXPECT_TRUE(mujoco_camera("HalfCheetah-v5").track);
  EXPECT_FALSE(mujoco_camera("InvertedPendulum-v5").track);
  EXPECT_EQ(mujoco_camera("InvertedPendulum-v5").distance, 2.04);
  const MujocoCamera unknown = mujoco_camera("MyRobot-v0");
  EXPECT_FALSE(unknown.track);
  EXPECT_EQ(unknown.distance, 0.0);  // mjv_defaultFreeCamera's
  EXPECT_FALSE(unknown.set_lookat);
}

const std::string kQuickTrain = " --eval-episodes 0 --quiet --stop-iters 1";

TEST(RenderCli, RecordsARunFolderACheckpointAndAPolicyFolder) {
  testing_io::ScratchDir dir;
  const std::string run = (dir / "run").string();
  ASSERT_EQ(run_cli("train --env CartPole-v1 --out " + run + kQuickTrain).exit_code, 0);
  CliRun r =
      run_cli("render " + run + " --out " + (dir / "a.gif").string() + " --episodes 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["env"], "CartPole-v1");
  EXPECT_EQ(j["episodes"], 2);
  EXPECT_EQ(j["width"], 600);
  EXPECT_EQ(j["height"], 400);
  EXPECT_EQ(j["fps"], 50.0);
  // One frame per reset and per step.
  const std::string decoded = pil_decode(dir / "a.gif");
  EXPECT_EQ(decoded.substr(0, decoded.find('\n')),
            "600 400 " + std::to_string(j["frames"].get<int64_t>()));
  // Its return equals cairn eval's for the same seeds (the same deterministic actions).
  const CliRun eval = run_cli("eval " + run + " --episodes 2 --json");
  ASSERT_EQ(eval.exit_code, 0) << eval.out;
  EXPECT_EQ(j["mean_return"], nlohmann::json::parse(eval.out)["mean_return"]);
  // A checkpoint and its policy folder (which then needs --env), to MP4 and PNG.
  const std::string checkpoint = j["path"];
  r = run_cli("render " + checkpoint + " --out " + (dir / "b.mp4").string() +
              " --width 200 --height 100 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const int64_t frames = nlohmann::json::parse(r.out)["frames"];
  const CliRun probe = run_shell(
      "ffprobe -v error -count_frames -show_entries "
      "stream=nb_read_frames,width,height -of csv=p=0 " +
      (dir / "b.mp4").string());
  EXPECT_EQ(probe.out, "200,100," + std::to_string(frames) + "\n");
  std::string policy_dir;
  for (const auto& e : std::filesystem::directory_iterator(checkpoint + "/policies"))
    policy_dir = e.path().string();
  ASSERT_FALSE(policy_dir.empty());
  r = run_cli("render " + policy_dir + " --env CartPole-v1 --out " + (dir / "c.png").string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(pil_decode(dir / "c.png").substr(0, 10), "600 400 1\n");
}

TEST(RenderCli, RendersAMujocoPolicyWithoutADisplay) {
  testing_io::ScratchDir dir;
  const std::string run = (dir / "run").string();
  ASSERT_EQ(run_cli("train --env InvertedPendulum-v5 --out " + run + kQuickTrain).exit_code, 0);
  // Without DISPLAY, cairn render starts itself under xvfb-run. In the sanitizer build that
  // process runs without LeakSanitizer: clang 14's leak checker crashed at exit (SIGSEGV in
  // its thread-stopping tracer) among Mesa's rendering threads, once in a clean CI run. The
  // rendering code's leaks are still checked in-process (RenderMujoco.*).
  const std::string leak_checking =
      testing_build::sanitized_build() ? "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 " : "";
  const CliRun r = run_shell("env -u DISPLAY " + leak_checking + testing_cli::cairn_binary() +
                             " render " + run + " --out " + (dir / "p.mp4").string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  EXPECT_EQ(j["fps"], 25.0);  // 1 / (0.02 s * frame skip 2)
  const CliRun probe = run_shell(
      "ffprobe -v error -count_frames -show_entries "
      "stream=nb_read_frames,width,height -of csv=p=0 " +
      (dir / "p.mp4").string());
  EXPECT_EQ(probe.out, "480,480," + std::to_string(j["frames"].get<int64_t>()) + "\n");
}

TEST(RenderCli, ErrorsNameTheEnvironmentTheExtensionOrTheMissingFlag) {
  testing_io::ScratchDir dir;
  const std::string run = (dir / "run").string();
  ASSERT_EQ(run_cli("train --env CartPole-v1 --out " + run + kQuickTrain).exit_code, 0);
  const std::string gif = " --out " + (dir / "x.gif").string();
  CliRun r = run_cli("render " + run + " --env Nope-v0" + gif);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("'Nope-v0'"), std::string::npos) << r.out;
  r = run_cli("render " + run + " --out " + (dir / "x.avi").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("'.avi'"), std::string::npos) << r.out;
  r = run_cli("render " + run);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--out"), std::string::npos) << r.out;
  r = run_cli("render " + run + " --env Acrobot-v1" + gif);  // a policy for other spaces
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("environment 'Acrobot-v1' has spaces"), std::string::npos) << r.out;
  // A plugin's environment: cairn cannot draw it, and says so before anything else.
  const std::string plugin =
      std::string(CAIRN_BINARY_DIR) + "/examples/plugin/libcairn_example_plugin.so";
  const std::string line_run = (dir / "line").string();
  ASSERT_EQ(
      run_cli("--plugin " + plugin + " train --env LineWalk-v0 --out " + line_run + kQuickTrain)
          .exit_code,
      0);
  r = run_cli("--plugin " + plugin + " render " + line_run + gif);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("environment 'LineWalk-v0' cannot be rendered"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.gif"));
}

}  // namespace
}  // namespace cairn
