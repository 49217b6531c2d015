// Infer end to end: the four fixture models (tests/data/onnx, exported from
// PyTorch) imported with their dense graphs by the real CLI, served by a
// real strata-server, called over gRPC: outputs must match PyTorch's within
// 1e-5, with embeddings from the server's own lookup of the imported rows.
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "client/infer_input.h"
#include "client/strata_client.h"
#include "nlohmann/json.hpp"
#include "tests/integration/subprocess.h"
#include "tests/unit/test_util.h"

namespace strata::testing {
namespace {

const std::string kServer = STRATA_SERVER_BIN;
const std::string kCli = STRATA_CLI_BIN;
const std::string kData = STRATA_ONNX_DATA;  // tests/data/onnx
const std::vector<int> kBatches = {1, 4, 7, 16};

std::string Stacked() {
  std::string tables = "tables:";
  for (int i = 0; i < 26; ++i) tables += (i ? ",t" : "t") + std::to_string(i);
  return tables;
}

// The import flags each fixture model needs (tests/data/onnx/README.md).
std::vector<std::string> Bindings(const std::string& model) {
  if (model == "dlrm") return {"--dense-input", "emb=" + Stacked()};
  if (model == "mmoe") {
    return {"--dense-input", "dense_x=dense", "--dense-input",
            "sparse=" + Stacked()};
  }
  return {};
}

CommandResult Import(const std::string& data_dir, const std::string& model,
                     const std::string& graph,
                     const std::vector<std::string>& bindings) {
  std::vector<std::string> argv = {kCli,     "import",         "--data-dir",
                                   data_dir, "--model",        model,
                                   "--from", kData + "/tables"};
  if (!graph.empty()) {
    argv.push_back("--dense");
    argv.push_back(graph);
  }
  argv.insert(argv.end(), bindings.begin(), bindings.end());
  return RunCommand(argv);
}

nlohmann::json Case(const std::string& model, int batch) {
  std::ifstream file(kData + "/" + model + "_b" + std::to_string(batch) +
                     ".json");
  REQUIRE(file.good());
  return nlohmann::json::parse(file);
}

// Every expected output matches within 1e-5 absolute.
void CheckOutputs(const nlohmann::json& expected, const nlohmann::json& got) {
  for (const auto& [name, rows] : expected["outputs"].items()) {
    INFO("output " << name);
    REQUIRE(got["outputs"].contains(name));
    const nlohmann::json& g = got["outputs"][name];
    REQUIRE(g.size() == rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      REQUIRE(g[i].size() == rows[i].size());
      for (size_t k = 0; k < rows[i].size(); ++k) {
        CHECK(std::abs(g[i][k].get<double>() - rows[i][k].get<double>()) <=
              1e-5);
      }
    }
  }
  CHECK(got["default_rows"].get<uint64_t>() ==
        expected["default_rows"].get<uint64_t>());
}

v1::InferRequest RequestFor(const std::string& model, const nlohmann::json& c) {
  absl::StatusOr<v1::InferRequest> r = InferRequestFromJson(c);
  REQUIRE(r.ok());
  r->set_model(model);
  return *r;
}

// The four models imported into one data dir, served by one server.
struct FixtureServer {
  TempDir dir;
  std::string data_dir = dir.path() + "/data";
  std::unique_ptr<ServerProcess> server;

  explicit FixtureServer(std::vector<std::string> flags = {}) {
    for (const std::string model : {"dlrm", "dcn", "deepfm", "mmoe"}) {
      CommandResult imp = Import(data_dir, model, kData + "/" + model + ".onnx",
                                 Bindings(model));
      INFO(imp.err);
      REQUIRE(imp.exit_code == 0);
    }
    REQUIRE(Import(data_dir, "lookup_only", "", {}).exit_code == 0);
    flags.insert(flags.begin(), {"--data-dir", data_dir});
    server = std::make_unique<ServerProcess>(kServer, flags, dir.path());
    INFO(server->log());
    REQUIRE(server->running());
  }

