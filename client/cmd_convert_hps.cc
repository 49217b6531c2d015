// The convert-hps subcommand: reads a HugeCTR HPS config (ps.json) and prints
// the equivalent strata-server config on stdout, with a warning on stderr for
// each HPS setting Strata cannot honour. Offline: it reads one file and
// touches nothing else.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "client/commands.h"
#include "engine/builder/hps_config.h"

namespace strata::cli {

void AddConvertHps(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "convert-hps",
      "Convert a HugeCTR Hierarchical Parameter Server config (ps.json) into "
      "a strata-server config: strata convert-hps ps.json > strata.json, then "
      "strata-server --config strata.json. The JSON on stdout holds the "
      "server options and, under \"hps_models\", every model's tables "
      "(name, sparse_file, dim, default_value) for the server to import. "
      "Each HPS setting Strata cannot honour is printed to stderr as "
      "\"warning: ...\"; a malformed ps.json is an error.");
  cmd->add_option("ps_json", *path, "The HPS config file (ps.json)")
      ->required();
  cmd->footer(
      "Mapping: persistent_db.path -> data_dir (Strata keeps its own "
      "RocksDB layout there: give it an empty folder or a Strata data dir, "
      "not HPS's database); volatile_db hash_map / parallel_hash_map -> "
      "hash_map_partitions (1-16) and hash_map_policy (evict_random -> "
      "random, evict_least_used -> lfu, evict_oldest -> lru); redis_cluster "
      "-> redis_cluster, redis_user, redis_password, redis_partitions; a "
      "Kafka update_source -> kafka_brokers and kafka_hps_topics (HPS topics "
      "hps_et.<model>.<table>); models[]: hit_rate_threshold, gpucache and "
      "gpucacheper -> gpu_cache_backend and gpu_cache_fraction, "
      "max_batch_size -> max_infer_batch (the largest), deployed_device_list "
      "-> gpu_devices. Settings that are server-wide in Strata come from the "
      "first model that sets them. dense_file and network_file are HugeCTR's "
      "own dense model and are not converted: give Strata an ONNX graph with "
      "strata import --dense.");
  cmd->callback([path] {
    std::ifstream file(*path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    if (!file) Fail("convert-hps", "cannot read " + *path, 2);
    absl::StatusOr<HpsConversion> conversion = ConvertHpsConfig(text.str());
    if (!conversion.ok()) {
      Fail("convert-hps",
           *path + ": " + std::string(conversion.status().message()), 2);
    }
    for (const std::string& w : conversion->warnings) {
      std::fprintf(stderr, "warning: %s\n", w.c_str());
    }
    nlohmann::json out = conversion->options;
    out["hps_models"] = HpsModelsJson(conversion->models);
    std::printf("%s\n", out.dump(2, ' ', false,
                                 nlohmann::json::error_handler_t::replace)
                            .c_str());
  });
}

}  // namespace strata::cli
