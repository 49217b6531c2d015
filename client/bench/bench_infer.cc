#include "client/bench/bench_infer.h"

#include <algorithm>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/common/key_stream.h"

namespace strata::bench {

absl::StatusOr<std::vector<v1::InferRequest>> MakeInferPool(
    const InferPoolOptions& o, const v1::ModelInfo& model) {
  if (model.dense_inputs_size() == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("model \"", model.name(), "\" has no dense network"));
  }
  if (o.pooling == "none" && o.bag_size != 1) {
    return absl::InvalidArgumentError(
        "--infer with --bag-size > 1 needs --pooling sum or mean");
  }
  int64_t features = 0;
  std::vector<std::string> tables;  // every bound table once
  for (const v1::DenseTensorInfo& in : model.dense_inputs()) {
    if (in.binding() == "dense") {
      features = in.shape_size() > 1 ? in.shape(1) : 0;
      continue;
    }
    const std::string list = in.binding().substr(in.binding().find(':') + 1);
    for (const std::string& t :
         std::vector<std::string>(absl::StrSplit(list, ','))) {
      if (std::find(tables.begin(), tables.end(), t) == tables.end()) {
        tables.push_back(t);
      }
    }
  }
  std::vector<KeyStream> streams;
  for (size_t i = 0; i < tables.size(); ++i) {
    uint64_t rows = 1;
    for (const v1::TableInfo& t : model.tables()) {
      if (t.name() == tables[i]) rows = t.rows();
    }
    streams.emplace_back(rows, o.zipf, o.seed + i);
  }
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<float> normal;
  std::vector<v1::InferRequest> pool(o.pool);
  for (v1::InferRequest& r : pool) {
    r.set_model(model.name());
    r.set_version(model.version());
    r.set_batch(o.batch);
    std::vector<float> dense(size_t(o.batch) * features);
    for (float& v : dense) v = normal(rng);
    r.set_dense(std::string(reinterpret_cast<const char*>(dense.data()),
                            dense.size() * sizeof(float)));
    for (size_t i = 0; i < tables.size(); ++i) {
      v1::TableKeys* keys = r.add_tables();
      keys->set_table(tables[i]);
      for (uint32_t s = 0; s < o.batch; ++s) {
        if (o.pooling != "none") keys->add_offsets(keys->keys_size());
        for (uint32_t k = 0; k < o.bag_size; ++k) {
          keys->add_keys(streams[i].Next());
        }
      }
      if (o.pooling != "none") {
        keys->add_offsets(keys->keys_size());
        keys->set_pooling(o.pooling == "sum" ? v1::SUM : v1::MEAN);
      }
    }
  }
  return pool;
}

}  // namespace strata::bench
