// Neural-network engine benchmark: the PPO default 64x64 tanh actor-critic
// (obs 4 -> separate pi and vf networks, 2 x 64 tanh each; pi out 2, vf out 1), float32.
//
//   forward:    Model::forward at batch 1 / 64 / 2048 (outputs cached, nothing else)
//   train step: zero_grad, forward, a PPO-style loss gradient (clipped surrogate of a
//               categorical, value loss, entropy bonus) written into the output
//               gradients, backward, global-norm clipping, Adam step
//
// libtorch reference figures are the ones in the founding design (same network,
// measured by the founders): ~10 µs batch-1 forward, ~400 µs minibatch-64 train step.
//
// Then the machine's limit: the core's measured peak FMA rate, and the GFLOP/s that
// forward, backward and a whole training step reach on square MLPs (input w, two
// hidden layers of w relu units, w linear outputs: three w x w products) of widths 64
// and 256 at minibatches of 64, 128 and 256, as a share of that peak.
#include <cmath>
#include <cstdio>
#include <string>

#include "bench_report.h"
#include "cairn/nn/adam.h"
#include "cairn/nn/gemm.h"
#include "cairn/nn/grad_clip.h"
#include "cairn/nn/intra_op_threads.h"
#include "cairn/nn/model.h"
#include "cairn/nn/model_builder.h"
#include "cairn/nn/model_zoo.h"
#include "machine_peak.h"

