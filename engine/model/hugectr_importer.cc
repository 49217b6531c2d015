#include "engine/model/hugectr_importer.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/common/mapped_file.h"
#include "engine/common/status_macros.h"
#include "engine/model/dense_binding.h"
#include "engine/model/snapshot.h"
#include "engine/store/default_row.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

constexpr char kTableSuffix[] = ".model";

// One table's input files, validated.
struct TableInput {
  std::string name;
  std::unique_ptr<MappedFile> keys;        // (rows) int64
  std::unique_ptr<MappedFile> emb_vector;  // (rows, dim) float32
  uint64_t rows = 0;
  uint32_t dim = 0;
  float default_value = 0.0f;
  std::string default_row;
  std::string sst_path;
  std::unique_ptr<TableFile> file;  // written by WriteSst
};

absl::StatusOr<std::vector<std::string>> ListTables(const std::string& from) {
  std::error_code ec;
  if (!fs::is_directory(from, ec)) {
    return absl::NotFoundError(absl::StrCat("no model folder at ", from));
  }
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(from, ec)) {
    std::string file = entry.path().filename().string();
    if (entry.is_directory() && file.size() > strlen(kTableSuffix) &&
        file.ends_with(kTableSuffix)) {
      names.push_back(file.substr(0, file.size() - strlen(kTableSuffix)));
    }
  }
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot read ", from, ": ", ec.message()));
  }
  if (names.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        from, " holds no <table>.model folders (HugeCTR sparse format)"));
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<TableInput> OpenTable(const HugeCtrTableSource& source) {
  STRATA_RETURN_IF_ERROR(ValidateName("table", source.name));
  TableInput t;
  t.name = source.name;
  t.default_value = source.default_value;
  STRATA_ASSIGN_OR_RETURN(t.keys, MappedFile::Open(source.dir + "/key"));
  STRATA_ASSIGN_OR_RETURN(t.emb_vector,
                          MappedFile::Open(source.dir + "/emb_vector"));
  STRATA_ASSIGN_OR_RETURN(
      HugeCtrTableShape shape,
      CheckHugeCtrTableSizes(source.name, t.keys->size(), t.emb_vector->size(),
                             source.dim));
  t.rows = shape.rows;
  t.dim = shape.dim;
  t.default_row = source.default_row;
  absl::Status row =
      DefaultRow::Parse(source.default_row, t.dim, source.default_value)
          .status();
  if (!row.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("table ", source.name, ": ", row.message()));
  }
  return t;
}

// Every table of the import, opened and size-checked.
absl::StatusOr<std::vector<TableInput>> OpenTables(
    const std::string& from, const ImportOptions& options) {
  std::vector<HugeCtrTableSource> sources = options.tables;
  if (sources.empty()) {
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, ListTables(from));
    for (const std::string& name : names) {
      sources.push_back(HugeCtrTableSource{
          name, absl::StrCat(from, "/", name, kTableSuffix), options.dim,
          options.default_value, options.default_row});
    }
  }
  std::set<std::string> seen;
  std::vector<TableInput> tables;
  for (const HugeCtrTableSource& source : sources) {
    if (!seen.insert(source.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("table ", source.name, " is listed twice"));
    }
    STRATA_ASSIGN_OR_RETURN(TableInput t, OpenTable(source));
    tables.push_back(std::move(t));
  }
  return tables;
}

constexpr uint64_t kProgressEveryRows = 1 << 18;

