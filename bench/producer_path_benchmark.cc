// The caller-side cost of TracingProducer::Produce against bare
// rd_kafka_producev with the same headers, isolated from any broker: the
// producer points at a closed port, so records just queue inside librdkafka.
// The queue is purged (untimed) every kPurgeEvery records: an ever-growing
// queue measures first-touch page faults, not the produce path (on this
// project's VMs fresh pages cost more than the call itself). With 65,536
// records in flight many sampled spans are freshly allocated (the span pool
// is bounded by bytes, about 20,000 bare spans); the "FewInFlight" variant
// purges every 1,024 records, as a producer whose broker acknowledges within
// milliseconds sees, so its spans come back from the pool. Purged records end
// their spans failed: while the next records are produced, the batch worker
// ends a burst of failed spans.
#include <benchmark/benchmark.h>
#include <librdkafka/rdkafka.h>

#include "kafkatrace/batch_span_processor.h"
#include "kafkatrace/kafka/tracing_producer.h"
#include "kafkatrace/tracer_provider.h"

namespace {

std::unique_ptr<RdKafka::Conf> Conf() {
  std::string e;
  std::unique_ptr<RdKafka::Conf> conf(
      RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", "127.0.0.1:1", e);
  conf->set("queue.buffering.max.messages", "10000000", e);
  conf->set("queue.buffering.max.kbytes", "2097151", e);
  conf->set("message.timeout.ms", "0", e);  // never time out while queued
  conf->set("log_level", "0", e);
  return conf;
}

const std::string kValue(100, 'v');
constexpr int64_t kPurgeEvery = 1 << 16;

// Drops the queued records untimed; `poll` serves their delivery reports
// (the traced producer ends its spans there).
template <typename PollFn>
void PurgeQueue(benchmark::State& state, RdKafka::Producer& producer,
                PollFn&& poll) {
  state.PauseTiming();
  producer.purge(RdKafka::Producer::PURGE_QUEUE);
  poll();
  state.ResumeTiming();
}

// Bare rd_kafka_produceva with one precomputed traceparent header, the topic
// named by string or, with `by_handle`, by a topic handle kept for the run.
void BareProduce(benchmark::State& state, bool by_handle) {
  std::string e;
  std::unique_ptr<RdKafka::Producer> producer(
      RdKafka::Producer::create(Conf().get(), e));
  rd_kafka_topic_t* handle =
      by_handle ? rd_kafka_topic_new(producer->c_ptr(), "orders", nullptr)
                : nullptr;
  const char* traceparent =
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  int64_t queued = 0;
  for (auto _ : state) {
    if (++queued % kPurgeEvery == 0)
      PurgeQueue(state, *producer, [&] { producer->poll(0); });
    rd_kafka_headers_t* headers = rd_kafka_headers_new(1);
    rd_kafka_header_add(headers, "traceparent", 11, traceparent, 55);
    rd_kafka_vu_t fields[4];
    if (by_handle) {
      fields[0] = {.vtype = RD_KAFKA_VTYPE_RKT, .u = {.rkt = handle}};
    } else {
      fields[0] = {.vtype = RD_KAFKA_VTYPE_TOPIC, .u = {.cstr = "orders"}};
    }
    fields[1] = {.vtype = RD_KAFKA_VTYPE_MSGFLAGS,
                 .u = {.i = RD_KAFKA_MSG_F_COPY}};
    fields[2] = {
        .vtype = RD_KAFKA_VTYPE_VALUE,
        .u = {.mem = {const_cast<char*>(kValue.data()), kValue.size()}}};
    fields[3] = {.vtype = RD_KAFKA_VTYPE_HEADERS, .u = {.headers = headers}};
    rd_kafka_error_t* error = rd_kafka_produceva(producer->c_ptr(), fields, 4);
    if (error != nullptr) rd_kafka_error_destroy(error);
  }
  producer->purge(RdKafka::Producer::PURGE_QUEUE);
  if (handle != nullptr) rd_kafka_topic_destroy(handle);
}
void BM_BareProducevWithTraceparent(benchmark::State& state) {
  BareProduce(state, /*by_handle=*/false);
}
BENCHMARK(BM_BareProducevWithTraceparent);
// By handle, as TracingProducer produces: by name, librdkafka looks the topic
// up under its client's write lock on every call. What tracing costs over an
// application that keeps topic handles too.
void BM_BareProducevWithTraceparentByTopicHandle(benchmark::State& state) {
  BareProduce(state, /*by_handle=*/true);
}
BENCHMARK(BM_BareProducevWithTraceparentByTopicHandle);

void Traced(benchmark::State& state, bool sampled,
            int64_t purge_every = kPurgeEvery) {
  class Noop final : public kafkatrace::SpanExporter {
    kafkatrace::ExportResult Export(
        std::span<std::unique_ptr<kafkatrace::SpanData>>,
        kafkatrace::Deadline) noexcept override {
      return kafkatrace::ExportResult::kSuccess;
    }
  };
  kafkatrace::TracerProviderOptions options;
  if (sampled) {
    options.sampler = std::make_unique<kafkatrace::AlwaysOnSampler>();
  } else {
    options.sampler = std::make_unique<kafkatrace::AlwaysOffSampler>();
  }
  options.processors.push_back(std::make_unique<kafkatrace::BatchSpanProcessor>(
      std::make_unique<Noop>()));
  kafkatrace::TracerProvider provider(std::move(options));
  auto producer = kafkatrace::kafka::TracingProducer::Create(
                      Conf(), provider.GetTracer("bench"))
                      .value();
  int64_t queued = 0;
  for (auto _ : state) {
    if (++queued % purge_every == 0)
      PurgeQueue(state, producer->producer(), [&] { producer->Poll(0); });
    producer->Produce({.topic = "orders", .value = kValue});
  }
}
void BM_TracingProducerSampled(benchmark::State& state) { Traced(state, true); }
void BM_TracingProducerNotSampled(benchmark::State& state) {
  Traced(state, false);
}
void BM_TracingProducerSampledFewInFlight(benchmark::State& state) {
  Traced(state, true, 1024);
}
BENCHMARK(BM_TracingProducerSampled);
BENCHMARK(BM_TracingProducerSampledFewInFlight);
BENCHMARK(BM_TracingProducerNotSampled);

}  // namespace

BENCHMARK_MAIN();
