// Internal: turns a ModelSpec into built layers with resolved wiring. Shared by
// ModelSpec::validate() and Model's constructor so both report the same errors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cairn/nn/layer.h"
#include "cairn/nn/model_spec.h"

namespace cairn::nn::detail {

template <typename T>
struct BuiltNode {
  std::shared_ptr<Layer<T>> layer;
  std::string name;         // "<block>/<layer>"
  std::vector<int> inputs;  // node indices; -1 is the model input
  Index width = 0;
  std::vector<ParamSpec> params;
};

template <typename T>
struct BuiltGraph {
  std::vector<BuiltNode<T>> nodes;
  std::vector<size_t> outputs;  // node index per spec output
};

// Throws cairn::Error naming the offending field of the spec.
template <typename T>
BuiltGraph<T> build_graph(const ModelSpec& spec);

}  // namespace cairn::nn::detail
