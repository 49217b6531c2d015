// `strata bench --target HOST:PORT`: a load generator in the spirit of ghz
// that drives a running strata-server with Lookup requests of `batch`
// samples (one key per table per sample, keys from the KeyStream of
// shared/BENCHMARKS.md), and reports throughput, latency percentiles, the
// status distribution and the server's per-tier hit rates. Same-run
// baselines: --compare-redis (MGET of the same keys from a plain Redis) and
// --compare-echo (a bare gRPC echo with the same request and reply sizes).
// --infer drives Infer instead (bench_infer.h).
//
// Thread safety: RunRemoteBench owns everything it creates.
#pragma once

#include <cstdint>
#include <string>

#include "client/channel.h"

namespace CLI {
class App;
}

namespace strata {

struct RemoteBenchOptions {
  std::string target = "localhost:8500";
  std::string model = "demo";
  uint32_t batch = 128;      // samples per request
  uint32_t concurrency = 8;  // requests in flight
  uint32_t connections = 1;  // gRPC channels (HTTP/2 connections)
  double duration_s = 10;    // measured seconds
  double warmup_s = 1;       // seconds before measuring
  double rps = 0;            // open loop at this rate; 0 = closed loop
  double zipf = 1.05;        // Zipf alpha of key ranks; 0 = uniform
  uint64_t seed = 1;
  uint32_t pool = 256;            // distinct requests generated up front
  uint32_t timeout_ms = 10000;    // deadline of every call
  std::string dtype = "float32";  // reply values: float32, float16, bfloat16
  uint32_t bag_size = 1;          // keys per sample per table
  std::string pooling = "none";   // none (one row per key), sum or mean
  std::string compare_redis;      // host:port of a redis-server, or empty
  bool compare_echo = false;
  bool infer = false;  // Infer calls (dense network) instead of Lookup
  bool json = false;
  ChannelSecurity security;  // TLS, and the token per-tier stats need
};

void AddRemoteBenchFlags(CLI::App* app, RemoteBenchOptions* options);
int RunRemoteBench(const RemoteBenchOptions& options);

}  // namespace strata
