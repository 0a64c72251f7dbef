// The node's log cleaner slots (log-cleaner-threads): how many compacted replicas may run a
// cleaning pass at once, which bounds the cleaners' memory (one key map each) and disk I/O.
// One per broker, shared by its partition replicas across actor threads (atomic).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace cafka {

class cleaner_slots {
public:
  explicit cleaner_slots(int32_t count) : free_(count) {}

  // A slot held until the lease is destroyed.
  class lease {
  public:
    explicit lease(std::shared_ptr<cleaner_slots> owner) : owner_(std::move(owner)) {}
    ~lease() { owner_->free_.fetch_add(1); }
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;

  private:
    std::shared_ptr<cleaner_slots> owner_;
  };

  // A lease on a free slot, or null when every slot is taken.
  static std::unique_ptr<lease> try_take(const std::shared_ptr<cleaner_slots>& slots) {
    auto n = slots->free_.load();
    while (n > 0)
      if (slots->free_.compare_exchange_weak(n, n - 1))
        return std::make_unique<lease>(slots);
    return nullptr;
  }

  int32_t free_slots() const { return free_.load(); }

private:
  std::atomic<int32_t> free_;
};

} // namespace cafka
