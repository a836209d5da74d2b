#include "cli_support.h"

#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "common/utf8.h"

namespace kafkatrace::cli {

std::atomic<bool> g_stop_requested{false};

namespace {
void OnStopSignal(int) { g_stop_requested.store(true); }
}  // namespace

void InstallStopSignals() {
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
}

std::unique_ptr<TracerProvider> MakeTracerProvider(std::string* error) {
  const bool destination_given =
      std::getenv("OTEL_TRACES_EXPORTER") != nullptr ||
      std::getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != nullptr ||
      std::getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != nullptr;
  if (!destination_given) setenv("OTEL_TRACES_EXPORTER", "none", 0);
  if (std::getenv("OTEL_SERVICE_NAME") == nullptr)
    setenv("OTEL_SERVICE_NAME", "kafkatrace-cli", 0);
  auto options = TracerProviderOptions::FromEnv();
  if (!options.ok()) {
    *error = options.status().message();
    return nullptr;
  }
  return std::make_unique<TracerProvider>(std::move(options.value()));
}

std::unique_ptr<CliMetrics> MakeMetrics(const TracerProvider& provider,
                                        std::string* error) {
  auto metrics = std::make_unique<CliMetrics>();
  auto reader =
      PeriodicMetricReader::FromEnv(metrics->metrics, provider.resource());
  if (!reader.ok()) {
    *error = reader.status().message();
    return nullptr;
  }
  metrics->reader = std::move(reader.value());
  return metrics;
}

void ShutdownTelemetry(TracerProvider& provider, CliMetrics& metrics) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(5);
  (void)provider.Shutdown(deadline);
  if (metrics.reader) metrics.reader->Shutdown(deadline);
}

std::optional<TraceId> TraceIdArgument(std::string_view text) {
  std::string lower(text);
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return TraceId::FromHex(lower);
}

std::string TopicNameProblem(std::string_view name) {
  constexpr size_t kMaxTopicName = 249;  // Kafka's limit
  const std::string quoted = "topic name \"" + Printable(name) + "\"";
  if (name.empty()) return "empty topic name";
  if (name.size() > kMaxTopicName) {
    return quoted + " is " + std::to_string(name.size()) +
           " characters long; Kafka allows at most 249";
  }
  if (name == "." || name == "..") return quoted + " is not allowed by Kafka";
  for (const char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                         c == '-';
    if (!allowed) {
      return quoted +
             " has a character Kafka does not allow: use letters, digits, "
             "'.', '_' and '-'";
    }
  }
  return "";
}

std::string CheckBrokerAndTopic(RdKafka::Handle& handle,
                                const std::string& brokers,
                                const std::string& topic, bool may_create) {
  if (!topic.empty()) {
    if (std::string problem = TopicNameProblem(topic); !problem.empty())
      return problem;
  }
  RdKafka::Metadata* raw = nullptr;
  std::unique_ptr<RdKafka::Topic> topic_handle;
  if (!topic.empty() && may_create) {
    std::string error;
    topic_handle.reset(RdKafka::Topic::create(&handle, topic, nullptr, error));
  }
  RdKafka::ErrorCode error =
      handle.metadata(topic_handle == nullptr, topic_handle.get(), &raw, 5000);
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (error != RdKafka::ERR_NO_ERROR) {
    return "cannot reach Kafka at " + brokers + " (" + RdKafka::err2str(error) +
           ")";
  }
  if (!topic.empty()) {
    for (const auto* t : *metadata->topics()) {
      if (t->topic() != topic) continue;
      if (t->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART ||
          t->partitions()->empty()) {
        return "unknown topic \"" + topic + "\" on " + brokers;
      }
      if (t->err() != RdKafka::ERR_NO_ERROR) {
        return "topic \"" + topic + "\": " + RdKafka::err2str(t->err());
      }
      return "";
    }
    return "unknown topic \"" + topic + "\" on " + brokers;
  }
  return "";
}

std::string FormatTimestampMs(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string Printable(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  const auto escape = [&out](uint8_t byte) {
    char hex[5];
    std::snprintf(hex, sizeof(hex), "\\x%02x", byte);
    out += hex;
  };
  for (size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<uint8_t>(bytes[i]);
    const size_t length = utf8::SequenceLength(bytes, i);
    // U+0080-U+009F, the C1 controls, are encoded as C2 80 - C2 9F.
    const bool c1 =
        length == 2 && c == 0xC2 && static_cast<uint8_t>(bytes[i + 1]) < 0xA0;
    if (length == 0 || c1) {
      escape(c);
      ++i;
    } else if (length > 1) {
      out.append(bytes.substr(i, length));
      i += length;
    } else {
      if (c == '\\') {
        out += "\\\\";
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c < 0x20 || c == 0x7F) {
        escape(c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
    }
  }
  return out;
}

}  // namespace kafkatrace::cli
