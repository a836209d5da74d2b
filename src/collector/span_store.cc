#include "collector/span_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <string_view>

#include "kafka/semconv.h"  // the attribute names, header only

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
  void Reset() { sqlite3_reset(stmt_); }  // ends its read

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

// A 32-bit hash of the trace id: stable across processes and versions, since
// keys are stored (FNV-1a folded), and small, since index pages are what an
// index batch writes. Collisions only cost a comparison: every query also
// matches the full trace id.
int64_t TraceKey(std::string_view trace_id) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : trace_id) h = (h ^ c) * 1099511628211ull;
  return static_cast<int32_t>(static_cast<uint32_t>(h ^ (h >> 32)));
}

// TraceKey for SQL (trace_key(text)), so a query can follow a link's trace id
// into trace_index.
void TraceKeyFunction(sqlite3_context* context, int, sqlite3_value** args) {
  const auto* text = sqlite3_value_text(args[0]);
  if (text == nullptr) return sqlite3_result_null(context);
  sqlite3_result_int64(context,
                       TraceKey(std::string_view(
                           reinterpret_cast<const char*>(text),
                           static_cast<size_t>(sqlite3_value_bytes(args[0])))));
}

StoredSpan ReadRow(Statement& row) {
  StoredSpan s;
  s.trace_id = row.ColumnText(0);
  s.span_id = row.ColumnText(1);
  s.parent_span_id = row.ColumnText(2);
  s.trace_state = row.ColumnText(3);
  s.service = row.ColumnText(4);
  s.scope = row.ColumnText(5);
  s.name = row.ColumnText(6);
  s.kind = static_cast<int>(row.ColumnInt(7));
  s.start_unix_nanos = row.ColumnInt(8);
  s.end_unix_nanos = row.ColumnInt(9);
  s.status_code = static_cast<int>(row.ColumnInt(10));
  s.status_message = row.ColumnText(11);
  s.attributes_json = row.ColumnText(12);
  s.events_json = row.ColumnText(13);
  s.links_json = row.ColumnText(14);
  s.topic = row.ColumnText(15);
  return s;
}

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
  sqlite3_create_function_v2(db, "trace_key", 1,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                             &TraceKeyFunction, nullptr, nullptr, nullptr);
  std::unique_ptr<SpanStore> store(new SpanStore(db));
  if (Status status = store->Initialize(); !status.ok()) {
    return Status::InvalidArgument("cannot initialize span database " + path +
                                   ": " + status.message());
  }
  return store;
}

// Schema version 2. Ingest only appends to `spans` (rowid order, plus the
// nearly sequential start_ns index): an index keyed by the random trace id,
// updated per request, made SQLite write about one 4 KiB page per span and
// capped ingest at ~75 k spans/s. Instead `trace_index` maps trace ids to span
// rows and is built in sorted batches by CatchUpIndex(); spans appended since
// (`indexed_through` in `meta`) are found by scanning that bounded tail.
Status SpanStore::Initialize() {
  for (const char* sql :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
        "PRAGMA busy_timeout=5000",
        "PRAGMA cache_size=-65536",         // 64 MiB of page cache
        "PRAGMA wal_autocheckpoint=10000",  // fewer, larger checkpoints
        "BEGIN IMMEDIATE"}) {
    if (Status s = Exec(sql); !s.ok()) return s;
  }
  Statement version(db_, "PRAGMA user_version");
  int64_t schema =
      sqlite3_step(version.get()) == SQLITE_ROW ? version.ColumnInt(0) : 0;
  Statement legacy(db_,
                   "SELECT 1 FROM sqlite_master WHERE name = 'spans' AND "
                   "sql NOT LIKE '%trace_key%'");
  const bool migrate = schema < 2 && sqlite3_step(legacy.get()) == SQLITE_ROW;
  version.Reset();  // DROP TABLE below needs no statement pending
  legacy.Reset();
  std::string script;
  if (migrate) script += "ALTER TABLE spans RENAME TO spans_v1;";
  script += std::string(
      "CREATE TABLE IF NOT EXISTS spans ("
      " id INTEGER PRIMARY KEY, trace_key INTEGER NOT NULL,"
      " trace_id TEXT NOT NULL, span_id TEXT NOT NULL,"
      " parent_span_id TEXT NOT NULL, trace_state TEXT NOT NULL,"
      " service TEXT NOT NULL, scope TEXT NOT NULL,"
      " name TEXT NOT NULL, kind INTEGER NOT NULL,"
      " start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,"
      " status_code INTEGER NOT NULL, status_message TEXT NOT NULL,"
      " attributes TEXT NOT NULL, events TEXT NOT NULL,"
      " links TEXT NOT NULL, topic TEXT NOT NULL);"
      "CREATE INDEX IF NOT EXISTS spans_start ON spans(start_ns);"
      "CREATE TABLE IF NOT EXISTS trace_index ("
      " trace_key INTEGER NOT NULL, span INTEGER NOT NULL,"
      " PRIMARY KEY (trace_key, span)) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS services ("
      " name TEXT PRIMARY KEY) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS meta ("
      " key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
      "INSERT OR IGNORE INTO meta VALUES ('indexed_through', 0);"
      "PRAGMA user_version = 2;");
  if (Status s = Exec(script.c_str()); !s.ok()) return Rollback(s);
  if (migrate) {
    // Version 1 kept (trace_id, span_id) as the primary key: copy the rows,
    // computing each trace key, then index them like fresh spans.
    Statement rows(db_, (std::string("SELECT ") + kColumns +
                         " FROM spans_v1 ORDER BY rowid")
                            .c_str());
    std::vector<StoredSpan> old;
    while (sqlite3_step(rows.get()) == SQLITE_ROW) old.push_back(ReadRow(rows));
    rows.Reset();
    if (Status s = Append(old); !s.ok()) return Rollback(s);
    if (Status s = Exec("DROP TABLE spans_v1"); !s.ok()) return Rollback(s);
  }
  if (Status s = Exec("COMMIT"); !s.ok()) return s;
  std::lock_guard lock(mutex_);
  return CatchUpIndexLocked();
}

