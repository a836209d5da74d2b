#include "collector/span_store.h"

#include <sqlite3.h>

#include <algorithm>

namespace kafkatrace::collector {
namespace {

// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }
  // SQLITE_STATIC: every bound string outlives the statement step that reads
  // it.
  void Text(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()),
                      SQLITE_STATIC);
  }
  void Int(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  std::string ColumnText(int i) {
    const unsigned char* t = sqlite3_column_text(stmt_, i);
    return t ? std::string(reinterpret_cast<const char*>(t),
                           sqlite3_column_bytes(stmt_, i))
             : std::string();
  }
  int64_t ColumnInt(int i) { return sqlite3_column_int64(stmt_, i); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

Status SqlError(sqlite3* db, const std::string& what) {
  return Status::Internal(what + ": " + sqlite3_errmsg(db));
}

constexpr const char* kColumns =
    "trace_id, span_id, parent_span_id, trace_state, service, scope, name, "
    "kind, start_ns, "
    "end_ns, status_code, status_message, attributes, events, links, topic";

}  // namespace

Result<std::unique_ptr<SpanStore>> SpanStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  // NOMUTEX: SpanStore serializes access itself.
  if (sqlite3_open_v2(
          path.c_str(), &db,
          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
          nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::InvalidArgument("cannot open span database " + path + ": " +
                                   message);
  }
  std::unique_ptr<SpanStore> store(new SpanStore(db));
  // WAL + synchronous=NORMAL: a committed insert survives a process crash.
  for (const char* sql :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
        "PRAGMA busy_timeout=5000",
        "PRAGMA cache_size=-65536",         // 64 MiB of page cache
        "PRAGMA wal_autocheckpoint=10000",  // fewer, larger checkpoints
        "CREATE TABLE IF NOT EXISTS spans ("
        " trace_id TEXT NOT NULL, span_id TEXT NOT NULL,"
        " parent_span_id TEXT NOT NULL, trace_state TEXT NOT NULL,"
        " service TEXT NOT NULL, scope TEXT NOT NULL, name TEXT NOT NULL,"
        " kind INTEGER NOT NULL, start_ns INTEGER NOT NULL,"
        " end_ns INTEGER NOT NULL, status_code INTEGER NOT NULL,"
        " status_message TEXT NOT NULL, attributes TEXT NOT NULL,"
        " events TEXT NOT NULL, links TEXT NOT NULL, topic TEXT NOT NULL,"
        " PRIMARY KEY (trace_id, span_id))",
        "CREATE INDEX IF NOT EXISTS spans_start ON spans(start_ns)",
        "CREATE INDEX IF NOT EXISTS spans_service ON spans(service)",
        "CREATE INDEX IF NOT EXISTS spans_topic ON spans(topic)"}) {
    Status status = store->Exec(sql);
    if (!status.ok()) {
      return Status::InvalidArgument("cannot initialize span database " + path +
                                     ": " + status.message());
    }
  }
  return store;
}

SpanStore::~SpanStore() { sqlite3_close(db_); }

Status SpanStore::Exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    return Status::Internal(message);
  }
  return Status::Ok();
}

Status SpanStore::Insert(const std::vector<StoredSpan>& spans) {
  std::lock_guard lock(mutex_);
  if (Status s = Exec("BEGIN"); !s.ok()) return s;
  Statement insert(
      db_, (std::string("INSERT OR REPLACE INTO spans (") + kColumns +
            ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)")
               .c_str());
  if (!insert.ok()) {
    (void)Exec("ROLLBACK");
    return SqlError(db_, "prepare insert");
  }
  for (const auto& s : spans) {
    sqlite3_reset(insert.get());
    insert.Text(1, s.trace_id);
    insert.Text(2, s.span_id);
    insert.Text(3, s.parent_span_id);
    insert.Text(4, s.trace_state);
    insert.Text(5, s.service);
    insert.Text(6, s.scope);
    insert.Text(7, s.name);
    insert.Int(8, s.kind);
    insert.Int(9, s.start_unix_nanos);
    insert.Int(10, s.end_unix_nanos);
    insert.Int(11, s.status_code);
    insert.Text(12, s.status_message);
    insert.Text(13, s.attributes_json);
    insert.Text(14, s.events_json);
    insert.Text(15, s.links_json);
    insert.Text(16, s.topic);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) {
      Status error = SqlError(db_, "insert span");
      (void)Exec("ROLLBACK");
      return error;
    }
  }
  return Exec("COMMIT");
}

Result<std::vector<StoredSpan>> SpanStore::GetTrace(
    const std::string& trace_id) {
  std::lock_guard lock(mutex_);
  Statement select(
      db_, (std::string("SELECT ") + kColumns +
            " FROM spans WHERE trace_id = ?1 ORDER BY start_ns, span_id")
               .c_str());
  if (!select.ok()) return SqlError(db_, "prepare select");
  select.Text(1, trace_id);
  std::vector<StoredSpan> spans;
  while (sqlite3_step(select.get()) == SQLITE_ROW) {
    StoredSpan s;
    s.trace_id = select.ColumnText(0);
    s.span_id = select.ColumnText(1);
    s.parent_span_id = select.ColumnText(2);
    s.trace_state = select.ColumnText(3);
    s.service = select.ColumnText(4);
    s.scope = select.ColumnText(5);
    s.name = select.ColumnText(6);
    s.kind = static_cast<int>(select.ColumnInt(7));
    s.start_unix_nanos = select.ColumnInt(8);
    s.end_unix_nanos = select.ColumnInt(9);
    s.status_code = static_cast<int>(select.ColumnInt(10));
    s.status_message = select.ColumnText(11);
    s.attributes_json = select.ColumnText(12);
    s.events_json = select.ColumnText(13);
    s.links_json = select.ColumnText(14);
    s.topic = select.ColumnText(15);
    spans.push_back(std::move(s));
  }
  return spans;
}

