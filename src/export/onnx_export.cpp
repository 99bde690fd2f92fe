#include "cairn/export/onnx_export.h"

#include <cmath>
#include <cstring>
#include <set>

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "cairn/error.h"
#include "cairn/export/layer_lowering.h"
#include "cairn/io/atomic_file.h"
#include "cairn/nn/layers.h"
#include "cairn/nn/recurrent_layers.h"
#include "cairn/policy/policy.h"
#include "export/onnx_runtime_runner.h"
#include "export/policy_graph.h"
#include "export/verification_run.h"

namespace cairn {
namespace {

using export_detail::GraphNode;
using export_detail::PolicyGraph;
using nn::Activation;
using nn::OnnxAttribute;

constexpr int kMinOpset = 13;

int max_known_opset() {
  return onnx::OpSchemaRegistry::DomainToVersionRange::Instance().LastReleaseVersionMap().at("");
}

// The graph being built; also the OnnxLayerBuilder handed to each layer's lowering
// (built-in or custom) while that layer is current.
class OnnxGraph final : public nn::OnnxLayerBuilder {
 public:
  OnnxGraph(onnx::GraphProto* graph, int opset, const Policy& policy)
      : graph_(graph), opset_(opset), policy_(policy) {}

  // --- The current scope (a layer, or a part of the policy) -----------------------
  void enter(std::string scope, const GraphNode* node, std::vector<std::string> inputs,
             std::vector<int64_t> input_widths) {
    scope_ = std::move(scope);
    node_ = node;
    inputs_ = std::move(inputs);
    input_widths_ = std::move(input_widths);
  }

  // A name not used yet in the graph, `hint` itself if possible.
  std::string fresh(std::string_view hint) {
    std::string name(hint);
    for (int k = 1; names_.count(name) != 0; ++k)
      name = std::string(hint) + "_" + std::to_string(k);
    names_.insert(name);
    return name;
  }
  void reserve_name(const std::string& name) { names_.insert(name); }

  // Adds an initializer with exactly `name` (which must be unused).
  std::string initializer(const std::string& name, int32_t data_type, const void* data,
                          size_t bytes, const std::vector<int64_t>& shape) {
    if (names_.count(name) != 0)
      throw Error("ONNX export: tensor name \"" + name + "\" is used twice");
    names_.insert(name);
    onnx::TensorProto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(data_type);
    for (int64_t d : shape) t->add_dims(d);
    t->set_raw_data(std::string(static_cast<const char*>(data), bytes));
    return name;
  }
  std::string float_initializer(const std::string& name, std::span<const float> values,
                                const std::vector<int64_t>& shape) {
    check_size(name, values.size(), shape);
    return initializer(name, onnx::TensorProto::FLOAT, values.data(), values.size() * sizeof(float),
                       shape);
  }
  std::string scalar(std::string_view hint, float v) {
    return constant(hint, std::span(&v, 1), {});
  }

  // --- OnnxLayerBuilder -----------------------------------------------------------
  int opset() const override { return opset_; }
  const std::string& layer_path() const override { return scope_; }
  size_t num_inputs() const override { return inputs_.size(); }
  const std::string& input(size_t i) const override { return inputs_.at(i); }
  int64_t input_width(size_t i) const override { return input_widths_.at(i); }
  int64_t output_width() const override { return node_ != nullptr ? node_->width : 0; }

  std::string parameter(std::string_view local_name) override {
    if (node_ == nullptr) throw Error("ONNX export: no layer is being lowered");
    const std::string name = node_->path + "/" + std::string(local_name);
    if (params_.count(name) != 0) return name;
    const nn::TensorInfo* info = policy_.model().find_parameter(name);
    if (info == nullptr) {
      throw Error("ONNX export: layer \"" + node_->path + "\" has no parameter \"" +
                  std::string(local_name) + "\"");
    }
    params_.insert(name);
    return float_initializer(name, policy_.model().parameter(name), info->shape);
  }

  std::string constant(std::string_view hint, std::span<const float> values,
                       std::vector<int64_t> shape) override {
    const std::string name = fresh(scope_ + "/" + std::string(hint));
    names_.erase(name);
    return float_initializer(name, values, shape);
  }
  std::string constant(std::string_view hint, std::span<const int64_t> values,
                       std::vector<int64_t> shape) override {
    const std::string name = fresh(scope_ + "/" + std::string(hint));
    names_.erase(name);
    check_size(name, values.size(), shape);
    return initializer(name, onnx::TensorProto::INT64, values.data(),
                       values.size() * sizeof(int64_t), shape);
  }

