#include "server/admin_service.h"

#include <map>
#include <string>
#include <vector>

#include "engine/update/update_codec.h"

namespace strata {

grpc::ServerUnaryReactor* AdminService::ListModels(
    grpc::CallbackServerContext* context, const v1::ListModelsRequest*,
    v1::ListModelsResponse* response) {
  for (const auto& model : registry_->List()) {
    v1::ModelInfo* info = response->add_models();
    info->set_name(model->name());
    info->set_version(model->version());
    for (const TableSpec& t : model->manifest().tables) {
      v1::TableInfo* table = info->add_tables();
      table->set_name(t.name);
      table->set_dim(t.dim);
      table->set_rows(t.rows);
      table->set_default_value(t.default_value);
      table->set_default_row(t.default_row);
    }
    if (const DenseModel* dense = model->dense(); dense != nullptr) {
      const DenseNetwork& net = dense->network();
      for (size_t i = 0; i < net.inputs().size(); ++i) {
        v1::DenseTensorInfo* in = info->add_dense_inputs();
        in->set_name(net.inputs()[i].name);
        for (int64_t d : net.inputs()[i].dims) in->add_shape(d);
        in->set_binding(dense->spec().bindings[i].ToString());
      }
      for (const TensorSignature& out : net.outputs()) {
        v1::DenseTensorInfo* o = info->add_dense_outputs();
        o->set_name(out.name);
        for (int64_t d : out.dims) o->add_shape(d);
      }
    }
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::GetStats(
    grpc::CallbackServerContext* context, const v1::GetStatsRequest*,
    v1::GetStatsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status denied = auth_->Check(*context); !denied.ok()) {
    reactor->Finish(denied);
    return reactor;
  }
  // Summed over every table of every serving model, per tier name, in chain
  // order of first appearance.
  std::map<std::string, v1::TierStats*> by_name;
  for (const auto& model : registry_->List()) {
    for (const auto& [name, table] : model->tables()) {
      for (const auto& tier : table.chain->tiers()) {
        v1::TierStats*& out = by_name[tier->name()];
        if (out == nullptr) {
          out = response->add_tiers();
          out->set_tier(tier->name());
        }
        TierStats s = tier->Stats();
        out->set_lookups(out->lookups() + s.lookups);
        out->set_hits(out->hits() + s.hits);
        out->set_rows(out->rows() + s.rows);
        out->set_bytes(out->bytes() + s.bytes);
      }
    }
  }
  const LookupCounters& c = handler_->counters();
  response->set_lookup_requests(c.requests.load(std::memory_order_relaxed));
  response->set_lookup_keys(c.keys.load(std::memory_order_relaxed));
  response->set_default_rows(c.default_rows.load(std::memory_order_relaxed));
  if (updates_ != nullptr) {
    UpdateSidecarStats u = updates_->stats();
    v1::UpdateStats* out = response->mutable_updates();
    out->set_applied_messages(u.applier.applied_messages);
    out->set_applied_rows(u.applier.applied_rows);
    out->set_skipped_messages(u.kafka.skipped_messages +
                              u.kafka.stale_messages);
    out->set_lost_messages(u.kafka.lost_messages);
    out->set_lag(u.kafka.lag);
    out->set_assigned_partitions(u.kafka.assigned_partitions);
    out->set_kafka_enabled(u.kafka_enabled);
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::PushUpdates(
    grpc::CallbackServerContext* context, const v1::PushUpdatesRequest* request,
    v1::PushUpdatesResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status denied = auth_->Check(*context); !denied.ok()) {
    reactor->Finish(denied);
    return reactor;
  }
  if (updates_ == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 "updates are not enabled on this server"));
    return reactor;
  }
  // The write is disk I/O: never inside the reaction.
  bool queued = push_pool_.TrySubmit([this, request, response, reactor] {
    std::vector<DecodedUpdate> updates;
    for (const v1::UpdateBatch& batch : request->batches()) {
      absl::StatusOr<DecodedUpdate> u = FromUpdateBatch(batch);
      if (!u.ok()) {
        reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                     std::string(u.status().message())));
        return;
      }
      updates.push_back(std::move(*u));
    }
    absl::StatusOr<uint64_t> rows = updates_->applier()->Apply(updates);
    if (!rows.ok()) {
      reactor->Finish(
          grpc::Status(static_cast<grpc::StatusCode>(rows.status().code()),
                       std::string(rows.status().message())));
      return;
    }
    response->set_applied_rows(*rows);
    reactor->Finish(grpc::Status::OK);
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "update queue is full; retry with backoff"));
  }
  return reactor;
}

}  // namespace strata
