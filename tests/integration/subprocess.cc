#include "tests/integration/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace strata::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int DecodeWait(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& out_path,
            const std::string& err_path) {
  // Everything is prepared before fork: the child of a threaded process may
  // only make async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid != 0) return pid;
  int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(out, 1);
  dup2(err, 2);
  execv(args[0], args.data());
  _exit(127);
}

std::string TempPath(const char* tag) {
  static int counter = 0;
  return "/tmp/strata-e2e-" + std::to_string(getpid()) + "-" +
         std::to_string(counter++) + "." + tag;
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv) {
  const std::string out = TempPath("out"), err = TempPath("err");
  pid_t pid = Spawn(argv, out, err);
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult r{DecodeWait(status), Slurp(out), Slurp(err)};
  unlink(out.c_str());
  unlink(err.c_str());
  return r;
}

RunningCommand::RunningCommand(const std::vector<std::string>& argv)
    : out_path_(TempPath("out")), err_path_(TempPath("err")) {
  pid_ = Spawn(argv, out_path_, err_path_);
}

RunningCommand::~RunningCommand() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    Wait();
  }
}

CommandResult RunningCommand::Wait() {
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  CommandResult r{DecodeWait(status), Slurp(out_path_), Slurp(err_path_)};
  unlink(out_path_.c_str());
  unlink(err_path_.c_str());
  return r;
}

ServerProcess::ServerProcess(const std::string& binary,
                             const std::vector<std::string>& args,
                             const std::string& scratch_dir) {
  const std::string port_file = scratch_dir + "/port";
  unlink(port_file.c_str());
  log_path_ = scratch_dir + "/server.log";
  const std::string metrics_port_file = scratch_dir + "/metrics_port";
  unlink(metrics_port_file.c_str());
  std::vector<std::string> argv = {binary, "--listen", "127.0.0.1:0",
                                   "--port-file", port_file};
  // Metrics on a port of its own choosing too, unless the test sets them.
  if (std::find(args.begin(), args.end(), "--metrics-listen") == args.end()) {
    argv.insert(argv.end(), {"--metrics-listen", "127.0.0.1:0",
                             "--metrics-port-file", metrics_port_file});
  }
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = Spawn(argv, log_path_ + ".out", log_path_);
  // Wait (bounded) for the port file, or for the child to give up.
  for (int i = 0; i < 600 && port_ == 0; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = DecodeWait(status);
      return;
    }
    std::ifstream in(port_file);
    if (in >> port_) break;
    port_ = 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The metrics port file is written just before the gRPC one.
  std::ifstream metrics(metrics_port_file);
  if (!(metrics >> metrics_port_)) metrics_port_ = 0;
}

ServerProcess::~ServerProcess() {
  if (running()) Kill();
}

int ServerProcess::Stop() {
  if (!running()) return exit_code_;
  kill(pid_, SIGTERM);
  return WaitExit();
}

void ServerProcess::Kill() {
  if (!running()) return;
  kill(pid_, SIGKILL);
  WaitExit();
}

int ServerProcess::WaitExit() {
  if (exit_code_ >= 0) return exit_code_;
  int status = 0;
  waitpid(pid_, &status, 0);
  exit_code_ = DecodeWait(status);
  return exit_code_;
}

std::string ServerProcess::log() const { return Slurp(log_path_); }

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const std::string& log_path)
    : log_path_(log_path) {
  pid_ = Spawn(argv, log_path, log_path);
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {  // 5 s to stop, then SIGKILL
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

std::string BackgroundProcess::log() const { return Slurp(log_path_); }

}  // namespace strata::testing