// Sorts the table's keys, rejects duplicates, and writes one SST file,
// reporting rows written into `progress` (rows_done counts every table).
absl::Status WriteSst(const ModelStore& store, TableInput& t,
                      const ImportOptions& options, ImportProgress* progress) {
  std::vector<std::pair<int64_t, uint64_t>> order(t.rows);
  const char* key_data = t.keys->data();
  for (uint64_t i = 0; i < t.rows; ++i) {
    int64_t k;
    std::memcpy(&k, key_data + i * sizeof(int64_t), sizeof(k));
    order[i] = {k, i};
  }
  std::sort(order.begin(), order.end());
  for (uint64_t i = 1; i < t.rows; ++i) {
    if (order[i].first == order[i - 1].first) {
      return absl::InvalidArgumentError(absl::StrCat(
          "table ", t.name, ": duplicate key ", order[i].first, " at rows ",
          order[i - 1].second, " and ", order[i].second));
    }
  }
  STRATA_ASSIGN_OR_RETURN(t.file,
                          store.rocksdb()->NewTableFile(t.sst_path, t.dim));
  const size_t row_bytes = size_t{t.dim} * sizeof(float);
  progress->table = t.name;
  uint64_t written = 0;
  for (const auto& [key, index] : order) {
    STRATA_RETURN_IF_ERROR(t.file->Add(
        key, absl::MakeConstSpan(t.emb_vector->data() + index * row_bytes,
                                 row_bytes)));
    if (++written % kProgressEveryRows == 0) {
      if (options.cancel != nullptr && options.cancel->load()) {
        return absl::CancelledError(
            absl::StrCat("import cancelled while writing table ", t.name));
      }
      progress->rows_done += kProgressEveryRows;
      if (options.progress) options.progress(*progress);
    }
  }
  progress->rows_done += written % kProgressEveryRows;
  if (options.progress) options.progress(*progress);
  return t.file->Finish();
}

}  // namespace

absl::StatusOr<HugeCtrTableShape> CheckHugeCtrTableSizes(
    const std::string& table, uint64_t key_bytes, uint64_t emb_bytes,
    uint32_t expected_dim) {
  if (key_bytes % sizeof(int64_t) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("table ", table, ": key file is ", key_bytes,
                     " bytes, not a multiple of 8 (int64 keys)"));
  }
  HugeCtrTableShape shape;
  shape.rows = key_bytes / sizeof(int64_t);
  if (shape.rows == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("table ", table, ": key file is empty"));
  }
  if (emb_bytes % (shape.rows * sizeof(float)) != 0 || emb_bytes == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("table ", table, ": emb_vector is ", emb_bytes,
                     " bytes, which is not ", shape.rows,
                     " keys x 4 x dim for any whole dim (key and emb_vector "
                     "sizes disagree)"));
  }
  const uint64_t dim = emb_bytes / (shape.rows * sizeof(float));
  if (dim > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "table ", table, ": emb_vector is ", emb_bytes, " bytes = ", shape.rows,
        " rows of dim ", dim, ", more than the largest dim ",
        std::numeric_limits<uint32_t>::max()));
  }
  shape.dim = static_cast<uint32_t>(dim);
  if (expected_dim != 0 && shape.dim != expected_dim) {
    return absl::InvalidArgumentError(absl::StrCat(
        "table ", table, ": emb_vector holds ", emb_bytes,
        " bytes = ", shape.rows, " rows of dim ", shape.dim, ", but dim ",
        expected_dim, " was expected (size must be rows x 4 x dim)"));
  }
  return shape;
}

absl::StatusOr<std::map<std::string, int64_t>> ParseUpdateOffsets(
    const std::string& text) {
  std::map<std::string, int64_t> offsets;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(item, absl::MaxSplits('=', 1));
    const size_t slash = kv.first.rfind('/');
    int64_t offset = 0, partition = 0;
    if (slash == absl::string_view::npos || slash == 0 ||
        !absl::SimpleAtoi(kv.first.substr(slash + 1), &partition) ||
        partition < 0 || !absl::SimpleAtoi(kv.second, &offset) || offset < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "update offset \"", item,
          "\" is not <topic>/<partition>=<offset> with non-negative numbers"));
    }
    offsets[std::string(kv.first)] = offset;
  }
  return offsets;
}

absl::StatusOr<std::vector<TableSpec>> InspectHugeCtrModel(
    const std::string& from_dir, const ImportOptions& requested) {
  ImportOptions options = requested;
  if (IsSnapshotDir(from_dir)) {
    STRATA_RETURN_IF_ERROR(
        PrepareSnapshotImport(from_dir, /*verify=*/false, &options).status());
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<TableInput> tables,
                          OpenTables(from_dir, options));
  std::vector<TableSpec> specs;
  for (const TableInput& t : tables) {
    specs.push_back(
        TableSpec{t.name, t.dim, t.rows, t.default_value, "", t.default_row});
  }
  return specs;
}

