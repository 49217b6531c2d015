#include "engine/model/model_generator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "engine/common/random.h"
#include "engine/common/status_macros.h"

namespace strata {
namespace {

constexpr uint64_t kCriteoRows[26] = {
    45833188, 36746,    17245,    7413,     20243,  3,     7114, 1441, 62,
    29275261, 1572176,  345138,   10,       2209,   11267, 128,  4,    974,
    14,       48937457, 11316796, 40094537, 452104, 12606, 104,  35};

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

absl::StatusOr<File> Create(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat("cannot create ", path));
  }
  return File(f);
}

absl::Status Write(FILE* f, const void* data, size_t bytes,
                   const std::string& path) {
  if (std::fwrite(data, 1, bytes, f) != bytes) {
    return absl::DataLossError(absl::StrCat("short write to ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status GeneratorOptions::Validate() const {
  if (scale < 0 || !std::isfinite(scale)) {
    return absl::InvalidArgumentError("scale must be >= 0");
  }
  if (scale == 0 && (tables == 0 || rows == 0)) {
    return absl::InvalidArgumentError(
        "give either a scale > 0 or both tables > 0 and rows > 0");
  }
  if (dim == 0 || dim > 65536) {
    return absl::InvalidArgumentError("dim must be in [1, 65536]");
  }
  return absl::OkStatus();
}

std::vector<uint64_t> CriteoTableRows(double scale) {
  std::vector<uint64_t> rows;
  for (uint64_t r : kCriteoRows) {
    rows.push_back(std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(
                                             static_cast<double>(r) * scale))));
  }
  return rows;
}

float GeneratedValue(uint64_t seed, uint32_t table, int64_t key, uint32_t j) {
  uint64_t h = Mix64(seed ^ Mix64((uint64_t{table} << 32) ^ j));
  return UnitFloat(Mix64(h ^ static_cast<uint64_t>(key)));
}

absl::StatusOr<std::vector<TableSpec>> GenerateHugeCtrModel(
    const std::string& out_dir, const GeneratorOptions& options) {
  STRATA_RETURN_IF_ERROR(options.Validate());
  std::vector<uint64_t> rows =
      options.scale > 0 ? CriteoTableRows(options.scale)
                        : std::vector<uint64_t>(options.tables, options.rows);
  std::vector<TableSpec> specs;
  std::vector<float> row(options.dim);
  for (uint32_t t = 0; t < rows.size(); ++t) {
    TableSpec spec;
    spec.name = absl::StrCat("t", t);
    spec.dim = options.dim;
    spec.rows = rows[t];
    const std::string dir = absl::StrCat(out_dir, "/", spec.name, ".model");
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot create ", dir, ": ", ec.message()));
    }
    STRATA_ASSIGN_OR_RETURN(File keys, Create(dir + "/key"));
    STRATA_ASSIGN_OR_RETURN(File values, Create(dir + "/emb_vector"));
    for (uint64_t k = 0; k < spec.rows; ++k) {
      const int64_t key = static_cast<int64_t>(k);
      for (uint32_t j = 0; j < options.dim; ++j) {
        row[j] = GeneratedValue(options.seed, t, key, j);
      }
      STRATA_RETURN_IF_ERROR(
          Write(keys.get(), &key, sizeof(key), dir + "/key"));
      STRATA_RETURN_IF_ERROR(Write(values.get(), row.data(),
                                   row.size() * sizeof(float),
                                   dir + "/emb_vector"));
    }
    if (std::fflush(keys.get()) != 0 || std::fflush(values.get()) != 0) {
      return absl::DataLossError(absl::StrCat("cannot flush files in ", dir));
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace strata
