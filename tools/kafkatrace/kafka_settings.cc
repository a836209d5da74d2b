#include "kafka_settings.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>

#include "common/text.h"

namespace kafkatrace::cli {
namespace {

// Why the user may not set `name`, or "" if they may.
std::string ReservedProblem(const std::string& name) {
  if (name == "bootstrap.servers" || name == "metadata.broker.list")
    return "set by --brokers";
  if (name == "group.id")
    return "set by the command (use --group where it has one)";
  return "";
}

// "NAME=VALUE" with spaces around either trimmed; false when malformed.
bool SplitProperty(std::string_view text, KafkaProperty* out) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos) return false;
  const std::string_view name = text::TrimOws(text.substr(0, eq));
  if (name.empty()) return false;
  out->first = std::string(name);
  out->second = std::string(text::TrimOws(text.substr(eq + 1)));
  return true;
}

// `where` names the origin in messages: a -X argument or a line of the file.
std::string Check(const KafkaProperty& property, const std::string& where,
                  RdKafka::Conf& scratch) {
  if (std::string reserved = ReservedProblem(property.first);
      !reserved.empty()) {
    return where + ": " + property.first + " is " + reserved;
  }
  std::string error;
  if (scratch.set(property.first, property.second, error) !=
      RdKafka::Conf::CONF_OK) {
    return where + ": " + error;
  }
  return "";
}

}  // namespace

std::string KafkaSettings::Load() {
  resolved.clear();
  std::unique_ptr<RdKafka::Conf> scratch(
      RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) {
      return "cannot read --config-file " + config_file + ": " +
             std::strerror(errno);
    }
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const std::string_view content = text::TrimOws(line);
      if (content.empty() || content.front() == '#') continue;
      const std::string where = config_file + " line " + std::to_string(number);
      KafkaProperty property;
      if (!SplitProperty(content, &property))
        return where + ": expected NAME=VALUE";
      if (std::string problem = Check(property, where, *scratch);
          !problem.empty())
        return problem;
      resolved.push_back(std::move(property));
    }
  }
  for (const std::string& text : properties) {
    KafkaProperty property;
    if (!SplitProperty(text, &property))
      return "malformed --property \"" + text + "\": expected NAME=VALUE";
    if (std::string problem = Check(property, "--property", *scratch);
        !problem.empty())
      return problem;
    resolved.push_back(std::move(property));
  }
  return "";
}

std::vector<std::string> KafkaSettings::AsArguments() const {
  std::vector<std::string> args = {"--brokers", brokers};
  if (!config_file.empty()) args.insert(args.end(), {"-F", config_file});
  for (const std::string& p : properties) args.insert(args.end(), {"-X", p});
  return args;
}

std::unique_ptr<RdKafka::Conf> MakeConf(
    const KafkaSettings& kafka,
    const std::vector<KafkaProperty>& command_defaults, std::string* error) {
  std::unique_ptr<RdKafka::Conf> conf(
      RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  if (conf->set("bootstrap.servers", kafka.brokers, *error) !=
      RdKafka::Conf::CONF_OK)
    return nullptr;
  SetOrDie(*conf, "client.id", "kafkatrace-cli");
  SetOrDie(*conf, "log_level",
           "0");  // failures are reported by us, once, in plain words
  for (const auto& [name, value] : command_defaults)
    SetOrDie(*conf, name, value);
  for (const auto& [name, value] : kafka.resolved) {
    if (conf->set(name, value, *error) != RdKafka::Conf::CONF_OK) {
      *error = "--property " + name + ": " + *error;
      return nullptr;
    }
  }
  return conf;
}

void SetOrDie(RdKafka::Conf& conf, const std::string& name,
              const std::string& value) {
  std::string error;
  if (conf.set(name, value, error) != RdKafka::Conf::CONF_OK) {
    std::cerr << "kafkatrace: internal configuration error: " << error << "\n";
    std::exit(2);
  }
}

}  // namespace kafkatrace::cli
