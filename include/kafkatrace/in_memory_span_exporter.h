// InMemorySpanExporter: keeps exported spans in an InMemorySpanStore, for
// tests. The store is shared so a test can keep reading it after the exporter
// moved into a processor. Thread-safety: the store is internally synchronized.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "kafkatrace/span_exporter.h"

namespace kafkatrace {

class InMemorySpanStore {
 public:
  void Add(std::unique_ptr<SpanData> span);
  // Copies of all spans stored so far, in export order.
  std::vector<SpanData> Spans() const;
  size_t size() const;
  void Clear();

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<SpanData>> spans_;  // guarded by mutex_
};

class InMemorySpanExporter final : public SpanExporter {
 public:
  explicit InMemorySpanExporter(std::shared_ptr<InMemorySpanStore> store)
      : store_(std::move(store)) {}
  ExportResult Export(std::span<std::unique_ptr<SpanData>> batch,
                      Deadline deadline) noexcept override;

 private:
  std::shared_ptr<InMemorySpanStore> store_;
};

}  // namespace kafkatrace
