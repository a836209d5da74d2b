// libkafkatrace_plugin.so: traces any librdkafka client through librdkafka's
// plugin and interceptor API, with no change to the application:
//
//   kcat -X plugin.library.paths=libkafkatrace_plugin.so -X
//   kafkatrace.service.name=orders ...
//
// Producers get `send <topic>` spans from on_send to on_acknowledgement, with
// the record's headers carrying the context; consumers get `process <topic>`
// spans from on_consume and `commit <topic>` spans from on_commit. The span and
// header logic is the one TracingProducer and TracingConsumer use
// (src/kafka/messaging_spans.h). See docs/plugin.md for what an interceptor can
// and cannot see.
//
// Threading: librdkafka calls on_send from the producing thread,
// on_acknowledgement from its own threads or the polling thread,
// on_consume/on_commit from the polling thread. All state shared between them
// is behind one mutex per client. Nothing here throws into librdkafka.
#include <dlfcn.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "kafka/interned_names.h"
#include "kafka/messaging_spans.h"
#include "kafka/record_metrics.h"
#include "kafka/semconv.h"
#include "kafka/trace_headers.h"
#include "kafkatrace/batch_span_processor.h"
#include "kafkatrace/console_span_exporter.h"
#include "kafkatrace/kafka/instrumentation_scope.h"
#include "kafkatrace/metrics/periodic_metric_reader.h"
#include "kafkatrace/otlp/otlp_http_exporter.h"
#include "kafkatrace/otlp/otlp_metric_exporter.h"
#include "kafkatrace/propagation/composite_propagator.h"
#include "kafkatrace/tracer_provider.h"
#include "plugin/in_flight_spans.h"
#include "trace/env.h"

