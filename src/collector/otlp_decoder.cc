#include "collector/otlp_decoder.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/json_writer.h"
#include "otlp/protobuf_reader.h"

namespace kafkatrace::collector {
namespace {

using Reader = otlp::ProtobufReader;

// A span's topic: messaging.destination.name, or failing that the
// messaging.destination of conventions before 1.17 (older SDKs still send it).
void NoteTopic(std::string_view key, const std::string& value,
               std::string& topic) {
  if (key == "messaging.destination.name") {
    topic = value;
  } else if (key == "messaging.destination" && topic.empty()) {
    topic = value;
  }
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

bool ParseAnyValue(std::string_view bytes, json::Writer& w,
                   std::string* string_value, std::string& error, int depth);

bool ParseArray(std::string_view bytes, json::Writer& w, std::string& error,
                int depth) {
  Reader r(bytes);
  w.BeginArray();
  uint32_t field, type;
  while (r.Next(field, type)) {
    if (field == 1 && r.Expect(type, 2, "ArrayValue.values")) {
      if (!ParseAnyValue(r.Bytes(), w, nullptr, error, depth + 1)) return false;
    } else {
      r.Skip(type);
    }
  }
  w.EndArray();
  if (!r.ok()) error = r.error();
  return r.ok();
}

bool ParseKeyValues(std::string_view bytes, uint32_t want_field,
                    json::Writer& w, std::string* topic, std::string* service,
                    std::string& error, int depth);

// Writes the AnyValue as a JSON value; `string_value` receives a string_value
// if non-null.
bool ParseAnyValue(std::string_view bytes, json::Writer& w,
                   std::string* string_value, std::string& error, int depth) {
  if (depth > 16) {
    error = "values nested too deeply";
    return false;
  }
  Reader r(bytes);
  uint32_t field, type;
  bool wrote = false;
  while (r.Next(field, type)) {
    if (wrote) {  // a oneof: the last one wins in protobuf; keep the first,
                  // skip the rest
      r.Skip(type);
      continue;
    }
    switch (field) {
      case 1:
        if (r.Expect(type, 2, "string_value")) {
          std::string_view s = r.Bytes();
          w.String(s);
          if (string_value) *string_value = std::string(s);
          wrote = true;
        }
        break;
      case 2:
        if (r.Expect(type, 0, "bool_value")) {
          w.Bool(r.Varint() != 0);
          wrote = true;
        }
        break;
      case 3:
        if (r.Expect(type, 0, "int_value")) {
          w.Int(static_cast<int64_t>(r.Varint()));
          wrote = true;
        }
        break;
      case 4:
        if (r.Expect(type, 1, "double_value")) {
          uint64_t bits = r.Fixed64();
          double d;
          std::memcpy(&d, &bits, 8);
          w.Double(d);
          wrote = true;
        }
        break;
      case 5:
        if (r.Expect(type, 2, "array_value")) {
          if (!ParseArray(r.Bytes(), w, error, depth)) return false;
          wrote = true;
        }
        break;
      case 6:
        if (r.Expect(type, 2, "kvlist_value")) {
          w.BeginObject();
          if (!ParseKeyValues(r.Bytes(), 1, w, nullptr, nullptr, error,
                              depth + 1))
            return false;
          w.EndObject();
          wrote = true;
        }
        break;
      case 7:
        if (r.Expect(type, 2, "bytes_value")) {
          w.String(Hex(r.Bytes()));
          wrote = true;
        }
        break;
      default:
        r.Skip(type);
    }
  }
  if (!wrote) w.Null();
  if (!r.ok()) error = r.error();
  return r.ok();
}

// Reads repeated KeyValue messages at `want_field` of `bytes` into an open JSON
// object.
bool ParseKeyValues(std::string_view bytes, uint32_t want_field,
                    json::Writer& w, std::string* topic, std::string* service,
                    std::string& error, int depth) {
  Reader r(bytes);
  uint32_t field, type;
  while (r.Next(field, type)) {
    if (field != want_field) {
      r.Skip(type);
      continue;
    }
    if (!r.Expect(type, 2, "KeyValue")) break;
    Reader kv(r.Bytes());
    std::string key;
    std::string_view value;
    uint32_t f, t;
    while (kv.Next(f, t)) {
      if (f == 1 && kv.Expect(t, 2, "KeyValue.key"))
        key = std::string(kv.Bytes());
      else if (f == 2 && kv.Expect(t, 2, "KeyValue.value"))
        value = kv.Bytes();
      else
        kv.Skip(t);
    }
    if (!kv.ok()) {
      error = kv.error();
      return false;
    }
    w.Key(key);
    std::string string_value;
    if (!ParseAnyValue(value, w, &string_value, error, depth)) return false;
    if (topic) NoteTopic(key, string_value, *topic);
    if (service && key == "service.name") *service = string_value;
  }
  if (!r.ok()) error = r.error();
  return r.ok();
}

std::string AttributesJson(std::string_view message, uint32_t field,
                           std::string* topic, std::string* service,
                           std::string& error, bool& ok) {
  std::string out;
  json::Writer w(out);
  w.BeginObject();
  ok = ParseKeyValues(message, field, w, topic, service, error, 0);
  w.EndObject();
  return out;
}

// A span's name as JSON quotes it, so that a reason quoting an untrusted name
// stays valid UTF-8 (OTLP's error_message and Status.message are proto3
// strings) and shows control characters.
std::string Quoted(std::string_view name) {
  constexpr size_t kMaxShown = 80;
  std::string out;
  json::AppendString(out, name.substr(0, kMaxShown));
  if (name.size() > kMaxShown) out.insert(out.size() - 1, "...");
  return out;
}

bool AllZero(std::string_view hex) {
  return hex.find_first_not_of('0') == std::string_view::npos;
}

bool IsHex(std::string_view s, size_t size) {
  if (s.size() != size) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// OTLP's rules for a span's ids (already lower-case hex): a trace id of 16
// bytes and a span id of 8, neither all zeros; a parent id empty or 8 bytes.
// An all-zero parent id is taken as "no parent", as some senders write it.
// Sets `error` to "span <name> has <what>"; false, for returning.
bool Fail(std::string& error, const StoredSpan& span, const char* what) {
  error = "span " + Quoted(span.name) + " has " + what;
  return false;
}

bool CheckIds(StoredSpan& span, std::string& error) {
  if (!IsHex(span.trace_id, 32) || AllZero(span.trace_id))
    return Fail(error, span, "no valid trace id (16 bytes, not all zero)");
  if (!IsHex(span.span_id, 16) || AllZero(span.span_id))
    return Fail(error, span, "no valid span id (8 bytes, not all zero)");
  if (!span.parent_span_id.empty() && !IsHex(span.parent_span_id, 16))
    return Fail(error, span, "a parent span id of other than 8 bytes");
  if (AllZero(span.parent_span_id)) span.parent_span_id.clear();
  return true;
}

bool Malformed(const StoredSpan& span, std::string& error) {
  error = "malformed span " + Quoted(span.name) + ": " + error;
  return false;
}

// One protobuf Span message; false with a reason if it must be rejected.
bool ParseSpan(std::string_view bytes, StoredSpan& span, std::string& error) {
  Reader r(bytes);
  uint32_t field, type;
  std::string events, links;
  json::Writer events_writer(events), links_writer(links);
  events_writer.BeginArray();
  links_writer.BeginArray();
  bool ok = true;
  while (ok && r.Next(field, type)) {
    switch (field) {
      case 1:
        if (r.Expect(type, 2, "trace_id")) span.trace_id = Hex(r.Bytes());
        break;
      case 2:
        if (r.Expect(type, 2, "span_id")) span.span_id = Hex(r.Bytes());
        break;
      case 3:
        if (r.Expect(type, 2, "trace_state"))
          span.trace_state = std::string(r.Bytes());
        break;
      case 4:
        if (r.Expect(type, 2, "parent_span_id"))
          span.parent_span_id = Hex(r.Bytes());
        break;
      case 5:
        if (r.Expect(type, 2, "name")) span.name = std::string(r.Bytes());
        break;
      case 6:
        if (r.Expect(type, 0, "kind")) span.kind = static_cast<int>(r.Varint());
        break;
      case 7:
        if (r.Expect(type, 1, "start_time_unix_nano"))
          span.start_unix_nanos = static_cast<int64_t>(r.Fixed64());
        break;
      case 8:
        if (r.Expect(type, 1, "end_time_unix_nano"))
          span.end_unix_nanos = static_cast<int64_t>(r.Fixed64());
        break;
      case 9:
        r.Skip(type);
        break;  // attributes: read in a second pass below
      case 11:
        if (r.Expect(type, 2, "events")) {
          std::string_view event_bytes = r.Bytes();
          Reader e(event_bytes);
          std::string name;
          int64_t time = 0;
          uint32_t f, t;
          while (e.Next(f, t)) {
            if (f == 1 && e.Expect(t, 1, "event time")) {
              time = static_cast<int64_t>(e.Fixed64());
            } else if (f == 2 && e.Expect(t, 2, "event name")) {
              name = std::string(e.Bytes());
            } else {
              e.Skip(t);
            }
          }
          if (!e.ok()) {
            error = e.error();
            ok = false;
            break;
          }
          events_writer.BeginObject().Key("name").String(name);
          events_writer.Key("time_unix_nano").Int(time).Key("attributes");
          events_writer.Raw(
              AttributesJson(event_bytes, 3, nullptr, nullptr, error, ok));
          events_writer.EndObject();
        }
        break;
      case 13:
        if (r.Expect(type, 2, "links")) {
          std::string_view link_bytes = r.Bytes();
          Reader l(link_bytes);
          std::string trace_id, span_id;
          uint32_t f, t;
          while (l.Next(f, t)) {
            if (f == 1 && l.Expect(t, 2, "link trace_id"))
              trace_id = Hex(l.Bytes());
            else if (f == 2 && l.Expect(t, 2, "link span_id"))
              span_id = Hex(l.Bytes());
            else
              l.Skip(t);
          }
          if (!l.ok()) {
            error = l.error();
            ok = false;
            break;
          }
          links_writer.BeginObject()
              .Key("trace_id")
              .String(trace_id)
              .Key("span_id")
              .String(span_id);
          links_writer.Key("attributes");
          links_writer.Raw(
              AttributesJson(link_bytes, 4, nullptr, nullptr, error, ok));
          links_writer.EndObject();
        }
        break;
      case 15:
        if (r.Expect(type, 2, "status")) {
          Reader s(r.Bytes());
          uint32_t f, t;
          while (s.Next(f, t)) {
            if (f == 2 && s.Expect(t, 2, "status message"))
              span.status_message = std::string(s.Bytes());
            else if (f == 3 && s.Expect(t, 0, "status code"))
              span.status_code = static_cast<int>(s.Varint());
            else
              s.Skip(t);
          }
          if (!s.ok()) {
            error = s.error();
            ok = false;
          }
        }
        break;
      default:
        r.Skip(type);
    }
  }
  if (!r.ok()) error = r.error();
  if (!r.ok() || !ok) return Malformed(span, error);
  events_writer.EndArray();
  links_writer.EndArray();
  span.events_json = events;
  span.links_json = links;
  span.attributes_json =
      AttributesJson(bytes, 9, &span.topic, nullptr, error, ok);
  if (!ok) return Malformed(span, error);
  return CheckIds(span, error);
}

}  // namespace

bool ReadAttributesProtobuf(std::string_view message, uint32_t field,
                            std::string& json_out, std::string* service,
                            std::string& error) {
  bool ok = true;
  json_out = AttributesJson(message, field, nullptr, service, error, ok);
  return ok;
}

Result<DecodedSpans> DecodeOtlpProtobuf(std::string_view body) {
  DecodedSpans decoded;
  std::string error;
  Reader request(body);
  uint32_t field, type;
  while (request.Next(field, type)) {
    if (field != 1) {
      request.Skip(type);
      continue;
    }
    if (!request.Expect(type, 2, "resource_spans")) break;
    std::string_view resource_spans = request.Bytes();
    Reader rs(resource_spans);
    std::string service;
    uint32_t f, t;
    // First the resource (service.name), then the scopes.
    Reader first(resource_spans);
    while (first.Next(f, t)) {
      if (f == 1 && first.Expect(t, 2, "resource")) {
        bool ok = true;
        (void)AttributesJson(first.Bytes(), 1, nullptr, &service, error, ok);
        if (!ok) return Status::InvalidArgument("malformed resource: " + error);
      } else {
        first.Skip(t);
      }
    }
    if (!first.ok())
      return Status::InvalidArgument("malformed ResourceSpans: " +
                                     first.error());
    while (rs.Next(f, t)) {
      if (f != 2) {
        rs.Skip(t);
        continue;
      }
      if (!rs.Expect(t, 2, "scope_spans")) break;
      Reader ss(rs.Bytes());
      std::string scope;
      std::vector<std::string_view> span_messages;
      uint32_t g, u;
      while (ss.Next(g, u)) {
        if (g == 1 && ss.Expect(u, 2, "scope")) {
          Reader sc(ss.Bytes());
          uint32_t h, v;
          while (sc.Next(h, v)) {
            if (h == 1 && sc.Expect(v, 2, "scope name"))
              scope = std::string(sc.Bytes());
            else
              sc.Skip(v);
          }
        } else if (g == 2 && ss.Expect(u, 2, "spans")) {
          span_messages.push_back(ss.Bytes());
        } else {
          ss.Skip(u);
        }
      }
      if (!ss.ok())
        return Status::InvalidArgument("malformed ScopeSpans: " + ss.error());
      for (std::string_view message : span_messages) {
        StoredSpan span;
        span.service = service;
        span.scope = scope;
        std::string reason;
        if (ParseSpan(message, span, reason)) {
          decoded.spans.push_back(std::move(span));
        } else {
          decoded.Reject(reason);
        }
      }
    }
    if (!rs.ok())
      return Status::InvalidArgument("malformed ResourceSpans: " + rs.error());
  }
  if (!request.ok())
    return Status::InvalidArgument("malformed request: " + request.error());
  return decoded;
}

namespace {

using nlohmann::json;

bool JsonAnyValue(const json& value, kafkatrace::json::Writer& w,
                  std::string* string_value, int depth) {
  if (!value.is_object() || depth > 16) return false;
  if (auto it = value.find("stringValue");
      it != value.end() && it->is_string()) {
    w.String(it->get_ref<const std::string&>());
    if (string_value) *string_value = it->get<std::string>();
  } else if (auto b = value.find("boolValue");
             b != value.end() && b->is_boolean()) {
    w.Bool(b->get<bool>());
  } else if (auto i = value.find("intValue"); i != value.end()) {
    if (i->is_string()) {
      w.Int(
          std::strtoll(i->get_ref<const std::string&>().c_str(), nullptr, 10));
    } else if (i->is_number_integer()) {
      w.Int(i->get<int64_t>());
    } else {
      return false;
    }
  } else if (auto d = value.find("doubleValue");
             d != value.end() && d->is_number()) {
    w.Double(d->get<double>());
  } else if (auto a = value.find("arrayValue");
             a != value.end() && a->is_object()) {
    w.BeginArray();
    if (auto values = a->find("values"); values != a->end()) {
      if (!values->is_array()) return false;
      for (const auto& v : *values) {
        if (!JsonAnyValue(v, w, nullptr, depth + 1)) return false;
      }
    }
    w.EndArray();
  } else if (auto k = value.find("kvlistValue");
             k != value.end() && k->is_object()) {
    w.BeginObject();
    if (auto values = k->find("values"); values != k->end()) {
      if (!values->is_array()) return false;
      for (const auto& kv : *values) {
        if (!kv.is_object() || !kv.contains("key") || !kv["key"].is_string())
          return false;
        w.Key(kv["key"].get<std::string>());
        if (!kv.contains("value") ||
            !JsonAnyValue(kv["value"], w, nullptr, depth + 1))
          return false;
      }
    }
    w.EndObject();
  } else if (auto y = value.find("bytesValue");
             y != value.end() && y->is_string()) {
    w.String(y->get<std::string>());  // base64, as sent
  } else {
    w.Null();
  }
  return true;
}

// The string at `key`, or "" when absent or not a string (json::value would
// throw for another type).
std::string StringField(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string()
             ? it->get_ref<const std::string&>()
             : std::string();
}

// Attributes array -> JSON object text; false if malformed.
bool JsonAttributes(const json& holder, std::string& out, std::string* topic,
                    std::string* service) {
  kafkatrace::json::Writer w(out);
  w.BeginObject();
  if (auto attrs = holder.find("attributes"); attrs != holder.end()) {
    if (!attrs->is_array()) return false;
    for (const auto& kv : *attrs) {
      if (!kv.is_object() || !kv.contains("key") || !kv["key"].is_string())
        return false;
      const std::string key = kv["key"].get<std::string>();
      w.Key(key);
      std::string string_value;
      if (!kv.contains("value")) {
        w.Null();
      } else if (!JsonAnyValue(kv["value"], w, &string_value, 0)) {
        return false;
      }
      if (topic) NoteTopic(key, string_value, *topic);
      if (service && key == "service.name") *service = string_value;
    }
  }
  w.EndObject();
  return true;
}

std::string Lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int64_t JsonNanos(const json& v) {
  if (v.is_string())
    return std::strtoll(v.get_ref<const std::string&>().c_str(), nullptr, 10);
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_unsigned()) return static_cast<int64_t>(v.get<uint64_t>());
  return 0;
}

// One OTLP/JSON span; false with a reason if it must be rejected.
bool ParseJsonSpan(const json& s, StoredSpan& span, std::string& error) {
  auto text = [&](const char* key) { return StringField(s, key); };
  span.trace_id = Lower(text("traceId"));
  span.span_id = Lower(text("spanId"));
  span.parent_span_id = Lower(text("parentSpanId"));
  span.trace_state = text("traceState");
  span.name = text("name");
  if (!CheckIds(span, error)) return false;
  if (auto kind = s.find("kind");
      kind != s.end() && kind->is_number_integer()) {
    span.kind = kind->get<int>();
  }
  if (s.contains("startTimeUnixNano"))
    span.start_unix_nanos = JsonNanos(s["startTimeUnixNano"]);
  if (s.contains("endTimeUnixNano"))
    span.end_unix_nanos = JsonNanos(s["endTimeUnixNano"]);
  span.attributes_json.clear();
  if (!JsonAttributes(s, span.attributes_json, &span.topic, nullptr))
    return Fail(error, span, "malformed attributes");
  std::string events;
  kafkatrace::json::Writer ew(events);
  ew.BeginArray();
  if (auto list_events = s.find("events");
      list_events != s.end() && list_events->is_array()) {
    for (const auto& e : *list_events) {
      if (!e.is_object()) return Fail(error, span, "a malformed event");
      std::string attrs;
      if (!JsonAttributes(e, attrs, nullptr, nullptr))
        return Fail(error, span, "a malformed event");
      ew.BeginObject().Key("name").String(StringField(e, "name"));
      ew.Key("time_unix_nano")
          .Int(e.contains("timeUnixNano") ? JsonNanos(e["timeUnixNano"]) : 0);
      ew.Key("attributes").Raw(attrs).EndObject();
    }
  }
  ew.EndArray();
  span.events_json = events;
  std::string links;
  kafkatrace::json::Writer lw(links);
  lw.BeginArray();
  if (auto list_links = s.find("links");
      list_links != s.end() && list_links->is_array()) {
    for (const auto& l : *list_links) {
      if (!l.is_object()) return Fail(error, span, "a malformed link");
      std::string attrs;
      if (!JsonAttributes(l, attrs, nullptr, nullptr))
        return Fail(error, span, "a malformed link");
      lw.BeginObject().Key("trace_id").String(Lower(StringField(l, "traceId")));
      lw.Key("span_id").String(Lower(StringField(l, "spanId")));
      lw.Key("attributes").Raw(attrs).EndObject();
    }
  }
  lw.EndArray();
  span.links_json = links;
  if (auto status = s.find("status");
      status != s.end() && status->is_object()) {
    if (auto code = status->find("code");
        code != status->end() && code->is_number_integer()) {
      span.status_code = code->get<int>();
    }
    span.status_message = StringField(*status, "message");
  }
  return true;
}

Result<DecodedSpans> DecodeJsonBody(std::string_view body) {
  auto request = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded())
    return Status::InvalidArgument("body is not valid JSON");
  if (!request.is_object())
    return Status::InvalidArgument("body is not a JSON object");
  DecodedSpans decoded;
  auto resource_spans = request.find("resourceSpans");
  if (resource_spans == request.end()) return decoded;
  if (!resource_spans->is_array())
    return Status::InvalidArgument("resourceSpans is not an array");
  for (const auto& rs : *resource_spans) {
    if (!rs.is_object())
      return Status::InvalidArgument("resourceSpans entry is not an object");
    std::string service, ignored;
    if (auto resource = rs.find("resource"); resource != rs.end()) {
      if (!resource->is_object() ||
          !JsonAttributes(*resource, ignored, nullptr, &service)) {
        return Status::InvalidArgument("malformed resource");
      }
    }
    auto scope_spans = rs.find("scopeSpans");
    if (scope_spans == rs.end()) continue;
    if (!scope_spans->is_array())
      return Status::InvalidArgument("scopeSpans is not an array");
    for (const auto& ss : *scope_spans) {
      if (!ss.is_object())
        return Status::InvalidArgument("scopeSpans entry is not an object");
      std::string scope;
      if (auto sc = ss.find("scope"); sc != ss.end() && sc->is_object() &&
                                      sc->contains("name") &&
                                      (*sc)["name"].is_string()) {
        scope = (*sc)["name"].get<std::string>();
      }
      auto list = ss.find("spans");
      if (list == ss.end()) continue;
      if (!list->is_array())
        return Status::InvalidArgument("spans is not an array");
      for (const auto& s : *list) {
        StoredSpan span;
        span.service = service;
        span.scope = scope;
        std::string error;
        if (!s.is_object()) {
          decoded.Reject("a span is not a JSON object");
        } else if (!ParseJsonSpan(s, span, error)) {
          decoded.Reject(error);
        } else {
          decoded.spans.push_back(std::move(span));
        }
      }
    }
  }
  return decoded;
}

}  // namespace

bool ReadAttributesJson(const nlohmann::json& holder, std::string& json_out,
                        std::string* service) {
  json_out.clear();
  return JsonAttributes(holder, json_out, nullptr, service);
}

int64_t ReadJsonInt(const nlohmann::json& value) { return JsonNanos(value); }

Result<DecodedSpans> DecodeOtlpJson(std::string_view body) {
  // Every access above checks types first; this only keeps a missed check
  // from escaping as an exception (the fuzzer treats this reason as a bug).
  try {
    return DecodeJsonBody(body);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string(kUnexpectedJson) + e.what());
  }
}

}  // namespace kafkatrace::collector
