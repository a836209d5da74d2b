// How the subcommands reach Kafka: --brokers plus any librdkafka property,
// given as kcat takes them (-X NAME=VALUE, -F FILE). A real cluster usually
// needs some (security.protocol, sasl.*, ssl.*); a slow one may need a longer
// message.timeout.ms than the command's own default.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kafkatrace::cli {

using KafkaProperty = std::pair<std::string, std::string>;  // name, value

struct KafkaSettings {
  std::string brokers;                  // --brokers: bootstrap servers
  std::string config_file;              // -F: NAME=VALUE lines, # comments
  std::vector<std::string> properties;  // -X: NAME=VALUE, after the file's

  // The file's properties, then -X's, in order (a later one wins). Filled and
  // checked against librdkafka's property table by Load().
  std::vector<KafkaProperty> resolved;

  // Reads the file and parses -X. "" when every property is well formed and
  // known to librdkafka, else a message naming the bad one. bootstrap.servers
  // and group.id are refused: --brokers and --group (or the command) own them.
  std::string Load();

  // The same options as arguments for another `kafkatrace` process (the
  // demo's viewer); -F stays a file name, so secrets in it stay out of argv.
  std::vector<std::string> AsArguments() const;
};

// A librdkafka configuration: the bootstrap servers, the CLI's client id and
// quiet logs, then the command's own `command_defaults`, then the user's
// properties (kafka.resolved), which therefore win. Null with `error` set if
// librdkafka refuses one. Throws nothing.
std::unique_ptr<RdKafka::Conf> MakeConf(
    const KafkaSettings& kafka,
    const std::vector<KafkaProperty>& command_defaults, std::string* error);

// Sets a property the CLI itself chose; exits with status 2 if librdkafka
// refuses it, which only a programming error can cause.
void SetOrDie(RdKafka::Conf& conf, const std::string& name,
              const std::string& value);

}  // namespace kafkatrace::cli