  std::vector<std::string> add_node(std::string_view op_type, std::vector<std::string> inputs,
                                    std::vector<OnnxAttribute> attributes,
                                    size_t num_outputs) override {
    std::vector<std::string> outputs;
    for (size_t i = 0; i < num_outputs; ++i) {
      outputs.push_back(fresh(scope_ + "/" + std::string(op_type) +
                              (num_outputs > 1 ? ":" + std::to_string(i) : "")));
    }
    add_node_with_outputs(op_type, inputs, attributes, outputs);
    return outputs;
  }

  // A node writing to the given (already reserved or graph-output) names.
  void add_node_with_outputs(std::string_view op_type, const std::vector<std::string>& inputs,
                             const std::vector<OnnxAttribute>& attributes,
                             const std::vector<std::string>& outputs) {
    onnx::NodeProto* n = graph_->add_node();
    n->set_op_type(std::string(op_type));
    n->set_name(fresh(scope_ + "/" + std::string(op_type) + "_node"));
    for (const auto& in : inputs) n->add_input(in);
    for (const auto& out : outputs) n->add_output(out);
    for (const OnnxAttribute& a : attributes) {
      onnx::AttributeProto* p = n->add_attribute();
      p->set_name(a.name);
      if (const auto* i = std::get_if<int64_t>(&a.value)) {
        p->set_type(onnx::AttributeProto::INT);
        p->set_i(*i);
      } else if (const auto* f = std::get_if<float>(&a.value)) {
        p->set_type(onnx::AttributeProto::FLOAT);
        p->set_f(*f);
      } else if (const auto* s = std::get_if<std::string>(&a.value)) {
        p->set_type(onnx::AttributeProto::STRING);
        p->set_s(*s);
      } else if (const auto* is = std::get_if<std::vector<int64_t>>(&a.value)) {
        p->set_type(onnx::AttributeProto::INTS);
        for (int64_t v : *is) p->add_ints(v);
      } else if (const auto* fs = std::get_if<std::vector<float>>(&a.value)) {
        p->set_type(onnx::AttributeProto::FLOATS);
        for (float v : *fs) p->add_floats(v);
      }
    }
  }

  std::string node1(std::string_view op, std::vector<std::string> inputs,
                    std::vector<OnnxAttribute> attributes = {}) {
    return add_node(op, std::move(inputs), std::move(attributes), 1)[0];
  }

 private:
  static void check_size(const std::string& name, size_t n, const std::vector<int64_t>& shape) {
    if (n != nn::shape_numel(shape)) {
      throw Error("ONNX export: constant \"" + name + "\" has " + std::to_string(n) +
                  " values but shape " + nn::shape_string(shape));
    }
  }

