// `protoc --decode_raw` over a message: Debian's protobuf-compiler, a decoder
// nobody here wrote, for tests of our protobuf encoders.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace kafkatrace::testing {

// protoc's text rendering of `message`, or nullopt with its complaint in
// `error` when it rejects the bytes.
inline std::optional<std::string> ProtocDecodeRaw(std::string_view message,
                                                  std::string* error) {
  char path[] = "/tmp/kafkatrace-protoc-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return std::nullopt;
  const bool written = write(fd, message.data(), message.size()) ==
                       static_cast<ssize_t>(message.size());
  close(fd);
  std::string text;
  int rc = -1;
  if (written) {
    const std::string command =
        std::string("protoc --decode_raw < ") + path + " 2>&1";
    if (FILE* pipe = popen(command.c_str(), "r")) {
      char buf[4096];
      while (size_t n = fread(buf, 1, sizeof(buf), pipe)) text.append(buf, n);
      rc = pclose(pipe);
    }
  }
  unlink(path);
  if (rc != 0) {
    if (error != nullptr) *error = text;
    return std::nullopt;
  }
  return text;
}

}  // namespace kafkatrace::testing
