// Trace context in Kafka record headers: HeaderInjector writes a span's
// context (and the current baggage) into a record about to be produced, and
// HeaderExtractor reads the producer's context back from a consumed one. For
// the default propagators (tracecontext, with or without baggage) both work on
// librdkafka's header list directly, per record, with the W3C rules applied
// exactly as the propagators apply them; any other propagator runs through
// RecordHeadersCarrier. Shared by TracingProducer/TracingConsumer and the
// interceptor plugin.
#pragma once

#include <librdkafka/rdkafka.h>

#include "kafkatrace/context.h"
#include "kafkatrace/propagation/text_map_propagator.h"
#include "kafkatrace/span_context.h"

namespace kafkatrace::kafka::detail {

// Whether a propagator is the default shape, tracecontext first with at most
// baggage besides, that HeaderInjector and HeaderExtractor handle directly.
struct DirectPropagation {
  bool direct = false;
  const TextMapPropagator* baggage = nullptr;  // the baggage member, if any
};
DirectPropagation DirectPropagationOf(const TextMapPropagator& propagator);

// Writes a record's trace context (and the current baggage) into its
// headers. Built once per producer from its propagator: for tracecontext (with
// or without baggage, the default) the traceparent is formatted and added
// directly, with no carrier, Context copy or virtual call per record (that was
// most of the unsampled record's overhead); any other propagator runs through
// RecordHeadersCarrier. Both ways write the same headers in the same order.
// Thread-safety: immutable; Inject may run concurrently.
class HeaderInjector {
 public:
  // `propagator` is borrowed and must outlive the injector.
  explicit HeaderInjector(const TextMapPropagator& propagator);

  // With `clear_existing`, stale trace headers in any letter case are removed
  // first; otherwise the list must not have any.
  void Inject(rd_kafka_headers_t* headers, const SpanContext& context,
              bool clear_existing) const;
  bool direct() const { return shape_.direct; }

 private:
  const TextMapPropagator* propagator_;
  DirectPropagation shape_;
};

// Reads the producer's context from a record's headers, in place. Built once
// per consumer from its propagator: for tracecontext (with or without baggage,
// the default) the header list is walked once, picking out traceparent,
// tracestate and baggage in any letter case, and the W3C rules are applied to
// what it holds (TraceContextFromFields), with no carrier, Context copies or
// virtual calls per record; the baggage propagator runs only for a record
// that has a baggage header. Any other propagator runs through
// RecordHeadersCarrier. Both ways give the same Context.
// Thread-safety: immutable; Extract may run concurrently.
class HeaderExtractor {
 public:
  // `propagator` is borrowed and must outlive the extractor.
  explicit HeaderExtractor(const TextMapPropagator& propagator);

  // A record without headers gives an empty Context.
  Context Extract(const rd_kafka_message_t* message) const;
  // `headers` may be null.
  Context Extract(rd_kafka_headers_t* headers) const;
  bool direct() const { return shape_.direct; }

 private:
  // Through RecordHeadersCarrier: the whole propagator for another shape, the
  // baggage member over `base` for the default one.
  Context ExtractThroughCarrier(rd_kafka_headers_t* headers,
                                Context base) const;

  const TextMapPropagator* propagator_;
  DirectPropagation shape_;
};

}  // namespace kafkatrace::kafka::detail
