// The smallest complete kafkatrace program: one span with an attribute and an
// event, printed by the console exporter.
#include <chrono>

#include "kafkatrace/console_span_exporter.h"
#include "kafkatrace/tracer_provider.h"

int main() {
  kafkatrace::TracerProviderOptions options;
  options.resource = kafkatrace::Resource::Default("hello");
  options.processors.push_back(
      std::make_unique<kafkatrace::SimpleSpanProcessor>(
          std::make_unique<kafkatrace::ConsoleSpanExporter>()));
  kafkatrace::TracerProvider provider(std::move(options));
  kafkatrace::Tracer& tracer = provider.GetTracer("hello_trace");

  kafkatrace::Span span = tracer.StartSpan("say-hello");
  span.SetAttribute("greeting.words", int64_t{2});
  span.AddEvent("said");
  span.End();
  return provider.Shutdown(std::chrono::steady_clock::now() +
                           std::chrono::seconds(1))
             ? 0
             : 1;
}
