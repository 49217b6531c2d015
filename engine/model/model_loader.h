// ModelLoader: loads model versions while the server serves. A load imports
// a HugeCTR sparse model into the store (SST files, ingested whole; see
// hugectr_importer.h) on the loader's own thread, then hands the new version
// to the registry, which either switches the model's serving pointer to it
// atomically or stages it for pinned requests. Requests in flight finish on
// the version they started with; a failed load leaves no trace and the
// serving version serves on.
//
// Loads run one at a time, in submission order; a model has at most one load
// queued or running. The latest load of each model stays readable (progress,
// rate, the error of a failed one) until the next load of that model.
//
// Ownership: borrows the store and the registry, which must outlive it.
// Thread safety: all methods are safe for concurrent calls.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/model/hugectr_importer.h"
#include "engine/model/model_registry.h"
#include "engine/model/model_store.h"

namespace strata {

struct LoadRequest {
  std::string model;
  // The version to create; 0 = one above the newest stored.
  uint64_t version = 0;
  // A HugeCTR sparse model folder (<table>.model/{key,emb_vector}) on the
  // server's disk; empty when import.tables lists every table's folder.
  std::string source_dir;
  // dim, default rows, per-table folders, update offsets, dense graph
  // (progress and cancel are the loader's).
  ImportOptions import;
  // false: stage the version (pinned requests only) instead of serving it.
  bool serve = true;
};

enum class LoadState : uint8_t {
  kQueued,
  kWriting,    // rows into SST files
  kIngesting,  // SST files into the store
  kOpening,    // building the version's tiers
  kServing,    // done: the model's serving version
  kStaged,     // done: loaded for pinned requests
  kFailed,
};
const char* LoadStateName(LoadState state);

struct LoadStatus {
  std::string model;
  uint64_t version = 0;
  LoadState state = LoadState::kQueued;
  uint64_t rows_done = 0;
  uint64_t rows_total = 0;
  double seconds = 0;  // since the load started running (0 while queued)
  std::string error;   // why it failed
};

class ModelLoader {
 public:
  ModelLoader(ModelStore* store, ModelRegistry* registry);
  ~ModelLoader();  // Stop()

  ModelLoader(const ModelLoader&) = delete;
  ModelLoader& operator=(const ModelLoader&) = delete;

  // Checks the request and its source's file sizes at once (a bad name,
  // missing or unreadable files, sizes or dims that disagree are
  // INVALID_ARGUMENT / NOT_FOUND here), then queues the load. Returns its
  // status, version included. FAILED_PRECONDITION while a load of the same
  // model is queued or running; RESOURCE_EXHAUSTED when too many are queued;
  // UNAVAILABLE once stopped.
  [[nodiscard]] absl::StatusOr<LoadStatus> Submit(LoadRequest request);

  // The latest load of `model`, or nullopt when there was none.
  std::optional<LoadStatus> Status(const std::string& model) const;

  // Cancels the running load (it leaves nothing behind), fails the queued
  // ones, and joins the thread. Idempotent.
  void Stop();

 private:
  struct Job {
    LoadRequest request;
    LoadStatus status;
  };
  static constexpr size_t kMaxQueued = 16;

  void Run();
  void Execute(Job* job);
  void SetStatus(Job* job, LoadState state, std::string error = "");

  // Constant after construction.
  ModelStore* const store_;
  ModelRegistry* const registry_;

  std::atomic<bool> stop_{false};  // also cancels the running import
  mutable absl::Mutex mu_;
  std::deque<std::shared_ptr<Job>> queue_ ABSL_GUARDED_BY(mu_);
  // The latest job of each model (queued, running or finished).
  std::map<std::string, std::shared_ptr<Job>> latest_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace strata
