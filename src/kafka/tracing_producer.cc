#include "kafkatrace/kafka/tracing_producer.h"

#include <librdkafka/rdkafka.h>

#include <cstring>
#include <optional>
#include <span>
#include <string>

#include "kafka/interned_names.h"
#include "kafka/messaging_spans.h"
#include "kafka/record_metrics.h"
#include "kafka/topic_handles.h"
#include "kafka/trace_headers.h"
#include "kafkatrace/context.h"
#include "kafkatrace/kafka/instrumentation_scope.h"
#include "kafkatrace/kafka/record_headers_carrier.h"
#include "kafkatrace/propagation/composite_propagator.h"
#include "trace/span_handoff.h"

namespace kafkatrace::kafka {
namespace {

// A record's librdkafka opaque, from Produce() to its delivery report, is one
// of: null (a span that is not recording and no application opaque), the
// span's bare SpanData (a recording span, no application opaque: no
// allocation per record), or a DeliveryState tagged with the low bit (an
// application opaque to hand back).
struct DeliveryState {
  Span span;
  void* application_opaque;
};
constexpr uintptr_t kDeliveryStateTag = 1;  // SpanData is at least 8-aligned
static_assert(alignof(SpanData) > kDeliveryStateTag);
static_assert(alignof(DeliveryState) > kDeliveryStateTag);

// `text` NUL-terminated: copied into `buffer` when it fits, else into `heap`.
const char* NulTerminated(std::string_view text, std::span<char, 256> buffer,
                          std::string& heap) {
  if (text.size() < buffer.size()) {
    std::memcpy(buffer.data(), text.data(), text.size());
    buffer[text.size()] = '\0';
    return buffer.data();
  }
  heap = std::string(text);
  return heap.c_str();
}

const TextMapPropagator& DefaultPropagator() {
  static const auto* propagator =
      MakePropagator("tracecontext,baggage").value().release();
  return *propagator;
}

}  // namespace

struct TracingProducer::Impl final : public RdKafka::DeliveryReportCb {
  Tracer* tracer = nullptr;
  std::optional<detail::HeaderInjector> injector;
  RdKafka::DeliveryReportCb* application_callback = nullptr;
  detail::BrokerTable brokers;
  detail::ClusterId cluster_id;
  rd_kafka_t* handle = nullptr;  // the producer's, for the cluster id
  std::optional<detail::TopicHandles> topics;  // made with the producer
  std::string client_id;
  // The same, interned: the send spans' deferred facts find it by address.
  std::string_view client_name;
  MessagingMetrics* metrics = nullptr;

  void dr_cb(RdKafka::Message& message) override {
    // Exceptions must not cross back into librdkafka's C frames.
    try {
      const auto opaque = reinterpret_cast<uintptr_t>(message.msg_opaque());
      if ((opaque & kDeliveryStateTag) != 0) {
        std::unique_ptr<DeliveryState> state(
            reinterpret_cast<DeliveryState*>(opaque & ~kDeliveryStateTag));
        EndSpan(state->span, message);
        message.c_ptr()->_private = state->application_opaque;
      } else if (opaque != 0) {
        Span span = kafkatrace::detail::SpanHandoff::Adopt(
            reinterpret_cast<SpanData*>(opaque), *tracer);
        EndSpan(span, message);
        message.c_ptr()->_private = nullptr;
      }
      // Measured whether or not the record was sampled.
      if (metrics != nullptr)
        detail::RecordDelivery(*metrics, message.c_ptr(), brokers);
      if (application_callback != nullptr) application_callback->dr_cb(message);
    } catch (...) {
    }
  }

