// The kernels of the cuda GpuCache backend (cuda_gpu_cache.cu). Every
// decision is one of gpu_cache_policy.h's functions, so the kernels decide
// exactly what the reference backend decides, batch for batch.
//
// Memory ordering between a writer and concurrent queries: the commit kernel
// writes a way's row and key, then publishes its meta with a release store;
// the query kernel loads each way's meta with an acquire load before it reads
// the way's key and row (and __syncwarp carries that order to the lanes that
// copy the row). So a query that sees a way's new meta sees its new key and
// row; one that sees the freed meta (0) misses. Counts are changed only by
// atomicCAS loops (counting pass, decay) or atomicExch (a writer freeing a
// way), so no increment is lost to a concurrent writer or decay.
//
// Device code only; included by cuda_gpu_cache.cu alone.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <cuda/atomic>

#include "engine/cuda/gpu_cache_policy.h"

namespace strata::gpu_cache {

// The cache's device arrays (layout in gpu_cache_policy.h). Plain pointers,
// owned by the CudaGpuCache.
struct DeviceTable {
  int64_t* keys = nullptr;     // (slots)
  uint32_t* meta = nullptr;    // (slots)
  float* rows = nullptr;       // (slots, dim)
  uint32_t* sketch = nullptr;  // (kSketchDepth * sketch_width)
  uint32_t dim = 0;
  uint32_t sets = 0;
  uint32_t sketch_width = 0;
};

enum class WriteOp : uint32_t { kInsert, kUpdate, kInvalidate };

// What a writer did with one key of its batch.
enum Outcome : uint8_t {
  kRejected = 0,     // Insert: admission refused
  kOverwritten = 1,  // Insert / UpdateIfPresent: resident, row rewritten
  kFilled = 2,       // Insert: took a free way
  kEvicted = 3,      // Insert: replaced a resident key
  kAbsent = 4,       // UpdateIfPresent / Invalidate: not resident
  kRemoved = 5,      // Invalidate: freed
};

inline constexpr uint32_t kNoSrc = 0xffffffffu;
inline constexpr uint32_t kWarp = 32;
inline constexpr uint32_t kWarpsPerBlock = 8;  // query and commit kernels

// The final state of one way after a writer's batch.
struct WayPlan {
  int64_t key = 0;
  uint64_t slot = 0;
  uint32_t meta = 0;
  uint32_t src = kNoSrc;  // batch position of the row to write; kNoSrc: none
};

__device__ __forceinline__ uint32_t LoadAcquire(uint32_t* p) {
  return cuda::atomic_ref<uint32_t, cuda::thread_scope_device>(*p).load(
      cuda::memory_order_acquire);
}

__device__ __forceinline__ void StoreRelease(uint32_t* p, uint32_t v) {
  cuda::atomic_ref<uint32_t, cuda::thread_scope_device>(*p).store(
      v, cuda::memory_order_release);
}

// Copies one row with the lanes of a warp: float4 loads when kVec (dim % 4 ==
// 0 and both rows 16-byte aligned), else floats.
template <bool kVec>
__device__ __forceinline__ void WarpCopyRow(const float* __restrict__ src,
                                            float* __restrict__ dst,
                                            uint32_t dim, uint32_t lane) {
  if constexpr (kVec) {
    const float4* s = reinterpret_cast<const float4*>(src);
    float4* d = reinterpret_cast<float4*>(dst);
    for (uint32_t c = lane; c < dim / 4; c += kWarp) d[c] = s[c];
  } else {
    for (uint32_t c = lane; c < dim; c += kWarp) dst[c] = src[c];
  }
}

// One warp per key: lanes 0..7 load the set's metas (acquire) and keys, then
// every lane runs FindWay over them; the warp copies a hit's row to
// out[i * dim]. ways[i] = the hit way, or kNoWay. Writes nothing to the
// table. Block: kWarpsPerBlock warps.
template <bool kVec>
__global__ void QueryKernel(DeviceTable t, const int64_t* __restrict__ keys,
                            uint32_t n, float* __restrict__ out,
                            int8_t* __restrict__ ways) {
  __shared__ int64_t s_keys[kWarpsPerBlock][kWays];
  __shared__ uint32_t s_meta[kWarpsPerBlock][kWays];
  const uint32_t warp = threadIdx.x / kWarp;
  const uint32_t lane = threadIdx.x % kWarp;
  const uint64_t i = uint64_t{blockIdx.x} * kWarpsPerBlock + warp;
  if (i >= n) return;  // the whole warp: i is the same for all its lanes
  const int64_t key = keys[i];
  const uint64_t base = uint64_t{SetIndex(key, t.sets)} * kWays;
  if (lane < kWays) {
    s_meta[warp][lane] = LoadAcquire(&t.meta[base + lane]);
    s_keys[warp][lane] = t.keys[base + lane];
  }
  __syncwarp();
  const int w = FindWay(s_keys[warp], s_meta[warp], key);
  if (lane == 0) ways[i] = static_cast<int8_t>(w);
  if (w == kNoWay) return;
  WarpCopyRow<kVec>(t.rows + (base + w) * t.dim, out + i * t.dim, t.dim, lane);
}

// counter += k, saturating at kMaxCount, as k single increments would.
__device__ __forceinline__ void AddToCounter(uint32_t* p, uint32_t k) {
  uint32_t old = *reinterpret_cast<volatile uint32_t*>(p);
  while (true) {
    uint32_t c = old;
    for (uint32_t j = 0; j < k && c < kMaxCount; ++j) ++c;
    if (c == old) return;
    const uint32_t seen = atomicCAS(p, old, c);
    if (seen == old) return;
    old = seen;
  }
}

// Bumps the meta of `key`'s way k times, if the way still holds `key`.
__device__ __forceinline__ void BumpWay(DeviceTable t, uint64_t slot,
                                        int64_t key, uint32_t k) {
  uint32_t old = LoadAcquire(&t.meta[slot]);
  while (Occupied(old) && t.keys[slot] == key) {
    uint32_t m = old;
    for (uint32_t j = 0; j < k; ++j) m = Bump(m);
    if (m == old) return;
    if (atomicCAS(&t.meta[slot], old, m) == old) return;
    old = LoadAcquire(&t.meta[slot]);
  }
}

// The counting pass after QueryKernel, one thread per key: a hit bumps its
// way's count, a miss adds one to each of its sketch counters. Equal keys
// with equal outcomes in a warp are added once, k at a time (fewer atomics
// on hot keys; saturating adds commute, so the result is the reference's).
__global__ void CountKernel(DeviceTable t, const int64_t* __restrict__ keys,
                            const int8_t* __restrict__ ways, uint32_t n) {
  const uint64_t i = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  const unsigned active = __ballot_sync(0xffffffffu, i < n);
  if (i >= n) return;
  const int64_t key = keys[i];
  const int w = ways[i];
  unsigned same =
      __match_any_sync(active, static_cast<unsigned long long>(key)) &
      __match_any_sync(active, w);
  if (threadIdx.x % kWarp != static_cast<uint32_t>(__ffs(same) - 1)) return;
  const uint32_t k = __popc(same);
  if (w != kNoWay) {
    BumpWay(t, uint64_t{SetIndex(key, t.sets)} * kWays + w, key, k);
    return;
  }
  for (uint32_t r = 0; r < kSketchDepth; ++r) {
    AddToCounter(&t.sketch[SketchSlot(key, r, t.sketch_width)], k);
  }
}

// Halves every meta count and every sketch counter (grid-stride).
__global__ void DecayKernel(DeviceTable t, uint64_t slots) {
  const uint64_t stride = uint64_t{gridDim.x} * blockDim.x;
  const uint64_t first = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  for (uint64_t s = first; s < slots; s += stride) {
    uint32_t old = t.meta[s];
    while (true) {
      const uint32_t seen = atomicCAS(&t.meta[s], old, Decay(old));
      if (seen == old) break;
      old = seen;
    }
  }
  const uint64_t counters = uint64_t{kSketchDepth} * t.sketch_width;
  for (uint64_t c = first; c < counters; c += stride) {
    uint32_t old = t.sketch[c];
    while (true) {
      const uint32_t seen = atomicCAS(&t.sketch[c], old, old >> 1);
      if (seen == old) break;
      old = seen;
    }
  }
}

// A writer's first kernel, one thread per set touched by the batch: keys
// order[seg[j]..seg[j+1]) are set j's, in batch order. The thread replays
// them over a copy of the set's tags with the policy's functions (exactly
// the reference's loop), writes each key's outcome, frees (meta = 0) every
// way it will rewrite, and leaves the ways' final state in plan[j * 8 + w].
// A way whose tag the batch leaves alone (a rewritten row) gets back the
// meta it had when freed, counts added by concurrent queries included.
__global__ void PlanKernel(DeviceTable t, WriteOp op,
                           const int64_t* __restrict__ keys,
                           const uint32_t* __restrict__ order,
                           const uint32_t* __restrict__ seg, uint32_t m,
                           uint8_t* __restrict__ outcome,
                           WayPlan* __restrict__ plan) {
  const uint64_t j = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  if (j >= m) return;
  const uint64_t base = uint64_t{SetIndex(keys[order[seg[j]]], t.sets)} * kWays;
  int64_t lk[kWays];
  uint32_t lm[kWays];
  uint32_t src[kWays];
  for (uint32_t w = 0; w < kWays; ++w) {
    lm[w] = LoadAcquire(&t.meta[base + w]);
    lk[w] = t.keys[base + w];
    src[w] = kNoSrc;
  }
  uint32_t touched = 0, retagged = 0;
  for (uint32_t p = seg[j]; p < seg[j + 1]; ++p) {
    const uint32_t i = order[p];
    const int64_t key = keys[i];
    int w = FindWay(lk, lm, key);
    if (op != WriteOp::kInsert || w != kNoWay) {
      if (w == kNoWay) {
        outcome[i] = kAbsent;
        continue;
      }
      touched |= 1u << w;
      if (op == WriteOp::kInvalidate) {
        lm[w] = 0;
        retagged |= 1u << w;
        outcome[i] = kRemoved;
      } else {
        src[w] = i;
        outcome[i] = kOverwritten;
      }
      continue;
    }
    w = ChooseVictim(lm);
    const uint32_t candidate = SketchEstimate(t.sketch, key, t.sketch_width);
    if (!Admit(candidate, lm[w])) {
      outcome[i] = kRejected;
      continue;
    }
    outcome[i] = Occupied(lm[w]) ? kEvicted : kFilled;
    lk[w] = key;
    lm[w] = NewMeta(candidate);
    src[w] = i;
    touched |= 1u << w;
    retagged |= 1u << w;
  }
  for (uint32_t w = 0; w < kWays; ++w) {
    WayPlan way;
    way.slot = base + w;
    if (touched & (1u << w)) {
      const uint32_t freed = atomicExch(&t.meta[base + w], 0u);
      way.key = lk[w];
      way.meta = (retagged & (1u << w)) ? lm[w] : freed;
      way.src = src[w];
    }
    plan[j * kWays + w] = way;
  }
  __threadfence();
}

// A writer's last kernel, one warp per plan entry: writes the row of every
// way with a source row, then its key, then publishes its meta (release).
// Block: kWarpsPerBlock warps.
template <bool kVec>
__global__ void CommitKernel(DeviceTable t, const float* __restrict__ values,
                             const WayPlan* __restrict__ plan,
                             uint64_t entries) {
  const uint32_t lane = threadIdx.x % kWarp;
  const uint64_t e =
      uint64_t{blockIdx.x} * kWarpsPerBlock + threadIdx.x / kWarp;
  if (e >= entries) return;
  const WayPlan way = plan[e];
  if (way.src == kNoSrc) return;
  WarpCopyRow<kVec>(values + uint64_t{way.src} * t.dim,
                    t.rows + way.slot * t.dim, t.dim, lane);
  __threadfence();
  __syncwarp();
  if (lane != 0) return;
  t.keys[way.slot] = way.key;
  __threadfence();
  StoreRelease(&t.meta[way.slot], way.meta);
}

}  // namespace strata::gpu_cache