  onnx::GraphProto* graph_;
  int opset_;
  const Policy& policy_;
  std::set<std::string> names_;
  std::set<std::string> params_;
  std::string scope_;
  const GraphNode* node_ = nullptr;
  std::vector<std::string> inputs_;
  std::vector<int64_t> input_widths_;
};

// --- Built-in layers ---------------------------------------------------------------

std::string lower_activation(OnnxGraph& g, const Activation& act, const std::string& x) {
  using Kind = Activation::Kind;
  switch (act.kind) {
    case Kind::kIdentity:
      return x;
    case Kind::kTanh:
      return g.node1("Tanh", {x});
    case Kind::kRelu:
      return g.node1("Relu", {x});
    case Kind::kSigmoid:
      return g.node1("Sigmoid", {x});
    case Kind::kElu:
      return g.node1("Elu", {x}, {{"alpha", static_cast<float>(act.alpha)}});
    case Kind::kLeakyRelu:
      return g.node1("LeakyRelu", {x}, {{"alpha", static_cast<float>(act.negative_slope)}});
    case Kind::kSilu: {
      // x / (1 + exp(-x)), cairn's formula.
      const std::string e = g.node1("Exp", {g.node1("Neg", {x})});
      return g.node1("Div", {x, g.node1("Add", {e, g.scalar("one", 1.0f)})});
    }
    case Kind::kGelu: {
      // x * 0.5 * (1 + erf(x / sqrt(2))), exact erf form.
      const std::string erf =
          g.node1("Erf", {g.node1("Mul", {x, g.scalar("sqrt1_2", static_cast<float>(M_SQRT1_2))})});
      const std::string half_x = g.node1("Mul", {x, g.scalar("half", 0.5f)});
      return g.node1("Mul", {half_x, g.node1("Add", {erf, g.scalar("one", 1.0f)})});
    }
    case Kind::kSoftplus: {
      // x where beta * x > threshold, else log(1 + exp(beta * x)) / beta.
      const float beta = static_cast<float>(act.beta);
      const float threshold = static_cast<float>(act.threshold);
      const std::string bx = beta == 1.0f ? x : g.node1("Mul", {x, g.scalar("beta", beta)});
      std::string soft =
          g.node1("Log", {g.node1("Add", {g.node1("Exp", {bx}), g.scalar("one", 1.0f)})});
      if (beta != 1.0f) soft = g.node1("Div", {soft, g.scalar("beta", beta)});
      const std::string above = g.node1("Greater", {bx, g.scalar("threshold", threshold)});
      return g.node1("Where", {above, x, soft});
    }
  }
  throw Error("ONNX export: unknown activation " + std::string(act.name()));
}

std::string lower_builtin(OnnxGraph& g, const GraphNode& node) {
  const nn::Layer<float>* layer = node.layer.get();
  if (const auto* dense = dynamic_cast<const nn::Dense<float>*>(layer)) {
    const std::string y = g.node1("MatMul", {g.input(0), g.parameter("kernel")});
    const std::string z = g.node1("Add", {y, g.parameter("bias")});
    return lower_activation(g, dense->activation(), z);
  }
  if (const auto* act = dynamic_cast<const nn::ActivationLayer<float>*>(layer)) {
    if (act->activation().kind == Activation::Kind::kIdentity)
      return g.node1("Identity", {g.input(0)});
    return lower_activation(g, act->activation(), g.input(0));
  }
  if (dynamic_cast<const nn::LayerNorm<float>*>(layer) != nullptr) {
    const float eps = static_cast<float>(layer->config().at("eps").get<double>());
    if (g.opset() >= 17) {
      return g.node1("LayerNormalization", {g.input(0), g.parameter("gain"), g.parameter("bias")},
                     {{"axis", int64_t{-1}}, {"epsilon", eps}});
    }
    // cairn's formula: xhat = (x - mean) / sqrt(var + eps) (biased var); y = xhat * gain + bias.
    const std::vector<OnnxAttribute> reduce = {{"axes", std::vector<int64_t>{-1}},
                                               {"keepdims", int64_t{1}}};
    const std::string mean = g.node1("ReduceMean", {g.input(0)}, reduce);
    const std::string d = g.node1("Sub", {g.input(0), mean});
    const std::string var = g.node1("ReduceMean", {g.node1("Mul", {d, d})}, reduce);
    const std::string rstd = g.node1(
        "Div",
        {g.scalar("one", 1.0f), g.node1("Sqrt", {g.node1("Add", {var, g.scalar("eps", eps)})})});
    const std::string xhat = g.node1("Mul", {d, rstd});
    return g.node1("Add", {g.node1("Mul", {xhat, g.parameter("gain")}), g.parameter("bias")});
  }
  if (dynamic_cast<const nn::Concat<float>*>(layer) != nullptr) {
    std::vector<std::string> inputs;
    for (size_t i = 0; i < g.num_inputs(); ++i) inputs.push_back(g.input(i));
    if (inputs.size() == 1) return g.node1("Identity", inputs);
    return g.node1("Concat", inputs, {{"axis", int64_t{1}}});
  }
  throw Error("ONNX export: " + export_detail::describe_layer(node) +
              " cannot be lowered: it is not a built-in layer and its lowering() returns "
              "nullptr (give the layer a cairn::nn::LayerLowering with lower_onnx(), see "
              "cairn/export/layer_lowering.h)");
}

// --- Recurrent layers ------------------------------------------------------------------

// Columns [begin, end) of a [batch, k] tensor.
std::string slice_columns(OnnxGraph& g, const std::string& x, int64_t begin, int64_t end) {
  const int64_t starts[] = {begin}, ends[] = {end}, axes[] = {1};
  return g.node1("Slice", {x, g.constant("starts", std::span<const int64_t>(starts), {1}),
                           g.constant("ends", std::span<const int64_t>(ends), {1}),
                           g.constant("axes", std::span<const int64_t>(axes), {1})});
}

// One step of an LSTM or GRU layer (nn/recurrent_layers.h's equations, gates side by side
// in cairn's order) as MatMul/Add/Sigmoid/Tanh/Mul/Slice nodes. `state` is the layer's
// part of the state before the step ([batch, 2H] = [h, c] or [batch, H] = [h], already
// reset at episode starts). Returns the output h' and appends the state after the step
// to `state_after`.
std::string lower_recurrent(OnnxGraph& g, const nn::RecurrentLayer<float>& layer,
                            const std::string& state, std::vector<std::string>& state_after) {
  const int64_t h = layer.units();
  const std::string x_product =
      g.node1("Add", {g.node1("MatMul", {g.input(0), g.parameter("kernel")}), g.parameter("bias")});
  if (layer.cell() == nn::RecurrentCell::kLstm) {
    const std::string h_prev = slice_columns(g, state, 0, h);
    const std::string c_prev = slice_columns(g, state, h, 2 * h);
    std::string a =
        g.node1("Add", {x_product, g.node1("MatMul", {h_prev, g.parameter("recurrent_kernel")})});
    a = g.node1("Add", {a, g.parameter("recurrent_bias")});
    const std::string i_f = g.node1("Sigmoid", {slice_columns(g, a, 0, 2 * h)});
    const std::string gate_g = g.node1("Tanh", {slice_columns(g, a, 2 * h, 3 * h)});
    const std::string gate_o = g.node1("Sigmoid", {slice_columns(g, a, 3 * h, 4 * h)});
    const std::string gate_i = slice_columns(g, i_f, 0, h);
    const std::string gate_f = slice_columns(g, i_f, h, 2 * h);
    const std::string c =
        g.node1("Add", {g.node1("Mul", {gate_f, c_prev}), g.node1("Mul", {gate_i, gate_g})});
    const std::string out = g.node1("Mul", {gate_o, g.node1("Tanh", {c})});
    state_after.push_back(out);
    state_after.push_back(c);
    return out;
  }
  const std::string h_prev = state;
  const std::string h_product =
      g.node1("Add", {g.node1("MatMul", {h_prev, g.parameter("recurrent_kernel")}),
                      g.parameter("recurrent_bias")});
  const std::string rz =
      g.node1("Sigmoid", {g.node1("Add", {slice_columns(g, x_product, 0, 2 * h),
                                          slice_columns(g, h_product, 0, 2 * h)})});
  const std::string r = slice_columns(g, rz, 0, h);
  const std::string z = slice_columns(g, rz, h, 2 * h);
  const std::string n = g.node1(
      "Tanh", {g.node1("Add", {slice_columns(g, x_product, 2 * h, 3 * h),
                               g.node1("Mul", {r, slice_columns(g, h_product, 2 * h, 3 * h)})})});
  const std::string out =
      g.node1("Add", {g.node1("Mul", {g.node1("Sub", {g.scalar("one", 1.0f), z}), n}),
                      g.node1("Mul", {z, h_prev})});
  state_after.push_back(out);
  return out;
}

// --- Model assembly ------------------------------------------------------------------

void add_value_info(onnx::ValueInfoProto* v, const std::string& name, int32_t elem_type,
                    int64_t columns, const std::string& doc) {
  v->set_name(name);
  v->set_doc_string(doc);
  onnx::TypeProto_Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem_type);
  t->mutable_shape()->add_dim()->set_dim_param("batch");
  t->mutable_shape()->add_dim()->set_dim_value(columns);
}

void add_metadata(onnx::ModelProto& m, const std::string& key, const std::string& value) {
  onnx::StringStringEntryProto* p = m.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

onnx::ModelProto build_model(const Policy& policy, const OnnxExportOptions& options) {
  const int max_opset = max_known_opset();
  if (options.opset < kMinOpset || options.opset > max_opset) {
    throw Error("ONNX export: opset " + std::to_string(options.opset) + " is not supported (from " +
                std::to_string(kMinOpset) + " to " + std::to_string(max_opset) +
                ", the newest the linked ONNX library knows)");
  }
  const PolicyGraph pg = export_detail::build_policy_graph(policy);
  const Space& obs_space = policy.observation_space();
  const Space& act_space = policy.action_space();
  const auto& dist = policy.distribution();
  const PolicyHead head = policy.head();
  const bool gaussian = !policy.log_std().empty();  // the stochastic Gaussian
  const bool squashed = head == PolicyHead::kSquashedGaussian || head == PolicyHead::kDeterministic;
  const auto obs_size = static_cast<int64_t>(policy.observation_size());
  const auto action_size = static_cast<int64_t>(policy.action_size());

  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("cairn");
  model.set_producer_version(CAIRN_VERSION_STRING);
  model.set_domain("ai.cairn");
  model.set_model_version(1);
  model.set_doc_string("A cairn policy (" + to_string(head) +
                       " head): raw observation -> preprocessing -> model -> deterministic action, "
                       "distribution inputs" +
                       (policy.has_value() ? std::string(" and value") : std::string()) +
                       ". Observation space " + obs_space.to_string() + ", action space " +
                       act_space.to_string() + ".");
  onnx::OperatorSetIdProto* op = model.add_opset_import();
  op->set_domain("");
  op->set_version(options.opset);
  add_metadata(model, "cairn_version", CAIRN_VERSION_STRING);
  add_metadata(model, "observation_space", obs_space.to_json().dump());
  add_metadata(model, "action_space", act_space.to_json().dump());
  add_metadata(model, "head", to_string(head));
  add_metadata(model, "distribution", dist.to_json().dump());
  add_metadata(model, "policy_options", policy.options().to_json().dump());
  add_metadata(model, "source_checkpoint", options.source_checkpoint);

  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("cairn_policy");
  graph->set_doc_string(model.doc_string());
  OnnxGraph g(graph, options.opset, policy);
  for (const char* name : {"obs", "action", "dist_inputs", "log_std", "value"})
    g.reserve_name(name);
  const auto state_size = static_cast<int64_t>(policy.state_size());
  if (state_size > 0) {
    for (const char* name : {"state_in", "episode_start", "state_out"}) g.reserve_name(name);
  }

  // --- Inputs and outputs ---
  add_value_info(graph->add_input(), "obs", onnx::TensorProto::FLOAT, obs_size,
                 "Raw observations, one per row: " + obs_space.to_string() +
                     (obs_space.is_integer() ? " values as exact floats" : "") + ".");
  if (state_size > 0) {
    add_value_info(graph->add_input(), "state_in", onnx::TensorProto::FLOAT, state_size,
                   "Each episode's state before this step (state_out of its previous step; "
                   "zeros, or anything, at an episode start): the recurrent layers' states side "
                   "by side in layer order, an LSTM's as [h, c].");
    onnx::ValueInfoProto* start = graph->add_input();
    start->set_name("episode_start");
    start->set_doc_string(
        "1 where the row's episode starts with this observation (its state_in is replaced by "
        "zeros), else 0; float32, any nonzero value counts as a start.");
    onnx::TypeProto_Tensor* t = start->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_param("batch");
  }
  std::string action_doc, dist_doc;
  switch (head) {
    case PolicyHead::kStochastic:
      action_doc = act_space.is_integer()
                       ? "Deterministic action: argmax of each categorical plus the space's "
                         "start (env values of " +
                             act_space.to_string() + ")."
                       : "Deterministic action: the Gaussian mean clipped to the bounds of " +
                             act_space.to_string() + ".";
      dist_doc =
          gaussian ? "Gaussian means (unclipped)." : "Logits of each categorical, concatenated.";
      break;
    case PolicyHead::kSquashedGaussian:
      action_doc =
          "Deterministic action: low + (tanh(mean) + 1) / 2 * (high - low), clipped to "
          "the bounds of " +
          act_space.to_string() + ".";
      dist_doc = "The actor's output: means, then log-stds (before clamping).";
      break;
    case PolicyHead::kDeterministic:
      action_doc =
          "Deterministic action: low + (tanh(pi) + 1) / 2 * (high - low), clipped to the "
          "bounds of " +
          act_space.to_string() + ".";
      dist_doc = "The actor's output before tanh.";
      break;
    case PolicyHead::kGreedyQ:
      action_doc =
          "Greedy action: argmax of the Q-values (first on ties) plus the space's start "
          "(env values of " +
          act_space.to_string() + ").";
      dist_doc = "Q-values, one per action.";
      break;
  }
  add_value_info(graph->add_output(), "action",
                 act_space.is_integer() ? onnx::TensorProto::INT64 : onnx::TensorProto::FLOAT,
                 action_size, action_doc);
  add_value_info(graph->add_output(), "dist_inputs", onnx::TensorProto::FLOAT,
                 static_cast<int64_t>(policy.head_output_size()), dist_doc);
  if (gaussian) {
    add_value_info(graph->add_output(), "log_std", onnx::TensorProto::FLOAT,
                   static_cast<int64_t>(dist.action_dim()),
                   "The state-independent log standard deviations, repeated per row.");
  }
  if (policy.has_value()) {
    add_value_info(graph->add_output(), "value", onnx::TensorProto::FLOAT, 1,
                   "Value estimate V(obs).");
  }
  if (state_size > 0) {
    add_value_info(graph->add_output(), "state_out", onnx::TensorProto::FLOAT, state_size,
                   "Each episode's state after this step, laid out as state_in: feed it back as "
                   "the next step's state_in.");
  }

  // --- Preprocessing ---
  g.enter("preprocessor", nullptr, {}, {});
  std::string features = "obs";
  if (obs_space.is_integer()) {
    // One-hot: gather each flat position's element, compare with the value it stands for.
    std::vector<int64_t> element;
    std::vector<float> value;
    for (size_t e = 0; e < obs_space.size(); ++e) {
      for (int64_t k = 0; k < obs_space.nvec()[e]; ++k) {
        element.push_back(static_cast<int64_t>(e));
        value.push_back(static_cast<float>(obs_space.start()[e] + k));
      }
    }
    const auto flat = static_cast<int64_t>(element.size());
    const std::string gathered = g.node1(
        "Gather", {"obs", g.constant("onehot_element", std::span<const int64_t>(element), {flat})},
        {{"axis", int64_t{1}}});
    const std::string eq = g.node1(
        "Equal", {gathered, g.constant("onehot_value", std::span<const float>(value), {flat})});
    features = g.node1("Cast", {eq}, {{"to", int64_t{onnx::TensorProto::FLOAT}}});
  } else if (const RunningMeanStd* stats = policy.observation_statistics()) {
    const std::string mean =
        g.float_initializer("preprocessor/obs_mean", stats->mean_f32(), {obs_size});
    const std::string stdev =
        g.float_initializer("preprocessor/obs_std", stats->std_f32(), {obs_size});
    const std::string z = g.node1("Div", {g.node1("Sub", {"obs", mean}), stdev});
    features = g.node1(
        "Clip", {z, g.scalar("clip_min", -stats->clip()), g.scalar("clip_max", stats->clip())});
  }

  // --- State: reset to zeros where an episode starts ---
  std::string state;
  std::vector<std::vector<std::string>> state_after(policy.state_layout().size());
  if (state_size > 0) {
    g.enter("state", nullptr, {}, {});
    const std::string carried =
        options.testing_ignore_state_in
            ? g.node1("Mul", {"state_in", g.scalar("zero", 0.0f)})  // the negative test's bug
            : std::string("state_in");
    const int64_t axes[] = {1};
    const std::string keep =
        g.node1("Unsqueeze", {g.node1("Equal", {"episode_start", g.scalar("zero", 0.0f)}),
                              g.constant("axes", std::span<const int64_t>(axes), {1})});
    state = g.node1("Where", {keep, carried, g.scalar("zero", 0.0f)});
  }

  // --- Model ---
  std::vector<std::string> node_output(pg.nodes.size());
  for (size_t i = 0; i < pg.nodes.size(); ++i) {
    const GraphNode& node = pg.nodes[i];
    std::vector<std::string> inputs;
    std::vector<int64_t> widths;
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const int in = node.inputs[k];
      inputs.push_back(in < 0 ? features : node_output[static_cast<size_t>(in)]);
      widths.push_back(pg.input_width(node, k, static_cast<int64_t>(policy.feature_size())));
    }
    g.enter(node.path, &node, inputs, widths);
    try {
      if (const auto* rnn = dynamic_cast<const nn::RecurrentLayer<float>*>(node.layer.get())) {
        const size_t index = export_detail::state_slice_index(policy, node);
        const nn::StateSlice& slice = policy.state_layout()[index];
        node_output[i] = lower_recurrent(
            g, *rnn, slice_columns(g, state, slice.offset, slice.offset + slice.size),
            state_after[index]);
      } else if (const nn::LayerLowering* lowering = node.layer->lowering()) {
        std::optional<std::string> out = lowering->lower_onnx(g);
        if (!out) {
          throw Error("ONNX export: " + export_detail::describe_layer(node) +
                      " cannot be lowered: its LayerLowering has no ONNX lowering");
        }
        node_output[i] = *out;
      } else {
        node_output[i] = lower_builtin(g, node);
      }
    } catch (const Error& e) {
      const std::string what = e.what();
      if (what.find(node.path) != std::string::npos) throw;
      throw Error("ONNX export: " + export_detail::describe_layer(node) + ": " + what);
    }
  }

  if (state_size > 0) {
    g.enter("state", nullptr, {}, {});
    std::vector<std::string> parts;
    for (const auto& layer_parts : state_after) {
      if (layer_parts.empty())
        throw Error("ONNX export: a recurrent layer's state is not computed");
      parts.insert(parts.end(), layer_parts.begin(), layer_parts.end());
    }
    g.add_node_with_outputs(parts.size() == 1 ? "Identity" : "Concat", parts,
                            parts.size() == 1 ? std::vector<OnnxAttribute>{}
                                              : std::vector<OnnxAttribute>{{"axis", int64_t{1}}},
                            {"state_out"});
  }

  // --- Heads ---
  g.enter("heads", nullptr, {}, {});
  const std::string& pi = node_output[pg.pi];
  g.add_node_with_outputs("Identity", {pi}, {}, {"dist_inputs"});
  if (pg.has_vf) g.add_node_with_outputs("Identity", {node_output[pg.vf]}, {}, {"value"});
  if (dist.is_discrete()) {
    std::vector<std::string> argmaxes;
    int64_t offset = 0;
    for (int64_t n : dist.categories()) {
      std::string logits = pi;
      if (dist.categories().size() > 1) {
        const int64_t starts[] = {offset}, ends[] = {offset + n}, axes[] = {1};
        logits = g.node1("Slice", {pi, g.constant("starts", std::span<const int64_t>(starts), {1}),
                                   g.constant("ends", std::span<const int64_t>(ends), {1}),
                                   g.constant("axes", std::span<const int64_t>(axes), {1})});
      }
      argmaxes.push_back(g.node1(
          "ArgMax", {logits},
          {{"axis", int64_t{1}}, {"keepdims", int64_t{1}}, {"select_last_index", int64_t{0}}}));
      offset += n;
    }
    const std::string indices =
        argmaxes.size() == 1 ? argmaxes[0] : g.node1("Concat", argmaxes, {{"axis", int64_t{1}}});
    const std::string start =
        g.constant("start", std::span<const int64_t>(act_space.start()), {action_size});
    g.add_node_with_outputs("Add", {indices, start}, {}, {"action"});
  } else {
    std::string a = pi;
    const auto& low = act_space.low();
    const auto& high = act_space.high();
    if (squashed) {
      // to_bounds(tanh(mean)) with SquashedGaussian's float operations, in its order:
      // low + (a + 1) / 2 * (high - low).
      if (head == PolicyHead::kSquashedGaussian) {
        const int64_t starts[] = {0}, ends[] = {action_size}, axes[] = {1};
        a = g.node1("Slice", {pi, g.constant("mean_start", std::span<const int64_t>(starts), {1}),
                              g.constant("mean_end", std::span<const int64_t>(ends), {1}),
                              g.constant("mean_axes", std::span<const int64_t>(axes), {1})});
      }
      std::vector<float> range(low.size());
      for (size_t j = 0; j < low.size(); ++j) range[j] = high[j] - low[j];
      a = g.node1("Tanh", {a});
      a = g.node1("Add", {a, g.scalar("one", 1.0f)});
      a = g.node1("Div", {a, g.scalar("two", 2.0f)});
      a = g.node1("Mul", {a, g.constant("range", std::span<const float>(range), {action_size})});
      a = g.node1("Add", {g.constant("low_bound", std::span<const float>(low), {action_size}), a});
    }
    const auto all = [](const std::vector<float>& v, auto pred) {
      return std::all_of(v.begin(), v.end(), pred);
    };
    if (!all(high, [](float h) { return std::isinf(h) && h > 0; })) {
      a = g.node1("Min", {a, g.constant("high", std::span<const float>(high), {action_size})});
    }
    if (!all(low, [](float l) { return std::isinf(l) && l < 0; })) {
      a = g.node1("Max", {a, g.constant("low", std::span<const float>(low), {action_size})});
    }
    g.add_node_with_outputs("Identity", {a}, {}, {"action"});
  }
  if (gaussian) {
    // log_std repeated per row: Expand([1, d] -> [batch, d]).
    const auto d = static_cast<int64_t>(dist.action_dim());
    const std::string log_std = g.float_initializer("policy/log_std", policy.log_std(), {1, d});
    const int64_t zero[] = {0}, one[] = {1}, width[] = {d};
    const std::string batch =
        g.node1("Slice", {g.node1("Shape", {"obs"}),
                          g.constant("batch_start", std::span<const int64_t>(zero), {1}),
                          g.constant("batch_end", std::span<const int64_t>(one), {1})});
    const std::string shape =
        g.node1("Concat", {batch, g.constant("width", std::span<const int64_t>(width), {1})},
                {{"axis", int64_t{0}}});
    g.add_node_with_outputs("Expand", {log_std, shape}, {}, {"log_std"});
  }

  // --- Full check: the checker, then strict shape inference with type checks ---
  try {
    onnx::checker::check_model(model);
    onnx::ModelProto inferred = model;
    onnx::ShapeInferenceOptions strict(/*check_type_val=*/true, /*strict_mode_val=*/1,
                                       /*data_prop_val=*/true);
    onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(), strict);
  } catch (const std::exception& e) {
    throw Error(std::string("ONNX export: the ONNX checker rejects the exported model: ") +
                e.what());
  }
  return model;
}

