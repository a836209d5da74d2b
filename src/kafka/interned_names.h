// InternedNames: the names Kafka spans repeat on every record (topics, client
// ids, cluster ids, broker hosts), copied once and kept for the life of the
// process, so a span can refer to them by pointer after the client that named
// them is gone (send spans whose attributes are written on the batch
// processor's worker, see SpanData's DeferredAttributes).
//
// Bounded: past kMaxNames names or kMaxBytes characters, Intern returns null
// and callers fall back to copying the name into the span. Kafka clusters have
// few such names; an application that creates topics without end reaches the
// bound and only loses the deferral.
//
// Threading: Intern on any thread. Each thread remembers its last few names,
// so the per-record lookup is a few comparisons; only a name new to the
// thread takes the process-wide lock. Ownership: the returned characters are
// NUL-terminated and never freed.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace kafkatrace::kafka::detail {

class InternedNames {
 public:
  static constexpr size_t kMaxNames = 4096;
  static constexpr size_t kMaxBytes = 1 << 20;

  // The interned copy of `name`; null when the bound is reached, or when
  // `name` contains a NUL (it could not be read back whole). A `name` that
  // already points into the pool is recognized by its address alone.
  static const char* Intern(std::string_view name) noexcept;
  // For a name a client keeps for its whole life (client id, group id): the
  // interned copy, or `name` itself when it cannot be interned. Views of the
  // copy make each record's Intern an address comparison.
  static std::string_view InternOrKeep(std::string_view name) noexcept;
};

// The interned copies of names a client passes with every record (group,
// client id, cluster id, broker host), for one call site on one thread (keep
// it thread_local): when the views are the very ones of the last call
// (address and size) and were interned copies then, they still are (copies
// are never freed), so N comparisons replace N lookups.
template <size_t N>
class RepeatedNames {
 public:
  // Each name's copy into `out` (null for an empty name); false when one
  // cannot be interned (see InternedNames::Intern).
  bool Intern(const std::array<std::string_view, N>& names,
              std::array<const char*, N>& out) noexcept {
    if (SameViewsAsLast(names)) {
      out = last_copies_;
      return true;
    }
    bool all_copies = true;  // every view is an interned copy itself
    for (size_t i = 0; i < N; ++i) {
      if (names[i].empty()) {
        out[i] = nullptr;
        continue;
      }
      out[i] = InternedNames::Intern(names[i]);
      if (out[i] == nullptr) return false;
      all_copies = all_copies && out[i] == names[i].data();
    }
    if (all_copies) {
      last_views_ = names;
      last_copies_ = out;
      remembered_ = true;
    }
    return true;
  }

 private:
  bool SameViewsAsLast(const std::array<std::string_view, N>& names) const {
    if (!remembered_) return false;
    for (size_t i = 0; i < N; ++i) {
      if (names[i].data() != last_views_[i].data() ||
          names[i].size() != last_views_[i].size()) {
        return false;
      }
    }
    return true;
  }

  std::array<std::string_view, N> last_views_{};
  std::array<const char*, N> last_copies_{};
  bool remembered_ = false;
};

}  // namespace kafkatrace::kafka::detail
