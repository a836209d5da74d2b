// TextMapPropagator: injects a Context into a carrier and extracts it back.
// Thread-safety: propagators are immutable; Inject/Extract may run
// concurrently.
#pragma once

#include <string>
#include <vector>

#include "kafkatrace/context.h"
#include "kafkatrace/propagation/text_map_carrier.h"

namespace kafkatrace {

class TextMapPropagator {
 public:
  virtual ~TextMapPropagator() = default;
  // Writes the context's fields; writes nothing for an invalid span context or
  // empty baggage.
  virtual void Inject(const Context& context,
                      TextMapCarrier& carrier) const noexcept = 0;
  // Returns `base` with the fields this propagator owns replaced by what the
  // carrier holds. Malformed input yields an invalid span context (a new
  // trace), never an error.
  virtual Context Extract(const TextMapCarrier& carrier,
                          Context base) const noexcept = 0;
  // The header names this propagator reads and writes (lowercase).
  virtual const std::vector<std::string>& Fields() const noexcept = 0;
};

}  // namespace kafkatrace
