#include "cairn/random/random.h"

#include <bit>
#include <cmath>
#include <string>

#include "cairn/error.h"

namespace cairn {
namespace {

// Constants of NumPy's SeedSequence hash (bit_generator.pyx).
constexpr uint32_t kInitA = 0x43b0d7e5;
constexpr uint32_t kMultA = 0x931e8875;
constexpr uint32_t kInitB = 0x8b51f9dd;
constexpr uint32_t kMultB = 0x58f38ded;
constexpr uint32_t kMixMultL = 0xca01f9dd;
constexpr uint32_t kMixMultR = 0x4973f715;
constexpr unsigned kXShift = 16;
constexpr size_t kPoolSize = 4;

uint32_t hashmix(uint32_t value, uint32_t& hash_const) {
  value ^= hash_const;
  hash_const *= kMultA;
  value *= hash_const;
  value ^= value >> kXShift;
  return value;
}

uint32_t mix(uint32_t x, uint32_t y) {
  uint32_t result = kMixMultL * x - kMixMultR * y;
  result ^= result >> kXShift;
  return result;
}

using u128 = uint128;
constexpr u128 kPcgMultiplier =
    (static_cast<u128>(2549297995355413924ULL) << 64) | 4865540595714422341ULL;

u128 make_u128(uint64_t hi, uint64_t lo) {
  return (static_cast<u128>(hi) << 64) | lo;
}

// NumPy's normal ziggurat (Marsaglia and Tsang, "The Ziggurat Method for Generating
// Random Variables", 2000): 256 layers of equal area V under f(x) = exp(-x^2/2), the
// base layer (index 0) being the rectangle [0, V/f(r)] plus the tail beyond r.
//
// NumPy's tables (numpy/random/src/distributions/ziggurat_constants.h) are the output of
// a float64 script (randomgen's, by Kevin Sheppard): r = 3.65415288536100879635... and
// V = 0.0049286732339746519 taken as given (V is not derived from r); x_255 = r and
// x_{i-1} = sqrt(-2 log(f(x_i) + V / x_i)) downwards to x_1 (x_0 = 0); ki rounded to
// nearest, ties to even (np.round). Every exp, log and sqrt of that script is the
// correctly rounded double except one: at layer 38 its exp returned the double above
// the correctly rounded f(x_38) (the exact value lies 0.0017 ulp below the midpoint
// between the two, so the generating machine's libm, not the procedure, decided it).
// Because x_37..x_1 follow from f(x_38), that one ulp changes 37 layers (wi[1] by about
// 44 ulps), and about 14% of draws by a few ulps. cairn reproduces the script with
// correctly rounded exp/log (glibc's are, at these ~510 arguments) and applies that
// single one-ulp step by hand: kNumpyExpRoundedUpLayer below. Verified against NumPy's
// DRAWS (tests/random/numpy_normal_test.cpp), not by copying its tables.
constexpr double kZigguratR = 3.6541528853610087963519472518;
constexpr double kZigguratV = 0.0049286732339746519;
constexpr double kTwoPow52 = 4503599627370496.0;
constexpr size_t kZigguratLayers = 256;
constexpr size_t kNumpyExpRoundedUpLayer = 38;

double ziggurat_f(double x) {
  return std::exp(-0.5 * x * x);
}

struct NormalZiggurat {
  // Layer i (1..255) spans |x| < x_i with x_0 = 0 < x_1 < ... < x_255 = r:
  //   ki[i] = x_{i-1} / x_i * 2^52: magnitudes (52 bits) below it lie inside the layer
  //           beneath, so the draw is accepted without evaluating f;
  //   wi[i] = x_i / 2^52: the magnitude's scale to x;
  //   fi[i] = f(x_i): the wedge test's bounds.
  // Index 0 is the base: wi[0] = (V / f(r)) / 2^52 (the base rectangle's pseudo-width),
  // ki[0] = r f(r) / V * 2^52 (the rectangle's share of the base area), fi[0] = f(0) = 1.
  std::array<uint64_t, kZigguratLayers> ki{};
  std::array<double, kZigguratLayers> wi{};
  std::array<double, kZigguratLayers> fi{};

