// OTLP trace encoding. Field numbers follow
// opentelemetry/proto/trace/v1/trace.proto, common/v1/common.proto,
// resource/v1/resource.proto and collector/trace/v1/trace_service.proto (public
// wire format; no generated code is used).
#include "otlp/otlp_encoder.h"

#include <nlohmann/json.hpp>
#include <type_traits>
#include <vector>

#include "common/json_writer.h"
#include "common/utf8.h"
#include "kafkatrace/resource.h"
#include "kafkatrace/span.h"
#include "otlp/protobuf_reader.h"
#include "otlp/protobuf_writer.h"

namespace kafkatrace::otlp {
namespace {

// Span.flags / Link.flags: low byte is the W3C trace flags; bit 8 says bit 9 is
// meaningful; bit 9 says the (parent or linked) context is remote.
constexpr uint32_t kHasIsRemoteMask = 0x100;
constexpr uint32_t kIsRemoteMask = 0x200;

uint32_t OtlpFlags(uint8_t trace_flags, bool remote) {
  return trace_flags | kHasIsRemoteMask | (remote ? kIsRemoteMask : 0);
}

std::string_view Bytes(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Groups spans by resource, then scope, keeping first-seen order.
struct ScopeGroup {
  const InstrumentationScope* scope;
  std::vector<const SpanData*> spans;
};
struct ResourceGroup {
  const Resource* resource;
  std::vector<ScopeGroup> scopes;
};

std::vector<ResourceGroup> Group(
    std::span<const std::unique_ptr<SpanData>> spans) {
  std::vector<ResourceGroup> groups;
  for (const auto& span : spans) {
    if (!span) continue;
    ResourceGroup* rg = nullptr;
    for (auto& g : groups) {
      if (g.resource == span->resource) rg = &g;
    }
    if (rg == nullptr)
      rg = &groups.emplace_back(ResourceGroup{span->resource, {}});
    ScopeGroup* sg = nullptr;
    for (auto& g : rg->scopes) {
      if (g.scope == span->scope) sg = &g;
    }
    if (sg == nullptr)
      sg = &rg->scopes.emplace_back(ScopeGroup{span->scope, {}});
    sg->spans.push_back(span.get());
  }
  return groups;
}

// ---- protobuf ----

// A proto3 `string` field. Its bytes must be UTF-8: protobuf-go, Java and upb
// reject the whole request otherwise, so invalid bytes are written as U+FFFD,
// as the JSON encoding writes them.
void StringField(ProtobufWriter& w, uint32_t field, std::string_view text) {
  std::string repaired;
  w.BytesField(field, utf8::Valid(text, repaired));
}
void OptionalStringField(ProtobufWriter& w, uint32_t field,
                         std::string_view text) {
  if (!text.empty()) StringField(w, field, text);
}

void WriteAnyValue(ProtobufWriter& w, uint32_t field,
                   const AttributeValue& value);

template <typename T>
void WriteScalar(ProtobufWriter& w, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    w.VarintField(2, v ? 1 : 0);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    w.VarintField(3, static_cast<uint64_t>(v));
  } else if constexpr (std::is_same_v<T, double>) {
    w.DoubleField(4, v);
  } else {
    StringField(w, 1, v);  // string_value, written even when empty (a oneof)
  }
}

void WriteAnyValue(ProtobufWriter& w, uint32_t field,
                   const AttributeValue& value) {
  size_t any = w.BeginMessage(field);
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, int64_t> ||
                      std::is_same_v<T, double> ||
                      std::is_same_v<T, std::string>) {
          WriteScalar(w, v);
        } else {
          size_t array = w.BeginMessage(5);  // array_value
          for (const auto& element : v) {
            size_t item = w.BeginMessage(1);  // ArrayValue.values
            using E = typename T::value_type;
            WriteScalar(w, static_cast<E>(element));
            w.EndMessage(item);
          }
          w.EndMessage(array);
        }
      },
      value);
  w.EndMessage(any);
}

template <typename T>
void WriteScalarKeyValue(ProtobufWriter& w, uint32_t field,
                         std::string_view key, T value);

// WriteScalarKeyValue for a key or string value that is not UTF-8: written
// repaired. Out of line: the rare case stays off the inlined path.
template <typename T>
[[gnu::noinline]] void WriteRepairedKeyValue(ProtobufWriter& w, uint32_t field,
                                             std::string_view key, T value) {
  std::string key_storage, value_storage;
  const std::string_view valid_key = utf8::Valid(key, key_storage);
  if constexpr (std::is_same_v<T, std::string_view>) {
    WriteScalarKeyValue(w, field, valid_key, utf8::Valid(value, value_storage));
  } else {
    WriteScalarKeyValue(w, field, valid_key, value);
  }
}

