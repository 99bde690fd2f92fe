// A small builder for model specs in C++:
//
//   using namespace cairn::nn;
//   ModelSpec spec = ModelBuilder(obs_dim)
//       .add(Block("pi").dense(64, Activation::tanh(), InitSpec::orthogonal(std::sqrt(2.0)))
//                       .dense(64, Activation::tanh(), InitSpec::orthogonal(std::sqrt(2.0)))
//                       .dense(num_actions, Activation::identity(), InitSpec::orthogonal(0.01)))
//       .add(Block("vf").dense(64, Activation::tanh()).dense(1))
//       .output("pi")
//       .output("vf")
//       .build();
//
// Branches: Block("a"), Block("b"), then Block("joined", {"a", "b"}).concat().dense(...).
// Shared trunk: Block("trunk").dense(...), then Block("pi", {"trunk"}), Block("vf", {"trunk"}).
//
// The builder writes every field explicitly, so the spec (and its JSON) documents the
// initialisers and activations in full. Thread safety: plain values.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cairn/nn/activation.h"
#include "cairn/nn/initializers.h"
#include "cairn/nn/model_spec.h"

namespace cairn::nn {

class Block {
 public:
  explicit Block(std::string name, std::vector<std::string> inputs = {"input"});

  Block& dense(Index units, const Activation& activation = Activation::identity(),
               const InitSpec& kernel_init = InitSpec::glorot_uniform(),
               const InitSpec& bias_init = InitSpec::zeros());
  Block& activation(const Activation& activation);
  Block& layer_norm(double eps = 1e-5);
  Block& concat();
  // Any registered layer type with its fields, e.g. layer("my_layer", {{"size", 3}}).
  Block& layer(const std::string& type, const nlohmann::json& fields = nlohmann::json::object());
  // Names the most recently added layer. Throws cairn::Error if there is none.
  Block& named(const std::string& layer_name);

  const BlockSpec& spec() const { return spec_; }

 private:
  BlockSpec spec_;
};

class ModelBuilder {
 public:
  explicit ModelBuilder(Index input_size);

  ModelBuilder& add(const Block& block);
  ModelBuilder& output(const std::string& block_name);
  // The validated spec. Throws cairn::Error as ModelSpec::validate().
  ModelSpec build() const;

 private:
  ModelSpec spec_;
};

}  // namespace cairn::nn
