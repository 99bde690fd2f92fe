#include "cairn/nn/layer_registry.h"

#include <algorithm>

#include "cairn/error.h"
#include "cairn/nn/dueling.h"
#include "cairn/nn/layers.h"
#include "cairn/nn/recurrent_layers.h"

namespace cairn::nn {
namespace {

template <typename T>
std::unique_ptr<Layer<T>> make_activation(LayerConfig& c) {
  Activation a = Activation::from_name(c.type(), c.where() + ".type");
  if (a.kind == Activation::Kind::kElu) a.alpha = c.number("alpha", a.alpha);
  if (a.kind == Activation::Kind::kLeakyRelu) {
    a.negative_slope = c.number("negative_slope", a.negative_slope);
  }
  if (a.kind == Activation::Kind::kSoftplus) {
    a.beta = c.positive_number("beta", a.beta);
    a.threshold = c.number("threshold", a.threshold);
  }
  return std::make_unique<ActivationLayer<T>>(a);
}

template <typename T, RecurrentCell cell>
std::unique_ptr<Layer<T>> make_recurrent(LayerConfig& c) {
  return std::make_unique<RecurrentLayer<T>>(cell, c);
}

template <typename T>
std::unique_ptr<Layer<T>> make_concat(LayerConfig&) {
  return std::make_unique<Concat<T>>();
}

void register_builtins(LayerRegistry& r) {
  r.add(
      "dense",
      [](LayerConfig& c) -> std::unique_ptr<Layer<float>> {
        return std::make_unique<Dense<float>>(c);
      },
      [](LayerConfig& c) -> std::unique_ptr<Layer<double>> {
        return std::make_unique<Dense<double>>(c);
      });
  r.add(
      "layer_norm",
      [](LayerConfig& c) -> std::unique_ptr<Layer<float>> {
        return std::make_unique<LayerNorm<float>>(c);
      },
      [](LayerConfig& c) -> std::unique_ptr<Layer<double>> {
        return std::make_unique<LayerNorm<double>>(c);
      });
  r.add("concat", make_concat<float>, make_concat<double>);
  r.add("lstm", make_recurrent<float, RecurrentCell::kLstm>,
        make_recurrent<double, RecurrentCell::kLstm>);
  r.add("gru", make_recurrent<float, RecurrentCell::kGru>,
        make_recurrent<double, RecurrentCell::kGru>);
  // Dueling Q-networks' aggregation (DQN's `dueling` option).
  r.add(
      DuelingQ<float>::kType,
      [](LayerConfig& c) -> std::unique_ptr<Layer<float>> {
        return std::make_unique<DuelingQ<float>>(c);
      },
      [](LayerConfig& c) -> std::unique_ptr<Layer<double>> {
        return std::make_unique<DuelingQ<double>>(c);
      });
  for (const char* name : {"identity", "tanh", "relu", "elu", "silu", "swish", "gelu", "sigmoid",
                           "softplus", "leaky_relu"}) {
    r.add(name, make_activation<float>, make_activation<double>);
  }
}

}  // namespace

LayerRegistry& LayerRegistry::global() {
  static LayerRegistry* registry = [] {
    auto* r = new LayerRegistry();
    register_builtins(*r);
    return r;
  }();
  return *registry;
}

void LayerRegistry::add(const std::string& type, LayerFactory<float> make_float,
                        LayerFactory<double> make_double) {
  if (type.empty() || type.find('/') != std::string::npos) {
    throw Error("layer type name \"" + type + "\" must be non-empty and contain no '/'");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (entries_.count(type) != 0) throw Error("layer type \"" + type + "\" is already registered");
  entries_.emplace(type, Entry{std::move(make_float), std::move(make_double)});
}

bool LayerRegistry::contains(std::string_view type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.count(std::string(type)) != 0;
}

std::vector<std::string> LayerRegistry::types() const {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [name, entry] : entries_) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

template <typename T>
std::unique_ptr<Layer<T>> LayerRegistry::create(const nlohmann::json& object,
                                                const std::string& where) const {
  LayerConfig config(object, where);
  LayerFactory<T> factory;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(config.type());
    if (it == entries_.end()) {
      throw Error(where + ": unknown layer type \"" + config.type() +
                  "\". Custom layers must be registered before a spec uses them: implement "
                  "cairn::nn::Layer<T> as a class template with a constructor taking "
                  "cairn::nn::LayerConfig&, then call cairn::nn::register_layer<YourLayer>(\"" +
                  config.type() + "\") (see cairn/nn/layer_registry.h)");
    }
    if constexpr (std::is_same_v<T, float>) {
      factory = it->second.make_float;
    } else {
      factory = it->second.make_double;
    }
  }
  std::unique_ptr<Layer<T>> layer = factory(config);
  config.finish();
  return layer;
}

template std::unique_ptr<Layer<float>> LayerRegistry::create<float>(const nlohmann::json&,
                                                                    const std::string&) const;
template std::unique_ptr<Layer<double>> LayerRegistry::create<double>(const nlohmann::json&,
                                                                      const std::string&) const;

}  // namespace cairn::nn
