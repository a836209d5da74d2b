// kafkatrace: kcat for traced Kafka pipelines. See `kafkatrace --help`.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "commands.h"
#include "demo/services.h"

#ifndef KAFKATRACE_VERSION
#define KAFKATRACE_VERSION "0.0.0"
#endif

namespace {

// --count and the like: CLI11's PositiveNumber names the range 0 to 1.8e308.
CLI::Validator AtLeast(long long minimum) {
  const std::string bound = std::to_string(minimum);
  return CLI::Validator(
      [minimum, bound](std::string& value) -> std::string {
        try {
          size_t used = 0;
          if (std::stoll(value, &used) >= minimum && used == value.size())
            return "";
        } catch (...) {
        }
        return "must be a whole number of at least " + bound + ", not \"" +
               value + "\"";
      },
      "N>=" + bound);
}
const CLI::Validator kAtLeastOne = AtLeast(1);

// --brokers/-b, --property/-X and --config-file/-F (kafka_settings.h).
CLI::Option* AddKafkaOptions(CLI::App& command,
                             kafkatrace::cli::KafkaSettings& kafka,
                             const std::string& brokers_help) {
  // One value per occurrence, so that `-X a=b VALUE` leaves VALUE a value.
  command
      .add_option("--property,-X", kafka.properties,
                  "librdkafka property NAME=VALUE, e.g. "
                  "security.protocol=SASL_SSL (repeatable; wins over "
                  "--config-file)")
      ->allow_extra_args(false);
  command.add_option("--config-file,-F", kafka.config_file,
                     "File of librdkafka properties, one NAME=VALUE per line "
                     "(# comments)");
  return command.add_option("--brokers,-b", kafka.brokers, brokers_help);
}

}  // namespace

