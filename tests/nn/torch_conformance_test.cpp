// Conformance against PyTorch (Debian's python3-torch, run as /usr/bin/python3): an
// actor-critic forward, the parameter gradients of a PPO-style loss, clipped Adam
// steps and SGD-with-momentum steps, on identical weights and inputs. Skipped when torch is not
// importable.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cairn/nn/adam.h"
#include "cairn/nn/grad_clip.h"
#include "cairn/nn/model.h"
#include "cairn/nn/model_zoo.h"
#include "cairn/nn/sgd.h"
#include "nn_test_helpers.h"
#include "support/torch_reference.h"

namespace cairn::nn {
namespace {

using testing_torch::kPython;
using testing_torch::relative_error;
using testing_torch::torch_available;

struct Coefficients {
  double clip = 0.2, vf = 0.5, ent = 0.01;
};

template <typename T>
struct Minibatch {
  RowMatrix<T> obs;
  std::vector<int64_t> actions;
  std::vector<T> old_logp, advantages, returns;
};

// Forward, the PPO loss and its gradient with respect to both outputs (written into
// output_grad), computed here by hand as the PPO engineer's loss will be. Returns the
// loss.
template <typename T>
double ppo_forward_and_output_grads(Model<T>& model, const Minibatch<T>& mb,
                                    const Coefficients& c) {
  model.forward(as_span(mb.obs));
  const size_t pi = model.output_index("pi"), vf = model.output_index("vf");
  const auto logits = model.output(pi).map();
  const auto values = model.output(vf).map();
  auto d_logits = model.output_grad(pi).map();
  auto d_values = model.output_grad(vf).map();
  const Index batch = logits.rows(), n = logits.cols();
  const T inv_b = T(1) / static_cast<T>(batch);
  double pg = 0, vl = 0, ent = 0;
  for (Index i = 0; i < batch; ++i) {
    const T max = logits.row(i).maxCoeff();
    const T lse = max + std::log((logits.row(i).array() - max).exp().sum());
    const auto logp_all = (logits.row(i).array() - lse).eval();
    const auto p = logp_all.exp().eval();
    const T h = -(p * logp_all).sum();
    const Index a = static_cast<Index>(mb.actions[static_cast<size_t>(i)]);
    const T ratio = std::exp(logp_all(a) - mb.old_logp[static_cast<size_t>(i)]);
    const T adv = mb.advantages[static_cast<size_t>(i)];
    const T lo = static_cast<T>(1 - c.clip), hi = static_cast<T>(1 + c.clip);
    const T pg1 = -adv * ratio, pg2 = -adv * std::clamp(ratio, lo, hi);
    pg += std::max(pg1, pg2);
    // d max(pg1, pg2) / d ratio (ties split evenly, as torch.max does).
    const T d_pg1 = -adv, d_pg2 = (ratio >= lo && ratio <= hi) ? -adv : T(0);
    const T d_ratio = pg1 > pg2 ? d_pg1 : (pg1 < pg2 ? d_pg2 : T(0.5) * (d_pg1 + d_pg2));
    const T d_logp = d_ratio * ratio * inv_b;
    const T d_h = static_cast<T>(-c.ent) * inv_b;
    for (Index j = 0; j < n; ++j) {
      const T onehot = j == a ? T(1) : T(0);
      d_logits(i, j) = d_logp * (onehot - p(j)) + d_h * (-p(j) * (logp_all(j) + h));
    }
    const T diff = values(i, 0) - mb.returns[static_cast<size_t>(i)];
    vl += 0.5 * diff * diff;
    d_values(i, 0) = static_cast<T>(c.vf) * diff * inv_b;
    ent += h;
  }
  const double b = static_cast<double>(batch);
  return pg / b - c.ent * ent / b + c.vf * vl / b;
}

template <typename T>
Minibatch<T> make_minibatch(Model<T>& model, Index batch, uint64_t seed) {
  Rng rng(seed);
  Minibatch<T> mb;
  mb.obs = testing::random_matrix<T>(batch, model.input_size(), seed + 1);
  model.forward(as_span(mb.obs));
  const auto logits = model.output(model.output_index("pi")).map();
  for (Index i = 0; i < batch; ++i) {
    const Index a = static_cast<Index>(rng.below(static_cast<uint64_t>(logits.cols())));
    const T lse = std::log(logits.row(i).array().exp().sum());
    mb.actions.push_back(a);
    // Old log-probabilities off by up to +-0.4 so that ratios fall inside and outside
    // the clip range on both signs of the advantage.
    mb.old_logp.push_back(static_cast<T>(logits(i, a) - lse + rng.uniform(-0.4, 0.4)));
    mb.advantages.push_back(static_cast<T>(rng.normal()));
    mb.returns.push_back(static_cast<T>(rng.normal()));
  }
  return mb;
}

template <typename Range>
std::vector<double> to_doubles(const Range& v) {
  return std::vector<double>(v.begin(), v.end());
}

// relative_error (support/torch_reference.h) is per element, with elements far below
// the tensor's scale measured against that scale.
//
// float64 runs are compared element by element (floor 1e-2) at 1e-10: both sides then
// compute the same formulas to ~1e-14, so this checks the maths. float32 runs are
// compared relative to each tensor's scale (floor 1) at 1e-5: sums over the batch are
// rounded in a different order by Eigen and by torch, so a gradient element that
// cancels to 1% of its tensor's largest element carries ~1e-5 relative rounding
// noise on either side, while errors against the scale stay ~1e-6.
template <typename T>
void run_conformance(const ModelSpec& spec, double tolerance, double floor) {
  if (!torch_available()) {
    // scripts/test.sh installs python3-torch: its absence is a failure, never a skip.
    GTEST_FAIL() << "PyTorch not importable by " << kPython
                 << " (apt-get install python3-torch, as scripts/setup.sh test does)";
  }
  const Coefficients coef;
  const Index batch = 64;
  const int adam_steps = 4;
  const AdamOptions adam_options{.lr = 1e-2, .eps = 1e-5};
  const double max_norm = 0.5;

  Model<T> model(spec);
  model.initialize(2024);
  testing::randomize_parameters(model, 77, 0.3);  // generic values, non-zero biases
  const Minibatch<T> mb = make_minibatch(model, batch, 5);

  nlohmann::json c;
  c["dtype"] = std::is_same_v<T, float> ? "float32" : "float64";
  c["spec"] = spec.to_json();
  for (const TensorInfo& t : model.parameters()) {
    c["params"][t.name] = {{"shape", t.shape}, {"data", to_doubles(model.parameter(t.name))}};
  }
  c["batch"] = batch;
  c["obs"] = std::vector<double>(mb.obs.data(), mb.obs.data() + mb.obs.size());
  c["actions"] = mb.actions;
  c["old_logp"] = to_doubles(mb.old_logp);
  c["advantages"] = to_doubles(mb.advantages);
  c["returns"] = to_doubles(mb.returns);
  c["coef"] = {{"clip", coef.clip}, {"vf", coef.vf}, {"ent", coef.ent}};
  const SgdOptions sgd_options{.lr = 0.05, .momentum = 0.9, .dampening = 0.1};
  const int sgd_steps = 3;
  c["sgd"] = {{"lr", sgd_options.lr},
              {"momentum", sgd_options.momentum},
              {"dampening", sgd_options.dampening},
              {"nesterov", sgd_options.nesterov},
              {"steps", sgd_steps}};
  c["adam"] = {{"lr", adam_options.lr},
               {"eps", adam_options.eps},
               {"steps", adam_steps},
               {"max_norm", max_norm}};

  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("cairn_nn_torch_" + std::to_string(::getpid()) + "_" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "case.json") << c.dump();
  const std::string cmd = std::string(kPython) + " " + CAIRN_SOURCE_DIR +
                          "/tests/nn/torch_reference.py " + (dir / "case.json").string() + " " +
                          (dir / "result.json").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const nlohmann::json r = nlohmann::json::parse(std::ifstream(dir / "result.json"));
  std::filesystem::remove_all(dir);

  // Forward and loss gradients.
  model.zero_grad();
  const double loss = ppo_forward_and_output_grads(model, mb, coef);
  const size_t pi = model.output_index("pi"), vf = model.output_index("vf");
  EXPECT_LE(relative_error(to_doubles(model.output(pi).flat()), r["pi"], floor), tolerance);
  EXPECT_LE(relative_error(to_doubles(model.output(vf).flat()), r["vf"], floor), tolerance);
  EXPECT_LE(relative_error({loss}, {r["loss"].get<double>()}, floor), tolerance);
  model.backward();
  for (const TensorInfo& t : model.parameters()) {
    const auto expected = r["grads"][t.name].get<std::vector<double>>();
    const double err = relative_error(to_doubles(model.gradient(t.name)), expected, floor);
    EXPECT_LE(err, tolerance) << "gradient of " << t.name;
  }

  // SGD with momentum, from a copy of the initial parameters.
  Model<T> sgd_model = model;
  Sgd<T> sgd(sgd_model.parameters(), sgd_options);
  for (int s = 0; s < sgd_steps; ++s) {
    sgd_model.zero_grad();
    ppo_forward_and_output_grads(sgd_model, mb, coef);
    sgd_model.backward();
    sgd.step(sgd_model.flat_parameters(), sgd_model.flat_gradients());
  }
  for (const TensorInfo& t : sgd_model.parameters()) {
    const auto expected = r["sgd"]["params"][t.name].get<std::vector<double>>();
    EXPECT_LE(relative_error(to_doubles(sgd_model.parameter(t.name)), expected, floor), tolerance)
        << "parameter after SGD: " << t.name;
  }

  // Clipped Adam steps.
  Adam<T> adam(model.parameters(), adam_options);
  for (int s = 0; s < adam_steps; ++s) {
    model.zero_grad();
    const double l = ppo_forward_and_output_grads(model, mb, coef);
    model.backward();
    const double norm = clip_grad_norm<T>(model.flat_gradients(), max_norm);
    adam.step(model.flat_parameters(), model.flat_gradients());
    EXPECT_LE(relative_error({l}, {r["adam"]["losses"][s].get<double>()}, floor), tolerance) << s;
    EXPECT_LE(relative_error({norm}, {r["adam"]["norms"][s].get<double>()}, floor), tolerance) << s;
  }
  for (const TensorInfo& t : model.parameters()) {
    const auto expected = r["adam"]["params"][t.name].get<std::vector<double>>();
    EXPECT_LE(relative_error(to_doubles(model.parameter(t.name)), expected, floor), tolerance)
        << "parameter after Adam: " << t.name;
    const auto v = r["adam"]["exp_avg_sq"][t.name].get<std::vector<double>>();
    EXPECT_LE(relative_error(to_doubles(adam.state("exp_avg_sq/" + t.name)), v, floor), tolerance)
        << "exp_avg_sq: " << t.name;
  }
}

TEST(NnTorch, SeparateActorCriticFloat32) {
  run_conformance<float>(ppo_actor_critic(4, 3), 1e-5, 1.0);
}

TEST(NnTorch, SeparateActorCriticFloat64) {
  run_conformance<double>(ppo_actor_critic(4, 3), 1e-10, 1e-2);
}

TEST(NnTorch, SharedTrunkActorCriticFloat32) {
  ActorCriticOptions o;
  o.shared_trunk = true;
  run_conformance<float>(ppo_actor_critic(6, 4, o), 1e-5, 1.0);
}

TEST(NnTorch, FoundingStorySiluModelFloat64) {
  FoundingStoryOptions o;
  o.hidden = 32;
  run_conformance<double>(founding_story_actor_critic(5, 3, o), 1e-10, 1e-2);
}

}  // namespace
}  // namespace cairn::nn
