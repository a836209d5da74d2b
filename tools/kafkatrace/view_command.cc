// `kafkatrace view`: OTLP/HTTP and OTLP/gRPC receivers that store spans in
// SQLite, and a JSON API plus a small offline web page to look at traces and
// their Kafka hops.
#include <httplib.h>

#include <chrono>
#include <cmath>
#include <future>
#include <iostream>
#include <map>
#include <thread>

#include "cli_support.h"
#include "collector/kafka_hops.h"
#include "collector/otlp_grpc_server.h"
#include "collector/otlp_receiver.h"
#include "collector/span_store.h"
#include "commands.h"
#include "common/json_writer.h"
#include "group_lag.h"
#include "kafkatrace/clock.h"
#include "view_page.h"

namespace kafkatrace::cli {
namespace {

constexpr size_t kMaxBodyBytes = 16 << 20;

bool SplitHostPort(const std::string& address, std::string* host, int* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = address.substr(0, colon);
  try {
    *port = std::stoi(address.substr(colon + 1));
  } catch (...) {
    return false;
  }
  return *port >= 0 && *port <= 65535;
}

void WriteSpanJson(json::Writer& w, const collector::StoredSpan& s) {
  w.BeginObject();
  w.Key("trace_id").String(s.trace_id).Key("span_id").String(s.span_id);
  w.Key("parent_span_id")
      .String(s.parent_span_id)
      .Key("service")
      .String(s.service);
  w.Key("scope").String(s.scope).Key("name").String(s.name).Key("kind").Int(
      s.kind);
  w.Key("start_unix_nano")
      .Int(s.start_unix_nanos)
      .Key("end_unix_nano")
      .Int(s.end_unix_nanos);
  w.Key("status_code")
      .Int(s.status_code)
      .Key("status_message")
      .String(s.status_message);
  w.Key("topic").String(s.topic);
  w.Key("attributes").Raw(s.attributes_json).Key("events").Raw(s.events_json);
  w.Key("links").Raw(s.links_json);
  w.EndObject();
}

void Error(httplib::Response& res, int status, const std::string& reason) {
  std::string body;
  json::Writer w(body);
  w.BeginObject().Key("error").String(reason).EndObject();
  res.status = status;
  res.set_content(body, "application/json");
}

void Reply(httplib::Response& res, collector::OtlpReply reply) {
  res.status = reply.status;
  res.set_content(std::move(reply.body), reply.content_type);
}

// httplib has already decoded gzip, deflate and br; a body in another
// encoding would reach the decoder still compressed. Answers 415 then, and
// says so.
bool RefusedEncoding(const httplib::Request& req, httplib::Response& res) {
  const std::string encoding = req.get_header_value("Content-Encoding");
  if (encoding.empty() || encoding == "identity" || encoding == "gzip" ||
      encoding == "deflate" || encoding == "br") {
    return false;
  }
  Reply(res, collector::FailOtlpRequest(
                 req.get_header_value("Content-Type"), 415,
                 "Content-Encoding \"" + encoding +
                     "\" is not supported: use gzip or none"));
  return true;
}

int64_t QueryInt(const httplib::Request& req, const char* name,
                 int64_t fallback) {
  if (!req.has_param(name)) return fallback;
  try {
    return std::stoll(req.get_param_value(name));
  } catch (...) {
    return -1;
  }
}

}  // namespace

int RunView(const ViewArgs& args) {
  std::string otlp_host, ui_host;
  int otlp_port = 0, ui_port = 0;
  if (!SplitHostPort(args.otlp, &otlp_host, &otlp_port)) {
    std::cerr << "kafkatrace view: bad --otlp \"" << args.otlp
              << "\": expected HOST:PORT\n";
    return 2;
  }
  if (!SplitHostPort(args.ui, &ui_host, &ui_port)) {
    std::cerr << "kafkatrace view: bad --ui \"" << args.ui
              << "\": expected HOST:PORT\n";
    return 2;
  }
  // The gRPC default port is tried, not insisted on: it is often taken by a
  // collector already, and OTLP/HTTP alone is a working viewer.
  const bool grpc_default = args.otlp_grpc.empty();
  const bool grpc_on = args.otlp_grpc != "off";
  std::string grpc_host;
  int grpc_port = 0;
  if (grpc_on &&
      !SplitHostPort(grpc_default ? "127.0.0.1:4317" : args.otlp_grpc,
                     &grpc_host, &grpc_port)) {
    std::cerr << "kafkatrace view: bad --otlp-grpc \"" << args.otlp_grpc
              << "\": expected HOST:PORT or off\n";
    return 2;
  }
  auto opened = collector::SpanStore::Open(args.db);
  if (!opened.ok()) {
    std::cerr << "kafkatrace view: " << opened.status().message() << "\n";
    return 1;
  }
  collector::SpanStore& store = **opened;

  httplib::Server otlp;
  otlp.set_payload_max_length(kMaxBodyBytes);
  otlp.Post("/v1/traces",
            [&](const httplib::Request& req, httplib::Response& res) {
              if (RefusedEncoding(req, res)) return;
              collector::OtlpReply reply = collector::ReceiveOtlpTraces(
                  req.get_header_value("Content-Type"), req.body, store);
              if (reply.status == 503) res.set_header("Retry-After", "1");
              Reply(res, std::move(reply));
            });
  collector::MetricStore metrics;
  otlp.Post("/v1/metrics", [&](const httplib::Request& req,
                               httplib::Response& res) {
    if (RefusedEncoding(req, res)) return;
    Reply(res, collector::ReceiveOtlpMetrics(
                   req.get_header_value("Content-Type"), req.body, metrics));
  });
  otlp.Post("/v1/logs",
            [](const httplib::Request& req, httplib::Response& res) {
              Reply(res, collector::RefuseOtlpSignal(
                             req.get_header_value("Content-Type"), "logs"));
            });
  otlp.Get("/v1/traces", [](const httplib::Request&, httplib::Response& res) {
    Error(res, 405, "POST OTLP spans here");
  });
  // Failures httplib answers itself, with no body: say what went wrong.
  otlp.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty())
          return httplib::Server::HandlerResponse::Unhandled;
        const std::string reason =
            res.status == 413 ? "the body is over 16 MiB"
            : res.status == 404
                ? "no such path: POST OTLP spans to /v1/traces"
                : "the request could not be read (a compressed body that does "
                  "not decompress?)";
        Reply(res,
              collector::FailOtlpRequest(req.get_header_value("Content-Type"),
                                         res.status, reason));
        return httplib::Server::HandlerResponse::Handled;
      }));

  httplib::Server ui;
  ui.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kViewPage, "text/html; charset=utf-8");
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; script-src 'unsafe-inline' 'self'; "
                   "style-src 'unsafe-inline'");
  });
  // Where spans are received, for the page's empty state; set once bound,
  // before the UI serves.
  std::string receivers_json;
  ui.Get("/api/receivers",
         [&](const httplib::Request&, httplib::Response& res) {
           res.set_content(receivers_json, "application/json");
         });
  ui.Get("/api/services", [&](const httplib::Request&, httplib::Response& res) {
    auto services = store.Services();
    if (!services.ok()) return Error(res, 500, services.status().message());
    std::string body;
    json::Writer w(body);
    w.BeginArray();
    for (const auto& s : *services) w.String(s);
    w.EndArray();
    res.set_content(body, "application/json");
  });
  // The latest value of every metric series received (cumulative points
  // replace, delta points add); histograms with estimated quantiles.
  ui.Get("/api/metrics", [&](const httplib::Request&, httplib::Response& res) {
    std::string body;
    json::Writer w(body);
    w.BeginObject().Key("series").BeginArray();
    for (const auto& m : metrics.Series()) {
      w.BeginObject().Key("service").String(m.service);
      w.Key("name").String(m.name).Key("unit").String(m.unit);
      w.Key("attributes").Raw(m.attributes);
      w.Key("time_unix_nano").Int(m.time_unix_nanos);
      if (m.kind == collector::ReceivedMetricPoint::Kind::kHistogram) {
        w.Key("kind").String("histogram").Key("count").Uint(m.count);
        w.Key("sum").Double(m.sum);
        for (const auto& [key, q] :
             {std::pair{"p50", 0.5}, std::pair{"p99", 0.99}}) {
          const double value = collector::MetricStore::Quantile(m, q);
          std::isnan(value) ? w.Key(key).Null() : w.Key(key).Double(value);
        }
      } else {
        w.Key("kind").String(
            m.kind == collector::ReceivedMetricPoint::Kind::kGauge ? "gauge"
                                                                   : "sum");
        w.Key("value").Double(m.value);
      }
      w.EndObject();
    }
    w.EndArray().Key("dropped_series").Uint(metrics.dropped()).EndObject();
    res.set_content(body, "application/json");
  });
  ui.Get("/api/topics", [&](const httplib::Request& req,
                            httplib::Response& res) {
    const int64_t since = QueryInt(req, "start_ns", 0);
    if (since < 0)
      return Error(res, 400, "start_ns must be a non-negative integer");
    auto latencies = store.TopicLatencies(since);
    if (!latencies.ok()) return Error(res, 500, latencies.status().message());
    // With --brokers, each group's lag, read once per group per request, the
    // groups at once: with the brokers down each read waits out its timeout.
    std::map<std::string, Result<std::vector<PartitionLag>>> lags;
    if (!args.kafka.brokers.empty()) {
      std::map<std::string, std::future<Result<std::vector<PartitionLag>>>>
          reads;
      for (const auto& l : *latencies) {
        if (!l.consumer_group.empty() && !reads.contains(l.consumer_group)) {
          reads.emplace(
              l.consumer_group,
              std::async(std::launch::async, GroupLag, std::cref(args.kafka),
                         l.consumer_group, std::string(), 2000));
        }
      }
      for (auto& [group, read] : reads) lags.emplace(group, read.get());
    }
    std::string body;
    json::Writer w(body);
    w.BeginArray();
    for (const auto& l : *latencies) {
      w.BeginObject().Key("topic").String(l.topic);
      w.Key("consumer_group").String(l.consumer_group).Key("hops").Int(l.hops);
      w.Key("p50_nano").Int(l.p50_nanos).Key("p95_nano").Int(l.p95_nanos);
      w.Key("p99_nano").Int(l.p99_nanos);
      if (auto it = lags.find(l.consumer_group); it != lags.end()) {
        if (it->second.ok()) {
          int64_t lag = 0;
          bool committed = false;
          for (const PartitionLag& p : *it->second) {
            if (p.topic != l.topic) continue;
            lag += p.lag;
            committed = true;
          }
          // null: the group has committed nothing on this topic.
          committed ? w.Key("lag").Int(lag) : w.Key("lag").Null();
        } else {
          w.Key("lag")
              .Null()
              .Key("lag_error")
              .String(it->second.status().message());
        }
      }
      w.EndObject();
    }
    w.EndArray();
    res.set_content(body, "application/json");
  });
  ui.Get(
      "/api/traces", [&](const httplib::Request& req, httplib::Response& res) {
        collector::TraceQuery query;
        query.service = req.get_param_value("service");
        query.name = req.get_param_value("name");
        query.topic = req.get_param_value("topic");
        const int64_t min_ms = QueryInt(req, "min_duration_ms", 0);
        const int64_t limit = QueryInt(req, "limit", 50);
        const int64_t since = QueryInt(req, "start_ns", 0);
        const int64_t until = QueryInt(req, "end_ns", INT64_MAX);
        const std::string commits = req.get_param_value("commits");
        if (!commits.empty() && commits != "show" && commits != "hide") {
          return Error(res, 400, "commits must be show or hide");
        }
        query.hide_commit_only = commits == "hide";
        if (min_ms < 0 || limit < 1 || limit > 1000 || since < 0 || until < 0) {
          return Error(res, 400,
                       "min_duration_ms, start_ns, end_ns must be non-negative "
                       "integers and limit 1-1000");
        }
        query.min_duration_ns = min_ms * 1'000'000;
        query.limit = static_cast<int>(limit);
        query.start_ns = since;
        query.end_ns = until;
        auto traces = store.Search(query);
        if (!traces.ok()) return Error(res, 500, traces.status().message());
        std::string body;
        json::Writer w(body);
        w.BeginArray();
        for (const auto& t : *traces) {
          w.BeginObject()
              .Key("trace_id")
              .String(t.trace_id)
              .Key("root_name")
              .String(t.root_name);
          w.Key("root_service")
              .String(t.root_service)
              .Key("start_unix_nano")
              .Int(t.start_unix_nanos);
          w.Key("duration_nano")
              .Int(t.duration_nanos)
              .Key("span_count")
              .Int(t.span_count);
          w.Key("error_count").Int(t.error_count).EndObject();
        }
        w.EndArray();
        res.set_content(body, "application/json");
      });
  ui.Get(R"(/api/traces/([0-9a-fA-F]{32}))",
         [&](const httplib::Request& req, httplib::Response& res) {
           std::string id = req.matches[1];
           for (auto& c : id)
             c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
           auto spans = store.GetTrace(id);
           if (!spans.ok()) return Error(res, 500, spans.status().message());
           if (spans->empty()) return Error(res, 404, "no trace " + id);
           std::string body;
           json::Writer w(body);
           w.BeginObject().Key("trace_id").String(id).Key("spans").BeginArray();
           for (const auto& s : *spans) WriteSpanJson(w, s);
           w.EndArray().Key("hops").BeginArray();
           for (const auto& h : collector::FindKafkaHopsIn(store, *spans)) {
             w.BeginObject()
                 .Key("topic")
                 .String(h.topic)
                 .Key("linked")
                 .Bool(h.linked)
                 .Key("send_trace_id")
                 .String(h.send_trace_id)
                 .Key("send_span_id")
                 .String(h.send_span_id);
             w.Key("process_span_id")
                 .String(h.process_span_id)
                 .Key("publish_nano")
                 .Int(h.publish_nanos);
             w.Key("wait_nano")
                 .Int(h.wait_nanos)
                 .Key("process_nano")
                 .Int(h.process_nanos);
             w.Key("diagnosis").String(h.diagnosis).EndObject();
           }
           w.EndArray().EndObject();
           res.set_content(body, "application/json");
         });
  ui.Get(R"(/api/traces/(.*))",
         [](const httplib::Request&, httplib::Response& res) {
           Error(res, 400, "a trace id is 32 hex digits");
         });

  const int bound_otlp =
      otlp_port == 0
          ? otlp.bind_to_any_port(otlp_host)
          : (otlp.bind_to_port(otlp_host, otlp_port) ? otlp_port : -1);
  const int bound_ui = ui_port == 0
                           ? ui.bind_to_any_port(ui_host)
                           : (ui.bind_to_port(ui_host, ui_port) ? ui_port : -1);
  if (bound_otlp < 0 || bound_ui < 0) {
    std::cerr << "kafkatrace view: cannot listen on "
              << (bound_otlp < 0 ? args.otlp : args.ui)
              << " (in use? pick another with --otlp/--ui)\n";
    return 1;
  }
  const std::string otlp_url =
      "http://" + otlp_host + ":" + std::to_string(bound_otlp) + "/v1/traces";
  collector::OtlpGrpcServer grpc(store, {.max_message_bytes = kMaxBodyBytes,
                                         .otlp_http_url = otlp_url,
                                         .metrics = &metrics});
  int bound_grpc = -1;
  if (grpc_on) {
    std::string error;
    bound_grpc = grpc.Bind(grpc_host, grpc_port, &error);
    if (bound_grpc < 0 && !grpc_default) {
      std::cerr << "kafkatrace view: cannot listen on " << args.otlp_grpc
                << ": " << error << " (pick another with --otlp-grpc)\n";
      return 1;
    }
    if (bound_grpc < 0) {
      std::cerr << "kafkatrace view: no OTLP/gRPC receiver, " << grpc_host
                << ":" << grpc_port << ": " << error
                << " (pick a port with --otlp-grpc)\n";
    }
  }
  {
    json::Writer w(receivers_json);
    w.BeginObject().Key("otlp_http").String(otlp_url).Key("otlp_grpc");
    if (bound_grpc >= 0) {
      w.String("http://" + grpc_host + ":" + std::to_string(bound_grpc));
    } else {
      w.Null();
    }
    w.EndObject();
  }
  // The first two lines are what scripts read: OTLP/HTTP, then the UI.
  std::cout << "OTLP receiver: " << otlp_url << "\n"
            << "UI: http://" << ui_host << ":" << bound_ui << "/\n";
  if (bound_grpc >= 0) {
    std::cout << "OTLP/gRPC receiver: " << grpc_host << ":" << bound_grpc
              << "\n";
  }
  std::cout << std::flush;

  InstallStopSignals();
  std::thread otlp_thread([&] { otlp.listen_after_bind(); });
  std::thread ui_thread([&] { ui.listen_after_bind(); });
  std::thread grpc_thread([&] {
    if (bound_grpc >= 0) grpc.Serve();
  });
  int64_t last_retention = 0;
  while (!g_stop_requested) {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(200));  // waiting for a signal
    // Index what arrived since the last pass, so searches seldom wait for it.
    (void)store.CatchUpIndex();
    const int64_t now = SystemClock::Instance().NowNanos();
    if (now - last_retention > 60'000'000'000) {
      last_retention = now;
      (void)store.Retain(now - args.retention_hours * 3'600'000'000'000,
                         args.max_spans);
    }
  }
  otlp.stop();
  ui.stop();
  grpc.Stop();
  otlp_thread.join();
  ui_thread.join();
  grpc_thread.join();
  return 0;
}

}  // namespace kafkatrace::cli
