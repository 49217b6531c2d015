// InferStage and DenseModel against the PyTorch fixtures (tests/data/onnx):
// jobs of several sizes coalesced into runs of at most max_batch samples
// must get the same outputs as PyTorch computed for each alone; bindings
// that do not fit are refused naming the input.
#include "engine/batch/infer_stage.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "engine/model/dense_binding.h"
#include "engine/model/dense_model.h"
#include "nlohmann/json.hpp"
#include "tests/unit/test_util.h"

namespace strata::testing {
namespace {

const std::string kData = STRATA_ONNX_DATA;
constexpr uint32_t kDim = 16;

std::string ReadText(const std::string& path) {
  std::vector<char> bytes = ReadFile(path);
  return std::string(bytes.begin(), bytes.end());
}

std::vector<TableSpec> FixtureTables() {
  std::vector<TableSpec> tables;
  for (int i = 0; i < 26; ++i) {
    TableSpec t;
    t.name = "t" + std::to_string(i);
    t.dim = kDim;
    tables.push_back(t);
  }
  return tables;
}

// key -> row of one fixture table (a missing key reads zeros).
std::map<int64_t, std::vector<float>> ReadTable(const std::string& name) {
  const std::string dir = kData + "/tables/" + name + ".model/";
  std::vector<char> keys = ReadFile(dir + "key");
  std::vector<char> emb = ReadFile(dir + "emb_vector");
  std::map<int64_t, std::vector<float>> rows;
  for (size_t i = 0; i < keys.size() / 8; ++i) {
    int64_t k;
    std::memcpy(&k, &keys[i * 8], 8);
    std::vector<float> row(kDim);
    std::memcpy(row.data(), &emb[i * kDim * 4], kDim * 4);
    rows[k] = row;
  }
  return rows;
}

// One fixture case as an InferJob whose rows the test "looked up" itself.
class CaseJob final : public InferJob {
 public:
  CaseJob(const DenseModel& model, const nlohmann::json& c)
      : model_(model), case_(c) {
    for (const auto& row : c["dense"]) {
      for (const auto& v : row) dense_.push_back(v.get<float>());
    }
    for (const std::string& name : model.tables()) {
      const auto table = ReadTable(name);
      std::vector<int64_t> keys, offsets;
      const nlohmann::json& entry = c["keys"][name];
      const bool bags = entry.front().is_array();
      if (bags) offsets.push_back(0);
      for (const auto& e : entry) {
        for (const auto& k : bags ? e : nlohmann::json::array({e})) {
          keys.push_back(k.get<int64_t>());
        }
        if (bags) offsets.push_back(static_cast<int64_t>(keys.size()));
      }
      std::vector<float> rows(keys.size() * kDim, 0.0f);
      for (size_t i = 0; i < keys.size(); ++i) {
        auto it = table.find(keys[i]);
        if (it != table.end()) {
          std::copy(it->second.begin(), it->second.end(), &rows[i * kDim]);
        }
      }
      keys_.push_back(std::move(keys));
      offsets_.push_back(std::move(offsets));
      rows_.push_back(std::move(rows));
      pooling_.push_back(c["pooling"].value(name, "SUM") == "MEAN"
                             ? BagPooling::kMean
                             : BagPooling::kSum);
    }
    for (size_t i = 0; i < keys_.size(); ++i) {
      TableLookup t;
      t.keys = keys_[i];
      t.values = absl::MakeSpan(rows_[i]);
      tables_.push_back(t);
    }
  }

