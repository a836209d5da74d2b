#include "kafkatrace/context.h"

#include "kafkatrace/span.h"

namespace kafkatrace {
namespace {
__attribute__((tls_model(
    "initial-exec"))) thread_local const ContextScope* t_innermost = nullptr;
// Constant-initialized, unlike a function-local static: no guard to check on
// every Current().
constinit const Context kEmpty{};
}  // namespace

const Context& Context::Current() noexcept {
  return t_innermost != nullptr ? t_innermost->context_ : kEmpty;
}

ContextScope::ContextScope(Context context) noexcept
    : context_(std::move(context)), previous_(t_innermost) {
  t_innermost = this;
}

ContextScope::ContextScope(const SpanContext& span_context,
                           const Baggage& baggage) noexcept
    : context_{span_context, baggage}, previous_(t_innermost) {
  t_innermost = this;
}

ContextScope::ContextScope(const Span& span) noexcept
    : ContextScope(span.context(), Context::Current().baggage) {}

ContextScope::~ContextScope() { t_innermost = previous_; }

}  // namespace kafkatrace
