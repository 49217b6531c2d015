// The pieces of ConvertHpsConfig (hps_config.h), for its files only:
// accessors that turn a wrong JSON type into INVALID_ARGUMENT naming the
// field; HpsOutput, the conversion being built (options and deduplicated
// warnings); the tables of fields Strata has no equivalent for (and why);
// the converters of the volatile_db, persistent_db and update_source
// sections (hps_config_backends.cc); and the reading of one model's tables.
//
// Pure functions and constant tables are safe from any thread; an HpsOutput
// belongs to one conversion and is not synchronized. Nothing here throws:
// every accessor checks the type before it reads.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "engine/builder/hps_config.h"

namespace strata::hps_internal {

[[nodiscard]] inline absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(message);
}

inline bool IsOneOf(const std::string& s,
                    std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (s == n) return true;
  }
  return false;
}
inline bool IsOneOf(const std::string& s,
                    const std::vector<std::string>& names) {
  for (const std::string& n : names) {
    if (s == n) return true;
  }
  return false;
}

// `where` names the value in errors ("models[0] \"wdl\": sparse_files[1]").
[[nodiscard]] absl::StatusOr<std::string> AsString(const nlohmann::json& v,
                                                   const std::string& where);
[[nodiscard]] absl::StatusOr<bool> AsBool(const nlohmann::json& v,
                                          const std::string& where);
[[nodiscard]] absl::StatusOr<double> AsNumber(const nlohmann::json& v,
                                              const std::string& where);
// A non-negative integer no larger than `max`.
[[nodiscard]] absl::StatusOr<uint64_t> AsCount(const nlohmann::json& v,
                                               const std::string& where,
                                               uint64_t max = UINT64_MAX);

// A JSON list read element by element with `get` (one of the above).
template <typename T, typename Get>
[[nodiscard]] absl::StatusOr<std::vector<T>> AsList(const nlohmann::json& v,
                                                    const std::string& where,
                                                    Get get) {
  if (!v.is_array()) return Invalid(where + " must be a list");
  std::vector<T> out;
  for (size_t i = 0; i < v.size(); ++i) {
    absl::StatusOr<T> x = get(v[i], absl::StrCat(where, "[", i, "]"));
    if (!x.ok()) return x.status();
    out.push_back(*std::move(x));
  }
  return out;
}

// The known fields of one ps.json section that Strata does not map.
struct Section {
  // Field -> why it is not honoured (each present one is a warning).
  std::map<std::string, std::string> unmapped;
  // The same, warned only when the value is true or a non-zero number.
  std::map<std::string, std::string> when_set;
  // The same, warned only when the value is false.
  std::map<std::string, std::string> when_unset;
  // Fields with nothing to honour in Strata (they size HugeCTR's buffers or
  // apply only to HugeCTR's own plug-ins): accepted silently.
  std::vector<std::string> quiet;
};
extern const Section kTopLevel;
extern const Section kModel;

// The conversion being built.
class HpsOutput {
 public:
  nlohmann::json& options() { return out_.options; }
  std::vector<HpsModel>& models() { return out_.models; }
  HpsConversion Release() { return std::move(out_); }

  // Adds a warning unless the same text was added before.
  void Warn(std::string text);
  // A field of `section` that Strata does not map: a warning with its reason
  // (for when_set / when_unset fields, only then), silence for a quiet one,
  // or "unknown field". `where` names the field in warnings, `error_where`
  // (default: `where`) in errors.
  [[nodiscard]] absl::Status Unmapped(const Section& section,
                                      const std::string& key,
                                      const nlohmann::json& value,
                                      const std::string& where,
                                      std::string error_where = "");
  // An update_filters list: a warning unless every filter matches all.
  [[nodiscard]] absl::Status Filters(const nlohmann::json& value,
                                     const std::string& where);

 private:
  HpsConversion out_;
  std::set<std::string> warned_;
};

// The sections (hps_config_backends.cc). `p` is null when persistent_db is
// absent. `kafka` is set when the update source is Kafka.
[[nodiscard]] absl::Status ConvertVolatileDb(const nlohmann::json& v,
                                             HpsOutput& out);
[[nodiscard]] absl::Status ConvertPersistentDb(const nlohmann::json* p,
                                               HpsOutput& out);
[[nodiscard]] absl::Status ConvertUpdateSource(const nlohmann::json& u,
                                               HpsOutput& out, bool* kafka);

// Reads models[index]'s name and tables (model, sparse_files,
// embedding_vecsize_per_table, embedding_table_names,
// default_value_for_each_table) and checks them: a name Strata accepts, no
// empty sparse_files, equal list lengths, no dim of 0, no duplicate table.
[[nodiscard]] absl::StatusOr<HpsModel> ReadModelTables(const nlohmann::json& m,
                                                       size_t index);

}  // namespace strata::hps_internal
