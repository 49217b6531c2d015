#include "engine/builder/hps_config.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/builder/hps_config_parse.h"
#include "engine/common/status_macros.h"
#include "engine/model/model_manifest.h"

namespace strata {
namespace {

using hps_internal::AsBool;
using hps_internal::AsCount;
using hps_internal::AsList;
using hps_internal::AsNumber;
using hps_internal::AsString;
using hps_internal::Invalid;
using hps_internal::IsOneOf;
using nlohmann::json;

constexpr int64_t kMaxInferBatch = 1 << 20;  // RegistryOptions::Validate

// Walks a parsed ps.json once, filling `out_`.
class Converter {
 public:
  absl::StatusOr<HpsConversion> Run(const json& root);

 private:
  [[nodiscard]] absl::Status Model(const json& m, size_t index);
  // A server-wide option set from one model: the first value wins.
  void ServerWide(const std::string& key, const json& value,
                  const std::string& where);
  void Warn(std::string text) { out_.Warn(std::move(text)); }

  hps_internal::HpsOutput out_;
  bool kafka_ = false;
  std::set<std::string> model_names_;
  std::vector<uint64_t> devices_;  // union, first-seen order
  uint64_t max_batch_ = 0;
};

absl::Status Converter::Model(const json& m, size_t index) {
  STRATA_ASSIGN_OR_RETURN(HpsModel model,
                          hps_internal::ReadModelTables(m, index));
  const std::string where =
      absl::StrCat("models[", index, "] \"", model.name, "\"");
  if (!model_names_.insert(model.name).second) {
    return Invalid(where + ": model name already used by an earlier model");
  }
  std::optional<bool> gpucache;
  std::optional<double> gpucacheper;
  for (const auto& [key, value] : m.items()) {
    const std::string field = where + ": " + key;  // in errors
    if (IsOneOf(key,
                {"model", "sparse_files", "embedding_vecsize_per_table",
                 "embedding_table_names", "default_value_for_each_table"})) {
      continue;  // read by ReadModelTables
    } else if (key == "dense_file" || key == "network_file") {
      STRATA_ASSIGN_OR_RETURN(std::string file, AsString(value, field));
      if (!file.empty()) {
        Warn("models[]." + key +
             ": not honoured; it belongs to HugeCTR's own dense model; "
             "Strata's Infer runs an ONNX graph given with strata import "
             "--dense");
      }
    } else if (key == "hit_rate_threshold") {
      STRATA_ASSIGN_OR_RETURN(double threshold, AsNumber(value, field));
      if (threshold < 0) {
        Warn(field + " is negative; Strata's default kept");
      } else {
        ServerWide("hit_rate_threshold", threshold, where);
      }
    } else if (key == "gpucache") {
      STRATA_ASSIGN_OR_RETURN(gpucache, AsBool(value, field));
    } else if (key == "gpucacheper") {
      STRATA_ASSIGN_OR_RETURN(gpucacheper, AsNumber(value, field));
    } else if (key == "max_batch_size") {
      STRATA_ASSIGN_OR_RETURN(uint64_t batch, AsCount(value, field));
      max_batch_ = std::max(max_batch_, batch);
    } else if (key == "deployed_device_list") {
      STRATA_ASSIGN_OR_RETURN(
          std::vector<uint64_t> devices,
          AsList<uint64_t>(value, field,
                           [](const json& v, const std::string& w) {
                             return AsCount(v, w, INT32_MAX);
                           }));
      for (uint64_t d : devices) {
        if (std::find(devices_.begin(), devices_.end(), d) == devices_.end()) {
          devices_.push_back(d);
        }
      }
    } else {
      STRATA_RETURN_IF_ERROR(out_.Unmapped(hps_internal::kModel, key, value,
                                           "models[]." + key, field));
    }
  }
  if (gpucache.has_value() || gpucacheper.has_value()) {
    const double fraction = gpucacheper.value_or(0.2);  // HPS's default
    if (!gpucache.value_or(true)) {
      ServerWide("gpu_cache_backend", "off", where);
    } else if (fraction <= 0) {
      Warn(where + ": gpucacheper <= 0 caches nothing; GPU cache off");
      ServerWide("gpu_cache_backend", "off", where);
    } else {
      if (fraction > 1) Warn(where + ": gpucacheper > 1 clamped to 1");
      ServerWide("gpu_cache_backend", "auto", where);
      ServerWide("gpu_cache_fraction", std::min(fraction, 1.0), where);
    }
  }
  if (kafka_ && !m.contains("embedding_table_names")) {
    Warn(where +
         ": without embedding_table_names the tables are named after "
         "their folders (" +
         absl::StrJoin(model.table_names, ", ") +
         "); HPS updates arrive on hps_et.<model>.<HugeCTR's table name> "
         "(sparse_embedding<i> by default) and match only equal names");
  }
  out_.models().push_back(std::move(model));
  return absl::OkStatus();
}

void Converter::ServerWide(const std::string& key, const json& value,
                           const std::string& where) {
  json& options = out_.options();
  if (!options.contains(key)) {
    options[key] = value;
  } else if (options[key] != value) {
    Warn(absl::StrCat(where, ": ", key, " ", value.dump(),
                      " differs from an earlier model's ", options[key].dump(),
                      "; the server applies one value to all models"));
  }
}

absl::StatusOr<HpsConversion> Converter::Run(const json& root) {
  if (!root.contains("models")) return Invalid("models is missing");
  if (!root["models"].is_array()) return Invalid("models must be a list");
  if (root["models"].empty()) return Invalid("models is empty");
  for (const auto& [key, value] : root.items()) {
    if (!IsOneOf(key,
                 {"volatile_db", "persistent_db", "update_source", "models"})) {
      STRATA_RETURN_IF_ERROR(
          out_.Unmapped(hps_internal::kTopLevel, key, value, key));
    }
  }
  if (root.contains("volatile_db")) {
    STRATA_RETURN_IF_ERROR(
        hps_internal::ConvertVolatileDb(root["volatile_db"], out_));
  }
  STRATA_RETURN_IF_ERROR(hps_internal::ConvertPersistentDb(
      root.contains("persistent_db") ? &root["persistent_db"] : nullptr, out_));
  if (root.contains("update_source")) {
    STRATA_RETURN_IF_ERROR(hps_internal::ConvertUpdateSource(
        root["update_source"], out_, &kafka_));
  }
  for (size_t i = 0; i < root["models"].size(); ++i) {
    STRATA_RETURN_IF_ERROR(Model(root["models"][i], i));
  }
  if (max_batch_ > 0) {
    const uint64_t batch = std::min<uint64_t>(max_batch_, kMaxInferBatch);
    if (batch != max_batch_) {
      Warn(absl::StrCat("models[].max_batch_size ", max_batch_, " clamped to ",
                        batch, " (max_infer_batch)"));
    }
    out_.options()["max_infer_batch"] = batch;
  }
  if (!devices_.empty()) {
    out_.options()["gpu_devices"] = absl::StrJoin(devices_, ",");
  }
  return out_.Release();
}

}  // namespace

absl::StatusOr<HpsConversion> ConvertHpsConfig(const std::string& json_text) {
  json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Invalid("HPS config is not valid JSON");
  if (!root.is_object()) return Invalid("HPS config is not a JSON object");
  try {
    return Converter().Run(root);
  } catch (const json::exception& e) {  // a type check missed; never escapes
    return Invalid(absl::StrCat("HPS config: ", e.what()));
  }
}

json HpsModelsJson(const std::vector<HpsModel>& models) {
  json out = json::array();
  for (const HpsModel& m : models) {
    json tables = json::array();
    for (size_t i = 0; i < m.sparse_files.size(); ++i) {
      // The float's shortest decimal form, so 0.1f prints as 0.1.
      char text[32];
      auto end = std::to_chars(text, text + sizeof(text), m.default_values[i]);
      tables.push_back(
          {{"name", m.table_names[i]},
           {"sparse_file", m.sparse_files[i]},
           {"dim", m.dims[i]},
           {"default_value", std::stod(std::string(text, end.ptr))}});
    }
    out.push_back({{"model", m.name}, {"tables", std::move(tables)}});
  }
  return out;
}

absl::StatusOr<std::vector<HpsModel>> HpsModelsFromJson(const json& models) {
  if (!models.is_array()) return Invalid("hps_models must be a JSON array");
  std::vector<HpsModel> out;
  try {
    for (const json& m : models) {
      HpsModel model;
      model.name = m.at("model").get<std::string>();
      STRATA_RETURN_IF_ERROR(ValidateName("hps_models model", model.name));
      const json& tables = m.at("tables");
      if (!tables.is_array() || tables.empty()) {
        return Invalid(absl::StrCat("hps_models ", model.name, ": no tables"));
      }
      for (const json& t : tables) {
        model.table_names.push_back(t.at("name").get<std::string>());
        model.sparse_files.push_back(t.at("sparse_file").get<std::string>());
        model.dims.push_back(t.at("dim").get<uint32_t>());
        model.default_values.push_back(t.value("default_value", 0.0f));
      }
      out.push_back(std::move(model));
    }
  } catch (const json::exception& e) {
    return Invalid(absl::StrCat("hps_models: ", e.what()));
  }
  return out;
}

}  // namespace strata
