// The viewer's store: OTLP decode + SQLite ingest rate, the same through each
// OTLP transport from our exporter, and loading a 1,000-span trace with the
// JSON the API returns.
#include <benchmark/benchmark.h>
#include <httplib.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "collector/kafka_hops.h"
#include "collector/otlp_decoder.h"
#include "collector/otlp_grpc_server.h"
#include "collector/otlp_receiver.h"
#include "collector/span_store.h"
#include "common/json_writer.h"
#include "kafkatrace/otlp/otlp_http_exporter.h"
#include "kafkatrace/resource.h"
#include "otlp/otlp_encoder.h"

namespace kafkatrace {
namespace {

std::string TempDb() {
  char dir[] = "/tmp/kafkatrace-bench-XXXXXX";
  return std::string(mkdtemp(dir)) + "/spans.db";
}

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// 512 producer spans with the attributes the Kafka instrumentation writes.
std::vector<std::unique_ptr<SpanData>> Batch(uint64_t seed) {
  static const Resource resource = Resource::Default("bench");
  static const InstrumentationScope scope{"kafkatrace", "0.1.0"};
  std::vector<std::unique_ptr<SpanData>> batch;
  for (int i = 0; i < 512; ++i) {
    auto span = std::make_unique<SpanData>();
    // Random-looking ids, as W3C ids are: the worst case for an index.
    uint8_t trace[16] = {}, id[8] = {};
    uint64_t t = seed * 1000 + static_cast<uint64_t>(i) + 1;
    const uint64_t hi = Mix(t), lo = Mix(hi);
    std::memcpy(trace, &hi, 8);
    std::memcpy(trace + 8, &lo, 8);
    std::memcpy(id, &lo, 8);
    span->context =
        SpanContext(TraceId(std::span<const uint8_t, 16>(trace)),
                    SpanId(std::span<const uint8_t, 8>(id)), 1, false);
    span->name = "send orders";
    span->kind = SpanKind::kProducer;
    span->start_unix_nanos = static_cast<int64_t>(t) * 1000;
    span->end_unix_nanos = span->start_unix_nanos + 500;
    span->attributes = {
        {"messaging.system", std::string("kafka")},
        {"messaging.destination.name", std::string("orders")},
        {"messaging.operation.type", std::string("send")},
        {"messaging.kafka.message.key", std::string("customer-42")},
        {"messaging.kafka.offset", int64_t{12345}}};
    span->resource = &resource;
    span->scope = &scope;
    batch.push_back(std::move(span));
  }
  return batch;
}

// The same as OTLP protobuf.
std::string Request(uint64_t seed) {
  std::string body;
  otlp::EncodeProtobuf(Batch(seed), body);
  return body;
}

// Fills an empty store to the viewer's default capacity (--max-spans,
// 1,000,000) with 512-span requests. Every request carries new random trace
// ids, as live traffic does; the store's periodic index catch-up runs inside
// Insert and is part of the time.
void BM_DecodeAndIngest512(benchmark::State& state) {
  auto store = collector::SpanStore::Open(TempDb()).value();
  uint64_t seed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string request = Request(++seed);
    state.ResumeTiming();
    auto spans = collector::DecodeOtlpProtobuf(request);
    if (!store->Insert(spans->spans).ok()) state.SkipWithError("insert failed");
  }
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_DecodeAndIngest512)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1'000'000 / 512);

