// librdkafka's mock cluster as an in-process Kafka for tests: real protocol
// over TCP on loopback, so kcat and other clients can connect to
// bootstrap_servers() too.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <librdkafka/rdkafkacpp.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

namespace kafkatrace::testing {

inline constexpr int16_t kProduceApiKey =
    0;  // Kafka protocol ApiKey of ProduceRequest
inline constexpr int16_t kOffsetCommitApiKey = 8;  // OffsetCommitRequest

class MockCluster {
 public:
  explicit MockCluster(int brokers = 1) {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", nullptr, 0);
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
    if (handle_ == nullptr) throw std::runtime_error(error);
    cluster_ = rd_kafka_mock_cluster_new(handle_, brokers);
    if (cluster_ == nullptr)
      throw std::runtime_error("cannot create mock cluster");
    bootstrap_servers_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(handle_);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  void CreateTopic(const std::string& topic, int partitions = 1) {
    rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1);
  }
  const std::string& bootstrap_servers() const { return bootstrap_servers_; }
  rd_kafka_mock_cluster_t* get() { return cluster_; }

  std::unique_ptr<RdKafka::Conf> ProducerConf() const {
    auto conf = BaseConf();
    Set(*conf, "linger.ms", "0");
    return conf;
  }
  std::unique_ptr<RdKafka::Conf> ConsumerConf(const std::string& group) const {
    auto conf = BaseConf();
    Set(*conf, "group.id", group);
    Set(*conf, "auto.offset.reset", "earliest");
    Set(*conf, "enable.auto.commit", "false");
    return conf;
  }
  static void Set(RdKafka::Conf& conf, const std::string& name,
                  const std::string& value) {
    std::string error;
    if (conf.set(name, value, error) != RdKafka::Conf::CONF_OK)
      throw std::runtime_error(error);
  }

 private:
  std::unique_ptr<RdKafka::Conf> BaseConf() const {
    std::unique_ptr<RdKafka::Conf> conf(
        RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    Set(*conf, "bootstrap.servers", bootstrap_servers_);
    Set(*conf, "client.id", "kafkatrace-test");
    // KAFKATRACE_TEST_KAFKA_DEBUG=cgrp,broker,... turns librdkafka's debug log
    // on.
    if (const char* debug = std::getenv("KAFKATRACE_TEST_KAFKA_DEBUG")) {
      Set(*conf, "debug", debug);
    } else {
      Set(*conf, "log_level", "0");
    }
    return conf;
  }

  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_servers_;
};

}  // namespace kafkatrace::testing
