#include "server/server_options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/common/read_file.h"
#include "engine/common/status_macros.h"
#include "nlohmann/json.hpp"

namespace strata {
namespace {

std::string FlagName(std::string_view field) {
  std::string flag = absl::StrCat("--", std::string(field));
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

}  // namespace

absl::Status ServerOptions::Validate() const {
  if (listen.empty() || listen.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen must be host:port, got \"", listen, "\""));
  }
  if (max_keys_per_request == 0) {
    return absl::InvalidArgumentError("max_keys_per_request must be positive");
  }
  if (max_concurrent_streams == 0) {
    return absl::InvalidArgumentError(
        "max_concurrent_streams must be positive");
  }
  if (max_message_bytes < 4096) {
    return absl::InvalidArgumentError("max_message_bytes must be >= 4096");
  }
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info",
                                                 "warn",  "error", "off"};
  if (std::find(std::begin(kLevels), std::end(kLevels), log_level) ==
      std::end(kLevels)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown log_level \"", log_level, "\""));
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        "tls_cert_file and tls_key_file go together: set both or neither");
  }
  if (!tls.client_ca_file.empty() && tls.cert_file.empty()) {
    return absl::InvalidArgumentError(
        "tls_client_ca_file (mutual TLS) needs tls_cert_file and "
        "tls_key_file");
  }
  if (!admin_allowed_sans.empty() && tls.client_ca_file.empty()) {
    return absl::InvalidArgumentError(
        "admin_allowed_sans needs tls_client_ca_file: without mutual TLS no "
        "client presents a certificate");
  }
  if (absl::Status s =
          ParseKeyValueList(kafka_properties, "kafka_properties").status();
      !s.ok()) {
    return s;
  }
  return engine.Validate();
}

void ServerOptions::ResolveDerived() {
  absl::StatusOr<std::map<std::string, std::string>> props =
      ParseKeyValueList(kafka_properties, "kafka_properties");
  if (!props.ok()) return;  // Validate said so
  for (auto& [k, v] : *props) engine.updates.kafka.rdkafka[k] = v;
}

absl::StatusOr<std::map<std::string, std::string>> ParseKeyValueList(
    const std::string& text, const std::string& option) {
  std::map<std::string, std::string> out;
  if (text.empty()) return out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    size_t eq = part.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(option, ": \"", std::string(part),
                       "\" is not key=value (want k=v[,k=v...])"));
    }
    out[std::string(part.substr(0, eq))] = std::string(part.substr(eq + 1));
  }
  return out;
}

absl::Status ServerOptions::MergeJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("config is not a JSON object");
  }
  for (const auto& [key, value] : j.items()) {
    if (key == "hps_models") {
      absl::StatusOr<std::vector<HpsModel>> models = HpsModelsFromJson(value);
      if (!models.ok()) return models.status();
      hps_models = *std::move(models);
      continue;
    }
    bool known = false;
    try {
#define STRATA_MERGE_FIELD(name, field, help)   \
  if (key == #name) {                           \
    field = value.get<decltype(this->field)>(); \
    known = true;                               \
  }
      STRATA_SERVER_OPTION_FIELDS(STRATA_MERGE_FIELD)
#undef STRATA_MERGE_FIELD
    } catch (const nlohmann::json::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("config key \"", key, "\": ", e.what()));
    }
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown config key \"", key, "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status ServerOptions::MergeJsonFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile("config", path);
  if (!text.ok()) return text.status();
  absl::Status s = MergeJson(*text);
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
  }
  return s;
}

absl::Status ServerOptions::MergeHpsConfigFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile("HPS config", path);
  if (!text.ok()) return text.status();
  absl::StatusOr<HpsConversion> converted = ConvertHpsConfig(*text);
  if (!converted.ok()) {
    return absl::Status(converted.status().code(),
                        absl::StrCat(path, ": ", converted.status().message()));
  }
  STRATA_RETURN_IF_ERROR(MergeJson(converted->options.dump()));
  hps_models = std::move(converted->models);
  hps_warnings = std::move(converted->warnings);
  return absl::OkStatus();
}

void ServerOptions::AddFlags(CLI::App& app) {
#define STRATA_ADD_FLAG(name, field, help) \
  app.add_option(FlagName(#name), field, help)->capture_default_str();
  STRATA_SERVER_OPTION_FIELDS(STRATA_ADD_FLAG)
#undef STRATA_ADD_FLAG
}

int ParseServerOptions(int argc, char** argv, ServerOptions* options) {
  // The ps.json and config files come first, so that flags override them:
  // find them before the real parse.
  std::string config, hps_config;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--config" && i + 1 < argc) config = argv[i + 1];
    if (arg.starts_with("--config=")) config = std::string(arg.substr(9));
    if (arg == "--hps-config" && i + 1 < argc) hps_config = argv[i + 1];
    if (arg.starts_with("--hps-config=")) {
      hps_config = std::string(arg.substr(13));
    }
  }
  if (!hps_config.empty()) {
    absl::Status s = options->MergeHpsConfigFile(hps_config);
    if (!s.ok()) {
      std::fprintf(stderr, "strata-server: %s\n",
                   std::string(s.message()).c_str());
      return 2;
    }
  }
  if (!config.empty()) {
    absl::Status s = options->MergeJsonFile(config);
    if (!s.ok()) {
      std::fprintf(stderr, "strata-server: %s\n",
                   std::string(s.message()).c_str());
      return 2;
    }
  }
  CLI::App app(
      "strata-server: serves embedding lookups from a GPU cache, CPU memory "
      "and RocksDB.\nWith no arguments it serves every model under "
      "./strata-data on 0.0.0.0:8500.",
      "strata-server");
  app.add_option("--config", config,
                 "JSON file whose keys are the option names below "
                 "(data_dir, listen, ...); flags override it");
  app.add_option("--hps-config", hps_config,
                 "A HugeCTR HPS ps.json: its settings as `strata convert-hps` "
                 "maps them (warnings for what Strata cannot honour), and "
                 "its models imported into the data dir on first start; "
                 "--config and flags override it");
  options->AddFlags(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  absl::Status s = options->Validate();
  if (!s.ok()) {
    std::fprintf(stderr, "strata-server: %s\n",
                 std::string(s.message()).c_str());
    return 2;
  }
  options->ResolveDerived();
  return -1;
}

}  // namespace strata
