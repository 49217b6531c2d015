// The cuda GpuCache backend: the table in device memory, queries on
// `options.streams` lookup streams, writers on one writer stream; the
// kernels are in gpu_cache_kernels.cuh and decide with gpu_cache_policy.h's
// functions, so results equal the reference backend's batch for batch.
//
// Lookups: a query takes the next lookup stream (round-robin, an atomic) and
// that stream's mutex (its pinned staging and device workspace are its own),
// copies the keys in, runs the query kernel (reads only) and the counting
// kernel, copies rows and hit ways out and synchronizes that stream alone. It
// never takes the writer mutex, except the one query whose counted accesses
// cross the decay period: it runs the decay kernel under the writer mutex.
//
// Writers (Insert, UpdateIfPresent, Invalidate) hold the writer mutex and
// group the batch's keys by set on the host; then, so that no query reads a
// half-written row:
//   (a) the plan kernel (one thread per set, the set's keys in batch order)
//       decides every key and frees (meta = 0) each way it will rewrite;
//   (b) the host waits for it (an event on the writer stream), then records
//       an event on every lookup stream and makes the writer stream wait on
//       them: every query that may have seen a freed way's old tag is done,
//       and every later query sees the way free (a miss);
//   (c) the commit kernel writes the rows, then the keys, then publishes the
//       metas with release stores (Invalidate stops after (a)).
// So the cuda backend runs queries concurrently with one writer at a time;
// applied one call at a time, it is the reference, bit for bit.
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/cuda/cuda_staging.cuh"
#include "engine/cuda/gpu_cache.h"
#include "engine/cuda/gpu_cache_kernels.cuh"
#include "engine/cuda/gpu_cache_layout.h"
#include "engine/cuda/gpu_cache_policy.h"

namespace strata {
namespace {

using namespace gpu_cache;  // NOLINT: the policy's vocabulary

constexpr size_t kMaxBatch = size_t{1} << 28;  // keys per call
constexpr uint32_t kThreads = 256;             // = kWarpsPerBlock * kWarp
constexpr size_t kInitialBatch = 4096;         // keys staged from the start

uint32_t Blocks(uint64_t items, uint64_t per_block) {
  return static_cast<uint32_t>((items + per_block - 1) / per_block);
}

// One lookup stream with its staging: keys (n), rows (n, dim), ways (n).
struct Lookup {
  std::mutex mu;
  cudaStream_t stream = nullptr;      // constant after Init
  cudaEvent_t writer_mark = nullptr;  // recorded by writers (writer mutex)
  Staging keys, rows, ways;           // guarded by mu
};

class CudaGpuCache final : public GpuCache {
 public:
  explicit CudaGpuCache(const GpuCacheOptions& o)
      : layout_(GpuCacheLayout::For(o)),
        device_(o.device),
        lookups_(o.streams) {
    table_.dim = layout_.dim;
    table_.sets = layout_.sets;
    table_.sketch_width = layout_.sketch_width;
  }

  ~CudaGpuCache() override {
    cudaSetDevice(device_);
    for (Lookup& l : lookups_) {
      if (l.stream != nullptr) cudaStreamSynchronize(l.stream);
      l.keys.Free();
      l.rows.Free();
      l.ways.Free();
      if (l.writer_mark != nullptr) cudaEventDestroy(l.writer_mark);
      if (l.stream != nullptr) cudaStreamDestroy(l.stream);
    }
    if (writer_ != nullptr) cudaStreamSynchronize(writer_);
    for (Staging* s :
         {&w_keys_, &w_rows_, &w_order_, &w_seg_, &w_outcome_, &w_plan_}) {
      s->Free();
    }
    if (planned_ != nullptr) cudaEventDestroy(planned_);
    if (writer_ != nullptr) cudaStreamDestroy(writer_);
    cudaFree(table_.keys);
    cudaFree(table_.meta);
    cudaFree(table_.rows);
    cudaFree(table_.sketch);
    cudaGetLastError();
  }

