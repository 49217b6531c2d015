#include "engine/update/kafka_source.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/common/status_macros.h"
#include "engine/update/kafka_conf.h"
#include "engine/update/update_codec.h"

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;

// Most messages applied in one write, and their most payload bytes.
constexpr size_t kMaxBatchMessages = 256;
constexpr size_t kMaxBatchBytes = 8 << 20;

class KafkaSource final : public UpdateSource {
 public:
  KafkaSource(const KafkaSourceOptions& options, const ModelRegistry* registry,
              Applier* applier)
      : options_(options), registry_(registry), applier_(applier) {}
  ~KafkaSource() override { Stop(); }

  absl::Status Start() override;
  void Stop() override;
  UpdateSourceStats stats() const override;

 private:
  struct Partition {
    std::string topic;
    int32_t partition = 0;
    int64_t next = -1;     // next offset to read; -1 until known
    uint64_t version = 0;  // the model version it is positioned for
    // The broker no longer had `next` and the consumer jumped to the oldest
    // offset it had: the next message says how many were lost.
    bool reset = false;
  };

  // The messages of one batch that decoded, waiting for one ApplyLogged.
  struct Group {
    std::vector<DecodedUpdate> updates;
    std::vector<UpdatePosition> positions;
    std::vector<Partition*> parts;
    std::vector<std::string> keys;  // "<topic>/<partition>" of each
    void Clear() {
      updates.clear();
      positions.clear();
      parts.clear();
      keys.clear();
    }
  };

  void Run();
  // The topics of every serving model, each tagged with its version.
  std::map<std::string, TopicInfo> WantedTopics() const;
  // Follows the registry: drops the partitions of models no longer served
  // and moves those of a model whose serving version changed to that
  // version's own position.
  void SyncTopics();
  void RefreshAssignment();
  // Applies messages already fetched, in order, in as few writes as possible.
  void HandleBatch(absl::Span<rd_kafka_message_t* const> batch);
  void HandleError(const rd_kafka_message_t* m);
  // Counts messages that retention deleted before `offset` was read.
  void NoteGap(Partition& part, const std::string& key, int64_t offset);
  // Writes `group` in one ApplyLogged, or message by message when that fails;
  // adds the partitions whose store write failed to `retrying`.
  void ApplyGroup(Group* group, std::set<std::string>* retrying);
  // Applies (or skips) one message; false when the store failed and the
  // partition was rewound to read it again.
  bool ApplyOne(const absl::StatusOr<DecodedUpdate>& update,
                const UpdatePosition& pos, Partition& part,
                const std::string& key);
  void UpdateLag();
  // Logs at most one line per 5 s for connection trouble.
  void LogTrouble(const std::string& what);

  // Constant after Start.
  const KafkaSourceOptions options_;
  const ModelRegistry* const registry_;
  Applier* const applier_;
  rd_kafka_t* rk_ = nullptr;

  // Owned by the consumer thread (set by Start before it runs).
  std::map<std::string, TopicInfo> topics_;

  // Owned by the consumer thread.
  std::map<std::string, Partition> assigned_;  // by "<topic>/<partition>"
  Clock::time_point last_trouble_log_{};

  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> consumed_{0}, applied_messages_{0}, applied_rows_{0},
      skipped_{0}, stale_{0}, lost_{0}, lag_{0};
  std::atomic<uint32_t> assigned_count_{0};
  std::atomic<bool> connected_{false};
};

std::map<std::string, TopicInfo> KafkaSource::WantedTopics() const {
  std::map<std::string, TopicInfo> topics;
  for (const auto& model : registry_->List()) {
    topics[StrataTopic(options_.topic_prefix, model->name())] =
        TopicInfo{model->name(), "", false, model->version()};
    if (!options_.hps_topics) continue;
    for (const auto& [table, unused] : model->tables()) {
      topics[HpsTopic(model->name(), table)] =
          TopicInfo{model->name(), table, true, model->version()};
    }
  }
  return topics;
}

absl::Status KafkaSource::Start() {
  topics_ = WantedTopics();
  char err[512];
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", options_.brokers},
      // Needed by assign(); never joined, offsets are never committed.
      {"group.id", "strata-update-sidecar"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "false"},
      {"allow.auto.create.topics", "false"},
      {"fetch.wait.max.ms", "10"},
      {"client.id", "strata-server"},
      // Notice a dead broker connection within seconds, not a minute, and
      // come back quickly once brokers return.
      {"socket.timeout.ms", "10000"},
      {"reconnect.backoff.ms", "100"},
      {"reconnect.backoff.max.ms", "1000"},
  };
  STRATA_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf,
                          NewKafkaConf(std::move(props), options_.rdkafka));
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk_ == nullptr) {  // conf is still ours on failure
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", err));
  }
  rd_kafka_poll_set_consumer(rk_);
  spdlog::info("kafka: reading {} topics from {}", topics_.size(),
               options_.brokers);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void KafkaSource::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
  rd_kafka_destroy_flags(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  rk_ = nullptr;
}

