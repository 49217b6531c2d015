#include "tests/integration/redis_cluster_fixture.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "engine/store/redis/redis_connection.h"
#include "hiredis/hiredis.h"

namespace strata::testing {
namespace {

bool PortFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

// A port that is free, with port + 10000 (the cluster bus) free too.
int PickPort() {
  static std::mt19937 rng(std::random_device{}() ^ getpid());
  for (;;) {
    int port = 20000 + static_cast<int>(rng() % 25000);
    if (PortFree(port) && PortFree(port + 10000)) return port;
  }
}

// fork + exec with stdout/stderr to `log`; the child dies with us.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
  }
  execvp(argv[0], argv.data());
  _exit(127);
}

std::string Flatten(const redisReply& r) {
  if (r.type == REDIS_REPLY_INTEGER) return absl::StrCat(r.integer);
  if (r.type == REDIS_REPLY_ARRAY) {
    std::string out;
    for (size_t i = 0; i < r.elements; ++i) {
      absl::StrAppend(&out, i ? "\n" : "", Flatten(*r.element[i]));
    }
    return out;
  }
  return std::string(ReplyText(r));
}

absl::StatusOr<std::string> RunCommand(int port, const std::string& password,
                                       const std::vector<std::string>& args) {
  RedisConnectOptions o;
  o.password = password;
  o.read_timeout_ms = o.write_timeout_ms = 10000;
  absl::StatusOr<std::unique_ptr<RedisConnection>> c =
      RedisConnection::Open(absl::StrCat("127.0.0.1:", port), o);
  if (!c.ok()) return c.status();
  std::vector<const char*> argv;
  std::vector<size_t> len;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    len.push_back(a.size());
  }
  (*c)->Append(static_cast<int>(argv.size()), argv.data(), len.data());
  if (absl::Status s = (*c)->Flush(); !s.ok()) return s;
  absl::StatusOr<RedisReplyPtr> r = (*c)->Read();
  if (!r.ok()) return r.status();
  if (IsErrorReply(**r)) {
    return absl::InternalError(absl::StrCat("redis 127.0.0.1:", port, " ",
                                            args[0], ": ", ReplyText(**r)));
  }
  return Flatten(**r);
}

}  // namespace

bool RedisBinariesAvailable(std::string* reason) {
  for (const char* bin : {"redis-server", "redis-cli"}) {
    if (std::system(
            absl::StrCat("command -v ", bin, " >/dev/null 2>&1").c_str()) !=
        0) {
      *reason = absl::StrCat(bin, " is not on PATH (apt-get install redis)");
      return false;
    }
  }
  return true;
}

std::string MakeTempDir(const std::string& stem) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(tmp ? tmp : "/tmp", "/", stem, "-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

absl::StatusOr<std::unique_ptr<RedisProcess>> RedisProcess::Start(
    const std::string& dir, const std::vector<std::string>& extra_args,
    const std::string& password) {
  absl::Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int port = PickPort();
    const std::string node_dir = absl::StrCat(dir, "/", port);
    std::filesystem::create_directories(node_dir);
    std::vector<std::string> args = {"redis-server",
                                     "--port",
                                     absl::StrCat(port),
                                     "--bind",
                                     "127.0.0.1",
                                     "--dir",
                                     node_dir,
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--daemonize",
                                     "no"};
    if (!password.empty()) {
      args.insert(args.end(),
                  {"--requirepass", password, "--masterauth", password});
    }
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    const pid_t pid = Spawn(args, node_dir + "/log");
    std::unique_ptr<RedisProcess> p(new RedisProcess(port, pid));
    for (int i = 0; i < 200; ++i) {
      int status;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        p->pid_ = 0;
        last = absl::InternalError(absl::StrCat(
            "redis-server on port ", port, " exited; see ", node_dir, "/log"));
        break;
      }
      absl::StatusOr<std::string> pong = RunCommand(port, password, {"PING"});
      if (pong.ok()) return p;
      last = pong.status();
      absl::SleepFor(absl::Milliseconds(25));
    }
  }
  return last;
}

RedisProcess::~RedisProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    absl::SleepFor(absl::Milliseconds(20));
  }
  Kill9();
}

void RedisProcess::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = 0;
}

std::string RedisProcess::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

absl::StatusOr<std::unique_ptr<RedisClusterFixture>> RedisClusterFixture::Start(
    const RedisClusterFixtureOptions& options) {
  std::unique_ptr<RedisClusterFixture> f(new RedisClusterFixture());
  f->options_ = options;
  f->dir_ = MakeTempDir("strata-redis-cluster");
  const int n = options.masters * (1 + options.replicas);
  std::vector<std::string> create = {"redis-cli", "--no-auth-warning"};
  if (!options.password.empty()) {
    create.insert(create.end(), {"-a", options.password});
  }
  create.push_back("--cluster");
  create.push_back("create");
  for (int i = 0; i < n; ++i) {
    const std::string conf = absl::StrCat(f->dir_, "/nodes-", i, ".conf");
    absl::StatusOr<std::unique_ptr<RedisProcess>> p = RedisProcess::Start(
        f->dir_,
        {"--cluster-enabled", "yes", "--cluster-config-file", conf,
         "--cluster-node-timeout", absl::StrCat(options.node_timeout_ms)},
        options.password);
    if (!p.ok()) return p.status();
    create.push_back((*p)->address());
    f->nodes_.push_back(std::move(*p));
  }
  create.insert(
      create.end(),
      {"--cluster-replicas", absl::StrCat(options.replicas), "--cluster-yes"});
  const std::string log = f->dir_ + "/create.log";
  const pid_t pid = Spawn(create, log);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat("redis-cli --cluster create failed; see ", log));
  }
  if (absl::Status s = f->WaitHealthy(absl::Seconds(30)); !s.ok()) return s;
  return f;
}

RedisClusterFixture::~RedisClusterFixture() {
  nodes_.clear();  // stops every process
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::vector<std::string> RedisClusterFixture::seeds() const {
  std::vector<std::string> out;
  for (const auto& p : nodes_) out.push_back(p->address());
  return out;
}

absl::StatusOr<std::string> RedisClusterFixture::Command(
    int port, const std::vector<std::string>& args) {
  return RunCommand(port, options_.password, args);
}

RedisProcess* RedisClusterFixture::Process(int port) {
  for (const auto& p : nodes_) {
    if (p->port() == port) return p.get();
  }
  return nullptr;
}

absl::StatusOr<std::string> RedisClusterFixture::NodeId(int port) {
  return Command(port, {"CLUSTER", "MYID"});
}

void RedisClusterFixture::Kill9(int port) {
  if (RedisProcess* p = Process(port)) p->Kill9();
}

}  // namespace strata::testing
