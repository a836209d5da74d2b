#include "kafkatrace/otlp/otlp_http_exporter.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/text.h"
#include "kafkatrace/propagation/text_map_carrier.h"  // EqualsIgnoreAsciiCase
#include "otlp/otlp_encoder.h"
#include "otlp/otlp_sender.h"
#include "trace/env.h"

namespace kafkatrace {
namespace {

using Clock = std::chrono::steady_clock;

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseHeaders(
    const char* variable, std::string_view list) {
  std::vector<std::pair<std::string, std::string>> headers;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view member = text::TrimOws(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view()
                                           : list.substr(comma + 1);
    if (member.empty()) continue;
    size_t eq = member.find('=');
    std::string_view name = eq == std::string_view::npos
                                ? member
                                : text::TrimOws(member.substr(0, eq));
    auto value =
        eq == std::string_view::npos
            ? std::nullopt
            : text::PercentDecode(text::TrimOws(member.substr(eq + 1)));
    if (eq == std::string_view::npos || name.empty() || !value) {
      return Status::InvalidArgument(
          std::string(variable) + ": malformed header \"" +
          std::string(member) +
          "\" (expected name=value, values percent-encoded)");
    }
    headers.emplace_back(std::string(name), std::move(*value));
  }
  return headers;
}

std::string_view PathOf(OtlpSignal signal) {
  return signal == OtlpSignal::kMetrics ? "v1/metrics" : "v1/traces";
}

// Path rule of the OTLP exporter spec: the signal-agnostic endpoint is a base
// URL.
std::string AppendSignalPath(std::string base, OtlpSignal signal) {
  if (base.empty() || base.back() != '/') base += '/';
  return base.append(PathOf(signal));
}

}  // namespace

Status OtlpHttpExporterOptions::Validate() const {
  std::string_view url = endpoint;
  size_t scheme_end = url.find("://");
  std::string_view scheme =
      scheme_end == std::string_view::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("OTLP endpoint \"" + endpoint +
                                   "\" must start with http:// or https://");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  if (host.empty() || host.front() == ':') {
    return Status::InvalidArgument("OTLP endpoint \"" + endpoint +
                                   "\" has no host");
  }
  if (url.find_first_of(" \t\r\n") != std::string_view::npos) {
    return Status::InvalidArgument("OTLP endpoint \"" + endpoint +
                                   "\" contains whitespace");
  }
  for (const auto& [name, value] : headers) {
    bool ok = !name.empty();
    for (char c : name) ok = ok && IsTokenChar(c);
    if (!ok)
      return Status::InvalidArgument("OTLP header name \"" + name +
                                     "\" is not a valid token");
    if (value.find_first_of("\r\n") != std::string::npos) {
      return Status::InvalidArgument("OTLP header \"" + name +
                                     "\" has a line break in its value");
    }
  }
  if (!client_key.empty() && client_certificate.empty()) {
    return Status::InvalidArgument("OTLP client key \"" + client_key +
                                   "\" given without a client certificate");
  }
  for (const auto& [what, path] :
       {std::pair{"CA certificate", &certificate},
        std::pair{"client certificate", &client_certificate},
        std::pair{"client key", &client_key}}) {
    if (!path->empty() && ::access(path->c_str(), R_OK) != 0) {
      return Status::InvalidArgument(
          std::string("OTLP ") + what + " \"" + *path +
          "\" cannot be read: " + std::strerror(errno));
    }
  }
  if (timeout.count() <= 0)
    return Status::InvalidArgument("OTLP timeout must be positive");
  if (max_attempts < 1)
    return Status::InvalidArgument("OTLP max_attempts must be at least 1");
  return Status::Ok();
}

std::optional<OtlpHttpExporterOptions::Protocol>
OtlpHttpExporterOptions::ProtocolNamed(std::string_view name) {
  if (name == "http/protobuf") return Protocol::kHttpProtobuf;
  if (name == "http/json") return Protocol::kHttpJson;
  if (name == "grpc") return Protocol::kGrpc;
  return std::nullopt;
}

std::string OtlpHttpExporterOptions::DefaultEndpoint(Protocol protocol,
                                                     OtlpSignal signal) {
  return protocol == Protocol::kGrpc
             ? "http://localhost:4317"
             : AppendSignalPath("http://localhost:4318", signal);
}

std::optional<std::string> OtlpHttpExporterOptions::MetricsEndpointFor(
    std::string_view traces_endpoint, bool grpc) {
  if (grpc) return std::string(traces_endpoint);
  // append(), not "/" + string: GCC 12's -Wrestrict misfires on that at -O3.
  const std::string traces_path =
      std::string("/").append(PathOf(OtlpSignal::kTraces));
  if (!traces_endpoint.ends_with(traces_path)) return std::nullopt;
  traces_endpoint.remove_suffix(traces_path.size());
  return AppendSignalPath(std::string(traces_endpoint), OtlpSignal::kMetrics);
}

Result<OtlpHttpExporterOptions> OtlpHttpExporterOptions::FromEnv(
    OtlpSignal signal, std::optional<Protocol> protocol_chosen) {
  OtlpHttpExporterOptions options;
  // OTEL_EXPORTER_OTLP_TRACES_X or OTEL_EXPORTER_OTLP_METRICS_X; kept alive
  // here, since the names are handed out as C strings.
  std::vector<std::unique_ptr<std::string>> names;
  auto specific_name = [&](const char* suffix) {
    names.push_back(std::make_unique<std::string>(
        std::string("OTEL_EXPORTER_OTLP_")
            .append(signal == OtlpSignal::kMetrics ? "METRICS_" : "TRACES_")
            .append(suffix)));
    return names.back()->c_str();
  };
  // The signal-specific variable wins over the general one.
  auto pick = [&](const char* suffix)
      -> std::pair<const char*, std::optional<std::string>> {
    const char* specific = specific_name(suffix);
    if (auto v = env::Get(specific)) return {specific, v};
    names.push_back(std::make_unique<std::string>(
        std::string("OTEL_EXPORTER_OTLP_").append(suffix)));
    const char* general = names.back()->c_str();
    return {general, env::Get(general)};
  };
  if (protocol_chosen) {
    options.protocol = *protocol_chosen;
  } else if (auto [name, v] = pick("PROTOCOL"); v) {
    const std::optional<Protocol> protocol = ProtocolNamed(*v);
    if (!protocol) {
      return Status::InvalidArgument(std::string(name) + "=\"" + *v +
                                     "\": expected http/protobuf, http/json "
                                     "or grpc");
    }
    options.protocol = *protocol;
  }
  const bool grpc = options.protocol == Protocol::kGrpc;
  options.endpoint = DefaultEndpoint(options.protocol, signal);
  if (auto v = env::Get(specific_name("ENDPOINT"))) {
    options.endpoint = *v;
  } else if (auto base = env::Get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    options.endpoint = grpc ? *base : AppendSignalPath(*base, signal);
  }
  if (grpc && options.endpoint.find("://") == std::string::npos) {
    bool insecure = false;
    if (auto [name, v] = pick("INSECURE"); v) {
      if (EqualsIgnoreAsciiCase(*v, "true")) {
        insecure = true;
      } else if (!EqualsIgnoreAsciiCase(*v, "false")) {
        return Status::InvalidArgument(std::string(name) + "=\"" + *v +
                                       "\": expected true or false");
      }
    }
    options.endpoint = (insecure ? "http://" : "https://") + options.endpoint;
  }
  if (auto [name, v] = pick("COMPRESSION"); v) {
    if (*v == "gzip") {
      options.compression = Compression::kGzip;
    } else if (*v == "none") {
      options.compression = Compression::kNone;
    } else {
      return Status::InvalidArgument(std::string(name) + "=\"" + *v +
                                     "\": expected gzip or none");
    }
  }
  // Both header lists apply; the specific one wins on equal names (HTTP header
  // names ignore case).
  for (const char* name :
       {"OTEL_EXPORTER_OTLP_HEADERS", specific_name("HEADERS")}) {
    if (auto v = env::Get(name)) {
      auto parsed = ParseHeaders(name, *v);
      if (!parsed.ok()) return parsed.status();
      for (auto& header : parsed.value()) {
        std::erase_if(options.headers, [&](const auto& h) {
          return EqualsIgnoreAsciiCase(h.first, header.first);
        });
        options.headers.push_back(std::move(header));
      }
    }
  }
  for (auto [suffix, field] :
       {std::pair{"CERTIFICATE", &options.certificate},
        std::pair{"CLIENT_CERTIFICATE", &options.client_certificate},
        std::pair{"CLIENT_KEY", &options.client_key}}) {
    if (auto [name, v] = pick(suffix); v) *field = *v;
  }
  auto timeout = env::Millis(pick("TIMEOUT").first, options.timeout);
  if (!timeout.ok()) return timeout.status();
  options.timeout = *timeout;
  Status valid = options.Validate();
  if (!valid.ok()) return valid;
  return options;
}

struct OtlpHttpExporter::Impl {
  explicit Impl(OtlpHttpExporterOptions options)
      : sender(std::move(options), OtlpSignal::kTraces, "spans") {}
  otlp::OtlpSender sender;
};

OtlpHttpExporter::OtlpHttpExporter(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
OtlpHttpExporter::~OtlpHttpExporter() = default;

Result<std::unique_ptr<OtlpHttpExporter>> OtlpHttpExporter::Create(
    OtlpHttpExporterOptions options) {
  Status valid = options.Validate();
  if (!valid.ok()) return valid;
  return std::unique_ptr<OtlpHttpExporter>(
      new OtlpHttpExporter(std::make_unique<Impl>(std::move(options))));
}

ExportResult OtlpHttpExporter::Export(
    std::span<std::unique_ptr<SpanData>> batch, Deadline deadline) noexcept {
  Impl& s = *impl_;
  const size_t count = batch.size();
  if (count == 0) return ExportResult::kSuccess;
  try {
    std::string body;
    body.reserve(count * 300);
    if (s.sender.json()) {
      otlp::EncodeJson(batch, body);
    } else {
      otlp::EncodeProtobuf(batch, body);
    }
    return s.sender.Send(std::move(body), count, deadline).delivered
               ? ExportResult::kSuccess
               : ExportResult::kFailure;
  } catch (...) {
    s.sender.CountFailed(count);
    return ExportResult::kFailure;
  }
}

bool OtlpHttpExporter::Shutdown(Deadline) noexcept {
  impl_->sender.Shutdown();
  return true;
}

OtlpHttpExporter::Stats OtlpHttpExporter::stats() const noexcept {
  const Impl& s = *impl_;
  return {s.sender.items_exported(), s.sender.items_rejected(),
          s.sender.items_failed(), s.sender.requests_retried(),
          s.sender.requests_failed()};
}

const OtlpHttpExporterOptions& OtlpHttpExporter::options() const {
  return impl_->sender.options();
}

}  // namespace kafkatrace
