#include "cairn/export/c_export.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cairn/error.h"
#include "cairn/export/layer_lowering.h"
#include "cairn/io/atomic_file.h"
#include "cairn/nn/layers.h"
#include "cairn/nn/recurrent_layers.h"
#include "cairn/policy/policy.h"
#include "export/child_process.h"
#include "export/policy_graph.h"
#include "export/verification_run.h"

namespace cairn {

namespace nn {

std::string c_float_literal(float value) {
  if (std::isnan(value)) return "NAN";
  if (std::isinf(value)) return value > 0 ? "HUGE_VALF" : "(-HUGE_VALF)";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%af", static_cast<double>(value));
  return buf;
}

}  // namespace nn

namespace {

using export_detail::GraphNode;
using export_detail::PolicyGraph;
using nn::Activation;
using nn::c_float_literal;

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

bool is_c_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string lit(float v) {
  return c_float_literal(v);
}

std::string int_literal(int64_t v) {
  return v < 0 ? "(" + std::to_string(v) + "LL)" : std::to_string(v) + "LL";
}

// A `static const float` array definition with 8 literals per line.
std::string float_array(const std::string& storage, const std::string& name,
                        std::span<const float> values, const std::string& comment) {
  std::string s = "/* " + comment + " */\n" + storage + "const float " + name + "[" +
                  std::to_string(values.size()) + "] = {";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i % 8 == 0) s += "\n   ";
    s += " " + lit(values[i]) + (i + 1 < values.size() ? "," : "");
  }
  return s + "\n};\n\n";
}

// The code of the policy function body, and the parameter arrays it uses.
class CProgram {
 public:
  explicit CProgram(const Policy& policy) : policy_(policy) {}

  std::string fresh(const std::string& hint) {
    std::string name = sanitize(hint);
    for (int k = 1; names_.count(name) != 0; ++k) name = sanitize(hint) + "_" + std::to_string(k);
    names_.insert(name);
    return name;
  }

  // The static array of a model parameter, emitted once.
  std::string parameter(const std::string& full_name) {
    if (auto it = param_arrays_.find(full_name); it != param_arrays_.end()) return it->second;
    const nn::TensorInfo* info = policy_.model().find_parameter(full_name);
    if (info == nullptr) return "";
    const std::string name = fresh("w" + std::to_string(param_arrays_.size()) + "_" + full_name);
    param_arrays_[full_name] = name;
    arrays_ += float_array("static ", name, policy_.model().parameter(full_name),
                           full_name + " " + nn::shape_string(info->shape));
    return name;
  }
  // A static array of constants.
  std::string constant(const std::string& hint, std::span<const float> values,
                       const std::string& comment) {
    const std::string name = fresh(hint);
    arrays_ += float_array("static ", name, values, comment);
    return name;
  }
  void raw_array(const std::string& text) { arrays_ += text; }

  // The name of the generated tanh function (emitted once, only when used).
  std::string use_tanh() {
    need_tanh_ = true;
    return "cairn_tanhf_";
  }
  // Helper functions the body uses (static, so each file has its own).
  std::string helpers() const {
    if (!need_tanh_) return "";
    // Eigen's float tanh (Eigen/src/Core/MathFunctionsImpl.h, generic_fast_tanh_float,
    // MPL-2.0): the rational approximation cairn's engine computes, so the C follows the
    // policy closely, does not depend on the C library's tanhf and vectorises.
    return "/* tanh as cairn's engine computes it (Eigen's rational approximation, clamped\n"
           " * at +-7.9053111; inputs below 4e-4 in magnitude are returned as is). */\n"
           "static float cairn_tanhf_(float a) {\n"
           "  const float x = a > 7.90531110763549805f ? 7.90531110763549805f\n"
           "                : (a < -7.90531110763549805f ? -7.90531110763549805f : a);\n"
           "  const float x2 = x * x;\n"
           "  float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;\n"
           "  float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;\n"
           "  p = x2 * p + -8.60467152213735e-11f;\n"
           "  p = x2 * p + 5.12229709037114e-08f;\n"
           "  p = x2 * p + 1.48572235717979e-05f;\n"
           "  p = x2 * p + 6.37261928875436e-04f;\n"
           "  p = x2 * p + 4.89352455891786e-03f;\n"
           "  p = x * p;\n"
           "  q = x2 * q + 2.26843463243900e-03f;\n"
           "  q = x2 * q + 4.89352518554385e-03f;\n"
           "  return fabsf(a) < 0.0004f ? x : p / q;\n"
           "}\n\n";
  }

  void line(const std::string& code) { body_ += std::string(indent_, ' ') + code + "\n"; }
  void open(const std::string& code) {
    line(code);
    indent_ += 2;
  }
  void close(const std::string& code = "}") {
    indent_ -= 2;
    line(code);
  }

  const std::string& arrays() const { return arrays_; }
  const std::string& body() const { return body_; }

 private:
  const Policy& policy_;
  std::set<std::string> names_;
  std::map<std::string, std::string> param_arrays_;
  std::string arrays_, body_;
  int indent_ = 2;
  bool need_tanh_ = false;
};

// The CLayerWriter handed to a layer's lowering (built-in or custom).
class CLayer final : public nn::CLayerWriter {
 public:
  CLayer(CProgram& program, const GraphNode& node, std::vector<std::string> inputs,
         std::vector<int64_t> widths, std::string output)
      : program_(program),
        node_(node),
        inputs_(std::move(inputs)),
        widths_(std::move(widths)),
        output_(std::move(output)) {}

  const std::string& layer_path() const override { return node_.path; }
  size_t num_inputs() const override { return inputs_.size(); }
  const std::string& input(size_t i) const override { return inputs_.at(i); }
  int64_t input_width(size_t i) const override { return widths_.at(i); }
  const std::string& output() const override { return output_; }
  int64_t output_width() const override { return node_.width; }
  std::string parameter(std::string_view local_name) override {
    const std::string name = program_.parameter(node_.path + "/" + std::string(local_name));
    if (name.empty()) {
      throw Error("C export: layer \"" + node_.path + "\" has no parameter \"" +
                  std::string(local_name) + "\"");
    }
    return name;
  }
  std::string local_name(std::string_view hint) override {
    return program_.fresh(std::string(hint));
  }
  void line(std::string_view code) override { program_.line(std::string(code)); }

