#include "cairn/algorithms/ppo_loss.h"

#include <gtest/gtest.h>

#include <cmath>
#include <span>
#include <vector>

#include "cairn/random/random.h"
#include "error_matchers.h"

namespace cairn {
namespace {

struct Case {
  std::vector<double> logp, old_logp, adv, v, v_old, ret, ent;
};

// Random minibatch whose ratios and value changes straddle the clip ranges, kept away
// from the kinks so that central differences are exact to rounding.
Case random_case(uint64_t seed, size_t m, double eps, double vc) {
  Rng rng(seed);
  Case c;
  for (size_t i = 0; i < m; ++i) {
    double log_ratio, dv;
    do {
      log_ratio = rng.uniform(-0.5, 0.5);
    } while (std::abs(std::exp(log_ratio) - (1 + eps)) < 1e-3 ||
             std::abs(std::exp(log_ratio) - (1 - eps)) < 1e-3);
    do {
      dv = rng.uniform(-0.6, 0.6);
    } while (std::abs(std::abs(dv) - vc) < 1e-3);
    c.old_logp.push_back(rng.uniform(-3.0, 0.0));
    c.logp.push_back(c.old_logp.back() + log_ratio);
    c.adv.push_back(rng.normal());
    c.v_old.push_back(rng.normal());
    c.v.push_back(c.v_old.back() + dv);
    c.ret.push_back(rng.normal());
    c.ent.push_back(rng.uniform(0.1, 1.5));
  }
  return c;
}

double total_loss(const Case& c, const PPOLossSettings& s) {
  const size_t m = c.logp.size();
  std::vector<double> a(m), b(m), e(m);
  return ppo_loss<double>({c.logp, c.old_logp, c.adv, c.v, c.v_old, c.ret, c.ent}, s, {a, b, e})
      .total();
}

void check(const PPOLossSettings& s, uint64_t seed) {
  Case c = random_case(seed, 32, s.clip_coef, s.value_clip_coef);
  const size_t m = c.logp.size();
  std::vector<double> d_logp(m), d_v(m), d_ent(m);
  ppo_loss<double>({c.logp, c.old_logp, c.adv, c.v, c.v_old, c.ret, c.ent}, s,
                   {d_logp, d_v, d_ent});
  const double h = 1e-6;
  auto numeric = [&](std::vector<double>& x, size_t i) {
    const double saved = x[i];
    x[i] = saved + h;
    const double up = total_loss(c, s);
    x[i] = saved - h;
    const double down = total_loss(c, s);
    x[i] = saved;
    return (up - down) / (2 * h);
  };
  size_t zero_logp_grads = 0;
  for (size_t i = 0; i < m; ++i) {
    EXPECT_NEAR(d_logp[i], numeric(c.logp, i), 1e-8) << "logp " << i;
    EXPECT_NEAR(d_v[i], numeric(c.v, i), 1e-8) << "value " << i;
    EXPECT_NEAR(d_ent[i], numeric(c.ent, i), 1e-8) << "entropy " << i;
    zero_logp_grads += d_logp[i] == 0.0;
  }
  // The case exercises both branches of the clipped surrogate.
  EXPECT_GT(zero_logp_grads, 0u);
  EXPECT_LT(zero_logp_grads, m);
}

TEST(PPOLoss, GradientsMatchFiniteDifferencesWithValueClipping) {
  check({.clip_coef = 0.2,
         .clip_value_loss = true,
         .value_clip_coef = 0.3,
         .vf_coef = 0.5,
         .ent_coef = 0.01},
        1);
}

TEST(PPOLoss, GradientsMatchFiniteDifferencesWithoutValueClipping) {
  check({.clip_coef = 0.1,
         .clip_value_loss = false,
         .value_clip_coef = 0.2,
         .vf_coef = 1.0,
         .ent_coef = 0.0},
        2);
}

TEST(PPOLoss, ValuesFollowThePaper) {
  // One sample, ratio 1.5 > 1 + eps with a positive advantage: the clipped term wins.
  const std::vector<double> logp = {std::log(1.5)}, old = {0.0}, adv = {2.0}, v = {1.0},
                            v_old = {0.0}, ret = {0.5}, ent = {0.7};
  std::vector<double> a(1), b(1), e(1);
  const PPOLossSettings s{.clip_coef = 0.2,
                          .clip_value_loss = true,
                          .value_clip_coef = 0.2,
                          .vf_coef = 0.5,
                          .ent_coef = 0.1};
  const PPOLossTerms t = ppo_loss<double>({logp, old, adv, v, v_old, ret, ent}, s, {a, b, e});
  EXPECT_DOUBLE_EQ(t.policy_loss, -2.0 * 1.2);
  EXPECT_EQ(a[0], 0.0);  // flat in the ratio
  // Value: unclipped (1 - 0.5)^2 = 0.25, clipped (0.2 - 0.5)^2 = 0.09: the larger is used.
  EXPECT_DOUBLE_EQ(t.value_loss, 0.5 * 0.25);
  EXPECT_DOUBLE_EQ(t.entropy, 0.7);
  EXPECT_NEAR(t.approx_kl, 0.5 - std::log(1.5), 1e-15);
  EXPECT_EQ(t.clip_fraction, 1.0);
  EXPECT_DOUBLE_EQ(t.total(), -2.4 + 0.5 * 0.125 - 0.1 * 0.7);
}

TEST(PPOLoss, APartOfTheMinibatchGetsTheBitsOfTheWhole) {
  // A rank computing the samples 40..99 of a minibatch of 100 passes minibatch_size = 100:
  // its per-sample gradients are the bits the whole minibatch's call gives those samples.
  Case whole = random_case(7, 100, 0.2, 0.2);
  std::vector<float> f[7];
  const std::vector<double>* fields[7] = {&whole.logp,  &whole.old_logp, &whole.adv, &whole.v,
                                          &whole.v_old, &whole.ret,      &whole.ent};
  for (size_t k = 0; k < 7; ++k) f[k].assign(fields[k]->begin(), fields[k]->end());
  PPOLossSettings s{.clip_coef = 0.2, .vf_coef = 0.5, .ent_coef = 0.01};
  std::vector<float> a(100), b(100), e(100);
  ppo_loss<float>({f[0], f[1], f[2], f[3], f[4], f[5], f[6]}, s, {a, b, e});
  auto part = [&](size_t k) { return std::span<const float>(f[k]).subspan(40, 60); };
  std::vector<float> pa(60), pb(60), pe(60);
  s.minibatch_size = 100;
  ppo_loss<float>({part(0), part(1), part(2), part(3), part(4), part(5), part(6)}, s, {pa, pb, pe});
  for (size_t i = 0; i < 60; ++i) {
    EXPECT_EQ(pa[i], a[40 + i]) << i;
    EXPECT_EQ(pb[i], b[40 + i]) << i;
    EXPECT_EQ(pe[i], e[40 + i]) << i;
  }
  // Without it, the part's own size is the m of the means.
  s.minibatch_size = 0;
  ppo_loss<float>({part(0), part(1), part(2), part(3), part(4), part(5), part(6)}, s, {pa, pb, pe});
  EXPECT_NE(pe[0], e[40]);
}

TEST(PPOLoss, SizeMismatchIsAnError) {
  const std::vector<double> two(2), one(1);
  std::vector<double> g2(2), g1(1);
  EXPECT_ERROR_CONTAINS(ppo_loss<double>({two, two, two, two, two, two, one}, {}, {g2, g2, g2}),
                        "minibatch size 2, one has 1");
}

}  // namespace
}  // namespace cairn
