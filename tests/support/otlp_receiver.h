// A loopback OTLP/HTTP receiver for tests: records every request and answers
// from a script (status, body, Retry-After, or hang until released), then 200
// once the script runs out.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kafkatrace::testing {

class OtlpReceiver {
 public:
  struct Reply {
    int status = 200;
    std::string body;
    std::string retry_after;
    bool hang = false;  // never answer until Release()
  };
  struct Request {
    std::string
        body;  // already gunzipped by httplib when Content-Encoding: gzip
    std::string content_type;
    std::string content_encoding;
    httplib::Headers headers;
    int answered_status = 0;
    std::string path;  // /v1/traces or /v1/metrics
  };

  OtlpReceiver() {
    const auto handler = [this](const httplib::Request& req,
                                httplib::Response& res) {
      Reply reply;
      {
        std::unique_lock lock(mutex_);
        if (!script_.empty()) {
          reply = script_.front();
          script_.pop_front();
        }
        requests_.push_back({req.body, req.get_header_value("Content-Type"),
                             req.get_header_value("Content-Encoding"),
                             req.headers, reply.status, req.path});
        cv_.notify_all();
        if (reply.hang) {
          cv_.wait(lock, [&] { return released_; });
          res.status = 200;
          return;
        }
      }
      res.status = reply.status;
      if (!reply.retry_after.empty())
        res.set_header("Retry-After", reply.retry_after);
      res.set_content(reply.body, "application/x-protobuf");
    };
    server_.Post("/v1/traces", handler);
    server_.Post("/v1/metrics", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // httplib 0.11 has no wait_until_ready(); poll its flag, bounded.
    for (int i = 0; i < 10000 && !server_.is_running(); ++i)
      std::this_thread::yield();
  }
  ~OtlpReceiver() {
    Release();
    server_.stop();
    thread_.join();
  }

  std::string url() const { return base_url() + "/v1/traces"; }
  std::string metrics_url() const { return base_url() + "/v1/metrics"; }
  std::string base_url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }
  void Script(std::vector<Reply> replies) {
    std::lock_guard lock(mutex_);
    script_.assign(replies.begin(), replies.end());
  }
  void Release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }
  std::vector<Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  // Waits (bounded) until at least n requests arrived.
  bool WaitForRequests(
      size_t n, std::chrono::seconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Reply> script_;
  std::vector<Request> requests_;
  bool released_ = false;
};

}  // namespace kafkatrace::testing
