#include "collector/otlp_grpc_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "collector/otlp_receiver.h"
#include "otlp/grpc_framing.h"

namespace kafkatrace::collector {
namespace {

constexpr std::string_view kMetricsExport =
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
constexpr std::string_view kLogsExport =
    "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
constexpr std::string_view kAcceptEncoding = "identity,gzip";

using otlp::grpc_code::kInternal;
using otlp::grpc_code::kOk;
using otlp::grpc_code::kResourceExhausted;
using otlp::grpc_code::kUnimplemented;

constexpr int kPollMillis = 200;  // how soon a connection notices Stop()
constexpr auto kIdleLimit = std::chrono::minutes(5);

// One request as it arrived on its stream.
struct GrpcRequest {
  std::string method, path, content_type, encoding;
  std::string body;  // the length-prefixed message(s)
  bool too_large = false;
};

// The answer: an HTTP status other than 200 only for requests that are not
// gRPC; otherwise a gRPC status, and with OK the response message.
struct GrpcAnswer {
  int http_status = 200;
  int32_t code = kOk;
  std::string message;                  // grpc-message, unencoded
  std::optional<std::string> response;  // the serialized response, with kOk
};

GrpcAnswer Fail(int32_t code, std::string message) {
  return {200, code, std::move(message), std::nullopt};
}

// grpc-message is percent-encoded: everything outside printable ASCII, and
// '%' itself.
std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7E || byte == '%') {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    } else {
      out += c;
    }
  }
  return out;
}

enum class Inflated { kWhole, kTooLarge, kCorrupt };

// A gzip member inflated into `out`, refusing more than `limit` bytes (a
// small message may expand enormously).
Inflated Gunzip(std::string_view in, size_t limit, std::string& out) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Inflated::kCorrupt;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  char chunk[16384];
  int rc = Z_OK;
  Inflated result = Inflated::kCorrupt;
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    const size_t produced = sizeof chunk - z.avail_out;
    if (out.size() + produced > limit) {
      result = Inflated::kTooLarge;
      break;
    }
    out.append(chunk, produced);
    if (rc == Z_STREAM_END) {
      result = z.avail_in == 0 ? Inflated::kWhole : Inflated::kCorrupt;
      break;
    }
    if (z.avail_in == 0 && z.avail_out != 0) break;  // truncated
  }
  inflateEnd(&z);
  return result;
}

// What a request comes to, per the gRPC and OTLP/gRPC rules (see the header).
GrpcAnswer AnswerRequest(const GrpcRequest& request, SpanStore& store,
                         MetricStore* metrics, size_t max_message_bytes) {
  if (request.method != "POST")
    return {405, kUnimplemented, "gRPC calls are POST requests", std::nullopt};
  const std::string_view type = request.content_type;
  if (!type.starts_with("application/grpc") ||
      (type.size() > 16 && type[16] != '+' && type[16] != ';')) {
    return {415, kUnimplemented,
            "Content-Type must be application/grpc (got \"" +
                request.content_type + "\")",
            std::nullopt};
  }
  const bool metrics_call = request.path == kMetricsExport;
  if (metrics_call && metrics == nullptr)
    return Fail(kUnimplemented, TracesOnlyMessage("metrics"));
  if (request.path == kLogsExport)
    return Fail(kUnimplemented, TracesOnlyMessage("logs"));
  if (!metrics_call && request.path != otlp::kGrpcTraceExportPath) {
    return Fail(kUnimplemented, "unknown method " + request.path +
                                    "; this receiver serves " +
                                    std::string(otlp::kGrpcTraceExportPath));
  }
  const std::string too_large =
      "message larger than " + std::to_string(max_message_bytes) + " bytes";
  if (request.too_large) return Fail(kResourceExhausted, too_large);
  // A unary call carries exactly one length-prefixed message.
  if (request.body.empty()) return Fail(kInternal, "no request message");
  const std::optional<otlp::GrpcMessage> framed =
      otlp::ParseGrpcFrame(request.body);
  if (!framed) {
    return Fail(kInternal,
                "malformed gRPC message framing: one message expected, with "
                "a 5-byte prefix (compressed flag, big-endian length)");
  }
  std::string_view message = framed->bytes;
  std::string inflated;
  if (framed->compressed) {
    if (request.encoding != "gzip") {
      if (request.encoding.empty() || request.encoding == "identity")
        return Fail(kInternal, "compressed message without grpc-encoding");
      return Fail(kUnimplemented, "grpc-encoding \"" + request.encoding +
                                      "\" is not supported: use gzip or "
                                      "identity");
    }
    switch (Gunzip(message, max_message_bytes, inflated)) {
      case Inflated::kWhole:
        message = inflated;
        break;
      case Inflated::kTooLarge:
        return Fail(kResourceExhausted, too_large + " once decompressed");
      case Inflated::kCorrupt:
        return Fail(kInternal, "the gzip-compressed message does not inflate");
    }
  }
  OtlpTraceOutcome outcome =
      metrics_call
          ? StoreOtlpMetrics(OtlpEncoding::kProtobuf, message, *metrics)
          : StoreOtlpTraces(OtlpEncoding::kProtobuf, message, store);
  if (outcome.code != kOk) return Fail(outcome.code, outcome.message);
  return {200,
          kOk,
          {},
          ExportTraceResponseBody(OtlpEncoding::kProtobuf,
                                  outcome.rejected_spans, outcome.message)};
}

