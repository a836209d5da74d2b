#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "collector/kafka_hops.h"
#include "collector/otlp_decoder.h"
#include "collector/otlp_receiver.h"
#include "collector/span_store.h"
#include "otlp/otlp_encoder.h"
#include "otlp/protobuf_writer.h"
#include "support/rich_span.h"

namespace kafkatrace::collector {
namespace {

std::vector<std::unique_ptr<SpanData>> Batch() {
  std::vector<std::unique_ptr<SpanData>> batch;
  batch.push_back(testing::RichSpan());
  return batch;
}

void ExpectRich(const StoredSpan& s) {
  EXPECT_EQ(s.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(s.span_id, "00f067aa0ba902b7");
  EXPECT_EQ(s.parent_span_id, "1122334455667788");
  EXPECT_EQ(s.trace_state, "vendor=abc,other=1");
  EXPECT_EQ(s.service, "orders");
  EXPECT_EQ(s.scope, "kafkatrace.kafka");
  EXPECT_EQ(s.name, "send orders");
  EXPECT_EQ(s.kind, 4);
  EXPECT_EQ(s.start_unix_nanos, 1'700'000'000'123'456'789);
  EXPECT_EQ(s.end_unix_nanos, 1'700'000'000'223'456'789);
  EXPECT_EQ(s.status_code, 2);
  EXPECT_EQ(s.status_message, "broker down");
  EXPECT_EQ(s.topic, "");  // the rich span has no messaging.destination.name
  auto attributes = nlohmann::json::parse(s.attributes_json);
  EXPECT_EQ(attributes["messaging.kafka.offset"], -42);
  EXPECT_EQ(attributes["tombstone"], false);
  EXPECT_EQ(attributes["tags"][1], "b");
  EXPECT_EQ(attributes["ratio"], 0.25);
  auto events = nlohmann::json::parse(s.events_json);
  EXPECT_EQ(events[0]["name"], "exception");
  EXPECT_EQ(events[0]["attributes"]["exception.type"], "E");
  auto links = nlohmann::json::parse(s.links_json);
  EXPECT_EQ(links[0]["span_id"], "b7ad6b7169203331");
  EXPECT_EQ(links[0]["attributes"]["messaging.kafka.offset"], 7);
}

TEST(OtlpDecoderTest, ProtobufRoundTrip) {
  std::string body;
  otlp::EncodeProtobuf(Batch(), body);
  auto decoded = DecodeOtlpProtobuf(body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ASSERT_EQ(decoded->spans.size(), 1u);
  EXPECT_EQ(decoded->rejected, 0);
  ExpectRich(decoded->spans[0]);
}

TEST(OtlpDecoderTest, JsonRoundTrip) {
  std::string body;
  otlp::EncodeJson(Batch(), body);
  auto decoded = DecodeOtlpJson(body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ASSERT_EQ(decoded->spans.size(), 1u);
  EXPECT_EQ(decoded->rejected, 0);
  ExpectRich(decoded->spans[0]);
}

TEST(OtlpDecoderTest, MalformedInputIsAnErrorWithAReason) {
  std::string body;
  otlp::EncodeProtobuf(Batch(), body);
  for (size_t cut : {size_t{1}, size_t{10}, body.size() / 2, body.size() - 1}) {
    auto truncated = DecodeOtlpProtobuf(std::string_view(body).substr(0, cut));
    EXPECT_FALSE(truncated.ok()) << cut;
  }
  auto garbage =
      DecodeOtlpProtobuf("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff");
  ASSERT_FALSE(garbage.ok());
  EXPECT_FALSE(garbage.status().message().empty());
  EXPECT_FALSE(DecodeOtlpJson("{not json").ok());
  EXPECT_FALSE(DecodeOtlpJson(R"({"resourceSpans":{}})").ok());
  EXPECT_TRUE(DecodeOtlpProtobuf("").ok());  // an empty request is valid
  EXPECT_TRUE(DecodeOtlpJson("{}").ok());
}

// Spans with the given ids (hex; "" leaves the field out) around one valid
// span, as protobuf built by our encoder with the ids patched, and as JSON.
std::string JsonWithIds(const std::string& trace_id, const std::string& span_id,
                        const std::string& parent = "") {
  auto span = [](const std::string& name, const std::string& t,
                 const std::string& s, const std::string& p) {
    return R"({"name":")" + name + R"(","traceId":")" + t + R"(","spanId":")" +
           s + R"(","parentSpanId":")" + p + R"("})";
  };
  return R"({"resourceSpans":[{"scopeSpans":[{"spans":[)" +
         span("bad", trace_id, span_id, parent) + "," +
         span("good", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
              "") +
         "]}]}]}";
}

// A request of two spans, "bad" with the given ids and "good" with valid
// ones, written field by field, so ids can have any size.
std::string ProtobufWithIds(std::string_view trace_id,
                            std::string_view span_id) {
  otlp::ProtobufWriter w;
  const size_t resource_spans = w.BeginMessage(1);
  const size_t scope_spans = w.BeginMessage(2);
  auto span = [&](std::string_view name, std::string_view t,
                  std::string_view s) {
    const size_t message = w.BeginMessage(2);
    w.BytesField(1, t);
    w.BytesField(2, s);
    w.BytesField(5, name);
    w.EndMessage(message);
  };
  span("bad", trace_id, span_id);
  span("good",
       std::string_view("\x4b\xf9\x2f\x35\x77\xb3\x4d\xa6"
                        "\xa3\xce\x92\x9d\x0e\x0e\x47\x36",
                        16),
       std::string_view("\x00\xf0\x67\xaa\x0b\xa9\x02\xb7", 8));
  w.EndMessage(scope_spans);
  w.EndMessage(resource_spans);
  return std::string(w.view());
}

// A span invalid on its own (OTLP: ids of the wrong size or all zeros) is
// rejected alone and counted; the request's other spans are kept.
TEST(OtlpDecoderTest, InvalidSpansAreRejectedOneByOneAndTheRestKept) {
  const std::string zeros32(32, '0'), zeros16(16, '0');
  struct Case {
    std::string trace_id, span_id, parent, reason;
  };
  for (const Case& c : std::vector<Case>{
           {"xyz", "00f067aa0ba902b7", "", "trace id"},
           {zeros32, "00f067aa0ba902b7", "", "trace id"},
           {"", "00f067aa0ba902b7", "", "trace id"},
           {"4bf92f3577b34da6a3ce929d0e0e4736", zeros16, "", "span id"},
           {"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba9", "", "span id"},
           {"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "1122",
            "parent"},
       }) {
    auto decoded = DecodeOtlpJson(JsonWithIds(c.trace_id, c.span_id, c.parent));
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(decoded->rejected, 1) << c.trace_id << " " << c.span_id;
    ASSERT_EQ(decoded->spans.size(), 1u);
    EXPECT_EQ(decoded->spans[0].name, "good");
    EXPECT_NE(decoded->rejection.find("\"bad\""), std::string::npos)
        << decoded->rejection;
    EXPECT_NE(decoded->rejection.find(c.reason), std::string::npos)
        << decoded->rejection;
  }
  // An all-zero parent id means no parent.
  auto root = DecodeOtlpJson(JsonWithIds("4bf92f3577b34da6a3ce929d0e0e4736",
                                         "1111111111111111", zeros16));
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->rejected, 0);
  ASSERT_EQ(root->spans.size(), 2u);
  EXPECT_EQ(root->spans[0].parent_span_id, "");