UpdateSourceStats KafkaSource::stats() const {
  UpdateSourceStats s;
  s.consumed_messages = consumed_.load();
  s.applied_messages = applied_messages_.load();
  s.applied_rows = applied_rows_.load();
  s.skipped_messages = skipped_.load();
  s.stale_messages = stale_.load();
  s.lost_messages = lost_.load();
  s.lag = lag_.load();
  s.assigned_partitions = assigned_count_.load();
  s.connected = connected_.load();
  return s;
}

void KafkaSource::Run() {
  Clock::time_point next_refresh = Clock::now(), next_lag = Clock::now();
  while (!stop_.load()) {
    if (Clock::now() >= next_refresh) {
      RefreshAssignment();
      next_refresh = Clock::now() +
                     std::chrono::milliseconds(options_.metadata_refresh_ms);
    }
    // Wait for one message, then take whatever else is already fetched.
    rd_kafka_message_t* m =
        rd_kafka_consumer_poll(rk_, static_cast<int>(options_.poll_timeout_ms));
    if (m != nullptr) {
      std::vector<rd_kafka_message_t*> batch = {m};
      size_t bytes = m->len;
      while (batch.size() < kMaxBatchMessages && bytes < kMaxBatchBytes) {
        m = rd_kafka_consumer_poll(rk_, 0);
        if (m == nullptr) break;
        batch.push_back(m);
        bytes += m->len;
      }
      HandleBatch(batch);
      for (rd_kafka_message_t* done : batch) rd_kafka_message_destroy(done);
    }
    applier_->Tick();
    if (Clock::now() >= next_lag) {
      UpdateLag();
      next_lag =
          Clock::now() + std::chrono::milliseconds(options_.lag_refresh_ms);
    }
  }
}