nghttp2_nv Header(std::string_view name, std::string_view value) {
  // nghttp2 copies submitted headers: views into temporaries are fine.
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
          name.size(), value.size(), NGHTTP2_NV_FLAG_NONE};
}

bool SendAll(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    const ssize_t sent = send(fd, data, size, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return false;  // gone, or stuck past SO_SNDTIMEO
    }
    data += sent;
    size -= static_cast<size_t>(sent);
  }
  return true;
}

// One HTTP/2 connection: nghttp2 parses and frames, this class moves bytes
// and answers each request stream when its last frame arrives.
class Connection {
 public:
  Connection(int fd, SpanStore& store, const OtlpGrpcServerOptions& options,
             const std::atomic<bool>& stopping)
      : fd_(fd), store_(store), options_(options), stopping_(stopping) {}
  ~Connection() {
    if (session_ != nullptr) nghttp2_session_del(session_);
  }

  void Run() {
    if (SentHttp1Refusal()) return;
    if (!Start()) return;
    uint8_t buffer[16384];
    auto last_activity = std::chrono::steady_clock::now();
    bool terminating = false;
    while (Flush() && (nghttp2_session_want_read(session_) != 0 ||
                       nghttp2_session_want_write(session_) != 0)) {
      const bool idle =
          streams_.empty() &&
          std::chrono::steady_clock::now() - last_activity > kIdleLimit;
      if (!terminating && (stopping_.load() || idle)) {
        // GOAWAY: the client finishes nothing more here and reconnects.
        nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
        terminating = true;
        continue;
      }
      pollfd ready{fd_, POLLIN, 0};
      const int polled = poll(&ready, 1, kPollMillis);
      if (polled < 0 && errno != EINTR) return;
      if (polled <= 0) continue;
      const ssize_t received = recv(fd_, buffer, sizeof buffer, 0);
      if (received < 0 && errno == EINTR) continue;
      if (received <= 0) return;  // closed by the client, or broken
      last_activity = std::chrono::steady_clock::now();
      if (nghttp2_session_mem_recv(session_, buffer,
                                   static_cast<size_t>(received)) < 0) {
        (void)Flush();  // nghttp2 queued a GOAWAY saying why
        return;
      }
    }
  }

 private:
  struct Stream {
    GrpcRequest request;
    std::string response;  // the length-prefixed response message
    size_t sent = 0;
  };

