#include "runtime/metrics/latency_recorder.hpp"

#include <cstdio>
#include <utility>

namespace cafka::metrics {

latency_recorder::latency_recorder(std::string noun, int64_t record_size)
  : noun_(std::move(noun)), record_size_(record_size) {
}

latency_recorder::~latency_recorder() {
  stop_printing();
}

void latency_recorder::record(int64_t us, bool counted) {
  std::lock_guard<std::mutex> guard{mtx_};
  interval_.record(us);
  if (counted)
    total_.record(us);
  ++recorded_;
}

void latency_recorder::start_printing() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = false;
  }
  printer_ = std::thread{[this, start = std::chrono::steady_clock::now()] {
    print_loop(start);
  }};
}

void latency_recorder::stop_printing() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (printer_.joinable())
    printer_.join();
}

latency_histogram latency_recorder::take_interval() {
  latency_histogram fresh;
  std::lock_guard<std::mutex> guard{mtx_};
  std::swap(fresh, interval_);
  return fresh;
}

latency_histogram latency_recorder::total() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return total_;
}

int64_t latency_recorder::recorded() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return recorded_;
}

void latency_recorder::print_loop(std::chrono::steady_clock::time_point start) {
  // Ticks on a schedule (start + k seconds), so late wake-ups do not add up.
  auto last = start;
  for (int64_t k = 1;; ++k) {
    auto tick = start + std::chrono::seconds{k};
    {
      std::unique_lock<std::mutex> lock{mtx_};
      if (stop_cv_.wait_until(lock, tick, [this] { return stopping_; }))
        return;
    }
    auto now = std::chrono::steady_clock::now();
    latency_histogram second;
    int64_t n = 0;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      std::swap(second, interval_);
      n = recorded_;
    }
    auto secs = std::chrono::duration<double>(now - last).count();
    last = now;
    auto rate = static_cast<double>(second.count()) / secs;
    std::printf("%lld records %s, %.1f records/s (%.2f MB/s), %s\n", static_cast<long long>(n),
                noun_.c_str(), rate, rate * static_cast<double>(record_size_) / 1e6,
                describe_percentiles(second).c_str());
    std::fflush(stdout);
  }
}

} // namespace cafka::metrics