  StrataClient Client() const {
    ClientOptions o;
    o.target = server->target();
    return StrataClient(o);
  }
};

}  // namespace

TEST_CASE("Infer matches PyTorch on every fixture model and batch size",
          "[e2e][infer]") {
  FixtureServer s;
  StrataClient client = s.Client();
  for (const std::string model : {"dlrm", "dcn", "deepfm", "mmoe"}) {
    for (int batch : kBatches) {
      INFO(model << " batch " << batch);
      nlohmann::json c = Case(model, batch);
      absl::StatusOr<v1::InferResponse> reply =
          client.Infer(RequestFor(model, c));
      REQUIRE(reply.ok());
      CHECK(reply->version() == 1);
      CheckOutputs(c["expected"], InferResponseToJson(*reply));
    }
  }
}

TEST_CASE("strata infer --json prints the outputs of a JSON input file",
          "[e2e][infer]") {
  FixtureServer s;
  const std::string input = s.dir.path() + "/in.json";
  nlohmann::json c = Case("mmoe", 7);
  nlohmann::json file = {
      {"dense", c["dense"]}, {"keys", c["keys"]}, {"pooling", c["pooling"]}};
  std::ofstream(input) << file.dump();
  CommandResult r = RunCommand({kCli, "infer", "--target", s.server->target(),
                                "--model", "mmoe", "--input", input, "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  nlohmann::json got = nlohmann::json::parse(r.out);
  CHECK(got["model"] == "mmoe");
  CHECK(got["version"] == 1);
  CheckOutputs(c["expected"], got);

  CommandResult models =
      RunCommand({kCli, "models", "--target", s.server->target(), "--json"});
  REQUIRE(models.exit_code == 0);
  bool seen = false;
  for (const nlohmann::json& m : nlohmann::json::parse(models.out)) {
    if (m["name"] != "mmoe") continue;
    seen = true;
    REQUIRE(m["dense"]["inputs"].size() == 2);
    CHECK(m["dense"]["inputs"][0]["name"] == "dense_x");
    CHECK(m["dense"]["inputs"][0]["binding"] == "dense");
    CHECK(m["dense"]["inputs"][1]["binding"] == Stacked());
    CHECK(m["dense"]["outputs"].size() == 4);
  }
  CHECK(seen);
}

TEST_CASE("concurrent Infer calls coalesce and each gets its own outputs",
          "[e2e][infer]") {
  // A queue delay makes the workers gather calls into shared runs.
  FixtureServer s({"--max-queue-delay-us", "3000", "--worker-threads", "1"});
  std::vector<std::thread> threads;
  std::atomic<int> failures{0}, calls{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      StrataClient client = s.Client();
      const std::string model = t % 2 ? "dlrm" : "deepfm";
      for (int i = 0; i < 8; ++i) {
        const int batch = kBatches[(t + i) % kBatches.size()];
        nlohmann::json c = Case(model, batch);
        absl::StatusOr<v1::InferResponse> reply =
            client.Infer(RequestFor(model, c));
        ++calls;
        if (!reply.ok()) {
          ++failures;
          continue;
        }
        nlohmann::json got = InferResponseToJson(*reply);
        for (const auto& [name, rows] : c["expected"]["outputs"].items()) {
          for (size_t r = 0; r < rows.size(); ++r) {
            if (std::abs(got["outputs"][name][r][0].get<double>() -
                         rows[r][0].get<double>()) > 1e-5) {
              ++failures;
            }
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(calls.load() == 48);
  CHECK(failures.load() == 0);
}

TEST_CASE("bad Infer requests get INVALID_ARGUMENT naming the field",
          "[e2e][infer]") {
  FixtureServer s({"--max-infer-batch", "8"});
  StrataClient client = s.Client();
  const nlohmann::json c = Case("dcn", 4);
  auto expect = [&](v1::InferRequest r, absl::StatusCode code,
                    const std::string& says) {
    absl::StatusOr<v1::InferResponse> reply = client.Infer(r);
    REQUIRE_FALSE(reply.ok());
    INFO(reply.status().message());
    CHECK(reply.status().code() == code);
    CHECK_THAT(std::string(reply.status().message()),
               Catch::Matchers::Contains(says));
  };
  v1::InferRequest good = RequestFor("dcn", c);
  REQUIRE(client.Infer(good).ok());

  v1::InferRequest r = good;
  r.mutable_dense()->resize(r.dense().size() - 4);
  expect(r, absl::StatusCode::kInvalidArgument, "dense holds");
  r = good;
  r.mutable_tables()->RemoveLast();
  expect(r, absl::StatusCode::kInvalidArgument, "is missing");
  r = good;
  r.mutable_tables(1)->set_offsets(2, 99);  // t1 is multi-hot
  expect(r, absl::StatusCode::kInvalidArgument, "table \"t1\"");
  r = good;
  r.mutable_tables(0)->add_keys(3);  // 5 keys for 4 samples
  expect(r, absl::StatusCode::kInvalidArgument, "batch is 4");
  r = good;
  const float nan = std::nanf("");
  std::memcpy(r.mutable_dense()->data() + 4 * 13 + 8, &nan, 4);
  expect(r, absl::StatusCode::kInvalidArgument, "dense[1][2] is NaN");
  r = RequestFor("dcn", Case("dcn", 16));
  expect(r, absl::StatusCode::kInvalidArgument, "max_infer_batch");
  r = good;
  r.set_batch(0);
  expect(r, absl::StatusCode::kInvalidArgument, "batch must be");
  r = good;
  r.add_tables()->set_table("t99");
  expect(r, absl::StatusCode::kInvalidArgument, "not an input");
  r = good;
  r.set_model("lookup_only");
  expect(r, absl::StatusCode::kFailedPrecondition, "no dense network");
  r = good;
  r.set_model("nope");
  expect(r, absl::StatusCode::kNotFound, "not loaded");
}

TEST_CASE("an import whose dense graph does not load or bind stores nothing",
          "[e2e][infer]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  const std::string garbage = dir.path() + "/garbage.onnx";
  std::ofstream(garbage) << "this is not an ONNX model";
  struct Refusal {
    std::string graph;
    std::vector<std::string> bindings;
    std::string says;
  };
  std::string short_stack = Stacked();
  short_stack.resize(short_stack.rfind(','));  // t0..t24
  const std::vector<Refusal> refusals = {
      {garbage, {}, "dense graph"},
      {kData + "/dlrm.onnx", {}, "graph input \"emb\""},
      {kData + "/dlrm.onnx",
       {"--dense-input", "emb=" + short_stack},
       "it must be (B, 25, 16)"},
      {kData + "/dlrm.onnx", {"--dense-input", "emb=table:t0"}, "(B, 16)"},
      {kData + "/dcn.onnx", {"--dense-input", "t3=table:t99"}, "no table"},
      {kData + "/dcn.onnx", {"--dense-input", "bogus=dense"}, "no input"},
  };
  for (const Refusal& refusal : refusals) {
    CommandResult r = Import(data, "m", refusal.graph, refusal.bindings);
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Matchers::Contains(refusal.says));
  }
  // Nothing was stored: the first good import is version 1.
  CommandResult ok = Import(data, "m", kData + "/dcn.onnx", {});
  INFO(ok.err);
  REQUIRE(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::Matchers::Contains("version 1:"));
}

TEST_CASE("strata bench --target --infer drives Infer and counts samples",
          "[e2e][infer][bench]") {
  FixtureServer s({"--enable-diagnostics", "true"});
  CommandResult r =
      RunCommand({kCli,      "bench",         "--target", s.server->target(),
                  "--model", "dlrm",          "--infer",  "--batch",
                  "8",       "--bag-size",    "2",        "--pooling",
                  "sum",     "--concurrency", "2",        "--duration",
                  "0.5",     "--warmup",      "0.1",      "--compare-echo",
                  "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["count"].get<uint64_t>() > 0);
  CHECK(j["errors"].get<uint64_t>() == 0);
  CHECK(j["samples_per_s"].get<double>() == Approx(j["rps"].get<double>() * 8));
  CHECK(j["workload"]["keys_per_request"] == 8 * 2 * 26);
  CHECK(j["echo"]["count"].get<uint64_t>() > 0);

  CommandResult lookup_only =
      RunCommand({kCli, "bench", "--target", s.server->target(), "--model",
                  "lookup_only", "--infer", "--duration", "0.2"});
  CHECK(lookup_only.exit_code != 0);
  CHECK_THAT(lookup_only.err, Catch::Matchers::Contains("no dense network"));
}

}  // namespace strata::testing
