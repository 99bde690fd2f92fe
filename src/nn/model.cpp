#include "cairn/nn/model.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "cairn/error.h"
#include "cairn/nn/gemm.h"
#include "model_graph.h"

namespace cairn::nn {

template <typename T>
struct Model<T>::Node {
  std::shared_ptr<const Layer<T>> layer;
  std::string name;
  std::vector<int> inputs;  // -1: model input
  Index width = 0;
  std::vector<size_t> tensors;  // indices into params_info_
  std::vector<InitSpec> inits;  // per tensor
  bool needs_scratch = false;   // gradient arrives from more than one place

  Vector<T> out, d_out, scratch, workspace;
  // Argument tables, preallocated so that a pass only rewrites them.
  std::vector<MatrixSpan<const T>> in_spans;
  std::vector<MatrixSpan<T>> d_in_spans;
  std::vector<const T*> param_ptrs;
  std::vector<T*> grad_ptrs;
  std::vector<T*> block_grad_ptrs;  // backward_blocks()'s destinations (block 0)
  // Recurrent layers: the state's columns in the model's state rows, and this layer's
  // state before and after the sequence and its gradient, [sequences, state_size].
  Index state_size = 0, state_offset = 0;
  Vector<T> state_in, state_out, state_grad;
};

template <typename T>
Model<T>::Model(const ModelSpec& spec) : spec_(spec) {
  detail::BuiltGraph<T> g = detail::build_graph<T>(spec_);
  size_t offset = 0;
  std::vector<int> gradient_sources(g.nodes.size(), 0);
  int input_sources = 0;
  for (auto& bn : g.nodes) {
    Node n;
    n.layer = bn.layer;
    n.name = bn.name;
    n.inputs = bn.inputs;
    n.width = bn.width;
    for (ParamSpec& p : bn.params) {
      for (int64_t d : p.shape) {
        if (d <= 0)
          throw Error(n.name + "/" + p.name + ": parameter shape " + shape_string(p.shape) +
                      " must have positive dimensions");
      }
      TensorInfo info;
      info.name = n.name + "/" + p.name;
      info.shape = p.shape;
      info.offset = offset;
      info.size = shape_numel(p.shape);
      offset += info.size;
      n.tensors.push_back(params_info_.size());
      n.inits.push_back(p.init);
      params_info_.push_back(std::move(info));
    }
    for (int in : n.inputs) {
      if (in < 0) {
        ++input_sources;
      } else {
        ++gradient_sources[static_cast<size_t>(in)];
      }
    }
    n.in_spans.resize(n.inputs.size());
    n.d_in_spans.resize(n.inputs.size());
    n.state_size = n.layer->state_size();
    if (n.state_size > 0) {
      n.state_offset = state_size_;
      state_layout_.push_back({n.name, n.layer->type(), state_size_, n.state_size});
      state_size_ += n.state_size;
    }
    nodes_.push_back(std::move(n));
  }
  for (size_t o = 0; o < g.outputs.size(); ++o) {
    outputs_.push_back(g.outputs[o]);
    output_names_.push_back(spec_.outputs[o]);
    ++gradient_sources[g.outputs[o]];
  }
  for (size_t i = 0; i < nodes_.size(); ++i) nodes_[i].needs_scratch = gradient_sources[i] > 1;
  input_needs_scratch_ = input_sources > 1;
  params_ = Vector<T>::Zero(static_cast<Index>(offset));
  grads_ = Vector<T>::Zero(static_cast<Index>(offset));
  grad_ready_.assign(nodes_.size(), 0);
  output_requested_.assign(outputs_.size(), 0);
  rebind();
  grow(1);
}

template <typename T>
Model<T>::Model(const Model& other)
    : spec_(other.spec_),
      nodes_(other.nodes_),
      outputs_(other.outputs_),
      output_names_(other.output_names_),
      params_info_(other.params_info_),
      params_(other.params_),
      grads_(other.grads_),
      input_(other.input_),
      input_grad_(other.input_grad_),
      input_scratch_(other.input_scratch_),
      input_needs_scratch_(other.input_needs_scratch_),
      state_size_(other.state_size_),
      state_layout_(other.state_layout_),
      steps_(other.steps_),
      starts_(other.starts_),
      state_out_(other.state_out_),
      state_in_grad_(other.state_in_grad_),
      state_in_grad_valid_(other.state_in_grad_valid_),
      capacity_(other.capacity_),
      batch_(other.batch_),
      input_grad_valid_(other.input_grad_valid_),
      grad_ready_(other.grad_ready_),
      output_requested_(other.output_requested_) {
  rebind();
}

template <typename T>
Model<T>& Model<T>::operator=(const Model& other) {
  if (this != &other) {
    Model copy(other);
    *this = std::move(copy);
  }
  return *this;
}

template <typename T>
Model<T>::Model(Model&&) noexcept = default;
template <typename T>
Model<T>& Model<T>::operator=(Model&&) noexcept = default;
template <typename T>
Model<T>::~Model() = default;

template <typename T>
void Model<T>::rebind() {
  for (Node& n : nodes_) {
    n.param_ptrs.clear();
    n.grad_ptrs.clear();
    for (size_t t : n.tensors) {
      n.param_ptrs.push_back(params_.data() + params_info_[t].offset);
      n.grad_ptrs.push_back(grads_.data() + params_info_[t].offset);
    }
    n.block_grad_ptrs.assign(n.grad_ptrs.size(), nullptr);
  }
}

template <typename T>
void Model<T>::grow(Index batch) {
  if (batch <= capacity_) return;
  for (Node& n : nodes_) {
    n.out.resize(batch * n.width);
    n.d_out.resize(batch * n.width);
    if (n.needs_scratch) n.scratch.resize(batch * n.width);
    n.workspace.resize(static_cast<Index>(n.layer->workspace_size(batch)));
    if (n.state_size > 0) {
      // A batch of `batch` rows has at most `batch` sequences.
      n.state_in.resize(batch * n.state_size);
      n.state_out.resize(batch * n.state_size);
      n.state_grad.resize(batch * n.state_size);
    }
  }
  if (state_size_ > 0) {
    state_out_.resize(batch * state_size_);
    state_in_grad_.resize(batch * state_size_);
  }
  input_.resize(batch * input_size());
  input_grad_.resize(batch * input_size());
  if (input_needs_scratch_) input_scratch_.resize(batch * input_size());
  capacity_ = batch;
}

template <typename T>
void Model<T>::reserve(Index batch) {
  grow(batch);
}

template <typename T>
const std::string& Model<T>::output_name(size_t i) const {
  return output_names_.at(i);
}

template <typename T>
Index Model<T>::output_size(size_t i) const {
  return nodes_[outputs_.at(i)].width;
}

template <typename T>
size_t Model<T>::output_index(std::string_view name) const {
  for (size_t i = 0; i < output_names_.size(); ++i) {
    if (output_names_[i] == name) return i;
  }
  std::string known;
  for (const auto& n : output_names_) known += known.empty() ? n : ", " + n;
  throw Error("model has no output \"" + std::string(name) + "\" (outputs: " + known + ")");
}

template <typename T>
void Model<T>::initialize(Rng& rng) {
  std::vector<double> scratch;
  for (const Node& n : nodes_) {
    for (size_t k = 0; k < n.tensors.size(); ++k) {
      const TensorInfo& info = params_info_[n.tensors[k]];
      scratch.resize(info.size);
      try {
        fill(n.inits[k], info.shape, scratch, rng);
      } catch (const Error& e) {
        throw Error(info.name + ": " + e.what());
      }
      for (size_t i = 0; i < info.size; ++i) {
        params_[static_cast<Index>(info.offset + i)] = static_cast<T>(scratch[i]);
      }
    }
  }
}

template <typename T>
void Model<T>::initialize(uint64_t seed) {
  Rng rng(seed);
  initialize(rng);
}

template <typename T>
const TensorInfo* Model<T>::find_parameter(std::string_view name) const {
  for (const TensorInfo& info : params_info_) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

template <typename T>
const TensorInfo& Model<T>::parameter_info(std::string_view name) const {
  if (const TensorInfo* info = find_parameter(name)) return *info;
  std::string known;
  for (const auto& info : params_info_) known += known.empty() ? info.name : ", " + info.name;
  throw Error("model has no parameter \"" + std::string(name) +
              "\" (parameters: " + (known.empty() ? "none" : known) + ")");
}

template <typename T>
std::span<const T> Model<T>::parameter(std::string_view name) const {
  const TensorInfo& info = parameter_info(name);
  return {params_.data() + info.offset, info.size};
}

template <typename T>
std::span<T> Model<T>::parameter(std::string_view name) {
  const TensorInfo& info = parameter_info(name);
  return {params_.data() + info.offset, info.size};
}

template <typename T>
std::span<const T> Model<T>::gradient(std::string_view name) const {
  const TensorInfo& info = parameter_info(name);
  return {grads_.data() + info.offset, info.size};
}

template <typename T>
void Model<T>::set_parameter(std::string_view name, std::span<const int64_t> shape,
                             std::span<const T> data) {
  const TensorInfo& info = parameter_info(name);
  if (!std::equal(shape.begin(), shape.end(), info.shape.begin(), info.shape.end())) {
    throw Error("parameter \"" + info.name + "\" has shape " + shape_string(info.shape) +
                ", cannot set it from shape " + shape_string(shape));
  }
  if (data.size() != info.size) {
    throw Error("parameter \"" + info.name + "\": " + std::to_string(data.size()) +
                " values given for shape " + shape_string(info.shape) + " (" +
                std::to_string(info.size) + " elements)");
  }
  std::copy(data.begin(), data.end(), params_.data() + info.offset);
}

template <typename T>
void Model<T>::zero_grad() {
  grads_.setZero();
}

template <typename T>
void Model<T>::forward(MatrixSpan<const T> input) {
  if (state_size_ > 0) {
    std::string names;
    for (const StateSlice& slice : state_layout_)
      names += (names.empty() ? "" : ", ") + slice.layer;
    throw Error("model has recurrent layers (" + names +
                "): run it over sequences, with a state (forward with a SequenceInput)");
  }
  check_input(input);
  steps_ = 0;
  run_forward(input);
}

template <typename T>
void Model<T>::forward(MatrixSpan<const T> input, const SequenceInput<T>& sequence) {
  check_input(input);
  if (sequence.steps < 1 || input.rows % sequence.steps != 0) {
    throw Error("model input has " + std::to_string(input.rows) +
                " rows, not a whole number of sequences of " + std::to_string(sequence.steps) +
                " steps");
  }
  const Index streams = input.rows / sequence.steps;
  if (state_size_ > 0 && (sequence.state.data == nullptr || sequence.state.rows != streams ||
                          sequence.state.cols != state_size_)) {
    throw Error("model state is [" + std::to_string(sequence.state.rows) + ", " +
                std::to_string(sequence.state.cols) + "], expected [" + std::to_string(streams) +
                ", " + std::to_string(state_size_) +
                "] (one row of state_size() values per sequence)");
  }
  if (!sequence.starts.empty() && sequence.starts.size() != static_cast<size_t>(input.rows)) {
    throw Error("model sequence has " + std::to_string(sequence.starts.size()) +
                " episode-start flags, expected one per input row (" + std::to_string(input.rows) +
                ")");
  }
  grow(input.rows);
  starts_.assign(static_cast<size_t>(input.rows), 0);
  std::copy(sequence.starts.begin(), sequence.starts.end(), starts_.begin());
  for (Node& n : nodes_) {
    if (n.state_size == 0) continue;
    for (Index s = 0; s < streams; ++s) {
      const T* row = sequence.state.data + s * state_size_ + n.state_offset;
      std::copy(row, row + n.state_size, n.state_in.data() + s * n.state_size);
    }
  }
  steps_ = sequence.steps;
  run_forward(input);
  for (const Node& n : nodes_) {
    if (n.state_size == 0) continue;
    for (Index s = 0; s < streams; ++s) {
      const T* row = n.state_out.data() + s * n.state_size;
      std::copy(row, row + n.state_size, state_out_.data() + s * state_size_ + n.state_offset);
    }
  }
}

template <typename T>
void Model<T>::check_input(MatrixSpan<const T> input) const {
  if (input.cols != input_size()) {
    throw Error("model input has " + std::to_string(input.cols) + " columns, expected " +
                std::to_string(input_size()));
  }
  if (input.rows < 1 || input.data == nullptr) throw Error("model input batch must be >= 1");
}

template <typename T>
SequencePass<T> Model<T>::sequence_pass(Node& n, Index batch) {
  const Index streams = batch / steps_;
  return {steps_, std::span<const uint8_t>(starts_.data(), static_cast<size_t>(batch)),
          MatrixSpan<const T>(n.state_in.data(), streams, n.state_size),
          MatrixSpan<T>(n.state_out.data(), streams, n.state_size)};
}

template <typename T>
void Model<T>::run_forward(MatrixSpan<const T> input) {
  const Index batch = input.rows;
  grow(batch);
  std::copy(input.data, input.data + input.size(), input_.data());
  for (Node& n : nodes_) {
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const int j = n.inputs[k];
      n.in_spans[k] = j < 0 ? MatrixSpan<const T>(input_.data(), batch, input_size())
                            : MatrixSpan<const T>(nodes_[static_cast<size_t>(j)].out.data(), batch,
                                                  nodes_[static_cast<size_t>(j)].width);
    }
    SequencePass<T> sequence;
    if (n.state_size > 0) sequence = sequence_pass(n, batch);
    const ForwardPass<T> pass{n.in_spans, n.param_ptrs, MatrixSpan<T>(n.out.data(), batch, n.width),
                              std::span<T>(n.workspace.data(), n.layer->workspace_size(batch)),
                              n.state_size > 0 ? &sequence : nullptr};
    n.layer->forward(pass);
  }
  batch_ = batch;
  input_grad_valid_ = false;
  state_in_grad_valid_ = false;
  std::fill(output_requested_.begin(), output_requested_.end(), 0);
}

template <typename T>
MatrixSpan<const T> Model<T>::output(size_t i) const {
  if (batch_ == 0) throw Error("model output requested before any forward()");
  const Node& n = nodes_[outputs_.at(i)];
  return {n.out.data(), batch_, n.width};
}

template <typename T>
MatrixSpan<T> Model<T>::output_grad(size_t i) {
  if (batch_ == 0) throw Error("model output_grad requested before any forward()");
  Node& n = nodes_[outputs_.at(i)];
  output_requested_[i] = 1;
  return {n.d_out.data(), batch_, n.width};
}

template <typename T>
void Model<T>::backward(InputGrad input_grad, ParamGrad param_grad) {
  if (batch_ == 0) throw Error("model backward() called before any forward()");
  backward_pass(input_grad == InputGrad::kCompute, param_grad != ParamGrad::kSkip, 0);
}

template <typename T>
void Model<T>::backward_blocks(std::span<T> blocks, size_t stride) {
  if (batch_ == 0) throw Error("model backward_blocks() called before any forward()");
  const size_t count = static_cast<size_t>((batch_ + kGradientBlock - 1) / kGradientBlock);
  if (stride < num_parameters() || blocks.size() < count * stride) {
    throw Error("model backward_blocks(): " + std::to_string(blocks.size()) + " values at stride " +
                std::to_string(stride) + " for " + std::to_string(count) + " blocks of " +
                std::to_string(num_parameters()) + " parameters");
  }
  for (Node& n : nodes_) {
    if (!n.tensors.empty() && n.layer->type() != "dense") {
      throw Error("model backward_blocks(): layer type '" + n.layer->type() +
                  "' has parameters whose gradients are not kept per block");
    }
    for (size_t i = 0; i < n.tensors.size(); ++i) {
      n.block_grad_ptrs[i] = blocks.data() + params_info_[n.tensors[i]].offset;
    }
  }
  backward_pass(false, true, static_cast<Index>(stride));
}

template <typename T>
void Model<T>::backward_pass(bool want_input, bool want_params, Index block_stride) {
  const Index batch = batch_;
  std::fill(grad_ready_.begin(), grad_ready_.end(), 0);
  for (size_t o = 0; o < outputs_.size(); ++o) {
    if (output_requested_[o]) grad_ready_[outputs_[o]] = 1;
  }
  bool input_ready = false;
  if (want_input) std::fill(input_grad_.data(), input_grad_.data() + batch * input_size(), T(0));
  for (size_t idx = nodes_.size(); idx-- > 0;) {
    Node& n = nodes_[idx];
    if (!grad_ready_[idx]) continue;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const int j = n.inputs[k];
      if (j < 0) {
        if (!want_input) {
          n.d_in_spans[k] = MatrixSpan<T>();
        } else {
          T* target = input_ready ? input_scratch_.data() : input_grad_.data();
          n.d_in_spans[k] = MatrixSpan<T>(target, batch, input_size());
        }
      } else {
        Node& in = nodes_[static_cast<size_t>(j)];
        T* target = grad_ready_[static_cast<size_t>(j)] ? in.scratch.data() : in.d_out.data();
        n.d_in_spans[k] = MatrixSpan<T>(target, batch, in.width);
      }
    }
    SequencePass<T> sequence;
    MatrixSpan<T> state_in_grad;
    if (n.state_size > 0) {
      sequence = sequence_pass(n, batch);
      if (want_input)
        state_in_grad = MatrixSpan<T>(n.state_grad.data(), batch / steps_, n.state_size);
    }
    const BackwardPass<T> pass{n.in_spans,
                               MatrixSpan<const T>(n.out.data(), batch, n.width),
                               MatrixSpan<const T>(n.d_out.data(), batch, n.width),
                               n.param_ptrs,
                               !want_params       ? std::span<T* const>()
                               : block_stride > 0 ? std::span<T* const>(n.block_grad_ptrs)
                                                  : std::span<T* const>(n.grad_ptrs),
                               n.d_in_spans,
                               std::span<T>(n.workspace.data(), n.layer->workspace_size(batch)),
                               block_stride,
                               n.state_size > 0 ? &sequence : nullptr,
                               state_in_grad};
    n.layer->backward(pass);
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const int j = n.inputs[k];
      if (j < 0) {
        if (!want_input) continue;
        if (input_ready) {
          const Index m = batch * input_size();
          input_grad_.head(m) += input_scratch_.head(m);
        }
        input_ready = true;
      } else {
        const auto uj = static_cast<size_t>(j);
        Node& in = nodes_[uj];
        if (grad_ready_[uj]) {
          const Index m = batch * in.width;
          in.d_out.head(m) += in.scratch.head(m);
        }
        grad_ready_[uj] = 1;
      }
    }
  }
  input_grad_valid_ = want_input;
  state_in_grad_valid_ = want_input && steps_ > 0;
  if (state_in_grad_valid_ && state_size_ > 0) {
    const Index streams = batch / steps_;
    std::fill(state_in_grad_.data(), state_in_grad_.data() + streams * state_size_, T(0));
    for (size_t idx = 0; idx < nodes_.size(); ++idx) {
      const Node& n = nodes_[idx];
      if (n.state_size == 0 || !grad_ready_[idx]) continue;
      for (Index s = 0; s < streams; ++s) {
        const T* row = n.state_grad.data() + s * n.state_size;
        std::copy(row, row + n.state_size,
                  state_in_grad_.data() + s * state_size_ + n.state_offset);
      }
    }
  }
}

