#include "client/bench/bench_remote.h"

#include <grpcpp/grpcpp.h>
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/bench/bench_infer.h"
#include "client/bench/bench_load.h"
#include "client/bench/bench_redis.h"
#include "client/bench/bench_report.h"
#include "client/strata_client.h"
#include "engine/common/key_stream.h"
#include "strata/v1/diagnostics.grpc.pb.h"

namespace strata {
namespace {

using bench::BenchResult;
using bench::LatencyLog;
using bench::LoadOptions;

// RunRemoteBench has built one channel with these settings already, so
// building them again cannot fail.
std::vector<std::shared_ptr<grpc::Channel>> Channels(
    const RemoteBenchOptions& o) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (uint32_t i = 0; i < o.connections; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // own connection
    args.SetInt("strata.bench.channel", static_cast<int>(i));
    channels.push_back(*NewChannel(o.target, o.security, args));
  }
  return channels;
}

// One Echo, so that a server without diagnostics is a clear error, not a
// column of UNIMPLEMENTED.
absl::Status ProbeEcho(const RemoteBenchOptions& o) {
  auto stub = v1::Diagnostics::NewStub(*NewChannel(o.target, o.security));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(o.timeout_ms));
  v1::EchoRequest request;
  v1::EchoResponse response;
  grpc::Status s = stub->Echo(&context, request, &response);
  if (s.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    return absl::FailedPreconditionError(
        "the server does not serve Diagnostics/Echo; start it with "
        "--enable-diagnostics true (or \"enable_diagnostics\": true)");
  }
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat("Echo: ", s.error_message()));
  }
  return absl::OkStatus();
}

// Requests of `batch` samples: `bag_size` keys per table per sample, pooled
// per sample when `pooling` is sum or mean.
std::vector<v1::LookupRequest> MakePool(const RemoteBenchOptions& o,
                                        const v1::ModelInfo& model) {
  std::vector<KeyStream> streams;
  for (int t = 0; t < model.tables_size(); ++t) {
    streams.emplace_back(model.tables(t).rows(), o.zipf, o.seed + t);
  }
  std::vector<v1::LookupRequest> pool(o.pool);
  for (v1::LookupRequest& r : pool) {
    r.set_model(model.name());
    r.set_version(model.version());
    r.set_value_dtype(o.dtype == "float16"    ? v1::FLOAT16
                      : o.dtype == "bfloat16" ? v1::BFLOAT16
                                              : v1::FLOAT32);
    for (int t = 0; t < model.tables_size(); ++t) {
      v1::TableKeys* keys = r.add_tables();
      keys->set_table(model.tables(t).name());
      for (uint32_t s = 0; s < o.batch; ++s) {
        if (o.pooling != "none") keys->add_offsets(keys->keys_size());
        for (uint32_t k = 0; k < o.bag_size; ++k) {
          keys->add_keys(streams[t].Next());
        }
      }
      if (o.pooling != "none") {
        keys->add_offsets(keys->keys_size());
        keys->set_pooling(o.pooling == "sum" ? v1::SUM : v1::MEAN);
      }
    }
  }
  return pool;
}

std::chrono::system_clock::time_point Deadline(uint32_t ms) {
  return std::chrono::system_clock::now() + std::chrono::milliseconds(ms);
}

std::string CodeName(const grpc::Status& s) {
  return absl::StatusCodeToString(
      static_cast<absl::StatusCode>(s.error_code()));
}

// One asynchronous unary call per load slot, each with its own context
// (deadline `timeout_ms`) and reply; `start(slot, seq, context, reply, cb)`
// issues the call.
template <typename Response, typename Start>
LatencyLog RunUnaryLoad(const LoadOptions& load, uint32_t timeout_ms,
                        const Start& start, uint64_t keys_per_request,
                        double* window_s) {
  struct Slot {
    std::unique_ptr<grpc::ClientContext> context;
    Response response;
  };
  std::vector<Slot> slots(load.concurrency);
  return bench::RunAsyncLoad(
      load,
      [&](uint32_t slot, uint64_t seq,
          std::function<void(const std::string&)> done) {
        Slot& s = slots[slot];
        s.context = std::make_unique<grpc::ClientContext>();
        s.context->set_deadline(Deadline(timeout_ms));
        start(slot, seq, s.context.get(), &s.response,
              [done](grpc::Status status) { done(CodeName(status)); });
      },
      keys_per_request, window_s);
}

