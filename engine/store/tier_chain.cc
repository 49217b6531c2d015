#include "engine/store/tier_chain.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "engine/common/key_deduper.h"
#include "engine/common/status_macros.h"
#include "engine/common/worker_pool.h"

namespace strata {
namespace {

// Keys, rows and epochs (when given) of `keys` not listed in the ascending
// `skip`.
void Compact(absl::Span<const int64_t> keys, absl::Span<const float> values,
             absl::Span<const uint32_t> epochs, uint32_t dim,
             const std::vector<size_t>& skip, std::vector<int64_t>* out_keys,
             std::vector<float>* out_values,
             std::vector<uint32_t>* out_epochs) {
  out_keys->reserve(keys.size() - skip.size());
  out_values->reserve(out_keys->capacity() * dim);
  size_t m = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (m < skip.size() && skip[m] == i) {
      ++m;
      continue;
    }
    out_keys->push_back(keys[i]);
    if (!epochs.empty()) out_epochs->push_back(epochs[i]);
    out_values->insert(out_values->end(), &values[i * dim],
                       &values[i * dim] + dim);
  }
}

// A read of the lower tiers handed to the background pool, shared by the
// waiting lookup and the pool task (whichever ends last frees it).
struct BackgroundRead {
  std::vector<int64_t> keys;
  std::vector<float> values;
  std::vector<uint32_t> epochs;  // tier 1's, taken before the read
  std::vector<size_t> missing;
  absl::Status status;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;  // Guarded by mu.
};

}  // namespace

TierChain::TierChain(std::vector<std::unique_ptr<Tier>> tiers,
                     DefaultRow default_row)
    : tiers_(std::move(tiers)), default_row_(std::move(default_row)) {
  for (size_t t = 0; t < tiers_.size(); ++t) {
    latency_.push_back(std::make_unique<Histogram>(Histogram::LatencyBounds()));
  }
}

TierChain::~TierChain() {
  std::unique_lock lock(background_mu_);
  background_done_.wait(lock, [this] { return background_ == 0; });
}

void TierChain::RunInBackground(WorkerPool* pool,
                                std::function<void()> task) const {
  {
    std::lock_guard lock(background_mu_);
    ++background_;
  }
  auto counted = [this, task = std::move(task)] {
    task();
    std::lock_guard lock(background_mu_);
    if (--background_ == 0) background_done_.notify_all();
  };
  if (!pool->TrySubmit(counted)) counted();  // pool full: inline
}

absl::Status TierChain::TimedLookup(size_t t, absl::Span<const int64_t> keys,
                                    absl::Span<float> values,
                                    std::vector<size_t>* missing) const {
  const auto start = std::chrono::steady_clock::now();
  absl::Status s = tiers_[t]->Lookup(keys, values, missing);
  latency_[t]->Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count());
  return s;
}

