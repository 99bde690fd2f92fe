#include "cairn/nn/adam.h"

#include <cmath>
#include <type_traits>

#include "cairn/error.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#elif defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace cairn::nn {
namespace {

// Flush-to-zero for the calling thread while it lives (x86's MXCSR.FTZ; elsewhere
// nothing). Only results are flushed: inputs, denormal or not, are read exactly (no DAZ).
class FlushDenormalResults {
 public:
#if defined(__SSE__)
  FlushDenormalResults() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | _MM_FLUSH_ZERO_ON); }
  ~FlushDenormalResults() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#endif
};

}  // namespace

template <typename T>
Adam<T>::Adam(const std::vector<TensorInfo>& parameters, const AdamOptions& options)
    : Optimizer<T>(parameters, {"exp_avg", "exp_avg_sq"}, options.lr), options_(options) {
  if (!(options.lr >= 0)) throw Error("adam: lr must be >= 0");
  if (!(options.eps >= 0)) throw Error("adam: eps must be >= 0");
  if (!(options.beta1 >= 0 && options.beta1 < 1)) throw Error("adam: beta1 must be in [0, 1)");
  if (!(options.beta2 >= 0 && options.beta2 < 1)) throw Error("adam: beta2 must be in [0, 1)");
  if (!(options.weight_decay >= 0)) throw Error("adam: weight_decay must be >= 0");
}

template <typename T>
void Adam<T>::step(std::span<T> params, std::span<const T> grads) {
  this->check_sizes(params, grads);
  const size_t n = params.size();
  T* const p = params.data();
  T* const m = this->slot(0);
  T* const v = this->slot(1);
  const T* const g = grads.data();

  ++this->steps_;
  const double t = static_cast<double>(this->steps_);
  const double bias_correction1 = 1.0 - std::pow(options_.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(options_.beta2, t);
  const T neg_step_size = static_cast<T>(-(this->lr_ / bias_correction1));
  const T bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T beta1 = static_cast<T>(options_.beta1),
          one_minus_beta1 = static_cast<T>(1 - options_.beta1);
  const T beta2 = static_cast<T>(options_.beta2),
          one_minus_beta2 = static_cast<T>(1 - options_.beta2);
  const T eps = static_cast<T>(options_.eps);
  const T wd = static_cast<T>(options_.weight_decay);

  // One pass over the four arrays (they outgrow L1 for a 64 x 64 actor-critic), each
  // element computed as PyTorch's Adam writes it:
  //   m_t = beta1 m + (1 - beta1) g,  v_t = beta2 v + (1 - beta2) g^2,
  //   p_t = p - lr / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps).
  const FlushDenormalResults flush;
  if (options_.weight_decay != 0) {
    for (size_t i = 0; i < n; ++i) {
      const T gi = g[i] + p[i] * wd;  // L2 penalty folded into the gradient, as torch.optim.Adam
      const T mi = m[i] * beta1 + gi * one_minus_beta1;
      const T vi = v[i] * beta2 + one_minus_beta2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] + (neg_step_size * mi) / (std::sqrt(vi) / bc2_sqrt + eps);
    }
  } else {
    size_t i = 0;
#if defined(__AVX512F__)
    // The same operations on 16 lanes (IEEE sqrt and division, no fused multiply-add), so
    // every element has the scalar loop's bits; compilers do not vectorise std::sqrt
    // while it may set errno.
    if constexpr (std::is_same_v<T, float>) {
      const __m512 b1 = _mm512_set1_ps(beta1), c1 = _mm512_set1_ps(one_minus_beta1);
      const __m512 b2 = _mm512_set1_ps(beta2), c2 = _mm512_set1_ps(one_minus_beta2);
      const __m512 step = _mm512_set1_ps(neg_step_size), bc2 = _mm512_set1_ps(bc2_sqrt);
      const __m512 e = _mm512_set1_ps(eps);
      for (; i + 16 <= n; i += 16) {
        const __m512 gi = _mm512_loadu_ps(g + i);
        const __m512 mi =
            _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(m + i), b1), _mm512_mul_ps(gi, c1));
        const __m512 vi = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(v + i), b2),
                                        _mm512_mul_ps(_mm512_mul_ps(c2, gi), gi));
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        const __m512 denom = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), bc2), e);
        _mm512_storeu_ps(
            p + i, _mm512_add_ps(_mm512_loadu_ps(p + i), _mm512_div_ps(_mm512_mul_ps(step, mi), denom)));
      }
    }
#endif
    for (; i < n; ++i) {
      const T mi = m[i] * beta1 + g[i] * one_minus_beta1;
      const T vi = v[i] * beta2 + one_minus_beta2 * g[i] * g[i];
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] + (neg_step_size * mi) / (std::sqrt(vi) / bc2_sqrt + eps);
    }
  }
}

template class Adam<float>;
template class Adam<double>;

}  // namespace cairn::nn
