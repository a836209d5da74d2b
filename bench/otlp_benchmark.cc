// OTLP export costs: encoding one span (protobuf and JSON), and a sustained
// export to a loopback receiver through the batch processor at default
// settings.
#include <benchmark/benchmark.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "kafkatrace/batch_span_processor.h"
#include "kafkatrace/otlp/otlp_http_exporter.h"
#include "kafkatrace/tracer_provider.h"
#include "otlp/otlp_encoder.h"

namespace kafkatrace {
namespace {

// A producer span with 10 attributes, the shape the Kafka instrumentation
// emits.
std::unique_ptr<SpanData> TenAttributeSpan() {
  static const Resource resource = Resource::Default("bench");
  static const InstrumentationScope scope{"kafkatrace.kafka", "0.1.0"};
  auto span = std::make_unique<SpanData>();
  span->context =
      SpanContext(TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
                  SpanId::FromHex("00f067aa0ba902b7").value(), 1, false);
  span->parent_span_id = SpanId::FromHex("1122334455667788").value();
  span->name = "send orders";
  span->kind = SpanKind::kProducer;
  span->start_unix_nanos = 1'700'000'000'000'000'000;
  span->end_unix_nanos = 1'700'000'000'002'000'000;
  span->attributes = {
      {"messaging.system", std::string("kafka")},
      {"messaging.operation.type", std::string("send")},
      {"messaging.operation.name", std::string("send")},
      {"messaging.destination.name", std::string("orders")},
      {"messaging.destination.partition.id", std::string("3")},
      {"messaging.kafka.message.key", std::string("customer-42")},
      {"messaging.kafka.offset", int64_t{123456}},
      {"messaging.message.body.size", int64_t{100}},
      {"messaging.client.id", std::string("rdkafka")},
      {"server.address", std::string("localhost")}};
  span->resource = &resource;
  span->scope = &scope;
  return span;
}

void BM_EncodeSpanProtobuf10Attributes(benchmark::State& state) {
  auto span = TenAttributeSpan();
  std::string out;
  for (auto _ : state) {
    out.clear();
    otlp::EncodeSpanProtobuf(*span, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(std::to_string(out.size()) + " bytes");
}
BENCHMARK(BM_EncodeSpanProtobuf10Attributes);

void BM_EncodeRequestProtobuf512Spans(benchmark::State& state) {
  std::vector<std::unique_ptr<SpanData>> batch;
  for (int i = 0; i < 512; ++i) batch.push_back(TenAttributeSpan());
  std::string out;
  for (auto _ : state) {
    out.clear();
    otlp::EncodeProtobuf(batch, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_EncodeRequestProtobuf512Spans);

void BM_EncodeRequestJson512Spans(benchmark::State& state) {
  std::vector<std::unique_ptr<SpanData>> batch;
  for (int i = 0; i < 512; ++i) batch.push_back(TenAttributeSpan());
  std::string out;
  for (auto _ : state) {
    out.clear();
    otlp::EncodeJson(batch, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_EncodeRequestJson512Spans);

// 50,000 spans/s for 3 s from one application thread, exported over loopback
// HTTP to a receiver that accepts everything; default batch settings except a
// 200 ms schedule delay would not be default, so none is changed.
void BM_SustainedExport50kPerSecond(benchmark::State& state) {
  httplib::Server server;
  std::atomic<uint64_t> requests{0};
  server.Post("/v1/traces",
              [&](const httplib::Request&, httplib::Response& res) {
                ++requests;
                res.status = 200;
              });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread listener([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::yield();

  BatchSpanProcessor::Stats stats{};
  OtlpHttpExporter::Stats otlp{};
  for (auto _ : state) {
    OtlpHttpExporterOptions options;
    options.endpoint =
        "http://127.0.0.1:" + std::to_string(port) + "/v1/traces";
    auto exporter = OtlpHttpExporter::Create(options);
    OtlpHttpExporter* exporter_view = exporter.value().get();
    auto bsp =
        std::make_unique<BatchSpanProcessor>(std::move(exporter.value()));
    BatchSpanProcessor* processor = bsp.get();
    TracerProviderOptions provider_options;
    provider_options.processors.push_back(std::move(bsp));
    TracerProvider provider(std::move(provider_options));
    Tracer& tracer = provider.GetTracer("bench");
    constexpr int kRate = 50'000, kSeconds = 3;
    auto begin = std::chrono::steady_clock::now();
    for (int i = 0; i < kRate * kSeconds; ++i) {
      Span span = tracer.StartSpan("send orders",
                                   SpanOptions{.kind = SpanKind::kProducer});
      span.SetAttribute("messaging.system", "kafka");
      span.SetAttribute("messaging.destination.name", "orders");
      span.End();
      auto due = begin + std::chrono::microseconds(static_cast<int64_t>(i) *
                                                   1'000'000 / kRate);
      while (std::chrono::steady_clock::now() < due) {
      }
    }
    (void)provider.Shutdown(std::chrono::steady_clock::now() +
                            std::chrono::seconds(30));
    stats = processor->stats();
    otlp = exporter_view->stats();
  }
  state.counters["ended"] = static_cast<double>(stats.spans_ended);
  state.counters["exported"] = static_cast<double>(otlp.spans_exported);
  state.counters["dropped"] = static_cast<double>(stats.spans_dropped);
  state.counters["failed"] = static_cast<double>(stats.spans_failed);
  state.counters["requests"] = static_cast<double>(requests.load());
  server.stop();
  listener.join();
}
BENCHMARK(BM_SustainedExport50kPerSecond)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace kafkatrace

BENCHMARK_MAIN();