  absl::Status Init() {
    STRATA_CUDA_TRY(cudaSetDevice(device_));
    const uint64_t slots = layout_.slots;
    const uint64_t counters = uint64_t{kSketchDepth} * layout_.sketch_width;
    STRATA_CUDA_TRY(cudaMalloc(&table_.keys, slots * sizeof(int64_t)));
    STRATA_CUDA_TRY(cudaMalloc(&table_.meta, slots * sizeof(uint32_t)));
    STRATA_CUDA_TRY(
        cudaMalloc(&table_.rows, slots * layout_.dim * sizeof(float)));
    STRATA_CUDA_TRY(cudaMalloc(&table_.sketch, counters * sizeof(uint32_t)));
    STRATA_CUDA_TRY(cudaMemset(table_.keys, 0, slots * sizeof(int64_t)));
    STRATA_CUDA_TRY(cudaMemset(table_.meta, 0, slots * sizeof(uint32_t)));
    STRATA_CUDA_TRY(
        cudaMemset(table_.rows, 0, slots * layout_.dim * sizeof(float)));
    STRATA_CUDA_TRY(cudaMemset(table_.sketch, 0, counters * sizeof(uint32_t)));
    STRATA_CUDA_TRY(cudaStreamCreateWithFlags(&writer_, cudaStreamNonBlocking));
    STRATA_CUDA_TRY(
        cudaEventCreateWithFlags(&planned_, cudaEventDisableTiming));
    for (Lookup& l : lookups_) {
      STRATA_CUDA_TRY(
          cudaStreamCreateWithFlags(&l.stream, cudaStreamNonBlocking));
      STRATA_CUDA_TRY(
          cudaEventCreateWithFlags(&l.writer_mark, cudaEventDisableTiming));
    }
    // Staging for batches of up to kInitialBatch keys now, so that ordinary
    // requests never allocate; larger batches grow it once.
    for (Lookup& l : lookups_) {
      if (absl::Status s = Reserve(l, kInitialBatch); !s.ok()) return s;
    }
    STRATA_CUDA_TRY(cudaDeviceSynchronize());  // construction only
    return absl::OkStatus();
  }

  const std::string& backend() const override { return backend_; }
  uint32_t dim() const override { return layout_.dim; }
  uint64_t slots() const override { return layout_.slots; }

  absl::Status Query(absl::Span<const int64_t> keys, absl::Span<float> values,
                     std::vector<size_t>* missing) override {
    if (absl::Status s = CheckSizes(keys.size(), values.size()); !s.ok()) {
      return s;
    }
    const uint32_t n = static_cast<uint32_t>(keys.size());
    if (n == 0) return absl::OkStatus();
    STRATA_CUDA_TRY(cudaSetDevice(device_));
    Lookup& l = lookups_[next_lookup_.fetch_add(1, std::memory_order_relaxed) %
                         lookups_.size()];
    std::unique_lock lock(l.mu);
    const size_t row_bytes = size_t{layout_.dim} * sizeof(float);
    if (absl::Status s = Reserve(l, n); !s.ok()) return s;
    std::memcpy(l.keys.host, keys.data(), n * sizeof(int64_t));
    STRATA_CUDA_TRY(cudaMemcpyAsync(l.keys.dev, l.keys.host,
                                    n * sizeof(int64_t), cudaMemcpyHostToDevice,
                                    l.stream));
    if (layout_.dim % 4 == 0) {
      QueryKernel<true><<<Blocks(n, kWarpsPerBlock), kThreads, 0, l.stream>>>(
          table_, l.keys.d<int64_t>(), n, l.rows.d<float>(),
          l.ways.d<int8_t>());
    } else {
      QueryKernel<false><<<Blocks(n, kWarpsPerBlock), kThreads, 0, l.stream>>>(
          table_, l.keys.d<int64_t>(), n, l.rows.d<float>(),
          l.ways.d<int8_t>());
    }
    STRATA_CUDA_TRY(cudaGetLastError());
    STRATA_CUDA_TRY(cudaMemcpyAsync(l.rows.host, l.rows.dev, n * row_bytes,
                                    cudaMemcpyDeviceToHost, l.stream));
    STRATA_CUDA_TRY(cudaMemcpyAsync(l.ways.host, l.ways.dev, n,
                                    cudaMemcpyDeviceToHost, l.stream));
    CountKernel<<<Blocks(n, kThreads), kThreads, 0, l.stream>>>(
        table_, l.keys.d<int64_t>(), l.ways.d<int8_t>(), n);
    STRATA_CUDA_TRY(cudaGetLastError());
    STRATA_CUDA_TRY(cudaStreamSynchronize(l.stream));
    const int8_t* ways = l.ways.h<int8_t>();
    const char* rows = l.rows.h<char>();
    size_t hits = 0;
    for (size_t i = 0; i < n; ++i) {
      if (ways[i] == kNoWay) {
        missing->push_back(i);
        continue;
      }
      std::memcpy(&values[i * layout_.dim], rows + i * row_bytes, row_bytes);
      ++hits;
    }
    lock.unlock();
    lookups_count_.fetch_add(n, std::memory_order_relaxed);
    hits_.fetch_add(hits, std::memory_order_relaxed);
    if (CountAccesses(n)) return Decay();
    return absl::OkStatus();
  }

