#include "cairn/nn/model_spec.h"

#include <map>

#include "cairn/error.h"
#include "cairn/nn/layer_registry.h"
#include "model_graph.h"

namespace cairn::nn {
namespace {

std::string index_path(const std::string& base, size_t i) {
  return base + "[" + std::to_string(i) + "]";
}

const nlohmann::json& required(const nlohmann::json& obj, const char* key,
                               const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) throw Error((where.empty() ? "" : where + ".") + key + " is required");
  return *it;
}

void only_fields(const nlohmann::json& obj, std::initializer_list<const char*> allowed,
                 const std::string& where) {
  for (const auto& [key, value] : obj.items()) {
    (void)value;
    bool ok = false;
    for (const char* a : allowed) ok = ok || key == a;
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += list.empty() ? a : std::string(", ") + a;
      throw Error((where.empty() ? std::string("model spec") : where) + ": unknown field \"" + key +
                  "\" (known: " + list + ")");
    }
  }
}

std::vector<std::string> string_array(const nlohmann::json& j, const std::string& where) {
  if (!j.is_array()) throw Error(where + " must be an array of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) throw Error(index_path(where, i) + " must be a string");
    out.push_back(j[i].get<std::string>());
  }
  return out;
}

}  // namespace

nlohmann::json LayerSpec::to_json() const {
  nlohmann::json j = config.is_object() ? config : nlohmann::json::object();
  j["type"] = type;
  if (!name.empty()) j["name"] = name;
  return j;
}

bool LayerSpec::operator==(const LayerSpec& o) const {
  return type == o.type && name == o.name && config == o.config;
}

bool BlockSpec::operator==(const BlockSpec& o) const {
  return name == o.name && inputs == o.inputs && layers == o.layers;
}

bool ModelSpec::operator==(const ModelSpec& o) const {
  return input_size == o.input_size && blocks == o.blocks && outputs == o.outputs;
}

std::string layer_name(const BlockSpec& block, size_t layer_index) {
  const LayerSpec& layer = block.layers[layer_index];
  if (!layer.name.empty()) return layer.name;
  size_t k = 0;
  for (size_t i = 0; i < layer_index; ++i) k += block.layers[i].type == layer.type ? 1 : 0;
  return layer.type + "_" + std::to_string(k);
}

nlohmann::json ModelSpec::to_json() const {
  nlohmann::json blocks_json = nlohmann::json::array();
  for (const BlockSpec& b : blocks) {
    nlohmann::json layers_json = nlohmann::json::array();
    for (const LayerSpec& l : b.layers) layers_json.push_back(l.to_json());
    blocks_json.push_back({{"name", b.name}, {"inputs", b.inputs}, {"layers", layers_json}});
  }
  return {{"input_size", input_size}, {"blocks", blocks_json}, {"outputs", outputs}};
}

ModelSpec ModelSpec::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw Error("model spec must be a JSON object");
  only_fields(j, {"input_size", "blocks", "outputs"}, "");
  ModelSpec spec;
  const nlohmann::json& size = required(j, "input_size", "");
  if (!size.is_number_integer()) throw Error("input_size must be an integer");
  spec.input_size = size.get<Index>();

  const nlohmann::json& blocks = required(j, "blocks", "");
  if (!blocks.is_array()) throw Error("blocks must be an array");
  for (size_t b = 0; b < blocks.size(); ++b) {
    const std::string where = index_path("blocks", b);
    const nlohmann::json& bj = blocks[b];
    if (!bj.is_object()) throw Error(where + " must be an object");
    only_fields(bj, {"name", "inputs", "layers"}, where);
    BlockSpec block;
    const nlohmann::json& name = required(bj, "name", where);
    if (!name.is_string()) throw Error(where + ".name must be a string");
    block.name = name.get<std::string>();
    if (bj.contains("inputs")) block.inputs = string_array(bj["inputs"], where + ".inputs");
    const nlohmann::json& layers = required(bj, "layers", where);
    if (!layers.is_array()) throw Error(where + ".layers must be an array");
    for (size_t l = 0; l < layers.size(); ++l) {
      const std::string lwhere = index_path(where + ".layers", l);
      const nlohmann::json& lj = layers[l];
      if (!lj.is_object()) throw Error(lwhere + " must be an object");
      LayerSpec layer;
      const nlohmann::json& type = required(lj, "type", lwhere);
      if (!type.is_string()) throw Error(lwhere + ".type must be a string");
      layer.type = type.get<std::string>();
      if (lj.contains("name")) {
        if (!lj["name"].is_string()) throw Error(lwhere + ".name must be a string");
        layer.name = lj["name"].get<std::string>();
      }
      layer.config = lj;
      layer.config.erase("type");
      layer.config.erase("name");
      block.layers.push_back(std::move(layer));
    }
    spec.blocks.push_back(std::move(block));
  }
  spec.outputs = string_array(required(j, "outputs", ""), "outputs");
  spec.validate();
  return spec;
}

