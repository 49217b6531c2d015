// MetricsRegistry: the server's metrics in Prometheus's text exposition
// format (version 0.0.4). Debian 12 packages no prometheus-cpp, so this is
// our small one: families of counters, gauges and histograms, each with
// label names; a child per set of label values, made on first use and kept
// for the registry's life. Collectors add values computed at scrape time
// (the engine's own counters) through a MetricsWriter.
//
// Names follow Prometheus conventions: base units (seconds, bytes),
// counters end in _total.
//
// Ownership: the registry owns its families and children; references to
// them stay valid for its life.
// Thread safety: all methods are safe for concurrent calls; Counter::Add,
// Gauge::Set and HistogramFamily children's Observe are lock-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/common/histogram.h"

namespace strata {

using LabelValues = std::vector<std::string>;

// Writes families and samples in the text format. A family's samples must
// follow its Family() call.
class MetricsWriter {
 public:
  explicit MetricsWriter(std::string* out) : out_(out) {}

  // type: "counter", "gauge" or "histogram".
  void Family(const std::string& name, const std::string& help,
              const char* type);
  void Sample(const std::string& name, const std::vector<std::string>& labels,
              const LabelValues& values, double value);
  // _bucket (cumulative, le="+Inf" last), _sum and _count samples.
  void Histogram(const std::string& name,
                 const std::vector<std::string>& labels,
                 const LabelValues& values, const HistogramSnapshot& h);

 private:
  std::string* const out_;
};

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// One family: its children by label values.
template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::function<std::unique_ptr<T>()> make)
      : name_(std::move(name)),
        help_(std::move(help)),
        labels_(std::move(labels)),
        make_(std::move(make)) {}

  // The child for `values` (one per label name), made on first use.
  T& With(const LabelValues& values) {
    std::lock_guard lock(mu_);
    std::unique_ptr<T>& child = children_[values];
    if (child == nullptr) child = make_();
    return *child;
  }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& labels() const { return labels_; }
  // Calls f(values, child) for each child, in label-value order.
  template <typename F>
  void ForEach(F&& f) const {
    std::lock_guard lock(mu_);
    for (const auto& [values, child] : children_) f(values, *child);
  }

 private:
  const std::string name_, help_;
  const std::vector<std::string> labels_;
  const std::function<std::unique_ptr<T>()> make_;
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<T>> children_;  // Guarded by mu_.
};

class MetricsRegistry {
 public:
  // Registering a name twice returns the first family.
  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              std::vector<std::string> labels = {});
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help,
                          std::vector<std::string> labels = {});
  Family<strata::Histogram>& AddHistogram(const std::string& name,
                                          const std::string& help,
                                          std::vector<std::string> labels,
                                          std::vector<double> bounds);
  // Runs at every Render, after the registered families, in order.
  void AddCollector(std::function<void(MetricsWriter&)> collector);

  // The whole exposition.
  std::string Render() const;

 private:
  mutable std::mutex mu_;
  // Guarded by mu_ (the families themselves are thread-safe).
  std::vector<std::string> order_;  // names in registration order
  std::map<std::string, std::unique_ptr<Family<Counter>>> counters_;
  std::map<std::string, std::unique_ptr<Family<Gauge>>> gauges_;
  std::map<std::string, std::unique_ptr<Family<strata::Histogram>>> histograms_;
  std::vector<std::function<void(MetricsWriter&)>> collectors_;
};

// Escapes a label value for the text format (\\, \" and \n).
std::string EscapeLabelValue(const std::string& value);

}  // namespace strata
