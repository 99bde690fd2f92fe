#include "cairn/nn/model_zoo.h"

#include <cmath>
#include <string>

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

namespace {

// One block named `output`: hidden dense layers, then a linear layer of `outputs` units,
// each initialised as PyTorch's nn.Linear.
ModelSpec torch_mlp(const char* function, const char* output, Index inputs, Index outputs,
                    const std::vector<Index>& hidden_sizes, const Activation& activation) {
  if (inputs < 1 || outputs < 1) {
    throw Error(std::string(function) + ": the input and output sizes must be positive (got " +
                std::to_string(inputs) + " and " + std::to_string(outputs) + ")");
  }
  Block block(output);
  Index fan_in = inputs;
  const auto linear = [&](Index units, const Activation& a) {
    if (units < 1) {
      throw Error(std::string(function) + ": hidden_sizes must be positive (got " +
                  std::to_string(units) + ")");
    }
    block.dense(units, a, InitSpec::torch_linear_kernel(),
                InitSpec::uniform(1.0 / std::sqrt(static_cast<double>(fan_in))));
    fan_in = units;
  };
  for (Index units : hidden_sizes) linear(units, activation);
  linear(outputs, Activation::identity());
  return ModelBuilder(inputs).add(std::move(block)).output(output).build();
}

}  // namespace

ModelSpec squashed_gaussian_actor_spec(Index obs_features, Index action_dim,
                                       const std::vector<Index>& hidden_sizes,
                                       const Activation& activation) {
  return torch_mlp("squashed_gaussian_actor_spec", "pi", obs_features, 2 * action_dim, hidden_sizes,
                   activation);
}

ModelSpec deterministic_actor_spec(Index obs_features, Index action_dim,
                                   const std::vector<Index>& hidden_sizes,
                                   const Activation& activation) {
  return torch_mlp("deterministic_actor_spec", "pi", obs_features, action_dim, hidden_sizes,
                   activation);
}

ModelSpec q_network_spec(Index obs_features, Index num_actions,
                         const std::vector<Index>& hidden_sizes, const Activation& activation) {
  return torch_mlp("q_network_spec", "q", obs_features, num_actions, hidden_sizes, activation);
}

ModelSpec q_critic_spec(Index input_size, const std::vector<Index>& hidden_sizes,
                        const Activation& activation) {
  return torch_mlp("q_critic_spec", "q", input_size, 1, hidden_sizes, activation);
}

ModelSpec with_memory(const ModelSpec& spec, const MemoryOptions& options) {
  if (options.cell != "lstm" && options.cell != "gru") {
    throw Error("with_memory: cell must be \"lstm\" or \"gru\", got \"" + options.cell + "\"");
  }
  if (options.units < 1) throw Error("with_memory: units must be positive");
  for (Index units : options.encoder) {
    if (units < 1) throw Error("with_memory: encoder sizes must be positive");
  }
  const auto memory_block = [&](const std::string& name) {
    BlockSpec block;
    block.name = name;
    block.inputs = {"input"};
    for (Index units : options.encoder) {
      LayerSpec dense;
      dense.type = "dense";
      dense.config = {{"units", units},
                      {"activation", options.activation.to_json()},
                      {"kernel_init", InitSpec::orthogonal(std::sqrt(2.0)).to_json()},
                      {"bias_init", InitSpec::zeros().to_json()}};
      block.layers.push_back(std::move(dense));
    }
    LayerSpec core;
    core.type = options.cell;
    core.config = {{"units", options.units}};
    block.layers.push_back(std::move(core));
    return block;
  };
  ModelSpec out;
  out.input_size = spec.input_size;
  out.outputs = spec.outputs;
  bool any = false;
  if (options.shared) out.blocks.push_back(memory_block("memory"));
  for (const BlockSpec& block : spec.blocks) {
    BlockSpec copy = block;
    for (std::string& input : copy.inputs) {
      if (input != "input") continue;
      any = true;
      if (options.shared) {
        input = "memory";
      } else {
        out.blocks.push_back(memory_block("memory_" + block.name));
        input = "memory_" + block.name;
      }
    }
    out.blocks.push_back(std::move(copy));
  }
  if (!any) throw Error("with_memory: no block of the model reads the model input");
  out.validate();
  return out;
}

}  // namespace cairn::nn
