// B3 propagation (Zipkin): the single `b3` header or the multi-header X-B3-*
// form. Extraction accepts both forms (single wins); injection writes the
// chosen one. 64-bit trace ids are left-padded with zeros to 128 bits.
// Thread-safety: immutable.
#pragma once

#include "kafkatrace/propagation/text_map_propagator.h"

namespace kafkatrace {

class B3Propagator final : public TextMapPropagator {
 public:
  enum class Encoding { kSingleHeader, kMultiHeader };
  explicit B3Propagator(Encoding encoding = Encoding::kSingleHeader);

  void Inject(const Context& context,
              TextMapCarrier& carrier) const noexcept override;
  Context Extract(const TextMapCarrier& carrier,
                  Context base) const noexcept override;
  const std::vector<std::string>& Fields() const noexcept override;

 private:
  Encoding encoding_;
};

}  // namespace kafkatrace
