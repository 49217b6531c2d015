#include "engine/update/update_codec.h"

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/model/model_manifest.h"
#include "strata/v1/update.pb.h"

namespace strata {
namespace {

constexpr char kHpsPrefix[] = "hps_et.";
constexpr char kHctrMagic[4] = {'H', 'C', 'T', 'R'};

// Rows are stored little-endian; every platform we build on is.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "update codecs assume a little-endian host");

absl::Status CheckNames(const std::string& model, const std::string& table) {
  absl::Status s = ValidateName("model", model);
  if (!s.ok()) return s;
  return ValidateName("table", table);
}

absl::Status CheckDim(uint32_t dim) {
  if (dim == 0 || dim > kMaxUpdateDim) {
    return absl::InvalidArgumentError(
        absl::StrCat("dim must be 1..", kMaxUpdateDim, ", got ", dim));
  }
  return absl::OkStatus();
}

}  // namespace

std::string StrataTopic(const std::string& prefix, const std::string& model) {
  return prefix + model;
}

std::string HpsTopic(const std::string& model, const std::string& table) {
  return absl::StrCat(kHpsPrefix, model, ".", table);
}

std::optional<TopicInfo> ParseTopic(const std::string& prefix,
                                    const std::string& topic) {
  if (absl::StartsWith(topic, kHpsPrefix)) {
    // Model names may hold '.', table names are taken after the last one.
    const std::string rest = topic.substr(sizeof(kHpsPrefix) - 1);
    const size_t dot = rest.rfind('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == rest.size()) {
      return std::nullopt;
    }
    return TopicInfo{rest.substr(0, dot), rest.substr(dot + 1), true};
  }
  if (!prefix.empty() && absl::StartsWith(topic, prefix) &&
      topic.size() > prefix.size()) {
    return TopicInfo{topic.substr(prefix.size()), "", false};
  }
  return std::nullopt;
}

absl::StatusOr<DecodedUpdate> DecodeUpdateBatch(absl::string_view bytes) {
  v1::UpdateBatch batch;
  if (!batch.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("not a strata.v1.UpdateBatch");
  }
  return FromUpdateBatch(batch);
}

absl::StatusOr<DecodedUpdate> FromUpdateBatch(const v1::UpdateBatch& batch) {
  absl::Status s = CheckNames(batch.model(), batch.table());
  if (!s.ok()) return s;
  s = CheckDim(batch.dim());
  if (!s.ok()) return s;
  const size_t n = static_cast<size_t>(batch.keys_size());
  const size_t row_bytes = size_t{batch.dim()} * sizeof(float);
  if (batch.values().size() != n * row_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "UpdateBatch for ", batch.model(), "/", batch.table(), " has ", n,
        " keys but ", batch.values().size(), " value bytes (dim ", batch.dim(),
        " needs ", n * row_bytes, ")"));
  }
  DecodedUpdate out;
  out.model = batch.model();
  out.table = batch.table();
  out.dim = batch.dim();
  out.keys.assign(batch.keys().begin(), batch.keys().end());
  out.delete_keys.assign(batch.delete_keys().begin(),
                         batch.delete_keys().end());
  out.values.resize(n * batch.dim());
  if (n > 0)
    std::memcpy(out.values.data(), batch.values().data(), n * row_bytes);
  return out;
}

std::string EncodeUpdateBatch(const std::string& model,
                              const std::string& table, uint32_t dim,
                              absl::Span<const int64_t> keys,
                              absl::Span<const float> values) {
  v1::UpdateBatch batch;
  batch.set_model(model);
  batch.set_table(table);
  batch.set_dim(dim);
  batch.mutable_keys()->Add(keys.begin(), keys.end());
  batch.set_values(reinterpret_cast<const char*>(values.data()),
                   values.size() * sizeof(float));
  return batch.SerializeAsString();
}

absl::StatusOr<DecodedUpdate> DecodeHctr(absl::string_view bytes,
                                         const std::string& model,
                                         const std::string& table) {
  absl::Status s = CheckNames(model, table);
  if (!s.ok()) return s;
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kHctrMagic, 4) != 0) {
    return absl::InvalidArgumentError("HCTR message: bad magic or no header");
  }
  uint32_t value_size = 0;
  std::memcpy(&value_size, bytes.data() + 4, 4);
  if (value_size % sizeof(float) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "HCTR message: value size ", value_size, " is not whole floats"));
  }
  const uint32_t dim = value_size / sizeof(float);
  s = CheckDim(dim);
  if (!s.ok()) return s;
  const size_t record = sizeof(int64_t) + value_size;
  const size_t body = bytes.size() - 8;
  if (body % record != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "HCTR message: truncated (", body, " body bytes is not a multiple of ",
        record, "-byte records)"));
  }
  const size_t n = body / record;
  DecodedUpdate out;
  out.model = model;
  out.table = table;
  out.dim = dim;
  out.keys.resize(n);
  out.values.resize(n * dim);
  const char* p = bytes.data() + 8;
  for (size_t i = 0; i < n; ++i, p += record) {
    std::memcpy(&out.keys[i], p, sizeof(int64_t));
    std::memcpy(&out.values[i * dim], p + sizeof(int64_t), value_size);
  }
  return out;
}

std::string EncodeHctr(uint32_t dim, absl::Span<const int64_t> keys,
                       absl::Span<const float> values) {
  const uint32_t value_size = dim * sizeof(float);
  std::string out(8 + keys.size() * (8 + value_size), '\0');
  std::memcpy(out.data(), kHctrMagic, 4);
  std::memcpy(out.data() + 4, &value_size, 4);
  char* p = out.data() + 8;
  for (size_t i = 0; i < keys.size(); ++i) {
    std::memcpy(p, &keys[i], 8);
    std::memcpy(p + 8, &values[i * dim], value_size);
    p += 8 + value_size;
  }
  return out;
}

}  // namespace strata
