// The `kafkatrace` command-line tool: one function per subcommand. Each returns
// the process exit code: 0 success, 1 runtime failure (broker unreachable,
// unknown topic), 2 usage error (malformed option values). Errors go to stderr
// and name the problem.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kafka_settings.h"

namespace kafkatrace::cli {

struct BrokerArgs {
  int port = 9092;
  std::vector<std::string> topics;  // NAME[:PARTITIONS]
};
struct ProduceArgs {
  KafkaSettings kafka;
  std::string topic;
  std::string key;
  bool has_key = false;
  std::vector<std::string> headers;  // k=v
  int partition = -1;                // -1: the partitioner decides
  long long count = 1;
  std::string traceparent;
  std::vector<std::string> baggage;  // k=v, values as they are (not encoded)
  std::vector<std::string> values;
};
struct ConsumeArgs {
  KafkaSettings kafka;
  std::string topic;
  std::string group;
  bool from_beginning = false;
  std::vector<int> partitions;  // empty: all of the topic's (without a group)
  std::string offset;   // beginning, end, N or -N (N before the end); no group
  long long count = 0;  // 0: until interrupted
  bool json = false;
  int timeout_ms = 0;  // stop after this long without records (0: never)
  std::string policy = "parent";  // parent, link or new-trace
  std::string trace_id;  // show only records of this trace (32 hex digits)
};
struct LagArgs {
  KafkaSettings kafka;
  std::string group;
  bool json = false;
};

struct ViewArgs {
  std::string otlp = "127.0.0.1:4318";
  // OTLP/gRPC; empty: 127.0.0.1:4317 if free (a warning if not); "off": none.
  std::string otlp_grpc;
  std::string ui = "127.0.0.1:16686";
  std::string db = "kafkatrace-spans.db";
  int64_t retention_hours = 168;
  int64_t max_spans = 1'000'000;
  KafkaSettings kafka;  // brokers set: the topic table shows each group's lag
};
struct TraceArgs {
  std::string trace_id;
  std::string db = "kafkatrace-spans.db";
};

struct DemoArgs {
  bool once = false;
  bool busy = false;  // start with the worker busy (interactive mode)
  int busy_ms = 3000;
  int questions = 2;
  int api_port = 8080;
  int board_port = 8081;
  std::string db = "kafkatrace-demo.db";
  KafkaSettings kafka;  // brokers: a real cluster; empty: the embedded one
};

int RunBroker(const BrokerArgs& args);
int RunDemo(const DemoArgs& args);
int RunView(const ViewArgs& args);
int RunTrace(const TraceArgs& args);
int RunProduce(const ProduceArgs& args);
int RunConsume(const ConsumeArgs& args);
int RunLag(const LagArgs& args);

}  // namespace kafkatrace::cli
