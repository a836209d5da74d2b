#include "collector/kafka_hops.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>
#include <utility>

#include "collector/span_store.h"
#include "kafka/semconv.h"  // the attribute names, header only

namespace kafkatrace::collector {

constexpr int kProducer = 4;
constexpr int kConsumer = 5;
constexpr int64_t kNoticeableNanos = 500'000'000;

std::string FormatDuration(int64_t nanos) {
  char buf[32];
  const double ns = static_cast<double>(nanos);
  if (nanos >= 1'000'000'000) {
    std::snprintf(buf, sizeof(buf), "%.1f s", ns / 1e9);
  } else if (nanos >= 10'000'000) {
    std::snprintf(buf, sizeof(buf), "%.0f ms", ns / 1e6);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f ms", ns / 1e6);
  }
  return buf;
}

namespace {

using LinkTargets = std::vector<std::pair<std::string, std::string>>;

// (trace id, span id) of each link of a span, from its stored links JSON.
LinkTargets ParseLinks(const StoredSpan& span) {
  LinkTargets targets;
  const auto links = nlohmann::json::parse(span.links_json, nullptr,
                                           /*allow_exceptions=*/false);
  if (!links.is_array()) return targets;
  for (const auto& link : links) {
    if (!link.is_object()) continue;
    auto trace_id = link.find("trace_id");
    auto span_id = link.find("span_id");
    if (trace_id != link.end() && trace_id->is_string() &&
        span_id != link.end() && span_id->is_string()) {
      targets.emplace_back(trace_id->get<std::string>(),
                           span_id->get<std::string>());
    }
  }
  return targets;
}

// The links of each CONSUMER span of `trace`, by index (empty for others),
// parsed once for both LinkedTraceIds and FindKafkaHops.
std::vector<LinkTargets> ConsumerLinks(const std::vector<StoredSpan>& trace) {
  std::vector<LinkTargets> links(trace.size());
  for (size_t i = 0; i < trace.size(); ++i)
    if (trace[i].kind == kConsumer) links[i] = ParseLinks(trace[i]);
  return links;
}

std::vector<std::string> LinkedTraceIdsOf(const std::vector<StoredSpan>& trace,
                                          const std::vector<LinkTargets>& links,
                                          size_t max) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < trace.size(); ++i) {
    for (const auto& [trace_id, span_id] : links[i]) {
      if (ids.size() >= max) return ids;
      if (trace_id != trace[i].trace_id &&
          std::find(ids.begin(), ids.end(), trace_id) == ids.end()) {
        ids.push_back(trace_id);
      }
    }
  }
  return ids;
}

