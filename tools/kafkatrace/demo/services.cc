#include "demo/services.h"

#include <httplib.h>
#include <librdkafka/rdkafka.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "cli_support.h"
#include "demo/pages.h"
#include "kafkatrace/batch_span_processor.h"
#include "kafkatrace/kafka/tracing_consumer.h"
#include "kafkatrace/kafka/tracing_producer.h"
#include "kafkatrace/otlp/otlp_http_exporter.h"
#include "kafkatrace/otlp/otlp_metric_exporter.h"
#include "kafkatrace/propagation/trace_context_propagator.h"

namespace kafkatrace::cli {
namespace {

using nlohmann::json;
constexpr size_t kMaxQuestionChars = 500;

std::unique_ptr<TracerProvider> ServiceProvider(const std::string& service,
                                                const std::string& otlp) {
  TracerProviderOptions options;
  options.resource = Resource::Default(service);
  OtlpHttpExporterOptions exporter_options;
  exporter_options.endpoint = otlp;
  auto exporter = OtlpHttpExporter::Create(exporter_options);
  options.processors.push_back(std::make_unique<BatchSpanProcessor>(
      std::move(exporter.value()),
      BatchSpanProcessorOptions{.schedule_delay =
                                    std::chrono::milliseconds(200)}));
  return std::make_unique<TracerProvider>(std::move(options));
}

// A service's messaging metrics, to the viewer's /v1/metrics every 2 s (an
// SDK's default, a minute, is too slow for a demo). Declare it before the
// clients that record into it: its last export, as it is destroyed, then
// follows theirs.
struct ServiceMetrics {
  ServiceMetrics(const TracerProvider& provider, const std::string& otlp) {
    // The viewer's receiver, which `otlp` names by its traces URL.
    const std::string endpoint =
        OtlpHttpExporterOptions::MetricsEndpointFor(otlp, /*grpc=*/false)
            .value_or(otlp);
    auto exporter = OtlpMetricExporter::Create({.endpoint = endpoint});
    if (exporter.ok()) {
      reader = std::make_unique<PeriodicMetricReader>(
          metrics, provider.resource(), std::move(exporter.value()),
          PeriodicMetricReaderOptions{.interval = std::chrono::seconds(2),
                                      .timeout = std::chrono::seconds(3)});
    }
  }
  MessagingMetrics metrics;
  std::unique_ptr<PeriodicMetricReader> reader;
};

// The demo's client settings, then `more` (a service's own), then the user's
// -X/-F properties, which RunDemo has checked already.
std::unique_ptr<RdKafka::Conf> Conf(const KafkaSettings& kafka,
                                    std::vector<KafkaProperty> more = {}) {
  more.insert(more.begin(),
              {{"linger.ms", "1"},
               {"fetch.wait.max.ms", "10"}});  // a demo about latency
  std::string e;
  auto conf = MakeConf(kafka, more, &e);
  if (!conf) {
    std::cerr << "kafkatrace demo: " << e << "\n";
    std::exit(2);
  }
  return conf;
}

// What a question's delivery report said: its error, and whether the record
// may have reached Kafka anyway (a timeout while it was in flight).
struct DeliveryOutcome {
  RdKafka::ErrorCode error = RdKafka::ERR_NO_ERROR;
  bool possibly_delivered = false;
};
// A request's wait for its record's delivery report. Shared with the report,
// not on the request's stack: the request stops waiting after a while, and a
// report arriving later must not write into a returned function's frame.
using DeliveryWait = std::shared_ptr<std::promise<DeliveryOutcome>>;

// The record's opaque is a heap-held DeliveryWait, owned by its delivery
// report (librdkafka delivers exactly one per accepted record).
class DeliveryWaiter : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    std::unique_ptr<DeliveryWait> wait(
        static_cast<DeliveryWait*>(message.msg_opaque()));
    if (wait) {
      (*wait)->set_value(
          {message.err(), message.status() ==
                              RdKafka::Message::MSG_STATUS_POSSIBLY_PERSISTED});
    }
  }
};

