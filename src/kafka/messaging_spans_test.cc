// HeaderInjector: its direct path (tracecontext with or without baggage) must
// write exactly what the propagator itself writes through the carrier.
#include "kafka/messaging_spans.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <string>
#include <utility>
#include <vector>

#include "kafkatrace/context.h"
#include "kafkatrace/kafka/record_headers_carrier.h"
#include "kafkatrace/propagation/composite_propagator.h"

namespace kafkatrace::kafka::detail {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HeaderList {
  explicit HeaderList(const Headers& initial)
      : headers(rd_kafka_headers_new(4)) {
    for (const auto& [key, value] : initial) {
      rd_kafka_header_add(headers, key.data(), static_cast<ssize_t>(key.size()),
                          value.data(), static_cast<ssize_t>(value.size()));
    }
  }
  ~HeaderList() { rd_kafka_headers_destroy(headers); }
  Headers Read() const {
    Headers out;
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
         RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      out.emplace_back(name,
                       std::string(static_cast<const char*>(value), size));
    }
    return out;
  }
  rd_kafka_headers_t* headers;
};

SpanContext MakeContext(std::string_view trace_state, uint8_t flags) {
  return SpanContext(
      *TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736"),
      *SpanId::FromHex("00f067aa0ba902b7"), flags, /*remote=*/false,
      trace_state.empty() ? TraceState() : *TraceState::Parse(trace_state));
}

// What the propagator writes on its own, replacing stale fields.
Headers ThroughPropagator(const TextMapPropagator& propagator,
                          const Headers& initial, const SpanContext& context) {
  HeaderList list(initial);
  RecordHeadersCarrier carrier(list.headers);
  for (const auto& field : propagator.Fields()) carrier.Remove(field);
  propagator.Inject(Context{context, Context::Current().baggage}, carrier);
  return list.Read();
}

Headers ThroughInjector(const HeaderInjector& injector, const Headers& initial,
                        const SpanContext& context) {
  HeaderList list(initial);
  injector.Inject(list.headers, context, /*clear_existing=*/!initial.empty());
  return list.Read();
}

TEST(HeaderInjectorTest, DirectPathOnlyForTraceContextWithOptionalBaggage) {
  const std::pair<const char*, bool> cases[] = {
      {"tracecontext,baggage", true},
      {"tracecontext", true},
      {"baggage,tracecontext", false},  // baggage first: header order differs
      {"tracecontext,b3", false},
      {"b3multi", false},
      {"baggage", false},
      {"none", false},
  };
  for (const auto& [names, direct] : cases) {
    auto propagator = MakePropagator(names).value();
    EXPECT_EQ(HeaderInjector(*propagator).direct(), direct) << names;
  }
}

TEST(HeaderInjectorTest, WritesWhatThePropagatorWrites) {
  const Headers stale = {{"app", "1"},
                         {"TraceParent", "00-stale"},
                         {"tracestate", "old=1"},
                         {"BAGGAGE", "old=1"},
                         {"app2", "2"}};
  const SpanContext contexts[] = {
      MakeContext("", 0x01), MakeContext("", 0x00), MakeContext("", 0x03),
      MakeContext("vendor=abc,other=x", 0x01), SpanContext()};
  for (const char* names : {"tracecontext,baggage", "tracecontext",
                            "baggage,tracecontext", "tracecontext,b3"}) {
    auto propagator = MakePropagator(names).value();
    const HeaderInjector injector(*propagator);
    for (bool with_baggage : {false, true}) {
      Context current;
      if (with_baggage)
        current.baggage = Baggage().With("user", "a b").With("tier", "gold");
      ContextScope scope(current);
      for (const auto& context : contexts) {
        for (const Headers& initial : {Headers{}, stale}) {
          const Headers expected =
              ThroughPropagator(*propagator, initial, context);
          EXPECT_EQ(ThroughInjector(injector, initial, context), expected)
              << names << " baggage=" << with_baggage;
        }
      }
    }
  }
}

TEST(HeaderInjectorTest, DefaultPropagatorReplacesStaleHeadersInOrder) {
  auto propagator = MakePropagator("tracecontext,baggage").value();
  const HeaderInjector injector(*propagator);
  Context current;
  current.baggage = Baggage().With("user", "a b");
  ContextScope scope(current);
  const Headers expected = {
      {"app", "1"},
      {"traceparent",
       "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      {"tracestate", "vendor=abc"},
      {"baggage", "user=a%20b"}};
  EXPECT_EQ(
      ThroughInjector(
          injector,
          {{"app", "1"}, {"TraceParent", "00-stale"}, {"tracestate", "old=1"}},
          MakeContext("vendor=abc", 0x01)),
      expected);
}

}  // namespace
}  // namespace kafkatrace::kafka::detail
