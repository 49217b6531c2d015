// InferJob: a lookup whose rows feed a model version's dense network. Its
// tables() are the DenseModel's tables(), in that order, each with its keys
// (B one-hot, or bags). The batcher looks the rows up with every other job
// of the batch, pools the bags straight into the network's inputs, runs the
// network once over all infer jobs of the batch for the same version (up to
// DenseModel::max_batch samples a run), and hands each job its rows of the
// outputs before Finish(OK).
//
// Ownership and thread safety: as LookupJob. The spans must stay valid
// until Finish.
#pragma once

#include <cstdint>

#include "absl/types/span.h"
#include "engine/batch/lookup_job.h"
#include "engine/common/bag_pool.h"
#include "engine/model/dense/dense_network.h"
#include "engine/model/dense_model.h"

namespace strata {

class InferJob : public LookupJob {
 public:
  InferJob* AsInfer() override { return this; }

  // The version's dense network and bindings; outlives the job.
  virtual const DenseModel& dense_model() const = 0;
  // B, 1 to dense_model().max_batch().
  virtual int64_t samples() const = 0;
  // (B, F) dense features; empty when no input is bound to them.
  virtual absl::Span<const float> dense_features() const = 0;

  // The bags of table i (an index into tables()): B + 1 offsets into its
  // keys, or empty for one key per sample.
  struct Bags {
    absl::Span<const int64_t> offsets;
    BagPooling pooling = BagPooling::kSum;
  };
  virtual Bags bags(size_t table) const = 0;

  // Called once before Finish(OK): this job's samples are rows
  // [first, first + samples()) of every output of `session`'s last run.
  virtual void TakeOutputs(const DenseSession& session, int64_t first) = 0;
};

}  // namespace strata