 private:
  CProgram& program_;
  const GraphNode& node_;
  std::vector<std::string> inputs_;
  std::vector<int64_t> widths_;
  std::string output_;
};

// The C expression of activation `act` applied to the float variable `v`.
std::string activation_expr(CProgram& program, const Activation& act, const std::string& v) {
  using Kind = Activation::Kind;
  switch (act.kind) {
    case Kind::kIdentity:
      return v;
    case Kind::kTanh:
      return program.use_tanh() + "(" + v + ")";
    case Kind::kRelu:
      return "(" + v + " > 0.0f ? " + v + " : 0.0f)";
    case Kind::kElu:
      return "(" + v + " > 0.0f ? " + v + " : " + lit(static_cast<float>(act.alpha)) +
             " * expm1f(" + v + "))";
    case Kind::kSilu:
      return v + " / (1.0f + expf(-" + v + "))";
    case Kind::kGelu:
      return v + " * 0.5f * (1.0f + erff(" + v + " * " + lit(static_cast<float>(M_SQRT1_2)) + "))";
    case Kind::kSigmoid:
      return "1.0f / (1.0f + expf(-" + v + "))";
    case Kind::kSoftplus: {
      const std::string beta = lit(static_cast<float>(act.beta));
      return "(" + v + " * " + beta + " > " + lit(static_cast<float>(act.threshold)) + " ? " + v +
             " : log1pf(expf(" + v + " * " + beta + ")) / " + beta + ")";
    }
    case Kind::kLeakyRelu:
      return "(" + v + " > 0.0f ? " + v + " : " + v + " * " +
             lit(static_cast<float>(act.negative_slope)) + ")";
  }
  throw Error("C export: unknown activation " + std::string(act.name()));
}

// One step of an LSTM or GRU layer (nn/recurrent_layers.h), reading the layer's state
// before the step at `state + offset` (already reset at an episode start) and writing the
// state after it at `next_state + offset`.
void lower_recurrent(CProgram& program, CLayer& c, const nn::RecurrentLayer<float>& layer,
                     int64_t offset) {
  const std::string& y = c.output();
  const int64_t h = layer.units();
  const std::string H = std::to_string(h), W = std::to_string(layer.gates() * h);
  const std::string in = std::to_string(c.input_width(0));
  const std::string kernel = c.parameter("kernel"), bias = c.parameter("bias");
  const std::string rkernel = c.parameter("recurrent_kernel"),
                    rbias = c.parameter("recurrent_bias");
  const std::string sig = "1.0f / (1.0f + expf(-v))";
  const std::string tanh = program.use_tanh();
  const std::string off = std::to_string(offset);
  c.line("const float *hp = state + " + off + ";");
  c.line("float a[" + W + "];");
  c.line("/* a = x kernel + bias (every gate's input product) */");
  c.line("for (int j = 0; j < " + W + "; ++j) a[j] = 0.0f;");
  c.line("for (int i = 0; i < " + in + "; ++i) {");
  c.line("  const float xi = " + c.input(0) + "[i];");
  c.line("  const float *row = " + kernel + " + i * " + W + ";");
  c.line("  for (int j = 0; j < " + W + "; ++j) a[j] += xi * row[j];");
  c.line("}");
  c.line("for (int j = 0; j < " + W + "; ++j) a[j] += " + bias + "[j];");
  if (layer.cell() == nn::RecurrentCell::kLstm) {
    c.line("/* + h recurrent_kernel + recurrent_bias; gates i f g o */");
    c.line("for (int i = 0; i < " + H + "; ++i) {");
    c.line("  const float hi = hp[i];");
    c.line("  const float *row = " + rkernel + " + i * " + W + ";");
    c.line("  for (int j = 0; j < " + W + "; ++j) a[j] += hi * row[j];");
    c.line("}");
    c.line("for (int j = 0; j < " + W + "; ++j) a[j] += " + rbias + "[j];");
    c.line("for (int j = 0; j < " + H + "; ++j) {");
    c.line("  float v = a[j];");
    c.line("  const float ig = " + sig + ";");
    c.line("  v = a[" + H + " + j];");
    c.line("  const float fg = " + sig + ";");
    c.line("  const float gg = " + tanh + "(a[2 * " + H + " + j]);");
    c.line("  v = a[3 * " + H + " + j];");
    c.line("  const float og = " + sig + ";");
    c.line("  const float cn = fg * hp[" + H + " + j] + ig * gg;");
    c.line("  " + y + "[j] = og * " + tanh + "(cn);");
    c.line("  next_state[" + off + " + j] = " + y + "[j];");
    c.line("  next_state[" + off + " + " + H + " + j] = cn;");
    c.line("}");
    return;
  }
  c.line("/* r = h recurrent_kernel + recurrent_bias; gates r z n */");
  c.line("float r[" + W + "];");
  c.line("for (int j = 0; j < " + W + "; ++j) r[j] = " + rbias + "[j];");
  c.line("for (int i = 0; i < " + H + "; ++i) {");
  c.line("  const float hi = hp[i];");
  c.line("  const float *row = " + rkernel + " + i * " + W + ";");
  c.line("  for (int j = 0; j < " + W + "; ++j) r[j] += hi * row[j];");
  c.line("}");
  c.line("for (int j = 0; j < " + H + "; ++j) {");
  c.line("  float v = a[j] + r[j];");
  c.line("  const float rg = " + sig + ";");
  c.line("  v = a[" + H + " + j] + r[" + H + " + j];");
  c.line("  const float zg = " + sig + ";");
  c.line("  const float ng = " + tanh + "(a[2 * " + H + " + j] + rg * r[2 * " + H + " + j]);");
  c.line("  " + y + "[j] = (1.0f - zg) * ng + zg * hp[j];");
  c.line("  next_state[" + off + " + j] = " + y + "[j];");
  c.line("}");
}

