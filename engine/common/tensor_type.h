// TensorType: the element types of the dense executor's tensors.
#pragma once

#include <cstdint>

namespace strata {

enum class TensorType : uint8_t { kFloat32, kInt64 };

}  // namespace strata