void KafkaSource::SyncTopics() {
  std::map<std::string, TopicInfo> wanted = WantedTopics();
  rd_kafka_topic_partition_list_t* drop = rd_kafka_topic_partition_list_new(4);
  rd_kafka_topic_partition_list_t* seek = rd_kafka_topic_partition_list_new(4);
  for (auto it = assigned_.begin(); it != assigned_.end();) {
    Partition& part = it->second;
    auto topic = wanted.find(part.topic);
    if (topic == wanted.end()) {
      spdlog::info("kafka: {} no longer serves; stop reading {}",
                   topics_[part.topic].model, it->first);
      rd_kafka_topic_partition_list_add(drop, part.topic.c_str(),
                                        part.partition);
      it = assigned_.erase(it);
      continue;
    }
    const TopicInfo& info = topic->second;
    if (part.version != info.version) {
      absl::StatusOr<std::optional<int64_t>> next =
          applier_->NextOffset(info.model, part.topic, part.partition);
      if (!next.ok()) {  // the model went away meanwhile: next sync
        ++it;
        continue;
      }
      rd_kafka_topic_partition_list_add(seek, part.topic.c_str(),
                                        part.partition)
          ->offset = next->value_or(RD_KAFKA_OFFSET_BEGINNING);
      spdlog::info("kafka: {} serves version {}: reading {} from {}",
                   info.model, info.version, it->first,
                   next->has_value() ? absl::StrCat("offset ", **next)
                                     : std::string("the beginning"));
      part.version = info.version;
      part.next = next->value_or(-1);
      part.reset = false;
    }
    ++it;
  }
  if (drop->cnt > 0) {
    if (rd_kafka_error_t* error = rd_kafka_incremental_unassign(rk_, drop)) {
      spdlog::error("kafka: unassign: {}", rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
    }
  }
  if (seek->cnt > 0) {
    // Seeking bumps the partitions' fetch version: messages fetched for the
    // old position are discarded by librdkafka, and the Applier refuses any
    // that were already polled (their position names the old version).
    if (rd_kafka_error_t* error = rd_kafka_seek_partitions(rk_, seek, 5000)) {
      spdlog::error("kafka: seek: {}", rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
    }
  }
  rd_kafka_topic_partition_list_destroy(drop);
  rd_kafka_topic_partition_list_destroy(seek);
  topics_ = std::move(wanted);
  assigned_count_ = static_cast<uint32_t>(assigned_.size());
}

void KafkaSource::RefreshAssignment() {
  SyncTopics();
  rd_kafka_topic_partition_list_t* add = rd_kafka_topic_partition_list_new(4);
  for (const auto& [topic, info] : topics_) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk_, 0, rkt, &md, 1000);
    rd_kafka_topic_destroy(rkt);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      connected_ = false;
      LogTrouble(
          absl::StrCat("metadata for ", topic, ": ", rd_kafka_err2str(err)));
      break;  // brokers down: try every topic again later
    }
    connected_ = true;
    for (int t = 0; t < md->topic_cnt; ++t) {
      const rd_kafka_metadata_topic_t& mt = md->topics[t];
      if (mt.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;  // not created yet
      for (int p = 0; p < mt.partition_cnt; ++p) {
        const int32_t id = mt.partitions[p].id;
        const std::string key = Applier::PartitionKey(topic, id);
        if (assigned_.count(key) != 0) continue;
        absl::StatusOr<std::optional<int64_t>> next =
            applier_->NextOffset(info.model, topic, id);
        if (!next.ok()) {
          spdlog::error("kafka: offset of {}: {}", key,
                        std::string(next.status().message()));
          continue;
        }
        Partition part{topic, id, next->value_or(-1), info.version};
        rd_kafka_topic_partition_list_add(add, topic.c_str(), id)->offset =
            next->has_value() ? **next : RD_KAFKA_OFFSET_BEGINNING;
        spdlog::info("kafka: reading {} from {}", key,
                     next->has_value() ? absl::StrCat("offset ", **next)
                                       : std::string("the beginning"));
        assigned_[key] = part;
      }
    }
    rd_kafka_metadata_destroy(md);
  }
  if (add->cnt > 0) {
    rd_kafka_error_t* error = rd_kafka_incremental_assign(rk_, add);
    if (error != nullptr) {
      spdlog::error("kafka: assign: {}", rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
      for (int i = 0; i < add->cnt; ++i) {
        assigned_.erase(Applier::PartitionKey(add->elems[i].topic,
                                              add->elems[i].partition));
      }
    }
    assigned_count_ = static_cast<uint32_t>(assigned_.size());
  }
  rd_kafka_topic_partition_list_destroy(add);
}

void KafkaSource::HandleBatch(absl::Span<rd_kafka_message_t* const> batch) {
  Group group;
  std::set<std::string> retrying;  // the rest of these is read again
  for (const rd_kafka_message_t* m : batch) {
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      ApplyGroup(&group, &retrying);  // keep the order of the partition
      HandleError(m);
      continue;
    }
    connected_ = true;
    consumed_.fetch_add(1);
    const std::string topic = rd_kafka_topic_name(m->rkt);
    auto info = topics_.find(topic);
    if (info == topics_.end()) continue;  // not ours (cannot happen)
    std::string key = Applier::PartitionKey(topic, m->partition);
    if (retrying.count(key) != 0) continue;
    auto assigned = assigned_.find(key);
    if (assigned == assigned_.end()) continue;  // unassigned since fetched
    Partition& part = assigned->second;
    NoteGap(part, key, m->offset);
    UpdatePosition pos{info->second.model, topic, m->partition, m->offset,
                       part.version};
    absl::string_view payload(static_cast<const char*>(m->payload), m->len);
    absl::StatusOr<DecodedUpdate> update =
        info->second.hps
            ? DecodeHctr(payload, info->second.model, info->second.table)
            : DecodeUpdateBatch(payload);
    if (!update.ok()) {
      ApplyGroup(&group, &retrying);
      if (!ApplyOne(update, pos, part, key)) retrying.insert(key);
      continue;
    }
    group.updates.push_back(*std::move(update));
    group.positions.push_back(std::move(pos));
    group.parts.push_back(&part);
    group.keys.push_back(std::move(key));
  }
  ApplyGroup(&group, &retrying);
}

void KafkaSource::ApplyGroup(Group* group, std::set<std::string>* retrying) {
  if (group->updates.empty()) return;
  if (group->updates.size() > 1) {
    absl::StatusOr<ApplyCounts> counts =
        applier_->ApplyLogged(group->updates, group->positions);
    if (counts.ok()) {
      applied_messages_.fetch_add(counts->applied_messages);
      applied_rows_.fetch_add(counts->rows);
      stale_.fetch_add(counts->stale_messages);
      for (size_t i = 0; i < group->parts.size(); ++i) {
        group->parts[i]->next = group->positions[i].offset + 1;
      }
      group->Clear();
      return;
    }
    // Some message is bad or the store failed: one by one, so the good ones
    // are applied, the bad ones skipped and a failed write retried.
  }
  for (size_t i = 0; i < group->updates.size(); ++i) {
    if (retrying->count(group->keys[i]) != 0) continue;
    if (!ApplyOne(group->updates[i], group->positions[i], *group->parts[i],
                  group->keys[i])) {
      retrying->insert(group->keys[i]);
    }
  }
  group->Clear();
}

