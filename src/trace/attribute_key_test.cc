// AttributeKey keeps short keys inline and longer ones on the heap; every way
// of copying, moving and reassigning must keep the characters, across that
// boundary too.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "kafkatrace/attribute_value.h"

namespace kafkatrace {
namespace {

std::string KeyOfLength(size_t n, char first) {
  std::string key(n, '.');
  for (size_t i = 0; i < n; ++i) key[i] = static_cast<char>(first + i % 23);
  return key;
}

TEST(AttributeKeyTest, EveryLengthSurvivesCopyMoveAndAssign) {
  for (size_t n = 0; n <= 100; ++n) {
    const std::string text = KeyOfLength(n, 'a');
    AttributeKey key(text);
    ASSERT_EQ(key.view(), text) << n;
    AttributeKey copied(key);
    EXPECT_EQ(copied.view(), text) << n;
    AttributeKey moved(std::move(copied));
    EXPECT_EQ(moved.view(), text) << n;
    EXPECT_TRUE(copied.empty()) << n;  // NOLINT: checking the moved-from state
    for (size_t m :
         {size_t{0}, size_t{5}, size_t{44}, size_t{45}, size_t{90}}) {
      const std::string other_text = KeyOfLength(m, 'A');
      AttributeKey other(other_text);
      other = key;  // copy-assign over inline or heap
      EXPECT_EQ(other.view(), text) << n << " over " << m;
      AttributeKey target(other_text);
      target = std::move(other);  // move-assign over inline or heap
      EXPECT_EQ(target.view(), text) << n << " over " << m;
      target.Assign(other_text);  // and back, reusing or freeing
      EXPECT_EQ(target.view(), other_text) << m << " after " << n;
    }
  }
}

TEST(AttributeKeyTest, IsCompact) {
  // Spans hold one key per attribute; growing it grows every in-flight span.
  EXPECT_EQ(sizeof(AttributeKey), 48u);
  EXPECT_LE(sizeof(Attribute), 96u);  // key + the value variant (48)
}

}  // namespace
}  // namespace kafkatrace
