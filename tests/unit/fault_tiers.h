// Tier decorators that inject faults into tests: a slow tier, and a tier
// whose lookups wait at a gate until the test opens it.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "engine/store/tier.h"

namespace strata::testing {

// Forwards every call to `base`; subclasses override what they disturb.
class TierWrapper : public Tier {
 public:
  explicit TierWrapper(std::unique_ptr<Tier> base) : base_(std::move(base)) {}
  const std::string& name() const override { return base_->name(); }
  uint32_t dim() const override { return base_->dim(); }
  absl::Status Lookup(absl::Span<const int64_t> keys, absl::Span<float> values,
                      std::vector<size_t>* missing) override {
    return base_->Lookup(keys, values, missing);
  }
  absl::Status Upsert(absl::Span<const int64_t> keys,
                      absl::Span<const float> values) override {
    return base_->Upsert(keys, values);
  }
  absl::Status Erase(absl::Span<const int64_t> keys) override {
    return base_->Erase(keys);
  }
  TierStats Stats() const override { return base_->Stats(); }

 protected:
  std::unique_ptr<Tier> base_;
};

// Claims to be remote (one round trip per call) and counts lookup calls.
class RemoteTier final : public TierWrapper {
 public:
  using TierWrapper::TierWrapper;
  bool is_remote() const override { return true; }
  absl::Status Lookup(absl::Span<const int64_t> keys, absl::Span<float> values,
                      std::vector<size_t>* missing) override {
    ++calls;
    return base_->Lookup(keys, values, missing);
  }
  int calls = 0;
};

// Every lookup takes `delay` longer.
class SlowTier final : public TierWrapper {
 public:
  SlowTier(std::unique_ptr<Tier> base, std::chrono::microseconds delay)
      : TierWrapper(std::move(base)), delay_(delay) {}
  absl::Status Lookup(absl::Span<const int64_t> keys, absl::Span<float> values,
                      std::vector<size_t>* missing) override {
    std::this_thread::sleep_for(delay_);
    return base_->Lookup(keys, values, missing);
  }

 private:
  const std::chrono::microseconds delay_;
};

// A one-shot gate between a tier call and the test: the call announces it
// has arrived (first arrival only) and waits until the test opens the gate.
class TestGate {
 public:
  // Announces the arrival; true for the first one.
  bool Arrive() {
    bool first = false;
    std::call_once(once_, [&] {
      first = true;
      entered_.set_value();
    });
    return first;
  }
  void Wait() { opened_.wait(); }
  void WaitEntered() { entered_future_.wait(); }
  void Open() { gate_.set_value(); }

 private:
  std::promise<void> gate_;
  std::shared_future<void> opened_ = gate_.get_future().share();
  std::promise<void> entered_;
  std::future<void> entered_future_ = entered_.get_future();
  std::once_flag once_;
};

// Every lookup announces itself and waits at the gate before reading.
class GatedTier final : public TierWrapper {
 public:
  using TierWrapper::TierWrapper;
  absl::Status Lookup(absl::Span<const int64_t> keys, absl::Span<float> values,
                      std::vector<size_t>* missing) override {
    gate_.Arrive();
    gate_.Wait();
    return base_->Lookup(keys, values, missing);
  }
  void WaitEntered() { gate_.WaitEntered(); }
  void Open() { gate_.Open(); }

 private:
  TestGate gate_;
};

// The first lookup reads from `base`, then announces itself and holds its
// answer at the gate; later lookups pass straight on.
class HoldAfterReadTier final : public TierWrapper {
 public:
  using TierWrapper::TierWrapper;
  absl::Status Lookup(absl::Span<const int64_t> keys, absl::Span<float> values,
                      std::vector<size_t>* missing) override {
    absl::Status s = base_->Lookup(keys, values, missing);
    if (gate_.Arrive()) gate_.Wait();
    return s;
  }
  Tier& base() { return *base_; }
  void WaitEntered() { gate_.WaitEntered(); }
  void Open() { gate_.Open(); }

 private:
  TestGate gate_;
};

}  // namespace strata::testing