// Binds `server` to 127.0.0.1:`port` (any free port for 0) and serves it on
// `thread`; the port, or -1 if it is in use.
int ListenOnLoopback(httplib::Server& server, int port, std::thread& thread) {
  int bound = port == 0 ? server.bind_to_any_port("127.0.0.1")
                        : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound > 0)
    thread = std::thread([&server] { server.listen_after_bind(); });
  return bound;
}

// Answers `status` with {"error": reason}.
void Fail(httplib::Response& res, int status, const std::string& reason) {
  res.status = status;
  res.set_content(json{{"error", reason}}.dump(), "application/json");
}

// The request's JSON object when it has `field` of the kind `is_kind` checks;
// otherwise answers 400 saying what was expected, and returns nullopt.
std::optional<json> BodyWith(const httplib::Request& req,
                             httplib::Response& res, const char* field,
                             bool (json::*is_kind)() const noexcept,
                             const std::string& expected) {
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains(field) ||
      !(body[field].*is_kind)()) {
    Fail(res, 400, "expected " + expected);
    return std::nullopt;
  }
  return body;
}

// ---- api ----
class Api {
 public:
  // `cluster` is the embedded broker, for the outage control; borrowed; null
  // on a real cluster, which the demo does not take down.
  Api(DemoState& shared, const KafkaSettings& kafka, const std::string& otlp,
      rd_kafka_mock_cluster_t* cluster)
      : shared_(shared) {
    // Demo control: take the embedded broker down and up, to show how the api
    // behaves in an outage (503 with a reason, then recovery).
    server_.Post("/api/broker", [this, cluster](const httplib::Request& req,
                                                httplib::Response& res) {
      auto body =
          BodyWith(req, res, "up", &json::is_boolean, R"({"up": true|false})");
      if (!body) return;
      if (cluster == nullptr) {
        return Fail(res, 409,
                    "the demo runs on a real cluster (--brokers): only its "
                    "embedded broker can be taken down");
      }
      const bool up = (*body)["up"].get<bool>();
      if (up) {
        rd_kafka_mock_broker_set_up(cluster, 1);
      } else {
        rd_kafka_mock_broker_set_down(cluster, 1);
      }
      shared_.broker_up = up;
      res.set_content(json{{"up", up}}.dump(), "application/json");
    });
    server_.Get("/api/broker", [this, cluster](const httplib::Request&,
                                               httplib::Response& res) {
      res.set_content(json{{"up", shared_.broker_up.load()},
                           {"embedded", cluster != nullptr}}
                          .dump(),
                      "application/json");
    });
    server_.Get("/api/links",
                [this](const httplib::Request&, httplib::Response& res) {
                  res.set_content(shared_.LinksJson(), "application/json");
                });
    provider_ = ServiceProvider("api", otlp);
    metrics_ = std::make_unique<ServiceMetrics>(*provider_, otlp);
    auto conf = Conf(kafka, {{"message.timeout.ms", "3000"}});
    std::string e;
    conf->set("dr_cb", &delivery_, e);
    producer_ = std::move(
        kafka::TracingProducer::Create(std::move(conf), *provider_,
                                       {.metrics = &metrics_->metrics})
            .value());
    poller_ = std::thread([this] {
      while (!shared_.stop) producer_->Poll(50);
    });
    server_.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kAskPage, "text/html; charset=utf-8");
    });
    server_.Post("/api/questions",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   Ask(req, res);
                 });
    server_.Post("/api/busy", [this](const httplib::Request& req,
                                     httplib::Response& res) {
      auto body = BodyWith(req, res, "busy", &json::is_boolean,
                           R"({"busy": true|false, "delay_ms": N})");
      if (!body) return;
      if (body->contains("delay_ms")) {
        const auto& delay = (*body)["delay_ms"];
        if (!delay.is_number_integer() || delay.get<int64_t>() < 0 ||
            delay.get<int64_t>() > kMaxBusyMs) {
          return Fail(res, 400,
                      "delay_ms must be a whole number of milliseconds from "
                      "0 to " +
                          std::to_string(kMaxBusyMs));
        }
        shared_.busy_ms = delay.get<int>();
      }
      shared_.busy = (*body)["busy"].get<bool>();
      BusyState(res);
    });
    server_.Get("/api/busy",
                [this](const httplib::Request&, httplib::Response& res) {
                  BusyState(res);
                });
  }
  ~Api() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
    if (poller_.joinable()) poller_.join();
    producer_->Flush(3000);
    producer_.reset();
    (void)provider_->Shutdown(std::chrono::steady_clock::now() +
                              std::chrono::seconds(3));
  }
  int Listen(int port) { return ListenOnLoopback(server_, port, thread_); }

 private:
  void BusyState(httplib::Response& res) {
    res.set_content(json{{"busy", shared_.busy.load()},
                         {"delay_ms", shared_.busy_ms.load()}}
                        .dump(),
                    "application/json");
  }
  void Ask(const httplib::Request& req, httplib::Response& res) {
    HeaderListCarrier carrier;
    for (const auto& [k, v] : req.headers) carrier.Add(k, v);
    Context incoming = TraceContextPropagator().Extract(carrier, Context{});
    Span span = provider_->GetTracer("ask-api").StartSpan(
        "POST /api/questions", SpanOptions{.kind = SpanKind::kServer,
                                           .parent = incoming.span_context});
    span.SetAttribute("http.request.method", "POST");
    span.SetAttribute("http.route", "/api/questions");
    auto body = json::parse(req.body, nullptr, false);
    std::string question;
    if (!body.is_discarded() && body.is_object() && body.contains("question") &&
        body["question"].is_string()) {
      question = body["question"].get<std::string>();
    }
    question.erase(0, question.find_first_not_of(" \t\r\n"));
    question.erase(question.find_last_not_of(" \t\r\n") + 1);
    if (question.empty() || question.size() > kMaxQuestionChars) {
      span.SetAttribute("http.response.status_code", int64_t{400});
      return Fail(res, 400,
                  question.empty()
                      ? "the question is empty"
                      : "the question is longer than " +
                            std::to_string(kMaxQuestionChars) + " characters");
    }
    const std::string id = std::to_string(++next_id_);
    auto wait = std::make_unique<DeliveryWait>(
        std::make_shared<std::promise<DeliveryOutcome>>());
    auto result = (*wait)->get_future();
    DeliveryOutcome outcome;
    {
      ContextScope scope(span);
      outcome.error = producer_->Produce(
          {.topic = "questions",
           .key = id,
           .value = json{{"id", id}, {"question", question}}.dump(),
           .opaque = wait.get()});
    }
    if (outcome.error == RdKafka::ERR_NO_ERROR) {
      (void)wait.release();  // the delivery report's now
      // message.timeout.ms (3 s) bounds the wait for most records; one in
      // flight when the broker went away can take longer.
      if (result.wait_for(std::chrono::seconds(4)) ==
          std::future_status::ready) {
        outcome = result.get();
      } else {
        outcome = {RdKafka::ERR__TIMED_OUT, /*possibly_delivered=*/true};
      }
    }
    if (outcome.error != RdKafka::ERR_NO_ERROR) {
      span.SetStatus(SpanStatusCode::kError, RdKafka::err2str(outcome.error));
      span.SetAttribute("http.response.status_code", int64_t{503});
      return Fail(res, 503,
                  "Kafka is unavailable (" + RdKafka::err2str(outcome.error) +
                      "); " +
                      (outcome.possibly_delivered
                           ? "question " + id +
                                 " may still arrive, so check the board "
                                 "before asking again"
                           : "try again"));
    }
    span.SetAttribute("http.response.status_code", int64_t{202});
    res.status = 202;
    res.set_content(
        json{{"id", id}, {"trace_id", span.context().trace_id().ToHex()}}
            .dump(),
        "application/json");
  }

  DemoState& shared_;
  std::unique_ptr<TracerProvider> provider_;
  std::unique_ptr<ServiceMetrics> metrics_;  // outlives producer_
  DeliveryWaiter delivery_;
  std::unique_ptr<kafka::TracingProducer> producer_;
  httplib::Server server_;
  std::thread thread_, poller_;
  std::atomic<int> next_id_{0};
};

