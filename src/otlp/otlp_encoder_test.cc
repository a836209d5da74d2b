// Checks every field the encoder writes with decoders that share none of its
// code: the test-only ProtoMessage parser, `protoc --decode_raw`, and
// nlohmann::json for OTLP/JSON.
#include "otlp/otlp_encoder.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/text.h"
#include "kafkatrace/batch_span_processor.h"
#include "kafkatrace/tracer_provider.h"
#include "otlp/protobuf_writer.h"
#include "support/proto_tree.h"
#include "support/protoc.h"
#include "support/rich_span.h"
#include "support/test_tracing.h"
#include "trace/span_handoff.h"

namespace kafkatrace::otlp {
namespace {

using testing::ProtoMessage;

std::string Hex(std::string_view bytes) {
  static const char* k = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += k[c >> 4];
    out += k[c & 15];
  }
  return out;
}

std::string EncodeRich(int copies = 1) {
  std::vector<std::unique_ptr<SpanData>> batch;
  for (int i = 0; i < copies; ++i) batch.push_back(testing::RichSpan());
  std::string out;
  EncodeProtobuf(batch, out);
  return out;
}

std::string AnyString(const ProtoMessage& any) { return any.Str(1); }

TEST(OtlpProtobufTest, EveryFieldOfARichSpan) {
  ProtoMessage request = ProtoMessage::Parse(EncodeRich());
  ProtoMessage resource_spans = request.Sub(1);
  auto resource_attrs = resource_spans.Sub(1).Subs(1);
  ASSERT_EQ(resource_attrs.size(), 2u);
  EXPECT_EQ(resource_attrs[0].Str(1), "service.name");
  EXPECT_EQ(AnyString(resource_attrs[0].Sub(2)), "orders");

  ProtoMessage scope_spans = resource_spans.Sub(2);
  EXPECT_EQ(scope_spans.Sub(1).Str(1), "kafkatrace.kafka");
  EXPECT_EQ(scope_spans.Sub(1).Str(2), "0.1.0");
  EXPECT_EQ(scope_spans.Str(3), "https://opentelemetry.io/schemas/1.44.0");

  ProtoMessage span = scope_spans.Sub(2);
  EXPECT_EQ(Hex(span.Str(1)), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(Hex(span.Str(2)), "00f067aa0ba902b7");
  EXPECT_EQ(span.Str(3), "vendor=abc,other=1");
  EXPECT_EQ(Hex(span.Str(4)), "1122334455667788");
  EXPECT_EQ(span.Str(5), "send orders");
  EXPECT_EQ(span.Num(6), 4u);  // SPAN_KIND_PRODUCER
  EXPECT_EQ(span.One(7).wire_type, 1u);
  EXPECT_EQ(span.Num(7), 1'700'000'000'123'456'789u);
  EXPECT_EQ(span.Num(8), 1'700'000'000'223'456'789u);
  EXPECT_EQ(span.One(16).wire_type, 5u);
  EXPECT_EQ(span.Num(16),
            0x303u);  // flags 03 + has-is-remote + parent is remote

  auto attrs = span.Subs(9);
  ASSERT_EQ(attrs.size(), 10u);
  EXPECT_EQ(attrs[0].Str(1), "messaging.system");
  EXPECT_EQ(attrs[0].Sub(2).Str(1), "kafka");
  EXPECT_TRUE(
      attrs[1].Sub(2).Has(1));  // empty string still present in the oneof
  EXPECT_EQ(attrs[1].Sub(2).Str(1), "");
  EXPECT_EQ(static_cast<int64_t>(attrs[2].Sub(2).Num(3)), -42);
  EXPECT_TRUE(attrs[3].Sub(2).Has(2));  // false is written explicitly
  EXPECT_EQ(attrs[3].Sub(2).Num(2), 0u);
  uint64_t bits = attrs[4].Sub(2).Num(4);
  double ratio;
  std::memcpy(&ratio, &bits, 8);
  EXPECT_EQ(ratio, 0.25);
  auto tags = attrs[5].Sub(2).Sub(5).Subs(1);
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[1].Str(1), "b");
  auto flags = attrs[6].Sub(2).Sub(5).Subs(1);
  EXPECT_EQ(flags[0].Num(2), 1u);
  EXPECT_EQ(flags[1].Num(2), 0u);
  EXPECT_EQ(attrs[7].Sub(2).Sub(5).Subs(1)[1].Num(3), 300u);
  uint64_t w;
  w = attrs[8].Sub(2).Sub(5).Subs(1)[1].Num(4);
  double weight;
  std::memcpy(&weight, &w, 8);
  EXPECT_EQ(weight, 1.5);
  EXPECT_EQ(attrs[9].Sub(2).Str(1),
            std::string(300, 'x'));  // multi-byte length prefix
  EXPECT_EQ(span.Num(10), 3u);

  auto events = span.Subs(11);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].Num(1), 1'700'000'000'150'000'000u);
  EXPECT_EQ(events[0].Str(2), "exception");
  EXPECT_EQ(events[0].Sub(3).Str(1), "exception.type");
  EXPECT_EQ(events[0].Num(4), 1u);
  EXPECT_EQ(span.Num(12), 2u);

  auto links = span.Subs(13);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(Hex(links[0].Str(1)), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(Hex(links[0].Str(2)), "b7ad6b7169203331");
  EXPECT_EQ(links[0].Str(3), "l=1");
  EXPECT_EQ(links[0].Sub(4).Str(1), "messaging.kafka.offset");
  EXPECT_EQ(links[0].Num(5), 4u);
  EXPECT_EQ(links[0].Num(6), 0x301u);
  EXPECT_EQ(span.Num(14), 5u);

  ProtoMessage status = span.Sub(15);
  EXPECT_EQ(status.Str(2), "broker down");
  EXPECT_EQ(status.Num(3), 2u);  // STATUS_CODE_ERROR
}

