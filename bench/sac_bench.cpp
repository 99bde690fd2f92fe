// SAC benchmark, on one core:
//   1. SAC on Pendulum-v1 with RLtools' SAC configuration (64 x 64 relu networks, batch
//      100, 100 warm-up steps, initial alpha 0.5, Adam 1e-3, 10k environment steps):
//      training time and a deterministic evaluation over 100 episodes, seeds 1..5 (RLtools'
//      pendulum-sac example beside it: bench/side_by_side.sh).
//   2. One SAC gradient step (batch 256, 256 x 256 relu actor and critics, 3 observation
//      features, 1 action) in cairn against PyTorch (/usr/bin/python3, one thread) doing the
//      same step (CleanRL's order: target, critic step, actor step, temperature step,
//      Polyak).
//
// Usage: sac_bench
//        sac_bench --run SEED   one seed of part 1, one line of key=value (for
//                               bench/side_by_side.sh)
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "bench_report.h"
#include "cairn/algorithms/sac.h"
#include "cairn/algorithms/sac_update.h"
#include "cairn/nn/model_zoo.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

cairn::SACConfig rltools_config(uint64_t seed) {
  cairn::SACConfig c = cairn::SACConfig::from_json(cairn::sac_presets().front().second);
  c.env_id = "Pendulum-v1";
  c.total_timesteps = 10000;
  c.buffer_size = 10000;
  c.steps_per_iteration = 1000;
  c.seed = seed;
  return c;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// One seed of RLtools' configuration: learn()'s training time and the evaluation.
std::pair<double, double> pendulum_seed(uint64_t seed) {
  cairn::SAC sac(rltools_config(seed));
  const auto t0 = Clock::now();
  sac.learn({.timesteps = 10000});
  const double t = seconds_since(t0);
  return {t, sac.evaluate(100, true).mean_return};
}

void pendulum() {
  std::printf("SAC on Pendulum-v1, RLtools' configuration, 10k environment steps\n");
  cairn::bench::Table table({"seed", "train time", "eval (100 ep, deterministic)"});
  std::vector<double> times;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const auto [t, eval] = pendulum_seed(seed);
    times.push_back(t);
    table.add_row({std::to_string(seed), fmt("%.2f s", t), fmt("%.1f", eval)});
  }
  table.print();
  std::printf("  median train time: %.2f s\n", cairn::bench::median(times));
  std::printf("\n");
}

const char* kTorchUpdate = R"PY(
import time, math, torch
torch.set_num_threads(1)
torch.manual_seed(0)
B, F, d, H = 256, 3, 1, 256
def mlp(i, o):
    return torch.nn.Sequential(torch.nn.Linear(i, H), torch.nn.ReLU(), torch.nn.Linear(H, H),
                               torch.nn.ReLU(), torch.nn.Linear(H, o))
actor = mlp(F, 2 * d); q1 = mlp(F + d, 1); q2 = mlp(F + d, 1)
t1 = mlp(F + d, 1); t2 = mlp(F + d, 1)
t1.load_state_dict(q1.state_dict()); t2.load_state_dict(q2.state_dict())
q_opt = torch.optim.Adam(list(q1.parameters()) + list(q2.parameters()), lr=1e-3)
a_opt = torch.optim.Adam(actor.parameters(), lr=3e-4)
log_alpha = torch.zeros(1, requires_grad=True)
al_opt = torch.optim.Adam([log_alpha], lr=1e-3)
obs = torch.rand(B, F); nobs = torch.rand(B, F); act = torch.rand(B, d) * 2 - 1
rew = torch.rand(B); disc = torch.full((B,), 0.99)
def sample(o):
    out = actor(o); mean, log_std = out[:, :d], out[:, d:].clamp(-20, 2)
    std = log_std.exp(); x = mean + std * torch.randn_like(mean); y = torch.tanh(x)
    lp = torch.distributions.Normal(mean, std).log_prob(x)
    lp = lp - 2 * (math.log(2) - x - torch.nn.functional.softplus(-2 * x))
    return y, lp.sum(1)