  absl::Status Insert(absl::Span<const int64_t> keys,
                      absl::Span<const float> values) override {
    if (absl::Status s = CheckSizes(keys.size(), values.size()); !s.ok()) {
      return s;
    }
    return Write(WriteOp::kInsert, keys, values.data());
  }

  absl::Status UpdateIfPresent(absl::Span<const int64_t> keys,
                               absl::Span<const float> values) override {
    if (absl::Status s = CheckSizes(keys.size(), values.size()); !s.ok()) {
      return s;
    }
    return Write(WriteOp::kUpdate, keys, values.data());
  }

  absl::Status Invalidate(absl::Span<const int64_t> keys) override {
    if (absl::Status s = CheckBatch(keys.size()); !s.ok()) return s;
    return Write(WriteOp::kInvalidate, keys, nullptr);
  }

  absl::StatusOr<std::vector<int64_t>> HottestKeys(size_t n) override {
    std::lock_guard lock(writer_mu_);
    STRATA_CUDA_TRY(cudaSetDevice(device_));
    std::vector<int64_t> keys(layout_.slots);
    std::vector<uint32_t> meta(layout_.slots);
    STRATA_CUDA_TRY(cudaMemcpyAsync(meta.data(), table_.meta,
                                    meta.size() * sizeof(uint32_t),
                                    cudaMemcpyDeviceToHost, writer_));
    STRATA_CUDA_TRY(cudaMemcpyAsync(keys.data(), table_.keys,
                                    keys.size() * sizeof(int64_t),
                                    cudaMemcpyDeviceToHost, writer_));
    STRATA_CUDA_TRY(cudaStreamSynchronize(writer_));
    return HottestResident(keys.data(), meta.data(), layout_.slots, n);
  }

  GpuCacheStats Stats() const override {
    GpuCacheStats s;
    s.lookups = lookups_count_.load(std::memory_order_relaxed);
    s.hits = hits_.load(std::memory_order_relaxed);
    s.rows = rows_.load(std::memory_order_relaxed);
    s.bytes = layout_.bytes;
    s.inserted = inserted_.load(std::memory_order_relaxed);
    s.rejected = rejected_.load(std::memory_order_relaxed);
    s.evicted = evicted_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  absl::Status Reserve(Lookup& l, size_t n) const {
    if (absl::Status s = l.keys.Reserve(n * sizeof(int64_t)); !s.ok()) return s;
    if (absl::Status s = l.rows.Reserve(n * layout_.dim * sizeof(float));
        !s.ok()) {
      return s;
    }
    return l.ways.Reserve(n);
  }

  absl::Status CheckSizes(size_t keys, size_t values) const {
    if (values != keys * layout_.dim) {
      return absl::InvalidArgumentError(absl::StrCat(
          "gpu cache: values must hold dim ", layout_.dim, " floats per key"));
    }
    return CheckBatch(keys);
  }
  static absl::Status CheckBatch(size_t keys) {
    if (keys <= kMaxBatch) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        "gpu cache (cuda): at most ", kMaxBatch, " keys per call"));
  }

