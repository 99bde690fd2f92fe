// LayerLowering: how a custom layer tells the exporters (ONNX and C source) what it
// computes. This defines the type that `cairn::nn::Layer::lowering()` returns.
//
// The built-in layers (dense, the activation layers, layer_norm, concat) are lowered
// by the exporters themselves, from their type and configuration. A custom layer is
// exportable when its lowering() returns a LayerLowering that implements the target:
// a layer may lower to ONNX, to C, or to both. A layer without a lowering (nullptr,
// the default) or whose lowering declines a target (returns std::nullopt / false)
// makes that export fail with a cairn::Error naming the layer (its type and its
// parameter-name prefix "<block>/<layer>").
//
// The usual pattern is a layer that is its own lowering:
//
//   template <typename T>
//   class Scale : public cairn::nn::Layer<T>, public cairn::nn::LayerLowering {
//    public:
//     const LayerLowering* lowering() const override { return this; }
//     std::optional<std::string> lower_onnx(OnnxLayerBuilder& g) const override {
//       return g.add_node("Mul", {g.input(0), g.parameter("w")})[0];
//     }
//     bool lower_c(CLayerWriter& c) const override {
//       c.line("for (int i = 0; i < " + std::to_string(c.output_width()) + "; ++i) " +
//              c.output() + "[i] = " + c.input(0) + "[i] * " + c.parameter("w") + "[i];");
//       return true;
//     }
//     ...
//   };
//
// The exporters verify every export against the policy (see export_verification.h),
// so a lowering that computes something else than forward() is caught at export.
//
// Thread safety: a lowering must be callable concurrently (it is const); the builder
// and writer objects handed to it are not thread-safe and live only during the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cairn::nn {

// One attribute of an ONNX node: an int, a float, a string, or a list of ints/floats.
struct OnnxAttribute {
  std::string name;
  std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>> value;
};

// What an ONNX lowering sees and may add to the graph. Implemented by the ONNX
// exporter. Tensor names returned here are unique in the graph; every tensor of the
// layer's data path is float32 [batch, width] with a dynamic batch dimension.
class OnnxLayerBuilder {
 public:
  virtual ~OnnxLayerBuilder() = default;

  // The opset of the default domain the model is exported with (e.g. 17).
  virtual int opset() const = 0;
  // "<block>/<layer>", the prefix of the layer's parameter names.
  virtual const std::string& layer_path() const = 0;

  // The layer's inputs: graph tensor names, float32 [batch, input_width(i)].
  virtual size_t num_inputs() const = 0;
  virtual const std::string& input(size_t i) const = 0;
  virtual int64_t input_width(size_t i) const = 0;
  // The width the layer's output tensor must have (what build() returned).
  virtual int64_t output_width() const = 0;

  // The initializer holding the layer's parameter `local_name` (as listed by the
  // layer's parameters(), e.g. "kernel"), named "<block>/<layer>/<local_name>", with
  // the parameter's shape and the model's float32 values bit for bit. Added on first
  // use. Throws cairn::Error if the layer has no such parameter.
  virtual std::string parameter(std::string_view local_name) = 0;
  // Adds a constant initializer (float32 or int64) and returns its name; `hint` is
  // made unique. Throws cairn::Error if values.size() differs from the shape's size.
  virtual std::string constant(std::string_view hint, std::span<const float> values,
                               std::vector<int64_t> shape) = 0;
  virtual std::string constant(std::string_view hint, std::span<const int64_t> values,
                               std::vector<int64_t> shape) = 0;
  // Adds a node of the default ONNX domain and returns the names of its
  // `num_outputs` outputs. The exporter checks the whole model with the ONNX checker
  // (including shape inference) after lowering.
  virtual std::vector<std::string> add_node(std::string_view op_type,
                                            std::vector<std::string> inputs,
                                            std::vector<OnnxAttribute> attributes = {},
                                            size_t num_outputs = 1) = 0;
};

// What a C lowering sees and may write. Implemented by the C exporter. The generated
// code maps ONE observation at a time, so inputs and output are plain float arrays
// (one row). The lowering's lines go into their own `{ ... }` block inside the policy
// function: they may declare local variables (C99, so anywhere) and call <math.h>
// float functions (expf, tanhf, ...), must not allocate, and must write all
// output_width() elements of output(). Loop variables are the lowering's own (C99:
// `for (int k = 0; ...)`); unused variables or functions would break the warning-free
// build (-Wall -Wextra -Werror), which the verification compiles with.
class CLayerWriter {
 public:
  virtual ~CLayerWriter() = default;

  // "<block>/<layer>", the prefix of the layer's parameter names.
  virtual const std::string& layer_path() const = 0;

  // C expressions of type `const float *` for the inputs (input_width(i) elements).
  virtual size_t num_inputs() const = 0;
  virtual const std::string& input(size_t i) const = 0;
  virtual int64_t input_width(size_t i) const = 0;
  // C identifier of the `float` array (output_width() elements) to fill.
  virtual const std::string& output() const = 0;
  virtual int64_t output_width() const = 0;

  // C identifier of a file-scope `static const float` array holding the parameter
  // `local_name` row-major, written as exact hexadecimal literals. Throws cairn::Error
  // if the layer has no such parameter.
  virtual std::string parameter(std::string_view local_name) = 0;
  // A fresh identifier for a local variable, derived from `hint`.
  virtual std::string local_name(std::string_view hint) = 0;
  // Appends one line of C99 to the layer's block.
  virtual void line(std::string_view code) = 0;
};

// The exact C99 literal of a float: a hexadecimal float ("0x1.8p-1f"), or HUGE_VALF /
// -HUGE_VALF / NAN (from <math.h>) for non-finite values. Allocates the string.
std::string c_float_literal(float value);

// Implemented by (or for) a custom layer; see the file comment.
class LayerLowering {
 public:
  virtual ~LayerLowering() = default;

  // Adds the nodes computing the layer's output and returns the output tensor's name,
  // or std::nullopt if the layer cannot be lowered to ONNX. May throw cairn::Error;
  // the exporter prefixes the layer's name.
  virtual std::optional<std::string> lower_onnx(OnnxLayerBuilder& onnx) const {
    (void)onnx;
    return std::nullopt;
  }
  // Writes C statements computing the output, or returns false if the layer cannot be
  // lowered to C. May throw cairn::Error; the exporter prefixes the layer's name.
  virtual bool lower_c(CLayerWriter& c) const {
    (void)c;
    return false;
  }
};

}  // namespace cairn::nn
