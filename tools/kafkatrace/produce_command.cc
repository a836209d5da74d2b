// `kafkatrace produce`: traced records from arguments or stdin.
#include <chrono>
#include <iostream>
#include <mutex>

#include "cli_support.h"
#include "commands.h"
#include "kafkatrace/context.h"
#include "kafkatrace/kafka/tracing_producer.h"
#include "kafkatrace/propagation/baggage_propagator.h"
#include "kafkatrace/propagation/text_map_carrier.h"
#include "kafkatrace/propagation/trace_context_propagator.h"

namespace kafkatrace::cli {
namespace {

// Counts delivery failures; runs after the send span ended (TracingProducer
// chains it).
class DeliveryCounter : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      ++delivered;
    } else {
      ++failed;
      if (first_error.empty()) first_error = message.errstr();
    }
  }
  long long delivered = 0;
  long long failed = 0;
  std::string first_error;
};

}  // namespace

int RunProduce(const ProduceArgs& args) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& header : args.headers) {
    size_t eq = header.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "kafkatrace produce: malformed --header \"" << header
                << "\": expected name=value\n";
      return 2;
    }
    std::string name = header.substr(0, eq);
    // The producer replaces these with its own span's context: given here,
    // they would be lost without a word.
    for (const auto& [owned, instead] :
         {std::pair{"traceparent", "--traceparent to continue a trace"},
          std::pair{"tracestate", "--traceparent to continue a trace"},
          std::pair{"baggage", "--baggage to send baggage"}}) {
      if (EqualsIgnoreAsciiCase(name, owned)) {
        std::cerr << "kafkatrace produce: --header " << name
                  << " would be replaced by the record's own trace context; "
                     "use "
                  << instead << "\n";
        return 2;
      }
    }
    headers.emplace_back(std::move(name), header.substr(eq + 1));
  }
  Baggage baggage;
  for (const auto& member : args.baggage) {
    const size_t eq = member.find('=');
    const std::string key = member.substr(0, eq);
    if (eq == std::string::npos || !IsBaggageKey(key)) {
      std::cerr << "kafkatrace produce: malformed --baggage \"" << member
                << "\": expected key=value, the key made of letters, digits "
                   "and !#$%&'*+-.^_`|~\n";
      return 2;
    }
    baggage = baggage.With(key, member.substr(eq + 1));
  }
  std::optional<SpanContext> parent;
  if (!args.traceparent.empty()) {
    parent = ParseTraceParent(args.traceparent);
    if (!parent) {
      std::cerr << "kafkatrace produce: malformed --traceparent \""
                << args.traceparent
                << "\": expected 00-<32 lowercase hex trace id>-<16 lowercase "
                   "hex span id>-<2 "
                   "hex flags>, ids not all zero\n";
      return 2;
    }
  }

  std::string error;
  auto provider = MakeTracerProvider(&error);
  if (!provider) {
    std::cerr << "kafkatrace produce: " << error << "\n";
    return 2;
  }
  auto metrics = MakeMetrics(*provider, &error);
  if (!metrics) {
    std::cerr << "kafkatrace produce: " << error << "\n";
    return 2;
  }
  auto conf = MakeConf(args.kafka, {{"message.timeout.ms", "10000"}}, &error);
  if (!conf) {
    std::cerr << "kafkatrace produce: " << error << "\n";
    return 2;
  }
  DeliveryCounter counter;
  if (conf->set("dr_cb", &counter, error) != RdKafka::Conf::CONF_OK) return 2;
  Tracer& tracer = provider->GetTracer("kafkatrace-cli", KAFKATRACE_VERSION);
  auto producer = kafka::TracingProducer::Create(
      std::move(conf), *provider, {.metrics = metrics->for_clients()});
  if (!producer.ok()) {
    std::cerr << "kafkatrace produce: " << producer.status().message() << "\n";
    return 2;
  }
  if (std::string problem = CheckBrokerAndTopic((*producer)->producer(),
                                                args.kafka.brokers, args.topic,
                                                /*may_create=*/true);
      !problem.empty()) {
    std::cerr << "kafkatrace produce: " << problem << "\n";
    return 1;
  }

  std::vector<std::string> values = args.values;
  if (values.empty()) {
    for (std::string line; std::getline(std::cin, line);)
      values.push_back(line);
  }
  if (values.empty()) {
    std::cerr << "kafkatrace produce: nothing to send (no VALUE arguments and "
                 "empty stdin)\n";
    return 2;
  }

  InstallStopSignals();
  Span root = tracer.StartSpan(
      "kafkatrace produce",
      SpanOptions{.parent = parent, .root = !parent.has_value()});
  std::cout << "trace-id: " << root.context().trace_id().ToHex() << std::endl;
  const long long total = args.count * static_cast<long long>(values.size());
  long long sent = 0;
  auto last_progress = std::chrono::steady_clock::now();
  {
    // The records carry the root span's context and the baggage given.
    ContextScope scope(root.context(), baggage);
    for (long long round = 0; round < args.count && !g_stop_requested;
         ++round) {
      for (const auto& value : values) {
        kafka::ProducerRecord record{
            .topic = args.topic,
            .partition = args.partition >= 0 ? args.partition
                                             : RdKafka::Topic::PARTITION_UA,
            .value = value};
        if (args.has_key) record.key = args.key;
        for (const auto& [k, v] : headers) record.headers.emplace_back(k, v);
        RdKafka::ErrorCode result;
        while ((result = (*producer)->Produce(record)) ==
               RdKafka::ERR__QUEUE_FULL) {
          (*producer)->Poll(
              50);  // librdkafka's queue is full: let deliveries drain
        }
        if (result == RdKafka::ERR__UNKNOWN_PARTITION) {
          std::cerr << "kafkatrace produce: topic " << args.topic
                    << " has no partition " << args.partition << "\n";
          return 1;
        }
        if (result != RdKafka::ERR_NO_ERROR) {
          std::cerr << "kafkatrace produce: " << RdKafka::err2str(result)
                    << "\n";
          return 1;
        }
        ++sent;
        (*producer)->Poll(0);
        if (total >= 10000 && std::chrono::steady_clock::now() - last_progress >
                                  std::chrono::seconds(1)) {
          last_progress = std::chrono::steady_clock::now();
          std::cerr << "produced " << sent << " of " << total << " records\n";
        }
      }
    }
  }
  (*producer)->Flush(30000);
  root.End();
  ShutdownTelemetry(*provider, *metrics);
  if (counter.failed > 0 || counter.delivered < sent) {
    std::cerr << "kafkatrace produce: " << (sent - counter.delivered) << " of "
              << sent << " records not delivered to " << args.topic << " on "
              << args.kafka.brokers
              << (counter.first_error.empty() ? "" : ": " + counter.first_error)
              << "\n";
    return 1;
  }
  std::cerr << "produced " << sent << " record" << (sent == 1 ? "" : "s")
            << " to " << args.topic << "\n";
  return 0;
}

}  // namespace kafkatrace::cli
