#include "kafkatrace/id_generator.h"

#include <pthread.h>
#include <sys/random.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>

namespace kafkatrace {
namespace {

// Bumped in every child after fork(); each thread reseeds when it sees a new
// value, so a forked child never replays its parent's id sequence.
std::atomic<uint64_t> g_fork_generation{1};

void OnForkChild() {
  g_fork_generation.fetch_add(1, std::memory_order_relaxed);
}

[[maybe_unused]] const bool g_atfork_registered = [] {
  pthread_atfork(nullptr, nullptr, &OnForkChild);
  return true;
}();

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

constexpr uint64_t Rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

// xoshiro256++ (Blackman & Vigna): fast, 256-bit state, good statistical
// quality.
struct Xoshiro256 {
  // Zero-initialized, so that the thread_local below is constant-initialized:
  // no guard checked per id.
  uint64_t s[4] = {};
  uint64_t generation = 0;  // 0: never seeded

  // Out of line and cold: the per-id path then needs no stack frame.
  [[gnu::noinline, gnu::cold]] void Seed() {
    uint64_t seed[4] = {};
    ssize_t got = getrandom(seed, sizeof(seed), GRND_NONBLOCK);
    // Fallback when the entropy pool is unavailable: time, pid and addresses
    // differ per thread and process, which is enough for uniqueness if not for
    // secrecy.
    uint64_t mix =
        static_cast<uint64_t>(std::chrono::high_resolution_clock::now()
                                  .time_since_epoch()
                                  .count()) ^
        (static_cast<uint64_t>(getpid()) << 32) ^
        reinterpret_cast<uintptr_t>(this);
    if (got != static_cast<ssize_t>(sizeof(seed))) {
      for (auto& word : seed) word ^= SplitMix64(mix);
    }
    for (int i = 0; i < 4; ++i) s[i] = SplitMix64(seed[i]);
    generation = g_fork_generation.load(std::memory_order_relaxed);
  }

  // Reseeds after fork (or on first use): one check per id, not per word.
  Xoshiro256& Ready() {
    if (generation != g_fork_generation.load(std::memory_order_relaxed))
        [[unlikely]] {
      Seed();
    }
    return *this;
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s[0] + s[3], 23) + s[0];
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = Rotl(s[3], 45);
    return result;
  }
};

// initial-exec: the generator is also linked into the dlopen()ed interceptor
// plugin, where the default TLS model would cost a __tls_get_addr call per id.
__attribute__((tls_model("initial-exec"))) thread_local Xoshiro256 t_rng;

TraceId TraceIdFrom(Xoshiro256& rng) noexcept {
  TraceId id;
  uint64_t hi, lo;
  do {
    hi = rng.Next();
    lo = rng.Next();
  } while ((hi | lo) == 0);
  std::memcpy(id.mutable_data(), &hi, 8);
  std::memcpy(id.mutable_data() + 8, &lo, 8);
  return id;
}

SpanId SpanIdFrom(Xoshiro256& rng) noexcept {
  SpanId id;
  uint64_t v;
  do {
    v = rng.Next();
  } while (v == 0);
  std::memcpy(id.mutable_data(), &v, 8);
  return id;
}

}  // namespace

TraceId RandomIdGenerator::NewTraceId() noexcept {
  return TraceIdFrom(t_rng.Ready());
}

SpanId RandomIdGenerator::NewSpanId() noexcept {
  return SpanIdFrom(t_rng.Ready());
}

void RandomIdGenerator::NewRootIds(TraceId& trace_id,
                                   SpanId& span_id) noexcept {
  Xoshiro256& rng = t_rng.Ready();
  trace_id = TraceIdFrom(rng);
  span_id = SpanIdFrom(rng);
}

}  // namespace kafkatrace
