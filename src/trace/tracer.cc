#include "kafkatrace/tracer.h"

#include <algorithm>

#include "kafkatrace/context.h"
#include "trace/provider_state.h"
#include "trace/span_data_pool.h"
#include "trace/span_limits.h"

namespace kafkatrace {

Span Tracer::Start(std::string_view name, const SpanOptions& options,
                   bool movable) noexcept {
  const SpanContext* parent = nullptr;
  if (!options.root) {
    parent =
        options.parent ? &*options.parent : &Context::Current().span_context;
  }
  return StartChildOf(name, options, movable, parent);
}

namespace {

// A new span's ids: the parent's trace id, or a new trace.
[[gnu::always_inline]] inline void NewIds(const detail::ProviderState& provider,
                                          const SpanContext& parent,
                                          TraceId& trace_id,
                                          SpanId& span_id) noexcept {
  if (parent.IsValid()) {
    trace_id = parent.trace_id();
    span_id = provider.id_generator->NewSpanId();
  } else {
    provider.id_generator->NewRootIds(trace_id, span_id);
  }
}

// The random flag describes the trace id, so it is inherited; a new trace id
// from a random generator earns it (W3C Level 2).
[[gnu::always_inline]] inline uint8_t RandomFlag(
    const detail::ProviderState& provider, const SpanContext& parent) noexcept {
  if (parent.IsValid()) return parent.flags() & kTraceFlagRandom;
  return provider.trace_ids_are_random ? kTraceFlagRandom : 0;
}

}  // namespace

Span Tracer::StartDroppedChildOf(const SpanContext& parent) noexcept {
  const detail::ProviderState& provider = *provider_;
  TraceId trace_id;
  SpanId span_id;
  NewIds(provider, parent, trace_id, span_id);
  return Span(
      SpanContext(trace_id, span_id, RandomFlag(provider, parent),
                  /*remote=*/false,
                  parent.IsValid() ? parent.trace_state() : TraceState()));
}

namespace {
// Constant-initialized: no guard checked per span, as a function-local static.
constinit const SpanContext kNoParent{};
}  // namespace

Span Tracer::StartChildOf(std::string_view name, const SpanOptions& options,
                          bool movable, const SpanContext* parent) noexcept {
  if (parent == nullptr) parent = &kNoParent;
  // The sampler would drop it whatever it is: no need to ask.
  if (provider_->DropsEverySpanWith(*parent))
    return StartDroppedChildOf(*parent);
  return StartAskingSampler(name, options, movable, *parent);
}

Span Tracer::StartAskingSampler(std::string_view name,
                                const SpanOptions& options, bool movable,
                                const SpanContext& parent) noexcept {
  const detail::ProviderState& provider = *provider_;
  const bool has_parent = parent.IsValid();
  TraceId trace_id;
  SpanId span_id;
  NewIds(provider, parent, trace_id, span_id);

  try {
    // A sampler known to record every such span with nothing added is not
    // asked (the default sampler under a sampled parent, and at the root).
    SamplingResult sampling =
        provider.SamplesEverySpanWith(parent)
            ? SamplingResult{SamplingDecision::kRecordAndSample, {}}
            : provider.sampler->ShouldSample(
                  SamplingParameters{parent, trace_id, name, options.kind,
                                     options.attributes, options.links});
    uint8_t flags = RandomFlag(provider, parent);
    if (sampling.decision == SamplingDecision::kRecordAndSample)
      flags |= kTraceFlagSampled;
    SpanContext context(trace_id, span_id, flags, /*remote=*/false,
                        has_parent ? parent.trace_state() : TraceState());
    if (sampling.decision == SamplingDecision::kDrop ||
        provider.shut_down.load(std::memory_order_relaxed)) {
      return Span(std::move(context));
    }

    std::unique_ptr<SpanData> data = detail::AcquireSpanData();
    data->context = std::move(context);
    if (has_parent) data->parent_span_id = parent.span_id();
    data->parent_is_remote = has_parent && parent.remote();
    data->name = name;
    data->kind = options.kind;
    data->start_unix_nanos = options.start_unix_nanos != 0
                                 ? options.start_unix_nanos
                                 : provider.clock->NowNanos();
    // A recycled SpanData keeps its attribute capacity: append, never replace.
    data->attributes.reserve(std::max<size_t>(
        options.attribute_capacity.value_or(8), options.attributes.size()));
    // Messaging spans start with no attributes or links (theirs come later),
    // and most samplers add none: nothing to limit.
    if (!options.attributes.empty() || !sampling.attributes.empty() ||
        !options.links.empty()) [[unlikely]] {
      AddStartAttributesAndLinks(*data, options, movable, sampling.attributes);
    }
    data->resource = &provider.resource;
    data->scope = &scope_;
    provider.OnStart(*data, parent);
    return Span(std::move(data), provider_);
  } catch (...) {
    // Out of memory while recording: degrade to a non-recording span with valid
    // ids.
    return Span(SpanContext(trace_id, span_id, 0, false));
  }
}

// Out of line: the spans that need it are rare on hot paths.
[[gnu::noinline]] void Tracer::AddStartAttributesAndLinks(
    SpanData& data, const SpanOptions& options, bool movable,
    Attributes& sampler_attributes) {
  const SpanLimits& limits = provider_->limits;
  // Moving is safe when the caller passed a temporary (see StartSpan).
  auto& taken = const_cast<SpanOptions&>(options);
  for (auto& attribute : taken.attributes) {
    movable ? data.attributes.emplace_back(std::move(attribute))
            : data.attributes.emplace_back(attribute);
  }
  data.dropped_attributes_count =
      data.attributes.empty()
          ? 0
          : detail::LimitAttributes(data.attributes, limits.max_attributes,
                                    limits.max_attribute_value_length);
  for (auto& attribute : sampler_attributes) {
    if (!detail::SetLimitedAttribute(
            data.attributes, attribute.key, std::move(attribute.value),
            limits.max_attributes, limits.max_attribute_value_length)) {
      ++data.dropped_attributes_count;
    }
  }
  data.links.reserve(options.links.size());
  for (auto& link : taken.links) {
    if (!link.context.IsValid()) continue;
    if (data.links.size() >= limits.max_links) {
      ++data.dropped_links_count;
      continue;
    }
    SpanLink& added = movable ? data.links.emplace_back(std::move(link))
                              : data.links.emplace_back(link);
    added.dropped_attributes_count += detail::LimitAttributes(
        added.attributes, limits.max_attributes_per_link,
        limits.max_attribute_value_length);
  }
}

bool Tracer::SamplerUsesStartAttributes() const noexcept {
  return provider_->sampler_uses_start_attributes;
}

}  // namespace kafkatrace
