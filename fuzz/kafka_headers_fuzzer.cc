// Fuzzes the consumer's direct header walk (HeaderExtractor: names matched in
// any letter case without strlen, the W3C rules applied in place) against the
// propagators run through RecordHeadersCarrier, on librdkafka header lists
// built from the input; then re-produces the record (HeaderInjector with
// clear_existing) and checks exactly one traceparent is left, which extracts
// to the injected context. Any difference aborts.
//
// Input: header lines separated by '\n'; in each, the first byte picks a name
// (one of the trace names in some letter case, a look-alike, or the bytes up
// to the first '\t' as the name), the rest is the value; "\x01" alone is a
// header without a value.
#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "kafka/trace_headers.h"
#include "kafkatrace/kafka/record_headers_carrier.h"
#include "kafkatrace/propagation/composite_propagator.h"

namespace {

using namespace kafkatrace;         // NOLINT(google-build-using-namespace)
using namespace kafkatrace::kafka;  // NOLINT(google-build-using-namespace)

void Check(bool condition) {
  if (!condition) std::abort();
}

constexpr std::string_view kNames[] = {
    "traceparent", "TraceParent", "TRACEPARENT", "tracestate",   "TraceState",
    "baggage",     "Baggage",     "traceparen",  "traceparentx", "",
    "tracestatE",  "bAGGAGE",     "x",
};
constexpr size_t kNameCount = sizeof(kNames) / sizeof(kNames[0]);

struct Propagation {
  std::unique_ptr<TextMapPropagator> propagator;
  kafka::detail::HeaderExtractor extractor;
  kafka::detail::HeaderInjector injector;
  explicit Propagation(const char* names)
      : propagator(MakePropagator(names).value()),
        extractor(*propagator),
        injector(*propagator) {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Propagation* const kWays[] = {new Propagation("tracecontext,baggage"),
                                       new Propagation("tracecontext")};
  std::string_view input(reinterpret_cast<const char*>(data), size);
  rd_kafka_headers_t* headers = rd_kafka_headers_new(8);
  while (!input.empty()) {
    const size_t end = input.find('\n');
    std::string_view line = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view()
                                          : input.substr(end + 1);
    if (line.empty()) continue;
    std::string_view name, value = line.substr(1);
    const auto pick = static_cast<uint8_t>(line[0]);
    if (pick < kNameCount * 16) {
      name = kNames[pick % kNameCount];
    } else {
      const size_t tab = line.find('\t');
      name = line.substr(1, tab == std::string_view::npos ? 0 : tab - 1);
      value =
          tab == std::string_view::npos ? line.substr(1) : line.substr(tab + 1);
    }
    const bool null_value = value == "\x01";
    rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()),
                        null_value ? nullptr : value.data(),
                        null_value ? 0 : static_cast<ssize_t>(value.size()));
  }

  for (Propagation* way : kWays) {
    const Context expected =
        way->propagator->Extract(RecordHeadersCarrier(headers), Context{});
    const Context actual = way->extractor.Extract(headers);
    Check(actual.span_context == expected.span_context);
    Check(actual.baggage == expected.baggage);
  }

  // Re-producing the record: one traceparent, carrying the new context.
  const SpanContext sent(*TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736"),
                         *SpanId::FromHex("00f067aa0ba902b7"), 0x01, false);
  kWays[0]->injector.Inject(headers, sent, /*clear_existing=*/true);
  int traceparents = 0;
  ForEachHeader(headers, [&](std::string_view name, std::string_view) {
    if (name.size() == 11) {
      std::string lower(name);
      for (char& c : lower) c = static_cast<char>(std::tolower(c));
      traceparents += lower == "traceparent";
    }
  });
  Check(traceparents == 1);
  const Context reread = kWays[0]->extractor.Extract(headers);
  Check(reread.span_context.trace_id() == sent.trace_id());
  Check(reread.span_context.span_id() == sent.span_id());
  rd_kafka_headers_destroy(headers);
  return 0;
}
