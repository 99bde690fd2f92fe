// cairn: the command-line program, a thin layer over the library.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "cairn/distributed/communicator.h"
#include "cairn/error.h"
#include "commands.h"
#include "plugin_loader.h"

namespace {

const char* kUsage =
    "usage: cairn [--plugin LIB]... <command> [options]\n"
    "\n"
    "commands:\n"
    "  main-job   the main job: train PPO on CartPole-v1 and evaluate the policy\n"
    "  train      train PPO on an environment\n"
    "  eval       restore a policy alone from a checkpoint and evaluate it\n"
    "  inspect    describe and verify a checkpoint or policy folder\n"
    "  export     export a policy to ONNX or C, proven against the policy\n"
    "  render     record a video (MP4, GIF) of a policy acting on its environment\n"
    "  plot       draw learning curves of runs as an SVG (and a PNG when possible)\n"
    "  config     show PPO's default config or a tuned preset\n"
    "  rollout    roll out random actions on an environment and print episode statistics\n"
    "  envs       list the registered environments with their spaces\n"
    "  version    print cairn's version\n"
    "\n"
    "\n"
    "--plugin LIB (before or after the command, repeatable) loads a shared library that\n"
    "registers your own environments and layers (include/cairn/plugin.h); so do the\n"
    "paths in $CAIRN_PLUGINS, separated by ':'.\n"
    "\n"
    "Run 'cairn <command> --help' for a command's options.\n";

// Loads $CAIRN_PLUGINS and the --plugin flags (removing them from argv), so that every
// command sees the plugins' environments and layers without knowing about plugins.
// Returns false (having printed the error) if a plugin cannot be loaded.
bool load_plugins(int& argc, char** argv) {
  // Named in an error before the command is known: the first argument that is no flag.
  std::string command;
  for (int i = 1; i < argc && command.empty(); ++i) {
    if (argv[i][0] != '-') command = argv[i];
    if (!std::strcmp(argv[i], "--plugin")) ++i;
  }
  try {
    std::vector<std::string> libraries = cairn::cli::plugins_from_environment();
    for (std::string& l : cairn::cli::take_plugin_flags(argc, argv)) libraries.push_back(l);
    for (const std::string& l : libraries) cairn::cli::load_plugin(l);
    return true;
  } catch (const cairn::Error& e) {
    std::fprintf(stderr, "cairn%s%s: error: %s\n", command.empty() ? "" : " ", command.c_str(),
                 e.what());
    return false;
  }
}

// A user who meets an unknown environment id or layer type on the command line needs to
// hear about plugins, which the library's messages (written for programs) cannot mention.
std::string with_plugin_hint(const std::string& message) {
  if (message.find("unknown environment id '") == std::string::npos &&
      message.find("unknown layer type \"") == std::string::npos) {
    return message;
  }
  return message +
         " (the cairn program registers your own environments and layers from a plugin: "
         "--plugin LIB, see 'cairn --help')";
}

// In a distributed run (mpirun -np N cairn train ...), one rank's error must end every
// rank at once, or the others would wait for it forever: the message names the rank and
// the whole job is aborted. Returns (doing nothing) in a single process.
void end_distributed_job(const std::string& message, int exit_code) {
  cairn::distributed::Communicator* comm = nullptr;
  try {
    comm = &cairn::distributed::world();
  } catch (const cairn::Error&) {
    return;  // not distributed (the error being reported may be why)
  }
  if (comm->size() > 1) comm->abort(message, exit_code);
}

}  // namespace

int main(int argc, char** argv) {
  if (!load_plugins(argc, argv)) return 2;
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    std::fputs(kUsage, stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  try {
    if (command == "version" || command == "--version") {
      if (argc > 2 && !std::strcmp(argv[2], "--json")) {
        std::printf("{\"version\":\"%s\"}\n", CAIRN_VERSION_STRING);
      } else if (argc > 2 && !std::strcmp(argv[2], "--help")) {
        std::fputs("usage: cairn version [--json]\n\nPrints cairn's version.\n", stdout);
      } else if (argc > 2) {
        throw cairn::Error(std::string("unknown flag '") + argv[2] + "' for 'cairn version'");
      } else {
        std::printf("cairn %s\n", CAIRN_VERSION_STRING);
      }
      return 0;
    }
    if (command == "envs") return cairn::cli::run_envs(argc, argv, 2);
    if (command == "rollout") return cairn::cli::run_rollout(argc, argv, 2);
    if (command == "main-job") return cairn::cli::run_main_job(argc, argv, 2);
    if (command == "train") return cairn::cli::run_train(argc, argv, 2);
    if (command == "config") return cairn::cli::run_config(argc, argv, 2);
    if (command == "eval") return cairn::cli::run_eval(argc, argv, 2);
    if (command == "plot") return cairn::cli::run_plot(argc, argv, 2);
    if (command == "inspect") return cairn::cli::run_inspect(argc, argv, 2);
    if (command == "export") return cairn::cli::run_export(argc, argv, 2);
    if (command == "render") return cairn::cli::run_render(argc, argv, 2);
    std::fprintf(stderr, "cairn: error: unknown command '%s' (see 'cairn --help')\n",
                 command.c_str());
    return 2;
  } catch (const cairn::Error& e) {
    const std::string message = with_plugin_hint(e.what());
    end_distributed_job("cairn " + command + ": error: " + message, 2);
    std::fprintf(stderr, "cairn %s: error: %s\n", command.c_str(), message.c_str());
    return 2;
  } catch (const std::exception& e) {
    end_distributed_job("cairn " + command + ": internal error: " + e.what(), 1);
    std::fprintf(stderr, "cairn %s: internal error: %s\n", command.c_str(), e.what());
    return 1;
  }
}