  // Adds n counted accesses, as the reference does; true when the count
  // reached the decay period (then it restarts from 0 and the caller decays).
  bool CountAccesses(uint64_t n) {
    uint64_t old = counted_.load(std::memory_order_relaxed);
    while (true) {
      const bool decay = old + n >= layout_.decay_period;
      if (counted_.compare_exchange_weak(old, decay ? 0 : old + n,
                                         std::memory_order_relaxed)) {
        return decay;
      }
    }
  }

  absl::Status Decay() {
    std::lock_guard lock(writer_mu_);
    DecayKernel<<<Blocks(std::max<uint64_t>(layout_.slots, 1), kThreads),
                  kThreads, 0, writer_>>>(table_, layout_.slots);
    STRATA_CUDA_TRY(cudaGetLastError());
    STRATA_CUDA_TRY(cudaStreamSynchronize(writer_));
    return absl::OkStatus();
  }

  // The writers' protocol (top of this file); `values` is (n, dim), or null
  // for Invalidate.
  absl::Status Write(WriteOp op, absl::Span<const int64_t> keys,
                     const float* values) {
    const uint32_t n = static_cast<uint32_t>(keys.size());
    if (n == 0) return absl::OkStatus();
    std::lock_guard lock(writer_mu_);
    STRATA_CUDA_TRY(cudaSetDevice(device_));
    // Group by set, batch order kept within a set: (set << 32 | position).
    by_set_.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      by_set_[i] = uint64_t{SetIndex(keys[i], layout_.sets)} << 32 | i;
    }
    std::sort(by_set_.begin(), by_set_.end());
    const size_t row_bytes = size_t{layout_.dim} * sizeof(float);
    const std::pair<Staging*, size_t> staging[] = {
        {&w_keys_, n * sizeof(int64_t)},
        {&w_order_, n * sizeof(uint32_t)},
        {&w_seg_, (n + size_t{1}) * sizeof(uint32_t)},
        {&w_outcome_, n}};
    for (const auto& [buffer, bytes] : staging) {
      if (absl::Status s = buffer->Reserve(bytes); !s.ok()) return s;
    }
    uint32_t* order = w_order_.h<uint32_t>();
    uint32_t* seg = w_seg_.h<uint32_t>();
    uint32_t m = 0;
    for (uint32_t p = 0; p < n; ++p) {
      order[p] = static_cast<uint32_t>(by_set_[p]);
      if (p == 0 || (by_set_[p] >> 32) != (by_set_[p - 1] >> 32)) seg[m++] = p;
    }
    seg[m] = n;
    const uint64_t entries = uint64_t{m} * kWays;
    if (absl::Status s = w_plan_.Reserve(entries * sizeof(WayPlan), false);
        !s.ok()) {
      return s;
    }
    std::memcpy(w_keys_.host, keys.data(), n * sizeof(int64_t));
    STRATA_CUDA_TRY(cudaMemcpyAsync(w_keys_.dev, w_keys_.host,
                                    n * sizeof(int64_t), cudaMemcpyHostToDevice,
                                    writer_));
    STRATA_CUDA_TRY(cudaMemcpyAsync(w_order_.dev, order, n * sizeof(uint32_t),
                                    cudaMemcpyHostToDevice, writer_));
    STRATA_CUDA_TRY(cudaMemcpyAsync(w_seg_.dev, seg,
                                    (m + size_t{1}) * sizeof(uint32_t),
                                    cudaMemcpyHostToDevice, writer_));
    if (values != nullptr) {
      if (absl::Status s = w_rows_.Reserve(n * row_bytes); !s.ok()) return s;
      std::memcpy(w_rows_.host, values, n * row_bytes);
      STRATA_CUDA_TRY(cudaMemcpyAsync(w_rows_.dev, w_rows_.host, n * row_bytes,
                                      cudaMemcpyHostToDevice, writer_));
    }
    // (a) decide, and free the ways to rewrite.
    PlanKernel<<<Blocks(m, kThreads), kThreads, 0, writer_>>>(
        table_, op, w_keys_.d<int64_t>(), w_order_.d<uint32_t>(),
        w_seg_.d<uint32_t>(), m, w_outcome_.d<uint8_t>(), w_plan_.d<WayPlan>());
    STRATA_CUDA_TRY(cudaGetLastError());
    STRATA_CUDA_TRY(cudaMemcpyAsync(w_outcome_.host, w_outcome_.dev, n,
                                    cudaMemcpyDeviceToHost, writer_));
    // (b) the frees are done; then wait for the queries that may have seen
    // the old tags.
    STRATA_CUDA_TRY(cudaEventRecord(planned_, writer_));
    STRATA_CUDA_TRY(cudaEventSynchronize(planned_));
    if (op != WriteOp::kInvalidate) {
      for (Lookup& l : lookups_) {
        STRATA_CUDA_TRY(cudaEventRecord(l.writer_mark, l.stream));
        STRATA_CUDA_TRY(cudaStreamWaitEvent(writer_, l.writer_mark, 0));
      }
      // (c) rows, keys, then metas.
      if (layout_.dim % 4 == 0) {
        CommitKernel<true>
            <<<Blocks(entries, kWarpsPerBlock), kThreads, 0, writer_>>>(
                table_, w_rows_.d<float>(), w_plan_.d<WayPlan>(), entries);
      } else {
        CommitKernel<false>
            <<<Blocks(entries, kWarpsPerBlock), kThreads, 0, writer_>>>(
                table_, w_rows_.d<float>(), w_plan_.d<WayPlan>(), entries);
      }
      STRATA_CUDA_TRY(cudaGetLastError());
      STRATA_CUDA_TRY(cudaStreamSynchronize(writer_));
    }
    uint64_t counts[kRemoved + 1] = {};
    const uint8_t* outcome = w_outcome_.h<uint8_t>();
    for (uint32_t i = 0; i < n; ++i) {
      if (outcome[i] > kRemoved) {
        return absl::InternalError("gpu cache (cuda): bad writer outcome");
      }
      ++counts[outcome[i]];
    }
    rejected_.fetch_add(counts[kRejected], std::memory_order_relaxed);
    inserted_.fetch_add(counts[kFilled] + counts[kEvicted],
                        std::memory_order_relaxed);
    evicted_.fetch_add(counts[kEvicted], std::memory_order_relaxed);
    rows_.fetch_add(counts[kFilled], std::memory_order_relaxed);
    rows_.fetch_sub(counts[kRemoved], std::memory_order_relaxed);
    return absl::OkStatus();
  }

