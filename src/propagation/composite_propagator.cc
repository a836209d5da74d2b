#include "kafkatrace/propagation/composite_propagator.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "kafkatrace/propagation/b3_propagator.h"
#include "kafkatrace/propagation/baggage_propagator.h"
#include "kafkatrace/propagation/trace_context_propagator.h"

namespace kafkatrace {

CompositePropagator::CompositePropagator(
    std::vector<std::unique_ptr<TextMapPropagator>> propagators)
    : propagators_(std::move(propagators)) {
  for (const auto& propagator : propagators_) {
    for (const auto& field : propagator->Fields()) {
      if (std::find(fields_.begin(), fields_.end(), field) == fields_.end()) {
        fields_.push_back(field);
      }
    }
  }
}

void CompositePropagator::Inject(const Context& context,
                                 TextMapCarrier& carrier) const noexcept {
  for (const auto& propagator : propagators_)
    propagator->Inject(context, carrier);
}

Context CompositePropagator::Extract(const TextMapCarrier& carrier,
                                     Context base) const noexcept {
  for (const auto& propagator : propagators_) {
    base = propagator->Extract(carrier, std::move(base));
  }
  return base;
}

const std::vector<std::string>& CompositePropagator::Fields() const noexcept {
  return fields_;
}

Result<std::unique_ptr<TextMapPropagator>> MakePropagator(
    std::string_view names) {
  std::vector<std::unique_ptr<TextMapPropagator>> propagators;
  std::vector<std::string> seen;
  while (true) {
    size_t comma = names.find(',');
    std::string name(names.substr(0, comma));
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::find(seen.begin(), seen.end(), name) == seen.end()) {
      seen.push_back(name);
      if (name == "tracecontext") {
        propagators.push_back(std::make_unique<TraceContextPropagator>());
      } else if (name == "baggage") {
        propagators.push_back(std::make_unique<BaggagePropagator>());
      } else if (name == "b3") {
        propagators.push_back(std::make_unique<B3Propagator>(
            B3Propagator::Encoding::kSingleHeader));
      } else if (name == "b3multi") {
        propagators.push_back(std::make_unique<B3Propagator>(
            B3Propagator::Encoding::kMultiHeader));
      } else if (name == "none") {
        // "none" alone disables propagation; mixed with others it adds nothing.
      } else {
        return Status::InvalidArgument(
            "unknown propagator \"" + name +
            "\" (supported: tracecontext, baggage, b3, b3multi, none)");
      }
    }
    if (comma == std::string_view::npos) break;
    names.remove_prefix(comma + 1);
  }
  return std::unique_ptr<TextMapPropagator>(
      new CompositePropagator(std::move(propagators)));
}

Result<std::unique_ptr<TextMapPropagator>> PropagatorFromEnv() {
  const char* value = std::getenv("OTEL_PROPAGATORS");
  auto result = MakePropagator(
      value != nullptr && *value != '\0' ? value : "tracecontext,baggage");
  if (!result.ok()) {
    return Status::InvalidArgument("OTEL_PROPAGATORS: " +
                                   result.status().message());
  }
  return result;
}

}  // namespace kafkatrace