TEST(OtlpProtobufTest, GroupsByResourceAndScope) {
  std::vector<std::unique_ptr<SpanData>> batch;
  static const InstrumentationScope other_scope{"other", ""};
  static const Resource other_resource(
      Attributes{{"service.name", std::string("b")}});
  for (int i = 0; i < 3; ++i) batch.push_back(testing::RichSpan());
  batch[1]->scope = &other_scope;
  batch.push_back(testing::RichSpan());
  batch.back()->resource = &other_resource;
  std::string out;
  EncodeProtobuf(batch, out);
  ProtoMessage request = ProtoMessage::Parse(out);
  auto resources = request.Subs(1);
  ASSERT_EQ(resources.size(), 2u);
  auto scopes = resources[0].Subs(2);
  ASSERT_EQ(scopes.size(), 2u);
  EXPECT_EQ(scopes[0].Subs(2).size(), 2u);
  EXPECT_EQ(scopes[1].Subs(2).size(), 1u);
  EXPECT_EQ(scopes[1].Sub(1).Str(1), "other");
  EXPECT_EQ(resources[1].Subs(2)[0].Subs(2).size(), 1u);
}

// protoc is Debian's protobuf-compiler: a decoder nobody here wrote.
TEST(OtlpProtobufTest, ProtocDecodeRawAcceptsTheRequest) {
  std::string body = EncodeRich(2);
  std::string error;
  const std::optional<std::string> decoded =
      testing::ProtocDecodeRaw(body, &error);
  ASSERT_TRUE(decoded) << error;
  const std::string& text = *decoded;
  EXPECT_NE(text.find("5: \"send orders\""), std::string::npos) << text;
  EXPECT_NE(text.find("1: \"messaging.system\""), std::string::npos);
  EXPECT_NE(text.find("3: \"vendor=abc,other=1\""), std::string::npos);
  EXPECT_NE(text.find("6: 4"), std::string::npos);  // kind
  EXPECT_NE(text.find("7: 0x17979cfe3d85cd15"), std::string::npos)
      << text;                                                // start time
  EXPECT_NE(text.find("16: 0x00000303"), std::string::npos);  // flags
  EXPECT_NE(text.find("2: \"broker down\""), std::string::npos);
}