void ModelSpec::validate() const {
  (void)detail::build_graph<double>(*this);
}

namespace detail {

template <typename T>
BuiltGraph<T> build_graph(const ModelSpec& spec) {
  if (spec.input_size <= 0) {
    throw Error("input_size must be positive (got " + std::to_string(spec.input_size) + ")");
  }
  if (spec.blocks.empty()) throw Error("blocks must not be empty");
  BuiltGraph<T> g;
  std::map<std::string, std::pair<size_t, int>> block_out;  // name -> (block index, node)
  for (size_t b = 0; b < spec.blocks.size(); ++b) {
    const BlockSpec& block = spec.blocks[b];
    const std::string where = index_path("blocks", b);
    if (block.name.empty()) throw Error(where + ".name must not be empty");
    if (block.name.find('/') != std::string::npos) {
      throw Error(where + ".name \"" + block.name + "\" must not contain '/'");
    }
    if (block.name == "input")
      throw Error(where + ".name \"input\" is reserved for the model input");
    if (auto it = block_out.find(block.name); it != block_out.end()) {
      throw Error(where + ".name \"" + block.name + "\" is already used by blocks[" +
                  std::to_string(it->second.first) + "]");
    }
    if (block.inputs.empty()) throw Error(where + ".inputs must not be empty");
    std::vector<int> inputs;
    std::vector<Index> widths;
    for (size_t i = 0; i < block.inputs.size(); ++i) {
      const std::string& in = block.inputs[i];
      for (size_t k = 0; k < i; ++k) {
        if (block.inputs[k] == in) {
          throw Error(where + ".inputs lists \"" + in + "\" more than once");
        }
      }
      if (in == "input") {
        inputs.push_back(-1);
        widths.push_back(spec.input_size);
        continue;
      }
      auto it = block_out.find(in);
      if (it == block_out.end()) {
        std::string known = "input";
        for (const auto& [name, v] : block_out) known += ", " + name;
        throw Error(index_path(where + ".inputs", i) + " names unknown block \"" + in +
                    "\" (a block may only use blocks defined before it; known: " + known + ")");
      }
      inputs.push_back(it->second.second);
      widths.push_back(g.nodes[static_cast<size_t>(it->second.second)].width);
    }
    if (block.layers.empty()) throw Error(where + ".layers must not be empty");
    std::vector<std::string> names;
    for (size_t l = 0; l < block.layers.size(); ++l) {
      const std::string lwhere = index_path(where + ".layers", l);
      const std::string name = layer_name(block, l);
      if (name.find('/') != std::string::npos) {
        throw Error(lwhere + ".name \"" + name + "\" must not contain '/'");
      }
      for (const std::string& other : names) {
        if (other == name) {
          throw Error(lwhere + ".name \"" + name + "\" is already used in block \"" + block.name +
                      "\"");
        }
      }
      names.push_back(name);
      std::unique_ptr<Layer<T>> layer =
          LayerRegistry::global().create<T>(block.layers[l].to_json(), lwhere);
      BuiltNode<T> node;
      try {
        node.width = layer->build(widths);
      } catch (const Error& e) {
        throw Error(lwhere + " (" + block.layers[l].type + "): " + e.what());
      }
      if (node.width <= 0) {
        throw Error(lwhere + " (" + block.layers[l].type + "): output width must be positive");
      }
      node.params = layer->parameters();
      node.layer = std::move(layer);
      node.name = block.name + "/" + name;
      node.inputs = inputs;
      g.nodes.push_back(std::move(node));
      const int id = static_cast<int>(g.nodes.size() - 1);
      inputs = {id};
      widths = {g.nodes.back().width};
    }
    block_out[block.name] = {b, static_cast<int>(g.nodes.size() - 1)};
  }
  if (spec.outputs.empty()) throw Error("outputs must not be empty");
  for (size_t o = 0; o < spec.outputs.size(); ++o) {
    const std::string& name = spec.outputs[o];
    auto it = block_out.find(name);
    if (it == block_out.end()) {
      throw Error(index_path("outputs", o) + " names unknown block \"" + name + "\"");
    }
    for (size_t k = 0; k < o; ++k) {
      if (spec.outputs[k] == name) {
        throw Error(index_path("outputs", o) + " repeats output \"" + name + "\"");
      }
    }
    g.outputs.push_back(static_cast<size_t>(it->second.second));
  }
  return g;
}

template BuiltGraph<float> build_graph<float>(const ModelSpec&);
template BuiltGraph<double> build_graph<double>(const ModelSpec&);

}  // namespace detail
}  // namespace cairn::nn