// A number attribute of a stored span, if it has one.
std::optional<double> NumberAttribute(const StoredSpan& span, const char* key) {
  const auto attributes = nlohmann::json::parse(span.attributes_json, nullptr,
                                                /*allow_exceptions=*/false);
  if (!attributes.is_object()) return std::nullopt;
  const auto it = attributes.find(key);
  if (it == attributes.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// Where the hop's time went: each part (waiting, processing, publishing) that
// took at least 0.5 s, long enough for a person to notice, and a third of the
// hop, largest first; empty when none did. A hop whose record waited 0.8 s
// behind another and then took 0.8 s to process names both.
std::string Diagnose(const KafkaHop& hop, const StoredSpan& send,
                     const StoredSpan& process) {
  const int64_t total = hop.publish_nanos + hop.wait_nanos + hop.process_nanos;
  const auto share = [&](int64_t part) {
    return FormatDuration(part) + " of " + FormatDuration(total);
  };
  const auto waiting = [&] {
    return share(hop.wait_nanos) + " waiting in topic " + hop.topic +
           ": the consumer was busy";
  };
  const auto processing = [&] {
    std::string where = share(hop.process_nanos) +
                        " processing the record from topic " + hop.topic;
    if (!process.service.empty()) where.append(" in ").append(process.service);
    return where + ": the consumer's own work was slow";
  };
  const auto publishing = [&] {
    // The send span's split (TracingProducer and the plugin record it): time
    // queued in the producer before the request went out, then the broker's
    // round trip.
    const auto queued = NumberAttribute(send, kafka::semconv::kLocalQueueMs);
    const auto round_trip = NumberAttribute(send, kafka::semconv::kBrokerRttMs);
    std::string why = " (until the broker acknowledged it)";
    if (queued && round_trip) {
      const auto nanos = [](double ms) {
        return static_cast<int64_t>(ms * 1e6);
      };
      why = *queued > *round_trip
                ? ": " + FormatDuration(nanos(*queued)) +
                      " queued in the producer before the broker was asked"
                : ": " + FormatDuration(nanos(*round_trip)) +
                      " waiting for the broker's acknowledgement";
    }
    return share(hop.publish_nanos) + " publishing to topic " + hop.topic + why;
  };
  struct Part {
    int64_t nanos;
    std::function<std::string()> describe;
  };
  std::vector<Part> parts{{hop.wait_nanos, waiting},
                          {hop.process_nanos, processing},
                          {hop.publish_nanos, publishing}};
  std::stable_sort(
      parts.begin(), parts.end(),
      [](const Part& a, const Part& b) { return a.nanos > b.nanos; });
  std::string diagnosis;
  for (const Part& part : parts) {
    if (part.nanos < kNoticeableNanos || part.nanos * 3 < total) continue;
    if (!diagnosis.empty()) diagnosis += "; ";
    diagnosis += part.describe();
  }
  return diagnosis;
}

std::vector<KafkaHop> FindHops(const std::vector<StoredSpan>& trace,
                               const std::vector<LinkTargets>& links,
                               const std::vector<StoredSpan>& linked_spans) {
  // Keyed by span id; the trace id is checked on a match.
  std::unordered_map<std::string, const StoredSpan*> by_id;
  for (const auto& span : linked_spans) by_id[span.span_id] = &span;
  for (const auto& span : trace) by_id[span.span_id] = &span;
  auto producer = [&](const std::string& trace_id,
                      const std::string& span_id) -> const StoredSpan* {
    auto it = by_id.find(span_id);
    return it != by_id.end() && it->second->kind == kProducer &&
                   it->second->trace_id == trace_id
               ? it->second
               : nullptr;
  };
  std::vector<KafkaHop> hops;
  for (size_t i = 0; i < trace.size(); ++i) {
    const StoredSpan& process = trace[i];
    if (process.kind != kConsumer) continue;
    const StoredSpan* send = nullptr;
    bool linked = false;
    if (!process.parent_span_id.empty())
      send = producer(process.trace_id, process.parent_span_id);
    if (send == nullptr) {
      for (const auto& [trace_id, span_id] : links[i]) {
        send = producer(trace_id, span_id);
        if (send != nullptr) {
          linked = true;
          break;
        }
      }
    }
    if (send == nullptr) continue;
    KafkaHop hop;
    hop.linked = linked;
    hop.send_trace_id = send->trace_id;
    hop.topic = !process.topic.empty() ? process.topic : send->topic;
    hop.send_span_id = send->span_id;
    hop.process_span_id = process.span_id;
    hop.publish_nanos =
        std::max<int64_t>(0, send->end_unix_nanos - send->start_unix_nanos);
    hop.wait_nanos =
        std::max<int64_t>(0, process.start_unix_nanos - send->end_unix_nanos);
    hop.process_nanos =
        std::max<int64_t>(0, process.end_unix_nanos - process.start_unix_nanos);
    hop.diagnosis = Diagnose(hop, *send, process);
    hops.push_back(std::move(hop));
  }
  return hops;
}

}  // namespace

std::vector<std::string> LinkedTraceIds(const std::vector<StoredSpan>& trace,
                                        size_t max) {
  return LinkedTraceIdsOf(trace, ConsumerLinks(trace), max);
}

std::vector<KafkaHop> FindKafkaHops(
    const std::vector<StoredSpan>& trace,
    const std::vector<StoredSpan>& linked_spans) {
  return FindHops(trace, ConsumerLinks(trace), linked_spans);
}

std::vector<KafkaHop> FindKafkaHopsIn(SpanStore& store,
                                      const std::vector<StoredSpan>& trace) {
  const std::vector<LinkTargets> links = ConsumerLinks(trace);
  std::vector<StoredSpan> linked;
  for (const std::string& id :
       LinkedTraceIdsOf(trace, links, kMaxLinkedTraces)) {
    auto spans = store.GetTrace(id);
    if (!spans.ok()) continue;
    linked.insert(linked.end(), std::make_move_iterator(spans->begin()),
                  std::make_move_iterator(spans->end()));
  }
  return FindHops(trace, links, linked);
}

}  // namespace kafkatrace::collector
