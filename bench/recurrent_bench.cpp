// Recurrent policies: the latency of one recurrent step for a single observation (batch 1,
// the state carried by the caller), and the cost of a training pass over sequences
// (forward and backpropagation through time).
//
//   act:    Policy::compute_action(obs, state_in, episode_start, state_out), deterministic,
//           StatelessCartPole-shaped (Box(2) -> 2 actions), the memory core (64 units) shared
//           by a 64x64 tanh policy and value network (nn::with_memory); the feed-forward
//           64x64 policy beside it for scale.
//   train:  Model forward over 16 sequences of 32 steps, then backward with parameter
//           gradients (BPTT through the 32 steps), the same model.
#include <cstdio>
#include <string>

#include "bench_report.h"
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
