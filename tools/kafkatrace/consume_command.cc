// `kafkatrace consume`: records with their trace context decoded field by
// field.
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <limits>
#include <optional>
#include <set>

#include "cli_support.h"
#include "commands.h"
#include "common/json_writer.h"
#include "common/text.h"
#include "common/utf8.h"
#include "kafkatrace/kafka/record_headers_carrier.h"
#include "kafkatrace/kafka/tracing_consumer.h"
#include "kafkatrace/propagation/baggage_propagator.h"
#include "kafkatrace/propagation/trace_context_propagator.h"

namespace kafkatrace::cli {
namespace {

struct Header {
  std::string key;
  std::string value;
};

std::vector<Header> HeadersOf(const kafka::ConsumedRecord& record) {
  std::vector<Header> out;
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(record.message().c_ptr(), &headers) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return out;
  }
  kafka::ForEachHeader(headers,
                       [&](std::string_view name, std::string_view value) {
                         out.push_back({std::string(name), std::string(value)});
                       });
  return out;
}

std::vector<const Header*> Named(const std::vector<Header>& headers,
                                 std::string_view name) {
  std::vector<const Header*> out;
  for (const auto& h : headers) {
    if (EqualsIgnoreAsciiCase(h.key, name)) out.push_back(&h);
  }
  return out;
}

// What the record says about its trace, decoded for people and scripts.
struct TraceInfo {
  int traceparent_headers = 0;
  std::string raw;
  std::optional<SpanContext> context;  // set when valid and unique
  std::string problem;                 // why not, when present but unusable
  std::vector<std::pair<std::string, std::string>> tracestate;
  std::string tracestate_problem;
  Baggage baggage;
};

TraceInfo Decode(const std::vector<Header>& headers) {
  TraceInfo info;
  auto traceparents = Named(headers, "traceparent");
  info.traceparent_headers = static_cast<int>(traceparents.size());
  if (traceparents.size() > 1) {
    info.problem = std::to_string(traceparents.size()) +
                   " traceparent headers: ignored per W3C, the consumer starts "
                   "a new trace";
  } else if (traceparents.size() == 1) {
    info.raw = traceparents[0]->value;
    info.raw.erase(0, info.raw.find_first_not_of(" \t"));
    info.raw.erase(info.raw.find_last_not_of(" \t") + 1);
    info.context = ParseTraceParent(info.raw);
    if (!info.context)
      info.problem = "malformed: the consumer starts a new trace";
  }
  std::string combined;
  for (const auto* h : Named(headers, "tracestate")) {
    if (!combined.empty()) combined += ',';
    combined += h->value;
  }
  if (!combined.empty()) {
    auto state = TraceState::Parse(combined);
    if (state) {
      for (auto [k, v] : state->members()) info.tracestate.emplace_back(k, v);
    } else {
      info.tracestate_problem = "invalid (dropped by W3C rules)";
    }
  }
  std::string baggage;
  for (const auto* h : Named(headers, "baggage")) {
    if (!baggage.empty()) baggage += ',';
    baggage += h->value;
  }
  if (!baggage.empty()) info.baggage = ParseBaggage(baggage);
  return info;
}

void PrintText(const kafka::ConsumedRecord& r,
               const std::vector<Header>& headers, const TraceInfo& info) {
  std::string out;
  char wait[64];
  std::snprintf(wait, sizeof(wait), "%.3f s", r.queue_wait_ms() / 1000.0);
  out += "--- " + std::string(r.topic()) + " partition " +
         std::to_string(r.partition()) + " offset " +
         std::to_string(r.offset()) + "\n";
  out += "timestamp: " + FormatTimestampMs(r.timestamp_ms()) + " (waited " +
         wait + " in Kafka)\n";
  // Record bytes are escaped (Printable): they are the producer's, and the
  // terminal is ours.
  out +=
      "key: " + (r.key() ? Printable(*r.key()) : std::string("(none)")) + "\n";
  out += "value: " +
         (r.value() ? Printable(*r.value()) : std::string("(tombstone)")) +
         "\n";
  if (headers.empty()) out += "headers: (none)\n";
  for (const auto& h : headers)
    out += "header " + Printable(h.key) + ": " + Printable(h.value) + "\n";
  if (info.context) {
    const SpanContext& c = *info.context;
    const std::string flags = info.raw.substr(53, 2);
    out += "traceparent: version " + info.raw.substr(0, 2) + " | trace-id " +
           c.trace_id().ToHex() + " | parent span-id " + c.span_id().ToHex() +
           " | flags " + flags + " (sampled: " + (c.sampled() ? "yes" : "no") +
           ((c.flags() & kTraceFlagRandom) ? ", random trace-id" : "") + ")\n";
  } else if (!info.problem.empty()) {
    out += "traceparent: " +
           (info.raw.empty() ? "" : "\"" + Printable(info.raw) + "\" ") +
           info.problem + "\n";
  } else {
    out += "traceparent: (none: the consumer starts a new trace)\n";
  }
  if (!info.tracestate.empty()) {
    out += "tracestate:";
    for (const auto& [k, v] : info.tracestate) out += " " + k + "=" + v;
    out += "\n";
  } else if (!info.tracestate_problem.empty()) {
    out += "tracestate: " + info.tracestate_problem + "\n";
  }
  for (const auto& e : info.baggage.entries())
    out += "baggage: " + Printable(e.key) + "=" + Printable(e.value) + "\n";
  std::cout << out << std::flush;
}

// `name`: the bytes as a JSON string, or null. JSON strings are Unicode, so
// bytes that are not UTF-8 (a binary key, an Avro value) also go out exactly,
// as `<name>_base64`, beside their repaired text.
void WriteBytes(json::Writer& w, std::string_view name,
                std::optional<std::string_view> bytes) {
  w.Key(name);
  if (!bytes) {
    w.Null();
    return;
  }
  w.String(*bytes);
  if (!utf8::IsValid(*bytes)) {
    w.Key(std::string(name).append("_base64"))
        .String(text::Base64Encode(*bytes));
  }
}

void PrintJson(const kafka::ConsumedRecord& r,
               const std::vector<Header>& headers, const TraceInfo& info) {
  std::string out;
  json::Writer w(out);
  w.BeginObject();
  w.Key("topic").String(r.topic());
  w.Key("partition").Int(r.partition());
  w.Key("offset").Int(r.offset());
  w.Key("timestamp_ms").Int(r.timestamp_ms());
  w.Key("timestamp").String(FormatTimestampMs(r.timestamp_ms()));
  w.Key("queue_wait_ms").Double(r.queue_wait_ms());
  WriteBytes(w, "key", r.key());
  WriteBytes(w, "value", r.value());
  w.Key("headers").BeginArray();
  for (const auto& h : headers) {
    w.BeginObject().Key("key").String(h.key);
    WriteBytes(w, "value", h.value);
    w.EndObject();
  }
  w.EndArray();
  w.Key("traceparent");
  if (info.traceparent_headers == 0) {
    w.Null();
  } else {
    w.BeginObject();
    w.Key("raw").String(info.raw);
    w.Key("valid").Bool(info.context.has_value());
    if (info.context) {
      w.Key("version").String(info.raw.substr(0, 2));
      w.Key("trace_id").String(info.context->trace_id().ToHex());
      w.Key("parent_span_id").String(info.context->span_id().ToHex());
      w.Key("flags").String(info.raw.substr(53, 2));
      w.Key("sampled").Bool(info.context->sampled());
      w.Key("random_trace_id")
          .Bool((info.context->flags() & kTraceFlagRandom) != 0);
    } else {
      w.Key("problem").String(info.problem);
    }
    w.EndObject();
  }
  w.Key("tracestate").BeginArray();
  for (const auto& [k, v] : info.tracestate)
    w.BeginObject().Key("key").String(k).Key("value").String(v).EndObject();
  w.EndArray();
  w.Key("baggage").BeginArray();
  for (const auto& e : info.baggage.entries()) {
    w.BeginObject()
        .Key("key")
        .String(e.key)
        .Key("value")
        .String(e.value)
        .EndObject();
  }
  w.EndArray();
  w.EndObject();
  std::cout << out << "\n" << std::flush;
}

// librdkafka's start offset for --offset (a logical one for beginning, end and
// -N), or nullopt when the text is none of those.
std::optional<int64_t> StartOffset(const std::string& text) {
  if (text == "beginning") return RdKafka::Topic::OFFSET_BEGINNING;
  if (text == "end") return RdKafka::Topic::OFFSET_END;
  const bool from_end = text.starts_with('-');
  const std::string_view digits = std::string_view(text).substr(from_end);
  int64_t n = 0;
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || error != std::errc() ||
      end != digits.data() + digits.size() ||
      (from_end && n > std::numeric_limits<int64_t>::max() +
                           RD_KAFKA_OFFSET_TAIL_BASE)) {  // -N must fit
    return std::nullopt;
  }
  // -0: the end, as Kafka's tail offset would be.
  return from_end ? RD_KAFKA_OFFSET_TAIL(n) : n;
}

}  // namespace