void KafkaSource::HandleError(const rd_kafka_message_t* m) {
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
  if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET && m->rkt != nullptr) {
    // Not connection trouble: retention deleted messages we had not read.
    auto it = assigned_.find(
        Applier::PartitionKey(rd_kafka_topic_name(m->rkt), m->partition));
    if (it != assigned_.end()) it->second.reset = true;
    spdlog::error("kafka: {}", rd_kafka_message_errstr(m));
    return;
  }
  connected_ = false;
  LogTrouble(rd_kafka_message_errstr(m));
}

void KafkaSource::NoteGap(Partition& part, const std::string& key,
                          int64_t offset) {
  if (!part.reset) return;
  part.reset = false;
  if (part.next >= 0 && offset > part.next) {
    lost_.fetch_add(static_cast<uint64_t>(offset - part.next));
    spdlog::error(
        "kafka: {} lost messages {}..{}: the topic's retention deleted "
        "them before this pod read them, so their updates are missing here "
        "(keep retention above the longest consumer pause)",
        key, part.next, offset - 1);
  }
}

bool KafkaSource::ApplyOne(const absl::StatusOr<DecodedUpdate>& update,
                           const UpdatePosition& pos, Partition& part,
                           const std::string& key) {
  absl::StatusOr<uint64_t> rows =
      update.ok() ? applier_->Apply({&*update, 1}, &pos)
                  : absl::StatusOr<uint64_t>(update.status());
  if (rows.ok()) {
    if (*rows == 0 && !update->keys.empty()) {
      stale_.fetch_add(1);
    } else {
      applied_messages_.fetch_add(1);
      applied_rows_.fetch_add(*rows);
    }
  } else if (absl::IsInvalidArgument(rows.status()) ||
             absl::IsNotFound(rows.status())) {
    skipped_.fetch_add(1);
    spdlog::warn("kafka: skipping message {} offset {}: {}", key, pos.offset,
                 std::string(rows.status().message()));
    absl::Status s = applier_->Skip(pos);
    if (!s.ok()) spdlog::error("kafka: {}", std::string(s.message()));
  } else {
    // The store failed: read the message again after a pause.
    spdlog::error("kafka: applying {} offset {}: {}; retrying", key, pos.offset,
                  std::string(rows.status().message()));
    rd_kafka_topic_partition_list_t* seek =
        rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(seek, pos.topic.c_str(), pos.partition)
        ->offset = pos.offset;
    rd_kafka_error_t* error = rd_kafka_seek_partitions(rk_, seek, 1000);
    if (error != nullptr) rd_kafka_error_destroy(error);
    rd_kafka_topic_partition_list_destroy(seek);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    return false;
  }
  part.next = pos.offset + 1;
  return true;
}

void KafkaSource::UpdateLag() {
  uint64_t lag = 0;
  for (const auto& [key, part] : assigned_) {
    int64_t low = 0, high = 0;
    if (rd_kafka_get_watermark_offsets(rk_, part.topic.c_str(), part.partition,
                                       &low,
                                       &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0) {
      continue;  // not fetched yet
    }
    const int64_t at = std::max(part.next, low);
    if (high > at) lag += static_cast<uint64_t>(high - at);
  }
  lag_ = lag;
}

void KafkaSource::LogTrouble(const std::string& what) {
  const Clock::time_point now = Clock::now();
  if (now - last_trouble_log_ < std::chrono::seconds(5)) return;
  last_trouble_log_ = now;
  spdlog::warn("kafka: {} (serving goes on; retrying)", what);
}

}  // namespace

absl::Status KafkaSourceOptions::Validate() const {
  if (brokers.empty()) return absl::InvalidArgumentError("no kafka brokers");
  if (poll_timeout_ms == 0 || metadata_refresh_ms == 0 || lag_refresh_ms == 0) {
    return absl::InvalidArgumentError(
        "kafka poll, metadata and lag intervals must be positive");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<UpdateSource>> NewKafkaSource(
    const KafkaSourceOptions& options, const ModelRegistry* registry,
    Applier* applier) {
  absl::Status s = options.Validate();
  if (!s.ok()) return s;
  return std::unique_ptr<UpdateSource>(
      new KafkaSource(options, registry, applier));
}

}  // namespace strata
