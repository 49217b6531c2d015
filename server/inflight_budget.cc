#include "server/inflight_budget.h"

#include "absl/strings/str_cat.h"
#include "engine/model/dense_model.h"

namespace strata {
namespace {

// A reply's rows exist three times at a call's peak: in the reply message,
// serialized for gRPC, and in the transport's frames. (Measured: with two
// copies counted, RSS under overload grew 1.6 x the budget.)
constexpr uint64_t kRowCopies = 3;

// Keys and offsets as they sit in the parsed request, and the rows read for
// them; with bags, also the float32 rows read before pooling (the reply then
// holds one row per bag).
uint64_t TableBytes(const v1::TableKeys& t, const Model& model) {
  const Model::Table* table = model.FindTable(t.table());  // validated
  const uint64_t dim = table != nullptr ? table->spec.dim : 0;
  const uint64_t pooled =
      t.offsets().empty() ? 0 : t.offsets_size() * dim * sizeof(float);
  return t.keys_size() *
             (sizeof(int64_t) + kRowCopies * (dim * sizeof(float) + 1)) +
         t.offsets_size() * sizeof(int32_t) + pooled + 64;
}

}  // namespace

absl::Status InflightBudget::Acquire(uint64_t bytes) {
  uint64_t used = used_.load(std::memory_order_relaxed);
  do {
    if (max_bytes_ != 0 && used + bytes > max_bytes_) {
      rejected_.fetch_add(1, std::memory_order_relaxed);
      if (bytes > max_bytes_) {
        return absl::InvalidArgumentError(
            absl::StrCat("the call needs about ", bytes,
                         " bytes in flight, more than the "
                         "server's max_inflight_bytes (",
                         max_bytes_, "); split it"));
      }
      return absl::ResourceExhaustedError(
          absl::StrCat("server over its in-flight byte budget (", used, " of ",
                       max_bytes_, " bytes held); retry with backoff"));
    }
  } while (!used_.compare_exchange_weak(used, used + bytes,
                                        std::memory_order_relaxed));
  uint64_t peak = peak_.load(std::memory_order_relaxed);
  while (used + bytes > peak &&
         !peak_.compare_exchange_weak(peak, used + bytes,
                                      std::memory_order_relaxed)) {
  }
  return absl::OkStatus();
}

uint64_t EstimateLookupBytes(const v1::LookupRequest& request,
                             const Model& model) {
  uint64_t bytes = sizeof(v1::LookupRequest) + sizeof(v1::LookupResponse);
  for (const v1::TableKeys& t : request.tables()) bytes += TableBytes(t, model);
  return bytes;
}

uint64_t EstimateInferBytes(const v1::InferRequest& request,
                            const Model& model) {
  uint64_t bytes = sizeof(v1::InferRequest) + sizeof(v1::InferResponse) +
                   request.dense().size();
  for (const v1::TableKeys& t : request.tables()) bytes += TableBytes(t, model);
  if (const DenseModel* dense = model.dense(); dense != nullptr) {
    for (const TensorSignature& out : dense->network().outputs()) {
      uint64_t per_sample = sizeof(float);
      for (size_t d = 1; d < out.dims.size(); ++d) {
        per_sample *= out.dims[d] > 0 ? out.dims[d] : 1;
      }
      bytes += per_sample * request.batch();
    }
    // The network's activations: at least the bound inputs once more.
    bytes += request.dense().size();
  }
  return bytes;
}

}  // namespace strata
