#include "cairn/export/dueling_lowering.h"

#include <optional>
#include <string>

#include "cairn/error.h"

namespace cairn::nn {
namespace {

class DuelingQLowering final : public LayerLowering {
 public:
  std::optional<std::string> lower_onnx(OnnxLayerBuilder& onnx) const override {
    if (onnx.num_inputs() != 2) throw Error("dueling_q expects two inputs");
    // opset 13-17: ReduceMean takes its axes as an attribute.
    const std::string mean =
        onnx.add_node("ReduceMean", {onnx.input(1)},
                      {{"axes", std::vector<int64_t>{1}}, {"keepdims", int64_t{1}}})[0];
    const std::string centered = onnx.add_node("Sub", {onnx.input(1), mean})[0];
    return onnx.add_node("Add", {onnx.input(0), centered})[0];
  }

  bool lower_c(CLayerWriter& c) const override {
    if (c.num_inputs() != 2) throw Error("dueling_q expects two inputs");
    const std::string n = std::to_string(c.output_width());
    const std::string sum = c.local_name("advantage_sum");
    const std::string mean = c.local_name("advantage_mean");
    c.line("float " + sum + " = 0.0f;");
    c.line("for (int k = 0; k < " + n + "; ++k) " + sum + " += " + c.input(1) + "[k];");
    c.line("const float " + mean + " = " + sum + " / (float)" + n + ";");
    c.line("for (int k = 0; k < " + n + "; ++k) " + c.output() + "[k] = " + c.input(0) + "[0] + (" +
           c.input(1) + "[k] - " + mean + ");");
    return true;
  }
};

}  // namespace

const LayerLowering& dueling_q_lowering() {
  static const DuelingQLowering lowering;
  return lowering;
}

}  // namespace cairn::nn
