// cairn's random number generator: PCG64 seeded through NumPy's SeedSequence.
//
// Why PCG64 with NumPy's seeding: Gymnasium seeds every environment with
// np.random.Generator(PCG64(SeedSequence(seed))). Using the same generator and
// the same seeding, cairn's built-in environments draw the same initial states
// as Gymnasium for the same seed, bit for bit, and `uniform(low, high)` matches
// NumPy's Generator.uniform. Normal and integer sampling are cairn's own
// (documented below), so results never depend on a standard library's
// <random> distributions.
//
// Independent streams: `Rng::stream(seed, k)` is the generator NumPy builds from
// SeedSequence(seed).spawn(...)[k] (spawn key (k,)), so streams derived from one
// seed are statistically independent.
//
// Thread safety: an Rng is a plain value; use one per thread. No method allocates.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace cairn {

// 128-bit arithmetic for PCG64 (a GCC/Clang extension; __extension__ keeps -Wpedantic quiet).
__extension__ typedef unsigned __int128 uint128;

// NumPy's SeedSequence (numpy/random/bit_generator.pyx), pool size 4.
class SeedSequence {
 public:
  // `entropy` is the seed as a non-negative integer (up to 64 bits here).
  explicit SeedSequence(uint64_t entropy, std::span<const uint32_t> spawn_key = {});

  // The first `n_words` 32-bit words of the generated state (generate_state(n, uint32)).
  // Allocates the returned vector.
  std::vector<uint32_t> generate_state_u32(size_t n_words) const;
  // generate_state(n, uint64): pairs of 32-bit words, little-endian.
  std::vector<uint64_t> generate_state_u64(size_t n_words) const;

 private:
  std::array<uint32_t, 4> pool_{};
};

// The complete, exactly restorable state of an Rng.
struct RngState {
  uint64_t state_hi = 0, state_lo = 0;  // 128-bit LCG state
  uint64_t inc_hi = 0, inc_lo = 0;      // 128-bit increment (odd)
  uint64_t has_spare_normal = 0;        // 1 if `spare_normal` holds a cached normal draw
  double spare_normal = 0.0;

  bool operator==(const RngState&) const = default;

  // The state as six 64-bit words (state hi/lo, increment hi/lo, spare flag, spare
  // bits), the form checkpoints store; from_words() is the inverse.
  std::array<uint64_t, 6> to_words() const;
  static RngState from_words(std::span<const uint64_t, 6> words);
};

class Rng {
 public:
  // Seeded as NumPy's PCG64(SeedSequence(seed)).
  explicit Rng(uint64_t seed = 0);
  // Stream `k` of `seed`: PCG64(SeedSequence(seed, spawn_key=(k,))).
  static Rng stream(uint64_t seed, uint64_t k);
  static Rng from_seed_sequence(const SeedSequence& seq);

  // Raw 64 random bits (PCG64 XSL-RR output), as NumPy's PCG64.random_raw().
  uint64_t next_u64();
  // Uniform double in [0, 1) with 53 random bits, as NumPy's Generator.random().
  double uniform();
  // low + (high - low) * uniform(), as NumPy's Generator.uniform(low, high).
  double uniform(double low, double high);
  // Uniform float in [0, 1) with 24 random bits (cairn's own; not NumPy's).
  float uniform_float();
  // Uniform integer in [0, n) by Lemire's unbiased multiply-and-reject. n must be > 0.
  uint64_t below(uint64_t n);
  // Standard normal by Marsaglia's polar method; the second value of each pair is
  // cached in the state, so the sequence is exactly reproducible from `state()`.
  double normal();
  // Exponential(1) by inversion: -log(1 - uniform()).
  double exponential();

  RngState state() const;
  // Throws cairn::Error if `s` is not a valid PCG64 state (even increment).
  void set_state(const RngState& s);

  bool operator==(const Rng& other) const { return state() == other.state(); }

 private:
  struct Unseeded {};
  explicit Rng(Unseeded) {}

  uint128 state_ = 0;
  uint128 inc_ = 1;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace cairn