LatencyLog RunStrata(const RemoteBenchOptions& o, const LoadOptions& load,
                     const std::vector<v1::LookupRequest>& pool,
                     uint64_t keys_per_request, double* window_s) {
  std::vector<std::unique_ptr<v1::Embedding::Stub>> stubs;
  for (auto& c : Channels(o)) {
    stubs.push_back(v1::Embedding::NewStub(c));
  }
  return RunUnaryLoad<v1::LookupResponse>(
      load, o.timeout_ms,
      [&](uint32_t slot, uint64_t seq, grpc::ClientContext* context,
          v1::LookupResponse* response,
          std::function<void(grpc::Status)> done) {
        const v1::LookupRequest& request =
            pool[(slot * 7919 + seq) % pool.size()];
        stubs[slot % stubs.size()]->async()->Lookup(context, &request, response,
                                                    std::move(done));
      },
      keys_per_request, window_s);
}

LatencyLog RunInfer(const RemoteBenchOptions& o, const LoadOptions& load,
                    const std::vector<v1::InferRequest>& pool,
                    uint64_t keys_per_request, double* window_s) {
  std::vector<std::unique_ptr<v1::Embedding::Stub>> stubs;
  for (auto& c : Channels(o)) {
    stubs.push_back(v1::Embedding::NewStub(c));
  }
  return RunUnaryLoad<v1::InferResponse>(
      load, o.timeout_ms,
      [&](uint32_t slot, uint64_t seq, grpc::ClientContext* context,
          v1::InferResponse* response, std::function<void(grpc::Status)> done) {
        const v1::InferRequest& request =
            pool[(slot * 7919 + seq) % pool.size()];
        stubs[slot % stubs.size()]->async()->Infer(context, &request, response,
                                                   std::move(done));
      },
      keys_per_request, window_s);
}

LatencyLog RunEcho(const RemoteBenchOptions& o, const LoadOptions& load,
                   size_t request_bytes, size_t reply_bytes, double* window_s) {
  std::vector<std::unique_ptr<v1::Diagnostics::Stub>> stubs;
  for (auto& c : Channels(o)) {
    stubs.push_back(v1::Diagnostics::NewStub(c));
  }
  v1::EchoRequest request;
  request.mutable_payload()->resize(request_bytes);
  request.set_reply_bytes(static_cast<uint32_t>(reply_bytes));
  return RunUnaryLoad<v1::EchoResponse>(
      load, o.timeout_ms,
      [&](uint32_t slot, uint64_t, grpc::ClientContext* context,
          v1::EchoResponse* response, std::function<void(grpc::Status)> done) {
        stubs[slot % stubs.size()]->async()->Echo(context, &request, response,
                                                  std::move(done));
      },
      0, window_s);
}

// Per-tier hit rate between two GetStats snapshots.
std::map<std::string, double> HitRates(const v1::GetStatsResponse& before,
                                       const v1::GetStatsResponse& after) {
  std::map<std::string, double> rates;
  for (const v1::TierStats& a : after.tiers()) {
    uint64_t lookups = a.lookups(), hits = a.hits();
    for (const v1::TierStats& b : before.tiers()) {
      if (b.tier() == a.tier()) {
        lookups -= b.lookups();
        hits -= b.hits();
      }
    }
    rates[a.tier()] = lookups ? double(hits) / lookups : 0.0;
  }
  return rates;
}

// The load generator receives a reply of up to megabytes per call on many
// threads. glibc returns the freed top of each thread's heap to the kernel
// (madvise) once it passes the trim threshold, so every reply's buffer was
// faulted in afresh and its pages shot down again: measured here, that
// capped a bare echo of 852 KB replies at ~1,400 requests/s, against ~5,400
// without the trimming, and made the bench measure its own allocator rather
// than the server. Keep large blocks in the heap instead (the process is
// short-lived).
void KeepLargeBlocksInHeap() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

}  // namespace

