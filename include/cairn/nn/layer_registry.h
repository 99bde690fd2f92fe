// The layer registry: layer type name -> factory, for float and double models.
//
// Built-in layers are registered on first use. A custom layer is a class template
// `template <typename T> class MyLayer : public cairn::nn::Layer<T>` with a constructor
// `explicit MyLayer(cairn::nn::LayerConfig& config)`, registered once before any spec
// naming it is parsed or built:
//
//   cairn::nn::register_layer<MyLayer>("my_layer");
//
// A spec naming an unregistered type is refused with an error naming the type and
// saying how to register it.
//
// Thread safety: all methods may be called from any thread (a mutex guards the table).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cairn/nn/layer.h"

namespace cairn::nn {

template <typename T>
using LayerFactory = std::function<std::unique_ptr<Layer<T>>(LayerConfig&)>;

class LayerRegistry {
 public:
  // The process-wide registry, with the built-in layers registered.
  static LayerRegistry& global();

  // Registers `type`. Throws cairn::Error if the name is empty, contains '/', or is
  // already registered.
  void add(const std::string& type, LayerFactory<float> make_float,
           LayerFactory<double> make_double);
  bool contains(std::string_view type) const;
  // Registered type names, sorted. Allocates.
  std::vector<std::string> types() const;

  // Constructs a layer from its JSON object (which must have a "type" string) and
  // checks that every field was understood. Throws cairn::Error naming `where` for an
  // unknown type (with registration advice), a bad field, or an unknown field.
  template <typename T>
  std::unique_ptr<Layer<T>> create(const nlohmann::json& object, const std::string& where) const;

 private:
  LayerRegistry() = default;
  struct Entry {
    LayerFactory<float> make_float;
    LayerFactory<double> make_double;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

// Registers a layer class template under `type` (see the file comment).
template <template <typename> class L>
void register_layer(const std::string& type) {
  LayerRegistry::global().add(
      type,
      [](LayerConfig& c) -> std::unique_ptr<Layer<float>> { return std::make_unique<L<float>>(c); },
      [](LayerConfig& c) -> std::unique_ptr<Layer<double>> {
        return std::make_unique<L<double>>(c);
      });
}

}  // namespace cairn::nn