  void EndSpan(Span& span, RdKafka::Message& message) {
    // Delivery reports are served on the application's thread (poll):
    // librdkafka may be asked for the cluster id here.
    if (span.IsRecording()) cluster_id.Learn(handle);
    // The owner of these tables, TracingProducer, outlives every delivery
    // report.
    detail::EndSendSpan(span, message.c_ptr(),
                        {.tracer = tracer,
                         .client_id = client_name,
                         .brokers = &brokers,
                         .cluster_id = cluster_id.value()});
  }
};

Result<std::unique_ptr<TracingProducer>> TracingProducer::Create(
    std::unique_ptr<RdKafka::Conf> conf, TracerProvider& provider,
    TracingProducerOptions options) {
  return Create(std::move(conf), InstrumentationTracer(provider),
                std::move(options));
}

Result<std::unique_ptr<TracingProducer>> TracingProducer::Create(
    std::unique_ptr<RdKafka::Conf> conf, Tracer& tracer,
    TracingProducerOptions options) {
  if (!conf)
    return Status::InvalidArgument("TracingProducer: null configuration");
  auto impl = std::make_unique<Impl>();
  impl->tracer = &tracer;
  impl->metrics = options.metrics;
  impl->injector.emplace(options.propagator != nullptr ? *options.propagator
                                                       : DefaultPropagator());
  (void)conf->get(impl->application_callback);
  std::string error;
  if (conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(impl.get()),
                error) != RdKafka::Conf::CONF_OK) {
    return Status::InvalidArgument("TracingProducer: " + error);
  }
  impl->brokers.Attach(conf->c_ptr_global());
  if (conf->get("client.id", impl->client_id) != RdKafka::Conf::CONF_OK)
    impl->client_id.clear();
  impl->client_name = detail::InternedNames::InternOrKeep(impl->client_id);
  std::unique_ptr<RdKafka::Producer> producer(
      RdKafka::Producer::create(conf.get(), error));
  if (!producer)
    return Status::InvalidArgument("cannot create Kafka producer: " + error);
  impl->handle = producer->c_ptr();
  impl->topics.emplace(impl->handle);
  std::unique_ptr<TracingProducer> result(new TracingProducer());
  result->impl_ = std::move(impl);
  result->producer_ = std::move(producer);
  return result;
}

TracingProducer::~TracingProducer() {
  if (!producer_) return;
  // Undelivered records would leak their spans: purge them so their delivery
  // reports (with a purge error) end the spans, then serve those reports.
  producer_->purge(RdKafka::Producer::PURGE_QUEUE |
                   RdKafka::Producer::PURGE_INFLIGHT);
  for (int i = 0; i < 100 && producer_->outq_len() > 0; ++i)
    producer_->poll(10);
  impl_->topics->DestroyHandles();  // before the producer they belong to
}