  const std::string trace_id(
      "\x4b\xf9\x2f\x35\x77\xb3\x4d\xa6"
      "\xa3\xce\x92\x9d\x0e\x0e\x47\x36",
      16);
  const std::string span_id("\x11\x22\x33\x44\x55\x66\x77\x88", 8);
  for (auto [t, id] : std::vector<std::pair<std::string, std::string>>{
           {std::string(16, '\0'), span_id},
           {trace_id.substr(0, 15), span_id},
           {"", span_id},
           {trace_id, std::string(8, '\0')},
           {trace_id, span_id + "9"},
       }) {
    auto decoded = DecodeOtlpProtobuf(ProtobufWithIds(t, id));
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(decoded->rejected, 1);
    ASSERT_EQ(decoded->spans.size(), 1u);
    EXPECT_EQ(decoded->spans[0].name, "good");
    EXPECT_NE(decoded->rejection.find("\"bad\""), std::string::npos)
        << decoded->rejection;
  }
  // With valid ids both spans are kept: the ids above are what was rejected.
  auto both = DecodeOtlpProtobuf(ProtobufWithIds(trace_id, span_id));
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->rejected, 0);
  EXPECT_EQ(both->spans.size(), 2u);
}

// OTLP/JSON fields of another type than the proto's are read as absent, never
// as an exception (found by the decoder's fuzzer: a link's traceId as an
// array threw from inside nlohmann::json).
TEST(OtlpDecoderTest, JsonFieldsOfTheWrongTypeAreReadAsAbsent) {
  const std::string json =
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"odd",)"
      R"("traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7",)"
      R"("traceState":7,"events":[{"name":5}],"links":[{"traceId":[],"spanId":{}}],)"
      R"("status":{"code":2,"message":false}}]}]}]})";
  auto decoded = DecodeOtlpJson(json);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ASSERT_EQ(decoded->spans.size(), 1u);
  const StoredSpan& span = decoded->spans[0];
  EXPECT_EQ(span.trace_state, "");
  EXPECT_EQ(nlohmann::json::parse(span.events_json)[0]["name"], "");
  EXPECT_EQ(nlohmann::json::parse(span.links_json)[0]["trace_id"], "");
  EXPECT_EQ(span.status_code, 2);
  EXPECT_EQ(span.status_message, "");
}

// Older conventions' messaging.destination names the topic when
// messaging.destination.name is absent; the current name wins in any order.
TEST(OtlpDecoderTest, TopicFromCurrentOrOlderConventions) {
  auto topic_of = [](const std::string& attributes) {
    auto decoded = DecodeOtlpJson(
        R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"s",)"
        R"("traceId":"4bf92f3577b34da6a3ce929d0e0e4736",)"
        R"("spanId":"00f067aa0ba902b7","attributes":[)" +
        attributes + "]}]}]}]}");
    EXPECT_TRUE(decoded.ok());
    return decoded.ok() && !decoded->spans.empty() ? decoded->spans[0].topic
                                                   : std::string("?");
  };
  const std::string legacy =
      R"({"key":"messaging.destination","value":{"stringValue":"old"}})";
  const std::string current =
      R"({"key":"messaging.destination.name","value":{"stringValue":"new"}})";
  EXPECT_EQ(topic_of(legacy), "old");
  EXPECT_EQ(topic_of(legacy + "," + current), "new");
  EXPECT_EQ(topic_of(current + "," + legacy), "new");
}

