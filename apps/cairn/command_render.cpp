// `cairn render`: a video of a policy acting on its environment, deterministic actions as
// `cairn eval` takes them (include/cairn/render/).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "arguments.h"
#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/env/env_registry.h"
#include "cairn/env/independent_agents.h"
#include "cairn/env/multi_agent_registry.h"
#include "cairn/error.h"
#include "cairn/render/frame_source.h"
#include "cairn/render/mp4_writer.h"
#include "cairn/render/video_writer.h"
#include "checkpoint_target.h"
#include "commands.h"
#include "multi_agent_target.h"

namespace cairn::cli {
namespace {

using json = nlohmann::json;

// Set in the environment of the copy of cairn that `cairn render` starts under xvfb-run,
// so that a copy still without a display fails instead of starting itself again.
constexpr const char* kUnderXvfb = "CAIRN_RENDER_UNDER_XVFB";

const std::vector<FlagSpec> kRenderFlags = {
    {"out", true, "FILE", "the video: .mp4 (through ffmpeg), .gif, or .png (the first frame)"},
    {"env", true, "ID", "environment (default: the checkpoint's)"},
    {"episodes", true, "N", "episodes recorded one after another (default 1)"},
    {"seed", true, "N", "episode i is reset with seed N + i (default 0)"},
    {"policy", true, "ID",
     std::string("policy id inside an algorithm checkpoint (default ") + kDefaultPolicyId + ")"},
    {"width", true, "PIXELS", "frame width (default: the environment's, as Gymnasium renders)"},
    {"height", true, "PIXELS", "frame height (default: the environment's)"},
    {"fps", true, "N", "frames per second (default: the environment's, 1/dt for MuJoCo)"},
    {"json", false, "", "print one JSON object as the result"},
    {"help", false, "", "show this help"},
};

bool has_display() {
  const char* d = std::getenv("DISPLAY");
  return d != nullptr && d[0] != '\0';
}

// Starts this same command line again under `xvfb-run -a` (a private X server for the
// run). The arguments are read from /proc/self/cmdline, as main() removed the --plugin
// flags from argv after loading them. Returns only by throwing.
[[noreturn]] void run_again_under_xvfb(const std::string& env_id) {
  const std::string xvfb_run = Mp4Writer::find_on_path("xvfb-run");
  if (xvfb_run.empty()) {
    throw Error("rendering '" + env_id +
                "' needs an X display for MuJoCo's OpenGL renderer, and DISPLAY is not set and "
                "xvfb-run is not installed: install Xvfb (Debian packages xvfb, xauth and "
                "libgl1-mesa-dri; scripts/setup.sh build installs them) or set DISPLAY");
  }
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (size_t at = 0; at < cmdline.size();) {
    const size_t end = cmdline.find('\0', at);
    args.push_back(cmdline.substr(at, end - at));
    at = end == std::string::npos ? cmdline.size() : end + 1;
  }
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0 || args.empty()) throw Error("cannot find the cairn program to run under xvfb-run");
  self[n] = '\0';
  args[0] = self;
  args.insert(args.begin(), {xvfb_run, "-a", "-s", "-screen 0 1280x1024x24"});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::setenv(kUnderXvfb, "1", 1);
  std::fflush(stdout);
  std::fflush(stderr);
  ::execv(xvfb_run.c_str(), argv.data());
  throw Error("cannot run '" + xvfb_run + "': " + std::strerror(errno));
}

}  // namespace