TEST(OtlpJsonTest, EveryFieldOfARichSpan) {
  std::vector<std::unique_ptr<SpanData>> batch;
  batch.push_back(testing::RichSpan());
  std::string out;
  EncodeJson(batch, out);
  auto j = nlohmann::json::parse(out);
  auto& rs = j["resourceSpans"][0];
  EXPECT_EQ(rs["resource"]["attributes"][0]["key"], "service.name");
  EXPECT_EQ(rs["resource"]["attributes"][0]["value"]["stringValue"], "orders");
  auto& ss = rs["scopeSpans"][0];
  EXPECT_EQ(ss["scope"]["name"], "kafkatrace.kafka");
  EXPECT_EQ(ss["scope"]["version"], "0.1.0");
  EXPECT_EQ(ss["schemaUrl"], "https://opentelemetry.io/schemas/1.44.0");
  auto& span = ss["spans"][0];
  EXPECT_EQ(span["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(span["spanId"], "00f067aa0ba902b7");
  EXPECT_EQ(span["parentSpanId"], "1122334455667788");
  EXPECT_EQ(span["traceState"], "vendor=abc,other=1");
  EXPECT_EQ(span["flags"], 0x303);
  EXPECT_EQ(span["name"], "send orders");
  EXPECT_EQ(span["kind"], 4);
  EXPECT_EQ(span["startTimeUnixNano"], "1700000000123456789");
  EXPECT_EQ(span["endTimeUnixNano"], "1700000000223456789");
  auto& attrs = span["attributes"];
  EXPECT_EQ(attrs[0]["value"]["stringValue"], "kafka");
  EXPECT_EQ(attrs[2]["value"]["intValue"], "-42");
  EXPECT_EQ(attrs[3]["value"]["boolValue"], false);
  EXPECT_EQ(attrs[4]["value"]["doubleValue"], 0.25);
  EXPECT_EQ(attrs[5]["value"]["arrayValue"]["values"][1]["stringValue"], "b");
  EXPECT_EQ(attrs[7]["value"]["arrayValue"]["values"][1]["intValue"], "300");
  EXPECT_EQ(span["droppedAttributesCount"], 3);
  EXPECT_EQ(span["events"][0]["name"], "exception");
  EXPECT_EQ(span["events"][0]["timeUnixNano"], "1700000000150000000");
  EXPECT_EQ(span["events"][0]["droppedAttributesCount"], 1);
  EXPECT_EQ(span["droppedEventsCount"], 2);
  EXPECT_EQ(span["links"][0]["traceId"], "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(span["links"][0]["traceState"], "l=1");
  EXPECT_EQ(span["links"][0]["flags"], 0x301);
  EXPECT_EQ(span["links"][0]["attributes"][0]["value"]["intValue"], "7");
  EXPECT_EQ(span["droppedLinksCount"], 5);
  EXPECT_EQ(span["status"]["code"], 2);
  EXPECT_EQ(span["status"]["message"], "broker down");
}

// Lists one attribute of every kind a borrowed value can be.
void ListEveryKind(const kafkatrace::detail::DeferredAttributes&,
                   kafkatrace::detail::DeferredAttributes::Sink sink) {
  static const AttributeValue value = std::vector<std::string>{"a", "b"};
  static const std::vector<bool> bools = {true, false};
  static const std::vector<int64_t> ints = {-1, 300};
  static const std::vector<double> doubles = {0.5};
  static const std::vector<std::string> strings = {"x", std::string(200, 'y')};
  const AttributeKeyValue listed[] = {{"bool", true},
                                      {"int", int64_t{-5}},
                                      {"double", 2.25},
                                      {"string", "text"},
                                      {"long string", strings[1]},
                                      {"value", value},
                                      {"bools", bools},
                                      {"ints", ints},
                                      {"doubles", doubles},
                                      {"strings", strings}};
  sink(listed);
}

// Keeps what it is given, attributes unwritten (as the OTLP exporter is).
class KeepingExporter final : public SpanExporter {
 public:
  explicit KeepingExporter(std::vector<std::unique_ptr<SpanData>>& kept)
      : kept_(kept) {}
  bool ExportsDeferredAttributes() const noexcept override { return true; }
  ExportResult Export(std::span<std::unique_ptr<SpanData>> batch,
                      Deadline) noexcept override {
    for (auto& span : batch) kept_.push_back(std::move(span));
    return ExportResult::kSuccess;
  }

 private:
  std::vector<std::unique_ptr<SpanData>>& kept_;
};

// The test's own encoding of a varint and of a scalar KeyValue, written the
// plain way (every length a minimal varint), to hold the encoder's short-field
// layout against.
std::string Varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
  return out;
}
std::string LengthDelimited(uint32_t field, std::string_view body) {
  return Varint((field << 3) | 2) + Varint(body.size()) + std::string(body);
}
std::string ExpectedKeyValue(std::string_view key, const AttributeValue& v) {
  std::string any;
  if (const auto* s = std::get_if<std::string>(&v)) {
    any = LengthDelimited(1, *s);
  } else if (const auto* b = std::get_if<bool>(&v)) {
    any = Varint(2 << 3) + Varint(*b ? 1 : 0);
  } else if (const auto* i = std::get_if<int64_t>(&v)) {
    any = Varint(3 << 3) + Varint(static_cast<uint64_t>(*i));
  } else {
    const double d = std::get<double>(v);
    any = Varint((4 << 3) | 1) +
          std::string(reinterpret_cast<const char*>(&d), 8);
  }
  return LengthDelimited(1, key).append(LengthDelimited(2, any));
}

// Short KeyValues are laid out with one-byte lengths; at 128 bytes and past,
// lengths take two bytes or more. Every key and value length around that
// edge, byte for byte (listed facts take the same writer:
// OtlpDeferredAttributesTest).
TEST(OtlpProtobufTest, KeyValuesOfEveryLengthAroundTheOneByteEdge) {
  std::vector<std::pair<std::string, AttributeValue>> cases;
  for (size_t key_size : {1, 17, 33, 60, 100, 120, 126, 127, 128, 200}) {
    const std::string key(key_size, 'k');
    for (size_t value_size :
         {0,   1,   15,  16,  31,  32,  33,  64,  65,  100, 117, 118,  119,
          120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 300, 20000})
      cases.emplace_back(key, std::string(value_size, 'v'));
    for (int64_t number :
         {int64_t{0}, int64_t{127}, int64_t{128}, int64_t{-1},
          std::numeric_limits<int64_t>::max(), int64_t{1} << 49})
      cases.emplace_back(key, number);
    cases.emplace_back(key, true);
    cases.emplace_back(key, false);
    cases.emplace_back(key, -2.5);
  }
  for (const auto& [key, value] : cases) {
    auto span = std::make_unique<SpanData>();
    span->attributes.emplace_back(key, value);
    std::vector<std::unique_ptr<SpanData>> batch;
    batch.push_back(std::move(span));
    std::string out;
    EncodeProtobuf(batch, out);
    const ProtoMessage encoded_span =
        ProtoMessage::Parse(out).Sub(1).Sub(2).Sub(2);  // the Span
    const auto key_values = encoded_span.All(9);
    ASSERT_EQ(key_values.size(), 1u);
    const std::string expected = ExpectedKeyValue(key, value);
    EXPECT_EQ(Hex(LengthDelimited(9, key_values[0]->bytes)),
              Hex(LengthDelimited(9, expected)))
        << key.size() << " " << value.index();
    EXPECT_NE(out.find(LengthDelimited(9, expected)), std::string::npos);
  }
}

// The request is assembled from separately encoded runs (EncodeProtobuf):
// its bytes must be those of the same messages nested the plain way, whether
// a ScopeSpans or ResourceSpans length takes one, two or three bytes.
TEST(OtlpProtobufTest, RequestsOfEverySizeAreLaidOutCanonically) {
  static const InstrumentationScope other_scope{"other", "2.0"};  // no schema
  static const Resource other_resource(
      Attributes{{"service.name", std::string("b")}, {"shard", int64_t{7}}});
  const auto resource_message = [](const Resource& resource) {
    std::string body;
    for (const auto& a : resource.attributes())
      body += LengthDelimited(1, ExpectedKeyValue(a.key.view(), a.value));
    return LengthDelimited(1, body);
  };
  const auto scope_message = [](const InstrumentationScope& scope) {
    std::string body;
    if (!scope.name.empty()) body += LengthDelimited(1, scope.name);
    if (!scope.version.empty()) body += LengthDelimited(2, scope.version);
    return LengthDelimited(1, body);
  };
  const auto span_message = [](const SpanData& span) {
    std::string body;
    EncodeSpanProtobuf(span, body);
    return LengthDelimited(2, body);
  };
  for (size_t rich_count : {1, 3, 40, 200}) {
    std::vector<std::unique_ptr<SpanData>> batch;
    for (size_t i = 0; i < rich_count; ++i)
      batch.push_back(testing::RichSpan());
    batch.push_back(testing::RichSpan());
    batch.back()->scope = &other_scope;
    batch.push_back(testing::RichSpan());
    batch.back()->resource = &other_resource;
    batch.push_back(std::make_unique<SpanData>());  // no resource, no scope
    batch.back()->name = "bare";

    // ScopeSpans.schema_url (field 3) comes after the spans.
    const std::string rich_schema =
        LengthDelimited(3, testing::RichScope().schema_url);
    std::string rich_scope_spans = scope_message(testing::RichScope());
    for (size_t i = 0; i < rich_count; ++i)
      rich_scope_spans += span_message(*batch[i]);
    rich_scope_spans += rich_schema;
    const std::string first_resource =
        resource_message(testing::RichResource()) +
        LengthDelimited(2, rich_scope_spans) +
        LengthDelimited(
            2, scope_message(other_scope) + span_message(*batch[rich_count]));
    const std::string second_resource =
        resource_message(other_resource) +
        LengthDelimited(2, scope_message(testing::RichScope()) +
                               span_message(*batch[rich_count + 1]) +
                               rich_schema);
    const std::string empty_resource =
        resource_message(Resource()) +
        LengthDelimited(2, scope_message(InstrumentationScope{}) +
                               span_message(*batch.back()));
    const std::string expected = LengthDelimited(1, first_resource) +
                                 LengthDelimited(1, second_resource) +
                                 LengthDelimited(1, empty_resource);
    std::string out = "prefix";  // appended to, not replaced
    EncodeProtobuf(batch, out);
    ASSERT_EQ(out.size(), 6 + expected.size()) << rich_count;
    EXPECT_TRUE(out.starts_with("prefix")) << rich_count;
    EXPECT_EQ(Hex(out.substr(6)), Hex(expected)) << rich_count;
  }
}

// Attributes still held as facts are encoded as if written into the span.
TEST(OtlpDeferredAttributesTest, EncodedAsTheWrittenAttributes) {
  std::vector<std::unique_ptr<SpanData>> as_facts;
  TracerProviderOptions options;
  options.processors.push_back(std::make_unique<BatchSpanProcessor>(
      std::make_unique<KeepingExporter>(as_facts)));
  TracerProvider provider(std::move(options));  // outlives the facts' use
  Span span = provider.GetTracer("test").StartSpan("deferring");
  kafkatrace::detail::SpanHandoff::EndWithDeferredAttributes(span,
                                                             &ListEveryKind, 0);
  ASSERT_TRUE(provider.ForceFlush(testing::SecondsFromNow(10)));
  ASSERT_EQ(as_facts.size(), 1u);
  ASSERT_NE(as_facts[0]->deferred.lister, nullptr);
  std::vector<std::unique_ptr<SpanData>> written;
  written.push_back(std::make_unique<SpanData>(*as_facts[0]));
  kafkatrace::detail::ResolveDeferredAttributes(*written[0]);
  ASSERT_EQ(written[0]->attributes.size(), 10u);
  std::string facts_encoded, written_encoded;
  EncodeProtobuf(as_facts, facts_encoded);
  EncodeProtobuf(written, written_encoded);
  EXPECT_EQ(Hex(facts_encoded), Hex(written_encoded));
  facts_encoded.clear();
  written_encoded.clear();
  EncodeJson(as_facts, facts_encoded);
  EncodeJson(written, written_encoded);
  EXPECT_EQ(facts_encoded, written_encoded);
}

// A span whose every string field (names, keys, values, array elements,
// event, link, status, scope and resource) ends with `tail`.
std::unique_ptr<SpanData> SpanEndingEachStringWith(
    const std::string& tail, Resource& resource, InstrumentationScope& scope) {
  const auto text = [&](std::string head) { return head.append(tail); };
  resource = Resource(Attributes{{text("service.name"), text("orders")}});
  scope = InstrumentationScope{text("scope"), text("1.0"), text("https://s/")};
  auto span = testing::RichSpan();
  span->name = text("send ");
  span->attributes = {
      {text("short"), text("v")},                   // the one-byte layout
      {text("long"), text(std::string(200, 'x'))},  // lengths of two bytes
      {"number", int64_t{7}},
      {text("key"), int64_t{7}},
      {"tags", std::vector<std::string>{text("a"), "b"}},
      {text("array key"), std::vector<int64_t>{1}}};
  span->events = {{text("exception"),
                   1'700'000'000'150'000'000,
                   {{"exception.message", text("bad ")}},
                   0}};
  span->links[0].attributes = {{"messaging.kafka.message.key", text("k")}};
  span->status_message = text("broker ");
  span->resource = &resource;
  span->scope = &scope;
  return span;
}

// protobuf-go, Java and upb reject a whole request whose `string` fields are
// not UTF-8; the encoders repair each bad byte to U+FFFD instead, everywhere.
TEST(OtlpUtf8Test, BadBytesInAnyStringFieldGoOutAsReplacementCharacters) {
  const std::string kBad = "\xFF\xC3";  // a stray byte, a truncated sequence
  const std::string kRepaired = "\xEF\xBF\xBD\xEF\xBF\xBD";  // U+FFFD twice
  Resource bad_resource, repaired_resource;
  InstrumentationScope bad_scope, repaired_scope;
  std::vector<std::unique_ptr<SpanData>> bad, repaired;
  bad.push_back(SpanEndingEachStringWith(kBad, bad_resource, bad_scope));
  repaired.push_back(
      SpanEndingEachStringWith(kRepaired, repaired_resource, repaired_scope));

  std::string bad_protobuf, repaired_protobuf;
  EncodeProtobuf(bad, bad_protobuf);
  EncodeProtobuf(repaired, repaired_protobuf);
  EXPECT_EQ(Hex(bad_protobuf), Hex(repaired_protobuf));
  EXPECT_EQ(bad_protobuf.find("\xFF"), std::string::npos);
  ProtoMessage span = ProtoMessage::Parse(bad_protobuf).Sub(1).Sub(2).Sub(2);
  EXPECT_EQ(span.Str(5), "send " + kRepaired);
  EXPECT_EQ(span.Subs(9)[0].Str(1), "short" + kRepaired);
  EXPECT_EQ(AnyString(span.Subs(9)[0].Sub(2)), "v" + kRepaired);

  std::string bad_json, repaired_json;
  EncodeJson(bad, bad_json);
  EncodeJson(repaired, repaired_json);
  EXPECT_EQ(nlohmann::json::parse(bad_json),
            nlohmann::json::parse(repaired_json));
}

// Valid UTF-8 beyond ASCII is written as it is.
TEST(OtlpUtf8Test, WellFormedTextIsKeptByteForByte) {
  const std::string kText = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  Resource resource;
  InstrumentationScope scope;
  std::vector<std::unique_ptr<SpanData>> batch;
  batch.push_back(SpanEndingEachStringWith(kText, resource, scope));
  std::string out;
  EncodeProtobuf(batch, out);
  ProtoMessage span = ProtoMessage::Parse(out).Sub(1).Sub(2).Sub(2);
  EXPECT_EQ(span.Str(5), "send " + kText);
  EXPECT_EQ(span.Subs(9)[1].Str(1), "long" + kText);
  EXPECT_EQ(AnyString(span.Subs(9)[1].Sub(2)), std::string(200, 'x') + kText);
  EXPECT_EQ(span.Sub(15).Str(2), "broker " + kText);
}

TEST(OtlpResponseTest, PartialSuccessDecoding) {
  // partial_success { rejected_spans: 2, error_message: "bad" }
  std::string body = std::string(
      "\x0a\x07\x08\x02\x12\x03"
      "bad",
      9);
  auto partial = DecodeResponseProtobuf(body);
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->rejected, 2);
  EXPECT_EQ(partial->error_message, "bad");
  EXPECT_EQ(DecodeResponseProtobuf("")->rejected, 0);
  EXPECT_FALSE(DecodeResponseProtobuf("\x0a\x09"));
  auto json = DecodeResponseJson(
      R"({"partialSuccess":{"rejectedSpans":"3","errorMessage":"x"}})");
  ASSERT_TRUE(json);
  EXPECT_EQ(json->rejected, 3);
  EXPECT_FALSE(DecodeResponseJson("{not json"));
}

// google.rpc.Status{code, message, details: [Any{type_url, value}]}, with a
// RetryInfo{retry_delay: Duration{seconds, nanos}} as the detail's value.
std::string StatusWithDetail(std::string_view type_url, int64_t seconds,
                             int64_t nanos) {
  auto message = [](auto&& fill) {
    ProtobufWriter w;
    fill(w);
    return std::string(w.view());
  };
  const std::string duration = message([&](ProtobufWriter& w) {
    w.OptionalVarintField(1, static_cast<uint64_t>(seconds));
    w.OptionalVarintField(2, static_cast<uint64_t>(nanos));
  });
  const std::string retry_info =
      message([&](ProtobufWriter& w) { w.OptionalBytesField(1, duration); });
  const std::string any = message([&](ProtobufWriter& w) {
    w.OptionalBytesField(1, type_url);
    w.OptionalBytesField(2, retry_info);
  });
  return message([&](ProtobufWriter& w) {
    w.OptionalVarintField(1, 8);
    w.OptionalBytesField(2, "slow down");
    w.OptionalBytesField(3, any);
  });
}

TEST(OtlpResponseTest, RetryDelayComesFromARetryInfoDetail) {
  EXPECT_EQ(DecodeRetryDelay(StatusWithDetail(
                "type.googleapis.com/google.rpc.RetryInfo", 2, 500'000'000)),
            std::chrono::milliseconds(2500));
  EXPECT_EQ(DecodeRetryDelay(StatusWithDetail(
                "type.googleapis.com/google.rpc.RetryInfo", 0, 100'000'000)),
            std::chrono::milliseconds(100));
  // Another detail type, a delay past a day, no detail, broken bytes: none.
  EXPECT_FALSE(DecodeRetryDelay(
      StatusWithDetail("type.googleapis.com/google.rpc.DebugInfo", 1, 0)));
  EXPECT_FALSE(DecodeRetryDelay(StatusWithDetail(
      "type.googleapis.com/google.rpc.RetryInfo", 100'000, 0)));
  EXPECT_FALSE(DecodeRetryDelay(std::string("\x08\x08", 2)));
  EXPECT_FALSE(DecodeRetryDelay("\x1a\x09"));
}

TEST(TextTest, Base64DecodesPaddedAndUnpadded) {
  EXPECT_EQ(text::Base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(text::Base64Decode("aGVsbG8"), "hello");  // gRPC's -bin headers
  EXPECT_EQ(text::Base64Decode("aGk"), "hi");
  EXPECT_EQ(text::Base64Decode("+/8="), std::string("\xfb\xff", 2));
  EXPECT_EQ(text::Base64Decode(""), "");
  EXPECT_FALSE(text::Base64Decode("a"));        // not a whole byte
  EXPECT_FALSE(text::Base64Decode("aGV$bG8"));  // not base64
}

TEST(TextTest, Base64EncodesTheRfcVectorsAndEveryByte) {
  // RFC 4648 section 10.
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [bytes, encoded] : vectors)
    EXPECT_EQ(text::Base64Encode(bytes), encoded) << bytes;
  EXPECT_EQ(text::Base64Encode(std::string("\xfb\xff", 2)), "+/8=");
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
  for (size_t length = 0; length <= every_byte.size(); length += 7) {
    const std::string bytes = every_byte.substr(256 - length);
    EXPECT_EQ(text::Base64Decode(text::Base64Encode(bytes)), bytes) << length;
  }
}

}  // namespace
}  // namespace kafkatrace::otlp
