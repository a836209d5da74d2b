// End-to-end harness: TracingProducer/TracingConsumer against bare librdkafka,
// in one run, on the in-process mock cluster. Usage: kafka_benchmark [records]
// [consume-records] [variants, producer and consumer alike, default "abcd";
// e.g. "d" alone, to profile one variant] [records in flight at most: the
// producers' queue.buffering.max.messages, default 1000000; librdkafka's own
// default is 100000]
//
// Producer runs report two times: the produce() loop alone (the caller's cost,
// with delivery reports served every 1,024 records) and until the last record
// is acknowledged and its delivery report served (throughput: every span has
// ended and been exported). Each variant runs 3 times, interleaved; medians
// are reported. The batch processor reads OTEL_BSP_* as an application's does.
// Producer variants: (a) bare, no headers; (b) bare with the same headers
// precomputed (what tracing must at least cost on the wire); (c)
// TracingProducer, every record sampled, spans exported to a no-op exporter;
// (d) TracingProducer, nothing sampled; (e) as (c), each batch of spans
// encoded as an OTLP/protobuf request, as the OTLP exporter does before it
// sends (its network part left out); (f) as (e), but with the attributes
// written into the spans before export, as for any exporter that does not
// encode them from the facts itself (what (e) cost before it did).
// Consumer variants likewise: (a) bare, (b) bare reading the traceparent
// header, (c)/(d) TracingConsumer with a process span per record; each timed
// from assignment (the mock's fetch path included) and, separately, with every
// record already fetched into the consumer's queue (the caller's own cost).
// (g), producer and consumer: as (d), plus a MessagingMetrics (the metrics'
// cost; e.g. variants "abdg").
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>
#include <thread>

#include "kafkatrace/batch_span_processor.h"
#include "kafkatrace/kafka/tracing_consumer.h"
#include "kafkatrace/kafka/tracing_producer.h"
#include "kafkatrace/metrics/messaging_metrics.h"
#include "kafkatrace/tracer_provider.h"
#include "otlp/otlp_encoder.h"

namespace {

using Clock = std::chrono::steady_clock;
using kafkatrace::kafka::TracingConsumer;
using kafkatrace::kafka::TracingProducer;

class NoopExporter final : public kafkatrace::SpanExporter {
 public:
  kafkatrace::ExportResult Export(
      std::span<std::unique_ptr<kafkatrace::SpanData>>,
      kafkatrace::Deadline) noexcept override {
    return kafkatrace::ExportResult::kSuccess;
  }
};

// The OTLP exporter's work up to the network: a request body per batch,
// attributes still held as facts encoded straight from them.
class OtlpEncodingExporter final : public kafkatrace::SpanExporter {
 public:
  explicit OtlpEncodingExporter(bool from_facts) : from_facts_(from_facts) {}
  bool ExportsDeferredAttributes() const noexcept override {
    return from_facts_;
  }
  kafkatrace::ExportResult Export(
      std::span<std::unique_ptr<kafkatrace::SpanData>> batch,
      kafkatrace::Deadline) noexcept override {
    std::string body;
    body.reserve(batch.size() * 300);
    kafkatrace::otlp::EncodeProtobuf(batch, body);
    if (body.empty()) std::abort();  // used: not optimized away
    return kafkatrace::ExportResult::kSuccess;
  }

 private:
  const bool from_facts_;
};
enum class Export { kNothing, kOtlpEncoded, kOtlpEncodedFromAttributes };

// A provider with a batch processor configured as an application's would be,
// from the OTEL_BSP_* variables (queue of 2,048 spans by default). Its drops
// are reported: a producer's delivery reports arrive thousands at a time, and
// a dropped span skips the worker's attribute writes and export, so a run that
// drops is cheaper than tracing every record (2-22 % of spans were dropped per
// 300,000-record run here at the default queue size; run with
// OTEL_BSP_MAX_QUEUE_SIZE above the records per run to drop none).
struct TracedPipeline {
  std::unique_ptr<kafkatrace::TracerProvider> provider;
  kafkatrace::BatchSpanProcessor* processor = nullptr;  // owned by provider

