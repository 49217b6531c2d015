#include "engine/batch/batcher.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "engine/store/hash_map/hash_map_tier.h"
#include "tests/unit/fault_tiers.h"

namespace strata::testing {
namespace {

constexpr uint32_t kDim = 4;
using Clock = std::chrono::system_clock;

float ValueOf(int64_t key, uint32_t j) {
  return static_cast<float>(key * 10 + j);
}

std::unique_ptr<Tier> HashMapWith(int64_t first, int64_t count) {
  auto tier = std::move(NewHashMapTier(kDim, HashMapTierOptions())).value();
  std::vector<int64_t> keys;
  std::vector<float> values;
  for (int64_t k = first; k < first + count; ++k) {
    keys.push_back(k);
    for (uint32_t j = 0; j < kDim; ++j) values.push_back(ValueOf(k, j));
  }
  REQUIRE(tier->Upsert(keys, values).ok());
  return tier;
}

std::unique_ptr<Tier> EmptyHashMap() {
  return std::move(NewHashMapTier(kDim, HashMapTierOptions())).value();
}

// An empty tier 1 over a tier holding keys 0..99; default rows are 0.
TierChain EmptyOverFull() {
  std::vector<std::unique_ptr<Tier>> tiers;
  tiers.push_back(EmptyHashMap());
  tiers.push_back(HashMapWith(0, 100));
  return TierChain(std::move(tiers), 0.0f);
}

// A job over one table whose keys, rows and outcome live in the job.
class TestJob final : public LookupJob {
 public:
  TestJob(const TierChain* chain, std::vector<int64_t> keys,
          std::atomic<int>* finished,
          Clock::time_point deadline = Clock::time_point::max())
      : keys_(std::move(keys)),
        values_(keys_.size() * kDim),
        deadline_(deadline),
        finished_(finished) {
    TableLookup t;
    t.chain = chain;
    t.keys = keys_;
    t.values = absl::MakeSpan(values_);
    tables_.push_back(std::move(t));
  }
  std::vector<TableLookup>& tables() override { return tables_; }
  Clock::time_point deadline() const override { return deadline_; }
  int64_t miss_budget_us() const override { return budget_us; }
  void Finish(absl::Status status) override {
    // The job dies after Finish: publish a copy of the outcome.
    *outcome_ = Outcome{status, keys_, values_, tables_[0].defaulted};
    finished_->fetch_add(1);
  }

  struct Outcome {
    absl::Status status;
    std::vector<int64_t> keys;
    std::vector<float> values;
    std::vector<size_t> defaulted;
  };
  std::shared_ptr<Outcome> outcome() { return outcome_; }

  int64_t budget_us = 0;  // this request's miss budget; 0 = the default

