#include "demo/scenario.h"

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "cli_support.h"

namespace kafkatrace::cli {
namespace {

using nlohmann::json;

struct Outcome {
  std::string id, trace_id;
  bool connected = false;
  double end_to_end_ms = 0;
  std::vector<std::string> hops;
  std::vector<std::string> diagnoses;  // one per hop that has one
};

std::string TraceParent() {
  static std::mt19937_64 rng{std::random_device{}()};
  char buf[64];
  std::snprintf(buf, sizeof(buf), "00-%016llx%016llx-%016llx-01",
                static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng() | 1));
  return buf;
}

// Asks through the api like a browser would: its own traceparent on the POST.
Outcome Ask(httplib::Client& api, const std::string& text) {
  Outcome o;
  auto res = api.Post("/api/questions", {{"traceparent", TraceParent()}},
                      json{{"question", text}}.dump(), "application/json");
  if (!res || res->status != 202) return o;
  auto body = json::parse(res->body);
  o.id = body["id"];
  o.trace_id = body["trace_id"];
  return o;
}

// Waits until the question's trace reached the board, then reads its hops.
void Follow(Outcome& o, const std::string& viewer_ui, int timeout_s) {
  if (o.trace_id.empty()) return;
  httplib::Client viewer(viewer_ui.substr(0, viewer_ui.size() - 1));
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    auto trace = viewer.Get(("/api/traces/" + o.trace_id).c_str());
    if (trace && trace->status == 200) {
      auto t = json::parse(trace->body);
      std::map<std::string, std::string> service_of;
      int64_t start = INT64_MAX, end = 0;
      for (const auto& s : t["spans"]) {
        service_of[s["name"].get<std::string>()] = s["service"];
        start = std::min<int64_t>(start, s["start_unix_nano"]);
        end = std::max<int64_t>(end, s["end_unix_nano"]);
      }
      o.connected = service_of["POST /api/questions"] == "api" &&
                    service_of["send questions"] == "api" &&
                    service_of["process questions"] == "worker" &&
                    service_of["send answers"] == "worker" &&
                    service_of["process answers"] == "board";
      if (o.connected) {
        o.end_to_end_ms = static_cast<double>(end - start) / 1e6;
        for (const auto& h : t["hops"]) {
          char line[256];
          std::snprintf(
              line, sizeof(line),
              "%s: publish %.1f ms, waiting %.1f ms, processing %.1f ms",
              h["topic"].get<std::string>().c_str(),
              h["publish_nano"].get<double>() / 1e6,
              h["wait_nano"].get<double>() / 1e6,
              h["process_nano"].get<double>() / 1e6);
          o.hops.push_back(line);
          if (!h["diagnosis"].get<std::string>().empty())
            o.diagnoses.push_back(h["diagnosis"]);
        }
        return;
      }
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(200));  // polling the viewer's API
  }
  return;
}

// The services' messaging metrics as the viewer has them (they export every
// 2 s): how many questions the api sent and the worker processed, and how
// long processing took. Waits until the worker's count reaches `processed`.
void PrintMetrics(const std::string& viewer_ui, uint64_t processed) {
  httplib::Client viewer(viewer_ui.substr(0, viewer_ui.size() - 1));
  double sent = 0;
  uint64_t count = 0;
  double p50 = 0, p99 = 0;
  for (int i = 0; i < 50 && count < processed && !g_stop_requested; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto res = viewer.Get("/api/metrics");
    if (!res || res->status != 200) continue;
    const json reply = json::parse(res->body, nullptr, false);
    if (reply.is_discarded() || !reply.contains("series")) continue;
    sent = 0;
    count = 0;
    for (const json& m : reply["series"]) {
      const json& a = m["attributes"];
      if (a.value("messaging.destination.name", "") != "questions") continue;
      if (m["service"] == "api" &&
          m["name"] == "messaging.client.sent.messages") {
        sent += m.value("value", 0.0);
      } else if (m["service"] == "worker" &&
                 m["name"] == "messaging.process.duration" &&
                 !a.contains("error.type")) {
        count += m.value("count", uint64_t{0});
        p50 = m["p50"].is_number() ? m["p50"].get<double>() : 0;
        p99 = m["p99"].is_number() ? m["p99"].get<double>() : 0;
      }
    }
  }
  std::printf(
      "\nmessaging metrics (in the viewer too): api sent %.0f questions; "
      "worker processed %llu, p50 %.1f ms, p99 %.1f ms (from the buckets)\n",
      sent, static_cast<unsigned long long>(count), p50 * 1e3, p99 * 1e3);
}

}  // namespace

int RunDemoScenario(const DemoArgs& args, int api_port,
                    const std::string& viewer_ui) {
  int status = 0;
  httplib::Client client("127.0.0.1", api_port);
  client.set_read_timeout(10, 0);
  // Warm-up: consumer groups take seconds to form on the embedded
  // broker; that is not what the scenario is about.
  Outcome warm = Ask(client, "warm-up");
  Follow(warm, viewer_ui, 60);
  std::vector<std::pair<std::string, Outcome>> outcomes;
  // Idle: one question at a time, answered at once.
  for (int i = 0; i < args.questions && !g_stop_requested; ++i) {
    Outcome o =
        Ask(client, "Why is the sky blue? (#" + std::to_string(i + 1) + ")");
    Follow(o, viewer_ui, 60);
    outcomes.emplace_back("idle", o);
  }
  // Busy: the questions arrive together; each waits in the topic
  // behind the slow worker.
  client.Post("/api/busy",
              json{{"busy", true}, {"delay_ms", args.busy_ms}}.dump(),
              "application/json");
  std::vector<Outcome> busy;
  for (int i = 0; i < args.questions && !g_stop_requested; ++i) {
    busy.push_back(
        Ask(client, "Why is grass green? (#" + std::to_string(i + 1) + ")"));
  }
  for (auto& o : busy) {
    Follow(o, viewer_ui, 60 + args.busy_ms * (args.questions + 1) / 1000);
    outcomes.emplace_back("busy", o);
  }
  if (!warm.id.empty()) {
    std::cout << "\n(question " << warm.id
              << " warmed up the consumer groups; it is not counted)\n";
  }
  for (const auto& [mode, o] : outcomes) {
    std::cout << "\n[" << mode << "] question " << o.id << "  trace "
              << o.trace_id << "  "
              << (o.connected ? "connected" : "NOT CONNECTED") << "\n";
    if (!o.connected) {
      status = 1;
      continue;
    }
    for (const auto& h : o.hops) std::cout << "  hop " << h << "\n";
    std::printf("  end to end: %.1f ms\n", o.end_to_end_ms);
    if (o.diagnoses.empty())
      std::cout << "  diagnosis: no part of a hop took long\n";
    for (const auto& d : o.diagnoses) std::cout << "  diagnosis: " << d << "\n";
  }
  // The warm-up question counts here: metrics count every record.
  PrintMetrics(viewer_ui, outcomes.size() + (warm.id.empty() ? 0 : 1));
  std::cout << "\nall " << outcomes.size() << " questions "
            << (status == 0 ? "formed" : "did NOT all form")
            << " one connected trace each; open " << viewer_ui
            << " to explore\n";
  return status;
}

}  // namespace kafkatrace::cli
