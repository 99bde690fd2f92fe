// The SimpleCorridor story of docs/guide-custom-env-and-model.md, end to end, as a user
// writes it against an installed cairn: register the custom environment, check it,
// build the founding story's model, train PPO with it, save a checkpoint, restore the
// policy alone and act with it. The guide's snippets are this file's code.
//
// usage: corridor_guide [RUN_DIR]   (default corridor_guide_run); exits 0 when the
// restored policy walks the corridor optimally (return 0.6).
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>

#include "cairn/algorithms/ppo.h"
#include "cairn/env/env_checker.h"
#include "cairn/env/env_registry.h"
#include "cairn/nn/model_builder.h"
#include "cairn/nn/model_zoo.h"
#include "cairn/policy/policy.h"
#include "simple_corridor.h"

// [model]
// The founding story's model: policy and value networks of 2 x dense(256, silu), LeCun
// normal kernels, the policy's output layer scaled by 0.01.
cairn::nn::ModelSpec corridor_model(cairn::nn::Index obs_dim, cairn::nn::Index num_actions) {
  using namespace cairn::nn;
  const InitSpec lecun = InitSpec::variance_scaling(1.0, InitSpec::Mode::kFanIn,
                                                    InitSpec::Distribution::kTruncatedNormal);
  const InitSpec small = InitSpec::variance_scaling(0.01, InitSpec::Mode::kFanIn,
                                                    InitSpec::Distribution::kTruncatedNormal);
  return ModelBuilder(obs_dim)
      .add(Block("pi")
               .dense(256, Activation::silu(), lecun)
               .dense(256, Activation::silu(), lecun)
               .dense(num_actions, Activation::identity(), small))
      .add(Block("vf")
               .dense(256, Activation::silu(), lecun)
               .dense(256, Activation::silu(), lecun)
               .dense(1, Activation::identity(), lecun))
      .output("pi")
      .output("vf")
      .build();
}
// [model]

int main(int argc, char** argv) {
  try {
    const std::filesystem::path run_dir = argc > 1 ? argv[1] : "corridor_guide_run";

    // [register]
    corridor::register_simple_corridor();  // "SimpleCorridor-v0", time limit 100 steps
    auto env = cairn::make("SimpleCorridor-v0", {{"corridor_length", 5}});
    cairn::check_env(*env);  // throws cairn::Error naming what is wrong
    // [register]

    // [train]
    const cairn::nn::ModelSpec model = corridor_model(1, 2);
    // The builder's spec is the ready-made one of the model zoo.
    if (model.to_json() != cairn::nn::founding_story_actor_critic(1, 2).to_json()) {
      std::fprintf(stderr, "the builder's model differs from founding_story_actor_critic\n");
      return 1;
    }
    cairn::PPOConfig config;
    config.env_id = "SimpleCorridor-v0";
    config.num_envs = 4;
    config.num_steps = 64;
    config.total_timesteps = 20000;
    config.model = model.to_json();
    config.seed = 1;
    cairn::PPO ppo(config);
    cairn::StopConditions stop;
    stop.timesteps = config.total_timesteps;
    stop.mean_return = 0.6 - 1e-9;  // the optimum for a corridor of length 5
    const std::vector<cairn::TrainResult> results = ppo.learn(stop);
    std::printf("trained %lld steps: mean return %.3f\n",
                static_cast<long long>(results.back().timesteps),
                results.back().episode_return_mean);
    std::filesystem::create_directories(run_dir);  // the checkpoint's parent must exist
    ppo.save_checkpoint(run_dir / "checkpoint", /*overwrite=*/true);
    // [train]

    // [act]
    // The policy alone, from its folder: no PPO, no config, no environment needed.
    auto policy =
        cairn::Policy::from_checkpoint(run_dir / "checkpoint" / "policies" / "default_policy");
    std::vector<float> obs(env->observation_space().size());
    env->reset(std::span<float>(obs), /*seed=*/0);
    double episode_return = 0;
    for (;;) {
      const cairn::StepResult s = env->step(policy->compute_action(obs), obs);
      episode_return += s.reward;
      if (s.terminated || s.truncated) break;
    }
    std::printf("the restored policy: return %.2f (optimal 0.60)\n", episode_return);
    // [act]
    return std::fabs(episode_return - 0.6) < 1e-9 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
