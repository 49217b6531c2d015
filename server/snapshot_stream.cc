#include "server/snapshot_stream.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/model/snapshot.h"
#include "server/grpc_status.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
constexpr size_t kChunkBytes = 1 << 20;

// The snapshot's files in sending order: data first, the description last.
std::vector<std::string> SendingOrder(const SnapshotInfo& info,
                                      const std::string& dir) {
  std::vector<std::string> files;
  for (const SnapshotTable& t : info.tables) {
    files.push_back(absl::StrCat(t.name, ".model/key"));
    files.push_back(absl::StrCat(t.name, ".model/emb_vector"));
  }
  if (fs::exists(dir + "/dense.onnx")) files.push_back("dense.onnx");
  files.push_back(kSnapshotFile);
  return files;
}

}  // namespace

SnapshotStream* SnapshotStream::Start(
    const ModelRegistry* registry, WorkerPool* pool,
    const v1::StreamSnapshotRequest& request) {
  auto* stream = new SnapshotStream(registry, request);
  if (!pool->TrySubmit([stream] { stream->Run(); })) {
    stream->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                "snapshot streams are busy; retry later"));
  }
  return stream;
}

void SnapshotStream::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  write_pending_ = false;
  write_ok_ = ok;
}

void SnapshotStream::OnCancel() { cancelled_ = true; }

bool SnapshotStream::Write(const v1::SnapshotChunk& chunk) {
  {
    absl::MutexLock lock(&mu_);
    write_pending_ = true;
  }
  StartWrite(&chunk);
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](bool* pending) { return !*pending; }, &write_pending_));
  return write_ok_ && !cancelled_.load();
}

void SnapshotStream::Run() {
  static std::atomic<uint64_t> next_id{0};
  const std::string dir =
      absl::StrCat(registry_->store().data_dir(), "/snapshot-tmp/",
                   request_.name(), "-", getpid(), "-", next_id++);
  grpc::Status status = Send(dir);
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  Finish(status);  // the last touch of `this`: OnDone may delete it now
}

grpc::Status SnapshotStream::Send(const std::string& dir) {
  // Holding the Model keeps its rows from being deleted while they are read.
  std::shared_ptr<const Model> model =
      registry_->Find(request_.name(), request_.version());
  if (model == nullptr) {
    return grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        request_.version() == 0
            ? absl::StrCat("model ", request_.name(), " is not serving")
            : absl::StrCat("model ", request_.name(), " version ",
                           request_.version(), " is not loaded"));
  }
  absl::StatusOr<SnapshotInfo> info = ExportSnapshot(
      registry_->store(), model->manifest(), dir, nullptr, &cancelled_);
  if (!info.ok()) return ToGrpcStatus(info.status());
  spdlog::info("streaming a snapshot of {}@{}", info->model, info->version);
  v1::SnapshotChunk chunk;
  std::vector<char> buffer(kChunkBytes);
  for (const std::string& file : SendingOrder(*info, dir)) {
    std::ifstream in(absl::StrCat(dir, "/", file), std::ios::binary);
    if (!in) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "cannot read " + file);
    }
    bool first = true;
    while (first || in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      const std::streamsize n = in.gcount();
      if (n == 0 && !first) break;
      chunk.set_file(file);
      chunk.set_data(buffer.data(), static_cast<size_t>(n));
      if (!Write(chunk)) {
        return grpc::Status(grpc::StatusCode::CANCELLED,
                            "the client went away");
      }
      first = false;
    }
  }
  return grpc::Status::OK;
}

}  // namespace strata
