// Internal: a policy's model as a list of built layers with resolved wiring, for the
// exporters. Built through the public LayerRegistry from the model's spec, so the
// exporters see the same layer objects (type, config, lowering) the model runs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cairn/nn/layer.h"
#include "cairn/policy/policy.h"

namespace cairn::export_detail {

struct GraphNode {
  std::unique_ptr<nn::Layer<float>> layer;
  std::string path;         // "<block>/<layer>", the prefix of its parameter names
  std::vector<int> inputs;  // node indices; -1 is the model input (the features)
  int64_t width = 0;        // output width
  std::vector<nn::ParamSpec> params;
  bool for_pi = false;  // needed to compute the head's output ("pi" or "q")
  bool for_vf = false;  // needed to compute the "vf" output
};

struct PolicyGraph {
  std::vector<GraphNode> nodes;  // in execution order
  // Node indices of the head's output (Policy::head_output_name()) and, when the policy
  // has a value output (has_vf), of "vf".
  size_t pi = 0, vf = 0;
  bool has_vf = false;

  int64_t input_width(const GraphNode& node, size_t i, int64_t feature_size) const {
    const int in = node.inputs[i];
    return in < 0 ? feature_size : nodes[static_cast<size_t>(in)].width;
  }
};

// Throws cairn::Error if the spec cannot be built (it always can for a policy's model).
PolicyGraph build_policy_graph(const Policy& policy);

// The index in policy.state_layout() of the recurrent layer at `node` (its part of the state).
// Throws cairn::Error if the layer carries no state.
size_t state_slice_index(const Policy& policy, const GraphNode& node);

// `layer "pi/dense_0" (type "dense")`, for error messages.
std::string describe_layer(const GraphNode& node);

}  // namespace cairn::export_detail
