// End to end: model versions loaded, swapped, refused and reopened while a
// real strata-server serves. Every row of version V carries V as its first
// element (and its key as its second), so a reply shows which version
// answered each row.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/strata_client.h"
#include "tests/integration/subprocess.h"
#include "tests/unit/test_util.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;

const std::string kServer = STRATA_SERVER_BIN;
const std::string kCli = STRATA_CLI_BIN;
constexpr uint32_t kDim = 4;
constexpr int64_t kRows = 300;

// A HugeCTR folder whose rows are (version, key, table, 1).
std::string WriteVersion(const std::string& root, uint64_t version,
                         int tables = 2) {
  const std::string dir = root + "/v" + std::to_string(version);
  for (int t = 0; t < tables; ++t) {
    std::vector<int64_t> keys;
    std::vector<float> values;
    for (int64_t k = kRows - 1; k >= 0; --k) {  // not in key order
      keys.push_back(k);
      values.insert(values.end(),
                    {static_cast<float>(version), static_cast<float>(k),
                     static_cast<float>(t), 1.0f});
    }
    WriteHugeCtrTable(dir, "t" + std::to_string(t), keys, values);
  }
  return dir;
}

// Polls GetModel until the latest load of `name` has finished.
v1::LoadStatus WaitLoad(StrataClient& client, const std::string& name) {
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::minutes(2);
  for (;;) {
    auto got = client.GetModel(name);
    INFO(got.status().ToString());
    REQUIRE(got.ok());
    const std::string& state = got->load().state();
    if (state == "serving" || state == "staged" || state == "failed") {
      return got->load();
    }
    REQUIRE(std::chrono::steady_clock::now() < give_up);  // a hang, not speed
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

absl::Status Load(StrataClient& client, const std::string& name,
                  const std::string& dir, uint64_t version = 0,
                  uint32_t dim = 0) {
  v1::LoadModelRequest request;
  request.set_name(name);
  request.set_source_dir(dir);
  request.set_version(version);
  request.set_dim(dim);
  auto queued = client.LoadModel(request);
  if (!queued.ok()) return queued.status();
  v1::LoadStatus done = WaitLoad(client, name);
  if (done.state() == "failed") return absl::InvalidArgumentError(done.error());
  return absl::OkStatus();
}

v1::LookupRequest Request(const std::string& model,
                          const std::vector<int64_t>& keys,
                          uint64_t version = 0) {
  v1::LookupRequest r;
  r.set_model(model);
  r.set_version(version);
  for (const char* table : {"t0", "t1"}) {
    v1::TableKeys* t = r.add_tables();
    t->set_table(table);
    t->mutable_keys()->Add(keys.begin(), keys.end());
  }
  return r;
}

// The version every row of `reply` came from, or -1 when rows disagree or a
// row is not the one its key should have.
int64_t ReplyVersion(const v1::LookupResponse& reply,
                     const std::vector<int64_t>& keys) {
  int64_t version = -1;
  for (int t = 0; t < reply.tables_size(); ++t) {
    for (size_t i = 0; i < keys.size(); ++i) {
      float row[kDim];
      CopyRow(reply.tables(t), i, row);
      if (row[1] != static_cast<float>(keys[i]) || row[2] != t) return -1;
      if (version == -1) version = static_cast<int64_t>(row[0]);
      if (row[0] != static_cast<float>(version)) return -1;
    }
  }
  return version;
}

int64_t ServingVersionOf(StrataClient& client, const std::string& model) {
  const std::vector<int64_t> keys = {0, 7, 299};
  auto reply = client.Lookup(Request(model, keys));
  if (!reply.ok()) return -2;
  return ReplyVersion(*reply, keys);
}

std::set<std::string> SstFiles(const std::string& data_dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(data_dir + "/db")) {
    if (e.path().extension() == ".sst") out.insert(e.path().filename());
  }
  return out;
}

}  // namespace

