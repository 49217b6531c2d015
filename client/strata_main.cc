// strata: the command-line tool for Strata: generate and import models, look
// rows up, list models, read stats, run benchmarks.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "client/commands.h"

namespace strata::cli {

void Fail(const char* command, const std::string& message, int code) {
  std::fprintf(stderr, "strata %s: %s\n", command, message.c_str());
  throw CLI::RuntimeError(code);
}

}  // namespace strata::cli

int main(int argc, char** argv) {
  // stdout is for results (--json among them); the engine's logs go to
  // stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("strata"));
  CLI::App app(
      "strata: the Strata embedding service's command-line tool.\n"
      "Offline: gen-model, import, export, convert-hps. Against a running "
      "strata-server: lookup, "
      "models, stats, bench.",
      "strata");
  app.require_subcommand(1);
  strata::cli::AddGenModel(app);
  strata::cli::AddDevBroker(app);
  strata::cli::AddPublish(app);
  strata::cli::AddImport(app);
  strata::cli::AddExport(app);
  strata::cli::AddConvertHps(app);
  strata::cli::AddLookup(app);
  strata::cli::AddInfer(app);
  strata::cli::AddModels(app);
  strata::cli::AddStats(app);
  bool in_process = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--in-process") in_process = true;
  }
  strata::cli::AddBench(app, in_process);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
