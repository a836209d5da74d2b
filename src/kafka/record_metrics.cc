#include "kafka/record_metrics.h"

namespace kafkatrace::kafka::detail {

MessagingMetricAttributes RecordMetricAttributes(
    const rd_kafka_message_t* message, const BrokerTable& brokers,
    std::string_view operation_name, std::string_view operation_type,
    std::string_view consumer_group) {
  const BrokerAddress* broker =
      brokers.AddressOf(rd_kafka_message_broker_id(message));
  return {
      .operation_name = operation_name,
      .operation_type = operation_type,
      .destination =
          message->rkt != nullptr ? rd_kafka_topic_name(message->rkt) : "",
      .partition = message->partition,
      .consumer_group = consumer_group,
      .error_type = message->err != RD_KAFKA_RESP_ERR_NO_ERROR
                        ? rd_kafka_err2name(message->err)
                        : "",
      .server_address = broker != nullptr ? std::string_view(broker->host) : "",
      .server_port = broker != nullptr ? broker->port : -1};
}

void RecordDelivery(MessagingMetrics& metrics,
                    const rd_kafka_message_t* message,
                    const BrokerTable& brokers) {
  const MessagingMetricAttributes attributes =
      RecordMetricAttributes(message, brokers, "send", "send");
  // Microseconds; -1 when librdkafka did not time it.
  const int64_t latency_us = rd_kafka_message_latency(message);
  metrics.RecordSend(attributes, latency_us >= 0
                                     ? static_cast<double>(latency_us) / 1e6
                                     : -1.0);
}

}  // namespace kafkatrace::kafka::detail
