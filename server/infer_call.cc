#include "server/infer_call.h"

#include <bit>
#include <cstring>
#include <utility>

#include "server/grpc_status.h"

namespace strata {

static_assert(std::endian::native == std::endian::little,
              "dense features and outputs travel as little-endian float32");

InferCall::InferCall(grpc::CallbackServerContext* context,
                     const v1::InferRequest* request,
                     v1::InferResponse* response,
                     grpc::ServerUnaryReactor* reactor, ValidInfer valid,
                     InferHandler* handler)
    : context_(context),
      request_(request),
      response_(response),
      reactor_(reactor),
      model_(std::move(valid.model)),
      entries_(std::move(valid.table_entries)),
      handler_(handler) {
  const std::vector<std::string>& bound = model_->dense()->tables();
  tables_.resize(bound.size());
  rows_.resize(bound.size());
  for (size_t i = 0; i < bound.size(); ++i) {
    const Model::Table* table = model_->FindTable(bound[i]);  // validated
    const v1::TableKeys& t = entry(i);
    const size_t n = static_cast<size_t>(t.keys_size());
    rows_[i].resize(n * table->spec.dim);
    tables_[i].chain = table->chain.get();
    tables_[i].keys = absl::MakeConstSpan(t.keys().data(), n);
    tables_[i].values = absl::MakeSpan(rows_[i]);
  }
}

absl::Span<const float> InferCall::dense_features() const {
  const std::string& bytes = request_->dense();
  // Protobuf keeps bytes in a heap (or inline, pointer-aligned) buffer.
  return absl::MakeConstSpan(reinterpret_cast<const float*>(bytes.data()),
                             bytes.size() / sizeof(float));
}

InferJob::Bags InferCall::bags(size_t table) const {
  const v1::TableKeys& t = entry(table);
  Bags b;
  b.offsets = absl::MakeConstSpan(t.offsets().data(), t.offsets_size());
  b.pooling = t.pooling() == v1::MEAN ? BagPooling::kMean : BagPooling::kSum;
  return b;
}

void InferCall::TakeOutputs(const DenseSession& session, int64_t first) {
  const DenseNetwork& net = model_->dense()->network();
  const int64_t batch = samples();
  response_->clear_outputs();
  for (size_t j = 0; j < net.outputs().size(); ++j) {
    const DenseSession::Output& out = session.output(j);
    int64_t per_sample = 1;
    for (size_t d = 1; d < out.shape.size(); ++d) per_sample *= out.shape[d];
    v1::InferOutput* reply = response_->add_outputs();
    reply->set_name(net.outputs()[j].name);
    reply->add_shape(batch);
    for (size_t d = 1; d < out.shape.size(); ++d)
      reply->add_shape(out.shape[d]);
    const float* from = out.values.data() + first * per_sample;
    reply->set_values(reinterpret_cast<const char*>(from),
                      size_t(batch * per_sample) * sizeof(float));
  }
}

void InferCall::Finish(absl::Status status) {
  if (status.ok()) {
    uint64_t keys = 0, defaults = 0;
    for (const TableLookup& t : tables_) {
      keys += t.keys.size();
      defaults += t.defaulted.size();
    }
    response_->set_model(model_->name());
    response_->set_version(model_->version());
    response_->set_default_rows(defaults);
    handler_->Record(static_cast<uint64_t>(samples()), keys, defaults);
  } else {
    response_->Clear();
  }
  reactor_->Finish(ToGrpcStatus(status));
}

}  // namespace strata