  // Exports every span ended so far and returns the share of them dropped.
  double ExportAll() const {
    if (!provider->ForceFlush(Clock::now() + std::chrono::seconds(60)))
      std::abort();
    const auto stats = processor->stats();
    return stats.spans_ended == 0 ? 0
                                  : static_cast<double>(stats.spans_dropped) /
                                        static_cast<double>(stats.spans_ended);
  }
};

TracedPipeline Pipeline(bool sampled, Export to = Export::kNothing) {
  kafkatrace::TracerProviderOptions options;
  if (sampled) {
    options.sampler = std::make_unique<kafkatrace::AlwaysOnSampler>();
  } else {
    options.sampler = std::make_unique<kafkatrace::AlwaysOffSampler>();
  }
  auto queue = kafkatrace::BatchSpanProcessorOptions::FromEnv();
  if (!queue.ok()) {
    std::fprintf(stderr, "OTEL_BSP_*: %s\n", queue.status().message().c_str());
    std::exit(2);
  }
  std::unique_ptr<kafkatrace::SpanExporter> exporter;
  if (to != Export::kNothing) {
    exporter =
        std::make_unique<OtlpEncodingExporter>(to == Export::kOtlpEncoded);
  } else {
    exporter = std::make_unique<NoopExporter>();
  }
  auto processor = std::make_unique<kafkatrace::BatchSpanProcessor>(
      std::move(exporter), *queue);
  TracedPipeline pipeline;
  pipeline.processor = processor.get();
  options.processors.push_back(std::move(processor));
  pipeline.provider =
      std::make_unique<kafkatrace::TracerProvider>(std::move(options));
  return pipeline;
}

// queue.buffering.max.messages of every producer (main's fourth argument).
std::string g_max_in_flight = "1000000";

std::unique_ptr<RdKafka::Conf> Conf(const std::string& bootstrap) {
  std::string e;
  std::unique_ptr<RdKafka::Conf> conf(
      RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, e);
  conf->set("linger.ms", "5", e);
  conf->set("queue.buffering.max.messages", g_max_in_flight, e);
  conf->set("log_level", "0", e);
  // librdkafka < 2.2 pauses fetching for a second when the prefetch queue
  // fills.
  conf->set("queued.min.messages", "1000000", e);
  conf->set("queued.max.messages.kbytes", "1048576", e);
  conf->set("max.partition.fetch.bytes", "10485760", e);
  conf->set("fetch.message.max.bytes", "10485760", e);
  return conf;
}

const char* kTraceParent =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// Bare producers get a delivery-report callback too, as TracingProducer has
// one (and as applications that check delivery do): with one, librdkafka hands
// each delivered record back to the polling thread, which frees it where it was
// allocated; without one, librdkafka's broker thread frees it, and those
// cross-thread frees made the "bare" baseline slower than the traced producer
// (glibc malloc: 1.6-2.0 us vs 1.0-1.6 us per record here).
class IgnoreDeliveryReports final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message&) override {}
};

// CPU time of this process (CLOCK_PROCESS_CPUTIME_ID) or thread
// (CLOCK_THREAD_CPUTIME_ID), in seconds.
double CpuSeconds(clockid_t clock) {
  timespec now;
  clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) +
         static_cast<double>(now.tv_nsec) / 1e9;
}

struct ProduceTimes {
  double loop = 0;       // the produce() loop, seconds
  double delivered = 0;  // until the last delivery report was served
  double cpu = 0;      // the whole process's CPU time until then (every thread)
  double dropped = 0;  // share of the run's spans the batch processor dropped
};