  // An HTTP/1 request would only get a GOAWAY from nghttp2, which an HTTP/1
  // client shows as a dropped connection: answer it in its own protocol.
  // The first bytes are peeked, not read, so HTTP/2 goes on untouched.
  bool SentHttp1Refusal() {
    // Clients speak first; one that does not within 5 s is left to the loop.
    pollfd ready{fd_, POLLIN, 0};
    int polled = 0;
    for (int waited = 0; polled == 0 && waited < 5000 && !stopping_.load();
         waited += kPollMillis) {
      polled = poll(&ready, 1, kPollMillis);
    }
    if (polled <= 0) return false;
    char head[4];
    const ssize_t n = recv(fd_, head, sizeof head, MSG_PEEK);
    if (n < static_cast<ssize_t>(sizeof head)) return false;
    if (std::string_view(head, 4) == "PRI ") return false;  // HTTP/2 preface
    for (const char c : head) {
      if (!(c >= 'A' && c <= 'Z') && c != ' ') return false;  // not a method
    }
    std::string reason =
        "this is an OTLP/gRPC receiver (HTTP/2 only); send OTLP/HTTP to ";
    reason += options_.otlp_http_url.empty() ? "the OTLP/HTTP receiver"
                                             : options_.otlp_http_url;
    reason += "\n";
    const std::string answer =
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; "
        "charset=utf-8\r\nConnection: close\r\nContent-Length: " +
        std::to_string(reason.size()) + "\r\n\r\n" + reason;
    (void)SendAll(fd_, reinterpret_cast<const uint8_t*>(answer.data()),
                  answer.size());
    shutdown(fd_, SHUT_WR);
    DrainUntilClosed();
    return true;
  }

  // Reads and drops what the client still sends (the rest of its request)
  // until it closes, for at most 2 s and 1 MiB: a socket closed with unread
  // data resets the connection, and the client may lose the answer with it.
  void DrainUntilClosed() {
    char sink[4096];
    size_t drained = 0;
    for (int waited = 0; waited < 2000 && drained < (1u << 20);) {
      pollfd readable{fd_, POLLIN, 0};
      const int polled = poll(&readable, 1, kPollMillis);
      if (polled < 0) return;
      if (polled == 0) {
        waited += kPollMillis;
        continue;
      }
      const ssize_t n = recv(fd_, sink, sizeof sink, 0);
      if (n <= 0) return;  // closed (or failed): nothing left to lose
      drained += static_cast<size_t>(n);
    }
  }

