// CompositePropagator: runs several propagators in order (later ones see
// earlier results on extraction). PropagatorFromEnv builds one from
// OTEL_PROPAGATORS. Thread-safety: immutable after construction.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "kafkatrace/propagation/text_map_propagator.h"
#include "kafkatrace/status.h"

namespace kafkatrace {

class CompositePropagator final : public TextMapPropagator {
 public:
  explicit CompositePropagator(
      std::vector<std::unique_ptr<TextMapPropagator>> propagators);

  void Inject(const Context& context,
              TextMapCarrier& carrier) const noexcept override;
  Context Extract(const TextMapCarrier& carrier,
                  Context base) const noexcept override;
  const std::vector<std::string>& Fields() const noexcept override;
  // The propagators run, in order.
  const std::vector<std::unique_ptr<TextMapPropagator>>& members() const {
    return propagators_;
  }

 private:
  std::vector<std::unique_ptr<TextMapPropagator>> propagators_;
  std::vector<std::string> fields_;
};

// Builds the propagator for a comma-separated list: tracecontext, baggage, b3,
// b3multi, none. Unknown names are errors that name the offending entry.
Result<std::unique_ptr<TextMapPropagator>> MakePropagator(
    std::string_view names);
// MakePropagator(OTEL_PROPAGATORS), default "tracecontext,baggage".
Result<std::unique_ptr<TextMapPropagator>> PropagatorFromEnv();

}  // namespace kafkatrace
