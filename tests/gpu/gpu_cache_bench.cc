// Query throughput of the cuda GpuCache backend: dim 32 and 128, batches of
// 1K / 16K / 256K / 1M keys, Zipf(1.05) and uniform key streams (KeyStream),
// the cache pre-filled with the whole table (capacity twice the table, so
// almost every key is resident). Prints keys/s, the hit rate, and the device
// bytes a query moves per second as a fraction of the device's copy
// bandwidth, measured in this process by a device-to-device cudaMemcpy of a
// large buffer (bytes read + written). The times are of whole Query calls
// (keys in, rows out over PCIe, host copies), so the fraction says how far
// the end-to-end path is from the memory system's limit.
//
//   strata_gpu_cache_bench [--json] [--seconds S] [--rows N] [--quick]
//
// Without a CUDA device it says "no CUDA device" and exits 0.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/common/key_stream.h"
#include "engine/cuda/gpu_cache.h"
#include "engine/cuda/gpu_cache_policy.h"

namespace strata {
namespace {

struct Flags {
  bool json = false;
  double seconds = 0.4;               // per configuration
  uint64_t rows = uint64_t{1} << 20;  // table rows
  std::vector<size_t> batches = {1 << 10, 1 << 14, 1 << 18, 1 << 20};
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json") {
      f->json = true;
    } else if (a == "--seconds" && i + 1 < argc) {
      f->seconds = std::atof(argv[++i]);
    } else if (a == "--rows" && i + 1 < argc) {
      f->rows = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--quick") {
      f->seconds = 0.1;
      f->rows = uint64_t{1} << 16;
      f->batches = {1 << 10, 1 << 14};
    } else {
      std::fprintf(stderr,
                   "usage: %s [--json] [--seconds S] [--rows N] [--quick]\n",
                   argv[0]);
      return false;
    }
  }
  return f->rows > 0 && f->seconds > 0;
}

double Now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Device-to-device copy bandwidth, bytes read + written per second; 0 when
// it cannot be measured.
double CopyBandwidth() {
  size_t free = 0, total = 0;
  if (cudaMemGetInfo(&free, &total) != cudaSuccess) return 0;
  const size_t bytes = std::min<size_t>(size_t{1} << 30, free / 4);
  void *src = nullptr, *dst = nullptr;
  cudaEvent_t start = nullptr, end = nullptr;
  double bw = 0;
  float ms = 0;
  constexpr int kIters = 10;
  if (cudaMalloc(&src, bytes) == cudaSuccess &&
      cudaMalloc(&dst, bytes) == cudaSuccess &&
      cudaMemset(src, 1, bytes) == cudaSuccess &&
      cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice) == cudaSuccess &&
      cudaEventCreate(&start) == cudaSuccess &&
      cudaEventCreate(&end) == cudaSuccess &&
      cudaEventRecord(start) == cudaSuccess) {
    bool ok = true;
    for (int i = 0; i < kIters && ok; ++i) {
      ok = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice) ==
           cudaSuccess;
    }
    if (ok && cudaEventRecord(end) == cudaSuccess &&
        cudaEventSynchronize(end) == cudaSuccess &&
        cudaEventElapsedTime(&ms, start, end) == cudaSuccess && ms > 0) {
      bw = 2.0 * bytes * kIters / (ms / 1e3);
    }
  }
  if (start != nullptr) cudaEventDestroy(start);
  if (end != nullptr) cudaEventDestroy(end);
  cudaFree(src);
  cudaFree(dst);
  cudaGetLastError();
  return bw;
}

