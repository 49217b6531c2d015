// Applier: writes decoded updates into every tier of a serving model: new
// rows, and deletes (the row goes from RocksDB and every cache tier, so a
// lookup gets the flagged default).
//
// One Apply is one atomic RocksDbStore::WriteRows that holds the rows of
// every update AND, for updates consumed from a log (Kafka), the position
// after the message (scope "<model>@<version>"). So the stored position always
// matches the stored data: a restart resumes exactly after the last applied
// message, nothing is lost and nothing applied is replayed. After the write,
// every cache tier above the authoritative one (all tiers of the chain but the
// last) has the rows invalidated (Erase), then the hooks run (the GPU cache
// registers one).
//
// A lookup that read a row from RocksDB just before the write could refill a
// cache with the old row after the invalidation. The hash map rules that out
// by construction (Tier::SnapshotEpochs / Fill: a fill drops keys erased
// since it read them); for tiers without epochs (Redis Cluster) the Applier
// invalidates the same keys once more `reinvalidate_delay_ms` later (Tick()).
//
// A model version built from a snapshot records the offsets it was built at
// (ModelManifest::update_offsets); messages below them are stale and skipped.
//
// Ownership: borrows the store and the registry, which must outlive it.
// Thread safety: all methods are safe for concurrent calls; AddHook must be
// called before the first Apply.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "engine/model/model_registry.h"
#include "engine/model/model_store.h"
#include "engine/update/update_codec.h"

namespace strata {

struct ApplierOptions {
  // Second invalidation of updated keys in the cache tiers, this long after
  // the first (0 = none).
  uint32_t reinvalidate_delay_ms = 200;
  // fsync the WAL on every apply (a process crash loses nothing either way).
  bool sync = false;
};

// Where a consumed message came from.
struct UpdatePosition {
  std::string model;  // the model the topic belongs to
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;  // of the message itself
  // The model version the partition was positioned for (0 = whichever
  // serves). A message read for a version that no longer serves is left
  // out, counted stale, and its position not stored: the source re-reads
  // the partition from the serving version's own position.
  uint64_t version = 0;
};

// What one ApplyLogged wrote.
struct ApplyCounts {
  uint64_t rows = 0;              // rows written or deleted
  uint64_t applied_messages = 0;  // updates written
  uint64_t stale_messages = 0;    // updates older than the serving snapshot
};

// Counters, cumulative since construction.
struct ApplierStats {
  uint64_t applied_messages = 0;
  uint64_t applied_rows = 0;
  uint64_t stale_messages = 0;
  uint64_t skipped_messages = 0;  // recorded with Skip()
};

class Applier {
 public:
  // Runs after a batch is durable and the host caches are invalidated.
  using Hook = std::function<void(const Model& model, const std::string& table,
                                  absl::Span<const int64_t> keys,    // (n)
                                  absl::Span<const float> values)>;  // (n, dim)

  Applier(ModelStore* store, const ModelRegistry* registry,
          const ApplierOptions& options = {});
  ~Applier();

  void AddHook(Hook hook);

  // Applies `updates` in one atomic write, with the position after
  // `position` when it is given. All updates are validated first: an unknown
  // model or table, a wrong dim or a model other than position->model is
  // INVALID_ARGUMENT / NOT_FOUND and nothing is written. Returns the rows
  // written (0 when the message is older than the serving snapshot).
  [[nodiscard]] absl::StatusOr<uint64_t> Apply(
      absl::Span<const DecodedUpdate> updates,
      const UpdatePosition* position = nullptr);

  // Applies updates consumed from logs, updates[i] read at positions[i], in
  // one atomic write together with the position after the last update of
  // each partition; updates older than the serving snapshot are left out.
  // One write for many messages is what keeps a consumer near raw RocksDB
  // speed. Validation as in Apply: any bad update fails the whole call and
  // nothing is written (the caller then applies them one by one).
  [[nodiscard]] absl::StatusOr<ApplyCounts> ApplyLogged(
      absl::Span<const DecodedUpdate> updates,      // (n)
      absl::Span<const UpdatePosition> positions);  // (n)

  // Records a consumed message that could not be applied (malformed), so a
  // restart does not read it again.
  [[nodiscard]] absl::Status Skip(const UpdatePosition& position);

  // The offset to resume `topic`/`partition` of `model` at: the stored
  // position, else the serving version's snapshot offset, else nullopt.
  [[nodiscard]] absl::StatusOr<std::optional<int64_t>> NextOffset(
      const std::string& model, const std::string& topic,
      int32_t partition) const;

  // Runs due re-invalidations. Cheap when none is due.
  void Tick();

  ApplierStats stats() const;

  // "<topic>/<partition>", the key of ModelManifest::update_offsets.
  static std::string PartitionKey(const std::string& topic, int32_t partition);

 private:
  struct Pending {
    std::chrono::steady_clock::time_point due;
    std::shared_ptr<const Model> model;
    std::string table;
    std::vector<int64_t> keys;
  };
  // Apply and ApplyLogged; `positions` is empty or one per update.
  [[nodiscard]] absl::StatusOr<ApplyCounts> Write(
      absl::Span<const DecodedUpdate> updates,
      absl::Span<const UpdatePosition> positions);
  void Invalidate(const Model& model, const std::string& table,
                  absl::Span<const int64_t> keys);

  // Constant after construction (hooks_: after the first Apply).
  ModelStore* const store_;
  const ModelRegistry* const registry_;
  const ApplierOptions options_;
  std::vector<Hook> hooks_;

  std::atomic<uint64_t> applied_messages_{0};
  std::atomic<uint64_t> applied_rows_{0};
  std::atomic<uint64_t> stale_messages_{0};
  std::atomic<uint64_t> skipped_messages_{0};

  absl::Mutex mu_;
  std::deque<Pending> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata
