#include "client/infer_input.h"

#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace strata {
namespace {

absl::Status Bad(const std::string& field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("\"", field, "\": ", why));
}

// One table's entry: B keys, or B bags of keys.
absl::Status ReadTable(const std::string& name, const nlohmann::json& keys,
                       const nlohmann::json& pooling, v1::TableKeys* out) {
  const std::string field = "keys." + name;
  if (!keys.is_array()) return Bad(field, "must be a list");
  out->set_table(name);
  const bool bags = !keys.empty() && keys.front().is_array();
  if (bags) out->add_offsets(0);
  for (const nlohmann::json& entry : keys) {
    if (bags != entry.is_array()) {
      return Bad(field, "mixes keys and bags (lists of keys)");
    }
    const nlohmann::json one = nlohmann::json::array({entry});
    for (const nlohmann::json& k : bags ? entry : one) {
      if (!k.is_number_integer()) return Bad(field, "keys must be integers");
      out->add_keys(k.get<int64_t>());
    }
    if (bags) out->add_offsets(out->keys_size());
  }
  const std::string mode =
      pooling.is_object() && pooling.contains(name) && pooling[name].is_string()
          ? pooling[name].get<std::string>()
          : "SUM";
  if (pooling.is_object() && pooling.contains(name) && !bags) {
    return Bad("pooling." + name, "names a one-hot table (give bags)");
  }
  if (bags) {
    if (mode != "SUM" && mode != "MEAN") {
      return Bad("pooling." + name, "must be SUM or MEAN");
    }
    out->set_pooling(mode == "MEAN" ? v1::MEAN : v1::SUM);
  }
  return absl::OkStatus();
}

// Appends the values of `shape` (dims from `d` on) at `values` as nested
// lists into `out`.
nlohmann::json Nest(const float* values, const std::vector<int64_t>& shape,
                    size_t d) {
  nlohmann::json out = nlohmann::json::array();
  if (d + 1 == shape.size()) {
    for (int64_t i = 0; i < shape[d]; ++i) out.push_back(values[i]);
    return out;
  }
  int64_t inner = 1;
  for (size_t k = d + 1; k < shape.size(); ++k) inner *= shape[k];
  for (int64_t i = 0; i < shape[d]; ++i) {
    out.push_back(Nest(values + i * inner, shape, d + 1));
  }
  return out;
}

}  // namespace

absl::StatusOr<v1::InferRequest> InferRequestFromJson(
    const nlohmann::json& input) {
  if (!input.is_object()) return Bad("", "the input must be a JSON object");
  v1::InferRequest request;
  int64_t batch = -1;
  if (input.contains("dense")) {
    const nlohmann::json& dense = input["dense"];
    if (!dense.is_array()) return Bad("dense", "must be a list of rows");
    std::vector<float> values;
    size_t width = 0;
    for (size_t i = 0; i < dense.size(); ++i) {
      const nlohmann::json& row = dense[i];
      if (!row.is_array() || (i > 0 && row.size() != width)) {
        return Bad("dense", absl::StrCat("row ", i, " is not a list of ", width,
                                         " numbers"));
      }
      width = row.size();
      for (const nlohmann::json& v : row) {
        if (!v.is_number()) return Bad("dense", "values must be numbers");
        values.push_back(v.get<float>());
      }
    }
    request.set_dense(std::string(reinterpret_cast<const char*>(values.data()),
                                  values.size() * sizeof(float)));
    batch = static_cast<int64_t>(dense.size());
  }
  const nlohmann::json pooling = input.value("pooling", nlohmann::json());
  if (input.contains("keys")) {
    if (!input["keys"].is_object()) return Bad("keys", "must be an object");
    for (const auto& [name, keys] : input["keys"].items()) {
      absl::Status s = ReadTable(name, keys, pooling, request.add_tables());
      if (!s.ok()) return s;
      if (batch < 0) batch = static_cast<int64_t>(keys.size());
    }
  }
  if (batch <= 0) return Bad("dense", "the input holds no samples");
  request.set_batch(static_cast<uint32_t>(batch));
  return request;
}

nlohmann::json InferResponseToJson(const v1::InferResponse& reply) {
  nlohmann::json outputs = nlohmann::json::object();
  for (const v1::InferOutput& o : reply.outputs()) {
    std::vector<int64_t> shape(o.shape().begin(), o.shape().end());
    std::vector<float> values(o.values().size() / sizeof(float));
    std::memcpy(values.data(), o.values().data(),
                values.size() * sizeof(float));
    outputs[o.name()] =
        shape.empty() ? nlohmann::json::array() : Nest(values.data(), shape, 0);
  }
  return {{"model", reply.model()},
          {"version", reply.version()},
          {"outputs", outputs},
          {"default_rows", reply.default_rows()}};
}

}  // namespace strata
