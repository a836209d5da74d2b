#include "kafkatrace/kafka/record_headers_carrier.h"

#include <librdkafka/rdkafka.h>

#include <string>
#include <vector>

namespace kafkatrace::kafka {

void RecordHeadersCarrier::Get(
    std::string_view key, FunctionRef<void(std::string_view)> visit) const {
  if (headers_ == nullptr) return;
  const char* name;
  const void* value;
  size_t size;
  for (size_t i = 0;
       rd_kafka_header_get_all(headers_, i, &name, &value, &size) ==
       RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i) {
    if (EqualsIgnoreAsciiCase(name, key)) {
      visit(value != nullptr
                ? std::string_view(static_cast<const char*>(value), size)
                : std::string_view());
    }
  }
}

void RecordHeadersCarrier::Remove(std::string_view key) {
  if (headers_ == nullptr || mode_ == Mode::kAppend) return;
  // rd_kafka_header_remove matches names exactly; collect every spelling first.
  std::vector<std::string> spellings;
  const char* name;
  const void* value;
  size_t size;
  for (size_t i = 0;
       rd_kafka_header_get_all(headers_, i, &name, &value, &size) ==
       RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i) {
    if (EqualsIgnoreAsciiCase(name, key)) spellings.emplace_back(name);
  }
  for (const auto& spelling : spellings)
    rd_kafka_header_remove(headers_, spelling.c_str());
}

void RecordHeadersCarrier::Set(std::string_view key, std::string_view value) {
  if (headers_ == nullptr) return;
  Remove(key);
  rd_kafka_header_add(headers_, key.data(), static_cast<ssize_t>(key.size()),
                      value.data(), static_cast<ssize_t>(value.size()));
}

void RecordHeadersCarrier::Keys(
    FunctionRef<void(std::string_view)> visit) const {
  if (headers_ == nullptr) return;
  const char* name;
  const void* value;
  size_t size;
  for (size_t i = 0;
       rd_kafka_header_get_all(headers_, i, &name, &value, &size) ==
       RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i) {
    visit(name);
  }
}

}  // namespace kafkatrace::kafka
