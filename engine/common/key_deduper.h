// KeyDeduper: maps the keys of one batch to dense indices of their first
// occurrence, reusing its table from batch to batch: Reset() is O(1) (a
// generation stamp marks stale slots), so a worker allocates nothing once the
// table has grown to its working size.
//
// Not thread-safe: one per worker.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include "engine/common/random.h"

namespace strata {

class KeyDeduper {
 public:
  // Prepares for a batch of at most `max_keys` keys.
  void Reset(size_t max_keys) {
    const size_t want = std::bit_ceil(std::max<size_t>(16, max_keys * 2));
    if (slots_.size() < want) {
      slots_.assign(want, Slot{});
      generation_ = 0;
    }
    mask_ = slots_.size() - 1;
    if (++generation_ == 0) {  // wrapped: forget every stamp
      slots_.assign(slots_.size(), Slot{});
      generation_ = 1;
    }
    size_ = 0;
  }

  // The dense index of `key`: new keys get the next index.
  uint32_t Insert(int64_t key, bool* inserted) {
    for (size_t i = Mix64(static_cast<uint64_t>(key)) & mask_;;
         i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.generation != generation_) {
        s = Slot{key, generation_, size_};
        *inserted = true;
        return size_++;
      }
      if (s.key == key) {
        *inserted = false;
        return s.index;
      }
    }
  }

 private:
  struct Slot {
    int64_t key = 0;
    uint32_t generation = 0;  // 0 = never used
    uint32_t index = 0;
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  uint32_t generation_ = 0;
  uint32_t size_ = 0;
};

}  // namespace strata