ProduceTimes RunBare(const std::string& bootstrap, const std::string& topic,
                     int n, const std::string& value, bool with_headers) {
  std::string e;
  auto conf = Conf(bootstrap);
  IgnoreDeliveryReports reports;
  conf->set("dr_cb", &reports, e);
  std::unique_ptr<RdKafka::Producer> producer(
      RdKafka::Producer::create(conf.get(), e));
  rd_kafka_t* rk = producer->c_ptr();
  const double cpu_start = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID);
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    rd_kafka_headers_t* headers = nullptr;
    if (with_headers) {
      headers = rd_kafka_headers_new(1);
      rd_kafka_header_add(headers, "traceparent", 11, kTraceParent, 55);
    }
    while (true) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(topic.c_str()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
          RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) std::abort();
      producer->poll(1);
    }
    if ((i & 1023) == 0) producer->poll(0);
  }
  ProduceTimes times;
  times.loop = std::chrono::duration<double>(Clock::now() - start).count();
  if (producer->flush(60000) != RdKafka::ERR_NO_ERROR) std::abort();
  times.delivered = std::chrono::duration<double>(Clock::now() - start).count();
  times.cpu = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
  return times;
}

// `metrics`: the producer also records the messaging metrics into it.
ProduceTimes RunTraced(const std::string& bootstrap, const std::string& topic,
                       int n, const std::string& value, bool sampled,
                       Export to = Export::kNothing,
                       kafkatrace::MessagingMetrics* metrics = nullptr) {
  const TracedPipeline pipeline = Pipeline(sampled, to);
  auto producer = TracingProducer::Create(Conf(bootstrap),
                                          pipeline.provider->GetTracer("bench"),
                                          {.metrics = metrics})
                      .value();
  const double cpu_start = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID);
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    while (true) {
      const RdKafka::ErrorCode err =
          producer->Produce({.topic = topic, .value = value});
      if (err == RdKafka::ERR_NO_ERROR) break;
      if (err != RdKafka::ERR__QUEUE_FULL) std::abort();
      producer->Poll(1);
    }
    if ((i & 1023) == 0) producer->Poll(0);
  }
  ProduceTimes times;
  times.loop = std::chrono::duration<double>(Clock::now() - start).count();
  // Delivery reports end the spans, and the batch worker writes their
  // attributes and exports them: all part of the cost.
  if (producer->Flush(60000) != RdKafka::ERR_NO_ERROR) std::abort();
  times.dropped = pipeline.ExportAll();
  times.delivered = std::chrono::duration<double>(Clock::now() - start).count();
  times.cpu = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
  return times;
}

std::unique_ptr<RdKafka::KafkaConsumer> AssignedConsumer(
    const std::string& bootstrap, const std::string& topic) {
  std::string e;
  auto conf = Conf(bootstrap);
  conf->set("group.id", "bench", e);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), e));
  std::unique_ptr<RdKafka::TopicPartition> tp(RdKafka::TopicPartition::create(
      topic, 0, RdKafka::Topic::OFFSET_BEGINNING));
  consumer->assign({tp.get()});
  return consumer;
}

// With `prefetched`, waits until librdkafka has fetched all `n` records into
// the consumer's local queue, so the timed loop measures the caller's side
// alone (polling and processing), not the mock's fetch path.
// Records asked for that never come: the mock cluster keeps only about 5 MiB
// per partition and drops the oldest, so a larger consume count would wait
// forever. Says so and exits.
[[noreturn]] void RecordsMissing(int seen, int n) {
  std::fprintf(stderr,
               "kafka_benchmark: only %d of %d records arrived; the mock "
               "cluster keeps about 5 MiB per partition, so ask for fewer "
               "consume records (the second argument)\n",
               seen, n);
  std::exit(2);
}
// Consecutive 1-second polls without a record before giving up.
constexpr int kMaxEmptyPolls = 10;

