#include "engine/batch/batcher.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace strata {
namespace {

using Clock = std::chrono::system_clock;

uint32_t WorkerCount(uint32_t configured) {
  if (configured != 0) return configured;
  return std::max(1u, std::thread::hardware_concurrency());
}

// One table's share of a batch: every TableLookup that reads `chain` with
// the same miss budget.
struct ChainGroup {
  const TierChain* chain;
  int64_t budget_us;                                   // 0 = unlimited
  std::vector<std::pair<size_t, TableLookup*>> parts;  // (job index, table)
};

// A job's own budget when it gives one (never above the server's when the
// server has one), else the server's; 0 = unlimited.
int64_t EffectiveBudget(int64_t server_us, int64_t job_us) {
  if (job_us <= 0) return server_us;
  return server_us == 0 ? job_us : std::min(server_us, job_us);
}

}  // namespace

absl::Status BatcherOptions::Validate() const {
  if (max_batch_keys == 0) {
    return absl::InvalidArgumentError("max_batch_keys must be positive");
  }
  if (max_queued_jobs == 0) {
    return absl::InvalidArgumentError("max_queued_jobs must be positive");
  }
  if (hit_rate_threshold < 0) {
    return absl::InvalidArgumentError("hit_rate_threshold must be >= 0");
  }
  if (miss_budget_us < 0) {
    return absl::InvalidArgumentError("miss_budget_us must be >= 0");
  }
  if (fill_threads == 0) {
    return absl::InvalidArgumentError("fill_threads must be positive");
  }
  return absl::OkStatus();
}

Batcher::Batcher(const BatcherOptions& options)
    : options_(options), fill_pool_(options.fill_threads, 1024) {
  const uint32_t n = WorkerCount(options.workers);
  workers_.reserve(n);
  for (uint32_t i = 0; i < n; ++i) workers_.emplace_back([this] { Run(); });
}

Batcher::~Batcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& t : workers_) t.join();
}

absl::Status Batcher::Submit(std::unique_ptr<LookupJob>& job) {
  const size_t keys = job->num_keys();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return absl::UnavailableError("server is shutting down");
    if (queue_.size() >= options_.max_queued_jobs) {
      ++stats_.rejected;
      return absl::ResourceExhaustedError(absl::StrCat(
          "lookup queue is full (", options_.max_queued_jobs,
          " requests waiting, max_queued_requests); retry with backoff"));
    }
    queue_.push_back(Queued{std::move(job), keys});
    if (options_.idle_spin_us > 0) {
      queued_.store(queue_.size(), std::memory_order_seq_cst);
    }
  }
  // A polling worker sees the job without a wake-up. It clears polling_
  // before it takes mu_ to go to sleep, so either it finds this job there or
  // this load sees polling_ false and wakes a worker.
  if (!polling_.load(std::memory_order_seq_cst)) ready_.notify_one();
  return absl::OkStatus();
}

BatcherStats Batcher::Stats() const {
  std::lock_guard lock(mu_);
  BatcherStats s = stats_;
  s.queued = queue_.size();
  return s;
}

void Batcher::Run() {
  InferStage infer;  // this worker's dense sessions
  for (;;) {
    std::vector<std::unique_ptr<LookupJob>> batch = NextBatch();
    if (batch.empty()) return;
    Execute(batch, infer);
  }
}

void Batcher::PollWhileIdle() {
  if (options_.idle_spin_us == 0 ||
      queued_.load(std::memory_order_relaxed) != 0) {
    return;
  }
  bool expected = false;
  if (!polling_.compare_exchange_strong(expected, true)) return;  // one poller
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::microseconds(options_.idle_spin_us);
  while (queued_.load(std::memory_order_seq_cst) == 0 &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::yield();
  }
  polling_.store(false, std::memory_order_seq_cst);
}

std::vector<std::unique_ptr<LookupJob>> Batcher::NextBatch() {
  std::vector<std::unique_ptr<LookupJob>> batch;
  PollWhileIdle();
  std::unique_lock lock(mu_);
  ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  size_t keys = 0;
  auto take = [&] {
    while (!queue_.empty() && (batch.empty() || keys + queue_.front().keys <=
                                                    options_.max_batch_keys)) {
      keys += queue_.front().keys;
      batch.push_back(std::move(queue_.front().job));
      queue_.pop_front();
    }
  };
  take();
  if (options_.max_queue_delay_us > 0 && !batch.empty()) {
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::microseconds(options_.max_queue_delay_us);
    while (keys < options_.max_batch_keys && !stopping_ &&
           (queue_.empty() ||
            keys + queue_.front().keys <= options_.max_batch_keys)) {
      if (!ready_.wait_until(lock, until,
                             [this] { return stopping_ || !queue_.empty(); })) {
        break;
      }
      const size_t before = batch.size();
      take();
      if (batch.size() == before) break;  // next job does not fit
    }
  }
  if (options_.idle_spin_us > 0) {
    queued_.store(queue_.size(), std::memory_order_seq_cst);
  }
  // Hand the queue's remaining work to another worker.
  if (!queue_.empty()) ready_.notify_one();
  return batch;
}

