// `kafkatrace broker`: librdkafka's mock cluster, reachable at a stable port.
// The mock binds a random port; a small TCP bridge on the requested port
// forwards bootstrap connections to it. Metadata then points clients at the
// mock's own port on 127.0.0.1, so the bridge only carries the first connection
// of each client.
#include <arpa/inet.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cli_support.h"
#include "commands.h"

namespace kafkatrace::cli {
namespace {

int ConnectTo(const std::string& host_port) {
  size_t colon = host_port.rfind(':');
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port =
      htons(static_cast<uint16_t>(std::stoi(host_port.substr(colon + 1))));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Copies bytes both ways until either side closes.
void Pump(int client, int upstream) {
  pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
  char buf[65536];
  while (!g_stop_requested.load()) {
    int ready = poll(fds, 2, 200);
    if (ready < 0) break;
    if (ready == 0) continue;
    bool closed = false;
    for (int i = 0; i < 2 && !closed; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        closed = true;
        break;
      }
      for (ssize_t sent = 0; sent < n;) {
        ssize_t w =
            write(fds[1 - i].fd, buf + sent, static_cast<size_t>(n - sent));
        if (w <= 0) {
          closed = true;
          break;
        }
        sent += w;
      }
    }
    if (closed) break;
  }
  close(client);
  close(upstream);
}

constexpr int kMaxPartitions = 1000;

// NAME or NAME:PARTITIONS specs as (name, partitions); nullopt, with
// `problem` set, for the first bad one.
std::optional<std::vector<std::pair<std::string, int>>> ParseTopics(
    const std::vector<std::string>& specs, std::string* problem) {
  std::vector<std::pair<std::string, int>> topics;
  for (const auto& spec : specs) {
    const size_t colon = spec.find(':');
    std::string name = spec.substr(0, colon);
    int partitions = 1;
    if (colon != std::string::npos) {
      const std::string count = spec.substr(colon + 1);
      const auto [end, error] = std::from_chars(
          count.data(), count.data() + count.size(), partitions);
      if (error != std::errc() || end != count.data() + count.size() ||
          partitions < 1 || partitions > kMaxPartitions) {
        *problem = "bad --topic \"" + Printable(spec) +
                   "\": expected NAME or NAME:PARTITIONS with PARTITIONS from "
                   "1 to " +
                   std::to_string(kMaxPartitions);
        return std::nullopt;
      }
    }
    if (std::string bad = TopicNameProblem(name); !bad.empty()) {
      *problem = "bad --topic \"" + Printable(spec) + "\": " + bad;
      return std::nullopt;
    }
    topics.emplace_back(std::move(name), partitions);
  }
  return topics;
}

}  // namespace

int RunBroker(const BrokerArgs& args) {
  // Checked before anything starts: a bad --topic is a usage error.
  std::string problem;
  const auto topics = ParseTopics(args.topics, &problem);
  if (!topics) {
    std::cerr << "kafkatrace broker: " << problem << "\n";
    return 2;
  }
  InstallStopSignals();
  std::signal(SIGPIPE, SIG_IGN);
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", nullptr, 0);
  rd_kafka_t* handle =
      rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (handle == nullptr) {
    std::cerr << "kafkatrace broker: " << error << "\n";
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, 1);
  if (cluster == nullptr) {
    std::cerr << "kafkatrace broker: cannot start the mock cluster\n";
    return 1;
  }
  for (const auto& [name, partitions] : *topics)
    rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, 1);
  const std::string mock_address = rd_kafka_mock_cluster_bootstraps(cluster);

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(args.port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
          0 ||
      listen(listener, 64) != 0) {
    std::cerr << "kafkatrace broker: cannot listen on 127.0.0.1:" << args.port
              << ": " << std::strerror(errno)
              << " (is another broker running? try --port)\n";
    return 1;
  }
  socklen_t length = sizeof(address);
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  const int port = ntohs(address.sin_port);

  std::cout << "localhost:" << port
            << std::endl;  // first line: the bootstrap address
  std::cerr << "kafkatrace broker: embedded Kafka (librdkafka mock cluster, "
               "broker at "
            << mock_address << ") ready; bootstrap from localhost:" << port
            << ". Ctrl-C to stop.\n";

  while (!g_stop_requested.load()) {
    pollfd pfd{listener, POLLIN, 0};
    if (poll(&pfd, 1, 200) <= 0) continue;
    int client = accept(listener, nullptr, nullptr);
    if (client < 0) continue;
    int upstream = ConnectTo(mock_address);
    if (upstream < 0) {
      close(client);
      continue;
    }
    std::thread(Pump, client, upstream).detach();
  }
  close(listener);
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  std::cerr << "kafkatrace broker: stopped\n";
  return 0;
}

}  // namespace kafkatrace::cli