absl::Status TierChain::ReadBelow(size_t first, absl::Span<const int64_t> keys,
                                  absl::Span<float> values,
                                  std::vector<size_t>* missing) const {
  const uint32_t d = dim();
  // Positions (into `keys`) still unanswered.
  std::vector<size_t> pending(keys.size());
  for (size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  std::vector<int64_t> sub_keys;
  std::vector<float> sub_values;
  std::vector<size_t> sub_missing;
  for (size_t t = first; t < tiers_.size() && !pending.empty(); ++t) {
    sub_keys.resize(pending.size());
    for (size_t i = 0; i < pending.size(); ++i) sub_keys[i] = keys[pending[i]];
    sub_values.resize(pending.size() * d);
    sub_missing.clear();
    STRATA_RETURN_IF_ERROR(
        TimedLookup(t, sub_keys, absl::MakeSpan(sub_values), &sub_missing));
    std::vector<size_t> still_pending;
    still_pending.reserve(sub_missing.size());
    size_t m = 0;
    for (size_t i = 0; i < pending.size(); ++i) {
      if (m < sub_missing.size() && sub_missing[m] == i) {
        still_pending.push_back(pending[i]);
        ++m;
        continue;
      }
      std::copy(&sub_values[i * d], &sub_values[i * d] + d,
                &values[pending[i] * d]);
    }
    if (t > first && sub_missing.size() < sub_keys.size()) {
      std::vector<int64_t> found_keys;
      std::vector<float> found_values;
      std::vector<uint32_t> unused;
      Compact(sub_keys, sub_values, {}, d, sub_missing, &found_keys,
              &found_values, &unused);
      for (size_t up = first; up < t; ++up) {
        STRATA_RETURN_IF_ERROR(tiers_[up]->Upsert(found_keys, found_values));
      }
    }
    pending = std::move(still_pending);
  }
  missing->insert(missing->end(), pending.begin(), pending.end());
  return absl::OkStatus();
}

absl::Status TierChain::FillTop(absl::Span<const int64_t> keys,
                                absl::Span<const float> values,
                                absl::Span<const uint32_t> epochs,
                                const std::vector<size_t>& missing) const {
  if (missing.size() == keys.size()) return absl::OkStatus();
  std::vector<int64_t> found_keys;
  std::vector<float> found_values;
  std::vector<uint32_t> found_epochs;
  Compact(keys, values, epochs, dim(), missing, &found_keys, &found_values,
          &found_epochs);
  return tiers_[0]->Fill(found_keys, found_values, found_epochs);
}

absl::Status TierChain::Lookup(absl::Span<const int64_t> keys,
                               absl::Span<float> values,
                               std::vector<size_t>* defaulted,
                               const ChainLookupOptions& options) const {
  ChainPart part{keys, values, defaulted};
  return LookupParts(absl::MakeSpan(&part, 1), options);
}

absl::Status TierChain::ReadTopMerged(absl::Span<ChainPart> parts,
                                      std::vector<Pending>* pending) const {
  // One round trip for every part: distinct keys in, rows scattered out.
  const uint32_t d = dim();
  std::vector<int64_t> unique;
  std::vector<uint32_t> slot;  // per key of every part, its index in `unique`
  thread_local KeyDeduper dedup;
  size_t total = 0;
  for (const ChainPart& part : parts) total += part.keys.size();
  dedup.Reset(total);
  slot.reserve(total);
  for (const ChainPart& part : parts) {
    for (int64_t key : part.keys) {
      bool inserted;
      slot.push_back(dedup.Insert(key, &inserted));
      if (inserted) unique.push_back(key);
    }
  }
  std::vector<float> rows(unique.size() * d);
  std::vector<size_t> missing;
  STRATA_RETURN_IF_ERROR(
      TimedLookup(0, unique, absl::MakeSpan(rows), &missing));
  std::vector<char> absent(unique.size(), 0);
  for (size_t u : missing) absent[u] = 1;
  size_t k = 0;
  for (uint32_t p = 0; p < parts.size(); ++p) {
    for (size_t pos = 0; pos < parts[p].keys.size(); ++pos, ++k) {
      if (absent[slot[k]]) {
        pending->push_back(Pending{p, 0, pos});
        continue;
      }
      const float* row = &rows[size_t{slot[k]} * d];
      std::copy(row, row + d, &parts[p].values[pos * d]);
    }
  }
  return absl::OkStatus();
}

absl::Status TierChain::LookupParts(absl::Span<ChainPart> parts,
                                    const ChainLookupOptions& options) const {
  const uint32_t d = dim();
  // Tier 1 reads into each part's rows; what it misses is pending.
  std::vector<Pending> pending;
  size_t asked = 0;
  for (const ChainPart& part : parts) asked += part.keys.size();
  if (parts.size() > 1 && tiers_[0]->is_remote()) {
    STRATA_RETURN_IF_ERROR(ReadTopMerged(parts, &pending));
  } else {
    std::vector<size_t> missing;
    for (uint32_t p = 0; p < parts.size(); ++p) {
      missing.clear();
      STRATA_RETURN_IF_ERROR(
          TimedLookup(0, parts[p].keys, parts[p].values, &missing));
      for (size_t pos : missing) pending.push_back(Pending{p, 0, pos});
    }
  }
  if (pending.empty()) return absl::OkStatus();

  auto fill_default = [&](const Pending& m) {
    float* row = &parts[m.part].values[m.pos * d];
    default_row_.Fill(parts[m.part].keys[m.pos], row, d);
    parts[m.part].defaulted->push_back(m.pos);
  };
  if (tiers_.size() == 1) {
    for (const Pending& m : pending) fill_default(m);
    return absl::OkStatus();
  }

  // Each missing key is read from below once, however many parts asked it.
  auto read = std::make_shared<BackgroundRead>();
  {
    thread_local KeyDeduper dedup;
    dedup.Reset(pending.size());
    for (Pending& m : pending) {
      const int64_t key = parts[m.part].keys[m.pos];
      bool inserted;
      m.unique = dedup.Insert(key, &inserted);
      if (inserted) read->keys.push_back(key);
    }
  }
  read->values.resize(read->keys.size() * d);
  // Before anything is read from below: see Tier::SnapshotEpochs.
  tiers_[0]->SnapshotEpochs(read->keys, &read->epochs);

  const double hit_rate =
      1.0 - static_cast<double>(pending.size()) / static_cast<double>(asked);
  const bool async =
      options.background != nullptr && hit_rate >= options.hit_rate_threshold;
  if (async && options.miss_budget_us > 0) {
    // Read below on the pool; wait at most the budget for it.
    auto task = [this, read] {
      absl::Status s = ReadBelow(1, read->keys, absl::MakeSpan(read->values),
                                 &read->missing);
      if (s.ok())
        s = FillTop(read->keys, read->values, read->epochs, read->missing);
      std::lock_guard lock(read->mu);
      read->status = s;
      read->done = true;
      read->cv.notify_all();
    };
    RunInBackground(options.background, std::move(task));
    std::unique_lock lock(read->mu);
    if (!read->cv.wait_for(lock,
                           std::chrono::microseconds(options.miss_budget_us),
                           [&read] { return read->done; })) {
      lock.unlock();
      for (const Pending& m : pending) fill_default(m);  // still fills tier 1
      return absl::OkStatus();
    }
    STRATA_RETURN_IF_ERROR(read->status);
  } else {
    STRATA_RETURN_IF_ERROR(
        ReadBelow(1, read->keys, absl::MakeSpan(read->values), &read->missing));
    if (async) {
      auto fill = [this, read] {
        FillTop(read->keys, read->values, read->epochs, read->missing)
            .IgnoreError();
      };
      RunInBackground(options.background, std::move(fill));
    } else {
      STRATA_RETURN_IF_ERROR(
          FillTop(read->keys, read->values, read->epochs, read->missing));
    }
  }

  // Scatter what the lower tiers found; default the rest.
  std::vector<char> absent(read->keys.size(), 0);
  for (size_t u : read->missing) absent[u] = 1;
  for (const Pending& m : pending) {
    if (absent[m.unique]) {
      fill_default(m);
      continue;
    }
    const float* row = &read->values[size_t{m.unique} * d];
    std::copy(row, row + d, &parts[m.part].values[m.pos * d]);
  }
  return absl::OkStatus();
}

}  // namespace strata
