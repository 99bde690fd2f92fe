#include "cairn/nn/model_zoo.h"

#include "cairn/error.h"
#include "cairn/nn/model_builder.h"

namespace cairn::nn {

ModelSpec ppo_actor_critic(Index obs_dim, Index num_dist_inputs,
                           const ActorCriticOptions& options) {
  if (obs_dim < 1 || num_dist_inputs < 1) {
    throw Error("ppo_actor_critic: obs_dim and num_dist_inputs must be positive");
  }
  const InitSpec hidden = InitSpec::orthogonal(options.hidden_gain);
  const InitSpec zeros = InitSpec::zeros();
  auto hidden_stack = [&](Block block) {
    for (Index units : options.hidden) block.dense(units, options.activation, hidden, zeros);
    return block;
  };
  ModelBuilder builder(obs_dim);
  if (options.shared_trunk) {
    builder.add(hidden_stack(Block("trunk")))
        .add(Block("pi", {"trunk"})
                 .dense(num_dist_inputs, Activation::identity(),
                        InitSpec::orthogonal(options.policy_gain), zeros))
        .add(
            Block("vf", {"trunk"})
                .dense(1, Activation::identity(), InitSpec::orthogonal(options.value_gain), zeros));
  } else {
    builder
        .add(hidden_stack(Block("pi"))
                 .dense(num_dist_inputs, Activation::identity(),
                        InitSpec::orthogonal(options.policy_gain), zeros))
        .add(
            hidden_stack(Block("vf"))
                .dense(1, Activation::identity(), InitSpec::orthogonal(options.value_gain), zeros));
  }
  return builder.output("pi").output("vf").build();
}

ModelSpec founding_story_actor_critic(Index obs_dim, Index num_actions,
                                      const FoundingStoryOptions& options) {
  if (obs_dim < 1 || num_actions < 1) {
    throw Error("founding_story_actor_critic: obs_dim and num_actions must be positive");
  }
  const InitSpec k = options.kernel_init;
  const InitSpec zeros = InitSpec::zeros();
  const Activation silu = Activation::silu();
  return ModelBuilder(obs_dim)
      .add(Block("pi")
               .dense(options.hidden, silu, k, zeros)
               .dense(options.hidden, silu, k, zeros)
               .dense(num_actions, Activation::identity(), options.policy_output_init, zeros))
      .add(Block("vf")
               .dense(options.hidden, silu, k, zeros)
               .dense(options.hidden, silu, k, zeros)
               .dense(1, Activation::identity(), k, zeros))
      .output("pi")
      .output("vf")
      .build();
}

}  // namespace cairn::nn
