// `kafkatrace lag`: committed offsets, high watermarks, and lag in records and
// seconds.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli_support.h"
#include "commands.h"
#include "common/json_writer.h"
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
  std::string json_out;
  json::Writer json(json_out);
  if (args.json) {
    json.BeginArray();
  } else {
    std::printf("%-24s %9s %12s %14s %10s %12s\n", "TOPIC", "PARTITION",
                "COMMITTED", "HIGH-WATERMARK", "LAG", "LAG-SECONDS");
  }
  for (const PartitionLag& p : *lags) {
    // How long the oldest unread record has waited; -1: unknown.
    const double seconds =
        p.lag > 0 ? LagSeconds(args.kafka, p.topic, p.partition, p.committed)
                  : 0.0;
    if (args.json) {
      json.BeginObject().Key("topic").String(p.topic);
      json.Key("partition").Int(p.partition).Key("committed").Int(p.committed);
      json.Key("high_watermark").Int(p.high_watermark).Key("lag").Int(p.lag);
      seconds >= 0 ? json.Key("lag_seconds").Double(seconds)
                   : json.Key("lag_seconds").Null();
      json.EndObject();
      continue;
    }
    char shown[32] = "?";
    if (seconds >= 0) std::snprintf(shown, sizeof(shown), "%.1f", seconds);
    std::printf("%-24s %9d %12lld %14lld %10lld %12s\n", p.topic.c_str(),
                p.partition, static_cast<long long>(p.committed),
                static_cast<long long>(p.high_watermark),
                static_cast<long long>(p.lag), shown);
  }
  if (args.json) {
    json.EndArray();
    std::cout << json_out << "\n";
  }
  return 0;
}

}  // namespace kafkatrace::cli
