// The cuda GpuCache backend (its kernels) against the reference backend on
// the same batches, bit for bit: after every batch, both backends' Query
// results (rows and the missing list), Stats and HottestKeys must be equal.
// Streams: random keys over a small range, every key in one set, duplicates
// within a batch, INT64_MIN/MAX, 0 and -1, random int64 keys, and Zipf; with
// Insert, UpdateIfPresent and Invalidate steps, small and large batches, and
// decay periods that the batches cross. One more test runs queries
// concurrently with a writer and checks that no query sees a half-written or
// foreign row.
//
// Without a CUDA device NewCudaGpuCache is UNAVAILABLE: each test WARNs
// "no CUDA device: ..." and returns, so the suite passes in CI.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/common/key_stream.h"
#include "engine/cuda/gpu_cache.h"
#include "engine/cuda/gpu_cache_policy.h"
#include "tests/unit/gpu_cache_keys.h"

namespace strata {
namespace {

namespace gc = gpu_cache;
using testing::KeySource;

struct Backends {
  std::unique_ptr<GpuCache> cuda;
  std::unique_ptr<GpuCache> ref;
};

// Both backends of `o`; false (after a WARN) when this process has no
// device.
bool MakeBackends(const GpuCacheOptions& o, Backends* b) {
  auto cuda = NewCudaGpuCache(o);
  if (cuda.status().code() == absl::StatusCode::kUnavailable) {
    WARN("no CUDA device: " << cuda.status().message());
    return false;
  }
  REQUIRE(cuda.status().ok());
  auto ref = NewReferenceGpuCache(o);
  REQUIRE(ref.ok());
  b->cuda = std::move(*cuda);
  b->ref = std::move(*ref);
  REQUIRE(b->cuda->backend() == "cuda");
  REQUIRE(b->cuda->slots() == b->ref->slots());
  REQUIRE(b->cuda->dim() == b->ref->dim());
  return true;
}

// Arbitrary bit patterns (NaN payloads included): copies must keep bits.
std::vector<float> RowsFor(const std::vector<int64_t>& keys, uint32_t dim,
                           uint64_t step) {
  std::vector<float> out(keys.size() * dim);
  for (size_t i = 0; i < keys.size(); ++i) {
    for (uint32_t d = 0; d < dim; ++d) {
      const uint32_t bits = static_cast<uint32_t>(
          gc::Mix(static_cast<uint64_t>(keys[i]) * 131 + step * 7919 + d));
      std::memcpy(&out[i * dim + d], &bits, sizeof(bits));
    }
  }
  return out;
}

void CompareState(const Backends& b) {
  const GpuCacheStats c = b.cuda->Stats();
  const GpuCacheStats r = b.ref->Stats();
  REQUIRE(c.lookups == r.lookups);
  REQUIRE(c.hits == r.hits);
  REQUIRE(c.rows == r.rows);
  REQUIRE(c.bytes == r.bytes);
  REQUIRE(c.inserted == r.inserted);
  REQUIRE(c.rejected == r.rejected);
  REQUIRE(c.evicted == r.evicted);
  auto hc = b.cuda->HottestKeys(b.ref->slots());
  auto hr = b.ref->HottestKeys(b.ref->slots());
  REQUIRE(hc.ok());
  REQUIRE(hr.ok());
  REQUIRE(*hc == *hr);
}

void CompareQuery(const Backends& b, const std::vector<int64_t>& keys) {
  const uint32_t dim = b.ref->dim();
  std::vector<float> vc(keys.size() * dim, -7.0f), vr = vc;
  std::vector<size_t> mc = {12345}, mr = {12345};  // Query appends
  REQUIRE(b.cuda->Query(keys, absl::MakeSpan(vc), &mc).ok());
  REQUIRE(b.ref->Query(keys, absl::MakeSpan(vr), &mr).ok());
  REQUIRE(mc == mr);
  REQUIRE(std::memcmp(vc.data(), vr.data(), vc.size() * sizeof(float)) == 0);
}

// Random operation sequences on both backends, compared after every step.
// Returns false when there is no device.
bool RunAgainstReference(const std::string& kind, uint64_t capacity,
                         uint64_t decay, uint32_t dim, uint32_t streams,
                         int steps, uint64_t seed) {
  GpuCacheOptions o;
  o.dim = dim;
  o.capacity_rows = capacity;
  o.decay_period = decay;
  o.streams = streams;
  Backends b;
  if (!MakeBackends(o, &b)) return false;
  KeySource source(kind, static_cast<uint32_t>(b.ref->slots() / gc::kWays),
                   seed);
  std::mt19937_64 rng(seed * 7 + 1);
  for (int step = 0; step < steps; ++step) {
    // Mostly small batches; now and then one of thousands (many blocks).
    const size_t n = rng() % 50 == 0 ? 1000 + rng() % 4000 : 1 + rng() % 40;
    std::vector<int64_t> keys(n);
    for (int64_t& k : keys) k = source.Next();
    if (rng() % 4 == 0) keys.push_back(keys[0]);  // a duplicate in the batch
    const uint32_t op = rng() % 10;
    INFO("stream " << kind << " capacity " << capacity << " decay " << decay
                   << " dim " << dim << " step " << step << " op " << op
                   << " keys " << keys.size());
    if (op < 5) {
      CompareQuery(b, keys);
    } else if (op < 8) {
      const std::vector<float> values = RowsFor(keys, dim, step);
      if (op == 7) {
        REQUIRE(b.cuda->UpdateIfPresent(keys, values).ok());
        REQUIRE(b.ref->UpdateIfPresent(keys, values).ok());
      } else {
        REQUIRE(b.cuda->Insert(keys, values).ok());
        REQUIRE(b.ref->Insert(keys, values).ok());
      }
    } else if (op == 8) {
      REQUIRE(b.cuda->Invalidate(keys).ok());
      REQUIRE(b.ref->Invalidate(keys).ok());
    } else {
      for (size_t n_hot : {size_t{0}, size_t{1}, size_t{5}}) {
        REQUIRE(*b.cuda->HottestKeys(n_hot) == *b.ref->HottestKeys(n_hot));
      }
    }
    CompareState(b);
  }
  const GpuCacheStats end = b.cuda->Stats();
  CHECK(end.hits > 0);
  CHECK(end.inserted > 0);
  return true;
}

void RunKind(const std::string& kind) {
  int run = 0;
  for (uint64_t capacity : {8, 64, 1000}) {
    for (uint64_t decay : {0, 37}) {
      const uint32_t dim = std::vector<uint32_t>{3, 8, 32, 1, 12}[run % 5];
      const uint32_t streams = 1 + run % 3;
      if (!RunAgainstReference(kind, capacity, decay, dim, streams, 700,
                               capacity * 31 + decay + run)) {
        return;
      }
      ++run;
    }
  }
}

TEST_CASE("cuda gpu cache = reference: random keys", "[gpu]") {
  RunKind("random");
}
TEST_CASE("cuda gpu cache = reference: every key in one set", "[gpu]") {
  RunKind("one set");
}
TEST_CASE("cuda gpu cache = reference: INT64_MIN/MAX, 0, -1", "[gpu]") {
  RunKind("extremes");
}
TEST_CASE("cuda gpu cache = reference: random int64 keys", "[gpu]") {
  RunKind("wide");
}
TEST_CASE("cuda gpu cache = reference: zipf", "[gpu]") { RunKind("zipf"); }

TEST_CASE("cuda gpu cache = reference: large batches cross decay", "[gpu]") {
  GpuCacheOptions o;
  o.dim = 32;
  o.capacity_rows = 50000;
  o.streams = 2;
  Backends b;
  if (!MakeBackends(o, &b)) return;
  KeyStream zipf(200000, 0.9, 3);
  std::mt19937_64 rng(5);
  for (int round = 0; round < 12; ++round) {
    INFO("round " << round);
    // Growing batches: the staging grows a few times, never shrinks.
    std::vector<int64_t> keys(20000 + round * 20000);
    for (int64_t& k : keys) k = zipf.Next();
    CompareQuery(b, keys);
    CompareState(b);
    const std::vector<float> values = RowsFor(keys, o.dim, round);
    REQUIRE(b.cuda->Insert(keys, values).ok());
    REQUIRE(b.ref->Insert(keys, values).ok());
    CompareState(b);
    if (round % 3 == 2) {
      keys.resize(keys.size() / 4);
      REQUIRE(b.cuda->Invalidate(keys).ok());
      REQUIRE(b.ref->Invalidate(keys).ok());
      CompareState(b);
    }
  }
  CompareQuery(b, std::vector<int64_t>(1000, 7));  // one key, many times
  CompareState(b);
}

TEST_CASE("cuda gpu cache: errors are statuses", "[gpu]") {
  GpuCacheOptions o;
  o.dim = 4;
  o.capacity_rows = 64;
  o.device = 1 << 20;
  CHECK(NewCudaGpuCache(o).status().code() == absl::StatusCode::kUnavailable);
  o.device = 0;
  o.dim = 0;
  CHECK(NewCudaGpuCache(o).status().code() ==
        absl::StatusCode::kInvalidArgument);
  o.dim = 4;
  auto cache = NewCudaGpuCache(o);
  if (cache.status().code() == absl::StatusCode::kUnavailable) {
    WARN("no CUDA device: " << cache.status().message());
    return;
  }
  REQUIRE(cache.ok());
  std::vector<float> out(3);
  std::vector<size_t> missing;
  CHECK((*cache)
            ->Query(std::vector<int64_t>{1, 2}, absl::MakeSpan(out), &missing)
            .code() == absl::StatusCode::kInvalidArgument);
  CHECK((*cache)->Insert(std::vector<int64_t>{1}, out).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK((*cache)->Query({}, {}, &missing).ok());
  CHECK(missing.empty());
  CHECK((*cache)->Stats().bytes == GpuCacheBytes(o));
}

// Rows hold key * 4096 + version in every element, so a query can tell a
// torn row (elements differ) or another key's row.
TEST_CASE("cuda gpu cache: queries during writes see whole rows", "[gpu]") {
  GpuCacheOptions o;
  o.dim = 64;
  o.capacity_rows = 256;  // 1024 keys: constant eviction
  o.streams = 3;
  auto cache_or = NewCudaGpuCache(o);
  if (cache_or.status().code() == absl::StatusCode::kUnavailable) {
    WARN("no CUDA device: " << cache_or.status().message());
    return;
  }
  REQUIRE(cache_or.ok());
  GpuCache& cache = **cache_or;
  constexpr int64_t kKeys = 1024;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad_rows{0}, errors{0}, hits{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      std::vector<int64_t> keys(256);
      std::vector<float> values(keys.size() * o.dim);
      std::vector<size_t> missing;
      while (!stop.load()) {
        for (int64_t& k : keys) k = static_cast<int64_t>(rng() % kKeys);
        missing.clear();
        if (!cache.Query(keys, absl::MakeSpan(values), &missing).ok()) {
          ++errors;
          continue;
        }
        size_t m = 0;
        for (size_t i = 0; i < keys.size(); ++i) {
          if (m < missing.size() && missing[m] == i) {
            ++m;
            continue;
          }
          ++hits;
          const float* row = &values[i * o.dim];
          const bool whole = std::all_of(row, row + o.dim,
                                         [&](float v) { return v == row[0]; });
          if (!whole || static_cast<int64_t>(row[0]) / 4096 != keys[i]) {
            ++bad_rows;
          }
        }
      }
    });
  }
  std::mt19937_64 rng(99);
  for (int version = 0; version < 1500; ++version) {
    std::vector<int64_t> keys(64);
    for (int64_t& k : keys) k = static_cast<int64_t>(rng() % kKeys);
    std::vector<float> values(keys.size() * o.dim);
    for (size_t i = 0; i < keys.size(); ++i) {
      std::fill_n(&values[i * o.dim], o.dim,
                  static_cast<float>(keys[i] * 4096 + version));
    }
    const int op = version % 5;
    const absl::Status s = op < 3    ? cache.Insert(keys, values)
                           : op == 3 ? cache.UpdateIfPresent(keys, values)
                                     : cache.Invalidate(keys);
    if (!s.ok()) ++errors;
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  CHECK(errors.load() == 0);
  CHECK(bad_rows.load() == 0);
  CHECK(hits.load() > 0);
  CHECK(cache.Stats().rows <= cache.slots());
}

}  // namespace
}  // namespace strata