int main(int argc, char** argv) {
  using kafkatrace::cli::BrokerArgs;
  using kafkatrace::cli::ConsumeArgs;
  using kafkatrace::cli::LagArgs;
  using kafkatrace::cli::ProduceArgs;

  CLI::App app{
      "kafkatrace: produce and consume traced Kafka records, run a development "
      "broker"};
  app.set_version_flag("--version",
                       std::string("kafkatrace ") + KAFKATRACE_VERSION);
  app.require_subcommand(1);

  BrokerArgs broker;
  auto* broker_cmd =
      app.add_subcommand("broker",
                         "Run an embedded Kafka broker for development "
                         "(librdkafka's mock cluster)");
  broker_cmd
      ->add_option("--port", broker.port,
                   "Port clients bootstrap from (0: any free port)")
      ->capture_default_str();
  broker_cmd->add_option("--topic", broker.topics,
                         "Create a topic: NAME or NAME:PARTITIONS");

  ProduceArgs produce;
  auto* produce_cmd = app.add_subcommand(
      "produce",
      "Produce traced records: VALUEs from arguments, else one per stdin line");
  AddKafkaOptions(*produce_cmd, produce.kafka, "Bootstrap servers host:port")
      ->required();
  produce_cmd->add_option("--topic,-t", produce.topic, "Topic")->required();
  auto* key_option =
      produce_cmd->add_option("--key,-k", produce.key, "Record key");
  // One value per occurrence, so that `-H a=b VALUE` leaves VALUE a value.
  produce_cmd
      ->add_option("--header,-H", produce.headers,
                   "Header name=value (repeatable)")
      ->allow_extra_args(false);
  produce_cmd
      ->add_option("--partition,-p", produce.partition,
                   "Partition to write to (default: the key's, or any)")
      ->check(AtLeast(0));
  produce_cmd
      ->add_option("--count,-c", produce.count,
                   "Send the values this many times")
      ->check(kAtLeastOne);
  produce_cmd->add_option(
      "--traceparent", produce.traceparent,
      "Continue this W3C traceparent instead of starting a trace");
  produce_cmd
      ->add_option(
          "--baggage", produce.baggage,
          "W3C baggage member key=value sent with the records (repeatable; the "
          "value as is, encoded for you)")
      ->allow_extra_args(false);
  produce_cmd->add_option("values", produce.values, "Record values");

  ConsumeArgs consume;
  auto* consume_cmd = app.add_subcommand(
      "consume",
      "Consume records and show their decoded trace context and time in Kafka");
  AddKafkaOptions(*consume_cmd, consume.kafka, "Bootstrap servers host:port")
      ->required();
  consume_cmd->add_option("--topic,-t", consume.topic, "Topic")->required();
  auto* group_option = consume_cmd->add_option(
      "--group,-g", consume.group,
      "Consumer group (commits offsets); default: none, nothing committed");
  auto* from_beginning_option =
      consume_cmd->add_flag("--from-beginning", consume.from_beginning,
                            "Start at the oldest record instead of new ones");
  // Without a group only: a group's members get partitions and offsets from
  // the group.
  consume_cmd
      ->add_option("--partition,-p", consume.partitions,
                   "Read only this partition (repeatable)")
      ->allow_extra_args(false)
      ->excludes(group_option);
  consume_cmd
      ->add_option("--offset,-o", consume.offset,
                   "Where to start: beginning, end, an offset N, or -N for the "
                   "last N records of each partition")
      ->excludes(group_option)
      ->excludes(from_beginning_option);
  consume_cmd
      ->add_option("--count,-c", consume.count, "Stop after this many records")
      ->check(kAtLeastOne);
  consume_cmd->add_flag("--json", consume.json, "One JSON object per record");
  consume_cmd->add_option("--trace-id", consume.trace_id,
                          "Show only the records of this trace (their "
                          "traceparent's trace-id, 32 hex digits)");
  consume_cmd->add_option(
      "--timeout-ms", consume.timeout_ms,
      "Stop after this long without a record (default: wait forever)");
  consume_cmd
      ->add_option("--policy", consume.policy,
                   "How a process span relates to the producer's: its child "
                   "(parent), linked from the current trace (link), or a new "
                   "trace with a link (new-trace)")
      ->check(CLI::IsMember({"parent", "link", "new-trace"}));

  LagArgs lag;
  auto* lag_cmd = app.add_subcommand(
      "lag",
      "Show a consumer group's committed offsets, high watermarks and lag");
  AddKafkaOptions(*lag_cmd, lag.kafka, "Bootstrap servers host:port")
      ->required();
  lag_cmd->add_option("--group,-g", lag.group, "Consumer group")->required();
  lag_cmd->add_flag("--json", lag.json, "One JSON array of the partitions");

  kafkatrace::cli::ViewArgs view;
  auto* view_cmd =
      app.add_subcommand("view",
                         "Receive OTLP spans, store them, and serve a trace "
                         "viewer with Kafka hop times");
  view_cmd
      ->add_option("--otlp", view.otlp,
                   "OTLP/HTTP receiver address (port 0: any)")
      ->capture_default_str();
  view_cmd->add_option(
      "--otlp-grpc", view.otlp_grpc,
      "OTLP/gRPC receiver address (port 0: any; \"off\": none) [default: "
      "127.0.0.1:4317, skipped with a warning when taken]");
  view_cmd
      ->add_option("--ui", view.ui, "Web UI and JSON API address (port 0: any)")
      ->capture_default_str();
  view_cmd->add_option("--db", view.db, "SQLite file for spans")
      ->capture_default_str();
  AddKafkaOptions(*view_cmd, view.kafka,
                  "Bootstrap servers host:port: show each consumer group's "
                  "lag next to its topic latencies");
  view_cmd
      ->add_option("--retention-hours", view.retention_hours,
                   "Keep spans this long")
      ->capture_default_str();
  view_cmd
      ->add_option("--max-spans", view.max_spans,
                   "Keep at most this many spans")
      ->capture_default_str();

  kafkatrace::cli::TraceArgs trace;
  auto* trace_cmd =
      app.add_subcommand("trace", "Print a stored trace as a text waterfall");
  trace_cmd->add_option("trace-id", trace.trace_id, "32 hex digits")
      ->required();
  trace_cmd
      ->add_option("--db", trace.db, "SQLite file written by `kafkatrace view`")
      ->capture_default_str();

  kafkatrace::cli::DemoArgs demo;
  auto* demo_cmd =
      app.add_subcommand("demo",
                         "The \"ask\" demo: web form -> api -> Kafka -> busy "
                         "worker -> live board, traced");
  demo_cmd->add_flag(
      "--once", demo.once,
      "Scripted scenario: questions idle, then busy; print each trace; exit");
  demo_cmd->add_flag("--busy", demo.busy,
                     "Start with the worker busy (toggle: POST /api/busy)");
  demo_cmd
      ->add_option("--busy-ms", demo.busy_ms,
                   "Worker delay per message when busy")
      ->capture_default_str()
      ->check(CLI::Range(0, kafkatrace::cli::kMaxBusyMs));
  demo_cmd
      ->add_option("--questions", demo.questions,
                   "Questions per phase (--once)")
      ->capture_default_str();
  demo_cmd->add_option("--api-port", demo.api_port, "Ask page and API")
      ->capture_default_str();
  demo_cmd->add_option("--board-port", demo.board_port, "Live board")
      ->capture_default_str();
  demo_cmd->add_option("--db", demo.db, "Span database of the demo's viewer")
      ->capture_default_str();
  AddKafkaOptions(*demo_cmd, demo.kafka,
                  "Bootstrap servers host:port of a real cluster (topics "
                  "questions and answers); default: an embedded broker");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  produce.has_key = key_option->count() > 0;
  // Every command that talks to Kafka checks its -X/-F properties first.
  for (auto [command, kafka] : {std::pair{produce_cmd, &produce.kafka},
                                {consume_cmd, &consume.kafka},
                                {lag_cmd, &lag.kafka},
                                {view_cmd, &view.kafka},
                                {demo_cmd, &demo.kafka}}) {
    if (!command->parsed()) continue;
    if (std::string problem = kafka->Load(); !problem.empty()) {
      std::cerr << "kafkatrace " << command->get_name() << ": " << problem
                << "\n";
      return 2;
    }
  }
  if (broker_cmd->parsed()) return kafkatrace::cli::RunBroker(broker);
  if (produce_cmd->parsed()) return kafkatrace::cli::RunProduce(produce);
  if (consume_cmd->parsed()) return kafkatrace::cli::RunConsume(consume);
  if (lag_cmd->parsed()) return kafkatrace::cli::RunLag(lag);
  if (view_cmd->parsed()) return kafkatrace::cli::RunView(view);
  if (demo_cmd->parsed()) return kafkatrace::cli::RunDemo(demo);
  if (trace_cmd->parsed()) return kafkatrace::cli::RunTrace(trace);
  return 2;
}
