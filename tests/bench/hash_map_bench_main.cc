// A stand-alone driver for `strata bench --in-process` (client/
// bench_in_process.h), so the hash map tier can be measured without the CLI.
#include <CLI/CLI.hpp>

#include "client/bench/bench_in_process.h"

int main(int argc, char** argv) {
  CLI::App app("Strata in-process tier benchmark");
  strata::InProcessBenchOptions options;
  strata::AddInProcessBenchFlags(&app, &options);
  CLI11_PARSE(app, argc, argv);
  return strata::RunInProcessBench(options);
}
