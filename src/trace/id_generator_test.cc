#include "kafkatrace/id_generator.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>
#include <thread>

namespace kafkatrace {
namespace {

TEST(RandomIdGeneratorTest, IdsAreValidAndDistinct) {
  RandomIdGenerator generator;
  std::set<std::string> trace_ids, span_ids;
  for (int i = 0; i < 100000; ++i) {
    TraceId t = generator.NewTraceId();
    SpanId s = generator.NewSpanId();
    ASSERT_TRUE(t.IsValid());
    ASSERT_TRUE(s.IsValid());
    trace_ids.insert(t.ToHex());
    span_ids.insert(s.ToHex());
  }
  EXPECT_EQ(trace_ids.size(), 100000u);
  EXPECT_EQ(span_ids.size(), 100000u);
  EXPECT_TRUE(generator.trace_ids_are_random());
}

TEST(RandomIdGeneratorTest, ThreadsDoNotShareSequences) {
  RandomIdGenerator generator;
  std::set<std::string> a, b;
  std::thread ta([&] {
    for (int i = 0; i < 1000; ++i) a.insert(generator.NewSpanId().ToHex());
  });
  std::thread tb([&] {
    for (int i = 0; i < 1000; ++i) b.insert(generator.NewSpanId().ToHex());
  });
  ta.join();
  tb.join();
  for (const auto& id : a) EXPECT_EQ(b.count(id), 0u);
}

// After fork() the child must not replay the parent's sequence: both continue
// from the same in-memory state, so without reseeding their next ids would be
// identical.
TEST(RandomIdGeneratorTest, ForkedChildGetsDifferentIds) {
  RandomIdGenerator generator;
  (void)generator.NewSpanId();  // make sure this thread's generator is seeded
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    std::string ids;
    for (int i = 0; i < 16; ++i) ids += generator.NewSpanId().ToHex();
    ssize_t written = write(fds[1], ids.data(), ids.size());
    _exit(written == static_cast<ssize_t>(ids.size()) ? 0 : 1);
  }
  close(fds[1]);
  std::string parent_ids;
  for (int i = 0; i < 16; ++i) parent_ids += generator.NewSpanId().ToHex();
  std::string child_ids(parent_ids.size(), '\0');
  size_t got = 0;
  while (got < child_ids.size()) {
    ssize_t n = read(fds[0], child_ids.data() + got, child_ids.size() - got);
    ASSERT_GT(n, 0);
    got += static_cast<size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  for (size_t i = 0; i < parent_ids.size(); i += 16) {
    EXPECT_EQ(child_ids.find(parent_ids.substr(i, 16)), std::string::npos);
  }
}

}  // namespace
}  // namespace kafkatrace
