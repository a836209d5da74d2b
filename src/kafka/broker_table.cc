#include "kafka/broker_table.h"

#include <charconv>
#include <cstring>

#include "kafka/interned_names.h"

namespace kafkatrace::kafka::detail {
namespace {

constexpr int16_t kProduceApiKey = 0;
constexpr int16_t kOffsetCommitApiKey = 8;
constexpr const char* kInterceptorName = "kafkatrace-brokers";

rd_kafka_resp_err_t OnResponseReceived(rd_kafka_t*, int,
                                       const char* broker_name,
                                       int32_t broker_id, int16_t api_key,
                                       int16_t, int32_t, size_t, int64_t rtt,
                                       rd_kafka_resp_err_t, void* opaque) {
  static_cast<BrokerTable*>(opaque)->OnResponse(broker_name, broker_id, api_key,
                                                rtt);
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t OnNew(rd_kafka_t* rk, const rd_kafka_conf_t*, void* opaque,
                          char*, size_t) {
  return rd_kafka_interceptor_add_on_response_received(
      rk, kInterceptorName, OnResponseReceived, opaque);
}

rd_kafka_resp_err_t OnConfDup(rd_kafka_conf_t* new_conf, const rd_kafka_conf_t*,
                              size_t, const char**, void* opaque) {
  rd_kafka_conf_interceptor_add_on_new(new_conf, kInterceptorName, OnNew,
                                       opaque);
  rd_kafka_conf_interceptor_add_on_conf_dup(new_conf, kInterceptorName,
                                            OnConfDup, opaque);
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

}  // namespace

std::optional<BrokerAddress> ParseBrokerName(std::string_view name) {
  BrokerAddress address;
  address.name = std::string(name);
  if (const size_t scheme = name.find("://"); scheme != std::string_view::npos)
    name.remove_prefix(scheme + 3);
  // The node id (or "bootstrap") follows the last '/'.
  if (const size_t slash = name.rfind('/'); slash != std::string_view::npos)
    name = name.substr(0, slash);
  const size_t colon = name.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const std::string_view port = name.substr(colon + 1);
  const auto [end, error] =
      std::from_chars(port.data(), port.data() + port.size(), address.port);
  if (error != std::errc() || end != port.data() + port.size() ||
      address.port <= 0 || address.port > 65535) {
    return std::nullopt;
  }
  std::string_view host = name.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) return std::nullopt;
  address.host = std::string(host);
  return address;
}

void BrokerTable::Attach(rd_kafka_conf_t* conf) {
  if (conf == nullptr) return;
  rd_kafka_conf_interceptor_add_on_new(conf, kInterceptorName, OnNew, this);
  rd_kafka_conf_interceptor_add_on_conf_dup(conf, kInterceptorName, OnConfDup,
                                            this);
}

void BrokerTable::OnResponse(const char* broker_name, int32_t broker_id,
                             int16_t api_key, int64_t rtt_us) {
  if (broker_id < 0) return;  // a bootstrap connection: no node id yet
  Slot& slot = slots_[static_cast<uint32_t>(broker_id) % kSlots];
  if (api_key == kProduceApiKey && rtt_us >= 0) {
    const uint64_t capped = rtt_us > UINT32_MAX ? UINT32_MAX : rtt_us;
    slot.produce_rtt.store(
        (static_cast<uint64_t>(static_cast<uint32_t>(broker_id)) << 32) |
            capped,
        std::memory_order_relaxed);
  }
  if (api_key == kOffsetCommitApiKey)
    coordinator_id_.store(broker_id, std::memory_order_relaxed);
  if (broker_name == nullptr) return;
  const BrokerAddress* known = slot.address.load(std::memory_order_acquire);
  if (known != nullptr && known->broker_id == broker_id &&
      known->name == broker_name) {
    return;  // the common case: nothing new
  }
  UpdateAddress(slot, broker_name, broker_id);
}

void BrokerTable::UpdateAddress(Slot& slot, const char* broker_name,
                                int32_t broker_id) {
  std::optional<BrokerAddress> parsed = ParseBrokerName(broker_name);
  if (!parsed) return;
  parsed->broker_id = broker_id;
  parsed->interned_host = InternedNames::Intern(parsed->host);
  std::lock_guard lock(mutex_);
  if (addresses_.size() >= kMaxAddresses) return;
  try {
    addresses_.push_back(std::make_unique<BrokerAddress>(std::move(*parsed)));
  } catch (...) {
    return;  // out of memory: the previous address stays
  }
  slot.address.store(addresses_.back().get(), std::memory_order_release);
}

int64_t BrokerTable::ProduceRttUs(int32_t broker_id) const {
  if (broker_id < 0) return 0;
  const uint64_t value =
      slots_[static_cast<uint32_t>(broker_id) % kSlots].produce_rtt.load(
          std::memory_order_relaxed);
  if (static_cast<int32_t>(value >> 32) != broker_id) return 0;
  return static_cast<int64_t>(value & UINT32_MAX);
}

const BrokerAddress* BrokerTable::AddressOf(int32_t broker_id) const {
  if (broker_id < 0) return nullptr;
  const BrokerAddress* address =
      slots_[static_cast<uint32_t>(broker_id) % kSlots].address.load(
          std::memory_order_acquire);
  return address != nullptr && address->broker_id == broker_id ? address
                                                               : nullptr;
}

const BrokerAddress* BrokerTable::Coordinator() const {
  return AddressOf(coordinator_id_.load(std::memory_order_relaxed));
}

}  // namespace kafkatrace::kafka::detail
