// `strata bench`: against a running server (--target, the default), or the
// engine built inside this process (--in-process). The two take different
// flags; `strata bench --in-process --help` lists the in-process ones.
#include <CLI/CLI.hpp>
#include <memory>

#include "client/bench/bench_in_process.h"
#include "client/bench/bench_remote.h"
#include "client/commands.h"

namespace strata::cli {

void AddBench(CLI::App& app, bool in_process) {
  if (in_process) {
    auto options = std::make_shared<InProcessBenchOptions>();
    CLI::App* cmd = app.add_subcommand(
        "bench",
        "Benchmark a tier built in this process with the BENCHMARKS.md key "
        "stream, with same-run baselines (--baselines)");
    auto in_process_flag = std::make_shared<bool>(true);
    cmd->add_flag("--in-process", *in_process_flag,
                  "Benchmark the engine in this process");
    AddInProcessBenchFlags(cmd, options.get());
    cmd->callback([options, in_process_flag] {
      int code = RunInProcessBench(*options);
      if (code != 0) throw CLI::RuntimeError(code);
    });
    return;
  }
  auto options = std::make_shared<RemoteBenchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Load-test a running strata-server with Lookup requests (ghz-style "
      "report), optionally against Redis MGET and a bare gRPC echo in the "
      "same run. Add --in-process (see `strata bench --in-process --help`) "
      "to benchmark a tier inside this process instead.");
  AddRemoteBenchFlags(cmd, options.get());
  cmd->callback([options] {
    int code = RunRemoteBench(*options);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace strata::cli