absl::StatusOr<ModelManifest> ImportHugeCtrModel(
    ModelStore* store, const std::string& model, const std::string& from_dir,
    const ImportOptions& requested) {
  STRATA_RETURN_IF_ERROR(ValidateName("model", model));
  ImportOptions options = requested;
  if (IsSnapshotDir(from_dir)) {  // checksums first: nothing bad is read
    STRATA_RETURN_IF_ERROR(
        PrepareSnapshotImport(from_dir, /*verify=*/true, &options).status());
  }
  // 1. Validate every table's sizes before doing any work.
  STRATA_ASSIGN_OR_RETURN(std::vector<TableInput> tables,
                          OpenTables(from_dir, options));

  uint64_t version = options.version;
  if (version == 0) {
    STRATA_ASSIGN_OR_RETURN(version, store->NextVersion(model));
  } else {
    STRATA_ASSIGN_OR_RETURN(std::vector<ModelManifest> stored,
                            store->ListManifests());
    for (const ModelManifest& m : stored) {
      if (m.name == model && m.version == version) {
        return absl::AlreadyExistsError(absl::StrCat(
            "model ", model, " version ", version, " is already stored"));
      }
    }
  }
  std::optional<DenseSpec> dense;
  if (!options.dense_graph.empty()) {
    std::vector<TableSpec> specs;
    for (const TableInput& t : tables) {
      TableSpec spec;
      spec.name = t.name;
      spec.dim = t.dim;
      spec.rows = t.rows;
      specs.push_back(std::move(spec));
    }
    STRATA_ASSIGN_OR_RETURN(
        DenseSpec spec,
        BindDenseGraph(options.dense_graph, specs, options.dense_inputs));
    spec.graph_id =
        absl::StrCat(ModelStore::VersionId(model, version), "/dense");
    dense = std::move(spec);
  } else if (!options.dense_inputs.empty()) {
    return absl::InvalidArgumentError(
        "dense input bindings need a dense graph");
  }

  // 2. Write SST files to a scratch folder (removed whatever happens).
  const std::string scratch =
      absl::StrCat(store->data_dir(), "/import-tmp/", model, "@", version);
  std::error_code ec;
  fs::remove_all(scratch, ec);
  fs::create_directories(scratch, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create ", scratch, ": ", ec.message()));
  }
  absl::Cleanup remove_scratch = [&scratch] {
    std::error_code ignored;
    fs::remove_all(scratch, ignored);
  };
  ImportProgress progress;
  for (const TableInput& t : tables) progress.rows_total += t.rows;
  for (TableInput& t : tables) {
    t.sst_path = absl::StrCat(scratch, "/", t.name, ".sst");
    STRATA_RETURN_IF_ERROR(WriteSst(*store, t, options, &progress));
  }
  progress.phase = "ingesting";
  progress.table.clear();
  if (options.progress) options.progress(progress);

  // 3. Ingest every table; on any failure, drop what was created.
  ModelManifest manifest;
  manifest.name = model;
  manifest.version = version;
  manifest.update_offsets = options.update_offsets;
  manifest.created_unix_s =
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::vector<std::string> created;
  absl::Status status = [&]() -> absl::Status {
    for (const TableInput& t : tables) {
      std::string cf_name = ModelStore::TableName(model, version, t.name);
      STRATA_RETURN_IF_ERROR(store->rocksdb()->IngestTable(cf_name, *t.file));
      created.push_back(cf_name);
      manifest.tables.push_back(TableSpec{
          t.name, t.dim, t.rows, t.default_value, cf_name, t.default_row});
    }
    if (dense.has_value()) {
      STRATA_RETURN_IF_ERROR(
          store->rocksdb()->PutBlob(dense->graph_id, options.dense_graph));
      manifest.dense = dense;
    }
    // 4. The manifest makes the version visible, all at once.
    return store->PutManifest(manifest);
  }();
  if (!status.ok()) {
    store->rocksdb()->DropTables(created).IgnoreError();
    return status;
  }
  return manifest;
}

}  // namespace strata
