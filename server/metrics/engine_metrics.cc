#include "server/metrics/engine_metrics.h"

#include <string>
#include <vector>

namespace strata {
namespace {

// One tier of one table, with its labels.
struct TierRow {
  LabelValues labels;  // model, table, tier
  TierStats stats;
  HistogramSnapshot latency;
};

std::vector<TierRow> TierRows(const ModelRegistry& registry) {
  std::vector<TierRow> rows;
  for (const auto& model : registry.List()) {
    for (const auto& [name, table] : model->tables()) {
      const auto& tiers = table.chain->tiers();
      for (size_t t = 0; t < tiers.size(); ++t) {
        rows.push_back(TierRow{{model->name(), name, tiers[t]->name()},
                               tiers[t]->Stats(),
                               table.chain->TierLatency(t)});
      }
    }
  }
  return rows;
}

void WriteTiers(MetricsWriter& w, const ModelRegistry& registry) {
  const std::vector<std::string> labels = {"model", "table", "tier"};
  const std::vector<TierRow> rows = TierRows(registry);
  struct Column {
    const char* name;
    const char* help;
    const char* type;
    uint64_t (*value)(const TierStats&);
  };
  const Column columns[] = {
      {"strata_tier_lookups_total", "Keys asked of the tier", "counter",
       [](const TierStats& s) { return s.lookups; }},
      {"strata_tier_hits_total", "Keys the tier held", "counter",
       [](const TierStats& s) { return s.hits; }},
      {"strata_tier_misses_total", "Keys the tier did not hold", "counter",
       [](const TierStats& s) { return s.lookups - s.hits; }},
      {"strata_tier_rows", "Rows the tier holds now", "gauge",
       [](const TierStats& s) { return s.rows; }},
      {"strata_tier_bytes", "Bytes the tier holds now (keys and values)",
       "gauge", [](const TierStats& s) { return s.bytes; }},
  };
  for (const Column& c : columns) {
    w.Family(c.name, c.help, c.type);
    for (const TierRow& r : rows) {
      w.Sample(c.name, labels, r.labels, static_cast<double>(c.value(r.stats)));
    }
  }
  w.Family("strata_tier_lookup_duration_seconds",
           "Time of one tier read (one call serves a batch)", "histogram");
  for (const TierRow& r : rows) {
    w.Histogram("strata_tier_lookup_duration_seconds", labels, r.labels,
                r.latency);
  }
}

void WriteBatcher(MetricsWriter& w, const Batcher& batcher) {
  const BatcherStats s = batcher.Stats();
  w.Family("strata_batch_keys", "Keys per batch a worker ran", "histogram");
  w.Histogram("strata_batch_keys", {}, {}, batcher.BatchKeys());
  w.Family("strata_batch_requests", "Requests per batch a worker ran",
           "histogram");
  w.Histogram("strata_batch_requests", {}, {}, batcher.BatchJobs());
  w.Family("strata_queue_depth", "Requests waiting for a worker", "gauge");
  w.Sample("strata_queue_depth", {}, {}, static_cast<double>(s.queued));
  w.Family("strata_queue_rejected_total",
           "Requests refused because the queue was full", "counter");
  w.Sample("strata_queue_rejected_total", {}, {},
           static_cast<double>(s.rejected));
  w.Family(
      "strata_queue_expired_total",
      "Requests dropped unread: deadline passed or caller gone while queued",
      "counter");
  w.Sample("strata_queue_expired_total", {}, {},
           static_cast<double>(s.expired));
}

void WriteUpdates(MetricsWriter& w, const UpdateSidecar& updates) {
  const UpdateSidecarStats s = updates.stats();
  auto one = [&](const char* name, const char* help, const char* type,
                 uint64_t v) {
    w.Family(name, help, type);
    w.Sample(name, {}, {}, static_cast<double>(v));
  };
  one("strata_update_applied_messages_total",
      "Update batches applied (Kafka and PushUpdates)", "counter",
      s.applier.applied_messages);
  one("strata_update_applied_rows_total", "Rows written by updates", "counter",
      s.applier.applied_rows);
  one("strata_update_skipped_messages_total",
      "Update messages skipped: malformed, unknown model or table, wrong dim",
      "counter", s.applier.skipped_messages + s.kafka.skipped_messages);
  one("strata_update_stale_messages_total",
      "Update messages older than the serving snapshot", "counter",
      s.applier.stale_messages + s.kafka.stale_messages);
  one("strata_update_lost_messages_total",
      "Messages deleted by topic retention before they were read", "counter",
      s.kafka.lost_messages);
  one("strata_update_lag_messages",
      "Messages on the update topics not applied yet", "gauge", s.kafka.lag);
}

}  // namespace

void AddEngineMetrics(MetricsRegistry* registry, const Engine* engine,
                      const LookupHandler* lookups,
                      const InferHandler* infers) {
  registry->AddCollector([engine, lookups, infers](MetricsWriter& w) {
    const ModelRegistry& models = *engine->registry();
    w.Family("strata_model_info",
             "1 for each serving model version (with a dense network or not)",
             "gauge");
    for (const auto& m : models.List()) {
      w.Sample("strata_model_info", {"model", "version", "dense"},
               {m->name(), std::to_string(m->version()),
                m->dense() != nullptr ? "true" : "false"},
               1);
    }
    WriteTiers(w, models);
    const LookupCounters& l = lookups->counters();
    const InferCounters& i = infers->counters();
    w.Family("strata_keys_looked_up_total",
             "Keys answered, by method (Infer counts its bound tables' keys)",
             "counter");
    w.Sample("strata_keys_looked_up_total", {"method"}, {"Lookup"},
             static_cast<double>(l.keys.load()));
    w.Sample("strata_keys_looked_up_total", {"method"}, {"Infer"},
             static_cast<double>(i.keys.load()));
    w.Family("strata_default_rows_total",
             "Rows answered with the table's default row (key in no tier, or "
             "not within the miss budget)",
             "counter");
    w.Sample("strata_default_rows_total", {"method"}, {"Lookup"},
             static_cast<double>(l.default_rows.load()));
    w.Sample("strata_default_rows_total", {"method"}, {"Infer"},
             static_cast<double>(i.default_rows.load()));
    w.Family("strata_infer_samples_total", "Samples run through dense networks",
             "counter");
    w.Sample("strata_infer_samples_total", {}, {},
             static_cast<double>(i.samples.load()));
    if (const Batcher* b = engine->batcher(); b != nullptr) WriteBatcher(w, *b);
    if (const UpdateSidecar* u = engine->updates(); u != nullptr) {
      WriteUpdates(w, *u);
    }
  });
}

void AddInflightMetrics(MetricsRegistry* registry,
                        const InflightBudget* budget) {
  registry->AddCollector([budget](MetricsWriter& w) {
    w.Family("strata_inflight_bytes",
             "Bytes held by admitted calls (requests, rows, replies) until "
             "their replies are sent",
             "gauge");
    w.Sample("strata_inflight_bytes", {}, {},
             static_cast<double>(budget->used()));
    w.Family("strata_inflight_limit_bytes", "max_inflight_bytes (0 = no limit)",
             "gauge");
    w.Sample("strata_inflight_limit_bytes", {}, {},
             static_cast<double>(budget->max_bytes()));
    w.Family("strata_inflight_peak_bytes",
             "Most bytes admitted calls held at once since start", "gauge");
    w.Sample("strata_inflight_peak_bytes", {}, {},
             static_cast<double>(budget->peak()));
    w.Family("strata_inflight_rejected_total",
             "Calls refused because they did not fit max_inflight_bytes",
             "counter");
    w.Sample("strata_inflight_rejected_total", {}, {},
             static_cast<double>(budget->rejected()));
  });
}

}  // namespace strata
