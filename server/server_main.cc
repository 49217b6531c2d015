// strata-server: opens the data dir, loads every model, serves gRPC until
// SIGTERM/SIGINT, then drains in-flight calls and exits 0.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <malloc.h>
#include <semaphore.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "engine/builder/engine.h"
#include "engine/common/read_file.h"
#include "server/admin_service.h"
#include "server/bootstrap.h"
#include "server/diagnostics_service.h"
#include "server/embedding_service.h"
#include "server/infer_handler.h"
#include "server/lookup_handler.h"
#include "server/message_pool.h"
#include "server/metrics/call_metrics.h"
#include "server/metrics/engine_metrics.h"
#include "server/metrics/metrics_registry.h"
#include "server/metrics/metrics_server.h"
#include "server/security/admin_auth.h"
#include "server/security/server_credentials.h"
#include "server/server_options.h"
#include "server/startup_models.h"

namespace strata {
namespace {

bool WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

// SIGTERM/SIGINT run this handler on whichever thread the kernel picks
// (a sanitizer's or a library's own thread included, which a sigmask set in
// main would not cover), so neither the first signal nor a second one sent
// while draining can kill the process: the handler only wakes main.
sem_t stop_signal;
volatile sig_atomic_t stop_signal_number = 0;

void OnStopSignal(int sig) {
  if (stop_signal_number == 0) stop_signal_number = sig;
  sem_post(&stop_signal);  // async-signal-safe
}

void InstallStopHandlers() {
  sem_init(&stop_signal, 0, 0);
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int WaitForSignal() {
  while (sem_wait(&stop_signal) != 0) {
  }
  return stop_signal_number;
}

int Serve(const ServerOptions& options) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("strata-server"));
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  spdlog::info("strata-server starting; {}", Engine::DeviceDescription());

  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options.engine);
  if (!engine.ok()) {
    spdlog::error("{}", std::string(engine.status().message()));
    return 1;
  }
  ModelRegistry* registry = (*engine)->registry();
  if (!options.engine.redis_cluster.empty()) {
    spdlog::info("Redis Cluster tier via {}", options.engine.redis_cluster);
  }
  for (const auto& model : registry->List()) {
    spdlog::info("serving model {} version {} ({} tables{})", model->name(),
                 model->version(), model->tables().size(),
                 model->dense() != nullptr ? ", dense network" : "");
  }
  for (const std::string& warning : options.hps_warnings) {
    spdlog::warn("hps config: {}", warning);
  }
  absl::StatusOr<std::vector<std::string>> startup =
      SubmitStartupModels(options.hps_models, engine->get());
  if (!startup.ok()) {
    spdlog::error("{}", std::string(startup.status().message()));
    return 1;
  }
  if (registry->List().empty() && startup->empty()) {
    spdlog::warn("no models in {}; import one with `strata import`",
                 options.engine.data_dir);
  }
  Batcher* batcher = (*engine)->batcher();
  LookupHandler handler(registry, options.max_keys_per_request);
  InferHandler infer_handler(registry, options.max_keys_per_request);
  // The message pool's recycled buffers count against max_inflight_bytes
  // too: calls get what the pool may not keep.
  const uint64_t pooled_bytes =
      options.max_inflight_bytes == 0
          ? uint64_t{16} << 20
          : std::min<uint64_t>(uint64_t{16} << 20,
                               options.max_inflight_bytes / 4);
  InflightBudget budget(options.max_inflight_bytes == 0
                            ? 0
                            : options.max_inflight_bytes - pooled_bytes);
  EmbeddingService embedding(&handler, &infer_handler, batcher, &budget);
  // Recycle Lookup messages (and their reply buffers) across calls.
  MessagePool<v1::LookupRequest, v1::LookupResponse> lookup_messages(
      /*max_pooled=*/256, /*max_pooled_bytes=*/pooled_bytes,
      [](const v1::LookupRequest& request, const v1::LookupResponse& reply) {
        size_t bytes = request.tables_size() * 64;
        for (const v1::TableKeys& t : request.tables()) {
          bytes += t.keys().Capacity() * sizeof(int64_t);
        }
        for (const v1::TableRows& t : reply.tables()) {
          bytes += t.values().capacity() + t.is_default().Capacity();
        }
        return bytes;
      },
      // The reply keeps its shape: LookupCall overwrites every field, and a
      // same-shaped next request then reuses the row buffers as they are.
      [](v1::LookupRequest* request, v1::LookupResponse*) {
        request->Clear();
      });
  embedding.SetMessageAllocatorFor_Lookup(&lookup_messages);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(options.tls);
  if (!credentials.ok()) {
    spdlog::error("{}", std::string(credentials.status().message()));
    return 1;
  }
  absl::StatusOr<AdminAuth> admin_auth = AdminAuth::Create(
      {.token_file = options.admin_token_file,
       .allowed_sans = absl::StrSplit(options.admin_allowed_sans, ',',
                                      absl::SkipWhitespace())});
  if (!admin_auth.ok()) {
    spdlog::error("{}", std::string(admin_auth.status().message()));
    return 1;
  }
  AdminService admin(registry, &handler, &*admin_auth, (*engine)->updates(),
                     (*engine)->loader());
  DiagnosticsService diagnostics(options.max_message_bytes);

