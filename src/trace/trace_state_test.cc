// TraceState parsing: W3C rules 8-13 and 17 (the propagator tests cover 6, 7
// and 16).
#include "kafkatrace/trace_state.h"

#include <gtest/gtest.h>

#include <string>

namespace kafkatrace {
namespace {

std::string Members(int n, int first = 0) {
  std::string s;
  for (int i = first; i < first + n; ++i) {
    if (!s.empty()) s += ',';
    const std::string number = std::to_string(i);
    s += "k" + number + "=v" + number;
  }
  return s;
}

TEST(TraceStateTest, Rule8SkipsEmptyMembersAndTrimsOws) {
  auto ts = TraceState::Parse(" a=1 ,, \t,b=2\t, ");
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->header(), "a=1,b=2");
  auto empty = TraceState::Parse("  ,  ");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(TraceStateTest, Rule9KeyGrammar) {
  EXPECT_TRUE(TraceState::IsValidKey("a"));
  EXPECT_TRUE(TraceState::IsValidKey("0abc"));
  EXPECT_TRUE(TraceState::IsValidKey("a_b-c*d/e@f@g"));
  EXPECT_TRUE(TraceState::IsValidKey("tenant@vendor"));
  EXPECT_TRUE(TraceState::IsValidKey(std::string(256, 'a')));
  EXPECT_FALSE(TraceState::IsValidKey(std::string(257, 'a')));
  EXPECT_FALSE(TraceState::IsValidKey("@b"));
  EXPECT_FALSE(TraceState::IsValidKey("_b"));
  EXPECT_FALSE(TraceState::IsValidKey("Abc"));
  EXPECT_FALSE(TraceState::IsValidKey("foo "));
  EXPECT_FALSE(TraceState::IsValidKey(""));
  // No tenant/vendor sub-lengths: a long tenant part is fine.
  EXPECT_TRUE(TraceState::IsValidKey(std::string(250, 't') + "@vv"));
}

TEST(TraceStateTest, Rule9ValueGrammarKeepsLeadingSpaces) {
  EXPECT_TRUE(TraceState::IsValidValue("x"));
  EXPECT_TRUE(TraceState::IsValidValue(" x"));
  EXPECT_FALSE(TraceState::IsValidValue("x "));
  EXPECT_FALSE(TraceState::IsValidValue(""));
  EXPECT_FALSE(TraceState::IsValidValue("a=b"));
  EXPECT_FALSE(TraceState::IsValidValue("a\x7f"));
  EXPECT_TRUE(TraceState::IsValidValue(std::string(256, 'v')));
  EXPECT_FALSE(TraceState::IsValidValue(std::string(257, 'v')));
  auto ts = TraceState::Parse("a=  x");
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->Get("a"), "  x");
}

TEST(TraceStateTest, Rule9NoSpacesAroundEquals) {
  EXPECT_FALSE(TraceState::Parse("foo =1"));
  EXPECT_EQ(TraceState::Parse("foo= 1")->Get("foo"),
            " 1");  // leading space is value
}

TEST(TraceStateTest, Rule10AnyInvalidMemberDiscardsAll) {
  EXPECT_FALSE(TraceState::Parse("a=1,@b=2"));
  EXPECT_FALSE(TraceState::Parse("a=1,b"));      // missing '='
  EXPECT_FALSE(TraceState::Parse("a=1,b="));     // empty value
  EXPECT_FALSE(TraceState::Parse("a=1,b=2=3"));  // extra '='
  EXPECT_FALSE(TraceState::Parse("A=1"));
}

TEST(TraceStateTest, Rule11ThirtyTwoMembersKeptThirtyThreeDiscarded) {
  auto ts = TraceState::Parse(Members(32));
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->members().size(), 32u);
  EXPECT_EQ(ts->header(), Members(32));
  EXPECT_FALSE(TraceState::Parse(Members(33)));
  // Empty members do not count toward the limit.
  auto with_empties = TraceState::Parse(Members(32) + ",,,");
  ASSERT_TRUE(with_empties);
}

TEST(TraceStateTest, Rule12DuplicatesKeepFirst) {
  auto ts = TraceState::Parse("a=1,b=2,a=3");
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->header(), "a=1,b=2");
  // 33 members where one is a duplicate: 32 distinct keys, still valid.
  auto dup = TraceState::Parse(Members(32) + ",k0=again");
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->members().size(), 32u);
}

TEST(TraceStateTest, Rule13LongMembersUnder512AreNotTruncated) {
  std::string long_value(200, 'x');
  std::string header = "a=" + long_value + ",b=" + long_value;  // 406 chars
  auto ts = TraceState::Parse(header);
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->header(), header);
  // And even well above 512 nothing is truncated (we have no lower limit).
  std::string big = Members(0);
  for (int i = 0; i < 10; ++i) {
    if (!big.empty()) big += ',';
    big += "key" + std::to_string(i) + "=" + std::string(250, 'y');
  }
  auto big_ts = TraceState::Parse(big);
  ASSERT_TRUE(big_ts);
  EXPECT_EQ(big_ts->header(), big);
}

TEST(TraceStateTest, Rule17OwnMemberGoesLeftmostAndEvictsRightmost) {
  auto ts = TraceState::Parse("a=1,me=old,b=2");
  auto updated = ts->WithMember("me", "new");
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->header(), "me=new,a=1,b=2");

  auto full = TraceState::Parse(Members(32));
  auto added = full->WithMember("me", "x");
  ASSERT_TRUE(added);
  auto members = added->members();
  ASSERT_EQ(members.size(), 32u);
  EXPECT_EQ(members.front().first, "me");
  EXPECT_EQ(members.back().first, "k30");  // k31 (rightmost) removed
  EXPECT_FALSE(ts->WithMember("Bad", "x"));
  EXPECT_FALSE(ts->WithMember("ok", "bad,value"));
}

}  // namespace
}  // namespace kafkatrace
