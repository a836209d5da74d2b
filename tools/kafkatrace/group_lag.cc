#include "group_lag.h"

#include <algorithm>
#include <memory>

#include "cli_support.h"

namespace kafkatrace::cli {

Result<std::vector<PartitionLag>> GroupLag(const KafkaSettings& kafka,
                                           const std::string& group,
                                           const std::string& topic,
                                           int timeout_ms) {
  std::string error;
  auto conf = MakeConf(
      kafka, {{"group.id", group}, {"enable.auto.commit", "false"}}, &error);
  if (!conf) return Status::InvalidArgument(error);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) return Status::InvalidArgument(error);
  if (std::string problem = CheckBrokerAndTopic(*consumer, kafka.brokers, topic,
                                                /*may_create=*/false);
      !problem.empty()) {
    consumer->close();
    return Status::Unavailable(problem);
  }
  RdKafka::Metadata* raw = nullptr;
  consumer->metadata(true, nullptr, &raw, timeout_ms);
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  std::vector<RdKafka::TopicPartition*> partitions;
  if (metadata) {
    for (const auto* t : *metadata->topics()) {
      if (!topic.empty() ? t->topic() != topic
                         : t->topic().rfind("__", 0) == 0)  // internal topics
        continue;
      for (const auto* p : *t->partitions()) {
        partitions.push_back(
            RdKafka::TopicPartition::create(t->topic(), p->id()));
      }
    }
  }
  const RdKafka::ErrorCode committed_error =
      consumer->committed(partitions, timeout_ms);
  if (committed_error != RdKafka::ERR_NO_ERROR) {
    RdKafka::TopicPartition::destroy(partitions);
    consumer->close();
    return Status::Unavailable("cannot read committed offsets of group \"" +
                               group +
                               "\": " + RdKafka::err2str(committed_error));
  }
  std::vector<PartitionLag> lags;
  for (const auto* tp : partitions) {
    if (tp->offset() < 0) continue;  // nothing committed here
    int64_t low = 0, high = 0;
    if (consumer->query_watermark_offsets(tp->topic(), tp->partition(), &low,
                                          &high, timeout_ms) !=
        RdKafka::ERR_NO_ERROR) {
      continue;
    }
    lags.push_back({tp->topic(), tp->partition(), tp->offset(), high,
                    std::max<int64_t>(0, high - tp->offset())});
  }
  RdKafka::TopicPartition::destroy(partitions);
  consumer->close();
  return lags;
}

}  // namespace kafkatrace::cli
