// Span: a handle to one operation being timed. Tracer::StartSpan creates it. A
// recording span owns its SpanData until End() hands it to the span processors;
// a non-recording span (not sampled) only carries its SpanContext and costs no
// allocation.
//
// The destructor ends a span that is still open, so a Span is also its own RAII
// scope for timing. It does NOT make the span current: use ContextScope
// (context.h) for that.
//
// Thread-safety: a Span is not synchronized; use it from one thread at a time
// (it may be moved to another thread, e.g. to end it in a delivery callback).
// All methods are noexcept: a failure to record telemetry never reaches the
// caller.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "kafkatrace/attribute_value.h"
#include "kafkatrace/span_context.h"
#include "kafkatrace/span_data.h"

namespace kafkatrace {

namespace detail {
struct ProviderState;
struct SpanHandoff;  // src/trace/span_handoff.h
}  // namespace detail

// One entry of Span::SetAttributes: a key and its borrowed value.
struct AttributeKeyValue {
  std::string_view key;
  AttributeArg value = false;
};

class Span {
 public:
  Span() = default;  // invalid, non-recording
  ~Span() { End(); }
  Span(Span&& other) noexcept = default;
  Span& operator=(Span&& other) noexcept;
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

  const SpanContext& context() const noexcept {
    return data_ ? data_->context : context_;
  }
  // True until End() for sampled (or record-only) spans; always false for
  // non-recording ones.
  bool IsRecording() const noexcept { return data_ != nullptr; }

  // Sets or replaces an attribute. Beyond the attribute limit it is dropped and
  // counted.
  void SetAttribute(std::string_view key, AttributeArg value) noexcept {
    if (data_)
      SetAttributeRecording(key, value);  // inline: free when not recording
  }
  // Sets several attributes, as many SetAttribute calls would (later keys
  // replace earlier ones), with room made for them all at once: one call for
  // the dozen a Kafka span gets.
  void SetAttributes(std::span<const AttributeKeyValue> attributes) noexcept {
    if (data_) SetAttributesRecording(attributes);
  }
  // Makes room for `count` attributes in all (at most the attribute limit), so
  // a span that knows what it will get sets it without regrowing its list.
  void ReserveAttributes(size_t count) noexcept;
  // Adds an event at `time_unix_nanos` (0 = now).
  void AddEvent(std::string_view name, Attributes attributes = {},
                int64_t time_unix_nanos = 0) noexcept;
  // Adds an "exception" event with exception.type and exception.message, per
  // the OTel semantic conventions. Does not change the status; call SetStatus
  // for that.
  void RecordException(std::string_view type,
                       std::string_view message) noexcept;
  void AddLink(const SpanContext& context, Attributes attributes = {}) noexcept;
  // Unset is ignored; Ok is final; a description is kept only with Error (OTel
  // rules).
  void SetStatus(SpanStatusCode code,
                 std::string_view description = {}) noexcept;
  void UpdateName(std::string_view name) noexcept;
  // Ends the span at `end_unix_nanos` (0 = now) and hands it to the processors.
  // Later calls do nothing.
  void End(int64_t end_unix_nanos = 0) noexcept {
    if (data_) EndRecording(end_unix_nanos);  // inline: free when not recording
  }

 private:
  friend class Tracer;
  friend struct detail::SpanHandoff;
  void SetAttributeRecording(std::string_view key, AttributeArg value) noexcept;
  void SetAttributesRecording(
      std::span<const AttributeKeyValue> attributes) noexcept;
  inline void SetOne(std::string_view key, AttributeArg value);
  // SetAttributesRecording on a span without attributes, writing over the
  // entries of `stale` (a used list) in place instead of constructing new ones;
  // entries left over are destroyed. Returns the span's own (empty) list.
  Attributes SetAttributesOverStale(
      Attributes stale, std::span<const AttributeKeyValue> attributes) noexcept;
  void EndRecording(int64_t end_unix_nanos) noexcept;
  explicit Span(SpanContext context) : context_(std::move(context)) {}
  // Takes the data once the processors' OnStart has run: from then on only
  // this Span changes its attributes.
  // Inline, so the caller sees its pointer emptied and destroys nothing.
  Span(std::unique_ptr<SpanData>&& data, const detail::ProviderState* provider)
      : data_(std::move(data)), provider_(provider) {
    for (const auto& attribute : data_->attributes)
      key_sizes_ |= KeySizeBit(attribute.key);
  }
  static uint64_t KeySizeBit(std::string_view key) {
    return uint64_t{1} << (key.size() % 64);
  }

  SpanContext context_;             // used when not recording
  std::unique_ptr<SpanData> data_;  // non-null while recording
  const detail::ProviderState* provider_ = nullptr;
  // One bit per key length (mod 64) among the attributes: a key whose bit is
  // clear is not there yet, and SetAttribute appends it without scanning the
  // list for a duplicate (a Kafka span sets a dozen distinct keys).
  uint64_t key_sizes_ = 0;
};

}  // namespace kafkatrace
