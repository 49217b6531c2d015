#include "engine/batch/infer_stage.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace strata {
namespace {

// Writes one table's rows for job `job` at `out` (its first sample's slot),
// one row every `stride` floats: pooled bags, or one-hot rows copied.
void PackTable(InferJob& job, size_t table, uint32_t dim, float* out,
               size_t stride) {
  const TableLookup& t = job.tables()[table];
  const InferJob::Bags bags = job.bags(table);
  if (!bags.offsets.empty()) {
    PoolBags(t.values, dim, bags.offsets, bags.pooling, out, stride);
    return;
  }
  const size_t samples = static_cast<size_t>(job.samples());
  if (stride == dim) {
    std::memcpy(out, t.values.data(), samples * dim * sizeof(float));
    return;
  }
  for (size_t s = 0; s < samples; ++s) {
    std::memcpy(out + s * stride, t.values.data() + s * dim,
                dim * sizeof(float));
  }
}

// Fills every input of `session` from `count` jobs, sample-major.
void PackInputs(const DenseModel& model, InferJob* const* jobs, size_t count,
                DenseSession& session) {
  const std::vector<DenseModel::Input>& inputs = model.inputs();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const DenseModel::Input& in = inputs[i];
    float* dst = session.input(i).data();
    const size_t n = in.tables.size();
    const size_t sample = in.kind == DenseBinding::Kind::kDense
                              ? in.dim
                              : n * static_cast<size_t>(in.dim);
    size_t row = 0;
    for (size_t j = 0; j < count; ++j) {
      float* at = dst + row * sample;
      if (in.kind == DenseBinding::Kind::kDense) {
        absl::Span<const float> dense = jobs[j]->dense_features();
        std::memcpy(at, dense.data(), dense.size() * sizeof(float));
      } else {
        for (size_t k = 0; k < n; ++k) {
          PackTable(*jobs[j], in.tables[k], in.dim, at + k * in.dim, sample);
        }
      }
      row += static_cast<size_t>(jobs[j]->samples());
    }
  }
}

}  // namespace

absl::StatusOr<DenseSession*> InferStage::SessionFor(
    const std::shared_ptr<const DenseNetwork>& network) {
  auto it = std::find_if(sessions_.begin(), sessions_.end(),
                         [&](const Cached& c) { return c.network == network; });
  if (it == sessions_.end()) {
    if (sessions_.size() == kMaxSessions) sessions_.pop_back();
    sessions_.insert(sessions_.begin(), Cached{network, network->NewSession()});
  } else if (it != sessions_.begin()) {
    std::rotate(sessions_.begin(), it, it + 1);
  }
  return sessions_.front().session.get();
}

void InferStage::RunGroup(const DenseModel& model, InferJob* const* jobs,
                          size_t count) {
  int64_t total = 0;
  for (size_t j = 0; j < count; ++j) total += jobs[j]->samples();
  absl::Status status = [&]() -> absl::Status {
    absl::StatusOr<DenseSession*> session = SessionFor(model.shared_network());
    if (!session.ok()) return session.status();
    if (absl::Status s = (*session)->Prepare(total); !s.ok()) return s;
    PackInputs(model, jobs, count, **session);
    if (absl::Status s = (*session)->Run(); !s.ok()) return s;
    int64_t first = 0;
    for (size_t j = 0; j < count; ++j) {
      jobs[j]->TakeOutputs(**session, first);
      first += jobs[j]->samples();
    }
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    status = absl::Status(status.code(),
                          absl::StrCat("dense network: ", status.message()));
  }
  for (size_t j = 0; j < count; ++j) jobs[j]->Finish(status);
}

void InferStage::Run(const std::vector<InferJob*>& jobs) {
  // Group by model version, keeping arrival order within a version.
  std::vector<InferJob*> order = jobs;
  std::stable_sort(order.begin(), order.end(), [](InferJob* a, InferJob* b) {
    return &a->dense_model() < &b->dense_model();
  });
  size_t start = 0;
  while (start < order.size()) {
    const DenseModel& model = order[start]->dense_model();
    size_t end = start;
    int64_t samples = 0;
    while (end < order.size() && &order[end]->dense_model() == &model &&
           (end == start ||
            samples + order[end]->samples() <= model.max_batch())) {
      samples += order[end]->samples();
      ++end;
    }
    RunGroup(model, order.data() + start, end - start);
    start = end;
  }
}

}  // namespace strata