// A rejection quotes the span's name as JSON does, so an untrusted name with
// invalid UTF-8 or control characters still gives a valid UTF-8 reason.
TEST(OtlpDecoderTest, ARejectionReasonIsValidUtf8WhateverTheName) {
  const std::string json =
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[)"
      R"({"name":"a\u0001b","traceId":"x","spanId":"y"}]}]}]})";
  auto decoded = DecodeOtlpJson(json);
  ASSERT_TRUE(decoded.ok());
  EXPECT_NE(decoded->rejection.find(R"("a\u0001b")"), std::string::npos)
      << decoded->rejection;

  // Our encoder never writes invalid UTF-8, so the bad bytes are patched into
  // its output, as a third-party sender could send them.
  auto bad = testing::RichSpan();
  const std::string marker = std::string("\x01\x02", 2) + std::string(200, 'n');
  bad->name = marker;
  bad->context = SpanContext(TraceId{}, bad->context.span_id(), 0x01, false);
  std::vector<std::unique_ptr<SpanData>> batch;
  batch.push_back(std::move(bad));
  std::string body;
  otlp::EncodeProtobuf(batch, body);
  const size_t at = body.find(marker);
  ASSERT_NE(at, std::string::npos);
  body.replace(at, 2, "\xff\xfe");
  auto rejected = DecodeOtlpProtobuf(body);
  ASSERT_TRUE(rejected.ok());
  ASSERT_EQ(rejected->rejected, 1);
  EXPECT_NE(rejected->rejection.find(R"("\ufffd\ufffdnnn)"), std::string::npos)
      << rejected->rejection;
  EXPECT_NE(rejected->rejection.find("nnn...\""), std::string::npos);
  EXPECT_LT(rejected->rejection.size(), 200u);
}

TEST(OtlpReceiverTest, EncodingComesFromTheMediaTypeAlone) {
  EXPECT_EQ(OtlpEncodingOf("application/x-protobuf"), OtlpEncoding::kProtobuf);
  EXPECT_EQ(OtlpEncodingOf("Application/JSON; charset=utf-8"),
            OtlpEncoding::kJson);
  EXPECT_EQ(OtlpEncodingOf(" application/json "), OtlpEncoding::kJson);
  EXPECT_EQ(OtlpEncodingOf("application/jsonl"), std::nullopt);
  EXPECT_EQ(OtlpEncodingOf("application/x-protobuffer"), std::nullopt);
  EXPECT_EQ(OtlpEncodingOf("text/plain"), std::nullopt);
  EXPECT_EQ(OtlpEncodingOf(""), std::nullopt);
}

// Response bodies are read back with the exporter's own decoders, which read
// them as the OTLP protos define them.
TEST(OtlpReceiverTest, ResponseBodiesAreTheProtosOfOtlpHttp) {
  EXPECT_EQ(ExportTraceResponseBody(OtlpEncoding::kProtobuf, 0, ""), "");
  EXPECT_EQ(ExportTraceResponseBody(OtlpEncoding::kJson, 0, ""), "{}");
  for (OtlpEncoding e : {OtlpEncoding::kProtobuf, OtlpEncoding::kJson}) {
    const std::string body =
        ExportTraceResponseBody(e, 300, std::string(200, 'm'));
    auto partial = e == OtlpEncoding::kJson
                       ? otlp::DecodeResponseJson(body)
                       : otlp::DecodeResponseProtobuf(body);
    ASSERT_TRUE(partial.has_value());
    EXPECT_EQ(partial->rejected, 300);
    EXPECT_EQ(partial->error_message, std::string(200, 'm'));
  }
  // google.rpc.Status { code = 3; message = "no" }, byte for byte.
  EXPECT_EQ(RpcStatusBody(OtlpEncoding::kProtobuf, 3, "no"),
            std::string("\x08\x03\x12\x02no", 6));
  auto status = nlohmann::json::parse(
      RpcStatusBody(OtlpEncoding::kJson, 14, "store \"down\""));
  EXPECT_EQ(status["code"], 14);
  EXPECT_EQ(status["message"], "store \"down\"");
}

class OtlpReceiverStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/kafkatrace-receiver-XXXXXX";
    dir_ = mkdtemp(dir);
    auto store = SpanStore::Open(dir_ + "/spans.db");
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store.value());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  std::unique_ptr<SpanStore> store_;
};

TEST_F(OtlpReceiverStoreTest,
       StoresValidSpansAndReportsRejectedOnesAsPartialSuccess) {
  const std::string json = JsonWithIds("", "00f067aa0ba902b7");
  OtlpReply reply = ReceiveOtlpTraces("application/json", json, *store_);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/json");
  auto partial = otlp::DecodeResponseJson(reply.body);
  ASSERT_TRUE(partial.has_value()) << reply.body;
  EXPECT_EQ(partial->rejected, 1);
  EXPECT_NE(partial->error_message.find("1 of 2 spans rejected"),
            std::string::npos)
      << partial->error_message;
  auto stored = store_->GetTrace("4bf92f3577b34da6a3ce929d0e0e4736");
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].name, "good");

  reply = ReceiveOtlpTraces(
      "application/x-protobuf",
      ProtobufWithIds(std::string(16, '\0'), std::string(8, '\1')), *store_);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/x-protobuf");
  partial = otlp::DecodeResponseProtobuf(reply.body);
  ASSERT_TRUE(partial.has_value());
  EXPECT_EQ(partial->rejected, 1);

  std::string all_valid;
  otlp::EncodeProtobuf(Batch(), all_valid);
  reply = ReceiveOtlpTraces("application/x-protobuf", all_valid, *store_);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "");  // nothing rejected: an empty response message
}

