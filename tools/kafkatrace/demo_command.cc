// `kafkatrace demo`: the "ask" app, traced click to glass. Starts Kafka (the
// embedded broker, or checks the one given with --brokers), the viewer as a
// child process, and the services (demo/services.h); then waits for Ctrl-C,
// or runs the scripted scenario (demo/scenario.h) with --once.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli_support.h"
#include "commands.h"
#include "demo/scenario.h"
#include "demo/services.h"

namespace kafkatrace::cli {
namespace {

// The viewer, as a child process that dies with us.
struct Viewer {
  pid_t pid = -1;
  std::string otlp, ui;
  // `kafka`: the demo's cluster, so the viewer shows the groups' lag.
  bool Start(const std::string& db, const KafkaSettings& kafka) {
    std::vector<std::string> args = {"kafkatrace",  "view", "--otlp",
                                     "127.0.0.1:0", "--ui", "127.0.0.1:0",
                                     "--db",        db};
    for (std::string& arg : kafka.AsArguments()) args.push_back(std::move(arg));
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    int fds[2];
    if (pipe(fds) != 0) return false;
    pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      execv("/proc/self/exe", argv.data());
      _exit(127);
    }
    close(fds[1]);
    FILE* out = fdopen(fds[0], "r");
    char line[512];
    for (std::string* target : {&otlp, &ui}) {
      if (!fgets(line, sizeof(line), out)) return false;
      std::string s(line);
      *target = s.substr(s.rfind(' ') + 1);
      target->erase(target->find_last_not_of("\r\n") + 1);
    }
    return true;
  }
  void Stop() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
      pid = -1;
    }
  }
};

// The embedded broker (librdkafka's mock cluster) with the demo's topics.
class EmbeddedKafka {
 public:
  bool Start(std::string* error) {
    char reason[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", nullptr, 0);
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof(reason));
    if (handle_ == nullptr) {
      *error = reason;
      return false;
    }
    cluster_ = rd_kafka_mock_cluster_new(handle_, 1);
    if (cluster_ == nullptr) {
      *error = "cannot start the embedded broker";
      return false;
    }
    rd_kafka_mock_topic_create(cluster_, "questions", 1, 1);
    rd_kafka_mock_topic_create(cluster_, "answers", 1, 1);
    return true;
  }
  ~EmbeddedKafka() {
    if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
    if (handle_ != nullptr) rd_kafka_destroy(handle_);
  }
  rd_kafka_mock_cluster_t* cluster() const { return cluster_; }
  std::string bootstrap() const {
    return rd_kafka_mock_cluster_bootstraps(cluster_);
  }

 private:
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

// On a real cluster: whether it answers, and has (or auto-creates) the demo's
// topics. "" when it does, else what is wrong.
std::string CheckRealCluster(const KafkaSettings& kafka) {
  std::string error;
  auto conf = MakeConf(kafka, {}, &error);
  if (!conf) return error;
  std::unique_ptr<RdKafka::Producer> producer(
      RdKafka::Producer::create(conf.get(), error));
  if (!producer) return error;
  for (const char* topic : {"questions", "answers"}) {
    if (std::string problem =
            CheckBrokerAndTopic(*producer, kafka.brokers, topic,
                                /*may_create=*/true);
        !problem.empty()) {
      return problem;
    }
  }
  return "";
}

}  // namespace

int RunDemo(const DemoArgs& args) {
  InstallStopSignals();
  std::signal(SIGPIPE, SIG_IGN);
  const bool embedded = args.kafka.brokers.empty();
  EmbeddedKafka kafka;  // destroyed last: the viewer reads the groups' offsets
  std::string error;
  if (embedded ? !kafka.Start(&error)
               : !(error = CheckRealCluster(args.kafka)).empty()) {
    std::cerr << "kafkatrace demo: " << error << "\n";
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = embedded ? kafka.cluster() : nullptr;
  KafkaSettings cluster_settings = args.kafka;
  if (embedded) cluster_settings.brokers = kafka.bootstrap();
  Viewer viewer;
  if (!viewer.Start(args.db, cluster_settings)) {
    std::cerr << "kafkatrace demo: cannot start the viewer\n";
    return 1;
  }

  DemoState state;
  state.busy_ms = args.busy_ms;
  state.busy = args.busy && !args.once;  // --once scripts idle, then busy
  int status = 0;
  {
    DemoServices services(state, cluster_settings, viewer.otlp, cluster);
    if (!services.Listen(args.once ? 0 : args.api_port,
                         args.once ? 0 : args.board_port)) {
      std::cerr << "kafkatrace demo: ports " << args.api_port << "/"
                << args.board_port << " are in use\n";
      status = 1;
    } else {
      const int api_port = services.api_port();
      const int board_port = services.board_port();
      state.SetLinks("http://127.0.0.1:" + std::to_string(board_port) + "/",
                     viewer.ui);
      std::cout << "ask page:  http://127.0.0.1:" << api_port << "/\n"
                << "board:     http://127.0.0.1:" << board_port << "/\n"
                << "viewer:    " << viewer.ui << "\n"
                << std::flush;
      if (args.once) {
        status = RunDemoScenario(args, api_port, viewer.ui);
      } else {
        std::cout << "Ask on the ask page and watch the board; the ask "
                     "page also makes the worker busy and takes the broker "
                     "down, to see what the traces say then. Ctrl-C to "
                     "stop.\n";
        while (!g_stop_requested)
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  }
  // The services have stopped; the viewer goes before the embedded broker,
  // whose groups' offsets it reads.
  viewer.Stop();
  return status;
}

}  // namespace kafkatrace::cli
