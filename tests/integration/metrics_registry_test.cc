// MetricsRegistry against a plain model: long random sequences of counter
// adds, gauge sets and histogram observations on random label values, with
// the whole exposition parsed back and compared to the model after every
// step; plus the text format's escaping and histogram layout.
#include "server/metrics/metrics_registry.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <random>
#include <sstream>
#include <string>

namespace strata::testing {
namespace {

// "name{labels} value" lines of an exposition, by "name{labels}".
std::map<std::string, double> Parse(const std::string& text) {
  std::map<std::string, double> samples;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    const std::string value = line.substr(space + 1);
    samples[line.substr(0, space)] =
        value == "+Inf" ? INFINITY : std::stod(value);
  }
  return samples;
}

}  // namespace

TEST_CASE("MetricsRegistry renders what a plain model of it holds",
          "[metrics]") {
  std::mt19937_64 rng(GENERATE(1, 2, 3));
  MetricsRegistry registry;
  Family<Counter>& counters =
      registry.AddCounter("t_requests_total", "calls", {"method", "code"});
  Family<Gauge>& gauges = registry.AddGauge("t_depth", "depth", {"queue"});
  const std::vector<double> bounds = {0.5, 1, 2};
  Family<strata::Histogram>& histograms =
      registry.AddHistogram("t_seconds", "time", {"tier"}, bounds);
  CHECK(&registry.AddCounter("t_requests_total", "again", {}) == &counters);

  std::map<std::string, double> model;  // "name{labels}" -> value
  const std::vector<std::string> methods = {"Lookup", "Infer", "a\"b\\c"};
  const std::vector<std::string> tiers = {"hash_map", "rocksdb"};
  auto key = [](const std::string& name, const std::string& labels) {
    return labels.empty() ? name : name + "{" + labels + "}";
  };
  for (int step = 0; step < 400; ++step) {
    switch (rng() % 3) {
      case 0: {
        const std::string& m = methods[rng() % methods.size()];
        const std::string code = rng() % 2 ? "OK" : "NOT_FOUND";
        const uint64_t n = rng() % 5;
        counters.With({m, code}).Add(n);
        model[key("t_requests_total", "method=\"" + EscapeLabelValue(m) +
                                          "\",code=\"" + code + "\"")] += n;
        break;
      }
      case 1: {
        const std::string q = rng() % 2 ? "a" : "b";
        const double v = static_cast<double>(rng() % 1000) / 8;
        gauges.With({q}).Set(v);
        model[key("t_depth", "queue=\"" + q + "\"")] = v;
        break;
      }
      case 2: {
        const std::string& t = tiers[rng() % tiers.size()];
        const double v = static_cast<double>(rng() % 40) / 10;  // 0 .. 3.9
        histograms.With({t}).Observe(v);
        const std::string l = "tier=\"" + t + "\"";
        for (const char* le : {"0.5", "1", "2", "+Inf"}) {
          const double bound =
              std::string(le) == "+Inf" ? INFINITY : std::stod(le);
          double& bucket =
              model[key("t_seconds_bucket", l + ",le=\"" + le + "\"")];
          if (v <= bound) bucket += 1;
        }
        model[key("t_seconds_sum", l)] += v;
        model[key("t_seconds_count", l)] += 1;
        break;
      }
    }
    const std::map<std::string, double> got = Parse(registry.Render());
    // Pre-made children render as zeros the model never saw: compare the
    // model's entries, and require nothing else non-zero.
    for (const auto& [k, v] : model) {
      INFO(k);
      REQUIRE(got.count(k) == 1);
      REQUIRE(got.at(k) == Approx(v).margin(1e-9));
    }
    for (const auto& [k, v] : got) {
      if (model.count(k) == 0) REQUIRE(v == 0);
    }
  }
}

TEST_CASE("the exposition has HELP, TYPE and cumulative buckets", "[metrics]") {
  MetricsRegistry registry;
  registry.AddCounter("t_total", "line one\nline two", {}).With({}).Add(3);
  auto& h = registry.AddHistogram("t_seconds", "time", {}, {1, 2});
  h.With({}).Observe(0.5);
  h.With({}).Observe(1.5);
  h.With({}).Observe(9);
  registry.AddCollector([](MetricsWriter& w) {
    w.Family("t_rows", "rows", "gauge");
    w.Sample("t_rows", {"table"}, {"t0"}, 42);
  });
  const std::string text = registry.Render();
  CHECK_THAT(text, Catch::Matchers::Contains(
                       "# HELP t_total line one\\nline two\n# TYPE t_total "
                       "counter\nt_total 3\n"));
  CHECK_THAT(
      text, Catch::Matchers::Contains("t_seconds_bucket{le=\"1\"} 1\n"
                                      "t_seconds_bucket{le=\"2\"} 2\n"
                                      "t_seconds_bucket{le=\"+Inf\"} 3\n"
                                      "t_seconds_sum 11\nt_seconds_count 3\n"));
  CHECK_THAT(text, Catch::Matchers::Contains(
                       "# TYPE t_rows gauge\nt_rows{table=\"t0\"} 42\n"));
}

}  // namespace strata::testing