TEST_F(OtlpReceiverStoreTest, FailuresAnswerAStatusInTheRequestsEncoding) {
  OtlpReply reply =
      ReceiveOtlpTraces("application/x-protobuf", "\xff\xff\xff", *store_);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.content_type, "application/x-protobuf");
  ASSERT_GE(reply.body.size(), 4u);
  EXPECT_EQ(reply.body.substr(0, 4),
            std::string("\x08\x03\x12", 3) +
                static_cast<char>(reply.body.size() - 4));
  EXPECT_NE(reply.body.find("malformed"), std::string::npos);

  reply = ReceiveOtlpTraces("application/json; charset=utf-8", "{", *store_);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.content_type, "application/json");
  auto status = nlohmann::json::parse(reply.body);
  EXPECT_EQ(status["code"], 3);
  EXPECT_EQ(status["message"], "body is not valid JSON");

  reply = FailOtlpRequest("", 413, "too big");  // no type: protobuf
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(reply.content_type, "application/x-protobuf");
  EXPECT_EQ(reply.body, std::string("\x08\x03\x12\x07too big", 11));

  reply = RefuseOtlpSignal("application/json", "metrics");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(nlohmann::json::parse(reply.body)["message"],
            "this receiver stores traces only, not metrics; set "
            "OTEL_METRICS_EXPORTER=none in the sending service");
  reply = RefuseOtlpSignal("application/x-protobuf", "logs");
  EXPECT_EQ(reply.content_type, "application/x-protobuf");
  EXPECT_NE(reply.body.find("OTEL_LOGS_EXPORTER=none"), std::string::npos);

  reply = ReceiveOtlpTraces("text/plain", "{}", *store_);
  EXPECT_EQ(reply.status, 415);
  EXPECT_NE(reply.body.find("application/x-protobuf"), std::string::npos);
}

class SpanStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/kafkatrace-store-XXXXXX";
    path_ = std::string(mkdtemp(dir)) + "/spans.db";
    auto store = SpanStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store.value());
  }
  static StoredSpan Span(std::string trace, std::string id, std::string parent,
                         std::string service, std::string name, int64_t start,
                         int64_t end, std::string topic = "") {
    StoredSpan s;
    s.trace_id = trace;
    s.span_id = id;
    s.parent_span_id = parent;
    s.service = service;
    s.name = name;
    s.start_unix_nanos = start;
    s.end_unix_nanos = end;
    s.topic = topic;
    return s;
  }
  std::string path_;
  std::unique_ptr<SpanStore> store_;
};

TEST_F(SpanStoreTest, InsertGetAndSearch) {
  const std::string t1(32, 'a'), t2(32, 'b');
  ASSERT_TRUE(
      store_
          ->Insert(
              {Span(t1, "1111111111111111", "", "api", "POST /q", 1000, 9000),
               Span(t1, "2222222222222222", "1111111111111111", "api",
                    "send questions", 2000, 3000, "questions"),
               Span(t2, "3333333333333333", "", "worker", "poll", 5000, 5100)})
          .ok());
  auto trace = store_->GetTrace(t1);
  ASSERT_TRUE(trace.ok());
  ASSERT_EQ(trace->size(), 2u);
  EXPECT_EQ((*trace)[1].topic, "questions");

  auto all = store_->Search({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].trace_id, t2);  // newest first
  EXPECT_EQ((*all)[1].root_name, "POST /q");
  EXPECT_EQ((*all)[1].duration_nanos, 8000);
  EXPECT_EQ((*all)[1].span_count, 2);

  EXPECT_EQ(store_->Search({.topic = "questions"})->size(), 1u);
  EXPECT_EQ(store_->Search({.service = "worker"})->at(0).trace_id, t2);
  EXPECT_EQ(store_->Search({.min_duration_ns = 1000})->size(), 1u);
  EXPECT_EQ(store_->Search({.name = "nope"})->size(), 0u);
  // Hostile input is data, not SQL.
  EXPECT_EQ(store_->Search({.service = "' OR 1=1 --"})->size(), 0u);
  EXPECT_EQ(*store_->CountSpans(), 3);
  auto services = store_->Services();
  EXPECT_EQ(*services, (std::vector<std::string>{"api", "worker"}));
}

TEST_F(SpanStoreTest, CommitOnlyTracesCanBeLeftOut) {
  const std::string commits(32, 'c'), mixed(32, 'd'), named(32, 'e');
  const std::string settle =
      R"({"messaging.system":"kafka","messaging.operation.type":"settle"})";
  StoredSpan commit = Span(commits, "1111111111111111", "", "worker",
                           "commit questions", 1000, 1100, "questions");
  commit.kind = 3;  // CLIENT
  commit.attributes_json = settle;
  StoredSpan process = Span(mixed, "2222222222222222", "", "worker",
                            "process questions", 2000, 3000, "questions");
  process.kind = 5;
  StoredSpan inner_commit = commit;  // a manual commit inside processing
  inner_commit.trace_id = mixed;
  inner_commit.span_id = "3333333333333333";
  inner_commit.parent_span_id = process.span_id;
  // Only a settle span's operation type counts, not a span merely named so.
  StoredSpan lookalike = Span(named, "4444444444444444", "", "worker",
                              "commit questions", 4000, 4100, "questions");
  lookalike.kind = 3;
  ASSERT_TRUE(store_->Insert({commit, process, inner_commit, lookalike}).ok());
  auto ids = [](const auto& traces) {
    std::vector<std::string> out;
    for (const auto& t : *traces) out.push_back(t.trace_id);
    return out;
  };
  EXPECT_EQ(ids(store_->Search({})),
            (std::vector<std::string>{named, mixed, commits}));
  EXPECT_EQ(ids(store_->Search({.hide_commit_only = true})),
            (std::vector<std::string>{named, mixed}));
  EXPECT_EQ(store_->Search({.hide_commit_only = true})->at(1).span_count, 2);
}