int RunConsume(const ConsumeArgs& args) {
  std::optional<TraceId> wanted_trace;
  if (!args.trace_id.empty()) {
    wanted_trace = TraceIdArgument(args.trace_id);
    if (!wanted_trace || !wanted_trace->IsValid()) {
      std::cerr << "kafkatrace consume: malformed --trace-id \""
                << Printable(args.trace_id)
                << "\": expected 32 hex digits, not all zero\n";
      return 2;
    }
  }
  int64_t start = args.from_beginning ? RdKafka::Topic::OFFSET_BEGINNING
                                      : RdKafka::Topic::OFFSET_END;
  if (!args.offset.empty()) {
    const std::optional<int64_t> offset = StartOffset(args.offset);
    if (!offset) {
      std::cerr << "kafkatrace consume: malformed --offset \""
                << Printable(args.offset)
                << "\": expected beginning, end, an offset N or -N\n";
      return 2;
    }
    start = *offset;
  }
  std::string error;
  auto provider = MakeTracerProvider(&error);
  if (!provider) {
    std::cerr << "kafkatrace consume: " << error << "\n";
    return 2;
  }
  const bool grouped = !args.group.empty();
  auto conf = MakeConf(
      args.kafka,
      {{"group.id",
        grouped ? args.group : "kafkatrace-cli-" + std::to_string(getpid())},
       {"enable.auto.commit", grouped ? "true" : "false"},
       {"auto.offset.reset", args.from_beginning ? "earliest" : "latest"}},
      &error);
  if (!conf) {
    std::cerr << "kafkatrace consume: " << error << "\n";
    return 2;
  }
  const kafka::ProducerContextPolicy policy =
      args.policy == "link" ? kafka::ProducerContextPolicy::kLink
      : args.policy == "new-trace"
          ? kafka::ProducerContextPolicy::kNewTraceWithLink
          : kafka::ProducerContextPolicy::kParent;
  auto metrics = MakeMetrics(*provider, &error);
  if (!metrics) {
    std::cerr << "kafkatrace consume: " << error << "\n";
    return 2;
  }
  auto consumer = kafka::TracingConsumer::Create(
      std::move(conf), *provider,
      {.policy = policy, .metrics = metrics->for_clients()});
  if (!consumer.ok()) {
    std::cerr << "kafkatrace consume: " << consumer.status().message() << "\n";
    return 2;
  }
  if (std::string problem = CheckBrokerAndTopic((*consumer)->consumer(),
                                                args.kafka.brokers, args.topic,
                                                /*may_create=*/false);
      !problem.empty()) {
    std::cerr << "kafkatrace consume: " << problem << "\n";
    return 1;
  }
  if (grouped) {
    if (Status s = (*consumer)->Subscribe({args.topic}); !s.ok()) {
      std::cerr << "kafkatrace consume: " << s.message() << "\n";
      return 1;
    }
  } else {
    // No group: read every partition directly, no group join wait, nothing
    // committed.
    RdKafka::Metadata* raw = nullptr;
    std::string topic_error;
    std::unique_ptr<RdKafka::Topic> topic(RdKafka::Topic::create(
        &(*consumer)->consumer(), args.topic, nullptr, topic_error));
    if ((*consumer)->consumer().metadata(false, topic.get(), &raw, 5000) !=
        RdKafka::ERR_NO_ERROR) {
      std::cerr << "kafkatrace consume: cannot read metadata of " << args.topic
                << "\n";
      return 1;
    }
    std::unique_ptr<RdKafka::Metadata> metadata(raw);
    std::set<int32_t> existing;
    for (const auto* t : *metadata->topics()) {
      for (const auto* p : *t->partitions()) existing.insert(p->id());
    }
    for (const int wanted : args.partitions) {
      if (!existing.contains(wanted)) {
        std::cerr << "kafkatrace consume: topic " << args.topic
                  << " has no partition " << wanted << " (it has "
                  << existing.size() << ", from 0)\n";
        return 1;
      }
    }
    std::vector<RdKafka::TopicPartition*> partitions;
    for (const int32_t id : existing) {
      if (args.partitions.empty() ||
          std::find(args.partitions.begin(), args.partitions.end(), id) !=
              args.partitions.end()) {
        partitions.push_back(
            RdKafka::TopicPartition::create(args.topic, id, start));
      }
    }
    (*consumer)->consumer().assign(partitions);
    RdKafka::TopicPartition::destroy(partitions);
  }

  InstallStopSignals();
  long long seen = 0;
  auto last_record = std::chrono::steady_clock::now();
  while (!g_stop_requested && (args.count == 0 || seen < args.count)) {
    auto record = (*consumer)->Poll(100);
    if (!record) {
      if (args.timeout_ms > 0 &&
          std::chrono::steady_clock::now() - last_record >
              std::chrono::milliseconds(args.timeout_ms)) {
        break;
      }
      continue;
    }
    if (record->error() != RdKafka::ERR_NO_ERROR) {
      std::cerr << "kafkatrace consume: " << record->message().errstr() << "\n";
      if (record->error() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) return 1;
      continue;
    }
    last_record = std::chrono::steady_clock::now();
    kafka::ProcessSpanScope process(**consumer, *record);
    auto headers = HeadersOf(*record);
    TraceInfo info = Decode(headers);
    if (wanted_trace &&
        (!info.context || info.context->trace_id() != *wanted_trace)) {
      continue;  // another trace's record, or none's
    }
    ++seen;
    if (args.json) {
      PrintJson(*record, headers, info);
    } else {
      PrintText(*record, headers, info);
    }
  }
  // Closed before the provider shuts down: closing commits the group's last
  // offsets, and that commit's span must still be exported.
  consumer->reset();
  ShutdownTelemetry(*provider, *metrics);
  return 0;
}

}  // namespace kafkatrace::cli