SpanStore::~SpanStore() { sqlite3_close(db_); }

Status SpanStore::Rollback(Status error) {
  (void)Exec("ROLLBACK");
  return error;
}

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
  if (Status s = Append(spans); !s.ok()) return Rollback(s);
  if (Status s = Exec("COMMIT"); !s.ok()) return Rollback(s);
  // The spans are durable now; indexing them is the store's own business and
  // is retried on the next call if it fails.
  unindexed_ += static_cast<int64_t>(spans.size());
  if (unindexed_ >= kIndexBatch) (void)CatchUpIndexLocked();
  return Status::Ok();
}

Status SpanStore::Append(const std::vector<StoredSpan>& spans) {
  Statement insert(
      db_, (std::string("INSERT INTO spans (trace_key, ") + kColumns +
            ") VALUES "
            "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)")
               .c_str());
  if (!insert.ok()) return SqlError(db_, "prepare insert");
  for (const auto& s : spans) {
    sqlite3_reset(insert.get());
    insert.Int(1, TraceKey(s.trace_id));
    insert.Text(2, s.trace_id);
    insert.Text(3, s.span_id);
    insert.Text(4, s.parent_span_id);
    insert.Text(5, s.trace_state);
    insert.Text(6, s.service);
    insert.Text(7, s.scope);
    insert.Text(8, s.name);
    insert.Int(9, s.kind);
    insert.Int(10, s.start_unix_nanos);
    insert.Int(11, s.end_unix_nanos);
    insert.Int(12, s.status_code);
    insert.Text(13, s.status_message);
    insert.Text(14, s.attributes_json);
    insert.Text(15, s.events_json);
    insert.Text(16, s.links_json);
    insert.Text(17, s.topic);
    if (sqlite3_step(insert.get()) != SQLITE_DONE)
      return SqlError(db_, "insert span");
  }
  return Status::Ok();
}

Status SpanStore::CatchUpIndex() {
  std::lock_guard lock(mutex_);
  return CatchUpIndexLocked();
}

Status SpanStore::CatchUpIndexLocked() {
  Statement tail(db_,
                 "SELECT (SELECT COALESCE(MAX(id), 0) FROM spans) >"
                 " (SELECT value FROM meta WHERE key = 'indexed_through')");
  if (!tail.ok() || sqlite3_step(tail.get()) != SQLITE_ROW)
    return SqlError(db_, "index spans");
  if (tail.ColumnInt(0) == 0) {
    unindexed_ = 0;
    return Status::Ok();
  }
  tail.Reset();
  // Sorted by key, the batch touches each index page once.
  for (const char* sql :
       {"BEGIN IMMEDIATE",
        "INSERT INTO trace_index (trace_key, span) SELECT trace_key, id FROM"
        " spans WHERE id > (SELECT value FROM meta WHERE key ="
        " 'indexed_through') ORDER BY trace_key, id",
        "INSERT OR IGNORE INTO services SELECT DISTINCT service FROM spans"
        " WHERE id > (SELECT value FROM meta WHERE key = 'indexed_through')",
        "UPDATE meta SET value = (SELECT COALESCE(MAX(id), 0) FROM spans)"
        " WHERE key = 'indexed_through'",
        "COMMIT"}) {
    if (!Exec(sql).ok()) return Rollback(SqlError(db_, "index spans"));
  }
  unindexed_ = 0;
  return Status::Ok();
}

