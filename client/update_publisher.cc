#include "client/update_publisher.h"

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/update/kafka_conf.h"
#include "engine/update/update_codec.h"

namespace strata {
namespace {

class KafkaPublisher final : public UpdatePublisher {
 public:
  explicit KafkaPublisher(const PublisherOptions& options)
      : options_(options) {}
  ~KafkaPublisher() override {
    if (rk_ != nullptr) {
      rd_kafka_flush(rk_, 10000);
      rd_kafka_destroy(rk_);
    }
  }

  absl::Status Init() {
    char err[512];
    std::map<std::string, std::string> props = {
        {"bootstrap.servers", options_.brokers},
        {"linger.ms", "5"},
        {"enable.idempotence", "true"},  // no duplicates, order kept on retry
        {"compression.codec", "none"},
        {"message.max.bytes", "67108864"},
    };
    STRATA_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf,
                            NewKafkaConf(std::move(props), options_.rdkafka));
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, &KafkaPublisher::OnDelivery);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (rk_ == nullptr) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("kafka producer: ", err));
    }
    return absl::OkStatus();
  }

  absl::Status Publish(const std::string& model, const std::string& table,
                       uint32_t dim, absl::Span<const int64_t> keys,
                       absl::Span<const float> values) override {
    if (values.size() != keys.size() * size_t{dim} || dim == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "publish: ", keys.size(), " keys need ", keys.size() * dim,
          " floats at dim ", dim, ", got ", values.size()));
    }
    const uint32_t shards = std::max(1u, options_.shards);
    std::vector<std::vector<size_t>> by_shard(shards);
    for (size_t i = 0; i < keys.size(); ++i) {
      by_shard[absl::Hash<int64_t>()(keys[i]) % shards].push_back(i);
    }
    const std::string topic = options_.hctr
                                  ? HpsTopic(model, table)
                                  : StrataTopic(options_.topic_prefix, model);
    std::vector<int64_t> k;
    std::vector<float> v;
    for (uint32_t s = 0; s < shards; ++s) {
      const std::string message_key = absl::StrCat(table, "/", s);
      const std::vector<size_t>& rows = by_shard[s];
      for (size_t start = 0; start < rows.size();
           start += options_.max_rows_per_message) {
        const size_t end =
            std::min(rows.size(), start + options_.max_rows_per_message);
        k.clear();
        v.clear();
        for (size_t r = start; r < end; ++r) {
          k.push_back(keys[rows[r]]);
          v.insert(v.end(), values.begin() + rows[r] * dim,
                   values.begin() + (rows[r] + 1) * dim);
        }
        std::string bytes = options_.hctr
                                ? EncodeHctr(dim, k, v)
                                : EncodeUpdateBatch(model, table, dim, k, v);
        absl::Status st = Produce(topic, message_key, std::move(bytes));
        if (!st.ok()) return st;
      }
    }
    return absl::OkStatus();
  }

  absl::Status Flush(uint32_t timeout_ms) override {
    rd_kafka_resp_err_t err = rd_kafka_flush(rk_, static_cast<int>(timeout_ms));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(
          absl::StrCat("kafka flush: ", rd_kafka_err2str(err), " (",
                       rd_kafka_outq_len(rk_), " messages not acknowledged)"));
    }
    if (failed_.load() > 0) {
      return absl::UnavailableError(
          absl::StrCat(failed_.load(), " update messages failed"));
    }
    return absl::OkStatus();
  }

  uint64_t delivered_messages() const override { return delivered_.load(); }
  uint64_t failed_messages() const override { return failed_.load(); }

 private:
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m,
                         void* opaque) {
    auto* self = static_cast<KafkaPublisher*>(opaque);
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      self->delivered_.fetch_add(1);
    } else {
      self->failed_.fetch_add(1);
    }
  }

  absl::Status Produce(const std::string& topic, const std::string& key,
                       std::string bytes) {
    for (int attempt = 0;; ++attempt) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_, RD_KAFKA_V_TOPIC(topic.c_str()),
          RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(bytes.data(), bytes.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || attempt > 500) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "kafka produce to ", topic, ": ", rd_kafka_err2str(err)));
      }
      rd_kafka_poll(rk_, 10);  // serve delivery reports to make room
    }
    rd_kafka_poll(rk_, 0);
    return absl::OkStatus();
  }

  const PublisherOptions options_;
  rd_kafka_t* rk_ = nullptr;
  std::atomic<uint64_t> delivered_{0}, failed_{0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<UpdatePublisher>> UpdatePublisher::Create(
    const PublisherOptions& options) {
  if (options.brokers.empty()) {
    return absl::InvalidArgumentError("publisher: no brokers");
  }
  if (options.max_rows_per_message == 0) {
    return absl::InvalidArgumentError("max_rows_per_message must be positive");
  }
  auto p = std::make_unique<KafkaPublisher>(options);
  absl::Status s = p->Init();
  if (!s.ok()) return s;
  return std::unique_ptr<UpdatePublisher>(std::move(p));
}

}  // namespace strata
