// StoredSpan: one span as the collector keeps it, flattened for SQLite and the
// JSON API. Ids are lowercase hex; attributes, events and links are JSON text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kafkatrace::collector {

struct StoredSpan {
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;  // empty for a root span
  std::string trace_state;
  std::string service;
  std::string scope;
  std::string name;
  int kind = 0;  // OTLP SpanKind
  int64_t start_unix_nanos = 0;
  int64_t end_unix_nanos = 0;
  int status_code = 0;
  std::string status_message;
  std::string attributes_json = "{}";  // {"key": value, ...}
  std::string events_json = "[]";  // [{"name", "time_unix_nano", "attributes"}]
  std::string links_json = "[]";   // [{"trace_id", "span_id", "attributes"}]
  std::string topic;               // messaging.destination.name, if any
};

}  // namespace kafkatrace::collector
