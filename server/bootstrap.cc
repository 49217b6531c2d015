#include "server/bootstrap.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "strata/v1/admin.grpc.pb.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

void SetDeadline(grpc::ClientContext* context, std::chrono::seconds within,
                 const std::string& token) {
  context->set_deadline(std::chrono::system_clock::now() + within);
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
}

}  // namespace

Bootstrap::Bootstrap(std::string peer, std::string token, Engine* engine)
    : peer_(std::move(peer)),
      token_(std::move(token)),
      engine_(engine),
      thread_([this] { Run(); }) {}

Bootstrap::~Bootstrap() {
  stop_ = true;
  thread_.join();
}

void Bootstrap::Run() {
  auto stub = v1::Admin::NewStub(
      grpc::CreateChannel(peer_, grpc::InsecureChannelCredentials()));
  std::map<std::string, uint64_t> pending;  // model -> the peer's version
  bool listed = false;
  while (!stop_.load()) {
    if (!listed) {
      grpc::ClientContext context;
      SetDeadline(&context, std::chrono::seconds(30), token_);
      v1::ListModelsResponse models;
      grpc::Status s =
          stub->ListModels(&context, v1::ListModelsRequest(), &models);
      if (s.ok()) {
        for (const v1::ModelInfo& m : models.models()) {
          pending[m.name()] = m.version();
        }
        listed = true;
        spdlog::info("bootstrap: copying {} models from {}", pending.size(),
                     peer_);
      } else {
        spdlog::warn("bootstrap: listing models of {}: {}; retrying", peer_,
                     s.error_message());
      }
    }
    while (listed && !pending.empty() && !stop_.load()) {
      auto [name, version] = *pending.begin();
      if (!CopyModel(name, version)) break;
      pending.erase(pending.begin());
    }
    if (listed && pending.empty()) {
      spdlog::info("bootstrap from {} done", peer_);
      done_ = true;
      return;
    }
    for (int i = 0; i < 20 && !stop_.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

bool Bootstrap::CopyModel(const std::string& name, uint64_t version) {
  const std::string dir = absl::StrCat(engine_->registry()->store().data_dir(),
                                       "/bootstrap-tmp/", name);
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  auto stub = v1::Admin::NewStub(
      grpc::CreateChannel(peer_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  SetDeadline(&context, std::chrono::hours(24), token_);
  v1::StreamSnapshotRequest request;
  request.set_name(name);
  request.set_version(version);
  std::unique_ptr<grpc::ClientReader<v1::SnapshotChunk>> reader =
      stub->StreamSnapshot(&context, request);
  v1::SnapshotChunk chunk;
  std::string open_file;
  std::ofstream out;
  uint64_t bytes = 0;
  while (reader->Read(&chunk)) {
    if (stop_.load()) context.TryCancel();
    if (chunk.file() != open_file) {
      out.close();
      const fs::path path = fs::path(dir) / chunk.file();
      // The peer names files inside the snapshot; nothing may escape it.
      if (chunk.file().empty() ||
          chunk.file().find("..") != std::string::npos ||
          fs::path(chunk.file()).is_absolute()) {
        context.TryCancel();
        break;
      }
      fs::create_directories(path.parent_path(), ec);
      out.open(path, std::ios::binary | std::ios::trunc);
      open_file = chunk.file();
    }
    out.write(chunk.data().data(),
              static_cast<std::streamsize>(chunk.data().size()));
    bytes += chunk.data().size();
  }
  out.close();
  grpc::Status s = reader->Finish();
  if (!s.ok() || !out) {
    spdlog::warn("bootstrap: streaming {}@{} from {}: {}; retrying", name,
                 version, peer_, s.ok() ? "cannot write" : s.error_message());
    return false;
  }
  spdlog::info("bootstrap: received {}@{} ({} MB); loading", name, version,
               bytes >> 20);
  LoadRequest load;
  load.model = name;
  load.version = version;
  load.source_dir = dir;
  absl::StatusOr<LoadStatus> queued = engine_->loader()->Submit(load);
  if (!queued.ok()) {
    spdlog::error("bootstrap: loading {}@{}: {}", name, version,
                  std::string(queued.status().message()));
    return false;
  }
  for (;;) {
    std::optional<LoadStatus> status = engine_->loader()->Status(name);
    if (status.has_value() && status->state == LoadState::kServing) break;
    if (!status.has_value() || status->state == LoadState::kFailed ||
        stop_.load()) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  fs::remove_all(dir, ec);
  return true;
}

}  // namespace strata
