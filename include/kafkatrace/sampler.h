// Samplers decide at span start whether a span is recorded and sampled
// (exported). Built in: always_on, always_off, traceidratio and parentbased_*,
// the OpenTelemetry set. Thread-safety: ShouldSample is called concurrently
// from any thread; implementations must be safe for that (the built-in ones are
// immutable).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "kafkatrace/attribute_value.h"
#include "kafkatrace/span_context.h"
#include "kafkatrace/span_data.h"
#include "kafkatrace/status.h"

namespace kafkatrace {

enum class SamplingDecision : uint8_t {
  kDrop,             // not recorded, not sampled
  kRecordOnly,       // recorded (processors see it) but not exported
  kRecordAndSample,  // recorded and exported
};

struct SamplingParameters {
  const SpanContext& parent;  // invalid for a root span
  const TraceId& trace_id;
  std::string_view name;
  SpanKind kind;
  std::span<const Attribute> attributes;
  std::span<const SpanLink> links;
};

// What a span's parent is, as far as ParentBased sampling goes.
enum class ParentKind : uint8_t {
  kNone,  // a root span
  kRemoteSampled,
  kRemoteNotSampled,
  kLocalSampled,
  kLocalNotSampled,
};
inline constexpr int kParentKinds = 5;
inline ParentKind ParentKindOf(const SpanContext& parent) noexcept {
  if (!parent.IsValid()) return ParentKind::kNone;
  const int kind = 1 + (parent.remote() ? 0 : 2) + (parent.sampled() ? 0 : 1);
  return static_cast<ParentKind>(kind);
}

struct SamplingResult {
  SamplingDecision decision = SamplingDecision::kDrop;
  Attributes attributes;  // added to the span when recorded
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual SamplingResult ShouldSample(
      const SamplingParameters& params) noexcept = 0;
  virtual std::string Description() const = 0;
  // False when decisions never look at SamplingParameters::attributes or
  // links. Instrumentations then skip building start attributes for spans
  // that are not sampled, and set them right after start on the ones that
  // are. Custom samplers keep the safe default.
  virtual bool UsesStartAttributes() const noexcept { return true; }
  // True when every span whose parent is of this kind is dropped, whatever
  // its trace id, name, kind, attributes and links (AlwaysOff; ParentBased
  // where it delegates to such a sampler). Asked once per kind when the
  // provider is built; the tracer then starts those spans without asking,
  // and instrumentations without composing their names. Custom samplers
  // keep the safe default.
  virtual bool DropsEverySpan(ParentKind) const noexcept { return false; }
  // True when every span whose parent is of this kind is recorded and
  // sampled, with no attributes added, whatever its trace id, name, kind,
  // attributes and links (AlwaysOn; TraceIdRatioBased at ratio 1; ParentBased
  // where it delegates to such a sampler). Asked once per kind, as
  // DropsEverySpan; the tracer then records those spans without asking.
  // Custom samplers keep the safe default.
  virtual bool SamplesEverySpan(ParentKind) const noexcept { return false; }
};

class AlwaysOnSampler final : public Sampler {
 public:
  SamplingResult ShouldSample(const SamplingParameters&) noexcept override;
  std::string Description() const override { return "AlwaysOnSampler"; }
  bool UsesStartAttributes() const noexcept override { return false; }
  bool SamplesEverySpan(ParentKind) const noexcept override { return true; }
};

class AlwaysOffSampler final : public Sampler {
 public:
  SamplingResult ShouldSample(const SamplingParameters&) noexcept override;
  std::string Description() const override { return "AlwaysOffSampler"; }
  bool UsesStartAttributes() const noexcept override { return false; }
  bool DropsEverySpan(ParentKind) const noexcept override { return true; }
};

// Samples a fixed fraction of traces, deciding from the trace id alone so every
// service with the same ratio agrees. Uses the OpenTelemetry
// consistent-probability rule: the low 56 bits of the trace id are the
// randomness R, and the span is sampled when R >= (1 - ratio) * 2^56. Raising
// the ratio never unsamples a trace.
class TraceIdRatioBasedSampler final : public Sampler {
 public:
  explicit TraceIdRatioBasedSampler(double ratio);
  SamplingResult ShouldSample(
      const SamplingParameters& params) noexcept override;
  std::string Description() const override;
  bool UsesStartAttributes() const noexcept override { return false; }
  bool DropsEverySpan(ParentKind) const noexcept override;    // ratio 0
  bool SamplesEverySpan(ParentKind) const noexcept override;  // ratio 1
  uint64_t rejection_threshold() const { return threshold_; }

 private:
  double ratio_;
  uint64_t threshold_;  // in [0, 2^56]; 2^56 means never sample
};

// Follows the parent's sampled flag; uses `root` for spans without a parent.
class ParentBasedSampler final : public Sampler {
 public:
  struct Delegates {
    std::unique_ptr<Sampler> root;                       // required
    std::unique_ptr<Sampler> remote_parent_sampled;      // default AlwaysOn
    std::unique_ptr<Sampler> remote_parent_not_sampled;  // default AlwaysOff
    std::unique_ptr<Sampler> local_parent_sampled;       // default AlwaysOn
    std::unique_ptr<Sampler> local_parent_not_sampled;   // default AlwaysOff
  };
  explicit ParentBasedSampler(std::unique_ptr<Sampler> root);
  explicit ParentBasedSampler(Delegates delegates);
  SamplingResult ShouldSample(
      const SamplingParameters& params) noexcept override;
  std::string Description() const override;
  bool UsesStartAttributes() const noexcept override;
  bool DropsEverySpan(ParentKind parent) const noexcept override;
  bool SamplesEverySpan(ParentKind parent) const noexcept override;

 private:
  Sampler& DelegateFor(ParentKind parent) const noexcept;
  Delegates delegates_;
};

// Builds a sampler by its OTEL_TRACES_SAMPLER name; `arg` is the ratio for the
// traceidratio kinds (empty: 1.0). Unknown names or bad ratios are errors.
Result<std::unique_ptr<Sampler>> MakeSampler(std::string_view name,
                                             std::string_view arg = {});

// Builds the sampler named by OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
// (default parentbased_always_on). Unknown names or bad ratios are errors.
Result<std::unique_ptr<Sampler>> SamplerFromEnv();

}  // namespace kafkatrace