// KeyValue with a scalar value (bool, int64_t, double or std::string_view),
// sizes computed up front (no fix-ups). Most attributes are short: when the
// whole KeyValue is under 128 bytes every length is one byte, and it is laid
// out directly, with one capacity check.
template <typename T>
[[gnu::always_inline]] inline void WriteScalarKeyValue(ProtobufWriter& w,
                                                       uint32_t field,
                                                       std::string_view key,
                                                       T value) {
  using W = ProtobufWriter;
  // Written as StringField would, repaired first when not UTF-8 (rare).
  bool valid;
  if constexpr (std::is_same_v<T, std::string_view>) {
    valid = utf8::AreValid(key, value);
  } else {
    valid = utf8::IsValid(key);
  }
  if (!valid) [[unlikely]]
    return WriteRepairedKeyValue(w, field, key, value);
  constexpr char kKeyTag = (1 << 3) | W::kLen;    // KeyValue.key
  constexpr char kValueTag = (2 << 3) | W::kLen;  // KeyValue.value
  size_t any_length;
  if constexpr (std::is_same_v<T, bool>) {
    any_length = 2;  // tag + 1 byte
  } else if constexpr (std::is_same_v<T, int64_t>) {
    any_length = 1 + W::VarintSize(static_cast<uint64_t>(value));
  } else if constexpr (std::is_same_v<T, double>) {
    any_length = 9;  // tag + fixed64
  } else {
    static_assert(std::is_same_v<T, std::string_view>);
    any_length = 2 + value.size();  // one length byte, if short (below)
  }
  const size_t short_length = 2 + key.size() + 2 + any_length;
  if (short_length < 0x80 && field < 16) [[likely]] {
    char* p = w.ReserveRaw(2 + short_length);
    *p++ = static_cast<char>((field << 3) | W::kLen);
    *p++ = static_cast<char>(short_length);
    *p++ = kKeyTag;
    *p++ = static_cast<char>(key.size());
    p = W::PutBytes(p, key);
    *p++ = kValueTag;
    *p++ = static_cast<char>(any_length);
    if constexpr (std::is_same_v<T, bool>) {
      *p++ = (2 << 3) | W::kVarint;  // AnyValue.bool_value
      *p++ = value ? 1 : 0;
    } else if constexpr (std::is_same_v<T, int64_t>) {
      *p++ = (3 << 3) | W::kVarint;  // AnyValue.int_value
      p = W::PutVarint(p, static_cast<uint64_t>(value));
    } else if constexpr (std::is_same_v<T, double>) {
      *p++ = (4 << 3) | W::kFixed64;  // AnyValue.double_value
      std::memcpy(p, &value, 8);
      p += 8;
    } else {
      *p++ = (1 << 3) | W::kLen;  // AnyValue.string_value
      *p++ = static_cast<char>(value.size());
      p = W::PutBytes(p, value);
    }
    w.CommitRaw(p);
    return;
  }
  if constexpr (std::is_same_v<T, std::string_view>)
    any_length = 1 + W::VarintSize(value.size()) + value.size();
  const size_t kv_length = 1 + W::VarintSize(key.size()) + key.size() + 1 +
                           W::VarintSize(any_length) + any_length;
  w.KnownLengthHeader(field, kv_length);
  w.BytesField(1, key);  // checked above
  w.KnownLengthHeader(2, any_length);
  if constexpr (std::is_same_v<T, std::string_view>) {
    w.BytesField(1, value);  // string_value, checked above
  } else {
    WriteScalar(w, value);
  }
}

void WriteKeyValue(ProtobufWriter& w, uint32_t field, std::string_view key,
                   const AttributeValue& value) {
  switch (value.index()) {
    case 0:
      return WriteScalarKeyValue(w, field, key, std::get<bool>(value));
    case 1:
      return WriteScalarKeyValue(w, field, key, std::get<int64_t>(value));
    case 2:
      return WriteScalarKeyValue(w, field, key, std::get<double>(value));
    case 3:
      return WriteScalarKeyValue(
          w, field, key, std::string_view(std::get<std::string>(value)));
    default: {  // arrays: lengths patched in after
      size_t kv = w.BeginMessage(field);
      StringField(w, 1, key);
      WriteAnyValue(w, 2, value);
      w.EndMessage(kv);
    }
  }
}

