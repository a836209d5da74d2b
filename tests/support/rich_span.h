// A span that uses every feature SpanData has, for exporter tests.
#pragma once

#include <memory>

#include "kafkatrace/resource.h"
#include "kafkatrace/span_data.h"

namespace kafkatrace::testing {

inline const Resource& RichResource() {
  static const Resource resource(
      Attributes{{"service.name", std::string("orders")},
                 {"deployment.environment", std::string("test")}});
  return resource;
}
inline const InstrumentationScope& RichScope() {
  static const InstrumentationScope scope{
      "kafkatrace.kafka", "0.1.0", "https://opentelemetry.io/schemas/1.44.0"};
  return scope;
}

inline std::unique_ptr<SpanData> RichSpan() {
  auto span = std::make_unique<SpanData>();
  span->context =
      SpanContext(TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
                  SpanId::FromHex("00f067aa0ba902b7").value(), 0x03, false,
                  TraceState::Parse("vendor=abc,other=1").value());
  span->parent_span_id = SpanId::FromHex("1122334455667788").value();
  span->parent_is_remote = true;
  span->name = "send orders";
  span->kind = SpanKind::kProducer;
  span->start_unix_nanos = 1'700'000'000'123'456'789;
  span->end_unix_nanos = 1'700'000'000'223'456'789;
  span->attributes = {{"messaging.system", std::string("kafka")},
                      {"empty", std::string("")},
                      {"messaging.kafka.offset", int64_t{-42}},
                      {"tombstone", false},
                      {"ratio", 0.25},
                      {"tags", std::vector<std::string>{"a", "b"}},
                      {"flags", std::vector<bool>{true, false}},
                      {"sizes", std::vector<int64_t>{1, 300}},
                      {"weights", std::vector<double>{0.5, 1.5}},
                      {"long", std::string(300, 'x')}};
  span->dropped_attributes_count = 3;
  span->events.push_back({"exception",
                          1'700'000'000'150'000'000,
                          {{"exception.type", std::string("E")}},
                          1});
  span->dropped_events_count = 2;
  span->links.push_back(
      {SpanContext(TraceId::FromHex("0af7651916cd43dd8448eb211c80319c").value(),
                   SpanId::FromHex("b7ad6b7169203331").value(), 0x01, true,
                   TraceState::Parse("l=1").value()),
       {{"messaging.kafka.offset", int64_t{7}}},
       4});
  span->dropped_links_count = 5;
  span->status_code = SpanStatusCode::kError;
  span->status_message = "broker down";
  span->resource = &RichResource();
  span->scope = &RichScope();
  return span;
}

}  // namespace kafkatrace::testing
