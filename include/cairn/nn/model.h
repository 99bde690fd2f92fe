// Model<T>: a built model spec with its parameters, ready to run forward and backward.
//
// Memory: all parameters live in one contiguous flat buffer and all parameter
// gradients in a second one of the same layout; each named tensor is a row-major
// slice (see parameters()). Optimisers, gradient clipping and checkpoints work on the
// flat buffers or by name.
//
// Running: forward(input) runs every layer and caches all activations; outputs are
// read with output(i). For training, write d(loss)/d(output) into output_grad(i) for
// the outputs the loss uses, then backward() ADDS the parameter gradients into the
// flat gradient buffer (call zero_grad() before each minibatch). Outputs whose
// output_grad() was not requested since the last forward() contribute no gradient.
//
// Allocation: buffers are sized for the largest batch seen so far (or reserve()d);
// forward/backward at or below that batch size do not allocate. A larger batch grows
// the buffers once.
//
// Thread safety: a Model is not safe for concurrent use (forward writes the cached
// activations). Copies are independent and may be used from different threads; they
// share only the immutable layer objects.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/nn/layer.h"
#include "cairn/nn/model_spec.h"
#include "cairn/nn/tensor.h"
#include "cairn/random/random.h"

namespace cairn::nn {

enum class InputGrad { kSkip, kCompute };
// Whether backward() adds parameter gradients. kSkip serves a network differentiated
// only with respect to its input (SAC's and TD3's critics in the actor loss): about a
// third of the backward pass's work is not done and flat_gradients() is left unchanged.
enum class ParamGrad { kAccumulate, kSkip };

// Where one recurrent layer's state sits in a row of the model's state (Model::state_size()
// values per sequence, the recurrent layers' states side by side in layer order).
struct StateSlice {
  std::string layer;  // "<block>/<layer>", as in parameter names
  std::string type;   // the layer type, e.g. "lstm"
  Index offset = 0;
  Index size = 0;
};

// The sequence structure of a recurrent model's forward pass (see Model::forward).
template <typename T>
struct SequenceInput {
  Index steps = 1;            // the input's rows are `steps` time steps of rows / steps sequences
  MatrixSpan<const T> state;  // [rows / steps, state_size()], the state before step 0
  std::span<const uint8_t> starts;  // one flag per input row, or empty: see SequencePass
};

template <typename T>
class Model {
 public:
  // Builds the layers of `spec` (validating it). Parameters start at zero; call
  // initialize(). Throws cairn::Error as ModelSpec::validate().
  explicit Model(const ModelSpec& spec);

  Model(const Model& other);
  Model& operator=(const Model& other);
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  const ModelSpec& spec() const { return spec_; }
  Index input_size() const { return spec_.input_size; }
  size_t num_outputs() const { return outputs_.size(); }
  const std::string& output_name(size_t i) const;
  Index output_size(size_t i) const;
  // Index of the named output. Throws cairn::Error listing the outputs if unknown.
  size_t output_index(std::string_view name) const;

  // --- Parameters --------------------------------------------------------------
  // Fills every parameter with its layer's initialiser, drawing from `rng` in
  // parameters() order. Deterministic: the same seed gives the same bits.
  void initialize(Rng& rng);
  void initialize(uint64_t seed);

  // Every parameter tensor, in a stable order (blocks, then layers, then the layer's
  // parameters), with its offset into the flat buffers.
  const std::vector<TensorInfo>& parameters() const { return params_info_; }
  // Total number of scalars.
  size_t num_parameters() const { return static_cast<size_t>(params_.size()); }
  // nullptr if there is no such parameter.
  const TensorInfo* find_parameter(std::string_view name) const;
  // Throws cairn::Error naming the parameter (and listing the known ones) if unknown.
  const TensorInfo& parameter_info(std::string_view name) const;
  // The parameter's values (row-major). Throws as parameter_info().
  std::span<const T> parameter(std::string_view name) const;
  std::span<T> parameter(std::string_view name);
  // The parameter's gradient (row-major). Throws as parameter_info().
  std::span<const T> gradient(std::string_view name) const;
  // Copies `data` into the named parameter. Throws cairn::Error if the name is unknown,
  // `shape` differs from the parameter's shape, or data.size() != product(shape).
  void set_parameter(std::string_view name, std::span<const int64_t> shape,
                     std::span<const T> data);

  std::span<T> flat_parameters() { return {params_.data(), static_cast<size_t>(params_.size())}; }
  std::span<const T> flat_parameters() const {
    return {params_.data(), static_cast<size_t>(params_.size())};
  }
  std::span<T> flat_gradients() { return {grads_.data(), static_cast<size_t>(grads_.size())}; }
  std::span<const T> flat_gradients() const {
    return {grads_.data(), static_cast<size_t>(grads_.size())};
  }
  void zero_grad();