// Row ids of the spans of trace ?1 (whose key is ?2): indexed ones plus the
// not yet indexed tail. Read-only, so `kafkatrace trace` can run it while the
// viewer writes.
constexpr const char* kTraceRows =
    "SELECT span FROM trace_index WHERE trace_key = ?2 UNION ALL SELECT id"
    " FROM spans WHERE id > (SELECT value FROM meta WHERE key ="
    " 'indexed_through') AND trace_key = ?2";

Result<std::vector<StoredSpan>> SpanStore::GetTrace(
    const std::string& trace_id) {
  std::lock_guard lock(mutex_);
  // A span exported twice (a retry after a lost acknowledgement) is stored
  // twice; max(id) picks the newest copy's columns.
  Statement select(db_, (std::string("SELECT ") + kColumns +
                         ", MAX(id) FROM spans WHERE id IN (" + kTraceRows +
                         ") AND trace_id = ?1 GROUP BY span_id"
                         " ORDER BY start_ns, span_id")
                            .c_str());
  if (!select.ok()) return SqlError(db_, "prepare select");
  select.Text(1, trace_id);
  select.Int(2, TraceKey(trace_id));
  std::vector<StoredSpan> spans;
  while (sqlite3_step(select.get()) == SQLITE_ROW)
    spans.push_back(ReadRow(select));
  return spans;
}

Result<std::vector<TraceSummary>> SpanStore::Search(const TraceQuery& q) {
  std::lock_guard lock(mutex_);
  if (Status s = CatchUpIndexLocked(); !s.ok()) return s;
  Statement select(
      db_,
      "WITH hits AS (SELECT DISTINCT trace_key, trace_id FROM spans"
      "  WHERE (?1 = '' OR service = ?1) AND (?2 = '' OR name = ?2)"
      "  AND (?3 = '' OR topic = ?3) AND start_ns >= ?4 AND start_ns <= ?5"
      // A settle span (CLIENT) says so in its attributes, stored compact.
      "  AND NOT (?8 AND kind = 3 AND attributes LIKE ?9))"
      " SELECT s.trace_id, MIN(s.start_ns), MAX(s.end_ns) - MIN(s.start_ns),"
      " COUNT(DISTINCT s.span_id), SUM(s.status_code = 2)"
      " FROM hits h JOIN trace_index t ON t.trace_key = h.trace_key"
      " JOIN spans s ON s.id = t.span AND s.trace_id = h.trace_id"
      " GROUP BY s.trace_id HAVING MAX(s.end_ns) - MIN(s.start_ns) >= ?6"
      " ORDER BY MIN(s.start_ns) DESC LIMIT ?7");
  if (!select.ok()) return SqlError(db_, "prepare search");
  select.Text(1, q.service);
  select.Text(2, q.name);
  select.Text(3, q.topic);
  select.Int(4, q.start_ns);
  select.Int(5, q.end_ns);
  select.Int(6, q.min_duration_ns);
  select.Int(7, q.limit);
  select.Int(8, q.hide_commit_only ? 1 : 0);
  static const std::string kSettlePattern =
      std::string("%\"") + kafka::semconv::kOperationType + "\":\"settle\"%";
  select.Text(9, kSettlePattern);
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
  Statement root(db_, (std::string("SELECT name, service FROM spans WHERE"
                                   " id IN (") +
                       kTraceRows +
                       ") AND trace_id = ?1"
                       " ORDER BY (parent_span_id = '') DESC, start_ns LIMIT 1")
                          .c_str());
  for (auto& t : traces) {
    sqlite3_reset(root.get());
    root.Text(1, t.trace_id);
    root.Int(2, TraceKey(t.trace_id));
    if (sqlite3_step(root.get()) == SQLITE_ROW) {
      t.root_name = root.ColumnText(0);
      t.root_service = root.ColumnText(1);
    }
  }
  return traces;
}

