// Latency recording and the report `strata bench` prints: count, totals,
// rates, fastest/average/slowest, a histogram, percentiles and the status
// distribution, as text or as JSON with ghz's field names (durations in ns).
//
// Thread safety: a LatencyLog is single-threaded (give each load slot its
// own and Merge them); BenchResult is a plain value.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace strata::bench {

class LatencyLog {
 public:
  // `done_ns`: when the call ended, counted from the start of the window.
  void Add(uint64_t latency_ns, const std::string& status, uint64_t keys,
           uint64_t done_ns = 0) {
    latencies_ns_.push_back(latency_ns);
    ++statuses_[status];
    if (status == "OK") keys_ += keys;
    if (done_ns > last_done_ns_) last_done_ns_ = done_ns;
  }
  void Merge(const LatencyLog& other);

  const std::vector<uint64_t>& latencies_ns() const { return latencies_ns_; }
  const std::map<std::string, uint64_t>& statuses() const { return statuses_; }
  uint64_t keys() const { return keys_; }
  uint64_t last_done_ns() const { return last_done_ns_; }

 private:
  std::vector<uint64_t> latencies_ns_;
  std::map<std::string, uint64_t> statuses_;
  uint64_t keys_ = 0;  // keys of successful requests
  uint64_t last_done_ns_ = 0;
};

struct BenchResult {
  std::string name;  // "strata", "redis", "echo"
  uint64_t count = 0;
  uint64_t errors = 0;
  double total_s = 0;      // the window, up to the last completion
  double rps = 0;          // achieved: completions / total_s
  double goodput_rps = 0;  // OK completions / total_s
  double offered_rps = 0;  // the open-loop schedule's rate; 0 = closed loop
  double keys_per_s = 0;
  uint64_t fastest_ns = 0, average_ns = 0, slowest_ns = 0;
  std::vector<std::pair<double, uint64_t>> percentiles_ns;  // (pct, ns)
  std::vector<std::pair<uint64_t, uint64_t>> histogram;     // (mark ns, count)
  std::map<std::string, uint64_t> statuses;

  uint64_t Percentile(double pct) const;
  nlohmann::json ToJson() const;
  void Print(bool with_histogram) const;
};

// Summarizes `log` measured over `total_s` seconds (the load drivers'
// window: at least the measured duration, and up to the last completion of a
// call started in it, so an overloaded server's late replies lower the rate
// instead of being counted as if on time).
BenchResult Summarize(const std::string& name, LatencyLog log, double total_s,
                      double offered_rps = 0);

}  // namespace strata::bench
