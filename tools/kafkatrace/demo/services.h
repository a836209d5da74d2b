// The "ask" demo's three services, each with its own tracer provider
// (service.name api, worker, board) exporting to the demo's viewer:
//   api    - serves the ask page; POST /api/questions continues the browser's
//            traceparent in a SERVER span and produces to `questions` with
//            TracingProducer. Also the demo's controls: a busy worker, a
//            broker outage (the embedded broker only).
//   worker - consumes `questions` in a group, answers inside a process scope
//            (slowly when busy), produces to `answers` in the same trace.
//   board  - consumes `answers` and pushes them to browsers (server-sent
//            events); the page reports when an answer is rendered, which
//            ends a `time to glass` span.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "kafka_settings.h"

namespace kafkatrace::cli {

// The longest worker delay per question the demo accepts (--busy-ms and the
// ask page's control, whose input repeats it as its max), 10 minutes.
constexpr int kMaxBusyMs = 600'000;

// What the services share: the demo's controls, and where the pages link.
// Thread-safety: every member may be used from any thread.
struct DemoState {
  std::atomic<bool> stop{false};
  std::atomic<bool> busy{false};
  std::atomic<int> busy_ms{3000};
  std::atomic<bool> broker_up{true};

  // Where the pages link to: known once every server listens.
  void SetLinks(std::string board, std::string viewer);
  std::string LinksJson();  // {"board": url, "viewer": url}

 private:
  std::mutex links_mutex_;
  std::string board_url_, viewer_url_;
};

// The api, the worker and the board, running from construction until
// destruction (which stops the worker, then the board, then the api).
class DemoServices {
 public:
  // `kafka`: the Kafka cluster (copied); `otlp`: where spans go; `cluster`:
  // the embedded broker, for the outage control (borrowed; null on a real
  // cluster). `state` is borrowed and must outlive the services.
  DemoServices(DemoState& state, const KafkaSettings& kafka,
               const std::string& otlp, rd_kafka_mock_cluster_t* cluster);
  ~DemoServices();
  DemoServices(const DemoServices&) = delete;
  DemoServices& operator=(const DemoServices&) = delete;

  // Serves the api and the board on 127.0.0.1 at these ports (0: any free
  // one); false if either is taken. Then api_port()/board_port() say where.
  bool Listen(int api_port, int board_port);
  int api_port() const { return api_port_; }
  int board_port() const { return board_port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int api_port_ = -1, board_port_ = -1;
};

}  // namespace kafkatrace::cli
