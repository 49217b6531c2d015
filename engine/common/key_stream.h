// KeyStream: the deterministic key stream of shared/BENCHMARKS.md. Key ranks
// follow Zipf(alpha) over [0, rows) (rank 0 is the most popular; alpha = 0 is
// uniform), and ranks are scattered over the key space [0, rows) by a fixed
// bijection, so popular keys are not neighbours in memory. The keys of
// generated models are 0..rows-1, so every key of the stream exists there.
//
// Sampling is O(1) per key (rejection-inversion, Hörmann & Derflinger 1996)
// and needs no tables, so a stream over any number of rows is cheap to build.
// The same (rows, alpha, seed) always yields the same keys; the rank-to-key
// bijection does not depend on the seed, so streams of different seeds agree
// on which keys are hot.
//
// Ownership: a value type; copying it copies the stream's position.
// Thread safety: not thread-safe; give each thread its own stream (for
// example seeded with seed + thread index).
#pragma once

#include <cstdint>

namespace strata {

class KeyStream {
 public:
  // `rows` >= 1, `alpha` >= 0.
  KeyStream(uint64_t rows, double alpha, uint64_t seed);

  // The next key, in [0, rows).
  int64_t Next() { return KeyOfRank(NextRank()); }

  // The next popularity rank, in [0, rows); Next() is KeyOfRank(NextRank()).
  uint64_t NextRank();

  // The key that popularity rank `rank` maps to (a bijection on [0, rows)).
  int64_t KeyOfRank(uint64_t rank) const;

  uint64_t rows() const { return rows_; }
  double alpha() const { return alpha_; }

 private:
  uint64_t NextBits();
  double NextUnit();  // uniform in [0, 1)
  double H(double x) const;
  double HIntegral(double x) const;
  double HIntegralInverse(double x) const;

  // Constant after construction.
  uint64_t rows_;
  double alpha_;
  int half_bits_;    // the bijection works on 2 * half_bits_ bits
  double h_x1_ = 0;  // HIntegral(1.5) - 1
  double h_n_ = 0;   // HIntegral(rows + 0.5)
  double s_ = 0;     // acceptance shortcut of the sampler

  uint64_t state_;  // SplitMix64 counter
};

}  // namespace strata