int Run(const Flags& flags) {
  int devices = 0;
  const cudaError_t err = cudaGetDeviceCount(&devices);
  if (err != cudaSuccess || devices == 0) {
    const std::string why =
        err != cudaSuccess ? cudaGetErrorString(err) : "no device visible";
    cudaGetLastError();
    if (flags.json) {
      std::printf(
          "%s\n",
          nlohmann::json{{"skipped", "no CUDA device: " + why}}.dump().c_str());
    } else {
      std::printf("no CUDA device: %s; nothing to measure\n", why.c_str());
    }
    return 0;
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  const double copy_bw = CopyBandwidth();
  nlohmann::json report = {{"device", prop.name},
                           {"copy_bytes_per_s", copy_bw},
                           {"table_rows", flags.rows},
                           {"results", nlohmann::json::array()}};
  if (!flags.json) {
    std::printf("%s: device-to-device copy %.1f GB/s (read + write)\n",
                prop.name, copy_bw / 1e9);
    std::printf("%5s %6s %8s %14s %8s %12s %8s\n", "dim", "alpha", "batch",
                "keys/s", "hit", "dev GB/s", "of copy");
  }
  for (uint32_t dim : {32u, 128u}) {
    GpuCacheOptions o;
    o.dim = dim;
    o.capacity_rows = 2 * flags.rows;
    o.streams = 2;
    auto cache_or = NewCudaGpuCache(o);
    if (!cache_or.ok()) {
      std::fprintf(stderr, "gpu cache: %s\n",
                   std::string(cache_or.status().message()).c_str());
      return 1;
    }
    GpuCache& cache = **cache_or;
    // Fill: every key of the table, 64K rows per Insert.
    const size_t fill_batch = 1 << 16;
    std::vector<int64_t> keys;
    std::vector<float> values;
    for (uint64_t first = 0; first < flags.rows; first += fill_batch) {
      const size_t n = std::min<uint64_t>(fill_batch, flags.rows - first);
      keys.resize(n);
      values.resize(n * dim);
      for (size_t i = 0; i < n; ++i) {
        keys[i] = static_cast<int64_t>(first + i);
        std::fill_n(&values[i * dim], dim, static_cast<float>(first + i));
      }
      if (absl::Status s = cache.Insert(keys, values); !s.ok()) {
        std::fprintf(stderr, "insert: %s\n", std::string(s.message()).c_str());
        return 1;
      }
    }
    for (double alpha : {1.05, 0.0}) {
      for (size_t batch : flags.batches) {
        // A few batches drawn up front, so timing excludes key generation.
        const size_t count =
            std::clamp<size_t>((size_t{4} << 20) / batch, 2, 64);
        KeyStream stream(flags.rows, alpha, 42);
        std::vector<std::vector<int64_t>> batches(count);
        for (auto& b : batches) {
          b.resize(batch);
          for (int64_t& k : b) k = stream.Next();
        }
        values.assign(batch * dim, 0.0f);
        std::vector<size_t> missing;
        missing.reserve(batch);
        uint64_t done = 0, hits = 0, iters = 0;
        double start = 0;
        for (int64_t i = -1;; ++i) {  // i = -1: warm-up, not timed
          missing.clear();
          const auto& b = batches[(i + 1) % count];
          if (absl::Status s = cache.Query(b, absl::MakeSpan(values), &missing);
              !s.ok()) {
            std::fprintf(stderr, "query: %s\n",
                         std::string(s.message()).c_str());
            return 1;
          }
          if (i < 0) {
            start = Now();
            continue;
          }
          done += batch;
          hits += batch - missing.size();
          ++iters;
          if (iters >= 3 && Now() - start >= flags.seconds) break;
        }
        const double elapsed = Now() - start;
        const double keys_per_s = done / elapsed;
        const double hit_rate = static_cast<double>(hits) / done;
        // Per key: the key, the set's tags, the hit flag; per hit, the row
        // read from the table and written to the output buffer.
        const double bytes_per_key =
            8.0 + gpu_cache::kWays * (8 + 4) + 1 + hit_rate * 2.0 * dim * 4;
        const double dev_bw = keys_per_s * bytes_per_key;
        const double fraction = copy_bw > 0 ? dev_bw / copy_bw : 0;
        report["results"].push_back({{"dim", dim},
                                     {"alpha", alpha},
                                     {"batch", batch},
                                     {"keys_per_s", keys_per_s},
                                     {"hit_rate", hit_rate},
                                     {"device_bytes_per_s", dev_bw},
                                     {"fraction_of_copy_bw", fraction},
                                     {"iterations", iters}});
        if (!flags.json) {
          std::printf("%5u %6.2f %8zu %14.0f %8.4f %12.1f %8.4f\n", dim, alpha,
                      batch, keys_per_s, hit_rate, dev_bw / 1e9, fraction);
        }
      }
    }
  }
  if (flags.json) std::printf("%s\n", report.dump(2).c_str());
  return 0;
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  strata::Flags flags;
  if (!strata::ParseFlags(argc, argv, &flags)) return 2;
  return strata::Run(flags);
}