void WaitUntilFetched(RdKafka::KafkaConsumer& consumer, int n,
                      bool prefetched) {
  if (!prefetched) return;
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(consumer.c_ptr());
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (rd_kafka_queue_length(queue) < static_cast<size_t>(n)) {
    if (Clock::now() > deadline)
      RecordsMissing(static_cast<int>(rd_kafka_queue_length(queue)), n);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  rd_kafka_queue_destroy(queue);
}

// A consumer run's wall time and its consuming thread's CPU time, in seconds:
// on this 2-vCPU VM the batch worker is woken onto the consuming thread's CPU
// and runs in its time slices (the vCPUs share no cache level, so the
// scheduler does not place it on the idle one), so wall time includes work
// the consumer's thread did not do itself.
struct ConsumeTimes {
  double wall = 0;
  double thread_cpu = 0;
  double dropped = 0;  // as ProduceTimes::dropped
};

ConsumeTimes ConsumeBare(const std::string& bootstrap, const std::string& topic,
                         int n, bool headers, bool prefetched) {
  auto consumer = AssignedConsumer(bootstrap, topic);
  WaitUntilFetched(*consumer, n, prefetched);
  int seen = 0;
  size_t found = 0;
  const double cpu_start = CpuSeconds(CLOCK_THREAD_CPUTIME_ID);
  auto start = Clock::now();
  int empty_polls = 0;  // counted off the timed path: only on a miss
  while (seen < n) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(1000));
    if (!m || m->err() != RdKafka::ERR_NO_ERROR) {
      if (m && m->err() == RdKafka::ERR__TIMED_OUT &&
          ++empty_polls == kMaxEmptyPolls) {
        RecordsMissing(seen, n);
      }
      continue;
    }
    empty_polls = 0;
    ++seen;
    if (headers) {
      rd_kafka_headers_t* h = nullptr;
      const void* v;
      size_t size;
      if (rd_kafka_message_headers(m->c_ptr(), &h) ==
              RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_header_get_last(h, "traceparent", &v, &size) ==
              RD_KAFKA_RESP_ERR_NO_ERROR) {
        found += size;
      }
    }
  }
  const ConsumeTimes times{
      std::chrono::duration<double>(Clock::now() - start).count(),
      CpuSeconds(CLOCK_THREAD_CPUTIME_ID) - cpu_start};
  consumer->close();
  if (headers && found == 0) std::abort();
  return times;
}

ConsumeTimes ConsumeTraced(const std::string& bootstrap,
                           const std::string& topic, int n, bool sampled,
                           bool prefetched,
                           kafkatrace::MessagingMetrics* metrics = nullptr) {
  const TracedPipeline pipeline = Pipeline(sampled);
  auto conf = Conf(bootstrap);
  std::string e;
  conf->set("group.id", "bench", e);
  auto consumer = TracingConsumer::Create(std::move(conf),
                                          pipeline.provider->GetTracer("bench"),
                                          {.metrics = metrics})
                      .value();
  std::unique_ptr<RdKafka::TopicPartition> tp(RdKafka::TopicPartition::create(
      topic, 0, RdKafka::Topic::OFFSET_BEGINNING));
  consumer->consumer().assign({tp.get()});
  WaitUntilFetched(consumer->consumer(), n, prefetched);
  int seen = 0;
  const double cpu_start = CpuSeconds(CLOCK_THREAD_CPUTIME_ID);
  auto start = Clock::now();
  int empty_polls = 0;
  while (seen < n) {
    auto record = consumer->Poll(1000);
    if (!record || record->error() != RdKafka::ERR_NO_ERROR) {
      if (!record && ++empty_polls == kMaxEmptyPolls) RecordsMissing(seen, n);
      continue;
    }
    empty_polls = 0;
    kafkatrace::kafka::ProcessSpanScope process(*consumer, *record);
    ++seen;
  }
  ConsumeTimes times{
      std::chrono::duration<double>(Clock::now() - start).count(),
      CpuSeconds(CLOCK_THREAD_CPUTIME_ID) - cpu_start};
  times.dropped = pipeline.ExportAll();  // untimed: the caller's side alone
  return times;
}

void Report(const char* name, int n, double seconds, double baseline_seconds) {
  if (seconds == 0) return;  // variant not run
  if (baseline_seconds == 0) {
    std::printf("    %-44s %9.0f records/s  %7.1f ns/record\n", name,
                n / seconds, seconds * 1e9 / n);
    return;
  }
  std::printf(
      "    %-44s %9.0f records/s  %7.1f ns/record  %+7.1f ns vs (b)  %5.2fx "
      "(b)\n",
      name, n / seconds, seconds * 1e9 / n,
      (seconds - baseline_seconds) * 1e9 / n, baseline_seconds / seconds);
}