  const std::string backend_ = "cuda";
  // Constant after construction (the pointers after Init).
  const GpuCacheLayout layout_;
  const int device_;
  DeviceTable table_;
  std::vector<Lookup> lookups_;  // each guarded by its own mu
  cudaStream_t writer_ = nullptr;
  cudaEvent_t planned_ = nullptr;

  std::atomic<uint64_t> next_lookup_{0};
  std::atomic<uint64_t> counted_{0};  // accesses since the last decay

  // Guarded by writer_mu_ (the table's tags are written only under it).
  std::mutex writer_mu_;
  std::vector<uint64_t> by_set_;
  Staging w_keys_, w_rows_, w_order_, w_seg_, w_outcome_, w_plan_;

  std::atomic<uint64_t> lookups_count_{0}, hits_{0}, rows_{0}, inserted_{0},
      rejected_{0}, evicted_{0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<GpuCache>> NewCudaGpuCache(
    const GpuCacheOptions& options) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error
    return absl::UnavailableError(absl::StrCat(
        "gpu cache (cuda): no CUDA device: ", cudaGetErrorString(err)));
  }
  if (count == 0) {
    return absl::UnavailableError("gpu cache (cuda): no CUDA device");
  }
  if (options.device < 0 || options.device >= count) {
    return absl::UnavailableError(
        absl::StrCat("gpu cache (cuda): no CUDA device ", options.device,
                     " (this process sees ", count, ")"));
  }
  auto cache = std::make_unique<CudaGpuCache>(options);
  if (absl::Status s = cache->Init(); !s.ok()) return s;
  return std::unique_ptr<GpuCache>(std::move(cache));
}

}  // namespace strata
