// HostTensor: a small dense tensor in host memory: the constants of a graph
// (initializers, Constant nodes, folded subgraphs) and the batch-derived
// values the executor computes on the host in Prepare (shapes and what is
// computed from them).
//
// Ownership: owns its elements. Thread safety: immutable once shared (the
// executor hands them out as shared_ptr<const HostTensor>).
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/model/dense/dense_network.h"

namespace strata {

inline size_t ElementBytes(TensorType t) {
  return t == TensorType::kInt64 ? 8 : 4;
}

// The most elements one tensor may hold (2^32, 16 GiB of float32). Shapes
// that come from a graph file, or are computed from one, are checked against
// it (CheckShape) before anything is allocated, so element counts and byte
// sizes never overflow.
constexpr int64_t kMaxTensorElements = int64_t{1} << 32;

// The product of `shape`'s dims. Never overflows: a shape with a negative
// dim, or with more than kMaxTensorElements elements, counts
// kMaxTensorElements + 1 (any zero dim makes it 0).
inline int64_t NumElements(const std::vector<int64_t>& shape) {
  constexpr int64_t kTooMany = kMaxTensorElements + 1;
  for (int64_t d : shape) {
    if (d == 0) return 0;
  }
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n) || n > kMaxTensorElements) {
      return kTooMany;
    }
  }
  return n;
}

// INVALID_ARGUMENT naming `what` unless every dim is >= 0 and the shape has
// at most kMaxTensorElements elements.
[[nodiscard]] inline absl::Status CheckShape(const std::vector<int64_t>& shape,
                                             absl::string_view what) {
  for (int64_t d : shape) {
    if (d < 0) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": negative dim"));
    }
  }
  if (NumElements(shape) > kMaxTensorElements) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": more than ", kMaxTensorElements, " elements"));
  }
  return absl::OkStatus();
}

struct HostTensor {
  TensorType type = TensorType::kFloat32;
  std::vector<int64_t> shape;
  std::vector<int64_t> words;  // the elements, 8-byte aligned

  HostTensor() = default;
  HostTensor(TensorType t, std::vector<int64_t> s)
      : type(t), shape(std::move(s)) {
    words.resize((bytes() + 7) / 8);
  }

  int64_t num_elements() const { return NumElements(shape); }
  size_t bytes() const { return num_elements() * ElementBytes(type); }
  void* data() { return words.data(); }
  const void* data() const { return words.data(); }
  float* floats() { return reinterpret_cast<float*>(words.data()); }
  const float* floats() const {
    return reinterpret_cast<const float*>(words.data());
  }
  int64_t* ints() { return words.data(); }
  const int64_t* ints() const { return words.data(); }

  // The elements as int64 (a float tensor is truncated).
  std::vector<int64_t> AsInts() const {
    std::vector<int64_t> v(num_elements());
    for (size_t i = 0; i < v.size(); ++i) {
      v[i] = type == TensorType::kInt64 ? ints()[i]
                                        : static_cast<int64_t>(floats()[i]);
    }
    return v;
  }
  bool SameAs(const HostTensor& o) const {
    return type == o.type && shape == o.shape &&
           std::memcmp(data(), o.data(), bytes()) == 0;
  }
};

}  // namespace strata
