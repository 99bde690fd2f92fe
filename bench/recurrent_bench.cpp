// Recurrent policies: the latency of one recurrent step for a single observation (batch 1,
// the state carried by the caller), and the cost of a training pass over sequences
// (forward and backpropagation through time).
//
//   act:    Policy::compute_action(obs, state_in, episode_start, state_out), deterministic,
//           StatelessCartPole-shaped (Box(2) -> 2 actions), the memory core (64 units) shared
//           by a 64x64 tanh policy and value network (nn::with_memory); the feed-forward
//           64x64 policy beside it for scale.
//   C:      the policy's C export (export_c, proven against the policy), compiled with
//           -O3 -march=native and loaded with dlopen: <p>_step(obs, state_in, 0, state_out,
//           action, NULL, NULL), the state carried in the caller's struct.
//   train:  Model forward over 16 sequences of 32 steps, then backward with parameter
//           gradients (BPTT through the 32 steps), the same model.
#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "bench_report.h"
#include "cairn/export/c_export.h"
#include "cairn/nn/model_zoo.h"
#include "cairn/policy/policy.h"

namespace {

using cairn::nn::Index;

cairn::Policy make_policy(const std::string& cell) {
  const cairn::nn::ModelSpec base = cairn::nn::ppo_actor_critic(2, 2);
  cairn::nn::ModelSpec spec = base;
  if (!cell.empty()) {
    cairn::nn::MemoryOptions memory;
    memory.cell = cell;
    memory.units = 64;
    spec = cairn::nn::with_memory(base, memory);
  }
  return cairn::Policy(cairn::Space::box(-5.0f, 5.0f, {2}), cairn::Space::discrete(2), spec,
                       cairn::PolicyOptions(), 1);
}

// The exported C step's median latency, or a note saying why it could not be measured.
std::string time_c_step(cairn::Policy& policy, const float* obs, const std::string& cell) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("cairn_recurrent_bench_" + std::to_string(::getpid()) + "_" + cell);
  std::filesystem::create_directories(dir);
  const cairn::ExportVerification v = cairn::export_c(policy, dir, cairn::CExportOptions());
  const auto so = dir / "policy.so";
  const std::string cmd = "cc -std=c99 -O3 -march=native -fPIC -shared -o " + so.string() + " " +
                          (dir / "cairn_policy.c").string() + " -lm";
  std::string result;
  if (std::system(cmd.c_str()) != 0) {
    result = "compile failed";
  } else if (void* lib = ::dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL); lib == nullptr) {
    result = std::string("dlopen failed: ") + ::dlerror();
  } else {
    using Step = int (*)(const float*, const void*, int, void*, long long*, float*, float*);
    const auto step = reinterpret_cast<Step>(::dlsym(lib, "cairn_policy_step"));
    if (step == nullptr) {
      result = "no cairn_policy_step";
    } else {
      std::vector<float> state(policy.state_size(), 0.0f);
      long long action = 0;
      const double ns = cairn::bench::median_ns([&] {
        step(obs, state.data(), 0, state.data(), &action, nullptr, nullptr);
        cairn::bench::do_not_optimize(action);
      });
      result = cairn::bench::format_duration(ns) + " (C export " + cairn::to_string(v.status) + ")";
    }
    ::dlclose(lib);
  }
  std::filesystem::remove_all(dir);
  return result;
}

}  // namespace

int main() {
  cairn::bench::print_machine("recurrent_bench: recurrent policies, batch-1 steps and BPTT");
  cairn::bench::Table table({"what", "time", "notes"});
  const float obs[2] = {0.02f, 0.05f};
  for (const std::string cell : {"", "lstm", "gru"}) {
    cairn::Policy policy = make_policy(cell);
    std::vector<float> state = policy.initial_state();
    const double ns = cairn::bench::median_ns([&] {
      const cairn::ActionRef a = policy.compute_action(obs, state, false, state);
      cairn::bench::do_not_optimize(a);
    });
    table.add_row({"act, batch 1: " + (cell.empty() ? std::string("feed-forward") : cell + " 64"),
                   cairn::bench::format_duration(ns),
                   cell.empty() ? "64x64 tanh pi and vf"
                                : "input -> " + cell + "(64) -> 64x64 tanh pi and vf; state " +
                                      std::to_string(policy.state_size()) + " floats"});
    if (!cell.empty()) {
      table.add_row({"exported C step, batch 1: " + cell + " 64", time_c_step(policy, obs, cell),
                     "cc -O3 -march=native, dlopen'ed; the state in the caller's struct"});
    }
  }
  const Index steps = 32, sequences = 16;
  for (const std::string cell : {"lstm", "gru"}) {
    cairn::Policy policy = make_policy(cell);
    cairn::nn::Model<float>& model = policy.model();
    cairn::Rng rng(2);
    cairn::nn::RowMatrix<float> x(steps * sequences, 2);
    for (Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal());
    const cairn::nn::RowMatrix<float> state =
        cairn::nn::RowMatrix<float>::Zero(sequences, model.state_size());
    std::vector<uint8_t> starts(static_cast<size_t>(steps * sequences), 0);
    for (size_t i = 0; i < starts.size(); i += 37) starts[i] = 1;
    const cairn::nn::SequenceInput<float> seq{steps, cairn::nn::as_span(state), starts};
    const double forward_ns = cairn::bench::median_ns([&] {
      model.forward(cairn::nn::as_span(x), seq);
      cairn::bench::do_not_optimize(model.output(0).data[0]);
    });
    const double train_ns = cairn::bench::median_ns([&] {
      model.forward(cairn::nn::as_span(x), seq);
      for (size_t o = 0; o < model.num_outputs(); ++o) model.output_grad(o).map().setOnes();
      model.zero_grad();
      model.backward();
      cairn::bench::do_not_optimize(model.flat_gradients()[0]);
    });
    const std::string shape =
        std::to_string(sequences) + " sequences x " + std::to_string(steps) + " steps";
    table.add_row({"forward, " + cell + " 64", cairn::bench::format_duration(forward_ns), shape});
    table.add_row(
        {"forward + BPTT, " + cell + " 64", cairn::bench::format_duration(train_ns),
         shape + "; " +
             std::to_string(static_cast<double>(steps * sequences) / train_ns * 1e3).substr(0, 5) +
             " M rows/s"});
  }
  table.print();
  return 0;
}