void lower_builtin(CProgram& program, CLayer& c, const GraphNode& node) {
  const nn::Layer<float>* layer = node.layer.get();
  const std::string& y = c.output();
  const std::string n = std::to_string(c.output_width());
  if (const auto* dense = dynamic_cast<const nn::Dense<float>*>(layer)) {
    const std::string in = std::to_string(c.input_width(0));
    const std::string kernel = c.parameter("kernel"), bias = c.parameter("bias");
    c.line("for (int j = 0; j < " + n + "; ++j) " + y + "[j] = 0.0f;");
    c.line("for (int i = 0; i < " + in + "; ++i) {");
    c.line("  const float xi = " + c.input(0) + "[i];");
    c.line("  const float *row = " + kernel + " + i * " + n + ";");
    c.line("  for (int j = 0; j < " + n + "; ++j) " + y + "[j] += xi * row[j];");
    c.line("}");
    c.line("for (int j = 0; j < " + n + "; ++j) {");
    c.line("  const float v = " + y + "[j] + " + bias + "[j];");
    c.line("  " + y + "[j] = " + activation_expr(program, dense->activation(), "v") + ";");
    c.line("}");
    return;
  }
  if (const auto* act = dynamic_cast<const nn::ActivationLayer<float>*>(layer)) {
    c.line("for (int j = 0; j < " + n + "; ++j) {");
    c.line("  const float v = " + c.input(0) + "[j];");
    c.line("  " + y + "[j] = " + activation_expr(program, act->activation(), "v") + ";");
    c.line("}");
    return;
  }
  if (dynamic_cast<const nn::LayerNorm<float>*>(layer) != nullptr) {
    const float eps = static_cast<float>(layer->config().at("eps").get<double>());
    const float inv_n = 1.0f / static_cast<float>(c.output_width());
    const std::string x = c.input(0), gain = c.parameter("gain"), bias = c.parameter("bias");
    c.line("float mean = 0.0f, var = 0.0f, rstd;");
    c.line("for (int j = 0; j < " + n + "; ++j) mean += " + x + "[j];");
    c.line("mean *= " + lit(inv_n) + ";");
    c.line("for (int j = 0; j < " + n + "; ++j) {");
    c.line("  const float d = " + x + "[j] - mean;");
    c.line("  var += d * d;");
    c.line("}");
    c.line("var *= " + lit(inv_n) + ";");
    c.line("rstd = 1.0f / sqrtf(var + " + lit(eps) + ");");
    c.line("for (int j = 0; j < " + n + "; ++j) " + y + "[j] = (" + x + "[j] - mean) * rstd * " +
           gain + "[j] + " + bias + "[j];");
    return;
  }
  if (dynamic_cast<const nn::Concat<float>*>(layer) != nullptr) {
    int64_t offset = 0;
    for (size_t i = 0; i < c.num_inputs(); ++i) {
      c.line("for (int j = 0; j < " + std::to_string(c.input_width(i)) + "; ++j) " + y + "[" +
             std::to_string(offset) + " + j] = " + c.input(i) + "[j];");
      offset += c.input_width(i);
    }
    return;
  }
  throw Error("C export: " + export_detail::describe_layer(node) +
              " cannot be lowered: it is not a built-in layer and its lowering() returns nullptr "
              "(give the layer a cairn::nn::LayerLowering with lower_c(), see "
              "cairn/export/layer_lowering.h)");
}

struct Names {
  std::string base, macro, action_t, act, evaluate, log_std;
  std::string state_t, initial_state, step;  // recurrent policies
};

Names names_for(const std::string& base) {
  if (!is_c_identifier(base)) {
    throw Error("C export: base_name \"" + base +
                "\" is not a C identifier ([A-Za-z_][A-Za-z0-9_]*)");
  }
  return {base,
          upper(base),
          base + "_action_t",
          base + "_act",
          base + "_evaluate",
          base + "_log_std",
          base + "_state",
          base + "_initial_state",
          base + "_step"};
}

std::string header_comment(const Policy& policy, const CExportOptions& options,
                           const std::string& file) {
  std::string s = "/* " + file +
                  " -- generated by cairn " CAIRN_VERSION_STRING " from a policy; do not edit.\n";
  if (!options.source_checkpoint.empty())
    s += " * Source checkpoint: " + options.source_checkpoint + "\n";
  s += " *\n * Observation space: " + policy.observation_space().to_string() +
       "\n * Action space:      " + policy.action_space().to_string() +
       "\n * Head:              " + to_string(policy.head()) +
       (policy.head() == PolicyHead::kStochastic
            ? " (" + to_string(policy.distribution().kind()) + ")"
            : std::string()) +
       "\n";
  return s;
}