  // --- Running -----------------------------------------------------------------
  // Sizes all buffers for batches up to `batch` (allocates now, not later).
  void reserve(Index batch);
  // Runs the model on `input` ([batch, input_size()], copied) and caches activations.
  // Throws cairn::Error if input.cols != input_size() or batch < 1, or if the model is
  // recurrent (state_size() > 0: it needs the overload below).
  void forward(MatrixSpan<const T> input);
  // Runs a recurrent (or feed-forward) model over sequences: the input's rows are
  // `sequence.steps` time steps of S = rows / steps sequences, time-major (row t * S + s is
  // sequence s at step t), each starting from its row of `sequence.state` (copied), with
  // the state reset to zeros at the rows flagged in `sequence.starts`. Row r's outputs are
  // the same bits whatever the other sequences in the batch are, and whether its sequence
  // is run in one call of T steps or in T calls of one step each (passing state_out() on).
  // Throws cairn::Error if rows is not a multiple of steps, or the state or the flags have
  // the wrong shape.
  void forward(MatrixSpan<const T> input, const SequenceInput<T>& sequence);
  Index batch_size() const { return batch_; }
  // Output i of the last forward, [batch, output_size(i)]; valid until the next forward.
  MatrixSpan<const T> output(size_t i) const;
  // Writable buffer [batch, output_size(i)] for d(loss)/d(output i) of the last
  // forward; asking for it marks output i as part of the next backward().
  MatrixSpan<T> output_grad(size_t i);
  // Back-propagates the output_grad()s of the last forward, adding parameter gradients
  // into flat_gradients() (unless ParamGrad::kSkip). With InputGrad::kCompute also
  // computes input_grad(). Throws cairn::Error if no forward preceded it.
  void backward(InputGrad input_grad = InputGrad::kSkip,
                ParamGrad param_grad = ParamGrad::kAccumulate);
  // The same back-propagation, with the parameter gradients of each block of
  // kGradientBlock samples kept apart (nn/gemm.h): the sum over block k is added into
  // `blocks` at k * stride + the parameter's offset in flat_gradients() (zero `blocks`
  // first for the sums themselves). flat_gradients() is not touched; the bits of each
  // block's sum are those of a forward and backward pass of that block alone. For the
  // gradient of a minibatch split across ranks by blocks (distributed/block_gradients.h).
  // Throws cairn::Error if no forward preceded it, if stride < num_parameters() or
  // `blocks` is too small for the batch's blocks, or if a layer with parameters is not a
  // dense layer (the only kind whose gradients are block sums).
  void backward_blocks(std::span<T> blocks, size_t stride);
  // d(loss)/d(input) from the last backward(InputGrad::kCompute), [batch, input_size()].
  MatrixSpan<const T> input_grad() const;

  // --- Recurrent models --------------------------------------------------------------
  // Values of state each sequence carries (0 for a feed-forward model), and their layout.
  Index state_size() const { return state_size_; }
  const std::vector<StateSlice>& state_layout() const { return state_layout_; }
  // The state after the last step of the last forward, [sequences, state_size()]; valid
  // until the next forward. Throws cairn::Error if no sequence forward preceded it.
  MatrixSpan<const T> state_out() const;
  // d(loss)/d(sequence.state) from the last backward(InputGrad::kCompute) after a sequence
  // forward, [sequences, state_size()] (zero where a start flag cut the sequence at step 0).
  MatrixSpan<const T> state_in_grad() const;

  // Human-readable table of blocks, layers, shapes and parameter counts. Allocates.
  std::string summary() const;

 private:
  struct Node;
  void rebind();
  void grow(Index batch);
  void check_input(MatrixSpan<const T> input) const;
  void run_forward(MatrixSpan<const T> input);
  SequencePass<T> sequence_pass(Node& n, Index batch);
  void backward_pass(bool want_input, bool want_params, Index block_stride);

  ModelSpec spec_;
  std::vector<Node> nodes_;
  std::vector<size_t> outputs_;  // node index per output
  std::vector<std::string> output_names_;
  std::vector<TensorInfo> params_info_;
  Vector<T> params_, grads_;
  Vector<T> input_, input_grad_, input_scratch_;
  bool input_needs_scratch_ = false;
  Index state_size_ = 0;
  std::vector<StateSlice> state_layout_;
  Index steps_ = 0;  // of the last sequence forward; 0 after a plain forward
  std::vector<uint8_t> starts_;
  Vector<T> state_out_, state_in_grad_;
  bool state_in_grad_valid_ = false;
  Index capacity_ = 0;
  Index batch_ = 0;
  bool input_grad_valid_ = false;
  std::vector<char> grad_ready_;        // per node, during backward
  std::vector<char> output_requested_;  // per output, since the last forward
};

extern template class Model<float>;
extern template class Model<double>;

// The number of parameter scalars a model built from `spec` has, computed without
// allocating them (so untrusted specs can be checked before building). Saturates at
// SIZE_MAX on overflow. Throws cairn::Error as ModelSpec::validate().
size_t parameter_count(const ModelSpec& spec);
// The number of activation values one row of a batch keeps (the model input plus every
// layer's output), computed without building the model; saturates at SIZE_MAX. Forward
// and backward hold about three floats per activation value per row (output, its
// gradient, scratch), so a batch of B rows needs about 12 * B * activation_count bytes.
// Throws cairn::Error as ModelSpec::validate().
size_t activation_count(const ModelSpec& spec);

// The most memory cairn lets one run's or one model's buffers take, in bytes: the
// machine's physical memory (16 GiB if it cannot be read). Sizes beyond it are refused
// with an error before anything is allocated, instead of ending in std::bad_alloc.
uint64_t memory_budget_bytes();

// How two models' parameters compare, name by name.
struct ParameterComparison {
  enum class Status { kEqual, kDifferent, kShapeMismatch, kOnlyInFirst, kOnlyInSecond };
  std::string name;
  Status status = Status::kEqual;
  double max_abs_difference = 0.0;  // for kEqual / kDifferent
};
// One entry per parameter name present in either model (first model's order, then the
// second's extra names). Allocates.
template <typename T>
std::vector<ParameterComparison> compare_parameters(const Model<T>& a, const Model<T>& b);

}  // namespace cairn::nn