// ---- worker ----
void RunWorker(DemoState& shared, const KafkaSettings& kafka,
               const std::string& otlp) {
  auto provider = ServiceProvider("worker", otlp);
  ServiceMetrics metrics(*provider, otlp);
  Tracer& tracer = provider->GetTracer("ask-worker");
  auto conf =
      Conf(kafka, {{"group.id", "workers"}, {"auto.offset.reset", "earliest"}});
  auto consumer =
      std::move(kafka::TracingConsumer::Create(std::move(conf), *provider,
                                               {.metrics = &metrics.metrics})
                    .value());
  (void)consumer->Subscribe({"questions"});
  auto producer =
      std::move(kafka::TracingProducer::Create(Conf(kafka), *provider,
                                               {.metrics = &metrics.metrics})
                    .value());
  // Delivery reports end the send spans: serve them promptly, not at the
  // consume cadence.
  std::thread poller([&] {
    while (!shared.stop) producer->Poll(50);
  });
  while (!shared.stop) {
    auto record = consumer->Poll(100);
    if (!record || record->error() != RdKafka::ERR_NO_ERROR) continue;
    kafka::ProcessSpanScope process(*consumer, *record);
    auto question = json::parse(record->value().value_or(""), nullptr, false);
    if (question.is_discarded() || !question.is_object()) {
      process.RecordError("bad_payload", "not a question");
      continue;
    }
    if (shared.busy) {  // a consumer stuck on other work
      Span work = tracer.StartSpan("other work");
      std::this_thread::sleep_for(
          std::chrono::milliseconds(shared.busy_ms.load()));
    }
    std::string text = question.value("question", "");
    std::string answer = "Good question! \"" + text + "\" has " +
                         std::to_string(text.size()) + " characters.";
    producer->Produce({.topic = "answers",
                       .key = question.value("id", ""),
                       .value = json{
                           {"id", question.value("id", "")},
                           {"question", text},
                           {"answer",
                            answer}}.dump()});
  }
  poller.join();
  producer->Flush(3000);
  producer.reset();
  consumer.reset();
  (void)provider->Shutdown(std::chrono::steady_clock::now() +
                           std::chrono::seconds(3));
}

