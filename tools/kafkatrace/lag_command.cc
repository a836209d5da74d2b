// `kafkatrace lag`: committed offsets, high watermarks, and lag in records and
// seconds.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli_support.h"
#include "commands.h"
#include "group_lag.h"
#include "kafkatrace/clock.h"

namespace kafkatrace::cli {
namespace {

// Seconds since the oldest unconsumed record (the one at `offset`) was written,
// or -1.
double LagSeconds(const KafkaSettings& kafka, const std::string& topic,
                  int32_t partition, int64_t offset) {
  std::string error;
  auto conf = MakeConf(
      kafka,
      {{"group.id", "kafkatrace-lag-probe-" + std::to_string(getpid())},
       {"enable.auto.commit", "false"}},
      &error);
  if (!conf) return -1;
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
  auto lags = GroupLag(args.kafka, args.group, "", 5000);
  if (!lags.ok()) {
    std::cerr << "kafkatrace lag: " << lags.status().message() << "\n";
    return lags.status().code() == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  if (lags->empty()) {
    std::cerr << "kafkatrace lag: group \"" << args.group
              << "\" has no committed offsets\n";
    return 1;
  }
  std::printf("%-24s %9s %12s %14s %10s %12s\n", "TOPIC", "PARTITION",
              "COMMITTED", "HIGH-WATERMARK", "LAG", "LAG-SECONDS");
  for (const PartitionLag& p : *lags) {
    char seconds[32] = "0.0";
    if (p.lag > 0) {
      const double s =
          LagSeconds(args.kafka, p.topic, p.partition, p.committed);
      if (s >= 0) {
        std::snprintf(seconds, sizeof(seconds), "%.1f", s);
      } else {
        std::snprintf(seconds, sizeof(seconds), "?");
      }
    }
    std::printf("%-24s %9d %12lld %14lld %10lld %12s\n", p.topic.c_str(),
                p.partition, static_cast<long long>(p.committed),
                static_cast<long long>(p.high_watermark),
                static_cast<long long>(p.lag), seconds);
  }
  return 0;
}

}  // namespace kafkatrace::cli
