// The exporters of the core: in-memory (tests), JSON lines (files), console
// (humans).
#include <cerrno>
#include <cstring>
#include <iostream>
#include <type_traits>

#include "common/json_writer.h"
#include "kafkatrace/console_span_exporter.h"
#include "kafkatrace/in_memory_span_exporter.h"
#include "kafkatrace/json_lines_span_exporter.h"
#include "kafkatrace/resource.h"

namespace kafkatrace {

const char* SpanKindName(SpanKind kind) noexcept {
  switch (kind) {
    case SpanKind::kInternal:
      return "INTERNAL";
    case SpanKind::kServer:
      return "SERVER";
    case SpanKind::kClient:
      return "CLIENT";
    case SpanKind::kProducer:
      return "PRODUCER";
    case SpanKind::kConsumer:
      return "CONSUMER";
  }
  return "UNSPECIFIED";
}

// ---- in-memory ----

void InMemorySpanStore::Add(std::unique_ptr<SpanData> span) {
  std::lock_guard lock(mutex_);
  spans_.push_back(std::move(span));
}

std::vector<SpanData> InMemorySpanStore::Spans() const {
  std::lock_guard lock(mutex_);
  std::vector<SpanData> copy;
  copy.reserve(spans_.size());
  for (const auto& span : spans_) copy.push_back(*span);
  return copy;
}

size_t InMemorySpanStore::size() const {
  std::lock_guard lock(mutex_);
  return spans_.size();
}

void InMemorySpanStore::Clear() {
  std::lock_guard lock(mutex_);
  spans_.clear();
}

ExportResult InMemorySpanExporter::Export(
    std::span<std::unique_ptr<SpanData>> batch, Deadline) noexcept {
  try {
    for (auto& span : batch) store_->Add(std::move(span));
    return ExportResult::kSuccess;
  } catch (...) {
    return ExportResult::kFailure;
  }
}

// ---- JSON lines ----

namespace {

void WriteAttributeValue(json::Writer& w, const AttributeValue& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          w.Bool(v);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          w.Int(v);
        } else if constexpr (std::is_same_v<T, double>) {
          w.Double(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          w.String(v);
        } else {
          w.BeginArray();
          for (const auto& element : v) {
            using E = typename T::value_type;
            if constexpr (std::is_same_v<E, bool>)
              w.Bool(element);
            else if constexpr (std::is_same_v<E, int64_t>)
              w.Int(element);
            else if constexpr (std::is_same_v<E, double>)
              w.Double(element);
            else
              w.String(element);
          }
          w.EndArray();
        }
      },
      value);
}

void WriteAttributes(json::Writer& w, const Attributes& attributes) {
  w.BeginObject();
  for (const auto& attribute : attributes) {
    w.Key(attribute.key);
    WriteAttributeValue(w, attribute.value);
  }
  w.EndObject();
}

}  // namespace

Result<std::unique_ptr<JsonLinesSpanExporter>> JsonLinesSpanExporter::Open(
    const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return Status::InvalidArgument("cannot open span file " + path + ": " +
                                   std::strerror(errno));
  }
  return std::unique_ptr<JsonLinesSpanExporter>(
      new JsonLinesSpanExporter(file));
}

JsonLinesSpanExporter::~JsonLinesSpanExporter() { std::fclose(file_); }

