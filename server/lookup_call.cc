#include "server/lookup_call.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "engine/common/bag_pool.h"
#include "engine/common/wire_dtype.h"
#include "server/grpc_status.h"

namespace strata {
namespace {

// Pools each bag of `rows` (one per key) into the reply's rows (one per bag)
// and counts the default rows of each bag.
void Pool(const v1::TableKeys& asked, uint32_t dim,
          const std::vector<float>& rows, const std::vector<size_t>& defaulted,
          v1::TableRows* reply) {
  const auto offsets =
      absl::MakeConstSpan(asked.offsets().data(), asked.offsets_size());
  PoolBags(rows, dim, offsets,
           asked.pooling() == v1::MEAN ? BagPooling::kMean : BagPooling::kSum,
           reinterpret_cast<float*>(reply->mutable_values()->data()), dim);
  reply->mutable_default_counts()->Resize(asked.offsets_size() - 1, 0);
  CountBagDefaults(defaulted, offsets,
                   reply->mutable_default_counts()->mutable_data());
}

}  // namespace

static_assert(std::endian::native == std::endian::little,
              "rows travel as little-endian float32 (or 16-bit values)");

LookupCall::LookupCall(grpc::CallbackServerContext* context,
                       const v1::LookupRequest* request,
                       v1::LookupResponse* response,
                       grpc::ServerUnaryReactor* reactor,
                       std::shared_ptr<const Model> model,
                       LookupHandler* handler)
    : context_(context),
      request_(request),
      response_(response),
      reactor_(reactor),
      model_(std::move(model)),
      handler_(handler) {
  // The reply may be a recycled one (see MessagePool in server_main.cc):
  // every field is overwritten, and row buffers of the right size are reused
  // as they are (their bytes are all overwritten by the lookup).
  response_->set_model(model_->name());
  response_->set_version(model_->version());
  auto* replies = response_->mutable_tables();
  while (replies->size() > request_->tables_size()) replies->RemoveLast();
  tables_.reserve(request_->tables_size());
  for (int i = 0; i < request_->tables_size(); ++i) {
    const v1::TableKeys& t = request_->tables(i);
    const Model::Table* table = model_->FindTable(t.table());  // validated
    const uint32_t dim = table->spec.dim;
    const size_t n = static_cast<size_t>(t.keys_size());
    v1::TableRows* rows =
        i < replies->size() ? replies->Mutable(i) : replies->Add();
    rows->set_table(t.table());
    rows->set_dim(dim);
    rows->set_value_dtype(request_->value_dtype());
    rows->clear_is_default();
    rows->clear_default_counts();
    std::string* bytes = rows->mutable_values();
    TableLookup lookup;
    lookup.chain = table->chain.get();
    lookup.keys = absl::MakeConstSpan(t.keys().data(), n);
    if (t.offsets().empty()) {
      bytes->resize(n * dim * sizeof(float));
      lookup.values =
          absl::MakeSpan(reinterpret_cast<float*>(bytes->data()), n * dim);
    } else {
      bytes->resize(size_t(t.offsets_size() - 1) * dim * sizeof(float));
      // Only a request with bags pays for this scratch.
      if (unpooled_.empty()) unpooled_.resize(request_->tables_size());
      unpooled_[i].resize(n * dim);
      lookup.values = absl::MakeSpan(unpooled_[i]);
    }
    tables_.push_back(std::move(lookup));
  }
}

void LookupCall::Finish(absl::Status status) {
  if (status.ok()) {
    uint64_t keys = 0, defaults = 0;
    for (int i = 0; i < response_->tables_size(); ++i) {
      const TableLookup& t = tables_[i];
      v1::TableRows* rows = response_->mutable_tables(i);
      const v1::TableKeys& asked = request_->tables(i);
      if (asked.offsets().empty()) {
        rows->mutable_is_default()->Resize(static_cast<int>(t.keys.size()),
                                           false);
        for (size_t pos : t.defaulted) {
          rows->set_is_default(static_cast<int>(pos), true);
        }
      } else {
        Pool(asked, rows->dim(), unpooled_[i], t.defaulted, rows);
      }
      if (request_->value_dtype() != v1::FLOAT32) {
        // Narrowed on the worker, in the buffer the rows were read into.
        std::string* bytes = rows->mutable_values();
        const size_t floats = bytes->size() / sizeof(float);
        NarrowInPlace(bytes->data(), floats,
                      request_->value_dtype() == v1::BFLOAT16);
        bytes->resize(floats * sizeof(uint16_t));
      }
      keys += t.keys.size();
      defaults += t.defaulted.size();
    }
    handler_->Record(keys, defaults);
  } else {
    response_->Clear();
  }
  reactor_->Finish(ToGrpcStatus(status));
}

}  // namespace strata
