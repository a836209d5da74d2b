// Helpers shared by the subcommands: tracing setup, librdkafka configuration
// (kafka_settings.h), broker checks, and interruption by signals.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "kafka_settings.h"
#include "kafkatrace/metrics/periodic_metric_reader.h"
#include "kafkatrace/trace_id.h"
#include "kafkatrace/tracer_provider.h"

namespace kafkatrace::cli {

// The CLI's own tracing, from OTEL_* variables. Unlike a library default it
// exports nowhere unless OTEL_TRACES_EXPORTER or OTEL_EXPORTER_OTLP_*ENDPOINT
// says where, so a plain `kafkatrace produce` prints no export errors when no
// collector runs.
std::unique_ptr<TracerProvider> MakeTracerProvider(std::string* error);

// The CLI's messaging metrics, exported when OTEL_METRICS_EXPORTER=otlp says
// so (OTEL_EXPORTER_OTLP_[METRICS_]* for where). Declare it before the
// clients: its reader's last export, at destruction, then counts everything
// they did.
struct CliMetrics {
  MessagingMetrics metrics;
  std::unique_ptr<PeriodicMetricReader> reader;  // null: metrics are off
  // What the clients record into: null when nothing would export it.
  MessagingMetrics* for_clients() { return reader ? &metrics : nullptr; }
};
// Null with `error` set on a malformed OTEL_* variable.
std::unique_ptr<CliMetrics> MakeMetrics(const TracerProvider& provider,
                                        std::string* error);

// The last exports of spans and metrics as a command ends, 5 s for both: an
// unreachable collector delays the exit by that much at most.
void ShutdownTelemetry(TracerProvider& provider, CliMetrics& metrics);

// Why `name` cannot be a Kafka topic (Kafka allows 1-249 of a-z A-Z 0-9 . _ -,
// and neither "." nor ".."), or "" if it can.
std::string TopicNameProblem(std::string_view name);

// Checks that the topic name is valid (TopicNameProblem), that the brokers
// answer and (if `topic` is not empty) that the topic exists. `may_create`: ask
// for the topic by name, which lets a cluster that auto-creates topics do so
// (producers); otherwise list all topics, which never creates one (consumers).
// Returns an error message for stderr, or "" if all is well.
std::string CheckBrokerAndTopic(RdKafka::Handle& handle,
                                const std::string& brokers,
                                const std::string& topic, bool may_create);

// A trace id given on the command line: 32 hex digits of either case, or
// nullopt.
std::optional<TraceId> TraceIdArgument(std::string_view text);

// Set by SIGINT/SIGTERM once InstallStopSignals() ran.
extern std::atomic<bool> g_stop_requested;
void InstallStopSignals();

std::string FormatTimestampMs(int64_t ms);  // 2026-12-02T02:10:00.123Z

// Record bytes made safe for a terminal, one line, nothing lost: UTF-8 text is
// kept, control characters (C0, DEL, C1: a record could otherwise recolor or
// retitle the terminal) and bytes that are not UTF-8 are escaped as \n, \t,
// \r or \xNN, and a backslash is doubled so that escapes stay unambiguous.
std::string Printable(std::string_view bytes);

}  // namespace kafkatrace::cli
