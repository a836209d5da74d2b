// `kafkatrace trace <trace-id>`: a stored trace as a text waterfall, with its
// Kafka hops.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>

#include "cli_support.h"
#include "collector/kafka_hops.h"
#include "collector/span_store.h"
#include "commands.h"

namespace kafkatrace::cli {

int RunTrace(const TraceArgs& args) {
  const std::optional<TraceId> trace_id = TraceIdArgument(args.trace_id);
  if (!trace_id) {
    std::cerr << "kafkatrace trace: \"" << args.trace_id
              << "\" is not a trace id (32 hex digits)\n";
    return 2;
  }
  const std::string id = trace_id->ToHex();
  auto store = collector::SpanStore::Open(args.db);
  if (!store.ok()) {
    std::cerr << "kafkatrace trace: " << store.status().message() << "\n";
    return 1;
  }
  auto spans = (*store)->GetTrace(id);
  if (!spans.ok() || spans->empty()) {
    std::cerr << "kafkatrace trace: no trace " << id << " in " << args.db
              << "\n";
    return 1;
  }
  int64_t t0 = INT64_MAX, t1 = 0;
  for (const auto& s : *spans) {
    t0 = std::min(t0, s.start_unix_nanos);
    t1 = std::max(t1, s.end_unix_nanos);
  }
  const double total = static_cast<double>(std::max<int64_t>(1, t1 - t0));
  std::map<std::string, std::vector<const collector::StoredSpan*>> children;
  std::vector<const collector::StoredSpan*> roots;
  std::map<std::string, bool> present;
  for (const auto& s : *spans) present[s.span_id] = true;
  for (const auto& s : *spans) {
    if (s.parent_span_id.empty() || !present.count(s.parent_span_id)) {
      roots.push_back(&s);
    } else {
      children[s.parent_span_id].push_back(&s);
    }
  }
  std::cout << "trace " << id << "  " << collector::FormatDuration(t1 - t0)
            << ", " << spans->size() << " spans\n";
  constexpr int kWidth = 40;
  std::function<void(const collector::StoredSpan*, int)> print =
      [&](const collector::StoredSpan* s, int depth) {
        const int from = static_cast<int>(
            kWidth * static_cast<double>(s->start_unix_nanos - t0) / total);
        const int len = std::max(
            1, static_cast<int>(kWidth *
                                static_cast<double>(s->end_unix_nanos -
                                                    s->start_unix_nanos) /
                                total));
        std::string bar(kWidth, ' ');
        for (int i = from; i < std::min(kWidth, from + len); ++i) bar[i] = '#';
        // Names come from whoever sent the spans: escaped for the terminal,
        // and cut only between UTF-8 sequences.
        std::string label = std::string(2 * depth, ' ') +
                            Printable(s->service) + ": " + Printable(s->name);
        if (label.size() > 48) {
          size_t cut = 45;
          while (cut > 0 && (static_cast<uint8_t>(label[cut]) & 0xC0) == 0x80)
            --cut;
          label = label.substr(0, cut) + "...";
        }
        std::printf(
            "%-48s |%s| %10s%s\n", label.c_str(), bar.c_str(),
            collector::FormatDuration(s->end_unix_nanos - s->start_unix_nanos)
                .c_str(),
            s->status_code == 2 ? "  ERROR" : "");
        for (const auto* c : children[s->span_id]) print(c, depth + 1);
      };
  for (const auto* r : roots) print(r, 0);
  for (const auto& hop : collector::FindKafkaHopsIn(**store, *spans)) {
    std::cout << "hop " << Printable(hop.topic)
              << (hop.linked ? " (linked from trace " + hop.send_trace_id + ")"
                             : std::string())
              << ": publish " << collector::FormatDuration(hop.publish_nanos)
              << ", waiting in topic "
              << collector::FormatDuration(hop.wait_nanos) << ", processing "
              << collector::FormatDuration(hop.process_nanos) << "\n";
    if (!hop.diagnosis.empty()) std::cout << "  " << hop.diagnosis << "\n";
  }
  return 0;
}

}  // namespace kafkatrace::cli