template <typename T>
MatrixSpan<const T> Model<T>::state_out() const {
  if (steps_ == 0) throw Error("model state_out() needs a preceding forward over sequences");
  return {state_out_.data(), batch_ / steps_, state_size_};
}

template <typename T>
MatrixSpan<const T> Model<T>::state_in_grad() const {
  if (!state_in_grad_valid_) {
    throw Error(
        "model state_in_grad() needs a forward over sequences and a backward(InputGrad::kCompute)");
  }
  return {state_in_grad_.data(), batch_ / steps_, state_size_};
}

template <typename T>
MatrixSpan<const T> Model<T>::input_grad() const {
  if (!input_grad_valid_) {
    throw Error("model input_grad() needs a preceding backward(InputGrad::kCompute)");
  }
  return {input_grad_.data(), batch_, input_size()};
}

template <typename T>
std::string Model<T>::summary() const {
  std::ostringstream s;
  s << "input: " << input_size() << "\n";
  for (const Node& n : nodes_) {
    s << n.name << "  " << n.layer->type() << "  -> " << n.width;
    for (size_t t : n.tensors) {
      s << "  " << params_info_[t].name.substr(n.name.size() + 1)
        << shape_string(params_info_[t].shape);
    }
    s << "\n";
  }
  for (size_t o = 0; o < outputs_.size(); ++o) {
    s << "output " << output_names_[o] << ": " << nodes_[outputs_[o]].width << "\n";
  }
  s << "parameters: " << num_parameters() << "\n";
  return s.str();
}

