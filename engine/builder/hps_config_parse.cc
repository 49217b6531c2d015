#include "engine/builder/hps_config_parse.h"

#include <cfloat>
#include <cmath>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "engine/common/status_macros.h"
#include "engine/model/model_manifest.h"

namespace strata::hps_internal {

using nlohmann::json;

absl::StatusOr<std::string> AsString(const json& v, const std::string& where) {
  if (!v.is_string()) return Invalid(where + " must be a string");
  return v.get<std::string>();
}

absl::StatusOr<bool> AsBool(const json& v, const std::string& where) {
  if (!v.is_boolean()) return Invalid(where + " must be true or false");
  return v.get<bool>();
}

absl::StatusOr<double> AsNumber(const json& v, const std::string& where) {
  if (!v.is_number()) return Invalid(where + " must be a number");
  return v.get<double>();
}

absl::StatusOr<uint64_t> AsCount(const json& v, const std::string& where,
                                 uint64_t max) {
  if (!v.is_number_unsigned() || v.get<uint64_t>() > max) {
    return Invalid(absl::StrCat(where, " must be an integer from 0 to ", max));
  }
  return v.get<uint64_t>();
}

void HpsOutput::Warn(std::string text) {
  if (warned_.insert(text).second) out_.warnings.push_back(std::move(text));
}

absl::Status HpsOutput::Unmapped(const Section& section, const std::string& key,
                                 const json& value, const std::string& where,
                                 std::string error_where) {
  if (IsOneOf(key, section.quiet)) return absl::OkStatus();
  if (auto it = section.unmapped.find(key); it != section.unmapped.end()) {
    Warn(absl::StrCat(where, ": not honoured; ", it->second));
    return absl::OkStatus();
  }
  auto set = section.when_set.find(key);
  auto unset = section.when_unset.find(key);
  if (set == section.when_set.end() && unset == section.when_unset.end()) {
    Warn(absl::StrCat("unknown field ", where, " ignored"));
    return absl::OkStatus();
  }
  if (!value.is_boolean() && !value.is_number()) {
    if (error_where.empty()) error_where = where;
    return Invalid(error_where + " must be true, false or a number");
  }
  const bool on =
      value.is_boolean() ? value.get<bool>() : value.get<double>() != 0;
  if (on && set != section.when_set.end()) {
    Warn(absl::StrCat(where, " ", value.dump(), ": not honoured; ",
                      set->second));
  } else if (!on && unset != section.when_unset.end()) {
    Warn(absl::StrCat(where, " ", value.dump(), ": not honoured; ",
                      unset->second));
  }
  return absl::OkStatus();
}

absl::Status HpsOutput::Filters(const json& value, const std::string& where) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> filters,
                          AsList<std::string>(value, where, AsString));
  for (const std::string& f : filters) {
    if (!IsOneOf(f, {".+", ".*", "^hps_.+$", "^hps_.*$"})) {
      Warn(where +
           ": not honoured; Strata applies every update of a served "
           "model to all its tiers");
      break;
    }
  }
  return absl::OkStatus();
}

const Section kTopLevel = {
    /*unmapped=*/{},
    /*when_set=*/{{"fuse_embedding_table", "Strata keeps tables apart"}},
    /*when_unset=*/
    {{"supportlonglong",
      "Strata keys are int64 and strata import reads int64 key "
      "files"}},
    /*quiet=*/{}};

const Section kModel = {
    /*unmapped=*/{},
    /*when_set=*/
    {{"use_static_table",
      "Strata's GPU cache admits rows as they are read (gpu_cache_fraction "
      "of each table)"},
     {"use_mixed_precision", "Strata's dense networks run in fp32"},
     {"cache_refresh_percentage_per_iteration",
      "online updates invalidate cached rows as they arrive"},
     {"refresh_interval",
      "online updates invalidate cached rows as they arrive"}},
    /*when_unset=*/
    {{"i64_input_key",
      "Strata keys are int64 and strata import reads int64 key "
      "files"}},
    /*quiet=*/
    {"num_of_worker_buffer_in_pool", "num_of_refresher_buffer_in_pool",
     "maxnum_des_feature_per_sample",
     "maxnum_catfeature_query_per_table_per_sample", "label_dim", "slot_num",
     "thread_pool_size", "use_context_stream", "use_algorithm_search",
     "use_cuda_graph", "device_id", "scaler", "refresh_delay"}};