void AddRemoteBenchFlags(CLI::App* app, RemoteBenchOptions* o) {
  app->add_option("--target", o->target, "strata-server host:port")
      ->capture_default_str();
  app->add_option("--model", o->model, "Model to read")->capture_default_str();
  app->add_option("--batch", o->batch,
                  "Samples per request (one key per table each)")
      ->capture_default_str();
  app->add_option("--concurrency", o->concurrency, "Requests in flight")
      ->capture_default_str();
  app->add_option("--connections", o->connections, "gRPC connections")
      ->capture_default_str();
  app->add_option("--duration", o->duration_s, "Measured seconds")
      ->capture_default_str();
  app->add_option("--warmup", o->warmup_s, "Seconds of load before measuring")
      ->capture_default_str();
  app->add_option("--rps", o->rps,
                  "Open loop at this many requests/s (0 = closed loop)")
      ->capture_default_str();
  app->add_option("--zipf", o->zipf, "Zipf alpha of key ranks (0 = uniform)")
      ->capture_default_str();
  app->add_option("--seed", o->seed, "Key stream seed")->capture_default_str();
  app->add_option("--pool", o->pool, "Distinct requests generated up front")
      ->capture_default_str();
  app->add_option("--timeout-ms", o->timeout_ms, "Deadline of every call")
      ->capture_default_str();
  app->add_option("--bag-size", o->bag_size,
                  "Keys per sample per table (multi-hot bags)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app->add_option("--pooling", o->pooling,
                  "none (one row per key), sum or mean (one row per sample)")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "sum", "mean"}));
  app->add_option("--dtype", o->dtype,
                  "Reply values on the wire: float32, float16 or bfloat16")
      ->capture_default_str()
      ->check(CLI::IsMember({"float32", "float16", "bfloat16"}));
  app->add_option("--compare-redis", o->compare_redis,
                  "Also load the same rows into this redis-server (host:port) "
                  "and measure MGET of the same keys");
  app->add_flag("--compare-echo", o->compare_echo,
                "Also measure a bare gRPC echo of the same request/reply size");
  app->add_flag("--infer", o->infer,
                "Drive Infer instead of Lookup: dense features and keys for "
                "every table the model's dense network reads; reports "
                "samples/s");
  app->add_flag("--json", o->json, "Print one JSON object (ghz field names)");
  AddSecurityFlags(app, &o->security);
}

