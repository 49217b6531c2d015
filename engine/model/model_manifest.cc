#include "engine/model/model_manifest.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace strata {
namespace {

const char* KindName(DenseBinding::Kind kind) {
  switch (kind) {
    case DenseBinding::Kind::kDense:
      return "dense";
    case DenseBinding::Kind::kTable:
      return "table";
    case DenseBinding::Kind::kTables:
      return "tables";
  }
  return "?";
}

nlohmann::json DenseToJson(const DenseSpec& d) {
  nlohmann::json bindings = nlohmann::json::array();
  for (const DenseBinding& b : d.bindings) {
    bindings.push_back(
        {{"input", b.input}, {"kind", KindName(b.kind)}, {"tables", b.tables}});
  }
  return {{"graph_id", d.graph_id},
          {"graph_bytes", d.graph_bytes},
          {"dense_features", d.dense_features},
          {"bindings", bindings},
          {"outputs", d.outputs}};
}

DenseSpec DenseFromJson(const nlohmann::json& j) {  // throws json::exception
  DenseSpec d;
  d.graph_id = j.at("graph_id").get<std::string>();
  d.graph_bytes = j.at("graph_bytes").get<uint64_t>();
  d.dense_features = j.at("dense_features").get<uint32_t>();
  for (const auto& b : j.at("bindings")) {
    DenseBinding binding;
    binding.input = b.at("input").get<std::string>();
    const std::string kind = b.at("kind").get<std::string>();
    if (kind == "dense") {
      binding.kind = DenseBinding::Kind::kDense;
    } else if (kind == "table") {
      binding.kind = DenseBinding::Kind::kTable;
    } else if (kind == "tables") {
      binding.kind = DenseBinding::Kind::kTables;
    } else {
      throw nlohmann::json::other_error::create(
          501, "unknown dense binding kind " + kind, &b);
    }
    binding.tables = b.at("tables").get<std::vector<std::string>>();
    d.bindings.push_back(std::move(binding));
  }
  d.outputs = j.at("outputs").get<std::vector<std::string>>();
  return d;
}

}  // namespace

std::string DenseBinding::ToString() const {
  if (kind == Kind::kDense) return "dense";
  return absl::StrCat(KindName(kind), ":", absl::StrJoin(tables, ","));
}

const TableSpec* ModelManifest::FindTable(const std::string& table) const {
  for (const TableSpec& t : tables) {
    if (t.name == table) return &t;
  }
  return nullptr;
}

std::string ModelManifest::ToJson() const {
  nlohmann::json j;
  j["name"] = name;
  j["version"] = version;
  j["created_unix_s"] = created_unix_s;
  if (!update_offsets.empty()) j["update_offsets"] = update_offsets;
  j["tables"] = nlohmann::json::array();
  for (const TableSpec& t : tables) {
    j["tables"].push_back({{"name", t.name},
                           {"dim", t.dim},
                           {"rows", t.rows},
                           {"default_value", t.default_value},
                           {"column_family", t.column_family}});
    if (!t.default_row.empty())
      j["tables"].back()["default_row"] = t.default_row;
  }
  if (dense.has_value()) j["dense"] = DenseToJson(*dense);
  return j.dump();
}

absl::StatusOr<ModelManifest> ModelManifest::FromJson(const std::string& json) {
  nlohmann::json j =
      nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError("model manifest is not a JSON object");
  }
  try {
    ModelManifest m;
    m.name = j.at("name").get<std::string>();
    m.version = j.at("version").get<uint64_t>();
    m.created_unix_s = j.value("created_unix_s", int64_t{0});
    if (j.contains("update_offsets")) {
      m.update_offsets =
          j.at("update_offsets").get<std::map<std::string, int64_t>>();
    }
    for (const auto& t : j.at("tables")) {
      TableSpec s;
      s.name = t.at("name").get<std::string>();
      s.dim = t.at("dim").get<uint32_t>();
      s.rows = t.at("rows").get<uint64_t>();
      s.default_value = t.value("default_value", 0.0f);
      s.column_family = t.at("column_family").get<std::string>();
      s.default_row = t.value("default_row", std::string());
      m.tables.push_back(std::move(s));
    }
    if (j.contains("dense")) m.dense = DenseFromJson(j.at("dense"));
    return m;
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat("bad model manifest: ", e.what()));
  }
}

absl::Status ValidateName(const std::string& what, const std::string& name) {
  if (name.empty() || name.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " name must be 1-128 characters, got \"", name, "\""));
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " name \"", name, "\" may hold only [A-Za-z0-9_.-]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace strata
