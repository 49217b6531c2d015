#include "engine/model/snapshot.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/common/crc32c.h"
#include "engine/common/mapped_file.h"
#include "engine/common/read_file.h"
#include "engine/common/status_macros.h"
#include "nlohmann/json.hpp"

namespace strata {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kFormat = 1;
constexpr char kDenseFile[] = "dense.onnx";
constexpr uint64_t kProgressEveryRows = 1 << 18;

// One output file, checksummed as it is written.
class OutFile {
 public:
  static absl::StatusOr<std::unique_ptr<OutFile>> Create(
      const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
      return absl::PermissionDeniedError(absl::StrCat("cannot write ", path));
    }
    return std::unique_ptr<OutFile>(new OutFile(path, f));
  }
  ~OutFile() {
    if (file_ != nullptr) std::fclose(file_);
  }
  absl::Status Write(const void* data, size_t n) {
    crc_ = Crc32cExtend(crc_, data, n);
    if (std::fwrite(data, 1, n, file_) != n) {
      return absl::ResourceExhaustedError(
          absl::StrCat("writing ", path_, " failed (disk full?)"));
    }
    return absl::OkStatus();
  }
  absl::Status Close() {
    const bool ok = std::fflush(file_) == 0 && fsync(fileno(file_)) == 0;
    std::fclose(file_);
    file_ = nullptr;
    if (!ok) return absl::ResourceExhaustedError("flushing " + path_);
    return absl::OkStatus();
  }
  uint32_t crc() const { return crc_; }

 private:
  OutFile(std::string path, FILE* file) : path_(std::move(path)), file_(file) {
    static constexpr size_t kBuffer = 1 << 20;
    std::setvbuf(file_, nullptr, _IOFBF, kBuffer);
  }
  const std::string path_;
  FILE* file_;
  uint32_t crc_ = 0;
};

std::string TableDir(const std::string& root, const std::string& table) {
  return absl::StrCat(root, "/", table, ".model");
}

absl::Status WriteText(const std::string& path, const std::string& text) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<OutFile> out, OutFile::Create(path));
  STRATA_RETURN_IF_ERROR(out->Write(text.data(), text.size()));
  return out->Close();
}

