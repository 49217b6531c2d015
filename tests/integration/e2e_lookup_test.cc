// End to end: the real strata CLI and strata-server processes, talking gRPC
// over loopback, against a model imported from HugeCTR files.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "client/strata_client.h"
#include "nlohmann/json.hpp"
#include "tests/integration/subprocess.h"
#include "tests/unit/test_util.h"

namespace strata::testing {
namespace {

const std::string kServer = STRATA_SERVER_BIN;
const std::string kCli = STRATA_CLI_BIN;

// A generated 3-table model, imported into a fresh data dir.
struct ImportedModel {
  TempDir dir;
  std::string model_dir = dir.path() + "/model";
  std::string data_dir = dir.path() + "/data";

  ImportedModel() {
    CommandResult gen =
        RunCommand({kCli, "gen-model", "--out", model_dir, "--tables", "3",
                    "--rows", "300", "--dim", "8", "--seed", "7"});
    REQUIRE(gen.exit_code == 0);
    CommandResult imp =
        RunCommand({kCli, "import", "--data-dir", data_dir, "--model", "demo",
                    "--from", model_dir, "--default-value", "0.5"});
    INFO(imp.err);
    REQUIRE(imp.exit_code == 0);
  }

  // The row the emb_vector file holds for `key` (found through the key file).
  std::vector<float> FileRow(const std::string& table, int64_t key) const {
    std::vector<char> keys = ReadFile(model_dir + "/" + table + ".model/key");
    std::vector<char> emb =
        ReadFile(model_dir + "/" + table + ".model/emb_vector");
    const size_t n = keys.size() / 8, dim = emb.size() / (4 * n);
    for (size_t i = 0; i < n; ++i) {
      int64_t k;
      std::memcpy(&k, &keys[i * 8], 8);
      if (k != key) continue;
      std::vector<float> row(dim);
      std::memcpy(row.data(), &emb[i * dim * 4], dim * 4);
      return row;
    }
    FAIL("key not in file");
    return {};
  }
};

v1::LookupRequest Request(
    const std::string& model,
    const std::vector<std::pair<std::string, std::vector<int64_t>>>& tables) {
  v1::LookupRequest r;
  r.set_model(model);
  for (const auto& [name, keys] : tables) {
    v1::TableKeys* t = r.add_tables();
    t->set_table(name);
    t->mutable_keys()->Add(keys.begin(), keys.end());
  }
  return r;
}

}  // namespace

TEST_CASE("strata lookup returns the imported floats and flagged defaults",
          "[e2e]") {
  ImportedModel m;
  ServerProcess server(kServer, {"--data-dir", m.data_dir}, m.dir.path());
  INFO(server.log());
  REQUIRE(server.running());

  CommandResult r = RunCommand({kCli, "lookup", "--target", server.target(),
                                "--model", "demo", "--table", "t2", "--keys",
                                "299,0,1000,17,-3,17", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["model"] == "demo");
  CHECK(j["table"] == "t2");
  CHECK(j["dim"] == 8);
  const std::vector<int64_t> keys = {299, 0, 1000, 17, -3, 17};
  REQUIRE(j["rows"].size() == keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    std::vector<float> got;
    for (const auto& v : j["rows"][i]) got.push_back(v.get<float>());
    const bool absent = keys[i] == 1000 || keys[i] == -3;
    CHECK(j["defaults"][i].get<bool>() == absent);
    if (absent) {
      CHECK(got == std::vector<float>(8, 0.5f));
    } else {
      CHECK(got == m.FileRow("t2", keys[i]));
    }
  }

  // A restart reopens the data dir: same answers, no import.
  REQUIRE(server.Stop() == 0);
  ServerProcess again(kServer, {"--data-dir", m.data_dir}, m.dir.path());
  REQUIRE(again.running());
  StrataClient client({again.target(), 5000});
  auto reply = client.Lookup(Request("demo", {{"t0", {5}}}));
  REQUIRE(reply.ok());
  std::vector<float> row(8);
  CopyRow(reply->tables(0), 0, row.data());
  CHECK(row == m.FileRow("t0", 5));
  CHECK(again.Stop() == 0);
}

TEST_CASE("bad lookups get the right status codes", "[e2e]") {
  ImportedModel m;
  ServerProcess server(
      kServer, {"--data-dir", m.data_dir, "--max-keys-per-request", "10"},
      m.dir.path());
  REQUIRE(server.running());
  StrataClient client({server.target(), 5000});

  auto unknown_model = client.Lookup(Request("nope", {{"t0", {1}}}));
  CHECK(unknown_model.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(unknown_model.status().message()),
             Catch::Contains("nope"));

  auto unknown_table = client.Lookup(Request("demo", {{"t9", {1}}}));
  CHECK(unknown_table.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(unknown_table.status().message()),
             Catch::Contains("t9"));

  auto wrong_version = client.Lookup([] {
    v1::LookupRequest r = Request("demo", {{"t0", {1}}});
    r.set_version(42);
    return r;
  }());
  CHECK(wrong_version.status().code() == absl::StatusCode::kNotFound);

  auto no_tables = client.Lookup(Request("demo", {}));
  CHECK(no_tables.status().code() == absl::StatusCode::kInvalidArgument);

  auto twice = client.Lookup(Request("demo", {{"t0", {1}}, {"t0", {2}}}));
  CHECK(twice.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(twice.status().message()), Catch::Contains("twice"));

  auto too_many = client.Lookup(
      Request("demo", {{"t0", {1, 2, 3, 4, 5, 6}}, {"t1", {1, 2, 3, 4, 5}}}));
  CHECK(too_many.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(too_many.status().message()),
             Catch::Contains("max_keys_per_request) is 10"));

  auto empty = client.Lookup(Request("demo", {{"t0", {}}, {"t1", {3}}}));
  REQUIRE(empty.ok());
  CHECK(empty->tables(0).values().empty());
  CHECK(empty->tables(0).is_default_size() == 0);
  CHECK(empty->tables(1).is_default_size() == 1);

  // The server is still healthy after all of that.
  auto models = client.ListModels();
  REQUIRE(models.ok());
  REQUIRE(models->models_size() == 1);
  CHECK(models->models(0).tables_size() == 3);
  CHECK(server.Stop() == 0);
}

TEST_CASE("rows travel as FLOAT16 or BFLOAT16 when asked, within bounds",
          "[e2e]") {
  ImportedModel m;
  ServerProcess server(kServer, {"--data-dir", m.data_dir}, m.dir.path());
  REQUIRE(server.running());
  StrataClient client({server.target(), 5000});
  const std::vector<int64_t> keys = {0, 17, 299, 1000};
  for (const auto& [dtype, bound] :
       {std::pair{v1::FLOAT16, -11}, std::pair{v1::BFLOAT16, -8}}) {
    INFO("dtype " << v1::ValueDtype_Name(dtype));
    v1::LookupRequest request = Request("demo", {{"t1", keys}});
    request.set_value_dtype(dtype);
    auto reply = client.Lookup(request);
    REQUIRE(reply.ok());
    const v1::TableRows& rows = reply->tables(0);
    CHECK(rows.value_dtype() == dtype);
    REQUIRE(rows.values().size() == keys.size() * 8 * 2);  // 2 bytes a value
    for (size_t i = 0; i < keys.size(); ++i) {
      std::vector<float> row(8);
      CopyRow(rows, i, row.data());
      const std::vector<float> exact = keys[i] == 1000
                                           ? std::vector<float>(8, 0.5f)
                                           : m.FileRow("t1", keys[i]);
      CHECK(rows.is_default(i) == (keys[i] == 1000));
      for (size_t d = 0; d < 8; ++d) {
        REQUIRE(std::fabs(row[d] - exact[d]) <=
                std::ldexp(std::fabs(exact[d]), bound) + 1e-7f);
      }
    }
  }
  // The next FLOAT32 reply (a recycled message) is exact again.
  auto full = client.Lookup(Request("demo", {{"t1", keys}}));
  REQUIRE(full.ok());
  CHECK(full->tables(0).value_dtype() == v1::FLOAT32);
  std::vector<float> row(8);
  CopyRow(full->tables(0), 1, row.data());
  CHECK(row == m.FileRow("t1", 17));
  // An unknown dtype is the caller's error.
  v1::LookupRequest bad = Request("demo", {{"t1", keys}});
  bad.set_value_dtype(static_cast<v1::ValueDtype>(7));
  auto refused = client.Lookup(bad);
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("value_dtype"));
  // The CLI takes --dtype.
  CommandResult cli = RunCommand({kCli, "lookup", "--target", server.target(),
                                  "--model", "demo", "--table", "t1", "--keys",
                                  "17", "--dtype", "bfloat16", "--json"});
  REQUIRE(cli.exit_code == 0);
  CHECK(server.Stop() == 0);
}

TEST_CASE("pooled multi-hot lookups sum or average each bag", "[e2e]") {
  ImportedModel m;
  ServerProcess server(kServer, {"--data-dir", m.data_dir}, m.dir.path());
  REQUIRE(server.running());
  StrataClient client({server.target(), 5000});
  // Bags: {3, 5, 5}, {} (empty), {1000 (absent), 7}, {299}.
  const std::vector<int64_t> keys = {3, 5, 5, 1000, 7, 299};
  const std::vector<int64_t> offsets = {0, 3, 3, 5, 6};
  for (v1::Pooling pooling : {v1::SUM, v1::MEAN}) {
    INFO("pooling " << v1::Pooling_Name(pooling));
    v1::LookupRequest request = Request("demo", {{"t2", keys}, {"t0", {4}}});
    v1::TableKeys* t = request.mutable_tables(0);
    t->mutable_offsets()->Add(offsets.begin(), offsets.end());
    t->set_pooling(pooling);
    auto reply = client.Lookup(request);
    REQUIRE(reply.ok());
    const v1::TableRows& rows = reply->tables(0);
    REQUIRE(rows.values().size() == 4 * 8 * sizeof(float));
    CHECK(rows.is_default_size() == 0);
    REQUIRE(rows.default_counts_size() == 4);
    CHECK(std::vector<uint32_t>(rows.default_counts().begin(),
                                rows.default_counts().end()) ==
          std::vector<uint32_t>{0, 0, 1, 0});
    for (int b = 0; b < 4; ++b) {
      std::vector<float> expected(8, 0.0f);
      for (int64_t k = offsets[b]; k < offsets[b + 1]; ++k) {
        const std::vector<float> row = keys[k] == 1000
                                           ? std::vector<float>(8, 0.5f)
                                           : m.FileRow("t2", keys[k]);
        for (int d = 0; d < 8; ++d) expected[d] += row[d];
      }
      const int64_t size = offsets[b + 1] - offsets[b];
      if (pooling == v1::MEAN && size > 0) {
        for (float& v : expected) v *= 1.0f / size;
      }
      std::vector<float> got(8);
      CopyRow(rows, b, got.data());
      for (int d = 0; d < 8; ++d) {
        REQUIRE(got[d] == Approx(expected[d]).margin(1e-6));
      }
    }
    // The unpooled table of the same request is one row per key.
    CHECK(reply->tables(1).is_default_size() == 1);
    CHECK(reply->tables(1).default_counts_size() == 0);
  }
  // Pooled and narrowed: one FLOAT16 row per bag.
  v1::LookupRequest narrow = Request("demo", {{"t2", keys}});
  narrow.mutable_tables(0)->mutable_offsets()->Add(offsets.begin(),
                                                   offsets.end());
  narrow.mutable_tables(0)->set_pooling(v1::SUM);
  narrow.set_value_dtype(v1::FLOAT16);
  auto narrowed = client.Lookup(narrow);
  REQUIRE(narrowed.ok());
  CHECK(narrowed->tables(0).values().size() == 4 * 8 * 2);

  // Every malformed bag is INVALID_ARGUMENT naming the table.
  const auto bad = [&](std::vector<int64_t> bag_offsets, v1::Pooling pooling) {
    v1::LookupRequest r = Request("demo", {{"t2", keys}});
    r.mutable_tables(0)->mutable_offsets()->Add(bag_offsets.begin(),
                                                bag_offsets.end());
    r.mutable_tables(0)->set_pooling(pooling);
    auto reply = client.Lookup(r);
    CHECK(reply.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(reply.status().message()), Catch::Contains("t2"));
    return std::string(reply.status().message());
  };
  CHECK_THAT(bad({1, 3, 6}, v1::SUM), Catch::Contains("start at 0"));
  CHECK_THAT(bad({0, 4, 3, 6}, v1::SUM), Catch::Contains("not decrease"));
  CHECK_THAT(bad({0, 3, 5}, v1::SUM), Catch::Contains("end at the key count"));
  CHECK_THAT(bad({0, 3, 7}, v1::MEAN), Catch::Contains("end at the key count"));
  CHECK_THAT(bad({0, 6}, v1::NONE), Catch::Contains("need pooling"));
  CHECK_THAT(bad({}, v1::SUM), Catch::Contains("pooling needs offsets"));
  CHECK_THAT(bad({0, 6}, static_cast<v1::Pooling>(9)),
             Catch::Contains("unknown pooling"));
  CHECK(server.Stop() == 0);
}

TEST_CASE(
    "replies of different shapes one after another are exact "
    "(recycled reply buffers)",
    "[e2e]") {
  ImportedModel m;
  ServerProcess server(kServer, {"--data-dir", m.data_dir}, m.dir.path());
  REQUIRE(server.running());
  StrataClient client({server.target(), 5000});
  for (int round = 0; round < 20; ++round) {
    // Three tables with absent keys, then one smaller table without any.
    auto wide = client.Lookup(
        Request("demo", {{"t0", {1, 999, 2}}, {"t1", {5000, 3}}, {"t2", {4}}}));
    REQUIRE(wide.ok());
    REQUIRE(wide->tables_size() == 3);
    CHECK(wide->tables(0).is_default(1));
    CHECK(wide->tables(1).is_default(0));
    auto narrow = client.Lookup(Request("demo", {{"t1", {7, 8}}}));
    REQUIRE(narrow.ok());
    REQUIRE(narrow->tables_size() == 1);
    const v1::TableRows& rows = narrow->tables(0);
    CHECK(rows.table() == "t1");
    CHECK(rows.values().size() == 2 * 8 * sizeof(float));
    REQUIRE(rows.is_default_size() == 2);
    CHECK_FALSE(rows.is_default(0));
    CHECK_FALSE(rows.is_default(1));
    std::vector<float> row(8);
    CopyRow(rows, 1, row.data());
    CHECK(row == m.FileRow("t1", 8));
  }
  CHECK(server.Stop() == 0);
}

TEST_CASE("strata bench --target reports ghz fields and the echo baseline",
          "[e2e][bench]") {
  ImportedModel m;
  ServerProcess server(
      kServer, {"--data-dir", m.data_dir, "--enable-diagnostics", "true"},
      m.dir.path());
  REQUIRE(server.running());
  CommandResult r =
      RunCommand({kCli, "bench", "--target", server.target(), "--model", "demo",
                  "--batch", "4", "--concurrency", "2", "--duration", "0.5",
                  "--warmup", "0.1", "--compare-echo", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["count"].get<uint64_t>() > 0);
  CHECK(j["errors"].get<uint64_t>() == 0);
  CHECK(j["keys_per_s"].get<double>() > 0);
  CHECK(j["statusCodeDistribution"]["OK"].get<uint64_t>() ==
        j["count"].get<uint64_t>());
  CHECK(j["latencyDistribution"].size() == 8);
  CHECK(j["workload"]["keys_per_request"] == 4 * 3);
  CHECK(j["echo"]["count"].get<uint64_t>() > 0);
  CHECK(j["tier_hit_rates"].contains("hash_map"));

  CommandResult missing =
      RunCommand({kCli, "bench", "--target", server.target(), "--model", "nope",
                  "--duration", "0.2"});
  CHECK(missing.exit_code != 0);
  CHECK_THAT(missing.err, Catch::Contains("nope"));
  CHECK(server.Stop() == 0);
}

TEST_CASE("strata bench --in-process --json prints only JSON on stdout",
          "[e2e]") {
  CommandResult r =
      RunCommand({kCli, "bench", "--in-process", "--rows", "3000", "--dim", "8",
                  "--batch", "256", "--duration", "0.2", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j["keys_per_s"].get<double>() > 0);
  CHECK(j["batcher_keys_per_s"].get<double>() > 0);
  CHECK(j["chain_parts_keys_per_s"].get<double>() > 0);
  CHECK(j["hit_rate"].get<double>() == 1.0);
}

TEST_CASE("a data dir in use by a running server is refused at start",
          "[e2e]") {
  ImportedModel m;
  ServerProcess first(kServer, {"--data-dir", m.data_dir}, m.dir.path());
  REQUIRE(first.running());
  TempDir other;
  ServerProcess second(kServer, {"--data-dir", m.data_dir}, other.path());
  CHECK_FALSE(second.running());
  CHECK(second.WaitExit() != 0);
  CHECK_THAT(second.log(), Catch::Contains("locked by another process"));

  CommandResult imp = RunCommand({kCli, "import", "--data-dir", m.data_dir,
                                  "--model", "x", "--from", m.model_dir});
  CHECK(imp.exit_code != 0);
  CHECK_THAT(imp.err, Catch::Contains("locked by another process"));
  CHECK(first.Stop() == 0);
}

TEST_CASE("a bad import exits non-zero and imports nothing", "[e2e]") {
  TempDir dir;
  WriteHugeCtrTable(dir.path() + "/src", "a", {1, 2, 1}, {1, 2, 3});
  CommandResult imp =
      RunCommand({kCli, "import", "--data-dir", dir.path() + "/data", "--model",
                  "bad", "--from", dir.path() + "/src"});
  CHECK(imp.exit_code != 0);
  CHECK_THAT(imp.err, Catch::Contains("duplicate key 1"));
  ServerProcess server(kServer, {"--data-dir", dir.path() + "/data"},
                       dir.path());
  REQUIRE(server.running());
  StrataClient client({server.target(), 5000});
  auto models = client.ListModels();
  REQUIRE(models.ok());
  CHECK(models->models_size() == 0);
}

TEST_CASE("bad server flags and config fail fast with a message", "[e2e]") {
  TempDir dir;
  CommandResult help = RunCommand({kServer, "--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("--data-dir"));
  CommandResult bad_level = RunCommand({kServer, "--log-level", "loud"});
  CHECK(bad_level.exit_code != 0);
  CHECK_THAT(bad_level.err, Catch::Contains("log_level"));
  WriteFile(dir.path() + "/c.json", "{\"no_such_key\": 1}", 18);
  CommandResult bad_config =
      RunCommand({kServer, "--config", dir.path() + "/c.json"});
  CHECK(bad_config.exit_code != 0);
  CHECK_THAT(bad_config.err, Catch::Contains("no_such_key"));
}

}  // namespace strata::testing
