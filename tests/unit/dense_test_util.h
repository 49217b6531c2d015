// Reference helpers for the dense executor tests: index arithmetic over
// row-major shapes and numpy broadcasting, so every operator is checked
// against a direct computation.
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

namespace strata::testing {

inline std::vector<int64_t> Unravel(int64_t flat,
                                    const std::vector<int64_t>& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    idx[i] = flat % shape[i];
    flat /= shape[i];
  }
  return idx;
}

// Flat offset into `shape` of an index over `out` (right-aligned numpy
// broadcasting).
inline int64_t BroadcastOffset(const std::vector<int64_t>& idx,
                               const std::vector<int64_t>& shape) {
  int64_t off = 0;
  const size_t skip = idx.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i) {
    off = off * shape[i] + (shape[i] == 1 ? 0 : idx[i + skip]);
  }
  return off;
}

inline int64_t Count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

inline void RequireNear(const std::vector<float>& got,
                        const std::vector<float>& want, double tol = 1e-5) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    REQUIRE(std::abs(double(got[i]) - double(want[i])) <= tol);
  }
}

}  // namespace strata::testing
