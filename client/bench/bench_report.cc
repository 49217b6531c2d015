#include "client/bench/bench_report.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace strata::bench {
namespace {

constexpr double kPercentiles[] = {10, 25, 50, 75, 90, 95, 99, 99.9};
constexpr int kHistogramBuckets = 10;

std::string Duration(uint64_t ns) {
  char buf[32];
  if (ns >= 1000000000) {
    std::snprintf(buf, sizeof(buf), "%.2f s", ns / 1e9);
  } else if (ns >= 1000000) {
    std::snprintf(buf, sizeof(buf), "%.2f ms", ns / 1e6);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f us", ns / 1e3);
  }
  return buf;
}

}  // namespace

void LatencyLog::Merge(const LatencyLog& other) {
  latencies_ns_.insert(latencies_ns_.end(), other.latencies_ns_.begin(),
                       other.latencies_ns_.end());
  for (const auto& [status, n] : other.statuses_) statuses_[status] += n;
  keys_ += other.keys_;
  last_done_ns_ = std::max(last_done_ns_, other.last_done_ns_);
}

uint64_t BenchResult::Percentile(double pct) const {
  for (const auto& [p, ns] : percentiles_ns) {
    if (p == pct) return ns;
  }
  return 0;
}

BenchResult Summarize(const std::string& name, LatencyLog log, double total_s,
                      double offered_rps) {
  BenchResult r;
  r.name = name;
  std::vector<uint64_t> lat = log.latencies_ns();
  std::sort(lat.begin(), lat.end());
  r.count = lat.size();
  r.statuses = log.statuses();
  r.errors = r.count - (r.statuses.count("OK") ? r.statuses.at("OK") : 0);
  r.total_s = total_s;
  r.rps = total_s > 0 ? r.count / total_s : 0;
  r.goodput_rps = total_s > 0 ? (r.count - r.errors) / total_s : 0;
  r.offered_rps = offered_rps;
  r.keys_per_s = total_s > 0 ? log.keys() / total_s : 0;
  if (lat.empty()) return r;
  r.fastest_ns = lat.front();
  r.slowest_ns = lat.back();
  r.average_ns = static_cast<uint64_t>(
      std::accumulate(lat.begin(), lat.end(), 0.0) / lat.size());
  for (double p : kPercentiles) {
    size_t i =
        std::min(lat.size() - 1, static_cast<size_t>(p / 100.0 * lat.size()));
    r.percentiles_ns.emplace_back(p, lat[i]);
  }
  const double width =
      static_cast<double>(r.slowest_ns - r.fastest_ns) / kHistogramBuckets;
  for (int b = 0; b <= kHistogramBuckets; ++b) {
    r.histogram.emplace_back(r.fastest_ns + static_cast<uint64_t>(b * width),
                             0);
  }
  for (uint64_t ns : lat) {
    int b = width > 0 ? static_cast<int>((ns - r.fastest_ns) / width) : 0;
    r.histogram[std::min(b, kHistogramBuckets)].second++;
  }
  return r;
}

nlohmann::json BenchResult::ToJson() const {
  nlohmann::json j;
  j["count"] = count;
  j["total"] = static_cast<uint64_t>(total_s * 1e9);
  j["average"] = average_ns;
  j["fastest"] = fastest_ns;
  j["slowest"] = slowest_ns;
  j["rps"] = rps;
  j["goodput_rps"] = goodput_rps;
  j["offered_rps"] = offered_rps;
  j["keys_per_s"] = keys_per_s;
  j["p99_us"] = Percentile(99) / 1e3;
  j["errors"] = errors;
  j["histogram"] = nlohmann::json::array();
  for (const auto& [mark, n] : histogram) {
    j["histogram"].push_back({{"mark", mark / 1e9},
                              {"count", n},
                              {"frequency", count ? double(n) / count : 0.0}});
  }
  j["latencyDistribution"] = nlohmann::json::array();
  for (const auto& [p, ns] : percentiles_ns) {
    j["latencyDistribution"].push_back({{"percentage", p}, {"latency", ns}});
  }
  j["statusCodeDistribution"] = statuses;
  return j;
}

void BenchResult::Print(bool with_histogram) const {
  std::printf("\n[%s]\n", name.c_str());
  std::printf("  Count:        %llu\n", static_cast<unsigned long long>(count));
  std::printf("  Total:        %.2f s\n", total_s);
  if (offered_rps > 0) std::printf("  Offered/sec:  %.1f\n", offered_rps);
  std::printf("  Requests/sec: %.1f (completed)\n", rps);
  std::printf("  Goodput/sec:  %.1f (OK)\n", goodput_rps);
  std::printf("  Keys/sec:     %.0f\n", keys_per_s);
  std::printf("  Fastest:      %s\n", Duration(fastest_ns).c_str());
  std::printf("  Average:      %s\n", Duration(average_ns).c_str());
  std::printf("  Slowest:      %s\n", Duration(slowest_ns).c_str());
  if (with_histogram && count > 0) {
    std::printf("  Histogram:\n");
    uint64_t most = 1;
    for (const auto& [mark, n] : histogram) most = std::max(most, n);
    for (const auto& [mark, n] : histogram) {
      std::printf("    %10s [%llu]\t|%s\n", Duration(mark).c_str(),
                  static_cast<unsigned long long>(n),
                  std::string(40 * n / most, '*').c_str());
    }
  }
  std::printf("  Latency distribution:\n");
  for (const auto& [p, ns] : percentiles_ns) {
    std::printf("    %5.1f %% in %s\n", p, Duration(ns).c_str());
  }
  std::printf("  Status code distribution:\n");
  for (const auto& [status, n] : statuses) {
    std::printf("    [%s] %llu responses\n", status.c_str(),
                static_cast<unsigned long long>(n));
  }
}

}  // namespace strata::bench