TEST_F(SpanStoreTest, TopicLatencyPercentilesPerTopicAndGroup) {
  std::vector<StoredSpan> spans;
  for (int i = 0; i < 100; ++i) {
    std::string trace =
        std::string(30, 'f') + (i < 10 ? "0" : "") + std::to_string(i);
    StoredSpan send = Span(trace, "1111111111111111", "", "api",
                           "send questions", 1000, 2000, "questions");
    send.kind = 4;
    StoredSpan process =
        Span(trace, "2222222222222222", "1111111111111111", "worker",
             "process questions", 1000 + (i + 1) * 1'000'000, 0, "questions");
    process.kind = 5;
    process.end_unix_nanos = process.start_unix_nanos + 10;
    process.attributes_json =
        R"({"messaging.consumer.group.name":"answerers"})";
    spans.push_back(send);
    spans.push_back(process);
  }
  ASSERT_TRUE(store_->Insert(spans).ok());
  auto latencies = store_->TopicLatencies(0);
  ASSERT_TRUE(latencies.ok()) << latencies.status().message();
  ASSERT_EQ(latencies->size(), 1u);
  const auto& l = (*latencies)[0];
  EXPECT_EQ(l.topic, "questions");
  EXPECT_EQ(l.consumer_group, "answerers");
  EXPECT_EQ(l.hops, 100);
  EXPECT_EQ(l.p50_nanos, 51'000'000);  // latencies are 1..100 ms
  EXPECT_EQ(l.p95_nanos, 95'000'000);
  EXPECT_EQ(l.p99_nanos, 99'000'000);

  // A process span in a new trace that links to its send span counts too.
  const std::string producer_trace(32, 'e'), consumer_trace(32, 'd');
  StoredSpan send = Span(producer_trace, "3333333333333333", "", "api",
                         "send orders", 5000, 6000, "orders");
  send.kind = 4;
  StoredSpan process =
      Span(consumer_trace, "4444444444444444", "", "worker", "process orders",
           5000 + 7'000'000, 5000 + 7'000'010, "orders");
  process.kind = 5;
  process.links_json = R"([{"trace_id":")" + std::string(32, '9') +
                       R"(","span_id":"5555555555555555","attributes":{}},)"
                       R"({"trace_id":")" +
                       producer_trace +
                       R"(","span_id":"3333333333333333","attributes":{}}])";
  StoredSpan unlinked = process;  // links nowhere known: no hop
  unlinked.span_id = "6666666666666666";
  unlinked.links_json = R"([{"trace_id":")" + std::string(32, '8') +
                        R"(","span_id":"3333333333333333","attributes":{}}])";
  ASSERT_TRUE(store_->Insert({send, process, unlinked}).ok());
  latencies = store_->TopicLatencies(0);
  ASSERT_TRUE(latencies.ok()) << latencies.status().message();
  ASSERT_EQ(latencies->size(), 2u);
  EXPECT_EQ((*latencies)[0].topic, "orders");
  EXPECT_EQ((*latencies)[0].hops, 1);
  EXPECT_EQ((*latencies)[0].p50_nanos, 7'000'000);
  EXPECT_EQ((*latencies)[1].hops, 100);  // the parented ones, once each
}

TEST_F(SpanStoreTest, RetentionByAgeAndSize) {
  std::vector<StoredSpan> spans;
  for (int i = 0; i < 10; ++i) {
    spans.push_back(Span(std::string(31, 'c') + std::to_string(i),
                         "1111111111111111", "", "s", "n", 1000 * i,
                         1000 * i + 1));
  }
  ASSERT_TRUE(store_->Insert(spans).ok());
  ASSERT_TRUE(store_->Retain(/*oldest_start_ns=*/3000, /*max_spans=*/5).ok());
  EXPECT_EQ(*store_->CountSpans(), 5);
  auto left = store_->Search({});
  EXPECT_EQ(left->back().start_unix_nanos, 5000);  // the 5 newest survive
}