std::filesystem::path record_path(const std::filesystem::path& path) {
  return std::filesystem::path(path.string() + ".verification.json");
}

ExportVerification run_verification(const Policy& policy, const std::filesystem::path& path,
                                    const OnnxExportOptions& options) {
  const export_detail::VerificationInputs inputs =
      export_detail::verification_observations(policy, options.verification);
  ExportVerification v =
      export_detail::start_verification("onnx", {path}, inputs, options.verification);
  const export_detail::OnnxRunOutcome run =
      export_detail::run_onnx_policy(policy, path, inputs, options.runtime);
  v.runtime = run.runtime;
  switch (run.kind) {
    case export_detail::OnnxRunOutcome::Kind::kUnavailable:
      v.status = VerificationStatus::kUnverified;
      v.reason = run.message;
      break;
    case export_detail::OnnxRunOutcome::Kind::kFailed:
      v.status = VerificationStatus::kFailed;
      v.reason = run.message;
      break;
    case export_detail::OnnxRunOutcome::Kind::kOk:
      export_detail::compare_outputs(policy, export_detail::reference_outputs(policy, inputs),
                                     run.outputs, options.verification.tolerance, v);
      break;
  }
  export_detail::write_record(v, record_path(path));
  return v;
}

}  // namespace

std::string onnx_model_bytes(const Policy& policy, const OnnxExportOptions& options) {
  const onnx::ModelProto model = build_model(policy, options);
  std::string bytes;
  if (!model.SerializeToString(&bytes)) throw Error("ONNX export: cannot serialize the model");
  return bytes;
}

ExportVerification export_onnx(const Policy& policy, const std::filesystem::path& path,
                               const OnnxExportOptions& options) {
  // Check the verification options before writing anything.
  (void)export_detail::verification_observations(policy, options.verification);
  const std::string bytes = onnx_model_bytes(policy, options);
  try {
    write_file_atomically(path, bytes);
  } catch (const Error& e) {
    throw Error("ONNX export: cannot write " + path.string() + ": " + e.what());
  }
  ExportVerification v = run_verification(policy, path, options);
  export_detail::enforce(v, options.require_verification, "ONNX export of " + path.string());
  return v;
}

ExportVerification verify_onnx(const Policy& policy, const std::filesystem::path& path,
                               const OnnxExportOptions& options) {
  return run_verification(policy, path, options);
}

}  // namespace cairn
