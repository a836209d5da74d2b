// Fuzzes the OTLP/gRPC receiver's connection handling: nghttp2 parses the
// HTTP/2 frames; our callbacks assemble gRPC messages from HEADERS and DATA
// (length prefixes, compression flags, size limits, stream bookkeeping),
// store them and answer. The input is what a client sends after the HTTP/2
// preface, which is added here, so the fuzzer starts past it; an input that
// begins with 'R' is sent as is (the HTTP/1 refusal and bad prefaces).
// It travels over a socketpair to OtlpGrpcServer::Handle; a thread reads the
// answer so that the server never blocks on a full socket.
// Checks, beyond crashes, leaks and hangs: a connection that started HTTP/2
// answers with the server's SETTINGS frame first, and one refused as HTTP/1
// gets an HTTP/1.1 400.
// Seeds: fuzz/grpc_corpus, written by fuzz/grpc_seed.py.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "collector/otlp_grpc_server.h"
#include "collector/span_store.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// One in-memory store for the whole run, trimmed now and then so that long
// runs stay within libFuzzer's memory limit.
kafkatrace::collector::SpanStore& Store() {
  static auto store = kafkatrace::collector::SpanStore::Open(":memory:");
  Check(store.ok());
  static unsigned calls = 0;
  if (++calls % 1024 == 0)
    (void)(*store)->Retain(std::numeric_limits<int64_t>::min(), 1000);
  return **store;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const bool raw = input.starts_with('R');
  std::string sent =
      raw ? std::string(input.substr(1)) : std::string(kPreface).append(input);
  if (sent.size() > (1 << 20)) return 0;  // stays within the socket buffers

  int fds[2];
  Check(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  const int buffer = 4 << 20;
  setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  Check(WriteAll(fds[0], sent));
  shutdown(fds[0], SHUT_WR);  // the client has said everything
  std::string answer;
  std::thread reader([&] {
    char chunk[16384];
    ssize_t n;
    while ((n = read(fds[0], chunk, sizeof chunk)) > 0)
      answer.append(chunk, static_cast<size_t>(n));
  });
  kafkatrace::collector::OtlpGrpcServer server(Store());
  server.Handle(fds[1]);  // closes fds[1] when done
  reader.join();
  close(fds[0]);

  if (!raw) {
    // A frame header: 24-bit length, type 4 (SETTINGS), flags 0, stream 0.
    Check(answer.size() >= 9 && answer[3] == 4 && answer[4] == 0);
  } else if (sent.size() >= 4 && !sent.starts_with("PRI ") &&
             std::all_of(sent.begin(), sent.begin() + 4, [](char c) {
               return (c >= 'A' && c <= 'Z') || c == ' ';
             })) {
    Check(answer.starts_with("HTTP/1.1 400 "));
  }
  return 0;
}