namespace {

using namespace cairn::nn;

using cairn::nn::Index;
using cairn::nn::RowMatrix;

struct Minibatch {
  RowMatrix<float> obs;
  std::vector<int> actions;
  std::vector<float> old_logp, advantages, returns;
};

Minibatch make_minibatch(Index batch, Index obs_dim, Index num_actions, uint64_t seed) {
  cairn::Rng rng(seed);
  Minibatch mb;
  mb.obs.resize(batch, obs_dim);
  for (Index i = 0; i < mb.obs.size(); ++i) mb.obs.data()[i] = static_cast<float>(rng.normal());
  for (Index i = 0; i < batch; ++i) {
    mb.actions.push_back(static_cast<int>(rng.below(static_cast<uint64_t>(num_actions))));
    mb.old_logp.push_back(static_cast<float>(std::log(1.0 / static_cast<double>(num_actions)) +
                                             rng.uniform(-0.3, 0.3)));
    mb.advantages.push_back(static_cast<float>(rng.normal()));
    mb.returns.push_back(static_cast<float>(rng.normal()));
  }
  return mb;
}

// The PPO loss gradient with respect to the logits and values (clip 0.2, vf 0.5,
// entropy 0.01), as a PPO learner computes it.
void ppo_output_grads(cairn::nn::Model<float>& model, const Minibatch& mb, size_t pi, size_t vf) {
  const auto logits = model.output(pi).map();
  const auto values = model.output(vf).map();
  auto d_logits = model.output_grad(pi).map();
  auto d_values = model.output_grad(vf).map();
  const Index batch = logits.rows(), n = logits.cols();
  const float inv_b = 1.0f / static_cast<float>(batch);
  for (Index i = 0; i < batch; ++i) {
    const float max = logits.row(i).maxCoeff();
    float sum = 0;
    for (Index j = 0; j < n; ++j) sum += std::exp(logits(i, j) - max);
    const float lse = max + std::log(sum);
    float h = 0;
    for (Index j = 0; j < n; ++j) {
      const float lp = logits(i, j) - lse;
      h -= std::exp(lp) * lp;
    }
    const auto k = static_cast<size_t>(i);
    const Index a = mb.actions[k];
    const float ratio = std::exp(logits(i, a) - lse - mb.old_logp[k]);
    const float adv = mb.advantages[k];
    const bool clipped = (adv > 0 && ratio > 1.2f) || (adv < 0 && ratio < 0.8f);
    const float d_logp = clipped ? 0.0f : -adv * ratio * inv_b;
    const float d_h = -0.01f * inv_b;
    for (Index j = 0; j < n; ++j) {
      const float lp = logits(i, j) - lse, p = std::exp(lp);
      d_logits(i, j) = d_logp * ((j == a ? 1.0f : 0.0f) - p) + d_h * (-p * (lp + h));
    }
    d_values(i, 0) = 0.5f * (values(i, 0) - mb.returns[k]) * inv_b;
  }
}

// Input w, two hidden relu layers of w, w linear outputs.
ModelSpec square_mlp(Index w) {
  return ModelBuilder(w)
      .add(Block("mlp").dense(w, Activation::relu()).dense(w, Activation::relu()).dense(w))
      .output("mlp")
      .build();
}

void print_share_of_peak() {
  const cairn::bench::FmaPeak peak = cairn::bench::measure_fma_peak();
  std::printf("\npeak FMA throughput of one core, measured: %.1f GFLOP/s (%s); matrix kernel: %s\n",
              peak.gflops, peak.isa.c_str(), gemm_kernel_name());
  std::printf(
      "square MLPs (input w, 2 hidden relu layers of w, w outputs), float32; FLOPs counted as\n"
      "2 per multiply-add of the products: forward 3, backward 5 (weights 3, inputs 2), step 8\n"
      "products of batch x w x w; the step adds a loss gradient and Adam\n\n");
  cairn::bench::Table table({"w", "batch", "pass", "time (median)", "GFLOP/s", "share of peak"});
  for (Index w : {64, 256}) {
    Model<float> model(square_mlp(w));
    model.initialize(3);
    Adam<float> adam(model.parameters(), {.lr = 1e-4});
    model.reserve(256);
    for (Index batch : {64, 128, 256}) {
      RowMatrix<float> x(batch, w);
      cairn::Rng rng(static_cast<uint64_t>(batch));
      for (Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal());
      const double product = 2.0 * static_cast<double>(batch * w * w);
      const auto set_loss_grad = [&] {
        const auto y = model.output(0);
        auto dy = model.output_grad(0);
        for (Index i = 0; i < y.size(); ++i) dy.data[i] = 1e-3f * y.data[i];
      };
      const double fwd = cairn::bench::median_ns([&] {
        model.forward(as_span(x));
        cairn::bench::do_not_optimize(model.output(0).data[0]);
      });
      model.forward(as_span(x));
      set_loss_grad();
      const double bwd = cairn::bench::median_ns([&] {
        model.output_grad(0);
        model.backward();
        cairn::bench::do_not_optimize(model.flat_gradients()[0]);
      });
      const double step = cairn::bench::median_ns([&] {
        model.zero_grad();
        model.forward(as_span(x));
        set_loss_grad();
        model.backward();
        adam.step(model.flat_parameters(), model.flat_gradients());
        cairn::bench::do_not_optimize(model.flat_parameters()[0]);
      });
      const auto row = [&](const char* pass, double ns, double products) {
        const double gflops = products * product / ns;
        table.add_row({std::to_string(w), std::to_string(batch), pass,
                       cairn::bench::format_duration(ns),
                       cairn::bench::format_number(gflops, "%.1f"),
                       cairn::bench::format_number(100.0 * gflops / peak.gflops, "%.0f") + "%"});
      };
      row("forward", fwd, 3);
      row("backward", bwd, 5);
      row("training step", step, 8);
    }
  }
  table.print();
}

// The same training step of the 256-wide MLP with the products split across two threads
// (nn/intra_op_threads.h; results are bit-identical to one thread).
void print_intra_op_threads() {
  std::printf("\nintra-op threads: the w = 256 training step on 1 and 2 threads\n\n");
  cairn::bench::Table table({"batch", "1 thread", "2 threads", "speed-up"});
  Model<float> model(square_mlp(256));
  model.initialize(3);
  Adam<float> adam(model.parameters(), {.lr = 1e-4});
  model.reserve(256);
  for (Index batch : {64, 128, 256}) {
    RowMatrix<float> x(batch, 256);
    cairn::Rng rng(static_cast<uint64_t>(batch));
    for (Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal());
    double ns[2];
    for (int threads : {1, 2}) {
      set_intra_op_threads(threads);
      ns[threads - 1] = cairn::bench::median_ns([&] {
        model.zero_grad();
        model.forward(as_span(x));
        const auto y = model.output(0);
        auto dy = model.output_grad(0);
        for (Index i = 0; i < y.size(); ++i) dy.data[i] = 1e-3f * y.data[i];
        model.backward();
        adam.step(model.flat_parameters(), model.flat_gradients());
        cairn::bench::do_not_optimize(model.flat_parameters()[0]);
      });
    }
    set_intra_op_threads(1);
    table.add_row({std::to_string(batch), cairn::bench::format_duration(ns[0]),
                   cairn::bench::format_duration(ns[1]),
                   cairn::bench::format_number(ns[0] / ns[1], "%.2f") + "x"});
  }
  table.print();
}

}  // namespace

