#include "kafkatrace/span.h"

#include <algorithm>
#include <type_traits>

#include "trace/provider_state.h"
#include "trace/span_handoff.h"
#include "trace/span_limits.h"

namespace kafkatrace {
namespace detail {
bool SetLimitedAttribute(Attributes& attributes, std::string_view key,
                         AttributeValue&& value, uint32_t max_count,
                         uint32_t max_value_length) {
  TruncateStrings(value, max_value_length);
  for (auto& attribute : attributes) {
    if (attribute.key == key) {
      attribute.value = std::move(value);
      return true;
    }
  }
  if (attributes.size() >= max_count) return false;
  attributes.emplace_back(key, std::move(value));
  return true;
}

void ResolveDeferredAttributes(SpanData& span) noexcept {
  const DeferredAttributes::Lister lister = span.deferred.lister;
  if (lister == nullptr) return;
  const DeferredAttributes::Finisher finisher = span.deferred.finisher;
  // Resolved once, even if copied after.
  span.deferred.lister = nullptr;
  span.deferred.finisher = nullptr;
  const DeferredAttributes& deferred = span.deferred;
  lister(deferred, [&](std::span<const AttributeKeyValue> listed) {
    if (deferred.order == DeferredAttributes::Order::kBeforeOwn) {
      SpanHandoff::SetAttributesBefore(span, deferred.provider, listed);
    } else {
      SpanHandoff::SetAttributesOn(span, deferred.provider, listed);
    }
  });
  if (finisher != nullptr)
    SpanHandoff::Finish(span, deferred.provider, finisher, deferred);
}

bool DeferredAttributesExact(const SpanData& span) noexcept {
  const DeferredAttributes& deferred = span.deferred;
  if (deferred.lister == nullptr) return true;
  if (deferred.finisher != nullptr) return false;
  // With none of its own, either order sets the listed ones on an empty
  // span; the limits are the only thing that could still change them.
  const SpanLimits& limits = deferred.provider->limits;
  return span.attributes.empty() && span.dropped_attributes_count == 0 &&
         limits.max_attributes >= DeferredAttributes::kMaxListed &&
         limits.max_attribute_value_length == 0;
}

uint32_t LimitAttributes(Attributes& attributes, uint32_t max_count,
                         uint32_t max_value_length) {
  uint32_t dropped = 0;
  if (attributes.size() > max_count) {
    dropped = static_cast<uint32_t>(attributes.size() - max_count);
    attributes.resize(max_count);
  }
  for (auto& attribute : attributes)
    TruncateStrings(attribute.value, max_value_length);
  return dropped;
}
}  // namespace detail

Span& Span::operator=(Span&& other) noexcept {
  if (this != &other) {
    End();
    context_ = std::move(other.context_);
    data_ = std::move(other.data_);
    provider_ = other.provider_;
    key_sizes_ = other.key_sizes_;
  }
  return *this;
}

// Sets or replaces one attribute, in place: no temporary value, key or
// Attribute on the per-span path. May throw (allocation).
[[gnu::always_inline]] inline void Span::SetOne(std::string_view key,
                                                AttributeArg value) {
  const SpanLimits& limits = provider_->limits;
  Attributes& attributes = data_->attributes;
  const uint64_t key_size_bit = KeySizeBit(key);
  if ((key_sizes_ & key_size_bit) != 0) {
    for (auto& attribute : attributes) {
      if (attribute.key == key) {
        value.AssignTo(attribute.value, limits.max_attribute_value_length);
        return;
      }
    }
  }
  if (attributes.size() >= limits.max_attributes) {
    ++data_->dropped_attributes_count;
    return;
  }
  // Set first: an append that throws halfway may leave the key behind, and
  // a bit set for an absent key only costs a scan.
  key_sizes_ |= key_size_bit;
  value.AppendTo(attributes, key, limits.max_attribute_value_length);
}

void Span::SetAttributeRecording(std::string_view key,
                                 AttributeArg value) noexcept {
  try {
    SetOne(key, value);
  } catch (...) {
    ++data_->dropped_attributes_count;
  }
}

void Span::SetAttributesRecording(
    std::span<const AttributeKeyValue> list) noexcept {
  Attributes& attributes = data_->attributes;
  // Exactly what is needed the first time (a send span starts with none),
  // geometric growth after that (callers adding a few at a time).
  const size_t needed = attributes.size() + list.size();
  try {
    if (needed > attributes.capacity()) {
      attributes.reserve(
          std::min<size_t>(std::max(needed, 2 * attributes.capacity()),
                           provider_->limits.max_attributes));
    }
  } catch (...) {
    // Out of memory: each append below tries again.
  }
  for (const auto& [key, value] : list) {
    try {
      SetOne(key, value);
    } catch (...) {
      ++data_->dropped_attributes_count;
    }
  }
}

Attributes Span::SetAttributesOverStale(
    Attributes stale, std::span<const AttributeKeyValue> list) noexcept {
  Attributes& attributes = data_->attributes;
  attributes.swap(stale);  // stale: the span had none, so nothing is lost
  const SpanLimits& limits = provider_->limits;
  size_t live = 0;  // attributes[0, live) are this span's; the rest are stale
  for (const auto& [key, value] : list) {
    try {
      const uint64_t key_size_bit = KeySizeBit(key);
      if ((key_sizes_ & key_size_bit) != 0) {
        auto it = std::find_if(
            attributes.begin(), attributes.begin() + live,
            [key = key](const Attribute& a) { return a.key == key; });
        if (it != attributes.begin() + live) {
          value.AssignTo(it->value, limits.max_attribute_value_length);
          continue;
        }
      }
      if (live >= limits.max_attributes) {
        ++data_->dropped_attributes_count;
        continue;
      }
      key_sizes_ |= key_size_bit;
      if (live < attributes.size()) {
        // A throw here leaves the entry stale: it is overwritten or erased.
        attributes[live].key.Assign(key);
        value.AssignTo(attributes[live].value,
                       limits.max_attribute_value_length);
      } else {
        value.AppendTo(attributes, key, limits.max_attribute_value_length);
      }
      ++live;
    } catch (...) {
      ++data_->dropped_attributes_count;
    }
  }
  attributes.erase(attributes.begin() + static_cast<ptrdiff_t>(live),
                   attributes.end());
  return stale;
}

void Span::ReserveAttributes(size_t count) noexcept {
  if (!data_) return;
  try {
    data_->attributes.reserve(
        std::min<size_t>(count, provider_->limits.max_attributes));
  } catch (...) {
    // Out of memory: attributes set later will try again, one by one.
  }
}

void Span::AddEvent(std::string_view name, Attributes attributes,
                    int64_t time_unix_nanos) noexcept {
  if (!data_) return;
  const SpanLimits& limits = provider_->limits;
  if (data_->events.size() >= limits.max_events) {
    ++data_->dropped_events_count;
    return;
  }
  try {
    SpanEvent event{
        std::string(name),
        time_unix_nanos != 0 ? time_unix_nanos : provider_->clock->NowNanos(),
        std::move(attributes), 0};
    event.dropped_attributes_count = detail::LimitAttributes(
        event.attributes, limits.max_attributes_per_event,
        limits.max_attribute_value_length);
    data_->events.push_back(std::move(event));
  } catch (...) {
    ++data_->dropped_events_count;
  }
}

void Span::RecordException(std::string_view type,
                           std::string_view message) noexcept {
  if (!data_) return;
  try {
    AddEvent("exception",
             Attributes{{"exception.type", std::string(type)},
                        {"exception.message", std::string(message)}});
  } catch (...) {
    ++data_->dropped_events_count;
  }
}

void Span::AddLink(const SpanContext& context, Attributes attributes) noexcept {
  if (!data_ || !context.IsValid()) return;
  const SpanLimits& limits = provider_->limits;
  if (data_->links.size() >= limits.max_links) {
    ++data_->dropped_links_count;
    return;
  }
  try {
    SpanLink link{context, std::move(attributes), 0};
    link.dropped_attributes_count =
        detail::LimitAttributes(link.attributes, limits.max_attributes_per_link,
                                limits.max_attribute_value_length);
    data_->links.push_back(std::move(link));
  } catch (...) {
    ++data_->dropped_links_count;
  }
}

void Span::SetStatus(SpanStatusCode code,
                     std::string_view description) noexcept {
  if (!data_ || code == SpanStatusCode::kUnset) return;
  if (data_->status_code == SpanStatusCode::kOk) return;  // Ok is final
  data_->status_code = code;
  try {
    data_->status_message = code == SpanStatusCode::kError
                                ? std::string(description)
                                : std::string();
  } catch (...) {
  }
}

void Span::UpdateName(std::string_view name) noexcept {
  if (!data_) return;
  try {
    data_->name = name;
  } catch (...) {
  }
}

void Span::EndRecording(int64_t end_unix_nanos) noexcept {
  // Keep the context readable after End(): the data is handed away.
  context_ = data_->context;
  data_->end_unix_nanos =
      end_unix_nanos != 0 ? end_unix_nanos : provider_->clock->NowNanos();
  if (data_->end_unix_nanos < data_->start_unix_nanos) {
    data_->end_unix_nanos = data_->start_unix_nanos;
  }
  provider_->OnEnd(std::move(data_));
}

}  // namespace kafkatrace
