// Deterministic, seedable integer mixing used by the synthetic model
// generator, the key streams of benchmarks and tests. Pure functions.
#pragma once

#include <cstdint>

namespace strata {

// SplitMix64 finalizer: a bijection on uint64 with good avalanche.
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A float in [-1, 1) drawn from 24 bits of `bits`.
constexpr float UnitFloat(uint64_t bits) {
  return static_cast<float>(bits >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

}  // namespace strata
