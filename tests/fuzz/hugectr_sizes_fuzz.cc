// Fuzzes the HugeCTR importer's size checks (CheckHugeCtrTableSizes): the
// sizes of a table's `key` and `emb_vector` files and the expected dim,
// taken from the input (8 + 8 + 4 bytes, little-endian; missing bytes are 0).
// Calling the pure function reaches sizes no temp file could (terabytes).
//
// Properties: accepted sizes are exactly rows x 8 key bytes and rows x dim x
// 4 emb_vector bytes with rows >= 1, dim >= 1 and dim the expected one when
// one is given; refused sizes are INVALID_ARGUMENT naming the table.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/status/statusor.h"
#include "engine/model/hugectr_importer.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint8_t header[20] = {};
  std::memcpy(header, data, std::min(size, sizeof(header)));
  uint64_t key_bytes, emb_bytes;
  uint32_t expected_dim;
  std::memcpy(&key_bytes, header, 8);
  std::memcpy(&emb_bytes, header + 8, 8);
  std::memcpy(&expected_dim, header + 16, 4);

  absl::StatusOr<strata::HugeCtrTableShape> shape =
      strata::CheckHugeCtrTableSizes("t0", key_bytes, emb_bytes, expected_dim);
  if (!shape.ok()) {
    STRATA_FUZZ_CHECK(shape.status().code() ==
                      absl::StatusCode::kInvalidArgument);
    STRATA_FUZZ_CHECK(shape.status().message().find("table t0") !=
                      absl::string_view::npos);
    return 0;
  }
  using u128 = unsigned __int128;
  STRATA_FUZZ_CHECK(shape->rows >= 1 && shape->dim >= 1);
  STRATA_FUZZ_CHECK(u128{shape->rows} * 8 == key_bytes);
  STRATA_FUZZ_CHECK(u128{shape->rows} * shape->dim * 4 == emb_bytes);
  STRATA_FUZZ_CHECK(expected_dim == 0 || shape->dim == expected_dim);
  return 0;
}
