#include "kafkatrace/context.h"

#include "kafkatrace/span.h"

namespace kafkatrace {
namespace {
__attribute__((tls_model(
    "initial-exec"))) thread_local const ContextScope* t_innermost = nullptr;
}  // namespace

const Context& Context::Current() noexcept {
  static const Context kEmpty;
  return t_innermost != nullptr ? t_innermost->context_ : kEmpty;
}

ContextScope::ContextScope(Context context) noexcept
    : context_(std::move(context)), previous_(t_innermost) {
  t_innermost = this;
}

ContextScope::ContextScope(const Span& span) noexcept
    : ContextScope(Context{span.context(), Context::Current().baggage}) {}

ContextScope::~ContextScope() { t_innermost = previous_; }

}  // namespace kafkatrace
