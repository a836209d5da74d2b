// Consumes records and processes each inside a `process` span that continues
// the producer's trace. Usage: traced_consumer <bootstrap-servers> [topic]
// [count]
#include <iostream>

#include "kafkatrace/console_span_exporter.h"
#include "kafkatrace/kafka/tracing_consumer.h"
#include "kafkatrace/tracer_provider.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: traced_consumer <bootstrap-servers> [topic] [count]\n";
    return 2;
  }
  const std::string topic = argc > 2 ? argv[2] : "orders";
  const int count = argc > 3 ? std::stoi(argv[3]) : 3;

  kafkatrace::TracerProviderOptions options;
  options.resource = kafkatrace::Resource::Default("example-consumer");
  options.processors.push_back(
      std::make_unique<kafkatrace::SimpleSpanProcessor>(
          std::make_unique<kafkatrace::ConsoleSpanExporter>()));
  kafkatrace::TracerProvider provider(std::move(options));

  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(
      RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", argv[1], error);
  conf->set("group.id", "example-consumer", error);
  conf->set("auto.offset.reset", "earliest", error);
  auto consumer = kafkatrace::kafka::TracingConsumer::Create(
      std::move(conf), provider);  // spans in kafkatrace.kafka's scope
  kafkatrace::Status started =
      consumer.ok() ? (*consumer)->Subscribe({topic}) : consumer.status();
  if (!started.ok()) {
    std::cerr << "cannot start consumer: " << started.message() << "\n";
    return 1;
  }

  for (int seen = 0, polls = 0; seen < count && polls < 300; ++polls) {
    auto record = (*consumer)->Poll(100);
    if (!record || record->error() != RdKafka::ERR_NO_ERROR) continue;
    kafkatrace::kafka::ProcessSpanScope process(**consumer,
                                                *record);  // ends at scope exit
    std::cout << "got " << record->value().value_or("(tombstone)")
              << " from trace "
              << record->producer_context().span_context.trace_id().ToHex()
              << "\n";
    ++seen;
  }
  return (*consumer)->CommitSync() == RdKafka::ERR_NO_ERROR ? 0 : 1;
}
