#include "server/startup_models.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"

namespace strata {

absl::StatusOr<std::vector<std::string>> SubmitStartupModels(
    const std::vector<HpsModel>& models, Engine* engine) {
  std::vector<std::string> queued;
  for (const HpsModel& m : models) {
    absl::StatusOr<std::vector<uint64_t>> stored =
        engine->registry()->StoredVersions(m.name);
    if (!stored.ok()) return stored.status();
    if (!stored->empty()) continue;  // imported by an earlier start
    LoadRequest request;
    request.model = m.name;
    for (size_t i = 0; i < m.sparse_files.size(); ++i) {
      request.import.tables.push_back(HugeCtrTableSource{
          m.table_names[i], m.sparse_files[i], m.dims[i], m.default_values[i]});
    }
    absl::StatusOr<LoadStatus> load =
        engine->loader()->Submit(std::move(request));
    if (!load.ok()) {
      return absl::Status(
          load.status().code(),
          absl::StrCat("hps_models ", m.name, ": ", load.status().message()));
    }
    spdlog::info("first start: importing model {} ({} tables, {} rows)", m.name,
                 m.sparse_files.size(), load->rows_total);
    queued.push_back(m.name);
  }
  return queued;
}

bool StartupModelsDone(const std::vector<std::string>& names, Engine* engine) {
  for (const std::string& name : names) {
    std::optional<LoadStatus> s = engine->loader()->Status(name);
    if (s.has_value() && s->state != LoadState::kServing &&
        s->state != LoadState::kStaged && s->state != LoadState::kFailed) {
      return false;
    }
  }
  return true;
}

}  // namespace strata
