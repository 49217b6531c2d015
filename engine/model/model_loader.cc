#include "engine/model/model_loader.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"

namespace strata {

const char* LoadStateName(LoadState state) {
  switch (state) {
    case LoadState::kQueued:
      return "queued";
    case LoadState::kWriting:
      return "writing";
    case LoadState::kIngesting:
      return "ingesting";
    case LoadState::kOpening:
      return "opening";
    case LoadState::kServing:
      return "serving";
    case LoadState::kStaged:
      return "staged";
    case LoadState::kFailed:
      return "failed";
  }
  return "unknown";
}

ModelLoader::ModelLoader(ModelStore* store, ModelRegistry* registry)
    : store_(store), registry_(registry), thread_([this] { Run(); }) {}

ModelLoader::~ModelLoader() { Stop(); }

absl::StatusOr<LoadStatus> ModelLoader::Submit(LoadRequest request) {
  STRATA_RETURN_IF_ERROR(ValidateName("model", request.model));
  if (request.source_dir.empty() && request.import.tables.empty()) {
    return absl::InvalidArgumentError("a load needs a source folder");
  }
  // Size checks now, so a bad source is refused before anything is queued.
  STRATA_ASSIGN_OR_RETURN(
      std::vector<TableSpec> tables,
      InspectHugeCtrModel(request.source_dir, request.import));
  uint64_t rows = 0;
  for (const TableSpec& t : tables) rows += t.rows;

  absl::MutexLock lock(&mu_);
  if (stop_.load()) return absl::UnavailableError("the server is stopping");
  if (auto it = latest_.find(request.model); it != latest_.end()) {
    const LoadState s = it->second->status.state;
    if (s != LoadState::kServing && s != LoadState::kStaged &&
        s != LoadState::kFailed) {
      return absl::FailedPreconditionError(absl::StrCat(
          "model ", request.model, " version ", it->second->status.version,
          " is still loading (", LoadStateName(s), ")"));
    }
  }
  if (queue_.size() >= kMaxQueued) {
    return absl::ResourceExhaustedError(
        absl::StrCat(kMaxQueued, " loads are queued; wait for one to finish"));
  }
  if (request.version == 0) {
    STRATA_ASSIGN_OR_RETURN(request.version,
                            store_->NextVersion(request.model));
  }
  request.import.version = request.version;
  auto job = std::make_shared<Job>();
  job->status.model = request.model;
  job->status.version = request.version;
  job->status.rows_total = rows;
  job->request = std::move(request);
  queue_.push_back(job);
  latest_[job->status.model] = job;
  return job->status;
}

std::optional<LoadStatus> ModelLoader::Status(const std::string& model) const {
  absl::MutexLock lock(&mu_);
  auto it = latest_.find(model);
  if (it == latest_.end()) return std::nullopt;
  return it->second->status;
}

void ModelLoader::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stop_.exchange(true)) return;
    for (const std::shared_ptr<Job>& job : queue_) {
      job->status.state = LoadState::kFailed;
      job->status.error = "the server stopped before the load ran";
    }
    queue_.clear();
  }
  thread_.join();
}

void ModelLoader::Run() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stop_.load() || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stop_.load()) return;
      job = queue_.front();
      queue_.pop_front();
    }
    Execute(job.get());
    registry_->ReleaseDeleted();
  }
}

void ModelLoader::SetStatus(Job* job, LoadState state, std::string error) {
  absl::MutexLock lock(&mu_);
  job->status.state = state;
  if (!error.empty()) job->status.error = std::move(error);
}

void ModelLoader::Execute(Job* job) {
  const LoadRequest& request = job->request;
  const std::string id = ModelStore::VersionId(request.model, request.version);
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  spdlog::info("loading {} from {}", id,
               request.source_dir.empty() ? std::string("its table folders")
                                          : request.source_dir);
  SetStatus(job, LoadState::kWriting);
  ImportOptions import = request.import;
  import.cancel = &stop_;
  double last_log_s = 0;
  import.progress =
      [ this, job, &elapsed, &id, &last_log_s ](const ImportProgress& p) {
        const double seconds = elapsed();
  if (seconds - last_log_s >= 5 && p.rows_total > 0) {
    last_log_s = seconds;
    spdlog::info("loading {}: {} {}%, {} of {} rows, {:.0f} rows/s", id,
                 p.phase, 100 * p.rows_done / p.rows_total, p.rows_done,
                 p.rows_total, p.rows_done / seconds);
  }
  absl::MutexLock lock(&mu_);
  job->status.rows_done = p.rows_done;
  job->status.rows_total = p.rows_total;
  job->status.seconds = seconds;
  job->status.state = std::string_view(p.phase) == "ingesting"
                          ? LoadState::kIngesting
                          : LoadState::kWriting;
};
absl::StatusOr<ModelManifest> manifest =
    ImportHugeCtrModel(store_, request.model, request.source_dir, import);
if (!manifest.ok()) {
  spdlog::error("loading {} failed: {}", id,
                std::string(manifest.status().message()));
  SetStatus(job, LoadState::kFailed, std::string(manifest.status().message()));
  return;
}
SetStatus(job, LoadState::kOpening);
absl::Status opened =
    request.serve ? registry_->Serve(*manifest) : registry_->Stage(*manifest);
if (!opened.ok()) {
  // Nothing half done: the stored version goes too.
  registry_->DeleteVersion(request.model, request.version).IgnoreError();
  spdlog::error("opening {} failed: {}", id, std::string(opened.message()));
  SetStatus(job, LoadState::kFailed, std::string(opened.message()));
  return;
}
{
  absl::MutexLock lock(&mu_);
  job->status.seconds = elapsed();
  job->status.rows_done = job->status.rows_total;
}
SetStatus(job, request.serve ? LoadState::kServing : LoadState::kStaged);
spdlog::info("{} {} after {:.1f} s ({} rows)", id,
             request.serve ? "serves" : "is staged", elapsed(),
             job->status.rows_total);
}  // namespace strata

}  // namespace strata
