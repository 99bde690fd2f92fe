// The layer interface: what a built-in or custom layer implements.
//
// A layer is a pure function of its inputs and parameters. It does not own its
// parameters, gradients, outputs or scratch memory: the Model owns one flat parameter
// buffer, one flat gradient buffer, and per-layer output and workspace buffers sized
// for the largest batch, and hands the layer views of them on every call. So layers
// are immutable once built, a built layer is shared by copies of a model, and
// forward/backward never allocate as long as the layer's own code does not.
// Life cycle (driven by the Model):
//   1. A factory registered in the LayerRegistry constructs the layer from its JSON
//      configuration (LayerConfig).
//   2. build(input_widths) checks the inputs and returns the output width.
//   3. parameters() lists the parameter tensors; workspace_size(batch) the scratch.
//   4. forward(...) / backward(...) are called any number of times, concurrently when
//      copies of a model run on several threads: they must not modify the layer (they
//      are const) nor keep other mutable state.
// Export extension point: exporters (ONNX, C source) handle the built-in layer types by
// type() and config(). A custom layer that can be exported overrides lowering() to return
// its LayerLowering (cairn/export/layer_lowering.h; usually the layer itself, as in
// examples/plugin/scaled_tanh.h); with the default, nullptr, exporting a model that uses
// the layer fails with an error naming it.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/nn/activation.h"
#include "cairn/nn/initializers.h"
#include "cairn/nn/tensor.h"

namespace cairn::nn {

// Defined in cairn/export/layer_lowering.h; see "Export extension point" above.
class LayerLowering;

// One parameter tensor of a layer.
struct ParamSpec {
  std::string name;            // local name, e.g. "kernel"; the model prefixes block/layer
  std::vector<int64_t> shape;  // row-major, e.g. {in, out}
  InitSpec init;               // how Model::initialize fills it
};

// What a recurrent layer (state_size() > 0) is given besides its inputs: the batch's rows
// are `steps` time steps of `streams = rows / steps` independent sequences, time-major
// (row t * streams + s is sequence s at step t), and each sequence carries a state of
// state_size() values from one step to the next.
template <typename T>
struct SequencePass {
  Index steps = 1;
  // One flag per row, or empty (no resets). A nonzero flag starts a new episode at that
  // row: the state is reset to zeros before the row is computed, and no gradient flows
  // through the reset into earlier steps.
  std::span<const uint8_t> starts;
  MatrixSpan<const T> state_in;  // [streams, state_size()], the state before step 0
  MatrixSpan<T> state_out;       // [streams, state_size()], forward writes the state after
                                 // the last step; backward leaves it alone
};

// Arguments of Layer::forward. All spans cover the current batch only.
template <typename T>
struct ForwardPass {
  std::span<const MatrixSpan<const T>> inputs;  // one per input, [batch, input_width_i]
  std::span<const T* const> params;             // one per parameters() entry, row-major
  MatrixSpan<T> output;                         // [batch, output_width]; write all of it
  std::span<T> workspace;                       // workspace_size(batch) elements; kept
                                                // unchanged until the matching backward
  const SequencePass<T>* sequence = nullptr;    // set for recurrent layers only
};

// Arguments of Layer::backward, for the inputs of the most recent forward.
template <typename T>
struct BackwardPass {
  std::span<const MatrixSpan<const T>> inputs;
  MatrixSpan<const T> output;       // what forward wrote
  MatrixSpan<const T> output_grad;  // d(loss)/d(output)
  std::span<const T* const> params;
  // ADD d(loss)/d(param) into these (accumulate). An empty span means nobody needs the
  // parameter gradients (Model::backward with ParamGrad::kSkip): skip them.
  std::span<T* const> param_grads;
  // OVERWRITE with d(loss)/d(input_i). An empty span (data == nullptr) means nobody
  // needs that gradient: skip it.
  std::span<const MatrixSpan<T>> input_grads;
  std::span<T> workspace;  // as forward left it; backward may overwrite it
  // 0: the gradients of all samples go into param_grads. Otherwise (Model::backward_blocks,
  // given only to dense layers) the sum over block k of kGradientBlock samples goes into
  // param_grads[i] + k * param_grad_block_stride.
  Index param_grad_block_stride = 0;
  // Recurrent layers only: the forward's sequence (state_out holds what forward wrote),
  // and where to OVERWRITE d(loss)/d(state_in) (empty: nobody needs it). The loss is a
  // function of the outputs only: no gradient arrives through state_out (truncated
  // backpropagation through time ends at the last step).
  const SequencePass<T>* sequence = nullptr;
  MatrixSpan<T> state_in_grad;
};

template <typename T>
class Layer {
 public:
  virtual ~Layer() = default;

  // The registered type name, e.g. "dense".
  virtual std::string type() const = 0;
  // The layer's configuration in canonical JSON form (every field, defaults filled
  // in, without "type"/"name"). Exporters and model summaries read it.
  virtual nlohmann::json config() const = 0;

  // Checks the widths of the inputs (one entry per input) and returns the output width.
  // Called once, before any other method below. Throws cairn::Error with a message
  // naming the problem (the model prefixes the layer's location).
  virtual Index build(std::span<const Index> input_widths) = 0;
  // The parameter tensors, in a stable order. Valid after build().
  virtual std::vector<ParamSpec> parameters() const { return {}; }
  // Scratch elements forward/backward need at this batch size. Must be non-decreasing
  // in `batch`. Valid after build().
  virtual size_t workspace_size(Index batch) const {
    (void)batch;
    return 0;
  }

  // Values each sequence carries from one step to the next (0: not recurrent). A layer
  // with state receives ForwardPass::sequence and BackwardPass::sequence; its output row
  // depends on its input row and on the earlier rows of the same sequence only. Valid after
  // build().
  virtual Index state_size() const { return 0; }

  virtual void forward(const ForwardPass<T>& pass) const = 0;
  virtual void backward(const BackwardPass<T>& pass) const = 0;

  // Export extension point (see the file comment). nullptr: not lowerable by itself.
  virtual const LayerLowering* lowering() const { return nullptr; }
};

// Reads a layer's JSON object ({"type": ..., "name": ..., fields...}) for a factory,
// producing errors that name the field, e.g. "blocks[0].layers[2].units must be
// positive (got 0)". Tracks which fields were read so that unknown fields (typos) are
// reported by finish(). Not thread-safe; allocates.
class LayerConfig {
 public:
  // `where` locates the object in the spec, e.g. "blocks[0].layers[2]".
  LayerConfig(const nlohmann::json& object, std::string where);

  const std::string& where() const { return where_; }
  const std::string& type() const { return type_; }

  // Required integer > 0.
  int64_t positive_integer(std::string_view key);
  // Optional number; `fallback` when absent.
  double number(std::string_view key, double fallback);
  // Optional number > 0; `fallback` when absent.
  double positive_number(std::string_view key, double fallback);
  // Optional string; `fallback` when absent.
  std::string string(std::string_view key, std::string_view fallback);
  InitSpec initializer(std::string_view key, const InitSpec& fallback);
  Activation activation(std::string_view key, const Activation& fallback);
  // The raw value of an optional field (nullptr when absent), for custom layers.
  const nlohmann::json* raw(std::string_view key);
  // Throws cairn::Error naming the first field no accessor has read.
  void finish() const;

  // "<where>.<key>", for custom error messages.
  std::string field(std::string_view key) const;

 private:
  const nlohmann::json* find(std::string_view key);

  const nlohmann::json& object_;
  std::string where_;
  std::string type_;
  std::set<std::string, std::less<>> read_;
};

}  // namespace cairn::nn