// ---- board ----
class Board {
 public:
  Board(DemoState& shared, const KafkaSettings& kafka, const std::string& otlp)
      : shared_(shared),
        provider_(ServiceProvider("board", otlp)),
        metrics_(*provider_, otlp) {
    server_.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kBoardPage, "text/html; charset=utf-8");
    });
    server_.Get("/api/links",
                [this](const httplib::Request&, httplib::Response& res) {
                  res.set_content(shared_.LinksJson(), "application/json");
                });
    server_.Get(
        "/events", [this](const httplib::Request&, httplib::Response& res) {
          size_t cursor;
          {
            std::lock_guard lock(mutex_);
            cursor = events_.size();
            ++viewers_;
          }
          res.set_chunked_content_provider(
              "text/event-stream",
              [this, cursor](size_t, httplib::DataSink& sink) mutable {
                std::unique_lock lock(mutex_);
                cv_.wait_for(lock, std::chrono::seconds(1), [&] {
                  return events_.size() > cursor || shared_.stop;
                });
                if (shared_.stop) return false;
                while (cursor < events_.size()) {
                  std::string line = "data: " + events_[cursor++] + "\n\n";
                  if (!sink.write(line.data(), line.size())) return false;
                }
                return true;
              },
              [this](bool) {
                std::lock_guard lock(mutex_);
                --viewers_;
              });
        });
    server_.Post("/api/rendered",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   auto body = BodyWith(req, res, "id", &json::is_string,
                                        R"({"id": "..."})");
                   if (!body) return;
                   std::lock_guard lock(mutex_);
                   auto it = glass_.find((*body)["id"].get<std::string>());
                   if (it == glass_.end())
                     return Fail(res, 404, "unknown answer id");
                   it->second.End();  // time to glass: from the answer's
                                      // arrival to pixels on screen
                   glass_.erase(it);
                   res.set_content("{}", "application/json");
                 });
    consumer_thread_ = std::thread([this, kafka] { Consume(kafka); });
  }
  ~Board() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
    if (consumer_thread_.joinable()) consumer_thread_.join();
    glass_.clear();
    (void)provider_->Shutdown(std::chrono::steady_clock::now() +
                              std::chrono::seconds(3));
  }
  int Listen(int port) { return ListenOnLoopback(server_, port, thread_); }

 private:
  void Consume(const KafkaSettings& kafka) {
    Tracer& tracer = provider_->GetTracer("ask-board");
    auto conf =
        Conf(kafka, {{"group.id", "board"}, {"auto.offset.reset", "earliest"}});
    auto consumer =
        std::move(kafka::TracingConsumer::Create(std::move(conf), *provider_,
                                                 {.metrics = &metrics_.metrics})
                      .value());
    (void)consumer->Subscribe({"answers"});
    while (!shared_.stop) {
      auto record = consumer->Poll(100);
      if (!record || record->error() != RdKafka::ERR_NO_ERROR) continue;
      kafka::ProcessSpanScope process(*consumer, *record);
      auto answer = json::parse(record->value().value_or(""), nullptr, false);
      if (answer.is_discarded() || !answer.is_object()) continue;
      answer["trace_id"] = process.span().context().trace_id().ToHex();
      std::lock_guard lock(mutex_);
      if (viewers_ > 0) {  // someone will render it: time the way to the glass
        glass_.emplace(
            answer.value("id", ""),
            tracer.StartSpan("time to glass",
                             SpanOptions{.kind = SpanKind::kClient}));
        if (glass_.size() > 1000)
          glass_.erase(glass_.begin());  // never rendered: bounded
      }
      events_.push_back(answer.dump());
      if (events_.size() > 10000)
        events_.pop_front();  // bounded; cursors are positions
      cv_.notify_all();
    }
  }

  DemoState& shared_;
  std::unique_ptr<TracerProvider> provider_;
  ServiceMetrics metrics_;  // its consumer lives in consumer_thread_
  httplib::Server server_;
  std::thread thread_, consumer_thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> events_;     // guarded by mutex_
  std::map<std::string, Span> glass_;  // guarded by mutex_
  int viewers_ = 0;                    // guarded by mutex_
};

}  // namespace