// A borrowed value, as deferred attributes are listed.
void WriteKeyValue(ProtobufWriter& w, uint32_t field,
                   const AttributeKeyValue& attribute) {
  attribute.value.Visit([&](const auto& v) {
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, AttributeValue>) {
      WriteKeyValue(w, field, attribute.key, v);
    } else if constexpr (std::is_same_v<T, bool> ||
                         std::is_same_v<T, int64_t> ||
                         std::is_same_v<T, double> ||
                         std::is_same_v<T, std::string_view>) {
      WriteScalarKeyValue(w, field, attribute.key, v);
    } else {
      WriteKeyValue(w, field, attribute.key, AttributeValue(v));  // arrays
    }
  });
}

void WriteAttributes(ProtobufWriter& w, uint32_t field,
                     const Attributes& attributes) {
  for (const auto& attribute : attributes)
    WriteKeyValue(w, field, attribute.key.view(), attribute.value);
}

// A span's attributes still held as facts (see ExportsDeferredAttributes),
// written as ResolveDeferredAttributes would have set them after its own.
void WriteDeferredAttributes(ProtobufWriter& w, uint32_t field,
                             const detail::DeferredAttributes& deferred) {
  if (deferred.lister == nullptr) return;
  deferred.lister(deferred, [&](std::span<const AttributeKeyValue> listed) {
    for (const auto& attribute : listed) WriteKeyValue(w, field, attribute);
  });
}

void WriteSpanBody(ProtobufWriter& w, const SpanData& span) {
  const SpanContext& ctx = span.context;
  w.BytesField(1, Bytes(ctx.trace_id().bytes()));
  w.BytesField(2, Bytes(ctx.span_id().bytes()));
  w.OptionalBytesField(3, ctx.trace_state().header());
  if (span.parent_span_id.IsValid())
    w.BytesField(4, Bytes(span.parent_span_id.bytes()));
  StringField(w, 5, span.name);
  w.VarintField(6, static_cast<uint64_t>(span.kind));
  w.Fixed64Field(7, static_cast<uint64_t>(span.start_unix_nanos));
  w.Fixed64Field(8, static_cast<uint64_t>(span.end_unix_nanos));
  WriteAttributes(w, 9, span.attributes);
  WriteDeferredAttributes(w, 9, span.deferred);
  w.OptionalVarintField(10, span.dropped_attributes_count);
  for (const auto& event : span.events) {
    size_t e = w.BeginMessage(11);
    w.Fixed64Field(1, static_cast<uint64_t>(event.time_unix_nanos));
    StringField(w, 2, event.name);
    WriteAttributes(w, 3, event.attributes);
    w.OptionalVarintField(4, event.dropped_attributes_count);
    w.EndMessage(e);
  }
  w.OptionalVarintField(12, span.dropped_events_count);
  for (const auto& link : span.links) {
    size_t l = w.BeginMessage(13);
    w.BytesField(1, Bytes(link.context.trace_id().bytes()));
    w.BytesField(2, Bytes(link.context.span_id().bytes()));
    w.OptionalBytesField(3, link.context.trace_state().header());
    WriteAttributes(w, 4, link.attributes);
    w.OptionalVarintField(5, link.dropped_attributes_count);
    w.Fixed32Field(6, OtlpFlags(link.context.flags(), link.context.remote()));
    w.EndMessage(l);
  }
  w.OptionalVarintField(14, span.dropped_links_count);
  if (span.status_code != SpanStatusCode::kUnset ||
      !span.status_message.empty()) {
    size_t s = w.BeginMessage(15);
    OptionalStringField(w, 2, span.status_message);
    w.OptionalVarintField(3, static_cast<uint64_t>(span.status_code));
    w.EndMessage(s);
  }
  w.Fixed32Field(16, OtlpFlags(ctx.flags(), span.parent_is_remote));
}

// ---- JSON ----

void WriteJsonScalar(json::Writer& w, bool v) { w.Key("boolValue").Bool(v); }
void WriteJsonScalar(json::Writer& w, int64_t v) {
  w.Key("intValue")
      .String(std::to_string(v));  // int64 is a JSON string in proto3 mapping
}
void WriteJsonScalar(json::Writer& w, double v) {
  w.Key("doubleValue").Double(v);
}
void WriteJsonScalar(json::Writer& w, const std::string& v) {
  w.Key("stringValue").String(v);
}

