#include "kafkatrace/sampler.h"

#include <charconv>
#include <cmath>

#include "trace/env.h"

namespace kafkatrace {
namespace {
constexpr uint64_t kMaxThreshold = uint64_t{1} << 56;
}

SamplingResult AlwaysOnSampler::ShouldSample(
    const SamplingParameters&) noexcept {
  return {SamplingDecision::kRecordAndSample, {}};
}

SamplingResult AlwaysOffSampler::ShouldSample(
    const SamplingParameters&) noexcept {
  return {SamplingDecision::kDrop, {}};
}

TraceIdRatioBasedSampler::TraceIdRatioBasedSampler(double ratio) {
  if (!(ratio >= 0.0)) ratio = 0.0;  // also catches NaN
  if (ratio > 1.0) ratio = 1.0;
  ratio_ = ratio;
  threshold_ = static_cast<uint64_t>(
      std::llround((1.0 - ratio) * static_cast<double>(kMaxThreshold)));
  if (threshold_ > kMaxThreshold) threshold_ = kMaxThreshold;
}

SamplingResult TraceIdRatioBasedSampler::ShouldSample(
    const SamplingParameters& params) noexcept {
  // Randomness R: the least significant 56 bits (last 7 bytes) of the trace id.
  auto bytes = params.trace_id.bytes();
  uint64_t randomness = 0;
  for (size_t i = 9; i < 16; ++i) randomness = (randomness << 8) | bytes[i];
  return {randomness >= threshold_ ? SamplingDecision::kRecordAndSample
                                   : SamplingDecision::kDrop,
          {}};
}

bool TraceIdRatioBasedSampler::DropsEverySpan(ParentKind) const noexcept {
  return threshold_ == kMaxThreshold;
}

bool TraceIdRatioBasedSampler::SamplesEverySpan(ParentKind) const noexcept {
  return threshold_ == 0;
}

std::string TraceIdRatioBasedSampler::Description() const {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), ratio_);
  return "TraceIdRatioBased{" + std::string(buf, end) + "}";
}

ParentBasedSampler::ParentBasedSampler(std::unique_ptr<Sampler> root)
    : ParentBasedSampler(Delegates{.root = std::move(root)}) {}

ParentBasedSampler::ParentBasedSampler(Delegates delegates)
    : delegates_(std::move(delegates)) {
  if (!delegates_.root) delegates_.root = std::make_unique<AlwaysOnSampler>();
  if (!delegates_.remote_parent_sampled)
    delegates_.remote_parent_sampled = std::make_unique<AlwaysOnSampler>();
  if (!delegates_.remote_parent_not_sampled)
    delegates_.remote_parent_not_sampled = std::make_unique<AlwaysOffSampler>();
  if (!delegates_.local_parent_sampled)
    delegates_.local_parent_sampled = std::make_unique<AlwaysOnSampler>();
  if (!delegates_.local_parent_not_sampled)
    delegates_.local_parent_not_sampled = std::make_unique<AlwaysOffSampler>();
}

Sampler& ParentBasedSampler::DelegateFor(ParentKind parent) const noexcept {
  switch (parent) {
    case ParentKind::kNone:
      return *delegates_.root;
    case ParentKind::kRemoteSampled:
      return *delegates_.remote_parent_sampled;
    case ParentKind::kRemoteNotSampled:
      return *delegates_.remote_parent_not_sampled;
    case ParentKind::kLocalSampled:
      return *delegates_.local_parent_sampled;
    case ParentKind::kLocalNotSampled:
      break;
  }
  return *delegates_.local_parent_not_sampled;
}

SamplingResult ParentBasedSampler::ShouldSample(
    const SamplingParameters& params) noexcept {
  return DelegateFor(ParentKindOf(params.parent)).ShouldSample(params);
}

bool ParentBasedSampler::DropsEverySpan(ParentKind parent) const noexcept {
  return DelegateFor(parent).DropsEverySpan(parent);
}

bool ParentBasedSampler::SamplesEverySpan(ParentKind parent) const noexcept {
  return DelegateFor(parent).SamplesEverySpan(parent);
}

std::string ParentBasedSampler::Description() const {
  return "ParentBased{root:" + delegates_.root->Description() +
         ",remoteParentSampled:" +
         delegates_.remote_parent_sampled->Description() +
         ",remoteParentNotSampled:" +
         delegates_.remote_parent_not_sampled->Description() +
         ",localParentSampled:" +
         delegates_.local_parent_sampled->Description() +
         ",localParentNotSampled:" +
         delegates_.local_parent_not_sampled->Description() + "}";
}

Result<std::unique_ptr<Sampler>> MakeSampler(std::string_view name,
                                             std::string_view arg) {
  auto ratio = [&]() -> Result<double> {
    if (arg.empty()) return 1.0;
    double value = 0;
    auto [end, ec] =
        std::from_chars(arg.data(), arg.data() + arg.size(), value);
    if (ec != std::errc() || end != arg.data() + arg.size() ||
        !(value >= 0.0) || value > 1.0) {
      return Status::InvalidArgument("sampler argument \"" + std::string(arg) +
                                     "\": expected a ratio between 0 and 1");
    }
    return value;
  };
  if (name == "always_on") return std::unique_ptr<Sampler>(new AlwaysOnSampler);
  if (name == "always_off") {
    return std::unique_ptr<Sampler>(new AlwaysOffSampler);
  }
  if (name == "parentbased_always_on") {
    return std::unique_ptr<Sampler>(
        new ParentBasedSampler(std::make_unique<AlwaysOnSampler>()));
  }
  if (name == "parentbased_always_off") {
    return std::unique_ptr<Sampler>(
        new ParentBasedSampler(std::make_unique<AlwaysOffSampler>()));
  }
  if (name == "traceidratio" || name == "parentbased_traceidratio") {
    auto r = ratio();
    if (!r.ok()) return r.status();
    auto base = std::make_unique<TraceIdRatioBasedSampler>(*r);
    if (name == "traceidratio") {
      return std::unique_ptr<Sampler>(std::move(base));
    }
    return std::unique_ptr<Sampler>(new ParentBasedSampler(std::move(base)));
  }
  return Status::InvalidArgument(
      "unknown sampler \"" + std::string(name) +
      "\": expected always_on, always_off, traceidratio, "
      "parentbased_always_on, parentbased_always_off or "
      "parentbased_traceidratio");
}

Result<std::unique_ptr<Sampler>> SamplerFromEnv() {
  std::string name = env::Lowercase(
      env::Get("OTEL_TRACES_SAMPLER").value_or("parentbased_always_on"));
  const std::string arg = env::Get("OTEL_TRACES_SAMPLER_ARG").value_or("");
  auto sampler = MakeSampler(name, arg);
  if (!sampler.ok()) {
    const bool bad_arg =
        sampler.status().message().rfind("sampler argument", 0) == 0;
    return Status::InvalidArgument(
        std::string(bad_arg ? "OTEL_TRACES_SAMPLER_ARG=\"" + arg + "\""
                            : "OTEL_TRACES_SAMPLER=\"" + name + "\"") +
        ": " + sampler.status().message());
  }
  return sampler;
}

bool ParentBasedSampler::UsesStartAttributes() const noexcept {
  for (const auto* delegate :
       {delegates_.root.get(), delegates_.remote_parent_sampled.get(),
        delegates_.remote_parent_not_sampled.get(),
        delegates_.local_parent_sampled.get(),
        delegates_.local_parent_not_sampled.get()}) {
    if (delegate != nullptr && delegate->UsesStartAttributes()) return true;
  }
  return false;
}

}  // namespace kafkatrace
