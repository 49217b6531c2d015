// The volatile_db, persistent_db and update_source sections of a HugeCTR HPS
// ps.json, converted into Strata server options (see hps_config.h).
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/builder/hps_config_parse.h"
#include "engine/common/status_macros.h"

namespace strata::hps_internal {
namespace {

using nlohmann::json;

constexpr char kBatching[] =
    "Strata sizes its tier requests by the lookup batch";
constexpr char kNoEquivalent[] = "Strata has no equivalent setting";

const Section kVolatileDb = {
    /*unmapped=*/
    {{"max_batch_size", kBatching},
     {"max_get_batch_size", kBatching},
     {"max_set_batch_size", kBatching},
     {"overflow_margin",
      "Strata bounds its host tiers in bytes (hash_map_capacity_bytes, "
      "redis_capacity_bytes)"},
     {"overflow_resolution_target",
      "Strata evicts to make room for each new row"},
     {"allocation_rate", "Strata's hash map allocates its own slabs"},
     {"algorithm", "Strata has one hash-map implementation"},
     {"num_node_connections", kNoEquivalent}},
    /*when_set=*/
    {{"enable_tls", "Strata's Redis client speaks plain TCP"},
     {"initial_cache_rate",
      "Strata's host tiers start empty and fill as rows are "
      "read"}},
    /*when_unset=*/
    {{"cache_missed_embeddings",
      "Strata always caches rows read from lower tiers"},
     {"refresh_time_after_fetch", "Strata's lru policy counts reads as uses"}},
    /*quiet=*/
    {"initialize_after_startup", "tls_ca_certificate", "tls_client_certificate",
     "tls_client_key", "tls_server_name_identification"}};

const Section kPersistentDb = {
    /*unmapped=*/{{"num_threads", kNoEquivalent},
                  {"max_batch_size", kBatching},
                  {"max_get_batch_size", kBatching},
                  {"max_set_batch_size", kBatching}},
    /*when_set=*/{{"read_only", "Strata writes online updates into RocksDB"}},
    /*when_unset=*/{},
    /*quiet=*/{}};

const Section kUpdateSource = {
    /*unmapped=*/
    {{"poll_timeout_ms", kNoEquivalent},
     {"receive_buffer_size",
      "librdkafka limits can be set through kafka_properties"},
     {"max_receive_buffer_size",
      "librdkafka limits can be set through kafka_properties"},
     {"max_batch_size", kNoEquivalent},
     {"failure_backoff_ms", kNoEquivalent},
     {"max_commit_interval",
      "Strata commits no Kafka offsets; it stores its position with the "
      "rows in RocksDB"}},
    /*when_set=*/{},
    /*when_unset=*/{},
    /*quiet=*/{}};

const std::vector<std::string> kHashMapTypes = {
    "hash_map",      "hashmap",           "hash",
    "map",           "parallel_hash_map", "parallel_hashmap",
    "parallel_hash", "parallel_map",      "multi_process_hash_map"};

const std::map<std::string, std::string> kOverflowPolicies = {
    {"evict_random", "random"},
    {"evict_least_used", "lfu"},
    {"evict_oldest", "lru"}};

}  // namespace

absl::Status ConvertVolatileDb(const json& v, HpsOutput& out) {
  if (!v.is_object()) return Invalid("volatile_db must be an object");
  std::string type = "parallel_hash_map";  // HPS's default
  if (v.contains("type")) {
    STRATA_ASSIGN_OR_RETURN(type, AsString(v["type"], "volatile_db.type"));
  }
  const bool redis = IsOneOf(type, {"redis_cluster", "redis"});
  const bool shared = type == "multi_process_hash_map";
  const bool hash_map = shared || IsOneOf(type, kHashMapTypes);
  if (shared) {
    out.Warn(
        "volatile_db.type multi_process_hash_map: not honoured; Strata's "
        "hash map is private to the server process");
  } else if (IsOneOf(type, {"disabled", "disable", "none"})) {
    out.options()["hash_map_capacity_bytes"] = 0;
  } else if (!redis && !hash_map) {
    out.Warn("volatile_db.type \"" + type +
             "\" is unknown; Strata's default hash map is kept");
  }
  if (redis && !v.contains("address")) {
    out.options()["redis_cluster"] = "127.0.0.1:7000";  // HPS's default
  }
  for (const auto& [key, value] : v.items()) {
    const std::string where = "volatile_db." + key;
    if (key == "type") continue;
    if (key == "num_partitions") {
      STRATA_ASSIGN_OR_RETURN(uint64_t n, AsCount(value, where));
      const uint64_t c = std::clamp<uint64_t>(n, 1, redis ? UINT32_MAX : 16);
      if (c != n) out.Warn(absl::StrCat(where, " ", n, " clamped to ", c));
      if (redis || hash_map) {
        out.options()[redis ? "redis_partitions" : "hash_map_partitions"] = c;
      }
    } else if (key == "overflow_policy") {
      STRATA_ASSIGN_OR_RETURN(std::string p, AsString(value, where));
      const auto it = kOverflowPolicies.find(p);
      if (redis) {
        out.Warn(where +
                 ": not honoured; Strata's Redis tier evicts by its own "
                 "rule past redis_capacity_bytes");
      } else if (it == kOverflowPolicies.end()) {
        out.Warn(where + " \"" + p + "\" is unknown; hash_map_policy kept");
      } else if (hash_map) {
        out.options()["hash_map_policy"] = it->second;
      }
    } else if (IsOneOf(key, {"address", "user_name", "password"})) {
      STRATA_ASSIGN_OR_RETURN(std::string s, AsString(value, where));
      if (!redis) continue;  // HPS ignores them too
      if (key == "address") {
        std::vector<std::string> seeds;
        for (absl::string_view a : absl::StrSplit(s, ',', absl::SkipEmpty())) {
          seeds.push_back(absl::StrContains(a, ':') ? std::string(a)
                                                    : absl::StrCat(a, ":6379"));
        }
        if (seeds.empty()) out.Warn(where + " is empty: no Redis tier");
        out.options()["redis_cluster"] = absl::StrJoin(seeds, ",");
      } else if (key == "user_name") {
        if (!s.empty()) out.options()["redis_user"] = s;
      } else {
        out.options()["redis_password"] = s;
      }
    } else if (key == "update_filters") {
      STRATA_RETURN_IF_ERROR(out.Filters(value, where));
    } else if (absl::StartsWith(key, "shared_memory_")) {
      if (shared)
        out.Warn(where + ": not honoured; Strata uses no shared memory");
    } else {
      STRATA_RETURN_IF_ERROR(out.Unmapped(kVolatileDb, key, value, where));
    }
  }
  return absl::OkStatus();
}

absl::Status ConvertPersistentDb(const json* p, HpsOutput& out) {
  std::string type = "disabled";  // HPS's default
  if (p != nullptr) {
    if (!p->is_object()) return Invalid("persistent_db must be an object");
    if (p->contains("type")) {
      STRATA_ASSIGN_OR_RETURN(type,
                              AsString((*p)["type"], "persistent_db.type"));
    }
  }
  constexpr char kAlways[] =
      "Strata always keeps the whole model in RocksDB under data_dir "
      "(default kept)";
  if (p == nullptr) {
    out.Warn(absl::StrCat("persistent_db absent (disabled in HPS): ", kAlways));
    return absl::OkStatus();
  }
  if (!IsOneOf(type, {"rocks_db", "rocksdb", "rocks"})) {
    out.Warn(IsOneOf(type, {"disabled", "disable", "none"})
                 ? absl::StrCat("persistent_db.type disabled: not honoured; ",
                                kAlways)
                 : absl::StrCat("persistent_db.type \"", type,
                                "\" is unknown; ", kAlways));
    return absl::OkStatus();
  }
  for (const auto& [key, value] : p->items()) {
    const std::string where = "persistent_db." + key;
    if (key == "type") continue;
    if (key == "path") {
      STRATA_ASSIGN_OR_RETURN(std::string path, AsString(value, where));
      if (path.empty()) {
        out.Warn(where + " is empty; data_dir default kept");
      } else {
        out.options()["data_dir"] = path;
      }
    } else if (key == "update_filters") {
      STRATA_RETURN_IF_ERROR(out.Filters(value, where));
    } else {
      STRATA_RETURN_IF_ERROR(out.Unmapped(kPersistentDb, key, value, where));
    }
  }
  return absl::OkStatus();
}

absl::Status ConvertUpdateSource(const json& u, HpsOutput& out, bool* kafka) {
  if (!u.is_object()) return Invalid("update_source must be an object");
  std::string type = "kafka_message_queue";  // HPS's default
  if (u.contains("type")) {
    STRATA_ASSIGN_OR_RETURN(type, AsString(u["type"], "update_source.type"));
  }
  if (!IsOneOf(type, {"kafka_message_queue", "kafka_mq", "kafka"})) {
    if (!IsOneOf(type, {"null", "none"})) {
      out.Warn("update_source.type \"" + type +
               "\" is unknown; no online updates");
    }
    return absl::OkStatus();
  }
  std::string brokers = "127.0.0.1:9092";  // HPS's default
  for (const auto& [key, value] : u.items()) {
    const std::string where = "update_source." + key;
    if (key == "type") continue;
    if (key == "brokers") {
      STRATA_ASSIGN_OR_RETURN(brokers, AsString(value, where));
    } else if (key == "metadata_refresh_interval_ms") {
      STRATA_ASSIGN_OR_RETURN(uint64_t ms, AsCount(value, where, UINT32_MAX));
      out.options()["kafka_metadata_refresh_ms"] = ms;
    } else {
      STRATA_RETURN_IF_ERROR(out.Unmapped(kUpdateSource, key, value, where));
    }
  }
  // HPS separates brokers with ';', librdkafka with ','.
  std::vector<std::string> list;
  for (absl::string_view b : absl::StrSplit(brokers, absl::ByAnyChar(";,"))) {
    b = absl::StripAsciiWhitespace(b);
    if (!b.empty()) list.emplace_back(b);
  }
  if (list.empty()) {
    out.Warn("update_source.brokers is empty: no online updates");
    return absl::OkStatus();
  }
  *kafka = true;
  out.options()["kafka_brokers"] = absl::StrJoin(list, ",");
  out.options()["kafka_hps_topics"] = true;
  return absl::OkStatus();
}

}  // namespace strata::hps_internal