int RunRemoteBench(const RemoteBenchOptions& o) {
  KeepLargeBlocksInHeap();
  StrataClient client({o.target, o.timeout_ms, o.security});
  auto models = client.ListModels();
  if (!models.ok()) {
    std::fprintf(stderr, "strata bench: %s\n",
                 std::string(models.status().message()).c_str());
    return 1;
  }
  const v1::ModelInfo* model = nullptr;
  for (const v1::ModelInfo& m : models->models()) {
    if (m.name() == o.model) model = &m;
  }
  if (model == nullptr || model->tables_size() == 0) {
    std::fprintf(stderr, "strata bench: model \"%s\" is not served by %s\n",
                 o.model.c_str(), o.target.c_str());
    return 1;
  }
  if (o.concurrency == 0 || o.connections == 0 || o.batch == 0 || o.pool == 0) {
    std::fprintf(stderr,
                 "strata bench: concurrency, connections, batch and "
                 "pool must be positive\n");
    return 2;
  }
  const std::vector<v1::LookupRequest> pool = MakePool(o, *model);
  uint64_t keys_per_request =
      uint64_t{o.batch} * o.bag_size * model->tables_size();
  LoadOptions load{o.concurrency, o.warmup_s, o.duration_s, o.rps};
  std::vector<v1::InferRequest> infer_pool;
  if (o.infer) {
    bench::InferPoolOptions io{o.batch, o.bag_size, o.pooling,
                               o.zipf,  o.seed,     o.pool};
    absl::StatusOr<std::vector<v1::InferRequest>> made =
        bench::MakeInferPool(io, *model);
    if (!made.ok()) {
      std::fprintf(stderr, "strata bench: --infer: %s\n",
                   std::string(made.status().message()).c_str());
      return 2;
    }
    infer_pool = *std::move(made);
    keys_per_request = 0;
    for (const v1::TableKeys& t : infer_pool[0].tables()) {
      keys_per_request += t.keys_size();
    }
  }

  if (o.compare_echo) {
    if (absl::Status probe = ProbeEcho(o); !probe.ok()) {
      std::fprintf(stderr, "strata bench: --compare-echo: %s\n",
                   std::string(probe.message()).c_str());
      return 1;
    }
  }

  std::vector<BenchResult> results;
  auto before = client.GetStats();
  if (!before.ok()) {
    std::fprintf(stderr,
                 "strata bench: no per-tier hit rates (GetStats is an admin "
                 "call; --token-file?): %s\n",
                 std::string(before.status().message()).c_str());
  }
  double window = 0;
  LatencyLog log =
      o.infer ? RunInfer(o, load, infer_pool, keys_per_request, &window)
              : RunStrata(o, load, pool, keys_per_request, &window);
  auto after = client.GetStats();
  results.push_back(bench::Summarize("strata", std::move(log), window, o.rps));
  std::map<std::string, double> hit_rates;
  if (before.ok() && after.ok()) hit_rates = HitRates(*before, *after);

  if (o.compare_echo) {
    size_t request_bytes = pool[0].ByteSizeLong(), reply_bytes = 0;
    if (o.infer) {
      auto reply = client.Infer(infer_pool[0]);
      request_bytes = infer_pool[0].ByteSizeLong();
      reply_bytes = reply.ok() ? reply->ByteSizeLong() : 0;
    } else {
      auto reply = client.Lookup(pool[0]);
      reply_bytes = reply.ok() ? reply->ByteSizeLong() : 0;
    }
    LatencyLog echo = RunEcho(o, load, request_bytes, reply_bytes, &window);
    results.push_back(bench::Summarize("echo", std::move(echo), window, o.rps));
  }
  if (!o.compare_redis.empty()) {
    absl::Status loaded =
        bench::LoadRowsIntoRedis(client, *model, o.compare_redis);
    auto redis = loaded.ok()
                     ? bench::RunRedisMget(load, o.compare_redis, *model, pool,
                                           keys_per_request, &window)
                     : absl::StatusOr<LatencyLog>(loaded);
    if (!redis.ok()) {
      std::fprintf(stderr, "strata bench: --compare-redis: %s\n",
                   std::string(redis.status().message()).c_str());
      return 1;
    }
    results.push_back(
        bench::Summarize("redis", std::move(*redis), window, o.rps));
  }

  nlohmann::json workload = {{"target", o.target},
                             {"model", o.model},
                             {"tables", model->tables_size()},
                             {"batch", o.batch},
                             {"keys_per_request", keys_per_request},
                             {"concurrency", o.concurrency},
                             {"connections", o.connections},
                             {"duration_s", o.duration_s},
                             {"rps", o.rps},
                             {"zipf", o.zipf},
                             {"dtype", o.dtype},
                             {"bag_size", o.bag_size},
                             {"pooling", o.pooling},
                             {"infer", o.infer},
                             {"seed", o.seed}};
  if (o.json) {
    nlohmann::json out = results[0].ToJson();
    if (o.infer) out["samples_per_s"] = results[0].rps * o.batch;
    out["workload"] = workload;
    out["tier_hit_rates"] = hit_rates;
    for (size_t i = 1; i < results.size(); ++i) {
      out[results[i].name] = results[i].ToJson();
      out[results[i].name]["strata_rps_ratio"] =
          results[i].rps > 0 ? results[0].rps / results[i].rps : 0.0;
    }
    std::printf("%s\n", out.dump(2).c_str());
    return results[0].errors == 0 ? 0 : 1;
  }
  std::printf("Workload: %s\n", workload.dump().c_str());
  for (const BenchResult& r : results)
    r.Print(/*with_histogram=*/r.name == "strata");
  if (o.infer) {
    std::printf("\nInfer samples/s: %.1f\n", results[0].rps * o.batch);
  }
  std::printf("\nServer tier hit rates during the run:\n");
  for (const auto& [tier, rate] : hit_rates) {
    std::printf("  %-10s %.2f%%\n", tier.c_str(), 100 * rate);
  }
  for (size_t i = 1; i < results.size(); ++i) {
    const BenchResult& r = results[i];
    // The echo moves the same bytes per request but counts no keys: its
    // requests/s ratio is also the bytes/s ratio.
    std::string keys;
    if (r.keys_per_s > 0) {
      keys = absl::StrFormat(", keys/s x%.2f",
                             results[0].keys_per_s / r.keys_per_s);
    }
    std::printf(
        "strata / %s: requests/s x%.2f%s, p50 x%.2f, p99 x%.2f\n",
        r.name.c_str(), r.rps > 0 ? results[0].rps / r.rps : 0.0, keys.c_str(),
        r.Percentile(50) ? double(results[0].Percentile(50)) / r.Percentile(50)
                         : 0.0,
        r.Percentile(99) ? double(results[0].Percentile(99)) / r.Percentile(99)
                         : 0.0);
  }
  return results[0].errors == 0 ? 0 : 1;
}

}  // namespace strata