TEST_F(SpanStoreTest, DataSurvivesReopen) {
  ASSERT_TRUE(store_
                  ->Insert({Span(std::string(32, 'd'), "1111111111111111", "",
                                 "s", "n", 1, 2)})
                  .ok());
  store_.reset();
  auto reopened = SpanStore::Open(path_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(*(*reopened)->CountSpans(), 1);
}

TEST_F(SpanStoreTest, FindsSpansBeforeAndAfterIndexingAndAcrossBoth) {
  const std::string t(32, '9');
  ASSERT_TRUE(
      store_->Insert({Span(t, "1111111111111111", "", "api", "a", 1, 10)})
          .ok());
  // A second handle on the file that appends nothing (like `kafkatrace
  // trace`) finds the span through the unindexed tail.
  auto reader = SpanStore::Open(path_);
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(store_
                  ->Insert({Span(t, "2222222222222222", "1111111111111111",
                                 "worker", "b", 2, 9)})
                  .ok());
  EXPECT_EQ((*reader)->GetTrace(t)->size(), 2u);  // one indexed, one in tail
  EXPECT_EQ(store_->GetTrace(t)->size(), 2u);
  ASSERT_TRUE(store_->CatchUpIndex().ok());
  ASSERT_TRUE(store_
                  ->Insert({Span(t, "3333333333333333", "2222222222222222",
                                 "worker", "c", 3, 8)})
                  .ok());
  auto trace = store_->GetTrace(t);
  ASSERT_EQ(trace->size(), 3u);
  EXPECT_EQ((*trace)[2].name, "c");
  EXPECT_EQ(store_->Search({.service = "worker"})->at(0).span_count, 3);
  EXPECT_TRUE(store_->GetTrace(std::string(32, '8'))->empty());
}

TEST_F(SpanStoreTest, ManyTracesThroughIndexBatches) {
  // More than one index batch, so Insert itself indexes along the way.
  std::vector<StoredSpan> spans;
  const int n = static_cast<int>(SpanStore::kIndexBatch) + 1000;
  for (int i = 0; i < n; ++i) {
    char trace[33];
    std::snprintf(trace, sizeof(trace), "%032x", i * 7919 + 1);
    const std::string digit = std::to_string(i % 10);
    spans.push_back(
        Span(trace, "1111111111111111", "", "s", "n" + digit, i, i + 5));
    if (spans.size() == 512 || i == n - 1) {
      ASSERT_TRUE(store_->Insert(spans).ok());
      spans.clear();
    }
  }
  for (int i : {0, 1, n / 2, n - 2, n - 1}) {
    char trace[33];
    std::snprintf(trace, sizeof(trace), "%032x", i * 7919 + 1);
    auto found = store_->GetTrace(trace);
    ASSERT_EQ(found->size(), 1u) << i;
    EXPECT_EQ((*found)[0].start_unix_nanos, i);
  }
  EXPECT_EQ(store_->Search({.name = "n3", .limit = 100000})->size(),
            static_cast<size_t>((n + 6) / 10));  // i % 10 == 3
}

TEST_F(SpanStoreTest, ASpanExportedTwiceIsShownOnce) {
  // An exporter retries when an acknowledgement is lost: both copies are
  // stored, readers see one, the newer.
  const std::string t(32, '7');
  StoredSpan first = Span(t, "1111111111111111", "", "api", "a", 1, 10);
  StoredSpan retry = first;
  retry.status_message = "retried";
  ASSERT_TRUE(store_->Insert({first}).ok());
  ASSERT_TRUE(store_->Insert({retry}).ok());
  auto trace = store_->GetTrace(t);
  ASSERT_EQ(trace->size(), 1u);
  EXPECT_EQ((*trace)[0].status_message, "retried");
  EXPECT_EQ(store_->Search({})->at(0).span_count, 1);
}

TEST_F(SpanStoreTest, RetentionForgetsIndexedSpansCompletely) {
  const std::string old_trace(32, '1'), new_trace(32, '2');
  ASSERT_TRUE(store_
                  ->Insert({Span(old_trace, "1111111111111111", "", "gone",
                                 "old", 100, 200),
                            Span(new_trace, "2222222222222222", "", "kept",
                                 "new", 5000, 6000)})
                  .ok());
  ASSERT_TRUE(store_->CatchUpIndex().ok());
  ASSERT_TRUE(store_->Retain(/*oldest_start_ns=*/1000, /*max_spans=*/10).ok());
  EXPECT_TRUE(store_->GetTrace(old_trace)->empty());
  EXPECT_EQ(*store_->Services(), std::vector<std::string>{"kept"});
  // A new span of the forgotten trace starts it afresh.
  ASSERT_TRUE(store_
                  ->Insert({Span(old_trace, "3333333333333333", "", "back",
                                 "again", 7000, 7001)})
                  .ok());
  auto trace = store_->GetTrace(old_trace);
  ASSERT_EQ(trace->size(), 1u);
  EXPECT_EQ((*trace)[0].name, "again");
}

TEST_F(SpanStoreTest, OpensADatabaseOfTheFirstSchemaAndKeepsItsSpans) {
  store_.reset();
  std::remove(path_.c_str());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  // The version 1 layout, as kafkatrace 0.1 created it.
  const std::string v1 =
      "PRAGMA journal_mode=WAL;"
      "CREATE TABLE spans (trace_id TEXT NOT NULL, span_id TEXT NOT NULL,"
      " parent_span_id TEXT NOT NULL, trace_state TEXT NOT NULL,"
      " service TEXT NOT NULL, scope TEXT NOT NULL, name TEXT NOT NULL,"
      " kind INTEGER NOT NULL, start_ns INTEGER NOT NULL,"
      " end_ns INTEGER NOT NULL, status_code INTEGER NOT NULL,"
      " status_message TEXT NOT NULL, attributes TEXT NOT NULL,"
      " events TEXT NOT NULL, links TEXT NOT NULL, topic TEXT NOT NULL,"
      " PRIMARY KEY (trace_id, span_id));"
      "INSERT INTO spans VALUES ('" +
      std::string(32, 'a') +
      "', '1111111111111111', '', '', 'api', 'k', 'POST /q', 2, 10,"
      " 20, 0, '', '{\"k\":1}', '[]', '[]', 'questions');";
  ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = SpanStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto trace = (*store)->GetTrace(std::string(32, 'a'));
  ASSERT_EQ(trace->size(), 1u);
  EXPECT_EQ((*trace)[0].attributes_json, R"({"k":1})");
  EXPECT_EQ((*trace)[0].topic, "questions");
  EXPECT_EQ(*(*store)->Services(), std::vector<std::string>{"api"});
  EXPECT_EQ((*store)->Search({.topic = "questions"})->size(), 1u);
}

TEST(SpanStoreOpenTest, UnopenablePathIsAClearError) {
  auto store = SpanStore::Open("/nonexistent-dir/x/spans.db");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("/nonexistent-dir/x/spans.db"),
            std::string::npos);
}

}  // namespace
}  // namespace kafkatrace::collector