  std::vector<TableLookup>& tables() override { return tables_; }
  std::chrono::system_clock::time_point deadline() const override {
    return std::chrono::system_clock::time_point::max();
  }
  void Finish(absl::Status status) override {
    status_ = status;
    finished_ = true;
  }
  const DenseModel& dense_model() const override { return model_; }
  int64_t samples() const override { return case_["batch"].get<int64_t>(); }
  absl::Span<const float> dense_features() const override { return dense_; }
  Bags bags(size_t table) const override {
    return Bags{offsets_[table], pooling_[table]};
  }
  void TakeOutputs(const DenseSession& session, int64_t first) override {
    const auto& names = model_.spec().outputs;
    for (size_t j = 0; j < names.size(); ++j) {
      const DenseSession::Output& out = session.output(j);
      const int64_t width = out.values.size() / out.shape[0];
      outputs_[names[j]].assign(
          out.values.begin() + first * width,
          out.values.begin() + (first + samples()) * width);
    }
  }

  // Every output within 1e-5 of PyTorch's.
  void Check() const {
    REQUIRE(finished_);
    INFO(status_.message());
    REQUIRE(status_.ok());
    for (const auto& [name, rows] : case_["expected"]["outputs"].items()) {
      INFO("output " << name);
      const std::vector<float>& got = outputs_.at(name);
      REQUIRE(got.size() == rows.size() * rows[0].size());
      size_t k = 0;
      for (const auto& row : rows) {
        for (const auto& v : row) {
          CHECK(std::abs(got[k++] - v.get<double>()) <= 1e-5);
        }
      }
    }
  }

 private:
  const DenseModel& model_;
  const nlohmann::json case_;
  std::vector<float> dense_;
  std::vector<std::vector<int64_t>> keys_, offsets_;
  std::vector<std::vector<float>> rows_;
  std::vector<BagPooling> pooling_;
  std::vector<TableLookup> tables_;
  std::map<std::string, std::vector<float>> outputs_;
  absl::Status status_;
  bool finished_ = false;
};

std::unique_ptr<DenseModel> LoadFixture(const std::string& model,
                                        const std::vector<std::string>& bind,
                                        int64_t max_batch) {
  const std::string graph = ReadText(kData + "/" + model + ".onnx");
  absl::StatusOr<DenseSpec> spec = BindDenseGraph(graph, FixtureTables(), bind);
  INFO(spec.status().message());
  REQUIRE(spec.ok());
  auto network = DenseNetwork::Load(graph);
  REQUIRE(network.ok());
  auto dense =
      DenseModel::Make(std::move(*network), *spec, FixtureTables(), max_batch);
  REQUIRE(dense.ok());
  return std::move(*dense);
}

std::string Stacked(int n = 26) {
  std::string s = "tables:";
  for (int i = 0; i < n; ++i) s += (i ? ",t" : "t") + std::to_string(i);
  return s;
}

nlohmann::json Case(const std::string& model, int batch) {
  std::ifstream file(kData + "/" + model + "_b" + std::to_string(batch) +
                     ".json");
  REQUIRE(file.good());
  return nlohmann::json::parse(file);
}

}  // namespace

TEST_CASE("InferStage coalesces jobs into runs of at most max_batch samples",
          "[infer]") {
  for (const auto& [model, bind] :
       std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"dlrm", {"emb=" + Stacked()}},
           {"dcn", {}},
           {"mmoe", {"dense_x=dense", "sparse=" + Stacked()}}}) {
    INFO(model);
    std::unique_ptr<DenseModel> dense = LoadFixture(model, bind, 12);
    // 1 + 4 + 7 = 12 fill one run; 4 + 7 the next; 16 runs alone (a job
    // larger than max_batch is the handler's to refuse; here it fails).
    std::vector<std::unique_ptr<CaseJob>> jobs;
    for (int b : {1, 4, 7, 4, 7}) {
      jobs.push_back(std::make_unique<CaseJob>(*dense, Case(model, b)));
    }
    std::vector<InferJob*> raw;
    for (auto& j : jobs) raw.push_back(j.get());
    InferStage stage;
    stage.Run(raw);
    for (auto& j : jobs) j->Check();
    // Again, reusing the sessions the first run planned.
    stage.Run(raw);
    for (auto& j : jobs) j->Check();
  }
}