void Batcher::Execute(std::vector<std::unique_ptr<LookupJob>>& batch,
                      InferStage& infer) {
  const auto now = Clock::now();
  std::vector<absl::Status> status(batch.size());
  uint64_t expired = 0, total_keys = 0;

  // Group every live table lookup by chain and miss budget: each request
  // keeps its own budget, and requests that share one (the usual case) still
  // read their misses from below once.
  std::vector<ChainGroup> groups;
  absl::flat_hash_map<std::pair<const TierChain*, int64_t>, size_t> group_of;
  std::vector<uint32_t> open_tables(batch.size(), 0);
  for (size_t j = 0; j < batch.size(); ++j) {
    if (batch[j]->deadline() < now) {
      status[j] = absl::DeadlineExceededError(
          "deadline passed while the request was queued");
      ++expired;
      continue;
    }
    if (batch[j]->cancelled()) {
      status[j] = absl::CancelledError("the caller cancelled while queued");
      ++expired;
      continue;
    }
    const int64_t budget_us =
        EffectiveBudget(options_.miss_budget_us, batch[j]->miss_budget_us());
    for (TableLookup& t : batch[j]->tables()) {
      auto [it, inserted] =
          group_of.try_emplace({t.chain, budget_us}, groups.size());
      if (inserted) groups.push_back(ChainGroup{t.chain, budget_us, {}});
      groups[it->second].parts.emplace_back(j, &t);
      total_keys += t.keys.size();
      ++open_tables[j];
    }
  }
  // Finite budgets first, shortest first, so that a short budget is never
  // stuck behind an unlimited read of the same batch.
  std::stable_sort(groups.begin(), groups.end(),
                   [](const ChainGroup& a, const ChainGroup& b) {
                     const uint64_t x = a.budget_us == 0 ? ~0ull : a.budget_us;
                     const uint64_t y = b.budget_us == 0 ? ~0ull : b.budget_us;
                     return x < y;
                   });

  // Infer jobs whose rows are all read wait for the dense stage; the rest
  // are answered now.
  std::vector<InferJob*> to_infer;
  std::vector<bool> inferring(batch.size(), false);
  auto finish = [&](size_t j) {
    if (InferJob* job = batch[j]->AsInfer(); job != nullptr && status[j].ok()) {
      to_infer.push_back(job);
      inferring[j] = true;
      return;
    }
    batch[j]->Finish(status[j]);
    batch[j].reset();
  };
  ChainLookupOptions chain_options;
  chain_options.hit_rate_threshold = options_.hit_rate_threshold;
  chain_options.background = &fill_pool_;
  std::vector<ChainPart> parts;
  for (ChainGroup& g : groups) {
    parts.clear();
    for (auto& [j, t] : g.parts) {
      t->defaulted.clear();
      parts.push_back(ChainPart{t->keys, t->values, &t->defaulted});
    }
    chain_options.miss_budget_us = g.budget_us;
    absl::Status s = g.chain->LookupParts(absl::MakeSpan(parts), chain_options);
    // A request is answered as soon as its last table is read.
    for (auto& [j, t] : g.parts) {
      status[j].Update(s);
      if (--open_tables[j] == 0) finish(j);
    }
  }
  for (size_t j = 0; j < batch.size(); ++j) {
    if (batch[j] != nullptr && !inferring[j])
      finish(j);  // expired, or no tables
  }
  if (!to_infer.empty()) {
    infer.Run(to_infer);  // finishes them
    for (size_t j = 0; j < batch.size(); ++j) {
      if (inferring[j]) batch[j].reset();
    }
  }
  batch_keys_.Observe(static_cast<double>(total_keys));
  batch_jobs_.Observe(static_cast<double>(batch.size()));
  std::lock_guard lock(mu_);
  ++stats_.batches;
  stats_.jobs += batch.size();
  stats_.keys += total_keys;
  stats_.expired += expired;
}

}  // namespace strata