std::string JsonLinesSpanExporter::ToJson(const SpanData& span) {
  std::string out;
  json::Writer w(out);
  w.BeginObject();
  w.Key("traceId").String(span.context.trace_id().ToHex());
  w.Key("spanId").String(span.context.span_id().ToHex());
  if (span.parent_span_id.IsValid()) {
    w.Key("parentSpanId").String(span.parent_span_id.ToHex());
  }
  if (!span.context.trace_state().empty()) {
    w.Key("traceState").String(span.context.trace_state().header());
  }
  w.Key("flags").Uint(span.context.flags());
  w.Key("name").String(span.name);
  w.Key("kind").String(SpanKindName(span.kind));
  w.Key("startTimeUnixNano").String(std::to_string(span.start_unix_nanos));
  w.Key("endTimeUnixNano").String(std::to_string(span.end_unix_nanos));
  w.Key("attributes");
  WriteAttributes(w, span.attributes);
  if (span.dropped_attributes_count) {
    w.Key("droppedAttributesCount").Uint(span.dropped_attributes_count);
  }
  w.Key("events").BeginArray();
  for (const auto& event : span.events) {
    w.BeginObject();
    w.Key("name").String(event.name);
    w.Key("timeUnixNano").String(std::to_string(event.time_unix_nanos));
    w.Key("attributes");
    WriteAttributes(w, event.attributes);
    w.EndObject();
  }
  w.EndArray();
  if (span.dropped_events_count)
    w.Key("droppedEventsCount").Uint(span.dropped_events_count);
  w.Key("links").BeginArray();
  for (const auto& link : span.links) {
    w.BeginObject();
    w.Key("traceId").String(link.context.trace_id().ToHex());
    w.Key("spanId").String(link.context.span_id().ToHex());
    w.Key("attributes");
    WriteAttributes(w, link.attributes);
    w.EndObject();
  }
  w.EndArray();
  if (span.dropped_links_count)
    w.Key("droppedLinksCount").Uint(span.dropped_links_count);
  w.Key("status").BeginObject();
  w.Key("code").Uint(static_cast<uint64_t>(span.status_code));
  if (!span.status_message.empty())
    w.Key("message").String(span.status_message);
  w.EndObject();
  if (span.resource != nullptr)
    w.Key("service").String(span.resource->service_name());
  if (span.scope != nullptr) w.Key("scope").String(span.scope->name);
  w.EndObject();
  return out;
}

ExportResult JsonLinesSpanExporter::Export(
    std::span<std::unique_ptr<SpanData>> batch, Deadline) noexcept {
  try {
    std::string lines;
    for (const auto& span : batch) {
      lines += ToJson(*span);
      lines += '\n';
    }
    if (std::fwrite(lines.data(), 1, lines.size(), file_) != lines.size()) {
      return ExportResult::kFailure;
    }
    return ExportResult::kSuccess;
  } catch (...) {
    return ExportResult::kFailure;
  }
}

bool JsonLinesSpanExporter::ForceFlush(Deadline) noexcept {
  return std::fflush(file_) == 0;
}

// ---- console ----

ConsoleSpanExporter::ConsoleSpanExporter(std::ostream* out)
    : out_(out != nullptr ? out : &std::cout) {}

ExportResult ConsoleSpanExporter::Export(
    std::span<std::unique_ptr<SpanData>> batch, Deadline) noexcept {
  try {
    std::string text;
    for (const auto& span : batch) {
      const SpanData& s = *span;
      text += "span ";
      text += s.name;
      text += " [";
      text += SpanKindName(s.kind);
      text += "] trace=" + s.context.trace_id().ToHex() +
              " span=" + s.context.span_id().ToHex();
      if (s.parent_span_id.IsValid())
        text += " parent=" + s.parent_span_id.ToHex();
      char duration[32];
      std::snprintf(
          duration, sizeof(duration), " %.3f ms",
          static_cast<double>(s.end_unix_nanos - s.start_unix_nanos) / 1e6);
      text += duration;
      if (s.status_code == SpanStatusCode::kError)
        text += " ERROR " + s.status_message;
      text += '\n';
      for (const auto& attribute : s.attributes) {
        text += "  " + attribute.key.str() + " = " +
                AttributeValueToString(attribute.value) + '\n';
      }
      for (const auto& event : s.events) text += "  event " + event.name + '\n';
      for (const auto& link : s.links) {
        text += "  link trace=" + link.context.trace_id().ToHex() +
                " span=" + link.context.span_id().ToHex() + '\n';
      }
    }
    *out_ << text << std::flush;
    return out_->good() ? ExportResult::kSuccess : ExportResult::kFailure;
  } catch (...) {
    return ExportResult::kFailure;
  }
}

}  // namespace kafkatrace
