// `kafkatrace lag`: committed offsets, high watermarks, and lag in records and
// seconds.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli_support.h"
#include "commands.h"
#include "kafkatrace/clock.h"

namespace kafkatrace::cli {
namespace {

// Seconds since the oldest unconsumed record (the one at `offset`) was written,
// or -1.
double LagSeconds(const std::string& brokers, const std::string& topic,
                  int32_t partition, int64_t offset) {
  std::string error;
  auto conf = MakeConf(brokers, &error);
  if (!conf) return -1;
  SetOrDie(*conf, "group.id",
           "kafkatrace-lag-probe-" + std::to_string(getpid()));
  SetOrDie(*conf, "enable.auto.commit", "false");
  std::unique_ptr<RdKafka::KafkaConsumer> probe(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!probe) return -1;
  std::unique_ptr<RdKafka::TopicPartition> tp(
      RdKafka::TopicPartition::create(topic, partition, offset));
  probe->assign({tp.get()});
  double seconds = -1;
  for (int i = 0; i < 20; ++i) {
    std::unique_ptr<RdKafka::Message> message(probe->consume(100));
    if (message && message->err() == RdKafka::ERR_NO_ERROR) {
      int64_t now_ms = SystemClock::Instance().NowNanos() / 1'000'000;
      seconds =
          static_cast<double>(now_ms - message->timestamp().timestamp) / 1000.0;
      break;
    }
  }
  probe->close();
  return seconds;
}

}  // namespace

int RunLag(const LagArgs& args) {
  std::string error;
  auto conf = MakeConf(args.brokers, &error);
  if (!conf) {
    std::cerr << "kafkatrace lag: " << error << "\n";
    return 2;
  }
  SetOrDie(*conf, "group.id", args.group);
  SetOrDie(*conf, "enable.auto.commit", "false");
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) {
    std::cerr << "kafkatrace lag: " << error << "\n";
    return 2;
  }
  if (std::string problem =
          CheckBrokerAndTopic(*consumer, args.brokers, "", false);
      !problem.empty()) {
    std::cerr << "kafkatrace lag: " << problem << "\n";
    return 1;
  }
  RdKafka::Metadata* raw = nullptr;
  consumer->metadata(true, nullptr, &raw, 5000);
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto* t : *metadata->topics()) {
    if (t->topic().rfind("__", 0) == 0) continue;  // internal topics
    for (const auto* p : *t->partitions()) {
      partitions.push_back(
          RdKafka::TopicPartition::create(t->topic(), p->id()));
    }
  }
  RdKafka::ErrorCode committed_error = consumer->committed(partitions, 5000);
  if (committed_error != RdKafka::ERR_NO_ERROR) {
    std::cerr << "kafkatrace lag: cannot read committed offsets of group \""
              << args.group << "\": " << RdKafka::err2str(committed_error)
              << "\n";
    RdKafka::TopicPartition::destroy(partitions);
    return 1;
  }
  int rows = 0;
  for (const auto* tp : partitions) {
    if (tp->offset() < 0) continue;  // nothing committed here
    int64_t low = 0, high = 0;
    if (consumer->query_watermark_offsets(tp->topic(), tp->partition(), &low,
                                          &high,
                                          5000) != RdKafka::ERR_NO_ERROR) {
      continue;
    }
    const int64_t lag = std::max<int64_t>(0, high - tp->offset());
    char seconds[32] = "0.0";
    if (lag > 0) {
      double s =
          LagSeconds(args.brokers, tp->topic(), tp->partition(), tp->offset());
      if (s >= 0) {
        std::snprintf(seconds, sizeof(seconds), "%.1f", s);
      } else {
        std::snprintf(seconds, sizeof(seconds), "?");
      }
    }
    if (rows == 0) {
      std::printf("%-24s %9s %12s %14s %10s %12s\n", "TOPIC", "PARTITION",
                  "COMMITTED", "HIGH-WATERMARK", "LAG", "LAG-SECONDS");
    }
    std::printf("%-24s %9d %12lld %14lld %10lld %12s\n", tp->topic().c_str(),
                tp->partition(), static_cast<long long>(tp->offset()),
                static_cast<long long>(high), static_cast<long long>(lag),
                seconds);
    ++rows;
  }
  RdKafka::TopicPartition::destroy(partitions);
  consumer->close();
  if (rows == 0) {
    std::cerr << "kafkatrace lag: group \"" << args.group
              << "\" has no committed offsets\n";
    return 1;
  }
  return 0;
}

}  // namespace kafkatrace::cli
