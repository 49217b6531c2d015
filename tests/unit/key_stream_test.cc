// KeyStream: determinism, range, the rank-to-key bijection and the Zipf
// shape of the ranks it draws.
#include "engine/common/key_stream.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

namespace strata {
namespace {

TEST_CASE("KeyStream is deterministic for a seed", "[key_stream]") {
  KeyStream a(1000, 1.05, 7), b(1000, 1.05, 7), c(1000, 1.05, 8);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const int64_t k = a.Next();
    CHECK(k == b.Next());
    differs |= k != c.Next();
  }
  CHECK(differs);
}

TEST_CASE("KeyStream keys stay in 0..rows-1", "[key_stream]") {
  for (uint64_t rows : {1ull, 2ull, 3ull, 1000ull, 1025ull, 1ull << 20}) {
    for (double alpha : {0.0, 0.5, 1.0, 1.05, 1.2}) {
      KeyStream s(rows, alpha, 1);
      for (int i = 0; i < 2000; ++i) {
        const int64_t k = s.Next();
        REQUIRE(k >= 0);
        REQUIRE(static_cast<uint64_t>(k) < rows);
      }
    }
  }
}

TEST_CASE("KeyOfRank is a bijection that scatters hot ranks", "[key_stream]") {
  for (uint64_t rows : {1ull, 5ull, 1000ull, 4096ull, 100003ull}) {
    KeyStream s(rows, 1.05, 1);
    std::vector<bool> seen(rows, false);
    for (uint64_t r = 0; r < rows; ++r) {
      const int64_t k = s.KeyOfRank(r);
      REQUIRE(k >= 0);
      REQUIRE(static_cast<uint64_t>(k) < rows);
      REQUIRE_FALSE(seen[k]);
      seen[k] = true;
    }
  }
  // The ten hottest keys of a big table are not a run of neighbours.
  KeyStream s(1000000, 1.05, 1);
  int neighbours = 0;
  for (uint64_t r = 0; r + 1 < 10; ++r) {
    neighbours += std::abs(s.KeyOfRank(r) - s.KeyOfRank(r + 1)) < 64;
  }
  CHECK(neighbours <= 1);
}

TEST_CASE("KeyStream ranks follow Zipf(alpha)", "[key_stream]") {
  constexpr uint64_t kRows = 1000;
  constexpr int kDraws = 400000;
  for (double alpha : {0.0, 1.0, 1.05, 1.2}) {
    KeyStream s(kRows, alpha, 3);
    std::vector<int> count(kRows, 0);
    for (int i = 0; i < kDraws; ++i) ++count[s.NextRank()];
    double norm = 0;
    for (uint64_t r = 1; r <= kRows; ++r) norm += std::pow(double(r), -alpha);
    for (uint64_t r : {0ull, 1ull, 9ull, 99ull}) {
      const double expect = kDraws * std::pow(double(r + 1), -alpha) / norm;
      // Five standard deviations of a binomial count.
      CHECK(std::abs(count[r] - expect) <= 5 * std::sqrt(expect) + 1);
    }
    // The head's share: ranks below 100.
    double head = 0, expect_head = 0;
    for (uint64_t r = 0; r < 100; ++r) {
      head += count[r];
      expect_head += kDraws * std::pow(double(r + 1), -alpha) / norm;
    }
    CHECK(std::abs(head - expect_head) <= 5 * std::sqrt(expect_head) + 1);
  }
}

}  // namespace
}  // namespace strata
