// strata-server: opens the data dir, loads every model, serves gRPC until
// SIGTERM/SIGINT, then drains in-flight calls and exits 0.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <malloc.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "engine/batch/batcher.h"
#include "engine/cuda/device_info.h"
#include "engine/model/model_registry.h"
#include "engine/model/model_store.h"
#include "engine/store/redis/redis_cluster_client.h"
#include "server/admin_service.h"
#include "server/diagnostics_service.h"
#include "server/embedding_service.h"
#include "server/lookup_handler.h"
#include "server/message_pool.h"
#include "server/server_options.h"
#include "server/update_sidecar.h"

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

int WaitForSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

int Serve(const ServerOptions& options) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("strata-server"));
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  spdlog::info("strata-server starting; {}", CudaDescription());

  ModelStoreOptions store_options;
  store_options.block_cache_bytes = options.block_cache_bytes;
  auto store = ModelStore::Open(options.data_dir, store_options);
  if (!store.ok()) {
    spdlog::error("{}", std::string(store.status().message()));
    return 1;
  }
  RegistryOptions registry_options;
  registry_options.hash_map_capacity_bytes = options.hash_map_capacity_bytes;
  if (!options.redis_cluster.empty()) {
    RedisClusterOptions redis;
    redis.seeds = absl::StrSplit(options.redis_cluster, ',', absl::SkipEmpty());
    redis.user = options.redis_user;
    redis.password = options.redis_password;
    redis.read_timeout_ms = options.redis_timeout_ms;
    redis.write_timeout_ms = options.redis_timeout_ms;
    auto client = RedisClusterClient::Connect(redis);
    if (!client.ok()) {
      spdlog::error("redis_cluster: {}",
                    std::string(client.status().message()));
      return 1;
    }
    registry_options.redis = std::move(*client);
    registry_options.redis_capacity_bytes = options.redis_capacity_bytes;
    registry_options.redis_partitions = options.redis_partitions;
    spdlog::info("Redis Cluster tier via {}", options.redis_cluster);
  }
  auto registry = ModelRegistry::Open(store->get(), registry_options);
  if (!registry.ok()) {
    spdlog::error("loading models from {}: {}", options.data_dir,
                  std::string(registry.status().message()));
    return 1;
  }
  for (const auto& model : (*registry)->List()) {
    spdlog::info("serving model {} version {} ({} tables)", model->name(),
                 model->version(), model->tables().size());
  }
  if ((*registry)->List().empty()) {
    spdlog::warn("no models in {}; import one with `strata import`",
                 options.data_dir);
  }

  // Online updates: the Applier always (PushUpdates), Kafka when configured.
  UpdateSidecarOptions update_options;
  update_options.kafka.brokers = options.kafka_brokers;
  update_options.kafka.topic_prefix = options.kafka_topic_prefix;
  update_options.kafka.hps_topics = options.kafka_hps_topics;
  update_options.kafka.metadata_refresh_ms = options.kafka_metadata_refresh_ms;
  auto updates =
      UpdateSidecar::Start(update_options, store->get(), registry->get());
  if (!updates.ok()) {
    spdlog::error("updates: {}", std::string(updates.status().message()));
    return 1;
  }

  BatcherOptions batcher_options;
  batcher_options.workers = options.worker_threads;
  batcher_options.max_batch_keys = options.max_batch_keys;
  batcher_options.max_queue_delay_us = options.max_queue_delay_us;
  batcher_options.max_queued_jobs = options.max_queued_requests;
  batcher_options.hit_rate_threshold = options.hit_rate_threshold;
  batcher_options.miss_budget_us = options.miss_budget_us;
  if (absl::Status s = batcher_options.Validate(); !s.ok()) {
    spdlog::error("{}", std::string(s.message()));
    return 1;
  }
  const uint32_t workers =
      options.worker_threads != 0
          ? options.worker_threads
          : std::max(1u, std::thread::hardware_concurrency());
  auto batcher = std::make_unique<Batcher>(batcher_options);
  LookupHandler handler(registry->get(), options.max_keys_per_request);
  EmbeddingService embedding(&handler, batcher.get());
  // Recycle Lookup messages (and their reply buffers) across calls.
  MessagePool<v1::LookupRequest, v1::LookupResponse> lookup_messages(
      /*max_pooled=*/256, /*max_pooled_bytes=*/8 << 20,
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
  AdminService admin(registry->get(), &handler, updates->get());
  DiagnosticsService diagnostics(options.max_message_bytes);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(),
                           &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  builder.RegisterService(&embedding);
  builder.RegisterService(&admin);
  builder.RegisterService(&diagnostics);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    spdlog::error("cannot listen on {} (address in use or invalid?)",
                  options.listen);
    return 1;
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  health->SetServingStatus(true);
  if (!options.port_file.empty() && !WritePortFile(options.port_file, port)) {
    spdlog::error("cannot write port file {}", options.port_file);
    return 1;
  }
  spdlog::info("serving on port {} with {} workers (data dir {})", port,
               workers, options.data_dir);

  int sig = WaitForSignal();
  spdlog::info("signal {}: NOT_SERVING, draining for up to {} ms", sig,
               options.shutdown_grace_ms);
  health->SetServingStatus(false);
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(options.shutdown_grace_ms));
  spdlog::debug("grpc shutdown done");
  batcher.reset();  // finishes every queued call
  spdlog::debug("workers stopped");
  server->Wait();
  (*updates)->Stop();
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

  // Block the stop signals in every thread; main takes them with sigwait.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  strata::ServerOptions options;
  int code = strata::ParseServerOptions(argc, argv, &options);
  if (code >= 0) return code;
  return strata::Serve(options);
}