def step():
    alpha = log_alpha.exp().item()
    with torch.no_grad():
        na, nlp = sample(nobs); x = torch.cat([nobs, na], 1)
        y = rew + disc * (torch.min(t1(x), t2(x)).view(-1) - alpha * nlp)
    x = torch.cat([obs, act], 1)
    loss = torch.nn.functional.mse_loss(q1(x).view(-1), y) + torch.nn.functional.mse_loss(q2(x).view(-1), y)
    q_opt.zero_grad(); loss.backward(); q_opt.step()
    pi, lp = sample(obs); x = torch.cat([obs, pi], 1)
    aloss = (alpha * lp - torch.min(q1(x), q2(x)).view(-1)).mean()
    a_opt.zero_grad(); aloss.backward(); a_opt.step()
    al = (-log_alpha.exp() * (lp.detach() - d)).mean()
    al_opt.zero_grad(); al.backward(); al_opt.step()
    with torch.no_grad():
        for n, t in ((q1, t1), (q2, t2)):
            for p, tp in zip(n.parameters(), t.parameters()):
                tp.mul_(0.995).add_(p, alpha=0.005)
for _ in range(20): step()
samples = []
for _ in range(15):
    t0 = time.perf_counter()
    for _ in range(20): step()
    samples.append((time.perf_counter() - t0) / 20)
samples.sort()
print(samples[len(samples) // 2] * 1e6)
)PY";

void one_update() {
  std::printf("One SAC gradient step: batch 256, 256 x 256 relu actor and critics\n");
  constexpr size_t B = 256, F = 3, d = 1;
  const std::vector<cairn::nn::Index> hidden = {256, 256};
  cairn::nn::Model<float> actor(cairn::nn::squashed_gaussian_actor_spec(F, d, hidden));
  actor.initialize(1);
  cairn::Rng rng(2);
  cairn::TwinCritic critics(cairn::nn::q_critic_spec(F + d, hidden), {.lr = 1e-3}, rng);
  critics.reserve(B);
  actor.reserve(B);
  cairn::SACUpdateSettings s;
  s.target_entropy = -1.0;
  cairn::SACUpdate update(actor.parameters(), F, d, {.lr = 3e-4}, {.lr = 1e-3}, s);
  update.reserve(B);
  std::vector<float> obs(B * F), next_obs(B * F), act(B * d), rew(B), disc(B, 0.99f);
  for (float& v : obs) v = static_cast<float>(rng.uniform());
  for (float& v : next_obs) v = static_cast<float>(rng.uniform());
  for (float& v : act) v = static_cast<float>(rng.uniform(-1, 1));
  for (float& v : rew) v = static_cast<float>(rng.uniform());
  const cairn::TransitionBatchView batch{
      {obs.data(), B, F}, {act.data(), B, d}, rew, disc, {next_obs.data(), B, F}};
  const double ns = cairn::bench::median_ns(
      [&] { cairn::bench::do_not_optimize(update.step(actor, critics, batch, rng, true)); }, 15);
  const std::string cmd = "OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 /usr/bin/python3 -c '" +
                          std::string(kTorchUpdate) + "' 2>/dev/null";
  double torch_us = -1;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    if (std::fscanf(p, "%lf", &torch_us) != 1) torch_us = -1;
    pclose(p);
  }
  cairn::bench::Table table({"implementation", "time per gradient step", "relative"});
  table.add_row({"cairn", cairn::bench::format_duration(ns), "1.00x"});
  table.add_row({"PyTorch 1.13 (1 thread)",
                 torch_us < 0 ? "not available" : cairn::bench::format_duration(torch_us * 1e3),
                 torch_us < 0 ? "-" : fmt("%.2fx", torch_us * 1e3 / ns)});
  table.print();
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--help") {
    std::printf(
        "usage: sac_bench             one SAC step against PyTorch, then Pendulum-v1 with\n"
        "                             RLtools' SAC configuration over seeds 1..5\n"
        "       sac_bench --run SEED  one Pendulum-v1 seed: train_seconds=... eval100=...\n");
    return 0;
  }
  if (argc > 1 && std::string(argv[1]) == "--run") {
    if (argc != 3) {
      std::fprintf(stderr, "usage: sac_bench --run SEED\n");
      return 2;
    }
    const auto [t, eval] = pendulum_seed(std::stoull(argv[2]));
    std::printf("train_seconds=%.4f eval100=%.2f\n", t, eval);
    return 0;
  }
  cairn::bench::print_machine("cairn sac_bench: SAC on one core");
  one_update();
  pendulum();
  return 0;
}
