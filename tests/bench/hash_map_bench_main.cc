// A stand-alone driver for `strata bench --in-process` (client/
// bench_in_process.h), so the hash map tier can be measured without the CLI.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "client/bench/bench_in_process.h"

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));  // stdout: data
  CLI::App app("Strata in-process tier benchmark");
  strata::InProcessBenchOptions options;
  strata::AddInProcessBenchFlags(&app, &options);
  CLI11_PARSE(app, argc, argv);
  return strata::RunInProcessBench(options);
}
