// The batching actor clock (see batching_actor_clock.hpp).
#include "actors/system/batching_actor_clock.hpp"

namespace cafka {

void batching_actor_clock::scheduled_at(time_point t, std::unique_lock<std::mutex>& guard) {
  auto at = t + slack;
  if (at >= wake_at_)
    return;  // the thread wakes early enough anyway
  wake_at_ = at;
  kicked_ = true;
  guard.unlock();
  cv_.notify_one();
}

void batching_actor_clock::set_ordinary_timeout(time_point t, caf::abstract_actor* self,
                                                caf::atom_value type, uint64_t id) {
  std::unique_lock<std::mutex> guard{mtx_};
  super::set_ordinary_timeout(t, self, type, id);
  scheduled_at(t, guard);
}

void batching_actor_clock::set_request_timeout(time_point t, caf::abstract_actor* self,
                                               caf::message_id id) {
  std::unique_lock<std::mutex> guard{mtx_};
  super::set_request_timeout(t, self, id);
  scheduled_at(t, guard);
}

void batching_actor_clock::set_multi_timeout(time_point t, caf::abstract_actor* self,
                                             caf::atom_value type, uint64_t id) {
  std::unique_lock<std::mutex> guard{mtx_};
  super::set_multi_timeout(t, self, type, id);
  scheduled_at(t, guard);
}

// A cancellation never wakes the thread: at worst it wakes once for nothing.
void batching_actor_clock::cancel_ordinary_timeout(caf::abstract_actor* self,
                                                   caf::atom_value type) {
  std::lock_guard<std::mutex> guard{mtx_};
  super::cancel_ordinary_timeout(self, type);
}

void batching_actor_clock::cancel_request_timeout(caf::abstract_actor* self,
                                                  caf::message_id id) {
  std::lock_guard<std::mutex> guard{mtx_};
  super::cancel_request_timeout(self, id);
}

void batching_actor_clock::cancel_timeouts(caf::abstract_actor* self) {
  std::lock_guard<std::mutex> guard{mtx_};
  super::cancel_timeouts(self);
}

void batching_actor_clock::schedule_message(time_point t, caf::strong_actor_ptr receiver,
                                            caf::mailbox_element_ptr content) {
  std::unique_lock<std::mutex> guard{mtx_};
  super::schedule_message(t, std::move(receiver), std::move(content));
  scheduled_at(t, guard);
}

void batching_actor_clock::schedule_message(time_point t, caf::group target,
                                            caf::strong_actor_ptr sender,
                                            caf::message content) {
  std::unique_lock<std::mutex> guard{mtx_};
  super::schedule_message(t, std::move(target), std::move(sender), std::move(content));
  scheduled_at(t, guard);
}

void batching_actor_clock::cancel_all() {
  schedule_map dropped;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    actor_lookup_.clear();
    dropped.swap(schedule_);
  }
  // Destroyed outside the lock: an event may hold the last reference to an actor.
}

std::vector<std::unique_ptr<caf::detail::simple_actor_clock::delayed_event>>
batching_actor_clock::take_due() {
  std::vector<std::unique_ptr<delayed_event>> due;
  auto t = now();
  auto i = schedule_.begin();
  while (i != schedule_.end() && i->first <= t) {
    auto backlink = i->second->backlink;
    if (backlink != actor_lookup_.end())
      actor_lookup_.erase(backlink);
    due.push_back(std::move(i->second));
    i = schedule_.erase(i);
  }
  return due;
}

void batching_actor_clock::run() {
  std::unique_lock<std::mutex> guard{mtx_};
  while (!stopped_) {
    auto due = take_due();
    if (!due.empty()) {
      // Shipped (and destroyed) outside the lock: an actor's enqueue may set timeouts.
      guard.unlock();
      for (auto& x : due)
        ship(*x);
      due.clear();
      guard.lock();
      continue;
    }
    wake_at_ = schedule_.empty() ? time_point::max() : schedule_.begin()->first + slack;
    kicked_ = false;
    auto woken = [this] { return kicked_ || stopped_; };
    if (wake_at_ == time_point::max())
      cv_.wait(guard, woken);
    else
      cv_.wait_until(guard, time_point{wake_at_}, woken);
  }
}

void batching_actor_clock::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopped_ = true;
  }
  cv_.notify_one();
}

size_t batching_actor_clock::scheduled() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return schedule_.size();
}

} // namespace cafka