  NormalZiggurat() {
    // Layer edges from the top of the ziggurat downwards: x_{i-1} solves
    // f(x_{i-1}) = f(x_i) + V / x_i (each layer's area x_i (f(x_{i-1}) - f(x_i)) = V).
    std::array<double, kZigguratLayers> x{};
    x[kZigguratLayers - 1] = kZigguratR;
    for (size_t i = kZigguratLayers - 1; i >= 1; --i) {
      fi[i] = ziggurat_f(x[i]);
      if (i == kNumpyExpRoundedUpLayer) fi[i] = std::nextafter(fi[i], 2.0);
      if (i > 1) x[i - 1] = std::sqrt(-2.0 * std::log(fi[i] + kZigguratV / x[i]));
    }
    x[0] = 0.0;  // the apex
    fi[0] = 1.0;
    for (size_t i = 1; i < kZigguratLayers; ++i) {
      // np.round: to nearest, ties to even (the default rounding mode); the ratios
      // times 2^52 lie in [2^51, 2^52), where halves are representable.
      ki[i] = static_cast<uint64_t>(std::nearbyint(x[i - 1] / x[i] * kTwoPow52));
      wi[i] = x[i] / kTwoPow52;
    }
    const double f_r = fi[kZigguratLayers - 1];
    ki[0] = static_cast<uint64_t>(std::nearbyint(kZigguratR * f_r / kZigguratV * kTwoPow52));
    wi[0] = kZigguratV / f_r / kTwoPow52;
  }
};

const NormalZiggurat& normal_ziggurat() {
  static const NormalZiggurat tables;
  return tables;
}

}  // namespace

SeedSequence::SeedSequence(uint64_t entropy, std::span<const uint32_t> spawn_key) {
  // _coerce_to_uint32_array: an integer becomes its 32-bit words, least significant first;
  // zero becomes [0].
  std::vector<uint32_t> words;
  if (entropy == 0) {
    words.push_back(0);
  } else {
    for (uint64_t e = entropy; e != 0; e >>= 32) words.push_back(static_cast<uint32_t>(e));
  }
  // get_assembled_entropy: the run entropy is zero-padded to the pool size when a spawn
  // key follows, so that spawned sequences never collide with plain ones.
  if (!spawn_key.empty() && words.size() < kPoolSize) words.resize(kPoolSize, 0);
  words.insert(words.end(), spawn_key.begin(), spawn_key.end());

  // mix_entropy
  uint32_t hash_const = kInitA;
  for (size_t i = 0; i < kPoolSize; ++i) {
    pool_[i] = hashmix(i < words.size() ? words[i] : 0, hash_const);
  }
  for (size_t src = 0; src < kPoolSize; ++src) {
    for (size_t dst = 0; dst < kPoolSize; ++dst) {
      if (src != dst) pool_[dst] = mix(pool_[dst], hashmix(pool_[src], hash_const));
    }
  }
  for (size_t src = kPoolSize; src < words.size(); ++src) {
    for (size_t dst = 0; dst < kPoolSize; ++dst) {
      pool_[dst] = mix(pool_[dst], hashmix(words[src], hash_const));
    }
  }
}

std::vector<uint32_t> SeedSequence::generate_state_u32(size_t n_words) const {
  std::vector<uint32_t> out(n_words);
  uint32_t hash_const = kInitB;
  for (size_t i = 0; i < n_words; ++i) {
    uint32_t v = pool_[i % kPoolSize];
    v ^= hash_const;
    hash_const *= kMultB;
    v *= hash_const;
    v ^= v >> kXShift;
    out[i] = v;
  }
  return out;
}

std::vector<uint64_t> SeedSequence::generate_state_u64(size_t n_words) const {
  const std::vector<uint32_t> w = generate_state_u32(2 * n_words);
  std::vector<uint64_t> out(n_words);
  for (size_t i = 0; i < n_words; ++i) {
    out[i] = static_cast<uint64_t>(w[2 * i]) | (static_cast<uint64_t>(w[2 * i + 1]) << 32);
  }
  return out;
}

Rng::Rng(uint64_t seed) {
  *this = from_seed_sequence(SeedSequence(seed));
}

Rng Rng::stream(uint64_t seed, uint64_t k) {
  std::vector<uint32_t> key;
  if (k == 0) {
    key.push_back(0);
  } else {
    for (uint64_t e = k; e != 0; e >>= 32) key.push_back(static_cast<uint32_t>(e));
  }
  return from_seed_sequence(SeedSequence(seed, key));
}

Rng Rng::from_seed_sequence(const SeedSequence& seq) {
  // PCG64.__init__: seed = words 0..1, inc = words 2..3 (each high word first), then
  // pcg_setseq_128_srandom_r.
  const std::vector<uint64_t> v = seq.generate_state_u64(4);
  const u128 initstate = make_u128(v[0], v[1]);
  const u128 initseq = make_u128(v[2], v[3]);
  Rng r{Unseeded{}};
  r.state_ = 0;
  r.inc_ = (initseq << 1) | 1;
  r.state_ = r.state_ * kPcgMultiplier + r.inc_;
  r.state_ += initstate;
  r.state_ = r.state_ * kPcgMultiplier + r.inc_;
  return r;
}

uint64_t Rng::next_u64() {
  state_ = state_ * kPcgMultiplier + inc_;
  const uint64_t hi = static_cast<uint64_t>(state_ >> 64);
  const uint64_t lo = static_cast<uint64_t>(state_);
  const unsigned rot = static_cast<unsigned>(state_ >> 122);
  const uint64_t x = hi ^ lo;
  return (x >> rot) | (x << ((64u - rot) & 63u));
}

double Rng::uniform() {
  return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

double Rng::uniform(double low, double high) {
  return low + (high - low) * uniform();
}

float Rng::uniform_float() {
  return static_cast<float>(next_u64() >> 40) * (1.0f / 16777216.0f);
}

uint64_t Rng::below(uint64_t n) {
  // Lemire, "Fast Random Integer Generation in an Interval" (2019).
  u128 m = static_cast<u128>(next_u64()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<u128>(next_u64()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u, v, s;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double f = std::sqrt(-2.0 * std::log(s) / s);
  spare_ = v * f;
  has_spare_ = true;
  return u * f;
}

double Rng::standard_normal() {
  const NormalZiggurat& z = normal_ziggurat();
  for (;;) {
    // One 64-bit draw: bits 0-7 the layer, bit 8 the sign, bits 9-60 the magnitude.
    const uint64_t bits = next_u64();
    const size_t layer = bits & 0xff;
    const bool negative = ((bits >> 8) & 1) != 0;
    const uint64_t magnitude = (bits >> 9) & 0x000fffffffffffffULL;
    double x = static_cast<double>(magnitude) * z.wi[layer];
    if (negative) x = -x;
    if (magnitude < z.ki[layer]) return x;  // inside the layer below: ~99.3% of draws
    if (layer == 0) {
      // The tail beyond r (Marsaglia's method): x = -log(U1) / r is accepted when
      // -2 log(U2) > x^2; 1 - uniform() keeps log away from 0. The sign is bit 8 of
      // the magnitude, as NumPy takes it.
      for (;;) {
        const double xx = -(1.0 / kZigguratR) * std::log(1.0 - uniform());
        const double yy = -std::log(1.0 - uniform());
        if (yy + yy > xx * xx) {
          return ((magnitude >> 8) & 1) != 0 ? -(kZigguratR + xx) : kZigguratR + xx;
        }
      }
    }
    // The wedge between layer `layer` and the one beneath: accept under f.
    if ((z.fi[layer - 1] - z.fi[layer]) * uniform() + z.fi[layer] < std::exp(-0.5 * x * x)) {
      return x;
    }
  }
}

double Rng::normal(double loc, double scale) {
  if (scale < 0.0) {
    throw Error("Rng::normal: scale must be >= 0, got " + std::to_string(scale));
  }
  return loc + scale * standard_normal();
}

double Rng::exponential() {
  return -std::log1p(-uniform());
}

std::array<uint64_t, 6> RngState::to_words() const {
  return {state_hi, state_lo,         inc_hi,
          inc_lo,   has_spare_normal, std::bit_cast<uint64_t>(spare_normal)};
}

RngState RngState::from_words(std::span<const uint64_t, 6> w) {
  RngState s;
  s.state_hi = w[0];
  s.state_lo = w[1];
  s.inc_hi = w[2];
  s.inc_lo = w[3];
  s.has_spare_normal = w[4];
  s.spare_normal = std::bit_cast<double>(w[5]);
  return s;
}

RngState Rng::state() const {
  RngState s;
  s.state_hi = static_cast<uint64_t>(state_ >> 64);
  s.state_lo = static_cast<uint64_t>(state_);
  s.inc_hi = static_cast<uint64_t>(inc_ >> 64);
  s.inc_lo = static_cast<uint64_t>(inc_);
  s.has_spare_normal = has_spare_ ? 1 : 0;
  s.spare_normal = spare_;
  return s;
}

void Rng::set_state(const RngState& s) {
  if ((s.inc_lo & 1) == 0) {
    throw Error("Rng::set_state: invalid state: the PCG64 increment must be odd");
  }
  state_ = make_u128(s.state_hi, s.state_lo);
  inc_ = make_u128(s.inc_hi, s.inc_lo);
  has_spare_ = s.has_spare_normal != 0;
  spare_ = s.spare_normal;
}

}  // namespace cairn
