#include "kafkatrace/kafka/instrumentation_scope.h"

#include "kafkatrace/tracer_provider.h"

namespace kafkatrace::kafka {

Tracer& InstrumentationTracer(TracerProvider& provider) {
  return provider.GetTracer(kInstrumentationName, KAFKATRACE_VERSION,
                            kSemconvSchemaUrl);
}

}  // namespace kafkatrace::kafka