void WriteJsonAnyValue(json::Writer& w, const AttributeValue& value) {
  w.BeginObject();
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, int64_t> ||
                      std::is_same_v<T, double> ||
                      std::is_same_v<T, std::string>) {
          WriteJsonScalar(w, v);
        } else {
          w.Key("arrayValue").BeginObject().Key("values").BeginArray();
          for (const auto& element : v) {
            using E = typename T::value_type;
            w.BeginObject();
            WriteJsonScalar(w, static_cast<E>(element));
            w.EndObject();
          }
          w.EndArray().EndObject();
        }
      },
      value);
  w.EndObject();
}

void WriteJsonKeyValue(json::Writer& w, std::string_view key,
                       const AttributeValue& value) {
  w.BeginObject().Key("key").String(key).Key("value");
  WriteJsonAnyValue(w, value);
  w.EndObject();
}

// `deferred`: a span's attributes still held as facts, after its own.
void WriteJsonAttributes(json::Writer& w, const Attributes& attributes,
                         const detail::DeferredAttributes* deferred = nullptr) {
  w.Key("attributes").BeginArray();
  for (const auto& attribute : attributes)
    WriteJsonKeyValue(w, attribute.key.view(), attribute.value);
  if (deferred != nullptr && deferred->lister != nullptr) {
    deferred->lister(*deferred, [&](std::span<const AttributeKeyValue> listed) {
      for (const auto& [key, value] : listed)
        WriteJsonKeyValue(w, key, value.ToValue());
    });
  }
  w.EndArray();
}

void WriteJsonSpan(json::Writer& w, const SpanData& span) {
  const SpanContext& ctx = span.context;
  w.BeginObject();
  w.Key("traceId").String(ctx.trace_id().ToHex());
  w.Key("spanId").String(ctx.span_id().ToHex());
  if (!ctx.trace_state().empty())
    w.Key("traceState").String(ctx.trace_state().header());
  if (span.parent_span_id.IsValid())
    w.Key("parentSpanId").String(span.parent_span_id.ToHex());
  w.Key("flags").Uint(OtlpFlags(ctx.flags(), span.parent_is_remote));
  w.Key("name").String(span.name);
  w.Key("kind").Uint(static_cast<uint64_t>(span.kind));
  w.Key("startTimeUnixNano").String(std::to_string(span.start_unix_nanos));
  w.Key("endTimeUnixNano").String(std::to_string(span.end_unix_nanos));
  WriteJsonAttributes(w, span.attributes, &span.deferred);
  if (span.dropped_attributes_count) {
    w.Key("droppedAttributesCount").Uint(span.dropped_attributes_count);
  }
  w.Key("events").BeginArray();
  for (const auto& event : span.events) {
    w.BeginObject();
    w.Key("timeUnixNano").String(std::to_string(event.time_unix_nanos));
    w.Key("name").String(event.name);
    WriteJsonAttributes(w, event.attributes);
    if (event.dropped_attributes_count) {
      w.Key("droppedAttributesCount").Uint(event.dropped_attributes_count);
    }
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
    if (!link.context.trace_state().empty()) {
      w.Key("traceState").String(link.context.trace_state().header());
    }
    WriteJsonAttributes(w, link.attributes);
    if (link.dropped_attributes_count) {
      w.Key("droppedAttributesCount").Uint(link.dropped_attributes_count);
    }
    w.Key("flags").Uint(OtlpFlags(link.context.flags(), link.context.remote()));
    w.EndObject();
  }
  w.EndArray();
  if (span.dropped_links_count)
    w.Key("droppedLinksCount").Uint(span.dropped_links_count);
  w.Key("status").BeginObject();
  if (!span.status_message.empty())
    w.Key("message").String(span.status_message);
  if (span.status_code != SpanStatusCode::kUnset) {
    w.Key("code").Uint(static_cast<uint64_t>(span.status_code));
  }
  w.EndObject();
  w.EndObject();
}

// Scratch writer reused per thread, so steady-state encoding allocates nothing.
ProtobufWriter& ScratchWriter() {
  thread_local ProtobufWriter writer;
  writer.Clear();
  return writer;
}

}  // namespace

