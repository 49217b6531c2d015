// Child processes for end-to-end tests: run a command to completion and
// capture its output, or keep a strata-server running on a free port.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace strata::testing {

struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs argv[0] with argv and waits for it.
CommandResult RunCommand(const std::vector<std::string>& argv);

// A command running in the background; Wait collects it like RunCommand.
class RunningCommand {
 public:
  explicit RunningCommand(const std::vector<std::string>& argv);
  ~RunningCommand();  // SIGKILLs it if Wait was not called
  RunningCommand(const RunningCommand&) = delete;
  RunningCommand& operator=(const RunningCommand&) = delete;

  CommandResult Wait();

 private:
  pid_t pid_ = -1;
  std::string out_path_, err_path_;
};

// A strata-server child listening on 127.0.0.1 on a port it chose itself.
class ServerProcess {
 public:
  // Starts `binary --listen 127.0.0.1:0 --port-file ... <args>` (and
  // --metrics-listen 127.0.0.1:0 unless `args` set it) and waits until it
  // has written its port (or exited).
  ServerProcess(const std::string& binary, const std::vector<std::string>& args,
                const std::string& scratch_dir);
  // SIGKILLs the child if it is still running.
  ~ServerProcess();

  bool running() const { return pid_ > 0 && exit_code_ < 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // The metrics HTTP port (0 when the test turned metrics off).
  int metrics_port() const { return metrics_port_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  // Sends SIGTERM and waits; returns the exit code.
  int Stop();
  // Sends SIGKILL and waits.
  void Kill();
  // The exit code once the child has ended on its own (-1 while running).
  int WaitExit();
  std::string log() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int metrics_port_ = 0;
  int exit_code_ = -1;
  std::string log_path_;
};

// Any other server a test needs (Prometheus, ...): started with stdout and
// stderr in `log_path`, stopped with SIGTERM (then SIGKILL) on destruction.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv,  // argv[0]: a path
                    const std::string& log_path);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

}  // namespace strata::testing
