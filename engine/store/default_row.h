// DefaultRow: the row a lookup returns, flagged, for a key no tier holds —
// one per table, chosen at import or load:
//   ""                          every element the table's scalar default
//   "vector:V0,V1,...,V{dim-1}" one fixed row
//   "hash:SEED:LOW:HIGH"        a per-key row, each element uniform in
//                               [LOW, HIGH) from a seeded hash of (key,
//                               element): the same on every pod and after
//                               every restart, like a freshly initialized
//                               embedding
// Parse refuses anything else, or a vector whose length is not the dim.
//
// An immutable value type; Fill is safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace strata {

class DefaultRow {
 public:
  // Every element `value`.
  explicit DefaultRow(float value = 0.0f) : value_(value) {}

  // `spec` as above for a table of `dim`; "" gives DefaultRow(scalar).
  [[nodiscard]] static absl::StatusOr<DefaultRow> Parse(const std::string& spec,
                                                        uint32_t dim,
                                                        float scalar);

  // Writes the default row of `key` into row[0, dim).
  void Fill(int64_t key, float* row, uint32_t dim) const;

  // The spec it was parsed from ("" for a scalar).
  const std::string& spec() const { return spec_; }
  float scalar() const { return value_; }

 private:
  enum class Kind : uint8_t { kScalar, kVector, kHash };
  Kind kind_ = Kind::kScalar;
  std::string spec_;
  float value_ = 0.0f;
  std::vector<float> vector_;
  uint64_t seed_ = 0;
  float low_ = 0.0f, high_ = 0.0f;
};

}  // namespace strata
