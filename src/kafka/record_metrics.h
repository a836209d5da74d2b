// What the messaging metrics record from librdkafka's messages, shared by
// TracingProducer, TracingConsumer and the interceptor plugin.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string_view>

#include "kafka/broker_table.h"
#include "kafkatrace/metrics/messaging_metrics.h"

namespace kafkatrace::kafka::detail {

// A record's measurement attributes: its topic, partition, error and the
// broker it came from or went to. Views of `message` and `brokers`.
MessagingMetricAttributes RecordMetricAttributes(
    const rd_kafka_message_t* message, const BrokerTable& brokers,
    std::string_view operation_name, std::string_view operation_type,
    std::string_view consumer_group = {});

// A delivery report's measurements: sent.messages, and the send's
// operation.duration from the produce call to the acknowledgement, as
// librdkafka measured it.
void RecordDelivery(MessagingMetrics& metrics,
                    const rd_kafka_message_t* message,
                    const BrokerTable& brokers);

}  // namespace kafkatrace::kafka::detail
