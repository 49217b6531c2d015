#include "tests/unit/update_test_util.h"

#include <librdkafka/rdkafka_mock.h>

#include <stdexcept>

#include "engine/model/hugectr_importer.h"

namespace strata::testing {
namespace {

void Check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

std::vector<float> Rows(int rows, uint32_t dim) {
  std::vector<float> v;
  for (int k = 0; k < rows; ++k) v.insert(v.end(), dim, static_cast<float>(k));
  return v;
}

}  // namespace

UpdateModel::UpdateModel(int rows, uint64_t cache_bytes, uint32_t dim_t) {
  const std::string src = dir.path() + "/src";
  std::vector<int64_t> keys;
  for (int k = 0; k < rows; ++k) keys.push_back(k);
  WriteHugeCtrTable(src, "t", keys, Rows(rows, dim_t));
  WriteHugeCtrTable(src, "u", keys, Rows(rows, kDimU));
  store = ModelStore::Open(data_dir, {}).value();
  Check(ImportHugeCtrModel(store.get(), "m", src, {}).ok(), "import");
  Reopen(cache_bytes);
}

void UpdateModel::Close() {
  registry.reset();
  store.reset();
}

void UpdateModel::Reopen(uint64_t cache_bytes) {
  Close();
  store = ModelStore::Open(data_dir, {}).value();
  RegistryOptions options;
  options.hash_map_capacity_bytes = cache_bytes;
  registry = ModelRegistry::Open(store.get(), options).value();
}

std::vector<float> UpdateModel::Row(const std::string& table,
                                    int64_t key) const {
  const Model::Table* t = registry->Find("m")->FindTable(table);
  std::vector<float> row(t->spec.dim);
  std::vector<size_t> defaulted;
  Check(t->chain->Lookup({key}, absl::MakeSpan(row), &defaulted).ok(),
        "lookup");
  return row;
}

MockKafka::MockKafka(int brokers) : brokers_(brokers) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
  owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  Check(owner_ != nullptr, err);
  cluster_ = rd_kafka_mock_cluster_new(owner_, brokers);
  Check(cluster_ != nullptr, "mock cluster");
  bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);

  conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), err,
                    sizeof(err));
  rd_kafka_conf_set(conf, "linger.ms", "0", err, sizeof(err));
  rd_kafka_conf_set(conf, "message.timeout.ms", "60000", err, sizeof(err));
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
  producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  Check(producer_ != nullptr, err);
}

MockKafka::~MockKafka() {
  rd_kafka_flush(producer_, 5000);
  rd_kafka_destroy(producer_);
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(owner_);
}

void MockKafka::CreateTopic(const std::string& topic, int partitions) {
  Check(rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1) ==
            RD_KAFKA_RESP_ERR_NO_ERROR,
        "create topic " + topic);
}

void MockKafka::SetDown(bool down) {
  for (int b = 1; b <= brokers_; ++b) {
    if (down) {
      rd_kafka_mock_broker_set_down(cluster_, b);
    } else {
      rd_kafka_mock_broker_set_up(cluster_, b);
    }
  }
}

bool MockKafka::Produce(const std::string& topic, int32_t partition,
                        const std::string& bytes) {
  rd_kafka_resp_err_t err = rd_kafka_producev(
      producer_, RD_KAFKA_V_TOPIC(topic.c_str()),
      RD_KAFKA_V_PARTITION(partition),
      RD_KAFKA_V_VALUE(const_cast<char*>(bytes.data()), bytes.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
  return rd_kafka_flush(producer_, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

}  // namespace strata::testing
