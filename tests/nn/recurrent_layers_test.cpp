// LSTM and GRU layers: gradients through time (float64 finite differences), conformance
// with torch.nn.LSTM / torch.nn.GRU (weights loaded from PyTorch's state_dict by name),
// sequence semantics (episode starts, chunking, batch independence) and errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cairn/error.h"
#include "cairn/nn/gradient_check.h"
#include "cairn/nn/model.h"
#include "cairn/nn/recurrent_layers.h"
#include "nn_test_helpers.h"
#include "support/torch_reference.h"

namespace cairn::nn {
namespace {

using ::testing::HasSubstr;

// input -> [dense tanh] -> cell -> heads "pi" (3) and "vf" (1), or the cell alone.
ModelSpec recurrent_spec(const std::string& cell, Index in, Index units, bool encoder_and_heads) {
  nlohmann::json j;
  j["input_size"] = in;
  if (!encoder_and_heads) {
    j["blocks"] = {{{"name", "core"},
                    {"inputs", {"input"}},
                    {"layers", {{{"type", cell}, {"units", units}}}}}};
    j["outputs"] = {"core"};
  } else {
    j["blocks"] = {
        {{"name", "encoder"},
         {"inputs", {"input"}},
         {"layers", {{{"type", "dense"}, {"units", 5}, {"activation", "tanh"}}}}},
        {{"name", "core"},
         {"inputs", {"encoder"}},
         {"layers", {{{"type", cell}, {"units", units}}}}},
        {{"name", "pi"}, {"inputs", {"core"}}, {"layers", {{{"type", "dense"}, {"units", 3}}}}},
        {{"name", "vf"}, {"inputs", {"core"}}, {"layers", {{{"type", "dense"}, {"units", 1}}}}}};
    j["outputs"] = {"pi", "vf"};
  }
  return ModelSpec::from_json(j);
}

// Start flags for `steps` x `streams` time-major rows: stream 0 starts at step 0, stream 1
// at step 2 (and so on), so both a cut initial state and a reset inside a sequence occur.
std::vector<uint8_t> recurrent_starts(Index steps, Index streams) {
  std::vector<uint8_t> starts(static_cast<size_t>(steps * streams), 0);
  starts[0] = 1;
  if (streams > 1 && steps > 2) starts[static_cast<size_t>(2 * streams + 1)] = 1;
  if (streams > 2 && steps > 3) starts[static_cast<size_t>(3 * streams + 2)] = 1;
  return starts;
}

class RecurrentCellTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RecurrentCellTest, GradientsThroughTimeMatchFiniteDifferences) {
  for (const bool heads : {false, true}) {
    Model<double> model(recurrent_spec(GetParam(), 3, 4, heads));
    testing::randomize_parameters(model, 11, 0.5);
    const Index steps = 5, streams = 3;
    const RowMatrix<double> x = testing::random_matrix<double>(steps * streams, 3, 12);
    const RowMatrix<double> state = testing::random_matrix<double>(streams, model.state_size(), 13);
    const std::vector<uint8_t> starts = recurrent_starts(steps, streams);
    const GradientCheckResult r =
        check_gradients(model, as_span(x), SequenceInput<double>{steps, as_span(state), starts});
    EXPECT_LT(r.max_relative_error, 1e-6)
        << r.worst << ": analytic " << r.worst_analytic << ", numeric " << r.worst_numeric;
    // Parameters, inputs and the initial state were all checked.
    EXPECT_EQ(r.checked, model.num_parameters() + static_cast<size_t>(x.size() + state.size()));
  }
}

TEST_P(RecurrentCellTest, StartFlagCutsTheStateAndItsGradient) {
  Model<double> model(recurrent_spec(GetParam(), 2, 3, false));
  testing::randomize_parameters(model, 21, 0.5);
  const Index steps = 3;
  const RowMatrix<double> x = testing::random_matrix<double>(steps, 2, 22);
  RowMatrix<double> state = testing::random_matrix<double>(1, model.state_size(), 23);
  const std::vector<uint8_t> starts{0, 1, 0};  // a new episode at step 1
  model.forward(as_span(x), {steps, as_span(state), starts});
  const RowMatrix<double> out = model.output(0).map();
  // After the reset the output does not depend on the state passed in.
  state.setConstant(5.0);
  model.forward(as_span(x), {steps, as_span(state), starts});
  EXPECT_NE(model.output(0).map().row(0), out.row(0));
  EXPECT_EQ(model.output(0).map().bottomRows(2), out.bottomRows(2));
  // A loss on the steps after the reset sends no gradient to the initial state.
  auto dy = model.output_grad(0).map();
  dy.setZero();
  dy.bottomRows(2).setOnes();
  model.backward(InputGrad::kCompute);
  EXPECT_TRUE(model.state_in_grad().map().isZero(0.0));
  // A loss on step 0 does.
  model.forward(as_span(x), {steps, as_span(state), starts});
  auto dy0 = model.output_grad(0).map();
  dy0.setZero();
  dy0.row(0).setOnes();
  model.backward(InputGrad::kCompute);
  EXPECT_FALSE(model.state_in_grad().map().isZero(0.0));
}

TEST_P(RecurrentCellTest, StepByStepAndBatchedSequencesGiveTheSameBits) {
  Model<float> model(recurrent_spec(GetParam(), 4, 8, true));
  model.initialize(31);
  const Index steps = 6, streams = 4;
  const RowMatrix<float> x = testing::random_matrix<float>(steps * streams, 4, 32);
  const RowMatrix<float> state0 = testing::random_matrix<float>(streams, model.state_size(), 33);
  const std::vector<uint8_t> starts = recurrent_starts(steps, streams);
  model.forward(as_span(x), {steps, as_span(state0), starts});
  const RowMatrix<float> pi = model.output(0).map();
  const RowMatrix<float> state_end = model.state_out().map();

  // One step at a time, passing the state on.
  RowMatrix<float> state = state0;
  for (Index t = 0; t < steps; ++t) {
    const RowMatrix<float> xt = x.middleRows(t * streams, streams);
    const std::span<const uint8_t> st(starts.data() + t * streams, static_cast<size_t>(streams));
    model.forward(as_span(xt), {1, as_span(state), st});
    EXPECT_EQ(model.output(0).map(), pi.middleRows(t * streams, streams)) << "step " << t;
    state = model.state_out().map();
  }
  EXPECT_EQ(state, state_end);

  // Each sequence alone, as a batch of one.
  for (Index s = 0; s < streams; ++s) {
    RowMatrix<float> xs(steps, 4);
    std::vector<uint8_t> ss(static_cast<size_t>(steps));
    for (Index t = 0; t < steps; ++t) {
      xs.row(t) = x.row(t * streams + s);
      ss[static_cast<size_t>(t)] = starts[static_cast<size_t>(t * streams + s)];
    }
    const RowMatrix<float> st = state0.row(s);
    model.forward(as_span(xs), {steps, as_span(st), ss});
    for (Index t = 0; t < steps; ++t) {
      EXPECT_EQ(model.output(0).map().row(t), pi.row(t * streams + s)) << "stream " << s;
    }
    EXPECT_EQ(model.state_out().map(), state_end.row(s));
  }
}

TEST_P(RecurrentCellTest, ModelsRefuseMisshapedSequences) {
  Model<float> model(recurrent_spec(GetParam(), 2, 3, false));
  const RowMatrix<float> x = RowMatrix<float>::Zero(6, 2);
  EXPECT_THAT([&] { model.forward(as_span(x)); },
              ::testing::ThrowsMessage<Error>(HasSubstr("recurrent layers (core/" + GetParam())));
  const RowMatrix<float> state = RowMatrix<float>::Zero(2, model.state_size());
  EXPECT_THAT(
      [&] {
        model.forward(as_span(x), {4, as_span(state), {}});
      },
      ::testing::ThrowsMessage<Error>(HasSubstr("not a whole number of sequences of 4")));
  EXPECT_THAT(
      [&] {
        model.forward(as_span(x), {2, as_span(state), {}});
      },
      ::testing::ThrowsMessage<Error>(HasSubstr("expected [3, ")));
  const std::vector<uint8_t> starts(5, 0);
  EXPECT_THAT(
      [&] {
        model.forward(as_span(x), {3, as_span(state), starts});
      },
      ::testing::ThrowsMessage<Error>(HasSubstr("5 episode-start flags")));
  model.forward(as_span(x), {3, as_span(state), {}});
  std::vector<float> blocks(model.num_parameters());
  EXPECT_THAT([&] { model.backward_blocks(blocks, model.num_parameters()); },
              ::testing::ThrowsMessage<Error>(HasSubstr("'" + GetParam() + "'")));
}

TEST_P(RecurrentCellTest, SpecRoundTripsAndNamesItsFields) {
  const ModelSpec spec = recurrent_spec(GetParam(), 3, 4, true);
  EXPECT_EQ(ModelSpec::from_json(spec.to_json()), spec);
  const Model<float> model(spec);
  const Index gates = GetParam() == "lstm" ? 4 : 3;
  EXPECT_EQ(model.parameter_info("core/" + GetParam() + "_0/kernel").shape,
            (std::vector<int64_t>{5, gates * 4}));
  EXPECT_EQ(model.parameter_info("core/" + GetParam() + "_0/recurrent_kernel").shape,
            (std::vector<int64_t>{4, gates * 4}));
  ASSERT_EQ(model.state_layout().size(), 1u);
  EXPECT_EQ(model.state_layout()[0].layer, "core/" + GetParam() + "_0");
  EXPECT_EQ(model.state_size(), GetParam() == "lstm" ? 8 : 4);
  nlohmann::json j = spec.to_json();
  j["blocks"][1]["layers"][0].erase("units");
  EXPECT_THAT([&] { ModelSpec::from_json(j); },
              ::testing::ThrowsMessage<Error>(HasSubstr("blocks[1].layers[0].units")));
  j["blocks"][1]["layers"][0]["units"] = 4;
  j["blocks"][1]["layers"][0]["unit"] = 4;
  EXPECT_THAT([&] { ModelSpec::from_json(j); },
              ::testing::ThrowsMessage<Error>(HasSubstr("unknown field \"unit\"")));
}

INSTANTIATE_TEST_SUITE_P(Cells, RecurrentCellTest, ::testing::Values("lstm", "gru"),
                         [](const auto& cell) { return cell.param; });

// --- Conformance with PyTorch ------------------------------------------------------------

template <typename R>
std::vector<double> rnn_doubles(const R& v) {
  return std::vector<double>(v.begin(), v.end());
}

template <typename T>
std::vector<double> matrix_doubles(const RowMatrix<T>& m) {
  return std::vector<double>(m.data(), m.data() + m.size());
}

template <typename T>
void run_torch_rnn_conformance(const std::string& cell, double tolerance, double floor) {
  using testing_torch::relative_error;
  if (!testing_torch::torch_available()) {
    GTEST_FAIL() << "PyTorch not importable by " << testing_torch::kPython
                 << " (apt-get install python3-torch, as scripts/setup.sh test does)";
  }
  const Index in = 5, units = 6, steps = 7, streams = 3;
  Model<T> model(recurrent_spec(cell, in, units, false));
  const RowMatrix<T> x = testing::random_matrix<T>(steps * streams, in, 41);
  const RowMatrix<T> state = testing::random_matrix<T>(streams, model.state_size(), 42, 0.5);
  const RowMatrix<T> weights = testing::random_matrix<T>(steps * streams, units, 43);
  const std::vector<uint8_t> starts = recurrent_starts(steps, streams);
  const bool lstm = cell == "lstm";

  nlohmann::json c;
  c["cell"] = cell;
  c["dtype"] = std::is_same_v<T, float> ? "float32" : "float64";
  c["seed"] = 7;
  c["steps"] = steps;
  c["streams"] = streams;
  c["in"] = in;
  c["units"] = units;
  c["x"] = matrix_doubles(x);
  c["r"] = matrix_doubles(weights);
  c["starts"] = std::vector<int>(starts.begin(), starts.end());
  const RowMatrix<T> h0 = state.leftCols(units);
  c["h0"] = matrix_doubles(h0);
  if (lstm) {
    const RowMatrix<T> c0 = state.rightCols(units);
    c["c0"] = matrix_doubles(c0);
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("cairn_rnn_torch_" + std::to_string(::getpid()) +
                                                "_" + cell + c["dtype"].get<std::string>());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "case.json") << c.dump();
  const std::string cmd = std::string(testing_torch::kPython) + " " + CAIRN_SOURCE_DIR +
                          "/tests/nn/torch_rnn_reference.py " + (dir / "case.json").string() + " " +
                          (dir / "result.json").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const nlohmann::json r = nlohmann::json::parse(std::ifstream(dir / "result.json"));
  std::filesystem::remove_all(dir);

  // PyTorch's weights, loaded by name: weight_*_l0 transposed, biases as they are.
  const std::string layer = "core/" + cell + "_0/";
  for (const char* name : {"kernel", "recurrent_kernel", "bias", "recurrent_bias"}) {
    const std::string torch_name = torch_rnn_parameter_name(name);
    const auto shape = r["shapes"][torch_name].get<std::vector<int64_t>>();
    const auto data = r["state_dict"][torch_name].get<std::vector<double>>();
    std::vector<T> values(data.begin(), data.end());
    std::vector<int64_t> cairn_shape = shape;
    if (shape.size() == 2) {
      cairn_shape = {shape[1], shape[0]};
      for (int64_t i = 0; i < shape[0]; ++i) {
        for (int64_t j = 0; j < shape[1]; ++j) {
          values[static_cast<size_t>(j * shape[0] + i)] =
              static_cast<T>(data[static_cast<size_t>(i * shape[1] + j)]);
        }
      }
    }
    model.set_parameter(layer + name, cairn_shape, values);
  }

  model.forward(as_span(x), {steps, as_span(state), starts});
  EXPECT_LE(relative_error(rnn_doubles(model.output(0).flat()), r["out"], floor), tolerance);
  const RowMatrix<T> state_out = model.state_out().map();
  const RowMatrix<T> h_n = state_out.leftCols(units);
  EXPECT_LE(relative_error(matrix_doubles(h_n), r["h_n"], floor), tolerance);
  if (lstm) {
    const RowMatrix<T> c_n = state_out.rightCols(units);
    EXPECT_LE(relative_error(matrix_doubles(c_n), r["c_n"], floor), tolerance);
  }
  model.output_grad(0).map() = weights;
  model.zero_grad();
  model.backward(InputGrad::kCompute);
  EXPECT_LE(relative_error(rnn_doubles(model.input_grad().flat()), r["x_grad"], floor), tolerance);
  const RowMatrix<T> state_grad = model.state_in_grad().map();
  const RowMatrix<T> h0_grad = state_grad.leftCols(units);
  EXPECT_LE(relative_error(matrix_doubles(h0_grad), r["h0_grad"], floor), tolerance);
  if (lstm) {
    const RowMatrix<T> c0_grad = state_grad.rightCols(units);
    EXPECT_LE(relative_error(matrix_doubles(c0_grad), r["c0_grad"], floor), tolerance);
  }
  for (const char* name : {"kernel", "recurrent_kernel", "bias", "recurrent_bias"}) {
    const std::string torch_name = torch_rnn_parameter_name(name);
    const auto shape = r["shapes"][torch_name].get<std::vector<int64_t>>();
    auto expected = r["grads"][torch_name].get<std::vector<double>>();
    const std::vector<double> got = rnn_doubles(model.gradient(layer + name));
    std::vector<double> transposed = expected;
    if (shape.size() == 2) {
      for (int64_t i = 0; i < shape[0]; ++i) {
        for (int64_t j = 0; j < shape[1]; ++j) {
          transposed[static_cast<size_t>(j * shape[0] + i)] =
              expected[static_cast<size_t>(i * shape[1] + j)];
        }
      }
    }
    EXPECT_LE(relative_error(got, transposed, floor), tolerance) << "gradient of " << name;
  }
}

TEST(RecurrentTorch, LstmFloat32) {
  run_torch_rnn_conformance<float>("lstm", 1e-5, 1.0);
}
TEST(RecurrentTorch, LstmFloat64) {
  run_torch_rnn_conformance<double>("lstm", 1e-10, 1e-2);
}
TEST(RecurrentTorch, GruFloat32) {
  run_torch_rnn_conformance<float>("gru", 1e-5, 1.0);
}
TEST(RecurrentTorch, GruFloat64) {
  run_torch_rnn_conformance<double>("gru", 1e-10, 1e-2);
}

TEST(RecurrentTorch, ParameterNamesMapToPyTorchKeys) {
  EXPECT_EQ(torch_rnn_parameter_name("kernel"), "weight_ih_l0");
  EXPECT_EQ(torch_rnn_parameter_name("recurrent_kernel"), "weight_hh_l0");
  EXPECT_EQ(torch_rnn_parameter_name("bias"), "bias_ih_l0");
  EXPECT_EQ(torch_rnn_parameter_name("recurrent_bias"), "bias_hh_l0");
  EXPECT_THAT([] { torch_rnn_parameter_name("gain"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("'gain'")));
}

}  // namespace
}  // namespace cairn::nn
