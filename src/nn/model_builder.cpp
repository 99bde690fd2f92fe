#include "cairn/nn/model_builder.h"

#include "cairn/error.h"

namespace cairn::nn {

Block::Block(std::string name, std::vector<std::string> inputs) {
  spec_.name = std::move(name);
  spec_.inputs = std::move(inputs);
}

Block& Block::dense(Index units, const Activation& activation, const InitSpec& kernel_init,
                    const InitSpec& bias_init) {
  return layer("dense", {{"units", units},
                         {"activation", activation.to_json()},
                         {"kernel_init", kernel_init.to_json()},
                         {"bias_init", bias_init.to_json()}});
}

Block& Block::activation(const Activation& activation) {
  nlohmann::json j = activation.to_json();
  if (j.is_string()) return layer(j.get<std::string>());
  const std::string type = j["type"].get<std::string>();
  j.erase("type");
  return layer(type, j);
}

Block& Block::layer_norm(double eps) {
  return layer("layer_norm", {{"eps", eps}});
}

Block& Block::concat() {
  return layer("concat");
}

Block& Block::layer(const std::string& type, const nlohmann::json& fields) {
  LayerSpec l;
  l.type = type;
  l.config = fields.is_null() ? nlohmann::json::object() : fields;
  spec_.layers.push_back(std::move(l));
  return *this;
}

Block& Block::named(const std::string& layer_name) {
  if (spec_.layers.empty()) {
    throw Error("block \"" + spec_.name + "\": named(\"" + layer_name + "\") before any layer");
  }
  spec_.layers.back().name = layer_name;
  return *this;
}

ModelBuilder::ModelBuilder(Index input_size) {
  spec_.input_size = input_size;
}

ModelBuilder& ModelBuilder::add(const Block& block) {
  spec_.blocks.push_back(block.spec());
  return *this;
}

ModelBuilder& ModelBuilder::output(const std::string& block_name) {
  spec_.outputs.push_back(block_name);
  return *this;
}

ModelSpec ModelBuilder::build() const {
  spec_.validate();
  return spec_;
}

}  // namespace cairn::nn
