// BrokerTable: what one Kafka client learns about its brokers from their
// responses, for the spans of the records those brokers handled: each broker's
// address (server.address / server.port) and the round trip of its latest
// ProduceRequest (the broker's share of a send span's time).
//
// Fed by librdkafka's on_response_received interceptor, which names the broker
// of every response ("[proto://]host:port/id"): either registered by Attach(),
// or called by an interceptor of our own (the plugin).
//
// Threading: OnResponse runs on librdkafka's broker threads, the lookups on
// application threads; both are lock-free except when a broker's name changes
// (rare). Ownership: an Address stays valid as long as the table.
#pragma once

#include <librdkafka/rdkafka.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kafkatrace::kafka::detail {

// A broker's host and port, parsed from librdkafka's broker name.
struct BrokerAddress {
  int32_t broker_id = -1;
  std::string name;  // as librdkafka gave it, to notice renames
  std::string host;  // without brackets for IPv6
  int32_t port = 0;
  // `host`'s interned copy (InternedNames), set by BrokerTable; null if none.
  const char* interned_host = nullptr;

  // The host, viewed in its interned copy when there is one: such views stay
  // valid after the table is gone, and intern by address.
  std::string_view stable_host() const {
    return interned_host != nullptr
               ? std::string_view(interned_host, host.size())
               : std::string_view(host);
  }
};
// Parses "[proto://]host:port[/id]"; nullopt when there is no port.
std::optional<BrokerAddress> ParseBrokerName(std::string_view name);

class BrokerTable {
 public:
  BrokerTable() = default;
  BrokerTable(const BrokerTable&) = delete;
  BrokerTable& operator=(const BrokerTable&) = delete;

  // Registers this table's interceptor on `conf` and on every copy librdkafka
  // makes of it (it copies configurations without their interceptors). The
  // table must outlive the client created from `conf`.
  void Attach(rd_kafka_conf_t* conf);

  // One broker response (on_response_received's arguments).
  void OnResponse(const char* broker_name, int32_t broker_id, int16_t api_key,
                  int64_t rtt_us);

  // Latest ProduceRequest round trip of `broker_id`, microseconds; 0 if none.
  int64_t ProduceRttUs(int32_t broker_id) const;
  // `broker_id`'s address; nullptr until one of its responses named it.
  const BrokerAddress* AddressOf(int32_t broker_id) const;
  // The broker that answered the latest offset commit: the group coordinator.
  const BrokerAddress* Coordinator() const;

 private:
  // Broker ids are small in practice; ids that share a slot are told apart by
  // the id stored with each value.
  static constexpr size_t kSlots = 256;
  struct Slot {
    // Broker id (high 32 bits) and round trip in microseconds (low 32 bits,
    // capped), in one word so a reader never pairs one broker's id with
    // another's round trip.
    std::atomic<uint64_t> produce_rtt{0};
    std::atomic<const BrokerAddress*> address{nullptr};
  };
  void UpdateAddress(Slot& slot, const char* broker_name, int32_t broker_id);

  std::array<Slot, kSlots> slots_{};
  std::atomic<int32_t> coordinator_id_{-1};
  std::mutex mutex_;  // guards addresses_ (appends only)
  // Every address ever published; readers may hold any of them. Bounded: at
  // most kMaxAddresses renames are followed.
  std::vector<std::unique_ptr<BrokerAddress>> addresses_;
  static constexpr size_t kMaxAddresses = 4096;
};

}  // namespace kafkatrace::kafka::detail
