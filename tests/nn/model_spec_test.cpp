// Model spec JSON round-trip, validation errors, the builder and the layer registry.
#include "cairn/nn/model_spec.h"

#include <gtest/gtest.h>

#include "cairn/error.h"
#include "cairn/nn/model.h"
#include "cairn/nn/model_builder.h"
#include "cairn/nn/model_zoo.h"
#include "nn_test_helpers.h"

namespace cairn::nn {
namespace {

// The message of the cairn::Error that `f` throws ("" if it throws none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

nlohmann::json sample_spec_json() {
  return nlohmann::json::parse(R"({
    "input_size": 4,
    "blocks": [
      {"name": "trunk", "inputs": ["input"], "layers": [
        {"type": "dense", "units": 8, "activation": "tanh"},
        {"type": "layer_norm", "eps": 0.001}]},
      {"name": "side", "layers": [{"type": "dense", "units": 3, "activation": {"type": "leaky_relu", "negative_slope": 0.2}}]},
      {"name": "pi", "inputs": ["trunk", "side"], "layers": [
        {"type": "concat"}, {"type": "dense", "units": 2, "name": "logits",
         "kernel_init": {"type": "orthogonal", "gain": 0.01}}]},
      {"name": "vf", "inputs": ["trunk"], "layers": [
        {"type": "dense", "units": 1, "kernel_init": {"type": "he_normal"}}]}
    ],
    "outputs": ["pi", "vf"]})");
}

TEST(NnSpec, JsonRoundTripIsIdentical) {
  const ModelSpec spec = ModelSpec::from_json(sample_spec_json());
  const nlohmann::json j = spec.to_json();
  const ModelSpec again = ModelSpec::from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(again, spec);
  EXPECT_EQ(again.to_json(), j);
  EXPECT_EQ(spec.blocks[1].inputs, std::vector<std::string>{"input"});
}

TEST(NnSpec, ZooAndBuilderSpecsRoundTrip) {
  ActorCriticOptions shared;
  shared.shared_trunk = true;
  for (const ModelSpec& spec : {ppo_actor_critic(4, 2), ppo_actor_critic(8, 6, shared),
                                founding_story_actor_critic(5, 3)}) {
    const ModelSpec again = ModelSpec::from_json(nlohmann::json::parse(spec.to_json().dump(2)));
    EXPECT_EQ(again, spec);
  }
}

TEST(NnSpec, ParameterNamesAreStableAndReadable) {
  Model<float> m(ppo_actor_critic(4, 2));
  std::vector<std::string> names;
  for (const TensorInfo& t : m.parameters()) names.push_back(t.name);
  const std::vector<std::string> expected = {
      "pi/dense_0/kernel", "pi/dense_0/bias", "pi/dense_1/kernel", "pi/dense_1/bias",
      "pi/dense_2/kernel", "pi/dense_2/bias", "vf/dense_0/kernel", "vf/dense_0/bias",
      "vf/dense_1/kernel", "vf/dense_1/bias", "vf/dense_2/kernel", "vf/dense_2/bias"};
  EXPECT_EQ(names, expected);
  EXPECT_EQ(m.parameter_info("pi/dense_0/kernel").shape, (std::vector<int64_t>{4, 64}));
  EXPECT_EQ(m.parameter_info("vf/dense_2/kernel").shape, (std::vector<int64_t>{64, 1}));
  EXPECT_EQ(m.num_parameters(), size_t{(4 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2) +
                                       (4 * 64 + 64 + 64 * 64 + 64 + 64 + 1)});
  EXPECT_EQ(m.output_size(m.output_index("pi")), 2);
  EXPECT_EQ(m.output_size(m.output_index("vf")), 1);

  Model<float> sample(ModelSpec::from_json(sample_spec_json()));
  EXPECT_NE(sample.find_parameter("pi/logits/kernel"), nullptr);
  EXPECT_NE(sample.find_parameter("trunk/layer_norm_0/gain"), nullptr);
  EXPECT_EQ(sample.parameter_info("pi/logits/kernel").shape, (std::vector<int64_t>{11, 2}));
}

TEST(NnSpec, AutomaticLayerNamesCountPerType) {
  const ModelSpec spec = ModelBuilder(2)
                             .add(Block("b")
                                      .dense(3)
                                      .activation(Activation::tanh())
                                      .dense(3)
                                      .activation(Activation::tanh()))
                             .output("b")
                             .build();
  EXPECT_EQ(layer_name(spec.blocks[0], 0), "dense_0");
  EXPECT_EQ(layer_name(spec.blocks[0], 1), "tanh_0");
  EXPECT_EQ(layer_name(spec.blocks[0], 2), "dense_1");
  EXPECT_EQ(layer_name(spec.blocks[0], 3), "tanh_1");
}

TEST(NnSpec, BadFieldErrorsNameTheField) {
  nlohmann::json j = sample_spec_json();
  j["blocks"][0]["layers"][0]["units"] = 0;
  EXPECT_EQ(error_of([&] { ModelSpec::from_json(j); }),
            "blocks[0].layers[0].units must be positive (got 0)");

  j = sample_spec_json();
  j["blocks"][2]["layers"][1].erase("units");
  EXPECT_EQ(error_of([&] { ModelSpec::from_json(j); }), "blocks[2].layers[1].units is required");

  j = sample_spec_json();
  j["blocks"][0]["layers"][0]["units"] = "eight";
  EXPECT_EQ(error_of([&] { ModelSpec::from_json(j); }),
            "blocks[0].layers[0].units must be an integer");

  j = sample_spec_json();
  j["blocks"][0]["layers"][0]["unit"] = 3;
  EXPECT_NE(error_of([&] {
              ModelSpec::from_json(j);
            }).find("blocks[0].layers[0]: unknown field \"unit\" for layer type dense"),
            std::string::npos);

  j = sample_spec_json();
  j["blocks"][0]["layers"][0]["activation"] = "tanhh";
  EXPECT_NE(error_of([&] {
              ModelSpec::from_json(j);
            }).find("blocks[0].layers[0].activation: unknown activation \"tanhh\""),
            std::string::npos);

  j = sample_spec_json();
  j["blocks"][3]["layers"][0]["kernel_init"] = {{"type", "variance_scaling"}, {"mode", "fan"}};
  EXPECT_NE(error_of([&] {
              ModelSpec::from_json(j);
            }).find("blocks[3].layers[0].kernel_init.mode must be fan_in, fan_out or fan_avg"),
            std::string::npos);

  j = sample_spec_json();
  j["blocks"][2]["inputs"] = {"trunk", "nope"};
  EXPECT_NE(error_of([&] {
              ModelSpec::from_json(j);
            }).find("blocks[2].inputs[1] names unknown block \"nope\""),
            std::string::npos);

  j = sample_spec_json();
  j["blocks"][2]["layers"].erase(0);  // dense given two inputs
  EXPECT_NE(error_of([&] {
              ModelSpec::from_json(j);
            }).find("blocks[2].layers[0] (dense): dense takes 1 input but is given 2"),
            std::string::npos);

  j = sample_spec_json();
  j["outputs"] = {"pi", "value"};
  EXPECT_EQ(error_of([&] { ModelSpec::from_json(j); }), "outputs[1] names unknown block \"value\"");

  j = sample_spec_json();
  j["input_size"] = -1;
  EXPECT_EQ(error_of([&] { ModelSpec::from_json(j); }), "input_size must be positive (got -1)");

  j = sample_spec_json();
  j["blocks"][3]["name"] = "pi";
  EXPECT_EQ(error_of([&] { ModelSpec::from_json(j); }),
            "blocks[3].name \"pi\" is already used by blocks[2]");

  j = sample_spec_json();
  j["blocks"][1]["layers"] = nlohmann::json::array();
  EXPECT_EQ(error_of([&] { ModelSpec::from_json(j); }), "blocks[1].layers must not be empty");

  j = sample_spec_json();
  j["blokcs"] = 1;
  EXPECT_NE(error_of([&] { ModelSpec::from_json(j); }).find("unknown field \"blokcs\""),
            std::string::npos);
}

TEST(NnSpec, UnknownLayerTypeIsRefusedWithRegistrationAdvice) {
  nlohmann::json j = sample_spec_json();
  j["blocks"][1]["layers"][0] = {{"type", "my_fancy_layer"}};
  const std::string msg = error_of([&] { ModelSpec::from_json(j); });
  EXPECT_NE(msg.find("blocks[1].layers[0]: unknown layer type \"my_fancy_layer\""),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("register_layer<YourLayer>(\"my_fancy_layer\")"), std::string::npos) << msg;
}

TEST(NnSpec, CustomLayerIsUsableOnceRegistered) {
  testing::register_test_layers();
  EXPECT_TRUE(LayerRegistry::global().contains("test_scale"));
  const ModelSpec spec =
      ModelBuilder(3).add(Block("b").layer("test_scale", {{"c", 0.5}})).output("b").build();
  EXPECT_EQ(ModelSpec::from_json(spec.to_json()), spec);
  Model<float> m(spec);
  EXPECT_EQ(m.parameter_info("b/test_scale_0/w").shape, std::vector<int64_t>{3});
  const std::string msg = error_of([] { register_layer<testing::GoodScale>("test_scale"); });
  EXPECT_NE(msg.find("already registered"), std::string::npos);
}

TEST(NnSpec, SetParameterByNameChecksNameAndShape) {
  Model<float> m(ppo_actor_critic(4, 2));
  std::vector<float> k(4 * 64, 0.5f);
  const int64_t shape[] = {4, 64};
  m.set_parameter("pi/dense_0/kernel", shape, k);
  EXPECT_EQ(m.parameter("pi/dense_0/kernel")[255], 0.5f);

  const int64_t wrong[] = {64, 4};
  EXPECT_EQ(error_of([&] { m.set_parameter("pi/dense_0/kernel", wrong, k); }),
            "parameter \"pi/dense_0/kernel\" has shape [4, 64], cannot set it from shape [64, 4]");
  std::vector<float> short_data(10);
  EXPECT_NE(error_of([&] {
              m.set_parameter("pi/dense_0/kernel", shape, short_data);
            }).find("10 values given for shape [4, 64]"),
            std::string::npos);
  const std::string unknown = error_of([&] { m.set_parameter("pi/dense_9/kernel", shape, k); });
  EXPECT_NE(unknown.find("model has no parameter \"pi/dense_9/kernel\""), std::string::npos);
  EXPECT_NE(unknown.find("vf/dense_2/bias"), std::string::npos);  // lists the known names
  EXPECT_NE(error_of([&] { m.output_index("value"); }).find("outputs: pi, vf"), std::string::npos);
}

TEST(NnSpec, CompareParametersByName) {
  Model<float> a(ppo_actor_critic(4, 2)), b(ppo_actor_critic(4, 2)), c(ppo_actor_critic(4, 3));
  a.initialize(1);
  b.initialize(1);
  c.initialize(1);
  for (const auto& cmp : compare_parameters(a, b)) {
    EXPECT_EQ(cmp.status, ParameterComparison::Status::kEqual) << cmp.name;
  }
  b.parameter("vf/dense_1/bias")[3] += 0.25f;
  int different = 0, mismatched = 0;
  for (const auto& cmp : compare_parameters(a, b)) {
    if (cmp.status == ParameterComparison::Status::kDifferent) {
      ++different;
      EXPECT_EQ(cmp.name, "vf/dense_1/bias");
      EXPECT_FLOAT_EQ(static_cast<float>(cmp.max_abs_difference), 0.25f);
    }
  }
  EXPECT_EQ(different, 1);
  for (const auto& cmp : compare_parameters(a, c)) {
    if (cmp.status == ParameterComparison::Status::kShapeMismatch) ++mismatched;
  }
  EXPECT_EQ(mismatched, 2);  // pi/dense_2 kernel and bias
}

TEST(NnSpec, ModelCopiesAreIndependent) {
  Model<double> a(ppo_actor_critic(3, 2));
  a.initialize(5);
  Model<double> b = a;
  b.parameter("pi/dense_0/bias")[0] = 7.0;
  EXPECT_EQ(a.parameter("pi/dense_0/bias")[0], 0.0);
  const RowMatrix<double> x = testing::random_matrix<double>(2, 3, 1);
  a.forward(as_span(x));
  b.forward(as_span(x));
  EXPECT_NE(a.output(0).map(), b.output(0).map());
  EXPECT_EQ(a.output(1).map(), b.output(1).map());
}

}  // namespace
}  // namespace cairn::nn