double MedianOf3(double a, double b, double c) {
  double r[3] = {a, b, c};
  std::sort(r, r + 3);
  return r[1];
}

// Each variant's median over its three rounds of `field`, against (b)'s.
template <typename Times, size_t kVariants>
void ReportMedians(const Times (&runs)[kVariants][3], double Times::*field,
                   int n, const char* const (&names)[kVariants]) {
  double medians[kVariants];
  for (size_t v = 0; v < kVariants; ++v)
    medians[v] =
        MedianOf3(runs[v][0].*field, runs[v][1].*field, runs[v][2].*field);
  for (size_t v = 0; v < kVariants; ++v)
    Report(names[v], n, medians[v], medians[1]);
}

// Each traced variant's median share of spans dropped, when any was; only
// the variants run (letters in `variants`).
template <typename Times, size_t kVariants>
void ReportDrops(const Times (&runs)[kVariants][3], std::string_view variants,
                 const char* indent) {
  const auto ran = [&](size_t v) {
    return variants.find(static_cast<char>('a' + v)) != variants.npos;
  };
  bool any = false;
  for (size_t v = 2; v < kVariants; ++v)
    for (const Times& run : runs[v]) any = any || run.dropped > 0;
  if (!any) return;
  std::printf("%sspans dropped by the batch processor's full queue, median:",
              indent);
  for (size_t v = 2; v < kVariants; ++v) {
    if (!ran(v)) continue;
    std::printf(" (%c) %.1f %%", static_cast<char>('a' + v),
                100 * MedianOf3(runs[v][0].dropped, runs[v][1].dropped,
                                runs[v][2].dropped));
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1'000'000;
  const int consume_n =
      argc > 2 ? std::atoi(argv[2]) : 30'000;  // stays under the mock's ~5 MiB
  const std::string variants = argc > 3 ? argv[3] : "abcd";
  if (argc > 4) g_max_in_flight = argv[4];
  auto runs_variant = [&](char v) {
    return variants.find(v) != std::string::npos;
  };
  char error[512];
  rd_kafka_conf_t* c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "log_level", "0", nullptr, 0);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, error, sizeof(error));
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, 1);
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  const char* queue_size = std::getenv("OTEL_BSP_MAX_QUEUE_SIZE");
  std::printf(
      "librdkafka %s, mock cluster, %d records per producer run, at most %s "
      "in flight, batch processor queue %s\n",
      rd_kafka_version_str(), n, g_max_in_flight.c_str(),
      queue_size != nullptr ? queue_size : "2048 (default)");

  for (size_t size : {size_t{100}, size_t{1024}}) {
    const std::string value(size, 'v');
    std::printf("produce, %zu-byte values:\n", size);
    int run = 0;
    // A fresh one-partition topic per run (one the mock auto-created would
    // get its default partition count).
    auto topic = [&] {
      std::string name = "p";
      name.append(std::to_string(size))
          .append("-")
          .append(std::to_string(run++));
      rd_kafka_mock_topic_create(cluster, name.c_str(), 1, 1);
      return name;
    };
    ProduceTimes runs[7][3] = {};
    for (int round = 0; round < 3;
         ++round) {  // interleaved, so drift hits all variants
      if (runs_variant('a'))
        runs[0][round] = RunBare(bootstrap, topic(), n, value, false);
      if (runs_variant('b'))
        runs[1][round] = RunBare(bootstrap, topic(), n, value, true);
      if (runs_variant('c'))
        runs[2][round] = RunTraced(bootstrap, topic(), n, value, true);
      if (runs_variant('d'))
        runs[3][round] = RunTraced(bootstrap, topic(), n, value, false);
      if (runs_variant('e'))
        runs[4][round] =
            RunTraced(bootstrap, topic(), n, value, true, Export::kOtlpEncoded);
      if (runs_variant('f'))
        runs[5][round] = RunTraced(bootstrap, topic(), n, value, true,
                                   Export::kOtlpEncodedFromAttributes);
      if (runs_variant('g')) {
        kafkatrace::MessagingMetrics metrics;
        runs[6][round] = RunTraced(bootstrap, topic(), n, value, false,
                                   Export::kNothing, &metrics);
      }
    }
    for (auto field : {&ProduceTimes::loop, &ProduceTimes::delivered}) {
      std::printf("  %s:\n", field == &ProduceTimes::loop
                                 ? "produce() loop (caller side)"
                                 : "until every record is acknowledged "
                                   "(and, traced, its span exported)");
      ReportMedians(
          runs, field, n,
          {"(a) bare librdkafka, no headers",
           "(b) bare librdkafka + precomputed traceparent",
           "(c) TracingProducer, sampled", "(d) TracingProducer, not sampled",
           "(e) TracingProducer, sampled, OTLP-encoded",
           "(f) as (e), attributes written first",
           "(g) as (d), with messaging metrics"});
    }
    // How much of the machine each variant kept busy: on a VM whose woken
    // threads land on the waker's vCPU, work moved to another thread can run
    // serialized with the one that woke it.
    std::printf(
        "  cores busy until acknowledged (process CPU / wall), median:");
    for (int v = 0; v < 7; ++v) {
      const auto cores = [&](const ProduceTimes& t) {
        return t.delivered > 0 ? t.cpu / t.delivered : 0;
      };
      const double median =
          MedianOf3(cores(runs[v][0]), cores(runs[v][1]), cores(runs[v][2]));
      if (median > 0) std::printf(" (%c) %.2f", 'a' + v, median);
    }
    std::printf("\n");
    ReportDrops(runs, variants, "  ");
  }

  std::printf("consume, 100-byte values, %d records per run:\n", consume_n);
  rd_kafka_mock_topic_create(cluster, "consume-src", 1, 1);
  (void)RunTraced(bootstrap, "consume-src", consume_n, std::string(100, 'v'),
                  true);
  for (bool prefetched : {false, true}) {
    std::printf("  %s:\n",
                prefetched
                    ? "records already fetched (caller side: poll + process)"
                    : "from assignment to the last record (fetch included)");
    // Indexed by variant letter, as the producer's: (e) and (f) have no
    // consumer counterpart.
    ConsumeTimes runs[7][3] = {};
    for (int round = 0; round < 3; ++round) {  // interleaved, as above
      if (runs_variant('a'))
        runs[0][round] =
            ConsumeBare(bootstrap, "consume-src", consume_n, false, prefetched);
      if (runs_variant('b'))
        runs[1][round] =
            ConsumeBare(bootstrap, "consume-src", consume_n, true, prefetched);
      if (runs_variant('c'))
        runs[2][round] = ConsumeTraced(bootstrap, "consume-src", consume_n,
                                       true, prefetched);
      if (runs_variant('d'))
        runs[3][round] = ConsumeTraced(bootstrap, "consume-src", consume_n,
                                       false, prefetched);
      if (runs_variant('g')) {
        kafkatrace::MessagingMetrics metrics;
        runs[6][round] = ConsumeTraced(bootstrap, "consume-src", consume_n,
                                       false, prefetched, &metrics);
      }
    }
    for (auto field : {&ConsumeTimes::wall, &ConsumeTimes::thread_cpu}) {
      if (field == &ConsumeTimes::thread_cpu && !prefetched) continue;
      std::printf("    %s:\n", field == &ConsumeTimes::wall
                                   ? "wall time"
                                   : "the consuming thread's CPU time");
      ReportMedians(
          runs, field, consume_n,
          {"(a) bare consumer", "(b) bare consumer reading traceparent",
           "(c) TracingConsumer + process span, sampled",
           "(d) TracingConsumer + process span, not sampled", "", "",
           "(g) as (d), with messaging metrics"});
    }
    ReportDrops(runs, variants, "    ");
  }

  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
