// Histogram: counts of observed values in fixed buckets, for latency and
// size distributions that the server exports (Prometheus histograms: each
// bucket counts values <= its upper bound; the last bucket is +Inf).
//
// Observe is wait-free (relaxed atomic increments); a Snapshot taken while
// others observe may be a few observations behind in some buckets, never
// torn within one.
//
// Thread safety: all methods are safe for concurrent calls.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace strata {

struct HistogramSnapshot {
  std::vector<double> bounds;  // upper bounds, ascending (+Inf implied)
  std::vector<uint64_t>
      counts;  // bounds.size() + 1, per bucket (not cumulative)
  double sum = 0;
  uint64_t count = 0;
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds)
      : bounds_(std::move(bounds)),
        counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
    for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i] = 0;
  }

  // Exponential bounds: start, start * factor, ... (n bounds).
  static std::vector<double> ExponentialBounds(double start, double factor,
                                               size_t n) {
    std::vector<double> b;
    for (size_t i = 0; i < n; ++i, start *= factor) b.push_back(start);
    return b;
  }
  // Seconds, 10 µs to ~21 s: request and tier latencies.
  static std::vector<double> LatencyBounds() {
    return ExponentialBounds(1e-5, 2.0, 22);
  }

  void Observe(double value) {
    size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    double sum = sum_.load(std::memory_order_relaxed);
    while (!sum_.compare_exchange_weak(sum, sum + value,
                                       std::memory_order_relaxed)) {
    }
  }

  HistogramSnapshot Snapshot() const {
    HistogramSnapshot s;
    s.bounds = bounds_;
    s.counts.resize(bounds_.size() + 1);
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      s.counts[i] = counts_[i].load(std::memory_order_relaxed);
      s.count += s.counts[i];
    }
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0.0};
};

}  // namespace strata