RdKafka::ErrorCode TracingProducer::Produce(
    const ProducerRecord& record) noexcept {
  Impl& s = *impl_;
  try {
    const detail::SendSpanInput input{
        .topic = record.topic,
        .partition = record.partition,
        .key = record.key,
        .tombstone = !record.value.has_value(),
        .body_size = record.value ? record.value->size() : 0,
        .client_id = s.client_name,
        .parent = record.parent ? &*record.parent : nullptr};
    Span started = detail::StartSendSpan(*s.tracer, input);
    // Only an application opaque needs a DeliveryState; otherwise a recording
    // span travels as its bare SpanData, and one that is not recording needs
    // nothing at delivery.
    std::unique_ptr<DeliveryState> state;
    if (record.opaque != nullptr) {
      state = std::make_unique<DeliveryState>(
          DeliveryState{std::move(started), record.opaque});
    }
    Span& span = state ? state->span : started;

    // The application's headers, minus any stale trace context, plus ours.
    // Built with the C API: the C++ Headers class has no zero-copy access, and
    // producev takes C headers.
    rd_kafka_headers_t* headers =
        rd_kafka_headers_new(record.headers.size() + 2);
    for (const auto& [key, value] : record.headers) {
      rd_kafka_header_add(headers, key.data(), static_cast<ssize_t>(key.size()),
                          value.data(), static_cast<ssize_t>(value.size()));
    }
    s.injector->Inject(headers, span.context(),
                       /*clear_existing=*/!record.headers.empty());
    // Never attach an empty list: librdkafka pays for it per record.
    if (rd_kafka_header_cnt(headers) == 0) {
      rd_kafka_headers_destroy(headers);
      headers = nullptr;
    }

    // The topic by handle (see TopicHandles); by name, NUL-terminated on the
    // stack, past the table's bound (Kafka topic names have at most 249
    // characters).
    rd_kafka_topic_t* topic_handle = s.topics->Find(record.topic);
    char topic_buffer[256];
    std::string long_topic;
    const char* topic =
        topic_handle == nullptr
            ? NulTerminated(record.topic, topic_buffer, long_topic)
            : nullptr;
    SpanData* handed_off = nullptr;  // the opaque, when it is the span itself
    // Only the fields the record sets: librdkafka parses each one it is given,
    // and defaults (any partition, no key, timestamp now) cost nothing.
    rd_kafka_vu_t fields[8];
    size_t count = 0;
    auto add = [&](rd_kafka_vtype_t type) -> rd_kafka_vu_t& {
      fields[count].vtype = type;
      return fields[count++];
    };
    if (topic_handle != nullptr) {
      add(RD_KAFKA_VTYPE_RKT).u.rkt = topic_handle;
    } else {
      add(RD_KAFKA_VTYPE_TOPIC).u.cstr = topic;
    }
    add(RD_KAFKA_VTYPE_MSGFLAGS).u.i = RD_KAFKA_MSG_F_COPY;
    if (record.value) {
      add(RD_KAFKA_VTYPE_VALUE).u.mem = {
          const_cast<char*>(record.value->data()), record.value->size()};
    }
    if (record.key) {
      add(RD_KAFKA_VTYPE_KEY).u.mem = {const_cast<char*>(record.key->data()),
                                       record.key->size()};
    }
    if (record.partition != RD_KAFKA_PARTITION_UA)
      add(RD_KAFKA_VTYPE_PARTITION).u.i32 = record.partition;
    if (record.timestamp_ms != 0)
      add(RD_KAFKA_VTYPE_TIMESTAMP).u.i64 = record.timestamp_ms;
    if (headers != nullptr) add(RD_KAFKA_VTYPE_HEADERS).u.headers = headers;
    if (state) {
      add(RD_KAFKA_VTYPE_OPAQUE).u.ptr = reinterpret_cast<void*>(
          reinterpret_cast<uintptr_t>(state.get()) | kDeliveryStateTag);
    } else if (span.IsRecording()) {
      handed_off = kafkatrace::detail::SpanHandoff::Release(span);
      add(RD_KAFKA_VTYPE_OPAQUE).u.ptr = handed_off;
    }
    rd_kafka_error_t* produce_error =
        rd_kafka_produceva(s.handle, fields, count);
    const auto error = produce_error == nullptr
                           ? RdKafka::ERR_NO_ERROR
                           : static_cast<RdKafka::ErrorCode>(
                                 rd_kafka_error_code(produce_error));
    if (produce_error != nullptr) rd_kafka_error_destroy(produce_error);
    if (error == RdKafka::ERR_NO_ERROR) {
      // librdkafka now owns the headers, and the span (or our state) until
      // the delivery report.
      (void)state.release();
      return error;
    }
    if (headers != nullptr)
      rd_kafka_headers_destroy(headers);  // still ours on failure
    if (handed_off != nullptr)
      span = kafkatrace::detail::SpanHandoff::Adopt(handed_off, *s.tracer);
    detail::EndUnsentSendSpan(span, *s.tracer, input,
                              static_cast<rd_kafka_resp_err_t>(error));
    // Never sent, so not counted in sent.messages; the operation failed at
    // once.
    if (s.metrics != nullptr) {
      s.metrics->RecordOperationDuration(
          {.operation_name = "send",
           .operation_type = "send",
           .destination = record.topic,
           .partition = record.partition,
           .error_type =
               rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(error))},
          0.0);
    }
    return error;
  } catch (...) {
    return RdKafka::ERR__FAIL;
  }
}

int TracingProducer::Poll(int timeout_ms) {
  return producer_->poll(timeout_ms);
}

RdKafka::ErrorCode TracingProducer::Flush(int timeout_ms) {
  return producer_->flush(timeout_ms);
}

}  // namespace kafkatrace::kafka