namespace kafkatrace::collector {
namespace {

// A send span on `questions` acknowledged after 0.1 s, and a process span that
// is its child (times to be set by the test).
std::pair<StoredSpan, StoredSpan> SendAndProcess() {
  StoredSpan send;
  send.trace_id = std::string(32, 'a');
  send.span_id = "1111111111111111";
  send.kind = 4;
  send.topic = "questions";
  send.start_unix_nanos = 0;
  send.end_unix_nanos = 100'000'000;
  StoredSpan process = send;
  process.span_id = "2222222222222222";
  process.parent_span_id = send.span_id;
  process.kind = 5;
  return {send, process};
}

TEST(KafkaHopsTest, SplitsPublishWaitAndProcessAndDiagnosesWaiting) {
  auto [send, process] = SendAndProcess();
  process.start_unix_nanos = 41'300'000'000;
  process.end_unix_nanos = 41'500'000'000;
  auto hops = FindKafkaHops({send, process});
  ASSERT_EQ(hops.size(), 1u);
  EXPECT_EQ(hops[0].publish_nanos, 100'000'000);
  EXPECT_EQ(hops[0].wait_nanos, 41'200'000'000);
  EXPECT_EQ(hops[0].process_nanos, 200'000'000);
  EXPECT_EQ(
      hops[0].diagnosis,
      "41.2 s of 41.5 s waiting in topic questions: the consumer was busy");

  process.start_unix_nanos = 100'500'000;  // no real wait: no diagnosis
  process.end_unix_nanos = 400'000'000;
  EXPECT_EQ(FindKafkaHops({send, process})[0].diagnosis, "");
  process.kind = 1;  // not a consumer span: no hop
  EXPECT_TRUE(FindKafkaHops({send, process}).empty());
}

TEST(KafkaHopsTest, SaysWhenProcessingOrPublishingTookTheTime) {
  auto [send, process] = SendAndProcess();
  process.service = "worker";
  process.start_unix_nanos = 200'000'000;  // 0.1 s in the topic
  process.end_unix_nanos = 3'200'000'000;  // 3 s of processing
  EXPECT_EQ(FindKafkaHops({send, process})[0].diagnosis,
            "3.0 s of 3.2 s processing the record from topic questions in "
            "worker: the consumer's own work was slow");
  process.service.clear();
  EXPECT_EQ(FindKafkaHops({send, process})[0].diagnosis,
            "3.0 s of 3.2 s processing the record from topic questions: the "
            "consumer's own work was slow");

  // Publishing: the send span's split says who took the time; without one,
  // only that it was slow to be acknowledged.
  process.start_unix_nanos = 2'100'000'000;
  process.end_unix_nanos = 2'200'000'000;
  send.end_unix_nanos = 2'000'000'000;
  EXPECT_EQ(FindKafkaHops({send, process})[0].diagnosis,
            "2.0 s of 2.2 s publishing to topic questions (until the broker "
            "acknowledged it)");
  send.attributes_json = R"({"kafkatrace.send.local_queue_ms": 1900.5,)"
                         R"( "kafkatrace.send.broker_rtt_ms": 99.5})";
  EXPECT_EQ(FindKafkaHops({send, process})[0].diagnosis,
            "2.0 s of 2.2 s publishing to topic questions: 1.9 s queued in the "
            "producer before the broker was asked");
  send.attributes_json = R"({"kafkatrace.send.local_queue_ms": 0.5,)"
                         R"( "kafkatrace.send.broker_rtt_ms": 1999.5})";
  EXPECT_EQ(FindKafkaHops({send, process})[0].diagnosis,
            "2.0 s of 2.2 s publishing to topic questions: 2.0 s waiting for "
            "the broker's acknowledgement");

  // Two long parts: both named, the longer first.
  send.end_unix_nanos = 100'000'000;
  process.start_unix_nanos = 900'000'000;  // 0.8 s in the topic
  process.end_unix_nanos = 1'750'000'000;  // 0.85 s of processing
  process.service = "worker";
  EXPECT_EQ(FindKafkaHops({send, process})[0].diagnosis,
            "850 ms of 1.8 s processing the record from topic questions in "
            "worker: the consumer's own work was slow; 800 ms of 1.8 s waiting "
            "in topic questions: the consumer was busy");
  // A long part under a third of the hop is not the story.
  process.end_unix_nanos = 3'000'000'000;  // 2.1 s of processing
  EXPECT_EQ(FindKafkaHops({send, process})[0].diagnosis,
            "2.1 s of 3.0 s processing the record from topic questions in "
            "worker: the consumer's own work was slow");
  // Every part too short to notice: nothing to say.
  send.end_unix_nanos = 400'000'000;
  process.start_unix_nanos = 410'000'000;
  process.end_unix_nanos = 420'000'000;  // publishing most, but 0.4 s
  EXPECT_EQ(FindKafkaHops({send, process})[0].diagnosis, "");
}

// The link and new-trace policies: the process span links to the send span,
// which may sit in the producer's own trace.
TEST(KafkaHopsTest, AProcessSpanLinkedToItsSendSpanIsAHopToo) {
  StoredSpan send;
  send.trace_id = std::string(32, 'a');
  send.span_id = "1111111111111111";
  send.kind = 4;
  send.topic = "orders";
  send.start_unix_nanos = 0;
  send.end_unix_nanos = 10;
  StoredSpan process;
  process.trace_id = std::string(32, 'b');  // a new trace
  process.span_id = "2222222222222222";
  process.kind = 5;
  process.start_unix_nanos = 110;
  process.end_unix_nanos = 160;
  process.links_json = R"([{"trace_id":")" + std::string(32, 'c') +
                       R"(","span_id":"3333333333333333","attributes":{}},)"
                       R"({"trace_id":")" +
                       send.trace_id +
                       R"(","span_id":"1111111111111111","attributes":{}}])";

  EXPECT_EQ(LinkedTraceIds({process}, 8),
            (std::vector<std::string>{std::string(32, 'c'), send.trace_id}));
  EXPECT_EQ(LinkedTraceIds({process}, 1).size(), 1u);
  EXPECT_TRUE(FindKafkaHops({process}).empty());  // the send span not loaded

  auto hops = FindKafkaHops({process}, {send});
  ASSERT_EQ(hops.size(), 1u);
  EXPECT_TRUE(hops[0].linked);
  EXPECT_EQ(hops[0].send_trace_id, send.trace_id);
  EXPECT_EQ(hops[0].topic, "orders");
  EXPECT_EQ(hops[0].publish_nanos, 10);
  EXPECT_EQ(hops[0].wait_nanos, 100);
  EXPECT_EQ(hops[0].process_nanos, 50);

  // A link naming the right span id in another trace is not that span.
  StoredSpan impostor = send;
  impostor.trace_id = std::string(32, 'd');
  EXPECT_TRUE(FindKafkaHops({process}, {impostor}).empty());

  // A parent that is the send span wins over links, and is not "linked".
  process.trace_id = send.trace_id;
  process.parent_span_id = send.span_id;
  hops = FindKafkaHops({send, process});
  ASSERT_EQ(hops.size(), 1u);
  EXPECT_FALSE(hops[0].linked);
}