// Our exporter's Export() of 512 spans into a receiver that stores them, as
// `kafkatrace view` does: Arg(0) OTLP/HTTP protobuf (cpp-httplib, as the
// viewer), Arg(1) OTLP/gRPC (nghttp2; with libcurl < 8.0 a new connection per
// call). Encoding, transport, decoding and the SQLite commit are all timed.
void BM_ExportIntoReceiver512(benchmark::State& state) {
  const bool grpc = state.range(0) == 1;
  auto store = collector::SpanStore::Open(TempDb()).value();
  httplib::Server http;
  http.Post("/v1/traces",
            [&](const httplib::Request& req, httplib::Response& res) {
              auto reply = collector::ReceiveOtlpTraces(
                  req.get_header_value("Content-Type"), req.body, *store);
              res.status = reply.status;
              res.set_content(reply.body, reply.content_type);
            });
  collector::OtlpGrpcServer grpc_server(*store);
  std::string error;
  const int port = grpc ? grpc_server.Bind("127.0.0.1", 0, &error)
                        : http.bind_to_any_port("127.0.0.1");
  std::thread serving([&] {
    if (grpc) {
      grpc_server.Serve();
    } else {
      http.listen_after_bind();
    }
  });
  while (!grpc && !http.is_running()) std::this_thread::yield();
  const std::string address = "http://127.0.0.1:" + std::to_string(port);
  auto exporter =
      OtlpHttpExporter::Create(
          {.endpoint = grpc ? address : address + "/v1/traces",
           .protocol = grpc ? OtlpHttpExporterOptions::Protocol::kGrpc
                            : OtlpHttpExporterOptions::Protocol::kHttpProtobuf})
          .value();
  uint64_t seed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = Batch(++seed);
    state.ResumeTiming();
    if (exporter->Export(batch, std::chrono::steady_clock::now() +
                                    std::chrono::seconds(10)) !=
        ExportResult::kSuccess) {
      state.SkipWithError("export failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * 512);
  grpc_server.Stop();
  http.stop();
  serving.join();
}
BENCHMARK(BM_ExportIntoReceiver512)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(200'000 / 512);

void BM_DecodeOnly512(benchmark::State& state) {
  const std::string request = Request(1);
  for (auto _ : state)
    benchmark::DoNotOptimize(collector::DecodeOtlpProtobuf(request));
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_DecodeOnly512)->Unit(benchmark::kMillisecond);

void BM_LoadTrace1000Spans(benchmark::State& state) {
  auto store = collector::SpanStore::Open(TempDb()).value();
  std::vector<collector::StoredSpan> spans;
  const std::string trace_id(32, 'e');
  for (int i = 0; i < 1000; ++i) {
    collector::StoredSpan s;
    s.trace_id = trace_id;
    char id[17];
    std::snprintf(id, sizeof(id), "%016x", i + 1);
    s.span_id = id;
    if (i > 0) s.parent_span_id = "0000000000000001";
    s.name = "span";
    s.kind = i % 2 ? 4 : 5;
    s.start_unix_nanos = i * 1000;
    s.end_unix_nanos = i * 1000 + 500;
    s.attributes_json =
        R"({"messaging.system":"kafka","messaging.destination.name":"orders","messaging.kafka.offset":12345})";
    spans.push_back(std::move(s));
  }
  (void)store->Insert(spans);
  if (state.range(0) == 0) {
    (void)store->CatchUpIndex();
  } else {
    // Worst case for a read during heavy ingest: the trace sits in front of a
    // full batch of spans not indexed yet, which the lookup scans.
    uint64_t seed = 1'000'000;
    for (int64_t n = 0; n + 512 < state.range(0); n += 512)
      (void)store->Insert(
          collector::DecodeOtlpProtobuf(Request(++seed))->spans);
  }
  for (auto _ : state) {
    auto trace = store->GetTrace(trace_id);
    std::string body;
    json::Writer w(body);
    w.BeginArray();
    for (const auto& s : *trace) {
      w.BeginObject().Key("span_id").String(s.span_id).Key("name").String(
          s.name);
      w.Key("attributes").Raw(s.attributes_json).EndObject();
    }
    w.EndArray();
    benchmark::DoNotOptimize(collector::FindKafkaHops(*trace));
    benchmark::DoNotOptimize(body.data());
  }
}
BENCHMARK(BM_LoadTrace1000Spans)
    ->Unit(benchmark::kMillisecond)
    ->Arg(0)
    ->Arg(collector::SpanStore::kIndexBatch - 1000);

// The viewer's topic table (/api/topics): produce-to-consume percentiles over
// 50,000 hops, each a send span and a process span in 50,000 traces; Arg(0)
// the process span is the send span's child, Arg(1) it starts a new trace
// and links to it (the new-trace policy), which the query follows through
// each span's links.
void BM_TopicLatencies50kHops(benchmark::State& state) {
  auto store = collector::SpanStore::Open(TempDb()).value();
  const bool linked = state.range(0) == 1;
  std::vector<collector::StoredSpan> spans;
  for (uint64_t i = 0; i < 50'000; ++i) {
    char trace[33], other[33], id[17];
    std::snprintf(trace, sizeof(trace), "%016llx%016llx",
                  static_cast<unsigned long long>(Mix(i + 1)),
                  static_cast<unsigned long long>(i + 1));
    std::snprintf(other, sizeof(other), "%016llx%016llx",
                  static_cast<unsigned long long>(Mix(i + 7'000'000)),
                  static_cast<unsigned long long>(i + 1));
    std::snprintf(id, sizeof(id), "%016llx",
                  static_cast<unsigned long long>(Mix(i) | 1));
    collector::StoredSpan send;
    send.trace_id = trace;
    send.span_id = id;
    send.kind = 4;
    send.topic = "orders";
    send.start_unix_nanos = static_cast<int64_t>(i) * 1000;
    send.end_unix_nanos = send.start_unix_nanos + 500;
    collector::StoredSpan process = send;
    process.span_id = std::string(id).replace(0, 1, "f");
    process.kind = 5;
    process.start_unix_nanos += 1'000'000 + static_cast<int64_t>(i % 977);
    process.attributes_json = R"({"messaging.consumer.group.name":"workers"})";
    if (linked) {
      process.trace_id = other;
      process.links_json = std::string(R"([{"trace_id":")") + trace +
                           R"(","span_id":")" + id + R"(","attributes":{}}])";
    } else {
      process.parent_span_id = id;
    }
    spans.push_back(std::move(send));
    spans.push_back(std::move(process));
  }
  (void)store->Insert(spans);
  (void)store->CatchUpIndex();
  for (auto _ : state) {
    auto latencies = store->TopicLatencies(0);
    if (!latencies.ok() || latencies->empty() ||
        latencies->front().hops != 50'000)
      state.SkipWithError("wrong hop count");
    benchmark::DoNotOptimize(latencies);
  }
}
BENCHMARK(BM_TopicLatencies50kHops)
    ->Unit(benchmark::kMillisecond)
    ->Arg(0)
    ->Arg(1);

}  // namespace
}  // namespace kafkatrace

BENCHMARK_MAIN();
