// Interop with Debian's kcat, a librdkafka client nobody here wrote: records it
// produces with a traceparent are continued by our consumer, and it reads the
// headers our producer writes.
#include <gtest/gtest.h>

#include <cstdio>

#include "kafkatrace/kafka/tracing_consumer.h"
#include "kafkatrace/kafka/tracing_producer.h"
#include "support/mock_cluster.h"
#include "support/test_tracing.h"

namespace kafkatrace::kafka {
namespace {

// Runs a shell command, feeding `input` on stdin; returns stdout and the exit
// status.
std::pair<std::string, int> RunShell(const std::string& command,
                                     const std::string& input = "") {
  char path[] = "/tmp/kafkatrace-kcat-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return {"", -1};
  if (!input.empty() && write(fd, input.data(), input.size()) < 0)
    return {"", -1};
  close(fd);
  FILE* pipe = popen((command + " < " + path + " 2>&1").c_str(), "r");
  std::string output;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), pipe)) output.append(buf, n);
  int status = pclose(pipe);
  unlink(path);
  return {output, WEXITSTATUS(status)};
}

class KcatInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(RunShell("command -v kcat").second, 0)
        << "kcat is missing: run scripts/install-deps.sh";
    cluster_.CreateTopic("from-kcat");
    cluster_.CreateTopic("to-kcat");
  }
  testing::MockCluster cluster_;
  testing::TestTracing tracing_;
};

TEST_F(KcatInteropTest, OurConsumerContinuesATraceStartedByKcat) {
  auto [out, status] = RunShell(
      "kcat -b " + cluster_.bootstrap_servers() +
          " -t from-kcat -P -k order-1 "
          "-H "
          "traceparent=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 "
          "-H tracestate=vendor=kcat",
      "hello from kcat\n");
  ASSERT_EQ(status, 0) << out;
  auto consumer = TracingConsumer::Create(cluster_.ConsumerConf("kcat-interop"),
                                          tracing_.tracer());
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE((*consumer)->Subscribe({"from-kcat"}).ok());
  std::optional<ConsumedRecord> record;
  for (int i = 0; i < 100 && !record; ++i) record = (*consumer)->Poll(100);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->value(), "hello from kcat");
  { ProcessSpanScope process(**consumer, *record); }
  auto spans = tracing_.spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].context.trace_id().ToHex(),
            "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(spans[0].parent_span_id.ToHex(), "b7ad6b7169203331");
  EXPECT_EQ(spans[0].context.trace_state().header(), "vendor=kcat");
}

TEST_F(KcatInteropTest, KcatReadsTheHeadersWeWrite) {
  auto producer =
      TracingProducer::Create(cluster_.ProducerConf(), tracing_.tracer());
  ASSERT_TRUE(producer.ok());
  ASSERT_EQ((*producer)->Produce({.topic = "to-kcat",
                                  .key = "k",
                                  .value = "traced",
                                  .headers = {{"app", "1"}}}),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ((*producer)->Flush(5000), RdKafka::ERR_NO_ERROR);
  auto [out, status] = RunShell(
      "kcat -b " + cluster_.bootstrap_servers() +
      " -t to-kcat -C -o beginning -c 1 -e -f 'headers=%h value=%s\\n'");
  ASSERT_EQ(status, 0) << out;
  auto send = tracing_.spans().at(0);
  const std::string traceparent = "00-" + send.context.trace_id().ToHex() +
                                  "-" + send.context.span_id().ToHex() + "-03";
  EXPECT_NE(
      out.find("headers=app=1,traceparent=" + traceparent + " value=traced"),
      std::string::npos)
      << out;
}

}  // namespace
}  // namespace kafkatrace::kafka
