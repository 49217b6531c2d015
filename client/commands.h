// The subcommands of the `strata` CLI. Each Add* declares one subcommand on
// the app, with its flags, help and the callback that runs it. A callback
// that fails throws CLI::RuntimeError with the exit code after printing a
// one-line error that starts with "strata <command>:".
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace strata {
struct ClientOptions;
}

namespace strata::cli {

void AddGenModel(CLI::App& app);
void AddDevBroker(CLI::App& app);  // client/cmd_updates.cc
void AddPublish(CLI::App& app);    // client/cmd_updates.cc
void AddImport(CLI::App& app);
void AddExport(CLI::App& app);
void AddConvertHps(CLI::App& app);  // client/cmd_convert_hps.cc
void AddLookup(CLI::App& app);
void AddInfer(CLI::App& app);  // client/cmd_infer.cc
void AddModels(CLI::App& app);
void AddModelControl(CLI::App* models);  // client/cmd_models.cc
void AddStats(CLI::App& app);
// `in_process`: whether --in-process is on the command line (the two modes
// take different flags).
void AddBench(CLI::App& app, bool in_process);

// --target and --timeout-ms of a subcommand that calls a server.
void AddConnectionFlags(CLI::App* cmd, ClientOptions* options);

// Prints "strata <command>: <message>" to stderr and throws the exit code.
[[noreturn]] void Fail(const char* command, const std::string& message,
                       int code = 1);

}  // namespace strata::cli