int main() {
  using namespace cairn::nn;
  cairn::bench::print_machine(
      "cairn nn benchmark: 64x64 tanh actor-critic (obs 4, pi 2, vf 1), float32");

  Model<float> model(ppo_actor_critic(4, 2));
  model.initialize(1);
  const size_t pi = model.output_index("pi"), vf = model.output_index("vf");
  Adam<float> adam(model.parameters(), {.lr = 3e-4, .eps = 1e-5});
  model.reserve(2048);

  cairn::bench::Table table(
      {"operation", "batch", "cairn (median)", "per sample", "libtorch ref", "speed-up"});
  for (Index batch : {1, 64, 2048}) {
    const Minibatch mb = make_minibatch(batch, 4, 2, 7);
    const double ns = cairn::bench::median_ns([&] {
      model.forward(as_span(mb.obs));
      cairn::bench::do_not_optimize(model.output(pi).data[0]);
    });
    const bool ref = batch == 1;
    table.add_row({"forward", std::to_string(batch), cairn::bench::format_duration(ns),
                   cairn::bench::format_duration(ns / static_cast<double>(batch)),
                   ref ? "~10 µs" : "—",
                   ref ? std::to_string(static_cast<int>(1e4 / ns)) + "x" : "—"});
  }
  for (Index batch : {64, 512}) {
    const Minibatch mb = make_minibatch(batch, 4, 2, 8);
    const double ns = cairn::bench::median_ns([&] {
      model.zero_grad();
      model.forward(as_span(mb.obs));
      ppo_output_grads(model, mb, pi, vf);
      model.backward();
      clip_grad_norm<float>(model.flat_gradients(), 0.5);
      adam.step(model.flat_parameters(), model.flat_gradients());
      cairn::bench::do_not_optimize(model.flat_parameters()[0]);
    });
    const bool ref = batch == 64;
    table.add_row({"train step (fwd+loss+bwd+clip+Adam)", std::to_string(batch),
                   cairn::bench::format_duration(ns),
                   cairn::bench::format_duration(ns / static_cast<double>(batch)),
                   ref ? "~400 µs" : "—",
                   ref ? std::to_string(static_cast<int>(4e5 / ns)) + "x" : "—"});
  }
  {
    // Pieces of the minibatch-64 step, for locating time.
    const Minibatch mb = make_minibatch(64, 4, 2, 9);
    model.forward(as_span(mb.obs));
    ppo_output_grads(model, mb, pi, vf);
    const double bwd = cairn::bench::median_ns([&] {
      model.output_grad(pi);
      model.output_grad(vf);
      model.backward();
    });
    const double opt = cairn::bench::median_ns([&] {
      clip_grad_norm<float>(model.flat_gradients(), 1e9);
      adam.step(model.flat_parameters(), model.flat_gradients());
    });
    table.add_row({"  of which backward", "64", cairn::bench::format_duration(bwd), "", "—", "—"});
    table.add_row({"  of which clip + Adam (" + std::to_string(model.num_parameters()) + " params)",
                   "64", cairn::bench::format_duration(opt), "", "—", "—"});
  }
  table.print();
  print_share_of_peak();
  print_intra_op_threads();
  return 0;
}
