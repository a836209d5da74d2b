// Fuzzes every parser that reads attacker-controlled header values:
// traceparent, tracestate, baggage and B3, through the propagators as a
// consumer would run them. Checks invariants, not just crashes: whatever is
// accepted must re-serialize to something that parses back the same way.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kafkatrace/propagation/b3_propagator.h"
#include "kafkatrace/propagation/baggage_propagator.h"
#include "kafkatrace/propagation/trace_context_propagator.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kafkatrace;  // NOLINT(google-build-using-namespace): fuzzer
                               // entry point
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Split the input into header values at '\n' so repeated headers get fuzzed
  // too.
  HeaderListCarrier carrier;
  static const char* kNames[] = {"traceparent", "tracestate", "baggage", "b3",
                                 "TraceParent"};
  size_t index = 0;
  while (!input.empty()) {
    size_t nl = input.find('\n');
    carrier.Add(kNames[index++ % 5], std::string(input.substr(0, nl)));
    input = nl == std::string_view::npos ? std::string_view()
                                         : input.substr(nl + 1);
  }

  if (auto parsed = ParseTraceParent(
          std::string_view(reinterpret_cast<const char*>(data), size))) {
    char out[kTraceParentSize];
    FormatTraceParent(*parsed, out);
    auto again = ParseTraceParent(std::string_view(out, kTraceParentSize));
    Check(again.has_value() && again->trace_id() == parsed->trace_id() &&
          again->span_id() == parsed->span_id() &&
          again->flags() == parsed->flags());
  }

  TraceContextPropagator trace_context;
  Context ctx = trace_context.Extract(carrier, Context{});
  if (ctx.span_context.IsValid()) {
    HeaderListCarrier out;
    trace_context.Inject(ctx, out);
    Context back = trace_context.Extract(out, Context{});
    Check(back.span_context == ctx.span_context);
    Check(ctx.span_context.trace_state().members().size() <=
          TraceState::kMaxMembers);
  }

  BaggagePropagator baggage;
  Context with_baggage = baggage.Extract(carrier, Context{});
  Check(with_baggage.baggage.entries().size() <= kBaggageMaxMembers);
  std::string header = FormatBaggage(with_baggage.baggage);
  Check(header.size() <= kBaggageMaxBytes);
  Check(ParseBaggage(header) == with_baggage.baggage);

  B3Propagator b3;
  (void)b3.Extract(carrier, Context{});
  return 0;
}