 private:
  std::vector<int64_t> keys_;
  std::vector<float> values_;
  std::vector<TableLookup> tables_;
  Clock::time_point deadline_;
  std::atomic<int>* finished_;
  std::shared_ptr<Outcome> outcome_ = std::make_shared<Outcome>();
};

void WaitFor(const std::atomic<int>& counter, int n) {
  for (int i = 0; i < 20000 && counter.load() < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(counter.load() == n);
}

bool TopHolds(const TierChain& chain, const std::vector<int64_t>& keys) {
  std::vector<float> values(keys.size() * kDim);
  std::vector<size_t> missing;
  REQUIRE(
      chain.tiers()[0]->Lookup(keys, absl::MakeSpan(values), &missing).ok());
  return missing.empty();
}

// Submits one job over `keys` and waits (bounded) until it is finished.
std::shared_ptr<TestJob::Outcome> RunOne(
    Batcher& batcher, const TierChain& chain, std::vector<int64_t> keys,
    Clock::time_point deadline = Clock::time_point::max()) {
  std::atomic<int> finished{0};
  auto job =
      std::make_unique<TestJob>(&chain, std::move(keys), &finished, deadline);
  auto outcome = job->outcome();
  std::unique_ptr<LookupJob> base = std::move(job);
  REQUIRE(batcher.Submit(base).ok());
  WaitFor(finished, 1);
  return outcome;
}

// Polls (bounded) until tier 1 holds every key: background fills land
// shortly after the reply.
bool EventuallyTopHolds(const TierChain& chain,
                        const std::vector<int64_t>& keys) {
  for (int i = 0; i < 5000; ++i) {
    if (TopHolds(chain, keys)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

}  // namespace

TEST_CASE(
    "concurrent jobs with disjoint and overlapping keys each get their "
    "own rows",
    "[batcher][concurrency]") {
  std::vector<std::unique_ptr<Tier>> tiers;
  tiers.push_back(HashMapWith(0, 1000));
  TierChain chain(std::move(tiers), -1.0f);
  BatcherOptions options;
  options.workers = 2;
  options.max_queue_delay_us = 200;
  Batcher batcher(options);

  constexpr int kThreads = 4, kJobsPerThread = 50;
  std::atomic<int> finished{0};
  std::vector<std::vector<std::shared_ptr<TestJob::Outcome>>> outcomes(
      kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int j = 0; j < kJobsPerThread; ++j) {
        // Overlapping (shared hot keys 0..9), disjoint (per thread), absent.
        std::vector<int64_t> keys = {j % 10, 100 + t * 100 + j, 5000 + t,
                                     j % 10};
        auto job = std::make_unique<TestJob>(&chain, keys, &finished);
        outcomes[t].push_back(job->outcome());
        std::unique_ptr<LookupJob> base = std::move(job);
        while (!batcher.Submit(base).ok()) std::this_thread::yield();
      }
    });
  }
  for (auto& th : threads) th.join();
  WaitFor(finished, kThreads * kJobsPerThread);

  for (const auto& per_thread : outcomes) {
    for (const auto& o : per_thread) {
      REQUIRE(o->status.ok());
      for (size_t i = 0; i < o->keys.size(); ++i) {
        const bool absent = o->keys[i] >= 1000;
        for (uint32_t j = 0; j < kDim; ++j) {
          CHECK(o->values[i * kDim + j] ==
                (absent ? -1.0f : ValueOf(o->keys[i], j)));
        }
      }
      CHECK(o->defaulted == std::vector<size_t>{2});
    }
  }
  BatcherStats stats = batcher.Stats();
  CHECK(stats.jobs == kThreads * kJobsPerThread);
  CHECK(stats.keys == kThreads * kJobsPerThread * 4);
}

TEST_CASE("a full queue refuses jobs with RESOURCE_EXHAUSTED",
          "[batcher][concurrency]") {
  auto gated = std::make_unique<GatedTier>(HashMapWith(0, 10));
  GatedTier* gate = gated.get();
  std::vector<std::unique_ptr<Tier>> tiers;
  tiers.push_back(std::move(gated));
  TierChain chain(std::move(tiers), 0.0f);
  BatcherOptions options;
  options.workers = 1;
  options.max_queued_jobs = 3;
  std::atomic<int> finished{0};
  {
    Batcher batcher(options);
    std::unique_ptr<LookupJob> first =
        std::make_unique<TestJob>(&chain, std::vector<int64_t>{1}, &finished);
    REQUIRE(batcher.Submit(first).ok());
    gate->WaitEntered();  // the only worker is now stuck in the tier
    for (int i = 0; i < 3; ++i) {
      std::unique_ptr<LookupJob> job =
          std::make_unique<TestJob>(&chain, std::vector<int64_t>{2}, &finished);
      REQUIRE(batcher.Submit(job).ok());
    }
    std::unique_ptr<LookupJob> extra =
        std::make_unique<TestJob>(&chain, std::vector<int64_t>{3}, &finished);
    absl::Status refused = batcher.Submit(extra);
    CHECK(refused.code() == absl::StatusCode::kResourceExhausted);
    CHECK(extra != nullptr);  // ownership stays with the caller
    CHECK(batcher.Stats().rejected == 1);
    gate->Open();
  }  // the destructor finishes every queued job
  CHECK(finished.load() == 4);
}

TEST_CASE("a job whose deadline passed is dropped before any work",
          "[batcher]") {
  std::vector<std::unique_ptr<Tier>> tiers;
  tiers.push_back(HashMapWith(0, 10));
  TierChain chain(std::move(tiers), 0.0f);
  Batcher batcher(BatcherOptions{});
  auto outcome =
      RunOne(batcher, chain, {1, 2}, Clock::now() - std::chrono::seconds(1));
  CHECK(outcome->status.code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(chain.tiers()[0]->Stats().lookups == 0);
}

TEST_CASE("synchronous fill puts misses into tier 1 before the reply",
          "[batcher][chain]") {
  TierChain chain = EmptyOverFull();
  BatcherOptions options;
  options.hit_rate_threshold = 2.0;  // never asynchronous
  Batcher batcher(options);
  auto outcome = RunOne(batcher, chain, {3, 4, 500});
  REQUIRE(outcome->status.ok());
  CHECK(outcome->defaulted == std::vector<size_t>{2});
  CHECK(TopHolds(chain, {3, 4}));
}

TEST_CASE(
    "asynchronous fill returns lower-tier rows, flags only absent keys, "
    "and fills tier 1 in the background",
    "[batcher][chain]") {
  TierChain chain = EmptyOverFull();
  BatcherOptions options;
  options.hit_rate_threshold = 0.0;  // always asynchronous
  Batcher batcher(options);
  auto outcome = RunOne(batcher, chain, {7, 700, 8});
  REQUIRE(outcome->status.ok());
  CHECK(outcome->defaulted == std::vector<size_t>{1});
  CHECK(outcome->values[0] == ValueOf(7, 0));
  CHECK(outcome->values[2 * kDim + 3] == ValueOf(8, 3));
  CHECK(EventuallyTopHolds(chain, {7, 8}));
}

TEST_CASE(
    "rows the lower tiers cannot supply within the miss budget come "
    "back as flagged defaults, and still reach tier 1",
    "[batcher][chain]") {
  std::vector<std::unique_ptr<Tier>> tiers;
  tiers.push_back(HashMapWith(0, 10));
  tiers.push_back(std::make_unique<SlowTier>(HashMapWith(0, 100),
                                             std::chrono::milliseconds(300)));
  TierChain chain(std::move(tiers), -1.0f);
  BatcherOptions options;
  options.hit_rate_threshold = 0.0;
  options.miss_budget_us = 1000;
  Batcher batcher(options);
  auto outcome = RunOne(batcher, chain, {1, 50, 2});
  REQUIRE(outcome->status.ok());
  CHECK(outcome->defaulted == std::vector<size_t>{1});
  CHECK(outcome->values[kDim] == -1.0f);
  CHECK(outcome->values[0] == ValueOf(1, 0));
  CHECK(EventuallyTopHolds(chain, {50}));
}

TEST_CASE(
    "each request of a batch gets its own miss budget: a short one is "
    "answered with defaults while an unlimited one waits for the rows",
    "[batcher][chain]") {
  // A chain whose tier-1 read holds the only worker until the test lets go,
  // so that the two requests below queue up and form one batch.
  std::vector<std::unique_ptr<Tier>> hold_tiers;
  auto hold_gate = std::make_unique<GatedTier>(HashMapWith(0, 10));
  GatedTier* hold = hold_gate.get();
  hold_tiers.push_back(std::move(hold_gate));
  TierChain hold_chain(std::move(hold_tiers), -1.0f);
  // The chain under test: tier 1 holds keys 0..9, the lower tier is slow
  // (its reads wait at a gate), defaults are -1.
  std::vector<std::unique_ptr<Tier>> tiers;
  tiers.push_back(HashMapWith(0, 10));
  auto slow_gate = std::make_unique<GatedTier>(HashMapWith(0, 100));
  GatedTier* slow = slow_gate.get();
  tiers.push_back(std::move(slow_gate));
  TierChain chain(std::move(tiers), -1.0f);

  BatcherOptions options;
  options.workers = 1;
  options.hit_rate_threshold = 0.0;  // always asynchronous
  options.miss_budget_us = 0;        // server default: unlimited
  Batcher batcher(options);
  std::atomic<int> finished{0};
  std::unique_ptr<LookupJob> hold_job = std::make_unique<TestJob>(
      &hold_chain, std::vector<int64_t>{1}, &finished);
  REQUIRE(batcher.Submit(hold_job).ok());
  hold->WaitEntered();

  auto budgeted =
      std::make_unique<TestJob>(&chain, std::vector<int64_t>{1, 50}, &finished);
  budgeted->budget_us = 50000;
  auto unlimited =
      std::make_unique<TestJob>(&chain, std::vector<int64_t>{2, 60}, &finished);
  auto short_outcome = budgeted->outcome();
  auto long_outcome = unlimited->outcome();
  std::unique_ptr<LookupJob> a = std::move(budgeted);
  std::unique_ptr<LookupJob> b = std::move(unlimited);
  REQUIRE(batcher.Submit(a).ok());
  REQUIRE(batcher.Submit(b).ok());
  hold->Open();

  // The budgeted request is answered while the slow read is still held.
  WaitFor(finished, 2);
  REQUIRE(short_outcome->status.ok());
  CHECK(short_outcome->defaulted == std::vector<size_t>{1});
  CHECK(short_outcome->values[0] == ValueOf(1, 0));
  CHECK(short_outcome->values[kDim] == -1.0f);
  CHECK(finished.load() == 2);  // the unlimited one is still waiting

  slow->Open();
  WaitFor(finished, 3);
  REQUIRE(long_outcome->status.ok());
  CHECK(long_outcome->defaulted.empty());
  CHECK(long_outcome->values[kDim] == ValueOf(60, 0));
  CHECK(long_outcome->values[kDim + 3] == ValueOf(60, 3));
  // The two requests were one batch (the first batch was the holding job).
  CHECK(batcher.Stats().batches == 2);
}

}  // namespace strata::testing

namespace strata::testing {
namespace {

// The idle poller and the wake-up it lets Submit skip: submitters that
// pause for random times around the poll window (so jobs land while a
// worker polls, just as it gives up, and while every worker sleeps) never
// leave a job unfinished, and every job gets its own rows.
TEST_CASE("an idle worker's polling loses no job", "[batcher][concurrency]") {
  const TierChain chain = EmptyOverFull();
  for (uint32_t workers : {1u, 3u}) {
    BatcherOptions options;
    options.workers = workers;
    options.idle_spin_us = 50;
    Batcher batcher(options);
    constexpr int kThreads = 3, kJobsEach = 150;
    std::atomic<int> finished{0};
    std::vector<std::shared_ptr<TestJob::Outcome>> outcomes(kThreads *
                                                            kJobsEach);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        uint64_t rng = 0x9E3779B97F4A7C15ull * (t + 1);
        for (int i = 0; i < kJobsEach; ++i) {
          rng = rng * 6364136223846793005ull + 1442695040888963407ull;
          const int64_t key = static_cast<int64_t>((rng >> 33) % 100);
          auto job = std::make_unique<TestJob>(
              &chain, std::vector<int64_t>{key}, &finished);
          outcomes[t * kJobsEach + i] = job->outcome();
          std::unique_ptr<LookupJob> base = std::move(job);
          while (!batcher.Submit(base).ok()) std::this_thread::yield();
          // 0 to ~100 us: inside, at the edge of and past the window.
          std::this_thread::sleep_for(
              std::chrono::microseconds((rng >> 40) % 100));
        }
      });
    }
    for (std::thread& th : threads) th.join();
    WaitFor(finished, kThreads * kJobsEach);
    for (const auto& o : outcomes) {
      REQUIRE(o->status.ok());
      REQUIRE(o->keys.size() == 1);
      for (uint32_t j = 0; j < kDim; ++j) {
        REQUIRE(o->values[j] == ValueOf(o->keys[0], j));
      }
    }
  }
}

}  // namespace
}  // namespace strata::testing