int run_render(int argc, char** argv, int first) {
  Arguments args("render", kRenderFlags, argc, argv, first);
  if (args.has("help")) {
    std::fputs(
        help_text(
            "cairn render PATH --out FILE [--env ID] [--episodes N] [--seed N] [--policy ID] "
            "[--width PIXELS] [--height PIXELS] [--fps N] [--json]",
            "Records a video of a policy (from an algorithm checkpoint, a run folder or a\n"
            "policy folder) acting on its environment, taking deterministic actions as\n"
            "`cairn eval` does. A policy of a multi-agent checkpoint (--policy ID) is drawn\n"
            "in the environment of the first agent it plays, where each agent has its own\n"
            "(MultiAgentCartPole-v0). Classic-control environments are drawn by cairn; MuJoCo\n"
            "environments by MuJoCo's renderer, which needs an X display: without DISPLAY,\n"
            "cairn render runs itself under xvfb-run (see docs/render.md).",
            kRenderFlags)
            .c_str(),
        stdout);
    return 0;
  }
  if (args.positional().size() != 1) throw Error("expected one PATH (see --help)");
  if (!args.has("out")) throw Error("missing --out FILE (a .mp4, .gif or .png)");
  const std::filesystem::path out = *args.get("out");
  video_format_of(out);  // an unknown extension is refused before anything is loaded
  const int64_t episodes = args.integer_or("episodes", 1, 1, 100000);
  const uint64_t seed = static_cast<uint64_t>(args.integer_or("seed", 0, 0, INT64_MAX));
  FrameSize size;
  size.width = static_cast<int>(args.integer_or("width", 0, 1, 16384));
  size.height = static_cast<int>(args.integer_or("height", 0, 1, 16384));

  const CheckpointTarget target = resolve_target(args.positional()[0]);
  PolicyRestoreOptions options;
  options.policy_id = args.get_or("policy", kDefaultPolicyId);
  std::unique_ptr<Policy> policy = Policy::from_checkpoint(target.path, options, nullptr);
  const TargetEnvironment environment = target_environment(target, args.get("env"));
  const std::string& env_id = environment.id;
  // A multi-agent checkpoint's policy is drawn in the environment of the first agent it plays,
  // where the agents do not interact (IndependentAgents: each acts in its own environment).
  std::unique_ptr<MultiAgentEnv> multi_agent;  // owns that agent's environment
  std::unique_ptr<Env> owned;
  Env* env = nullptr;
  std::string agent;
  if (is_multi_agent_env(env_id)) {
    const MultiAgentTarget run =
        multi_agent_target(target, env_id, environment.options, options.policy_id);
    multi_agent = make_multi_agent(env_id, environment.options);
    auto* independent = dynamic_cast<IndependentAgents*>(multi_agent.get());
    if (independent == nullptr) {
      throw Error("'" + env_id +
                  "' is a multi-agent environment whose agents act together: cairn render draws "
                  "a policy in one agent's own environment, which only environments of "
                  "independent agents (such as MultiAgentCartPole-v0) have; evaluate policy '" +
                  options.policy_id + "' with `cairn eval " + args.positional()[0] + " --policy " +
                  options.policy_id + "`");
    }
    agent = run.agents.front();
    const std::vector<std::string>& agents = multi_agent->possible_agents();
    env = &independent->env(
        static_cast<size_t>(std::find(agents.begin(), agents.end(), agent) - agents.begin()));
  } else {
    owned = make(env_id, environment.options);
    env = owned.get();
  }
  check_renderable(*env, env_id);
  check_policy_fits(*env, env_id, *policy);

  if (needs_display(*env) && !has_display()) {
    if (std::getenv(kUnderXvfb) != nullptr) {
      throw Error("rendering '" + env_id + "': still no X display under xvfb-run");
    }
    run_again_under_xvfb(env_id);
  }
  const RenderDefaults defaults = render_defaults(*env);
  const double fps = args.has("fps") ? args.positive_number_or("fps", defaults.fps) : defaults.fps;
  std::unique_ptr<FrameSource> frames = make_frame_source(*env, env_id, size);
  std::unique_ptr<VideoWriter> writer =
      open_video_writer(out, frames->width(), frames->height(), fps);

  Rng rng = Rng::stream(seed, 7);  // as cairn eval draws
  std::vector<float> obs(env->observation_space().size());
  std::vector<double> returns;
  Image image;
  for (int64_t i = 0; i < episodes && writer->wants_more(); ++i) {
    env->reset(std::span<float>(obs), seed + static_cast<uint64_t>(i));
    frames->render(image);
    writer->add_frame(image);
    double ret = 0;
    std::vector<float> state = policy->initial_state();  // a recurrent policy's memory
    bool episode_start = true;
    for (;;) {
      const StepResult s =
          env->step(policy->compute_action(obs, state, episode_start, state, false, rng), obs);
      episode_start = false;
      ret += s.reward;
      if (writer->wants_more()) {
        frames->render(image);
        writer->add_frame(image);
      }
      if (s.terminated || s.truncated) break;
    }
    returns.push_back(ret);
  }
  writer->finish();

  double mean = 0;
  for (double r : returns) mean += r;
  mean /= static_cast<double>(returns.size());
  const json result = {{"path", target.path.string()},
                       {"env", env_id},
                       {"agent", agent},
                       {"out", out.string()},
                       {"frames", writer->frames()},
                       {"width", frames->width()},
                       {"height", frames->height()},
                       {"fps", fps},
                       {"episodes", returns.size()},
                       {"returns", returns},
                       {"mean_return", mean}};
  if (args.has("json")) {
    std::printf("%s\n", result.dump().c_str());
  } else {
    std::printf(
        "%s%s: %zu deterministic episode%s, mean return %.2f; wrote %s (%lld frames, %dx%d, "
        "%g fps)\n",
        env_id.c_str(), agent.empty() ? "" : (" agent '" + agent + "'").c_str(), returns.size(),
        returns.size() == 1 ? "" : "s", mean, out.c_str(), static_cast<long long>(writer->frames()),
        frames->width(), frames->height(), fps);
  }
  return 0;
}

}  // namespace cairn::cli
