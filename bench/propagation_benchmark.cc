// Cost of W3C propagation on the per-record path.
#include <benchmark/benchmark.h>

#include "kafkatrace/propagation/trace_context_propagator.h"

namespace kafkatrace {
namespace {

const SpanContext kContext(
    TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
    SpanId::FromHex("00f067aa0ba902b7").value(), 3, false);
const std::string kTraceParent =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

void BM_TraceParentFormat(benchmark::State& state) {
  char out[kTraceParentSize];
  for (auto _ : state) {
    FormatTraceParent(kContext, out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_TraceParentFormat);

void BM_TraceParentParse(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ParseTraceParent(kTraceParent));
}
BENCHMARK(BM_TraceParentParse);

// Inject into a record's header list that already exists (capacity reused), as
// a producer that re-sends or a pooled carrier would.
void BM_InjectTraceContext(benchmark::State& state) {
  TraceContextPropagator propagator;
  Context context{kContext, {}};
  HeaderListCarrier carrier({{"content-type", "json"}});
  propagator.Inject(context, carrier);
  for (auto _ : state) {
    propagator.Inject(context, carrier);
    benchmark::DoNotOptimize(carrier);
  }
}
BENCHMARK(BM_InjectTraceContext);

// Extract from a record with three headers, one of them traceparent, no
// tracestate.
void BM_ExtractTraceContext(benchmark::State& state) {
  TraceContextPropagator propagator;
  HeaderListCarrier carrier(HeaderListCarrier::Headers{
      {"content-type", "json"}, {"traceparent", kTraceParent}, {"retry", "0"}});
  for (auto _ : state) {
    Context context = propagator.Extract(carrier, Context{});
    benchmark::DoNotOptimize(context);
  }
}
BENCHMARK(BM_ExtractTraceContext);

void BM_TraceStateParse32Members(benchmark::State& state) {
  std::string header;
  for (int i = 0; i < 32; ++i) {
    const std::string number = std::to_string(i);
    if (i > 0) header += ',';
    header += "vendor" + number + "=value" + number;
  }
  for (auto _ : state) benchmark::DoNotOptimize(TraceState::Parse(header));
  state.SetLabel(std::to_string(header.size()) + " bytes");
}
BENCHMARK(BM_TraceStateParse32Members);

}  // namespace
}  // namespace kafkatrace

BENCHMARK_MAIN();