absl::Status CheckFile(const std::string& path, uint64_t bytes, uint32_t crc) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file,
                          MappedFile::Open(path));
  if (file->size() != bytes) {
    return absl::DataLossError(absl::StrCat("snapshot file ", path, " has ",
                                            file->size(), " bytes, expected ",
                                            bytes));
  }
  if (Crc32c(file->data(), file->size()) != crc) {
    return absl::DataLossError(
        absl::StrCat("snapshot file ", path, " fails its checksum"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string SnapshotInfo::ToJson() const {
  json tables_json = json::array();
  for (const SnapshotTable& t : tables) {
    tables_json.push_back({{"name", t.name},
                           {"dim", t.dim},
                           {"rows", t.rows},
                           {"default_value", t.default_value},
                           {"key_crc32c", t.key_crc32c},
                           {"emb_crc32c", t.emb_crc32c}});
    if (!t.default_row.empty()) {
      tables_json.back()["default_row"] = t.default_row;
    }
  }
  json j = {{"format", kFormat},
            {"model", model},
            {"version", version},
            {"tables", tables_json},
            {"update_offsets", update_offsets}};
  if (!dense_inputs.empty()) {
    j["dense_graph"] = kDenseFile;
    j["dense_inputs"] = dense_inputs;
  }
  return j.dump(2);
}

absl::StatusOr<SnapshotInfo> SnapshotInfo::FromJson(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError("strata_snapshot.json is not a JSON object");
  }
  SnapshotInfo info;
  try {
    if (j.at("format").get<int>() != kFormat) {
      return absl::FailedPreconditionError(absl::StrCat(
          "snapshot format ", j.at("format").get<int>(),
          " is newer than this build reads (", kFormat, "); upgrade Strata"));
    }
    info.model = j.at("model").get<std::string>();
    info.version = j.at("version").get<uint64_t>();
    for (const json& t : j.at("tables")) {
      info.tables.push_back(SnapshotTable{
          t.at("name").get<std::string>(), t.at("dim").get<uint32_t>(),
          t.at("rows").get<uint64_t>(), t.at("default_value").get<float>(),
          t.at("key_crc32c").get<uint32_t>(),
          t.at("emb_crc32c").get<uint32_t>(),
          t.value("default_row", std::string())});
    }
    info.update_offsets =
        j.at("update_offsets").get<std::map<std::string, int64_t>>();
    if (j.contains("dense_inputs")) {
      info.dense_inputs = j.at("dense_inputs").get<std::vector<std::string>>();
    }
  } catch (const json::exception& e) {
    return absl::DataLossError(
        absl::StrCat("strata_snapshot.json: ", e.what()));
  }
  if (info.tables.empty()) {
    return absl::DataLossError("strata_snapshot.json lists no tables");
  }
  return info;
}

absl::StatusOr<SnapshotInfo> ExportSnapshot(
    const ModelStore& store, const ModelManifest& manifest,
    const std::string& out_dir,
    const std::function<void(uint64_t, uint64_t)>& progress,
    const std::atomic<bool>* cancel) {
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !fs::is_empty(out_dir, ec)) {
    return absl::AlreadyExistsError(
        absl::StrCat(out_dir, " is not empty; export into a new folder"));
  }
  SnapshotInfo info;
  info.model = manifest.name;
  info.version = manifest.version;
  uint64_t rows_total = 0;
  std::vector<std::string> column_families;
  std::vector<std::unique_ptr<OutFile>> keys, embs;
  for (const TableSpec& t : manifest.tables) {
    info.tables.push_back(
        SnapshotTable{t.name, t.dim, 0, t.default_value, 0, 0, t.default_row});
    column_families.push_back(t.column_family);
    rows_total += t.rows;
    fs::create_directories(TableDir(out_dir, t.name), ec);
    if (ec) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot create ", out_dir, ": ", ec.message()));
    }
    STRATA_ASSIGN_OR_RETURN(
        keys.emplace_back(),
        OutFile::Create(TableDir(out_dir, t.name) + "/key"));
    STRATA_ASSIGN_OR_RETURN(
        embs.emplace_back(),
        OutFile::Create(TableDir(out_dir, t.name) + "/emb_vector"));
  }
  uint64_t rows_done = 0;
  std::map<std::string, int64_t> stored;
  STRATA_RETURN_IF_ERROR(store.rocksdb()->ScanConsistent(
      column_families, ModelStore::VersionId(manifest.name, manifest.version),
      [&](size_t i, int64_t key, absl::string_view row) -> absl::Status {
        if (row.size() != size_t{info.tables[i].dim} * sizeof(float)) {
          return absl::DataLossError(
              absl::StrCat("table ", info.tables[i].name, " key ", key,
                           " has a row of ", row.size(), " bytes"));
        }
        STRATA_RETURN_IF_ERROR(keys[i]->Write(&key, sizeof(key)));
        STRATA_RETURN_IF_ERROR(embs[i]->Write(row.data(), row.size()));
        ++info.tables[i].rows;
        if (++rows_done % kProgressEveryRows == 0) {
          if (cancel != nullptr && cancel->load()) {
            return absl::CancelledError("export cancelled");
          }
          if (progress) progress(rows_done, rows_total);
        }
        return absl::OkStatus();
      },
      &stored));
  for (size_t i = 0; i < info.tables.size(); ++i) {
    STRATA_RETURN_IF_ERROR(keys[i]->Close());
    STRATA_RETURN_IF_ERROR(embs[i]->Close());
    info.tables[i].key_crc32c = keys[i]->crc();
    info.tables[i].emb_crc32c = embs[i]->crc();
  }
  // What the rows include: the build's offsets, then what was applied since.
  info.update_offsets = manifest.update_offsets;
  for (const auto& [partition, next] : stored) {
    info.update_offsets[partition] = next;
  }
  if (manifest.dense.has_value()) {
    STRATA_ASSIGN_OR_RETURN(std::string graph,
                            store.rocksdb()->GetBlob(manifest.dense->graph_id));
    STRATA_RETURN_IF_ERROR(
        WriteText(absl::StrCat(out_dir, "/", kDenseFile), graph));
    for (const DenseBinding& b : manifest.dense->bindings) {
      info.dense_inputs.push_back(absl::StrCat(b.input, "=", b.ToString()));
    }
  }
  if (progress) progress(rows_done, rows_done);
  // Last: the description makes the folder a snapshot.
  STRATA_RETURN_IF_ERROR(
      WriteText(absl::StrCat(out_dir, "/", kSnapshotFile), info.ToJson()));
  return info;
}

bool IsSnapshotDir(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(absl::StrCat(dir, "/", kSnapshotFile), ec);
}

absl::StatusOr<SnapshotInfo> PrepareSnapshotImport(const std::string& dir,
                                                   bool verify,
                                                   ImportOptions* options) {
  STRATA_ASSIGN_OR_RETURN(
      std::string text,
      ReadWholeFile("snapshot", absl::StrCat(dir, "/", kSnapshotFile)));
  STRATA_ASSIGN_OR_RETURN(SnapshotInfo info, SnapshotInfo::FromJson(text));
  options->tables.clear();
  for (const SnapshotTable& t : info.tables) {
    if (options->dim != 0 && t.dim != options->dim) {
      return absl::InvalidArgumentError(
          absl::StrCat("snapshot table ", t.name, " has dim ", t.dim,
                       ", but dim ", options->dim, " was expected"));
    }
    const std::string table_dir = TableDir(dir, t.name);
    if (verify) {
      STRATA_RETURN_IF_ERROR(CheckFile(table_dir + "/key",
                                       t.rows * sizeof(int64_t), t.key_crc32c));
      STRATA_RETURN_IF_ERROR(CheckFile(table_dir + "/emb_vector",
                                       t.rows * sizeof(float) * uint64_t{t.dim},
                                       t.emb_crc32c));
    }
    options->tables.push_back(HugeCtrTableSource{
        t.name, table_dir, t.dim, t.default_value, t.default_row});
  }
  if (options->update_offsets.empty()) {
    options->update_offsets = info.update_offsets;
  }
  if (!info.dense_inputs.empty() && options->dense_graph.empty()) {
    STRATA_ASSIGN_OR_RETURN(options->dense_graph,
                            ReadWholeFile("snapshot dense graph",
                                          absl::StrCat(dir, "/", kDenseFile)));
    options->dense_inputs = info.dense_inputs;
  }
  return info;
}

}  // namespace strata
