#include "server/metrics/metrics_registry.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace strata {
namespace {

std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::abs(v) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  // The shortest text that reads back as the same double: le="0.00016",
  // not le="0.00016000000000000001".
  char text[32];
  auto [end, ec] = std::to_chars(text, text + sizeof(text), v);
  return std::string(text, end);
}

std::string Labels(const std::vector<std::string>& names,
                   const LabelValues& values, const std::string& extra_name,
                   const std::string& extra_value) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "" : ",", names[i], "=\"",
                    EscapeLabelValue(values[i]), "\"");
  }
  if (!extra_name.empty()) {
    absl::StrAppend(&out, out.empty() ? "" : ",", extra_name, "=\"",
                    extra_value, "\"");
  }
  return out.empty() ? "" : absl::StrCat("{", out, "}");
}

std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void MetricsWriter::Family(const std::string& name, const std::string& help,
                           const char* type) {
  absl::StrAppend(out_, "# HELP ", name, " ", EscapeHelp(help), "\n# TYPE ",
                  name, " ", type, "\n");
}

void MetricsWriter::Sample(const std::string& name,
                           const std::vector<std::string>& labels,
                           const LabelValues& values, double value) {
  absl::StrAppend(out_, name, Labels(labels, values, "", ""), " ",
                  Number(value), "\n");
}

void MetricsWriter::Histogram(const std::string& name,
                              const std::vector<std::string>& labels,
                              const LabelValues& values,
                              const HistogramSnapshot& h) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    cumulative += h.counts[i];
    const std::string le = i < h.bounds.size() ? Number(h.bounds[i]) : "+Inf";
    absl::StrAppend(out_, name, "_bucket", Labels(labels, values, "le", le),
                    " ", cumulative, "\n");
  }
  absl::StrAppend(out_, name, "_sum", Labels(labels, values, "", ""), " ",
                  Number(h.sum), "\n", name, "_count",
                  Labels(labels, values, "", ""), " ", cumulative, "\n");
}

Family<Counter>& MetricsRegistry::AddCounter(const std::string& name,
                                             const std::string& help,
                                             std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  auto& f = counters_[name];
  if (f == nullptr) {
    f = std::make_unique<strata::Family<Counter>>(
        name, help, std::move(labels),
        [] { return std::make_unique<Counter>(); });
    order_.push_back(name);
  }
  return *f;
}

Family<Gauge>& MetricsRegistry::AddGauge(const std::string& name,
                                         const std::string& help,
                                         std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  auto& f = gauges_[name];
  if (f == nullptr) {
    f = std::make_unique<strata::Family<Gauge>>(
        name, help, std::move(labels),
        [] { return std::make_unique<Gauge>(); });
    order_.push_back(name);
  }
  return *f;
}

Family<strata::Histogram>& MetricsRegistry::AddHistogram(
    const std::string& name, const std::string& help,
    std::vector<std::string> labels, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  auto& f = histograms_[name];
  if (f == nullptr) {
    f = std::make_unique<strata::Family<strata::Histogram>>(
        name, help, std::move(labels),
        [bounds] { return std::make_unique<strata::Histogram>(bounds); });
    order_.push_back(name);
  }
  return *f;
}

void MetricsRegistry::AddCollector(
    std::function<void(MetricsWriter&)> collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::Render() const {
  std::string out;
  MetricsWriter w(&out);
  std::lock_guard lock(mu_);
  for (const std::string& name : order_) {
    if (auto it = counters_.find(name); it != counters_.end()) {
      const auto& f = *it->second;
      w.Family(name, f.help(), "counter");
      f.ForEach([&](const LabelValues& v, const Counter& c) {
        w.Sample(name, f.labels(), v, static_cast<double>(c.value()));
      });
    } else if (auto it = gauges_.find(name); it != gauges_.end()) {
      const auto& f = *it->second;
      w.Family(name, f.help(), "gauge");
      f.ForEach([&](const LabelValues& v, const Gauge& g) {
        w.Sample(name, f.labels(), v, g.value());
      });
    } else if (auto it = histograms_.find(name); it != histograms_.end()) {
      const auto& f = *it->second;
      w.Family(name, f.help(), "histogram");
      f.ForEach([&](const LabelValues& v, const strata::Histogram& h) {
        w.Histogram(name, f.labels(), v, h.Snapshot());
      });
    }
  }
  for (const auto& collect : collectors_) collect(w);
  return out;
}

}  // namespace strata