Result<std::vector<std::string>> SpanStore::Services() {
  std::lock_guard lock(mutex_);
  if (Status s = CatchUpIndexLocked(); !s.ok()) return s;
  Statement select(db_, "SELECT name FROM services ORDER BY name");
  if (!select.ok()) return SqlError(db_, "prepare services");
  std::vector<std::string> services;
  while (sqlite3_step(select.get()) == SQLITE_ROW)
    services.push_back(select.ColumnText(0));
  return services;
}

Result<std::vector<TopicLatency>> SpanStore::TopicLatencies(int64_t since_ns) {
  std::lock_guard lock(mutex_);
  if (Status s = CatchUpIndexLocked(); !s.ok()) return s;
  Statement select(
      db_,
      // Hops as FindKafkaHops sees them: a process span whose parent is the
      // send span, else one that links to it (the link policies).
      "WITH parented AS (SELECT c.id, c.topic, c.attributes,"
      " c.start_ns - p.start_ns AS latency"
      " FROM spans c JOIN trace_index t ON t.trace_key = c.trace_key"
      " JOIN spans p ON p.id = t.span AND p.trace_id = c.trace_id"
      " AND p.span_id = c.parent_span_id"
      " WHERE c.kind = 5 AND p.kind = 4 AND c.start_ns >= ?1),"
      // Of several links to send spans, the first counts, as there; SQLite
      // takes the bare columns from the row MIN(l.key) picks.
      " linked AS (SELECT id, topic, attributes, latency FROM"
      " (SELECT c.id, c.topic, c.attributes,"
      " c.start_ns - p.start_ns AS latency, MIN(l.key)"
      " FROM spans c JOIN json_each(CASE WHEN json_valid(c.links)"
      " THEN c.links ELSE '[]' END) l"
      " JOIN trace_index t"
      " ON t.trace_key = trace_key(json_extract(l.value, '$.trace_id'))"
      " JOIN spans p ON p.id = t.span"
      " AND p.trace_id = json_extract(l.value, '$.trace_id')"
      " AND p.span_id = json_extract(l.value, '$.span_id')"
      " WHERE c.kind = 5 AND p.kind = 4 AND c.start_ns >= ?1"
      " AND c.links != '[]' AND c.id NOT IN (SELECT id FROM parented)"
      " GROUP BY c.id))"
      " SELECT topic, COALESCE(json_extract(attributes, ?2), ''), latency"
      " FROM (SELECT * FROM parented UNION ALL SELECT * FROM linked)"
      " ORDER BY 1, 2, 3");
  if (!select.ok()) return SqlError(db_, "prepare topic latencies");
  select.Int(1, since_ns);
  static const std::string kGroupPath =
      std::string("$.\"") + kafka::semconv::kConsumerGroup + "\"";
  select.Text(2, kGroupPath);
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
  if (Status s = CatchUpIndexLocked(); !s.ok()) return s;
  // Both passes collect the doomed row ids first, so the trace index loses
  // exactly the rows the table loses.
  Status status = Exec(
      "BEGIN IMMEDIATE; CREATE TEMP TABLE IF NOT EXISTS doomed ("
      " id INTEGER PRIMARY KEY, trace_key INTEGER); DELETE FROM doomed");
  if (!status.ok()) return Rollback(status);
  Statement by_age(db_,
                   "INSERT INTO doomed SELECT id, trace_key FROM spans"
                   " WHERE start_ns < ?1");
  Statement by_size(
      db_,
      "INSERT OR IGNORE INTO doomed SELECT id, trace_key FROM spans"
      " ORDER BY start_ns DESC LIMIT -1 OFFSET ?1");
  by_age.Int(1, oldest_start_ns);
  by_size.Int(1, max_spans);
  if (sqlite3_step(by_age.get()) != SQLITE_DONE ||
      sqlite3_step(by_size.get()) != SQLITE_DONE) {
    return Rollback(SqlError(db_, "retention"));
  }
  status = Exec(
      "DELETE FROM trace_index WHERE (trace_key, span) IN"
      " (SELECT trace_key, id FROM doomed);"
      "DELETE FROM spans WHERE id IN (SELECT id FROM doomed);"
      "DELETE FROM services WHERE NOT EXISTS (SELECT 1 FROM spans"
      " WHERE spans.service = services.name);"
      "COMMIT");
  return status.ok() ? status : Rollback(status);
}

Result<int64_t> SpanStore::CountSpans() {
  std::lock_guard lock(mutex_);
  Statement count(db_, "SELECT COUNT(*) FROM spans");
  if (!count.ok() || sqlite3_step(count.get()) != SQLITE_ROW)
    return SqlError(db_, "count");
  return count.ColumnInt(0);
}

}  // namespace kafkatrace::collector
