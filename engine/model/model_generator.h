// Writes synthetic models in HugeCTR's sparse format (see hugectr_importer.h):
// either the Criteo-shaped 26-table model of BENCHMARKS.md scaled by `scale`,
// or `tables` tables of `rows` rows. Table i is named "t<i>" and holds keys
// 0..rows-1; every value is a pure function of (seed, table, key, element),
// so the same options always write the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/model/model_manifest.h"

namespace strata {

struct GeneratorOptions {
  // Criteo-shaped model scaled by this factor (at least one row per table);
  // 0 selects `tables` x `rows` instead.
  double scale = 0.0;
  uint32_t tables = 0;
  uint64_t rows = 0;
  uint32_t dim = 16;
  uint64_t seed = 1;

  [[nodiscard]] absl::Status Validate() const;
};

// Row counts of the 26 Criteo 1TB (DLRM v1) features times `scale`, >= 1.
std::vector<uint64_t> CriteoTableRows(double scale);

// The value the generator writes for element `j` of `key`'s row in table
// number `table`.
float GeneratedValue(uint64_t seed, uint32_t table, int64_t key, uint32_t j);

// Writes `<out_dir>/t<i>.model/{key,emb_vector}`; returns the tables written.
[[nodiscard]] absl::StatusOr<std::vector<TableSpec>> GenerateHugeCtrModel(
    const std::string& out_dir, const GeneratorOptions& options);

}  // namespace strata