void DemoState::SetLinks(std::string board, std::string viewer) {
  std::lock_guard lock(links_mutex_);
  board_url_ = std::move(board);
  viewer_url_ = std::move(viewer);
}

std::string DemoState::LinksJson() {
  std::lock_guard lock(links_mutex_);
  return json{{"board", board_url_}, {"viewer", viewer_url_}}.dump();
}

struct DemoServices::Impl {
  Impl(DemoState& shared, const KafkaSettings& kafka, const std::string& otlp,
       rd_kafka_mock_cluster_t* cluster)
      : state(shared),
        api(shared, kafka, otlp, cluster),
        board(shared, kafka, otlp),
        worker([&shared, kafka, otlp] { RunWorker(shared, kafka, otlp); }) {}
  ~Impl() {
    state.stop = true;
    worker.join();
  }
  DemoState& state;
  Api api;
  Board board;
  std::thread worker;  // joined first; then the board and the api stop
};

DemoServices::DemoServices(DemoState& state, const KafkaSettings& kafka,
                           const std::string& otlp,
                           rd_kafka_mock_cluster_t* cluster)
    : impl_(std::make_unique<Impl>(state, kafka, otlp, cluster)) {}

DemoServices::~DemoServices() = default;

bool DemoServices::Listen(int api_port, int board_port) {
  api_port_ = impl_->api.Listen(api_port);
  board_port_ = impl_->board.Listen(board_port);
  return api_port_ > 0 && board_port_ > 0;
}

}  // namespace kafkatrace::cli