template <typename T>
std::vector<ParameterComparison> compare_parameters(const Model<T>& a, const Model<T>& b) {
  using Status = ParameterComparison::Status;
  std::vector<ParameterComparison> out;
  for (const TensorInfo& info : a.parameters()) {
    ParameterComparison c;
    c.name = info.name;
    const TensorInfo* other = b.find_parameter(info.name);
    if (other == nullptr) {
      c.status = Status::kOnlyInFirst;
    } else if (other->shape != info.shape) {
      c.status = Status::kShapeMismatch;
    } else {
      const std::span<const T> x = a.parameter(info.name), y = b.parameter(info.name);
      double diff = 0.0;
      bool same = true;
      for (size_t i = 0; i < x.size(); ++i) {
        same = same && x[i] == y[i];
        diff = std::max(diff, std::abs(static_cast<double>(x[i]) - static_cast<double>(y[i])));
      }
      c.status = same ? Status::kEqual : Status::kDifferent;
      c.max_abs_difference = diff;
    }
    out.push_back(std::move(c));
  }
  for (const TensorInfo& info : b.parameters()) {
    if (a.find_parameter(info.name) == nullptr) {
      out.push_back({info.name, Status::kOnlyInSecond, 0.0});
    }
  }
  return out;
}

template class Model<float>;
template class Model<double>;
template std::vector<ParameterComparison> compare_parameters(const Model<float>&,
                                                             const Model<float>&);
template std::vector<ParameterComparison> compare_parameters(const Model<double>&,
                                                             const Model<double>&);

size_t parameter_count(const ModelSpec& spec) {
  const detail::BuiltGraph<float> g = detail::build_graph<float>(spec);
  size_t total = 0;
  for (const auto& node : g.nodes) {
    for (const ParamSpec& p : node.params) {
      size_t n = 1;
      for (int64_t d : p.shape) {
        if (d <= 0 || __builtin_mul_overflow(n, static_cast<size_t>(d), &n)) return SIZE_MAX;
      }
      if (__builtin_add_overflow(total, n, &total)) return SIZE_MAX;
    }
  }
  return total;
}

size_t activation_count(const ModelSpec& spec) {
  const detail::BuiltGraph<float> g = detail::build_graph<float>(spec);
  size_t total = spec.input_size > 0 ? static_cast<size_t>(spec.input_size) : 0;
  for (const auto& node : g.nodes) {
    if (node.width < 0 || __builtin_add_overflow(total, static_cast<size_t>(node.width), &total))
      return SIZE_MAX;
  }
  return total;
}

uint64_t memory_budget_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return uint64_t{16} << 30;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
}

}  // namespace cairn::nn
