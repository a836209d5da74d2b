#include "kafkatrace/metrics/periodic_metric_reader.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace kafkatrace {

struct PeriodicMetricReader::Impl {
  MessagingMetrics& metrics;
  const Resource resource;
  const std::unique_ptr<MetricExporter> exporter;
  const PeriodicMetricReaderOptions options;

  std::mutex mutex;  // guards the flags below
  std::condition_variable wake;
  bool stopping = false;
  bool shut_down = false;
  std::mutex export_mutex;  // one export at a time (MetricExporter contract)
  std::thread worker;

  Impl(MessagingMetrics& m, Resource r, std::unique_ptr<MetricExporter> e,
       PeriodicMetricReaderOptions o)
      : metrics(m),
        resource(std::move(r)),
        exporter(std::move(e)),
        options(o) {}

  Deadline TimeoutFromNow() const {
    return std::chrono::steady_clock::now() + options.timeout;
  }

  bool ExportNow(Deadline deadline) {
    std::lock_guard lock(export_mutex);
    const MetricsSnapshot snapshot = metrics.Collect(options.temporality);
    if (snapshot.metrics.empty()) return true;
    return exporter->Export(snapshot, resource,
                            std::min(deadline, TimeoutFromNow())) ==
           ExportResult::kSuccess;
  }

  void Run() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      if (wake.wait_for(lock, options.interval, [&] { return stopping; }))
        break;
      lock.unlock();
      ExportNow(TimeoutFromNow());
      lock.lock();
    }
  }
};

PeriodicMetricReader::PeriodicMetricReader(
    MessagingMetrics& metrics, Resource resource,
    std::unique_ptr<MetricExporter> exporter,
    PeriodicMetricReaderOptions options)
    : impl_(std::make_unique<Impl>(metrics, std::move(resource),
                                   std::move(exporter), options)) {
  impl_->worker = std::thread([impl = impl_.get()] { impl->Run(); });
}

PeriodicMetricReader::~PeriodicMetricReader() { Shutdown(); }

bool PeriodicMetricReader::ForceFlush() {
  return ForceFlush(impl_->TimeoutFromNow());
}

bool PeriodicMetricReader::ForceFlush(Deadline deadline) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->shut_down) return false;
  }
  return impl_->ExportNow(deadline);
}

void PeriodicMetricReader::Shutdown() { Shutdown(impl_->TimeoutFromNow()); }

void PeriodicMetricReader::Shutdown(Deadline deadline) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->shut_down) return;
    impl_->shut_down = true;
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->worker.joinable()) impl_->worker.join();
  impl_->ExportNow(deadline);
  impl_->exporter->Shutdown(std::min(deadline, impl_->TimeoutFromNow()));
}

}  // namespace kafkatrace