// A process span of a batch may link to several send spans: the hop is its
// first link's, in the topic table as in the trace view.
TEST_F(SpanStoreTest, OfSeveralProducerLinksTheFirstMakesTheHopEverywhere) {
  const std::string consumer_trace(32, 'b');
  StoredSpan first = Span(std::string(32, 'a'), "1111111111111111", "", "api",
                          "send orders", 0, 10, "orders");
  first.kind = 4;
  StoredSpan second = Span(std::string(32, 'c'), "3333333333333333", "", "api",
                           "send orders", 500, 510, "orders");
  second.kind = 4;
  StoredSpan process = Span(consumer_trace, "2222222222222222", "", "worker",
                            "process orders", 1000, 1050, "orders");
  process.kind = 5;
  process.links_json = R"([{"trace_id":")" + first.trace_id +
                       R"(","span_id":"1111111111111111","attributes":{}},)"
                       R"({"trace_id":")" +
                       second.trace_id +
                       R"(","span_id":"3333333333333333","attributes":{}}])";
  ASSERT_TRUE(store_->Insert({first, second, process}).ok());

  auto trace = store_->GetTrace(consumer_trace);
  ASSERT_TRUE(trace.ok());
  auto hops = FindKafkaHopsIn(*store_, *trace);
  ASSERT_EQ(hops.size(), 1u);
  EXPECT_EQ(hops[0].send_span_id, first.span_id);
  auto latencies = store_->TopicLatencies(0);
  ASSERT_TRUE(latencies.ok()) << latencies.status().message();
  ASSERT_EQ(latencies->size(), 1u);
  EXPECT_EQ((*latencies)[0].hops, 1);
  EXPECT_EQ((*latencies)[0].p50_nanos,
            process.start_unix_nanos - first.start_unix_nanos);
}

TEST_F(SpanStoreTest, HopsLoadTheTracesTheirLinksPointInto) {
  const std::string producer_trace(32, 'a'), consumer_trace(32, 'b');
  StoredSpan send = Span(producer_trace, "1111111111111111", "", "api",
                         "send orders", 0, 10, "orders");
  send.kind = 4;
  StoredSpan process = Span(consumer_trace, "2222222222222222", "", "worker",
                            "process orders", 110, 160, "orders");
  process.kind = 5;
  process.links_json = R"([{"trace_id":")" + producer_trace +
                       R"(","span_id":"1111111111111111","attributes":{}}])";
  ASSERT_TRUE(store_->Insert({send, process}).ok());
  auto trace = store_->GetTrace(consumer_trace);
  ASSERT_TRUE(trace.ok());
  auto hops = FindKafkaHopsIn(*store_, *trace);
  ASSERT_EQ(hops.size(), 1u);
  EXPECT_EQ(hops[0].send_span_id, "1111111111111111");
  EXPECT_EQ(hops[0].wait_nanos, 100);
}

}  // namespace
}  // namespace kafkatrace::collector
