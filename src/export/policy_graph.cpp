#include "export/policy_graph.h"

#include <map>

#include "cairn/error.h"
#include "cairn/nn/layer_registry.h"

namespace cairn::export_detail {

PolicyGraph build_policy_graph(const Policy& policy) {
  const nn::ModelSpec& spec = policy.model().spec();
  PolicyGraph g;
  std::map<std::string, int> block_output;  // block name -> node index
  for (size_t b = 0; b < spec.blocks.size(); ++b) {
    const nn::BlockSpec& block = spec.blocks[b];
    std::vector<int> inputs;
    for (const std::string& in : block.inputs) {
      if (in == "input") {
        inputs.push_back(-1);
        continue;
      }
      const auto it = block_output.find(in);
      if (it == block_output.end()) {
        throw Error("export: block \"" + block.name + "\" reads unknown block \"" + in + "\"");
      }
      inputs.push_back(it->second);
    }
    for (size_t l = 0; l < block.layers.size(); ++l) {
      const std::string where =
          "blocks[" + std::to_string(b) + "].layers[" + std::to_string(l) + "]";
      GraphNode node;
      node.path = block.name + "/" + nn::layer_name(block, l);
      node.layer = nn::LayerRegistry::global().create<float>(block.layers[l].to_json(), where);
      node.inputs = inputs;
      std::vector<nn::Index> widths;
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        widths.push_back(g.input_width(node, i, static_cast<int64_t>(policy.feature_size())));
      }
      node.width = node.layer->build(widths);
      node.params = node.layer->parameters();
      g.nodes.push_back(std::move(node));
      inputs = {static_cast<int>(g.nodes.size() - 1)};
    }
    block_output[block.name] = inputs[0];
  }
  // An output names a block; its value is that block's last layer.
  const auto output_node = [&](const char* name) {
    const auto it = block_output.find(name);
    if (it == block_output.end()) {
      throw Error(std::string("export: the model has no output \"") + name + "\"");
    }
    return static_cast<size_t>(it->second);
  };
  g.pi = output_node(policy.head_output_name());
  g.has_vf = policy.has_value();
  if (g.has_vf) g.vf = output_node(Policy::kValueOutput);

  // Mark the ancestors of each output.
  const auto mark = [&](size_t root, bool GraphNode::*flag) {
    std::vector<size_t> stack{root};
    while (!stack.empty()) {
      const size_t n = stack.back();
      stack.pop_back();
      if (g.nodes[n].*flag) continue;
      g.nodes[n].*flag = true;
      for (int in : g.nodes[n].inputs) {
        if (in >= 0) stack.push_back(static_cast<size_t>(in));
      }
    }
  };
  mark(g.pi, &GraphNode::for_pi);
  if (g.has_vf) mark(g.vf, &GraphNode::for_vf);

  // The parameter names must be the model's (the exporters read values by name).
  for (const GraphNode& node : g.nodes) {
    for (const nn::ParamSpec& p : node.params) {
      const nn::TensorInfo& info = policy.model().parameter_info(node.path + "/" + p.name);
      if (info.shape != p.shape) {
        throw Error("export: parameter " + info.name + " has shape " +
                    nn::shape_string(info.shape) + " in the model but " +
                    nn::shape_string(p.shape) + " in the rebuilt layer");
      }
    }
  }
  return g;
}

size_t state_slice_index(const Policy& policy, const GraphNode& node) {
  const std::vector<nn::StateSlice>& layout = policy.state_layout();
  for (size_t i = 0; i < layout.size(); ++i) {
    if (layout[i].layer == node.path) return i;
  }
  throw Error("export: " + describe_layer(node) + " carries no state in the policy's model");
}

std::string describe_layer(const GraphNode& node) {
  return "layer \"" + node.path + "\" (type \"" + node.layer->type() + "\", parameters \"" +
         node.path + "/...\")";
}

}  // namespace cairn::export_detail
