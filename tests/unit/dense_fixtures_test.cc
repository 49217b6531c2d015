// The PyTorch fixtures (tests/data/onnx, written by make.py): every model's
// graph run on the recorded graph inputs matches PyTorch's outputs within
// 1e-5, at every recorded batch size.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/unit/dense_test_util.h"
#include "tests/unit/onnx_builder.h"

namespace strata::testing {
namespace {

void Flatten(const nlohmann::json& j, std::vector<float>* out) {
  if (j.is_array()) {
    for (const nlohmann::json& e : j) Flatten(e, out);
  } else {
    out->push_back(j.get<float>());
  }
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST_CASE("Fixture models match PyTorch within 1e-5", "[dense][fixtures]") {
  const std::filesystem::path dir = STRATA_ONNX_DATA;
  for (const char* model : {"dlrm", "dcn", "deepfm", "mmoe"}) {
    const std::filesystem::path onnx = dir / (std::string(model) + ".onnx");
    if (!std::filesystem::exists(onnx)) {
      WARN("fixture " << onnx << " is missing; skipped");
      continue;
    }
    const std::string bytes = ReadFile(onnx);
    auto net = DenseNetwork::Load(bytes);
    INFO(model);
    REQUIRE(net.ok());
    INFO((*net)->Describe());
    std::unique_ptr<DenseSession> session = (*net)->NewSession();
    for (int batch : {1, 4, 7, 16}) {
      const std::filesystem::path case_path =
          dir / (std::string(model) + "_b" + std::to_string(batch) + ".json");
      if (!std::filesystem::exists(case_path)) continue;
      const nlohmann::json c = nlohmann::json::parse(ReadFile(case_path));
      INFO(case_path);
      REQUIRE(session->Prepare(batch).ok());
      for (size_t i = 0; i < (*net)->inputs().size(); ++i) {
        const std::string& name = (*net)->inputs()[i].name;
        REQUIRE(c["graph_inputs"].contains(name));
        std::vector<float> values;
        Flatten(c["graph_inputs"][name], &values);
        absl::Span<float> in = session->input(i);
        REQUIRE(in.size() == values.size());
        std::copy(values.begin(), values.end(), in.begin());
      }
      REQUIRE(session->Run().ok());
      for (size_t j = 0; j < (*net)->outputs().size(); ++j) {
        const std::string& name = (*net)->outputs()[j].name;
        INFO("output " << name);
        REQUIRE(c["expected"]["outputs"].contains(name));
        std::vector<float> want;
        Flatten(c["expected"]["outputs"][name], &want);
        const DenseSession::Output& o = session->output(j);
        CHECK(o.shape[0] == batch);
        RequireNear(std::vector<float>(o.values.begin(), o.values.end()), want);
      }
    }
  }
}

}  // namespace
}  // namespace strata::testing
