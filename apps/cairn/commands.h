// The cairn program's commands, one source file each (command_<name>.cpp). Each takes the
// arguments after its name, prints its result (or one JSON object with --json), and
// returns the exit code. Errors are thrown as cairn::Error; main() prints them on one line
// and exits 2.
#pragma once

namespace cairn::cli {

int run_envs(int argc, char** argv, int first);
int run_rollout(int argc, char** argv, int first);
int run_main_job(int argc, char** argv, int first);
int run_train(int argc, char** argv, int first);
int run_config(int argc, char** argv, int first);
int run_eval(int argc, char** argv, int first);
int run_inspect(int argc, char** argv, int first);
int run_export(int argc, char** argv, int first);
int run_plot(int argc, char** argv, int first);
int run_render(int argc, char** argv, int first);

}  // namespace cairn::cli