void EncodeAttributesProtobuf(ProtobufWriter& w, uint32_t field,
                              const Attributes& attributes) {
  WriteAttributes(w, field, attributes);
}
void EncodeAttributesJson(json::Writer& w, const Attributes& attributes) {
  WriteJsonAttributes(w, attributes);
}

void EncodeSpanProtobuf(const SpanData& span, std::string& out) {
  ProtobufWriter& w = ScratchWriter();
  WriteSpanBody(w, span);
  out.append(w.view());
}

void EncodeProtobuf(std::span<const std::unique_ptr<SpanData>> spans,
                    std::string& out) {
  // Each Resource field and each ScopeSpans body is encoded as a run of its
  // own; the request is then assembled in `out`, the enclosing ResourceSpans
  // and ScopeSpans lengths, known by then, written in front of the runs.
  // Closing those messages in place would move the whole batch (hundreds of
  // kilobytes) by a few bytes, twice.
  ProtobufWriter& w = ScratchWriter();
  static const Resource kEmptyResource;
  static const InstrumentationScope kEmptyScope;
  struct Run {
    size_t begin, end;
    size_t size() const { return end - begin; }
  };
  const auto groups = Group(spans);
  std::vector<Run> runs;  // per resource: its Resource field, its ScopeSpans
  for (const auto& rg : groups) {
    size_t begin = w.size();
    size_t resource = w.BeginMessage(1);
    WriteAttributes(w, 1,
                    (rg.resource ? *rg.resource : kEmptyResource).attributes());
    w.EndMessage(resource);
    runs.push_back({begin, w.size()});
    for (const auto& sg : rg.scopes) {
      const InstrumentationScope& scope = sg.scope ? *sg.scope : kEmptyScope;
      begin = w.size();
      size_t scope_message = w.BeginMessage(1);
      OptionalStringField(w, 1, scope.name);
      OptionalStringField(w, 2, scope.version);
      w.EndMessage(scope_message);
      for (const SpanData* span : sg.spans) {
        size_t span_message = w.BeginLargeMessage(2);
        WriteSpanBody(w, *span);
        w.EndLargeMessage(span_message);
      }
      OptionalStringField(w, 3, scope.schema_url);  // ScopeSpans.schema_url
      runs.push_back({begin, w.size()});
    }
  }
  const std::string_view encoded = w.view();
  out.reserve(out.size() + encoded.size() + 22 * runs.size());
  const auto append_header = [&out](uint32_t field, size_t length) {
    char header[20];
    char* p = ProtobufWriter::PutVarint(
        header, (uint64_t{field} << 3) | ProtobufWriter::kLen);
    p = ProtobufWriter::PutVarint(p, length);
    out.append(header, static_cast<size_t>(p - header));
  };
  const auto append_run = [&out, encoded](Run run) {
    out.append(encoded.substr(run.begin, run.size()));
  };
  size_t next_run = 0;
  for (const auto& rg : groups) {
    const Run resource = runs[next_run];
    const std::span<const Run> scope_runs(runs.data() + next_run + 1,
                                          rg.scopes.size());
    next_run += 1 + rg.scopes.size();
    size_t resource_spans_length = resource.size();
    for (const Run& scope_spans : scope_runs) {
      resource_spans_length += 1 +
                               ProtobufWriter::VarintSize(scope_spans.size()) +
                               scope_spans.size();
    }
    append_header(1, resource_spans_length);  // ResourceSpans
    append_run(resource);
    for (const Run& scope_spans : scope_runs) {
      append_header(2, scope_spans.size());  // ScopeSpans
      append_run(scope_spans);
    }
  }
}

