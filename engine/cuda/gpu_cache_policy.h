// The decisions of the GPU embedding cache, as __host__ __device__ functions:
// the CUDA kernels (cuda_gpu_cache.cu) and the host reference backend
// (reference_gpu_cache.cc) both call exactly these, so the tests of the
// reference on the CPU test the kernels' decisions.
//
// Layout of one table's cache (both backends):
//   keys   int64[sets * kWays]        the key of each way
//   meta   uint32[sets * kWays]       bit 31: occupied; bits 0-30: frequency
//   rows   float[sets * kWays * dim]  apart from the tags
//   sketch uint32[kSketchDepth * sketch_width]  count-min counts of keys that
//          are not resident (the candidates' frequency)
// Every int64 is a legal key: occupancy is a bit, never a sentinel key. A
// key's set is chosen by a mixed hash (never the key modulo the set count).
//
// Policy (frequency-aware, from the host hash map's family): a hit leaves the
// tags untouched (counts are added in a separate pass); a miss counts the key
// in the sketch; an insert takes a free way, else the set's least-frequent
// way, and only when the candidate's estimated frequency beats that way's.
// Every decay period all counters halve, so old popularity fades.
//
// Pure functions; no state.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define STRATA_HD __host__ __device__ __forceinline__
#else
#define STRATA_HD inline
#endif

namespace strata::gpu_cache {

inline constexpr uint32_t kWays = 8;  // ways per set: 64 bytes of keys
inline constexpr uint32_t kSketchDepth = 4;
inline constexpr uint32_t kOccupied = 0x80000000u;
inline constexpr uint32_t kMaxCount = 0x7fffffffu;
inline constexpr int kNoWay = -1;

// SplitMix64 finalizer (the same bijection as common/random.h's Mix64).
STRATA_HD uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The set of `key` among `sets` (> 0): the high 32 bits of its mixed hash,
// scaled to [0, sets) by a multiply (no modulo bias, no division).
STRATA_HD uint32_t SetIndex(int64_t key, uint32_t sets) {
  const uint64_t h = Mix(static_cast<uint64_t>(key)) >> 32;
  return static_cast<uint32_t>((h * sets) >> 32);
}

STRATA_HD bool Occupied(uint32_t meta) { return (meta & kOccupied) != 0; }
STRATA_HD uint32_t Count(uint32_t meta) { return meta & kMaxCount; }

// The way of the set (kWays keys and metas) holding `key`, or kNoWay.
STRATA_HD int FindWay(const int64_t* keys, const uint32_t* meta, int64_t key) {
  for (uint32_t w = 0; w < kWays; ++w) {
    if (Occupied(meta[w]) && keys[w] == key) return static_cast<int>(w);
  }
  return kNoWay;
}

// The way a new key would take: the first free way, else the way with the
// smallest count (the lowest such way on ties).
STRATA_HD int ChooseVictim(const uint32_t* meta) {
  int victim = 0;
  for (uint32_t w = 0; w < kWays; ++w) {
    if (!Occupied(meta[w])) return static_cast<int>(w);
    if (Count(meta[w]) < Count(meta[victim])) victim = static_cast<int>(w);
  }
  return victim;
}

// Whether a candidate with estimated count `candidate` may take `victim`.
STRATA_HD bool Admit(uint32_t candidate, uint32_t victim_meta) {
  return !Occupied(victim_meta) || candidate > Count(victim_meta);
}

// The meta of a key newly placed with estimated count `count`.
STRATA_HD uint32_t NewMeta(uint32_t count) {
  return kOccupied | (count < kMaxCount ? count : kMaxCount);
}

// `meta` after one more access (saturating).
STRATA_HD uint32_t Bump(uint32_t meta) {
  return Count(meta) < kMaxCount ? meta + 1 : meta;
}

// `meta` with its count halved (occupancy kept).
STRATA_HD uint32_t Decay(uint32_t meta) {
  return (meta & kOccupied) | (Count(meta) >> 1);
}

// Counter `row` (< kSketchDepth) of `key` in a sketch of `width` (a power of
// two) counters per row: index into sketch[row * width + ...].
STRATA_HD uint32_t SketchSlot(int64_t key, uint32_t row, uint32_t width) {
  const uint64_t h =
      Mix(static_cast<uint64_t>(key) ^ (0x6a09e667f3bcc909ull * (row + 1)));
  return row * width + static_cast<uint32_t>(h & (width - 1));
}

// The estimate of a sketch: the smallest of a key's kSketchDepth counters.
STRATA_HD uint32_t SketchEstimate(const uint32_t* sketch, int64_t key,
                                  uint32_t width) {
  uint32_t best = sketch[SketchSlot(key, 0, width)];
  for (uint32_t r = 1; r < kSketchDepth; ++r) {
    const uint32_t c = sketch[SketchSlot(key, r, width)];
    if (c < best) best = c;
  }
  return best;
}

// Sketch counters per row for a cache of `slots` ways: the power of two at or
// above `slots` (at least 64), so a candidate competes on a fair estimate.
STRATA_HD uint32_t SketchWidth(uint64_t slots) {
  uint32_t w = 64;
  while (w < slots && w < (1u << 30)) w <<= 1;
  return w;
}

}  // namespace strata::gpu_cache