TEST_CASE("jobs of different models in one batch each run their own network",
          "[infer]") {
  std::unique_ptr<DenseModel> dcn = LoadFixture("dcn", {}, 64);
  std::unique_ptr<DenseModel> deepfm = LoadFixture("deepfm", {}, 64);
  CaseJob a(*dcn, Case("dcn", 7)), b(*deepfm, Case("deepfm", 4)),
      c(*dcn, Case("dcn", 16)), d(*deepfm, Case("deepfm", 1));
  InferStage stage;
  stage.Run({&a, &b, &c, &d});
  a.Check();
  b.Check();
  c.Check();
  d.Check();
}

TEST_CASE("bindings that do not fit the graph are refused naming the input",
          "[infer]") {
  const std::string dlrm = ReadText(kData + "/dlrm.onnx");
  auto refused = [&](const std::string& graph,
                     const std::vector<std::string>& bind) {
    absl::StatusOr<DenseSpec> s = BindDenseGraph(graph, FixtureTables(), bind);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == absl::StatusCode::kInvalidArgument);
    return std::string(s.status().message());
  };
  CHECK_THAT(refused(dlrm, {}), Catch::Matchers::Contains("\"emb\""));
  CHECK_THAT(refused(dlrm, {"emb=" + Stacked(25)}),
             Catch::Matchers::Contains("(B, 25, 16)"));
  CHECK_THAT(refused(dlrm, {"emb=" + Stacked(), "emb=dense"}),
             Catch::Matchers::Contains("bound twice"));
  CHECK_THAT(refused(dlrm, {"emb=" + Stacked(), "dense=table:t0"}),
             Catch::Matchers::Contains("(B, 16)"));
  CHECK_THAT(refused(dlrm, {"emb=tables:t0,nope"}),
             Catch::Matchers::Contains("no table \"nope\""));
  CHECK_THAT(refused(dlrm, {"emb"}), Catch::Matchers::Contains("NAME=dense"));
  CHECK_THAT(refused(dlrm, {"emb=rows:t0"}),
             Catch::Matchers::Contains("is not dense"));
  CHECK_THAT(refused("not onnx", {}), Catch::Matchers::Contains("dense graph"));

  absl::StatusOr<DenseSpec> ok =
      BindDenseGraph(dlrm, FixtureTables(), {"emb=" + Stacked()});
  REQUIRE(ok.ok());
  CHECK(ok->dense_features == 13);
  REQUIRE(ok->bindings.size() == 2);
  CHECK(ok->bindings[0].ToString() == "dense");
  CHECK(ok->bindings[1].ToString() == Stacked());
  CHECK(ok->outputs == std::vector<std::string>{"logit", "prob"});
}

TEST_CASE("a manifest's dense spec survives its JSON round trip", "[infer]") {
  ModelManifest m;
  m.name = "dlrm";
  m.version = 3;
  DenseSpec d;
  d.graph_id = "dlrm@3/dense";
  d.graph_bytes = 1234;
  d.dense_features = 13;
  d.bindings = {{"dense", DenseBinding::Kind::kDense, {}},
                {"emb", DenseBinding::Kind::kTables, {"t0", "t1"}},
                {"t5", DenseBinding::Kind::kTable, {"t5"}}};
  d.outputs = {"logit", "prob"};
  m.dense = d;
  absl::StatusOr<ModelManifest> back = ModelManifest::FromJson(m.ToJson());
  REQUIRE(back.ok());
  REQUIRE(back->dense.has_value());
  CHECK(back->dense->graph_id == "dlrm@3/dense");
  CHECK(back->dense->graph_bytes == 1234);
  CHECK(back->dense->dense_features == 13);
  REQUIRE(back->dense->bindings.size() == 3);
  CHECK(back->dense->bindings[1].ToString() == "tables:t0,t1");
  CHECK(back->dense->bindings[2].ToString() == "table:t5");
  CHECK(back->dense->outputs == d.outputs);
  ModelManifest plain;
  plain.name = "x";
  CHECK_FALSE(ModelManifest::FromJson(plain.ToJson())->dense.has_value());
}

}  // namespace strata::testing
