#include "kafka/topic_handles.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace kafkatrace::kafka::detail {
namespace {

// A producer that never connects: topic handles need no broker.
struct Client {
  Client() {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char error[256];
    rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", error,
                      sizeof(error));
    rd_kafka_conf_set(conf, "log_level", "0", error, sizeof(error));
    handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  }
  ~Client() { rd_kafka_destroy(handle); }
  rd_kafka_t* handle;
};

TEST(TopicHandlesTest, OneHandlePerTopicNamedAsIt) {
  Client client;
  ASSERT_NE(client.handle, nullptr);
  TopicHandles topics(client.handle);
  rd_kafka_topic_t* orders = topics.Find("orders");
  ASSERT_NE(orders, nullptr);
  EXPECT_STREQ(rd_kafka_topic_name(orders), "orders");
  rd_kafka_topic_t* answers = topics.Find("answers");
  ASSERT_NE(answers, nullptr);
  EXPECT_NE(answers, orders);
  EXPECT_STREQ(rd_kafka_topic_name(answers), "answers");
  // Compared by content, not by the caller's pointer.
  const std::string again = std::string("ord") + "ers";
  EXPECT_EQ(topics.Find(again), orders);
  EXPECT_EQ(topics.Find("orders2"), topics.Find("orders2"));
  EXPECT_NE(topics.Find("orders2"), orders);
  topics.DestroyHandles();
}

TEST(TopicHandlesTest, PastItsBoundTheCallerProducesByName) {
  Client client;
  TopicHandles topics(client.handle, /*max_topics=*/3);
  rd_kafka_topic_t* kept[3];
  for (int i = 0; i < 3; ++i) {
    kept[i] = topics.Find("topic-" + std::to_string(i));
    ASSERT_NE(kept[i], nullptr);
  }
  EXPECT_EQ(topics.Find("topic-3"), nullptr);
  EXPECT_EQ(topics.Find("topic-4"), nullptr);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(topics.Find("topic-" + std::to_string(i)), kept[i]);
}

TEST(TopicHandlesTest, ThreadsFindingTheSameTopicsShareTheirHandles) {
  Client client;
  TopicHandles topics(client.handle);
  constexpr int kThreads = 4, kTopics = 20;
  std::vector<std::vector<rd_kafka_topic_t*>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        for (int i = 0; i < kTopics; ++i) {
          // Each thread in its own order, so they race to add.
          const int topic = (i * (t + 1) + round) % kTopics;
          rd_kafka_topic_t* handle = topics.Find("t" + std::to_string(topic));
          if (round == 0) seen[t].push_back(handle);
          ASSERT_NE(handle, nullptr);
          EXPECT_EQ(std::string(rd_kafka_topic_name(handle)),
                    "t" + std::to_string(topic));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<rd_kafka_topic_t*> distinct;
  for (const auto& handles : seen)
    distinct.insert(handles.begin(), handles.end());
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kTopics));
}

}  // namespace
}  // namespace kafkatrace::kafka::detail
