// BrokerTable: broker names as librdkafka gives them to interceptors, and the
// per-broker lookups send, process, poll and commit spans make.
#include "kafka/broker_table.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "kafka/interned_names.h"

namespace kafkatrace::kafka::detail {
namespace {

constexpr int16_t kProduce = 0;
constexpr int16_t kFetch = 1;
constexpr int16_t kOffsetCommit = 8;

TEST(BrokerNameTest, HostAndPortOfEveryFormLibrdkafkaUses) {
  struct Case {
    const char* name;
    const char* host;
    int32_t port;
  };
  for (const Case& c : {
           Case{"127.0.0.1:9092/1", "127.0.0.1", 9092},
           Case{"kafka-0.kafka.svc:9092/bootstrap", "kafka-0.kafka.svc", 9092},
           Case{"ssl://broker.example.com:9093/2", "broker.example.com", 9093},
           Case{"sasl_ssl://[fe80::1]:19092/7", "fe80::1", 19092},
           Case{"[::1]:9092", "::1", 9092},
           Case{"localhost:1", "localhost", 1},
       }) {
    const auto parsed = ParseBrokerName(c.name);
    ASSERT_TRUE(parsed) << c.name;
    EXPECT_EQ(parsed->host, c.host) << c.name;
    EXPECT_EQ(parsed->port, c.port) << c.name;
    EXPECT_EQ(parsed->name, c.name);
  }
}

TEST(BrokerNameTest, NamesWithoutAUsablePortAreRefused) {
  for (const char* name :
       {"", "localhost", "localhost/1", "host:/1", ":9092/1", "host:0/1",
        "host:65536/1", "host:90x2/1", "ssl://:9093/1", "[]:9092/1"}) {
    EXPECT_FALSE(ParseBrokerName(name)) << name;
  }
}

TEST(BrokerTableTest, LearnsEachBrokersAddressFromItsResponses) {
  BrokerTable table;
  EXPECT_EQ(table.AddressOf(1), nullptr);
  table.OnResponse("10.0.0.1:9092/1", 1, kFetch, 300);
  table.OnResponse("10.0.0.2:9094/2", 2, kFetch, 300);
  ASSERT_NE(table.AddressOf(1), nullptr);
  ASSERT_NE(table.AddressOf(2), nullptr);
  EXPECT_EQ(table.AddressOf(1)->host, "10.0.0.1");
  EXPECT_EQ(table.AddressOf(2)->port, 9094);
  // Its host also has an interned copy, which outlives the table.
  EXPECT_EQ(table.AddressOf(1)->stable_host(), "10.0.0.1");
  EXPECT_EQ(table.AddressOf(1)->stable_host().data(),
            InternedNames::Intern("10.0.0.1"));
  EXPECT_EQ(table.AddressOf(3), nullptr);
  // Repeated responses reuse the published address.
  const BrokerAddress* first = table.AddressOf(1);
  table.OnResponse("10.0.0.1:9092/1", 1, kFetch, 300);
  EXPECT_EQ(table.AddressOf(1), first);
  // A renamed broker gets a new address; the old one stays readable.
  table.OnResponse("10.0.0.9:9092/1", 1, kFetch, 300);
  EXPECT_EQ(table.AddressOf(1)->host, "10.0.0.9");
  EXPECT_EQ(first->host, "10.0.0.1");
}

TEST(BrokerTableTest, BootstrapConnectionsAndBadNamesTeachNothing) {
  BrokerTable table;
  table.OnResponse("10.0.0.1:9092/bootstrap", -1, kFetch, 300);
  table.OnResponse("garbage", 4, kFetch, 300);
  table.OnResponse(nullptr, 5, kFetch, 300);
  EXPECT_EQ(table.AddressOf(-1), nullptr);
  EXPECT_EQ(table.AddressOf(4), nullptr);
  EXPECT_EQ(table.AddressOf(5), nullptr);
}

TEST(BrokerTableTest, IdsSharingASlotAreToldApart) {
  BrokerTable table;
  table.OnResponse("a:1/3", 3, kProduce, 111);
  table.OnResponse("b:2/259", 259, kFetch, 222);  // 259 % 256 == 3
  EXPECT_EQ(table.ProduceRttUs(3), 111);
  EXPECT_EQ(table.ProduceRttUs(259), 0);  // no produce round trip of its own
  ASSERT_NE(table.AddressOf(259), nullptr);
  EXPECT_EQ(table.AddressOf(259)->host, "b");
  EXPECT_EQ(table.AddressOf(3), nullptr);  // its slot now names broker 259
}

TEST(BrokerTableTest, ProduceRoundTripsAndTheCommitCoordinator) {
  BrokerTable table;
  EXPECT_EQ(table.ProduceRttUs(1), 0);
  table.OnResponse("h:1/1", 1, kProduce, 1500);
  table.OnResponse("h:1/1", 1, kFetch, 99);  // not a produce round trip
  EXPECT_EQ(table.ProduceRttUs(1), 1500);
  EXPECT_EQ(table.ProduceRttUs(-1), 0);
  EXPECT_EQ(table.Coordinator(), nullptr);
  table.OnResponse("coordinator:9092/2", 2, kOffsetCommit, 10);
  ASSERT_NE(table.Coordinator(), nullptr);
  EXPECT_EQ(table.Coordinator()->host, "coordinator");
}

// Broker threads write while application threads read (TSan/ASan builds make
// this meaningful): every address read is whole and belongs to its id.
TEST(BrokerTableTest, ConcurrentRenamesAndReadsStayConsistent) {
  BrokerTable table;
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) {
      const std::string name =
          "host" + std::to_string(i % 7) + ":" + std::to_string(1000 + i % 7);
      table.OnResponse((name + "/1").c_str(), 1, kProduce, i);
    }
  });
  for (int i = 0; i < 20000; ++i) {
    if (const BrokerAddress* address = table.AddressOf(1)) {
      ASSERT_EQ(address->broker_id, 1);
      ASSERT_EQ(address->host, "host" + std::to_string(address->port - 1000));
    }
  }
  writer.join();
}

}  // namespace
}  // namespace kafkatrace::kafka::detail
