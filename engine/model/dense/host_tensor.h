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

#include "engine/model/dense/dense_network.h"

namespace strata {

inline size_t ElementBytes(TensorType t) {
  return t == TensorType::kInt64 ? 8 : 4;
}

inline int64_t NumElements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
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
