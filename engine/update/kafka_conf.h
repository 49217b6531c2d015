// Builds a librdkafka configuration from properties, with a clear error for
// the first property librdkafka refuses. Shared by the update consumer and
// the publisher.
//
// The returned conf belongs to the caller (rd_kafka_new takes it over on
// success; rd_kafka_conf_destroy it otherwise).
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace strata {

// `defaults` overlaid with `overrides` (the user's rdkafka settings).
inline absl::StatusOr<rd_kafka_conf_t*> NewKafkaConf(
    std::map<std::string, std::string> defaults,
    const std::map<std::string, std::string>& overrides) {
  for (const auto& [k, v] : overrides) defaults[k] = v;
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : defaults) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(
          absl::StrCat("kafka property ", k, "=", v, ": ", err));
    }
  }
  return conf;
}

}  // namespace strata