  MetricsRegistry metrics;
  AddEngineMetrics(&metrics, engine->get(), &handler, &infer_handler);
  AddInflightMetrics(&metrics, &budget);
  std::unique_ptr<MetricsServer> metrics_server;
  if (!options.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsServer>> started =
        MetricsServer::Start(options.metrics_listen, &metrics);
    if (!started.ok()) {
      spdlog::error("{}", std::string(started.status().message()));
      return 1;
    }
    metrics_server = *std::move(started);
    spdlog::info(
        "metrics on http://{}:{}/metrics",
        options.metrics_listen.substr(0, options.metrics_listen.rfind(':')),
        metrics_server->port());
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<CallMetricsFactory>(&metrics));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  int port = 0;
  builder.AddListeningPort(options.listen, *credentials, &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  // Calls past this many on one connection wait in the client, costing the
  // server nothing until they are sent.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             static_cast<int>(options.max_concurrent_streams));
  builder.RegisterService(&embedding);
  builder.RegisterService(&admin);
  if (options.enable_diagnostics) builder.RegisterService(&diagnostics);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    spdlog::error("cannot listen on {} (address in use or invalid{}?)",
                  options.listen,
                  options.tls.enabled()
                      ? ", or a certificate or key gRPC refused: see above"
                      : "");
    return 1;
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  // SERVING once the first start's imports and the bootstrap from a peer are
  // done (at once without either).
  std::unique_ptr<Bootstrap> bootstrap;
  if (!options.bootstrap_from.empty()) {
    absl::StatusOr<std::vector<ModelManifest>> any =
        registry->store().ListManifests();
    if (!any.ok()) {
      spdlog::error("{}", std::string(any.status().message()));
      return 1;
    }
    if (!any->empty()) {
      spdlog::info("data dir holds models: bootstrap_from {} not needed",
                   options.bootstrap_from);
    } else {
      std::string token;
      if (!options.admin_token_file.empty()) {
        absl::StatusOr<std::string> read =
            ReadWholeFile("admin token", options.admin_token_file);
        if (!read.ok()) {
          spdlog::error("{}", std::string(read.status().message()));
          return 1;
        }
        token = std::string(absl::StripAsciiWhitespace(*read));
      }
      bootstrap = std::make_unique<Bootstrap>(options.bootstrap_from, token,
                                              engine->get());
    }
  }
  std::atomic<bool> stopping{false};
  auto ready = [&] {
    return StartupModelsDone(*startup, engine->get()) &&
           (bootstrap == nullptr || bootstrap->done());
  };
  health->SetServingStatus(ready());
  std::thread startup_watch;
  if (!ready()) {
    startup_watch = std::thread([&] {
      while (!stopping.load()) {
        if (ready()) {
          spdlog::info("first-start models ready: SERVING");
          health->SetServingStatus(true);
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  if (metrics_server != nullptr && !options.metrics_port_file.empty() &&
      !WritePortFile(options.metrics_port_file, metrics_server->port())) {
    spdlog::error("cannot write port file {}", options.metrics_port_file);
    return 1;
  }
  if (!options.port_file.empty() && !WritePortFile(options.port_file, port)) {
    spdlog::error("cannot write port file {}", options.port_file);
    return 1;
  }
  spdlog::info("serving on port {} with {} workers (data dir {})", port,
               batcher->workers(), options.engine.data_dir);
  spdlog::info("transport: {}; admin calls: {}{}",
               !options.tls.enabled() ? "plaintext"
               : options.tls.mutual() ? "mutual TLS"
                                      : "TLS",
               admin_auth->Describe(),
               options.enable_diagnostics ? "; diagnostics (Echo) on" : "");

  int sig = WaitForSignal();
  spdlog::info("signal {}: NOT_SERVING, draining for up to {} ms", sig,
               options.shutdown_grace_ms);
  stopping = true;
  if (startup_watch.joinable()) startup_watch.join();
  bootstrap.reset();  // stops a copy in progress
  health->SetServingStatus(false);
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(options.shutdown_grace_ms));
  spdlog::debug("grpc shutdown done");
  metrics_server.reset();    // scrapes read the batcher, stopped next
  (*engine)->StopLookups();  // finishes every queued call
  spdlog::debug("workers stopped");
  server->Wait();
  (*engine)->Stop();
  spdlog::debug("updates stopped");
  spdlog::info("stopped");
  return 0;
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  // Replies are large (a 128-sample Criteo request answers ~850 KB) and
  // short-lived: keep such blocks in the heap instead of mmap/munmap per
  // call, and stop glibc from trimming the heap back after every burst.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
  // Debian's abseil is built with deadlock detection on, which costs a graph
  // update per lock on the request path; the tests and TSan cover ordering.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  strata::InstallStopHandlers();

  strata::ServerOptions options;
  int code = strata::ParseServerOptions(argc, argv, &options);
  if (code >= 0) return code;
  return strata::Serve(options);
}
