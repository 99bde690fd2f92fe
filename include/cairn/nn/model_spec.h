// A model's architecture as data: blocks of layers wired into a graph.
//
// A model has one input (named "input", width `input_size`) and one or more outputs.
// Each block is a sequential stack of layers; its first layer receives the outputs of
// the blocks (or the model input) named in `inputs`, so blocks express parallel
// branches, shared trunks and several heads. A block with several inputs must start
// with a layer that takes several inputs (concat). Blocks may only read blocks defined
// before them. Every output names a block; its value is that block's last layer.
//
// JSON form (the form stored in checkpoints):
//   {"input_size": 4,
//    "blocks": [{"name": "pi", "inputs": ["input"],
//                "layers": [{"type": "dense", "units": 64, "activation": "tanh"}, ...]},
//               ...],
//    "outputs": ["pi", "vf"]}
//
// Parameter names are "<block>/<layer>/<param>", e.g. "pi/dense_0/kernel". A layer's
// name is its "name" field, or else "<type>_<k>" where k counts the earlier layers of
// the same type in the block (pi/dense_0, pi/tanh_0, pi/dense_1, ...).
//
// Thread safety: plain values.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cairn/nn/tensor.h"

namespace cairn::nn {

struct LayerSpec {
  std::string type;
  std::string name;                                  // empty: automatic name (see the file comment)
  nlohmann::json config = nlohmann::json::object();  // every other field of the layer

  nlohmann::json to_json() const;
  bool operator==(const LayerSpec& other) const;
};

struct BlockSpec {
  std::string name;
  std::vector<std::string> inputs{"input"};  // "input" or names of earlier blocks
  std::vector<LayerSpec> layers;

  bool operator==(const BlockSpec& other) const;
};

struct ModelSpec {
  Index input_size = 0;
  std::vector<BlockSpec> blocks;
  std::vector<std::string> outputs;

  nlohmann::json to_json() const;
  // Parses and validates (see validate()). Throws cairn::Error naming the field, e.g.
  // "blocks[0].layers[2].units must be positive (got 0)".
  static ModelSpec from_json(const nlohmann::json& j);
  // Checks names, wiring, layer types and configurations, and widths, by building the
  // layers. Throws cairn::Error naming the offending field. Allocates.
  void validate() const;

  bool operator==(const ModelSpec& other) const;
};

// The name a block's layer gets in parameter names (see the file comment).
std::string layer_name(const BlockSpec& block, size_t layer_index);

}  // namespace cairn::nn
