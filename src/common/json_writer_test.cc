#include "common/json_writer.h"

#include <gtest/gtest.h>

#include <limits>

namespace kafkatrace::json {
namespace {

std::string Quote(std::string_view s) {
  std::string out;
  AppendString(out, s);
  return out;
}

TEST(JsonWriterTest, EscapesControlQuotesAndInvalidUtf8) {
  EXPECT_EQ(Quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Quote("\n\t\x01"), R"("\n\t\u0001")");
  EXPECT_EQ(Quote("caf\xc3\xa9"),
            "\"caf\xc3\xa9\"");             // valid UTF-8 passes through
  EXPECT_EQ(Quote("\xc3"), R"("\ufffd")");  // truncated sequence
  EXPECT_EQ(Quote("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // surrogate
  EXPECT_EQ(Quote("</script>"), R"("</script>")");
}

TEST(JsonWriterTest, WriterPlacesCommas) {
  std::string out;
  Writer w(out);
  w.BeginObject()
      .Key("a")
      .Int(1)
      .Key("b")
      .BeginArray()
      .Int(1)
      .Int(2)
      .EndArray();
  w.Key("c").Double(std::numeric_limits<double>::infinity()).EndObject();
  EXPECT_EQ(out, R"({"a":1,"b":[1,2],"c":"Infinity"})");
}

}  // namespace
}  // namespace kafkatrace::json
