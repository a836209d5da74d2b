// HeaderInjector and HeaderExtractor: their direct paths (tracecontext with or
// without baggage) must write and read exactly what the propagator itself
// writes and reads through the carrier.
#include "kafka/trace_headers.h"

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

// A value of kNullValue is added as a header without a value.
constexpr std::string_view kNullValue = "<null>";

struct HeaderList {
  explicit HeaderList(const Headers& initial)
      : headers(rd_kafka_headers_new(4)) {
    for (const auto& [key, value] : initial) {
      const bool null = value == kNullValue;
      rd_kafka_header_add(headers, key.data(), static_cast<ssize_t>(key.size()),
                          null ? nullptr : value.data(),
                          null ? 0 : static_cast<ssize_t>(value.size()));
    }
  }
  ~HeaderList() { rd_kafka_headers_destroy(headers); }
  Headers Read() const {
    Headers out;
    ForEachHeader(headers, [&](std::string_view name, std::string_view value) {
      out.emplace_back(name, value);
    });
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

TEST(HeaderExtractorTest, DirectPathOnlyForTraceContextWithOptionalBaggage) {
  const std::pair<const char*, bool> cases[] = {
      {"tracecontext,baggage", true},
      {"tracecontext", true},
      {"baggage,tracecontext", false},
      {"tracecontext,b3", false},
      {"b3multi", false},
      {"none", false},
  };
  for (const auto& [names, direct] : cases) {
    auto propagator = MakePropagator(names).value();
    EXPECT_EQ(HeaderExtractor(*propagator).direct(), direct) << names;
  }
}

std::string Describe(const Headers& headers) {
  std::string out;
  for (const auto& [key, value] : headers) out += key + ": " + value + "; ";
  return out;
}

// Every ordered list of up to three header lines from a pool that has each
// W3C case in it: one or several traceparents in any letter case, malformed
// ones, OWS, tracestate over several lines (the first one empty too), an
// invalid tracestate, baggage, look-alike names (longer, a prefix, empty) and
// a header without a value.
TEST(HeaderExtractorTest, ReadsWhatThePropagatorReads) {
  const std::string valid =
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const Headers pool = {
      {"traceparent", valid},
      {"TraceParent",
       "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"},
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"},
      {"TRACEPARENT", " \t" + valid + " "},
      {"traceparent", std::string(kNullValue)},
      {"tracestate", "vendor=abc"},
      {"TraceState", "other=x,third=y"},
      {"tracestate", "not a list entry"},
      {"tracestate", ""},
      {"baggage", "user=a%20b"},
      {"Baggage", "tier=gold"},
      {"traceparent2", valid},
      {"tracepar", valid},
      {"BAGGAGEX", "user=b"},
      {"", valid},
      {"app", "1"},
  };
  std::vector<Headers> lists = {{}};
  for (size_t length = 1; length <= 3; ++length) {
    std::vector<Headers> longer;
    for (const Headers& list : lists) {
      if (list.size() != length - 1) continue;
      for (const auto& line : pool) {
        Headers next = list;
        next.push_back(line);
        longer.push_back(std::move(next));
      }
    }
    lists.insert(lists.end(), longer.begin(), longer.end());
  }
  const size_t n = pool.size();
  ASSERT_EQ(lists.size(), 1 + n + n * n + n * n * n);
  int with_context = 0, with_state = 0, with_baggage = 0;
  for (const char* names :
       {"tracecontext,baggage", "tracecontext", "tracecontext,b3"}) {
    auto propagator = MakePropagator(names).value();
    const HeaderExtractor extractor(*propagator);
    for (const Headers& headers : lists) {
      HeaderList list(headers);
      const Context expected =
          propagator->Extract(RecordHeadersCarrier(list.headers), Context{});
      const Context actual = extractor.Extract(list.headers);
      ASSERT_EQ(actual.span_context, expected.span_context)
          << names << ": " << Describe(headers);
      ASSERT_EQ(actual.baggage, expected.baggage)
          << names << ": " << Describe(headers);
      with_context += actual.span_context.IsValid();
      with_state += !actual.span_context.trace_state().empty();
      with_baggage += !actual.baggage.empty();
    }
  }
  // The pool does reach every outcome.
  EXPECT_GT(with_context, 0);
  EXPECT_GT(with_state, 0);
  EXPECT_GT(with_baggage, 0);
  const Context none = HeaderExtractor(*MakePropagator("tracecontext").value())
                           .Extract(static_cast<rd_kafka_headers_t*>(nullptr));
  EXPECT_FALSE(none.span_context.IsValid());
}

TEST(HeaderExtractorTest, AppliesTheW3CRulesOnItsOwn) {
  auto propagator = MakePropagator("tracecontext,baggage").value();
  const HeaderExtractor extractor(*propagator);
  const std::string valid =
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  {  // tracestate lines join in order (rule 7)
    HeaderList list({{"traceparent", valid},
                     {"tracestate", "a=1"},
                     {"app", "x"},
                     {"TRACESTATE", "b=2"},
                     {"baggage", "k=v"}});
    const Context context = extractor.Extract(list.headers);
    ASSERT_TRUE(context.span_context.IsValid());
    EXPECT_TRUE(context.span_context.remote());
    EXPECT_EQ(context.span_context.trace_id().ToHex(),
              "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(context.span_context.trace_state().header(), "a=1,b=2");
    ASSERT_EQ(context.baggage.entries().size(), 1u);
  }
  {  // two traceparents, even the same one in another case: restart
    HeaderList list({{"traceparent", valid}, {"TraceParent", valid}});
    EXPECT_FALSE(extractor.Extract(list.headers).span_context.IsValid());
  }
  {  // an invalid tracestate is dropped, the trace continues (rule 10)
    HeaderList list({{"traceparent", valid}, {"tracestate", "=bad"}});
    const Context context = extractor.Extract(list.headers);
    EXPECT_TRUE(context.span_context.IsValid());
    EXPECT_TRUE(context.span_context.trace_state().empty());
  }
}

}  // namespace
}  // namespace kafkatrace::kafka::detail
