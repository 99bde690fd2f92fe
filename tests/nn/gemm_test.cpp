// The engine's matrix products keep the order of operations their header documents, and
// what follows from it: a sample's forward output and input gradient do not depend on
// the batch around it, and weight gradients are sums over fixed blocks of samples.
#include "cairn/nn/gemm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>
#include <vector>

#include "cairn/error.h"
#include "cairn/nn/intra_op_threads.h"
#include "cairn/nn/model.h"
#include "cairn/nn/model_builder.h"
#include "cairn/random/random.h"
#include "nn_test_helpers.h"

// Own namespace: the test files are compiled in unity batches (tests/CMakeLists.txt).
namespace cairn::nn::gemm_test {
namespace {

// Values over several orders of magnitude and both signs, so that a different order
// of summation gives different bits.
template <typename T>
std::vector<T> spread_values(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(rng.normal() * std::exp(3.0 * rng.normal()));
  return v;
}

template <typename T>
bool same_scalar_bits(T a, T b) {
  if constexpr (sizeof(T) == 4) {
    return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b);
  } else {
    return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
  }
}

// The order gemm.h promises, written out: a chain of fused multiply-adds over p from
// zero, then the initial value added once.
template <typename T>
T documented_element(Index i, Index j, Index k, GemmLhs<T> a, const T* b, Index ldb, T before,
                     GemmInit init, const T* bias) {
  T chain = 0;
  for (Index p = 0; p < k; ++p) {
    chain = std::fma(a.data[i * a.row_stride + p * a.col_stride], b[p * ldb + j], chain);
  }
  switch (init) {
    case GemmInit::kZero:
      return chain;
    case GemmInit::kBias:
      return bias[j] + chain;
    case GemmInit::kAccumulate:
      return before + chain;
  }
  return chain;
}

// Runs one product on padded operands (strides larger than the shapes) and checks
// every element's bits against the documented order; returns the number of mismatches.
template <typename T>
int mismatches(Index m, Index n, Index k, bool lhs_transposed, GemmInit init, uint64_t seed) {
  const Index lda = (lhs_transposed ? m : k) + 3, ldb = n + 5, ldc = n + 2;
  const std::vector<T> a_store = spread_values<T>(
      static_cast<size_t>(std::max<Index>(1, (lhs_transposed ? k : m) * lda)), seed);
  const std::vector<T> b =
      spread_values<T>(static_cast<size_t>(std::max<Index>(1, k * ldb)), seed + 1);
  const std::vector<T> bias = spread_values<T>(static_cast<size_t>(n), seed + 2);
  std::vector<T> c = spread_values<T>(static_cast<size_t>(m * ldc), seed + 3);
  const std::vector<T> before = c;
  const GemmLhs<T> a =
      lhs_transposed ? GemmLhs<T>{a_store.data(), 1, lda} : GemmLhs<T>{a_store.data(), lda, 1};
  gemm<T>(m, n, k, a, b.data(), ldb, c.data(), ldc, init, bias.data());
  int bad = 0;
  for (Index i = 0; i < m; ++i) {
    for (Index j = 0; j < ldc; ++j) {
      const size_t at = static_cast<size_t>(i * ldc + j);
      const T expected = j < n ? documented_element<T>(i, j, k, a, b.data(), ldb, before[at], init,
                                                       bias.data())
                               : before[at];  // padding is never written
      if (!same_scalar_bits(c[at], expected)) ++bad;
    }
  }
  return bad;
}

template <typename T>
void expect_documented_order_for_every_shape() {
  const Index ms[] = {1, 2, 5, 6, 7, 15, 16, 17, 63, 64, 65, 100, 130};
  const Index ns[] = {1, 2, 3, 5, 6, 7, 15, 16, 17, 63, 64, 65, 100, 256};
  const Index ks[] = {0, 1, 3, 64, 129, 300};
  const GemmInit inits[] = {GemmInit::kZero, GemmInit::kBias, GemmInit::kAccumulate};
  uint64_t seed = 1;
  for (Index m : ms) {
    for (Index n : ns) {
      for (Index k : ks) {
        for (bool transposed : {false, true}) {
          for (GemmInit init : inits) {
            EXPECT_EQ(mismatches<T>(m, n, k, transposed, init, seed++), 0)
                << "m " << m << " n " << n << " k " << k << (transposed ? " (A transposed)" : "")
                << " init " << static_cast<int>(init) << " kernel " << gemm_kernel_name();
          }
        }
      }
    }
  }
}

TEST(Gemm, FloatProductsFollowTheDocumentedOrderForEveryShape) {
  expect_documented_order_for_every_shape<float>();
}

TEST(Gemm, DoubleProductsFollowTheDocumentedOrderForEveryShape) {
  expect_documented_order_for_every_shape<double>();
}

TEST(Gemm, AgreesWithADoublePrecisionProduct) {
  // The order is fixed, but the result must still be the product: compare with a
  // float64 product of the same float operands.
  const Index m = 37, n = 70, k = 257;
  const std::vector<float> a = spread_values<float>(static_cast<size_t>(m * k), 5);
  const std::vector<float> b = spread_values<float>(static_cast<size_t>(k * n), 6);
  std::vector<float> c(static_cast<size_t>(m * n));
  gemm<float>(m, n, k, {a.data(), k, 1}, b.data(), n, c.data(), n, GemmInit::kZero);
  for (Index i = 0; i < m; ++i) {
    for (Index j = 0; j < n; ++j) {
      double exact = 0, magnitude = 0;
      for (Index p = 0; p < k; ++p) {
        const double t = double(a[size_t(i * k + p)]) * double(b[size_t(p * n + j)]);
        exact += t;
        magnitude += std::abs(t);
      }
      EXPECT_NEAR(c[size_t(i * n + j)], exact, 1e-5 * magnitude) << i << ", " << j;
    }
  }
}

TEST(Gemm, DenseGradientsAreSumsOverFixedBlocksOfSamples) {
  // 200 samples = blocks of 64, 64, 64 and 8. One call over all of them must equal
  // one call per block (any split on block boundaries), in order.
  const Index samples = 200, in = 9, out = 70;
  const std::vector<float> x = spread_values<float>(static_cast<size_t>(samples * in), 11);
  const std::vector<float> dz = spread_values<float>(static_cast<size_t>(samples * out), 12);
  const std::vector<float> start_kernel = spread_values<float>(static_cast<size_t>(in * out), 13);
  const std::vector<float> start_bias = spread_values<float>(static_cast<size_t>(out), 14);

  std::vector<float> kernel_once = start_kernel, bias_once = start_bias;
  accumulate_dense_gradients<float>(samples, in, out, x.data(), dz.data(), kernel_once.data(),
                                    bias_once.data());

  std::vector<float> kernel_split = start_kernel, bias_split = start_bias;
  for (Index s0 : {Index{0}, Index{128}}) {
    const Index count = s0 == 0 ? 128 : samples - 128;
    accumulate_dense_gradients<float>(count, in, out, x.data() + s0 * in, dz.data() + s0 * out,
                                      kernel_split.data(), bias_split.data());
  }
  for (size_t i = 0; i < kernel_once.size(); ++i) {
    ASSERT_TRUE(same_scalar_bits(kernel_once[i], kernel_split[i]))
        << "kernel gradient element " << i;
  }
  for (size_t j = 0; j < bias_once.size(); ++j) {
    ASSERT_TRUE(same_scalar_bits(bias_once[j], bias_split[j])) << "bias gradient element " << j;
  }

  // And each block is one chain from zero, added to the gradient once.
  std::vector<float> kernel_blocks = start_kernel;
  for (Index s0 = 0; s0 < samples; s0 += kGradientBlock) {
    const Index count = std::min(kGradientBlock, samples - s0);
    for (Index i = 0; i < in; ++i) {
      for (Index j = 0; j < out; ++j) {
        float chain = 0;
        for (Index s = s0; s < s0 + count; ++s) {
          chain = std::fma(x[size_t(s * in + i)], dz[size_t(s * out + j)], chain);
        }
        kernel_blocks[size_t(i * out + j)] += chain;
      }
    }
  }
  for (size_t i = 0; i < kernel_once.size(); ++i) {
    ASSERT_TRUE(same_scalar_bits(kernel_once[i], kernel_blocks[i]))
        << "kernel gradient element " << i;
  }
}

TEST(Gemm, TransposeMovesEveryElement) {
  for (Index rows : {1, 3, 15, 16, 17, 33, 64, 256}) {
    for (Index cols : {1, 2, 16, 31, 48, 64, 100}) {
      const std::vector<float> src = spread_values<float>(static_cast<size_t>(rows * cols), 31);
      std::vector<float> dst(src.size());
      transpose<float>(rows, cols, src.data(), dst.data());
      for (Index i = 0; i < rows; ++i) {
        for (Index j = 0; j < cols; ++j) {
          ASSERT_TRUE(same_scalar_bits(dst[size_t(j * rows + i)], src[size_t(i * cols + j)]))
              << rows << " x " << cols << " at " << i << ", " << j;
        }
      }
    }
  }
}

// --- Batch-size independence of whole models ------------------------------------------

ModelSpec every_activation_network() {
  return ModelBuilder(5)
      .add(Block("trunk")
               .dense(64, Activation::tanh())
               .dense(33, Activation::relu())
               .dense(17, Activation::silu())
               .dense(20, Activation::elu())
               .dense(19, Activation::sigmoid())
               .dense(18, Activation::softplus())
               .dense(21, Activation::gelu())
               .dense(22, Activation::leaky_relu()))
      .add(Block("pi", {"trunk"}).dense(3))
      .add(Block("vf", {"trunk"}).dense(1))
      .output("pi")
      .output("vf")
      .build();
}

struct PerSample {
  std::vector<float> outputs;      // pi then vf, per sample
  std::vector<float> input_grads;  // d(loss)/d(input), per sample
  std::vector<float> param_grads;  // the whole batch's
};

// Runs `count` samples starting at `first` through the model as one batch. The output
// gradient of each sample is a fixed function of its outputs, so it is per-sample too.
PerSample run_batch(Model<float>& model, const RowMatrix<float>& inputs, Index first, Index count) {
  model.zero_grad();
  model.forward(
      MatrixSpan<const float>{inputs.data() + first * inputs.cols(), count, inputs.cols()});
  PerSample r;
  for (size_t o = 0; o < model.num_outputs(); ++o) {
    const auto y = model.output(o);
    auto dy = model.output_grad(o);
    for (Index i = 0; i < y.size(); ++i) {
      dy.data[i] = std::sin(3.0f * y.data[i]) + 0.25f * static_cast<float>(o);
    }
  }
  model.backward(InputGrad::kCompute);
  for (Index i = 0; i < count; ++i) {
    for (size_t o = 0; o < model.num_outputs(); ++o) {
      const auto y = model.output(o);
      for (Index j = 0; j < y.cols; ++j) r.outputs.push_back(y.data[i * y.cols + j]);
    }
  }
  const auto dx = model.input_grad();
  r.input_grads.assign(dx.data, dx.data + dx.size());
  const auto g = model.flat_gradients();
  r.param_grads.assign(g.begin(), g.end());
  return r;
}

TEST(BatchIndependence, ForwardOutputsAndInputGradientsAreBitIdenticalAcrossBatchSizes) {
  Model<float> model(every_activation_network());
  testing::randomize_parameters(model, 3, 0.4);
  const RowMatrix<float> inputs = testing::random_matrix<float>(256, 5, 4, 2.0);
  const PerSample all = run_batch(model, inputs, 0, 256);
  const size_t out_width = all.outputs.size() / 256;
  for (Index batch : {1, 7, 64}) {
    // Many windows, so samples sit at different positions (and memory offsets) than
    // in the batch of 256, and elements of every layer fall at every offset of a SIMD
    // vector.
    std::vector<Index> firsts{256 - batch};
    for (Index f = 0; f < (batch == 64 ? 3 : 40); ++f) firsts.push_back(f);
    for (Index first : firsts) {
      const PerSample part = run_batch(model, inputs, first, batch);
      for (size_t e = 0; e < part.outputs.size(); ++e) {
        ASSERT_TRUE(same_scalar_bits(part.outputs[e], all.outputs[size_t(first) * out_width + e]))
            << "output " << e << " of a batch of " << batch << " at sample " << first;
      }
      for (size_t e = 0; e < part.input_grads.size(); ++e) {
        ASSERT_TRUE(same_scalar_bits(part.input_grads[e], all.input_grads[size_t(first) * 5 + e]))
            << "input gradient " << e << " of a batch of " << batch << " at sample " << first;
      }
    }
  }
}

TEST(BatchIndependence, AnActivationsValueDoesNotDependOnTheElementsPosition) {
  // Each element alone and inside a long array (at every offset of a SIMD vector).
  const Activation activations[] = {Activation::tanh(),     Activation::silu(),
                                    Activation::elu(),      Activation::sigmoid(),
                                    Activation::softplus(), Activation::gelu()};
  const std::vector<float> x = spread_values<float>(1000, 21);
  const std::vector<float> dy = spread_values<float>(1000, 22);
  for (const Activation& act : activations) {
    std::vector<float> y(x.size()), dx(x.size());
    activation_forward(act, x.data(), y.data(), Index(x.size()));
    activation_backward(act, x.data(), y.data(), dy.data(), dx.data(), Index(x.size()));
    for (size_t i = 0; i < x.size(); ++i) {
      float y1 = 0, dx1 = 0;
      activation_forward(act, &x[i], &y1, 1);
      activation_backward(act, &x[i], &y1, &dy[i], &dx1, 1);
      ASSERT_TRUE(same_scalar_bits(y1, y[i])) << act.name() << " forward, element " << i;
      ASSERT_TRUE(same_scalar_bits(dx1, dx[i])) << act.name() << " backward, element " << i;
    }
  }
}

TEST(BatchIndependence, WeightGradientsOfBlockAlignedBatchesSumToTheWholeBatchs) {
  // Backward over 256 samples equals four backward passes over 64 samples whose
  // gradients accumulate (zero_grad only before the first), bit for bit.
  Model<float> model(every_activation_network());
  testing::randomize_parameters(model, 5, 0.4);
  const RowMatrix<float> inputs = testing::random_matrix<float>(256, 5, 6, 2.0);
  const PerSample all = run_batch(model, inputs, 0, 256);

  model.zero_grad();
  for (Index first = 0; first < 256; first += kGradientBlock) {
    model.forward(MatrixSpan<const float>{inputs.data() + first * 5, kGradientBlock, 5});
    for (size_t o = 0; o < model.num_outputs(); ++o) {
      const auto y = model.output(o);
      auto dy = model.output_grad(o);
      for (Index i = 0; i < y.size(); ++i) {
        dy.data[i] = std::sin(3.0f * y.data[i]) + 0.25f * static_cast<float>(o);
      }
    }
    model.backward(InputGrad::kSkip);
  }
  const auto g = model.flat_gradients();
  ASSERT_EQ(g.size(), all.param_grads.size());
  for (size_t i = 0; i < g.size(); ++i) {
    ASSERT_TRUE(same_scalar_bits(g[i], all.param_grads[i])) << "parameter gradient " << i;
  }
}

// --- Intra-op threads ---------------------------------------------------------------

// Restores one thread when a test ends, whatever happens in it.
struct OneThreadAfterwards {
  ~OneThreadAfterwards() { set_intra_op_threads(1); }
};

TEST(IntraOpThreads, ProductsAreBitIdenticalToOneThread) {
  OneThreadAfterwards restore;
  struct Shape {
    Index m, n, k;
    bool lhs_transposed;
  };
  // Row splits, a column split (few rows), the narrow path, a transposed operand.
  const Shape shapes[] = {{256, 256, 256, false},
                          {300, 70, 257, false},
                          {8, 2048, 512, false},
                          {4096, 1, 600, false},
                          {256, 256, 64, true}};
  for (const Shape& sh : shapes) {
    const Index lda = sh.lhs_transposed ? sh.m : sh.k;
    const std::vector<float> a =
        spread_values<float>(static_cast<size_t>(sh.lhs_transposed ? sh.k * lda : sh.m * lda), 41);
    const std::vector<float> b = spread_values<float>(static_cast<size_t>(sh.k * sh.n), 42);
    const std::vector<float> bias = spread_values<float>(static_cast<size_t>(sh.n), 43);
    const GemmLhs<float> lhs =
        sh.lhs_transposed ? GemmLhs<float>{a.data(), 1, lda} : GemmLhs<float>{a.data(), lda, 1};
    std::vector<std::vector<float>> results;
    for (int threads : {1, 2, 3}) {
      set_intra_op_threads(threads);
      ASSERT_EQ(intra_op_threads(), threads);
      std::vector<float> c(static_cast<size_t>(sh.m * sh.n));
      gemm<float>(sh.m, sh.n, sh.k, lhs, b.data(), sh.n, c.data(), sh.n, GemmInit::kBias,
                  bias.data());
      results.push_back(c);
    }
    for (size_t t = 1; t < results.size(); ++t) {
      for (size_t e = 0; e < results[0].size(); ++e) {
        ASSERT_TRUE(same_scalar_bits(results[t][e], results[0][e]))
            << sh.m << " x " << sh.n << " x " << sh.k << ", " << t + 1 << " threads, element " << e;
      }
    }
  }
}

TEST(IntraOpThreads, TrainingPassesAreBitIdenticalToOneThread) {
  OneThreadAfterwards restore;
  const ModelSpec spec =
      ModelBuilder(256)
          .add(Block("mlp").dense(256, Activation::relu()).dense(256, Activation::tanh()).dense(3))
          .output("mlp")
          .build();
  Model<float> model(spec);
  testing::randomize_parameters(model, 7, 0.1);
  const RowMatrix<float> inputs = testing::random_matrix<float>(256, 256, 8);
  std::vector<PerSample> runs;
  for (int threads : {1, 2}) {
    set_intra_op_threads(threads);
    runs.push_back(run_batch(model, inputs, 0, 256));
  }
  EXPECT_TRUE(std::equal(runs[0].outputs.begin(), runs[0].outputs.end(), runs[1].outputs.begin(),
                         same_scalar_bits<float>));
  EXPECT_TRUE(std::equal(runs[0].input_grads.begin(), runs[0].input_grads.end(),
                         runs[1].input_grads.begin(), same_scalar_bits<float>));
  EXPECT_TRUE(std::equal(runs[0].param_grads.begin(), runs[0].param_grads.end(),
                         runs[1].param_grads.begin(), same_scalar_bits<float>));
}

TEST(IntraOpThreads, RefusesACountOutOfRangeNamingIt) {
  for (int n : {0, 257}) {
    try {
      set_intra_op_threads(n);
      ADD_FAILURE() << n << " threads accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("intra-op threads must be from 1 to 256 (got " +
                                           std::to_string(n) + ")"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_EQ(intra_op_threads(), 1);
}

}  // namespace
}  // namespace cairn::nn::gemm_test
