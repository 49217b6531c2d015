#include "engine/common/key_stream.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "engine/common/random.h"

namespace strata {
namespace {

// log1p(x) / x and expm1(x) / x, accurate near 0.
double Helper1(double x) {
  return std::abs(x) > 1e-8 ? std::log1p(x) / x
                            : 1 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}
double Helper2(double x) {
  return std::abs(x) > 1e-8 ? std::expm1(x) / x
                            : 1 + x * 0.5 * (1 + x / 3.0 * (1 + 0.25 * x));
}

// A fixed round function of the Feistel network below.
uint64_t Round(uint64_t half, int round) {
  return Mix64(half ^ (0x5bd1e9955bd1e995ull * (round + 1)));
}

}  // namespace

KeyStream::KeyStream(uint64_t rows, double alpha, uint64_t seed)
    : rows_(std::max<uint64_t>(rows, 1)),
      alpha_(std::max(alpha, 0.0)),
      state_(Mix64(seed ^ 0x6b657973747265ull)) {
  int bits = rows_ <= 1 ? 0 : std::bit_width(rows_ - 1);
  half_bits_ = (std::max(bits, 2) + 1) / 2;
  if (alpha_ > 0) {
    h_x1_ = HIntegral(1.5) - 1.0;
    h_n_ = HIntegral(static_cast<double>(rows_) + 0.5);
    s_ = 2.0 - HIntegralInverse(HIntegral(2.5) - H(2.0));
  }
}

uint64_t KeyStream::NextBits() {
  state_ += 0x9e3779b97f4a7c15ull;
  return Mix64(state_);
}

double KeyStream::NextUnit() {
  return static_cast<double>(NextBits() >> 11) * 0x1.0p-53;
}

double KeyStream::H(double x) const { return std::exp(-alpha_ * std::log(x)); }

double KeyStream::HIntegral(double x) const {
  const double log_x = std::log(x);
  return Helper2((1.0 - alpha_) * log_x) * log_x;
}

double KeyStream::HIntegralInverse(double x) const {
  double t = x * (1.0 - alpha_);
  if (t < -1.0) t = -1.0;
  return std::exp(Helper1(t) * x);
}

uint64_t KeyStream::NextRank() {
  if (alpha_ == 0) {
    // Lemire's multiply-shift; the bias is below 2^-64 * rows.
    return static_cast<uint64_t>(
        (static_cast<unsigned __int128>(NextBits()) * rows_) >> 64);
  }
  const double n = static_cast<double>(rows_);
  while (true) {
    const double u = h_n_ + NextUnit() * (h_x1_ - h_n_);
    const double x = HIntegralInverse(u);
    double k = std::floor(x + 0.5);
    k = std::clamp(k, 1.0, n);
    if (k - x <= s_ || u >= HIntegral(k + 0.5) - H(k)) {
      return static_cast<uint64_t>(k) - 1;
    }
  }
}

int64_t KeyStream::KeyOfRank(uint64_t rank) const {
  // A balanced Feistel network is a bijection on [0, 2^(2*half_bits_));
  // cycle walking restricts it to [0, rows_). The domain is below 4 * rows_,
  // so the expected number of walks is below 4.
  const uint64_t mask = (uint64_t{1} << half_bits_) - 1;
  uint64_t x = rank;
  do {
    uint64_t left = x >> half_bits_;
    uint64_t right = x & mask;
    for (int round = 0; round < 4; ++round) {
      const uint64_t next = left ^ (Round(right, round) & mask);
      left = right;
      right = next;
    }
    x = (left << half_bits_) | right;
  } while (x >= rows_);
  return static_cast<int64_t>(x);
}

}  // namespace strata
