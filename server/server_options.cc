#include "server/server_options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/strings/str_cat.h"
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
  return engine.Validate();
}

absl::Status ServerOptions::MergeJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("config is not a JSON object");
  }
  for (const auto& [key, value] : j.items()) {
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
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read config ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::Status s = MergeJson(text.str());
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
  }
  return s;
}

void ServerOptions::AddFlags(CLI::App& app) {
#define STRATA_ADD_FLAG(name, field, help) \
  app.add_option(FlagName(#name), field, help)->capture_default_str();
  STRATA_SERVER_OPTION_FIELDS(STRATA_ADD_FLAG)
#undef STRATA_ADD_FLAG
}

int ParseServerOptions(int argc, char** argv, ServerOptions* options) {
  // The config file comes first, so that flags override it: find it before
  // the real parse.
  std::string config;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--config" && i + 1 < argc) config = argv[i + 1];
    if (arg.starts_with("--config=")) config = std::string(arg.substr(9));
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
  return -1;
}

}  // namespace strata