namespace kafkatrace::plugin {
namespace {

constexpr const char* kName = "kafkatrace";

class Client;

// The plugin's own properties, as set through librdkafka's configuration; one
// per configuration object, so one per client instance.
struct Settings {
  std::string service_name;  // kafkatrace.service.name
  std::string exporter;      // kafkatrace.exporter: otlp, console, none
  std::string
      otlp_endpoint;  // kafkatrace.otlp.endpoint: full URL of /v1/traces
  std::string otlp_protocol;  // kafkatrace.otlp.protocol: http/protobuf,
                              // http/json, grpc
  std::string sampler;        // kafkatrace.sampler
  std::string sampler_arg;    // kafkatrace.sampler.arg
  kafka::ProducerContextPolicy policy = kafka::ProducerContextPolicy::kParent;
  int flush_timeout_ms = 2000;  // kafkatrace.flush.timeout.ms
  std::string metrics;          // kafkatrace.metrics: otlp, none
  // The client instance created from this configuration (on_new). Deleted
  // with the configuration, which librdkafka destroys only after its own
  // threads are gone: they call the client's interceptors until then, even
  // after on_destroy.
  Client* client = nullptr;
};

constexpr const char* kKnownProperties =
    "kafkatrace.service.name, kafkatrace.exporter, kafkatrace.otlp.endpoint, "
    "kafkatrace.otlp.protocol, kafkatrace.sampler, kafkatrace.sampler.arg, "
    "kafkatrace.context.policy, kafkatrace.flush.timeout.ms, "
    "kafkatrace.metrics";

// Applies one property; returns an error message or "".
std::string Apply(Settings& s, std::string_view name, std::string_view value) {
  std::string v(value);
  if (name == "kafkatrace.service.name") {
    s.service_name = v;
  } else if (name == "kafkatrace.exporter") {
    if (v != "otlp" && v != "console" && v != "none")
      return "expected otlp, console or none";
    s.exporter = v;
  } else if (name == "kafkatrace.otlp.endpoint") {
    OtlpHttpExporterOptions probe;
    probe.endpoint = v;
    if (Status status = probe.Validate(); !status.ok()) return status.message();
    s.otlp_endpoint = v;
  } else if (name == "kafkatrace.otlp.protocol") {
    if (!OtlpHttpExporterOptions::ProtocolNamed(v))
      return "expected http/protobuf, http/json or grpc";
    s.otlp_protocol = v;
  } else if (name == "kafkatrace.sampler") {
    auto sampler = MakeSampler(v, "1");
    if (!sampler.ok()) return sampler.status().message();
    s.sampler = v;
  } else if (name == "kafkatrace.sampler.arg") {
    auto sampler = MakeSampler("traceidratio", v);
    if (!sampler.ok()) return sampler.status().message();
    s.sampler_arg = v;
  } else if (name == "kafkatrace.context.policy") {
    if (v == "parent") {
      s.policy = kafka::ProducerContextPolicy::kParent;
    } else if (v == "link") {
      s.policy = kafka::ProducerContextPolicy::kLink;
    } else if (v == "new-trace") {
      s.policy = kafka::ProducerContextPolicy::kNewTraceWithLink;
    } else {
      return "expected parent, link or new-trace";
    }
  } else if (name == "kafkatrace.flush.timeout.ms") {
    char* end = nullptr;
    long ms = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || ms < 0 || ms > 600000)
      return "expected 0 to 600000";
    s.flush_timeout_ms = static_cast<int>(ms);
  } else if (name == "kafkatrace.metrics") {
    if (v != "otlp" && v != "none") return "expected otlp or none";
    s.metrics = v;
  } else {
    return "unknown property (known: " + std::string(kKnownProperties) + ")";
  }
  return "";
}

// The OTLP exporter options for `signal`: the OTEL_* variables with
// kafkatrace.otlp.protocol and kafkatrace.otlp.endpoint (a traces URL, from
// which the metrics one follows) over them. Spans and metrics share this, so
// both go where the properties say, by the same rules.
Result<OtlpHttpExporterOptions> OtlpOptionsFor(const Settings& s,
                                               OtlpSignal signal) {
  std::optional<OtlpHttpExporterOptions::Protocol> protocol;
  if (!s.otlp_protocol.empty()) {  // checked when the property was set
    protocol = *OtlpHttpExporterOptions::ProtocolNamed(s.otlp_protocol);
  }
  auto options = OtlpHttpExporterOptions::FromEnv(signal, protocol);
  if (!options.ok() || s.otlp_endpoint.empty()) return options;
  if (signal == OtlpSignal::kTraces) {
    options->endpoint = s.otlp_endpoint;
  } else if (auto endpoint = OtlpHttpExporterOptions::MetricsEndpointFor(
                 s.otlp_endpoint,
                 options->protocol ==
                     OtlpHttpExporterOptions::Protocol::kGrpc)) {
    options->endpoint = std::move(*endpoint);
  }  // else a URL not ending in /v1/traces: the OTEL_* variables decide
  return options;
}

// The messaging metrics, process-wide as an OpenTelemetry SDK's meter
// provider is: two clients writing to one topic add to one series instead of
// exporting two conflicting cumulative streams. The first client that enables
// metrics creates it with its settings; the last one to be deleted exports a
// final time and removes it.
struct MetricsPipeline {
  MessagingMetrics metrics;
  std::unique_ptr<PeriodicMetricReader> reader;
  int users = 0;
};
std::mutex g_metrics_mutex;
MetricsPipeline* g_metrics = nullptr;  // guarded by g_metrics_mutex

// The shared metrics, made on first use; null when this client's settings
// (kafkatrace.metrics, else OTEL_METRICS_EXPORTER) leave metrics off.
Result<MessagingMetrics*> AcquireMetrics(const Settings& s,
                                         const Resource& resource) {
  const std::string wanted =
      !s.metrics.empty()
          ? s.metrics
          : env::Lowercase(env::Get("OTEL_METRICS_EXPORTER").value_or("none"));
  if (wanted == "none") return static_cast<MessagingMetrics*>(nullptr);
  if (wanted != "otlp") {
    return Status::InvalidArgument("OTEL_METRICS_EXPORTER=\"" + wanted +
                                   "\": expected otlp or none");
  }
  std::lock_guard lock(g_metrics_mutex);
  if (g_metrics != nullptr) {
    ++g_metrics->users;
    return &g_metrics->metrics;
  }
  auto otlp_options = OtlpOptionsFor(s, OtlpSignal::kMetrics);
  if (!otlp_options.ok()) return otlp_options.status();
  auto exporter = OtlpMetricExporter::Create(std::move(otlp_options.value()));
  if (!exporter.ok()) return exporter.status();
  auto reader_options = PeriodicMetricReaderOptions::FromEnv();
  if (!reader_options.ok()) return reader_options.status();
  // The last export must not hold up the client's exit longer than its spans'.
  reader_options->timeout = std::min(
      reader_options->timeout, std::chrono::milliseconds(s.flush_timeout_ms));
  auto* pipeline = new MetricsPipeline();
  pipeline->reader = std::make_unique<PeriodicMetricReader>(
      pipeline->metrics, resource, std::move(exporter.value()),
      *reader_options);
  pipeline->users = 1;
  g_metrics = pipeline;
  return &pipeline->metrics;
}

void ReleaseMetrics() {
  MetricsPipeline* last = nullptr;
  {
    std::lock_guard lock(g_metrics_mutex);
    if (g_metrics == nullptr || --g_metrics->users > 0) return;
    last = std::exchange(g_metrics, nullptr);
  }
  last->reader->Shutdown();  // the final export
  delete last;
}

// At exit, clients may never be deleted: export what was measured.
void FlushMetricsAtExit() {
  std::lock_guard lock(g_metrics_mutex);
  if (g_metrics != nullptr) (void)g_metrics->reader->ForceFlush();
}

// Per client instance: its tracing pipeline and the spans in flight.
class Client {
 public:
  // `metrics`: the shared metrics this client holds a use of, or null.
  Client(const Settings& settings, rd_kafka_t* rk, const rd_kafka_conf_t* conf,
         std::unique_ptr<TracerProvider> provider, MessagingMetrics* metrics)
      : settings_(settings),
        provider_(std::move(provider)),
        metrics_(metrics),
        propagator_(MakePropagator("tracecontext,baggage").value()),
        injector_(*propagator_),
        extractor_(*propagator_) {
    tracer_ = &provider_->GetTracer("kafkatrace.plugin", KAFKATRACE_VERSION,
                                    kafka::kSemconvSchemaUrl);
    char buf[512];
    size_t size = sizeof(buf);
    if (rd_kafka_conf_get(conf, "group.id", buf, &size) == RD_KAFKA_CONF_OK)
      group_storage_ = buf;
    size = sizeof(buf);
    if (rd_kafka_conf_get(conf, "client.id", buf, &size) == RD_KAFKA_CONF_OK)
      client_id_storage_ = buf;
    group_ = kafka::detail::InternedNames::InternOrKeep(group_storage_);
    client_id_ = kafka::detail::InternedNames::InternOrKeep(client_id_storage_);
    (void)rk;
  }
  // Only once librdkafka's threads are gone (see Settings): they may still
  // call the interceptors, and so record, until then.
  ~Client() {
    if (metrics_ != nullptr) ReleaseMetrics();
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // On the application's thread, in produce().
  void OnSend(rd_kafka_t* rk, rd_kafka_message_t* message) {
    rd_kafka_headers_t* headers = nullptr;
    const bool had_headers = rd_kafka_message_headers(message, &headers) ==
                             RD_KAFKA_RESP_ERR_NO_ERROR;
    // A context the application (or its own OpenTelemetry SDK) already put in
    // the record is this span's parent; otherwise the thread's current span, if
    // any.
    Context incoming;
    if (had_headers) incoming = extractor_.Extract(headers);
    const SpanContext* parent =
        incoming.span_context.IsValid() ? &incoming.span_context : nullptr;
    Span span = kafka::detail::StartSendSpan(
        *tracer_,
        {.topic = rd_kafka_topic_name(message->rkt),
         .partition = message->partition,
         .key = message->key ? std::optional<std::string_view>(std::string_view(
                                   static_cast<const char*>(message->key),
                                   message->key_len))
                             : std::nullopt,
         .tombstone = message->payload == nullptr,
         .body_size = message->len,
         .client_id = client_id_,
         .parent = parent});
    if (!had_headers) {
      // The record has no header list yet: attach one (see docs/plugin.md for
      // why this reaches the wire on librdkafka 2.0.2).
      headers = rd_kafka_headers_new(2);
      rd_kafka_message_set_headers(message, headers);
    }
    injector_.Inject(headers, span.context(), had_headers);
    if (!span.IsRecording()) return;  // nothing to end at the acknowledgement
    // Asked here, not at the acknowledgement (librdkafka's broker threads).
    cluster_id_.Learn(rk);
    Span stale = in_flight_.Add(message, span, *tracer_);
    if (stale.IsRecording()) {  // ended here, as it is destroyed
      stale.SetAttribute(kafka::semconv::kErrorType, "_OTHER");
      stale.SetStatus(SpanStatusCode::kError,
                      "librdkafka freed the record without acknowledging it");
    }
  }

  void OnAcknowledgement(rd_kafka_message_t* message) {
    // Measured whether or not the record was sampled.
    if (metrics_ != nullptr)
      kafka::detail::RecordDelivery(*metrics_, message, brokers_);
    Span span = in_flight_.Take(message, *tracer_);
    if (!span.IsRecording()) return;
    kafka::detail::EndSendSpan(span, message,
                               {.tracer = tracer_,
                                .client_id = client_id_,
                                .brokers = &brokers_,
                                .cluster_id = cluster_id_.value()});
  }

  // On the application's thread, in poll().
  void OnConsume(rd_kafka_t* rk, rd_kafka_message_t* message) {
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR || message->rkt == nullptr)
      return;
    if (metrics_ != nullptr) {
      metrics_->RecordConsumedMessages(
          kafka::detail::RecordMetricAttributes(message, brokers_, "poll",
                                                "receive", group_),
          1);
    }
    cluster_id_.Learn(rk);
    Context producer = extractor_.Extract(message);
    Span span = kafka::detail::StartProcessSpan(
        *tracer_,
        {.topic = rd_kafka_topic_name(message->rkt),
         .partition = message->partition,
         .producer_context = &producer,
         .policy = settings_.policy},
        [&] {
          kafka::detail::ConsumedRecordFacts facts =
              kafka::detail::MessageFactsOf(message, brokers_);
          facts.group = group_;
          facts.client_id = client_id_;
          facts.cluster_id = cluster_id_.value();
          return facts;
        });
    // An interceptor sees the hand-over to the application, not the end of its
    // processing: the span marks the moment the record was delivered
    // (docs/plugin.md).
    span.End();
  }