  bool Start() {
    nghttp2_session_callbacks* callbacks = nullptr;
    if (nghttp2_session_callbacks_new(&callbacks) != 0) return false;
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks,
                                                            OnBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks,
                                                              OnDataChunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks,
                                                         OnFrameReceived);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks,
                                                           OnStreamClose);
    const int created = nghttp2_session_server_new(&session_, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    if (created != 0) return false;
    // Larger windows than HTTP/2's 64 KiB, so a batch of spans arrives
    // without a round trip per 64 KiB.
    constexpr uint32_t kWindow = 1 << 20;
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
         static_cast<uint32_t>(options_.max_concurrent_streams)},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kWindow}};
    if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2) != 0)
      return false;
    return nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                                 kWindow) == 0;
  }

  bool Flush() {
    while (true) {
      const uint8_t* data = nullptr;
      const ssize_t size = nghttp2_session_mem_send(session_, &data);
      if (size < 0) return false;
      if (size == 0) return true;
      if (!SendAll(fd_, data, static_cast<size_t>(size))) return false;
    }
  }

  static Connection& Of(void* user_data) {
    return *static_cast<Connection*>(user_data);
  }

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame,
                            void* user_data) noexcept {
    if (frame->hd.type != NGHTTP2_HEADERS ||
        frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
      return 0;
    }
    try {
      Of(user_data).streams_.try_emplace(frame->hd.stream_id);
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame,
                      const uint8_t* name, size_t name_size,
                      const uint8_t* value, size_t value_size, uint8_t,
                      void* user_data) noexcept {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    auto& streams = Of(user_data).streams_;
    const auto it = streams.find(frame->hd.stream_id);
    if (it == streams.end()) return 0;
    const std::string_view key(reinterpret_cast<const char*>(name), name_size);
    const std::string_view text(reinterpret_cast<const char*>(value),
                                value_size);
    GrpcRequest& request = it->second.request;
    try {
      if (key == ":method") {
        request.method = text;
      } else if (key == ":path") {
        request.path = text;
      } else if (key == "content-type") {
        request.content_type = text;
      } else if (key == "grpc-encoding") {
        request.encoding = text;
      }
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
  }

  static int OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id,
                         const uint8_t* data, size_t size,
                         void* user_data) noexcept {
    Connection& self = Of(user_data);
    const auto it = self.streams_.find(stream_id);
    if (it == self.streams_.end()) return 0;
    GrpcRequest& request = it->second.request;
    if (request.too_large) return 0;
    // The prefix, and a compressed message a little larger than its content;
    // and all of a connection's streams together at most two messages' worth.
    const size_t limit = self.options_.max_message_bytes + 5;
    if (request.body.size() + size > limit ||
        self.buffered_ + size > 2 * limit) {
      request.too_large = true;
      self.Release(request);  // read on, keep nothing
      return 0;
    }
    try {
      request.body.append(reinterpret_cast<const char*>(data), size);
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    self.buffered_ += size;
    return 0;
  }

  void Release(GrpcRequest& request) {
    buffered_ -= request.body.size();
    std::string().swap(request.body);
  }

  static int OnFrameReceived(nghttp2_session* session,
                             const nghttp2_frame* frame,
                             void* user_data) noexcept {
    const bool request_ends =
        (frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (!request_ends) return 0;
    try {
      return Of(user_data).Answer(session, frame->hd.stream_id);
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t,
                           void* user_data) noexcept {
    Connection& self = Of(user_data);
    const auto it = self.streams_.find(stream_id);
    if (it == self.streams_.end()) return 0;
    self.Release(it->second.request);
    self.streams_.erase(it);
    return 0;
  }

  int Answer(nghttp2_session* session, int32_t stream_id) {
    const auto it = streams_.find(stream_id);
    if (it == streams_.end()) return 0;
    Stream& stream = it->second;
    const GrpcAnswer answer = AnswerRequest(
        stream.request, store_, options_.metrics, options_.max_message_bytes);
    Release(stream.request);
    const std::string status = std::to_string(answer.http_status);
    if (answer.response) {
      // Headers, the message, then trailers with the status (ReadResponse).
      stream.response = otlp::GrpcFrame(*answer.response, /*compressed=*/false);
      const nghttp2_nv headers[] = {
          Header(":status", status), Header("content-type", "application/grpc"),
          Header("grpc-accept-encoding", kAcceptEncoding)};
      nghttp2_data_provider provider{};
      provider.source.ptr = &stream;
      provider.read_callback = ReadResponse;
      return nghttp2_submit_response(session, stream_id, headers, 3,
                                     &provider) == 0
                 ? 0
                 : NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    // Trailers-Only: one HEADERS frame carrying the status.
    const std::string code = std::to_string(answer.code);
    const std::string message = PercentEncode(answer.message);
    const nghttp2_nv headers[] = {
        Header(":status", status),
        Header("content-type", answer.http_status == 200
                                   ? "application/grpc"
                                   : "text/plain; charset=utf-8"),
        Header("grpc-accept-encoding", kAcceptEncoding),
        Header("grpc-status", code), Header("grpc-message", message)};
    return nghttp2_submit_response(session, stream_id, headers, 5, nullptr) == 0
               ? 0
               : NGHTTP2_ERR_CALLBACK_FAILURE;
  }

  static ssize_t ReadResponse(nghttp2_session* session, int32_t stream_id,
                              uint8_t* buffer, size_t size, uint32_t* flags,
                              nghttp2_data_source* source, void*) noexcept {
    Stream& stream = *static_cast<Stream*>(source->ptr);
    const size_t n = std::min(size, stream.response.size() - stream.sent);
    std::memcpy(buffer, stream.response.data() + stream.sent, n);
    stream.sent += n;
    if (stream.sent == stream.response.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
      const nghttp2_nv trailers[] = {Header("grpc-status", "0")};
      if (nghttp2_submit_trailer(session, stream_id, trailers, 1) != 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return static_cast<ssize_t>(n);
  }

  const int fd_;
  SpanStore& store_;
  const OtlpGrpcServerOptions& options_;
  const std::atomic<bool>& stopping_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, Stream> streams_;  // node-stable: ReadResponse's source
  size_t buffered_ = 0;                // request bytes held, all streams
};

}  // namespace

struct OtlpGrpcServer::Connections {
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex mutex;
  std::vector<Worker> workers;  // guarded by mutex

  void ReapFinished() {
    std::erase_if(workers, [](Worker& w) {
      if (!w.done->load()) return false;
      w.thread.join();
      return true;
    });
  }
};

OtlpGrpcServer::OtlpGrpcServer(SpanStore& store, OtlpGrpcServerOptions options)
    : store_(store),
      options_(options),
      connections_(std::make_unique<Connections>()) {}

OtlpGrpcServer::~OtlpGrpcServer() {
  Stop();
  if (listen_fd_ >= 0) close(listen_fd_);
}

int OtlpGrpcServer::Bind(const std::string& address_host, int port,
                         std::string* error) {
  // "[::1]" as written in HOST:PORT is the address ::1.
  const std::string host = address_host.size() > 2 &&
                                   address_host.front() == '[' &&
                                   address_host.back() == ']'
                               ? address_host.substr(1, address_host.size() - 2)
                               : address_host;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(),
                                 service.c_str(), &hints, &found);
      rc != 0) {
    *error = "cannot resolve \"" + host + "\": " + gai_strerror(rc);
    return -1;
  }
  *error = "no address for \"" + host + "\"";
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd =
        socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 64) == 0) {
      listen_fd_ = fd;
      break;
    }
    *error = std::string(std::strerror(errno));
    close(fd);
  }
  freeaddrinfo(found);
  if (listen_fd_ < 0) return -1;
  sockaddr_storage bound{};
  socklen_t size = sizeof bound;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &size);
  error->clear();
  return bound.ss_family == AF_INET6
             ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
             : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

