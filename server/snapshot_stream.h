// SnapshotStream: one Admin/StreamSnapshot call. Its work runs on a pool
// thread, never in a reaction: export the version (snapshot.h) into a
// scratch folder of the data dir from one consistent view, then send each
// file in 1 MiB chunks, one write in flight, and remove the folder. The
// reactions only wake that thread. A client that goes away cancels the
// export or the sending at the next step.
//
// Ownership: deletes itself when the call is done; borrows the registry.
// Thread safety: gRPC's reactions and the one pool thread; they share only
// the mutex-guarded state.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "engine/common/worker_pool.h"
#include "engine/model/model_registry.h"
#include "strata/v1/admin.pb.h"

namespace strata {

class SnapshotStream final
    : public grpc::ServerWriteReactor<v1::SnapshotChunk> {
 public:
  // Starts the call: queues its work on `pool`, or finishes it at once with
  // RESOURCE_EXHAUSTED when the pool is full.
  static SnapshotStream* Start(const ModelRegistry* registry, WorkerPool* pool,
                               const v1::StreamSnapshotRequest& request);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override { delete this; }

 private:
  SnapshotStream(const ModelRegistry* registry,
                 const v1::StreamSnapshotRequest& request)
      : registry_(registry), request_(request) {}
  // The pool thread's work; ends with the call's one Finish.
  void Run();
  // Exports into `dir` and sends its files; the call's status.
  grpc::Status Send(const std::string& dir);
  // Sends one chunk and waits for its write to finish; false when the
  // client has gone.
  bool Write(const v1::SnapshotChunk& chunk);

  const ModelRegistry* const registry_;
  const v1::StreamSnapshotRequest request_;
  std::atomic<bool> cancelled_{false};

  absl::Mutex mu_;
  bool write_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool write_ok_ ABSL_GUARDED_BY(mu_) = true;
};

}  // namespace strata
