// The cost a measurement adds to a Kafka client's thread when metrics are on:
// one send's two measurements (sent.messages and operation.duration) into an
// existing series, alone and with a second thread recording at once.
#include <benchmark/benchmark.h>

#include <string>

#include "kafkatrace/metrics/messaging_metrics.h"

namespace {

kafkatrace::MessagingMetrics& Metrics() {
  static kafkatrace::MessagingMetrics metrics;
  return metrics;
}

void BM_RecordSend(benchmark::State& state) {
  // As TracingProducer's delivery report builds it: views of librdkafka's
  // topic name and the broker table's host.
  const std::string topic =
      "orders-" + std::to_string(state.thread_index() % 2);
  const std::string host = "broker-1.kafka.internal";
  const kafkatrace::MessagingMetricAttributes attributes{
      .operation_name = "send",
      .operation_type = "send",
      .destination = topic,
      .partition = 3,
      .server_address = host,
      .server_port = 9092};
  for (auto _ : state) {
    Metrics().RecordSentMessages(attributes, 1);
    Metrics().RecordOperationDuration(attributes, 0.0042);
  }
}
BENCHMARK(BM_RecordSend)->Threads(1)->Threads(2);

void BM_Collect200Series(benchmark::State& state) {
  kafkatrace::MessagingMetrics metrics;
  for (int i = 0; i < 200; ++i) {
    const std::string topic = "topic-" + std::to_string(i);
    metrics.RecordOperationDuration({.operation_name = "send",
                                     .operation_type = "send",
                                     .destination = topic},
                                    0.01);
  }
  for (auto _ : state) benchmark::DoNotOptimize(metrics.Collect());
}
BENCHMARK(BM_Collect200Series);

}  // namespace

BENCHMARK_MAIN();
