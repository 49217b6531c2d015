#include "engine/store/default_row.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace strata {
namespace {

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

absl::Status Bad(const std::string& spec, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "default row \"", spec, "\": ", why,
      " (want \"vector:V0,...\" with dim values, or \"hash:SEED:LOW:HIGH\")"));
}

}  // namespace

absl::StatusOr<DefaultRow> DefaultRow::Parse(const std::string& spec,
                                             uint32_t dim, float scalar) {
  DefaultRow row(scalar);
  if (spec.empty()) return row;
  row.spec_ = spec;
  if (absl::StartsWith(spec, "vector:")) {
    for (absl::string_view part : absl::StrSplit(spec.substr(7), ',')) {
      float v = 0;
      if (!absl::SimpleAtof(part, &v) || !std::isfinite(v)) {
        return Bad(spec, absl::StrCat("\"", part, "\" is not a number"));
      }
      row.vector_.push_back(v);
    }
    if (row.vector_.size() != dim) {
      return Bad(spec,
                 absl::StrCat(row.vector_.size(), " values for dim ", dim));
    }
    row.kind_ = Kind::kVector;
    return row;
  }
  if (absl::StartsWith(spec, "hash:")) {
    std::vector<absl::string_view> parts = absl::StrSplit(spec.substr(5), ':');
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &row.seed_) ||
        !absl::SimpleAtof(parts[1], &row.low_) ||
        !absl::SimpleAtof(parts[2], &row.high_) || !std::isfinite(row.low_) ||
        !std::isfinite(row.high_) || !(row.low_ < row.high_)) {
      return Bad(spec, "needs SEED:LOW:HIGH with LOW < HIGH");
    }
    row.kind_ = Kind::kHash;
    return row;
  }
  return Bad(spec, "unknown kind");
}

void DefaultRow::Fill(int64_t key, float* row, uint32_t dim) const {
  switch (kind_) {
    case Kind::kScalar:
      std::fill(row, row + dim, value_);
      return;
    case Kind::kVector:
      std::copy(vector_.begin(), vector_.end(), row);
      return;
    case Kind::kHash: {
      const uint64_t base = Mix(seed_ ^ Mix(static_cast<uint64_t>(key)));
      const float span = high_ - low_;
      for (uint32_t j = 0; j < dim; ++j) {
        // 24 random bits: a float in [0, 1) with every step representable.
        const float unit =
            static_cast<float>(Mix(base + j) >> 40) * (1.0f / (1 << 24));
        row[j] = std::min(low_ + unit * span, std::nextafter(high_, low_));
      }
      return;
    }
  }
}

}  // namespace strata