void EncodeJson(std::span<const std::unique_ptr<SpanData>> spans,
                std::string& out) {
  json::Writer w(out);
  static const Resource kEmptyResource;
  w.BeginObject().Key("resourceSpans").BeginArray();
  for (const auto& rg : Group(spans)) {
    w.BeginObject().Key("resource").BeginObject();
    WriteJsonAttributes(
        w, (rg.resource ? *rg.resource : kEmptyResource).attributes());
    w.EndObject();
    w.Key("scopeSpans").BeginArray();
    for (const auto& sg : rg.scopes) {
      w.BeginObject().Key("scope").BeginObject();
      if (sg.scope != nullptr) {
        w.Key("name").String(sg.scope->name);
        if (!sg.scope->version.empty())
          w.Key("version").String(sg.scope->version);
      }
      w.EndObject();
      w.Key("spans").BeginArray();
      for (const SpanData* span : sg.spans) WriteJsonSpan(w, *span);
      w.EndArray();
      if (sg.scope != nullptr && !sg.scope->schema_url.empty())
        w.Key("schemaUrl").String(sg.scope->schema_url);
      w.EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray().EndObject();
}

std::optional<PartialSuccess> DecodeResponseProtobuf(std::string_view body) {
  PartialSuccess result;
  ProtobufReader response(body);
  uint32_t field, type;
  while (response.Next(field, type)) {
    if (field != 1 || type != ProtobufWriter::kLen) {  // partial_success
      response.Skip(type);
      continue;
    }
    ProtobufReader partial(response.Bytes());
    while (partial.Next(field, type)) {
      if (field == 1 && type == ProtobufWriter::kVarint) {
        result.rejected = static_cast<int64_t>(partial.Varint());
      } else if (field == 2 && type == ProtobufWriter::kLen) {
        result.error_message = std::string(partial.Bytes());
      } else {
        partial.Skip(type);
      }
    }
    if (!partial.ok()) return std::nullopt;
  }
  if (!response.ok()) return std::nullopt;
  return result;
}

std::string DecodeStatusMessage(std::string_view body, bool json) {
  std::string message;
  if (json) {
    auto parsed =
        nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object()) {
      if (auto m = parsed.find("message"); m != parsed.end() && m->is_string())
        message = m->get<std::string>();
    }
    return message;
  }
  ProtobufReader status(body);
  uint32_t field, type;
  while (status.Next(field, type)) {
    if (field == 2 && type == ProtobufWriter::kLen) {
      message = std::string(status.Bytes());
    } else {
      status.Skip(type);
    }
  }
  return status.ok() ? message : std::string();
}

std::optional<std::chrono::milliseconds> DecodeRetryDelay(
    std::string_view status) {
  constexpr std::string_view kRetryInfo = "/google.rpc.RetryInfo";
  ProtobufReader reader(status);
  uint32_t field, type;
  while (reader.Next(field, type)) {
    if (field != 3 || type != ProtobufWriter::kLen) {  // details: Any
      reader.Skip(type);
      continue;
    }
    ProtobufReader any(reader.Bytes());
    std::string_view type_url, value;
    while (any.Next(field, type)) {
      if (field == 1 && type == ProtobufWriter::kLen) {
        type_url = any.Bytes();
      } else if (field == 2 && type == ProtobufWriter::kLen) {
        value = any.Bytes();
      } else {
        any.Skip(type);
      }
    }
    if (!any.ok() || !type_url.ends_with(kRetryInfo)) continue;
    ProtobufReader retry_info(value);  // retry_delay: Duration
    while (retry_info.Next(field, type)) {
      if (field != 1 || type != ProtobufWriter::kLen) {
        retry_info.Skip(type);
        continue;
      }
      ProtobufReader duration(retry_info.Bytes());
      int64_t seconds = 0, nanos = 0;
      while (duration.Next(field, type)) {
        if (field == 1 && type == 0) {
          seconds = static_cast<int64_t>(duration.Varint());
        } else if (field == 2 && type == 0) {
          nanos = static_cast<int32_t>(duration.Varint());
        } else {
          duration.Skip(type);
        }
      }
      // A day at most: a larger or negative delay is not one to wait for.
      if (!duration.ok() || seconds < 0 || nanos < 0 || seconds > 86400)
        return std::nullopt;
      return std::chrono::milliseconds(seconds * 1000 + nanos / 1'000'000);
    }
  }
  return std::nullopt;
}

std::optional<PartialSuccess> DecodeResponseJson(std::string_view body) {
  if (body.empty()) return PartialSuccess{};
  auto parsed =
      nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  PartialSuccess result;
  auto partial = parsed.find("partialSuccess");
  if (partial == parsed.end() || !partial->is_object()) return result;
  // The traces response counts spans, the metrics one data points.
  for (const char* name : {"rejectedSpans", "rejectedDataPoints"}) {
    auto rejected = partial->find(name);
    if (rejected == partial->end()) continue;
    if (rejected->is_string()) {
      result.rejected =
          std::strtoll(rejected->get<std::string>().c_str(), nullptr, 10);
    } else if (rejected->is_number_integer()) {
      result.rejected = rejected->get<int64_t>();
    }
  }
  if (auto message = partial->find("errorMessage");
      message != partial->end() && message->is_string()) {
    result.error_message = message->get<std::string>();
  }
  return result;
}

}  // namespace kafkatrace::otlp
