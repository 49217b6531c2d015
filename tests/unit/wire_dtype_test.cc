// Narrowing rows for the wire: error bounds of FLOAT16 and BFLOAT16, special
// values, and in-place narrowing equal to element-wise conversion.
#include "engine/common/wire_dtype.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace strata {
namespace {

std::vector<uint16_t> Narrowed(const std::vector<float>& in, bool bfloat) {
  if (in.empty()) return {};  // (memcpy of nothing from a null data())
  std::vector<char> bytes(in.size() * sizeof(float));
  std::memcpy(bytes.data(), in.data(), bytes.size());
  NarrowInPlace(bytes.data(), in.size(), bfloat);
  std::vector<uint16_t> out(in.size());
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(uint16_t));
  return out;
}

TEST_CASE("FLOAT16 and BFLOAT16 stay within their relative error bounds") {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<float> mantissa(1.0f, 2.0f);
  std::uniform_int_distribution<int> exponent(-14, 15);  // half's normal range
  std::vector<float> in;
  for (int i = 0; i < 20000; ++i) {
    const float sign = rng() % 2 ? 1.0f : -1.0f;
    in.push_back(sign * std::ldexp(mantissa(rng), exponent(rng)));
  }
  const std::vector<uint16_t> half = Narrowed(in, false);
  const std::vector<uint16_t> bf = Narrowed(in, true);
  for (size_t i = 0; i < in.size(); ++i) {
    INFO("value " << in[i]);
    std::vector<float> back(1);
    HalvesToFloats(&half[i], 1, back.data());
    if (std::fabs(in[i]) <= 65504.0f) {
      REQUIRE(std::fabs(back[0] - in[i]) <= std::ldexp(std::fabs(in[i]), -11));
    }
    REQUIRE(std::fabs(Bfloat16ToFloat(bf[i]) - in[i]) <=
            std::ldexp(std::fabs(in[i]), -8));
  }
}

TEST_CASE("bfloat16 keeps zeros and infinities and NaN and rounds to even") {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(Bfloat16ToFloat(FloatToBfloat16(0.0f)) == 0.0f);
  CHECK(std::signbit(Bfloat16ToFloat(FloatToBfloat16(-0.0f))));
  CHECK(Bfloat16ToFloat(FloatToBfloat16(inf)) == inf);
  CHECK(Bfloat16ToFloat(FloatToBfloat16(-inf)) == -inf);
  CHECK(std::isnan(Bfloat16ToFloat(
      FloatToBfloat16(std::numeric_limits<float>::quiet_NaN()))));
  // 1 + 2^-8 is halfway between bfloat16 1 and 1 + 2^-7: ties go to even (1).
  CHECK(Bfloat16ToFloat(FloatToBfloat16(1.0f + std::ldexp(1.0f, -8))) == 1.0f);
  // Just above halfway rounds up.
  CHECK(Bfloat16ToFloat(FloatToBfloat16(1.0f + std::ldexp(1.0f, -8) +
                                        std::ldexp(1.0f, -20))) ==
        1.0f + std::ldexp(1.0f, -7));
  // The largest float is nearer to infinity than to bfloat16's largest.
  CHECK(Bfloat16ToFloat(FloatToBfloat16(std::numeric_limits<float>::max())) ==
        inf);
}

TEST_CASE("narrowing in place equals converting each value") {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  {
    char nothing[1] = {'x'};
    NarrowInPlace(nothing, 0, false);  // n = 0 touches nothing
    CHECK(nothing[0] == 'x');
  }
  for (size_t n : {1, 7, 8, 9, 63, 1000}) {
    std::vector<float> in(n);
    for (float& f : in) f = normal(rng);
    const std::vector<uint16_t> half = Narrowed(in, false);
    const std::vector<uint16_t> bf = Narrowed(in, true);
    for (size_t i = 0; i < n; ++i) {
      REQUIRE(half[i] == FloatToHalf(in[i]));
      REQUIRE(bf[i] == FloatToBfloat16(in[i]));
    }
  }
}

}  // namespace
}  // namespace strata
