// InferStage: the dense part of a batch. Given the infer jobs of a batch
// whose rows are looked up, it groups them by model version, packs each
// group's samples into runs of up to DenseModel::max_batch samples (dense
// features copied, one-hot rows copied, bags pooled straight into the
// network's input buffers), runs the network, hands each job its slice of
// the outputs, and finishes the jobs.
//
// Each worker thread owns one InferStage and with it one DenseSession per
// network it ran recently, so a steady stream of batches allocates nothing.
//
// Ownership: keeps the networks of its sessions alive (a version swapped out
// is released once the sessions that ran it are evicted).
// Thread safety: used by one worker thread.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "engine/batch/infer_job.h"
#include "engine/model/dense/dense_network.h"

namespace strata {

class InferStage {
 public:
  InferStage() = default;
  InferStage(const InferStage&) = delete;
  InferStage& operator=(const InferStage&) = delete;

  // Runs and finishes every job of `jobs` (each looked up OK).
  void Run(const std::vector<InferJob*>& jobs);

 private:
  // The session for `network`, made on first use; most recent first.
  [[nodiscard]] absl::StatusOr<DenseSession*> SessionFor(
      const std::shared_ptr<const DenseNetwork>& network);
  // One run over jobs[first, end), all of one model, within max_batch.
  void RunGroup(const DenseModel& model, InferJob* const* jobs, size_t count);

  struct Cached {
    std::shared_ptr<const DenseNetwork> network;
    std::unique_ptr<DenseSession> session;
  };
  static constexpr size_t kMaxSessions = 8;
  std::vector<Cached> sessions_;
};

}  // namespace strata
