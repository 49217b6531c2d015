// Row values narrowed for the wire: float32 to IEEE binary16 (half.h: round
// to nearest even, relative error at most 2^-11 in the normal range) or to
// bfloat16 (the top 16 bits of the float32, round to nearest even: relative
// error at most 2^-8; NaN stays NaN, infinities stay infinite). The
// narrowing works in place, over a buffer that holds the float32s, so a
// reply's row buffer is reused as it is.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <cstring>

#include "engine/common/half.h"

namespace strata {

inline uint16_t FloatToBfloat16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) {
    return static_cast<uint16_t>((bits >> 16) | 0x40u);  // quiet NaN
  }
  bits += 0x7fffu + ((bits >> 16) & 1u);  // nearest, ties to even
  return static_cast<uint16_t>(bits >> 16);
}

inline float Bfloat16ToFloat(uint16_t b) {
  const uint32_t bits = uint32_t{b} << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Rewrites the `n` float32s at `bytes` as `n` 16-bit values at the start of
// the same buffer (FLOAT16 when `bfloat` is false, else BFLOAT16). Blocks are
// copied through locals, so no float is read after its bytes were written
// (block i writes bytes [k*i, k*(i+1)) of what block i/2 already read).
inline void NarrowInPlace(char* bytes, size_t n, bool bfloat) {
  constexpr size_t kBlock = 512;
  alignas(32) float in[kBlock];
  alignas(32) uint16_t out[kBlock];
  for (size_t first = 0; first < n; first += kBlock) {
    const size_t m = n - first < kBlock ? n - first : kBlock;
    std::memcpy(in, bytes + first * sizeof(float), m * sizeof(float));
    if (bfloat) {
      for (size_t i = 0; i < m; ++i) out[i] = FloatToBfloat16(in[i]);
    } else {
      FloatsToHalves(in, m, out);
    }
    std::memcpy(bytes + first * sizeof(uint16_t), out, m * sizeof(uint16_t));
  }
}

}  // namespace strata
