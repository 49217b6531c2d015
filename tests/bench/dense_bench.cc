// strata_dense_bench: samples per second of the dense executor on one ONNX
// model. Each of --threads threads runs its own session (the way the
// server's workers do) on inputs filled with seeded random values, for
// --seconds per batch size. Results go to stdout (JSON with --json), logs
// to stderr.
//
//   strata_dense_bench --model dlrm.onnx --batch 256 --batch 2048
//     --seconds 3 --threads 4 --json
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <latch>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "engine/model/dense/dense_network.h"

namespace {

struct Result {
  int64_t batch = 0;
  double samples_per_s = 0;
  double us_per_run = 0;
  int64_t runs = 0;
};

// Runs `threads` sessions of `batch` for `seconds`; false on any error.
bool Measure(const strata::DenseNetwork& net, int64_t batch, double seconds,
             int threads, Result* out) {
  std::atomic<int64_t> runs{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> workers;
  // The clock starts when every session is prepared and filled.
  std::latch prepared(threads), go(1);
  std::chrono::steady_clock::time_point start;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::unique_ptr<strata::DenseSession> s = net.NewSession();
      if (!s->Prepare(batch).ok()) {
        failed = true;
        prepared.count_down();
        return;
      }
      std::mt19937 rng(1234 + t);
      std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
      for (size_t i = 0; i < net.inputs().size(); ++i) {
        for (float& f : s->input(i)) f = dist(rng);
      }
      prepared.count_down();
      go.wait();
      const auto end = start + std::chrono::duration<double>(seconds);
      int64_t mine = 0;
      do {
        absl::Status st = s->Run();
        if (!st.ok()) {
          spdlog::error("run failed: {}", std::string(st.message()));
          failed = true;
          return;
        }
        ++mine;
      } while (std::chrono::steady_clock::now() < end);
      runs += mine;
    });
  }
  prepared.wait();
  start = std::chrono::steady_clock::now();
  go.count_down();
  for (std::thread& w : workers) w.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  out->batch = batch;
  out->runs = runs;
  out->samples_per_s = static_cast<double>(runs) * batch / elapsed;
  out->us_per_run = runs > 0 ? elapsed * 1e6 * threads / runs : 0;
  return !failed;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("dense_bench"));
  CLI::App app{"Dense executor throughput (samples/s)"};
  std::string model;
  std::vector<int64_t> batches;
  double seconds = 3.0;
  int threads = 1;
  bool json = false;
  app.add_option("--model", model, "ONNX model file")->required();
  app.add_option("--batch", batches, "batch size (repeatable)")->required();
  app.add_option("--seconds", seconds, "seconds per batch size");
  app.add_option("--threads", threads, "threads, one session each");
  app.add_flag("--json", json, "print JSON to stdout");
  CLI11_PARSE(app, argc, argv);

  std::ifstream f(model, std::ios::binary);
  if (!f) {
    spdlog::error("cannot read {}", model);
    return 1;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  strata::DenseNetworkOptions options;
  for (int64_t b : batches) options.max_batch = std::max(options.max_batch, b);
  auto net = strata::DenseNetwork::Load(ss.str(), options);
  if (!net.ok()) {
    spdlog::error("load failed: {}", net.status().ToString());
    return 1;
  }
  spdlog::info("{}:\n{}", model, (*net)->Describe());
  nlohmann::json out = {{"model", model},
                        {"threads", threads},
                        {"seconds", seconds},
                        {"results", nlohmann::json::array()}};
  for (int64_t batch : batches) {
    Result r;
    if (!Measure(**net, batch, seconds, threads, &r)) return 1;
    spdlog::info("batch {}: {:.0f} samples/s ({:.1f} us per run, {} runs)",
                 batch, r.samples_per_s, r.us_per_run, r.runs);
    out["results"].push_back({{"batch", r.batch},
                              {"samples_per_s", r.samples_per_s},
                              {"us_per_run", r.us_per_run},
                              {"runs", r.runs}});
    if (!json) {
      std::printf("batch %lld: %.0f samples/s\n", static_cast<long long>(batch),
                  r.samples_per_s);
    }
  }
  if (json) std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
