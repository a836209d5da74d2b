// InternedNames: one immortal copy per name, found again from any thread,
// bounded.
#include "kafka/interned_names.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>

namespace kafkatrace::kafka::detail {
namespace {

TEST(InternedNamesTest, OneCopyPerNameThatOutlivesTheCaller) {
  const char* first;
  {
    std::string topic = "questions";
    first = InternedNames::Intern(topic);
    topic = "overwritten";  // the caller's string changes, the copy does not
  }
  ASSERT_NE(first, nullptr);
  EXPECT_STREQ(first, "questions");
  EXPECT_EQ(InternedNames::Intern("questions"), first);
  EXPECT_NE(InternedNames::Intern("answers"), first);
  EXPECT_STREQ(InternedNames::Intern("answers"), "answers");
  // A prefix is another name, not a hit on the longer one.
  EXPECT_STREQ(InternedNames::Intern("quest"), "quest");
  // A view of the copy, as clients keep their own names, finds the copy.
  const std::string client = "client-1";
  const std::string_view kept = InternedNames::InternOrKeep(client);
  EXPECT_EQ(kept, "client-1");
  EXPECT_NE(kept.data(), client.data());
  EXPECT_EQ(InternedNames::Intern(kept), kept.data());
  EXPECT_EQ(InternedNames::InternOrKeep(""), "");
}

TEST(InternedNamesTest, NamesAreFoundAgainPastThisThreadsRecentOnes) {
  // More names than a thread remembers, twice round: the second round finds
  // the same copies in the shared pool.
  std::vector<const char*> copies;
  for (int i = 0; i < 20; ++i)
    copies.push_back(InternedNames::Intern("topic-" + std::to_string(i)));
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(InternedNames::Intern("topic-" + std::to_string(i)), copies[i]);
    EXPECT_EQ(std::string(copies[i]), "topic-" + std::to_string(i));
  }
  const char* from_another_thread = nullptr;
  std::thread([&] {
    from_another_thread = InternedNames::Intern("topic-3");
  }).join();
  EXPECT_EQ(from_another_thread, copies[3]);
}

TEST(InternedNamesTest, AViewOfACopyIsRecognizedOnlyWhole) {
  // Views of copies are recognized by address; a shorter view starting at a
  // copy is another name and must get its own NUL-terminated copy. Asked
  // twice each, so the second asks hit what the first remembered, and for
  // more copies than the thread remembers by address.
  std::vector<std::string_view> kept;
  for (int i = 0; i < 40; ++i) {
    const std::string name = "by-address-" + std::to_string(i);
    kept.push_back(InternedNames::InternOrKeep(name));
    ASSERT_NE(kept.back().data(), name.data());
  }
  for (int round = 0; round < 2; ++round) {
    for (const std::string_view whole : kept) {
      EXPECT_EQ(InternedNames::Intern(whole), whole.data());
      const std::string_view prefix = whole.substr(0, 9);  // "by-addres"
      const char* copy = InternedNames::Intern(prefix);
      ASSERT_NE(copy, nullptr);
      EXPECT_NE(copy, whole.data());
      EXPECT_STREQ(copy, "by-addres");
    }
  }
}

TEST(InternedNamesTest, ANameWithANulIsRefused) {
  EXPECT_EQ(InternedNames::Intern(std::string_view("a\0b", 3)), nullptr);
}

TEST(InternedNamesTest, RepeatedNamesRepeatCopiesOnlyForViewsThatAreCopies) {
  RepeatedNames<3> repeated;
  const std::string_view group = InternedNames::InternOrKeep("orders-group");
  const std::string_view client = InternedNames::InternOrKeep("orders-client");
  std::array<const char*, 3> out{};
  ASSERT_TRUE(repeated.Intern({group, client, std::string_view()}, out));
  EXPECT_EQ(out[0], group.data());
  EXPECT_EQ(out[1], client.data());
  EXPECT_EQ(out[2], nullptr);  // empty: no name
  out = {};
  ASSERT_TRUE(repeated.Intern({group, client, std::string_view()}, out));
  EXPECT_EQ(out[0], group.data());
  EXPECT_EQ(out[1], client.data());

  // A caller's own buffer is not a copy: its address says nothing about what
  // it holds next time, so the same address with other characters is looked
  // up again.
  std::string own = "host-a";
  ASSERT_TRUE(repeated.Intern({group, client, own}, out));
  EXPECT_STREQ(out[2], "host-a");
  EXPECT_NE(out[2], own.data());
  own[5] = 'b';
  ASSERT_TRUE(repeated.Intern({group, client, own}, out));
  EXPECT_STREQ(out[2], "host-b");
  // Another copy in the same place is noticed.
  const std::string_view other = InternedNames::InternOrKeep("other-group");
  ASSERT_TRUE(repeated.Intern({other, client, std::string_view()}, out));
  EXPECT_EQ(out[0], other.data());
  // A name that cannot be interned fails the whole call.
  EXPECT_FALSE(repeated.Intern(
      {group, std::string_view("a\0b", 3), std::string_view()}, out));
}

TEST(InternedNamesTest, NamesOfOneLengthDifferingInAnyByteAreTold) {
  // A name this thread saw last, and one of the same length that differs in
  // one byte only, wherever it is: each keeps its own copy.
  for (size_t length = 1; length <= 40; ++length) {
    std::string base;
    for (size_t i = 0; i < length; ++i) base += static_cast<char>('a' + i % 26);
    const char* base_copy = InternedNames::Intern(base);
    ASSERT_NE(base_copy, nullptr);
    for (size_t at = 0; at < length; ++at) {
      std::string other = base;
      other[at] = '-';
      const char* other_copy = InternedNames::Intern(other);
      ASSERT_NE(other_copy, nullptr);
      EXPECT_NE(other_copy, base_copy) << length << " " << at;
      EXPECT_EQ(std::string(other_copy), other);
      EXPECT_EQ(InternedNames::Intern(base), base_copy) << length << " " << at;
    }
  }
}

TEST(InternedNamesTest, PastTheBoundNewNamesAreRefusedAndOldOnesStillFound) {
  // Too many characters: refused while there is room for other names.
  EXPECT_EQ(
      InternedNames::Intern(std::string(InternedNames::kMaxBytes + 1, 'x')),
      nullptr);
  const char* early = InternedNames::Intern("early");
  ASSERT_NE(early, nullptr);
  size_t interned = 0;
  for (size_t i = 0; i < InternedNames::kMaxNames + 10; ++i) {
    if (InternedNames::Intern("filler-" + std::to_string(i)) != nullptr)
      ++interned;
  }
  EXPECT_LT(interned, InternedNames::kMaxNames);
  EXPECT_EQ(InternedNames::Intern("one too many"), nullptr);
  EXPECT_EQ(InternedNames::Intern("early"), early);
  // A client's own name, not interned, is kept where it is.
  const std::string client = "client-too-many";
  EXPECT_EQ(InternedNames::InternOrKeep(client).data(), client.data());
  EXPECT_EQ(InternedNames::InternOrKeep("early").data(), early);
}

}  // namespace
}  // namespace kafkatrace::kafka::detail
