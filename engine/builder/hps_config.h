// ConvertHpsConfig: turns a HugeCTR Hierarchical Parameter Server config
// ("ps.json": supportlonglong, volatile_db, persistent_db, update_source,
// models[]) into Strata server options (the flat JSON keys of
// STRATA_SERVER_OPTION_FIELDS) and the list of models to import.
//
// Mapping, in short: persistent_db.path -> data_dir; a hash-map volatile_db
// -> hash_map_partitions / hash_map_policy; redis_cluster -> redis_cluster,
// redis_user, redis_password, redis_partitions; a Kafka update_source ->
// kafka_brokers (';' becomes ','), kafka_metadata_refresh_ms and
// kafka_hps_topics; the models' hit_rate_threshold, gpucache/gpucacheper,
// max_batch_size and deployed_device_list -> hit_rate_threshold,
// gpu_cache_backend/gpu_cache_fraction, max_infer_batch (the largest) and
// gpu_devices (the union). Server-wide settings come from the first model
// that sets them; a later model that disagrees gets a warning. A field absent
// from ps.json leaves Strata's default, except that gpucache without
// gpucacheper takes HPS's default fraction (0.2).
//
// Warnings name each field (or value) that Strata cannot honour, each text
// once. Fields that only size HugeCTR's own buffers (maxnum_*,
// num_of_*_buffer_in_pool, thread_pool_size, label_dim, slot_num, ...) have
// nothing to honour and pass silently; an unknown field is a warning. A
// malformed config (not a JSON object, wrong types, no models, a bad or
// duplicate model or table name, empty sparse_files, list lengths that
// disagree, a dim of 0) is INVALID_ARGUMENT naming the field and the model.
//
// Value types; ConvertHpsConfig is a pure function, safe to call from any
// thread. Nothing here reads files or throws.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace strata {

// One entry of HPS models[]: its tables, in sparse_files order.
struct HpsModel {
  std::string name;  // "model"
  // One HugeCTR "<x>.model" folder (key + emb_vector) per table.
  std::vector<std::string> sparse_files;
  // embedding_table_names; when absent, each folder's base name less
  // ".model".
  std::vector<std::string> table_names;
  std::vector<uint32_t> dims;         // embedding_vecsize_per_table
  std::vector<float> default_values;  // default_value_for_each_table, or 0
};

struct HpsConversion {
  // A JSON object of Strata server options (flat keys).
  nlohmann::json options = nlohmann::json::object();
  std::vector<HpsModel> models;
  // One line per HPS field or value that cannot be honoured, naming it.
  std::vector<std::string> warnings;
};

// Converts the text of a ps.json. See the file comment for the mapping.
[[nodiscard]] absl::StatusOr<HpsConversion> ConvertHpsConfig(
    const std::string& json_text);

// The models as the server option "hps_models" takes them:
// [{"model": M, "tables": [{"name", "sparse_file", "dim", "default_value"}]}].
// `models` as ConvertHpsConfig returns them (lists of equal length).
nlohmann::json HpsModelsJson(const std::vector<HpsModel>& models);
// The inverse of HpsModelsJson, for the server option; INVALID_ARGUMENT
// names what is malformed.
[[nodiscard]] absl::StatusOr<std::vector<HpsModel>> HpsModelsFromJson(
    const nlohmann::json& models);

}  // namespace strata