TEST_CASE("versions swap under lookup load: no failed request, no mixed reply",
          "[e2e][models]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  ServerProcess server(kServer, {"--data-dir", data, "--worker-threads", "2"},
                       dir.path());
  INFO(server.log());
  REQUIRE(server.running());
  StrataClient admin({server.target(), 10000});
  REQUIRE(Load(admin, "m", WriteVersion(dir.path(), 1)).ok());

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> requests{0}, failed{0}, mixed{0};
  std::mutex seen_mu;
  std::set<int64_t> seen;
  std::vector<std::thread> readers;
  // Stops and joins the readers however the test ends (a failed REQUIRE
  // throws past them).
  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop = true;
      for (std::thread& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } joiner{stop, readers};
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      StrataClient client({server.target(), 10000});
      std::mt19937_64 rng(r);
      while (!stop.load()) {
        std::vector<int64_t> keys(40);
        for (int64_t& k : keys) k = static_cast<int64_t>(rng() % kRows);
        auto reply = client.Lookup(Request("m", keys));
        ++requests;
        if (!reply.ok()) {
          ++failed;
          continue;
        }
        const int64_t v = ReplyVersion(*reply, keys);
        if (v < 0) ++mixed;
        std::lock_guard<std::mutex> lock(seen_mu);
        seen.insert(v);
      }
    });
  }
  // New versions, a rollback, and deletes of versions readers may still hold.
  for (uint64_t v = 2; v <= 5; ++v) {
    REQUIRE(Load(admin, "m", WriteVersion(dir.path(), v)).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(admin.ServeVersion("m", 2).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (uint64_t v : {1, 3, 4}) {
    v1::UnloadModelRequest del;
    del.set_name("m");
    del.set_version(v);
    del.set_delete_data(true);
    REQUIRE(admin.UnloadModel(del).ok());
  }
  REQUIRE(admin.ServeVersion("m", 5).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  for (std::thread& t : readers) t.join();

  INFO("requests " << requests.load());
  CHECK(failed.load() == 0);
  CHECK(mixed.load() == 0);
  CHECK(seen.size() >= 2);  // the readers saw swaps happen
  CHECK(ServingVersionOf(admin, "m") == 5);
  auto got = admin.GetModel("m");
  REQUIRE(got.ok());
  CHECK(std::vector<uint64_t>(got->stored_versions().begin(),
                              got->stored_versions().end()) ==
        std::vector<uint64_t>{2, 5});
  // A deleted version is gone for pinned requests too.
  auto pinned = admin.Lookup(Request("m", {1}, 3));
  CHECK(pinned.status().code() == absl::StatusCode::kNotFound);
  CHECK(server.Stop() == 0);
}

TEST_CASE("a refused source leaves the serving version serving",
          "[e2e][models]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  ServerProcess server(kServer, {"--data-dir", data}, dir.path());
  INFO(server.log());
  REQUIRE(server.running());
  StrataClient admin({server.target(), 10000});
  REQUIRE(Load(admin, "m", WriteVersion(dir.path(), 1)).ok());
  const std::string bad = WriteVersion(dir.path() + "/bad", 2);
  const std::string key0 = bad + "/t0.model/key";
  const std::string emb0 = bad + "/t0.model/emb_vector";

  absl::Status refused;
  std::string expect;
  SECTION("sizes disagree") {
    fs::resize_file(emb0, fs::file_size(emb0) - 16);  // not rows x 4 x dim
    expect = "emb_vector";
    refused = Load(admin, "m", bad);
  }
  SECTION("dims differ from the request") {
    refused = Load(admin, "m", bad, 0, /*dim=*/8);
    expect = "dim 8 was expected";
  }
  SECTION("duplicate keys") {
    std::vector<char> keys = ReadFile(key0);
    std::memcpy(&keys[8], &keys[0], 8);  // row 1 gets row 0's key
    WriteFile(key0, keys.data(), keys.size());
    refused = Load(admin, "m", bad);
    expect = "duplicate key";
  }
  SECTION("a truncated key file") {
    fs::resize_file(key0, fs::file_size(key0) - 3);
    refused = Load(admin, "m", bad);
    expect = "not a multiple of 8";
  }
  SECTION("an unreadable file") {
    fs::remove(key0);
    fs::create_directory(key0);  // unreadable as a file, even for root
    refused = Load(admin, "m", bad);
    expect = "key";
  }
  SECTION("a missing folder") {
    refused = Load(admin, "m", dir.path() + "/nowhere");
    expect = "no model folder";
  }
  SECTION("a snapshot whose checksum fails") {
    const std::string other = dir.path() + "/other";
    const std::string snap = dir.path() + "/snap";
    REQUIRE(RunCommand({kCli, "import", "--data-dir", other, "--model", "m",
                        "--from", bad})
                .exit_code == 0);
    REQUIRE(RunCommand({kCli, "export", "--data-dir", other, "--model", "m",
                        "--out", snap})
                .exit_code == 0);
    REQUIRE(Load(admin, "m", snap).ok());  // intact, it loads (version 2)
    std::vector<char> emb = ReadFile(snap + "/t1.model/emb_vector");
    emb[100] ^= 1;
    WriteFile(snap + "/t1.model/emb_vector", emb.data(), emb.size());
    REQUIRE(admin.ServeVersion("m", 1).ok());
    v1::UnloadModelRequest del;
    del.set_name("m");
    del.set_version(2);
    del.set_delete_data(true);
    REQUIRE(admin.UnloadModel(del).ok());
    refused = Load(admin, "m", snap);
    expect = "fails its checksum";
  }
  SECTION("a version that exists") {
    refused = Load(admin, "m", WriteVersion(dir.path() + "/again", 1), 1);
    expect = "already stored";
  }
  INFO(refused.ToString());
  CHECK_FALSE(refused.ok());
  CHECK(refused.message().find(expect) != std::string::npos);
  CHECK(ServingVersionOf(admin, "m") == 1);
  auto got = admin.GetModel("m");
  REQUIRE(got.ok());
  CHECK(got->serving_version() == 1);
  CHECK(got->stored_versions_size() == 1);
  // Nothing of the refused load is left in the data dir.
  std::error_code ec;
  const bool no_scratch = !fs::exists(data + "/import-tmp") ||
                          fs::is_empty(data + "/import-tmp", ec);
  CHECK(no_scratch);
  CHECK(server.Stop() == 0);
}

TEST_CASE("run-time loads survive kill -9 with no import work",
          "[e2e][models]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  const std::string sources = dir.path() + "/sources";
  auto server = std::make_unique<ServerProcess>(
      kServer, std::vector<std::string>{"--data-dir", data}, dir.path());
  INFO(server->log());
  REQUIRE(server->running());
  {
    StrataClient admin({server->target(), 10000});
    REQUIRE(Load(admin, "a", WriteVersion(sources + "/a", 1)).ok());
    REQUIRE(Load(admin, "a", WriteVersion(sources + "/a", 2)).ok());
    REQUIRE(Load(admin, "b", WriteVersion(sources + "/b", 7), 7).ok());
    REQUIRE(Load(admin, "c", WriteVersion(sources + "/c", 1)).ok());
    REQUIRE(admin.ServeVersion("a", 1).ok());  // a rollback that must stick
    v1::UnloadModelRequest unload;
    unload.set_name("c");
    REQUIRE(admin.UnloadModel(unload).ok());

    // An update of b's key 5 (rows carry the version first).
    auto channel = grpc::CreateChannel(server->target(),
                                       grpc::InsecureChannelCredentials());
    auto stub = v1::Admin::NewStub(channel);
    v1::PushUpdatesRequest push;
    v1::UpdateBatch* batch = push.add_batches();
    batch->set_model("b");
    batch->set_table("t1");
    batch->set_dim(kDim);
    batch->add_keys(5);
    const float row[kDim] = {7, 5, 1, 42};
    batch->set_values(
        std::string(reinterpret_cast<const char*>(row), sizeof(row)));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    v1::PushUpdatesResponse pushed;
    REQUIRE(stub->PushUpdates(&context, push, &pushed).ok());
  }
  const std::set<std::string> before = SstFiles(data);
  server->Kill();
  server.reset();
  fs::remove_all(sources);

  ServerProcess again(kServer, {"--data-dir", data}, dir.path());
  INFO(again.log());
  REQUIRE(again.running());
  StrataClient client({again.target(), 10000});
  auto models = client.ListModels();
  REQUIRE(models.ok());
  std::vector<std::pair<std::string, uint64_t>> serving;
  for (const v1::ModelInfo& m : models->models()) {
    serving.emplace_back(m.name(), m.version());
  }
  CHECK(serving ==
        std::vector<std::pair<std::string, uint64_t>>{{"a", 1}, {"b", 7}});
  CHECK(ServingVersionOf(client, "a") == 1);
  auto pinned = client.Lookup(Request("a", {0}, 2));
  CHECK(pinned.status().code() == absl::StatusCode::kNotFound);  // not loaded
  auto updated = client.Lookup(Request("b", {5}));
  REQUIRE(updated.ok());
  float row[kDim];
  CopyRow(updated->tables(1), 0, row);
  CHECK(row[3] == 42.0f);
  CopyRow(updated->tables(0), 0, row);
  CHECK(row[3] == 1.0f);
  auto c = client.GetModel("c");
  REQUIRE(c.ok());
  CHECK(c->serving_version() == 0);
  CHECK(c->stored_versions_size() == 1);
  CHECK(SstFiles(data) == before);
  CHECK(again.Stop() == 0);
}

}  // namespace strata::testing
