// The `kafkatrace` command-line tool: one function per subcommand. Each returns
// the process exit code: 0 success, 1 runtime failure (broker unreachable,
// unknown topic), 2 usage error (malformed option values). Errors go to stderr
// and name the problem.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace kafkatrace::cli {

struct BrokerArgs {
  int port = 9092;
  std::vector<std::string> topics;  // NAME[:PARTITIONS]
};
struct ProduceArgs {
  std::string brokers;
  std::string topic;
  std::string key;
  bool has_key = false;
  std::vector<std::string> headers;  // k=v
  long long count = 1;
  std::string traceparent;
  std::vector<std::string> values;
};
struct ConsumeArgs {
  std::string brokers;
  std::string topic;
  std::string group;
  bool from_beginning = false;
  long long count = 0;  // 0: until interrupted
  bool json = false;
  int timeout_ms = 0;  // stop after this long without records (0: never)
};
struct LagArgs {
  std::string brokers;
  std::string group;
};

int RunBroker(const BrokerArgs& args);
int RunProduce(const ProduceArgs& args);
int RunConsume(const ConsumeArgs& args);
int RunLag(const LagArgs& args);

}  // namespace kafkatrace::cli