  void OnCommit(const rd_kafka_topic_partition_list_t* offsets,
                rd_kafka_resp_err_t error) {
    auto committed = kafka::detail::ToCommittedOffsets(offsets);
    if (committed.empty()) return;
    auto spans = kafka::detail::StartCommitSpans(
        *tracer_, committed, group_, client_id_, cluster_id_.value(), 0);
    kafka::detail::EndCommitSpans(spans, committed, error,
                                  brokers_.Coordinator());
  }

  void OnResponse(const char* broker_name, int32_t broker, int16_t api_key,
                  int64_t rtt) {
    brokers_.OnResponse(broker_name, broker, api_key, rtt);
  }

  // Ends what is still open and exports it, bounded by the flush timeout.
  void Flush() {
    for (Span& span : in_flight_.TakeAll(*tracer_)) {
      span.SetStatus(SpanStatusCode::kError,
                     "client destroyed before the acknowledgement");
      span.End();
    }
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(settings_.flush_timeout_ms);
    (void)provider_->Shutdown(deadline);
  }

 private:
  Settings settings_;
  std::unique_ptr<TracerProvider> provider_;
  MessagingMetrics* const metrics_;  // shared (see AcquireMetrics); or null
  Tracer* tracer_ = nullptr;
  std::unique_ptr<TextMapPropagator> propagator_;
  kafka::detail::HeaderInjector injector_;    // over propagator_
  kafka::detail::HeaderExtractor extractor_;  // over propagator_
  std::string group_storage_, client_id_storage_;
  // Views of the interned copies (or of the storage above): spans' deferred
  // facts find them by address.
  std::string_view group_, client_id_;
  kafka::detail::BrokerTable brokers_;
  kafka::detail::ClusterId cluster_id_;
  InFlightSpans in_flight_;
};

// Live clients, so that a process exiting without destroying them still flushes
// (bounded).
std::mutex g_clients_mutex;
std::set<Client*>* g_clients =
    new std::set<Client*>();  // never destroyed: used at exit

void FlushAllAtExit() {
  std::set<Client*> clients;
  {
    std::lock_guard lock(g_clients_mutex);
    clients.swap(*g_clients);
  }
  for (Client* client : clients) client->Flush();
  FlushMetricsAtExit();
}

Result<std::unique_ptr<TracerProvider>> MakeProvider(const Settings& s) {
  auto options = TracerProviderOptions::FromEnv();
  if (!options.ok()) return options.status();
  if (!s.service_name.empty()) {
    options->resource = options->resource.Merge(
        Resource(Attributes{{"service.name", s.service_name}}));
  }
  if (!s.sampler.empty() || !s.sampler_arg.empty()) {
    auto sampler =
        MakeSampler(s.sampler.empty() ? "parentbased_traceidratio" : s.sampler,
                    s.sampler_arg);
    if (!sampler.ok()) return sampler.status();
    options->sampler = std::move(sampler.value());
  }
  if (!s.exporter.empty() || !s.otlp_endpoint.empty() ||
      !s.otlp_protocol.empty()) {
    options->processors.clear();
    const std::string exporter = s.exporter.empty() ? "otlp" : s.exporter;
    std::unique_ptr<SpanExporter> span_exporter;
    if (exporter == "console") {
      span_exporter = std::make_unique<ConsoleSpanExporter>(
          &std::cerr);  // stdout is the app's
    } else if (exporter == "otlp") {
      auto otlp_options = OtlpOptionsFor(s, OtlpSignal::kTraces);
      if (!otlp_options.ok()) return otlp_options.status();
      auto otlp = OtlpHttpExporter::Create(std::move(otlp_options.value()));
      if (!otlp.ok()) return otlp.status();
      span_exporter = std::move(otlp.value());
    }
    if (span_exporter) {
      auto bsp = BatchSpanProcessorOptions::FromEnv();
      if (!bsp.ok()) return bsp.status();
      options->processors.push_back(
          std::make_unique<BatchSpanProcessor>(std::move(span_exporter), *bsp));
    }
  }
  return std::make_unique<TracerProvider>(std::move(options.value()));
}

// ---- interceptor trampolines: C frames, so nothing may escape ----

rd_kafka_resp_err_t OnSend(rd_kafka_t* rk, rd_kafka_message_t* message,
                           void* opaque) {
  try {
    static_cast<Client*>(opaque)->OnSend(rk, message);
  } catch (...) {
  }
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t OnAcknowledgement(rd_kafka_t*, rd_kafka_message_t* message,
                                      void* opaque) {
  try {
    static_cast<Client*>(opaque)->OnAcknowledgement(message);
  } catch (...) {
  }
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t OnConsume(rd_kafka_t* rk, rd_kafka_message_t* message,
                              void* opaque) {
  try {
    static_cast<Client*>(opaque)->OnConsume(rk, message);
  } catch (...) {
  }
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t OnCommit(rd_kafka_t*,
                             const rd_kafka_topic_partition_list_t* offsets,
                             rd_kafka_resp_err_t error, void* opaque) {
  try {
    static_cast<Client*>(opaque)->OnCommit(offsets, error);
  } catch (...) {
  }
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t OnResponseReceived(rd_kafka_t*, int,
                                       const char* broker_name, int32_t broker,
                                       int16_t api_key, int16_t, int32_t,
                                       size_t, int64_t rtt, rd_kafka_resp_err_t,
                                       void* opaque) {
  static_cast<Client*>(opaque)->OnResponse(broker_name, broker, api_key, rtt);
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t OnDestroy(rd_kafka_t*, void* opaque) {
  auto* client = static_cast<Client*>(opaque);
  bool registered;
  {
    std::lock_guard lock(g_clients_mutex);
    registered = g_clients->erase(client) > 0;
  }
  try {
    if (registered) client->Flush();  // else the exit handler already did
  } catch (...) {
  }
  // Not deleted here: librdkafka's broker threads still run (see Settings).
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t OnNew(rd_kafka_t* rk, const rd_kafka_conf_t* conf,
                          void* opaque, char* errstr, size_t errstr_size) {
  try {
    auto provider = MakeProvider(*static_cast<const Settings*>(opaque));
    if (!provider.ok()) {
      std::snprintf(errstr, errstr_size, "kafkatrace: %s",
                    provider.status().message().c_str());
      return RD_KAFKA_RESP_ERR__INVALID_ARG;
    }
    Settings& settings = *static_cast<Settings*>(opaque);
    auto metrics = AcquireMetrics(settings, (*provider)->resource());
    if (!metrics.ok()) {
      std::snprintf(errstr, errstr_size, "kafkatrace: %s",
                    metrics.status().message().c_str());
      return RD_KAFKA_RESP_ERR__INVALID_ARG;
    }
    auto* client = new Client(settings, rk, conf, std::move(provider.value()),
                              metrics.value());
    settings.client = client;  // one client per configuration
    {
      std::lock_guard lock(g_clients_mutex);
      static const bool registered = [] {
        return std::atexit(FlushAllAtExit) == 0;
      }();
      (void)registered;
      g_clients->insert(client);
    }
    rd_kafka_interceptor_add_on_send(rk, kName, OnSend, client);
    rd_kafka_interceptor_add_on_acknowledgement(rk, kName, OnAcknowledgement,
                                                client);
    rd_kafka_interceptor_add_on_consume(rk, kName, OnConsume, client);
    rd_kafka_interceptor_add_on_commit(rk, kName, OnCommit, client);
    rd_kafka_interceptor_add_on_response_received(rk, kName, OnResponseReceived,
                                                  client);
    rd_kafka_interceptor_add_on_destroy(rk, kName, OnDestroy, client);
    return RD_KAFKA_RESP_ERR_NO_ERROR;
  } catch (...) {
    std::snprintf(errstr, errstr_size, "kafkatrace: could not set up tracing");
    return RD_KAFKA_RESP_ERR__FAIL;
  }
}

rd_kafka_conf_res_t OnConfSet(rd_kafka_conf_t*, const char* name,
                              const char* value, char* errstr,
                              size_t errstr_size, void* opaque) {
  if (std::strncmp(name, "kafkatrace.", 11) != 0) return RD_KAFKA_CONF_UNKNOWN;
  try {
    std::string problem =
        Apply(*static_cast<Settings*>(opaque), name, value ? value : "");
    if (problem.empty()) return RD_KAFKA_CONF_OK;
    std::snprintf(errstr, errstr_size, "%s=\"%s\": %s", name,
                  value ? value : "", problem.c_str());
  } catch (...) {
    std::snprintf(errstr, errstr_size, "%s: invalid value", name);
  }
  return RD_KAFKA_CONF_INVALID;
}

rd_kafka_resp_err_t OnConfDestroy(void* opaque) {
  auto* settings = static_cast<Settings*>(opaque);
  if (settings->client != nullptr) {
    std::lock_guard lock(g_clients_mutex);
    g_clients->erase(settings->client);  // already, unless on_destroy never ran
  }
  delete settings->client;
  delete settings;
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

void Register(rd_kafka_conf_t* conf, Settings* settings);

rd_kafka_resp_err_t OnConfDup(rd_kafka_conf_t* new_conf, const rd_kafka_conf_t*,
                              size_t, const char**, void* opaque) {
  auto* copy = new Settings(*static_cast<Settings*>(opaque));
  copy->client = nullptr;  // a copy is a new client's configuration
  Register(new_conf, copy);
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

void Register(rd_kafka_conf_t* conf, Settings* settings) {
  rd_kafka_conf_interceptor_add_on_conf_set(conf, kName, OnConfSet, settings);
  rd_kafka_conf_interceptor_add_on_conf_dup(conf, kName, OnConfDup, settings);
  rd_kafka_conf_interceptor_add_on_conf_destroy(conf, kName, OnConfDestroy,
                                                settings);
  rd_kafka_conf_interceptor_add_on_new(conf, kName, OnNew, settings);
}

// The plugin calls librdkafka's functions on the client's objects, so the
// librdkafka the plugin's symbols resolve to must be the client's own. A client
// with a private copy (a pip wheel's bundled, renamed librdkafka; a Go binary
// with it linked in statically) would have its objects read by another build's
// code: memory corruption. Checked by comparing the object that called
// conf_init (`caller`, inside the client's librdkafka) with the one our
// rd_kafka_version resolves to. "" when they are one, or when dladdr cannot
// tell; else why the plugin refuses to load.
std::string ForeignLibrdkafkaProblem(const void* caller) {
  Dl_info ours{}, theirs{};
  if (dladdr(reinterpret_cast<const void*>(&rd_kafka_version), &ours) == 0 ||
      dladdr(caller, &theirs) == 0 || ours.dli_fbase == theirs.dli_fbase) {
    return "";
  }
  const auto name = [](const Dl_info& info) {
    return std::string(info.dli_fname != nullptr && *info.dli_fname != '\0'
                           ? info.dli_fname
                           : "the executable");
  };
  return "kafkatrace plugin: this client runs its own copy of librdkafka (in " +
         name(theirs) + "), not " + name(ours) +
         ", which the plugin is linked against; use a client built with the "
         "shared system librdkafka (e.g. Debian's python3-confluent-kafka, "
         "confluent-kafka-go with -tags dynamic)";
}

}  // namespace
}  // namespace kafkatrace::plugin

// librdkafka's plugin entry point, looked up by name in each library listed in
// plugin.library.paths. noinline: the return address must be librdkafka's.
extern "C" __attribute__((visibility("default"), noinline)) rd_kafka_resp_err_t
conf_init(rd_kafka_conf_t* conf, void** plugin_opaque, char* errstr,
          size_t errstr_size) {
  *plugin_opaque = nullptr;
  if (const std::string problem = kafkatrace::plugin::ForeignLibrdkafkaProblem(
          __builtin_extract_return_addr(__builtin_return_address(0)));
      !problem.empty()) {
    std::snprintf(errstr, errstr_size, "%s", problem.c_str());
    return RD_KAFKA_RESP_ERR__INVALID_ARG;
  }
  kafkatrace::plugin::Register(conf, new kafkatrace::plugin::Settings());
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}
