#include "engine/store/hash_map/hash_map_partition.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdlib>
#include <new>

namespace strata {
namespace {

constexpr uint64_t kInitialSlots = 16;
// Grow when more than 3/4 of the slots are used; right after growing,
// 3/8 are, so the index costs 8 / load = 11-21 bytes per row.
constexpr uint64_t kMaxLoadNum = 3;
constexpr uint64_t kMaxLoadDen = 4;
constexpr uint64_t kHugePage = 2 << 20;
constexpr uint32_t kFirstSlabRows = 64;

}  // namespace

HashMapPartition::HashMapPartition(uint32_t value_bytes, bool with_stamp,
                                   uint64_t slab_bytes)
    : values_offset_(with_stamp ? 12 : 8),
      stride_((values_offset_ + value_bytes + 3) / 4 * 4),
      mask_(kInitialSlots - 1),
      slots_(kInitialSlots, Slot{0, kNoRow}) {
  slab_rows_ =
      static_cast<uint32_t>(std::max<uint64_t>(slab_bytes / stride_, 1));
  slab_bytes_ = uint64_t{slab_rows_} * stride_;
  slab_div_ = ~uint64_t{0} / slab_rows_ + 1;
}

void HashMapPartition::FreeDeleter::operator()(std::byte* p) const {
  std::free(p);
}

uint64_t HashMapPartition::AllocatedBytes(uint64_t bytes) {
  return bytes >= kHugePage / 4 * 3
             ? (bytes + kHugePage - 1) / kHugePage * kHugePage
             : bytes;
}

HashMapPartition::SlabPtr HashMapPartition::AllocateSlab(uint64_t bytes) {
  void* p = nullptr;
  if (bytes >= kHugePage / 4 * 3) {
    bytes = AllocatedBytes(bytes);
    p = std::aligned_alloc(kHugePage, bytes);
    // Random row reads miss the TLB on 4 KiB pages; ask for 2 MiB ones.
    if (p != nullptr) madvise(p, bytes, MADV_HUGEPAGE);
  } else {
    p = std::malloc(bytes);
  }
  if (p == nullptr) throw std::bad_alloc();
  return SlabPtr(static_cast<std::byte*>(p));
}

void HashMapPartition::ReserveRow(uint32_t row) {
  if (row < allocated_rows()) return;
  if (slabs_.empty() || last_rows_ == slab_rows_) {  // start a new slab
    last_rows_ = std::min(kFirstSlabRows, slab_rows_);
    slabs_.push_back(AllocateSlab(uint64_t{last_rows_} * stride_));
    slab_bytes_total_ += AllocatedBytes(uint64_t{last_rows_} * stride_);
    return;
  }
  // Grow the last slab by 1/4 (at least 64 rows) up to a full slab, so at
  // most a quarter of the last slab is ever empty. Every row it has room for
  // is in use (row == allocated_rows()), so all of them move.
  const uint32_t rows = std::min<uint32_t>(
      slab_rows_, std::max(last_rows_ + kFirstSlabRows, last_rows_ / 4 * 5));
  SlabPtr bigger = AllocateSlab(uint64_t{rows} * stride_);
  std::memcpy(bigger.get(), slabs_.back().get(),
              uint64_t{last_rows_} * stride_);
  slabs_.back() = std::move(bigger);
  slab_bytes_total_ += AllocatedBytes(uint64_t{rows} * stride_) -
                       AllocatedBytes(uint64_t{last_rows_} * stride_);
  last_rows_ = rows;
}

void HashMapPartition::ReleaseSpare() {
  // The last slab starts at row slab_rows_ * (slabs - 1); free it when it is
  // empty and half a slab of rows below it is free too, so alternating
  // inserts and erases at a boundary never allocate and free in turn.
  while (slabs_.size() > 1 && uint64_t{size_} + slab_rows_ / 2 <=
                                  uint64_t{slab_rows_} * (slabs_.size() - 1)) {
    slab_bytes_total_ -= AllocatedBytes(uint64_t{last_rows_} * stride_);
    slabs_.pop_back();
    last_rows_ = slab_rows_;
  }
  if (slabs_.size() == 1 && size_ == 0) {
    slab_bytes_total_ -= AllocatedBytes(uint64_t{last_rows_} * stride_);
    slabs_.clear();
    last_rows_ = 0;
  }
  // Halve the index while under 1/8 full; after halving it is under 1/4
  // full, well below the 3/4 that grows it.
  uint64_t slots = mask_ + 1;
  while (slots > kInitialSlots && uint64_t{size_} * 8 < slots) slots /= 2;
  if (slots != mask_ + 1) Rehash(slots);
}

uint32_t HashMapPartition::Insert(int64_t key, uint64_t hash) {
  if ((uint64_t{size_} + 1) * kMaxLoadDen > (mask_ + 1) * kMaxLoadNum) {
    Rehash((mask_ + 1) * 2);
  }
  const uint32_t row = size_;
  ReserveRow(row);
  std::byte* p = Row(row);
  std::memcpy(p, &key, sizeof(key));
  if (values_offset_ > sizeof(int64_t)) std::memset(p + 8, 0, 4);
  const uint32_t tag = static_cast<uint32_t>(hash);
  uint64_t i = tag & mask_;
  while (slots_[i].row != kNoRow) i = (i + 1) & mask_;
  slots_[i] = Slot{tag, row};
  ++size_;
  return row;
}

uint64_t HashMapPartition::SlotOf(uint32_t row, uint64_t hash) const {
  uint64_t i = static_cast<uint32_t>(hash) & mask_;
  while (slots_[i].row != row) {
    assert(slots_[i].row != kNoRow);
    i = (i + 1) & mask_;
  }
  return i;
}

void HashMapPartition::EraseRow(uint32_t row) {
  // Backward-shift deletion: pull later entries of the probe run into the
  // hole unless that would move them before their home slot.
  uint64_t hole = SlotOf(row, HashKey(RowKey(row)));
  for (uint64_t j = (hole + 1) & mask_;; j = (j + 1) & mask_) {
    const Slot s = slots_[j];
    if (s.row == kNoRow) break;
    const uint64_t home = s.tag & mask_;
    // Move s if its home is not in the cyclic range (hole, j].
    if (((j - home) & mask_) >= ((j - hole) & mask_)) {
      slots_[hole] = s;
      hole = j;
    }
  }
  slots_[hole] = Slot{0, kNoRow};

  const uint32_t last = size_ - 1;
  if (row != last) {
    // Move the last row into the freed one and repoint its slot.
    const uint64_t i = SlotOf(last, HashKey(RowKey(last)));
    std::memcpy(Row(row), Row(last), stride_);
    slots_[i].row = row;
  }
  --size_;
  ReleaseSpare();
}

void HashMapPartition::Rehash(uint64_t slots) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(slots, Slot{0, kNoRow});
  mask_ = slots - 1;
  for (const Slot& s : old) {
    if (s.row == kNoRow) continue;
    uint64_t i = s.tag & mask_;
    while (slots_[i].row != kNoRow) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

}  // namespace strata
