// The test service that the W3C Trace Context test suite drives
// (https://github.com/w3c/trace-context, test/README.md), propagating through
// kafkatrace's own propagators: POST /test takes a JSON array of
// {"url", "arguments"}; for each, the service POSTs `arguments` to `url`
// from a CLIENT span under a SERVER span that continues the request's trace
// context, as an instrumented HTTP service would.
//
//   build/tests/w3c_test_service [port]     prints http://127.0.0.1:<port>/test
//   python test.py http://127.0.0.1:<port>/test     (in the suite's test/)
//
// Propagators come from OTEL_PROPAGATORS (default tracecontext,baggage).
// Spans are not exported: only their ids travel.
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "kafkatrace/propagation/composite_propagator.h"
#include "kafkatrace/propagation/text_map_carrier.h"
#include "kafkatrace/tracer_provider.h"

namespace {

using nlohmann::json;
using namespace kafkatrace;  // NOLINT(google-build-using-namespace): a tool

void Fail(httplib::Response& res, int status, const std::string& reason) {
  res.status = status;
  res.set_content(json{{"error", reason}}.dump(), "application/json");
}

// POSTs `body` to an absolute http URL with the given headers; false with a
// reason when the URL is not one or nothing answers.
bool PostTo(const std::string& url, const HeaderListCarrier& headers,
            const std::string& body, std::string& reason) {
  const size_t scheme_end = url.find("://");
  const size_t path_start = scheme_end == std::string::npos
                                ? scheme_end
                                : url.find('/', scheme_end + 3);
  if (scheme_end == std::string::npos ||
      url.compare(0, scheme_end, "http") != 0) {
    reason = "\"" + url + "\" is not an http:// URL";
    return false;
  }
  httplib::Client client(url.substr(0, path_start));
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  httplib::Headers sent;
  for (const auto& [name, value] : headers.headers()) sent.emplace(name, value);
  const std::string path =
      path_start == std::string::npos ? "/" : url.substr(path_start);
  if (!client.Post(path, sent, body, "application/json")) {
    reason = "no answer from " + url;
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 0;
  auto propagator = PropagatorFromEnv();
  if (!propagator.ok()) {
    std::fprintf(stderr, "w3c_test_service: %s\n",
                 propagator.status().message().c_str());
    return 2;
  }
  TracerProvider provider;  // no processors: ids only
  Tracer& tracer = provider.GetTracer("w3c-test-service");

  httplib::Server server;
  server.Post(
      "/test", [&](const httplib::Request& req, httplib::Response& res) {
        HeaderListCarrier incoming;
        for (const auto& [name, value] : req.headers) incoming.Add(name, value);
        const Context parent = (*propagator)->Extract(incoming, Context{});
        Span span = tracer.StartSpan(
            "POST /test", SpanOptions{.kind = SpanKind::kServer,
                                      .parent = parent.span_context,
                                      .root = !parent.span_context.IsValid()});
        const json calls = json::parse(req.body, nullptr, false);
        if (!calls.is_array())
          return Fail(res, 400, "expected a JSON array of {url, arguments}");
        for (const json& call : calls) {
          if (!call.is_object() || !call.contains("url") ||
              !call["url"].is_string()) {
            return Fail(res, 400, "every entry needs a \"url\" string");
          }
          // One CLIENT span per call: every outgoing request carries its own
          // parent-id (W3C: pairwise different for calls of one request).
          Span call_span = tracer.StartSpan(
              "POST",
              SpanOptions{.kind = SpanKind::kClient, .parent = span.context()});
          HeaderListCarrier outgoing;
          (*propagator)
              ->Inject(Context{call_span.context(), parent.baggage}, outgoing);
          const json arguments =
              call.contains("arguments") ? call["arguments"] : json::array();
          std::string reason;
          if (!PostTo(call["url"].get<std::string>(), outgoing,
                      arguments.dump(), reason)) {
            return Fail(res, 502, reason);
          }
        }
        res.status = 200;
        res.set_content("{}", "application/json");
      });

  const int bound = port == 0
                        ? server.bind_to_any_port("127.0.0.1")
                        : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound <= 0) {
    std::fprintf(stderr, "w3c_test_service: cannot listen on port %d\n", port);
    return 1;
  }
  std::printf("http://127.0.0.1:%d/test\n", bound);
  std::fflush(stdout);
  server.listen_after_bind();
  return 0;
}
