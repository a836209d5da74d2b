// Produces three traced records; each `send` span is a child of one "checkout"
// span and ends when the broker acknowledges the record. Usage: traced_producer
// <bootstrap-servers> [topic]
#include <iostream>

#include "kafkatrace/console_span_exporter.h"
#include "kafkatrace/context.h"
#include "kafkatrace/kafka/tracing_producer.h"
#include "kafkatrace/tracer_provider.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: traced_producer <bootstrap-servers> [topic]\n";
    return 2;
  }
  const std::string topic = argc > 2 ? argv[2] : "orders";

  kafkatrace::TracerProviderOptions options;
  options.resource = kafkatrace::Resource::Default("example-producer");
  options.processors.push_back(
      std::make_unique<kafkatrace::SimpleSpanProcessor>(
          std::make_unique<kafkatrace::ConsoleSpanExporter>()));
  kafkatrace::TracerProvider provider(std::move(options));
  kafkatrace::Tracer& tracer = provider.GetTracer("traced_producer");

  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(
      RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", argv[1], error);
  auto producer =
      kafkatrace::kafka::TracingProducer::Create(std::move(conf), provider);
  if (!producer.ok()) {
    std::cerr << producer.status().message() << "\n";
    return 1;
  }

  kafkatrace::Span checkout = tracer.StartSpan("checkout");
  {
    kafkatrace::ContextScope scope(
        checkout);  // the sends below become its children
    for (const char* item : {"book", "lamp", "tea"}) {
      auto result = (*producer)->Produce(
          {.topic = topic, .key = "customer-42", .value = item});
      if (result != RdKafka::ERR_NO_ERROR) {
        std::cerr << "produce failed: " << RdKafka::err2str(result) << "\n";
        return 1;
      }
    }
  }
  (*producer)->Flush(10000);  // delivery reports end the send spans
  checkout.End();
  std::cout << "trace " << checkout.context().trace_id().ToHex() << "\n";
  return 0;
}