namespace {

absl::Status SameLength(size_t n, size_t got, const std::string& where,
                        const char* field) {
  if (got == n) return absl::OkStatus();
  return Invalid(absl::StrCat(where, field, " has ", got,
                              " entries but sparse_files has ", n));
}

// "/m/1/wdl0_sparse_2000.model/" -> "wdl0_sparse_2000".
std::string TableNameOf(absl::string_view folder) {
  while (absl::ConsumeSuffix(&folder, "/")) {
  }
  const size_t slash = folder.rfind('/');
  if (slash != absl::string_view::npos) folder.remove_prefix(slash + 1);
  absl::ConsumeSuffix(&folder, ".model");
  return std::string(folder);
}

}  // namespace

absl::StatusOr<HpsModel> ReadModelTables(const json& m, size_t index) {
  std::string where = absl::StrCat("models[", index, "]");
  if (!m.is_object()) return Invalid(where + " must be an object");
  if (!m.contains("model")) {
    return Invalid(where + ": model (the model's name) is missing");
  }
  HpsModel model;
  STRATA_ASSIGN_OR_RETURN(model.name, AsString(m["model"], where + ".model"));
  if (absl::Status s = ValidateName("model", model.name); !s.ok()) {
    return Invalid(absl::StrCat(where, ".model: ", s.message()));
  }
  where = absl::StrCat(where, " \"", model.name, "\": ");
  for (const char* required : {"sparse_files", "embedding_vecsize_per_table"}) {
    if (!m.contains(required)) return Invalid(where + required + " is missing");
  }
  STRATA_ASSIGN_OR_RETURN(
      model.sparse_files,
      AsList<std::string>(m["sparse_files"], where + "sparse_files", AsString));
  const size_t n = model.sparse_files.size();
  if (n == 0) return Invalid(where + "sparse_files is empty");

  const std::string dims_where = where + "embedding_vecsize_per_table";
  STRATA_ASSIGN_OR_RETURN(
      std::vector<uint64_t> dims,
      AsList<uint64_t>(m["embedding_vecsize_per_table"], dims_where,
                       [](const json& v, const std::string& w) {
                         return AsCount(v, w, UINT32_MAX);
                       }));
  STRATA_RETURN_IF_ERROR(
      SameLength(n, dims.size(), where, "embedding_vecsize_per_table"));
  for (size_t i = 0; i < n; ++i) {
    if (dims[i] == 0)
      return Invalid(absl::StrCat(dims_where, "[", i, "] is 0"));
    model.dims.push_back(static_cast<uint32_t>(dims[i]));
  }

  const bool named = m.contains("embedding_table_names");
  if (named) {
    STRATA_ASSIGN_OR_RETURN(
        model.table_names,
        AsList<std::string>(m["embedding_table_names"],
                            where + "embedding_table_names", AsString));
    STRATA_RETURN_IF_ERROR(SameLength(n, model.table_names.size(), where,
                                      "embedding_table_names"));
  } else {
    for (const std::string& f : model.sparse_files) {
      model.table_names.push_back(TableNameOf(f));
    }
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < n; ++i) {
    const std::string field =
        named ? absl::StrCat("embedding_table_names[", i, "]")
              : absl::StrCat("sparse_files[", i, "] (table named after it)");
    if (absl::Status s = ValidateName("table", model.table_names[i]); !s.ok()) {
      return Invalid(absl::StrCat(where, field, ": ", s.message()));
    }
    if (!seen.insert(model.table_names[i]).second) {
      return Invalid(absl::StrCat(where, field, ": table \"",
                                  model.table_names[i], "\" appears twice"));
    }
  }

  model.default_values.assign(n, 0.0f);
  if (m.contains("default_value_for_each_table")) {
    const std::string dv_where = where + "default_value_for_each_table";
    STRATA_ASSIGN_OR_RETURN(
        std::vector<double> values,
        AsList<double>(m["default_value_for_each_table"], dv_where, AsNumber));
    STRATA_RETURN_IF_ERROR(
        SameLength(n, values.size(), where, "default_value_for_each_table"));
    for (size_t i = 0; i < n; ++i) {
      if (std::fabs(values[i]) > FLT_MAX) {
        return Invalid(absl::StrCat(dv_where, "[", i, "] is not a float"));
      }
      model.default_values[i] = static_cast<float>(values[i]);
    }
  }
  return model;
}

}  // namespace strata::hps_internal
