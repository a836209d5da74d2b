#include "kafka/interned_names.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_set>

#include "common/text.h"

namespace kafkatrace::kafka::detail {
namespace {

struct Pool {
  std::mutex mutex;
  std::unordered_set<std::string> names;  // guarded; nodes never move
  size_t bytes = 0;                       // guarded
};

Pool& ThePool() {
  // Never destroyed: batch workers may read names until the process exits.
  static Pool* pool = new Pool();
  return *pool;
}

const char* InternShared(std::string_view name) noexcept {
  Pool& pool = ThePool();
  try {
    std::lock_guard lock(pool.mutex);
    if (auto it = pool.names.find(std::string(name)); it != pool.names.end())
      return it->c_str();
    if (pool.names.size() >= InternedNames::kMaxNames ||
        pool.bytes + name.size() > InternedNames::kMaxBytes) {
      return nullptr;
    }
    pool.bytes += name.size();
    return pool.names.emplace(name).first->c_str();
  } catch (...) {  // out of memory
    return nullptr;
  }
}

// This thread's latest names: a producer's topic, client id, cluster id and
// broker hosts, looked up once per record each.
struct RecentNames {
  static constexpr size_t kSize = 8;
  std::array<const char*, kSize> names{};
  std::array<size_t, kSize> sizes{};
  size_t next = 0;        // the entry replaced next
  size_t last_found = 0;  // the entry found or added last

  // Interned copies this thread has seen, by address: most names a client
  // passes per record (group, client id, cluster id, broker host) are views
  // of one, recognized here in a few instructions instead of a scan. Pool
  // copies are never freed, so an address cannot come to mean another name.
  static constexpr size_t kCopySlots = 16;
  std::array<const char*, kCopySlots> copies{};
  std::array<size_t, kCopySlots> copy_sizes{};
  static size_t SlotOf(const char* p) noexcept {
    // Copies live in separately allocated (16-byte aligned) nodes.
    return (reinterpret_cast<uintptr_t>(p) >> 4) % kCopySlots;
  }
  void RememberCopy(const char* copy, size_t size) noexcept {
    copies[SlotOf(copy)] = copy;
    copy_sizes[SlotOf(copy)] = size;
  }
};
thread_local RecentNames t_recent;

// Intern past the address check: kept out of line so that the check alone
// saves no registers.
[[gnu::noinline]] const char* InternByContent(RecentNames& recent,
                                              std::string_view name) noexcept {
  // From the last name found: a producer's records mostly repeat its topic.
  for (size_t k = 0; k < RecentNames::kSize; ++k) {
    const size_t i = (recent.last_found + k) % RecentNames::kSize;
    if (recent.sizes[i] == name.size() && recent.names[i] != nullptr &&
        (recent.names[i] == name.data() ||
         text::EqualBytes(recent.names[i], name.data(), name.size()))) {
      if (recent.names[i] == name.data())
        recent.RememberCopy(name.data(), name.size());
      recent.last_found = i;
      return recent.names[i];
    }
  }
  if (name.find('\0') != std::string_view::npos) return nullptr;
  const char* interned = InternShared(name);
  if (interned != nullptr) {
    recent.names[recent.next] = interned;
    recent.sizes[recent.next] = name.size();
    recent.last_found = recent.next;
    recent.next = (recent.next + 1) % RecentNames::kSize;
    if (interned == name.data()) recent.RememberCopy(interned, name.size());
  }
  return interned;
}

}  // namespace

const char* InternedNames::Intern(std::string_view name) noexcept {
  RecentNames& recent = t_recent;
  if (const size_t slot = RecentNames::SlotOf(name.data());
      recent.copies[slot] == name.data() &&
      recent.copy_sizes[slot] == name.size() && !name.empty()) {
    return name.data();
  }
  return InternByContent(recent, name);
}

std::string_view InternedNames::InternOrKeep(std::string_view name) noexcept {
  if (name.empty()) return name;
  const char* interned = Intern(name);
  return interned != nullptr ? std::string_view(interned, name.size()) : name;
}

}  // namespace kafkatrace::kafka::detail
