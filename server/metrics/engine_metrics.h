// The engine's metrics: a collector that reads, at each scrape, the
// counters the engine keeps anyway (per-tier lookups, hits, rows, bytes and
// latency for every table of every serving model; batch sizes and queue
// depth; update progress and lag; lookup and inference totals) and writes
// them as Prometheus families. Nothing here adds work to a request.
//
// Ownership: borrows everything; the engine and handlers must outlive the
// registry's last Render.
#pragma once

#include "engine/builder/engine.h"
#include "server/infer_handler.h"
#include "server/inflight_budget.h"
#include "server/lookup_handler.h"
#include "server/metrics/metrics_registry.h"

namespace strata {

void AddEngineMetrics(MetricsRegistry* registry, const Engine* engine,
                      const LookupHandler* lookups, const InferHandler* infers);

// strata_inflight_bytes{,_limit,_peak} and strata_inflight_rejected_total.
void AddInflightMetrics(MetricsRegistry* registry,
                        const InflightBudget* budget);

}  // namespace strata