Result<std::vector<TraceSummary>> SpanStore::Search(const TraceQuery& q) {
  std::lock_guard lock(mutex_);
  Statement select(
      db_,
      "SELECT trace_id, MIN(start_ns), MAX(end_ns) - MIN(start_ns), COUNT(*),"
      " SUM(status_code = 2) FROM spans WHERE trace_id IN ("
      "  SELECT DISTINCT trace_id FROM spans WHERE (?1 = '' OR service = ?1)"
      "  AND (?2 = '' OR name = ?2) AND (?3 = '' OR topic = ?3)"
      "  AND start_ns >= ?4 AND start_ns <= ?5)"
      " GROUP BY trace_id HAVING MAX(end_ns) - MIN(start_ns) >= ?6"
      " ORDER BY MIN(start_ns) DESC LIMIT ?7");
  if (!select.ok()) return SqlError(db_, "prepare search");
  select.Text(1, q.service);
  select.Text(2, q.name);
  select.Text(3, q.topic);
  select.Int(4, q.start_ns);
  select.Int(5, q.end_ns);
  select.Int(6, q.min_duration_ns);
  select.Int(7, q.limit);
  std::vector<TraceSummary> traces;
  while (sqlite3_step(select.get()) == SQLITE_ROW) {
    TraceSummary t;
    t.trace_id = select.ColumnText(0);
    t.start_unix_nanos = select.ColumnInt(1);
    t.duration_nanos = select.ColumnInt(2);
    t.span_count = select.ColumnInt(3);
    t.error_count = select.ColumnInt(4);
    traces.push_back(std::move(t));
  }
  Statement root(db_,
                 "SELECT name, service FROM spans WHERE trace_id = ?1"
                 " ORDER BY (parent_span_id = '') DESC, start_ns LIMIT 1");
  for (auto& t : traces) {
    sqlite3_reset(root.get());
    root.Text(1, t.trace_id);
    if (sqlite3_step(root.get()) == SQLITE_ROW) {
      t.root_name = root.ColumnText(0);
      t.root_service = root.ColumnText(1);
    }
  }
  return traces;
}

Result<std::vector<std::string>> SpanStore::Services() {
  std::lock_guard lock(mutex_);
  Statement select(db_, "SELECT DISTINCT service FROM spans ORDER BY service");
  if (!select.ok()) return SqlError(db_, "prepare services");
  std::vector<std::string> services;
  while (sqlite3_step(select.get()) == SQLITE_ROW)
    services.push_back(select.ColumnText(0));
  return services;
}

Result<std::vector<TopicLatency>> SpanStore::TopicLatencies(int64_t since_ns) {
  std::lock_guard lock(mutex_);
  Statement select(
      db_,
      "SELECT c.topic, COALESCE(json_extract(c.attributes,"
      " '$.\"messaging.consumer.group.name\"'), ''), c.start_ns - p.start_ns"
      " FROM spans c JOIN spans p ON p.trace_id = c.trace_id"
      " AND p.span_id = c.parent_span_id"
      " WHERE c.kind = 5 AND p.kind = 4 AND c.start_ns >= ?1"
      " ORDER BY 1, 2, 3");
  if (!select.ok()) return SqlError(db_, "prepare topic latencies");
  select.Int(1, since_ns);
  std::vector<TopicLatency> out;
  std::vector<int64_t> samples;
  auto flush = [&] {
    if (samples.empty()) return;
    auto at = [&](double q) {
      size_t i = static_cast<size_t>(
          q * static_cast<double>(samples.size() - 1) + 0.5);
      return samples[std::min(i, samples.size() - 1)];
    };
    out.back().hops = static_cast<int64_t>(samples.size());
    out.back().p50_nanos = at(0.50);
    out.back().p95_nanos = at(0.95);
    out.back().p99_nanos = at(0.99);
    samples.clear();
  };
  while (sqlite3_step(select.get()) == SQLITE_ROW) {
    std::string topic = select.ColumnText(0), group = select.ColumnText(1);
    if (out.empty() || out.back().topic != topic ||
        out.back().consumer_group != group) {
      flush();
      out.push_back({topic, group});
    }
    samples.push_back(select.ColumnInt(2));  // rows arrive sorted by latency
  }
  flush();
  return out;
}

Status SpanStore::Retain(int64_t oldest_start_ns, int64_t max_spans) {
  std::lock_guard lock(mutex_);
  Statement by_age(db_, "DELETE FROM spans WHERE start_ns < ?1");
  by_age.Int(1, oldest_start_ns);
  if (sqlite3_step(by_age.get()) != SQLITE_DONE)
    return SqlError(db_, "retention by age");
  Statement by_size(db_,
                    "DELETE FROM spans WHERE rowid IN (SELECT rowid FROM spans"
                    " ORDER BY start_ns DESC LIMIT -1 OFFSET ?1)");
  by_size.Int(1, max_spans);
  if (sqlite3_step(by_size.get()) != SQLITE_DONE)
    return SqlError(db_, "retention by size");
  return Status::Ok();
}

Result<int64_t> SpanStore::CountSpans() {
  std::lock_guard lock(mutex_);
  Statement count(db_, "SELECT COUNT(*) FROM spans");
  if (!count.ok() || sqlite3_step(count.get()) != SQLITE_ROW)
    return SqlError(db_, "count");
  return count.ColumnInt(0);
}

}  // namespace kafkatrace::collector