CSource generate(const Policy& policy, const CExportOptions& options) {
  const Names nm = names_for(options.base_name);
  const PolicyGraph pg = export_detail::build_policy_graph(policy);
  const Space& obs_space = policy.observation_space();
  const Space& act_space = policy.action_space();
  const auto& dist = policy.distribution();
  const PolicyHead head = policy.head();
  const bool gaussian = head == PolicyHead::kStochastic && !dist.is_discrete();
  const bool squashed = head == PolicyHead::kSquashedGaussian || head == PolicyHead::kDeterministic;
  const bool has_value = policy.has_value();
  const size_t num_dist_inputs = policy.head_output_size();
  const size_t obs_size = policy.observation_size();
  const size_t feature_size = policy.feature_size();
  const size_t action_size = policy.action_size();
  const std::string action_type = act_space.is_integer() ? "long long" : "float";

  CProgram p(policy);
  for (const char* reserved : {"obs", "action", "dist_inputs", "value", "features", "i", "j"}) {
    p.fresh(reserved);
  }
  const size_t state_size = policy.state_size();
  const bool recurrent = state_size > 0;
  if (recurrent) {
    for (const char* reserved : {"state", "next_state", "state_in", "state_out", "episode_start"}) {
      p.fresh(reserved);
    }
    const std::string S = std::to_string(state_size);
    p.line("/* The state before the step (zeros at an episode start), and after it. */");
    p.line("float state[" + S + "], next_state[" + S + "];");
    p.line("for (int i = 0; i < " + S +
           "; ++i) state[i] = episode_start ? 0.0f : state_in->values[i];");
  }

  // --- Preprocessing ---
  std::string features = "obs";
  if (obs_space.is_integer()) {
    features = "features";
    p.line("float features[" + std::to_string(feature_size) + "];");
    p.line("for (int i = 0; i < " + std::to_string(feature_size) + "; ++i) features[i] = 0.0f;");
    size_t offset = 0;
    for (size_t e = 0; e < obs_size; ++e) {
      const int64_t n = obs_space.nvec()[e];
      p.open("{ /* one-hot of element " + std::to_string(e) + " */");
      p.line("const double index = (double)obs[" + std::to_string(e) + "] - (double)" +
             int_literal(obs_space.start()[e]) + ";");
      p.line("if (!(index >= 0.0 && index < " + std::to_string(n) +
             ".0) || floor(index) != index) return 1;");
      p.line("features[" + std::to_string(offset) + " + (int)index] = 1.0f;");
      p.close();
      offset += static_cast<size_t>(n);
    }
  } else if (const RunningMeanStd* stats = policy.observation_statistics()) {
    features = "features";
    const std::string mean = p.constant("obs_mean", stats->mean_f32(),
                                        "observation mean (float32, as the policy normalises)");
    const std::string stdev =
        p.constant("obs_std", stats->std_f32(), "observation std = sqrt(var + epsilon) (float32)");
    const std::string clip = lit(stats->clip());
    p.line("float features[" + std::to_string(feature_size) + "];");
    p.open("for (int i = 0; i < " + std::to_string(feature_size) + "; ++i) {");
    p.line("const float z = (obs[i] - " + mean + "[i]) / " + stdev + "[i];");
    p.line("features[i] = z < -" + clip + " ? -" + clip + " : (" + clip + " < z ? " + clip +
           " : z);");
    p.close();
  }

  // --- Model ---
  std::vector<std::string> buffer(pg.nodes.size());
  for (size_t i = 0; i < pg.nodes.size(); ++i) {
    if (pg.nodes[i].for_pi || pg.nodes[i].for_vf) buffer[i] = p.fresh("h" + std::to_string(i));
  }
  for (size_t i = 0; i < pg.nodes.size(); ++i) {
    if (pg.nodes[i].for_pi || (recurrent && pg.nodes[i].for_vf)) {
      p.line("float " + buffer[i] + "[" + std::to_string(pg.nodes[i].width) + "];");
    }
  }
  const auto emit_node = [&](size_t i) {
    const GraphNode& node = pg.nodes[i];
    std::vector<std::string> inputs;
    std::vector<int64_t> widths;
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const int in = node.inputs[k];
      inputs.push_back(in < 0 ? features : buffer[static_cast<size_t>(in)]);
      widths.push_back(pg.input_width(node, k, static_cast<int64_t>(feature_size)));
    }
    CLayer writer(p, node, inputs, widths, buffer[i]);
    std::string summary = node.layer->type();
    for (size_t k = 0; k < widths.size(); ++k) {
      summary += (k == 0 ? " " : " + ") + std::to_string(widths[k]);
    }
    summary += " -> " + std::to_string(node.width);
    if (const auto* dense = dynamic_cast<const nn::Dense<float>*>(node.layer.get())) {
      summary += ", " + std::string(dense->activation().name());
    }
    p.open("{ /* " + node.path + ": " + summary + " */");
    try {
      if (const auto* rnn = dynamic_cast<const nn::RecurrentLayer<float>*>(node.layer.get())) {
        const size_t index = export_detail::state_slice_index(policy, node);
        lower_recurrent(p, writer, *rnn, policy.state_layout()[index].offset);
      } else if (const nn::LayerLowering* lowering = node.layer->lowering()) {
        if (!lowering->lower_c(writer)) {
          throw Error("C export: " + export_detail::describe_layer(node) +
                      " cannot be lowered: its LayerLowering has no C lowering");
        }
      } else {
        lower_builtin(p, writer, node);
      }
    } catch (const Error& e) {
      const std::string what = e.what();
      if (what.find(node.path) != std::string::npos) throw;
      throw Error("C export: " + export_detail::describe_layer(node) + ": " + what);
    }
    p.close();
  };
  for (size_t i = 0; i < pg.nodes.size(); ++i) {
    if (pg.nodes[i].for_pi || (recurrent && pg.nodes[i].for_vf)) emit_node(i);
  }
  if (recurrent) {
    // Every recurrent layer runs (its state is an output), so the value network's are
    // computed above; the value is only copied out.
    if (has_value) p.line("if (value) value[0] = " + buffer[pg.vf] + "[0];");
  } else if (has_value) {
    p.open("if (value) {");
    for (size_t i = 0; i < pg.nodes.size(); ++i) {
      if (pg.nodes[i].for_vf && !pg.nodes[i].for_pi) {
        p.line("float " + buffer[i] + "[" + std::to_string(pg.nodes[i].width) + "];");
      }
    }
    for (size_t i = 0; i < pg.nodes.size(); ++i) {
      if (pg.nodes[i].for_vf && !pg.nodes[i].for_pi) emit_node(i);
    }
    p.line("value[0] = " + buffer[pg.vf] + "[0];");
    p.close();
  }

  // --- Heads ---
  const std::string& pi = buffer[pg.pi];
  p.open("if (dist_inputs) {");
  p.line("for (int i = 0; i < " + std::to_string(num_dist_inputs) +
         "; ++i) dist_inputs[i] = " + pi + "[i];");
  p.close();
  p.open("if (action) {");
  if (dist.is_discrete()) {
    int64_t offset = 0;
    for (size_t e = 0; e < dist.categories().size(); ++e) {
      const int64_t n = dist.categories()[e];
      const std::string row = offset == 0 ? pi : "(" + pi + " + " + std::to_string(offset) + ")";
      p.open("{ /* action element " + std::to_string(e) + ": argmax of " + std::to_string(n) +
             " logits (first on ties) + start */");
      p.line("int best = 0;");
      p.line("for (int k = 1; k < " + std::to_string(n) + "; ++k) if (" + row + "[k] > " + row +
             "[best]) best = k;");
      p.line("action[" + std::to_string(e) + "] = (long long)best + " +
             int_literal(act_space.start()[e]) + ";");
      p.close();
      offset += n;
    }
  } else {
    for (size_t e = 0; e < action_size; ++e) {
      const float low = act_space.low()[e], high = act_space.high()[e];
      std::string v = pi + "[" + std::to_string(e) + "]";
      if (squashed) {
        // to_bounds(tanh(mean)) as SquashedGaussian computes it: low + (a + 1) / 2 * (high -
        // low) in float, with the C library's tanhf (std::tanh on a float is tanhf).
        const std::string a = p.fresh("a" + std::to_string(e));
        p.line("const float " + a + " = " + lit(low) + " + (tanhf(" + v + ") + 1.0f) / 2.0f * " +
               lit(high - low) + ";");
        v = a;
      }
      std::string expr = v;
      // std::clamp(v, low, high): v < low ? low : (high < v ? high : v).
      if (!std::isinf(high))
        expr = "(" + lit(high) + " < " + v + " ? " + lit(high) + " : " + v + ")";
      if (!std::isinf(low))
        expr = "(" + v + " < " + lit(low) + " ? " + lit(low) + " : " + expr + ")";
      p.line("action[" + std::to_string(e) + "] = " + expr + ";");
    }
  }
  p.close();
  if (recurrent) {
    p.line("for (int i = 0; i < " + std::to_string(state_size) +
           "; ++i) state_out->values[i] = next_state[i];");
  }
  p.line("return 0;");

  // --- Files ---
  CSource out;
  const std::string& M = nm.macro;
  std::string h = header_comment(policy, options, nm.base + ".h");
  h += " *\n"
       " * Dependency-free C99 (only <math.h>; link with -lm). Nothing is allocated: all\n"
       " * buffers are fixed-size arrays on the stack and the weights are static const data,\n"
       " * so every function is thread-safe and reentrant.\n"
       " *\n"
       " * Computation (the cairn policy's deterministic path): the raw observation is\n";
  h += obs_space.is_integer() ? " * flattened to one-hot, "
                              : (policy.observation_statistics() != nullptr
                                     ? " * normalised with the saved statistics and clipped, "
                                     : " * used as is, ");
  h += "run through the model, and turned into\n * the action: ";
  switch (head) {
    case PolicyHead::kStochastic:
      h += gaussian ? "the Gaussian mean clipped to the action bounds.\n"
                    : "the argmax of each categorical plus the space's start.\n";
      break;
    case PolicyHead::kSquashedGaussian:
      h += "low + (tanh(mean) + 1) / 2 * (high - low), clipped to the\n * bounds (the squashed "
           "Gaussian's mean).\n";
      break;
    case PolicyHead::kDeterministic:
      h += "low + (tanh(pi) + 1) / 2 * (high - low), clipped to the\n * bounds.\n";
      break;
    case PolicyHead::kGreedyQ:
      h += "the argmax of the Q-values (first on ties) plus the space's\n * start.\n";
      break;
  }
  h += " */\n#ifndef " + M + "_H_\n#define " + M +
       "_H_\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  h += "/* Raw observation elements (integer observation spaces: exact values as floats). */\n";
  h += "#define " + M + "_OBS_SIZE " + std::to_string(obs_size) + "\n";
  h +=
      "/* Action elements. */\n#define " + M + "_ACTION_SIZE " + std::to_string(action_size) + "\n";
  const char* dist_desc = head == PolicyHead::kSquashedGaussian ? "means, then log-stds"
                          : head == PolicyHead::kDeterministic  ? "the actor's output before tanh"
                          : head == PolicyHead::kGreedyQ        ? "Q-values"
                          : gaussian                            ? "Gaussian means"
                                                                : "logits";
  h += "/* Distribution inputs (the head's raw output): " + std::string(dist_desc) + ". */\n";
  h += "#define " + M + "_NUM_DIST_INPUTS " + std::to_string(num_dist_inputs) + "\n";
  h += "/* 1 if actions are integers (Discrete/MultiDiscrete), 0 for Box. */\n";
  h += "#define " + M + "_ACTION_IS_INTEGER " + std::string(act_space.is_integer() ? "1" : "0") +
       "\n";
  h += "/* 1 if " + nm.evaluate + " computes a value estimate (and takes `value`), else 0. */\n";
  h += "#define " + M + "_HAS_VALUE " + std::string(has_value ? "1" : "0") + "\n\n";
  h += "typedef " + action_type + " " + nm.action_t + ";\n\n";
  if (recurrent) {
    const std::string S = std::to_string(state_size);
    h += "/* Values of state one episode carries from step to step: the recurrent layers'\n"
         " * states side by side in layer order (an LSTM's as h then c):\n";
    for (const nn::StateSlice& slice : policy.state_layout()) {
      h += " *   [" + std::to_string(slice.offset) + ", " +
           std::to_string(slice.offset + slice.size) + ") " + slice.layer + " (" + slice.type +
           ")\n";
    }
    h += " */\n#define " + M + "_STATE_SIZE " + S + "\n\n";
    h += "/* One episode's state. The caller keeps one per episode (the code holds none). */\n";
    h += "typedef struct {\n  float values[" + M + "_STATE_SIZE];\n} " + nm.state_t + ";\n\n";
    h += "/* Sets *state to the state at the start of an episode (zeros). */\n";
    h += "void " + nm.initial_state + "(" + nm.state_t + " *state);\n\n";
    h += "/* One step of one episode: the raw observation and the episode's state before the\n"
         " * step (state_in; ignored and replaced by the initial state when episode_start is\n"
         " * nonzero, i.e. the episode starts with this observation) -> the deterministic\n"
         " * action " +
         std::string(!act_space.is_integer() ? "(env values, clipped to the bounds)"
                                             : "(env values, start included)") +
         ", optionally\n * the distribution inputs (" + M + "_NUM_DIST_INPUTS floats)" +
         (has_value ? " and the value estimate (1 float)" : "") +
         ", and the state after\n * the step in *state_out (required; may be the same "
         "object as state_in), to pass\n * as the next step's state_in. action, dist_inputs" +
         (has_value ? " and value" : "") +
         " may be NULL. Returns 0, or 1 if an\n * integer observation element is not in the "
         "observation space (the outputs and\n * *state_out are then left untouched). */\n";
    h += "int " + nm.step + "(const float obs[" + M + "_OBS_SIZE], const " + nm.state_t +
         " *state_in, int episode_start,\n    " + nm.state_t + " *state_out, " + nm.action_t +
         " *action, float *dist_inputs" + (has_value ? ", float *value" : "") + ");\n";
  } else {
    h += "/* Maps one raw observation to the deterministic action " +
         std::string(!act_space.is_integer() ? "(env values, clipped to the bounds)"
                                             : "(env values, start included)") +
         ".\n * Returns 0, or 1 if an integer observation element is not in the observation\n"
         " * space (the action is then left untouched). */\n";
    h += "int " + nm.act + "(const float obs[" + M + "_OBS_SIZE], " + nm.action_t + " action[" + M +
         "_ACTION_SIZE]);\n\n";
    if (has_value) {
      h += "/* As " + nm.act + ", and optionally the distribution inputs (" + M +
           "_NUM_DIST_INPUTS floats)\n * and the value estimate (1 float). Any output pointer may "
           "be NULL; the value\n * network runs only when `value` is not NULL. Returns as " +
           nm.act + ". */\n";
    } else {
      h +=
          "/* As " + nm.act + ", and optionally the distribution inputs (" + M +
          "_NUM_DIST_INPUTS floats).\n * Either output pointer may be NULL. This head has no value "
          "output. Returns as " +
          nm.act + ". */\n";
    }
    h += "int " + nm.evaluate + "(const float *obs, " + nm.action_t +
         " *action, float *dist_inputs" + (has_value ? ", float *value" : "") + ");\n";
  }
  if (gaussian) {
    h += "\n/* The Gaussian's state-independent log standard deviations. */\n";
    h += "extern const float " + nm.log_std + "[" + M + "_ACTION_SIZE];\n";
  }
  h += "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " + M + "_H_ */\n";
  out.header = h;

  std::string c = header_comment(policy, options, nm.base + ".c");
  c +=
      " * See " + nm.base + ".h for the entry points. Weights are exact hexadecimal floats.\n */\n";
  c += "#include \"" + nm.base + ".h\"\n\n#include <math.h>\n\n";
  c += p.arrays();
  c += p.helpers();
  if (gaussian) {
    c += float_array("", nm.log_std, policy.log_std(), "policy/log_std");
  }
  if (recurrent) {
    c += "void " + nm.initial_state + "(" + nm.state_t + " *state) {\n  for (int i = 0; i < " + M +
         "_STATE_SIZE; ++i) state->values[i] = 0.0f;\n}\n\n";
    c += "int " + nm.step + "(const float obs[" + M + "_OBS_SIZE], const " + nm.state_t +
         " *state_in, int episode_start,\n    " + nm.state_t + " *state_out, " + nm.action_t +
         " *action, float *dist_inputs" + (has_value ? ", float *value" : "") + ") {\n";
    c += p.body();
    c += "}\n";
    out.source = c;
    return out;
  }
  c += "int " + nm.evaluate + "(const float *obs, " + nm.action_t + " *action, float *dist_inputs" +
       (has_value ? ", float *value" : "") + ") {\n";
  c += p.body();
  c += "}\n\n";
  c += "int " + nm.act + "(const float obs[" + M + "_OBS_SIZE], " + nm.action_t + " action[" + M +
       "_ACTION_SIZE]) {\n  return " + nm.evaluate + "(obs, action, 0" + (has_value ? ", 0" : "") +
       ");\n}\n";
  out.source = c;
  return out;
}

