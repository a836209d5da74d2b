// SpanStore: spans kept in SQLite (WAL), for `kafkatrace view` and `kafkatrace
// trace`. A span whose Insert returned OK survives a crash of the process (each
// insert is one committed transaction). Inserts only append; the trace-id
// index is built in batches (see span_store.cc), so a span exported twice is
// stored twice and reads return one copy. All SQL goes through prepared
// statements. Thread-safety: every method may be called from any thread (one
// connection, one mutex); several processes may open the same file.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collector/stored_span.h"
#include "kafkatrace/status.h"

struct sqlite3;

namespace kafkatrace::collector {

struct TraceQuery {
  std::string service;  // any span of the trace from this service ("" = any)
  std::string name;     // any span with this name
  std::string topic;    // any span on this Kafka topic
  int64_t min_duration_ns = 0;  // whole-trace duration at least this
  int64_t start_ns = 0;  // traces with a span starting in [start_ns, end_ns]
  int64_t end_ns = INT64_MAX;
  int limit = 50;
  // Leave out traces made only of settle spans (a consumer's automatic
  // commits, each a trace of its own, every few seconds per consumer).
  bool hide_commit_only = false;
};

struct TraceSummary {
  std::string trace_id;
  std::string root_name;
  std::string root_service;
  int64_t start_unix_nanos = 0;
  int64_t duration_nanos = 0;
  int64_t span_count = 0;
  int64_t error_count = 0;
};

// Produce-to-consume latency (process start minus send start) of one topic and
// group.
struct TopicLatency {
  std::string topic;
  std::string consumer_group;
  int64_t hops = 0;
  int64_t p50_nanos = 0;
  int64_t p95_nanos = 0;
  int64_t p99_nanos = 0;
};

class SpanStore {
 public:
  // Opens or creates the database; errors name the file and the reason.
  static Result<std::unique_ptr<SpanStore>> Open(const std::string& path);
  ~SpanStore();

  Status Insert(const std::vector<StoredSpan>& spans);
  Result<std::vector<StoredSpan>> GetTrace(const std::string& trace_id);
  Result<std::vector<TraceSummary>> Search(const TraceQuery& query);
  Result<std::vector<std::string>> Services();
  // Over hops (CONSUMER span whose parent is a PRODUCER span) that started
  // after `since_ns`.
  Result<std::vector<TopicLatency>> TopicLatencies(int64_t since_ns);
  // Deletes spans that started before `oldest_start_ns`, then the oldest beyond
  // `max_spans`.
  Status Retain(int64_t oldest_start_ns, int64_t max_spans);
  // Stored copies, duplicates included.
  Result<int64_t> CountSpans();
  // Indexes every appended span now. Insert does it every kIndexBatch spans and
  // the queries that need it do it first; the viewer also calls it when idle.
  Status CatchUpIndex();

  static constexpr int64_t kIndexBatch = 32768;

 private:
  explicit SpanStore(sqlite3* db) : db_(db) {}
  Status Initialize();
  Status Exec(const char* sql);
  Status Rollback(Status error);  // ends the open transaction; returns error
  Status Append(const std::vector<StoredSpan>& spans);  // inside a transaction
  Status CatchUpIndexLocked();
  std::mutex mutex_;
  sqlite3* db_;            // owned; guarded by mutex_
  int64_t unindexed_ = 0;  // appended by this process since indexing
};

}  // namespace kafkatrace::collector