void OtlpGrpcServer::Serve() {
  while (!stopping_.load() && listen_fd_ >= 0) {
    pollfd ready{listen_fd_, POLLIN, 0};
    if (poll(&ready, 1, kPollMillis) <= 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      // Out of descriptors, say: the connection stays queued and poll keeps
      // saying so, so pause rather than spin.
      if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollMillis));
      continue;
    }
    const int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    // A client that stops reading cannot hold its thread for long.
    const timeval send_timeout{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    std::lock_guard lock(connections_->mutex);
    connections_->ReapFinished();
    if (stopping_.load() || connections_->workers.size() >=
                                static_cast<size_t>(options_.max_connections)) {
      close(fd);  // the client sees the connection fail and retries later
      continue;
    }
    try {
      auto done = std::make_shared<std::atomic<bool>>(false);
      std::thread thread([this, fd, done] {
        Handle(fd);
        done->store(true);
      });
      connections_->workers.push_back({std::move(thread), std::move(done)});
    } catch (...) {  // no thread to be had: refuse this one
      close(fd);
    }
  }
}

void OtlpGrpcServer::Handle(int fd) {
  try {
    Connection(fd, store_, options_, stopping_).Run();
  } catch (...) {  // out of memory: drop the connection, keep serving
  }
  close(fd);
}

void OtlpGrpcServer::Stop() {
  std::vector<Connections::Worker> workers;
  {
    std::lock_guard lock(connections_->mutex);
    stopping_.store(true);
    workers.swap(connections_->workers);
  }
  for (auto& w : workers) w.thread.join();
}

}  // namespace kafkatrace::collector
