// HashMapPartition: one partition of the hash map tier — an open-addressing
// index (linear probing, 8-byte slots of {hash tag, row id}) over rows packed
// back to back in large slabs. A row is [int64 key][optional uint32 stamp]
// [values], so memory is the row itself plus about 10-20 bytes of index per
// row; there is no per-row heap allocation. Rows stay dense (row ids are
// 0..size()-1): erasing a row moves the last row into its place, which makes
// a uniformly random resident row one random number away.
//
// Memory follows the row count both ways. Every slab but the last holds
// slab_rows rows; the last grows by quarters up to that. When erasing leaves
// the last slab empty and the one before it at most half full, the last slab
// is freed; when the index falls below 1/8 full it halves. So after a mass
// erase, memory returns to what the surviving rows need (plus at most half a
// slab), and refilling allocates it again.
//
// Ownership: owns its index and slabs; row pointers stay valid until the next
// Insert() or EraseRow().
// Thread safety: none of its own. The tier guards each partition with a
// reader/writer lock: const members under a shared lock, the rest under an
// exclusive one. The stamp word is the exception: readers update it with
// relaxed atomics (see Stamp()).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace strata {

class HashMapPartition {
 public:
  static constexpr uint32_t kNoRow = 0xffffffffu;

  // `value_bytes`: stored bytes of one row's values. `with_stamp`: reserve a
  // 32-bit word per row for recency. `slab_bytes`: target size of one slab.
  HashMapPartition(uint32_t value_bytes, bool with_stamp, uint64_t slab_bytes);

  HashMapPartition(const HashMapPartition&) = delete;
  HashMapPartition& operator=(const HashMapPartition&) = delete;

  // The hash every caller must use for `key`: the tier picks the partition
  // from its top bits, the partition the slot and tag from its low 32 bits.
  static uint64_t HashKey(int64_t key) {
    uint64_t x = static_cast<uint64_t>(key) * 0x9e3779b97f4a7c15ull;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ull;
    return x ^ (x >> 32);
  }

  // The row holding `key` (whose hash is `hash`), or kNoRow.
  uint32_t Find(int64_t key, uint64_t hash) const {
    const uint32_t tag = static_cast<uint32_t>(hash);
    for (uint64_t i = tag & mask_;; i = (i + 1) & mask_) {
      const Slot s = slots_[i];
      if (s.row == kNoRow) return kNoRow;
      if (s.tag == tag && RowKey(s.row) == key) return s.row;
    }
  }

  // The first row whose tag matches `hash`, or kNoRow when no row can hold
  // the key. Reads only the index; the caller confirms with RowKey() and on
  // a mismatch (a tag collision, rare) falls back to Find().
  uint32_t FindCandidate(uint64_t hash) const {
    const uint32_t tag = static_cast<uint32_t>(hash);
    for (uint64_t i = tag & mask_;; i = (i + 1) & mask_) {
      const Slot s = slots_[i];
      if (s.row == kNoRow || s.tag == tag) return s.row;
    }
  }

  // Hints the CPU to fetch the index line that Find(., hash) starts at.
  void PrefetchSlot(uint64_t hash) const {
    __builtin_prefetch(&slots_[static_cast<uint32_t>(hash) & mask_]);
  }
  // Hints the CPU to fetch a whole row.
  void PrefetchRow(uint32_t row) const {
    const std::byte* p = Row(row);
    for (uint32_t off = 0; off < stride_; off += 64) {
      __builtin_prefetch(p + off);
    }
    __builtin_prefetch(p + stride_ - 1);
  }

  int64_t RowKey(uint32_t row) const {
    int64_t key;
    std::memcpy(&key, Row(row), sizeof(key));
    return key;
  }
  const std::byte* RowValues(uint32_t row) const {
    return Row(row) + values_offset_;
  }
  std::byte* RowValues(uint32_t row) { return Row(row) + values_offset_; }

  // The row's recency stamp (only when constructed `with_stamp`). Readers
  // holding the shared lock may load and store it with relaxed order.
  std::atomic_ref<uint32_t> Stamp(uint32_t row) const {
    return std::atomic_ref<uint32_t>(
        *reinterpret_cast<uint32_t*>(Row(row) + sizeof(int64_t)));
  }

  // Adds `key`, which must be absent, with uninitialized values (stamp 0).
  // Returns its row.
  uint32_t Insert(int64_t key, uint64_t hash);

  // Removes `row`; the last row moves into its place.
  void EraseRow(uint32_t row);

  uint32_t size() const { return size_; }
  // Bytes allocated: index plus slabs.
  uint64_t bytes() const {
    return (mask_ + 1) * sizeof(Slot) + slab_bytes_total_;
  }

 private:
  struct Slot {
    uint32_t tag;  // low 32 bits of the key's hash
    uint32_t row;  // kNoRow when empty
  };

  struct FreeDeleter {
    void operator()(std::byte* p) const;
  };
  using SlabPtr = std::unique_ptr<std::byte[], FreeDeleter>;

  std::byte* Row(uint32_t row) const {
    // row / slab_rows_ by multiplication (exact for 32-bit dividends).
    const uint32_t slab = static_cast<uint32_t>(
        (static_cast<unsigned __int128>(slab_div_) * row) >> 64);
    return slabs_[slab].get() +
           static_cast<uint64_t>(row - slab * slab_rows_) * stride_;
  }
  // Allocates `bytes` of slab, on transparent huge pages when it is large;
  // AllocatedBytes() says how many bytes that really takes.
  static SlabPtr AllocateSlab(uint64_t bytes);
  static uint64_t AllocatedBytes(uint64_t bytes);
  // Makes room for row `row` (== size_) when it is past the allocated rows:
  // the last slab grows in steps of a quarter up to slab_rows_, then a new
  // slab starts.
  void ReserveRow(uint32_t row);
  // Frees the last slab while it is empty and the slab before it at most
  // half full, and halves the index while it is under 1/8 full.
  void ReleaseSpare();
  // Rows the slabs have room for.
  uint64_t allocated_rows() const {
    return slabs_.empty()
               ? 0
               : uint64_t{slab_rows_} * (slabs_.size() - 1) + last_rows_;
  }
  // The slot that points at `row`, whose key hashes to `hash`.
  uint64_t SlotOf(uint32_t row, uint64_t hash) const;
  // Rebuilds the index with `slots` slots (a power of two).
  void Rehash(uint64_t slots);

  // Constant after construction.
  uint32_t values_offset_;  // 8, or 12 with a stamp
  uint32_t stride_;         // bytes per row, a multiple of 4
  uint64_t slab_bytes_;     // bytes per full slab
  uint32_t slab_rows_;      // rows per full slab
  uint64_t slab_div_;       // 2^64 / slab_rows_, rounded up

  uint64_t mask_ = 0;  // slots_.size() - 1
  std::vector<Slot> slots_;
  std::vector<SlabPtr> slabs_;     // all but the last hold slab_rows_ rows
  uint32_t last_rows_ = 0;         // rows the last slab has room for
  uint64_t slab_bytes_total_ = 0;  // bytes of all slabs
  uint32_t size_ = 0;
};

}  // namespace strata
