#include "client/bench/hit_rate_baselines.h"

namespace strata {

double LruHitRate(const std::vector<int64_t>& keys, uint64_t rows,
                  uint64_t capacity, size_t warm) {
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint32_t> prev(rows, kNone), next(rows, kNone);
  std::vector<uint8_t> in(rows, 0);
  uint32_t head = kNone, tail = kNone;  // head = most recent
  uint64_t size = 0, hits = 0;
  auto unlink = [&](uint32_t k) {
    (prev[k] == kNone ? head : next[prev[k]]) = next[k];
    (next[k] == kNone ? tail : prev[next[k]]) = prev[k];
  };
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint32_t k = static_cast<uint32_t>(keys[i]);
    if (in[k]) {
      if (i >= warm) ++hits;
      unlink(k);
    } else if (size == capacity) {
      const uint32_t victim = tail;
      unlink(victim);
      in[victim] = 0;
    } else {
      ++size;
    }
    in[k] = 1;
    prev[k] = kNone;
    next[k] = head;
    (head == kNone ? tail : prev[head]) = k;
    head = k;
  }
  return keys.size() > warm ? double(hits) / (keys.size() - warm) : 0;
}

double OracleHitRate(const KeyStream& stream, const std::vector<int64_t>& keys,
                     uint64_t capacity, size_t warm) {
  std::vector<uint8_t> top(stream.rows(), 0);
  for (uint64_t r = 0; r < capacity && r < stream.rows(); ++r) {
    top[stream.KeyOfRank(r)] = 1;
  }
  uint64_t hits = 0;
  for (size_t i = warm; i < keys.size(); ++i) hits += top[keys[i]];
  return keys.size() > warm ? double(hits) / (keys.size() - warm) : 0;
}

}  // namespace strata
