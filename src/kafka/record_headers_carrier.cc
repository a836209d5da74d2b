#include "kafkatrace/kafka/record_headers_carrier.h"

#include <librdkafka/rdkafka.h>

#include <string>
#include <vector>

namespace kafkatrace::kafka {

void RecordHeadersCarrier::Get(
    std::string_view key, FunctionRef<void(std::string_view)> visit) const {
  ForEachHeader(headers_, [&](std::string_view name, std::string_view value) {
    if (EqualsIgnoreAsciiCase(name, key)) visit(value);
  });
}

void RecordHeadersCarrier::Remove(std::string_view key) {
  if (headers_ == nullptr || mode_ == Mode::kAppend) return;
  // rd_kafka_header_remove matches names exactly; collect every spelling first.
  std::vector<std::string> spellings;
  ForEachHeader(headers_, [&](std::string_view name, std::string_view) {
    if (EqualsIgnoreAsciiCase(name, key)) spellings.emplace_back(name);
  });
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
  ForEachHeader(headers_,
                [&](std::string_view name, std::string_view) { visit(name); });
}

}  // namespace kafkatrace::kafka
