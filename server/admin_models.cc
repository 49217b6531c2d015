// AdminService's model calls: LoadModel, GetModel, UnloadModel,
// ServeVersion and StreamSnapshot. Each reads or writes the data dir, so each
// runs on one of the service's pools, never inside the reaction.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/admin_service.h"
#include "server/grpc_status.h"
#include "server/snapshot_stream.h"

namespace strata {
namespace {

void ToProto(const LoadStatus& s, v1::LoadStatus* out) {
  out->set_version(s.version);
  out->set_state(LoadStateName(s.state));
  out->set_rows_done(s.rows_done);
  out->set_rows_total(s.rows_total);
  out->set_seconds(s.seconds);
  out->set_error(s.error);
  const bool running =
      s.state == LoadState::kWriting || s.state == LoadState::kIngesting;
  if (s.seconds > 0 && s.rows_done > 0) {
    const double rate = s.rows_done / s.seconds;
    out->set_rows_per_s(rate);
    if (running && s.rows_total > s.rows_done) {
      out->set_eta_s((s.rows_total - s.rows_done) / rate);
    }
  }
}

// A StreamSnapshot call refused before it starts.
class RefusedStream final : public grpc::ServerWriteReactor<v1::SnapshotChunk> {
 public:
  void OnDone() override { delete this; }
};

absl::Status NeedName(const std::string& name) {
  if (name.empty()) return absl::InvalidArgumentError("request names no model");
  return ValidateName("model", name);
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::RunModelCall(
    grpc::CallbackServerContext* context, std::function<absl::Status()> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status denied = auth_->Check(*context); !denied.ok()) {
    reactor->Finish(denied);
    return reactor;
  }
  bool queued = model_pool_.TrySubmit([reactor, work = std::move(work)] {
    reactor->Finish(ToGrpcStatus(work()));
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "model calls are queued up; retry later"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::LoadModel(
    grpc::CallbackServerContext* context, const v1::LoadModelRequest* request,
    v1::LoadModelResponse* response) {
  return RunModelCall(context, [this, request, response]() -> absl::Status {
    if (loader_ == nullptr) {
      return absl::UnavailableError("this server does not load models");
    }
    if (absl::Status s = NeedName(request->name()); !s.ok()) return s;
    if (request->source_dir().empty()) {
      return absl::InvalidArgumentError("LoadModel needs a source_dir");
    }
    LoadRequest load;
    load.model = request->name();
    load.version = request->version();
    load.source_dir = request->source_dir();
    load.import.dim = request->dim();
    load.import.default_value = request->default_value();
    load.import.default_row = request->default_row();
    load.import.update_offsets = {request->update_offsets().begin(),
                                  request->update_offsets().end()};
    load.serve = !request->stage_only();
    if (load.version != 0) {
      absl::StatusOr<std::vector<uint64_t>> stored =
          registry_->StoredVersions(load.model);
      if (!stored.ok()) return stored.status();
      if (std::find(stored->begin(), stored->end(), load.version) !=
          stored->end()) {
        return absl::AlreadyExistsError(absl::StrCat(
            "model ", load.model, " version ", load.version,
            " is already stored; delete it first or pick another version"));
      }
    }
    absl::StatusOr<LoadStatus> status = loader_->Submit(std::move(load));
    if (!status.ok()) return status.status();
    ToProto(*status, response->mutable_load());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminService::GetModel(
    grpc::CallbackServerContext* context, const v1::GetModelRequest* request,
    v1::GetModelResponse* response) {
  return RunModelCall(context, [this, request, response]() -> absl::Status {
    if (absl::Status s = NeedName(request->name()); !s.ok()) return s;
    const std::string& name = request->name();
    absl::StatusOr<std::vector<uint64_t>> stored =
        registry_->StoredVersions(name);
    if (!stored.ok()) return stored.status();
    std::optional<LoadStatus> load =
        loader_ != nullptr ? loader_->Status(name) : std::nullopt;
    std::vector<uint64_t> loaded = registry_->LoadedVersions(name);
    if (stored->empty() && loaded.empty() && !load.has_value()) {
      return absl::NotFoundError(absl::StrCat("no model ", name));
    }
    response->set_name(name);
    if (std::shared_ptr<const Model> serving = registry_->Find(name)) {
      response->set_serving_version(serving->version());
    }
    for (uint64_t v : loaded) response->add_loaded_versions(v);
    for (uint64_t v : *stored) response->add_stored_versions(v);
    if (load.has_value()) ToProto(*load, response->mutable_load());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminService::UnloadModel(
    grpc::CallbackServerContext* context, const v1::UnloadModelRequest* request,
    v1::UnloadModelResponse*) {
  return RunModelCall(context, [this, request]() -> absl::Status {
    if (absl::Status s = NeedName(request->name()); !s.ok()) return s;
    const std::string& name = request->name();
    if (request->version() != 0) {
      if (!request->delete_data()) {
        return absl::InvalidArgumentError(
            "a version is unloaded by deleting it (delete_data), or by "
            "serving another one (ServeVersion); version 0 unloads the model");
      }
      return registry_->DeleteVersion(name, request->version());
    }
    absl::Status unloaded = registry_->Unload(name);
    if (!request->delete_data()) return unloaded;
    if (!unloaded.ok() && !absl::IsNotFound(unloaded)) return unloaded;
    absl::StatusOr<std::vector<uint64_t>> stored =
        registry_->StoredVersions(name);
    if (!stored.ok()) return stored.status();
    if (stored->empty() && absl::IsNotFound(unloaded)) return unloaded;
    for (uint64_t v : *stored) {
      if (absl::Status s = registry_->DeleteVersion(name, v); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminService::ServeVersion(
    grpc::CallbackServerContext* context,
    const v1::ServeVersionRequest* request, v1::ServeVersionResponse*) {
  return RunModelCall(context, [this, request]() -> absl::Status {
    if (absl::Status s = NeedName(request->name()); !s.ok()) return s;
    if (request->version() == 0) {
      return absl::InvalidArgumentError("ServeVersion needs a version");
    }
    return registry_->ServeStored(request->name(), request->version());
  });
}

grpc::ServerWriteReactor<v1::SnapshotChunk>* AdminService::StreamSnapshot(
    grpc::CallbackServerContext* context,
    const v1::StreamSnapshotRequest* request) {
  if (grpc::Status denied = auth_->Check(*context); !denied.ok()) {
    auto* refused = new RefusedStream();
    refused->Finish(denied);
    return refused;
  }
  if (absl::Status s = NeedName(request->name()); !s.ok()) {
    auto* refused = new RefusedStream();
    refused->Finish(ToGrpcStatus(s));
    return refused;
  }
  return SnapshotStream::Start(registry_, &snapshot_pool_, *request);
}

}  // namespace strata
