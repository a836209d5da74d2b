// Context: what is "current" on a thread: the active span's context and the
// baggage. ContextScope makes a Context current until it is destroyed and then
// restores the previous one. It never ends a span (Span's own destructor does
// that). Thread-safety: each thread has its own current Context. Scopes must be
// destroyed in reverse order of creation on the thread that created them.
#pragma once

#include "kafkatrace/baggage.h"
#include "kafkatrace/span_context.h"

namespace kafkatrace {

class Span;

struct Context {
  SpanContext span_context;  // invalid when there is no active span
  Baggage baggage;

  // The innermost context made current on this thread; an empty Context if
  // none.
  static const Context& Current() noexcept;
};

class ContextScope {
 public:
  explicit ContextScope(Context context) noexcept;
  // The same for Context{span_context, baggage}, built in place.
  ContextScope(const SpanContext& span_context,
               const Baggage& baggage) noexcept;
  // Makes `span` the active span, keeping the current baggage.
  explicit ContextScope(const Span& span) noexcept;
  ~ContextScope();
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  friend struct Context;
  Context context_;
  const ContextScope* previous_;
};

}  // namespace kafkatrace