// The verification harness: reads raw float32 observations from argv[1] and prints,
// per observation, the statuses and every output as exact hexadecimal floats.
std::string harness_source(const Policy& policy, const Names& nm) {
  const std::string& M = nm.macro;
  const bool integer = policy.action_space().is_integer();
  const bool gaussian = !policy.log_std().empty();
  const bool has_value = policy.has_value();
  // One row's outputs, after its "row" line (both harnesses print them alike).
  std::string print_outputs = "    printf(\"action\");\n";
  print_outputs += "    for (i = 0; i < " + M + "_ACTION_SIZE; ++i) printf(" +
                   (integer ? "\" %lld\", action[i]" : "\" %a\", (double)action[i]") + ");\n";
  print_outputs += "    printf(\"\\ndist\");\n";
  print_outputs +=
      "    for (i = 0; i < " + M + "_NUM_DIST_INPUTS; ++i) printf(\" %a\", (double)dist[i]);\n";
  if (gaussian) {
    print_outputs += "    printf(\"\\nlog_std\");\n";
    print_outputs += "    for (i = 0; i < " + M + "_ACTION_SIZE; ++i) printf(\" %a\", (double)" +
                     nm.log_std + "[i]);\n";
  }
  if (has_value) print_outputs += "    printf(\"\\nvalue %a\", (double)value[0]);\n";
  std::string s = "#include <stdio.h>\n#include <string.h>\n\n#include \"" + nm.base + ".h\"\n\n";
  s += "int main(int argc, char **argv) {\n";
  if (policy.is_recurrent()) {
    // Records [load, episode_start, state[S], obs[n]]: load replaces the carried state by
    // the record's; otherwise the previous step's state_out is the state_in.
    s += "  float rec[2 + " + M + "_STATE_SIZE + " + M + "_OBS_SIZE];\n";
    s += "  " + nm.state_t + " state;\n";
    s += "  " + nm.action_t + " action[" + M + "_ACTION_SIZE];\n";
    s += "  float dist[" + M + "_NUM_DIST_INPUTS];\n";
    if (has_value) s += "  float value[1];\n";
    s += "  FILE *in;\n";
    s += "  if (argc != 2) return 2;\n  in = fopen(argv[1], \"rb\");\n  if (!in) return 3;\n";
    s += "  " + nm.initial_state + "(&state);\n";
    s += "  while (fread(rec, sizeof(float), sizeof rec / sizeof rec[0], in) == sizeof rec / "
         "sizeof rec[0]) {\n";
    s += "    int i, status;\n";
    s += "    if (rec[0] != 0.0f) memcpy(state.values, rec + 2, sizeof state.values);\n";
    s += "    status = " + nm.step + "(rec + 2 + " + M +
         "_STATE_SIZE, &state, rec[1] != 0.0f, &state, action, dist" +
         (has_value ? ", value" : "") + ");\n";
    s += "    printf(\"row %d 0 1\\n\", status);\n";
    s += print_outputs;
    s += "    printf(\"\\nstate\");\n";
    s += "    for (i = 0; i < " + M +
         "_STATE_SIZE; ++i) printf(\" %a\", (double)state.values[i]);\n";
    s += "    printf(\"\\n\");\n";
    s += "  }\n  fclose(in);\n  return 0;\n}\n";
    return s;
  }
  s += "  float obs[" + M + "_OBS_SIZE];\n";
  s += "  " + nm.action_t + " action[" + M + "_ACTION_SIZE], action2[" + M + "_ACTION_SIZE];\n";
  s += "  float dist[" + M + "_NUM_DIST_INPUTS];\n";
  if (has_value) s += "  float value[1];\n";
  s += "  FILE *in;\n";
  s += "  if (argc != 2) return 2;\n  in = fopen(argv[1], \"rb\");\n  if (!in) return 3;\n";
  s += "  while (fread(obs, sizeof(float), (size_t)" + M + "_OBS_SIZE, in) == (size_t)" + M +
       "_OBS_SIZE) {\n";
  s += "    int i;\n";
  s += "    const int status = " + nm.evaluate + "(obs, action, dist" +
       (has_value ? ", value" : "") + ");\n";
  s += "    const int status2 = " + nm.act + "(obs, action2);\n";
  s += "    printf(\"row %d %d %d\\n\", status, status2, memcmp(action, action2, sizeof action) == "
       "0);\n";
  s += print_outputs;
  s += "    printf(\"\\n\");\n";
  s += "  }\n  fclose(in);\n  return 0;\n}\n";
  return s;
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

std::string compiler_command(const CCompilerOptions& o) {
  if (!o.command.empty()) return o.command;
  return env_or("CAIRN_CC", env_or("CC", "cc"));
}

// Parses the harness output; returns an error message or "".
std::string parse_harness(const std::string& text, const Policy& policy,
                          export_detail::PolicyOutputs& out) {
  std::istringstream in(text);
  std::string tag;
  const bool integer = policy.action_space().is_integer();
  const size_t k = policy.action_size();
  const size_t nd = policy.head_output_size();
  const bool gaussian = !policy.log_std().empty();
  const auto read_floats = [&](std::vector<float>& v, size_t n, const char* what) -> std::string {
    std::string t;
    in >> t;
    if (t != what) return std::string("expected \"") + what + "\", got \"" + t + "\"";
    for (size_t i = 0; i < n; ++i) {
      if (!(in >> t)) return std::string("truncated ") + what;
      char* end = nullptr;
      const float f = std::strtof(t.c_str(), &end);
      if (end == t.c_str() || *end != '\0') return "bad number \"" + t + "\"";
      v.push_back(f);
    }
    return "";
  };
  size_t row = 0;
  while (in >> tag) {
    if (tag != "row") return "expected \"row\", got \"" + tag + "\"";
    int status = 0, status2 = 0, same = 0;
    in >> status >> status2 >> same;
    if (status != 0 || status2 != 0) {
      return "the C code refused observation " + std::to_string(row) + " (returned " +
             std::to_string(status) + "/" + std::to_string(status2) + ")";
    }
    if (same != 1) {
      return "act() and evaluate() gave different actions for observation " + std::to_string(row);
    }
    std::string t;
    in >> t;
    if (t != "action") return "expected \"action\", got \"" + t + "\"";
    for (size_t i = 0; i < k; ++i) {
      if (!(in >> t)) return "truncated action";
      char* end = nullptr;
      if (integer) {
        out.int_actions.push_back(std::strtoll(t.c_str(), &end, 10));
      } else {
        out.float_actions.push_back(std::strtof(t.c_str(), &end));
      }
      if (end == t.c_str() || *end != '\0') return "bad number \"" + t + "\"";
    }
    std::string err = read_floats(out.dist_inputs, nd, "dist");
    if (err.empty() && gaussian) err = read_floats(out.log_std, k, "log_std");
    if (err.empty() && policy.has_value()) err = read_floats(out.value, 1, "value");
    if (err.empty() && policy.is_recurrent()) {
      err = read_floats(out.state_out, policy.state_size(), "state");
    }
    if (!err.empty()) return err;
    ++row;
  }
  out.batch = row;
  return "";
}

ExportVerification run_verification(const Policy& policy, const std::filesystem::path& dir,
                                    const CExportOptions& options) {
  const Names nm = names_for(options.base_name);
  const export_detail::VerificationInputs inputs =
      export_detail::verification_observations(policy, options.verification);
  const auto header = dir / (nm.base + ".h");
  const auto source = dir / (nm.base + ".c");
  ExportVerification v =
      export_detail::start_verification("c", {header, source}, inputs, options.verification);
  const std::filesystem::path record = dir / (nm.base + ".verification.json");

  const std::string cc = compiler_command(options.compiler);
  const std::string cc_path = export_detail::find_program(cc);
  if (cc_path.empty()) {
    v.status = VerificationStatus::kUnverified;
    v.runtime = "none (no C compiler)";
    v.reason = "no C compiler: \"" + cc +
               "\" was not found (set CAIRN_CC or CC, or CExportOptions::compiler.command)";
    export_detail::write_record(v, record);
    return v;
  }
  export_detail::TempDir tmp("cairn_c_verify_");
  const auto log = tmp.path() / "log.txt";
  const double timeout = options.compiler.timeout_seconds;
  {
    const export_detail::ChildResult ver =
        export_detail::run_child({cc_path, "--version"}, timeout, log);
    std::string first = ver.output.substr(0, ver.output.find('\n'));
    v.runtime = cc_path + (first.empty() ? "" : " (" + first + ")");
  }
  const auto fail = [&](const std::string& reason) {
    v.status = VerificationStatus::kFailed;
    v.reason = reason;
    export_detail::write_record(v, record);
    return v;
  };
  const auto harness = tmp.path() / (nm.base + "_harness.c");
  {
    std::ofstream h(harness);
    h << harness_source(policy, nm);
    if (!h) throw Error("cannot write " + harness.string());
  }
  std::vector<std::string> argv{cc_path};
  argv.insert(argv.end(), options.compiler.flags.begin(), options.compiler.flags.end());
  const auto exe = tmp.path() / "harness";
  argv.insert(argv.end(),
              {"-I" + dir.string(), "-o", exe.string(), harness.string(), source.string(), "-lm"});
  std::string command;
  for (const auto& a : argv) command += (command.empty() ? "" : " ") + a;
  const export_detail::ChildResult compiled = export_detail::run_child(argv, timeout, log);
  if (!compiled.started) return fail("cannot start the C compiler: " + compiled.error);
  if (compiled.timed_out || compiled.exit_code != 0 || !compiled.output.empty()) {
    return fail("the generated C does not compile cleanly with `" + command + "`" +
                (compiled.timed_out ? " (timed out)" : "") + ":\n" +
                export_detail::tail(compiled.output));
  }
  const auto obs_file = tmp.path() / "obs.f32";
  // Recurrent: the harness steps one episode at a time, so the records go episode by
  // episode; order[k] is the observation row of the harness's k-th record.
  std::vector<size_t> order;
  {
    std::vector<float> records;
    const std::vector<float>* data = &inputs.observations;
    if (inputs.state_size > 0) {
      const size_t n = policy.observation_size(), S = inputs.state_size;
      for (const export_detail::RecurrentSegment& seg : inputs.segments) {
        for (size_t e = 0; e < seg.streams; ++e) {
          for (size_t t = 0; t < seg.steps; ++t) {
            const size_t row = seg.first_row + t * seg.streams + e;
            order.push_back(row);
            records.push_back(t == 0 ? 1.0f : 0.0f);
            records.push_back(inputs.starts[row] != 0 ? 1.0f : 0.0f);
            const auto state =
                inputs.initial_states.begin() + static_cast<ptrdiff_t>(seg.first_state + e * S);
            if (t == 0) {
              records.insert(records.end(), state, state + static_cast<ptrdiff_t>(S));
            } else {
              records.insert(records.end(), S, 0.0f);
            }
            const auto obs = inputs.observations.begin() + static_cast<ptrdiff_t>(row * n);
            records.insert(records.end(), obs, obs + static_cast<ptrdiff_t>(n));
          }
        }
      }
      data = &records;
    }
    std::ofstream o(obs_file, std::ios::binary);
    o.write(reinterpret_cast<const char*>(data->data()),
            static_cast<std::streamsize>(data->size() * sizeof(float)));
    if (!o) throw Error("cannot write " + obs_file.string());
  }
  const export_detail::ChildResult ran =
      export_detail::run_child({exe.string(), obs_file.string()}, timeout, tmp.path() / "out.txt");
  if (!ran.started || ran.timed_out || ran.exit_code != 0) {
    return fail("the compiled harness failed (" +
                (ran.timed_out ? std::string("timed out")
                               : "exit status " + std::to_string(ran.exit_code)) +
                "): " + export_detail::tail(ran.output + ran.error));
  }
  export_detail::PolicyOutputs got;
  const std::string err = parse_harness(ran.output, policy, got);
  if (!err.empty()) return fail("unexpected harness output: " + err);
  if (!order.empty()) {
    if (got.batch != order.size()) return fail("the harness stopped early");
    // Back to the observations' row order.
    const auto unshuffle = [&](auto& values) {
      if (values.empty()) return;
      const size_t width = values.size() / order.size();
      auto sorted = values;
      for (size_t k = 0; k < order.size(); ++k) {
        std::copy_n(values.begin() + static_cast<ptrdiff_t>(k * width), width,
                    sorted.begin() + static_cast<ptrdiff_t>(order[k] * width));
      }
      values.swap(sorted);
    };
    unshuffle(got.int_actions);
    unshuffle(got.float_actions);
    unshuffle(got.dist_inputs);
    unshuffle(got.log_std);
    unshuffle(got.value);
    unshuffle(got.state_out);
  }
  export_detail::compare_outputs(policy, export_detail::reference_outputs(policy, inputs), got,
                                 options.verification.tolerance, v);
  export_detail::write_record(v, record);
  return v;
}

}  // namespace

CSource generate_c(const Policy& policy, const CExportOptions& options) {
  return generate(policy, options);
}

ExportVerification export_c(const Policy& policy, const std::filesystem::path& dir,
                            const CExportOptions& options) {
  (void)export_detail::verification_observations(policy, options.verification);
  const CSource src = generate(policy, options);
  const Names nm = names_for(options.base_name);
  for (const auto& [name, text] :
       {std::pair{nm.base + ".h", &src.header}, std::pair{nm.base + ".c", &src.source}}) {
    const auto path = dir / name;
    try {
      write_file_atomically(path, *text);
    } catch (const Error& e) {
      throw Error("C export: cannot write " + path.string() + ": " + e.what());
    }
  }
  ExportVerification v = run_verification(policy, dir, options);
  export_detail::enforce(v, options.require_verification, "C export to " + dir.string());
  return v;
}

ExportVerification verify_c(const Policy& policy, const std::filesystem::path& dir,
                            const CExportOptions& options) {
  return run_verification(policy, dir, options);
}

}  // namespace cairn
